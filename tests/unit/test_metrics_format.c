// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * test_metrics_format.c - fwd's Prometheus exposition (fwd/metrics.c) without a kernel: label
 * and help escaping, sample values, histogram buckets (cumulative, le inclusive, +Inf), the
 * connection census of the expiry pass, drops by reason and chain, and a whole page: every sample
 * line parses, belongs to a family announced by HELP and TYPE before it, counters end in _total,
 * and the figures of the snapshot appear under the names the documentation gives.
 */
#include <ctype.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fwd/metrics.h"
#include "tcfw_abi.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static void check_text(const char *what, const struct metrics_buf *b, const char *want)
{
	if (b->failed)
		fail_msg("%s: the buffer ran out of memory", what);
	if (!b->s || strcmp(b->s, want) != 0)
		fail_msg("%s: got\n%s\nexpected\n%s", what, b->s ? b->s : "(nothing)", want);
}

static void check_has_line(const char *what, const char *text, const char *line)
{
	size_t n = strlen(line);

	for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (!strncmp(p, line, n) && (p[n] == '\n' || p[n] == '\0'))
			return;
	fail_msg("%s: no line '%s' in\n%s", what, line, text);
}

static void check_no_line_starting(const char *what, const char *text, const char *prefix)
{
	size_t n = strlen(prefix);

	for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (!strncmp(p, prefix, n))
			fail_msg("%s: unexpected line starting '%s' in\n%s", what, prefix, text);
}

static void test_label_escaping(void **state)
{
	struct metrics_buf b = {0};
	struct metrics_label l[] = {{"interface", "a\\b\"c\nd"}, {"chain", ""}};

	(void)state;
	metrics_sample_u64(&b, "tcfw_x_total", l, ARRAY_SIZE(l), 7);
	check_text("backslash, quote and newline in a label value", &b,
	           "tcfw_x_total{interface=\"a\\\\b\\\"c\\nd\",chain=\"\"} 7\n");
	metrics_buf_free(&b);

	metrics_family(&b, "tcfw_x_total", "counter", "a \"quoted\" \\ help\nline");
	check_text("help text: backslash and newline escaped, quotes kept", &b,
	           "# HELP tcfw_x_total a \"quoted\" \\\\ help\\nline\n"
	           "# TYPE tcfw_x_total counter\n");
	metrics_buf_free(&b);
}

static void test_sample_values(void **state)
{
	struct metrics_buf b = {0};

	(void)state;
	metrics_sample_u64(&b, "tcfw_big_total", NULL, 0, UINT64_MAX);
	metrics_sample_f64(&b, "tcfw_f", NULL, 0, 0.25);
	metrics_sample_f64(&b, "tcfw_nan", NULL, 0, NAN);
	metrics_sample_f64(&b, "tcfw_inf", NULL, 0, INFINITY);
	metrics_sample_f64(&b, "tcfw_ninf", NULL, 0, -INFINITY);
	check_text("u64 in full, f64 and Prometheus' special values", &b,
	           "tcfw_big_total 18446744073709551615\n"
	           "tcfw_f 0.25\n"
	           "tcfw_nan NaN\n"
	           "tcfw_inf +Inf\n"
	           "tcfw_ninf -Inf\n");
	metrics_buf_free(&b);
}

static void test_histogram(void **state)
{
	static const double bounds[] = {0.1, 1};
	struct metrics_histogram h;
	struct metrics_buf b = {0};

	(void)state;
	metrics_histogram_init(&h, bounds, ARRAY_SIZE(bounds));
	metrics_histogram_observe(&h, 0.05);
	metrics_histogram_observe(&h, 0.1); /* on the bound: le is inclusive */
	metrics_histogram_observe(&h, 0.5);
	metrics_histogram_observe(&h, 2);
	metrics_histogram_write(&b, "tcfw_t_seconds", "a time", &h);
	check_text("cumulative buckets, +Inf last, sum and count", &b,
	           "# HELP tcfw_t_seconds a time\n"
	           "# TYPE tcfw_t_seconds histogram\n"
	           "tcfw_t_seconds_bucket{le=\"0.1\"} 2\n"
	           "tcfw_t_seconds_bucket{le=\"1\"} 3\n"
	           "tcfw_t_seconds_bucket{le=\"+Inf\"} 4\n"
	           "tcfw_t_seconds_sum 2.65\n"
	           "tcfw_t_seconds_count 4\n");
	metrics_buf_free(&b);

	/* The expiry pass's buckets ascend and fit the struct. */
	for (size_t i = 1; i < metrics_expiry_pass_nbounds; i++)
		if (metrics_expiry_pass_bounds[i] <= metrics_expiry_pass_bounds[i - 1])
			fail_msg("expiry pass bucket %zu (%g) does not ascend", i,
			         metrics_expiry_pass_bounds[i]);
	assert_true(metrics_expiry_pass_nbounds <= METRICS_HIST_MAX_BOUNDS);
}

