/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Tests the suite lacked (issue 12, mutation testing): each case here kills one or more one-line
 * mutations that survived the rest of the suite (scripts/mutate.sh lists them).
 *  - TX and RX frames with TCP options (timestamps, doff 8);
 *  - a TX frame crossing the offload start by one byte is dropped, not sent in the clear;
 *  - RX: input at next_seq + 1 is a gap (-EPROTO); TLS 1.2 record bodies of 16408 bytes (2^14 of
 *    plaintext) are accepted, 16409 refused with -EMSGSIZE;
 *  - a TLS 1.3 trace masks all 12 salt/IV bytes of the static params;
 *  - a profile with bulk DEKs but no synchronize_dek: no SYNC_CRYPTO, no element keyed twice;
 *  - every progress-params SET_PSV after static params is fenced;
 *  - a DEK pool whose MODIFY fails leaks nothing.
 */
#include <errno.h>
#include <openssl/ssl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "frame_util.h"
#include "mlx5tls/mlx5tls.h"
#include "test_util.h"
#include "tls_peer.h"
#include "tx_harness.h"
#include "tx_wqe_peek.h"

/* ---- TX ---- */

/* Every segment of the stream carries TCP timestamps (doff 8): the record bytes after the
 * options are what the device encrypts, and the peer reads the plaintext. */
static void tx_with_options(int version)
{
	struct txh_opts o = { .tls_version = version, .key_bits = 128, .isn = 5000 };
	size_t len = 20000;
	uint8_t *pt = txh_pattern(len, 9), tmp[1500];
	struct txh h;

	CU_ASSERT_EQUAL_FATAL(txh_init(&h, &o), 0);
	txh_add_records(&h, pt, len, 4000);
	for (size_t off = 0; off < h.stream_len; off += 1000) {
		size_t n = h.stream_len - off < 1000 ? h.stream_len - off : 1000;
		struct mlx5tls_frame f;

		/* a frame with 12 more payload bytes, turned into 12 bytes of options */
		memset(tmp, 0, 12);
		tmp[0] = 1, tmp[1] = 1, tmp[2] = 8, tmp[3] = 10;
		memcpy(tmp + 12, h.stream + off, n);
		CU_ASSERT_EQUAL_FATAL(txh_frame_at(&h, o.isn + (uint32_t)off, tmp, n + 12, 0, &f), 0);
		((uint8_t *)f.data)[14 + 20 + 12] = 8 << 4;
		CU_ASSERT_EQUAL(mlx5tls_tx_send(h.tx, &f, 0), 0);
	}
	CU_ASSERT(txh_drain(&h) > 0);
	CU_ASSERT_EQUAL(h.rx_bad_csum, 0);
	CU_ASSERT_EQUAL(txh_check_plaintext(&h, pt, len), 0);
	txh_fini(&h);
	free(pt);
}

static void test_tx_tcp_options_tls12(void)
{
	tx_with_options(TLS1_2_VERSION);
}

static void test_tx_tcp_options_tls13(void)
{
	tx_with_options(TLS1_3_VERSION);
}

/* A record header the TX stream accepts: body between the version's minimum (TLS 1.2: explicit
 * nonce + tag, 24; TLS 1.3: type + tag, 17) and 2^14 + 256; outside, the frame is refused
 * (-EBADMSG) rather than its bytes taken for records. */
static int tx_header_verdict(int version, uint32_t body)
{
	struct txh_opts o = { .tls_version = version, .key_bits = 128, .isn = 100 };
	uint8_t hdr[5] = { 23, 3, 3, (uint8_t)(body >> 8), (uint8_t)body };
	struct mlx5tls_frame f;
	struct txh h;
	int ret;

	CU_ASSERT_EQUAL_FATAL(txh_init(&h, &o), 0);
	CU_ASSERT_EQUAL_FATAL(txh_frame_at(&h, o.isn, hdr, sizeof(hdr), 0, &f), 0);
	ret = mlx5tls_tx_send(h.tx, &f, 0);
	(void)txh_drain(&h);
	txh_fini(&h);
	return ret;
}

static void test_tx_record_body_limits(void)
{
	CU_ASSERT_EQUAL(tx_header_verdict(TLS1_2_VERSION, 16640), 0);
	CU_ASSERT_EQUAL(tx_header_verdict(TLS1_2_VERSION, 16641), -EBADMSG);
	CU_ASSERT_EQUAL(tx_header_verdict(TLS1_2_VERSION, 24), 0);
	CU_ASSERT_EQUAL(tx_header_verdict(TLS1_2_VERSION, 23), -EBADMSG);
	CU_ASSERT_EQUAL(tx_header_verdict(TLS1_3_VERSION, 17), 0);
	CU_ASSERT_EQUAL(tx_header_verdict(TLS1_3_VERSION, 16), -EBADMSG);
}

