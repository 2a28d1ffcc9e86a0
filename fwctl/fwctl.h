/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * fwctl.h - what the pieces of the CLI share: the run's options, exit codes, the command
 * table's shape and every command handler (one file per command group).
 */
#ifndef FWCTL_FWCTL_H
#define FWCTL_FWCTL_H

#include <stdbool.h>
#include <stdio.h>

enum fwctl_exit {
	FWCTL_EXIT_OK = 0,
	FWCTL_EXIT_FAILURE = 1,
	FWCTL_EXIT_USAGE = 2,
};

struct command;

/* One run of fwctl: the global options and the command being run (for its usage line). */
struct fwctl {
	const char *socket_path;
	const char *pin_dir; /* --pin-dir: read the maps pinned there, without asking fwd */
	bool json;
	bool pretty; /* -p: indented JSON */
	int verbose;
	const struct command *cmd;
	char cmd_path[64]; /* "ct list": the words that named cmd, for messages */
};

typedef int (*command_fn)(struct fwctl *fw, int argc, char **argv);

/*
 * A row of the command table. A group (ct, policy, rule, nat) has children and no handler of
 * its own; `fwctl GROUP` alone runs its default child. Text fields are what help prints.
 */
struct command {
	const char *name;
	command_fn run;
	const char *args;               /* synopsis after the name: "[FILTER]", "FILE" */
	const char *summary;            /* one line */
	const char *help;               /* paragraphs for `fwctl help CMD`; may be NULL */
	const struct command *children; /* NULL-terminated array, for a group */
	const char *default_child;      /* group: child run when none is named */
	void (*help_extra)(FILE *f);    /* group or command: generated reference (e.g. states) */
	const char *alias;              /* conntrack-tools spelling ("-L"), usable as the first
	                                   word: `fwctl -L` = `fwctl ct list` */
};

/* commands.c */
int commands_dispatch(struct fwctl *fw, int argc, char **argv);
void commands_print_usage(FILE *f);
/* True when arg is a command's conntrack-style alias (-L, -E, ...): main() stops reading
 * global options there and dispatch runs that command. */
bool commands_is_alias(const char *arg);
void commands_print_words(FILE *f);
/* A usage error in the current command: "fwctl: MSG", its synopsis, where to read more; 2. */
int fwctl_usage_error(struct fwctl *fw, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* True when argv holds -h or --help (asked for the current command's help). */
bool args_want_help(int argc, char **argv);

/* Help reference shared by the ct and nat groups: filter words and state names. */
void help_ct_filter(FILE *f);

/* Handlers (cmd_*.c). argv holds the words after the command's name. */
int fwctl_cmd_status(struct fwctl *fw, int argc, char **argv);
/* Ask fwd `cmd` (no arguments) and show its answer: -j the object as fwd sent it, text every
 * field (cmd_status.c; `status` and `ha status`). An exit status. */
int fwctl_show_daemon_object(struct fwctl *fw, const char *cmd);
int fwctl_cmd_stats(struct fwctl *fw, int argc, char **argv);
int fwctl_cmd_ct_list(struct fwctl *fw, int argc, char **argv);
int fwctl_cmd_ct_count(struct fwctl *fw, int argc, char **argv);
int fwctl_cmd_ct_del(struct fwctl *fw, int argc, char **argv);
int fwctl_cmd_ct_flush(struct fwctl *fw, int argc, char **argv);
int fwctl_cmd_policy_check(struct fwctl *fw, int argc, char **argv);
int fwctl_cmd_policy_load(struct fwctl *fw, int argc, char **argv);
int fwctl_cmd_policy_show(struct fwctl *fw, int argc, char **argv);
int fwctl_cmd_policy_save(struct fwctl *fw, int argc, char **argv);
int fwctl_cmd_rule_add(struct fwctl *fw, int argc, char **argv);
int fwctl_cmd_rule_del(struct fwctl *fw, int argc, char **argv);
int fwctl_cmd_rule_list(struct fwctl *fw, int argc, char **argv);
int fwctl_cmd_set_add(struct fwctl *fw, int argc, char **argv);
int fwctl_cmd_set_del(struct fwctl *fw, int argc, char **argv);
int fwctl_cmd_set_list(struct fwctl *fw, int argc, char **argv);
int fwctl_cmd_set_flush(struct fwctl *fw, int argc, char **argv);
int fwctl_cmd_rule_reset(struct fwctl *fw, int argc, char **argv);
int fwctl_cmd_nat_list(struct fwctl *fw, int argc, char **argv);
int fwctl_cmd_monitor(struct fwctl *fw, int argc, char **argv);
int fwctl_cmd_ha_status(struct fwctl *fw, int argc, char **argv);
int fwctl_cmd_ha_role(struct fwctl *fw, int argc, char **argv);
/* `fwctl stats`' rows of the gateway pair (asks fwd; nothing when it does not answer). */
void fwctl_stats_ha(struct fwctl *fw, int name_w);

#endif
