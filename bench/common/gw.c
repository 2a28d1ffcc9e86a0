// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * gw.c - fwd's programs and connection table, and TCP connections opened through them with
 * crafted packets (see gw.h).
 */
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "addr.h"
#include "ctmap.h"
#include "names.h"
#include "pins.h"

#include "gw.h"

int bench_gw_open(struct bench_gw *gw, const char *lan, const char *wan, const char *pin_dir)
{
	char err[512];

	memset(gw, 0, sizeof(*gw));
	gw->ingress_lan_fd = gw->ingress_wan_fd = gw->egress_wan_fd = gw->ct_fd = -1;
	gw->lan_ifindex = (int)if_nametoindex(lan);
	gw->wan_ifindex = (int)if_nametoindex(wan);
	gw->ingress_lan_fd = tcrun_find_fwd_prog(lan, true, "tcfw_ingress");
	gw->ingress_wan_fd = tcrun_find_fwd_prog(wan, true, "tcfw_ingress");
	gw->egress_wan_fd = tcrun_find_fwd_prog(wan, false, "tcfw_egress");
	if (gw->ingress_lan_fd < 0 || gw->ingress_wan_fd < 0 || gw->egress_wan_fd < 0)
		goto fail;
	gw->ct_fd = pins_open_map(pin_dir, TCFW_MAP_CT, err, sizeof(err));
	if (gw->ct_fd < 0) {
		fprintf(stderr, "bench: %s\n", err);
		goto fail;
	}
	return 0;
fail:
	bench_gw_close(gw);
	return -1;
}

void bench_gw_close(struct bench_gw *gw)
{
	int *fds[] = {&gw->ingress_lan_fd, &gw->ingress_wan_fd, &gw->egress_wan_fd, &gw->ct_fd};

	for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++) {
		if (*fds[i] >= 0)
			close(*fds[i]);
		*fds[i] = -1;
	}
}

void bench_flow_tuple(const struct bench_flow4 *f, struct tcfw_tuple *t)
{
	memset(t, 0, sizeof(*t));
	addr_from_v4(t->src, f->saddr);
	addr_from_v4(t->dst, f->daddr);
	t->sport = f->sport;
	t->dport = f->dport;
	t->proto = f->proto;
	t->family = TCFW_AF_INET;
}

bool bench_ct_lookup(const struct bench_gw *gw, const struct bench_flow4 *f,
                     struct tcfw_ct_entry *e)
{
	struct ctmap m = {.ct_fd = gw->ct_fd};
	struct tcfw_tuple orig, found;

	/* The connection whose orig tuple is f's (map ct is keyed by the normalized tuple). */
	bench_flow_tuple(f, &orig);
	return ctmap_lookup(&m, &orig, &found, e) == 0 && !memcmp(&found, &orig, sizeof(orig));
}

struct bench_flow4 bench_reply_flow(const struct tcfw_ct_entry *e)
{
	struct bench_flow4 r = {
	    .saddr = e->reply.src[3],
	    .daddr = e->reply.dst[3],
	    .sport = e->reply.sport,
	    .dport = e->reply.dport,
	    .proto = e->reply.proto,
	};
	return r;
}

int bench_send(int prog_fd, const struct bench_flow4 *f, uint8_t tcp_flags, int in_ifindex,
               const char *what)
{
	struct __sk_buff ctx;
	struct tcrun_result res;
	struct bench_pkt p;

	bench_pkt_build(&p, f, tcp_flags, 0);
	tcrun_ctx_ingress(&ctx, in_ifindex);
	if (tcrun_run(prog_fd, &p, &ctx, 1, &res, NULL, what))
		return -1;
	return (int)res.retval;
}

int bench_tcp_open(const struct bench_gw *gw, const struct bench_flow4 *f, char *why, size_t len)
{
	struct tcfw_ct_entry e;
	struct bench_flow4 reply;
	int rc;

	rc = bench_send(gw->ingress_lan_fd, f, BENCH_TCP_SYN, gw->lan_ifindex, "SYN (LAN ingress)");
	if (rc != TC_ACT_OK) {
		snprintf(why, len,
		         "the SYN opening the connection got TC action %d, expected TC_ACT_OK "
		         "(does the policy accept it?)",
		         rc);
		return -1;
	}
	if (!bench_ct_lookup(gw, f, &e)) {
		snprintf(why, len, "the accepted SYN left no connection in map ct");
		return -1;
	}
	reply = bench_reply_flow(&e);
	rc = bench_send(gw->ingress_wan_fd, &reply, BENCH_TCP_SYN | BENCH_TCP_ACK, gw->wan_ifindex,
	                "SYN-ACK (WAN ingress)");
	if (rc != TC_ACT_OK) {
		snprintf(why, len, "the SYN-ACK (WAN ingress) got TC action %d", rc);
		return -1;
	}
	rc = bench_send(gw->ingress_lan_fd, f, BENCH_TCP_ACK, gw->lan_ifindex, "ACK (LAN ingress)");
	if (rc != TC_ACT_OK) {
		snprintf(why, len, "the handshake's ACK (LAN ingress) got TC action %d", rc);
		return -1;
	}
	if (!bench_ct_lookup(gw, f, &e)) {
		snprintf(why, len, "after SYN, SYN-ACK, ACK the connection is gone from map ct");
		return -1;
	}
	if (e.state != TCFW_CT_TCP_ESTABLISHED) {
		snprintf(why, len,
		         "after SYN, SYN-ACK, ACK the connection is %s, expected ESTABLISHED",
		         ct_state_name(e.state));
		return -1;
	}
	return 0;
}
