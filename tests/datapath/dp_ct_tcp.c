// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * dp_ct_tcp.c - the TCP state machine: netfilter's transitions, loose = 0, reopening,
 * invalid packets, simultaneous open.
 */
#include <netinet/in.h>
#include <string.h>

#include "dp.h"

/* A LAN client talking to a server behind wan0: the forward chain. */
static const struct flow web = {4, IPPROTO_TCP, "192.0.2.10", "198.51.100.20", 40000, 80};

#define ORIG  TCFW_DIR_ORIG
#define REPLY TCFW_DIR_REPLY

/* Packets of web: orig ones arrive on lan0, reply ones on wan0. */
static void web_pkt(struct dp *t, const char *step, int dir, uint8_t flags, int want)
{
	dp_flow(t, step, dir == ORIG ? DP_INGRESS_LAN : DP_INGRESS_WAN, &web, dir, flags, want);
}

static void handshake(struct dp *t, const struct flow *f)
{
	dp_flow(t, "handshake SYN", DP_INGRESS_LAN, f, ORIG, F_SYN, TC_OK);
	dp_flow(t, "handshake SYN-ACK", DP_INGRESS_WAN, f, REPLY, F_SYN | F_ACK, TC_OK);
	dp_flow(t, "handshake ACK", DP_INGRESS_LAN, f, ORIG, F_ACK, TC_OK);
	dp_expect_conn(t, "after handshake", f, TCFW_CT_TCP_ESTABLISHED,
	               TCFW_CTF_SEEN_REPLY | TCFW_CTF_ASSURED, NULL);
}

/* Invalid packets are dropped in these cases, so that "invalid" shows as a verdict. */
static void invalid_drops(struct dp *t)
{
	dp_set_policy(t, 0, TCFW_VERDICT_ACCEPT, TCFW_VERDICT_ACCEPT, TCFW_VERDICT_ACCEPT,
	              TCFW_VERDICT_DROP);
}

DP_CASE(tcp_handshake_teardown)
{
	static const struct {
		const char *step;
		int dir;
		uint8_t flags;
		unsigned int state;
	} walk[] = {
	    {"SYN from client", ORIG, F_SYN, TCFW_CT_TCP_SYN_SENT},
	    {"SYN-ACK from server", REPLY, F_SYN | F_ACK, TCFW_CT_TCP_SYN_RECV},
	    {"ACK from client", ORIG, F_ACK, TCFW_CT_TCP_ESTABLISHED},
	    {"data from client", ORIG, F_PSH | F_ACK, TCFW_CT_TCP_ESTABLISHED},
	    {"FIN from client", ORIG, F_FIN | F_ACK, TCFW_CT_TCP_FIN_WAIT},
	    {"ACK of the FIN from server", REPLY, F_ACK, TCFW_CT_TCP_CLOSE_WAIT},
	    {"FIN from server", REPLY, F_FIN | F_ACK, TCFW_CT_TCP_LAST_ACK},
	    {"last ACK from client", ORIG, F_ACK, TCFW_CT_TCP_TIME_WAIT},
	};
	struct tcfw_ct_entry e;

	for (size_t i = 0; i < sizeof(walk) / sizeof(walk[0]); i++) {
		web_pkt(t, walk[i].step, walk[i].dir, walk[i].flags, TC_OK);
		dp_expect_conn(t, walk[i].step, &web, walk[i].state, 0, NULL);
	}
	dp_expect_conn(t, "after teardown", &web, TCFW_CT_TCP_TIME_WAIT,
	               TCFW_CTF_SEEN_REPLY | TCFW_CTF_ASSURED, &e);
	/* 5 packets from the client, 3 from the server, 40 bytes of IP + TCP each. */
	DP_EXPECT_EQ(t, "after teardown", "orig packets", e.ctr[ORIG].packets, 5);
	DP_EXPECT_EQ(t, "after teardown", "orig bytes", e.ctr[ORIG].bytes, 5 * 40);
	DP_EXPECT_EQ(t, "after teardown", "reply packets", e.ctr[REPLY].packets, 3);
	DP_EXPECT_EQ(t, "after teardown", "reply bytes", e.ctr[REPLY].bytes, 3 * 40);
	DP_EXPECT_EQ(t, "after teardown", "chain", e.chain, TCFW_CHAIN_FORWARD);
	DP_EXPECT_EQ(t, "after teardown", "ifindex_in", e.ifindex_in, t->ifindex_lan);
	DP_EXPECT_EQ(t, "after teardown", "ifindex_out", e.ifindex_out, t->ifindex_wan);
	DP_EXPECT_EQ(t, "after teardown", "tcp_last_dir", e.tcp_last_dir, ORIG);
	DP_EXPECT_EQ(t, "after teardown", "tcp_last_index (ACK)", e.tcp_last_index, 3);
	DP_EXPECT_TRUE(t, "after teardown", "created_tick set", e.created_tick != 0);
	dp_expect_stat(t, "after teardown", TCFW_STAT_CT_NEW, 1);
	dp_expect_stat(t, "after teardown", TCFW_STAT_CT_ESTABLISHED, 7);
	dp_expect_stat(t, "after teardown", TCFW_STAT_CT_INVALID, 0);
	dp_expect_stat(t, "after teardown", TCFW_STAT_VERDICT_ACCEPT, 1);
	dp_expect_stat(t, "after teardown", TCFW_STAT_PACKETS, 8);
	DP_EXPECT_EQ(t, "after teardown", "entries in ct", dp_count_ct(t), 1);
	DP_EXPECT_EQ(t, "after teardown", "reference entries (none without NAT)",
	             dp_count_ct_refs(t), 0);
}

