// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * commands.c - the command table, dispatch with unambiguous-prefix matching (`fwctl ct l`,
 * like `ip a`), and every help text, generated from the table so that help and dispatch can
 * never disagree.
 */
#include <stdarg.h>
#include <string.h>

#include "log.h"
#include "ct_filter.h"
#include "fwctl.h"
#include "names.h"
#include "quote.h"
#include "tcfw_abi.h"

static int fwctl_cmd_help(struct fwctl *fw, int argc, char **argv);

/* ---- the table -------------------------------------------------------------------------- */
static const struct command ct_commands[] = {
    {.name = "list",
     .run = fwctl_cmd_ct_list,
     .alias = "-L",
     .args = "[FILTER]",
     .summary = "list tracked connections",
     .help = "Prints one line per connection: protocol name and number, seconds left before it\n"
             "expires, the TCP state, the original tuple with its packet and byte counters,\n"
             "[UNREPLIED] until a reply was seen, the reply tuple (after NAT: the translated\n"
             "addresses) with its counters, [ASSURED], the chain and rule that admitted it.\n"
             "The number of connections listed follows on stderr. With -j: a JSON array.\n"
             "Reads fwd's pinned map directly; nothing is changed."},
    {.name = "count",
     .run = fwctl_cmd_ct_count,
     .alias = "-C",
     .args = "[FILTER]",
     .summary = "count tracked connections (that match FILTER)",
     .help = "Prints a number; with -j, {\"count\": N}."},
    {.name = "del",
     .run = fwctl_cmd_ct_del,
     .alias = "-D",
     .args = "FILTER",
     .summary = "delete the connections that match FILTER",
     .help = "fwd deletes both halves of each matching connection and releases its NAT\n"
             "binding; the next packet of a deleted connection is treated as new. A filter is\n"
             "required: `fwctl ct flush` deletes everything."},
    {.name = "flush",
     .run = fwctl_cmd_ct_flush,
     .alias = "-F",
     .args = "",
     .summary = "delete every tracked connection",
     .help = "Established flows are then decided by policy again on their next packet (TCP\n"
             "mid-stream packets are invalid to a fresh conntrack, so most will be dropped)."},
    {0},
};

static const struct command policy_commands[] = {
    {.name = "check",
     .run = fwctl_cmd_policy_check,
     .args = "FILE",
     .summary = "parse and check a policy file (no daemon needed)",
     .help = "Parses and compiles FILE as `policy load` would, limits of the datapath\n"
             "included. Prints every error as FILE:LINE:COL: message and exits 1, or prints\n"
             "\"FILE: OK (N rules, M zones)\" and exits 0, with warnings on stderr as\n"
             "FILE:LINE:COL: warning: message (like nft -c): rules that can never match\n"
             "(an earlier rule of the chain matches all they match) or duplicate ones, NAT\n"
             "to IPv6 (which translates nothing), forward rules naming a port forward's\n"
             "public port instead of the inside one, no defaults block, no rules, zones\n"
             "without interfaces. With -j, \"diagnostics\" holds both, each with\n"
             "\"severity\": \"error\" or \"warning\". FILE '-' reads standard input."},
    {.name = "load",
     .run = fwctl_cmd_policy_load,
     .args = "[--force] FILE",
     .summary = "replace fwd's policy with FILE, atomically",
     .help = "Sends the text to fwd, which parses, compiles and installs it in the standby\n"
             "copy, then switches. A policy with errors changes nothing (they are printed,\n"
             "exit 1). Established connections survive. FILE '-' reads standard input.\n"
             "A policy whose zones name no interface would detach tcfw from every interface\n"
             "and leave the gateway unfiltered: fwd refuses it unless --force is given.\n"
             "The checker's warnings (see `policy check`) are printed; they do not stop it."},
    {.name = "show",
     .run = fwctl_cmd_policy_show,
     .args = "",
     .summary = "print the active policy, normalised, with hit counts per rule",
     .help = "With -j: {\"generation\": N, \"text\": \"...\", ...} as fwd sends it."},
    {.name = "save",
     .run = fwctl_cmd_policy_save,
     .args = "FILE",
     .summary = "write the running policy, rule edits included, to FILE",
     .help = "The text of `policy show` without the hit counts, under a comment that says\n"
             "when and from what it was saved; it loads again as it is (rules keep their ids,\n"
             "[N]). `rule add` and `rule del` change fwd's memory only: save to the file fwd\n"
             "was started with (-c) so that SIGHUP and restarts keep them. FILE is written\n"
             "whole or not at all (FILE.tmp, then a rename); '-' writes to standard output."},
    {0},
};

