/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The TX record tracker of one TLS connection (internal): what the kernel keeps in its
 * tls_offload_context_tx record list, learnt here from the TCP payload stream the application
 * sends in order. For every record: its TCP sequence, length, record number and key epoch; for
 * every byte not yet released: where it was sent from (address and lkey), so a retransmission can
 * DUMP the record prefix to the device (fact sheet 10.4) or re-encrypt it in software.
 *
 * Sequence numbers compare modulo 2^32 (RFC 793 arithmetic).
 */
#ifndef MLX5TLS_TX_STREAM_H
#define MLX5TLS_TX_STREAM_H

#include <endian.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define TLS_HDR_LEN 5u
#define TLS_TAG_LEN 16u
#define TLS12_NONCE_LEN 8u
#define TLS_MAX_BODY (16384u + 256u) /* RFC 8446 5.2 */

static inline bool seq_lt(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) < 0;
}

static inline bool seq_le(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) <= 0;
}

struct tx_seg {
	uint32_t seq;
	uint32_t len;
	uintptr_t addr;
	uint32_t lkey;
};

/*
 * A record. When one frame was exactly this record (an LSO frame of one whole record, learnt by
 * tx_stream_learn_fast), the record also holds where its bytes were sent from (addr non-zero:
 * a frame's payload is never at address 0) and the pieces ring has no entry for them: one entry
 * stored per frame instead of two. Such a piece is never trimmed (a record is released whole)
 * and goes with its record. Every reader of the pieces takes both (tx_stream_walk, release).
 */
struct tx_rec {
	uint32_t seq;
	uint32_t len; /* header + body; 0 while the header is incomplete (the last record only) */
	uint64_t num;
	uintptr_t addr; /* 0: the record's bytes are in the pieces ring */
	uint32_t lkey;  /* with addr */
	uint8_t epoch;
};

/* A growable ring of fixed-size entries. */
struct tx_ring {
	void *e;
	uint32_t esize;
	uint32_t cap; /* power of two */
	uint32_t head;
	uint32_t count;
	uint32_t hint; /* capacity when it was last given back empty */
};

/* The record parser's position in the stream. */
struct tx_parse {
	uint8_t hdr[TLS_HDR_LEN];
	uint8_t hdr_got;   /* header bytes seen of the current record (5 = complete) */
	uint32_t body_left; /* body bytes still to come once the header is complete */
};

/*
 * One ring buffer of each kind parked by a queue: the rings of a context that acknowledges
 * everything are given back (an idle connection holds none), and the next burst of the same
 * or another context on that queue takes the buffer back instead of allocating. At most one
 * buffer per kind, of at most TX_RING_PARK_MAX entries, per queue; used by the queue's thread
 * only (a queue and its contexts are used by one thread at a time).
 */
#define TX_RING_PARK_MAX 256u
struct tx_ring_park {
	void *e[2];
	uint32_t cap[2];
};
void tx_ring_park_fini(struct tx_ring_park *pk);

struct tx_stream {
	struct tx_ring segs;
	struct tx_ring recs;
	uint32_t next_seq;  /* after the highest byte learnt */
	/* the next record's number less the records held (tx_stream_next_num): learning a record
	 * adds one to both, so this moves only when records are released or numbered anew - the
	 * in-order path stores no number of its own per record */
	uint64_t num_base;
	uint8_t epoch;      /* key epoch of records that start from now on */
	uint32_t min_body;  /* smallest legal length field: nonce (1.2) + 1 (1.3 type) + tag */
	uint32_t body_span; /* TLS_MAX_BODY - min_body: the legal lengths' span, kept so the check
			     * of every record loads one field, not two and a subtraction */
	/* header bytes 0..2 (type, legacy version) as a little-endian word: the bits checked
	 * and their values (version 3.3; TLS 1.3: also the outer type, application_data) */
	uint32_t hdr_mask, hdr_want;
	struct tx_parse p;
	struct tx_ring_park *park; /* the queue's parked buffers (NULL: none) */
};

int tx_stream_init(struct tx_stream *s, uint32_t start_seq, uint64_t first_num, bool tls13,
		   struct tx_ring_park *park);
void tx_stream_fini(struct tx_stream *s);

/* The number the next record starts with. */
static inline uint64_t tx_stream_next_num(const struct tx_stream *s)
{
	return s->num_base + s->recs.count;
}

/* Number the records from the next one on from n (a key update: RFC 8446 5.3). */
static inline void tx_stream_set_next_num(struct tx_stream *s, uint64_t n)
{
	s->num_base = n - s->recs.count;
}

