// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * sync.c - state replication for a gateway pair (see sync.h and docs/ha.md).
 *
 * One UDP socket and one timer (every SYNC_TICK_MS) in fwd's loop. The timer sends ACKs and
 * ALIVEs when due, asks the peer for a bulk resync until it has one, scans the table every
 * SYNC_SCAN_MS and feeds a bulk resync being served. Received DATA is written into the table
 * at once. No record is sent twice in one message; each DATA message holds up to
 * SYNC_MAX_RECS records.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "ctmap.h"
#include "json_add.h"
#include "log.h"
#include "ratelimit.h"
#include "sync_window.h"

#include "fwd.h"
#include "sync.h"
#include "sync_ct.h"

#define NSEC_PER_MSEC 1000000ull
#define NSEC_PER_SEC  1000000000ull
/* A connection from the peer outlives the expiry the peer last announced by this much at most
 * while the peer is master (its refresh or destroy is late, or was lost with a resync). */
#define SYNC_KEEP_GRACE_NS (60 * NSEC_PER_SEC)
/* Ask the peer for a bulk resync this often until one arrives. */
#define SYNC_RESYNC_ASK_NS (1 * NSEC_PER_SEC)
/* Datagrams read per readiness event (the rest on the next turn of the loop). */
#define SYNC_RX_BUDGET 512
/* A bulk resync being served keeps at most half the queue in flight, and sends at most this
 * many messages per turn of the loop. */
#define SYNC_RESYNC_BURST 128

/* What was last sent (or received) about one connection. */
struct shadow_ent {
	struct sync_tuple key; /* original tuple */
	uint64_t hash;         /* sync_ct_rec_hash() of the last record */
	uint64_t peer_exp_ns;  /* when the peer's copy expires, on this clock */
	uint32_t gen;          /* the last scan that saw it */
	bool from_peer;        /* the last word about it came from the peer */
	struct shadow_ent *next;
};

struct shadow {
	struct shadow_ent **b;
	size_t nb, n;
};

struct sync {
	struct fwd *fwd;
	enum sync_role role;
	bool enabled;
	int fd;
	struct loop_source sock, timer;
	struct sockaddr_storage peer;
	socklen_t peerlen;
	struct sync_tx tx;
	struct sync_rx rx;
	struct shadow sh;
	uint32_t gen;
	struct ctmap map;
	struct sync_zone_map zm;
	uint64_t ticks;
	uint64_t next_scan_ns;

	struct sync_rec out[SYNC_MAX_RECS]; /* the DATA message being filled */
	uint16_t nout;
	/* Records a NACK (or an ACK past a gap) handed back, sent again after the window code
	 * is done with its queue. */
	struct sync_tuple *again;
	size_t nagain, again_cap;

	/* A bulk resync being served: the connections to send, in order. */
	bool rs_active;
	struct sync_tuple *rs_keys;
	size_t rs_n, rs_pos;
	uint64_t rs_started_ns;

	/* A bulk resync asked of the peer. */
	bool want_resync;
	uint64_t resync_asked_ns, resync_first_ask_ns;
	uint64_t resync_recs; /* records received since the first ask */
	uint64_t recs_at_ask; /* resync_recs at the last ask: none since, ask again */
	uint32_t rs_cookie;   /* the boot cookie of the peer the resync being served is for */

	/* The peer as its last message described it. */
	bool peer_seen;
	uint32_t peer_cookie;
	uint32_t peer_node, peer_gen;
	uint8_t peer_flags;

	struct ratelimit warn_rl;
	struct {
		uint64_t datagrams_sent, datagrams_received;
		uint64_t recv_msgs, recv_recs, apply_errors, decode_errors, foreign, send_errors;
		uint64_t
		    overruled; /* records of a non-master peer about our connections, ignored */
		uint64_t resyncs_sent, resyncs_received, resyncs_asked, refreshes, destroys_sent;
		uint64_t last_resync_recs;
		double last_resync_s;
		uint64_t scans, scan_errors;
		double last_scan_ms;
	} st;
};

/* The one instance (fwd has one). */
static struct sync *the_sync;

const char *sync_role_name(enum sync_role r)
{
	switch (r) {
	case SYNC_ROLE_MASTER:
		return "master";
	case SYNC_ROLE_BACKUP:
		return "backup";
	case SYNC_ROLE_FAULT:
		return "fault";
	default:
		return "none";
	}
}

int sync_role_parse(const char *s)
{
	if (!strcmp(s, "master"))
		return SYNC_ROLE_MASTER;
	if (!strcmp(s, "backup"))
		return SYNC_ROLE_BACKUP;
	if (!strcmp(s, "fault"))
		return SYNC_ROLE_FAULT;
	return -1;
}

