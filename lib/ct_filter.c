// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * ct_filter.c - parse the words of a connection filter and match connections against it.
 * fwctl parses first (a usage error exits 2 before the daemon is asked) and fwd parses the same
 * words again for `ct del`, so every message here is written for the operator who typed them.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "addr.h"
#include "ct_filter.h"
#include "names.h"
#include "quote.h"
#include "tcfw_proto.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

enum filter_value {
	FV_PROTO,
	FV_ADDR,
	FV_PORT,
	FV_STATE,
	FV_FAMILY,
};

struct filter_word {
	const char *name;
	uint32_t bit; /* CT_FILTER_* */
	enum filter_value kind;
};

static const struct filter_word words[] = {
    {"proto", CT_FILTER_PROTO, FV_PROTO},    {"src", CT_FILTER_SRC, FV_ADDR},
    {"dst", CT_FILTER_DST, FV_ADDR},         {"addr", CT_FILTER_ADDR, FV_ADDR},
    {"sport", CT_FILTER_SPORT, FV_PORT},     {"dport", CT_FILTER_DPORT, FV_PORT},
    {"port", CT_FILTER_PORT, FV_PORT},       {"state", CT_FILTER_STATE, FV_STATE},
    {"family", CT_FILTER_FAMILY, FV_FAMILY},
};

void ct_filter_print_words(FILE *f, const char *prefix)
{
	const char *const *protos = proto_names();
	static const char *const neutral[] = {"unreplied", "replied", "assured"};

	for (size_t i = 0; i < ARRAY_SIZE(words); i++) {
		fprintf(f, "%s%s", prefix, words[i].name);
		if (words[i].kind == FV_PROTO)
			for (size_t k = 0; k < PROTO_NAMES_MAX; k++)
				fprintf(f, " %s", protos[k]);
		else if (words[i].kind == FV_FAMILY)
			fputs(" ip ip6", f);
		else if (words[i].kind == FV_STATE) {
			for (unsigned int s = TCFW_CT_NONE + 1; s < TCFW_CT_STATE_MAX; s++)
				fprintf(f, " %s", ct_state_lname(s));
			for (size_t k = 0; k < ARRAY_SIZE(neutral); k++)
				if (ct_state_mask_parse(neutral[k]))
					fprintf(f, " %s", neutral[k]);
		}
		fputc('\n', f);
	}
}

/* What each kind of value is, as the operator should type it. */
static const char *const value_help[] = {
    [FV_PROTO] = PROTO_NAMES_TEXT " or a protocol number 0-255",
    [FV_ADDR] = "an IPv4 or IPv6 address, optionally with /LEN",
    [FV_PORT] = "a port number 0-65535",
    [FV_STATE] = "a state such as established, time_wait or unreplied; "
		 "`fwctl ct --help` lists them all",
    [FV_FAMILY] = "ip or ip6",
};

static const struct filter_word *find_word(const char *s)
{
	for (size_t i = 0; i < ARRAY_SIZE(words); i++)
		if (strcmp(words[i].name, s) == 0)
			return &words[i];
	return NULL;
}

static void unknown_word(const char *s, char *err, size_t errlen)
{
	const char *names[ARRAY_SIZE(words)];
	const char *hint;

	for (size_t i = 0; i < ARRAY_SIZE(words); i++)
		names[i] = words[i].name;
	hint = name_suggest(s, names, ARRAY_SIZE(words));
	if (hint)
		snprintf(err, errlen, "unknown filter word %s (did you mean '%s'?)", QUOTE(s),
		         hint);
	else
		snprintf(err, errlen,
		         "unknown filter word %s (filter words: proto, src, dst, addr, sport, "
		         "dport, port, state, family)",
		         QUOTE(s));
}

static int parse_proto(const char *v, struct ct_filter *f, char *err, size_t errlen)
{
	int p = proto_parse(v);
	const char *hint;

	if (p >= 0) {
		f->proto = (uint8_t)p;
		return 0;
	}
	hint = name_suggest(v, proto_names(), PROTO_NAMES_MAX);
	if (hint)
		snprintf(err, errlen, "unknown protocol %s (did you mean '%s'?)", QUOTE(v), hint);
	else
		snprintf(err, errlen, "unknown protocol %s (expected %s)", QUOTE(v),
		         value_help[FV_PROTO]);
	return -EINVAL;
}

static int parse_addr(const struct filter_word *w, const char *v, struct ct_filter *f, char *err,
                      size_t errlen)
{
	__u32 *a = w->bit == CT_FILTER_SRC ? f->src : w->bit == CT_FILTER_DST ? f->dst : f->addr;
	unsigned int *plen = w->bit == CT_FILTER_SRC   ? &f->src_plen
	                     : w->bit == CT_FILTER_DST ? &f->dst_plen
	                                               : &f->addr_plen;

	if (addr_parse(v, a, plen) < 0) {
		snprintf(err, errlen, "bad address %s for '%s' (expected %s)", QUOTE(v), w->name,
		         value_help[FV_ADDR]);
		return -EINVAL;
	}
	addr_mask(a, *plen);
	return 0;
}

static int parse_port(const struct filter_word *w, const char *v, struct ct_filter *f, char *err,
                      size_t errlen)
{
	unsigned long port = 0;
	size_t len = strlen(v);
	bool ok = len > 0 && len <= 5;

	for (size_t i = 0; ok && i < len; i++) {
		ok = isdigit((unsigned char)v[i]);
		port = port * 10 + (unsigned long)(v[i] - '0');
	}
	if (!ok || port > 65535) {
		snprintf(err, errlen, "bad port %s for '%s' (expected %s)", QUOTE(v), w->name,
		         value_help[FV_PORT]);
		return -EINVAL;
	}
	if (w->bit == CT_FILTER_SPORT)
		f->sport = (uint16_t)port;
	else if (w->bit == CT_FILTER_DPORT)
		f->dport = (uint16_t)port;
	else
		f->port = (uint16_t)port;
	return 0;
}

