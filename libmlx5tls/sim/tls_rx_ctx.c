/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Per-TIR TLS RX contexts, keyed by TIR number: the receive twin of tls_ctx.c. A context is
 * created by the first static-params UMR (opc_mod 2) that names the TIR - as the kernel's
 * mlx5e_ktls_add_rx posts static then progress params right after CREATE_TIR (fact sheet 11.2) -
 * and lives until the TIR is destroyed (sim_dp_tir_destroyed_locked) or the device's datapath
 * state goes. The crypto is the RX engine's (struct sim_tls_rx_engine_ops, sim/tls_rx.h); this
 * file checks what the static params and the DEK must be before handing them over.
 *
 * Locks: the contexts live in stripes by TIR number (dp->tls_rx_stripes), each covered by its
 * stripe's lock, so connections set up on different threads rarely meet on one; each context
 * has its own lock, held across every engine call. A stripe's lock is held for table changes
 * and look-ups only: a new context's engine state is made before it is taken. Order: a TIR
 * table shard (a TIR's forced teardown, sim_internal.h), then a stripe, then a context; nothing
 * here takes a device lock while holding either (the DEK is fetched before). A delivery holds
 * its RQ's lock around all of it: rq->lock, then a stripe (only when its cache misses), then a
 * context.
 *
 * LIFETIME. The receive path does not look a context up per frame: each RQ caches the context of
 * the last TIR it delivered for (rq->tls_ctx, under rq->lock). That is safe because
 *  - a frame with TIR number T reaches only T's RQ (T1: DIRECT, inline_rqn fixed for the TIR's
 *    life; steering hands over the RQ locked, steer.c), so only that RQ can cache T's context;
 *  - a context leaves only when its TIR is destroyed (or with the whole datapath state, after
 *    every RQ), and sim_tls_rx_ctx_drop then: removes it from the table (no delivery or SQ can
 *    find it any more), takes the TIR's RQ's lock - waiting for the delivery using it, if any -
 *    and clears that RQ's cache if it holds it, then takes the context's lock (waiting for an SQ
 *    that found it before) and frees it. Frames of the destroyed TIR still in flight were steered
 *    before its rule went (T9: no rule names a TIR being destroyed) and are delivered before the
 *    drop gets the RQ's lock, with the context; later ones no longer carry T.
 * A context number reused by a new TIR is a new context: the old one was dropped first.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sim/dek_store.h"
#include "sim/sq_internal.h"

struct sim_tls_rx_ctx {
	pthread_mutex_t lock;
	uint32_t tirn;
	const struct sim_tls_rx_engine_ops *ops;
	void *st;
};

static struct sim_tls_stripe *stripe_of(struct sim_dp *dp, uint32_t tirn)
{
	/* Fibonacci hashing: TIR numbers handed out in a row land in different stripes */
	return &dp->tls_rx_stripes[(uint32_t)(((uint64_t)tirn * 0x9e3779b97f4a7c15ull) >> 58) %
				   SIM_TLS_STRIPES];
}

static void ctx_free(struct sim_tls_rx_ctx *ctx)
{
	if (ctx->st)
		ctx->ops->destroy(ctx->st);
	pthread_mutex_destroy(&ctx->lock);
	free(ctx);
}

static struct sim_tls_rx_ctx *ctx_new(const struct sim_tls_rx_engine_ops *ops, uint32_t tirn)
{
	struct sim_tls_rx_ctx *ctx = calloc(1, sizeof(*ctx));

	if (!ctx)
		return NULL;
	if (pthread_mutex_init(&ctx->lock, NULL)) {
		free(ctx);
		return NULL;
	}
	ctx->tirn = tirn;
	ctx->ops = ops;
	ctx->st = ops->create();
	if (!ctx->st) {
		pthread_mutex_destroy(&ctx->lock);
		free(ctx);
		return NULL;
	}
	return ctx;
}

