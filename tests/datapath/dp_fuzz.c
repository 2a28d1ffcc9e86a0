// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * dp_fuzz.c - hostile packets through the real datapath: a million (DP_FUZZ_PACKETS) random,
 * mutated and well-formed packets through tcfw_ingress (lan0, wan0) and tcfw_egress (local and
 * forwarded) with bpf_prog_test_run_opts, checked against a model of the policy and against
 * invariants of the maps and counters.
 *
 * Run explicitly, never by a plain dp_test (it takes tens of seconds):
 *   build/tests/datapath/dp_test fuzz                         the CI run: fixed seed, 1M packets
 *   DP_FUZZ_SEED=42 DP_FUZZ_PACKETS=100000000 build/tests/datapath/dp_test fuzz
 * A failure names the seed and the packet's index, and dumps the packet: the same seed and
 * count replay the same run (the concurrent share apart, whose interleaving is the kernel's).
 *
 * The policy (FUZZ_POLICY) drops by default and accepts a few things, with a masquerade.
 * Packets come from a small pool of addresses and ports, so that they hit existing connections
 * often; a share replays packets of connections read back from map ct (either direction, TCP
 * flags following the state), so the stateful paths run too. Generators: TCP/UDP/ICMP/ICMPv6
 * and another protocol over IPv4 and IPv6, with VLAN tags, IPv4 options, IPv6 extension
 * chains, fragments (first, later, overlapping, tiny), ICMP errors quoting known, unknown and
 * forged flows, TCP with any flags and random numbers and window scale; then, for about half,
 * mutations: bit flips, random bytes, truncation at a layer boundary, bogus IHL, data offset
 * and lengths, appended garbage, or all random bytes.
 *
 * Checked after every packet:
 *  - the run succeeds and returns TC_ACT_OK, TC_ACT_SHOT or TC_ACT_REDIRECT;
 *  - a well-formed first packet (no connection for its tuple in either map before the run)
 *    that the model of the policy drops gets TC_ACT_SHOT and leaves no entry; one the model
 *    accepts (UDP, ICMP echo request, plain SYN) gets TC_ACT_OK and an entry with the chain
 *    and rule id the model names, unless the table or the port range was full (counted);
 *  - an echo reply or a TCP packet other than a SYN with no connection is dropped (invalid).
 * Checked every FUZZ_BATCH packets, walking both maps (and at the end):
 *  - every entry: a state of its protocol, only known flag bits, chain input/forward/output
 *    that fits where it came from, a rule id the model gives for its tuple and interfaces (no
 *    connection the policy forbids), window scale and flags in range;
 *  - every ct entry has its reply half pointing back; every reply half points to a live entry
 *    whose reply tuple is that half's key; without NAT the reply tuple is the orig reversed,
 *    with NAT (masquerade, IPv4 forward out wan only) it carries the public address;
 *  - counters: packets and bytes equal what was sent through counted hooks; accept equals
 *    ct_new; drop equals the drops map (policy + invalid), invalid equals invalid drops, no
 *    rejects; the packet classes add up to at most the packets; a half found without the
 *    other (evictions_suspected) only as often as replies raced their connection's creation;
 *    entries created since the last walk are no more than ct_new grew, and every older entry
 *    was there at the last walk.
 * Concurrency: a share of the packets (first packets of new flows, and packets of existing
 * ones) run from two threads pinned to CPU 0 and CPU 1 at the same time, as the kernel's
 * conntrack_clash test does: a flow opened from both CPUs at once must exist once, with one
 * ct_new, and both copies get the same verdict. A third of those pairs race a masqueraded
 * connection's first packet against its predicted reply (run_reply_race()).
 *
 * To keep the table from filling for good, the harness plays fwd's expiry: when map ct holds
 * more than FUZZ_CT_HIGH entries after a walk, it deletes half of them, both halves each.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "ctmap.h"
#include "names.h"
#include "tcfw.skel.h"

#include "dp_nat.h"

#define FUZZ_SEED_DEFAULT    0x7463667775ULL /* "tcfwu" */
#define FUZZ_PACKETS_DEFAULT 1000000ULL
#define FUZZ_BATCH           10000
#define FUZZ_CT_HIGH         3000 /* of the 4096 entries dpn_setup() gives map ct */
#define FUZZ_SNAP_MAX        1024
#define FUZZ_MAX_FAILURES    20 /* stop after this many: the first ones say it all */

/* Rule positions below are what the model evaluates; their ids are read from pol_rules. */
static const char FUZZ_POLICY[] =
    "zone lan { lan0 }\n"
    "zone wan { wan0 }\n"
    "defaults { input drop; forward drop; output drop; invalid drop }\n"
    "forward accept in lan out wan\n"
    "forward accept in wan proto tcp dport 8000\n"
    "input accept proto icmp\n"
    "output accept proto udp dport 53\n"
    "nat masquerade out wan\n";

/* ---- randomness: splitmix64, one state per thread ------------------------------------------ */
static uint64_t rnd(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint32_t below(uint64_t *s, uint32_t n)
{
	return (uint32_t)(rnd(s) % n);
}

static bool chance(uint64_t *s, unsigned int percent)
{
	return below(s, 100) < percent;
}

#define PICK(s, arr) ((arr)[below(s, sizeof(arr) / sizeof((arr)[0]))])

/* ---- the address pool -------------------------------------------------------------------- */
static const char *const clients4[] = {"192.0.2.10", "192.0.2.11", DP_FP_CLIENT};
static const char *const clients6[] = {"2001:db8:1::10", DP_FP_CLIENT6};
static const char *const servers4[] = {"203.0.113.5", "198.51.100.20", DP_FP_SERVER};
static const char *const servers6[] = {"2001:db8:3::5", "2001:db8:2::20", DP_FP_SERVER6};
/* Destinations a packet from either side may be sent to: all of the above, the gateway's own
 * (IPv4 ones are in local_addrs, IPv6 ones are not), broadcast and multicast, no route. */
static const char *const others4[] = {"192.0.2.1", "198.51.100.1", "255.255.255.255", "224.0.0.1",
                                      "10.9.9.9"};
static const char *const others6[] = {"2001:db8:1::1", "2001:db8:2::1", "ff02::1", "2001:db8:9::9"};
static const uint16_t ports[] = {80, 443, 8000, 53, 40000, 40001, 1023, 8000};

struct fuzz;

/* A packet made by a generator. */
struct fz_pkt {
	struct pkt p;
	enum dp_hook hook;
	const char *kind; /* what made it, for messages */
	bool mutated;
	/* A well-formed packet whose tuple is known (not a fragment, not an ICMP error): the
	 * per-packet model applies to it. */
	bool modelled;
	bool l2_bcast;
	bool echo_reply; /* ICMP echo reply: invalid without a connection */
	uint8_t tcp_flags;
	struct tcfw_tuple tuple;
};

struct snap {
	struct tcfw_tuple key;
	struct tcfw_ct_entry e;
};

/* The worker on CPU 1 and the main thread on CPU 0 run the same packet at once. */
struct clash {
	pthread_t th;
	pthread_barrier_t go, done;
	const struct fz_pkt *pkt;
	struct fuzz *z;
	int err;
	int retval;
	bool stop;
	bool started;
};

struct fuzz {
	struct dp *t;
	uint64_t seed, npackets, rng;
	int fd_ct;
	__u32 rule_id[3][2]; /* [chain][pos]: ids of the policy's rules */
	uint64_t index;      /* of the packet being run */
	/* Counted by the harness */
	uint64_t runs[6], counted, counted_bytes, shot, ok, redirect, modelled, model_new,
	    model_drop, model_accept, clash_pairs, reply_races, refused, walks, expired,
	    entries_checked;
	uint64_t stat_new_prev;
	/* The last walk: its entries (for replay), and their keys and creation stamps. */
	struct snap snap[FUZZ_SNAP_MAX];
	unsigned int nsnap;
	uint64_t *prev_ids; /* sorted hash(key) ^ created_tick of every entry at the last walk */
	size_t nprev;
	uint64_t prev_walk_ns;
	unsigned int ct_count;
	struct clash clash;
};

static bool stop_now(const struct fuzz *z)
{
	return z->t->failures >= FUZZ_MAX_FAILURES;
}

static void dump_packet(const struct fz_pkt *f)
{
	fprintf(stderr, "    packet (%s%s, %zu bytes):", f->kind, f->mutated ? ", mutated" : "",
	        f->p.len);
	for (size_t i = 0; i < f->p.len && i < 128; i++)
		fprintf(stderr, "%s%02x", i % 32 ? " " : "\n     ", f->p.b[i]);
	fputc('\n', stderr);
}

static void pkt_fail(struct fuzz *z, const struct fz_pkt *f, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void pkt_fail(struct fuzz *z, const struct fz_pkt *f, const char *fmt, ...)
{
	char step[96], msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(step, sizeof(step), "seed %" PRIu64 ", packet %" PRIu64, z->seed, z->index);
	dp_fail(z->t, step, "%s", msg);
	if (f)
		dump_packet(f);
}

/* ---- addresses and tuples ------------------------------------------------------------------ */
static void addr16(uint32_t a[4], int family, const char *text)
{
	memset(a, 0, 16);
	if (family == 4) {
		a[2] = htonl(0xffff);
		inet_pton(AF_INET, text, &a[3]);
	} else {
		inet_pton(AF_INET6, text, a);
	}
}

static const char *addr_text(const uint32_t a[4], int family, char *buf)
{
	return inet_ntop(family == 4 ? AF_INET : AF_INET6, family == 4 ? (const void *)&a[3] : a,
	                 buf, INET6_ADDRSTRLEN);
}

static bool addr_is(const uint32_t a[4], int family, const char *text)
{
	uint32_t b[4];

	addr16(b, family, text);
	return !memcmp(a, b, 16);
}

static bool in_prefix4(const uint32_t a[4], uint32_t net, int len)
{
	return (ntohl(a[3]) >> (32 - len)) == (net >> (32 - len));
}

static bool in_prefix6_64(const uint32_t a[4], const char *net)
{
	uint32_t b[4];

	addr16(b, 6, net);
	return a[0] == b[0] && a[1] == b[1];
}

static void tuple_reverse(struct tcfw_tuple *r, const struct tcfw_tuple *t)
{
	*r = *t;
	memcpy(r->src, t->dst, 16);
	memcpy(r->dst, t->src, 16);
	r->sport = t->dport;
	r->dport = t->sport;
}

static uint64_t tuple_hash(const struct tcfw_tuple *t)
{
	const uint8_t *b = (const uint8_t *)t;
	uint64_t h = 0xcbf29ce484222325ULL;

	for (size_t i = 0; i < sizeof(*t); i++)
		h = (h ^ b[i]) * 0x100000001b3ULL;
	return h;
}

/* ---- the model of the policy ---------------------------------------------------------------- */
enum tri { NO = 0, YES = 1, UNKNOWN = 2 };

static bool dst_local(const struct tcfw_tuple *t)
{
	return t->family == 4 &&
	       (addr_is(t->dst, 4, "192.0.2.1") || addr_is(t->dst, 4, "198.51.100.1"));
}

static bool dst_bcast_mcast(const struct tcfw_tuple *t)
{
	if (t->family == 4)
		return t->dst[3] == 0xffffffff || (ntohl(t->dst[3]) >> 28) == 0xe;
	return (ntohl(t->dst[0]) >> 24) == 0xff;
}

/* The interface the kernel routes t's destination out of: an ifindex, 0 for none, -1 when the
 * model does not say (the gateway's IPv6 addresses, no route, special addresses). */
static int route_out(const struct fuzz *z, const struct tcfw_tuple *t)
{
	if (t->family == 4) {
		if (addr_is(t->dst, 4, "192.0.2.1") || addr_is(t->dst, 4, "198.51.100.1") ||
		    addr_is(t->dst, 4, "192.0.2.0") || addr_is(t->dst, 4, "192.0.2.255") ||
		    addr_is(t->dst, 4, "198.51.100.0") || addr_is(t->dst, 4, "198.51.100.255"))
			return -1;
		if (in_prefix4(t->dst, 0xc0000200, 24))
			return z->t->ifindex_lan;
		if (in_prefix4(t->dst, 0xc6336400, 24) || in_prefix4(t->dst, 0xcb007100, 24))
			return z->t->ifindex_wan;
		return -1;
	}
	if (addr_is(t->dst, 6, "2001:db8:1::1") || addr_is(t->dst, 6, "2001:db8:2::1") ||
	    addr_is(t->dst, 6, "2001:db8:1::") || addr_is(t->dst, 6, "2001:db8:2::"))
		return -1;
	if (in_prefix6_64(t->dst, "2001:db8:1::"))
		return z->t->ifindex_lan;
	if (in_prefix6_64(t->dst, "2001:db8:2::") || in_prefix6_64(t->dst, "2001:db8:3::"))
		return z->t->ifindex_wan;
	return -1;
}

/* Does interface ifindex (-1: not known) equal want? */
static enum tri if_is(int ifindex, int want)
{
	return ifindex < 0 ? UNKNOWN : ifindex == want ? YES : NO;
}

static enum tri tri_and(enum tri a, enum tri b)
{
	if (a == NO || b == NO)
		return NO;
	return a == YES && b == YES ? YES : UNKNOWN;
}

/*
 * The policy's decision for a connection with orig tuple t on chain, from interface in to
 * interface out (-1: not known): the id of the accepting rule, 0 for the chain's default (drop),
 * or -1 when the model cannot tell.
 */
static long model_rule(const struct fuzz *z, int chain, const struct tcfw_tuple *t, int in, int out)
{
	enum tri m[2] = {NO, NO};

	switch (chain) {
	case TCFW_CHAIN_FORWARD:
		m[0] = tri_and(if_is(in, z->t->ifindex_lan), if_is(out, z->t->ifindex_wan));
		m[1] = tri_and(if_is(in, z->t->ifindex_wan),
		               t->proto == IPPROTO_TCP && ntohs(t->dport) == 8000 ? YES : NO);
		break;
	case TCFW_CHAIN_INPUT:
		m[0] = t->proto == IPPROTO_ICMP ? YES : NO;
		break;
	case TCFW_CHAIN_OUTPUT:
		m[0] = t->proto == IPPROTO_UDP && ntohs(t->dport) == 53 ? YES : NO;
		break;
	default:
		return -1;
	}
	for (int i = 0; i < 2; i++) {
		if (m[i] == UNKNOWN)
			return -1;
		if (m[i] == YES)
			return z->rule_id[chain][i];
	}
	return 0;
}

static bool hook_ingress(enum dp_hook h)
{
	return h == DP_INGRESS_LAN || h == DP_INGRESS_WAN;
}

static int hook_ifindex(const struct fuzz *z, enum dp_hook h)
{
	switch (h) {
	case DP_INGRESS_LAN:
	case DP_EGRESS_LOCAL_LAN:
	case DP_EGRESS_FWD_LAN:
		return z->t->ifindex_lan;
	default:
		return z->t->ifindex_wan;
	}
}

/* The model's decision for a first packet f: as model_rule(). */
static long model_packet(const struct fuzz *z, const struct fz_pkt *f, int *chain)
{
	const struct tcfw_tuple *t = &f->tuple;

	if (hook_ingress(f->hook)) {
		bool local = f->l2_bcast || dst_bcast_mcast(t) || dst_local(t);

		*chain = local ? TCFW_CHAIN_INPUT : TCFW_CHAIN_FORWARD;
		return model_rule(z, *chain, t, hook_ifindex(z, f->hook),
		                  local ? 0 : route_out(z, t));
	}
	*chain = TCFW_CHAIN_OUTPUT;
	return model_rule(z, *chain, t, 0, hook_ifindex(z, f->hook));
}

/* ---- building packets ------------------------------------------------------------------------ */
struct l4spec {
	int family;
	uint8_t proto;
	char src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN];
	uint16_t sport, dport; /* host order; ICMP: sport is the echo id */
	uint8_t tcp_flags;
	bool echo_reply;
};

/* The transport header (and a little payload) of s, after the IP header. */
static void put_l4(uint64_t *r, struct pkt *p, const struct l4spec *s, bool random_tcp)
{
	static const uint8_t payload[24] = "tcfw fuzz payload bytes";
	size_t plen = below(r, 4) ? sizeof(payload) : below(r, sizeof(payload) + 1);

	switch (s->proto) {
	case IPPROTO_TCP:
		if (random_tcp)
			pkt_tcp_seq(p, s->sport, s->dport, s->tcp_flags, (uint32_t)rnd(r),
			            (uint32_t)rnd(r), (uint16_t)rnd(r),
			            chance(r, 50) ? (int)below(r, 17) : -1);
		else
			pkt_tcp(p, s->sport, s->dport, s->tcp_flags);
		if (chance(r, 30))
			pkt_data(p, payload, plen);
		break;
	case IPPROTO_UDP:
		pkt_udp(p, s->sport, s->dport);
		pkt_data(p, payload, plen);
		break;
	case IPPROTO_ICMP:
		pkt_icmp(p, s->echo_reply ? 0 : 8, 0, s->sport, (uint16_t)rnd(r));
		pkt_data(p, payload, plen);
		break;
	case IPPROTO_ICMPV6:
		pkt_icmp(p, s->echo_reply ? 129 : 128, 0, s->sport, (uint16_t)rnd(r));
		pkt_data(p, payload, plen);
		break;
	default:
		pkt_data(p, payload, plen);
		break;
	}
}

/* The tuple the datapath keys s by. */
static void spec_tuple(const struct l4spec *s, struct tcfw_tuple *t)
{
	memset(t, 0, sizeof(*t));
	addr16(t->src, s->family, s->src);
	addr16(t->dst, s->family, s->dst);
	t->proto = s->proto;
	t->family = s->family == 4 ? TCFW_AF_INET : TCFW_AF_INET6;
	if (s->proto == IPPROTO_TCP || s->proto == IPPROTO_UDP) {
		t->sport = htons(s->sport);
		t->dport = htons(s->dport);
	} else if (s->proto == IPPROTO_ICMP || s->proto == IPPROTO_ICMPV6) {
		t->sport = s->echo_reply ? 0 : htons(s->sport);
		t->dport = s->echo_reply ? htons(s->sport) : 0;
	}
}

/*
 * A packet of s, with the framing extras the generator draws (VLAN, IPv4 options, IPv6
 * extension headers, broadcast MAC). Sets f->modelled when nothing about it is odd.
 */
static void build(uint64_t *r, struct fz_pkt *f, const struct l4spec *s)
{
	struct pkt *p = &f->p;
	bool vlan = chance(r, 8), random_tcp = chance(r, 40);
	uint16_t ethertype = s->family == 4 ? 0x0800 : 0x86dd;

	pkt_init(p);
	f->l2_bcast = chance(r, 3);
	pkt_eth(p, vlan ? 0x8100 : ethertype, f->l2_bcast);
	if (vlan)
		pkt_vlan(p, (uint16_t)below(r, 4096), ethertype);
	if (s->family == 4) {
		size_t optlen = chance(r, 10) ? 4 * below(r, 11) : 0;

		pkt_ipv4(p, s->src, s->dst, s->proto, optlen, (uint16_t)rnd(r),
		         chance(r, 50) ? 0x4000 : 0);
	} else {
		unsigned int n = chance(r, 15) ? below(r, 7) : 0;
		static const uint8_t types[] = {IPPROTO_HOPOPTS, IPPROTO_ROUTING, IPPROTO_DSTOPTS,
		                                IPPROTO_AH, IPPROTO_FRAGMENT};
		uint8_t chain[8];

		for (unsigned int i = 0; i < n; i++)
			chain[i] = PICK(r, types);
		/* Hop-by-hop is only allowed first; elsewhere it is the parser's test. */
		pkt_ipv6(p, s->src, s->dst, n ? chain[0] : s->proto);
		for (unsigned int i = 0; i < n; i++) {
			uint8_t next = i + 1 < n ? chain[i + 1] : s->proto;

			if (chain[i] == IPPROTO_FRAGMENT)
				pkt_ipv6_frag(p, next, 0, false, (uint32_t)rnd(r)); /* atomic */
			else if (chain[i] == IPPROTO_AH)
				pkt_ipv6_ext(p, chain[i], 12 + 4 * below(r, 3), next);
			else
				pkt_ipv6_ext(p, chain[i], 8 * (1 + below(r, 3)), next);
		}
		/* Many headers, odd orders: the parser may give up, so no model. */
		f->modelled = n <= 2 && !(n == 2 && chain[1] == IPPROTO_HOPOPTS);
	}
	put_l4(r, p, s, random_tcp);
	pkt_finish(p);
	if (s->family == 4)
		f->modelled = true;
	spec_tuple(s, &f->tuple);
	f->tcp_flags = s->tcp_flags;
	f->echo_reply = s->echo_reply;
}

static uint8_t tcp_flags_any(uint64_t *r)
{
	static const uint8_t common[] = {F_SYN,         F_SYN | F_ACK, F_ACK,         F_PSH | F_ACK,
	                                 F_FIN | F_ACK, F_RST,         F_RST | F_ACK, F_SYN};

	return chance(r, 60) ? PICK(r, common) : (uint8_t)rnd(r);
}

/* A packet between pool addresses in the direction hook sees. */
static void gen_pool(struct fuzz *z, uint64_t *r, struct fz_pkt *f)
{
	static const uint8_t protos[] = {IPPROTO_TCP, IPPROTO_TCP,  IPPROTO_TCP, IPPROTO_UDP,
	                                 IPPROTO_UDP, IPPROTO_ICMP, 47 /* GRE */};
	struct l4spec s = {.family = chance(r, 75) ? 4 : 6};
	const char *src, *dst;
	bool from_lan;

	(void)z;
	s.proto = PICK(r, protos);
	if (s.proto == IPPROTO_ICMP && s.family == 6)
		s.proto = IPPROTO_ICMPV6;
	switch (f->hook) {
	case DP_INGRESS_LAN:
	case DP_EGRESS_FWD_WAN:
		from_lan = true;
		break;
	case DP_INGRESS_WAN:
	case DP_EGRESS_FWD_LAN:
		from_lan = false;
		break;
	default:
		from_lan = f->hook == DP_EGRESS_LOCAL_LAN;
		break;
	}
	if (f->hook == DP_EGRESS_LOCAL_WAN || f->hook == DP_EGRESS_LOCAL_LAN) {
		/* The gateway's own packets, from its address on that side. */
		src = s.family == 4 ? (from_lan ? "192.0.2.1" : "198.51.100.1")
		                    : (from_lan ? "2001:db8:1::1" : "2001:db8:2::1");
		dst = s.family == 4 ? (from_lan ? PICK(r, clients4) : PICK(r, servers4))
		                    : (from_lan ? PICK(r, clients6) : PICK(r, servers6));
	} else {
		src = s.family == 4 ? (from_lan ? PICK(r, clients4) : PICK(r, servers4))
		                    : (from_lan ? PICK(r, clients6) : PICK(r, servers6));
		switch (below(r, 4)) {
		case 0:
			dst = s.family == 4 ? PICK(r, others4) : PICK(r, others6);
			break;
		case 1:
			dst = s.family == 4 ? PICK(r, clients4) : PICK(r, clients6);
			break;
		default:
			dst = s.family == 4 ? PICK(r, servers4) : PICK(r, servers6);
			break;
		}
		if (!from_lan && chance(r, 30))
			dst = s.family == 4 ? "198.51.100.1" : "2001:db8:2::1";
	}
	snprintf(s.src, sizeof(s.src), "%s", src);
	snprintf(s.dst, sizeof(s.dst), "%s", dst);
	s.sport = chance(r, 70) ? PICK(r, ports) : (uint16_t)(1024 + below(r, 64512));
	s.dport = PICK(r, ports);
	s.tcp_flags = tcp_flags_any(r);
	s.echo_reply = (s.proto == IPPROTO_ICMP || s.proto == IPPROTO_ICMPV6) && chance(r, 20);
	f->kind = "pool";
	build(r, f, &s);
}

/* A packet of a connection of the last walk, in either direction, from where that direction
 * enters the gateway. */
static bool gen_known(struct fuzz *z, uint64_t *r, struct fz_pkt *f)
{
	const struct snap *c;
	struct tcfw_tuple t;
	struct l4spec s = {0};
	int dir, in, out;

	if (!z->nsnap)
		return false;
	c = &z->snap[below(r, z->nsnap)];
	dir = chance(r, 50) ? TCFW_DIR_ORIG : TCFW_DIR_REPLY;
	t = dir == TCFW_DIR_ORIG ? c->key : c->e.reply;
	/* Where this direction comes from: the other end's interface, or the gateway. */
	in = (int)(dir == TCFW_DIR_ORIG ? c->e.ifindex_in : c->e.ifindex_out);
	out = (int)(dir == TCFW_DIR_ORIG ? c->e.ifindex_out : c->e.ifindex_in);
	if (in)
		f->hook = in == z->t->ifindex_lan ? DP_INGRESS_LAN : DP_INGRESS_WAN;
	else if (out)
		f->hook = out == z->t->ifindex_lan ? DP_EGRESS_LOCAL_LAN : DP_EGRESS_LOCAL_WAN;
	else
		return false;
	s.family = t.family == TCFW_AF_INET ? 4 : 6;
	s.proto = t.proto;
	addr_text(t.src, s.family, s.src);
	addr_text(t.dst, s.family, s.dst);
	if (t.proto == IPPROTO_ICMP || t.proto == IPPROTO_ICMPV6) {
		s.echo_reply = dir == TCFW_DIR_REPLY;
		s.sport = ntohs(s.echo_reply ? t.dport : t.sport);
	} else {
		s.sport = ntohs(t.sport);
		s.dport = ntohs(t.dport);
	}
	if (t.proto == IPPROTO_TCP) {
		if (c->e.state == TCFW_CT_TCP_SYN_SENT && dir == TCFW_DIR_REPLY && chance(r, 70))
			s.tcp_flags = F_SYN | F_ACK;
		else
			s.tcp_flags = tcp_flags_any(r);
	}
	f->kind = dir == TCFW_DIR_ORIG ? "known, orig" : "known, reply";
	build(r, f, &s);
	f->modelled = false; /* not a first packet */
	return true;
}

/* An ICMP error quoting a known connection (as it crossed the wire), an unknown flow, or a
 * forged quote. */
static void gen_icmp_error(struct fuzz *z, uint64_t *r, struct fz_pkt *f)
{
	struct pkt q;
	struct l4spec s = {.family = 4, .proto = IPPROTO_UDP, .sport = 40000, .dport = 53};
	const char *from, *to;
	uint8_t type, code;
	size_t quote;

	if (z->nsnap && chance(r, 60)) {
		const struct snap *c = &z->snap[below(r, z->nsnap)];
		struct tcfw_tuple w;

		/* The orig packet as the server saw it: the reply tuple reversed. */
		tuple_reverse(&w, &c->e.reply);
		s.family = w.family == TCFW_AF_INET ? 4 : 6;
		s.proto = w.proto;
		addr_text(w.src, s.family, s.src);
		addr_text(w.dst, s.family, s.dst);
		s.sport = ntohs(w.proto == IPPROTO_ICMP || w.proto == IPPROTO_ICMPV6 ? c->key.sport
		                                                                     : w.sport);
		s.dport = ntohs(w.dport);
		s.tcp_flags = F_ACK;
	} else {
		s.family = chance(r, 70) ? 4 : 6;
		s.proto = chance(r, 50) ? IPPROTO_TCP : IPPROTO_UDP;
		snprintf(s.src, sizeof(s.src), "%s",
		         s.family == 4 ? PICK(r, clients4) : PICK(r, clients6));
		snprintf(s.dst, sizeof(s.dst), "%s",
		         s.family == 4 ? PICK(r, servers4) : PICK(r, servers6));
		s.sport = PICK(r, ports);
		s.dport = PICK(r, ports);
		s.tcp_flags = F_SYN;
	}
	pkt_init(&q);
	if (s.family == 4)
		pkt_ipv4(&q, s.src, s.dst, s.proto, 0, 1, 0x4000);
	else
		pkt_ipv6(&q, s.src, s.dst, s.proto);
	put_l4(r, &q, &s, false);
	pkt_finish(&q);
	if (chance(r, 20)) /* forged: a byte of the quote changed */
		q.b[below(r, (uint32_t)q.len)] ^= (uint8_t)(1 + below(r, 255));
	quote = chance(r, 70) ? q.len : below(r, (uint32_t)q.len + 1);
	if (s.family == 4) {
		type = chance(r, 80) ? 3 : 11;
		code = type == 3 ? (uint8_t)PICK(r, ((const uint8_t[]){1, 3, 4, 13})) : 0;
		/* From the server (or a router) back to where the quoted packet came from. */
		from = chance(r, 70) ? s.dst : "198.51.100.254";
		to = s.src;
		f->hook = DP_INGRESS_WAN;
		if (chance(r, 25))
			f->hook = DP_INGRESS_LAN;
	} else {
		type = (uint8_t)(1 + below(r, 3));
		code = 0;
		from = s.dst;
		to = s.src;
		f->hook = chance(r, 75) ? DP_INGRESS_WAN : DP_INGRESS_LAN;
	}
	pkt_icmp_error(&f->p, s.family, from, to, type, code, &q, quote);
	f->kind = "icmp error";
}

/* IPv4 or IPv6 fragments of a UDP or TCP datagram: first, later, overlapping, tiny. A small
 * pool of ids, so that later fragments find the first ones remembered. */
static void gen_fragment(struct fuzz *z, uint64_t *r, struct fz_pkt *f)
{
	struct l4spec s = {.family = chance(r, 70) ? 4 : 6};
	struct pkt *p = &f->p;
	unsigned int what = below(r, 4); /* 0 first, 1 later, 2 overlapping, 3 tiny */
	uint16_t id = (uint16_t)(1 + below(r, 4));
	uint16_t off = what == 1 ? (uint16_t)(8 * (1 + below(r, 8))) : what == 2 ? 8 : 0;
	bool more = what != 1 || chance(r, 50);
	uint8_t junk[40];

	(void)z;
	s.proto = chance(r, 60) ? IPPROTO_UDP : IPPROTO_TCP;
	snprintf(s.src, sizeof(s.src), "%s", s.family == 4 ? PICK(r, clients4) : PICK(r, clients6));
	snprintf(s.dst, sizeof(s.dst), "%s", s.family == 4 ? PICK(r, servers4) : PICK(r, servers6));
	s.sport = PICK(r, ports);
	s.dport = PICK(r, ports);
	s.tcp_flags = F_SYN;
	f->hook = chance(r, 70) ? DP_INGRESS_LAN : DP_INGRESS_WAN;
	if (f->hook == DP_INGRESS_WAN) {
		char tmp[INET6_ADDRSTRLEN];

		memcpy(tmp, s.src, sizeof(tmp));
		memcpy(s.src, s.dst, sizeof(tmp));
		memcpy(s.dst, tmp, sizeof(tmp));
	}
	pkt_init(p);
	pkt_eth(p, s.family == 4 ? 0x0800 : 0x86dd, false);
	if (s.family == 4)
		pkt_ipv4(p, s.src, s.dst, s.proto, 0, id,
		         (uint16_t)((more ? 0x2000 : 0) | off / 8));
	else {
		pkt_ipv6(p, s.src, s.dst, IPPROTO_FRAGMENT);
		pkt_ipv6_frag(p, s.proto, off, more, id);
	}
	p->no_csum = true;
	if (what == 0 || what == 2) {
		put_l4(r, p, &s, chance(r, 30));
	} else if (what == 3) {
		/* Tiny: the transport header cut short in the first fragment. */
		for (size_t i = 0; i < sizeof(junk); i++)
			junk[i] = (uint8_t)rnd(r);
		pkt_data(p, junk, 1 + below(r, 12));
	} else {
		for (size_t i = 0; i < sizeof(junk); i++)
			junk[i] = (uint8_t)rnd(r);
		pkt_data(p, junk, 8 * (1 + below(r, 4)));
	}
	pkt_finish(p);
	f->kind = "fragment";
}

/* Not IP, or nothing but random bytes. */
static void gen_junk(uint64_t *r, struct fz_pkt *f)
{
	struct pkt *p = &f->p;
	size_t n = below(r, 3) ? 14 + below(r, 120) : below(r, 14);

	pkt_init(p);
	if (chance(r, 30)) {
		pkt_eth(
		    p,
		    PICK(r, ((const uint16_t[]){0x0806, 0x88cc, 0x8100, 0x88a8, 0x0800, 0x86dd})),
		    chance(r, 50));
		n = below(r, 80);
	}
	for (size_t i = 0; i < n && p->len < PKT_MAX; i++)
		p->b[p->len++] = (uint8_t)rnd(r);
	f->kind = "random bytes";
}

/* Change f: what hostile senders do to headers. */
static void mutate(uint64_t *r, struct fz_pkt *f)
{
	struct pkt *p = &f->p;
	unsigned int rounds = 1 + below(r, 3);

	for (unsigned int i = 0; i < rounds && p->len; i++) {
		size_t l3 = p->l3, l4 = p->l4 ? p->l4 : p->len;

		switch (below(r, 9)) {
		case 0: /* bit flips */
			for (unsigned int k = 1 + below(r, 8); k; k--)
				p->b[below(r, (uint32_t)p->len)] ^= (uint8_t)(1u << below(r, 8));
			break;
		case 1: /* a random byte */
			p->b[below(r, (uint32_t)p->len)] = (uint8_t)rnd(r);
			break;
		case 2: { /* truncation at (or next to) a layer boundary */
			static const int at[] = {0, 1, 7, 8, 12, 13, 19, 20};
			size_t cut = below(r, 3) == 0   ? l3 + (size_t)PICK(r, at)
			             : below(r, 2) == 0 ? l4 + (size_t)PICK(r, at)
			                                : below(r, (uint32_t)p->len + 1);

			if (chance(r, 10))
				cut = below(r, 15);
			if (cut < p->len)
				p->len = cut;
			break;
		}
		case 3: /* bogus IHL / version */
			if (l3 < p->len)
				p->b[l3] = (uint8_t)((p->b[l3] & 0xf0) | below(r, 16));
			if (chance(r, 20) && l3 < p->len)
				p->b[l3] = (uint8_t)rnd(r);
			break;
		case 4: /* bogus TCP data offset */
			if (p->l4 && p->l4_proto == IPPROTO_TCP && l4 + 12 < p->len)
				p->b[l4 + 12] = (uint8_t)(below(r, 16) << 4);
			break;
		case 5: /* bogus IP total length / IPv6 payload length */
			if (f->p.family == 4 && l3 + 3 < p->len) {
				p->b[l3 + 2] = (uint8_t)rnd(r);
				p->b[l3 + 3] = (uint8_t)rnd(r);
			} else if (l3 + 5 < p->len) {
				p->b[l3 + 4] = (uint8_t)rnd(r);
				p->b[l3 + 5] = (uint8_t)rnd(r);
			}
			break;
		case 6: /* bogus UDP length */
			if (p->l4 && p->l4_proto == IPPROTO_UDP && l4 + 5 < p->len) {
				p->b[l4 + 4] = (uint8_t)rnd(r);
				p->b[l4 + 5] = (uint8_t)rnd(r);
			}
			break;
		case 7: /* garbage appended */
			for (unsigned int k = 1 + below(r, 64); k && p->len < PKT_MAX; k--)
				p->b[p->len++] = (uint8_t)rnd(r);
			break;
		default: /* a byte of the transport header */
			if (l4 < p->len)
				p->b[l4 + below(r, (uint32_t)(p->len - l4))] = (uint8_t)rnd(r);
			break;
		}
	}
	f->mutated = true;
	f->modelled = false;
}

static const enum dp_hook hooks[] = {
    DP_INGRESS_LAN, DP_INGRESS_LAN,    DP_INGRESS_LAN,    DP_INGRESS_WAN,      DP_INGRESS_WAN,
    DP_INGRESS_WAN, DP_EGRESS_FWD_WAN, DP_EGRESS_FWD_LAN, DP_EGRESS_LOCAL_WAN, DP_EGRESS_LOCAL_LAN,
};

static void generate(struct fuzz *z, uint64_t *r, struct fz_pkt *f)
{
	unsigned int k = below(r, 100);

	f->mutated = f->modelled = f->l2_bcast = f->echo_reply = false;
	f->tcp_flags = 0;
	memset(&f->tuple, 0, sizeof(f->tuple));
	f->hook = PICK(r, hooks);
	if (k < 35) {
		gen_pool(z, r, f);
	} else if (k < 65) {
		if (!gen_known(z, r, f))
			gen_pool(z, r, f);
	} else if (k < 77) {
		gen_icmp_error(z, r, f);
	} else if (k < 89) {
		gen_fragment(z, r, f);
	} else {
		gen_junk(r, f);
	}
	/* Egress of a forwarded packet tracks nothing: no first packet to model there. */
	if (f->hook == DP_EGRESS_FWD_WAN || f->hook == DP_EGRESS_FWD_LAN)
		f->modelled = false;
	if (strcmp(f->kind, "random bytes") && chance(r, 45))
		mutate(r, f);
}

/* ---- running --------------------------------------------------------------------------------- */
static int run_one(struct fuzz *z, const struct fz_pkt *f, int *retval)
{
	struct __sk_buff ctx;
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = f->p.b, .data_size_in = (uint32_t)f->p.len,
	            .ctx_in = &ctx, .ctx_size_in = sizeof(ctx), .repeat = 1);

	dp_ctx(z->t, f->hook, &ctx);
	if (bpf_prog_test_run_opts(dp_prog_fd(z->t, f->hook), &opts))
		return -errno;
	*retval = (int)opts.retval;
	return 0;
}

static void *clash_worker(void *arg)
{
	struct clash *c = arg;
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(1, &set);
	pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
	for (;;) {
		pthread_barrier_wait(&c->go);
		if (c->stop)
			break;
		c->err = run_one(c->z, c->pkt, &c->retval);
		pthread_barrier_wait(&c->done);
	}
	return NULL;
}

/* The connection whose orig tuple is orig (its main entry). */
static bool conn_of(struct fuzz *z, const struct tcfw_tuple *orig, struct tcfw_ct_entry *e)
{
	return dp_conn_of(z->t, orig, e);
}

/* Is k's entry a reference naming main key mk? */
static bool ref_names(struct fuzz *z, const struct tcfw_tuple *k, const struct tcfw_tuple *mk)
{
	struct tcfw_ct_entry r;

	return bpf_map_lookup_elem(z->fd_ct, k, &r) == 0 && r.kind == TCFW_CTK_REF &&
	       !memcmp(&r.main_key, mk, sizeof(*mk));
}

/* No connection of either direction for f's tuple: none whose orig tuple, reply tuple or
 * orig tuple reversed it is. */
static bool is_first_packet(struct fuzz *z, const struct fz_pkt *f)
{
	struct tcfw_ct_entry e;
	struct tcfw_tuple k, orig, rev;

	tcfw_ct_key(&k, &f->tuple);
	if (bpf_map_lookup_elem(z->fd_ct, &k, &e))
		return true;
	if (e.kind == TCFW_CTK_REF) {
		k = e.main_key;
		if (bpf_map_lookup_elem(z->fd_ct, &k, &e) || e.kind != TCFW_CTK_MAIN)
			return true;
	}
	tcfw_ct_orig(&orig, &k, &e);
	tuple_reverse(&rev, &orig);
	return memcmp(&orig, &f->tuple, sizeof(orig)) &&
	       memcmp(&e.reply, &f->tuple, sizeof(orig)) && memcmp(&rev, &f->tuple, sizeof(rev));
}

static uint64_t stat_of(struct fuzz *z, unsigned int s)
{
	return dp_stat(z->t, s);
}

/*
 * Whether BPF_PROG_TEST_RUN refuses f before the program sees it (EINVAL): shorter than an
 * Ethernet header, or an IPv4 / IPv6 ethertype with less than the fixed IP header behind it
 * (the kernel pulls it for the skb it builds). On a real interface such frames do reach TC
 * ingress; here they can only be counted as refused.
 */
static bool kernel_refuses(const struct fz_pkt *f)
{
	uint16_t etype;

	if (f->p.len < 14)
		return true;
	etype = (uint16_t)(f->p.b[12] << 8 | f->p.b[13]);
	return (etype == 0x0800 && f->p.len < 14 + 20) || (etype == 0x86dd && f->p.len < 14 + 40);
}

/* What a run may return. */
static void check_action(struct fuzz *z, const struct fz_pkt *f, int err, int ret, const char *who)
{
	if (err == -EINVAL && kernel_refuses(f)) {
		z->refused++;
		return;
	}
	if (err) {
		pkt_fail(z, f, "%s: bpf_prog_test_run_opts failed: %s", who, strerror(-err));
		return;
	}
	if (ret != TC_OK && ret != TC_SHOT && ret != TC_REDIRECT)
		pkt_fail(z, f, "%s: TC action %d is none the datapath returns", who, ret);
	if (f->hook != DP_EGRESS_FWD_WAN && f->hook != DP_EGRESS_FWD_LAN) {
		z->counted++;
		z->counted_bytes += f->p.len;
	}
	z->runs[f->hook]++;
	z->shot += ret == TC_SHOT;
	z->ok += ret == TC_OK;
	z->redirect += ret == TC_REDIRECT;
}

/*
 * A race between opening a masqueraded connection and its first reply: CPU 0 sends the first
 * UDP datagram of a fresh LAN flow, CPU 1 at the same moment a datagram from the server to the
 * public address and the port masquerade keeps when it is free (what an attacker who guesses
 * the next client port sends, or a fast server). Whatever each gets, the connection, if made,
 * must have both halves, its reply half pointing back.
 */
static void run_reply_race(struct fuzz *z, uint64_t *r)
{
	static struct fz_pkt a, b;
	struct l4spec s = {.family = 4, .proto = IPPROTO_UDP};
	struct tcfw_ct_entry e;
	struct tcfw_tuple k, rk;
	int ret = -1, err;

	snprintf(s.src, sizeof(s.src), "%s", PICK(r, clients4));
	snprintf(s.dst, sizeof(s.dst), "%s", PICK(r, servers4));
	s.sport = (uint16_t)(1024 + below(r, 64512));
	s.dport = 53;
	a.hook = DP_INGRESS_LAN;
	a.kind = "reply race, first packet";
	build(r, &a, &s);
	a.mutated = false;
	if (chance(r, 50)) {
		/* From the server to the public address, to the client's own port. */
		snprintf(s.src, sizeof(s.src), "%s", s.dst);
		snprintf(s.dst, sizeof(s.dst), "%s", PUBLIC_IP);
		s.dport = s.sport;
		s.sport = 53;
		b.hook = DP_INGRESS_WAN;
		b.kind = "reply race, reply";
	} else {
		/* The gateway's own datagram from the public address and the client's port to
		 * the same server: a connection whose reply tuple is the one masquerade wants. */
		snprintf(s.src, sizeof(s.src), "%s", PUBLIC_IP);
		b.hook = DP_EGRESS_LOCAL_WAN;
		b.kind = "reply race, gateway's own";
	}
	build(r, &b, &s);

	z->clash.pkt = &b;
	pthread_barrier_wait(&z->clash.go);
	err = run_one(z, &a, &ret);
	pthread_barrier_wait(&z->clash.done);
	check_action(z, &a, err, ret, "CPU 0");
	check_action(z, &b, z->clash.err, z->clash.retval, "CPU 1");
	z->clash_pairs++;
	z->reply_races++;
	if (!conn_of(z, &a.tuple, &e))
		return;
	tcfw_ct_key(&k, &a.tuple);
	tcfw_ct_key(&rk, &e.reply);
	if (e.nat_kind && memcmp(&k, &rk, sizeof(k)) && !ref_names(z, &rk, &k))
		pkt_fail(z, &a,
		         "a connection opened while its reply arrived on the other CPU has no "
		         "reference entry naming it under its reply tuple's key (CPU 0: TC "
		         "action %d, CPU 1: %d)",
		         ret, z->clash.retval);
}

/*
 * Run f (on both CPUs at once when clash), with the per-packet checks of the model (see the
 * top of this file).
 */
static void run_checked(struct fuzz *z, const struct fz_pkt *f, bool clash)
{
	bool first = f->modelled && is_first_packet(z, f);
	uint64_t fail_before = 0, new_before = 0;
	long want_rule = -1;
	int chain = -1, ret = -1, err;
	bool plain_syn = (f->tcp_flags & (F_SYN | F_ACK | F_RST | F_FIN)) == F_SYN;
	bool may_open = f->tuple.proto != IPPROTO_TCP ? !f->echo_reply : plain_syn;

	if (first) {
		want_rule = model_packet(z, f, &chain);
		z->model_new++;
		fail_before = stat_of(z, TCFW_STAT_CT_INSERT_FAILED) +
		              stat_of(z, TCFW_STAT_NAT_PORT_EXHAUSTED) +
		              stat_of(z, TCFW_STAT_NAT_NO_ADDRESS) +
		              stat_of(z, TCFW_STAT_NAT_ALIAS_TAKEN);
		new_before = stat_of(z, TCFW_STAT_CT_NEW);
	}
	if (clash) {
		z->clash.pkt = f;
		pthread_barrier_wait(&z->clash.go);
		err = run_one(z, f, &ret);
		pthread_barrier_wait(&z->clash.done);
		check_action(z, f, err, ret, "CPU 0");
		check_action(z, f, z->clash.err, z->clash.retval, "CPU 1");
		z->clash_pairs++;
	} else {
		err = run_one(z, f, &ret);
		check_action(z, f, err, ret, "run");
	}
	if (!first || err)
		return;

	if (want_rule == 0 || !may_open) {
		struct tcfw_ct_entry e;

		z->model_drop++;
		if (ret != TC_SHOT || (clash && z->clash.retval != TC_SHOT))
			pkt_fail(
			    z, f,
			    "a first packet the %s drops (chain %s) got TC action %d%s, expected "
			    "TC_ACT_SHOT",
			    may_open ? "policy" : "conntrack (invalid)",
			    chain_name((unsigned int)chain), ret, clash ? " (on CPU 0)" : "");
		if (conn_of(z, &f->tuple, &e))
			pkt_fail(z, f,
			         "a first packet the policy drops left a connection (state %s)",
			         ct_state_name(e.state));
		if (stat_of(z, TCFW_STAT_CT_NEW) != new_before)
			pkt_fail(z, f, "a dropped first packet counted ct_new");
	} else if (want_rule > 0) {
		struct tcfw_ct_entry e;
		uint64_t fails = stat_of(z, TCFW_STAT_CT_INSERT_FAILED) +
		                 stat_of(z, TCFW_STAT_NAT_PORT_EXHAUSTED) +
		                 stat_of(z, TCFW_STAT_NAT_NO_ADDRESS) +
		                 stat_of(z, TCFW_STAT_NAT_ALIAS_TAKEN);
		uint64_t news = stat_of(z, TCFW_STAT_CT_NEW) - new_before;

		z->model_accept++;
		if (fails != fail_before)
			return; /* table or port range full: refused, and counted */
		/* From two CPUs, the one that lost the race goes on as a packet of the
		 * connection, which the fast path may forward (redirect). */
		if (ret == TC_SHOT || (clash && z->clash.retval == TC_SHOT))
			pkt_fail(
			    z, f,
			    "a first packet the policy accepts (chain %s, rule %ld) got TC action "
			    "%d / %d, expected TC_ACT_OK (or the fast path's redirect)",
			    chain_name((unsigned int)chain), want_rule, ret,
			    clash ? z->clash.retval : ret);
		if (!conn_of(z, &f->tuple, &e)) {
			pkt_fail(z, f, "a first packet the policy accepts left no connection");
			return;
		}
		if (e.chain != chain || e.rule_id != (uint32_t)want_rule)
			pkt_fail(z, f,
			         "connection admitted by chain %u rule %u, the model says chain %s "
			         "rule %ld",
			         e.chain, e.rule_id, chain_name((unsigned int)chain), want_rule);
		if (news != 1)
			pkt_fail(z, f, "ct_new grew by %" PRIu64 " for one new connection%s", news,
			         clash ? " opened from two CPUs at once" : "");
	}
}

/* ---- the walk: every entry, every counter -----------------------------------------------------
 */
static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static bool state_fits(uint8_t proto, uint8_t state)
{
	switch (proto) {
	case IPPROTO_TCP:
		return state >= TCFW_CT_TCP_SYN_SENT && state <= TCFW_CT_TCP_SYN_SENT2;
	case IPPROTO_UDP:
		return state >= TCFW_CT_UDP_UNREPLIED && state <= TCFW_CT_UDP_ASSURED;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		return state == TCFW_CT_ICMP_UNREPLIED || state == TCFW_CT_ICMP_REPLIED;
	default:
		return state == TCFW_CT_OTHER_UNREPLIED || state == TCFW_CT_OTHER_REPLIED;
	}
}

static void entry_fail(struct fuzz *z, const struct tcfw_tuple *k, const char *what)
{
	char s[INET6_ADDRSTRLEN], d[INET6_ADDRSTRLEN];
	int fam = k->family == TCFW_AF_INET ? 4 : 6;

	pkt_fail(z, NULL, "walk: connection proto %u %s:%u -> %s:%u: %s", k->proto,
	         addr_text(k->src, fam, s), ntohs(k->sport), addr_text(k->dst, fam, d),
	         ntohs(k->dport), what);
}

/* k: the connection's orig tuple (worked out from its key, stored_key). */
static void check_entry(struct fuzz *z, const struct tcfw_tuple *k,
                        const struct tcfw_tuple *stored_key, const struct tcfw_ct_entry *e)
{
	struct tcfw_tuple rev, mk, rk;
	__u32 nat_addr[4];
	__u16 nat_port;
	char msg[160];
	long want;
	int lan = z->t->ifindex_lan, wan = z->t->ifindex_wan;
	int in = (int)e->ifindex_in, out = (int)e->ifindex_out;

	z->entries_checked++;
	if (k->family != TCFW_AF_INET && k->family != TCFW_AF_INET6)
		entry_fail(z, k, "family neither 4 nor 6");
	if (!state_fits(k->proto, e->state)) {
		snprintf(msg, sizeof(msg), "state %u (%s) is not one of its protocol's", e->state,
		         e->state < TCFW_CT_STATE_MAX ? ct_state_name(e->state) : "?");
		entry_fail(z, k, msg);
	}
	if (e->flags & ~0xfu || e->tcp_wflags[0] & ~0xfu || e->tcp_wflags[1] & ~0xfu ||
	    e->tcp_wscale[0] > 14 || e->tcp_wscale[1] > 14 || e->tcp_last_dir > 1) {
		snprintf(msg, sizeof(msg),
		         "unknown bits: flags 0x%x, window flags 0x%x/0x%x, scale %u/%u", e->flags,
		         e->tcp_wflags[0], e->tcp_wflags[1], e->tcp_wscale[0], e->tcp_wscale[1]);
		entry_fail(z, k, msg);
	}
	if (e->nat_kind & ~(unsigned int)TCFW_NAT_SNAT)
		entry_fail(z, k, "NAT other than SNAT, with no dnat rule");

	/* Where it came from, and the rule that let it in. */
	if ((in && in != lan && in != wan) || (out && out != lan && out != wan))
		entry_fail(z, k, "interfaces neither lan0 nor wan0");
	switch (e->chain) {
	case TCFW_CHAIN_OUTPUT:
		if (in || !out)
			entry_fail(z, k, "chain output, but not from the gateway to an interface");
		break;
	case TCFW_CHAIN_INPUT:
		if (!in || out)
			entry_fail(z, k, "chain input, but not from an interface to the gateway");
		break;
	case TCFW_CHAIN_FORWARD:
		if (!in)
			entry_fail(z, k, "chain forward, but no input interface");
		if (dst_local(k) || dst_bcast_mcast(k))
			entry_fail(z, k,
			           "chain forward for the gateway's own or a broadcast address");
		if (route_out(z, k) >= 0 && route_out(z, k) != out) {
			snprintf(msg, sizeof(msg), "output interface %d, the route says %d", out,
			         route_out(z, k));
			entry_fail(z, k, msg);
		}
		break;
	default:
		entry_fail(z, k, "chain neither input, forward nor output");
		return;
	}
	want = model_rule(z, e->chain, k, in, out);
	if (want == 0) {
		snprintf(msg, sizeof(msg),
		         "admitted by rule %u on chain %s, but the policy drops it", e->rule_id,
		         chain_name(e->chain));
		entry_fail(z, k, msg);
	} else if (want > 0 && e->rule_id != (uint32_t)want) {
		snprintf(msg, sizeof(msg),
		         "admitted by rule %u on chain %s, the model says rule %ld", e->rule_id,
		         chain_name(e->chain), want);
		entry_fail(z, k, msg);
	}

	/* Its key, its reference entry, and the reply tuple. */
	tcfw_ct_key(&mk, k);
	tcfw_ct_key(&rk, &e->reply);
	if (memcmp(&mk, stored_key, sizeof(mk)))
		entry_fail(z, k, "stored under a key that is not its orig tuple normalized");
	if (e->nat_kind && memcmp(&mk, &rk, sizeof(mk)) && !ref_names(z, &rk, &mk))
		entry_fail(z, k,
		           "translated, but no reference entry under its reply tuple's key "
		           "names it");
	if (!e->nat_kind && memcmp(&mk, &rk, sizeof(mk)))
		entry_fail(z, k, "no NAT, but its reply tuple has another key");
	tcfw_ct_nat(e, nat_addr, &nat_port);
	tuple_reverse(&rev, k);
	if (!e->nat_kind) {
		if (memcmp(&rev, &e->reply, sizeof(rev)))
			entry_fail(z, k, "no NAT, but the reply tuple is not the orig reversed");
		if (e->chain == TCFW_CHAIN_FORWARD && k->family == TCFW_AF_INET && out == wan)
			entry_fail(z, k, "IPv4 forwarded out wan without masquerade");
	} else {
		bool ports = k->proto == IPPROTO_TCP || k->proto == IPPROTO_UDP;

		if (k->family != TCFW_AF_INET || e->chain != TCFW_CHAIN_FORWARD || out != wan)
			entry_fail(z, k, "masqueraded, but not IPv4 forwarded out wan");
		if (!addr_is(e->reply.dst, 4, PUBLIC_IP) || memcmp(nat_addr, e->reply.dst, 16))
			entry_fail(z, k,
			           "masqueraded, but the reply tuple does not carry the public "
			           "address");
		if (memcmp(e->reply.src, k->dst, 16) || e->reply.proto != k->proto ||
		    e->reply.family != k->family ||
		    (ports && (e->reply.sport != k->dport || nat_port != e->reply.dport)))
			entry_fail(z, k,
			           "masqueraded, but the reply tuple is not the translated "
			           "orig reversed");
	}
}

/* Entries created since the last walk, those older that were there then. */
static void walk(struct fuzz *z, bool final)
{
	static struct tcfw_tuple keys[8192], origs[8192], refs[8192];
	static struct tcfw_ct_entry vals[8192];
	uint64_t *ids;
	size_t n = 0, nrefs = 0, fresh = 0;
	struct tcfw_tuple key, next, *prev = NULL;
	uint64_t now, stat_new, s[TCFW_STAT_MAX], d_policy = 0, d_reject = 0, d_invalid;
	int drops_fd = bpf_map__fd(z->t->skel->maps.drops);

	now = ctmap_now_ns();
	z->walks++;
	while (bpf_map_get_next_key(z->fd_ct, prev, &next) == 0 && n < 8192) {
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(z->fd_ct, &key, &vals[n]))
			continue;
		if (vals[n].kind == TCFW_CTK_REF) {
			if (nrefs < 8192)
				refs[nrefs++] = key;
			continue;
		}
		if (vals[n].kind != TCFW_CTK_MAIN) {
			entry_fail(z, &key, "an entry neither a connection nor a reference");
			continue;
		}
		tcfw_ct_orig(&origs[n], &key, &vals[n]);
		keys[n++] = key;
	}
	z->ct_count = (unsigned int)n;

	for (unsigned int i = 0; i < TCFW_STAT_MAX; i++)
		s[i] = stat_of(z, i);
	stat_new = s[TCFW_STAT_CT_NEW];

	ids = calloc(n ? n : 1, sizeof(*ids));
	if (!ids) {
		pkt_fail(z, NULL, "walk: out of memory");
		return;
	}
	for (size_t i = 0; i < n; i++) {
		check_entry(z, &origs[i], &keys[i], &vals[i]);
		ids[i] = tuple_hash(&origs[i]) ^ vals[i].created_tick;
		/* Not there at the last walk: created since, which its tick (1.07 s) can only
		 * disprove when it is older than the walk's. */
		if (!bsearch(&ids[i], z->prev_ids, z->nprev, sizeof(*ids), cmp_u64)) {
			if (vals[i].created_tick < tcfw_ct_tick(z->prev_walk_ns))
				entry_fail(z, &origs[i],
				           "older than the last walk, but not there then");
			else
				fresh++;
		}
		if (stop_now(z))
			break;
	}
	if (fresh > stat_new - z->stat_new_prev)
		pkt_fail(z, NULL,
		         "walk: %zu connections created since the last walk, but ct_new grew by "
		         "%" PRIu64,
		         fresh, stat_new - z->stat_new_prev);

	/* Every reference entry names a live connection whose reply tuple normalizes to it (and
	 * check_entry() saw the converse). A reference is only found without its connection
	 * while a reply race is in flight, never at a walk. */
	for (size_t i = 0; i < nrefs && !stop_now(z); i++) {
		struct tcfw_ct_entry r, e;
		struct tcfw_tuple orig, rk;

		if (bpf_map_lookup_elem(z->fd_ct, &refs[i], &r))
			continue;
		if (bpf_map_lookup_elem(z->fd_ct, &r.main_key, &e) || e.kind != TCFW_CTK_MAIN) {
			entry_fail(z, &refs[i], "a reference entry names no live connection");
			continue;
		}
		tcfw_ct_orig(&orig, &r.main_key, &e);
		tcfw_ct_key(&rk, &e.reply);
		if (!e.nat_kind || memcmp(&rk, &refs[i], sizeof(rk)))
			entry_fail(z, &orig,
			           "a reference entry names it, but its reply tuple has another "
			           "key");
	}

	/* Counters. */
	for (unsigned int c = 0; c <= TCFW_CHAIN_MAX; c++) {
		d_policy += dp_percpu_sum(drops_fd, TCFW_DROP_INDEX(TCFW_DROP_POLICY, c));
		d_reject += dp_percpu_sum(drops_fd, TCFW_DROP_INDEX(TCFW_DROP_REJECT, c));
	}
	d_invalid =
	    dp_percpu_sum(drops_fd, TCFW_DROP_INDEX(TCFW_DROP_INVALID, TCFW_DROP_CHAIN_NONE));
#define EXPECT_COUNTER(what, got, want)                                                            \
	do {                                                                                       \
		if ((uint64_t)(got) != (uint64_t)(want))                                           \
			pkt_fail(z, NULL, "walk: counters: %s: %" PRIu64 ", expected %" PRIu64,    \
			         what, (uint64_t)(got), (uint64_t)(want));                         \
	} while (0)
	EXPECT_COUNTER("packets = runs of counted hooks", s[TCFW_STAT_PACKETS], z->counted);
	EXPECT_COUNTER("bytes = bytes of those runs", s[TCFW_STAT_BYTES], z->counted_bytes);
	EXPECT_COUNTER("verdict_accept = ct_new", s[TCFW_STAT_VERDICT_ACCEPT], s[TCFW_STAT_CT_NEW]);
	EXPECT_COUNTER("verdict_drop = policy and invalid drops", s[TCFW_STAT_VERDICT_DROP],
	               d_policy + d_invalid);
	EXPECT_COUNTER("verdict_reject = reject drops", s[TCFW_STAT_VERDICT_REJECT], d_reject);
	EXPECT_COUNTER("verdict_reject (no reject rule)", s[TCFW_STAT_VERDICT_REJECT], 0);
	EXPECT_COUNTER("ct_invalid = invalid drops (invalid drop)", s[TCFW_STAT_CT_INVALID],
	               d_invalid);
	/* ct never evicts and the harness deletes both halves at once: a half is only found
	 * without the other when a reply raced its connection's creation. */
	if (s[TCFW_STAT_EVICTIONS_SUSPECTED] > z->reply_races)
		pkt_fail(z, NULL,
		         "walk: counters: evictions_suspected %" PRIu64 ", more than the %" PRIu64
		         " reply races that could explain it",
		         s[TCFW_STAT_EVICTIONS_SUSPECTED], z->reply_races);
	{
		uint64_t classes = s[TCFW_STAT_NON_IP] + s[TCFW_STAT_MALFORMED] +
		                   s[TCFW_STAT_CT_NEW] + d_policy + d_reject +
		                   s[TCFW_STAT_CT_ESTABLISHED] + s[TCFW_STAT_CT_RELATED] +
		                   s[TCFW_STAT_CT_INVALID];
		uint64_t shot_min = s[TCFW_STAT_MALFORMED] + s[TCFW_STAT_VERDICT_DROP];

		if (classes > s[TCFW_STAT_PACKETS])
			pkt_fail(z, NULL,
			         "walk: counters: packet classes add up to %" PRIu64
			         ", more than the %" PRIu64 " packets",
			         classes, s[TCFW_STAT_PACKETS]);
		if (shot_min > z->shot)
			pkt_fail(z, NULL,
			         "walk: counters: malformed + verdict_drop = %" PRIu64
			         ", but only %" PRIu64 " runs returned TC_ACT_SHOT",
			         shot_min, z->shot);
		if (s[TCFW_STAT_NON_IP] + s[TCFW_STAT_CT_NEW] > z->ok)
			pkt_fail(z, NULL,
			         "walk: counters: non_ip + ct_new = %" PRIu64 ", but only %" PRIu64
			         " runs returned TC_ACT_OK",
			         s[TCFW_STAT_NON_IP] + s[TCFW_STAT_CT_NEW], z->ok);
	}
#undef EXPECT_COUNTER

	/* fwd's expiry: when the table gets full, half of it goes, both halves each. The rest
	 * is remembered, and some of it kept to replay packets of. */
	{
		size_t kept = 0;

		z->nsnap = 0;
		for (size_t i = 0; i < n; i++) {
			if (!final && n > FUZZ_CT_HIGH && chance(&z->rng, 50)) {
				struct tcfw_tuple rk;

				/* As fwd's ctmap_delete(): the entry, then its reference. */
				tcfw_ct_key(&rk, &vals[i].reply);
				bpf_map_delete_elem(z->fd_ct, &keys[i]);
				if (vals[i].nat_kind && memcmp(&rk, &keys[i], sizeof(rk)))
					bpf_map_delete_elem(z->fd_ct, &rk);
				z->expired++;
				continue;
			}
			ids[kept] = ids[i];
			if (z->nsnap < FUZZ_SNAP_MAX) {
				z->snap[z->nsnap].key = origs[i];
				z->snap[z->nsnap++].e = vals[i];
			} else if (chance(&z->rng, 10)) {
				unsigned int j = below(&z->rng, FUZZ_SNAP_MAX);

				z->snap[j].key = origs[i];
				z->snap[j].e = vals[i];
			}
			kept++;
		}
		n = kept;
	}
	qsort(ids, n, sizeof(*ids), cmp_u64);
	free(z->prev_ids);
	z->prev_ids = ids;
	z->nprev = n;
	z->prev_walk_ns = now;
	z->stat_new_prev = stat_new;
}

