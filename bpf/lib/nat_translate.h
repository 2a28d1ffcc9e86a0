/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * nat_translate.h - the packets of a translated connection after its first: rewritten from the
 * connection's orig and reply tuples alone, destinations at ingress, sources at egress (see
 * nat.h), and found again at egress by the lookup the ingress hint names.
 *
 * Offers nat_translate() and nat_egress_find().
 */
#ifndef TCFW_BPF_NAT_TRANSLATE_H
#define TCFW_BPF_NAT_TRANSLATE_H

#include "lib/kernel.h"
#include "lib/conntrack.h"
#include "lib/frag.h"
#include "lib/maps.h"
#include "lib/nat.h"
#include "lib/nat_rewrite.h"
#include "lib/parse.h"

/* Direction and side of a translation in one argument (BPF functions take five at most). */
#define NAT_HOW(dir, side) ((__u32)(dir) | ((__u32)(side) << 1))

/**
 * nat_translate() - rewrite pkt (direction dir of the connection with orig tuple orig and
 * entry e; how = NAT_HOW(dir, side)) at ingress (NAT_SIDE_DST: destinations) or egress
 * (NAT_SIDE_SRC: sources), from the
 * connection's two tuples:
 *   orig  dir, ingress: DNAT    dst O.dst:O.dport -> R.src:R.sport
 *   reply dir, ingress: un-SNAT dst R.dst:R.dport -> O.src:O.sport
 *   orig  dir, egress:  SNAT    src O.src:O.sport -> R.dst:R.dport
 *   reply dir, egress:  un-DNAT src R.src:R.sport -> O.dst:O.dport
 * At ingress, returns the hint egress needs (0: none), or -1 when the rewrite failed (drop).
 * At egress, 0 or -1.
 *
 * A global BPF function, checked once for every caller.
 */
__noinline int nat_translate(struct __sk_buff *skb, const struct tcfw_pkt *pkt,
                             struct tcfw_ct_entry *e, const struct tcfw_tuple *orig, __u32 how)
{
	struct nat_rewrite rw = {};
	__u32 dir = how & 1, side = how >> 1, hint = 0;
	__u8 kind;

	if (!pkt || !e || !orig)
		return -1; /* calms the verifier: global function arguments may be NULL */
	kind = e->nat_kind;
	nat_rewrite_init(&rw, pkt, side == NAT_SIDE_SRC ? NAT_SIDE_SRC : NAT_SIDE_DST);

	if (rw.side == NAT_SIDE_DST) {
		if (dir == TCFW_DIR_ORIG) {
			if (kind & TCFW_NAT_SNAT)
				hint =
				    NAT_HINT_SNAT | ((kind & TCFW_NAT_DNAT) ? NAT_HINT_ALIAS : 0);
			if (!(kind & TCFW_NAT_DNAT))
				return hint;
			rw.to_addr = e->reply.src[3];
			rw.to_port = e->reply.sport;
		} else {
			if (kind & TCFW_NAT_DNAT)
				hint =
				    NAT_HINT_UNDNAT | ((kind & TCFW_NAT_SNAT) ? NAT_HINT_ALIAS : 0);
			if (!(kind & TCFW_NAT_SNAT))
				return hint;
			rw.to_addr = orig->src[3];
			rw.to_port = orig->sport;
		}
		rw.from_addr = pkt->tuple.dst[3];
		rw.from_port = pkt->tuple.dport;
	} else {
		if (dir == TCFW_DIR_ORIG) {
			if (!(kind & TCFW_NAT_SNAT))
				return 0;
			rw.to_addr = e->reply.dst[3];
			rw.to_port = e->reply.dport;
		} else {
			if (!(kind & TCFW_NAT_DNAT))
				return 0;
			rw.to_addr = orig->dst[3];
			rw.to_port = orig->dport;
		}
		rw.from_addr = pkt->tuple.src[3];
		rw.from_port = pkt->tuple.sport;
	}
	if (nat_rewrite(skb, &rw))
		return -1;
	if (hint && rw.side == NAT_SIDE_DST && pkt->frag == PKT_FRAG_FIRST)
		frag_remember_as(pkt, rw.to_addr, rw.to_port);
	return hint;
}

/**
 * nat_egress_find() - the connection of a forwarded packet with tuple t at egress, by what
 * hint names: its orig tuple (orig direction, untouched by ingress), its reply tuple (reply
 * direction, untouched by ingress): both one ct_entry_of(); or either direction half
 * translated ("nat_alias"). Fills s->orig and s->dir.
 */
static __always_inline struct tcfw_ct_entry *nat_egress_find(const struct tcfw_tuple *t, __u32 hint,
                                                             struct nat_scratch *s)
{
	struct tcfw_ct_entry *e;
	int form;

	if (hint & (NAT_HINT_SNAT | NAT_HINT_UNDNAT)) {
		e = ct_entry_of(t, &s->orig, &form);
		if (e && ((form == CT_FORM_ORIG && (hint & NAT_HINT_SNAT)) ||
		          (form == CT_FORM_REPLY && (hint & NAT_HINT_UNDNAT)))) {
			s->dir = form;
			return e;
		}
	}
	if (hint & NAT_HINT_ALIAS) {
		e = ct_alias_lookup(t, &s->orig);
		if (e) {
			s->dir = TCFW_DIR_ORIG;
			return e;
		}
		tuple_reverse(&s->middle, t);
		e = ct_alias_lookup(&s->middle, &s->orig);
		if (e) {
			s->dir = TCFW_DIR_REPLY;
			return e;
		}
	}
	return NULL;
}

#endif /* TCFW_BPF_NAT_TRANSLATE_H */
