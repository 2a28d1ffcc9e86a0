// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * dp_concurrency.c - two threads pinned to CPU 0 and CPU 1 run packets of the same
 * connection through the datapath at the same time (bpf_prog_test_run_opts with repeat):
 * counters must add up exactly, and a connection opened from both CPUs at once must exist
 * once.
 */
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "dp.h"

#define ORIG  TCFW_DIR_ORIG
#define REPLY TCFW_DIR_REPLY

struct hammer {
	struct dp *t;
	pthread_barrier_t *start;
	int cpu;
	enum dp_hook hook;
	const struct flow *flows; /* one per round */
	int dir;
	uint8_t tcp_flags;
	int rounds;
	uint32_t repeat;
	int err;             /* errno of the first failure, 0 if none */
	const char *what;    /* what failed */
	uint32_t bad_retval; /* a TC action other than TC_ACT_OK */
};

static void *hammer_run(void *arg)
{
	struct hammer *h = arg;
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(h->cpu, &set);
	if (pthread_setaffinity_np(pthread_self(), sizeof(set), &set)) {
		h->err = EINVAL, h->what = "pin the thread to its CPU";
		/* Still take part in the barriers, or the other thread waits forever. */
	}
	for (int r = 0; r < h->rounds; r++) {
		struct __sk_buff ctx;
		struct pkt p;
		LIBBPF_OPTS(bpf_test_run_opts, opts, .ctx_in = &ctx, .ctx_size_in = sizeof(ctx),
		            .repeat = h->repeat);

		pkt_flow(&p, &h->flows[r], h->dir, h->tcp_flags);
		opts.data_in = p.b;
		opts.data_size_in = (uint32_t)p.len;
		dp_ctx(h->t, h->hook, &ctx);
		pthread_barrier_wait(h->start);
		if (h->err)
			continue;
		if (bpf_prog_test_run_opts(dp_prog_fd(h->t, h->hook), &opts)) {
			h->err = errno, h->what = "bpf_prog_test_run_opts";
		} else if (opts.retval != TC_OK) {
			h->err = EPROTO, h->what = "verdict";
			h->bad_retval = opts.retval;
		}
	}
	return NULL;
}

/* Run two hammers, on CPU 0 and CPU 1, at the same time. False (and a failure) on error. */
static bool hammer_both(struct dp *t, const char *step, struct hammer *a, struct hammer *b)
{
	pthread_barrier_t start;
	pthread_t ta, tb;
	bool ok = true;

	if (sysconf(_SC_NPROCESSORS_ONLN) < 2) {
		dp_fail(t, step, "needs 2 online CPUs, this machine has %ld",
		        sysconf(_SC_NPROCESSORS_ONLN));
		return false;
	}
	pthread_barrier_init(&start, NULL, 2);
	a->t = b->t = t;
	a->start = b->start = &start;
	a->cpu = 0;
	b->cpu = 1;
	if (pthread_create(&ta, NULL, hammer_run, a)) {
		dp_fail(t, step, "pthread_create failed");
		pthread_barrier_destroy(&start);
		return false;
	}
	if (pthread_create(&tb, NULL, hammer_run, b)) {
		/* a waits at the barrier for a partner: give it one. */
		b->err = EAGAIN, b->what = "pthread_create";
		for (int r = 0; r < a->rounds; r++)
			pthread_barrier_wait(&start);
	} else {
		pthread_join(tb, NULL);
	}
	pthread_join(ta, NULL);
	pthread_barrier_destroy(&start);
	for (struct hammer *h = a; h; h = h == a ? b : NULL) {
		if (h->err) {
			dp_fail(t, step, "thread on CPU %d: %s: %s (TC action %u)", h->cpu, h->what,
			        strerror(h->err), h->bad_retval);
			ok = false;
		}
	}
	return ok;
}

#define REPEAT 100000

