/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Send-queue objects: creation over model or caller memory, the doorbell, the device thread,
 * MODIFY_SQ state changes, fault injection and counters. The WQE engine itself is sq_wqe.c
 * (with sq_send.c and sq_tls_wqe.c).
 *
 * Locks: proc_lock is held while WQEs are consumed (step mode or the device thread) and by
 * modify/query; db_lock covers the doorbell latch and the thread handshake, so a doorbell never
 * waits for the engine. Order: proc_lock, then db_lock. The SQ state is also stored atomically so
 * the doorbell can read it without proc_lock.
 */
#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sim/port.h"
#include "sim/sq_internal.h"

#define SQ_DBREC_ALIGN 64u

static enum sim_sq_state sq_state_load(struct sim_sq *sq)
{
	return __atomic_load_n(&sq->state, __ATOMIC_ACQUIRE);
}

static void *sq_thread(void *arg)
{
	struct sim_sq *sq = arg;

	pthread_mutex_lock(&sq->db_lock);
	for (;;) {
		uint64_t seq;

		while (!sq->stop && sq->done_seq == sq->db_seq)
			pthread_cond_wait(&sq->db_cond, &sq->db_lock);
		if (sq->stop)
			break;
		seq = sq->db_seq;
		sq->busy = true;
		pthread_mutex_unlock(&sq->db_lock);

		sim_sq_process(sq);

		pthread_mutex_lock(&sq->db_lock);
		sq->done_seq = seq;
		sq->busy = false;
		pthread_cond_broadcast(&sq->idle_cond);
	}
	pthread_mutex_unlock(&sq->db_lock);
	return NULL;
}

static void sq_free(struct sim_sq *sq)
{
	if (sq->own_dbrec)
		free(sq->dbrec);
	if (sq->own_buf)
		free(sq->buf);
	free(sq->pkt);
	free(sq->frame);
	free(sq);
}

static int sq_locks_init(struct sim_sq *sq)
{
	if (pthread_mutex_init(&sq->proc_lock, NULL))
		return -ENOMEM;
	if (pthread_mutex_init(&sq->db_lock, NULL))
		goto err_proc;
	if (pthread_cond_init(&sq->db_cond, NULL))
		goto err_db;
	if (pthread_cond_init(&sq->idle_cond, NULL))
		goto err_cond;
	return 0;
err_cond:
	pthread_cond_destroy(&sq->db_cond);
err_db:
	pthread_mutex_destroy(&sq->db_lock);
err_proc:
	pthread_mutex_destroy(&sq->proc_lock);
	return -ENOMEM;
}

static void sq_locks_fini(struct sim_sq *sq)
{
	pthread_cond_destroy(&sq->idle_cond);
	pthread_cond_destroy(&sq->db_cond);
	pthread_mutex_destroy(&sq->db_lock);
	pthread_mutex_destroy(&sq->proc_lock);
}

static int sq_alloc_mem(struct sim_sq *sq, const struct sim_sq_attr *attr)
{
	size_t bytes = (size_t)SQ_WQEBB << attr->log_wqebbs;

	if (attr->buf) {
		sq->buf = attr->buf;
	} else {
		sq->buf = aligned_alloc(4096, bytes < 4096 ? 4096 : bytes);
		if (!sq->buf)
			return -ENOMEM;
		memset(sq->buf, 0, bytes);
		sq->own_buf = true;
	}
	if (attr->dbrec) {
		sq->dbrec = attr->dbrec;
	} else {
		sq->dbrec = aligned_alloc(SQ_DBREC_ALIGN, SQ_DBREC_ALIGN);
		if (!sq->dbrec)
			return -ENOMEM;
		memset(sq->dbrec, 0, SQ_DBREC_ALIGN);
		sq->own_dbrec = true;
	}
	sq->pkt = malloc(SQ_LSO_MAX_PAYLOAD + SQ_MAX_WQE_BYTES);
	sq->frame = malloc(SQ_FRAME_MAX + SQ_MAX_WQE_BYTES);
	return sq->pkt && sq->frame ? 0 : -ENOMEM;
}

struct sim_sq *sim_sq_create(struct sim_dev *dev, const struct sim_sq_attr *attr)
{
	struct sim_sq *sq;
	struct sim_dp *dp;
	uint32_t num = 0;
	int tls_en = 0;
	int err;

