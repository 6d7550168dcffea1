// SPDX-License-Identifier: GPL-2.0
/*
 * init: PID 1 of the rig's guest host. Mounts the pseudo file systems, runs the test
 * plan in /plan, prints one KTAP result per line of it, fails any test during which the
 * kernel logged a splat, and powers the machine off through PSCI.
 *
 * Plan lines:  NAME TIMEOUT_S CPUS COMMAND [ARGS...]
 *   CPUS is "-" (all CPUs), a list such as "0-1,3", or "clusterN": the CPUs of the Nth
 *   host PMU (every arm_pmu, as KVM finds them: host-pmu.h; ordered by first CPU), or
 *   "clusterlast": the last one (skipped on a one-cluster host, where it is cluster0).
 *   COMMAND "@topology", "@vhe" and "@bootlog" are built-in checks of the host itself:
 *   one PMU per cluster with disjoint CPUs (none on a cluster the device tree marks
 *   PMU-less), KVM in VHE mode, no splat while booting.
 *   "@kmemleak" scans for kernel memory leaks (the debug kernel's kmemleak; skipped on a
 *   kernel without it) and fails, printing the first leak, when it finds any.
 *   "@skip REASON..." and "@fail REASON..." report the entry as skipped or failed without
 *   running anything (the host side writes them for a program that is not built).
 * A test still running at its timeout is killed (SIGKILL, its process group too); if it
 * has not died KILL_WAIT_S seconds later it is stuck in the kernel: the kernel stacks of
 * its threads and a sysrq dump of blocked tasks and CPUs are printed, it is reported
 * "stuck in the kernel" and the plan goes on.
 * A line "#retry NAME" lets NAME, a test that only fails when the emulator's timing is
 * off, run a second time after a plain failure (not a timeout, signal or splat); the
 * result then says so. The output of each test is passed on with "# " in front, so that
 * only the rig's own result lines start with "ok" or "not ok".
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "host-pmu.h"
#include "splat.h"

#define MAX_ARGS	32
/* How long a killed test may take to die before it counts as stuck in the kernel. */
#define KILL_WAIT_S	20

static int kmsg_fd = -1;
static int boot_splats;

static struct host_pmu pmus[MAX_PMUS];
static int nr_pmus;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int read_file(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

static void write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY);

	if (fd >= 0) {
		if (write(fd, s, strlen(s)) < 0)
			perror(path);
		close(fd);
	}
}

/* "0-1,3" -> set; returns -1 on a malformed list. */
static int parse_cpulist(const char *s, cpu_set_t *set)
{
	CPU_ZERO(set);
	while (*s) {
		char *end;
		long a = strtol(s, &end, 10), b = a;

		if (end == s)
			return -1;
		if (*end == '-') {
			s = end + 1;
			b = strtol(s, &end, 10);
			if (end == s || b < a)
				return -1;
		}
		for (; a <= b; a++)
			CPU_SET(a, set);
		s = end;
		if (*s == ',')
			s++;
		else if (*s)
			return -1;
	}
	return 0;
}

/* Returns 0, or a reason to skip the test in *why. */
static int resolve_cpus(const char *spec, cpu_set_t *set, const char **why)
{
	int n;

	if (!strcmp(spec, "-")) {
		if (parse_cpulist("0-63", set))
			return -1;
		return 0;
	}
	if (!strcmp(spec, "clusterlast")) {
		if (nr_pmus < 2) {
			*why = "one cluster only: that is cluster0";
			return 1;
		}
		return parse_cpulist(pmus[nr_pmus - 1].cpulist, set);
	}
	if (sscanf(spec, "cluster%d", &n) == 1) {
		if (n >= nr_pmus) {
			*why = "no such cluster on this topology";
			return 1;
		}
		return parse_cpulist(pmus[n].cpulist, set);
	}
	return parse_cpulist(spec, set);
}


/* Threads of tests given up on as stuck: the hung-task reports about them come later. */
static long stuck_tids[64];
static int nr_stuck;

static int about_stuck_task(const char *msg)
{
	const char *p = strstr(msg, " blocked for more than");
	int i;

	while (p && p > msg && p[-1] != ':')
		p--;
	for (i = 0; p && p > msg && i < nr_stuck; i++)
		if (atol(p) == stuck_tids[i])
			return 1;
	return 0;
}

/*
 * The text of the next kernel log record not read yet, in @rec (its first line, without
 * the "prio,seq,time,flags;" prefix), or NULL when there is none.
 */
