/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mlx5tls_tx_destroy_bulk (issue 10: many connections closed at once, their cache misses
 * overlapped). Contexts on two queues of one device (two shards of its registry) and on a queue
 * of a second device, pooled DEKs and TISes, a few on the software path, some with records sent
 * and not acknowledged, some with their last frame still in the ring (posted, no doorbell),
 * destroyed in one call - more of them than the library handles per group, interleaved over the
 * queues:
 *  - each device's tx_tls_del counts its own, tx_tls_ctx is unchanged, the process' TlsCurr*
 *    statistics drop by the contexts of each path;
 *  - every DEK and TIS is back in its pool;
 *  - neither the device's walk nor a look-up by id finds them; the queues list the rest;
 *  - the frames in flight are sent and complete, and each queue sends with its other contexts
 *    afterwards.
 * Errors: a NULL array, a NULL entry, a context twice (side by side, or in different groups)
 * give -EINVAL and destroy nothing: every context still sends, and all of them are destroyed
 * by one call afterwards (so a failed call leaves no mark on them). n = 0 and a bulk of one.
 * And bulk destroys on two queues while another thread walks the device and pages through the
 * publisher's contexts: each context live all along is seen once per walk (also run under
 * ThreadSanitizer in CI: the shard locks a group takes are the ones the walk takes).
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tx_shards_fixture.h"

#define BUF_BYTES (128u * 1024u)
#define SLOT_BYTES 1024u /* one frame per slot of a queue's buffer */
#define SLOTS (BUF_BYTES / SLOT_BYTES)
#define NCTX 48u         /* contexts on the first device, over its two queues */
#define NCTX2 6u         /* on the second device */
#define REC_PT 300u

/* A queue, its buffer (a slot per frame, so no frame in flight is overwritten) and the
 * completions it owes. */
struct dq {
	struct mlx5tls_qp *qp;
	struct mlx5tls_mr *mr;
	uint8_t *buf;
	unsigned int next;
	unsigned int owed;
};

/* A device with its pools. */
struct dbed {
	struct bed b;
	struct mlx5tls_dek_pool *dp;
	struct mlx5tls_tis_pool *tp;
};

struct ctx {
	struct mlx5tls_tx *tx;
	struct dq *q;
	struct tls12_crypto_info_aes_gcm_128 ci;
	uint32_t seq;  /* next TCP sequence */
	uint64_t recs; /* records sent */
	uint64_t id;
	bool sw;
};

struct fx {
	struct dbed d[2];
	struct dq q[3]; /* q[0], q[1] on d[0]; q[2] on d[1] */
	struct ctx c[NCTX + NCTX2];
	unsigned int n;
};

static void dbed_open(struct dbed *d)
{
	bed_open(&d->b);
	d->dp = mlx5tls_dek_pool_create(d->b.pd, NULL);
	d->tp = mlx5tls_tis_pool_create(d->b.pd, d->b.td, NULL);
	CU_ASSERT_FATAL(d->dp && d->tp);
}

static void dbed_close(struct dbed *d)
{
	CU_ASSERT_EQUAL(mlx5tls_tis_pool_destroy(d->tp), 0);
	CU_ASSERT_EQUAL(mlx5tls_dek_pool_destroy(d->dp), 0);
	bed_close(&d->b);
}

static void dq_open(struct dq *q, const struct dbed *d)
{
	struct mlx5tls_qp_opts qo = { .sz = sizeof(qo), .flags = MLX5TLS_QP_F_MODEL_SYNC };

	memset(q, 0, sizeof(*q));
	q->qp = mlx5tls_qp_create(d->b.pd, d->b.td, &qo);
	q->buf = aligned_alloc(4096, BUF_BYTES);
	CU_ASSERT_FATAL(q->qp && q->buf);
	q->mr = mlx5tls_mr_reg(d->b.pd, q->buf, BUF_BYTES);
	CU_ASSERT_PTR_NOT_NULL_FATAL(q->mr);
}

static void dq_close(struct dq *q)
{
	CU_ASSERT_EQUAL(mlx5tls_mr_dereg(q->mr), 0);
	CU_ASSERT_EQUAL(mlx5tls_qp_destroy(q->qp), 0);
	free(q->buf);
}

