// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * dp_nat_snat.c - masquerade and snat: TCP, UDP (with and without checksum) and ICMP echo
 * through the gateway and back, the bytes of every rewritten packet, port collisions and an
 * exhausted port range.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "tcfw.skel.h"

#include "dp_nat.h"

static const char masq_policy[] = DPN_ZONES "nat masquerade out wan from 192.0.2.0/24\n";

/* The connection's reply tuple is the translated one: x's reply direction. */
static void expect_reply_tuple(struct dp *t, const char *step, const struct tcfw_ct_entry *e,
                               const struct flow *x)
{
	struct tcfw_tuple want;

	dp_tuple(&want, x, TCFW_DIR_REPLY);
	if (memcmp(&e->reply, &want, sizeof(want)))
		dp_fail(t, step, "reply tuple: expected the translated %s:%u -> %s:%u reversed",
		        x->src, x->sport, x->dst, x->dport);
}

DP_CASE(nat_masquerade_tcp)
{
	const struct flow f = {4, IPPROTO_TCP, CLIENT1, SERVER, 40000, 80};
	const struct flow x = dpn_flow_src(&f, PUBLIC_IP, 40000); /* what the server sees */
	struct tcfw_ct_entry e;
	struct pkt in, want;

	if (dpn_setup(t, masq_policy))
		return;
	pkt_flow(&in, &f, TCFW_DIR_ORIG, F_SYN);
	dpn_expect(t, "SYN at lan0 ingress: untouched (sources change at egress only)",
	           DP_INGRESS_LAN, &in, TC_OK, NULL);
	pkt_flow(&want, &x, TCFW_DIR_ORIG, F_SYN);
	dpn_expect(t, "SYN at wan0 egress: source masqueraded, port kept", DP_EGRESS_FWD_WAN, &in,
	           TC_OK, &want);
	if (dpn_conn(t, "connection after SYN", &f, &e)) {
		DP_EXPECT_EQ(t, "connection after SYN", "nat_kind", e.nat_kind, TCFW_NAT_SNAT);
		DP_EXPECT_EQ(t, "connection after SYN", "state", e.state, TCFW_CT_TCP_SYN_SENT);
		expect_reply_tuple(t, "connection after SYN", &e, &x);
	}

	pkt_flow(&in, &x, TCFW_DIR_REPLY, F_SYN | F_ACK);
	pkt_flow(&want, &f, TCFW_DIR_REPLY, F_SYN | F_ACK);
	dpn_expect(t, "SYN-ACK at wan0 ingress: destination back to the client", DP_INGRESS_WAN,
	           &in, TC_OK, &want);
	dpn_expect(t, "SYN-ACK at lan0 egress: untouched", DP_EGRESS_FWD_LAN, &want, TC_OK, NULL);

	pkt_flow(&in, &f, TCFW_DIR_ORIG, F_ACK);
	pkt_flow(&want, &x, TCFW_DIR_ORIG, F_ACK);
	dpn_expect(t, "ACK at lan0 ingress", DP_INGRESS_LAN, &in, TC_OK, NULL);
	dpn_expect(t, "ACK at wan0 egress: masqueraded", DP_EGRESS_FWD_WAN, &in, TC_OK, &want);
	if (dpn_conn(t, "connection after ACK", &f, &e))
		DP_EXPECT_EQ(t, "connection after ACK", "state", e.state, TCFW_CT_TCP_ESTABLISHED);
	dp_expect_stat(t, "counters", TCFW_STAT_NAT_TRANSLATED, 3);
	dp_expect_stat(t, "counters", TCFW_STAT_NAT_PORT_RETRIES, 0);
}

