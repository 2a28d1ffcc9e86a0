// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * tcrun.c - fwd's programs found on their hooks, an empty baseline program, timed
 * BPF_PROG_TEST_RUN calls and order statistics (see tcrun.h).
 */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "attached.h"

#include "tcrun.h"

int tcrun_find_fwd_prog(const char *ifname, bool ingress, const char *want_name)
{
	int ifindex = (int)if_nametoindex(ifname);
	struct bpf_prog_info info;
	__u32 info_len = sizeof(info), prog_id = 0;
	int err, fd;

	if (!ifindex) {
		fprintf(stderr,
		        "bench: no interface %s in this network namespace: %s (run inside the "
		        "gateway's namespace: nsenter --net=/run/netns/NAME)\n",
		        ifname, strerror(errno));
		return -1;
	}
	/* fwd's program on that hook, a tcx link's or a cls_bpf filter's (lib/attached.h). */
	err = attached_prog_id(ifindex, ingress, &prog_id);
	if (err || !prog_id) {
		fprintf(stderr,
		        "bench: no tcfw program on %s %s%s%s (is fwd running in this namespace "
		        "with %s in a zone?)\n",
		        ifname, ingress ? "ingress" : "egress", err ? ": " : "",
		        err ? strerror(-err) : "", ifname);
		return -1;
	}
	fd = bpf_prog_get_fd_by_id(prog_id);
	if (fd < 0) {
		fprintf(stderr, "bench: cannot open program id %u (on %s): %s\n", prog_id, ifname,
		        strerror(errno));
		return -1;
	}
	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(fd, &info, &info_len)) {
		fprintf(stderr, "bench: cannot read program id %u's info: %s\n", prog_id,
		        strerror(errno));
		close(fd);
		return -1;
	}
	if (want_name && strcmp(info.name, want_name)) {
		fprintf(stderr,
		        "bench: the program on %s %s is '%s', not %s (another tool's filter at "
		        "fwd's handle?)\n",
		        ifname, ingress ? "ingress" : "egress", info.name, want_name);
		close(fd);
		return -1;
	}
	return fd;
}

int tcrun_load_empty_prog(void)
{
	const struct bpf_insn insns[] = {
	    {.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = TC_ACT_OK},
	    {.code = BPF_JMP | BPF_EXIT},
	};
	int fd = bpf_prog_load(BPF_PROG_TYPE_SCHED_CLS, "bench_empty", "GPL", insns,
	                       sizeof(insns) / sizeof(insns[0]), NULL);

	if (fd < 0)
		fprintf(stderr, "bench: cannot load the empty baseline program: %s\n",
		        strerror(errno));
	return fd;
}

int tcrun_run(int prog_fd, const struct bench_pkt *p, const struct __sk_buff *ctx, uint32_t repeat,
              struct tcrun_result *res, struct bench_pkt *out, const char *what)
{
	struct __sk_buff ctx_copy = *ctx; /* the kernel writes the context back */
	struct pkt after;
	int err =
	    tcrun_test_run(prog_fd, p->b, p->len, &ctx_copy, repeat, out ? &after : NULL, res);

	if (err) {
		fprintf(stderr, "bench: %s: BPF_PROG_TEST_RUN failed: %s\n", what, strerror(-err));
		return err;
	}
	if (out) {
		if (after.len > sizeof(out->b)) {
			fprintf(stderr,
			        "bench: %s: the program left a packet of %zu bytes, more than "
			        "a bench packet holds (%zu)\n",
			        what, after.len, sizeof(out->b));
			return -EMSGSIZE;
		}
		memcpy(out->b, after.b, after.len);
		out->len = after.len;
	}
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Nearest-rank percentile of sorted v. */
static double pct(const double *v, size_t n, double q)
{
	size_t i = (size_t)(q * (double)(n - 1) + 0.5);

	return v[i < n ? i : n - 1];
}

void tcrun_summarize(double *v, size_t n, struct tcrun_summary *s)
{
	double sum = 0;

	memset(s, 0, sizeof(*s));
	s->n = n;
	if (!n)
		return;
	qsort(v, n, sizeof(*v), cmp_double);
	for (size_t i = 0; i < n; i++)
		sum += v[i];
	s->min = v[0];
	s->max = v[n - 1];
	s->p50 = pct(v, n, 0.50);
	s->p90 = pct(v, n, 0.90);
	s->p99 = pct(v, n, 0.99);
	s->mean = sum / (double)n;
}
