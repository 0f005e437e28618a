/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The record tracker's release (tx_stream_release) against a model of the stream: after an ack
 * anywhere - inside a record, at a record's end, at the stream's end inside a record, and at the
 * stream's end at a boundary (the bulk sender's ack of everything, which releases without
 * searching) - the records held are exactly those not wholly acknowledged, the first byte held
 * is the first of the oldest of them, every held byte walks back to where it was sent from, and
 * a tracker holding nothing holds no ring (tx_stream_mem 0). Learning then goes on through the
 * in-order fast path, which takes the rings back from the queue's park.
 */
#include <stdlib.h>
#include <string.h>

#include "test_util.h"
#include "tx_stream.h"

#define ISN 0xffff8000u /* the sequence wraps inside the stream */
#define NREC 300u

static uint64_t rng = 0x2545f4914f6cdd1dull;

static uint32_t rnd(uint32_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng % n);
}

static uint32_t rec_off[NREC + 1]; /* stream offset of each record's start; [NREC] = the end */

/* TLS 1.3 records of random sizes, back to back. */
static uint8_t *make_stream(size_t *len)
{
	uint8_t *b = malloc((size_t)NREC * (TLS_HDR_LEN + TLS_MAX_BODY));
	size_t off = 0;

	for (uint32_t i = 0; b && i < NREC; i++) {
		uint32_t body = rnd(3) ? 17 + rnd(3000) : 16384 + 17;

		rec_off[i] = (uint32_t)off;
		b[off] = 23;
		b[off + 1] = 3;
		b[off + 2] = 3;
		b[off + 3] = (uint8_t)(body >> 8);
		b[off + 4] = (uint8_t)body;
		for (uint32_t k = 0; k < body; k++)
			b[off + TLS_HDR_LEN + k] = (uint8_t)(i * 31u + k);
		off += TLS_HDR_LEN + body;
	}
	rec_off[NREC] = (uint32_t)off;
	*len = off;
	return b;
}

struct walk_check {
	const uint8_t *want;
	uint32_t bad;
};

static int check_piece(void *arg, uintptr_t addr, uint32_t len, uint32_t lkey)
{
	struct walk_check *w = arg;

	(void)lkey;
	if (memcmp((const void *)addr, w->want, len))
		w->bad++;
	w->want += len;
	return 0;
}

/* The tracker against the model after learning [0, sent) and acknowledging [0, acked). */
static void check(const struct tx_stream *s, const uint8_t *stream, uint32_t sent, uint32_t acked)
{
	uint32_t first = 0, held = 0;
	struct walk_check w;

	/* records started before `sent`, not wholly before `acked` */
	for (uint32_t i = 0; i < NREC && rec_off[i] < sent; i++) {
		if (rec_off[i + 1] <= acked)
			continue;
		if (!held)
			first = rec_off[i];
		held++;
	}
	if (!held)
		first = sent;
	CU_ASSERT_EQUAL(tx_stream_records(s), held);
	CU_ASSERT_EQUAL(tx_stream_first_seq(s), ISN + first);
	CU_ASSERT_EQUAL(s->next_seq, ISN + sent);
	w = (struct walk_check){ stream + first, 0 };
	CU_ASSERT_EQUAL(tx_stream_walk(s, ISN + first, ISN + sent, 4096, check_piece, &w), 0);
	CU_ASSERT_EQUAL(w.bad, 0);
	if (!held)
		CU_ASSERT_EQUAL(tx_stream_mem(s), 0);
}

static void test_release(void)
{
	struct tx_ring_park park = { { NULL, NULL }, { 0, 0 } };
	size_t len = 0;
	uint8_t *stream = make_stream(&len);
	struct tx_stream s;
	uint32_t off = 0, acked = 0, bulk = 0, n = 0, before;

	CU_ASSERT_PTR_NOT_NULL_FATAL(stream);
	CU_ASSERT_EQUAL_FATAL(tx_stream_init(&s, ISN, 0, true, &park), 0);
	while (off < len) {
		/* frames: whole records (LSO), up to the next record's start, MSS segments, or
		 * random cuts */
		uint32_t k = rnd(4), cut, r = 0;

		while (r < NREC && rec_off[r] <= off)
			r++;
		if (k == 0) {
			cut = rec_off[r - 1] == off ? rec_off[r] - off : 1448;
		} else if (k == 3) {
			cut = rec_off[r] - off;
		} else {
			cut = k == 1 ? 1448 : 1 + rnd(5000);
		}
		if (cut > len - off)
			cut = (uint32_t)(len - off);
		CU_ASSERT_FATAL(tx_stream_learn_fast(&s, stream + off, cut, 7) >= 0);
		off += cut;
		n++;
		if (n % 4)
			continue;
		/* an ack: everything (at a boundary or not), a record's end, or anywhere */
		k = rnd(4);
		before = tx_stream_records(&s);
		if (k < 2) {
			bulk += tx_stream_at_boundary(&s);
			acked = off;
		} else {
			uint32_t a = k == 2 ? rec_off[rnd(NREC)] : acked + rnd(off - acked + 1);

			if (a > off)
				a = off;
			if (a > acked)
				acked = a;
		}
		CU_ASSERT_EQUAL(tx_stream_release(&s, ISN + acked),
				before - tx_stream_records(&s));
		check(&s, stream, off, acked);
	}
	/* the bulk release ran, at a boundary, many times */
	CU_ASSERT(bulk > 10);
	tx_stream_fini(&s);
	tx_ring_park_fini(&park);
	free(stream);
}

static const struct test_case cases[] = {
	{ "release against a model of the stream, bulk acks included", test_release },
	{ NULL, NULL },
};

static const struct test_suite suites[] = {
	{ "tx_stream_release", NULL, NULL, cases },
	{ NULL, NULL, NULL, NULL },
};

int main(void)
{
	return test_run_suites(suites);
}