DP_CASE(tcp_rst_closes)
{
	struct flow other = web;

	handshake(t, &web);
	web_pkt(t, "RST from server", REPLY, F_RST | F_ACK, TC_OK);
	dp_expect_conn(t, "RST from server", &web, TCFW_CT_TCP_CLOSE, 0, NULL);
	web_pkt(t, "late ACK from client", ORIG, F_ACK, TC_OK);
	dp_expect_conn(t, "late ACK from client", &web, TCFW_CT_TCP_CLOSE, 0, NULL);

	other.sport = 40001;
	handshake(t, &other);
	dp_flow(t, "RST from client", DP_INGRESS_LAN, &other, ORIG, F_RST, TC_OK);
	dp_expect_conn(t, "RST from client", &other, TCFW_CT_TCP_CLOSE, 0, NULL);
}

DP_CASE(tcp_refused_by_rst)
{
	web_pkt(t, "SYN", ORIG, F_SYN, TC_OK);
	web_pkt(t, "RST-ACK: port closed", REPLY, F_RST | F_ACK, TC_OK);
	dp_expect_conn(t, "refused", &web, TCFW_CT_TCP_CLOSE, TCFW_CTF_SEEN_REPLY, NULL);
}

DP_CASE(tcp_without_entry_invalid)
{
	static const struct {
		const char *step;
		int dir;
		uint8_t flags;
	} lone[] = {
	    {"lone ACK", ORIG, F_ACK},
	    {"lone SYN-ACK", REPLY, F_SYN | F_ACK},
	    {"lone FIN-ACK", ORIG, F_FIN | F_ACK},
	    {"lone RST", ORIG, F_RST},
	    {"lone RST-ACK", REPLY, F_RST | F_ACK},
	    {"lone data", ORIG, F_PSH | F_ACK},
	};
	size_t n = sizeof(lone) / sizeof(lone[0]);

	invalid_drops(t);
	for (size_t i = 0; i < n; i++) {
		web_pkt(t, lone[i].step, lone[i].dir, lone[i].flags, TC_SHOT);
		dp_expect_no_conn(t, lone[i].step, &web);
	}
	DP_EXPECT_EQ(t, "after lone packets", "entries in ct", dp_count_ct(t), 0);
	dp_expect_stat(t, "after lone packets", TCFW_STAT_CT_INVALID, n);
	dp_expect_stat(t, "after lone packets", TCFW_STAT_VERDICT_DROP, n);
	dp_expect_stat(t, "after lone packets", TCFW_STAT_CT_NEW, 0);
}