static struct tcfw_tuple tuple(uint8_t family, uint8_t proto)
{
	struct tcfw_tuple t;

	memset(&t, 0, sizeof(t));
	t.family = family;
	t.proto = proto;
	return t;
}

static struct tcfw_ct_entry entry(uint8_t state, uint8_t nat_kind)
{
	struct tcfw_ct_entry e;

	memset(&e, 0, sizeof(e));
	e.state = state;
	e.nat_kind = nat_kind;
	return e;
}

static void test_census(void **state)
{
	struct metrics_ct_census c;
	struct tcfw_tuple t4 = tuple(TCFW_AF_INET, 6), u6 = tuple(TCFW_AF_INET6, 17),
			  i6 = tuple(TCFW_AF_INET6, 58), gre = tuple(TCFW_AF_INET, 47);
	struct tcfw_ct_entry est = entry(TCFW_CT_TCP_ESTABLISHED, TCFW_NAT_SNAT),
			     unrep = entry(TCFW_CT_UDP_UNREPLIED, 0),
			     icmp = entry(TCFW_CT_ICMP_REPLIED, 0),
			     other = entry(TCFW_CT_OTHER_UNREPLIED, TCFW_NAT_DNAT);

	(void)state;
	memset(&c, 0, sizeof(c));
	metrics_census_count(&c, &t4, &est, +1);
	metrics_census_count(&c, &t4, &est, +1);
	metrics_census_count(&c, &u6, &unrep, +1);
	metrics_census_count(&c, &i6, &icmp, +1);
	metrics_census_count(&c, &gre, &other, +1);
	/* The pass deleted one of the established ones. */
	metrics_census_count(&c, &t4, &est, -1);
	assert_int_equal(c.entries[0][METRICS_PROTO_TCP][TCFW_CT_TCP_ESTABLISHED], 1);
	assert_int_equal(c.entries[1][METRICS_PROTO_UDP][TCFW_CT_UDP_UNREPLIED], 1);
	assert_int_equal(c.entries[1][METRICS_PROTO_ICMPV6][TCFW_CT_ICMP_REPLIED], 1);
	assert_int_equal(c.entries[0][METRICS_PROTO_OTHER][TCFW_CT_OTHER_UNREPLIED], 1);
	assert_int_equal(c.nat_bindings, 2); /* one SNAT left, one DNAT */
	/* A take-back never wraps below zero. */
	metrics_census_count(&c, &u6, &icmp, -1);
	assert_int_equal(c.entries[1][METRICS_PROTO_UDP][TCFW_CT_ICMP_REPLIED], 0);
}

/* ---- a whole page ------------------------------------------------------------------------------
 */
struct family {
	char name[128];
	char type[16];
	int help, typ;
};

static bool name_char(char c, bool first)
{
	return isalpha((unsigned char)c) || c == '_' || c == ':' ||
	       (!first && isdigit((unsigned char)c));
}

