// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * dynset.c - the dynamic sets of a policy, for fwd (which gives them their ids in map "dynset"
 * and writes the members the policy lists) and for the tests.
 */
#include <stdlib.h>
#include <string.h>

#include "policy_internal.h"

/* The set of p that is dynamic set number i. */
static const struct pol_set *dynset_at(const struct policy *p, size_t i)
{
	for (size_t s = 0; s < p->nsets; s++)
		if (p->sets[s].dynamic && i-- == 0)
			return &p->sets[s];
	return NULL;
}

size_t policy_dynset_count(const struct policy *p)
{
	size_t n = 0;

	for (size_t s = 0; p && s < p->nsets; s++)
		n += p->sets[s].dynamic;
	return n;
}

const char *policy_dynset_name(const struct policy *p, size_t i)
{
	const struct pol_set *s = dynset_at(p, i);

	return s ? s->name : NULL;
}

__u32 policy_dynset_timeout(const struct policy *p, size_t i)
{
	const struct pol_set *s = dynset_at(p, i);

	return s ? s->timeout_s : 0;
}

int policy_dynset_id(const struct policy *p, size_t i)
{
	const struct pol_set *s = dynset_at(p, i);

	return s ? s->dyn_id : -1;
}

void policy_dynset_set_id(struct policy *p, size_t i, int id)
{
	struct pol_set *s = (struct pol_set *)dynset_at(p, i);

	if (s)
		s->dyn_id = id;
}

int policy_dynset_find(const struct policy *p, const char *name)
{
	int i = 0;

	for (size_t s = 0; p && s < p->nsets; s++) {
		if (!p->sets[s].dynamic)
			continue;
		if (strcmp(p->sets[s].name, name) == 0)
			return i;
		i++;
	}
	return -1;
}

size_t policy_dynset_nmembers(const struct policy *p, size_t i)
{
	const struct pol_set *s = dynset_at(p, i);

	return s ? s->n : 0;
}

void policy_dynset_member(const struct policy *p, size_t i, size_t j, __u32 addr[4], __u8 *plen)
{
	const struct pol_set *s = dynset_at(p, i);

	if (!s || j >= s->n)
		return;
	memcpy(addr, s->v[j].addr, sizeof(s->v[j].addr));
	*plen = s->v[j].plen;
}

static int prefix_bsearch_cmp(const void *key, const void *elem)
{
	return pol_prefix_cmp(key, elem);
}

bool policy_dynset_has_member(const struct policy *p, size_t i, const __u32 addr[4], __u8 plen)
{
	const struct pol_set *s = dynset_at(p, i);
	struct pol_prefix k = {.plen = plen};

	if (!s || !s->n)
		return false;
	memcpy(k.addr, addr, sizeof(k.addr));
	/* The parser keeps members sorted by pol_prefix_cmp, duplicates dropped. */
	return bsearch(&k, s->v, s->n, sizeof(s->v[0]), prefix_bsearch_cmp) != NULL;
}