static const struct command rule_commands[] = {
    {.name = "add",
     .run = fwctl_cmd_rule_add,
     .args = "[--before ID | --after ID] HOOK VERDICT [MATCH...] [log] [limit N/second|minute "
             "[burst N] [per source]] [add @SET] [comment TEXT]",
     .summary = "add a rule to the running policy (last of its chain, or at a place)",
     .help = "HOOK is input, forward or output; VERDICT accept, drop or reject; the rest is\n"
             "written as in a policy file (docs/fwctl.md, docs/policy.md), e.g.\n"
             "  fwctl rule add forward accept in lan proto tcp dport 22\n"
             "  fwctl rule add --before 3 forward drop from 203.0.113.66\n"
             "The rule goes last in its chain, or just before / after rule ID, which must be\n"
             "of the same chain (first match wins). It gets a new id either way; `rule list`\n"
             "shows the order. Prints the new rule's id. The change is installed atomically\n"
             "like a reload and lasts until fwd loads its policy file again (SIGHUP, restart)\n"
             "or another `policy load`: `fwctl policy save FILE` keeps it."},
    {.name = "del",
     .run = fwctl_cmd_rule_del,
     .args = "ID",
     .summary = "remove the rule with this id",
     .help = "Ids are shown by `fwctl rule list` and `fwctl policy show`. Like `rule add`,\n"
             "it lasts until fwd loads its policy file again: `fwctl policy save FILE`."},
    {.name = "list",
     .run = fwctl_cmd_rule_list,
     .args = "",
     .summary = "list the rules of the running policy with their ids, hits and bytes",
     .help = "A rule's hits count the new connections (first packets) it decided, its bytes\n"
             "their IP length (filter rules). Both survive rule edits, and `policy load` /\n"
             "SIGHUP / a restart of fwd for every rule that is unchanged (same normal form as\n"
             "`policy show` prints it, or else the same comment, in the same chain). A rule\n"
             "with 'limit' also shows limited=N, the new connections its limit refused (they\n"
             "fell through). With -j: an array of {\"id\", \"chain\", \"text\", \"hits\",\n"
             "\"bytes\"[, \"limited\"]}."},
    {.name = "reset",
     .run = fwctl_cmd_rule_reset,
     .args = "[ID]",
     .summary = "set the hit and byte counters of rule ID, or of every rule, to zero",
     .help = "Ids are shown by `fwctl rule list`. Without ID every rule's counters are reset."},
    {0},
};

