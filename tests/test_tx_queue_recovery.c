/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The send queue under TLS TX, through the model and read by a real OpenSSL client: error-CQE
 * recovery (ERR -> RST -> RDY, params re-posted, flushed frames replayed) with the error on a
 * data, static params, progress params, NOP or DUMP WQE, on the calling thread and on the
 * model's device thread, on the device and the software path; inside a send into a full ring;
 * with two contexts on one queue; and while a software frame waits for bounce memory. The
 * fixture is tests/util/tx_queue_fixture.h.
 */
#include "tx_queue_fixture.h"

/* ---- error CQE recovery ---- */

enum fail_at {
	FAIL_STATIC_FIRST, /* the very first static params of the context */
	FAIL_DATA,         /* a data WQE among several in flight */
	FAIL_STATIC,       /* the static params of a resync */
	FAIL_PROGRESS,     /* its progress params */
	FAIL_NOP,          /* its fenced NOP */
	FAIL_DUMP,         /* its first DUMP */
	FAIL_DATA_RESYNCED /* the retransmitted frame after the DUMPs */
};

struct cookies {
	unsigned int n;
	uint8_t seen[64];
	int status[64];
};

/* Send stream [off, off+len) as one frame with cookie id, without a doorbell. */
static void send_more(struct txh *h, struct cookies *ck, size_t off, size_t len)
{
	struct mlx5tls_frame f;

	CU_ASSERT_EQUAL_FATAL(txh_frame(h, off, len, 0, &f), 0);
	f.cookie = ck->n++;
	CU_ASSERT_EQUAL(mlx5tls_tx_send(h->tx, &f, MLX5TLS_SEND_F_MORE), 0);
}

static void reap_all(struct txh *h, struct cookies *ck)
{
	struct mlx5tls_completion c[16];
	unsigned int got = 0;

	for (unsigned int i = 0; i < ck->n; i++)
		got += ck->seen[i] ? 1 : 0;
	for (int round = 0; round < 2000 && got < ck->n; round++) {
		int n = mlx5tls_qp_poll(h->qp, c, 16, 5);

		/* not FATAL: an asynchronous device thread must be stopped by txh_fini */
		CU_ASSERT(n >= 0);
		if (n < 0)
			break;
		for (int j = 0; j < n; j++) {
			CU_ASSERT(c[j].cookie < ck->n);
			if (c[j].cookie >= ck->n)
				continue;
			CU_ASSERT_EQUAL(ck->seen[c[j].cookie], 0); /* once */
			ck->seen[c[j].cookie]++;
			ck->status[c[j].cookie] = c[j].status;
			got++;
		}
	}
	CU_ASSERT_EQUAL(got, ck->n);
	for (unsigned int i = 0; i < ck->n; i++)
		CU_ASSERT_EQUAL(ck->status[i], 0);
}

