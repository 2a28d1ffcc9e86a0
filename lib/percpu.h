/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * percpu.h - __u64 slots of a per-CPU array map, as user space sees them: the sum over every
 * possible CPU (of one slot or of a range), and an addition to CPU 0's value (for slots that
 * only user space writes). The one place that sums per-CPU values.
 */
#ifndef TCFW_PERCPU_H
#define TCFW_PERCPU_H

#include <linux/types.h>

/* The sum of slot key over every CPU into *sum. 0 or -errno. */
int percpu_sum(int map_fd, __u32 key, __u64 *sum);

/* The sums of slots first .. first + n - 1 over every CPU into sums[0 .. n - 1], read with
 * bpf_map_lookup_batch a few thousand slots at a time (one lookup per slot costs a system call
 * each: a third of a policy-show of 48,000 rules). 0 or -errno; -ENOENT when the map holds
 * fewer slots than asked for. */
int percpu_sum_range(int map_fd, __u32 first, __u32 n, __u64 *sums);

/* Add n to CPU 0's value of slot key, leaving the other CPUs' values as they are. Only for
 * slots no BPF program writes (a program's increment in between would be lost). 0 or -errno. */
int percpu_add(int map_fd, __u32 key, __u64 n);

/* Set slot key to n: n on CPU 0, zero on every other CPU. A BPF program's increment on
 * another CPU at the same moment is lost: for slots being reset or not in use yet. 0 or
 * -errno. */
int percpu_set(int map_fd, __u32 key, __u64 n);

#endif