DP_CASE(tcp_bad_flags_invalid)
{
	static const struct {
		const char *step;
		uint8_t flags;
	} bad[] = {
	    {"SYN+FIN", F_SYN | F_FIN},
	    {"SYN+RST", F_SYN | F_RST},
	    {"no flags (null scan)", 0},
	    {"FIN without ACK", F_FIN},
	    {"FIN+PSH+URG (xmas)", F_FIN | F_PSH | 0x20},
	    {"SYN+FIN+RST+ACK", F_SYN | F_FIN | F_RST | F_ACK},
	};
	size_t n = sizeof(bad) / sizeof(bad[0]);
	struct tcfw_ct_entry e;

	invalid_drops(t);
	/* Without a connection: invalid, nothing created. */
	for (size_t i = 0; i < n; i++)
		web_pkt(t, bad[i].step, ORIG, bad[i].flags, TC_SHOT);
	DP_EXPECT_EQ(t, "without a connection", "entries in ct", dp_count_ct(t), 0);

	/* Inside an established connection: invalid, state and counters untouched. */
	handshake(t, &web);
	for (size_t i = 0; i < n; i++)
		web_pkt(t, bad[i].step, REPLY, bad[i].flags, TC_SHOT);
	dp_expect_conn(t, "inside a connection", &web, TCFW_CT_TCP_ESTABLISHED, 0, &e);
	DP_EXPECT_EQ(t, "inside a connection", "reply packets (SYN-ACK only)", e.ctr[REPLY].packets,
	             1);
	dp_expect_stat(t, "end", TCFW_STAT_CT_INVALID, 2 * n);
}

DP_CASE(tcp_time_wait_syn_reopens)
{
	struct flow back = web, reset = web;
	struct tcfw_ct_entry e;

	handshake(t, &web);
	web_pkt(t, "FIN from client", ORIG, F_FIN | F_ACK, TC_OK);
	web_pkt(t, "FIN-ACK from server", REPLY, F_FIN | F_ACK, TC_OK);
	web_pkt(t, "last ACK", ORIG, F_ACK, TC_OK);
	dp_expect_conn(t, "closed", &web, TCFW_CT_TCP_TIME_WAIT, 0, NULL);

	web_pkt(t, "new SYN on TIME_WAIT", ORIG, F_SYN, TC_OK);
	dp_expect_conn(t, "new SYN on TIME_WAIT", &web, TCFW_CT_TCP_SYN_SENT, 0, &e);
	DP_EXPECT_EQ(t, "new SYN on TIME_WAIT", "orig packets (a new connection)",
	             e.ctr[ORIG].packets, 1);
	DP_EXPECT_EQ(t, "new SYN on TIME_WAIT", "reply packets", e.ctr[REPLY].packets, 0);
	DP_EXPECT_EQ(t, "new SYN on TIME_WAIT", "flags (fresh)", e.flags, 0);
	dp_expect_stat(t, "new SYN on TIME_WAIT", TCFW_STAT_CT_NEW, 2);

	/* The server opens the same ports the other way while the old one is in TIME_WAIT:
	 * a new connection in the server's direction. */
	web_pkt(t, "SYN-ACK", REPLY, F_SYN | F_ACK, TC_OK);
	web_pkt(t, "ACK", ORIG, F_ACK, TC_OK);
	web_pkt(t, "FIN from client", ORIG, F_FIN | F_ACK, TC_OK);
	web_pkt(t, "FIN-ACK from server", REPLY, F_FIN | F_ACK, TC_OK);
	web_pkt(t, "last ACK", ORIG, F_ACK, TC_OK);
	dp_expect_conn(t, "closed again", &web, TCFW_CT_TCP_TIME_WAIT, 0, NULL);
	back.src = web.dst, back.dst = web.src, back.sport = web.dport, back.dport = web.sport;
	dp_flow(t, "SYN from the server side", DP_INGRESS_WAN, &back, ORIG, F_SYN, TC_OK);
	dp_expect_no_conn(t, "SYN from the server side", &web);
	dp_expect_conn(t, "SYN from the server side", &back, TCFW_CT_TCP_SYN_SENT, 0, NULL);

	/* CLOSE (after a RST) reopens too. */
	reset.sport = 40002;
	handshake(t, &reset);
	dp_flow(t, "RST", DP_INGRESS_WAN, &reset, REPLY, F_RST, TC_OK);
	dp_flow(t, "SYN after RST", DP_INGRESS_LAN, &reset, ORIG, F_SYN, TC_OK);
	dp_expect_conn(t, "SYN after RST", &reset, TCFW_CT_TCP_SYN_SENT, 0, &e);
	DP_EXPECT_EQ(t, "SYN after RST", "orig packets", e.ctr[ORIG].packets, 1);
}

