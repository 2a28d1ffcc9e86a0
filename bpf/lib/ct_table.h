/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * ct_table.h - the connection table "ct" itself: finding a connection from any of its tuples,
 * and forgetting one.
 *
 * Offers ct_entry_of() (a tuple in any of its forms -> the connection's main entry), ct_main_of()
 * (an orig tuple -> its main entry) and ct_forget(), on top of tuple_eq() / tuple_reverse().
 *
 * One map for both directions, keyed by tcfw_ct_key() (tcfw_abi.h): a tuple and its reverse
 * share one key, so a connection without NAT is found in either direction by one lookup. A NAT
 * connection's reply tuple has a key of its own, which holds a reference entry naming the main
 * key: a reply of a translated connection costs two lookups. Both are plain hash entries that
 * never evict (maps.h); only fwd and the datapath delete, both together (ct_forget()). A
 * reference found without its main entry may be a NAT binding reserved by a connection being
 * opened on another CPU right now (nat/new_conn.h inserts the reference before the main entry):
 * it is left alone and the lookup misses; ct_lookup() counts it
 * (TCFW_STAT_EVICTIONS_SUSPECTED).
 */
#ifndef TCFW_BPF_CT_TABLE_H
#define TCFW_BPF_CT_TABLE_H

#include "lib/kernel.h"
#include "lib/maps.h"

static __always_inline bool tuple_eq(const struct tcfw_tuple *a, const struct tcfw_tuple *b)
{
	const __u32 *x = (const void *)a, *y = (const void *)b;

	/* Word by word: tuples on the stack are only 4-byte aligned. */
#pragma unroll
	for (int i = 0; i < (int)(sizeof(*a) / 4); i++)
		if (x[i] != y[i])
			return false;
	return true;
}

/* a == b reversed (addresses and ports swapped), without building the reverse. */
static __always_inline bool tuple_eq_rev(const struct tcfw_tuple *a, const struct tcfw_tuple *b)
{
#pragma unroll
	for (int i = 0; i < 4; i++)
		if (a->src[i] != b->dst[i] || a->dst[i] != b->src[i])
			return false;
	return a->sport == b->dport && a->dport == b->sport && a->proto == b->proto &&
	       a->family == b->family;
}

/* The tuple of the other direction, assuming no NAT. ICMP ids swap with the ports, so an
 * echo request's reverse is the echo reply's tuple (see struct tcfw_tuple). */
static __always_inline void tuple_reverse(struct tcfw_tuple *r, const struct tcfw_tuple *t)
{
	__builtin_memcpy(r->src, t->dst, sizeof(r->src));
	__builtin_memcpy(r->dst, t->src, sizeof(r->dst));
	r->sport = t->dport;
	r->dport = t->sport;
	r->proto = t->proto;
	r->family = t->family;
	r->pad[0] = 0;
	r->pad[1] = 0;
}

/*
 * Which of a connection's tuples a tuple is. Without NAT the reply tuple is the orig tuple
 * reversed, so only the first two occur. With NAT a packet can also be met after its
 * translation (an ICMP error quoting it, or the egress program after the fast path): the
 * reverse of the other direction's tuple.
 */
enum ct_form {
	CT_FORM_NONE = -1,        /* not this connection's, or no connection */
	CT_FORM_ORIG = 0,         /* the orig tuple (TCFW_DIR_ORIG) */
	CT_FORM_REPLY = 1,        /* the reply tuple (TCFW_DIR_REPLY) */
	CT_FORM_ORIG_XLATED = 2,  /* orig direction after NAT: the reply tuple reversed */
	CT_FORM_REPLY_XLATED = 3, /* reply direction after NAT: the orig tuple reversed */
	CT_FORM_DANGLING = 4,     /* a reference entry without its main entry (see above) */
};

/* The direction of a packet of form f (enum ct_form, not NONE or DANGLING). */
#define CT_FORM_DIR(f) ((f)&1)

static __always_inline int ct_form_of(const struct tcfw_tuple *t, const struct tcfw_tuple *orig,
                                      const struct tcfw_ct_entry *e)
{
	if (tuple_eq(t, orig))
		return CT_FORM_ORIG;
	if (tuple_eq(t, &e->reply))
		return CT_FORM_REPLY;
	if (!e->nat_kind)
		return CT_FORM_NONE;
	if (tuple_eq_rev(t, &e->reply))
		return CT_FORM_ORIG_XLATED;
	if (tuple_eq_rev(t, orig))
		return CT_FORM_REPLY_XLATED;
	return CT_FORM_NONE;
}

/* Turn key k of a main entry into its orig tuple, in place (tcfw_ct_orig() on itself). */
static __always_inline void ct_key_to_orig(struct tcfw_tuple *k, __u8 orig_swapped)
{
	__u32 a;
	__u16 p;

	if (!orig_swapped)
		return;
#pragma unroll
	for (int i = 0; i < 4; i++) {
		a = k->src[i];
		k->src[i] = k->dst[i];
		k->dst[i] = a;
	}
	p = k->sport;
	k->sport = k->dport;
	k->dport = p;
}

/**
 * ct_entry_of() - the main entry of the connection t belongs to, in any form (enum ct_form,
 * into *form), and its orig tuple into *orig. One lookup when t's key holds the main entry,
 * two when it holds a reference. NULL when there is none (*form says CT_FORM_DANGLING when a
 * reference led nowhere). *orig is also the key being looked up: no tuple on the stack.
 *
 * The entry is a map value that fwd may delete at any time: read what is needed right away.
 */
static __always_inline struct tcfw_ct_entry *ct_entry_of(const struct tcfw_tuple *t,
                                                         struct tcfw_tuple *orig, int *form)
{
	struct tcfw_ct_entry *e;

	*form = CT_FORM_NONE;
	tcfw_ct_key(orig, t);
	e = bpf_map_lookup_elem(&ct, orig);
	if (!e)
		return NULL;
	if (e->kind == TCFW_CTK_REF) {
		/* Copy: fwd may delete the reference while we use it. */
		__builtin_memcpy(orig, &e->main_key, sizeof(*orig));
		e = bpf_map_lookup_elem(&ct, orig);
		if (!e || e->kind != TCFW_CTK_MAIN) {
			*form = CT_FORM_DANGLING;
			return NULL;
		}
	}
	ct_key_to_orig(orig, e->orig_swapped);
	*form = ct_form_of(t, orig, e);
	return *form == CT_FORM_NONE ? NULL : e;
}

/* The main entry of the connection with orig tuple orig; NULL when there is none. */
static __always_inline struct tcfw_ct_entry *ct_main_of(const struct tcfw_tuple *orig)
{
	struct ct_keys *ks = ct_keys_get();
	struct tcfw_ct_entry *e;
	int swapped;

	if (!ks)
		return NULL;
	swapped = tcfw_ct_key(&ks->k[0], orig);
	e = bpf_map_lookup_elem(&ct, &ks->k[0]);
	if (!e || e->kind != TCFW_CTK_MAIN)
		return NULL;
	/* The same key with the other orientation is another connection (its reply). */
	if (e->orig_swapped != swapped && !tuple_eq_rev(orig, orig))
		return NULL;
	return e;
}

/**
 * ct_forget() - forget the connection with orig tuple orig: its main entry, and the
 * reference entry of its reply tuple when it has one that still names it.
 *
 * A global BPF function: a rare path, whose two keys stay out of the program's frame.
 */
__noinline int ct_forget(const struct tcfw_tuple *orig)
{
	struct ct_keys *ks = ct_keys_get();
	struct tcfw_ct_entry *e, *ref;
	__u8 nat;

	if (!orig || !ks)
		return -1; /* calms the verifier: global function arguments may be NULL */
	e = ct_main_of(orig);
	if (!e)
		return -1;
	nat = e->nat_kind;
	/* k[0] holds orig's key (ct_main_of()); the reply's key before the entry goes. */
	tcfw_ct_key(&ks->k[1], &e->reply);
	bpf_map_delete_elem(&ct, &ks->k[0]);
	if (!nat || tuple_eq(&ks->k[0], &ks->k[1]))
		return 0;
	ref = bpf_map_lookup_elem(&ct, &ks->k[1]);
	if (ref && ref->kind == TCFW_CTK_REF && tuple_eq(&ref->main_key, &ks->k[0]))
		bpf_map_delete_elem(&ct, &ks->k[1]);
	return 0;
}

#endif /* TCFW_BPF_CT_TABLE_H */
