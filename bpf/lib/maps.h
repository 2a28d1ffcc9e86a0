/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * maps.h - every map of the datapath, shared by tcfw_ingress and tcfw_egress.
 *
 * Names, keys and values are the contract of tcfw_abi.h (fwd pins each map as
 * <pin-dir>/<name>). Sizes are defaults: fwd resizes "ct" before load
 * (bpf_map__set_max_entries). The maps internal to the datapath ("frag", "nat_alias",
 * "clock_cache", the scratch maps) are at the end with their key and value types.
 */
#ifndef TCFW_BPF_MAPS_H
#define TCFW_BPF_MAPS_H

#include "lib/kernel.h"
#include "lib/parse.h" /* struct tcfw_pkt, the value of pkt_scratch */

/* ---- connection tracking ------------------------------------------------------------------ */
/*
 * Plain hashes, not LRU: the kernel never evicts a connection behind fwd's back. A full table
 * refuses the insert instead (the new connection is dropped and counted in
 * TCFW_STAT_CT_INSERT_FAILED), and fwd makes room by dropping connections that are not
 * ASSURED first (netfilter's early drop; fwd/expiry.c), so established connections survive a
 * flood of unanswered SYNs. Preallocated: an insert never allocates on the packet path. A
 * connection takes one entry, a NAT connection two (ct_table.h).
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, TCFW_CT_MAX_DEFAULT);
	__type(key, struct tcfw_tuple); /* tcfw_ct_key(): either direction's tuple, normalized */
	__type(value, struct tcfw_ct_entry); /* a connection, or a NAT reply's reference to it */
} ct SEC(".maps");

/* ---- counters, configuration, interfaces, addresses, events ------------------------------- */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, TCFW_STAT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} stats SEC(".maps");

/* The policy's drops by reason and chain (tcfw_abi.h, enum tcfw_drop_reason). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, TCFW_DROP_ENTRIES);
	__type(key, __u32);
	__type(value, __u64);
} drops SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct tcfw_config);
} config SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, TCFW_POLICY_COPIES);
	__type(key, __u32);
	__type(value, struct tcfw_policy_meta);
} pol_meta SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, TCFW_MAX_IFACES);
	__type(key, __u32); /* ifindex */
	__type(value, struct tcfw_iface);
} ifaces SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, TCFW_MAX_LOCAL_ADDRS);
	__type(key, struct tcfw_addr_key);
	__type(value, __u32); /* ifindex the address is configured on */
} local_addrs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, TCFW_EVENTS_BYTES);
} events SEC(".maps");

/* ---- policy (filled by fwd from policy_compile(); both copies live side by side) ----------- */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, TCFW_SCALAR_ENTRIES);
	__type(key, __u32);
	__type(value, __u32); /* class id */
} pol_scalar SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, TCFW_POLICY_MAX_PREFIXES);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct tcfw_lpm_key);
	__type(value, __u32); /* class id */
} pol_src SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, TCFW_POLICY_MAX_PREFIXES);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct tcfw_lpm_key);
	__type(value, __u32); /* class id */
} pol_dst SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, TCFW_POLICY_COPIES *TCFW_POLICY_MAX_CLASSES);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u32); /* TCFW_CLASS_KEY(copy, id) */
	__type(value, struct tcfw_class);
} pol_class SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, TCFW_RULE_ENTRIES);
	__type(key, __u32); /* TCFW_RULE_INDEX(copy, chain, pos) */
	__type(value, struct tcfw_rule);
} pol_rules SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, TCFW_RULE_ENTRIES);
	__type(key, __u32); /* TCFW_RULE_INDEX(copy, chain, pos) */
	__type(value, struct tcfw_limit_state);
} pol_limit SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, TCFW_RULE_ENTRIES);
	__type(key, __u32); /* TCFW_RULE_INDEX(copy, chain, pos) */
	__type(value, __u64);
} pol_hits SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, TCFW_RULE_ENTRIES);
	__type(key, __u32); /* TCFW_RULE_INDEX(copy, chain, pos) */
	__type(value, __u64);
} pol_bytes SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, TCFW_RULE_ENTRIES);
	__type(key, __u32);   /* TCFW_RULE_INDEX(copy, chain, pos) */
	__type(value, __u64); /* new connections the rule's 'limit' refused (fell through) */
} pol_limited SEC(".maps");

/* 'limit ... per source' (limit.h): one bucket per (rule slot, generation, source). */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, TCFW_LIMIT_SRC_MAX);
	__type(key, struct tcfw_limit_src_key);
	__type(value, struct tcfw_limit_src);
} limit_src SEC(".maps");

