/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Protection domains and transport domains (fact sheet 4.4): numbered, owned by a uid, counted
 * against their log_max_* limit, and pinned while a TIS, TIR or DEK names them (deallocating an
 * object with live dependents fails: STYLE.md 2, BAD_RES_STATE).
 *
 * Locks: the tables change under dev->lock and dev->dom_lock (write). Commands under dev->lock
 * read them as they are, and count the TISes and DEKs naming a domain in refs. TIRs are not
 * counted: CREATE_TIR, which runs without dev->lock, looks its TD up under dom_lock (read: its
 * thread's slot only, brlock.h) and keeps it held until its TIR is in the TIR table
 * (sim_td_hold_begin/end), and DEALLOC_TD, with dom_lock held for writing, asks the TIR table
 * whether a TIR names the TD (sim_tir_names_td): it sees every TIR made before it and none can
 * be made meanwhile. So threads making TIRs on one TD share no count (a cache line passed
 * between their cores twice per TIR); DEALLOC_TD, a rare command, walks the TIRs instead.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "prm/mlx5_ifc_tls.h"
#include "sim/sim_internal.h"

struct sim_domain {
	uint32_t num;
	uint16_t uid;
	_Atomic uint32_t refs; /* TISes, TIRs and DEK objects naming it */
};

/* What differs between the two kinds. */
struct domain_kind {
	size_t tab_offset;    /* struct sim_objtab in sim_dev */
	size_t cursor_offset; /* uint32_t in sim_dev */
	size_t count_offset;  /* uint32_t in sim_dev_stats */
	size_t log_max_offset; /* uint8_t in sim_profile */
	uint32_t first_num;
	enum sim_syndrome unknown, not_owned, in_use, limit;
};

static const struct domain_kind pd_kind = {
	offsetof(struct sim_dev, pds), offsetof(struct sim_dev, pd_cursor),
	offsetof(struct sim_dev_stats, pds), offsetof(struct sim_profile, log_max_pd),
	SIM_PD_NUM_FIRST, SIM_SYND_PD_UNKNOWN, SIM_SYND_PD_NOT_OWNED, SIM_SYND_PD_IN_USE,
	SIM_SYND_PD_LIMIT,
};

static const struct domain_kind td_kind = {
	offsetof(struct sim_dev, tds), offsetof(struct sim_dev, td_cursor),
	offsetof(struct sim_dev_stats, tds), offsetof(struct sim_profile, log_max_transport_domain),
	SIM_TD_NUM_FIRST, SIM_SYND_TD_UNKNOWN, SIM_SYND_TD_NOT_OWNED, SIM_SYND_TD_IN_USE,
	SIM_SYND_TD_LIMIT,
};

static struct sim_objtab *kind_tab(struct sim_dev *dev, const struct domain_kind *k)
{
	return (struct sim_objtab *)((char *)dev + k->tab_offset);
}

static uint32_t *kind_count(struct sim_dev *dev, const struct domain_kind *k)
{
	return (uint32_t *)((char *)&dev->stats + k->count_offset);
}

static int domain_alloc(struct sim_cmd *c, const struct domain_kind *k)
{
	struct sim_dev *dev = c->dev;
	struct sim_objtab *tab = kind_tab(dev, k);
	uint32_t *cursor = (uint32_t *)((char *)dev + k->cursor_offset);
	uint8_t log_max = *((const uint8_t *)&dev->prof + k->log_max_offset);
	struct sim_domain *d = NULL;
	uint32_t num;
	int ret;

	/* Fact sheet 5.2: at most 2^log_max_* live objects of the kind on the device. */
	if (*kind_count(dev, k) >= (1ull << log_max))
		return sim_reject(c, k->limit);
	if (sim_objtab_alloc_num(tab, cursor, k->first_num, SIM_OBJ_NUM_LIMIT, &num))
		return sim_reject(c, SIM_SYND_NUMBER_SPACE_EXHAUSTED);
	d = calloc(1, sizeof(*d));
	if (!d)
		return sim_reject(c, SIM_SYND_MODEL_NO_MEMORY);
	d->num = num;
	d->uid = c->uid;
	sim_brlock_wrlock(&dev->dom_lock);
	ret = sim_objtab_put(tab, num, d);
	sim_brlock_wrunlock(&dev->dom_lock);
	if (ret) {
		free(d);
		return sim_reject(c, SIM_SYND_MODEL_NO_MEMORY);
	}
	(*kind_count(dev, k))++;
	/* pd and transport_domain both sit at bit 0x48 of their out structs (fact sheet 4.4). */
	DEVX_SET(obj_num_out, c->out, obj_num, num);
	return 0;
}

static int domain_lookup(struct sim_cmd *c, const struct domain_kind *k, uint32_t num,
			 struct sim_domain **out)
{
	struct sim_domain *d = sim_objtab_get(kind_tab(c->dev, k), num);

	if (!d)
		return sim_reject(c, k->unknown);
	if (d->uid != c->uid)
		return sim_reject(c, k->not_owned);
	*out = d;
	return 0;
}

static int domain_dealloc(struct sim_cmd *c, const struct domain_kind *k)
{
	uint32_t num = DEVX_GET(obj_num_in, c->in, obj_num);
	struct sim_domain *d = NULL;

	if (domain_lookup(c, k, num, &d))
		return -1;
	/* under dom_lock (write): CREATE_TIR holds it (read) from its look-up to its TIR's insert */
	sim_brlock_wrlock(&c->dev->dom_lock);
	if (atomic_load_explicit(&d->refs, memory_order_relaxed) ||
	    (k == &td_kind && sim_tir_names_td(c->dev, num))) {
		sim_brlock_wrunlock(&c->dev->dom_lock);
		return sim_reject(c, k->in_use);
	}
	sim_objtab_del(kind_tab(c->dev, k), num);
	sim_brlock_wrunlock(&c->dev->dom_lock);
	(*kind_count(c->dev, k))--;
	free(d);
	return 0;
}

static void domain_ref(struct sim_dev *dev, const struct domain_kind *k, uint32_t num, int delta)
{
	struct sim_domain *d = sim_objtab_get(kind_tab(dev, k), num);

	/* Under dev->lock, as every writer of the table: callers only pass numbers they checked
	 * (or recorded) while it was held. */
	if (d)
		atomic_fetch_add_explicit(&d->refs, (uint32_t)delta, memory_order_relaxed);
}

struct owned_ctx {
	struct sim_dev *dev;
	const struct domain_kind *kind;
	int uid;
};

static bool domain_is_owned(const void *val, void *ctx)
{
	const struct owned_ctx *o = ctx;
	const struct sim_domain *d = val;

	return o->uid == SIM_UID_ALL || d->uid == o->uid;
}

static void domain_drop(void *val, void *ctx)
{
	const struct owned_ctx *o = ctx;

	(*kind_count(o->dev, o->kind))--;
	free(val);
}

static void domain_destroy_owned(struct sim_dev *dev, const struct domain_kind *k, int uid)
{
	struct owned_ctx o = { dev, k, uid };

	sim_brlock_wrlock(&dev->dom_lock);
	sim_objtab_remove_if(kind_tab(dev, k), domain_is_owned, domain_drop, &o);
	sim_brlock_wrunlock(&dev->dom_lock);
}

int sim_cmd_alloc_pd(struct sim_cmd *c)
{
	return domain_alloc(c, &pd_kind);
}

int sim_cmd_dealloc_pd(struct sim_cmd *c)
{
	return domain_dealloc(c, &pd_kind);
}

int sim_cmd_alloc_td(struct sim_cmd *c)
{
	return domain_alloc(c, &td_kind);
}

int sim_cmd_dealloc_td(struct sim_cmd *c)
{
	return domain_dealloc(c, &td_kind);
}

int sim_pd_check(struct sim_cmd *c, uint32_t num)
{
	struct sim_domain *d = NULL;

	return domain_lookup(c, &pd_kind, num, &d);
}

int sim_td_check(struct sim_cmd *c, uint32_t num)
{
	struct sim_domain *d = NULL;

	return domain_lookup(c, &td_kind, num, &d);
}

int sim_td_hold_begin(struct sim_cmd *c, uint32_t num, unsigned int *slot)
{
	struct sim_domain *d = NULL;

	*slot = sim_brlock_rdlock(&c->dev->dom_lock);
	if (domain_lookup(c, &td_kind, num, &d)) {
		sim_brlock_rdunlock(&c->dev->dom_lock, *slot);
		return -1;
	}
	return 0;
}

void sim_td_hold_end(struct sim_dev *dev, unsigned int slot)
{
	sim_brlock_rdunlock(&dev->dom_lock, slot);
}

void sim_pd_ref(struct sim_dev *dev, uint32_t num, int delta)
{
	domain_ref(dev, &pd_kind, num, delta);
}

void sim_td_ref(struct sim_dev *dev, uint32_t num, int delta)
{
	domain_ref(dev, &td_kind, num, delta);
}

void sim_pd_destroy_owned(struct sim_dev *dev, int uid)
{
	domain_destroy_owned(dev, &pd_kind, uid);
}

void sim_td_destroy_owned(struct sim_dev *dev, int uid)
{
	domain_destroy_owned(dev, &td_kind, uid);
}