/* Every completion q owes, each a success. */
static void dq_reap(struct dq *q)
{
	struct mlx5tls_completion done[16];
	unsigned int got = 0;

	for (int i = 0; i < POLL_TRIES && got < q->owed; i++) {
		int n = mlx5tls_qp_poll(q->qp, done, 16, 1);

		CU_ASSERT_FATAL(n >= 0);
		for (int k = 0; k < n; k++)
			CU_ASSERT_EQUAL(done[k].status, 0);
		got += (unsigned int)n;
	}
	CU_ASSERT_EQUAL(got, q->owed);
	q->owed = 0;
}

static uint32_t qp_attr(struct dq *q, bool inflight)
{
	struct mlx5tls_qp_attr a;

	memset(&a, 0, sizeof(a));
	CU_ASSERT_EQUAL(mlx5tls_qp_query(q->qp, &a, sizeof(a)), 0);
	return inflight ? a.inflight : a.tls_contexts;
}

static void ctx_make(struct fx *f, struct dbed *d, struct dq *q, bool sw)
{
	MLX5TLS_OPTS(mlx5tls_tx_opts, o, .dek_pool = d->dp, .tis_pool = d->tp,
		     .flags = sw ? MLX5TLS_TX_F_SOFTWARE : 0);
	struct ctx *c = &f->c[f->n++];

	test_ci128(&c->ci, TLS_1_3_VERSION, (uint8_t)f->n);
	c->tx = mlx5tls_tx_create(q->qp, &c->ci.info, sizeof(c->ci), ISN, &o);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c->tx);
	c->q = q;
	c->seq = ISN;
	c->sw = sw;
	c->id = ctx_id(c->tx);
	CU_ASSERT_FATAL(c->id != 0);
}

/* One record of c in a frame (more: no doorbell, the frame stays in the ring). */
static void ctx_send(struct ctx *c, bool more)
{
	uint8_t pt[REC_PT], rec[REC_PT + 64];
	uint8_t *p = c->q->buf + (size_t)(c->q->next++ % SLOTS) * SLOT_BYTES;
	struct mlx5tls_frame fr = { .mr = c->q->mr, .data = p };
	ssize_t len;

	memset(pt, 0x5a ^ (int)c->recs, sizeof(pt));
	len = tls_record_layout(&c->ci.info, TLS_RT_APPLICATION_DATA, c->recs, pt, sizeof(pt),
				rec, sizeof(rec));
	CU_ASSERT_FATAL(len > 0);
	fr.len = (uint32_t)test_tcp_frame(p, true, c->seq, rec, (uint32_t)len);
	fr.cookie = c->id;
	CU_ASSERT_EQUAL_FATAL(mlx5tls_tx_send(c->tx, &fr, more ? MLX5TLS_SEND_F_MORE : 0), 0);
	c->seq += (uint32_t)len;
	c->recs++;
	c->q->owed++;
}

static uint64_t stat_of(const char *name)
{
	uint64_t v[64];
	int n = mlx5tls_tls_stat(v, 64);

	for (int i = 0; i < n; i++)
		if (!strcmp(mlx5tls_tls_stat_name((unsigned int)i), name))
			return v[i];
	CU_FAIL("no such TLS statistic");
	return 0;
}

struct pools {
	struct mlx5tls_dek_pool_stats dek;
	struct mlx5tls_tis_pool_stats tis;
};

static void pools_read(const struct dbed *d, struct pools *p)
{
	memset(p, 0, sizeof(*p));
	CU_ASSERT_EQUAL(mlx5tls_dek_pool_query(d->dp, &p->dek, sizeof(p->dek)), 0);
	CU_ASSERT_EQUAL(mlx5tls_tis_pool_query(d->tp, &p->tis, sizeof(p->tis)), 0);
}

struct walk {
	struct mlx5tls_tx *seen[NCTX + NCTX2];
	unsigned int n;
};

/* cppcheck-suppress constParameter ; the signature is mlx5tls_device_foreach_tx's callback */
static int walk_cb(struct mlx5tls_tx *tx, void *arg)
{
	struct walk *w = arg;

	if (w->n < NCTX + NCTX2)
		w->seen[w->n] = tx;
	w->n++;
	return 0;
}

/* The device's walk lists exactly the live contexts of f on it. */
static void check_walk(struct fx *f, const struct dbed *d)
{
	struct walk w = { .n = 0 };
	unsigned int live = 0;

	CU_ASSERT_EQUAL(mlx5tls_device_foreach_tx(d->b.dev, walk_cb, &w), 0);
	for (unsigned int i = 0; i < f->n; i++) {
		unsigned int times = 0;

		if (!f->c[i].tx || (f->c[i].q == &f->q[2]) != (d == &f->d[1]))
			continue;
		live++;
		for (unsigned int k = 0; k < w.n && k < NCTX + NCTX2; k++)
			times += w.seen[k] == f->c[i].tx;
		CU_ASSERT_EQUAL(times, 1);
	}
	CU_ASSERT_EQUAL(w.n, live);
}

