// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * dp_nat_icmp.c - ICMP errors about translated connections: the outer header and the quoted
 * packet both translated, every checksum (outer IPv4, ICMP, quoted IPv4, quoted transport)
 * compared with one computed from scratch. Errors from the server, from a router on the way,
 * from the client about a reply, from the gateway itself, and a redirect that is dropped.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "dp_nat.h"

#define ROUTER "198.51.100.254" /* a router on the WAN side */

#define ICMP_UNREACH      3
#define ICMP_REDIR        5
#define ICMP_TIME_EXCEED  11
#define CODE_PORT_UNREACH 3
#define CODE_FRAG_NEEDED  4

static const char masq_policy[] = DPN_ZONES "nat masquerade out wan from 192.0.2.0/24\n";
static const char forward_policy[] =
    DPN_ZONES "nat masquerade out wan from 192.0.2.0/24\n"
	      "nat dnat in wan proto tcp dport 8080 -> 192.0.2.20:80\n"
	      "nat dnat in wan proto udp dport 5353 -> 192.0.2.20:53\n";

/* An ICMP error from `from` to `to` quoting flow q's packet in direction dir; quote bytes of
 * it (0: all). */
static void error_about(struct pkt *p, const char *from, const char *to, uint8_t type, uint8_t code,
                        const struct flow *q, int dir, uint8_t tcp_flags, size_t quote)
{
	struct pkt inner;

	pkt_flow_ip(&inner, q, dir, tcp_flags);
	pkt_icmp_error(p, 4, from, to, type, code, &inner, quote ? quote : inner.len);
}

/* Open a masqueraded UDP flow f (request and response), so errors have a connection. */
static void open_udp(struct dp *t, const struct flow *f, const struct flow *x)
{
	struct pkt in;

	pkt_flow(&in, f, TCFW_DIR_ORIG, 0);
	dpn_expect(t, "UDP request at lan0 ingress", DP_INGRESS_LAN, &in, TC_OK, NULL);
	pkt_flow(&in, x, TCFW_DIR_REPLY, 0);
	dp_send(t, "UDP response at wan0 ingress", DP_INGRESS_WAN, &in, TC_OK);
}

/* The server's port unreachable for a masqueraded datagram: to the client, quoting what the
 * client sent. The whole quote, so the quoted UDP checksum is there and must be fixed too. */
DP_CASE(nat_icmp_error_from_server)
{
	const struct flow f = {4, IPPROTO_UDP, CLIENT1, SERVER, 5353, 53};
	const struct flow x = dpn_flow_src(&f, PUBLIC_IP, 5353);
	struct pkt in, want;

	if (dpn_setup(t, masq_policy))
		return;
	open_udp(t, &f, &x);
	error_about(&in, SERVER, PUBLIC_IP, ICMP_UNREACH, CODE_PORT_UNREACH, &x, TCFW_DIR_ORIG, 0,
	            0);
	error_about(&want, SERVER, CLIENT1, ICMP_UNREACH, CODE_PORT_UNREACH, &f, TCFW_DIR_ORIG, 0,
	            0);
	dpn_expect(t, "port unreachable at wan0 ingress: to the client, quoting its own datagram",
	           DP_INGRESS_WAN, &in, TC_OK, &want);
	dpn_expect(t, "port unreachable at lan0 egress: untouched (the server's address is real)",
	           DP_EGRESS_FWD_LAN, &want, TC_OK, NULL);
	dp_expect_stat(t, "counters", TCFW_STAT_CT_RELATED, 1);
}

/* Errors from a router beyond the gateway about a masqueraded TCP connection: time exceeded
 * with the minimal quote (IP header + 8 bytes: no TCP checksum in it), and fragmentation
 * needed with the whole TCP header (its checksum fixed too). The router keeps its address. */
