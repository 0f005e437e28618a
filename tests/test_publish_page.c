/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The publisher's answers about many contexts (issue 10): ctx pages ("limit", "cursor", the
 * answer's "next") cover every context exactly once while contexts come and go between pages,
 * on several devices and both directions; context setup goes on while an answer is being
 * built (the walk releases the device's lock between its steps); and one context by its id is
 * found without a walk, looking at a few slots whatever the number of contexts.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "insp_table.h"
#include "inspect.h"
#include "mlx5tls/mlx5tls.h"
#include "test_util.h"

#define MAX_IDS 65536u

struct bed {
	struct mlx5tls_device *dev;
	struct mlx5tls_pd *pd;
	struct mlx5tls_td *td;
	struct mlx5tls_qp *qp;
	struct mlx5tls_dek_pool *dpool;
	struct mlx5tls_tis_pool *tpool;
	struct mlx5tls_rq *rq;
	struct mlx5tls_tir *tir;
	struct mlx5tls_tx_opts to;
	struct tls12_crypto_info_aes_gcm_128 ci;
};

static void bed_open_dev(struct bed *b, const char *name)
{
	struct mlx5tls_tir_opts tiro = { .sz = sizeof(tiro), .tls_en = true };

	memset(b, 0, sizeof(*b));
	b->dev = mlx5tls_device_open(name, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b->dev);
	b->pd = mlx5tls_pd_alloc(b->dev);
	b->td = mlx5tls_td_alloc(b->dev);
	CU_ASSERT_FATAL(b->pd && b->td);
	b->qp = mlx5tls_qp_create(b->pd, b->td, NULL);
	b->dpool = mlx5tls_dek_pool_create(b->pd, NULL);
	b->tpool = mlx5tls_tis_pool_create(b->pd, b->td, NULL);
	b->rq = mlx5tls_rq_create(b->pd, b->td, NULL);
	CU_ASSERT_FATAL(b->qp && b->dpool && b->tpool && b->rq);
	b->tir = mlx5tls_tir_create(b->rq, b->td, &tiro);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b->tir);
	b->to = (struct mlx5tls_tx_opts){ .sz = sizeof(b->to), .dek_pool = b->dpool,
					  .tis_pool = b->tpool };
	test_ci128(&b->ci, TLS_1_2_VERSION, 7);
}

static void bed_open(struct bed *b)
{
	bed_open_dev(b, "sim:cx6dx,log_max_tis=16");
}

static void bed_close(struct bed *b)
{
	CU_ASSERT_EQUAL(mlx5tls_tir_destroy(b->tir), 0);
	CU_ASSERT_EQUAL(mlx5tls_rq_destroy(b->rq), 0);
	CU_ASSERT_EQUAL(mlx5tls_tis_pool_destroy(b->tpool), 0);
	CU_ASSERT_EQUAL(mlx5tls_dek_pool_destroy(b->dpool), 0);
	CU_ASSERT_EQUAL(mlx5tls_qp_destroy(b->qp), 0);
	CU_ASSERT_EQUAL(mlx5tls_td_dealloc(b->td), 0);
	CU_ASSERT_EQUAL(mlx5tls_pd_dealloc(b->pd), 0);
	CU_ASSERT_EQUAL(mlx5tls_device_close(b->dev), 0);
}

/* A context of either direction, with the id inspection gives it. */
struct ctx {
	struct bed *bed;
	struct mlx5tls_tx *tx;
	struct mlx5tls_rx *rx;
	uint64_t id;
};

static void ctx_make(struct ctx *c, struct bed *b, bool rx)
{
	memset(c, 0, sizeof(*c));
	c->bed = b;
	if (rx) {
		struct mlx5tls_rx_opts ro = { .sz = sizeof(ro), .flags = MLX5TLS_RX_F_SOFTWARE };
		struct mlx5tls_rx_state st;

		c->rx = mlx5tls_rx_create(b->qp, b->tir, &b->ci.info, sizeof(b->ci), 1000, &ro);
		CU_ASSERT_PTR_NOT_NULL_FATAL(c->rx);
		CU_ASSERT_EQUAL_FATAL(mlx5tls_rx_inspect(c->rx, &st, sizeof(st)), 0);
		c->id = st.id;
	} else {
		struct mlx5tls_tx_state st;

		c->tx = mlx5tls_tx_create(b->qp, &b->ci.info, sizeof(b->ci), 1000, &b->to);
		CU_ASSERT_PTR_NOT_NULL_FATAL(c->tx);
		CU_ASSERT_EQUAL_FATAL(mlx5tls_tx_inspect(c->tx, &st, sizeof(st)), 0);
		c->id = st.id;
	}
	CU_ASSERT_FATAL(c->id > 0 && c->id < MAX_IDS);
}

