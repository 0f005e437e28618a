/* SPDX-License-Identifier: BSD-3-Clause */
/* The devx transport's per-device state and object handles, shared by its command half (devx.c)
 * and its datapath half (devx_dp.c). Private to the transport. */
#ifndef MLX5TLS_TRANSPORT_DEVX_XPORT_H
#define MLX5TLS_TRANSPORT_DEVX_XPORT_H

#include <errno.h>
#include <stdint.h>

#include <infiniband/mlx5dv.h>
#include <infiniband/verbs.h>

#include "transport/transport.h"

struct mlx5tls_xport {
	struct ibv_context *ctx; /* opened with MLX5DV_CONTEXT_FLAGS_DEVX */
	char name[64];
};

/* A created object: either a DevX object or a verbs PD (pd_alloc). */
struct mlx5tls_xobj {
	struct mlx5tls_xport *xp;
	struct mlx5dv_devx_obj *devx;
	struct ibv_pd *pd;
};

/* A positive errno from rdma-core (some paths may hand back a negative one) -> negative errno;
 * 0 (a failure that did not say why) -> -EIO. */
static inline int devx_neg_errno(int ret)
{
	if (ret < 0)
		ret = -ret;
	return ret ? -ret : -EIO;
}

int devx_qp_create(struct mlx5tls_xport *xp, const struct xport_qp_attr *attr,
		   struct xport_qp_info *info, struct mlx5tls_xqp **q);
void devx_qp_destroy(struct mlx5tls_xqp *q);
void devx_qp_doorbell(struct mlx5tls_xqp *q, const void *ctrl8);
int devx_qp_recover(struct mlx5tls_xqp *q);
int devx_mr_reg(struct mlx5tls_xport *xp, struct mlx5tls_xobj *pd_obj, void *addr, size_t len,
		uint32_t access, uint32_t *lkey, struct mlx5tls_xmr **mr);
int devx_mr_dereg(struct mlx5tls_xmr *mr);
int devx_rq_create(struct mlx5tls_xport *xp, const struct xport_rq_attr *attr,
		   struct xport_rq_info *info, struct mlx5tls_xrq **q);
void devx_rq_destroy(struct mlx5tls_xrq *q);
int devx_rq_recover(struct mlx5tls_xrq *q);
int devx_flow_create(struct mlx5tls_xport *xp, const struct xport_flow_match *m,
		     struct mlx5tls_xobj *tir_obj, uint32_t tirn, uint32_t tag,
		     struct mlx5tls_xflow *f);
int devx_flow_destroy(struct mlx5tls_xflow *f);

#endif