static const struct command set_commands[] = {
    {.name = "add",
     .run = fwctl_cmd_set_add,
     .args = "NAME ADDR [timeout DURATION]",
     .summary = "put an address or prefix into a dynamic set, effective at once",
     .help = "NAME is a set of the running policy declared 'flags dynamic'; ADDR an IPv4 or\n"
             "IPv6 address or prefix (host bits clear). New connections see it at once, no\n"
             "reload. The element expires after DURATION (30s, 10m, 2h, 1d; 0: never), or\n"
             "after the set's own 'timeout' when none is given. Adding an element again\n"
             "sets its timeout anew. Elements survive `policy load` (of a policy that keeps\n"
             "the set) and restarts of fwd.\n"
             "  fwctl set add scanners 203.0.113.7 timeout 10m"},
    {.name = "del",
     .run = fwctl_cmd_set_del,
     .args = "NAME ADDR",
     .summary = "remove an element from a dynamic set",
     .help = "ADDR exactly as it was added (a prefix with its length). Exit 1 when it is\n"
             "not there."},
    {.name = "list",
     .run = fwctl_cmd_set_list,
     .args = "NAME",
     .summary = "list the elements of a dynamic set",
     .help = "One element a line: the address or prefix, the seconds before it expires\n"
             "(none: never), and where it came from (policy: written in the policy file;\n"
             "fwctl: fwctl set add; rule: a rule's 'add @SET'). The count follows on\n"
             "stderr. With -j: {\"set\", \"timeout\", \"elements\": [{\"addr\", \"expires\",\n"
             "\"origin\"}, ...], \"count\"}. Reads fwd's map directly; nothing is changed."},
    {.name = "flush",
     .run = fwctl_cmd_set_flush,
     .args = "NAME",
     .summary = "remove every element of a dynamic set",
     .help = "Members written in the policy file are removed too, until the next `policy\n"
             "load` writes them again. Prints how many elements were deleted."},
    {0},
};

static const struct command nat_commands[] = {
    {.name = "list",
     .run = fwctl_cmd_nat_list,
     .args = "[FILTER]",
     .summary = "list translated connections: original and translated tuple",
     .help = "One line per connection that SNAT, masquerade or DNAT rewrote: protocol,\n"
             "state, kind (snat, dnat), the tuple as the client sent it, then '->' and the\n"
             "tuple as it left the gateway. FILTER as for `ct list`."},
    {0},
};

static const struct command ha_commands[] = {
    {.name = "status",
     .run = fwctl_cmd_ha_status,
     .args = "",
     .summary = "the gateway pair: role, peer, replication counters",
     .help = "This node's role (as keepalived last set it), the peer (address, node id, alive,\n"
             "its role, seconds since its last message, its policy generation and whether it\n"
             "differs from ours: policies are loaded on each node apart), the queue of\n"
             "messages waiting for the peer's ACK, what was sent, received, lost (sequence\n"
             "numbers missing from the peer's messages, each asked for again) and dropped\n"
             "(a full queue), and the bulk resyncs. With -j, fwd's object unchanged.\n"
             "sync is false when fwd runs without --sync-peer (docs/ha.md)."},
    {.name = "master",
     .run = fwctl_cmd_ha_role,
     .args = "",
     .summary = "tell fwd this node is the pair's master (keepalived notify)",
     .help = "Called by keepalived's notify script (contrib/keepalived/tcfw-notify.sh) when\n"
             "this node takes the virtual addresses. The master expires connections by its\n"
             "own clock; its peer leaves the connections it replicated to it."},
    {.name = "backup",
     .run = fwctl_cmd_ha_role,
     .args = "",
     .summary = "tell fwd this node is the pair's backup (keepalived notify)",
     .help = "A backup keeps the connections the master replicates and does not expire them\n"
             "by its own clock while the master is alive: they are ready when it takes over."},
    {.name = "fault",
     .run = fwctl_cmd_ha_role,
     .args = "",
     .summary = "tell fwd this node is in fault (keepalived notify)",
     .help = "As backup, for a node keepalived found unfit (a tracked interface down)."},
    {0},
};

