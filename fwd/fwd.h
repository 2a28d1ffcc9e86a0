/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * fwd.h - the daemon's state, shared by its modules. One struct fwd lives for the whole run;
 * every module gets it and reads or changes only its own part (named after the module).
 */
#ifndef FWD_FWD_H
#define FWD_FWD_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "dynset.h"
#include "tcfw_abi.h"
#include "policy.h"

#include "datapath.h"
#include "ifaces.h"
#include "loop.h"
#include "metrics.h"

#define FWD_EXIT_OK      0
#define FWD_EXIT_FAILURE 1
#define FWD_EXIT_USAGE   2

/* The event log (eventlog.c): --event-log and its companions. */
struct fwd_eventlog_options {
	const char *file;  /* --event-log FILE */
	bool journal;      /* --event-log journal */
	bool given;        /* any --event-log, `none` too; else the journal when stderr is it */
	bool connections;  /* --event-log-connections: new and destroy events too */
	uint64_t max_size; /* --event-log-size; 0: no rotation */
	unsigned int keep; /* --event-log-keep: FILE.1 .. FILE.keep */
	uint32_t rate;     /* --event-log-rate: events a second; 0: no limit */
	uint32_t burst;    /* --event-log-burst */
};

/* --attach: how the programs hook into an interface (docs/fwd.md "Attachment"). */
enum fwd_attach_mode {
	FWD_ATTACH_AUTO, /* tcx where the kernel has it and its links can be pinned, else tc */
	FWD_ATTACH_TCX,  /* tcx links, pinned per interface */
	FWD_ATTACH_TC,   /* cls_bpf filters on a clsact qdisc */
};

struct fwd_options {
	const char *policy_path; /* -c FILE */
	const char *pin_dir;
	const char *socket_path;
	const char *group_name; /* --group: may use the control socket */
	gid_t group_gid;
	bool have_group;
	bool keep;         /* leave the datapath attached and pinned on stop */
	bool no_fast_path; /* established packets through the kernel's forwarding path too */
	bool tcp_liberal;  /* --tcp-liberal: only RSTs are held to the TCP window */
	bool cleanup;      /* --cleanup: detach and unpin what an earlier fwd left, then exit */
	enum fwd_attach_mode attach;
	__u32 ct_max;
	unsigned int expire_interval_s;
	int verbosity;
	const char *metrics_listen;           /* --metrics ADDR:PORT as given; NULL: no metrics */
	struct sockaddr_storage metrics_addr; /* what it resolved to */
	socklen_t metrics_addrlen;
	struct fwd_eventlog_options evlog;
	/* State replication with the other gateway of a pair (sync.c; NULL: none). */
	const char *sync_peer;   /* --sync-peer ADDR[:PORT] as given */
	const char *sync_listen; /* --sync-listen ADDR[:PORT] as given */
	struct sockaddr_storage sync_peer_addr, sync_listen_addr;
	socklen_t sync_peer_len, sync_listen_len;
	uint32_t sync_node_id; /* --sync-node-id */
	bool have_sync_node_id;
};

/* The installed policy (policy_install.c). */
struct fwd_policy {
	struct policy *p; /* what the active copy was compiled from */
	char *name;       /* file path, or the name given with policy-load */
	__u64 generation;
	__u8 active;                       /* policy copy the datapath uses */
	__u32 timeouts[TCFW_CT_STATE_MAX]; /* seconds, used by expiry */
	struct policy_image img;           /* the active copy's image: rule slot -> rule id */
	bool have_img;
	/* Hits counted by copies no longer active, by rule id (rule edits keep the counts). */
	uint64_t *hits_base;
	size_t nhits_base;
	uint64_t *bytes_base; /* the same for pol_bytes */
	size_t nbytes_base;
	uint64_t change_failures; /* policy-load, SIGHUP reloads, rule edits refused (metrics) */
};

struct fwd_expiry_stats {
	uint64_t runs;
	uint64_t expired; /* connections deleted by expiry since start */
	uint64_t last_expired;
	uint64_t last_seen;    /* connections walked in the last pass */
	uint64_t last_entries; /* entries of map ct they took (a NAT connection takes two), less
	                        * what the pass deleted: what fills the table */
	double last_pass_ms;
	int last_error; /* -errno of the last failed pass, 0 when it worked */
	/* Early drop (expiry.c): unassured connections deleted to make room in a full table. */
	uint64_t early_dropped;
	uint64_t last_early_dropped;
	uint64_t insert_failed_seen; /* stat ct_insert_failed at the last pass */
	uint64_t last_full_warning_s;
	/* What the last complete pass counted while walking (metrics: no second walk). */
	struct metrics_ct_census census;
	bool have_census;
	struct metrics_histogram pass_seconds;
};

struct netlink;
struct control;
struct monitor;
struct metrics_http;
struct eventlog;

struct fwd {
	struct fwd_options opt;
	struct loop loop;
	struct datapath dp;
	struct fwd_ifaces ifaces;
	struct fwd_policy pol;
	struct fwd_expiry_stats expiry;
	struct netlink *nl;
	struct control *ctl;
	struct monitor *mon;
	struct metrics_http *metrics; /* NULL without --metrics */
	struct loop_source signals;
	struct loop_source expiry_timer;
	struct loop_source watch_timer;
	struct loop_source dynset_timer; /* expired dynamic set elements (cmd_set.c) */
	struct dynset_cursor dynset_cursor;
	uint64_t reattached; /* interfaces whose lost filters the watch attached again */
	bool tcx_usable;     /* new attachments use tcx (ifaces.c): chosen at start */
	uint64_t start_ns;   /* CLOCK_MONOTONIC */

	/* The event log (eventlog.c); NULL: none. */
	struct eventlog *evlog;
};

#endif
