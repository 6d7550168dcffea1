/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The guest of pmu-cost: enables PMCCNTR_EL0, then forever: runs x1 iterations of
 * one trapped PMU register access and stores to the doorbell how many CNTVCT_EL0
 * ticks they took.
 *   x0: doorbell address   x1: iterations   x2: 0 read PMCCNTR_EL0,
 *   1 read PMSELR_EL0 (a trap with no perf work), 2 write PMCCNTR_EL0
 */
#include "guest-pmu.h"

	.text
	.globl	pmu_cost_guest_start, pmu_cost_guest_end
	.p2align 2
pmu_cost_guest_start:
	enable_cycle_counter x9
1:	mov	x10, x1
	isb
	mrs	x12, cntvct_el0
	cmp	x2, #1
	b.eq	3f
	cmp	x2, #2
	b.eq	4f
2:	mrs	x11, pmccntr_el0
	subs	x10, x10, #1
	b.ne	2b
	b	5f
3:	mrs	x11, pmselr_el0
	subs	x10, x10, #1
	b.ne	3b
	b	5f
4:	msr	pmccntr_el0, x10
	subs	x10, x10, #1
	b.ne	4b
5:	isb
	mrs	x13, cntvct_el0
	sub	x13, x13, x12
	str	x13, [x0]
	b	1b
pmu_cost_guest_end:
	.section .note.GNU-stack, "", %progbits
