// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * ifaces.c - which interfaces carry the datapath (see ifaces.h).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>

#include "log.h"

#include "attach.h"
#include "attached.h"
#include "fwd.h"
#include "netlink.h"
#include "xdp_attach.h"

static struct fwd_iface *iface_find(struct fwd_ifaces *ifs, int ifindex)
{
	for (size_t i = 0; i < ifs->n; i++)
		if (ifs->v[i].ifindex == ifindex)
			return &ifs->v[i];
	return NULL;
}

static struct fwd_iface *iface_add(struct fwd_ifaces *ifs, int ifindex, const char *name)
{
	struct fwd_iface *it;

	if (ifs->n == ifs->cap) {
		size_t cap = ifs->cap ? ifs->cap * 2 : 8;
		void *v = realloc(ifs->v, cap * sizeof(*ifs->v));

		if (!v)
			return NULL;
		ifs->v = v;
		ifs->cap = cap;
	}
	it = &ifs->v[ifs->n++];
	memset(it, 0, sizeof(*it));
	it->links = (struct tcx_links)TCX_LINKS_NONE;
	it->ifindex = ifindex;
	snprintf(it->name, sizeof(it->name), "%s", name);
	return it;
}

static void iface_remove(struct fwd_ifaces *ifs, struct fwd_iface *it)
{
	size_t i = (size_t)(it - ifs->v);

	tcx_close(&it->links);
	memmove(&ifs->v[i], &ifs->v[i + 1], (ifs->n - i - 1) * sizeof(*it));
	ifs->n--;
}

/*
 * The masquerade address of ifindex as val should carry it: its primary IPv4 address now. A
 * connection keeps the address it was given (as in netfilter); only new ones see a change.
 */
static void masq_addr_refresh(struct fwd *fwd, int ifindex, const char *name,
                              struct tcfw_iface *val)
{
	uint32_t addr = 0;
	char was[INET_ADDRSTRLEN], now[INET_ADDRSTRLEN];

	netlink_primary_addr4(fwd->nl, ifindex, &addr);
	if (addr == val->masq_addr4)
		return;
	inet_ntop(AF_INET, &val->masq_addr4, was, sizeof(was));
	inet_ntop(AF_INET, &addr, now, sizeof(now));
	if (!addr)
		pr_info("%s: no IPv4 address left: masquerade through it refuses new connections "
		        "until one is added",
		        name);
	else if (val->masq_addr4)
		pr_info("%s: masquerade address %s (was %s); connections opened before keep %s",
		        name, now, was, was);
	else
		pr_info("%s: masquerade address %s", name, now);
	val->masq_addr4 = addr;
}

static int zone_of(const struct policy *p, const char *name)
{
	return p && name ? policy_zone_of_ifname(p, name) : -1;
}

/* Detach from an interface this fwd (or an earlier one) attached to, and forget it. */
static void iface_unmanage(struct fwd *fwd, int ifindex, const char *name, bool qdisc_ours)
{
	__u32 key = (__u32)ifindex;
	struct fwd_iface *it = iface_find(&fwd->ifaces, ifindex);

	/* Both kinds: the record may be an earlier fwd's, which says nothing of the kind. */
	tcx_detach_iface(fwd->dp.pin_dir, ifindex, it ? &it->links : NULL);
	xdp_detach(ifindex, name);
	detach_iface(ifindex, name, qdisc_ours);
	bpf_map_delete_elem(fwd->dp.ifaces_fd, &key);
	if (it)
		iface_remove(&fwd->ifaces, it);
	pr_notice("%s: detached (no longer in a zone)", name);
}

/* Say why it fell back, once: every later attachment uses cls_bpf. */
static void tcx_unsupported(struct fwd *fwd, const char *why)
{
	pr_notice("%s: attaching with cls_bpf instead, now and from now on", why);
	fwd->tcx_usable = false;
}

