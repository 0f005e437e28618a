/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Device model: the TLS RX crypto engine (sim/tls_rx.h) losing its place - reordered segments,
 * a late header segment (relock), a lost header (scan, RESYNC, GET_PSV, the answer, resume) and
 * a loss while a RESYNC is pending; the expected RESYNC packet comes from this file's own
 * restatement of the scan. Every case runs in place and out of place. The fixture is
 * tests/util/sim_tls_rx_fixture.h.
 */
#include "sim_tls_rx_fixture.h"

/* A segment list: offsets into the stream; delivery order is a permutation of them. */
struct seglist {
	size_t n;
	size_t off[256];
	size_t len[256];
};

static void seg_mss(struct seglist *sl, size_t total, size_t mss)
{
	memset(sl, 0, sizeof(*sl));
	for (size_t p = 0; p < total && sl->n < 256; p += mss) {
		sl->off[sl->n] = p;
		sl->len[sl->n] = total - p < mss ? total - p : mss;
		sl->n++;
	}
}

/* The segment index holding stream offset x. */
static size_t seg_of(const struct seglist *sl, size_t x)
{
	for (size_t i = 0; i < sl->n; i++)
		if (x >= sl->off[i] && x < sl->off[i] + sl->len[i])
			return i;
	return sl->n;
}

/* The record index holding stream offset x. */
static size_t rec_of(const struct rstream *rs, size_t x)
{
	for (size_t i = 0; i < rs->n; i++)
		if (x >= rs->off[i] && x < rs->off[i] + rs->rlen[i])
			return i;
	return rs->n;
}

/* Whether a packet at [a, a + len) holds the last byte of a record numbered r0 or later. */
static bool ends_record(const struct rstream *rs, size_t a, size_t len, size_t r0)
{
	for (size_t r = r0; r < rs->n; r++) {
		size_t e = rs->off[r] + rs->rlen[r];

		if (e > a && e <= a + len)
			return true;
	}
	return false;
}

/*
 * The first segment at or after `from` that starts after some record's header and holds the
 * whole header of the next record, and no other header byte: losing it hides exactly that
 * header. sl->n if none.
 */
static size_t find_header_seg(const struct rstream *rs, const struct seglist *sl, size_t from)
{
	for (size_t i = from; i < sl->n; i++) {
		size_t a = sl->off[i], b = a + sl->len[i], r = rec_of(rs, a), hdr = 0;

		for (size_t j = 0; j < rs->n; j++)
			if (rs->off[j] + 4 >= a && rs->off[j] < b)
				hdr++;
		if (hdr == 1 && rs->off[r] + 5 <= a && r + 1 < rs->n && rs->off[r + 1] + 5 <= b)
			return i;
	}
	return sl->n;
}

/*
 * R8, DOC "Reorder of non-header segment": segments k and k+1 arrive swapped. Segment k+1 comes
 * with a gap that hides no header: it and every later segment holding bytes of the record with
 * the hole pass as received; segment k arrives late and is old; every other segment decrypts -
 * including the one that finishes the record starting in segment k+1. No sync is lost.
 */
