/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Device model: the TLS RX crypto engine (sim/tls_rx.h) on streams received whole - static and
 * progress params and the states they lead to, in-order streams cut every way, new keys, START
 * inside a segment, static params in each state, record numbers above 2^32, when the OpenSSL
 * contexts are made, and the engine ops table. Every case runs in place and out of place. The
 * fixture (OpenSSL record streams, their ideal image, the engine helpers) is
 * tests/util/sim_tls_rx_fixture.h; damaged streams are in test_sim_tls_rx_damage.c, lost and
 * reordered segments in test_sim_tls_rx_resync.c.
 */
#include "sim/tls_rx_internal.h" /* the key copy: wiped once both contexts hold it */
#include "sim_tls_rx_fixture.h"

/* Static/progress params decoding, states, GET_PSV image before traffic (R1, R2, R11b, R12). */
static void test_params(void)
{
	static const size_t sizes[1] = { 10 };
	struct sim_tls_rx *rx = sim_tls_rx_create();
	struct sim_tls_rx_stats st;
	uint8_t sp[64], bad[64], pp[12], badp[12], out[16], buf[8] = { 0 };
	enum sim_tls_rx_status s = SIM_TLS_RX_ERROR;
	struct rstream rs;

	CU_ASSERT_PTR_NOT_NULL_FATAL(rx);
	CU_ASSERT_EQUAL_FATAL(rstream_build(&rs, false, 128, sizes, 1), 0);
	static_params(sp, &rs, 7, 0);
	progress_start(pp, 0xdeadbeef);

	stats(rx, &st);
	CU_ASSERT_EQUAL(st.state, SIM_TLS_RX_NO_STATIC);
	CU_ASSERT_EQUAL(sim_tls_rx_set_progress(rx, pp), -EPROTO);
	CU_ASSERT_EQUAL(sim_tls_rx_get_progress(rx, out), -EPROTO);
	/* R12: packets without a context are not handled */
	CU_ASSERT_EQUAL(sim_tls_rx_packet(rx, 0, buf, sizeof(buf), true, &s), 0);
	CU_ASSERT_EQUAL(s, SIM_TLS_RX_NOT_DECRYPTED);

	/* R1: constants, versions, reserved fields, key sizes */
	memcpy(bad, sp, 64);
	bad[0] = (uint8_t)((bad[0] & 0x3f) | 0x40); /* const_2 = 1 */
	CU_ASSERT_EQUAL(sim_tls_rx_set_static(rx, bad, rs.key, 16), -EINVAL);
	memcpy(bad, sp, 64);
	bad[0] = (uint8_t)((bad[0] & 0xfc) | 0x02); /* const_1 = 2 */
	CU_ASSERT_EQUAL(sim_tls_rx_set_static(rx, bad, rs.key, 16), -EINVAL);
	memcpy(bad, sp, 64);
	bad[3] = 0x02; /* encryption_standard 2 */
	CU_ASSERT_EQUAL(sim_tls_rx_set_static(rx, bad, rs.key, 16), -EINVAL);
	for (size_t i = 0; i < 64; i++) {
		/* reserved: bits 8..27, bytes 4..7, byte 32, bytes 36..63 */
		bool reserved = (i >= 1 && i <= 2) || (i >= 4 && i <= 7) || i == 32 || i >= 36;

		if (!reserved)
			continue;
		memcpy(bad, sp, 64);
		bad[i] |= 0x01;
		CU_ASSERT_EQUAL(sim_tls_rx_set_static(rx, bad, rs.key, 16), -EINVAL);
	}
	memcpy(bad, sp, 64);
	bad[3] |= 0x10; /* reserved_at_8, low nibble side of byte 3 */
	CU_ASSERT_EQUAL(sim_tls_rx_set_static(rx, bad, rs.key, 16), -EINVAL);
	for (uint8_t v = 0; v < 16; v++) {
		memcpy(bad, sp, 64);
		bad[0] = (uint8_t)(0x81 | v << 2);
		CU_ASSERT_EQUAL(sim_tls_rx_set_static(rx, bad, rs.key, 16),
				v == 2 || v == 3 ? 0 : -EINVAL);
	}
	CU_ASSERT_EQUAL(sim_tls_rx_set_static(rx, sp, rs.key, 24), -EINVAL);
	CU_ASSERT_EQUAL(sim_tls_rx_set_static(rx, sp, NULL, 16), -EINVAL);
	CU_ASSERT_EQUAL(sim_tls_rx_set_static(rx, sp, rs.key, 16), 0);
	stats(rx, &st);
	CU_ASSERT_EQUAL(st.state, SIM_TLS_RX_WAIT_START);
	CU_ASSERT_EQUAL(st.statics, 3);
	CU_ASSERT_EQUAL(st.key_bits, 128);
	CU_ASSERT_FALSE(st.tls13);
	/* WAIT_START: the progress context is still zero */
	CU_ASSERT_EQUAL(sim_tls_rx_get_progress(rx, out), 0);
	{
		static const uint8_t zero[16] = { 0 };

		TEST_ASSERT_BYTES("GET_PSV before SET_PSV", out, zero, 16);
	}
	CU_ASSERT_EQUAL(sim_tls_rx_packet(rx, 0, buf, sizeof(buf), true, &s), 0);
	CU_ASSERT_EQUAL(s, SIM_TLS_RX_NOT_DECRYPTED);

	/* R2: only START / NO_OFFLOAD / device fields zero */
	memcpy(badp, pp, 12);
	badp[8] = 0x40; /* TRACKING */
	CU_ASSERT_EQUAL(sim_tls_rx_set_progress(rx, badp), -EINVAL);
	badp[8] = 0x80; /* SEARCHING */
	CU_ASSERT_EQUAL(sim_tls_rx_set_progress(rx, badp), -EINVAL);
	badp[8] = 0x10; /* auth OFFLOAD */
	CU_ASSERT_EQUAL(sim_tls_rx_set_progress(rx, badp), -EINVAL);
	badp[8] = 0x20; /* auth AUTHENTICATION */
	CU_ASSERT_EQUAL(sim_tls_rx_set_progress(rx, badp), -EINVAL);
	badp[8] = 0x08; /* reserved_at_44 */
	CU_ASSERT_EQUAL(sim_tls_rx_set_progress(rx, badp), -EINVAL);
	memcpy(badp, pp, 12);
	badp[7] = 1; /* hw_resync_tcp_sn */
	CU_ASSERT_EQUAL(sim_tls_rx_set_progress(rx, badp), -EINVAL);
	memcpy(badp, pp, 12);
	badp[9] = 1; /* hw_offset_record_number */
	CU_ASSERT_EQUAL(sim_tls_rx_set_progress(rx, badp), -EINVAL);
	stats(rx, &st);
	CU_ASSERT_EQUAL(st.starts, 0);
	CU_ASSERT_EQUAL(sim_tls_rx_set_progress(rx, pp), 0);
	stats(rx, &st);
	CU_ASSERT_EQUAL(st.state, SIM_TLS_RX_SYNC);
	CU_ASSERT_EQUAL(st.expected_seq, 0xdeadbeef);
	CU_ASSERT_EQUAL(st.record_number, 7);
	/* fact sheet 14: progress ctx (0xdeadbeef, START, NO_OFFLOAD), behind a zero tirn */
	{
		static const uint8_t want[16] = { 0, 0, 0, 0, 0xde, 0xad, 0xbe, 0xef,
						  0, 0, 0, 0, 0,    0,    0,    0 };

		CU_ASSERT_EQUAL(sim_tls_rx_get_progress(rx, out), 0);
		TEST_ASSERT_BYTES("GET_PSV after START", out, want, 16);
	}
	/* R1: the version cannot change once started; a bad post leaves the context alone */
	memcpy(bad, sp, 64);
	bad[0] = 0x8d;
	CU_ASSERT_EQUAL(sim_tls_rx_set_static(rx, bad, rs.key, 16), -EINVAL);
	stats(rx, &st);
	CU_ASSERT_EQUAL(st.state, SIM_TLS_RX_SYNC);
	CU_ASSERT_EQUAL(st.statics, 3);
	/* arguments */
	CU_ASSERT_EQUAL(sim_tls_rx_packet(rx, 5, NULL, 1, true, &s), -EINVAL);
	CU_ASSERT_EQUAL(sim_tls_rx_packet(rx, 5, buf, 1, true, NULL), -EINVAL);
	CU_ASSERT_EQUAL(sim_tls_rx_packet(NULL, 5, buf, 1, true, &s), -EINVAL);
	s = SIM_TLS_RX_ERROR;
	CU_ASSERT_EQUAL(sim_tls_rx_packet(rx, 5, buf, 0, true, &s), 0); /* len 0: nothing */
	CU_ASSERT_EQUAL(s, SIM_TLS_RX_NOT_DECRYPTED);
	stats(rx, &st);
	CU_ASSERT_EQUAL(st.packets, 2);
	CU_ASSERT_EQUAL(st.no_context, 2);
	CU_ASSERT_EQUAL(st.pkt_not_decrypted, 2);
	CU_ASSERT_STRING_EQUAL(sim_tls_rx_state_str(SIM_TLS_RX_RESYNC_PENDING), "RESYNC_PENDING");
	CU_ASSERT_STRING_EQUAL(sim_tls_rx_state_str((enum sim_tls_rx_state)99), "?");
	CU_ASSERT_STRING_EQUAL(sim_tls_rx_status_str(SIM_TLS_RX_ERROR), "ERROR");
	CU_ASSERT_STRING_EQUAL(sim_tls_rx_status_str((enum sim_tls_rx_status)9), "?");
	CU_ASSERT_EQUAL(SIM_TLS_RX_DECRYPTED, 1); /* fact sheet 9 values */
	CU_ASSERT_EQUAL(SIM_TLS_RX_RESYNC, 2);
	CU_ASSERT_EQUAL(SIM_TLS_RX_ERROR, 3);

	sim_tls_rx_destroy(rx);
	sim_tls_rx_destroy(NULL);
	rstream_free(&rs);
}

