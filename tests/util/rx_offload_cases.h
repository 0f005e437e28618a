/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * TLS RX offload end to end, shared by test_rx_offload.c (sim transport) and
 * devx_test_rx_offload.c (the real devx transport over the DevX interposer): an OpenSSL server
 * writes real records, they arrive as TCP frames at the device's port, are steered to a TLS TIR,
 * decrypted inline and delivered to a receive queue with a TLS status per packet; the library's
 * RX context hands the application verified plaintext only. Scenarios: in order (device
 * authenticated), splits at every byte, reorder, loss of a header segment (device resync through
 * GET_PSV and static params), corrupted record.
 *
 * The including file defines RX_DEV (the device name) and
 *   static int rx_wire(struct mlx5tls_device *dev, const void *frame, size_t len);
 * (a frame arrives at the device's port) before including this one.
 */
#ifndef MLX5TLS_RX_OFFLOAD_CASES_H
#define MLX5TLS_RX_OFFLOAD_CASES_H

#include <openssl/ssl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mlx5tls/mlx5tls.h"
#include "rx_frame.h"
#include "test_util.h"
#include "tls_peer.h"

#define ISN 0x7ffff000u
#define MSS 1448u
#define MAX_WIRE (1u << 20)
#define MAX_SEGS 2048u

struct rxf {
	struct mlx5tls_device *dev;
	struct mlx5tls_pd *pd;
	struct mlx5tls_td *td;
	struct mlx5tls_qp *qp;
	struct mlx5tls_rq *rq;
	struct mlx5tls_tir *tir;
	struct mlx5tls_flow *flow;
	struct mlx5tls_rx *rx;
	struct tls_peer_pair *pair;
	union tls_peer_crypto_info ci;
	uint8_t *pt, *wire, *got;
	size_t pt_len, wire_len, got_len;
	/* the application's TCP reassembly: segments waiting for a gap, by offset */
	struct held {
		uint32_t off, len;
		uint32_t status; /* the TLS status word (mlx5tls_rx_pkt_tls) */
		uint8_t *bytes;
	} held[MAX_SEGS];
	unsigned int n_held;
	uint32_t next; /* next stream offset expected */
	int last_err;
};





/* The peer's segment of stream bytes [off, off+len): 198.18.0.2:443 -> 198.18.0.1:40000 with
 * valid checksums (the device checks them). */
static size_t frame(const struct rxf *f, uint32_t off, uint32_t len, uint8_t *fr)
{
	return rx_tcp_frame(443, 40000, ISN + off, f->wire + off, len, fr);
}


static int collect(void *ctx, uint8_t type, const void *pt, size_t len)
{
	struct rxf *f = ctx;

	if (type != TLS_RT_APPLICATION_DATA || f->got_len + len > MAX_WIRE)
		return -EPROTO;
	memcpy(f->got + f->got_len, pt, len);
	f->got_len += len;
	return 0;
}

static void fx_init(struct rxf *f, int version, unsigned int bits, size_t rec, unsigned int n)
{
	struct mlx5tls_qp_opts qo = { .sz = sizeof(qo), .flags = MLX5TLS_QP_F_MODEL_SYNC };
	struct mlx5tls_tir_opts to = { .sz = sizeof(to), .tls_en = true };
	struct mlx5tls_flow_match m;
	ssize_t w;

	memset(f, 0, sizeof(*f));
	f->pair = tls_peer_pair_create(version, bits, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f->pair);
	CU_ASSERT_EQUAL_FATAL(tls_peer_export_tx(f->pair, TLS_PEER_SERVER, 0, &f->ci), 0);
	f->pt_len = rec * n;
	f->pt = malloc(f->pt_len);
	f->wire = malloc(MAX_WIRE);
	f->got = malloc(MAX_WIRE);
	CU_ASSERT_FATAL(f->pt && f->wire && f->got);
	for (size_t i = 0; i < f->pt_len; i++)
		f->pt[i] = (uint8_t)(i * 29 + (i >> 10));
	for (unsigned int r = 0; r < n; r++)
		CU_ASSERT_EQUAL_FATAL(tls_peer_write(f->pair, TLS_PEER_SERVER, f->pt + r * rec,
						     rec), 0);
	w = tls_peer_take_wire(f->pair, TLS_PEER_SERVER, f->wire, MAX_WIRE);
	CU_ASSERT_FATAL(w > 0);
	f->wire_len = (size_t)w;

	f->dev = mlx5tls_device_open(RX_DEV, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f->dev);
	f->pd = mlx5tls_pd_alloc(f->dev);
	f->td = mlx5tls_td_alloc(f->dev);
	CU_ASSERT_FATAL(f->pd && f->td);
	f->qp = mlx5tls_qp_create(f->pd, f->td, &qo);
	f->rq = mlx5tls_rq_create(f->pd, f->td, NULL);
	CU_ASSERT_FATAL(f->qp && f->rq);
	f->tir = mlx5tls_tir_create(f->rq, f->td, &to);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f->tir);
	rx_flow_match(&m, 443, 40000);
	f->flow = mlx5tls_flow_create(f->tir, &m);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f->flow);
	f->rx = mlx5tls_rx_create(f->qp, f->tir, &f->ci.info,
				  tls_peer_crypto_info_size(&f->ci.info), ISN, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f->rx);
	settle(f->qp);
}

