// SPDX-License-Identifier: GPL-2.0
/*
 * pmu-nopmu: KVM_ARM_VCPU_PMU_V3_FIXED_COUNTERS_ONLY on a host where a cluster has no
 * PMU (the rig's TOPO=2n: CPUs 2-3 without a PMU node). Prints KTAP, one result per
 * scenario; exits 1 if one failed, 4 if none could run (every online CPU has a PMU,
 * or the kernel does not offer the attribute), else 0.
 *
 *  attr_enodev        setting the attribute fails with ENODEV while an online CPU has
 *                     no PMU; KVM_HAS_DEVICE_ATTR still offers it, and
 *                     KVM_GET_DEVICE_ATTR says it is not set (ENXIO)
 *  default_pmu        as upstream: KVM's default PMU (the first cluster's) counts on
 *                     its CPUs; the vCPU runs on a PMU-less CPU, where it does not count
 *  init_on_nopmu      as upstream: KVM_ARM_VCPU_INIT with PMUv3 on a PMU-less CPU fails
 *                     with ENODEV (no default PMU there)
 *  offline_set        with the PMU-less CPUs off line, setting the attribute works; back
 *                     on line, the counter counts on the PMU CPUs, the vCPU runs on the
 *                     PMU-less ones without counting there (documented), and a new VM
 *                     gets ENODEV again
 *  first_nopmu        the attribute set with the PMU-less CPUs off line, then the guest
 *                     enabling the counter on a PMU-less CPU first (its first entry): it
 *                     must count once the vCPU runs on a PMU CPU
 *  strict_first_nopmu the same with KVM_ARM_VCPU_PMU_V3_STRICT (no default PMU)
 *  strict_thread_nopmu STRICT too: the counter counts on a PMU CPU, then KVM_RUN moves
 *                     to another thread on a PMU-less CPU and back: it must count again
 *
 * -e ERRNO: the errno attr_enodev expects (default ENODEV; for showing it fail).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include "cpu-hotplug.h"
#include "vmm.h"

extern const char pmu_hop_guest_start[], pmu_hop_guest_end[];

static unsigned long spin = 2000000;
static int expect_errno = ENODEV;
static int pmu_cpu, nopmu_cpu, nr_test, failed, passed;
static cpu_set_t nopmu;

/* One scenario's verdict: 0 pass, 1 fail, 4 skip (with a reason). */
static void result(const char *name, int r, const char *why)
{
	nr_test++;
	if (r == 4)
		printf("ok %d %s # SKIP %s\n", nr_test, name, why);
	else
		printf("%sok %d %s\n", r ? "not " : "", nr_test, name);
	failed += r == 1;
	passed += r == 0;
}