static void fx_open(struct fx *f)
{
	memset(f, 0, sizeof(*f));
	dbed_open(&f->d[0]);
	dbed_open(&f->d[1]);
	dq_open(&f->q[0], &f->d[0]);
	dq_open(&f->q[1], &f->d[0]);
	dq_open(&f->q[2], &f->d[1]);
	/* a queue's contexts are listed in its shard, the one with the fewest queues */
	CU_ASSERT_PTR_NOT_EQUAL(f->q[0].qp->shard, f->q[1].qp->shard);
	for (unsigned int i = 0; i < NCTX; i++)
		ctx_make(f, &f->d[0], &f->q[i % 3 ? 1 : 0], i % 7 == 3);
	for (unsigned int i = 0; i < NCTX2; i++)
		ctx_make(f, &f->d[1], &f->q[2], i == 4);
}

static void fx_close(struct fx *f)
{
	for (unsigned int i = 0; i < 3; i++)
		dq_close(&f->q[i]);
	dbed_close(&f->d[1]);
	dbed_close(&f->d[0]);
}

/* Destroyed when i % 4 != 1 (3 of 4, the queues interleaved); of those, i % 4 == 0 has its last
 * frame in the ring and i % 4 == 2 its records unacknowledged. */
static bool victim(unsigned int i)
{
	return i % 4 != 1;
}

