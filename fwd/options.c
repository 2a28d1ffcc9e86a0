// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * options.c - fwd's command line and --help.
 */
#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include "ctl.h"
#include "quote.h"
#include "event_file.h"
#include "log.h"
#include "ratelimit.h"

#include "fwd.h"
#include "metrics_http.h"
#include "options.h"
#include "sync.h"

/* Where `make install` puts the example policy and tcfw.service points -c. */
#define DEFAULT_POLICY      "/etc/tcfw/policy.conf"
#define CT_MAX_LIMIT        (1u << 26)
#define EXPIRE_INTERVAL_MAX 3600

/* Stringify a number macro for the help text: "(default " STR(TCFW_CT_MAX_DEFAULT) ")". */
#define STR_(x) #x
#define STR(x)  STR_(x)

#define GO_ON (-1) /* an option's apply(): parsed, carry on */

/*
 * One option of fwd's command line: its getopt_long entry and its --help lines both come from
 * here, so adding an option is adding an entry to options[] below (and its apply function).
 */
struct fwd_option {
	const char *name; /* --name */
	char short_name;  /* -c, or 0 for a long option only */
	const char *arg;  /* the argument as --help names it ("FILE"), or NULL: takes none */
	const char *help; /* --help's lines, '\n' between them */
	/* Take the option into o: GO_ON, or the exit code to end with now (usage_error()). */
	int (*apply)(const struct fwd_option *opt, const char *arg, struct fwd_options *o);
	/* For the shared appliers set_flag and set_uint: the field of struct fwd_options
	 * (FLAG() / UINT()), and set_uint's range and what it is ("seconds from 1 to 3600"). */
	size_t field;
	unsigned long min, max;
	const char *expected;
};

/* The field of a bool option, and of a 32-bit unsigned one (checked at compile time). */
#define FLAG(f)                                                                                    \
	.field = offsetof(struct fwd_options, f) +                                                 \
	         0 * sizeof(char[sizeof(((struct fwd_options *)0)->f) == sizeof(bool) ? 1 : -1])
#define UINT(f)                                                                                    \
	.field =                                                                                   \
	    offsetof(struct fwd_options, f) +                                                      \
	    0 * sizeof(char[sizeof(((struct fwd_options *)0)->f) == sizeof(uint32_t) ? 1 : -1])

static const char usage_head[] =
    "Usage: fwd [-c FILE] [options]\n"
    "       fwd --cleanup [--pin-dir DIR] [--socket PATH] [-c FILE]\n"
    "\n"
    "The tcfw daemon: loads the datapath, attaches it to the interfaces named in the\n"
    "policy's zones, installs the policy, follows links and addresses, expires connections\n"
    "and answers fwctl on its control socket. Runs in the foreground; logs to stderr.\n"
    "\n"
    "Options:\n";

static const char usage_tail[] =
    "\n"
    "Signals:\n"
    "  SIGHUP                     re-read -c FILE and install it atomically; a file with\n"
    "                             errors is logged and the running policy stays. The event\n"
    "                             log's FILE is closed and opened again (logrotate).\n"
    "  SIGTERM, SIGINT            stop: detach and unpin (unless --keep), remove the socket.\n"
    "  SIGKILL, crash             programs stay attached and maps pinned; the next fwd with\n"
    "                             the same --pin-dir takes over without losing connections.\n"
    "\n"
    "Files:\n"
    "  DIR/<map>                  pinned maps (ct, config, ifaces, ...); fwctl\n"
    "                             reads them for listings.\n"
    "  PATH                       control socket: newline-delimited JSON (docs/fwd.md).\n"
    "\n"
    "Exit status: 0 clean stop, 1 failure, 2 usage error.\n"
    "Manual: docs/fwd.md.\n";

static int usage_error(const char *fmt, const char *arg)
{
	char msg[1024];

	snprintf(msg, sizeof(msg), fmt, arg);
	pr_warn("%s", msg);
	fputs("Try 'fwd --help'.\n", stderr); /* usage text, as fwctl's */
	return FWD_EXIT_USAGE;
}

/* A decimal in [min, max]; false when s is not one. */
static bool parse_uint(const char *s, unsigned long min, unsigned long max, unsigned long *out)
{
	char *end;

	errno = 0;
	if (*s < '0' || *s > '9')
		return false;
	*out = strtoul(s, &end, 10);
	return !errno && !*end && *out >= min && *out <= max;
}

