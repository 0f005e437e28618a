/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DevX interposer, raw packet QPs: ibv_create_qp/ibv_modify_qp/ibv_destroy_qp and
 * mlx5dv_init_obj for a QP (devx-userspace A7, B2-B5) on the model's SQ engine (sim/sq.h), and
 * closing a context's datapath objects. CQs are shim_cq.c's, MRs shim_mr.c's; the doorbell
 * watcher that hands each QP's doorbells to its model SQ and the wire the SQs send to are
 * shim_doorbell.c's.
 *
 * What runs where, as on a real system:
 *  - provider (rdma-core libmlx5, user space): ring sizing from the caps, ring and doorbell
 *    record memory, the UAR page with the doorbell register, state kept in struct ibv_qp;
 *  - kernel (mlx5_ib): the QP's transport domain (one per ucontext) and plain TIS, the SQ and CQ
 *    objects, the QP state machine, the use counts that refuse freeing a PD or CQ in use;
 *  - device: the model SQ consumes WQEs on its own thread after each doorbell and writes CQEs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "prm/mlx5_ifc_tls.h"
#include "shim_dp.h"

#define UAR_SIZE 4096u
#define UAR_DB_OFFSET 0x800u /* MLX5_BF_OFFSET: the doorbell register in a UAR page (A4) */

/* rdma-core v44 provider limits for a ConnectX-6 Dx (kernel mlx5_ib alloc_ucontext resp):
 * max_sq_desc_sz = max_wqe_sz_sq = 16 WQEBBs; max_send_wqebb = 2^log_max_qp_sz, here the model's
 * SQ limit. */
#define MAX_SQ_DESC_SZ 1024u
#define MAX_SEND_WQEBB (1u << SIM_SQ_LOG_MAX)
#define WQEBB 64u

struct shim_qp *shim_qp_of(struct ibv_qp *qp)
{
	struct shim_qp *q = (struct shim_qp *)qp;

	return (q && q->magic == SHIM_QP_MAGIC) ? q : NULL;
}

/* ---- raw packet QPs ---- */

/* The provider's SQ size in bytes for these caps (rdma-core v44 providers/mlx5/verbs.c
 * sq_overhead, mlx5_calc_send_wqe, mlx5_calc_sq_size for IBV_QPT_RAW_PACKET), writing back the
 * caps as it does. 0 or a positive errno. */
static int provider_sq_size(struct ibv_qp_cap *cap, uint32_t *wqe_cnt)
{
	uint32_t overhead = 16 + (uint32_t)sizeof(struct mlx5_wqe_eth_seg); /* ctrl + eth */
	uint32_t size = overhead, inl = 0, wqe_size, max_gather;
	uint64_t wq_size;

	if (cap->max_inline_data)
		inl = overhead + ((4 + cap->max_inline_data + 15) & ~15u);
	max_gather = (MAX_SQ_DESC_SZ - size) / 16;
	if (cap->max_send_sge > max_gather)
		return EINVAL;
	size += cap->max_send_sge * 16;
	if (inl > size)
		size = inl;
	if (size > MAX_SQ_DESC_SZ)
		return EINVAL;
	wqe_size = (size + WQEBB - 1) & ~(WQEBB - 1);
	if (cap->max_send_wr > 0x7fffffffu / MAX_SQ_DESC_SZ)
		return EINVAL;
	wq_size = roundup_pow2((uint64_t)cap->max_send_wr * wqe_size);
	if (!wq_size || wq_size / WQEBB > MAX_SEND_WQEBB)
		return EINVAL;
	*wqe_cnt = (uint32_t)(wq_size / WQEBB);
	cap->max_inline_data = wqe_size - overhead - 4;
	cap->max_send_wr = (uint32_t)(wq_size / wqe_size);
	return 0;
}

/* The kernel's transport domain of the ucontext (mlx5_ib_alloc_ucontext allocates one with the
 * DevX uid for the TISes of raw packet QPs); here made with the first QP. 0 or a positive errno
 * as the kernel reports a firmware failure. */