static uint64_t now_ns(void)
{
	return ctmap_now_ns();
}

/* ---- the shadow table: what the peer knows -------------------------------------------- */
static uint64_t key_hash(const struct sync_tuple *k)
{
	const uint8_t *p = (const uint8_t *)k;
	uint64_t h = 0xcbf29ce484222325ull;

	for (size_t i = 0; i < sizeof(*k); i++) {
		h ^= p[i];
		h *= 0x100000001b3ull;
	}
	return h ^ (h >> 29);
}

static struct shadow_ent **shadow_slot(struct shadow *sh, const struct sync_tuple *k)
{
	struct shadow_ent **pp = &sh->b[key_hash(k) & (sh->nb - 1)];

	while (*pp && memcmp(&(*pp)->key, k, sizeof(*k)))
		pp = &(*pp)->next;
	return pp;
}

static int shadow_grow(struct shadow *sh)
{
	size_t nb = sh->nb ? sh->nb * 2 : 4096;
	struct shadow_ent **b = calloc(nb, sizeof(*b));

	if (!b)
		return -ENOMEM;
	for (size_t i = 0; i < sh->nb; i++)
		for (struct shadow_ent *e = sh->b[i], *next; e; e = next) {
			size_t j = key_hash(&e->key) & (nb - 1);

			next = e->next;
			e->next = b[j];
			b[j] = e;
		}
	free(sh->b);
	sh->b = b;
	sh->nb = nb;
	return 0;
}

static struct shadow_ent *shadow_find(struct shadow *sh, const struct sync_tuple *k)
{
	return sh->nb ? *shadow_slot(sh, k) : NULL;
}

/* The entry for k, created if needed (NULL: out of memory). */
static struct shadow_ent *shadow_get(struct shadow *sh, const struct sync_tuple *k, bool *created)
{
	struct shadow_ent **pp, *e;

	*created = false;
	if ((sh->n + 1 > sh->nb) && shadow_grow(sh) && !sh->nb)
		return NULL;
	pp = shadow_slot(sh, k);
	if (*pp)
		return *pp;
	e = calloc(1, sizeof(*e));
	if (!e)
		return NULL;
	e->key = *k;
	*pp = e;
	sh->n++;
	*created = true;
	return e;
}

static void shadow_remove(struct shadow *sh, const struct sync_tuple *k)
{
	struct shadow_ent **pp, *e;

	if (!sh->nb)
		return;
	pp = shadow_slot(sh, k);
	e = *pp;
	if (!e)
		return;
	*pp = e->next;
	free(e);
	sh->n--;
}

static void shadow_free(struct shadow *sh)
{
	for (size_t i = 0; i < sh->nb; i++)
		for (struct shadow_ent *e = sh->b[i], *next; e; e = next) {
			next = e->next;
			free(e);
		}
	free(sh->b);
	memset(sh, 0, sizeof(*sh));
}

/* ---- sending --------------------------------------------------------------------------- */
static void send_msg(struct sync *s, const struct sync_hdr *h, const struct sync_rec *recs)
{
	uint8_t buf[SYNC_MSG_MAX];
	int len = sync_encode(h, recs, buf, sizeof(buf));

	if (len < 0)
		return;
	if (s->peer.ss_family &&
	    sendto(s->fd, buf, (size_t)len, 0, (const struct sockaddr *)&s->peer, s->peerlen) < 0) {
		s->st.send_errors++;
		if (ratelimit_take(&s->warn_rl, now_ns()))
			pr_debug("sync: sending to the peer failed: %s", strerror(errno));
		return;
	}
	s->st.datagrams_sent++;
}

static void send_control(struct sync *s, enum sync_msg_type type, uint32_t from, uint32_t to)
{
	struct sync_hdr h;

	sync_tx_control(&s->tx, type, now_ns(), &h);
	if (type == SYNC_ACK || type == SYNC_NACK) {
		h.seq_from = from;
		h.seq_to = to;
	}
	if (s->role == SYNC_ROLE_MASTER)
		h.flags |= SYNC_F_MASTER;
	send_msg(s, &h, NULL);
}

static void flush_out(struct sync *s)
{
	struct sync_hdr h;

	if (!s->nout)
		return;
	sync_tx_data(&s->tx, s->out, s->nout, now_ns(), &h);
	if (s->role == SYNC_ROLE_MASTER)
		h.flags |= SYNC_F_MASTER;
	send_msg(s, &h, s->out);
	s->nout = 0;
}

