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

#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "frame_util.h"
#include "mlx5tls/mlx5tls.h"
#include "test_util.h"
#include "tls_peer.h"

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


/* ---- the stress run: queues, TX/RX contexts on threads, a client querying the publisher ---- */

#define WORKERS 3u
#define ROUNDS_DEFAULT 40
#define FRAMES 6u
#define ISN 7000u

struct stress {
	struct mlx5tls_device *dev;
	struct mlx5tls_pd *pd;
	struct mlx5tls_td *td;
	struct mlx5tls_dek_pool *pool;
	unsigned int rounds;
	atomic_bool stop;
	atomic_uint errors;
	atomic_uint answers;
	atomic_uint bad_answers;
	char sock[108];
};

static void stress_fail(struct stress *s, const char *what, int err)
{
	fprintf(stderr, "stress: %s: %s\n", what, strerror(err));
	atomic_fetch_add(&s->errors, 1);
}

static void worker_round(struct stress *s, unsigned int id, unsigned int round, uint8_t *arena,
			 size_t arena_len)
{
	struct mlx5tls_qp_opts qo = { .sz = sizeof(qo),
				      .flags = (id + round) % 2 ? MLX5TLS_QP_F_MODEL_SYNC : 0 };
	struct mlx5tls_tx_opts to = { .sz = sizeof(to), .dek_pool = s->pool,
				      .flags = round % 3 == 2 ? MLX5TLS_TX_F_SOFTWARE : 0 };
	struct mlx5tls_tir_opts tio = { .sz = sizeof(tio), .tls_en = true };
	struct tls12_crypto_info_aes_gcm_128 ci;
	struct mlx5tls_qp *qp;
	struct mlx5tls_mr *mr = NULL;
	struct mlx5tls_tx *tx = NULL;
	struct mlx5tls_rq *rq = NULL;
	struct mlx5tls_tir *tir = NULL;
	struct mlx5tls_rx *rx = NULL;
	uint8_t pt[2000], rec[2100];
	ssize_t rec_len;
	size_t used = 0;
	unsigned int done = 0;

	test_ci128(&ci, TLS_1_2_VERSION, (uint8_t)(id * 16 + round));
	qp = mlx5tls_qp_create(s->pd, s->td, &qo);
	if (!qp)
		return stress_fail(s, "qp_create", errno);
	mr = mlx5tls_mr_reg(s->pd, arena, arena_len);
	tx = mr ? mlx5tls_tx_create(qp, &ci.info, sizeof(ci), ISN, &to) : NULL;
	if (!tx) {
		stress_fail(s, "mr_reg/tx_create", errno);
		goto out;
	}
	memset(pt, (int)round, sizeof(pt));
	rec_len = tls_record_layout(&ci.info, TLS_RT_APPLICATION_DATA, 0, pt, sizeof(pt), rec,
				    sizeof(rec));
	for (unsigned int i = 0; i < FRAMES && rec_len > 0; i++) {
		uint32_t per = (uint32_t)rec_len / FRAMES, off = i * per;
		uint32_t len = i == FRAMES - 1 ? (uint32_t)rec_len - off : per;
		struct mlx5tls_frame f = { .data = arena + used, .mr = mr, .cookie = i };

		f.len = (uint32_t)test_tcp_frame(arena + used, true, ISN + off, rec + off, len);
		used += (f.len + 63) & ~63u;
		if (mlx5tls_tx_send(tx, &f, 0))
			stress_fail(s, "tx_send", errno);
	}
	for (int tries = 0; tries < 20000 && done < FRAMES; tries++) {
		struct mlx5tls_completion c[8];
		int n = mlx5tls_qp_poll(qp, c, 8, 1);

		if (n < 0) {
			stress_fail(s, "qp_poll", -n);
			break;
		}
		done += (unsigned int)n;
	}
	if (done != FRAMES)
		stress_fail(s, "completions", EIO);
	/* an RX context on its own receive queue and TIR, next to the TX one */
	rq = mlx5tls_rq_create(s->pd, s->td, NULL);
	tir = rq ? mlx5tls_tir_create(rq, s->td, &tio) : NULL;
	rx = tir ? mlx5tls_rx_create(qp, tir, &ci.info, sizeof(ci), ISN, NULL) : NULL;
	if (!rx)
		stress_fail(s, "rq/tir/rx_create", errno);
	(void)mlx5tls_qp_poll(qp, NULL, 0, 0);
out:
	if (rx && mlx5tls_rx_destroy(rx))
		stress_fail(s, "rx_destroy", errno);
	if (tir && mlx5tls_tir_destroy(tir))
		stress_fail(s, "tir_destroy", errno);
	if (rq && mlx5tls_rq_destroy(rq))
		stress_fail(s, "rq_destroy", errno);
	if (tx && mlx5tls_tx_destroy(tx))
		stress_fail(s, "tx_destroy", errno);
	if (mr && mlx5tls_mr_dereg(mr))
		stress_fail(s, "mr_dereg", errno);
	if (mlx5tls_qp_destroy(qp))
		stress_fail(s, "qp_destroy", errno);
}

struct worker_arg {
	struct stress *s;
	unsigned int id;
};

