// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * maputil.c - bulk map writes (see maputil.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>

#include "maputil.h"

/* Large blocks go in pieces so the key array stays small. */
#define MAP_CHUNK 65536u

int map_write_range(int fd, uint32_t first, const void *values, size_t value_size, size_t n)
{
	uint32_t *keys = malloc(sizeof(*keys) * ((n < MAP_CHUNK ? n : MAP_CHUNK) + 1));
	const char *v = values;
	int err = 0;

	if (!keys)
		return -ENOMEM;
	for (size_t done = 0; done < n && !err;) {
		__u32 count = (__u32)(n - done < MAP_CHUNK ? n - done : MAP_CHUNK);

		for (__u32 i = 0; i < count; i++)
			keys[i] = first + (uint32_t)(done + i);
		if (bpf_map_update_batch(fd, keys, v + done * value_size, &count, NULL)) {
			err = -errno;
			if (err != -EINVAL && err != -EOPNOTSUPP && err != -ENOTSUP)
				break;
			/* No batch support for this map type: element by element. */
			err = 0;
			count = (__u32)(n - done < MAP_CHUNK ? n - done : MAP_CHUNK);
			for (__u32 i = 0; i < count && !err; i++)
				if (bpf_map_update_elem(fd, &keys[i], v + (done + i) * value_size,
				                        BPF_ANY))
					err = -errno;
		}
		done += count;
	}
	free(keys);
	return err;
}

int map_zero_range(int fd, uint32_t first, size_t value_size, size_t n)
{
	size_t chunk = n < MAP_CHUNK ? n : MAP_CHUNK;
	void *zeros = calloc(chunk ? chunk : 1, value_size);
	int err = 0;

	if (!zeros)
		return -ENOMEM;
	for (size_t done = 0; done < n && !err; done += chunk) {
		size_t count = n - done < chunk ? n - done : chunk;

		err = map_write_range(fd, first + (uint32_t)done, zeros, value_size, count);
	}
	free(zeros);
	return err;
}

int map_delete_where(int fd, size_t key_size, bool (*match)(const void *key, void *ctx), void *ctx)
{
	char *keys = NULL, *cur = malloc(key_size), *next = malloc(key_size);
	size_t n = 0, cap = 0;
	bool first = true;
	int err = 0;

	if (!cur || !next) {
		err = -ENOMEM;
		goto out;
	}
	/* Collect first: deleting while iterating with get_next_key can restart the walk. */
	while (bpf_map_get_next_key(fd, first ? NULL : cur, next) == 0) {
		first = false;
		memcpy(cur, next, key_size);
		if (!match(cur, ctx))
			continue;
		if (n == cap) {
			void *k = realloc(keys, (cap = cap ? cap * 2 : 256) * key_size);

			if (!k) {
				err = -ENOMEM;
				goto out;
			}
			keys = k;
		}
		memcpy(keys + n * key_size, cur, key_size);
		n++;
	}
	for (size_t i = 0; i < n; i++)
		if (bpf_map_delete_elem(fd, keys + i * key_size) && errno != ENOENT) {
			err = -errno;
			break;
		}
out:
	free(keys);
	free(cur);
	free(next);
	return err;
}