static int context_td(struct shim_context *ctx, uint32_t *tdn)
{
	int ret = 0;

	pthread_mutex_lock(&ctx->lock);
	if (!ctx->tdn) {
		uint32_t in[DEVX_ST_SZ_DW(alloc_transport_domain_in)] = { 0 };
		uint32_t out[DEVX_ST_SZ_DW(alloc_transport_domain_out)] = { 0 };

		DEVX_SET(alloc_transport_domain_in, in, opcode,
			 MLX5_CMD_OP_ALLOC_TRANSPORT_DOMAIN);
		ret = shim_exec(ctx, in, sizeof(in), out, sizeof(out));
		if (!ret)
			ctx->tdn = DEVX_GET(alloc_transport_domain_out, out, transport_domain);
		else if (ret == -EREMOTEIO)
			ret = shim_status_to_errno(shim_out_status(out));
		else
			ret = -ret;
	}
	*tdn = ctx->tdn;
	pthread_mutex_unlock(&ctx->lock);
	return ret;
}

/* The kernel's plain TIS of a raw packet QP (create_raw_packet_qp_tis: transport_domain only,
 * uid of the PD). 0 or a positive errno as the kernel reports a firmware failure. */
static int kernel_tis_create(struct shim_context *ctx, uint32_t *tisn)
{
	uint32_t in[DEVX_ST_SZ_DW(create_tis_in)] = { 0 };
	uint32_t out[DEVX_ST_SZ_DW(create_tis_out)] = { 0 };
	void *tisc = DEVX_ADDR_OF(create_tis_in, in, ctx);
	uint32_t tdn = 0;
	int ret;

	ret = context_td(ctx, &tdn);
	if (ret)
		return ret;
	DEVX_SET(create_tis_in, in, opcode, MLX5_CMD_OP_CREATE_TIS);
	DEVX_SET(tisc, tisc, transport_domain, tdn);
	ret = shim_exec(ctx, in, sizeof(in), out, sizeof(out));
	if (ret)
		return ret == -EREMOTEIO ? shim_status_to_errno(shim_out_status(out)) : -ret;
	*tisn = DEVX_GET(create_tis_out, out, tisn);
	return 0;
}

static void kernel_tis_destroy(struct shim_context *ctx, uint32_t tisn)
{
	uint32_t in[DEVX_ST_SZ_DW(destroy_tis_in)] = { 0 };
	uint32_t out[DEVX_ST_SZ_DW(mbox_out)] = { 0 };

	DEVX_SET(destroy_tis_in, in, opcode, MLX5_CMD_OP_DESTROY_TIS);
	DEVX_SET(destroy_tis_in, in, tisn, tisn);
	if (shim_exec(ctx, in, sizeof(in), out, sizeof(out)))
		fprintf(stderr, "devx_shim: DESTROY_TIS 0x%x of a raw packet QP failed\n", tisn);
}

static bool cq_of_ctx(const struct shim_cq *cq, const struct shim_context *ctx)
{
	return cq && cq->ctx == ctx;
}

struct ibv_qp *ibv_create_qp(struct ibv_pd *ibpd, struct ibv_qp_init_attr *attr)
{
	struct shim_pd *pd = shim_pd_of(ibpd);
	struct sim_sq_attr sa = { 0 };
	struct sim_sq_info si;
	struct shim_context *ctx;
	struct shim_qp *q;
	struct shim_cq *scq, *rcq;
	uint32_t wqe_cnt = 0;
	int err;

