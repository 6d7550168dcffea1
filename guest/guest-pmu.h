/* SPDX-License-Identifier: GPL-2.0 */
/* guest-pmu.h: assembler helpers shared by the rig's guests (pmu-*-guest.S). */
#ifndef RIG_GUEST_PMU_H
#define RIG_GUEST_PMU_H

/* PMCR_EL0.E and PMCNTENSET_EL0.C: the cycle counter counts from here on. */
.macro	enable_cycle_counter, tmp
	mov	\tmp, #1
	msr	pmcr_el0, \tmp
	mov	\tmp, #0x80000000
	msr	pmcntenset_el0, \tmp
	isb
.endm

#endif
