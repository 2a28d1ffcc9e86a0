/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * tcfw_abi.h - every type shared by the datapath (bpf/) and user space (fwd, fwctl, policy).
 *
 * This is the only copy of these definitions. Plain structs with fixed-width fields, no
 * pointers and no kernel types (struct bpf_spin_lock excepted, which both sides define), so
 * clang -target bpf and gcc agree on every layout. Map names are listed at the end: fwd pins
 * each map under <pin-dir>/<name>, fwctl opens them there.
 *
 * Addresses: one representation everywhere. A 16-byte IPv6 address in network byte order;
 * IPv4 is stored IPv4-mapped (::ffff:a.b.c.d), so one LPM trie and one key type serve both
 * families and an IPv4 prefix /p is the 16-byte prefix /(96 + p).
 */
#ifndef TCFW_ABI_H
#define TCFW_ABI_H

#ifndef __bpf__
#include <linux/bpf.h> /* struct bpf_spin_lock */
#include <linux/types.h>
#endif

/* ---- sizes ------------------------------------------------------------------------------ */
#define TCFW_CT_MAX_DEFAULT       262144 /* connections; fwd --ct-max overrides at load time */
#define TCFW_MAX_ZONES            64
#define TCFW_MAX_IFACES           1024
#define TCFW_MAX_LOCAL_ADDRS      4096
#define TCFW_POLICY_COPIES        2 /* active + standby, switched by tcfw_config.policy_active */
#define TCFW_POLICY_MAX_RULES     16384 /* per chain */
#define TCFW_POLICY_WORDS         (TCFW_POLICY_MAX_RULES / 64)
#define TCFW_POLICY_SUMMARY_WORDS (TCFW_POLICY_WORDS / 64)
#define TCFW_POLICY_MAX_CLASSES   65536 /* per copy */
/* Entries of pol_src (and of pol_dst), both copies: half each, so a reload always fits (the
 * tries grow as used: the size is a cap, not an allocation). */
#define TCFW_POLICY_MAX_PREFIXES 524288
#define TCFW_EVENTS_BYTES        (1 << 20)
/* Source prefixes of the XDP pre-filter ("pre_src"), both copies: half each, so a reload of a
 * policy holding the maximum (1,048,576 prefixes over every prefilter set) always fits. */
#define TCFW_PREFILTER_MAX_PREFIXES 2097152
/* Dynamic sets ('set NAME { } flags dynamic', bpf/lib/dynset.h): how many, and elements of all
 * of them together in map "dynset" (allocated as used: the size is a cap). */
#define TCFW_DYNSET_MAX       64
#define TCFW_DYNSET_MAX_ELEMS 1048576
/* Additions a rule's 'add @SET' may make into one set: per second, and at once. */
#define TCFW_DYNSET_ADD_RATE 1000
/* 'limit ... per source': token buckets of (rule, source) pairs, least recently used first out */
#define TCFW_LIMIT_SRC_MAX 65536

/* ---- enums --------------------------------------------------------------------------------- */
enum tcfw_family {
	TCFW_AF_INET = 4,
	TCFW_AF_INET6 = 6,
};

enum tcfw_dir {
	TCFW_DIR_ORIG = 0,
	TCFW_DIR_REPLY = 1,
};

/* Chains: the three filter hooks of the policy language, then the two NAT tables. */
enum tcfw_chain {
	TCFW_CHAIN_INPUT = 0,
	TCFW_CHAIN_FORWARD = 1,
	TCFW_CHAIN_OUTPUT = 2,
	TCFW_CHAIN_DNAT = 3, /* prerouting: nat dnat, evaluated at ingress for new flows */
	TCFW_CHAIN_SNAT = 4, /* postrouting: nat snat / masquerade, by output zone */
	TCFW_CHAIN_MAX = 5,
};

enum tcfw_verdict {
	TCFW_VERDICT_ACCEPT = 0,
	TCFW_VERDICT_DROP = 1,
	TCFW_VERDICT_REJECT = 2,
	TCFW_VERDICT_MAX = 3,
};

/* What conntrack says about one packet; policy matches on it. */
enum tcfw_pkt_ct {
	TCFW_PKT_NEW = 0,
	TCFW_PKT_ESTABLISHED = 1,
	TCFW_PKT_RELATED = 2,
	TCFW_PKT_INVALID = 3,
};

/*
 * Connection states. TCP states keep netfilter's names and meaning; UDP and ICMP get states of
 * their own so that one timeout table indexed by state covers every protocol.
 */
