/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mlx5tls-bench setup --threads N: do contexts on different queues scale across threads?
 * (issue 10: "contexts on different queues created, destroyed and acked from different threads
 * scale").
 *
 * Each thread owns a queue pair (the model's synchronous queue: the device's work for it runs on
 * that thread) and its own DEK and TIS pools, and keeps LIVE TLS TX contexts on it. An operation
 * is what a server does per connection: a random context of the thread's is destroyed, a new one
 * created in its place, its first record sent, the completion reaped and the record
 * acknowledged. The same work runs with one thread and then with N at once, each for the same
 * wall-clock time; printed are the operations per second of both, their ratio (N is perfect
 * scaling), and how busy each thread's core was (its CPU time over the wall time: below 1 it
 * waited - a lock, or a core shared with something else).
 *
 * Then RX, the same way: each thread owns a queue pair and a receive queue and keeps LIVE
 * RX connections on them - a TLS TIR, its steering rule and the RX context; an operation
 * destroys a random one (rule, context, TIR) and makes a new one on a 4-tuple of its own.
 *
 * The scaling is a property of the machine as much as of the library: with fewer free cores
 * than threads it cannot reach N, so the number of online CPUs is printed with it.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

#define THREADS_SECONDS 0.5
#define THREADS_BATCH 64u /* operations between two looks at the clock */
#define THREADS_RX_ISN 5000u
/* Target (issue 10): N threads make at least this share of N times one thread's operations/s,
 * 1.5x with 2 (a core's worth lost to waiting or shared cache lines would be far below). */
#define THREADS_TARGET_SHARE 0.75

struct worker {
	struct tool *t;
	const union tool_crypto_info *ci;
	size_t ci_len;
	struct mlx5tls_pd *pd;
	struct mlx5tls_td *td;
	struct mlx5tls_qp *qp;
	struct mlx5tls_dek_pool *dek_pool;
	struct mlx5tls_tis_pool *tis_pool;
	struct mlx5tls_mr *mr;
	uint8_t *buf;
	struct mlx5tls_frame f;
	struct mlx5tls_tx **tx;
	/* RX: the receive queue and connections; flow numbers index, index + n, ... (unique on
	 * the device across the threads) */
	bool rx;
	struct mlx5tls_rq *rq;
	struct bench_rx_conn *rxc;
	uint32_t flow_next, flow_step;
	uint32_t live;
	uint64_t rng;
	struct start *start;
	/* results */
	uint64_t ops;
	double wall, cpu;
	int err;
	const char *what; /* the call that failed */
};

/* The threads start together once all are made; if one cannot be made, those waiting go home. */
struct start {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int state; /* 0: wait, 1: go, -1: give up */
};

struct threads_result {
	unsigned int threads;
	double ops_per_sec; /* all threads together */
	double busy;        /* CPU time over wall time, the mean of the threads */
};

