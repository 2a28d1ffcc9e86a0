/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * log.h - one logger for fwd and fwctl. Messages go to stderr prefixed with the program name
 * ("fwctl: ..."); fwd in the foreground does the same. libbpf's own output is routed here one
 * level quieter (its warnings become info), so `-v` shows it and a normal run stays readable.
 *
 * Notices sit between warnings and info: what an operator of fwd wants in the journal without
 * -v (started, attached to, reloaded, stopping), a few lines per event, never per packet or
 * per connection. fwctl prints none.
 */
#ifndef TCFW_LOG_H
#define TCFW_LOG_H

#include <stdarg.h>

enum log_level {
	LOG_LEVEL_WARN = 0,
	LOG_LEVEL_NOTICE = 1,
	LOG_LEVEL_INFO = 2,
	LOG_LEVEL_DEBUG = 3,
};

void log_init(const char *prog, enum log_level level);
/* Prefix each line with its syslog priority ("<3>", sd-daemon.h's SD_ERR ...) when stderr is
 * the journal (JOURNAL_STREAM names it, as systemd sets it for a service), so that journalctl
 * -p and its colours know errors from notices. For fwd only: fwctl's stderr is a person's. */
void log_journal_prefixes_auto(void);
enum log_level log_get_level(void);
/* Route libbpf's print callback through this logger (one level quieter). */
void log_route_libbpf(void);

void pr_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void pr_notice(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void pr_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void pr_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* pr_warn() for a caller that takes the arguments itself (fwctl_usage_error()). */
void pr_vwarn(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

#endif