/* Feed the whole stream in order, cut at `cuts` (sorted, inside the stream); count packets whose
 * status is not DECRYPTED or whose bytes are not the ideal image. */
static int feed_in_order(struct sim_tls_rx *rx, const struct rstream *rs, uint32_t seq0,
			 const size_t *cuts, size_t ncuts, uint8_t *got)
{
	size_t pos = 0;
	int bad = 0;

	for (size_t i = 0; i <= ncuts; i++) {
		size_t end = i < ncuts ? cuts[i] : rs->len;
		int st;

		if (end == pos)
			continue;
		st = deliver(rx, seq0, rs->wire, pos, end - pos, true, got);
		if (st != SIM_TLS_RX_DECRYPTED || !pkt_bytes_ok(st, got, rs->wire, rs->img, pos,
								end - pos))
			bad++;
		pos = end;
	}
	return bad;
}

/* R4: in-order streams x 4 suites, one record per packet, MSS segments, several records per
 * packet, random cuts; every packet DECRYPTED and the plaintext exact. */
static void test_in_order(void)
{
	for (int k = 0; k < 4; k++) {
		static const size_t fixed[] = { 1,    15,    16, 17, 100, 1448,
						4096, 16384, 2,  31, 1000 };
		size_t sizes[24], n = 0, *cuts, sum_pay = 0;
		struct rstream rs;
		uint8_t *got;

		for (; n < sizeof(fixed) / sizeof(fixed[0]); n++)
			sizes[n] = fixed[n];
		for (; n < 24; n++)
			sizes[n] = 1 + (size_t)(rnd() % 16384);
		CU_ASSERT_EQUAL_FATAL(rstream_build(&rs, SUITE_TLS13[k], SUITE_BITS[k], sizes, n),
				      0);
		got = malloc(rs.len);
		cuts = malloc(rs.len * sizeof(*cuts));
		CU_ASSERT_FATAL(got && cuts);
		for (size_t i = 0; i < n; i++)
			sum_pay += rs.rlen[i] - rec_hdr_len(&rs) - 16;
		for (int mode = 0; mode < 5; mode++) {
			struct sim_tls_rx *rx = engine_new(&rs, rs.rn[0], SEQ_WRAP);
			struct sim_tls_rx_stats st;
			size_t ncuts = 0;
			int bad;

			CU_ASSERT_PTR_NOT_NULL_FATAL(rx);
			if (mode == 0) { /* one record per packet */
				for (size_t i = 1; i < n; i++)
					cuts[ncuts++] = rs.off[i];
			} else if (mode == 1) { /* MSS segments */
				for (size_t p = MSS; p < rs.len; p += MSS)
					cuts[ncuts++] = p;
			} else if (mode == 2) { /* jumbo segments: several records per packet */
				for (size_t p = 9000; p < rs.len; p += 9000)
					cuts[ncuts++] = p;
			} else { /* random cuts, small (3) or up to 20000 bytes (4) */
				size_t span = mode == 3 ? 40 : 20000;

				for (size_t p = 1 + rnd() % span; p < rs.len; p += 1 + rnd() % span)
					cuts[ncuts++] = p;
			}
			bad = feed_in_order(rx, &rs, SEQ_WRAP, cuts, ncuts, got);
			if (bad)
				printf("\n%s mode %d: %d packets not decrypted exactly\n",
				       suite_name(rs.tls13, SUITE_BITS[k]), mode, bad);
			CU_ASSERT_EQUAL(bad, 0);
			CU_ASSERT_EQUAL(memcmp(got, rs.img, rs.len), 0);
			stats(rx, &st);
			CU_ASSERT_EQUAL(st.records_ok, n);
			CU_ASSERT_EQUAL(st.auth_failures, 0);
			CU_ASSERT_EQUAL(st.records_skipped, 0);
			CU_ASSERT_EQUAL(st.bytes_decrypted, sum_pay);
			CU_ASSERT_EQUAL(st.pkt_decrypted, st.packets);
			CU_ASSERT_EQUAL(st.bytes, rs.len);
			CU_ASSERT_EQUAL(st.state, SIM_TLS_RX_SYNC);
			CU_ASSERT_EQUAL(st.expected_seq, SEQ_WRAP + (uint32_t)rs.len);
			CU_ASSERT_EQUAL(st.record_number, rs.rn[0] + n);
			CU_ASSERT_EQUAL(st.key_bits, SUITE_BITS[k]);
			CU_ASSERT_EQUAL(st.tls13, rs.tls13);
			{
				uint8_t out[16];

				/* in sync: TRACKING/OFFLOAD, next header at the stream's end */
				CU_ASSERT_EQUAL(sim_tls_rx_get_progress(rx, out), 0);
				CU_ASSERT_EQUAL(get_be32(out + 4), SEQ_WRAP + (uint32_t)rs.len);
				CU_ASSERT_EQUAL(out[12], 0x50);
			}
			sim_tls_rx_destroy(rx);
		}
		free(cuts);
		free(got);
		rstream_free(&rs);
	}
}