/* ---- the appliers -------------------------------------------------------------------------- */
/* An option without argument that turns a bool on. */
static int set_flag(const struct fwd_option *opt, const char *arg, struct fwd_options *o)
{
	(void)arg;
	*(bool *)((char *)o + opt->field) = true;
	return GO_ON;
}

/* An option whose argument is a decimal in [min, max], kept in a 32-bit unsigned field. */
static int set_uint(const struct fwd_option *opt, const char *arg, struct fwd_options *o)
{
	uint32_t v;
	unsigned long n;
	char msg[256];

	if (!parse_uint(arg, opt->min, opt->max, &n)) {
		snprintf(msg, sizeof(msg), "--%s %s: expected %s", opt->name, arg, opt->expected);
		return usage_error("%s", msg);
	}
	v = (uint32_t)n;
	memcpy((char *)o + opt->field, &v, sizeof(v));
	return GO_ON;
}

/* ---- the daemon's options ------------------------------------------------------------------ */
static int opt_config(const struct fwd_option *opt, const char *arg, struct fwd_options *o)
{
	(void)opt;
	o->policy_path = arg;
	return GO_ON;
}

static int opt_pin_dir(const struct fwd_option *opt, const char *arg, struct fwd_options *o)
{
	(void)opt;
	if (arg[0] != '/')
		return usage_error("--pin-dir %s: give an absolute path", arg);
	o->pin_dir = arg;
	return GO_ON;
}

static int opt_attach(const struct fwd_option *opt, const char *arg, struct fwd_options *o)
{
	(void)opt;
	if (!strcmp(arg, "auto"))
		o->attach = FWD_ATTACH_AUTO;
	else if (!strcmp(arg, "tcx"))
		o->attach = FWD_ATTACH_TCX;
	else if (!strcmp(arg, "tc"))
		o->attach = FWD_ATTACH_TC;
	else
		return usage_error("--attach %s: expected auto, tcx or tc", QUOTE(arg));
	return GO_ON;
}

static int opt_socket(const struct fwd_option *opt, const char *arg, struct fwd_options *o)
{
	(void)opt;
	o->socket_path = arg;
	return GO_ON;
}

static int opt_group(const struct fwd_option *opt, const char *arg, struct fwd_options *o)
{
	(void)opt;
	struct group *gr = getgrnam(arg);

	if (!gr)
		return usage_error("--group %s: no such group", arg);
	o->group_name = arg;
	o->group_gid = gr->gr_gid;
	o->have_group = true;
	return GO_ON;
}

static int opt_metrics(const struct fwd_option *opt, const char *arg, struct fwd_options *o)
{
	(void)opt;
	char err[256], msg[512];

	if (metrics_parse_listen(arg, &o->metrics_addr, &o->metrics_addrlen, err, sizeof(err))) {
		snprintf(msg, sizeof(msg), "--metrics %s: %s", arg, err);
		return usage_error("%s", msg);
	}
	o->metrics_listen = arg;
	return GO_ON;
}

static int opt_verbose(const struct fwd_option *opt, const char *arg, struct fwd_options *o)
{
	(void)opt;
	(void)arg;
	o->verbosity++;
	return GO_ON;
}

static int opt_version(const struct fwd_option *opt, const char *arg, struct fwd_options *o)
{
	(void)opt;
	(void)arg;
	(void)o;
	printf("fwd (tcfw) %s\n", TCFW_VERSION);
	return FWD_EXIT_OK;
}

static int opt_help(const struct fwd_option *opt, const char *arg, struct fwd_options *o);

/* ---- state replication's options ------------------------------------------------------- */
/* ADDR[:PORT] with a numeric address: A.B.C.D, A.B.C.D:PORT, an IPv6 address alone, or
 * [IPV6]:PORT. 0, or -1 with err set. */