static void queue_rec(struct sync *s, const struct sync_rec *r)
{
	s->out[s->nout++] = *r;
	if (s->nout == SYNC_MAX_RECS)
		flush_out(s);
}

static void queue_destroy(struct sync *s, const struct sync_tuple *orig)
{
	struct sync_rec r = {.kind = SYNC_REC_DESTROY, .orig = *orig};

	/* Only the key means something; the reply tuple must still be of the same family and
	 * protocol for the decoder. */
	r.reply = *orig;
	s->st.destroys_sent++;
	queue_rec(s, &r);
}

/* Send the current state of the connection keyed k (UPDATE, or DESTROY when it is gone), and
 * remember it as sent. */
static void send_current(struct sync *s, const struct sync_tuple *k)
{
	struct sync_ct_meta m;
	struct shadow_ent *e;
	struct sync_rec r;
	bool created;

	if (sync_ct_lookup(&s->map, &s->zm, s->fwd->pol.timeouts, k, &r, &m)) {
		shadow_remove(&s->sh, k);
		queue_destroy(s, k);
		return;
	}
	e = shadow_get(&s->sh, k, &created);
	if (e) {
		e->hash = sync_ct_rec_hash(&r);
		e->peer_exp_ns = m.expires_ns;
		e->gen = s->gen;
	}
	queue_rec(s, &r);
}

/* sync_tx_on_ack/on_nack's hand-back: noted, sent once the window code is done. */
static void hand_back(void *ctx, const struct sync_rec *rec)
{
	struct sync *s = ctx;

	if (s->nagain == s->again_cap) {
		size_t cap = s->again_cap ? s->again_cap * 2 : 256;
		void *v = realloc(s->again, cap * sizeof(*s->again));

		if (!v)
			return; /* lost here: the next resync repairs it */
		s->again = v;
		s->again_cap = cap;
	}
	s->again[s->nagain++] = rec->orig;
}

static void send_again(struct sync *s)
{
	for (size_t i = 0; i < s->nagain; i++)
		send_current(s, &s->again[i]);
	s->nagain = 0;
}

/* ---- the change scan ------------------------------------------------------------------- */
/* Should a connection whose record has not changed be sent again for its timeout? When the
 * peer's copy would expire within half the state's timeout, and ours later. */
static bool refresh_due(const struct sync *s, const struct shadow_ent *e, const struct sync_rec *r,
                        const struct sync_ct_meta *m, uint64_t now)
{
	uint64_t timeout = (uint64_t)s->fwd->pol.timeouts[r->state] * NSEC_PER_SEC;

	return m->expires_ns > e->peer_exp_ns + NSEC_PER_SEC && e->peer_exp_ns < now + timeout / 2;
}

struct scan_ctx {
	struct sync *s;
	uint64_t now;
};

static int scan_one(const struct sync_rec *r, const struct sync_ct_meta *m, void *ctx)
{
	struct scan_ctx *x = ctx;
	struct sync *s = x->s;
	struct shadow_ent *e;
	uint64_t h;
	bool created;

	if (!m->ready)
		return 0;
	e = shadow_get(&s->sh, &r->orig, &created);
	if (!e)
		return 0; /* out of memory: tried again next scan */
	e->gen = s->gen;
	h = sync_ct_rec_hash(r);
	if (created || e->hash != h) {
		e->hash = h;
		e->from_peer = false;
	} else if (refresh_due(s, e, r, m, x->now)) {
		s->st.refreshes++;
	} else {
		return 0;
	}
	e->peer_exp_ns = m->expires_ns;
	queue_rec(s, r);
	return 0;
}

/* What the scan did not see and is gone from the table: destroyed. (The walk can miss an
 * entry that moves under it, so each is looked up before it is called gone.) */
static void sweep(struct sync *s)
{
	for (size_t i = 0; i < s->sh.nb; i++) {
		struct shadow_ent **pp = &s->sh.b[i];

		while (*pp) {
			struct shadow_ent *e = *pp;

			if (e->gen == s->gen || sync_ct_exists(&s->map, &e->key)) {
				e->gen = s->gen;
				pp = &e->next;
				continue;
			}
			queue_destroy(s, &e->key);
			*pp = e->next;
			free(e);
			s->sh.n--;
		}
	}
}