static void run_recovery(int version, unsigned int bits, enum fail_at at, uint32_t tx_flags,
			 bool async)
{
	struct txh_opts o = { .tls_version = version, .key_bits = bits, .isn = 0xffffff00u,
			      .qp_async = async, .tx_flags = tx_flags };
	static const uint8_t want_op[] = {
		[FAIL_STATIC_FIRST] = PEEK_OP_UMR, [FAIL_DATA] = PEEK_OP_SEND,
		[FAIL_STATIC] = PEEK_OP_UMR,       [FAIL_PROGRESS] = PEEK_OP_SET_PSV,
		[FAIL_NOP] = PEEK_OP_NOP,          [FAIL_DUMP] = PEEK_OP_DUMP,
		[FAIL_DATA_RESYNCED] = PEEK_OP_SEND,
	};
	static const uint32_t inject_n[] = {
		[FAIL_STATIC_FIRST] = 0, [FAIL_DATA] = 5, [FAIL_STATIC] = 0, [FAIL_PROGRESS] = 1,
		[FAIL_NOP] = 2,          [FAIL_DUMP] = 3, [FAIL_DATA_RESYNCED] = 5,
	};
	bool sw = tx_flags & MLX5TLS_TX_F_SOFTWARE;
	struct cookies ck = { 0 };
	struct wqe_peek w[MAX_PEEK];
	struct mlx5tls_qp_attr a;
	struct mlx5tls_tx_info info;
	struct txh h;
	size_t len = 20000, next;
	uint8_t *pt = txh_pattern(len, (uint8_t)(73 + at));
	uint32_t pc;
	int np;

	CU_ASSERT_EQUAL_FATAL(txh_init(&h, &o), 0);
	txh_add_records(&h, pt, len, 4000);
	if (at != FAIL_STATIC_FIRST && at != FAIL_DATA) {
		/* in order up to 8000, then a retransmission in record 1 (another record than
		 * the last static params'): static, progress, NOP, DUMPs [rl, 5000), [5000,
		 * 6000) */
		for (size_t off = 0; off < 8000; off += 1000)
			send_more(&h, &ck, off, 1000);
		CU_ASSERT_EQUAL(mlx5tls_qp_flush(h.qp), 0);
		reap_all(&h, &ck);
	}
	pc = h.qp->pc;
	CU_ASSERT_EQUAL(mlx5tls_qp_model_inject_error(h.qp, inject_n[at]), 0);
	if (at == FAIL_STATIC_FIRST || at == FAIL_DATA) {
		for (size_t off = 0; off < 8000; off += 1000)
			send_more(&h, &ck, off, 1000);
	} else {
		send_more(&h, &ck, 6000, 1000);
		send_more(&h, &ck, 7000, 1000);
		send_more(&h, &ck, 8000, 1000);
		send_more(&h, &ck, 9000, 1000);
	}
	/* the WQE that will fail is the one meant (device path) */
	np = peek_wqes(h.qp, pc, w, MAX_PEEK);
	if (!sw) {
		CU_ASSERT_FATAL(np > (int)inject_n[at]);
		CU_ASSERT_EQUAL(w[inject_n[at]].opcode, want_op[at]);
	}
	CU_ASSERT_EQUAL(mlx5tls_qp_flush(h.qp), 0);
	reap_all(&h, &ck);
	qp_attr(&h, &a);
	CU_ASSERT_EQUAL(a.recoveries, 1);
	CU_ASSERT(a.reposted > 0);
	CU_ASSERT_EQUAL(test_counter(h.dev, "qp_recover"), 1);
	CU_ASSERT_EQUAL(test_counter(h.dev, "qp_repost"), a.reposted);
	/* the rest of the stream goes on normally */
	next = at == FAIL_STATIC_FIRST || at == FAIL_DATA ? 8000 : 10000;
	CU_ASSERT_EQUAL(txh_send_segments(&h, next, h.stream_len - next, 1000), 0);
	CU_ASSERT(txh_drain(&h) > 0);
	CU_ASSERT_EQUAL(txh_check_plaintext(&h, pt, len), 0);
	info_of(&h, &info);
	CU_ASSERT_EQUAL(info.drop_no_sync_data, 0);
	qp_attr(&h, &a);
	CU_ASSERT_EQUAL(a.recoveries, 1);
	txh_fini(&h);
	free(pt);
}

static void test_recover_static_first_tls12(void)
{
	run_recovery(TLS1_2_VERSION, 128, FAIL_STATIC_FIRST, 0, false);
}

static void test_recover_data_tls13(void)
{
	run_recovery(TLS1_3_VERSION, 256, FAIL_DATA, 0, false);
}

static void test_recover_data_tls12_async(void)
{
	run_recovery(TLS1_2_VERSION, 256, FAIL_DATA, 0, true);
}

static void test_recover_static_tls13(void)
{
	run_recovery(TLS1_3_VERSION, 128, FAIL_STATIC, 0, false);
}

static void test_recover_progress_tls12(void)
{
	run_recovery(TLS1_2_VERSION, 128, FAIL_PROGRESS, 0, false);
}

static void test_recover_nop_tls13(void)
{
	run_recovery(TLS1_3_VERSION, 256, FAIL_NOP, 0, false);
}

static void test_recover_dump_tls12(void)
{
	run_recovery(TLS1_2_VERSION, 256, FAIL_DUMP, 0, false);
}

static void test_recover_dump_tls13_async(void)
{
	run_recovery(TLS1_3_VERSION, 128, FAIL_DUMP, 0, true);
}

static void test_recover_resynced_data_tls13(void)
{
	run_recovery(TLS1_3_VERSION, 128, FAIL_DATA_RESYNCED, 0, false);
}

