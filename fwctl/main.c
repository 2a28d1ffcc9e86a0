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
static const char short_options[] = "+s:jvhV";
static const struct option long_options[] = {
    {"socket", required_argument, NULL, 's'}, {"json", no_argument, NULL, 'j'},
    {"verbose", no_argument, NULL, 'v'},      {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, 'V'},      {NULL, 0, NULL, 0},
};

int main(int argc, char **argv)
{
	struct fwctl fw = {.socket_path = TCFW_DEFAULT_SOCKET};
	int opt, ret;

	opterr = 0; /* our own messages, which say what to do */
	while ((opt = getopt_long(argc, argv, short_options, long_options, NULL)) != -1) {
		switch (opt) {
		case 's':
			fw.socket_path = optarg;
			break;
		case 'j':
			fw.json = true;
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
		default:
			if (optopt == 's')
				fprintf(stderr,
				        "fwctl: --socket needs a path (fwd's control socket, "
				        "default %s)\n",
				        TCFW_DEFAULT_SOCKET);
			else
				fprintf(stderr, "fwctl: unknown option %s; run 'fwctl --help'\n",
				        QUOTE(argv[optind - 1]));
			return FWCTL_EXIT_USAGE;
		}
	}

	log_init("fwctl", fw.verbose >= 2 ? LOG_LEVEL_DEBUG
	                  : fw.verbose    ? LOG_LEVEL_INFO
	                                  : LOG_LEVEL_WARN);
	log_route_libbpf();
	out_init(stdout, fw.json);
	ret = commands_dispatch(&fw, argc - optind, argv + optind);
	out_finish();
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "fwctl: cannot write the output: %s\n", strerror(errno));
		return FWCTL_EXIT_FAILURE;
	}
	return ret;
}
