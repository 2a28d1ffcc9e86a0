// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * test_fwd_options.c - fwd's command line (fwd/options.c), whose getopt_long table and --help
 * both come from one table: every option --help lists is accepted, flags and numbers land in
 * their fields, out-of-range numbers and unknown options are usage errors (exit 2).
 */
#include <arpa/inet.h>
#include <getopt.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fwd/fwd.h"
#include "fwd/metrics_http.h"
#include "fwd/options.h"

/* fwd/metrics_http.c's parser needs libmicrohttpd's loop; its own checks are not tested here. */
int metrics_parse_listen(const char *arg, struct sockaddr_storage *ss, socklen_t *len, char *err,
                         size_t errlen)
{
	(void)arg;
	(void)ss;
	(void)err;
	(void)errlen;
	*len = 0;
	return 0;
}

/* options_parse() on a NULL-terminated argument list after "fwd"; what it says on stderr goes
 * to err (when not NULL). */
static int parse_said(struct fwd_options *o, const char *const *args, char *err, size_t errlen)
{
	char *argv[32] = {"fwd"}, *said = NULL;
	size_t len = 0;
	int argc = 1, ret;
	FILE *saved = stderr;

	for (; args[argc - 1]; argc++)
		argv[argc] = (char *)args[argc - 1];
	optind = 0; /* getopt starts over */
	stderr = open_memstream(&said, &len);
	ret = options_parse(argc, argv, o);
	fclose(stderr);
	stderr = saved;
	if (err)
		snprintf(err, errlen, "%s", said ? said : "");
	free(said);
	return ret;
}

static int parse(struct fwd_options *o, const char *const *args)
{
	return parse_said(o, args, NULL, 0);
}

static void test_defaults(void **state)
{
	struct fwd_options o;
	const char *const none[] = {NULL};

	(void)state;
	assert_int_equal(parse(&o, none), -1);
	assert_int_equal(o.ct_max, TCFW_CT_MAX_DEFAULT);
	assert_int_equal(o.expire_interval_s, 1);
	assert_false(o.keep);
	assert_non_null(o.policy_path);
}

static void test_fields(void **state)
{
	struct fwd_options o;
	const char *const args[] = {"-c",
	                            "p.conf",
	                            "--keep",
	                            "--no-fast-path",
	                            "--tcp-liberal",
	                            "--ct-max",
	                            "1000",
	                            "--expire-interval",
	                            "5",
	                            "--event-log-connections",
	                            "--event-log-keep",
	                            "0",
	                            "--event-log-rate",
	                            "50",
	                            "--event-log-burst",
	                            "7",
	                            "-vv",
	                            NULL};

	(void)state;
	assert_int_equal(parse(&o, args), -1);
	assert_string_equal(o.policy_path, "p.conf");
	assert_true(o.keep);
	assert_true(o.no_fast_path);
	assert_true(o.tcp_liberal);
	assert_false(o.cleanup);
	assert_int_equal(o.ct_max, 1000);
	assert_int_equal(o.expire_interval_s, 5);
	assert_true(o.evlog.connections);
	assert_int_equal(o.evlog.keep, 0);
	assert_int_equal(o.evlog.rate, 50);
	assert_int_equal(o.evlog.burst, 7);
	assert_int_equal(o.verbosity, 2);
}

static void test_usage_errors(void **state)
{
	static const char *const bad[][3] = {
	    {"--ct-max", "0", NULL},
	    {"--ct-max", "67108865", NULL},
	    {"--expire-interval", "0", NULL},
	    {"--event-log-keep", "101", NULL},
	    {"--event-log-burst", "0", NULL},
	    {"--event-log-rate", "x", NULL},
	    {"--pin-dir", "relative", NULL},
	    {"--bogus", NULL, NULL},
	    {"-c", NULL, NULL},
	    {"stray", NULL, NULL},
	};
	struct fwd_options o;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (parse(&o, bad[i]) != FWD_EXIT_USAGE)
			fail_msg("fwd %s %s: not a usage error", bad[i][0],
			         bad[i][1] ? bad[i][1] : "");
}

/* Every "--name" that --help lists is an option fwd knows (whatever it says of the value). */
/* --sync-peer / --sync-listen: numeric ADDR[:PORT] (port 3780 by default), both or neither,
 * of one family; --sync-node-id 1..2^32-1. */
