// SPDX-License-Identifier: GPL-2.0
/*
 * linux-vmm: boots a Linux guest on 1 to 4 PMUv3 vCPUs with the raw KVM ioctls and
 * moves the vCPU threads over the host's clusters while it runs, so that a guest
 * operating system nobody here wrote is the vPMU's client. The guest is an arm64 Image
 * (the rig's own kernel), an initramfs whose /init is linux-guest-perf.c, and a device
 * tree made on the build host (rig/make-linux-guest.sh). The guest's /init measures its
 * cycle counter with perf and prints "lgp: " lines on the console; this program checks
 * them and prints KTAP results:
 *
 *   boot          the guest's /init started
 *   probe         the guest kernel registered a CPU PMU with, for --pmu fixed, one
 *                 counter and no PERF_COUNT_HW_INSTRUCTIONS (an event counter's event),
 *                 else more than one counter (--pmu off: no PMU)
 *   cycles_event  perf_event_open(PERF_TYPE_HARDWARE, PERF_COUNT_HW_CPU_CYCLES) works
 *                 in the guest (--pmu off: fails)
 *   counting      on every cluster the vCPU runs on, every short interval of guest work
 *                 attributed to it counted cycles; no interval, those with a hop inside
 *                 (credited to no cluster) included, counted faster than QEMU's 1 GHz
 *                 cycle counter allows (1.25 cycles per ns of guest time: more is a
 *                 count added twice; a board's counter would need its own bound); with
 *                 the hopper on, every vCPU had intervals with a move inside; with
 *                 set_pmu, KVM refused the other clusters (--expect-stop: stop_seen, the
 *                 control for --pmu default: passes only if on every cluster but the
 *                 first no interval counted)
 *   sampling      on every cluster the vCPU runs on (pinned there at the guest's
 *                 request) and while hopping, at most floor(cycles / period) + 1
 *                 samples (each overflow of the period is one sample) and, with
 *                 --exact-samples, at least floor(cycles / period) - 1 (the interrupt of
 *                 the last overflow may come after the disable), and at least 0.25
 *                 cycles per ns of the phase (a counter that counts part of the time;
 *                 see MIN_RATE), the hopping phase at least 6/10 of the slowest pinned
 *                 one's rate (HOP_SHARE: a hand-over that loses cycles); none lost in
 *                 the ring; the control's first cluster counted; no pinned phase moved
 *                 and, with the hopper on (--hop-ms below 500), every hopping one
 *                 moved. --exact-samples is for
 *                 QEMU -icount: without it QEMU raises the overflow interrupt from a
 *                 timer on the real-time clock, which lags by more than a period when
 *                 the machine is loaded, and the guest's perf then counts one sample
 *                 for all the periods it overshot (docs/figures.md: 26 samples for 69
 *                 periods in one make check, KVM's default PMU alike; under -icount
 *                 every phase matches, with or without --hogs). Without it a phase of
 *                 two periods or more needs one sample. The plans run --exact-samples
 *                 under -icount.
 *   guest_log     no splat in the guest kernel's log (its console and its /dev/kmsg)
 *   shutdown      the guest powered off through PSCI, its /init reporting success
 *
 * Guest physical map (the device tree says the same):
 *   0x08000000  GICv3 distributor; 0x080a0000 its redistributors (vmm.c)
 *   0x09000000  PL011 UART, SPI 1: transmit only, enough for earlycon and the console
 *   0x0a000000  the rig's control page (below)
 *   0x40000000  RAM, 256 MiB: the Image 2 MiB in, the device tree at 128 MiB, the
 *               initramfs where the tree's /chosen says
 *
 * The control page: 64-bit loads and stores from the guest's /init (through /dev/mem).
 * Each is answered by the thread of the vCPU that made it, so "this vCPU" is the one the
 * guest task runs on:
 *   0x00 R  the cluster (host PMU index, host-pmu.h) of the CPU this vCPU's thread is on
 *   0x08 R  how many times the hopper has moved this vCPU's thread so far
 *   0x10 R  the number of clusters
 *   0x18 W  pin this vCPU's thread to cluster N; ~0: the hopper moves it again
 *   0x20 W  the guest's verdict, before it powers off (0: its /init saw no error)
 *   0x28 W  1: the hopper moves this vCPU's thread only after HOP_READS reads of 0x08
 *           since its last move (the guest counts intervals meanwhile); 0: on the timer
 *           alone
 *
 * --pmu off|default|set_pmu|fixed: no vPMU, KVM's default PMU (the first cluster's: the
 * VM is made on its first CPU), KVM_ARM_VCPU_PMU_V3_SET_PMU to the first cluster's PMU
 * (KVM refuses to run the vCPU elsewhere: the thread is put back there and the refusals
 * counted; the clusters it does not run on are left out of the verdicts), or
 * KVM_ARM_VCPU_PMU_V3_FIXED_COUNTERS_ONLY. Every vCPU thread starts on the first
 * cluster; --hop-ms MIN-MAX: the hopper moves every unpinned vCPU thread to a CPU of
 * another cluster every MIN to MAX ms (seeded, --seed; 0-0: no hopper; paced by the
 * vCPU's reads where the guest asks, 0x28). --brief leaves
 * the guest's boot log out of the output (its splats and what its /init says stay).
 * --hogs N: N host threads spin meanwhile, so that the vCPU threads are descheduled now
 * and then, as on a busy host. Exit: 0 pass, 1 a failed result (a KVM_RUN error while
 * the guest runs ends it: its results fail), 2 bad input or an error setting the VM up,
 * 4 skip (--pmu fixed on a kernel without the attribute: every result SKIP).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include "splat.h"
#include "vmm-multi.h"

#define LG_VCPUS	4
#define LG_RAM		0x40000000UL
#define LG_RAM_SIZE	0x10000000UL
#define LG_IMAGE	(LG_RAM + 0x200000UL)
#define LG_DTB		(LG_RAM + 0x8000000UL)
#define LG_DTB_MAX	0x200000UL
#define UART_BASE	0x09000000UL
#define UART_SPI	1
#define CTRL_BASE	0x0a000000UL
#define PAGE		0x1000UL
#define MAX_HOGS	16

/* PL011 registers and bits, as far as this model goes. */
#define UART_DR		0x00
#define UART_FR		0x18
#define UART_IMSC	0x38
#define UART_RIS	0x3c
#define UART_MIS	0x40
#define UART_ICR	0x44
#define FR_RXFE		(1U << 4)
#define FR_TXFE		(1U << 7)
#define INT_TX		(1U << 5)

