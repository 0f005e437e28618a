/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The record tracker's inline fast path (tx_stream_learn_fast, the in-order TX datapath) against
 * the general tx_stream_learn: the same byte stream, cut into frames of every shape (pieces of a
 * header, MSS segments crossing record boundaries, exactly one record, several records), sent
 * from one buffer (pieces merge) or from copies elsewhere (they do not), with acknowledgements in
 * between that move the rings' heads round (wrap) and give emptied rings back, and malformed
 * headers that must leave nothing behind. After every frame both trackers must hold exactly the
 * same records and parser state, and the same bytes at the same addresses (the general learn
 * merges contiguous pieces, the fast path does not try). TLS 1.2 and 1.3.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "test_util.h"
#include "tx_stream.h"

#define ISN 0xfffff000u /* the TCP sequence wraps early in the stream */
#define NREC 400u
#define ROUNDS 20u

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint32_t rnd(uint32_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng % n);
}

/* NREC records back to back; bodies mostly small (many records per MSS), some around an MSS,
 * a few of the largest length allowed. */
static uint8_t *make_stream(bool tls13, size_t *len)
{
	uint32_t min = tls13 ? 1 + TLS_TAG_LEN : TLS12_NONCE_LEN + TLS_TAG_LEN;
	uint8_t *b = malloc((size_t)NREC * (TLS_HDR_LEN + TLS_MAX_BODY));
	size_t off = 0;

	for (uint32_t i = 0; b && i < NREC; i++) {
		uint32_t k = rnd(10), body = k < 5 ? min + rnd(200) : k < 9 ? 1000 + rnd(3000)
							     : TLS_MAX_BODY - rnd(2);

		b[off] = 23;
		b[off + 1] = 3;
		b[off + 2] = 3;
		b[off + 3] = (uint8_t)(body >> 8);
		b[off + 4] = (uint8_t)body;
		memset(b + off + TLS_HDR_LEN, (int)i, body);
		off += TLS_HDR_LEN + body;
	}
	*len = off;
	return b;
}

static const struct tx_rec *rec_i(const struct tx_stream *s, uint32_t i)
{
	return &((const struct tx_rec *)s->recs.e)[(s->recs.head + i) & (s->recs.cap - 1)];
}

static const struct tx_seg *seg_i(const struct tx_stream *s, uint32_t i)
{
	return &((const struct tx_seg *)s->segs.e)[(s->segs.head + i) & (s->segs.cap - 1)];
}

/* Where the held bytes were sent from, as maximal runs (contiguous in sequence and memory,
 * one lkey): the fast path gives every frame a piece of its own where the general learn merges
 * contiguous ones, so the pieces are compared as what they say, not one by one. A frame of
 * exactly one record keeps its piece in the record (tx_rec.addr) on the fast path: the pieces
 * are those of both rings, taken in stream order here (written apart from the library's walk,
 * so a mistake there cannot hide one here). Each run's pieces must tile: *tiled false if a
 * piece does not start where the one before it ended, or the last one does not end at
 * next_seq. */
struct run {
	uint32_t seq, len;
	uintptr_t addr;
	uint32_t lkey;
};

static uint32_t runs_of(const struct tx_stream *s, struct run *out, uint32_t max, bool *tiled,
			uint32_t *in_recs)
{
	uint32_t n = 0, gi = 0, ri = 0;

	*tiled = true;
	*in_recs = 0;
	for (;;) {
		const struct tx_rec *r = NULL;
		struct tx_seg p;
		struct run *l = n ? &out[n - 1] : NULL;

		while (ri < s->recs.count && !rec_i(s, ri)->addr)
			ri++;
		if (ri < s->recs.count)
			r = rec_i(s, ri);
		if (r && (gi == s->segs.count || (int32_t)(r->seq - seg_i(s, gi)->seq) < 0)) {
			p = (struct tx_seg){ r->seq, r->len, r->addr, r->lkey };
			ri++;
			(*in_recs)++;
		} else if (gi < s->segs.count) {
			p = *seg_i(s, gi++);
		} else {
			break;
		}
		if (l && l->seq + l->len != p.seq)
			*tiled = false;
		if (l && l->seq + l->len == p.seq && l->addr + l->len == p.addr &&
		    l->lkey == p.lkey) {
			l->len += p.len;
		} else {
			CU_ASSERT_FATAL(n < max);
			out[n++] = (struct run){ p.seq, p.len, p.addr, p.lkey };
		}
	}
	if (n && out[n - 1].seq + out[n - 1].len != s->next_seq)
		*tiled = false;
	return n;
}

