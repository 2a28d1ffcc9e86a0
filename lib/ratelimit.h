/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * ratelimit.h - a token bucket on a clock the caller passes in (CLOCK_MONOTONIC nanoseconds),
 * so that tests can drive time by hand.
 *
 * The bucket holds at most `burst` tokens and gains `rate` per second, continuously; it starts
 * full. Tokens are counted in billionths (one per nanosecond of credit at a rate of 1/s), so
 * that a slow rate refills smoothly and no time is lost to rounding.
 */
#ifndef TCFW_RATELIMIT_H
#define TCFW_RATELIMIT_H

#include <stdbool.h>
#include <stdint.h>

#define RATELIMIT_RATE_MAX  1000000u  /* per second */
#define RATELIMIT_BURST_MAX 10000000u /* tokens */

struct ratelimit {
	uint32_t rate;  /* tokens per second; 0: no limit */
	uint32_t burst; /* capacity, at least 1 */
	uint64_t nano;  /* tokens * 1e9 */
	uint64_t last_ns;
	bool started;
};

/* rate 0: everything passes. burst 0 is taken as 1. Both are clamped to the maxima above. */
void ratelimit_init(struct ratelimit *rl, uint32_t rate, uint32_t burst);
/* Take one token at time now_ns: true when there was one. */
bool ratelimit_take(struct ratelimit *rl, uint64_t now_ns);
/* Would a take succeed now (without taking)? */
bool ratelimit_ready(struct ratelimit *rl, uint64_t now_ns);

#endif
