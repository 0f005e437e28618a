/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * TLS RX contexts: what goes on the control queue - the add sequence (fact sheet 11.2 step 4) and
 * the device-requested resync (11.4: GET_PSV, its answer by static params) - and its completions.
 * The rules are in rx.c's header comment.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "inspect.h"
#include "qp.h"
#include "rx_internal.h"
#include "rx_queue.h"
#include "tls_stat.h"
#include "wqe.h"

#define TRACKER_TRACKING 1u     /* tls_progress_params record_tracker_state (fact sheet 7) */
#define AUTH_NO_OFFLOAD 0u

/* ---- params on the control queue ---- */

static int post_static(struct mlx5tls_rx *rx, uint32_t resync_sn, uint64_t num)
{
	struct mlx5tls_qp *qp = rx->qp;
	struct wqe_slot slot = { .kind = WQE_RX_PARAMS, .rx = rx };
	struct tls_static_info si = { 0 };
	void *bb[3];
	int ret = qp_reserve(qp, MLX5TLS_STATIC_PARAMS_WQEBBS);

	if (ret < 0)
		return ret;
	si.tls13 = rx->tls13;
	for (int i = 7; i >= 0; i--, num >>= 8)
		si.rec_seq[i] = (uint8_t)num;
	memcpy(si.salt, rx->salt, sizeof(si.salt));
	memcpy(si.iv, rx->iv, sizeof(si.iv));
	si.resync_tcp_sn = resync_sn;
	si.dek_index = mlx5tls_dek_id(rx->dek);
	for (uint32_t i = 0; i < 3; i++) {
		bb[i] = qp_wqebb(qp, i);
		memset(bb[i], 0, MLX5TLS_WQEBB);
	}
	wqe_build_static_params(bb, (uint16_t)qp->pc, qp->ring.sqn, MLX5TLS_OPC_MOD_TIR, rx->tirn,
				false, &si);
	explicit_bzero(&si, sizeof(si));
	if (qp->dev->trace) {
		/* as TX's (tx_send.c): the salt and implicit IV, bytes 0x14..0x1f, are masked */
		static const struct cmd_secret ivs = { 0x14, 12 };

		trace_wqe(qp->dev->trace, qp->dev->attr.name, "static_params", qp->ring.sqn, "tir",
			  rx->tirn, bb[2], 64, &ivs);
	}
	qp_commit(qp, MLX5TLS_STATIC_PARAMS_WQEBBS, &slot);
	return 0;
}

static int post_progress(struct mlx5tls_rx *rx, uint32_t next_record_sn)
{
	struct mlx5tls_qp *qp = rx->qp;
	struct wqe_slot slot = { .kind = WQE_RX_PARAMS, .rx = rx };
	int ret = qp_reserve(qp, 1);
	uint8_t *w;

	if (ret < 0)
		return ret;
	w = qp_wqe_begin(qp, 1);
	/* the kernel rings the doorbell on this one with CQ_UPDATE (fact sheet 11.2 step 4) */
	wqe_build_progress_params(w, (uint16_t)qp->pc, qp->ring.sqn, MLX5TLS_OPC_MOD_TIR, rx->tirn,
				  false, next_record_sn);
	w[11] |= MLX5TLS_WQE_CQ_UPDATE;
	if (qp->dev->trace)
		trace_wqe(qp->dev->trace, qp->dev->attr.name, "progress_params", qp->ring.sqn,
			  "tir", rx->tirn, w + 20, 12, NULL);
	qp_commit(qp, 1, &slot);
	return 0;
}

/* The add sequence (fact sheet 11.2 step 4) for the current keys: the device starts at TCP
 * sequence epoch_sn with the record numbered epoch_num. */
int rx_post_add_params(struct mlx5tls_rx *rx)
{
	int ret = post_static(rx, 0, rx->epoch_num);

	if (!ret)
		ret = post_progress(rx, rx->epoch_sn);
	if (!ret)
		qp_doorbell(rx->qp);
	return ret;
}

/* ---- resync ---- */

void rx_hist_add(struct mlx5tls_rx *rx, uint32_t seq, uint64_t num)
{
	uint32_t i = (rx->hist_head + rx->hist_count) % RX_HISTORY;

	/* The ring comes with the first record start, once per context. Without memory the start
	 * is not remembered: a GET_PSV guess at it is then answered as one behind the stream with
	 * no record start (resync_guess: skipped, the device asks again), never wrongly. */
	if (!rx->hist && !(rx->hist = malloc(RX_HISTORY * sizeof(*rx->hist))))
		return;
	rx->hist[i] = (struct rx_start){ seq, num };
	if (rx->hist_count < RX_HISTORY)
		rx->hist_count++;
	else
		rx->hist_head = (rx->hist_head + 1) % RX_HISTORY;
}