/*
 * Put our programs on it, in the kind already there if any: pinned tcx links (a restart, an
 * upgrade) get the new programs with BPF_LINK_UPDATE; our cls_bpf filters (an earlier build,
 * or a fwd whose pins ended with it) are replaced in place and stay cls_bpf; only a bare
 * interface gets the kind this fwd chose. Never a link and a filter at once: both would run,
 * and every packet would go through conntrack and NAT twice. 0, or -errno with it->error set.
 */
static int iface_attach(struct fwd *fwd, struct fwd_iface *it, bool *created)
{
	const char *pin_dir = fwd->dp.pin_dir;
	int in = fwd->dp.prog_ingress_fd, out = fwd->dp.prog_egress_fd;
	__u32 cls_in = 0, cls_out = 0;
	int err;

	*created = false;
	tcx_close(&it->links);
	err = tcx_open_pinned(pin_dir, it->ifindex, &it->links);
	/* Links whose pins this fwd cannot see (another mount namespace's bpffs holds them):
	 * updated in place all the same, never doubled by a filter. */
	if (err == 0 && tcx_find_attached(it->ifindex, &it->links))
		err = 1;
	if (err > 0) {
		err = tcx_update(&it->links, in, out);
		for (int dir = 0; !err && dir < 2; dir++)
			if (it->links.fd[dir] < 0)
				err =
				    tcx_reattach_one(pin_dir, it->ifindex, dir == 0, dir ? out : in,
				                     &it->links, it->error, sizeof(it->error));
		if (err) {
			snprintf(it->error, sizeof(it->error),
			         "cannot put the new programs on %s's pinned tcx links: %s (the "
			         "programs there go on running)",
			         it->name, strerror(-err));
			tcx_close(&it->links);
			return err;
		}
		it->tcx = true;
		if ((attached_cls_prog_id(it->ifindex, true, &cls_in) == 0 && cls_in) ||
		    (attached_cls_prog_id(it->ifindex, false, &cls_out) == 0 && cls_out))
			detach_iface(it->ifindex, it->name, false);
		return 0;
	}
	if (err < 0) {
		snprintf(it->error, sizeof(it->error),
		         "cannot open the tcx links pinned for %s under %.200s: %s", it->name,
		         pin_dir, strerror(-err));
		return err;
	}
	if (attached_cls_prog_id(it->ifindex, true, &cls_in) ||
	    attached_cls_prog_id(it->ifindex, false, &cls_out))
		cls_in = cls_out = 1; /* cannot tell: cls_bpf, which replaces whatever is there */
	if (!cls_in && !cls_out && fwd->tcx_usable) {
		err = tcx_attach_iface(pin_dir, it->ifindex, it->name, in, out, &it->links,
		                       it->error, sizeof(it->error));
		if (!err) {
			it->tcx = true;
			return 0;
		}
		if (err != -EINVAL || fwd->opt.attach == FWD_ATTACH_TCX)
			return err;
		tcx_unsupported(fwd, it->error);
	}
	it->tcx = false;
	return attach_iface(it->ifindex, it->name, in, out, created, it->error, sizeof(it->error));
}