/* True at a record boundary (no record in progress). */
static inline bool tx_stream_at_boundary(const struct tx_stream *s)
{
	return s->p.hdr_got == 0 && s->p.body_left == 0;
}

/* Check the record headers in `len` new bytes (the stream continues at next_seq with them):
 * 0 or -EBADMSG. Changes nothing. */
int tx_stream_check(const struct tx_stream *s, const uint8_t *data, uint32_t len);
/* Learn `len` new bytes at next_seq, sent from addr/lkey. 0, -EBADMSG (a malformed header) or
 * -ENOMEM; on an error nothing was learnt. */
int tx_stream_learn(struct tx_stream *s, const uint8_t *data, uint32_t len, uint32_t lkey);

/* A TLS 1.3 record is application_data outside, the real type is inside (RFC 8446 5.2); the
 * device does not encrypt any other (the model passes such a record through in the clear), so
 * it is malformed here as well. */
#define TLS13_OUTER_TYPE 23

/* A record header the device would take: TLS 1.2 legacy version 3.3 (also TLS 1.3's,
 * RFC 8446 5.1), a length between the smallest body (nonce or inner type, and the tag) and
 * 2^14 + 256; *body is its length field. Bytes 0..2 are compared as one word (hdr_mask,
 * hdr_want) and the length range as one unsigned comparison: it runs for every record. */
static inline bool tx_stream_header_ok(const struct tx_stream *s, const uint8_t h[TLS_HDR_LEN],
				       uint32_t *body)
{
	uint32_t w;

	memcpy(&w, h, sizeof(w)); /* bytes 0..3 of the 5 */
	*body = (uint32_t)h[3] << 8 | h[4];
	return (le32toh(w) & s->hdr_mask) == s->hdr_want &&
	       *body - s->min_body <= s->body_span;
}

/* Room for one more entry in r (s->segs or s->recs): 0, or -ENOMEM. A ring given back when it
 * emptied is taken from the park (or allocated) at the size it had; a full one doubles. */
int tx_stream_ring_room(struct tx_stream *s, struct tx_ring *r);

/*
 * tx_stream_learn(), inline, for the shapes in-order TX sends almost always have; anything else
 * (a header split across sends, a frame starting or ending more than one record, a malformed
 * header) takes tx_stream_learn(), which gives the same result (a ring to grow takes
 * tx_stream_learn_grow(), then this again):
 *  - body only: the bytes are all inside the body of the record in progress (the middle
 *    segments of a large record);
 *  - the rest of the record in progress (possibly nothing: at a boundary), then one whole
 *    header whose record ends at or after the frame's end (an MSS segment crossing into the
 *    next record; an LSO frame of exactly one record).
 * An LSO frame of exactly one record (at a boundary, the record ends at the frame's end) is
 * one record entry holding its piece (struct tx_rec's addr): no piece entry, no parser store
 * (a boundary before and after).
 * Nothing is parsed twice: the body length of the record in progress is already in p, so its
 * remaining bytes are skipped, and the one new header is read in place and checked
 * (tx_stream_header_ok) before anything is stored.
 * Every frame gets a piece of its own: pieces of two frames are never contiguous in memory
 * (each frame's L2..L4 headers sit before its payload and the bytes sent must stay as they
 * are until acknowledged), so the general learn's merge is not tried here. What the checks
 * need is read first; the record's and the piece's fields are read where they are stored. With
 * -fno-strict-aliasing each store makes the compiler read the tracker again, but inlined into
 * the send path, values kept live across the stores were spilled to the stack: a load again is
 * cheaper than a store and a load (callgrind, LSO of one record per WQE: 568 -> 550
 * instructions per send).
 * Invariants used: hdr_got is 0 (then body_left is 0: at a boundary) or a partial header
 * (1..4: the slow path) or TLS_HDR_LEN (body_left > 0: inside a body). The inside-a-body case
 * is tested first (MSS segments of large records), then the boundary (LSO of whole records);
 * from either, a header continues on one path.
 * Returns 0 when only the position moved (the bytes are inside the record in progress, which
 * goes on), TX_LEARN_BOUNDARY when a record ended at the frame's end (the stream is at a
 * boundary: what an LSO frame of whole records leaves), 1 when a record started or ended here
 * otherwise (or the general learn ran), or -errno as tx_stream_learn() (nothing learnt). The
 * publisher (tx_publish_fast) takes the boundary from here rather than loading back the two
 * parser fields just stored.
 */
#define TX_LEARN_BOUNDARY 2
/* A full ring - or none: given back when the last ack emptied it - grows or comes back from the
 * queue's park (the records ring if recs, else the pieces ring), as the general learn would take
 * it, then the frame is learnt: tx_stream_learn_fast() out of line. Called with nothing but the
 * arguments live, so that no value of the fast path stays live across a call (GCC kept such
 * values, and the ring's address, on the stack on the common path too). */
