/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * eventlog.h - the event log: log events (and with --event-log-connections new and destroy
 * events) kept whether or not a monitor is connected, as JSON lines in a file (--event-log
 * FILE: the monitor's JSON, rotated by size) and/or as journald entries with structured
 * fields (--event-log journal, or by default when stderr is the journal). One token bucket
 * (--event-log-rate/--event-log-burst) caps both; what it refuses is counted and reported as a
 * "lost" record once writing goes on. Errors are reported once and never stop fwd.
 *
 * fwd/monitor.c builds each event's JSON once and hands it here and to the monitors.
 */
#ifndef FWD_EVENTLOG_H
#define FWD_EVENTLOG_H

#include <stdbool.h>

#include <json-c/json.h>

struct fwd;

/* Open what fwd->opt.evlog asks for. 0, or -errno when the file cannot be opened at start
 * (said why). Nothing asked for: 0 and no event log. */
int eventlog_open(struct fwd *fwd);
/* Write what is pending (a last "lost" record included) and close. */
void eventlog_close(struct fwd *fwd);
/* Does the event log want events of this type (enum tcfw_event_type) at all? */
bool eventlog_wants(struct fwd *fwd, unsigned int type);
/* May one more event be logged now (the rate limit)? A refusal is counted. */
bool eventlog_admit(struct fwd *fwd);
/* Log an admitted event (the monitor's JSON); ev stays the caller's. */
void eventlog_write(struct fwd *fwd, struct json_object *ev);
/* Write the queued lines out (end of a batch of events). */
void eventlog_flush(struct fwd *fwd);
/* SIGHUP: close and open the file again (after logrotate moved it). */
void eventlog_reopen(struct fwd *fwd);
/* Does the event log need the datapath's new-connection events? */
bool eventlog_connections(struct fwd *fwd);
/* "event_log" of fwd's status. */
struct json_object *eventlog_status(struct fwd *fwd);

#endif