/* ---- dynamic sets (dynset.h; elements by fwd, fwctl and 'add @SET'; ids by fwd) ------------ */
struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, TCFW_DYNSET_MAX_ELEMS);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct tcfw_dynset_key);
	__type(value, struct tcfw_dynset_elem);
} dynset SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, TCFW_DYNSET_MAX);
	__type(key, __u32);
	__type(value, struct tcfw_dynset_meta);
} dynset_meta SEC(".maps");

/* ---- the XDP pre-filter (prefilter.h; filled by fwd with the policy, both copies) ---------- */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, TCFW_POLICY_COPIES);
	__type(key, __u32);
	__type(value, struct tcfw_prefilter_meta);
} pre_meta SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, TCFW_PREFILTER_MAX_PREFIXES);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct tcfw_lpm_key);
	__type(value, __u64); /* zones (bit = zone id) in which the source is dropped */
} pre_src SEC(".maps");

/* ---- IP fragments (internal to the datapath) ----------------------------------------------- */
/*
 * Only the first fragment of a datagram carries the L4 header. When it is accepted, its ports
 * (or ICMP id) are remembered here under (src, dst, IP id, protocol), so that the later
 * fragments, which carry no ports, join the same connection. LRU: a datagram whose fragments
 * stop arriving is simply forgotten. A later fragment that finds nothing here (its first
 * fragment was never seen, or came after it) passes untracked and is counted
 * (TCFW_STAT_FRAGMENTS): the receiver cannot reassemble it without the first fragment, which
 * the policy does see.
 */
#define TCFW_FRAG_MAX 8192

struct frag_key {
	__u32 src[4];
	__u32 dst[4];
	__u32 id; /* IPv4: the 16-bit identification; IPv6: the fragment header's 32-bit one */
	__u8 proto;
	__u8 pad[3];
};

struct frag_ports {
	__u16 sport; /* network order, as in struct tcfw_tuple */
	__u16 dport;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, TCFW_FRAG_MAX);
	__type(key, struct frag_key);
	__type(value, struct frag_ports);
} frag SEC(".maps");

/* ---- NAT ------------------------------------------------------------------------------------ */
/*
 * A connection with both DNAT and SNAT (hairpin, or a port forward whose output also matches
 * an snat rule) is seen by the egress program in neither of its keyed forms: ingress has
 * already rewritten the destination, egress has yet to rewrite the source. This map keys it
 * by that middle form (orig tuple with the DNAT applied, see nat.h) -> the orig tuple, the
 * key of "ct". Entries are checked against the connection on every use, so one left behind
 * by a connection that expired (fwd deletes its ct entries only) is recognised as stale;
 * the LRU reclaims them.
 */
#define TCFW_NAT_ALIAS_MAX 65536

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, TCFW_NAT_ALIAS_MAX);
	__type(key, struct tcfw_tuple);   /* orig tuple after DNAT, before SNAT */
	__type(value, struct tcfw_tuple); /* orig tuple */
} nat_alias SEC(".maps");

struct classify_query {
	__u32 src[4]; /* IPv4-mapped, network order, as in struct tcfw_tuple */
	__u32 dst[4];
	__u32 copy;    /* policy copy, 0/1 */
	__u32 chain;   /* enum tcfw_chain */
	__u32 nwords;  /* pol_meta.nwords[chain]: bitmap words in use */
	__u32 in_zone; /* zone slot, 0..63 */
	__u32 out_zone;
	__u32 proto;
	__u32 family; /* 0 = ip, 1 = ip6 */
	__u32 sport;  /* host order, or TCFW_SCALAR_NOPORT */
	__u32 dport;
	__u32 gen; /* low 32 bits of pol_meta.generation ('limit ... per source'); 0 for NAT */
};

/* ---- scratch keys of dynset.h and limit.h (internal to the datapath) ----------------------- */
/*
 * Keys and values of "dynset" and "limit_src", built here rather than on the stack: they are
 * used two calls deep (program -> classify() -> dynset_rule_match() / limit_src_take()), where
 * the 512 bytes of the whole call chain are spent. Per-CPU, and the users never nest.
 */
struct policy_scratch {
	struct classify_query q; /* policy_decide()'s query: off the stack for the same reason */
	struct tcfw_limit_src_key lk;
	struct tcfw_limit_src lv;
	struct tcfw_dynset_key dk;
	struct tcfw_dynset_elem de;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct policy_scratch);
} policy_scratch SEC(".maps");