enum tcfw_ct_state {
	TCFW_CT_NONE = 0,
	TCFW_CT_TCP_SYN_SENT,
	TCFW_CT_TCP_SYN_RECV,
	TCFW_CT_TCP_ESTABLISHED,
	TCFW_CT_TCP_FIN_WAIT,
	TCFW_CT_TCP_CLOSE_WAIT,
	TCFW_CT_TCP_LAST_ACK,
	TCFW_CT_TCP_TIME_WAIT,
	TCFW_CT_TCP_CLOSE,
	TCFW_CT_TCP_SYN_SENT2, /* simultaneous open */
	TCFW_CT_UDP_UNREPLIED,
	TCFW_CT_UDP_REPLIED,
	TCFW_CT_UDP_ASSURED, /* "stream": traffic in both directions, then more */
	TCFW_CT_ICMP_UNREPLIED,
	TCFW_CT_ICMP_REPLIED,
	TCFW_CT_OTHER_UNREPLIED, /* any other IP protocol, tracked by addresses only */
	TCFW_CT_OTHER_REPLIED,
	TCFW_CT_STATE_MAX,
};

/* Per-CPU counters (map "stats", one slot per enum value). Names live in lib/names.c. */
enum tcfw_stat {
	TCFW_STAT_PACKETS = 0,
	TCFW_STAT_BYTES,
	TCFW_STAT_NON_IP, /* passed untouched: ARP, LLDP, ... */
	TCFW_STAT_MALFORMED,
	TCFW_STAT_FRAGMENTS,
	TCFW_STAT_CT_NEW,
	TCFW_STAT_CT_ESTABLISHED,
	TCFW_STAT_CT_RELATED,
	TCFW_STAT_CT_INVALID,
	TCFW_STAT_CT_INSERT_FAILED,
	TCFW_STAT_EVICTIONS_SUSPECTED, /* one half of a connection found without the other */
	TCFW_STAT_VERDICT_ACCEPT,
	TCFW_STAT_VERDICT_DROP,
	TCFW_STAT_VERDICT_REJECT,
	TCFW_STAT_REJECT_SENT,
	TCFW_STAT_LIMITED,     /* a rule's limit was exceeded, fell through */
	TCFW_STAT_EVENTS_LOST, /* ring buffer full */
	TCFW_STAT_NAT_TRANSLATED,
	TCFW_STAT_NAT_PORT_RETRIES,
	TCFW_STAT_NAT_PORT_EXHAUSTED,
	TCFW_STAT_POLICY_INCOMPLETE, /* a policy map entry was missing: the chain's default decided
	                              */
	TCFW_STAT_FAST_PATH,     /* established, forwarded at ingress past the kernel's IP stack */
	TCFW_STAT_FIB_LOOKUP,    /* routes the fast path asked the kernel for (no next hop kept) */
	TCFW_STAT_CT_EARLY_DROP, /* written by fwd: unassured connections dropped to make room */
	/* Layout version 4: the XDP pre-filter (bpf/lib/prefilter.h), before TC sees a packet. */
	TCFW_STAT_PREFILTER_BLOCKED,   /* dropped: source in a 'drop from @set' of its zone */
	TCFW_STAT_PREFILTER_UNTRACKED, /* dropped: TCP without SYN of no connection ('drop
	                                * untracked'), which TC would drop as invalid */
	/* Layout version 5: new connections NAT refused for another cause than a port. */
	TCFW_STAT_NAT_NO_ADDRESS,  /* masquerade out an interface without IPv4 address */
	TCFW_STAT_NAT_ALIAS_TAKEN, /* DNAT+SNAT: another connection has the same half-translated
	                            * tuple (map nat_alias) */
	/* Layout version 7: dynamic sets ('add @SET') and per-source limits. */
	TCFW_STAT_DYNSET_ADDED,        /* sources a rule's 'add @SET' put into a dynamic set */
	TCFW_STAT_DYNSET_ADD_LIMITED,  /* additions refused: the set's rate of additions */
	TCFW_STAT_DYNSET_ADD_FAILED,   /* additions refused: the element table is full */
	TCFW_STAT_LIMIT_SRC_EXHAUSTED, /* per-source limit: that source's bucket was empty */
	TCFW_STAT_MAX,
};

/* ---- connection tracking ---------------------------------------------------------------- */
/*
 * A connection tuple as seen in one direction. Ports in network byte order. ICMP/ICMPv6 echo:
 * a request is keyed (src, dst, sport = id, dport = 0), a reply (src, dst, sport = 0,
 * dport = id), so the reply tuple is exactly the swapped request tuple. Protocols without
 * ports use 0/0.
 */
struct tcfw_tuple {
	__u32 src[4];
	__u32 dst[4];
	__u16 sport;
	__u16 dport;
	__u8 proto;
	__u8 family; /* enum tcfw_family */
	__u8 pad[2];
};

struct tcfw_ct_counters {
	__u64 packets;
	__u64 bytes;
};

/* NAT applied to a connection (filled by the NAT chains; all zero when not translated). */
enum tcfw_nat_kind {
	TCFW_NAT_NONE = 0,
	TCFW_NAT_SNAT = 1 << 0,
	TCFW_NAT_DNAT = 1 << 1,
};

/* tcfw_ct_entry.flags */
enum tcfw_ct_flags {
	TCFW_CTF_SEEN_REPLY = 1 << 0,
	TCFW_CTF_ASSURED = 1 << 1,
	TCFW_CTF_LOG = 1 << 2,         /* accepted by a rule with 'log' */
	TCFW_CTF_TCP_SIMOPEN = 1 << 3, /* TCP simultaneous open seen (SYN from both sides) */
};

