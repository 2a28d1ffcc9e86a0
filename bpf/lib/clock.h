/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * clock.h - the coarse monotonic clock for every tracked packet, at the price of a load.
 *
 * Offers clock_coarse_ns(): bpf_ktime_get_coarse_ns() (same epoch as bpf_ktime_get_ns()), but
 * read at most once per CPU per tick. The helper call costs about 17 ns per packet on the
 * bench machine (more with return-thunk mitigations); bpf_jiffies64() is turned into a single
 * load by the verifier. The coarse clock only moves when the tick updates the timekeeper,
 * which is when jiffies moves too, so the value kept for the current jiffy is the clock's own:
 * one tick behind at most, two when a CPU sees the new jiffy a moment before the timekeeper's
 * update. Users keep time to a second (last seen) or to 10 ms (the fast path's next hop).
 */
#ifndef TCFW_BPF_CLOCK_H
#define TCFW_BPF_CLOCK_H

#include "lib/kernel.h"
#include "lib/maps.h"

static __always_inline __u64 clock_coarse_ns(void)
{
	__u32 zero = 0;
	struct clock_cache *c = bpf_map_lookup_elem(&clock_cache, &zero);
	__u64 j = bpf_jiffies64();

	if (!c)
		return bpf_ktime_get_coarse_ns(); /* cannot happen: a one-entry array */
	if (c->jiffies != j) {
		c->coarse_ns = bpf_ktime_get_coarse_ns();
		c->jiffies = j;
	}
	return c->coarse_ns;
}

#endif /* TCFW_BPF_CLOCK_H */
