/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * dynset.h - dynamic sets ('set NAME { ... } flags dynamic'): membership and 'add @SET'.
 *
 * Offers dynset_has() (is an address in set `set` now?) and dynset_add_src() (a rule's
 * 'add @SET': put the packet's source in). The elements live in the LPM trie "dynset", keyed by
 * (set id, prefix), outside the policy copies: fwd, fwctl and this file change them at any
 * time, and a new connection sees the change at once. They are looked up only for new
 * connections, and only for rules whose other matches already hold (classify.h).
 *
 * Expiry: an element carries the time it stops matching. fwd deletes expired elements in its
 * periodic pass; until then dynset_has() looks past them (to a shorter prefix that covers the
 * address, if any), so a timeout is exact to the nanosecond whatever fwd's pace.
 */
#ifndef TCFW_BPF_DYNSET_H
#define TCFW_BPF_DYNSET_H

#include "lib/kernel.h"
#include "lib/limit.h"
#include "lib/maps.h"
#include "lib/stats.h"

/* Prefixes of one address tried at most: an expired element is looked past this many times. */
#define DYNSET_LOOKUPS 4

/**
 * dynset_has() - 1 when addr (16 bytes, IPv4-mapped) is in dynamic set `set` at time now: the
 * longest element of the set that holds it has not expired (or an expired one is covered by
 * a shorter live one).
 */
static __always_inline int dynset_has(__u32 set, const __u32 addr[4], __u64 now)
{
	__u32 zero = 0;
	struct policy_scratch *sc = bpf_map_lookup_elem(&policy_scratch, &zero);
	struct tcfw_dynset_key *k;

	if (!sc)
		return 0;
	k = &sc->dk;
	k->prefixlen = 32 + 128;
	k->set = set & (TCFW_DYNSET_MAX - 1);
	__builtin_memcpy(k->addr, addr, sizeof(k->addr));
	for (int i = 0; i < DYNSET_LOOKUPS; i++) {
		struct tcfw_dynset_elem *e = bpf_map_lookup_elem(&dynset, k);

		if (!e)
			return 0;
		if (!e->expires_ns || e->expires_ns > now)
			return 1;
		if (!e->plen)
			return 0;
		/* Expired: the longest prefix shorter than this one. */
		k->prefixlen = 32 + (e->plen > 128 ? 128 : e->plen) - 1;
	}
	return 0;
}

/**
 * dynset_add_src() - 'add @SET' of the rule in policy slot `slot`: put the source of tuple t
 * into that rule's set as a /128 (a /32 for IPv4) that expires after the set's timeout.
 * Nothing when it is already in the set (its element is not refreshed). At most
 * TCFW_DYNSET_ADD_RATE additions a second into one set (a bucket of as many in the set's
 * dynset_meta entry): a flood of new sources costs a bounded number of trie insertions; the excess
 * is counted (TCFW_STAT_DYNSET_ADD_LIMITED) and not added.
 *
 * A global BPF function, with the key in the per-CPU scratch: the program's own stack is
 * spent. It looks the rule up itself (by slot) so that the caller keeps fewer values live
 * across the call: with the set id and the four address words as arguments, the program's
 * frame grew past the verifier's 512-byte limit for its deepest call chain.
 */
__noinline int dynset_add_src(__u32 slot, const struct tcfw_tuple *t)
{
	__u32 addr[4], id, zero = 0;
	struct tcfw_rule *rule = bpf_map_lookup_elem(&pol_rules, &slot);
	__u64 now = bpf_ktime_get_ns();
	struct policy_scratch *sc;
	struct tcfw_dynset_meta *m;
	int ok = 0;

	if (!t || !rule || !rule->dyn_add)
		return 0;
	id = ((__u32)rule->dyn_add - 1) & (TCFW_DYNSET_MAX - 1);
	__builtin_memcpy(addr, t->src, sizeof(addr));
	m = bpf_map_lookup_elem(&dynset_meta, &id);
	if (!m || !(m->flags & TCFW_DSM_IN_USE) || dynset_has(id, addr, now))
		return 0;
	bpf_spin_lock(&m->add_bucket.lock);
	limit_refill(&m->add_bucket, now, TCFW_DYNSET_ADD_RATE, 1, TCFW_DYNSET_ADD_RATE);
	if (m->add_bucket.tokens_milli >= LIMIT_MILLI) {
		m->add_bucket.tokens_milli -= LIMIT_MILLI;
		ok = 1;
	}
	bpf_spin_unlock(&m->add_bucket.lock);
	if (!ok) {
		stat_inc(TCFW_STAT_DYNSET_ADD_LIMITED);
		return 0;
	}
	sc = bpf_map_lookup_elem(&policy_scratch, &zero);
	if (!sc)
		return 0;
	sc->dk.prefixlen = 32 + 128;
	sc->dk.set = id;
	__builtin_memcpy(sc->dk.addr, addr, sizeof(sc->dk.addr));
	sc->de.expires_ns = m->timeout_s ? now + (__u64)m->timeout_s * 1000000000ULL : 0;
	sc->de.flags = TCFW_DSE_DATAPATH;
	sc->de.plen = 128;
	if (bpf_map_update_elem(&dynset, &sc->dk, &sc->de, BPF_ANY)) {
		stat_inc(TCFW_STAT_DYNSET_ADD_FAILED);
		return 0;
	}
	stat_inc(TCFW_STAT_DYNSET_ADDED);
	return 1;
}

#endif /* TCFW_BPF_DYNSET_H */