static void ctx_drop(struct ctx *c)
{
	if (c->tx)
		CU_ASSERT_EQUAL(mlx5tls_tx_destroy(c->tx), 0);
	if (c->rx)
		CU_ASSERT_EQUAL(mlx5tls_rx_destroy(c->rx), 0);
	c->tx = NULL;
	c->rx = NULL;
}

/* The ids of the contexts in an answer ({"id":N,"device": opens each one; the DEK's and TIS's
 * objects have no device member) into seen[] (counts), and how many there were. */
static unsigned int page_ids(const char *a, unsigned int *seen)
{
	unsigned int n = 0;

	for (const char *p = strstr(a, "{\"id\":"); p; p = strstr(p + 1, "{\"id\":")) {
		unsigned long long id;
		int len = 0;

		if (sscanf(p, "{\"id\":%llu,\"device\":%n", &id, &len) != 1 || !len)
			continue;
		CU_ASSERT_FATAL(id < MAX_IDS);
		seen[id]++;
		n++;
	}
	return n;
}

/* The answer's "next": 1 with the cursor in buf, 0 when null, -1 when missing. */
static int page_next(const char *a, char *buf, size_t len)
{
	const char *p = strstr(a, "\"next\":");

	if (!p)
		return -1;
	p += strlen("\"next\":");
	if (!strncmp(p, "null", 4))
		return 0;
	if (*p != '"' || !strchr(p + 1, '"') || (size_t)(strchr(p + 1, '"') - p) > len)
		return -1;
	snprintf(buf, (size_t)(strchr(p + 1, '"') - p), "%s", p + 1);
	return 1;
}

static char *answer(const char *line)
{
	size_t len = 0;
	char *a = publish_answer(line, &len);

	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_PTR_NULL(strstr(a, "\"error\""));
	return a;
}

/* Pages of 250 over ~2,300 contexts on two devices (TX on both, RX on one) while, between pages,
 * contexts already listed and contexts not listed yet are destroyed and new ones created: every
 * context live from the first page to the last is listed exactly once, a destroyed one never
 * after it is gone, a new one at most once, and no page is longer than its limit. */
static void test_pages_cover_once(void)
{
	enum { N_A = 1400, N_B = 800, N_RX = 60, N_ALL = N_A + N_B + N_RX, LIMIT = 250 };
	static unsigned int seen[MAX_IDS];
	static bool gone_at[MAX_IDS], born[MAX_IDS];
	static struct ctx cs[N_ALL + 200];
	unsigned int ncs = 0, pages = 0, listed_gone = 0;
	char cursor[64] = "", line[128];
	struct bed a, b;
	unsigned int rnd = 12345;
	int more;

	memset(seen, 0, sizeof(seen));
	bed_open(&a);
	bed_open(&b);
	for (unsigned int i = 0; i < N_A; i++)
		ctx_make(&cs[ncs++], &a, false);
	for (unsigned int i = 0; i < N_RX; i++)
		ctx_make(&cs[ncs++], &a, true);
	for (unsigned int i = 0; i < N_B; i++)
		ctx_make(&cs[ncs++], &b, false);

	do {
		unsigned int prev[N_ALL + 200], n;
		char *ans;

		snprintf(line, sizeof(line), "ctx limit %d%s%s", LIMIT, *cursor ? " cursor " : "",
			 cursor);
		ans = answer(line);
		/* what was gone before this page must not be on it */
		for (unsigned int i = 0; i < ncs; i++)
			prev[i] = seen[cs[i].id];
		n = page_ids(ans, seen);
		for (unsigned int i = 0; i < ncs; i++)
			if (gone_at[cs[i].id] && seen[cs[i].id] != prev[i])
				listed_gone++;
		CU_ASSERT_TRUE(n <= LIMIT);
		more = page_next(ans, cursor, sizeof(cursor));
		CU_ASSERT_TRUE_FATAL(more >= 0);
		if (more) {
			CU_ASSERT_EQUAL(n, LIMIT); /* a page is short only at the end */
		}
		free(ans);
		pages++;
		/* between pages: drop 9 live contexts anywhere (listed or not), add 5 */
		for (unsigned int k = 0; more && k < 9; k++) {
			struct ctx *c;

			do {
				rnd = rnd * 1103515245u + 12345u;
				c = &cs[(rnd >> 8) % ncs];
			} while (!c->tx && !c->rx);
			ctx_drop(c);
			gone_at[c->id] = true;
		}
		for (unsigned int k = 0; more && k < 5 && ncs < N_ALL + 200; k++) {
			ctx_make(&cs[ncs], k & 1 ? &b : &a, k == 4);
			born[cs[ncs].id] = true;
			ncs++;
		}
	} while (more && pages < 100);

	CU_ASSERT_TRUE(pages >= (N_ALL - 9 * N_ALL / LIMIT) / LIMIT);
	CU_ASSERT_EQUAL(listed_gone, 0);
	for (unsigned int i = 0; i < ncs; i++) {
		uint64_t id = cs[i].id;

		if (born[id] || gone_at[id]) {
			CU_ASSERT_TRUE(seen[id] <= 1);
		} else {
			CU_ASSERT_EQUAL(seen[id], 1); /* live throughout: exactly once */
		}
	}
	for (unsigned int i = 0; i < ncs; i++)
		ctx_drop(&cs[i]);
	bed_close(&b);
	bed_close(&a);
}