	shim_count(SHIM_IBV_CREATE_QP);
	if (!pd || !attr)
		return fail_ptr(EINVAL);
	ctx = shim_context_of(pd->ibpd.context);
	if (!ctx)
		return fail_ptr(EINVAL);
	if (attr->qp_type != IBV_QPT_RAW_PACKET) {
		fprintf(stderr, "devx_shim: ibv_create_qp type %d: only IBV_QPT_RAW_PACKET is "
				"emulated\n",
			(int)attr->qp_type);
		return fail_ptr(EOPNOTSUPP);
	}
	/* Only the send side exists in the model. */
	if (attr->srq || attr->cap.max_recv_wr || attr->cap.max_recv_sge ||
	    !attr->cap.max_send_wr) {
		fprintf(stderr, "devx_shim: ibv_create_qp: only a send queue (max_recv_wr = 0, "
				"no SRQ, max_send_wr > 0) is emulated\n");
		return fail_ptr(EOPNOTSUPP);
	}
	/* uverbs looks both CQ handles up; the provider passes recv_cq's (there is no RQ, but
	 * every user names the send CQ there). Both must be CQs of this context. */
	scq = shim_cq_of(attr->send_cq);
	rcq = shim_cq_of(attr->recv_cq);
	if (!cq_of_ctx(scq, ctx) || !cq_of_ctx(rcq, ctx))
		return fail_ptr(EINVAL);
	err = provider_sq_size(&attr->cap, &wqe_cnt);
	if (err)
		return fail_ptr(err);
	if (wqe_cnt < 2) /* the model's smallest SQ; a real ring of one WQEBB is no use either */
		return fail_ptr(EINVAL);

	q = calloc(1, sizeof(*q));
	if (!q)
		return fail_ptr(ENOMEM);
	q->uar = aligned_alloc(UAR_SIZE, UAR_SIZE);
	if (!q->uar) {
		free(q);
		return fail_ptr(ENOMEM);
	}
	memset(q->uar, 0, UAR_SIZE);
	q->db_reg = (uint64_t *)(void *)(q->uar + UAR_DB_OFFSET);
	err = kernel_tis_create(ctx, &q->tisn);
	if (err)
		goto err_uar;

	sa.log_wqebbs = (uint32_t)__builtin_ctz(wqe_cnt);
	sa.cq = scq->cq;
	sa.tisn = q->tisn;
	sa.pd = pd->pdn;
	sa.port = ctx->dev->capture;
	sa.flags = SIM_SQ_F_ASYNC; /* the device works on its own, after each doorbell */
	q->sq = sim_sq_create(ctx->dev->sim, &sa);
	if (!q->sq) {
		err = errno ? errno : ENOMEM;
		goto err_tis;
	}
	sim_sq_query(q->sq, &si);
	q->magic = SHIM_QP_MAGIC;
	q->ctx = ctx;
	q->pd = pd;
	q->scq = scq;
	q->rcq = rcq;
	q->ibqp.context = pd->ibpd.context;
	q->ibqp.qp_context = attr->qp_context;
	q->ibqp.pd = ibpd;
	q->ibqp.send_cq = attr->send_cq;
	q->ibqp.recv_cq = attr->recv_cq;
	q->ibqp.srq = NULL;
	/* For a raw packet QP with an SQ the kernel reports the SQ number as qp_num. */
	q->ibqp.handle = si.sqn;
	q->ibqp.qp_num = si.sqn;
	q->ibqp.state = IBV_QPS_RESET;
	q->ibqp.qp_type = IBV_QPT_RAW_PACKET;
	pthread_mutex_init(&q->ibqp.mutex, NULL);
	pthread_cond_init(&q->ibqp.cond, NULL);

	err = shim_watch_add(ctx->dev, q);
	if (err) {
		pthread_cond_destroy(&q->ibqp.cond);
		pthread_mutex_destroy(&q->ibqp.mutex);
		sim_sq_destroy(q->sq);
		goto err_tis;
	}
	atomic_fetch_add(&scq->users, 1);
	if (rcq != scq)
		atomic_fetch_add(&rcq->users, 1);
	atomic_fetch_add(&pd->users, 1);
	pthread_mutex_lock(&ctx->lock);
	q->next = ctx->qps;
	ctx->qps = q;
	pthread_mutex_unlock(&ctx->lock);
	return &q->ibqp;

err_tis:
	kernel_tis_destroy(ctx, q->tisn);
err_uar:
	free(q->uar);
	free(q);
	return fail_ptr(err);
}

