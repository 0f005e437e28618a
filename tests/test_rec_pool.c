/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The RX record-buffer pool (rec_pool.h): buffers are secret memory; a buffer given back is the
 * next one taken; at most REC_POOL_KEEP free ones stay mapped, the rest are wiped and unmapped
 * as they come back; a buffer of another length is never handed out; fini gives back every free
 * one.
 */
#include <string.h>

#include "rec_pool.h"
#include "secret.h"
#include "test_util.h"

#define LEN 33290u
#define N (REC_POOL_KEEP + 8u)

static uint64_t live_secrets(void)
{
	struct secret_stats st;

	secret_get_stats(&st);
	return st.live;
}

static void test_keep_and_release(void)
{
	uint8_t *b[N], *again;
	struct rec_pool p;
	uint64_t live0 = live_secrets();

	rec_pool_init(&p);
	for (unsigned int i = 0; i < N; i++) {
		b[i] = rec_pool_get(&p, LEN);
		CU_ASSERT_PTR_NOT_NULL_FATAL(b[i]);
		CU_ASSERT_TRUE(secret_owns(b[i], LEN));
		memset(b[i], 0x5a, LEN);
	}
	CU_ASSERT_EQUAL(live_secrets(), live0 + N);
	for (unsigned int i = 0; i < N; i++)
		rec_pool_put(&p, b[i], LEN);
	/* REC_POOL_KEEP kept free, the rest gone */
	CU_ASSERT_EQUAL(p.nfree, REC_POOL_KEEP);
	CU_ASSERT_EQUAL(live_secrets(), live0 + REC_POOL_KEEP);
	/* the last kept is the next taken; another length is a new buffer */
	again = rec_pool_get(&p, LEN);
	CU_ASSERT_PTR_EQUAL(again, b[REC_POOL_KEEP - 1]);
	rec_pool_put(&p, again, LEN);
	again = rec_pool_get(&p, 4096);
	CU_ASSERT_PTR_NOT_NULL_FATAL(again);
	CU_ASSERT_EQUAL(p.nfree, REC_POOL_KEEP);
	rec_pool_put(&p, again, 4096); /* not kept: the pool's buffers are LEN */
	CU_ASSERT_EQUAL(p.nfree, REC_POOL_KEEP);
	CU_ASSERT_EQUAL(live_secrets(), live0 + REC_POOL_KEEP);
	rec_pool_put(&p, NULL, LEN);
	rec_pool_fini(&p);
	CU_ASSERT_EQUAL(live_secrets(), live0);
}

static const struct test_case cases[] = {
	{ "keeps REC_POOL_KEEP, releases the rest", test_keep_and_release },
	{ NULL, NULL },
};

int main(void)
{
	const struct test_suite suites[] = {
		{ "rec_pool", NULL, NULL, cases },
		{ NULL, NULL, NULL, NULL },
	};

	return test_run_suites(suites);
}
