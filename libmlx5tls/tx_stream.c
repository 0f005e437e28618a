/* SPDX-License-Identifier: BSD-3-Clause */
/* The TX record tracker (tx_stream.h). */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "tx_stream.h"

#define RING_INIT 16u

/* ---- rings that grow with the data in flight and shrink back as it is acknowledged ----
 * An idle context (everything acknowledged) holds no ring at all: the memory per idle
 * connection is the context's struct only. A ring is allocated at the first push. */

static void ring_init(struct tx_ring *r, uint32_t esize)
{
	r->e = NULL;
	r->esize = esize;
	r->cap = 0;
	r->head = 0;
	r->count = 0;
}

static void *ring_at(const struct tx_ring *r, uint32_t i)
{
	return (uint8_t *)r->e + (size_t)((r->head + i) & (r->cap - 1)) * r->esize;
}

/* Move the entries of r into ne (capacity ncap), oldest first: two copies at most. */
static void ring_move(struct tx_ring *r, uint8_t *ne, uint32_t ncap)
{
	uint32_t first = r->cap - r->head;

	if (r->count) {
		if (first > r->count)
			first = r->count;
		memcpy(ne, (uint8_t *)r->e + (size_t)r->head * r->esize, (size_t)first * r->esize);
		memcpy(ne + (size_t)first * r->esize, r->e, (size_t)(r->count - first) * r->esize);
	}
	free(r->e);
	r->e = ne;
	r->cap = ncap;
	r->head = 0;
}

/* The parking slot of r's kind (segments 0, records 1). */
static uint32_t ring_kind(const struct tx_stream *s, const struct tx_ring *r)
{
	return r == &s->recs;
}

/* Memory for ncap entries: the parked buffer of this kind if it is large enough, else heap. */
static void *ring_mem(struct tx_stream *s, struct tx_ring *r, uint32_t *ncap)
{
	struct tx_ring_park *pk = s->park;
	uint32_t k = ring_kind(s, r);

	if (pk && pk->e[k] && pk->cap[k] >= *ncap) {
		void *e = pk->e[k];

		*ncap = pk->cap[k];
		pk->e[k] = NULL;
		return e;
	}
	return malloc((size_t)*ncap * r->esize);
}

/* Give back r's buffer (r is empty): parked if the slot is free and it is not too large. */
static void ring_give_back(struct tx_stream *s, struct tx_ring *r)
{
	struct tx_ring_park *pk = s->park;
	uint32_t k = ring_kind(s, r);

	if (pk && !pk->e[k] && r->cap <= TX_RING_PARK_MAX) {
		pk->e[k] = r->e;
		pk->cap[k] = r->cap;
	} else {
		free(r->e);
	}
	r->e = NULL;
	r->cap = 0;
	r->head = 0;
}

void tx_ring_park_fini(struct tx_ring_park *pk)
{
	for (unsigned int k = 0; k < 2; k++) {
		free(pk->e[k]);
		pk->e[k] = NULL;
	}
}

static int ring_reserve(struct tx_stream *s, struct tx_ring *r, uint32_t extra)
{
	/* a ring given back when it emptied comes back at the size it had (one allocation per
	 * burst, not a doubling chain) */
	uint32_t ncap = r->cap ? r->cap : r->hint ? r->hint : RING_INIT;
	uint8_t *ne;

	while (r->count + extra > ncap)
		ncap *= 2;
	if (ncap == r->cap)
		return 0;
	ne = r->cap ? malloc((size_t)ncap * r->esize) : ring_mem(s, r, &ncap);
	if (!ne)
		return -ENOMEM;
	if (!r->cap) { /* none held (given back when it emptied): nothing to move or free */
		r->e = ne;
		r->cap = ncap;
		r->head = 0;
		return 0;
	}
	ring_move(r, ne, ncap);
	return 0;
}

/*
 * After releases: an empty ring is freed (an idle connection holds no ring); one that was at
 * most a quarter full even before this release (`peak`: between two acknowledgements a ring
 * only grows, so its count before the release is its high-water mark since the last one) is
 * halved, down to RING_INIT. A ring that fills up between acknowledgements keeps its size, so
 * a steady flow neither shrinks nor regrows it on every acknowledgement.
 */
