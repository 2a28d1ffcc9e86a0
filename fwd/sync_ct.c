// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * sync_ct.c - connection table entries <-> replication records (see sync_ct.h). Written
 * against the table as one map "ct" keyed by the normalized tuple (tcfw_ct_key()): a
 * connection's main entry, and with NAT a reference entry under its reply tuple's key
 * (bpf/lib/ct_table.h), through lib/ctmap where it offers the operation.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <errno.h>
#include <string.h>

#include <bpf/bpf.h>

#include "sync_ct.h"

#define NSEC_PER_SEC 1000000000ull

void sync_ct_tuple_to_wire(const struct tcfw_tuple *t, struct sync_tuple *w)
{
	memset(w, 0, sizeof(*w));
	memcpy(w->src, t->src, 16);
	memcpy(w->dst, t->dst, 16);
	w->sport = ntohs(t->sport);
	w->dport = ntohs(t->dport);
	w->proto = t->proto;
	w->family = t->family;
}

void sync_ct_tuple_from_wire(const struct sync_tuple *w, struct tcfw_tuple *t)
{
	memset(t, 0, sizeof(*t));
	memcpy(t->src, w->src, 16);
	memcpy(t->dst, w->dst, 16);
	t->sport = htons(w->sport);
	t->dport = htons(w->dport);
	t->proto = w->proto;
	t->family = w->family;
}

static uint8_t zone_of(const struct sync_zone_map *zm, uint32_t ifindex)
{
	if (!ifindex || !zm)
		return SYNC_ZONE_NONE;
	for (size_t i = 0; i < zm->n; i++)
		if (zm->v[i].ifindex == ifindex)
			return zm->v[i].zone < TCFW_MAX_ZONES ? zm->v[i].zone : SYNC_ZONE_NONE;
	return SYNC_ZONE_NONE;
}

static uint32_t ifindex_of(const struct sync_zone_map *zm, uint8_t zone)
{
	if (zone == SYNC_ZONE_NONE || !zm)
		return 0;
	for (size_t i = 0; i < zm->n; i++)
		if (zm->v[i].zone == zone)
			return zm->v[i].ifindex;
	return 0;
}

void sync_ct_to_rec(const struct tcfw_tuple *orig, const struct tcfw_ct_entry *e,
                    const struct sync_zone_map *zm, const __u32 timeouts[TCFW_CT_STATE_MAX],
                    uint64_t now_ns, struct sync_rec *r, struct sync_ct_meta *m)
{
	uint64_t left = ctmap_timeout_left(e, timeouts, now_ns);

	memset(r, 0, sizeof(*r));
	r->kind = SYNC_REC_UPDATE;
	r->state = e->state;
	r->flags = e->flags;
	r->nat_kind = e->nat_kind;
	r->chain = e->chain;
	r->zone_in = zone_of(zm, e->ifindex_in);
	r->zone_out = zone_of(zm, e->ifindex_out);
	r->rule_id = e->rule_id;
	r->timeout_left = left > UINT32_MAX ? UINT32_MAX : (uint32_t)left;
	sync_ct_tuple_to_wire(orig, &r->orig);
	sync_ct_tuple_to_wire(&e->reply, &r->reply);
	{
		__u32 addr[4];
		__u16 port;

		/* The binding is in the reply tuple; the record names it too, for the peer's
		 * checks and the hash. */
		tcfw_ct_nat(e, addr, &port);
		memcpy(r->nat_addr, addr, 16);
		r->nat_port = ntohs(port);
	}
	if (m) {
		m->ready = (e->flags & TCFW_CTF_ASSURED) ||
		           ctmap_age_ns(e, now_ns) >= SYNC_CT_NEW_DELAY_NS;
		m->expires_ns = now_ns + left * NSEC_PER_SEC;
	}
}

