// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * dynset_sync.c - the dynamic sets of the policy being installed, matched to the ids of map
 * "dynset_meta" (see dynset_sync.h and lib/dynset.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>

#include "dynset.h"
#include "policy.h"

#include "dynset_sync.h"

int dynset_assign(const struct dynset_maps *m, struct policy *p, char *err, size_t errlen)
{
	size_t n = policy_dynset_count(p);
	bool taken[TCFW_DYNSET_MAX] = {0};
	struct tcfw_dynset_meta meta[TCFW_DYNSET_MAX];
	int ret;

	for (uint32_t id = 0; id < TCFW_DYNSET_MAX; id++) {
		ret = dynset_meta_read(m->meta, id, &meta[id]);
		if (ret) {
			snprintf(err, errlen, "cannot read map %s: %s", TCFW_MAP_DYNSET_META,
			         strerror(-ret));
			return ret;
		}
	}
	/* Kept names first, so that a new set never takes the id of one that stays. */
	for (size_t i = 0; i < n; i++) {
		policy_dynset_set_id(p, i, -1);
		for (uint32_t id = 0; id < TCFW_DYNSET_MAX; id++) {
			if ((meta[id].flags & TCFW_DSM_IN_USE) &&
			    strncmp(meta[id].name, policy_dynset_name(p, i),
			            sizeof(meta[id].name)) == 0) {
				policy_dynset_set_id(p, i, (int)id);
				taken[id] = true;
				break;
			}
		}
	}
	/* New sets: ids no set uses, in the old policy (it still runs) or the new one. */
	for (size_t i = 0; i < n; i++) {
		uint32_t id = 0;

		if (policy_dynset_id(p, i) >= 0)
			continue;
		while (id < TCFW_DYNSET_MAX && (taken[id] || (meta[id].flags & TCFW_DSM_IN_USE)))
			id++;
		if (id == TCFW_DYNSET_MAX) {
			snprintf(
			    err, errlen,
			    "no free dynamic set id for set '%s': the running policy and this one "
			    "together have more than %d dynamic sets (load a policy without some "
			    "first)",
			    policy_dynset_name(p, i), TCFW_DYNSET_MAX);
			return -ENOSPC;
		}
		taken[id] = true;
		policy_dynset_set_id(p, i, (int)id);
	}
	return 0;
}

int dynset_install(const struct dynset_maps *m, const struct policy *p, char *err, size_t errlen)
{
	for (size_t i = 0; i < policy_dynset_count(p); i++) {
		const char *name = policy_dynset_name(p, i);
		uint32_t id = (uint32_t)policy_dynset_id(p, i);
		struct tcfw_dynset_meta meta;
		int ret = dynset_meta_read(m->meta, id, &meta);
		bool fresh = !(meta.flags & TCFW_DSM_IN_USE) ||
		             strncmp(meta.name, name, sizeof(meta.name)) != 0;

		if (ret)
			goto fail_meta;
		if (fresh) {
			long n = dynset_flush(m->elems, (int)id);

			if (n < 0) {
				snprintf(err, errlen, "cannot clear dynamic set id %u (map %s): %s",
				         id, TCFW_MAP_DYNSET, strerror((int)-n));
				return (int)n;
			}
			memset(&meta, 0, sizeof(meta));
			snprintf(meta.name, sizeof(meta.name), "%s", name);
			meta.flags = TCFW_DSM_IN_USE;
		}
		meta.timeout_s = policy_dynset_timeout(p, i);
		if (bpf_map_update_elem(m->meta, &id, &meta, BPF_ANY)) {
			ret = -errno;
			goto fail_meta;
		}
		for (size_t j = 0; j < policy_dynset_nmembers(p, i); j++) {
			__u32 addr[4];
			__u8 plen = 0;

			policy_dynset_member(p, i, j, addr, &plen);
			ret = dynset_put(m->elems, id, addr, plen, 0, TCFW_DSE_POLICY);
			if (ret) {
				snprintf(err, errlen,
				         "cannot write the members of dynamic set '%s' into map "
				         "%s: %s%s",
				         name, TCFW_MAP_DYNSET, strerror(-ret),
				         ret == -E2BIG
				             ? " (the table of dynamic set elements is full)"
				             : "");
				return ret;
			}
		}
		continue;
	fail_meta:
		snprintf(err, errlen, "cannot write map %s: %s", TCFW_MAP_DYNSET_META,
		         strerror(-ret));
		return ret;
	}
	return 0;
}

/* A policy member (of any set) that p no longer writes. */
static bool stale_member(const struct tcfw_dynset_key *k, const struct tcfw_dynset_elem *e,
                         void *ctx)
{
	const struct policy *p = ctx;

	if (!(e->flags & TCFW_DSE_POLICY))
		return false;
	for (size_t i = 0; i < policy_dynset_count(p); i++)
		if (policy_dynset_id(p, i) == (int)k->set)
			return !policy_dynset_has_member(p, i, k->addr, (__u8)(k->prefixlen - 32));
	return true;
}

/* The members old wrote and p does not, in the sets both have: removed one by one. */
static int remove_dropped_members(const struct dynset_maps *m, const struct policy *old,
                                  const struct policy *p)
{
	int first_err = 0;

	for (size_t i = 0; i < policy_dynset_count(p); i++) {
		int o = policy_dynset_find(old, policy_dynset_name(p, i));

		for (size_t j = 0; o >= 0 && j < policy_dynset_nmembers(old, (size_t)o); j++) {
			__u32 addr[4];
			__u8 plen = 0;
			int err;

			policy_dynset_member(old, (size_t)o, j, addr, &plen);
			if (policy_dynset_has_member(p, i, addr, plen))
				continue;
			err = dynset_remove(m->elems, (uint32_t)policy_dynset_id(p, i), addr, plen);
			if (err && err != -ENOENT && !first_err)
				first_err = err;
		}
	}
	return first_err;
}

int dynset_retire(const struct dynset_maps *m, const struct policy *old, const struct policy *p)
{
	int first_err = 0;
	long n;

	for (uint32_t id = 0; id < TCFW_DYNSET_MAX; id++) {
		struct tcfw_dynset_meta meta;
		bool used = false;

		if (dynset_meta_read(m->meta, id, &meta) || !(meta.flags & TCFW_DSM_IN_USE))
			continue;
		for (size_t i = 0; i < policy_dynset_count(p) && !used; i++)
			used = policy_dynset_id(p, i) == (int)id;
		if (used)
			continue;
		n = dynset_flush(m->elems, (int)id);
		if (n < 0 && !first_err)
			first_err = (int)n;
		memset(&meta, 0, sizeof(meta));
		if (bpf_map_update_elem(m->meta, &id, &meta, BPF_ANY) && !first_err)
			first_err = -errno;
	}
	/* Members the previous policy wrote: known when fwd installed it, else (the first
	 * install of this fwd, over pinned sets) found by a walk. A rule edit changes no set. */
	if (old == p)
		return first_err;
	if (old) {
		n = remove_dropped_members(m, old, p);
	} else {
		n = dynset_delete_where(m->elems, -1, stale_member, (void *)p);
		n = n < 0 ? n : 0;
	}
	if (n < 0 && !first_err)
		first_err = (int)n;
	return first_err;
}