/* Without a limit a page has at most 1000 contexts; limits past 10000 are taken as 10000, and
 * a limit of 0 or a cursor that is not one is refused. dir rx starts at the RX contexts. */
static void test_limits_and_bad_cursors(void)
{
	static unsigned int seen[MAX_IDS];
	static struct ctx cs[1100];
	char cursor[64], *a;
	struct bed b;
	size_t len;

	bed_open(&b);
	for (unsigned int i = 0; i < 1100; i++)
		ctx_make(&cs[i], &b, i == 1099);
	a = answer("ctx");
	CU_ASSERT_EQUAL(page_ids(a, seen), 1000);
	CU_ASSERT_EQUAL(page_next(a, cursor, sizeof(cursor)), 1);
	free(a);
	a = answer("ctx limit 4000000000");
	CU_ASSERT_EQUAL(page_ids(a, seen), 1100);
	CU_ASSERT_EQUAL(page_next(a, cursor, sizeof(cursor)), 0);
	free(a);
	/* the one RX context: the walk reaches the end of the table after it, no next page */
	a = answer("ctx dir rx limit 1");
	CU_ASSERT_EQUAL(page_ids(a, seen), 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(a, "\"dir\":\"rx\""));
	CU_ASSERT_EQUAL(page_next(a, cursor, sizeof(cursor)), 0);
	free(a);
	/* the last TX context: the next page starts at the RX ones; dir tx ends there */
	a = answer("ctx limit 1098");
	CU_ASSERT_EQUAL(page_ids(a, seen), 1098);
	CU_ASSERT_EQUAL(page_next(a, cursor, sizeof(cursor)), 1);
	free(a);
	{
		char line[128];

		snprintf(line, sizeof(line), "ctx dir tx cursor %s", cursor);
		a = answer(line);
		CU_ASSERT_EQUAL(page_ids(a, seen), 1);
		CU_ASSERT_EQUAL(page_next(a, cursor, sizeof(cursor)), 0);
		free(a);
	}
	static const char *const bad[] = {
		"ctx limit 0", "ctx limit -1", "ctx cursor", "ctx cursor x1.2", "ctx cursor t1",
		"ctx cursor t1.", "ctx cursor t.1", "ctx cursor t1.2x", "ctx cursor t99999999999.1",
		"ctx cursor r1.99999999999", NULL,
	};
	for (const char *const *l = bad; *l; l++) {
		a = publish_answer(*l, &len);
		CU_ASSERT_PTR_NOT_NULL_FATAL(a);
		if (!strstr(a, "\"error\":"))
			printf("\n  not refused: %s -> %.120s", *l, a);
		CU_ASSERT_PTR_NOT_NULL(strstr(a, "\"error\":"));
		free(a);
	}
	for (unsigned int i = 0; i < 1100; i++)
		ctx_drop(&cs[i]);
	bed_close(&b);
}

/* The count of "needle" in s. */
static unsigned int count_of(const char *s, const char *needle)
{
	unsigned int n = 0;

	for (const char *p = strstr(s, needle); p; p = strstr(p + 1, needle))
		n++;
	return n;
}

/* dek, tis and tir page as ctx does: pages of 64 cover every context's DEK, TIS and TIR entry
 * once; they take a cursor of their own direction only. ctx N gives one context's objects, found
 * without a walk; id (dek), tisn, tirn one object by its number. */