/* A TCP header length below 20 bytes (doff 4) or past the frame (doff 15 on a short frame) is
 * refused before anything is posted. */
static void test_tx_bad_doff(void)
{
	struct txh_opts o = { .tls_version = TLS1_2_VERSION, .key_bits = 128, .isn = 100 };
	uint8_t *pt = txh_pattern(1000, 1);
	struct mlx5tls_frame f;
	struct txh h;

	CU_ASSERT_EQUAL_FATAL(txh_init(&h, &o), 0);
	txh_add_records(&h, pt, 1000, 1000);
	CU_ASSERT_EQUAL_FATAL(txh_frame(&h, 0, 30, 0, &f), 0);
	((uint8_t *)f.data)[14 + 20 + 12] = 4 << 4;
	CU_ASSERT_EQUAL(mlx5tls_tx_send(h.tx, &f, 0), -EINVAL);
	CU_ASSERT_EQUAL_FATAL(txh_frame(&h, 0, 30, 0, &f), 0);
	((uint8_t *)f.data)[14 + 20 + 12] = 15 << 4;
	CU_ASSERT_EQUAL(mlx5tls_tx_send(h.tx, &f, 0), -EINVAL);
	/* the same bytes with the right header go through */
	CU_ASSERT_EQUAL(txh_send_segments(&h, 0, h.stream_len, 1000), 0);
	CU_ASSERT(txh_drain(&h) > 0);
	CU_ASSERT_EQUAL(txh_check_plaintext(&h, pt, 1000), 0);
	txh_fini(&h);
	free(pt);
}

/* A frame that crosses the offload start by one byte, at either end: dropped (-ENODATA). */
static void test_tx_cross_start_by_one(void)
{
	struct txh_opts o = { .tls_version = TLS1_3_VERSION, .key_bits = 128, .isn = 0x1000 };
	uint8_t hs[200], *pt = txh_pattern(3000, 3);
	struct mlx5tls_frame f;
	struct txh h;

	memset(hs, 0x16, sizeof(hs));
	CU_ASSERT_EQUAL_FATAL(txh_init(&h, &o), 0);
	txh_add_records(&h, pt, 3000, 3000);
	/* ends one byte after the start */
	CU_ASSERT_EQUAL_FATAL(txh_frame_at(&h, o.isn - 100, hs, 101, 0, &f), 0);
	CU_ASSERT_EQUAL(mlx5tls_tx_send(h.tx, &f, 0), -ENODATA);
	/* starts one byte before it */
	CU_ASSERT_EQUAL_FATAL(txh_frame_at(&h, o.isn - 1, hs, 100, 0, &f), 0);
	CU_ASSERT_EQUAL(mlx5tls_tx_send(h.tx, &f, 0), -ENODATA);
	/* ends exactly at it: handshake bytes, in the clear */
	CU_ASSERT_EQUAL_FATAL(txh_frame_at(&h, o.isn - 100, hs, 100, 0, &f), 0);
	CU_ASSERT_EQUAL(mlx5tls_tx_send(h.tx, &f, 0), 0);
	CU_ASSERT(txh_drain(&h) > 0);
	CU_ASSERT_EQUAL(h.rx_before, 1);
	CU_ASSERT_EQUAL(h.rx_contig, 0); /* nothing of the stream went out in the clear */
	CU_ASSERT_EQUAL(txh_send_segments(&h, 0, h.stream_len, 1400), 0);
	CU_ASSERT(txh_drain(&h) > 0);
	CU_ASSERT_EQUAL(txh_check_plaintext(&h, pt, 3000), 0);
	txh_fini(&h);
	free(pt);
}

/* ---- RX, on the model ---- */

#define RX_ISN 90000u

struct rxm {
	struct mlx5tls_device *dev;
	struct mlx5tls_pd *pd;
	struct mlx5tls_td *td;
	struct mlx5tls_qp *qp;
	struct mlx5tls_rq *rq;
	struct mlx5tls_tir *tir;
	struct mlx5tls_flow *flow;
	struct mlx5tls_rx *rx;
	struct tls12_crypto_info_aes_gcm_128 ci;
	size_t got;
	uint8_t last[64];
};

