/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * tcrun.h - running a packet through a TC program with BPF_PROG_TEST_RUN (the test kit's
 * wrapper, tests/lib/tcrun.c): the datapath tests' dp_run() and the bench's timing both go
 * through tcrun_test_run().
 *
 * The __sk_buff context says where the packet is: ifindex is the interface whose hook runs,
 * ingress_ifindex the one it arrived on (0: sent by the host itself). A run's retval is a TC
 * action, linux/pkt_cls.h's TC_ACT_* (the datapath's own copy is bpf/lib/kernel.h's, for
 * vmlinux.h carries no macros).
 */
#ifndef TCFW_TESTS_TCRUN_H
#define TCFW_TESTS_TCRUN_H

#include <stdint.h>

#include <linux/bpf.h>
#include <linux/pkt_cls.h>

#include "pkt.h"

/* A packet arriving on in_ifindex (ingress). */
void tcrun_ctx_ingress(struct __sk_buff *ctx, int in_ifindex);
/* A packet leaving by out_ifindex after arriving on in_ifindex (egress of a forwarded packet;
 * in_ifindex 0: sent by the host). */
void tcrun_ctx_egress(struct __sk_buff *ctx, int out_ifindex, int in_ifindex);

struct tcrun_result {
	uint32_t retval;   /* TC action of the last run */
	uint32_t duration; /* ns per run, measured by the kernel (syscall overhead excluded) */
};

/* Run len bytes of data through prog_fd `repeat` times (the kernel runs the program repeat
 * times on the same skb; 0 counts as 1) with context ctx, which receives the context as the
 * program left it (mark, ...). out (may be NULL): the packet as the program left it. 0, or
 * -errno of BPF_PROG_TEST_RUN (errno set too); the caller says what failed, in its words. */
int tcrun_test_run(int prog_fd, const void *data, size_t len, struct __sk_buff *ctx,
                   uint32_t repeat, struct pkt *out, struct tcrun_result *res);

#endif /* TCFW_TESTS_TCRUN_H */
