// SPDX-License-Identifier: GPL-2.0
/*
 * stress-life: the lifecycle of vCPUs whose cycle counter has live host events, with
 * the guest of stress-migrate (stress-migrate-guest.S: reads PMCCNTR_EL0, checks that it
 * never goes backwards, reports it through a doorbell). Scenarios (KTAP results):
 *
 *   reset          a vCPU that ran on every cluster is reset (KVM_ARM_VCPU_INIT again,
 *                  after completing its pending doorbell exit; with --reset-write
 *                  PMCCNTR_EL0 is then written through KVM_SET_ONE_REG, as a VMM
 *                  restoring its state would) and run again, twice: it counts on every
 *                  cluster
 *   thread_change  a vCPU run on every cluster by a thread that then exits is run by
 *                  another thread, then by a third: each counts on every cluster (the
 *                  events were the first thread's)
 *   destroy        a VM of 4 vCPUs whose fds are all closed while their threads run
 *                  them and a host thread hops them: the VM goes away with its last
 *                  vCPU file, every thread ends with EBADF; then a new VM counts on
 *                  every cluster
 *   many           8 vCPUs (or 2 per host CPU, at most 16) hop at random for the given
 *                  time: all count, between every two reports and on every cluster
 *   own_cycles     two vCPU threads on one CPU of each cluster: while one runs the
 *                  other sleeps outside KVM_RUN, and its counter must then not grow by
 *                  more cycles than the time of its own next KVM_RUN
 *
 * Every count is also checked against the clock: a counter never grows faster than 1.25
 * cycles per ns (QEMU's cycle counter runs at 1 GHz of virtual time), and never goes
 * backwards. --pmu fixed (the attribute; SKIP without it) or --pmu default, where the
 * counts on the other clusters fail. Exit: 0 pass, 1 fail, 4 skip.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include "vmm-multi.h"

extern const char stress_migrate_guest_start[], stress_migrate_guest_end[];
#define CODE		stress_migrate_guest_start
#define CODE_LEN	((size_t)(stress_migrate_guest_end - stress_migrate_guest_start))

static enum vm_pmu pmu = VM_PMU_FIXED;
static uint64_t spin = 20000, per_report = 4;
static double seconds = 6;
static unsigned int seed;
static int only;		/* run one scenario (1-based), 0: all */
static unsigned int skipped;	/* scenarios left out (bit i: names[i]) */
static int skip_all;
static int reset_write;

static const char *const names[] = { "reset", "thread_change", "destroy", "many", "own_cycles" };
#define NR_SCEN		((int)(sizeof(names) / sizeof(names[0])))

static int problems;		/* of the scenario being run */

