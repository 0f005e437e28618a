/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * TIS objects (fact sheet 4.1, 4.2): CREATE/MODIFY/QUERY/DESTROY_TIS. The model keeps what the TLS
 * TX engine needs from the tisc (tls_en, pd, transport_domain) plus prio, in a hash table by
 * number, so a million TISes cost one small record each and lookups are O(1).
 *
 * Locks: the commands run under dev->lock, which orders every change of the table; the changes
 * themselves (put, del) also take dev->tis_lock for writing, so that the send queues' look-ups
 * (sim_tis_get, sim_tis_get_cached on a miss) read the table under tis_lock for reading alone:
 * a queue's first WQE through another TIS does not wait for another queue's firmware command.
 * A record leaves the table before tis_gen is bumped and it is freed (tis_free), so a reader
 * that found it under tis_lock read the generation it caches before the bump.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "prm/mlx5_ifc_tls.h"
#include "sim/sim_internal.h"

struct sim_tis {
	uint32_t num;
	uint16_t uid;
	uint8_t tls_en;
	uint8_t prio;
	uint32_t td;
	uint32_t pd; /* 0 = none */
};

static int tis_lookup(struct sim_cmd *c, uint32_t tisn, struct sim_tis **out)
{
	struct sim_tis *t = sim_objtab_get(&c->dev->tises, tisn);

	if (!t)
		return sim_reject(c, SIM_SYND_TIS_UNKNOWN);
	if (t->uid != c->uid)
		return sim_reject(c, SIM_SYND_TIS_NOT_OWNED);
	*out = t;
	return 0;
}

int sim_cmd_create_tis(struct sim_cmd *c)
{
	struct sim_dev *dev = c->dev;
	const void *ctx = DEVX_ADDR_OF(create_tis_in, c->in, ctx);
	uint32_t tls_en = DEVX_GET(tisc, ctx, tls_en);
	uint32_t td = DEVX_GET(tisc, ctx, transport_domain);
	uint32_t pd = DEVX_GET(tisc, ctx, pd);
	struct sim_tis *t = NULL;
	uint32_t num;

	/* Understood, not modelled: the model has one port and no underlay QP. */
	if (DEVX_GET(tisc, ctx, strict_lag_tx_port_affinity) ||
	    DEVX_GET(tisc, ctx, lag_tx_port_affinity))
		return sim_reject(c, SIM_SYND_TIS_LAG_AFFINITY_SET);
	if (DEVX_GET(tisc, ctx, underlay_qpn))
		return sim_reject(c, SIM_SYND_TIS_UNDERLAY_QPN_SET);
	if (tls_en && !dev->prof.tls_tx)
		return sim_reject(c, SIM_SYND_TIS_TLS_UNSUPPORTED);
	/* Fact sheet 4.1: a TLS TIS carries the PD its DEKs live in (the kernel always sets it). */
	if (tls_en && !pd)
		return sim_reject(c, SIM_SYND_TIS_TLS_WITHOUT_PD);
	/* Model choice: the transport domain is mandatory (every driver sets it, fact sheet 4.1 and
	 * devx-userspace B2 step 4); 0 names no TD and is BAD_RES like any unknown number. */
	if (sim_td_check(c, td))
		return -1;
	if (pd && sim_pd_check(c, pd))
		return -1;
	if (dev->stats.tises >= (1ull << dev->prof.log_max_tis))
		return sim_reject(c, SIM_SYND_TIS_LIMIT);
	if (sim_objtab_alloc_num(&dev->tises, &dev->tis_cursor, SIM_TIS_NUM_FIRST,
				 SIM_OBJ_NUM_LIMIT, &num))
		return sim_reject(c, SIM_SYND_NUMBER_SPACE_EXHAUSTED);
	t = calloc(1, sizeof(*t));
	if (!t)
		return sim_reject(c, SIM_SYND_MODEL_NO_MEMORY);
	t->num = num;
	t->uid = c->uid;
	t->tls_en = (uint8_t)tls_en;
	t->prio = (uint8_t)DEVX_GET(tisc, ctx, prio);
	t->td = td;
	t->pd = pd;
	pthread_rwlock_wrlock(&dev->tis_lock);
	if (sim_objtab_put(&dev->tises, num, t)) {
		pthread_rwlock_unlock(&dev->tis_lock);
		free(t);
		return sim_reject(c, SIM_SYND_MODEL_NO_MEMORY);
	}
	pthread_rwlock_unlock(&dev->tis_lock);
	sim_td_ref(dev, td, 1);
	if (pd)
		sim_pd_ref(dev, pd, 1);
	dev->stats.tises++;
	DEVX_SET(create_tis_out, c->out, tisn, num);
	return 0;
}

