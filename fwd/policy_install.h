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
	/* A new policy text: ids may mean other rules. A rule keeps the counts of an old rule
	 * of its chain with the same normal form, else of one with the same comment. */
	POLICY_HITS_MATCH,
	POLICY_HITS_KEEP, /* a rule edit: ids are stable, counts carry over by id */
};

/* Install p (fwd takes it over on success; the old one is freed). name: shown by status and
 * policy-show (copied). 0, or -1 with a message in err (the policy is then the caller's). */
int policy_install(struct fwd *fwd, struct policy *p, const char *name,
                   enum policy_hits_mode hits_mode, char *err, size_t errlen);

/* Rule hits by rule id (index 0 unused), summed over CPUs and over earlier copies.
 * malloc'd array of *n entries, or NULL. */
uint64_t *policy_hits(struct fwd *fwd, size_t *n);
/* The same for the bytes of the packets each rule decided. */
uint64_t *policy_bytes(struct fwd *fwd, size_t *n);

/* Set the hit and byte counts of rule id (0: of every rule) to zero. 0, or -1 when there is no such
 * rule. */
int policy_hits_reset(struct fwd *fwd, uint32_t id);

/* What each rule's 'limit' refused (fell through) since the policy was installed, by rule id
 * (rules without 'limit': 0). malloc'd array of *n entries, or NULL. */
uint64_t *policy_limited(struct fwd *fwd, size_t *n);

/* Release everything policy_install holds. */
void policy_state_free(struct fwd *fwd);

#endif
