// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * dp_ct_tcp_window.c - TCP sequence numbers and windows (bpf/lib/tcp_window.h): what the
 * handshake teaches, blind and inexact resets, far-off data, retransmissions, lost ACKs,
 * window scaling, entries without window state. Modelled on the kernel's netfilter
 * packetdrill scenarios (tools/testing/selftests/net/netfilter/packetdrill: conntrack_rst_
 * invalid, conntrack_inexact_rst, conntrack_ack_loss_stall, conntrack_synack_reuse,
 * conntrack_syn_challenge_ack).
 *
 * The client's initial sequence number sits just below 2^32, so that its numbers wrap during
 * every case and the serial-number comparisons are exercised too.
 */
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "dp.h"

#define ORIG  TCFW_DIR_ORIG
#define REPLY TCFW_DIR_REPLY

#define C   0xffffff00u /* the client's initial sequence number */
#define S   2000000000u /* the server's */
#define WIN 65535

/* A LAN client and a server behind wan0: orig packets arrive on lan0, replies on wan0. */
static const struct flow conn = {4, IPPROTO_TCP, "192.0.2.10", "198.51.100.20", 40200, 443};

struct seg {
	int dir;
	uint8_t flags;
	uint32_t seq, ack;
	uint16_t win;
	uint16_t len; /* payload bytes */
	int wscale;   /* SYN: the window scale option's shift, -1 for none */
};

static void tcp_send(struct dp *t, const char *step, const struct flow *f, const struct seg *s,
                     int want)
{
	static const uint8_t zeros[1460];
	bool orig = s->dir == ORIG;
	struct pkt p;

	pkt_init(&p);
	pkt_eth(&p, 0x0800, false);
	pkt_ipv4(&p, orig ? f->src : f->dst, orig ? f->dst : f->src, IPPROTO_TCP, 0, 1, 0x4000);
	pkt_tcp_seq(&p, orig ? f->sport : f->dport, orig ? f->dport : f->sport, s->flags, s->seq,
	            s->ack, s->win, s->wscale);
	pkt_data(&p, zeros, s->len);
	pkt_finish(&p);
	dp_send(t, step, orig ? DP_INGRESS_LAN : DP_INGRESS_WAN, &p, want);
}

/* The segments of most cases: no window scale option, windows of 65535 bytes. */
static void seg(struct dp *t, const char *step, int dir, uint8_t flags, uint32_t seq, uint32_t ack,
                uint16_t len, int want)
{
	tcp_send(t, step, &conn, &(struct seg){dir, flags, seq, ack, WIN, len, -1}, want);
}

static void handshake(struct dp *t, const struct flow *f, int wscale_c, int wscale_s,
                      uint16_t ack_win)
{
	tcp_send(t, "SYN", f, &(struct seg){ORIG, F_SYN, C, 0, WIN, 0, wscale_c}, TC_OK);
	tcp_send(t, "SYN-ACK", f, &(struct seg){REPLY, F_SYN | F_ACK, S, C + 1, WIN, 0, wscale_s},
	         TC_OK);
	tcp_send(t, "ACK", f, &(struct seg){ORIG, F_ACK, C + 1, S + 1, ack_win, 0, -1}, TC_OK);
	dp_expect_conn(t, "after the handshake", f, TCFW_CT_TCP_ESTABLISHED,
	               TCFW_CTF_SEEN_REPLY | TCFW_CTF_ASSURED, NULL);
}

/* Invalid packets are dropped, so that "invalid" shows as a verdict. */
static void invalid_drops(struct dp *t)
{
	dp_set_policy(t, 0, TCFW_VERDICT_ACCEPT, TCFW_VERDICT_ACCEPT, TCFW_VERDICT_ACCEPT,
	              TCFW_VERDICT_DROP);
}

