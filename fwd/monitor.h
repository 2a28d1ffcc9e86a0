/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * monitor.h - events for `fwctl monitor`: the datapath's ring buffer (new connections, log
 * matches, invalid packets) and fwd's own destroy events, as JSON to monitor clients.
 * New-connection events cost the datapath a ring buffer write per connection, so they are
 * switched on (config.flags TCFW_CFG_EVENTS_NEW) only while a monitor is connected.
 */
#ifndef FWD_MONITOR_H
#define FWD_MONITOR_H

#include <stdint.h>

#include <json-c/json.h>

#include "tcfw_abi.h"

struct fwd;

/* Consume map "events" from fwd's loop. 0 or -errno. */
int monitor_open(struct fwd *fwd);
void monitor_close(struct fwd *fwd);
/* A connection ended (reason: "expired", "deleted", "flushed"). */
void monitor_destroy_event(struct fwd *fwd, const struct tcfw_tuple *orig,
                           const struct tcfw_ct_entry *e, const char *reason);
/* The number of monitor clients changed: switch new-connection events on or off (on while a
 * monitor is connected or the event log wants connections). */
void monitor_clients_changed(struct fwd *fwd);
/* {"type":"lost","count":count,"time":...}, as the event log writes it. */
struct json_object *monitor_lost_json(uint64_t count);

#endif
