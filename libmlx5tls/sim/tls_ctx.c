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
 * Locks: dp->tls_lock covers the two tables (by TIS, by DEK) and nothing else; each context has
 * its own lock, held across every engine call. Order: dev->lock, then dev->dek_lock and a DEK
 * shard (the DEK hooks run under them), then dp->tls_lock, then a context; nothing here takes a
 * device or DEK lock while holding tls_lock or a context (the DEK is fetched first).
 *
 * LIFETIME. A WQE does not look its TIS's context up in the table: each send queue keeps the
 * context of the last TIS its TLS WQEs named (sq->tls_ctx, under the SQ's proc_lock) and holds a
 * reference on it. A context's record therefore lives while the table or any SQ's cache refers
 * to it (refs), but its crypto state does not: a drop (TIS destroyed, DEK re-keyed or destroyed)
 * takes it out of the table, then under its lock marks it dead and frees the engine state (the
 * key copy goes with the key). An SQ whose cached context is dead, or of another TIS, looks the
 * TIS up again under tls_lock; so a context in the table is exactly a context not dead, and a
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
	_Atomic uint32_t refs; /* the table's (while in it) + one per SQ caching it */
	bool dead;            /* out of the table: its engine state is gone (LIFETIME) */
	uint32_t tisn;
	uint32_t dek_id;                /* its key's DEK, 0 before the first static params */
	struct sim_tls_ctx *dek_next;   /* the chain of contexts keyed from dek_id (dp->tls_by_dek) */
	const struct sim_tls_engine_ops *ops;
	void *st;
};

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

/* ctx has left the table (tls_lock held, or ctx was never shared): wait for a WQE using it, end
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

/* Take ctx off its DEK's chain (dp->tls_lock held). Chains are one context long unless several
 * TISes share a DEK. */
static void dek_unlink(struct sim_dp *dp, struct sim_tls_ctx *ctx)
{
	struct sim_tls_ctx *head = ctx->dek_id ? sim_objtab_get(&dp->tls_by_dek, ctx->dek_id) : NULL;

	if (head == ctx) {
		if (ctx->dek_next)
			(void)sim_objtab_replace(&dp->tls_by_dek, ctx->dek_id, ctx->dek_next);
		else
			sim_objtab_del(&dp->tls_by_dek, ctx->dek_id);
	} else {
		for (; head && head->dek_next != ctx; head = head->dek_next)
			;
		if (head)
			head->dek_next = ctx->dek_next;
	}
	ctx->dek_id = 0;
	ctx->dek_next = NULL;
}

/* Put ctx on dek_id's chain (dp->tls_lock held). 0 or -ENOMEM (then on no chain). */
static int dek_link(struct sim_dp *dp, struct sim_tls_ctx *ctx, uint32_t dek_id)
{
	struct sim_tls_ctx *head;

	if (ctx->dek_id == dek_id)
		return 0;
	dek_unlink(dp, ctx);
	head = sim_objtab_get(&dp->tls_by_dek, dek_id);
	if (head) {
		ctx->dek_next = head->dek_next;
		head->dek_next = ctx;
	} else if (sim_objtab_put(&dp->tls_by_dek, dek_id, ctx)) {
		return -ENOMEM;
	}
	ctx->dek_id = dek_id;
	return 0;
}

/* Make ctx (locked, with a reference taken for it) the SQ's cached context. */
static void cache_set(struct sim_tls_ctx **cache, struct sim_tls_ctx *ctx)
{
	struct sim_tls_ctx *old = *cache;

	*cache = ctx;
	if (old)
		ctx_release(old); /* if old is ctx itself, the table's reference remains */
}

/* tisn's context from the table, locked, cached in *cache (tls_lock not held); NULL if none. */
static struct sim_tls_ctx *lookup_locked_ctx(struct sim_dp *dp, struct sim_tls_ctx **cache,
					     uint32_t tisn)
{
	struct sim_tls_ctx *ctx;

	pthread_mutex_lock(&dp->tls_lock);
	ctx = sim_objtab_get(&dp->tls, tisn);
	if (ctx) {
		atomic_fetch_add_explicit(&ctx->refs, 1, memory_order_relaxed);
		pthread_mutex_lock(&ctx->lock);
	}
	pthread_mutex_unlock(&dp->tls_lock);
	if (ctx)
		cache_set(cache, ctx);
	return ctx;
}

