// SPDX-License-Identifier: GPL-2.0
/*
 * linux-guest-perf: /init of the Linux guest that linux-vmm boots. It uses the guest
 * kernel's perf, as any program in a guest would, and prints what it measured as "lgp: "
 * lines on the console, where linux-vmm reads them (linux-vmm.c says what it checks):
 *
 *   start                          /init runs
 *   probe MSG                      the guest kernel's "hw perfevents" log line
 *   pmu NAME type T cpus LIST      the CPU PMU the guest kernel registered
 *   cycles_open ERRNO              perf_event_open(PERF_TYPE_HARDWARE,
 *                                  PERF_COUNT_HW_CPU_CYCLES): 0 when it opened
 *   instructions_open ERRNO        the same for PERF_COUNT_HW_INSTRUCTIONS, an event
 *                                  counter's event (none with the fixed counters only)
 *   count vcpu=V cluster=C intervals=N grew=G cycles=X maxrate=R back=B
 *                                  one guest CPU's counting intervals attributed to a
 *                                  host cluster (below); R: the most cycles counted per
 *                                  1000 ns of guest time over one of its intervals; B:
 *                                  how many read a smaller count at their end
 *   hops vcpu=V intervals=N maxrate=R
 *                                  the intervals with a hop inside, credited to no
 *                                  cluster; R as above (LONG_MAX: the count went back)
 *   sample vcpu=V cluster=C period=P cycles=X samples=S lost=L ns=T hops=H
 *                                  a sampling phase of T ns of guest time pinned to
 *                                  cluster C (-1: hopping), in which linux-vmm moved
 *                                  the vCPU's thread H times
 *   kmsg_splats N                  splats in the guest kernel's log, each also printed
 *   done                           then the verdict to the control page, and power off
 *
 * One worker per guest CPU, each pinned to its CPU, so "vcpu=V" is the vCPU it ran on.
 * Counting: COUNT_S seconds (longer, up to COUNT_MAX_S, until every cluster it has been
 * on has COUNT_MIN of them, and UNPACED_S after linux-vmm stops pacing its moves by the
 * vCPU's reads once they have) of intervals of a little work, each read around with the
 * event's count and, through linux-vmm's control page (mapped from /dev/mem), the hop
 * count and the cluster of the vCPU's thread; an interval with a hop inside it, or a
 * change of cluster, is reported apart (bounded by the clock only), the others are
 * attributed to their cluster.
 * Sampling: a period of PERIOD cycles, the samples counted in the mmap ring, SAMPLE_S
 * seconds with the vCPU pinned to each cluster in turn, then as long while hopping; the
 * hop count read around it says how often the thread was moved meanwhile.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <linux/perf_event.h>
#include <sched.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "splat.h"

#define CTRL_BASE	0x0a000000UL
enum { CTRL_CLUSTER, CTRL_HOPS, CTRL_NR, CTRL_PIN, CTRL_VERDICT, CTRL_PACE };
#define MAX_CLUSTERS	8
#define COUNT_S		3.0
#define COUNT_MAX_S	15.0
#define COUNT_MIN	20
#define UNPACED_S	1.0
#define SAMPLE_S	1.5
#define PERIOD		5000000ULL
#define RING_PAGES	64
#define SPIN		20000

static volatile uint64_t *ctrl;

/*
 * The control page takes single 64-bit loads and stores (an exit KVM can hand to the
 * VMM needs a plain LDR or STR, which a compiler could otherwise merge into a pair).
 */
static uint64_t ctrl_get(int reg)
{
	uint64_t v;

	asm volatile("ldr %0, [%1]" : "=r" (v) : "r" (ctrl + reg) : "memory");
	return v;
}

static void ctrl_set(int reg, uint64_t v)
{
	asm volatile("str %0, [%1]" : : "r" (v), "r" (ctrl + reg) : "memory");
}
static int nr_clusters;

