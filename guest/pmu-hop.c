// SPDX-License-Identifier: GPL-2.0
/*
 * pmu-hop: a minimal VMM (raw KVM ioctls, no selftest library) that shows what happens
 * to a guest's PMCCNTR_EL0 when the vCPU thread moves between the clusters of a
 * heterogeneous host.
 *
 * One VM per pass, one vCPU with PMUv3 and an in-kernel GICv3, created while the thread
 * runs on the first CPU of the first cluster (so KVM's default PMU is that cluster's).
 * The guest (pmu-hop-guest.S) reads PMCCNTR_EL0, hands the value out through an MMIO
 * write and spins. For each hop the thread is pinned to one CPU, the guest is sampled
 * twice, and the difference is what the counter advanced on that CPU.
 *
 * Passes: "stock" (KVM's default PMU), "set_pmu" (KVM_ARM_VCPU_PMU_V3_SET_PMU to the
 * first cluster's PMU), and "fixed" (KVM_ARM_VCPU_PMU_V3_FIXED_COUNTERS_ONLY) when the
 * kernel offers it. With --check the expected behaviour is asserted and the exit code
 * says whether it held: stock and set_pmu count only on the first cluster (set_pmu is
 * refused elsewhere with KVM_EXIT_FAIL_ENTRY, CPU_UNSUPPORTED), fixed counts everywhere.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include "vmm.h"

extern const char pmu_hop_guest_start[], pmu_hop_guest_end[];

static int rounds = 2;
static unsigned long spin = 2000000;
static int check;
static int failures;

static const char *const pass_name[] = { "stock", "set_pmu", "fixed" };

static void expect(int cond, const char *what, int cpu)
{
	if (!check || cond)
		return;
	printf("  FAIL: %s on CPU %d\n", what, cpu);
	failures++;
}

static void run_pass(enum vm_pmu pass)
{
	struct vm v;
	uint64_t a, b;
	int r, i, k, cpu, fail_cpu;

	pin(pmus[0].cpus[0]);
	if (vm_create(&v, pass, pmu_hop_guest_start,
		      pmu_hop_guest_end - pmu_hop_guest_start)) {
		printf("\npass %s: KVM_ARM_VCPU_PMU_V3_FIXED_COUNTERS_ONLY not offered by this kernel\n",
		       pass_name[pass]);
		vm_destroy(&v);
		return;
	}
	vm_set_xreg(&v, 1, spin);
	printf("\npass %s: vCPU initialised on CPU %d (%s)%s\n", pass_name[pass],
	       pmus[0].cpus[0], pmus[0].name,
	       pass == VM_PMU_SET_PMU ? ", SET_PMU to that PMU" :
	       pass == VM_PMU_FIXED ? ", FIXED_COUNTERS_ONLY set" : ", KVM's default PMU");
	if (vm_run(&v, &a, &fail_cpu))
		die("first entry refused");
	printf("  %-5s %-4s %-20s %s\n", "round", "cpu", "host PMU", "PMCCNTR_EL0 delta");

	for (r = 1; r <= rounds; r++) {
		/* Interleave the clusters: c0 cpu0, c1 cpu0, ..., c0 cpu1, c1 cpu1, ... */
		for (i = 0; i < MAX_CPUS; i++) {
			for (k = 0; k < nr_pmus; k++) {
				const struct host_pmu *p = &pmus[k];
				int first = (k == 0);

				if (i >= p->nr_cpus)
					continue;
				cpu = p->cpus[i];
				pin(cpu);
				if (vm_run(&v, &a, &fail_cpu) || vm_run(&v, &b, &fail_cpu)) {
					printf("  %-5d %-4d %-20s KVM_EXIT_FAIL_ENTRY (CPU_UNSUPPORTED, cpu %d)\n",
					       r, cpu, p->name, fail_cpu);
					expect(pass == VM_PMU_SET_PMU && !first,
					       "entry refused unexpectedly", cpu);
					expect(fail_cpu == cpu, "fail_entry.cpu is not this CPU",
					       cpu);
					continue;
				}
				printf("  %-5d %-4d %-20s %llu\n", r, cpu, p->name,
				       (unsigned long long)(b - a));
				expect(b >= a, "counter went backwards", cpu);
				if (pass == VM_PMU_FIXED || first || nr_pmus == 1)
					expect(b > a, "counter did not count", cpu);
				else
					expect(b == a, "counter counted on a CPU of another PMU",
					       cpu);
				expect(pass != VM_PMU_SET_PMU || first,
				       "SET_PMU did not refuse a CPU of another PMU", cpu);
			}
		}
	}
	vm_destroy(&v);
}

int main(int argc, char **argv)
{
	int i, opt;

	while ((opt = getopt(argc, argv, "cr:s:")) != -1) {
		switch (opt) {
		case 'c':
			check = 1;
			break;
		case 'r':
			rounds = atoi(optarg);
			break;
		case 's':
			spin = strtoul(optarg, NULL, 0);
			break;
		default:
			fprintf(stderr, "usage: %s [-c] [-r rounds] [-s spin]\n", argv[0]);
			return 2;
		}
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	find_pmus();
	printf("host PMUs:");
	for (i = 0; i < nr_pmus; i++)
		printf(" %s (type %d, cpus %d-%d)", pmus[i].name, pmus[i].type,
		       pmus[i].cpus[0], pmus[i].cpus[pmus[i].nr_cpus - 1]);
	printf("\n");

	run_pass(VM_PMU_DEFAULT);
	run_pass(VM_PMU_SET_PMU);
	run_pass(VM_PMU_FIXED);

	if (check)
		printf("\n%s: %d failed expectation(s)\n", failures ? "FAIL" : "PASS", failures);
	return failures ? 1 : 0;
}
