// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * test_tcp_state.c - the datapath's TCP state machine (bpf/lib/tcp_state.h, netfilter's
 * tcp_conntracks table), compiled for user space: flag validity, packet classes, and the
 * transitions of a handshake, a close, a reset, a simultaneous open, a reopen and a SYN
 * retransmit, each checked against netfilter's answer.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "lib/tcp_state.h"

#define ORIG  TCFW_DIR_ORIG
#define REPLY TCFW_DIR_REPLY

/* One packet of flags in direction dir on word w; checks the step's result and new state. */
static void step(const char *what, union ct_word *w, __u8 dir, __u8 flags, int want_ret,
                 __u8 want_state)
{
	int ret = tcp_step(w, dir, tcp_class(flags));

	if (ret != want_ret)
		fail_msg("%s: tcp_step returned %d, expected %d", what, ret, want_ret);
	if (w->state != want_state)
		fail_msg("%s: state %u, expected %u", what, w->state, want_state);
}

static void test_flags_valid(void **state)
{
	(void)state;
	assert_true(tcp_flags_valid(TCP_FLAG_SYN));
	assert_true(tcp_flags_valid(TCP_FLAG_SYN | TCP_FLAG_ACK));
	assert_true(tcp_flags_valid(TCP_FLAG_ACK | TCP_FLAG_PSH)); /* PSH does not matter */
	assert_true(tcp_flags_valid(TCP_FLAG_FIN | TCP_FLAG_ACK));
	assert_true(tcp_flags_valid(TCP_FLAG_RST));
	assert_false(tcp_flags_valid(0));                           /* a null scan */
	assert_false(tcp_flags_valid(TCP_FLAG_SYN | TCP_FLAG_FIN)); /* SYN-FIN */
	assert_false(tcp_flags_valid(TCP_FLAG_FIN));                /* a FIN scan: no ACK */
	assert_false(tcp_flags_valid(TCP_FLAG_FIN | TCP_FLAG_URG | TCP_FLAG_PSH)); /* xmas */
	assert_false(tcp_flags_valid(TCP_FLAG_SYN | TCP_FLAG_RST));
}

static void test_classes(void **state)
{
	(void)state;
	assert_int_equal(tcp_class(TCP_FLAG_SYN), TCP_CLASS_SYN);
	assert_int_equal(tcp_class(TCP_FLAG_SYN | TCP_FLAG_ACK), TCP_CLASS_SYNACK);
	assert_int_equal(tcp_class(TCP_FLAG_FIN | TCP_FLAG_ACK), TCP_CLASS_FIN);
	assert_int_equal(tcp_class(TCP_FLAG_ACK), TCP_CLASS_ACK);
	assert_int_equal(tcp_class(TCP_FLAG_RST | TCP_FLAG_ACK | TCP_FLAG_SYN), TCP_CLASS_RST);
	assert_int_equal(tcp_class(TCP_FLAG_PSH), TCP_CLASS_NONE);
}

static void test_handshake_and_close(void **state)
{
	union ct_word w = {0};

	(void)state;
	w.state = TCFW_CT_NONE;
	step("SYN opens", &w, ORIG, TCP_FLAG_SYN, CT_STEP_OK, TCFW_CT_TCP_SYN_SENT);
	step("SYN retransmit, no reply yet", &w, ORIG, TCP_FLAG_SYN, CT_STEP_QUIET,
	     TCFW_CT_TCP_SYN_SENT);
	step("SYN-ACK", &w, REPLY, TCP_FLAG_SYN | TCP_FLAG_ACK, CT_STEP_OK, TCFW_CT_TCP_SYN_RECV);
	w.flags |= TCFW_CTF_SEEN_REPLY; /* the caller's part, after every accepted reply */
	assert_false(w.flags & TCFW_CTF_ASSURED);
	step("ACK completes", &w, ORIG, TCP_FLAG_ACK, CT_STEP_OK, TCFW_CT_TCP_ESTABLISHED);
	assert_true(w.flags & TCFW_CTF_ASSURED);
	step("SYN in ESTABLISHED is ignored", &w, ORIG, TCP_FLAG_SYN, CT_STEP_IGNORED,
	     TCFW_CT_TCP_ESTABLISHED);
	step("FIN", &w, ORIG, TCP_FLAG_FIN | TCP_FLAG_ACK, CT_STEP_OK, TCFW_CT_TCP_FIN_WAIT);
	step("ACK of the FIN", &w, REPLY, TCP_FLAG_ACK, CT_STEP_OK, TCFW_CT_TCP_CLOSE_WAIT);
	step("FIN back", &w, REPLY, TCP_FLAG_FIN | TCP_FLAG_ACK, CT_STEP_OK, TCFW_CT_TCP_LAST_ACK);
	step("last ACK", &w, ORIG, TCP_FLAG_ACK, CT_STEP_OK, TCFW_CT_TCP_TIME_WAIT);
	step("SYN in TIME_WAIT reopens", &w, ORIG, TCP_FLAG_SYN, CT_STEP_REOPEN,
	     TCFW_CT_TCP_TIME_WAIT);
}

static void test_reset_and_invalid(void **state)
{
	union ct_word w = {.state = TCFW_CT_TCP_ESTABLISHED};

	(void)state;
	step("RST", &w, REPLY, TCP_FLAG_RST, CT_STEP_OK, TCFW_CT_TCP_CLOSE);
	w.state = TCFW_CT_NONE;
	step("lone ACK opens nothing from the reply side", &w, REPLY, TCP_FLAG_ACK, CT_STEP_INVALID,
	     TCFW_CT_NONE);
	w.state = TCFW_CT_TCP_SYN_SENT;
	step("SYN-ACK from the client side", &w, ORIG, TCP_FLAG_SYN | TCP_FLAG_ACK, CT_STEP_INVALID,
	     TCFW_CT_TCP_SYN_SENT);
	w.state = TCFW_CT_UDP_UNREPLIED; /* not a TCP state: never indexes the table */
	assert_int_equal(tcp_step(&w, ORIG, TCP_CLASS_ACK), CT_STEP_INVALID);
}

static void test_simultaneous_open(void **state)
{
	union ct_word w = {.state = TCFW_CT_NONE};

	(void)state;
	step("SYN", &w, ORIG, TCP_FLAG_SYN, CT_STEP_OK, TCFW_CT_TCP_SYN_SENT);
	step("SYN from the other side", &w, REPLY, TCP_FLAG_SYN, CT_STEP_OK, TCFW_CT_TCP_SYN_SENT2);
	assert_true(w.flags & TCFW_CTF_TCP_SIMOPEN);
	step("SYN-ACK", &w, ORIG, TCP_FLAG_SYN | TCP_FLAG_ACK, CT_STEP_OK, TCFW_CT_TCP_SYN_RECV);
	step("its ACK finishes the open", &w, REPLY, TCP_FLAG_ACK, CT_STEP_OK,
	     TCFW_CT_TCP_ESTABLISHED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_flags_valid),         cmocka_unit_test(test_classes),
	    cmocka_unit_test(test_handshake_and_close), cmocka_unit_test(test_reset_and_invalid),
	    cmocka_unit_test(test_simultaneous_open),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
