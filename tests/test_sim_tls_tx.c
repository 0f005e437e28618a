/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Device model: the TLS TX crypto engine (sim/tls_tx.h) on in-order streams - static/progress
 * params and states, records of the four suites in one segment, MSS segments and random splits,
 * every split of a 2-record stream, state inspection, record numbers above 2^32 in the TLS 1.3
 * nonce and the TLS 1.2 AAD, rekey, when the OpenSSL context is made and the key copy wiped, and
 * the ops adapter. The fixture (suites, record streams, the reference cipher) is
 * tests/util/sim_tls_tx_fixture.h; out-of-order sends, DUMP and malformed records are in
 * test_sim_tls_tx_resync.c.
 */
#include "secret.h"
#include "sim/tls_evp.h"
#include "sim_tls_tx_fixture.h"

/* Static/progress params decoding: const fields, versions, key sizes, states (R3, R4). */
static void test_params(void)
{
	struct sim_tls_tx *tx = sim_tls_tx_create();
	struct sim_tls_tx_stats st;
	uint8_t sp[64], bad[64], pp[12], badp[12], buf[8] = { 0 };
	struct suite s;

	CU_ASSERT_PTR_NOT_NULL_FATAL(tx);
	suite_init(&s, false, 16, 7);
	static_params(sp, &s, 7);
	progress_start(pp);

	/* the builder's bytes are the fact sheet's (section 14): 89 00 00 01 */
	CU_ASSERT(sp[0] == 0x89 && sp[3] == 0x01);
	sim_tls_tx_get_stats(tx, &st);
	CU_ASSERT_EQUAL(st.state, SIM_TLS_TX_NO_STATIC);
	CU_ASSERT_EQUAL(sim_tls_tx_data(tx, 0, buf, sizeof(buf)), -EPROTO);
	CU_ASSERT_EQUAL(sim_tls_tx_dump(tx, buf, sizeof(buf)), -EPROTO);
	CU_ASSERT_EQUAL(sim_tls_tx_set_progress(tx, pp), -EPROTO);

	memcpy(bad, sp, 64);
	bad[0] = (uint8_t)((bad[0] & 0x3f) | 0x40); /* const_2 = 1 */
	CU_ASSERT_EQUAL(sim_tls_tx_set_static(tx, bad, s.key, 16), -EINVAL);
	memcpy(bad, sp, 64);
	bad[0] = (uint8_t)((bad[0] & 0xfc) | 0x02); /* const_1 = 2 */
	CU_ASSERT_EQUAL(sim_tls_tx_set_static(tx, bad, s.key, 16), -EINVAL);
	memcpy(bad, sp, 64);
	bad[3] = 0x02; /* encryption_standard = 2 */
	CU_ASSERT_EQUAL(sim_tls_tx_set_static(tx, bad, s.key, 16), -EINVAL);
	memcpy(bad, sp, 64);
	bad[3] = 0x00;
	CU_ASSERT_EQUAL(sim_tls_tx_set_static(tx, bad, s.key, 16), -EINVAL);
	for (uint8_t v = 0; v < 16; v++) {
		memcpy(bad, sp, 64);
		bad[0] = (uint8_t)(0x81 | v << 2);
		CU_ASSERT_EQUAL(sim_tls_tx_set_static(tx, bad, s.key, 16),
				v == 2 || v == 3 ? 0 : -EINVAL);
	}
	CU_ASSERT_EQUAL(sim_tls_tx_set_static(tx, sp, s.key, 24), -EINVAL);
	CU_ASSERT_EQUAL(sim_tls_tx_set_static(tx, sp, s.key, 0), -EINVAL);
	CU_ASSERT_EQUAL(sim_tls_tx_set_static(tx, sp, s.key, 16), 0);
	CU_ASSERT_EQUAL(sim_tls_tx_set_static(tx, sp, s.key, 32), 0);
	sim_tls_tx_get_stats(tx, &st);
	CU_ASSERT_EQUAL(st.state, SIM_TLS_TX_WAIT_START);
	CU_ASSERT_EQUAL(st.key_bits, 256);
	CU_ASSERT_EQUAL(st.record_number, 7);
	CU_ASSERT_FALSE(st.tls13);
	CU_ASSERT_EQUAL(st.statics, 4); /* versions 2 and 3, 128 and 256 */
	/* R4: static params without START */
	CU_ASSERT_EQUAL(sim_tls_tx_data(tx, 0, buf, sizeof(buf)), -EPROTO);
	CU_ASSERT_EQUAL(sim_tls_tx_dump(tx, buf, sizeof(buf)), -EPROTO);

	/* R3: only START / NO_OFFLOAD / next_record_tcp_sn 0 / device fields 0 */
	memcpy(badp, pp, 12);
	badp[8] = 0x40; /* TRACKING */
	CU_ASSERT_EQUAL(sim_tls_tx_set_progress(tx, badp), -EINVAL);
	badp[8] = 0x80; /* SEARCHING */
	CU_ASSERT_EQUAL(sim_tls_tx_set_progress(tx, badp), -EINVAL);
	badp[8] = 0x10; /* auth OFFLOAD */
	CU_ASSERT_EQUAL(sim_tls_tx_set_progress(tx, badp), -EINVAL);
	badp[8] = 0x01; /* reserved_at_44 */
	CU_ASSERT_EQUAL(sim_tls_tx_set_progress(tx, badp), -EINVAL);
	memcpy(badp, pp, 12);
	badp[3] = 1; /* next_record_tcp_sn */
	CU_ASSERT_EQUAL(sim_tls_tx_set_progress(tx, badp), -EINVAL);
	memcpy(badp, pp, 12);
	badp[5] = 1; /* hw_resync_tcp_sn */
	CU_ASSERT_EQUAL(sim_tls_tx_set_progress(tx, badp), -EINVAL);
	memcpy(badp, pp, 12);
	badp[11] = 1; /* hw_offset_record_number */
	CU_ASSERT_EQUAL(sim_tls_tx_set_progress(tx, badp), -EINVAL);
	sim_tls_tx_get_stats(tx, &st);
	CU_ASSERT_EQUAL(st.state, SIM_TLS_TX_WAIT_START);
	CU_ASSERT_EQUAL(st.starts, 0);

	CU_ASSERT_EQUAL(sim_tls_tx_set_progress(tx, pp), 0);
	sim_tls_tx_get_stats(tx, &st);
	CU_ASSERT_EQUAL(st.state, SIM_TLS_TX_HEADER);
	CU_ASSERT_EQUAL(st.starts, 1);
	CU_ASSERT_FALSE(st.seq_known);
	/* a bad static params post leaves the context as it was */
	bad[0] = 0x41;
	CU_ASSERT_EQUAL(sim_tls_tx_set_static(tx, bad, s.key, 16), -EINVAL);
	sim_tls_tx_get_stats(tx, &st);
	CU_ASSERT_EQUAL(st.state, SIM_TLS_TX_HEADER);
	/* len 0 changes nothing */
	CU_ASSERT_EQUAL(sim_tls_tx_data(tx, 5, buf, 0), 0);
	sim_tls_tx_get_stats(tx, &st);
	CU_ASSERT_FALSE(st.seq_known);
	CU_ASSERT_EQUAL(sim_tls_tx_data(tx, 5, NULL, 1), -EINVAL);
	CU_ASSERT_EQUAL(sim_tls_tx_dump(tx, NULL, 1), -EINVAL);
	CU_ASSERT_STRING_EQUAL(sim_tls_tx_state_str(SIM_TLS_TX_PAYLOAD), "PAYLOAD");
	CU_ASSERT_STRING_EQUAL(sim_tls_tx_state_str((enum sim_tls_tx_state)99), "?");

	sim_tls_tx_destroy(tx);
	sim_tls_tx_destroy(NULL);
	suite_wipe(&s);
}