static char *next_kmsg(char *rec, size_t size)
{
	for (;;) {
		ssize_t n = read(kmsg_fd, rec, size - 1);
		char *msg;

		if (n < 0 && errno == EPIPE)
			continue;	/* records were overwritten; go on */
		if (n <= 0)
			return NULL;
		rec[n] = '\0';
		msg = strchr(rec, ';');
		msg = msg ? msg + 1 : rec;
		msg[strcspn(msg, "\n")] = '\0';
		return msg;
	}
}

/* Reads the kernel log records since the last call; returns how many were splats. */
static int scan_kmsg(void)
{
	char rec[2048], *msg;
	int found = 0, trace = 0;

	while ((msg = next_kmsg(rec, sizeof(rec)))) {
		if (about_stuck_task(msg)) {
			printf("# splat about a test given up on before: %s\n", msg);
			continue;
		}
		if (splat_match(msg)) {
			printf("# splat: %s\n", msg);
			found++;
			/* The records after the first one: its backtrace */
			if (found == 1)
				trace = 60;
		} else if (trace > 0) {
			printf("# kmsg: %s\n", msg);
			trace--;
		}
	}
	fflush(stdout);
	return found;
}

/* Passes every kernel log record since the last read on, as "# kmsg: " lines. */
static void relay_kmsg(void)
{
	char rec[2048], *msg;

	while ((msg = next_kmsg(rec, sizeof(rec))))
		printf("# kmsg: %s\n", msg);
	fflush(stdout);
}

/* Waits for pid until the time until; returns 1 with its status once reaped, else 0. */
static int reap(pid_t pid, double until, int *status)
{
	const struct timespec tick = { 0, 20 * 1000 * 1000 };

	for (;;) {
		pid_t r = waitpid(pid, status, WNOHANG);

		if (r == pid || (r < 0 && errno != EINTR))
			return 1;
		if (now() >= until)
			return 0;
		nanosleep(&tick, NULL);
	}
}

/*
 * pid did not die when killed: prints the state and kernel stack of each of its
 * threads, then what sysrq shows of the blocked tasks (w) and the CPUs (l).
 */
static void dump_stuck(pid_t pid)
{
	char path[320], buf[4096];
	struct dirent *d;
	DIR *dir;

	printf("# stuck: pid %d did not die %d s after SIGKILL; its threads:\n", pid,
	       KILL_WAIT_S);
	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	dir = opendir(path);
	while (dir && (d = readdir(dir))) {
		char *line, *save;
		int fd;
		ssize_t n;

		if (d->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task/%s/stat", pid, d->d_name);
		if (read_file(path, buf, sizeof(buf)))
			continue;
		/* "TID (COMM) STATE ...": up to the state */
		line = strrchr(buf, ')');
		if (line && line[1] && line[2])
			line[3] = '\0';
		printf("# stuck: task %s\n", buf);
		if (nr_stuck < (int)(sizeof(stuck_tids) / sizeof(stuck_tids[0])))
			stuck_tids[nr_stuck++] = atol(d->d_name);
		snprintf(path, sizeof(path), "/proc/%d/task/%s/stack", pid, d->d_name);
		fd = open(path, O_RDONLY);
		n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);
		if (fd >= 0)
			close(fd);
		if (n < 0) {
			printf("# stuck:   (no %s: %s)\n", path, strerror(errno));
			continue;
		}
		buf[n] = '\0';
		for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
			printf("# stuck:   %s\n", line);
	}
	if (dir)
		closedir(dir);
	fflush(stdout);
	if (access("/proc/sysrq-trigger", W_OK) == 0) {
		write_file("/proc/sysrq-trigger", "w");
		write_file("/proc/sysrq-trigger", "l");
		relay_kmsg();
	}
}

/*
 * Runs argv with stdout and stderr relayed as "# " lines; returns the wait status.
 * *timed_out: killed at its timeout; *stuck: not dead KILL_WAIT_S s after that.
 */