/* UDP there and back; zero_csum: the client sends no checksum, and none must appear. */
static void udp_round_trip(struct dp *t, bool zero_csum)
{
	const struct flow f = {4, IPPROTO_UDP, CLIENT1, SERVER, 5353, 53};
	const struct flow x = dpn_flow_src(&f, PUBLIC_IP, 5353);
	struct tcfw_ct_entry e;
	struct pkt in, want;

	if (dpn_setup(t, masq_policy))
		return;
	pkt_flow(&in, &f, TCFW_DIR_ORIG, 0);
	pkt_flow(&want, &x, TCFW_DIR_ORIG, 0);
	if (zero_csum) {
		/* UDP checksum field (offset 6 of the UDP header) 0: "no checksum". */
		in.b[in.l4 + 6] = in.b[in.l4 + 7] = 0;
		want.b[want.l4 + 6] = want.b[want.l4 + 7] = 0;
	}
	dpn_expect(t, "request at lan0 ingress", DP_INGRESS_LAN, &in, TC_OK, NULL);
	dpn_expect(t,
	           zero_csum ? "request at wan0 egress: masqueraded, checksum still 0"
	                     : "request at wan0 egress: masqueraded, checksum fixed",
	           DP_EGRESS_FWD_WAN, &in, TC_OK, &want);

	pkt_flow(&in, &x, TCFW_DIR_REPLY, 0);
	pkt_flow(&want, &f, TCFW_DIR_REPLY, 0);
	if (zero_csum) {
		in.b[in.l4 + 6] = in.b[in.l4 + 7] = 0;
		want.b[want.l4 + 6] = want.b[want.l4 + 7] = 0;
	}
	dpn_expect(t, "response at wan0 ingress: back to the client", DP_INGRESS_WAN, &in, TC_OK,
	           &want);
	if (dpn_conn(t, "connection", &f, &e)) {
		DP_EXPECT_EQ(t, "connection", "state", e.state, TCFW_CT_UDP_REPLIED);
		expect_reply_tuple(t, "connection", &e, &x);
	}
}

DP_CASE(nat_masquerade_udp)
{
	udp_round_trip(t, false);
}

DP_CASE(nat_masquerade_udp_zero_csum)
{
	udp_round_trip(t, true);
}

/* ICMP echo: the id is translated like a port. Two clients with the same id to one server:
 * the second one's id must change, and its replies must get their own id back. */
DP_CASE(nat_masquerade_icmp_echo)
{
	const struct flow f1 = {4, IPPROTO_ICMP, CLIENT1, SERVER, 77, 0};
	const struct flow f2 = {4, IPPROTO_ICMP, CLIENT2, SERVER, 77, 0};
	const struct flow x1 = dpn_flow_src(&f1, PUBLIC_IP, 77);
	struct tcfw_ct_entry e;
	struct pkt in, want;
	struct flow x2;

	if (dpn_setup(t, masq_policy))
		return;
	pkt_flow(&in, &f1, TCFW_DIR_ORIG, 0);
	pkt_flow(&want, &x1, TCFW_DIR_ORIG, 0);
	dpn_expect(t, "client 1 echo request at lan0 ingress", DP_INGRESS_LAN, &in, TC_OK, NULL);
	dpn_expect(t, "client 1 echo request at wan0 egress: id 77 kept", DP_EGRESS_FWD_WAN, &in,
	           TC_OK, &want);

	pkt_flow(&in, &f2, TCFW_DIR_ORIG, 0);
	dpn_expect(t, "client 2 echo request at lan0 ingress", DP_INGRESS_LAN, &in, TC_OK, NULL);
	if (!dpn_conn(t, "client 2 connection", &f2, &e))
		return;
	x2 = dpn_flow_src(&f2, PUBLIC_IP, dpn_snat_port(&e));
	DP_EXPECT_TRUE(t, "client 2 connection", "its id differs from client 1's 77",
	               x2.sport != 77);
	pkt_flow(&want, &x2, TCFW_DIR_ORIG, 0);
	dpn_expect(t, "client 2 echo request at wan0 egress: another id", DP_EGRESS_FWD_WAN, &in,
	           TC_OK, &want);

	pkt_flow(&in, &x2, TCFW_DIR_REPLY, 0);
	pkt_flow(&want, &f2, TCFW_DIR_REPLY, 0);
	dpn_expect(t, "client 2 echo reply at wan0 ingress: to client 2 with id 77", DP_INGRESS_WAN,
	           &in, TC_OK, &want);
	pkt_flow(&in, &x1, TCFW_DIR_REPLY, 0);
	pkt_flow(&want, &f1, TCFW_DIR_REPLY, 0);
	dpn_expect(t, "client 1 echo reply at wan0 ingress: to client 1", DP_INGRESS_WAN, &in,
	           TC_OK, &want);
	dp_expect_stat(t, "counters", TCFW_STAT_NAT_PORT_RETRIES, 1);
}