enum { CTRL_CLUSTER = 0x00, CTRL_HOPS = 0x08, CTRL_NR = 0x10, CTRL_PIN = 0x18,
       CTRL_VERDICT = 0x20, CTRL_PACE = 0x28 };

enum lg_pmu { LG_OFF, LG_DEFAULT, LG_SET_PMU, LG_FIXED };
static const char *const pmu_names[] = { "off", "default", "set_pmu", "fixed" };

struct lg_vcpu {
	int fd, idx;
	struct kvm_run *run;
	pthread_t th;
	_Atomic pid_t tid;
	/* Under hop_lock: */
	int pinned;		/* the cluster the guest pinned it to, or -1 */
	int cur;		/* the cluster it was put on last */
	long hops;
	int pace;		/* CTRL_PACE */
	long reads;		/* reads of CTRL_HOPS answered */
	long reads_at_hop;	/* reads, when the hopper moved it last */
	_Atomic long refusals;	/* KVM_EXIT_FAIL_ENTRY, CPU_UNSUPPORTED (set_pmu) */
};

static struct {
	int kvm, vm, gic, nr, run_size;
	enum lg_pmu pmu;
	void *ram;
	struct lg_vcpu vcpu[LG_VCPUS];
} lg;

static pthread_mutex_t hop_lock = PTHREAD_MUTEX_INITIALIZER;
/* --hop-ms MIN-MAX and --seed. */
static struct hop_args { int min_ms, max_ms; unsigned int seed; } hop = { 2, 10, 0 };
static _Atomic int stopping;
/* How the guest ended: 0 running, else KVM_SYSTEM_EVENT_* or -1 (a vCPU failed). */
static _Atomic int ended;
static _Atomic long verdict = -1;

/* What the guest's console said, under uart_lock. */
static pthread_mutex_t uart_lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
	uint32_t imsc, level, regs[0x1000 / 4];
	char line[1024];
	size_t len;
} uart;

struct cell { long intervals, grew, maxrate, back; unsigned long long cycles; };
struct samp { unsigned long long period, cycles, samples, lost, ns, hops; int seen; };
struct hopped { long intervals, maxrate; int seen; };
static struct {
	int start, pmu_seen, open_seen, open_err, done, splats, kmsg_splats;
	int inst_seen, inst_err;
	char probe[1024], pmu[1024];
	struct cell count[LG_VCPUS][MAX_PMUS];
	struct samp pinned[LG_VCPUS][MAX_PMUS], hopping[LG_VCPUS];
	struct hopped hops[LG_VCPUS];
	double t_start;
} seen;
static double t0;
/* Where the Image was loaded, its entry point. */
static uint64_t entry;
/* --brief: of the guest's console only its splats, its probe line and its errors. */
static int brief;

static void ioctl_or_die(int fd, unsigned long req, void *arg, const char *what)
{
	if (ioctl(fd, req, arg))
		die("%s", what);
}

static void *read_file(const char *path, size_t *len)
{
	struct stat st;
	void *buf;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || fstat(fd, &st))
		die("%s", path);
	buf = malloc(st.st_size ? st.st_size : 1);
	if (!buf || read(fd, buf, st.st_size) != st.st_size)
		die("reading %s", path);
	close(fd);
	*len = st.st_size;
	return buf;
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3];
}

/*
 * The value of property @prop of /chosen in the flattened tree @fdt (a 32- or 64-bit
 * big-endian cell), or dies: the tree says where the initramfs goes.
 */
/* The NUL-terminated string at @off of @fdt (@len bytes), or dies. */
static const char *fdt_str(const uint8_t *fdt, uint64_t len, uint64_t off)
{
	errno = 0;
	if (off >= len || !memchr(fdt + off, 0, len - off))
		die("the device tree is cut short");
	return (const char *)fdt + off;
}

static uint64_t fdt_chosen(const uint8_t *fdt, size_t size, const char *prop)
{
	uint64_t len, off, strs, plen;
	int depth = 0, in_chosen = 0;
	const char *name;
	uint32_t tok;

	errno = 0;
	if (size < 40 || be32(fdt) != 0xd00dfeed || be32(fdt + 4) > size)
		die("not a flattened device tree");
	len = be32(fdt + 4);
	off = be32(fdt + 8);
	strs = be32(fdt + 12);
	while (off + 4 <= len) {
		tok = be32(fdt + off);
		off += 4;
		switch (tok) {
		case 1:	/* FDT_BEGIN_NODE */
			name = fdt_str(fdt, len, off);
			depth++;
			in_chosen = depth == 2 && !strcmp(name, "chosen");
			off += (strlen(name) + 4) & ~3UL;
			break;
		case 2:	/* FDT_END_NODE */
			depth--;
			in_chosen = 0;
			break;
		case 3:	/* FDT_PROP */
			if (off + 8 > len)
				die("the device tree is cut short");
			plen = be32(fdt + off);
			name = fdt_str(fdt, len, strs + be32(fdt + off + 4));
			off += 8;
			if (off + plen > len)
				die("the device tree is cut short");
			if (in_chosen && !strcmp(name, prop)) {
				if (plen == 4)
					return be32(fdt + off);
				if (plen == 8)
					return (uint64_t)be32(fdt + off) << 32 | be32(fdt + off + 4);
				die("/chosen/%s: %llu bytes", prop, (unsigned long long)plen);
			}
			off += (plen + 3) & ~3UL;
			break;
		case 4:	/* FDT_NOP */
			break;
		default:	/* FDT_END */
			die("the device tree has no /chosen/%s", prop);
		}
	}
	die("the device tree is cut short");
}

static void *gpa(uint64_t addr, size_t len, const char *what)
{
	errno = 0;
	if (addr < LG_RAM || addr + len > LG_RAM + LG_RAM_SIZE || addr + len < addr)
		die("%s (%zu bytes at %#llx) does not fit in the guest's RAM", what, len,
		    (unsigned long long)addr);
	return (char *)lg.ram + (addr - LG_RAM);
}

