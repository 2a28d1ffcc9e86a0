/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * fwdclient.h - what the benchmarks ask a running fwd: install a policy text (the control
 * command policy-load, the path `fwctl policy load` takes, so the policy goes into the maps
 * exactly as fwd installs every policy), and the policy library's own view of that text.
 */
#ifndef BENCH_FWDCLIENT_H
#define BENCH_FWDCLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "tcfw_abi.h"

/* Read a whole file into a malloc'd, NUL-terminated buffer. NULL with a message on stderr. */
char *bench_read_file(const char *path, size_t *len);
/* Write a benchmark's results, root pretty-printed, to path (NULL: stdout). 0, or -1 with a
 * message on stderr that names prog. */
struct json_object;
int bench_write_json(const char *prog, const char *path, struct json_object *root);

/* What the policy library makes of a policy text, before fwd sees it. */
struct bench_policy_info {
	size_t rules;                       /* every rule (filter and NAT) */
	size_t chain_rules[TCFW_CHAIN_MAX]; /* compiled rules per chain */
	size_t classes, src_prefixes, dst_prefixes;
	uint32_t last_forward_rule_id; /* id of the forward chain's last rule (0: none) */
	double parse_ms, compile_ms;
};

/* Parse and compile text with the policy library (copy 0). 0, or -1 with the diagnostics on
 * stderr. */
int bench_policy_inspect(const char *name, const char *text, size_t len,
                         struct bench_policy_info *info);

/* Send policy-load to the fwd at socket_path and wait for its answer. 0 with *ms the round
 * trip (compile + map writes + switch + grace period, all in fwd), or -1 with fwd's error on
 * stderr. */
int bench_fwd_policy_load(const char *socket_path, const char *name, const char *text, double *ms);

/* Send ct-flush to the fwd at socket_path: every connection (and NAT binding) deleted, so
 * that each measured policy starts from the same empty table. 0, or -1 with a message. */
int bench_fwd_ct_flush(const char *socket_path);

/* Milliseconds on CLOCK_MONOTONIC. */
double bench_now_ms(void);

#endif /* BENCH_FWDCLIENT_H */
