// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * options.c - fwd's command line and --help.
 */
#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "quote.h"
#include "event_file.h"
#include "ratelimit.h"

#include "fwd.h"
#include "metrics_http.h"
#include "options.h"

/* Where `make install` puts the example policy and tcfw.service points -c. */
#define DEFAULT_POLICY      "/etc/tcfw/policy.conf"
#define CT_MAX_LIMIT        (1u << 26)
#define EXPIRE_INTERVAL_MAX 3600

static const char usage_text[] =
    "Usage: fwd [-c FILE] [options]\n"
    "       fwd --cleanup [--pin-dir DIR] [--socket PATH] [-c FILE]\n"
    "\n"
    "The tcfw daemon: loads the datapath, attaches it to the interfaces named in the\n"
    "policy's zones, installs the policy, follows links and addresses, expires connections\n"
    "and answers fwctl on its control socket. Runs in the foreground; logs to stderr.\n"
    "\n"
    "Options:\n"
    "  -c, --config FILE          policy file (tcfw policy language; default\n"
    "                             " DEFAULT_POLICY "). A file with errors is reported as\n"
    "                             FILE:LINE:COL and fwd exits 1 before touching anything.\n"
    "      --pin-dir DIR          where the maps are pinned (default " TCFW_DEFAULT_PIN_DIR ").\n"
    "                             A new fwd with the same DIR takes over: it reuses the\n"
    "                             maps (every tracked connection) and replaces the programs\n"
    "                             in place. One DIR per instance.\n"
    "      --socket PATH          control socket (default " TCFW_DEFAULT_SOCKET ").\n"
    "                             One PATH per instance.\n"
    "      --group NAME           members of group NAME may use the control socket\n"
    "                             (default: root only).\n"
    "      --keep                 on stop, leave the programs attached and the maps pinned,\n"
    "                             so the firewall keeps working until the next fwd takes over.\n"
    "      --attach MODE          how the programs hook into an interface: tcx (links pinned\n"
    "                             per interface, kernel 6.6+), tc (cls_bpf on a clsact\n"
    "                             qdisc) or auto (default: tcx where the kernel has it and\n"
    "                             the pins outlive fwd, tc otherwise). An interface a running\n"
    "                             datapath already filters keeps its kind (docs/fwd.md).\n"
    "      --no-fast-path         established forwarded packets go through the kernel's IP\n"
    "                             forwarding path like the first packet, instead of leaving\n"
    "                             at ingress (bpf_fib_lookup + bpf_redirect). For gateways\n"
    "                             whose own netfilter rules, IPsec policies or forwarding\n"
    "                             counters must see every packet (docs/fwd.md).\n"
    "      --tcp-liberal          hold only TCP resets to the window (netfilter's\n"
    "                             nf_conntrack_tcp_be_liberal), for asymmetric paths where\n"
    "                             the gateway sees one direction of some connections.\n"
    "      --ct-max N             connections tracked at most (default %u). Only applies when\n"
    "                             the maps are created; pinned maps keep their size.\n"
    "      --expire-interval S    seconds between expiry passes (default 1, 1..%u).\n"
    "      --metrics ADDR:PORT    serve Prometheus metrics at http://ADDR:PORT/metrics\n"
    "                             (default: off), e.g. 127.0.0.1:9464 or [::1]:9464;\n"
    "                             0.0.0.0:PORT or [::]:PORT for every address. Listed in\n"
    "                             docs/fwd.md \"Metrics\".\n"
    "      --cleanup              detach the programs an earlier fwd left (with --keep, or\n"
    "                             after a crash) from its interfaces, remove its clsact qdiscs\n"
    "                             and its pins, then exit. With -c, also detach from the\n"
    "                             interfaces that policy names.\n"
    "      --event-log TARGET     keep log events whether or not a monitor is connected.\n"
    "                             TARGET is a FILE (one JSON object a line, the monitor's\n"
    "                             JSON with wall-clock \"time\"), `journal` (journald, with\n"
    "                             TCFW_* fields) or `none`. May be given twice: a FILE and\n"
    "                             the journal. Without it: the journal when stderr is it\n"
    "                             (JOURNAL_STREAM, i.e. under systemd), else nothing.\n"
    "      --event-log-connections  new and destroy connection events too.\n"
    "      --event-log-size SIZE  rotate FILE when it would grow past SIZE (bytes, or with\n"
    "                             k, M, G: KiB, MiB, GiB; default 16M; 0: never, leave it\n"
    "                             to logrotate and SIGHUP).\n"
    "      --event-log-keep N     rotated files kept, FILE.1 (newest) .. FILE.N (default 4,\n"
    "                             0..100; 0: FILE starts over).\n"
    "      --event-log-rate N     events logged a second at most (default 1000; 0: no\n"
    "                             limit); the excess is counted and written as a\n"
    "                             {\"type\":\"lost\",\"count\":N} record when logging resumes.\n"
    "      --event-log-burst N    events logged at once above the rate (default: the rate).\n"
    "  -v, --verbose              more output: -v info (libbpf warnings included), -vv debug,\n"
    "                             -vvv libbpf debug.\n"
    "  -V, --version              print the version and exit.\n"
    "  -h, --help                 this text.\n"
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
    "  DIR/<map>                  pinned maps (ct, ct_reply, config, ifaces, ...); fwctl\n"
    "                             reads them for listings.\n"
    "  PATH                       control socket: newline-delimited JSON (docs/fwd.md).\n"
    "\n"
    "Exit status: 0 clean stop, 1 failure, 2 usage error.\n"
    "Manual: docs/fwd.md.\n";

