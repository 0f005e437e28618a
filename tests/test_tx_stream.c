/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The TX record tracker (tx_stream.h) on its own: records learnt from bytes split anywhere
 * (headers across sends), what an acknowledgement releases (a prefix of records, the pieces
 * no retained record needs, a trimmed front), malformed headers that leave nothing behind,
 * the shrink rule and the queue's parked buffers. Expected values are worked out by hand from
 * the record layout below.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "test_util.h"
#include "tx_stream.h"

#define ISN 1000u
#define BODY 100u             /* every record's length field */
#define REC (5u + BODY)      /* 105 bytes on the wire */

/* n TLS 1.3 records (application_data, legacy version 3.3, length BODY) back to back. */
static uint8_t *records(uint32_t n)
{
	uint8_t *b = calloc(n, REC);

	for (uint32_t i = 0; i < n; i++) {
		uint8_t *h = b + (size_t)i * REC;

		h[0] = 23;
		h[1] = 3;
		h[2] = 3;
		h[3] = 0;
		h[4] = BODY;
		memset(h + 5, (int)i, BODY);
	}
	return b;
}

struct piece {
	uintptr_t addr;
	uint32_t len;
};

struct pieces {
	struct piece p[16];
	unsigned int n;
};

static int collect(void *ctx, uintptr_t addr, uint32_t len, uint32_t lkey)
{
	struct pieces *ps = ctx;

	CU_ASSERT_EQUAL(lkey, 7);
	if (ps->n < 16)
		ps->p[ps->n++] = (struct piece){ addr, len };
	return 0;
}

static void test_split_headers(void)
{
	struct tx_stream s;
	struct tx_rec r;
	uint8_t *b = records(3);

	CU_ASSERT_EQUAL_FATAL(tx_stream_init(&s, ISN, 40, true, NULL), 0);
	/* record 1 starts at 105: [0,103) is record 0 only; [103,107) ends record 0 and holds
	 * 2 of record 1's header bytes; [107,315) the rest */
	CU_ASSERT_EQUAL(tx_stream_learn(&s, b, 103, 7), 0);
	CU_ASSERT_EQUAL(tx_stream_records(&s), 1);
	CU_ASSERT_FALSE(tx_stream_at_boundary(&s));
	CU_ASSERT_EQUAL(tx_stream_learn(&s, b + 103, 4, 7), 0);
	CU_ASSERT_EQUAL(tx_stream_records(&s), 2);
	/* record 1's header is incomplete: its length is not known yet */
	CU_ASSERT_EQUAL(tx_stream_find(&s, ISN + 106, &r), 0);
	CU_ASSERT_EQUAL(r.seq, ISN + 105);
	CU_ASSERT_EQUAL(r.len, 0);
	CU_ASSERT_EQUAL(r.num, 41);
	CU_ASSERT_EQUAL(tx_stream_learn(&s, b + 107, 315 - 107, 7), 0);
	CU_ASSERT_EQUAL(tx_stream_records(&s), 3);
	CU_ASSERT_TRUE(tx_stream_at_boundary(&s));
	CU_ASSERT_EQUAL(s.next_seq, ISN + 315);
	CU_ASSERT_EQUAL(tx_stream_find(&s, ISN + 106, &r), 0);
	CU_ASSERT_EQUAL(r.len, 105);
	CU_ASSERT_EQUAL(tx_stream_find(&s, ISN + 314, &r), 0);
	CU_ASSERT_EQUAL(r.seq, ISN + 210);
	CU_ASSERT_EQUAL(r.num, 42);
	CU_ASSERT_EQUAL(tx_stream_find(&s, ISN + 315, &r), -ENOENT);
	/* contiguous sends from one buffer are one piece */
	CU_ASSERT_EQUAL(s.segs.count, 1);
	tx_stream_fini(&s);
	free(b);
}