static void expect_window(struct dp *t, const char *step, const struct tcfw_ct_entry *e, int dir,
                          uint32_t end, uint32_t maxend, uint32_t maxwin, uint32_t maxack)
{
	const struct tcfw_tcp_window *w = &e->tcp_win[dir];
	char what[64];

	snprintf(what, sizeof(what), "%s td_end", dir == ORIG ? "orig" : "reply");
	DP_EXPECT_EQ(t, step, what, w->td_end, end);
	snprintf(what, sizeof(what), "%s td_maxend", dir == ORIG ? "orig" : "reply");
	DP_EXPECT_EQ(t, step, what, w->td_maxend, maxend);
	snprintf(what, sizeof(what), "%s td_maxwin", dir == ORIG ? "orig" : "reply");
	DP_EXPECT_EQ(t, step, what, w->td_maxwin, maxwin);
	snprintf(what, sizeof(what), "%s td_maxack", dir == ORIG ? "orig" : "reply");
	DP_EXPECT_EQ(t, step, what, w->td_maxack, maxack);
}

/* The windows of e are those of before (nothing was learnt from the packets in between). */
static void expect_windows_unchanged(struct dp *t, const char *step,
                                     const struct tcfw_ct_entry *before,
                                     const struct tcfw_ct_entry *e)
{
	DP_EXPECT_TRUE(t, step, "tcp_win[] unchanged",
	               !memcmp(before->tcp_win, e->tcp_win, sizeof(e->tcp_win)));
	DP_EXPECT_TRUE(t, step, "tcp_wflags[] unchanged",
	               !memcmp(before->tcp_wflags, e->tcp_wflags, sizeof(e->tcp_wflags)));
}

/* SYN, SYN-ACK and ACK set both directions' windows, scaling only when both sides offer it. */
DP_CASE(tcp_window_handshake)
{
	static const struct flow one_sided = {4,     IPPROTO_TCP, "192.0.2.10", "198.51.100.20",
	                                      40201, 443};
	struct tcfw_ct_entry e;

	handshake(t, &conn, 7, 8, 502);
	dp_expect_conn(t, "both offered scaling", &conn, TCFW_CT_TCP_ESTABLISHED, 0, &e);
	/* The client sent up to its SYN; the server allowed it 65535 bytes after it (the
	 * SYN-ACK's window is never scaled); its ACK's window is 502 << 7. */
	expect_window(t, "both offered scaling", &e, ORIG, C + 1, C + 1 + WIN, WIN, S + 1);
	expect_window(t, "both offered scaling", &e, REPLY, S + 1, S + 1 + (502 << 7), WIN, C + 1);
	DP_EXPECT_EQ(t, "both offered scaling", "orig scale", e.tcp_wscale[ORIG], 7);
	DP_EXPECT_EQ(t, "both offered scaling", "reply scale", e.tcp_wscale[REPLY], 8);
	DP_EXPECT_EQ(t, "both offered scaling", "orig flags", e.tcp_wflags[ORIG],
	             TCFW_TCPW_WSCALE | TCFW_TCPW_MAXACK_SET);
	DP_EXPECT_EQ(t, "both offered scaling", "reply flags", e.tcp_wflags[REPLY],
	             TCFW_TCPW_WSCALE | TCFW_TCPW_MAXACK_SET);

	handshake(t, &one_sided, 7, -1, 502);
	dp_expect_conn(t, "only the client offered scaling", &one_sided, TCFW_CT_TCP_ESTABLISHED, 0,
	               &e);
	DP_EXPECT_EQ(t, "only the client offered scaling", "orig scale", e.tcp_wscale[ORIG], 0);
	DP_EXPECT_EQ(t, "only the client offered scaling", "reply scale", e.tcp_wscale[REPLY], 0);
	/* The ACK's window is taken as it is: 502 bytes. */
	expect_window(t, "only the client offered scaling", &e, REPLY, S + 1, S + 1 + 502, WIN,
	              C + 1);
	dp_expect_stat(t, "after both handshakes", TCFW_STAT_CT_INVALID, 0);
}

/* conntrack_rst_invalid: resets outside the window are INVALID and change nothing; the exact
 * one closes the connection. */