static void test_dek_tis_tir_pages(void)
{
	static const char *const cmds[] = { "dek", "tis", "tir" };
	static const char *const lists[] = { "\"context\":", "\"context\":", "\"context\":" };
	static unsigned int seen[3][MAX_IDS];
	static struct ctx cs[300];
	unsigned int want[3] = { 280, 280, 20 };
	struct bed b;
	size_t len;
	char *a;

	bed_open(&b);
	for (unsigned int i = 0; i < 300; i++)
		ctx_make(&cs[i], &b, i >= 280);
	for (unsigned int c = 0; c < 3; c++) {
		char cursor[64] = "", line[128];
		unsigned int total = 0, pages = 0;
		int more;

		do {
			snprintf(line, sizeof(line), "%s limit 64%s%s", cmds[c],
				 *cursor ? " cursor " : "", cursor);
			a = answer(line);
			total += count_of(a, lists[c]);
			for (const char *p = strstr(a, lists[c]); p; p = strstr(p + 1, lists[c])) {
				unsigned long long id = strtoull(p + strlen(lists[c]), NULL, 10);

				CU_ASSERT_FATAL(id < MAX_IDS);
				seen[c][id]++;
			}
			CU_ASSERT_TRUE(count_of(a, lists[c]) <= 64);
			more = page_next(a, cursor, sizeof(cursor));
			CU_ASSERT_TRUE_FATAL(more >= 0);
			free(a);
			pages++;
		} while (more && pages < 50);
		CU_ASSERT_EQUAL(total, want[c]);
		CU_ASSERT_TRUE(pages >= want[c] / 64);
		for (unsigned int i = 0; i < 300; i++)
			CU_ASSERT_EQUAL(seen[c][cs[i].id], (c == 2) == (i >= 280) ? 1u : 0u);
	}
	/* one context's objects (ctx N: through the index, a few slots looked at), and one object
	 * by its number: DEK id, tisn, tirn */
	for (unsigned int i = 0; i < 300; i += 150) {
		struct mlx5tls_tx_state tst;
		char line[128], ctx_m[64];
		uint64_t looked;

		snprintf(line, sizeof(line), "%s ctx %llu", i < 280 ? "dek" : "tir",
			 (unsigned long long)cs[i].id);
		looked = publish_slots_looked();
		a = answer(line);
		CU_ASSERT_TRUE(publish_slots_looked() - looked <= 8);
		snprintf(ctx_m, sizeof(ctx_m), "\"context\":%llu,", (unsigned long long)cs[i].id);
		CU_ASSERT_EQUAL(count_of(a, "\"context\":"), 1);
		CU_ASSERT_PTR_NOT_NULL(strstr(a, ctx_m));
		CU_ASSERT_PTR_NOT_NULL(strstr(a, "\"next\":null"));
		free(a);
		if (i >= 280)
			break;
		CU_ASSERT_EQUAL_FATAL(mlx5tls_tx_inspect(cs[i].tx, &tst, sizeof(tst)), 0);
		snprintf(line, sizeof(line), "tis ctx %llu", (unsigned long long)cs[i].id);
		a = answer(line);
		CU_ASSERT_EQUAL(count_of(a, "\"context\":"), 1);
		CU_ASSERT_PTR_NOT_NULL(strstr(a, ctx_m));
		free(a);
		for (unsigned int c = 0; c < 2; c++) {
			unsigned long long num = c ? tst.tisn : tst.dek_id;

			snprintf(line, sizeof(line), "%s %llu", c ? "tis tisn" : "dek id", num);
			a = answer(line);
			CU_ASSERT_EQUAL(count_of(a, "\"context\":"), 1);
			CU_ASSERT_PTR_NOT_NULL(strstr(a, ctx_m));
			free(a);
		}
	}
	{
		struct mlx5tls_rx_state rst;
		char line[128], ctx_m[64];

		CU_ASSERT_EQUAL_FATAL(mlx5tls_rx_inspect(cs[290].rx, &rst, sizeof(rst)), 0);
		snprintf(line, sizeof(line), "tir tirn %llu", (unsigned long long)rst.tirn);
		a = answer(line);
		/* every RX context here is on the one TIR */
		CU_ASSERT_EQUAL(count_of(a, "\"context\":"), 20);
		snprintf(ctx_m, sizeof(ctx_m), "\"tirn\":%llu,", (unsigned long long)rst.tirn);
		CU_ASSERT_EQUAL(count_of(a, ctx_m), 20);
		free(a);
		a = answer("tir tirn 999999 ctx 1");
		CU_ASSERT_PTR_NOT_NULL(strstr(a, "\"tirs\":[]"));
		CU_ASSERT_PTR_NULL(strstr(a, "\"note\""));
		free(a);
	}
	static const char *const bad[] = {
		"dek tisn 1", "dek limit 0", "dek cursor r1.0", "tis cursor", "tis id 1",
		"tir cursor t1.0", "tir limit x", "tir ctx x", "dek ctx", NULL,
	};
	for (const char *const *l = bad; *l; l++) {
		a = publish_answer(*l, &len);
		CU_ASSERT_PTR_NOT_NULL_FATAL(a);
		CU_ASSERT_PTR_NOT_NULL(strstr(a, "\"error\":"));
		free(a);
	}
	for (unsigned int i = 0; i < 300; i++)
		ctx_drop(&cs[i]);
	bed_close(&b);
}