DP_CASE(nat_icmp_error_from_router)
{
	const struct flow f = {4, IPPROTO_TCP, CLIENT1, SERVER, 40000, 80};
	const struct flow x = dpn_flow_src(&f, PUBLIC_IP, 40000);
	struct pkt in, want;

	if (dpn_setup(t, masq_policy))
		return;
	pkt_flow(&in, &f, TCFW_DIR_ORIG, F_SYN);
	dpn_expect(t, "SYN at lan0 ingress", DP_INGRESS_LAN, &in, TC_OK, NULL);

	error_about(&in, ROUTER, PUBLIC_IP, ICMP_TIME_EXCEED, 0, &x, TCFW_DIR_ORIG, F_SYN, 28);
	error_about(&want, ROUTER, CLIENT1, ICMP_TIME_EXCEED, 0, &f, TCFW_DIR_ORIG, F_SYN, 28);
	dpn_expect(t, "time exceeded (28-byte quote) at wan0 ingress", DP_INGRESS_WAN, &in, TC_OK,
	           &want);
	dpn_expect(t, "time exceeded at lan0 egress: the router's address stays", DP_EGRESS_FWD_LAN,
	           &want, TC_OK, NULL);

	error_about(&in, ROUTER, PUBLIC_IP, ICMP_UNREACH, CODE_FRAG_NEEDED, &x, TCFW_DIR_ORIG,
	            F_SYN, 0);
	error_about(&want, ROUTER, CLIENT1, ICMP_UNREACH, CODE_FRAG_NEEDED, &f, TCFW_DIR_ORIG,
	            F_SYN, 0);
	dpn_expect(t, "fragmentation needed (whole TCP header quoted) at wan0 ingress",
	           DP_INGRESS_WAN, &in, TC_OK, &want);
}

/* An error about an echo request whose id masquerade changed: the quoted id goes back to
 * the client's, with the quoted ICMP checksum. */
DP_CASE(nat_icmp_error_about_echo)
{
	const struct flow f1 = {4, IPPROTO_ICMP, CLIENT1, SERVER, 77, 0};
	const struct flow f2 = {4, IPPROTO_ICMP, CLIENT2, SERVER, 77, 0};
	struct tcfw_ct_entry e;
	struct pkt in, want;
	struct flow x2;

	if (dpn_setup(t, masq_policy))
		return;
	pkt_flow(&in, &f1, TCFW_DIR_ORIG, 0);
	dpn_expect(t, "client 1 echo request", DP_INGRESS_LAN, &in, TC_OK, NULL);
	pkt_flow(&in, &f2, TCFW_DIR_ORIG, 0);
	dpn_expect(t, "client 2 echo request (same id)", DP_INGRESS_LAN, &in, TC_OK, NULL);
	if (!dpn_conn(t, "client 2 connection", &f2, &e))
		return;
	x2 = dpn_flow_src(&f2, PUBLIC_IP, dpn_snat_port(&e));
	error_about(&in, ROUTER, PUBLIC_IP, ICMP_TIME_EXCEED, 0, &x2, TCFW_DIR_ORIG, 0, 0);
	error_about(&want, ROUTER, CLIENT2, ICMP_TIME_EXCEED, 0, &f2, TCFW_DIR_ORIG, 0, 0);
	dpn_expect(t, "time exceeded about client 2's echo at wan0 ingress: to client 2, id 77",
	           DP_INGRESS_WAN, &in, TC_OK, &want);
}

/* The client refuses a reply (port unreachable about the server's datagram): the error goes
 * to the server quoting what the server sent, and leaves from the public address (a source
 * rewrite: at egress). */
DP_CASE(nat_icmp_error_from_client)
{
	const struct flow f = {4, IPPROTO_UDP, CLIENT1, SERVER, 5353, 53};
	const struct flow x = dpn_flow_src(&f, PUBLIC_IP, 5353);
	struct pkt in, mid, want;

	if (dpn_setup(t, masq_policy))
		return;
	open_udp(t, &f, &x);
	error_about(&in, CLIENT1, SERVER, ICMP_UNREACH, CODE_PORT_UNREACH, &f, TCFW_DIR_REPLY, 0,
	            0);
	/* After ingress: the quote as the server sent it; the source still the client's. */
	error_about(&mid, CLIENT1, SERVER, ICMP_UNREACH, CODE_PORT_UNREACH, &x, TCFW_DIR_REPLY, 0,
	            0);
	error_about(&want, PUBLIC_IP, SERVER, ICMP_UNREACH, CODE_PORT_UNREACH, &x, TCFW_DIR_REPLY,
	            0, 0);
	dpn_expect(t, "client's port unreachable at lan0 ingress: quote translated", DP_INGRESS_LAN,
	           &in, TC_OK, &mid);
	dpn_expect(t, "client's port unreachable at wan0 egress: from the public address",
	           DP_EGRESS_FWD_WAN, &mid, TC_OK, &want);
}

