// SPDX-License-Identifier: GPL-2.0
/*
 * stress-contend: the guest's cycle counter against pinned host events.
 *
 * KVM backs the guest's PMCCNTR_EL0 with pinned task events of the vCPU thread. When
 * pinned per-CPU events of the host hold every counter of a cluster's PMU as the vCPU
 * thread is scheduled in there, perf cannot place KVM's event and leaves it in the
 * error state, where it stays until someone calls perf_event_enable() on it. The
 * guest has no reason to, and a vCPU that stays on that cluster never hops.
 *
 * One VM, one vCPU (created on the first CPU of the first cluster), whose guest enables
 * the cycle counter and then reports it to the VMM in a loop; on request (x2 != 0) it
 * writes PMCNTENSET_EL0.C again, a "re-enable" that changes nothing architecturally.
 * Cluster B is the last cluster (or --cluster N) with --pmu fixed, the VM's own PMU's
 * (the first) with --pmu default. Phases, the vCPU thread pinned to cluster B's CPUs:
 *
 *   stay: the counter counts on B; the host opens pinned CPU_CYCLES events on every CPU
 *         of B until one of them goes to the error state itself (so they hold the cycle
 *         counter and every event counter: the PMU is full); the guest counter must
 *         stand still on B meanwhile (the test's own sanity); the host events are
 *         closed; with --expect recover the counter must count again on B within
 *         --bound-ms of guest run time, with the guest doing nothing and no hop; with
 *         --expect stuck it must not (what KVM's default PMU does). Then the guest
 *         re-enables the counter, which must bring it back in either case.
 *   partial: (B has two CPUs or more) the host holds only B's first CPU; the vCPU runs
 *         there (stands still), then on B's second CPU, whose counters are free, while
 *         the first stays held: no hop between PMUs, yet the counter must count there
 *         within --bound-ms (--expect recover) or must not (--expect stuck).
 *   hop:  (two clusters or more, --pmu fixed) the same as stay, but while the host
 *         events hold B the vCPU hops to another cluster (where it must count) and back
 *         to B (where it must stand still again) before the host events are closed.
 *   first: (two clusters or more, --pmu fixed, B not the first) a new VM counts on the
 *         first cluster, then enters B for the first time while the host holds B (its
 *         event for B is created then), stands still, and after the close must count
 *         as in stay.
 * The default mode runs stay and partial only (its PMU counts on one cluster).
 *
 * Exit: 0 all expectations held, 1 one failed, 4 skip (mode not offered by the kernel,
 * no such cluster), 2 setup error.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/perf_event.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include "vmm.h"

/*
 * The guest: x0 doorbell, x1 spin iterations between two reports, x2 re-enable request.
 * Reports PMCR_EL0 once, then PMCCNTR_EL0 in a loop.
 */
__asm__(
	".text\n"
	".globl contend_guest_start, contend_guest_end\n"
	".p2align 2\n"
	"contend_guest_start:\n"
	"	mov	x9, #1\n"
	"	msr	pmcr_el0, x9\n"
	"	mov	x9, #0x80000000\n"
	"	msr	pmcntenset_el0, x9\n"
	"	isb\n"
	"	mrs	x9, pmcr_el0\n"
	"	str	x9, [x0]\n"
	"1:	cbz	x2, 3f\n"
	"	mov	x2, #0\n"
	"	mov	x9, #0x80000000\n"
	"	msr	pmcntenset_el0, x9\n"
	"	isb\n"
	"3:	mrs	x9, pmccntr_el0\n"
	"	str	x9, [x0]\n"
	"	mov	x10, x1\n"
	"2:	subs	x10, x10, #1\n"
	"	b.ne	2b\n"
	"	b	1b\n"
	"contend_guest_end:\n"
	".previous\n");

extern const char contend_guest_start[], contend_guest_end[];

#define MAX_HOST_EVENTS	(MAX_CPUS * 34)

