// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * policy_maps.c - a policy_image into the policy maps of its copy (see policy_maps.h).
 *
 * Arrays (pol_scalar, pol_rules, pol_limit, pol_hits) are written with batch syscalls, in
 * chunks so that the key array stays small; the hash (pol_class) and the LPM tries (pol_src,
 * pol_dst) one element at a time, since LPM tries have no batch operations.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "policy.h"
#include "policy_maps.h"

/* Large blocks go in pieces so the key array stays small. */
#define MAP_CHUNK 65536u

/* Array map: values[i] (value_size bytes each) -> index first + i, for i < n. 0 or -errno. */
static int map_write_range(int fd, __u32 first, const void *values, size_t value_size, size_t n)
{
	__u32 *keys = malloc(sizeof(*keys) * ((n < MAP_CHUNK ? n : MAP_CHUNK) + 1));
	const char *v = values;
	int err = 0;

	if (!keys)
		return -ENOMEM;
	for (size_t done = 0; done < n && !err;) {
		__u32 count = (__u32)(n - done < MAP_CHUNK ? n - done : MAP_CHUNK);

		for (__u32 i = 0; i < count; i++)
			keys[i] = first + (__u32)(done + i);
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

/* Array map: zero the n entries from index first (value_size: the whole value, per-CPU maps
 * included). 0 or -errno. */
static int map_zero_range(int fd, __u32 first, size_t value_size, size_t n)
{
	size_t chunk = n < MAP_CHUNK ? n : MAP_CHUNK;
	void *zeros = calloc(chunk ? chunk : 1, value_size);
	int err = 0;

	if (!zeros)
		return -ENOMEM;
	for (size_t done = 0; done < n && !err; done += chunk) {
		size_t count = n - done < chunk ? n - done : chunk;

		err = map_write_range(fd, first + (__u32)done, zeros, value_size, count);
	}
	free(zeros);
	return err;
}

/* Delete every key for which match(key, ctx) is true. 0 or -errno. */
static int map_delete_where(int fd, size_t key_size, bool (*match)(const void *key, void *ctx),
                            void *ctx)
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

static bool lpm_key_of_copy(const void *key, void *ctx)
{
	return ((const struct tcfw_lpm_key *)key)->copy == *(const __u8 *)ctx;
}

static bool class_key_of_copy(const void *key, void *ctx)
{
	return (*(const __u32 *)key >> 31) == *(const __u8 *)ctx;
}

static int update_elem(int fd, const void *key, const void *val)
{
	return bpf_map_update_elem(fd, key, val, BPF_ANY) ? -errno : 0;
}

#define CHECK(call, what)                                                                          \
	do {                                                                                       \
		int e_ = (call);                                                                   \
		if (e_) {                                                                          \
			snprintf(err, errlen, "cannot write the policy into %s: %s", what,         \
			         strerror(-e_));                                                   \
			return e_;                                                                 \
		}                                                                                  \
	} while (0)

int policy_maps_write(const struct policy_map_fds *fds, const struct policy_image *img, char *err,
                      size_t errlen)
{
	__u8 copy = img->copy;
	int ncpus = libbpf_num_possible_cpus();
	size_t hits_size;

	if (copy >= TCFW_POLICY_COPIES) {
		snprintf(err, errlen, "cannot write the policy: copy %u does not exist (0 or 1)",
		         copy);
		return -EINVAL;
	}
	if (ncpus <= 0) {
		snprintf(err, errlen, "cannot write the policy: cannot count the CPUs: %s",
		         strerror(ncpus ? -ncpus : EINVAL));
		return ncpus ? ncpus : -EINVAL;
	}
	hits_size = sizeof(__u64) * (size_t)ncpus;
	if (img->nscalar > (size_t)TCFW_CHAIN_MAX * TCFW_SCALAR_BLOCK) {
		snprintf(err, errlen,
		         "the compiled policy has %zu scalar slots, more than the %u "
		         "of one copy (policy library and tcfw_abi.h disagree)",
		         img->nscalar, (unsigned int)(TCFW_CHAIN_MAX * TCFW_SCALAR_BLOCK));
		return -EINVAL;
	}
	for (unsigned int c = 0; c < TCFW_CHAIN_MAX; c++)
		if (img->nrules[c] > TCFW_POLICY_MAX_RULES) {
			snprintf(
			    err, errlen,
			    "cannot write the policy: chain %u has %zu rules, more than the %u "
			    "the datapath holds",
			    c, img->nrules[c], TCFW_POLICY_MAX_RULES);
			return -E2BIG;
		}

	/* What an older policy left in this copy: stale prefixes would still match. */
	CHECK(map_delete_where(fds->pol_src, sizeof(struct tcfw_lpm_key), lpm_key_of_copy, &copy),
	      "map pol_src (clearing the standby copy)");
	CHECK(map_delete_where(fds->pol_dst, sizeof(struct tcfw_lpm_key), lpm_key_of_copy, &copy),
	      "map pol_dst (clearing the standby copy)");
	CHECK(map_delete_where(fds->pol_class, sizeof(__u32), class_key_of_copy, &copy),
	      "map pol_class (clearing the standby copy)");
	CHECK(map_delete_where(fds->pre_src, sizeof(struct tcfw_lpm_key), lpm_key_of_copy, &copy),
	      "map pre_src (clearing the standby copy)");

	CHECK(map_write_range(fds->pol_scalar, TCFW_SCALAR_INDEX(copy, 0, 0, 0), img->scalar,
	                      sizeof(__u32), img->nscalar),
	      "map pol_scalar");
	for (size_t i = 0; i < img->nclasses; i++)
		CHECK(update_elem(fds->pol_class, &img->classes[i].key, &img->classes[i].cls),
		      "map pol_class");
	for (size_t i = 0; i < img->nsrc; i++)
		CHECK(update_elem(fds->pol_src, &img->src[i].key, &img->src[i].class_id),
		      "map pol_src");
	for (size_t i = 0; i < img->ndst; i++)
		CHECK(update_elem(fds->pol_dst, &img->dst[i].key, &img->dst[i].class_id),
		      "map pol_dst");
	for (unsigned int c = 0; c < TCFW_CHAIN_MAX; c++) {
		__u32 first = TCFW_RULE_INDEX(copy, c, 0);

		CHECK(map_write_range(fds->pol_rules, first, img->rules[c],
		                      sizeof(struct tcfw_rule), img->nrules[c]),
		      "map pol_rules");
		/* New rules start with full token buckets and no hits. */
		CHECK(map_zero_range(fds->pol_limit, first, sizeof(struct tcfw_limit_state),
		                     img->nrules[c]),
		      "map pol_limit");
		CHECK(map_zero_range(fds->pol_hits, first, hits_size, img->nrules[c]),
		      "map pol_hits");
		CHECK(map_zero_range(fds->pol_bytes, first, hits_size, img->nrules[c]),
		      "map pol_bytes");
		/* And nothing refused by their limits yet. */
		if (fds->pol_limited > 0)
			CHECK(map_zero_range(fds->pol_limited, first, hits_size, img->nrules[c]),
			      "map pol_limited");
	}
	for (size_t i = 0; i < img->npre_src; i++)
		CHECK(update_elem(fds->pre_src, &img->pre_src[i].key, &img->pre_src[i].zones),
		      "map pre_src");
	__u32 meta_key = copy;

	CHECK(update_elem(fds->pre_meta, &meta_key, &img->pre_meta), "map pre_meta");
	CHECK(update_elem(fds->pol_meta, &meta_key, &img->meta), "map pol_meta");
	return 0;
}

int policy_map_fds_from_object(const struct bpf_object *obj, struct policy_map_fds *fds, char *err,
                               size_t errlen)
{
	const struct {
		int *fd;
		const char *name;
	} maps[] = {
	    {&fds->pol_meta, TCFW_MAP_POL_META},   {&fds->pol_scalar, TCFW_MAP_POL_SCALAR},
	    {&fds->pol_src, TCFW_MAP_POL_SRC},     {&fds->pol_dst, TCFW_MAP_POL_DST},
	    {&fds->pol_class, TCFW_MAP_POL_CLASS}, {&fds->pol_rules, TCFW_MAP_POL_RULES},
	    {&fds->pol_limit, TCFW_MAP_POL_LIMIT}, {&fds->pol_hits, TCFW_MAP_POL_HITS},
	    {&fds->pol_bytes, TCFW_MAP_POL_BYTES}, {&fds->pre_meta, TCFW_MAP_PRE_META},
	    {&fds->pre_src, TCFW_MAP_PRE_SRC},
	};
	const struct bpf_map *limited = bpf_object__find_map_by_name(obj, TCFW_MAP_POL_LIMITED);

	for (size_t i = 0; i < sizeof(maps) / sizeof(maps[0]); i++) {
		const struct bpf_map *map = bpf_object__find_map_by_name(obj, maps[i].name);
		int fd = map ? bpf_map__fd(map) : -1;

		if (fd < 0) {
			snprintf(err, errlen,
			         "the BPF object has no loaded map \"%s\" (built from a different "
			         "tcfw_abi.h, or not loaded yet?)",
			         maps[i].name);
			return -ENOENT;
		}
		*maps[i].fd = fd;
	}
	/* Layout version 5: optional, an object without it just has no counts to zero. */
	fds->pol_limited = limited ? bpf_map__fd(limited) : -1;
	return 0;
}