/* New keys at a record boundary (a TLS 1.3 KeyUpdate, or a new context on the same flow): the
 * second stream is another connection's, so key, salt and iv all change. Re-added with static +
 * progress params (mode 0) or with static params alone, placed on the tracked header (R11,
 * mode 1). Every record of both decrypts: the salt is part of the GCM context's IV and must
 * follow the key. */
static void test_new_keys(void)
{
	for (int k = 0; k < 4; k++) {
		static const size_t sizes[] = { 16384, 1, 5000, 16384, 700 };
		const size_t n = sizeof(sizes) / sizeof(sizes[0]);
		struct rstream a, b;
		size_t cuts_a[64], cuts_b[64], na = 0, nb = 0;
		uint8_t *got_a, *got_b;

		CU_ASSERT_EQUAL_FATAL(rstream_build(&a, SUITE_TLS13[k], SUITE_BITS[k], sizes, n),
				      0);
		CU_ASSERT_EQUAL_FATAL(rstream_build(&b, SUITE_TLS13[k], SUITE_BITS[k], sizes, n),
				      0);
		CU_ASSERT_NOT_EQUAL(memcmp(a.salt, b.salt, 4) || memcmp(a.key, b.key, a.key_len),
				    0);
		got_a = malloc(a.len);
		got_b = malloc(b.len);
		CU_ASSERT_FATAL(got_a && got_b);
		for (size_t p = MSS; p < a.len; p += MSS)
			cuts_a[na++] = p;
		for (size_t p = MSS; p < b.len; p += MSS)
			cuts_b[nb++] = p;
		for (int mode = 0; mode < 2; mode++) {
			struct sim_tls_rx *rx = engine_new(&a, a.rn[0], SEQ_WRAP);
			uint32_t seq_b = SEQ_WRAP + (uint32_t)a.len;
			struct sim_tls_rx_stats st;

			CU_ASSERT_PTR_NOT_NULL_FATAL(rx);
			CU_ASSERT_EQUAL(feed_in_order(rx, &a, SEQ_WRAP, cuts_a, na, got_a), 0);
			if (mode == 0) {
				CU_ASSERT_EQUAL(engine_sync(rx, &b, b.rn[0], seq_b), 0);
			} else {
				CU_ASSERT_EQUAL(engine_answer(rx, &b, b.rn[0], seq_b), 0);
			}
			CU_ASSERT_EQUAL(feed_in_order(rx, &b, seq_b, cuts_b, nb, got_b), 0);
			CU_ASSERT_EQUAL(memcmp(got_a, a.img, a.len), 0);
			CU_ASSERT_EQUAL(memcmp(got_b, b.img, b.len), 0);
			stats(rx, &st);
			CU_ASSERT_EQUAL(st.records_ok, 2 * n);
			CU_ASSERT_EQUAL(st.auth_failures, 0);
			CU_ASSERT_EQUAL(st.record_number, b.rn[0] + n);
			sim_tls_rx_destroy(rx);
		}
		free(got_a);
		free(got_b);
		rstream_free(&a);
		rstream_free(&b);
	}
}

