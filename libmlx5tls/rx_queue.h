/* SPDX-License-Identifier: BSD-3-Clause */
/* Receive queues, TIRs and flows as the library keeps them (rq.c), for the TLS RX contexts that
 * sit on them. Private to the library. */
#ifndef MLX5TLS_RX_QUEUE_H
#define MLX5TLS_RX_QUEUE_H

#include <pthread.h>
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

/*
 * A TIR as the application holds it. Its device object changes at every renewal (tir_renew):
 * a TLS TIR's TLS state (static/progress params, the DEK they name) cannot be cleared on the
 * device, so a TLS RX context that is done with it - destroyed, rekeyed, handed back - replaces
 * the object by a fresh one (CREATE_TIR, the flows moved over, DESTROY_TIR: what the kernel's
 * TIR-per-connection lifecycle does, fact sheet 11.2/11.5). Each object has its own flow tag,
 * carried by every CQE its flows steer: a packet's tag names the TLS state that processed it.
 * Renewal runs on the thread that drives the TIR's RX context.
 */
struct mlx5tls_tir {
	struct mlx5tls_rq *rq;
	struct mlx5tls_td *td;
	struct mlx5tls_xobj *obj;
	uint32_t tirn;
	uint32_t tag;       /* flow tag of this object's rules (24 bits, never 0) */
	bool tls_en;
	bool tls_used;      /* a context posted TLS params on this object: renew before reuse */
	/* rx_list's - not lock: the publisher queries the TIR (lock) holding a context shard's
	 * lock, and the TIR going clears each context's TIR under its shard's lock holding this
	 * one (lock order: rx_lock, a shard's, lock). A spin lock: held for a list link (longer
	 * only while the TIR is being destroyed, when no context should be made or dropped on
	 * it), and it fits in the padding here, where a mutex would add 40 bytes to every TIR. */
	pthread_spinlock_t rx_lock;
	pthread_mutex_t lock; /* the flow list */
	struct mlx5tls_flow *flow_list;
	atomic_uint flows;
	struct conn_id flow_conn; /* the connection of its first steering rule (inspection) */
	struct mlx5tls_rx *rx_list; /* RX contexts naming this TIR (rx_lock) */
	/* The DEK of a destroyed context whose TLS state the TIR object still holds: set when the
	 * context went while no flow steered to the TIR (no packet can reach that state), so the
	 * renewal is put off until the TIR gets a flow or a context again - or is destroyed, which
	 * needs none. Given back after that. */
	struct mlx5tls_dek *stale_dek;
};

/* What a destroy reads comes first, the transport's record among it (transport.h
 * XPORT_FLOW_REC_BYTES), so that it is one or two lines asked for at once; the match after. */
struct mlx5tls_flow {
	struct mlx5tls_tir *tir;
	struct mlx5tls_xflow *xflow; /* rec when installed; NULL when a renewal could not */
	struct mlx5tls_flow *prev, *next;
	union xport_flow_rec rec;
	struct xport_flow_match xm;
};

/* Ask for the first lines mlx5tls_rx_destroy reads of rx (rx.c), which may be freed meanwhile:
 * a prefetch never faults. */
void rx_prefetch_teardown(const struct mlx5tls_rx *rx);

/* Replace tir's device object by a fresh one with a new flow tag, its flows moved over. 0 or
 * -errno (the first failure; the TIR is usable as long as its object exists). */
int tir_renew(struct mlx5tls_tir *tir);

#endif /* MLX5TLS_RX_QUEUE_H */
