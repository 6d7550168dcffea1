/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The guest of pmu-bench. When x4 is 1 (a vCPU with a PMU) disables every counter (KVM
 * resets PMCNTENSET_EL0 to an UNKNOWN value, which enables some event counters with
 * UNKNOWN events: perf events the guest never asked for) and enables the cycle counter
 * alone; then, by x1:
 *   0  spins for ever, storing its iteration count at [x3] (the host reads it: how much
 *      of the emulated machine's time the guest got);
 *   1  read PMCCNTR_EL0, 2 write PMCCFILTR_EL0, 3 write PMCR_EL0 with E and C,
 *   4  read PMSELR_EL0 (a PMU trap with no perf work): for ever, runs x2 of these and
 *      stores to the doorbell how many CNTVCT_EL0 ticks they took;
 *   5  writes the doorbell, and again each time it runs (a vCPU that has run, for
 *      create/destroy and memory).
 *   x0: doorbell address
 */
#include "guest-pmu.h"

	.text
	.globl	pmu_bench_guest_start, pmu_bench_guest_end
	.p2align 2
pmu_bench_guest_start:
	cbz	x4, 0f
	/* Counters reset enabled with UNKNOWN events: disable all but the cycle counter. */
	mov	x9, #0xffffffff
	msr	pmcntenclr_el0, x9
	enable_cycle_counter x9
0:	cbz	x1, spin
	cmp	x1, #5
	b.eq	once
	mov	x5, #5			/* PMCR_EL0.E | PMCR_EL0.C */
	mov	x6, #0			/* PMCCFILTR_EL0: count EL0 and EL1 */
1:	mov	x10, x2
	isb
	mrs	x12, cntvct_el0
	cmp	x1, #2
	b.eq	3f
	cmp	x1, #3
	b.eq	4f
	cmp	x1, #4
	b.eq	5f
2:	mrs	x11, pmccntr_el0
	subs	x10, x10, #1
	b.ne	2b
	b	6f
3:	msr	pmccfiltr_el0, x6
	subs	x10, x10, #1
	b.ne	3b
	b	6f
4:	msr	pmcr_el0, x5
	subs	x10, x10, #1
	b.ne	4b
	b	6f
5:	mrs	x11, pmselr_el0
	subs	x10, x10, #1
	b.ne	5b
6:	isb
	mrs	x13, cntvct_el0
	sub	x13, x13, x12
	str	x13, [x0]
	b	1b

spin:	mov	x5, #0
7:	add	x5, x5, #1
	str	x5, [x3]
	b	7b

once:	str	xzr, [x0]
	b	once
pmu_bench_guest_end:
	.section .note.GNU-stack, "", %progbits
