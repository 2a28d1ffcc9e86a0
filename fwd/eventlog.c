// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * eventlog.c - the event log's sinks, rate limit, timer and status (see eventlog.h).
 *
 * The file: lib/event_file.c queues lines and writes them once per batch of events and once
 * a second (the timer), so fwd's loop never waits for more than one write(). The journal:
 * sd_journal_sendv(), one datagram per event to journald, bounded by the same rate limit.
 *
 * "lost" records: each sink counts the events it did not get (over the rate limit, a full
 * queue, a failed send) and, before its next event or at the next tick with a token to spare,
 * writes {"type":"lost","count":N,...} (the journal: TCFW_EVENT=lost, TCFW_LOST=N).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <systemd/sd-journal.h>

#include "ctmap.h"
#include "json_add.h"
#include "event_file.h"
#include "event_journal.h"
#include "log.h"
#include "ratelimit.h"

#include "eventlog.h"
#include "fwd.h"
#include "monitor.h"

struct eventlog {
	struct ratelimit rl;
	uint64_t admitted;
	uint64_t rate_limited;
	struct loop_source timer;

	bool have_file;
	struct evfile file;
	uint64_t file_lost; /* events the file has not been told about yet */
	int file_reported;  /* the error last reported (0: none) */
	const char *file_reported_op;

	bool journal;
	uint64_t journal_sent;
	uint64_t journal_errors;
	uint64_t journal_lost;
	int journal_err; /* last send's -errno, 0 when it worked */
	bool journal_reported;
};

/* ---- the file ------------------------------------------------------------------------------- */
/* Writing (write, open) or rotating (rename, unlink)? */
static bool is_rotation_op(const char *op)
{
	return op && (!strcmp(op, "rename") || !strcmp(op, "unlink"));
}

/*
 * Say once what went wrong with the file, and once that writing works again. A rotation that
 * fails is said once too, and stays said: fwd goes on appending to FILE, tries again at the
 * next line after a second, and a persistent failure must not warn twice a second.
 */
static void file_report(struct eventlog *el)
{
	struct evfile *f = &el->file;

	if (f->err && (f->err != el->file_reported || f->err_op != el->file_reported_op)) {
		if (is_rotation_op(f->err_op))
			pr_warn(
			    "event log %s: cannot rotate it, %s failed: %s; fwd goes on "
			    "appending to it and tries again (check the directory's permissions)",
			    f->path, f->err_op, strerror(f->err));
		else
			pr_warn("event log %s: %s failed: %s; fwd goes on, keeps up to %u KiB of "
			        "events queued, counts what it cannot keep, and tries again every "
			        "second%s",
			        f->path, f->err_op, strerror(f->err), EVFILE_QUEUE_MAX / 1024,
			        f->err == ENOSPC ? " (free some space on its file system)" : "");
		el->file_reported = f->err;
		el->file_reported_op = f->err_op;
	} else if (!f->err && el->file_reported && !is_rotation_op(el->file_reported_op)) {
		/* A warning too: it closes the one that said writing failed. */
		pr_warn("event log %s: writing works again", f->path);
		el->file_reported = 0;
		el->file_reported_op = NULL;
	}
}

static bool file_line(struct eventlog *el, struct json_object *o, uint64_t now)
{
	const char *s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);

	return evfile_write(&el->file, s, strlen(s), now);
}

/* The pending "lost" record, if any; false when it could not be queued. */
static bool file_lost_record(struct eventlog *el, uint64_t now)
{
	struct json_object *lost;
	bool ok;

	if (!el->file_lost)
		return true;
	lost = monitor_lost_json(el->file_lost);
	ok = file_line(el, lost, now);
	json_object_put(lost);
	if (ok)
		el->file_lost = 0;
	return ok;
}

static void file_event(struct eventlog *el, struct json_object *ev, uint64_t now)
{
	if (!file_lost_record(el, now) || !file_line(el, ev, now))
		el->file_lost++;
}

