// SPDX-License-Identifier: GPL-2.0
/*
 * vmm: see vmm.h. Guest memory is 64 KiB at 1 GiB holding the guest code; the guest
 * starts there at EL1 with the MMU off and talks to the VMM by storing to DOORBELL,
 * an address no memory backs, which KVM hands to userspace as an MMIO exit.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include "vmm.h"

#define GICD_BASE	0x08000000UL
#define GICR_BASE	0x080a0000UL

struct host_pmu pmus[MAX_PMUS];
int nr_pmus;

void die(const char *fmt, ...)
{
	int err = errno;
	va_list ap;

	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, err ? ": %s\n" : "\n", strerror(err));
	exit(2);
}

void find_pmus(void)
{
	nr_pmus = find_host_pmus(pmus);
	if (nr_pmus < 0)
		die("/sys/bus/event_source/devices");
	if (!nr_pmus) {
		fprintf(stderr, "no arm_pmu (a PMU with a cpus file) on this host\n");
		exit(4);
	}
}

void pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		die("sched_setaffinity(%d)", cpu);
}

void unpin(void)
{
	cpu_set_t set;
	int cpu;

	CPU_ZERO(&set);
	for (cpu = 0; cpu < CPU_SETSIZE; cpu++)
		CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		die("sched_setaffinity(all)");
}

uint64_t cntvct_to_ns(uint64_t ticks)
{
	uint64_t frq;

	asm volatile("mrs %0, cntfrq_el0" : "=r"(frq));
	return frq ? (uint64_t)((unsigned __int128)ticks * 1000000000U / frq) : ticks;
}

int vcpu_pmu_attr(int vcpu, unsigned long req, uint64_t attr, void *addr)
{
	struct kvm_device_attr a = {
		.group = KVM_ARM_VCPU_PMU_V3_CTRL,
		.attr = attr,
		.addr = (uint64_t)(unsigned long)addr,
	};

	return ioctl(vcpu, req, &a);
}

static void gic_attr(int gic, uint32_t group, uint64_t attr, void *addr)
{
	struct kvm_device_attr a = {
		.group = group, .attr = attr, .addr = (uint64_t)(unsigned long)addr,
	};

	if (ioctl(gic, KVM_SET_DEVICE_ATTR, &a))
		die("vgic attr %u/%llu", group, (unsigned long long)attr);
}

int vgic_create(int vm)
{
	struct kvm_create_device cd = { .type = KVM_DEV_TYPE_ARM_VGIC_V3 };
	uint64_t dist = GICD_BASE, redist = GICR_BASE;

	if (ioctl(vm, KVM_CREATE_DEVICE, &cd))
		die("KVM_CREATE_DEVICE vgic-v3");
	gic_attr(cd.fd, KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_V3_ADDR_TYPE_DIST, &dist);
	gic_attr(cd.fd, KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_V3_ADDR_TYPE_REDIST, &redist);
	gic_attr(cd.fd, KVM_DEV_ARM_VGIC_GRP_CTRL, KVM_DEV_ARM_VGIC_CTRL_INIT, NULL);
	return cd.fd;
}

void *guest_ram_create(int vm, int share, const void *code, size_t len)
{
	struct kvm_userspace_memory_region mr;
	void *ram;

	ram = mmap(NULL, GUEST_RAM_SIZE, PROT_READ | PROT_WRITE, share | MAP_ANONYMOUS, -1, 0);
	if (ram == MAP_FAILED)
		die("mmap");
	memcpy(ram, code, len);
	mr = (struct kvm_userspace_memory_region) {
		.slot = 0, .guest_phys_addr = GUEST_RAM, .memory_size = GUEST_RAM_SIZE,
		.userspace_addr = (uint64_t)(unsigned long)ram,
	};
	if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &mr))
		die("KVM_SET_USER_MEMORY_REGION");
	return ram;
}

void vcpu_set_reg(int vcpu, uint64_t id, uint64_t val)
{
	struct kvm_one_reg r = { .id = id, .addr = (uint64_t)(unsigned long)&val };

	if (ioctl(vcpu, KVM_SET_ONE_REG, &r))
		die("KVM_SET_ONE_REG %llx", (unsigned long long)id);
}

void vm_set_xreg(struct vm *v, int n, uint64_t val)
{
	vcpu_set_reg(v->vcpu, CORE_REG(regs.regs[n]), val);
}

int vm_open(struct vm *v, uint32_t features, const void *code, size_t len)
{
	struct kvm_vcpu_init init;

	memset(v, 0, sizeof(*v));
	v->kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (v->kvm < 0)
		die("/dev/kvm");
	v->vm = ioctl(v->kvm, KVM_CREATE_VM, 0);
	if (v->vm < 0)
		die("KVM_CREATE_VM");
	v->ram = guest_ram_create(v->vm, MAP_PRIVATE, code, len);

	v->vcpu = ioctl(v->vm, KVM_CREATE_VCPU, 0);
	if (v->vcpu < 0)
		die("KVM_CREATE_VCPU");
	v->run_size = ioctl(v->kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	v->run = mmap(NULL, v->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, v->vcpu, 0);
	if (v->run == MAP_FAILED)
		die("mmap kvm_run");

	/* KVM picks its default PMU from the CPU this runs on. */
	if (ioctl(v->vm, KVM_ARM_PREFERRED_TARGET, &init))
		die("KVM_ARM_PREFERRED_TARGET");
	init.features[0] |= (1U << KVM_ARM_VCPU_PMU_V3) | features;
	if (ioctl(v->vcpu, KVM_ARM_VCPU_INIT, &init))
		return errno;

	v->gic = vgic_create(v->vm);
	return 0;
}

