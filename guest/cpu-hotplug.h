/* SPDX-License-Identifier: GPL-2.0 */
/*
 * cpu-hotplug: CPUs on and off line through /sys/devices/system/cpu/cpuN/online, and
 * the online CPUs no host PMU covers, for the rig's hotplug and PMU-less tests.
 */
#ifndef RIG_CPU_HOTPLUG_H
#define RIG_CPU_HOTPLUG_H

#include <sched.h>

/* Whether cpuN/online exists and can be written (CPU 0 usually has none). */
int cpu_can_offline(int cpu);
/* Puts the CPU on line (1) or off line (0); returns 0, or -1 with errno. */
int cpu_set_online(int cpu, int on);
/* The online CPUs (/sys/devices/system/cpu/online); exits 2 if unreadable. */
void online_cpus(cpu_set_t *set);
/* The online CPUs that none of the host's arm_pmus (pmus[] of vmm.h) covers. */
void uncovered_cpus(cpu_set_t *set);

#endif
