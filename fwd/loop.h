/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * loop.h - fwd's one event loop: epoll over file descriptors, each with its handler. No
 * threads: every handler runs to completion on the loop's thread.
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
};

struct loop {
	int epfd;
	bool stop; /* set by a handler; loop_run returns after the current event */
};

int loop_init(struct loop *l);
void loop_fini(struct loop *l);
/* Watch src->fd for events (EPOLLIN, EPOLLOUT, ...). 0 or -errno. */
int loop_add(struct loop *l, struct loop_source *src, uint32_t events);
int loop_mod(struct loop *l, struct loop_source *src, uint32_t events);
void loop_del(struct loop *l, struct loop_source *src);
/* Dispatch events until a handler sets l->stop. 0, or -errno when epoll itself fails. */
int loop_run(struct loop *l);

#endif
