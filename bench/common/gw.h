/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * gw.h - the gateway as the micro-benchmarks drive it: fwd's programs on lan (ingress) and
 * wan (ingress and egress), fwd's connection table, and connections opened through them with
 * crafted packets (SYN from the LAN, SYN-ACK from the WAN, ACK from the LAN), the way a real
 * client and server would open them through the gateway.
 *
 * A reply is built from the reply tuple the datapath stored in the connection (map "ct"), so
 * the same code is right with and without NAT: with masquerade, the SYN-ACK goes to the
 * translated address and port, as the server would send it.
 */
#ifndef BENCH_GW_H
#define BENCH_GW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tcfw_abi.h"

#include "pkt.h"
#include "tcrun.h"

struct bench_gw {
	int lan_ifindex, wan_ifindex;
	int ingress_lan_fd; /* tcfw_ingress on the LAN interface */
	int ingress_wan_fd; /* tcfw_ingress on the WAN interface */
	int egress_wan_fd;  /* tcfw_egress on the WAN interface */
	int ct_fd;          /* pinned map "ct" */
};

/* Find fwd's programs on lan/wan and open pin_dir/ct. 0, or -1 with a message. */
int bench_gw_open(struct bench_gw *gw, const char *lan, const char *wan, const char *pin_dir);
void bench_gw_close(struct bench_gw *gw);

/* The original-direction tuple of a flow, as the datapath keys map "ct". */
void bench_flow_tuple(const struct bench_flow4 *f, struct tcfw_tuple *t);

/* The connection f opened (its orig tuple is f). true when present. */
bool bench_ct_lookup(const struct bench_gw *gw, const struct bench_flow4 *f,
                     struct tcfw_ct_entry *e);

/* The reply direction of a stored connection, as a packet arriving on the WAN carries it. */
struct bench_flow4 bench_reply_flow(const struct tcfw_ct_entry *e);

/* Send one packet of f (TCP flags, payload) into a program. retval, or -1 on a failed run. */
int bench_send(int prog_fd, const struct bench_flow4 *f, uint8_t tcp_flags, int in_ifindex,
               const char *what);

/* Open TCP connection f through the gateway: SYN (LAN), SYN-ACK (WAN), ACK (LAN). 0 when
 * the connection ends ESTABLISHED; -1 with what went wrong in why (callers decide whether to
 * print it: the fill of a million connections must not print a million lines). */
int bench_tcp_open(const struct bench_gw *gw, const struct bench_flow4 *f, char *why, size_t len);

#endif /* BENCH_GW_H */
