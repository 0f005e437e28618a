/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Device model: the TLS RX crypto engine (sim/tls_rx.h) on damaged streams - every byte of a
 * record corrupted in turn, bad L4 checksums, retransmitted and overlapping segments: what each
 * packet is and holds, and that the tracker keeps its sync. Every case runs in place and out of
 * place. The fixture is tests/util/sim_tls_rx_fixture.h.
 */
#include "sim_tls_rx_fixture.h"

/* Classes of a corrupted byte in record 1. */
enum corrupt_class {
	CC_AUTH,    /* the tag fails: header type (1.2, in the AAD), tag */
	CC_PAYLOAD, /* the tag fails; decrypted bytes show the flip */
	CC_NONCE,   /* TLS 1.2 explicit nonce: the tag fails, the payload decrypts to garbage */
	CC_HEADER,  /* invalid header: version bytes, TLS 1.3 type */
	CC_LENGTH,  /* length field: the record is delineated wrongly */
};

static enum corrupt_class corrupt_class(const struct rstream *rs, size_t q, size_t rlen)
{
	if (q == 0)
		return rs->tls13 ? CC_HEADER : CC_AUTH;
	if (q <= 2)
		return CC_HEADER;
	if (q <= 4)
		return CC_LENGTH;
	if (!rs->tls13 && q < 13)
		return CC_NONCE;
	if (q < rlen - 16)
		return CC_PAYLOAD;
	return CC_AUTH;
}

/*
 * One corruption run: byte `x` of the stream XOR 1, segments of `seg` bytes (0: one packet). R5:
 * the packet where the failure completes is ERROR and exactly as received; earlier packets are
 * DECRYPTED; after a tag failure the tracker stays in sync (the next records decrypt and
 * authenticate); after an invalid header it scans. Returns the number of mismatches.
 */
static int run_corrupt(const struct rstream *rs, size_t x, size_t seg, uint8_t *wire, uint8_t *got)
{
	size_t q = x - rs->off[1], end1 = rs->off[1] + rs->rlen[1];
	enum corrupt_class cc = corrupt_class(rs, q, rs->rlen[1]);
	/* the byte at which the failure is complete: the tag's last byte or the header's */
	size_t fail_at = cc == CC_HEADER ? rs->off[1] + 4 : end1 - 1;
	struct sim_tls_rx *rx = engine_new(rs, rs->rn[0], 5);
	struct sim_tls_rx_stats sst;
	uint8_t *img = malloc(rs->len);
	int bad = 0;
	bool seen_error = false;

	if (!rx || !img) {
		sim_tls_rx_destroy(rx);
		free(img);
		return 1;
	}
	memcpy(wire, rs->wire, rs->len);
	wire[x] ^= 0x01;
	memcpy(img, rs->img, rs->len);
	img[x] ^= 0x01; /* framing passes as received; a payload byte decrypts flipped */
	for (size_t pos = 0; pos < rs->len;) {
		size_t len = seg ? (rs->len - pos < seg ? rs->len - pos : seg) : rs->len;
		bool has_fail = fail_at >= pos && fail_at < pos + len;
		int st = deliver(rx, 5, wire, pos, len, true, got), want;

		if (cc == CC_LENGTH) {
			/* loose: exact before the header is complete; then the device follows the
			 * wrong length (its "decrypted" bytes are not checked) until some packet
			 * is ERROR, and none is DECRYPTED after that; non-DECRYPTED packets are
			 * exactly as received */
			if (pos + len <= rs->off[1] + 4) {
				if (st != SIM_TLS_RX_DECRYPTED ||
				    !pkt_bytes_ok(st, got, wire, img, pos, len))
					bad++;
			} else if ((seen_error && st == SIM_TLS_RX_DECRYPTED) ||
				   (st != SIM_TLS_RX_DECRYPTED &&
				    !pkt_bytes_ok(st, got, wire, img, pos, len))) {
				bad++;
			}
			if (st == SIM_TLS_RX_ERROR)
				seen_error = true;
			pos += len;
			continue;
		}
		if (has_fail)
			want = SIM_TLS_RX_ERROR;
		else if (cc == CC_HEADER && pos > fail_at)
			want = st == SIM_TLS_RX_RESYNC ? SIM_TLS_RX_RESYNC
						       : SIM_TLS_RX_NOT_DECRYPTED;
		else
			want = SIM_TLS_RX_DECRYPTED;
		if (st != want)
			bad++;
		if (cc == CC_NONCE && st == SIM_TLS_RX_DECRYPTED) {
			/* record 1's payload is garbage; everything else exact */
			size_t a = pay_start(rs, 1), b = end1 - 16;

			for (size_t i = pos; i < pos + len; i++)
				if ((i < a || i >= b) && got[i] != img[i])
					bad++;
		} else if (!pkt_bytes_ok(st, got, wire, img, pos, len)) {
			bad++;
		}
		pos += len;
	}
	if (cc == CC_LENGTH) {
		if (!seen_error)
			bad++;
	} else {
		stats(rx, &sst);
		if (cc == CC_HEADER) {
			if (sst.malformed != 1 || sst.auth_failures != 0 || sst.records_ok != 1 ||
			    (sst.state != SIM_TLS_RX_SEARCHING &&
			     sst.state != SIM_TLS_RX_RESYNC_PENDING))
				bad++;
		} else if (sst.auth_failures != 1 || sst.records_ok != rs->n - 1 ||
			   sst.state != SIM_TLS_RX_SYNC || sst.pkt_error != 1) {
			bad++;
		}
	}
	sim_tls_rx_destroy(rx);
	free(img);
	return bad;
}