/* Setup while an answer is being built: between two steps of the walk (the publisher's thread,
 * no device lock held) another thread destroys a context the walk has not reached yet and
 * creates and destroys one more, each time within 10 s. If the walk kept the device's lock
 * across steps, that thread would wait for the whole answer and the hook would time out. */
struct churn {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	unsigned int asked, done, timeouts, steps;
	bool stop;
	struct bed *bed;
	struct ctx *cs;
	unsigned int ncs;
};

static void *churn_thread(void *arg)
{
	struct churn *ch = arg;

	pthread_mutex_lock(&ch->lock);
	for (;;) {
		struct ctx extra;

		while (ch->done == ch->asked && !ch->stop)
			pthread_cond_wait(&ch->cond, &ch->lock);
		if (ch->stop)
			break;
		pthread_mutex_unlock(&ch->lock);
		/* the last contexts are in the highest slots: not reached in the first steps */
		ctx_drop(&ch->cs[--ch->ncs]);
		ctx_make(&extra, ch->bed, false);
		ctx_drop(&extra);
		pthread_mutex_lock(&ch->lock);
		ch->done++;
		pthread_cond_broadcast(&ch->cond);
	}
	pthread_mutex_unlock(&ch->lock);
	return NULL;
}

static void step_hook(void *arg)
{
	struct churn *ch = arg;
	struct timespec until;

	pthread_mutex_lock(&ch->lock);
	ch->steps++;
	if (ch->asked < 20) {
		ch->asked++;
		pthread_cond_broadcast(&ch->cond);
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += 10;
		while (ch->done != ch->asked)
			if (pthread_cond_timedwait(&ch->cond, &ch->lock, &until) == ETIMEDOUT) {
				ch->timeouts++;
				break;
			}
	}
	pthread_mutex_unlock(&ch->lock);
}

static void test_setup_during_answer(void)
{
	enum { N = 3000 };
	static struct ctx cs[N];
	static unsigned int seen[MAX_IDS];
	struct churn ch = { .lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER };
	char cursor[64];
	struct bed b;
	pthread_t t;
	char *a;

	bed_open(&b);
	for (unsigned int i = 0; i < N; i++)
		ctx_make(&cs[i], &b, false);
	ch.bed = &b;
	ch.cs = cs;
	ch.ncs = N;
	CU_ASSERT_EQUAL_FATAL(pthread_create(&t, NULL, churn_thread, &ch), 0);
	publish_set_step_hook(step_hook, &ch);
	a = answer("ctx limit 10000");
	publish_set_step_hook(NULL, NULL);
	pthread_mutex_lock(&ch.lock);
	ch.stop = true;
	pthread_cond_broadcast(&ch.cond);
	pthread_mutex_unlock(&ch.lock);
	pthread_join(t, NULL);

	/* every churn round ran while the answer was being built, none waited for it */
	CU_ASSERT_EQUAL(ch.timeouts, 0);
	CU_ASSERT_EQUAL(ch.done, 20);
	CU_ASSERT_TRUE(ch.steps >= N / 32);
	/* the answer lists exactly the contexts left, the ones destroyed meanwhile not */
	CU_ASSERT_EQUAL(page_ids(a, seen), N - 20);
	for (unsigned int i = 0; i < N; i++)
		CU_ASSERT_EQUAL(seen[cs[i].id], i < N - 20 ? 1u : 0u);
	CU_ASSERT_EQUAL(page_next(a, cursor, sizeof(cursor)), 0);
	free(a);
	for (unsigned int i = 0; i < N - 20; i++)
		ctx_drop(&cs[i]);
	bed_close(&b);
}

