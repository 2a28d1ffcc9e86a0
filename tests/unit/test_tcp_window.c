// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * test_tcp_window.c - the datapath's TCP window logic (bpf/lib/tcp_window.h), compiled for user
 * space: serial-number comparisons across the wrap, the window scale a handshake settles, and
 * the exact edges of each check (right edge, the overshoot tolerance, the left edge and the
 * span of old segments passed as IGNORE, RSTs exact / inexact / behind / beyond, fragments).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "lib/tcp_window.h"

#define W 65535u

static const char *result_name(int r)
{
	static const char *const names[] = {"ACCEPT", "IGNORE", "INVALID", "RST_INEXACT"};

	return r >= 0 && r < 4 ? names[r] : "?";
}

static void check_result(const char *what, int got, int want)
{
	if (got != want)
		fail_msg("%s: got %s, expected %s", what, result_name(got), result_name(want));
}

static void check_u32(const char *what, uint32_t got, uint32_t want)
{
	if (got != want)
		fail_msg("%s: got %u, expected %u", what, got, want);
}

/* An established connection: the sender has sent up to 1000 and may send up to 1000 + W; the
 * receiver has sent up to 5000; each acknowledged everything of the other. */
static void established(struct tcpw_dir *snd, struct tcpw_dir *rcv, struct tcpw_conn *c)
{
	memset(snd, 0, sizeof(*snd));
	memset(rcv, 0, sizeof(*rcv));
	snd->w = (struct tcfw_tcp_window){1000, 1000 + W, W, 5000};
	snd->flags = TCFW_TCPW_MAXACK_SET;
	rcv->w = (struct tcfw_tcp_window){5000, 5000 + W, W, 1000};
	rcv->flags = TCFW_TCPW_MAXACK_SET;
	*c = (struct tcpw_conn){TCFW_CT_TCP_ESTABLISHED, 1, 0};
}

/* tcp_window() on a fresh copy of the established connection, for one segment. */
static int judge(uint8_t flags, uint32_t seq, uint32_t len, uint32_t ack, uint8_t state)
{
	struct tcpw_dir snd, rcv;
	struct tcpw_conn c;
	struct tcp_seg s = {seq, ack, seq + len, (uint16_t)W, flags, TCPW_WSCALE_NONE, 0, {0}};
	uint8_t changed;

	established(&snd, &rcv, &c);
	c.state = state;
	return tcp_window(&snd, &rcv, &s, &c, &changed);
}

static void test_serial_numbers(void **state)
{
	(void)state;
	if (!seq_after(5, 0xfffffffbu) || !seq_before(0xfffffffbu, 5))
		fail_msg("5 must be after 2^32 - 5 (10 apart across the wrap)");
	if (seq_after(5, 5) || seq_before(5, 5))
		fail_msg("a number is neither before nor after itself");
	if (!seq_before(0, 0x7fffffffu) || seq_before(0, 0x80000001u))
		fail_msg("the comparison window is 2^31 wide");
}

static void test_scale_settled_by_both(void **state)
{
	struct tcpw_dir orig = {0}, reply = {0};
	struct tcpw_conn c = {TCFW_CT_TCP_SYN_SENT, 0, 1};
	struct tcp_seg syn = {100, 0, 101, 1000, TCPW_SYN, 7, 0, {0}};
	struct tcp_seg synack = {900, 101, 901, 2000, TCPW_SYN | TCPW_ACK, 20, 0, {0}};
	uint8_t changed;

	(void)state;
	tcp_window_syn(&orig, &syn);
	check_u32("SYN: td_end", orig.w.td_end, 101);
	check_u32("SYN: td_maxwin (never scaled)", orig.w.td_maxwin, 1000);
	check_u32("SYN: scale", orig.scale, 7);
	check_result("SYN-ACK", tcp_window(&reply, &orig, &synack, &c, &changed), TCPW_ACCEPT);
	check_u32("SYN-ACK: scale 20 taken as 14", reply.scale, 14);
	check_u32("SYN-ACK: the client's scale stays", orig.scale, 7);
	check_u32("SYN-ACK: the client's right edge (ack + unscaled window)", orig.w.td_maxend,
	          101 + 2000);
	if (!(changed & TCPW_CHG_RESET))
		fail_msg("a direction's first segment must be stored as a reset");

	memset(&reply, 0, sizeof(reply));
	synack.wscale = TCPW_WSCALE_NONE;
	check_result("SYN-ACK without the option", tcp_window(&reply, &orig, &synack, &c, &changed),
	             TCPW_ACCEPT);
	check_u32("no option from the server: the client's scale", orig.scale, 0);
	check_u32("no option from the server: the server's scale", reply.scale, 0);
}

