// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * dp_nat_frag.c - fragmented UDP datagrams through NAT: a 4,000-byte datagram in fragments of
 * a 1,500-byte MTU, in order and out of order, through masquerade, a port forward and
 * hairpin. The first fragment carries the ports and the checksum of the whole datagram; later
 * fragments get their addresses only. Expected fragments are cut by the test from a datagram
 * it built and checksummed itself.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dp_nat.h"

#define DGRAM_PAYLOAD (4000 - 8) /* a 4,000-byte UDP datagram */
#define FRAG_PAYLOAD  1480       /* IP payload per fragment at MTU 1500 */
#define NFRAG         3

static const char masq_policy[] = DPN_ZONES "nat masquerade out wan from 192.0.2.0/24\n";
static const char forward_policy[] =
    DPN_ZONES "nat dnat in wan proto udp dport 5353 -> 192.0.2.20:53\n";

static void fragments(const struct flow *f, int dir, uint16_t id, bool zero_csum,
                      struct pkt out[NFRAG])
{
	size_t n;

	dpn_udp_fragments(f, dir, DGRAM_PAYLOAD, id, FRAG_PAYLOAD, zero_csum, out, NFRAG, &n);
	if (n != NFRAG) {
		fprintf(stderr, "dp_nat_frag: expected %d fragments, built %zu\n", NFRAG, n);
		abort();
	}
}

/*
 * Send fragments of f (direction dir, IP id) in the given order through ingress (expected
 * as in_want, NULL: unchanged) and then egress (expected as out_want).
 */
static void send_fragments(struct dp *t, const char *what, const int order[NFRAG],
                           enum dp_hook in_hook, const struct pkt in[NFRAG],
                           const struct pkt *in_want, enum dp_hook out_hook,
                           const struct pkt out_want[NFRAG])
{
	char step[160];

	for (int k = 0; k < NFRAG; k++) {
		int i = order[k];
		const struct pkt *mid = in_want ? &in_want[i] : &in[i];

		snprintf(step, sizeof(step), "%s: fragment %d of %d (sent %s) at ingress", what,
		         i + 1, NFRAG,
		         k == 0           ? "first"
		         : k == NFRAG - 1 ? "last"
		                          : "second");
		dpn_expect(t, step, in_hook, &in[i], TC_OK, in_want ? &in_want[i] : NULL);
		snprintf(step, sizeof(step), "%s: fragment %d of %d at egress", what, i + 1, NFRAG);
		dpn_expect(t, step, out_hook, mid, TC_OK, &out_want[i]);
	}
}

static const int in_order[NFRAG] = {0, 1, 2};
static const int reversed[NFRAG] = {2, 1, 0};

/* Masquerade, in order, both ways; and a datagram without UDP checksum. */
DP_CASE(nat_frag_masquerade)
{
	const struct flow f = {4, IPPROTO_UDP, CLIENT1, SERVER, 41000, 9};
	const struct flow x = dpn_flow_src(&f, PUBLIC_IP, 41000);
	struct pkt in[NFRAG], want[NFRAG];

	if (dpn_setup(t, masq_policy))
		return;
	fragments(&f, TCFW_DIR_ORIG, 0x1111, false, in);
	fragments(&x, TCFW_DIR_ORIG, 0x1111, false, want);
	send_fragments(t, "request", in_order, DP_INGRESS_LAN, in, NULL, DP_EGRESS_FWD_WAN, want);

	fragments(&x, TCFW_DIR_REPLY, 0x2222, false, in);
	fragments(&f, TCFW_DIR_REPLY, 0x2222, false, want);
	send_fragments(t, "response", in_order, DP_INGRESS_WAN, in, want, DP_EGRESS_FWD_LAN, want);

	fragments(&f, TCFW_DIR_ORIG, 0x3333, true, in);
	fragments(&x, TCFW_DIR_ORIG, 0x3333, true, want);
	send_fragments(t, "request without UDP checksum", in_order, DP_INGRESS_LAN, in, NULL,
	               DP_EGRESS_FWD_WAN, want);
	dp_expect_stat(t, "counters", TCFW_STAT_FRAGMENTS, 3 * NFRAG);
}

/*
 * Masquerade, fragments in reverse order (the first fragment last): the later fragments pass
 * ingress untracked, and egress gives them the source address the snat chain chooses, which
 * the first fragment then gets too: the server can reassemble. For a new connection, and
 * again for one that exists.
 */
