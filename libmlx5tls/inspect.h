/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Inspection (internal): the registry of open devices, the per-device lists of queues and pools
 * and tables of TX and RX contexts (insp_table.h), the one place per direction that reads a
 * context's datapath state from another thread (tx_snapshot; rx_inspect_fill, from the RX
 * context's published copies), the device counters with the queues' TLS sums, and the publisher
 * (publish*.c) that answers mlx5tls-inspect(7) requests from them.
 *
 * Lock order: the registry lock (inspect_devices_lock) -> a TIR's rx_lock -> a device's insp_lock
 * or one of its context shards' locks (mlx5tls_internal.h) -> a TIR's lock (queries), a pool's
 * lock. The application's calls take at most one of insp_lock and a shard's lock at a time, and
 * at most one shard's lock.
 */
#ifndef MLX5TLS_INSPECT_H
#define MLX5TLS_INSPECT_H

#include <sys/types.h>

#include "tx_internal.h"

/* ---- registry of open devices ---- */

/* device.c: a device is listed once it is fully open and unlisted before it is closed. */
void inspect_device_add(struct mlx5tls_device *dev);
void inspect_device_del(struct mlx5tls_device *dev);
/* The first open device, with the registry locked (walk with dev->insp_next); unlock after. */
struct mlx5tls_device *inspect_devices_lock(void);
void inspect_devices_unlock(void);

/* ---- per-device lists (under dev->insp_lock) ---- */

struct inspect_qp {
	struct mlx5tls_qp *qp;
	struct inspect_qp *next;
	struct inspect_qp **pprev;
};

/* qp.c: after the queue is complete / before it is freed. 0 or -ENOMEM. */
int inspect_qp_add(struct mlx5tls_qp *qp);
void inspect_qp_del(struct mlx5tls_qp *qp);

/* dek_pool.c, tis_pool.c: the pools link themselves (their structs are private there). */
struct mlx5tls_dek_pool *dek_pool_insp_next(const struct mlx5tls_dek_pool *pool);
struct mlx5tls_device *dek_pool_device(const struct mlx5tls_dek_pool *pool);
struct mlx5tls_tis_pool *tis_pool_insp_next(const struct mlx5tls_tis_pool *pool);
struct mlx5tls_device *tis_pool_device(const struct mlx5tls_tis_pool *pool);

/* ---- reading a context or a queue from another thread ---- */

/* The id of a new TLS context (TX or RX): the next number of a process-wide sequence, from 1
 * (mlx5tls_internal.h). */
uint64_t inspect_new_ctx_id(void);

/* What a context's datapath thread keeps without locks, read at once. The caller keeps the
 * context alive (holds the lock of the context's shard, or owns the context). */
struct tx_snap {
	struct mlx5tls_tx_info info;       /* as mlx5tls_tx_query() */
	uint64_t c[TXC__MAX];              /* the counters by index (names: counters.c) */
	struct mlx5tls_dek *dek;           /* DEK of the current key, NULL on the software path */
	struct mlx5tls_dek *deks[TX_EPOCHS]; /* every live key's DEK */
	uint32_t dek_epochs[TX_EPOCHS];
	unsigned int n_deks;
	struct mlx5tls_tis *tis;
};
void tx_snapshot(struct mlx5tls_tx *tx, struct tx_snap *s);

/* mlx5tls_tx_inspect() from a snapshot just taken (the publisher filters on it first). */
void tx_inspect_fill(struct mlx5tls_tx *tx, const struct tx_snap *snap,
		     struct mlx5tls_tx_state *st);

/* The firmware's status and syndrome of the query that just failed with err on this thread. */
void inspect_fw_status(int err, uint8_t *status, uint32_t *syndrome);

/* ---- TLS RX contexts (rx.c), in their queue's shard's rx table under its lock ---- */

uint64_t rx_insp_id(const struct mlx5tls_rx *rx);
/* Its TIR's number as its inspection reports it (mlx5tls_rx_state.tirn). */
uint32_t rx_insp_tirn(const struct mlx5tls_rx *rx);
/* mlx5tls_rx_inspect() without the GET_PSV, for a thread that does not drive rx (the publisher,
 * holding the lock of rx's shard): progress is reported "not available" with that reason. */
void rx_inspect_fill(struct mlx5tls_rx *rx, struct mlx5tls_rx_state *st);
/* rq.c, at TIR destroy: contexts still naming the TIR forget it (the publisher must not query a
 * freed TIR). Takes the TIR's rx_lock, and each context's shard's; O(contexts on this TIR), from
 * its own list. */
void rx_tir_gone(struct mlx5tls_tir *tir);

/* A queue's figures (mlx5tls_qp_query) read without writing the queue, from another thread. */
void qp_snapshot(const struct mlx5tls_qp *qp, struct mlx5tls_qp_attr *attr);

/* ---- publisher (publish.c) ---- */

/* device.c, at every device open: start publishing if MLX5TLS_PUBLISH asks for it (once). */
void publish_env_check(void);
/* Only the same effective user or root is answered. */
bool publish_peer_allowed(uid_t peer, uid_t self);
/* The answer to one request line (without its newline), as one JSON line ending in "\n", in a
 * malloc'd buffer; NULL when out of memory. */
char *publish_answer(const char *line, size_t *len);
/* The most CPU time the publisher spent holding a context shard's lock in one step, in
 * ns (tests). */
uint64_t publish_max_hold_ns(void);
/* Tests: the table slots the publisher has looked at so far (walks and look-ups by id). */
uint64_t publish_slots_looked(void);
/* Tests: fn(arg) runs on the publisher's thread between two steps of a walk over contexts, with
 * no device lock held (only the registry's); NULL to stop. */
void publish_set_step_hook(void (*fn)(void *arg), void *arg);
/* Tests: fn(arg) runs on the walking thread between two steps of mlx5tls_device_foreach_tx,
 * with no lock held; NULL to stop. */
void inspect_set_foreach_step_hook(void (*fn)(void *arg), void *arg);

#endif