static void test_corrupt(void)
{
	static const size_t sizes[4] = { 300, 40, 700, 100 };
	static const size_t segs[4] = { 0, 17, 64, 512 };

	for (int k = 0; k < 4; k++) {
		struct rstream rs;
		uint8_t *wire, *got;
		int bad = 0, runs = 0;

		CU_ASSERT_EQUAL_FATAL(rstream_build(&rs, SUITE_TLS13[k], SUITE_BITS[k], sizes, 4),
				      0);
		wire = malloc(rs.len);
		got = malloc(rs.len);
		CU_ASSERT_FATAL(wire && got);
		for (size_t x = rs.off[1]; x < rs.off[1] + rs.rlen[1]; x++) {
			for (int s = 0; s < 4; s++) {
				int b = run_corrupt(&rs, x, segs[s], wire, got);

				if (b)
					printf("\n%s: corrupt byte %zu of record 1, segments %zu: "
					       "%d mismatches\n",
					       suite_name(rs.tls13, SUITE_BITS[k]), x - rs.off[1],
					       segs[s], b);
				bad += b;
				runs++;
			}
		}
		CU_ASSERT_EQUAL(bad, 0);
		CU_ASSERT(runs > 200);
		free(wire);
		free(got);
		rstream_free(&rs);
	}
}

/* R3: a bad L4 checksum is not handled (DOC): untouched, NOT_DECRYPTED, state unchanged - even
 * when its bytes are corrupt; the retransmission then decrypts. */
static void test_bad_checksum(void)
{
	static const size_t sizes[3] = { 3000, 500, 2000 };

	for (int k = 0; k < 4; k++) {
		struct sim_tls_rx_stats st0, st;
		struct sim_tls_rx *rx;
		struct rstream rs;
		uint8_t *got, *junk;
		int bad = 0;

		CU_ASSERT_EQUAL_FATAL(rstream_build(&rs, SUITE_TLS13[k], SUITE_BITS[k], sizes, 3),
				      0);
		got = malloc(rs.len);
		junk = malloc(rs.len);
		CU_ASSERT_FATAL(got && junk);
		memcpy(junk, rs.wire, rs.len);
		for (size_t i = 0; i < rs.len; i += 97)
			junk[i] ^= 0x5a;
		rx = engine_new(&rs, rs.rn[0], 0);
		CU_ASSERT_PTR_NOT_NULL_FATAL(rx);
		for (size_t pos = 0; pos < rs.len; pos += 1000) {
			size_t len = rs.len - pos < 1000 ? rs.len - pos : 1000;

			stats(rx, &st0);
			int s = deliver(rx, 0, junk, pos, len, false, got);

			if (s != SIM_TLS_RX_NOT_DECRYPTED || memcmp(got + pos, junk + pos, len))
				bad++;
			if (deliver(rx, 0, rs.wire, pos, len, false, got) !=
				    SIM_TLS_RX_NOT_DECRYPTED ||
			    memcmp(got + pos, rs.wire + pos, len))
				bad++;
			stats(rx, &st);
			if (st.expected_seq != st0.expected_seq ||
			    st.record_offset != st0.record_offset ||
			    st.records_ok != st0.records_ok)
				bad++;
			if (deliver(rx, 0, rs.wire, pos, len, true, got) != SIM_TLS_RX_DECRYPTED ||
			    !pkt_bytes_ok(SIM_TLS_RX_DECRYPTED, got, rs.wire, rs.img, pos, len))
				bad++;
		}
		CU_ASSERT_EQUAL(bad, 0);
		stats(rx, &st);
		CU_ASSERT_EQUAL(st.csum_bad, 2 * ((rs.len + 999) / 1000));
		CU_ASSERT_EQUAL(st.records_ok, 3);
		CU_ASSERT_EQUAL(st.auth_failures, 0);
		CU_ASSERT_EQUAL(st.pkt_error, 0);
		free(got);
		free(junk);
		sim_tls_rx_destroy(rx);
		rstream_free(&rs);
	}
}

