// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * expiry.c - connection expiry (see expiry.h).
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "ctmap.h"
#include "log.h"

#include "expiry.h"
#include "fwd.h"
#include "monitor.h"

struct expiry_pass {
	struct fwd *fwd;
	struct ctmap m;
	uint64_t now_ns;
	uint64_t seen, expired;
	int first_error;
};

static int expire_one(const struct tcfw_tuple *orig, const struct tcfw_ct_entry *e, void *ctx)
{
	struct expiry_pass *x = ctx;
	struct tcfw_ct_entry fresh;
	int err;

	x->seen++;
	if (!ctmap_is_expired(e, x->fwd->pol.timeouts, x->now_ns))
		return 0;
	/* The batch copy may be milliseconds old: a packet may have refreshed the connection
	 * since. Look again right before deleting, so only the tiny window between this read
	 * and the delete remains. */
	if (bpf_map_lookup_elem(x->m.ct_fd, orig, &fresh))
		return 0; /* gone meanwhile */
	if (!ctmap_is_expired(&fresh, x->fwd->pol.timeouts, ctmap_now_ns()))
		return 0;
	e = &fresh;
	err = ctmap_delete(&x->m, orig, e);
	if (err == -ENOENT)
		return 0; /* evicted or deleted meanwhile */
	if (err) {
		if (!x->first_error)
			x->first_error = err;
		return 0; /* keep going: one stuck entry must not stop expiry of the rest */
	}
	x->expired++;
	monitor_destroy_event(x->fwd, orig, e, "expired");
	return 0;
}

void expiry_run(struct fwd *fwd)
{
	struct expiry_pass x = {
	    .fwd = fwd,
	    .m = {.ct_fd = fwd->dp.ct_fd, .reply_fd = fwd->dp.ct_reply_fd},
	    .now_ns = ctmap_now_ns(),
	};
	struct fwd_expiry_stats *st = &fwd->expiry;
	int err = ctmap_walk(&x.m, 0, expire_one, &x);

	if (!err)
		err = x.first_error;
	st->runs++;
	st->expired += x.expired;
	st->last_expired = x.expired;
	st->last_seen = x.seen;
	st->last_pass_ms = (double)(ctmap_now_ns() - x.now_ns) / 1e6;
	/* Say it once when expiry starts failing, not every second. */
	if (err && err != st->last_error)
		pr_warn("expiry: walking or deleting connections failed: %s (connections are not "
		        "expiring; see `fwctl status`)",
		        strerror(-err));
	else if (!err && st->last_error)
		pr_warn("expiry: working again");
	st->last_error = err;
	if (x.expired)
		pr_debug("expiry: %llu of %llu connections expired in %.1f ms",
		         (unsigned long long)x.expired, (unsigned long long)x.seen,
		         st->last_pass_ms);
}

static void expiry_tick(struct loop_source *src, uint32_t events)
{
	struct fwd *fwd = src->ctx;
	uint64_t ticks;

	(void)events;
	/* Reading resets the timerfd; several missed ticks still mean one pass. */
	if (read(src->fd, &ticks, sizeof(ticks)) != sizeof(ticks))
		return;
	expiry_run(fwd);
}

int expiry_start(struct fwd *fwd)
{
	struct itimerspec its = {
	    .it_interval = {.tv_sec = fwd->opt.expire_interval_s},
	    .it_value = {.tv_sec = fwd->opt.expire_interval_s},
	};
	int fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC), err;

	if (fd < 0 || timerfd_settime(fd, 0, &its, NULL)) {
		err = -errno;
		pr_warn("cannot create the expiry timer: %s", strerror(errno));
		if (fd >= 0)
			close(fd);
		return err;
	}
	fwd->expiry_timer = (struct loop_source){.fd = fd, .fn = expiry_tick, .ctx = fwd};
	err = loop_add(&fwd->loop, &fwd->expiry_timer, EPOLLIN);
	if (err) {
		pr_warn("cannot watch the expiry timer: %s", strerror(-err));
		close(fd);
		fwd->expiry_timer.fd = -1;
	}
	return err;
}

void expiry_stop(struct fwd *fwd)
{
	if (fwd->expiry_timer.fd < 0)
		return;
	loop_del(&fwd->loop, &fwd->expiry_timer);
	close(fwd->expiry_timer.fd);
	fwd->expiry_timer.fd = -1;
}
