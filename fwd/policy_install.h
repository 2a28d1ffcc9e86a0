/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * policy_install.h - put a policy into the datapath atomically: compile into the standby copy,
 * switch config.policy_active, wait for an RCU grace period. On any failure the active copy
 * stays and nothing visible changed.
 */
#ifndef FWD_POLICY_INSTALL_H
#define FWD_POLICY_INSTALL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct fwd;
struct policy;

enum policy_hits_mode {
	POLICY_HITS_RESET, /* a new policy text: rule ids mean new rules */
	POLICY_HITS_KEEP,  /* a rule edit: ids are stable, counts carry over */
};

/* Install p (fwd takes it over on success; the old one is freed). name: shown by status and
 * policy-show (copied). 0, or -1 with a message in err (the policy is then the caller's). */
int policy_install(struct fwd *fwd, struct policy *p, const char *name,
                   enum policy_hits_mode hits_mode, char *err, size_t errlen);

/* Rule hits by rule id (index 0 unused), summed over CPUs and over earlier copies.
 * malloc'd array of *n entries, or NULL. */
uint64_t *policy_hits(struct fwd *fwd, size_t *n);

/* What each rule's 'limit' refused (fell through) since the policy was installed, by rule id
 * (rules without 'limit': 0). malloc'd array of *n entries, or NULL. */
uint64_t *policy_limited(struct fwd *fwd, size_t *n);

/* Release everything policy_install holds. */
void policy_state_free(struct fwd *fwd);

#endif
