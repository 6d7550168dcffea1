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
 *  migrate   cost of one cross-cluster migration of a running vCPU: a host thread on
 *            CPU 0 moves the vCPU thread (sched_setaffinity on its tid) every
 *            MIGRATE_GAP_NS to a CPU of the next cluster, while the guest spins and
 *            counts its iterations; a run that moves it to the CPU it is on (the same
 *            syscalls, no migration) gives the guest's share of the machine without
 *            migrations, and what the guest lost beyond that, over the number of
 *            migrations, is what a migration costs the machine (instructions). The
 *            vPMU's extra cost is a mode's figure minus "off"'s (rig/bench.sh).
 *  storm     migrations per second of emulated time when the host thread moves the
 *            vCPU to the next cluster as soon as the guest has run since the last move.
 *  read, filter, pmcr_c, floor
 *            instructions per guest PMCCNTR_EL0 read, PMCCFILTR_EL0 write, PMCR_EL0
 *            write with C (and E), PMSELR_EL0 read (a trap with no perf work), the vCPU
 *            thread pinned to one CPU.
 *  life      instructions to create a vCPU, initialise it and its PMU, run it once and
 *            destroy it: a VM of LIFE_VCPUS vCPUs minus a VM of one, over the difference,
 *            in the CPU time of the thread that does it all.
 *  slab      slab bytes per vCPU (every cache of /proc/slabinfo, after shrinking
 *            them all) of MEM_VMS VMs of MAX_BVCPUS vCPUs, each run once on a CPU of
 *            every cluster; the vPMU's share is a mode's figure minus "off"'s. Also the
 *            object size of kvm_vcpu.
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
#define MIGRATIONS	400
#define MIGRATE_GAP_NS	500000L
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

/*
 * MIGRATIONS moves of the spinning vCPU, MIGRATE_GAP_NS apart: to the next cluster
 * (@hop) or to the CPU it is on. Returns the guest's iterations per microsecond (x1000).
 */
static long long spin_rate(struct spinner *s, int hop, long long *took)
{
	volatile uint64_t *hb = heartbeat(s->b);
	uint64_t h0, h1;
	long long t0, t1;
	int i;

	h0 = *hb;
	t0 = now_ns();
	for (i = 1; i <= MIGRATIONS; i++) {
		sleep_ns(MIGRATE_GAP_NS);
		pin_tid(s->tid, target[hop ? i % nr_pmus : 0]);
	}
	sleep_ns(MIGRATE_GAP_NS);
	h1 = *hb;
	t1 = now_ns();
	pin_tid(s->tid, target[0]);
	*took = t1 - t0;
	return (long long)((h1 - h0) * 1000000000ULL / (uint64_t)(t1 - t0));
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

static void bench_migrate(enum mode m)
{
	long long cost[REPEAT], rate0, rate1, took, lost;
	struct spinner s;
	struct bvm b;
	int r, i;

	if (spinner_start(&s, &b, m))
		return;
	/* Warm-up: the guest has run on every cluster before the measured runs. */
	for (i = 0; i < 2 * nr_pmus; i++) {
		sleep_ns(MIGRATE_GAP_NS);
		pin_tid(s.tid, target[i % nr_pmus]);
	}
	pin_tid(s.tid, target[0]);
	for (r = 0; r < REPEAT; r++) {
		rate0 = spin_rate(&s, 0, &took);
		rate1 = spin_rate(&s, 1, &took);
		/* What the guest lost to the migrations: time it would have spun in. */
		lost = took - (long long)((__int128)rate1 * took / rate0);
		cost[r] = lost / MIGRATIONS;
		printf("# migrate %s: run %d: %lld / %lld guest iterations per ms steady / "
		       "migrating, %lld ns over %d migrations\n", mode_name[m], r,
		       rate0 / 1000, rate1 / 1000, took, MIGRATIONS);
	}
	spinner_stop(&s);
	emit("migrate", m, median(cost, REPEAT), "instructions per migration");
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
			h = *hb;
			pin_tid(s.tid, target[(n + 1) % nr_pmus]);
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
		emit(row[op], m, median(t, SAMPLES) * cntvct_tick_ns() / ACCESSES,
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

static void bench_slab(enum mode m)
{
	static struct slab_cache c0[MAX_CACHES], c1[MAX_CACHES];
	long long before, after, vcpu_size = 0, d;
	int v, i, k, n0 = 0, n1 = 0;
	struct bvm b[MEM_VMS];

	pin(target[0]);
	/* What the previous mode's VMs freed through RCU is gone by now. */
	sleep_ns(300000000L);
	before = slab_bytes(&vcpu_size, c0, &n0);
	for (v = 0; v < MEM_VMS; v++) {
		pin(target[0]);
		if (bvm_create(&b[v], MAX_BVCPUS, m)) {
			while (v--)
				bvm_destroy(&b[v]);
			return;
		}
		for (i = 0; i < MAX_BVCPUS; i++)
			bvm_entry(&b[v], i, m, OP_ONCE, 0);
		for (k = 0; k < nr_pmus; k++) {
			pin(target[k]);
			for (i = 0; i < MAX_BVCPUS; i++)
				bvm_run(&b[v], i);
		}
	}
	/* Nor are objects the VMs released through RCU (an event re-created on a hop). */
	sleep_ns(300000000L);
	after = slab_bytes(&vcpu_size, c1, &n1);
	for (v = 0; v < MEM_VMS; v++)
		bvm_destroy(&b[v]);
	/* The caches that grew by 64 bytes per vCPU or more, for the reader. */
	for (i = 0; i < n1; i++) {
		long long o = c1[i].objs;

		d = c1[i].bytes;
		for (k = 0; k < n0; k++) {
			if (!strcmp(c0[k].name, c1[i].name)) {
				d -= c0[k].bytes;
				o -= c0[k].objs;
			}
		}
		d /= MEM_VMS * MAX_BVCPUS;
		if (d >= 64 || d <= -64)
			printf("# slab %s: %s %+lld bytes per vCPU (%+lld objects of %lld bytes in all)\n",
			       mode_name[m], c1[i].name, d, o, c1[i].size);
	}
	emit("slab", m, (after - before) / (MEM_VMS * MAX_BVCPUS), "bytes per vCPU");
	emit("kvm_vcpu", m, vcpu_size, "bytes (object size)");
}

int main(int argc, char **argv)
{
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
			bench_slab(m);
	}
	return 0;
}
