// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * log.c - the one logger of fwd and fwctl (see log.h).
 *
 * Everything goes to stderr as "prog: message". Warnings are always shown, notices at the
 * level fwd starts with, info with -v, debug with -vv. libbpf's messages are routed here one
 * level quieter, so its warnings (often expected, e.g. probing features) only appear with -v.
 * Under systemd the journal reads a "<N>" prefix as the line's priority (sd-daemon(3)).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <bpf/libbpf.h>
#include <systemd/sd-daemon.h>

#include "log.h"

static const char *log_prog = "tcfw";
static enum log_level log_level = LOG_LEVEL_WARN;
static bool log_prefixes;

void log_init(const char *prog, enum log_level level)
{
	const char *slash = prog ? strrchr(prog, '/') : NULL;

	if (prog)
		log_prog = slash ? slash + 1 : prog;
	log_level = level;
}

/* JOURNAL_STREAM is "DEV:INODE" of the journal's stream; stderr must still be that stream
 * (a child whose stderr was redirected inherits the variable but not the journal). */
void log_journal_prefixes_auto(void)
{
	const char *js = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	log_prefixes = js && sscanf(js, "%llu:%llu", &dev, &ino) == 2 && fstat(2, &st) == 0 &&
	               (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

static const char *priority_prefix(enum log_level level)
{
	switch (level) {
	case LOG_LEVEL_WARN:
		return SD_ERR; /* pr_warn carries the errors too: journalctl -p err shows both */
	case LOG_LEVEL_NOTICE:
		return SD_NOTICE;
	case LOG_LEVEL_INFO:
		return SD_INFO;
	default:
		return SD_DEBUG;
	}
}

enum log_level log_get_level(void)
{
	return log_level;
}

static void log_vprint(enum log_level level, const char *fmt, va_list ap)
{
	char line[4096];
	size_t n;
	int saved_errno = errno; /* callers often print strerror(errno) after us */

	if (level > log_level)
		return;
	vsnprintf(line, sizeof(line), fmt, ap);
	/* One message is one line: drop a trailing newline the caller (or libbpf) added. */
	n = strlen(line);
	while (n > 0 && line[n - 1] == '\n')
		line[--n] = '\0';
	/* One prefix per line: the program's name, or under the journal (which adds the name)
	 * the priority, which it reads line by line, so that every line of a message of several
	 * (policy diagnostics) is an error there too. */
	for (char *p = line, *nl; p; p = nl ? nl + 1 : NULL) {
		nl = strchr(p, '\n');
		if (log_prefixes)
			fputs(priority_prefix(level), stderr);
		else
			fprintf(stderr, "%s: ", log_prog);
		fprintf(stderr, "%.*s\n", (int)(nl ? nl - p : (ptrdiff_t)strlen(p)), p);
	}
	errno = saved_errno;
}

void pr_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vprint(LOG_LEVEL_WARN, fmt, ap);
	va_end(ap);
}

void pr_vwarn(const char *fmt, va_list ap)
{
	log_vprint(LOG_LEVEL_WARN, fmt, ap);
}

void pr_notice(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vprint(LOG_LEVEL_NOTICE, fmt, ap);
	va_end(ap);
}

void pr_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vprint(LOG_LEVEL_INFO, fmt, ap);
	va_end(ap);
}

void pr_debug(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vprint(LOG_LEVEL_DEBUG, fmt, ap);
	va_end(ap);
}

/* libbpf's levels mapped one step quieter; its debug output needs a level beyond -vv. */
static int log_libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	enum log_level ours;

	switch (level) {
	case LIBBPF_WARN:
		ours = LOG_LEVEL_INFO;
		break;
	case LIBBPF_INFO:
		ours = LOG_LEVEL_DEBUG;
		break;
	default:
		ours = (enum log_level)(LOG_LEVEL_DEBUG + 1);
		break;
	}
	log_vprint(ours, fmt, ap);
	return 0;
}

void log_route_libbpf(void)
{
	libbpf_set_print(log_libbpf_print);
}
