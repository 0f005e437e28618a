/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The secret allocator (libmlx5tls/secret.h) on several threads (issue 10: contexts made and
 * dropped on different threads take no lock in common - an RX context's keys and a TX context's
 * copy of its key for the software path are secret memory):
 *  - a thread that frees secret memory and allocates the same size again takes no process-wide
 *    lock: it does so while another thread holds the allocator's lock (secret_for_each_region
 *    calls back under it); with only the shared lists it waits until the lock is let go, and
 *    the test fails;
 *  - a chunk a thread takes back from its own cache is zeroed, and is the one it freed;
 *  - a thread's cached chunks go back to the shared lists when it exits (taken again by others);
 *  - threads allocating, filling, checking and freeing at once never get a chunk another one
 *    holds (ThreadSanitizer in CI), and the live counts come back to where they were.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "secret.h"
#include "test_util.h"

#define WAIT_S 3

/* ---- no lock for a thread's own freed chunks ---- */

struct hold {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool warm, go, done, in_time, held;
	bool ok;
};

static void *alloc_free_thread(void *arg)
{
	struct hold *h = arg;
	void *p = secret_alloc(200), *q;

	/* warm: the chunk goes to this thread's cache */
	secret_free(p, 200);
	pthread_mutex_lock(&h->lock);
	h->warm = true;
	pthread_cond_broadcast(&h->cond);
	while (!h->go)
		pthread_cond_wait(&h->cond, &h->lock);
	pthread_mutex_unlock(&h->lock);
	/* the allocator's lock is held by the main thread now */
	q = secret_alloc(200);
	h->ok = q == p;
	secret_free(q, 200);
	pthread_mutex_lock(&h->lock);
	h->done = true;
	pthread_cond_signal(&h->cond);
	pthread_mutex_unlock(&h->lock);
	return NULL;
}

/* Runs under the allocator's lock: the other thread allocates and frees now. */
static void hold_cb(void *ctx, const void *addr, size_t len)
{
	struct hold *h = ctx;
	struct timespec until;

	(void)addr;
	(void)len;
	if (h->held)
		return;
	h->held = true;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += WAIT_S;
	pthread_mutex_lock(&h->lock);
	h->go = true;
	pthread_cond_broadcast(&h->cond);
	while (!h->done)
		if (pthread_cond_timedwait(&h->cond, &h->lock, &until) == ETIMEDOUT)
			break;
	h->in_time = h->done;
	pthread_mutex_unlock(&h->lock);
}

static void test_own_chunks_without_lock(void)
{
	struct hold h = { .lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER };
	void *keep = secret_alloc(32); /* a region exists: the walk calls back */
	pthread_t th;

	CU_ASSERT_PTR_NOT_NULL_FATAL(keep);
	CU_ASSERT_EQUAL_FATAL(pthread_create(&th, NULL, alloc_free_thread, &h), 0);
	pthread_mutex_lock(&h.lock);
	while (!h.warm)
		pthread_cond_wait(&h.cond, &h.lock);
	pthread_mutex_unlock(&h.lock);
	secret_for_each_region(hold_cb, &h);
	pthread_join(th, NULL);
	if (!h.in_time)
		printf("\n  the other thread waited for the allocator's lock (%d s)", WAIT_S);
	CU_ASSERT_TRUE(h.held);
	CU_ASSERT_TRUE(h.in_time);
	CU_ASSERT_TRUE(h.ok);
	secret_free(keep, 32);
}

/* ---- a cached chunk comes back zeroed; an exiting thread's chunks go back ---- */

static void test_cached_chunk_zeroed(void)
{
	uint8_t *p = secret_alloc(100), *q;
	bool zero = true;

	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	memset(p, 0xa5, 128); /* the whole chunk: the class's slack is wiped too */
	secret_free(p, 100);
	q = secret_alloc(100);
	CU_ASSERT_PTR_EQUAL(q, p);
	for (unsigned int i = 0; q && i < 128; i++)
		zero &= q[i] == 0;
	CU_ASSERT_TRUE(zero);
	secret_free(q, 100);
}

#define EXIT_CHUNKS 8u