/* Data lengths: 0, block edges, 16384 (max), MSS-ish and random ones. */
static size_t stream_lengths(size_t *data, size_t max)
{
	static const size_t fixed[] = { 0, 1, 15, 16, 17, 31, 1000,
					16384, 0, 1448, 4096, 16384, 2 };
	size_t n = 0;

	for (; n < sizeof(fixed) / sizeof(fixed[0]) && n < max; n++)
		data[n] = fixed[n];
	for (; n < 24 && n < max; n++)
		data[n] = (size_t)(rnd() % 16385);
	return n;
}

/* N records through one suite: one segment, MSS segments, random segments. */
static void run_stream_suite(struct suite *s)
{
	size_t data[MAX_RECS], n = stream_lengths(data, MAX_RECS), *cuts, ncuts;
	size_t sum_plen = 0;
	struct sim_tls_tx_stats st;
	struct stream str;
	uint8_t *buf;

	CU_ASSERT_EQUAL_FATAL(stream_build(&str, s, data, n, s->rn0), 0);
	buf = malloc(str.len);
	cuts = malloc(str.len * sizeof(*cuts));
	CU_ASSERT_FATAL(buf && cuts);
	for (size_t i = 0; i < n; i++)
		sum_plen += str.plen[i];

	/* the reference itself: the plaintext stream does not authenticate, the expected one
	 * does */
	CU_ASSERT_EQUAL(stream_bad_records(s, &str, str.plain), (int)n);
	CU_ASSERT_EQUAL(stream_bad_records(s, &str, str.expect), 0);

	for (int mode = 0; mode < 4; mode++) {
		struct sim_tls_tx *tx = engine_new(s);
		int ret;

		CU_ASSERT_PTR_NOT_NULL_FATAL(tx);
		memcpy(buf, str.plain, str.len);
		if (mode == 0) { /* every record in one segment */
			ret = sim_tls_tx_data(tx, TCP_SEQ0, buf, str.len);
		} else if (mode == 1) { /* MSS segments: records span many segments */
			ret = feed_mss(tx, TCP_SEQ0, buf, str.len, MSS);
		} else { /* random cut points, small (mode 2) or up to 20000 bytes (mode 3) */
			size_t span = mode == 2 ? 64 : 20000;

			ncuts = 0;
			for (size_t p = 1 + rnd() % span; p < str.len; p += 1 + rnd() % span)
				cuts[ncuts++] = p;
			ret = feed(tx, TCP_SEQ0, buf, str.len, cuts, ncuts);
		}
		CU_ASSERT_EQUAL(ret, 0);
		if (!stream_ok(s, &str, buf)) {
			printf("\n%s mode %d: output differs from the reference\n", suite_name(s),
			       mode);
			CU_FAIL("stream");
		}
		sim_tls_tx_get_stats(tx, &st);
		CU_ASSERT_EQUAL(st.records, n);
		CU_ASSERT_EQUAL(st.bytes_encrypted, sum_plen);
		CU_ASSERT_EQUAL(st.data_bytes, str.len);
		CU_ASSERT_EQUAL(st.seq_mismatch, 0);
		CU_ASSERT_EQUAL(st.malformed, 0);
		CU_ASSERT_EQUAL(st.dump_bytes, 0);
		CU_ASSERT_EQUAL(st.state, SIM_TLS_TX_HEADER);
		CU_ASSERT_EQUAL(st.record_number, s->rn0 + n);
		CU_ASSERT_EQUAL(st.record_offset, 0);
		CU_ASSERT(st.seq_known);
		CU_ASSERT_EQUAL(st.expected_seq, TCP_SEQ0 + (uint32_t)str.len);
		CU_ASSERT_EQUAL(st.tls13, s->tls13);
		CU_ASSERT_EQUAL(st.key_bits, s->key_len * 8);
		sim_tls_tx_destroy(tx);
	}
	free(cuts);
	free(buf);
	stream_free(&str);
}