static void test_bulk_destroy(void)
{
	struct mlx5tls_tx *arr[NCTX + NCTX2];
	uint64_t del0[2], ctx0[2], enc0, sw0, curr_dev0, curr_sw0;
	unsigned int n = 0, gone_dev[2] = { 0 }, gone_sw = 0, left[3] = { 0 }, dev_left = 0,
		     sw_left = 0;
	struct pools p0[2], p1[2];
	struct fx *f = calloc(1, sizeof(*f));

	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fx_open(f);
	/* every context sends a record; victims but those i % 4 == 2 get it acknowledged */
	for (unsigned int i = 0; i < f->n; i++)
		ctx_send(&f->c[i], false);
	for (unsigned int k = 0; k < 3; k++)
		dq_reap(&f->q[k]);
	for (unsigned int i = 0; i < f->n; i++)
		if (i % 4 != 2)
			CU_ASSERT_EQUAL(mlx5tls_tx_ack(f->c[i].tx, f->c[i].seq), 0);
	/* then the frames that stay in the ring */
	for (unsigned int i = 0; i < f->n; i += 4)
		ctx_send(&f->c[i], true);
	for (unsigned int k = 0; k < 3; k++)
		CU_ASSERT_NOT_EQUAL(qp_attr(&f->q[k], true), 0);

	for (unsigned int d = 0; d < 2; d++) {
		del0[d] = test_counter(f->d[d].b.dev, "tx_tls_del");
		ctx0[d] = test_counter(f->d[d].b.dev, "tx_tls_ctx");
		pools_read(&f->d[d], &p0[d]);
	}
	curr_dev0 = stat_of("TlsCurrTxDevice");
	curr_sw0 = stat_of("TlsCurrTxSw");
	for (unsigned int i = 0; i < f->n; i++) {
		struct ctx *c = &f->c[i];

		if (!victim(i)) {
			left[c->q - f->q]++;
			continue;
		}
		arr[n++] = c->tx;
		if (c->sw)
			gone_sw++;
		else
			gone_dev[c->q == &f->q[2]]++;
	}
	CU_ASSERT_FATAL(n > 32); /* more than one group of the library's */

	CU_ASSERT_EQUAL(mlx5tls_tx_destroy_bulk(arr, n), 0);
	for (unsigned int i = 0; i < f->n; i++)
		if (victim(i))
			f->c[i].tx = NULL;

	for (unsigned int d = 0; d < 2; d++) {
		unsigned int gone = 0;

		for (unsigned int i = 0; i < f->n; i++)
			gone += victim(i) && (f->c[i].q == &f->q[2]) == (d == 1);
		CU_ASSERT_EQUAL(test_counter(f->d[d].b.dev, "tx_tls_del"), del0[d] + gone);
		CU_ASSERT_EQUAL(test_counter(f->d[d].b.dev, "tx_tls_ctx"), ctx0[d]);
		/* each DEK and TIS of a device-path context back in its pool */
		pools_read(&f->d[d], &p1[d]);
		CU_ASSERT_EQUAL(p1[d].dek.in_use, p0[d].dek.in_use - gone_dev[d]);
		CU_ASSERT_EQUAL(p1[d].dek.awaiting_sync + p1[d].dek.ready,
				p0[d].dek.awaiting_sync + p0[d].dek.ready + gone_dev[d]);
		CU_ASSERT_EQUAL(p1[d].tis.in_use, p0[d].tis.in_use - gone_dev[d]);
		CU_ASSERT_EQUAL(p1[d].tis.free, p0[d].tis.free + gone_dev[d]);
		check_walk(f, &f->d[d]);
	}
	CU_ASSERT_EQUAL(stat_of("TlsCurrTxDevice"), curr_dev0 - gone_dev[0] - gone_dev[1]);
	CU_ASSERT_EQUAL(stat_of("TlsCurrTxSw"), curr_sw0 - gone_sw);
	for (unsigned int i = 0; i < f->n; i++)
		CU_ASSERT_EQUAL(found_by_id(f->c[i].id), !victim(i));
	/* the frames that were in the ring went out (the destroy waited for them) */
	for (unsigned int k = 0; k < 3; k++) {
		CU_ASSERT_EQUAL(qp_attr(&f->q[k], false), left[k]);
		CU_ASSERT_EQUAL(qp_attr(&f->q[k], true), 0);
		dq_reap(&f->q[k]);
	}

	/* the queues send with the contexts left */
	enc0 = test_counter(f->d[0].b.dev, "tx_tls_encrypted_packets") +
	       test_counter(f->d[1].b.dev, "tx_tls_encrypted_packets");
	sw0 = test_counter(f->d[0].b.dev, "tx_tls_sw_packets") +
	      test_counter(f->d[1].b.dev, "tx_tls_sw_packets");
	for (unsigned int i = 0; i < f->n; i++) {
		if (!f->c[i].tx)
			continue;
		ctx_send(&f->c[i], false);
		if (f->c[i].sw)
			sw_left++;
		else
			dev_left++;
	}
	for (unsigned int k = 0; k < 3; k++)
		dq_reap(&f->q[k]);
	CU_ASSERT_EQUAL(test_counter(f->d[0].b.dev, "tx_tls_encrypted_packets") +
			test_counter(f->d[1].b.dev, "tx_tls_encrypted_packets"), enc0 + dev_left);
	CU_ASSERT_EQUAL(test_counter(f->d[0].b.dev, "tx_tls_sw_packets") +
			test_counter(f->d[1].b.dev, "tx_tls_sw_packets"), sw0 + sw_left);

	/* the rest: a bulk of one, then all others at once */
	n = 0;
	for (unsigned int i = 0; i < f->n; i++)
		if (f->c[i].tx)
			arr[n++] = f->c[i].tx;
	CU_ASSERT_EQUAL(mlx5tls_tx_destroy_bulk(arr, 1), 0);
	CU_ASSERT_EQUAL(mlx5tls_tx_destroy_bulk(arr + 1, n - 1), 0);
	for (unsigned int d = 0; d < 2; d++) {
		CU_ASSERT_EQUAL(test_counter(f->d[d].b.dev, "tx_tls_del"),
				test_counter(f->d[d].b.dev, "tx_tls_ctx"));
		pools_read(&f->d[d], &p1[d]);
		CU_ASSERT_EQUAL(p1[d].dek.in_use, 0);
		CU_ASSERT_EQUAL(p1[d].tis.in_use, 0);
	}
	for (unsigned int k = 0; k < 3; k++)
		CU_ASSERT_EQUAL(qp_attr(&f->q[k], false), 0);
	fx_close(f);
	free(f);
}

/* A call that fails destroyed nothing: same counts, every context sends and completes. */
static void check_untouched(struct fx *f, const uint64_t *del0, const struct pools *p0)
{
	for (unsigned int d = 0; d < 2; d++) {
		struct pools p;

		CU_ASSERT_EQUAL(test_counter(f->d[d].b.dev, "tx_tls_del"), del0[d]);
		pools_read(&f->d[d], &p);
		CU_ASSERT_EQUAL(p.dek.in_use, p0[d].dek.in_use);
		CU_ASSERT_EQUAL(p.tis.in_use, p0[d].tis.in_use);
		check_walk(f, &f->d[d]);
	}
	for (unsigned int i = 0; i < f->n; i++)
		ctx_send(&f->c[i], false);
	for (unsigned int k = 0; k < 3; k++)
		dq_reap(&f->q[k]);
	for (unsigned int i = 0; i < f->n; i++)
		CU_ASSERT_TRUE(found_by_id(f->c[i].id));
}