static void say(const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	int n;

	n = snprintf(buf, sizeof(buf), "lgp: ");
	va_start(ap, fmt);
	n += vsnprintf(buf + n, sizeof(buf) - n - 1, fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(buf) - 2)
		n = sizeof(buf) - 2;
	buf[n++] = '\n';
	/* One write per line: the workers' lines do not mix. */
	if (write(1, buf, n) < 0)
		_exit(3);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void spin(long n)
{
	volatile long i;

	for (i = 0; i < n; i++)
		;
}

static int hw_event(uint64_t config, uint64_t period, int disabled)
{
	struct perf_event_attr a = {
		.type = PERF_TYPE_HARDWARE,
		.size = sizeof(a),
		.config = config,
		.disabled = disabled,
	};

	if (period) {
		a.sample_period = period;
		a.sample_type = PERF_SAMPLE_IP;
		a.wakeup_events = 1;
	}
	return syscall(SYS_perf_event_open, &a, 0, -1, -1, 0);
}

static int cycles_event(uint64_t period, int disabled)
{
	return hw_event(PERF_COUNT_HW_CPU_CYCLES, period, disabled);
}

static uint64_t count_of(int fd)
{
	uint64_t v = 0;

	if (read(fd, &v, sizeof(v)) != sizeof(v))
		say("read of a perf event: %s", strerror(errno));
	return v;
}

/* Counting intervals while linux-vmm moves this vCPU's thread; returns the errors. */
static int counting(int cpu)
{
	long intervals[MAX_CLUSTERS] = { 0 }, grew[MAX_CLUSTERS] = { 0 };
	long maxrate[MAX_CLUSTERS] = { 0 }, back[MAX_CLUSTERS] = { 0 };
	long hop_intervals = 0, hop_maxrate = 0;
	unsigned long long cycles[MAX_CLUSTERS] = { 0 };
	double start = now(), end = start + COUNT_S, unpaced = 0;
	int fd = cycles_event(0, 0), c, short_of = 0, paced = 1, seen = 0;

	if (fd < 0) {
		say("vcpu %d: perf_event_open: %s", cpu, strerror(errno));
		return 1;
	}
	/*
	 * Moves paced by this vCPU's reads of the hop count while a cluster it has been
	 * on has fewer than COUNT_MIN intervals, so that some intervals have none inside
	 * however slowly the host runs the guest; then on the timer alone, which may put
	 * several inside one interval, for UNPACED_S at least. Longer on a slow host, up
	 * to COUNT_MAX_S (a cluster the vCPU never reaches, set_pmu's, does not hold it
	 * up).
	 */
	ctrl_set(CTRL_PACE, 1);
	while ((now() < end || paced || now() < unpaced + UNPACED_S) &&
	       now() < start + COUNT_MAX_S) {
		uint64_t h0 = ctrl_get(CTRL_HOPS), c0 = ctrl_get(CTRL_CLUSTER);
		double t0 = now(), t1;
		uint64_t v0 = count_of(fd), v1, c1, h1;
		long rate;

		spin(SPIN);
		v1 = count_of(fd);
		t1 = now();
		c1 = ctrl_get(CTRL_CLUSTER);
		h1 = ctrl_get(CTRL_HOPS);
		/* The time is around the two reads: the counted span is inside it. */
		rate = (long)((int64_t)(v1 - v0) * 1000.0 / ((t1 - t0) * 1e9 + 1));
		/*
		 * A hop inside: no cluster to credit, but the hand-over from one PMU's event
		 * to the next is in it, and it must not count more than the clock allows.
		 */
		if (h0 != h1 || c0 != c1 || c0 >= (uint64_t)nr_clusters) {
			hop_intervals++;
			if (rate > hop_maxrate || v1 < v0)
				hop_maxrate = v1 < v0 ? LONG_MAX : rate;
			continue;
		}
		if (++intervals[c0] == 1) {
			short_of++;
			seen++;
		}
		if (intervals[c0] == COUNT_MIN)
			short_of--;
		if (paced != (short_of || !seen)) {
			paced = !paced;
			ctrl_set(CTRL_PACE, paced);
			if (!paced)
				unpaced = now();
		}
		grew[c0] += v1 > v0;
		back[c0] += v1 < v0;
		cycles[c0] += v1 - v0;
		if (rate > maxrate[c0])
			maxrate[c0] = rate;
	}
	ctrl_set(CTRL_PACE, 0);
	close(fd);
	for (c = 0; c < nr_clusters; c++)
		say("count vcpu=%d cluster=%d intervals=%ld grew=%ld cycles=%llu maxrate=%ld "
		    "back=%ld", cpu, c, intervals[c], grew[c], cycles[c], maxrate[c], back[c]);
	say("hops vcpu=%d intervals=%ld maxrate=%ld", cpu, hop_intervals, hop_maxrate);
	return 0;
}

/* One sampling phase on @cluster (-1: hopping); returns the errors. */
static int sampling(int cpu, int cluster)
{
	size_t len = (1 + RING_PAGES) * sysconf(_SC_PAGESIZE);
	unsigned long long samples = 0, lost = 0;
	struct perf_event_mmap_page *pg;
	uint64_t head, tail, cycles, h0, h1;
	double start, end;
	char *data;
	int fd;

	fd = cycles_event(PERIOD, 1);
	if (fd < 0) {
		say("vcpu %d: perf_event_open (sampling): %s", cpu, strerror(errno));
		return 1;
	}
	pg = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (pg == MAP_FAILED) {
		say("vcpu %d: mmap of the ring: %s", cpu, strerror(errno));
		close(fd);
		return 1;
	}
	ctrl_set(CTRL_PIN, cluster < 0 ? ~0ULL : (uint64_t)cluster);
	/* Read before the reset: no exit to linux-vmm between the reset and the enable. */
	h0 = ctrl_get(CTRL_HOPS);
	ioctl(fd, PERF_EVENT_IOC_RESET, 0);
	start = now();
	ioctl(fd, PERF_EVENT_IOC_ENABLE, 0);
	end = start + SAMPLE_S;
	while (now() < end)
		spin(SPIN);
	ioctl(fd, PERF_EVENT_IOC_DISABLE, 0);
	h1 = ctrl_get(CTRL_HOPS);
	end = now();
	cycles = count_of(fd);
	ctrl_set(CTRL_PIN, ~0ULL);

	head = __atomic_load_n(&pg->data_head, __ATOMIC_ACQUIRE);
	tail = pg->data_tail;
	data = (char *)pg + pg->data_offset;
	if (head - tail > pg->data_size) {
		say("vcpu %d: the ring overran (%llu bytes)", cpu,
		    (unsigned long long)(head - tail));
		lost++;
	}
	while (tail + sizeof(struct perf_event_header) <= head) {
		struct perf_event_header h;
		uint64_t off = tail % pg->data_size;

		/* A phase's records fill a small part of the ring: none wraps. */
		memcpy(&h, data + off, sizeof(h));
		if (!h.size)
			break;
		if (h.type == PERF_RECORD_SAMPLE) {
			samples++;
		} else if (h.type == PERF_RECORD_LOST) {
			uint64_t n;

			memcpy(&n, data + off + sizeof(h) + 8, sizeof(n));
			lost += n;
		}
		tail += h.size;
	}
	say("sample vcpu=%d cluster=%d period=%llu cycles=%llu samples=%llu lost=%llu ns=%llu "
	    "hops=%llu", cpu, cluster, PERIOD, (unsigned long long)cycles, samples, lost,
	    (unsigned long long)((end - start) * 1e9), (unsigned long long)(h1 - h0));
	munmap(pg, len);
	close(fd);
	return 0;
}

static int worker(int cpu)
{
	cpu_set_t set;
	int c, err;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set)) {
		say("vcpu %d: sched_setaffinity: %s", cpu, strerror(errno));
		return 1;
	}
	err = counting(cpu);
	for (c = 0; c < nr_clusters; c++)
		err += sampling(cpu, c);
	err += sampling(cpu, -1);
	return err;
}