static void ring_shrink(struct tx_stream *s, struct tx_ring *r, uint32_t peak)
{
	uint32_t ncap = r->cap;
	uint8_t *ne;

	if (!ncap)
		return; /* none held (the pieces ring of a stream of whole-record frames) */
	if (!r->count) {
		r->hint = r->cap;
		ring_give_back(s, r);
		return;
	}
	while (ncap > RING_INIT && peak <= ncap / 4)
		ncap /= 2;
	if (ncap == r->cap)
		return;
	ne = malloc((size_t)ncap * r->esize);
	if (!ne)
		return; /* keep the larger ring */
	ring_move(r, ne, ncap);
}

/* ---- stream ---- */

int tx_stream_init(struct tx_stream *s, uint32_t start_seq, uint64_t first_num, bool tls13,
		   struct tx_ring_park *park)
{
	memset(s, 0, sizeof(*s));
	ring_init(&s->segs, sizeof(struct tx_seg));
	ring_init(&s->recs, sizeof(struct tx_rec));
	s->next_seq = start_seq;
	s->num_base = first_num; /* no record held */
	/* TLS 1.2: explicit nonce + tag; TLS 1.3: content type + tag (RFC 5246, RFC 8446) */
	s->min_body = tls13 ? 1 + TLS_TAG_LEN : TLS12_NONCE_LEN + TLS_TAG_LEN;
	s->body_span = TLS_MAX_BODY - s->min_body;
	s->hdr_mask = 0x00ffff00u | (tls13 ? 0xffu : 0);
	s->hdr_want = 0x00030300u | (tls13 ? TLS13_OUTER_TYPE : 0);
	s->park = park;
	return 0;
}

void tx_stream_fini(struct tx_stream *s)
{
	s->segs.count = 0;
	s->recs.count = 0;
	if (s->segs.e)
		ring_give_back(s, &s->segs);
	if (s->recs.e)
		ring_give_back(s, &s->recs);
}

/* Room for one more entry in r: 0 or -ENOMEM (the ring grows; its entries keep their order). */
static inline int ring_room(struct tx_stream *s, struct tx_ring *r)
{
	return r->count < r->cap ? 0 : ring_reserve(s, r, 1);
}

static inline struct tx_rec *rec_at(const struct tx_stream *s, uint32_t i)
{
	return &((struct tx_rec *)s->recs.e)[(s->recs.head + i) & (s->recs.cap - 1)];
}

int tx_stream_ring_room(struct tx_stream *s, struct tx_ring *r)
{
	return ring_room(s, r) ? -ENOMEM : 0;
}

int tx_stream_learn_grow(struct tx_stream *s, const uint8_t *data, uint32_t len, uint32_t lkey,
			 bool recs)
{
	if (ring_room(s, recs ? &s->recs : &s->segs)) {
		int ret = tx_stream_learn(s, data, len, lkey); /* the same -ENOMEM, or learnt */

		return ret ? ret : 1;
	}
	return tx_stream_learn_fast(s, data, len, lkey); /* a second ring may need room: once */
}

/* A record starts at stream offset seq with (once complete) length len. */
static int rec_start(struct tx_stream *s, uint32_t seq, uint32_t len)
{
	struct tx_rec *r;

	if (ring_room(s, &s->recs))
		return -ENOMEM;
	r = rec_at(s, s->recs.count);
	*r = (struct tx_rec){ .seq = seq, .len = len, .num = tx_stream_next_num(s), .epoch = s->epoch };
	s->recs.count++;
	return 0;
}

/*
 * Run the parser over len bytes. With `learn`, records are pushed (the record ring grows as
 * needed: -ENOMEM) and the caller commits p; without, only the headers are checked. Returns 0,
 * -EBADMSG or -ENOMEM. A header wholly inside the bytes is read in place; only one split
 * across two sends goes through p->hdr. On an error the caller drops the records pushed.
 */
static int parse_run(struct tx_stream *s, struct tx_parse *p, const uint8_t *d, uint32_t len,
		     bool learn)
{
	uint32_t seq = s->next_seq, off = 0, body = 0;

	while (off < len) {
		if (p->hdr_got == TLS_HDR_LEN) { /* inside a body */
			uint32_t take = p->body_left < len - off ? p->body_left : len - off;

			p->body_left -= take;
			off += take;
		} else if (p->hdr_got == 0 && len - off >= TLS_HDR_LEN) { /* a whole header */
			if (!tx_stream_header_ok(s, d + off, &body))
				return -EBADMSG;
			if (learn && rec_start(s, seq + off, TLS_HDR_LEN + body))
				return -ENOMEM;
			p->hdr_got = TLS_HDR_LEN;
			p->body_left = body;
			off += TLS_HDR_LEN;
		} else { /* a header split across sends */
			uint32_t take = TLS_HDR_LEN - p->hdr_got;

			if (learn && p->hdr_got == 0 && rec_start(s, seq + off, 0))
				return -ENOMEM;
			if (take > len - off)
				take = len - off;
			memcpy(p->hdr + p->hdr_got, d + off, take);
			p->hdr_got = (uint8_t)(p->hdr_got + take);
			off += take;
			if (p->hdr_got < TLS_HDR_LEN)
				break;
			if (!tx_stream_header_ok(s, p->hdr, &body))
				return -EBADMSG;
			p->body_left = body;
			if (learn)
				rec_at(s, s->recs.count - 1)->len = TLS_HDR_LEN + body;
		}
		if (p->hdr_got == TLS_HDR_LEN && p->body_left == 0)
			p->hdr_got = 0; /* record complete */
	}
	return 0;
}

