// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * loop.c - epoll dispatch (see loop.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "log.h"
#include "loop.h"

int loop_init(struct loop *l)
{
	l->stop = false;
	l->deferred = NULL;
	l->deferred_tail = &l->deferred;
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	return l->epfd < 0 ? -errno : 0;
}

void loop_fini(struct loop *l)
{
	if (l->epfd >= 0)
		close(l->epfd);
	l->epfd = -1;
}

int loop_add(struct loop *l, struct loop_source *src, uint32_t events)
{
	struct epoll_event ev = {.events = events, .data.ptr = src};

	return epoll_ctl(l->epfd, EPOLL_CTL_ADD, src->fd, &ev) ? -errno : 0;
}

int loop_mod(struct loop *l, struct loop_source *src, uint32_t events)
{
	struct epoll_event ev = {.events = events, .data.ptr = src};

	return epoll_ctl(l->epfd, EPOLL_CTL_MOD, src->fd, &ev) ? -errno : 0;
}

static void loop_undefer(struct loop *l, struct loop_source *src)
{
	struct loop_source **pp;

	if (!src->deferred)
		return;
	for (pp = &l->deferred; *pp != src; pp = &(*pp)->defer_next)
		;
	*pp = src->defer_next;
	if (l->deferred_tail == &src->defer_next)
		l->deferred_tail = pp;
	src->deferred = false;
	src->defer_next = NULL;
}

void loop_del(struct loop *l, struct loop_source *src)
{
	loop_undefer(l, src);
	epoll_ctl(l->epfd, EPOLL_CTL_DEL, src->fd, NULL);
}

void loop_defer(struct loop *l, struct loop_source *src)
{
	if (src->deferred)
		return;
	src->deferred = true;
	src->defer_next = NULL;
	*l->deferred_tail = src;
	l->deferred_tail = &src->defer_next;
}

/* Call the sources deferred before this turn once each: one that defers again goes to the end
 * of the list, so a source that always has more to do cannot keep the loop from epoll. */
static void loop_run_deferred(struct loop *l)
{
	size_t n = 0;

	for (struct loop_source *s = l->deferred; s; s = s->defer_next)
		n++;
	while (n-- > 0 && l->deferred && !l->stop) {
		struct loop_source *src = l->deferred;

		loop_undefer(l, src);
		src->fn(src, 0);
	}
}

int loop_run(struct loop *l)
{
	while (!l->stop) {
		struct epoll_event ev;
		/* One event per wait: a handler may free another source (a control client that
		 * hung up), and a batch could still hold a pointer to it. The ring buffer and
		 * netlink handlers drain everything pending, so this costs little. With deferred
		 * work, only look whether something is ready, then do a share of that work. */
		int n = epoll_wait(l->epfd, &ev, 1, l->deferred ? 0 : -1);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			pr_warn("event loop: epoll_wait failed: %s", strerror(errno));
			return -errno;
		}
		if (n > 0) {
			struct loop_source *src = ev.data.ptr;

			src->fn(src, ev.events);
		}
		loop_run_deferred(l);
	}
	return 0;
}

/* What a timer's source runs: read (and so reset) the timerfd, then the user's handler. */
struct loop_timer_call {
	loop_fn fn;
	void *ctx;
};

static void timer_ready(struct loop_source *src, uint32_t events)
{
	struct loop_timer_call *call = src->ctx;
	struct loop_source user = *src;
	uint64_t ticks;

	if (read(src->fd, &ticks, sizeof(ticks)) != sizeof(ticks))
		return;
	user.ctx = call->ctx;
	call->fn(&user, events);
}

int loop_timer_start(struct loop *l, struct loop_source *src, unsigned int interval_s, loop_fn fn,
                     void *ctx, const char *what)
{
	struct itimerspec its = {.it_interval = {.tv_sec = interval_s},
	                         .it_value = {.tv_sec = interval_s}};
	struct loop_timer_call *call = malloc(sizeof(*call));
	int fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC), err;

	src->fd = -1;
	if (!call || fd < 0 || timerfd_settime(fd, 0, &its, NULL)) {
		err = call ? -errno : -ENOMEM;
		pr_warn("cannot create the %s timer: %s", what, strerror(-err));
		goto fail;
	}
	*call = (struct loop_timer_call){.fn = fn, .ctx = ctx};
	*src = (struct loop_source){.fd = fd, .fn = timer_ready, .ctx = call};
	err = loop_add(l, src, EPOLLIN);
	if (!err)
		return 0;
	pr_warn("cannot watch the %s timer: %s", what, strerror(-err));
	src->fd = -1;
fail:
	if (fd >= 0)
		close(fd);
	free(call);
	return err;
}

void loop_timer_stop(struct loop *l, struct loop_source *src)
{
	if (src->fd < 0)
		return;
	loop_del(l, src);
	close(src->fd);
	free(src->ctx);
	src->fd = -1;
	src->ctx = NULL;
}
