// SPDX-License-Identifier: GPL-2.0
/*
 * pmu-bench: what a vPMU costs the host, per mode, for make bench (rig/bench.sh).
 *
 * Runs on the rig's host booted with QEMU's -icount shift=0: virtual time advances one
 * nanosecond per instruction the emulated machine executes, on whichever of its CPUs,
 * so CLOCK_MONOTONIC and CNTVCT_EL0 measure instructions, the same on any machine.
 *
 * Modes: "off" (a vCPU without PMUv3), "default" (KVM's default PMU) and "fixed"
 * (KVM_ARM_VCPU_PMU_V3_FIXED_COUNTERS_ONLY, when offered). The guest enables the cycle
 * counter whenever it has a PMU. Rows, one line each on stdout:
 *
 *	bench<TAB>ROW<TAB>MODE<TAB>VALUE<TAB>UNIT
 *
 *  migrate   cost of one cross-cluster migration of a running vCPU: this thread, on CPU
 *            0, moves the vCPU thread (sched_setaffinity on its tid) every GAP_NS to a
 *            CPU of the next cluster while the guest spins and counts its iterations; a
 *            phase that moves it to the CPU it is on (the same syscalls, no migration)
 *            gives the guest's share of the machine without migrations, and what the
 *            guest lost beyond that, over the number of moves, is what a migration costs
 *            the machine (instructions). The vPMU's extra cost is a mode's figure minus
 *            "off"'s (rig/bench-table.sh). The vCPU has run on every cluster first.
 *  preempt   the same for a preemption of the vCPU thread on its own CPU (two context
 *            switches, no migration): this thread sleeps GAP_NS at a time on the vCPU's
 *            CPU, against a phase where it does so on CPU 0; over the vCPU thread's
 *            involuntary context switches (/proc). A VM with the attribute pays this on
 *            every context switch, migration or not (the thread carries an event per
 *            PMU it has run on).
 *  storm     migrations per second of emulated time when this thread moves the vCPU to
 *            the next cluster as soon as the guest has run since the last move. Bound
 *            by this thread's own polling (a move takes about 40 times a migration's
 *            kernel work): a coarse figure.
 *  read, filter, pmcr_c, floor
 *            instructions per guest PMCCNTR_EL0 read, PMCCFILTR_EL0 write, PMCR_EL0
 *            write with C (and E), PMSELR_EL0 read (a trap with no perf work), the vCPU
 *            thread pinned to one CPU of the first cluster all along (so with the
 *            attribute the series holds one event: its best case for a filter write).
 *  life      instructions to create a vCPU, initialise it and its PMU, run it once on one
 *            CPU and destroy it: a VM of LIFE_VCPUS vCPUs minus a VM of one, over the
 *            difference, in the CPU time of the thread that does it all (approximate:
 *            under -icount that time also counts other CPUs' work done meanwhile, and
 *            misses deferred frees).
 *  slab      slab bytes per vCPU (every cache of /proc/slabinfo, after shrinking them
 *            all) of MEM_VMS VMs of MAX_BVCPUS vCPUs, each run by a thread of its own
 *            once on a CPU of every cluster, after a warm-up pass; the vPMU's share is a
 *            mode's figure minus "off"'s. Also the object size of kvm_vcpu.
 *
 * Each figure is the median of REPEAT runs (the migration rows) or SAMPLES samples.
 * Exit status: 0, 1 on a failure of the measurement itself, 4 (skip) without two PMUs.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include "vmm.h"

extern const char pmu_bench_guest_start[], pmu_bench_guest_end[];

#define MAX_BVCPUS	16
#define HEARTBEAT	0x8000UL	/* offset in guest RAM of the spinning guest's count */
#define SAMPLES		7
#define REPEAT		9
#define MOVES		400
#define GAP_NS		500000L
#define STORM_NS	200000000LL
#define ACCESSES	2000
#define LIFE_VCPUS	8
#define MEM_VMS		4

enum mode { MODE_OFF, MODE_DEFAULT, MODE_FIXED, NR_MODES };
static const char *const mode_name[] = { "off", "default", "fixed" };

enum { OP_SPIN, OP_READ, OP_FILTER, OP_PMCR_C, OP_FLOOR, OP_ONCE };

struct bvm {
	int kvm, vm, gic, nr, run_size;
	int fd[MAX_BVCPUS];
	struct kvm_run *run[MAX_BVCPUS];
	void *ram;
};

