// SPDX-License-Identifier: GPL-2.0
/* cpu-hotplug: see cpu-hotplug.h. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cpu-hotplug.h"
#include "vmm.h"

static void online_path(char *buf, size_t len, int cpu)
{
	snprintf(buf, len, "/sys/devices/system/cpu/cpu%d/online", cpu);
}

int cpu_can_offline(int cpu)
{
	char path[64];

	online_path(path, sizeof(path), cpu);
	return access(path, W_OK) == 0;
}

int cpu_set_online(int cpu, int on)
{
	char path[64];
	int fd, err;
	ssize_t n;

	online_path(path, sizeof(path), cpu);
	fd = open(path, O_WRONLY);
	if (fd < 0)
		return -1;
	n = write(fd, on ? "1" : "0", 1);
	err = errno;
	close(fd);
	errno = err;
	return n == 1 ? 0 : -1;
}

void online_cpus(cpu_set_t *set)
{
	char buf[256], *s = buf, *end;
	FILE *f = fopen("/sys/devices/system/cpu/online", "r");

	CPU_ZERO(set);
	if (!f || !fgets(buf, sizeof(buf), f))
		die("/sys/devices/system/cpu/online");
	fclose(f);
	while (*s && *s != '\n') {
		long a = strtol(s, &end, 10), b = a;

		if (end == s)
			die("bad online list %s", buf);
		if (*end == '-')
			b = strtol(end + 1, &end, 10);
		for (; a <= b; a++)
			CPU_SET(a, set);
		s = *end == ',' ? end + 1 : end;
	}
}

void uncovered_cpus(cpu_set_t *set)
{
	int i, k;

	online_cpus(set);
	for (k = 0; k < nr_pmus; k++)
		for (i = 0; i < pmus[k].nr_cpus; i++)
			CPU_CLR(pmus[k].cpus[i], set);
}