/* ---- the journal ----------------------------------------------------------------------------- */
static void journal_send(struct eventlog *el, struct json_object *ev)
{
	struct event_journal j;
	struct iovec iov[EVENT_JOURNAL_MAX_FIELDS];
	int err = event_journal_build(ev, &j);

	if (!err) {
		for (size_t i = 0; i < j.n; i++)
			iov[i] =
			    (struct iovec){.iov_base = j.field[i], .iov_len = strlen(j.field[i])};
		err = sd_journal_sendv(iov, (int)j.n);
		event_journal_free(&j);
	}
	if (err < 0) {
		el->journal_errors++;
		el->journal_lost++;
		if (!el->journal_reported)
			pr_warn("event log: cannot send events to the journal: %s (is "
			        "systemd-journald running?); fwd goes on and counts what it loses",
			        strerror(-err));
		el->journal_reported = true;
		el->journal_err = err;
		return;
	}
	if (el->journal_reported && el->journal_err)
		pr_warn("event log: sending to the journal works again");
	el->journal_err = 0;
	el->journal_sent++;
}

static void journal_lost_record(struct eventlog *el)
{
	struct json_object *lost;
	uint64_t n = el->journal_lost;

	if (!n)
		return;
	lost = monitor_lost_json(n);
	el->journal_lost = 0;
	journal_send(el, lost);
	json_object_put(lost);
	if (el->journal_err)
		el->journal_lost = n; /* still to say (journal_send counted the record itself) */
}

/* ---- the timer: flush, retry, late "lost" records -------------------------------------------- */
static void tick(struct loop_source *src, uint32_t events)
{
	struct fwd *fwd = src->ctx;
	struct eventlog *el = fwd->evlog;
	uint64_t now = ctmap_now_ns();

	(void)events;
	/* A flood that ended leaves its count: say it now rather than at the next event. */
	if ((el->file_lost || el->journal_lost) && ratelimit_take(&el->rl, now)) {
		if (el->have_file)
			file_lost_record(el, now);
		if (el->journal)
			journal_lost_record(el);
	}
	eventlog_flush(fwd);
}

/* ---- lifetime ----------------------------------------------------------------------------- */
/* Is stderr the journal? systemd sets JOURNAL_STREAM=DEV:INODE of the stream it connected;
 * a stderr redirected elsewhere (by a wrapper script) does not match. */
