/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * csum_fold.h - one's complement checksum arithmetic (RFC 1071, RFC 1624), pure logic: the
 * change a rewritten field makes (csum_change), that change folded into a checksum field
 * (csum_fold_change), and a 64-bit sum folded into a checksum (csum_fold64). No vmlinux.h and
 * no helper calls, so tests/unit/test_csum_fold.c checks them against checksums recomputed
 * from scratch; csum.h and reject.h use them on packets.
 */
#ifndef TCFW_BPF_CSUM_FOLD_H
#define TCFW_BPF_CSUM_FOLD_H

#include "lib/pure.h"

/* The one's complement change of a value from -> to (4 bytes, or 2 zero-extended as the
 * kernel's inet_proto_csum_replace2() does): 16-bit words as they lie in memory, ~from's plus
 * to's. One's complement sums do not mind byte order. */
static __always_inline __u32 csum_change(__u32 from, __u32 to)
{
	return (__u16)~from + (__u16) ~(from >> 16) + (__u16)to + (__u16)(to >> 16);
}

/* What a checksum field holding old becomes after a change (csum_change()): a full checksum
 * is kept inverted (RFC 1624's HC' = ~(~HC + ~m + m')), the pseudo-header sum that a
 * CHECKSUM_PARTIAL packet's field holds is kept as it is. As the kernel's csum_replace4(). */
static __always_inline __u16 csum_fold_change(__u16 old, __u32 change, bool full)
{
	__u32 sum = (full ? (__u16)~old : old) + change;

	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return full ? (__u16)~sum : (__u16)sum;
}

/* Fold a sum of 32-bit words (bpf_csum_diff()'s) into the 16-bit one's complement checksum,
 * in packet order. */
static __always_inline __u16 csum_fold64(__u64 sum)
{
	sum = (sum & 0xffffffff) + (sum >> 32);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)~sum;
}

#endif /* TCFW_BPF_CSUM_FOLD_H */
