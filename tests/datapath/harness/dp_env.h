/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * dp_env.h - setting up and tearing down what every case runs in (dp_env.c).
 */
#ifndef TCFW_DP_ENV_H
#define TCFW_DP_ENV_H

#include "dp.h"

struct dp_env {
	int ifindex_lan, ifindex_wan;
};

/* Move this process into a private network namespace with lan0 / wan0 (see dp.h). The
 * namespace goes away with the process: nothing to clean up. 0, or -1 with a message. */
int dp_env_setup(struct dp_env *env);
/* Open and load a fresh skeleton into t->skel. 0, or -1 with a message. */
int dp_env_load(struct dp *t);
void dp_env_unload(struct dp *t);

#endif /* TCFW_DP_ENV_H */