static void fx_fini(struct rxf *f)
{
	for (unsigned int i = 0; i < f->n_held; i++)
		free(f->held[i].bytes);
	CU_ASSERT_EQUAL(mlx5tls_rx_destroy(f->rx), 0);
	CU_ASSERT_EQUAL(mlx5tls_flow_destroy(f->flow), 0);
	CU_ASSERT_EQUAL(mlx5tls_tir_destroy(f->tir), 0);
	CU_ASSERT_EQUAL(mlx5tls_rq_destroy(f->rq), 0);
	CU_ASSERT_EQUAL(mlx5tls_qp_destroy(f->qp), 0);
	CU_ASSERT_EQUAL(mlx5tls_td_dealloc(f->td), 0);
	CU_ASSERT_EQUAL(mlx5tls_pd_dealloc(f->pd), 0);
	CU_ASSERT_EQUAL(mlx5tls_device_close(f->dev), 0);
	tls_peer_crypto_info_wipe(&f->ci);
	tls_peer_pair_destroy(f->pair);
	free(f->pt);
	free(f->wire);
	free(f->got);
}

/* The application's side: in-order segments go to the RX context, others wait. */
static void app_deliver(struct rxf *f)
{
	bool progress = true;

	while (progress && !f->last_err) {
		progress = false;
		for (unsigned int i = 0; i < f->n_held; i++) {
			struct held *h = &f->held[i];

			if (h->off > f->next)
				continue;
			f->last_err = mlx5tls_rx_input(f->rx, ISN + h->off, h->bytes, h->len,
						       h->status, collect, f);
			if (h->off + h->len > f->next)
				f->next = h->off + h->len;
			free(h->bytes);
			f->held[i] = f->held[--f->n_held];
			progress = true;
			break;
		}
	}
}

/* Segment k of the stream arrives at the device; whatever the device delivers is taken. */
static void arrive(struct rxf *f, uint32_t k, uint32_t corrupt_at)
{
	uint8_t fr[2048];
	struct mlx5tls_rx_pkt pkts[4];
	uint32_t off = k * MSS, len = off + MSS > f->wire_len ? (uint32_t)f->wire_len - off : MSS;
	size_t n = frame(f, off, len, fr);
	int got;

	if (corrupt_at >= off && corrupt_at < off + len) {
		uint32_t sum;

		fr[54 + corrupt_at - off] ^= 0x20;
		/* keep the TCP checksum right: a corrupted record, not a corrupted segment */
		put16(fr + 50, 0);
		sum = test_csum_add(0, fr + 26, 8) + 6 + 20 + len; /* the pseudo header */
		put16(fr + 50, test_csum_field(test_csum_add(sum, fr + 34, 20 + len)));
	}
	CU_ASSERT_EQUAL_FATAL(rx_wire(f->dev, fr, n), 0);
	got = mlx5tls_rq_poll(f->rq, pkts, 4, 0);
	CU_ASSERT_EQUAL_FATAL(got, 1);
	CU_ASSERT_EQUAL(pkts[0].len, n);
	CU_ASSERT_TRUE(pkts[0].l4_ok);
	CU_ASSERT_EQUAL(mlx5tls_rx_packet(f->rx, ISN + off, len, mlx5tls_rx_pkt_tls(&pkts[0])), 0);
	settle(f->qp); /* a GET_PSV it posted is answered before the next frame */
	CU_ASSERT_FATAL(f->n_held < MAX_SEGS);
	f->held[f->n_held].off = off;
	f->held[f->n_held].len = len;
	f->held[f->n_held].status = mlx5tls_rx_pkt_tls(&pkts[0]);
	f->held[f->n_held].bytes = malloc(len);
	memcpy(f->held[f->n_held].bytes, (uint8_t *)pkts[0].data + 54, len);
	f->n_held++;
	CU_ASSERT_EQUAL(mlx5tls_rq_release(f->rq, &pkts[0]), 0);
	app_deliver(f);
	settle(f->qp); /* a resync answer app_deliver posted is applied before the next frame */
}