DP_CASE(nat_frag_out_of_order)
{
	const struct flow f = {4, IPPROTO_UDP, CLIENT1, SERVER, 41000, 9};
	const struct flow x = dpn_flow_src(&f, PUBLIC_IP, 41000);
	struct pkt in[NFRAG], want[NFRAG];
	struct tcfw_ct_entry e;

	if (dpn_setup(t, masq_policy))
		return;
	fragments(&f, TCFW_DIR_ORIG, 0x4444, false, in);
	fragments(&x, TCFW_DIR_ORIG, 0x4444, false, want);
	send_fragments(t, "new connection, reversed", reversed, DP_INGRESS_LAN, in, NULL,
	               DP_EGRESS_FWD_WAN, want);
	if (dpn_conn(t, "connection", &f, &e))
		DP_EXPECT_EQ(t, "connection", "nat_kind", e.nat_kind, TCFW_NAT_SNAT);

	fragments(&f, TCFW_DIR_ORIG, 0x5555, true, in);
	fragments(&x, TCFW_DIR_ORIG, 0x5555, true, want);
	send_fragments(t, "existing connection, reversed, no UDP checksum", reversed,
	               DP_INGRESS_LAN, in, NULL, DP_EGRESS_FWD_WAN, want);
}

/*
 * The limit: a later fragment of a reply that arrives before its first fragment cannot be
 * translated (its destination depends on the ports it does not carry): it passes ingress
 * untouched, addressed to the gateway, and its datagram is lost. The first fragment, and the
 * fragments after it, are translated as usual.
 */
DP_CASE(nat_frag_reply_out_of_order)
{
	const struct flow f = {4, IPPROTO_UDP, CLIENT1, SERVER, 41000, 9};
	const struct flow x = dpn_flow_src(&f, PUBLIC_IP, 41000);
	struct pkt in[NFRAG], want[NFRAG], req;

	if (dpn_setup(t, masq_policy))
		return;
	pkt_flow(&req, &f, TCFW_DIR_ORIG, 0);
	dp_send(t, "request at lan0 ingress", DP_INGRESS_LAN, &req, TC_OK);
	fragments(&x, TCFW_DIR_REPLY, 0x6666, false, in);
	fragments(&f, TCFW_DIR_REPLY, 0x6666, false, want);
	dpn_expect(t, "response fragment 3 before fragment 1 at wan0 ingress: untranslated",
	           DP_INGRESS_WAN, &in[2], TC_OK, NULL);
	dpn_expect(t, "response fragment 1 at wan0 ingress: translated", DP_INGRESS_WAN, &in[0],
	           TC_OK, &want[0]);
	dpn_expect(t, "response fragment 2 at wan0 ingress: translated", DP_INGRESS_WAN, &in[1],
	           TC_OK, &want[1]);
}

/* A port forward, in order: the request's destination at ingress (the first fragment's
 * port too), the response's source at egress. */
DP_CASE(nat_frag_port_forward)
{
	const struct flow u = {4, IPPROTO_UDP, SERVER, PUBLIC_IP, 6000, 5353};
	const struct flow ux = dpn_flow_dst(&u, LAN_SRV, 53);
	struct pkt in[NFRAG], want[NFRAG];

	if (dpn_setup(t, forward_policy))
		return;
	fragments(&u, TCFW_DIR_ORIG, 0x7777, false, in);
	fragments(&ux, TCFW_DIR_ORIG, 0x7777, false, want);
	send_fragments(t, "request", in_order, DP_INGRESS_WAN, in, want, DP_EGRESS_FWD_LAN, want);

	fragments(&ux, TCFW_DIR_REPLY, 0x8888, false, in);
	fragments(&u, TCFW_DIR_REPLY, 0x8888, false, want);
	send_fragments(t, "response", in_order, DP_INGRESS_LAN, in, NULL, DP_EGRESS_FWD_WAN, want);
}

/* Hairpin (DNAT at ingress, SNAT at egress), in order: egress finds the later fragments by
 * the destination ingress gave them. */
DP_CASE(nat_frag_hairpin)
{
	const struct flow f = {4, IPPROTO_UDP, CLIENT1, PUBLIC_IP, 41000, 5353};
	const struct flow mid = dpn_flow_dst(&f, LAN_SRV, 53);
	const struct flow x = dpn_flow_src(&mid, LAN_GW, 41000);
	struct pkt in[NFRAG], midp[NFRAG], want[NFRAG];

	if (dpn_setup(t, forward_policy))
		return;
	fragments(&f, TCFW_DIR_ORIG, 0x9999, false, in);
	fragments(&mid, TCFW_DIR_ORIG, 0x9999, false, midp);
	fragments(&x, TCFW_DIR_ORIG, 0x9999, false, want);
	send_fragments(t, "hairpin request", in_order, DP_INGRESS_LAN, in, midp, DP_EGRESS_FWD_LAN,
	               want);

	fragments(&x, TCFW_DIR_REPLY, 0xaaaa, false, in);
	fragments(&mid, TCFW_DIR_REPLY, 0xaaaa, false, midp);
	fragments(&f, TCFW_DIR_REPLY, 0xaaaa, false, want);
	send_fragments(t, "hairpin response", in_order, DP_INGRESS_LAN, in, midp, DP_EGRESS_FWD_LAN,
	               want);
}
