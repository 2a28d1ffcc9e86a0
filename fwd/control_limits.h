/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * control_limits.h - what fwd grants one control client, and all of them together. Each limit
 * answers a way a client (root, or a member of --group; buggy more often than hostile) could
 * otherwise take fwd's memory or its one thread from everybody else. docs/fwd.md ("Limits of
 * the control socket") lists them for users; a client dropped by one gets a warning in fwd's
 * log naming its pid, uid and the limit.
 */
#ifndef FWD_CONTROL_LIMITS_H
#define FWD_CONTROL_LIMITS_H

#include "ctl.h"

/* Clients connected at once. fwctl opens one connection per command, monitors stay: 64 is far
 * more than a gateway's operators run, and bounds everything below times 64. */
#define CONTROL_MAX_CLIENTS 64

/* One request line, newline included: the protocol's limit (lib/ctl.h, 16 MiB), sized for the
 * largest request, policy-load with a whole policy text. fwctl refuses to send more. */
#define CONTROL_MAX_REQUEST TCFW_CTL_MAX_MSG

/* Stop reading a client's requests while this much of its output is unsent: a client that does
 * not read its answers gets no more of them computed. About what a Unix socket buffer takes
 * (net.core.wmem_default, 208 KiB), so a client that reads never waits for it, and small
 * answers to pipelined requests keep flowing. */
#define CONTROL_OUTPUT_PAUSE (256u << 10)

/* Unsent output of one client. With reading paused at CONTROL_OUTPUT_PAUSE it holds one answer
 * more at most; the largest answers (policy-show, rule-list of a 16 MiB policy) stay below
 * this. A client past it is dropped. */
#define CONTROL_MAX_OUTPUT (64u << 20)

/* Requests of one client served per turn of the event loop, before other sources get theirs:
 * a client that pipelines many requests delays others by a few requests' work at most. */
#define CONTROL_REQUESTS_PER_TURN 4

/* Memory held for all clients together: unfinished requests and unsent output. Room for a few
 * maximal policy loads at once plus ordinary answers; past it, the client with the largest
 * unfinished request is dropped, so 64 clients each sending an almost maximal request cannot
 * take 1 GiB. */
#define CONTROL_MAX_HELD (128u << 20)

/* A monitor that does not read gets events dropped (and counted) beyond this backlog; it is not
 * disconnected for it. */
#define CLIENT_EVENT_BACKLOG (4u << 20)

/* Refused connections (too many clients) are logged at most this often. */
#define CONTROL_REFUSE_LOG_INTERVAL_S 10

#endif