#define MAX_RUNS 8192u
static struct run runs_a[MAX_RUNS], runs_b[MAX_RUNS];

/* Records holding their piece on the fast path's side (a) after the last same() */
static uint32_t last_in_recs;

/* Everything the tracker holds, compared field by field. */
static bool same(const struct tx_stream *a, const struct tx_stream *b)
{
	uint32_t na, nb, in_b;
	bool tiled_a, tiled_b;

	if (a->next_seq != b->next_seq || tx_stream_next_num(a) != tx_stream_next_num(b) ||
	    a->p.hdr_got != b->p.hdr_got || a->p.body_left != b->p.body_left ||
	    memcmp(a->p.hdr, b->p.hdr, a->p.hdr_got % TLS_HDR_LEN) ||
	    a->recs.count != b->recs.count)
		return false;
	for (uint32_t i = 0; i < a->recs.count; i++) {
		const struct tx_rec *x = rec_i(a, i), *y = rec_i(b, i);

		if (x->seq != y->seq || x->len != y->len || x->num != y->num || x->epoch != y->epoch)
			return false;
	}
	/* the pieces are in stream order, end at next_seq and tile what they hold; the general
	 * learn never keeps a piece in a record */
	na = runs_of(a, runs_a, MAX_RUNS, &tiled_a, &last_in_recs);
	nb = runs_of(b, runs_b, MAX_RUNS, &tiled_b, &in_b);
	return tiled_a && tiled_b && !in_b && na == nb &&
	       !memcmp(runs_a, runs_b, na * sizeof(runs_a[0]));
}

/* The length of the next frame: shapes the datapath sees, and the odd ones. */
static uint32_t frame_len(const struct tx_stream *s, const uint8_t *next, size_t left)
{
	uint32_t k = rnd(10), n;

	if (k == 0)
		n = 1 + rnd(6); /* a piece of a header */
	else if (k == 1 && s->p.hdr_got == TLS_HDR_LEN)
		n = s->p.body_left; /* the rest of the record in progress */
	else if (k == 1 && s->p.hdr_got == 0 && left >= TLS_HDR_LEN)
		n = TLS_HDR_LEN + ((uint32_t)next[3] << 8 | next[4]); /* exactly the next record */
	else if (k == 2 && s->p.hdr_got == TLS_HDR_LEN)
		n = s->p.body_left + TLS_HDR_LEN + rnd(3); /* ... and (most of) the next header */
	else if (k <= 4)
		n = 1448; /* an MSS */
	else if (k <= 7)
		n = 1 + rnd(300);
	else
		n = 1 + rnd(3 * TLS_MAX_BODY); /* LSO sizes, several records */
	return n < left ? n : (uint32_t)left;
}

/* What the runs went through, summed over them. */
struct tally {
	uint32_t frames, merged, bad, wrapped, acked, moved, boundary, in_recs;
};