static void test_release(void)
{
	struct tx_stream s;
	struct pieces ps = { .n = 0 };
	uint8_t *b = records(3), *c = records(1);
	struct tx_rec r;

	CU_ASSERT_EQUAL_FATAL(tx_stream_init(&s, ISN, 0, true, NULL), 0);
	/* two pieces: records 0-1 from b, record 2 from c (another buffer) */
	CU_ASSERT_EQUAL(tx_stream_learn(&s, b, 2 * REC, 7), 0);
	CU_ASSERT_EQUAL(tx_stream_learn(&s, c, REC, 7), 0);
	CU_ASSERT_EQUAL(s.segs.count, 2);
	/* inside record 0: nothing released, nothing trimmed */
	CU_ASSERT_EQUAL(tx_stream_release(&s, ISN + 50), 0);
	CU_ASSERT_EQUAL(tx_stream_records(&s), 3);
	CU_ASSERT_EQUAL(tx_stream_first_seq(&s), ISN);
	/* exactly at record 1's start: record 0 goes, the first piece is trimmed to 105.. */
	CU_ASSERT_EQUAL(tx_stream_release(&s, ISN + REC), 1);
	CU_ASSERT_EQUAL(tx_stream_first_seq(&s), ISN + REC);
	CU_ASSERT_EQUAL(tx_stream_find(&s, ISN + 10, &r), -ENOENT);
	CU_ASSERT_EQUAL(tx_stream_walk(&s, ISN + REC, ISN + 3 * REC, 1000, collect, &ps), 0);
	CU_ASSERT_EQUAL_FATAL(ps.n, 2);
	CU_ASSERT_EQUAL(ps.p[0].addr, (uintptr_t)(b + REC));
	CU_ASSERT_EQUAL(ps.p[0].len, REC);
	CU_ASSERT_EQUAL(ps.p[1].addr, (uintptr_t)c);
	CU_ASSERT_EQUAL(ps.p[1].len, REC);
	/* inside record 2: record 1 goes with the whole first piece */
	CU_ASSERT_EQUAL(tx_stream_release(&s, ISN + 2 * REC + 1), 1);
	CU_ASSERT_EQUAL(s.segs.count, 1);
	CU_ASSERT_EQUAL(tx_stream_first_seq(&s), ISN + 2 * REC);
	/* everything: no record, no ring */
	CU_ASSERT_EQUAL(tx_stream_release(&s, ISN + 3 * REC), 1);
	CU_ASSERT_EQUAL(tx_stream_records(&s), 0);
	CU_ASSERT_EQUAL(s.segs.count, 0);
	CU_ASSERT_EQUAL(tx_stream_mem(&s), 0);
	/* an acknowledgement again changes nothing */
	CU_ASSERT_EQUAL(tx_stream_release(&s, ISN + 3 * REC), 0);
	tx_stream_fini(&s);
	free(b);
	free(c);
}

/* A record in progress is kept whole even when the ack passes most of it. */
static void test_release_partial_tail(void)
{
	struct tx_stream s;
	uint8_t *b = records(2);

	CU_ASSERT_EQUAL_FATAL(tx_stream_init(&s, ISN, 0, true, NULL), 0);
	CU_ASSERT_EQUAL(tx_stream_learn(&s, b, REC + 3, 7), 0); /* record 1: 3 header bytes */
	CU_ASSERT_EQUAL(tx_stream_release(&s, ISN + REC + 3), 1);
	CU_ASSERT_EQUAL(tx_stream_records(&s), 1);
	CU_ASSERT_EQUAL(tx_stream_first_seq(&s), ISN + REC);
	CU_ASSERT_EQUAL(tx_stream_learn(&s, b + REC + 3, REC - 3, 7), 0);
	CU_ASSERT_EQUAL(tx_stream_release(&s, ISN + 2 * REC - 1), 0);
	CU_ASSERT_EQUAL(tx_stream_release(&s, ISN + 2 * REC), 1);
	CU_ASSERT_EQUAL(tx_stream_records(&s), 0);
	tx_stream_fini(&s);
	free(b);
}

static void test_malformed(void)
{
	struct tx_stream s;
	uint8_t *b = records(3);

	CU_ASSERT_EQUAL_FATAL(tx_stream_init(&s, ISN, 9, true, NULL), 0);
	CU_ASSERT_EQUAL(tx_stream_learn(&s, b, REC, 7), 0);
	b[2 * REC + 4] = 16; /* record 2: a body shorter than type + tag (17) */
	CU_ASSERT_EQUAL(tx_stream_learn(&s, b + REC, 2 * REC, 7), -EBADMSG);
	CU_ASSERT_EQUAL(tx_stream_records(&s), 1);
	CU_ASSERT_EQUAL(s.next_seq, ISN + REC);
	CU_ASSERT_EQUAL(tx_stream_next_num(&s), 10);
	CU_ASSERT_TRUE(tx_stream_at_boundary(&s));
	b[2 * REC + 4] = BODY;
	b[2 * REC] = 22; /* TLS 1.3: the outer type is application_data only */
	CU_ASSERT_EQUAL(tx_stream_learn(&s, b + REC, 2 * REC, 7), -EBADMSG);
	b[2 * REC] = 23;
	CU_ASSERT_EQUAL(tx_stream_learn(&s, b + REC, 2 * REC, 7), 0);
	CU_ASSERT_EQUAL(tx_stream_records(&s), 3);
	CU_ASSERT_EQUAL(tx_stream_next_num(&s), 12);
	tx_stream_fini(&s);
	free(b);
}

