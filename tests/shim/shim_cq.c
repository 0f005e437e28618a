/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DevX interposer, completion queues: ibv_create_cq/ibv_destroy_cq and mlx5dv_init_obj for a CQ
 * (devx-userspace B2-B5) on the model's CQs (sim/sq.h). As on a real system, the provider
 * sizes the ring from the requested entries and the kernel refuses to free a CQ a QP reports to;
 * the model allocates and initialises the ring. Completion events are not emulated: the library
 * polls.
 */
#include <stdio.h>
#include <stdlib.h>

#include "shim_dp.h"

/* The provider's CQ limit (2^24 entries, rdma-core v44 mlx5 create_cq) capped at the model's. */
#define MAX_CQES (1u << SIM_CQ_LOG_MAX)

struct shim_cq *shim_cq_of(struct ibv_cq *cq)
{
	struct shim_cq *c = (struct shim_cq *)cq;

	return (c && c->magic == SHIM_CQ_MAGIC) ? c : NULL;
}

struct ibv_cq *ibv_create_cq(struct ibv_context *context, int cqe, void *cq_context,
			     /* cppcheck-suppress constParameter ; verbs.h's prototype */
			     struct ibv_comp_channel *channel, int comp_vector)
{
	struct shim_context *ctx = shim_context_of(context);
	struct sim_cq_attr attr = { 0 };
	struct sim_cq_info info;
	struct shim_cq *cq;
	uint32_t ncqe;

	shim_count(SHIM_IBV_CREATE_CQ);
	if (!ctx)
		return fail_ptr(EINVAL);
	/* Completion events (EQ, channel fd) are not emulated: the library polls. */
	if (channel) {
		fprintf(stderr, "devx_shim: ibv_create_cq with a completion channel: "
				"events are not emulated\n");
		return fail_ptr(EOPNOTSUPP);
	}
	if (comp_vector < 0 || comp_vector >= context->num_comp_vectors)
		return fail_ptr(EINVAL);
	/* Provider: roundup_pow2(cqe + 1) entries, at most 2^24 (mlx5 create_cq); the model
	 * holds up to 2^SIM_CQ_LOG_MAX. */
	if (cqe < 1)
		return fail_ptr(EINVAL);
	ncqe = roundup_pow2((uint64_t)cqe + 1);
	if (!ncqe || ncqe > MAX_CQES)
		return fail_ptr(EINVAL);
	cq = calloc(1, sizeof(*cq));
	if (!cq)
		return fail_ptr(ENOMEM);
	/* Model-allocated rings start with every CQE invalid, as the provider's do. */
	attr.log_cqes = (uint32_t)__builtin_ctz(ncqe);
	cq->cq = sim_cq_create(ctx->dev->sim, &attr);
	if (!cq->cq) {
		int err = errno ? errno : ENOMEM;

		free(cq);
		return fail_ptr(err);
	}
	sim_cq_query(cq->cq, &info);
	cq->magic = SHIM_CQ_MAGIC;
	cq->ctx = ctx;
	atomic_init(&cq->users, 0);
	cq->ibcq.context = context;
	cq->ibcq.channel = NULL;
	cq->ibcq.cq_context = cq_context;
	cq->ibcq.handle = info.cqn;
	cq->ibcq.cqe = (int)ncqe - 1;
	pthread_mutex_init(&cq->ibcq.mutex, NULL);
	pthread_cond_init(&cq->ibcq.cond, NULL);
	pthread_mutex_lock(&ctx->lock);
	cq->next = ctx->cqs;
	ctx->cqs = cq;
	pthread_mutex_unlock(&ctx->lock);
	return &cq->ibcq;
}

void shim_cq_free(struct shim_cq *cq)
{
	sim_cq_destroy(cq->cq);
	pthread_cond_destroy(&cq->ibcq.cond);
	pthread_mutex_destroy(&cq->ibcq.mutex);
	cq->magic = 0;
	free(cq);
}

int ibv_destroy_cq(struct ibv_cq *ibcq)
{
	struct shim_cq *cq = shim_cq_of(ibcq);
	struct shim_context *ctx;

	shim_count(SHIM_IBV_DESTROY_CQ);
	if (!cq)
		return fail(EINVAL);
	/* uverbs: a CQ still used by a QP is EBUSY (ib_destroy_usecnt). */
	if (atomic_load(&cq->users))
		return fail(EBUSY);
	ctx = cq->ctx;
	pthread_mutex_lock(&ctx->lock);
	for (struct shim_cq **pp = &ctx->cqs; *pp; pp = &(*pp)->next) {
		if (*pp == cq) {
			*pp = cq->next;
			break;
		}
	}
	pthread_mutex_unlock(&ctx->lock);
	shim_cq_free(cq);
	return 0;
}

int shim_dv_get_cq(struct ibv_cq *ibcq, struct mlx5dv_cq *out)
{
	struct shim_cq *cq = shim_cq_of(ibcq);
	struct sim_cq_info ci;

	if (!cq || !out)
		return EINVAL;
	sim_cq_query(cq->cq, &ci);
	out->comp_mask = 0;
	out->buf = ci.buf;
	out->dbrec = (__be32 *)ci.dbrec;
	out->cqe_cnt = ci.cqe_cnt;
	out->cqe_size = ci.cqe_size;
	out->cq_uar = NULL; /* no arm doorbell: completion events are not emulated */
	out->cqn = ci.cqn;
	return 0;
}