static int parse_sync_addr(const char *arg, struct sockaddr_storage *ss, socklen_t *len, char *err,
                           size_t errlen)
{
	char host[INET6_ADDRSTRLEN + 1];
	const char *port = NULL, *colon = strchr(arg, ':');
	unsigned long p = SYNC_PORT_DEFAULT;
	size_t hl;

	memset(ss, 0, sizeof(*ss));
	if (arg[0] == '[') {
		const char *close = strchr(arg, ']');

		if (!close || (close[1] && close[1] != ':')) {
			snprintf(err, errlen, "expected [IPV6] or [IPV6]:PORT");
			return -1;
		}
		hl = (size_t)(close - arg - 1);
		if (hl >= sizeof(host)) {
			snprintf(err, errlen, "not an IPv6 address between the brackets");
			return -1;
		}
		memcpy(host, arg + 1, hl);
		host[hl] = '\0';
		port = close[1] ? close + 2 : NULL;
	} else if (colon && strchr(colon + 1, ':')) {
		snprintf(host, sizeof(host), "%s", arg); /* IPv6 without a port */
	} else {
		hl = colon ? (size_t)(colon - arg) : strlen(arg);
		if (hl >= sizeof(host)) {
			snprintf(err, errlen, "not an IP address");
			return -1;
		}
		memcpy(host, arg, hl);
		host[hl] = '\0';
		port = colon ? colon + 1 : NULL;
	}
	if (port && !parse_uint(port, 1, 65535, &p)) {
		snprintf(err, errlen, "the port must be a number from 1 to 65535");
		return -1;
	}
	if (inet_pton(AF_INET, host, &((struct sockaddr_in *)ss)->sin_addr) == 1) {
		((struct sockaddr_in *)ss)->sin_family = AF_INET;
		((struct sockaddr_in *)ss)->sin_port = htons((uint16_t)p);
		*len = sizeof(struct sockaddr_in);
		return 0;
	}
	if (inet_pton(AF_INET6, host, &((struct sockaddr_in6 *)ss)->sin6_addr) == 1) {
		((struct sockaddr_in6 *)ss)->sin6_family = AF_INET6;
		((struct sockaddr_in6 *)ss)->sin6_port = htons((uint16_t)p);
		*len = sizeof(struct sockaddr_in6);
		return 0;
	}
	snprintf(err, errlen, "not a numeric IPv4 or IPv6 address");
	return -1;
}

static int opt_sync_addr(const struct fwd_option *opt, const char *arg, struct fwd_options *o)
{
	bool listen = !strcmp(opt->name, "sync-listen");
	char err[128], msg[256];

	if (parse_sync_addr(arg, listen ? &o->sync_listen_addr : &o->sync_peer_addr,
	                    listen ? &o->sync_listen_len : &o->sync_peer_len, err, sizeof(err))) {
		snprintf(msg, sizeof(msg), "--%s %s: %s (e.g. 10.255.0.1 or 10.255.0.1:%d)",
		         opt->name, arg, err, SYNC_PORT_DEFAULT);
		return usage_error("%s", msg);
	}
	if (listen)
		o->sync_listen = arg;
	else
		o->sync_peer = arg;
	return GO_ON;
}

static int opt_sync_node_id(const struct fwd_option *opt, const char *arg, struct fwd_options *o)
{
	int ret = set_uint(opt, arg, o);

	if (ret == GO_ON)
		o->have_sync_node_id = true;
	return ret;
}

/* ---- the event log's options --------------------------------------------------------------- */
#define EVENT_LOG_SIZE_DEFAULT (16ull << 20)
#define EVENT_LOG_SIZE_MIN     1024ull
#define EVENT_LOG_SIZE_MAX     (1ull << 40)
#define EVENT_LOG_KEEP_DEFAULT 4
#define EVENT_LOG_RATE_DEFAULT 1000

/* SIZE: bytes, or a number with k, M or G (KiB, MiB, GiB; "KiB" etc. spelt out too). */
static bool parse_size(const char *s, uint64_t *out)
{
	static const struct {
		const char *suffix[3];
		unsigned int shift;
	} units[] = {{{"", "B", NULL}, 0},
	             {{"k", "K", "KiB"}, 10},
	             {{"M", "m", "MiB"}, 20},
	             {{"G", "g", "GiB"}, 30}};
	unsigned long long v;
	char *end;

	errno = 0;
	if (*s < '0' || *s > '9')
		return false;
	v = strtoull(s, &end, 10);
	if (errno)
		return false;
	for (size_t u = 0; u < sizeof(units) / sizeof(units[0]); u++)
		for (size_t i = 0; i < 3 && units[u].suffix[i]; i++)
			if (!strcmp(end, units[u].suffix[i])) {
				if (v > (EVENT_LOG_SIZE_MAX >> units[u].shift))
					return false;
				*out = (uint64_t)v << units[u].shift;
				return *out == 0 || *out >= EVENT_LOG_SIZE_MIN;
			}
	return false;
}

