/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * event_filter.h - what `fwctl monitor` shows: event types and the connection filter's words
 * (lib/ct_filter.h), matched against the events fwd streams (fwd/monitor.c), and the wall-clock
 * time of an event for its text line.
 *
 *   FILTER := { type T[,T...] | proto P | src A | dst A | addr A | sport N | dport N | port N
 *             | family ip|ip6 | state S }     T: new, destroy, log, invalid
 *
 * All given conditions must hold. The tuple words match as for `ct list` (addr and port also
 * the reply tuple of destroy events); state holds only for destroy events, the only ones that
 * carry a state. "lost" events (fwd's queue overflowed) are always shown: they say that what
 * follows is incomplete.
 */
#ifndef TCFW_EVENT_FILTER_H
#define TCFW_EVENT_FILTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ct_filter.h"

struct json_object;

enum event_type_bits {
	EVENT_NEW = 1 << 0,
	EVENT_DESTROY = 1 << 1,
	EVENT_LOG = 1 << 2,
	EVENT_INVALID = 1 << 3,
};

struct event_filter {
	uint32_t types; /* EVENT_* bits; 0: every type */
	struct ct_filter ct;
};

/* Parse argv[0..argc). 0, or -EINVAL with a one-line message in err. */
int event_filter_parse(int argc, char **argv, struct event_filter *f, char *err, size_t errlen);
/* Does the event (one "event" object from fwd) pass? */
bool event_filter_match(const struct event_filter *f, struct json_object *ev);

/* The wall-clock time of a CLOCK_MONOTONIC stamp (events carry bpf_ktime_get_ns()), as ISO
 * 8601 local time with milliseconds: "2026-12-03T20:25:14.123+00:00". */
const char *event_time_format(int64_t mono_ns, char *buf, size_t len);
/* The same from a CLOCK_REALTIME stamp (the conversion above, made testable). */
const char *event_time_format_wall(int64_t wall_ns, char *buf, size_t len);

#endif
