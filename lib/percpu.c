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
