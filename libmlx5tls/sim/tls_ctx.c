/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Per-TIS TLS TX contexts, keyed by TIS number (DOC "Normal operation": the device keeps crypto
 * state per TIS; fact sheet 14b). A context is created by the first static-params UMR that names
 * the TIS and lives until the TIS is destroyed (sim_dp_tis_destroyed_locked), the DEK its key came
 * from is re-keyed or destroyed (sim_dp_deks_gone_locked) or the device's datapath state goes. The
 * DEK rule is the model's reading of fact sheet 3.6/12.4 (a freed DEK is re-keyed only after
 * SYNC_CRYPTO flushed the device's copies): the key the context holds is then gone, and a pooled
 * TIS whose connection went away keeps no engine state until its next user posts static params,
 * as every user does first; its OpenSSL context (about 1 KB) comes only with the first record
 * (tls_evp.h). The crypto itself is the TLS TX engine's
 * (struct sim_tls_engine_ops); this file checks what the static params and the DEK must be before
 * handing them over.
 *
 * Locks (sq_internal.h struct sim_dp): the contexts by TIS number live in stripes, each with
 * its own lock; the index of contexts by DEK id lives beside each DEK shard and is guarded by
 * that shard's lock (dev->dek_shard, or dev->dek_lock held for writing), which the DEK's MODIFY
 * and DESTROY hold when they drop contexts and the static params hold while they fetch the key
 * and link the context to it. Each context has its own lock, held across every engine call.
 * Order: dev->lock, then dev->dek_lock and a DEK shard, then a stripe, then a context; nothing
 * here takes a device or DEK lock while holding a stripe or a context. So two queues setting up
 * connections on different TISes and DEKs share no lock here unless their numbers hash alike.
 *
 * The by-DEK index is a chain of links per DEK id, each holding a reference on its context. A
 * link may go stale: its context re-keyed from another DEK (new static params) or dropped with
 * its TIS, which touch only the stripe. A stale link is skipped when its DEK goes (the context's
 * dek_id, under its stripe's lock, no longer names it) and freed then.
 *
 * LIFETIME. A WQE does not look its TIS's context up in the table: each send queue keeps the
 * context of the last TIS its TLS WQEs named (sq->tls_ctx, under the SQ's proc_lock) and holds a
 * reference on it. A context's record therefore lives while the table or any SQ's cache refers
 * to it (refs), but its crypto state does not: a drop (TIS destroyed, DEK re-keyed or destroyed)
 * takes it out of the table, then under its lock marks it dead and frees the engine state (the
 * key copy goes with the key). An SQ whose cached context is dead, or of another TIS, looks the
 * TIS up again in its stripe; so a context in the table is exactly a context not dead, and a
 * TIS number reused by a new TIS finds the new context (or none: TIS_NO_CONTEXT), never the old.
 */
#include <endian.h>
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "sim/dek_store.h"
#include "sim/sq_internal.h"
#include "sim/tls_tx.h"

struct sim_tls_ctx {
	pthread_mutex_t lock; /* serialises the engine calls of this context; guards dead and st */
	_Atomic uint32_t refs; /* the table's (while in it) + one per SQ caching it + one per link */
	bool dead;            /* out of the table: its engine state is gone (LIFETIME) */
	uint32_t tisn;
	uint32_t dek_id; /* its key's DEK while in the table, else 0; under its stripe's lock */
	const struct sim_tls_engine_ops *ops;
	void *st;
};

/* One entry of a DEK id's chain in the by-DEK index (possibly stale, see above). */
struct dek_link {
	struct sim_tls_ctx *ctx; /* a reference */
	struct dek_link *next;
};

static struct sim_tls_stripe *stripe_of(struct sim_dp *dp, uint32_t tisn)
{
	return &dp->tls_stripes[(uint32_t)(((uint64_t)tisn * 0x9e3779b97f4a7c15ull) >> 58) %
				SIM_TLS_STRIPES];
}

/*
 * tls_static_params (fact sheet 6): const_2 = 2, tls_version 2 (1.2) or 3 (1.3), const_1 = 1,
 * encryption_standard = 1 (TLS); reserved_at_8 (bits 8..27), reserved_at_20 (bytes 4..7),
 * reserved_at_100 (byte 32) and reserved_at_120 (bytes 36..63) zero. The other fields
 * (initial_record_number, resync_tcp_sn, gcm_iv, implicit_iv) are the engine's to interpret.
 */
bool sim_tls_static_params_valid(const uint8_t *p, bool *tls13)
{
	uint8_t version = (p[0] >> 2) & 0xf;

	if ((p[0] >> 6) != 2 || (p[0] & 3) != 1 || (version != 2 && version != 3))
		return false;
	if (p[1] || p[2] || (p[3] & 0xf0) || (p[3] & 0x0f) != 1)
		return false;
	if (p[4] || p[5] || p[6] || p[7] || p[32] || !sim_bytes_zero(p + 36, 28))
		return false;
	*tls13 = version == 3;
	return true;
}

/* The DEK's key, PD and owner, if dek_id is a live, keyed DEK (bulk elements included): one look
 * under the DEK locks, none under dev->lock. */
int sim_tls_dek_fetch(struct sim_dev *dev, uint32_t dek_id, uint8_t *key, size_t *key_len,
		      uint32_t *pd, uint16_t *uid)
{
	return sim_dek_fetch(dev, dek_id, key, key_len, pd, uid);
}

/* Fact sheet 5.3: one tls_cap bit per (version, key size), shared by TX and RX; the direction
 * itself needs tls_tx / tls_rx (5.2). */
bool sim_tls_suite_supported(const struct sim_dev *dev, bool rx, bool tls13, size_t key_len)
{
	uint8_t bit;

	if (key_len == 16)
		bit = tls13 ? SIM_TLS_1_3_AES_GCM_128 : SIM_TLS_1_2_AES_GCM_128;
	else
		bit = tls13 ? SIM_TLS_1_3_AES_GCM_256 : SIM_TLS_1_2_AES_GCM_256;
	return (rx ? dev->prof.tls_rx : dev->prof.tls_tx) && (dev->prof.tls_suites & bit);
}

static void ctx_free(struct sim_tls_ctx *ctx)
{
	if (ctx->st)
		ctx->ops->destroy(ctx->st);
	pthread_mutex_destroy(&ctx->lock);
	free(ctx);
}

static void ctx_release(struct sim_tls_ctx *ctx)
{
	/* acq_rel: the last holder sees every write the others made under the context's lock */
	if (atomic_fetch_sub_explicit(&ctx->refs, 1, memory_order_acq_rel) == 1)
		ctx_free(ctx);
}

/* ctx has left the table (its stripe's lock not held): wait for a WQE using it, end
 * its crypto state now (the key it holds is gone), and drop the table's reference. SQ caches
 * that still point at it see `dead` and look again (LIFETIME). */
static void ctx_kill(struct sim_tls_ctx *ctx)
{
	void *st;

	pthread_mutex_lock(&ctx->lock);
	ctx->dead = true;
	st = ctx->st;
	ctx->st = NULL;
	pthread_mutex_unlock(&ctx->lock);
	if (st)
		ctx->ops->destroy(st);
	ctx_release(ctx);
}

static struct sim_tls_ctx *ctx_new(const struct sim_tls_engine_ops *ops, uint32_t tisn)
{
	struct sim_tls_ctx *ctx = calloc(1, sizeof(*ctx));

	if (!ctx)
		return NULL;
	if (pthread_mutex_init(&ctx->lock, NULL)) {
		free(ctx);
		return NULL;
	}
	atomic_init(&ctx->refs, 1);
	ctx->tisn = tisn;
	ctx->ops = ops;
	ctx->st = ops->create();
	if (!ctx->st) {
		pthread_mutex_destroy(&ctx->lock);
		free(ctx);
		return NULL;
	}
	return ctx;
}

/* Make ctx (locked, with a reference taken for it) the SQ's cached context. */
static void cache_set(struct sim_tls_ctx **cache, struct sim_tls_ctx *ctx)
{
	struct sim_tls_ctx *old = *cache;

	*cache = ctx;
	if (old)
		ctx_release(old); /* if old is ctx itself, the table's reference remains */
}

/* tisn's context from its stripe, locked, cached in *cache; NULL if none. */
static struct sim_tls_ctx *lookup_locked_ctx(struct sim_dp *dp, struct sim_tls_ctx **cache,
					     uint32_t tisn)
{
	struct sim_tls_stripe *sp = stripe_of(dp, tisn);
	struct sim_tls_ctx *ctx;

	pthread_mutex_lock(&sp->lock);
	ctx = sim_objtab_get(&sp->tls, tisn);
	if (ctx) {
		atomic_fetch_add_explicit(&ctx->refs, 1, memory_order_relaxed);
		pthread_mutex_lock(&ctx->lock);
	}
	pthread_mutex_unlock(&sp->lock);
	if (ctx)
		cache_set(cache, ctx);
	return ctx;
}

/* Link ctx (its stripe's lock held) to dek_id in the held DEK's shard index: 0 or -ENOMEM. */
static int link_to_dek(struct sim_dp *dp, uint32_t shard, struct sim_tls_ctx *ctx,
		       uint32_t dek_id, struct dek_link *l)
{
	struct sim_objtab *idx = &dp->tls_by_dek[shard];
	struct dek_link *head = sim_objtab_get(idx, dek_id);

	l->ctx = ctx;
	if (head) {
		l->next = head->next; /* after the head: the table need not change */
		head->next = l;
	} else {
		l->next = NULL;
		if (sim_objtab_put(idx, dek_id, l))
			return -ENOMEM;
	}
	atomic_fetch_add_explicit(&ctx->refs, 1, memory_order_relaxed);
	ctx->dek_id = dek_id;
	return 0;
}

/* The checks static params make of their DEK (held) against the TIS: 0 or a vsynd. */
static int check_dek(struct sim_dev *dev, const struct sim_dek_hold *h, uint32_t tis_pd,
		     bool tls13, size_t key_len)
{
	/* Model choice: the DEK must live in the TIS's PD. Every driver creates them in the same PD
	 * (devx-userspace B6, fact sheet 4.1); the PRM text is not public. */
	if (h->d->pd != tis_pd)
		return SIM_VSYND_PD_MISMATCH;
	if (!sim_tls_suite_supported(dev, false, tls13, key_len))
		return SIM_VSYND_TLS_SUITE;
	return 0;
}

int sim_tls_ctx_static(struct sim_dev *dev, struct sim_dp *dp, const struct sim_tls_engine_ops *ops,
		       struct sim_tls_ctx **cache, uint32_t tisn, uint32_t tis_pd,
		       const uint8_t params[64])
{
	struct sim_tls_stripe *sp = stripe_of(dp, tisn);
	struct sim_tls_ctx *ctx, *gone = NULL, *fresh = NULL;
	uint8_t key[SIM_DEK_KEY_MAX];
	struct dek_link *link = NULL;
	struct sim_dek_hold h;
	uint32_t dek_id;
	bool tls13 = false;
	size_t key_len;
	int ret;

	if (!sim_tls_static_params_valid(params, &tls13))
		return SIM_VSYND_STATIC_PARAMS;
	dek_id = (uint32_t)params[33] << 16 | (uint32_t)params[34] << 8 | params[35];
	/* A queue's cache holding another TIS's context (or none) means a new connection on this
	 * TIS, whose context its last user's DEK took along: made before any lock is taken (the
	 * engine state is secret memory, allocated under the library's own lock), as is the link
	 * to its DEK. */
	if (ops && (!*cache || (*cache)->tisn != tisn))
		fresh = ctx_new(ops, tisn);
	link = malloc(sizeof(*link));
	/* Held from the key's copy to the link: the DEK cannot be re-keyed or destroyed in between,
	 * so a context is always found by the DEK its key came from. */
	if (sim_dek_hold(dev, dek_id, &h)) {
		ret = SIM_VSYND_DEK_INVALID;
		goto out_free;
	}
	key_len = sim_dek_hold_key(&h, key);
	ret = check_dek(dev, &h, tis_pd, tls13, key_len);
	if (!ret && !ops)
		ret = SIM_VSYND_TLS_ENGINE;
	if (ret)
		goto out_release;
	pthread_mutex_lock(&sp->lock);
	ctx = sim_objtab_get(&sp->tls, tisn);
	if (!ctx) {
		ctx = fresh ? fresh : ctx_new(ops, tisn);
		fresh = NULL; /* it is ctx now */
		if (ctx && sim_objtab_put(&sp->tls, tisn, ctx)) {
			fresh = ctx; /* never shared: freed below */
			ctx = NULL;
		}
	}
	if (ctx && ctx->dek_id != dek_id) {
		/* a link to the old DEK, if any, goes stale (skipped when that DEK goes) */
		if (!link || link_to_dek(dp, h.shard, ctx, dek_id, link)) {
			/* not findable by its DEK, so it would outlive the key: it goes now */
			sim_objtab_del(&sp->tls, tisn);
			ctx->dek_id = 0;
			gone = ctx;
			ctx = NULL;
		} else {
			link = NULL; /* in the index */
		}
	}
	if (ctx) {
		atomic_fetch_add_explicit(&ctx->refs, 1, memory_order_relaxed); /* the cache's */
		pthread_mutex_lock(&ctx->lock);
	}
	pthread_mutex_unlock(&sp->lock);
	if (gone)
		ctx_kill(gone);
	if (!ctx) {
		ret = SIM_VSYND_TLS_ENGINE;
		goto out_release;
	}
	sim_dek_release(dev, &h);
	cache_set(cache, ctx); /* the SET_PSV and data after it find it without a table lock */
	if (ctx->ops->set_static(ctx->st, params, key, key_len))
		ret = SIM_VSYND_TLS_ENGINE;
	pthread_mutex_unlock(&ctx->lock);
	goto out_free;
out_release:
	sim_dek_release(dev, &h);
out_free:
	if (fresh)
		ctx_free(fresh); /* not needed after all, or not put in the table */
	free(link);
	explicit_bzero(key, sizeof(key));
	return ret;
}

struct sim_tls_ctx *sim_tls_ctx_lock(struct sim_dp *dp, struct sim_tls_ctx **cache, uint32_t tisn)
{
	struct sim_tls_ctx *ctx = *cache;

	/* LIFETIME: the cache's reference keeps the record; `dead` says whether it is still the
	 * context the table gives for tisn */
	if (ctx && ctx->tisn == tisn) {
		pthread_mutex_lock(&ctx->lock);
		if (!ctx->dead)
			return ctx;
		pthread_mutex_unlock(&ctx->lock);
	}
	return lookup_locked_ctx(dp, cache, tisn);
}

void sim_tls_ctx_uncache(struct sim_tls_ctx **cache)
{
	if (*cache)
		ctx_release(*cache);
	*cache = NULL;
}

void sim_tls_ctx_unlock(struct sim_tls_ctx *ctx)
{
	pthread_mutex_unlock(&ctx->lock);
}

int sim_tls_ctx_progress(struct sim_tls_ctx *ctx, const uint8_t params[12])
{
	return ctx->ops->set_progress(ctx->st, params) ? SIM_VSYND_TLS_ENGINE : 0;
}

int sim_tls_ctx_dump(struct sim_tls_ctx *ctx, const uint8_t *data, size_t len)
{
	return ctx->ops->dump(ctx->st, data, len) ? SIM_VSYND_TLS_ENGINE : 0;
}

int sim_tls_ctx_data(struct sim_tls_ctx *ctx, uint32_t tcp_seq, uint8_t *payload, size_t len)
{
	return ctx->ops->data(ctx->st, tcp_seq, payload, len) ? SIM_VSYND_TLS_ENGINE : 0;
}

int sim_tls_ctx_data_to(struct sim_tls_ctx *ctx, uint32_t tcp_seq, const uint8_t *in,
			uint8_t *out, size_t len)
{
	if (!ctx->ops->data_to) {
		if (out != in)
			memcpy(out, in, len);
		return sim_tls_ctx_data(ctx, tcp_seq, out, len);
	}
	return ctx->ops->data_to(ctx->st, tcp_seq, in, out, len) ? SIM_VSYND_TLS_ENGINE : 0;
}

void sim_tls_ctx_drop(struct sim_dp *dp, uint32_t tisn)
{
	struct sim_tls_stripe *sp = stripe_of(dp, tisn);
	struct sim_tls_ctx *ctx;

	pthread_mutex_lock(&sp->lock);
	ctx = sim_objtab_del(&sp->tls, tisn); /* it cannot be found again */
	if (ctx)
		ctx->dek_id = 0; /* its link, if any, is stale now */
	pthread_mutex_unlock(&sp->lock);
	if (ctx)
		ctx_kill(ctx); /* dead before the DESTROY_TIS completes */
}

void sim_tls_ctx_deks_gone(struct sim_dp *dp, uint32_t shard, uint32_t first, uint32_t n)
{
	struct sim_objtab *idx = &dp->tls_by_dek[shard];

	for (uint32_t i = 0; i < n && idx->count; i++) {
		struct dek_link *l = sim_objtab_del(idx, first + i), *next;

		for (; l; l = next) {
			struct sim_tls_ctx *ctx = l->ctx;
			struct sim_tls_stripe *sp = stripe_of(dp, ctx->tisn);
			bool kill = false;

			next = l->next;
			pthread_mutex_lock(&sp->lock);
			if (ctx->dek_id == first + i) { /* not stale: in the table, keyed from it */
				sim_objtab_del(&sp->tls, ctx->tisn);
				ctx->dek_id = 0;
				kill = true;
			}
			pthread_mutex_unlock(&sp->lock);
			/* dead before the MODIFY/DESTROY of the DEK completes */
			if (kill)
				ctx_kill(ctx);
			ctx_release(ctx); /* the link's reference */
			free(l);
		}
	}
}

static bool ctx_any(const void *val, void *arg)
{
	(void)val;
	(void)arg;
	return true;
}

static void ctx_drop_cb(void *val, void *arg)
{
	struct sim_tls_ctx *ctx = val;

	(void)arg;
	ctx->dek_id = 0;
	ctx_kill(ctx); /* its links still hold it: they go below */
}

static void link_drop_cb(void *val, void *arg)
{
	struct dek_link *l = val, *next;

	(void)arg;
	for (; l; l = next) {
		next = l->next;
		ctx_release(l->ctx);
		free(l);
	}
}

int sim_tls_ctx_init(struct sim_dp *dp)
{
	uint32_t i, j;

	for (i = 0; i < SIM_TLS_STRIPES; i++) {
		if (sim_objtab_init(&dp->tls_stripes[i].tls))
			goto err;
		if (pthread_mutex_init(&dp->tls_stripes[i].lock, NULL)) {
			sim_objtab_fini(&dp->tls_stripes[i].tls);
			goto err;
		}
	}
	for (j = 0; j < SIM_DEK_SHARDS; j++)
		if (sim_objtab_init(&dp->tls_by_dek[j]))
			goto err_by_dek;
	return 0;

err_by_dek:
	while (j--)
		sim_objtab_fini(&dp->tls_by_dek[j]);
err:
	while (i--) {
		pthread_mutex_destroy(&dp->tls_stripes[i].lock);
		sim_objtab_fini(&dp->tls_stripes[i].tls);
	}
	return -ENOMEM;
}

void sim_tls_ctx_destroy_all(struct sim_dp *dp)
{
	/* every SQ is gone (no cache holds a context): after the tables and the links, none is
	 * left */
	for (uint32_t i = 0; i < SIM_TLS_STRIPES; i++) {
		sim_objtab_remove_if(&dp->tls_stripes[i].tls, ctx_any, ctx_drop_cb, NULL);
		sim_objtab_fini(&dp->tls_stripes[i].tls);
		pthread_mutex_destroy(&dp->tls_stripes[i].lock);
	}
	for (uint32_t j = 0; j < SIM_DEK_SHARDS; j++) {
		sim_objtab_remove_if(&dp->tls_by_dek[j], ctx_any, link_drop_cb, NULL);
		sim_objtab_fini(&dp->tls_by_dek[j]);
	}
}

/* ---- the built-in engine (sim/tls_tx.c) ---- */

const struct sim_tls_engine_ops *sim_tls_engine_builtin(void)
{
	return &sim_tls_tx_engine_ops;
}