/* Destroy a QP already unlinked from its context. */
static void qp_free(struct shim_qp *q)
{
	/* kernel destroy_raw_packet_qp: the SQ, then its TIS */
	shim_watch_del(q->ctx->dev, q);
	sim_sq_destroy(q->sq);
	kernel_tis_destroy(q->ctx, q->tisn);
	atomic_fetch_sub(&q->scq->users, 1);
	if (q->rcq != q->scq)
		atomic_fetch_sub(&q->rcq->users, 1);
	atomic_fetch_sub(&q->pd->users, 1);
	pthread_cond_destroy(&q->ibqp.cond);
	pthread_mutex_destroy(&q->ibqp.mutex);
	q->magic = 0;
	free(q->uar);
	free(q);
}

int ibv_destroy_qp(struct ibv_qp *ibqp)
{
	struct shim_qp *q = shim_qp_of(ibqp);
	struct shim_context *ctx;

	shim_count(SHIM_IBV_DESTROY_QP);
	if (!q)
		return fail(EINVAL);
	ctx = q->ctx;
	pthread_mutex_lock(&ctx->lock);
	for (struct shim_qp **pp = &ctx->qps; *pp; pp = &(*pp)->next) {
		if (*pp == q) {
			*pp = q->next;
			break;
		}
	}
	pthread_mutex_unlock(&ctx->lock);
	qp_free(q);
	return 0;
}

/*
 * The QP state table for a raw packet QP (IB spec; kernel ib_modify_qp_is_ok): RESET -> INIT
 * needs the port; INIT -> INIT may change it; INIT -> RTR, RTR -> RTS, RTS -> RTS take nothing
 * the model emulates; every state may go to RESET or ERR. SQD/SQE are not modelled.
 */
static bool transition_ok(enum ibv_qp_state cur, enum ibv_qp_state next, int mask)
{
	int extra = mask & ~(IBV_QP_STATE | IBV_QP_CUR_STATE);

	if (next == IBV_QPS_RESET || next == IBV_QPS_ERR)
		return !extra;
	switch (cur) {
	case IBV_QPS_RESET:
		return next == IBV_QPS_INIT && extra == IBV_QP_PORT;
	case IBV_QPS_INIT:
		return (next == IBV_QPS_INIT && !(extra & ~IBV_QP_PORT)) ||
		       (next == IBV_QPS_RTR && !extra);
	case IBV_QPS_RTR:
		return next == IBV_QPS_RTS && !extra;
	case IBV_QPS_RTS:
		return next == IBV_QPS_RTS && !extra;
	default:
		return false;
	}
}

int ibv_modify_qp(struct ibv_qp *ibqp, struct ibv_qp_attr *attr, int attr_mask)
{
	struct shim_qp *q = shim_qp_of(ibqp);
	enum ibv_qp_state cur, next;
	struct shim_device *dev;
	struct sim_sq_info si;
	int ret = 0;

	shim_count(SHIM_IBV_MODIFY_QP);
	if (!q || !attr)
		return fail(EINVAL);
	cur = q->ibqp.state;
	if ((attr_mask & IBV_QP_CUR_STATE) && attr->cur_qp_state != cur)
		return fail(EINVAL);
	next = (attr_mask & IBV_QP_STATE) ? attr->qp_state : cur;
	if (!transition_ok(cur, next, attr_mask))
		return fail(EINVAL);
	/* one Ethernet port (ibv_query_device phys_port_cnt) */
	if ((attr_mask & IBV_QP_PORT) && attr->port_num != 1)
		return fail(EINVAL);

	dev = q->ctx->dev;
	sim_sq_query(q->sq, &si);
	/* The kernel moves the SQ with the QP (modify_raw_packet_qp): RST until RTS, RDY at
	 * RTR -> RTS, ERR at ERR, RST at RESET. An SQ the device itself put in ERR (error CQE)
	 * leaves it only through RESET. */
	switch (next) {
	case IBV_QPS_RESET:
		ret = sim_sq_modify(q->sq, SIM_SQ_RST);
		if (!ret) {
			/* Provider, at RESET: the doorbell record restarts at 0 (mlx5_modify_qp).
			 * Shim: the doorbell register is cleared so the watcher sees the next
			 * doorbell, which names WQE 0 again (header comment). */
			pthread_mutex_lock(&dev->qp_lock);
			__atomic_store_n(&si.dbrec[0], 0, __ATOMIC_RELEASE);
			__atomic_store_n(&si.dbrec[1], 0, __ATOMIC_RELEASE);
			__atomic_store_n(q->db_reg, 0, __ATOMIC_RELEASE);
			q->db_last = 0;
			pthread_mutex_unlock(&dev->qp_lock);
		}
		break;
	case IBV_QPS_ERR:
		if (si.state == SIM_SQ_RDY)
			ret = sim_sq_modify(q->sq, SIM_SQ_ERR);
		break;
	case IBV_QPS_RTS:
		if (cur == IBV_QPS_RTR)
			ret = sim_sq_modify(q->sq, SIM_SQ_RDY);
		break;
	default:
		break;
	}
	if (ret)
		return fail(EINVAL);
	/* libibverbs keeps the state in struct ibv_qp after a successful modify */
	q->ibqp.state = next;
	return 0;
}