/* The Image at LG_IMAGE, the tree at LG_DTB, the initramfs where the tree says. */
static void load_guest(const char *kernel, const char *initrd, const char *dtb)
{
	size_t klen, ilen, dlen;
	uint8_t *k = read_file(kernel, &klen);
	uint8_t *d = read_file(dtb, &dlen);
	uint8_t *i = read_file(initrd, &ilen);
	uint64_t text_offset, image_size, flags, istart, iend;

	errno = 0;
	if (klen < 64 || memcmp(k + 56, "ARM\x64", 4))
		die("%s: not an arm64 Image", kernel);
	memcpy(&text_offset, k + 8, 8);
	memcpy(&image_size, k + 16, 8);
	memcpy(&flags, k + 24, 8);
	/* Booting.rst: flags bit 0 is a big-endian kernel, which this VMM does not start. */
	if (flags & 1)
		die("%s: a big-endian Image", kernel);
	if (image_size < klen)
		image_size = klen;
	if (LG_IMAGE + text_offset + image_size > LG_DTB)
		die("%s: %llu bytes do not fit below the device tree", kernel,
		    (unsigned long long)image_size);
	memcpy(gpa(LG_IMAGE + text_offset, klen, kernel), k, klen);
	entry = LG_IMAGE + text_offset;
	if (dlen > LG_DTB_MAX)
		die("%s: larger than %lu bytes", dtb, LG_DTB_MAX);
	memcpy(gpa(LG_DTB, dlen, dtb), d, dlen);
	istart = fdt_chosen(d, dlen, "linux,initrd-start");
	iend = fdt_chosen(d, dlen, "linux,initrd-end");
	if (iend - istart != ilen)
		die("%s is %zu bytes, the device tree's /chosen says %llu (remake it: "
		    "rig/make-linux-guest.sh)", initrd, ilen,
		    (unsigned long long)(iend - istart));
	if (istart < LG_DTB + LG_DTB_MAX)
		die("the device tree puts the initramfs at %#llx, over the tree",
		    (unsigned long long)istart);
	memcpy(gpa(istart, ilen, initrd), i, ilen);
	free(k);
	free(d);
	free(i);
}

/* --- the guest's console ------------------------------------------------------- */

static void uart_update_irq(void)
{
	struct kvm_irq_level l = {
		.irq = (KVM_ARM_IRQ_TYPE_SPI << KVM_ARM_IRQ_TYPE_SHIFT) | (32 + UART_SPI),
	};

	/* The transmit FIFO is always empty: its interrupt is raised whenever unmasked. */
	l.level = !!(uart.imsc & INT_TX);
	if (l.level == uart.level)
		return;
	uart.level = l.level;
	ioctl_or_die(lg.vm, KVM_IRQ_LINE, &l, "KVM_IRQ_LINE (UART)");
}

static struct cell *count_cell(int v, int c)
{
	return v >= 0 && v < lg.nr && c >= 0 && c < nr_pmus ? &seen.count[v][c] : NULL;
}

/* One "lgp: " line of the guest's /init. */
static void guest_says(const char *s)
{
	struct samp sm = { 0 };
	long intervals, grew, rate, back;
	unsigned long long cycles;
	int v, c, n;

	if (!strncmp(s, "start", 5)) {
		seen.start = 1;
		seen.t_start = now_s() - t0;
	} else if (!strncmp(s, "probe ", 6)) {
		snprintf(seen.probe, sizeof(seen.probe), "%s", s + 6);
	} else if (!strncmp(s, "pmu ", 4)) {
		seen.pmu_seen = 1;
		snprintf(seen.pmu, sizeof(seen.pmu), "%s", s + 4);
	} else if (sscanf(s, "cycles_open %d", &n) == 1) {
		seen.open_seen = 1;
		seen.open_err = n;
	} else if (sscanf(s, "instructions_open %d", &n) == 1) {
		seen.inst_seen = 1;
		seen.inst_err = n;
	} else if (sscanf(s, "count vcpu=%d cluster=%d intervals=%ld grew=%ld cycles=%llu "
			  "maxrate=%ld back=%ld", &v, &c, &intervals, &grew, &cycles, &rate,
			  &back) == 7) {
		struct cell *cl = count_cell(v, c);

		if (cl) {
			cl->intervals += intervals;
			cl->back += back;
			cl->grew += grew;
			cl->cycles += cycles;
			if (rate > cl->maxrate)
				cl->maxrate = rate;
		}
	} else if (sscanf(s, "hops vcpu=%d intervals=%ld maxrate=%ld", &v, &intervals,
			  &rate) == 3 && v >= 0 && v < lg.nr) {
		seen.hops[v].seen = 1;
		seen.hops[v].intervals += intervals;
		if (rate > seen.hops[v].maxrate)
			seen.hops[v].maxrate = rate;
	} else if (sscanf(s, "sample vcpu=%d cluster=%d period=%llu cycles=%llu samples=%llu "
			  "lost=%llu ns=%llu hops=%llu", &v, &c, &sm.period, &sm.cycles,
			  &sm.samples, &sm.lost, &sm.ns, &sm.hops) == 8 && v >= 0 && v < lg.nr) {
		sm.seen = 1;
		if (c == -1)
			seen.hopping[v] = sm;
		else if (c >= 0 && c < nr_pmus)
			seen.pinned[v][c] = sm;
	} else if (sscanf(s, "kmsg_splats %d", &n) == 1) {
		seen.kmsg_splats = n;
	} else if (!strncmp(s, "done", 4)) {
		seen.done = 1;
	}
}

static void uart_line(void)
{
	int splat;

	uart.line[uart.len] = 0;
	splat = !!splat_match(uart.line);
	if (!brief || splat || (!strncmp(uart.line, "lgp: ", 5) &&
				strncmp(uart.line + 5, "count ", 6) &&
				strncmp(uart.line + 5, "sample ", 7) &&
				strncmp(uart.line + 5, "hops ", 5) &&
				strncmp(uart.line + 5, "instructions_open ", 18) &&
				strncmp(uart.line + 5, "pmu ", 4)))
		printf("# guest| %s\n", uart.line);
	seen.splats += splat;
	if (!strncmp(uart.line, "lgp: ", 5))
		guest_says(uart.line + 5);
	uart.len = 0;
}

static uint64_t uart_access(uint64_t off, int write, uint64_t val)
{
	uint64_t ret = 0;

	pthread_mutex_lock(&uart_lock);
	if (off >= 0xfe0) {
		/* PrimeCell IDs: a PL011 r1p5 (peripheral 0x00341011, cell 0xb105f00d). */
		static const uint8_t ids[8] = { 0x11, 0x10, 0x34, 0x00, 0x0d, 0xf0, 0x05, 0xb1 };

		ret = write ? 0 : ids[(off - 0xfe0) / 4 % 8];
	} else if (off == UART_DR) {
		if (write) {
			char ch = val & 0xff;

			if (ch == '\n' || uart.len == sizeof(uart.line) - 1)
				uart_line();
			if (ch != '\n' && ch != '\r')
				uart.line[uart.len++] = ch;
		}
	} else if (off == UART_FR) {
		ret = FR_RXFE | FR_TXFE;
	} else if (off == UART_IMSC) {
		if (write) {
			uart.imsc = val;
			uart_update_irq();
		}
		ret = uart.imsc;
	} else if (off == UART_RIS) {
		ret = INT_TX;
	} else if (off == UART_MIS) {
		ret = INT_TX & uart.imsc;
	} else if (off == UART_ICR) {
		/* Nothing to clear: the transmit interrupt stands while the FIFO is empty. */
	} else if (off < 0x1000) {
		/* Baud rate, line and control registers: kept, without effect. */
		if (write)
			uart.regs[off / 4] = val;
		ret = uart.regs[off / 4];
	}
	pthread_mutex_unlock(&uart_lock);
	return ret;
}