int tx_stream_check(const struct tx_stream *s, const uint8_t *data, uint32_t len)
{
	struct tx_parse p = s->p;

	return parse_run((struct tx_stream *)s, &p, data, len, false);
}

/* Remember where [next_seq, next_seq + len) was sent from: one piece per send, contiguous sends
 * from one buffer merge into one. Room for one piece is reserved by the caller. */
static void seg_append(struct tx_stream *s, const uint8_t *data, uint32_t len, uint32_t lkey)
{
	struct tx_ring *r = &s->segs;
	struct tx_seg *segs = r->e;
	struct tx_seg *last = r->count ? &segs[(r->head + r->count - 1) & (r->cap - 1)] : NULL;

	if (last && last->lkey == lkey && last->seq + last->len == s->next_seq &&
	    last->addr + last->len == (uintptr_t)data && last->len + len > last->len)
		last->len += len;
	else
		segs[(r->head + r->count++) & (r->cap - 1)] =
			(struct tx_seg){ s->next_seq, len, (uintptr_t)data, lkey };
	s->next_seq += len;
}

int tx_stream_learn(struct tx_stream *s, const uint8_t *data, uint32_t len, uint32_t lkey)
{
	struct tx_parse p = s->p;
	uint32_t recs = s->recs.count;
	int ret;

	if (!len)
		return 0;
	ret = ring_room(s, &s->segs) ? -ENOMEM : parse_run(s, &p, data, len, true);
	if (ret) {
		/* a malformed header or no memory: forget the records these bytes started (the
		 * ring may have grown; it keeps its order, so the count restores it, and the next
		 * record's number with it) */
		s->recs.count = recs;
		return ret;
	}
	s->p = p;
	seg_append(s, data, len, lkey);
	return 0;
}

/* Records and pieces both begin with their stream sequence (the searches below read it). */
_Static_assert(offsetof(struct tx_rec, seq) == 0 && offsetof(struct tx_seg, seq) == 0,
	       "tx_rec and tx_seg start with seq");

/* Index of the last entry of r (records or pieces, in stream order) starting at or before seq,
 * or -1. */
static long ring_index(const struct tx_ring *r, uint32_t seq)
{
	long lo = 0, hi = (long)r->count - 1, found = -1;

	while (lo <= hi) {
		long mid = (lo + hi) / 2;
		const uint32_t *start = ring_at(r, (uint32_t)mid);

		if (seq_le(*start, seq)) {
			found = mid;
			lo = mid + 1;
		} else {
			hi = mid - 1;
		}
	}
	return found;
}

static long rec_index(const struct tx_stream *s, uint32_t seq)
{
	return ring_index(&s->recs, seq);
}

/* Where a search in stream order for seq starts: the last entry of r starting at or before
 * it, else the first. */
static uint32_t ring_from(const struct tx_ring *r, uint32_t seq)
{
	long i = ring_index(r, seq);

	return i < 0 ? 0 : (uint32_t)i;
}

int tx_stream_find(const struct tx_stream *s, uint32_t seq, struct tx_rec *rec)
{
	long i;
	const struct tx_rec *r;

	if (!seq_lt(seq, s->next_seq))
		return -ENOENT;
	i = rec_index(s, seq);
	if (i < 0)
		return -ENOENT;
	r = ring_at(&s->recs, (uint32_t)i);
	if (r->len && !seq_lt(seq, r->seq + r->len))
		return -ENOENT;
	*rec = *r;
	return 0;
}

uint32_t tx_stream_first_seq(const struct tx_stream *s)
{
	return s->recs.count ? ((const struct tx_rec *)ring_at(&s->recs, 0))->seq : s->next_seq;
}

/* The pieces in stream order: those of the pieces ring and those held in records (struct
 * tx_rec's addr), two sorted lists of disjoint ranges merged. */
