/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DevX interposer, receive part: what the library's devx transport uses for a receive queue and
 * its steering, on the model's RQ engine and steering table (sim/rq.h):
 *  - ibv_create_wq(IBV_WQT_RQ) / ibv_modify_wq / ibv_destroy_wq: the kernel's CREATE_RQ,
 *    MODIFY_RQ, DESTROY_RQ on a model RQ (cyclic, one 16-byte data segment per WQE - what the
 *    mlx5 provider makes for max_sge 1, rdma-core mlx5_calc_rwq_size) with the ucontext's uid,
 *    so the context's DevX TIRs may name it; the provider zeroes the doorbell record at RESET;
 *  - mlx5dv_init_obj(MLX5DV_OBJ_RWQ): the ring, doorbell record, WQE count and stride;
 *  - mlx5dv_create_flow_matcher / mlx5dv_create_flow (action MLX5DV_FLOW_ACTION_DEST_DEVX on a
 *    DevX TIR) / ibv_destroy_flow / mlx5dv_destroy_flow_matcher: a model steering rule. The
 *    model's table matches exact 5-tuples (ip version, protocol, addresses, ports), so a matcher
 *    must select exactly those outer-header fields (all ones), or the shim refuses it with
 *    EOPNOTSUPP and says so.
 * The extended verbs are static inline in <infiniband/verbs.h> and reach the provider through
 * the context's struct verbs_context ops, which shim_context_rx_init() fills.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "devx_shim.h"
#include "prm/mlx5_ifc_tls.h"
#include "shim_internal.h"

#define SHIM_WQ_MAGIC 0x53575158u   /* "SWQX" */
#define SHIM_FM_MAGIC 0x53464d58u   /* "SFMX" */
#define SHIM_FLOW_MAGIC 0x53464c58u /* "SFLX" */
#define OP_CREATE_TIR 0x900
#define MATCH_SZ DEVX_ST_SZ_BYTES(fte_match_set_lyr_2_4)

struct shim_wq {
	struct ibv_wq ibwq; /* first: handed out as struct ibv_wq * */
	uint32_t magic;
	struct shim_context *ctx;
	struct shim_pd *pd;
	struct shim_cq *cq;
	struct sim_rq *rq;
	struct shim_wq *next;
};

struct mlx5dv_flow_matcher {
	uint32_t magic;
	struct shim_context *ctx;
	uint8_t mask[MATCH_SZ];
	bool catch_all;   /* empty mask, no criteria: the model's default destination */
	atomic_int users; /* flows */
};

struct shim_flow {
	struct ibv_flow ibflow; /* first: handed out as struct ibv_flow * */
	uint32_t magic;
	struct shim_context *ctx;
	struct mlx5dv_flow_matcher *matcher;
	uint32_t rule_id;
	bool is_default;  /* the catch-all: the model's default RQ was set */
	struct shim_flow *next;
};

static void *fail_ptr(int err)
{
	errno = err;
	return NULL;
}

static struct shim_wq *wq_of(struct ibv_wq *wq)
{
	struct shim_wq *w = (struct shim_wq *)wq;

	return (w && w->magic == SHIM_WQ_MAGIC) ? w : NULL;
}

/* ---- work queues ---- */

static struct ibv_wq *shim_create_wq(struct ibv_context *context, struct ibv_wq_init_attr *attr)
{
	struct shim_context *ctx = shim_context_of(context);
	struct sim_rq_attr ra = { 0 };
	struct sim_rq_info ri;
	struct shim_pd *pd;
	struct shim_cq *cq;
	struct shim_wq *w;
	uint32_t log = 0;

