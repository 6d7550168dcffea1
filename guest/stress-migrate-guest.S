/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The guest of stress-migrate and stress-life (EL1, MMU off, one per vCPU): enables
 * PMCCNTR_EL0 (PMCR_EL0.E and .LC, PMCCFILTR_EL0 = 0: EL0 and EL1 count,
 * PMCNTENSET_EL0.C), then forever: spins, reads the counter and checks that it did not
 * go backwards; every x3 reads it stores the value to the doorbell.
 *   x0: doorbell address    x1: spin iterations between two reads
 *   x2: its report slot     x3: reads per doorbell write
 *   x7: ns per tick of CNTVCT_EL0, rounded up
 * Slot (u64): [0] last value read, [1] reads, [2] times the counter went backwards,
 * [3] and [4] the first such pair (before, after), [5] times it grew by more cycles than
 * ns passed since the previous read (QEMU's cycle counter runs at 1 GHz of virtual
 * time, so that is a count added twice), [6] and [7] the first such growth and bound,
 * [8] and [9] CNTVCT_EL0 just before and after the last read.
 */
	.text
	.globl	stress_migrate_guest_start, stress_migrate_guest_end
	.p2align 2
stress_migrate_guest_start:
	mov	x9, #0x41		/* PMCR_EL0.E | PMCR_EL0.LC */
	msr	pmcr_el0, x9
	msr	pmccfiltr_el0, xzr
	mov	x9, #0x80000000
	msr	pmcntenset_el0, x9
	isb
	isb
	mrs	x13, cntvct_el0		/* x13: the virtual count before the previous read */
	mrs	x4, pmccntr_el0		/* x4: the previous read */
	mov	x6, #0			/* x6: reads */
1:	mov	x5, x3
2:	mov	x10, x1
3:	subs	x10, x10, #1
	b.ne	3b
	isb
	mrs	x12, cntvct_el0
	mrs	x9, pmccntr_el0
	isb
	mrs	x14, cntvct_el0
	add	x6, x6, #1
	cmp	x9, x4
	b.hs	5f
	ldr	x11, [x2, #16]
	cbnz	x11, 4f
	str	x4, [x2, #24]
	str	x9, [x2, #32]
4:	add	x11, x11, #1
	str	x11, [x2, #16]
	b	7f
	/* Faster than time: more cycles than ns (x7 per tick) since the previous read. */
5:	sub	x15, x14, x13
	add	x15, x15, #1
	mul	x15, x15, x7
	sub	x16, x9, x4
	cmp	x16, x15
	b.ls	7f
	ldr	x11, [x2, #40]
	cbnz	x11, 6f
	str	x16, [x2, #48]
	str	x15, [x2, #56]
6:	add	x11, x11, #1
	str	x11, [x2, #40]
7:	str	x12, [x2, #64]
	str	x14, [x2, #72]
	mov	x13, x12
	mov	x4, x9
	str	x9, [x2]
	str	x6, [x2, #8]
	subs	x5, x5, #1
	b.ne	2b
	str	x9, [x0]
	b	1b
stress_migrate_guest_end:
	.section .note.GNU-stack, "", %progbits
