/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A minimal CUnit runner for the devx_test_* programs (they link the shared library and the
 * interposer, not the test utility archive). Header-only so each program stays one file.
 */
#ifndef MLX5TLS_DEVX_TEST_RUNNER_H
#define MLX5TLS_DEVX_TEST_RUNNER_H

#include <CUnit/Basic.h>
#include <CUnit/CUnit.h>
#include <stdio.h>

struct devx_test_case {
	const char *name;
	CU_TestFunc fn;
};

struct devx_test_suite {
	const char *name;
	const struct devx_test_case *cases; /* terminated by { NULL, NULL } */
};

/* Run every suite (array terminated by a NULL name) verbosely. Exit status: 0 only if every test
 * ran and passed and at least one ran. */
static inline int devx_test_run(const struct devx_test_suite *suites)
{
	unsigned int failures, ran;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	for (const struct devx_test_suite *s = suites; s->name; s++) {
		CU_pSuite suite = CU_add_suite(s->name, NULL, NULL);

		if (!suite)
			goto fail;
		for (const struct devx_test_case *c = s->cases; c->name; c++)
			if (!CU_add_test(suite, c->name, c->fn))
				goto fail;
	}
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	failures = CU_get_number_of_failures() + CU_get_number_of_suites_failed() +
		   CU_get_number_of_tests_failed();
	ran = CU_get_number_of_tests_run();
	CU_cleanup_registry();
	return (failures == 0 && ran > 0) ? 0 : 1;
fail:
	fprintf(stderr, "CUnit registry error: %s\n", CU_get_error_msg());
	CU_cleanup_registry();
	return 2;
}

#endif /* MLX5TLS_DEVX_TEST_RUNNER_H */