	shim_count(SHIM_IBV_CREATE_WQ);
	if (!ctx || !attr)
		return fail_ptr(EINVAL);
	pd = shim_pd_of(attr->pd);
	cq = shim_cq_of(attr->cq);
	if (!pd || !cq || cq->ctx != ctx || attr->comp_mask || attr->create_flags)
		return fail_ptr(EINVAL);
	if (attr->wq_type != IBV_WQT_RQ || attr->max_sge != 1 || !attr->max_wr) {
		fprintf(stderr, "devx_shim: ibv_create_wq: only an RQ with max_sge 1 is "
				"emulated\n");
		return fail_ptr(EOPNOTSUPP);
	}
	while ((1u << log) < attr->max_wr && log <= SIM_RQ_LOG_MAX)
		log++;
	if (log > SIM_RQ_LOG_MAX)
		return fail_ptr(EINVAL);
	w = calloc(1, sizeof(*w));
	if (!w)
		return fail_ptr(ENOMEM);
	ra.log_wqes = log ? log : 1;
	ra.cq = cq->cq;
	ra.pd = pd->pdn;
	ra.uid = ctx->uid; /* CREATE_RQ with the ucontext's uid */
	w->rq = sim_rq_create(ctx->dev->sim, &ra);
	if (!w->rq) {
		int err = errno ? errno : ENOMEM;

		free(w);
		return fail_ptr(err);
	}
	sim_rq_query(w->rq, &ri);
	w->magic = SHIM_WQ_MAGIC;
	w->ctx = ctx;
	w->pd = pd;
	w->cq = cq;
	w->ibwq.context = context;
	w->ibwq.pd = attr->pd;
	w->ibwq.cq = attr->cq;
	w->ibwq.wq_num = ri.rqn;
	w->ibwq.handle = ri.rqn;
	w->ibwq.state = IBV_WQS_RESET;
	w->ibwq.wq_type = IBV_WQT_RQ;
	attr->max_wr = ri.wqe_cnt;
	atomic_fetch_add(&pd->users, 1);
	atomic_fetch_add(&cq->users, 1);
	pthread_mutex_lock(&ctx->lock);
	w->next = ctx->wqs;
	ctx->wqs = w;
	pthread_mutex_unlock(&ctx->lock);
	return &w->ibwq;
}

static int shim_modify_wq(struct ibv_wq *wq, struct ibv_wq_attr *attr)
{
	struct shim_wq *w = wq_of(wq);
	enum sim_rq_state st;
	int ret;

	shim_count(SHIM_IBV_MODIFY_WQ);
	if (!w || !attr ||
	    (attr->attr_mask & ~(uint32_t)(IBV_WQ_ATTR_STATE | IBV_WQ_ATTR_CURR_STATE)))
		return EINVAL;
	if (!(attr->attr_mask & IBV_WQ_ATTR_STATE))
		return 0;
	switch (attr->wq_state) {
	case IBV_WQS_RESET:
		st = SIM_RQ_RST;
		break;
	case IBV_WQS_RDY:
		st = SIM_RQ_RDY;
		break;
	case IBV_WQS_ERR:
		st = SIM_RQ_ERR;
		break;
	default:
		return EINVAL;
	}
	ret = sim_rq_modify(w->rq, st);
	if (ret)
		return -ret;
	if (st == SIM_RQ_RST) {
		struct sim_rq_info ri;

		/* the provider restarts its indexes and zeroes the receive doorbell record */
		sim_rq_query(w->rq, &ri);
		ri.dbrec[0] = 0;
	}
	wq->state = attr->wq_state;
	return 0;
}

static void wq_free(struct shim_wq *w)
{
	atomic_fetch_sub(&w->pd->users, 1);
	atomic_fetch_sub(&w->cq->users, 1);
	w->magic = 0;
	free(w);
}

static int shim_destroy_wq(struct ibv_wq *wq)
{
	struct shim_wq *w = wq_of(wq), **pp;
	int ret;

	shim_count(SHIM_IBV_DESTROY_WQ);
	if (!w)
		return EINVAL;
	/* DESTROY_RQ fails while a TIR names the RQ (BAD_RES_STATE -> EINVAL in mlx5_cmd_exec;
	 * the model says EBUSY) */
	ret = sim_rq_destroy(w->rq);
	if (ret)
		return ret == -EBUSY ? EBUSY : -ret;
	pthread_mutex_lock(&w->ctx->lock);
	for (pp = &w->ctx->wqs; *pp; pp = &(*pp)->next)
		if (*pp == w) {
			*pp = w->next;
			break;
		}
	pthread_mutex_unlock(&w->ctx->lock);
	wq_free(w);
	return 0;
}

int shim_dv_get_rwq(struct ibv_wq *wq, struct mlx5dv_rwq *out)
{
	struct shim_wq *w = wq_of(wq);
	struct sim_rq_info ri;

	if (!w || !out)
		return EINVAL;
	sim_rq_query(w->rq, &ri);
	memset(out, 0, sizeof(*out));
	out->buf = ri.buf;
	out->dbrec = (__be32 *)ri.dbrec;
	out->wqe_cnt = ri.wqe_cnt;
	out->stride = ri.stride;
	return 0;
}