/* The guest kernel's log since the last call: its probe line, and its splats. */
static int scan_kmsg(int fd, int report_probe)
{
	char rec[2048], *msg;
	int splats = 0;
	ssize_t n;

	while ((n = read(fd, rec, sizeof(rec) - 1)) > 0 || (n < 0 && errno == EPIPE)) {
		if (n < 0)
			continue;
		rec[n] = 0;
		msg = strchr(rec, ';');
		msg = msg ? msg + 1 : rec;
		msg[strcspn(msg, "\n")] = 0;
		if (report_probe && strstr(msg, "hw perfevents"))
			say("probe %s", msg);
		if (splat_match(msg)) {
			splats++;
			say("splat: %s", msg);
		}
	}
	return splats;
}

static void cpu_pmu(void)
{
	const char *dir = "/sys/bus/event_source/devices";
	struct dirent *e;
	DIR *d = opendir(dir);

	while (d && (e = readdir(d))) {
		char path[512], cpus[64] = "", type[16] = "";
		FILE *f;

		snprintf(path, sizeof(path), "%s/%s/cpus", dir, e->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (!fgets(cpus, sizeof(cpus), f))
			cpus[0] = 0;
		fclose(f);
		snprintf(path, sizeof(path), "%s/%s/type", dir, e->d_name);
		f = fopen(path, "r");
		if (f && !fgets(type, sizeof(type), f))
			type[0] = 0;
		if (f)
			fclose(f);
		cpus[strcspn(cpus, "\n")] = 0;
		type[strcspn(type, "\n")] = 0;
		say("pmu %s type %s cpus %s", e->d_name, type, cpus);
	}
	if (d)
		closedir(d);
}

int main(void)
{
	int kmsg, mem, fd, cpu, ncpu, err = 0, status, splats;

	mount("proc", "/proc", "proc", 0, NULL);
	mount("sysfs", "/sys", "sysfs", 0, NULL);
	mount("devtmpfs", "/dev", "devtmpfs", 0, NULL);
	say("start");
	kmsg = open("/dev/kmsg", O_RDONLY | O_NONBLOCK);
	splats = kmsg < 0 ? 0 : scan_kmsg(kmsg, 1);
	cpu_pmu();

	mem = open("/dev/mem", O_RDWR | O_SYNC);
	ctrl = mem < 0 ? MAP_FAILED : mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, mem,
					   CTRL_BASE);
	if (ctrl == MAP_FAILED) {
		say("the control page (/dev/mem): %s", strerror(errno));
		err++;
		goto out;
	}
	nr_clusters = ctrl_get(CTRL_NR);
	if (nr_clusters < 1 || nr_clusters > MAX_CLUSTERS) {
		say("the control page says %d clusters", nr_clusters);
		err++;
		goto out;
	}

	fd = hw_event(PERF_COUNT_HW_INSTRUCTIONS, 0, 0);
	say("instructions_open %d", fd < 0 ? errno : 0);
	if (fd >= 0)
		close(fd);
	fd = cycles_event(0, 0);
	say("cycles_open %d", fd < 0 ? errno : 0);
	if (fd < 0)
		goto out;
	close(fd);
	ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	for (cpu = 0; cpu < ncpu; cpu++) {
		pid_t pid = fork();

		if (pid == 0)
			_exit(worker(cpu) ? 1 : 0);
		if (pid < 0) {
			say("fork: %s", strerror(errno));
			err++;
		}
	}
	while (wait(&status) > 0)
		err += !WIFEXITED(status) || WEXITSTATUS(status);
out:
	if (kmsg >= 0)
		splats += scan_kmsg(kmsg, 0);
	say("kmsg_splats %d", splats);
	say("done");
	if (ctrl != MAP_FAILED)
		ctrl_set(CTRL_VERDICT, err);
	sync();
	reboot(RB_POWER_OFF);
	return 0;
}
