/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Per-TIR TLS RX contexts, keyed by TIR number: the receive twin of tls_ctx.c. A context is
 * created by the first static-params UMR (opc_mod 2) that names the TIR - as the kernel's
 * mlx5e_ktls_add_rx posts static then progress params right after CREATE_TIR (fact sheet 11.2) -
 * and lives until the TIR is destroyed (sim_dp_tir_destroyed). The crypto is the RX engine's
 * (struct sim_tls_rx_engine_ops, sim/tls_rx.h); this file checks what the static params and the
 * DEK must be before handing them over.
 *
 * Where they live: in the table of the TIR's RQ (rq->tls_rx, under rq->tls_rx_lock), found
 * through the TIR (T1: DIRECT, its RQ fixed and pinned for its life). A WQE naming the TIR looks
 * the TIR up with its table shard held for reading (sim_tir_rx_hold), so the TIR and its RQ
 * stay while it finds, makes or locks the context; a delivery is on the RQ already. So RX
 * connections set up on different threads, each on its own RQ, meet on no context table lock
 * (issue 10), and a context cannot be made for a TIR already out of the table (its DESTROY_TIR
 * held the shard for writing to take it out; the drop that follows finds any context made
 * before).
 *
 * Locks: rq->tls_rx_lock covers the RQ's table and is held for look-ups and changes only (a new
 * context's engine state is made before it is taken); each context has its own lock, held
 * across every engine call. Order: a TIR table shard (read, or write for a TIR's forced
 * teardown: sim_internal.h), then rq->tls_rx_lock, then a context; a delivery: rq->lock, then
 * rq->tls_rx_lock (only when its cache misses), then a context. Nothing here takes a device lock
 * while holding any of them (the DEK is fetched before).
 *
 * LIFETIME. The receive path does not look a context up per frame: each RQ caches the context of
 * the last TIR it delivered for (rq->tls_ctx, under rq->lock). That is safe because
 *  - a frame with TIR number T reaches only T's RQ (T1: DIRECT, inline_rqn fixed for the TIR's
 *    life; steering hands over the RQ locked, steer.c), so only that RQ can cache T's context;
 *  - a context leaves only when its TIR is destroyed, and sim_tls_rx_ctx_drop then: removes it
 *    from the table (no delivery or SQ can find it any more), takes the TIR's RQ's lock -
 *    waiting for the delivery using it, if any - and clears that RQ's cache if it holds it, then
 *    takes the context's lock (waiting for an SQ that found it before) and frees it. Frames of
 *    the destroyed TIR still in flight were steered before its rule went (T9: no rule names a
 *    TIR being destroyed) and are delivered before the drop gets the RQ's lock, with the
 *    context; later ones no longer carry T.
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

/*
 * tirn's context, locked, from its RQ's table (the TIR held meanwhile): 0, or TIR_UNKNOWN (no
 * such TIR), TIR_NOT_TLS, TIR_NO_CONTEXT (none yet and fresh NULL). With fresh, a context made
 * by the caller for the TIR: put in the table if there is none yet (*fresh set to NULL), else
 * left to the caller to free; TLS_ENGINE if the table has no room.
 */
static int ctx_lock_tir(struct sim_dev *dev, uint32_t tirn, uint16_t *uid,
			struct sim_tls_rx_ctx **fresh, struct sim_tls_rx_ctx **out)
{
	struct sim_tir_rx *tir = sim_tir_rx_hold(dev, tirn);
	struct sim_tls_rx_ctx *ctx;
	struct sim_rq *rq;
	int ret = 0;

	if (!tir)
		return SIM_VSYND_TIR_UNKNOWN;
	if (!tir->tls_en) {
		sim_tir_rx_unhold(dev, tir);
		return SIM_VSYND_TIR_NOT_TLS;
	}
	if (uid)
		*uid = tir->uid;
	rq = tir->rq;
	pthread_mutex_lock(&rq->tls_rx_lock);
	ctx = sim_objtab_get(&rq->tls_rx, tirn);
	if (!ctx && fresh && *fresh) {
		if (sim_objtab_put(&rq->tls_rx, tirn, *fresh)) {
			ret = SIM_VSYND_TLS_ENGINE;
		} else {
			ctx = *fresh;
			*fresh = NULL;
		}
	} else if (!ctx) {
		ret = SIM_VSYND_TIR_NO_CONTEXT;
	}
	if (ctx)
		pthread_mutex_lock(&ctx->lock);
	pthread_mutex_unlock(&rq->tls_rx_lock);
	sim_tir_rx_unhold(dev, tir);
	*out = ctx;
	return ret;
}