static void test_stream(void)
{
	struct suite s[4];

	suites4(s, 0);
	s[1].rn0 = 0x1122334455667788ull;
	s[3].rn0 = 1000;
	for (int i = 0; i < 4; i++) {
		run_stream_suite(&s[i]);
		suite_wipe(&s[i]);
	}
}

/*
 * A short 2-record stream (TLS 1.2: data 20 and 0 bytes; TLS 1.3: 20 and 0 + type byte) cut into
 * two segments at every position, into three at every pair of positions, and one byte per
 * segment; between runs the context is restarted with progress params only (R2: the record number
 * restarts at the static params' one).
 */
static void test_every_split(void)
{
	static const size_t data[2] = { 20, 0 };
	struct suite s[4];

	suites4(s, 3);
	for (int k = 0; k < 4; k++) {
		struct sim_tls_tx *tx = engine_new(&s[k]);
		struct stream str;
		uint8_t buf[128], pp[12];
		size_t cuts[2];
		int fails = 0, runs = 0;

		CU_ASSERT_PTR_NOT_NULL_FATAL(tx);
		CU_ASSERT_EQUAL_FATAL(stream_build(&str, &s[k], data, 2, s[k].rn0), 0);
		CU_ASSERT_FATAL(str.len <= sizeof(buf));
		progress_start(pp);
		for (size_t i = 0; i <= str.len; i++) {
			for (size_t j = i; j <= str.len; j++) {
				cuts[0] = i;
				cuts[1] = j;
				memcpy(buf, str.plain, str.len);
				if (sim_tls_tx_set_progress(tx, pp) ||
				    feed(tx, (uint32_t)(i * 7), buf, str.len, cuts, 2) ||
				    !stream_ok(&s[k], &str, buf))
					fails++;
				runs++;
			}
		}
		/* one byte per segment */
		memcpy(buf, str.plain, str.len);
		if (sim_tls_tx_set_progress(tx, pp) || feed_mss(tx, 0, buf, str.len, 1) ||
		    !stream_ok(&s[k], &str, buf))
			fails++;
		if (fails)
			printf("\n%s: %d of %d splits wrong\n", suite_name(&s[k]), fails, runs + 1);
		CU_ASSERT_EQUAL(fails, 0);
		{
			struct sim_tls_tx_stats st;

			sim_tls_tx_get_stats(tx, &st);
			CU_ASSERT_EQUAL(st.seq_mismatch, 0);
			CU_ASSERT_EQUAL(st.records, 2u * (size_t)(runs + 1));
		}
		stream_free(&str);
		sim_tls_tx_destroy(tx);
		suite_wipe(&s[k]);
	}
}

