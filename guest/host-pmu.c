// SPDX-License-Identifier: GPL-2.0
/* host-pmu: see host-pmu.h. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "host-pmu.h"

#define PMU_DIR		"/sys/bus/event_source/devices"

static int read_line(const char *dir, const char *file, char *buf, size_t len)
{
	char path[512];
	FILE *f;
	int ok;

	snprintf(path, sizeof(path), PMU_DIR "/%s/%s", dir, file);
	f = fopen(path, "r");
	if (!f)
		return -1;
	ok = fgets(buf, len, f) != NULL;
	fclose(f);
	if (!ok)
		return -1;
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

static int by_first_cpu(const void *a, const void *b)
{
	return ((const struct host_pmu *)a)->cpus[0] - ((const struct host_pmu *)b)->cpus[0];
}

int find_host_pmus(struct host_pmu *pmus)
{
	DIR *d = opendir(PMU_DIR);
	struct dirent *e;
	char buf[64];
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)) && n < MAX_PMUS) {
		struct host_pmu *p = &pmus[n];
		char *s = p->cpulist, *end;

		if (e->d_name[0] == '.')
			continue;
		memset(p, 0, sizeof(*p));
		if (read_line(e->d_name, "cpus", p->cpulist, sizeof(p->cpulist)) ||
		    read_line(e->d_name, "type", buf, sizeof(buf)))
			continue;
		snprintf(p->name, sizeof(p->name), "%s", e->d_name);
		p->type = atoi(buf);
		while (*s) {
			long a = strtol(s, &end, 10), b = a;

			if (end == s)
				break;
			if (*end == '-')
				b = strtol(end + 1, &end, 10);
			for (; a <= b && p->nr_cpus < MAX_CPUS; a++)
				p->cpus[p->nr_cpus++] = a;
			s = *end ? end + 1 : end;
		}
		if (p->nr_cpus)
			n++;
	}
	closedir(d);
	qsort(pmus, n, sizeof(pmus[0]), by_first_cpu);
	return n;
}

int host_pmu_of_cpu(const struct host_pmu *pmus, int nr, int cpu)
{
	int k, i;

	for (k = 0; k < nr; k++)
		for (i = 0; i < pmus[k].nr_cpus; i++)
			if (pmus[k].cpus[i] == cpu)
				return k;
	return -1;
}
