/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * TLS TIS pool (fact sheet 10.1): a TIS holds no key, only tls_en/pd/transport domain, so one can
 * serve connection after connection; the static params posted on first use set its crypto state.
 * Recycling makes a new context cost no CREATE_TIS in steady state. Free TISes above the high mark
 * (kernel: 4096) are destroyed; an empty pool creates inline.
 */
#include <stdlib.h>

#include "inspect.h"
#include "mlx5tls_internal.h"

#define TIS_POOL_HIGH_MARK 4096 /* fact sheet 10.1: MLX5E_TLS_TX_POOL_HIGH */

struct mlx5tls_tis_pool {
	struct mlx5tls_pd *pd;
	struct mlx5tls_td *td;
	pthread_mutex_t lock;
	struct mlx5tls_tis *free_list;
	uint32_t free_count;
	uint32_t in_use;
	uint32_t high_mark;
	uint64_t creates;
	uint64_t destroys;
	struct mlx5tls_tis_pool *insp_next; /* the device's pools (dev->insp_lock) */
};

static int pool_new_tis(struct mlx5tls_tis_pool *pool, struct mlx5tls_tis **out)
{
	int ret = tis_create_obj(pool->pd, pool->td, true, 0, out);

	if (ret)
		return ret;
	(*out)->pool = pool;
	counter_inc(pool->pd->dev, MLX5TLS_CNT_TX_TLS_POOL_ALLOC);
	return 0;
}

static int pool_free_tis(struct mlx5tls_tis_pool *pool, struct mlx5tls_tis *tis)
{
	struct mlx5tls_device *dev = pool->pd->dev;
	int ret = tis_destroy_obj(tis);

	if (!ret)
		counter_inc(dev, MLX5TLS_CNT_TX_TLS_POOL_FREE);
	return ret;
}

/* Unlinked before its lock is destroyed: the publisher may be waiting on that lock. */
static void pool_insp_unlink(struct mlx5tls_tis_pool *pool)
{
	struct mlx5tls_device *dev = pool->pd->dev;
	struct mlx5tls_tis_pool **pp;

	pthread_mutex_lock(&dev->insp_lock);
	for (pp = &dev->insp_tis_pools; *pp; pp = &(*pp)->insp_next)
		if (*pp == pool) {
			*pp = pool->insp_next;
			break;
		}
	pthread_mutex_unlock(&dev->insp_lock);
}

struct mlx5tls_tis_pool *tis_pool_insp_next(const struct mlx5tls_tis_pool *pool)
{
	return pool->insp_next;
}

struct mlx5tls_device *tis_pool_device(const struct mlx5tls_tis_pool *pool)
{
	return pool->pd->dev;
}

struct mlx5tls_tis_pool *mlx5tls_tis_pool_create(struct mlx5tls_pd *pd, struct mlx5tls_td *td,
						 const struct mlx5tls_tis_pool_opts *opts)
{
	struct mlx5tls_tis_pool *pool;
	uint32_t prefill;

	if (!pd || !td || pd->dev != td->dev || !OPTS_VALID(opts, mlx5tls_tis_pool_opts))
		return libmlx5tls_err_ptr(-EINVAL);
	if (!pd->dev->caps.tls_tx) {
		pr_warn("%s: the device has no TLS TX offload (tls_tx)\n", pd->dev->attr.name);
		return libmlx5tls_err_ptr(-EOPNOTSUPP);
	}
	pool = calloc(1, sizeof(*pool));
	if (!pool)
		return libmlx5tls_err_ptr(-ENOMEM);
	pool->pd = pd;
	pool->td = td;
	pool->high_mark = OPTS_GET(opts, high_mark, 0);
	if (!pool->high_mark)
		pool->high_mark = TIS_POOL_HIGH_MARK;
	pthread_mutex_init(&pool->lock, NULL);
	atomic_fetch_add(&pd->users, 1);
	atomic_fetch_add(&td->users, 1);
	pthread_mutex_lock(&pd->dev->insp_lock);
	pool->insp_next = pd->dev->insp_tis_pools;
	pd->dev->insp_tis_pools = pool;
	pthread_mutex_unlock(&pd->dev->insp_lock);

	prefill = OPTS_GET(opts, prefill, 0);
	for (uint32_t i = 0; i < prefill; i++) {
		struct mlx5tls_tis *tis;
		int ret = pool_new_tis(pool, &tis);

		if (ret) {
			mlx5tls_tis_pool_destroy(pool);
			return libmlx5tls_err_ptr(ret);
		}
		pool->creates++;
		tis->next_free = pool->free_list;
		pool->free_list = tis;
		pool->free_count++;
	}
	return pool;
}