/* A connection the masquerade rule does not match is not translated, and egress leaves it. */
DP_CASE(nat_unmatched_untouched)
{
	const struct flow f = {4, IPPROTO_TCP, CLIENT1, SERVER, 40000, 80};
	struct tcfw_ct_entry e;
	struct pkt in;

	if (dpn_setup(t, DPN_ZONES "nat masquerade out wan from 192.0.2.128/25\n"))
		return;
	pkt_flow(&in, &f, TCFW_DIR_ORIG, F_SYN);
	dpn_expect(t, "SYN at lan0 ingress", DP_INGRESS_LAN, &in, TC_OK, NULL);
	dpn_expect(t, "SYN at wan0 egress: not translated", DP_EGRESS_FWD_WAN, &in, TC_OK, NULL);
	if (dpn_conn(t, "connection", &f, &e))
		DP_EXPECT_EQ(t, "connection", "nat_kind", e.nat_kind, TCFW_NAT_NONE);
	dp_expect_stat(t, "counters", TCFW_STAT_NAT_TRANSLATED, 0);
}

/*
 * A reply tuple that is another connection's orig tuple is taken too: the server has a
 * connection to the gateway's public address (SERVER:40000 -> PUBLIC_IP:8080, chain input),
 * then a LAN client from port 8080 to SERVER:40000 must not keep its port, or the server's
 * packets to PUBLIC_IP:8080 would be both connections' at once.
 */
DP_CASE(nat_port_taken_by_orig)
{
	const struct flow in_conn = {4, IPPROTO_UDP, SERVER, PUBLIC_IP, 40000, 8080};
	const struct flow f = {4, IPPROTO_UDP, CLIENT1, SERVER, 8080, 40000};
	struct tcfw_ct_entry e;
	struct pkt in, want;
	struct flow x;
	uint16_t port;

	if (dpn_setup(t, masq_policy))
		return;
	pkt_flow(&in, &in_conn, TCFW_DIR_ORIG, 0);
	dpn_expect(t, "server -> gateway:8080 at wan0: opens an input connection", DP_INGRESS_WAN,
	           &in, TC_OK, NULL);
	pkt_flow(&in, &f, TCFW_DIR_ORIG, 0);
	dpn_expect(t, "client 8080 -> server:40000 at lan0", DP_INGRESS_LAN, &in, TC_OK, NULL);
	if (!dpn_conn(t, "client connection", &f, &e))
		return;
	port = dpn_snat_port(&e);
	DP_EXPECT_TRUE(t, "client connection",
	               "port 8080 not kept (the server's connection has it)", port != 8080);
	x = dpn_flow_src(&f, PUBLIC_IP, port);
	pkt_flow(&want, &x, TCFW_DIR_ORIG, 0);
	dpn_expect(t, "at wan0 egress: the other port", DP_EGRESS_FWD_WAN, &in, TC_OK, &want);

	pkt_flow(&in, &in_conn, TCFW_DIR_ORIG, 0);
	dpn_expect(t, "the server's next packet to gateway:8080: still its own, untouched",
	           DP_INGRESS_WAN, &in, TC_OK, &in);
	pkt_flow(&in, &x, TCFW_DIR_REPLY, 0);
	pkt_flow(&want, &f, TCFW_DIR_REPLY, 0);
	dpn_expect(t, "the reply to the client's port: back to client:8080", DP_INGRESS_WAN, &in,
	           TC_OK, &want);
	dp_expect_conn(t, "server's connection", &in_conn, TCFW_CT_UDP_UNREPLIED, 0, NULL);
	dp_expect_stat(t, "counters", TCFW_STAT_NAT_PORT_RETRIES, 1);
}

/* Two clients, one source port, one server: the second gets another port, from the same
 * class (privileged ports stay privileged). */
