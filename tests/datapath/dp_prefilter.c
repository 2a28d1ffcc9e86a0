// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * dp_prefilter.c - the XDP pre-filter (bpf/lib/prefilter.h) through BPF_PROG_TEST_RUN, received
 * on wan0 (its zone has the prefilter) or lan0 (none): blocked sources (IPv4, IPv6) dropped and
 * counted, other sources passed; TCP without SYN of no connection dropped only when TC would
 * drop it too (checked by running the same packet through tcfw_ingress), while replies of
 * tracked connections, masqueraded ones included, pass; a policy switch without the prefilter
 * stops it at once; and what the pre-filter does not fully parse goes to TC untouched.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>

#include "tcfw.skel.h"

#include "dp.h"
#include "dp_nat.h"

#define XDP_DROP_ 1
#define XDP_PASS_ 2

#define BLOCKED  "203.0.113.66"
#define BLOCKED6 "2001:db8:3::66"
#define OTHER    "203.0.113.5"

#define PRE_ZONES                                                                                  \
	"zone lan { lan0 }\nzone wan { wan0 }\n"                                                   \
	"set blocked { 203.0.113.66, 203.0.113.128/25, 2001:db8:3::66 }\n"
#define PRE_DEFAULTS "defaults { input drop; forward drop; output accept; invalid drop }\n"

/* Run p through the XDP program as received on ifindex; its XDP action, -1 on a failed run. */
static int xdp_run(struct dp *t, const char *step, int ifindex, const struct pkt *p)
{
	/* data_end: the frame's length (the kernel insists), no metadata before it. */
	struct xdp_md ctx = {.data_end = (__u32)p->len, .ingress_ifindex = (__u32)ifindex};
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = p->b, .data_size_in = (uint32_t)p->len,
	            .ctx_in = &ctx, .ctx_size_in = sizeof(ctx), .repeat = 1);

	if (bpf_prog_test_run_opts(bpf_program__fd(t->skel->progs.tcfw_xdp_prefilter), &opts)) {
		dp_fail(t, step, "bpf_prog_test_run_opts (xdp): %s", strerror(errno));
		return -1;
	}
	return (int)opts.retval;
}

static void xdp_expect(struct dp *t, const char *step, int ifindex, const struct pkt *p, int want)
{
	int got = xdp_run(t, step, ifindex, p);

	if (got >= 0 && got != want)
		dp_fail(t, step, "XDP verdict: expected %s, got %d",
		        want == XDP_DROP_ ? "XDP_DROP" : "XDP_PASS", got);
}

static void xdp_flow(struct dp *t, const char *step, int ifindex, const struct flow *f, int dir,
                     uint8_t flags, int want)
{
	struct pkt p;

	pkt_flow(&p, f, dir, flags);
	xdp_expect(t, step, ifindex, &p, want);
}