static int check(int cond, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int check(int cond, const char *fmt, ...)
{
	va_list ap;

	if (cond)
		return 0;
	printf("  FAIL: ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	return 1;
}

/*
 * A VM with one vCPU and the guest of pmu-hop, up to KVM_ARM_VCPU_INIT (PMUv3, and
 * STRICT if asked) on the CPU the thread runs on; returns its errno, 0 if it worked.
 */
static int hop_vm_open(struct vm *v, int strict)
{
	uint32_t features = 0;

#ifdef KVM_ARM_VCPU_PMU_V3_STRICT
	if (strict)
		features = 1U << KVM_ARM_VCPU_PMU_V3_STRICT;
#else
	(void)strict;
#endif
	return vm_open(v, features, pmu_hop_guest_start, pmu_hop_guest_end - pmu_hop_guest_start);
}

/* The PMU's interrupt, KVM_ARM_VCPU_PMU_V3_INIT and the guest's registers. */
static void vm_finish(struct vm *v)
{
	struct kvm_one_reg r;
	uint64_t val;

	vm_pmu_init(v);
	val = GUEST_RAM;
	r = (struct kvm_one_reg) { .id = CORE_REG(regs.pc), .addr = (uint64_t)(unsigned long)&val };
	if (ioctl(v->vcpu, KVM_SET_ONE_REG, &r))
		die("set pc");
	vm_set_xreg(v, 0, DOORBELL);
	vm_set_xreg(v, 1, spin);
}

/* The attribute set (0) or its errno. */
static int set_fixed(struct vm *v)
{
	return vcpu_pmu_attr(v->vcpu, KVM_SET_DEVICE_ATTR,
			     KVM_ARM_VCPU_PMU_V3_FIXED_COUNTERS_ONLY, NULL) ? errno : 0;
}

/*
 * Runs the guest on @cpu for two samples; 0 with what the counter advanced in *delta,
 * or 1 if KVM refused the CPU.
 */
static int sample(struct vm *v, int cpu, uint64_t *delta)
{
	uint64_t a, b;
	int fcpu;

	pin(cpu);
	if (vm_run(v, &a, &fcpu) || vm_run(v, &b, &fcpu)) {
		printf("  cpu %d: KVM_EXIT_FAIL_ENTRY (cpu %d)\n", cpu, fcpu);
		return 1;
	}
	*delta = b - a;
	printf("  cpu %d%s: PMCCNTR_EL0 advanced by %lld\n", cpu,
	       CPU_ISSET(cpu, &nopmu) ? " (no PMU)" : "", (long long)(b - a));
	return 0;
}

/*
 * The guest counts on the PMU CPU, runs without counting on the PMU-less one, and
 * counts again on the PMU CPU. Returns how many expectations failed.
 */
static int hop_check(struct vm *v)
{
	uint64_t d;
	int bad = 0;

	bad += check(!sample(v, pmu_cpu, &d), "refused on PMU CPU %d", pmu_cpu) ||
	       check(d > 0 && (int64_t)d > 0, "no count on PMU CPU %d", pmu_cpu);
	bad += check(!sample(v, nopmu_cpu, &d), "refused on PMU-less CPU %d", nopmu_cpu) ||
	       check(d == 0, "counted %lld on PMU-less CPU %d", (long long)d, nopmu_cpu);
	bad += check(!sample(v, pmu_cpu, &d), "refused on PMU CPU %d", pmu_cpu) ||
	       check(d > 0 && (int64_t)d > 0, "no count on PMU CPU %d after the PMU-less one",
		     pmu_cpu);
	return bad;
}

static int set_nopmu_online(int on)
{
	int cpu;

	for (cpu = 0; cpu < CPU_SETSIZE; cpu++) {
		if (!CPU_ISSET(cpu, &nopmu))
			continue;
		if (cpu_set_online(cpu, on)) {
			printf("  cpu%d/online <- %d: %s\n", cpu, on, strerror(errno));
			return -1;
		}
	}
	printf("  PMU-less CPUs %s\n", on ? "back on line" : "off line");
	return 0;
}

/*
 * Whether scenario @name, which sets the attribute with the PMU-less CPUs off line, can
 * run; if not, reports it skipped (and why) and returns 0.
 */
static int can_set_offline(const char *name, int has_attr, int can_offline)
{
	if (!has_attr) {
		result(name, 4, "the kernel does not offer the attribute");
		return 0;
	}
	if (!can_offline) {
		result(name, 4, "a PMU-less CPU cannot go off line");
		return 0;
	}
	return 1;
}

/*
 * The start of the *_nopmu scenarios: the VM made (with STRICT if asked: no default PMU)
 * and the attribute set on the PMU CPU while the PMU-less CPUs are off line, then those
 * back on line. Returns 0 with the VM ready to run (vm_finish() done), else 1 (a failed
 * expectation, printed). The caller destroys the VM either way.
 */
static int open_fixed_offline(struct vm *v, int strict)
{
	int r;

	pin(pmu_cpu);
	if (set_nopmu_online(0))
		die("offlining the PMU-less CPUs");
	r = hop_vm_open(v, strict);
	if (!r)
		r = set_fixed(v);
	if (set_nopmu_online(1))
		die("onlining the PMU-less CPUs");
	if (check(!r, "%sSET with the PMU-less CPUs off line: %s",
		  strict ? "STRICT, then " : "", strerror(r)))
		return 1;
	vm_finish(v);
	return 0;
}

/*
 * The attribute set with the PMU-less CPUs off line (with STRICT if asked: no default
 * PMU), those back on line, and the guest's first entry, where it enables the counter,
 * on a PMU-less CPU: the counter must count once the vCPU runs on a PMU CPU.
 */
static void first_nopmu(const char *name, int strict, int has_attr, int can_offline)
{
	struct vm v;
	uint64_t d;
	int bad;

	if (!can_set_offline(name, has_attr, can_offline))
		return;
	bad = open_fixed_offline(&v, strict);
	if (!bad) {
		bad += check(!sample(&v, nopmu_cpu, &d), "refused on PMU-less CPU %d",
			     nopmu_cpu);
		bad += hop_check(&v);
	}
	vm_destroy(&v);
	result(name, !!bad, NULL);
}

#ifdef KVM_ARM_VCPU_PMU_V3_STRICT
/* A KVM_RUN from another thread, pinned to the PMU-less CPU. */
struct other_run {
	struct vm *v;
	uint64_t d;
	int refused;
};

static void *other_thread(void *arg)
{
	struct other_run *o = arg;

	o->refused = sample(o->v, nopmu_cpu, &o->d);
	return NULL;
}

/*
 * STRICT and the attribute set with the PMU-less CPUs off line, those back on line;
 * the guest counts on a PMU CPU, then KVM_RUN moves to another thread, on a PMU-less
 * CPU (KVM makes the counter's events anew for the new thread there): back on the
 * first thread, on a PMU CPU, the counter must count again.
 */
static void strict_thread_nopmu(int has_attr, int can_offline)
{
	const char *name = "strict_thread_nopmu";
	struct other_run o;
	pthread_t th;
	struct vm v;
	uint64_t d;
	int bad;

	if (!can_set_offline(name, has_attr, can_offline))
		return;
	bad = open_fixed_offline(&v, 1);
	if (!bad) {
		bad += check(!sample(&v, pmu_cpu, &d), "refused on PMU CPU %d", pmu_cpu) ||
		       check(d > 0, "no count on PMU CPU %d", pmu_cpu);
		o.v = &v;
		printf("  KVM_RUN from another thread:\n");
		if (pthread_create(&th, NULL, other_thread, &o))
			die("pthread_create");
		pthread_join(th, NULL);
		bad += check(!o.refused, "refused on PMU-less CPU %d", nopmu_cpu);
		printf("  KVM_RUN from the first thread again:\n");
		bad += check(!sample(&v, pmu_cpu, &d), "refused on PMU CPU %d", pmu_cpu) ||
		       check(d > 0, "no count on PMU CPU %d after a thread change on PMU-less CPU %d",
			     pmu_cpu, nopmu_cpu);
	}
	vm_destroy(&v);
	result(name, !!bad, NULL);
}
#endif

int main(int argc, char **argv)
{
	int opt, has_attr, r, bad, can_offline = 1, cpu;
	struct vm v;

	while ((opt = getopt(argc, argv, "e:s:")) != -1) {
		switch (opt) {
		case 'e':
			expect_errno = atoi(optarg);
			break;
		case 's':
			spin = strtoul(optarg, NULL, 0);
			break;
		default:
			fprintf(stderr, "usage: %s [-e errno] [-s spin]\n", argv[0]);
			return 2;
		}
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	find_pmus();
	uncovered_cpus(&nopmu);
	printf("1..7\n");
	if (!CPU_COUNT(&nopmu)) {
		const char *n[] = { "attr_enodev", "default_pmu", "init_on_nopmu", "offline_set",
				    "first_nopmu", "strict_first_nopmu",
				    "strict_thread_nopmu" };

		for (r = 0; r < 7; r++)
			result(n[r], 4, "every online CPU has a PMU");
		return 4;
	}
	pmu_cpu = pmus[0].cpus[0];
	for (nopmu_cpu = 0; !CPU_ISSET(nopmu_cpu, &nopmu); nopmu_cpu++)
		;
	for (cpu = 0; cpu < CPU_SETSIZE; cpu++)
		if (CPU_ISSET(cpu, &nopmu) && !cpu_can_offline(cpu))
			can_offline = 0;
	printf("# %d host PMU(s), first %s on CPU %d; %d online CPU(s) without a PMU, first %d\n",
	       nr_pmus, pmus[0].name, pmu_cpu, CPU_COUNT(&nopmu), nopmu_cpu);

	/* attr_enodev, then default_pmu on the same VM. */
	pin(pmu_cpu);
	if (hop_vm_open(&v, 0))
		die("KVM_ARM_VCPU_INIT on CPU %d", pmu_cpu);
	has_attr = !vcpu_pmu_attr(v.vcpu, KVM_HAS_DEVICE_ATTR,
				  KVM_ARM_VCPU_PMU_V3_FIXED_COUNTERS_ONLY, NULL);
	if (has_attr) {
		r = set_fixed(&v);
		printf("# SET FIXED_COUNTERS_ONLY with CPUs %d.. on line and no PMU: %s\n",
		       nopmu_cpu, r ? strerror(r) : "0");
		bad = check(r == expect_errno, "SET returned %s, expected %s",
			    r ? strerror(r) : "0", strerror(expect_errno));
		r = vcpu_pmu_attr(v.vcpu, KVM_GET_DEVICE_ATTR,
				  KVM_ARM_VCPU_PMU_V3_FIXED_COUNTERS_ONLY, NULL) ? errno : 0;
		bad += check(r == ENXIO, "GET after the failed SET: %s, expected ENXIO",
			     r ? strerror(r) : "0");
		result("attr_enodev", !!bad, NULL);
	} else {
		result("attr_enodev", 4, "the kernel does not offer the attribute");
	}
	vm_finish(&v);
	result("default_pmu", !!hop_check(&v), NULL);
	vm_destroy(&v);

	/* init_on_nopmu */
	pin(nopmu_cpu);
	r = hop_vm_open(&v, 0);
	printf("# KVM_ARM_VCPU_INIT (PMUv3) on PMU-less CPU %d: %s\n", nopmu_cpu,
	       r ? strerror(r) : "0");
	result("init_on_nopmu", check(r == ENODEV, "expected ENODEV"), NULL);
	vm_destroy(&v);

	/*
	 * offline_set: not open_fixed_offline(), as a VM that cannot be made on the PMU CPU
	 * here (it could be above) is an error, not a failed expectation.
	 */
	if (can_set_offline("offline_set", has_attr, can_offline)) {
		pin(pmu_cpu);
		if (set_nopmu_online(0))
			die("offlining the PMU-less CPUs");
		if (hop_vm_open(&v, 0))
			die("KVM_ARM_VCPU_INIT on CPU %d", pmu_cpu);
		r = set_fixed(&v);
		if (set_nopmu_online(1))
			die("onlining the PMU-less CPUs");
		bad = check(!r, "SET with the PMU-less CPUs off line: %s", strerror(r));
		if (!r) {
			vm_finish(&v);
			bad += hop_check(&v);
		}
		vm_destroy(&v);
		if (hop_vm_open(&v, 0))
			die("KVM_ARM_VCPU_INIT on CPU %d", pmu_cpu);
		r = set_fixed(&v);
		bad += check(r == ENODEV, "SET back on line: %s, expected ENODEV",
			     r ? strerror(r) : "0");
		vm_destroy(&v);
		result("offline_set", !!bad, NULL);
	}

	first_nopmu("first_nopmu", 0, has_attr, can_offline);
#ifdef KVM_ARM_VCPU_PMU_V3_STRICT
	first_nopmu("strict_first_nopmu", 1, has_attr, can_offline);
	strict_thread_nopmu(has_attr, can_offline);
#else
	result("strict_first_nopmu", 4, "the kernel has no KVM_ARM_VCPU_PMU_V3_STRICT");
	result("strict_thread_nopmu", 4, "the kernel has no KVM_ARM_VCPU_PMU_V3_STRICT");
#endif
	printf("# %d passed, %d failed, %d skipped\n", passed, failed, nr_test - passed - failed);
	return failed ? 1 : passed ? 0 : 4;
}