static const struct command top_commands[] = {
    {.name = "status",
     .run = fwctl_cmd_status,
     .args = "",
     .summary = "show what fwd is doing: interfaces, policy, table, expiry",
     .help = "With -j, the daemon's status object unchanged."},
    {.name = "ct",
     .args = "COMMAND",
     .summary = "connection tracking",
     .children = ct_commands,
     .default_child = "list",
     .help_extra = help_ct_filter},
    {.name = "stats",
     .run = fwctl_cmd_stats,
     .args = "",
     .summary = "datapath counters, summed over CPUs",
     .help = "One aligned row per counter; -v adds what each counts. With -j: an object\n"
             "{\"name\": value, ...}."},
    {.name = "policy",
     .args = "COMMAND",
     .summary = "check, load, show and save the policy",
     .children = policy_commands,
     .default_child = "show"},
    {.name = "rule",
     .args = "COMMAND",
     .summary = "edit the running policy rule by rule",
     .children = rule_commands,
     .default_child = "list"},
    {.name = "set",
     .args = "COMMAND",
     .summary = "dynamic sets: add, delete, list and flush elements",
     .children = set_commands,
     .default_child = "list"},
    {.name = "nat",
     .args = "COMMAND",
     .summary = "network address translation",
     .children = nat_commands,
     .default_child = "list",
     .help_extra = help_ct_filter},
    {.name = "monitor",
     .run = fwctl_cmd_monitor,
     .alias = "-E",
     .args = "[FILTER]",
     .summary = "print connection and log events as they happen",
     .help = "One line per event (new, destroy, log, invalid) until Ctrl-C, starting with its\n"
             "wall-clock time (2026-12-03T20:25:14.123+00:00); with -j one JSON object per\n"
             "line, with time_ns (the kernel's monotonic clock) and \"time\". Exits 1 if fwd\n"
             "goes away.\n"
             "FILTER: any of these, all must hold:\n"
             "  type T[,T...]                  event type: new, destroy, log, invalid\n"
             "  proto, src, dst, addr, sport, dport, port, family, state\n"
             "                                 as for `fwctl ct list` (see `fwctl ct --help`);\n"
             "                                 state holds for destroy events only\n"
             "e.g. fwctl monitor type log proto tcp port 22 addr 192.0.2.1\n"
             "Lost events (fwd's queue was full) are always shown."},
    {.name = "ha",
     .args = "COMMAND",
     .summary = "the gateway pair: state replication and the node's role",
     .children = ha_commands,
     .default_child = "status"},
    {.name = "help",
     .run = fwctl_cmd_help,
     .args = "[COMMAND...]",
     .summary = "this overview, or the help of one command",
     .help = "'fwctl help ct list' is 'fwctl ct list --help'. Help always exits 0; a command\n"
             "that does not exist is a usage error (exit 2)."},
    {0},
};

/* ---- lookup ----------------------------------------------------------------------------- */
static const char *const global_options[] = {"-j",        "--json",    "-p", "--pretty",
                                             "-v",        "--verbose", "-s", "--socket",
                                             "--pin-dir", "--version", NULL};

static bool is_global_option(const char *arg)
{
	for (size_t i = 0; global_options[i]; i++)
		if (strcmp(arg, global_options[i]) == 0)
			return true;
	return strncmp(arg, "--socket=", 9) == 0 || strncmp(arg, "--pin-dir=", 10) == 0 ||
	       strcmp(arg, "-vv") == 0;
}

/* Exact name, else the one child that word is a prefix of. NULL with a message otherwise. */
static const struct command *lookup(const struct command *level, const char *group,
                                    const char *word)
{
	const struct command *found = NULL;
	const char *names[16];
	char candidates[256] = "";
	unsigned int n = 0, matches = 0;

	for (const struct command *c = level; c->name; c++)
		if (strcmp(c->name, word) == 0)
			return c;
	for (const struct command *c = level; c->name; c++) {
		if (n < sizeof(names) / sizeof(names[0]))
			names[n++] = c->name;
		if (*word && strncmp(c->name, word, strlen(word)) == 0) {
			found = c;
			matches++;
			if (*candidates)
				strcat(candidates, ", ");
			strncat(candidates, c->name, sizeof(candidates) - strlen(candidates) - 1);
		}
	}
	if (matches == 1)
		return found;
	if (matches > 1) {
		pr_warn("'%s%s%s' is ambiguous: it could be %s; type more letters", group,
		        *group ? " " : "", word, candidates);
		return NULL;
	}
	if (is_global_option(word)) {
		pr_warn("'%s' is a global option: put it before the command "
		        "(fwctl %s %s%s...)",
		        word, word, group, *group ? " " : "");
		return NULL;
	}
	const char *hint = name_suggest(word, names, n);
	char did_you_mean[96] = "";

	if (hint)
		snprintf(did_you_mean, sizeof(did_you_mean), " (did you mean '%s'?)", hint);
	pr_warn("unknown %s%scommand %s%s; run 'fwctl help%s%s' for the list", group,
	        *group ? " " : "", QUOTE(word), did_you_mean, *group ? " " : "", group);
	return NULL;
}