/*
 * The fast path's memory of one direction's next hop (bpf/lib/fastpath.h): the answer of
 * bpf_fib_lookup(), reused for packets of the same direction until until_tick, so that a flow
 * asks the kernel's routing table once per tcfw_config.nexthop_cache_us, not once per packet.
 * 28 bytes, no 8-byte member: two of them fill 56 bytes of the connection, not 64.
 */
struct tcfw_ct_nexthop {
	__u32 until_tick;  /* reused while tcfw_nh_tick(bpf_ktime_get_coarse_ns()) is before it
	                    * (compared modulo 2^32); 0: nothing kept */
	__u32 ifindex_in;  /* the device the lookup was made for (the packets' input) */
	__u32 ifindex_out; /* the device the route leaves by */
	__u16 len_ok;      /* the largest IP length (or GSO segment) the route was asked for and
	                    * took: a longer packet asks again (MTU) */
	__u8 tos;          /* IPv4 TOS / IPv6 traffic class the lookup was made with */
	__u8 pad;
	__u8 dmac[6]; /* the next hop's */
	__u8 smac[6]; /* the output device's */
};

/*
 * What the datapath knows of one direction's TCP sequence space, netfilter's ip_ct_tcp_state:
 * the window a segment of that direction must fall in (bpf/lib/tcp_window.h). Sequence numbers
 * in host order. All zero: the direction's window is not known yet (learnt from its next
 * segment). Its window scale and flags live in tcp_wscale[] / tcp_wflags[] of the entry.
 */
struct tcfw_tcp_window {
	__u32 td_end;    /* highest seq + length this direction sent */
	__u32 td_maxend; /* right edge: highest ack + window the other direction gave it */
	__u32 td_maxwin; /* largest window this direction advertised (scaled), at least 1 */
	__u32 td_maxack; /* highest ack this direction sent (TCFW_TCPW_MAXACK_SET) */
};

/* tcfw_ct_entry.tcp_wflags[] */
enum tcfw_tcp_window_flags {
	TCFW_TCPW_WSCALE = 1 << 0,        /* its SYN carried the window scale option */
	TCFW_TCPW_MAXACK_SET = 1 << 1,    /* td_maxack holds an ack it sent */
	TCFW_TCPW_SCALE_GUESSED = 1 << 2, /* picked up mid-stream: the scale is assumed the
	                                   * largest (14), so no window is judged too narrow */
	TCFW_TCPW_LIBERAL = 1 << 3,       /* a fragmented segment was seen: its length is unknown,
	                                   * so data and ACKs are not checked (RSTs still are) */
};

/* tcfw_ct_entry.kind */
enum tcfw_ct_kind {
	TCFW_CTK_MAIN = 0, /* a connection */
	TCFW_CTK_REF = 1,  /* the key of a NAT connection's reply tuple: points to its main key */
};

/*
 * Map "ct": one table for both directions, keyed by the normalized tuple (tcfw_ct_key(), the
 * lower endpoint first), so that a packet of either direction of a connection without NAT
 * finds it with one lookup and a new one costs one insert.
 *
 * A connection's entry (kind TCFW_CTK_MAIN) is stored under the key of its orig tuple;
 * orig_swapped says whether the orig tuple is the key reversed. With NAT the reply tuple
 * normalizes to another key: a reference entry (kind TCFW_CTK_REF) there holds the main key
 * in main_key, so a reply costs two lookups. The reference entry is also the NAT binding: a
 * translated port is taken exactly when its key exists (bpf/lib/nat/new_conn.h). Its other
 * fields are zero.
 */
struct tcfw_ct_entry {
	/*
	 * No bpf_spin_lock: the kernel refuses one inside LRU hash values (EOPNOTSUPP), so the
	 * datapath changes state and flags with one compare-and-swap of state_word.
	 */
	union {
		__u32 state_word; /* the next four bytes as one word, for compare-and-swap */
		struct {
			__u8 state; /* enum tcfw_ct_state */
			__u8 chain; /* enum tcfw_chain that admitted it: input, forward or output */
			__u8 flags; /* enum tcfw_ct_flags */
			__u8 nat_kind; /* enum tcfw_nat_kind */
		};
	};
	__u8 tcp_last_dir;    /* direction of the last packet that changed state */
	__u8 tcp_last_index;  /* netfilter's packet class of that packet */
	__u8 kind;            /* enum tcfw_ct_kind */
	__u8 orig_swapped;    /* 1: the orig tuple is the key reversed (its src is the higher
	                       * endpoint) */
	__u32 ifindex_in;     /* interface the first packet arrived on (0: local) */
	__u32 ifindex_out;    /* interface the first packet left by (0: local / unknown) */
	__u32 rule_id;        /* policy rule that admitted it, 0 = the chain's default */
	__u8 tcp_wscale[2];   /* [enum tcfw_dir] TCP: the shift of that direction's windows */
	__u8 tcp_wflags[2];   /* [enum tcfw_dir] TCP: enum tcfw_tcp_window_flags */
	__u32 created_tick;   /* tcfw_ct_tick() of CLOCK_MONOTONIC (bpf_ktime_get_ns) */
	__u32 last_seen_tick; /* tcfw_ct_tick(): written when the tick moves, not every packet */
	struct tcfw_ct_counters ctr[2]; /* [enum tcfw_dir] */
	union {
		/* Main entry: the reply-direction tuple (with NAT, the translated one; the NAT
		 * address and port are its dst (SNAT) or src (DNAT only), see tcfw_ct_nat()). */
		struct tcfw_tuple reply;
		/* Reference entry: the key of the connection's main entry. */
		struct tcfw_tuple main_key;
	};
	struct tcfw_ct_nexthop nexthop[2]; /* [enum tcfw_dir], the fast path's only */
	struct tcfw_tcp_window tcp_win[2]; /* [enum tcfw_dir] TCP only (bpf/lib/tcp_window.h) */
};

