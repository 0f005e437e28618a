/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * TLS contexts on different queues of one device, driven from different threads (issue 10:
 * "contexts on different queues created, destroyed and acked from different threads scale ...
 * no device-wide lock"):
 *  - threads churn TX and RX contexts on their queues (replace, send, complete, acknowledge,
 *    rekey) while this thread walks the device's contexts (mlx5tls_device_foreach_tx, and the
 *    publisher's paged "ctx" answers): every context that stays live is seen exactly once per
 *    walk, none twice, and a context just made is found by its id. Also run under
 *    ThreadSanitizer (CI);
 *  - ids: one process-wide sequence for the contexts of every queue, each found by its id;
 *  - the walk's cursors name a shard (mlx5tls_internal.h), and pages over two queues' contexts
 *    list each once.
 * Another queue's thread going on while a walk holds a step is test_tx_shards_hold.c. The
 * fixture (device, queues, contexts, look-up by id) is tests/util/tx_shards_fixture.h.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tx_shards_fixture.h"

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