static enum vm_pmu mode = VM_PMU_FIXED;
static int expect_recover = 1;
static int cluster_b = -1;
static int bound_ms = 2000;
static unsigned long spin = 20000;
static int failures;
static int host_fd[MAX_HOST_EVENTS], nr_host_fd;

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void pin_cluster(const struct host_pmu *p)
{
	cpu_set_t set;
	int i;

	CPU_ZERO(&set);
	for (i = 0; i < p->nr_cpus; i++)
		CPU_SET(p->cpus[i], &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		die("sched_setaffinity(%s)", p->cpulist);
}

static void expect(int cond, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void expect(int cond, const char *fmt, ...)
{
	va_list ap;

	printf("  %s: ", cond ? "ok  " : "FAIL");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	if (!cond)
		failures++;
}

static uint64_t sample(struct vm *v)
{
	uint64_t val;
	int cpu;

	if (vm_run(v, &val, &cpu))
		die("KVM refused to enter the guest on CPU %d", cpu);
	return val;
}

/* Runs the guest for @ms; returns how far its counter advanced. */
static uint64_t advance(struct vm *v, int ms)
{
	double end = now_ms() + ms;
	uint64_t a = sample(v), b;

	do
		b = sample(v);
	while (now_ms() < end);
	return b - a;
}

/*
 * Runs the guest for at most @ms; returns the ms until its counter first advanced, or
 * -1 if it did not.
 */
static double time_to_count(struct vm *v, int ms)
{
	double t0 = now_ms();
	uint64_t a = sample(v);

	while (now_ms() < t0 + ms) {
		if (sample(v) != a)
			return now_ms() - t0;
	}
	return -1;
}

static int perf_open(struct perf_event_attr *attr, int cpu)
{
	return syscall(SYS_perf_event_open, attr, -1, cpu, -1, PERF_FLAG_FD_CLOEXEC);
}

/* Is this per-CPU event in the error state? read() returns 0 bytes then. */
static int in_error(int fd)
{
	uint64_t count;
	ssize_t n = read(fd, &count, sizeof(count));

	if (n < 0)
		die("read(host event)");
	return n == 0;
}

/*
 * Pinned CPU_CYCLES events on the first @nr_cpus CPUs of @p, as many as it takes for
 * one to go to the error state: the first takes the cycle counter, the others the
 * event counters.
 */
static void hold_cpus(const struct host_pmu *p, int nr_cpus)
{
	struct perf_event_attr attr;
	int i, n, fd;

	memset(&attr, 0, sizeof(attr));
	attr.size = sizeof(attr);
	attr.type = p->type;
	attr.config = 0x11;	/* CPU_CYCLES */
	attr.pinned = 1;
	for (i = 0; i < nr_cpus; i++) {
		for (n = 0; n < 34; n++) {
			fd = perf_open(&attr, p->cpus[i]);
			if (fd < 0)
				die("perf_event_open(type %d, cpu %d)", p->type, p->cpus[i]);
			if (nr_host_fd == MAX_HOST_EVENTS)
				die("too many host events");
			host_fd[nr_host_fd++] = fd;
			if (in_error(fd))
				break;
		}
		printf("  host: %d pinned CPU_CYCLES events on CPU %d, the last in the error state: %s\n",
		       n + 1, p->cpus[i], n < 34 ? "yes (the PMU is full)" : "no");
		if (n == 34) {
			errno = 0;
			die("could not fill the PMU of CPU %d", p->cpus[i]);
		}
	}
}

static void hold(const struct host_pmu *p)
{
	hold_cpus(p, p->nr_cpus);
}

static void release(void)
{
	while (nr_host_fd)
		close(host_fd[--nr_host_fd]);
	printf("  host: events closed\n");
}

static void recovery(struct vm *v, const struct host_pmu *b, const char *since)
{
	double t = time_to_count(v, bound_ms);

	if (t >= 0)
		printf("  counter counts again on %s after %.0f ms, nothing done by the guest\n",
		       b->name, t);
	else
		printf("  counter still stands on %s %d ms after %s\n", b->name, bound_ms, since);
	if (expect_recover)
		expect(t >= 0, "counts again on %s within %d ms without the guest re-enabling it",
		       b->name, bound_ms);
	else
		expect(t < 0, "stays stopped on %s for %d ms until the guest re-enables it (--expect stuck)",
		       b->name, bound_ms);

	vm_set_xreg(v, 2, 1);
	t = time_to_count(v, bound_ms);
	expect(t >= 0, "counts on %s after the guest re-enabled it (%.0f ms)", b->name, t);
}

/*
 * The start of stay and hop: the vCPU on cluster B counts, then the host events hold B
 * and it must stand still there while the guest runs for @held_ms.
 */
static void count_then_hold(struct vm *v, const struct host_pmu *b, int held_ms)
{
	uint64_t d;

	pin_cluster(b);
	d = advance(v, 200);
	expect(d > 0, "counts on %s before the host events: +%llu", b->name,
	       (unsigned long long)d);
	hold(b);
	d = advance(v, held_ms);
	expect(d == 0, "stands still on %s while the host events hold its counters: +%llu",
	       b->name, (unsigned long long)d);
}

static void phase_stay(struct vm *v, const struct host_pmu *b)
{
	printf("\nphase stay: the vCPU stays on %s (cpus %s)\n", b->name, b->cpulist);
	count_then_hold(v, b, 300);
	release();
	recovery(v, b, "the host events were closed");
}

static void phase_hop(struct vm *v, const struct host_pmu *b, const struct host_pmu *a)
{
	uint64_t d;

	printf("\nphase hop: the vCPU hops from %s to %s and back while the host holds %s\n",
	       b->name, a->name, b->name);
	count_then_hold(v, b, 200);
	pin_cluster(a);
	d = advance(v, 200);
	expect(d > 0, "counts on %s meanwhile: +%llu", a->name, (unsigned long long)d);
	pin_cluster(b);
	d = advance(v, 200);
	expect(d == 0, "stands still again back on %s: +%llu", b->name, (unsigned long long)d);
	release();
	recovery(v, b, "the host events were closed");
}

/*
 * A new VM whose vCPU enters cluster B for the first time while the host events hold
 * it: its event for B is created then, and goes to the error state at once.
 */
static void phase_first(const struct host_pmu *b, const struct host_pmu *a)
{
	struct vm v;
	uint64_t d;

	printf("\nphase first: a new VM counts on %s, then enters %s for the first time while the host holds it\n",
	       a->name, b->name);
	pin(a->cpus[0]);
	if (vm_create(&v, mode, contend_guest_start, contend_guest_end - contend_guest_start))
		die("FIXED_COUNTERS_ONLY went away");
	vm_set_xreg(&v, 1, spin);
	vm_set_xreg(&v, 2, 0);
	sample(&v);
	pin_cluster(a);
	d = advance(&v, 200);
	expect(d > 0, "counts on %s: +%llu", a->name, (unsigned long long)d);
	hold(b);
	pin_cluster(b);
	d = advance(&v, 200);
	expect(d == 0, "stands still on %s, entered for the first time while the host events hold its counters: +%llu",
	       b->name, (unsigned long long)d);
	release();
	recovery(&v, b, "the host events were closed");
	vm_destroy(&v);
}

/*
 * The host events hold only the first CPU of cluster B; the vCPU runs there, then on
 * another CPU of B, where the counters are free: no hop between PMUs, the event stays
 * the same, and the counter should count there while the first CPU is still held.
 */
static void phase_partial(struct vm *v, const struct host_pmu *b)
{
	uint64_t d;

	printf("\nphase partial: the host holds CPU %d of %s only; the vCPU moves from it to CPU %d\n",
	       b->cpus[0], b->name, b->cpus[1]);
	pin(b->cpus[0]);
	d = advance(v, 200);
	expect(d > 0, "counts on CPU %d before the host events: +%llu", b->cpus[0],
	       (unsigned long long)d);
	hold_cpus(b, 1);
	d = advance(v, 200);
	expect(d == 0, "stands still on CPU %d while the host events hold its counters: +%llu",
	       b->cpus[0], (unsigned long long)d);
	pin(b->cpus[1]);
	recovery(v, b, "moving to a CPU of the same PMU whose counters are free");
	release();
}

static void usage(const char *prog)
{
	fprintf(stderr, "usage: %s [--pmu fixed|default] [--expect recover|stuck] [--cluster N] [--bound-ms MS]\n",
		prog);
	exit(2);
}

int main(int argc, char **argv)
{
	const struct host_pmu *b;
	uint64_t pmcr;
	struct vm v;
	int i;

	for (i = 1; i < argc; i++) {
		const char *arg = i + 1 < argc ? argv[i + 1] : NULL;

		if (!arg)
			usage(argv[0]);
		if (!strcmp(argv[i], "--pmu") && !strcmp(arg, "fixed"))
			mode = VM_PMU_FIXED;
		else if (!strcmp(argv[i], "--pmu") && !strcmp(arg, "default"))
			mode = VM_PMU_DEFAULT;
		else if (!strcmp(argv[i], "--expect") && !strcmp(arg, "recover"))
			expect_recover = 1;
		else if (!strcmp(argv[i], "--expect") && !strcmp(arg, "stuck"))
			expect_recover = 0;
		else if (!strcmp(argv[i], "--cluster"))
			cluster_b = atoi(arg);
		else if (!strcmp(argv[i], "--bound-ms"))
			bound_ms = atoi(arg);
		else
			usage(argv[0]);
		i++;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	find_pmus();
	if (cluster_b < 0)
		cluster_b = mode == VM_PMU_FIXED ? nr_pmus - 1 : 0;
	if (cluster_b >= nr_pmus) {
		printf("no cluster %d on this host (%d clusters)\n", cluster_b, nr_pmus);
		return 4;
	}
	if (mode == VM_PMU_DEFAULT && cluster_b != 0) {
		printf("KVM's default PMU is the first cluster's here: --cluster 0 only\n");
		return 4;
	}
	b = &pmus[cluster_b];

	pin(pmus[0].cpus[0]);
	if (vm_create(&v, mode, contend_guest_start,
		      contend_guest_end - contend_guest_start)) {
		printf("KVM_ARM_VCPU_PMU_V3_FIXED_COUNTERS_ONLY is not offered by this kernel\n");
		return 4;
	}
	vm_set_xreg(&v, 1, spin);
	vm_set_xreg(&v, 2, 0);
	pmcr = sample(&v);
	printf("mode %s, cluster B %s (type %d, cpus %s), %d cluster(s); guest PMCR_EL0 %#llx (N %llu)\n",
	       mode == VM_PMU_FIXED ? "fixed (FIXED_COUNTERS_ONLY)" : "default (KVM's default PMU)",
	       b->name, b->type, b->cpulist, nr_pmus, (unsigned long long)pmcr,
	       (unsigned long long)((pmcr >> 11) & 0x1f));

	phase_stay(&v, b);
	if (b->nr_cpus > 1)
		phase_partial(&v, b);
	else
		printf("\nphase partial: not run (one CPU in %s)\n", b->name);
	if (mode == VM_PMU_FIXED && nr_pmus > 1)
		phase_hop(&v, b, &pmus[cluster_b ? 0 : 1]);
	else
		printf("\nphase hop: not run (%s)\n",
		       nr_pmus == 1 ? "one cluster" : "KVM's default PMU counts on its cluster only");
	vm_destroy(&v);
	if (mode == VM_PMU_FIXED && nr_pmus > 1 && cluster_b != 0)
		phase_first(b, &pmus[0]);
	else
		printf("\nphase first: not run (%s)\n",
		       mode != VM_PMU_FIXED ? "KVM's default PMU counts on its cluster only" :
		       "the VM is created on cluster B");

	printf("\n%s: %d failed expectation(s)\n", failures ? "FAIL" : "PASS", failures);
	return failures ? 1 : 0;
}
