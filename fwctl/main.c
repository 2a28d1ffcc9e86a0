// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * main.c - fwctl's entry point: global options (only before the command), logger and output
 * set-up, then the command table decides the rest.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "fwctl.h"
#include "log.h"
#include "out.h"
#include "quote.h"

/* "+" stops at the first word that is not an option: everything after it is the command's. */
static const char short_options[] = "+s:jpvhV";
enum { OPT_PIN_DIR = 256 };
static const struct option long_options[] = {
    {"socket", required_argument, NULL, 's'},
    {"json", no_argument, NULL, 'j'},
    {"pretty", no_argument, NULL, 'p'},
    {"pin-dir", required_argument, NULL, OPT_PIN_DIR},
    {"verbose", no_argument, NULL, 'v'},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, 'V'},
    {"complete-words", no_argument, NULL, 'W'},
    {NULL, 0, NULL, 0},
};

int main(int argc, char **argv)
{
	struct fwctl fw = {.socket_path = TCFW_DEFAULT_SOCKET};
	int opt, ret;

	/* The logger names us from the start: the option errors below go through it too. */
	log_init("fwctl", LOG_LEVEL_WARN);
	opterr = 0; /* our own messages, which say what to do */
	for (;;) {
		/* conntrack's -L, -E ... name a command: the options end there. */
		if (optind < argc && commands_is_alias(argv[optind]))
			break;
		opt = getopt_long(argc, argv, short_options, long_options, NULL);
		if (opt == -1)
			break;
		switch (opt) {
		case 's':
			fw.socket_path = optarg;
			break;
		case 'j':
			fw.json = true;
			break;
		case OPT_PIN_DIR:
			fw.pin_dir = optarg;
			break;
		case 'p': /* pretty JSON is JSON */
			fw.json = true;
			fw.pretty = true;
			break;
		case 'v':
			fw.verbose++;
			break;
		case 'h':
			commands_print_usage(stdout);
			return FWCTL_EXIT_OK;
		case 'V':
			printf("fwctl (tcfw) %s\n", TCFW_VERSION);
			return FWCTL_EXIT_OK;
		case 'W': /* --complete-words, for the bash completion: not in --help */
			commands_print_words(stdout);
			return FWCTL_EXIT_OK;
		default:
			if (optopt == OPT_PIN_DIR)
				pr_warn("--pin-dir needs a directory (fwd's --pin-dir, "
				        "default " TCFW_DEFAULT_PIN_DIR ")");
			else if (optopt == 's')
				pr_warn("--socket needs a path (fwd's control socket, "
				        "default %s)",
				        TCFW_DEFAULT_SOCKET);
			else
				pr_warn("unknown option %s; run 'fwctl --help'",
				        QUOTE(argv[optind - 1]));
			return FWCTL_EXIT_USAGE;
		}
	}

	log_init("fwctl", fw.verbose >= 2 ? LOG_LEVEL_DEBUG
	                  : fw.verbose    ? LOG_LEVEL_INFO
	                                  : LOG_LEVEL_WARN);
	log_route_libbpf();
	out_init(stdout, fw.json);
	out_set_pretty(fw.pretty);
	ret = commands_dispatch(&fw, argc - optind, argv + optind);
	out_finish();
	if (fflush(stdout) != 0 || ferror(stdout)) {
		pr_warn("cannot write the output: %s", strerror(errno));
		return FWCTL_EXIT_FAILURE;
	}
	return ret;
}
