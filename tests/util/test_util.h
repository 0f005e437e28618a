/* SPDX-License-Identifier: BSD-3-Clause */
/* Shared helpers for the CUnit test programs. */
#ifndef MLX5TLS_TEST_UTIL_H
#define MLX5TLS_TEST_UTIL_H

#include <CUnit/CUnit.h>
#include <stdbool.h>
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



/* ---- library helpers (test_util_lib.c) ---- */
#include "mlx5tls/mlx5tls.h"

/* Fill a TLS crypto info with a recognisable key (key[i] = key_byte + i). */
void test_ci128(struct tls12_crypto_info_aes_gcm_128 *ci, uint16_t version, uint8_t key_byte);
void test_ci256(struct tls12_crypto_info_aes_gcm_256 *ci, uint16_t version, uint8_t key_byte);

/* The value of the device counter `name` (mlx5tls_counter_name); a CUnit failure and 0 if the
 * library has no such counter. */
uint64_t test_counter(struct mlx5tls_device *dev, const char *name);

/* Status of the calling thread's last firmware error, or -1 if there is none. */
int test_last_fw_status(void);

/* Read a whole file into a NUL-terminated malloc'd buffer (NULL if missing). */
char *test_read_file(const char *path);
/* Wait (up to 5 s) until network interface ifname's operational state is "up": frames sent
 * before that can be dropped without an error (test_util.c says why). false on a timeout. */
bool test_wait_oper_up(const char *ifname);
#endif