static bool stderr_is_journal(void)
{
	const char *env = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	if (!env || sscanf(env, "%llu:%llu", &dev, &ino) != 2 || fstat(STDERR_FILENO, &st))
		return false;
	return (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

int eventlog_open(struct fwd *fwd)
{
	const struct fwd_eventlog_options *o = &fwd->opt.evlog;
	struct eventlog *el;
	bool journal = o->given ? o->journal : stderr_is_journal();
	int err;

	if (!o->file && !journal)
		return 0;
	el = calloc(1, sizeof(*el));
	if (!el)
		return -ENOMEM;
	el->timer.fd = -1;
	ratelimit_init(&el->rl, o->rate, o->burst);
	el->journal = journal;
	if (o->file) {
		err = evfile_open(&el->file, o->file, o->max_size, o->keep);
		if (err) {
			pr_warn("cannot open the event log %s: %s (check that its directory exists "
			        "and fwd may write there)",
			        o->file, strerror(-err));
			evfile_close(&el->file, 0);
			free(el);
			return err;
		}
		el->have_file = true;
	}
	err = loop_timer_start(&fwd->loop, &el->timer, 1, tick, fwd, "event log");
	if (err) {
		if (el->have_file)
			evfile_close(&el->file, 0);
		free(el);
		return err;
	}
	fwd->evlog = el;
	pr_info("event log: %s%s%s (%s events, at most %u a second, bursts of %u)",
	        o->file ? o->file : "", o->file && journal ? " and " : "",
	        journal ? "the journal" : "", o->connections ? "log, new and destroy" : "log",
	        o->rate, o->burst);
	return 0;
}

void eventlog_close(struct fwd *fwd)
{
	struct eventlog *el = fwd->evlog;
	uint64_t now = ctmap_now_ns();

	if (!el)
		return;
	loop_timer_stop(&fwd->loop, &el->timer);
	/* The last count goes out whatever the bucket says: there will be no later. */
	if (el->have_file) {
		file_lost_record(el, now);
		evfile_close(&el->file, now);
	}
	if (el->journal)
		journal_lost_record(el);
	free(el);
	fwd->evlog = NULL;
}

/* ---- events ---------------------------------------------------------------------------------- */
bool eventlog_wants(struct fwd *fwd, unsigned int type)
{
	if (!fwd->evlog)
		return false;
	if (type == TCFW_EV_LOG)
		return true;
	return fwd->opt.evlog.connections && (type == TCFW_EV_NEW || type == TCFW_EV_DESTROY);
}

bool eventlog_admit(struct fwd *fwd)
{
	struct eventlog *el = fwd->evlog;

	if (!el)
		return false;
	if (ratelimit_take(&el->rl, ctmap_now_ns())) {
		el->admitted++;
		return true;
	}
	el->rate_limited++;
	if (el->have_file)
		el->file_lost++;
	if (el->journal)
		el->journal_lost++;
	return false;
}

void eventlog_write(struct fwd *fwd, struct json_object *ev)
{
	struct eventlog *el = fwd->evlog;
	uint64_t now = ctmap_now_ns();

	if (!el)
		return;
	if (el->have_file)
		file_event(el, ev, now);
	if (el->journal) {
		journal_lost_record(el);
		journal_send(el, ev);
	}
}

void eventlog_flush(struct fwd *fwd)
{
	struct eventlog *el = fwd->evlog;

	if (!el || !el->have_file)
		return;
	evfile_flush(&el->file, ctmap_now_ns());
	file_report(el);
}

void eventlog_reopen(struct fwd *fwd)
{
	struct eventlog *el = fwd->evlog;

	if (!el || !el->have_file)
		return;
	if (evfile_reopen(&el->file, ctmap_now_ns()) == 0)
		pr_info("event log %s reopened", el->file.path);
	file_report(el);
}

bool eventlog_connections(struct fwd *fwd)
{
	return fwd->evlog && fwd->opt.evlog.connections;
}

struct json_object *eventlog_status(struct fwd *fwd)
{
	const struct fwd_eventlog_options *opt = &fwd->opt.evlog;
	struct eventlog *el = fwd->evlog;
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "path",
	                       el && el->have_file ? json_object_new_string(el->file.path) : NULL);
	json_object_object_add(o, "journal", json_object_new_boolean(el && el->journal));
	if (!el)
		return o;
	json_object_object_add(o, "connections", json_object_new_boolean(opt->connections));
	json_add_u64(o, "rate", opt->rate);
	json_add_u64(o, "burst", opt->burst);
	json_add_u64(o, "logged", el->admitted);
	json_add_u64(o, "dropped_rate_limited", el->rate_limited);
	if (el->have_file) {
		const struct evfile *f = &el->file;

		json_add_u64(o, "max_size", f->max_size);
		json_add_u64(o, "keep", f->keep);
		json_add_u64(o, "written", f->written);
		json_add_u64(o, "queued_bytes", f->len);
		json_add_u64(o, "dropped_write_errors", f->dropped);
		json_add_u64(o, "write_errors", f->write_errors);
		json_add_u64(o, "rotations", f->rotations);
		json_add_u64(o, "reopens", f->reopens);
		if (f->err) {
			char msg[160];

			snprintf(msg, sizeof(msg), "%s: %s", f->err_op, strerror(f->err));
			json_object_object_add(o, "error", json_object_new_string(msg));
		}
	}
	if (el->journal) {
		json_add_u64(o, "journal_sent", el->journal_sent);
		json_add_u64(o, "journal_errors", el->journal_errors);
		if (el->journal_err)
			json_object_object_add(o, "journal_error",
			                       json_object_new_string(strerror(-el->journal_err)));
	}
	return o;
}