void sync_ct_from_rec(const struct sync_rec *r, const struct tcfw_ct_entry *old,
                      const struct sync_zone_map *zm, const __u32 timeouts[TCFW_CT_STATE_MAX],
                      uint64_t now_ns, struct tcfw_tuple *orig, struct tcfw_ct_entry *e)
{
	uint64_t timeout = r->state < TCFW_CT_STATE_MAX ? timeouts[r->state] : 0;
	uint64_t idle_s = timeout > r->timeout_left ? timeout - r->timeout_left : 0;
	uint64_t idle_ns = idle_s * NSEC_PER_SEC;

	memset(e, 0, sizeof(*e));
	sync_ct_tuple_from_wire(&r->orig, orig);
	sync_ct_tuple_from_wire(&r->reply, &e->reply);
	if (old && !memcmp(&old->reply, &e->reply, sizeof(e->reply))) {
		/* The same connection: its counters and age stay. Not its TCP windows nor its
		 * next hops: whatever this node learnt of them is older than the peer's news. */
		memcpy(e->ctr, old->ctr, sizeof(e->ctr));
		e->created_tick = old->created_tick;
	} else {
		e->created_tick = tcfw_ct_tick(now_ns);
	}
	if (r->orig.proto == IPPROTO_TCP) {
		/* Windows unknown (picked up from each direction's next segment) and liberal, as
		 * netfilter treats a connection picked up mid-stream: after a failover the first
		 * segments seen may be retransmissions of old data, and the ACKs for data this
		 * node never saw; only RSTs are held to the window. */
		e->tcp_wflags[TCFW_DIR_ORIG] = TCFW_TCPW_LIBERAL;
		e->tcp_wflags[TCFW_DIR_REPLY] = TCFW_TCPW_LIBERAL;
	}
	e->state = r->state;
	e->chain = r->chain;
	e->flags = r->flags;
	e->nat_kind = r->nat_kind;
	e->ifindex_in = ifindex_of(zm, r->zone_in);
	e->ifindex_out = ifindex_of(zm, r->zone_out);
	e->rule_id = r->rule_id;
	/* Expires after timeout_left on this clock, as on the sender's (idle to the nearest tick).
	 */
	{
		__u32 now = tcfw_ct_tick(now_ns),
		      idle = tcfw_ct_tick(idle_ns + tcfw_ct_tick_ns(1) / 2);

		e->last_seen_tick = idle < now ? now - idle : 0;
	}
	if (e->created_tick > e->last_seen_tick)
		e->created_tick = e->last_seen_tick;
	/* A main entry under the key of its orig tuple; the binding is the reply tuple's. */
	{
		struct tcfw_tuple k;

		e->kind = TCFW_CTK_MAIN;
		e->orig_swapped = (__u8)tcfw_ct_key(&k, orig);
	}
}