DP_CASE(tcp_window_rst_out_of_window)
{
	static const struct {
		const char *step;
		uint8_t flags;
		uint32_t seq;
	} blind[] = {
	    {"RST behind what the client acknowledged", F_RST, S},
	    {"RST a million bytes ahead", F_RST, S + 1000000},
	    {"RST at seq 3000000000 (the fault report's)", F_RST, 3000000000u},
	    {"RST-ACK one byte before the expected seq", F_RST | F_ACK, S + 3000},
	};
	struct tcfw_ct_entry before, e;

	invalid_drops(t);
	handshake(t, &conn, -1, -1, WIN);
	seg(t, "server data 1", REPLY, F_ACK, S + 1, C + 1, 1000, TC_OK);
	seg(t, "server data 2", REPLY, F_ACK, S + 1001, C + 1, 1000, TC_OK);
	seg(t, "server data 3", REPLY, F_ACK, S + 2001, C + 1, 1000, TC_OK);
	seg(t, "client ACK 1", ORIG, F_ACK, C + 1, S + 1001, 0, TC_OK);
	seg(t, "client ACK 2", ORIG, F_ACK, C + 1, S + 2001, 0, TC_OK);
	seg(t, "client ACK 3", ORIG, F_ACK, C + 1, S + 3001, 0, TC_OK);
	dp_expect_conn(t, "before the resets", &conn, TCFW_CT_TCP_ESTABLISHED, 0, &before);
	expect_window(t, "before the resets", &before, REPLY, S + 3001, S + 3001 + WIN, WIN, C + 1);
	DP_EXPECT_EQ(t, "before the resets", "orig td_maxack", before.tcp_win[ORIG].td_maxack,
	             S + 3001);

	for (size_t i = 0; i < sizeof(blind) / sizeof(blind[0]); i++) {
		seg(t, blind[i].step, REPLY, blind[i].flags, blind[i].seq,
		    (blind[i].flags & F_ACK) ? C + 1 : 0, 0, TC_SHOT);
		dp_expect_conn(t, blind[i].step, &conn, TCFW_CT_TCP_ESTABLISHED,
		               TCFW_CTF_SEEN_REPLY | TCFW_CTF_ASSURED, &e);
		expect_windows_unchanged(t, blind[i].step, &before, &e);
		DP_EXPECT_EQ(t, blind[i].step, "reply packets counted on the connection",
		             e.ctr[REPLY].packets, before.ctr[REPLY].packets);
	}
	dp_expect_stat(t, "after the blind resets", TCFW_STAT_CT_INVALID, 4);
	dp_expect_stat(t, "after the blind resets", TCFW_STAT_VERDICT_DROP, 4);

	seg(t, "RST-ACK at the expected seq", REPLY, F_RST | F_ACK, S + 3001, C + 1, 0, TC_OK);
	dp_expect_conn(t, "after the exact RST", &conn, TCFW_CT_TCP_CLOSE, 0, NULL);
	dp_expect_stat(t, "after the exact RST", TCFW_STAT_CT_INVALID, 4);
}

/* RFC 5961: an RST in the window but not at the expected seq passes and changes nothing; the
 * endpoint's challenge ACK passes; the RST that answers it (at the expected seq) closes. */
DP_CASE(tcp_window_rst_inexact)
{
	struct tcfw_ct_entry before, e;

	invalid_drops(t);
	handshake(t, &conn, -1, -1, WIN);
	seg(t, "server data", REPLY, F_ACK, S + 1, C + 1, 1000, TC_OK);
	seg(t, "client ACK", ORIG, F_ACK, C + 1, S + 1001, 0, TC_OK);
	dp_set_last_seen(t, &conn, 1);
	dp_expect_conn(t, "before the RST", &conn, TCFW_CT_TCP_ESTABLISHED, 0, &before);

	seg(t, "RST 42 bytes into the window", REPLY, F_RST, S + 1001 + 42, 0, 0, TC_OK);
	dp_expect_conn(t, "after the inexact RST", &conn, TCFW_CT_TCP_ESTABLISHED,
	               TCFW_CTF_SEEN_REPLY | TCFW_CTF_ASSURED, &e);
	expect_windows_unchanged(t, "after the inexact RST", &before, &e);
	DP_EXPECT_EQ(t, "after the inexact RST", "last_seen_tick (timeout not refreshed)",
	             e.last_seen_tick, 1);

	seg(t, "the client's challenge ACK", ORIG, F_ACK, C + 1, S + 1001, 0, TC_OK);
	dp_expect_conn(t, "after the challenge ACK", &conn, TCFW_CT_TCP_ESTABLISHED, 0, NULL);
	dp_expect_stat(t, "after the challenge ACK", TCFW_STAT_CT_INVALID, 0);

	seg(t, "RST answering the challenge ACK", REPLY, F_RST, S + 1001, 0, 0, TC_OK);
	dp_expect_conn(t, "after the exact RST", &conn, TCFW_CT_TCP_CLOSE, 0, NULL);
	dp_expect_stat(t, "after the exact RST", TCFW_STAT_CT_INVALID, 0);
}