/* ---- the case ------------------------------------------------------------------------------- */
static uint64_t env_u64(const char *name, uint64_t dflt)
{
	const char *v = getenv(name);
	char *end;
	unsigned long long x;

	if (!v || !*v)
		return dflt;
	errno = 0;
	x = strtoull(v, &end, 0);
	if (errno || *end) {
		fprintf(stderr, "dp_fuzz: %s=%s is not a number; using %llu\n", name, v,
		        (unsigned long long)dflt);
		return dflt;
	}
	return x;
}

static bool read_rule_ids(struct fuzz *z)
{
	static const int chains[] = {TCFW_CHAIN_INPUT, TCFW_CHAIN_FORWARD, TCFW_CHAIN_OUTPUT};
	int fd = bpf_map__fd(z->t->skel->maps.pol_rules);

	for (size_t c = 0; c < 3; c++)
		for (unsigned int pos = 0; pos < 2; pos++) {
			struct tcfw_rule rule;
			__u32 idx = TCFW_RULE_INDEX(0, chains[c], pos);

			if (bpf_map_lookup_elem(fd, &idx, &rule)) {
				dp_fail(z->t, "setup", "cannot read map pol_rules: %s",
				        strerror(errno));
				return false;
			}
			z->rule_id[chains[c]][pos] = rule.id;
		}
	return true;
}