/* ---- the event log's options --------------------------------------------------------------- */
static int opt_event_log(const struct fwd_option *opt, const char *arg, struct fwd_options *opts)
{
	(void)opt;
	struct fwd_eventlog_options *o = &opts->evlog;

	o->given = true;
	if (!strcmp(arg, "none")) {
		o->file = NULL;
		o->journal = false;
	} else if (!strcmp(arg, "journal")) {
		o->journal = true;
	} else if (!*arg) {
		return usage_error("--event-log '%s': give a FILE, `journal` or `none`", arg);
	} else if (o->file) {
		return usage_error("--event-log %s: one file at most (a file and `journal` "
		                   "may go together)",
		                   arg);
	} else {
		o->file = arg;
	}
	return GO_ON;
}

static int opt_event_log_size(const struct fwd_option *opt, const char *arg, struct fwd_options *o)
{
	(void)opt;
	if (!parse_size(arg, &o->evlog.max_size))
		return usage_error("--event-log-size %s: expected 0 (never rotate) or a size "
		                   "from 1k to 1024G, like 64M",
		                   arg);
	return GO_ON;
}

/* ---- the table ------------------------------------------------------------------------------ */
static const struct fwd_option options[] = {
    {"config", 'c', "FILE",
     "policy file (tcfw policy language; default\n" DEFAULT_POLICY
     "). A file with errors is reported as\n"
     "FILE:LINE:COL and fwd exits 1 before touching anything.",
     .apply = opt_config},
    {"pin-dir", 0, "DIR",
     "where the maps are pinned (default " TCFW_DEFAULT_PIN_DIR ").\n"
     "A new fwd with the same DIR takes over: it reuses the\n"
     "maps (every tracked connection) and replaces the programs\n"
     "in place. One DIR per instance.",
     .apply = opt_pin_dir},
    {"socket", 0, "PATH",
     "control socket (default " TCFW_DEFAULT_SOCKET ").\n"
     "One PATH per instance.",
     .apply = opt_socket},
    {"group", 0, "NAME",
     "members of group NAME may use the control socket\n"
     "(default: root only).",
     .apply = opt_group},
    {"keep", 0, NULL,
     "on stop, leave the programs attached and the maps pinned,\n"
     "so the firewall keeps working until the next fwd takes over.",
     .apply = set_flag, FLAG(keep)},
    {"attach", 0, "MODE",
     "how the programs hook into an interface: tcx (links pinned\n"
     "per interface, kernel 6.6+), tc (cls_bpf on a clsact\n"
     "qdisc) or auto (default: tcx where the kernel has it and\n"
     "the pins outlive fwd, tc otherwise). An interface a running\n"
     "datapath already filters keeps its kind (docs/fwd.md).",
     .apply = opt_attach},
    {"no-fast-path", 0, NULL,
     "established forwarded packets go through the kernel's IP\n"
     "forwarding path like the first packet, instead of leaving\n"
     "at ingress (bpf_fib_lookup + bpf_redirect). For gateways\n"
     "whose own netfilter rules, IPsec policies or forwarding\n"
     "counters must see every packet (docs/fwd.md).",
     .apply = set_flag, FLAG(no_fast_path)},
    {"tcp-liberal", 0, NULL,
     "hold only TCP resets to the window (netfilter's\n"
     "nf_conntrack_tcp_be_liberal), for asymmetric paths where\n"
     "the gateway sees one direction of some connections.",
     .apply = set_flag, FLAG(tcp_liberal)},
    {"ct-max", 0, "N",
     "entries of the connection table (default " STR(
	 TCFW_CT_MAX_DEFAULT) "): a connection takes one,\n"
                              "a translated one two. Only applies when the table is\n"
                              "created; a pinned table keeps its size.",
     .apply = set_uint, UINT(ct_max), 1, CT_MAX_LIMIT,
     "a number of connections from 1 to 67108864"},
    {"expire-interval", 0, "S",
     "seconds between expiry passes (default 1, 1.." STR(EXPIRE_INTERVAL_MAX) ").",
     .apply = set_uint, UINT(expire_interval_s), 1, EXPIRE_INTERVAL_MAX, "seconds from 1 to 3600"},
    {"metrics", 0, "ADDR:PORT",
     "serve Prometheus metrics at http://ADDR:PORT/metrics\n"
     "(default: off), e.g. 127.0.0.1:9464 or [::1]:9464;\n"
     "0.0.0.0:PORT or [::]:PORT for every address. Listed in\n"
     "docs/fwd.md \"Metrics\".",
     .apply = opt_metrics},
    {"cleanup", 0, NULL,
     "detach the programs an earlier fwd left (with --keep, or\n"
     "after a crash) from its interfaces, remove its clsact qdiscs\n"
     "and its pins, then exit. With -c, also detach from the\n"
     "interfaces that policy names.",
     .apply = set_flag, FLAG(cleanup)},
    {"event-log", 0, "TARGET",
     "keep log events whether or not a monitor is connected.\n"
     "TARGET is a FILE (one JSON object a line, the monitor's\n"
     "JSON with wall-clock \"time\"), `journal` (journald, with\n"
     "TCFW_* fields) or `none`. May be given twice: a FILE and\n"
     "the journal. Without it: the journal when stderr is it\n"
     "(JOURNAL_STREAM, i.e. under systemd), else nothing.",
     .apply = opt_event_log},
    {"event-log-connections", 0, NULL, "new and destroy connection events too.", .apply = set_flag,
     FLAG(evlog.connections)},
    {"event-log-size", 0, "SIZE",
     "rotate FILE when it would grow past SIZE (bytes, or with\n"
     "k, M, G: KiB, MiB, GiB; default 16M; 0: never, leave it\n"
     "to logrotate and SIGHUP).",
     .apply = opt_event_log_size},
    {"event-log-keep", 0, "N",
     "rotated files kept, FILE.1 (newest) .. FILE.N (default 4,\n"
     "0..100; 0: FILE starts over).",
     .apply = set_uint, UINT(evlog.keep), 0, EVFILE_KEEP_MAX, "a number of files from 0 to 100"},
    {"event-log-rate", 0, "N",
     "events logged a second at most (default 1000; 0: no\n"
     "limit); the excess is counted and written as a\n"
     "{\"type\":\"lost\",\"count\":N} record when logging resumes.",
     .apply = set_uint, UINT(evlog.rate), 0, RATELIMIT_RATE_MAX,
     "events a second from 0 (no limit) to 1000000"},
    {"event-log-burst", 0, "N", "events logged at once above the rate (default: the rate).",
     .apply = set_uint, UINT(evlog.burst), 1, RATELIMIT_BURST_MAX,
     "a number of events from 1 to 10000000"},
    {"sync-peer", 0, "ADDR[:PORT]",
     "replicate connection state with the other gateway of a\n"
     "pair, which listens at ADDR:PORT (UDP, default port 3780;\n"
     "[IPV6]:PORT). Needs --sync-listen. keepalived sets the\n"
     "roles with `fwctl ha master|backup|fault` (docs/ha.md).",
     .apply = opt_sync_addr},
    {"sync-listen", 0, "ADDR[:PORT]",
     "this node's address on the sync link, where the peer\n"
     "sends (default port 3780). Messages from any other\n"
     "address than the peer's are ignored.",
     .apply = opt_sync_addr},
    {"sync-node-id", 0, "N",
     "this node's id in the pair, shown by the peer's `fwctl ha\n"
     "status` (default: random at each start).",
     .apply = opt_sync_node_id, UINT(sync_node_id), 1, UINT32_MAX, "a number from 1 to 4294967295"},
    {"verbose", 'v', NULL,
     "more output: -v info (libbpf warnings included), -vv debug,\n"
     "-vvv libbpf debug.",
     .apply = opt_verbose},
    {"version", 'V', NULL, "print the version and exit.", .apply = opt_version},
    {"help", 'h', NULL, "this text.", .apply = opt_help},
};
#define N_OPTIONS (sizeof(options) / sizeof(options[0]))