static void run_swap(const struct rstream *rs, size_t k, uint32_t seq0)
{
	struct seglist sl = { 0 };
	struct sim_tls_rx_stats st;
	struct sim_tls_rx *rx = engine_new(rs, rs->rn[0], seq0);
	uint8_t *got = malloc(rs->len);
	size_t hole_rec, order[256];
	int bad = 0;

	CU_ASSERT_FATAL(rx && got);
	seg_mss(&sl, rs->len, 1000);
	CU_ASSERT_FATAL(k + 1 < sl.n);
	hole_rec = rec_of(rs, sl.off[k]);
	for (size_t i = 0; i < sl.n; i++)
		order[i] = i;
	order[k] = k + 1;
	order[k + 1] = k;
	for (size_t j = 0; j < sl.n; j++) {
		size_t i = order[j], a = sl.off[i], b = a + sl.len[i];
		int st1 = deliver(rx, seq0, rs->wire, a, sl.len[i], true, got), want;
		bool holds_hole = a < rs->off[hole_rec] + rs->rlen[hole_rec] &&
				  b > rs->off[hole_rec];

		if (j < k)
			want = SIM_TLS_RX_DECRYPTED;
		else if (j == k + 1) /* segment k, late: old */
			want = SIM_TLS_RX_NOT_DECRYPTED;
		else /* segment k + 1 (unless it starts at the next header) and later ones */
			want = holds_hole ? SIM_TLS_RX_NOT_DECRYPTED : SIM_TLS_RX_DECRYPTED;
		if (st1 != want || !pkt_bytes_ok(st1, got, rs->wire, rs->img, a, sl.len[i])) {
			printf("\n  swap %zu: segment %zu status %d want %d\n", k, i, st1, want);
			bad++;
		}
	}
	CU_ASSERT_EQUAL(bad, 0);
	stats(rx, &st);
	CU_ASSERT_EQUAL(st.records_skipped, 1);
	CU_ASSERT_EQUAL(st.records_ok, rs->n - 1);
	CU_ASSERT_EQUAL(st.gap_packets, 1);
	CU_ASSERT_EQUAL(st.old_packets, 1);
	CU_ASSERT_EQUAL(st.sync_lost, 0);
	CU_ASSERT_EQUAL(st.state, SIM_TLS_RX_SYNC);
	free(got);
	sim_tls_rx_destroy(rx);
}

static void test_reorder_no_header(void)
{
	static const size_t sizes[5] = { 2800, 2800, 2800, 2800, 2800 };

	for (int k = 0; k < 4; k++) {
		struct rstream rs;
		struct seglist sl = { 0 };
		int swaps = 0;

		CU_ASSERT_EQUAL_FATAL(rstream_build(&rs, SUITE_TLS13[k], SUITE_BITS[k], sizes, 5),
				      0);
		seg_mss(&sl, rs.len, 1000);
		/* every swap k, k+1 where segment k holds no header start and k+1 lies before the
		 * end of the header after it (the gap - segment k - hides no header) */
		for (size_t i = 1; i + 2 < sl.n; i++) {
			size_t r = rec_of(&rs, sl.off[i]);
			bool hdr_in_k = false;

			for (size_t j = 0; j < rs.n; j++)
				if (rs.off[j] + 4 >= sl.off[i] && rs.off[j] < sl.off[i] + sl.len[i])
					hdr_in_k = true;
			if (hdr_in_k || r + 1 >= rs.n || sl.off[i + 1] > rs.off[r + 1])
				continue;
			run_swap(&rs, i, SEQ_WRAP);
			swaps++;
		}
		CU_ASSERT(swaps >= 4);
		rstream_free(&rs);
	}
}

/*
 * The scan as DOC and S1/S2 describe it, on the flat stream (an independent restatement, for the
 * expected RESYNC packet): scanning starts at delivered segment `first` (segments from there on
 * are contiguous); a pattern match starts a chain; each header the lengths point at must be valid,
 * else scanning resumes one byte after its start; RESYNC goes on the first segment in which a
 * chain header other than the first starts and completes, if the chain holds to that segment's
 * end, naming the last such header. Returns the segment, or sl->n.
 */
static bool pattern(const struct rstream *rs, size_t x)
{
	const uint8_t *h = rs->wire + x;
	size_t len;

	if (x + 5 > rs->len)
		return false;
	len = (size_t)h[3] << 8 | h[4];
	if (h[1] != 3 || h[2] != 3 || len > 16384 + 256)
		return false;
	return rs->tls13 ? h[0] == 23 && len >= 17 : h[0] >= 20 && h[0] <= 24 && len >= 24;
}