static void iface_manage(struct fwd *fwd, int ifindex, const char *name, int zone)
{
	struct fwd_iface *it = iface_find(&fwd->ifaces, ifindex);
	struct tcfw_iface val = {0};
	__u32 key = (__u32)ifindex;
	bool had_entry, created;
	int err;

	if (!it)
		it = iface_add(&fwd->ifaces, ifindex, name);
	if (!it) {
		pr_warn("%s: out of memory tracking the interface", name);
		return;
	}
	snprintf(it->name, sizeof(it->name), "%s", name);
	it->zone = zone;
	/* An entry left by an earlier fwd says whether the qdisc is ours; keep that. */
	had_entry = bpf_map_lookup_elem(fwd->dp.ifaces_fd, &key, &val) == 0;
	/* Both copies: the active one matters now, the standby one is rewritten by the next
	 * policy install before it becomes active. */
	val.zone[0] = val.zone[1] = (__u8)zone;
	masq_addr_refresh(fwd, ifindex, name, &val);
	/* The zone must be in place before the first packet reaches the programs. */
	if (bpf_map_update_elem(fwd->dp.ifaces_fd, &key, &val, BPF_ANY)) {
		snprintf(it->error, sizeof(it->error), "cannot record %s in map ifaces: %s", name,
		         strerror(errno));
		pr_warn("%s", it->error);
		return;
	}
	if (it->attached)
		return; /* renamed, or its zone id changed with a new policy: programs stay */
	/* Another fwd's datapath there is that fwd's to run: never replace it. */
	err = attached_check_free(ifindex, name, fwd->dp.ct_id, it->error, sizeof(it->error));
	it->foreign = err == -EBUSY;
	if (!err)
		err = iface_attach(fwd, it, &created);
	if (err) {
		pr_warn("%s", it->error);
		it->attached = false;
		bpf_map_delete_elem(fwd->dp.ifaces_fd, &key);
		return;
	}
	it->error[0] = '\0';
	if (created)
		val.flags |= TCFW_IFF_QDISC_OURS;
	it->qdisc_ours = val.flags & TCFW_IFF_QDISC_OURS;
	if (created && bpf_map_update_elem(fwd->dp.ifaces_fd, &key, &val, BPF_ANY))
		pr_warn("%s: cannot record that the clsact qdisc is ours (%s); a later fwd will "
		        "leave it in place",
		        name, strerror(errno));
	if (!it->attached)
		pr_notice("%s (ifindex %d): %s in zone %s with %s%s", name, ifindex,
		          had_entry ? "taken over" : "attached",
		          policy_zone_name(fwd->pol.p, (size_t)zone), it->tcx ? "tcx" : "cls_bpf",
		          created ? ", clsact qdisc created" : "");
	it->attached = true;
}

void ifaces_link_event(struct fwd *fwd, int ifindex, const char *name, bool gone)
{
	struct fwd_iface *it = iface_find(&fwd->ifaces, ifindex);
	int zone = gone ? -1 : zone_of(fwd->pol.p, name);
	__u32 key = (__u32)ifindex;

	if (gone) {
		/* The qdisc and filters went with the device; only the record is left. */
		if (bpf_map_delete_elem(fwd->dp.ifaces_fd, &key) == 0 || it)
			pr_notice("%s (ifindex %d): gone", name ? name : "?", ifindex);
		/* Its tcx links went defunct with it: their pins hold nothing. */
		tcx_detach_iface(fwd->dp.pin_dir, ifindex, it ? &it->links : NULL);
		if (it)
			iface_remove(&fwd->ifaces, it);
		return;
	}
	if (zone >= 0) {
		if (!it || !it->attached || it->zone != zone || strcmp(it->name, name))
			iface_manage(fwd, ifindex, name, zone);
		it = iface_find(&fwd->ifaces, ifindex);
		if (it)
			xdp_sync_iface(fwd, it); /* the pre-filter of its zone, if any */
	} else if (it && it->attached) {
		iface_unmanage(fwd, ifindex, name, it->qdisc_ours);
	} else if (it) {
		iface_remove(&fwd->ifaces, it);
	}
}

void ifaces_addr_event(struct fwd *fwd, int ifindex)
{
	struct fwd_iface *it = iface_find(&fwd->ifaces, ifindex);
	struct tcfw_iface val;
	__u32 key = (__u32)ifindex;
	__u32 before;

	if (!it || bpf_map_lookup_elem(fwd->dp.ifaces_fd, &key, &val))
		return; /* not managed: nothing leaves through it with masquerade */
	before = val.masq_addr4;
	masq_addr_refresh(fwd, ifindex, it->name, &val);
	if (val.masq_addr4 != before && bpf_map_update_elem(fwd->dp.ifaces_fd, &key, &val, BPF_ANY))
		pr_warn(
		    "%s: cannot write its masquerade address to map ifaces: %s (new connections "
		    "masqueraded through it use the old one)",
		    it->name, strerror(errno));
}

