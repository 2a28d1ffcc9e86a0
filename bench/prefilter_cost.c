// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * prefilter_cost.c - what one flood packet costs the XDP pre-filter and what it costs the TC
 * program, with BPF_PROG_TEST_RUN on the programs a running fwd attached to the WAN interface
 * (its zone must have 'prefilter wan { drop from @SET; drop untracked }').
 *
 *   prefilter_cost WAN-IFNAME BLOCKED-ADDR UNKNOWN-ADDR DEST-ADDR [REPEAT]
 *
 * Run in the gateway's namespace. Two packets from the WAN: a SYN from BLOCKED-ADDR (in the
 * set) and an ACK of no connection from UNKNOWN-ADDR, both to DEST-ADDR port 8000. Each is run
 * REPEAT times (default 1,000,000) in a kernel loop through tcfw_xdp_prefilter and through
 * tcfw_ingress (the policy drops both there as well: a rule 'forward drop from @SET', and the
 * invalid default), and the kernel's ns per run is printed with the verdict. Loops change no
 * state: a dropped packet creates no connection, only counters move.
 *
 * What this leaves out is what the pre-filter saves besides its own run: the socket buffer the
 * kernel builds for every packet that reaches TC (allocation, GRO, the receive path up to
 * tc ingress). The test_run of a TC program reuses one skb; the flood comparison in
 * tests/e2e/test_xdp_prefilter.sh (softirq time per million packets) shows the whole cost.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_link.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "common/pkt.h"
#include "common/tcrun.h"

/* fwd's XDP program on ifname: fd, or -1 with a message. */
static int find_xdp_prog(const char *ifname)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	int ifindex = (int)if_nametoindex(ifname), fd;

	if (!ifindex || bpf_xdp_query(ifindex, 0, &q) || !q.prog_id) {
		fprintf(stderr,
		        "%s: no XDP program (is fwd running here, with 'prefilter' on the zone of "
		        "%s?)\n",
		        ifname, ifname);
		return -1;
	}
	fd = bpf_prog_get_fd_by_id(q.prog_id);
	if (fd < 0)
		fprintf(stderr, "%s: cannot open XDP program id %u: %s\n", ifname, q.prog_id,
		        strerror(errno));
	return fd;
}

static int run_xdp(int fd, const struct bench_pkt *p, int ifindex, uint32_t repeat,
                   struct tcrun_result *res)
{
	struct xdp_md ctx = {.data_end = (uint32_t)p->len, .ingress_ifindex = (uint32_t)ifindex};
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = p->b, .data_size_in = (uint32_t)p->len,
	            .ctx_in = &ctx, .ctx_size_in = sizeof(ctx), .repeat = repeat);

	if (bpf_prog_test_run_opts(fd, &opts)) {
		fprintf(stderr, "XDP test run: %s\n", strerror(errno));
		return -1;
	}
	res->retval = opts.retval;
	res->duration = opts.duration;
	return 0;
}

int main(int argc, char **argv)
{
	const char *verdict_xdp[] = {"aborted", "DROP", "PASS", "TX", "REDIRECT"};
	struct bench_flow4 syn, ack;
	struct bench_pkt p_syn, p_ack;
	uint32_t repeat = 1000000;
	int ifindex, xdp_fd, tc_fd;

	if (argc < 5) {
		fprintf(stderr,
		        "usage: %s WAN-IFNAME BLOCKED-ADDR UNKNOWN-ADDR DEST-ADDR [REPEAT]\n",
		        argv[0]);
		return 2;
	}
	if (argc > 5)
		repeat = (uint32_t)strtoul(argv[5], NULL, 10);
	ifindex = (int)if_nametoindex(argv[1]);
	xdp_fd = find_xdp_prog(argv[1]);
	tc_fd = tcrun_find_fwd_prog(argv[1], true, "tcfw_ingress");
	if (!ifindex || xdp_fd < 0 || tc_fd < 0)
		return 1;
	syn = (struct bench_flow4){bench_ip4(argv[2]), bench_ip4(argv[4]), htons(40000),
	                           htons(8000), IPPROTO_TCP};
	ack = (struct bench_flow4){bench_ip4(argv[3]), bench_ip4(argv[4]), htons(40001),
	                           htons(8000), IPPROTO_TCP};
	bench_pkt_build(&p_syn, &syn, BENCH_TCP_SYN, 0);
	bench_pkt_build(&p_ack, &ack, BENCH_TCP_ACK, 0);

	const struct {
		const char *what;
		const struct bench_pkt *p;
	} cases[] = {{"SYN from a blocked source", &p_syn}, {"ACK of no connection", &p_ack}};
	for (size_t i = 0; i < 2; i++) {
		struct tcrun_result x, t;
		struct __sk_buff ctx;

		tcrun_ctx_ingress(&ctx, ifindex);
		if (run_xdp(xdp_fd, cases[i].p, ifindex, repeat, &x) ||
		    tcrun_run(tc_fd, cases[i].p, &ctx, repeat, &t, NULL, cases[i].what))
			return 1;
		printf("%-26s XDP %4u ns/pkt (XDP_%s) | TC %4u ns/pkt (%s) | %u runs each\n",
		       cases[i].what, x.duration, x.retval < 5 ? verdict_xdp[x.retval] : "?",
		       t.duration,
		       t.retval == TC_ACT_SHOT ? "TC_ACT_SHOT"
		       : t.retval == TC_ACT_OK ? "TC_ACT_OK"
		                               : "?",
		       repeat);
	}
	close(xdp_fd);
	close(tc_fd);
	return 0;
}