static void scan(struct sync *s)
{
	struct scan_ctx x = {.s = s, .now = now_ns()};
	int err;

	s->gen++;
	err = sync_ct_walk(&s->map, &s->zm, s->fwd->pol.timeouts, scan_one, &x);
	if (err) {
		/* A walk cut short saw only part of the table: no sweep, or live connections
		 * would be sent as destroyed. */
		s->st.scan_errors++;
		if (ratelimit_take(&s->warn_rl, x.now))
			pr_warn("sync: walking the connection table failed: %s (changes are not "
			        "replicated; see `fwctl ha status`)",
			        strerror(-err));
	} else {
		sweep(s);
	}
	flush_out(s);
	s->st.scans++;
	s->st.last_scan_ms = (double)(now_ns() - x.now) / 1e6;
}

/* ---- bulk resync served ---------------------------------------------------------------- */
static void resync_start(struct sync *s, const char *why)
{
	size_t n = 0;

	pr_notice("sync: sending the peer every connection (%s)", why);
	scan(s); /* the shadow table is now the table */
	free(s->rs_keys);
	s->rs_keys = malloc((s->sh.n ? s->sh.n : 1) * sizeof(*s->rs_keys));
	if (!s->rs_keys) {
		s->rs_active = false;
		pr_warn("sync: out of memory for a bulk resync of %zu connections", s->sh.n);
		return;
	}
	for (size_t i = 0; i < s->sh.nb; i++)
		for (struct shadow_ent *e = s->sh.b[i]; e; e = e->next)
			s->rs_keys[n++] = e->key;
	s->rs_n = n;
	s->rs_pos = 0;
	s->rs_active = true;
	s->rs_started_ns = now_ns();
}

static void resync_continue(struct sync *s)
{
	size_t burst = 0;

	while (s->rs_active && s->tx.count < s->tx.cap / 2 && burst < SYNC_RESYNC_BURST) {
		uint32_t before = s->tx.next_seq;

		while (s->rs_pos < s->rs_n && s->tx.next_seq == before)
			send_current(s, &s->rs_keys[s->rs_pos++]);
		burst++;
		if (s->rs_pos == s->rs_n) {
			flush_out(s);
			send_control(s, SYNC_RESYNC_END, 0, 0);
			s->rs_active = false;
			s->st.resyncs_sent++;
			pr_notice("sync: bulk resync sent: %zu connections in %.2f s", s->rs_n,
			          (double)(now_ns() - s->rs_started_ns) / 1e9);
			free(s->rs_keys);
			s->rs_keys = NULL;
		}
	}
}

/* ---- receiving ------------------------------------------------------------------------- */
static void apply_recs(struct sync *s, const struct sync_hdr *h, const struct sync_rec *recs)
{
	uint64_t now = now_ns();

	/* A master is the authority on the connections it forwards: nothing a peer that is not
	 * master says is applied (a backup restarted on its pins sends its whole table, older
	 * than the master's). What it has wrong is put right: the master's own state of a
	 * connection it has goes back at the next scan, a DESTROY for one it does not have. */
	bool authority = s->role == SYNC_ROLE_MASTER && !(h->flags & SYNC_F_MASTER);

	for (uint16_t i = 0; i < h->nrec; i++) {
		const struct sync_rec *r = &recs[i];
		int err;

		if (authority) {
			struct shadow_ent *e = shadow_find(&s->sh, &r->orig);

			s->st.overruled++;
			if (e)
				e->hash = 0; /* differs from any record: sent again */
			else if (r->kind == SYNC_REC_UPDATE && !sync_ct_exists(&s->map, &r->orig))
				queue_destroy(s, &r->orig);
			continue;
		}
		err = sync_ct_apply(&s->map, s->fwd->dp.nat_alias_fd, &s->zm, s->fwd->pol.timeouts,
		                    r);

		if (err) {
			s->st.apply_errors++;
			if (ratelimit_take(&s->warn_rl, now))
				pr_warn("sync: cannot write a connection from the peer into the "
				        "table: %s (is it full? see --ct-max)",
				        strerror(-err));
			continue;
		}
		if (r->kind == SYNC_REC_DESTROY) {
			shadow_remove(&s->sh, &r->orig);
		} else {
			bool created;
			struct shadow_ent *e = shadow_get(&s->sh, &r->orig, &created);

			/* Remembered as known to the peer, so that this node's scan does not send
			 * it back. */
			if (e) {
				e->hash = sync_ct_rec_hash(r);
				e->peer_exp_ns = now + (uint64_t)r->timeout_left * NSEC_PER_SEC;
				e->gen = s->gen;
				e->from_peer = true;
			}
		}
		s->st.recv_recs++;
		s->resync_recs++;
	}
	s->st.recv_msgs++;
}

