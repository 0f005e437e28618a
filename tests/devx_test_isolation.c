/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The library's objects through its real `devx` transport, side by side: two contexts on one
 * NIC, two NICs, threads with a context each, and threads sharing DEK and TIS pools. The
 * fixture is tests/util/devx_objects_fixture.h.
 */
#include <pthread.h>

#include "devx_objects_fixture.h"

/* ---- isolation ---- */

/* Two contexts on one NIC: one model instance, two uids. Objects of one context cannot be named by
 * the other, and closing one leaves the other's objects alone. */
static void test_two_contexts(void)
{
	struct mlx5tls_device *da = open_dev("mlx5_0"), *db = open_dev("mlx5_0");
	struct mlx5tls_pd *pda, *pdb;
	struct mlx5tls_td *tda, *tdb;
	struct mlx5tls_tis *ta, *tb, *cross;
	struct mlx5tls_tis_attr a;
	struct mlx5tls_fw_error e;

	CU_ASSERT_PTR_NOT_NULL_FATAL(da);
	CU_ASSERT_PTR_NOT_NULL_FATAL(db);
	CU_ASSERT_EQUAL(devx_shim_open_contexts("mlx5_0"), 2);
	pda = mlx5tls_pd_alloc(da);
	tda = mlx5tls_td_alloc(da);
	pdb = mlx5tls_pd_alloc(db);
	tdb = mlx5tls_td_alloc(db);
	CU_ASSERT_PTR_NOT_NULL_FATAL(pda);
	CU_ASSERT_PTR_NOT_NULL_FATAL(tda);
	CU_ASSERT_PTR_NOT_NULL_FATAL(pdb);
	CU_ASSERT_PTR_NOT_NULL_FATAL(tdb);
	/* one NIC: one number space */
	CU_ASSERT_NOT_EQUAL(mlx5tls_pd_num(pda), mlx5tls_pd_num(pdb));
	CU_ASSERT_NOT_EQUAL(mlx5tls_td_num(tda), mlx5tls_td_num(tdb));
	ta = mlx5tls_tis_create(pda, tda, NULL);
	tb = mlx5tls_tis_create(pdb, tdb, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ta);
	CU_ASSERT_PTR_NOT_NULL_FATAL(tb);
	CU_ASSERT_NOT_EQUAL(mlx5tls_tis_num(ta), mlx5tls_tis_num(tb));
	CU_ASSERT_EQUAL(model_stats("mlx5_0").tises, 2);

	/* A's PD with B's TD: refused, by the library or by the model (B's uid does not own it). */
	mlx5tls_clear_fw_error();
	errno = 0;
	cross = mlx5tls_tis_create(pda, tdb, NULL);
	CU_ASSERT_PTR_NULL(cross);
	CU_ASSERT(errno == EINVAL || errno == EREMOTEIO);
	if (errno == EREMOTEIO && mlx5tls_last_fw_error(&e) == 0)
		CU_ASSERT_EQUAL(e.status, 0x5); /* BAD_RES */
	CU_ASSERT_EQUAL(model_stats("mlx5_0").tises, 2);

	CU_ASSERT_EQUAL(mlx5tls_tis_destroy(ta), 0);
	CU_ASSERT_EQUAL(mlx5tls_td_dealloc(tda), 0);
	CU_ASSERT_EQUAL(mlx5tls_pd_dealloc(pda), 0);
	CU_ASSERT_EQUAL(mlx5tls_device_close(da), 0);
	CU_ASSERT_EQUAL(devx_shim_open_contexts("mlx5_0"), 1);

	memset(&a, 0, sizeof(a));
	CU_ASSERT_EQUAL(mlx5tls_tis_query(tb, &a, sizeof(a)), 0);
	CU_ASSERT_EQUAL(a.tisn, mlx5tls_tis_num(tb));
	CU_ASSERT_EQUAL(a.pd, mlx5tls_pd_num(pdb));
	CU_ASSERT_EQUAL(model_stats("mlx5_0").tises, 1);

	CU_ASSERT_EQUAL(mlx5tls_tis_destroy(tb), 0);
	CU_ASSERT_EQUAL(mlx5tls_td_dealloc(tdb), 0);
	CU_ASSERT_EQUAL(mlx5tls_pd_dealloc(pdb), 0);
	CU_ASSERT_EQUAL(mlx5tls_device_close(db), 0);
	CU_ASSERT_EQUAL(devx_shim_open_contexts("mlx5_0"), 0);
}

