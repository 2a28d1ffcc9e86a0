/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * event_journal.h - one fwd event (the JSON object fwd/monitor.c builds for monitors and the
 * event log) as journald fields, ready for sd_journal_sendv(). Built from that object, not
 * from the datapath's struct, so the journal, the file and `fwctl monitor` can never tell a
 * different story.
 *
 * Every member becomes TCFW_<NAME>=value (nested objects joined with '_': reply.src is
 * TCFW_REPLY_SRC, counters.orig.packets TCFW_COUNTERS_ORIG_PACKETS), with three renamings:
 * type -> TCFW_EVENT, id -> TCFW_ICMP_ID, count -> TCFW_LOST; time_ns (a monotonic stamp) is
 * left out. Added: MESSAGE (event_journal_message()), PRIORITY, SYSLOG_IDENTIFIER=fwd and, for
 * log events, MESSAGE_ID=EVENT_JOURNAL_LOG_ID.
 */
#ifndef TCFW_EVENT_JOURNAL_H
#define TCFW_EVENT_JOURNAL_H

#include <stddef.h>

#include <json-c/json.h>

#define EVENT_JOURNAL_MAX_FIELDS 48
/* `journalctl MESSAGE_ID=...` finds every tcfw log event. */
#define EVENT_JOURNAL_LOG_ID "40503fbccd3744548861961040d04584"

struct event_journal {
	char *field[EVENT_JOURNAL_MAX_FIELDS]; /* "NAME=value", malloc'd */
	size_t n;
};

/* Fill j from ev. 0, or -ENOMEM (j is freed then). */
int event_journal_build(struct json_object *ev, struct event_journal *j);
void event_journal_free(struct event_journal *j);
/* The value of field NAME in j, or NULL (for tests and callers that look). */
const char *event_journal_get(const struct event_journal *j, const char *name);

/*
 * A line for people: MESSAGE= in the journal.
 *   log:     "ssh-in: input accept tcp 203.0.113.2:41000 -> 203.0.113.1:22 on wan0 (rule 7)"
 *            (without a prefix "tcfw log: ...", for a default "(default)")
 *   new:     "new connection: forward accept tcp 10.0.0.2:40000 -> 192.0.2.1:80 on lan0 (rule 3)"
 *   destroy: "connection ended (expired): udp 10.0.0.2:5000 -> 192.0.2.1:53 after 31 s"
 *   lost:    "17 events not logged (over the event log's rate limit, or lost to errors
 *            writing them)"
 * IPv6 addresses with a port in brackets; ICMP echo as "id N". malloc'd, NULL when out of
 * memory.
 */
char *event_journal_message(struct json_object *ev);

#endif
