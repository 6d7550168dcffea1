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
/* Guest memory: GUEST_RAM_SIZE at GUEST_RAM, the guest code at its start (its entry). */
#define GUEST_RAM	0x40000000UL
#define GUEST_RAM_SIZE	0x10000UL
/* The PMU's interrupt, a PPI, as every VMM of the rig sets it. */
#define PMU_IRQ		23

#define CORE_REG(x)	(KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM_CORE | \
			 KVM_REG_ARM_CORE_REG(x))

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
/*
 * CNTVCT_EL0 ticks in nanoseconds, by CNTFRQ_EL0, which guests share with the host:
 * 62.5 MHz under QEMU before 9.0, 1 GHz for -cpu max since.
 */
uint64_t cntvct_to_ns(uint64_t ticks);
/* Fills pmus[] with the host's arm_pmus (host-pmu.h); exits 4 (skip) if there are none. */
void find_pmus(void);
void pin(int cpu);
void unpin(void);
/* Returns -1 when the kernel does not offer what @pmu asks for. */
int vm_create(struct vm *v, enum vm_pmu pmu, const void *code, size_t len);
/*
 * vm_create() in two halves, for a VMM that does something of its own in between (sets
 * an attribute, or expects KVM_ARM_VCPU_INIT to fail). vm_open(): the VM, its memory
 * with @code, the vCPU, KVM_ARM_VCPU_INIT with PMUv3 and the bits of @features (on the
 * CPU the caller runs on: KVM's default PMU is that CPU's), then the vGIC. Returns 0, or
 * the errno of KVM_ARM_VCPU_INIT (then without a vGIC; vm_destroy() still undoes it).
 */
int vm_open(struct vm *v, uint32_t features, const void *code, size_t len);
/*
 * The second half, but for the entry registers (pc at GUEST_RAM, x0 = DOORBELL), which
 * the caller sets: the PMU's interrupt and KVM_ARM_VCPU_PMU_V3_INIT.
 */
void vm_pmu_init(struct vm *v);
void vm_destroy(struct vm *v);
void vm_set_xreg(struct vm *v, int n, uint64_t val);
/*
 * Runs the guest to its next doorbell write: 0 with the value written, or 1 when
 * KVM refused to enter the guest on this CPU (*cpu: the CPU it reported).
 */
int vm_run(struct vm *v, uint64_t *val, int *cpu);

/*
 * The pieces of vm_open() that the VMMs of several vCPUs (vmm-multi.c, stress-fuzz.c)
 * share. guest_ram_create(): GUEST_RAM_SIZE of anonymous memory (@share: MAP_PRIVATE or
 * MAP_SHARED) with @code at its start, the VM's slot 0 at GUEST_RAM; returns it.
 */
void *guest_ram_create(int vm, int share, const void *code, size_t len);
/* The in-kernel GICv3 at the rig's addresses, initialised; returns its fd. */
int vgic_create(int vm);
void vcpu_set_reg(int vcpu, uint64_t id, uint64_t val);
/* KVM_{SET,GET,HAS}_DEVICE_ATTR in the PMUv3 group of @vcpu: the ioctl's return. */
int vcpu_pmu_attr(int vcpu, unsigned long req, uint64_t attr, void *addr);

#endif
