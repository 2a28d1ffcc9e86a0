// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * cmd_monitor.c - `fwctl monitor`: ask fwd to stream events, print each as it arrives (a line,
 * or a JSON object per line with -j) until SIGINT/SIGTERM (exit 0) or fwd goes away (exit 1).
 * One poll over the socket and a signalfd: a signal never interrupts a half-printed event.
 * Filter words (event type, the connection filter's tuple words) are applied here, to the
 * stream fwd sends every monitor; each line starts with the event's wall-clock time.
 */
#include <ctype.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "daemon.h"
#include "event_filter.h"
#include "fwctl.h"
#include "jsontext.h"
#include "log.h"
#include "out.h"

/* What became of one message from fwd. */
enum msg_result {
	MSG_CONTINUE = -1, /* keep going; anything >= 0 is the exit status */
};

/* The tuple members of an event (fwd/monitor.c): printed first, in conntrack's order. */
static void print_tuple(struct json_object *t)
{
	static const char *const keys[] = {"src", "dst", "sport", "dport", "id"};
	struct json_object *v;

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (json_object_object_get_ex(t, keys[i], &v))
			out_text(" %s=%s", keys[i], jsontext_scalar(v));
}

/* "2026-12-03T20:25:14.123+00:00 [NEW] tcp src=.. dst=.. sport=.. dport=.. ifname=lan0 ..."
 * like conntrack -E; a destroy adds the reply tuple and the counters per direction. A log
 * event's prefix comes first, quoted, as iptables' LOG puts it in front ("[LOG] "ssh-in" tcp
 * ..."). Members this fwctl does not know are printed too, as key=value. */
static void print_event_text(struct json_object *ev)
{
	static const char *const shown[] = {"type",  "time",     "time_ns", "family", "proto",
	                                    "src",   "dst",      "sport",   "dport",  "id",
	                                    "reply", "counters", "prefix",  NULL};
	const char *type = json_get_str(ev, "type", "event");
	struct json_object *proto, *reply, *ctr, *dir, *prefix;

	out_text("%s [", json_get_str(ev, "time", "-"));
	for (const char *p = type; *p; p++)
		out_text("%c", toupper((unsigned char)*p));
	out_text("]");
	if (json_object_object_get_ex(ev, "prefix", &prefix))
		out_text(" \"%s\"", json_object_get_string(prefix));
	if (json_object_object_get_ex(ev, "proto", &proto))
		out_text(" %s", jsontext_scalar(proto));
	print_tuple(ev);
	jsontext_pairs(ev, shown);
	if (json_object_object_get_ex(ev, "reply", &reply)) {
		out_text(" reply:");
		print_tuple(reply);
	}
	if (json_object_object_get_ex(ev, "counters", &ctr)) {
		static const char *const dirs[] = {"orig", "reply"};

		for (size_t i = 0; i < 2; i++)
			if (json_object_object_get_ex(ctr, dirs[i], &dir))
				out_text(" %s: packets=%lld bytes=%lld", dirs[i],
				         json_get_int(dir, "packets", 0),
				         json_get_int(dir, "bytes", 0));
	}
	out_text("\n");
}

static void print_event(struct json_object *ev)
{
	struct json_object *ns;
	struct timespec now;
	char when[64];

	/* time_ns is the kernel's monotonic clock; people read the wall clock. An event
	 * without one (lost) gets the time it arrived. */
	if (json_object_object_get_ex(ev, "time_ns", &ns)) {
		event_time_format(json_object_get_int64(ns), when, sizeof(when));
	} else {
		clock_gettime(CLOCK_MONOTONIC, &now);
		event_time_format((int64_t)now.tv_sec * 1000000000 + now.tv_nsec, when,
		                  sizeof(when));
	}
	json_object_object_add(ev, "time", json_object_new_string(when));
	if (out_is_json())
		out_json(NULL, ev); /* a top-level object: one line each */
	else
		print_event_text(ev);
	fflush(stdout); /* events are read by people and pipes as they happen */
}

static int handle(struct fwctl *fw, const struct event_filter *filter, struct json_object *msg)
{
	struct json_object *ev;
	struct ctl_reply r;

	if (json_object_object_get_ex(msg, "event", &ev)) {
		if (event_filter_match(filter, ev))
			print_event(ev);
		return MSG_CONTINUE;
	}
	if (ctl_reply_parse(msg, &r) == 0) {
		if (r.ok) {
			pr_info("following events from fwd at %s; Ctrl-C stops", fw->socket_path);
			return MSG_CONTINUE;
		}
		pr_warn("fwd refused to stream events: %s", r.error);
		return r.status == 2 ? FWCTL_EXIT_USAGE : FWCTL_EXIT_FAILURE;
	}
	pr_debug("ignoring a message from fwd: %s", json_object_to_json_string(msg));
	return MSG_CONTINUE;
}

/* Handle every whole message already received. MSG_CONTINUE when more must be read. */
static int drain(struct fwctl *fw, const struct event_filter *filter, struct daemon *d)
{
	for (;;) {
		struct json_object *msg;
		int r = ctl_recv_ready(&d->conn, &msg), ret;

		if (r == -EAGAIN)
			return MSG_CONTINUE;
		if (r == 0) {
			pr_warn("fwd at %s closed the connection (did it stop?); no "
			        "more events",
			        fw->socket_path);
			return FWCTL_EXIT_FAILURE;
		}
		if (r < 0) {
			pr_warn("lost the event stream from fwd at %s: %s", fw->socket_path,
			        strerror(-r));
			return FWCTL_EXIT_FAILURE;
		}
		ret = handle(fw, filter, msg);
		json_object_put(msg);
		if (ret != MSG_CONTINUE)
			return ret;
	}
}

static int follow(struct fwctl *fw, const struct event_filter *filter, struct daemon *d, int sig_fd)
{
	struct pollfd fds[2] = {{.fd = d->conn.fd, .events = POLLIN},
	                        {.fd = sig_fd, .events = POLLIN}};
	int ret;

	for (;;) {
		if (poll(fds, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			pr_warn("cannot wait for events: %s", strerror(errno));
			return FWCTL_EXIT_FAILURE;
		}
		if (fds[1].revents & POLLIN) {
			struct signalfd_siginfo si;

			/* Consume it: still pending when the mask is restored, it would kill us. */
			if (read(sig_fd, &si, sizeof(si)) != sizeof(si))
				pr_debug("reading the signal that stops monitor: %s",
				         strerror(errno));
			return FWCTL_EXIT_OK; /* SIGINT / SIGTERM: the operator is done */
		}
		if (fds[0].revents) {
			ret = drain(fw, filter, d);
			if (ret != MSG_CONTINUE)
				return ret;
		}
	}
}

int fwctl_cmd_monitor(struct fwctl *fw, int argc, char **argv)
{
	struct daemon d = {0};
	struct event_filter filter;
	sigset_t mask, old;
	int sig_fd, ret;
	char err[256];

	if (event_filter_parse(argc, argv, &filter, err, sizeof(err)) < 0)
		return fwctl_usage_error(fw, "%s", err);
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	if (sigprocmask(SIG_BLOCK, &mask, &old) < 0 ||
	    (sig_fd = signalfd(-1, &mask, SFD_CLOEXEC)) < 0) {
		pr_warn("cannot set up signal handling: %s", strerror(errno));
		return FWCTL_EXIT_FAILURE;
	}
	ret = daemon_connect(fw, &d);
	if (ret == 0) {
		struct json_object *req = daemon_request("monitor");

		ret = ctl_send(&d.conn, req);
		json_object_put(req);
		if (ret < 0) {
			pr_warn("cannot ask fwd at %s for events: %s", fw->socket_path,
			        strerror(-ret));
			ret = FWCTL_EXIT_FAILURE;
		} else {
			ret = follow(fw, &filter, &d, sig_fd);
		}
	}
	daemon_close(&d);
	close(sig_fd);
	sigprocmask(SIG_SETMASK, &old, NULL);
	return ret;
}