static void bad(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void bad(const char *fmt, ...)
{
	va_list ap;

	printf("# FAIL: ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	problems++;
}

/* Creates the VM pinned to the first cluster (see mvm_create_pinned()). */
static int create(struct mvm *m, int nr)
{
	if (mvm_create_pinned(m, nr, pmu, CODE, CODE_LEN, spin, per_report)) {
		skip_all = 1;
		return -1;
	}
	return 0;
}

/* Checks the guest's own findings in its slot (backwards, faster than its clock). */
static void check_slot(struct mvm *m, int i, const char *when)
{
	volatile uint64_t *s = mvm_slot(m, i);

	if (s[2])
		bad("%s: vCPU %d's counter went backwards %llu times, first %llu -> %llu", when, i,
		    (unsigned long long)s[2], (unsigned long long)s[3], (unsigned long long)s[4]);
	if (s[5])
		bad("%s: vCPU %d's counter grew faster than CNTVCT_EL0 %llu times, first +%llu in at most %llu ns",
		    when, i, (unsigned long long)s[5], (unsigned long long)s[6],
		    (unsigned long long)s[7]);
}

/*
 * Runs vCPU @i in the calling thread, pinned to each cluster in turn: one report to
 * settle, then @n reports whose growth must be above 0 and at most 1.25 cycles per ns
 * of the KVM_RUN calls that made it (and 100 us). Returns 0, or -errno of KVM_RUN.
 */
static int run_every_cluster(struct mvm *m, int i, int n, const char *who)
{
	uint64_t v0, v, prev;
	int c, k, ret;

	for (c = 0; c < nr_pmus; c++) {
		double in_run;

		pin_tid_cluster(0, c);
		/* v0 is read inside this KVM_RUN: its time counts too (see vmm-multi.h). */
		in_run = now_s();
		ret = mvm_run(m, i, &v0);
		in_run = now_s() - in_run;
		if (ret != RUN_DOORBELL)
			goto err;
		prev = v0;
		for (k = 0; k < n; k++) {
			double t = now_s();

			ret = mvm_run(m, i, &v);
			in_run += now_s() - t;
			if (ret != RUN_DOORBELL)
				goto err;
			if (v < prev)
				bad("%s: vCPU %d on cluster %d: %llu after %llu", who, i, c,
				    (unsigned long long)v, (unsigned long long)prev);
			prev = v;
		}
		printf("# %s: vCPU %d on cluster %d (%s, CPU %d): %#llx, %+lld cycles in %.0f us of KVM_RUN\n",
		       who, i, c, pmus[c].name, sched_getcpu(), (unsigned long long)v0,
		       (long long)(v - v0), in_run * 1e6);
		if (v <= v0)
			bad("%s: vCPU %d did not count on cluster %d (%s)", who, i, c, pmus[c].name);
		else if (v - v0 > (uint64_t)(in_run * 1.25e9) + JUMP_SLACK)
			bad("%s: vCPU %d on cluster %d counted %llu cycles in %.0f us of KVM_RUN",
			    who, i, c, (unsigned long long)(v - v0), in_run * 1e6);
	}
	return 0;
err:
	if (ret >= 0)
		bad("%s: vCPU %d: KVM_RUN ended with %s (exit reason %u)", who, i,
		    ret == RUN_FAIL_ENTRY ? "KVM_EXIT_FAIL_ENTRY" : "an unexpected exit",
		    m->vcpu[i].run->exit_reason);
	return ret < 0 ? ret : -EIO;
}

/* ---- reset */

static void scen_reset(void)
{
	struct mvm m;
	int round;

	if (create(&m, 1))
		return;
	if (run_every_cluster(&m, 0, 3, "before reset"))
		goto out;
	for (round = 1; round <= 2; round++) {
		char who[32];

		/* Ends on the last cluster: the reset comes with the events of every PMU live. */
		mvm_reset_vcpu(&m, 0, spin, per_report);
		if (reset_write) {
			uint64_t zero = 0;
			struct kvm_one_reg reg = { .id = ARM64_SYS_REG(3, 3, 9, 13, 0),
						   .addr = (uint64_t)(unsigned long)&zero };

			if (ioctl(m.vcpu[0].fd, KVM_SET_ONE_REG, &reg))
				die("KVM_SET_ONE_REG PMCCNTR_EL0");
		}
		memset((void *)mvm_slot(&m, 0), 0, SLOT_WORDS * 8);
		snprintf(who, sizeof(who), "after reset %d", round);
		if (run_every_cluster(&m, 0, 3, who))
			break;
		check_slot(&m, 0, who);
	}
out:
	mvm_destroy(&m);
}

/* ---- thread_change */

struct tc_arg {
	struct mvm *m;
	const char *who;
	int ret;
};

static void *tc_thread(void *p)
{
	struct tc_arg *a = p;

	a->ret = run_every_cluster(a->m, 0, 3, a->who);
	return NULL;
}

static void scen_thread_change(void)
{
	struct tc_arg a;
	pthread_t th;
	struct mvm m;

	if (create(&m, 1))
		return;
	unpin();
	a = (struct tc_arg){ .m = &m, .who = "first thread" };
	if (pthread_create(&th, NULL, tc_thread, &a))
		die("pthread_create");
	pthread_join(th, NULL);
	if (a.ret)
		goto out;
	/* The first thread is gone; its events were created for it. */
	if (run_every_cluster(&m, 0, 3, "second thread (main)"))
		goto out;
	a = (struct tc_arg){ .m = &m, .who = "third thread" };
	if (pthread_create(&th, NULL, tc_thread, &a))
		die("pthread_create");
	pthread_join(th, NULL);
	check_slot(&m, 0, "thread_change");
out:
	mvm_destroy(&m);
}

/* ---- destroy */

static int check_all_count(const char *who)
{
	struct mvm m;
	int ret;

	if (create(&m, 1))
		return -1;
	ret = run_every_cluster(&m, 0, 2, who);
	mvm_destroy(&m);
	return ret;
}

static void scen_destroy(void)
{
	struct runner r[4];
	struct hopper h;
	struct mvm m;
	int nr = 4, i, k, rounds = 2, round;
	unsigned int s = seed;

	for (round = 1; round <= rounds; round++) {
		uint64_t seq[4], last;
		int order[4] = { 0, 1, 2, 3 };

		if (create(&m, nr))
			return;
		unpin();
		runners_init(r, nr, 1);
		for (i = 0; i < nr; i++)
			runner_start(&r[i], &m, i);
		hopper_start(&h, r, nr, seed + round, 50, 500);
		usleep(700000);
		/* The VM, the vGIC and /dev/kvm go first: the vCPU files keep the VM. */
		close(m.gic);
		close(m.vm);
		close(m.kvm);
		m.gic = m.vm = m.kvm = -1;
		for (i = 0; i < nr; i++)
			runner_snapshot(&r[i], &seq[i], &last);
		for (i = 0; i < nr; i++)
			if (runner_wait(&r[i], seq[i], 3, 20))
				bad("round %d: vCPU %d stopped reporting after the VM fd was closed",
				    round, i);
		/* Then the vCPU fds, in a random order, while their threads run them. */
		for (i = nr - 1; i > 0; i--) {
			int j = rnd(&s) % (i + 1), t = order[i];

			order[i] = order[j];
			order[j] = t;
		}
		for (k = 0; k < nr; k++) {
			close(m.vcpu[order[k]].fd);
			usleep(rnd(&s) % 20000);
		}
		for (i = 0; i < nr; i++) {
			double end = now_s() + 20;

			while (!r[i].done && now_s() < end)
				usleep(1000);
			if (!r[i].done) {
				bad("round %d: vCPU %d's thread still runs 20 s after its fd was closed",
				    round, i);
				continue;
			}
			pthread_join(r[i].th, NULL);
			if (r[i].end != -EBADF)
				bad("round %d: vCPU %d's thread ended with %d, not -EBADF", round, i,
				    r[i].end);
			if (r[i].stalls && pmu == VM_PMU_FIXED)
				bad("round %d: vCPU %d: %llu report(s) without growth", round, i,
				    (unsigned long long)r[i].stalls);
			if (r[i].jumps)
				bad("round %d: vCPU %d: %llu report interval(s) faster than the clock, first +%llu in %llu ns",
				    round, i, (unsigned long long)r[i].jumps,
				    (unsigned long long)r[i].jump, (unsigned long long)r[i].jump_ns);
			check_slot(&m, i, "destroy");
		}
		hopper_stop(&h);
		printf("# round %d: %ld hops; every vCPU file closed under its running thread\n",
		       round, (long)h.hops);
		for (i = 0; i < nr; i++) {
			if (m.vcpu[i].run)
				munmap(m.vcpu[i].run, m.run_size);
			m.vcpu[i].run = NULL;
			m.vcpu[i].fd = -1;
		}
		mvm_destroy(&m);
	}
	check_all_count("new VM after the destroys");
}

/* ---- many */

static void scen_many(void)
{
	struct runner r[MAX_VCPUS];
	struct hopper h;
	struct mvm m;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	int nr = ncpu * 2 > 8 ? ncpu * 2 : 8, i, nbad, foreign;

	if (nr > MAX_VCPUS)
		nr = MAX_VCPUS;
	if (create(&m, nr))
		return;
	unpin();
	printf("# %d vCPUs on %ld CPUs, %.1f s of hops\n", nr, ncpu, seconds);
	runners_init(r, nr, 0);
	for (i = 0; i < nr; i++)
		runner_start(&r[i], &m, i);
	hopper_start(&h, r, nr, seed, 50, 900);
	usleep((useconds_t)(seconds * 1e6));
	hopper_stop(&h);
	printf("# %ld hops (%ld to another cluster)\n", (long)h.hops, (long)h.cluster_changes);
	nbad = check_clusters(r, nr, 2, &foreign);
	for (i = 0; i < nr; i++)
		runner_stop(&r[i]);
	if (nbad < 0)
		bad("a vCPU stopped reporting");
	else if (nbad)
		bad("%d (vCPU, cluster) pair(s) did not count", nbad);
	for (i = 0; i < nr; i++) {
		if (!r[i].seq)
			bad("vCPU %d never reported", i);
		if (r[i].end)
			bad("vCPU %d: KVM_RUN ended with %d", i, r[i].end);
		if (r[i].stalls)
			bad("vCPU %d: %llu report(s) without growth (CPUs %#llx)", i,
			    (unsigned long long)r[i].stalls,
			    (unsigned long long)r[i].stall_cpu_mask);
		if (r[i].jumps)
			bad("vCPU %d: %llu report interval(s) faster than the clock, first +%llu in %llu ns",
			    i, (unsigned long long)r[i].jumps, (unsigned long long)r[i].jump,
			    (unsigned long long)r[i].jump_ns);
		check_slot(&m, i, "many");
	}
	mvm_destroy(&m);
}

/* ---- own_cycles */

static void scen_own_cycles(void)
{
	int c;

	for (c = 0; c < nr_pmus; c++) {
		int cpu = pmus[c].cpus[0], i, ret;
		struct runner r;
		uint64_t v0, v1, seq, last;
		double t, t0 = 0;
		struct mvm m;

		if (create(&m, 2))
			return;
		/* vCPU 1, from this thread, on @cpu: its events are live. */
		pin(cpu);
		for (i = 0; i < 3; i++) {
			t0 = now_s();
			if ((ret = mvm_run(&m, 1, &v0)) != RUN_DOORBELL)
				goto err;
			t0 = now_s() - t0;
		}
		/* vCPU 0 runs on the same CPU from its own thread; this one sleeps. */
		runners_init(&r, 1, 0);
		runner_start(&r, &m, 0);
		pin_tid_cpu(r.tid, cpu);
		runner_snapshot(&r, &seq, &last);
		usleep(500000);
		if (runner_wait(&r, seq, 3, 20))
			bad("cluster %d: vCPU 0 did not run", c);
		runner_stop(&r);
		/* v0 was read inside the last KVM_RUN before the sleep: its time counts too. */
		t = now_s();
		ret = mvm_run(&m, 1, &v1);
		t = now_s() - t + t0;
		if (ret != RUN_DOORBELL)
			goto err;
		printf("# cluster %d (%s, CPU %d): vCPU 0 ran %llu reports (%+lld cycles); the idle vCPU 1 grew %+lld cycles in %.0f us of its own KVM_RUNs\n",
		       c, pmus[c].name, cpu, (unsigned long long)r.seq,
		       (long long)(r.last - r.first), (long long)(v1 - v0), t * 1e6);
		if (v1 - v0 > (uint64_t)(t * 1.25e9) + JUMP_SLACK)
			bad("cluster %d: vCPU 1 counted while it did not run (%+lld cycles in %.0f us)",
			    c, (long long)(v1 - v0), t * 1e6);
		if (r.jumps)
			bad("cluster %d: vCPU 0: %llu report interval(s) faster than the clock", c,
			    (unsigned long long)r.jumps);
		check_slot(&m, 0, "own_cycles");
		check_slot(&m, 1, "own_cycles");
		mvm_destroy(&m);
		continue;
err:
		bad("cluster %d: KVM_RUN ended with %d", c, ret);
		mvm_destroy(&m);
	}
}

static void (*const scen[])(void) = {
	scen_reset, scen_thread_change, scen_destroy, scen_many, scen_own_cycles,
};

static const struct option opts[] = {
	{ "pmu", required_argument, NULL, 'p' },
	{ "seconds", required_argument, NULL, 't' },
	{ "seed", required_argument, NULL, 's' },
	{ "only", required_argument, NULL, 'o' },
	{ "reset-write", no_argument, NULL, 'w' },
	{ "skip", required_argument, NULL, 'x' },
	{ }
};

int main(int argc, char **argv)
{
	int opt, i, failed = 0, passed = 0;

	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case 'p':
			if (parse_pmu(optarg, &pmu))
				goto usage;
			break;
		case 't': seconds = atof(optarg); break;
		case 's': seed = strtoul(optarg, NULL, 0); break;
		case 'w': reset_write = 1; break;
		case 'x':
			for (i = 0; i < NR_SCEN && strcmp(names[i], optarg); i++)
				;
			if (i == NR_SCEN)
				goto usage;
			skipped |= 1U << i;
			break;
		case 'o':
			for (only = 0; only < NR_SCEN && strcmp(names[only], optarg); only++)
				;
			if (only++ == NR_SCEN)
				goto usage;
			break;
		default:
			goto usage;
		}
	}
	if (!seed)
		seed = (unsigned int)time(NULL) ^ (getpid() << 16);
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("KTAP version 1\n1..%d\n", only ? 1 : NR_SCEN);
	find_pmus();
	printf("# %d cluster(s); --pmu %s, seed %u (repeat with --seed %u)\n", nr_pmus,
	       pmu == VM_PMU_FIXED ? "fixed" : "default", seed, seed);
	for (i = 0; i < NR_SCEN; i++) {
		double t0 = now_s();
		int n = only ? 1 : i + 1;

		if (only && only != i + 1)
			continue;
		if (skip_all) {
			printf("ok %d %s # SKIP kernel lacks KVM_ARM_VCPU_PMU_V3_FIXED_COUNTERS_ONLY\n",
			       n, names[i]);
			continue;
		}
		if (skipped & (1U << i)) {
			printf("ok %d %s # SKIP left out (--skip)\n", n, names[i]);
			continue;
		}
		problems = 0;
		printf("# ---- %s\n", names[i]);
		scen[i]();
		unpin();
		if (skip_all) {
			printf("ok %d %s # SKIP kernel lacks KVM_ARM_VCPU_PMU_V3_FIXED_COUNTERS_ONLY\n",
			       n, names[i]);
			continue;
		}
		printf("# %s: %.1f s\n", names[i], now_s() - t0);
		if (problems) {
			printf("not ok %d %s # %d problem(s)\n", n, names[i], problems);
			failed++;
		} else {
			printf("ok %d %s\n", n, names[i]);
			passed++;
		}
	}
	if (failed)
		return 1;
	return passed ? 0 : 4;
usage:
	fprintf(stderr, "usage: %s [--pmu default|fixed] [--seconds S] [--seed N] [--only NAME]\n"
		"       [--skip NAME]... [--reset-write]\n",
		argv[0]);
	return 2;
}
