// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * event_journal.c - journald fields and the human line of an event (see event_journal.h).
 */
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "event_journal.h"

static const char *str_member(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !v)
		return NULL;
	return json_object_get_string(v);
}

static int add(struct event_journal *j, const char *name, const char *value)
{
	char *f;

	if (j->n == EVENT_JOURNAL_MAX_FIELDS)
		return 0; /* a fixed cap: an event never has this many members */
	if (asprintf(&f, "%s=%s", name, value) < 0)
		return -ENOMEM;
	j->field[j->n++] = f;
	return 0;
}

/* TCFW_<PATH>: upper case, anything but letters and digits as '_' (journald's rule). */
static void field_name(char *buf, size_t len, const char *path, const char *key)
{
	static const struct {
		const char *key, *name;
	} renamed[] = {{"type", "EVENT"}, {"id", "ICMP_ID"}, {"count", "LOST"}};
	size_t n;

	if (!*path)
		for (size_t i = 0; i < sizeof(renamed) / sizeof(renamed[0]); i++)
			if (!strcmp(key, renamed[i].key))
				key = renamed[i].name;
	n = (size_t)snprintf(buf, len, "TCFW_%s%s%s", path, *path ? "_" : "", key);
	for (size_t i = 5; i < n && i < len; i++)
		buf[i] =
		    isalnum((unsigned char)buf[i]) ? (char)toupper((unsigned char)buf[i]) : '_';
}

static int add_members(struct event_journal *j, struct json_object *o, const char *path)
{
	char name[64], sub[64];

	json_object_object_foreach(o, key, v)
	{
		int err = 0;

		if (!*path && !strcmp(key, "time_ns"))
			continue;
		field_name(name, sizeof(name), path, key);
		if (json_object_is_type(v, json_type_object)) {
			snprintf(sub, sizeof(sub), "%s", name + 5); /* without TCFW_ */
			err = add_members(j, v, sub);
		} else if (!json_object_is_type(v, json_type_array) && v) {
			err = add(j, name, json_object_get_string(v));
		}
		if (err)
			return err;
	}
	return 0;
}

static int priority(struct json_object *ev)
{
	const char *type = str_member(ev, "type"), *verdict = str_member(ev, "verdict");

	if (type && !strcmp(type, "lost"))
		return LOG_WARNING;
	if (type && !strcmp(type, "log"))
		return verdict && !strcmp(verdict, "accept") ? LOG_NOTICE : LOG_WARNING;
	return LOG_INFO;
}

int event_journal_build(struct json_object *ev, struct event_journal *j)
{
	char *msg = event_journal_message(ev), prio[4];
	const char *type = str_member(ev, "type");
	int err;

	memset(j, 0, sizeof(*j));
	if (!msg)
		return -ENOMEM;
	snprintf(prio, sizeof(prio), "%d", priority(ev));
	err = add(j, "MESSAGE", msg);
	free(msg);
	if (!err)
		err = add(j, "PRIORITY", prio);
	if (!err)
		err = add(j, "SYSLOG_IDENTIFIER", "fwd");
	if (!err && type && !strcmp(type, "log"))
		err = add(j, "MESSAGE_ID", EVENT_JOURNAL_LOG_ID);
	if (!err)
		err = add_members(j, ev, "");
	if (err)
		event_journal_free(j);
	return err;
}

void event_journal_free(struct event_journal *j)
{
	for (size_t i = 0; i < j->n; i++)
		free(j->field[i]);
	j->n = 0;
}

const char *event_journal_get(const struct event_journal *j, const char *name)
{
	size_t len = strlen(name);

	for (size_t i = 0; i < j->n; i++)
		if (!strncmp(j->field[i], name, len) && j->field[i][len] == '=')
			return j->field[i] + len + 1;
	return NULL;
}

/* "addr:port", "[v6]:port", or the address alone when there is no port. */
static void endpoint(FILE *f, struct json_object *ev, const char *addr_key, const char *port_key)
{
	const char *addr = str_member(ev, addr_key), *port = str_member(ev, port_key);
	bool v6 = addr && strchr(addr, ':');

	if (!addr)
		addr = "?";
	if (!port)
		fputs(addr, f);
	else
		fprintf(f, v6 ? "[%s]:%s" : "%s:%s", addr, port);
}

/* "tcp 10.0.0.2:40000 -> 192.0.2.1:80" / "icmp 10.0.0.2 -> 192.0.2.1 id 9" */
static void tuple(FILE *f, struct json_object *ev)
{
	const char *proto = str_member(ev, "proto"), *id = str_member(ev, "id");

	fprintf(f, "%s ", proto ? proto : "?");
	endpoint(f, ev, "src", "sport");
	fputs(" -> ", f);
	endpoint(f, ev, "dst", "dport");
	if (id)
		fprintf(f, " id %s", id);
}

static void decision(FILE *f, struct json_object *ev)
{
	const char *chain = str_member(ev, "chain"), *verdict = str_member(ev, "verdict");
	const char *ifname = str_member(ev, "ifname"), *rule = str_member(ev, "rule");

	fprintf(f, "%s %s ", chain ? chain : "?", verdict ? verdict : "?");
	tuple(f, ev);
	if (ifname)
		fprintf(f, " on %s", ifname);
	if (!rule || !strcmp(rule, "0"))
		fputs(" (default)", f);
	else
		fprintf(f, " (rule %s)", rule);
}

char *event_journal_message(struct json_object *ev)
{
	const char *type = str_member(ev, "type"), *prefix = str_member(ev, "prefix");
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	if (!type)
		type = "?";
	if (!strcmp(type, "log")) {
		fprintf(f, "%s: ", prefix ? prefix : "tcfw log");
		decision(f, ev);
	} else if (!strcmp(type, "new")) {
		fputs("new connection: ", f);
		decision(f, ev);
	} else if (!strcmp(type, "destroy")) {
		const char *reason = str_member(ev, "reason"), *age = str_member(ev, "age_s");

		fprintf(f, "connection ended (%s): ", reason ? reason : "?");
		tuple(f, ev);
		if (age)
			fprintf(f, " after %s s", age);
	} else if (!strcmp(type, "lost")) {
		const char *count = str_member(ev, "count");

		fprintf(f,
		        "%s events not logged (over the event log's rate limit, or lost to "
		        "errors writing them)",
		        count ? count : "?");
	} else {
		fprintf(f, "tcfw %s event: ", type);
		tuple(f, ev);
	}
	if (fclose(f)) {
		free(buf);
		return NULL;
	}
	return buf;
}
