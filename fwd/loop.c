// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * loop.c - epoll dispatch (see loop.h).
 */
#include <errno.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "log.h"
#include "loop.h"

int loop_init(struct loop *l)
{
	l->stop = false;
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

void loop_del(struct loop *l, struct loop_source *src)
{
	epoll_ctl(l->epfd, EPOLL_CTL_DEL, src->fd, NULL);
}

int loop_run(struct loop *l)
{
	while (!l->stop) {
		struct epoll_event ev;
		/* One event per wait: a handler may free another source (a control client that
		 * hung up), and a batch could still hold a pointer to it. The ring buffer and
		 * netlink handlers drain everything pending, so this costs little. */
		int n = epoll_wait(l->epfd, &ev, 1, -1);
		struct loop_source *src;

		if (n < 0) {
			if (errno == EINTR)
				continue;
			pr_warn("event loop: epoll_wait failed: %s", strerror(errno));
			return -errno;
		}
		if (n == 0)
			continue;
		src = ev.data.ptr;
		src->fn(src, ev.events);
	}
	return 0;
}
