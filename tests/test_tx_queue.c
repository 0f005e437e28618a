/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The send queue under TLS TX, through the model and read by a real OpenSSL client: a small ring
 * that wraps thousands of times with resyncs in it (static params split across the ring end), on
 * the calling thread and on the model's device thread, and a ring filled by frames posted with
 * MORE. Error-CQE recovery: test_tx_queue_recovery.c; the software path's bounce buffer:
 * test_tx_queue_bounce.c. The fixture is tests/util/tx_queue_fixture.h.
 */
#include "tx_queue_fixture.h"

/* Post fenced NOPs (library internals) until the next WQE starts at ring index `idx`. */
static void pad_ring_to(struct mlx5tls_qp *qp, uint32_t idx)
{
	struct wqe_slot ctrl = { .kind = WQE_CTRL };

	while ((qp->pc & qp->wqe_mask) != idx) {
		uint8_t *w;

		CU_ASSERT_EQUAL_FATAL(qp_reserve(qp, 1), 0);
		w = qp_wqe_begin(qp, 1);
		wqe_build_fence_nop(w, (uint16_t)qp->pc, qp->ring.sqn);
		qp_commit(qp, 1, &ctrl);
	}
}

static uint64_t rng;

static uint32_t rnd(uint32_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)((rng * 0x2545f4914f6cdd1dull) >> 33) % n;
}

/* ---- the ring wraps ---- */

static void run_wrap(int version, unsigned int bits, bool async)
{
	struct txh_opts o = { .tls_version = version, .key_bits = bits, .isn = 0xfff00000u,
			      .log_sq_wqebbs = 6, .qp_async = async };
	struct mlx5tls_qp_attr a;
	struct mlx5tls_tx_info info;
	struct wqe_peek w[MAX_PEEK];
	struct txh h;
	size_t len = 3000000, sent = 0, acked = 0, rl, seg = 1448;
	uint8_t *pt = txh_pattern(len, 61);
	unsigned int frames = 0, wrapped_static = 0;

	rng = 0x5eed + (uint64_t)bits + (uint64_t)async;
	CU_ASSERT_EQUAL_FATAL(txh_init(&h, &o), 0);
	txh_add_records(&h, pt, len, 16384);
	rl = tls_record_size(h.ktls_version, 16384);
	while (sent < h.stream_len) {
		size_t n = h.stream_len - sent < seg ? h.stream_len - sent : seg;

		CU_ASSERT_EQUAL(txh_send(&h, sent, n, 0), 0);
		sent += n;
		frames++;
		if (frames % 7 == 0 && sent - acked > 3 * seg) {
			/* a retransmission 1..20 frames back: resync with up to 12 DUMPs */
			size_t back = (1 + rnd(20)) * seg;
			size_t off = sent - (back < sent - acked ? back : sent - acked);
			size_t rec = off / rl;

			if (frames % 70 == 0) {
				/* static params split across the ring end: its first WQEBB at
				 * the last or the one before */
				uint32_t at = (frames / 70) % 2 ? 62 : 63;
				uint32_t pc;
				int np;

				/* a record other than the last static params' */
				while (h.first_rec + rec == h.tx->static_num && off >= acked + rl) {
					off -= rl;
					rec--;
				}
				if (h.first_rec + rec == h.tx->static_num)
					continue;
				pad_ring_to(h.qp, at);
				pc = h.qp->pc;
				CU_ASSERT_EQUAL(txh_send(&h, off,
							 seg < sent - off ? seg : sent - off, 0),
						0);
				np = peek_wqes(h.qp, pc, w, MAX_PEEK);
				CU_ASSERT(np > 1);
				CU_ASSERT_EQUAL(w[0].opcode, PEEK_OP_UMR);
				CU_ASSERT_EQUAL(w[0].rec_num, h.first_rec + rec);
				CU_ASSERT_EQUAL(w[0].pc & h.qp->wqe_mask, at);
				wrapped_static++;
			} else {
				CU_ASSERT_EQUAL(txh_send(&h, off,
							 seg < sent - off ? seg : sent - off, 0),
						0);
			}
		}
		if (frames % 50 == 0) {
			/* the receiver acknowledges what it has (an asynchronous device may still
			 * be sending) */
			if (async)
				CU_ASSERT(txh_drain(&h) >= 0);
			acked = h.rx_contig;
			CU_ASSERT_EQUAL(mlx5tls_tx_ack(h.tx, o.isn + (uint32_t)acked), 0);
		}
	}
	CU_ASSERT(txh_drain(&h) > 0);
	CU_ASSERT_EQUAL(txh_check_plaintext(&h, pt, len), 0);
	qp_attr(&h, &a);
	info_of(&h, &info);
	CU_ASSERT_EQUAL(a.wqebbs, 64);
	CU_ASSERT_EQUAL(a.recoveries, 0);
	CU_ASSERT_EQUAL(a.inflight, 0);
	CU_ASSERT(a.wqes > 50 * 64);       /* the send ring went round many times */
	CU_ASSERT(a.doorbells > 20 * 64);  /* one CQE per doorbell at least: so did the CQ */
	CU_ASSERT(wrapped_static >= 20);
	CU_ASSERT(info.ooo > 250);
	CU_ASSERT(info.dump_packets > 500);
	CU_ASSERT_EQUAL(info.drop_no_sync_data, 0);
	txh_fini(&h);
	free(pt);
}