static void test_right_edge(void **state)
{
	const uint8_t est = TCFW_CT_TCP_ESTABLISHED;

	(void)state;
	check_result("data in the window", judge(TCPW_ACK, 1000, 100, 5000, est), TCPW_ACCEPT);
	check_result("data starting at the right edge", judge(TCPW_ACK, 1000 + W, 10, 5000, est),
	             TCPW_ACCEPT);
	check_result("data one past the edge, overshooting by less than a window",
	             judge(TCPW_ACK, 1001 + W, 10, 5000, est), TCPW_ACCEPT);
	check_result("data overshooting by more than a window",
	             judge(TCPW_ACK, 1001 + W, W, 5000, est), TCPW_INVALID);
	check_result("data 3000000000 ahead", judge(TCPW_ACK, 1000 + 3000000000u, 100, 5000, est),
	             TCPW_INVALID);
	check_result("ACK of data the receiver never sent", judge(TCPW_ACK, 1000, 0, 5001, est),
	             TCPW_INVALID);
}

static void test_left_edge_and_old_span(void **state)
{
	const uint8_t est = TCFW_CT_TCP_ESTABLISHED;
	/* Old data ends after 1000 - W - 1 to be in the window; the span passed as IGNORE below
	 * that is max(W, 66000) = 66000 more. */
	const uint32_t left = 1000 - W;

	(void)state;
	check_result("data ending at the left edge", judge(TCPW_ACK, left - 10, 10, 5000, est),
	             TCPW_ACCEPT);
	check_result("data ending one below the left edge",
	             judge(TCPW_ACK, left - 11, 10, 5000, est), TCPW_IGNORE);
	check_result("data ending at the end of the old span",
	             judge(TCPW_ACK, left - 66000 - 10, 10, 5000, est), TCPW_IGNORE);
	check_result("data ending one below the old span",
	             judge(TCPW_ACK, left - 66001 - 10, 10, 5000, est), TCPW_INVALID);
	check_result("an ACK 66000 behind", judge(TCPW_ACK, 1000, 0, 5000 - 66000, est),
	             TCPW_ACCEPT);
	check_result("an ACK 66001 behind", judge(TCPW_ACK, 1000, 0, 5000 - 66001, est),
	             TCPW_IGNORE);
	check_result("an ACK 132002 behind", judge(TCPW_ACK, 1000, 0, 5000 - 132002, est),
	             TCPW_INVALID);
}

static void test_rst(void **state)
{
	const uint8_t est = TCFW_CT_TCP_ESTABLISHED;

	(void)state;
	check_result("RST at what the receiver acknowledged", judge(TCPW_RST, 1000, 0, 0, est),
	             TCPW_ACCEPT);
	check_result("RST one behind it", judge(TCPW_RST, 999, 0, 0, est), TCPW_INVALID);
	check_result("RST one after it", judge(TCPW_RST, 1001, 0, 0, est), TCPW_RST_INEXACT);
	check_result("RST at the right edge", judge(TCPW_RST, 1000 + W, 0, 0, est),
	             TCPW_RST_INEXACT);
	check_result("RST one past the right edge", judge(TCPW_RST, 1001 + W, 0, 0, est),
	             TCPW_INVALID);
	check_result("RST at seq 3000000000", judge(TCPW_RST, 3000000000u, 0, 0, est),
	             TCPW_INVALID);
	check_result("inexact RST on a closing connection",
	             judge(TCPW_RST, 1001, 0, 0, TCFW_CT_TCP_CLOSE_WAIT), TCPW_ACCEPT);
	check_result("RST with seq 0 before the connection is established",
	             judge(TCPW_RST, 0, 0, 0, TCFW_CT_TCP_SYN_RECV), TCPW_ACCEPT);
}

static void test_fragment_makes_liberal(void **state)
{
	struct tcpw_dir snd, rcv;
	struct tcpw_conn c;
	struct tcp_seg frag = {1000, 5000, 1100, (uint16_t)W, TCPW_ACK, TCPW_WSCALE_NONE, 1, {0}};
	struct tcp_seg far = {1000 + 3000000000u,
	                      5000,
	                      1100 + 3000000000u,
	                      (uint16_t)W,
	                      TCPW_ACK,
	                      TCPW_WSCALE_NONE,
	                      0,
	                      {0}};
	struct tcp_seg rst = {
	    1000 + 3000000000u, 0, 1000 + 3000000000u, 0, TCPW_RST, TCPW_WSCALE_NONE, 0, {0}};
	uint8_t changed;

	(void)state;
	established(&snd, &rcv, &c);
	check_result("a first fragment", tcp_window(&snd, &rcv, &frag, &c, &changed), TCPW_ACCEPT);
	if (!(snd.flags & TCFW_TCPW_LIBERAL) || !(rcv.flags & TCFW_TCPW_LIBERAL))
		fail_msg("a fragment must make both directions liberal");
	check_result("far-off data, liberal", tcp_window(&snd, &rcv, &far, &c, &changed),
	             TCPW_ACCEPT);
	check_result("far-off RST, liberal", tcp_window(&snd, &rcv, &rst, &c, &changed),
	             TCPW_INVALID);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_serial_numbers),
	    cmocka_unit_test(test_scale_settled_by_both),
	    cmocka_unit_test(test_right_edge),
	    cmocka_unit_test(test_left_edge_and_old_span),
	    cmocka_unit_test(test_rst),
	    cmocka_unit_test(test_fragment_makes_liberal),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