#define TCFW_ABI_INLINE static inline __attribute__((always_inline))

/*
 * A connection's times are 32-bit ticks of 2^30 ns (1.07 s) of CLOCK_MONOTONIC, not 64-bit
 * nanoseconds: 8 bytes less per connection, as fine as expiry ever needed (last seen was kept
 * to a second before), and 32 bits of such ticks last 146 years. The datapath shifts; user
 * space converts with tcfw_ct_tick() and tcfw_ct_tick_ns().
 */
#define TCFW_CT_TICK_SHIFT 30

TCFW_ABI_INLINE __u32 tcfw_ct_tick(__u64 ns)
{
	return (__u32)(ns >> TCFW_CT_TICK_SHIFT);
}

/* The first nanosecond of a tick. */
TCFW_ABI_INLINE __u64 tcfw_ct_tick_ns(__u32 tick)
{
	return (__u64)tick << TCFW_CT_TICK_SHIFT;
}

/*
 * The fast path's next hops expire after milliseconds (tcfw_config.nexthop_cache_us), so their
 * clock ticks every 2^20 ns (1.05 ms); 32 bits of it wrap after 52 days, so it is compared
 * modulo 2^32 (tcfw_nh_before()), fine for any cache time below 26 days.
 */
#define TCFW_NH_TICK_SHIFT 20

TCFW_ABI_INLINE __u32 tcfw_nh_tick(__u64 ns)
{
	return (__u32)(ns >> TCFW_NH_TICK_SHIFT);
}

/* Is tick a before tick b (modulo 2^32)? */
TCFW_ABI_INLINE int tcfw_nh_before(__u32 a, __u32 b)
{
	return (__s32)(a - b) < 0;
}

/*
 * tcfw_ct_key() - the key of map "ct" for tuple t (either direction): its two endpoints
 * (address, port) in ascending order, as Calico does, so that a tuple and its reverse share
 * one key. The order compares the address words as stored, then the ports as stored: any
 * total order serves, as long as the datapath and user space use this one function. Returns
 * 1 when t's src is the higher endpoint (the key is t reversed), else 0 (the key is t; also
 * when both endpoints are equal). k may not be t.
 */
TCFW_ABI_INLINE int tcfw_ct_key(struct tcfw_tuple *k, const struct tcfw_tuple *t)
{
	int swap = t->sport > t->dport, i;

	for (i = 0; i < 4; i++) {
		if (t->src[i] != t->dst[i]) {
			swap = t->src[i] > t->dst[i];
			break;
		}
	}
	/* Two plain copies rather than a choice per field: fewer live values, which the BPF
	 * compiler would otherwise spill to the stack. */
	if (swap) {
		for (i = 0; i < 4; i++) {
			k->src[i] = t->dst[i];
			k->dst[i] = t->src[i];
		}
		k->sport = t->dport;
		k->dport = t->sport;
	} else {
		for (i = 0; i < 4; i++) {
			k->src[i] = t->src[i];
			k->dst[i] = t->dst[i];
		}
		k->sport = t->sport;
		k->dport = t->dport;
	}
	k->proto = t->proto;
	k->family = t->family;
	k->pad[0] = 0;
	k->pad[1] = 0;
	return swap;
}

/* The orig tuple of the connection whose main entry e is stored under key k. */
TCFW_ABI_INLINE void tcfw_ct_orig(struct tcfw_tuple *orig, const struct tcfw_tuple *k,
                                  const struct tcfw_ct_entry *e)
{
	int swap = e->orig_swapped, i;

	for (i = 0; i < 4; i++) {
		orig->src[i] = swap ? k->dst[i] : k->src[i];
		orig->dst[i] = swap ? k->src[i] : k->dst[i];
	}
	orig->sport = swap ? k->dport : k->sport;
	orig->dport = swap ? k->sport : k->dport;
	orig->proto = k->proto;
	orig->family = k->family;
	orig->pad[0] = 0;
	orig->pad[1] = 0;
}

/* The address and port a NAT connection translates to, from its reply tuple: the source's
 * (SNAT, masquerade) or else the destination's (DNAT). Zero when not translated. */
