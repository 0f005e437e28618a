/* SPDX-License-Identifier: BSD-3-Clause */
/* Receive queues, TIRs and flows as the library keeps them (rq.c), for the TLS RX contexts that
 * sit on them. Private to the library. */
#ifndef MLX5TLS_RX_QUEUE_H
#define MLX5TLS_RX_QUEUE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "conn.h"
#include "mlx5tls_internal.h"

struct mlx5tls_rq {
	struct mlx5tls_device *dev;
	struct mlx5tls_pd *pd;
	struct mlx5tls_td *td;
	struct mlx5tls_xrq *xrq;
	struct xport_rq_info ring;
	uint32_t wqe_mask;
	uint32_t pc;    /* WQEs posted (low 16 bits in dbrec[0]) */
	uint32_t cc;    /* WQEs whose CQE was reaped */
	uint32_t cq_ci; /* CQ consumer index */
	uint8_t *mem;   /* nbufs x buf_size */
	struct mlx5tls_mr *mr;
	uint32_t buf_size;
	uint32_t nbufs;
	uint32_t *slot_buf; /* ring index -> buffer */
	uint32_t *free_bufs; /* stack of free buffers */
	uint32_t n_free;
	uint8_t *held;  /* per buffer: handed to the application */
	uint32_t n_held;
	atomic_uint tirs;
	struct mlx5tls_rq_attr stats;
};

struct mlx5tls_tir {
	struct mlx5tls_rq *rq;
	struct mlx5tls_td *td;
	struct mlx5tls_xobj *obj;
	uint32_t tirn;
	bool tls_en;
	atomic_uint flows;
	struct conn_id flow_conn; /* the connection of its first steering rule (inspection) */
};

struct mlx5tls_flow {
	struct mlx5tls_tir *tir;
	struct mlx5tls_xflow *xflow;
};

#endif /* MLX5TLS_RX_QUEUE_H */
