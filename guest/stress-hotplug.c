// SPDX-License-Identifier: GPL-2.0
/*
 * stress-hotplug: CPU hotplug under a VM with KVM_ARM_VCPU_PMU_V3_FIXED_COUNTERS_ONLY.
 *
 * The vCPU thread hops over every online CPU of every cluster, running two VMs per
 * hop, and asserts that their counters advanced: the guest of pmu-hop (it reads
 * PMCCNTR_EL0 and spins; two samples), and a "wrapping" guest that writes PMCCNTR_EL0
 * just below the 32-bit wrap before each sample, with the overflow interrupt enabled
 * (stress-hotplug-guest.S: a counter write and an overflow each round), its vCPU
 * initialised on the last cluster (KVM's default PMU is one that goes off line); every
 * round that went past the wrap must have set the overflow flag (PMOVSSET_EL0.C).
 * The main thread meanwhile takes a whole cluster (one of those without CPU 0, in
 * turn) off line and back, -n times:
 *  - even cycles ("clean"): the vCPU thread's affinity is narrowed to the CPUs that stay
 *    on line first (from the main thread: a migration in the middle of KVM_RUN);
 *  - odd cycles ("forced"): the vCPU thread is pinned to the cluster itself when it
 *    goes off line, and the scheduler has to move it (its affinity is broken).
 * While the cluster is off line a second VM sets the attribute (which must work: the
 * -ENODEV check only looks at the online CPUs, and those all have a PMU) and runs once.
 * Once the cluster is back on line, the vCPU thread is pinned to each of its CPUs and
 * the counter must count there, on all three VMs (the second one's event for that PMU is
 * created only then). /init fails the test on any kernel splat; leaks are for the debug
 * plan's @kmemleak, which runs after it.
 *
 * Exits 0 (pass), 1 (an expectation failed), 4 (skip: one cluster only, a cluster
 * cannot go off line, or the kernel does not offer the attribute).
 *  -n CYCLES  off/on line cycles (default 6)       -s SPIN  guest spin (default 500000)
 *  -d         KVM's default PMU instead of the attribute: the counter does not count
 *             on the other clusters, so the test fails (shows that it can)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include "cpu-hotplug.h"
#include "vmm.h"

extern const char pmu_hop_guest_start[], pmu_hop_guest_end[];
extern const char stress_hotplug_guest_start[], stress_hotplug_guest_end[];

static unsigned long spin = 500000;
static int cycles = 6, use_default;
static enum vm_pmu mode = VM_PMU_FIXED;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
/* Under lock: the CPUs the vCPU thread may pin itself to. */
static cpu_set_t allowed;
static int hold;		/* the vCPU thread stays where the main thread put it */
static int onlined, verified;	/* clusters back on line, and checked there */
static int target;		/* the cluster last brought back */
static int stop;
static pid_t vcpu_tid;
static int failures;
static long hops[MAX_PMUS], forced_runs, wraps, wrap_ovf;

static struct vm vm, vmw;

