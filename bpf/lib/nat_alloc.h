/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * nat_alloc.h - choose the translated address and port of a new connection so that its reply
 * tuple is unique, and store the connection.
 *
 * Offers nat_snat_addr(), nat_port_range() and nat_reserve_reply().
 *
 * A port is taken exactly when some connection's reply tuple uses it, and a NAT connection's
 * reply tuple has a reference entry in map "ct" under its key (ct_table.h). So allocating is
 * inserting: the reference goes in with BPF_NOEXIST, and -EEXIST means "taken, try another
 * port". The insert is atomic, so two CPUs can never both get one tuple, and a binding is
 * released with its connection by construction (fwd's expiry, `fwctl ct del` and the
 * datapath's own cleanup delete both entries). No separate table of bindings exists that could
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
#ifndef TCFW_BPF_NAT_ALLOC_H
#define TCFW_BPF_NAT_ALLOC_H

#include "lib/kernel.h"
#include "lib/ct_table.h"
#include "lib/maps.h"
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

#endif /* TCFW_BPF_NAT_ALLOC_H */
