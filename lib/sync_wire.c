// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * sync_wire.c - encode and decode the gateway pair's messages (see sync_wire.h).
 *
 * Written byte by byte through a cursor rather than by casting packed structs onto the
 * buffer: no alignment or padding question, and the decoder cannot read past the datagram
 * because every read goes through one bounds check.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "tcfw_abi.h"

#include "sync_wire.h"

struct cursor {
	uint8_t *w;       /* encoding */
	const uint8_t *r; /* decoding */
	size_t pos, len;
	bool short_read;
};

static void put8(struct cursor *c, uint8_t v)
{
	c->w[c->pos++] = v;
}

static void put16(struct cursor *c, uint16_t v)
{
	put8(c, (uint8_t)(v >> 8));
	put8(c, (uint8_t)v);
}

static void put32(struct cursor *c, uint32_t v)
{
	put16(c, (uint16_t)(v >> 16));
	put16(c, (uint16_t)v);
}

static void put_bytes(struct cursor *c, const uint8_t *p, size_t n)
{
	memcpy(c->w + c->pos, p, n);
	c->pos += n;
}

static uint8_t get8(struct cursor *c)
{
	if (c->pos >= c->len) {
		c->short_read = true;
		return 0;
	}
	return c->r[c->pos++];
}

static uint16_t get16(struct cursor *c)
{
	uint16_t hi = get8(c);

	return (uint16_t)(hi << 8 | get8(c));
}

static uint32_t get32(struct cursor *c)
{
	uint32_t hi = get16(c);

	return hi << 16 | get16(c);
}

static void get_bytes(struct cursor *c, uint8_t *p, size_t n)
{
	if (c->len - c->pos < n || c->pos > c->len) {
		c->short_read = true;
		memset(p, 0, n);
		return;
	}
	memcpy(p, c->r + c->pos, n);
	c->pos += n;
}

static void put_tuple(struct cursor *c, const struct sync_tuple *t)
{
	put_bytes(c, t->src, 16);
	put_bytes(c, t->dst, 16);
	put16(c, t->sport);
	put16(c, t->dport);
	put8(c, t->proto);
	put8(c, t->family);
}

static void get_tuple(struct cursor *c, struct sync_tuple *t)
{
	get_bytes(c, t->src, 16);
	get_bytes(c, t->dst, 16);
	t->sport = get16(c);
	t->dport = get16(c);
	t->proto = get8(c);
	t->family = get8(c);
}

static void put_rec(struct cursor *c, const struct sync_rec *r)
{
	put8(c, r->kind);
	put8(c, r->state);
	put8(c, r->flags);
	put8(c, r->nat_kind);
	put8(c, r->chain);
	put8(c, r->zone_in);
	put8(c, r->zone_out);
	put8(c, 0);
	put32(c, r->rule_id);
	put32(c, r->timeout_left);
	put_tuple(c, &r->orig);
	put_tuple(c, &r->reply);
	put_bytes(c, r->nat_addr, 16);
	put16(c, r->nat_port);
}

static void get_rec(struct cursor *c, struct sync_rec *r)
{
	r->kind = get8(c);
	r->state = get8(c);
	r->flags = get8(c);
	r->nat_kind = get8(c);
	r->chain = get8(c);
	r->zone_in = get8(c);
	r->zone_out = get8(c);
	(void)get8(c);
	r->rule_id = get32(c);
	r->timeout_left = get32(c);
	get_tuple(c, &r->orig);
	get_tuple(c, &r->reply);
	get_bytes(c, r->nat_addr, 16);
	r->nat_port = get16(c);
}

int sync_encode(const struct sync_hdr *h, const struct sync_rec *recs, uint8_t *buf, size_t size)
{
	struct cursor c = {.w = buf};
	uint16_t nrec = h->type == SYNC_DATA ? h->nrec : 0;
	size_t len = SYNC_HDR_LEN + (size_t)nrec * SYNC_REC_LEN;

	if (h->type == 0 || h->type >= SYNC_MSG_TYPE_MAX || nrec > SYNC_MAX_RECS || size < len)
		return -EINVAL;
	put32(&c, SYNC_MAGIC);
	put8(&c, SYNC_VERSION);
	put8(&c, h->type);
	put8(&c, h->flags);
	put8(&c, 0);
	put16(&c, nrec);
	put16(&c, (uint16_t)len);
	put32(&c, h->seq_from);
	put32(&c, h->seq_to);
	put32(&c, h->node_id);
	put32(&c, h->policy_gen);
	put32(&c, h->boot_cookie);
	for (uint16_t i = 0; i < nrec; i++)
		put_rec(&c, &recs[i]);
	return (int)c.pos;
}

