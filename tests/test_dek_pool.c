/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DEK pool against the model. The model refuses to re-key an element that was keyed since the last
 * SYNC_CRYPTO (BAD_RES_STATE), so a pool that reused a freed DEK too early would fail here.
 */
#include <stdlib.h>

#include "mlx5tls/mlx5tls.h"
#include "test_util.h"

static struct mlx5tls_device *dev;
static struct mlx5tls_pd *pd;

static int open_dev(const char *name)
{
	dev = mlx5tls_device_open(name, NULL);
	if (!dev)
		return -1;
	pd = mlx5tls_pd_alloc(dev);
	return pd ? 0 : -1;
}

static int close_dev(void)
{
	int ret = mlx5tls_pd_dealloc(pd);

	ret |= mlx5tls_device_close(dev);
	return ret ? -1 : 0;
}

static int setup_cx6dx(void)
{
	return open_dev("sim:cx6dx");
}

static uint64_t counter(const char *name)
{
	uint64_t vals[64];
	int n = mlx5tls_device_counters(dev, vals, 64);

	for (int i = 0; i < n; i++)
		if (!strcmp(mlx5tls_counter_name((unsigned int)i), name))
			return vals[i];
	CU_FAIL("counter not found");
	return 0;
}

static struct mlx5tls_dek *get(struct mlx5tls_dek_pool *pool, uint8_t key_byte)
{
	struct tls12_crypto_info_aes_gcm_128 ci;
	struct mlx5tls_dek *dek;

	test_ci128(&ci, TLS_1_2_VERSION, key_byte);
	dek = mlx5tls_dek_pool_get(pool, &ci.info, sizeof(ci));
	return dek;
}

static struct mlx5tls_dek_pool_stats stats_of(struct mlx5tls_dek_pool *pool)
{
	struct mlx5tls_dek_pool_stats st;

	memset(&st, 0, sizeof(st));
	CU_ASSERT_EQUAL(mlx5tls_dek_pool_query(pool, &st, sizeof(st)), 0);
	return st;
}

/* A bulk of 4: ids are base..base+3, each loaded with one MODIFY; one CREATE for the bulk. */
static void test_bulk_ids_and_commands(void)
{
	MLX5TLS_OPTS(mlx5tls_dek_pool_opts, o, .log_bulk_size = 2);
	struct mlx5tls_dek_pool *pool = mlx5tls_dek_pool_create(pd, &o);
	struct mlx5tls_dek *d[4];
	struct mlx5tls_dek_pool_stats st;
	uint64_t cmds0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(pool);
	cmds0 = counter("fw_cmds");
	for (int i = 0; i < 4; i++) {
		d[i] = get(pool, (uint8_t)i);
		CU_ASSERT_PTR_NOT_NULL_FATAL(d[i]);
	}
	for (int i = 1; i < 4; i++)
		CU_ASSERT_EQUAL(mlx5tls_dek_id(d[i]), mlx5tls_dek_id(d[0]) + (uint32_t)i);
	/* one bulk CREATE + four MODIFY */
	CU_ASSERT_EQUAL(counter("fw_cmds") - cmds0, 5);
	st = stats_of(pool);
	CU_ASSERT_TRUE(st.bulk);
	CU_ASSERT_TRUE(st.reuse);
	CU_ASSERT_EQUAL(st.bulk_size, 4);
	CU_ASSERT_EQUAL(st.bulks, 1);
	CU_ASSERT_EQUAL(st.in_use, 4);
	CU_ASSERT_EQUAL(st.key_loads, 4);
	CU_ASSERT_EQUAL(mlx5tls_dek_pool_destroy(pool), -EBUSY); /* DEKs still out */
	for (int i = 0; i < 4; i++)
		CU_ASSERT_EQUAL(mlx5tls_dek_destroy(d[i]), 0);
	CU_ASSERT_EQUAL(mlx5tls_dek_pool_destroy(pool), 0);
}

