/* SPDX-License-Identifier: BSD-3-Clause */
/* Shared helpers for the CUnit test programs. */
#ifndef MLX5TLS_TEST_UTIL_H
#define MLX5TLS_TEST_UTIL_H

#include <CUnit/CUnit.h>
#include <stddef.h>
#include <stdint.h>

struct test_case {
	const char *name;
	CU_TestFunc fn;
};

struct test_suite {
	const char *name;
	CU_InitializeFunc init;
	CU_CleanupFunc cleanup;
	const struct test_case *cases; /* terminated by { NULL, NULL } */
};

/* Register the suites (terminated by a suite with name NULL), run them in verbose basic mode and
 * return the process exit status: 0 only if every assertion passed and at least one test ran. */
int test_run_suites(const struct test_suite *suites);

/* Compare a buffer with an expected literal byte vector; on mismatch print both as hex lines
 * (with the first differing offset) and return non-zero. */
int test_bytes_differ(const char *what, const void *got, const void *want, size_t len);

#define TEST_ASSERT_BYTES(what, got, want, len) \
	CU_ASSERT_EQUAL(test_bytes_differ((what), (got), (want), (len)), 0)

#endif