/* R4: a 3-record stream cut into 2 and 3 segments at every pair of positions, and into 1-byte
 * segments; the tracker is restarted with progress params between runs (R2). */
static void test_every_split(void)
{
	static const size_t sizes[3] = { 20, 1, 7 };

	for (int k = 0; k < 4; k++) {
		struct sim_tls_rx_stats st;
		struct sim_tls_rx *rx;
		struct rstream rs;
		uint8_t got[256], pp[12];
		int fails = 0, runs = 0;

		CU_ASSERT_EQUAL_FATAL(rstream_build(&rs, SUITE_TLS13[k], SUITE_BITS[k], sizes, 3),
				      0);
		CU_ASSERT_FATAL(rs.len <= sizeof(got));
		rx = engine_new(&rs, rs.rn[0], 1000);
		CU_ASSERT_PTR_NOT_NULL_FATAL(rx);
		for (size_t i = 0; i <= rs.len; i++) {
			for (size_t j = i; j <= rs.len; j++) {
				size_t cuts[2] = { i, j };
				uint32_t seq0 = (uint32_t)(0xfffffff0u + i * 3);

				progress_start(pp, seq0);
				if (sim_tls_rx_set_progress(rx, pp) ||
				    feed_in_order(rx, &rs, seq0, cuts, 2, got))
					fails++;
				runs++;
			}
		}
		progress_start(pp, 0);
		CU_ASSERT_EQUAL(sim_tls_rx_set_progress(rx, pp), 0);
		for (size_t i = 0; i < rs.len; i++) {
			if (deliver(rx, 0, rs.wire, i, 1, true, got) != SIM_TLS_RX_DECRYPTED)
				fails++;
		}
		CU_ASSERT_EQUAL(memcmp(got, rs.img, rs.len), 0);
		if (fails)
			printf("\n%s: %d of %d splits wrong\n", suite_name(rs.tls13, SUITE_BITS[k]),
			       fails, runs + 1);
		CU_ASSERT_EQUAL(fails, 0);
		stats(rx, &st);
		CU_ASSERT_EQUAL(st.records_ok, 3u * (size_t)(runs + 1));
		CU_ASSERT_EQUAL(st.pkt_decrypted, st.packets);
		sim_tls_rx_destroy(rx);
		rstream_free(&rs);
	}
}

