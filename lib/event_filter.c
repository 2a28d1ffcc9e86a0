// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * event_filter.c - `fwctl monitor`'s filter and event times. The tuple words are the connection
 * filter's own (ct_filter_parse) and are matched by ct_filter_match() on a tuple and entry
 * rebuilt from the event, so monitor and `ct list` can never read the same words differently.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "addr.h"
#include "event_filter.h"
#include "names.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define NSEC_PER_SEC  1000000000LL

static const struct {
	const char *name;
	uint32_t bit;
} types[] = {
    {"new", EVENT_NEW},
    {"destroy", EVENT_DESTROY},
    {"log", EVENT_LOG},
    {"invalid", EVENT_INVALID},
};

static int parse_types(const char *v, uint32_t *out, char *err, size_t errlen)
{
	const char *names[ARRAY_SIZE(types)], *p = v;
	char word[32];

	for (size_t i = 0; i < ARRAY_SIZE(types); i++)
		names[i] = types[i].name;
	do {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);
		uint32_t bit = 0;

		snprintf(word, sizeof(word), "%.*s", (int)len, p);
		for (size_t i = 0; i < ARRAY_SIZE(types); i++)
			if (strcmp(word, types[i].name) == 0)
				bit = types[i].bit;
		if (!bit) {
			const char *hint = name_suggest(word, names, ARRAY_SIZE(types));

			if (hint)
				snprintf(err, errlen,
				         "unknown event type '%s' (did you mean '%s'?)", word,
				         hint);
			else
				snprintf(err, errlen,
				         "unknown event type '%s' (expected new, destroy, log or "
				         "invalid, or several joined by commas)",
				         word);
			return -EINVAL;
		}
		*out |= bit;
		p = comma ? comma + 1 : NULL;
	} while (p);
	return 0;
}

int event_filter_parse(int argc, char **argv, struct event_filter *f, char *err, size_t errlen)
{
	char *rest[64];
	int n = 0;

	memset(f, 0, sizeof(*f));
	/* "type" is monitor's own word; the others go to the connection filter, in order. */
	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "type") == 0) {
			if (i + 1 >= argc) {
				snprintf(err, errlen,
				         "'type' needs a value: new, destroy, log or invalid (or "
				         "several joined by commas)");
				return -EINVAL;
			}
			if (f->types) {
				snprintf(err, errlen,
				         "'type' given twice (write several types as one word: "
				         "type new,destroy)");
				return -EINVAL;
			}
			if (parse_types(argv[++i], &f->types, err, errlen) < 0)
				return -EINVAL;
			continue;
		}
		if (n == (int)ARRAY_SIZE(rest)) {
			snprintf(err, errlen, "too many filter words");
			return -EINVAL;
		}
		rest[n++] = argv[i];
		if (i + 1 < argc)
			rest[n++] = argv[++i];
	}
	return ct_filter_parse(n, rest, &f->ct, err, errlen);
}

static uint32_t event_type_bit(const char *type)
{
	for (size_t i = 0; i < ARRAY_SIZE(types); i++)
		if (strcmp(type, types[i].name) == 0)
			return types[i].bit;
	return 0;
}

static const char *get_str(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static int get_int(struct json_object *o, const char *key, int dflt)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_int))
		return dflt;
	return json_object_get_int(v);
}

/* The tuple members of an event (or of its "reply") as the datapath's tuple. */
static void tuple_from_json(struct json_object *o, struct tcfw_tuple *t)
{
	const char *fam = get_str(o, "family"), *s;
	struct json_object *proto;
	unsigned int plen;
	int id = get_int(o, "id", -1);

	if (fam)
		t->family = strcmp(fam, "ip6") == 0 ? TCFW_AF_INET6 : TCFW_AF_INET;
	if (json_object_object_get_ex(o, "proto", &proto)) {
		int p = json_object_is_type(proto, json_type_int)
		            ? json_object_get_int(proto)
		            : proto_parse(json_object_get_string(proto));

		if (p >= 0 && p <= 255)
			t->proto = (uint8_t)p;
	}
	if ((s = get_str(o, "src")))
		addr_parse(s, t->src, &plen);
	if ((s = get_str(o, "dst")))
		addr_parse(s, t->dst, &plen);
	if (id >= 0) { /* ICMP echo: the id sits where ports would */
		t->sport = htons((uint16_t)id);
		return;
	}
	t->sport = htons((uint16_t)get_int(o, "sport", 0));
	t->dport = htons((uint16_t)get_int(o, "dport", 0));
}

bool event_filter_match(const struct event_filter *f, struct json_object *ev)
{
	const char *type = get_str(ev, "type"), *state;
	struct tcfw_tuple orig = {0};
	struct tcfw_ct_entry e = {0};
	struct json_object *reply;
	int st;

	if (!type)
		return true;
	if (strcmp(type, "lost") == 0)
		return true; /* always said: the stream has a gap */
	if (f->types && !(f->types & event_type_bit(type)))
		return false;
	if (!f->ct.have)
		return true;
	tuple_from_json(ev, &orig);
	/* Without a reply tuple (new, log, invalid), either-direction words look at the
	 * original one twice. */
	if (json_object_object_get_ex(ev, "reply", &reply)) {
		e.reply.family = orig.family;
		e.reply.proto = orig.proto;
		tuple_from_json(reply, &e.reply);
	} else {
		e.reply = orig;
	}
	state = get_str(ev, "state");
	st = state ? ct_state_parse(state) : -1;
	if (f->ct.have & CT_FILTER_STATE && st < 0)
		return false;
	e.state = st < 0 ? TCFW_CT_NONE : (uint8_t)st;
	return ct_filter_match(&f->ct, &orig, &e);
}

const char *event_time_format_wall(int64_t wall_ns, char *buf, size_t len)
{
	time_t secs = (time_t)(wall_ns / NSEC_PER_SEC);
	long ms = (long)(wall_ns % NSEC_PER_SEC / 1000000);
	struct tm tm;
	char date[32];
	long off;

	if (!localtime_r(&secs, &tm)) {
		snprintf(buf, len, "?");
		return buf;
	}
	strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm);
	off = tm.tm_gmtoff / 60;
	snprintf(buf, len, "%s.%03ld%c%02ld:%02ld", date, ms, off < 0 ? '-' : '+',
	         (off < 0 ? -off : off) / 60, (off < 0 ? -off : off) % 60);
	return buf;
}

const char *event_time_format(int64_t mono_ns, char *buf, size_t len)
{
	struct timespec mono, wall;

	/* The clocks are read together, so an event's age is what the monotonic clock says,
	 * whatever NTP did to the wall clock since. */
	clock_gettime(CLOCK_MONOTONIC, &mono);
	clock_gettime(CLOCK_REALTIME, &wall);
	return event_time_format_wall(
	    (int64_t)wall.tv_sec * NSEC_PER_SEC + wall.tv_nsec -
		((int64_t)mono.tv_sec * NSEC_PER_SEC + mono.tv_nsec - mono_ns),
	    buf, len);
}
