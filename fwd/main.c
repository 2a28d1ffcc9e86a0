// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * main.c - fwd: the order of setup and teardown. Everything else is in the modules.
 *
 * Setup: parse the policy (nothing touched if it is wrong), make sure no other fwd serves the
 * socket, load the datapath (reusing pins: a takeover), read links and addresses, install the
 * policy into the standby copy, attach to the zones' interfaces, then serve: control socket,
 * events, expiry, signals, metrics (bound first, so a port in use changes nothing), all in one
 * loop. Teardown undoes what this run owns: without --keep the attachments and pins, always the
 * socket.
 */
#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>

#include "ctmap.h"
#include "log.h"

#include "caps.h"
#include "cleanup.h"
#include "commands.h"
#include "control.h"
#include "control_socket.h"
#include "eventlog.h"
#include "expiry.h"
#include "fwd.h"
#include "local_addrs.h"
#include "metrics_http.h"
#include "monitor.h"
#include "netlink.h"
#include "notify.h"
#include "options.h"
#include "policy_install.h"
#include "signals.h"
#include "sync.h"
#include "watch.h"

static struct policy *load_policy_file(const char *path)
{
	struct policy_diags diags = {0};
	struct policy *p = policy_parse_file(path, &diags);

	/* What the datapath cannot hold is refused here too, before anything is touched. */
	if (p && policy_check_fits(p, &diags)) {
		policy_free(p);
		p = NULL;
	}
	if (!p) {
		char *msg = policy_diags_str(&diags);

		/* Through the logger: each line an error in the journal too. */
		pr_warn("%s", msg ? msg : "(no diagnostics)");
		free(msg);
		pr_warn("policy %s not loaded: fwd changed nothing", path);
	} else if (!policy_interface_count(p)) {
		pr_warn(
		    "policy %s: no zone names an interface, so fwd filters nothing (and detaches "
		    "from every interface an earlier fwd attached to): add a `zone NAME { IFACE }`",
		    path);
	}
	policy_diags_free(&diags);
	if (p)
		fwd_log_policy_warnings(p);
	return p;
}

/* The generation the datapath runs now (a takeover continues counting from it). */
static void read_generation(struct fwd *fwd)
{
	struct tcfw_policy_meta meta;
	__u32 key = fwd->dp.config.policy_active;

	fwd->pol.active = (__u8)key;
	if (bpf_map_lookup_elem(fwd->dp.pol_meta_fd, &key, &meta) == 0)
		fwd->pol.generation = meta.generation;
}

/* datapath_open() with this fwd's options and the interfaces of p's zones. */
static int open_datapath(struct fwd *fwd, const struct policy *p)
{
	size_t n = 0, k = 0;
	const char **names;
	int ret;

	for (size_t z = 0; p && z < policy_zone_count(p); z++)
		n += policy_zone_ifcount(p, z);
	names = calloc(n ? n : 1, sizeof(*names));
	if (!names)
		return -ENOMEM;
	for (size_t z = 0; p && z < policy_zone_count(p); z++)
		for (size_t i = 0; i < policy_zone_ifcount(p, z); i++)
			names[k++] = policy_zone_ifname(p, z, i);
	struct datapath_opts o = {
	    .pin_dir = fwd->opt.pin_dir,
	    .socket = fwd->opt.socket_path,
	    .ct_max = fwd->opt.ct_max,
	    .ifnames = names,
	    .nifnames = k,
	};
	ret = datapath_open(&fwd->dp, &o);
	free(names);
	return ret;
}

static int start(struct fwd *fwd, struct policy *p)
{
	char err[4096];
	int ret;

	ret = caps_check(fwd->opt.have_group);
	if (ret)
		return ret;
	ret = control_check_free(fwd->opt.socket_path);
	if (ret)
		return ret;
	ret = loop_init(&fwd->loop);
	if (ret) {
		pr_warn("cannot create the event loop: %s", strerror(-ret));
		return ret;
	}
	/* Before the datapath: an event log that cannot be opened stops fwd untouched. */
	ret = eventlog_open(fwd);
	if (ret)
		return ret;
	/* Before the datapath: a metrics port in use stops fwd with nothing touched. */
	ret = metrics_http_open(fwd);
	if (ret)
		return ret;
	ret = open_datapath(fwd, p);
	if (ret)
		return ret;
	ret = ifaces_choose_mode(fwd);
	if (ret)
		return ret;
	/* Loading can take long (the verifier); a stop asked for meanwhile ends it here,
	 * before anything is attached. */
	if (signals_stop_pending())
		return -ECANCELED;
	ret = netlink_open(fwd);
	if (ret)
		return ret;
	local_addrs_sync(fwd);
	read_generation(fwd);
	/* No monitor is connected yet, whatever an earlier fwd had. */
	fwd->dp.config.flags &= ~(__u32)TCFW_CFG_EVENTS_NEW;
	/* This fwd's choice, whatever an earlier one's was; written with the policy below. */
	if (fwd->opt.tcp_liberal)
		fwd->dp.config.flags |= TCFW_CFG_TCP_LIBERAL;
	else
		fwd->dp.config.flags &= ~(__u32)TCFW_CFG_TCP_LIBERAL;
	if (fwd->opt.no_fast_path)
		fwd->dp.config.flags |= TCFW_CFG_NO_FAST_PATH;
	else
		fwd->dp.config.flags &= ~(__u32)TCFW_CFG_NO_FAST_PATH;
	fwd->dp.config.nexthop_cache_us = TCFW_NEXTHOP_CACHE_US_DEFAULT;
	if (policy_install(fwd, p, fwd->opt.policy_path, POLICY_HITS_MATCH, err, sizeof(err))) {
		pr_warn("cannot install %s: %s", fwd->opt.policy_path, err);
		return -EINVAL;
	}
	/* Each refused interface has been named with its owner above. */
	if (ifaces_foreign_count(fwd))
		return -EBUSY;
	ret = control_open(fwd);
	if (!ret)
		ret = monitor_open(fwd);
	if (!ret)
		ret = expiry_start(fwd);
	if (!ret)
		ret = sync_open(fwd);
	if (!ret)
		ret = watch_start(fwd);
	if (!ret)
		ret = dynset_expiry_start(fwd);
	if (!ret)
		ret = signals_open(fwd);
	return ret;
}

