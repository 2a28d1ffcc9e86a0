/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * nat/common.h - what every NAT step shares: the hint ingress leaves for egress (enum
 * nat_hint, nat_set_hint(); nat.h says how it travels), the per-CPU scratch
 * (nat_scratch_get()), a NAT rule by its position (nat_rule_at()), masquerade's address
 * (nat_masq_addr()) and nat_is_v4_mapped().
 */
#ifndef TCFW_BPF_NAT_COMMON_H
#define TCFW_BPF_NAT_COMMON_H

#include "lib/kernel.h"
#include "lib/maps.h"
#include "lib/stats.h"

/*
 * What ingress leaves for egress in skb->tc_index (see nat.h). NAT_HINT_MAGIC in the high
 * byte tells our hints from any other value the field might carry.
 */
enum nat_hint {
	NAT_HINT_SNAT = 1 << 0,   /* orig direction, source to translate: its orig tuple */
	NAT_HINT_UNDNAT = 1 << 1, /* reply direction, source back to the public address: its
	                           * reply tuple */
	NAT_HINT_ALIAS = 1 << 2,  /* the connection has DNAT and SNAT: key "nat_alias" */
	NAT_HINT_ICMP = 1 << 3,   /* an ICMP error whose outer source is to translate */
	NAT_HINT_ORPHAN = 1 << 4, /* a later fragment whose first fragment was not seen */
	NAT_HINT_ALL = 0x1f,
	NAT_HINT_MAGIC = 0x7a00,
	NAT_HINT_MAGIC_MASK = 0xff00,
};

static __always_inline struct nat_scratch *nat_scratch_get(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&nat_scratch, &zero);
}

static __always_inline bool nat_is_v4_mapped(const __u32 a[4])
{
	return a[0] == 0 && a[1] == 0 && a[2] == bpf_htonl(0xffff);
}

/* Rule at position pos of NAT chain `chain` in copy `copy`, its hit counted (per-CPU
 * "pol_hits", which fwctl policy show prints); NULL (counted TCFW_STAT_POLICY_INCOMPLETE)
 * when the map entry is missing. */
static __always_inline struct tcfw_rule *nat_rule_at(__u32 copy, __u32 chain, __u32 pos)
{
	__u32 slot = TCFW_RULE_INDEX(copy & 1, chain, pos & (TCFW_POLICY_MAX_RULES - 1));
	struct tcfw_rule *rule = bpf_map_lookup_elem(&pol_rules, &slot);
	__u64 *hits;

	if (!rule) {
		stat_inc(TCFW_STAT_POLICY_INCOMPLETE);
		return NULL;
	}
	hits = bpf_map_lookup_elem(&pol_hits, &slot);
	if (hits)
		*hits += 1;
	return rule;
}

/* The address masquerade gives connections leaving by ifindex (0: it has none). */
static __always_inline __be32 nat_masq_addr(__u32 ifindex)
{
	struct tcfw_iface *ifc = bpf_map_lookup_elem(&ifaces, &ifindex);

	return ifc ? ifc->masq_addr4 : 0;
}

/* Set the hint for egress (see enum nat_hint); 0 leaves the packet without one. */
static __always_inline void nat_set_hint(struct __sk_buff *skb, __u32 bits)
{
	if (bits)
		skb->tc_classid = NAT_HINT_MAGIC | bits;
}

#endif /* TCFW_BPF_NAT_COMMON_H */
