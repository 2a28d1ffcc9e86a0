/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * dynset.h - the maps of dynamic sets ("dynset" elements, "dynset_meta" ids; tcfw_abi.h) from
 * user space: fwd (policy installs, fwctl set add/del/flush, expiry), fwctl (set list, through
 * read-only fds) and the datapath tests. Which policy set has which id is fwd's business
 * (fwd/dynset_sync.c):
 *
 * Ids: a dynamic set of a policy being installed keeps the id "dynset_meta" already gives its
 * name (so its elements survive the reload, and a restart of fwd, as the maps are pinned); a
 * new one takes a free id, whose elements are cleared first. After the switch, ids the new
 * policy no longer names are cleared and freed, and members written in the old policy but not
 * in the new one are removed (elements added at run time stay).
 */
#ifndef TCFW_LIB_DYNSET_H
#define TCFW_LIB_DYNSET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tcfw_abi.h"

struct bpf_object;

struct dynset_maps {
	int elems; /* "dynset" */
	int meta;  /* "dynset_meta" */
};

/* The two maps of a loaded BPF object (the tests). 0 or -ENOENT. */
int dynset_maps_from_object(const struct bpf_object *obj, struct dynset_maps *m);

/* Entry id of "dynset_meta". 0 or -errno. */
int dynset_meta_read(int meta_fd, uint32_t id, struct tcfw_dynset_meta *out);
/* The id of dynamic set `name` in "dynset_meta" (in use), or -1. *meta filled when found. */
int dynset_find(int meta_fd, const char *name, struct tcfw_dynset_meta *meta);

/* Put one element (addr: 16 bytes, plen: 16-byte terms). 0 or -errno (-E2BIG: table full). */
int dynset_put(int elems_fd, uint32_t set, const __u32 addr[4], uint8_t plen, uint64_t expires_ns,
               uint32_t flags);
/* Remove one element written exactly so. 0, -ENOENT, or -errno. */
int dynset_remove(int elems_fd, uint32_t set, const __u32 addr[4], uint8_t plen);

/* Each element of set `set` (-1: of every set), in the trie's order. cb returns non-zero to
 * stop (that value is returned). 0, or -errno when the map cannot be read. */
typedef int (*dynset_walk_cb)(const struct tcfw_dynset_key *k, const struct tcfw_dynset_elem *e,
                              void *ctx);
int dynset_walk(int elems_fd, int set, dynset_walk_cb cb, void *ctx);

/* Remove every element of set `set` (-1: every set): how many, or -errno. */
long dynset_flush(int elems_fd, int set);
/* Remove the elements of set `set` (-1: every set) for which match() says true: how many, or
 * -errno. */
typedef bool (*dynset_match_fn)(const struct tcfw_dynset_key *k, const struct tcfw_dynset_elem *e,
                                void *ctx);
long dynset_delete_where(int elems_fd, int set, dynset_match_fn match, void *ctx);
/* Remove every element whose time is up at now_ns (CLOCK_MONOTONIC): how many, or -errno. */
long dynset_expire(int elems_fd, uint64_t now_ns);

/* Where an incremental expiry walk stands (zeroed: at the start). */
struct dynset_cursor {
	struct tcfw_dynset_key key; /* the last element looked at that stays */
	bool valid;                 /* false: start from the first element */
	uint64_t rounds;            /* walks that reached the end */
};
/* dynset_expire() in steps that look at most `budget` elements each, from where the last step
 * stopped, so that a million elements never hold fwd's loop for seconds: how many it removed,
 * or -errno. */
long dynset_expire_step(int elems_fd, uint64_t now_ns, struct dynset_cursor *cur, size_t budget);

#endif /* TCFW_LIB_DYNSET_H */
