// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * dp_fastpath.c - established forwarded packets leaving at ingress (bpf/lib/fastpath.h): the
 * verdict TC_ACT_REDIRECT, the bytes as they leave (next hop's MACs, TTL / hop limit one less,
 * IPv4 header checksum, NAT at both ends), and every case that must take the kernel's path
 * instead, unchanged. The hosts are dp.h's DP_FP_* (permanent neighbour entries).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "dp.h"
#include "dp_nat.h"

#define ORIG  TCFW_DIR_ORIG
#define REPLY TCFW_DIR_REPLY

/*
 * What p looks like after the fast path sent it to the neighbour 02:00:00:00:00:mac5: that
 * MAC as destination, the gateway's as source, TTL / hop limit one less and (IPv4) the header
 * checksum computed again from scratch. Untagged Ethernet only.
 */
static void forwarded(struct pkt *p, uint8_t mac5)
{
	static const uint8_t gw[6] = DP_GW_MAC;
	const uint8_t next[6] = {0x02, 0, 0, 0, 0, mac5};
	uint8_t *ip = p->b + 14;

	memcpy(p->b, next, 6);
	memcpy(p->b + 6, gw, 6);
	if ((ip[0] >> 4) == 4) {
		size_t hlen = (size_t)(ip[0] & 0xf) * 4;
		uint16_t sum;

		ip[8]--;
		ip[10] = ip[11] = 0;
		sum = dp_csum_fold(dp_csum_add(0, ip, hlen));
		ip[10] = (uint8_t)(sum >> 8);
		ip[11] = (uint8_t)sum;
	} else {
		ip[7]--;
	}
}

/* Run in at hook, expect TC_ACT_REDIRECT and the bytes of want, every checksum valid. */
static void expect_redirect(struct dp *t, const char *step, enum dp_hook hook, const struct pkt *in,
                            const struct pkt *want)
{
	struct pkt out;
	int ret = dpn_run(t, step, hook, in, &out);

	if (ret < 0)
		return;
	if (ret != TC_REDIRECT) {
		dp_fail(t, step, "verdict: expected TC_ACT_REDIRECT (7), got %d", ret);
		return;
	}
	dpn_expect_bytes(t, step, &out, want);
	dpn_check_csums(t, step, &out);
}

/* UDP both ways: the first packet opens the connection the kernel's way, every later one in
 * either direction leaves at ingress; with TCFW_CFG_NO_FAST_PATH they all take the kernel's
 * way again. */
DP_CASE(fastpath_udp4)
{
	const struct flow f = {4, IPPROTO_UDP, DP_FP_CLIENT, DP_FP_SERVER, 5000, 53};
	struct tcfw_ct_entry e;
	struct pkt in, want;

	pkt_flow(&in, &f, ORIG, 0);
	dpn_expect(t, "first packet: new, the kernel forwards it", DP_INGRESS_LAN, &in, TC_OK,
	           NULL);
	pkt_flow(&in, &f, REPLY, 0);
	want = in;
	forwarded(&want, DP_FP_CLIENT_MAC5);
	expect_redirect(t, "reply at wan0: to the client's MAC, TTL 63", DP_INGRESS_WAN, &in,
	                &want);
	pkt_flow(&in, &f, ORIG, 0);
	want = in;
	forwarded(&want, DP_FP_SERVER_MAC5);
	expect_redirect(t, "second packet at lan0: to the server's MAC", DP_INGRESS_LAN, &in,
	                &want);

	dp_expect_stat(t, "counters", TCFW_STAT_FAST_PATH, 2);
	dp_expect_stat(t, "counters", TCFW_STAT_CT_ESTABLISHED, 2);
	dp_expect_conn(t, "connection", &f, TCFW_CT_UDP_ASSURED, 0, &e);
	DP_EXPECT_EQ(t, "connection", "orig packets", e.ctr[TCFW_DIR_ORIG].packets, 2);
	DP_EXPECT_EQ(t, "connection", "reply packets", e.ctr[TCFW_DIR_REPLY].packets, 1);

	dp_set_config(t, 0, TCFW_CFG_NO_FAST_PATH);
	pkt_flow(&in, &f, ORIG, 0);
	dpn_expect(t, "fwd --no-fast-path: the kernel forwards it, unchanged", DP_INGRESS_LAN, &in,
	           TC_OK, NULL);
	dp_expect_stat(t, "counters after --no-fast-path", TCFW_STAT_FAST_PATH, 2);
}