static void test_recover_software_tls12(void)
{
	run_recovery(TLS1_2_VERSION, 128, FAIL_DATA, MLX5TLS_TX_F_SOFTWARE, false);
}

static void test_recover_software_retx_tls13(void)
{
	run_recovery(TLS1_3_VERSION, 256, FAIL_DUMP, MLX5TLS_TX_F_SOFTWARE, false);
}

/* An error while the ring is full of frames posted with MORE: the recovery happens inside a
 * send (the library reaps to make room), replays up to a ring's worth, and the send that
 * triggered it must still find room for its own WQE. Plain frames (in the clear, before the
 * offload start) and TLS frames. */
static void run_recover_full_ring(bool tls)
{
	struct txh_opts o = { .tls_version = TLS1_2_VERSION, .key_bits = 128, .isn = 1u << 20,
			      .log_sq_wqebbs = 6 };
	struct cookies ck = { 0 };
	struct mlx5tls_qp_attr a;
	struct txh h;
	uint8_t *pt = txh_pattern(60000, 107);
	unsigned int frames = 60;

	CU_ASSERT_EQUAL_FATAL(txh_init(&h, &o), 0);
	txh_add_records(&h, pt, 60000, 16384);
	CU_ASSERT_EQUAL(mlx5tls_qp_model_inject_error(h.qp, tls ? 3 : 0), 0);
	for (unsigned int i = 0; i < frames; i++) {
		struct mlx5tls_frame f;

		if (tls) {
			CU_ASSERT_EQUAL_FATAL(txh_frame(&h, i * 1000, 1000, 0, &f), 0);
		} else {
			CU_ASSERT_EQUAL_FATAL(txh_frame_at(&h, o.isn - 100000 + i * 1000, pt,
							   1000, 0, &f), 0);
		}
		f.cookie = ck.n++;
		if (tls) {
			CU_ASSERT_EQUAL(mlx5tls_tx_send(h.tx, &f, MLX5TLS_SEND_F_MORE), 0);
		} else {
			CU_ASSERT_EQUAL(mlx5tls_qp_send(h.qp, &f, MLX5TLS_SEND_F_MORE), 0);
		}
	}
	CU_ASSERT_EQUAL(mlx5tls_qp_flush(h.qp), 0);
	reap_all(&h, &ck);
	qp_attr(&h, &a);
	CU_ASSERT_EQUAL(a.recoveries, 1);
	CU_ASSERT_EQUAL(a.inflight, 0);
	CU_ASSERT(a.reposted >= 20);
	if (tls) {
		CU_ASSERT_EQUAL(txh_send_segments(&h, frames * 1000, h.stream_len - frames * 1000,
						  1000), 0);
		CU_ASSERT(txh_drain(&h) > 0);
		CU_ASSERT_EQUAL(txh_check_plaintext(&h, pt, 60000), 0);
	} else {
		CU_ASSERT_EQUAL(h.rx_before, frames); /* each frame exactly once on the wire */
	}
	txh_fini(&h);
	free(pt);
}

static void test_recover_full_ring_plain(void)
{
	run_recover_full_ring(false);
}

static void test_recover_full_ring_tls(void)
{
	run_recover_full_ring(true);
}

/* A second connection on the same queue, built by hand: its frames go through the harness's
 * arena and wire, far away in sequence space, and are collected by the receiver hook. */
struct conn2 {
	struct tls_peer_pair *pair;
	union tls_peer_crypto_info ci;
	struct mlx5tls_tx *tx;
	uint32_t isn;
	uint8_t stream[40000];
	uint8_t rx[40000];
	uint8_t have[40000];
	size_t len;
	uint64_t mismatch;
};

static void conn2_hook(void *ctx, uint32_t seq, const uint8_t *payload, size_t len)
{
	struct conn2 *c = ctx;
	uint32_t off = seq - c->isn;

	if (off >= sizeof(c->rx) || len > sizeof(c->rx) - off)
		return; /* the harness's own connection */
	for (size_t i = 0; i < len; i++) {
		c->mismatch += c->have[off + i] && c->rx[off + i] != payload[i];
		c->rx[off + i] = payload[i];
		c->have[off + i] = 1;
	}
}

