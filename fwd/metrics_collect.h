/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * metrics_collect.h - fill a metrics snapshot (metrics.h) from fwd's state and the datapath's
 * maps, on fwd's loop thread, at the moment of a scrape.
 */
#ifndef FWD_METRICS_COLLECT_H
#define FWD_METRICS_COLLECT_H

#include "metrics.h"

struct fwd;

/* Fill s; what cannot be read is left out (and logged at debug level). The arrays s points to
 * are malloc'd: metrics_snapshot_free() releases them. */
void metrics_collect(struct fwd *fwd, struct metrics_snapshot *s);
void metrics_snapshot_free(struct metrics_snapshot *s);

#endif