/* --- the control page and the hopper -------------------------------------------- */

/*
 * Puts thread @tid on cluster @c. A vCPU thread that saw the guest end may be gone by
 * then (ESRCH): nothing to move. Called with hop_lock held.
 */
static void move_tid(pid_t tid, int c)
{
	cpu_set_t set;
	int k;

	CPU_ZERO(&set);
	for (k = 0; k < pmus[c].nr_cpus; k++)
		CPU_SET(pmus[c].cpus[k], &set);
	if (sched_setaffinity(tid, sizeof(set), &set) && errno != ESRCH)
		die("sched_setaffinity(%d, cluster %d)", tid, c);
}

static uint64_t ctrl_access(struct lg_vcpu *vc, uint64_t off, int write, uint64_t val)
{
	uint64_t ret = 0;

	pthread_mutex_lock(&hop_lock);
	switch (off) {
	case CTRL_CLUSTER:
		ret = cluster_of(sched_getcpu());
		break;
	case CTRL_HOPS:
		ret = vc->hops;
		vc->reads++;
		break;
	case CTRL_NR:
		ret = nr_pmus;
		break;
	case CTRL_PIN:
		if (!write)
			break;
		if (val < (uint64_t)nr_pmus) {
			vc->pinned = vc->cur = val;
			move_tid(0, val);
		} else {
			vc->pinned = -1;
		}
		break;
	case CTRL_VERDICT:
		if (write)
			verdict = val;
		break;
	case CTRL_PACE:
		if (write)
			vc->pace = !!val;
		break;
	default:
		printf("# vCPU %d: %s of the control page at %#llx: no such register\n",
		       vc->idx, write ? "store" : "load", (unsigned long long)off);
	}
	pthread_mutex_unlock(&hop_lock);
	return ret;
}

/*
 * While the guest asks (CTRL_PACE 1), the hopper moves a vCPU's thread again only once
 * its thread has answered this many reads of CTRL_HOPS since its last move, whatever
 * the timer says. The guest's counting interval reads it first and last, so three
 * reads after a move hold a first and a last one in that order: one whole interval
 * falls between two moves however slowly the host runs the guest. On the timer alone,
 * a host slow enough that an interval outlasts 2 to 10 ms put a move inside nearly
 * every interval and left clusters without the intervals a verdict needs (2 to 4 in
 * 15 s of counting, beside 106 to 224 intervals with a move inside).
 */
#define HOP_READS	3

/* Whether the hopper runs: more than one cluster, and --hop-ms not 0-0. */
static int hopper_on(void)
{
	return nr_pmus > 1 && hop.max_ms > 0;
}

static void *hopper(void *arg)
{
	struct hop_args *h = arg;
	unsigned int s = h->seed;
	int i, c;

	while (!stopping) {
		int ms = h->min_ms + rnd(&s) % (h->max_ms - h->min_ms + 1);
		struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

		nanosleep(&ts, NULL);
		pthread_mutex_lock(&hop_lock);
		for (i = 0; i < lg.nr && !stopping; i++) {
			struct lg_vcpu *vc = &lg.vcpu[i];
			pid_t tid = vc->tid;

			if (vc->pinned >= 0 || !tid ||
			    (vc->pace && vc->reads - vc->reads_at_hop < HOP_READS))
				continue;
			/* Another cluster than the one the thread was put on last. */
			c = (vc->cur + 1 + rnd(&s) % (nr_pmus - 1)) % nr_pmus;
			/* Counted first: a guest that sees the count unchanged saw no move. */
			vc->hops++;
			vc->reads_at_hop = vc->reads;
			vc->cur = c;
			move_tid(tid, c);
		}
		pthread_mutex_unlock(&hop_lock);
	}
	return NULL;
}

/* --hogs: host threads that only spin, so that the vCPU threads get descheduled. */
static void *hog(void *arg)
{
	volatile unsigned long n = 0;

	(void)arg;
	while (!stopping)
		n++;
	return NULL;
}

/* --- the vCPUs ------------------------------------------------------------------- */

static void on_signal(int sig)
{
	(void)sig;
}

static void end_guest(int how)
{
	int zero = 0;

	atomic_compare_exchange_strong(&ended, &zero, how);
	stopping = 1;
}

static void *vcpu_thread(void *arg)
{
	struct lg_vcpu *vc = arg;
	struct kvm_run *r = vc->run;

	/* Only the hopper and the guest's pins move it between clusters: cur says where. */
	pthread_mutex_lock(&hop_lock);
	vc->cur = 0;
	move_tid(0, 0);
	vc->tid = syscall(SYS_gettid);
	pthread_mutex_unlock(&hop_lock);
	while (!stopping) {
		if (ioctl(vc->fd, KVM_RUN, 0)) {
			if (errno == EINTR)
				continue;
			printf("# vCPU %d: KVM_RUN: %s\n", vc->idx, strerror(errno));
			end_guest(-1);
			break;
		}
		switch (r->exit_reason) {
		case KVM_EXIT_MMIO: {
			uint64_t a = r->mmio.phys_addr, val = 0;

			memcpy(&val, r->mmio.data, r->mmio.len <= 8 ? r->mmio.len : 8);
			if (a >= UART_BASE && a < UART_BASE + PAGE)
				val = uart_access(a - UART_BASE, r->mmio.is_write, val);
			else if (a >= CTRL_BASE && a < CTRL_BASE + PAGE)
				val = ctrl_access(vc, a - CTRL_BASE, r->mmio.is_write, val);
			else
				printf("# vCPU %d: %s at %#llx: nothing there\n", vc->idx,
				       r->mmio.is_write ? "store" : "load", (unsigned long long)a);
			if (!r->mmio.is_write)
				memcpy(r->mmio.data, &val, r->mmio.len <= 8 ? r->mmio.len : 8);
			break;
		}
		case KVM_EXIT_SYSTEM_EVENT:
			end_guest(r->system_event.type);
			break;
		case KVM_EXIT_FAIL_ENTRY:
			if (r->fail_entry.hardware_entry_failure_reason ==
			    KVM_EXIT_FAIL_ENTRY_CPU_UNSUPPORTED) {
				/* set_pmu: back to the PMU's cluster, as a VMM must. */
				vc->refusals++;
				pthread_mutex_lock(&hop_lock);
				if (vc->pinned >= 0)
					vc->pinned = 0;
				vc->cur = 0;
				move_tid(0, 0);
				pthread_mutex_unlock(&hop_lock);
				break;
			}
			/* fall through */
		default:
			printf("# vCPU %d: unexpected exit %u\n", vc->idx, r->exit_reason);
			end_guest(-1);
		}
	}
	return NULL;
}