DP_CASE(nat_port_collision)
{
	static const uint16_t sports[] = {40000, 700};
	struct tcfw_ct_entry e;
	struct pkt in, want;

	if (dpn_setup(t, masq_policy))
		return;
	for (size_t k = 0; k < 2; k++) {
		const struct flow f1 = {4, IPPROTO_TCP, CLIENT1, SERVER, sports[k], 80};
		const struct flow f2 = {4, IPPROTO_TCP, CLIENT2, SERVER, sports[k], 80};
		const struct flow x1 = dpn_flow_src(&f1, PUBLIC_IP, sports[k]);
		struct flow x2;
		uint16_t p2;

		pkt_flow(&in, &f1, TCFW_DIR_ORIG, F_SYN);
		dpn_expect(t, "client 1 SYN at lan0 ingress", DP_INGRESS_LAN, &in, TC_OK, NULL);
		pkt_flow(&want, &x1, TCFW_DIR_ORIG, F_SYN);
		dpn_expect(t, "client 1 SYN at wan0 egress: port kept", DP_EGRESS_FWD_WAN, &in,
		           TC_OK, &want);

		pkt_flow(&in, &f2, TCFW_DIR_ORIG, F_SYN);
		dpn_expect(t, "client 2 SYN (same port) at lan0 ingress", DP_INGRESS_LAN, &in,
		           TC_OK, NULL);
		if (!dpn_conn(t, "client 2 connection", &f2, &e))
			return;
		p2 = dpn_snat_port(&e);
		DP_EXPECT_TRUE(t, "client 2 connection", "translated port differs from client 1's",
		               p2 != sports[k]);
		if (sports[k] < 1024)
			DP_EXPECT_TRUE(t, "client 2 connection",
			               "a privileged port maps to a privileged port (1-1023)",
			               p2 >= 1 && p2 <= 1023);
		else
			DP_EXPECT_TRUE(t, "client 2 connection", "port in 1024-65535", p2 >= 1024);
		x2 = dpn_flow_src(&f2, PUBLIC_IP, p2);
		pkt_flow(&want, &x2, TCFW_DIR_ORIG, F_SYN);
		dpn_expect(t, "client 2 SYN at wan0 egress: the other port", DP_EGRESS_FWD_WAN, &in,
		           TC_OK, &want);
		pkt_flow(&in, &x2, TCFW_DIR_REPLY, F_SYN | F_ACK);
		pkt_flow(&want, &f2, TCFW_DIR_REPLY, F_SYN | F_ACK);
		dpn_expect(t, "client 2 SYN-ACK at wan0 ingress: back to client 2's own port",
		           DP_INGRESS_WAN, &in, TC_OK, &want);
	}
	dp_expect_stat(t, "counters", TCFW_STAT_NAT_PORT_RETRIES, 2);
	dp_expect_stat(t, "counters", TCFW_STAT_NAT_PORT_EXHAUSTED, 0);
}

/* snat with a range of two ports: two clients get one each, the third is refused. */
DP_CASE(nat_port_exhausted)
{
	static const char *const clients[] = {CLIENT1, CLIENT2, CLIENT3};
	uint16_t got[2] = {0, 0};
	struct tcfw_ct_entry e;
	struct pkt in, want;

	if (dpn_setup(t,
	              DPN_ZONES "nat snat out wan from 192.0.2.0/24 -> 198.51.100.1:20000-20001\n"))
		return;
	for (int k = 0; k < 3; k++) {
		const struct flow f = {4, IPPROTO_UDP, clients[k], SERVER, 40000, 53};
		char step[96];

		pkt_flow(&in, &f, TCFW_DIR_ORIG, 0);
		snprintf(step, sizeof(step), "client %d request at lan0 ingress%s", k + 1,
		         k == 2 ? ": dropped, no port left" : "");
		dpn_expect(t, step, DP_INGRESS_LAN, &in, k < 2 ? TC_OK : TC_SHOT, NULL);
		if (k == 2) {
			dp_expect_no_conn(t, "client 3", &f);
			break;
		}
		if (!dpn_conn(t, "connection", &f, &e))
			return;
		got[k] = dpn_snat_port(&e);
		{
			const struct flow x = dpn_flow_src(&f, PUBLIC_IP, got[k]);

			pkt_flow(&want, &x, TCFW_DIR_ORIG, 0);
			snprintf(step, sizeof(step), "client %d request at wan0 egress", k + 1);
			dpn_expect(t, step, DP_EGRESS_FWD_WAN, &in, TC_OK, &want);
		}
	}
	DP_EXPECT_TRUE(t, "ports", "client 1's port in 20000-20001",
	               got[0] == 20000 || got[0] == 20001);
	DP_EXPECT_TRUE(t, "ports", "client 2's port in 20000-20001",
	               got[1] == 20000 || got[1] == 20001);
	DP_EXPECT_TRUE(t, "ports", "clients 1 and 2 got different ports", got[0] != got[1]);
	dp_expect_stat(t, "counters", TCFW_STAT_NAT_PORT_EXHAUSTED, 1);
	DP_EXPECT_TRUE(t, "counters", "nat_port_retries counts the two taken ports client 3 tried",
	               dp_stat(t, TCFW_STAT_NAT_PORT_RETRIES) >= 2);
	DP_EXPECT_EQ(t, "tables", "connections", dp_count_ct(t), 2);
	DP_EXPECT_EQ(t, "tables", "reference entries (the two bindings)", dp_count_ct_refs(t), 2);
}

