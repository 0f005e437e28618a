/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Device counters (mlx5tls_device_counters) and the process-wide TLS statistics
 * (mlx5tls_tls_stat) while contexts are made and dropped on several threads at once, each on its
 * own queue: every creation and destruction is counted exactly once, a "contexts now" figure
 * comes back to where it started, and a reader running meanwhile never sees a count go down.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mlx5tls/mlx5tls.h"
#include "test_util.h"

#define THREADS 4
#define ISN 1000u

struct worker {
	struct mlx5tls_device *dev;
	struct mlx5tls_pd *pd;
	struct mlx5tls_td *td;
	int rounds;
	int made;
	const char *failed;
};

static atomic_int running;

static int stress_rounds(void)
{
	/* MLX5TLS_STRESS_ROUNDS is test_threads' knob (150 under TSan in .ci/run) */
	const char *env = getenv("MLX5TLS_STRESS_ROUNDS");

	return env ? 2 * atoi(env) : 1000;
}

static void *worker_run(void *arg)
{
	struct worker *w = arg;
	MLX5TLS_OPTS(mlx5tls_qp_opts, qo, .flags = MLX5TLS_QP_F_MODEL_SYNC);
	struct mlx5tls_dek_pool *dp = mlx5tls_dek_pool_create(w->pd, NULL);
	struct mlx5tls_tis_pool *tp = mlx5tls_tis_pool_create(w->pd, w->td, NULL);
	struct mlx5tls_qp *qp = mlx5tls_qp_create(w->pd, w->td, &qo);
	struct tls12_crypto_info_aes_gcm_128 ci;

	if (!dp || !tp || !qp)
		w->failed = "pools or queue";
	for (int i = 0; i < w->rounds && !w->failed; i++) {
		MLX5TLS_OPTS(mlx5tls_tx_opts, o, .dek_pool = dp, .tis_pool = tp);
		struct mlx5tls_tx *tx;

		test_ci128(&ci, TLS_1_2_VERSION, (uint8_t)i);
		tx = mlx5tls_tx_create(qp, &ci.info, sizeof(ci), ISN, &o);
		if (!tx) {
			w->failed = "tx_create";
			break;
		}
		w->made++;
		if (mlx5tls_tx_destroy(tx))
			w->failed = "tx_destroy";
	}
	if (qp && mlx5tls_qp_destroy(qp) && !w->failed)
		w->failed = "qp_destroy";
	if (tp && mlx5tls_tis_pool_destroy(tp) && !w->failed)
		w->failed = "tis pool destroy";
	if (dp && mlx5tls_dek_pool_destroy(dp) && !w->failed)
		w->failed = "dek pool destroy";
	atomic_fetch_sub(&running, 1);
	return NULL;
}

static int stat_index(const char *name)
{
	for (unsigned int i = 0; i < mlx5tls_tls_stat_count(); i++)
		if (!strcmp(mlx5tls_tls_stat_name(i), name))
			return (int)i;
	return -1;
}

static uint64_t tls_stat(int idx)
{
	uint64_t v[64] = { 0 };
	int n = mlx5tls_tls_stat(v, 64);

	return idx >= 0 && idx < n ? v[idx] : 0;
}

static void test_counted_once(void)
{
	struct mlx5tls_device *dev = mlx5tls_device_open("sim", NULL);
	struct worker w[THREADS];
	pthread_t th[THREADS];
	int i_dev = stat_index("TlsTxDevice"), i_curr = stat_index("TlsCurrTxDevice");
	uint64_t made0, del0, dev0, curr0, last = 0;
	int made = 0, rounds = stress_rounds();
	bool went_down = false;
	struct mlx5tls_pd *pd;
	struct mlx5tls_td *td;

	CU_ASSERT_PTR_NOT_NULL_FATAL(dev);
	CU_ASSERT_FATAL(i_dev >= 0 && i_curr >= 0);
	pd = mlx5tls_pd_alloc(dev);
	td = mlx5tls_td_alloc(dev);
	CU_ASSERT_FATAL(pd && td);
	made0 = test_counter(dev, "tx_tls_ctx");
	del0 = test_counter(dev, "tx_tls_del");
	dev0 = tls_stat(i_dev);
	curr0 = tls_stat(i_curr);
	atomic_store(&running, THREADS);
	for (int i = 0; i < THREADS; i++) {
		w[i] = (struct worker){ .dev = dev, .pd = pd, .td = td, .rounds = rounds };
		CU_ASSERT_EQUAL_FATAL(pthread_create(&th[i], NULL, worker_run, &w[i]), 0);
	}
	/* a reader meanwhile: the sums only grow */
	while (atomic_load(&running)) {
		uint64_t now = test_counter(dev, "tx_tls_ctx");

		went_down |= now < last;
		last = now;
	}
	for (int i = 0; i < THREADS; i++) {
		pthread_join(th[i], NULL);
		if (w[i].failed)
			fprintf(stderr, "\nthread %d: %s failed\n", i, w[i].failed);
		CU_ASSERT_PTR_NULL(w[i].failed);
		made += w[i].made;
	}
	CU_ASSERT_EQUAL(made, THREADS * rounds);
	CU_ASSERT_FALSE(went_down);
	CU_ASSERT_EQUAL(test_counter(dev, "tx_tls_ctx") - made0, (uint64_t)made);
	CU_ASSERT_EQUAL(test_counter(dev, "tx_tls_del") - del0, (uint64_t)made);
	CU_ASSERT_EQUAL(tls_stat(i_dev) - dev0, (uint64_t)made);
	CU_ASSERT_EQUAL(tls_stat(i_curr), curr0);
	CU_ASSERT_EQUAL(mlx5tls_td_dealloc(td), 0);
	CU_ASSERT_EQUAL(mlx5tls_pd_dealloc(pd), 0);
	CU_ASSERT_EQUAL(mlx5tls_device_close(dev), 0);
}

int main(void)
{
	static const struct test_case cases[] = {
		{ "contexts made and dropped on 4 threads: each counted once", test_counted_once },
		{ NULL, NULL },
	};
	static const struct test_suite suites[] = {
		{ "counters, threads", NULL, NULL, cases },
		{ NULL, NULL, NULL, NULL },
	};

	return test_run_suites(suites);
}