TCFW_ABI_INLINE void tcfw_ct_nat(const struct tcfw_ct_entry *e, __u32 addr[4], __u16 *port)
{
	const __u32 *a = (e->nat_kind & TCFW_NAT_SNAT) ? e->reply.dst : e->reply.src;
	int i;

	for (i = 0; i < 4; i++)
		addr[i] = e->nat_kind ? a[i] : 0;
	*port = !e->nat_kind ? 0 : (e->nat_kind & TCFW_NAT_SNAT) ? e->reply.dport : e->reply.sport;
}

/*
 * The orig tuple of a connection with DNAT as it crosses the gateway between ingress (which
 * rewrote the destination) and egress (which has yet to rewrite the source): the key of map
 * "nat_alias". From the orig tuple and the reply tuple alone, so the datapath and fwd's state
 * replication (which writes the alias of a connection it receives) agree.
 */
TCFW_ABI_INLINE void tcfw_ct_nat_middle(struct tcfw_tuple *m, const struct tcfw_tuple *orig,
                                        const struct tcfw_tuple *reply)
{
	int i;

	for (i = 0; i < 4; i++) {
		m->src[i] = orig->src[i];
		m->dst[i] = reply->src[i];
	}
	m->sport = orig->sport;
	m->dport = reply->sport;
	m->proto = orig->proto;
	m->family = orig->family;
	m->pad[0] = 0;
	m->pad[1] = 0;
}

/* ---- configuration and policy ----------------------------------------------------------- */
/*
 * The layout of every map and struct in this file. A fwd refuses to take over maps (pinned, or
 * found through the programs attached to its interfaces) whose owner record names another
 * version, instead of reading them as garbage.
 */
#define TCFW_ABI_VERSION 8

/*
 * Who runs a datapath: written by fwd into map "config" when it starts. Another fwd that
 * finds these programs attached to an interface, or this pin dir locked, reads it to name the
 * owner (and to tell a live one, which it must leave alone, from one that is gone, whose
 * datapath it may take over). The datapath never reads it.
 */
struct tcfw_owner {
	__u32 abi_version; /* TCFW_ABI_VERSION of the fwd that wrote it; 0: written by none */
	__u32 pid;
	__u64 start_time; /* the process's start time (/proc/PID/stat field 22, clock ticks since
	                   * boot): a pid reused by another process does not match it */
	char socket[108]; /* control socket path */
	char pin_dir[256];
};

/* Map "config", one entry at index 0. Written by fwd only. */
struct tcfw_config {
	__u32 policy_active;    /* index (0/1) of the live policy copy */
	__u32 flags;            /* enum tcfw_config_flags */
	__u32 nexthop_cache_us; /* how long the fast path reuses a flow's next hop (struct
	                         * tcfw_ct_nexthop); 0: it asks the routing table every packet */
	__u32 pad32;
	__u64 pad;
	struct tcfw_owner owner;
};

/* fwd's nexthop_cache_us: a route or neighbour change reaches established flows this late at
 * most, for one routing lookup per flow direction per 10 ms instead of one per packet. */
#define TCFW_NEXTHOP_CACHE_US_DEFAULT 10000

/* tcfw_config.flags */
enum tcfw_config_flags {
	TCFW_CFG_EVENTS_NEW = 1 << 0,   /* emit a TCFW_EV_NEW event for every new connection */
	TCFW_CFG_NO_FAST_PATH = 1 << 1, /* established packets take the kernel's forwarding path
	                                 * too (bpf/lib/fastpath.h) */
	TCFW_CFG_TCP_LIBERAL = 1 << 2,  /* netfilter's nf_conntrack_tcp_be_liberal: only RSTs are
	                                 * held to the TCP window (asymmetric paths) */
};

/*
 * skb->mark of a reply the datapath made at egress (the reject of a packet the gateway itself
 * sent) and turned back into the stack with bpf_redirect(BPF_F_INGRESS): tcfw_ingress lets it
 * through untracked and clears the mark. A packet from the wire carries no mark; only a local
 * sender with CAP_NET_ADMIN (SO_MARK) over a veth inside the same namespace could forge it.
 */
#define TCFW_MARK_OWN_REPLY 0x74637277 /* "tcrw" */

/* Map "pol_meta", one entry per policy copy: everything policy-wide. */
struct tcfw_policy_meta {
	__u64 generation;
	__u32 timeouts[TCFW_CT_STATE_MAX];           /* seconds, indexed by enum tcfw_ct_state */
	__u8 default_verdict[TCFW_CHAIN_OUTPUT + 1]; /* enum tcfw_verdict per filter chain */
	__u8 invalid_verdict;                        /* TCFW_VERDICT_DROP or TCFW_VERDICT_ACCEPT */
	__u32 nwords[TCFW_CHAIN_MAX];                /* bitmap words in use: ceil(rules / 64) */
	__u32 nrules[TCFW_CHAIN_MAX];
	/* Appended (layout version 3): 1 when the chain's default has 'log', so that a new
	 * connection the default decides gives a TCFW_EV_LOG event with rule_id 0. The struct
	 * had no tail padding to put it in; pad_log makes the new size (128) explicit. */
	__u8 default_log[TCFW_CHAIN_OUTPUT + 1];
	__u8 pad_log[5];
};