/* Partial header / nonce / payload / tag states are visible and carried across segments. */
static void test_state_inspection(void)
{
	static const size_t data[1] = { 40 };
	struct sim_tls_tx_stats st;
	struct sim_tls_tx *tx;
	struct stream str;
	struct suite s;
	uint8_t buf[128];

	suite_init(&s, false, 16, 9);
	tx = engine_new(&s);
	CU_ASSERT_PTR_NOT_NULL_FATAL(tx);
	CU_ASSERT_EQUAL_FATAL(stream_build(&str, &s, data, 1, 9), 0); /* 5 + 8 + 40 + 16 = 69 */
	memcpy(buf, str.plain, str.len);
	CU_ASSERT_EQUAL(sim_tls_tx_data(tx, 100, buf, 3), 0);
	sim_tls_tx_get_stats(tx, &st);
	CU_ASSERT(st.state == SIM_TLS_TX_HEADER && st.record_offset == 3 && st.record_len == 0);
	CU_ASSERT(st.seq_known && st.expected_seq == 103);
	CU_ASSERT_EQUAL(sim_tls_tx_data(tx, 103, buf + 3, 6), 0);
	sim_tls_tx_get_stats(tx, &st);
	CU_ASSERT(st.state == SIM_TLS_TX_NONCE && st.record_offset == 9 && st.record_len == 69);
	CU_ASSERT_EQUAL(sim_tls_tx_data(tx, 109, buf + 9, 10), 0);
	sim_tls_tx_get_stats(tx, &st);
	CU_ASSERT(st.state == SIM_TLS_TX_PAYLOAD && st.record_offset == 19);
	CU_ASSERT_EQUAL(st.bytes_encrypted, 6);
	CU_ASSERT_EQUAL(sim_tls_tx_data(tx, 119, buf + 19, 40), 0);
	sim_tls_tx_get_stats(tx, &st);
	CU_ASSERT(st.state == SIM_TLS_TX_TAG && st.record_offset == 59 && st.record_number == 9);
	CU_ASSERT_EQUAL(sim_tls_tx_data(tx, 159, buf + 59, 10), 0);
	sim_tls_tx_get_stats(tx, &st);
	CU_ASSERT(st.state == SIM_TLS_TX_HEADER && st.record_offset == 0 && st.record_number == 10);
	CU_ASSERT(st.records == 1 && st.data_segments == 5 && st.expected_seq == 169);
	CU_ASSERT(stream_ok(&s, &str, buf));
	stream_free(&str);
	sim_tls_tx_destroy(tx);
	suite_wipe(&s);
}