static int rxm_collect(void *ctx, uint8_t type, const void *pt, size_t len)
{
	struct rxm *m = ctx;

	(void)type;
	memcpy(m->last, pt, len < sizeof(m->last) ? len : sizeof(m->last));
	m->got += len;
	return 0;
}

static void rxm_init(struct rxm *m, uint16_t version)
{
	struct mlx5tls_qp_opts qo = { .sz = sizeof(qo), .flags = MLX5TLS_QP_F_MODEL_SYNC };
	struct mlx5tls_tir_opts to = { .sz = sizeof(to), .tls_en = true };
	struct mlx5tls_flow_match fm = { .ip_version = 4, .src_port = 443, .dst_port = 40000 };

	memset(m, 0, sizeof(*m));
	test_ci128(&m->ci, version, 0x71);
	m->dev = mlx5tls_device_open("sim", NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m->dev);
	m->pd = mlx5tls_pd_alloc(m->dev);
	m->td = mlx5tls_td_alloc(m->dev);
	m->qp = mlx5tls_qp_create(m->pd, m->td, &qo);
	m->rq = mlx5tls_rq_create(m->pd, m->td, NULL);
	CU_ASSERT_FATAL(m->qp && m->rq);
	m->tir = mlx5tls_tir_create(m->rq, m->td, &to);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m->tir);
	fm.src_ip[0] = 198, fm.src_ip[1] = 18, fm.src_ip[3] = 2;
	fm.dst_ip[0] = 198, fm.dst_ip[1] = 18, fm.dst_ip[3] = 1;
	m->flow = mlx5tls_flow_create(m->tir, &fm);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m->flow);
	m->rx = mlx5tls_rx_create(m->qp, m->tir, &m->ci.info, sizeof(m->ci), RX_ISN, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m->rx);
	CU_ASSERT_EQUAL(mlx5tls_qp_poll(m->qp, NULL, 0, 0), 0);
}

static void rxm_fini(struct rxm *m)
{
	CU_ASSERT_EQUAL(mlx5tls_rx_destroy(m->rx), 0);
	CU_ASSERT_EQUAL(mlx5tls_flow_destroy(m->flow), 0);
	CU_ASSERT_EQUAL(mlx5tls_tir_destroy(m->tir), 0);
	CU_ASSERT_EQUAL(mlx5tls_rq_destroy(m->rq), 0);
	CU_ASSERT_EQUAL(mlx5tls_qp_destroy(m->qp), 0);
	CU_ASSERT_EQUAL(mlx5tls_td_dealloc(m->td), 0);
	CU_ASSERT_EQUAL(mlx5tls_pd_dealloc(m->pd), 0);
	CU_ASSERT_EQUAL(mlx5tls_device_close(m->dev), 0);
}

/* n records of rec bytes, encrypted; returns the stream length. */
static size_t rxm_stream(struct rxm *m, uint8_t *out, size_t cap, unsigned int n, size_t rec)
{
	uint8_t *pt = txh_pattern(rec, 4);
	size_t len = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(pt);
	for (unsigned int r = 0; r < n; r++) {
		ssize_t k = tls_record_layout(&m->ci.info, 23, r, pt, rec, out + len, cap - len);

		CU_ASSERT_FATAL(k > 0);
		CU_ASSERT_EQUAL_FATAL(tls_record_encrypt_sw(&m->ci.info, r, out + len, (size_t)k), 0);
		len += (size_t)k;
	}
	free(pt);
	return len;
}

/* Segments with TCP timestamps reach the device: it finds the TLS payload after the options and
 * decrypts it inline (status DECRYPTED), and the stream comes out whole. */