/* The index by id on its own (insp_table.h): keys entered and slots given back at random while
 * the table grows past a few bucket splits; every live key is found in its slot, a key given
 * back is not, and the chains stay short. */
static void test_index_by_id(void)
{
	enum { N = 150000, OPS = 600000 };
	static uint32_t slot_of[N]; /* key i + 1 in slot_of[i], UINT32_MAX when not live */
	static int objs[1];
	struct insp_table t;
	unsigned int rnd = 777, probes = 0, max_probes = 0, live = 0;
	uint64_t probes_sum = 0, finds = 0;

	memset(&t, 0, sizeof(t));
	memset(slot_of, 0xff, sizeof(slot_of));
	for (unsigned int op = 0; op < OPS; op++) {
		unsigned int i;
		uint32_t slot = 0;
		void *obj;

		rnd = rnd * 1103515245u + 12345u;
		/* up to N live keys, half as many removals as additions */
		i = (rnd >> 4) % (op < OPS / 2 ? (op / 3 + 1 < N ? op / 3 + 1 : N) : N);
		if (slot_of[i] == UINT32_MAX && (rnd & 3) != 0) {
			CU_ASSERT_EQUAL_FATAL(insp_table_add(&t, objs, &slot_of[i]), 0);
			insp_table_key(&t, slot_of[i], i + 1ull);
			live++;
		} else if (slot_of[i] != UINT32_MAX && (rnd & 3) == 0) {
			insp_table_del(&t, slot_of[i]);
			slot_of[i] = UINT32_MAX;
			live--;
		}
		obj = insp_table_find(&t, i + 1ull, &slot, &probes);
		CU_ASSERT_EQUAL_FATAL(obj != NULL, slot_of[i] != UINT32_MAX);
		if (obj)
			CU_ASSERT_EQUAL_FATAL(slot, slot_of[i]);
		probes_sum += probes;
		finds++;
		if (probes > max_probes)
			max_probes = probes;
	}
	CU_ASSERT_EQUAL(insp_table_live(&t), live);
	CU_ASSERT_TRUE(live > N / 2);
	/* more keys than the first chunk of buckets: it split */
	CU_ASSERT_TRUE(t.level > INSP_CHUNK_SHIFT || t.split > 0);
	/* at most one key per bucket on average: a look-up reads a slot or two */
	CU_ASSERT_TRUE(probes_sum < 3 * finds);
	CU_ASSERT_TRUE(max_probes <= 16);
	for (unsigned int i = 0; i < N; i++) {
		uint32_t slot = 0;

		CU_ASSERT_EQUAL_FATAL(insp_table_find(&t, i + 1ull, &slot, NULL) != NULL,
				      slot_of[i] != UINT32_MAX);
	}
	/* drained: the table gives its memory back down to one chunk, and works on */
	CU_ASSERT_TRUE(t.nchunks > 1 && t.nbchunks > 1);
	for (unsigned int i = 0; i < N; i++)
		if (slot_of[i] != UINT32_MAX)
			insp_table_del(&t, slot_of[i]);
	CU_ASSERT_EQUAL(insp_table_live(&t), 0);
	CU_ASSERT_EQUAL(t.nchunks, 1);
	CU_ASSERT_EQUAL(t.nbchunks, 1);
	CU_ASSERT_EQUAL(insp_table_end(&t), 0);
	for (unsigned int i = 0; i < 2 * INSP_CHUNK; i++) {
		CU_ASSERT_EQUAL_FATAL(insp_table_add(&t, objs, &slot_of[i]), 0);
		insp_table_key(&t, slot_of[i], N + i + 1ull);
	}
	for (unsigned int i = 0; i < N; i++) {
		uint32_t slot = 0;

		CU_ASSERT_PTR_NULL_FATAL(insp_table_find(&t, i + 1ull, &slot, NULL));
	}
	for (unsigned int i = 0; i < 2 * INSP_CHUNK; i++) {
		uint32_t slot = 0;

		CU_ASSERT_PTR_EQUAL_FATAL(insp_table_find(&t, N + i + 1ull, &slot, NULL), objs);
		CU_ASSERT_EQUAL_FATAL(slot, slot_of[i]);
	}
	insp_table_fini(&t);
}

/* After a peak the table gives its memory back while objects still live: objects made while it
 * is sparse take the lowest free slots, so the tail empties as the old objects go, and each
 * chunk of slots (and of index buckets) at the tail is freed once empty. While the table is
 * dense a slot given back is the next one taken (the line a churn just touched). */