int rx_answer(struct mlx5tls_rx *rx, uint32_t seq, uint64_t num)
{
	int ret = post_static(rx, seq, num);

	rx->answer_pending = false;
	if (ret) {
		rx_cnt(rx, MLX5TLS_CNT_RX_TLS_RESYNC_RES_RETRY, 1);
		rx->retry = true; /* again at the next input */
		rx->retry_seq = seq;
		rx->retry_num = num;
		return ret;
	}
	qp_doorbell(rx->qp);
	rx->retry = false;
	rx_cnt(rx, MLX5TLS_CNT_RX_TLS_RESYNC_RES_OK, 1);
	tls_stat_add(TLS_STAT_RX_DEVICE_RESYNC, 1);
	rx->info.resync_answers++;
	/* the bound is on requests that go unanswered in a row: a loss later in the stream
	 * deserves its own resync */
	rx->resync_left = rx->resync_max;
	return 0;
}

/* The device's guess hw_seq (GET_PSV): a record start already seen, one still to come, or no
 * record start at all. */
static void resync_guess(struct mlx5tls_rx *rx, uint32_t hw_seq)
{
	for (uint32_t k = 0; k < rx->hist_count; k++) {
		const struct rx_start *h = &rx->hist[(rx->hist_head + k) % RX_HISTORY];

		if (h->seq == hw_seq) {
			(void)rx_answer(rx, hw_seq, h->num);
			return;
		}
	}
	if ((int32_t)(hw_seq - rx->next_seq) >= 0) {
		rx->answer_pending = true; /* checked as the stream reaches it */
		rx->answer_seq = hw_seq;
		return;
	}
	rx_cnt(rx, MLX5TLS_CNT_RX_TLS_RESYNC_REQ_SKIP, 1); /* behind us and no record start */
}

void rx_wqe_done(struct mlx5tls_rx *rx, uint8_t kind, bool ok)
{
	const uint8_t *p = rx->psv_buf;

	if (kind == WQE_RX_PARAMS) {
		if (!ok)
			rx->params_lost = true;
		return;
	}
	rx->psv_in_flight = false;
	if (rx->psv_for_inspect) {
		rx->psv_for_inspect = false;
		rx->insp_psv_ok = ok;
		memcpy(rx->insp_psv, p, sizeof(rx->insp_psv));
		rx->insp_psv_done = true;
		return;
	}
	if (!ok) {
		rx_cnt(rx, MLX5TLS_CNT_RX_TLS_RESYNC_REQ_SKIP, 1);
		return;
	}
	/* fact sheet 8.5: bytes 8..11 hw_resync_tcp_sn, byte 12 tracker (7:6) / auth (5:4) */
	if ((p[12] >> 6) != TRACKER_TRACKING || ((p[12] >> 4) & 3) != AUTH_NO_OFFLOAD) {
		rx_cnt(rx, MLX5TLS_CNT_RX_TLS_RESYNC_REQ_SKIP, 1);
		return;
	}
	rx_cnt(rx, MLX5TLS_CNT_RX_TLS_RESYNC_REQ_END, 1);
	resync_guess(rx, (uint32_t)p[8] << 24 | (uint32_t)p[9] << 16 | (uint32_t)p[10] << 8 |
				 p[11]);
}

/* GET_PSV of the TIR's progress params into psv_buf (fact sheet 8.5); room was reserved. */
void rx_post_get_psv(struct mlx5tls_rx *rx)
{
	struct mlx5tls_qp *qp = rx->qp;
	struct wqe_slot slot = { .kind = WQE_GET_PSV, .rx = rx };
	uint8_t *w;

	memset(rx->psv_buf, 0, RX_PSV_BYTES);
	w = qp_wqe_begin(qp, 1);
	wqe_build_get_psv(w, (uint16_t)qp->pc, qp->ring.sqn, rx->tirn, rx->psv_mr->lkey,
			  (uintptr_t)rx->psv_buf);
	qp_commit(qp, 1, &slot);
	qp_doorbell(qp);
	rx->psv_in_flight = true;
}

int rx_psv_buf(struct mlx5tls_rx *rx)
{
	if (rx->psv_mr)
		return 0;
	if (!rx->psv_buf) {
		rx->psv_buf = aligned_alloc(64, RX_PSV_BYTES);
		if (!rx->psv_buf)
			return -ENOMEM;
	}
	rx->psv_mr = mr_reg_access(rx->qp->pd, rx->psv_buf, RX_PSV_BYTES, XPORT_MR_LOCAL_WRITE);
	return rx->psv_mr ? 0 : -errno;
}

void rx_resync_request(struct mlx5tls_rx *rx)
{
	struct mlx5tls_qp *qp = rx->qp;

	rx_cnt(rx, MLX5TLS_CNT_RX_TLS_RESYNC_REQ_PKT, 1);
	if (rx->psv_in_flight || rx->answer_pending || rx->retry)
		return; /* one request at a time, as the kernel's resync state */
	if (!rx->resync_left || rx_psv_buf(rx) || qp_reserve(qp, 1)) {
		rx_cnt(rx, MLX5TLS_CNT_RX_TLS_RESYNC_REQ_SKIP, 1);
		return;
	}
	rx->resync_left--;
	rx_post_get_psv(rx);
	rx_cnt(rx, MLX5TLS_CNT_RX_TLS_RESYNC_REQ_START, 1);
}

