// SPDX-License-Identifier: GPL-2.0
/*
 * pmu-cost: what a guest's PMU register accesses cost the host, in instructions.
 *
 * Meant to run on the rig's host booted with QEMU's -icount shift=0, where virtual
 * time advances one nanosecond per instruction the emulated machine executes: the
 * guest times a loop of one trapped access with CNTVCT_EL0 and the VMM turns the ticks
 * into instructions per access (host and guest together, whatever runs meanwhile).
 *
 * For KVM's default PMU and, when offered, KVM_ARM_VCPU_PMU_V3_FIXED_COUNTERS_ONLY,
 * and for three accesses: a PMCCNTR_EL0 read, a PMSELR_EL0 read (a PMU trap with no
 * perf work, the floor), and a PMCCNTR_EL0 write (a perf event release and create in
 * default mode; a fold, as on a hop between clusters, with the attribute). The vCPU
 * thread may run anywhere when the guest enables the counter, so that the attribute
 * gets an event on every host PMU, and is then pinned to CPU 0 for the measurements.
 * Prints the median of several samples.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include "vmm.h"

extern const char pmu_cost_guest_start[], pmu_cost_guest_end[];

#define SAMPLES		7

static const char *const op_name[] = {
	"read PMCCNTR_EL0", "read PMSELR_EL0", "write PMCCNTR_EL0",
};

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Returns instructions per access, or 0 if the mode is not offered. */
static uint64_t measure(enum vm_pmu mode, int op, unsigned long iters)
{
	uint64_t t[SAMPLES], ticks;
	struct vm v;
	int i, cpu;

	pin(pmus[0].cpus[0]);
	if (vm_create(&v, mode, pmu_cost_guest_start,
		      pmu_cost_guest_end - pmu_cost_guest_start)) {
		vm_destroy(&v);
		return 0;
	}
	vm_set_xreg(&v, 1, iters);
	vm_set_xreg(&v, 2, op);
	unpin();
	if (vm_run(&v, &ticks, &cpu))
		die("entry refused");
	pin(pmus[0].cpus[0]);
	if (vm_run(&v, &ticks, &cpu))	/* warm-up, on CPU 0 */
		die("entry refused");
	for (i = 0; i < SAMPLES; i++)
		if (vm_run(&v, &t[i], &cpu))
			die("entry refused");
	vm_destroy(&v);
	qsort(t, SAMPLES, sizeof(t[0]), cmp_u64);
	return cntvct_to_ns(t[SAMPLES / 2]) / iters;
}

int main(int argc, char **argv)
{
	unsigned long iters = argc > 1 ? strtoul(argv[1], NULL, 0) : 2000;
	static const char *const mode_name[] = { "default", "set_pmu", "fixed" };
	enum vm_pmu modes[] = { VM_PMU_DEFAULT, VM_PMU_FIXED };
	int m, op;

	setvbuf(stdout, NULL, _IOLBF, 0);
	find_pmus();
	printf("pmu-cost: %d host PMU(s), %lu accesses per sample, median of %d\n",
	       nr_pmus, iters, SAMPLES);
	for (m = 0; m < 2; m++) {
		for (op = 0; op < 3; op++) {
			uint64_t c = measure(modes[m], op, iters);

			if (!c) {
				printf("%-8s %-18s not offered by this kernel\n",
				       mode_name[modes[m]], op_name[op]);
				continue;
			}
			printf("%-8s %-18s %6llu instructions\n", mode_name[modes[m]],
			       op_name[op], (unsigned long long)c);
		}
	}
	return 0;
}