static void conn2_send(struct txh *h, struct conn2 *c, struct cookies *ck, size_t off, size_t n)
{
	struct mlx5tls_frame f;

	CU_ASSERT_EQUAL_FATAL(txh_frame_at(h, c->isn + (uint32_t)off, c->stream + off, n, 0, &f),
			      0);
	f.cookie = ck->n++;
	CU_ASSERT_EQUAL(mlx5tls_tx_send(c->tx, &f, MLX5TLS_SEND_F_MORE), 0);
	/* never more posted than the ring holds (a synchronous model would not notice) */
	CU_ASSERT(h->qp->pc - h->qp->cc <= h->qp->ring.sq_wqebbs);
}

/* Two TLS contexts (TLS 1.2 and 1.3) interleaved on one queue, a third one gone between them;
 * an error CQE on one's frame recovers the queue and both re-post their params; both readers get
 * every byte. */
static void test_two_contexts_recovery(void)
{
	struct txh_opts o = { .tls_version = TLS1_2_VERSION, .key_bits = 128, .isn = 1000 };
	struct conn2 *c = calloc(1, sizeof(*c));
	struct cookies ck = { 0 };
	struct mlx5tls_tx_info i1, i2;
	struct mlx5tls_qp_attr a;
	struct mlx5tls_tx *hole;
	struct txh h;
	uint8_t *pt = txh_pattern(30000, 113), got[30001];
	uint64_t num = 0;
	ssize_t n;
	size_t total = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_EQUAL_FATAL(txh_init(&h, &o), 0);
	c->pair = tls_peer_pair_create(TLS1_3_VERSION, 256, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c->pair);
	CU_ASSERT_EQUAL_FATAL(tls_peer_export_tx(c->pair, TLS_PEER_SERVER, 0, &c->ci), 0);
	c->isn = 0x40000000u;
	/* a context that comes and goes first leaves a free slot before the second one in the
	 * queue's table: the recovery must walk past it and still re-arm the second */
	hole = mlx5tls_tx_create(h.qp, &c->ci.info, tls_peer_crypto_info_size(&c->ci.info), 7,
				 NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(hole);
	c->tx = mlx5tls_tx_create(h.qp, &c->ci.info, tls_peer_crypto_info_size(&c->ci.info),
				  c->isn, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c->tx);
	CU_ASSERT_EQUAL(mlx5tls_tx_destroy(hole), 0);
	for (size_t p = 0; p < 30000; p += 6000) {
		n = tls_record_layout(&c->ci.info, TLS_RT_APPLICATION_DATA, num++, pt + p, 6000,
				      c->stream + c->len, sizeof(c->stream) - c->len);
		CU_ASSERT_FATAL(n > 0);
		c->len += (size_t)n;
	}
	h.rx_hook = conn2_hook;
	h.rx_hook_ctx = c;
	txh_add_records(&h, pt, 30000, 5000);
	/* a few frames of each, then the error on the 14th WQE, with more of both in flight */
	for (size_t off = 0; off < 8000; off += 1000) {
		struct mlx5tls_frame f;

		CU_ASSERT_EQUAL_FATAL(txh_frame(&h, off, 1000, 0, &f), 0);
		f.cookie = ck.n++;
		CU_ASSERT_EQUAL(mlx5tls_tx_send(h.tx, &f, MLX5TLS_SEND_F_MORE), 0);
		conn2_send(&h, c, &ck, off, 1000);
		if (off == 2000) {
			CU_ASSERT_EQUAL(mlx5tls_qp_flush(h.qp), 0);
			CU_ASSERT_EQUAL(mlx5tls_qp_model_inject_error(h.qp, 3), 0);
		}
	}
	CU_ASSERT_EQUAL(mlx5tls_qp_flush(h.qp), 0);
	reap_all(&h, &ck);
	qp_attr(&h, &a);
	CU_ASSERT_EQUAL(a.recoveries, 1);
	CU_ASSERT_EQUAL(a.tls_contexts, 2);
	/* the rest of both */
	CU_ASSERT_EQUAL(txh_send_segments(&h, 8000, h.stream_len - 8000, 1000), 0);
	for (size_t off = 8000; off < c->len; off += 1000)
		conn2_send(&h, c, &ck, off, c->len - off < 1000 ? c->len - off : 1000);
	CU_ASSERT_EQUAL(mlx5tls_qp_flush(h.qp), 0);
	CU_ASSERT(txh_drain(&h) > 0);
	CU_ASSERT_EQUAL(txh_check_plaintext(&h, pt, 30000), 0);
	CU_ASSERT_EQUAL(c->mismatch, 0);
	CU_ASSERT_EQUAL(memchr(c->have, 0, c->len), NULL);
	CU_ASSERT_EQUAL(tls_peer_feed(c->pair, TLS_PEER_CLIENT, c->rx, c->len), 0);
	while ((n = tls_peer_read(c->pair, TLS_PEER_CLIENT, got + total, sizeof(got) - total)) > 0)
		total += (size_t)n;
	CU_ASSERT_EQUAL(total, 30000);
	CU_ASSERT_EQUAL(memcmp(got, pt, 30000), 0);
	/* counters are per context; the device sums them */
	info_of(&h, &i1);
	CU_ASSERT_EQUAL(mlx5tls_tx_query(c->tx, &i2, sizeof(i2)), 0);
	CU_ASSERT(i1.encrypted_bytes >= h.stream_len);
	CU_ASSERT(i2.encrypted_bytes >= c->len);
	/* the recovery re-armed it (past the free slot): its next frame resynchronised in order,
	 * not as an out-of-order frame found later */
	CU_ASSERT_EQUAL(i2.ooo, 0);
	CU_ASSERT_EQUAL(test_counter(h.dev, "tx_tls_encrypted_bytes"),
			i1.encrypted_bytes + i2.encrypted_bytes);
	CU_ASSERT_EQUAL(mlx5tls_qp_destroy(h.qp), -EBUSY);
	CU_ASSERT_EQUAL(mlx5tls_tx_destroy(c->tx), 0);
	CU_ASSERT_EQUAL(test_counter(h.dev, "tx_tls_encrypted_bytes"),
			i1.encrypted_bytes + i2.encrypted_bytes);
	CU_ASSERT_EQUAL(test_counter(h.dev, "tx_tls_del"), 2);
	tls_peer_crypto_info_wipe(&c->ci);
	tls_peer_pair_destroy(c->pair);
	txh_fini(&h);
	free(c);
	free(pt);
}

/* A device-path and a software-path context on one small queue. The software frame waits for
 * bounce memory, which makes the library reap: the error CQE found there recovers the queue, and
 * the replay re-posts the device context's frames with a resync (params, DUMPs) - more WQEBBs
 * than they took before. The waiting frame must then not be posted into a ring it did not
 * reserve room in again. Swept over how full the ring is when that happens. */
static void run_bounce_recovery(unsigned int n_a)
{
	struct txh_opts o = { .tls_version = TLS1_3_VERSION, .key_bits = 128, .isn = 1000,
			      .log_sq_wqebbs = 6, .bounce_bytes = 3200 };
	struct mlx5tls_tx_opts so = { .sz = sizeof(so), .flags = MLX5TLS_TX_F_SOFTWARE };
	struct conn2 *c = calloc(1, sizeof(*c));
	struct cookies ck = { 0 };
	struct mlx5tls_qp_attr a;
	struct txh h;
	uint8_t *pt = txh_pattern(40000, 127), *got = malloc(8001);
	uint64_t num = 0;
	size_t total = 0, off_a = 0;
	ssize_t n;

	CU_ASSERT_FATAL(c && got);
	CU_ASSERT_EQUAL_FATAL(txh_init(&h, &o), 0);
	c->pair = tls_peer_pair_create(TLS1_2_VERSION, 256, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c->pair);
	CU_ASSERT_EQUAL_FATAL(tls_peer_export_tx(c->pair, TLS_PEER_SERVER,
						 TLS_PEER_EXPORT_SEQ_NONCE, &c->ci), 0);
	c->isn = 0x40000000u;
	c->tx = mlx5tls_tx_create(h.qp, &c->ci.info, tls_peer_crypto_info_size(&c->ci.info),
				  c->isn, &so);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c->tx);
	for (size_t p = 0; p < 8000; p += 2000) {
		n = tls_record_layout(&c->ci.info, TLS_RT_APPLICATION_DATA, 1 + num++, pt + p,
				      2000, c->stream + c->len, sizeof(c->stream) - c->len);
		CU_ASSERT_FATAL(n > 0);
		c->len += (size_t)n;
	}
	h.rx_hook = conn2_hook;
	h.rx_hook_ctx = c;
	txh_add_records(&h, pt, 40000, 16384);
	/* some of A acknowledged by the device, so a replay of A needs DUMPs */
	CU_ASSERT_EQUAL(txh_send_segments(&h, 0, 8000, 1000), 0);
	off_a = 8000;
	CU_ASSERT(txh_drain(&h) > 0);
	/* three software frames fill the bounce buffer, then A's frames, the first of which
	 * fails; a fourth software frame waits for bounce memory */
	CU_ASSERT_EQUAL(mlx5tls_qp_model_inject_error(h.qp, 3), 0);
	for (size_t off = 0; off < 3 * 1000; off += 1000)
		conn2_send(&h, c, &ck, off, 1000);
	for (unsigned int i = 0; i < n_a; i++, off_a += 500) {
		struct mlx5tls_frame f;

		CU_ASSERT_EQUAL_FATAL(txh_frame(&h, off_a, 500, 0, &f), 0);
		f.cookie = ck.n++;
		CU_ASSERT_EQUAL(mlx5tls_tx_send(h.tx, &f, MLX5TLS_SEND_F_MORE), 0);
	}
	conn2_send(&h, c, &ck, 3000, 1000);
	CU_ASSERT_EQUAL(mlx5tls_qp_flush(h.qp), 0);
	reap_all(&h, &ck);
	qp_attr(&h, &a);
	CU_ASSERT_EQUAL(a.recoveries, 1);
	for (size_t off = 4000; off < c->len; off += 1000)
		conn2_send(&h, c, &ck, off, c->len - off < 1000 ? c->len - off : 1000);
	CU_ASSERT_EQUAL(txh_send_segments(&h, off_a, h.stream_len - off_a, 1000), 0);
	CU_ASSERT_EQUAL(mlx5tls_qp_flush(h.qp), 0);
	CU_ASSERT(txh_drain(&h) > 0);
	CU_ASSERT_EQUAL(txh_check_plaintext(&h, pt, 40000), 0);
	CU_ASSERT_EQUAL(c->mismatch, 0);
	CU_ASSERT_EQUAL(memchr(c->have, 0, c->len), NULL);
	CU_ASSERT_EQUAL(tls_peer_feed(c->pair, TLS_PEER_CLIENT, c->rx, c->len), 0);
	while ((n = tls_peer_read(c->pair, TLS_PEER_CLIENT, got + total, 8001 - total)) > 0)
		total += (size_t)n;
	CU_ASSERT_EQUAL(total, 8000);
	CU_ASSERT_EQUAL(memcmp(got, pt, 8000), 0);
	CU_ASSERT_EQUAL(mlx5tls_tx_destroy(c->tx), 0);
	tls_peer_crypto_info_wipe(&c->ci);
	tls_peer_pair_destroy(c->pair);
	txh_fini(&h);
	free(c);
	free(got);
	free(pt);
}

