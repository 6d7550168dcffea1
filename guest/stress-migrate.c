// SPDX-License-Identifier: GPL-2.0
/*
 * stress-migrate: in-run migration. Several vCPUs, one thread each, run a guest
 * (stress-migrate-guest.S) that reads PMCCNTR_EL0 in a loop, checks that it never goes
 * backwards and writes it to a doorbell every few reads; meanwhile a host thread moves
 * the running vCPU threads (sched_setaffinity on their tids) to a CPU of another cluster
 * at random sub-millisecond intervals (seeded; the seed is printed). Results (KTAP):
 *
 *   monotonic      no vCPU saw its counter go backwards
 *   in_run_growth  every doorbell value is above the vCPU's previous one (the counter
 *                  never stopped for a whole report interval while hopping)
 *   every_cluster  afterwards, pinned to each cluster in turn, every counter grows
 *   rate           no counter grew faster than the host's clock (QEMU's cycle counter
 *                  runs at 1 GHz of virtual time), over the run or between two
 *                  reports: nothing was counted twice
 *
 * --pmu fixed (KVM_ARM_VCPU_PMU_V3_FIXED_COUNTERS_ONLY; SKIP when the kernel lacks it)
 * or --pmu default (KVM's default PMU: its counter stops on the other clusters, so
 * every_cluster fails). --expect-stop is the control for --pmu default: every_cluster
 * becomes stop_seen, which passes only if the counter stopped on every other cluster
 * (SKIP on a one-cluster host), and in_run_growth is only reported.
 * For experiments: --hop-us MIN-MAX sets the hop intervals (0-0: no hopper), --stay CPU
 * pins every vCPU thread to one CPU meanwhile, --inject backwards|jump makes the count
 * wrong on purpose (see inject_fault()). Exit: 0 pass, 1 fail, 4 skip.
 */
#define _GNU_SOURCE
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>
#include "vmm-multi.h"

extern const char stress_migrate_guest_start[], stress_migrate_guest_end[];

static const struct option opts[] = {
	{ "pmu", required_argument, NULL, 'p' },
	{ "seconds", required_argument, NULL, 't' },
	{ "vcpus", required_argument, NULL, 'n' },
	{ "seed", required_argument, NULL, 's' },
	{ "spin", required_argument, NULL, 'S' },
	{ "per-report", required_argument, NULL, 'R' },
	{ "expect-stop", no_argument, NULL, 'x' },
	{ "hop-us", required_argument, NULL, 'H' },
	{ "stay", required_argument, NULL, 'C' },
	{ "inject", required_argument, NULL, 'I' },
	{ }
};

static int failed;