int sim_tls_rx_ctx_static(struct sim_dev *dev, struct sim_dp *dp,
			  const struct sim_tls_rx_engine_ops *ops, uint32_t tirn, uint16_t tir_uid,
			  const uint8_t params[64])
{
	uint8_t key[SIM_DEK_KEY_MAX];
	size_t key_len = 0;
	uint32_t dek_pd = 0, dek_id;
	uint16_t dek_uid = 0;
	struct sim_tls_rx_ctx *ctx, *fresh = NULL;
	struct sim_tls_stripe *sp;
	bool tls13 = false;
	int ret = 0;

	if (!sim_tls_static_params_valid(params, &tls13))
		return SIM_VSYND_STATIC_PARAMS;
	dek_id = (uint32_t)params[33] << 16 | (uint32_t)params[34] << 8 | params[35];
	if (sim_tls_dek_fetch(dev, dek_id, key, &key_len, &dek_pd, &dek_uid))
		return SIM_VSYND_DEK_INVALID;
	/* Model reading: a TIR has no PD (fact sheet 4.3), so the DEK cannot be matched by PD as
	 * for a TIS; it must at least belong to the TIR's user context, as every object a DevX
	 * object names must (devx-userspace A2). */
	if (dek_uid != tir_uid) {
		ret = SIM_VSYND_DEK_NOT_OWNED;
		goto out;
	}
	if (!sim_tls_suite_supported(dev, true, tls13, key_len)) {
		ret = SIM_VSYND_TLS_SUITE;
		goto out;
	}
	sp = stripe_of(dp, tirn);
	pthread_mutex_lock(&sp->lock);
	ctx = sim_objtab_get(&sp->tls, tirn);
	if (!ctx && !fresh) {
		/* the first static params of the TIR: make the engine state (an allocation, the
		 * cipher's) without the stripe's lock, then look again */
		pthread_mutex_unlock(&sp->lock);
		fresh = ctx_new(ops, tirn);
		if (!fresh) {
			ret = SIM_VSYND_TLS_ENGINE;
			goto out;
		}
		pthread_mutex_lock(&sp->lock);
		ctx = sim_objtab_get(&sp->tls, tirn);
	}
	if (!ctx && fresh && !sim_objtab_put(&sp->tls, tirn, fresh)) {
		ctx = fresh;
		fresh = NULL;
	}
	if (ctx)
		pthread_mutex_lock(&ctx->lock);
	pthread_mutex_unlock(&sp->lock);
	if (fresh) /* another WQE made it first, or the table had no room */
		ctx_free(fresh);
	if (!ctx) {
		ret = SIM_VSYND_TLS_ENGINE;
		goto out;
	}
	/* the engine refuses a TLS version change after START, or OpenSSL refuses the key */
	if (ctx->ops->set_static(ctx->st, params, key, key_len))
		ret = SIM_VSYND_TLS_ENGINE;
	pthread_mutex_unlock(&ctx->lock);
out:
	explicit_bzero(key, sizeof(key));
	return ret;
}

struct sim_tls_rx_ctx *sim_tls_rx_ctx_lock(struct sim_dp *dp, uint32_t tirn)
{
	struct sim_tls_rx_ctx *ctx;

	struct sim_tls_stripe *sp = stripe_of(dp, tirn);

	pthread_mutex_lock(&sp->lock);
	ctx = sim_objtab_get(&sp->tls, tirn);
	if (ctx)
		pthread_mutex_lock(&ctx->lock);
	pthread_mutex_unlock(&sp->lock);
	return ctx;
}

struct sim_tls_rx_ctx *sim_tls_rx_ctx_lock_rq(struct sim_rq *rq, uint32_t tirn)
{
	struct sim_tls_rx_ctx *ctx = rq->tls_ctx;

	if (ctx && rq->tls_ctx_tirn == tirn) {
		pthread_mutex_lock(&ctx->lock);
		return ctx;
	}
	ctx = sim_tls_rx_ctx_lock(rq->dp, tirn);
	if (ctx) { /* still in the table: its drop has not begun and will clear this (LIFETIME) */
		rq->tls_ctx = ctx;
		rq->tls_ctx_tirn = tirn;
	}
	return ctx;
}