/* conntrack_inexact_rst: on a closing connection an inexact RST closes it, and a spurious RST
 * from the peer after that is not invalid. */
DP_CASE(tcp_window_rst_closing)
{
	invalid_drops(t);
	handshake(t, &conn, -1, -1, WIN);
	seg(t, "server FIN", REPLY, F_FIN | F_ACK, S + 1, C + 1, 0, TC_OK);
	seg(t, "client ACKs the FIN", ORIG, F_ACK, C + 1, S + 2, 0, TC_OK);
	dp_expect_conn(t, "after the server's FIN", &conn, TCFW_CT_TCP_CLOSE_WAIT, 0, NULL);
	seg(t, "client RST, 500 bytes off", ORIG, F_RST | F_ACK, C + 501, S + 2, 0, TC_OK);
	dp_expect_conn(t, "after the client's RST", &conn, TCFW_CT_TCP_CLOSE, 0, NULL);
	seg(t, "spurious RST from the server", REPLY, F_RST, S + 1001, 0, 0, TC_OK);
	dp_expect_conn(t, "after the spurious RST", &conn, TCFW_CT_TCP_CLOSE, 0, NULL);
	dp_expect_stat(t, "after the spurious RST", TCFW_STAT_CT_INVALID, 0);
}

/* Data beyond the window, far behind it, or acknowledging data never sent: INVALID. */
DP_CASE(tcp_window_far_off_data)
{
	struct tcfw_ct_entry before, e;

	invalid_drops(t);
	handshake(t, &conn, -1, -1, WIN);
	dp_expect_conn(t, "before", &conn, TCFW_CT_TCP_ESTABLISHED, 0, &before);

	seg(t, "client data 3000000000 bytes on", ORIG, F_PSH | F_ACK, C + 1 + 3000000000u, S + 1,
	    100, TC_SHOT);
	seg(t, "client data just beyond the server's window", ORIG, F_PSH | F_ACK,
	    C + 1 + 2 * WIN + 1, S + 1, 100, TC_SHOT);
	seg(t, "server data 1000000 bytes on", REPLY, F_PSH | F_ACK, S + 1 + 1000000, C + 1, 100,
	    TC_SHOT);
	seg(t, "server ACK of client data never sent", REPLY, F_ACK, S + 1, C + 1 + 5000, 0,
	    TC_SHOT);
	dp_expect_conn(t, "after the far-off segments", &conn, TCFW_CT_TCP_ESTABLISHED, 0, &e);
	expect_windows_unchanged(t, "after the far-off segments", &before, &e);
	dp_expect_stat(t, "after the far-off segments", TCFW_STAT_CT_INVALID, 4);

	seg(t, "client data in the window", ORIG, F_PSH | F_ACK, C + 1, S + 1, 100, TC_OK);
	seg(t, "server ACKs it", REPLY, F_ACK, S + 1, C + 101, 0, TC_OK);
	dp_expect_conn(t, "after data in the window", &conn, TCFW_CT_TCP_ESTABLISHED, 0, &e);
	expect_window(t, "after data in the window", &e, ORIG, C + 101, C + 101 + WIN, WIN, S + 1);
	dp_expect_stat(t, "after data in the window", TCFW_STAT_CT_INVALID, 4);
}

/* conntrack_ack_loss_stall: data the receiver acknowledged long ago, sent again, passes (so
 * that the receiver ACKs it once more), and so does an old ACK; neither is learnt from. */
