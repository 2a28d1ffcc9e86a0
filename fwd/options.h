/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * options.h - fwd's command line.
 */
#ifndef FWD_OPTIONS_H
#define FWD_OPTIONS_H

struct fwd_options;

/* Parse argv into o. -1 to go on; otherwise the exit code to end with now (0 after --help or
 * --version, 2 after a usage error, which has been printed). */
int options_parse(int argc, char **argv, struct fwd_options *o);

#endif