/* Map "ifaces": ifindex -> interface. zone[] is per policy copy so a reload switches atomically. */
#define TCFW_ZONE_NONE 0xff
enum tcfw_iface_flags {
	TCFW_IFF_QDISC_OURS = 1 << 0, /* fwd created the clsact qdisc and removes it on stop */
};
struct tcfw_iface {
	__u8 zone[TCFW_POLICY_COPIES];
	__u8 pad[2];
	__u32 flags;
	/* NAT: the interface's primary IPv4 address (network order, 0 = none), what masquerade
	 * gives connections leaving by it. fwd keeps it current from netlink address events. */
	__u32 masq_addr4;
};

/* Map "local_addrs": an address of the gateway itself -> ifindex (from netlink by fwd). */
struct tcfw_addr_key {
	__u32 addr[4];
};

/*
 * Rule classification: bit vectors, so the cost does not grow with the rule count.
 * For a new connection on chain C, each field (zones, addresses, protocol, ports, family) is
 * looked up once and yields a class id; a class is the bitmap of the rules of C that match
 * every value of that class. ANDing the field bitmaps and taking the lowest set bit gives the
 * first matching rule. A class also carries a summary bitmap (bit i set when word i is
 * non-zero) so only words that can match are visited.
 *
 * Address fields use LPM tries ("pol_src", "pol_dst") keyed by tcfw_lpm_key with
 * prefixlen = 32 + (16-byte prefix length); scalar fields use one array "pol_scalar" indexed
 * by TCFW_SCALAR_INDEX. Every key carries the policy copy, so the standby copy is filled
 * while the active one serves, and a single write of tcfw_config.policy_active switches.
 */
struct tcfw_lpm_key {
	__u32 prefixlen;
	__u8 copy;
	__u8 chain;
	__u8 pad[2];
	__u32 addr[4];
};

enum tcfw_scalar_field {
	TCFW_SF_IN_ZONE = 0, /* TCFW_MAX_ZONES slots, zone TCFW_ZONE_NONE -> slot 63 */
	TCFW_SF_OUT_ZONE,
	TCFW_SF_PROTO,  /* 256 */
	TCFW_SF_FAMILY, /* 2: 0 = ip, 1 = ip6 */
	TCFW_SF_SPORT,  /* 65537: slot 65536 = protocol without ports */
	TCFW_SF_DPORT,
	TCFW_SF_MAX,
};
#define TCFW_SCALAR_OFF_IN_ZONE  0
#define TCFW_SCALAR_OFF_OUT_ZONE (TCFW_SCALAR_OFF_IN_ZONE + TCFW_MAX_ZONES)
#define TCFW_SCALAR_OFF_PROTO    (TCFW_SCALAR_OFF_OUT_ZONE + TCFW_MAX_ZONES)
#define TCFW_SCALAR_OFF_FAMILY   (TCFW_SCALAR_OFF_PROTO + 256)
#define TCFW_SCALAR_OFF_SPORT    (TCFW_SCALAR_OFF_FAMILY + 2)
#define TCFW_SCALAR_OFF_DPORT    (TCFW_SCALAR_OFF_SPORT + 65537)
#define TCFW_SCALAR_NOPORT       65536
#define TCFW_SCALAR_BLOCK        (TCFW_SCALAR_OFF_DPORT + 65537)
#define TCFW_SCALAR_INDEX(copy, chain, off, v)                                                     \
	((((copy)*TCFW_CHAIN_MAX + (chain)) * TCFW_SCALAR_BLOCK) + (off) + (v))
#define TCFW_SCALAR_ENTRIES (TCFW_POLICY_COPIES * TCFW_CHAIN_MAX * TCFW_SCALAR_BLOCK)

/* Map "pol_class": (copy << 31 | class id) -> bitmap. */
#define TCFW_CLASS_KEY(copy, id) (((__u32)(copy) << 31) | (id))
struct tcfw_class {
	__u64 summary[TCFW_POLICY_SUMMARY_WORDS];
	__u64 w[TCFW_POLICY_WORDS];
};

/* Map "pol_rules": TCFW_RULE_INDEX(copy, chain, position) -> rule. */
#define TCFW_RULE_INDEX(copy, chain, pos)                                                          \
	((((copy)*TCFW_CHAIN_MAX + (chain)) * TCFW_POLICY_MAX_RULES) + (pos))
