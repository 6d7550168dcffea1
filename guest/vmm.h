/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vmm: the few raw KVM ioctls the rig's guest-host programs need to run a one-vCPU
 * arm64 guest with PMUv3 and an in-kernel GICv3, and the host PMUs found in sysfs.
 */
#ifndef RIG_VMM_H
#define RIG_VMM_H

#include <stddef.h>
#include <stdint.h>
#include <linux/kvm.h>
#include "host-pmu.h"

#ifndef KVM_ARM_VCPU_PMU_V3_FIXED_COUNTERS_ONLY
#define KVM_ARM_VCPU_PMU_V3_FIXED_COUNTERS_ONLY	5
#endif

#define DOORBELL	0x10000000UL

extern struct host_pmu pmus[MAX_PMUS];
extern int nr_pmus;

/* How the vPMU is set up: KVM's default PMU, SET_PMU to pmus[0], or fixed counters. */
enum vm_pmu { VM_PMU_DEFAULT, VM_PMU_SET_PMU, VM_PMU_FIXED };

struct vm {
	int kvm, vm, vcpu, gic;
	struct kvm_run *run;
	int run_size;
	void *ram;
};

void die(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
/* Fills pmus[] with the host's arm_pmus (host-pmu.h); exits 4 (skip) if there are none. */
void find_pmus(void);
void pin(int cpu);
void unpin(void);
/* Returns -1 when the kernel does not offer what @pmu asks for. */
int vm_create(struct vm *v, enum vm_pmu pmu, const void *code, size_t len);
void vm_destroy(struct vm *v);
void vm_set_xreg(struct vm *v, int n, uint64_t val);
/*
 * Runs the guest to its next doorbell write: 0 with the value written, or 1 when
 * KVM refused to enter the guest on this CPU (*cpu: the CPU it reported).
 */
int vm_run(struct vm *v, uint64_t *val, int *cpu);

#endif
