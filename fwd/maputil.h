/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * maputil.h - bulk map writes for the policy install: batch syscalls where the map type has
 * them, one element at a time where it does not (LPM tries have no batch operations).
 */
#ifndef FWD_MAPUTIL_H
#define FWD_MAPUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Array map: values[i] (value_size bytes each) -> index first + i, for i < n. 0 or -errno. */
int map_write_range(int fd, uint32_t first, const void *values, size_t value_size, size_t n);
/* Array map: zero the n entries from index first (value_size: the whole value, per-CPU maps
 * included). 0 or -errno. */
int map_zero_range(int fd, uint32_t first, size_t value_size, size_t n);
/* Delete every key for which match(key, ctx) is true. 0 or -errno. */
int map_delete_where(int fd, size_t key_size, bool (*match)(const void *key, void *ctx), void *ctx);

#endif