/* getopt_long's value of a long option without a short one: its index in options[] plus
 * this, above every char. */
#define LONG_ONLY_BASE 256

/* Column where the help lines start; an option name that reaches it gets two spaces. */
#define HELP_COLUMN 29

static void usage(FILE *f)
{
	fputs(usage_head, f);
	for (size_t i = 0; i < N_OPTIONS; i++) {
		const struct fwd_option *opt = &options[i];
		const char *line = opt->help, *nl;
		int w;

		if (opt->short_name)
			w = fprintf(f, "  -%c, --%s", opt->short_name, opt->name);
		else
			w = fprintf(f, "      --%s", opt->name);
		if (opt->arg)
			w += fprintf(f, " %s", opt->arg);
		fprintf(f, "%*s", w < HELP_COLUMN - 1 ? HELP_COLUMN - w : 2, "");
		while ((nl = strchr(line, '\n'))) {
			fprintf(f, "%.*s\n%*s", (int)(nl - line), line, HELP_COLUMN, "");
			line = nl + 1;
		}
		fprintf(f, "%s\n", line);
	}
	fputs(usage_tail, f);
}

static int opt_help(const struct fwd_option *opt, const char *arg, struct fwd_options *o)
{
	(void)opt;
	(void)arg;
	(void)o;
	usage(stdout);
	return FWD_EXIT_OK;
}

