// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * dp_reject.c - 'reject': the reply the datapath builds in place of the refused packet and
 * redirects (TC_ACT_REDIRECT). Every byte of it is checked against what the refused packet
 * says it must be, and every checksum is recomputed here and compared:
 *  - TCP: RST|ACK, seq 0, ack = seq + SYN + payload, ports / addresses / MACs swapped, no IP
 *    options or extension headers, TTL / hop limit 64, VLAN tag kept;
 *  - other protocols: ICMP port unreachable quoting the IP header + 8 bytes, ICMPv6 port
 *    unreachable quoting up to 1280 bytes in all; source: the gateway's address towards
 *    the sender for forwarded packets, the packet's destination otherwise;
 *  - at egress (the gateway's own packet): turned back into the stack, marked so that ingress
 *    lets it through;
 *  - broadcast / multicast packets and sources are dropped unanswered.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "dp.h"

#define ORIG TCFW_DIR_ORIG

#define ZONES "zone lan { lan0 }\nzone wan { wan0 }\n"

/* ---- reading and checking the reply ------------------------------------------------------- */
static uint32_t rd16(const uint8_t *p)
{
	return (uint32_t)p[0] << 8 | p[1];
}

static uint32_t rd32(const uint8_t *p)
{
	return rd16(p) << 16 | rd16(p + 2);
}

/* The checksum a header (and what follows it) of len bytes at p must carry in its 16-bit
 * field at p + at: recomputed here with that field zero, plus the pseudo-header sum. */
static uint16_t csum_of(const uint8_t *p, size_t len, size_t at, uint32_t pseudo)
{
	uint8_t copy[PKT_MAX];

	memcpy(copy, p, len);
	copy[at] = 0;
	copy[at + 1] = 0;
	return dp_csum_fold(dp_csum_add(pseudo, copy, len));
}

/* Pseudo-header sum (RFC 793 / RFC 8200) of the IP header at ip for len bytes of proto. */
static uint32_t pseudo_sum(int family, const uint8_t *ip, uint8_t proto, size_t len)
{
	if (family == 4)
		return dp_csum_add(0, ip + 12, 8) + proto + (uint32_t)len;
	return dp_csum_add(0, ip + 8, 32) + proto + (uint32_t)(len >> 16) +
	       (uint32_t)(len & 0xffff);
}

static void expect_bytes(struct dp *t, const char *step, const char *what, const uint8_t *got,
                         const uint8_t *want, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (got[i] != want[i]) {
			dp_fail(t, step, "%s: byte %zu: expected 0x%02x, got 0x%02x", what, i,
			        want[i], got[i]);
			return;
		}
}

static void expect_addr(struct dp *t, const char *step, const char *what, int family,
                        const uint8_t *got, const char *want_text)
{
	uint8_t want[16];
	char got_text[INET6_ADDRSTRLEN];

	inet_pton(family == 4 ? AF_INET : AF_INET6, want_text, want);
	if (memcmp(got, want, family == 4 ? 4 : 16)) {
		inet_ntop(family == 4 ? AF_INET : AF_INET6, got, got_text, sizeof(got_text));
		dp_fail(t, step, "%s: expected %s, got %s", what, want_text, got_text);
	}
}

/* L2: MACs swapped, the rest (VLAN tag, EtherType) as in the packet. */
static void expect_l2(struct dp *t, const char *step, const struct pkt *in, const struct pkt *out)
{
	expect_bytes(t, step, "destination MAC (the packet's source)", out->b, in->b + 6, 6);
	expect_bytes(t, step, "source MAC (the packet's destination)", out->b + 6, in->b, 6);
	expect_bytes(t, step, "VLAN tag / EtherType", out->b + 12, in->b + 12, in->l3 - 12);
}

/* The reply's IP header at out->b + l3: fresh, from src_text to the packet's source. */
static void expect_ip(struct dp *t, const char *step, const struct pkt *in, const uint8_t *ip,
                      uint8_t proto, size_t l4_len, const char *src_text, uint8_t tos,
                      uint16_t frag_off)
{
	const uint8_t *in_ip = in->b + in->l3;

	if (in->family == 4) {
		DP_EXPECT_EQ(t, step, "IPv4 version / header length", ip[0], 0x45);
		DP_EXPECT_EQ(t, step, "IPv4 TOS", ip[1], tos);
		DP_EXPECT_EQ(t, step, "IPv4 total length", rd16(ip + 2), 20 + l4_len);
		DP_EXPECT_EQ(t, step, "IPv4 id", rd16(ip + 4), 0);
		DP_EXPECT_EQ(t, step, "IPv4 flags / fragment offset", rd16(ip + 6), frag_off);
		DP_EXPECT_EQ(t, step, "IPv4 TTL", ip[8], 64);
		DP_EXPECT_EQ(t, step, "IPv4 protocol", ip[9], proto);
		DP_EXPECT_EQ(t, step, "IPv4 header checksum (recomputed)", rd16(ip + 10),
		             csum_of(ip, 20, 10, 0));
		expect_addr(t, step, "IPv4 source", 4, ip + 12, src_text);
		expect_bytes(t, step, "IPv4 destination (the packet's source)", ip + 16, in_ip + 12,
		             4);
		return;
	}
	DP_EXPECT_EQ(t, step, "IPv6 version / class / flow", rd32(ip), 0x60000000);
	DP_EXPECT_EQ(t, step, "IPv6 payload length", rd16(ip + 4), l4_len);
	DP_EXPECT_EQ(t, step, "IPv6 next header", ip[6], proto);
	DP_EXPECT_EQ(t, step, "IPv6 hop limit", ip[7], 64);
	expect_addr(t, step, "IPv6 source", 6, ip + 8, src_text);
	expect_bytes(t, step, "IPv6 destination (the packet's source)", ip + 24, in_ip + 8, 16);
}

/*
 * in was refused with a TCP reset: out must be exactly L2 + IP (20 / 40) + TCP (20), the
 * reset answering in (whose destination was dst_text), acknowledging `ack`.
 */
static void expect_rst(struct dp *t, const char *step, const struct pkt *in, const struct pkt *out,
                       const char *dst_text, uint32_t ack)
{
	size_t iplen = in->family == 4 ? 20 : 40;
	const uint8_t *ip = out->b + in->l3, *th = ip + iplen, *in_th = in->b + in->l4;

	if (out->len != in->l3 + iplen + 20) {
		dp_fail(t, step, "reset length: expected %zu, got %zu", in->l3 + iplen + 20,
		        out->len);
		return;
	}
	expect_l2(t, step, in, out);
	expect_ip(t, step, in, ip, IPPROTO_TCP, 20, dst_text, 0, in->family == 4 ? 0x4000 : 0);
	DP_EXPECT_EQ(t, step, "TCP source port (the packet's destination port)", rd16(th),
	             rd16(in_th + 2));
	DP_EXPECT_EQ(t, step, "TCP destination port (the packet's source port)", rd16(th + 2),
	             rd16(in_th));
	DP_EXPECT_EQ(t, step, "TCP seq", rd32(th + 4), 0);
	DP_EXPECT_EQ(t, step, "TCP ack", rd32(th + 8), ack);
	DP_EXPECT_EQ(t, step, "TCP data offset", th[12], 0x50);
	DP_EXPECT_EQ(t, step, "TCP flags (RST|ACK)", th[13], F_RST | F_ACK);
	DP_EXPECT_EQ(t, step, "TCP window", rd16(th + 14), 0);
	DP_EXPECT_EQ(t, step, "TCP checksum (recomputed)", rd16(th + 16),
	             csum_of(th, 20, 16, pseudo_sum(in->family, ip, IPPROTO_TCP, 20)));
	DP_EXPECT_EQ(t, step, "TCP urgent pointer", rd16(th + 18), 0);
}

/*
 * in was refused with an ICMP / ICMPv6 port unreachable from src_text: out must be exactly
 * L2 + IP + 8 bytes of ICMP + the first `quote` bytes of in's IP packet.
 */
static void expect_unreachable(struct dp *t, const char *step, const struct pkt *in,
                               const struct pkt *out, const char *src_text, size_t quote)
{
	bool v4 = in->family == 4;
	size_t iplen = v4 ? 20 : 40, icmp_len = 8 + quote;
	const uint8_t *ip = out->b + in->l3, *icmp = ip + iplen;

	if (out->len != in->l3 + iplen + icmp_len) {
		dp_fail(t, step, "ICMP error length: expected %zu, got %zu",
		        in->l3 + iplen + icmp_len, out->len);
		return;
	}
	expect_l2(t, step, in, out);
	expect_ip(t, step, in, ip, v4 ? IPPROTO_ICMP : IPPROTO_ICMPV6, icmp_len, src_text,
	          v4 ? 0xc0 : 0, 0);
	DP_EXPECT_EQ(t, step, "ICMP type (destination unreachable)", icmp[0], v4 ? 3 : 1);
	DP_EXPECT_EQ(t, step, "ICMP code (port unreachable)", icmp[1], v4 ? 3 : 4);
	DP_EXPECT_EQ(
	    t, step, "ICMP checksum (recomputed)", rd16(icmp + 2),
	    csum_of(icmp, icmp_len, 2, v4 ? 0 : pseudo_sum(6, ip, IPPROTO_ICMPV6, icmp_len)));
	DP_EXPECT_EQ(t, step, "ICMP unused word", rd32(icmp + 4), 0);
	expect_bytes(t, step, "quoted packet", icmp + 8, in->b + in->l3, quote);
}

/* Run p by hook and expect it refused with a redirected reply, in out. */
static bool run_rejected(struct dp *t, const char *step, enum dp_hook hook, const struct pkt *p,
                         struct pkt *out)
{
	int ret = dp_run_out(t, step, hook, p, out, NULL);

	if (ret < 0)
		return false;
	if (ret != TC_REDIRECT) {
		dp_fail(t, step, "verdict: expected TC_ACT_REDIRECT (7), got %d", ret);
		return false;
	}
	return true;
}

static bool load(struct dp *t, const char *rules)
{
	char text[1024];

	dp_add_local_addr(t, "192.0.2.1", t->ifindex_lan);
	dp_add_local_addr(t, "2001:db8:1::1", t->ifindex_lan);
	dp_add_local_addr(t, "198.51.100.1", t->ifindex_wan);
	dp_add_local_addr(t, "2001:db8:2::1", t->ifindex_wan);
	snprintf(text, sizeof(text),
	         "%sdefaults { input drop; forward drop; output accept; invalid drop }\n%s", ZONES,
	         rules);
	return dp_policy_load(t, "load the policy", text, 0, true);
}

/* ---- TCP ------------------------------------------------------------------------------------ */
DP_CASE(reject_tcp4)
{
	static const struct flow smtp = {4, IPPROTO_TCP, "192.0.2.10", "198.51.100.20", 40000, 25};
	struct pkt in, out;

	if (!load(t, "forward reject in lan proto tcp dport 25\n"))
		return;
	pkt_flow(&in, &smtp, ORIG, F_SYN);
	if (run_rejected(t, "SYN to port 25", DP_INGRESS_LAN, &in, &out))
		expect_rst(t, "SYN to port 25", &in, &out, smtp.dst, 1000 + 1);
	dp_expect_no_conn(t, "rejected", &smtp);
	dp_expect_stat(t, "end", TCFW_STAT_VERDICT_REJECT, 1);
	dp_expect_stat(t, "end", TCFW_STAT_REJECT_SENT, 1);
	DP_EXPECT_EQ(t, "end", "entries in ct", dp_count_ct(t), 0);
}

DP_CASE(reject_tcp6)
{
	static const struct flow smtp6 = {6,     IPPROTO_TCP, "2001:db8:1::10", "2001:db8:3::7",
	                                  40000, 25};
	static const struct flow to_gw6 = {6,     IPPROTO_TCP, "2001:db8:2::20", "2001:db8:2::1",
	                                   40001, 23};
	struct pkt in, out;

	if (!load(t, "forward reject proto tcp dport 25\n"
	             "input reject in wan proto tcp dport 23\n"))
		return;
	pkt_flow(&in, &smtp6, ORIG, F_SYN);
	if (run_rejected(t, "IPv6 SYN to port 25", DP_INGRESS_LAN, &in, &out))
		expect_rst(t, "IPv6 SYN to port 25", &in, &out, smtp6.dst, 1001);

	/* With a destination options header: the reset has no extension header. */
	pkt_init(&in);
	pkt_eth(&in, 0x86dd, false);
	pkt_ipv6(&in, to_gw6.src, to_gw6.dst, IPPROTO_DSTOPTS);
	pkt_ipv6_ext(&in, IPPROTO_DSTOPTS, 16, IPPROTO_TCP);
	pkt_tcp(&in, to_gw6.sport, to_gw6.dport, F_SYN);
	pkt_finish(&in);
	if (run_rejected(t, "IPv6 SYN with an extension header, input", DP_INGRESS_WAN, &in, &out))
		expect_rst(t, "IPv6 SYN with an extension header, input", &in, &out, to_gw6.dst,
		           1001);
	dp_expect_stat(t, "end", TCFW_STAT_REJECT_SENT, 2);
	DP_EXPECT_EQ(t, "end", "entries in ct", dp_count_ct(t), 0);
}

DP_CASE(reject_tcp_options_payload)
{
	static const uint8_t data[10] = "early data";
	struct pkt in, out;

	if (!load(t, "forward reject proto tcp dport 25\n"))
		return;
	/* IPv4 options, and a SYN that carries data (TCP Fast Open): ack covers SYN + data. */
	pkt_init(&in);
	pkt_eth(&in, 0x0800, false);
	pkt_ipv4(&in, "192.0.2.10", "198.51.100.20", IPPROTO_TCP, 8, 0x1111, 0x4000);
	pkt_tcp(&in, 40000, 25, F_SYN);
	pkt_data(&in, data, sizeof(data));
	pkt_finish(&in);
	if (run_rejected(t, "SYN with options and data", DP_INGRESS_LAN, &in, &out))
		expect_rst(t, "SYN with options and data", &in, &out, "198.51.100.20",
		           1000 + 1 + sizeof(data));
}

DP_CASE(reject_tcp_vlan)
{
	struct pkt in, out;

	if (!load(t, "forward reject proto tcp dport 25\n"))
		return;
	pkt_init(&in);
	pkt_eth(&in, 0x8100, false);
	pkt_vlan(&in, 100, 0x0800);
	pkt_ipv4(&in, "192.0.2.10", "198.51.100.20", IPPROTO_TCP, 0, 0x2222, 0x4000);
	pkt_tcp(&in, 40000, 25, F_SYN);
	pkt_finish(&in);
	if (run_rejected(t, "SYN with a VLAN tag", DP_INGRESS_LAN, &in, &out))
		expect_rst(t, "SYN with a VLAN tag", &in, &out, "198.51.100.20", 1001);
}

/* ---- ICMP port unreachable ------------------------------------------------------------------ */
DP_CASE(reject_udp4_forward)
{
	static const struct flow dns = {4, IPPROTO_UDP, "192.0.2.10", "198.51.100.20", 5000, 53};
	struct pkt in, out;

	if (!load(t, "forward reject proto udp\n"))
		return;
	pkt_flow(&in, &dns, ORIG, 0);
	/* Forwarded: from the gateway's address on the client's side (lan0: 192.0.2.1). */
	if (run_rejected(t, "forwarded UDP", DP_INGRESS_LAN, &in, &out))
		expect_unreachable(t, "forwarded UDP", &in, &out, "192.0.2.1", 20 + 8);
	dp_expect_no_conn(t, "rejected", &dns);
	dp_expect_stat(t, "end", TCFW_STAT_REJECT_SENT, 1);
}

DP_CASE(reject_udp4_input)
{
	static const struct flow snmp = {4,    IPPROTO_UDP, "198.51.100.20", "198.51.100.1",
	                                 5000, 161};
	struct pkt in, out;

	if (!load(t, "input reject in wan proto udp dport 161\n"))
		return;
	/* IPv4 options are quoted too: the quote is the whole IP header + 8 bytes. */
	pkt_init(&in);
	pkt_eth(&in, 0x0800, false);
	pkt_ipv4(&in, snmp.src, snmp.dst, IPPROTO_UDP, 12, 0x3333, 0);
	pkt_udp(&in, snmp.sport, snmp.dport);
	pkt_data(&in, "0123456789abcdef", 16);
	pkt_finish(&in);
	if (run_rejected(t, "UDP to the gateway", DP_INGRESS_WAN, &in, &out))
		expect_unreachable(t, "UDP to the gateway", &in, &out, snmp.dst, 32 + 8);
}

DP_CASE(reject_udp6_quote_1280)
{
	static const struct flow small = {6,    IPPROTO_UDP, "2001:db8:1::10", "2001:db8:3::7",
	                                  5000, 53};
	static uint8_t payload[1400];
	struct pkt in, out;

	if (!load(t, "forward reject proto udp\n"))
		return;
	pkt_flow(&in, &small, ORIG, 0);
	if (run_rejected(t, "small IPv6 UDP: quoted whole", DP_INGRESS_LAN, &in, &out))
		expect_unreachable(t, "small IPv6 UDP: quoted whole", &in, &out, "2001:db8:1::1",
		                   in.len - in.l3);

	/* 1448 bytes of IPv6: the error quotes 1232, so that it is 1280 bytes in all. */
	for (size_t i = 0; i < sizeof(payload); i++)
		payload[i] = (uint8_t)(i * 7);
	pkt_init(&in);
	pkt_eth(&in, 0x86dd, false);
	pkt_ipv6(&in, small.src, small.dst, IPPROTO_UDP);
	pkt_udp(&in, 5001, 53);
	pkt_data(&in, payload, sizeof(payload));
	pkt_finish(&in);
	if (run_rejected(t, "large IPv6 UDP: quote cut at 1280", DP_INGRESS_LAN, &in, &out)) {
		expect_unreachable(t, "large IPv6 UDP: quote cut at 1280", &in, &out,
		                   "2001:db8:1::1", 1232);
		DP_EXPECT_EQ(t, "large IPv6 UDP", "IPv6 packet length", out.len - in.l3, 1280);
	}
	dp_expect_stat(t, "end", TCFW_STAT_REJECT_SENT, 2);
}

DP_CASE(reject_icmp_echo)
{
	static const struct flow ping = {4, IPPROTO_ICMP, "192.0.2.10", "198.51.100.20", 99, 0};
	struct pkt in, out;

	if (!load(t, "forward reject proto icmp\n"))
		return;
	pkt_flow(&in, &ping, ORIG, 0);
	if (run_rejected(t, "echo request", DP_INGRESS_LAN, &in, &out))
		expect_unreachable(t, "echo request", &in, &out, "192.0.2.1", 20 + 8);
}

/* ---- egress: back into the stack ------------------------------------------------------------ */
DP_CASE(reject_output_back_into_stack)
{
	static const struct flow ntp = {4, IPPROTO_UDP, "198.51.100.1", "198.51.100.20", 123, 123};
	static const struct flow smtp = {4,     IPPROTO_TCP, "198.51.100.1", "198.51.100.20",
	                                 50000, 25};
	struct __sk_buff ctx;
	struct pkt in, out, reply;
	int ret;

	if (!load(t, "output reject proto udp dport 123\n"
	             "output reject proto tcp dport 25\n"))
		return;
	pkt_flow(&in, &ntp, ORIG, 0);
	dp_ctx(t, DP_EGRESS_LOCAL_WAN, &ctx);
	ret = dp_run_out(t, "gateway's own UDP", DP_EGRESS_LOCAL_WAN, &in, &out, &ctx);
	DP_EXPECT_EQ(t, "gateway's own UDP", "verdict (TC_ACT_REDIRECT)", ret, TC_REDIRECT);
	if (ret == TC_REDIRECT) {
		/* From the address it was sent to: the local socket sees the peer refuse. */
		expect_unreachable(t, "gateway's own UDP", &in, &out, ntp.dst, 20 + 8);
		DP_EXPECT_EQ(t, "gateway's own UDP", "skb mark", ctx.mark, TCFW_MARK_OWN_REPLY);
	}

	/* The reply, back in at ingress: passed untouched, the mark cleared, not invalid. */
	reply = out;
	dp_ctx(t, DP_INGRESS_WAN, &ctx);
	ctx.mark = TCFW_MARK_OWN_REPLY;
	ret = dp_run_out(t, "the reply at ingress", DP_INGRESS_WAN, &reply, &out, &ctx);
	DP_EXPECT_EQ(t, "the reply at ingress", "verdict", ret, TC_OK);
	DP_EXPECT_EQ(t, "the reply at ingress", "skb mark", ctx.mark, 0);
	dp_expect_stat(t, "the reply at ingress", TCFW_STAT_CT_INVALID, 0);
	/* Without the mark, the same packet is an ICMP error about nothing: invalid, dropped. */
	dp_send(t, "the reply without the mark", DP_INGRESS_WAN, &reply, TC_SHOT);
	dp_expect_stat(t, "the reply without the mark", TCFW_STAT_CT_INVALID, 1);

	pkt_flow(&in, &smtp, ORIG, F_SYN);
	dp_ctx(t, DP_EGRESS_LOCAL_WAN, &ctx);
	ret = dp_run_out(t, "gateway's own SYN", DP_EGRESS_LOCAL_WAN, &in, &out, &ctx);
	DP_EXPECT_EQ(t, "gateway's own SYN", "verdict (TC_ACT_REDIRECT)", ret, TC_REDIRECT);
	if (ret == TC_REDIRECT) {
		expect_rst(t, "gateway's own SYN", &in, &out, smtp.dst, 1001);
		DP_EXPECT_EQ(t, "gateway's own SYN", "skb mark", ctx.mark, TCFW_MARK_OWN_REPLY);
	}
	dp_expect_stat(t, "end", TCFW_STAT_REJECT_SENT, 2);
	DP_EXPECT_EQ(t, "end", "entries in ct", dp_count_ct(t), 0);
}

/* ---- what is never answered ------------------------------------------------------------------ */
DP_CASE(reject_never_answered)
{
	static const struct {
		const char *step;
		struct flow f;
		bool l2_broadcast;
	} to[] = {
	    {"limited broadcast", {4, IPPROTO_UDP, "192.0.2.10", "255.255.255.255", 68, 67}, true},
	    {"subnet broadcast (L2 broadcast)",
	     {4, IPPROTO_UDP, "192.0.2.10", "192.0.2.255", 137, 137},
	     true},
	    {"IPv4 multicast", {4, IPPROTO_UDP, "192.0.2.10", "224.0.0.251", 5353, 5353}, false},
	    {"IPv6 multicast", {6, IPPROTO_UDP, "2001:db8:1::10", "ff02::fb", 5353, 5353}, false},
	    {"from 0.0.0.0", {4, IPPROTO_UDP, "0.0.0.0", "192.0.2.1", 68, 67}, false},
	    {"from a multicast source",
	     {4, IPPROTO_UDP, "224.0.0.5", "192.0.2.1", 5000, 520},
	     false},
	    {"from ::", {6, IPPROTO_UDP, "::", "2001:db8:1::1", 546, 547}, false},
	    {"TCP to a multicast address",
	     {4, IPPROTO_TCP, "192.0.2.10", "239.1.2.3", 40000, 80},
	     false},
	};

	if (!load(t, "input reject\n"))
		return;
	for (size_t i = 0; i < sizeof(to) / sizeof(to[0]); i++) {
		struct pkt p;

		pkt_flow(&p, &to[i].f, ORIG, to[i].f.proto == IPPROTO_TCP ? F_SYN : 0);
		if (to[i].l2_broadcast)
			memset(p.b, 0xff, 6);
		dp_send(t, to[i].step, DP_INGRESS_LAN, &p, TC_SHOT);
	}
	dp_expect_stat(t, "end", TCFW_STAT_VERDICT_REJECT, sizeof(to) / sizeof(to[0]));
	dp_expect_stat(t, "end", TCFW_STAT_REJECT_SENT, 0);
	DP_EXPECT_EQ(t, "end", "entries in ct", dp_count_ct(t), 0);
}

DP_CASE(policy_reject)
{
	static const struct flow web = {4, IPPROTO_TCP, "192.0.2.10", "198.51.100.20", 40000, 80};
	struct flow other = web;

	dp_set_policy(t, 0, TCFW_VERDICT_ACCEPT, TCFW_VERDICT_REJECT, TCFW_VERDICT_ACCEPT,
	              TCFW_VERDICT_ACCEPT);
	/* Answered with a reset, redirected (dp_reject.c checks the reply itself). */
	dp_flow(t, "SYN, forward rejects", DP_INGRESS_LAN, &web, ORIG, F_SYN, TC_REDIRECT);
	dp_expect_no_conn(t, "rejected", &web);
	dp_expect_stat(t, "rejected", TCFW_STAT_VERDICT_REJECT, 1);
	dp_expect_stat(t, "rejected", TCFW_STAT_REJECT_SENT, 1);
	dp_expect_drops(t, "rejected", TCFW_DROP_REJECT, TCFW_CHAIN_FORWARD, 1);

	/* A verdict outside the enum is not zero, so not "accept": it fails closed. */
	dp_set_policy(t, 0, TCFW_VERDICT_ACCEPT, 7, TCFW_VERDICT_ACCEPT, TCFW_VERDICT_ACCEPT);
	other.sport = 40200;
	dp_flow(t, "SYN, forward verdict 7", DP_INGRESS_LAN, &other, ORIG, F_SYN, TC_SHOT);
	dp_expect_stat(t, "end", TCFW_STAT_VERDICT_DROP, 1);
	dp_expect_drops(t, "end", TCFW_DROP_POLICY, TCFW_CHAIN_FORWARD, 1);
	DP_EXPECT_EQ(t, "end", "entries in ct", dp_count_ct(t), 0);
}