void vm_pmu_init(struct vm *v)
{
	int irq = PMU_IRQ;

	if (vcpu_pmu_attr(v->vcpu, KVM_SET_DEVICE_ATTR, KVM_ARM_VCPU_PMU_V3_IRQ, &irq))
		die("KVM_ARM_VCPU_PMU_V3_IRQ");
	if (vcpu_pmu_attr(v->vcpu, KVM_SET_DEVICE_ATTR, KVM_ARM_VCPU_PMU_V3_INIT, NULL))
		die("KVM_ARM_VCPU_PMU_V3_INIT");
}

int vm_create(struct vm *v, enum vm_pmu pmu, const void *code, size_t len)
{
	int err = vm_open(v, 0, code, len);

	if (err) {
		errno = err;
		die("KVM_ARM_VCPU_INIT");
	}
	if (pmu == VM_PMU_SET_PMU &&
	    vcpu_pmu_attr(v->vcpu, KVM_SET_DEVICE_ATTR, KVM_ARM_VCPU_PMU_V3_SET_PMU,
			  &pmus[0].type))
		die("KVM_ARM_VCPU_PMU_V3_SET_PMU");
	if (pmu == VM_PMU_FIXED) {
		if (vcpu_pmu_attr(v->vcpu, KVM_HAS_DEVICE_ATTR,
				  KVM_ARM_VCPU_PMU_V3_FIXED_COUNTERS_ONLY, NULL))
			return -1;
		if (vcpu_pmu_attr(v->vcpu, KVM_SET_DEVICE_ATTR,
				  KVM_ARM_VCPU_PMU_V3_FIXED_COUNTERS_ONLY, NULL))
			die("KVM_ARM_VCPU_PMU_V3_FIXED_COUNTERS_ONLY");
	}
	vm_pmu_init(v);

	vcpu_set_reg(v->vcpu, CORE_REG(regs.pc), GUEST_RAM);
	vm_set_xreg(v, 0, DOORBELL);
	return 0;
}

void vm_destroy(struct vm *v)
{
	munmap(v->run, v->run_size);
	munmap(v->ram, GUEST_RAM_SIZE);
	/* 0: vm_open() failed before the vGIC (fd 0 is never it: /dev/kvm came first). */
	if (v->gic > 0)
		close(v->gic);
	close(v->vcpu);
	close(v->vm);
	close(v->kvm);
}

int vm_run(struct vm *v, uint64_t *val, int *cpu)
{
	struct kvm_run *r = v->run;

	for (;;) {
		if (ioctl(v->vcpu, KVM_RUN, 0)) {
			if (errno == EINTR)
				continue;
			die("KVM_RUN");
		}
		if (r->exit_reason == KVM_EXIT_FAIL_ENTRY) {
			errno = 0;
			if (r->fail_entry.hardware_entry_failure_reason !=
			    KVM_EXIT_FAIL_ENTRY_CPU_UNSUPPORTED)
				die("KVM_EXIT_FAIL_ENTRY, reason %llu",
				    r->fail_entry.hardware_entry_failure_reason);
			*cpu = r->fail_entry.cpu;
			return 1;
		}
		if (r->exit_reason == KVM_EXIT_MMIO && r->mmio.is_write &&
		    r->mmio.phys_addr == DOORBELL && r->mmio.len == 8) {
			memcpy(val, r->mmio.data, 8);
			return 0;
		}
		errno = 0;
		die("unexpected exit %u", r->exit_reason);
	}
}