static void on_data_or_alive(struct sync *s, const struct sync_hdr *h, const struct sync_rec *recs,
                             uint64_t now)
{
	struct sync_rx_action act;
	uint32_t from, to;

	sync_rx_on_msg(&s->rx, h, now, &act);
	if (act.peer_restarted)
		pr_notice("sync: the peer (node %u) restarted", h->node_id);
	if (act.ack)
		send_control(s, SYNC_ACK, act.ack_from, act.ack_to);
	if (act.nack)
		send_control(s, SYNC_NACK, act.nack_from, act.nack_to);
	if (act.apply)
		apply_recs(s, h, recs);
	if (sync_rx_ack_due(&s->rx, now, &from, &to))
		send_control(s, SYNC_ACK, from, to);
}

static void on_msg(struct sync *s, const struct sync_hdr *h, const struct sync_rec *recs)
{
	uint64_t now = now_ns();
	size_t missing;

	if (s->peer_seen && h->boot_cookie != s->peer_cookie && s->tx.count) {
		/* The peer started over: what we queued for its previous life is moot (it asks
		 * for a bulk resync), and its first ACK would hand all of it back as lost. */
		s->tx.head = s->tx.count = 0;
	}
	s->peer_seen = true;
	s->peer_cookie = h->boot_cookie;
	s->peer_node = h->node_id;
	s->peer_gen = h->policy_gen;
	s->peer_flags = h->flags;
	switch (h->type) {
	case SYNC_DATA:
	case SYNC_ALIVE:
		on_data_or_alive(s, h, recs, now);
		break;
	case SYNC_ACK:
		s->rx.last_heard_ns = now;
		sync_tx_on_ack(&s->tx, h->seq_from, h->seq_to, hand_back, s);
		send_again(s);
		break;
	case SYNC_NACK:
		s->rx.last_heard_ns = now;
		missing = sync_tx_on_nack(&s->tx, h->seq_from, h->seq_to, hand_back, s);
		send_again(s);
		if (missing && !s->rs_active)
			resync_start(s, "the peer lost messages no longer queued");
		break;
	case SYNC_RESYNC_REQ:
		s->rx.last_heard_ns = now;
		/* Asked again by the same peer while being served: it is coming. */
		if (!s->rs_active || s->rs_cookie != h->boot_cookie) {
			s->rs_cookie = h->boot_cookie;
			resync_start(s, "the peer asked");
		}
		break;
	case SYNC_RESYNC_END:
		s->rx.last_heard_ns = now;
		if (s->want_resync) {
			s->want_resync = false;
			s->st.resyncs_received++;
			s->st.last_resync_recs = s->resync_recs;
			s->st.last_resync_s = (double)(now - s->resync_first_ask_ns) / 1e9;
			pr_notice("sync: bulk resync from the peer complete: %llu connections in "
			          "%.2f s",
			          (unsigned long long)s->resync_recs, s->st.last_resync_s);
		}
		break;
	default:
		break;
	}
	flush_out(s);
	resync_continue(s);
}

static bool from_peer(const struct sync *s, const struct sockaddr_storage *src)
{
	if (src->ss_family != s->peer.ss_family)
		return false;
	if (src->ss_family == AF_INET)
		return ((const struct sockaddr_in *)src)->sin_addr.s_addr ==
		       ((const struct sockaddr_in *)&s->peer)->sin_addr.s_addr;
	if (src->ss_family == AF_INET6)
		return !memcmp(&((const struct sockaddr_in6 *)src)->sin6_addr,
		               &((const struct sockaddr_in6 *)&s->peer)->sin6_addr,
		               sizeof(struct in6_addr));
	return false;
}

static void sock_ready(struct loop_source *src, uint32_t events)
{
	struct sync *s = src->ctx;
	static struct sync_rec recs[SYNC_MAX_RECS];
	uint8_t buf[SYNC_MSG_MAX + 1];

	(void)events;
	for (int i = 0; i < SYNC_RX_BUDGET; i++) {
		struct sockaddr_storage srcaddr;
		socklen_t alen = sizeof(srcaddr);
		ssize_t n =
		    recvfrom(s->fd, buf, sizeof(buf), 0, (struct sockaddr *)&srcaddr, &alen);
		struct sync_hdr h;
		char why[128];

		if (n < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR &&
			    ratelimit_take(&s->warn_rl, now_ns()))
				pr_debug("sync: receive failed: %s", strerror(errno));
			return;
		}
		s->st.datagrams_received++;
		if (!from_peer(s, &srcaddr)) {
			s->st.foreign++;
			continue;
		}
		if (sync_decode(buf, (size_t)n, &h, recs, why, sizeof(why))) {
			s->st.decode_errors++;
			if (ratelimit_take(&s->warn_rl, now_ns()))
				pr_warn("sync: refused a message from the peer: %s", why);
			continue;
		}
		on_msg(s, &h, recs);
	}
}