static void test_rx_tcp_options(void)
{
	static uint8_t wire[20000], fr[2048];
	struct rxm m;
	size_t len;
	unsigned int decrypted = 0;

	rxm_init(&m, TLS_1_3_VERSION);
	len = rxm_stream(&m, wire, sizeof(wire), 4, 3000);
	for (size_t off = 0; off < len; off += 1400) {
		uint32_t n = (uint32_t)(len - off < 1400 ? len - off : 1400);
		size_t flen = test_tcp_frame_opts(fr, false, RX_ISN + (uint32_t)off, wire + off, n,
						  true);
		struct mlx5tls_rx_pkt p;

		CU_ASSERT_EQUAL_FATAL(mlx5tls_model_wire_rx(m.dev, fr, flen), 0);
		CU_ASSERT_EQUAL_FATAL(mlx5tls_rq_poll(m.rq, &p, 1, 0), 1);
		CU_ASSERT_TRUE(p.l4_ok);
		decrypted += p.tls_status == MLX5TLS_RX_TLS_DECRYPTED;
		CU_ASSERT_EQUAL(mlx5tls_rx_packet(m.rx, RX_ISN + (uint32_t)off, n, mlx5tls_rx_pkt_tls(&p)), 0);
		CU_ASSERT_EQUAL(mlx5tls_rx_input(m.rx, RX_ISN + (uint32_t)off,
						 (uint8_t *)p.data + 14 + 20 + 32, n, mlx5tls_rx_pkt_tls(&p),
						 rxm_collect, &m), 0);
		CU_ASSERT_EQUAL(mlx5tls_rq_release(m.rq, &p), 0);
		CU_ASSERT_EQUAL(mlx5tls_qp_poll(m.qp, NULL, 0, 0), 0);
	}
	CU_ASSERT_EQUAL(decrypted, (len + 1399) / 1400);
	CU_ASSERT_EQUAL(m.got, 4 * 3000);
	rxm_fini(&m);
}

/* Bytes one past the next expected sequence are a gap: -EPROTO, nothing delivered. */
static void test_rx_gap_by_one(void)
{
	static uint8_t wire[8000];
	struct rxm m;
	size_t len;

	rxm_init(&m, TLS_1_2_VERSION);
	len = rxm_stream(&m, wire, sizeof(wire), 2, 2000);
	CU_ASSERT_EQUAL(mlx5tls_rx_input(m.rx, RX_ISN + 1, wire + 1, len - 1,
					 MLX5TLS_RX_TLS_NONE, rxm_collect, &m), -EPROTO);
	CU_ASSERT_EQUAL(m.got, 0);
	/* the right bytes at the right place still go through */
	CU_ASSERT_EQUAL(mlx5tls_rx_input(m.rx, RX_ISN, wire, len, MLX5TLS_RX_TLS_NONE,
					 rxm_collect, &m), 0);
	CU_ASSERT_EQUAL(m.got, 4000);
	rxm_fini(&m);
}

/* RFC 8446 5.2: a record body (ciphertext) of at most 2^14 + 256 bytes. */
static void rx_body_limit(size_t body, bool ok)
{
	static uint8_t wire[20000];
	struct rxm m;
	size_t len;
	int ret;

	rxm_init(&m, TLS_1_2_VERSION);
	/* TLS 1.2: body = 8 (explicit nonce) + plaintext + 16 (tag) */
	len = rxm_stream(&m, wire, sizeof(wire), 1, body - 24);
	CU_ASSERT_EQUAL_FATAL(len, 5 + body);
	ret = mlx5tls_rx_input(m.rx, RX_ISN, wire, len, MLX5TLS_RX_TLS_NONE, rxm_collect, &m);
	if (ok) {
		CU_ASSERT_EQUAL(ret, 0);
		CU_ASSERT_EQUAL(m.got, body - 24);
	} else {
		CU_ASSERT_EQUAL(ret, -EMSGSIZE);
		CU_ASSERT_EQUAL(m.got, 0);
	}
	rxm_fini(&m);
}

/* the kernel's bound (tls_sw: TLS_MAX_PAYLOAD_SIZE + overhead): 2^14 of plaintext */
static void test_rx_body_16408_accepted(void)
{
	rx_body_limit(16408, true);
}

static void test_rx_body_16409_refused(void)
{
	rx_body_limit(16409, false);
}


/* TLS 1.3 (RFC 8446 5.2): the outer header is always application_data (23) and legacy version
 * 03 03. Records whose header says otherwise are refused even when they authenticate (the
 * header is the AAD, so a sender with the key could make one). */
static void rx_header_refused(uint8_t type, uint8_t minor)
{
	static uint8_t wire[4000];
	uint8_t *pt = txh_pattern(1000, 2);
	struct rxm m;
	ssize_t n;
	int ret;

	rxm_init(&m, TLS_1_3_VERSION);
	n = tls_record_layout(&m.ci.info, 23, 0, pt, 1000, wire, sizeof(wire));
	CU_ASSERT_FATAL(n > 0);
	wire[0] = type;
	wire[2] = minor;
	CU_ASSERT_EQUAL_FATAL(tls_record_encrypt_sw(&m.ci.info, 0, wire, (size_t)n), 0);
	ret = mlx5tls_rx_input(m.rx, RX_ISN, wire, (size_t)n, MLX5TLS_RX_TLS_NONE, rxm_collect, &m);
	CU_ASSERT_TRUE(ret < 0);
	CU_ASSERT_EQUAL(m.got, 0);
	rxm_fini(&m);
	free(pt);
}

