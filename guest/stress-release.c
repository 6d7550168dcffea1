// SPDX-License-Identifier: GPL-2.0
/*
 * stress-release: preemption while KVM releases and re-creates the cycle counter's host
 * events. Each vCPU's guest (stress-release-guest.S) loops over counter writes,
 * PMCCFILTR_EL0 writes (EL1 excluded, then counted again), PMCR_EL0.E toggles,
 * PMCR_EL0.C and PMCNTENCLR_EL0/PMCNTENSET_EL0.C, checking each effect on the spot.
 * Meanwhile CPU hogs (plain spinning SCHED_OTHER threads, one per host CPU and pinned
 * there by default) compete for the vCPU threads' CPUs, and a host thread moves the vCPU
 * threads between the clusters at random sub-millisecond intervals (seeded). The test is
 * meant for the debug kernel (KASAN, lockdep; init fails a test during which the kernel
 * logs a splat) but runs on any. Results (KTAP):
 *
 *   survives   every vCPU thread still runs at the end and made progress all along
 *              (no report gap over 20 s), KVM_RUN never failed
 *   semantics  no check of the guest failed: a write reads back, the counter grows
 *              while enabled and not while EL1 is filtered out, PMCR_EL0.E is clear
 *              or PMCNTENCLR_EL0.C is set, and PMCR_EL0.C resets it
 *
 * --pmu fixed (the attribute; SKIP without it) or --pmu default, where the counter does
 * not grow on the other clusters (semantics fails there). Exit: 0 pass, 1 fail, 4 skip.
 */
#define _GNU_SOURCE
#include <getopt.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "vmm-multi.h"

extern const char stress_release_guest_start[], stress_release_guest_end[];

static const char *const check_name[] = {
	NULL, "a counter write read back below the value written",
	"no growth while enabled", "growth with EL1 filtered out (PMCCFILTR_EL0.P)",
	"growth with PMCR_EL0.E clear", "PMCR_EL0.C did not reset the counter",
	"growth with PMCNTENCLR_EL0.C",
};

static _Atomic int hogs_stop;

static void *hog(void *arg)
{
	volatile unsigned long n = 0;

	(void)arg;
	while (!hogs_stop)
		n++;
	return NULL;
}

static const struct option opts[] = {
	{ "pmu", required_argument, NULL, 'p' },
	{ "seconds", required_argument, NULL, 't' },
	{ "vcpus", required_argument, NULL, 'n' },
	{ "hogs", required_argument, NULL, 'h' },
	{ "seed", required_argument, NULL, 's' },
	{ "spin", required_argument, NULL, 'S' },
	{ }
};

