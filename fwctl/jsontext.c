// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * jsontext.c - any JSON value from fwd as readable text. Generic on purpose: a field fwd adds
 * later shows up in `fwctl status` without a fwctl change, and -j passes the same object on.
 */
#include <stdbool.h>
#include <string.h>

#include "jsontext.h"
#include "out.h"

static bool is_container(struct json_object *v)
{
	return json_object_is_type(v, json_type_object) || json_object_is_type(v, json_type_array);
}

const char *jsontext_scalar(struct json_object *v)
{
	if (!v)
		return "null";
	if (json_object_is_type(v, json_type_string))
		return json_object_get_string(v);
	return json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN);
}

/* An object whose members are all scalars fits on one line. */
static bool is_flat_object(struct json_object *o)
{
	if (!json_object_is_type(o, json_type_object))
		return false;
	json_object_object_foreach(o, key, v)
	{
		(void)key;
		if (is_container(v))
			return false;
	}
	return true;
}

static bool all_scalars(struct json_object *a)
{
	for (size_t i = 0; i < json_object_array_length(a); i++)
		if (is_container(json_object_array_get_idx(a, i)))
			return false;
	return true;
}

static bool skipped(const char *key, const char *const *skip)
{
	for (size_t i = 0; skip && skip[i]; i++)
		if (strcmp(key, skip[i]) == 0)
			return true;
	return false;
}

void jsontext_pairs(struct json_object *o, const char *const *skip)
{
	json_object_object_foreach(o, key, v)
	{
		if (skipped(key, skip))
			continue;
		if (json_object_is_type(v, json_type_object)) {
			jsontext_pairs(v, skip);
		} else if (json_object_is_type(v, json_type_array)) {
			out_text(" %s=", key);
			for (size_t i = 0; i < json_object_array_length(v); i++)
				out_text("%s%s", i ? "," : "",
				         jsontext_scalar(json_object_array_get_idx(v, i)));
		} else {
			out_text(" %s=%s", key, jsontext_scalar(v));
		}
	}
}

static void array_block(const char *key, struct json_object *a, int indent)
{
	size_t n = json_object_array_length(a);

	if (n == 0) {
		out_text("%*s%s: (none)\n", indent, "", key);
		return;
	}
	if (all_scalars(a)) {
		out_text("%*s%s: ", indent, "", key);
		for (size_t i = 0; i < n; i++)
			out_text("%s%s", i ? ", " : "",
			         jsontext_scalar(json_object_array_get_idx(a, i)));
		out_text("\n");
		return;
	}
	out_text("%*s%s:\n", indent, "", key);
	for (size_t i = 0; i < n; i++) {
		struct json_object *e = json_object_array_get_idx(a, i);

		if (is_flat_object(e)) {
			out_text("%*s-", indent + 2, "");
			jsontext_pairs(e, NULL);
			out_text("\n");
		} else if (json_object_is_type(e, json_type_object)) {
			out_text("%*s-\n", indent + 2, "");
			jsontext_block(e, indent + 4);
		} else {
			out_text("%*s- %s\n", indent + 2, "", jsontext_scalar(e));
		}
	}
}

void jsontext_block(struct json_object *o, int indent)
{
	if (!json_object_is_type(o, json_type_object)) {
		out_text("%*s%s\n", indent, "", jsontext_scalar(o));
		return;
	}
	json_object_object_foreach(o, key, v)
	{
		if (json_object_is_type(v, json_type_object)) {
			out_text("%*s%s:\n", indent, "", key);
			jsontext_block(v, indent + 2);
		} else if (json_object_is_type(v, json_type_array)) {
			array_block(key, v, indent);
		} else {
			out_text("%*s%s: %s\n", indent, "", key, jsontext_scalar(v));
		}
	}
}