/* Query a pooled DEK: the firmware object is the bulk, the offset its index; no key bytes. */
static void test_pooled_query(void)
{
	MLX5TLS_OPTS(mlx5tls_dek_pool_opts, o, .log_bulk_size = 3);
	struct mlx5tls_dek_pool *pool = mlx5tls_dek_pool_create(pd, &o);
	struct mlx5tls_dek *a, *b;
	struct mlx5tls_dek_attr attr;

	CU_ASSERT_PTR_NOT_NULL_FATAL(pool);
	a = get(pool, 1);
	b = get(pool, 2);
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	CU_ASSERT_EQUAL(mlx5tls_dek_query(b, &attr, sizeof(attr)), 0);
	CU_ASSERT_TRUE(attr.pooled);
	CU_ASSERT_EQUAL(attr.id, mlx5tls_dek_id(b));
	CU_ASSERT_EQUAL(attr.obj_id + attr.obj_offset, attr.id);
	CU_ASSERT_EQUAL(attr.obj_offset, 1);
	CU_ASSERT_EQUAL(attr.key_bits, 128);
	CU_ASSERT_EQUAL(attr.key_purpose, 1);
	CU_ASSERT_EQUAL(attr.pd, mlx5tls_pd_num(pd));
	CU_ASSERT_EQUAL(mlx5tls_dek_destroy(a), 0);
	CU_ASSERT_EQUAL(mlx5tls_dek_destroy(b), 0);
	CU_ASSERT_EQUAL(mlx5tls_dek_pool_destroy(pool), 0);
}

/* Freed DEKs come back only through SYNC_CRYPTO, batched at the threshold. */
static void test_reuse_after_sync(void)
{
	MLX5TLS_OPTS(mlx5tls_dek_pool_opts, o, .log_bulk_size = 2, .sync_threshold = 2);
	struct mlx5tls_dek_pool *pool = mlx5tls_dek_pool_create(pd, &o);
	struct mlx5tls_dek *d[4], *again;
	struct mlx5tls_dek_pool_stats st;
	uint32_t freed0, freed1, id;

	CU_ASSERT_PTR_NOT_NULL_FATAL(pool);
	for (int i = 0; i < 4; i++) {
		d[i] = get(pool, (uint8_t)(0x10 * i));
		CU_ASSERT_PTR_NOT_NULL_FATAL(d[i]);
	}
	freed0 = mlx5tls_dek_id(d[1]);
	freed1 = mlx5tls_dek_id(d[2]);
	CU_ASSERT_EQUAL(mlx5tls_dek_destroy(d[1]), 0);
	st = stats_of(pool);
	CU_ASSERT_EQUAL(st.awaiting_sync, 1);
	CU_ASSERT_EQUAL(st.ready, 0);

	/* one freed < threshold 2: a new bulk is created rather than a sync */
	again = get(pool, 0x77);
	CU_ASSERT_PTR_NOT_NULL_FATAL(again);
	st = stats_of(pool);
	CU_ASSERT_EQUAL(st.bulks, 2);
	CU_ASSERT_EQUAL(st.syncs, 0);
	CU_ASSERT_NOT_EQUAL(mlx5tls_dek_id(again), freed0);
	CU_ASSERT_EQUAL(mlx5tls_dek_destroy(again), 0);
	CU_ASSERT_EQUAL(mlx5tls_dek_destroy(d[2]), 0);

	/* drain the second bulk's ready elements, then the next get must sync and reuse */
	for (int i = 0; i < 3; i++) {
		struct mlx5tls_dek *x = get(pool, (uint8_t)(0x80 + i));

		CU_ASSERT_PTR_NOT_NULL_FATAL(x);
		d[1] = x; /* keep the last; free the others right away */
		if (i < 2)
			CU_ASSERT_EQUAL(mlx5tls_dek_destroy(x), 0);
	}
	st = stats_of(pool);
	CU_ASSERT_EQUAL(st.ready, 0);
	CU_ASSERT_TRUE(st.awaiting_sync >= 2);
	again = get(pool, 0x99);
	CU_ASSERT_PTR_NOT_NULL_FATAL(again);
	st = stats_of(pool);
	CU_ASSERT_EQUAL(st.syncs, 1);
	CU_ASSERT_EQUAL(st.awaiting_sync, 0);
	id = mlx5tls_dek_id(again);
	CU_ASSERT_EQUAL(st.bulks <= 2, 1);
	/* the reused id is one of the freed ones, re-keyed without BAD_RES_STATE */
	CU_ASSERT_TRUE(id == freed0 || id == freed1 || st.bulk_creates == 2);
	CU_ASSERT_EQUAL(mlx5tls_dek_destroy(again), 0);
	CU_ASSERT_EQUAL(mlx5tls_dek_destroy(d[1]), 0);
	CU_ASSERT_EQUAL(mlx5tls_dek_destroy(d[0]), 0);
	CU_ASSERT_EQUAL(mlx5tls_dek_destroy(d[3]), 0);
	CU_ASSERT_EQUAL(mlx5tls_dek_pool_destroy(pool), 0);
}

