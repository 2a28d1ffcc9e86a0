// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * watch.c - the attachment watchdog (see watch.h).
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "log.h"

#include "fwd.h"
#include "ifaces.h"
#include "watch.h"

static void watch_tick(struct loop_source *src, uint32_t events)
{
	struct fwd *fwd = src->ctx;
	uint64_t ticks;

	(void)events;
	if (read(src->fd, &ticks, sizeof(ticks)) != sizeof(ticks))
		return;
	fwd->reattached += ifaces_verify(fwd);
}

int watch_start(struct fwd *fwd)
{
	struct itimerspec its = {
	    .it_interval = {.tv_sec = WATCH_INTERVAL_S},
	    .it_value = {.tv_sec = WATCH_INTERVAL_S},
	};
	int fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC), err;

	if (fd < 0 || timerfd_settime(fd, 0, &its, NULL)) {
		err = -errno;
		pr_warn("cannot create the attachment watch timer: %s", strerror(errno));
		if (fd >= 0)
			close(fd);
		return err;
	}
	fwd->watch_timer = (struct loop_source){.fd = fd, .fn = watch_tick, .ctx = fwd};
	err = loop_add(&fwd->loop, &fwd->watch_timer, EPOLLIN);
	if (err) {
		pr_warn("cannot watch the attachment timer: %s", strerror(-err));
		close(fd);
		fwd->watch_timer.fd = -1;
	}
	return err;
}

void watch_stop(struct fwd *fwd)
{
	if (fwd->watch_timer.fd < 0)
		return;
	loop_del(&fwd->loop, &fwd->watch_timer);
	close(fwd->watch_timer.fd);
	fwd->watch_timer.fd = -1;
}
