/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * tcrun.h - running packets through TC programs with BPF_PROG_TEST_RUN and timing them: the
 * test kit's wrapper (tests/lib/tcrun.h: contexts, tcrun_test_run) with what the bench adds.
 *
 * The programs measured are the ones fwd attached (found on the interface's clsact hook at
 * fwd's handle and priority, docs/fwd.md), so they use fwd's maps and the policy fwd
 * installed. The baseline is an empty TC program, `r0 = TC_ACT_OK; exit`, run the same way.
 *
 * Two ways to time, both read the kernel's own measurement (opts.duration, ns per run of the
 * program, syscall overhead excluded):
 *  - loop: one call with repeat = R; the kernel runs the program R times on the same packet
 *    (same skb). Right for packets that change nothing (an established flow).
 *  - per call: repeat = 1, one call per packet, so each packet can differ (a new connection
 *    per call). Each figure then includes the kernel's timer reads around one run (tens of
 *    ns), which the empty program measured the same way shows.
 */
#ifndef BENCH_TCRUN_H
#define BENCH_TCRUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/bpf.h>

#include "../../tests/lib/tcrun.h"

#include "pkt.h"

/* fwd's programs on one interface hook. fd of the program, or -1 with a message on stderr
 * naming the interface and what to check. want_name: the program name to expect. */
int tcrun_find_fwd_prog(const char *ifname, bool ingress, const char *want_name);

/* Load `r0 = TC_ACT_OK; exit` as a SCHED_CLS program. fd, or -1 with a message. */
int tcrun_load_empty_prog(void);

/* The context of a packet: tcrun_ctx_ingress() / tcrun_ctx_egress(), the kit's. */

/* Run p through prog_fd `repeat` times. out (may be NULL): the packet as the program left it
 * (out_len in: its size; out: bytes written). 0, or -errno with a message naming `what`. */
int tcrun_run(int prog_fd, const struct bench_pkt *p, const struct __sk_buff *ctx, uint32_t repeat,
              struct tcrun_result *res, struct bench_pkt *out, const char *what);

/* ---- statistics of per-call samples ------------------------------------------------------- */
struct tcrun_summary {
	size_t n;
	double min, p50, p90, p99, max, mean;
};

/* Sorts v in place. */
void tcrun_summarize(double *v, size_t n, struct tcrun_summary *s);

#endif /* BENCH_TCRUN_H */