/* A ring shrinks after an interval in which it stayed at most a quarter full. */
static void test_shrink_rule(void)
{
	struct tx_stream s;
	uint8_t *b = records(64);
	size_t busy;

	CU_ASSERT_EQUAL_FATAL(tx_stream_init(&s, ISN, 0, true, NULL), 0);
	for (uint32_t i = 0; i < 64; i++)
		CU_ASSERT_EQUAL(tx_stream_learn(&s, b + (size_t)i * REC, REC, 7), 0);
	busy = tx_stream_mem(&s);
	CU_ASSERT(busy >= 64 * sizeof(struct tx_rec));
	CU_ASSERT_EQUAL(tx_stream_release(&s, ISN + 60 * REC), 60);
	CU_ASSERT_EQUAL(tx_stream_mem(&s), busy); /* 64 were held since the last ack */
	CU_ASSERT_EQUAL(tx_stream_release(&s, ISN + 61 * REC), 1);
	CU_ASSERT(tx_stream_mem(&s) < busy); /* 4 of 64 over a whole interval */
	CU_ASSERT_EQUAL(tx_stream_records(&s), 3);
	CU_ASSERT_EQUAL(tx_stream_release(&s, ISN + 64 * REC), 3);
	CU_ASSERT_EQUAL(tx_stream_mem(&s), 0);
	tx_stream_fini(&s);
	free(b);
}

/* Many records in one call grow the ring as they go; one ack releases them all. */
static void test_many_in_one(void)
{
	struct tx_stream s;
	uint8_t *b = records(1000);

	CU_ASSERT_EQUAL_FATAL(tx_stream_init(&s, ISN, 0, true, NULL), 0);
	CU_ASSERT_EQUAL(tx_stream_learn(&s, b, 1000 * REC, 7), 0);
	CU_ASSERT_EQUAL(tx_stream_records(&s), 1000);
	CU_ASSERT_EQUAL(tx_stream_release(&s, ISN + 999 * REC), 999);
	CU_ASSERT_EQUAL(tx_stream_release(&s, ISN + 1000 * REC), 1);
	tx_stream_fini(&s);
	free(b);
}

/* The queue's parked buffers: an emptied ring is parked, the next stream takes it. */
static void test_park(void)
{
	struct tx_ring_park pk = { { NULL, NULL }, { 0, 0 } };
	struct tx_stream a, c;
	uint8_t *b = records(2);
	void *recs;

	CU_ASSERT_EQUAL_FATAL(tx_stream_init(&a, ISN, 0, true, &pk), 0);
	CU_ASSERT_EQUAL_FATAL(tx_stream_init(&c, ISN, 0, true, &pk), 0);
	CU_ASSERT_EQUAL(tx_stream_learn(&a, b, REC, 7), 0);
	recs = a.recs.e;
	CU_ASSERT_EQUAL(tx_stream_release(&a, ISN + REC), 1);
	CU_ASSERT_EQUAL(tx_stream_mem(&a), 0);
	CU_ASSERT_PTR_EQUAL(pk.e[1], recs);
	CU_ASSERT_PTR_NOT_NULL(pk.e[0]);
	CU_ASSERT_EQUAL(tx_stream_learn(&c, b, REC, 7), 0);
	CU_ASSERT_PTR_EQUAL(c.recs.e, recs);
	CU_ASSERT_PTR_NULL(pk.e[1]);
	CU_ASSERT_PTR_NULL(pk.e[0]);
	/* a stream that goes away with records held parks too (one per kind) */
	tx_stream_fini(&c);
	CU_ASSERT_PTR_EQUAL(pk.e[1], recs);
	tx_stream_fini(&a);
	tx_ring_park_fini(&pk);
	CU_ASSERT_PTR_NULL(pk.e[0]);
	CU_ASSERT_PTR_NULL(pk.e[1]);
	free(b);
}

static const struct test_case stream_cases[] = {
	{ "records learnt across split headers", test_split_headers },
	{ "release: prefixes, trims, nothing twice", test_release },
	{ "release keeps a record in progress", test_release_partial_tail },
	{ "malformed headers leave nothing", test_malformed },
	{ "shrink after a quarter-full interval", test_shrink_rule },
	{ "a thousand records in one send", test_many_in_one },
	{ "parked buffers", test_park },
	{ NULL, NULL },
};

static const struct test_suite suites[] = {
	{ "tx_stream", NULL, NULL, stream_cases },
	{ NULL, NULL, NULL, NULL },
};

int main(void)
{
	return test_run_suites(suites);
}