/* The command whose alias is arg, and its group (NULL at the top level). */
static const struct command *find_alias(const char *arg, const struct command **group)
{
	for (const struct command *c = top_commands; c->name; c++) {
		if (c->alias && strcmp(c->alias, arg) == 0) {
			*group = NULL;
			return c;
		}
		for (const struct command *k = c->children; k && k->name; k++) {
			if (k->alias && strcmp(k->alias, arg) == 0) {
				*group = c;
				return k;
			}
		}
	}
	return NULL;
}

bool commands_is_alias(const char *arg)
{
	const struct command *group;

	return find_alias(arg, &group) != NULL;
}

static void path_append(char *path, size_t len, const char *name)
{
	size_t used = strlen(path);

	snprintf(path + used, len - used, "%s%s", used ? " " : "", name);
}

bool args_want_help(int argc, char **argv)
{
	for (int i = 0; i < argc; i++)
		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)
			return true;
	return false;
}

/* ---- help ------------------------------------------------------------------------------- */
#define SYNOPSIS_WIDTH 30

static void print_row(FILE *f, const char *group, const struct command *c)
{
	char syn[128];
	snprintf(syn, sizeof(syn), "%s%s%s%s%s", group, *group ? " " : "", c->name,
	         c->args && *c->args ? " " : "", c->args ? c->args : "");
	char summary[160];

	snprintf(summary, sizeof(summary), "%s%s%s%s", c->summary, c->alias ? " (" : "",
	         c->alias ? c->alias : "", c->alias ? ")" : "");
	if (strlen(syn) > SYNOPSIS_WIDTH)
		fprintf(f, "  %s\n  %-*s %s\n", syn, SYNOPSIS_WIDTH, "", summary);
	else
		fprintf(f, "  %-*s %s\n", SYNOPSIS_WIDTH, syn, summary);
}

void commands_print_usage(FILE *f)
{
	fprintf(f, "usage: fwctl [--socket PATH] [--pin-dir DIR] [-j|--json] [-p|--pretty] [-v] "
	           "[-h|--help] "
	           "[--version] COMMAND ...\n\n"
	           "fwctl talks to fwd, the tcfw daemon: it lists connections and counters, loads\n"
	           "and edits the policy, and follows events.\n\nCommands:\n");
	for (const struct command *c = top_commands; c->name; c++) {
		if (!c->children) {
			print_row(f, "", c);
			continue;
		}
		for (const struct command *k = c->children; k->name; k++)
			print_row(f, c->name, k);
	}
	fprintf(f,
	        "\nGlobal options (before the command):\n"
	        "  -s, --socket PATH  fwd's control socket (default %s)\n"
	        "      --pin-dir DIR  listings (ct, nat, stats) read the maps pinned in DIR,\n"
	        "                     without fwd; with no fwd answering and no --pin-dir, they\n"
	        "                     read the datapath attached to this namespace's interfaces\n"
	        "  -j, --json         JSON output for every listing\n"
	        "  -p, --pretty       JSON output, indented for people (implies -j)\n"
	        "  -v, --verbose      more detail (-vv: also the messages exchanged with fwd)\n"
	        "  -h, --help         this help; 'fwctl help COMMAND' or 'fwctl COMMAND --help'\n"
	        "      --version      print fwctl's version\n\n"
	        "Commands and subcommands may be shortened to any unambiguous prefix: fwctl ct l.\n"
	        "conntrack's spellings work as the command: fwctl -L, -C, -D, -F and -E (shown in\n"
	        "parentheses above; the filter words stay fwctl's: fwctl -L proto tcp).\n"
	        "A group alone runs its usual command: fwctl ct = fwctl ct list.\n"
	        "Exit status: 0 success, 1 failure (including fwd not reachable), 2 usage error.\n",
	        "/run/tcfw/fwd.sock");
}