static const uint8_t v4_mapped_prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

static bool tuple_valid(const struct sync_tuple *t)
{
	if (t->family == TCFW_AF_INET)
		return !memcmp(t->src, v4_mapped_prefix, 12) &&
		       !memcmp(t->dst, v4_mapped_prefix, 12);
	return t->family == TCFW_AF_INET6;
}

/* The first thing wrong with r, or NULL. */
static const char *rec_problem(const struct sync_rec *r)
{
	if (r->kind != SYNC_REC_UPDATE && r->kind != SYNC_REC_DESTROY)
		return "unknown record kind";
	if (!tuple_valid(&r->orig) || !tuple_valid(&r->reply))
		return "bad address family";
	if (r->orig.family != r->reply.family || r->orig.proto != r->reply.proto)
		return "the reply tuple's family or protocol differs from the original's";
	if (r->kind == SYNC_REC_DESTROY)
		return NULL;
	if (r->state == TCFW_CT_NONE || r->state >= TCFW_CT_STATE_MAX)
		return "unknown connection state";
	if (r->chain > TCFW_CHAIN_OUTPUT)
		return "unknown chain";
	if (r->nat_kind & ~(TCFW_NAT_SNAT | TCFW_NAT_DNAT))
		return "unknown NAT kind";
	if ((r->zone_in >= TCFW_MAX_ZONES && r->zone_in != SYNC_ZONE_NONE) ||
	    (r->zone_out >= TCFW_MAX_ZONES && r->zone_out != SYNC_ZONE_NONE))
		return "zone id out of range";
	return NULL;
}

int sync_decode(const uint8_t *buf, size_t len, struct sync_hdr *h, struct sync_rec *recs,
                char *why, size_t whylen)
{
	struct cursor c = {.r = buf, .len = len};
	const char *problem = NULL;
	uint16_t total;
	uint8_t version;

	memset(h, 0, sizeof(*h));
	if (len < SYNC_HDR_LEN) {
		snprintf(why, whylen, "%zu bytes, shorter than a header (%d)", len, SYNC_HDR_LEN);
		return -EBADMSG;
	}
	if (get32(&c) != SYNC_MAGIC) {
		snprintf(why, whylen, "not a tcfw sync message (wrong magic)");
		return -EBADMSG;
	}
	version = get8(&c);
	h->type = get8(&c);
	h->flags = get8(&c);
	(void)get8(&c);
	h->nrec = get16(&c);
	total = get16(&c);
	h->seq_from = get32(&c);
	h->seq_to = get32(&c);
	h->node_id = get32(&c);
	h->policy_gen = get32(&c);
	h->boot_cookie = get32(&c);
	if (version != SYNC_VERSION)
		problem = "unsupported version (the peer runs another tcfw release)";
	else if (h->type == 0 || h->type >= SYNC_MSG_TYPE_MAX)
		problem = "unknown message type";
	else if (total != len)
		problem = "length field does not match the datagram";
	else if (h->type != SYNC_DATA && h->nrec)
		problem = "records in a message that carries none";
	else if (h->nrec > SYNC_MAX_RECS || len != SYNC_HDR_LEN + (size_t)h->nrec * SYNC_REC_LEN)
		problem = "record count does not match the length";
	else if ((h->type == SYNC_DATA || h->type == SYNC_ALIVE) && h->seq_from != h->seq_to)
		problem = "a DATA or ALIVE message spans a range";
	else if (sync_seq_before(h->seq_to, h->seq_from))
		problem = "sequence range backwards";
	for (uint16_t i = 0; !problem && i < h->nrec; i++) {
		get_rec(&c, &recs[i]);
		problem = rec_problem(&recs[i]);
	}
	if (!problem && c.short_read)
		problem = "truncated";
	if (problem) {
		snprintf(why, whylen, "%s", problem);
		h->nrec = 0;
		return -EBADMSG;
	}
	return 0;
}