	if (!dev || !attr || !attr->cq || attr->cq->dev != dev || attr->log_wqebbs < 1 ||
	    attr->log_wqebbs > SIM_SQ_LOG_MAX || (attr->flags & ~(uint32_t)SIM_SQ_F_ASYNC) ||
	    ((uintptr_t)attr->buf & (SQ_WQEBB - 1)) || ((uintptr_t)attr->dbrec & 3)) {
		errno = EINVAL;
		return NULL;
	}
	/* sqc.tis_lst_sz = 1, tis_num_0 = a live TIS (devx-userspace B2 step 8) */
	if (sim_tis_get(dev, attr->tisn, &tls_en, NULL, NULL)) {
		errno = ENOENT;
		return NULL;
	}
	dp = sim_dp_get(dev);
	if (!dp) {
		errno = ENOMEM;
		return NULL;
	}
	sq = calloc(1, sizeof(*sq));
	if (!sq) {
		sim_dp_put(dev);
		errno = ENOMEM;
		return NULL;
	}
	err = sq_locks_init(sq);
	if (err) {
		free(sq);
		sim_dp_put(dev);
		errno = -err;
		return NULL;
	}
	sq->dev = dev;
	sq->dp = dp;
	sq->cq = attr->cq;
	sq->port = attr->port;
	sq->tls_ops = attr->tls_ops ? attr->tls_ops : sim_tls_engine_builtin();
	sq->tls_rx_ops = attr->tls_rx_ops ? attr->tls_rx_ops : &sim_tls_rx_engine_ops;
	sq->tisn = attr->tisn;
	sq->pd = attr->pd;
	sq->log_wqebbs = attr->log_wqebbs;
	sq->state = SIM_SQ_RST;
	sq->inject_after = -1;
	err = sq_alloc_mem(sq, attr);
	if (err)
		goto err_free;

	pthread_mutex_lock(&dp->lock);
	err = sim_objtab_alloc_num(&dp->sqs, &dp->sq_cursor, SIM_SQ_NUM_FIRST, SIM_OBJ_NUM_LIMIT,
				   &num);
	if (!err)
		err = sim_objtab_put(&dp->sqs, num, sq);
	pthread_mutex_unlock(&dp->lock);
	if (err)
		goto err_free;
	sq->sqn = num;
	sim_cq_attach(sq->cq, 1);

	if (attr->flags & SIM_SQ_F_ASYNC) {
		err = -pthread_create(&sq->thread, NULL, sq_thread, sq);
		if (err) {
			sim_cq_attach(sq->cq, -1);
			pthread_mutex_lock(&dp->lock);
			sim_objtab_del(&dp->sqs, sq->sqn);
			pthread_mutex_unlock(&dp->lock);
			goto err_free;
		}
		sq->thread_started = true;
	}
	return sq;

err_free:
	sq_locks_fini(sq);
	sq_free(sq);
	sim_dp_put(dev);
	errno = -err;
	return NULL;
}

void sim_sq_destroy(struct sim_sq *sq)
{
	struct sim_dev *dev;

	if (!sq)
		return;
	if (sq->thread_started) {
		pthread_mutex_lock(&sq->db_lock);
		sq->stop = true;
		pthread_cond_broadcast(&sq->db_cond);
		pthread_mutex_unlock(&sq->db_lock);
		pthread_join(sq->thread, NULL);
	}
	dev = sq->dev;
	pthread_mutex_lock(&sq->dp->lock);
	sim_objtab_del(&sq->dp->sqs, sq->sqn);
	pthread_mutex_unlock(&sq->dp->lock);
	sim_cq_attach(sq->cq, -1);
	sim_tls_ctx_uncache(&sq->tls_ctx); /* before the datapath state can go */
	sq_locks_fini(sq);
	sq_free(sq);
	sim_dp_put(dev);
}

void sim_sq_query(struct sim_sq *sq, struct sim_sq_info *info)
{
	if (!sq || !info)
		return;
	info->sqn = sq->sqn;
	info->buf = sq->buf;
	info->wqe_cnt = 1u << sq->log_wqebbs;
	info->stride = SQ_WQEBB;
	info->dbrec = sq->dbrec;
	info->state = sq_state_load(sq);
}