DP_CASE(tcp_window_retransmission)
{
	const int n = 46; /* 46 x 1460 = 67160 bytes: more than a window behind at the end */
	struct tcfw_ct_entry before, e;
	char step[64];

	invalid_drops(t);
	handshake(t, &conn, -1, -1, WIN);
	for (int i = 0; i < n; i++) {
		snprintf(step, sizeof(step), "client data %d", i + 1);
		seg(t, step, ORIG, F_PSH | F_ACK, C + 1 + i * 1460, S + 1, 1460, TC_OK);
		snprintf(step, sizeof(step), "server ACK %d", i + 1);
		seg(t, step, REPLY, F_ACK, S + 1, C + 1 + (i + 1) * 1460, 0, TC_OK);
	}
	dp_set_last_seen(t, &conn, 1);
	dp_expect_conn(t, "after the transfer", &conn, TCFW_CT_TCP_ESTABLISHED, 0, &before);
	expect_window(t, "after the transfer", &before, ORIG, C + 1 + n * 1460,
	              C + 1 + n * 1460 + WIN, WIN, S + 1);

	seg(t, "the first segment again", ORIG, F_PSH | F_ACK, C + 1, S + 1, 1460, TC_OK);
	seg(t, "an ACK from before the transfer, again", REPLY, F_ACK, S + 1, C + 1, 0, TC_OK);
	dp_expect_conn(t, "after the old segments", &conn, TCFW_CT_TCP_ESTABLISHED, 0, &e);
	expect_windows_unchanged(t, "after the old segments", &before, &e);
	DP_EXPECT_EQ(t, "after the old segments", "last_seen_tick (timeout not refreshed)",
	             e.last_seen_tick, 1);

	seg(t, "the last segment again (in the window)", ORIG, F_PSH | F_ACK,
	    C + 1 + (n - 1) * 1460, S + 1, 1460, TC_OK);
	dp_expect_stat(t, "after the retransmissions", TCFW_STAT_CT_INVALID, 0);
}

/* ACKs lost before the gateway: the client sends past the edge it has seen acknowledged, by
 * less than a window; netfilter's tolerance passes it and learns its end, so the ACK that
 * finally comes is not "beyond the data seen". */
DP_CASE(tcp_window_ack_loss)
{
	struct tcfw_ct_entry e;
	char step[64];
	uint32_t end;

	invalid_drops(t);
	handshake(t, &conn, -1, -1, WIN);
	/* 46 x 1460 = 67160 bytes where the server has allowed 65535 so far: the 46th segment
	 * starts beyond the edge (by 165 bytes) and ends 1626 bytes beyond it. */
	for (int i = 0; i < 46; i++) {
		snprintf(step, sizeof(step), "client data %d, no ACK seen", i + 1);
		seg(t, step, ORIG, F_PSH | F_ACK, C + 1 + i * 1460, S + 1, 1460, TC_OK);
	}
	end = C + 1 + 46 * 1460;
	dp_expect_conn(t, "after the burst", &conn, TCFW_CT_TCP_ESTABLISHED, 0, &e);
	DP_EXPECT_EQ(t, "after the burst", "orig td_end", e.tcp_win[ORIG].td_end, end);
	seg(t, "the server ACKs everything", REPLY, F_ACK, S + 1, end, 0, TC_OK);
	seg(t, "more client data", ORIG, F_PSH | F_ACK, end, S + 1, 1460, TC_OK);
	dp_expect_conn(t, "after the ACK", &conn, TCFW_CT_TCP_ESTABLISHED, 0, &e);
	expect_window(t, "after the ACK", &e, ORIG, end + 1460, end + WIN, WIN, S + 1);
	dp_expect_stat(t, "after the ACK", TCFW_STAT_CT_INVALID, 0);
}

/* A segment beyond the client's unscaled window but within its scaled one is in the window
 * when both sides offered scaling, and INVALID when only the client did. */
