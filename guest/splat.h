/* SPDX-License-Identifier: GPL-2.0 */
/*
 * splat: what makes a kernel log line a splat (a warning, a bug, a lockdep or RCU
 * report, a lockup, a panic), for the host's /init and for the Linux guest's log.
 */
#ifndef RIG_SPLAT_H
#define RIG_SPLAT_H

/* The pattern @msg matches, or NULL when it is not a splat. */
const char *splat_match(const char *msg);

#endif