/* One sample line of the text format; its metric name into name. False when it does not parse. */
static bool parse_sample(const char *line, char *name, size_t namelen)
{
	const char *p = line;
	size_t n = 0;
	char *end;

	if (!name_char(*p, true))
		return false;
	while (name_char(*p, false) && n + 1 < namelen)
		name[n++] = *p++;
	name[n] = '\0';
	if (*p == '{') {
		p++;
		while (*p != '}') {
			if (!name_char(*p, true))
				return false;
			while (name_char(*p, false))
				p++;
			if (*p++ != '=' || *p++ != '"')
				return false;
			while (*p != '"') {
				if (!*p || *p == '\n')
					return false;
				if (*p == '\\') {
					p++;
					if (*p != '\\' && *p != '"' && *p != 'n')
						return false;
				}
				p++;
			}
			p++;
			if (*p == ',')
				p++;
			else if (*p != '}')
				return false;
		}
		p++;
	}
	if (*p++ != ' ')
		return false;
	strtod(p, &end);
	return end != p && *end == '\0';
}

/* The family a sample belongs to: its own name, or a histogram's with a suffix taken off. */
static struct family *family_of(struct family *f, size_t nf, const char *name)
{
	static const char *const suffixes[] = {"_bucket", "_sum", "_count"};

	for (size_t i = 0; i < nf; i++) {
		size_t l = strlen(f[i].name);

		if (!strcmp(f[i].name, name))
			return &f[i];
		if (strcmp(f[i].type, "histogram") || strncmp(f[i].name, name, l))
			continue;
		for (size_t s = 0; s < ARRAY_SIZE(suffixes); s++)
			if (!strcmp(name + l, suffixes[s]))
				return &f[i];
	}
	return NULL;
}

/* Check the page's structure; returns the number of families. */
static size_t check_page(const char *text, struct family *f, size_t maxf)
{
	char *copy = strdup(text), *save = NULL;
	size_t nf = 0;

	assert_non_null(copy);
	assert_true(text[0] && text[strlen(text) - 1] == '\n');
	for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char name[128], type[16];

		if (sscanf(line, "# HELP %127s", name) == 1) {
			for (size_t i = 0; i < nf; i++)
				if (!strcmp(f[i].name, name))
					fail_msg("family %s announced twice", name);
			assert_true(nf < maxf);
			snprintf(f[nf].name, sizeof(f[nf].name), "%s", name);
			f[nf].help = 1;
			nf++;
		} else if (sscanf(line, "# TYPE %127s %15s", name, type) == 2) {
			if (!nf || strcmp(f[nf - 1].name, name))
				fail_msg("TYPE of %s not right after its HELP", name);
			if (strcmp(type, "counter") && strcmp(type, "gauge") &&
			    strcmp(type, "histogram"))
				fail_msg("family %s has type %s", name, type);
			snprintf(f[nf - 1].type, sizeof(f[nf - 1].type), "%s", type);
			f[nf - 1].typ = 1;
			if (!strcmp(type, "counter") &&
			    (strlen(name) < 6 || strcmp(name + strlen(name) - 6, "_total")))
				fail_msg("counter %s does not end in _total", name);
		} else if (line[0] == '#') {
			fail_msg("unexpected comment line '%s'", line);
		} else {
			struct family *fam;

			if (!parse_sample(line, name, sizeof(name)))
				fail_msg("sample line does not parse: '%s'", line);
			fam = family_of(f, nf, name);
			if (!fam || !fam->typ)
				fail_msg("sample '%s' has no HELP/TYPE before it", line);
		}
	}
	for (size_t i = 0; i < nf; i++)
		if (!f[i].typ)
			fail_msg("family %s has HELP but no TYPE", f[i].name);
	free(copy);
	return nf;
}

static bool has_family(const struct family *f, size_t nf, const char *name, const char *type)
{
	for (size_t i = 0; i < nf; i++)
		if (!strcmp(f[i].name, name))
			return !strcmp(f[i].type, type);
	return false;
}

