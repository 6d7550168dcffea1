/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The guest of pmu-hop: runs at EL1 with the MMU off. Enables PMCCNTR_EL0, then
 * forever: reads it, stores the value to the doorbell (an unbacked address, so KVM
 * exits to the VMM with the value), and spins.
 *   x0: doorbell address    x1: spin iterations between two reads
 */
#include "guest-pmu.h"

	.text
	.globl	pmu_hop_guest_start, pmu_hop_guest_end
	.p2align 2
pmu_hop_guest_start:
	enable_cycle_counter x9
1:	mrs	x9, pmccntr_el0
	str	x9, [x0]
	mov	x10, x1
2:	subs	x10, x10, #1
	b.ne	2b
	b	1b
pmu_hop_guest_end:
	.section .note.GNU-stack, "", %progbits