static size_t predict_resync(const struct rstream *rs, const struct seglist *sl, size_t first,
			     size_t *hdr)
{
	size_t pos = sl->off[first];

	for (;;) {
		size_t x = pos, h, cand = sl->n;

		while (x + 5 <= rs->len && !pattern(rs, x))
			x++;
		if (x + 5 > rs->len)
			return sl->n;
		for (h = x + 5 + ((size_t)rs->wire[x + 3] << 8 | rs->wire[x + 4]);;
		     h += 5 + ((size_t)rs->wire[h + 3] << 8 | rs->wire[h + 4])) {
			size_t sh, se;

			if (h + 5 > rs->len)
				return cand;
			sh = seg_of(sl, h);
			se = seg_of(sl, h + 4);
			if (cand < sl->n && se > cand)
				return cand; /* the chain held to the end of that segment */
			if (!pattern(rs, h)) {
				pos = h + 1;
				break;
			}
			if (sh == se) {
				cand = sh;
				*hdr = h;
			}
		}
	}
}

/*
 * R9, S1-S3, R10: segment `drop` of `sl`, holding the header of record `lost` (the first header
 * not yet begun before it), is lost and never delivered. The next segment makes the tracker
 * LOST; once the stream is a max-size record past the lost header the scan starts; RESYNC
 * comes exactly on the predicted segment, naming a true header; GET_PSV reads
 * TRACKING/NO_OFFLOAD, that header and the records counted since. The answer (static
 * params: that sequence, `rn_delta` + the header's true record number) is posted after `delay`
 * more segments. With the true number decryption resumes at the first record whose payload
 * follows the answer and the plaintext is exact; with a wrong one every record fails (ERROR).
 */
