// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * out.c - text and JSON output from the same calls.
 *
 * Text mode prints each field's format straight away and ignores keys and containers. JSON mode
 * builds values with json-c (so escaping is json-c's) on a stack of open containers and writes
 * a top-level value when it is complete. A top-level array is streamed: "[" when it opens, each
 * element as soon as that element is closed, "]" when the array closes; nothing but the element
 * being built is held in memory. A top-level object or scalar is written, followed by a newline,
 * when it is complete: successive top-level objects give one JSON document per line (`monitor`).
 */
#include <stdarg.h>
#include <stdlib.h>

#include <json-c/json.h>

#include "log.h"
#include "out.h"

#define OUT_MAX_DEPTH 16
#define JSON_FLAGS    (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)
#define JSON_PRETTY                                                                                \
	(JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED | JSON_C_TO_STRING_NOSLASHESCAPE)

struct frame {
	/* The container being filled. Inside another container it is owned by that parent (added
	 * when opened); at the top level or as an element of the streamed array it is ours until
	 * it closes and is written. NULL for the streamed top-level array itself. */
	struct json_object *obj;
	bool owned;
	bool streamed;          /* top-level array written element by element */
	unsigned long elements; /* streamed: elements written so far (for the commas) */
};

static struct {
	FILE *f;
	bool json;
	bool pretty;
	int depth;
	struct frame stack[OUT_MAX_DEPTH];
} out = {.depth = 0};

static FILE *out_file(void)
{
	return out.f ? out.f : stdout;
}

void out_init(FILE *f, bool json)
{
	while (out.depth > 0) {
		struct frame *fr = &out.stack[--out.depth];

		if (fr->owned)
			json_object_put(fr->obj);
	}
	out.f = f;
	out.json = json;
}

void out_set_pretty(bool pretty)
{
	out.pretty = pretty;
}

bool out_is_json(void)
{
	return out.json;
}

/* A programming error in a caller (unbalanced containers): say where and stop, rather than
 * print JSON that does not parse. */
static void out_bug(const char *what)
{
	pr_warn("out: internal error: %s", what);
	abort();
}

static void write_value(struct json_object *v)
{
	fputs(json_object_to_json_string_ext(v, out.pretty ? JSON_PRETTY : JSON_FLAGS), out_file());
}

/* Write v: as the top-level value (then a newline) or as the next element of the streamed
 * top-level array. */
static void write_complete(struct json_object *v)
{
	struct frame *parent = out.depth ? &out.stack[out.depth - 1] : NULL;

	if (parent)
		fputs(parent->elements++ ? ",\n" : "\n", out_file());
	write_value(v);
	if (!parent)
		fputc('\n', out_file());
}

/* True when a value created now has no parent in memory and is written once complete. */
static bool at_top(void)
{
	return out.depth == 0 || out.stack[out.depth - 1].streamed;
}

/* Hand v (a new reference) to the open container, or write it when it is complete on its own. */
static void place(const char *key, struct json_object *v)
{
	struct json_object *parent;

	if (at_top()) {
		write_complete(v);
		json_object_put(v);
		return;
	}
	parent = out.stack[out.depth - 1].obj;
	if (json_object_is_type(parent, json_type_array)) {
		json_object_array_add(parent, v);
	} else {
		if (!key)
			out_bug("a field inside an object has no key");
		json_object_object_add(parent, key, v);
	}
}

static void push(struct json_object *obj, bool owned, bool streamed)
{
	if (out.depth == OUT_MAX_DEPTH)
		out_bug("containers nested too deep");
	out.stack[out.depth++] = (struct frame){.obj = obj, .owned = owned, .streamed = streamed};
}

static void open_container(const char *key, struct json_object *obj)
{
	bool owned = at_top();

	if (!owned) /* the parent takes our reference; we keep using the object until close */
		place(key, obj);
	push(obj, owned, false);
}

static void close_container(json_type type)
{
	struct frame fr;

	if (out.depth == 0)
		out_bug("close without a matching open");
	fr = out.stack[--out.depth];
	if (fr.streamed) {
		if (type != json_type_array)
			out_bug("closing the top-level array as an object");
		fputs(fr.elements ? "\n]\n" : "]\n", out_file());
		return;
	}
	if (!json_object_is_type(fr.obj, type))
		out_bug("closing a container of the other kind");
	if (fr.owned) {
		write_complete(fr.obj);
		json_object_put(fr.obj);
	}
}

void out_open_object(const char *key)
{
	if (out.json)
		open_container(key, json_object_new_object());
}

void out_close_object(void)
{
	if (out.json)
		close_container(json_type_object);
}

void out_open_array(const char *key)
{
	if (!out.json)
		return;
	if (out.depth == 0) {
		fputc('[', out_file());
		push(NULL, false, true);
		return;
	}
	open_container(key, json_object_new_array());
}

void out_close_array(void)
{
	if (out.json)
		close_container(json_type_array);
}

void out_str(const char *key, const char *text_fmt, const char *value)
{
	if (out.json)
		place(key, value ? json_object_new_string(value) : NULL);
	else if (text_fmt)
		fprintf(out_file(), text_fmt, value ? value : "");
}

void out_uint(const char *key, const char *text_fmt, uint64_t value)
{
	if (out.json)
		place(key, json_object_new_uint64(value));
	else if (text_fmt)
		fprintf(out_file(), text_fmt, value);
}

void out_int(const char *key, const char *text_fmt, int64_t value)
{
	if (out.json)
		place(key, json_object_new_int64(value));
	else if (text_fmt)
		fprintf(out_file(), text_fmt, value);
}

void out_bool(const char *key, const char *text_fmt, bool value)
{
	if (out.json)
		place(key, json_object_new_boolean(value));
	else if (text_fmt)
		fprintf(out_file(), text_fmt, value ? "true" : "false");
}

void out_null(const char *key)
{
	if (out.json)
		place(key, NULL);
}

void out_json(const char *key, struct json_object *value)
{
	if (out.json)
		place(key, json_object_get(value));
}

void out_text(const char *fmt, ...)
{
	va_list ap;

	if (out.json)
		return;
	va_start(ap, fmt);
	vfprintf(out_file(), fmt, ap);
	va_end(ap);
}

void out_finish(void)
{
	while (out.json && out.depth > 0) {
		if (out.stack[out.depth - 1].streamed ||
		    json_object_is_type(out.stack[out.depth - 1].obj, json_type_array))
			out_close_array();
		else
			out_close_object();
	}
	fflush(out_file());
}
