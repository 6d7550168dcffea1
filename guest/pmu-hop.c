// SPDX-License-Identifier: GPL-2.0
/*
 * pmu-hop: a minimal VMM (raw KVM ioctls, no selftest library) that shows what happens
 * to a guest's PMCCNTR_EL0 when the vCPU thread moves between the clusters of a
 * heterogeneous host.
 *
 * One VM per pass, one vCPU with PMUv3 and an in-kernel GICv3, created while the thread
 * runs on the first CPU of the first cluster (so KVM's default PMU is that cluster's).
 * The guest (pmu-hop-guest.S) reads PMCCNTR_EL0, hands the value out through an MMIO
 * write and spins. For each hop the thread is pinned to one CPU, the guest is sampled
 * twice, and the difference is what the counter advanced on that CPU.
 *
 * Passes: "stock" (KVM's default PMU), "set_pmu" (KVM_ARM_VCPU_PMU_V3_SET_PMU to the
 * first cluster's PMU), and "fixed" (KVM_ARM_VCPU_PMU_V3_FIXED_COUNTERS_ONLY) when the
 * kernel offers it. With --check the expected behaviour is asserted and the exit code
 * says whether it held: stock and set_pmu count only on the first cluster (set_pmu is
 * refused elsewhere with KVM_EXIT_FAIL_ENTRY, CPU_UNSUPPORTED), fixed counts everywhere.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/kvm.h>

#ifndef KVM_ARM_VCPU_PMU_V3_FIXED_COUNTERS_ONLY
#define KVM_ARM_VCPU_PMU_V3_FIXED_COUNTERS_ONLY	5
#endif

#define PMU_DIR		"/sys/bus/event_source/devices"
#define MAX_PMUS	8
#define MAX_CPUS	64
#define GUEST_RAM	0x40000000UL
#define GUEST_RAM_SIZE	0x10000UL
#define DOORBELL	0x10000000UL
#define GICD_BASE	0x08000000UL
#define GICR_BASE	0x080a0000UL
#define PMU_IRQ		23

extern const char pmu_hop_guest_start[], pmu_hop_guest_end[];

struct host_pmu {
	char name[256];
	int type;
	int cpus[MAX_CPUS];
	int nr_cpus;
};

static struct host_pmu pmus[MAX_PMUS];
static int nr_pmus;
static int rounds = 2;
static unsigned long spin = 2000000;
static int check;
static int failures;

enum pass { PASS_STOCK, PASS_SET_PMU, PASS_FIXED };
static const char *const pass_name[] = { "stock", "set_pmu", "fixed" };

static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, ": %s\n", strerror(errno));
	exit(2);
}

static int read_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");
	int ok;

	if (!f)
		return -1;
	ok = fgets(buf, len, f) != NULL;
	fclose(f);
	buf[strcspn(buf, "\n")] = '\0';
	return ok ? 0 : -1;
}

static int by_first_cpu(const void *a, const void *b)
{
	return ((const struct host_pmu *)a)->cpus[0] - ((const struct host_pmu *)b)->cpus[0];
}

static void find_pmus(void)
{
	char path[512], buf[256];
	DIR *d = opendir(PMU_DIR);
	struct dirent *e;

	if (!d)
		die("opendir " PMU_DIR);
	while ((e = readdir(d)) && nr_pmus < MAX_PMUS) {
		struct host_pmu *p = &pmus[nr_pmus];
		char *s = buf;

		if (strncmp(e->d_name, "armv8_", 6))
			continue;
		snprintf(p->name, sizeof(p->name), "%s", e->d_name);
		snprintf(path, sizeof(path), PMU_DIR "/%s/type", e->d_name);
		if (read_line(path, buf, sizeof(buf)))
			continue;
		p->type = atoi(buf);
		snprintf(path, sizeof(path), PMU_DIR "/%s/cpus", e->d_name);
		if (read_line(path, buf, sizeof(buf)))
			continue;
		while (*s) {
			char *end;
			int a = strtol(s, &end, 10), b = a;

			if (*end == '-')
				b = strtol(end + 1, &end, 10);
			for (; a <= b && p->nr_cpus < MAX_CPUS; a++)
				p->cpus[p->nr_cpus++] = a;
			s = *end ? end + 1 : end;
		}
		if (p->nr_cpus)
			nr_pmus++;
	}
	closedir(d);
	if (!nr_pmus) {
		fprintf(stderr, "no armv8 PMU on this host\n");
		exit(4);
	}
	qsort(pmus, nr_pmus, sizeof(pmus[0]), by_first_cpu);
}

static void pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		die("sched_setaffinity(%d)", cpu);
}

struct vm {
	int kvm, vm, vcpu, gic;
	struct kvm_run *run;
	int run_size;
	void *ram;
};

static int vcpu_pmu_attr(struct vm *v, unsigned long req, uint64_t attr, void *addr)
{
	struct kvm_device_attr a = {
		.group = KVM_ARM_VCPU_PMU_V3_CTRL,
		.attr = attr,
		.addr = (uint64_t)(unsigned long)addr,
	};

	return ioctl(v->vcpu, req, &a);
}

static void set_reg(struct vm *v, uint64_t id, uint64_t val)
{
	struct kvm_one_reg r = { .id = id, .addr = (uint64_t)(unsigned long)&val };

	if (ioctl(v->vcpu, KVM_SET_ONE_REG, &r))
		die("KVM_SET_ONE_REG %llx", (unsigned long long)id);
}

#define CORE_REG(x)	(KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM_CORE | \
			 KVM_REG_ARM_CORE_REG(x))

static void gic_attr(struct vm *v, uint32_t group, uint64_t attr, void *addr)
{
	struct kvm_device_attr a = {
		.group = group, .attr = attr, .addr = (uint64_t)(unsigned long)addr,
	};

	if (ioctl(v->gic, KVM_SET_DEVICE_ATTR, &a))
		die("vgic attr %u/%llu", group, (unsigned long long)attr);
}

/* Returns 0, or -1 when the pass cannot run on this kernel (fixed: no attribute). */
static int vm_create(struct vm *v, enum pass pass)
{
	struct kvm_create_device cd = { .type = KVM_DEV_TYPE_ARM_VGIC_V3 };
	struct kvm_userspace_memory_region mr;
	struct kvm_vcpu_init init;
	uint64_t dist = GICD_BASE, redist = GICR_BASE;
	int irq = PMU_IRQ;

	v->kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (v->kvm < 0)
		die("/dev/kvm");
	v->vm = ioctl(v->kvm, KVM_CREATE_VM, 0);
	if (v->vm < 0)
		die("KVM_CREATE_VM");

	v->ram = mmap(NULL, GUEST_RAM_SIZE, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (v->ram == MAP_FAILED)
		die("mmap");
	memcpy(v->ram, pmu_hop_guest_start, pmu_hop_guest_end - pmu_hop_guest_start);
	mr = (struct kvm_userspace_memory_region) {
		.slot = 0, .guest_phys_addr = GUEST_RAM, .memory_size = GUEST_RAM_SIZE,
		.userspace_addr = (uint64_t)(unsigned long)v->ram,
	};
	if (ioctl(v->vm, KVM_SET_USER_MEMORY_REGION, &mr))
		die("KVM_SET_USER_MEMORY_REGION");

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
	init.features[0] |= 1U << KVM_ARM_VCPU_PMU_V3;
	if (ioctl(v->vcpu, KVM_ARM_VCPU_INIT, &init))
		die("KVM_ARM_VCPU_INIT");

	if (ioctl(v->vm, KVM_CREATE_DEVICE, &cd))
		die("KVM_CREATE_DEVICE vgic-v3");
	v->gic = cd.fd;
	gic_attr(v, KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_V3_ADDR_TYPE_DIST, &dist);
	gic_attr(v, KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_V3_ADDR_TYPE_REDIST, &redist);
	gic_attr(v, KVM_DEV_ARM_VGIC_GRP_CTRL, KVM_DEV_ARM_VGIC_CTRL_INIT, NULL);

	if (pass == PASS_SET_PMU &&
	    vcpu_pmu_attr(v, KVM_SET_DEVICE_ATTR, KVM_ARM_VCPU_PMU_V3_SET_PMU, &pmus[0].type))
		die("KVM_ARM_VCPU_PMU_V3_SET_PMU");
	if (pass == PASS_FIXED) {
		if (vcpu_pmu_attr(v, KVM_HAS_DEVICE_ATTR,
				  KVM_ARM_VCPU_PMU_V3_FIXED_COUNTERS_ONLY, NULL))
			return -1;
		if (vcpu_pmu_attr(v, KVM_SET_DEVICE_ATTR,
				  KVM_ARM_VCPU_PMU_V3_FIXED_COUNTERS_ONLY, NULL))
			die("KVM_ARM_VCPU_PMU_V3_FIXED_COUNTERS_ONLY");
	}
	if (vcpu_pmu_attr(v, KVM_SET_DEVICE_ATTR, KVM_ARM_VCPU_PMU_V3_IRQ, &irq))
		die("KVM_ARM_VCPU_PMU_V3_IRQ");
	if (vcpu_pmu_attr(v, KVM_SET_DEVICE_ATTR, KVM_ARM_VCPU_PMU_V3_INIT, NULL))
		die("KVM_ARM_VCPU_PMU_V3_INIT");

	set_reg(v, CORE_REG(regs.pc), GUEST_RAM);
	set_reg(v, CORE_REG(regs.regs[0]), DOORBELL);
	set_reg(v, CORE_REG(regs.regs[1]), spin);
	return 0;
}

static void vm_destroy(struct vm *v)
{
	munmap(v->run, v->run_size);
	munmap(v->ram, GUEST_RAM_SIZE);
	close(v->gic);
	close(v->vcpu);
	close(v->vm);
	close(v->kvm);
}

/*
 * Runs the guest to its next doorbell write. Returns 0 with the PMCCNTR_EL0 value, or
 * 1 when KVM refused to enter the guest on this CPU (*cpu says which it reported).
 */
static int sample(struct vm *v, uint64_t *val, int *cpu)
{
	struct kvm_run *r = v->run;

	for (;;) {
		if (ioctl(v->vcpu, KVM_RUN, 0)) {
			if (errno == EINTR)
				continue;
			die("KVM_RUN");
		}
		if (r->exit_reason == KVM_EXIT_FAIL_ENTRY) {
			if (r->fail_entry.hardware_entry_failure_reason !=
			    KVM_EXIT_FAIL_ENTRY_CPU_UNSUPPORTED) {
				errno = 0;
				die("KVM_EXIT_FAIL_ENTRY, reason %llu",
				    r->fail_entry.hardware_entry_failure_reason);
			}
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

static void expect(int cond, const char *what, int cpu)
{
	if (!check || cond)
		return;
	printf("  FAIL: %s on CPU %d\n", what, cpu);
	failures++;
}

static void run_pass(enum pass pass)
{
	struct vm v;
	uint64_t a, b;
	int r, i, k, cpu, fail_cpu;

	pin(pmus[0].cpus[0]);
	if (vm_create(&v, pass)) {
		printf("\npass %s: KVM_ARM_VCPU_PMU_V3_FIXED_COUNTERS_ONLY not offered by this kernel\n",
		       pass_name[pass]);
		vm_destroy(&v);
		return;
	}
	printf("\npass %s: vCPU initialised on CPU %d (%s)%s\n", pass_name[pass],
	       pmus[0].cpus[0], pmus[0].name,
	       pass == PASS_SET_PMU ? ", SET_PMU to that PMU" :
	       pass == PASS_FIXED ? ", FIXED_COUNTERS_ONLY set" : ", KVM's default PMU");
	if (sample(&v, &a, &fail_cpu))
		die("first entry refused");
	printf("  %-5s %-4s %-20s %s\n", "round", "cpu", "host PMU", "PMCCNTR_EL0 delta");

	for (r = 1; r <= rounds; r++) {
		/* Interleave the clusters: c0 cpu0, c1 cpu0, ..., c0 cpu1, c1 cpu1, ... */
		for (i = 0; i < MAX_CPUS; i++) {
			for (k = 0; k < nr_pmus; k++) {
				const struct host_pmu *p = &pmus[k];
				int first = (k == 0);

				if (i >= p->nr_cpus)
					continue;
				cpu = p->cpus[i];
				pin(cpu);
				if (sample(&v, &a, &fail_cpu) || sample(&v, &b, &fail_cpu)) {
					printf("  %-5d %-4d %-20s KVM_EXIT_FAIL_ENTRY (CPU_UNSUPPORTED, cpu %d)\n",
					       r, cpu, p->name, fail_cpu);
					expect(pass == PASS_SET_PMU && !first,
					       "entry refused unexpectedly", cpu);
					expect(fail_cpu == cpu, "fail_entry.cpu is not this CPU",
					       cpu);
					continue;
				}
				printf("  %-5d %-4d %-20s %llu\n", r, cpu, p->name,
				       (unsigned long long)(b - a));
				expect(b >= a, "counter went backwards", cpu);
				if (pass == PASS_FIXED || first || nr_pmus == 1)
					expect(b > a, "counter did not count", cpu);
				else
					expect(b == a, "counter counted on a CPU of another PMU",
					       cpu);
				expect(pass != PASS_SET_PMU || first,
				       "SET_PMU did not refuse a CPU of another PMU", cpu);
			}
		}
	}
	vm_destroy(&v);
}

int main(int argc, char **argv)
{
	int i, opt;

	while ((opt = getopt(argc, argv, "cr:s:")) != -1) {
		switch (opt) {
		case 'c':
			check = 1;
			break;
		case 'r':
			rounds = atoi(optarg);
			break;
		case 's':
			spin = strtoul(optarg, NULL, 0);
			break;
		default:
			fprintf(stderr, "usage: %s [-c] [-r rounds] [-s spin]\n", argv[0]);
			return 2;
		}
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	find_pmus();
	printf("host PMUs:");
	for (i = 0; i < nr_pmus; i++)
		printf(" %s (type %d, cpus %d-%d)", pmus[i].name, pmus[i].type,
		       pmus[i].cpus[0], pmus[i].cpus[pmus[i].nr_cpus - 1]);
	printf("\n");

	run_pass(PASS_STOCK);
	run_pass(PASS_SET_PMU);
	run_pass(PASS_FIXED);

	if (check)
		printf("\n%s: %d failed expectation(s)\n", failures ? "FAIL" : "PASS", failures);
	return failures ? 1 : 0;
}
