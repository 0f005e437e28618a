/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Inspection of TLS RX contexts (mlx5tls-inspect(7)): the context's published figures, the DEK
 * and the TIR read back with QUERY commands, and - from the driving thread only - the TIR's
 * progress parameters read back with GET_PSV (fact sheet 8.5).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dlist.h"
#include "inspect.h"
#include "qp.h"
#include "rx_internal.h"
#include "rx_queue.h"
#include "wqe.h"

/* ---- inspection (mlx5tls-inspect(7)) ---- */

#define PSV_WAIT_STEPS 10000u /* x 10 us: the bound of mlx5tls_rx_inspect's wait */
#define PUBLISHER_PSV_REASON "GET_PSV goes on the application's control queue: not available " \
			     "from this thread"

uint64_t rx_insp_id(const struct mlx5tls_rx *rx)
{
	return rx->id;
}

uint32_t rx_insp_tirn(const struct mlx5tls_rx *rx)
{
	return atomic_load_explicit(&rx->pub.tirn, memory_order_relaxed); /* as rx_inspect_fill */
}

void rx_tir_gone(struct mlx5tls_tir *tir)
{
	/* only the contexts on this TIR's own list (usually one) */
	struct mlx5tls_rx *rx;

	/* the list under the TIR's rx_lock; each context's TIR under its shard's lock, which the
	 * publisher holds while it reads it (lock order: rx_lock, then a shard's; rx_queue.h) */
	pthread_spin_lock(&tir->rx_lock);
	while ((rx = tir->rx_list) != NULL) {
		struct ctx_shard *sh = rx->qp->shard;

		DLIST_REMOVE(rx, tir_next, tir_pprev);
		pthread_mutex_lock(&sh->lock);
		rx->tir = NULL;
		pthread_mutex_unlock(&sh->lock);
	}
	pthread_spin_unlock(&tir->rx_lock);
}

static void rx_dek_read_back(struct mlx5tls_rx *rx, struct mlx5tls_rx_state *st)
{
	struct mlx5tls_dek_attr a;

	memset(&a, 0, sizeof(a));
	st->dek_id = mlx5tls_dek_id(rx->dek);
	st->dek_pooled = rx->dek->pool != NULL;
	st->dek_error = mlx5tls_dek_query(rx->dek, &a, sizeof(a));
	if (st->dek_error) {
		inspect_fw_status(st->dek_error, &st->dek_fw_status, &st->dek_fw_syndrome);
		return;
	}
	st->dek_state = a.state;
	st->dek_key_bits = a.key_bits;
	st->dek_key_purpose = a.key_purpose;
	st->dek_pd = a.pd;
}

static void rx_tir_read_back(struct mlx5tls_rx *rx, struct mlx5tls_rx_state *st)
{
	struct mlx5tls_tir_attr a;

	memset(&a, 0, sizeof(a));
	if (!rx->tir)
		return;
	st->has_tir = true;
	st->tir_error = mlx5tls_tir_query(rx->tir, &a, sizeof(a));
	if (st->tir_error) {
		inspect_fw_status(st->tir_error, &st->tir_fw_status, &st->tir_fw_syndrome);
		return;
	}
	st->tir_tls_en = a.tls_en;
	st->tir_disp_type = a.disp_type;
	st->tir_inline_rqn = a.inline_rqn;
	st->tir_transport_domain = a.transport_domain;
	st->tir_flows = a.flows;
}

/* The connection: given at creation, else the steering rule of the TIR when it has just one. */
static void rx_conn_fill(struct mlx5tls_rx *rx, struct mlx5tls_rx_state *st)
{
	conn_read(&rx->conn, &st->conn, &st->conn_source, st->label);
	if (st->conn_source == MLX5TLS_CONN_UNKNOWN && st->has_tir && st->tir_flows == 1) {
		char none[MLX5TLS_LABEL_MAX];

		conn_read(&rx->tir->flow_conn, &st->conn, &st->conn_source, none);
	}
}