DP_CASE(tcp_window_scaling)
{
	static const struct flow unscaled = {4,     IPPROTO_TCP, "192.0.2.10", "198.51.100.20",
	                                     40202, 443};
	/* The client's ACK advertises 1024 << 7 = 131072 bytes. */
	const uint32_t far = S + 1 + 100000;
	struct tcfw_ct_entry e;

	invalid_drops(t);
	handshake(t, &conn, 7, 7, 1024);
	tcp_send(t, "server data 100000 bytes on (scaled window)", &conn,
	         &(struct seg){REPLY, F_PSH | F_ACK, far, C + 1, 1024, 1000, -1}, TC_OK);
	dp_expect_conn(t, "scaled", &conn, TCFW_CT_TCP_ESTABLISHED, 0, &e);
	DP_EXPECT_EQ(t, "scaled", "reply td_maxend", e.tcp_win[REPLY].td_maxend, S + 1 + 131072);
	DP_EXPECT_EQ(t, "scaled", "reply td_end", e.tcp_win[REPLY].td_end, far + 1000);

	handshake(t, &unscaled, 7, -1, 1024);
	tcp_send(t, "server data 100000 bytes on (unscaled window)", &unscaled,
	         &(struct seg){REPLY, F_PSH | F_ACK, far, C + 1, 1024, 1000, -1}, TC_SHOT);
	dp_expect_conn(t, "unscaled", &unscaled, TCFW_CT_TCP_ESTABLISHED, 0, &e);
	DP_EXPECT_EQ(t, "unscaled", "reply td_maxend", e.tcp_win[REPLY].td_maxend, S + 1 + 1024);
	dp_expect_stat(t, "after both", TCFW_STAT_CT_INVALID, 1);
}

/* An entry without window state (made by an older build, or picked up mid-stream) accepts and
 * learns until both directions are seen, with the largest scale assumed; then it checks. */
DP_CASE(tcp_window_unknown_learnt)
{
	const uint32_t x = 123456789, y = 987654321; /* sequence numbers unrelated to C and S */
	struct tcfw_ct_entry e;

	invalid_drops(t);
	handshake(t, &conn, -1, -1, WIN);
	dp_expect_conn(t, "before", &conn, TCFW_CT_TCP_ESTABLISHED, 0, &e);
	memset(e.tcp_win, 0, sizeof(e.tcp_win));
	memset(e.tcp_wscale, 0, sizeof(e.tcp_wscale));
	memset(e.tcp_wflags, 0, sizeof(e.tcp_wflags));
	dp_put_conn(t, &conn, &e);

	seg(t, "client data, windows unknown", ORIG, F_PSH | F_ACK, x, y, 100, TC_OK);
	dp_expect_conn(t, "client seen", &conn, TCFW_CT_TCP_ESTABLISHED, 0, &e);
	expect_window(t, "client seen", &e, ORIG, x + 100, x + 100 + (WIN << 14), WIN << 14, y);
	DP_EXPECT_EQ(t, "client seen", "orig scale (assumed)", e.tcp_wscale[ORIG], 14);
	DP_EXPECT_EQ(t, "client seen", "orig flags", e.tcp_wflags[ORIG],
	             TCFW_TCPW_SCALE_GUESSED | TCFW_TCPW_MAXACK_SET);
	DP_EXPECT_EQ(t, "client seen", "reply td_end (what the client acknowledged)",
	             e.tcp_win[REPLY].td_end, y);

	seg(t, "server data, its window unknown", REPLY, F_PSH | F_ACK, y, x + 100, 50, TC_OK);
	dp_expect_conn(t, "both seen", &conn, TCFW_CT_TCP_ESTABLISHED, 0, &e);
	DP_EXPECT_EQ(t, "both seen", "reply td_end", e.tcp_win[REPLY].td_end, y + 50);
	DP_EXPECT_EQ(t, "both seen", "reply td_maxack", e.tcp_win[REPLY].td_maxack, x + 100);
	DP_EXPECT_EQ(t, "both seen", "reply scale (assumed)", e.tcp_wscale[REPLY], 14);

	seg(t, "client data in the window", ORIG, F_PSH | F_ACK, x + 100, y + 50, 100, TC_OK);
	seg(t, "server RST at seq 3000000000", REPLY, F_RST, 3000000000u, 0, 0, TC_SHOT);
	seg(t, "server ACK of data never sent", REPLY, F_ACK, y + 50, x + 5000, 0, TC_SHOT);
	dp_expect_conn(t, "after the checks", &conn, TCFW_CT_TCP_ESTABLISHED, 0, NULL);
	dp_expect_stat(t, "after the checks", TCFW_STAT_CT_INVALID, 2);
}

