// SPDX-License-Identifier: GPL-2.0
/*
 * host-sampling: runs a command while the host samples CPU cycles on every CPU.
 *
 *   host-sampling [--period N] [--per-cpu K] -- COMMAND [ARGS]
 *
 * Opens, on every CPU of every host PMU, K (default 2) CPU_CYCLES sampling events of
 * that PMU, not pinned, 32-bit, with a period of N cycles (default 1000000) and no ring
 * buffer (their samples are dropped); runs COMMAND; closes the events; exits as
 * COMMAND did (with its status, or killed by the same signal), or with 2 on a setup
 * error of its own.
 *
 * What it is for: an experiment on the emulated host, not a test. While a vCPU thread
 * runs on a CPU, KVM's pinned events go first, so these take event counters there; each
 * of them is then due to overflow within N cycles, and under QEMU TCG such a counter
 * keeps the emulated CPU's PMU timer armed, whose callback updates that CPU's counters
 * from QEMU's main loop. KVM's events arm it only while a guest counter is near its
 * wrap: a 64-bit guest counter far from it, as in the stress programs, never does. See
 * docs/figures.md, "The 2^63 jump".
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <linux/perf_event.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include "host-pmu.h"

#define MAX_FDS	(MAX_PMUS * MAX_CPUS * 8)

static int fds[MAX_FDS], nr_fds;

static void usage(void)
{
	fprintf(stderr, "usage: host-sampling [--period N] [--per-cpu K] -- COMMAND [ARGS]\n");
	exit(2);
}

static void open_events(const struct host_pmu *p, unsigned long long period, int per_cpu)
{
	struct perf_event_attr attr;
	int i, k, fd;

	memset(&attr, 0, sizeof(attr));
	attr.size = sizeof(attr);
	attr.type = p->type;
	attr.config = 0x11;	/* CPU_CYCLES */
	attr.sample_period = period;
	for (i = 0; i < p->nr_cpus; i++) {
		for (k = 0; k < per_cpu; k++) {
			fd = syscall(SYS_perf_event_open, &attr, -1, p->cpus[i], -1,
				     PERF_FLAG_FD_CLOEXEC);
			if (fd < 0) {
				fprintf(stderr, "host-sampling: perf_event_open(type %d, cpu %d): %s\n",
					p->type, p->cpus[i], strerror(errno));
				exit(2);
			}
			fds[nr_fds++] = fd;
		}
	}
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "period", required_argument, NULL, 'p' },
		{ "per-cpu", required_argument, NULL, 'k' },
		{ NULL, 0, NULL, 0 }
	};
	unsigned long long period = 1000000;
	struct host_pmu pmus[MAX_PMUS];
	int per_cpu = 2, nr, i, c, status;
	pid_t pid;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'p')
			period = strtoull(optarg, NULL, 0);
		else if (c == 'k')
			per_cpu = atoi(optarg);
		else
			usage();
	}
	if (optind >= argc || !period || per_cpu < 1 || per_cpu > 8)
		usage();

	nr = find_host_pmus(pmus);
	if (nr <= 0) {
		fprintf(stderr, "host-sampling: no host PMU\n");
		return 2;
	}
	for (i = 0; i < nr; i++)
		open_events(&pmus[i], period, per_cpu);
	printf("# host-sampling: %d CPU_CYCLES events, period %llu, on %d PMU(s)\n",
	       nr_fds, period, nr);
	fflush(stdout);

	pid = fork();
	if (pid < 0) {
		perror("host-sampling: fork");
		return 2;
	}
	if (!pid) {
		execv(argv[optind], argv + optind);
		perror("host-sampling: execv");
		_exit(127);
	}
	if (waitpid(pid, &status, 0) < 0) {
		perror("host-sampling: waitpid");
		return 2;
	}
	for (i = 0; i < nr_fds; i++)
		close(fds[i]);
	if (WIFSIGNALED(status)) {
		signal(WTERMSIG(status), SIG_DFL);
		raise(WTERMSIG(status));
		return 2;
	}
	return WEXITSTATUS(status);
}