static void print_command_help(FILE *f, const char *group, const struct command *c)
{
	if (c->children) {
		fprintf(f, "usage: fwctl %s COMMAND ...\n\nfwctl %s: %s.\n\nCommands:\n", c->name,
		        c->name, c->summary);
		for (const struct command *k = c->children; k->name; k++)
			print_row(f, c->name, k);
		fprintf(f, "\n'fwctl %s' alone runs 'fwctl %s %s'.\n", c->name, c->name,
		        c->default_child);
		for (const struct command *k = c->children; k->name; k++)
			if (k->help)
				fprintf(f, "\n%s %s:\n%s\n", c->name, k->name, k->help);
	} else {
		fprintf(f, "usage: fwctl %s%s%s%s%s\n", group, *group ? " " : "", c->name,
		        c->args && *c->args ? " " : "", c->args ? c->args : "");
		if (c->alias)
			fprintf(f, "       fwctl %s%s%s (conntrack's spelling)\n", c->alias,
			        c->args && *c->args ? " " : "", c->args ? c->args : "");
		fprintf(f, "\n%s.\n", c->summary);
		if (c->help)
			fprintf(f, "\n%s\n", c->help);
	}
	if (c->help_extra)
		c->help_extra(f);
}

/* `fwctl help [WORDS]`: resolve the words as dispatch would, print that help to stdout. */
static int fwctl_cmd_help(struct fwctl *fw, int argc, char **argv)
{
	const struct command *level = top_commands, *c = NULL, *parent = NULL;

	char *words[16];
	int n = 0;

	(void)fw;
	/* `fwctl help --help` and `fwctl help ct --help` ask for help too: answer, exit 0. */
	for (int i = 0; i < argc; i++) {
		if (args_want_help(1, &argv[i]))
			continue;
		if (n == (int)(sizeof(words) / sizeof(words[0])))
			return fwctl_usage_error(fw, "too many words after 'help'");
		words[n++] = argv[i];
	}
	if (n == 0 && argc > 0) {
		for (c = top_commands; c->run != fwctl_cmd_help; c++)
			;
		print_command_help(stdout, "", c);
		return FWCTL_EXIT_OK;
	}
	argc = n;
	argv = words;
	if (argc == 0) {
		commands_print_usage(stdout);
		return FWCTL_EXIT_OK;
	}
	if (argc == 1 && (c = find_alias(argv[0], &parent))) { /* fwctl help -L */
		print_command_help(stdout, parent ? parent->name : "", c);
		return FWCTL_EXIT_OK;
	}
	for (int i = 0; i < argc; i++) {
		if (!level) {
			pr_warn("'%s' has no subcommands (extra word %s)", c->name, QUOTE(argv[i]));
			return FWCTL_EXIT_USAGE;
		}
		parent = c;
		c = lookup(level, parent ? parent->name : "", argv[i]);
		if (!c)
			return FWCTL_EXIT_USAGE;
		level = c->children;
	}
	print_command_help(stdout, parent ? parent->name : "", c);
	return FWCTL_EXIT_OK;
}

/* `fwctl --complete-words` (not in --help: for the bash completion, dist/bash-completion):
 * "command GROUP SUB" or "command NAME" per command, "filter WORD [VALUES...]" per filter
 * word, so that the completion follows this table instead of a copy of it. */
void commands_print_words(FILE *f)
{
	for (const struct command *c = top_commands; c->name; c++) {
		if (!c->children)
			fprintf(f, "command %s\n", c->name);
		for (const struct command *k = c->children; k && k->name; k++)
			fprintf(f, "command %s %s\n", c->name, k->name);
	}
	ct_filter_print_words(f, "filter ");
}