/* R2 + R7: START inside a segment (DOC: start_offload_tcp_sn may be mid-segment). The stream's
 * first record is the host's; offload starts at record 1. The segment holding the tail of record 0
 * and the start of record 1 is not decrypted; record 1's later segments are, and it
 * authenticates. A packet entirely before the start is old. */
static void test_start_mid_segment(void)
{
	static const size_t sizes[4] = { 700, 3000, 200, 50 };

	for (int k = 0; k < 4; k++) {
		struct sim_tls_rx_stats st;
		struct sim_tls_rx *rx;
		struct rstream rs;
		uint8_t *got;
		size_t cut1, cut2;

		CU_ASSERT_EQUAL_FATAL(rstream_build(&rs, SUITE_TLS13[k], SUITE_BITS[k], sizes, 4),
				      0);
		got = calloc(1, rs.len);
		CU_ASSERT_PTR_NOT_NULL_FATAL(got);
		rx = engine_new(&rs, rs.rn[1], 7 + (uint32_t)rs.off[1]);
		CU_ASSERT_PTR_NOT_NULL_FATAL(rx);
		cut1 = rs.off[1] + 100; /* record 1's header and some payload */
		cut2 = rs.off[2] + 3;   /* rest of record 1, 3 bytes of record 2's header */
		CU_ASSERT_EQUAL(deliver(rx, 7, rs.wire, 0, 300, true, got),
				SIM_TLS_RX_NOT_DECRYPTED);
		CU_ASSERT_EQUAL(deliver(rx, 7, rs.wire, 200, cut1 - 200, true, got),
				SIM_TLS_RX_NOT_DECRYPTED);
		CU_ASSERT_EQUAL(memcmp(got, rs.wire, cut1), 0);
		CU_ASSERT_EQUAL(deliver(rx, 7, rs.wire, cut1, cut2 - cut1, true, got),
				SIM_TLS_RX_DECRYPTED);
		CU_ASSERT_EQUAL(deliver(rx, 7, rs.wire, cut2, rs.len - cut2, true, got),
				SIM_TLS_RX_DECRYPTED);
		CU_ASSERT_EQUAL(memcmp(got + cut1, rs.img + cut1, rs.len - cut1), 0);
		stats(rx, &st);
		CU_ASSERT_EQUAL(st.records_ok, 3);
		CU_ASSERT_EQUAL(st.old_packets, 1);
		CU_ASSERT_EQUAL(st.overlap_packets, 1);
		CU_ASSERT_EQUAL(st.state, SIM_TLS_RX_SYNC);
		free(got);
		sim_tls_rx_destroy(rx);
		rstream_free(&rs);
	}
}

/* R11: static params the tracker cannot place are ignored (late answer while searching, answer
 * naming another sequence); a post in sync at the tracked record's header renumbers it; one in
 * the middle of a record's payload passes that record unauthenticated (re-key). */
