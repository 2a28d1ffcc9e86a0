/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * event_file.h - an append-only file of text lines with size-based rotation, for fwd's event
 * log. Nothing here logs or knows JSON: fwd formats the lines and reports the errors.
 *
 * Lines are queued in memory and written with one write() per evfile_flush() (fwd flushes
 * after each batch of events and once a second), so a burst costs one system call, and a
 * disk that stalls holds fwd's loop for one write, not one per event.
 *
 * Rotation: before a line that would take the file past max_size, the file is closed and
 * renamed FILE -> FILE.1 (FILE.1 -> FILE.2, ... FILE.keep-1 -> FILE.keep; FILE.keep is
 * overwritten), and a new FILE is opened. keep 0 removes FILE instead; max_size 0 never
 * rotates (logrotate's business then: evfile_reopen() after it moved the file).
 *
 * Errors (a full disk, a removed directory) are never fatal: the line stays queued while the
 * queue has room (EVFILE_QUEUE_MAX), and is dropped and counted beyond it; writing is tried
 * again at the next flush once retry_ns has passed. A line is never split between two files
 * and a partial write continues where it stopped, so the file holds whole lines.
 */
#ifndef TCFW_EVENT_FILE_H
#define TCFW_EVENT_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define EVFILE_QUEUE_MAX (1u << 20) /* bytes queued at most (while writes fail) */
#define EVFILE_RETRY_NS  1000000000ull
#define EVFILE_KEEP_MAX  100
#define EVFILE_MODE      0640

struct evfile {
	char *path;
	int fd; /* -1: not open (an open that failed is retried like a write) */
	uint64_t max_size;
	unsigned int keep;
	uint64_t size; /* bytes in FILE as far as we know, queued ones included */

	char *buf; /* queued bytes, whole lines (the first may be a partly written one) */
	size_t len, cap;

	/* Counters since evfile_open(). */
	uint64_t lines;   /* lines queued (accepted) */
	uint64_t written; /* lines written out completely */
	uint64_t dropped; /* lines refused: the queue was full while writes failed */
	uint64_t rotations;
	uint64_t reopens;      /* evfile_reopen() calls that opened the file */
	uint64_t write_errors; /* failed write/open/rename calls */

	/* The last error: 0 when the last attempt worked. err_op names the call. */
	int err;
	const char *err_op;
	uint64_t retry_ns; /* no new attempt before this (CLOCK_MONOTONIC ns) */
};

/* Open (create, append to) path. 0, or -errno with f->err/err_op set (f is usable anyway:
 * it keeps trying). */
int evfile_open(struct evfile *f, const char *path, uint64_t max_size, unsigned int keep);
/* Queue one line; "\n" is appended. false when it was dropped (queue full). Rotates first
 * when the line would take the file past max_size. */
bool evfile_write(struct evfile *f, const char *line, size_t len, uint64_t now_ns);
/* Write the queue out. 0 when it is empty afterwards, else -errno (also -EAGAIN while an
 * earlier error's retry time has not come). */
int evfile_flush(struct evfile *f, uint64_t now_ns);
/* Flush, close and open path again (after an external rename: logrotate). 0 or -errno. */
int evfile_reopen(struct evfile *f, uint64_t now_ns);
/* Flush what can be written and close. */
void evfile_close(struct evfile *f, uint64_t now_ns);

#endif
