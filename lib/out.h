/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * out.h - text and JSON output from the same calls (iproute2's json_print idea).
 *
 * Every field is printed once: out_uint("bytes", "bytes=%" PRIu64 " ", n) writes
 * `bytes=123 ` in text mode and "bytes":123 in JSON mode. A NULL text format prints the field
 * in JSON only; out_text() prints in text mode only. JSON is built with json-c (escaping is
 * json-c's) and streamed: each element of the top-level array is written when it is closed,
 * so listing a million connections does not hold them all in memory.
 */
#ifndef TCFW_OUT_H
#define TCFW_OUT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

void out_init(FILE *f, bool json);
/* JSON indented for people (fwctl -p); one line per document otherwise. */
void out_set_pretty(bool pretty);
bool out_is_json(void);

/* Containers: key is the member name inside an object, NULL inside an array / at top. */
void out_open_object(const char *key);
void out_close_object(void);
void out_open_array(const char *key);
void out_close_array(void);

void out_str(const char *key, const char *text_fmt, const char *value);
void out_uint(const char *key, const char *text_fmt, uint64_t value);
void out_int(const char *key, const char *text_fmt, int64_t value);
void out_bool(const char *key, const char *text_fmt, bool value);
void out_null(const char *key);
/* Pass a json-c value through unchanged (JSON mode; takes its own reference). Text mode prints
 * nothing: the caller formats the text. */
struct json_object;
void out_json(const char *key, struct json_object *value);
void out_text(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Flush everything still open (closes the JSON document with a newline). */
void out_finish(void);

#endif