int tx_stream_learn_grow(struct tx_stream *s, const uint8_t *data, uint32_t len, uint32_t lkey,
			 bool recs);
static inline __attribute__((always_inline)) int
tx_stream_learn_fast(struct tx_stream *s, const uint8_t *data, uint32_t len, uint32_t lkey)
{
	struct tx_ring *sr = &s->segs, *rr = &s->recs;
	uint32_t k, seq, rest, body, left;
	struct tx_rec *r;
	struct tx_seg *g;
	int moved;

	if (s->p.hdr_got == TLS_HDR_LEN) {
		/* inside a body: the rest of the record in progress (k bytes), maybe a header */
		k = s->p.body_left;
		if (__builtin_expect(len <= k, 1)) /* a header comes once per record */
			goto body_only;
		rest = len - k;
	} else if (!s->p.hdr_got) {
		/* at a boundary (body_left 0): the frame starts with a header */
		if (len >= TLS_HDR_LEN && tx_stream_header_ok(s, data, &body) &&
		    TLS_HDR_LEN + body == len) {
			/* the frame is exactly this record: its piece goes in the record, and the
			 * parser's fields stay as they are (a boundary before and after). The
			 * fields are loaded where they are stored, so that nothing stays live
			 * across the stores (values kept so were kept on the stack) */
			if (__builtin_expect(rr->count == rr->cap, 0))
				return tx_stream_learn_grow(s, data, len, lkey, true);
			r = &((struct tx_rec *)rr->e)[(rr->head + rr->count) & (rr->cap - 1)];
			r->seq = s->next_seq;
			r->len = len;
			r->num = s->num_base + rr->count; /* tx_stream_next_num() */
			r->addr = (uintptr_t)data;
			r->lkey = lkey;
			r->epoch = s->epoch;
			rr->count++;
			s->next_seq += len;
			return TX_LEARN_BOUNDARY;
		}
		/* (the header is looked at again below: a frame ending inside its record) */
		k = 0;
		rest = len;
	} else {
		goto general; /* a header split across sends */
	}
	if (rest < TLS_HDR_LEN || !tx_stream_header_ok(s, data + k, &body) ||
	    TLS_HDR_LEN + body < rest)
		goto general;
	/* (after the header's check: a malformed record takes no ring) */
	if (__builtin_expect(rr->count == rr->cap, 0))
		return tx_stream_learn_grow(s, data, len, lkey, true);
	left = TLS_HDR_LEN + body - rest;
	if (__builtin_expect(sr->count == sr->cap, 0))
		return tx_stream_learn_grow(s, data, len, lkey, false);
	seq = s->next_seq;
	r = &((struct tx_rec *)rr->e)[(rr->head + rr->count) & (rr->cap - 1)];
	r->seq = seq + k;
	r->len = TLS_HDR_LEN + body;
	r->num = s->num_base + rr->count;
	r->addr = 0; /* its bytes are pieces */
	r->lkey = 0;
	r->epoch = s->epoch;
	rr->count++;
	s->p.body_left = left;
	s->p.hdr_got = left ? TLS_HDR_LEN : 0;
	moved = left ? 1 : TX_LEARN_BOUNDARY;
	goto piece;
body_only:
	if (__builtin_expect(sr->count == sr->cap, 0))
		return tx_stream_learn_grow(s, data, len, lkey, false);
	seq = s->next_seq;
	s->p.body_left = k - len;
	moved = 0;
	if (len == k) {
		s->p.hdr_got = 0; /* record complete */
		moved = TX_LEARN_BOUNDARY;
	}
piece:
	/* the piece's slot is found after the record's stores: reading the ring again costs
	 * loads, keeping its address live across them cost a spill and a reload */
	g = &((struct tx_seg *)sr->e)[(sr->head + sr->count) & (sr->cap - 1)];
	g->seq = seq;
	g->len = len;
	g->addr = (uintptr_t)data;
	g->lkey = lkey;
	sr->count++;
	s->next_seq = seq + len;
	return moved;
general: {
	int ret = tx_stream_learn(s, data, len, lkey);

	return ret ? ret : 1;
}
}