/* ---- the timer ------------------------------------------------------------------------- */
static void zones_refresh(struct sync *s)
{
	const struct fwd_ifaces *ifs = &s->fwd->ifaces;

	s->zm.n = 0;
	for (size_t i = 0; i < ifs->n && s->zm.n < TCFW_MAX_IFACES; i++) {
		if (ifs->v[i].zone < 0 || ifs->v[i].zone >= TCFW_MAX_ZONES ||
		    ifs->v[i].ifindex <= 0)
			continue;
		s->zm.v[s->zm.n].ifindex = (uint32_t)ifs->v[i].ifindex;
		s->zm.v[s->zm.n].zone = (uint8_t)ifs->v[i].zone;
		s->zm.n++;
	}
}

static void tick(struct loop_source *src, uint32_t events)
{
	struct sync *s = src->ctx;
	uint64_t ticks, now;
	uint32_t from, to;

	(void)events;
	if (read(s->timer.fd, &ticks, sizeof(ticks)) != sizeof(ticks))
		return;
	now = now_ns();
	s->ticks++;
	zones_refresh(s);
	s->tx.policy_gen = (uint32_t)s->fwd->pol.generation;
	if (sync_rx_ack_due(&s->rx, now, &from, &to))
		send_control(s, SYNC_ACK, from, to);
	/* Asked again while nothing arrives for a second (the peer was not up yet, or the
	 * request was lost); not while a resync is coming in. */
	if (s->want_resync && now - s->resync_asked_ns >= SYNC_RESYNC_ASK_NS &&
	    (!s->resync_asked_ns || s->resync_recs == s->recs_at_ask)) {
		if (!s->resync_asked_ns) {
			s->resync_first_ask_ns = now;
			s->resync_recs = 0;
		}
		s->resync_asked_ns = now;
		s->recs_at_ask = s->resync_recs;
		s->st.resyncs_asked++;
		send_control(s, SYNC_RESYNC_REQ, 0, 0);
	}
	/* Every SYNC_SCAN_MS, or, when a scan takes longer than a fifth of that (a big table),
	 * four times its duration after it: the scan never takes more than a fifth of fwd. */
	if (now >= s->next_scan_ns && !s->rs_active) {
		uint64_t took;

		scan(s);
		took = (uint64_t)(s->st.last_scan_ms * 1e6);
		s->next_scan_ns = now_ns() + (took * 4 > SYNC_SCAN_MS * NSEC_PER_MSEC - took
		                                  ? took * 4
		                                  : SYNC_SCAN_MS * NSEC_PER_MSEC - took);
	}
	resync_continue(s);
	if (sync_tx_alive_due(&s->tx, now))
		send_control(s, SYNC_ALIVE, 0, 0);
}

static int timer_open(struct sync *s)
{
	struct itimerspec its = {
	    .it_interval = {.tv_nsec = SYNC_TICK_MS * NSEC_PER_MSEC},
	    .it_value = {.tv_nsec = SYNC_TICK_MS * NSEC_PER_MSEC},
	};
	int fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC), err;

	if (fd < 0 || timerfd_settime(fd, 0, &its, NULL)) {
		err = -errno;
		if (fd >= 0)
			close(fd);
		pr_warn("sync: cannot create its timer: %s", strerror(-err));
		return err;
	}
	s->timer = (struct loop_source){.fd = fd, .fn = tick, .ctx = s};
	err = loop_add(&s->fwd->loop, &s->timer, EPOLLIN);
	if (err) {
		pr_warn("sync: cannot watch its timer: %s", strerror(-err));
		close(fd);
		s->timer.fd = -1;
	}
	return err;
}