static void test_bounce_recovery_sweep(void)
{
	for (unsigned int n_a = 1; n_a <= 28; n_a++)
		run_bounce_recovery(n_a);
}

static const struct test_case queue_cases[] = {
	{ "recover_static_first_tls12", test_recover_static_first_tls12 },
	{ "recover_data_tls13", test_recover_data_tls13 },
	{ "recover_data_tls12_async", test_recover_data_tls12_async },
	{ "recover_static_tls13", test_recover_static_tls13 },
	{ "recover_progress_tls12", test_recover_progress_tls12 },
	{ "recover_nop_tls13", test_recover_nop_tls13 },
	{ "recover_dump_tls12", test_recover_dump_tls12 },
	{ "recover_dump_tls13_async", test_recover_dump_tls13_async },
	{ "recover_resynced_data_tls13", test_recover_resynced_data_tls13 },
	{ "recover_software_tls12", test_recover_software_tls12 },
	{ "recover_software_retx_tls13", test_recover_software_retx_tls13 },
	{ "recover_full_ring_plain", test_recover_full_ring_plain },
	{ "recover_full_ring_tls", test_recover_full_ring_tls },
	{ "two_contexts_recovery", test_two_contexts_recovery },
	{ "bounce_recovery_sweep", test_bounce_recovery_sweep },
	{ NULL, NULL },
};

int main(void)
{
	return tls_peer_run_suite("tx_queue", queue_cases);
}