static void *stress_worker(void *arg)
{
	struct worker_arg *a = arg;
	size_t arena_len = 1u << 16;
	uint8_t *arena = aligned_alloc(4096, arena_len);

	if (!arena) {
		stress_fail(a->s, "arena", ENOMEM);
		return NULL;
	}
	for (unsigned int r = 0; r < a->s->rounds; r++)
		worker_round(a->s, a->id, r, arena, arena_len);
	free(arena);
	return NULL;
}

/* One request, its whole answer: one line of JSON (an object). */
static void query_once(struct stress *s, int fd, const char *req)
{
	static char buf[1 << 20];
	size_t len = 0;

	if (send(fd, req, strlen(req), MSG_NOSIGNAL) != (ssize_t)strlen(req)) {
		atomic_fetch_add(&s->bad_answers, 1);
		return;
	}
	while (len < sizeof(buf) - 1) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (poll(&p, 1, 5000) <= 0)
			break;
		n = recv(fd, buf + len, sizeof(buf) - 1 - len, 0);
		if (n <= 0)
			break;
		len += (size_t)n;
		if (buf[len - 1] == '\n')
			break;
	}
	buf[len] = 0;
	if (len < 3 || buf[0] != '{' || buf[len - 1] != '\n' || buf[len - 2] != '}' ||
	    memchr(buf, '\n', len) != buf + len - 1)
		atomic_fetch_add(&s->bad_answers, 1);
	else
		atomic_fetch_add(&s->answers, 1);
}

static void *stress_client(void *arg)
{
	static const char *const reqs[] = { "info\n", "dev\n", "qp\n",   "ctx\n",
					    "dek\n",  "tis\n", "tir\n",  "pool\n", "stat\n" };
	struct stress *s = arg;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", s->sock);
	while (!atomic_load(&s->stop)) {
		int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

		if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
			if (fd >= 0)
				close(fd);
			atomic_fetch_add(&s->bad_answers, 1);
			usleep(1000);
			continue;
		}
		for (unsigned int i = 0; i < sizeof(reqs) / sizeof(reqs[0]); i++)
			query_once(s, fd, reqs[i]);
		close(fd);
	}
	return NULL;
}

static void test_stress(void)
{
	struct stress s = { 0 };
	struct worker_arg wa[WORKERS];
	pthread_t w[WORKERS], cl;
	char dir[64];
	const char *r = getenv("MLX5TLS_STRESS_ROUNDS");
	MLX5TLS_OPTS(mlx5tls_publish_opts, po, .dir = dir);

	s.rounds = r ? (unsigned int)atoi(r) : ROUNDS_DEFAULT;
	snprintf(dir, sizeof(dir), "/tmp/mlx5tls-stress-XXXXXX");
	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
	CU_ASSERT_EQUAL_FATAL(mlx5tls_publish_start(&po), 0);
	snprintf(s.sock, sizeof(s.sock), "%s/%d.sock", dir, (int)getpid());
	s.dev = mlx5tls_device_open("sim", NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s.dev);
	s.pd = mlx5tls_pd_alloc(s.dev);
	s.td = mlx5tls_td_alloc(s.dev);
	CU_ASSERT_FATAL(s.pd && s.td);
	s.pool = mlx5tls_dek_pool_create(s.pd, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s.pool);
	CU_ASSERT_EQUAL_FATAL(pthread_create(&cl, NULL, stress_client, &s), 0);
	for (unsigned int i = 0; i < WORKERS; i++) {
		wa[i] = (struct worker_arg){ &s, i };
		CU_ASSERT_EQUAL_FATAL(pthread_create(&w[i], NULL, stress_worker, &wa[i]), 0);
	}
	for (unsigned int i = 0; i < WORKERS; i++)
		pthread_join(w[i], NULL);
	atomic_store(&s.stop, true);
	pthread_join(cl, NULL);
	printf("\n  %u rounds x %u threads, %u answers\n", s.rounds, WORKERS,
	       atomic_load(&s.answers));
	CU_ASSERT_EQUAL(atomic_load(&s.errors), 0);
	CU_ASSERT_EQUAL(atomic_load(&s.bad_answers), 0);
	CU_ASSERT_TRUE(atomic_load(&s.answers) > 0);
	CU_ASSERT_EQUAL(mlx5tls_dek_pool_destroy(s.pool), 0);
	CU_ASSERT_EQUAL(mlx5tls_td_dealloc(s.td), 0);
	CU_ASSERT_EQUAL(mlx5tls_pd_dealloc(s.pd), 0);
	CU_ASSERT_EQUAL(mlx5tls_device_close(s.dev), 0);
	CU_ASSERT_EQUAL(mlx5tls_publish_stop(), 0);
	CU_ASSERT_EQUAL(rmdir(dir), 0);
}

int main(void)
{
	static const struct test_case cases[] = {
		{ "queue pairs on threads, wire replaced meanwhile", test_live_qps_exact },
		{ "stress: queues, TX/RX contexts on threads, publisher queried", test_stress },
		{ NULL, NULL },
	};
	static const struct test_suite suites[] = {
		{ "threads", NULL, NULL, cases },
		{ NULL, NULL, NULL, NULL },
	};

	return test_run_suites(suites);
}