void sim_sq_ring_doorbell(struct sim_sq *sq, uint64_t ctrl8)
{
	uint8_t db[8], *wqe;
	uint32_t w0 = 0, w1 = 0;
	bool mismatch;

	if (!sq)
		return;
	/* the 8 bytes as the MMIO store carries them: opmod_idx_opcode, qpn_ds (BE32 each) */
	memcpy(db, &ctrl8, sizeof(db));
	memcpy(&w0, db, 4);
	memcpy(&w1, db + 4, 4);
	wqe = sq->buf + (size_t)(((be32toh(w0) >> 8) & 0xffff) & ((1u << sq->log_wqebbs) - 1)) *
				SQ_WQEBB;
	mismatch = (be32toh(w1) >> 8) != sq->sqn || memcmp(wqe, db, sizeof(db)) != 0;

	pthread_mutex_lock(&sq->db_lock);
	sq->stats.doorbells++;
	if (sq_state_load(sq) == SIM_SQ_RST) {
		sq->stats.db_ignored++;
		pthread_mutex_unlock(&sq->db_lock);
		return;
	}
	if (mismatch)
		sq->stats.db_mismatch++;
	/* devx-userspace B3 step 2: dbrec[1] = htobe32(pc & 0xffff), stored before the MMIO */
	sq->db_pc = (uint16_t)be32toh(__atomic_load_n(&sq->dbrec[1], __ATOMIC_ACQUIRE));
	sq->db_seq++;
	pthread_cond_signal(&sq->db_cond);
	pthread_mutex_unlock(&sq->db_lock);
}

int sim_sq_process(struct sim_sq *sq)
{
	uint16_t pc;
	int n;

	if (!sq)
		return -EINVAL;
	pthread_mutex_lock(&sq->proc_lock);
	pthread_mutex_lock(&sq->db_lock);
	pc = sq->db_pc;
	pthread_mutex_unlock(&sq->db_lock);
	n = sim_sq_consume(sq, pc);
	pthread_mutex_unlock(&sq->proc_lock);
	return n;
}

int sim_sq_wait_idle(struct sim_sq *sq, unsigned int timeout_ms)
{
	struct timespec ts;
	int ret = 0;

	if (!sq)
		return -EINVAL;
	if (!sq->thread_started)
		return 0;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += timeout_ms / 1000;
	ts.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&sq->db_lock);
	while (ret == 0 && (sq->busy || sq->done_seq != sq->db_seq))
		ret = pthread_cond_timedwait(&sq->idle_cond, &sq->db_lock, &ts);
	pthread_mutex_unlock(&sq->db_lock);
	return ret ? -ETIMEDOUT : 0;
}

static bool transition_ok(enum sim_sq_state from, enum sim_sq_state to)
{
	if (from == to)
		return true;
	switch (from) {
	case SIM_SQ_RST:
		return to == SIM_SQ_RDY;
	case SIM_SQ_RDY:
		return to == SIM_SQ_RST || to == SIM_SQ_ERR;
	case SIM_SQ_ERR:
		return to == SIM_SQ_RST;
	}
	return false;
}

int sim_sq_modify(struct sim_sq *sq, enum sim_sq_state state)
{
	int ret = 0;

	if (!sq || (state != SIM_SQ_RST && state != SIM_SQ_RDY && state != SIM_SQ_ERR))
		return -EINVAL;
	pthread_mutex_lock(&sq->proc_lock);
	if (!transition_ok(sq->state, state)) {
		ret = -EINVAL;
	} else {
		if (state == SIM_SQ_RST && sq->state != SIM_SQ_RST) {
			/* MODIFY_SQ to RST: the WQE counter restarts at 0 (DPDK tx_recover_qp
			 * zeroes wqe_ci/wqe_pi after ERR->RST->RDY, devx-userspace B4). */
			sq->ci = 0;
			sq->last_params_tisn = 0;
			pthread_mutex_lock(&sq->db_lock);
			sq->db_pc = 0;
			pthread_mutex_unlock(&sq->db_lock);
		}
		__atomic_store_n(&sq->state, state, __ATOMIC_RELEASE);
	}
	pthread_mutex_unlock(&sq->proc_lock);
	return ret;
}

void sim_sq_inject_error(struct sim_sq *sq, uint32_t after_n_wqes)
{
	if (!sq)
		return;
	pthread_mutex_lock(&sq->proc_lock);
	sq->inject_after = after_n_wqes;
	pthread_mutex_unlock(&sq->proc_lock);
}

void sim_sq_get_stats(struct sim_sq *sq, struct sim_sq_stats *st)
{
	if (!sq || !st)
		return;
	pthread_mutex_lock(&sq->proc_lock);
	*st = sq->stats;
	pthread_mutex_lock(&sq->db_lock);
	/* the doorbell counters are kept under db_lock in the same struct */
	st->doorbells = sq->stats.doorbells;
	st->db_ignored = sq->stats.db_ignored;
	st->db_mismatch = sq->stats.db_mismatch;
	pthread_mutex_unlock(&sq->db_lock);
	pthread_mutex_unlock(&sq->proc_lock);
}