static uint32_t nsegs(const struct rxf *f)
{
	return (uint32_t)((f->wire_len + MSS - 1) / MSS);
}

static void expect_all(struct rxf *f)
{
	CU_ASSERT_EQUAL(f->last_err, 0);
	CU_ASSERT_EQUAL(f->got_len, f->pt_len);
	if (f->got_len == f->pt_len)
		CU_ASSERT_EQUAL(memcmp(f->got, f->pt, f->pt_len), 0);
}


static void in_order(int version, unsigned int bits)
{
	struct mlx5tls_rx_info info;
	struct rxf f;

	fx_init(&f, version, bits, 5000, 10);
	for (uint32_t k = 0; k < nsegs(&f); k++)
		arrive(&f, k, UINT32_MAX);
	expect_all(&f);
	CU_ASSERT_EQUAL(mlx5tls_rx_query(f.rx, &info, sizeof(info)), 0);
	CU_ASSERT_EQUAL(info.records, 10);
	CU_ASSERT_EQUAL(info.by_device, 10);
	CU_ASSERT_EQUAL(info.by_software, 0);
	CU_ASSERT_EQUAL(test_counter(f.dev, "rx_tls_decrypted_packets"), nsegs(&f));
	fx_fini(&f);
}

static void test_in_order_matrix(void)
{
	in_order(TLS1_2_VERSION, 128);
	in_order(TLS1_2_VERSION, 256);
	in_order(TLS1_3_VERSION, 128);
	in_order(TLS1_3_VERSION, 256);
}

/* Two segments inside a record swap places: sync is kept, that record is completed in
 * software, the others are the device's. */
static void test_reorder(void)
{
	struct mlx5tls_rx_info info;
	struct rxf f;

	fx_init(&f, TLS1_3_VERSION, 128, 8000, 6);
	arrive(&f, 0, UINT32_MAX);
	arrive(&f, 2, UINT32_MAX);
	arrive(&f, 1, UINT32_MAX);
	for (uint32_t k = 3; k < nsegs(&f); k++)
		arrive(&f, k, UINT32_MAX);
	expect_all(&f);
	CU_ASSERT_EQUAL(mlx5tls_rx_query(f.rx, &info, sizeof(info)), 0);
	CU_ASSERT(info.by_software >= 1);
	CU_ASSERT(info.by_device >= 4);
	/* no header was hidden: the device kept sync, nobody asked for a resync */
	CU_ASSERT_EQUAL(test_counter(f.dev, "rx_tls_resync_req_pkt"), 0);
	CU_ASSERT_EQUAL(info.resync_answers, 0);
	fx_fini(&f);
}

/* The segment carrying a record header is lost and comes back much later: the device loses
 * sync, scans, asks for a resync; the library answers through GET_PSV and static params and
 * decryption resumes - every byte still reaches the application verified. */
static void resync_after_loss(int version)
{
	struct mlx5tls_rx_info info;
	struct rxf f;
	uint32_t lost = 4, n; /* bytes 5792..7239: the header of record 2 */

	fx_init(&f, version, 128, 3000, 60);
	n = nsegs(&f);
	/* the retransmission comes 20 segments (29 KB, more than a max-size record) later */
	for (uint32_t k = 0; k < n; k++) {
		if (k != lost)
			arrive(&f, k, UINT32_MAX);
		if (k == lost + 20)
			arrive(&f, lost, UINT32_MAX);
	}
	expect_all(&f);
	CU_ASSERT_EQUAL(mlx5tls_rx_query(f.rx, &info, sizeof(info)), 0);
	CU_ASSERT(test_counter(f.dev, "rx_tls_resync_req_pkt") >= 1);
	CU_ASSERT(test_counter(f.dev, "rx_tls_resync_req_start") >= 1);
	CU_ASSERT(test_counter(f.dev, "rx_tls_resync_req_end") >= 1);
	CU_ASSERT(test_counter(f.dev, "rx_tls_resync_res_ok") >= 1);
	CU_ASSERT(info.resync_answers >= 1);
	CU_ASSERT(info.by_software >= 1);
	/* decryption resumed: the last records were authenticated by the device again */
	CU_ASSERT(info.by_device > 10);
	fx_fini(&f);
}

