// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * event_file.c - the event log's file: queue, write, rotate, reopen (see event_file.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "event_file.h"

static void set_error(struct evfile *f, const char *op, int err, uint64_t now_ns)
{
	f->err = err;
	f->err_op = op;
	f->write_errors++;
	f->retry_ns = now_ns + EVFILE_RETRY_NS;
}

static void clear_error(struct evfile *f)
{
	f->err = 0;
	f->err_op = NULL;
	f->retry_ns = 0;
}

/* Open FILE for appending; size from what it already holds. */
static int open_file(struct evfile *f, uint64_t now_ns)
{
	struct stat st;
	int fd = open(f->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, EVFILE_MODE);

	if (fd < 0) {
		int err = errno;

		set_error(f, "open", err, now_ns);
		return -err;
	}
	f->fd = fd;
	f->size = f->len;
	if (fstat(fd, &st) == 0)
		f->size += (uint64_t)st.st_size;
	return 0;
}

static void close_file(struct evfile *f)
{
	if (f->fd >= 0)
		close(f->fd);
	f->fd = -1;
}

int evfile_open(struct evfile *f, const char *path, uint64_t max_size, unsigned int keep)
{
	memset(f, 0, sizeof(*f));
	f->fd = -1;
	f->max_size = max_size;
	f->keep = keep > EVFILE_KEEP_MAX ? EVFILE_KEEP_MAX : keep;
	f->path = strdup(path);
	if (!f->path)
		return -ENOMEM;
	return open_file(f, 0);
}

/* Complete lines in buf[0..n): how many newlines. */
static uint64_t count_lines(const char *buf, size_t n)
{
	uint64_t lines = 0;

	for (const char *p = buf; (p = memchr(p, '\n', n - (size_t)(p - buf))); p++)
		lines++;
	return lines;
}

int evfile_flush(struct evfile *f, uint64_t now_ns)
{
	size_t off = 0;
	int ret = 0;

	if (!f->len)
		return 0;
	if (f->err && now_ns < f->retry_ns)
		return -EAGAIN;
	if (f->fd < 0 && open_file(f, now_ns) < 0)
		return -f->err;
	while (off < f->len) {
		ssize_t n = write(f->fd, f->buf + off, f->len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			ret = n < 0 ? -errno : -EIO;
			set_error(f, "write", -ret, now_ns);
			break;
		}
		off += (size_t)n;
	}
	f->written += count_lines(f->buf, off);
	memmove(f->buf, f->buf + off, f->len - off);
	f->len -= off;
	if (!ret)
		clear_error(f);
	return ret;
}

/* FILE.i -> FILE.i+1 for i = keep-1 .. 1, FILE -> FILE.1; keep 0: FILE removed. */
static int rotate(struct evfile *f, uint64_t now_ns)
{
	size_t plen = strlen(f->path) + 16;
	char *from = malloc(plen), *to = malloc(plen);
	int ret = 0;

	if (!from || !to) {
		ret = -ENOMEM;
		goto out;
	}
	if (f->keep == 0) {
		if (unlink(f->path) && errno != ENOENT)
			ret = -errno;
	} else {
		for (unsigned int i = f->keep - 1; i >= 1; i--) {
			snprintf(from, plen, "%s.%u", f->path, i);
			snprintf(to, plen, "%s.%u", f->path, i + 1);
			if (rename(from, to) && errno != ENOENT) {
				ret = -errno;
				break;
			}
		}
		if (!ret && rename(f->path, from) && errno != ENOENT)
			ret = -errno;
		if (!ret)
			snprintf(from, plen, "%s.1", f->path);
	}
	if (ret) {
		/* Go on appending to FILE: a log that grows beats one that stops. */
		set_error(f, f->keep ? "rename" : "unlink", -ret, now_ns);
		goto out;
	}
	close_file(f);
	f->rotations++;
	f->size = f->len;
	ret = open_file(f, now_ns);
out:
	free(from);
	free(to);
	return ret;
}

bool evfile_write(struct evfile *f, const char *line, size_t len, uint64_t now_ns)
{
	if (f->max_size && f->size > 0 && f->size + len + 1 > f->max_size &&
	    !(f->err && now_ns < f->retry_ns)) {
		/* The queue belongs in the file being closed: out first, then rotate. */
		if (evfile_flush(f, now_ns) == 0 && f->fd >= 0)
			rotate(f, now_ns);
	}
	if (f->len + len + 1 > EVFILE_QUEUE_MAX) {
		f->dropped++;
		return false;
	}
	if (f->len + len + 1 > f->cap) {
		size_t cap = f->cap ? f->cap : 4096;
		char *b;

		while (cap < f->len + len + 1)
			cap *= 2;
		b = realloc(f->buf, cap);
		if (!b) {
			f->dropped++;
			return false;
		}
		f->buf = b;
		f->cap = cap;
	}
	memcpy(f->buf + f->len, line, len);
	f->buf[f->len + len] = '\n';
	f->len += len + 1;
	f->size += len + 1;
	f->lines++;
	return true;
}

int evfile_reopen(struct evfile *f, uint64_t now_ns)
{
	int ret;

	/* Queued lines were meant for the file that was there: try once more, regardless of a
	 * retry time (this is an operator's request). */
	f->retry_ns = 0;
	evfile_flush(f, now_ns);
	close_file(f);
	ret = open_file(f, now_ns);
	if (ret == 0) {
		f->reopens++;
		if (!f->len)
			clear_error(f);
	}
	return ret;
}

void evfile_close(struct evfile *f, uint64_t now_ns)
{
	f->retry_ns = 0;
	evfile_flush(f, now_ns);
	close_file(f);
	free(f->buf);
	free(f->path);
	f->buf = NULL;
	f->path = NULL;
	f->len = f->cap = 0;
}