int shim_dv_get_qp(struct ibv_qp *ibqp, struct mlx5dv_qp *out)
{
	struct shim_qp *q = shim_qp_of(ibqp);
	struct sim_sq_info si;
	uint64_t mask_out = 0;

	if (!q || !out)
		return EINVAL;
	sim_sq_query(q->sq, &si);
	/* comp_mask in: what the caller asks for; out: what was filled (mlx5dv_get_qp) */
	if (out->comp_mask & MLX5DV_QP_MASK_UAR_MMAP_OFFSET) {
		out->uar_mmap_offset = 0; /* nothing to mmap: the UAR is process memory */
		mask_out |= MLX5DV_QP_MASK_UAR_MMAP_OFFSET;
	}
	if (out->comp_mask & MLX5DV_QP_MASK_RAW_QP_HANDLES) {
		out->tirn = 0;
		out->tisn = q->tisn;
		out->rqn = 0;
		out->sqn = si.sqn;
		mask_out |= MLX5DV_QP_MASK_RAW_QP_HANDLES;
	}
	out->dbrec = (__be32 *)si.dbrec;
	out->sq.buf = si.buf;
	out->sq.wqe_cnt = si.wqe_cnt;
	out->sq.stride = si.stride;
	out->rq.buf = NULL;
	out->rq.wqe_cnt = 0;
	out->rq.stride = 0;
	/* A doorbell-only register, as rdma-core reports for a bfreg without BlueFlame (size 0):
	 * the watcher snoops 8 bytes at reg, so callers that alternate BF halves (offset ^= size)
	 * or copy whole WQEs stay on that word. */
	out->bf.reg = q->db_reg;
	out->bf.size = 0;
	out->comp_mask = mask_out;
	return 0;
}

/* ---- context close ---- */

void shim_context_dp_release(struct shim_context *ctx)
{
	struct shim_qp *q;
	struct shim_mr *mr;
	struct shim_cq *cq;

	/* uverbs cleanup order: QPs before the MRs, CQs and PDs they use */
	pthread_mutex_lock(&ctx->lock);
	q = ctx->qps;
	mr = ctx->mrs;
	cq = ctx->cqs;
	ctx->qps = NULL;
	ctx->mrs = NULL;
	ctx->cqs = NULL;
	pthread_mutex_unlock(&ctx->lock);
	while (q) {
		struct shim_qp *next = q->next;

		qp_free(q);
		q = next;
	}
	while (mr) {
		struct shim_mr *next = mr->next;

		shim_mr_free(mr);
		mr = next;
	}
	while (cq) {
		struct shim_cq *next = cq->next;

		shim_cq_free(cq);
		cq = next;
	}
}
