/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Completion queues and the CQE writer (devx-userspace B4; fact sheet 9 for the CQE64 offsets).
 *
 * A CQE is written in two steps: bytes 0..62, then - after a release fence - op_own (byte 63),
 * whose owner bit is the parity of the number of times the producer has wrapped the ring. A
 * consumer that finds op_own >> 4 != MLX5_CQE_INVALID and owner == !!(ci & n) may read the rest
 * after a read barrier, exactly as with hardware (rdma-core cq.c get_sw_cqe, DPDK check_cqe).
 *
 * Overrun: before writing, the producer checks the consumer index the driver stored in dbrec[0]
 * (24 bits). If the ring is full the CQE is not written and the CQ is marked overrun for good -
 * on hardware a CQ overrun is a fatal CQ error reported by an async event (the Linux driver logs
 * "CQ overrun" from MLX5_EVENT_TYPE_CQ_ERROR); the model has no event queue, so it is a stat the
 * test and the library's health check read (sim_cq_get_stats), and the SQs reporting to the CQ
 * stop completing (they go to ERR).
 */
#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sim/sq_internal.h"

#define CQ_DBREC_ALIGN 64u

struct sim_cq *sim_cq_create(struct sim_dev *dev, const struct sim_cq_attr *attr)
{
	struct sim_cq *cq;
	struct sim_dp *dp;
	size_t bytes;
	uint32_t num = 0;
	int err = ENOMEM;

	if (!dev || !attr || attr->log_cqes < 1 || attr->log_cqes > SIM_CQ_LOG_MAX ||
	    ((uintptr_t)attr->buf & (CQE_SIZE - 1)) || ((uintptr_t)attr->dbrec & 7)) {
		errno = EINVAL;
		return NULL;
	}
	bytes = (size_t)CQE_SIZE << attr->log_cqes;
	dp = sim_dp_get(dev);
	if (!dp) {
		errno = ENOMEM;
		return NULL;
	}
	cq = calloc(1, sizeof(*cq));
	if (!cq)
		goto err_put;
	if (pthread_mutex_init(&cq->lock, NULL))
		goto err_free;
	cq->dev = dev;
	cq->dp = dp;
	cq->log_cqes = attr->log_cqes;
	if (attr->buf) {
		cq->buf = attr->buf;
	} else {
		cq->buf = aligned_alloc(4096, bytes < 4096 ? 4096 : bytes);
		if (!cq->buf)
			goto err_mutex;
		cq->own_buf = true;
		/* invalid opcode, owner 1: nothing valid on the first pass (owner 0 expected) */
		memset(cq->buf, 0, bytes);
		for (size_t i = 0; i < ((size_t)1 << attr->log_cqes); i++)
			cq->buf[i * CQE_SIZE + 63] = CQE_OPCODE_INVALID << 4 | 1;
	}
	if (attr->dbrec) {
		cq->dbrec = attr->dbrec;
	} else {
		cq->dbrec = aligned_alloc(CQ_DBREC_ALIGN, CQ_DBREC_ALIGN);
		if (!cq->dbrec)
			goto err_buf;
		memset(cq->dbrec, 0, CQ_DBREC_ALIGN);
		cq->own_dbrec = true;
	}
	pthread_mutex_lock(&dp->lock);
	err = sim_objtab_alloc_num(&dp->cqs, &dp->cq_cursor, SIM_CQ_NUM_FIRST, SIM_OBJ_NUM_LIMIT,
				   &num);
	if (!err)
		err = sim_objtab_put(&dp->cqs, num, cq);
	pthread_mutex_unlock(&dp->lock);
	if (err) {
		err = -err;
		goto err_dbrec;
	}
	cq->cqn = num;
	return cq;

err_dbrec:
	if (cq->own_dbrec)
		free(cq->dbrec);
err_buf:
	if (cq->own_buf)
		free(cq->buf);
err_mutex:
	pthread_mutex_destroy(&cq->lock);
err_free:
	free(cq);
err_put:
	sim_dp_put(dev);
	errno = err;
	return NULL;
}

int sim_cq_destroy(struct sim_cq *cq)
{
	struct sim_dev *dev;

	if (!cq)
		return 0;
	pthread_mutex_lock(&cq->lock);
	if (cq->users) {
		pthread_mutex_unlock(&cq->lock);
		return -EBUSY;
	}
	pthread_mutex_unlock(&cq->lock);
	dev = cq->dev;
	pthread_mutex_lock(&cq->dp->lock);
	sim_objtab_del(&cq->dp->cqs, cq->cqn);
	pthread_mutex_unlock(&cq->dp->lock);
	if (cq->own_dbrec)
		free(cq->dbrec);
	if (cq->own_buf)
		free(cq->buf);
	pthread_mutex_destroy(&cq->lock);
	free(cq);
	sim_dp_put(dev);
	return 0;
}

void sim_cq_query(const struct sim_cq *cq, struct sim_cq_info *info)
{
	if (!cq || !info)
		return;
	info->cqn = cq->cqn;
	info->buf = cq->buf;
	info->cqe_cnt = 1u << cq->log_cqes;
	info->cqe_size = CQE_SIZE;
	info->dbrec = cq->dbrec;
}

void sim_cq_get_stats(struct sim_cq *cq, struct sim_cq_stats *st)
{
	if (!cq || !st)
		return;
	pthread_mutex_lock(&cq->lock);
	*st = cq->stats;
	pthread_mutex_unlock(&cq->lock);
}

void sim_cq_attach(struct sim_cq *cq, int delta)
{
	pthread_mutex_lock(&cq->lock);
	cq->users += (uint32_t)delta;
	pthread_mutex_unlock(&cq->lock);
}

int sim_cq_write(struct sim_cq *cq, const uint8_t cqe[CQE_SIZE], uint8_t opcode)
{
	uint32_t n = 1u << cq->log_cqes;
	uint32_t ci;
	uint8_t *slot;
	int ret = 0;

	pthread_mutex_lock(&cq->lock);
	/* the consumer's index, as the driver last stored it (MLX5_CQ_SET_CI) */
	ci = be32toh(__atomic_load_n(&cq->dbrec[0], __ATOMIC_ACQUIRE)) & 0xffffff;
	if (cq->stats.overrun || ((cq->pi - ci) & 0xffffff) >= n) {
		cq->stats.overrun = true;
		ret = -ENOSPC;
		goto out;
	}
	slot = cq->buf + (size_t)(cq->pi & (n - 1)) * CQE_SIZE;
	memcpy(slot, cqe, CQE_SIZE - 1);
	__atomic_store_n(&slot[CQE_SIZE - 1],
			 (uint8_t)(opcode << 4 | ((cq->pi >> cq->log_cqes) & 1)), __ATOMIC_RELEASE);
	cq->pi++;
	cq->stats.cqes++;
	if (opcode == CQE_OPCODE_REQ_ERR || opcode == CQE_OPCODE_RESP_ERR)
		cq->stats.err_cqes++;
out:
	pthread_mutex_unlock(&cq->lock);
	return ret;
}