/* R6 + R7: retransmissions (old segments) pass as received and change nothing; a segment that
 * overlaps the expected sequence passes as received but its new bytes are tracked, so the next
 * segments decrypt and the record they finish authenticates. */
static void test_retransmit(void)
{
	static const size_t sizes[4] = { 2500, 2500, 100, 2500 };

	for (int k = 0; k < 4; k++) {
		struct sim_tls_rx_stats st0, st;
		struct sim_tls_rx *rx;
		struct rstream rs;
		uint8_t *got;
		size_t pos = 0;
		int bad = 0;

		CU_ASSERT_EQUAL_FATAL(rstream_build(&rs, SUITE_TLS13[k], SUITE_BITS[k], sizes, 4),
				      0);
		got = malloc(rs.len);
		CU_ASSERT_PTR_NOT_NULL_FATAL(got);
		rx = engine_new(&rs, rs.rn[0], SEQ_WRAP);
		CU_ASSERT_PTR_NOT_NULL_FATAL(rx);
		for (; pos + 1000 <= rs.len; pos += 1000) {
			if (deliver(rx, SEQ_WRAP, rs.wire, pos, 1000, true, got) !=
			    SIM_TLS_RX_DECRYPTED)
				bad++;
			if (pos < 2000)
				continue;
			/* retransmit the segment before last and one straddling nothing new */
			stats(rx, &st0);
			if (deliver(rx, SEQ_WRAP, rs.wire, pos - 1000, 1000, true, got) !=
				    SIM_TLS_RX_NOT_DECRYPTED ||
			    memcmp(got + pos - 1000, rs.wire + pos - 1000, 1000))
				bad++;
			if (deliver(rx, SEQ_WRAP, rs.wire, pos - 1500, 2500, true, got) !=
				    SIM_TLS_RX_NOT_DECRYPTED ||
			    memcmp(got + pos - 1500, rs.wire + pos - 1500, 2500))
				bad++;
			stats(rx, &st);
			if (st.expected_seq != st0.expected_seq ||
			    st.records_ok != st0.records_ok ||
			    st.record_offset != st0.record_offset)
				bad++;
			/* the output of the original delivery counts below */
			memcpy(got + pos - 1500, rs.img + pos - 1500, 2500);
			if (pos >= 5000)
				break;
		}
		pos += 1000;
		/* overlap: 300 old bytes + 1200 new ones, inside record 3 which began in the
		 * last segment and ends in the next one */
		{
			size_t a = pos - 300, len = 1500;

			CU_ASSERT_EQUAL(deliver(rx, SEQ_WRAP, rs.wire, a, len, true, got),
					SIM_TLS_RX_NOT_DECRYPTED);
			CU_ASSERT_EQUAL(memcmp(got + a, rs.wire + a, len), 0);
			pos = a + len;
		}
		CU_ASSERT_EQUAL(deliver(rx, SEQ_WRAP, rs.wire, pos, rs.len - pos, true, got),
				SIM_TLS_RX_DECRYPTED);
		CU_ASSERT(pkt_bytes_ok(SIM_TLS_RX_DECRYPTED, got, rs.wire, rs.img, pos,
				       rs.len - pos));
		CU_ASSERT_EQUAL(bad, 0);
		stats(rx, &st);
		CU_ASSERT_EQUAL(st.records_ok, 4);
		CU_ASSERT_EQUAL(st.overlap_packets, 1);
		CU_ASSERT(st.old_packets >= 4);
		CU_ASSERT_EQUAL(st.state, SIM_TLS_RX_SYNC);
		free(got);
		sim_tls_rx_destroy(rx);
		rstream_free(&rs);
	}
}

static const struct test_case tls_rx_cases[] = {
	{ "corrupted byte: ERROR, delivered as received, sync kept", test_corrupt },
	{ "bad L4 checksum: not handled, state unchanged", test_bad_checksum },
	{ "retransmitted and overlapping segments", test_retransmit },
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