/* Every ifindex in map "ifaces" (from this or an earlier fwd), malloc'd; -errno. */
static int ifaces_map_keys(struct fwd *fwd, __u32 **keys, size_t *n)
{
	__u32 key, next, *v = NULL;
	size_t cnt = 0, cap = 0;
	__u32 *prev = NULL;

	while (bpf_map_get_next_key(fwd->dp.ifaces_fd, prev, &next) == 0) {
		if (cnt == cap) {
			void *nv = realloc(v, (cap = cap ? cap * 2 : 16) * sizeof(*v));

			if (!nv) {
				free(v);
				return -ENOMEM;
			}
			v = nv;
		}
		v[cnt++] = next;
		key = next;
		prev = &key;
	}
	*keys = v;
	*n = cnt;
	return 0;
}

int ifaces_write_zones(struct fwd *fwd, const struct policy *p, __u8 copy)
{
	__u32 *keys;
	size_t n;
	int err = ifaces_map_keys(fwd, &keys, &n);

	if (err)
		return err;
	for (size_t i = 0; i < n; i++) {
		char name[IF_NAMESIZE];
		struct tcfw_iface val;
		int zone;

		if (bpf_map_lookup_elem(fwd->dp.ifaces_fd, &keys[i], &val))
			continue; /* removed meanwhile */
		zone = netlink_link_name(fwd->nl, (int)keys[i], name) ? zone_of(p, name) : -1;
		val.zone[copy] = zone >= 0 ? (__u8)zone : TCFW_ZONE_NONE;
		if (bpf_map_update_elem(fwd->dp.ifaces_fd, &keys[i], &val, BPF_ANY)) {
			err = -errno;
			pr_warn("cannot write the zone of ifindex %u to map ifaces: %s", keys[i],
			        strerror(errno));
			break;
		}
	}
	free(keys);
	return err;
}

static void sync_link(int ifindex, const char *name, void *ctx)
{
	struct fwd *fwd = ctx;

	ifaces_link_event(fwd, ifindex, name, false);
}

void ifaces_sync(struct fwd *fwd)
{
	__u32 *keys;
	size_t n;
	char name[IF_NAMESIZE];

	/* Interfaces that vanished while their events were not seen (netlink resync). */
	for (size_t i = 0; i < fwd->ifaces.n;) {
		if (netlink_link_name(fwd->nl, fwd->ifaces.v[i].ifindex, name))
			i++;
		else
			iface_remove(&fwd->ifaces, &fwd->ifaces.v[i]);
	}
	/* Records of interfaces that vanished or left every zone, possibly from an earlier fwd. */
	if (ifaces_map_keys(fwd, &keys, &n) == 0) {
		for (size_t i = 0; i < n; i++) {
			struct tcfw_iface val;

			if (bpf_map_lookup_elem(fwd->dp.ifaces_fd, &keys[i], &val))
				continue;
			if (!netlink_link_name(fwd->nl, (int)keys[i], name)) {
				bpf_map_delete_elem(fwd->dp.ifaces_fd, &keys[i]);
				continue;
			}
			if (zone_of(fwd->pol.p, name) < 0)
				iface_unmanage(fwd, (int)keys[i], name,
				               val.flags & TCFW_IFF_QDISC_OURS);
		}
		free(keys);
	}
	netlink_foreach_link(fwd->nl, sync_link, fwd);
	/* Addresses may have changed while their events were not seen. */
	for (size_t i = 0; i < fwd->ifaces.n; i++)
		ifaces_addr_event(fwd, fwd->ifaces.v[i].ifindex);
}

bool ifaces_manages(const struct fwd *fwd, const char *name)
{
	for (size_t i = 0; i < fwd->ifaces.n; i++)
		if (!strcmp(fwd->ifaces.v[i].name, name))
			return true;
	return false;
}