static void test_static_posts(void)
{
	static const size_t sizes[6] = { 400, 400, 400, 400, 400, 400 };
	struct sim_tls_rx_stats st;
	struct sim_tls_rx *rx;
	struct rstream rs;
	uint8_t got[4096];
	size_t mid;

	CU_ASSERT_EQUAL_FATAL(rstream_build(&rs, true, 256, sizes, 6), 0);
	CU_ASSERT_FATAL(rs.len <= sizeof(got));
	rx = engine_new(&rs, rs.rn[0], 100);
	CU_ASSERT_PTR_NOT_NULL_FATAL(rx);
	/* record 0 whole; a post at record 1's header with its number: no change */
	CU_ASSERT_EQUAL(deliver(rx, 100, rs.wire, 0, rs.off[1], true, got), SIM_TLS_RX_DECRYPTED);
	CU_ASSERT_EQUAL(engine_answer(rx, &rs, rs.rn[1], 100 + (uint32_t)rs.off[1]), 0);
	mid = rs.off[1] + 200;
	CU_ASSERT_EQUAL(deliver(rx, 100, rs.wire, rs.off[1], mid - rs.off[1], true, got),
			SIM_TLS_RX_DECRYPTED);
	/* mid-payload post elsewhere: ignored claim, re-key: record 1 is passed as received */
	CU_ASSERT_EQUAL(engine_answer(rx, &rs, 99, 5), 0);
	CU_ASSERT_EQUAL(deliver(rx, 100, rs.wire, mid, rs.off[2] + 10 - mid, true, got),
			SIM_TLS_RX_NOT_DECRYPTED);
	CU_ASSERT_EQUAL(memcmp(got + mid, rs.wire + mid, rs.off[2] + 10 - mid), 0);
	CU_ASSERT_EQUAL(deliver(rx, 100, rs.wire, rs.off[2] + 10, rs.off[3] - rs.off[2] - 10, true,
				got),
			SIM_TLS_RX_DECRYPTED);
	CU_ASSERT_EQUAL(memcmp(got + rs.off[2] + 10, rs.img + rs.off[2] + 10, rs.rlen[2] - 10), 0);
	stats(rx, &st);
	CU_ASSERT_EQUAL(st.resync_ignored, 1);
	CU_ASSERT_EQUAL(st.records_skipped, 1);
	CU_ASSERT_EQUAL(st.records_ok, 2);
	/* an invalid header in sync (version 03 01) -> SEARCHING at once; an answer now is
	 * ignored */
	{
		uint8_t w[512];
		size_t l3 = rs.rlen[3];

		memcpy(w, rs.wire + rs.off[3], l3);
		w[2] = 0x01;
		CU_ASSERT_EQUAL(deliver(rx, 100 + (uint32_t)rs.off[3], w, 0, l3, true, got),
				SIM_TLS_RX_ERROR);
		CU_ASSERT_EQUAL(memcmp(got, w, l3), 0);
	}
	stats(rx, &st);
	CU_ASSERT_EQUAL(st.state, SIM_TLS_RX_SEARCHING);
	CU_ASSERT_EQUAL(sim_tls_rx_get_progress(rx, got), 0);
	CU_ASSERT_EQUAL(got[12], 0x80); /* SEARCHING, NO_OFFLOAD */
	CU_ASSERT_EQUAL(engine_answer(rx, &rs, rs.rn[4], 100 + (uint32_t)rs.off[4]), 0);
	stats(rx, &st);
	CU_ASSERT_EQUAL(st.state, SIM_TLS_RX_SEARCHING);
	CU_ASSERT_EQUAL(st.resync_ignored, 2);
	/* records 4 and 5 in one packet: the chain is verified, RESYNC names record 5 */
	CU_ASSERT_EQUAL(deliver(rx, 100, rs.wire, rs.off[4], rs.len - rs.off[4], true, got),
			SIM_TLS_RX_RESYNC);
	CU_ASSERT_EQUAL(sim_tls_rx_get_progress(rx, got), 0);
	CU_ASSERT_EQUAL(get_be32(got + 8), 100 + (uint32_t)rs.off[5]);
	CU_ASSERT_EQUAL(get_be32(got + 12) & 0xffffff, 1);
	/* an answer naming another sequence is not this request's */
	CU_ASSERT_EQUAL(engine_answer(rx, &rs, rs.rn[4], 100 + (uint32_t)rs.off[4]), 0);
	stats(rx, &st);
	CU_ASSERT_EQUAL(st.state, SIM_TLS_RX_RESYNC_PENDING);
	CU_ASSERT_EQUAL(st.resync_ignored, 3);
	CU_ASSERT(st.scan_candidates >= 1);
	sim_tls_rx_destroy(rx);
	rstream_free(&rs);
}

/* Record numbers above 2^32 and across its carry (TLS 1.3 nonce XOR, TLS 1.2 AAD), an empty
 * record and an alert: records encrypted by the software reference (tls_peer.h) with the
 * OpenSSL-negotiated keys. */