/* Masquerade behind an interface without IPv4 address refuses the connection. */
DP_CASE(nat_masquerade_no_address)
{
	const struct flow f = {4, IPPROTO_TCP, CLIENT1, SERVER, 40000, 80};
	struct tcfw_iface ifc;
	__u32 key;
	struct pkt in;

	if (dpn_setup(t, masq_policy))
		return;
	key = (__u32)t->ifindex_wan;
	if (bpf_map_lookup_elem(bpf_map__fd(t->skel->maps.ifaces), &key, &ifc) == 0) {
		ifc.masq_addr4 = 0;
		bpf_map_update_elem(bpf_map__fd(t->skel->maps.ifaces), &key, &ifc, BPF_ANY);
	}
	pkt_flow(&in, &f, TCFW_DIR_ORIG, F_SYN);
	dpn_expect(t, "SYN at lan0 ingress: dropped, wan0 has no address to masquerade with",
	           DP_INGRESS_LAN, &in, TC_SHOT, NULL);
	dp_expect_no_conn(t, "connection", &f);
	dp_expect_stat(t, "counters", TCFW_STAT_NAT_NO_ADDRESS, 1);
	dp_expect_stat(t, "counters", TCFW_STAT_NAT_PORT_EXHAUSTED, 0);
}

/*
 * A masqueraded connection reserves its port by inserting its reply half before its entry
 * (nat/new_conn.h). A packet to that port arriving on another CPU in between finds a reply half
 * without its entry; it must leave it alone, or the connection is stored without a reply half
 * and every reply is INVALID. The in-between state is made here by hand: the entry of an open
 * connection taken away, the packet sent, the entry put back as the creating CPU would.
 */
DP_CASE(nat_reply_during_open)
{
	const struct flow f = {4, IPPROTO_UDP, CLIENT1, SERVER, 40000, 53};
	const struct flow x = dpn_flow_src(&f, PUBLIC_IP, 40000); /* what the server sees */
	struct tcfw_tuple orig, reply, back, key;
	struct tcfw_ct_entry e;
	struct pkt in, out;

	if (dpn_setup(t, "zone lan { lan0 }\n"
	                 "zone wan { wan0 }\n"
	                 "defaults { input drop; forward accept; output accept; invalid drop }\n"
	                 "nat masquerade out wan from 192.0.2.0/24\n"))
		return;
	dp_tuple(&orig, &f, TCFW_DIR_ORIG);
	tcfw_ct_key(&key, &orig);
	dp_tuple(&reply, &x, TCFW_DIR_REPLY);

	pkt_flow(&in, &f, TCFW_DIR_ORIG, 0);
	DP_EXPECT_EQ(t, "query", "verdict", dpn_run(t, "query", DP_INGRESS_LAN, &in, &out), TC_OK);
	if (!dpn_conn(t, "query", &f, &e))
		return;
	expect_reply_tuple(t, "query", &e, &x);

	/* The port reserved, the entry not stored yet: the server's datagram comes. */
	dp_ct_delete(t, &orig);
	pkt_flow(&in, &x, TCFW_DIR_REPLY, 0);
	DP_EXPECT_EQ(t, "answer before the entry", "verdict",
	             dpn_run(t, "answer before the entry", DP_INGRESS_WAN, &in, &out), TC_SHOT);
	DP_EXPECT_TRUE(t, "answer before the entry", "the reserved reference is still there",
	               dp_ct_ref(t, &reply, &back) && !memcmp(&back, &key, sizeof(key)));
	dp_expect_stat(t, "answer before the entry", TCFW_STAT_EVICTIONS_SUSPECTED, 1);

	/* The creating CPU stores the entry: the next answer belongs to the connection. */
	if (dp_ct_insert(t, &orig, &e)) {
		dp_fail(t, "entry stored", "cannot write map ct");
		return;
	}
	DP_EXPECT_EQ(t, "answer", "verdict", dpn_run(t, "answer", DP_INGRESS_WAN, &in, &out),
	             TC_OK);
	if (dpn_conn(t, "answer", &f, &e)) {
		DP_EXPECT_EQ(t, "answer", "state", e.state, TCFW_CT_UDP_REPLIED);
		DP_EXPECT_EQ(t, "answer", "reply packets", e.ctr[TCFW_DIR_REPLY].packets, 1);
	}
	DP_EXPECT_EQ(t, "answer", "client port restored",
	             (out.b[14 + 20 + 2] << 8) | out.b[14 + 20 + 3], 40000);
}

