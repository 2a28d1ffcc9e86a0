// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * signals.c - signals as loop events (see signals.h). Blocked from the start, a SIGTERM that
 * arrives while fwd is still setting up waits in the signalfd and stops it cleanly as soon as
 * the loop runs, instead of killing it halfway.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "log.h"

#include "commands.h"
#include "eventlog.h"
#include "fwd.h"
#include "notify.h"
#include "signals.h"

static void handled_set(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGHUP);
}

void signals_block(void)
{
	sigset_t set;

	handled_set(&set);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN); /* a client that hangs up is an EPIPE, not a death */
	/* An event log past RLIMIT_FSIZE is a write error (EFBIG) that fwd reports, not a death. */
	signal(SIGXFSZ, SIG_IGN);
}

static void signal_ready(struct loop_source *src, uint32_t events)
{
	struct fwd *fwd = src->ctx;
	struct signalfd_siginfo si;

	(void)events;
	while (read(src->fd, &si, sizeof(si)) == sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGHUP:
			pr_info("SIGHUP: reloading %s", fwd->opt.policy_path);
			eventlog_reopen(fwd);
			notify_reloading();
			fwd_reload_policy_file(fwd);
			notify_reloaded(fwd);
			break;
		case SIGTERM:
		case SIGINT:
			pr_notice("%s: stopping", strsignal((int)si.ssi_signo));
			fwd->loop.stop = true;
			break;
		}
	}
}

int signals_open(struct fwd *fwd)
{
	sigset_t set;
	int fd, err;

	handled_set(&set);
	fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		pr_warn("cannot create a signalfd: %s", strerror(errno));
		return err;
	}
	fwd->signals = (struct loop_source){.fd = fd, .fn = signal_ready, .ctx = fwd};
	err = loop_add(&fwd->loop, &fwd->signals, EPOLLIN);
	if (err) {
		pr_warn("cannot watch the signalfd: %s", strerror(-err));
		close(fd);
		fwd->signals.fd = -1;
	}
	return err;
}

void signals_close(struct fwd *fwd)
{
	if (fwd->signals.fd < 0)
		return;
	loop_del(&fwd->loop, &fwd->signals);
	close(fwd->signals.fd);
	fwd->signals.fd = -1;
}

bool signals_stop_pending(void)
{
	sigset_t pending;

	return sigpending(&pending) == 0 &&
	       (sigismember(&pending, SIGTERM) == 1 || sigismember(&pending, SIGINT) == 1);
}
