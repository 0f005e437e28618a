/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * TLS contexts on different queues of one device, driven from different threads (issue 10:
 * "contexts on different queues created, destroyed and acked from different threads scale ...
 * no device-wide lock"):
 *  - while a walk over the device's TX contexts holds its lock for a step over one queue's
 *    contexts, another thread creates, sends on, acknowledges, rekeys (the ack then releases
 *    the old key) and destroys TX contexts, and creates and destroys RX contexts, on its own
 *    queue, and inspects them, without waiting for the walk (a device-wide lock makes it wait
 *    until the step ends: the test then fails);
 *  - threads churn TX and RX contexts on their queues (replace, send, complete, acknowledge,
 *    rekey) while this thread walks the device's contexts (mlx5tls_device_foreach_tx, and the
 *    publisher's paged "ctx" answers): every context that stays live is seen exactly once per
 *    walk, none twice, and a context just made is found by its id. Also run under
 *    ThreadSanitizer (CI);
 *  - the same for RX contexts made and dropped on another queue while the publisher's walk over
 *    RX contexts holds a step over this queue's;
 *  - ids: one process-wide sequence for the contexts of every queue, each found by its id;
 *  - the walk's cursors name a shard (mlx5tls_internal.h), and pages over two queues' contexts
 *    list each once.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "frame_util.h"
#include "inspect.h"
#include "mlx5tls/mlx5tls.h"
#include "publish_internal.h"
#include "test_util.h"
#include "tls_peer.h"

#define ISN 5000u
#define PT_LEN 600u
#define POLL_TRIES 100000

/* A queue and what its thread needs to send a record on it. */
struct q {
	struct mlx5tls_qp *qp;
	struct mlx5tls_mr *mr;
	struct mlx5tls_rq *rq;
	struct mlx5tls_tir *tir; /* for the queue's RX contexts */
	uint8_t *buf;
	uint8_t key;
};

struct bed {
	struct mlx5tls_device *dev;
	struct mlx5tls_pd *pd;
	struct mlx5tls_td *td;
};

static void bed_open(struct bed *b)
{
	b->dev = mlx5tls_device_open("sim:cx6dx,log_max_tis=16", NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b->dev);
	b->pd = mlx5tls_pd_alloc(b->dev);
	b->td = mlx5tls_td_alloc(b->dev);
	CU_ASSERT_FATAL(b->pd && b->td);
}

static void bed_close(struct bed *b)
{
	CU_ASSERT_EQUAL(mlx5tls_td_dealloc(b->td), 0);
	CU_ASSERT_EQUAL(mlx5tls_pd_dealloc(b->pd), 0);
	CU_ASSERT_EQUAL(mlx5tls_device_close(b->dev), 0);
}

static void q_open(struct q *q, const struct bed *b)
{
	struct mlx5tls_qp_opts qo = { .sz = sizeof(qo), .flags = MLX5TLS_QP_F_MODEL_SYNC };
	struct mlx5tls_tir_opts tio = { .sz = sizeof(tio), .tls_en = true };

	memset(q, 0, sizeof(*q));
	q->qp = mlx5tls_qp_create(b->pd, b->td, &qo);
	q->buf = aligned_alloc(4096, 4096);
	CU_ASSERT_FATAL(q->qp && q->buf);
	q->mr = mlx5tls_mr_reg(b->pd, q->buf, 4096);
	CU_ASSERT_PTR_NOT_NULL_FATAL(q->mr);
	q->rq = mlx5tls_rq_create(b->pd, b->td, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(q->rq);
	q->tir = mlx5tls_tir_create(q->rq, b->td, &tio);
	CU_ASSERT_PTR_NOT_NULL_FATAL(q->tir);
}

static void q_close(struct q *q)
{
	CU_ASSERT_EQUAL(mlx5tls_tir_destroy(q->tir), 0);
	CU_ASSERT_EQUAL(mlx5tls_rq_destroy(q->rq), 0);
	CU_ASSERT_EQUAL(mlx5tls_mr_dereg(q->mr), 0);
	CU_ASSERT_EQUAL(mlx5tls_qp_destroy(q->qp), 0);
	free(q->buf);
}

/* Every completion the queue owes, reaped. 0 or -errno. */
static int q_reap(struct q *q, unsigned int want)
{
	struct mlx5tls_completion c[8];
	unsigned int got = 0;

	for (int i = 0; i < POLL_TRIES && got < want; i++) {
		int n = mlx5tls_qp_poll(q->qp, c, 8, 1);

		if (n < 0)
			return n;
		got += (unsigned int)n;
	}
	return got == want ? 0 : -ETIMEDOUT;
}

/*
 * A TLS 1.3 context made on q, its first record sent, completed and acknowledged; with rekey, a
 * key update follows and an ack, which releases the first key (the ack's only lock: the one
 * inspection reads the keys under). NULL (what failed in *what) or the context.
 */
static struct mlx5tls_tx *ctx_cycle(struct q *q, bool rekey, const char **what)
{
	struct tls12_crypto_info_aes_gcm_128 ci;
	uint8_t pt[PT_LEN], rec[PT_LEN + 64];
	struct mlx5tls_frame f = { .mr = q->mr, .data = q->buf };
	struct mlx5tls_tx *tx;
	ssize_t rec_len;

	test_ci128(&ci, TLS_1_3_VERSION, q->key++);
	tx = mlx5tls_tx_create(q->qp, &ci.info, sizeof(ci), ISN, NULL);
	if (!tx) {
		*what = "tx_create";
		return NULL;
	}
	memset(pt, 0x5a, sizeof(pt));
	rec_len = tls_record_layout(&ci.info, TLS_RT_APPLICATION_DATA, 0, pt, sizeof(pt), rec,
				    sizeof(rec));
	if (rec_len <= 0) {
		*what = "record layout";
		goto err;
	}
	f.len = (uint32_t)test_tcp_frame(q->buf, true, ISN, rec, (uint32_t)rec_len);
	if (mlx5tls_tx_send(tx, &f, 0)) {
		*what = "tx_send";
		goto err;
	}
	if (q_reap(q, 1)) {
		*what = "completion";
		goto err;
	}
	if (mlx5tls_tx_ack(tx, ISN + (uint32_t)rec_len)) {
		*what = "tx_ack";
		goto err;
	}
	if (!rekey)
		return tx;
	test_ci128(&ci, TLS_1_3_VERSION, q->key++);
	if (mlx5tls_tx_rekey(tx, &ci.info, sizeof(ci))) {
		*what = "tx_rekey";
		goto err;
	}
	if (mlx5tls_tx_ack(tx, ISN + (uint32_t)rec_len) || (tx->live_epochs & 1u)) {
		*what = "ack releasing the old key";
		goto err;
	}
	return tx;
err:
	mlx5tls_tx_destroy(tx);
	return NULL;
}

static uint64_t ctx_id(struct mlx5tls_tx *tx)
{
	struct mlx5tls_tx_state st;

	if (mlx5tls_tx_inspect(tx, &st, sizeof(st)))
		return 0;
	return st.id;
}

/* A TLS RX context on q (software path, on q's TIR); its id in *id. NULL when it fails. */
static struct mlx5tls_rx *rx_make(struct q *q, uint64_t *id)
{
	struct mlx5tls_rx_opts ro = { .sz = sizeof(ro), .flags = MLX5TLS_RX_F_SOFTWARE };
	struct tls12_crypto_info_aes_gcm_128 ci;
	struct mlx5tls_rx_state st;
	struct mlx5tls_rx *rx;

	test_ci128(&ci, TLS_1_2_VERSION, q->key++);
	rx = mlx5tls_rx_create(q->qp, q->tir, &ci.info, sizeof(ci), ISN, &ro);
	if (rx && mlx5tls_rx_inspect(rx, &st, sizeof(st))) {
		mlx5tls_rx_destroy(rx);
		return NULL;
	}
	if (rx)
		*id = st.id;
	return rx;
}

/* The publisher's answer to "ctx id N" lists that context, of that direction. */
static bool found_dir_by_id(uint64_t id, bool rx)
{
	char line[64], want[64], *a;
	size_t len = 0;
	bool ok;

	snprintf(line, sizeof(line), "ctx id %llu", (unsigned long long)id);
	snprintf(want, sizeof(want), "{\"id\":%llu,\"device\":", (unsigned long long)id);
	a = publish_answer(line, &len);
	ok = a && strstr(a, want) && strstr(a, rx ? "\"dir\":\"rx\"" : "\"dir\":\"tx\"");
	free(a);
	return ok;
}

static bool found_by_id(uint64_t id)
{
	return found_dir_by_id(id, false);
}

/* ---- another queue's thread goes on while a walk holds a step over this queue's contexts ---- */

#define HOLD_CTXS 4u
#define OTHER_ROUNDS 8u
#define HOLD_WAIT_S 3

struct hold {
	struct q a, b;
	struct mlx5tls_tx *a_tx[HOLD_CTXS];
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool go, done;
	unsigned int a_visits, b_in_time;
	atomic_uint b_done;
	bool in_time;
	const char *failed;
};

/* Thread of queue b: once told, contexts made, used, rekeyed, inspected and destroyed. */
static void *other_queue(void *arg)
{
	struct hold *h = arg;
	const char *what = NULL;

	pthread_mutex_lock(&h->lock);
	while (!h->go)
		pthread_cond_wait(&h->cond, &h->lock);
	pthread_mutex_unlock(&h->lock);
	for (unsigned int i = 0; i < OTHER_ROUNDS && !what; i++) {
		struct mlx5tls_tx *tx = ctx_cycle(&h->b, i % 2 == 0, &what);

		if (!tx)
			break;
		uint64_t rx_id = 0;
		struct mlx5tls_rx *rx = rx_make(&h->b, &rx_id);

		/* not looked up by id here: a look-up asks every shard's index, the held one too -
		 * only the publisher looks up by id, one request at a time, between its steps */
		if (!ctx_id(tx))
			what = "tx_inspect";
		if (!rx)
			what = "rx_create";
		if (rx && mlx5tls_rx_destroy(rx) && !what)
			what = "rx_destroy";
		if (mlx5tls_tx_destroy(tx) && !what)
			what = "tx_destroy";
		if (!what)
			atomic_fetch_add(&h->b_done, 1);
	}
	pthread_mutex_lock(&h->lock);
	h->failed = what;
	h->done = true;
	pthread_cond_signal(&h->cond);
	pthread_mutex_unlock(&h->lock);
	return NULL;
}

/* On the first of queue a's contexts (its lock held): queue b's thread does its work now. */
/* cppcheck-suppress constParameter ; the signature is mlx5tls_device_foreach_tx's callback */
static int hold_cb(struct mlx5tls_tx *tx, void *arg)
{
	struct hold *h = arg;
	struct timespec until;
	bool mine = false;

	for (unsigned int i = 0; i < HOLD_CTXS; i++)
		mine |= tx == h->a_tx[i];
	if (!mine || h->a_visits++)
		return 0;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += HOLD_WAIT_S;
	pthread_mutex_lock(&h->lock);
	h->go = true;
	pthread_cond_broadcast(&h->cond);
	while (!h->done)
		if (pthread_cond_timedwait(&h->cond, &h->lock, &until) == ETIMEDOUT)
			break;
	h->in_time = h->done;
	h->b_in_time = atomic_load(&h->b_done);
	pthread_mutex_unlock(&h->lock);
	return 0;
}

static void test_other_queue_during_walk(void)
{
	struct hold *h = calloc(1, sizeof(*h));
	const char *what = NULL;
	struct bed b;
	pthread_t th;

	CU_ASSERT_PTR_NOT_NULL_FATAL(h);
	bed_open(&b);
	q_open(&h->a, &b);
	q_open(&h->b, &b);
	h->b.key = 100;
	pthread_mutex_init(&h->lock, NULL);
	pthread_cond_init(&h->cond, NULL);
	for (unsigned int i = 0; i < HOLD_CTXS; i++) {
		h->a_tx[i] = ctx_cycle(&h->a, false, &what);
		CU_ASSERT_PTR_NOT_NULL_FATAL(h->a_tx[i]);
	}
	CU_ASSERT_EQUAL_FATAL(pthread_create(&th, NULL, other_queue, h), 0);
	CU_ASSERT_EQUAL(mlx5tls_device_foreach_tx(b.dev, hold_cb, h), 0);
	pthread_join(th, NULL);
	if (!h->in_time)
		printf("\n  queue b's thread waited for the walk's step on queue a (%u of %u rounds "
		       "done in %d s)", h->b_in_time, OTHER_ROUNDS, HOLD_WAIT_S);
	if (h->failed)
		printf("\n  queue b: %s failed", h->failed);
	CU_ASSERT_EQUAL(h->a_visits, HOLD_CTXS);
	CU_ASSERT_TRUE(h->in_time);
	CU_ASSERT_PTR_NULL(h->failed);
	CU_ASSERT_EQUAL(atomic_load(&h->b_done), OTHER_ROUNDS);
	for (unsigned int i = 0; i < HOLD_CTXS; i++)
		CU_ASSERT_EQUAL(mlx5tls_tx_destroy(h->a_tx[i]), 0);
	q_close(&h->a);
	q_close(&h->b);
	pthread_cond_destroy(&h->cond);
	pthread_mutex_destroy(&h->lock);
	bed_close(&b);
	free(h);
}

/* ---- the same for RX contexts, with the publisher's walk over RX contexts holding a step ---- */

struct rx_hold {
	struct q a, b;
	struct mlx5tls_rx *a_rx[HOLD_CTXS];
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool go, done, in_time;
	unsigned int a_visits, b_in_time;
	atomic_uint b_done;
	const char *failed;
};

/* Thread of queue b: once told, RX contexts made, inspected and destroyed on it. (Not "ctx id":
 * the walk holds the registry of devices, which a look-up by id takes too.) */
static void *other_queue_rx(void *arg)
{
	struct rx_hold *h = arg;
	const char *what = NULL;

	pthread_mutex_lock(&h->lock);
	while (!h->go)
		pthread_cond_wait(&h->cond, &h->lock);
	pthread_mutex_unlock(&h->lock);
	for (unsigned int i = 0; i < OTHER_ROUNDS && !what; i++) {
		uint64_t id = 0;
		struct mlx5tls_rx *rx = rx_make(&h->b, &id);

		if (!rx || !id)
			what = "rx_create (and rx_inspect)";
		else if (mlx5tls_rx_destroy(rx))
			what = "rx_destroy";
		if (!what)
			atomic_fetch_add(&h->b_done, 1);
	}
	pthread_mutex_lock(&h->lock);
	h->failed = what;
	h->done = true;
	pthread_cond_signal(&h->cond);
	pthread_mutex_unlock(&h->lock);
	return NULL;
}

/* The publisher's walk over RX contexts (publish_walk.c) calls this with the step's lock held:
 * on the first of queue a's contexts, queue b's thread does its work now. */
/* cppcheck-suppress constParameter ; the signature is walk_fn's */
static void rx_hold_fn(struct jw *w, void *ctx, void *arg)
{
	struct rx_hold *h = arg;
	struct timespec until;
	bool mine = false;

	(void)w;
	for (unsigned int i = 0; i < HOLD_CTXS; i++)
		mine |= ctx == (void *)h->a_rx[i];
	if (!mine || h->a_visits++)
		return;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += HOLD_WAIT_S;
	pthread_mutex_lock(&h->lock);
	h->go = true;
	pthread_cond_broadcast(&h->cond);
	while (!h->done)
		if (pthread_cond_timedwait(&h->cond, &h->lock, &until) == ETIMEDOUT)
			break;
	h->in_time = h->done;
	h->b_in_time = atomic_load(&h->b_done);
	pthread_mutex_unlock(&h->lock);
}

static void test_other_queue_during_rx_walk(void)
{
	struct rx_hold *h = calloc(1, sizeof(*h));
	struct walk_cursor c = WALK_CURSOR_RX;
	struct jw w = { 0 };
	uint64_t id;
	struct bed b;
	pthread_t th;

	CU_ASSERT_PTR_NOT_NULL_FATAL(h);
	bed_open(&b);
	q_open(&h->a, &b);
	q_open(&h->b, &b);
	h->b.key = 100;
	pthread_mutex_init(&h->lock, NULL);
	pthread_cond_init(&h->cond, NULL);
	for (unsigned int i = 0; i < HOLD_CTXS; i++) {
		h->a_rx[i] = rx_make(&h->a, &id);
		CU_ASSERT_PTR_NOT_NULL_FATAL(h->a_rx[i]);
	}
	CU_ASSERT_EQUAL_FATAL(pthread_create(&th, NULL, other_queue_rx, h), 0);
	CU_ASSERT_TRUE(walk_rx(&w, &c, 1000, rx_hold_fn, h));
	pthread_join(th, NULL);
	free(w.buf);
	if (!h->in_time)
		printf("\n  queue b's thread waited for the RX walk's step on queue a (%u of %u rounds "
		       "done in %d s)", h->b_in_time, OTHER_ROUNDS, HOLD_WAIT_S);
	if (h->failed)
		printf("\n  queue b: %s failed", h->failed);
	CU_ASSERT_EQUAL(h->a_visits, HOLD_CTXS);
	CU_ASSERT_TRUE(h->in_time);
	CU_ASSERT_PTR_NULL(h->failed);
	CU_ASSERT_EQUAL(atomic_load(&h->b_done), OTHER_ROUNDS);
	for (unsigned int i = 0; i < HOLD_CTXS; i++)
		CU_ASSERT_EQUAL(mlx5tls_rx_destroy(h->a_rx[i]), 0);
	q_close(&h->a);
	q_close(&h->b);
	pthread_cond_destroy(&h->cond);
	pthread_mutex_destroy(&h->lock);
	bed_close(&b);
	free(h);
}

/* ---- churn on several queues' threads, walks and look-ups meanwhile ---- */

#define CHURN_QUEUES 3u
#define PINNED 6u  /* per queue: live for the whole test */
#define CHURNED 10u /* per queue: replaced at random */
#define PINNED_RX 2u /* per queue: RX contexts live for the whole test */
#define ROUNDS_DEFAULT 1000u
#define MAX_SEEN 4096u

struct churn_worker {
	struct q q;
	struct mlx5tls_tx *pinned[PINNED];
	struct mlx5tls_tx *churned[CHURNED];
	uint64_t pinned_id[PINNED];
	struct mlx5tls_rx *pinned_rx[PINNED_RX];
	uint64_t pinned_rx_id[PINNED_RX];
	struct mlx5tls_rx *churned_rx; /* replaced every third round */
	unsigned int rounds;
	uint64_t rng;
	_Atomic(const char *) failed;
	atomic_bool done;
};

static void *churn_run(void *arg)
{
	struct churn_worker *w = arg;
	const char *what = NULL;

	for (unsigned int r = 0; r < w->rounds && !what; r++) {
		unsigned int i;

		w->rng ^= w->rng << 13;
		w->rng ^= w->rng >> 7;
		w->rng ^= w->rng << 17;
		i = (unsigned int)(w->rng % CHURNED);
		if (w->churned[i] && mlx5tls_tx_destroy(w->churned[i]))
			what = "tx_destroy";
		w->churned[i] = what ? NULL : ctx_cycle(&w->q, r % 4 == 0, &what);
		if (w->churned[i] && r % 16 == 0 && !found_by_id(ctx_id(w->churned[i])))
			what = "a new context by its id";
		if (r % 3 == 0 && !what) {
			uint64_t id = 0;

			if (w->churned_rx && mlx5tls_rx_destroy(w->churned_rx))
				what = "rx_destroy";
			w->churned_rx = what ? NULL : rx_make(&w->q, &id);
			if (!what && !w->churned_rx)
				what = "rx_create";
			else if (!what && r % 16 == 0 && !found_dir_by_id(id, true))
				what = "a new RX context by its id";
		}
	}
	atomic_store(&w->failed, what);
	atomic_store(&w->done, true);
	return NULL;
}

struct seen {
	struct mlx5tls_tx *ptr[MAX_SEEN];
	unsigned int n;
};

/* cppcheck-suppress constParameter ; the signature is mlx5tls_device_foreach_tx's callback */
static int collect_cb(struct mlx5tls_tx *tx, void *arg)
{
	struct seen *s = arg;

	if (s->n < MAX_SEEN)
		s->ptr[s->n++] = tx;
	return 0;
}

/* A walk by mlx5tls_device_foreach_tx: each pinned context exactly once. Failures counted. */
static unsigned int check_foreach(struct mlx5tls_device *dev, const struct churn_worker *w,
				  struct seen *s)
{
	unsigned int bad = 0;

	s->n = 0;
	CU_ASSERT_EQUAL(mlx5tls_device_foreach_tx(dev, collect_cb, s), 0);
	for (unsigned int k = 0; k < CHURN_QUEUES; k++)
		for (unsigned int p = 0; p < PINNED; p++) {
			unsigned int times = 0;

			for (unsigned int i = 0; i < s->n; i++)
				times += s->ptr[i] == w[k].pinned[p];
			bad += times != 1;
		}
	return bad;
}

static int id_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* The publisher's "ctx" in pages of 7 (TX, then RX): each pinned context's id exactly once, no
 * id twice (ids are never reused: a context seen twice would be). Failures counted. */
static unsigned int check_pages(const struct churn_worker *w, uint64_t *ids)
{
	char cursor[64] = "", line[128];
	unsigned int n = 0, bad = 0, pages = 0;
	bool more = true;

	while (more && pages++ < 10000) {
		size_t len = 0;
		char *a, *p;

		snprintf(line, sizeof(line), "ctx limit 7%s%s", *cursor ? " cursor " : "",
			 cursor);
		a = publish_answer(line, &len);
		CU_ASSERT_PTR_NOT_NULL_FATAL(a);
		if (strstr(a, "\"error\"")) {
			printf("\n  %s -> %.200s", line, a);
			free(a);
			return bad + 1;
		}
		for (p = strstr(a, "{\"id\":"); p; p = strstr(p + 1, "{\"id\":")) {
			unsigned long long id;
			int k = 0;

			if (sscanf(p, "{\"id\":%llu,\"device\":%n", &id, &k) == 1 && k && n < MAX_SEEN)
				ids[n++] = id;
		}
		p = strstr(a, "\"next\":\"");
		more = p != NULL;
		if (more) {
			p += strlen("\"next\":\"");
			snprintf(cursor, sizeof(cursor), "%.*s", (int)strcspn(p, "\""), p);
		}
		free(a);
	}
	qsort(ids, n, sizeof(*ids), id_cmp);
	for (unsigned int i = 1; i < n; i++)
		bad += ids[i] == ids[i - 1];
	for (unsigned int k = 0; k < CHURN_QUEUES; k++) {
		for (unsigned int p = 0; p < PINNED; p++)
			bad += !bsearch(&w[k].pinned_id[p], ids, n, sizeof(*ids), id_cmp);
		for (unsigned int p = 0; p < PINNED_RX; p++)
			bad += !bsearch(&w[k].pinned_rx_id[p], ids, n, sizeof(*ids), id_cmp);
	}
	return bad;
}

static void test_churn_while_walking(void)
{
	struct churn_worker *w = calloc(CHURN_QUEUES, sizeof(*w));
	struct seen *s = calloc(1, sizeof(*s));
	uint64_t *ids = calloc(MAX_SEEN, sizeof(*ids));
	const char *env = getenv("MLX5TLS_STRESS_ROUNDS"), *what = NULL;
	unsigned int rounds = env ? (unsigned int)atoi(env) * 2 : ROUNDS_DEFAULT, walks = 0,
		     bad_foreach = 0, bad_pages = 0;
	pthread_t th[CHURN_QUEUES];
	struct bed b;
	bool all_done;

	CU_ASSERT_FATAL(w && s && ids);
	bed_open(&b);
	for (unsigned int k = 0; k < CHURN_QUEUES; k++) {
		q_open(&w[k].q, &b);
		w[k].q.key = (uint8_t)(k * 64);
		w[k].rounds = rounds;
		w[k].rng = 0x9e3779b97f4a7c15ull * (k + 1);
		for (unsigned int p = 0; p < PINNED; p++) {
			w[k].pinned[p] = ctx_cycle(&w[k].q, p % 2, &what);
			CU_ASSERT_PTR_NOT_NULL_FATAL(w[k].pinned[p]);
			w[k].pinned_id[p] = ctx_id(w[k].pinned[p]);
			CU_ASSERT_FATAL(w[k].pinned_id[p] != 0);
		}
		for (unsigned int p = 0; p < PINNED_RX; p++) {
			w[k].pinned_rx[p] = rx_make(&w[k].q, &w[k].pinned_rx_id[p]);
			CU_ASSERT_PTR_NOT_NULL_FATAL(w[k].pinned_rx[p]);
		}
	}
	for (unsigned int k = 0; k < CHURN_QUEUES; k++)
		CU_ASSERT_EQUAL_FATAL(pthread_create(&th[k], NULL, churn_run, &w[k]), 0);
	do {
		all_done = true;
		for (unsigned int k = 0; k < CHURN_QUEUES; k++)
			all_done &= atomic_load(&w[k].done);
		bad_foreach += check_foreach(b.dev, w, s);
		bad_pages += check_pages(w, ids);
		for (unsigned int k = 0; k < CHURN_QUEUES; k++)
			bad_pages += !found_by_id(w[k].pinned_id[walks % PINNED]) +
				     !found_dir_by_id(w[k].pinned_rx_id[walks % PINNED_RX], true);
		walks++;
	} while (!all_done);
	for (unsigned int k = 0; k < CHURN_QUEUES; k++)
		pthread_join(th[k], NULL);
	printf("\n  %u rounds x %u queues, %u walks of each kind", rounds, CHURN_QUEUES, walks);
	CU_ASSERT_TRUE(walks >= 2);
	CU_ASSERT_EQUAL(bad_foreach, 0);
	CU_ASSERT_EQUAL(bad_pages, 0);
	for (unsigned int k = 0; k < CHURN_QUEUES; k++) {
		what = atomic_load(&w[k].failed);
		if (what)
			printf("\n  queue %u: %s failed", k, what);
		CU_ASSERT_PTR_NULL(what);
		for (unsigned int p = 0; p < PINNED; p++)
			CU_ASSERT_EQUAL(mlx5tls_tx_destroy(w[k].pinned[p]), 0);
		for (unsigned int i = 0; i < CHURNED; i++)
			if (w[k].churned[i])
				CU_ASSERT_EQUAL(mlx5tls_tx_destroy(w[k].churned[i]), 0);
		for (unsigned int p = 0; p < PINNED_RX; p++)
			CU_ASSERT_EQUAL(mlx5tls_rx_destroy(w[k].pinned_rx[p]), 0);
		if (w[k].churned_rx)
			CU_ASSERT_EQUAL(mlx5tls_rx_destroy(w[k].churned_rx), 0);
		q_close(&w[k].q);
	}
	bed_close(&b);
	free(ids);
	free(s);
	free(w);
}

/* Cursors name a shard: "t<dev>.<shard>.<slot>", shard below 16; "t<dev>.<slot>" is shard 0. A
 * page's "next" from the second queue's contexts resumes there, and nothing is listed twice. */
static void test_cursors(void)
{
	static const char *const good[] = { "ctx cursor t1.0", "ctx cursor t1.15.7",
					    "ctx cursor r1.2.0", "ctx cursor r1.4", NULL };
	static const char *const bad[] = { "ctx cursor t1.16.0", "ctx cursor t1.1.",
					   "ctx cursor t1..1", "ctx cursor t1.1.1.1",
					   "ctx cursor r1.1.99999999999", NULL };
	struct mlx5tls_tx *tx[2][3];
	struct q q[2];
	const char *what = NULL;
	struct bed b;
	uint64_t ids[64];
	char *a, *p, cursor[64] = "", line[128];
	unsigned int n = 0;
	size_t len;

	for (const char *const *l = good; *l; l++) {
		a = publish_answer(*l, &len);
		CU_ASSERT_PTR_NOT_NULL_FATAL(a);
		CU_ASSERT_PTR_NULL(strstr(a, "\"error\""));
		free(a);
	}
	for (const char *const *l = bad; *l; l++) {
		a = publish_answer(*l, &len);
		CU_ASSERT_PTR_NOT_NULL_FATAL(a);
		CU_ASSERT_PTR_NOT_NULL(strstr(a, "\"error\""));
		free(a);
	}
	bed_open(&b);
	for (unsigned int k = 0; k < 2; k++) {
		q_open(&q[k], &b);
		for (unsigned int i = 0; i < 3; i++) {
			tx[k][i] = ctx_cycle(&q[k], false, &what);
			CU_ASSERT_PTR_NOT_NULL_FATAL(tx[k][i]);
		}
	}
	/* pages of 2 over 6 contexts on two queues: 3 pages, each id once */
	for (unsigned int page = 0; page < 10; page++) {
		snprintf(line, sizeof(line), "ctx dir tx limit 2%s%s", *cursor ? " cursor " : "",
			 cursor);
		a = publish_answer(line, &len);
		CU_ASSERT_PTR_NOT_NULL_FATAL(a);
		for (p = strstr(a, "{\"id\":"); p; p = strstr(p + 1, "{\"id\":")) {
			unsigned long long id;
			int k = 0;

			if (sscanf(p, "{\"id\":%llu,\"device\":%n", &id, &k) == 1 && k && n < 64)
				ids[n++] = id;
		}
		p = strstr(a, "\"next\":\"");
		if (p) {
			p += strlen("\"next\":\"");
			snprintf(cursor, sizeof(cursor), "%.*s", (int)strcspn(p, "\""), p);
		}
		free(a);
		if (!p)
			break;
	}
	CU_ASSERT_EQUAL(n, 6);
	for (unsigned int k = 0; k < 2; k++)
		for (unsigned int i = 0; i < 3; i++) {
			uint64_t id = ctx_id(tx[k][i]);
			unsigned int times = 0;

			for (unsigned int j = 0; j < n; j++)
				times += ids[j] == id;
			CU_ASSERT_EQUAL(times, 1);
			CU_ASSERT_EQUAL(mlx5tls_tx_destroy(tx[k][i]), 0);
		}
	q_close(&q[0]);
	q_close(&q[1]);
	bed_close(&b);
}

/* ---- ids: one sequence for every queue ---- */

/*
 * A context's id is what a user types after "ctx id": the contexts of every queue number from
 * one process-wide sequence (TX and RX alike), small numbers in the order they were made, and
 * each is found by its id whichever queue (shard) it is on.
 */
static void test_ids_one_sequence(void)
{
	enum { NQ = 3 };
	struct bed b;
	struct q q[NQ];
	struct mlx5tls_tx *tx[NQ] = { NULL };
	struct mlx5tls_rx *rx;
	const char *what = "";
	uint64_t id[NQ + 1] = { 0 };

	bed_open(&b);
	for (int i = 0; i < NQ; i++)
		q_open(&q[i], &b);
	for (int i = 0; i < NQ; i++) {
		tx[i] = ctx_cycle(&q[i], false, &what);
		CU_ASSERT_PTR_NOT_NULL_FATAL(tx[i]);
		id[i] = ctx_id(tx[i]);
	}
	rx = rx_make(&q[NQ - 1], &id[NQ]);
	CU_ASSERT_PTR_NOT_NULL_FATAL(rx);
	for (int i = 1; i <= NQ; i++) {
		if (id[i] != id[i - 1] + 1)
			fprintf(stderr, "\nid %d: %llu after %llu\n", i, (unsigned long long)id[i],
				(unsigned long long)id[i - 1]);
		CU_ASSERT_EQUAL(id[i], id[i - 1] + 1);
	}
	CU_ASSERT_TRUE(id[0] > 0 && id[NQ] < 1000000);
	for (int i = 0; i < NQ; i++)
		CU_ASSERT_TRUE(found_by_id(id[i]));
	CU_ASSERT_TRUE(found_dir_by_id(id[NQ], true));
	CU_ASSERT_FALSE(found_by_id(id[NQ] + 1)); /* not made yet */
	CU_ASSERT_EQUAL(mlx5tls_rx_destroy(rx), 0);
	for (int i = 0; i < NQ; i++) {
		CU_ASSERT_EQUAL(mlx5tls_tx_destroy(tx[i]), 0);
		q_close(&q[i]);
	}
	bed_close(&b);
}

int main(void)
{
	static const struct test_case cases[] = {
		{ "another queue's contexts go on while a walk step holds this queue's",
		  test_other_queue_during_walk },
		{ "another queue's RX contexts go on while an RX walk step holds this queue's",
		  test_other_queue_during_rx_walk },
		{ "contexts churned on 3 queues' threads while walked and looked up",
		  test_churn_while_walking },
		{ "ids: one sequence for every queue, each found by its id", test_ids_one_sequence },
		{ "cursors name a shard; pages over two queues list each context once",
		  test_cursors },
		{ NULL, NULL },
	};
	static const struct test_suite suites[] = {
		{ "tx_shards", NULL, NULL, cases },
		{ NULL, NULL, NULL, NULL },
	};

	return test_run_suites(suites);
}
