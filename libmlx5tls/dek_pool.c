/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DEK pool (fact sheet 12). Creating a DEK object costs firmware a context allocation; loading a
 * key into an element of a pre-created bulk (MODIFY) does not (fact sheet 12.6). So the pool
 * creates bulks of 2^min(12, log_dek_max_alloc) keyless DEKs and hands out elements loaded with
 * MODIFY. The NIC caches DEKs, so a freed element may be re-keyed only after a SYNC_CRYPTO has
 * flushed those caches (fact sheet 3.6); SYNC is batched: it is issued when no ready element is
 * left and at least `sync_threshold` (kernel: 128) freed elements wait, or when the device is out
 * of DEK space. After a sync only one idle bulk is kept (fact sheet 12.5).
 *
 * Every allocate/free path is O(1) in the number of bulks and elements: each bulk keeps its
 * element numbers in one array, ready ones stacked from the bottom (the most recently synced on
 * top, whose cache lines in the device's key store are still warm) and freed ones awaiting the
 * sync stacked from the top; the pool links the bulks with ready elements (avail), those with
 * freed elements awaiting a sync (dirty: a sync visits only those) and those with nothing in use
 * (idle: the candidates for destruction after a sync).
 * Without SYNC_CRYPTO support elements are used once; a bulk whose elements are all used and freed
 * is destroyed. Without bulk support every DEK is a single CREATE/DESTROY (fact sheet 12.1).
 */
#include <stdlib.h>
#include <string.h>

#include "dek_cmd.h"
#include "dlist.h"
#include "inspect.h"

#define DEK_POOL_MAX_LOG_BULK 12     /* fact sheet 12.1: min(12, log_dek_max_alloc) */
#define DEK_POOL_SYNC_THRESHOLD 128  /* fact sheet 12.4: MLX5_CRYPTO_DEK_POOL_SYNC_THRESH */

/* A bulk's elements are each in exactly one state: ready (keyless or synced since its last use),
 * in use, or freed awaiting SYNC_CRYPTO (fact sheet 12.4); ready + in_use + awaiting = size. */
struct dek_bulk {
	struct mlx5tls_xobj *obj;
	uint32_t base;
	uint32_t size;
	uint32_t ready;     /* slots[0, ready): ready elements, the next one taken is on top */
	uint32_t awaiting;  /* slots[size - awaiting, size): freed since the last sync, newest lowest */
	uint32_t in_use;
	uint32_t *slots;    /* element numbers (offsets from base) */
	struct dek_bulk *next, **pprev;             /* pool->bulks: all */
	struct dek_bulk *avail_next, **avail_pprev; /* pool->avail: ready > 0 */
	struct dek_bulk *dirty_next, **dirty_pprev; /* pool->dirty: awaiting > 0 */
	struct dek_bulk *idle_next, **idle_pprev;   /* pool->idle: in_use == 0 */
};

struct mlx5tls_dek_pool {
	struct mlx5tls_pd *pd;
	pthread_mutex_t lock;
	bool bulk;
	bool reuse;
	unsigned int log_bulk;
	uint32_t sync_threshold;
	uint64_t max_deks;
	struct dek_bulk *bulks;
	struct dek_bulk *avail;
	struct dek_bulk *dirty;
	struct dek_bulk *idle;
	uint32_t nr_bulks;
	uint64_t in_use;
	uint64_t ready;
	uint64_t awaiting_sync;
	struct mlx5tls_dek_pool_stats stats;
	struct mlx5tls_dek_pool *insp_next; /* the device's pools (dev->insp_lock) */
};

struct mlx5tls_xobj *dek_bulk_obj(const struct mlx5tls_dek *dek)
{
	return dek->bulk->obj;
}

static int bulk_create(struct mlx5tls_dek_pool *pool, struct dek_bulk **out)
{
	uint8_t in[DEK_CREATE_IN_SZ] = { 0 };
	uint8_t cmd_out[DEK_HDR_OUT_SZ] = { 0 };
	struct mlx5tls_device *dev = pool->pd->dev;
	struct dek_bulk *b = calloc(1, sizeof(*b));
	int ret;

	if (!b)
		return -ENOMEM;
	b->size = 1u << pool->log_bulk;
	b->slots = malloc(b->size * sizeof(*b->slots));
	if (!b->slots) {
		ret = -ENOMEM;
		goto err;
	}
	/* element 0 on top: a fresh bulk hands out base, base + 1, ... */
	for (uint32_t i = 0; i < b->size; i++)
		b->slots[i] = b->size - 1 - i;
	dek_encode_create_bulk(in, pool->pd->pdn, pool->log_bulk);
	ret = cmd_exec(dev, CMD_CREATE, NULL, &b->obj, in, sizeof(in), cmd_out, sizeof(cmd_out),
		       NULL);
	if (ret)
		goto err;
	/* fact sheet 3.5: a range create returns the base id; element i is base + i */
	b->base = DEVX_GET(general_obj_out_cmd_hdr, cmd_out, obj_id);
	b->ready = b->size;
	DLIST_INSERT_HEAD(&pool->bulks, b, next, pprev);
	DLIST_INSERT_HEAD(&pool->avail, b, avail_next, avail_pprev);
	DLIST_INSERT_HEAD(&pool->idle, b, idle_next, idle_pprev);
	pool->nr_bulks++;
	pool->ready += b->size;
	pool->stats.bulk_creates++;
	counter_inc(dev, MLX5TLS_CNT_DEK_BULK_ALLOC);
	*out = b;
	return 0;
err:
	free(b->slots);
	free(b);
	return ret;
}

/* Unlinks and frees b once firmware has destroyed it; on failure b stays in the pool. */
static int bulk_destroy(struct mlx5tls_dek_pool *pool, struct dek_bulk *b)
{
	uint8_t in[DEK_HDR_IN_SZ] = { 0 };
	uint8_t out[DEK_HDR_OUT_SZ] = { 0 };
	struct mlx5tls_device *dev = pool->pd->dev;
	int ret;

	dek_encode_destroy(in, b->base);
	ret = cmd_exec(dev, CMD_DESTROY, b->obj, NULL, in, sizeof(in), out, sizeof(out), NULL);
	if (ret) {
		pr_warn("DEK bulk 0x%x: destroy failed (%d)\n", b->base, ret);
		return ret;
	}
	DLIST_REMOVE(b, next, pprev);
	DLIST_REMOVE(b, avail_next, avail_pprev);
	DLIST_REMOVE(b, dirty_next, dirty_pprev);
	DLIST_REMOVE(b, idle_next, idle_pprev);
	pool->nr_bulks--;
	pool->ready -= b->ready;
	pool->awaiting_sync -= b->awaiting;
	pool->stats.bulk_destroys++;
	counter_inc(dev, MLX5TLS_CNT_DEK_BULK_FREE);
	free(b->slots);
	free(b);
	return 0;
}

/* The freed elements of b become ready, the most recently freed on top. */
static void bulk_synced(struct mlx5tls_dek_pool *pool, struct dek_bulk *b)
{
	uint32_t *fresh = &b->slots[b->ready];
	uint32_t n = b->awaiting;

	memmove(fresh, &b->slots[b->size - n], n * sizeof(*fresh));
	for (uint32_t i = 0; i < n / 2; i++) {
		uint32_t t = fresh[i];

		fresh[i] = fresh[n - 1 - i];
		fresh[n - 1 - i] = t;
	}
	if (!b->ready && n)
		DLIST_INSERT_HEAD(&pool->avail, b, avail_next, avail_pprev);
	b->ready += n;
	b->awaiting = 0;
	pool->ready += n;
}

/* fact sheet 12.5: after a sync, freed elements become ready, and of the bulks left with nothing
 * in use only one is kept. Visits only the bulks that had frees (at most one per freed element
 * since the last sync) and the idle ones. */
static int pool_sync_locked(struct mlx5tls_dek_pool *pool)
{
	uint8_t in[SYNC_CRYPTO_IN_SZ] = { 0 };
	uint8_t out[SYNC_CRYPTO_OUT_SZ] = { 0 };
	struct mlx5tls_device *dev = pool->pd->dev;
	struct dek_bulk *b, *next;
	int ret;

	/* fact sheet 3.6: crypto_type BIT(key_purpose) = 0x2 syncs TLS DEKs */
	sync_crypto_encode(in, MLX5_SYNC_CRYPTO_TYPE_TLS);
	ret = cmd_exec(dev, CMD_GENERAL, NULL, NULL, in, sizeof(in), out, sizeof(out), NULL);
	if (ret)
		return ret;
	pool->stats.syncs++;
	counter_inc(dev, MLX5TLS_CNT_DEK_SYNC);
	while ((b = pool->dirty) != NULL) {
		DLIST_REMOVE(b, dirty_next, dirty_pprev);
		bulk_synced(pool, b);
	}
	pool->awaiting_sync = 0;
	if (!pool->idle)
		return 0;
	for (b = pool->idle->idle_next; b; b = next) {
		next = b->idle_next;
		ret = bulk_destroy(pool, b);
		if (ret)
			return ret;
	}
	return 0;
}

/* Take the top ready element of b (b->ready > 0). */
static uint32_t bulk_take(struct mlx5tls_dek_pool *pool, struct dek_bulk *b)
{
	uint32_t idx = b->slots[--b->ready];

	if (!b->ready)
		DLIST_REMOVE(b, avail_next, avail_pprev);
	if (!b->in_use++)
		DLIST_REMOVE(b, idle_next, idle_pprev);
	pool->ready--;
	pool->in_use++;
	return idx;
}

/* One element of b is no longer in use (freed or never keyed). */
static void bulk_release(struct mlx5tls_dek_pool *pool, struct dek_bulk *b)
{
	if (!--b->in_use)
		DLIST_INSERT_HEAD(&pool->idle, b, idle_next, idle_pprev);
	pool->in_use--;
}

static bool device_out_of_deks(int ret)
{
	struct mlx5tls_fw_error err;

	return ret == -EREMOTEIO && mlx5tls_last_fw_error(&err) == 0 &&
	       err.status == 0x8 /* LIM_ERR */;
}

/* Reserve a ready element, syncing or creating a bulk as needed. Called with the lock held. */
static int reserve_element(struct mlx5tls_dek_pool *pool, struct dek_bulk **bulk, uint32_t *idx)
{
	struct dek_bulk *b;
	int ret;

	for (;;) {
		b = pool->avail;
		if (b)
			break;
		if (pool->reuse && pool->awaiting_sync >= pool->sync_threshold) {
			ret = pool_sync_locked(pool);
			if (ret)
				return ret;
			continue;
		}
		ret = bulk_create(pool, &b);
		if (!ret)
			break;
		if (!device_out_of_deks(ret))
			return ret;
		if (pool->reuse && pool->awaiting_sync) {
			/* out of DEK space: reclaim what was freed, below the threshold or not */
			ret = pool_sync_locked(pool);
			if (ret)
				return ret;
			continue;
		}
		pr_warn("DEK pool: the device has no room for another DEK bulk (limits exceeded)\n");
		return -ENOSPC;
	}
	*idx = bulk_take(pool, b);
	*bulk = b;
	return 0;
}

/* Give back a reserved element whose key load failed: it was never keyed, so it is ready. */
static void unreserve_element(struct mlx5tls_dek_pool *pool, struct dek_bulk *b, uint32_t idx)
{
	if (!b->ready)
		DLIST_INSERT_HEAD(&pool->avail, b, avail_next, avail_pprev);
	b->slots[b->ready++] = idx;
	pool->ready++;
	bulk_release(pool, b);
}

static int load_key(struct mlx5tls_dek_pool *pool, struct dek_bulk *b, uint32_t idx,
		    const struct key_view *kv)
{
	uint8_t in[DEK_MODIFY_IN_SZ] = { 0 };
	uint8_t out[DEK_HDR_OUT_SZ] = { 0 };
	struct cmd_secret secret;
	int ret;

	dek_encode_modify(in, b->base, idx, pool->pd->pdn, kv->key, kv->key_len, &secret);
	ret = cmd_exec(pool->pd->dev, CMD_MODIFY, b->obj, NULL, in, sizeof(in), out, sizeof(out),
		       &secret);
	explicit_bzero(in, sizeof(in)); /* the mailbox carried the key */
	return ret;
}

static struct mlx5tls_dek *pool_get_single(struct mlx5tls_dek_pool *pool,
					   const struct key_view *kv)
{
	struct mlx5tls_dek *dek;
	int ret;

	ret = dek_single_create(pool->pd, kv, 0, &dek);
	pthread_mutex_lock(&pool->lock);
	if (ret) {
		pool->in_use--;
		pthread_mutex_unlock(&pool->lock);
		if (device_out_of_deks(ret)) {
			pr_warn("DEK pool: the device has no room for another DEK (limits exceeded)\n");
			ret = -ENOSPC;
		}
		return libmlx5tls_err_ptr(ret);
	}
	pool->stats.single_creates++;
	pthread_mutex_unlock(&pool->lock);
	dek->pool = pool;
	return dek;
}

struct mlx5tls_dek *mlx5tls_dek_pool_get(struct mlx5tls_dek_pool *pool,
					 const struct tls_crypto_info *ci, size_t ci_len)
{
	struct mlx5tls_dek *dek;
	struct dek_bulk *b;
	struct key_view kv;
	uint32_t idx;
	int ret;

	if (!pool)
		return libmlx5tls_err_ptr(-EINVAL);
	ret = crypto_info_view(pool->pd->dev, ci, ci_len, &kv);
	if (ret)
		return libmlx5tls_err_ptr(ret);

	pthread_mutex_lock(&pool->lock);
	if (pool->in_use >= pool->max_deks) {
		pthread_mutex_unlock(&pool->lock);
		pr_warn("DEK pool: exhausted, all %llu DEKs are in use\n",
			(unsigned long long)pool->max_deks);
		return libmlx5tls_err_ptr(-ENOSPC);
	}
	if (!pool->bulk) {
		pool->in_use++; /* counts against max_deks while the create runs */
		pthread_mutex_unlock(&pool->lock);
		return pool_get_single(pool, &kv);
	}
	ret = reserve_element(pool, &b, &idx);
	pthread_mutex_unlock(&pool->lock);
	if (ret)
		return libmlx5tls_err_ptr(ret);

	dek = calloc(1, sizeof(*dek));
	ret = dek ? load_key(pool, b, idx, &kv) : -ENOMEM;
	pthread_mutex_lock(&pool->lock);
	if (ret) {
		unreserve_element(pool, b, idx);
		pthread_mutex_unlock(&pool->lock);
		free(dek);
		return libmlx5tls_err_ptr(ret);
	}
	pool->stats.key_loads++;
	pthread_mutex_unlock(&pool->lock);
	counter_inc(pool->pd->dev, MLX5TLS_CNT_DEK_KEY_LOAD);

	dek->pd = pool->pd;
	dek->pool = pool;
	dek->bulk = b;
	dek->id = b->base + idx;
	dek->obj_offset = idx;
	dek->key_bits = (uint16_t)(kv.key_len * 8);
	return dek;
}

void dek_prefetch_release(const struct mlx5tls_dek *dek)
{
	/* dek_pool_put counts the element back in its bulk (in_use, awaiting, slots pointer: the
	 * record's first line) */
	if (dek->bulk)
		__builtin_prefetch(dek->bulk, 1);
	heap_prefetch_free(dek, sizeof(*dek));
}

int dek_pool_put(struct mlx5tls_dek *dek)
{
	struct mlx5tls_dek_pool *pool = dek->pool;
	struct dek_bulk *b = dek->bulk;
	uint32_t idx = dek->obj_offset;
	int ret = 0;

	if (!pool->bulk) {
		ret = dek_single_destroy(dek); /* frees dek on success */
		if (ret)
			return ret;
		pthread_mutex_lock(&pool->lock);
		pool->in_use--;
		pool->stats.single_destroys++;
		pthread_mutex_unlock(&pool->lock);
		return 0;
	}

	pthread_mutex_lock(&pool->lock);
	bulk_release(pool, b);
	if (pool->reuse) {
		if (!b->awaiting)
			DLIST_INSERT_HEAD(&pool->dirty, b, dirty_next, dirty_pprev);
		b->slots[b->size - ++b->awaiting] = idx;
		pool->awaiting_sync++;
	} else if (!b->in_use && !b->ready) {
		/* one-shot elements all spent: the bulk has no further use */
		ret = bulk_destroy(pool, b);
	}
	pthread_mutex_unlock(&pool->lock);
	free(dek);
	return ret;
}

struct mlx5tls_dek_pool *mlx5tls_dek_pool_create(struct mlx5tls_pd *pd,
						 const struct mlx5tls_dek_pool_opts *opts)
{
	const struct mlx5tls_caps *caps;
	struct mlx5tls_dek_pool *pool;
	uint32_t log_bulk;

	if (!pd || !OPTS_VALID(opts, mlx5tls_dek_pool_opts))
		return libmlx5tls_err_ptr(-EINVAL);
	caps = &pd->dev->caps;
	if (!caps->dek_object) {
		pr_warn("%s: the device has no DEK objects\n", pd->dev->attr.name);
		return libmlx5tls_err_ptr(-EOPNOTSUPP);
	}
	pool = calloc(1, sizeof(*pool));
	if (!pool)
		return libmlx5tls_err_ptr(-ENOMEM);

	pool->bulk = caps->bulk_dek && !OPTS_GET(opts, no_bulk, false);
	log_bulk = OPTS_GET(opts, log_bulk_size, 0);
	if (!log_bulk)
		log_bulk = caps->log_dek_max_alloc < DEK_POOL_MAX_LOG_BULK ?
				   caps->log_dek_max_alloc : DEK_POOL_MAX_LOG_BULK;
	if (pool->bulk && log_bulk > caps->log_dek_max_alloc) {
		pr_warn("DEK pool: bulk of 2^%u exceeds the device's 2^%u\n", log_bulk,
			caps->log_dek_max_alloc);
		free(pool);
		return libmlx5tls_err_ptr(-EINVAL);
	}
	pool->log_bulk = log_bulk;
	/* The kernel reuses on bulk support alone; XLIO also requires synchronize_dek, which is
	 * what tells that SYNC_CRYPTO exists (fact sheet 3.6). */
	pool->reuse = pool->bulk && caps->dek_sync;
	pool->sync_threshold = OPTS_GET(opts, sync_threshold, 0);
	if (!pool->sync_threshold)
		pool->sync_threshold = DEK_POOL_SYNC_THRESHOLD;
	pool->max_deks = OPTS_GET(opts, max_deks, 0);
	if (!pool->max_deks)
		pool->max_deks = 1ull << caps->log_max_dek;
	pool->pd = pd;
	pthread_mutex_init(&pool->lock, NULL);
	atomic_fetch_add(&pd->users, 1);
	pthread_mutex_lock(&pd->dev->insp_lock);
	pool->insp_next = pd->dev->insp_dek_pools;
	pd->dev->insp_dek_pools = pool;
	pthread_mutex_unlock(&pd->dev->insp_lock);
	return pool;
}

/* Unlinked before its lock is destroyed: the publisher may be waiting on that lock. */
static void pool_insp_unlink(struct mlx5tls_dek_pool *pool)
{
	struct mlx5tls_device *dev = pool->pd->dev;
	struct mlx5tls_dek_pool **pp;

	pthread_mutex_lock(&dev->insp_lock);
	for (pp = &dev->insp_dek_pools; *pp; pp = &(*pp)->insp_next)
		if (*pp == pool) {
			*pp = pool->insp_next;
			break;
		}
	pthread_mutex_unlock(&dev->insp_lock);
}

struct mlx5tls_dek_pool *dek_pool_insp_next(const struct mlx5tls_dek_pool *pool)
{
	return pool->insp_next;
}

struct mlx5tls_device *dek_pool_device(const struct mlx5tls_dek_pool *pool)
{
	return pool->pd->dev;
}

int mlx5tls_dek_pool_destroy(struct mlx5tls_dek_pool *pool)
{
	if (!pool)
		return libmlx5tls_err(-EINVAL);
	pthread_mutex_lock(&pool->lock);
	if (pool->in_use) {
		pthread_mutex_unlock(&pool->lock);
		pr_warn("DEK pool: destroy refused, %llu DEKs still in use\n",
			(unsigned long long)pool->in_use);
		return libmlx5tls_err(-EBUSY);
	}
	while (pool->bulks) {
		int ret = bulk_destroy(pool, pool->bulks);

		if (ret) {
			pthread_mutex_unlock(&pool->lock);
			return libmlx5tls_err(ret);
		}
	}
	pthread_mutex_unlock(&pool->lock);
	pool_insp_unlink(pool);
	pthread_mutex_destroy(&pool->lock);
	atomic_fetch_sub(&pool->pd->users, 1);
	free(pool);
	return 0;
}

int mlx5tls_dek_pool_sync(struct mlx5tls_dek_pool *pool)
{
	int ret;

	if (!pool)
		return libmlx5tls_err(-EINVAL);
	if (!pool->reuse)
		return libmlx5tls_err(-EOPNOTSUPP);
	pthread_mutex_lock(&pool->lock);
	ret = pool_sync_locked(pool);
	pthread_mutex_unlock(&pool->lock);
	return libmlx5tls_err(ret);
}

int mlx5tls_dek_pool_query(struct mlx5tls_dek_pool *pool, struct mlx5tls_dek_pool_stats *stats,
			   size_t stats_sz)
{
	struct mlx5tls_dek_pool_stats s;

	if (!pool || !stats)
		return libmlx5tls_err(-EINVAL);
	pthread_mutex_lock(&pool->lock);
	s = pool->stats;
	s.bulk = pool->bulk;
	s.reuse = pool->reuse;
	s.bulk_size = pool->bulk ? 1u << pool->log_bulk : 0;
	s.bulks = pool->nr_bulks;
	s.in_use = pool->in_use;
	s.ready = pool->ready;
	s.awaiting_sync = pool->awaiting_sync;
	pthread_mutex_unlock(&pool->lock);
	copy_out(stats, stats_sz, &s, sizeof(s));
	return 0;
}
