// SPDX-License-Identifier: GPL-2.0
/*
 * stress-fuzz: random KVM_{SET,GET,HAS}_DEVICE_ATTR calls in the group
 * KVM_ARM_VCPU_PMU_V3_CTRL against several vCPUs of several VMs, some of them running.
 *
 * VMs (two vCPUs each; every vCPU of a VM has the same features, KVM insists):
 *   A  PMUv3, vGIC; vCPU 0 set up (IRQ 23, INIT) and running from the start
 *   B  PMUv3, vGIC, FIXED_COUNTERS_ONLY (when offered; else like A); vCPU 0 running
 *   C  PMUv3, vGIC, nothing set: the fuzz configures it; half-way through its life a
 *      thread sets IRQ 23 and INIT on vCPU 0 (whatever the fuzz did before) and tries
 *      to run it ("late run") until the VM goes
 *   D  PMUv3, no irqchip
 *   E  no PMUv3 feature, vGIC
 *   F  PMUv3 + KVM_ARM_VCPU_PMU_V3_STRICT (7.3, when KVM_CAP_ARM_PMU_V3_STRICT says so),
 *      vGIC; run late like C
 * A and B live as long as the test; C to F are destroyed and created again every
 * --gen seconds (a "generation"), so that the fuzz keeps meeting VMs before and after
 * their configuration, and the late runs meet many configurations.
 * The running vCPUs' guest enables the cycle counter and reports PMCR_EL0, PMCEID0_EL0,
 * PMCEID1_EL0 and PMCCNTR_EL0 in a loop; the first report of a vCPU is what its guest
 * sees, and no later one may differ (PMCR_EL0.N, PMCEID0/1), nor may PMCCNTR_EL0 go
 * back. The fuzz threads also read PMCR_EL0 of running vCPUs with KVM_GET_ONE_REG.
 *
 * The errnos allowed per ioctl and attribute (allowed() below) are those
 * Documentation/virt/kvm/devices/vcpu.rst lists for the attribute (sections 1.1-1.6 of
 * 7.3; 6.12 has no SET_NR_COUNTERS, so attribute 4 is unknown there), plus:
 *   - an unknown attribute, or a GET of an attribute that has no GET: ENXIO
 *     (Documentation/virt/kvm/api.rst 4.80: "The group or attribute is
 *     unknown/unsupported"); SET of an unknown attribute may also fail with the two
 *     conditions every SET table of the group lists first, ENODEV (no PMUv3 feature)
 *     and EBUSY (PMUv3 already initialized), which KVM tests before the attribute;
 *   - an unreadable struct kvm_device_attr: EFAULT (the ioctl's argument itself);
 *   - HAS: 0 for the attributes of the group on a vCPU with PMUv3, ENXIO otherwise
 *     (api.rst 4.81), asserted exactly.
 * Errnos the documentation does not list but unchanged upstream code returns are
 * "known upstream gaps" (gap() below): counted and printed, failing only with --strict.
 * Successes are checked too: once a VM has run, no SET that changes the VM
 * (FILTER, SET_PMU, SET_NR_COUNTERS, FIXED_COUNTERS_ONLY) may succeed (their tables
 * say EBUSY, "a VCPU has already run"), and GET of FIXED_COUNTERS_ONLY never changes.
 *
 * A running vCPU of C or F may also come back with KVM_EXIT_FAIL_ENTRY (CPU_UNSUPPORTED)
 * when the fuzz set SET_PMU on it and it ran on another cluster (1.4): counted, not a
 * failure, unless the VM has FIXED_COUNTERS_ONLY (1.6: never) or is A or B. A vCPU of a
 * VM with FIXED_COUNTERS_ONLY must see what 1.6 says: PMCR_EL0.N 0, PMCEID0_EL0 with
 * CPU_CYCLES at most (the event filter may take it away), PMCEID1_EL0 0.
 *
 * An upstream bug this found (stock 7.3, fixed by the series' first patch): with no "a
 * vCPU has already run" check, SET_NR_COUNTERS through a vCPU whose PMU is not
 * initialized succeeded after another vCPU of the VM ran, and that running guest's
 * PMCR_EL0.N changed under it (vcpu.rst 1.5 says EBUSY). A directed check shows it step
 * by step before the fuzz. A violation, unless --tolerate-nr-after-run (for a kernel
 * without the fix): then such successes, and the guest PMCR_EL0.N changes of a VM where
 * one happened, are counted and printed instead.
 *
 * Every fuzz thread draws its operations from its own generator, seeded from --seed and
 * its index: --seed N replays each thread's sequence (the interleaving of threads is the
 * scheduler's). Prints the seed, the number of operations, and per ioctl and attribute
 * how often each result came back.
 *
 * Exit: 0 pass, 1 a violation, 2 setup error.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include "vmm.h"

#ifndef KVM_ARM_VCPU_PMU_V3_STRICT
#define KVM_ARM_VCPU_PMU_V3_STRICT	9
#endif
#ifndef KVM_CAP_ARM_PMU_V3_STRICT
#define KVM_CAP_ARM_PMU_V3_STRICT	251
#endif
#ifdef KVM_ARM_VCPU_PMU_V3_SET_NR_COUNTERS
#define HAVE_NR_COUNTERS	1
#else
#define HAVE_NR_COUNTERS	0
#define KVM_ARM_VCPU_PMU_V3_SET_NR_COUNTERS	4
#endif

#define NR_VCPUS	2
#define MAX_THREADS	16

#define PMCR_N(x)	(((x) >> 11) & 0x1f)
#define SYSREG_PMCR_EL0	ARM64_SYS_REG(3, 3, 9, 12, 0)

/* The guest of the running vCPUs: x0 doorbell, x1 spin iterations. */
__asm__(
	".text\n"
	".globl fuzz_guest_start, fuzz_guest_end\n"
	".p2align 2\n"
	"fuzz_guest_start:\n"
	"	mov	x9, #1\n"
	"	msr	pmcr_el0, x9\n"
	"	mov	x9, #0x80000000\n"
	"	msr	pmcntenset_el0, x9\n"
	"	isb\n"
	"1:	mrs	x9, pmcr_el0\n"
	"	str	x9, [x0]\n"
	"	mrs	x9, pmceid0_el0\n"
	"	str	x9, [x0]\n"
	"	mrs	x9, pmceid1_el0\n"
	"	str	x9, [x0]\n"
	"	mrs	x9, pmccntr_el0\n"
	"	str	x9, [x0]\n"
	"	mov	x10, x1\n"
	"2:	subs	x10, x10, #1\n"
	"	b.ne	2b\n"
	"	b	1b\n"
	"fuzz_guest_end:\n"
	".previous\n");