static int run(char **argv, const cpu_set_t *set, int timeout_s, int *timed_out,
	       int *stuck)
{
	double deadline = now() + timeout_s;
	char buf[4096], line[4096];
	size_t ll = 0;
	int pfd[2], status;
	pid_t pid;

	*timed_out = 0;
	*stuck = 0;
	status = 0;
	if (pipe2(pfd, O_CLOEXEC))
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		setpgid(0, 0);
		dup2(pfd[1], 1);
		dup2(pfd[1], 2);
		if (sched_setaffinity(0, sizeof(*set), set))
			perror("sched_setaffinity");
		execv(argv[0], argv);
		perror(argv[0]);
		_exit(127);
	}
	close(pfd[1]);
	for (;;) {
		struct pollfd p = { .fd = pfd[0], .events = POLLIN };
		int left = (int)((deadline - now()) * 1000);
		ssize_t n, i;

		if (left <= 0) {
			*timed_out = 1;
			kill(-pid, SIGKILL);
			kill(pid, SIGKILL);
			break;
		}
		if (poll(&p, 1, left) <= 0)
			continue;
		n = read(pfd[0], buf, sizeof(buf));
		if (n <= 0)
			break;
		for (i = 0; i < n; i++) {
			if (buf[i] == '\n' || ll == sizeof(line) - 1) {
				line[ll] = '\0';
				printf("# %s\n", line);
				ll = 0;
			} else {
				line[ll++] = buf[i];
			}
		}
		fflush(stdout);
	}
	if (ll) {
		line[ll] = '\0';
		printf("# %s\n", line);
	}
	close(pfd[0]);
	/* Its output ended: it exits, or runs on silently until its deadline. */
	if (!*timed_out && !reap(pid, deadline, &status)) {
		*timed_out = 1;
		kill(-pid, SIGKILL);
		kill(pid, SIGKILL);
	}
	if (*timed_out && !reap(pid, now() + KILL_WAIT_S, &status)) {
		scan_kmsg();	/* a hung-task report says the same; it fails the test */
		dump_stuck(pid);
		*stuck = 1;
	}
	kill(-pid, SIGKILL);	/* stray children of the test */
	return status;
}

/*
 * The clusters rig/dts-clusters.pl put in the device tree: "rig,clusters", their CPU
 * lists ("0-1 2-3"), and "rig,no-pmu", the CPUs of those without a PMU node. Returns
 * how many clusters, or 0 when the tree does not say.
 */
#define DT_ROOT "/sys/firmware/devicetree/base/"
static int dt_clusters(cpu_set_t *cl, int max, cpu_set_t *nopmu)
{
	char buf[256], *tok, *save;
	int n = 0;

	CPU_ZERO(nopmu);
	if (read_file(DT_ROOT "rig,clusters", buf, sizeof(buf)))
		return 0;
	for (tok = strtok_r(buf, " ", &save); tok && n < max; tok = strtok_r(NULL, " ", &save))
		if (!parse_cpulist(tok, &cl[n]))
			n++;
	if (!read_file(DT_ROOT "rig,no-pmu", buf, sizeof(buf)) && parse_cpulist(buf, nopmu))
		return 0;
	return n;
}

/*
 * One PMU per cluster with disjoint CPUs, covering every online CPU but those of the
 * clusters the device tree says have no PMU; expect: how many clusters (rig.pmus=).
 */
static int check_topology(int expect)
{
	cpu_set_t seen, mine, cl[MAX_PMUS], nopmu, both;
	int i, c, k, ok = 1, nr_cl, nr_nopmu = 0;

	nr_cl = dt_clusters(cl, MAX_PMUS, &nopmu);
	CPU_ZERO(&seen);
	for (i = 0; i < nr_pmus; i++) {
		printf("# %s cpus=%s\n", pmus[i].name, pmus[i].cpulist);
		if (parse_cpulist(pmus[i].cpulist, &mine))
			return 0;
		for (c = 0; c < CPU_SETSIZE; c++) {
			if (!CPU_ISSET(c, &mine))
				continue;
			if (CPU_ISSET(c, &seen)) {
				printf("# CPU %d is in two PMUs\n", c);
				ok = 0;
			}
			CPU_SET(c, &seen);
		}
		for (k = 0; k < nr_cl && !CPU_EQUAL(&mine, &cl[k]); k++)
			;
		if (nr_cl && k == nr_cl) {
			printf("# %s is not one cluster's PMU\n", pmus[i].name);
			ok = 0;
		}
	}
	for (k = 0; k < nr_cl; k++) {
		CPU_AND(&both, &cl[k], &nopmu);
		if (CPU_COUNT(&both))
			nr_nopmu++;
	}
	if (nr_cl)
		printf("# device tree: %d cluster(s), %d without a PMU (%d CPU(s))\n", nr_cl,
		       nr_nopmu, CPU_COUNT(&nopmu));
	CPU_AND(&both, &seen, &nopmu);
	if (CPU_COUNT(&both)) {
		printf("# a PMU covers %d CPU(s) of a PMU-less cluster\n", CPU_COUNT(&both));
		ok = 0;
	}
	if (CPU_COUNT(&seen) + CPU_COUNT(&nopmu) != sysconf(_SC_NPROCESSORS_ONLN)) {
		printf("# PMUs cover %d of %ld CPUs (%d expected without a PMU)\n",
		       CPU_COUNT(&seen), sysconf(_SC_NPROCESSORS_ONLN), CPU_COUNT(&nopmu));
		ok = 0;
	}
	if (nr_cl && nr_cl != expect) {
		printf("# %d clusters in the device tree, expected %d\n", nr_cl, expect);
		ok = 0;
	}
	if (nr_pmus != expect - nr_nopmu) {
		printf("# %d host PMUs, expected %d\n", nr_pmus, expect - nr_nopmu);
		ok = 0;
	}
	return ok;
}