/*
 * TLS 1.3 nonce = (salt || iv) XOR (0^4 || BE64 record number), with a record number above 2^32
 * so the XOR reaches the high bytes, across a 2^32 carry; a reference that used only the low 32
 * bits of the record number (or no XOR) rejects the records.
 */
static void test_tls13_nonce(void)
{
	static const size_t data[4] = { 100, 0, 16384, 33 };
	const uint64_t rn0 = 0x00000001fffffffeull;
	struct suite s[2];

	suite_init(&s[0], true, 16, rn0);
	suite_init(&s[1], true, 32, rn0);
	for (int k = 0; k < 2; k++) {
		struct sim_tls_tx *tx = engine_new(&s[k]);
		struct stream str;
		uint8_t *buf, *plain;

		CU_ASSERT_PTR_NOT_NULL_FATAL(tx);
		CU_ASSERT_EQUAL_FATAL(stream_build(&str, &s[k], data, 4, rn0), 0);
		buf = malloc(str.len);
		plain = malloc(str.len);
		CU_ASSERT_FATAL(buf && plain);
		memcpy(buf, str.plain, str.len);
		CU_ASSERT_EQUAL(feed_mss(tx, 1, buf, str.len, MSS), 0);
		CU_ASSERT(stream_ok(&s[k], &str, buf));
		for (size_t i = 0; i < 4; i++) {
			CU_ASSERT_EQUAL(ref_decrypt(&s[k], str.rn[i], buf + str.off[i], str.rlen[i],
						    plain), 0);
			CU_ASSERT_NOT_EQUAL(ref_decrypt(&s[k], (uint32_t)str.rn[i],
							buf + str.off[i], str.rlen[i], plain), 0);
			CU_ASSERT_NOT_EQUAL(ref_decrypt(&s[k], 0, buf + str.off[i], str.rlen[i],
							plain), 0);
		}
		free(buf);
		free(plain);
		stream_free(&str);
		sim_tls_tx_destroy(tx);
		suite_wipe(&s[k]);
	}
}

/* TLS 1.2 with a record number above 2^32: the AAD carries all 64 bits. */
static void test_tls12_big_rn(void)
{
	static const size_t data[3] = { 10, 16384, 0 };
	struct suite s;
	struct sim_tls_tx *tx;
	struct stream str;
	uint8_t *buf, *plain;

	suite_init(&s, false, 32, 0xfedcba9876543210ull);
	tx = engine_new(&s);
	CU_ASSERT_PTR_NOT_NULL_FATAL(tx);
	CU_ASSERT_EQUAL_FATAL(stream_build(&str, &s, data, 3, s.rn0), 0);
	buf = malloc(str.len);
	plain = malloc(str.len);
	CU_ASSERT_FATAL(buf && plain);
	memcpy(buf, str.plain, str.len);
	CU_ASSERT_EQUAL(feed_mss(tx, 77, buf, str.len, 1000), 0);
	CU_ASSERT(stream_ok(&s, &str, buf));
	CU_ASSERT_NOT_EQUAL(ref_decrypt(&s, (uint32_t)str.rn[0], buf, str.rlen[0], plain), 0);
	free(buf);
	free(plain);
	stream_free(&str);
	sim_tls_tx_destroy(tx);
	suite_wipe(&s);
}

