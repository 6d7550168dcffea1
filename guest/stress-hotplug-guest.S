/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The second guest of stress-hotplug: runs at EL1 with the MMU off and interrupts
 * masked. Enables PMCCNTR_EL0 and its overflow interrupt, then forever: writes
 * PMCCNTR_EL0 64K cycles below the 32-bit wrap (PMCR_EL0.LC is 0: the overflow
 * happens there), spins, reads it, stores what it counted since the write to the
 * doorbell, and clears the overflow flag so that the next wrap overflows again. Each
 * round is a counter write (KVM rebases the counter's events) and an overflow (perf's
 * sampling period ends in the host), whatever CPU the vCPU thread is on.
 *   x0: doorbell address    x1: spin iterations between the write and the read
 */
#include "guest-pmu.h"

	.text
	.globl	stress_hotplug_guest_start, stress_hotplug_guest_end
	.p2align 2
stress_hotplug_guest_start:
	enable_cycle_counter x9
	mov	x12, #0x80000000
	msr	pmintenset_el1, x12
	mov	x11, #0xffff0000
1:	msr	pmccntr_el0, x11
	isb
	mov	x10, x1
2:	subs	x10, x10, #1
	b.ne	2b
	mrs	x9, pmccntr_el0
	sub	x9, x9, x11
	str	x9, [x0]
	msr	pmovsclr_el0, x12
	isb
	b	1b
stress_hotplug_guest_end:
	.section .note.GNU-stack, "", %progbits
