/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The guest of stress-release (EL1, MMU off, one per vCPU): rounds of everything that
 * makes KVM release and re-create, or re-enable, the cycle counter's host events, each
 * checked on the spot; every x3 rounds it stores the round count to the doorbell.
 *   x0: doorbell address    x1: spin iterations     x2: its slot    x3: rounds per report
 * Slot (u64): [0] rounds done, and how many times each check failed:
 *   [1] a counter write X read back below X          [2] no growth while enabled
 *   [3] growth with PMCCFILTR_EL0.P (EL1 excluded)   [4] growth with PMCR_EL0.E clear
 *   [5] PMCR_EL0.C did not reset the counter         [6] growth with PMCNTENCLR_EL0.C
 */
#define FAIL(n)		ldr x15, [x2, #8 * (n)]; add x15, x15, #1; str x15, [x2, #8 * (n)]

	.macro	spin
	mov	x10, x1
99:	subs	x10, x10, #1
	b.ne	99b
	.endm

	.text
	.globl	stress_release_guest_start, stress_release_guest_end
	.p2align 2
stress_release_guest_start:
	mov	x6, #0			/* x6: rounds */
	mov	x5, x3
round:
	mov	x9, #0x41		/* PMCR_EL0.E | .LC */
	msr	pmcr_el0, x9
	msr	pmccfiltr_el0, xzr
	mov	x9, #0x80000000
	msr	pmcntenset_el0, x9
	isb
	/* A counter write: X = 2^40 + round * 2^20. */
	mov	x8, #1
	lsl	x8, x8, #40
	add	x8, x8, x6, lsl #20
	msr	pmccntr_el0, x8
	isb
	mrs	x11, pmccntr_el0
	cmp	x11, x8
	b.hs	1f
	FAIL(1)
1:	spin
	mrs	x12, pmccntr_el0
	cmp	x12, x11
	b.hi	2f
	FAIL(2)
2:	/* EL1 excluded: the event is re-created with the filter. */
	mov	x9, #0x80000000
	msr	pmccfiltr_el0, x9
	isb
	mrs	x11, pmccntr_el0
	spin
	mrs	x12, pmccntr_el0
	cmp	x12, x11
	b.eq	3f
	FAIL(3)
3:	msr	pmccfiltr_el0, xzr
	mov	x9, #0x40		/* PMCR_EL0.E clear */
	msr	pmcr_el0, x9
	isb
	mrs	x11, pmccntr_el0
	spin
	mrs	x12, pmccntr_el0
	cmp	x12, x11
	b.eq	4f
	FAIL(4)
4:	mov	x9, #0x45		/* PMCR_EL0.E | .C | .LC: reset the cycle counter */
	msr	pmcr_el0, x9
	isb
	mrs	x11, pmccntr_el0
	cmp	x11, x8
	b.lo	5f
	FAIL(5)
5:	mov	x9, #0x80000000
	msr	pmcntenclr_el0, x9
	isb
	mrs	x11, pmccntr_el0
	spin
	mrs	x12, pmccntr_el0
	cmp	x12, x11
	b.eq	6f
	FAIL(6)
6:	add	x6, x6, #1
	str	x6, [x2]
	subs	x5, x5, #1
	b.ne	round
	mov	x5, x3
	str	x6, [x0]
	b	round
stress_release_guest_end:
	.section .note.GNU-stack, "", %progbits