extern const char fuzz_guest_start[], fuzz_guest_end[];

struct fvm {
	const char *name;
	int pmu, strict, irqchip, fixed, run_early, run_late;
	pthread_rwlock_t lock;		/* write-held while the VM is created or destroyed */
	int alive, gen;
	int vm, gic, vcpu[NR_VCPUS];
	struct kvm_run *run[NR_VCPUS];
	void *ram;
	atomic_int has_run;		/* vCPU 0 came back from its first KVM_RUN */
	atomic_int have_first;		/* first[] holds the guest's first report */
	uint64_t first[3];		/* PMCR_EL0, PMCEID0_EL0, PMCEID1_EL0 */
	atomic_int fixed_get;		/* GET FIXED_COUNTERS_ONLY after the first run */
	atomic_int fixed_get_set;
	atomic_int nr_after_run;	/* SET_NR_COUNTERS succeeded after vCPU 0 ran, */
	atomic_int nr_inflight;		/* or one is under way that might */
	atomic_int change_reported;	/* a change of the guest's view was reported */
};

static struct fvm vms[] = {
	{ .name = "A", .pmu = 1, .irqchip = 1, .run_early = 1 },
	{ .name = "B", .pmu = 1, .irqchip = 1, .fixed = 1, .run_early = 1 },
	{ .name = "C", .pmu = 1, .irqchip = 1, .run_late = 1 },
	{ .name = "D", .pmu = 1 },
	{ .name = "E", .irqchip = 1 },
	{ .name = "F", .pmu = 1, .strict = 1, .irqchip = 1, .run_late = 1 },
};
#define NR_VMS	((int)(sizeof(vms) / sizeof(vms[0])))

static int kvm_fd, has_fixed, has_strict, nr_vms_used;
static unsigned long long seed;
static double duration = 12, gen_s = 2;
static int nr_threads = 3, strict_doc, verbose_max = 20;
static atomic_int stop, violations, reported;
static atomic_ullong nr_ops;
static void *bad_page, *ro_page;

/* Results: [ioctl][attr slot][result slot] */
enum { OP_SET, OP_GET, OP_HAS, NR_OPS };
static const char *const op_name[] = { "SET", "GET", "HAS" };
#define NR_ATTR_SLOTS	7	/* 0..5, and 6 for every unknown attribute */
static const char *const attr_name[] = {
	"IRQ", "INIT", "FILTER", "SET_PMU", "SET_NR_COUNTERS", "FIXED_COUNTERS_ONLY",
	"unknown",
};
static const int errnos[] = { 0, EBUSY, EFAULT, ENXIO, ENODEV, EINVAL, EEXIST, ENOMEM,
			      EPERM, EAGAIN, EINTR };
#define NR_RES		((int)(sizeof(errnos) / sizeof(errnos[0])) + 1)	/* + other */
static atomic_ullong counts[NR_OPS][NR_ATTR_SLOTS][NR_RES];
static atomic_ullong struct_efault, onereg_reads;
static atomic_int late_runs, late_refused[2], late_printed, generations;
static atomic_int cpu_unsupported, tolerate_nr, known_nr_set, known_nr_seen;

#define B(e)	(1ULL << (e))

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static uint64_t rnd(uint64_t *s)
{
	/* xorshift64* */
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dULL;
}

