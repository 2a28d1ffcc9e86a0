/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * nat/new_conn.h - the NAT of a new connection, decided once at ingress (see nat.h for the
 * order: dnat chain, routing and filter on the translated destination, snat chain), and the
 * connection stored with its translated reply tuple, made unique.
 *
 * Offers nat_plan() (the dnat chain, before routing) and nat_open() (the snat chain, the
 * unique reply tuple, the entry, the first packet's destination and the egress hint); below
 * them the choice of the translated address and port so that the reply tuple is unique:
 * nat_snat_addr(), nat_port_range() and nat_reserve_reply().
 *
 * How the reply tuple is made unique: a port is taken exactly when some connection's reply tuple
 * uses it, and a NAT connection's reply tuple has a reference entry in map "ct" under its key
 * (ct_table.h). So allocating is inserting: the reference goes in with BPF_NOEXIST, and -EEXIST
 * means "taken, try another port". The insert is atomic, so two CPUs can never both get one tuple,
 * and a binding is released with its connection by construction (fwd's expiry, `fwctl ct del` and
 * the datapath's own cleanup delete both entries). No separate table of bindings exists that could
 * drift from the connections.
 *
 * The key is shared with every tuple that normalizes to it: another connection's orig tuple
 * (whose packets and the new one's replies would be one tuple on the wire; a port forward's
 * WAN host h:sp -> public:8080, then a LAN client from port 8080 to h:sp) or its reverse are
 * taken as well. netfilter's nf_nat_used_tuple() looks at both directions for the same reason.
 *
 * Ports tried: the original source port first (when the range allows it: a client's own
 * choice survives translation whenever it is free), then at most NAT_PORT_TRIES more, in
 * sequence from a random start in the range; each taken port counts
 * TCFW_STAT_NAT_PORT_RETRIES. When all are taken the connection is refused
 * (TCFW_STAT_NAT_PORT_EXHAUSTED): a colliding tuple is never sent. With a range no bigger than
 * NAT_PORT_TRIES every port of it is tried.
 *
 * Default range, when the rule gives none: a privileged source port (1-1023) maps into
 * 1-1023 and any other into 1024-65535, so a service that trusts privileged ports keeps
 * working (netfilter does the same, splitting 1-511 and 600-1023 further; tcfw does not).
 * ICMP echo ids are chosen like ports.
 */
#ifndef TCFW_BPF_NAT_NEW_CONN_H
#define TCFW_BPF_NAT_NEW_CONN_H

#include "lib/kernel.h"
#include "tcfw_proto.h"
#include "lib/chain.h"
#include "lib/classify.h"
#include "lib/conntrack.h"
#include "lib/ct_table.h"
#include "lib/frag.h"
#include "lib/maps.h"
#include "lib/nat/common.h"
#include "lib/nat/rewrite.h"
#include "lib/parse.h"
#include "lib/stats.h"

#define NAT_PORT_TRIES 32

enum nat_alloc_result {
	NAT_ALLOC_OK = 0,
	NAT_ALLOC_EXHAUSTED, /* every port tried is taken (counted) */
	NAT_ALLOC_FAILED,    /* ct refused the insert for another reason */
};

/* A 32-bit mix of two addresses (no helper in BPF hashes for us). */
static __always_inline __u32 nat_hash2(__u32 a, __u32 b)
{
	__u32 h = a * 0x9e3779b1u;

	h ^= b + 0x7f4a7c15u + (h << 6) + (h >> 2);
	h *= 0x85ebca6bu;
	return h ^ (h >> 13);
}

/**
 * nat_snat_addr() - the address of range lo..hi (network order) a connection from src to dst
 * gets. A hash of the two addresses, not of the ports, as netfilter does: every connection
 * between two hosts leaves with the same address (protocols with several connections, and
 * the later fragments of a datagram whose first fragment was not seen, rely on that).
 */
static __always_inline __be32 nat_snat_addr(__be32 lo, __be32 hi, __be32 src, __be32 dst)
{
	__u32 l = bpf_ntohl(lo), h = bpf_ntohl(hi), n;

	if (h <= l)
		return lo;
	n = h - l + 1; /* 0 for the whole address space: one address is plenty then */
	if (!n)
		return lo;
	return bpf_htonl(l + nat_hash2(src, dst) % n);
}

/* The port range (host order) of a translation without one in its rule, by the original
 * port (see the top of this file). */
static __always_inline void nat_port_range(__u16 orig, __u32 *lo, __u32 *hi)
{
	if (orig && orig < 1024) {
		*lo = 1;
		*hi = 1023;
	} else {
		*lo = 1024;
		*hi = 65535;
	}
}

/*
 * Reserve reply tuple r for the connection whose main key is mk: a reference entry under
 * r's key (ref: the scratch entry holding mk, see nat_reserve_reply()). 0, -EEXIST when r
 * is taken (see the top of this file), or another negative error. A reply tuple sharing the
 * main key needs no reference: the main entry's own insert reserves it.
 */
static __always_inline long nat_try_reply(const struct tcfw_tuple *r, const struct tcfw_tuple *mk,
                                          const struct tcfw_ct_entry *ref)
{
	struct ct_keys *ks = ct_keys_get();

	if (!ks)
		return -1;
	tcfw_ct_key(&ks->k[1], r);
	if (tuple_eq(&ks->k[1], mk))
		return bpf_map_lookup_elem(&ct, mk) ? -EEXIST : 0;
	return bpf_map_update_elem(&ct, &ks->k[1], ref, BPF_NOEXIST);
}

/* Give up the reservation of reply tuple r (after nat_try_reply() said 0). */
static __always_inline void nat_release_reply(const struct tcfw_tuple *r,
                                              const struct tcfw_tuple *mk)
{
	struct ct_keys *ks = ct_keys_get();

	if (!ks)
		return;
	tcfw_ct_key(&ks->k[1], r);
	if (!tuple_eq(&ks->k[1], mk))
		bpf_map_delete_elem(&ct, &ks->k[1]);
}

/* The zeroed reference entry naming main key mk, in the per-CPU scratch (maps.h ct_new). */
static __always_inline struct tcfw_ct_entry *nat_ref_entry(const struct tcfw_tuple *mk)
{
	__u32 idx = CT_NEW_REF;
	struct tcfw_ct_entry *ref = bpf_map_lookup_elem(&ct_new, &idx);

	if (ref) {
		__builtin_memset(ref, 0, sizeof(*ref));
		ref->kind = TCFW_CTK_REF;
		__builtin_memcpy(&ref->main_key, mk, sizeof(ref->main_key));
	}
	return ref;
}

/**
 * nat_reserve_reply() - make reply tuple r unique by its dport (the translated source port, or
 * ICMP id: see struct tcfw_tuple), reserving it for the connection with main key mk
 * (nat_try_reply()). lo..hi is the allowed range (host order); with may_change false only the
 * port already in r is tried (DNAT without SNAT, or a protocol without ports). Returns enum
 * nat_alloc_result; on NAT_ALLOC_OK r holds the reserved tuple.
 *
 * A global BPF function: its loop and keys stay out of nat_create()'s frame.
 */
__noinline int nat_reserve_reply(struct tcfw_tuple *r, const struct tcfw_tuple *mk, __u32 lo,
                                 __u32 hi, __u32 may_change)
{
	__u32 want, size, start, tries;
	struct tcfw_ct_entry *ref;
	int err;

	if (!r || !mk)
		return NAT_ALLOC_FAILED; /* calms the verifier: global function arguments may be
		                          * NULL */
	want = bpf_ntohs(r->dport);
	ref = nat_ref_entry(mk);
	if (!ref)
		return NAT_ALLOC_FAILED;
	if (!may_change || (want >= lo && want <= hi)) {
		err = nat_try_reply(r, mk, ref);
		if (!err)
			return NAT_ALLOC_OK;
		if (err != -EEXIST)
			return NAT_ALLOC_FAILED;
		if (!may_change) {
			stat_inc(TCFW_STAT_NAT_PORT_EXHAUSTED);
			return NAT_ALLOC_EXHAUSTED;
		}
		stat_inc(TCFW_STAT_NAT_PORT_RETRIES);
	}

	if (hi < lo || hi > 65535)
		return NAT_ALLOC_FAILED;
	size = hi - lo + 1;
	tries = size < NAT_PORT_TRIES ? size : NAT_PORT_TRIES;
	start = bpf_get_prandom_u32() % size;
	for (__u32 i = 0; i < NAT_PORT_TRIES; i++) {
		__u32 port;

		if (i >= tries)
			break;
		port = lo + (start + i) % size;
		if (port == want)
			continue; /* tried first */
		r->dport = bpf_htons((__u16)port);
		err = nat_try_reply(r, mk, ref);
		if (!err)
			return NAT_ALLOC_OK;
		if (err != -EEXIST)
			return NAT_ALLOC_FAILED;
		stat_inc(TCFW_STAT_NAT_PORT_RETRIES);
	}
	stat_inc(TCFW_STAT_NAT_PORT_EXHAUSTED);
	return NAT_ALLOC_EXHAUSTED;
}

/*
 * The zone whose dnat rules also serve a connection addressed to one of the gateway's own
 * addresses (hairpin): the zone of the interface that owns the address, when that is not the
 * zone the connection came from (which was tried first). TCFW_ZONE_NONE when there is none.
 */
static __always_inline __u8 nat_loopback_zone(const struct tcfw_tuple *t, __u8 in_zone, __u32 copy)
{
	__u32 *owner = bpf_map_lookup_elem(&local_addrs, t->dst);
	__u8 zone;

	if (!owner)
		return TCFW_ZONE_NONE;
	zone = zone_of(*owner, copy);
	return zone == in_zone ? TCFW_ZONE_NONE : zone;
}

/**
 * nat_apply_dnat() - the target of dnat rule pos applied to s->view (its destination, and its
 * port when the rule has one and the protocol ports). 1 when applied.
 */
static __always_inline int nat_apply_dnat(struct nat_scratch *s, __u32 copy, __u32 pos)
{
	struct tcfw_rule *rule = nat_rule_at(copy, TCFW_CHAIN_DNAT, pos);
	__u8 proto = s->view.tuple.proto;

	if (!rule || rule->verdict != TCFW_NAT_DNAT || !nat_is_v4_mapped(rule->nat_addr_lo))
		return 0;
	s->view.tuple.dst[3] = rule->nat_addr_lo[3];
	if (rule->nat_port_lo && tcfw_proto_has_ports(proto))
		s->view.tuple.dport = bpf_htons(rule->nat_port_lo);
	s->dnat = 1;
	return 1;
}

/**
 * nat_classify() - the first rule of NAT chain `chain` matching s->view, with zones from ci
 * (dnat: the input zone only, before routing). The rule position, or a negative
 * CLASSIFY_* result. The query lives in the scratch.
 *
 * A global BPF function with a frame of a few bytes: classify() needs 224 of the 512 bytes of
 * stack a program and its calls share, and the ingress program's frame takes most of the
 * rest.
 */
__noinline int nat_classify(struct nat_scratch *s, const struct chain_info *ci, __u32 copy,
                            __u32 chain, __u32 nwords)
{
	if (!s || !ci)
		return CLASSIFY_INCOMPLETE; /* calms the verifier: global function arguments may be
		                             * NULL */
	classify_query_init(&s->q, copy, chain, nwords, ci, &s->view.tuple);
	return classify(&s->q);
}

/**
 * nat_dnat() - the dnat chain for s->view, arrived in zone ci->in_zone: applied to s->view
 * when a rule matches (s->dnat, s->hairpin set).
 *
 * First with the zone the packet arrived in; when nothing matches and the destination is an
 * address of the gateway, again with the zone of the interface owning that address: a dnat
 * rule also serves connections from other zones to its own zone's addresses (hairpin).
 */
static __always_inline void nat_dnat(struct nat_scratch *s, struct chain_info *ci, __u32 copy,
                                     __u32 nwords)
{
	__u8 zone;
	int pos;

	pos = nat_classify(s, ci, copy, TCFW_CHAIN_DNAT, nwords);
	if (pos < 0 && pos != CLASSIFY_INCOMPLETE) {
		zone = nat_loopback_zone(&s->view.tuple, ci->in_zone, copy);
		if (zone == TCFW_ZONE_NONE)
			return;
		ci->in_zone = zone;
		pos = nat_classify(s, ci, copy, TCFW_CHAIN_DNAT, nwords);
		s->hairpin = pos >= 0;
	}
	if (pos >= 0 && !nat_apply_dnat(s, copy, (__u32)pos))
		s->hairpin = 0;
}

/**
 * nat_plan() - start the NAT decision for a new connection at ingress: NULL when there is
 * nothing to decide (no nat rules in the live policy, or not IPv4), else the scratch whose view
 * is the first packet as the rest of the decision sees it: after the dnat chain. The caller
 * routes and filters s->view, then calls nat_open().
 */
static __always_inline struct nat_scratch *nat_plan(struct __sk_buff *skb,
                                                    const struct tcfw_pkt *pkt,
                                                    const struct tcfw_policy_meta *meta, __u32 copy)
{
	struct nat_scratch *s;
	__u32 nwords;

	if (!meta || pkt->tuple.family != TCFW_AF_INET)
		return NULL;
	nwords = meta->nwords[TCFW_CHAIN_DNAT];
	if (!nwords && !meta->nwords[TCFW_CHAIN_SNAT])
		return NULL;
	s = nat_scratch_get();
	if (!s)
		return NULL;
	__builtin_memcpy(&s->view, pkt, sizeof(s->view));
	s->dnat = 0;
	s->hairpin = 0;
	if (nwords) {
		/* Before routing: no output zone, and dnat rules never name one. */
		s->ci.in_zone = zone_of(skb->ifindex, copy);
		s->ci.out_zone = TCFW_ZONE_NONE;
		nat_dnat(s, &s->ci, copy, nwords);
	}
	return s;
}

/* nat_create() arguments packed in one (BPF functions take five at most): the policy copy
 * and the position of the matching snat rule (-1: none). */
#define NAT_CREATE_ARG(copy, pos) (((__u32)(copy)&1) | ((__u32)((pos) + 1) << 1))

/* Undo a connection nat_create() stored, when its first packet cannot be sent after all. */
static __always_inline void nat_create_undo(const struct tcfw_tuple *orig)
{
	ct_forget(orig);
}

/**
 * nat_create() - finish the NAT decision for the first packet pkt (the scratch's view holds
 * it after DNAT, routing gave ci; arg = NAT_CREATE_ARG(copy, position of the matching snat
 * rule)) and store its connection: the reply tuple made unique (nat_reserve_reply()), the entry,
 * for DNAT+SNAT the alias. Then translate the packet's destination (DNAT: ingress is the place) and
 * leave the egress hint for its source. Returns one enum ct_create_result: CT_CREATE_PLAIN when no
 * translation applies, CT_CREATE_REFUSED when the connection is refused for NAT's sake, each cause
 * counted apart: no free port (TCFW_STAT_NAT_PORT_EXHAUSTED), no masquerade address
 * (TCFW_STAT_NAT_NO_ADDRESS), its half-translated tuple taken (TCFW_STAT_NAT_ALIAS_TAKEN).
 *
 * Source translation is for the forward chain only: the gateway's own connections keep the
 * source its stack chose. A hairpin connection no snat rule matches is masqueraded behind its
 * output interface, so the server's replies come back through the gateway.
 *
 * A global BPF function: its stack and the verifier's work are its own.
 */
__noinline int nat_create(struct __sk_buff *skb, const struct tcfw_pkt *pkt,
                          const struct chain_info *ci, const struct ct_origin *o, __u32 arg)
{
	struct nat_rewrite rw = {};
	struct tcfw_ct_entry *n;
	struct nat_scratch *s;
	struct tcfw_rule *rule = NULL;
	struct tcfw_tuple *r;
	__u32 copy = arg & 1, port_lo, port_hi;
	int pos = (int)(arg >> 1) - 1, err;
	__be32 snat = 0;
	bool masq = false;
	__u8 kind;

	if (!pkt || !ci || !o)
		return CT_CREATE_FAILED; /* calms the verifier: global function arguments may be
		                          * NULL */
	s = nat_scratch_get();
	if (!s)
		return CT_CREATE_PLAIN;

	nat_port_range(bpf_ntohs(s->view.tuple.sport), &port_lo, &port_hi);
	if (ci->chain == TCFW_CHAIN_FORWARD) {
		if (pos >= 0)
			rule = nat_rule_at(copy, TCFW_CHAIN_SNAT, (__u32)pos);
		if (rule && rule->verdict == TCFW_NAT_SNAT) {
			masq = rule->nat_flags & TCFW_NATF_MASQ;
			if (!masq && nat_is_v4_mapped(rule->nat_addr_lo) &&
			    nat_is_v4_mapped(rule->nat_addr_hi)) {
				snat = nat_snat_addr(rule->nat_addr_lo[3], rule->nat_addr_hi[3],
				                     s->view.tuple.src[3], s->view.tuple.dst[3]);
				if (rule->nat_port_lo) {
					port_lo = rule->nat_port_lo;
					port_hi = rule->nat_port_hi > port_lo ? rule->nat_port_hi
					                                      : port_lo;
				}
			}
		} else if (s->hairpin) {
			masq = true;
		}
		if (masq) {
			snat = nat_masq_addr(ci->ifindex_out);
			if (!snat) {
				/* Masquerade behind an interface without IPv4 address. */
				stat_inc(TCFW_STAT_NAT_NO_ADDRESS);
				return CT_CREATE_REFUSED;
			}
		}
	}
	kind = (s->dnat ? TCFW_NAT_DNAT : 0) | (snat ? TCFW_NAT_SNAT : 0);
	if (!kind)
		return CT_CREATE_PLAIN;

	n = ct_new_entry();
	if (!n)
		return CT_CREATE_FAILED;
	ct_entry_init(n, pkt, o);
	n->nat_kind = kind;
	r = &n->reply;
	tuple_reverse(r, &s->view.tuple);
	if (snat)
		r->dst[3] = snat;

	n->orig_swapped = tcfw_ct_key(&s->key, &pkt->tuple);
	err = nat_reserve_reply(r, &s->key, port_lo, port_hi,
	                        snat && tcfw_proto_nat_rewrites_ids(pkt->tuple.proto));
	if (err == NAT_ALLOC_EXHAUSTED)
		return CT_CREATE_REFUSED;
	if (err) {
		stat_inc(TCFW_STAT_CT_INSERT_FAILED);
		return CT_CREATE_FAILED;
	}

	err = bpf_map_update_elem(&ct, &s->key, n, BPF_NOEXIST);
	if (err) {
		nat_release_reply(r, &s->key);
		if (err == -EEXIST)
			return ct_create_exists(&pkt->tuple);
		stat_inc(TCFW_STAT_CT_INSERT_FAILED);
		return CT_CREATE_FAILED;
	}

	if (kind == (TCFW_NAT_DNAT | TCFW_NAT_SNAT)) {
		__builtin_memcpy(&s->middle, &s->view.tuple, sizeof(s->middle));
		err = bpf_map_update_elem(&nat_alias, &s->middle, &pkt->tuple, BPF_NOEXIST);
		if (err == -EEXIST && !ct_alias_lookup(&s->middle, &s->other))
			/* Left by a connection that is gone: ours now. */
			err = bpf_map_update_elem(&nat_alias, &s->middle, &pkt->tuple, BPF_ANY);
		if (err) {
			/* A live connection has the same middle tuple (the same client port to
			 * two public addresses forwarded to one server port): refuse this one. */
			nat_create_undo(&pkt->tuple);
			stat_inc(TCFW_STAT_NAT_ALIAS_TAKEN);
			return CT_CREATE_REFUSED;
		}
	}

	/* The first packet: its destination now, its source at egress. */
	if (s->dnat) {
		nat_rewrite_init(&rw, pkt, NAT_SIDE_DST);
		rw.from_addr = pkt->tuple.dst[3];
		rw.to_addr = s->view.tuple.dst[3];
		rw.from_port = pkt->tuple.dport;
		rw.to_port = s->view.tuple.dport;
		if (nat_rewrite(skb, &rw)) {
			nat_create_undo(&pkt->tuple);
			return CT_CREATE_FAILED;
		}
		if (snat && pkt->frag == PKT_FRAG_FIRST)
			frag_remember_as(pkt, rw.to_addr, rw.to_port);
	}
	if (snat)
		nat_set_hint(skb, NAT_HINT_SNAT | (s->dnat ? NAT_HINT_ALIAS : 0));
	return CT_CREATED;
}

/**
 * nat_open() - store a new connection that nat_plan() started and the policy accepted: the
 * snat chain (forward connections, output zone known now), then nat_create(). Returns enum
 * ct_create_result (CT_CREATE_REFUSED when NAT refuses it; never CT_CREATE_PLAIN).
 */
static __always_inline int nat_open(struct __sk_buff *skb, const struct tcfw_pkt *pkt,
                                    struct nat_scratch *s, const struct chain_info *ci,
                                    const struct ct_origin *o, const struct tcfw_policy_meta *meta,
                                    __u32 copy)
{
	__u32 nwords = meta ? meta->nwords[TCFW_CHAIN_SNAT] : 0;
	int pos = -1, ret;

	if (ci->chain == TCFW_CHAIN_FORWARD && nwords)
		pos = nat_classify(s, ci, copy, TCFW_CHAIN_SNAT, nwords);
	ret = nat_create(skb, pkt, ci, o, NAT_CREATE_ARG(copy, pos < 0 ? -1 : pos));
	return ret == CT_CREATE_PLAIN ? ct_create(pkt, o) : ret;
}

#endif /* TCFW_BPF_NAT_NEW_CONN_H */