/* FNV-1a, 64 bits. */
static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++) {
		h ^= b[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

uint64_t sync_ct_rec_hash(const struct sync_rec *r)
{
	uint64_t h = 0xcbf29ce484222325ull;
	uint8_t b[5] = {r->state, r->flags, r->nat_kind, r->chain, r->kind};

	h = fnv(h, b, sizeof(b));
	h = fnv(h, &r->rule_id, sizeof(r->rule_id));
	h = fnv(h, &r->reply, sizeof(r->reply));
	h = fnv(h, r->nat_addr, sizeof(r->nat_addr));
	h = fnv(h, &r->nat_port, sizeof(r->nat_port));
	return h;
}

struct walk_ctx {
	const struct sync_zone_map *zm;
	const __u32 *timeouts;
	uint64_t now_ns;
	sync_ct_walk_cb cb;
	void *ctx;
};

static int walk_one(const struct tcfw_tuple *orig, const struct tcfw_ct_entry *e, void *ctx)
{
	struct walk_ctx *w = ctx;
	struct sync_ct_meta m;
	struct sync_rec r;

	if (e->state == TCFW_CT_NONE || e->state >= TCFW_CT_STATE_MAX)
		return 0; /* being created: the next scan sees it */
	sync_ct_to_rec(orig, e, w->zm, w->timeouts, w->now_ns, &r, &m);
	return w->cb(&r, &m, w->ctx);
}

int sync_ct_walk(const struct ctmap *map, const struct sync_zone_map *zm,
                 const __u32 timeouts[TCFW_CT_STATE_MAX], sync_ct_walk_cb cb, void *ctx)
{
	struct walk_ctx w = {
	    .zm = zm, .timeouts = timeouts, .now_ns = ctmap_now_ns(), .cb = cb, .ctx = ctx};

	return ctmap_walk(map, 0, walk_one, &w);
}

/* The connection whose orig tuple is t (not one it is the reply of): 0 or -errno. */
static int lookup_orig(const struct ctmap *map, const struct tcfw_tuple *t, struct tcfw_ct_entry *e)
{
	struct tcfw_tuple o;
	int err = ctmap_lookup(map, t, &o, e);

	if (err)
		return err;
	return memcmp(&o, t, sizeof(o)) ? -ENOENT : 0;
}

int sync_ct_lookup(const struct ctmap *map, const struct sync_zone_map *zm,
                   const __u32 timeouts[TCFW_CT_STATE_MAX], const struct sync_tuple *orig,
                   struct sync_rec *r, struct sync_ct_meta *m)
{
	struct tcfw_ct_entry e;
	struct tcfw_tuple t;
	int err;

	sync_ct_tuple_from_wire(orig, &t);
	err = lookup_orig(map, &t, &e);
	if (err)
		return err;
	if (e.state == TCFW_CT_NONE || e.state >= TCFW_CT_STATE_MAX)
		return -ENOENT;
	sync_ct_to_rec(&t, &e, zm, timeouts, ctmap_now_ns(), r, m);
	return 0;
}

bool sync_ct_exists(const struct ctmap *map, const struct sync_tuple *orig)
{
	struct tcfw_ct_entry e;
	struct tcfw_tuple t;

	sync_ct_tuple_from_wire(orig, &t);
	return lookup_orig(map, &t, &e) == 0;
}

/* Delete the reference entry under reply tuple rt's key if it still names main key k. */
static void forget_ref(const struct ctmap *map, const struct tcfw_tuple *rt,
                       const struct tcfw_tuple *k)
{
	struct tcfw_ct_entry ref;
	struct tcfw_tuple rk;

	tcfw_ct_key(&rk, rt);
	if (!memcmp(&rk, k, sizeof(rk)))
		return;
	if (bpf_map_lookup_elem(map->ct_fd, &rk, &ref) == 0 && ref.kind == TCFW_CTK_REF &&
	    !memcmp(&ref.main_key, k, sizeof(*k)))
		bpf_map_delete_elem(map->ct_fd, &rk);
}

int sync_ct_apply(const struct ctmap *map, int alias_fd, const struct sync_zone_map *zm,
                  const __u32 timeouts[TCFW_CT_STATE_MAX], const struct sync_rec *r)
{
	struct tcfw_ct_entry old, e;
	struct tcfw_tuple orig, k, rk;
	bool have_old;

	sync_ct_tuple_from_wire(&r->orig, &orig);
	have_old = lookup_orig(map, &orig, &old) == 0;
	if (r->kind == SYNC_REC_DESTROY) {
		int err;

		if (!have_old)
			return 0;
		err = ctmap_delete(map, &orig, &old);
		return err == -ENOENT ? 0 : err;
	}
	sync_ct_from_rec(r, have_old ? &old : NULL, zm, timeouts, ctmap_now_ns(), &orig, &e);
	tcfw_ct_key(&k, &orig);
	/* The reference entry first when the connection is translated: it is the NAT binding,
	 * and a reply packet reaches the main entry through it. A binding taken by another
	 * connection here is refused rather than stolen. */
	tcfw_ct_key(&rk, &e.reply);
	if (memcmp(&rk, &k, sizeof(rk))) {
		struct tcfw_ct_entry ref, cur;

		if (bpf_map_lookup_elem(map->ct_fd, &rk, &cur) == 0 &&
		    (cur.kind != TCFW_CTK_REF || memcmp(&cur.main_key, &k, sizeof(k))))
			return -EEXIST;
		memset(&ref, 0, sizeof(ref));
		ref.kind = TCFW_CTK_REF;
		ref.main_key = k;
		if (bpf_map_update_elem(map->ct_fd, &rk, &ref, BPF_ANY))
			return -errno;
	}
	if (bpf_map_update_elem(map->ct_fd, &k, &e, BPF_ANY))
		return -errno;
	/* A port forward that is also masqueraded (hairpin): its packets cross the gateway half
	 * translated, and the datapath finds them through "nat_alias". A stale alias left by an
	 * older connection is harmless: the datapath checks it against the connection it names. */
	if ((e.nat_kind & (TCFW_NAT_SNAT | TCFW_NAT_DNAT)) == (TCFW_NAT_SNAT | TCFW_NAT_DNAT) &&
	    alias_fd >= 0) {
		struct tcfw_tuple mid;

		tcfw_ct_nat_middle(&mid, &orig, &e.reply);
		if (bpf_map_update_elem(alias_fd, &mid, &orig, BPF_ANY))
			return -errno;
	}
	/* The binding changed: the old reference goes, if it still leads here. */
	if (have_old && memcmp(&old.reply, &e.reply, sizeof(e.reply)))
		forget_ref(map, &old.reply, &k);
	return 0;
}