int sim_tls_rx_ctx_static(struct sim_dev *dev, const struct sim_tls_rx_engine_ops *ops,
			  uint32_t tirn, const uint8_t params[64])
{
	uint8_t key[SIM_DEK_KEY_MAX];
	size_t key_len = 0;
	uint32_t dek_pd = 0, dek_id;
	uint16_t dek_uid = 0, tir_uid = 0;
	struct sim_tls_rx_ctx *ctx = NULL, *fresh = NULL;
	bool tls13 = false;
	int ret;

	/* the TIR first (TIR_UNKNOWN, TIR_NOT_TLS), then the params and the DEK */
	ret = ctx_lock_tir(dev, tirn, &tir_uid, NULL, &ctx);
	if (ret && ret != SIM_VSYND_TIR_NO_CONTEXT)
		return ret;
	if (ctx)
		sim_tls_rx_ctx_unlock(ctx);
	ret = 0;
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
	if (!ctx) {
		/* the first static params of the TIR: its engine state (an allocation, the
		 * cipher's) made without a lock held */
		fresh = ctx_new(ops, tirn);
		if (!fresh) {
			ret = SIM_VSYND_TLS_ENGINE;
			goto out;
		}
	}
	/* again: the TIR may have gone (its context with it), or another WQE made one */
	ret = ctx_lock_tir(dev, tirn, NULL, &fresh, &ctx);
	if (fresh)
		ctx_free(fresh);
	if (ret)
		goto out;
	/* the engine refuses a TLS version change after START, or OpenSSL refuses the key */
	if (ctx->ops->set_static(ctx->st, params, key, key_len))
		ret = SIM_VSYND_TLS_ENGINE;
	pthread_mutex_unlock(&ctx->lock);
out:
	explicit_bzero(key, sizeof(key));
	return ret;
}

int sim_tls_rx_ctx_lock(struct sim_dev *dev, uint32_t tirn, struct sim_tls_rx_ctx **out)
{
	return ctx_lock_tir(dev, tirn, NULL, NULL, out);
}

struct sim_tls_rx_ctx *sim_tls_rx_ctx_lock_rq(struct sim_rq *rq, uint32_t tirn)
{
	struct sim_tls_rx_ctx *ctx = rq->tls_ctx;

	if (ctx && rq->tls_ctx_tirn == tirn) {
		pthread_mutex_lock(&ctx->lock);
		return ctx;
	}
	/* a frame of tirn reaches only its RQ (T1), and the TIR is live while its rule is:
	 * the table is this RQ's */
	pthread_mutex_lock(&rq->tls_rx_lock);
	ctx = sim_objtab_get(&rq->tls_rx, tirn);
	if (ctx)
		pthread_mutex_lock(&ctx->lock);
	pthread_mutex_unlock(&rq->tls_rx_lock);
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

void sim_tls_rx_ctx_drop(struct sim_rq *rq, uint32_t tirn)
{
	struct sim_tls_rx_ctx *ctx;

	pthread_mutex_lock(&rq->tls_rx_lock);
	ctx = sim_objtab_del(&rq->tls_rx, tirn); /* it cannot be found again */
	pthread_mutex_unlock(&rq->tls_rx_lock);
	if (!ctx)
		return;
	/* LIFETIME: the delivery using it through the RQ's cache ends first; not with
	 * tls_rx_lock held (a delivery takes it under rq->lock) */
	pthread_mutex_lock(&rq->lock);
	if (rq->tls_ctx == ctx)
		rq->tls_ctx = NULL;
	pthread_mutex_unlock(&rq->lock);
	/* an SQ that found it before it left the table */
	pthread_mutex_lock(&ctx->lock);
	pthread_mutex_unlock(&ctx->lock);
	ctx_free(ctx);
}

void sim_tls_rx_ctx_prefetch(struct sim_rq *rq, uint32_t tirn)
{
	/* the table's slots move when it grows: read under its lock, as any look-up */
	pthread_mutex_lock(&rq->tls_rx_lock);
	sim_objtab_prefetch(&rq->tls_rx, tirn);
	pthread_mutex_unlock(&rq->tls_rx_lock);
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

int sim_tls_rx_ctx_table_init(struct sim_rq *rq)
{
	if (sim_objtab_init(&rq->tls_rx))
		return -ENOMEM;
	if (pthread_mutex_init(&rq->tls_rx_lock, NULL)) {
		sim_objtab_fini(&rq->tls_rx);
		return -ENOMEM;
	}
	return 0;
}

void sim_tls_rx_ctx_table_fini(struct sim_rq *rq)
{
	/* every TIR naming the RQ is gone, and its context with it: nothing is left but what a
	 * failed RQ create never had */
	sim_objtab_remove_if(&rq->tls_rx, ctx_any, ctx_drop_cb, NULL);
	sim_objtab_fini(&rq->tls_rx);
	pthread_mutex_destroy(&rq->tls_rx_lock);
}