/* A port-forwarded LAN server refuses a datagram: the WAN client must see the error coming
 * from the public address, quoting the public address and port it used. */
DP_CASE(nat_icmp_error_port_forward)
{
	const struct flow u = {4, IPPROTO_UDP, SERVER, PUBLIC_IP, 6000, 5353};
	const struct flow ux = dpn_flow_dst(&u, LAN_SRV, 53);
	struct pkt in, mid, want;

	if (dpn_setup(t, forward_policy))
		return;
	pkt_flow(&in, &u, TCFW_DIR_ORIG, 0);
	dp_send(t, "UDP request at wan0 ingress", DP_INGRESS_WAN, &in, TC_OK);
	error_about(&in, LAN_SRV, SERVER, ICMP_UNREACH, CODE_PORT_UNREACH, &ux, TCFW_DIR_ORIG, 0,
	            0);
	error_about(&mid, LAN_SRV, SERVER, ICMP_UNREACH, CODE_PORT_UNREACH, &u, TCFW_DIR_ORIG, 0,
	            0);
	error_about(&want, PUBLIC_IP, SERVER, ICMP_UNREACH, CODE_PORT_UNREACH, &u, TCFW_DIR_ORIG, 0,
	            0);
	dpn_expect(t, "LAN server's port unreachable at lan0 ingress: quote as the client sent it",
	           DP_INGRESS_LAN, &in, TC_OK, &mid);
	dpn_expect(t, "LAN server's port unreachable at wan0 egress: from the public address",
	           DP_EGRESS_FWD_WAN, &mid, TC_OK, &want);
}

/* Errors the gateway sends itself, from its forwarding path, which runs after ingress
 * rewrote the destination: the quote is half translated. And the redirect it sends when
 * hairpin routes a packet back out of lan0, which is dropped. */
DP_CASE(nat_icmp_error_from_gateway)
{
	const struct flow f = {4, IPPROTO_TCP, SERVER, PUBLIC_IP, 5555, 8080};
	const struct flow mid = dpn_flow_dst(&f, LAN_SRV, 80);
	const struct flow h = {4, IPPROTO_TCP, CLIENT1, PUBLIC_IP, 40000, 8080};
	const struct flow hmid = dpn_flow_dst(&h, LAN_SRV, 80);
	struct pkt in, want;

	if (dpn_setup(t, forward_policy))
		return;
	pkt_flow(&in, &f, TCFW_DIR_ORIG, F_SYN);
	dp_send(t, "port-forwarded SYN at wan0 ingress", DP_INGRESS_WAN, &in, TC_OK);
	error_about(&in, PUBLIC_IP, SERVER, ICMP_UNREACH, CODE_FRAG_NEEDED, &mid, TCFW_DIR_ORIG,
	            F_SYN, 0);
	error_about(&want, PUBLIC_IP, SERVER, ICMP_UNREACH, CODE_FRAG_NEEDED, &f, TCFW_DIR_ORIG,
	            F_SYN, 0);
	dpn_expect(t,
	           "the gateway's fragmentation needed at wan0 egress: quote as the client sent it",
	           DP_EGRESS_LOCAL_WAN, &in, TC_OK, &want);

	pkt_flow(&in, &h, TCFW_DIR_ORIG, F_SYN);
	dp_send(t, "hairpin SYN at lan0 ingress", DP_INGRESS_LAN, &in, TC_OK);
	error_about(&in, LAN_GW, CLIENT1, ICMP_REDIR, 1, &hmid, TCFW_DIR_ORIG, F_SYN, 28);
	dpn_expect(t, "the gateway's redirect about the hairpin connection at lan0 egress: dropped",
	           DP_EGRESS_LOCAL_LAN, &in, TC_SHOT, NULL);
}