static double secs_since(const struct timespec *a)
{
	struct timespec b;

	clock_gettime(CLOCK_MONOTONIC, &b);
	return (double)(b.tv_sec - a->tv_sec) + (double)(b.tv_nsec - a->tv_nsec) / 1e9;
}

DP_CASE_EXPLICIT(fuzz)
{
	static struct fuzz z;
	struct fz_pkt f;
	struct timespec start;
	cpu_set_t all, cpu0;
	bool two_cpus = sysconf(_SC_NPROCESSORS_ONLN) >= 2;

	memset(&z, 0, sizeof(z));
	z.t = t;
	z.seed = env_u64("DP_FUZZ_SEED", FUZZ_SEED_DEFAULT);
	z.npackets = env_u64("DP_FUZZ_PACKETS", FUZZ_PACKETS_DEFAULT);
	z.rng = z.seed;
	printf("fuzz: seed %" PRIu64 " (DP_FUZZ_SEED), %" PRIu64 " packets (DP_FUZZ_PACKETS)\n",
	       z.seed, z.npackets);
	if (dpn_setup(t, FUZZ_POLICY) || !read_rule_ids(&z))
		return;
	z.fd_ct = bpf_map__fd(t->skel->maps.ct);

	/* The main thread runs on CPU 0, the clash worker on CPU 1. */
	sched_getaffinity(0, sizeof(all), &all);
	if (two_cpus) {
		CPU_ZERO(&cpu0);
		CPU_SET(0, &cpu0);
		sched_setaffinity(0, sizeof(cpu0), &cpu0);
		z.clash.z = &z;
		pthread_barrier_init(&z.clash.go, NULL, 2);
		pthread_barrier_init(&z.clash.done, NULL, 2);
		z.clash.started = !pthread_create(&z.clash.th, NULL, clash_worker, &z.clash);
	}
	if (!z.clash.started)
		printf("fuzz: one CPU only (or no thread): no concurrent share\n");

	clock_gettime(CLOCK_MONOTONIC, &start);
	walk(&z, false);
	for (z.index = 0; z.index < z.npackets && !stop_now(&z); z.index++) {
		/* The last 5% of every batch: the same packet from both CPUs at once. */
		bool clash = z.clash.started && z.index % FUZZ_BATCH >= FUZZ_BATCH * 95 / 100;

		if (clash && chance(&z.rng, 30)) {
			run_reply_race(&z, &z.rng);
			goto next;
		}
		generate(&z, &z.rng, &f);
		if (clash) {
			/* First packets of fresh flows (a port no pool flow uses), or of known
			 * ones, unmutated: the race is in opening connections. */
			if (chance(&z.rng, 70)) {
				do
					generate(&z, &z.rng, &f);
				while (!f.modelled);
			}
		}
		run_checked(&z, &f, clash);
	next:
		if ((z.index + 1) % FUZZ_BATCH == 0)
			walk(&z, false);
	}
	walk(&z, true);
	if (z.clash.started) {
		z.clash.stop = true;
		pthread_barrier_wait(&z.clash.go);
		pthread_join(z.clash.th, NULL);
		pthread_barrier_destroy(&z.clash.go);
		pthread_barrier_destroy(&z.clash.done);
	}
	sched_setaffinity(0, sizeof(all), &all);

	printf("fuzz: %" PRIu64 " packets in %.1fs (seed %" PRIu64 "): ingress lan0 %" PRIu64
	       ", wan0 %" PRIu64 "; egress local %" PRIu64 ", forwarded %" PRIu64 "; %" PRIu64
	       " pairs from both CPUs (%" PRIu64 " of them reply races)\n",
	       z.index, secs_since(&start), z.seed, z.runs[DP_INGRESS_LAN], z.runs[DP_INGRESS_WAN],
	       z.runs[DP_EGRESS_LOCAL_WAN] + z.runs[DP_EGRESS_LOCAL_LAN],
	       z.runs[DP_EGRESS_FWD_WAN] + z.runs[DP_EGRESS_FWD_LAN], z.clash_pairs, z.reply_races);
	printf("fuzz: verdicts ok %" PRIu64 ", shot %" PRIu64 ", redirect %" PRIu64
	       "; first packets modelled %" PRIu64 " (drop %" PRIu64 ", accept %" PRIu64
	       "); %" PRIu64 " refused by the kernel (too short); %" PRIu64 " walks, %" PRIu64
	       " entries checked, %" PRIu64 " expired; ct_new %" PRIu64 ", established %" PRIu64
	       ", related %" PRIu64 ", invalid %" PRIu64 ", malformed %" PRIu64
	       ", insert failed %" PRIu64 "\n",
	       z.ok, z.shot, z.redirect, z.model_new, z.model_drop, z.model_accept, z.refused,
	       z.walks, z.entries_checked, z.expired, stat_of(&z, TCFW_STAT_CT_NEW),
	       stat_of(&z, TCFW_STAT_CT_ESTABLISHED), stat_of(&z, TCFW_STAT_CT_RELATED),
	       stat_of(&z, TCFW_STAT_CT_INVALID), stat_of(&z, TCFW_STAT_MALFORMED),
	       stat_of(&z, TCFW_STAT_CT_INSERT_FAILED));
	free(z.prev_ids);
}