void ifaces_report_missing(struct fwd *fwd)
{
	const struct policy *p = fwd->pol.p;

	for (size_t z = 0; p && z < policy_zone_count(p); z++)
		for (size_t k = 0; k < policy_zone_ifcount(p, z); k++) {
			const char *name = policy_zone_ifname(p, z, k);

			if (!ifaces_manages(fwd, name))
				pr_notice(
				    "zone %s: interface %s does not exist: fwd attaches to it "
				    "when it appears (check the name if it never does)",
				    policy_zone_name(p, z), name);
		}
}

/* Which of our two cls_bpf filters run our programs now (false also when the kernel cannot
 * say: attaching again replaces in place, so a wrong "no" costs nothing). */
static void filters_present(struct fwd *fwd, int ifindex, bool *ingress, bool *egress)
{
	__u32 in_id = 0, out_id = 0;

	*ingress =
	    attached_cls_prog_id(ifindex, true, &in_id) == 0 && in_id == fwd->dp.prog_ingress_id;
	*egress =
	    attached_cls_prog_id(ifindex, false, &out_id) == 0 && out_id == fwd->dp.prog_egress_id;
}

/*
 * ifaces_verify() for an interface on tcx links: a link detached by hand (BPF_LINK_DETACH,
 * bpftool) gets a new link in its pin's place; a live link whose program was swapped gets
 * ours back. Unlike a cls_bpf filter, a second link would run next to the first, so nothing
 * is attached while the kernel cannot say. 1 when it was repaired.
 */
static int verify_tcx(struct fwd *fwd, struct fwd_iface *it)
{
	const int prog[2] = {fwd->dp.prog_ingress_fd, fwd->dp.prog_egress_fd};
	const __u32 prog_id[2] = {fwd->dp.prog_ingress_id, fwd->dp.prog_egress_id};
	static const char *const dir_name[2] = {"ingress", "egress"};
	int repaired = 0;

	for (int dir = 0; dir < 2; dir++) {
		char why[sizeof(it->error)];
		int fd = it->links.fd[dir];

		if (tcx_link_alive(fd)) {
			if (attached_tcx_has(it->ifindex, dir == 0, prog_id[dir]) != 0)
				continue;
			if (bpf_link_update(fd, prog[dir], NULL)) {
				pr_warn("%s: tcfw's %s tcx link runs another program, and putting "
				        "ours back failed: %s",
				        it->name, dir_name[dir], strerror(errno));
				continue;
			}
		} else if (tcx_reattach_one(fwd->dp.pin_dir, it->ifindex, dir == 0, prog[dir],
		                            &it->links, why, sizeof(why))) {
			snprintf(it->error, sizeof(it->error), "%s", why);
			pr_warn("%s: tcfw's %s tcx link was detached and attaching again failed: "
			        "%s",
			        it->name, dir_name[dir], why);
			continue;
		}
		repaired = 1;
		it->error[0] = '\0';
		pr_warn("%s: tcfw's %s tcx link was detached or changed; attached again (link "
		        "%u, %u time%s so far)",
		        it->name, dir_name[dir], it->links.id[dir], it->reattached + 1,
		        it->reattached ? "s" : "");
	}
	it->reattached += (unsigned int)repaired;
	return repaired;
}