int main(int argc, char **argv)
{
	enum vm_pmu pmu = VM_PMU_FIXED;
	double seconds = 8, t0;
	unsigned int seed = 0;
	uint64_t spin = 5000, per_report = 2;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	int nr = 2, nhogs = -1, opt, i, k, survived = 1, sem_fail = 0;
	struct runner r[MAX_VCPUS];
	uint64_t seq[MAX_VCPUS], last;
	pthread_t hogs[4 * MAX_CPUS];
	struct hopper h;
	struct mvm m;

	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case 'p':
			if (parse_pmu(optarg, &pmu))
				goto usage;
			break;
		case 't': seconds = atof(optarg); break;
		case 'n': nr = atoi(optarg); break;
		case 'h': nhogs = atoi(optarg); break;
		case 's': seed = strtoul(optarg, NULL, 0); break;
		case 'S': spin = strtoull(optarg, NULL, 0); break;
		default: goto usage;
		}
	}
	if (nhogs < 0)
		nhogs = ncpu;
	if (nr < 1 || nr > MAX_VCPUS || nhogs > 4 * MAX_CPUS || !spin)
		goto usage;
	if (!seed)
		seed = (unsigned int)time(NULL) ^ (getpid() << 16);
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("KTAP version 1\n1..2\n");
	find_pmus();
	printf("# %d cluster(s); --pmu %s, %d vCPUs, %d hog(s) on %ld CPUs, %.1f s, seed %u (repeat with --seed %u)\n",
	       nr_pmus, pmu == VM_PMU_FIXED ? "fixed" : "default", nr, nhogs, ncpu, seconds,
	       seed, seed);

	if (mvm_create_pinned(&m, nr, pmu, stress_release_guest_start,
			      stress_release_guest_end - stress_release_guest_start, spin,
			      per_report)) {
		printf("ok 1 survives # SKIP kernel lacks KVM_ARM_VCPU_PMU_V3_FIXED_COUNTERS_ONLY\n");
		printf("ok 2 semantics # SKIP kernel lacks KVM_ARM_VCPU_PMU_V3_FIXED_COUNTERS_ONLY\n");
		return 4;
	}
	unpin();
	runners_init(r, nr, 0);
	t0 = now_s();
	for (i = 0; i < nhogs; i++) {
		if (pthread_create(&hogs[i], NULL, hog, NULL))
			die("pthread_create");
		if (nhogs <= ncpu || i < ncpu) {
			cpu_set_t set;

			CPU_ZERO(&set);
			CPU_SET(i % ncpu, &set);
			pthread_setaffinity_np(hogs[i], sizeof(set), &set);
		}
	}
	for (i = 0; i < nr; i++)
		runner_start(&r[i], &m, i);
	hopper_start(&h, r, nr, seed, 50, 900);
	/* Progress: every vCPU reports at least once in every window of 20 s. */
	for (k = 0; k * 1.0 < seconds; k++) {
		for (i = 0; i < nr; i++)
			runner_snapshot(&r[i], &seq[i], &last);
		sleep(1);
		for (i = 0; i < nr; i++) {
			if (r[i].done) {
				printf("# vCPU %d's thread stopped: KVM_RUN ended with %d (exit reason %llu)\n",
				       i, r[i].end, (unsigned long long)r[i].exit_reason);
				survived = 0;
			} else if (runner_wait(&r[i], seq[i], 1, 20)) {
				printf("# vCPU %d made no progress for 20 s\n", i);
				survived = 0;
			}
		}
		if (!survived)
			break;
	}
	hopper_stop(&h);
	hogs_stop = 1;
	for (i = 0; i < nhogs; i++)
		pthread_join(hogs[i], NULL);
	for (i = 0; i < nr; i++)
		runner_stop(&r[i]);
	printf("# %ld hops (%ld to another cluster) in %.1f s\n", (long)h.hops,
	       (long)h.cluster_changes, now_s() - t0);
	for (i = 0; i < nr; i++) {
		volatile uint64_t *s = mvm_slot(&m, i);

		printf("# vCPU %d: %llu rounds\n", i, (unsigned long long)s[0]);
		if (!s[0])
			survived = 0;
		if (r[i].end) {
			printf("# vCPU %d: KVM_RUN ended with %d\n", i, r[i].end);
			survived = 0;
		}
		for (k = 1; k <= 6; k++) {
			if (!s[k])
				continue;
			printf("# vCPU %d: %s: %llu of %llu rounds\n", i, check_name[k],
			       (unsigned long long)s[k], (unsigned long long)s[0]);
			sem_fail = 1;
		}
	}
	printf("%s 1 survives%s\n", survived ? "ok" : "not ok",
	       survived ? "" : " # a vCPU stopped or made no progress");
	printf("%s 2 semantics%s\n", sem_fail ? "not ok" : "ok",
	       sem_fail ? " # a check of the guest failed (see above)" : "");
	mvm_destroy(&m);
	return survived && !sem_fail ? 0 : 1;
usage:
	fprintf(stderr, "usage: %s [--pmu default|fixed] [--seconds S] [--vcpus N] [--hogs N]\n"
		"       [--seed N] [--spin N]\n", argv[0]);
	return 2;
}