#define TCFW_RULE_ENTRIES (TCFW_POLICY_COPIES * TCFW_CHAIN_MAX * TCFW_POLICY_MAX_RULES)
enum tcfw_rule_flags {
	TCFW_RULEF_LOG = 1 << 0,
	TCFW_RULEF_LIMIT = 1 << 1,
	TCFW_RULEF_DYNSET = 1 << 2,    /* from/to a dynamic set: dyn_src / dyn_dst */
	TCFW_RULEF_LIMIT_SRC = 1 << 3, /* 'limit ... per source': one bucket per source address */
	TCFW_RULEF_ADD = 1 << 4,       /* 'add @SET': the source goes into dynamic set dyn_add */
};
/* tcfw_rule.dyn_neg */
enum tcfw_rule_dyn_neg {
	TCFW_DYN_SRC_NEG = 1 << 0, /* from !@SET */
	TCFW_DYN_DST_NEG = 1 << 1, /* to !@SET */
};
struct tcfw_rule {
	__u32 id;     /* stable rule id shown by fwctl (1-based) */
	__u8 verdict; /* enum tcfw_verdict; NAT chains: enum tcfw_nat_kind */
	__u8 flags;   /* enum tcfw_rule_flags */
	__u16 pad;
	__u32 limit_rate;     /* new connections per limit_period_s */
	__u32 limit_period_s; /* 1 or 60 */
	/* NAT chains only: translation target (masquerade: nat_flags has TCFW_NATF_MASQ). */
	__u32 nat_addr_lo[4];
	__u32 nat_addr_hi[4];
	__u16 nat_port_lo; /* host order; 0 = keep ports */
	__u16 nat_port_hi;
	__u32 nat_flags;
	/* For fwd only (the datapath does not read them): FNV-1a of the rule's normal form
	 * without its id, and of its comment (0: none). A new policy, or a new fwd finding this
	 * copy pinned, gives an unchanged rule the hit counts of its old slot. */
	__u32 content_hash;
	__u32 comment_hash;
	/* Appended (layout version 7). */
	__u32 limit_burst; /* tokens the bucket holds ('burst N'); the compiler writes limit_rate
	                    * when the rule has none */
	__u8 dyn_src;      /* 'from @SET' of a dynamic set: its id + 1 (0: none); classified as
	                    * "any source", then checked against map "dynset" (classify.h) */
	__u8 dyn_dst;      /* 'to @SET' likewise */
	__u8 dyn_add;      /* 'add @SET': the set's id + 1 */
	__u8 dyn_neg;      /* enum tcfw_rule_dyn_neg */
};
enum tcfw_nat_flags {
	TCFW_NATF_MASQ = 1 << 0,
};

/* Map "pol_limit": per rule slot token bucket for 'limit N/second|minute'. */
struct tcfw_limit_state {
	struct bpf_spin_lock lock;
	__u32 pad;
	__u64 tokens_milli; /* tokens * 1000 */
	__u64 last_ns;
};

/*
 * 'limit N/second|minute per source' (bpf/lib/limit.h): map "limit_src", an LRU hash keyed by
 * the rule's slot, the policy generation (so that a reload, which may give the slot another
 * rule, starts afresh) and the source address; the value is the bucket's theoretical arrival
 * time (GCRA), moved by compare-and-swap (LRU values may hold no spin lock).
 */
struct tcfw_limit_src_key {
	__u32 slot; /* TCFW_RULE_INDEX(copy, chain, pos) */
	__u32 gen;  /* low 32 bits of pol_meta.generation */
	__u32 addr[4];
};
struct tcfw_limit_src {
	__u64 tat_ns; /* when the bucket is full again (bpf_ktime_get_ns time) */
};

/*
 * Dynamic sets (bpf/lib/dynset.h; fwd and fwctl through lib/dynset.c). Their elements live
 * outside the policy copies, so they survive reloads and restarts: map "dynset" is one LPM trie
 * keyed by (set id, prefix), prefixlen = 32 + 16-byte prefix length, value the element.
 * Map "dynset_meta" [TCFW_DYNSET_MAX] says which ids are in use, by which name and flags:
 * fwd matches a loaded policy's dynamic sets to ids by name, so that a set kept by a reload
 * (or found pinned by a new fwd) keeps its elements.
 */
struct tcfw_dynset_key {
	__u32 prefixlen;
	__u32 set; /* id, 0 .. TCFW_DYNSET_MAX - 1 */
	__u32 addr[4];
};
enum tcfw_dynset_elem_flags {
	TCFW_DSE_POLICY = 1 << 0,   /* written in the policy: kept in step with the file */
	TCFW_DSE_DATAPATH = 1 << 1, /* put there by a rule's 'add @SET' */
};
struct tcfw_dynset_elem {
	__u64 expires_ns; /* bpf_ktime_get_ns time it stops matching; 0: never */
	__u32 flags;      /* enum tcfw_dynset_elem_flags */
	__u8 plen;        /* the key's 16-byte prefix length (the datapath cannot see the key) */
	__u8 pad[3];
};
enum tcfw_dynset_meta_flags {
	TCFW_DSM_IN_USE = 1 << 0,
};
struct tcfw_dynset_meta {
	char name[72];   /* NUL-terminated, at most 64 characters */
	__u32 flags;     /* enum tcfw_dynset_meta_flags */
	__u32 timeout_s; /* default element timeout; 0: elements never expire */
	__u32 pad;
	/* 'add @SET' additions into this set: TCFW_DYNSET_ADD_RATE a second (limit.h's bucket,
	 * zeroed = full). Not written by fwd after the set is created. */
	struct tcfw_limit_state add_bucket;
};