static void test_wrap_sync_tls12_128(void)
{
	run_wrap(TLS1_2_VERSION, 128, false);
}

static void test_wrap_sync_tls13_256(void)
{
	run_wrap(TLS1_3_VERSION, 256, false);
}

static void test_wrap_async_tls12_256(void)
{
	run_wrap(TLS1_2_VERSION, 256, true);
}

static void test_wrap_async_tls13_128(void)
{
	run_wrap(TLS1_3_VERSION, 128, true);
}

/* Many frames posted with MORE before one doorbell: the library rings the doorbell itself when
 * the ring fills up. */
static void test_batched_full_ring(void)
{
	struct txh_opts o = { .tls_version = TLS1_3_VERSION, .key_bits = 128, .isn = 1,
			      .log_sq_wqebbs = 6 };
	struct mlx5tls_completion c[64];
	struct mlx5tls_qp_attr a;
	struct txh h;
	size_t len = 300000, off = 0;
	uint8_t *pt = txh_pattern(len, 67);
	unsigned int frames = 0, done = 0;

	CU_ASSERT_EQUAL_FATAL(txh_init(&h, &o), 0);
	txh_add_records(&h, pt, len, 16384);
	while (off < h.stream_len) {
		struct mlx5tls_frame f;
		size_t n = h.stream_len - off < 1000 ? h.stream_len - off : 1000;

		CU_ASSERT_EQUAL_FATAL(txh_frame(&h, off, n, 0, &f), 0);
		f.cookie = frames++;
		CU_ASSERT_EQUAL(mlx5tls_tx_send(h.tx, &f, MLX5TLS_SEND_F_MORE), 0);
		off += n;
	}
	CU_ASSERT_EQUAL(mlx5tls_qp_flush(h.qp), 0);
	for (int i = 0; i < 1000 && done < frames; i++) {
		int n = mlx5tls_qp_poll(h.qp, c, 64, 10);

		CU_ASSERT_FATAL(n >= 0);
		for (int j = 0; j < n; j++) {
			CU_ASSERT_EQUAL(c[j].cookie, done); /* in order, each once */
			CU_ASSERT_EQUAL(c[j].status, 0);
			done++;
		}
	}
	CU_ASSERT_EQUAL(done, frames);
	qp_attr(&h, &a);
	/* ~600 WQEBBs through a 64-WQEBB ring: at least one doorbell per ring's worth */
	CU_ASSERT(a.doorbells >= 600 / 64);
	CU_ASSERT_EQUAL(txh_check_plaintext(&h, pt, len), 0);
	txh_fini(&h);
	free(pt);
}

static const struct test_case queue_cases[] = {
	{ "wrap_sync_tls12_128", test_wrap_sync_tls12_128 },
	{ "wrap_sync_tls13_256", test_wrap_sync_tls13_256 },
	{ "wrap_async_tls12_256", test_wrap_async_tls12_256 },
	{ "wrap_async_tls13_128", test_wrap_async_tls13_128 },
	{ "batched_full_ring", test_batched_full_ring },
	{ NULL, NULL },
};

int main(void)
{
	return tls_peer_run_suite("tx_queue", queue_cases);
}