static void test_rx_tls13_outer_header(void)
{
	rx_header_refused(22, 3); /* handshake */
	rx_header_refused(23, 1); /* 03 01 */
}

/* A TLS status the device never gives is the caller's error, for both calls. */
static void test_rx_bad_status(void)
{
	static uint8_t wire[8000];
	struct rxm m;
	size_t len;

	rxm_init(&m, TLS_1_2_VERSION);
	len = rxm_stream(&m, wire, sizeof(wire), 1, 1000);
	CU_ASSERT_EQUAL(mlx5tls_rx_packet(m.rx, RX_ISN, len, MLX5TLS_RX_TLS_ERROR + 1), -EINVAL);
	CU_ASSERT_EQUAL(mlx5tls_rx_input(m.rx, RX_ISN, wire, len, MLX5TLS_RX_TLS_ERROR + 1,
					 rxm_collect, &m), -EINVAL);
	CU_ASSERT_EQUAL(m.got, 0);
	CU_ASSERT_EQUAL(mlx5tls_rx_input(m.rx, RX_ISN, wire, len, MLX5TLS_RX_TLS_NONE,
					 rxm_collect, &m), 0);
	CU_ASSERT_EQUAL(m.got, 1000);
	rxm_fini(&m);
}

/* A frame whose TCP header length is below 20 bytes is not TCP the device can parse: it is not
 * decrypted (status NONE), whatever its payload. */
static void test_rx_bad_doff_not_decrypted(void)
{
	static uint8_t wire[8000], fr[2048];
	struct mlx5tls_rx_pkt p;
	struct rxm m;
	size_t len, flen;
	int got;

	rxm_init(&m, TLS_1_2_VERSION);
	len = rxm_stream(&m, wire, sizeof(wire), 1, 1000);
	flen = test_tcp_frame(fr, false, RX_ISN, wire, (uint32_t)len);
	fr[14 + 20 + 12] = 4 << 4;
	CU_ASSERT_EQUAL_FATAL(mlx5tls_model_wire_rx(m.dev, fr, flen), 0);
	got = mlx5tls_rq_poll(m.rq, &p, 1, 0);
	if (got == 1) {
		CU_ASSERT_EQUAL(p.tls_status, MLX5TLS_RX_TLS_NONE);
		CU_ASSERT_EQUAL(mlx5tls_rq_release(m.rq, &p), 0);
	}
	rxm_fini(&m);
}


/* ---- completions ---- */

/* Far more frames than the completion FIFO's first size, sent without polling: every one comes
 * back exactly once (the FIFO grows before a frame is posted, never loses or overwrites one). */
static void test_many_completions_unpolled(void)
{
	struct txh_opts o = { .tls_version = TLS1_2_VERSION, .key_bits = 128, .isn = 100 };
	static bool seen[600];
	uint8_t payload[64];
	struct txh h;
	unsigned int got = 0;

	memset(payload, 0x42, sizeof(payload));
	memset(seen, 0, sizeof(seen));
	CU_ASSERT_EQUAL_FATAL(txh_init(&h, &o), 0);
	for (unsigned int i = 0; i < 600; i++) {
		struct mlx5tls_frame f;

		CU_ASSERT_EQUAL_FATAL(txh_frame_at(&h, 50, payload, sizeof(payload), 0, &f), 0);
		f.cookie = i;
		CU_ASSERT_EQUAL_FATAL(mlx5tls_qp_send(h.qp, &f, 0), 0);
	}
	for (int tries = 0; tries < 1000 && got < 600; tries++) {
		struct mlx5tls_completion c[64];
		int n = mlx5tls_qp_poll(h.qp, c, 64, 1);

		CU_ASSERT_FATAL(n >= 0);
		for (int k = 0; k < n; k++) {
			CU_ASSERT_FATAL(c[k].cookie < 600);
			CU_ASSERT_FALSE(seen[c[k].cookie]);
			seen[c[k].cookie] = true;
			got++;
		}
	}
	CU_ASSERT_EQUAL(got, 600);
	txh_fini(&h);
}

/* ---- trace ---- */