/* A new key and record number 0 (TLS 1.3 key update / rekey) takes effect after START. */
static void test_rekey(void)
{
	static const size_t data[2] = { 500, 70 };
	struct suite a, b;
	struct stream sa, sb;
	struct sim_tls_tx *tx;
	uint8_t buf[2048];

	suite_init(&a, true, 16, 5);
	suite_init(&b, true, 32, 0);
	tx = engine_new(&a);
	CU_ASSERT_PTR_NOT_NULL_FATAL(tx);
	CU_ASSERT_EQUAL_FATAL(stream_build(&sa, &a, data, 2, 5), 0);
	CU_ASSERT_EQUAL_FATAL(stream_build(&sb, &b, data, 2, 0), 0);
	memcpy(buf, sa.plain, sa.len);
	CU_ASSERT_EQUAL(sim_tls_tx_data(tx, 0, buf, sa.len), 0);
	CU_ASSERT(stream_ok(&a, &sa, buf));
	CU_ASSERT_EQUAL(engine_sync(tx, &b, 0), 0);
	memcpy(buf, sb.plain, sb.len);
	CU_ASSERT_EQUAL(sim_tls_tx_data(tx, (uint32_t)sa.len, buf, sb.len), 0);
	CU_ASSERT(stream_ok(&b, &sb, buf));
	stream_free(&sa);
	stream_free(&sb);
	sim_tls_tx_destroy(tx);
	suite_wipe(&a);
	suite_wipe(&b);
}

struct key_scan {
	const uint8_t *key;
	size_t len;
	int found;
};

static void key_scan_region(void *ctx, const void *addr, size_t len)
{
	struct key_scan *k = ctx;
	const uint8_t *p = addr;

	for (size_t i = 0; i + k->len <= len; i++)
		if (p[i] == k->key[0] && !memcmp(p + i, k->key, k->len))
			k->found++;
}

/* Copies of key in secret memory (where the engine state lives). */
static int key_copies(const struct suite *s)
{
	struct key_scan k = { s->key, s->key_len, 0 };

	secret_for_each_region(key_scan_region, &k);
	return k.found;
}

/*
 * Issue 10: a TIS's OpenSSL context is made by its first record, not by static params. Contexts
 * given static params and START (and one given another key first: a key update before any
 * record) hold none, also after a partial header; the first record still encrypts byte-exact
 * under the last key, after which the engine's key copy is gone from secret memory; static
 * params posted again (a resync) key the same context again; destroy gives it back. x 4 suites.
 */
