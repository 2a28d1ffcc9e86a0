// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * ratelimit.c - token bucket (see ratelimit.h).
 *
 * Overflow: rate <= 1e6 and burst <= 1e7, so a full bucket is 1e16 billionths; time beyond
 * 1000 s fills the bucket outright, so the credit (elapsed ns * rate) stays below 1e18 < 2^63.
 */
#include "ratelimit.h"

#define NANO          1000000000ull
#define FILL_AFTER_NS (1000ull * NANO)

void ratelimit_init(struct ratelimit *rl, uint32_t rate, uint32_t burst)
{
	rl->rate = rate > RATELIMIT_RATE_MAX ? RATELIMIT_RATE_MAX : rate;
	rl->burst = burst == 0 ? 1 : burst > RATELIMIT_BURST_MAX ? RATELIMIT_BURST_MAX : burst;
	rl->nano = (uint64_t)rl->burst * NANO;
	rl->last_ns = 0;
	rl->started = false;
}

static void refill(struct ratelimit *rl, uint64_t now_ns)
{
	uint64_t cap = (uint64_t)rl->burst * NANO, elapsed;

	if (!rl->started) {
		rl->started = true;
		rl->last_ns = now_ns;
		return;
	}
	if (now_ns <= rl->last_ns)
		return; /* a clock that did not move (or a caller's older stamp): no credit */
	elapsed = now_ns - rl->last_ns;
	rl->last_ns = now_ns;
	if (elapsed >= FILL_AFTER_NS || rl->nano + elapsed * rl->rate >= cap)
		rl->nano = cap;
	else
		rl->nano += elapsed * rl->rate;
}

bool ratelimit_ready(struct ratelimit *rl, uint64_t now_ns)
{
	if (!rl->rate)
		return true;
	refill(rl, now_ns);
	return rl->nano >= NANO;
}

bool ratelimit_take(struct ratelimit *rl, uint64_t now_ns)
{
	if (!ratelimit_ready(rl, now_ns))
		return false;
	if (rl->rate)
		rl->nano -= NANO;
	return true;
}
