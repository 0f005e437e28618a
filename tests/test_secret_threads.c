/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The secret allocator (libmlx5tls/secret.h) from several threads:
 *  - a thread freeing (its wipe in progress) does not hold up another thread's allocations and
 *    frees: contexts made and dropped on different threads (each TX context's model engine state
 *    and key copies are secret memory) must not queue on one process-wide lock;
 *  - threads allocating and freeing at once never get the same chunk twice, always get zeroed
 *    memory they own, and the counts come back to where they started.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "secret.h"
#include "test_util.h"

/* ---- a wipe in progress on one thread, allocations on another ---- */

static pthread_t blocker;
static atomic_int blocker_in_hook; /* 1 while the blocker's free is inside the wipe hook */
static atomic_int other_done;      /* the other thread finished its allocations */

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Runs inside secret_free, after the wipe: on the blocker thread it waits (up to 3 s) for the
 * other thread to allocate and free while this free is still in progress. */
static void blocking_hook(const void *p, size_t len)
{
	double deadline = now_s() + 3.0;

	(void)p;
	(void)len;
	if (!pthread_equal(pthread_self(), blocker))
		return;
	atomic_store(&blocker_in_hook, 1);
	while (!atomic_load(&other_done) && now_s() < deadline)
		;
	atomic_store(&blocker_in_hook, 0);
}

static void *blocker_run(void *arg)
{
	void *p = secret_alloc(64);

	(void)arg;
	if (p)
		secret_free(p, 64); /* stays in blocking_hook until the other thread is done */
	return NULL;
}

static void *other_run(void *arg)
{
	int *ok = arg;

	while (!atomic_load(&blocker_in_hook))
		;
	*ok = 1;
	for (int i = 0; i < 100 && *ok; i++) {
		void *p = secret_alloc(64 + (size_t)i % 200);

		*ok = p != NULL;
		secret_free(p, 64 + (size_t)i % 200);
	}
	/* finished while the blocker's free still was in progress: not queued behind it */
	if (!atomic_load(&blocker_in_hook))
		*ok = 0;
	atomic_store(&other_done, 1);
	return NULL;
}

static void test_free_does_not_block_others(void)
{
	pthread_t other;
	int ok = 0;

	atomic_store(&blocker_in_hook, 0);
	atomic_store(&other_done, 0);
	secret_wipe_hook = blocking_hook;
	CU_ASSERT_EQUAL_FATAL(pthread_create(&blocker, NULL, blocker_run, NULL), 0);
	CU_ASSERT_EQUAL_FATAL(pthread_create(&other, NULL, other_run, &ok), 0);
	pthread_join(other, NULL);
	pthread_join(blocker, NULL);
	secret_wipe_hook = NULL;
	CU_ASSERT_EQUAL(ok, 1);
}

/* ---- many threads at once ---- */

#define STRESS_THREADS 4
#define STRESS_HELD 64

struct held {
	uint8_t *p;
	size_t len;
};

static size_t stress_len(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	*s = x;
	/* every slab class (32 B .. 4 KiB) and, now and then, a mapping of its own */
	return x % 64 == 0 ? 4097 + (size_t)(x >> 8) % 20000 : 1 + (size_t)(x >> 8) % 4096;
}

/* MLX5TLS_STRESS_ROUNDS is test_threads' knob (150 under TSan in .ci/run); a round here is one
 * allocation and one free, so a hundred times as many */
static int stress_rounds(void)
{
	const char *env = getenv("MLX5TLS_STRESS_ROUNDS");

	return env ? 100 * atoi(env) : 20000;
}

static bool all_bytes(const uint8_t *p, size_t len, uint8_t v)
{
	for (size_t i = 0; i < len; i++)
		if (p[i] != v)
			return false;
	return true;
}

static void *stress_run(void *arg)
{
	int *bad = arg;
	uint8_t tag = (uint8_t)(0x11 * (unsigned int)(bad[1] + 1));
	struct held h[STRESS_HELD] = { { NULL, 0 } };
	uint64_t s = 0x9e3779b97f4a7c15ull * (uint64_t)(bad[1] + 1);
	int rounds = stress_rounds();

	for (int r = 0; r < rounds && !bad[0]; r++) {
		struct held *e = &h[s % STRESS_HELD];

		if (e->p) {
			/* still this thread's bytes: nobody else was handed the chunk meanwhile */
			if (!all_bytes(e->p, e->len, tag))
				bad[0] = 1;
			secret_free(e->p, e->len);
			e->p = NULL;
		}
		e->len = stress_len(&s);
		e->p = secret_alloc(e->len);
		if (!e->p || !all_bytes(e->p, e->len, 0) || !secret_owns(e->p, e->len)) {
			bad[0] = 1;
			break;
		}
		memset(e->p, tag, e->len);
	}
	for (int i = 0; i < STRESS_HELD; i++)
		if (h[i].p) {
			if (!all_bytes(h[i].p, h[i].len, tag))
				bad[0] = 1;
			secret_free(h[i].p, h[i].len);
		}
	return NULL;
}

static void test_threads_at_once(void)
{
	pthread_t th[STRESS_THREADS];
	int bad[STRESS_THREADS][2];
	struct secret_stats st0, st;

	secret_get_stats(&st0);
	for (int i = 0; i < STRESS_THREADS; i++) {
		bad[i][0] = 0;
		bad[i][1] = i;
		CU_ASSERT_EQUAL_FATAL(pthread_create(&th[i], NULL, stress_run, bad[i]), 0);
	}
	for (int i = 0; i < STRESS_THREADS; i++) {
		pthread_join(th[i], NULL);
		CU_ASSERT_EQUAL(bad[i][0], 0);
	}
	secret_get_stats(&st);
	CU_ASSERT_EQUAL(st.live, st0.live);
	CU_ASSERT_EQUAL(st.live_bytes, st0.live_bytes);
	CU_ASSERT_EQUAL(st.allocs - st0.allocs, st.frees - st0.frees);
	CU_ASSERT_TRUE(st.allocs - st0.allocs >= STRESS_THREADS);
}

int main(void)
{
	static const struct test_case cases[] = {
		{ "a free in progress does not hold up another thread", test_free_does_not_block_others },
		{ "threads allocating and freeing at once", test_threads_at_once },
		{ NULL, NULL },
	};
	static const struct test_suite suites[] = {
		{ "secret allocator, threads", NULL, NULL, cases },
		{ NULL, NULL, NULL, NULL },
	};

	return test_run_suites(suites);
}
