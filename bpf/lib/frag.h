/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * frag.h - IP fragments and their ports (map "frag", see maps.h for why it exists).
 *
 * Offers frag_remember() for an accepted first fragment and frag_recall() for a later one,
 * which fills in the ports the later fragment does not carry; frag_remember_as() for NAT.
 */
#ifndef TCFW_BPF_FRAG_H
#define TCFW_BPF_FRAG_H

#include "lib/kernel.h"
#include "lib/maps.h"
#include "lib/parse.h"

static __always_inline void frag_key_of(struct frag_key *k, const struct tcfw_pkt *pkt)
{
	__builtin_memcpy(k->src, pkt->tuple.src, sizeof(k->src));
	__builtin_memcpy(k->dst, pkt->tuple.dst, sizeof(k->dst));
	k->id = pkt->frag_id;
	k->proto = pkt->tuple.proto;
	k->pad[0] = 0;
	k->pad[1] = 0;
	k->pad[2] = 0;
}

static __always_inline void frag_remember(const struct tcfw_pkt *pkt)
{
	struct frag_key k;
	struct frag_ports p = {.sport = pkt->tuple.sport, .dport = pkt->tuple.dport};

	frag_key_of(&k, pkt);
	bpf_map_update_elem(&frag, &k, &p, BPF_ANY);
}

/* True when the first fragment was seen: pkt's ports are filled in. */
static __always_inline bool frag_recall(struct tcfw_pkt *pkt)
{
	struct frag_key k;
	struct frag_ports *p;

	frag_key_of(&k, pkt);
	p = bpf_map_lookup_elem(&frag, &k);
	if (!p)
		return false;
	pkt->tuple.sport = p->sport;
	pkt->tuple.dport = p->dport;
	return true;
}

/* NAT: remember a first fragment's ports under the destination dst:dport that ingress gave it
 * (DNAT, or a reply's destination back to the client): egress, which sees the later fragments
 * with that destination, finds their connection with them. */
static __always_inline void frag_remember_as(const struct tcfw_pkt *pkt, __be32 dst, __be16 dport)
{
	struct frag_key k;
	struct frag_ports p = {.sport = pkt->tuple.sport, .dport = dport};

	frag_key_of(&k, pkt);
	k.dst[3] = dst;
	bpf_map_update_elem(&frag, &k, &p, BPF_ANY);
}

#endif /* TCFW_BPF_FRAG_H */