static void test_table_shrinks_after_peak(void)
{
	enum { N = 200000, KEEP = 1000, SURV = N / KEEP };
	static uint32_t slot_of[N];
	static int objs[1];
	struct insp_table t;
	uint32_t slot, again, seen = 0;

	memset(&t, 0, sizeof(t));
	for (unsigned int i = 0; i < N; i++) {
		CU_ASSERT_EQUAL_FATAL(insp_table_add(&t, objs, &slot_of[i]), 0);
		insp_table_key(&t, slot_of[i], i + 1ull);
	}
	/* dense: a churn reuses the slot it just gave back */
	insp_table_del(&t, slot_of[N / 2]);
	CU_ASSERT_EQUAL_FATAL(insp_table_add(&t, objs, &again), 0);
	CU_ASSERT_EQUAL(again, slot_of[N / 2]);
	insp_table_key(&t, again, N / 2 + 1ull);
	/* down to one object in KEEP, spread over every chunk: nothing can go yet */
	for (unsigned int i = 0; i < N; i++)
		if (i % KEEP)
			insp_table_del(&t, slot_of[i]);
	CU_ASSERT_EQUAL(insp_table_live(&t), SURV);
	/* each survivor replaced by a new object: the new ones fill the bottom, the tail empties */
	for (unsigned int k = 0; k < SURV; k++) {
		insp_table_del(&t, slot_of[k * KEEP]);
		CU_ASSERT_EQUAL_FATAL(insp_table_add(&t, objs, &slot), 0);
		CU_ASSERT_TRUE_FATAL(slot < 2 * INSP_CHUNK);
		insp_table_key(&t, slot, N + k + 1ull);
		slot_of[k] = slot;
	}
	CU_ASSERT_EQUAL(insp_table_live(&t), SURV);
	CU_ASSERT_TRUE(insp_table_end(&t) <= 2 * INSP_CHUNK);
	CU_ASSERT_TRUE(t.nchunks <= 2);
	CU_ASSERT_TRUE(t.nbchunks <= 2);
	for (unsigned int k = 0; k < SURV; k++) {
		CU_ASSERT_PTR_EQUAL_FATAL(insp_table_find(&t, N + k + 1ull, &slot, NULL), objs);
		CU_ASSERT_EQUAL_FATAL(slot, slot_of[k]);
		CU_ASSERT_PTR_NULL_FATAL(insp_table_find(&t, k * KEEP + 1ull, &slot, NULL));
	}
	for (uint32_t s = 0; s < insp_table_end(&t); s++)
		seen += insp_table_get(&t, s) != NULL;
	CU_ASSERT_EQUAL(seen, SURV);
	/* and it grows again */
	for (unsigned int i = 0; i < N; i++) {
		CU_ASSERT_EQUAL_FATAL(insp_table_add(&t, objs, &slot_of[i]), 0);
		insp_table_key(&t, slot_of[i], 2ull * N + i + 1);
	}
	CU_ASSERT_EQUAL(insp_table_live(&t), N + SURV);
	for (unsigned int i = 0; i < N; i += 97) {
		CU_ASSERT_PTR_EQUAL_FATAL(insp_table_find(&t, 2ull * N + i + 1, &slot, NULL), objs);
		CU_ASSERT_EQUAL_FATAL(slot, slot_of[i]);
	}
	insp_table_fini(&t);
}

/* ctx id N among 200,000 contexts: the answer is that one context and the last page, and the
 * publisher looks at a few slots of each device's tables to find it (a walk looks at every
 * slot up to it: 200,000 for the last one). The same for an RX context, an id that is gone, one
 * that never was, and an id whose context the cursor or dir has passed. */
