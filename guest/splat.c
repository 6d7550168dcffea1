// SPDX-License-Identifier: GPL-2.0
/* splat: see splat.h. */
#include <stddef.h>
#include <string.h>
#include "splat.h"

static const char *const splats[] = {
	"WARNING:", "BUG:", "Oops", "Unable to handle kernel",
	"possible circular locking", "possible recursive locking",
	"inconsistent lock state", "suspicious RCU usage", "INFO: lockdep",
	"sleeping function called from invalid context", "list_add corruption",
	"list_del corruption", "Kernel panic", "soft lockup",
	"rcu_sched detected stall", "rcu: INFO:", "detected stalls", "blocked for more than",
	"hard LOCKUP", "ODEBUG:",
};

const char *splat_match(const char *msg)
{
	size_t i;

	for (i = 0; i < sizeof(splats) / sizeof(splats[0]); i++)
		if (strstr(msg, splats[i]))
			return splats[i];
	return NULL;
}