/*
 * The XDP pre-filter (policy statement 'prefilter ZONE { ... }', bpf/lib/prefilter.h).
 * Map "pre_meta", one entry per policy copy: the zones (bit = zone id) whose interfaces drop
 * early. Map "pre_src": LPM trie keyed by tcfw_lpm_key (copy set, chain 0, prefixlen 32 +
 * 16-byte prefix length) -> the zones (bit mask) in which that source is dropped. The
 * compiler gives every prefix the zones of the prefixes that cover it, so the one longest
 * match answers for every zone.
 */
struct tcfw_prefilter_meta {
	__u64 zones_blocked;   /* zones with at least one 'drop from @set' */
	__u64 zones_untracked; /* zones with 'drop untracked' */
};

/* ---- events (ring buffer "events") -------------------------------------------------------- */
enum tcfw_event_type {
	TCFW_EV_NEW = 1,     /* connection created */
	TCFW_EV_DESTROY = 2, /* emitted by fwd, not the datapath */
	TCFW_EV_LOG = 3,     /* a rule with 'log' matched, or a logged default */
	TCFW_EV_INVALID = 4,
};
struct tcfw_event {
	__u64 ts_ns;
	__u8 type; /* enum tcfw_event_type */
	__u8 chain;
	__u8 verdict;
	__u8 pkt_ct; /* enum tcfw_pkt_ct */
	__u32 rule_id;
	__u32 ifindex;
	__u32 pad;
	struct tcfw_tuple tuple;
};

/* ---- pinned map names ------------------------------------------------------------------- */
#define TCFW_MAP_CT          "ct"
#define TCFW_MAP_STATS       "stats"
#define TCFW_MAP_CONFIG      "config"
#define TCFW_MAP_POL_META    "pol_meta"
#define TCFW_MAP_IFACES      "ifaces"
#define TCFW_MAP_LOCAL_ADDRS "local_addrs"
#define TCFW_MAP_EVENTS      "events"
#define TCFW_MAP_POL_SCALAR  "pol_scalar"
#define TCFW_MAP_POL_SRC     "pol_src"
#define TCFW_MAP_POL_DST     "pol_dst"
#define TCFW_MAP_POL_CLASS   "pol_class"
#define TCFW_MAP_POL_RULES   "pol_rules"
#define TCFW_MAP_POL_LIMIT   "pol_limit"
#define TCFW_MAP_POL_HITS    "pol_hits" /* per-CPU __u64 per TCFW_RULE_INDEX slot */
/* per-CPU __u64 per TCFW_RULE_INDEX slot: the bytes (IP length) of the packets a filter rule
 * decided, beside its hits */
#define TCFW_MAP_POL_BYTES "pol_bytes"
#define TCFW_MAP_NAT_ALIAS "nat_alias" /* NAT: post-DNAT orig tuple -> orig tuple (see nat.h) */
#define TCFW_MAP_PRE_META  "pre_meta"  /* XDP pre-filter: struct tcfw_prefilter_meta per copy */
#define TCFW_MAP_PRE_SRC   "pre_src"   /* XDP pre-filter: source prefix -> zone mask */

/* Layout version 7. */
#define TCFW_MAP_POL_LIMITED "pol_limited" /* per-CPU __u64 per rule slot: what 'limit' refused */
#define TCFW_MAP_LIMIT_SRC   "limit_src"   /* 'limit ... per source' buckets (LRU) */
#define TCFW_MAP_DYNSET      "dynset"      /* dynamic set elements (LPM) */
#define TCFW_MAP_DYNSET_META "dynset_meta" /* dynamic set ids: name, flags, timeout */

/* ---- drops by reason and chain (map "drops") --------------------------------------------- */
/*
 * What the policy dropped, with the chain that decided: per-CPU __u64 per
 * TCFW_DROP_INDEX(reason, chain). The same packets are in stat verdict_drop / verdict_reject,
 * which do not say which chain, nor tell an invalid packet from a new connection. An invalid
 * packet is dropped before any chain is chosen: chain TCFW_DROP_CHAIN_NONE.
 */
enum tcfw_drop_reason {
	TCFW_DROP_POLICY = 0,  /* a rule or the chain's default: drop */
	TCFW_DROP_REJECT = 1,  /* a rule or the chain's default: reject (a reply is sent) */
	TCFW_DROP_INVALID = 2, /* conntrack said invalid, pol_meta.invalid_verdict drop */
	TCFW_DROP_REASON_MAX = 3,
};
#define TCFW_DROP_CHAIN_NONE           TCFW_CHAIN_MAX
#define TCFW_DROP_INDEX(reason, chain) ((reason) * (TCFW_CHAIN_MAX + 1) + (chain))
#define TCFW_DROP_ENTRIES              (TCFW_DROP_REASON_MAX * (TCFW_CHAIN_MAX + 1))
#define TCFW_MAP_DROPS                 "drops"

#endif /* TCFW_ABI_H */