/* conntrack_synack_reuse / conntrack_syn_challenge_ack: a new SYN on an established
 * connection is ignored, the server's challenge ACK passes, the client's RST answering it
 * closes, and the SYN sent again opens a new connection with new windows. */
DP_CASE(tcp_window_syn_challenge_ack)
{
	const uint32_t c2 = 7000; /* the new incarnation's initial sequence number */
	struct tcfw_ct_entry e;

	invalid_drops(t);
	handshake(t, &conn, -1, -1, WIN);
	seg(t, "client data", ORIG, F_PSH | F_ACK, C + 1, S + 1, 100, TC_OK);
	seg(t, "server ACK", REPLY, F_ACK, S + 1, C + 101, 0, TC_OK);

	seg(t, "new SYN on the established connection", ORIG, F_SYN, c2, 0, 0, TC_OK);
	dp_expect_conn(t, "after the new SYN", &conn, TCFW_CT_TCP_ESTABLISHED, 0, NULL);
	seg(t, "the server's challenge ACK", REPLY, F_ACK, S + 1, C + 101, 0, TC_OK);
	seg(t, "the client's RST answering it", ORIG, F_RST, C + 101, 0, 0, TC_OK);
	dp_expect_conn(t, "after the RST", &conn, TCFW_CT_TCP_CLOSE, 0, NULL);

	seg(t, "the SYN again", ORIG, F_SYN, c2, 0, 0, TC_OK);
	dp_expect_conn(t, "after the SYN again", &conn, TCFW_CT_TCP_SYN_SENT, 0, &e);
	expect_window(t, "after the SYN again", &e, ORIG, c2 + 1, c2 + 1, WIN, 0);
	DP_EXPECT_EQ(t, "after the SYN again", "reply td_maxwin (not seen yet)",
	             e.tcp_win[REPLY].td_maxwin, 0);
	seg(t, "SYN-ACK of the new connection", REPLY, F_SYN | F_ACK, 55555, c2 + 1, 0, TC_OK);
	seg(t, "ACK of the new connection", ORIG, F_ACK, c2 + 1, 55556, 0, TC_OK);
	dp_expect_conn(t, "the new connection", &conn, TCFW_CT_TCP_ESTABLISHED,
	               TCFW_CTF_SEEN_REPLY | TCFW_CTF_ASSURED, NULL);
	dp_expect_stat(t, "the new connection", TCFW_STAT_CT_INVALID, 0);
}

/* fwd --tcp-liberal (netfilter's be_liberal): far-off data passes, a far-off RST still does
 * not; switched off again, the connection is judged strictly (it never became liberal). */
DP_CASE(tcp_window_liberal)
{
	struct tcfw_ct_entry e;

	invalid_drops(t);
	handshake(t, &conn, -1, -1, WIN);
	dp_set_config(t, 0, TCFW_CFG_TCP_LIBERAL);
	seg(t, "client data 3000000000 bytes on, liberal", ORIG, F_PSH | F_ACK, C + 1 + 3000000000u,
	    S + 1, 100, TC_OK);
	seg(t, "server ACK of data never sent, liberal", REPLY, F_ACK, S + 1, C + 1 + 5000, 0,
	    TC_OK);
	seg(t, "RST at seq 3000000000, liberal", REPLY, F_RST, 3000000000u, 0, 0, TC_SHOT);
	dp_expect_conn(t, "liberal", &conn, TCFW_CT_TCP_ESTABLISHED, TCFW_CTF_ASSURED, &e);
	DP_EXPECT_TRUE(t, "liberal", "entry not marked liberal for good",
	               !((e.tcp_wflags[ORIG] | e.tcp_wflags[REPLY]) & TCFW_TCPW_LIBERAL));
	dp_expect_stat(t, "liberal", TCFW_STAT_CT_INVALID, 1);

	dp_set_config(t, 0, 0);
	seg(t, "server data 1000000 bytes on, strict again", REPLY, F_PSH | F_ACK, S + 1 + 1000000,
	    C + 1, 100, TC_SHOT);
	dp_expect_stat(t, "strict again", TCFW_STAT_CT_INVALID, 2);
}