/*
 * The same moment seen from a connection the gateway opens itself: from its public address
 * and the port masquerade has just reserved for a client, to the same server. Its reply tuple
 * is the reserved one; storing it would take the reply half from the connection being opened
 * (which then gets the other's replies, or none). It is refused as a clash instead.
 */
DP_CASE(nat_own_connection_during_open)
{
	const struct flow f = {4, IPPROTO_UDP, CLIENT1, SERVER, 40002, 53};
	const struct flow x = dpn_flow_src(&f, PUBLIC_IP, 40002); /* what the server sees */
	struct tcfw_tuple orig, reply, back, key;
	struct tcfw_ct_entry e, own;
	struct pkt in, out;

	if (dpn_setup(t, masq_policy))
		return;
	dp_tuple(&orig, &f, TCFW_DIR_ORIG);
	tcfw_ct_key(&key, &orig);
	dp_tuple(&reply, &x, TCFW_DIR_REPLY);

	pkt_flow(&in, &f, TCFW_DIR_ORIG, 0);
	DP_EXPECT_EQ(t, "query", "verdict", dpn_run(t, "query", DP_INGRESS_LAN, &in, &out), TC_OK);
	if (!dpn_conn(t, "query", &f, &e))
		return;
	expect_reply_tuple(t, "query", &e, &x);

	/* The port reserved, the entry not stored yet: the gateway sends from that port. */
	dp_ct_delete(t, &orig);
	pkt_flow(&in, &x, TCFW_DIR_ORIG, 0);
	DP_EXPECT_EQ(t, "gateway's own datagram", "verdict",
	             dpn_run(t, "gateway's own datagram", DP_EGRESS_LOCAL_WAN, &in, &out), TC_SHOT);
	dp_expect_stat(t, "gateway's own datagram", TCFW_STAT_CT_INSERT_FAILED, 1);
	DP_EXPECT_TRUE(t, "gateway's own datagram", "no connection of the gateway stored",
	               !dp_conn(t, &x, &own));
	DP_EXPECT_TRUE(t, "gateway's own datagram",
	               "the reserved reference still names the client's connection",
	               dp_ct_ref(t, &reply, &back) && !memcmp(&back, &key, sizeof(key)));

	/* The creating CPU stores the entry: the server's answer belongs to the client's. */
	if (dp_ct_insert(t, &orig, &e)) {
		dp_fail(t, "entry stored", "cannot write map ct");
		return;
	}
	pkt_flow(&in, &x, TCFW_DIR_REPLY, 0);
	DP_EXPECT_EQ(t, "answer", "verdict", dpn_run(t, "answer", DP_INGRESS_WAN, &in, &out),
	             TC_OK);
	if (dpn_conn(t, "answer", &f, &e))
		DP_EXPECT_EQ(t, "answer", "state", e.state, TCFW_CT_UDP_REPLIED);
}