static void run_header_loss(const struct rstream *rs, const struct seglist *sl_in, size_t drop,
			    size_t delay, int64_t rn_delta, uint32_t seq0)
{
	struct sim_tls_rx *rx = engine_new(rs, rs->rn[0], seq0);
	uint8_t *got = malloc(rs->len), out[16];
	struct sim_tls_rx_stats st, st_ans;
	const struct seglist sl = *sl_in;
	size_t lost = 0, first_scan = 0, resync_seg, guess_hdr = 0, guess_rec, answer_seg;
	size_t resume_rec = 0, done_before = 0, L;
	int bad = 0, resyncs = 0;
	uint32_t offset_at_resync = 0, offset_at_answer = 0;
	bool answered = false, scanning = false;

	CU_ASSERT_FATAL(rx && got);
	while (lost < rs->n && rs->off[lost] < sl.off[drop])
		lost++;
	/* a whole header in the dropped segment: the tracker needs it at L */
	CU_ASSERT_FATAL(lost < rs->n && rs->off[lost] < sl.off[drop] + sl.len[drop]);
	L = rs->off[lost];
	for (size_t r = 0; r < rs->n; r++)
		if (rs->off[r] + rs->rlen[r] <= sl.off[drop])
			done_before++; /* records complete before the drop */
	/* the scan starts in the first segment after the drop that ends a max record past L */
	for (size_t i = drop + 1; i < sl.n; i++) {
		if (sl.off[i] + sl.len[i] - L > SIM_TLS_RX_MAX_WIRE_RECORD) {
			first_scan = i;
			break;
		}
	}
	CU_ASSERT_FATAL(first_scan > drop);
	resync_seg = predict_resync(rs, &sl, first_scan, &guess_hdr);
	CU_ASSERT_FATAL(resync_seg < sl.n);
	guess_rec = rec_of(rs, guess_hdr);
	CU_ASSERT_FATAL(rs->off[guess_rec] == guess_hdr); /* a true header */
	answer_seg = resync_seg + delay;
	CU_ASSERT_FATAL(answer_seg + 1 < sl.n);
	{
		size_t ans_end = sl.off[answer_seg] + sl.len[answer_seg];

		while (resume_rec < rs->n && pay_start(rs, resume_rec) < ans_end)
			resume_rec++;
		CU_ASSERT_FATAL(resume_rec < rs->n);
	}

	for (size_t i = 0; i < sl.n; i++) {
		size_t a = sl.off[i], len = sl.len[i];
		int s, want;

		if (i == drop)
			continue;
		s = deliver(rx, seq0, rs->wire, a, len, true, got);
		if (i < drop)
			want = SIM_TLS_RX_DECRYPTED;
		else if (i == resync_seg)
			want = SIM_TLS_RX_RESYNC;
		else if (!answered)
			want = SIM_TLS_RX_NOT_DECRYPTED;
		else if (rn_delta && ends_record(rs, a, len, resume_rec))
			want = SIM_TLS_RX_ERROR; /* wrong number: every tag fails (R5, R10) */
		else if (a < rs->off[resume_rec])
			want = SIM_TLS_RX_NOT_DECRYPTED; /* holds bytes of a skipped record */
		else
			want = SIM_TLS_RX_DECRYPTED; /* wrong number: decrypted, not authentic */
		if (s != want) {
			printf("\n  loss of record %zu: segment %zu status %d want %d\n", lost, i,
			       s, want);
			bad++;
		}
		if (s == SIM_TLS_RX_RESYNC)
			resyncs++;
		if (s != SIM_TLS_RX_DECRYPTED || rn_delta == 0) {
			if (!pkt_bytes_ok(s, got, rs->wire, rs->img, a, len))
				bad++;
		}
		stats(rx, &st);
		if (i == drop + 1 && !scanning && first_scan != i)
			CU_ASSERT_EQUAL(st.state, SIM_TLS_RX_LOST);
		if (i == first_scan)
			scanning = true;
		if (i == resync_seg) {
			/* fact sheet 8.5: what GET_PSV reads now */
			uint32_t seq_g = seq0 + (uint32_t)guess_hdr;

			CU_ASSERT_EQUAL(st.state, SIM_TLS_RX_RESYNC_PENDING);
			CU_ASSERT_EQUAL(sim_tls_rx_get_progress(rx, out), 0);
			CU_ASSERT_EQUAL(out[12], 0x40); /* TRACKING, NO_OFFLOAD */
			CU_ASSERT_EQUAL(get_be32(out + 8), seq_g);
			/* the kernel's condition: a header starting inside the RESYNC packet */
			CU_ASSERT(guess_hdr >= a && guess_hdr < a + len);
			offset_at_resync = get_be32(out + 12) & 0xffffff;
		}
		if (i == answer_seg) {
			size_t done = 0;

			for (size_t r = guess_rec; r < rs->n; r++)
				if (rs->off[r] + rs->rlen[r] <= a + len)
					done++;
			CU_ASSERT_EQUAL(sim_tls_rx_get_progress(rx, out), 0);
			CU_ASSERT_EQUAL(out[12], 0x40);
			CU_ASSERT_EQUAL(get_be32(out + 12) & 0xffffff, done);
			offset_at_answer = get_be32(out + 12) & 0xffffff;
			CU_ASSERT_EQUAL(get_be32(out + 8), seq0 + (uint32_t)guess_hdr);
			CU_ASSERT_EQUAL(engine_answer(rx, rs,
						      rs->rn[guess_rec] + (uint64_t)rn_delta,
						      get_be32(out + 8)),
					0);
			stats(rx, &st_ans);
			CU_ASSERT_EQUAL(st_ans.state, SIM_TLS_RX_SYNC);
			CU_ASSERT_EQUAL(st_ans.resync_answers, 1);
			answered = true;
		}
	}
	CU_ASSERT_EQUAL(bad, 0);
	CU_ASSERT_EQUAL(resyncs, 1);
	stats(rx, &st);
	CU_ASSERT_EQUAL(st.resync_requests, 1);
	CU_ASSERT_EQUAL(st.sync_lost, 1);
	if (rn_delta == 0) {
		CU_ASSERT_EQUAL(st.auth_failures, 0);
		CU_ASSERT_EQUAL(st.records_ok, done_before + (rs->n - resume_rec));
		CU_ASSERT_EQUAL(st.state, SIM_TLS_RX_SYNC);
		CU_ASSERT_EQUAL(sim_tls_rx_get_progress(rx, out), 0);
		CU_ASSERT_EQUAL(out[12], 0x50); /* TRACKING, OFFLOAD */
		printf("\n  %s, %zu segments: header of record %zu lost; RESYNC %zu segments "
		       "later names record %zu (offset %u); answer %zu segments later (offset "
		       "%u); decryption resumes at record %zu: %zu records not decrypted",
		       suite_name(rs->tls13, (unsigned int)rs->key_len * 8), sl.n, lost,
		       resync_seg - drop, guess_rec, offset_at_resync, delay, offset_at_answer,
		       resume_rec, resume_rec - done_before);
	} else {
		/* not lenient: no record after the answer authenticates */
		CU_ASSERT_EQUAL(st.records_ok, st_ans.records_ok);
		CU_ASSERT_EQUAL(st.auth_failures, rs->n - resume_rec);
		CU_ASSERT(st.pkt_error > 0);
	}
	free(got);
	sim_tls_rx_destroy(rx);
}