/* TLS 1.3: the static params' gcm_iv (salt, 4 bytes) and implicit_iv (8 bytes), params bytes
 * 0x14..0x1f, are all written as "**" in the trace; nothing else of the params is. */
static void test_trace_masks_tls13_iv(void)
{
	char path[] = "/tmp/mlx5tls-trace-XXXXXX";
	struct txh_opts o = { .tls_version = TLS1_3_VERSION, .key_bits = 256, .isn = 77 };
	uint8_t *pt = txh_pattern(2000, 5);
	struct txh h;
	char *text, *p;
	int fd = mkstemp(path), records = 0;

	CU_ASSERT_FATAL(fd >= 0);
	close(fd);
	setenv("MLX5TLS_TRACE", path, 1);
	CU_ASSERT_EQUAL_FATAL(txh_init(&h, &o), 0);
	txh_add_records(&h, pt, 2000, 1000);
	CU_ASSERT_EQUAL(txh_send_segments(&h, 0, h.stream_len, 1400), 0);
	CU_ASSERT(txh_drain(&h) > 0);
	txh_fini(&h);
	unsetenv("MLX5TLS_TRACE");
	text = test_read_file(path);
	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	for (p = text; (p = strstr(p, "\"static_params\"")); p++) {
		char *data = strstr(p, "\"data\":\"");

		CU_ASSERT_PTR_NOT_NULL_FATAL(data);
		data += 8;
		records++;
		for (int b = 0; b < 64; b++) {
			bool masked = data[2 * b] == '*' && data[2 * b + 1] == '*';

			CU_ASSERT_EQUAL(masked, b >= 0x14 && b < 0x20);
		}
	}
	CU_ASSERT_TRUE(records >= 1);
	free(text);
	free(pt);
	unlink(path);
}

/* ---- DEK pool ---- */

/* Bulk DEKs but no synchronize_dek: a freed element is never keyed again (the NIC may still cache
 * its old key), so no SYNC_CRYPTO is ever needed or issued, and every DEK handed out is a fresh
 * element. */
static void test_bulk_without_synchronize_dek(void)
{
	struct mlx5tls_device *dev = mlx5tls_device_open("sim:cx6dx,synchronize_dek=0,"
							 "log_dek_max_alloc=4", NULL);
	struct tls12_crypto_info_aes_gcm_128 ci;
	struct mlx5tls_dek_pool_stats st;
	struct mlx5tls_dek_pool *pool;
	struct mlx5tls_pd *pd;
	uint32_t ids[100];

	CU_ASSERT_PTR_NOT_NULL_FATAL(dev);
	pd = mlx5tls_pd_alloc(dev);
	pool = pd ? mlx5tls_dek_pool_create(pd, NULL) : NULL;
	CU_ASSERT_PTR_NOT_NULL_FATAL(pool);
	test_ci128(&ci, TLS_1_2_VERSION, 0x13);
	for (unsigned int i = 0; i < 100; i++) {
		struct mlx5tls_dek *d = mlx5tls_dek_pool_get(pool, &ci.info, sizeof(ci));

		CU_ASSERT_PTR_NOT_NULL_FATAL(d);
		ids[i] = mlx5tls_dek_id(d);
		for (unsigned int k = 0; k < i; k++)
			CU_ASSERT_NOT_EQUAL(ids[k], ids[i]); /* no element keyed twice */
		CU_ASSERT_EQUAL(mlx5tls_dek_destroy(d), 0);
	}
	memset(&st, 0, sizeof(st));
	CU_ASSERT_EQUAL(mlx5tls_dek_pool_query(pool, &st, sizeof(st)), 0);
	CU_ASSERT_TRUE(st.bulk);
	CU_ASSERT_FALSE(st.reuse);
	CU_ASSERT_EQUAL(st.syncs, 0);
	CU_ASSERT_EQUAL(st.key_loads, 100);
	CU_ASSERT_EQUAL(st.in_use, 0);
	CU_ASSERT_EQUAL(mlx5tls_dek_pool_destroy(pool), 0);
	CU_ASSERT_EQUAL(mlx5tls_pd_dealloc(pd), 0);
	CU_ASSERT_EQUAL(mlx5tls_device_close(dev), 0);
}