static double clock_sec(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static struct mlx5tls_tx *tx_new(struct worker *w)
{
	MLX5TLS_OPTS(mlx5tls_tx_opts, o, .dek_pool = w->dek_pool, .tis_pool = w->tis_pool);

	return mlx5tls_tx_create(w->qp, &w->ci->info, w->ci_len, BENCH_FIRST_RECORD_ISN, &o);
}

static int fail(struct worker *w, const char *what, int err)
{
	w->what = what;
	w->err = err ? err : -EIO;
	return w->err;
}

static int rx_new(struct worker *w, struct bench_rx_conn *c)
{
	const struct bench_rx_env e = { .qp = w->qp, .rq = w->rq, .td = w->td,
					.dek_pool = w->dek_pool, .ci = w->ci, .ci_len = w->ci_len,
					.isn = THREADS_RX_ISN };

	w->flow_next += w->flow_step;
	return bench_rx_conn_new(&e, w->flow_next - w->flow_step, c);
}

/* An RX connection replaced: its rule, context and TIR destroyed, new ones made. */
static int one_rx_op(struct worker *w)
{
	struct bench_rx_conn *c = &w->rxc[bench_rng_next(&w->rng) % w->live];
	int ret;

	ret = bench_rx_conn_del(c);
	if (ret)
		return fail(w, "RX connection destroy", ret);
	ret = rx_new(w, c);
	return ret ? fail(w, "RX connection create", ret) : 0;
}

/* A context replaced, and the new one's first record sent, completed and acknowledged. */
static int one_op(struct worker *w)
{
	uint32_t i = (uint32_t)(bench_rng_next(&w->rng) % w->live);
	int ret;

	if (w->rx)
		return one_rx_op(w);
	ret = mlx5tls_tx_destroy(w->tx[i]);
	w->tx[i] = NULL;
	if (ret)
		return fail(w, "TX context destroy", ret);
	w->tx[i] = tx_new(w);
	if (!w->tx[i])
		return fail(w, "TX context create", -errno);
	ret = mlx5tls_tx_send(w->tx[i], &w->f, 0);
	if (ret)
		return fail(w, "TX send", ret);
	ret = bench_reap_all(w->qp);
	if (ret)
		return fail(w, "TX completion", ret);
	ret = mlx5tls_tx_ack(w->tx[i], BENCH_FIRST_RECORD_ISN + w->f.len - BENCH_FIRST_RECORD_HDR);
	return ret ? fail(w, "TX ack", ret) : 0;
}

static void *worker_run(void *arg)
{
	struct worker *w = arg;
	double t0, c0, t1;
	int state;

	pthread_mutex_lock(&w->start->lock);
	while (!(state = w->start->state))
		pthread_cond_wait(&w->start->cond, &w->start->lock);
	pthread_mutex_unlock(&w->start->lock);
	if (state < 0)
		return NULL;
	t0 = clock_sec(CLOCK_MONOTONIC);
	c0 = clock_sec(CLOCK_THREAD_CPUTIME_ID);
	do {
		for (unsigned int k = 0; k < THREADS_BATCH; k++, w->ops++)
			if (one_op(w))
				return NULL;
		t1 = clock_sec(CLOCK_MONOTONIC);
	} while (t1 - t0 < THREADS_SECONDS);
	w->wall = t1 - t0;
	w->cpu = clock_sec(CLOCK_THREAD_CPUTIME_ID) - c0;
	return NULL;
}

/* RX: the thread's receive queue and LIVE connections. */
static int worker_setup_rx(struct worker *w)
{
	MLX5TLS_OPTS(mlx5tls_rq_opts, ro, .flags = MLX5TLS_RQ_F_MODEL_SYNC);

	w->rq = mlx5tls_rq_create(w->pd, w->td, &ro);
	if (!w->rq)
		return fail(w, "receive queue create", -errno);
	w->rxc = calloc(w->live, sizeof(*w->rxc));
	if (!w->rxc)
		return fail(w, "allocating", -ENOMEM);
	for (uint32_t i = 0; i < w->live; i++) {
		int ret = rx_new(w, &w->rxc[i]);

		if (ret)
			return fail(w, "RX connection create", ret);
	}
	return 0;
}

/* The thread's queue, pools, frame and LIVE contexts (made here, on the main thread). */
static int worker_setup(struct worker *w)
{
	MLX5TLS_OPTS(mlx5tls_qp_opts, q, .flags = MLX5TLS_QP_F_MODEL_SYNC);

	w->dek_pool = mlx5tls_dek_pool_create(w->pd, NULL);
	if (!w->dek_pool)
		return fail(w, "DEK pool", -errno);
	w->tis_pool = mlx5tls_tis_pool_create(w->pd, w->td, NULL);
	if (!w->tis_pool)
		return fail(w, "TIS pool", -errno);
	w->qp = mlx5tls_qp_create(w->pd, w->td, &q);
	if (!w->qp)
		return fail(w, "queue create", -errno);
	if (w->rx)
		return worker_setup_rx(w);
	w->buf = aligned_alloc(4096, 4096);
	w->tx = calloc(w->live, sizeof(*w->tx));
	if (!w->buf || !w->tx)
		return fail(w, "allocating", -ENOMEM);
	w->mr = mlx5tls_mr_reg(w->pd, w->buf, 4096);
	if (!w->mr)
		return fail(w, "MR register", -errno);
	w->f = (struct mlx5tls_frame){ .data = w->buf, .mr = w->mr,
				       .len = (uint32_t)bench_first_record(w->ci, w->buf) };
	for (uint32_t i = 0; i < w->live; i++) {
		w->tx[i] = tx_new(w);
		if (!w->tx[i])
			return fail(w, "TX context create", -errno);
	}
	return 0;
}

/* Everything worker_setup made, whatever it got to. 0 or the first error. */
static int worker_teardown(struct worker *w)
{
	int ret = 0, err;

	for (uint32_t i = 0; w->tx && i < w->live; i++)
		if (w->tx[i] && (err = mlx5tls_tx_destroy(w->tx[i])) && !ret)
			ret = fail(w, "TX context destroy", err);
	free(w->tx);
	for (uint32_t i = 0; w->rxc && i < w->live; i++)
		if ((err = bench_rx_conn_del(&w->rxc[i])) && !ret)
			ret = fail(w, "RX connection destroy", err);
	free(w->rxc);
	if (w->rq && (err = mlx5tls_rq_destroy(w->rq)) && !ret)
		ret = fail(w, "receive queue destroy", err);
	if (w->mr && (err = mlx5tls_mr_dereg(w->mr)) && !ret)
		ret = fail(w, "MR deregister", err);
	free(w->buf);
	if (w->qp && (err = mlx5tls_qp_destroy(w->qp)) && !ret)
		ret = fail(w, "queue destroy", err);
	if (w->tis_pool && (err = mlx5tls_tis_pool_destroy(w->tis_pool)) && !ret)
		ret = fail(w, "TIS pool destroy", err);
	if (w->dek_pool && (err = mlx5tls_dek_pool_destroy(w->dek_pool)) && !ret)
		ret = fail(w, "DEK pool destroy", err);
	return ret;
}

/* One run: n threads at once. */
static int run_threads(struct worker *proto, unsigned int n, struct threads_result *r)
{
	struct worker *w = calloc(n, sizeof(*w));
	pthread_t *th = calloc(n, sizeof(*th));
	struct start start = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0 };
	unsigned int started = 0;
	int ret = 0;

	if (!w || !th) {
		free(w);
		free(th);
		return tool_fail(proto->t, "allocating", -ENOMEM);
	}
	for (unsigned int i = 0; i < n && !ret; i++) {
		w[i] = *proto;
		w[i].start = &start;
		w[i].rng = proto->rng + 0x9e3779b97f4a7c15ull * (i + 1);
		w[i].flow_next = i;
		w[i].flow_step = n;
		if (worker_setup(&w[i]))
			ret = tool_fail(proto->t, w[i].what, w[i].err);
	}
	for (; !ret && started < n; started++)
		if ((ret = pthread_create(&th[started], NULL, worker_run, &w[started])))
			ret = tool_fail(proto->t, "starting a thread", -ret);
	pthread_mutex_lock(&start.lock);
	start.state = ret ? -1 : 1;
	pthread_cond_broadcast(&start.cond);
	pthread_mutex_unlock(&start.lock);
	for (unsigned int i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	r->threads = n;
	r->ops_per_sec = 0;
	r->busy = 0;
	for (unsigned int i = 0; i < n; i++) {
		if (!ret && w[i].what && w[i].err)
			ret = tool_fail(proto->t, w[i].what, w[i].err);
		if (w[i].wall > 0) {
			r->ops_per_sec += (double)w[i].ops / w[i].wall;
			r->busy += w[i].cpu / w[i].wall / n;
		}
	}
	for (unsigned int i = 0; i < n; i++)
		if (worker_teardown(&w[i]) && !ret)
			ret = tool_fail(proto->t, w[i].what, w[i].err);
	free(th);
	free(w);
	return ret;
}

static void print_run(const struct threads_result *r)
{
	pr_open_object(NULL);
	pr_uint("threads", "  %3s thread(s):", r->threads);
	pr_double("ops_per_sec", " %s operations/s", r->ops_per_sec, 0);
	pr_double("busy", " (each core busy %s of the time)", r->busy, 2);
	pr_close_object();
	pr_nl();
}

/* One direction's two runs, their ratio and its target. */
static void report_runs(const char *what, const struct threads_result r[2], long cpus)
{
	double ratio = bench_ratio(r[1].ops_per_sec, r[0].ops_per_sec);
	double goal = THREADS_TARGET_SHARE * r[1].threads;
	bool met = ratio >= goal;

	pr_open_array("runs");
	print_run(&r[0]);
	print_run(&r[1]);
	pr_close_array();
	pr_uint("threads", "  %s threads together:", r[1].threads);
	pr_double("scaling", " %sx the operations/s of one", ratio, 2);
	pr_uint("ideal", " (ideal %sx;", r[1].threads);
	pr_int("online_cpus", " %s CPUs online)", cpus);
	pr_nl();
	pr_open_object("scaling_target");
	pr_text("target %s setup/s with %u threads >= %.2fx one thread:", what, r[1].threads,
		goal);
	pr_bool("met", NULL, met);
	pr_text(" %s", met ? "met" : "NOT met");
	pr_double("value", " (%sx)", ratio, 2);
	pr_close_object();
	pr_nl();
}

/* TX at the top level (as before RX was measured), RX in an object of its own. */
static int threads_report(struct tool *t, uint32_t live, const struct threads_result tx[2],
			  const struct threads_result rx[2])
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);

	pr_open_object(NULL);
	pr_string("benchmark", "%s:", "setup --threads");
	pr_string("device", " device %s,", t->attr.name);
	pr_uint("live_per_thread", " %s live TLS TX contexts per thread on its own queue;", live);
	pr_text(" an operation: a random one destroyed, a new one created, its first record sent,"
		" completed and acknowledged;");
	pr_double("seconds", " %s s wall clock per run", THREADS_SECONDS, 1);
	pr_nl();
	report_runs("tx", tx, cpus);
	pr_open_object("rx");
	pr_uint("live_per_thread", "RX: %s live TLS RX connections per thread on its own queues",
		live);
	pr_text(" (a TLS TIR, its steering rule, the RX context); an operation: a random one"
		" destroyed, a new one made");
	pr_nl();
	report_runs("rx", rx, cpus);
	pr_close_object();
	pr_close_object();
	return 0;
}