static void test_header_loss_resync(void)
{
	for (int k = 0; k < 4; k++) {
		size_t sizes[40];
		struct rstream rs;

		for (size_t i = 0; i < 40; i++)
			sizes[i] = 500 + (size_t)(rnd() % 3500);
		CU_ASSERT_EQUAL_FATAL(rstream_build(&rs, SUITE_TLS13[k], SUITE_BITS[k], sizes, 40),
				      0);
		struct seglist sl = { 0 };

		/* MSS segments: the lost segment starts inside the record before */
		seg_mss(&sl, rs.len, MSS);
		for (size_t lost = 4; lost < 12; lost += 3) {
			size_t d = seg_of(&sl, rs.off[lost]);

			if (rec_of(&rs, sl.off[d]) + 1 != lost ||
			    rs.off[lost] + 5 > sl.off[d] + sl.len[d])
				continue;
			run_header_loss(&rs, &sl, d, 0, 0, SEQ_WRAP);
			run_header_loss(&rs, &sl, d, 3, 0, 77);
			run_header_loss(&rs, &sl, d, 0, 1, SEQ_WRAP);
			run_header_loss(&rs, &sl, d, 2, -1, 0x7ffff000u);
		}
		/* one record per segment: the lost segment is a whole record */
		sl.n = rs.n;
		for (size_t i = 0; i < rs.n; i++) {
			sl.off[i] = rs.off[i];
			sl.len[i] = rs.rlen[i];
		}
		run_header_loss(&rs, &sl, 6, 0, 0, 1);
		run_header_loss(&rs, &sl, 6, 2, 0, 1);
		run_header_loss(&rs, &sl, 6, 1, 1, 1);
		rstream_free(&rs);
	}
	printf("\n");
}

/*
 * R9 relock, DOC "Reorder of segment with a TLS header" (good case): the header segment is late
 * but arrives before the next header has passed; the tracker relocks by itself from it, the
 * record with the hole is passed as received, the following records decrypt; no resync.
 */