static void test_sync_options(void **state)
{
	struct fwd_options o;
	const struct sockaddr_in *in;
	const struct sockaddr_in6 *in6;
	char err[512];
	const char *const v4[] = {"--sync-listen",  "10.255.0.1", "--sync-peer", "10.255.0.2:4000",
	                          "--sync-node-id", "7",          NULL};
	const char *const v6[] = {"--sync-listen", "[2001:db8::1]:5000", "--sync-peer",
	                          "2001:db8::2", NULL};
	const char *const alone[] = {"--sync-peer", "10.255.0.2", NULL};
	const char *const mixed[] = {"--sync-listen", "10.255.0.1", "--sync-peer", "2001:db8::2",
	                             NULL};
	const char *const bad_port[] = {"--sync-listen", "10.255.0.1:0", "--sync-peer",
	                                "10.255.0.2", NULL};
	const char *const name[] = {"--sync-listen", "gw1", "--sync-peer", "10.255.0.2", NULL};
	const char *const bad_id[] = {"--sync-node-id", "0", NULL};

	(void)state;
	assert_int_equal(parse(&o, v4), -1);
	in = (const struct sockaddr_in *)&o.sync_listen_addr;
	assert_int_equal(in->sin_family, AF_INET);
	assert_int_equal(ntohs(in->sin_port), 3780);
	in = (const struct sockaddr_in *)&o.sync_peer_addr;
	assert_int_equal(ntohs(in->sin_port), 4000);
	assert_int_equal(ntohl(in->sin_addr.s_addr), 0x0aff0002);
	assert_true(o.have_sync_node_id);
	assert_int_equal(o.sync_node_id, 7);
	assert_string_equal(o.sync_peer, "10.255.0.2:4000");

	assert_int_equal(parse(&o, v6), -1);
	in6 = (const struct sockaddr_in6 *)&o.sync_listen_addr;
	assert_int_equal(in6->sin6_family, AF_INET6);
	assert_int_equal(ntohs(in6->sin6_port), 5000);
	in6 = (const struct sockaddr_in6 *)&o.sync_peer_addr;
	assert_int_equal(ntohs(in6->sin6_port), 3780);

	assert_int_equal(parse_said(&o, alone, err, sizeof(err)), 2);
	assert_non_null(strstr(err, "needs both --sync-peer and --sync-listen"));
	assert_int_equal(parse_said(&o, mixed, err, sizeof(err)), 2);
	assert_non_null(strstr(err, "same family"));
	assert_int_equal(parse_said(&o, bad_port, err, sizeof(err)), 2);
	assert_non_null(strstr(err, "port"));
	assert_int_equal(parse_said(&o, name, err, sizeof(err)), 2);
	assert_non_null(strstr(err, "numeric"));
	assert_int_equal(parse(&o, bad_id), 2);
}

static void test_help_lists_only_real_options(void **state)
{
	char *text = NULL, *p, said[512];
	size_t len = 0, n = 0;
	FILE *f = open_memstream(&text, &len), *saved = stdout;
	struct fwd_options o;

	(void)state;
	stdout = f;
	optind = 0;
	assert_int_equal(options_parse(2, (char *[]){"fwd", "--help", NULL}, &o), 0);
	stdout = saved;
	fclose(f);
	for (p = strstr(text, "--"); p; p = strstr(p + 1, "\n  ")) {
		char name[64];
		const char *args[] = {name, "x", NULL};

		p = strstr(p, "--");
		if (!p || sscanf(p, "%63[a-z-]", name) != 1)
			break;
		if (!strcmp(name, "--help") || !strcmp(name, "--version"))
			continue;
		n++;
		parse_said(&o, args, said, sizeof(said));
		if (strstr(said, "unknown option"))
			fail_msg("--help lists %s, which fwd does not know: %s", name, said);
	}
	free(text);
	if (n < 15)
		fail_msg("found only %zu options in --help", n);
	parse_said(&o, (const char *const[]){"--no-such-option", NULL}, said, sizeof(said));
	assert_non_null(strstr(said, "unknown option"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_defaults),
	    cmocka_unit_test(test_fields),
	    cmocka_unit_test(test_usage_errors),
	    cmocka_unit_test(test_sync_options),
	    cmocka_unit_test(test_help_lists_only_real_options),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