static void *cache_and_exit(void *arg)
{
	void **ps = arg;

	for (unsigned int i = 0; i < EXIT_CHUNKS; i++)
		ps[i] = secret_alloc(3000);
	for (unsigned int i = 0; i < EXIT_CHUNKS; i++)
		secret_free(ps[i], 3000); /* into this thread's cache */
	return NULL;
}

static void test_exit_gives_back(void)
{
	void *theirs[EXIT_CHUNKS], *mine[EXIT_CHUNKS];
	unsigned int found = 0;
	pthread_t th;

	CU_ASSERT_EQUAL_FATAL(pthread_create(&th, NULL, cache_and_exit, theirs), 0);
	pthread_join(th, NULL);
	/* this thread has none of that size cached: it takes the shared list's, theirs first */
	for (unsigned int i = 0; i < EXIT_CHUNKS; i++)
		mine[i] = secret_alloc(3000);
	for (unsigned int i = 0; i < EXIT_CHUNKS; i++)
		for (unsigned int j = 0; j < EXIT_CHUNKS; j++)
			found += mine[i] == theirs[j];
	CU_ASSERT_EQUAL(found, EXIT_CHUNKS);
	for (unsigned int i = 0; i < EXIT_CHUNKS; i++)
		secret_free(mine[i], 3000);
}

/* ---- threads at once ---- */

#define THREADS 4u
#define ROUNDS 4000u
#define HELD 24u

static atomic_uint bad;

static void *churn(void *arg)
{
	uint8_t *held[HELD] = { 0 };
	size_t len[HELD] = { 0 };
	uint8_t tag = (uint8_t)(uintptr_t)arg;
	uint64_t rng = 0x9e3779b97f4a7c15ull * (tag + 1u);

	for (unsigned int r = 0; r < ROUNDS; r++) {
		unsigned int i;

		rng ^= rng << 13;
		rng ^= rng >> 7;
		rng ^= rng << 17;
		i = (unsigned int)(rng % HELD);
		if (held[i]) {
			/* still ours: nobody else was handed it meanwhile */
			for (size_t k = 0; k < len[i]; k++)
				if (held[i][k] != tag) {
					atomic_fetch_add(&bad, 1);
					break;
				}
			secret_free(held[i], len[i]);
			held[i] = NULL;
			continue;
		}
		len[i] = 16u + (size_t)(rng >> 20) % 2500u;
		held[i] = secret_alloc(len[i]);
		if (!held[i]) {
			atomic_fetch_add(&bad, 1);
			continue;
		}
		for (size_t k = 0; k < len[i]; k++)
			if (held[i][k]) {
				atomic_fetch_add(&bad, 1); /* not zeroed */
				break;
			}
		memset(held[i], tag, len[i]);
	}
	for (unsigned int i = 0; i < HELD; i++)
		secret_free(held[i], len[i]);
	return NULL;
}

static void test_threads_at_once(void)
{
	struct secret_stats st0, st;
	pthread_t th[THREADS];

	secret_get_stats(&st0);
	for (unsigned int t = 0; t < THREADS; t++)
		CU_ASSERT_EQUAL_FATAL(pthread_create(&th[t], NULL, churn, (void *)(uintptr_t)(t + 1)),
				      0);
	for (unsigned int t = 0; t < THREADS; t++)
		pthread_join(th[t], NULL);
	secret_get_stats(&st);
	CU_ASSERT_EQUAL(atomic_load(&bad), 0);
	CU_ASSERT_EQUAL(st.live, st0.live);
	CU_ASSERT_EQUAL(st.live_bytes, st0.live_bytes);
	CU_ASSERT_EQUAL(st.allocs - st0.allocs, st.frees - st0.frees);
	CU_ASSERT_TRUE(st.allocs > st0.allocs);
}

int main(void)
{
	static const struct test_case cases[] = {
		{ "a thread's own freed chunks without the allocator's lock",
		  test_own_chunks_without_lock },
		{ "a cached chunk comes back zeroed", test_cached_chunk_zeroed },
		{ "an exiting thread's cached chunks go back", test_exit_gives_back },
		{ "threads allocating and freeing at once", test_threads_at_once },
		{ NULL, NULL },
	};
	static const struct test_suite suites[] = {
		{ "secret_threads", NULL, NULL, cases },
		{ NULL, NULL, NULL, NULL },
	};

	return test_run_suites(suites);
}