static void test_header_late_relock(void)
{
	static const size_t sizes[5] = { 3000, 6000, 6000, 500, 700 };

	for (int k = 0; k < 4; k++) {
		struct sim_tls_rx_stats st;
		struct sim_tls_rx *rx;
		struct rstream rs;
		struct seglist sl = { 0 };
		uint8_t *got;
		size_t d, order[256], n = 0;
		int bad = 0;

		CU_ASSERT_EQUAL_FATAL(rstream_build(&rs, SUITE_TLS13[k], SUITE_BITS[k], sizes, 5),
				      0);
		got = malloc(rs.len);
		CU_ASSERT_PTR_NOT_NULL_FATAL(got);
		seg_mss(&sl, rs.len, 1000);
		d = seg_of(&sl, rs.off[1]);
		CU_ASSERT_FATAL(rs.off[2] > sl.off[d + 2] + sl.len[d + 2]);
		for (size_t i = 0; i < sl.n; i++) {
			if (i == d)
				continue;
			order[n++] = i;
			if (i == d + 1)
				order[n++] = d; /* late */
		}
		rx = engine_new(&rs, rs.rn[0], SEQ_WRAP);
		CU_ASSERT_PTR_NOT_NULL_FATAL(rx);
		for (size_t j = 0; j < n; j++) {
			size_t i = order[j], a = sl.off[i];
			int s = deliver(rx, SEQ_WRAP, rs.wire, a, sl.len[i], true, got), want;

			/* records 0 and 1 have holes (segment d+1 came before d): passed as
			 * received */
			if (i < d)
				want = SIM_TLS_RX_DECRYPTED;
			else if (a < rs.off[2])
				want = SIM_TLS_RX_NOT_DECRYPTED;
			else
				want = SIM_TLS_RX_DECRYPTED;
			if (s != want || !pkt_bytes_ok(s, got, rs.wire, rs.img, a, sl.len[i]))
				bad++;
			stats(rx, &st);
			if (i == d + 1 && st.state != SIM_TLS_RX_LOST)
				bad++;
		}
		CU_ASSERT_EQUAL(bad, 0);
		stats(rx, &st);
		CU_ASSERT_EQUAL(st.relocked, 1);
		CU_ASSERT_EQUAL(st.sync_lost, 1);
		CU_ASSERT_EQUAL(st.resync_requests, 0);
		/* record 0 lost its tail when the tracker moved to the hidden header, record 1
		 * has the hole of segment d + 1 */
		CU_ASSERT_EQUAL(st.records_ok, 3);
		CU_ASSERT_EQUAL(st.records_skipped, 2);
		CU_ASSERT_EQUAL(st.state, SIM_TLS_RX_SYNC);
		free(got);
		sim_tls_rx_destroy(rx);
		rstream_free(&rs);
	}
}

/*
 * S2/S3 while RESYNC_PENDING: after the first RESYNC a segment is lost. Inside a record the
 * guess stands and the records counted since it stay right; hiding a header it is dropped, the
 * scan restarts at once and a new RESYNC follows. The answer to the request that stands then
 * resumes decryption exactly.
 */
