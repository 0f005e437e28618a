/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Device model: the TLS TX crypto engine (sim/tls_tx.h) off the in-order path - the OOO resync
 * (static params, START, DUMP of the prefix, then data), a continuation without resync, DUMP
 * of whole records, malformed record headers and record length bounds. The fixture is
 * tests/util/sim_tls_tx_fixture.h.
 */
#include "sim_tls_tx_fixture.h"

/*
 * OOO resync as the kernel does it (fact sheet 10.4): records are sent up to the middle of record
 * 4; then a segment starting inside record `m` is retransmitted: [static params with record m's
 * number, if it differs from the last one posted] + progress START + DUMP of record m from its
 * header up to the segment (in <= MSS chunks) + data continuing mid-record to the end. Both the
 * first transmission and the retransmission must be byte-exact.
 */
static void run_resync(struct suite *s, size_t m, size_t into, bool post_static)
{
	static const size_t data[6] = { 3000, 100, 5000, 0, 2000, 700 };
	struct sim_tls_tx_stats st, st0;
	size_t sent, start, dumped = 0;
	struct sim_tls_tx *tx;
	struct stream str;
	uint8_t *buf, pp[12];

	CU_ASSERT_EQUAL_FATAL(stream_build(&str, s, data, 6, s->rn0), 0);
	buf = malloc(str.len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
	tx = engine_new(s);
	CU_ASSERT_PTR_NOT_NULL_FATAL(tx);
	memcpy(buf, str.plain, str.len);
	sent = str.off[4] + 700;
	CU_ASSERT_EQUAL(feed_mss(tx, TCP_SEQ0, buf, sent, MSS), 0);
	CU_ASSERT_EQUAL(memcmp(buf, str.expect, sent), 0);
	sim_tls_tx_get_stats(tx, &st0);

	start = str.off[m] + into;
	if (post_static) {
		uint8_t sp[64];

		static_params(sp, s, str.rn[m]);
		CU_ASSERT_EQUAL(sim_tls_tx_set_static(tx, sp, s->key, s->key_len), 0);
	}
	progress_start(pp);
	CU_ASSERT_EQUAL(sim_tls_tx_set_progress(tx, pp), 0);
	/* DUMP: the record prefix, from the driver's plaintext copy; must not be modified */
	while (dumped < into) {
		size_t k = into - dumped < MSS ? into - dumped : MSS;

		CU_ASSERT_EQUAL(sim_tls_tx_dump(tx, str.plain + str.off[m] + dumped, k), 0);
		dumped += k;
	}
	memcpy(buf + start, str.plain + start, str.len - start);
	CU_ASSERT_EQUAL(feed_mss(tx, TCP_SEQ0 + (uint32_t)start, buf + start, str.len - start, MSS),
			0);
	if (!stream_ok(s, &str, buf)) {
		printf("\n%s resync m=%zu into=%zu static=%d: wrong bytes\n", suite_name(s), m,
		       into, post_static);
		CU_FAIL("resync");
	}
	sim_tls_tx_get_stats(tx, &st);
	CU_ASSERT_EQUAL(st.seq_mismatch, 0);
	CU_ASSERT_EQUAL(st.dump_bytes, into);
	CU_ASSERT_EQUAL(st.starts, st0.starts + 1);
	CU_ASSERT_EQUAL(st.record_number, s->rn0 + 6);
	CU_ASSERT_EQUAL(st.expected_seq, TCP_SEQ0 + (uint32_t)str.len);
	/* records completed: 4 in the first pass, then m..5 again */
	CU_ASSERT_EQUAL(st.records, 4 + (6 - m));
	free(buf);
	stream_free(&str);
	sim_tls_tx_destroy(tx);
}

static void test_resync_dump(void)
{
	struct suite s[4];

	suites4(s, 0x10);
	for (int k = 0; k < 4; k++) {
		size_t h = s[k].tls13 ? 5 : 13;

		run_resync(&s[k], 2, 1448 * 2 + 77, true); /* mid-payload, DUMP in 3 chunks */
		run_resync(&s[k], 2, 0, true);              /* at the record start: no DUMP */
		run_resync(&s[k], 2, 3, true);              /* inside the header */
		run_resync(&s[k], 0, 8, true);              /* TLS 1.2: inside the explicit nonce */
		run_resync(&s[k], 1, h + 100 + 5, true);    /* inside the tag */
		run_resync(&s[k], 3, h + 2, true);          /* empty record, in its tag */
		/* R2: record m is the one of the last static params -> progress params only */
		run_resync(&s[k], 0, 1000, false);
		suite_wipe(&s[k]);
	}
}

/*
 * The same retransmission WITHOUT resync: the engine continues the stream it was in (the middle
 * of record 4), so the retransmitted bytes are encrypted with the wrong keystream and the tag
 * lands in the wrong place - the reference decryption rejects the record, and the mismatch is
 * counted. A correct continuation carrying a wrong sequence is still counted.
 */
static void test_no_resync(void)
{
	static const size_t data[6] = { 3000, 100, 5000, 0, 2000, 700 };
	struct suite s[4];

	suites4(s, 0x20);
	for (int k = 0; k < 4; k++) {
		struct sim_tls_tx_stats st;
		struct sim_tls_tx *tx;
		struct stream str;
		size_t sent, start;
		uint8_t *buf;

		CU_ASSERT_EQUAL_FATAL(stream_build(&str, &s[k], data, 6, s[k].rn0), 0);
		buf = malloc(str.len);
		CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
		tx = engine_new(&s[k]);
		CU_ASSERT_PTR_NOT_NULL_FATAL(tx);
		memcpy(buf, str.plain, str.len);
		sent = str.off[4] + 700;
		CU_ASSERT_EQUAL(feed_mss(tx, TCP_SEQ0, buf, sent, MSS), 0);

		start = str.off[2] + 1448 * 2 + 77;
		memcpy(buf + start, str.plain + start, str.len - start);
		CU_ASSERT_EQUAL(sim_tls_tx_data(tx, TCP_SEQ0 + (uint32_t)start, buf + start,
						str.off[3] - start), 0);
		sim_tls_tx_get_stats(tx, &st);
		CU_ASSERT_EQUAL(st.seq_mismatch, 1);
		{
			uint8_t plain[6000];

			CU_ASSERT_NOT_EQUAL(ref_decrypt(&s[k], str.rn[2], buf + str.off[2],
							str.rlen[2], plain), 0);
		}
		CU_ASSERT_NOT_EQUAL(memcmp(buf + start, str.expect + start, str.off[3] - start), 0);
		free(buf);
		stream_free(&str);
		sim_tls_tx_destroy(tx);

		/* right bytes, wrong sequence: output right, mismatch counted anyway */
		tx = engine_new(&s[k]);
		CU_ASSERT_PTR_NOT_NULL_FATAL(tx);
		CU_ASSERT_EQUAL_FATAL(stream_build(&str, &s[k], data, 2, s[k].rn0), 0);
		buf = malloc(str.len);
		CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
		memcpy(buf, str.plain, str.len);
		CU_ASSERT_EQUAL(sim_tls_tx_data(tx, 1000, buf, 500), 0);
		CU_ASSERT_EQUAL(sim_tls_tx_data(tx, 5000, buf + 500, str.len - 500), 0);
		CU_ASSERT(stream_ok(&s[k], &str, buf));
		sim_tls_tx_get_stats(tx, &st);
		CU_ASSERT_EQUAL(st.seq_mismatch, 1);
		CU_ASSERT_EQUAL(st.expected_seq, 5000 + (uint32_t)(str.len - 500));
		free(buf);
		stream_free(&str);
		sim_tls_tx_destroy(tx);
		suite_wipe(&s[k]);
	}
}

/*
 * R6: a malformed header (length below the overhead or above 2^14 + 256, version not 0x0303,
 * TLS 1.3 outer type not 0x17) is counted and every byte from it on passes unmodified, including
 * well-formed records after it, until a START; after START records encrypt again.
 */
static void run_malformed(struct suite *s, int how)
{
	static const size_t data[3] = { 50, 60, 70 };
	struct sim_tls_tx_stats st;
	struct sim_tls_tx *tx;
	struct stream str;
	uint8_t *buf, pp[12];
	uint8_t *h;

	CU_ASSERT_EQUAL_FATAL(stream_build(&str, s, data, 3, s->rn0), 0);
	buf = malloc(str.len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
	tx = engine_new(s);
	CU_ASSERT_PTR_NOT_NULL_FATAL(tx);
	h = str.plain + str.off[1];
	switch (how) {
	case 0: /* length one below the overhead */
		h[3] = 0;
		h[4] = s->tls13 ? 16 : 23;
		break;
	case 1: /* length 2^14 + 256 + 1 */
		h[3] = (16384 + 257) >> 8;
		h[4] = (16384 + 257) & 0xff;
		break;
	case 2: /* version 0x0301 */
		h[2] = 0x01;
		break;
	default: /* TLS 1.3: outer type handshake; TLS 1.2: length 0 */
		if (s->tls13) {
			h[0] = 0x16;
		} else {
			h[3] = 0;
			h[4] = 0;
		}
		break;
	}
	memcpy(buf, str.plain, str.len);
	CU_ASSERT_EQUAL(feed_mss(tx, 0, buf, str.len, 37), 0);
	CU_ASSERT_EQUAL(memcmp(buf, str.expect, str.off[1]), 0);
	CU_ASSERT_EQUAL(memcmp(buf + str.off[1], str.plain + str.off[1], str.len - str.off[1]), 0);
	sim_tls_tx_get_stats(tx, &st);
	CU_ASSERT_EQUAL(st.malformed, 1);
	CU_ASSERT_EQUAL(st.records, 1);
	CU_ASSERT_EQUAL(st.state, SIM_TLS_TX_PASSTHROUGH);
	CU_ASSERT_EQUAL(st.passthrough_bytes, str.len - str.off[1] - 5);
	CU_ASSERT_EQUAL(st.record_number, s->rn0 + 1);
	CU_ASSERT_EQUAL(sim_tls_tx_dump(tx, str.plain, 10), 0); /* DUMP also just consumed */

	/* resync to record 2 (static params + START): encrypts again */
	{
		uint8_t sp[64];

		static_params(sp, s, str.rn[2]);
		CU_ASSERT_EQUAL(sim_tls_tx_set_static(tx, sp, s->key, s->key_len), 0);
	}
	progress_start(pp);
	CU_ASSERT_EQUAL(sim_tls_tx_set_progress(tx, pp), 0);
	memcpy(buf + str.off[2], str.plain + str.off[2], str.rlen[2]);
	CU_ASSERT_EQUAL(sim_tls_tx_data(tx, 99, buf + str.off[2], str.rlen[2]), 0);
	CU_ASSERT_EQUAL(memcmp(buf + str.off[2], str.expect + str.off[2], str.rlen[2]), 0);
	sim_tls_tx_get_stats(tx, &st);
	CU_ASSERT_EQUAL(st.records, 2);
	CU_ASSERT_EQUAL(st.malformed, 1);
	CU_ASSERT_EQUAL(st.state, SIM_TLS_TX_HEADER);
	free(buf);
	stream_free(&str);
	sim_tls_tx_destroy(tx);
}

static void test_malformed(void)
{
	struct suite s[4];

	suites4(s, 0x30);
	for (int k = 0; k < 4; k++) {
		for (int how = 0; how < 4; how++)
			run_malformed(&s[k], how);
		suite_wipe(&s[k]);
	}
}

/* Boundary lengths are well-formed: TLS 1.2 length 24 (empty), 1.3 length 17, both 2^14 + 256. */
static void test_length_bounds(void)
{
	struct suite s[4];

	suites4(s, 1);
	for (int k = 0; k < 4; k++) {
		/* the largest legal record: 2^14 + 256 minus the overhead of data */
		size_t data[2] = { 0, 16384 + 256 - (s[k].tls13 ? 17 : 24) };
		struct sim_tls_tx_stats st;
		struct sim_tls_tx *tx = engine_new(&s[k]);
		struct stream str;
		uint8_t *buf;

		CU_ASSERT_PTR_NOT_NULL_FATAL(tx);
		CU_ASSERT_EQUAL_FATAL(stream_build(&str, &s[k], data, 2, s[k].rn0), 0);
		buf = malloc(str.len);
		CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
		memcpy(buf, str.plain, str.len);
		CU_ASSERT_EQUAL(feed_mss(tx, 0, buf, str.len, MSS), 0);
		CU_ASSERT(stream_ok(&s[k], &str, buf));
		sim_tls_tx_get_stats(tx, &st);
		CU_ASSERT_EQUAL(st.malformed, 0);
		CU_ASSERT_EQUAL(st.records, 2);
		free(buf);
		stream_free(&str);
		sim_tls_tx_destroy(tx);
		suite_wipe(&s[k]);
	}
}

/* DUMP of whole records advances the record count and produces nothing (R7). */
static void test_dump_whole_records(void)
{
	static const size_t data[3] = { 300, 0, 5000 };
	struct sim_tls_tx_stats st;
	struct sim_tls_tx *tx;
	struct stream str;
	struct suite s;
	uint8_t *copy, *buf;

	suite_init(&s, false, 16, 40);
	tx = engine_new(&s);
	CU_ASSERT_PTR_NOT_NULL_FATAL(tx);
	CU_ASSERT_EQUAL_FATAL(stream_build(&str, &s, data, 3, 40), 0);
	copy = malloc(str.len);
	buf = malloc(str.len);
	CU_ASSERT_FATAL(copy && buf);
	memcpy(copy, str.plain, str.len);
	CU_ASSERT_EQUAL(sim_tls_tx_dump(tx, copy, str.off[2]), 0);
	CU_ASSERT_EQUAL(memcmp(copy, str.plain, str.len), 0);
	sim_tls_tx_get_stats(tx, &st);
	CU_ASSERT_EQUAL(st.records, 2);
	CU_ASSERT_EQUAL(st.record_number, 42);
	CU_ASSERT_EQUAL(st.bytes_encrypted, 0);
	CU_ASSERT_EQUAL(st.dump_bytes, str.off[2]);
	CU_ASSERT_FALSE(st.seq_known);
	memcpy(buf, str.plain, str.len);
	CU_ASSERT_EQUAL(sim_tls_tx_data(tx, 0, buf + str.off[2], str.rlen[2]), 0);
	CU_ASSERT_EQUAL(memcmp(buf + str.off[2], str.expect + str.off[2], str.rlen[2]), 0);
	free(copy);
	free(buf);
	stream_free(&str);
	sim_tls_tx_destroy(tx);
	suite_wipe(&s);
}

static const struct test_case tls_tx_cases[] = {
	{ "OOO resync: static + START + DUMP prefix + data", test_resync_dump },
	{ "continuation without resync: wrong tag, seq_mismatch", test_no_resync },
	{ "malformed record header: counted, passthrough until START", test_malformed },
	{ "record length bounds", test_length_bounds },
	{ "DUMP of whole records", test_dump_whole_records },
	{ NULL, NULL },
};

static const struct test_suite suites[] = {
	{ "sim TLS TX engine", NULL, NULL, tls_tx_cases },
	{ NULL, NULL, NULL, NULL },
};

int main(void)
{
	return test_run_suites(suites);
}