int sim_tls_ctx_static(struct sim_dev *dev, struct sim_dp *dp, const struct sim_tls_engine_ops *ops,
		       struct sim_tls_ctx **cache, uint32_t tisn, uint32_t tis_pd,
		       const uint8_t params[64])
{
	uint8_t key[SIM_DEK_KEY_MAX];
	size_t key_len = 0;
	uint32_t dek_pd = 0, dek_id;
	uint16_t dek_uid = 0;
	struct sim_tls_ctx *ctx, *gone = NULL, *fresh = NULL;
	bool tls13 = false;
	int ret = 0;

	if (!sim_tls_static_params_valid(params, &tls13))
		return SIM_VSYND_STATIC_PARAMS;
	dek_id = (uint32_t)params[33] << 16 | (uint32_t)params[34] << 8 | params[35];
	if (sim_tls_dek_fetch(dev, dek_id, key, &key_len, &dek_pd, &dek_uid))
		return SIM_VSYND_DEK_INVALID;
	/* Model choice: the DEK must live in the TIS's PD. Every driver creates them in the same PD
	 * (devx-userspace B6, fact sheet 4.1); the PRM text is not public. */
	if (dek_pd != tis_pd) {
		ret = SIM_VSYND_PD_MISMATCH;
		goto out;
	}
	if (!sim_tls_suite_supported(dev, false, tls13, key_len)) {
		ret = SIM_VSYND_TLS_SUITE;
		goto out;
	}
	if (!ops) {
		ret = SIM_VSYND_TLS_ENGINE;
		goto out;
	}
	/* A queue's cache holding another TIS's context (or none) means a new connection on this
	 * TIS, whose context its last user's DEK took along: made here, outside tls_lock (the
	 * engine state is secret memory, allocated under the library's own lock). */
	if (!*cache || (*cache)->tisn != tisn)
		fresh = ctx_new(ops, tisn);
	/* Under tls_lock throughout: the DEK chain changes with it (a later re-key of dek_id must
	 * find this context). */
	pthread_mutex_lock(&dp->tls_lock);
	ctx = sim_objtab_get(&dp->tls, tisn);
	if (!ctx) {
		ctx = fresh ? fresh : ctx_new(ops, tisn);
		fresh = NULL; /* it is ctx now */
		if (ctx && sim_objtab_put(&dp->tls, tisn, ctx)) {
			fresh = ctx; /* never shared: freed below */
			ctx = NULL;
		}
	}
	if (ctx && dek_link(dp, ctx, dek_id)) {
		/* not findable by its DEK, so it would outlive the key: it goes now */
		sim_objtab_del(&dp->tls, tisn);
		dek_unlink(dp, ctx);
		gone = ctx;
		ctx = NULL;
	}
	if (ctx) {
		atomic_fetch_add_explicit(&ctx->refs, 1, memory_order_relaxed);
		pthread_mutex_lock(&ctx->lock);
	}
	pthread_mutex_unlock(&dp->tls_lock);
	if (fresh)
		ctx_free(fresh); /* not needed after all, or not put in the table */
	if (gone)
		ctx_kill(gone);
	if (!ctx) {
		ret = SIM_VSYND_TLS_ENGINE;
		goto out;
	}
	cache_set(cache, ctx); /* the SET_PSV and data after it find it without tls_lock */
	if (ctx->ops->set_static(ctx->st, params, key, key_len))
		ret = SIM_VSYND_TLS_ENGINE;
	pthread_mutex_unlock(&ctx->lock);
out:
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
	struct sim_tls_ctx *ctx;

	pthread_mutex_lock(&dp->tls_lock);
	ctx = sim_objtab_del(&dp->tls, tisn); /* it cannot be found again */
	if (ctx)
		dek_unlink(dp, ctx);
	pthread_mutex_unlock(&dp->tls_lock);
	if (ctx)
		ctx_kill(ctx); /* dead before the DESTROY_TIS completes */
}

void sim_tls_ctx_deks_gone(struct sim_dp *dp, uint32_t first, uint32_t n)
{
	struct sim_tls_ctx *gone = NULL, *ctx, *next;

	pthread_mutex_lock(&dp->tls_lock);
	for (uint32_t i = 0; i < n && dp->tls_by_dek.count; i++) {
		for (ctx = sim_objtab_del(&dp->tls_by_dek, first + i); ctx; ctx = next) {
			next = ctx->dek_next;
			sim_objtab_del(&dp->tls, ctx->tisn); /* it cannot be found again */
			ctx->dek_id = 0;
			ctx->dek_next = gone;
			gone = ctx;
		}
	}
	pthread_mutex_unlock(&dp->tls_lock);
	/* dead before the MODIFY/DESTROY of the DEK completes */
	for (ctx = gone; ctx; ctx = next) {
		next = ctx->dek_next;
		ctx_kill(ctx);
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
	(void)arg;
	ctx_kill(val); /* every SQ is gone, so this is the last reference */
}

void sim_tls_ctx_destroy_all(struct sim_dp *dp)
{
	sim_objtab_remove_if(&dp->tls, ctx_any, ctx_drop_cb, NULL);
}

/* ---- the built-in engine (sim/tls_tx.c) ---- */

const struct sim_tls_engine_ops *sim_tls_engine_builtin(void)
{
	return &sim_tls_tx_engine_ops;
}