static void run_pending_gap(const struct rstream *rs, bool hide_header)
{
	struct sim_tls_rx *rx = engine_new(rs, rs->rn[0], SEQ_WRAP);
	uint8_t *got = malloc(rs->len), out[16];
	struct sim_tls_rx_stats st;
	struct seglist sl = { 0 };
	size_t drop1 = 0, drop2 = 0, resume_rec = 0, done_before = 0;
	int resyncs = 0, bad = 0, phase = 0; /* 0: before RESYNC 1, 1: pending, 2: answered */

	CU_ASSERT_FATAL(rx && got);
	seg_mss(&sl, rs->len, MSS);
	drop1 = find_header_seg(rs, &sl, 2);
	CU_ASSERT_FATAL(drop1 < sl.n);
	for (size_t r = 0; r < rs->n; r++)
		if (rs->off[r] + rs->rlen[r] <= sl.off[drop1])
			done_before++;
	for (size_t i = 0; i < sl.n; i++) {
		size_t a = sl.off[i], len = sl.len[i];
		int s, want;

		if (i == drop1 || (phase == 1 && i == drop2))
			continue;
		s = deliver(rx, SEQ_WRAP, rs->wire, a, len, true, got);
		if (i < drop1)
			want = SIM_TLS_RX_DECRYPTED;
		else if (phase == 2 && a >= rs->off[resume_rec])
			want = SIM_TLS_RX_DECRYPTED;
		else
			want = s == SIM_TLS_RX_RESYNC ? s : SIM_TLS_RX_NOT_DECRYPTED;
		if (s != want || !pkt_bytes_ok(s, got, rs->wire, rs->img, a, len))
			bad++;
		if (s == SIM_TLS_RX_RESYNC)
			resyncs++;
		if (phase == 0 && s == SIM_TLS_RX_RESYNC) {
			/* pick the second loss after this segment */
			if (hide_header) {
				drop2 = find_header_seg(rs, &sl, i + 1);
			} else {
				for (drop2 = i + 1; drop2 + 1 < sl.n; drop2++) {
					size_t a2 = sl.off[drop2], r = rec_of(rs, a2), hdr = 0;

					for (size_t j = 0; j < rs->n; j++)
						if (rs->off[j] + 4 >= a2 &&
						    rs->off[j] < a2 + sl.len[drop2])
							hdr++;
					if (!hdr && r + 1 < rs->n &&
					    sl.off[drop2 + 1] <= rs->off[r + 1])
						break;
				}
			}
			CU_ASSERT_FATAL(drop2 + 1 < sl.n);
			phase = 1;
			continue;
		}
		if (phase != 1 || i < drop2 + 1)
			continue;
		stats(rx, &st);
		if (hide_header && resyncs < 2) {
			if (i == drop2 + 1 && st.scan_restarts < 1)
				bad++;
			continue; /* wait for the new RESYNC */
		}
		/* answer the request that stands */
		{
			size_t ghdr, grec, done = 0, end = a + len;

			CU_ASSERT_EQUAL(st.state, SIM_TLS_RX_RESYNC_PENDING);
			CU_ASSERT_EQUAL(sim_tls_rx_get_progress(rx, out), 0);
			ghdr = get_be32(out + 8) - SEQ_WRAP;
			grec = rec_of(rs, ghdr);
			CU_ASSERT_FATAL(grec < rs->n && rs->off[grec] == ghdr);
			for (size_t r = grec; r < rs->n; r++)
				if (rs->off[r] + rs->rlen[r] <= end)
					done++;
			CU_ASSERT_EQUAL(get_be32(out + 12) & 0xffffff, done);
			CU_ASSERT_EQUAL(engine_answer(rx, rs, rs->rn[grec], get_be32(out + 8)), 0);
			while (resume_rec < rs->n && pay_start(rs, resume_rec) < end)
				resume_rec++;
			CU_ASSERT_FATAL(resume_rec + 1 < rs->n);
			phase = 2;
		}
	}
	CU_ASSERT_EQUAL(bad, 0);
	CU_ASSERT_EQUAL(phase, 2);
	stats(rx, &st);
	CU_ASSERT_EQUAL(st.resync_requests, hide_header ? 2 : 1);
	CU_ASSERT_EQUAL(st.resync_answers, 1);
	CU_ASSERT_EQUAL(st.auth_failures, 0);
	CU_ASSERT_EQUAL(st.state, SIM_TLS_RX_SYNC);
	CU_ASSERT_EQUAL(st.records_ok, done_before + (rs->n - resume_rec));
	free(got);
	sim_tls_rx_destroy(rx);
}

static void test_pending_gap(void)
{
	for (int k = 0; k < 4; k++) {
		size_t sizes[40];
		struct rstream rs;

		for (size_t i = 0; i < 40; i++)
			sizes[i] = 1500 + (size_t)(rnd() % 2500);
		CU_ASSERT_EQUAL_FATAL(rstream_build(&rs, SUITE_TLS13[k], SUITE_BITS[k], sizes, 40),
				      0);
		run_pending_gap(&rs, false);
		run_pending_gap(&rs, true);
		rstream_free(&rs);
	}
}

static const struct test_case tls_rx_cases[] = {
	{ "reorder without header loss keeps sync", test_reorder_no_header },
	{ "late header segment: relock without resync", test_header_late_relock },
	{ "segment lost while a RESYNC is pending", test_pending_gap },
	{ "header loss: scan, RESYNC, GET_PSV, answer, resume", test_header_loss_resync },
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
