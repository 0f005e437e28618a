/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Send ring bookkeeping (qp.h): room, WQE memory with wrap, CQE moderation and the doorbell
 * protocol of devx-userspace B3:
 *   WQE stores -> udma_to_device_barrier -> dbrec[1] = BE32(pc & 0xffff) -> mmio_wc_start ->
 *   8-byte store of the last WQE's first ctrl bytes to the doorbell register (transport).
 * A WQE asks for a CQE (fm_ce_se CQ_UPDATE, fact sheet 8.1) at least every cqe_every WQEs and
 * always as the last WQE before a doorbell, as mlx5e_notify_hw does (fact sheet 8.8); the CQE's
 * wqe_counter then completes every WQE up to it (devx-userspace B4).
 */
#include <endian.h>
#include <string.h>
#include <time.h>

#include "barrier.h"
#include "qp.h"
#include "wqe.h"

/* How long a full ring waits for an asynchronous device before giving up with -EAGAIN. */
#define RESERVE_WAIT_NS 2000000000ull

static uint32_t ring_free(const struct mlx5tls_qp *qp)
{
	return qp->ring.sq_wqebbs - (qp->pc - qp->cc);
}

static void pause_briefly(void)
{
	struct timespec ts = { 0, 2000 };

	nanosleep(&ts, NULL);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int qp_reserve(struct mlx5tls_qp *qp, uint32_t nbb)
{
	uint64_t start = 0;
	uint64_t recoveries = qp->stats.recoveries;

	if (qp->dead)
		return -EIO;
	while (ring_free(qp) < nbb) {
		int ret;

		/* the device only sees what a doorbell announced */
		qp_doorbell(qp);
		ret = qp_reap(qp);
		if (ret)
			return ret;
		if (qp->stats.recoveries != recoveries)
			return 1; /* the ring was reset under the caller: it must plan again */
		if (ring_free(qp) >= nbb)
			break;
		if (qp->in_error)
			return -EAGAIN; /* recovery in progress further up the stack */
		if (!start)
			start = now_ns();
		else if (now_ns() - start > RESERVE_WAIT_NS)
			return -EAGAIN;
		pause_briefly();
	}
	return 0;
}

int qp_wait_progress(struct mlx5tls_qp *qp, uint64_t *start)
{
	uint32_t cc = qp->cc;
	int ret;

	qp_doorbell(qp);
	ret = qp_reap(qp);
	if (ret)
		return ret;
	if (qp->cc != cc)
		return 0;
	/* nothing to wait for, or a recovery in progress further up the stack */
	if (qp->cc == qp->pc || qp->in_error)
		return -EAGAIN;
	if (!*start)
		*start = now_ns();
	else if (now_ns() - *start > RESERVE_WAIT_NS)
		return -EAGAIN;
	pause_briefly();
	return 0;
}

uint8_t *qp_wqebb(struct mlx5tls_qp *qp, uint32_t i)
{
	return (uint8_t *)qp->ring.sq_buf + (size_t)((qp->pc + i) & qp->wqe_mask) * MLX5TLS_WQEBB;
}

uint8_t *qp_wqe_begin(struct mlx5tls_qp *qp, uint32_t nbb)
{
	uint32_t idx = qp->pc & qp->wqe_mask;
	uint8_t *w;

	if (idx + nbb <= qp->ring.sq_wqebbs) {
		w = qp_wqebb(qp, 0);
		qp->scratch_dst = NULL;
	} else {
		/* builders write contiguous memory; the WQE continues at the ring start */
		w = qp->scratch;
		qp->scratch_dst = qp_wqebb(qp, 0);
	}
	memset(w, 0, (size_t)nbb * MLX5TLS_WQEBB);
	return w;
}

void qp_commit(struct mlx5tls_qp *qp, uint32_t nbb, const struct wqe_slot *slot)
{
	uint32_t idx = qp->pc & qp->wqe_mask;
	struct wqe_slot *s = &qp->slots[idx];

	if (qp->scratch_dst) {
		uint32_t first = qp->ring.sq_wqebbs - idx;

		memcpy(qp->scratch_dst, qp->scratch, (size_t)first * MLX5TLS_WQEBB);
		memcpy(qp->ring.sq_buf, qp->scratch + (size_t)first * MLX5TLS_WQEBB,
		       (size_t)(nbb - first) * MLX5TLS_WQEBB);
		qp->scratch_dst = NULL;
	}
	*s = *slot;
	s->nbb = (uint8_t)nbb;
	qp_commit_account(qp, nbb, slot->kind == WQE_FRAME);
}

void qp_doorbell(struct mlx5tls_qp *qp)
{
	if (!qp->db_pending)
		return;
	if (!(qp->last_ctrl[11] & MLX5TLS_WQE_CQ_UPDATE)) {
		qp->last_ctrl[11] |= MLX5TLS_WQE_CQ_UPDATE;
		qp->since_cqe = 0;
	}
	udma_to_device_barrier();
	__atomic_store_n(&qp->ring.sq_dbrec[1], htobe32(qp->pc & 0xffff), __ATOMIC_RELEASE);
	mmio_wc_start();
	qp->dev->ops->qp_doorbell(qp->xq, qp->last_ctrl);
	qp->db_pending = false;
	qp->stats.doorbells++;
	qp_publish(qp);
}