static void stop(struct fwd *fwd, bool release)
{
	signals_close(fwd);
	watch_stop(fwd);
	sync_close(fwd);
	expiry_stop(fwd);
	dynset_expiry_stop(fwd);
	monitor_close(fwd);
	eventlog_close(fwd);
	control_close(fwd);
	metrics_http_close(fwd);
	if (release && fwd->dp.skel) {
		ifaces_release(fwd);
		datapath_close(&fwd->dp);
		if (datapath_unpin(fwd->opt.pin_dir) == 0)
			pr_info("pins in %s removed", fwd->opt.pin_dir);
	} else if (fwd->dp.skel) {
		pr_info("leaving the datapath attached and its maps pinned in %s (a new fwd with "
		        "--pin-dir %s takes over; `fwd --cleanup --pin-dir %s` removes it)",
		        fwd->opt.pin_dir, fwd->opt.pin_dir, fwd->opt.pin_dir);
	}
	datapath_close(&fwd->dp);
	datapath_unlock(&fwd->dp);
	netlink_close(fwd);
	policy_state_free(fwd);
	ifaces_free(&fwd->ifaces);
	loop_fini(&fwd->loop);
}

int main(int argc, char **argv)
{
	struct fwd fwd;
	struct policy *p = NULL;
	int ret;

	/* Control clients come and go with buffers of megabytes (a policy text, a policy-show
	 * answer). A fixed mmap threshold gives each such buffer its own mapping, returned to the
	 * kernel when freed; glibc's default raises the threshold after the first free, after
	 * which they come from the heap, whose holes keep fwd's resident size at its peak. */
	mallopt(M_MMAP_THRESHOLD, 256 << 10);
	memset(&fwd, 0, sizeof(fwd));
	fwd.loop.epfd = fwd.signals.fd = fwd.expiry_timer.fd = fwd.watch_timer.fd = -1;
	fwd.dp.lock_fd = -1;
	log_init("fwd", LOG_LEVEL_NOTICE); /* usage errors say "fwd: " too */
	ret = options_parse(argc, argv, &fwd.opt);
	if (ret >= 0)
		return ret;
	/* Notices by default: started, attached, reloaded, stopping (docs/fwd.md "Logging"). */
	log_init("fwd", (enum log_level)(LOG_LEVEL_NOTICE + fwd.opt.verbosity));
	log_journal_prefixes_auto();
	log_route_libbpf();

	if (fwd.opt.policy_path) {
		p = load_policy_file(fwd.opt.policy_path);
		if (!p)
			return FWD_EXIT_FAILURE;
	}
	if (fwd.opt.cleanup) {
		ret = fwd_cleanup(&fwd.opt, p);
		policy_free(p);
		return ret;
	}

	signals_block();
	fwd.start_ns = ctmap_now_ns();
	ret = start(&fwd, p);
	if (ret == -ECANCELED) {
		pr_warn("stopped by a signal while starting");
		if (fwd.pol.p != p)
			policy_free(p);
		stop(&fwd, fwd.dp.skel && !fwd.dp.reused);
		return FWD_EXIT_OK;
	}
	if (ret) {
		/* Remove only what this run created: a datapath taken over from an earlier fwd
		 * keeps running as that fwd left it. */
		bool created = fwd.dp.skel && !fwd.dp.reused;

		if (fwd.pol.p != p)
			policy_free(p); /* not installed: still ours */
		stop(&fwd, created);
		pr_warn("fwd did not start%s", created ? "; everything it set up was removed" : "");
		return FWD_EXIT_FAILURE;
	}
	pr_notice("running: %zu interface(s), policy generation %llu, control socket %s",
	          fwd.ifaces.n, (unsigned long long)fwd.pol.generation, fwd.opt.socket_path);
	/* Service hooks (fwd/notify.c): systemd waits for this READY=1. */
	ifaces_report_missing(&fwd);
	notify_ready(&fwd);
	/* Everything that needed more is done: the socket exists, the programs are loaded. */
	caps_drop_unneeded();

	ret = loop_run(&fwd.loop);
	notify_stopping();
	stop(&fwd, !fwd.opt.keep);
	return ret ? FWD_EXIT_FAILURE : FWD_EXIT_OK;
}