DP_CASE(tcp_invalid_in_state)
{
	struct tcfw_ct_entry e;

	invalid_drops(t);
	web_pkt(t, "SYN", ORIG, F_SYN, TC_OK);
	web_pkt(t, "ACK from client before any SYN-ACK", ORIG, F_ACK, TC_SHOT);
	web_pkt(t, "SYN-ACK from the client side", ORIG, F_SYN | F_ACK, TC_SHOT);
	web_pkt(t, "FIN from client in SYN_SENT", ORIG, F_FIN | F_ACK, TC_SHOT);
	dp_expect_conn(t, "after invalid packets", &web, TCFW_CT_TCP_SYN_SENT, 0, &e);
	DP_EXPECT_EQ(t, "after invalid packets", "orig packets (invalid ones not counted)",
	             e.ctr[ORIG].packets, 1);
	dp_expect_stat(t, "after invalid packets", TCFW_STAT_CT_INVALID, 3);

	/* IGNORE (netfilter's sIG): a SYN on an established connection passes, changes
	 * nothing. */
	web_pkt(t, "SYN-ACK", REPLY, F_SYN | F_ACK, TC_OK);
	web_pkt(t, "ACK", ORIG, F_ACK, TC_OK);
	web_pkt(t, "SYN in ESTABLISHED (ignored)", ORIG, F_SYN, TC_OK);
	dp_expect_conn(t, "SYN in ESTABLISHED", &web, TCFW_CT_TCP_ESTABLISHED, 0, NULL);
}

DP_CASE(tcp_simultaneous_open)
{
	web_pkt(t, "SYN from client", ORIG, F_SYN, TC_OK);
	web_pkt(t, "SYN from server (crossing)", REPLY, F_SYN, TC_OK);
	dp_expect_conn(t, "crossing SYNs", &web, TCFW_CT_TCP_SYN_SENT2,
	               TCFW_CTF_TCP_SIMOPEN | TCFW_CTF_SEEN_REPLY, NULL);
	web_pkt(t, "SYN-ACK from client", ORIG, F_SYN | F_ACK, TC_OK);
	dp_expect_conn(t, "SYN-ACK from client", &web, TCFW_CT_TCP_SYN_RECV, 0, NULL);
	web_pkt(t, "ACK from server", REPLY, F_ACK, TC_OK);
	dp_expect_conn(t, "ACK from server", &web, TCFW_CT_TCP_ESTABLISHED, TCFW_CTF_ASSURED, NULL);
}

DP_CASE(tcp_retransmitted_syn)
{
	struct tcfw_ct_entry e;
	__u32 old;

	web_pkt(t, "SYN", ORIG, F_SYN, TC_OK);
	dp_expect_conn(t, "SYN", &web, TCFW_CT_TCP_SYN_SENT, 0, &e);
	old = e.created_tick - 5; /* ticks of 1.07 s */
	dp_set_last_seen(t, &web, old);
	web_pkt(t, "retransmitted SYN", ORIG, F_SYN, TC_OK);
	dp_expect_conn(t, "retransmitted SYN", &web, TCFW_CT_TCP_SYN_SENT, 0, &e);
	DP_EXPECT_EQ(t, "retransmitted SYN", "orig packets (counted)", e.ctr[ORIG].packets, 2);
	DP_EXPECT_EQ(t, "retransmitted SYN", "last_seen_tick (not refreshed)", e.last_seen_tick,
	             old);
	web_pkt(t, "SYN-ACK", REPLY, F_SYN | F_ACK, TC_OK);
	dp_expect_conn(t, "SYN-ACK", &web, TCFW_CT_TCP_SYN_RECV, 0, &e);
	DP_EXPECT_TRUE(t, "SYN-ACK", "last_seen_tick refreshed", e.last_seen_tick != old);
}
