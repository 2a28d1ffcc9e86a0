// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * percpu.c - per-CPU array slots from user space (see percpu.h).
 */
#include <errno.h>
#include <stdlib.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "percpu.h"

/* A buffer for one slot's value on every possible CPU (the size lookups of per-CPU maps
 * write), or NULL. */
static __u64 *percpu_buf(int *ncpus)
{
	*ncpus = libbpf_num_possible_cpus();
	return *ncpus > 0 ? calloc((size_t)*ncpus, sizeof(__u64)) : NULL;
}

int percpu_sum(int map_fd, __u32 key, __u64 *sum)
{
	int ncpus, err = 0;
	__u64 *v = percpu_buf(&ncpus);

	*sum = 0;
	if (!v)
		return -ENOMEM;
	if (bpf_map_lookup_elem(map_fd, &key, v))
		err = -errno;
	for (int i = 0; !err && i < ncpus; i++)
		*sum += v[i];
	free(v);
	return err;
}

#define PERCPU_BATCH 4096 /* slots a batch lookup reads at most */

int percpu_sum_range(int map_fd, __u32 first, __u32 n, __u64 *sums)
{
	int ncpus = libbpf_num_possible_cpus();
	__u32 batch = n < PERCPU_BATCH ? n : PERCPU_BATCH, done = 0;
	__u32 *keys;
	__u64 *vals;
	int err = 0;

	if (ncpus <= 0)
		return ncpus ? ncpus : -EINVAL;
	keys = calloc(batch ? batch : 1, sizeof(*keys));
	/* Per-CPU values come as ncpus consecutive 8-byte slots per key. */
	vals = calloc((size_t)(batch ? batch : 1) * (size_t)ncpus, sizeof(*vals));
	if (!keys || !vals)
		err = -ENOMEM;
	while (!err && done < n) {
		/* An array's batch starts at the key after in_batch (at 0 without one). */
		__u32 key = first + done, in = key - 1, out;
		__u32 count = n - done < batch ? n - done : batch;

		if (bpf_map_lookup_batch(map_fd, key ? &in : NULL, &out, keys, vals, &count,
		                         NULL) &&
		    errno != ENOENT) {
			err = -errno;
			break;
		}
		if (count == 0 || keys[0] != key) {
			err = -ENOENT; /* not the slots asked for: never use them */
			break;
		}
		for (__u32 i = 0; i < count && done + i < n; i++) {
			sums[done + i] = 0;
			for (int cpu = 0; cpu < ncpus; cpu++)
				sums[done + i] += vals[(size_t)i * (size_t)ncpus + (size_t)cpu];
		}
		done += count;
	}
	free(keys);
	free(vals);
	return err;
}

int percpu_add(int map_fd, __u32 key, __u64 n)
{
	int ncpus, err = 0;
	__u64 *v = percpu_buf(&ncpus);

	if (!v)
		return -ENOMEM;
	if (bpf_map_lookup_elem(map_fd, &key, v) == 0) {
		v[0] += n;
		if (bpf_map_update_elem(map_fd, &key, v, BPF_ANY))
			err = -errno;
	} else {
		err = -errno;
	}
	free(v);
	return err;
}

int percpu_set(int map_fd, __u32 key, __u64 n)
{
	int ncpus, err = 0;
	__u64 *v = percpu_buf(&ncpus);

	if (!v)
		return -ENOMEM;
	v[0] = n;
	if (bpf_map_update_elem(map_fd, &key, v, BPF_ANY))
		err = -errno;
	free(v);
	return err;
}