static void test_page(void **state)
{
	static const struct metrics_rule_hits rules[] = {
	    {TCFW_CHAIN_FORWARD, 3, 7, true, 4},
	    {TCFW_CHAIN_INPUT, 1, 0, false, 0},
	    {TCFW_CHAIN_SNAT, 12, 9, false, 0},
	};
	static const struct metrics_iface ifaces[] = {
	    {"lan0", 10, 20, 1000, 2000},
	    {"wan0", 30, 40, 3000, 4000},
	};
	static const struct {
		const char *name, *type;
	} documented[] = {
	    {"tcfw_build_info", "gauge"},
	    {"tcfw_ct_entries", "gauge"},
	    {"tcfw_ct_max", "gauge"},
	    {"tcfw_nat_bindings", "gauge"},
	    {"tcfw_ct_created_total", "counter"},
	    {"tcfw_ct_expired_total", "counter"},
	    {"tcfw_ct_evicted_total", "counter"},
	    {"tcfw_ct_insert_failed_total", "counter"},
	    {"tcfw_packets_total", "counter"},
	    {"tcfw_drop_total", "counter"},
	    {"tcfw_rule_hits_total", "counter"},
	    {"tcfw_nat_port_exhausted_total", "counter"},
	    {"tcfw_nat_no_address_total", "counter"},
	    {"tcfw_nat_alias_taken_total", "counter"},
	    {"tcfw_events_lost_total", "counter"},
	    {"tcfw_rule_limited_total", "counter"},
	    {"tcfw_dynset_added_total", "counter"},
	    {"tcfw_dynset_add_limited_total", "counter"},
	    {"tcfw_policy_generation", "gauge"},
	    {"tcfw_policy_reload_failures_total", "counter"},
	    {"tcfw_expiry_pass_seconds", "histogram"},
	    {"tcfw_interface_packets_total", "counter"},
	    {"tcfw_interface_bytes_total", "counter"},
	};
	struct metrics_snapshot s;
	struct metrics_histogram h;
	struct metrics_buf b = {0};
	struct family f[64];
	struct tcfw_tuple t4 = tuple(TCFW_AF_INET, 6);
	struct tcfw_ct_entry est = entry(TCFW_CT_TCP_ESTABLISHED, TCFW_NAT_SNAT);
	size_t nf;

	(void)state;
	memset(&s, 0, sizeof(s));
	s.version = "9.9.9";
	s.have_stats = true;
	s.stats[TCFW_STAT_PACKETS] = 100;
	s.stats[TCFW_STAT_FAST_PATH] = 30;
	s.stats[TCFW_STAT_CT_NEW] = 5;
	s.stats[TCFW_STAT_CT_EARLY_DROP] = 2;
	s.stats[TCFW_STAT_CT_INSERT_FAILED] = 1;
	s.stats[TCFW_STAT_VERDICT_DROP] = 4;
	s.stats[TCFW_STAT_MALFORMED] = 6;
	s.stats[TCFW_STAT_NAT_PORT_EXHAUSTED] = 8;
	s.stats[TCFW_STAT_NAT_NO_ADDRESS] = 13;
	s.stats[TCFW_STAT_NAT_ALIAS_TAKEN] = 14;
	s.stats[TCFW_STAT_PREFILTER_BLOCKED] = 11;
	s.stats[TCFW_STAT_PREFILTER_UNTRACKED] = 12;
	s.stats[TCFW_STAT_EVENTS_LOST] = 11;
	s.ct_max = 262144;
	s.have_census = true;
	metrics_census_count(&s.census, &t4, &est, +1);
	s.expired = 13;
	s.policy_generation = 4;
	s.policy_reload_failures = 2;
	s.rules = rules;
	s.nrules = ARRAY_SIZE(rules);
	s.ifaces = ifaces;
	s.nifaces = ARRAY_SIZE(ifaces);
	metrics_histogram_init(&h, metrics_expiry_pass_bounds, metrics_expiry_pass_nbounds);
	metrics_histogram_observe(&h, 0.0003);
	s.expiry_pass = &h;

	assert_int_equal(metrics_render(&s, &b), 0);
	nf = check_page(b.s, f, ARRAY_SIZE(f));
	for (size_t i = 0; i < ARRAY_SIZE(documented); i++)
		if (!has_family(f, nf, documented[i].name, documented[i].type))
			fail_msg("no %s family %s on the page:\n%s", documented[i].type,
			         documented[i].name, b.s);

	check_has_line("build info", b.s, "tcfw_build_info{version=\"9.9.9\"} 1");
	check_has_line("the established connection", b.s,
	               "tcfw_ct_entries{family=\"ipv4\",proto=\"tcp\",state=\"established\"} 1");
	check_has_line("a TCP state at 0 is still written", b.s,
	               "tcfw_ct_entries{family=\"ipv6\",proto=\"tcp\",state=\"syn_sent\"} 0");
	check_has_line("UDP states by their protocol-neutral names", b.s,
	               "tcfw_ct_entries{family=\"ipv4\",proto=\"udp\",state=\"unreplied\"} 0");
	check_has_line("ICMPv6 in IPv6 only", b.s,
	               "tcfw_ct_entries{family=\"ipv6\",proto=\"icmpv6\",state=\"replied\"} 0");
	check_no_line_starting("no ICMPv6 in IPv4", b.s,
	                       "tcfw_ct_entries{family=\"ipv4\",proto=\"icmpv6\"");
	check_no_line_starting("no state none", b.s,
	                       "tcfw_ct_entries{family=\"ipv4\",proto=\"tcp\",state=\"none\"}");
	check_has_line("ct_max", b.s, "tcfw_ct_max 262144");
	check_has_line("NAT bindings", b.s, "tcfw_nat_bindings 1");
	check_has_line("created", b.s, "tcfw_ct_created_total 5");
	check_has_line("expired", b.s, "tcfw_ct_expired_total 13");
	check_has_line("evicted = early drop", b.s, "tcfw_ct_evicted_total 2");
	check_has_line("insert failed", b.s, "tcfw_ct_insert_failed_total 1");
	check_has_line("fast path", b.s, "tcfw_packets_total{path=\"fast\"} 30");
	check_has_line("slow path = the rest", b.s, "tcfw_packets_total{path=\"slow\"} 70");
	check_has_line("policy drops", b.s, "tcfw_drop_total{reason=\"policy\",chain=\"\"} 4");
	check_has_line("malformed drops", b.s,
	               "tcfw_drop_total{reason=\"malformed\",chain=\"\"} 6");
	check_has_line("NAT port drops", b.s,
	               "tcfw_drop_total{reason=\"nat_port_exhausted\",chain=\"\"} 8");
	check_has_line("NAT drops, no masquerade address", b.s,
	               "tcfw_drop_total{reason=\"nat_no_address\",chain=\"\"} 13");
	check_has_line("NAT drops, alias taken", b.s,
	               "tcfw_drop_total{reason=\"nat_alias_taken\",chain=\"\"} 14");
	check_has_line("NAT no-address counter", b.s, "tcfw_nat_no_address_total 13");
	check_has_line("NAT alias-taken counter", b.s, "tcfw_nat_alias_taken_total 14");
	check_has_line("XDP pre-filter drops, blocked", b.s,
	               "tcfw_drop_total{reason=\"prefilter_blocked\",chain=\"\"} 11");
	check_has_line("XDP pre-filter drops, untracked", b.s,
	               "tcfw_drop_total{reason=\"prefilter_untracked\",chain=\"\"} 12");
	check_has_line("rule hits, forward", b.s,
	               "tcfw_rule_hits_total{chain=\"forward\",rule=\"3\"} 7");
	check_has_line("rule hits at 0", b.s, "tcfw_rule_hits_total{chain=\"input\",rule=\"1\"} 0");
	check_has_line("rule limited", b.s,
	               "tcfw_rule_limited_total{chain=\"forward\",rule=\"3\"} 4");
	if (strstr(b.s, "tcfw_rule_limited_total{chain=\"input\""))
		fail_msg("a rule without limit has a tcfw_rule_limited_total sample:\n%s", b.s);
	check_has_line("rule hits, snat", b.s,
	               "tcfw_rule_hits_total{chain=\"snat\",rule=\"12\"} 9");
	check_has_line("events lost", b.s, "tcfw_events_lost_total 11");
	check_has_line("generation", b.s, "tcfw_policy_generation 4");
	check_has_line("reload failures", b.s, "tcfw_policy_reload_failures_total 2");
	check_has_line("expiry histogram", b.s, "tcfw_expiry_pass_seconds_bucket{le=\"0.0005\"} 1");
	check_has_line("expiry histogram below", b.s,
	               "tcfw_expiry_pass_seconds_bucket{le=\"0.00025\"} 0");
	check_has_line("expiry histogram count", b.s, "tcfw_expiry_pass_seconds_count 1");
	check_has_line("interface packets", b.s,
	               "tcfw_interface_packets_total{interface=\"wan0\",direction=\"tx\"} 40");
	check_has_line("interface bytes", b.s,
	               "tcfw_interface_bytes_total{interface=\"lan0\",direction=\"rx\"} 1000");
	metrics_buf_free(&b);
}

