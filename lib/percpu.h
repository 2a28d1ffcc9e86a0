/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * percpu.h - one __u64 slot of a per-CPU array map, as user space sees it: the sum over every
 * possible CPU, and an addition to CPU 0's value (for slots that only user space writes).
 */
#ifndef TCFW_PERCPU_H
#define TCFW_PERCPU_H

#include <linux/types.h>

/* The sum of slot key over every CPU into *sum. 0 or -errno. */
int percpu_sum(int map_fd, __u32 key, __u64 *sum);

/* Add n to CPU 0's value of slot key, leaving the other CPUs' values as they are. Only for
 * slots no BPF program writes (a program's increment in between would be lost). 0 or -errno. */
int percpu_add(int map_fd, __u32 key, __u64 n);

#endif