/* Where a new connection is decided (chain.h: chain_at_ingress() and the others fill it). */
struct chain_info {
	__u32 ifindex_in;  /* 0: the gateway itself */
	__u32 ifindex_out; /* 0: the gateway itself, or unknown (no route) */
	__u8 chain;        /* enum tcfw_chain */
	__u8 in_zone;
	__u8 out_zone;
};

/* Everything classify() (classify.h) matches on, as pol_scalar slot values. */

/* ---- NAT's working memory (nat.h; internal to the datapath) --------------------------------- */
/*
 * Per-CPU, kept off the 512-byte BPF stack that the programs share with every function they
 * call (classify() alone takes 224 bytes of it). Programs are not re-entered on a CPU, and
 * nothing here outlives one program run. The connection entry being created lives in ct_new,
 * below.
 */
struct nat_scratch {
	struct tcfw_pkt view;     /* ingress, new connection: its first packet as routing, the
	                           * filter chain and the snat chain see it (after DNAT);
	                           * egress: the packet being translated */
	struct classify_query q;  /* for the dnat and snat chains */
	struct tcfw_tuple middle; /* a connection's key in nat_alias */
	struct tcfw_tuple other;  /* what another alias entry points to */
	struct tcfw_tuple orig;   /* egress: the connection's orig tuple */
	struct tcfw_tuple key;    /* ingress, new connection: its main key in "ct" */
	struct chain_info ci;     /* the dnat chain's zones */
	__u32 dir;                /* egress: the packet's direction in it */
	__u32 dnat;               /* view has a DNAT applied */
	__u32 hairpin;            /* ... by the NAT loopback of another zone's rule */
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct nat_scratch);
} nat_scratch SEC(".maps");

/* ---- the coarse clock, read once per CPU per tick (clock.h; internal to the datapath) ------ */
struct clock_cache {
	__u64 jiffies;   /* bpf_jiffies64() when coarse_ns was read */
	__u64 coarse_ns; /* bpf_ktime_get_coarse_ns() then */
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct clock_cache);
} clock_cache SEC(".maps");

/* ---- scratch space of reject replies (internal to the datapath) ---------------------------- */
/*
 * reject.h builds its reply here rather than on the stack: the BPF stack is 512 bytes for the
 * whole call chain, and an ICMPv6 error quotes up to 1232 bytes. Per-CPU, and a TC program is
 * not re-entered on its CPU, so one entry is enough.
 */
#define TCFW_REJECT_QUOTE_MAX 1232 /* IPv6: 1280 (minimum MTU) - 40 (IPv6) - 8 (ICMPv6) */

struct reject_scratch {
	struct bpf_fib_lookup fib;             /* the receiving interface's address (ICMP source) */
	__u32 hdr[16];                         /* the reply's IP + TCP/ICMP headers */
	__u32 pseudo[10];                      /* the transport checksum's pseudo-header */
	__u8 quote[TCFW_REJECT_QUOTE_MAX + 4]; /* what an ICMP error quotes, zero-padded to 4 */
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct reject_scratch);
} reject_scratch SEC(".maps");

/* ---- scratch space of the programs and of conntrack (internal to the datapath) ------------ */
/*
 * The packet being processed, parsed: per-CPU memory rather than the stack, whose 512 bytes
 * the program shares with every function it calls (classify() alone needs 224). A program is
 * not re-entered on its CPU, and the contents live for one run only.
 */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct tcfw_pkt);
} pkt_scratch SEC(".maps");

/*
 * conntrack.h's ct_create(): the entry of a connection being created is built here (index 0),
 * and a NAT connection's reference entry (index 1, nat/new_conn.h), not on the stack: at 208 bytes
 * each would take too much of the 512 bytes the programs and every function they call share.
 * Per-CPU, and used within one program run only (a program is not re-entered on its CPU).
 */
/*
 * Keys of map "ct" being worked out (ct_table.h, nat/new_conn.h), kept off the stack for the same
 * reason: two 40-byte tuples in the program's own frame leave too little of the 512 bytes for
 * the global functions it calls. Per-CPU, used within one function at a time.
 */
struct ct_keys {
	struct tcfw_tuple k[2];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ct_keys);
} ct_keys SEC(".maps");

static __always_inline struct ct_keys *ct_keys_get(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&ct_keys, &zero);
}

#define CT_NEW_MAIN 0
#define CT_NEW_REF  1
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, struct tcfw_ct_entry);
} ct_new SEC(".maps");

#endif /* TCFW_BPF_MAPS_H */