static void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void fail(const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&lock);
	if (failures < 10) {
		printf("  FAIL: ");
		va_start(ap, fmt);
		vprintf(fmt, ap);
		va_end(ap);
		printf("\n");
	} else if (failures == 10) {
		printf("  (further failures counted, not shown)\n");
	}
	failures++;
	pthread_mutex_unlock(&lock);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void msleep(int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static int cluster_of(int cpu)
{
	return host_pmu_of_cpu(pmus, nr_pmus, cpu);
}

/*
 * What the counter advanced where the thread runs: between two samples of the guest
 * of pmu-hop, or in one round of the wrapping guest (vmw), which says it itself.
 */
static int64_t sample(struct vm *v, const char *where)
{
	uint64_t a, b;
	int fcpu;

	if (v == &vmw) {
		/* PMOVSSET_EL0: the guest clears the flag after this exit. */
		struct kvm_one_reg r = {
			.id = KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM64_SYSREG |
			      (3ULL << KVM_REG_ARM64_SYSREG_OP0_SHIFT) |
			      (3ULL << KVM_REG_ARM64_SYSREG_OP1_SHIFT) |
			      (9ULL << KVM_REG_ARM64_SYSREG_CRN_SHIFT) |
			      (12ULL << KVM_REG_ARM64_SYSREG_CRM_SHIFT) |
			      (3ULL << KVM_REG_ARM64_SYSREG_OP2_SHIFT),
			.addr = (uint64_t)(unsigned long)&b,
		};

		if (vm_run(v, &a, &fcpu)) {
			fail("%s: KVM_EXIT_FAIL_ENTRY on CPU %d", where, fcpu);
			return 0;
		}
		if (ioctl(v->vcpu, KVM_GET_ONE_REG, &r))
			die("KVM_GET_ONE_REG PMOVSSET_EL0");
		wraps++;
		if (b & (1ULL << 31))
			wrap_ovf++;
		else if ((int64_t)a > 0x10000)
			fail("%s (now on CPU %d): the wrapping VM's counter went %lld past the wrap without an overflow",
			     where, sched_getcpu(), (long long)a - 0x10000);
		return (int64_t)a;
	}
	if (vm_run(v, &a, &fcpu) || vm_run(v, &b, &fcpu)) {
		fail("%s: KVM_EXIT_FAIL_ENTRY on CPU %d", where, fcpu);
		return 0;
	}
	return (int64_t)(b - a);
}

static int pin_allowed(int cpu)
{
	cpu_set_t one;

	CPU_ZERO(&one);
	CPU_SET(cpu, &one);
	return sched_setaffinity(0, sizeof(one), &one);
}

/* The counter must count on every CPU of cluster k (just back on line). */
static void verify_cluster(struct vm *v, int k, const char *which)
{
	char where[64];
	int i, cpu;
	int64_t d;

	for (i = 0; i < pmus[k].nr_cpus; i++) {
		cpu = pmus[k].cpus[i];
		if (pin_allowed(cpu)) {
			fail("%s: cannot pin to CPU %d back on line: %s", which, cpu,
			     strerror(errno));
			continue;
		}
		snprintf(where, sizeof(where), "%s, CPU %d back on line", which, cpu);
		d = sample(v, where);
		printf("  %s: PMCCNTR_EL0 +%lld on CPU %d (%s) back on line\n", which,
		       (long long)d, cpu, pmus[k].name);
		if (d <= 0)
			fail("%s: the counter did not count on CPU %d (%s) back on line", which,
			     cpu, pmus[k].name);
	}
}

static void *vcpu_thread(void *arg)
{
	int next = 0, cpu, k, check, held;
	char where[64];
	int64_t d;

	(void)arg;
	vcpu_tid = syscall(SYS_gettid);
	for (;;) {
		pthread_mutex_lock(&lock);
		if (stop) {
			pthread_mutex_unlock(&lock);
			break;
		}
		check = verified < onlined ? target : -1;
		held = hold;
		cpu = -1;
		if (check < 0 && !held) {
			/* The next allowed CPU after the last one: a hop to another cluster. */
			for (k = 1; k <= CPU_SETSIZE; k++) {
				if (CPU_ISSET((next + k) % CPU_SETSIZE, &allowed)) {
					cpu = (next + k) % CPU_SETSIZE;
					break;
				}
			}
			if (cpu >= 0 && pin_allowed(cpu)) {
				fail("pin to allowed CPU %d: %s", cpu, strerror(errno));
				cpu = -1;
			}
			next = cpu >= 0 ? cpu : next;
		}
		pthread_mutex_unlock(&lock);

		if (check >= 0) {
			verify_cluster(&vm, check, "hopping VM");
			verify_cluster(&vmw, check, "wrapping VM");
			pthread_mutex_lock(&lock);
			verified++;
			pthread_cond_broadcast(&cond);
			pthread_mutex_unlock(&lock);
			continue;
		}
		snprintf(where, sizeof(where), held ? "vCPU held on the dying cluster" :
			 "hop to CPU %d", cpu);
		d = sample(&vm, where);
		if (held) {
			forced_runs++;
		} else if (cpu >= 0) {
			k = cluster_of(cpu);
			if (k >= 0)
				hops[k]++;
		}
		if (d <= 0)
			fail("%s (now on CPU %d): the counter did not count (%lld)", where,
			     sched_getcpu(), (long long)d);
		d = sample(&vmw, where);
		if (d <= 0)
			fail("%s (now on CPU %d): the wrapping VM's counter did not count (%lld)",
			     where, sched_getcpu(), (long long)d);
	}
	return NULL;
}

/* Sets the vCPU thread's affinity from the main thread; with lock held. */
static void move_vcpu(const cpu_set_t *set)
{
	if (sched_setaffinity(vcpu_tid, sizeof(*set), set))
		fail("sched_setaffinity(vCPU thread): %s", strerror(errno));
}

static int nr_targets, targets[MAX_PMUS];

/* At any exit (die() too): every cluster back on line, for the tests that follow. */
static void all_online(void)
{
	int k, i;

	for (k = 0; k < nr_targets; k++)
		for (i = 0; i < pmus[targets[k]].nr_cpus; i++)
			cpu_set_online(pmus[targets[k]].cpus[i], 1);
}

int main(int argc, char **argv)
{
	int opt, c, k, i;
	cpu_set_t online, cl;
	pthread_t th;
	double t0 = now();

	while ((opt = getopt(argc, argv, "dn:s:")) != -1) {
		switch (opt) {
		case 'd':
			use_default = 1;
			mode = VM_PMU_DEFAULT;
			break;
		case 'n':
			cycles = atoi(optarg);
			break;
		case 's':
			spin = strtoul(optarg, NULL, 0);
			break;
		default:
			fprintf(stderr, "usage: %s [-d] [-n cycles] [-s spin]\n", argv[0]);
			return 2;
		}
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	find_pmus();
	if (nr_pmus < 2) {
		printf("one host PMU: no cluster to take off line under a hop\n");
		return 4;
	}
	/* The clusters that can go off line as a whole: not the first (CPU 0's). */
	for (k = 1; k < nr_pmus; k++) {
		for (i = 0; i < pmus[k].nr_cpus && cpu_can_offline(pmus[k].cpus[i]); i++)
			;
		if (i == pmus[k].nr_cpus)
			targets[nr_targets++] = k;
	}
	if (!nr_targets) {
		printf("no cluster can go off line (cpuN/online)\n");
		return 4;
	}
	atexit(all_online);
	online_cpus(&online);
	for (k = 0; k < nr_pmus; k++)
		printf("cluster %d: %s cpus %s%s\n", k, pmus[k].name, pmus[k].cpulist,
		       CPU_ISSET(pmus[k].cpus[0], &online) ? "" : " (off line!)");

	pin(pmus[0].cpus[0]);
	if (vm_create(&vm, mode, pmu_hop_guest_start, pmu_hop_guest_end - pmu_hop_guest_start)) {
		printf("the kernel does not offer KVM_ARM_VCPU_PMU_V3_FIXED_COUNTERS_ONLY\n");
		vm_destroy(&vm);
		return 4;
	}
	vm_set_xreg(&vm, 1, spin);
	/* The wrapping VM's default PMU is the last cluster's, which goes off line. */
	pin(pmus[nr_pmus - 1].cpus[0]);
	if (vm_create(&vmw, mode, stress_hotplug_guest_start,
		      stress_hotplug_guest_end - stress_hotplug_guest_start))
		die("wrapping VM: the attribute is gone");
	vm_set_xreg(&vmw, 1, spin);
	printf("hopping VM: %s, vCPU initialised on CPU %d; wrapping VM: on CPU %d\n",
	       use_default ? "KVM's default PMU (-d: expected to fail)" :
	       "FIXED_COUNTERS_ONLY", pmus[0].cpus[0], pmus[nr_pmus - 1].cpus[0]);
	unpin();
	allowed = online;
	if (pthread_create(&th, NULL, vcpu_thread, NULL))
		die("pthread_create");
	while (!vcpu_tid)
		msleep(1);

	for (c = 0; c < cycles; c++) {
		int t = targets[c % nr_targets], forced = c & 1;
		struct vm vm2;
		int64_t d;

		CPU_ZERO(&cl);
		for (i = 0; i < pmus[t].nr_cpus; i++)
			CPU_SET(pmus[t].cpus[i], &cl);
		msleep(500);

		/* Off line. */
		pthread_mutex_lock(&lock);
		CPU_XOR(&allowed, &allowed, &cl);
		if (forced) {
			move_vcpu(&cl);
			hold = 1;
		} else {
			move_vcpu(&allowed);
		}
		pthread_mutex_unlock(&lock);
		if (forced)
			msleep(200);
		for (i = 0; i < pmus[t].nr_cpus; i++)
			if (cpu_set_online(pmus[t].cpus[i], 0))
				fail("cpu%d/online <- 0: %s", pmus[t].cpus[i], strerror(errno));
		pthread_mutex_lock(&lock);
		hold = 0;
		pthread_mutex_unlock(&lock);
		printf("cycle %d (%s): cluster %d (%s, cpus %s) off line at %.1f s\n", c,
		       forced ? "forced" : "clean", t, pmus[t].name, pmus[t].cpulist,
		       now() - t0);

		/* A VM made meanwhile: the attribute works with the cluster off line. */
		pin(pmus[0].cpus[0]);
		if (vm_create(&vm2, mode, pmu_hop_guest_start,
			      pmu_hop_guest_end - pmu_hop_guest_start))
			fail("second VM: the attribute is refused with cluster %d off line", t);
		vm_set_xreg(&vm2, 1, spin);
		d = sample(&vm2, "second VM");
		if (d <= 0)
			fail("second VM: no count on CPU %d", pmus[0].cpus[0]);
		msleep(500);

		/* Back on line, then checked there by the vCPU thread, and the second VM. */
		for (i = 0; i < pmus[t].nr_cpus; i++)
			if (cpu_set_online(pmus[t].cpus[i], 1))
				fail("cpu%d/online <- 1: %s", pmus[t].cpus[i], strerror(errno));
		printf("cycle %d: cluster %d back on line at %.1f s\n", c, t, now() - t0);
		pthread_mutex_lock(&lock);
		CPU_OR(&allowed, &allowed, &cl);
		target = t;
		onlined++;
		while (verified < onlined) {
			struct timespec ts;

			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_sec += 30;
			if (pthread_cond_timedwait(&cond, &lock, &ts) == ETIMEDOUT) {
				pthread_mutex_unlock(&lock);
				fail("the vCPU thread did not check cluster %d in 30 s", t);
				pthread_mutex_lock(&lock);
				break;
			}
		}
		pthread_mutex_unlock(&lock);
		verify_cluster(&vm2, t, "second VM");
		unpin();
		vm_destroy(&vm2);
	}

	pthread_mutex_lock(&lock);
	stop = 1;
	pthread_mutex_unlock(&lock);
	pthread_join(th, NULL);
	vm_destroy(&vm);
	vm_destroy(&vmw);

	online_cpus(&cl);
	if (!CPU_EQUAL(&cl, &online))
		fail("not every CPU is back on line");
	printf("hops per cluster:");
	for (k = 0; k < nr_pmus; k++)
		printf(" %ld", hops[k]);
	printf("; runs held on a dying cluster: %ld; clusters checked back on line: %d of %d\n",
	       forced_runs, verified, cycles);
	printf("wrapping VM: %ld of %ld rounds overflowed\n", wrap_ovf, wraps);
	if (verified != cycles)
		fail("%d of %d clusters checked back on line", verified, cycles);
	for (k = 0; k < nr_pmus; k++) {
		for (i = 0; i < nr_targets && targets[i] != k; i++)
			;
		if (!hops[k] && i == nr_targets)
			fail("no hop to cluster %d", k);
	}
	printf("%s: %d failed expectation(s), %.1f s\n", failures ? "FAIL" : "PASS", failures,
	       now() - t0);
	return failures ? 1 : 0;
}