/* The pool syncs (and reuses) once sync_threshold freed elements wait, not one later. */
static void test_dek_pool_sync_threshold(void)
{
	struct mlx5tls_device *dev = mlx5tls_device_open("sim:cx6dx,log_dek_max_alloc=4", NULL);
	struct mlx5tls_dek_pool_opts po = { .sz = sizeof(po), .sync_threshold = 4 };
	struct tls12_crypto_info_aes_gcm_128 ci;
	struct mlx5tls_dek_pool_stats st;
	struct mlx5tls_dek_pool *pool;
	struct mlx5tls_dek *d[17];
	struct mlx5tls_pd *pd;

	CU_ASSERT_PTR_NOT_NULL_FATAL(dev);
	pd = mlx5tls_pd_alloc(dev);
	pool = pd ? mlx5tls_dek_pool_create(pd, &po) : NULL;
	CU_ASSERT_PTR_NOT_NULL_FATAL(pool);
	test_ci128(&ci, TLS_1_2_VERSION, 0x29);
	for (unsigned int i = 0; i < 16; i++) {
		d[i] = mlx5tls_dek_pool_get(pool, &ci.info, sizeof(ci));
		CU_ASSERT_PTR_NOT_NULL_FATAL(d[i]);
	}
	for (unsigned int i = 0; i < 4; i++)
		CU_ASSERT_EQUAL(mlx5tls_dek_destroy(d[i]), 0);
	/* the bulk is full and exactly the threshold waits: sync and reuse, no new bulk */
	d[16] = mlx5tls_dek_pool_get(pool, &ci.info, sizeof(ci));
	CU_ASSERT_PTR_NOT_NULL_FATAL(d[16]);
	memset(&st, 0, sizeof(st));
	CU_ASSERT_EQUAL(mlx5tls_dek_pool_query(pool, &st, sizeof(st)), 0);
	CU_ASSERT_EQUAL(st.syncs, 1);
	CU_ASSERT_EQUAL(st.bulk_creates, 1);
	for (unsigned int i = 4; i < 17; i++)
		CU_ASSERT_EQUAL(mlx5tls_dek_destroy(d[i]), 0);
	CU_ASSERT_EQUAL(mlx5tls_dek_pool_destroy(pool), 0);
	CU_ASSERT_EQUAL(mlx5tls_pd_dealloc(pd), 0);
	CU_ASSERT_EQUAL(mlx5tls_device_close(dev), 0);
}

/* TISes given back to a TIS pool wait there (up to its high mark, 4096 by default) for the next
 * context instead of being destroyed. */
static void test_tis_pool_keeps_freed(void)
{
	struct mlx5tls_device *dev = mlx5tls_device_open("sim", NULL);
	struct mlx5tls_tis_pool_stats st;
	struct mlx5tls_tis_pool *pool;
	struct mlx5tls_tis *t[20];
	struct mlx5tls_pd *pd;
	struct mlx5tls_td *td;

	CU_ASSERT_PTR_NOT_NULL_FATAL(dev);
	pd = mlx5tls_pd_alloc(dev);
	td = mlx5tls_td_alloc(dev);
	pool = pd && td ? mlx5tls_tis_pool_create(pd, td, NULL) : NULL;
	CU_ASSERT_PTR_NOT_NULL_FATAL(pool);
	for (unsigned int i = 0; i < 20; i++) {
		t[i] = mlx5tls_tis_pool_get(pool);
		CU_ASSERT_PTR_NOT_NULL_FATAL(t[i]);
	}
	for (unsigned int i = 0; i < 20; i++)
		CU_ASSERT_EQUAL(mlx5tls_tis_destroy(t[i]), 0);
	memset(&st, 0, sizeof(st));
	CU_ASSERT_EQUAL(mlx5tls_tis_pool_query(pool, &st, sizeof(st)), 0);
	CU_ASSERT_EQUAL(st.free, 20);
	CU_ASSERT_EQUAL(st.destroys, 0);
	CU_ASSERT_EQUAL(mlx5tls_tis_pool_destroy(pool), 0);
	CU_ASSERT_EQUAL(mlx5tls_td_dealloc(td), 0);
	CU_ASSERT_EQUAL(mlx5tls_pd_dealloc(pd), 0);
	CU_ASSERT_EQUAL(mlx5tls_device_close(dev), 0);
}

/* ---- fences ---- */

/* A retransmission inside the record the device already has static params for posts progress
 * params alone: that SET_PSV must be fenced (nothing else orders it after the WQEs in flight),
 * as must static params; progress params right after static params need not be. */
