/* SPDX-License-Identifier: GPL-2.0 */
/*
 * host-pmu: the host's CPU PMUs as KVM sees them. KVM registers every arm_pmu (one per
 * cluster on heterogeneous hosts), whatever its name: armv8_cortex_a53, apple_icestorm_pmu,
 * and so on. In sysfs an arm_pmu is a PMU under /sys/bus/event_source/devices with a
 * "cpus" file (system PMUs, such as SPE's or the DSU's, have "cpumask" instead).
 */
#ifndef RIG_HOST_PMU_H
#define RIG_HOST_PMU_H

#define MAX_PMUS	8
#define MAX_CPUS	64

struct host_pmu {
	char name[256];
	char cpulist[64];	/* the "cpus" file: "0-1", "2-3,6" */
	int type;		/* perf type: what KVM_ARM_VCPU_PMU_V3_SET_PMU takes */
	int cpus[MAX_CPUS];	/* the CPUs of cpulist, in order */
	int nr_cpus;
};

/*
 * Fills pmus[] (at most MAX_PMUS) with the host's arm_pmus, ordered by their first CPU;
 * returns how many, or -1 when the sysfs directory cannot be read.
 */
int find_host_pmus(struct host_pmu *pmus);

/* The index in pmus[] (nr of them) of the PMU whose CPUs include cpu, or -1. */
int host_pmu_of_cpu(const struct host_pmu *pmus, int nr, int cpu);

#endif
