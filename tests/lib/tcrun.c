// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * tcrun.c - BPF_PROG_TEST_RUN for TC programs (tcrun.h): the test kit's one wrapper.
 */
#include <errno.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "tcrun.h"

void tcrun_ctx_ingress(struct __sk_buff *ctx, int in_ifindex)
{
	memset(ctx, 0, sizeof(*ctx));
	ctx->ifindex = ctx->ingress_ifindex = (__u32)in_ifindex;
}

void tcrun_ctx_egress(struct __sk_buff *ctx, int out_ifindex, int in_ifindex)
{
	memset(ctx, 0, sizeof(*ctx));
	ctx->ifindex = (__u32)out_ifindex;
	ctx->ingress_ifindex = (__u32)in_ifindex;
}

int tcrun_test_run(int prog_fd, const void *data, size_t len, struct __sk_buff *ctx,
                   uint32_t repeat, struct pkt *out, struct tcrun_result *res)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = data, .data_size_in = (__u32)len,
	            .ctx_in = ctx, .ctx_size_in = sizeof(*ctx), .ctx_out = ctx,
	            .ctx_size_out = sizeof(*ctx), .repeat = repeat ? repeat : 1);

	if (out) {
		pkt_init(out);
		opts.data_out = out->b;
		opts.data_size_out = sizeof(out->b);
	}
	if (bpf_prog_test_run_opts(prog_fd, &opts))
		return -errno;
	if (out)
		out->len = opts.data_size_out;
	res->retval = opts.retval;
	res->duration = opts.duration;
	return 0;
}