static void test_bulk_errors(void)
{
	struct mlx5tls_tx *arr[NCTX + NCTX2];
	struct fx *f = calloc(1, sizeof(*f));
	uint64_t del0[2];
	struct pools p0[2];

	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fx_open(f);
	for (unsigned int i = 0; i < f->n; i++)
		arr[i] = f->c[i].tx;
	for (unsigned int d = 0; d < 2; d++) {
		del0[d] = test_counter(f->d[d].b.dev, "tx_tls_del");
		pools_read(&f->d[d], &p0[d]);
	}

	/* nothing to do */
	CU_ASSERT_EQUAL(mlx5tls_tx_destroy_bulk(NULL, 0), 0);
	CU_ASSERT_EQUAL(mlx5tls_tx_destroy_bulk(arr, 0), 0);
	check_untouched(f, del0, p0);

	errno = 0;
	CU_ASSERT_EQUAL(mlx5tls_tx_destroy_bulk(NULL, 3), -EINVAL);
	CU_ASSERT_EQUAL(errno, EINVAL);

	/* a NULL entry: first, and after more than a group */
	arr[0] = NULL;
	errno = 0;
	CU_ASSERT_EQUAL(mlx5tls_tx_destroy_bulk(arr, f->n), -EINVAL);
	CU_ASSERT_EQUAL(errno, EINVAL);
	arr[0] = f->c[0].tx;
	arr[f->n - 2] = NULL;
	CU_ASSERT_EQUAL(mlx5tls_tx_destroy_bulk(arr, f->n), -EINVAL);
	arr[f->n - 2] = f->c[f->n - 2].tx;
	check_untouched(f, del0, p0);

	/* a context twice: side by side, and far apart (in different groups) */
	CU_ASSERT_EQUAL(mlx5tls_tx_destroy_bulk((struct mlx5tls_tx *const[]){ arr[5], arr[5] }, 2),
			-EINVAL);
	arr[f->n - 1] = arr[1];
	errno = 0;
	CU_ASSERT_EQUAL(mlx5tls_tx_destroy_bulk(arr, f->n), -EINVAL);
	CU_ASSERT_EQUAL(errno, EINVAL);
	arr[f->n - 1] = f->c[f->n - 1].tx;
	/* the same, the duplicate followed by a NULL */
	arr[f->n - 3] = arr[f->n - 4];
	arr[f->n - 2] = NULL;
	CU_ASSERT_EQUAL(mlx5tls_tx_destroy_bulk(arr, f->n), -EINVAL);
	arr[f->n - 3] = f->c[f->n - 3].tx;
	arr[f->n - 2] = f->c[f->n - 2].tx;
	check_untouched(f, del0, p0);

	/* all of them, in one call that succeeds: no context kept a mark of the failed ones */
	CU_ASSERT_EQUAL(mlx5tls_tx_destroy_bulk(arr, f->n), 0);
	for (unsigned int d = 0; d < 2; d++) {
		struct pools p;

		CU_ASSERT_EQUAL(test_counter(f->d[d].b.dev, "tx_tls_del"),
				test_counter(f->d[d].b.dev, "tx_tls_ctx"));
		pools_read(&f->d[d], &p);
		CU_ASSERT_EQUAL(p.dek.in_use, 0);
		CU_ASSERT_EQUAL(p.tis.in_use, 0);
	}
	for (unsigned int i = 0; i < f->n; i++) {
		CU_ASSERT_FALSE(found_by_id(f->c[i].id));
		f->c[i].tx = NULL;
	}
	fx_close(f);
	free(f);
}

/* ---- bulk destroys while another thread walks the device ---- */

#define CHURN_BATCH 20u          /* contexts made and bulk-destroyed per round */
#define CHURN_ROUNDS_DEFAULT 300u

struct walker {
	struct fx *f;
	atomic_bool stop;
	atomic_uint walks;
	unsigned int bad;
};