int sim_cmd_modify_tis(struct sim_cmd *c)
{
	struct sim_tis *t = NULL;

	/* Only prio is modifiable here; the LAG bits name fields the model does not implement.
	 * Fields the bitmask does not select are ignored, as firmware does. */
	if (DEVX_GET(modify_tis_in, c->in, bitmask.lag_tx_port_affinity) ||
	    DEVX_GET(modify_tis_in, c->in, bitmask.strict_lag_tx_port_affinity))
		return sim_reject(c, SIM_SYND_TIS_MODIFY_FIELD_UNSUPPORTED);
	if (tis_lookup(c, DEVX_GET(modify_tis_in, c->in, tisn), &t))
		return -1;
	if (DEVX_GET(modify_tis_in, c->in, bitmask.prio))
		t->prio = (uint8_t)DEVX_GET(modify_tis_in, c->in, ctx.prio);
	return 0;
}

int sim_cmd_query_tis(struct sim_cmd *c)
{
	void *ctx = DEVX_ADDR_OF(query_tis_out, c->out, tis_context);
	struct sim_tis *t = NULL;

	if (tis_lookup(c, DEVX_GET(query_tis_in, c->in, tisn), &t))
		return -1;
	DEVX_SET(tisc, ctx, tls_en, t->tls_en);
	DEVX_SET(tisc, ctx, prio, t->prio);
	DEVX_SET(tisc, ctx, transport_domain, t->td);
	DEVX_SET(tisc, ctx, pd, t->pd);
	return 0;
}

static void tis_free(struct sim_dev *dev, struct sim_tis *t)
{
	/* before it goes: a send queue that reads the old generation has looked it up earlier */
	atomic_fetch_add_explicit(&dev->tis_gen, 1, memory_order_release);
	/* the TIS's TLS crypto state dies with it, so a later TIS reusing the number starts clean */
	sim_dp_tis_destroyed_locked(dev, t->num);
	sim_td_ref(dev, t->td, -1);
	if (t->pd)
		sim_pd_ref(dev, t->pd, -1);
	dev->stats.tises--;
	free(t);
}

int sim_cmd_destroy_tis(struct sim_cmd *c)
{
	uint32_t tisn = DEVX_GET(destroy_tis_in, c->in, tisn);
	struct sim_tis *t = NULL;

	if (tis_lookup(c, tisn, &t))
		return -1;
	pthread_rwlock_wrlock(&c->dev->tis_lock);
	sim_objtab_del(&c->dev->tises, tisn);
	pthread_rwlock_unlock(&c->dev->tis_lock);
	tis_free(c->dev, t);
	return 0;
}

struct owned_ctx {
	struct sim_dev *dev;
	int uid;
};

static bool tis_is_owned(const void *val, void *ctx)
{
	const struct owned_ctx *o = ctx;
	const struct sim_tis *t = val;

	return o->uid == SIM_UID_ALL || t->uid == o->uid;
}

static void tis_drop(void *val, void *ctx)
{
	const struct owned_ctx *o = ctx;

	tis_free(o->dev, val);
}

void sim_tis_destroy_owned(struct sim_dev *dev, int uid)
{
	struct owned_ctx o = { dev, uid };

	/* tis_drop runs with tis_lock held: it takes the datapath's TLS locks, which nest inside */
	pthread_rwlock_wrlock(&dev->tis_lock);
	sim_objtab_remove_if(&dev->tises, tis_is_owned, tis_drop, &o);
	pthread_rwlock_unlock(&dev->tis_lock);
}

int sim_tis_get(struct sim_dev *dev, uint32_t tisn, int *tls_en, uint32_t *pd, uint32_t *td)
{
	const struct sim_tis *t;
	int ret = -ENOENT;

	if (!dev)
		return -EINVAL;
	pthread_rwlock_rdlock(&dev->tis_lock);
	t = sim_objtab_get(&dev->tises, tisn);
	if (t) {
		if (tls_en)
			*tls_en = t->tls_en;
		if (pd)
			*pd = t->pd;
		if (td)
			*td = t->td;
		ret = 0;
	}
	pthread_rwlock_unlock(&dev->tis_lock);
	return ret;
}

int sim_tis_get_cached(struct sim_dev *dev, struct sim_tis_cache *c, uint32_t tisn, int *tls_en,
		       uint32_t *pd)
{
	const struct sim_tis *t;
	int ret = -ENOENT;

	if (c->tisn == tisn && tisn &&
	    c->gen == atomic_load_explicit(&dev->tis_gen, memory_order_acquire)) {
		*tls_en = c->tls_en;
		*pd = c->pd;
		return 0;
	}
	pthread_rwlock_rdlock(&dev->tis_lock);
	t = sim_objtab_get(&dev->tises, tisn);
	if (t) {
		*tls_en = t->tls_en;
		*pd = t->pd;
		*c = (struct sim_tis_cache){ .tisn = tisn, .pd = t->pd, .tls_en = t->tls_en,
					    .gen = atomic_load_explicit(&dev->tis_gen,
									memory_order_relaxed) };
		ret = 0;
	}
	pthread_rwlock_unlock(&dev->tis_lock);
	return ret;
}