/* After a sync only one idle bulk survives (fact sheet 12.5). */
static void test_one_idle_bulk_kept(void)
{
	MLX5TLS_OPTS(mlx5tls_dek_pool_opts, o, .log_bulk_size = 2);
	struct mlx5tls_dek_pool *pool = mlx5tls_dek_pool_create(pd, &o);
	struct mlx5tls_dek *d[12];
	struct mlx5tls_dek_pool_stats st;

	CU_ASSERT_PTR_NOT_NULL_FATAL(pool);
	for (int i = 0; i < 12; i++) {
		d[i] = get(pool, (uint8_t)i);
		CU_ASSERT_PTR_NOT_NULL_FATAL(d[i]);
	}
	CU_ASSERT_EQUAL(stats_of(pool).bulks, 3);
	for (int i = 0; i < 12; i++)
		CU_ASSERT_EQUAL(mlx5tls_dek_destroy(d[i]), 0);
	CU_ASSERT_EQUAL(mlx5tls_dek_pool_sync(pool), 0);
	st = stats_of(pool);
	CU_ASSERT_EQUAL(st.bulks, 1);
	CU_ASSERT_EQUAL(st.bulk_destroys, 2);
	CU_ASSERT_EQUAL(st.ready, 4);
	CU_ASSERT_EQUAL(st.awaiting_sync, 0);
	CU_ASSERT_EQUAL(mlx5tls_dek_pool_destroy(pool), 0);
}

/* The pool's own limit: the (max+1)th DEK is refused with ENOSPC, nothing leaks. */
/* Frees spread over several bulks come back after one sync, each bulk handing out its most
 * recently freed element first; a sync leaves one idle bulk; the counts add up at every step. */