/* TCP over IPv6: the SYN-ACK and everything after it leave at ingress, hop limit 63, and the
 * state machine walks as on the kernel's path. */
DP_CASE(fastpath_tcp6)
{
	const struct flow f = {6, IPPROTO_TCP, DP_FP_CLIENT6, DP_FP_SERVER6, 40000, 443};
	struct pkt in, want;

	pkt_flow(&in, &f, ORIG, F_SYN);
	dpn_expect(t, "SYN: new, the kernel forwards it", DP_INGRESS_LAN, &in, TC_OK, NULL);
	pkt_flow(&in, &f, REPLY, F_SYN | F_ACK);
	want = in;
	forwarded(&want, DP_FP_CLIENT_MAC5);
	expect_redirect(t, "SYN-ACK at wan0", DP_INGRESS_WAN, &in, &want);
	pkt_flow(&in, &f, ORIG, F_ACK);
	want = in;
	forwarded(&want, DP_FP_SERVER_MAC5);
	expect_redirect(t, "ACK at lan0", DP_INGRESS_LAN, &in, &want);
	pkt_flow(&in, &f, ORIG, F_ACK);
	in.b[in.l3 + 7] = 1; /* hop limit: no checksum covers it */
	dpn_expect(t, "hop limit 1: the kernel sends time exceeded", DP_INGRESS_LAN, &in, TC_OK,
	           NULL);
	dp_expect_conn(t, "after the handshake", &f, TCFW_CT_TCP_ESTABLISHED, 0, NULL);
	dp_expect_stat(t, "counters", TCFW_STAT_FAST_PATH, 2);
}

/* Masquerade: the fast path translates both ends at ingress, since egress gets no hint. */
DP_CASE(fastpath_masquerade)
{
	static const char policy[] = DPN_ZONES "nat masquerade out wan from 192.0.2.0/24\n";
	const struct flow f = {4, IPPROTO_UDP, DP_FP_CLIENT, DP_FP_SERVER, 5353, 53};
	struct tcfw_ct_entry e;
	struct pkt in, want;
	struct flow x;

	if (dpn_setup(t, policy))
		return;
	pkt_flow(&in, &f, ORIG, 0);
	dpn_expect(t, "first packet at lan0: new, untouched (egress masquerades it)",
	           DP_INGRESS_LAN, &in, TC_OK, NULL);
	if (!dpn_conn(t, "connection", &f, &e))
		return;
	x = dpn_flow_src(&f, PUBLIC_IP, dpn_snat_port(&e)); /* what the server sees */

	pkt_flow(&in, &x, REPLY, 0);
	pkt_flow(&want, &f, REPLY, 0);
	forwarded(&want, DP_FP_CLIENT_MAC5);
	expect_redirect(t, "reply at wan0: destination back to the client, sent to its MAC",
	                DP_INGRESS_WAN, &in, &want);
	pkt_flow(&in, &f, ORIG, 0);
	pkt_flow(&want, &x, ORIG, 0);
	forwarded(&want, DP_FP_SERVER_MAC5);
	expect_redirect(t, "second packet at lan0: source masqueraded at ingress", DP_INGRESS_LAN,
	                &in, &want);
	dp_expect_stat(t, "counters", TCFW_STAT_FAST_PATH, 2);
}

