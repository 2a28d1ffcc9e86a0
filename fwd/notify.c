// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * notify.c - sd_notify for systemd (see notify.h). libsystemd's sd_notify() returns 0 and
 * sends nothing when NOTIFY_SOCKET is unset, so fwd run by hand pays one getenv per call.
 * Failures to send are not fwd's problem to report: systemd then times the service out
 * itself, which says more than fwd could.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <systemd/sd-daemon.h>

#include "fwd.h"
#include "notify.h"

static char last_status[256];

static void status_text(struct fwd *fwd, char *buf, size_t len)
{
	const struct fwd_expiry_stats *x = &fwd->expiry;
	uint64_t conns = x->last_seen - x->last_expired - x->last_early_dropped;
	size_t attached = 0;

	for (size_t i = 0; i < fwd->ifaces.n; i++)
		attached += fwd->ifaces.v[i].attached;
	snprintf(buf, len, "filtering %zu interface%s, policy generation %llu, %llu connection%s",
	         attached, attached == 1 ? "" : "s", (unsigned long long)fwd->pol.generation,
	         (unsigned long long)conns, conns == 1 ? "" : "s");
}

void notify_status(struct fwd *fwd)
{
	char text[sizeof(last_status)];

	status_text(fwd, text, sizeof(text));
	if (!strcmp(text, last_status))
		return;
	if (sd_notifyf(0, "STATUS=%s", text) > 0)
		memcpy(last_status, text, sizeof(last_status));
}

void notify_ready(struct fwd *fwd)
{
	status_text(fwd, last_status, sizeof(last_status));
	sd_notifyf(0, "READY=1\nSTATUS=%s", last_status);
}

void notify_reloading(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	sd_notifyf(0, "RELOADING=1\nSTATUS=reloading the policy\nMONOTONIC_USEC=%llu",
	           (unsigned long long)ts.tv_sec * 1000000ULL +
	               (unsigned long long)ts.tv_nsec / 1000ULL);
}

void notify_reloaded(struct fwd *fwd)
{
	status_text(fwd, last_status, sizeof(last_status));
	sd_notifyf(0, "READY=1\nSTATUS=%s", last_status);
}

void notify_stopping(void)
{
	sd_notify(0, "STOPPING=1\nSTATUS=stopping");
}