static void test_across_bulks(void)
{
	MLX5TLS_OPTS(mlx5tls_dek_pool_opts, o, .log_bulk_size = 2, .sync_threshold = 4);
	struct mlx5tls_dek_pool *pool = mlx5tls_dek_pool_create(pd, &o);
	static const int freed[] = { 1, 5, 2, 9 }; /* bulks 0, 1, 0, 2 */
	struct mlx5tls_dek *d[12], *again[4];
	uint32_t ids[12];
	struct mlx5tls_dek_pool_stats st;
	int pos_1 = -1, pos_2 = -1;

	CU_ASSERT_PTR_NOT_NULL_FATAL(pool);
	for (int i = 0; i < 12; i++) {
		CU_ASSERT_PTR_NOT_NULL_FATAL(d[i] = get(pool, (uint8_t)i));
		ids[i] = mlx5tls_dek_id(d[i]);
	}
	st = stats_of(pool);
	CU_ASSERT_EQUAL(st.bulks, 3);
	CU_ASSERT_EQUAL(st.ready, 0);
	CU_ASSERT_EQUAL(st.in_use, 12);
	/* each bulk hands out base, base + 1, ... */
	CU_ASSERT_EQUAL(ids[5], ids[4] + 1);
	CU_ASSERT_EQUAL(ids[9], ids[8] + 1);
	for (int i = 0; i < 4; i++) {
		CU_ASSERT_EQUAL(mlx5tls_dek_destroy(d[freed[i]]), 0);
		d[freed[i]] = NULL;
	}
	st = stats_of(pool);
	CU_ASSERT_EQUAL(st.awaiting_sync, 4);
	CU_ASSERT_EQUAL(st.in_use, 8);
	CU_ASSERT_EQUAL(st.ready, 0);
	/* nothing ready and the threshold reached: one sync, no new bulk */
	for (int i = 0; i < 4; i++)
		CU_ASSERT_PTR_NOT_NULL_FATAL(again[i] = get(pool, (uint8_t)(0x40 + i)));
	st = stats_of(pool);
	CU_ASSERT_EQUAL(st.syncs, 1);
	CU_ASSERT_EQUAL(st.bulks, 3);
	CU_ASSERT_EQUAL(st.bulk_creates, 3);
	CU_ASSERT_EQUAL(st.awaiting_sync, 0);
	CU_ASSERT_EQUAL(st.ready, 0);
	CU_ASSERT_EQUAL(st.in_use, 12);
	for (int i = 0; i < 4; i++) {
		uint32_t id = mlx5tls_dek_id(again[i]);
		int hits = 0;

		for (int k = 0; k < 4; k++)
			hits += id == ids[freed[k]];
		CU_ASSERT_EQUAL(hits, 1); /* exactly the freed elements, each once */
		if (id == ids[1])
			pos_1 = i;
		if (id == ids[2])
			pos_2 = i;
	}
	/* bulk 0: element 2 was freed after element 1, so it is reused first */
	CU_ASSERT_TRUE(pos_2 >= 0 && pos_1 > pos_2);
	/* a fifth needs a new bulk */
	CU_ASSERT_PTR_NOT_NULL_FATAL(d[1] = get(pool, 0x50));
	CU_ASSERT_EQUAL(stats_of(pool).bulks, 4);
	CU_ASSERT_EQUAL(stats_of(pool).ready, 3);
	for (int i = 0; i < 4; i++)
		CU_ASSERT_EQUAL(mlx5tls_dek_destroy(again[i]), 0);
	for (int i = 0; i < 12; i++)
		if (d[i])
			CU_ASSERT_EQUAL(mlx5tls_dek_destroy(d[i]), 0);
	st = stats_of(pool);
	CU_ASSERT_EQUAL(st.in_use, 0);
	CU_ASSERT_EQUAL(st.awaiting_sync, 13);
	CU_ASSERT_EQUAL(mlx5tls_dek_pool_sync(pool), 0);
	st = stats_of(pool);
	CU_ASSERT_EQUAL(st.bulks, 1);
	CU_ASSERT_EQUAL(st.bulk_destroys, 3);
	CU_ASSERT_EQUAL(st.ready, 4);
	CU_ASSERT_EQUAL(st.awaiting_sync, 0);
	/* the kept bulk serves again (its elements were synced: the model accepts the MODIFYs) */
	for (int i = 0; i < 4; i++)
		CU_ASSERT_PTR_NOT_NULL_FATAL(again[i] = get(pool, (uint8_t)(0x60 + i)));
	CU_ASSERT_EQUAL(stats_of(pool).bulks, 1);
	for (int i = 0; i < 4; i++)
		CU_ASSERT_EQUAL(mlx5tls_dek_destroy(again[i]), 0);
	CU_ASSERT_EQUAL(mlx5tls_dek_pool_destroy(pool), 0);
}

static void test_pool_limit(void)
{
	MLX5TLS_OPTS(mlx5tls_dek_pool_opts, o, .log_bulk_size = 2, .max_deks = 3);
	struct mlx5tls_dek_pool *pool = mlx5tls_dek_pool_create(pd, &o);
	struct mlx5tls_dek *d[3];

	CU_ASSERT_PTR_NOT_NULL_FATAL(pool);
	for (int i = 0; i < 3; i++)
		CU_ASSERT_PTR_NOT_NULL_FATAL(d[i] = get(pool, (uint8_t)i));
	errno = 0;
	CU_ASSERT_PTR_NULL(get(pool, 9));
	CU_ASSERT_EQUAL(errno, ENOSPC);
	CU_ASSERT_EQUAL(stats_of(pool).in_use, 3);
	for (int i = 0; i < 3; i++)
		CU_ASSERT_EQUAL(mlx5tls_dek_destroy(d[i]), 0);
	CU_ASSERT_EQUAL(mlx5tls_dek_pool_destroy(pool), 0);
}