/* ---- steering ---- */

/* The exact 5-tuple mask the model's table can hold, for ip version v. */
static void full_mask(uint8_t *m, unsigned int v)
{
	size_t alen = v == 4 ? 4 : 16;

	memset(m, 0, MATCH_SZ);
	DEVX_SET(fte_match_set_lyr_2_4, m, ip_version, 0xf);
	DEVX_SET(fte_match_set_lyr_2_4, m, ip_protocol, 0xff);
	DEVX_SET(fte_match_set_lyr_2_4, m, tcp_sport, 0xffff);
	DEVX_SET(fte_match_set_lyr_2_4, m, tcp_dport, 0xffff);
	memset((uint8_t *)DEVX_ADDR_OF(fte_match_set_lyr_2_4, m, src_ipv4_src_ipv6) + 16 - alen,
	       0xff, alen);
	memset((uint8_t *)DEVX_ADDR_OF(fte_match_set_lyr_2_4, m, dst_ipv4_dst_ipv6) + 16 - alen,
	       0xff, alen);
}

struct mlx5dv_flow_matcher *mlx5dv_create_flow_matcher(struct ibv_context *context,
						       struct mlx5dv_flow_matcher_attr *attr)
{
	struct shim_context *ctx = shim_context_of(context);
	struct mlx5dv_flow_matcher *fm;
	uint8_t want4[MATCH_SZ], want6[MATCH_SZ];

	shim_count(SHIM_MLX5DV_CREATE_FLOW_MATCHER);
	if (!ctx || !attr || !attr->match_mask || attr->comp_mask)
		return fail_ptr(EINVAL);
	if (attr->type == IBV_FLOW_ATTR_NORMAL && !attr->match_criteria_enable &&
	    attr->match_mask->match_sz == MATCH_SZ) {
		static const uint8_t zero[MATCH_SZ];

		/* a catch-all rule (empty mask, lower priority than the exact rules): the model's
		 * default destination */
		if (memcmp(attr->match_mask->match_buf, zero, MATCH_SZ) || !attr->priority)
			return fail_ptr(EOPNOTSUPP);
		fm = calloc(1, sizeof(*fm));
		if (!fm)
			return fail_ptr(ENOMEM);
		fm->magic = SHIM_FM_MAGIC;
		fm->ctx = ctx;
		fm->catch_all = true;
		atomic_init(&fm->users, 0);
		return fm;
	}
	if (attr->type != IBV_FLOW_ATTR_NORMAL ||
	    attr->match_criteria_enable != MLX5_MATCH_OUTER_HEADERS ||
	    attr->match_mask->match_sz != MATCH_SZ) {
		fprintf(stderr, "devx_shim: mlx5dv_create_flow_matcher: only NORMAL matchers on "
				"the outer headers are emulated\n");
		return fail_ptr(EOPNOTSUPP);
	}
	full_mask(want4, 4);
	full_mask(want6, 6);
	if (memcmp(attr->match_mask->match_buf, want4, MATCH_SZ) &&
	    memcmp(attr->match_mask->match_buf, want6, MATCH_SZ)) {
		fprintf(stderr, "devx_shim: mlx5dv_create_flow_matcher: the model steers exact "
				"TCP/UDP 5-tuples only\n");
		return fail_ptr(EOPNOTSUPP);
	}
	fm = calloc(1, sizeof(*fm));
	if (!fm)
		return fail_ptr(ENOMEM);
	fm->magic = SHIM_FM_MAGIC;
	fm->ctx = ctx;
	memcpy(fm->mask, attr->match_mask->match_buf, MATCH_SZ);
	atomic_init(&fm->users, 0);
	return fm;
}

int mlx5dv_destroy_flow_matcher(struct mlx5dv_flow_matcher *matcher)
{
	shim_count(SHIM_MLX5DV_DESTROY_FLOW_MATCHER);
	if (!matcher || matcher->magic != SHIM_FM_MAGIC)
		return EINVAL;
	if (atomic_load(&matcher->users))
		return EBUSY;
	matcher->magic = 0;
	free(matcher);
	return 0;
}