DP_CASE(concurrent_counters)
{
	static const struct flow web = {4, IPPROTO_TCP, "192.0.2.10", "198.51.100.20", 40000, 80};
	struct hammer a = {.hook = DP_INGRESS_LAN,
	                   .flows = &web,
	                   .dir = ORIG,
	                   .tcp_flags = F_PSH | F_ACK,
	                   .rounds = 1,
	                   .repeat = REPEAT};
	struct hammer b = a;
	struct tcfw_ct_entry e;

	dp_flow(t, "SYN", DP_INGRESS_LAN, &web, ORIG, F_SYN, TC_OK);
	dp_flow(t, "SYN-ACK", DP_INGRESS_WAN, &web, REPLY, F_SYN | F_ACK, TC_OK);
	dp_flow(t, "ACK", DP_INGRESS_LAN, &web, ORIG, F_ACK, TC_OK);

	/* Both CPUs on the same counter. */
	if (!hammer_both(t, "same direction", &a, &b))
		return;
	dp_expect_conn(t, "same direction", &web, TCFW_CT_TCP_ESTABLISHED, TCFW_CTF_ASSURED, &e);
	DP_EXPECT_EQ(t, "same direction", "orig packets", e.ctr[ORIG].packets, 2 + 2 * REPEAT);
	DP_EXPECT_EQ(t, "same direction", "orig bytes", e.ctr[ORIG].bytes, 40 * (2 + 2 * REPEAT));

	/* One CPU per direction. */
	b.hook = DP_INGRESS_WAN;
	b.dir = REPLY;
	if (!hammer_both(t, "both directions", &a, &b))
		return;
	dp_expect_conn(t, "both directions", &web, TCFW_CT_TCP_ESTABLISHED, TCFW_CTF_ASSURED, &e);
	DP_EXPECT_EQ(t, "both directions", "orig packets", e.ctr[ORIG].packets, 2 + 3 * REPEAT);
	DP_EXPECT_EQ(t, "both directions", "reply packets", e.ctr[REPLY].packets, 1 + REPEAT);
	DP_EXPECT_EQ(t, "both directions", "reply bytes", e.ctr[REPLY].bytes, 40 * (1 + REPEAT));
	dp_expect_stat(t, "end", TCFW_STAT_PACKETS, 3 + 4 * REPEAT);
	dp_expect_stat(t, "end", TCFW_STAT_CT_ESTABLISHED, 2 + 4 * REPEAT);
	dp_expect_stat(t, "end", TCFW_STAT_CT_INVALID, 0);
}

#define OPEN_ROUNDS 200
#define OPEN_REPEAT 200

DP_CASE(concurrent_open)
{
	static struct flow flows[OPEN_ROUNDS];
	struct hammer a = {.hook = DP_INGRESS_LAN,
	                   .flows = flows,
	                   .dir = ORIG,
	                   .rounds = OPEN_ROUNDS,
	                   .repeat = OPEN_REPEAT};
	struct hammer b = a;
	unsigned int wrong = 0;

	/* Every round a new UDP flow, its first packet sent from both CPUs at once. */
	for (int r = 0; r < OPEN_ROUNDS; r++)
		flows[r] = (struct flow){
		    4, IPPROTO_UDP, "192.0.2.10", "198.51.100.20", (uint16_t)(20000 + r), 53};
	if (!hammer_both(t, "open from two CPUs", &a, &b))
		return;
	for (int r = 0; r < OPEN_ROUNDS; r++) {
		struct tcfw_ct_entry e;

		if (!dp_conn(t, &flows[r], &e) || e.ctr[ORIG].packets != 2 * OPEN_REPEAT) {
			if (!wrong++)
				dp_fail(t, "open from two CPUs",
				        "flow from port %u: orig packets: expected %u, got %llu",
				        flows[r].sport, 2 * OPEN_REPEAT,
				        dp_conn(t, &flows[r], &e)
				            ? (unsigned long long)e.ctr[ORIG].packets
				            : 0ULL);
		}
	}
	DP_EXPECT_EQ(t, "open from two CPUs", "flows with wrong counters", wrong, 0);
	DP_EXPECT_EQ(t, "open from two CPUs", "entries in ct", dp_count_ct(t), OPEN_ROUNDS);
	DP_EXPECT_EQ(t, "open from two CPUs", "reference entries (none without NAT)",
	             dp_count_ct_refs(t), 0);
	dp_expect_stat(t, "open from two CPUs", TCFW_STAT_CT_NEW, OPEN_ROUNDS);
	dp_expect_stat(t, "open from two CPUs", TCFW_STAT_VERDICT_ACCEPT, OPEN_ROUNDS);
	dp_expect_stat(t, "open from two CPUs", TCFW_STAT_CT_ESTABLISHED,
	               OPEN_ROUNDS * (2 * OPEN_REPEAT - 1));
	dp_expect_stat(t, "open from two CPUs", TCFW_STAT_CT_INSERT_FAILED, 0);
}
