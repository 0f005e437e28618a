/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The fixture of the tests of TLS contexts on different queues of one device
 * (tests/test_tx_shards*.c, the per-queue shards of the context registry): a model device with
 * a PD and TD (struct bed), queues with a registered buffer, an RQ and a TLS TIR (struct q); a
 * TX context made, its first record sent, completed and acknowledged, and rekeyed (ctx_cycle);
 * an RX context on the software path (rx_make); the publisher's answer to "ctx id N"
 * (found_dir_by_id).
 *
 * Header-only, as inspect_fixture.h: the programs reach the library's internals
 * (publish_internal.h, the context's live_epochs).
 */
#ifndef MLX5TLS_TX_SHARDS_FIXTURE_H
#define MLX5TLS_TX_SHARDS_FIXTURE_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frame_util.h"
#include "inspect.h"
#include "mlx5tls/mlx5tls.h"
#include "publish_internal.h"
#include "test_util.h"
#include "tls_peer.h"

#define ISN 5000u
#define PT_LEN 600u
#define POLL_TRIES 100000

/* A queue and what its thread needs to send a record on it. */
struct q {
	struct mlx5tls_qp *qp;
	struct mlx5tls_mr *mr;
	struct mlx5tls_rq *rq;
	struct mlx5tls_tir *tir; /* for the queue's RX contexts */
	uint8_t *buf;
	uint8_t key;
};

struct bed {
	struct mlx5tls_device *dev;
	struct mlx5tls_pd *pd;
	struct mlx5tls_td *td;
};

static inline void bed_open(struct bed *b)
{
	b->dev = mlx5tls_device_open("sim:cx6dx,log_max_tis=16", NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b->dev);
	b->pd = mlx5tls_pd_alloc(b->dev);
	b->td = mlx5tls_td_alloc(b->dev);
	CU_ASSERT_FATAL(b->pd && b->td);
}

static inline void bed_close(struct bed *b)
{
	CU_ASSERT_EQUAL(mlx5tls_td_dealloc(b->td), 0);
	CU_ASSERT_EQUAL(mlx5tls_pd_dealloc(b->pd), 0);
	CU_ASSERT_EQUAL(mlx5tls_device_close(b->dev), 0);
}

static inline void q_open(struct q *q, const struct bed *b)
{
	struct mlx5tls_qp_opts qo = { .sz = sizeof(qo), .flags = MLX5TLS_QP_F_MODEL_SYNC };
	struct mlx5tls_tir_opts tio = { .sz = sizeof(tio), .tls_en = true };

	memset(q, 0, sizeof(*q));
	q->qp = mlx5tls_qp_create(b->pd, b->td, &qo);
	q->buf = aligned_alloc(4096, 4096);
	CU_ASSERT_FATAL(q->qp && q->buf);
	q->mr = mlx5tls_mr_reg(b->pd, q->buf, 4096);
	CU_ASSERT_PTR_NOT_NULL_FATAL(q->mr);
	q->rq = mlx5tls_rq_create(b->pd, b->td, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(q->rq);
	q->tir = mlx5tls_tir_create(q->rq, b->td, &tio);
	CU_ASSERT_PTR_NOT_NULL_FATAL(q->tir);
}

static inline void q_close(struct q *q)
{
	CU_ASSERT_EQUAL(mlx5tls_tir_destroy(q->tir), 0);
	CU_ASSERT_EQUAL(mlx5tls_rq_destroy(q->rq), 0);
	CU_ASSERT_EQUAL(mlx5tls_mr_dereg(q->mr), 0);
	CU_ASSERT_EQUAL(mlx5tls_qp_destroy(q->qp), 0);
	free(q->buf);
}

/* Every completion the queue owes, reaped. 0 or -errno. */
static inline int q_reap(struct q *q, unsigned int want)
{
	struct mlx5tls_completion c[8];
	unsigned int got = 0;

	for (int i = 0; i < POLL_TRIES && got < want; i++) {
		int n = mlx5tls_qp_poll(q->qp, c, 8, 1);

		if (n < 0)
			return n;
		got += (unsigned int)n;
	}
	return got == want ? 0 : -ETIMEDOUT;
}

/*
 * A TLS 1.3 context made on q, its first record sent, completed and acknowledged; with rekey, a
 * key update follows and an ack, which releases the first key (the ack's only lock: the one
 * inspection reads the keys under). NULL (what failed in *what) or the context.
 */
static inline struct mlx5tls_tx *ctx_cycle(struct q *q, bool rekey, const char **what)
{
	struct tls12_crypto_info_aes_gcm_128 ci;
	uint8_t pt[PT_LEN], rec[PT_LEN + 64];
	struct mlx5tls_frame f = { .mr = q->mr, .data = q->buf };
	struct mlx5tls_tx *tx;
	ssize_t rec_len;

	test_ci128(&ci, TLS_1_3_VERSION, q->key++);
	tx = mlx5tls_tx_create(q->qp, &ci.info, sizeof(ci), ISN, NULL);
	if (!tx) {
		*what = "tx_create";
		return NULL;
	}
	memset(pt, 0x5a, sizeof(pt));
	rec_len = tls_record_layout(&ci.info, TLS_RT_APPLICATION_DATA, 0, pt, sizeof(pt), rec,
				    sizeof(rec));
	if (rec_len <= 0) {
		*what = "record layout";
		goto err;
	}
	f.len = (uint32_t)test_tcp_frame(q->buf, true, ISN, rec, (uint32_t)rec_len);
	if (mlx5tls_tx_send(tx, &f, 0)) {
		*what = "tx_send";
		goto err;
	}
	if (q_reap(q, 1)) {
		*what = "completion";
		goto err;
	}
	if (mlx5tls_tx_ack(tx, ISN + (uint32_t)rec_len)) {
		*what = "tx_ack";
		goto err;
	}
	if (!rekey)
		return tx;
	test_ci128(&ci, TLS_1_3_VERSION, q->key++);
	if (mlx5tls_tx_rekey(tx, &ci.info, sizeof(ci))) {
		*what = "tx_rekey";
		goto err;
	}
	if (mlx5tls_tx_ack(tx, ISN + (uint32_t)rec_len) || (tx->live_epochs & 1u)) {
		*what = "ack releasing the old key";
		goto err;
	}
	return tx;
err:
	mlx5tls_tx_destroy(tx);
	return NULL;
}

static inline uint64_t ctx_id(struct mlx5tls_tx *tx)
{
	struct mlx5tls_tx_state st;

	if (mlx5tls_tx_inspect(tx, &st, sizeof(st)))
		return 0;
	return st.id;
}

/* A TLS RX context on q (software path, on q's TIR); its id in *id. NULL when it fails. */
static inline struct mlx5tls_rx *rx_make(struct q *q, uint64_t *id)
{
	struct mlx5tls_rx_opts ro = { .sz = sizeof(ro), .flags = MLX5TLS_RX_F_SOFTWARE };
	struct tls12_crypto_info_aes_gcm_128 ci;
	struct mlx5tls_rx_state st;
	struct mlx5tls_rx *rx;

	test_ci128(&ci, TLS_1_2_VERSION, q->key++);
	rx = mlx5tls_rx_create(q->qp, q->tir, &ci.info, sizeof(ci), ISN, &ro);
	if (rx && mlx5tls_rx_inspect(rx, &st, sizeof(st))) {
		mlx5tls_rx_destroy(rx);
		return NULL;
	}
	if (rx)
		*id = st.id;
	return rx;
}

/* The publisher's answer to "ctx id N" lists that context, of that direction. */
static inline bool found_dir_by_id(uint64_t id, bool rx)
{
	char line[64], want[64], *a;
	size_t len = 0;
	bool ok;

	snprintf(line, sizeof(line), "ctx id %llu", (unsigned long long)id);
	snprintf(want, sizeof(want), "{\"id\":%llu,\"device\":", (unsigned long long)id);
	a = publish_answer(line, &len);
	ok = a && strstr(a, want) && strstr(a, rx ? "\"dir\":\"rx\"" : "\"dir\":\"tx\"");
	free(a);
	return ok;
}

static inline bool found_by_id(uint64_t id)
{
	return found_dir_by_id(id, false);
}

#endif /* MLX5TLS_TX_SHARDS_FIXTURE_H */
