// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * class_store.c - deduplicated class bitmaps. Most values of most fields share a handful of
 * bitmaps (every port no rule names has the same one), so each bitmap is hashed and stored
 * once: a 10,000-rule policy compiles into thousands of classes, not millions.
 */
#include <stdlib.h>
#include <string.h>

#include "compile_internal.h"

void cs_init(struct class_store *cs, size_t limit)
{
	memset(cs, 0, sizeof(*cs));
	cs->limit = limit;
}

void cs_fini(struct class_store *cs)
{
	free(cs->pool);
	free(cs->off);
	free(cs->len);
	free(cs->table);
	memset(cs, 0, sizeof(*cs));
}

/* 64-bit mix of the words (splitmix-style finaliser per word). */
static uint64_t hash_words(const uint64_t *w, size_t n)
{
	uint64_t h = 0x9e3779b97f4a7c15ull ^ n;

	for (size_t i = 0; i < n; i++) {
		uint64_t x = w[i] + 0x9e3779b97f4a7c15ull * (i + 1);

		x ^= x >> 30;
		x *= 0xbf58476d1ce4e5b9ull;
		x ^= x >> 27;
		x *= 0x94d049bb133111ebull;
		x ^= x >> 31;
		h = (h ^ x) * 0x100000001b3ull;
	}
	return h ^ (h >> 29);
}

static bool same(const struct class_store *cs, uint32_t id, const uint64_t *w, size_t n)
{
	/* The empty class has no words in the pool (which may still be NULL). */
	return cs->len[id] == n &&
	       (n == 0 || memcmp(cs->pool + cs->off[id], w, n * sizeof(*w)) == 0);
}

static int table_grow(struct class_store *cs)
{
	size_t cap = cs->table_cap ? cs->table_cap * 2 : 1024;
	uint32_t *t = calloc(cap, sizeof(*t));

	if (!t)
		return -1;
	for (uint32_t id = 0; id < cs->n; id++) {
		size_t i = hash_words(cs->pool + cs->off[id], cs->len[id]) & (cap - 1);

		while (t[i])
			i = (i + 1) & (cap - 1);
		t[i] = id + 1;
	}
	free(cs->table);
	cs->table = t;
	cs->table_cap = cap;
	return 0;
}

static int append(struct class_store *cs, const uint64_t *w, size_t n)
{
	if (cs->n == cs->cap) {
		size_t cap = cs->cap ? cs->cap * 2 : 256;
		size_t *off = realloc(cs->off, cap * sizeof(*off));
		uint32_t *len;

		if (!off)
			return -1;
		cs->off = off;
		len = realloc(cs->len, cap * sizeof(*len));
		if (!len)
			return -1;
		cs->len = len;
		cs->cap = cap;
	}
	if (cs->pool_len + n > cs->pool_cap) {
		size_t cap = cs->pool_cap ? cs->pool_cap * 2 : 4096;
		uint64_t *pool;

		while (cap < cs->pool_len + n)
			cap *= 2;
		pool = realloc(cs->pool, cap * sizeof(*pool));
		if (!pool)
			return -1;
		cs->pool = pool;
		cs->pool_cap = cap;
	}
	if (n)
		memcpy(cs->pool + cs->pool_len, w, n * sizeof(*w));
	cs->off[cs->n] = cs->pool_len;
	cs->len[cs->n] = (uint32_t)n;
	cs->pool_len += n;
	cs->n++;
	return 0;
}

int64_t cs_intern(struct class_store *cs, const uint64_t *w, size_t nwords)
{
	size_t i;

	while (nwords && !w[nwords - 1])
		nwords--;
	/* Keep the table at most half full so probes stay short. */
	if ((cs->n + 1) * 2 > cs->table_cap && table_grow(cs) < 0)
		goto oom;
	i = hash_words(w, nwords) & (cs->table_cap - 1);
	for (; cs->table[i]; i = (i + 1) & (cs->table_cap - 1))
		if (same(cs, cs->table[i] - 1, w, nwords))
			return cs->table[i] - 1;
	if (cs->n >= cs->limit) {
		cs->full = true;
		return -1;
	}
	if (append(cs, w, nwords) < 0)
		goto oom;
	cs->table[i] = (uint32_t)cs->n;
	return (int64_t)cs->n - 1;
oom:
	cs->oom = true;
	return -1;
}