static void test_big_record_numbers(void)
{
	static const size_t sizes[1] = { 1 };

	for (int k = 0; k < 4; k++) {
		const uint64_t rn0 = 0x00000001fffffffeull;
		struct sim_tls_rx *rx;
		struct rstream rs;
		uint8_t wire[4 * 600], img[4 * 600], pt[500];
		size_t off = 0;
		int bad = 0;

		CU_ASSERT_EQUAL_FATAL(rstream_build(&rs, SUITE_TLS13[k], SUITE_BITS[k], sizes, 1),
				      0);
		rnd_bytes(pt, sizeof(pt));
		for (uint64_t i = 0; i < 4; i++) {
			/* record 2 is empty (TLS 1.2: no payload at all), record 3 an alert */
			size_t plen = i == 2 ? 0 : 400 + i;
			uint8_t type = i == 3 ? TLS_RT_ALERT : TLS_RT_APPLICATION_DATA;
			ssize_t n = tls_record_layout(&rs.ci.info, type, rn0 + i, pt, plen,
						      wire + off, sizeof(wire) - off);
			ssize_t dec;
			int enc;

			CU_ASSERT_FATAL(n > 0);
			enc = tls_record_encrypt_sw(&rs.ci.info, rn0 + i, wire + off, (size_t)n);
			CU_ASSERT_EQUAL_FATAL(enc, 0);
			memcpy(img + off, wire + off, (size_t)n);
			dec = tls_record_decrypt_sw(&rs.ci.info, rn0 + i, img + off, (size_t)n,
						    NULL);
			CU_ASSERT_FATAL(dec == (ssize_t)plen);
			off += (size_t)n;
		}
		rx = engine_new(&rs, rn0, 0);
		CU_ASSERT_PTR_NOT_NULL_FATAL(rx);
		for (size_t p = 0; p < off; p += 300) {
			size_t n = off - p < 300 ? off - p : 300;
			uint8_t got[300];
			enum sim_tls_rx_status s = SIM_TLS_RX_ERROR;

			memcpy(got, wire + p, n);
			if (sim_tls_rx_packet(rx, (uint32_t)p, got, n, true, &s) ||
			    s != SIM_TLS_RX_DECRYPTED)
				bad++;
			/* tls_record_decrypt_sw decrypted the (inner) plaintext in place and left
			 * the framing and the tag: the ideal image */
			if (memcmp(got, img + p, n))
				bad++;
		}
		CU_ASSERT_EQUAL(bad, 0);
		sim_tls_rx_destroy(rx);
		rstream_free(&rs);
	}
}

static bool bytes_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

/*
 * Issue 10: a context's OpenSSL contexts are made by its first record, not by static params. A
 * context given static params (first another connection's key, then its own: a key update before
 * any record), START, a GET_PSV and a partial header holds none; its first record still decrypts
 * to the ideal image under the last key; an ERROR packet (a tag byte flipped) is delivered as
 * received, in place after the restore that makes the CTR context; the key copy is wiped once
 * both contexts hold it, and destroy gives them back. x 4 suites.
 */
static void test_lazy_engine(void)
{
	for (int k = 0; k < 4; k++) {
		static const size_t sizes[] = { 100, 300, 50 };
		const uint32_t seq0 = SEQ_WRAP;
		uint64_t live0 = sim_tls_evp_live();
		struct rstream rs, other;
		struct sim_tls_rx_stats st;
		struct sim_tls_rx *idle[8];
		struct sim_tls_rx *rx;
		uint8_t sp[64], pp[12], out[16], *got, *bad;
		size_t first = 3, tag_at;

		CU_ASSERT_EQUAL_FATAL(rstream_build(&rs, SUITE_TLS13[k], SUITE_BITS[k], sizes, 3),
				      0);
		CU_ASSERT_EQUAL_FATAL(
			rstream_build(&other, SUITE_TLS13[k], SUITE_BITS[k], sizes, 1), 0);
		got = malloc(rs.len);
		bad = malloc(rs.len);
		CU_ASSERT_FATAL(got && bad);
		/* contexts that only get static and progress params hold no OpenSSL state */
		for (size_t i = 0; i < 8; i++) {
			idle[i] = engine_new(&rs, rs.rn[0], seq0);
			CU_ASSERT_PTR_NOT_NULL_FATAL(idle[i]);
		}
		CU_ASSERT_EQUAL(sim_tls_evp_live(), live0);

		rx = sim_tls_rx_create();
		CU_ASSERT_PTR_NOT_NULL_FATAL(rx);
		static_params(sp, &other, rs.rn[0], 0);
		CU_ASSERT_EQUAL(sim_tls_rx_set_static(rx, sp, other.key, other.key_len), 0);
		progress_start(pp, seq0);
		CU_ASSERT_EQUAL(sim_tls_rx_set_progress(rx, pp), 0);
		/* R11: its own key, salt and iv, placed on the tracked header before any byte */
		static_params(sp, &rs, rs.rn[0], seq0);
		CU_ASSERT_EQUAL(sim_tls_rx_set_static(rx, sp, rs.key, rs.key_len), 0);
		CU_ASSERT_EQUAL(sim_tls_rx_get_progress(rx, out), 0);
		CU_ASSERT_EQUAL(get_be32(out + 4), seq0);
		/* a partial header begins no record */
		CU_ASSERT_EQUAL(deliver(rx, seq0, rs.wire, 0, first, true, got),
				SIM_TLS_RX_DECRYPTED);
		stats(rx, &st);
		CU_ASSERT_EQUAL(st.evp_ctxs, 0);
		CU_ASSERT_EQUAL(st.key_bits, SUITE_BITS[k]);
		CU_ASSERT_EQUAL(sim_tls_evp_live(), live0);
		/* kept until a context holds it */
		CU_ASSERT_FALSE(bytes_zero(rx->k->key, rs.key_len));

		/* the rest of record 0 and record 1: the GCM context, keyed with the last key */
		CU_ASSERT_EQUAL(deliver(rx, seq0, rs.wire, first, rs.off[2] - first, true, got),
				SIM_TLS_RX_DECRYPTED);
		CU_ASSERT_EQUAL(memcmp(got, rs.img, rs.off[2]), 0);
		stats(rx, &st);
		CU_ASSERT_EQUAL(st.records_ok, 2);
		CU_ASSERT_EQUAL(st.evp_ctxs, 1);
		CU_ASSERT_EQUAL(sim_tls_evp_live(), live0 + 1);
		CU_ASSERT_FALSE(bytes_zero(rx->k->key, rs.key_len)); /* the CTR context may need it */

		/* record 2 with a tag byte flipped: ERROR. In place, the decrypted payload is
		 * restored with the CTR context (R5); out of place (the RQ's way) the output is the
		 * frame as received and no CTR context is made */
		memcpy(bad, rs.wire, rs.len);
		tag_at = rs.off[2] + rs.rlen[2] - 1;
		bad[tag_at] ^= 0x01;
		CU_ASSERT_EQUAL(deliver(rx, seq0, bad, rs.off[2], rs.rlen[2], true, got),
				SIM_TLS_RX_ERROR);
		CU_ASSERT_EQUAL(memcmp(got + rs.off[2], bad + rs.off[2], rs.rlen[2]), 0);
		stats(rx, &st);
		CU_ASSERT_EQUAL(st.auth_failures, 1);
		CU_ASSERT_EQUAL(st.evp_ctxs, out_of_place ? 1 : 2);
		CU_ASSERT_EQUAL(sim_tls_evp_live(), live0 + (out_of_place ? 1 : 2));
		/* wiped once both contexts hold it */
		CU_ASSERT_EQUAL(bytes_zero(rx->k->key, sizeof(rx->k->key)), !out_of_place);

		sim_tls_rx_destroy(rx);
		for (size_t i = 0; i < 8; i++)
			sim_tls_rx_destroy(idle[i]);
		CU_ASSERT_EQUAL(sim_tls_evp_live(), live0);
		explicit_bzero(sp, sizeof(sp));
		free(got);
		free(bad);
		rstream_free(&rs);
		rstream_free(&other);
	}
}