struct piece_cursor {
	uint32_t g, r; /* the next of each ring */
};

static bool next_piece(const struct tx_stream *s, struct piece_cursor *c, struct tx_seg *out)
{
	const struct tx_seg *g = c->g < s->segs.count ? ring_at(&s->segs, c->g) : NULL;
	const struct tx_rec *r = NULL;

	for (; c->r < s->recs.count; c->r++) {
		r = rec_at(s, c->r);
		if (r->addr)
			break;
		r = NULL;
	}
	if (r && (!g || seq_lt(r->seq, g->seq))) {
		*out = (struct tx_seg){ r->seq, r->len, r->addr, r->lkey };
		c->r++;
		return true;
	}
	if (!g)
		return false;
	*out = *g;
	c->g++;
	return true;
}

int tx_stream_walk(const struct tx_stream *s, uint32_t from, uint32_t to, uint32_t max_chunk,
		   tx_stream_piece_fn cb, void *ctx)
{
	/* the pieces holding from are at or after the last entry of each ring starting at or
	 * before it */
	struct piece_cursor c = { ring_from(&s->segs, from), ring_from(&s->recs, from) };
	struct tx_seg g;

	while (seq_lt(from, to) && next_piece(s, &c, &g)) {
		uint32_t end = g.seq + g.len;

		if (!seq_lt(from, end))
			continue;
		if (seq_lt(from, g.seq))
			break; /* a byte not held */
		while (seq_lt(from, end) && seq_lt(from, to)) {
			uint32_t n = (seq_lt(end, to) ? end : to) - from;
			int ret;

			if (n > max_chunk)
				n = max_chunk;
			ret = cb(ctx, g.addr + (from - g.seq), n, g.lkey);
			if (ret)
				return ret;
			from += n;
		}
	}
	return from == to ? 0 : -ENOENT;
}

static void ring_drop(struct tx_ring *r, uint32_t n)
{
	r->head = (r->head + n) & (r->cap - 1);
	r->count -= n;
}

/*
 * Records and pieces are in stream order, so what an acknowledgement releases is a prefix of
 * each ring, found by binary search: O(log n) however many records one ack covers (a bulk
 * acknowledgement of a whole burst is the common case).
 */
uint32_t tx_stream_release(struct tx_stream *s, uint32_t ack)
{
	uint32_t released = 0, keep_from, recs_peak = s->recs.count, segs_peak = s->segs.count;
	long i;

	/* Everything acknowledged at a record boundary (a bulk sender's ack of its whole burst):
	 * every record and piece goes, as the searches below would find; none is searched. */
	if (ack == s->next_seq && tx_stream_at_boundary(s)) {
		released = s->recs.count;
		ring_drop(&s->recs, released);
		s->num_base += released; /* the next record's number stays */
		ring_drop(&s->segs, s->segs.count);
		if (released) {
			ring_shrink(s, &s->recs, recs_peak);
			ring_shrink(s, &s->segs, segs_peak);
		}
		return released;
	}

	i = rec_index(s, ack);
	if (i >= 0) {
		const struct tx_rec *r = ring_at(&s->recs, (uint32_t)i);

		/* records before the last one starting at or before ack end at or before it */
		released = (uint32_t)i + (r->len && seq_le(r->seq + r->len, ack));
		ring_drop(&s->recs, released);
		s->num_base += released;
	}
	keep_from = tx_stream_first_seq(s);
	i = ring_index(&s->segs, keep_from);
	if (i >= 0) {
		struct tx_seg *g = ring_at(&s->segs, (uint32_t)i);

		if (seq_le(g->seq + g->len, keep_from)) {
			ring_drop(&s->segs, (uint32_t)i + 1);
		} else {
			uint32_t cut = keep_from - g->seq; /* trim the released front */

			ring_drop(&s->segs, (uint32_t)i);
			g->seq += cut;
			g->addr += cut;
			g->len -= cut;
		}
	}
	if (released) {
		ring_shrink(s, &s->recs, recs_peak);
		ring_shrink(s, &s->segs, segs_peak);
	}
	return released;
}

size_t tx_stream_mem(const struct tx_stream *s)
{
	return (size_t)s->segs.cap * s->segs.esize + (size_t)s->recs.cap * s->recs.esize;
}

uint8_t tx_stream_oldest_epoch(const struct tx_stream *s)
{
	return s->recs.count ? ((const struct tx_rec *)ring_at(&s->recs, 0))->epoch : s->epoch;
}
