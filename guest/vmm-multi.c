// SPDX-License-Identifier: GPL-2.0
/* vmm-multi: see vmm-multi.h. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include "vmm-multi.h"

double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

unsigned int rnd(unsigned int *s)
{
	unsigned int x = *s ? *s : 0x9e3779b9;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return *s = x;
}

int parse_pmu(const char *s, enum vm_pmu *pmu)
{
	if (!strcmp(s, "default"))
		*pmu = VM_PMU_DEFAULT;
	else if (!strcmp(s, "fixed"))
		*pmu = VM_PMU_FIXED;
	else
		return -1;
	return 0;
}

volatile uint64_t *mvm_slot(struct mvm *m, int i)
{
	return (volatile uint64_t *)((char *)m->ram + SLOTS_OFFSET) + i * SLOT_WORDS;
}

/* The guest's CNTVCT_EL0 ticks at the host's CNTFRQ_EL0. */
static uint64_t ns_per_tick(void)
{
	uint64_t frq;

	asm volatile("mrs %0, cntfrq_el0" : "=r" (frq));
	return frq ? (1000000000 + frq - 1) / frq : 16;
}

void mvm_set_entry(struct mvm *m, int i, uint64_t spin, uint64_t per_report)
{
	int fd = m->vcpu[i].fd;

	vcpu_set_reg(fd, CORE_REG(regs.pc), GUEST_RAM);
	vcpu_set_reg(fd, CORE_REG(regs.regs[0]), DOORBELL);
	vcpu_set_reg(fd, CORE_REG(regs.regs[1]), spin);
	vcpu_set_reg(fd, CORE_REG(regs.regs[2]), GUEST_RAM + SLOTS_OFFSET + i * SLOT_WORDS * 8);
	vcpu_set_reg(fd, CORE_REG(regs.regs[3]), per_report);
	vcpu_set_reg(fd, CORE_REG(regs.regs[7]), ns_per_tick());
}