/* The ops table for an RQ engine. */
static void test_ops(void)
{
	static const size_t sizes[2] = { 64, 10 };
	const struct sim_tls_rx_engine_ops *ops = &sim_tls_rx_engine_ops;
	enum sim_tls_rx_status s = SIM_TLS_RX_ERROR;
	uint8_t sp[64], pp[12], buf[256], out[16];
	struct rstream rs;
	void *ctx;

	CU_ASSERT_EQUAL_FATAL(rstream_build(&rs, true, 128, sizes, 2), 0);
	CU_ASSERT_FATAL(rs.len <= sizeof(buf));
	ctx = ops->create();
	CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
	static_params(sp, &rs, rs.rn[0], 0);
	progress_start(pp, 10);
	CU_ASSERT_EQUAL(ops->set_static(ctx, sp, rs.key, rs.key_len), 0);
	CU_ASSERT_EQUAL(ops->set_progress(ctx, pp), 0);
	memcpy(buf, rs.wire, rs.len);
	CU_ASSERT_EQUAL(ops->packet(ctx, 10, buf, rs.len, true, &s), 0);
	CU_ASSERT_EQUAL(s, SIM_TLS_RX_DECRYPTED);
	CU_ASSERT_EQUAL(memcmp(buf, rs.img, rs.len), 0);
	CU_ASSERT_EQUAL(ops->get_progress(ctx, out), 0);
	CU_ASSERT_EQUAL(get_be32(out + 4), 10 + (uint32_t)rs.len);
	ops->destroy(ctx);
	rstream_free(&rs);
}

static const struct test_case tls_rx_cases[] = {
	{ "static/progress params decoding, states, GET_PSV image", test_params },
	{ "in-order OpenSSL records x 4 suites, all segmentations", test_in_order },
	{ "new keys at a record boundary: re-add, static params alone", test_new_keys },
	{ "3-record stream split at every pair of positions", test_every_split },
	{ "START inside a segment", test_start_mid_segment },
	{ "static params in sync / searching / pending", test_static_posts },
	{ "record numbers above 2^32", test_big_record_numbers },
	{ "OpenSSL contexts made by the first record, key wiped once held", test_lazy_engine },
	{ "engine ops table", test_ops },
	{ NULL, NULL },
};

static const struct test_suite suites[] = {
	{ "sim TLS RX engine", suite_in_place, NULL, tls_rx_cases },
	{ "sim TLS RX engine, out of place", suite_out_of_place, suite_cleanup, tls_rx_cases },
	{ NULL, NULL, NULL, NULL },
};

int main(void)
{
	return test_run_suites(suites);
}