DP_CASE(prefilter_blocked)
{
	const struct flow v4 = {4, IPPROTO_TCP, BLOCKED, "192.0.2.10", 40000, 80};
	const struct flow v4net = {4, IPPROTO_UDP, "203.0.113.200", "192.0.2.10", 5000, 53};
	const struct flow v6 = {6, IPPROTO_TCP, BLOCKED6, "2001:db8:1::10", 40000, 80};
	const struct flow ok4 = {4, IPPROTO_TCP, OTHER, "192.0.2.10", 40000, 80};
	const struct flow ok6 = {6, IPPROTO_TCP, "2001:db8:3::67", "2001:db8:1::10", 40000, 80};

	if (!dp_policy_load(t, "load the policy",
	                    PRE_ZONES PRE_DEFAULTS "prefilter wan { drop from @blocked }\n"
	                                           "forward accept in wan\n",
	                    0, true))
		return;
	xdp_flow(t, "SYN from a blocked IPv4 source at wan0", t->ifindex_wan, &v4, TCFW_DIR_ORIG,
	         F_SYN, XDP_DROP_);
	xdp_flow(t, "UDP from a blocked IPv4 network at wan0", t->ifindex_wan, &v4net,
	         TCFW_DIR_ORIG, 0, XDP_DROP_);
	xdp_flow(t, "SYN from a blocked IPv6 source at wan0", t->ifindex_wan, &v6, TCFW_DIR_ORIG,
	         F_SYN, XDP_DROP_);
	dp_expect_stat(t, "after three blocked packets", TCFW_STAT_PREFILTER_BLOCKED, 3);
	xdp_flow(t, "SYN from an allowed IPv4 source", t->ifindex_wan, &ok4, TCFW_DIR_ORIG, F_SYN,
	         XDP_PASS_);
	xdp_flow(t, "SYN from an allowed IPv6 source", t->ifindex_wan, &ok6, TCFW_DIR_ORIG, F_SYN,
	         XDP_PASS_);
	xdp_flow(t, "a blocked source at lan0, whose zone has no prefilter", t->ifindex_lan, &v4,
	         TCFW_DIR_ORIG, F_SYN, XDP_PASS_);
	dp_expect_stat(t, "nothing else blocked", TCFW_STAT_PREFILTER_BLOCKED, 3);
	dp_expect_stat(t, "no untracked drops without 'drop untracked'",
	               TCFW_STAT_PREFILTER_UNTRACKED, 0);

	/* Copy 1 without the prefilter, made live: the next packet passes. */
	if (!dp_policy_load(t, "load copy 1 without prefilter",
	                    PRE_ZONES PRE_DEFAULTS "forward accept in wan\n", 1, true))
		return;
	xdp_flow(t, "blocked source after a reload without prefilter", t->ifindex_wan, &v4,
	         TCFW_DIR_ORIG, F_SYN, XDP_PASS_);
}

DP_CASE(prefilter_untracked)
{
	const struct flow out = {4, IPPROTO_TCP, "192.0.2.10", OTHER, 40000, 80};
	const struct flow out6 = {6, IPPROTO_TCP, "2001:db8:1::10", "2001:db8:3::5", 40000, 80};
	const struct flow stray = {4, IPPROTO_TCP, OTHER, "192.0.2.10", 80, 40001};
	const struct flow stray6 = {6, IPPROTO_TCP, "2001:db8:3::5", "2001:db8:1::10", 80, 40001};
	struct pkt p;

	if (!dp_policy_load(t, "load the policy",
	                    PRE_ZONES PRE_DEFAULTS "prefilter wan { drop untracked }\n"
	                                           "forward accept in lan out wan\n",
	                    0, true))
		return;
	dp_flow(t, "SYN from lan0 (TC opens the connection)", DP_INGRESS_LAN, &out, TCFW_DIR_ORIG,
	        F_SYN, TC_OK);
	dp_flow(t, "IPv6 SYN from lan0", DP_INGRESS_LAN, &out6, TCFW_DIR_ORIG, F_SYN, TC_OK);
	xdp_flow(t, "SYN-ACK reply of a tracked connection", t->ifindex_wan, &out, TCFW_DIR_REPLY,
	         F_SYN | F_ACK, XDP_PASS_);
	xdp_flow(t, "ACK reply of a tracked connection", t->ifindex_wan, &out, TCFW_DIR_REPLY,
	         F_ACK, XDP_PASS_);
	xdp_flow(t, "IPv6 SYN-ACK reply of a tracked connection", t->ifindex_wan, &out6,
	         TCFW_DIR_REPLY, F_SYN | F_ACK, XDP_PASS_);

	/* No connection: each is dropped at XDP, and TC would drop it as well. */
	const uint8_t stray_flags[] = {F_ACK, F_ACK | F_PSH, F_RST, F_FIN | F_ACK, F_SYN | F_ACK};
	for (size_t i = 0; i < sizeof(stray_flags); i++) {
		char step[96];

		snprintf(step, sizeof(step), "untracked TCP flags 0x%02x at wan0", stray_flags[i]);
		pkt_flow(&p, &stray, TCFW_DIR_ORIG, stray_flags[i]);
		xdp_expect(t, step, t->ifindex_wan, &p, XDP_DROP_);
		dp_send(t, step, DP_INGRESS_WAN, &p, TC_SHOT);
	}
	xdp_flow(t, "untracked IPv6 ACK at wan0", t->ifindex_wan, &stray6, TCFW_DIR_ORIG, F_ACK,
	         XDP_DROP_);
	dp_expect_stat(t, "untracked drops", TCFW_STAT_PREFILTER_UNTRACKED, 6);
	xdp_flow(t, "a SYN may open a connection: TC decides", t->ifindex_wan, &stray,
	         TCFW_DIR_ORIG, F_SYN, XDP_PASS_);
	xdp_flow(t, "untracked ACK at lan0 (no prefilter)", t->ifindex_lan, &stray, TCFW_DIR_ORIG,
	         F_ACK, XDP_PASS_);
	xdp_flow(t, "UDP is never 'untracked'", t->ifindex_wan,
	         &(struct flow){4, IPPROTO_UDP, OTHER, "192.0.2.10", 53, 5353}, TCFW_DIR_ORIG, 0,
	         XDP_PASS_);

	/* invalid accept: TC passes such segments, so the prefilter must too. */
	if (!dp_policy_load(t, "copy 1: invalid accept",
	                    PRE_ZONES "defaults { forward drop; invalid accept }\n"
	                              "prefilter wan { drop untracked }\n",
	                    1, true))
		return;
	pkt_flow(&p, &stray, TCFW_DIR_ORIG, F_ACK);
	xdp_expect(t, "untracked ACK with invalid accept", t->ifindex_wan, &p, XDP_PASS_);
	dp_send(t, "untracked ACK with invalid accept", DP_INGRESS_WAN, &p, TC_OK);
}

