/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * loop.h - fwd's one event loop: epoll over file descriptors, each with its handler. No
 * threads: every handler runs to completion on the loop's thread.
 *
 * A handler that stops before it has done all it could (a control client with more requests
 * buffered than it may serve in one turn) defers the rest: loop_defer() has the loop call it
 * again, with events 0, after the next event of another source. Work that sits in a user-space
 * buffer raises no epoll event, so without this it would wait for the client's next bytes.
 */
#ifndef FWD_LOOP_H
#define FWD_LOOP_H

#include <stdbool.h>
#include <stdint.h>

struct loop_source;
typedef void (*loop_fn)(struct loop_source *src, uint32_t events);

struct loop_source {
	int fd;
	loop_fn fn;
	void *ctx;
	bool deferred;                  /* on the loop's deferred list */
	struct loop_source *defer_next; /* that list, in order of loop_defer() */
};

struct loop {
	int epfd;
	bool stop; /* set by a handler; loop_run returns after the current event */
	struct loop_source *deferred, **deferred_tail;
};

int loop_init(struct loop *l);
void loop_fini(struct loop *l);
/* Watch src->fd for events (EPOLLIN, EPOLLOUT, ...). 0 or -errno. */
int loop_add(struct loop *l, struct loop_source *src, uint32_t events);
int loop_mod(struct loop *l, struct loop_source *src, uint32_t events);
/* Stop watching src (and forget a deferred call): src may be freed afterwards. */
void loop_del(struct loop *l, struct loop_source *src);
/* Call src->fn(src, 0) once more soon, after at most one event of other sources. Deferring a
 * source already deferred does nothing. */
void loop_defer(struct loop *l, struct loop_source *src);
/*
 * Interval timers (expiry, the attachment watch, the event log's flush): a timerfd firing every
 * interval_s seconds, watched like any source. fn is called with the timer read, so ticks the
 * loop missed while busy fold into one call. On failure a message naming `what` is logged and
 * src->fd is -1. 0 or -errno.
 */
int loop_timer_start(struct loop *l, struct loop_source *src, unsigned int interval_s, loop_fn fn,
                     void *ctx, const char *what);
/* Stop and close a timer from loop_timer_start() (nothing when it never started). */
void loop_timer_stop(struct loop *l, struct loop_source *src);

/* Dispatch events until a handler sets l->stop. 0, or -errno when epoll itself fails. */
int loop_run(struct loop *l);

#endif
