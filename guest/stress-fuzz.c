// SPDX-License-Identifier: GPL-2.0
/* stress-fuzz: placeholder while it is being written. */
#include <stdio.h>

int main(void)
{
	printf("stress-fuzz: not written yet\n");
	return 4;
}