static void usage(FILE *f)
{
	fprintf(f, usage_text, TCFW_CT_MAX_DEFAULT, EXPIRE_INTERVAL_MAX);
}

static int usage_error(const char *fmt, const char *arg)
{
	fprintf(stderr, "fwd: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\nTry 'fwd --help'.\n");
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

enum {
	OPT_PIN_DIR = 256,
	OPT_SOCKET,
	OPT_KEEP,
	OPT_GROUP,
	OPT_CT_MAX,
	OPT_EXPIRE_INTERVAL,
	OPT_CLEANUP,
	OPT_ATTACH,
	OPT_NO_FAST_PATH,
	OPT_TCP_LIBERAL,
	OPT_METRICS,
	/* the event log */
	OPT_EVENT_LOG,
	OPT_EVENT_LOG_CONNECTIONS,
	OPT_EVENT_LOG_SIZE,
	OPT_EVENT_LOG_KEEP,
	OPT_EVENT_LOG_RATE,
	OPT_EVENT_LOG_BURST,
};

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

/* One --event-log* option; 0, or the usage error's exit code. */
static int event_log_option(int opt, const char *arg, struct fwd_eventlog_options *o)
{
	unsigned long n;

	switch (opt) {
	case OPT_EVENT_LOG:
		o->given = true;
		if (!strcmp(arg, "none")) {
			o->file = NULL;
			o->journal = false;
		} else if (!strcmp(arg, "journal")) {
			o->journal = true;
		} else if (!*arg) {
			return usage_error("--event-log '%s': give a FILE, `journal` or `none`",
			                   arg);
		} else if (o->file) {
			return usage_error("--event-log %s: one file at most (a file and `journal` "
			                   "may go together)",
			                   arg);
		} else {
			o->file = arg;
		}
		return 0;
	case OPT_EVENT_LOG_CONNECTIONS:
		o->connections = true;
		return 0;
	case OPT_EVENT_LOG_SIZE:
		if (!parse_size(arg, &o->max_size))
			return usage_error(
			    "--event-log-size %s: expected 0 (never rotate) or a size "
			    "from 1k to 1024G, like 64M",
			    arg);
		return 0;
	case OPT_EVENT_LOG_KEEP:
		if (!parse_uint(arg, 0, EVFILE_KEEP_MAX, &n))
			return usage_error("--event-log-keep %s: expected a number of files from 0 "
			                   "to 100",
			                   arg);
		o->keep = (unsigned int)n;
		return 0;
	case OPT_EVENT_LOG_RATE:
		if (!parse_uint(arg, 0, RATELIMIT_RATE_MAX, &n))
			return usage_error(
			    "--event-log-rate %s: expected events a second from 0 (no "
			    "limit) to 1000000",
			    arg);
		o->rate = (uint32_t)n;
		return 0;
	default: /* OPT_EVENT_LOG_BURST */
		if (!parse_uint(arg, 1, RATELIMIT_BURST_MAX, &n))
			return usage_error(
			    "--event-log-burst %s: expected a number of events from 1 "
			    "to 10000000",
			    arg);
		o->burst = (uint32_t)n;
		return 0;
	}
}

int options_parse(int argc, char **argv, struct fwd_options *o)
{
	static const struct option longopts[] = {
	    {"config", required_argument, NULL, 'c'},
	    {"pin-dir", required_argument, NULL, OPT_PIN_DIR},
	    {"socket", required_argument, NULL, OPT_SOCKET},
	    {"keep", no_argument, NULL, OPT_KEEP},
	    {"group", required_argument, NULL, OPT_GROUP},
	    {"ct-max", required_argument, NULL, OPT_CT_MAX},
	    {"expire-interval", required_argument, NULL, OPT_EXPIRE_INTERVAL},
	    {"cleanup", no_argument, NULL, OPT_CLEANUP},
	    {"attach", required_argument, NULL, OPT_ATTACH},
	    {"no-fast-path", no_argument, NULL, OPT_NO_FAST_PATH},
	    {"tcp-liberal", no_argument, NULL, OPT_TCP_LIBERAL},
	    {"metrics", required_argument, NULL, OPT_METRICS},
	    {"event-log", required_argument, NULL, OPT_EVENT_LOG},
	    {"event-log-connections", no_argument, NULL, OPT_EVENT_LOG_CONNECTIONS},
	    {"event-log-size", required_argument, NULL, OPT_EVENT_LOG_SIZE},
	    {"event-log-keep", required_argument, NULL, OPT_EVENT_LOG_KEEP},
	    {"event-log-rate", required_argument, NULL, OPT_EVENT_LOG_RATE},
	    {"event-log-burst", required_argument, NULL, OPT_EVENT_LOG_BURST},
	    {"verbose", no_argument, NULL, 'v'},
	    {"version", no_argument, NULL, 'V'},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	char err[256];
	unsigned long n;
	struct group *gr;
	int opt, ret;

	memset(o, 0, sizeof(*o));
	o->pin_dir = TCFW_DEFAULT_PIN_DIR;
	o->socket_path = TCFW_DEFAULT_SOCKET;
	o->ct_max = TCFW_CT_MAX_DEFAULT;
	o->expire_interval_s = 1;
	o->evlog.max_size = EVENT_LOG_SIZE_DEFAULT;
	o->evlog.keep = EVENT_LOG_KEEP_DEFAULT;
	o->evlog.rate = EVENT_LOG_RATE_DEFAULT;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":c:vVh", longopts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			o->policy_path = optarg;
			break;
		case OPT_PIN_DIR:
			if (optarg[0] != '/')
				return usage_error("--pin-dir %s: give an absolute path", optarg);
			o->pin_dir = optarg;
			break;
		case OPT_SOCKET:
			o->socket_path = optarg;
			break;
		case OPT_KEEP:
			o->keep = true;
			break;
		case OPT_GROUP:
			gr = getgrnam(optarg);
			if (!gr)
				return usage_error("--group %s: no such group", optarg);
			o->group_name = optarg;
			o->group_gid = gr->gr_gid;
			o->have_group = true;
			break;
		case OPT_CT_MAX:
			if (!parse_uint(optarg, 1, CT_MAX_LIMIT, &n))
				return usage_error("--ct-max %s: expected a number of connections "
				                   "from 1 to 67108864",
				                   optarg);
			o->ct_max = (__u32)n;
			break;
		case OPT_EXPIRE_INTERVAL:
			if (!parse_uint(optarg, 1, EXPIRE_INTERVAL_MAX, &n))
				return usage_error("--expire-interval %s: expected seconds from 1 "
				                   "to 3600",
				                   optarg);
			o->expire_interval_s = (unsigned int)n;
			break;
		case OPT_CLEANUP:
			o->cleanup = true;
			break;
		case OPT_ATTACH:
			if (!strcmp(optarg, "auto"))
				o->attach = FWD_ATTACH_AUTO;
			else if (!strcmp(optarg, "tcx"))
				o->attach = FWD_ATTACH_TCX;
			else if (!strcmp(optarg, "tc"))
				o->attach = FWD_ATTACH_TC;
			else
				return usage_error("--attach %s: expected auto, tcx or tc",
				                   QUOTE(optarg));
			break;
		case OPT_TCP_LIBERAL:
			o->tcp_liberal = true;
			break;
		case OPT_NO_FAST_PATH:
			o->no_fast_path = true;
			break;
		case OPT_METRICS:
			if (metrics_parse_listen(optarg, &o->metrics_addr, &o->metrics_addrlen, err,
			                         sizeof(err))) {
				char msg[512];

				snprintf(msg, sizeof(msg), "--metrics %s: %s", optarg, err);
				return usage_error("%s", msg);
			}
			o->metrics_listen = optarg;
			break;
		case OPT_EVENT_LOG:
		case OPT_EVENT_LOG_CONNECTIONS:
		case OPT_EVENT_LOG_SIZE:
		case OPT_EVENT_LOG_KEEP:
		case OPT_EVENT_LOG_RATE:
		case OPT_EVENT_LOG_BURST:
			ret = event_log_option(opt, optarg, &o->evlog);
			if (ret)
				return ret;
			break;
		case 'v':
			o->verbosity++;
			break;
		case 'V':
			printf("fwd (tcfw) %s\n", TCFW_VERSION);
			return FWD_EXIT_OK;
		case 'h':
			usage(stdout);
			return FWD_EXIT_OK;
		case ':':
			return usage_error("option %s needs an argument", argv[optind - 1]);
		default:
			return usage_error("unknown option %s", QUOTE(argv[optind - 1]));
		}
	}
	if (optind < argc)
		return usage_error("unexpected argument %s (the policy file goes after -c)",
		                   QUOTE(argv[optind]));
	if (!o->policy_path && !o->cleanup)
		o->policy_path = DEFAULT_POLICY;
	if (!o->evlog.burst) /* one second's worth */
		o->evlog.burst = o->evlog.rate ? o->evlog.rate : 1;
	return -1;
}