/* The option getopt_long returned val for, or NULL for '?' and ':'. */
static const struct fwd_option *option_of(int val)
{
	if (val >= LONG_ONLY_BASE && (size_t)(val - LONG_ONLY_BASE) < N_OPTIONS)
		return &options[val - LONG_ONLY_BASE];
	for (size_t i = 0; i < N_OPTIONS; i++)
		if (options[i].short_name && options[i].short_name == val)
			return &options[i];
	return NULL;
}

int options_parse(int argc, char **argv, struct fwd_options *o)
{
	struct option longopts[N_OPTIONS + 1];
	char shortopts[2 * N_OPTIONS + 2] = ":"; /* ':' first: a missing argument is ':' */
	const struct fwd_option *opt;
	size_t ns = 1;
	int val, ret;

	for (size_t i = 0; i < N_OPTIONS; i++) {
		int has_arg = options[i].arg ? required_argument : no_argument;

		longopts[i] = (struct option){options[i].name, has_arg, NULL,
		                              options[i].short_name ? options[i].short_name
		                                                    : LONG_ONLY_BASE + (int)i};
		if (options[i].short_name) {
			shortopts[ns++] = options[i].short_name;
			if (options[i].arg)
				shortopts[ns++] = ':';
		}
	}
	longopts[N_OPTIONS] = (struct option){0};
	shortopts[ns] = '\0';

	memset(o, 0, sizeof(*o));
	o->pin_dir = TCFW_DEFAULT_PIN_DIR;
	o->socket_path = TCFW_DEFAULT_SOCKET;
	o->ct_max = TCFW_CT_MAX_DEFAULT;
	o->expire_interval_s = 1;
	o->evlog.max_size = EVENT_LOG_SIZE_DEFAULT;
	o->evlog.keep = EVENT_LOG_KEEP_DEFAULT;
	o->evlog.rate = EVENT_LOG_RATE_DEFAULT;
	opterr = 0;
	while ((val = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
		if (val == ':')
			return usage_error("option %s needs an argument", argv[optind - 1]);
		opt = option_of(val);
		if (!opt)
			return usage_error("unknown option %s", QUOTE(argv[optind - 1]));
		ret = opt->apply(opt, optarg, o);
		if (ret != GO_ON)
			return ret;
	}
	if (optind < argc)
		return usage_error("unexpected argument %s (the policy file goes after -c)",
		                   QUOTE(argv[optind]));
	if (!o->policy_path && !o->cleanup)
		o->policy_path = DEFAULT_POLICY;
	if (!o->sync_peer != !o->sync_listen)
		return usage_error("%s: state replication needs both --sync-peer and --sync-listen",
		                   o->sync_peer ? "--sync-peer" : "--sync-listen");
	if (o->sync_peer && o->sync_peer_addr.ss_family != o->sync_listen_addr.ss_family)
		return usage_error("%s: --sync-peer and --sync-listen must be of the same family "
		                   "(both IPv4 or both IPv6)",
		                   o->sync_peer);
	if (!o->evlog.burst) /* one second's worth */
		o->evlog.burst = o->evlog.rate ? o->evlog.rate : 1;
	return -1;
}
