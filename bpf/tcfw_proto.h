/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * tcfw_proto.h - the transport protocols tcfw knows by number, and what a connection tuple
 * holds for each. The one definition of these facts for the datapath (bpf/), the libraries,
 * fwd, fwctl and the policy compiler; the protocol names are in lib/names.c.
 *
 * No kernel types and no vmlinux.h, so it compiles with clang -target bpf and with gcc alike.
 */
#ifndef TCFW_PROTO_H
#define TCFW_PROTO_H

#ifndef __bpf__
#include <stdbool.h>
#include <stdint.h>
#endif

/* IANA protocol numbers (the IPv4 protocol / IPv6 next-header field). */
#define TCFW_PROTO_ICMP   1
#define TCFW_PROTO_TCP    6
#define TCFW_PROTO_UDP    17
#define TCFW_PROTO_ICMPV6 58

/*
 * tcfw_proto_has_ports() - the tuple's sport/dport hold transport ports. parse_l4() reads
 * ports for TCP and UDP only; any other protocol is tracked by its addresses and its tuple
 * holds zero ports (SCTP, DCCP, GRE, ...), so nothing may print or match them as ports.
 */
static inline bool tcfw_proto_has_ports(unsigned int proto)
{
	return proto == TCFW_PROTO_TCP || proto == TCFW_PROTO_UDP;
}

/*
 * tcfw_proto_is_icmp() - ICMP or ICMPv6: the tuple holds an echo id in place of ports (sport
 * for a request, dport for a reply; see struct tcfw_tuple), or nothing for other types.
 */
static inline bool tcfw_proto_is_icmp(unsigned int proto)
{
	return proto == TCFW_PROTO_ICMP || proto == TCFW_PROTO_ICMPV6;
}

/*
 * tcfw_proto_nat_rewrites_ids() - NAT can give a connection of this protocol a new port (TCP,
 * UDP) or echo id (ICMP): the tuple has something to translate besides the addresses.
 */
static inline bool tcfw_proto_nat_rewrites_ids(unsigned int proto)
{
	return tcfw_proto_has_ports(proto) || tcfw_proto_is_icmp(proto);
}

#endif