/* The policy's drops by chain from map "drops"; the other reasons without a chain. */
static void test_drops_by_chain(void **state)
{
	struct metrics_snapshot s;
	struct metrics_buf b = {0};
	struct family f[64];

	(void)state;
	memset(&s, 0, sizeof(s));
	s.have_stats = true;
	s.stats[TCFW_STAT_VERDICT_DROP] = 4; /* = policy (all chains) + invalid */
	s.stats[TCFW_STAT_MALFORMED] = 6;
	s.have_drops = true;
	s.drops[TCFW_DROP_INDEX(TCFW_DROP_POLICY, TCFW_CHAIN_FORWARD)] = 3;
	s.drops[TCFW_DROP_INDEX(TCFW_DROP_REJECT, TCFW_CHAIN_INPUT)] = 2;
	s.drops[TCFW_DROP_INDEX(TCFW_DROP_INVALID, TCFW_DROP_CHAIN_NONE)] = 1;
	assert_int_equal(metrics_render(&s, &b), 0);
	check_page(b.s, f, ARRAY_SIZE(f));
	check_has_line("forward's drops", b.s,
	               "tcfw_drop_total{reason=\"policy\",chain=\"forward\"} 3");
	check_has_line("input's drops at 0", b.s,
	               "tcfw_drop_total{reason=\"policy\",chain=\"input\"} 0");
	check_has_line("output's drops at 0", b.s,
	               "tcfw_drop_total{reason=\"policy\",chain=\"output\"} 0");
	check_has_line("input's rejects", b.s,
	               "tcfw_drop_total{reason=\"reject\",chain=\"input\"} 2");
	check_has_line("invalid, no chain", b.s,
	               "tcfw_drop_total{reason=\"invalid\",chain=\"\"} 1");
	check_has_line("malformed, from stats", b.s,
	               "tcfw_drop_total{reason=\"malformed\",chain=\"\"} 6");
	check_no_line_starting("no policy drops without a chain", b.s,
	                       "tcfw_drop_total{reason=\"policy\",chain=\"\"}");
	check_no_line_starting("NAT chains only when they drop", b.s,
	                       "tcfw_drop_total{reason=\"policy\",chain=\"snat\"}");
	metrics_buf_free(&b);
}