unsigned int ifaces_verify(struct fwd *fwd)
{
	unsigned int again = 0;

	for (size_t i = 0; i < fwd->ifaces.n; i++) {
		struct fwd_iface *it = &fwd->ifaces.v[i];
		bool in_ok, out_ok, created;
		char why[sizeof(it->error)];
		__u32 key = (__u32)it->ifindex;
		struct tcfw_iface val;

		if (!it->attached)
			continue;
		if (it->tcx) {
			again += (unsigned int)verify_tcx(fwd, it);
			continue;
		}
		filters_present(fwd, it->ifindex, &in_ok, &out_ok);
		if (in_ok && out_ok)
			continue;
		/* Unfiltered until this returns: attach again at once, then say so. */
		if (attach_iface(it->ifindex, it->name, fwd->dp.prog_ingress_fd,
		                 fwd->dp.prog_egress_fd, &created, why, sizeof(why))) {
			it->attached = false;
			snprintf(it->error, sizeof(it->error), "%s", why);
			pr_warn("%s: tcfw's filter disappeared and attaching again failed: %s",
			        it->name, why);
			continue;
		}
		it->reattached++;
		again++;
		if (created && bpf_map_lookup_elem(fwd->dp.ifaces_fd, &key, &val) == 0) {
			/* Someone removed the clsact qdisc: the new one is ours to remove. */
			val.flags |= TCFW_IFF_QDISC_OURS;
			it->qdisc_ours = true;
			bpf_map_update_elem(fwd->dp.ifaces_fd, &key, &val, BPF_ANY);
		}
		pr_warn("%s: tcfw's %s filter was removed or replaced (%s); attached again "
		        "(%u time%s so far)",
		        it->name,
		        !in_ok && !out_ok ? "ingress and egress"
		        : !in_ok          ? "ingress"
		                          : "egress",
		        created ? "with its clsact qdisc" : "the qdisc was still there",
		        it->reattached, it->reattached == 1 ? "" : "s");
	}
	return again + xdp_sync(fwd);
}

size_t ifaces_foreign_count(const struct fwd *fwd)
{
	size_t n = 0;

	for (size_t i = 0; i < fwd->ifaces.n; i++)
		n += fwd->ifaces.v[i].foreign;
	return n;
}

void ifaces_release(struct fwd *fwd)
{
	xdp_release(fwd);
	for (size_t i = 0; i < fwd->ifaces.n; i++) {
		struct fwd_iface *it = &fwd->ifaces.v[i];
		bool in_ok, out_ok;

		if (!it->attached)
			continue;
		if (it->tcx) {
			/* Our links, whatever they run: detached and unpinned. */
			tcx_detach_iface(fwd->dp.pin_dir, it->ifindex, &it->links);
			pr_info("%s: tcx links detached", it->name);
			it->attached = false;
			continue;
		}
		filters_present(fwd, it->ifindex, &in_ok, &out_ok);
		if (!in_ok && !out_ok) {
			/* Not ours any more (replaced by someone else's): not ours to remove. */
			pr_warn("%s: the filters there are not this fwd's programs: left in place",
			        it->name);
			it->attached = false;
			continue;
		}
		if (detach_iface(it->ifindex, it->name, it->qdisc_ours) == 0)
			pr_info("%s: detached%s", it->name,
			        it->qdisc_ours ? ", clsact qdisc removed" : "");
		it->attached = false;
	}
}

void ifaces_free(struct fwd_ifaces *ifs)
{
	/* With --keep, the pins go on holding the links. */
	for (size_t i = 0; i < ifs->n; i++)
		tcx_close(&ifs->v[i].links);
	free(ifs->v);
	memset(ifs, 0, sizeof(*ifs));
}

int ifaces_choose_mode(struct fwd *fwd)
{
	const char *pin_dir = fwd->dp.pin_dir;
	bool durable = bpffs_outlives_fwd(pin_dir);

	switch (fwd->opt.attach) {
	case FWD_ATTACH_TC:
		fwd->tcx_usable = false;
		return 0;
	case FWD_ATTACH_TCX:
		if (!durable) {
			pr_warn("--attach tcx: the pin dir %s is on a bpffs that ends with fwd (a "
			        "mount namespace of its own, as `ip netns exec` gives each "
			        "command); a tcx link whose pin is gone is detached, so a killed "
			        "fwd would leave its interfaces unfiltered: use --attach tc (or "
			        "auto), or a --pin-dir on the host's bpffs",
			        pin_dir);
			return -EINVAL;
		}
		fwd->tcx_usable = true;
		return 0;
	case FWD_ATTACH_AUTO:
	default:
		fwd->tcx_usable = durable;
		if (!durable)
			pr_info("the pins in %s end with fwd: new attachments use cls_bpf, which "
			        "stays attached without them",
			        pin_dir);
		return 0;
	}
}