int mlx5tls_tis_pool_destroy(struct mlx5tls_tis_pool *pool)
{
	if (!pool)
		return libmlx5tls_err(-EINVAL);
	pthread_mutex_lock(&pool->lock);
	if (pool->in_use) {
		pthread_mutex_unlock(&pool->lock);
		pr_warn("TIS pool: destroy refused, %u TISes still in use\n", pool->in_use);
		return libmlx5tls_err(-EBUSY);
	}
	while (pool->free_list) {
		struct mlx5tls_tis *tis = pool->free_list;
		struct mlx5tls_tis *next = tis->next_free;
		int ret = pool_free_tis(pool, tis);

		if (ret) {
			pthread_mutex_unlock(&pool->lock);
			return libmlx5tls_err(ret);
		}
		pool->free_list = next;
		pool->free_count--;
		pool->destroys++;
	}
	pthread_mutex_unlock(&pool->lock);
	pool_insp_unlink(pool);
	pthread_mutex_destroy(&pool->lock);
	atomic_fetch_sub(&pool->pd->users, 1);
	atomic_fetch_sub(&pool->td->users, 1);
	free(pool);
	return 0;
}

struct mlx5tls_tis *mlx5tls_tis_pool_get(struct mlx5tls_tis_pool *pool)
{
	struct mlx5tls_tis *tis;
	int ret;

	if (!pool)
		return libmlx5tls_err_ptr(-EINVAL);
	pthread_mutex_lock(&pool->lock);
	tis = pool->free_list;
	if (tis) {
		pool->free_list = tis->next_free;
		pool->free_count--;
		pool->in_use++;
		pthread_mutex_unlock(&pool->lock);
		tis->next_free = NULL;
		return tis;
	}
	pool->in_use++;
	pthread_mutex_unlock(&pool->lock);

	ret = pool_new_tis(pool, &tis);
	pthread_mutex_lock(&pool->lock);
	if (ret)
		pool->in_use--;
	else
		pool->creates++;
	pthread_mutex_unlock(&pool->lock);
	return ret ? libmlx5tls_err_ptr(ret) : tis;
}

int tis_pool_put(struct mlx5tls_tis *tis)
{
	struct mlx5tls_tis_pool *pool = tis->pool;
	int ret = 0;

	pthread_mutex_lock(&pool->lock);
	if (pool->free_count < pool->high_mark) {
		tis->next_free = pool->free_list;
		pool->free_list = tis;
		pool->free_count++;
		pool->in_use--;
		pthread_mutex_unlock(&pool->lock);
		return 0;
	}
	pthread_mutex_unlock(&pool->lock);
	ret = pool_free_tis(pool, tis);
	if (ret)
		return ret;
	pthread_mutex_lock(&pool->lock);
	pool->in_use--;
	pool->destroys++;
	pthread_mutex_unlock(&pool->lock);
	return 0;
}

int mlx5tls_tis_pool_query(struct mlx5tls_tis_pool *pool, struct mlx5tls_tis_pool_stats *stats,
			   size_t stats_sz)
{
	struct mlx5tls_tis_pool_stats s = { 0 };

	if (!pool || !stats)
		return libmlx5tls_err(-EINVAL);
	pthread_mutex_lock(&pool->lock);
	s.free = pool->free_count;
	s.in_use = pool->in_use;
	s.creates = pool->creates;
	s.destroys = pool->destroys;
	pthread_mutex_unlock(&pool->lock);
	copy_out(stats, stats_sz, &s, sizeof(s));
	return 0;
}