static void vcpu_attr(struct lg_vcpu *vc, uint64_t attr, void *val, const char *what)
{
	if (vcpu_pmu_attr(vc->fd, KVM_SET_DEVICE_ATTR, attr, val))
		die("vCPU %d: %s", vc->idx, what);
}

/* The VM, on the first CPU of the first cluster (KVM's default PMU is that CPU's). */
static int vm_setup(void)
{
	struct kvm_userspace_memory_region mr;
	struct kvm_vcpu_init init;
	int i, irq = PMU_IRQ;

	lg.kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (lg.kvm < 0)
		die("/dev/kvm (a kernel with KVM, and access to it)");
	lg.vm = ioctl(lg.kvm, KVM_CREATE_VM, 0);
	if (lg.vm < 0)
		die("KVM_CREATE_VM");
	lg.ram = mmap(NULL, LG_RAM_SIZE, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (lg.ram == MAP_FAILED)
		die("mmap guest RAM");
	mr = (struct kvm_userspace_memory_region) {
		.slot = 0, .guest_phys_addr = LG_RAM, .memory_size = LG_RAM_SIZE,
		.userspace_addr = (uint64_t)(unsigned long)lg.ram,
	};
	ioctl_or_die(lg.vm, KVM_SET_USER_MEMORY_REGION, &mr, "KVM_SET_USER_MEMORY_REGION");
	lg.run_size = ioctl(lg.kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (lg.run_size <= 0)
		die("KVM_GET_VCPU_MMAP_SIZE");
	ioctl_or_die(lg.vm, KVM_ARM_PREFERRED_TARGET, &init, "KVM_ARM_PREFERRED_TARGET");
	init.features[0] |= 1U << KVM_ARM_VCPU_PSCI_0_2;
	if (lg.pmu != LG_OFF)
		init.features[0] |= 1U << KVM_ARM_VCPU_PMU_V3;
	for (i = 0; i < lg.nr; i++) {
		struct lg_vcpu *vc = &lg.vcpu[i];
		struct kvm_vcpu_init vi = init;

		vc->idx = i;
		vc->pinned = -1;
		vc->fd = ioctl(lg.vm, KVM_CREATE_VCPU, i);
		if (vc->fd < 0)
			die("KVM_CREATE_VCPU %d", i);
		vc->run = mmap(NULL, lg.run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vc->fd, 0);
		if (vc->run == MAP_FAILED)
			die("mmap kvm_run");
		/* The others wait for PSCI CPU_ON. */
		if (i)
			vi.features[0] |= 1U << KVM_ARM_VCPU_POWER_OFF;
		ioctl_or_die(vc->fd, KVM_ARM_VCPU_INIT, &vi, "KVM_ARM_VCPU_INIT");
	}
	lg.gic = vgic_create(lg.vm);
	/* Every vCPU's PMU set up before the first KVM_ARM_VCPU_PMU_V3_INIT: EBUSY after. */
	for (i = 0; i < lg.nr && lg.pmu != LG_OFF; i++) {
		struct lg_vcpu *vc = &lg.vcpu[i];

		vcpu_attr(vc, KVM_ARM_VCPU_PMU_V3_IRQ, &irq, "KVM_ARM_VCPU_PMU_V3_IRQ");
		if (lg.pmu == LG_SET_PMU)
			vcpu_attr(vc, KVM_ARM_VCPU_PMU_V3_SET_PMU, &pmus[0].type,
				  "KVM_ARM_VCPU_PMU_V3_SET_PMU");
		if (lg.pmu == LG_FIXED) {
			if (vcpu_pmu_attr(vc->fd, KVM_HAS_DEVICE_ATTR,
					  KVM_ARM_VCPU_PMU_V3_FIXED_COUNTERS_ONLY, NULL))
				return -1;
			vcpu_attr(vc, KVM_ARM_VCPU_PMU_V3_FIXED_COUNTERS_ONLY, NULL,
				  "KVM_ARM_VCPU_PMU_V3_FIXED_COUNTERS_ONLY");
		}
	}
	for (i = 0; i < lg.nr && lg.pmu != LG_OFF; i++)
		vcpu_attr(&lg.vcpu[i], KVM_ARM_VCPU_PMU_V3_INIT, NULL, "KVM_ARM_VCPU_PMU_V3_INIT");
	return 0;
}

/* --- the verdict ----------------------------------------------------------------- */

static int nr_results, failed;
static const char *const result_names[] = {
	"boot", "probe", "cycles_event", "counting", "sampling", "guest_log", "shutdown",
};
#define NR_RESULTS	((int)(sizeof(result_names) / sizeof(result_names[0])))

static void result(const char *name, int ok, const char *fmt, ...)
{
	char detail[2048] = "";
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	nr_results++;
	if (ok < 0) {
		printf("ok %d %s # SKIP %s\n", nr_results, name, detail);
		return;
	}
	printf("%s %d %s%s%s\n", ok ? "ok" : "not ok", nr_results, name,
	       *detail ? " # " : "", detail);
	failed += !ok;
}

/* At least this many intervals per (vCPU, cluster) for a verdict about it. */
#define MIN_INTERVALS	5
/*
 * QEMU's cycle counter runs at 1 GHz of virtual time, the guest's clock too: more than
 * 1250 cycles per 1000 ns over an interval is a count added twice.
 */
#define MAX_RATE	1250

/* --exact-samples: the run is under -icount, where the overflow interrupt is on time. */
static int exact;

/*
 * With --exact-samples, a phase that counts all the time counts at least this many
 * cycles per 1000 ns of guest time: the slowest legitimate one, a vCPU that shares a
 * CPU of its cluster with another (four vCPUs pinned to a two-CPU cluster), counts
 * about half of QEMU's 1 GHz; the quickest, alone on a CPU, 0.6 to 0.95.
 */
#define MIN_RATE	250
/*
 * And, with the fixed counters, the hopping phase counts at least 6/10 of the vCPU's
 * slowest pinned phase: the hops cost it guest time (exits, switches), 3 to 17% under
 * -icount, and a hand-over that lost half its cycles would go below.
 */
#define HOP_SHARE	6

/* @rate_floor: the phase is one where the counter counts all the time. */
static int sample_ok(const struct samp *sm, int rate_floor)
{
	unsigned long long want;

	if (!sm->seen || !sm->period || sm->lost)
		return 0;
	want = sm->cycles / sm->period;
	if (sm->samples > want + 1)
		return 0;
	if (!exact)
		return want < 2 || sm->samples >= 1;
	if (rate_floor && sm->cycles * 1000 < MIN_RATE * sm->ns)
		return 0;
	return sm->samples + 1 >= want;
}

/* The number of counters in the guest's probe line ("PMU driver, N (...) counters"). */
static int probed_counters(void)
{
	const char *p = strstr(seen.probe, "PMU driver, ");

	return p ? atoi(p + strlen("PMU driver, ")) : -1;
}

/* Whether the vCPU can run on cluster @c: everywhere but with set_pmu. */
static int runs_on(int c)
{
	return lg.pmu != LG_SET_PMU || c == 0;
}

/*
 * "; per vCPU, counted/intervals on each cluster, intervals with a move inside, moves
 * in all: v0 52/52 40/40 h35 m2833, v1 ...": the counting phase's figures in one line.
 */
static void pairs_detail(char *buf, size_t len)
{
	size_t n = snprintf(buf, len, "; per vCPU, counted/intervals on each cluster, "
			    "intervals with a move inside, moves in all:");
	int v, c;

	for (v = 0; v < lg.nr && n < len; v++) {
		n += snprintf(buf + n, len - n, "%s v%d", v ? "," : "", v);
		for (c = 0; c < nr_pmus && n < len; c++)
			n += snprintf(buf + n, len - n, " %ld/%ld", seen.count[v][c].grew,
				      seen.count[v][c].intervals);
		if (n < len)
			n += snprintf(buf + n, len - n, " h%ld m%ld", seen.hops[v].intervals,
				      lg.vcpu[v].hops);
	}
}

static void verdict_of(int expect_stop)
{
	int v, c, n, with_pmu = lg.pmu != LG_OFF;
	long refusals = 0;

	for (v = 0; v < lg.nr; v++)
		refusals += lg.vcpu[v].refusals;
	result("boot", seen.start, "the guest's /init %s",
	       seen.start ? "started" : "never started");
	if (seen.start)
		printf("# guest /init at %.1f s\n", seen.t_start);
	if (seen.probe[0])
		printf("# guest probe: %s\n", seen.probe);
	n = probed_counters();
	if (!with_pmu)
		result("probe", !seen.pmu_seen, "%s", seen.pmu_seen ? seen.pmu : "no PMU, as asked");
	else if (lg.pmu == LG_FIXED)
		/* The cycle counter alone: one counter, and no event counter's event maps. */
		result("probe", seen.pmu_seen && n == 1 && seen.inst_seen && seen.inst_err,
		       "%s; %d counter(s); instructions event: %s", seen.pmu, n,
		       !seen.inst_seen ? "not tried" : seen.inst_err ? strerror(seen.inst_err) :
		       "opened");
	else
		/* Event counters; their events are the host PMU's (QEMU's lacks instructions). */
		result("probe", seen.pmu_seen && n > 1,
		       "%s; %d counter(s); instructions event: %s", seen.pmu, n,
		       !seen.inst_seen ? "not tried" : seen.inst_err ? strerror(seen.inst_err) :
		       "opened");
	if (!seen.open_seen)
		result("cycles_event", 0, "the guest never tried");
	else if (with_pmu)
		result("cycles_event", !seen.open_err, "perf_event_open: %s",
		       seen.open_err ? strerror(seen.open_err) : "ok");
	else
		result("cycles_event", !!seen.open_err, "perf_event_open without a PMU: %s",
		       seen.open_err ? strerror(seen.open_err) : "opened?");

	for (c = 0; c < nr_pmus && with_pmu; c++) {
		struct cell sum = { 0 };
		unsigned long long cyc = 0, smp = 0, per = 0;

		for (v = 0; v < lg.nr; v++) {
			struct cell *cl = &seen.count[v][c];
			struct samp *sm = &seen.pinned[v][c];

			sum.intervals += cl->intervals;
			sum.grew += cl->grew;
			sum.cycles += cl->cycles;
			if (cl->maxrate > sum.maxrate)
				sum.maxrate = cl->maxrate;
			cyc += sm->cycles;
			smp += sm->samples;
			per += sm->period ? sm->cycles / sm->period : 0;
		}
		printf("# cluster %d (%s, CPUs %s): %ld of %ld intervals counted (%llu cycles, at "
		       "most %ld per 1000 ns); pinned there: %llu samples for %llu periods (%llu "
		       "cycles)%s\n", c, pmus[c].name, pmus[c].cpulist, sum.grew, sum.intervals,
		       sum.cycles, sum.maxrate, smp, per, cyc,
		       runs_on(c) ? "" : "; KVM does not run the vCPU there");
	}
	if (lg.pmu == LG_SET_PMU && nr_pmus > 1)
		printf("# set_pmu: KVM refused %ld entries off the first cluster (%s)\n", refusals,
		       refusals ? "KVM_EXIT_FAIL_ENTRY, CPU_UNSUPPORTED" : "none: no hop came?");
	if (!with_pmu) {
		result("counting", -1, "no vPMU");
	} else {
		/*
		 * Pairs (vCPU, cluster) it runs on: with too few intervals to say anything,
		 * counted in every interval, in none, in some; and faster than the clock.
		 */
		long few = 0, all = 0, none = 0, some = 0, none_first = 0, all_other = 0;
		char pd[LG_VCPUS * (MAX_PMUS + 2) * 24 + 128] = "";
		long fast = 0, pairs = 0, hop_fast = 0, hop_missing = 0, unmoved = 0;

		for (v = 0; v < lg.nr; v++) {
			struct hopped *h = &seen.hops[v];

			hop_missing += !h->seen;
			hop_fast += h->maxrate > MAX_RATE;
			/* The hand-over is what the counting phase is for. */
			unmoved += hopper_on() && h->seen && !h->intervals;
			printf("# vCPU %d: %ld intervals with a hop inside, at most %ld cycles per "
			       "1000 ns%s\n", v, h->intervals, h->maxrate,
			       h->maxrate == LONG_MAX ? " (the count went back)" : "");
		}

		for (v = 0; v < lg.nr; v++) {
			for (c = 0; c < nr_pmus; c++) {
				struct cell *cl = &seen.count[v][c];

				if (!runs_on(c))
					continue;
				pairs++;
				/* A count read smaller at an interval's end is as bad as a jump. */
				fast += cl->maxrate > MAX_RATE || cl->back;
				if (cl->intervals < MIN_INTERVALS) {
					few++;
				} else if (cl->grew == cl->intervals) {
					all++;
					all_other += c > 0;
				} else if (!cl->grew) {
					none++;
					none_first += !c;
				} else {
					some++;
				}
				if (cl->intervals < MIN_INTERVALS || cl->grew != cl->intervals ||
				    cl->maxrate > MAX_RATE || cl->back)
					printf("# vCPU %d on cluster %d: %ld of %ld intervals "
					       "counted, at most %ld cycles per 1000 ns, %ld went "
					       "back\n", v, c, cl->grew, cl->intervals, cl->maxrate,
					       cl->back);
			}
		}
		fast += hop_fast;
		/*
		 * A failing verdict carries the pairs and the moves, so that make check's
		 * summary alone says what went wrong.
		 */
		if (!expect_stop && (few || fast || all != pairs || unmoved))
			pairs_detail(pd, sizeof(pd));
		if (hop_missing)
			result(expect_stop ? "stop_seen" : "counting", 0, "%ld vCPU(s) did not report "
			       "their intervals", hop_missing);
		else if (!expect_stop)
			result("counting", !few && !fast && all == pairs && pairs && !unmoved &&
			       (lg.pmu != LG_SET_PMU || nr_pmus < 2 || refusals),
			       "%ld (vCPU, cluster) pairs counted in every interval of %ld; %ld "
			       "with fewer than %d intervals; %ld (pairs, or vCPUs over their "
			       "hops) faster than %d cycles per 1000 ns or going back; %ld "
			       "vCPUs without a move inside an interval%s%s", all,
			       pairs, few, MIN_INTERVALS, fast, MAX_RATE, unmoved,
			       lg.pmu == LG_SET_PMU && nr_pmus > 1 && !refusals ?
			       "; set_pmu never refused" : "", pd);
		else if (nr_pmus < 2)
			result("stop_seen", -1, "one cluster: nowhere for the counter to stop");
		else
			/* The first cluster's PMU counts there, and nowhere else. */
			result("stop_seen", !few && !some && !none_first && !all_other && !fast,
			       "%ld (vCPU, other cluster) pairs never counted of %ld; %ld counted "
			       "in part; %ld with fewer than %d intervals", none,
			       (long)lg.nr * (nr_pmus - 1), some, few, MIN_INTERVALS);
	}

	if (with_pmu) {
		long bad = 0, missing = 0, zero = 0, zero_first = 0, slow_hops = 0, moves_off = 0;

		for (v = 0; v < lg.nr; v++) {
			double slowest = 0;

			for (c = 0; c <= nr_pmus; c++) {
				struct samp *sm = c < nr_pmus ? &seen.pinned[v][c] : &seen.hopping[v];
				int ok, full;

				if (c < nr_pmus && !runs_on(c))
					continue;
				if (!sm->seen) {
					missing++;
					continue;
				}
				/*
				 * Phases that count all the time: every one but, for the
				 * control, the other clusters' and hopping, and for set_pmu
				 * hopping (KVM refuses entries meanwhile).
				 */
				full = expect_stop ? c == 0 :
				       c < nr_pmus || lg.pmu != LG_SET_PMU;
				ok = sample_ok(sm, full);
				bad += !ok;
				zero += !sm->cycles;
				/* The control's first cluster is where its PMU counts. */
				zero_first += expect_stop && !c && !sm->cycles;
				if (c < nr_pmus && sm->ns &&
				    (!slowest || (double)sm->cycles / sm->ns < slowest))
					slowest = (double)sm->cycles / sm->ns;
				if (c == nr_pmus && exact && lg.pmu == LG_FIXED && sm->ns &&
				    (double)sm->cycles / sm->ns * 10 < slowest * HOP_SHARE) {
					slow_hops++;
					printf("# vCPU %d hopping: %.3f cycles per ns, below %d/10 of "
					       "its slowest pinned phase's %.3f\n", v,
					       (double)sm->cycles / sm->ns, HOP_SHARE, slowest);
				}
				/*
				 * The hopping phase is moved when the hopper runs often
				 * enough to move it in SAMPLE_S (else it saw no hand-over,
				 * or, with set_pmu, no refusal). A pinned one is never
				 * moved: that checks this program, not KVM.
				 */
				if (c < nr_pmus ? sm->hops != 0 :
				    hopper_on() && hop.max_ms < 500 && !sm->hops) {
					moves_off++;
					printf("# vCPU %d %s: moved %llu times\n", v,
					       c < nr_pmus ? "pinned" : "hopping", sm->hops);
				}
				if (!ok || !sm->cycles) {
					if (c < nr_pmus)
						printf("# vCPU %d on cluster %d:", v, c);
					else
						printf("# vCPU %d hopping:", v);
					printf(" %llu samples, %llu cycles in %llu ns, period %llu, "
					       "%llu lost\n", sm->samples, sm->cycles, sm->ns,
					       sm->period, sm->lost);
				}
			}
		}
		/* The default PMU's control counts nothing on the other clusters: that is seen. */
		result("sampling", !bad && !missing && (expect_stop ? !zero_first : !zero) &&
		       !slow_hops && !moves_off,
		       "%ld phases with samples off their cycles (%s), %ld phases not run, %ld "
		       "phases without cycles%s, %ld hopping phases slower than %d/10 of the "
		       "pinned ones, %ld phases moved when pinned or never when hopping", bad,
		       exact ? "exact: within one, and at least 0.25 cycles per ns" :
		       "at most one more than the periods, at least one", missing, zero,
		       zero_first ? " (on the control's first cluster)" : "", slow_hops,
		       HOP_SHARE, moves_off);
	} else {
		result("sampling", -1, "no vPMU");
	}
	result("guest_log", !seen.splats && !seen.kmsg_splats,
	       "%d splat(s) on the console, %d in the guest's kmsg", seen.splats,
	       seen.kmsg_splats);
	result("shutdown", ended == KVM_SYSTEM_EVENT_SHUTDOWN && verdict == 0 && seen.done,
	       "%s, guest verdict %ld",
	       ended == KVM_SYSTEM_EVENT_SHUTDOWN ? "powered off" :
	       ended == KVM_SYSTEM_EVENT_RESET ? "reset (a guest panic?)" :
	       ended == 0 ? "still running at the timeout" : "ended otherwise", (long)verdict);
}

static const struct option opts[] = {
	{ "pmu", required_argument, NULL, 'p' },
	{ "vcpus", required_argument, NULL, 'n' },
	{ "kernel", required_argument, NULL, 'k' },
	{ "initrd", required_argument, NULL, 'i' },
	{ "dtb", required_argument, NULL, 'd' },
	{ "hop-ms", required_argument, NULL, 'h' },
	{ "seed", required_argument, NULL, 's' },
	{ "timeout", required_argument, NULL, 't' },
	{ "expect-stop", no_argument, NULL, 'x' },
	{ "brief", no_argument, NULL, 'b' },
	{ "hogs", required_argument, NULL, 'g' },
	{ "exact-samples", no_argument, NULL, 'e' },
	{ 0 }
};

/* A whole decimal number, or -1. */
static int number(const char *s)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(s, &end, 10);
	return errno || end == s || *end || n < 0 || n > INT_MAX ? -1 : (int)n;
}

static void usage(void)
{
	fprintf(stderr, "usage: linux-vmm [--pmu off|default|set_pmu|fixed] [--vcpus 1-%d] "
		"[--kernel IMAGE] [--initrd CPIO] [--dtb DTB] [--hop-ms MIN-MAX] [--seed N] "
		"[--timeout S] [--expect-stop] [--brief] [--hogs N] [--exact-samples]\n", LG_VCPUS);
	exit(2);
}

int main(int argc, char **argv)
{
	const char *kernel = "/guest/Image", *initrd = "/guest/initramfs.cpio";
	char dtb_default[64];
	const char *dtb = NULL;
	int timeout = 240, expect_stop = 0, o, i, vcpus = 2, hogs = 0;
	char junk, *end;
	pthread_t hop_th, hog_th[MAX_HOGS];
	struct sigaction sa = { .sa_handler = on_signal };

	setvbuf(stdout, NULL, _IOLBF, 0);
	/* The rig's host has no real-time clock: time() alone would repeat. */
	hop.seed = (unsigned int)(now_s() * 1e9) ^ (unsigned int)getpid() << 16;
	lg.pmu = LG_FIXED;
	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (o) {
		case 'p':
			for (i = 0; i < 4 && strcmp(optarg, pmu_names[i]); i++)
				;
			if (i == 4)
				usage();
			lg.pmu = i;
			break;
		case 'n':
			vcpus = number(optarg);
			break;
		case 'k':
			kernel = optarg;
			break;
		case 'i':
			initrd = optarg;
			break;
		case 'd':
			dtb = optarg;
			break;
		case 'h':
			if (sscanf(optarg, "%d-%d%c", &hop.min_ms, &hop.max_ms, &junk) != 2 ||
			    hop.min_ms < 0 || hop.max_ms < hop.min_ms ||
			    (hop.max_ms && !hop.min_ms))
				usage();
			break;
		case 's':
			errno = 0;
			hop.seed = strtoul(optarg, &end, 0);
			if (errno || end == optarg || *end)
				usage();
			break;
		case 't':
			timeout = number(optarg);
			break;
		case 'x':
			expect_stop = 1;
			break;
		case 'b':
			brief = 1;
			break;
		case 'e':
			exact = 1;
			break;
		case 'g':
			hogs = number(optarg);
			if (hogs < 0 || hogs > MAX_HOGS)
				usage();
			break;
		default:
			usage();
		}
	}
	if (optind != argc || vcpus < 1 || vcpus > LG_VCPUS || timeout < 1)
		usage();
	lg.nr = vcpus;
	if (!dtb) {
		snprintf(dtb_default, sizeof(dtb_default), "/guest/vcpus%d%s.dtb", vcpus,
			 lg.pmu == LG_OFF ? "-nopmu" : "");
		dtb = dtb_default;
	}
	find_pmus();
	printf("# linux-vmm: --pmu %s, %d vCPU(s), %d cluster(s), hops every %d-%d ms, "
	       "seed %u, %d hog(s)\n", pmu_names[lg.pmu], lg.nr, nr_pmus, hop.min_ms,
	       hop.max_ms, hop.seed, hogs);
	printf("# guest: %s, %s, %s\n", kernel, initrd, dtb);
	printf("KTAP version 1\n1..%d\n", NR_RESULTS);

	pin(pmus[0].cpus[0]);
	if (vm_setup()) {
		for (i = 0; i < NR_RESULTS; i++)
			result(result_names[i], -1, "this kernel does not offer "
			       "KVM_ARM_VCPU_PMU_V3_FIXED_COUNTERS_ONLY");
		return 4;
	}
	load_guest(kernel, initrd, dtb);
	/* The boot protocol: x0 the device tree, MMU and caches off (KVM's reset state). */
	vcpu_set_reg(lg.vcpu[0].fd, CORE_REG(regs.pc), entry);
	vcpu_set_reg(lg.vcpu[0].fd, CORE_REG(regs.regs[0]), LG_DTB);
	unpin();

	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGUSR1, &sa, NULL))
		die("sigaction");
	t0 = now_s();
	for (i = 0; i < lg.nr; i++)
		if (pthread_create(&lg.vcpu[i].th, NULL, vcpu_thread, &lg.vcpu[i]))
			die("pthread_create");
	if (hopper_on() && pthread_create(&hop_th, NULL, hopper, &hop))
		die("pthread_create");
	for (i = 0; i < hogs; i++)
		if (pthread_create(&hog_th[i], NULL, hog, NULL))
			die("pthread_create");
	while (!ended && now_s() - t0 < timeout) {
		struct timespec ts = { 0, 50 * 1000000L };

		nanosleep(&ts, NULL);
	}
	stopping = 1;
	for (i = 0; i < lg.nr; i++) {
		lg.vcpu[i].run->immediate_exit = 1;
		pthread_kill(lg.vcpu[i].th, SIGUSR1);
	}
	for (i = 0; i < lg.nr; i++)
		pthread_join(lg.vcpu[i].th, NULL);
	if (hopper_on())
		pthread_join(hop_th, NULL);
	for (i = 0; i < hogs; i++)
		pthread_join(hog_th[i], NULL);
	pthread_mutex_lock(&uart_lock);
	if (uart.len)
		uart_line();
	pthread_mutex_unlock(&uart_lock);
	printf("# guest ran %.1f s%s\n", now_s() - t0, ended ? "" : " (timed out)");
	for (i = 0; i < lg.nr; i++) {
		if (lg.vcpu[i].refusals)
			printf("# vCPU %d: KVM refused %ld entries off the PMU's cluster "
			       "(set_pmu)\n", i, (long)lg.vcpu[i].refusals);
		printf("# vCPU %d: moved %ld times\n", i, lg.vcpu[i].hops);
	}
	verdict_of(expect_stop);
	return failed ? 1 : 0;
}