static int sock_open(struct sync *s)
{
	const struct fwd_options *o = &s->fwd->opt;
	const char *where = o->sync_listen;
	int one = 1, err;

	s->fd = socket(o->sync_listen_addr.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->fd < 0) {
		err = -errno;
		pr_warn("sync: cannot create a UDP socket: %s", strerror(-err));
		return err;
	}
	setsockopt(s->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	/* A bulk resync arrives faster than one turn of the loop reads it. */
	setsockopt(s->fd, SOL_SOCKET, SO_RCVBUF, &(int){4 << 20}, sizeof(int));
	if (bind(s->fd, (const struct sockaddr *)&o->sync_listen_addr, o->sync_listen_len)) {
		err = -errno;
		pr_warn("sync: cannot listen on %s: %s (is --sync-listen an address of this node, "
		        "and the port free?)",
		        where, strerror(-err));
		return err;
	}
	s->sock = (struct loop_source){.fd = s->fd, .fn = sock_ready, .ctx = s};
	err = loop_add(&s->fwd->loop, &s->sock, EPOLLIN);
	if (err)
		pr_warn("sync: cannot watch its socket: %s", strerror(-err));
	return err;
}

int sync_open(struct fwd *fwd)
{
	const struct fwd_options *o = &fwd->opt;
	struct sync *s = calloc(1, sizeof(*s));
	uint32_t rnd[2] = {0, 0};
	int err;

	if (!s)
		return -ENOMEM;
	s->fwd = fwd;
	s->fd = -1;
	s->sock.fd = s->timer.fd = -1;
	the_sync = s;
	if (!o->sync_peer)
		return 0;
	s->enabled = true;
	if (getrandom(rnd, sizeof(rnd), 0) != sizeof(rnd))
		rnd[0] = (uint32_t)now_ns(), rnd[1] = (uint32_t)getpid();
	err = sync_tx_init(&s->tx, SYNC_QUEUE_MSGS, o->have_sync_node_id ? o->sync_node_id : rnd[0],
	                   rnd[1], rnd[0] ^ rnd[1]);
	if (err)
		return err;
	sync_rx_init(&s->rx);
	ratelimit_init(&s->warn_rl, 1, 5);
	s->map = (struct ctmap){.ct_fd = fwd->dp.ct_fd};
	memcpy(&s->peer, &o->sync_peer_addr, o->sync_peer_len);
	s->peerlen = o->sync_peer_len;
	/* A node that (re)starts asks its peer for everything. */
	s->want_resync = true;
	zones_refresh(s);
	err = sock_open(s);
	if (!err)
		err = timer_open(s);
	if (!err)
		pr_notice("sync: node %u, listening on %s, peer %s", s->tx.node_id, o->sync_listen,
		          o->sync_peer);
	return err;
}

void sync_close(struct fwd *fwd)
{
	struct sync *s = the_sync;

	(void)fwd;
	if (!s)
		return;
	if (s->timer.fd >= 0) {
		loop_del(&s->fwd->loop, &s->timer);
		close(s->timer.fd);
	}
	if (s->sock.fd >= 0)
		loop_del(&s->fwd->loop, &s->sock);
	if (s->fd >= 0)
		close(s->fd);
	sync_tx_free(&s->tx);
	shadow_free(&s->sh);
	free(s->again);
	free(s->rs_keys);
	free(s);
	the_sync = NULL;
}

/* ---- what the rest of fwd asks --------------------------------------------------------- */
static bool peer_is_master(const struct sync *s, uint64_t now)
{
	return sync_rx_peer_alive(&s->rx, now) && (s->peer_flags & SYNC_F_MASTER);
}

bool sync_keeps(struct fwd *fwd, const struct tcfw_tuple *orig)
{
	struct sync *s = the_sync;
	struct shadow_ent *e;
	struct sync_tuple k;
	uint64_t now;

	(void)fwd;
	if (!s || !s->enabled || s->role == SYNC_ROLE_MASTER || !s->sh.n)
		return false;
	now = now_ns();
	if (!peer_is_master(s, now))
		return false;
	sync_ct_tuple_to_wire(orig, &k);
	e = shadow_find(&s->sh, &k);
	return e && e->from_peer && now < e->peer_exp_ns + SYNC_KEEP_GRACE_NS;
}

void sync_set_role(struct fwd *fwd, enum sync_role role)
{
	struct sync *s = the_sync;

	(void)fwd;
	if (!s || s->role == role)
		return;
	pr_notice("ha: role %s (was %s)", sync_role_name(role), sync_role_name(s->role));
	s->role = role;
	/* Tell the peer at once: its expiry depends on who is master. */
	if (s->enabled)
		send_control(s, SYNC_ALIVE, 0, 0);
}

void sync_counters(struct fwd *fwd, struct sync_counters *c)
{
	struct sync *s = the_sync;

	(void)fwd;
	memset(c, 0, sizeof(*c));
	if (!s)
		return;
	c->enabled = s->enabled;
	c->role = s->role;
	c->peer_alive = s->enabled && sync_rx_peer_alive(&s->rx, now_ns());
	c->sent_msgs = s->tx.st.msgs;
	c->sent_recs = s->tx.st.recs;
	c->recv_msgs = s->st.recv_msgs;
	c->recv_recs = s->st.recv_recs;
	c->lost = s->rx.st.lost;
	c->dropped = s->tx.st.overflow;
	c->resyncs_sent = s->st.resyncs_sent;
	c->resyncs_received = s->st.resyncs_received;
	c->queue = s->tx.count;
}

struct json_object *sync_status_json(struct fwd *fwd)
{
	struct sync *s = the_sync;
	struct json_object *o = json_object_new_object(), *peer, *sent, *recv, *rs;
	uint64_t now = now_ns();

	json_object_object_add(o, "role", json_object_new_string(sync_role_name(s ? s->role : 0)));
	json_object_object_add(o, "sync", json_object_new_boolean(s && s->enabled));
	json_add_u64(o, "policy_generation", fwd->pol.generation);
	if (!s || !s->enabled)
		return o;
	json_add_u64(o, "node_id", s->tx.node_id);
	json_object_object_add(o, "listen", json_object_new_string(fwd->opt.sync_listen));
	peer = json_object_new_object();
	json_object_object_add(peer, "address", json_object_new_string(fwd->opt.sync_peer));
	json_object_object_add(peer, "alive",
	                       json_object_new_boolean(sync_rx_peer_alive(&s->rx, now)));
	if (s->rx.known) {
		json_add_u64(peer, "node_id", s->peer_node);
		json_object_object_add(peer, "role",
		                       json_object_new_string(s->peer_flags & SYNC_F_MASTER
		                                                  ? "master"
		                                                  : "not master"));
		json_object_object_add(
		    peer, "last_message_age_s",
		    json_object_new_double((double)(now - s->rx.last_heard_ns) / 1e9));
		json_add_u64(peer, "policy_generation", s->peer_gen);
		json_object_object_add(
		    peer, "policy_mismatch",
		    json_object_new_boolean(s->peer_gen != (uint32_t)fwd->pol.generation));
	}
	json_object_object_add(o, "peer", peer);
	json_add_u64(o, "queue", s->tx.count);
	json_add_u64(o, "queue_max", s->tx.cap);
	json_add_u64(o, "connections_known", s->sh.n);
	sent = json_object_new_object();
	json_add_u64(sent, "messages", s->tx.st.msgs);
	json_add_u64(sent, "records", s->tx.st.recs);
	json_add_u64(sent, "resent_records", s->tx.st.resent_recs);
	json_add_u64(sent, "refreshes", s->st.refreshes);
	json_add_u64(sent, "destroys", s->st.destroys_sent);
	json_add_u64(sent, "acked", s->tx.st.acked);
	json_add_u64(sent, "dropped", s->tx.st.overflow);
	json_add_u64(sent, "unrecoverable", s->tx.st.unrecoverable);
	json_add_u64(sent, "errors", s->st.send_errors);
	json_object_object_add(o, "sent", sent);
	recv = json_object_new_object();
	json_add_u64(recv, "messages", s->st.recv_msgs);
	json_add_u64(recv, "records", s->st.recv_recs);
	json_add_u64(recv, "lost", s->rx.st.lost);
	json_add_u64(recv, "old", s->rx.st.old);
	json_add_u64(recv, "peer_restarts", s->rx.st.restarts);
	json_add_u64(recv, "apply_errors", s->st.apply_errors);
	json_add_u64(recv, "overruled", s->st.overruled);
	json_add_u64(recv, "refused", s->st.decode_errors);
	json_add_u64(recv, "foreign", s->st.foreign);
	json_object_object_add(o, "received", recv);
	json_add_u64(o, "lost", s->rx.st.lost);
	rs = json_object_new_object();
	json_add_u64(rs, "sent", s->st.resyncs_sent);
	json_add_u64(rs, "received", s->st.resyncs_received);
	json_add_u64(rs, "asked", s->st.resyncs_asked);
	json_object_object_add(rs, "waiting", json_object_new_boolean(s->want_resync));
	json_object_object_add(rs, "sending", json_object_new_boolean(s->rs_active));
	json_add_u64(rs, "last_records", s->st.last_resync_recs);
	json_object_object_add(rs, "last_seconds", json_object_new_double(s->st.last_resync_s));
	json_object_object_add(o, "resyncs", rs);
	json_add_u64(o, "scans", s->st.scans);
	json_object_object_add(o, "next_scan_in_ms",
	                       json_object_new_double(s->next_scan_ns > now
	                                                  ? (double)(s->next_scan_ns - now) / 1e6
	                                                  : 0));
	json_object_object_add(o, "last_scan_ms", json_object_new_double(s->st.last_scan_ms));
	return o;
}