/* Each context of f on its first device (live all along) exactly once in a walk. */
static void *walk_run(void *arg)
{
	struct walker *w = arg;
	struct walk seen;

	while (!atomic_load(&w->stop) || !atomic_load(&w->walks)) {
		size_t len = 0;
		char *a;

		seen.n = 0;
		if (mlx5tls_device_foreach_tx(w->f->d[0].b.dev, walk_cb, &seen)) {
			w->bad++;
			break;
		}
		/* the churned ones come and go: only those live all along are counted */
		for (unsigned int i = 0; i < w->f->n; i++) {
			unsigned int times = 0;

			if (w->f->c[i].q == &w->f->q[2])
				continue;
			for (unsigned int k = 0; k < seen.n && k < NCTX + NCTX2; k++)
				times += seen.seen[k] == w->f->c[i].tx;
			w->bad += times != 1 && seen.n <= NCTX + NCTX2;
		}
		a = publish_answer("ctx limit 16", &len);
		w->bad += !a || strstr(a, "\"error\"") != NULL;
		free(a);
		atomic_fetch_add(&w->walks, 1);
	}
	return NULL;
}

static void test_bulk_while_walking(void)
{
	const char *env = getenv("MLX5TLS_STRESS_ROUNDS");
	unsigned int rounds = env ? (unsigned int)atoi(env) : CHURN_ROUNDS_DEFAULT;
	struct mlx5tls_tx *churn[CHURN_BATCH], *arr[NCTX + NCTX2];
	struct fx *f = calloc(1, sizeof(*f));
	struct walker *w = calloc(1, sizeof(*w));
	uint64_t del0;
	unsigned int made = 0;
	pthread_t th;

	CU_ASSERT_FATAL(f && w);
	fx_open(f);
	w->f = f;
	del0 = test_counter(f->d[0].b.dev, "tx_tls_del");
	CU_ASSERT_EQUAL_FATAL(pthread_create(&th, NULL, walk_run, w), 0);
	/* the rounds asked for, and on until the walker has walked a few times meanwhile */
	for (unsigned int r = 0; r < rounds || (atomic_load(&w->walks) < 10 && r < 100 * rounds);
	     r++) {
		for (unsigned int k = 0; k < CHURN_BATCH; k++) {
			MLX5TLS_OPTS(mlx5tls_tx_opts, o, .dek_pool = f->d[0].dp, .tis_pool = f->d[0].tp);
			struct tls12_crypto_info_aes_gcm_128 ci;

			test_ci128(&ci, TLS_1_3_VERSION, (uint8_t)(r + k));
			churn[k] = mlx5tls_tx_create(f->q[(r + k) % 2].qp, &ci.info, sizeof(ci), ISN,
						     &o);
			CU_ASSERT_PTR_NOT_NULL_FATAL(churn[k]);
			made++;
		}
		CU_ASSERT_EQUAL_FATAL(mlx5tls_tx_destroy_bulk(churn, CHURN_BATCH), 0);
	}
	atomic_store(&w->stop, true);
	CU_ASSERT_EQUAL(pthread_join(th, NULL), 0);
	CU_ASSERT_TRUE(atomic_load(&w->walks) >= 10);
	CU_ASSERT_EQUAL(w->bad, 0);
	CU_ASSERT_EQUAL(test_counter(f->d[0].b.dev, "tx_tls_del"), del0 + made);
	for (unsigned int k = 0; k < 2; k++) {
		unsigned int on_q = 0;

		for (unsigned int i = 0; i < f->n; i++)
			on_q += f->c[i].q == &f->q[k];
		CU_ASSERT_EQUAL(qp_attr(&f->q[k], false), on_q);
	}
	for (unsigned int i = 0; i < f->n; i++)
		arr[i] = f->c[i].tx;
	CU_ASSERT_EQUAL(mlx5tls_tx_destroy_bulk(arr, f->n), 0);
	fx_close(f);
	free(w);
	free(f);
}

int main(void)
{
	static const struct test_case cases[] = {
		{ "contexts on 3 queues of 2 devices, records and frames in flight, one call",
		  test_bulk_destroy },
		{ "NULL array, NULL entry, a context twice: -EINVAL, nothing destroyed",
		  test_bulk_errors },
		{ "bulk destroys on 2 queues while another thread walks the device",
		  test_bulk_while_walking },
		{ NULL, NULL },
	};
	static const struct test_suite suites[] = {
		{ "tx_destroy_bulk", NULL, NULL, cases },
		{ NULL, NULL, NULL, NULL },
	};

	return test_run_suites(suites);
}