static void run(bool tls13, struct tally *t)
{
	struct tx_ring_park pk_a = { { NULL, NULL }, { 0, 0 } }, pk_b = pk_a;
	struct tx_stream a, b;
	size_t len = 0, off = 0;
	uint8_t *st = make_stream(tls13, &len), *copy = malloc(3 * TLS_MAX_BODY + 64);

	CU_ASSERT_PTR_NOT_NULL_FATAL(st);
	CU_ASSERT_PTR_NOT_NULL_FATAL(copy);
	if (!tls13) /* TLS 1.2 takes any outer type with version 3.3 */
		for (size_t o = 0, r = 0; o < len; r++) {
			st[o] = (uint8_t)(20 + r % 4);
			o += TLS_HDR_LEN + ((uint32_t)st[o + 3] << 8 | st[o + 4]);
		}
	CU_ASSERT_EQUAL_FATAL(tx_stream_init(&a, ISN, 77, tls13, &pk_a), 0);
	CU_ASSERT_EQUAL_FATAL(tx_stream_init(&b, ISN, 77, tls13, &pk_b), 0);
	while (off < len) {
		uint32_t n = frame_len(&a, st + off, len - off), lkey = rnd(16) ? 5 : 6;
		/* from the stream itself (contiguous: merges) or from a copy elsewhere */
		const uint8_t *d = st + off;
		uint32_t segs_before = b.segs.count;
		uint64_t num;
		bool was_mid;
		int ra, rb;

		if (rnd(3) == 0) {
			memcpy(copy + 32, st + off, n);
			d = copy + 32;
		}
		if (rnd(4) == 0 && d == copy + 32 && a.p.hdr_got == TLS_HDR_LEN &&
		    a.p.body_left + TLS_HDR_LEN <= n) {
			/* the next header, malformed: a wrong version, or a length out of range */
			uint8_t *h = copy + 32 + a.p.body_left;

			if (rnd(2))
				h[2] = 1;
			else
				h[3] = 0x50;
			ra = tx_stream_learn_fast(&a, d, n, lkey);
			rb = tx_stream_learn(&b, d, n, lkey);
			CU_ASSERT_EQUAL(ra, -EBADMSG);
			CU_ASSERT_EQUAL(rb, -EBADMSG);
			CU_ASSERT_FATAL(same(&a, &b));
			t->bad++;
			continue; /* the frame is sent again as it should be */
		}
		was_mid = !tx_stream_at_boundary(&a);
		num = tx_stream_next_num(&a);
		ra = tx_stream_learn_fast(&a, d, n, lkey);
		rb = tx_stream_learn(&b, d, n, lkey);
		CU_ASSERT(ra == 0 || ra == 1 || ra == TX_LEARN_BOUNDARY);
		/* TX_LEARN_BOUNDARY: a record ended at the frame's end, nothing in progress (the
		 * publisher stores the boundary flag from it without looking) */
		CU_ASSERT(ra != TX_LEARN_BOUNDARY || tx_stream_at_boundary(&a));
		t->boundary += ra == TX_LEARN_BOUNDARY;
		CU_ASSERT_EQUAL(rb, 0);
		CU_ASSERT_FATAL(same(&a, &b));
		/* 0: only the position moved, inside a record that goes on */
		if (!ra) {
			CU_ASSERT(was_mid && !tx_stream_at_boundary(&a) && tx_stream_next_num(&a) == num);
		} else {
			t->moved++;
		}
		t->merged += b.segs.count == segs_before && segs_before;
		t->in_recs += last_in_recs; /* summed over the frames: held, not learnt */
		off += n;
		t->frames++;
		if (rnd(4) == 0) {
			/* the peer acknowledges up to somewhere in what was sent */
			uint32_t ack = a.next_seq - rnd(4000);
			uint32_t head = a.recs.head;

			if ((int32_t)(ack - ISN) < 0)
				ack = ISN;
			CU_ASSERT_EQUAL(tx_stream_release(&a, ack), tx_stream_release(&b, ack));
			CU_ASSERT_FATAL(same(&a, &b));
			t->wrapped += a.recs.count && a.recs.head < head;
			t->acked++;
		}
	}
	CU_ASSERT_EQUAL(a.next_seq, ISN + (uint32_t)len);
	CU_ASSERT_EQUAL(tx_stream_next_num(&a), 77 + NREC);
	CU_ASSERT_TRUE(tx_stream_at_boundary(&a));
	tx_stream_fini(&a);
	tx_stream_fini(&b);
	tx_ring_park_fini(&pk_a);
	tx_ring_park_fini(&pk_b);
	free(copy);
	free(st);
}