/* One CPU of each cluster other than CPU 0, where the host thread that moves runs. */
static int target[MAX_PMUS];

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return x < y ? -1 : x > y;
}

static long long median(long long *v, int n)
{
	qsort(v, n, sizeof(v[0]), cmp_ll);
	return v[n / 2];
}

static void emit(const char *row, enum mode m, long long val, const char *unit)
{
	printf("bench\t%s\t%s\t%lld\t%s\n", row, mode_name[m], val, unit);
}

static void pin_tid(pid_t tid, int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(tid, sizeof(set), &set))
		die("sched_setaffinity(%d, CPU %d)", tid, cpu);
}

static void bvm_destroy(struct bvm *b)
{
	int i;

	for (i = 0; i < b->nr; i++) {
		munmap(b->run[i], b->run_size);
		close(b->fd[i]);
	}
	munmap(b->ram, GUEST_RAM_SIZE);
	close(b->gic);
	close(b->vm);
	close(b->kvm);
}

/*
 * A VM of @nr vCPUs, created on the CPU the caller runs on. Returns -1 when @m is
 * MODE_FIXED and the kernel does not offer the attribute.
 */
static int bvm_create(struct bvm *b, int nr, enum mode m)
{
	struct kvm_vcpu_init init;
	int i, irq = PMU_IRQ;

	memset(b, 0, sizeof(*b));
	b->nr = nr;
	b->kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (b->kvm < 0)
		die("/dev/kvm");
	b->vm = ioctl(b->kvm, KVM_CREATE_VM, 0);
	if (b->vm < 0)
		die("KVM_CREATE_VM");
	b->ram = guest_ram_create(b->vm, MAP_SHARED, pmu_bench_guest_start,
				  pmu_bench_guest_end - pmu_bench_guest_start);
	b->run_size = ioctl(b->kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (b->run_size <= 0)
		die("KVM_GET_VCPU_MMAP_SIZE");
	if (ioctl(b->vm, KVM_ARM_PREFERRED_TARGET, &init))
		die("KVM_ARM_PREFERRED_TARGET");
	if (m != MODE_OFF)
		init.features[0] |= 1U << KVM_ARM_VCPU_PMU_V3;
	for (i = 0; i < nr; i++) {
		b->fd[i] = ioctl(b->vm, KVM_CREATE_VCPU, i);
		if (b->fd[i] < 0)
			die("KVM_CREATE_VCPU %d", i);
		b->run[i] = mmap(NULL, b->run_size, PROT_READ | PROT_WRITE, MAP_SHARED,
				 b->fd[i], 0);
		if (b->run[i] == MAP_FAILED)
			die("mmap kvm_run %d", i);
		if (ioctl(b->fd[i], KVM_ARM_VCPU_INIT, &init))
			die("KVM_ARM_VCPU_INIT %d", i);
	}
	b->gic = vgic_create(b->vm);
	/* The attribute is the VM's: set through every vCPU before any PMU init. */
	for (i = 0; i < nr && m == MODE_FIXED; i++) {
		if (vcpu_pmu_attr(b->fd[i], KVM_SET_DEVICE_ATTR,
				  KVM_ARM_VCPU_PMU_V3_FIXED_COUNTERS_ONLY, NULL)) {
			if (errno == ENXIO || errno == EINVAL) {
				bvm_destroy(b);
				return -1;
			}
			die("KVM_ARM_VCPU_PMU_V3_FIXED_COUNTERS_ONLY %d", i);
		}
	}
	for (i = 0; i < nr && m != MODE_OFF; i++) {
		if (vcpu_pmu_attr(b->fd[i], KVM_SET_DEVICE_ATTR, KVM_ARM_VCPU_PMU_V3_IRQ, &irq))
			die("KVM_ARM_VCPU_PMU_V3_IRQ %d", i);
		if (vcpu_pmu_attr(b->fd[i], KVM_SET_DEVICE_ATTR, KVM_ARM_VCPU_PMU_V3_INIT, NULL))
			die("KVM_ARM_VCPU_PMU_V3_INIT %d", i);
	}
	return 0;
}

static void bvm_entry(struct bvm *b, int i, enum mode m, int op, uint64_t iters)
{
	vcpu_set_reg(b->fd[i], CORE_REG(regs.pc), GUEST_RAM);
	vcpu_set_reg(b->fd[i], CORE_REG(regs.regs[0]), DOORBELL);
	vcpu_set_reg(b->fd[i], CORE_REG(regs.regs[1]), op);
	vcpu_set_reg(b->fd[i], CORE_REG(regs.regs[2]), iters);
	vcpu_set_reg(b->fd[i], CORE_REG(regs.regs[3]), GUEST_RAM + HEARTBEAT);
	vcpu_set_reg(b->fd[i], CORE_REG(regs.regs[4]), m != MODE_OFF);
}

/* Runs vCPU @i to its next doorbell write. */
static uint64_t bvm_run(struct bvm *b, int i)
{
	struct kvm_run *r = b->run[i];
	uint64_t val;

	for (;;) {
		if (ioctl(b->fd[i], KVM_RUN, 0)) {
			if (errno == EINTR)
				continue;
			die("KVM_RUN %d", i);
		}
		if (r->exit_reason == KVM_EXIT_MMIO && r->mmio.is_write &&
		    r->mmio.phys_addr == DOORBELL && r->mmio.len == 8) {
			memcpy(&val, r->mmio.data, 8);
			return val;
		}
		errno = 0;
		die("vCPU %d: unexpected exit %u", i, r->exit_reason);
	}
}

/* The spinning vCPU's thread: KVM_RUN until a signal comes with stop set. */
struct spinner {
	struct bvm *b;
	pthread_t th;
	_Atomic pid_t tid;
	_Atomic int stop;
};

static void on_signal(int sig)
{
	(void)sig;
}

static void *spin_thread(void *arg)
{
	struct spinner *s = arg;

	s->tid = syscall(SYS_gettid);
	while (!s->stop) {
		if (!ioctl(s->b->fd[0], KVM_RUN, 0)) {
			errno = 0;
			die("spinning vCPU: exit %u", s->b->run[0]->exit_reason);
		}
		if (errno != EINTR)
			die("KVM_RUN (spinning vCPU)");
	}
	return NULL;
}

static volatile uint64_t *heartbeat(struct bvm *b)
{
	return (volatile uint64_t *)((char *)b->ram + HEARTBEAT);
}

static void sleep_ns(long ns)
{
	struct timespec ts = { .tv_sec = ns / 1000000000L, .tv_nsec = ns % 1000000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* The vCPU thread's involuntary context switches so far (/proc). */
static long long nvcsw(pid_t tid)
{
	char path[64], line[128];
	long long n = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/task/%d/status", tid);
	f = fopen(path, "r");
	if (!f)
		die("%s", path);
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "nonvoluntary_ctxt_switches: %lld", &n) == 1)
			break;
	fclose(f);
	if (n < 0)
		die("no nonvoluntary_ctxt_switches in %s", path);
	return n;
}

/*
 * What a phase of the spinning vCPU does every GAP_NS, MOVES times: PH_STAY pins it to
 * the CPU it is on (a sched_setaffinity() that moves nothing), PH_HOP to a CPU of the
 * next cluster, with this thread on CPU 0; PH_IDLE does nothing with this thread on CPU
 * 0, PH_PREEMPT nothing with this thread on the vCPU's CPU, whose every wake-up
 * preempts the vCPU thread.
 */
enum phase { PH_STAY, PH_HOP, PH_IDLE, PH_PREEMPT };

struct phase_run {
	long long rate;		/* guest iterations per second */
	long long took;		/* ns */
	long long switches;	/* the vCPU thread's involuntary context switches */
};

static void spin_phase(struct spinner *s, enum phase ph, struct phase_run *pr)
{
	volatile uint64_t *hb = heartbeat(s->b);
	long long t0, t1, c0;
	uint64_t h0, h1;
	int i;

	pin(ph == PH_PREEMPT ? target[0] : 0);
	c0 = nvcsw(s->tid);
	h0 = *hb;
	t0 = now_ns();
	for (i = 1; i <= MOVES; i++) {
		sleep_ns(GAP_NS);
		if (ph == PH_STAY || ph == PH_HOP)
			pin_tid(s->tid, target[ph == PH_HOP ? i % nr_pmus : 0]);
	}
	sleep_ns(GAP_NS);
	h1 = *hb;
	t1 = now_ns();
	pr->switches = nvcsw(s->tid) - c0;
	pin(0);
	pin_tid(s->tid, target[0]);
	pr->took = t1 - t0;
	pr->rate = (long long)((h1 - h0) * 1000000000ULL / (uint64_t)(t1 - t0));
}

/*
 * REPEAT pairs of phases, a warm-up pair first: what the guest lost in phase @test
 * beyond phase @base, in ns (= instructions), over the number of moves (PH_HOP) or of
 * the vCPU thread's involuntary context switches (PH_PREEMPT). Returns the median.
 */
static long long spin_cost(struct spinner *s, enum mode m, const char *name,
			   enum phase base, enum phase test)
{
	long long cost[REPEAT], lost, n;
	struct phase_run a, b;
	int r;

	for (r = -1; r < REPEAT; r++) {
		spin_phase(s, base, &a);
		spin_phase(s, test, &b);
		/* What the guest lost: time it would have spun in at the base rate. */
		lost = b.took - (long long)((__int128)b.rate * b.took / a.rate);
		n = test == PH_PREEMPT ? b.switches : MOVES;
		if (n <= 0) {
			errno = 0;
			die("%s %s: the vCPU thread was never switched out", name, mode_name[m]);
		}
		if (r < 0)
			continue;
		cost[r] = lost / n;
		printf("# %s %s: run %d: %lld / %lld guest iterations per ms, %lld ns, %d moves, "
		       "%lld involuntary switches of the vCPU thread: %lld ns each\n", name,
		       mode_name[m], r, a.rate / 1000, b.rate / 1000, b.took, MOVES, b.switches,
		       cost[r]);
	}
	return median(cost, REPEAT);
}

static int spinner_start(struct spinner *s, struct bvm *b, enum mode m)
{
	volatile uint64_t *hb;
	long long t0;

	pin(target[0]);
	if (bvm_create(b, 1, m))
		return -1;
	bvm_entry(b, 0, m, OP_SPIN, 0);
	memset(s, 0, sizeof(*s));
	s->b = b;
	hb = heartbeat(b);
	*hb = 0;
	if (pthread_create(&s->th, NULL, spin_thread, s))
		die("pthread_create");
	pin(0);
	t0 = now_ns();
	while (!*hb || !s->tid) {
		if (now_ns() - t0 > 5000000000LL) {
			errno = 0;
			die("the spinning guest did not start in 5 s");
		}
		sleep_ns(100000);
	}
	return 0;
}

static void spinner_stop(struct spinner *s)
{
	s->stop = 1;
	while (pthread_kill(s->th, SIGUSR1) == 0 && pthread_tryjoin_np(s->th, NULL) == EBUSY)
		sleep_ns(1000000);
	bvm_destroy(s->b);
}

/*
 * The migration row, then the preemption row, on one spinning vCPU that has run on every
 * cluster (with the attribute, the series then holds an event of every PMU).
 */
static void bench_migrate(enum mode m)
{
	struct spinner s;
	struct bvm b;
	int i;

	if (spinner_start(&s, &b, m))
		return;
	for (i = 0; i < 2 * nr_pmus; i++) {
		sleep_ns(GAP_NS);
		pin_tid(s.tid, target[i % nr_pmus]);
	}
	pin_tid(s.tid, target[0]);
	emit("migrate", m, spin_cost(&s, m, "migrate", PH_STAY, PH_HOP),
	     "instructions per migration");
	emit("preempt", m, spin_cost(&s, m, "preempt", PH_IDLE, PH_PREEMPT),
	     "instructions per preemption");
	spinner_stop(&s);
}

static void bench_storm(enum mode m)
{
	long long rate[REPEAT], t0, n;
	volatile uint64_t *hb;
	struct spinner s;
	struct bvm b;
	uint64_t h;
	int r;

	if (spinner_start(&s, &b, m))
		return;
	hb = heartbeat(&b);
	for (r = 0; r < REPEAT; r++) {
		t0 = now_ns();
		for (n = 0; now_ns() - t0 < STORM_NS; n++) {
			/* Moved (sched_setaffinity() returns once it is), then ran again. */
			pin_tid(s.tid, target[(n + 1) % nr_pmus]);
			h = *hb;
			while (*hb == h)
				sched_yield();
		}
		rate[r] = n * 1000000000LL / (now_ns() - t0);
		pin_tid(s.tid, target[0]);
	}
	spinner_stop(&s);
	emit("storm", m, median(rate, REPEAT), "migrations per second");
}

static void bench_access(enum mode m)
{
	static const char *const row[] = {
		[OP_READ] = "read", [OP_FILTER] = "filter", [OP_PMCR_C] = "pmcr_c",
		[OP_FLOOR] = "floor",
	};
	long long t[SAMPLES];
	struct bvm b;
	int op, i;

	for (op = OP_READ; op <= OP_FLOOR; op++) {
		pin(target[0]);
		if (bvm_create(&b, 1, m))
			return;
		bvm_entry(&b, 0, m, op, ACCESSES);
		bvm_run(&b, 0);		/* warm-up */
		for (i = 0; i < SAMPLES; i++)
			t[i] = bvm_run(&b, 0);
		bvm_destroy(&b);
		emit(row[op], m, cntvct_to_ns(median(t, SAMPLES)) / ACCESSES,
		     "instructions per access");
	}
}

static long long thread_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/*
 * Create, initialise, run once, destroy: a VM of @nr vCPUs, in ns of this thread's CPU
 * time (instructions: the ioctls, the guest and the destruction, which runs when the
 * last fd closes; not the idle time of waits such as RCU grace periods, which elapsed
 * time would count).
 */
static long long life_ns(enum mode m, int nr)
{
	long long t0 = thread_ns();
	struct bvm b;
	int i;

	if (bvm_create(&b, nr, m))
		return -1;
	for (i = 0; i < nr; i++) {
		bvm_entry(&b, i, m, OP_ONCE, 0);
		bvm_run(&b, i);
	}
	bvm_destroy(&b);
	return thread_ns() - t0;
}

static void bench_life(enum mode m)
{
	long long many[SAMPLES], one[SAMPLES];
	int i;

	pin(target[0]);
	if (life_ns(m, 1) < 0)	/* warm-up, and the test for the attribute */
		return;
	for (i = 0; i < SAMPLES; i++) {
		many[i] = life_ns(m, LIFE_VCPUS);
		one[i] = life_ns(m, 1);
	}
	emit("life", m, (median(many, SAMPLES) - median(one, SAMPLES)) / (LIFE_VCPUS - 1),
	     "instructions per vCPU");
}

/*
 * Bytes in every slab cache (active objects times object size); *vcpu_size: kvm_vcpu's.
 * Every cache is shrunk first: that flushes the per-CPU slabs and sheaves, whose free
 * objects /proc/slabinfo would count as active.
 */
#define MAX_CACHES	512
struct slab_cache {
	char name[128];
	long long bytes, objs, size;
};

static long long slab_bytes(long long *vcpu_size, struct slab_cache *c, int *nr)
{
	char line[512], name[128], path[384];
	long long total = 0, active, objs, size;
	struct dirent *d;
	DIR *dir;
	FILE *f;

	dir = opendir("/sys/kernel/slab");
	if (!dir)
		die("/sys/kernel/slab");
	while ((d = readdir(dir))) {
		int fd;

		if (d->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/sys/kernel/slab/%s/shrink", d->d_name);
		fd = open(path, O_WRONLY);
		if (fd < 0)
			continue;
		if (write(fd, "1", 1) != 1)
			die("%s", path);
		close(fd);
	}
	closedir(dir);
	f = fopen("/proc/slabinfo", "r");
	if (!f)
		die("/proc/slabinfo");
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%127s %lld %lld %lld", name, &active, &objs, &size) != 4)
			continue;
		total += active * size;
		if (*nr < MAX_CACHES) {
			snprintf(c[*nr].name, sizeof(c[*nr].name), "%s", name);
			c[*nr].objs = active;
			c[*nr].size = size;
			c[(*nr)++].bytes = active * size;
		}
		if (!strcmp(name, "kvm_vcpu"))
			*vcpu_size = size;
	}
	fclose(f);
	return total;
}

/* One thread per vCPU, as VMMs have it: runs its vCPU once on every cluster, then waits. */
struct slab_vcpu {
	struct bvm *b;
	int idx;
	pthread_barrier_t *ran, *measured;
};

static void *slab_thread(void *arg)
{
	struct slab_vcpu *sv = arg;
	int k;

	for (k = 0; k < nr_pmus; k++) {
		pin(target[k]);
		bvm_run(sv->b, sv->idx);
	}
	pthread_barrier_wait(sv->ran);
	pthread_barrier_wait(sv->measured);
	return NULL;
}

/* @report 0: a warm-up pass, so that "off", the first mode, does not pay for the boot's first VMs. */
static void bench_slab(enum mode m, int report)
{
	static struct slab_cache c0[MAX_CACHES], c1[MAX_CACHES];
	static struct slab_vcpu sv[MEM_VMS * MAX_BVCPUS];
	static pthread_t th[MEM_VMS * MAX_BVCPUS];
	long long before, after, vcpu_size = 0, d;
	int v, i, k, n0 = 0, n1 = 0, nr = MEM_VMS * MAX_BVCPUS;
	pthread_barrier_t ran, measured;
	struct bvm b[MEM_VMS];

	pin(target[0]);
	/* What the previous mode's VMs freed through RCU is gone by now. */
	sleep_ns(300000000L);
	before = slab_bytes(&vcpu_size, c0, &n0);
	for (v = 0; v < MEM_VMS; v++) {
		if (bvm_create(&b[v], MAX_BVCPUS, m)) {
			while (v--)
				bvm_destroy(&b[v]);
			return;
		}
		for (i = 0; i < MAX_BVCPUS; i++)
			bvm_entry(&b[v], i, m, OP_ONCE, 0);
	}
	pthread_barrier_init(&ran, NULL, nr + 1);
	pthread_barrier_init(&measured, NULL, nr + 1);
	for (i = 0; i < nr; i++) {
		sv[i] = (struct slab_vcpu) {
			.b = &b[i / MAX_BVCPUS], .idx = i % MAX_BVCPUS,
			.ran = &ran, .measured = &measured,
		};
		if (pthread_create(&th[i], NULL, slab_thread, &sv[i]))
			die("pthread_create");
	}
	pthread_barrier_wait(&ran);
	/* Nor are objects the VMs released through RCU (an event re-created on a hop). */
	sleep_ns(300000000L);
	after = slab_bytes(&vcpu_size, c1, &n1);
	pthread_barrier_wait(&measured);
	for (i = 0; i < nr; i++)
		pthread_join(th[i], NULL);
	pthread_barrier_destroy(&ran);
	pthread_barrier_destroy(&measured);
	for (v = 0; v < MEM_VMS; v++)
		bvm_destroy(&b[v]);
	if (!report)
		return;
	/* The caches that grew or shrank by 64 bytes per vCPU or more, for the reader. */
	for (i = 0; i < n1; i++) {
		long long o = c1[i].objs;

		d = c1[i].bytes;
		for (k = 0; k < n0; k++) {
			if (!strcmp(c0[k].name, c1[i].name)) {
				d -= c0[k].bytes;
				o -= c0[k].objs;
			}
		}
		d /= nr;
		if (d >= 64 || d <= -64)
			printf("# slab %s: %s %+lld bytes per vCPU (%+lld objects of %lld bytes in all)\n",
			       mode_name[m], c1[i].name, d, o, c1[i].size);
	}
	emit("slab", m, (after - before) / nr, "bytes per vCPU");
	emit("kvm_vcpu", m, vcpu_size, "bytes (object size)");
}

int main(int argc, char **argv)
{
	/* Which rows ("migrate" also gives "preempt"), all by default. */
	const char *rows = argc > 1 ? argv[1] : "migrate,storm,access,life,slab";
	struct sigaction sa = { .sa_handler = on_signal };
	int k, m;

	setvbuf(stdout, NULL, _IOLBF, 0);
	sigaction(SIGUSR1, &sa, NULL);
	find_pmus();
	if (nr_pmus < 2) {
		printf("# pmu-bench: %d host PMU(s), two or more needed\n", nr_pmus);
		return 4;
	}
	for (k = 0; k < nr_pmus; k++) {
		target[k] = pmus[k].cpus[pmus[k].nr_cpus - 1];
		if (target[k] == 0) {
			errno = 0;
			die("cluster %d has only CPU 0, where the mover runs", k);
		}
	}
	printf("# pmu-bench: %d host PMUs, vCPU CPUs:", nr_pmus);
	for (k = 0; k < nr_pmus; k++)
		printf(" %d (%s)", target[k], pmus[k].name);
	printf("\n");
	if (strstr(rows, "slab"))
		bench_slab(MODE_OFF, 0);
	for (m = 0; m < NR_MODES; m++) {
		if (strstr(rows, "migrate"))
			bench_migrate(m);
		if (strstr(rows, "storm"))
			bench_storm(m);
		if (strstr(rows, "access") && m != MODE_OFF)
			bench_access(m);
		if (strstr(rows, "life"))
			bench_life(m);
		if (strstr(rows, "slab"))
			bench_slab(m, 1);
	}
	return 0;
}