static void test_lazy_engine(void)
{
	struct suite s4[4];

	suites4(s4, 9);
	for (int k = 0; k < 4; k++) {
		static const size_t data[2] = { 300, 40 };
		const struct suite *s = &s4[k];
		uint64_t live0 = sim_tls_evp_live();
		struct sim_tls_tx *idle[8], *tx;
		struct sim_tls_tx_stats st;
		struct stream str;
		struct suite other;
		uint8_t buf[1024];

		suite_init(&other, s->tls13, s->key_len, 0);
		CU_ASSERT_EQUAL_FATAL(stream_build(&str, s, data, 2, s->rn0), 0);
		CU_ASSERT_FATAL(str.len <= sizeof(buf));
		for (size_t i = 0; i < 8; i++) {
			idle[i] = engine_new(&other);
			CU_ASSERT_PTR_NOT_NULL_FATAL(idle[i]);
		}
		CU_ASSERT_EQUAL(sim_tls_evp_live(), live0);

		tx = engine_new(&other);
		CU_ASSERT_PTR_NOT_NULL_FATAL(tx);
		CU_ASSERT_EQUAL(engine_sync(tx, s, s->rn0), 0); /* its own key, before any record */
		CU_ASSERT_EQUAL(key_copies(s), 1);
		memcpy(buf, str.plain, str.len);
		CU_ASSERT_EQUAL(sim_tls_tx_data(tx, 0, buf, 3), 0); /* a partial header */
		sim_tls_tx_get_stats(tx, &st);
		CU_ASSERT_EQUAL(st.evp_ctxs, 0);
		CU_ASSERT_EQUAL(st.key_bits, s->key_len * 8);
		CU_ASSERT_EQUAL(sim_tls_evp_live(), live0);

		CU_ASSERT_EQUAL(sim_tls_tx_data(tx, 3, buf + 3, str.len - 3), 0);
		CU_ASSERT(stream_ok(s, &str, buf));
		sim_tls_tx_get_stats(tx, &st);
		CU_ASSERT_EQUAL(st.records, 2);
		CU_ASSERT_EQUAL(st.evp_ctxs, 1);
		CU_ASSERT_EQUAL(sim_tls_evp_live(), live0 + 1);
		CU_ASSERT_EQUAL(key_copies(s), 0); /* OpenSSL holds it now: the copy is wiped */

		/* resync to record 1 (R1, R2): static params again, START, the record re-sent */
		CU_ASSERT_EQUAL(engine_sync(tx, s, str.rn[1]), 0);
		memcpy(buf, str.plain + str.off[1], str.rlen[1]);
		CU_ASSERT_EQUAL(sim_tls_tx_data(tx, (uint32_t)str.off[1], buf, str.rlen[1]), 0);
		CU_ASSERT_EQUAL(memcmp(buf, str.expect + str.off[1], str.rlen[1]), 0);
		CU_ASSERT_EQUAL(sim_tls_evp_live(), live0 + 1);
		CU_ASSERT_EQUAL(key_copies(s), 0);

		sim_tls_tx_destroy(tx);
		for (size_t i = 0; i < 8; i++)
			sim_tls_tx_destroy(idle[i]);
		CU_ASSERT_EQUAL(sim_tls_evp_live(), live0);
		CU_ASSERT_EQUAL(key_copies(&other), 0); /* destroy wiped the idle ones' */
		stream_free(&str);
		suite_wipe(&other);
	}
	for (int k = 0; k < 4; k++)
		suite_wipe(&s4[k]);
}

/* The struct sim_tls_engine_ops adapter the SQ engine uses. */
static void test_ops(void)
{
	const struct sim_tls_engine_ops *ops = &sim_tls_tx_engine_ops;
	static const size_t data[1] = { 64 };
	struct stream str;
	struct suite s;
	uint8_t sp[64], pp[12], buf[256];
	void *ctx;

	suite_init(&s, true, 32, 2);
	CU_ASSERT_EQUAL_FATAL(stream_build(&str, &s, data, 1, 2), 0);
	ctx = ops->create();
	CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
	static_params(sp, &s, 2);
	progress_start(pp);
	CU_ASSERT_EQUAL(ops->set_static(ctx, sp, s.key, s.key_len), 0);
	CU_ASSERT_EQUAL(ops->set_progress(ctx, pp), 0);
	CU_ASSERT_EQUAL(ops->dump(ctx, str.plain, 10), 0);
	memcpy(buf, str.plain, str.len);
	CU_ASSERT_EQUAL(ops->data(ctx, 10, buf + 10, str.len - 10), 0);
	CU_ASSERT_EQUAL(memcmp(buf + 10, str.expect + 10, str.len - 10), 0);
	ops->destroy(ctx);
	stream_free(&str);
	suite_wipe(&s);
}

static const struct test_case tls_tx_cases[] = {
	{ "static/progress params decoding and states", test_params },
	{ "records x 4 suites: one segment, MSS, random splits", test_stream },
	{ "2-record stream split at every byte position", test_every_split },
	{ "state inspection across segments", test_state_inspection },
	{ "TLS 1.3 nonce XOR with record number > 2^32", test_tls13_nonce },
	{ "TLS 1.2 AAD with record number > 2^32", test_tls12_big_rn },
	{ "rekey: new key and record number after START", test_rekey },
	{ "OpenSSL context made by the first record, key copy wiped", test_lazy_engine },
	{ "engine ops adapter", test_ops },
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
