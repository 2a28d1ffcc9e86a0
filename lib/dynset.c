// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * dynset.c - the maps of dynamic sets from user space (see dynset.h).
 *
 * The element trie is walked with BPF_MAP_GET_NEXT_KEY (LPM tries have no batch lookup), the
 * keys to remove collected first and deleted afterwards: deleting under the walk would restart
 * it. Deletions are one by one: LPM tries have no BPF_MAP_DELETE_BATCH either.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "dynset.h"

int dynset_maps_from_object(const struct bpf_object *obj, struct dynset_maps *m)
{
	const struct bpf_map *e = bpf_object__find_map_by_name(obj, TCFW_MAP_DYNSET);
	const struct bpf_map *meta = bpf_object__find_map_by_name(obj, TCFW_MAP_DYNSET_META);

	if (!e || !meta)
		return -ENOENT;
	m->elems = bpf_map__fd(e);
	m->meta = bpf_map__fd(meta);
	return 0;
}

static int meta_read(int fd, uint32_t id, struct tcfw_dynset_meta *out)
{
	memset(out, 0, sizeof(*out));
	return bpf_map_lookup_elem(fd, &id, out) ? -errno : 0;
}

int dynset_meta_read(int fd, uint32_t id, struct tcfw_dynset_meta *out)
{
	return meta_read(fd, id, out);
}

int dynset_find(int meta_fd, const char *name, struct tcfw_dynset_meta *meta)
{
	struct tcfw_dynset_meta m;

	for (uint32_t id = 0; id < TCFW_DYNSET_MAX; id++) {
		if (meta_read(meta_fd, id, &m))
			return -1;
		if ((m.flags & TCFW_DSM_IN_USE) && strncmp(m.name, name, sizeof(m.name)) == 0) {
			if (meta)
				*meta = m;
			return (int)id;
		}
	}
	return -1;
}

int dynset_put(int elems_fd, uint32_t set, const __u32 addr[4], uint8_t plen, uint64_t expires_ns,
               uint32_t flags)
{
	struct tcfw_dynset_key k = {.prefixlen = 32u + plen, .set = set};
	struct tcfw_dynset_elem e = {.expires_ns = expires_ns, .flags = flags, .plen = plen};

	memcpy(k.addr, addr, sizeof(k.addr));
	return bpf_map_update_elem(elems_fd, &k, &e, BPF_ANY) ? -errno : 0;
}

int dynset_remove(int elems_fd, uint32_t set, const __u32 addr[4], uint8_t plen)
{
	struct tcfw_dynset_key k = {.prefixlen = 32u + plen, .set = set};

	memcpy(k.addr, addr, sizeof(k.addr));
	return bpf_map_delete_elem(elems_fd, &k) ? -errno : 0;
}

int dynset_walk(int elems_fd, int set, dynset_walk_cb cb, void *ctx)
{
	struct tcfw_dynset_key k, next;
	struct tcfw_dynset_elem e;
	bool first = true;
	int ret;

	for (;;) {
		if (bpf_map_get_next_key(elems_fd, first ? NULL : &k, &next))
			return errno == ENOENT ? 0 : -errno;
		first = false;
		k = next;
		if (set >= 0 && k.set != (uint32_t)set)
			continue;
		if (bpf_map_lookup_elem(elems_fd, &k, &e))
			continue; /* deleted under us */
		ret = cb(&k, &e, ctx);
		if (ret)
			return ret;
	}
}

/* Keys collected by a walk, deleted afterwards. */
struct key_list {
	struct tcfw_dynset_key *v;
	size_t n, cap;
	int set;               /* -1: any */
	uint64_t now_ns;       /* expire: elements whose time is up; 0: every element */
	dynset_match_fn match; /* dynset_delete_where(): only these */
	void *match_ctx;
	bool oom;
};

static int key_list_add(struct key_list *l, const struct tcfw_dynset_key *k)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 1024;
		struct tcfw_dynset_key *v = realloc(l->v, cap * sizeof(*v));

		if (!v) {
			l->oom = true;
			return -ENOMEM;
		}
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = *k;
	return 0;
}

static int collect_cb(const struct tcfw_dynset_key *k, const struct tcfw_dynset_elem *e, void *ctx)
{
	struct key_list *l = ctx;

	if (l->now_ns && !(e->expires_ns && e->expires_ns <= l->now_ns))
		return 0;
	if (l->match && !l->match(k, e, l->match_ctx))
		return 0;
	return key_list_add(l, k);
}

static long delete_keys(int fd, struct key_list *l)
{
	long deleted = 0;

	for (size_t i = 0; i < l->n; i++)
		if (bpf_map_delete_elem(fd, &l->v[i]) == 0)
			deleted++;
	return deleted;
}

static long collect_and_delete(int fd, struct key_list *l)
{
	int ret = dynset_walk(fd, l->set, collect_cb, l);
	long deleted;

	if (ret || l->oom) {
		free(l->v);
		return l->oom ? -ENOMEM : ret;
	}
	deleted = delete_keys(fd, l);
	free(l->v);
	return deleted;
}

long dynset_flush(int elems_fd, int set)
{
	struct key_list l = {.set = set};

	return collect_and_delete(elems_fd, &l);
}

long dynset_expire(int elems_fd, uint64_t now_ns)
{
	struct key_list l = {.set = -1, .now_ns = now_ns ? now_ns : 1};

	return collect_and_delete(elems_fd, &l);
}

long dynset_delete_where(int elems_fd, int set, dynset_match_fn match, void *ctx)
{
	struct key_list l = {.set = set, .match = match, .match_ctx = ctx};

	return collect_and_delete(elems_fd, &l);
}

long dynset_expire_step(int elems_fd, uint64_t now_ns, struct dynset_cursor *cur, size_t budget)
{
	struct key_list l = {.set = -1};
	struct tcfw_dynset_key k, next, last_kept;
	struct tcfw_dynset_elem e;
	bool have_kept = false;
	long deleted;
	size_t seen = 0;

	k = cur->key;
	while (seen < budget) {
		if (bpf_map_get_next_key(elems_fd, cur->valid ? &k : NULL, &next)) {
			if (errno != ENOENT) {
				free(l.v);
				return -errno;
			}
			cur->valid = false; /* the end: the next step starts over */
			cur->rounds++;
			break;
		}
		k = next;
		cur->valid = true;
		seen++;
		if (bpf_map_lookup_elem(elems_fd, &k, &e))
			continue;
		if (e.expires_ns && e.expires_ns <= now_ns) {
			if (key_list_add(&l, &k)) {
				free(l.v);
				return -ENOMEM;
			}
		} else {
			last_kept = k;
			have_kept = true;
		}
	}
	/* Resume after the last element that stays: the walk goes on from a key that exists
	 * (from a deleted one the kernel would start over). */
	if (cur->valid) {
		cur->valid = have_kept;
		if (have_kept)
			cur->key = last_kept;
	}
	deleted = delete_keys(elems_fd, &l);
	free(l.v);
	return deleted;
}
