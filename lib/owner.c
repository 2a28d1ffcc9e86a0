// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * owner.c - the owner record of a datapath (see owner.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "log.h"

#include "owner.h"

/* Field 22 of /proc/PID/stat (starttime), or 0 when it cannot be read. */
static __u64 process_start_time(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long long start = 0;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* The command name (field 2) may hold spaces and parentheses: count from its end. */
	p = strrchr(buf, ')');
	if (!p)
		return 0;
	/* After ") ": field 3 (state) is the first; starttime is the 20th from there. */
	for (int field = 3; field < 22 && p; field++)
		p = strchr(p + 1, ' ');
	if (p)
		sscanf(p + 1, "%llu", &start);
	return start;
}

void owner_fill(struct tcfw_owner *o, const char *socket, const char *pin_dir)
{
	memset(o, 0, sizeof(*o));
	o->abi_version = TCFW_ABI_VERSION;
	o->pid = (__u32)getpid();
	o->start_time = process_start_time(getpid());
	snprintf(o->socket, sizeof(o->socket), "%s", socket ? socket : "");
	snprintf(o->pin_dir, sizeof(o->pin_dir), "%s", pin_dir ? pin_dir : "");
}

bool owner_alive(const struct tcfw_owner *o)
{
	__u64 start;

	if (!o->pid)
		return false;
	if (kill((pid_t)o->pid, 0) && errno == ESRCH)
		return false;
	/* Another pid namespace's fwd cannot be looked up here: then the pid alone decides. */
	start = process_start_time((pid_t)o->pid);
	return !start || !o->start_time || start == o->start_time;
}

void owner_describe(const struct tcfw_owner *o, char *buf, size_t len)
{
	if (!o->abi_version) {
		snprintf(buf, len, "a tcfw datapath of an older version (no owner recorded)");
		return;
	}
	snprintf(buf, len, "fwd pid %u (control socket %s, pin dir %s)", o->pid,
	         o->socket[0] ? o->socket : "?", o->pin_dir[0] ? o->pin_dir : "?");
}

int owner_read(int config_fd, struct tcfw_owner *o)
{
	struct bpf_map_info info = {0};
	__u32 len = sizeof(info), zero = 0;
	struct tcfw_config cfg;

	memset(o, 0, sizeof(*o));
	if (bpf_obj_get_info_by_fd(config_fd, &info, &len))
		return -errno;
	/* An older layout has no owner record where this one has it. */
	if (info.value_size != sizeof(cfg))
		return -EPROTO;
	if (bpf_map_lookup_elem(config_fd, &zero, &cfg))
		return -errno;
	*o = cfg.owner;
	o->socket[sizeof(o->socket) - 1] = '\0';
	o->pin_dir[sizeof(o->pin_dir) - 1] = '\0';
	return 0;
}
