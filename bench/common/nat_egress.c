// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * nat_egress.c - the datapath's programs loaded again over fwd's pinned maps, egress finding
 * NAT work by lookups (see nat_egress.h).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "tcfw.skel.h"

#include "nat_egress.h"

/* Point every map fwd pinned at the pinned one. 0, or -1 with a message. */
static int reuse_pinned_maps(struct bpf_object *obj, const char *pin_dir)
{
	struct bpf_map *map;

	bpf_object__for_each_map(map, obj)
	{
		char path[4096];
		int fd, err;

		/* .rodata/.bss are this copy's own: .rodata carries the switch. */
		if (bpf_map__is_internal(map))
			continue;
		snprintf(path, sizeof(path), "%s/%s", pin_dir, bpf_map__name(map));
		fd = bpf_obj_get(path);
		if (fd < 0) {
			if (errno == ENOENT)
				continue; /* not pinned by fwd: this copy keeps a private one */
			fprintf(stderr, "bench: cannot open fwd's pinned map %s: %s\n", path,
			        strerror(errno));
			return -1;
		}
		err = bpf_map__reuse_fd(map, fd);
		close(fd); /* reuse_fd keeps its own duplicate */
		if (err) {
			fprintf(stderr, "bench: cannot share map %s with fwd: %s\n", path,
			        strerror(-err));
			return -1;
		}
	}
	return 0;
}

int bench_nat_egress_open(const char *pin_dir, struct tcfw **skel_out)
{
	struct tcfw *skel = tcfw__open();
	int err;

	*skel_out = NULL;
	if (!skel) {
		fprintf(stderr, "bench: cannot open the datapath's skeleton: %s\n",
		        strerror(errno));
		return -1;
	}
	skel->rodata->nat_egress_ignore_hint = 1;
	if (reuse_pinned_maps(skel->obj, pin_dir)) {
		tcfw__destroy(skel);
		return -1;
	}
	err = tcfw__load(skel);
	if (err) {
		fprintf(
		    stderr,
		    "bench: cannot load the datapath's programs over fwd's maps in %s: %s (fwd and "
		    "the bench from different builds?)\n",
		    pin_dir, strerror(-err));
		tcfw__destroy(skel);
		return -1;
	}
	*skel_out = skel;
	return bpf_program__fd(skel->progs.tcfw_egress);
}

void bench_nat_egress_close(struct tcfw *skel)
{
	tcfw__destroy(skel);
}