/* in with its IPv4 TTL set to ttl (header checksum fixed). */
static void set_ttl(struct pkt *p, uint8_t ttl)
{
	uint8_t *ip = p->b + p->l3;
	uint16_t sum;

	ip[8] = ttl;
	ip[10] = ip[11] = 0;
	sum = dp_csum_fold(dp_csum_add(0, ip, (size_t)(ip[0] & 0xf) * 4));
	ip[10] = (uint8_t)(sum >> 8);
	ip[11] = (uint8_t)sum;
}

/* A UDP datagram of f's orig direction with payload bytes, IP options optlen, VLAN vid (0:
 * untagged), DF set. */
static void udp_packet(struct pkt *p, const struct flow *f, size_t payload, size_t optlen,
                       uint16_t vid)
{
	static const uint8_t zeros[1500];

	pkt_init(p);
	if (vid) {
		pkt_eth(p, 0x8100, false);
		pkt_vlan(p, vid, 0x0800);
	} else {
		pkt_eth(p, 0x0800, false);
	}
	pkt_ipv4(p, f->src, f->dst, IPPROTO_UDP, optlen, 0x1234, 0x4000);
	pkt_udp(p, f->sport, f->dport);
	pkt_data(p, zeros, payload);
	pkt_finish(p);
}

/* Open f and see its reply leave by the fast path, so that the next packets are established. */
static bool establish(struct dp *t, const struct flow *f)
{
	struct pkt in;
	int before = t->failures;

	pkt_flow(&in, f, ORIG, 0);
	dp_send(t, "open the connection", DP_INGRESS_LAN, &in, TC_OK);
	pkt_flow(&in, f, REPLY, 0);
	dp_send(t, "its reply leaves by the fast path", DP_INGRESS_WAN, &in, TC_REDIRECT);
	return t->failures == before;
}

/* Everything the kernel must handle itself: established packets that the fast path leaves
 * alone (TC_ACT_OK, not a byte changed). */
DP_CASE(fastpath_kernel_cases)
{
	const struct flow f = {4, IPPROTO_UDP, DP_FP_CLIENT, DP_FP_SERVER, 5001, 53};
	const struct flow small_mtu = {4, IPPROTO_UDP, DP_FP_CLIENT, DP_FP_SERVER_MTU, 5002, 53};
	const struct flow no_neigh = {4, IPPROTO_UDP, DP_FP_CLIENT, "203.0.113.99", 5003, 53};
	struct pkt in;

	if (!establish(t, &f))
		return;
	pkt_flow(&in, &f, ORIG, 0);
	set_ttl(&in, 1);
	dpn_expect(t, "TTL 1: the kernel sends time exceeded", DP_INGRESS_LAN, &in, TC_OK, NULL);
	udp_packet(&in, &f, 8, 4, 0);
	dpn_expect(t, "IPv4 options", DP_INGRESS_LAN, &in, TC_OK, NULL);
	udp_packet(&in, &f, 8, 0, 7);
	dpn_expect(t, "VLAN tag", DP_INGRESS_LAN, &in, TC_OK, NULL);
	udp_packet(&in, &f, 8, 0, 0);
	dp_send(t, "the same packet untagged, no options: fast", DP_INGRESS_LAN, &in, TC_REDIRECT);

	if (!establish(t, &small_mtu))
		return;
	udp_packet(&in, &small_mtu, DP_FP_ROUTE_MTU - 28 + 1, 0, 0);
	dpn_expect(t, "one byte over the route's MTU: the kernel answers 'fragmentation needed'",
	           DP_INGRESS_LAN, &in, TC_OK, NULL);
	udp_packet(&in, &small_mtu, DP_FP_ROUTE_MTU - 28, 0, 0);
	dp_send(t, "exactly the route's MTU: fast", DP_INGRESS_LAN, &in, TC_REDIRECT);

	pkt_flow(&in, &no_neigh, ORIG, 0);
	dp_send(t, "no neighbour entry: open", DP_INGRESS_LAN, &in, TC_OK);
	pkt_flow(&in, &no_neigh, REPLY, 0);
	dp_send(t, "the reply to the client (whose neighbour entry exists): fast", DP_INGRESS_WAN,
	        &in, TC_REDIRECT);
	pkt_flow(&in, &no_neigh, ORIG, 0);
	dpn_expect(t, "no neighbour entry for the server: the kernel resolves it", DP_INGRESS_LAN,
	           &in, TC_OK, NULL);

	dp_expect_stat(t, "counters", TCFW_STAT_FAST_PATH, 5);
}