/* Before the first expiry pass and without map "stats": the families are announced, the
 * figures not known are left out rather than written as 0 (which would read as a reset). */
static void test_page_unknown(void **state)
{
	struct metrics_snapshot s;
	struct metrics_buf b = {0};
	struct family f[64];

	(void)state;
	memset(&s, 0, sizeof(s));
	assert_int_equal(metrics_render(&s, &b), 0);
	check_page(b.s, f, ARRAY_SIZE(f));
	check_has_line("the family is announced", b.s, "# TYPE tcfw_ct_created_total counter");
	check_no_line_starting("no created sample", b.s, "tcfw_ct_created_total ");
	check_no_line_starting("no entries sample", b.s, "tcfw_ct_entries{");
	check_no_line_starting("no packets sample", b.s, "tcfw_packets_total{");
	check_no_line_starting("no drop sample", b.s, "tcfw_drop_total{");
	check_no_line_starting("no NAT bindings", b.s, "tcfw_nat_bindings ");
	check_has_line("fwd's own figures are known", b.s, "tcfw_policy_reload_failures_total 0");
	metrics_buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_label_escaping), cmocka_unit_test(test_sample_values),
	    cmocka_unit_test(test_histogram),      cmocka_unit_test(test_census),
	    cmocka_unit_test(test_page),           cmocka_unit_test(test_drops_by_chain),
	    cmocka_unit_test(test_page_unknown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