DP_CASE(prefilter_nat_reply)
{
	const struct flow f = {4, IPPROTO_TCP, CLIENT1, SERVER, 40000, 80};
	const struct flow x = dpn_flow_src(&f, PUBLIC_IP, 40000); /* as the server sees it */
	const struct flow wrong = dpn_flow_src(&f, PUBLIC_IP, 40002);
	struct pkt in;

	if (dpn_setup(t, DPN_ZONES "prefilter wan { drop untracked }\n"
	                           "nat masquerade out wan\n"))
		return;
	pkt_flow(&in, &f, TCFW_DIR_ORIG, F_SYN);
	dp_send(t, "SYN at lan0 ingress", DP_INGRESS_LAN, &in, TC_OK);
	dp_send(t, "SYN at wan0 egress (masqueraded)", DP_EGRESS_FWD_WAN, &in, TC_OK);
	xdp_flow(t, "SYN-ACK to the masqueraded tuple (found through its reference entry)",
	         t->ifindex_wan, &x, TCFW_DIR_REPLY, F_SYN | F_ACK, XDP_PASS_);
	xdp_flow(t, "ACK to the masqueraded tuple", t->ifindex_wan, &x, TCFW_DIR_REPLY, F_ACK,
	         XDP_PASS_);
	xdp_flow(t, "ACK to another public port: no connection", t->ifindex_wan, &wrong,
	         TCFW_DIR_REPLY, F_ACK, XDP_DROP_);
	dp_expect_stat(t, "one untracked drop", TCFW_STAT_PREFILTER_UNTRACKED, 1);
}

