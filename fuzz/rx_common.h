/* SPDX-License-Identifier: BSD-3-Clause */
/* The RX fuzz targets' common part: a model device with a control queue, a receive queue, a
 * TLS TIR, a flow for 198.18.0.2:443 -> 198.18.0.1:40000 and an RX context; and a stream of TLS
 * records of that connection, encrypted with its key. */
#ifndef MLX5TLS_FUZZ_RX_COMMON_H
#define MLX5TLS_FUZZ_RX_COMMON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frame_util.h"
#include "mlx5tls/mlx5tls.h"
#include "test_util.h"
#include "tls_peer.h"

#define RX_ISN 0x7ffffe00u /* the stream crosses 2^31 and wraps nothing else */

struct rxc {
	struct mlx5tls_device *dev;
	struct mlx5tls_pd *pd;
	struct mlx5tls_td *td;
	struct mlx5tls_qp *qp;
	struct mlx5tls_rq *rq;
	struct mlx5tls_tir *tir;
	struct mlx5tls_flow *flow;
	struct mlx5tls_rx *rx;
	struct tls12_crypto_info_aes_gcm_128 ci;
	uint8_t stream[12000], pt[12000], got[16384];
	size_t stream_len, pt_len, got_len;
	bool bad_type;
};

static int rxc_collect(void *ctx, uint8_t type, const void *pt, size_t len)
{
	struct rxc *c = ctx;

	if (type != 23 || c->got_len + len > sizeof(c->got)) {
		c->bad_type = true;
		return -1;
	}
	memcpy(c->got + c->got_len, pt, len);
	c->got_len += len;
	return 0;
}

/* tls13: the version; records of rec bytes of plaintext each. */
static void rxc_init(struct rxc *c, bool tls13, size_t rec)
{
	struct mlx5tls_qp_opts qo = { .sz = sizeof(qo), .flags = MLX5TLS_QP_F_MODEL_SYNC };
	struct mlx5tls_tir_opts to = { .sz = sizeof(to), .tls_en = true };
	struct mlx5tls_flow_match m = { .ip_version = 4, .src_port = 443, .dst_port = 40000 };
	uint64_t seq = 0;

	memset(c, 0, sizeof(*c));
	mlx5tls_set_print(NULL);
	test_ci128(&c->ci, tls13 ? TLS_1_3_VERSION : TLS_1_2_VERSION, 0x33);
	for (size_t i = 0; i < sizeof(c->pt); i++)
		c->pt[i] = (uint8_t)(i * 13 + 1);
	while (c->pt_len + rec <= 9000) {
		ssize_t n = tls_record_layout(&c->ci.info, 23, seq, c->pt + c->pt_len, rec,
					      c->stream + c->stream_len,
					      sizeof(c->stream) - c->stream_len);

		if (n < 0 || tls_record_encrypt_sw(&c->ci.info, seq, c->stream + c->stream_len,
						   (size_t)n))
			abort();
		c->stream_len += (size_t)n;
		c->pt_len += rec;
		seq++;
	}
	c->dev = mlx5tls_device_open("sim", NULL);
	c->pd = c->dev ? mlx5tls_pd_alloc(c->dev) : NULL;
	c->td = c->dev ? mlx5tls_td_alloc(c->dev) : NULL;
	c->qp = c->pd && c->td ? mlx5tls_qp_create(c->pd, c->td, &qo) : NULL;
	c->rq = c->pd && c->td ? mlx5tls_rq_create(c->pd, c->td, NULL) : NULL;
	c->tir = c->rq ? mlx5tls_tir_create(c->rq, c->td, &to) : NULL;
	m.src_ip[0] = 198, m.src_ip[1] = 18, m.src_ip[3] = 2;
	m.dst_ip[0] = 198, m.dst_ip[1] = 18, m.dst_ip[3] = 1;
	c->flow = c->tir ? mlx5tls_flow_create(c->tir, &m) : NULL;
	c->rx = c->flow ? mlx5tls_rx_create(c->qp, c->tir, &c->ci.info, sizeof(c->ci), RX_ISN, NULL)
			: NULL;
	if (!c->rx)
		abort();
}

static void rxc_fini(struct rxc *c)
{
	if (mlx5tls_rx_destroy(c->rx) || mlx5tls_flow_destroy(c->flow) ||
	    mlx5tls_tir_destroy(c->tir) || mlx5tls_rq_destroy(c->rq) || mlx5tls_qp_destroy(c->qp) ||
	    mlx5tls_td_dealloc(c->td) || mlx5tls_pd_dealloc(c->pd) || mlx5tls_device_close(c->dev))
		abort();
}

/* What was delivered is the stream's plaintext, from its start. */
static bool rxc_prefix_ok(const struct rxc *c)
{
	return !c->bad_type && c->got_len <= c->pt_len && !memcmp(c->got, c->pt, c->got_len);
}

#endif
