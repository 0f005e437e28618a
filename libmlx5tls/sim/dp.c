/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The datapath engines' per-device state (sq_internal.h struct sim_dp): object tables of CQs,
 * SQs, RQs and memory regions, and the per-TIS (TX) and per-TIR (RX) TLS contexts. It lives from
 * the first datapath object to the last; the control plane's sim_dev carries only a pointer to
 * it.
 */
#include <errno.h>
#include <stdlib.h>

#include "sim/sq_internal.h"

static void dp_free(struct sim_dp *dp)
{
	sim_tls_ctx_destroy_all(dp); /* and their tables */
	sim_mr_destroy_all(dp);
	sim_objtab_fini(&dp->rqs);
	sim_objtab_fini(&dp->mrs);
	sim_objtab_fini(&dp->sqs);
	sim_objtab_fini(&dp->cqs);
	pthread_rwlock_destroy(&dp->mr_lock);
	pthread_mutex_destroy(&dp->lock);
	free(dp);
}

static struct sim_dp *dp_alloc(void)
{
	struct sim_dp *dp = calloc(1, sizeof(*dp));

	if (!dp)
		return NULL;
	if (sim_objtab_init(&dp->cqs))
		goto err_free;
	if (sim_objtab_init(&dp->sqs))
		goto err_cqs;
	if (sim_objtab_init(&dp->mrs))
		goto err_sqs;
	if (sim_tls_ctx_init(dp))
		goto err_mrs;
	if (sim_objtab_init(&dp->rqs))
		goto err_tls;
	if (pthread_mutex_init(&dp->lock, NULL))
		goto err_rqs;
	if (pthread_rwlock_init(&dp->mr_lock, NULL))
		goto err_lock;
	dp->cq_cursor = SIM_CQ_NUM_FIRST;
	dp->sq_cursor = SIM_SQ_NUM_FIRST;
	dp->mr_cursor = SIM_MR_INDEX_FIRST;
	dp->rq_cursor = SIM_RQ_NUM_FIRST;
	return dp;

err_lock:
	pthread_mutex_destroy(&dp->lock);
err_rqs:
	sim_objtab_fini(&dp->rqs);
err_tls:
	sim_tls_ctx_destroy_all(dp);
err_mrs:
	sim_objtab_fini(&dp->mrs);
err_sqs:
	sim_objtab_fini(&dp->sqs);
err_cqs:
	sim_objtab_fini(&dp->cqs);
err_free:
	free(dp);
	return NULL;
}

struct sim_dp *sim_dp_get(struct sim_dev *dev)
{
	struct sim_dp *dp;

	pthread_mutex_lock(&dev->lock);
	if (!dev->dp) {
		/* dek_lock too: DEK MODIFY reaches dev->dp under it alone (sim_internal.h) */
		dp = dp_alloc();
		sim_brlock_wrlock(&dev->dp_lock);
		pthread_rwlock_wrlock(&dev->dek_lock);
		dev->dp = dp;
		pthread_rwlock_unlock(&dev->dek_lock);
		sim_brlock_wrunlock(&dev->dp_lock);
	}
	dp = dev->dp;
	if (dp)
		dp->refs++;
	pthread_mutex_unlock(&dev->lock);
	return dp;
}

void sim_dp_put(struct sim_dev *dev)
{
	struct sim_dp *dp = NULL;

	pthread_mutex_lock(&dev->lock);
	if (dev->dp && --dev->dp->refs == 0) {
		dp = dev->dp;
		sim_brlock_wrlock(&dev->dp_lock);
		pthread_rwlock_wrlock(&dev->dek_lock);
		dev->dp = NULL;
		pthread_rwlock_unlock(&dev->dek_lock);
		sim_brlock_wrunlock(&dev->dp_lock);
	}
	pthread_mutex_unlock(&dev->lock);
	if (dp)
		dp_free(dp);
}

void sim_dp_tis_destroyed_locked(struct sim_dev *dev, uint32_t tisn)
{
	/* dev->lock is held (the DESTROY_TIS handler runs under it), so dev->dp cannot be cleared
	 * and freed meanwhile. Lock order: dev->lock (and dev->tis_lock for a uid's teardown),
	 * then a TLS stripe, then a context's lock; the engine never takes a device lock while
	 * holding either of the last two (sim_internal.h). */
	if (dev && dev->dp)
		sim_tls_ctx_drop(dev->dp, tisn);
}

void sim_dp_deks_gone_locked(struct sim_dev *dev, uint32_t shard, uint32_t first, uint32_t n)
{
	/* dev->dek_lock held (keeps dev->dp, sim_internal.h) with the shard's lock or for
	 * writing, then a TLS stripe, then a context's lock */
	if (dev && dev->dp)
		sim_tls_ctx_deks_gone(dev->dp, shard, first, n);
}

void sim_dp_tir_destroyed(struct sim_rq *rq, uint32_t tirn)
{
	/* The TIR pins rq until after this: no device lock needed to keep it. Then (one at a
	 * time) the RQ's context table lock, its lock, the context's lock (tls_rx_ctx.c). */
	sim_tls_rx_ctx_drop(rq, tirn);
}

void sim_dp_dev_destroy(struct sim_dev *dev)
{
	struct sim_dp *dp;

	if (!dev)
		return;
	pthread_mutex_lock(&dev->lock);
	sim_brlock_wrlock(&dev->dp_lock);
	pthread_rwlock_wrlock(&dev->dek_lock);
	dp = dev->dp;
	dev->dp = NULL;
	pthread_rwlock_unlock(&dev->dek_lock);
	sim_brlock_wrunlock(&dev->dp_lock);
	pthread_mutex_unlock(&dev->lock);
	/* SQs, RQs and CQs must be gone already (sq.h, rq.h LIFETIME); what may remain are memory
	 * regions and TLS contexts, which this frees. */
	if (dp)
		dp_free(dp);
}