/* The device's limit (log_max_dek = 3: 8 DEK ids). A single DEK outside the pool takes one id,
 * so after one bulk of 4 the next bulk create hits LIM_ERR, which the pool reports as ENOSPC; a
 * freed DEK is then reclaimed by a sync even below the threshold. (Without the outside DEK the
 * pool's own limit, 2^log_max_dek by default, refuses first, with no command issued.) */
static void test_device_exhaustion(void)
{
	MLX5TLS_OPTS(mlx5tls_dek_pool_opts, o, .log_bulk_size = 2);
	struct tls12_crypto_info_aes_gcm_128 ci;
	struct mlx5tls_dek_pool *pool;
	struct mlx5tls_dek *d[4], *again, *outside;
	uint32_t freed_id;

	CU_ASSERT_EQUAL_FATAL(close_dev(), 0);
	CU_ASSERT_EQUAL_FATAL(open_dev("sim:cx6dx,log_max_dek=3"), 0);
	test_ci128(&ci, TLS_1_2_VERSION, 0x55);
	outside = mlx5tls_dek_create(pd, &ci.info, sizeof(ci), NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(outside);
	pool = mlx5tls_dek_pool_create(pd, &o);
	CU_ASSERT_PTR_NOT_NULL_FATAL(pool);
	for (int i = 0; i < 4; i++)
		CU_ASSERT_PTR_NOT_NULL_FATAL(d[i] = get(pool, (uint8_t)i));
	mlx5tls_clear_fw_error();
	errno = 0;
	CU_ASSERT_PTR_NULL(get(pool, 0x42));
	CU_ASSERT_EQUAL(errno, ENOSPC);
	CU_ASSERT_EQUAL(test_last_fw_status(), 0x8); /* LIM_ERR from the bulk create */
	CU_ASSERT_EQUAL(stats_of(pool).in_use, 4);
	freed_id = mlx5tls_dek_id(d[2]);
	CU_ASSERT_EQUAL(mlx5tls_dek_destroy(d[2]), 0);
	again = get(pool, 0x43);
	CU_ASSERT_PTR_NOT_NULL_FATAL(again);
	CU_ASSERT_EQUAL(mlx5tls_dek_id(again), freed_id);
	CU_ASSERT_EQUAL(stats_of(pool).syncs, 1);
	d[2] = again;
	for (int i = 0; i < 4; i++)
		CU_ASSERT_EQUAL(mlx5tls_dek_destroy(d[i]), 0);
	CU_ASSERT_EQUAL(mlx5tls_dek_pool_destroy(pool), 0);
	CU_ASSERT_EQUAL(mlx5tls_dek_destroy(outside), 0);
	CU_ASSERT_EQUAL_FATAL(close_dev(), 0);
	CU_ASSERT_EQUAL_FATAL(open_dev("sim:cx6dx"), 0);
}

/* Older firmware without bulk DEKs: the pool falls back to one CREATE and one DESTROY per DEK. */
static void test_fallback_single(void)
{
	struct mlx5tls_dek_pool *pool;
	struct mlx5tls_dek *a, *b;
	struct mlx5tls_dek_pool_stats st;
	struct mlx5tls_dek_attr attr;
	uint64_t cmds0;

	CU_ASSERT_EQUAL_FATAL(close_dev(), 0);
	CU_ASSERT_EQUAL_FATAL(open_dev("sim:cx6dx-legacy"), 0);
	pool = mlx5tls_dek_pool_create(pd, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(pool);
	st = stats_of(pool);
	CU_ASSERT_FALSE(st.bulk);
	CU_ASSERT_FALSE(st.reuse);
	cmds0 = counter("fw_cmds");
	a = get(pool, 1);
	b = get(pool, 2);
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	CU_ASSERT_EQUAL(counter("fw_cmds") - cmds0, 2);
	CU_ASSERT_EQUAL(mlx5tls_dek_query(a, &attr, sizeof(attr)), 0);
	CU_ASSERT_TRUE(attr.pooled);
	CU_ASSERT_EQUAL(attr.obj_offset, 0);
	CU_ASSERT_EQUAL(mlx5tls_dek_pool_sync(pool), -EOPNOTSUPP);
	CU_ASSERT_EQUAL(mlx5tls_dek_destroy(a), 0);
	CU_ASSERT_EQUAL(mlx5tls_dek_destroy(b), 0);
	st = stats_of(pool);
	CU_ASSERT_EQUAL(st.single_creates, 2);
	CU_ASSERT_EQUAL(st.single_destroys, 2);
	CU_ASSERT_EQUAL(counter("fw_cmds") - cmds0, 5); /* + the query */
	CU_ASSERT_EQUAL(mlx5tls_dek_pool_destroy(pool), 0);
	CU_ASSERT_EQUAL_FATAL(close_dev(), 0);
	CU_ASSERT_EQUAL_FATAL(open_dev("sim:cx6dx"), 0);
}

/* Churn at steady state costs about one command per DEK: MODIFY plus amortised syncs. */
static void test_churn_commands(void)
{
	struct mlx5tls_dek_pool *pool = mlx5tls_dek_pool_create(pd, NULL);
	enum { LIVE = 512, CHURN = 20000 };
	struct mlx5tls_dek **live = calloc(LIVE, sizeof(*live));
	uint64_t cmds0, cmds;
	unsigned int seed = 1;

	CU_ASSERT_PTR_NOT_NULL_FATAL(pool);
	CU_ASSERT_PTR_NOT_NULL_FATAL(live);
	for (int i = 0; i < LIVE; i++)
		CU_ASSERT_PTR_NOT_NULL_FATAL(live[i] = get(pool, (uint8_t)i));
	cmds0 = counter("fw_cmds");
	for (int i = 0; i < CHURN; i++) {
		int k = (int)(rand_r(&seed) % LIVE);

		CU_ASSERT_EQUAL_FATAL(mlx5tls_dek_destroy(live[k]), 0);
		live[k] = get(pool, (uint8_t)i);
		CU_ASSERT_PTR_NOT_NULL_FATAL(live[k]);
	}
	cmds = counter("fw_cmds") - cmds0;
	CU_ASSERT_TRUE(cmds >= CHURN);                 /* every key needs its MODIFY */
	CU_ASSERT_TRUE(cmds <= CHURN + CHURN / 100);   /* syncs every >= 128 frees, few bulks */
	for (int i = 0; i < LIVE; i++)
		CU_ASSERT_EQUAL(mlx5tls_dek_destroy(live[i]), 0);
	free(live);
	CU_ASSERT_EQUAL(mlx5tls_dek_pool_destroy(pool), 0);
}

/* Bad inputs: NULLs, wrong lengths, unsupported suites; the pool stays usable afterwards. */
static void test_bad_inputs(void)
{
	struct mlx5tls_dek_pool *pool = mlx5tls_dek_pool_create(pd, NULL);
	struct tls12_crypto_info_aes_gcm_128 ci;
	struct mlx5tls_dek_pool_opts bad_opts;
	struct mlx5tls_dek *ok;

	CU_ASSERT_PTR_NOT_NULL_FATAL(pool);
	test_ci128(&ci, TLS_1_2_VERSION, 0);
	errno = 0;
	CU_ASSERT_PTR_NULL(mlx5tls_dek_pool_get(NULL, &ci.info, sizeof(ci)));
	CU_ASSERT_EQUAL(errno, EINVAL);
	CU_ASSERT_PTR_NULL(mlx5tls_dek_pool_get(pool, NULL, sizeof(ci)));
	CU_ASSERT_EQUAL(errno, EINVAL);
	CU_ASSERT_PTR_NULL(mlx5tls_dek_pool_get(pool, &ci.info, sizeof(ci) - 1));
	CU_ASSERT_EQUAL(errno, EINVAL);
	ci.info.version = 0x0302; /* TLS 1.1 */
	CU_ASSERT_PTR_NULL(mlx5tls_dek_pool_get(pool, &ci.info, sizeof(ci)));
	CU_ASSERT_EQUAL(errno, EOPNOTSUPP);
	ci.info.version = TLS_1_2_VERSION;
	ci.info.cipher_type = 53; /* TLS_CIPHER_AES_CCM_128 */
	CU_ASSERT_PTR_NULL(mlx5tls_dek_pool_get(pool, &ci.info, sizeof(ci)));
	CU_ASSERT_EQUAL(errno, EOPNOTSUPP);
	CU_ASSERT_EQUAL(stats_of(pool).in_use, 0);

	memset(&bad_opts, 0, sizeof(bad_opts));
	bad_opts.sz = 2; /* smaller than sz itself */
	CU_ASSERT_PTR_NULL(mlx5tls_dek_pool_create(pd, &bad_opts));
	CU_ASSERT_EQUAL(errno, EINVAL);
	{
		/* a newer caller's bigger struct: unknown non-zero bytes are refused, zeros are fine */
		struct newer_opts {
			struct mlx5tls_dek_pool_opts o;
			uint64_t future;
		} with_future, zero_future;
		struct mlx5tls_dek_pool *p2;

		memset(&with_future, 0, sizeof(with_future));
		with_future.o.sz = sizeof(with_future);
		with_future.future = 1;
		CU_ASSERT_PTR_NULL(mlx5tls_dek_pool_create(pd, &with_future.o));
		CU_ASSERT_EQUAL(errno, EINVAL);
		memset(&zero_future, 0, sizeof(zero_future));
		zero_future.o.sz = sizeof(zero_future);
		p2 = mlx5tls_dek_pool_create(pd, &zero_future.o);
		CU_ASSERT_PTR_NOT_NULL(p2);
		CU_ASSERT_EQUAL(mlx5tls_dek_pool_destroy(p2), 0);
	}
	{
		MLX5TLS_OPTS(mlx5tls_dek_pool_opts, o, .log_bulk_size = 13); /* > log_dek_max_alloc */

		CU_ASSERT_PTR_NULL(mlx5tls_dek_pool_create(pd, &o));
		CU_ASSERT_EQUAL(errno, EINVAL);
	}
	test_ci128(&ci, TLS_1_2_VERSION, 0);
	ok = mlx5tls_dek_pool_get(pool, &ci.info, sizeof(ci));
	CU_ASSERT_PTR_NOT_NULL_FATAL(ok);
	CU_ASSERT_EQUAL(mlx5tls_pd_dealloc(pd), -EBUSY);
	CU_ASSERT_EQUAL(mlx5tls_dek_destroy(ok), 0);
	CU_ASSERT_EQUAL(mlx5tls_dek_pool_destroy(pool), 0);
}

static const struct test_case pool_cases[] = {
	{ "bulk ids and command count", test_bulk_ids_and_commands },
	{ "pooled DEK query", test_pooled_query },
	{ "freed DEKs reused only after SYNC_CRYPTO", test_reuse_after_sync },
	{ "one idle bulk kept after sync", test_one_idle_bulk_kept },
	{ "allocate and free across bulks", test_across_bulks },
	{ "pool limit gives ENOSPC", test_pool_limit },
	{ "device exhaustion gives ENOSPC, sync reclaims", test_device_exhaustion },
	{ "fallback to single DEKs without bulk", test_fallback_single },
	{ "churn costs about one command per DEK", test_churn_commands },
	{ "bad inputs", test_bad_inputs },
	{ NULL, NULL },
};

static const struct test_suite suites[] = {
	{ "dek_pool", setup_cx6dx, close_dev, pool_cases },
	{ NULL, NULL, NULL, NULL },
};

int main(void)
{
	mlx5tls_set_print(NULL);
	return test_run_suites(suites);
}