static void test_resync_after_header_loss(void)
{
	resync_after_loss(TLS1_2_VERSION);
	resync_after_loss(TLS1_3_VERSION);
}

/* A corrupted ciphertext byte: nothing of that record (or later) reaches the application. */
static void test_corrupted_record(void)
{
	struct rxf f;
	uint32_t rec_wire;

	fx_init(&f, TLS1_3_VERSION, 256, 2000, 8);
	rec_wire = (uint32_t)(f.wire_len / 8);
	for (uint32_t k = 0; k < nsegs(&f); k++)
		arrive(&f, k, 4 * rec_wire + 50);
	CU_ASSERT_EQUAL(f.last_err, -EBADMSG);
	CU_ASSERT_EQUAL(f.got_len, 4 * 2000);
	CU_ASSERT_EQUAL(memcmp(f.got, f.pt, f.got_len), 0);
	CU_ASSERT(test_counter(f.dev, "rx_tls_err") >= 1);
	CU_ASSERT_EQUAL(test_counter(f.dev, "rx_tls_auth_fail"), 1);
	fx_fini(&f);
}

/* Two records cut into two segments at every byte position: whatever the split, each record is
 * delivered verified (by the device when it saw it whole in order). A fresh context per cut: the
 * device's TIR state is reset by its static and progress params. */
static void split_everywhere(int version)
{
	struct rxf f;
	uint8_t fr[4096];
	uint32_t total;

	fx_init(&f, version, 128, 300, 2);
	total = (uint32_t)f.wire_len;
	CU_ASSERT_FATAL(total + 54 <= sizeof(fr));
	for (uint32_t cut = 1; cut < total; cut++) {
		struct mlx5tls_rx_pkt pk[2];
		uint32_t piece[2][2] = { { 0, cut }, { cut, total - cut } };
		struct mlx5tls_rx_info info;

		CU_ASSERT_EQUAL_FATAL(mlx5tls_rx_destroy(f.rx), 0);
		f.rx = mlx5tls_rx_create(f.qp, f.tir, &f.ci.info,
					 tls_peer_crypto_info_size(&f.ci.info), ISN, NULL);
		CU_ASSERT_PTR_NOT_NULL_FATAL(f.rx);
		settle(f.qp);
		f.got_len = 0;
		for (int i = 0; i < 2; i++) {
			size_t n = frame(&f, piece[i][0], piece[i][1], fr);

			CU_ASSERT_EQUAL_FATAL(rx_wire(f.dev, fr, n), 0);
			CU_ASSERT_EQUAL_FATAL(mlx5tls_rq_poll(f.rq, &pk[i], 1, 0), 1);
			CU_ASSERT_EQUAL(mlx5tls_rx_packet(f.rx, ISN + piece[i][0], piece[i][1],
							  mlx5tls_rx_pkt_tls(&pk[i])), 0);
			CU_ASSERT_EQUAL(mlx5tls_rx_input(f.rx, ISN + piece[i][0],
							 (uint8_t *)pk[i].data + 54, piece[i][1],
							 mlx5tls_rx_pkt_tls(&pk[i]), collect, &f), 0);
			CU_ASSERT_EQUAL(mlx5tls_rq_release(f.rq, &pk[i]), 0);
		}
		CU_ASSERT_EQUAL(f.got_len, 600);
		CU_ASSERT_EQUAL(memcmp(f.got, f.pt, 600), 0);
		CU_ASSERT_EQUAL(mlx5tls_rx_query(f.rx, &info, sizeof(info)), 0);
		CU_ASSERT_EQUAL(info.by_device, 2); /* in order: the device authenticated both */
	}
	fx_fini(&f);
}

static void test_split_everywhere(void)
{
	split_everywhere(TLS1_2_VERSION);
	split_everywhere(TLS1_3_VERSION);
}

static const struct test_case rx_offload_cases[] = {
	{ "split_at_every_byte", test_split_everywhere },
	{ "in_order_matrix", test_in_order_matrix },
	{ "reorder", test_reorder },
	{ "resync_after_header_loss", test_resync_after_header_loss },
	{ "corrupted_record", test_corrupted_record },
	{ NULL, NULL },
};

#endif