int bench_threads_run(struct tool *t, unsigned int threads, uint32_t live)
{
	struct mlx5tls_caps caps;
	struct worker proto = { .t = t, .live = live };
	struct threads_result r[2], rx[2];
	union tool_crypto_info ci;
	const struct tool_suite *suite;
	int ret = 0, err;

	memset(r, 0, sizeof(r));
	memset(rx, 0, sizeof(rx));
	memset(&caps, 0, sizeof(caps));
	if (tool_open_device(t, false))
		return 1;
	ret = mlx5tls_query_caps(t->dev, &caps, sizeof(caps));
	if (ret)
		return tool_fail(t, "cannot query capabilities", ret);
	suite = tool_pick_suite(caps.suites, MLX5TLS_SUITE_TLS12_AES_GCM_128);
	if (!caps.tls_tx || !caps.tls_rx || !caps.dek_object || !suite) {
		fprintf(stderr, "%s: device %s cannot offload TLS TX and RX\n", t->prog,
			t->attr.name);
		return 1;
	}
	proto.ci_len = tool_crypto_info(&ci, suite, NULL, NULL);
	if (!proto.ci_len)
		return tool_fail(t, "making a key", errno);
	proto.ci = &ci;
	if (getrandom(&proto.rng, sizeof(proto.rng), 0) != sizeof(proto.rng) || !proto.rng)
		proto.rng = 0x9e3779b97f4a7c15ull;
	proto.pd = mlx5tls_pd_alloc(t->dev);
	proto.td = proto.pd ? mlx5tls_td_alloc(t->dev) : NULL;
	if (!proto.td)
		ret = tool_fail(t, proto.pd ? "TD alloc" : "PD alloc", errno);
	if (!ret)
		ret = run_threads(&proto, 1, &r[0]);
	if (!ret)
		ret = run_threads(&proto, threads, &r[1]);
	proto.rx = true;
	if (!ret)
		ret = run_threads(&proto, 1, &rx[0]);
	if (!ret)
		ret = run_threads(&proto, threads, &rx[1]);
	if (!ret)
		ret = threads_report(t, live, r, rx);
	explicit_bzero(&ci, sizeof(ci));
	if (proto.td && (err = mlx5tls_td_dealloc(proto.td)) && !ret)
		ret = tool_fail(t, "TD dealloc", err);
	if (proto.pd && (err = mlx5tls_pd_dealloc(proto.pd)) && !ret)
		ret = tool_fail(t, "PD dealloc", err);
	return ret;
}