/* Shared by the ct and nat groups: the filter grammar and every state name. */
void help_ct_filter(FILE *f)
{
	fprintf(f, "\nFILTER: any of these, all must hold (lib/ct_filter.h):\n"
	           "  proto tcp|udp|icmp|icmpv6|N   protocol\n"
	           "  src ADDR[/LEN]  dst ADDR[/LEN] original direction source / destination\n"
	           "  addr ADDR[/LEN]                either address of either direction\n"
	           "  sport N  dport N               original direction ports (not ICMP)\n"
	           "  port N                         either port of either direction (not ICMP)\n"
	           "  state S[,S...]                 connection state, see below\n"
	           "  family ip|ip6                  address family\n"
	           "\nStates: ");
	for (unsigned int s = TCFW_CT_NONE + 1; s < TCFW_CT_STATE_MAX; s++)
		fprintf(f, "%s%s", ct_state_lname(s), s + 1 < TCFW_CT_STATE_MAX ? ", " : "\n");
	fprintf(f, "'unreplied' and 'replied' alone mean UDP's, ICMP's and other protocols' "
	           "alike;\n'assured' is UDP's.\n");
}

/* ---- dispatch --------------------------------------------------------------------------- */
int fwctl_usage_error(struct fwctl *fw, const char *fmt, ...)
{
	va_list ap;
	const struct command *c = fw->cmd;

	va_start(ap, fmt);
	pr_vwarn(fmt, ap);
	va_end(ap);
	if (c)
		fprintf(stderr, "usage: fwctl %s%s%s\nrun 'fwctl help %s' for more\n", fw->cmd_path,
		        c->args && *c->args ? " " : "", c->args ? c->args : "", fw->cmd_path);
	return FWCTL_EXIT_USAGE;
}

int commands_dispatch(struct fwctl *fw, int argc, char **argv)
{
	const struct command *level = top_commands, *c = NULL, *alias_group = NULL;
	char *default_word[1];

	fw->cmd_path[0] = '\0';
	if (argc == 0) {
		commands_print_usage(stderr);
		return FWCTL_EXIT_USAGE;
	}
	c = find_alias(argv[0], &alias_group);
	if (c) { /* `fwctl -L ...` = `fwctl ct list ...` */
		if (alias_group)
			path_append(fw->cmd_path, sizeof(fw->cmd_path), alias_group->name);
		path_append(fw->cmd_path, sizeof(fw->cmd_path), c->name);
		argc--;
		argv++;
	}
	for (bool walk = !c; walk;) {
		c = lookup(level, fw->cmd_path, argv[0]);
		if (!c)
			return FWCTL_EXIT_USAGE;
		path_append(fw->cmd_path, sizeof(fw->cmd_path), c->name);
		argc--;
		argv++;
		if (!c->children)
			break;
		if (argc > 0 && args_want_help(1, argv)) {
			print_command_help(stdout, "", c);
			return FWCTL_EXIT_OK;
		}
		if (argc == 0) { /* `fwctl ct` = `fwctl ct list` */
			default_word[0] = (char *)c->default_child;
			argv = default_word;
			argc = 1;
		}
		level = c->children;
	}
	fw->cmd = c;
	if (c->run != fwctl_cmd_help) {
		if (args_want_help(argc, argv)) {
			char group[64];
			const char *sp = strrchr(fw->cmd_path, ' ');

			snprintf(group, sizeof(group), "%.*s", sp ? (int)(sp - fw->cmd_path) : 0,
			         fw->cmd_path);
			print_command_help(stdout, group, c);
			return FWCTL_EXIT_OK;
		}
		for (int i = 0; i < argc; i++)
			if (is_global_option(argv[i]))
				return fwctl_usage_error(fw,
				                         "'%s' is a global option: put it before "
				                         "the command (fwctl %s %s)",
				                         argv[i], argv[i], fw->cmd_path);
	}
	return c->run(fw, argc, argv);
}
