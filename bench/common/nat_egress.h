/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * nat_egress.h - a second copy of the datapath's programs, sharing every map of a running fwd,
 * in which the egress program finds its NAT work by lookups.
 *
 * Why: in real traffic the ingress program leaves the egress program a hint in the skb
 * (skb->tc_classid at ingress becomes skb->tc_index at egress, bpf/lib/nat.h), and
 * BPF_PROG_TEST_RUN cannot set skb->tc_index. So fwd's own egress program, run on its own, sees
 * no hint and translates nothing. The datapath offers a load-time switch for exactly this
 * (nat_egress_ignore_hint, which tests/datapath uses too): egress then looks the connection up
 * as if every hint bit were set. This copy is loaded with that switch and with fwd's pinned
 * maps (bpf_map__reuse_fd), so it translates with the connections, policy and masquerade
 * address that fwd and the ingress program put there. Its figures include those lookups, so
 * they are an upper bound for a hinted packet.
 */
#ifndef BENCH_NAT_EGRESS_H
#define BENCH_NAT_EGRESS_H

struct tcfw; /* the skeleton (build/gen/tcfw.skel.h) */

/* Load the copy. fd of its egress program (owned by *skel), or -1 with a message on stderr. */
int bench_nat_egress_open(const char *pin_dir, struct tcfw **skel);
void bench_nat_egress_close(struct tcfw *skel);

#endif /* BENCH_NAT_EGRESS_H */