static int check_vhe(void)
{
	char rec[2048];
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK), ok = 0;
	ssize_t n;

	while (fd >= 0 && (n = read(fd, rec, sizeof(rec) - 1)) != 0) {
		if (n < 0) {
			if (errno == EPIPE)
				continue;
			break;
		}
		rec[n] = '\0';
		if (strstr(rec, "kvm [") && strstr(rec, "initialized successfully")) {
			printf("# %s", strchr(rec, ';') + 1);
			ok = !!strstr(rec, "VHE mode");
		}
	}
	if (fd >= 0)
		close(fd);
	return ok;
}

/*
 * kmemleak (the debug kernel): two scans (an object is reported once it was found
 * unreferenced and unchanged in two scans, and older than 5 s), then the report.
 * Returns 1 when clean, 0 on leaks (the first one printed), -1 without kmemleak.
 */
#define KMEMLEAK "/sys/kernel/debug/kmemleak"
static int check_kmemleak(void)
{
	char buf[4096], *line, *save;
	int fd, leaks = 0, shown = 0, i;
	FILE *f;

	if (access(KMEMLEAK, F_OK))
		return -1;
	for (i = 0; i < 2; i++) {
		if (i)
			sleep(6);
		fd = open(KMEMLEAK, O_WRONLY);
		if (fd < 0 || write(fd, "scan", 4) != 4) {
			printf("# kmemleak: scan: %s (kmemleak disabled itself? see the log)\n",
			       strerror(errno));
			if (fd >= 0)
				close(fd);
			return 0;
		}
		close(fd);
	}
	f = fopen(KMEMLEAK, "r");
	if (!f) {
		printf("# kmemleak: %s\n", strerror(errno));
		return 0;
	}
	while (fgets(buf, sizeof(buf), f)) {
		line = strtok_r(buf, "\n", &save);
		if (!line)
			continue;
		if (strstr(line, "unreferenced object"))
			leaks++;
		if (leaks == 1 && shown++ < 60)
			printf("# kmemleak: %s\n", line);
	}
	fclose(f);
	printf("# kmemleak: %d suspected leak(s)%s\n", leaks, leaks > 1 ? ", the first above" : "");
	return !leaks;
}

static int kernel_arg(const char *key, int dflt)
{
	char cmdline[1024], *p;

	if (read_file("/proc/cmdline", cmdline, sizeof(cmdline)))
		return dflt;
	p = strstr(cmdline, key);
	return p ? atoi(p + strlen(key)) : dflt;
}

static void setup(void)
{
	mount("proc", "/proc", "proc", 0, NULL);
	mount("sysfs", "/sys", "sysfs", 0, NULL);
	mount("devtmpfs", "/dev", "devtmpfs", 0, NULL);
	mount("debugfs", "/sys/kernel/debug", "debugfs", 0, NULL);	/* kmemleak */
	mkdir("/tmp", 01777);
	mount("tmpfs", "/tmp", "tmpfs", 0, NULL);
	mkdir("/dev/shm", 01777);
	mount("tmpfs", "/dev/shm", "tmpfs", 0, NULL);
	setenv("PATH", "/bin", 1);
	setenv("HOME", "/tmp", 1);
	kmsg_fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK);
	setvbuf(stdout, NULL, _IOLBF, 0);
	nr_pmus = find_host_pmus(pmus);
	if (nr_pmus < 0)
		nr_pmus = 0;
}

static char retry[16][64];
static int nr_retry;

static int may_retry(const char *name)
{
	int i;

	for (i = 0; i < nr_retry; i++)
		if (!strcmp(retry[i], name))
			return 1;
	return 0;
}

