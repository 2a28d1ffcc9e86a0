/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * jsontext.h - fwd's answers (status, rules, events) are JSON; these print any JSON value
 * readably in text mode, so fwctl shows every field fwd sends, including ones added later.
 */
#ifndef FWCTL_JSONTEXT_H
#define FWCTL_JSONTEXT_H

#include <json-c/json.h>

/* Indented "key: value" lines; nested objects indent, arrays of flat objects are one line
 * per element ("- k=v k=v"). Printed with out_text (nothing in JSON mode). */
void jsontext_block(struct json_object *o, int indent);
/* An object's members as " key=value" pairs (each after a space) on the current line, nested
 * objects' members inline, skipping the keys listed in skip (NULL-terminated, may be NULL). */
void jsontext_pairs(struct json_object *o, const char *const *skip);
/* A scalar as text: strings raw, true/false, numbers. */
const char *jsontext_scalar(struct json_object *v);

#endif