struct ibv_flow *mlx5dv_create_flow(struct mlx5dv_flow_matcher *matcher,
				    struct mlx5dv_flow_match_parameters *match_value,
				    size_t num_actions,
				    struct mlx5dv_flow_action_attr actions_attr[])
{
	struct sim_flow_match sm = { 0 };
	const uint8_t *v;
	struct shim_flow *fl;
	struct mlx5dv_devx_obj *tir;
	uint32_t tag = 0;
	size_t alen;
	int ret;

	shim_count(SHIM_MLX5DV_CREATE_FLOW);
	if (!matcher || matcher->magic != SHIM_FM_MAGIC || !match_value ||
	    match_value->match_sz != MATCH_SZ || num_actions < 1 || num_actions > 2 ||
	    !actions_attr)
		return fail_ptr(EINVAL);
	/* a second action may only be a flow tag (24 bits, rdma-core MLX5_FLOW_TAG_MASK) */
	if (num_actions == 2) {
		if (actions_attr[1].type != MLX5DV_FLOW_ACTION_TAG) {
			fprintf(stderr, "devx_shim: mlx5dv_create_flow: only a flow tag may go "
					"with the TIR destination\n");
			return fail_ptr(EOPNOTSUPP);
		}
		if (actions_attr[1].tag_value > 0xffffffu)
			return fail_ptr(EINVAL);
		tag = actions_attr[1].tag_value;
	}
	if (actions_attr[0].type != MLX5DV_FLOW_ACTION_DEST_DEVX) {
		fprintf(stderr, "devx_shim: mlx5dv_create_flow: only a DevX TIR destination is "
				"emulated\n");
		return fail_ptr(EOPNOTSUPP);
	}
	tir = actions_attr[0].obj;
	if (!tir || tir->magic != SHIM_OBJ_MAGIC || tir->ctx != matcher->ctx ||
	    (tir->enc_id >> 32) != OP_CREATE_TIR)
		return fail_ptr(EINVAL);
	v = (const uint8_t *)match_value->match_buf;
	if (matcher->catch_all) {
		uint32_t rqn = 0;

		for (size_t i = 0; i < MATCH_SZ; i++)
			if (v[i])
				return fail_ptr(EINVAL);
		ret = sim_tir_get(matcher->ctx->dev->sim, (uint32_t)tir->enc_id, NULL, NULL, &rqn);
		if (!ret)
			ret = sim_steer_set_default(matcher->ctx->dev->sim, rqn);
		if (ret)
			return fail_ptr(-ret);
		fl = calloc(1, sizeof(*fl));
		if (!fl) {
			(void)sim_steer_set_default(matcher->ctx->dev->sim, 0);
			return fail_ptr(ENOMEM);
		}
		fl->is_default = true;
		goto link;
	}
	/* the value under the matcher's mask */
	for (size_t i = 0; i < MATCH_SZ; i++)
		if (v[i] & ~matcher->mask[i])
			return fail_ptr(EINVAL);
	sm.ip_version = (uint8_t)DEVX_GET(fte_match_set_lyr_2_4, v, ip_version);
	sm.ip_proto = (uint8_t)DEVX_GET(fte_match_set_lyr_2_4, v, ip_protocol);
	sm.src_port = (uint16_t)DEVX_GET(fte_match_set_lyr_2_4, v, tcp_sport);
	sm.dst_port = (uint16_t)DEVX_GET(fte_match_set_lyr_2_4, v, tcp_dport);
	if (sm.ip_version != 4 && sm.ip_version != 6)
		return fail_ptr(EINVAL);
	alen = sm.ip_version == 4 ? 4 : 16;
	memcpy(sm.src_ip, v + DEVX_BYTE_OFF(fte_match_set_lyr_2_4, src_ipv4_src_ipv6) + 16 - alen,
	       alen);
	memcpy(sm.dst_ip, v + DEVX_BYTE_OFF(fte_match_set_lyr_2_4, dst_ipv4_dst_ipv6) + 16 - alen,
	       alen);
	fl = calloc(1, sizeof(*fl));
	if (!fl)
		return fail_ptr(ENOMEM);
	ret = sim_steer_add_tagged(matcher->ctx->dev->sim, &sm, (uint32_t)tir->enc_id, tag,
				   &fl->rule_id);
	if (ret) {
		free(fl);
		return fail_ptr(-ret);
	}
link:
	fl->magic = SHIM_FLOW_MAGIC;
	fl->ctx = matcher->ctx;
	fl->matcher = matcher;
	fl->ibflow.context = &matcher->ctx->vctx.context;
	fl->ibflow.handle = fl->rule_id;
	atomic_fetch_add(&matcher->users, 1);
	pthread_mutex_lock(&fl->ctx->lock);
	fl->next = fl->ctx->flows;
	fl->ctx->flows = fl;
	pthread_mutex_unlock(&fl->ctx->lock);
	return &fl->ibflow;
}