void rx_inspect_fill(struct mlx5tls_rx *rx, struct mlx5tls_rx_state *st)
{
	const struct rx_pub *p = &rx->pub;

	memset(st, 0, sizeof(*st));
	st->id = rx->id;
	snprintf(st->device, sizeof(st->device), "%s", rx->qp->dev->attr.name);
	st->sqn = rx->qp->ring.sqn;
	st->tls_version = rx->version;
	st->cipher_type = rx->cipher_type;
	st->start_tcp_sn = rx->start_sn;
	st->first_record = rx->first_num;
	st->next_tcp_sn = atomic_load_explicit(&p->next_seq, memory_order_relaxed);
	st->next_record = atomic_load_explicit(&p->next_record, memory_order_relaxed);
	st->records = atomic_load_explicit(&p->records, memory_order_relaxed);
	st->bytes = atomic_load_explicit(&p->bytes, memory_order_relaxed);
	st->by_device = atomic_load_explicit(&p->by_device, memory_order_relaxed);
	st->by_software = atomic_load_explicit(&p->by_software, memory_order_relaxed);
	st->reencrypted_bytes = atomic_load_explicit(&p->reencrypted_bytes, memory_order_relaxed);
	st->resync_answers = atomic_load_explicit(&p->resync_answers, memory_order_relaxed);
	st->resync_left = atomic_load_explicit(&p->resync_left, memory_order_relaxed);
	st->resync_pending = atomic_load_explicit(&p->resync_pending, memory_order_relaxed);
	st->failed = atomic_load_explicit(&p->failed, memory_order_relaxed);
	st->path = (enum mlx5tls_tx_path)atomic_load_explicit(&p->path, memory_order_relaxed);
	st->tirn = atomic_load_explicit(&p->tirn, memory_order_relaxed);
	st->key_epoch = atomic_load_explicit(&p->key_epoch, memory_order_relaxed);
	st->stop = (enum mlx5tls_rx_stop)atomic_load_explicit(&p->stop, memory_order_relaxed);
	st->untrusted_packets = atomic_load_explicit(&p->untrusted, memory_order_relaxed);
	if (st->path != MLX5TLS_TX_PATH_DEVICE)
		snprintf(st->reason, sizeof(st->reason), "%s", rx->reason);
	if (rx->dek)
		rx_dek_read_back(rx, st);
	rx_tir_read_back(rx, st);
	st->progress_available = false;
	snprintf(st->progress_reason, sizeof(st->progress_reason), "%s", PUBLISHER_PSV_REASON);
	rx_conn_fill(rx, st);
}

static uint32_t be32_at(const uint8_t *b)
{
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

/* One GET_PSV on the control queue, waited for: only the thread that drives rx may post on its
 * queue, so this is mlx5tls_rx_inspect's part and never the publisher's. */
static void rx_progress_read_back(struct mlx5tls_rx *rx, struct mlx5tls_rx_state *st)
{
	struct mlx5tls_qp *qp = rx->qp;
	const char *why = NULL;

	if (!st->has_tir) /* a GET_PSV naming a destroyed TIR would fail the queue */
		why = "the TIR was destroyed before the context";
	else if (!rx->on_device)
		why = "the context holds no device state (software path or handed back)";
	else if (rx->psv_in_flight)
		why = "a GET_PSV of this context is in flight";
	else if (rx_psv_buf(rx))
		why = "no memory for the GET_PSV buffer";
	else if (qp_reserve(qp, 1))
		why = "no room on the control queue for a GET_PSV";
	if (why) {
		snprintf(st->progress_reason, sizeof(st->progress_reason), "%s", why);
		return;
	}
	rx_post_get_psv(rx);
	rx->psv_for_inspect = true;
	rx->insp_psv_done = false;
	for (uint32_t i = 0; i < PSV_WAIT_STEPS && !rx->insp_psv_done; i++) {
		(void)qp_reap(qp);
		if (!rx->insp_psv_done) {
			struct timespec ts = { 0, 10000 };

			nanosleep(&ts, NULL);
		}
	}
	/* a late answer only clears psv_in_flight (psv_for_inspect stays set until then) */
	if (!rx->insp_psv_done) {
		snprintf(st->progress_reason, sizeof(st->progress_reason),
			 "GET_PSV did not complete within %u ms", PSV_WAIT_STEPS / 100);
		return;
	}
	if (!rx->insp_psv_ok) {
		snprintf(st->progress_reason, sizeof(st->progress_reason),
			 "GET_PSV completed in error");
		return;
	}
	/* fact sheet 8.5: the 16-byte progress params segment; bytes 0..3 the TIR number */
	st->progress_available = true;
	st->progress_reason[0] = 0;
	st->hw_next_record_tcp_sn = be32_at(rx->insp_psv + 4);
	st->hw_resync_tcp_sn = be32_at(rx->insp_psv + 8);
	st->hw_tracker_state = rx->insp_psv[12] >> 6;
	st->hw_auth_state = (rx->insp_psv[12] >> 4) & 3;
	st->hw_offset_record_number = be32_at(rx->insp_psv + 12) & 0xffffffu;
}

int mlx5tls_rx_inspect(struct mlx5tls_rx *rx, struct mlx5tls_rx_state *st, size_t st_sz)
{
	struct mlx5tls_rx_state s;

	if (!rx || !st)
		return libmlx5tls_err(-EINVAL);
	/* reaping may complete a resync: the published figures first, so they are current */
	rx_publish(rx);
	/* the shard's lock: rx->tir is cleared under it when the TIR goes */
	pthread_mutex_lock(&rx->qp->shard->lock);
	rx_inspect_fill(rx, &s);
	pthread_mutex_unlock(&rx->qp->shard->lock);
	rx_progress_read_back(rx, &s);
	copy_out(st, st_sz, &s, sizeof(s));
	return 0;
}