int main(void)
{
	char lines[128][512], *argv[MAX_ARGS + 1];
	int n = 0, i, expect_pmus;
	FILE *plan;

	setup();
	expect_pmus = kernel_arg("rig.pmus=", -1);
	plan = fopen("/plan", "r");
	while (plan && n < 128 && fgets(lines[n], sizeof(lines[n]), plan)) {
		lines[n][strcspn(lines[n], "\n")] = '\0';
		if (!strncmp(lines[n], "#retry ", 7) && nr_retry < 16)
			snprintf(retry[nr_retry++], sizeof(retry[0]), "%s", lines[n] + 7);
		else if (lines[n][0] && lines[n][0] != '#')
			n++;
	}
	printf("KTAP version 1\n1..%d\n", n);
	boot_splats = scan_kmsg();
	/* From here on the log reaches the console only through the splat scan. */
	write_file("/proc/sys/kernel/printk", "1");

	for (i = 0; i < n; i++) {
		char *name, *tmo, *cpus, *save;
		const char *why = NULL;
		int argc = 0, status = 0, timed_out = 0, stuck = 0, ok, r, retried = 0, splats;
		cpu_set_t set;
		double t0;

		name = strtok_r(lines[i], " \t", &save);
		tmo = strtok_r(NULL, " \t", &save);
		cpus = strtok_r(NULL, " \t", &save);
		while (argc < MAX_ARGS && (argv[argc] = strtok_r(NULL, " \t", &save)))
			argc++;
		argv[argc] = NULL;
		if (!name || !tmo || !cpus || !argc) {
			printf("not ok %d %s # malformed plan line\n", i + 1, name ? name : "?");
			continue;
		}
		if (!strcmp(argv[0], "@skip") || !strcmp(argv[0], "@fail")) {
			char reason[256] = "";
			int skip = argv[0][1] == 's';

			for (r = 1; r < argc; r++)
				snprintf(reason + strlen(reason), sizeof(reason) - strlen(reason),
					 "%s%s", r > 1 ? " " : "", argv[r]);
			printf("%s %d %s # %s%s\n", skip ? "ok" : "not ok", i + 1, name,
			       skip ? "SKIP " : "", reason);
			continue;
		}
		r = resolve_cpus(cpus, &set, &why);
		if (r > 0) {
			printf("ok %d %s # SKIP %s\n", i + 1, name, why);
			continue;
		}
		if (r < 0) {
			printf("not ok %d %s # bad CPU list %s\n", i + 1, name, cpus);
			continue;
		}
		printf("# ---- %s: %s (cpus %s, timeout %s s)\n", name, argv[0], cpus, tmo);
		t0 = now();
		if (!strcmp(argv[0], "@topology"))
			ok = check_topology(expect_pmus);
		else if (!strcmp(argv[0], "@vhe"))
			ok = check_vhe();
		else if (!strcmp(argv[0], "@bootlog"))
			ok = !boot_splats;
		else if (!strcmp(argv[0], "@kmemleak")) {
			ok = check_kmemleak();
			if (ok < 0) {
				scan_kmsg();
				printf("ok %d %s # SKIP no kmemleak in this kernel\n", i + 1, name);
				continue;
			}
		} else
			ok = (status = run(argv, &set, atoi(tmo), &timed_out, &stuck)) == 0;
		splats = scan_kmsg();
		if (!ok && !timed_out && !splats && WIFEXITED(status) &&
		    WEXITSTATUS(status) != 4 && may_retry(name)) {
			printf("# ---- %s failed (exit %d): running it once more\n", name,
			       WEXITSTATUS(status));
			retried = 1;
			ok = (status = run(argv, &set, atoi(tmo), &timed_out, &stuck)) == 0;
			splats = scan_kmsg();
		}
		printf("# time: %.1f s\n", now() - t0);
		if (stuck) {
			printf("not ok %d %s # timed out after %s s, stuck in the kernel (alive %d s after SIGKILL)\n",
			       i + 1, name, tmo, KILL_WAIT_S);
		} else if (splats) {
			printf("not ok %d %s # kernel splat\n", i + 1, name);
		} else if (timed_out) {
			printf("not ok %d %s # timed out after %s s\n", i + 1, name, tmo);
		} else if (WIFEXITED(status) && WEXITSTATUS(status) == 4) {
			printf("ok %d %s # SKIP\n", i + 1, name);
		} else if (!ok && !strcmp(argv[0], "@kmemleak")) {
			printf("not ok %d %s # kernel memory leak(s)\n", i + 1, name);
		} else if (!ok) {
			if (WIFSIGNALED(status))
				printf("not ok %d %s # signal %d\n", i + 1, name, WTERMSIG(status));
			else
				printf("not ok %d %s # exit %d\n", i + 1, name, WEXITSTATUS(status));
		} else if (retried) {
			printf("ok %d %s # passed on its second run\n", i + 1, name);
		} else {
			printf("ok %d %s\n", i + 1, name);
		}
	}
	printf("# rig: plan done\n");
	fflush(stdout);
	sync();
	reboot(RB_POWER_OFF);
	return 0;
}
