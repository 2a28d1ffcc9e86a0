// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * watch.c - the attachment watchdog (see watch.h).
 */
#include <stdint.h>

#include "fwd.h"
#include "ifaces.h"
#include "watch.h"

static void watch_tick(struct loop_source *src, uint32_t events)
{
	struct fwd *fwd = src->ctx;

	(void)events;
	fwd->reattached += ifaces_verify(fwd);
}

int watch_start(struct fwd *fwd)
{
	return loop_timer_start(&fwd->loop, &fwd->watch_timer, WATCH_INTERVAL_S, watch_tick, fwd,
	                        "attachment watch");
}

void watch_stop(struct fwd *fwd)
{
	loop_timer_stop(&fwd->loop, &fwd->watch_timer);
}