/* One name or several separated by commas ("syn_sent,syn_recv"). */
static int parse_state(const char *v, struct ct_filter *f, char *err, size_t errlen)
{
	char name[32];
	const char *p = v;

	f->state_mask = 0;
	do {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);
		uint32_t mask;

		if (len >= sizeof(name))
			len = sizeof(name) - 1;
		memcpy(name, p, len);
		name[len] = '\0';
		mask = ct_state_mask_parse(name);
		if (!mask) {
			const char *hint = ct_state_suggest(name);

			if (hint)
				snprintf(err, errlen, "unknown state %s (did you mean '%s'?)",
				         QUOTE(name), hint);
			else
				snprintf(err, errlen, "unknown state %s (expected %s)", QUOTE(name),
				         value_help[FV_STATE]);
			return -EINVAL;
		}
		if (!f->state_mask)
			f->state = (uint8_t)__builtin_ctz(mask);
		f->state_mask |= mask;
		p = comma ? comma + 1 : NULL;
	} while (p);
	return 0;
}

static int parse_family(const char *v, struct ct_filter *f, char *err, size_t errlen)
{
	static const char *const names[] = {"ip", "ip6"};
	const char *hint;

	if (strcmp(v, "ip") == 0) {
		f->family = TCFW_AF_INET;
		return 0;
	}
	if (strcmp(v, "ip6") == 0) {
		f->family = TCFW_AF_INET6;
		return 0;
	}
	hint = name_suggest(v, names, ARRAY_SIZE(names));
	if (hint)
		snprintf(err, errlen, "unknown family %s (did you mean '%s'?)", QUOTE(v), hint);
	else
		snprintf(err, errlen, "unknown family %s (expected %s)", QUOTE(v),
		         value_help[FV_FAMILY]);
	return -EINVAL;
}

int ct_filter_parse(int argc, char **argv, struct ct_filter *f, char *err, size_t errlen)
{
	memset(f, 0, sizeof(*f));
	for (int i = 0; i < argc; i += 2) {
		const struct filter_word *w = find_word(argv[i]);
		const char *v;
		int ret;

		if (!w) {
			unknown_word(argv[i], err, errlen);
			return -EINVAL;
		}
		if (i + 1 >= argc) {
			snprintf(err, errlen, "'%s' needs a value: %s", w->name,
			         value_help[w->kind]);
			return -EINVAL;
		}
		if (f->have & w->bit) {
			snprintf(
			    err, errlen,
			    "'%s' given twice (each filter word may appear once; all must hold)",
			    w->name);
			return -EINVAL;
		}
		v = argv[i + 1];
		switch (w->kind) {
		case FV_PROTO:
			ret = parse_proto(v, f, err, errlen);
			break;
		case FV_ADDR:
			ret = parse_addr(w, v, f, err, errlen);
			break;
		case FV_PORT:
			ret = parse_port(w, v, f, err, errlen);
			break;
		case FV_STATE:
			ret = parse_state(v, f, err, errlen);
			break;
		case FV_FAMILY:
			ret = parse_family(v, f, err, errlen);
			break;
		default:
			ret = -1;
			snprintf(err, errlen, "internal error: filter word '%s' has no parser",
			         w->name);
		}
		if (ret < 0)
			return -EINVAL;
		f->have |= w->bit;
	}
	return 0;
}

static bool port_is(__u16 be_port, uint16_t want)
{
	return be_port == htons(want);
}

bool ct_filter_match(const struct ct_filter *f, const struct tcfw_tuple *orig,
                     const struct tcfw_ct_entry *e)
{
	const struct tcfw_tuple *reply = &e->reply;
	uint32_t have = f->have;

	if ((have & CT_FILTER_PROTO) && orig->proto != f->proto)
		return false;
	if ((have & CT_FILTER_FAMILY) && orig->family != f->family)
		return false;
	if ((have & CT_FILTER_STATE) &&
	    (f->state_mask ? !(e->state < 32 && (f->state_mask & (1u << e->state)))
	                   : e->state != f->state))
		return false;
	if ((have & CT_FILTER_SRC) && !addr_in_prefix(orig->src, f->src, f->src_plen))
		return false;
	if ((have & CT_FILTER_DST) && !addr_in_prefix(orig->dst, f->dst, f->dst_plen))
		return false;
	if ((have & CT_FILTER_ADDR) && !addr_in_prefix(orig->src, f->addr, f->addr_plen) &&
	    !addr_in_prefix(orig->dst, f->addr, f->addr_plen) &&
	    !addr_in_prefix(reply->src, f->addr, f->addr_plen) &&
	    !addr_in_prefix(reply->dst, f->addr, f->addr_plen))
		return false;
	if (have & (CT_FILTER_SPORT | CT_FILTER_DPORT | CT_FILTER_PORT)) {
		/* ICMP tuples hold an echo id, others nothing: port filters skip them. */
		if (!tcfw_proto_has_ports(orig->proto))
			return false;
		if ((have & CT_FILTER_SPORT) && !port_is(orig->sport, f->sport))
			return false;
		if ((have & CT_FILTER_DPORT) && !port_is(orig->dport, f->dport))
			return false;
		if ((have & CT_FILTER_PORT) && !port_is(orig->sport, f->port) &&
		    !port_is(orig->dport, f->port) && !port_is(reply->sport, f->port) &&
		    !port_is(reply->dport, f->port))
			return false;
	}
	return true;
}