static void test_set_psv_fences(void)
{
	struct txh_opts o = { .tls_version = TLS1_2_VERSION, .key_bits = 128, .isn = 300 };
	uint8_t *pt = txh_pattern(12000, 8);
	struct wqe_peek w[64];
	unsigned int psv = 0, psv_alone = 0;
	struct txh h;
	uint32_t pc;
	int n;

	CU_ASSERT_EQUAL_FATAL(txh_init(&h, &o), 0);
	txh_add_records(&h, pt, 12000, 4000);
	CU_ASSERT_EQUAL(txh_send_segments(&h, 0, 6000, 1000), 0);
	pc = h.qp->pc;
	/* the device is in record 1 (4029..8058): resend bytes of it, then of record 0 */
	CU_ASSERT_EQUAL(txh_send(&h, 4500, 500, 0), 0);
	CU_ASSERT_EQUAL(txh_send(&h, 4200, 200, 0), 0); /* same record: progress params alone */
	CU_ASSERT_EQUAL(txh_send(&h, 1000, 1000, 0), 0);
	CU_ASSERT_EQUAL(txh_send_segments(&h, 6000, h.stream_len - 6000, 1000), 0);
	n = peek_wqes(h.qp, pc, w, 64);
	for (int i = 0; i < n; i++) {
		if (w[i].opcode == PEEK_OP_UMR)
			CU_ASSERT(w[i].fm_ce_se & MLX5TLS_WQE_FENCE_INITIATOR_SMALL);
		if (w[i].opcode != PEEK_OP_SET_PSV)
			continue;
		psv++;
		if (i == 0 || w[i - 1].opcode != PEEK_OP_UMR) {
			psv_alone++;
			CU_ASSERT(w[i].fm_ce_se & MLX5TLS_WQE_FENCE_INITIATOR_SMALL);
		}
	}
	CU_ASSERT_TRUE(psv >= 2);
	CU_ASSERT_TRUE(psv_alone >= 1);
	CU_ASSERT(txh_drain(&h) > 0);
	CU_ASSERT_EQUAL(txh_check_plaintext(&h, pt, 12000), 0);
	txh_fini(&h);
	free(pt);
}

int main(void)
{
	static const struct test_case tx_cases[] = {
		{ "TX frames with TCP timestamps (doff 8), TLS 1.2", test_tx_tcp_options_tls12 },
		{ "TX frames with TCP timestamps (doff 8), TLS 1.3", test_tx_tcp_options_tls13 },
		{ "TX frame crossing the offload start by one byte", test_tx_cross_start_by_one },
		{ "TX frame with a TCP header length out of bounds", test_tx_bad_doff },
		{ "TX record bodies: 16640 and the minimum accepted, beyond refused",
		  test_tx_record_body_limits },
		{ NULL, NULL },
	};
	static const struct test_case rx_cases[] = {
		{ "RX frames with TCP timestamps (doff 8)", test_rx_tcp_options },
		{ "RX input at next_seq + 1: -EPROTO", test_rx_gap_by_one },
		{ "RX record body of 16408 bytes accepted", test_rx_body_16408_accepted },
		{ "RX record body of 16409 bytes refused", test_rx_body_16409_refused },
		{ "RX TLS 1.3 outer header other than 23 / 03 03 refused", test_rx_tls13_outer_header },
		{ "RX TLS status the device never gives: -EINVAL", test_rx_bad_status },
		{ "RX frame with a TCP header length below 20 not decrypted",
		  test_rx_bad_doff_not_decrypted },
		{ NULL, NULL },
	};
	static const struct test_case misc_cases[] = {
		{ "TLS 1.3 trace masks all 12 salt/IV bytes", test_trace_masks_tls13_iv },
		{ "bulk DEKs without synchronize_dek: one-shot, no SYNC_CRYPTO",
		  test_bulk_without_synchronize_dek },
		{ "SET_PSV fences after a same-record resync", test_set_psv_fences },
		{ "DEK pool: sync at exactly sync_threshold", test_dek_pool_sync_threshold },
		{ "TIS pool: freed TISes wait in the pool", test_tis_pool_keeps_freed },
		{ "600 frames unpolled: every completion once", test_many_completions_unpolled },
		{ NULL, NULL },
	};
	static const struct test_suite suites[] = {
		{ "mutants: TX", NULL, NULL, tx_cases },
		{ "mutants: RX", NULL, NULL, rx_cases },
		{ "mutants: trace, pools, fences", NULL, NULL, misc_cases },
		{ NULL, NULL, NULL, NULL },
	};

	return test_run_suites(suites);
}