static void flow_free(struct shim_flow *fl)
{
	if (fl->is_default)
		(void)sim_steer_set_default(fl->ctx->dev->sim, 0);
	else
		(void)sim_steer_del(fl->ctx->dev->sim, fl->rule_id);
	atomic_fetch_sub(&fl->matcher->users, 1);
	fl->magic = 0;
	free(fl);
}

static int shim_destroy_flow(struct ibv_flow *flow)
{
	struct shim_flow *fl = (struct shim_flow *)flow, **pp;

	shim_count(SHIM_IBV_DESTROY_FLOW);
	if (!fl || fl->magic != SHIM_FLOW_MAGIC)
		return EINVAL;
	pthread_mutex_lock(&fl->ctx->lock);
	for (pp = &fl->ctx->flows; *pp; pp = &(*pp)->next)
		if (*pp == fl) {
			*pp = fl->next;
			break;
		}
	pthread_mutex_unlock(&fl->ctx->lock);
	flow_free(fl);
	return 0;
}

/* ---- context ---- */

void shim_context_rx_init(struct shim_context *ctx)
{
	ctx->vctx.sz = sizeof(ctx->vctx);
	ctx->vctx.context.abi_compat = __VERBS_ABI_IS_EXTENDED;
	ctx->vctx.create_wq = shim_create_wq;
	ctx->vctx.modify_wq = shim_modify_wq;
	ctx->vctx.destroy_wq = shim_destroy_wq;
	ctx->vctx.ibv_destroy_flow = shim_destroy_flow;
}

void shim_context_rx_release(struct shim_context *ctx)
{
	struct shim_flow *fl;
	struct shim_wq *w;

	pthread_mutex_lock(&ctx->lock);
	fl = ctx->flows;
	w = ctx->wqs;
	ctx->flows = NULL;
	ctx->wqs = NULL;
	pthread_mutex_unlock(&ctx->lock);
	/* uverbs: flows (they name TIRs), then WQs; a WQ a TIR still names is left to the model
	 * (the uid's TIRs go with the context) */
	while (fl) {
		struct shim_flow *next = fl->next;

		flow_free(fl);
		fl = next;
	}
	while (w) {
		struct shim_wq *next = w->next;

		if (sim_rq_destroy(w->rq))
			fprintf(stderr, "devx_shim: closing a context with WQ 0x%x still named by "
					"a TIR\n", w->ibwq.wq_num);
		else
			wq_free(w);
		w = next;
	}
}

/* ---- control interface ---- */

int devx_shim_wire_rx(const char *name, const void *frame, size_t len)
{
	struct sim_dev *sim = NULL;
	struct shim_device *devs;
	int n;

	shim_devices_lock();
	n = shim_devices_get(&devs);
	for (int i = 0; name && i < n; i++)
		if (!strcmp(devs[i].ibdev.name, name))
			sim = devs[i].sim;
	shim_devices_unlock();
	/* devices live until the table is replaced, which needs every context closed */
	return sim ? sim_dev_rx(sim, frame, len) : -ENODEV;
}

int devx_shim_rx_stats(const char *name, uint64_t *steered, uint64_t *no_match)
{
	struct sim_dev *sim = NULL;
	struct sim_rx_stats st;
	struct shim_device *devs;
	int n;

	shim_devices_lock();
	n = shim_devices_get(&devs);
	for (int i = 0; name && i < n; i++)
		if (!strcmp(devs[i].ibdev.name, name))
			sim = devs[i].sim;
	shim_devices_unlock();
	if (!sim)
		return -ENODEV;
	sim_dev_get_rx_stats(sim, &st);
	if (steered)
		*steered = st.steered;
	if (no_match)
		*no_match = st.no_match;
	return 0;
}