static void violation(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void violation(const char *fmt, ...)
{
	va_list ap;

	atomic_fetch_add(&violations, 1);
	if (atomic_fetch_add(&reported, 1) >= verbose_max)
		return;
	va_start(ap, fmt);
	printf("VIOLATION: ");
	vprintf(fmt, ap);
	printf("\n");
	va_end(ap);
}

static int attr_slot(uint64_t attr)
{
	return attr <= 5 ? (int)attr : 6;
}

static int res_slot(int err)
{
	int i;

	for (i = 0; i < NR_RES - 1; i++)
		if (errnos[i] == err)
			return i;
	return NR_RES - 1;
}

/* Is the attribute known to this kernel's group? */
static int known(uint64_t attr)
{
	switch (attr) {
	case KVM_ARM_VCPU_PMU_V3_IRQ:
	case KVM_ARM_VCPU_PMU_V3_INIT:
	case KVM_ARM_VCPU_PMU_V3_FILTER:
	case KVM_ARM_VCPU_PMU_V3_SET_PMU:
		return 1;
	case KVM_ARM_VCPU_PMU_V3_SET_NR_COUNTERS:
		return HAVE_NR_COUNTERS;
	case KVM_ARM_VCPU_PMU_V3_FIXED_COUNTERS_ONLY:
		return has_fixed;
	}
	return 0;
}

/* The documented errnos (vcpu.rst's tables; api.rst for unknown attributes). */
static uint64_t allowed(int op, uint64_t attr)
{
	if (op == OP_HAS)
		return B(ENXIO);
	if (!known(attr))
		return op == OP_SET ? B(ENXIO) | B(ENODEV) | B(EBUSY) : B(ENXIO);
	if (op == OP_GET) {
		switch (attr) {
		case KVM_ARM_VCPU_PMU_V3_IRQ:		/* 1.1 */
			return B(EBUSY) | B(EFAULT) | B(ENXIO) | B(ENODEV) | B(EINVAL);
		case KVM_ARM_VCPU_PMU_V3_FIXED_COUNTERS_ONLY:	/* 1.6, last paragraph */
			return B(ENXIO) | B(ENODEV);
		}
		return B(ENXIO);
	}
	switch (attr) {
	case KVM_ARM_VCPU_PMU_V3_IRQ:			/* 1.1 */
		return B(EBUSY) | B(EFAULT) | B(ENXIO) | B(ENODEV) | B(EINVAL);
	case KVM_ARM_VCPU_PMU_V3_INIT:			/* 1.2 */
		return B(EEXIST) | B(ENODEV) | B(ENXIO) | B(EBUSY);
	case KVM_ARM_VCPU_PMU_V3_FILTER:		/* 1.3 */
		return B(ENODEV) | B(ENXIO) | B(EBUSY) | B(EINVAL);
	case KVM_ARM_VCPU_PMU_V3_SET_PMU:		/* 1.4 */
		return B(EBUSY) | B(EFAULT) | B(ENXIO) | B(ENODEV) | B(ENOMEM);
	case KVM_ARM_VCPU_PMU_V3_SET_NR_COUNTERS:	/* 1.5 */
		return B(EBUSY) | B(EFAULT) | B(ENODEV) | B(EINVAL);
	case KVM_ARM_VCPU_PMU_V3_FIXED_COUNTERS_ONLY:	/* 1.6 */
		return B(EBUSY) | B(EINVAL) | B(ENODEV);
	}
	return 0;
}

/*
 * Known upstream gaps: errnos that code the series does not change returns and the
 * documentation does not list. SET FILTER: copy_from_user() of the filter fails with
 * EFAULT (1.3 lists no EFAULT). SET INIT: an SPI accepted by SET IRQ (any of 32-1019)
 * beyond the vGIC's SPIs fails in kvm_vgic_set_owner() with EINVAL (1.2 lists none).
 */
static uint64_t gap(int op, uint64_t attr)
{
	if (op != OP_SET)
		return 0;
	if (attr == KVM_ARM_VCPU_PMU_V3_FILTER)
		return B(EFAULT);
	if (attr == KVM_ARM_VCPU_PMU_V3_INIT)
		return B(EINVAL);
	return 0;
}

static const char *ename(int e)
{
	static char buf[16][16];
	static atomic_int k;
	char *b;

	switch (e) {
	case 0: return "0";
	case EBUSY: return "EBUSY";
	case EFAULT: return "EFAULT";
	case ENXIO: return "ENXIO";
	case ENODEV: return "ENODEV";
	case EINVAL: return "EINVAL";
	case EEXIST: return "EEXIST";
	case ENOMEM: return "ENOMEM";
	case EPERM: return "EPERM";
	case EAGAIN: return "EAGAIN";
	case EINTR: return "EINTR";
	}
	b = buf[atomic_fetch_add(&k, 1) & 15];
	snprintf(b, 16, "errno %d", e);
	return b;
}

static atomic_ullong gap_counts[NR_OPS][NR_ATTR_SLOTS];

/* ---- setup ---- */

static int vcpu_attr(int fd, unsigned long req, uint64_t attr, uint64_t addr)
{
	struct kvm_device_attr a = {
		.group = KVM_ARM_VCPU_PMU_V3_CTRL, .attr = attr, .addr = addr,
	};

	return ioctl(fd, req, &a) ? -errno : 0;
}

static void vm_setup(struct fvm *v)
{
	struct kvm_vcpu_init init;
	int i, irq = PMU_IRQ, runsz;

	atomic_store(&v->has_run, 0);
	atomic_store(&v->have_first, 0);
	atomic_store(&v->fixed_get_set, 0);
	atomic_store(&v->nr_after_run, 0);
	atomic_store(&v->nr_inflight, 0);
	atomic_store(&v->change_reported, 0);
	v->vm = ioctl(kvm_fd, KVM_CREATE_VM, 0);
	if (v->vm < 0)
		die("KVM_CREATE_VM");
	v->ram = guest_ram_create(v->vm, MAP_PRIVATE, fuzz_guest_start,
				  fuzz_guest_end - fuzz_guest_start);
	if (ioctl(v->vm, KVM_ARM_PREFERRED_TARGET, &init))
		die("KVM_ARM_PREFERRED_TARGET");
	if (v->pmu)
		init.features[0] |= 1U << KVM_ARM_VCPU_PMU_V3;
	if (v->strict)
		init.features[0] |= 1U << KVM_ARM_VCPU_PMU_V3_STRICT;
	runsz = ioctl(kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	for (i = 0; i < NR_VCPUS; i++) {
		v->vcpu[i] = ioctl(v->vm, KVM_CREATE_VCPU, i);
		if (v->vcpu[i] < 0)
			die("KVM_CREATE_VCPU");
		v->run[i] = mmap(NULL, runsz, PROT_READ | PROT_WRITE, MAP_SHARED,
				 v->vcpu[i], 0);
		if (v->run[i] == MAP_FAILED)
			die("mmap kvm_run");
		if (ioctl(v->vcpu[i], KVM_ARM_VCPU_INIT, &init))
			die("KVM_ARM_VCPU_INIT (VM %s)", v->name);
		vcpu_set_reg(v->vcpu[i], CORE_REG(regs.pc), GUEST_RAM);
		vcpu_set_reg(v->vcpu[i], CORE_REG(regs.regs[0]), DOORBELL);
		vcpu_set_reg(v->vcpu[i], CORE_REG(regs.regs[1]), 20000);
	}
	v->gic = v->irqchip ? vgic_create(v->vm) : -1;
	if (v->fixed && has_fixed &&
	    vcpu_attr(v->vcpu[0], KVM_SET_DEVICE_ATTR,
		      KVM_ARM_VCPU_PMU_V3_FIXED_COUNTERS_ONLY, 0))
		die("FIXED_COUNTERS_ONLY (VM %s)", v->name);
	if (v->run_early) {
		if (vcpu_attr(v->vcpu[0], KVM_SET_DEVICE_ATTR, KVM_ARM_VCPU_PMU_V3_IRQ,
			      (uint64_t)(unsigned long)&irq))
			die("KVM_ARM_VCPU_PMU_V3_IRQ (VM %s)", v->name);
		if (vcpu_attr(v->vcpu[0], KVM_SET_DEVICE_ATTR, KVM_ARM_VCPU_PMU_V3_INIT, 0))
			die("KVM_ARM_VCPU_PMU_V3_INIT (VM %s)", v->name);
	}
}

static void vm_teardown(struct fvm *v)
{
	int i, runsz = ioctl(kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);

	for (i = 0; i < NR_VCPUS; i++) {
		munmap(v->run[i], runsz);
		close(v->vcpu[i]);
	}
	if (v->gic >= 0)
		close(v->gic);
	close(v->vm);
	munmap(v->ram, GUEST_RAM_SIZE);
}

/* May the known SET_NR_COUNTERS bug have changed the VM's PMCR_EL0.N (tolerated)? */
static int nr_changed(struct fvm *v)
{
	return atomic_load(&tolerate_nr) &&
	       (atomic_load(&v->nr_after_run) || atomic_load(&v->nr_inflight));
}

/* ---- the running vCPUs ---- */

static int get_fixed(struct fvm *v)
{
	return vcpu_attr(v->vcpu[0], KVM_GET_DEVICE_ATTR,
			 KVM_ARM_VCPU_PMU_V3_FIXED_COUNTERS_ONLY, 0);
}

/*
 * Runs vCPU 0 until @end (or the end of the test) and checks what its guest reports.
 * Returns 0, or the errno of a first KVM_RUN that failed.
 */
static int run_vcpu0(struct fvm *v, double end)
{
	struct kvm_run *r = v->run[0];
	uint64_t val, last_cc = 0;
	int k = 0;

	while (!atomic_load(&stop) && now() < end) {
		if (ioctl(v->vcpu[0], KVM_RUN, 0)) {
			if (errno == EINTR)
				continue;
			if (!atomic_load(&v->has_run))
				return errno;
			violation("VM %s (generation %d): KVM_RUN after it ran: %s", v->name,
				  v->gen, ename(errno));
			return 0;
		}
		atomic_store(&v->has_run, 1);
		/*
		 * SET_PMU (which the fuzz may have set on C or F) confines the vCPU to
		 * the PMU's CPUs (vcpu.rst 1.4); FIXED_COUNTERS_ONLY never does (1.6).
		 */
		if (r->exit_reason == KVM_EXIT_FAIL_ENTRY &&
		    r->fail_entry.hardware_entry_failure_reason ==
		    KVM_EXIT_FAIL_ENTRY_CPU_UNSUPPORTED && !v->run_early &&
		    get_fixed(v) == -ENXIO) {
			atomic_fetch_add(&cpu_unsupported, 1);
			usleep(1000);
			continue;
		}
		if (r->exit_reason != KVM_EXIT_MMIO || !r->mmio.is_write ||
		    r->mmio.phys_addr != DOORBELL || r->mmio.len != 8) {
			violation("VM %s (generation %d): unexpected exit %u%s", v->name, v->gen,
				  r->exit_reason,
				  r->exit_reason == KVM_EXIT_FAIL_ENTRY ? " (FAIL_ENTRY)" : "");
			return 0;
		}
		memcpy(&val, r->mmio.data, 8);
		if (k == 3) {
			if (val < last_cc)
				violation("VM %s: PMCCNTR_EL0 went back from %llu to %llu",
					  v->name, (unsigned long long)last_cc,
					  (unsigned long long)val);
			last_cc = val;
		} else if (!atomic_load(&v->have_first)) {
			v->first[k] = val;
			if (k == 2) {
				int g = get_fixed(v);

				atomic_store(&v->fixed_get, g);
				atomic_store(&v->fixed_get_set, 1);
				atomic_store(&v->have_first, 1);
				/* vcpu.rst 1.6: what the guest sees in fixed-counters mode */
				if (!g && (PMCR_N(v->first[0]) || v->first[1] & ~(1ULL << 17) ||
					   v->first[2]))
					violation("VM %s (generation %d) has FIXED_COUNTERS_ONLY but its guest sees PMCR_EL0.N %llu, PMCEID0_EL0 %#llx, PMCEID1_EL0 %#llx (documented: 0, CPU_CYCLES at most, 0)",
						  v->name, v->gen,
						  (unsigned long long)PMCR_N(v->first[0]),
						  (unsigned long long)v->first[1],
						  (unsigned long long)v->first[2]);
				if (v->gen > 1 && atomic_fetch_add(&late_printed, 1) >= 6)
					goto next;
				printf("VM %s (generation %d) runs: guest sees PMCR_EL0 %#llx (N %llu), PMCEID0_EL0 %#llx, PMCEID1_EL0 %#llx; GET FIXED_COUNTERS_ONLY %s\n",
				       v->name, v->gen, (unsigned long long)v->first[0],
				       (unsigned long long)PMCR_N(v->first[0]),
				       (unsigned long long)v->first[1],
				       (unsigned long long)v->first[2], ename(-g));
			}
		} else {
			uint64_t want = v->first[k], got = val;

			if (k == 0) {
				want = PMCR_N(want);
				got = PMCR_N(got);
			}
			if (want != got && k == 0 && nr_changed(v))
				atomic_fetch_add(&known_nr_seen, 1);
			else if (want != got && !atomic_exchange(&v->change_reported, 1))
				violation("VM %s (generation %d): the guest's %s changed after its first run: %#llx, then %#llx (reported once per VM)",
					  v->name, v->gen,
					  k == 0 ? "PMCR_EL0.N" : k == 1 ? "PMCEID0_EL0" : "PMCEID1_EL0",
					  (unsigned long long)want, (unsigned long long)got);
		}
next:
		k = (k + 1) % 4;
	}
	return 0;
}

static void *early_runner(void *arg)
{
	struct fvm *v = arg;

	pthread_rwlock_rdlock(&v->lock);
	if (run_vcpu0(v, 1e18))
		violation("VM %s: first KVM_RUN: %s", v->name, ename(errno));
	pthread_rwlock_unlock(&v->lock);
	return NULL;
}

static void sleep_until(double t)
{
	while (!atomic_load(&stop) && now() < t)
		usleep(10000);
}

/* C to F: a new VM every gen_s; the late ones run vCPU 0 in the second half. */
static void *lifecycle(void *arg)
{
	struct fvm *v = arg;

	while (!atomic_load(&stop)) {
		double t = now();

		pthread_rwlock_wrlock(&v->lock);
		vm_setup(v);
		v->gen++;
		v->alive = 1;
		pthread_rwlock_unlock(&v->lock);
		atomic_fetch_add(&generations, 1);

		sleep_until(t + gen_s / 2);
		if (v->run_late && !atomic_load(&stop)) {
			int irq = PMU_IRQ, e1, e2, e3;

			pthread_rwlock_rdlock(&v->lock);
			e1 = vcpu_attr(v->vcpu[0], KVM_SET_DEVICE_ATTR, KVM_ARM_VCPU_PMU_V3_IRQ,
				       (uint64_t)(unsigned long)&irq);
			e2 = vcpu_attr(v->vcpu[0], KVM_SET_DEVICE_ATTR,
				       KVM_ARM_VCPU_PMU_V3_INIT, 0);
			e3 = run_vcpu0(v, t + gen_s);
			if (e3)
				atomic_fetch_add(&late_refused[e3 == EINVAL ? 0 : 1], 1);
			else
				atomic_fetch_add(&late_runs, 1);
			if (atomic_fetch_add(&late_printed, 1) < 6)
				printf("late run of VM %s (generation %d): SET IRQ %s, SET INIT %s, KVM_RUN %s\n",
				       v->name, v->gen, ename(-e1), ename(-e2),
				       e3 ? ename(e3) : "ran");
			pthread_rwlock_unlock(&v->lock);
		}
		sleep_until(t + gen_s);

		pthread_rwlock_wrlock(&v->lock);
		v->alive = 0;
		vm_teardown(v);
		pthread_rwlock_unlock(&v->lock);
	}
	return NULL;
}

/* ---- the fuzz ---- */

struct payload {
	uint64_t addr;
	const char *what;
	uint64_t val;
};

static void make_payload(uint64_t *s, uint64_t attr, uint64_t *buf, struct payload *p)
{
	int kind = rnd(s) % 12;

	memset(buf, 0, 64);
	p->val = 0;
	p->addr = (uint64_t)(unsigned long)buf;
	switch (kind) {
	case 0:
		p->addr = 0;
		p->what = "NULL";
		return;
	case 1:
		p->addr = (uint64_t)(unsigned long)bad_page + (rnd(s) % 4096);
		p->what = "unmapped";
		return;
	case 2:
		p->addr = 0xffff800008000000ULL + (rnd(s) & 0xfff8);
		p->what = "kernel address";
		return;
	case 3:
		p->addr = (uint64_t)(unsigned long)ro_page;
		p->what = "read-only page of zeros";
		return;
	case 4:
		p->val = rnd(s);
		p->what = "random value";
		break;
	case 5:
		p->val = rnd(s) % 10;
		p->what = "small value";
		break;
	case 6:
		p->val = rnd(s) % 3 ? PMU_IRQ : 16 + rnd(s) % 16;
		p->what = "PPI";
		break;
	case 7:
		p->val = rnd(s) % 2 ? 32 + rnd(s) % 224 : 32 + rnd(s) % 988;
		p->what = "SPI";
		break;
	case 8:
		p->val = nr_pmus ? (uint64_t)pmus[rnd(s) % nr_pmus].type : 0;
		p->what = "host PMU id";
		break;
	case 9: {
		struct kvm_pmu_event_filter f = {
			.base_event = rnd(s) % 2 ? rnd(s) % 0x40 : rnd(s),
			.nevents = rnd(s) % 2 ? rnd(s) % 0x40 : rnd(s),
			.action = rnd(s) % 3,
		};

		memcpy(buf, &f, sizeof(f));
		p->val = *(uint64_t *)buf;
		p->what = "filter";
		return;
	}
	default:
		p->addr = attr == KVM_ARM_VCPU_PMU_V3_FIXED_COUNTERS_ONLY && rnd(s) % 2 ?
			  0 : rnd(s) | 1;
		p->val = p->addr;
		p->what = "raw addr";
		return;
	}
	buf[0] = p->val;
}

static const uint64_t unknown_attrs[] = { 6, 7, 64, 0xffffffffULL, 1ULL << 32, ~0ULL };

static void check_result(int op, struct fvm *v, int c, uint64_t attr, int ran,
			 const struct payload *p, int err)
{
	uint64_t ok = allowed(op, attr), g = gap(op, attr);
	int slot = attr_slot(attr);

	atomic_fetch_add(&counts[op][slot][res_slot(err)], 1);
	if (err && !(ok & B(err))) {
		if ((g & B(err)) && !strict_doc) {
			atomic_fetch_add(&gap_counts[op][slot], 1);
			return;
		}
		violation("%s %s (attr %#llx) on VM %s vCPU %d, payload %s %#llx: %s is not documented%s",
			  op_name[op], attr_name[slot], (unsigned long long)attr, v->name, c,
			  p->what, (unsigned long long)p->val, ename(err),
			  g & B(err) ? " (known upstream gap; --strict)" : "");
		return;
	}
	if (op == OP_HAS) {
		int want = known(attr) && v->pmu ? 0 : ENXIO;

		if (err != want)
			violation("HAS %s on VM %s vCPU %d: %s, expected %s", attr_name[slot],
				  v->name, c, ename(err), ename(want));
		return;
	}
	if (op == OP_SET && !err && ran && attr == KVM_ARM_VCPU_PMU_V3_SET_NR_COUNTERS &&
	    atomic_load(&tolerate_nr)) {
		atomic_store(&v->nr_after_run, 1);
		atomic_fetch_add(&known_nr_set, 1);
		return;
	}
	if (op == OP_SET && !err && ran &&
	    (attr == KVM_ARM_VCPU_PMU_V3_FILTER || attr == KVM_ARM_VCPU_PMU_V3_SET_PMU ||
	     attr == KVM_ARM_VCPU_PMU_V3_SET_NR_COUNTERS ||
	     attr == KVM_ARM_VCPU_PMU_V3_FIXED_COUNTERS_ONLY))
		violation("SET %s on VM %s vCPU %d, payload %s %#llx, succeeded after a vCPU of the VM ran (documented: EBUSY)",
			  attr_name[slot], v->name, c, p->what, (unsigned long long)p->val);
	if (op == OP_GET && attr == KVM_ARM_VCPU_PMU_V3_FIXED_COUNTERS_ONLY && ran &&
	    c == 0 && atomic_load(&v->fixed_get_set) && -atomic_load(&v->fixed_get) != err)
		violation("GET FIXED_COUNTERS_ONLY on VM %s changed after its first run: %s, then %s",
			  v->name, ename(-atomic_load(&v->fixed_get)), ename(err));
}

static void one_reg_check(struct fvm *v)
{
	uint64_t val;
	struct kvm_one_reg r = { .id = SYSREG_PMCR_EL0, .addr = (uint64_t)(unsigned long)&val };

	if (!atomic_load(&v->have_first))
		return;
	if (ioctl(v->vcpu[0], KVM_GET_ONE_REG, &r)) {
		violation("VM %s: KVM_GET_ONE_REG PMCR_EL0: %s", v->name, ename(errno));
		return;
	}
	atomic_fetch_add(&onereg_reads, 1);
	if (PMCR_N(val) != PMCR_N(v->first[0]) && nr_changed(v))
		atomic_fetch_add(&known_nr_seen, 1);
	else if (PMCR_N(val) != PMCR_N(v->first[0]) && !atomic_exchange(&v->change_reported, 1))
		violation("VM %s (generation %d): KVM_GET_ONE_REG PMCR_EL0.N is %llu after the guest first saw %llu (reported once per VM)",
			  v->name, v->gen, (unsigned long long)PMCR_N(val),
			  (unsigned long long)PMCR_N(v->first[0]));
}

static void *fuzzer(void *arg)
{
	uint64_t s = seed * 0x9e3779b97f4a7c15ULL + (uintptr_t)arg * 0xbf58476d1ce4e5b9ULL + 1;
	uint64_t buf[8];
	unsigned long long n = 0;

	while (!atomic_load(&stop)) {
		struct fvm *v = &vms[rnd(&s) % nr_vms_used];
		int c = rnd(&s) % NR_VCPUS, op, ran, err, kind = rnd(&s) % 100;
		uint64_t attr, pick = rnd(&s) % 16;
		unsigned long req;
		struct kvm_device_attr a;
		struct payload p;

		attr = pick < 7 ? pick % 6 : pick < 14 ? (pick - 7) % 6 :
		       unknown_attrs[rnd(&s) % 6];
		switch (rnd(&s) % 8) {
		case 0: case 1: case 2: case 3:
			op = OP_SET; req = KVM_SET_DEVICE_ATTR; break;
		case 4: case 5:
			op = OP_GET; req = KVM_GET_DEVICE_ATTR; break;
		default:
			op = OP_HAS; req = KVM_HAS_DEVICE_ATTR; break;
		}
		make_payload(&s, attr, buf, &p);
		pthread_rwlock_rdlock(&v->lock);
		if (!v->alive) {
			pthread_rwlock_unlock(&v->lock);
			continue;
		}
		if (kind < 2) {
			one_reg_check(v);
			pthread_rwlock_unlock(&v->lock);
			continue;
		}
		a = (struct kvm_device_attr) {
			.group = KVM_ARM_VCPU_PMU_V3_CTRL, .attr = attr, .addr = p.addr,
		};
		ran = atomic_load(&v->has_run);
		if (kind == 2) {
			/* The struct itself unreadable */
			err = ioctl(v->vcpu[c], req, bad_page) ? errno : 0;
			if (err != EFAULT)
				violation("%s with an unreadable struct kvm_device_attr: %s",
					  op_name[op], ename(err));
			atomic_fetch_add(&struct_efault, 1);
			pthread_rwlock_unlock(&v->lock);
			n++;
			continue;
		}
		if (op == OP_SET && attr == KVM_ARM_VCPU_PMU_V3_SET_NR_COUNTERS)
			atomic_fetch_add(&v->nr_inflight, 1);
		err = ioctl(v->vcpu[c], req, &a) ? errno : 0;
		check_result(op, v, c, attr, ran, &p, err);
		/* A's and B's vCPU 0 were given PPI 23 before they ran: GET must say so. */
		if (op == OP_GET && attr == KVM_ARM_VCPU_PMU_V3_IRQ && !err && v->run_early &&
		    c == 0 && p.addr == (uint64_t)(unsigned long)buf) {
			int irq;

			memcpy(&irq, buf, sizeof(irq));
			if (irq != PMU_IRQ)
				violation("GET IRQ on VM %s vCPU 0: %d, set to %d before it ran",
					  v->name, irq, PMU_IRQ);
		}
		if (op == OP_SET && attr == KVM_ARM_VCPU_PMU_V3_SET_NR_COUNTERS)
			atomic_fetch_sub(&v->nr_inflight, 1);
		pthread_rwlock_unlock(&v->lock);
		n++;
	}
	atomic_fetch_add(&nr_ops, n);
	return NULL;
}

/* The guest's next report of PMCR_EL0 (its loop reports four values; the first is it). */
static uint64_t guest_pmcr(struct fvm *v, int *k)
{
	struct kvm_run *r = v->run[0];
	uint64_t val;

	for (;;) {
		if (ioctl(v->vcpu[0], KVM_RUN, 0)) {
			if (errno == EINTR)
				continue;
			die("KVM_RUN (directed check)");
		}
		if (r->exit_reason != KVM_EXIT_MMIO || r->mmio.phys_addr != DOORBELL) {
			errno = 0;
			die("unexpected exit %u (directed check)", r->exit_reason);
		}
		memcpy(&val, r->mmio.data, 8);
		if ((*k)++ % 4 == 0)
			return val;
	}
}

/*
 * The known SET_NR_COUNTERS bug, step by step: vCPU 0 runs, then SET_NR_COUNTERS
 * through vCPU 1 (PMU not initialized) asks for one counter fewer.
 */
static void directed_nr(void)
{
	struct fvm v = { .name = "directed", .pmu = 1, .irqchip = 1, .run_early = 1 };
	uint64_t before, after;
	unsigned int n;
	int k = 0, err;

	vm_setup(&v);
	before = guest_pmcr(&v, &k);
	n = PMCR_N(before) ? PMCR_N(before) - 1 : 0;
	err = vcpu_attr(v.vcpu[1], KVM_SET_DEVICE_ATTR, KVM_ARM_VCPU_PMU_V3_SET_NR_COUNTERS,
			(uint64_t)(unsigned long)&n);
	after = guest_pmcr(&v, &k);
	printf("directed: vCPU 0 ran (its guest sees PMCR_EL0.N %llu); SET_NR_COUNTERS %u through vCPU 1: %s; vCPU 0's guest then sees PMCR_EL0.N %llu\n",
	       (unsigned long long)PMCR_N(before), n, ename(-err),
	       (unsigned long long)PMCR_N(after));
	if (!err || PMCR_N(after) != PMCR_N(before)) {
		if (atomic_load(&tolerate_nr))
			printf("directed: the known upstream bug (tolerated: --tolerate-nr-after-run)\n");
		else
			violation("directed: SET_NR_COUNTERS after a vCPU ran: %s, guest PMCR_EL0.N %llu -> %llu (vcpu.rst 1.5: EBUSY)",
				  ename(-err), (unsigned long long)PMCR_N(before),
				  (unsigned long long)PMCR_N(after));
	}
	vm_teardown(&v);
}

static void print_counts(void)
{
	int op, a, r;

	printf("\nresults per ioctl and attribute (count of each result):\n");
	for (op = 0; op < NR_OPS; op++) {
		for (a = 0; a < NR_ATTR_SLOTS; a++) {
			char line[512];
			int len = 0;

			for (r = 0; r < NR_RES; r++) {
				unsigned long long n = atomic_load(&counts[op][a][r]);

				if (n)
					len += snprintf(line + len, sizeof(line) - len, " %s=%llu",
							r < NR_RES - 1 ? ename(errnos[r]) : "other", n);
			}
			if (len)
				printf("  %s %-19s%s\n", op_name[op], attr_name[a], line);
		}
	}
	printf("  unreadable struct kvm_device_attr: EFAULT x%llu; KVM_GET_ONE_REG PMCR_EL0 checks: %llu\n",
	       (unsigned long long)atomic_load(&struct_efault),
	       (unsigned long long)atomic_load(&onereg_reads));
	for (op = 0; op < NR_OPS; op++)
		for (a = 0; a < NR_ATTR_SLOTS; a++)
			if (atomic_load(&gap_counts[op][a]))
				printf("  known upstream gap: %s %s returned an undocumented errno %llu time(s) (see gap())\n",
				       op_name[op], attr_name[a],
				       (unsigned long long)atomic_load(&gap_counts[op][a]));
}

static void usage(const char *prog)
{
	fprintf(stderr, "usage: %s [--seed N] [--time S] [--gen S] [--threads N] [--strict] [--tolerate-nr-after-run]\n",
		prog);
	exit(2);
}

int main(int argc, char **argv)
{
	pthread_t fz[MAX_THREADS], rn[NR_VMS];
	int has_rn[NR_VMS] = { 0 };
	pthread_rwlockattr_t la;
	double t0;
	int i, probe;

	seed = (unsigned long long)time(NULL) ^ ((unsigned long long)getpid() << 20);
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--strict")) {
			strict_doc = 1;
			continue;
		}
		if (!strcmp(argv[i], "--tolerate-nr-after-run")) {
			atomic_store(&tolerate_nr, 1);
			continue;
		}
		if (i + 1 >= argc)
			usage(argv[0]);
		if (!strcmp(argv[i], "--seed"))
			seed = strtoull(argv[i + 1], NULL, 0);
		else if (!strcmp(argv[i], "--time"))
			duration = atof(argv[i + 1]);
		else if (!strcmp(argv[i], "--gen"))
			gen_s = atof(argv[i + 1]);
		else if (!strcmp(argv[i], "--threads"))
			nr_threads = atoi(argv[i + 1]);
		else
			usage(argv[0]);
		i++;
	}
	if (nr_threads < 1 || nr_threads > MAX_THREADS)
		usage(argv[0]);
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("seed %llu (replay: --seed %llu), %.0f s, %d fuzz threads, VMs C-F renewed every %.1f s\n",
	       seed, seed, duration, nr_threads, gen_s);
	find_pmus();

	bad_page = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ro_page = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (bad_page == MAP_FAILED || ro_page == MAP_FAILED)
		die("mmap");
	kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm_fd < 0)
		die("/dev/kvm");
	has_strict = ioctl(kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_ARM_PMU_V3_STRICT) > 0;

	/* Does this kernel have FIXED_COUNTERS_ONLY? Asked on a scratch VM. */
	{
		struct fvm scratch = { .name = "probe", .pmu = 1, .irqchip = 1 };

		vm_setup(&scratch);
		probe = vcpu_attr(scratch.vcpu[0], KVM_HAS_DEVICE_ATTR,
				  KVM_ARM_VCPU_PMU_V3_FIXED_COUNTERS_ONLY, 0);
		has_fixed = probe == 0;
		vm_teardown(&scratch);
	}
	printf("kernel: FIXED_COUNTERS_ONLY %s, SET_NR_COUNTERS %s (uapi), KVM_ARM_VCPU_PMU_V3_STRICT %s; %d host PMU(s)\n",
	       has_fixed ? "offered" : "not offered (HAS: ENXIO)",
	       HAVE_NR_COUNTERS ? "defined" : "not defined", has_strict ? "offered" : "not offered",
	       nr_pmus);

	directed_nr();

	/* Writers first: the fuzz threads would starve a VM's renewal. */
	pthread_rwlockattr_init(&la);
	pthread_rwlockattr_setkind_np(&la, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	nr_vms_used = has_strict ? NR_VMS : NR_VMS - 1;
	for (i = 0; i < nr_vms_used; i++) {
		pthread_rwlock_init(&vms[i].lock, &la);
		printf("VM %s: %s%s%s, %s%s%s\n", vms[i].name,
		       vms[i].pmu ? "PMUv3" : "no PMUv3", vms[i].strict ? " STRICT" : "",
		       vms[i].fixed && has_fixed ? " FIXED_COUNTERS_ONLY" : "",
		       vms[i].irqchip ? "vGICv3" : "no irqchip",
		       vms[i].run_early ? ", vCPU 0 runs from the start" : ", renewed",
		       vms[i].run_late ? ", vCPU 0 run late" : "");
		if (vms[i].run_early) {
			vm_setup(&vms[i]);
			vms[i].gen = 1;
			vms[i].alive = 1;
		}
	}

	t0 = now();
	for (i = 0; i < nr_vms_used; i++) {
		if (pthread_create(&rn[i], NULL, vms[i].run_early ? early_runner : lifecycle,
				   &vms[i]))
			die("pthread_create");
		has_rn[i] = 1;
	}
	/* The early runners' guests report what they see before the fuzz starts. */
	for (i = 0; i < nr_vms_used; i++)
		while (vms[i].run_early && !atomic_load(&vms[i].have_first) &&
		       !atomic_load(&violations) && now() < t0 + 30)
			usleep(1000);
	for (i = 0; i < nr_threads; i++)
		if (pthread_create(&fz[i], NULL, fuzzer, (void *)(uintptr_t)i))
			die("pthread_create");
	while (now() < t0 + duration)
		usleep(50000);
	atomic_store(&stop, 1);
	for (i = 0; i < nr_threads; i++)
		pthread_join(fz[i], NULL);
	for (i = 0; i < nr_vms_used; i++)
		if (has_rn[i])
			pthread_join(rn[i], NULL);

	/* The running guests' view, once more, after the fuzz. */
	for (i = 0; i < nr_vms_used; i++)
		if (vms[i].alive)
			one_reg_check(&vms[i]);
	printf("\n%d VM generations of C-F; late runs: %d ran, %d refused with EINVAL, %d with another errno; %d KVM_EXIT_FAIL_ENTRY (CPU_UNSUPPORTED) after a SET_PMU\n",
	       atomic_load(&generations), atomic_load(&late_runs),
	       atomic_load(&late_refused[0]), atomic_load(&late_refused[1]),
	       atomic_load(&cpu_unsupported));
	if (atomic_load(&known_nr_set))
		printf("known upstream bug (tolerated: --tolerate-nr-after-run): SET_NR_COUNTERS through a vCPU whose PMU is not initialized succeeded %d time(s) after another vCPU of the VM ran, and the running guests then saw another PMCR_EL0.N %d time(s)\n",
		       atomic_load(&known_nr_set), atomic_load(&known_nr_seen));

	print_counts();
	printf("\nseed %llu: %llu operations in %.1f s, %d violation(s)%s\n", seed,
	       (unsigned long long)atomic_load(&nr_ops), now() - t0, atomic_load(&violations),
	       atomic_load(&violations) > verbose_max ? " (the first ones printed)" : "");
	printf("%s\n", atomic_load(&violations) ? "FAIL" : "PASS");
	return atomic_load(&violations) ? 1 : 0;
}