void sim_tls_rx_ctx_unlock(struct sim_tls_rx_ctx *ctx)
{
	pthread_mutex_unlock(&ctx->lock);
}

int sim_tls_rx_ctx_progress(struct sim_tls_rx_ctx *ctx, const uint8_t params[12])
{
	int ret = ctx->ops->set_progress(ctx->st, params);

	/* -EPROTO: the static params were refused (no key); -EINVAL: not what a driver posts */
	if (ret == -EPROTO)
		return SIM_VSYND_TIR_NO_CONTEXT;
	return ret ? SIM_VSYND_PROGRESS_PARAMS : 0;
}

int sim_tls_rx_ctx_get_progress(struct sim_tls_rx_ctx *ctx, uint8_t out[16])
{
	return ctx->ops->get_progress(ctx->st, out) ? SIM_VSYND_TIR_NO_CONTEXT : 0;
}

int sim_tls_rx_ctx_packet(struct sim_tls_rx_ctx *ctx, uint32_t tcp_seq, const uint8_t *in,
			  uint8_t *out, size_t len, bool l4_csum_ok, enum sim_tls_rx_status *status)
{
	if (ctx->ops->packet_to)
		return ctx->ops->packet_to(ctx->st, tcp_seq, in, out, len, l4_csum_ok, status);
	/* an engine without it: in place, on a copy */
	memcpy(out, in, len);
	return ctx->ops->packet(ctx->st, tcp_seq, out, len, l4_csum_ok, status);
}

void sim_tls_rx_ctx_drop(struct sim_dp *dp, uint32_t tirn, struct sim_rq *rq)
{
	struct sim_tls_stripe *sp = stripe_of(dp, tirn);
	struct sim_tls_rx_ctx *ctx;

	pthread_mutex_lock(&sp->lock);
	ctx = sim_objtab_del(&sp->tls, tirn); /* it cannot be found again */
	pthread_mutex_unlock(&sp->lock);
	if (!ctx)
		return;
	/* LIFETIME: the delivery using it through the RQ's cache ends first; not with the
	 * stripe's lock held (a delivery takes it under rq->lock) */
	if (rq) {
		pthread_mutex_lock(&rq->lock);
		if (rq->tls_ctx == ctx)
			rq->tls_ctx = NULL;
		pthread_mutex_unlock(&rq->lock);
	}
	/* an SQ that found it before it left the table */
	pthread_mutex_lock(&ctx->lock);
	pthread_mutex_unlock(&ctx->lock);
	ctx_free(ctx);
}

static bool ctx_any(const void *val, void *arg)
{
	(void)val;
	(void)arg;
	return true;
}

static void ctx_drop_cb(void *val, void *arg)
{
	(void)arg;
	ctx_free(val);
}

int sim_tls_rx_ctx_init(struct sim_dp *dp)
{
	uint32_t i;

	for (i = 0; i < SIM_TLS_STRIPES; i++) {
		if (sim_objtab_init(&dp->tls_rx_stripes[i].tls))
			goto err;
		if (pthread_mutex_init(&dp->tls_rx_stripes[i].lock, NULL)) {
			sim_objtab_fini(&dp->tls_rx_stripes[i].tls);
			goto err;
		}
	}
	return 0;
err:
	while (i--) {
		pthread_mutex_destroy(&dp->tls_rx_stripes[i].lock);
		sim_objtab_fini(&dp->tls_rx_stripes[i].tls);
	}
	return -ENOMEM;
}

void sim_tls_rx_ctx_destroy_all(struct sim_dp *dp)
{
	for (uint32_t i = 0; i < SIM_TLS_STRIPES; i++) {
		sim_objtab_remove_if(&dp->tls_rx_stripes[i].tls, ctx_any, ctx_drop_cb, NULL);
		sim_objtab_fini(&dp->tls_rx_stripes[i].tls);
		pthread_mutex_destroy(&dp->tls_rx_stripes[i].lock);
	}
}