static void result(int n, const char *name, int ok, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void result(int n, const char *name, int ok, const char *fmt, ...)
{
	char detail[256] = "";
	va_list ap;

	if (fmt) {
		va_start(ap, fmt);
		vsnprintf(detail, sizeof(detail), fmt, ap);
		va_end(ap);
	}
	if (ok < 0)
		printf("ok %d %s # SKIP %s\n", n, name, detail);
	else
		printf("%s %d %s%s%s\n", ok ? "ok" : "not ok", n, name, *detail ? " # " : "",
		       detail);
	if (!ok)
		failed = 1;
}

/*
 * --inject: shows that the checks fail when the count is wrong, with no kernel bug:
 * vCPU 0's PMCCNTR_EL0 is set back by 10^9 cycles (monotonic fails) or forward by 10^11
 * (rate fails) through KVM_SET_ONE_REG while its thread runs it.
 */
static void inject_fault(struct mvm *m, int how)
{
	uint64_t val;
	struct kvm_one_reg reg = { .id = ARM64_SYS_REG(3, 3, 9, 13, 0),
				   .addr = (uint64_t)(unsigned long)&val };

	if (ioctl(m->vcpu[0].fd, KVM_GET_ONE_REG, &reg))
		die("KVM_GET_ONE_REG PMCCNTR_EL0");
	val = how < 0 ? val - 1000000000ULL : val + 100000000000ULL;
	if (ioctl(m->vcpu[0].fd, KVM_SET_ONE_REG, &reg))
		die("KVM_SET_ONE_REG PMCCNTR_EL0");
	printf("# injected: vCPU 0's PMCCNTR_EL0 set %s to %#llx\n",
	       how < 0 ? "back" : "forward", (unsigned long long)val);
	usleep(200000);
}

static void usage(const char *prog)
{
	fprintf(stderr, "usage: %s [--pmu default|fixed] [--seconds S] [--vcpus N] [--seed N]\n"
		"       [--spin N] [--per-report N] [--hop-us MIN-MAX (0-0: none)] [--stay CPU]\n"
		"       [--expect-stop] [--inject backwards|jump]\n", prog);
	exit(2);
}

int main(int argc, char **argv)
{
	enum vm_pmu pmu = VM_PMU_FIXED;
	double seconds = 8, t0, t1;
	unsigned int seed = 0;
	uint64_t spin = 20000, per_report = 4;
	int hop_min = 50, hop_max = 900, stay = -1, inject = 0;
	int nr = 3, expect_stop = 0, opt, i, bad, foreign, backwards = 0;
	uint64_t stalls = 0, fastest_x1000 = 0, jumps = 0;
	struct runner r[MAX_VCPUS];
	struct hopper h;
	struct mvm m;

	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case 'p':
			if (parse_pmu(optarg, &pmu))
				usage(argv[0]);
			break;
		case 't': seconds = atof(optarg); break;
		case 'n': nr = atoi(optarg); break;
		case 's': seed = strtoul(optarg, NULL, 0); break;
		case 'S': spin = strtoull(optarg, NULL, 0); break;
		case 'R': per_report = strtoull(optarg, NULL, 0); break;
		case 'x': expect_stop = 1; break;
		case 'C': stay = atoi(optarg); break;
		case 'I':
			if (!strcmp(optarg, "backwards"))
				inject = -1;
			else if (!strcmp(optarg, "jump"))
				inject = 1;
			else
				usage(argv[0]);
			break;
		case 'H':
			if (sscanf(optarg, "%d-%d", &hop_min, &hop_max) != 2 || hop_min < 0 ||
			    hop_max < hop_min)
				usage(argv[0]);
			break;
		default: usage(argv[0]);
		}
	}
	if (nr < 1 || nr > MAX_VCPUS || !spin || !per_report)
		usage(argv[0]);
	if (expect_stop && pmu != VM_PMU_DEFAULT) {
		fprintf(stderr, "--expect-stop is the control of --pmu default\n");
		return 2;
	}
	if (!seed)
		seed = (unsigned int)time(NULL) ^ (getpid() << 16);
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("KTAP version 1\n1..4\n");
	find_pmus();
	printf("# %d cluster(s):", nr_pmus);
	for (i = 0; i < nr_pmus; i++)
		printf(" %s (cpus %s)", pmus[i].name, pmus[i].cpulist);
	printf("\n# --pmu %s, %d vCPUs, %.1f s of hops, seed %u (repeat with --seed %u)\n",
	       pmu == VM_PMU_FIXED ? "fixed" : "default", nr, seconds, seed, seed);

	if (mvm_create_pinned(&m, nr, pmu, stress_migrate_guest_start,
			      stress_migrate_guest_end - stress_migrate_guest_start, spin,
			      per_report)) {
		for (i = 1; i <= 4; i++)
			printf("ok %d %s # SKIP kernel lacks KVM_ARM_VCPU_PMU_V3_FIXED_COUNTERS_ONLY\n",
			       i, (const char *[]){ "monotonic", "in_run_growth",
						    "every_cluster", "rate" }[i - 1]);
		return 4;
	}
	unpin();
	runners_init(r, nr, 0);
	t0 = now_s();
	for (i = 0; i < nr; i++) {
		runner_start(&r[i], &m, i);
		if (stay >= 0)
			pin_tid_cpu(r[i].tid, stay);
	}
	if (hop_max)
		hopper_start(&h, r, nr, seed, hop_min, hop_max);
	else
		memset(&h, 0, sizeof(h));
	usleep((useconds_t)(seconds * 1e6));
	if (inject)
		inject_fault(&m, inject);
	if (hop_max)
		hopper_stop(&h);
	printf("# %ld hops (%ld to another cluster) in %.1f s\n", (long)h.hops,
	       (long)h.cluster_changes, now_s() - t0);
	for (i = 0; i < nr; i++) {
		pthread_mutex_lock(&r[i].lock);
		printf("# vCPU %d: %llu reports while hopping, %llu without growth (CPUs %#llx)\n",
		       i, (unsigned long long)r[i].seq, (unsigned long long)r[i].stalls,
		       (unsigned long long)r[i].stall_cpu_mask);
		stalls += r[i].stalls;
		if (!r[i].seq) {
			printf("# vCPU %d never reported while hopping\n", i);
			stalls++;
		}
		pthread_mutex_unlock(&r[i].lock);
	}

	bad = check_clusters(r, nr, 2, &foreign);
	for (i = 0; i < nr; i++)
		runner_stop(&r[i]);
	t1 = now_s();

	for (i = 0; i < nr; i++) {
		volatile uint64_t *s = mvm_slot(&m, i);
		double ns = (t1 - t0) * 1e9;
		uint64_t grew = r[i].last - r[i].first, x1000 = (uint64_t)(grew * 1000.0 / ns);

		printf("# vCPU %d: %llu reads, counter %llu -> %llu over %.2f s (%llu.%03llu cycles/ns)%s\n",
		       i, (unsigned long long)s[1], (unsigned long long)r[i].first,
		       (unsigned long long)r[i].last, t1 - t0,
		       (unsigned long long)(x1000 / 1000), (unsigned long long)(x1000 % 1000),
		       r[i].end ? ": vCPU stopped with an error" : "");
		if (r[i].end) {
			printf("# vCPU %d: run ended with %d (exit reason %llu)\n", i, r[i].end,
			       (unsigned long long)r[i].exit_reason);
			bad = bad < 0 ? bad : bad + 1;
		}
		if (s[2]) {
			printf("# vCPU %d: counter went backwards %llu times, first %llu -> %llu\n",
			       i, (unsigned long long)s[2], (unsigned long long)s[3],
			       (unsigned long long)s[4]);
			backwards++;
		}
		if (s[5]) {
			printf("# vCPU %d: %llu read(s) grew faster than the guest's CNTVCT_EL0, first +%llu cycles in at most %llu ns\n",
			       i, (unsigned long long)s[5], (unsigned long long)s[6],
			       (unsigned long long)s[7]);
			jumps += s[5];
		}
		if (x1000 > fastest_x1000)
			fastest_x1000 = x1000;
		if (r[i].jumps) {
			printf("# vCPU %d: %llu report interval(s) grew faster than the clock, first +%llu in %llu ns (report %llu, CPU %d -> %d), %llu guest CNTVCT_EL0 ticks between the two reads\n",
			       i, (unsigned long long)r[i].jumps, (unsigned long long)r[i].jump,
			       (unsigned long long)r[i].jump_ns, (unsigned long long)r[i].jump_seq,
			       r[i].jump_cpus[0], r[i].jump_cpus[1],
			       (unsigned long long)r[i].jump_span);
			jumps += r[i].jumps;
		}
	}

	result(1, "monotonic", !backwards, backwards ? "%d vCPU(s) saw it go backwards" : NULL,
	       backwards);
	if (expect_stop)
		result(2, "in_run_growth", -1, "control (--expect-stop): %llu interval(s) without growth",
		       (unsigned long long)stalls);
	else
		result(2, "in_run_growth", !stalls, stalls ?
		       "%llu report interval(s) without growth while hopping" : NULL,
		       (unsigned long long)stalls);
	if (bad < 0)
		result(3, expect_stop ? "stop_seen" : "every_cluster", 0, "a vCPU stopped reporting");
	else if (!expect_stop)
		result(3, "every_cluster", !bad, bad ?
		       "%d (vCPU, cluster) pair(s) did not count" : NULL, bad);
	else if (nr_pmus < 2)
		result(3, "stop_seen", -1, "one cluster: nowhere for the default PMU to stop");
	else
		result(3, "stop_seen", foreign == nr * (nr_pmus - 1) && bad == foreign,
		       "default PMU: stopped on %d of %d (vCPU, other cluster) pair(s), %d other failure(s)",
		       foreign, nr * (nr_pmus - 1), bad - foreign);
	/* 1.25: QEMU counts 1 cycle per ns of virtual time; a margin for the sampling. */
	result(4, "rate", fastest_x1000 <= 1250 && !jumps,
	       "fastest %llu.%03llu cycles/ns over the run (limit 1.25), %llu interval(s) faster",
	       (unsigned long long)(fastest_x1000 / 1000),
	       (unsigned long long)(fastest_x1000 % 1000), (unsigned long long)jumps);
	mvm_destroy(&m);
	return failed ? 1 : 0;
}