DP_CASE(prefilter_malformed_passes)
{
	const struct flow stray = {4, IPPROTO_TCP, OTHER, "192.0.2.10", 80, 40001};
	struct pkt p;

	if (!dp_policy_load(t, "load the policy",
	                    PRE_ZONES PRE_DEFAULTS
	                    "prefilter wan { drop from @blocked; drop untracked }\n",
	                    0, true))
		return;
	/* Parsed: one VLAN tag. */
	pkt_init(&p);
	pkt_eth(&p, 0x8100, false);
	pkt_vlan(&p, 7, 0x0800);
	pkt_ipv4(&p, OTHER, "192.0.2.10", IPPROTO_TCP, 0, 1, 0);
	pkt_tcp(&p, 80, 40001, F_ACK);
	pkt_finish(&p);
	xdp_expect(t, "untracked ACK behind a VLAN tag", t->ifindex_wan, &p, XDP_DROP_);

	/* Not judged: each goes to TC as it is. */
	pkt_init(&p);
	pkt_eth(&p, 0x0806, true);
	pkt_data(&p, "\x00\x01\x08\x00\x06\x04\x00\x01", 8);
	pkt_finish(&p);
	xdp_expect(t, "ARP", t->ifindex_wan, &p, XDP_PASS_);

	pkt_flow(&p, &stray, TCFW_DIR_ORIG, F_ACK);
	p.b[p.l3 + 2] = 0x40; /* total length 16384: beyond the frame */
	xdp_expect(t, "IPv4 total length beyond the frame", t->ifindex_wan, &p, XDP_PASS_);

	pkt_flow(&p, &stray, TCFW_DIR_ORIG, F_ACK);
	p.b[p.l3] = 0x44; /* IHL 4 */
	xdp_expect(t, "IPv4 IHL below 5", t->ifindex_wan, &p, XDP_PASS_);

	pkt_flow(&p, &stray, TCFW_DIR_ORIG, F_ACK);
	p.b[p.l4 + 12] = 0x40; /* data offset 4 */
	xdp_expect(t, "TCP data offset below 5", t->ifindex_wan, &p, XDP_PASS_);

	pkt_flow(&p, &stray, TCFW_DIR_ORIG, F_ACK);
	p.len = p.l4 + 10; /* the TCP header cut short */
	p.b[p.l3 + 2] = 0, p.b[p.l3 + 3] = (uint8_t)(p.len - p.l3);
	xdp_expect(t, "TCP header cut short", t->ifindex_wan, &p, XDP_PASS_);

	pkt_flow(&p, &stray, TCFW_DIR_ORIG, F_SYN | F_FIN);
	xdp_expect(t, "impossible flags SYN|FIN (TC's invalid, not ours)", t->ifindex_wan, &p,
	           XDP_PASS_);

	pkt_init(&p);
	pkt_eth(&p, 0x0800, false);
	pkt_ipv4(&p, OTHER, "192.0.2.10", IPPROTO_TCP, 0, 9, 0x2000);
	pkt_tcp(&p, 80, 40001, F_ACK);
	p.no_csum = true;
	pkt_finish(&p);
	xdp_expect(t, "first IPv4 fragment of an ACK", t->ifindex_wan, &p, XDP_PASS_);

	pkt_init(&p);
	pkt_eth(&p, 0x86DD, false);
	pkt_ipv6(&p, "2001:db8:3::5", "2001:db8:1::10", 60);
	pkt_ipv6_ext(&p, 60, 8, IPPROTO_TCP);
	pkt_tcp(&p, 80, 40001, F_ACK);
	pkt_finish(&p);
	xdp_expect(t, "IPv6 ACK behind a destination options header", t->ifindex_wan, &p,
	           XDP_PASS_);

	pkt_flow(&p, &(struct flow){4, IPPROTO_TCP, BLOCKED, "192.0.2.10", 80, 40001},
	         TCFW_DIR_ORIG, F_ACK);
	p.b[p.l3 + 2] = 0x40;
	xdp_expect(t, "a blocked source with a broken IP header: TC's to drop", t->ifindex_wan, &p,
	           XDP_PASS_);
	dp_expect_stat(t, "only the VLAN ACK dropped", TCFW_STAT_PREFILTER_UNTRACKED, 1);
	dp_expect_stat(t, "nothing blocked", TCFW_STAT_PREFILTER_BLOCKED, 0);
}
