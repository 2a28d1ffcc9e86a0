/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * json_add.h - one member added to a json-c object in one call, for the objects fwd answers
 * with (status, event log) and the bench writes: key and value, the value's json-c type named
 * by the function.
 */
#ifndef TCFW_JSON_ADD_H
#define TCFW_JSON_ADD_H

#include <stdbool.h>
#include <stdint.h>

#include <json-c/json.h>

/* v NULL adds null. */
static inline void json_add_str(struct json_object *o, const char *key, const char *v)
{
	json_object_object_add(o, key, v ? json_object_new_string(v) : NULL);
}

static inline void json_add_u64(struct json_object *o, const char *key, uint64_t v)
{
	json_object_object_add(o, key, json_object_new_int64((int64_t)v));
}

static inline void json_add_i64(struct json_object *o, const char *key, int64_t v)
{
	json_object_object_add(o, key, json_object_new_int64(v));
}

static inline void json_add_double(struct json_object *o, const char *key, double v)
{
	json_object_object_add(o, key, json_object_new_double(v));
}

static inline void json_add_bool(struct json_object *o, const char *key, bool v)
{
	json_object_object_add(o, key, json_object_new_boolean(v));
}

#endif
