/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * pin_lock.h - one fwd per pin dir: an exclusive flock on the pin dir itself, held until fwd
 * exits. The kernel drops it when its holder dies, however it dies, so a crashed fwd never
 * blocks its successor, while a second fwd beside a live one is refused, naming it (from the
 * owner record, lib/owner.h).
 */
#ifndef FWD_PIN_LOCK_H
#define FWD_PIN_LOCK_H

/* Lock pin_dir for this fwd (kept until exit; *fd is the lock). -EBUSY, with a message that
 * names the fwd holding it, when another one does. */
int pin_dir_lock(const char *pin_dir, int *fd);

#endif