static void runs(bool tls13)
{
	struct tally t = { 0 };

	for (uint32_t i = 0; i < ROUNDS; i++)
		run(tls13, &t);
	/* the runs went through what they are meant to */
	CU_ASSERT(t.frames > 100 * ROUNDS);
	CU_ASSERT(t.merged > 10 * ROUNDS);
	CU_ASSERT(t.bad > ROUNDS);
	CU_ASSERT(t.wrapped > ROUNDS);
	CU_ASSERT(t.acked > 10 * ROUNDS);
	CU_ASSERT(t.moved > 10 * ROUNDS && t.moved < t.frames);
	CU_ASSERT(t.boundary > 0 && t.boundary < t.moved);
	/* frames of exactly one record kept their piece in the record (and were compared) */
	CU_ASSERT(t.in_recs > ROUNDS);
}

static void test_fast_tls13(void)
{
	runs(true);
}

static void test_fast_tls12(void)
{
	runs(false);
}

/* The header rules of the word-wise check, at their edges. */
static void test_header_edges(void)
{
	struct tx_stream s12, s13;
	uint8_t h[TLS_HDR_LEN] = { 23, 3, 3, 0, 0 };
	uint32_t body = 0;

	CU_ASSERT_EQUAL_FATAL(tx_stream_init(&s12, ISN, 0, false, NULL), 0);
	CU_ASSERT_EQUAL_FATAL(tx_stream_init(&s13, ISN, 0, true, NULL), 0);
	h[4] = 1 + TLS_TAG_LEN; /* the smallest TLS 1.3 body, one short of TLS 1.2's */
	CU_ASSERT_TRUE(tx_stream_header_ok(&s13, h, &body));
	CU_ASSERT_EQUAL(body, 17);
	CU_ASSERT_FALSE(tx_stream_header_ok(&s12, h, &body));
	h[4] = TLS_TAG_LEN;
	CU_ASSERT_FALSE(tx_stream_header_ok(&s13, h, &body));
	h[4] = TLS12_NONCE_LEN + TLS_TAG_LEN;
	CU_ASSERT_TRUE(tx_stream_header_ok(&s12, h, &body));
	h[3] = (uint8_t)(TLS_MAX_BODY >> 8);
	h[4] = (uint8_t)TLS_MAX_BODY;
	CU_ASSERT_TRUE(tx_stream_header_ok(&s12, h, &body));
	CU_ASSERT_TRUE(tx_stream_header_ok(&s13, h, &body));
	CU_ASSERT_EQUAL(body, TLS_MAX_BODY);
	h[4]++;
	CU_ASSERT_FALSE(tx_stream_header_ok(&s12, h, &body));
	CU_ASSERT_FALSE(tx_stream_header_ok(&s13, h, &body));
	h[4]--;
	h[0] = 22; /* handshake: a TLS 1.2 record, never a TLS 1.3 one */
	CU_ASSERT_TRUE(tx_stream_header_ok(&s12, h, &body));
	CU_ASSERT_FALSE(tx_stream_header_ok(&s13, h, &body));
	h[0] = 23;
	h[1] = 2; /* version 2.3, 3.1 */
	CU_ASSERT_FALSE(tx_stream_header_ok(&s12, h, &body));
	h[1] = 3;
	h[2] = 1;
	CU_ASSERT_FALSE(tx_stream_header_ok(&s12, h, &body));
	CU_ASSERT_FALSE(tx_stream_header_ok(&s13, h, &body));
	tx_stream_fini(&s12);
	tx_stream_fini(&s13);
}

static const struct test_case fast_cases[] = {
	{ "fast path == general learn, TLS 1.3", test_fast_tls13 },
	{ "fast path == general learn, TLS 1.2", test_fast_tls12 },
	{ "record header rules at their edges", test_header_edges },
	{ NULL, NULL },
};

static const struct test_suite suites[] = {
	{ "tx_stream_fast", NULL, NULL, fast_cases },
	{ NULL, NULL, NULL, NULL },
};

int main(void)
{
	return test_run_suites(suites);
}