/*
 * After learning a frame (payload, len) on the in-order path: ask for the cache lines of record
 * headers a few frames ahead, the frames guessed to be as long as this one and to lie as far
 * apart in memory as this one lies after the last (frames from a pool of equal buffers). A
 * header is the one payload line the library reads and a plain send does not; cold, it is a miss
 * on the in-order path that a prefetch one frame ahead hides only in part (the next frame comes
 * sooner than memory does). Only headers after a body's continuation (body_left > 0): at a
 * boundary the header follows the frame's own headers, in lines every send reads. A wrong guess
 * costs a useless prefetch.
 *  - the next header further than the next frame (large records): its line when it is
 *    TX_PREFETCH_AHEAD frames ahead, so once per record;
 *  - in the next frame (small records, or a large one's end): its line, and the headers
 *    TX_PREFETCH_AHEAD frames ahead, guessed to follow every `R` bytes, R the length of the
 *    record in progress (one division; at most TX_PREFETCH_MAX lines).
 */
#define TX_PREFETCH_AHEAD 6u
#define TX_PREFETCH_MAX 4u
static inline __attribute__((always_inline)) void
tx_stream_prefetch_next(const struct tx_stream *s, const uint8_t *payload, uint32_t len)
{
	const struct tx_ring *sr = &s->segs;
	uint32_t k = s->p.body_left;
	bool far = k >= len;
	/* addresses as integers: a guess may point anywhere, which pointer arithmetic may not */
	uintptr_t at = (uintptr_t)payload, stride;

	if (!k)
		return;
	if (far) {
		/* unsigned: wraps, and fails, when the header is less than that far ahead */
		k -= (TX_PREFETCH_AHEAD - 1) * len;
		if (k >= len)
			return;
	}
	if (sr->count < 2)
		return;
	stride = at - ((const struct tx_seg *)sr->e)
		[(sr->head + sr->count - 2) & (sr->cap - 1)].addr;
	if (far) {
		__builtin_prefetch((const void *)(at + TX_PREFETCH_AHEAD * stride + k));
		return;
	}
	__builtin_prefetch((const void *)(at + stride + k));
	{
		const struct tx_rec *r = &((const struct tx_rec *)s->recs.e)
			[(s->recs.head + s->recs.count - 1) & (s->recs.cap - 1)];
		uint32_t rl = r->len, from = (TX_PREFETCH_AHEAD - 1) * len, off;
		uintptr_t f = at + TX_PREFETCH_AHEAD * stride;

		/* (a record in progress is the last one held: recs.count >= 1) */
		if (!rl)
			return;
		/* the first header at or after the frame's start: k + m * rl >= from */
		off = k + (from - k + rl - 1) / rl * rl - from;
		for (uint32_t n = 0; off < len && n < TX_PREFETCH_MAX; n++, off += rl)
			__builtin_prefetch((const void *)(f + off));
	}
}

/* The record holding byte `seq` (or, at the stream end at a boundary, none: -ENOENT) or
 * -ENOENT if it was released. */
int tx_stream_find(const struct tx_stream *s, uint32_t seq, struct tx_rec *rec);
/* First retained record start (== next_seq if none). */
uint32_t tx_stream_first_seq(const struct tx_stream *s);
/* Number of records held. */
static inline uint32_t tx_stream_records(const struct tx_stream *s)
{
	return s->recs.count;
}
/* The record in progress at next_seq (or the next to start): its number and start. */
static inline void tx_stream_tail(const struct tx_stream *s, uint64_t *num, uint32_t *rec_seq,
				  uint32_t *offset)
{
	if (!tx_stream_at_boundary(s) && s->recs.count) {
		const struct tx_rec *r = &((const struct tx_rec *)s->recs.e)
			[(s->recs.head + s->recs.count - 1) & (s->recs.cap - 1)];

		*num = r->num;
		*rec_seq = r->seq;
		*offset = s->next_seq - r->seq;
		return;
	}
	*num = tx_stream_next_num(s);
	*rec_seq = s->next_seq;
	*offset = 0;
}

/* Walk the bytes [from, to) as (addr, len, lkey) pieces of at most max_chunk bytes, in order.
 * cb returns 0 to go on. -ENOENT if a byte is not held. */
typedef int (*tx_stream_piece_fn)(void *ctx, uintptr_t addr, uint32_t len, uint32_t lkey);
int tx_stream_walk(const struct tx_stream *s, uint32_t from, uint32_t to, uint32_t max_chunk,
		   tx_stream_piece_fn cb, void *ctx);

/* The peer acknowledged everything before ack: release whole records before it and the bytes
 * no retained record needs. Returns the number of records released. */
uint32_t tx_stream_release(struct tx_stream *s, uint32_t ack);
/* Heap bytes the tracker holds (its rings). */
size_t tx_stream_mem(const struct tx_stream *s);
/* Epoch of the oldest retained record (or the current one if none). */
uint8_t tx_stream_oldest_epoch(const struct tx_stream *s);

#endif