int mvm_create(struct mvm *m, int nr, enum vm_pmu pmu, const void *code, size_t len)
{
	int irq = PMU_IRQ, i;

	if (nr < 1 || nr > MAX_VCPUS || len > SLOTS_OFFSET) {
		errno = EINVAL;
		die("mvm_create: %d vCPUs, %zu bytes of code", nr, len);
	}
	memset(m, 0, sizeof(*m));
	m->nr = nr;
	m->pmu = pmu;
	m->kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (m->kvm < 0)
		die("/dev/kvm");
	m->vm = ioctl(m->kvm, KVM_CREATE_VM, 0);
	if (m->vm < 0)
		die("KVM_CREATE_VM");
	m->ram = guest_ram_create(m->vm, MAP_SHARED, code, len);
	m->run_size = ioctl(m->kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (m->run_size <= 0)
		die("KVM_GET_VCPU_MMAP_SIZE");

	/* KVM picks its default PMU from the CPU the first KVM_ARM_VCPU_INIT runs on. */
	if (ioctl(m->vm, KVM_ARM_PREFERRED_TARGET, &m->init))
		die("KVM_ARM_PREFERRED_TARGET");
	m->init.features[0] |= 1U << KVM_ARM_VCPU_PMU_V3;
	for (i = 0; i < nr; i++) {
		struct mvcpu *c = &m->vcpu[i];

		c->fd = ioctl(m->vm, KVM_CREATE_VCPU, i);
		if (c->fd < 0)
			die("KVM_CREATE_VCPU %d", i);
		c->run = mmap(NULL, m->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, c->fd, 0);
		if (c->run == MAP_FAILED)
			die("mmap kvm_run %d", i);
		if (ioctl(c->fd, KVM_ARM_VCPU_INIT, &m->init))
			die("KVM_ARM_VCPU_INIT %d", i);
	}

	m->gic = vgic_create(m->vm);

	/* The attribute is the VM's: through every vCPU (again is allowed), before any init. */
	for (i = 0; pmu == VM_PMU_FIXED && i < nr; i++) {
		int fd = m->vcpu[i].fd;

		if (vcpu_pmu_attr(fd, KVM_HAS_DEVICE_ATTR,
				  KVM_ARM_VCPU_PMU_V3_FIXED_COUNTERS_ONLY, NULL))
			return -1;
		if (vcpu_pmu_attr(fd, KVM_SET_DEVICE_ATTR,
				  KVM_ARM_VCPU_PMU_V3_FIXED_COUNTERS_ONLY, NULL)) {
			if (errno == EINVAL || errno == ENXIO)
				return -1;
			die("KVM_ARM_VCPU_PMU_V3_FIXED_COUNTERS_ONLY on vCPU %d", i);
		}
	}
	for (i = 0; i < nr; i++) {
		int fd = m->vcpu[i].fd;

		if (vcpu_pmu_attr(fd, KVM_SET_DEVICE_ATTR, KVM_ARM_VCPU_PMU_V3_IRQ, &irq))
			die("KVM_ARM_VCPU_PMU_V3_IRQ %d", i);
		if (vcpu_pmu_attr(fd, KVM_SET_DEVICE_ATTR, KVM_ARM_VCPU_PMU_V3_INIT, NULL))
			die("KVM_ARM_VCPU_PMU_V3_INIT %d", i);
	}
	return 0;
}

int mvm_create_pinned(struct mvm *m, int nr, enum vm_pmu pmu, const void *code, size_t len,
		      uint64_t spin, uint64_t per_report)
{
	int i;

	pin(pmus[0].cpus[0]);
	if (mvm_create(m, nr, pmu, code, len)) {
		printf("# KVM_ARM_VCPU_PMU_V3_FIXED_COUNTERS_ONLY: %m\n");
		return -1;
	}
	for (i = 0; i < nr; i++)
		mvm_set_entry(m, i, spin, per_report);
	return 0;
}

void mvm_reset_vcpu(struct mvm *m, int i, uint64_t spin, uint64_t per_report)
{
	struct kvm_run *r = m->vcpu[i].run;

	/*
	 * The doorbell exit is an MMIO write that KVM completes (stepping the PC over the
	 * store) on the next KVM_RUN: complete it now, without entering the guest, or it
	 * would step over the first instruction after the reset.
	 */
	r->immediate_exit = 1;
	if (!ioctl(m->vcpu[i].fd, KVM_RUN, 0) || errno != EINTR)
		die("KVM_RUN with immediate_exit on vCPU %d", i);
	r->immediate_exit = 0;
	if (ioctl(m->vcpu[i].fd, KVM_ARM_VCPU_INIT, &m->init))
		die("KVM_ARM_VCPU_INIT again on vCPU %d", i);
	mvm_set_entry(m, i, spin, per_report);
}

void mvm_destroy(struct mvm *m)
{
	int i;

	for (i = 0; i < m->nr; i++) {
		if (m->vcpu[i].run)
			munmap(m->vcpu[i].run, m->run_size);
		if (m->vcpu[i].fd >= 0)
			close(m->vcpu[i].fd);
	}
	munmap(m->ram, GUEST_RAM_SIZE);
	if (m->gic >= 0)
		close(m->gic);
	if (m->vm >= 0)
		close(m->vm);
	if (m->kvm >= 0)
		close(m->kvm);
}

int mvm_run(struct mvm *m, int i, uint64_t *val)
{
	struct kvm_run *r = m->vcpu[i].run;

	for (;;) {
		if (ioctl(m->vcpu[i].fd, KVM_RUN, 0)) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (r->exit_reason == KVM_EXIT_MMIO && r->mmio.is_write &&
		    r->mmio.phys_addr == DOORBELL && r->mmio.len == 8) {
			memcpy(val, r->mmio.data, 8);
			return RUN_DOORBELL;
		}
		if (r->exit_reason == KVM_EXIT_FAIL_ENTRY)
			return RUN_FAIL_ENTRY;
		return RUN_UNEXPECTED;
	}
}

/* ---- runners */

static void *runner_main(void *arg)
{
	struct runner *r = arg;
	struct mvm *m = r->m;
	uint64_t val;
	double t;
	int ret;

	r->tid = gettid();
	while (!r->stop) {
		double start = now_s();

		ret = mvm_run(m, r->idx, &val);
		if (ret != RUN_DOORBELL) {
			pthread_mutex_lock(&r->lock);
			r->end = ret;
			if (ret == RUN_UNEXPECTED || ret == RUN_FAIL_ENTRY)
				r->exit_reason = m->vcpu[r->idx].run->exit_reason;
			pthread_mutex_unlock(&r->lock);
			if (ret == -EBADF && r->unmap_on_ebadf) {
				/* Drops the last reference of the vCPU file, maybe of the VM. */
				munmap(m->vcpu[r->idx].run, m->run_size);
				m->vcpu[r->idx].run = NULL;
			}
			break;
		}
		t = now_s();
		pthread_mutex_lock(&r->lock);
		if (!r->seq) {
			r->first = val;
		} else if (val <= r->last) {
			r->stalls++;
			r->stall_cpu_mask |= 1ULL << (sched_getcpu() & 63);
		} else if (val - r->last > (uint64_t)((t - r->last_start) * 1.25e9) + JUMP_SLACK) {
			if (!r->jumps++) {
				r->jump = val - r->last;
				r->jump_ns = (uint64_t)((t - r->last_start) * 1e9);
				r->jump_seq = r->seq;
				r->jump_cpus[0] = r->cpu;
				r->jump_cpus[1] = sched_getcpu();
				r->jump_span = mvm_slot(m, r->idx)[9] - r->last_cnt;
			}
		}
		r->last = val;
		r->last_start = start;
		r->last_cnt = mvm_slot(m, r->idx)[8];
		r->seq++;
		r->cpu = sched_getcpu();
		if (r->report)
			r->report(r, val);
		pthread_mutex_unlock(&r->lock);
	}
	r->done = 1;
	return NULL;
}

void runners_init(struct runner *r, int nr, int unmap_on_ebadf)
{
	int i;

	for (i = 0; i < nr; i++) {
		r[i].report = NULL;
		r[i].unmap_on_ebadf = unmap_on_ebadf;
	}
}

void runner_start(struct runner *r, struct mvm *m, int idx)
{
	void (*report)(struct runner *, uint64_t) = r->report;
	int unmap = r->unmap_on_ebadf;

	memset(r, 0, sizeof(*r));
	r->report = report;
	r->unmap_on_ebadf = unmap;
	r->m = m;
	r->idx = idx;
	pthread_mutex_init(&r->lock, NULL);
	if (pthread_create(&r->th, NULL, runner_main, r))
		die("pthread_create");
	while (!r->tid)
		sched_yield();
}

void runner_stop(struct runner *r)
{
	r->stop = 1;
	pthread_join(r->th, NULL);
}

void runner_snapshot(struct runner *r, uint64_t *seq, uint64_t *last)
{
	pthread_mutex_lock(&r->lock);
	*seq = r->seq;
	*last = r->last;
	pthread_mutex_unlock(&r->lock);
}

int runner_wait(struct runner *r, uint64_t seq0, uint64_t n, double timeout_s)
{
	double end = now_s() + timeout_s;
	uint64_t seq, last;

	for (;;) {
		runner_snapshot(r, &seq, &last);
		if (seq >= seq0 + n)
			return 0;
		if (r->done || now_s() > end)
			return -1;
		usleep(1000);
	}
}

/* ---- CPUs and clusters */

int cluster_of(int cpu)
{
	return host_pmu_of_cpu(pmus, nr_pmus, cpu);
}

static int set_affinity(pid_t tid, const cpu_set_t *set)
{
	return sched_setaffinity(tid, sizeof(*set), set);
}

void pin_tid_cluster(pid_t tid, int c)
{
	cpu_set_t set;
	int k;

	CPU_ZERO(&set);
	for (k = 0; k < pmus[c].nr_cpus; k++)
		CPU_SET(pmus[c].cpus[k], &set);
	if (set_affinity(tid, &set))
		die("sched_setaffinity(%d, cluster %d)", tid, c);
}

void pin_tid_cpu(pid_t tid, int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (set_affinity(tid, &set))
		die("sched_setaffinity(%d, CPU %d)", tid, cpu);
}

/* ---- hopper */

static void *hopper_main(void *arg)
{
	struct hopper *h = arg;
	unsigned int s = h->seed;
	int cur[MAX_VCPUS];
	int i;

	for (i = 0; i < h->nr; i++)
		cur[i] = -1;
	while (!h->stop) {
		struct timespec ts;
		cpu_set_t set;
		int v = rnd(&s) % h->nr, c, cpu, us;

		/* A CPU of another cluster than the one it was sent to last. */
		c = rnd(&s) % nr_pmus;
		if (nr_pmus > 1 && c == cur[v])
			c = (c + 1 + rnd(&s) % (nr_pmus - 1)) % nr_pmus;
		cpu = pmus[c].cpus[rnd(&s) % pmus[c].nr_cpus];
		CPU_ZERO(&set);
		CPU_SET(cpu, &set);
		if (h->r[v].done) {
			h->gone++;
		} else if (set_affinity(h->r[v].tid, &set)) {
			if (errno != ESRCH)
				die("hopper: sched_setaffinity(%d, CPU %d)", h->r[v].tid, cpu);
			h->gone++;
		} else {
			if (c != cur[v])
				h->cluster_changes++;
			cur[v] = c;
			h->hops++;
		}
		us = h->min_us + rnd(&s) % (h->max_us - h->min_us + 1);
		ts.tv_sec = 0;
		ts.tv_nsec = us * 1000L;
		nanosleep(&ts, NULL);
	}
	return NULL;
}

void hopper_start(struct hopper *h, struct runner *r, int nr, unsigned int seed,
		  int min_us, int max_us)
{
	memset(h, 0, sizeof(*h));
	h->r = r;
	h->nr = nr;
	h->seed = seed;
	h->min_us = min_us;
	h->max_us = max_us;
	if (pthread_create(&h->th, NULL, hopper_main, h))
		die("pthread_create");
}

void hopper_stop(struct hopper *h)
{
	h->stop = 1;
	pthread_join(h->th, NULL);
}

/* ---- per-cluster check */

int check_clusters(struct runner *r, int nr, int reports, int *stopped_foreign)
{
	int c, i, bad = 0;

	*stopped_foreign = 0;
	for (c = 0; c < nr_pmus; c++) {
		uint64_t s0[MAX_VCPUS], v1[MAX_VCPUS], v2[MAX_VCPUS], seq, last;

		for (i = 0; i < nr; i++) {
			pin_tid_cluster(r[i].tid, c);
			runner_snapshot(&r[i], &s0[i], &last);
		}
		/*
		 * Skip two reports: the thread may have left KVM_RUN with a value read before
		 * the pin and not recorded it yet; the one after it was read after the pin.
		 */
		for (i = 0; i < nr; i++) {
			if (runner_wait(&r[i], s0[i], 2, 30)) {
				printf("# vCPU %d: no report within 30 s on cluster %d (%s): hung?\n",
				       i, c, pmus[c].name);
				return -1;
			}
			runner_snapshot(&r[i], &s0[i], &v1[i]);
		}
		for (i = 0; i < nr; i++) {
			if (runner_wait(&r[i], s0[i], reports, 30)) {
				printf("# vCPU %d: no report within 30 s on cluster %d (%s): hung?\n",
				       i, c, pmus[c].name);
				return -1;
			}
			runner_snapshot(&r[i], &seq, &v2[i]);
			if (cluster_of(r[i].cpu) != c) {
				printf("# vCPU %d: thread on CPU %d, not on cluster %d\n", i,
				       r[i].cpu, c);
				bad++;
			}
		}
		for (i = 0; i < nr; i++) {
			int grew = v2[i] > v1[i];

			printf("# cluster %d (%s) vCPU %d: PMCCNTR_EL0 %llu -> %llu (%+lld)%s\n",
			       c, pmus[c].name, i, (unsigned long long)v1[i],
			       (unsigned long long)v2[i], (long long)(v2[i] - v1[i]),
			       grew ? "" : ": did not grow");
			if (!grew) {
				bad++;
				if (c)
					(*stopped_foreign)++;
			}
		}
	}
	return bad;
}
