/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vmm-multi: a VM of several PMUv3 vCPUs (raw KVM ioctls, in-kernel GICv3), one host
 * thread per vCPU ("runner"), and a host thread that moves the runners between the
 * clusters at random sub-millisecond intervals ("hopper"). For the stress programs
 * (stress-migrate, stress-release, stress-life); vmm.c's die(), find_pmus(), pin() and
 * pmus[] are used as they are, and so are its VM pieces (guest_ram_create() and so on).
 *
 * Guest memory is 64 KiB at 1 GiB: the code at its start, one report slot of 16 u64 per
 * vCPU at SLOTS_OFFSET. The guests (stress-*-guest.S) get x0 = DOORBELL, x1 = spin
 * iterations, x2 = the guest address of their slot, x3 = loops per doorbell write.
 */
#ifndef RIG_VMM_MULTI_H
#define RIG_VMM_MULTI_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/types.h>
#include "vmm.h"

#define MAX_VCPUS	16
#define SLOTS_OFFSET	0x8000UL
#define SLOT_WORDS	16
#define JUMP_SLACK	100000

struct mvcpu {
	int fd;
	struct kvm_run *run;
};

struct mvm {
	int kvm, vm, gic, nr, run_size;
	struct mvcpu vcpu[MAX_VCPUS];
	struct kvm_vcpu_init init;
	void *ram;
	enum vm_pmu pmu;
};

/* What mvm_run() returns, besides -errno when KVM_RUN itself fails. */
enum { RUN_DOORBELL, RUN_FAIL_ENTRY, RUN_UNEXPECTED };

/*
 * Creates the VM with @nr vCPUs, on the CPU the caller runs on (KVM's default PMU is
 * that CPU's). Returns -1, with errno, when @pmu is VM_PMU_FIXED and the kernel does not
 * offer the attribute (KVM_HAS_DEVICE_ATTR fails, or setting it fails with EINVAL or
 * ENXIO): the caller skips. Dies on any other error.
 */
int mvm_create(struct mvm *m, int nr, enum vm_pmu pmu, const void *code, size_t len);
/*
 * How the stress programs start: mvm_create() pinned to the first CPU of the first cluster
 * (so that KVM's default PMU is that cluster's; the caller stays pinned there), then
 * every vCPU's entry registers. Returns -1 after a KTAP comment saying why when the
 * kernel lacks the attribute (the caller reports its tests skipped).
 */
int mvm_create_pinned(struct mvm *m, int nr, enum vm_pmu pmu, const void *code, size_t len,
		      uint64_t spin, uint64_t per_report);
/* Closes every fd and unmaps everything (for a VM no thread runs any more). */
void mvm_destroy(struct mvm *m);
/* KVM_ARM_VCPU_INIT again (a vCPU reset), then the entry registers again. */
void mvm_reset_vcpu(struct mvm *m, int i, uint64_t spin, uint64_t per_report);
/* The registers the guest starts with (pc, x0-x3). */
void mvm_set_entry(struct mvm *m, int i, uint64_t spin, uint64_t per_report);
volatile uint64_t *mvm_slot(struct mvm *m, int i);
/* Runs vCPU @i to its next doorbell write (*val); EINTR is retried. */
int mvm_run(struct mvm *m, int i, uint64_t *val);

/* One vCPU thread: runs its vCPU until told to stop, keeping the last report. */
struct runner {
	struct mvm *m;
	int idx;
	pthread_t th;
	_Atomic pid_t tid;
	_Atomic int stop, done;
	/* When the fd is closed under it: unmap kvm_run and end (stress-life destroy). */
	int unmap_on_ebadf;
	pthread_mutex_t lock;	/* the fields below */
	uint64_t seq, last, first;
	uint64_t stalls;	/* doorbell values not above the previous one */
	uint64_t stall_cpu_mask;	/* CPUs the thread was on after a stall */
	/*
	 * Growth faster than the clock between two reports: QEMU's cycle counter runs at
	 * 1 GHz of virtual time, so more than 1.25 cycles per ns (and JUMP_SLACK) is a
	 * count added twice. The time is from the start of the KVM_RUN that returned the
	 * previous report (its value was read inside it) to the return of this one: without
	 * -icount QEMU's virtual time is the real clock, and a QEMU thread the machine
	 * deschedules while its CPU is at guest EL1 counts that time too, even between the
	 * guest's read and its exit. The first one is kept.
	 */
	uint64_t jumps, jump, jump_ns, jump_seq;
	uint64_t last_cnt, jump_span;	/* guest CNTVCT_EL0 ticks over the jump's reads */
	int jump_cpus[2];	/* the thread's CPU at the report before, at the jump */
	double last_start;	/* when the KVM_RUN of the last report began */
	int cpu;		/* sched_getcpu() after the last exit */
	int end;		/* how it ended: 0 (told to), -errno, or RUN_* */
	uint64_t exit_reason;
	/* Called with lock held for every doorbell value (stress-release's reports). */
	void (*report)(struct runner *r, uint64_t val);
};

/*
 * What runner_start() keeps of the caller's runner, for r[0..nr-1]: no report callback,
 * and @unmap_on_ebadf.
 */
void runners_init(struct runner *r, int nr, int unmap_on_ebadf);
void runner_start(struct runner *r, struct mvm *m, int idx);
void runner_stop(struct runner *r);
/* Waits until the runner made @n more reports than @seq0; 0, or -1 after @timeout_s. */
int runner_wait(struct runner *r, uint64_t seq0, uint64_t n, double timeout_s);
void runner_snapshot(struct runner *r, uint64_t *seq, uint64_t *last);

/* Moves @nr runners at random between the clusters (a CPU of another cluster each time). */
struct hopper {
	struct runner *r;
	int nr;
	unsigned int seed;
	int min_us, max_us;
	pthread_t th;
	_Atomic int stop;
	_Atomic long hops, cluster_changes, gone;
};

void hopper_start(struct hopper *h, struct runner *r, int nr, unsigned int seed,
		  int min_us, int max_us);
void hopper_stop(struct hopper *h);

/* Pins thread @tid (0: the caller) to every CPU of cluster @c / to one CPU. */
void pin_tid_cluster(pid_t tid, int c);
void pin_tid_cpu(pid_t tid, int cpu);
int cluster_of(int cpu);

double now_s(void);
/* A small seeded PRNG (xorshift), so that a run can be repeated with its seed. */
unsigned int rnd(unsigned int *state);
/* Parses "default" / "fixed"; -1 otherwise. */
int parse_pmu(const char *s, enum vm_pmu *pmu);

/*
 * Checks, cluster by cluster, that every runner's counter grows with its thread pinned
 * there (two reports after the pin are skipped; the growth is over the next @reports).
 * Prints one line per cluster and vCPU; returns how many (vCPU, cluster) pairs did not
 * grow, or -1 if a runner stopped reporting (a hang: it is reported as such).
 * *stopped_foreign counts pairs that did not grow on a cluster other than the first.
 */
int check_clusters(struct runner *r, int nr, int reports, int *stopped_foreign);

#endif