/* Two NICs: separate model instances. */
static void test_two_devices(void)
{
	struct mlx5tls_device *d0 = open_dev("mlx5_0"), *d1 = open_dev("mlx5_1");
	struct devx_shim_dev_stats s1;
	struct mlx5tls_tis *t0;
	struct mlx5tls_pd *pd0;
	struct mlx5tls_td *td0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(d0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(d1);
	s1 = model_stats("mlx5_1");
	pd0 = mlx5tls_pd_alloc(d0);
	td0 = mlx5tls_td_alloc(d0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(pd0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(td0);
	t0 = mlx5tls_tis_create(pd0, td0, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(t0);
	CU_ASSERT_EQUAL(model_stats("mlx5_0").tises, 1);
	CU_ASSERT_EQUAL(model_stats("mlx5_1").tises, s1.tises);
	CU_ASSERT_EQUAL(model_stats("mlx5_1").pds, s1.pds);
	CU_ASSERT_EQUAL(mlx5tls_tis_destroy(t0), 0);
	CU_ASSERT_EQUAL(mlx5tls_td_dealloc(td0), 0);
	CU_ASSERT_EQUAL(mlx5tls_pd_dealloc(pd0), 0);
	CU_ASSERT_EQUAL(mlx5tls_device_close(d0), 0);
	CU_ASSERT_EQUAL(mlx5tls_device_close(d1), 0);
}

/* ---- concurrency: several contexts on one NIC, and pools shared by threads ---- */

#define NTHREADS 4
#define NLOOPS 50

static void *context_worker(void *arg)
{
	struct mlx5tls_device *d = mlx5tls_device_open("mlx5_0", NULL);
	struct tls12_crypto_info_aes_gcm_128 ci;
	struct mlx5tls_pd *pd = NULL;
	struct mlx5tls_td *td = NULL;
	intptr_t failures = 0;

	(void)arg;
	if (!d)
		return (void *)1;
	pd = mlx5tls_pd_alloc(d);
	td = mlx5tls_td_alloc(d);
	if (!pd || !td)
		failures++;
	for (int i = 0; pd && td && i < NLOOPS; i++) {
		struct mlx5tls_tis *tis = mlx5tls_tis_create(pd, td, NULL);
		struct mlx5tls_tis_attr ta;
		struct mlx5tls_dek_attr da;
		struct mlx5tls_dek *dek;

		ci_128(&ci, TLS_1_2_VERSION, (uint8_t)i);
		dek = mlx5tls_dek_create(pd, CI(ci), sizeof(ci), NULL);
		if (!tis || !dek || mlx5tls_tis_query(tis, &ta, sizeof(ta)) ||
		    mlx5tls_dek_query(dek, &da, sizeof(da)) || ta.pd != mlx5tls_pd_num(pd) ||
		    da.pd != mlx5tls_pd_num(pd))
			failures++;
		if (tis && mlx5tls_tis_destroy(tis))
			failures++;
		if (dek && mlx5tls_dek_destroy(dek))
			failures++;
	}
	if ((td && mlx5tls_td_dealloc(td)) || (pd && mlx5tls_pd_dealloc(pd)) ||
	    mlx5tls_device_close(d))
		failures++;
	return (void *)failures;
}

static void test_threads_own_contexts(void)
{
	pthread_t th[NTHREADS];
	struct devx_shim_dev_stats st;

	for (int i = 0; i < NTHREADS; i++)
		CU_ASSERT_EQUAL_FATAL(pthread_create(&th[i], NULL, context_worker, NULL), 0);
	for (int i = 0; i < NTHREADS; i++) {
		void *ret = NULL;

		pthread_join(th[i], &ret);
		CU_ASSERT_PTR_NULL(ret);
	}
	st = model_stats("mlx5_0");
	CU_ASSERT_EQUAL(st.pds + st.tds + st.tises + st.deks + st.dek_objects, 0);
	CU_ASSERT_EQUAL(devx_shim_open_contexts("mlx5_0"), 0);
}

struct pool_ctx {
	struct mlx5tls_dek_pool *deks;
	struct mlx5tls_tis_pool *tises;
};

static void *pool_worker(void *arg)
{
	const struct pool_ctx *pc = arg;
	struct tls12_crypto_info_aes_gcm_128 ci;
	intptr_t failures = 0;

	for (int i = 0; i < NLOOPS; i++) {
		struct mlx5tls_tis *tis = mlx5tls_tis_pool_get(pc->tises);
		struct mlx5tls_dek *dek;

		ci_128(&ci, TLS_1_2_VERSION, (uint8_t)(i * 3));
		dek = mlx5tls_dek_pool_get(pc->deks, CI(ci), sizeof(ci));
		if (!tis || !dek)
			failures++;
		if (tis && mlx5tls_tis_destroy(tis))
			failures++;
		if (dek && mlx5tls_dek_destroy(dek))
			failures++;
		if (i % 10 == 9 && mlx5tls_dek_pool_sync(pc->deks))
			failures++;
	}
	return (void *)failures;
}

static void test_threads_shared_pools(void)
{
	struct mlx5tls_device *d = open_dev("mlx5_0");
	pthread_t th[NTHREADS];
	struct pool_ctx pc;
	struct mlx5tls_pd *pd;
	struct mlx5tls_td *td;

	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	pd = mlx5tls_pd_alloc(d);
	td = mlx5tls_td_alloc(d);
	CU_ASSERT_PTR_NOT_NULL_FATAL(pd);
	CU_ASSERT_PTR_NOT_NULL_FATAL(td);
	{
		MLX5TLS_OPTS(mlx5tls_dek_pool_opts, o, .log_bulk_size = 3);

		pc.deks = mlx5tls_dek_pool_create(pd, &o);
	}
	pc.tises = mlx5tls_tis_pool_create(pd, td, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(pc.deks);
	CU_ASSERT_PTR_NOT_NULL_FATAL(pc.tises);
	for (int i = 0; i < NTHREADS; i++)
		CU_ASSERT_EQUAL_FATAL(pthread_create(&th[i], NULL, pool_worker, &pc), 0);
	for (int i = 0; i < NTHREADS; i++) {
		void *ret = NULL;

		pthread_join(th[i], &ret);
		CU_ASSERT_PTR_NULL(ret);
	}
	CU_ASSERT_EQUAL(mlx5tls_dek_pool_destroy(pc.deks), 0);
	CU_ASSERT_EQUAL(mlx5tls_tis_pool_destroy(pc.tises), 0);
	CU_ASSERT_EQUAL(mlx5tls_td_dealloc(td), 0);
	CU_ASSERT_EQUAL(mlx5tls_pd_dealloc(pd), 0);
	CU_ASSERT_EQUAL(mlx5tls_device_close(d), 0);
	CU_ASSERT_EQUAL(model_stats("mlx5_0").tises, 0);
	CU_ASSERT_EQUAL(model_stats("mlx5_0").deks, 0);
}

static const struct test_case isolation_cases[] = {
	{ "two contexts on one NIC", test_two_contexts },
	{ "two NICs", test_two_devices },
	{ "threads, one context each", test_threads_own_contexts },
	{ "threads sharing DEK and TIS pools", test_threads_shared_pools },
	{ NULL, NULL },
};

static const struct test_suite suites[] = {
	{ "devx: isolation", NULL, NULL, isolation_cases },
	{ NULL, NULL, NULL, NULL },
};

int main(void)
{
	return devx_objects_run(suites);
}