static void test_ctx_by_id(void)
{
	enum { N = 200000 };
	struct mlx5tls_rx_opts ro = { .sz = sizeof(ro), .flags = MLX5TLS_RX_F_SOFTWARE };
	struct mlx5tls_tx **tx = calloc(N, sizeof(*tx));
	struct mlx5tls_rx_state rst;
	struct mlx5tls_tx_state st;
	struct mlx5tls_rx *rx;
	uint64_t ids[4], rx_id, gone_id, looked;
	char line[128], cursor[64], *a;
	struct bed b, small;

	CU_ASSERT_PTR_NOT_NULL_FATAL(tx);
	bed_open_dev(&b, "sim:cx6dx,log_max_tis=18");
	bed_open(&small); /* a second device: the look-up asks each */
	for (unsigned int i = 0; i < N; i++) {
		tx[i] = mlx5tls_tx_create(b.qp, &b.ci.info, sizeof(b.ci), 1000, &b.to);
		CU_ASSERT_PTR_NOT_NULL_FATAL(tx[i]);
	}
	rx = mlx5tls_rx_create(b.qp, b.tir, &b.ci.info, sizeof(b.ci), 1000, &ro);
	CU_ASSERT_PTR_NOT_NULL_FATAL(rx);
	CU_ASSERT_EQUAL_FATAL(mlx5tls_rx_inspect(rx, &rst, sizeof(rst)), 0);
	rx_id = rst.id;
	for (unsigned int k = 0; k < 4; k++) {
		unsigned int i = (unsigned int[]){ 0, N / 2, N - 2, N - 1 }[k];

		CU_ASSERT_EQUAL_FATAL(mlx5tls_tx_inspect(tx[i], &st, sizeof(st)), 0);
		ids[k] = st.id;
	}
	gone_id = ids[2];
	CU_ASSERT_EQUAL(mlx5tls_tx_destroy(tx[N - 2]), 0);
	tx[N - 2] = NULL;

	for (unsigned int k = 0; k < 5; k++) {
		uint64_t id = k < 4 ? ids[k] : rx_id;
		unsigned int seen = 0, seen_slots;

		snprintf(line, sizeof(line), "ctx id %llu", (unsigned long long)id);
		looked = publish_slots_looked();
		a = answer(line);
		seen_slots = (unsigned int)(publish_slots_looked() - looked);
		if (seen_slots > 32)
			printf("\n  ctx id %llu: %u slots looked at", (unsigned long long)id,
			       seen_slots);
		CU_ASSERT_TRUE(seen_slots <= 32);
		snprintf(line, sizeof(line), "{\"id\":%llu,\"device\":", (unsigned long long)id);
		seen = count_of(a, "{\"id\":");
		if (id == gone_id) {
			CU_ASSERT_EQUAL(seen, 0);
		} else {
			CU_ASSERT_PTR_NOT_NULL(strstr(a, line));
			CU_ASSERT_PTR_NOT_NULL(strstr(a, k < 4 ? "\"dir\":\"tx\"" : "\"dir\":\"rx\""));
		}
		/* the context's own object and its DEK's: nothing else */
		CU_ASSERT_TRUE(seen <= 2);
		CU_ASSERT_EQUAL(page_next(a, cursor, sizeof(cursor)), 0);
		free(a);
	}
	/* an id no context ever had; a TX context asked with dir rx, or behind the cursor */
	snprintf(line, sizeof(line), "ctx id %llu", (unsigned long long)rx_id + 1000000);
	a = answer(line);
	CU_ASSERT_PTR_NOT_NULL(strstr(a, "\"contexts\":[]"));
	free(a);
	snprintf(line, sizeof(line), "ctx id %llu dir rx", (unsigned long long)ids[1]);
	a = answer(line);
	CU_ASSERT_PTR_NOT_NULL(strstr(a, "\"contexts\":[]"));
	free(a);
	snprintf(line, sizeof(line), "ctx id %llu cursor r1.0", (unsigned long long)ids[1]);
	a = answer(line);
	CU_ASSERT_PTR_NOT_NULL(strstr(a, "\"contexts\":[]"));
	free(a);
	/* a walk still looks at the slots it passes */
	looked = publish_slots_looked();
	free(answer("ctx limit 100"));
	CU_ASSERT_TRUE(publish_slots_looked() - looked >= 100);

	CU_ASSERT_EQUAL(mlx5tls_rx_destroy(rx), 0);
	for (unsigned int i = 0; i < N; i++)
		if (tx[i])
			CU_ASSERT_EQUAL(mlx5tls_tx_destroy(tx[i]), 0);
	free(tx);
	bed_close(&small);
	bed_close(&b);
}

int main(void)
{
	static const struct test_case cases[] = {
		{ "ctx pages cover every context once while contexts come and go",
		  test_pages_cover_once },
		{ "ctx limits and refused cursors", test_limits_and_bad_cursors },
		{ "dek, tis and tir pages", test_dek_tis_tir_pages },
		{ "context setup goes on while an answer is built", test_setup_during_answer },
		{ "the tables' index by id", test_index_by_id },
		{ "a table shrinks after a peak", test_table_shrinks_after_peak },
		{ "ctx id N looks at a few slots among 200,000 contexts", test_ctx_by_id },
		{ NULL, NULL },
	};
	static const struct test_suite suites[] = {
		{ "publisher: pages", NULL, NULL, cases },
		{ NULL, NULL, NULL, NULL },
	};

	return test_run_suites(suites);
}