/* f's orig-direction datagram with payload bytes, and what the fast path makes of it when it
 * sends it to 02:00:00:00:00:mac5. */
static void udp_forwarded(struct pkt *in, struct pkt *want, const struct flow *f, size_t payload,
                          uint8_t mac5)
{
	udp_packet(in, f, payload, 0, 0);
	*want = *in;
	forwarded(want, mac5);
}

/*
 * The next hop kept in the connection (config.nexthop_cache_us): while the window lasts, a
 * neighbour's new MAC is not seen (nothing asked the kernel: fib_lookups stays), a longer
 * packet than the route took asks again (and sees it), and nexthop_cache_us 0 asks every time.
 */
DP_CASE(fastpath_nexthop_kept)
{
	const struct flow f = {4, IPPROTO_UDP, DP_FP_CLIENT, DP_FP_SERVER_MOVES, 5004, 53};
	const uint8_t old_mac = DP_FP_SERVER_MAC5, new_mac = DP_FP_SERVER_MAC5 + 1;
	struct pkt in, want;

	dp_set_neigh(t, t->ifindex_wan, DP_FP_SERVER_MOVES, old_mac);
	dp_set_nexthop_cache(t, 60 * 1000 * 1000);
	if (!establish(t, &f))
		return;
	dp_expect_stat(t, "the reply asked for its route", TCFW_STAT_FIB_LOOKUP, 1);
	udp_forwarded(&in, &want, &f, 8, old_mac);
	expect_redirect(t, "orig: asks, to the server's MAC", DP_INGRESS_LAN, &in, &want);
	dp_expect_stat(t, "one lookup per direction", TCFW_STAT_FIB_LOOKUP, 2);

	dp_set_neigh(t, t->ifindex_wan, DP_FP_SERVER_MOVES, new_mac);
	udp_forwarded(&in, &want, &f, 8, old_mac);
	expect_redirect(t, "new MAC, inside the window: the kept next hop", DP_INGRESS_LAN, &in,
	                &want);
	dp_expect_stat(t, "nothing asked", TCFW_STAT_FIB_LOOKUP, 2);
	udp_forwarded(&in, &want, &f, 400, new_mac);
	expect_redirect(t, "longer than the route took: asks again, the new MAC", DP_INGRESS_LAN,
	                &in, &want);
	udp_forwarded(&in, &want, &f, 8, new_mac);
	expect_redirect(t, "short again: the answer just kept", DP_INGRESS_LAN, &in, &want);
	dp_expect_stat(t, "one more lookup", TCFW_STAT_FIB_LOOKUP, 3);

	dp_set_nexthop_cache(t, 0);
	dp_set_neigh(t, t->ifindex_wan, DP_FP_SERVER_MOVES, old_mac);
	udp_forwarded(&in, &want, &f, 8, old_mac);
	expect_redirect(t, "nexthop_cache_us 0: asks, the MAC of now", DP_INGRESS_LAN, &in, &want);
	udp_forwarded(&in, &want, &f, 8, old_mac);
	expect_redirect(t, "and asks again", DP_INGRESS_LAN, &in, &want);
	dp_expect_stat(t, "a lookup per packet", TCFW_STAT_FIB_LOOKUP, 5);
	dp_expect_stat(t, "all fast", TCFW_STAT_FAST_PATH, 7);
}
