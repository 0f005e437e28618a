/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * TLS contexts on different queues of one device, driven from different threads (issue 10:
 * "contexts on different queues created, destroyed and acked from different threads scale ...
 * no device-wide lock"), while a walk holds a step over one queue's contexts:
 *  - while a walk over the device's TX contexts holds its lock for a step over one queue's
 *    contexts, another thread creates, sends on, acknowledges, rekeys (the ack then releases
 *    the old key) and destroys TX contexts, and creates and destroys RX contexts, on its own
 *    queue, and inspects them, without waiting for the walk (a device-wide lock makes it wait
 *    until the step ends: the test then fails);
 *  - the same for RX contexts made and dropped on another queue while the publisher's walk over
 *    RX contexts holds a step over this queue's.
 * Churn, ids and cursors are test_tx_shards.c. The fixture (device, queues, contexts, look-up
 * by id) is tests/util/tx_shards_fixture.h.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tx_shards_fixture.h"

/* ---- another queue's thread goes on while a walk holds a step over this queue's contexts ---- */

#define HOLD_CTXS 4u
#define OTHER_ROUNDS 8u
#define HOLD_WAIT_S 3

/* queue a's contexts the walk visits (TX or RX, per case) and queue b's thread's progress */
struct hold {
	struct q a, b;
	struct mlx5tls_tx *a_tx[HOLD_CTXS];
	struct mlx5tls_rx *a_rx[HOLD_CTXS];
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool go, done;
	unsigned int a_visits, b_in_time;
	atomic_uint b_done;
	bool in_time;
	const char *failed;
};

/* Both cases: queues a and b on one device, the handshake between the walk and b's thread. */
static void hold_open(struct hold *h, struct bed *b)
{
	bed_open(b);
	q_open(&h->a, b);
	q_open(&h->b, b);
	h->b.key = 100;
	pthread_mutex_init(&h->lock, NULL);
	pthread_cond_init(&h->cond, NULL);
}

/* The walk visited all of queue a's contexts, and queue b's thread did all its rounds, in time
 * and without a failure. */
static void hold_check(struct hold *h, const char *walk)
{
	if (!h->in_time)
		printf("\n  queue b's thread waited for the %s's step on queue a (%u of %u rounds "
		       "done in %d s)", walk, h->b_in_time, OTHER_ROUNDS, HOLD_WAIT_S);
	if (h->failed)
		printf("\n  queue b: %s failed", h->failed);
	CU_ASSERT_EQUAL(h->a_visits, HOLD_CTXS);
	CU_ASSERT_TRUE(h->in_time);
	CU_ASSERT_PTR_NULL(h->failed);
	CU_ASSERT_EQUAL(atomic_load(&h->b_done), OTHER_ROUNDS);
}

static void hold_close(struct hold *h, struct bed *b)
{
	q_close(&h->a);
	q_close(&h->b);
	pthread_cond_destroy(&h->cond);
	pthread_mutex_destroy(&h->lock);
	bed_close(b);
	free(h);
}

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

/* The walk holds its shard here: the other thread is let go, and this one waits (bounded)
 * until it has done its work on another queue, noting whether it did so in time. */
static void hold_park(struct hold *h)
{
	struct timespec until;

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

/* On the first of queue a's contexts (its lock held): queue b's thread does its work now. */
/* cppcheck-suppress constParameter ; the signature is mlx5tls_device_foreach_tx's callback */
static int hold_cb(struct mlx5tls_tx *tx, void *arg)
{
	struct hold *h = arg;
	bool mine = false;

	for (unsigned int i = 0; i < HOLD_CTXS; i++)
		mine |= tx == h->a_tx[i];
	if (!mine || h->a_visits++)
		return 0;
	hold_park(h);
	return 0;
}

static void test_other_queue_during_walk(void)
{
	struct hold *h = calloc(1, sizeof(*h));
	const char *what = NULL;
	struct bed b;
	pthread_t th;

	CU_ASSERT_PTR_NOT_NULL_FATAL(h);
	hold_open(h, &b);
	for (unsigned int i = 0; i < HOLD_CTXS; i++) {
		h->a_tx[i] = ctx_cycle(&h->a, false, &what);
		CU_ASSERT_PTR_NOT_NULL_FATAL(h->a_tx[i]);
	}
	CU_ASSERT_EQUAL_FATAL(pthread_create(&th, NULL, other_queue, h), 0);
	CU_ASSERT_EQUAL(mlx5tls_device_foreach_tx(b.dev, hold_cb, h), 0);
	pthread_join(th, NULL);
	hold_check(h, "walk");
	for (unsigned int i = 0; i < HOLD_CTXS; i++)
		CU_ASSERT_EQUAL(mlx5tls_tx_destroy(h->a_tx[i]), 0);
	hold_close(h, &b);
}

/* ---- the same for RX contexts, with the publisher's walk over RX contexts holding a step ---- */

/* Thread of queue b: once told, RX contexts made, inspected and destroyed on it. (Not "ctx id":
 * the walk holds the registry of devices, which a look-up by id takes too.) */
static void *other_queue_rx(void *arg)
{
	struct hold *h = arg;
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
	struct hold *h = arg;
	bool mine = false;

	(void)w;
	for (unsigned int i = 0; i < HOLD_CTXS; i++)
		mine |= ctx == (void *)h->a_rx[i];
	if (!mine || h->a_visits++)
		return;
	hold_park(h);
}

static void test_other_queue_during_rx_walk(void)
{
	struct hold *h = calloc(1, sizeof(*h));
	struct walk_cursor c = WALK_CURSOR_RX;
	struct jw w = { 0 };
	uint64_t id;
	struct bed b;
	pthread_t th;

	CU_ASSERT_PTR_NOT_NULL_FATAL(h);
	hold_open(h, &b);
	for (unsigned int i = 0; i < HOLD_CTXS; i++) {
		h->a_rx[i] = rx_make(&h->a, &id);
		CU_ASSERT_PTR_NOT_NULL_FATAL(h->a_rx[i]);
	}
	CU_ASSERT_EQUAL_FATAL(pthread_create(&th, NULL, other_queue_rx, h), 0);
	CU_ASSERT_TRUE(walk_rx(&w, &c, 1000, rx_hold_fn, h));
	pthread_join(th, NULL);
	free(w.buf);
	hold_check(h, "RX walk");
	for (unsigned int i = 0; i < HOLD_CTXS; i++)
		CU_ASSERT_EQUAL(mlx5tls_rx_destroy(h->a_rx[i]), 0);
	hold_close(h, &b);
}

int main(void)
{
	static const struct test_case cases[] = {
		{ "another queue's contexts go on while a walk step holds this queue's",
		  test_other_queue_during_walk },
		{ "another queue's RX contexts go on while an RX walk step holds this queue's",
		  test_other_queue_during_rx_walk },
		{ NULL, NULL },
	};
	static const struct test_suite suites[] = {
		{ "tx_shards", NULL, NULL, cases },
		{ NULL, NULL, NULL, NULL },
	};

	return test_run_suites(suites);
}
