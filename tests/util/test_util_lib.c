/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The helpers of test_util.h that call the library, kept out of test_util.c so a program that uses
 * only the runner (devx_test_shim) does not pull libmlx5tls in.
 */
#include "test_util.h"

#include <string.h>

void test_ci128(struct tls12_crypto_info_aes_gcm_128 *ci, uint16_t version, uint8_t key_byte)
{
	memset(ci, 0, sizeof(*ci));
	ci->info.version = version;
	ci->info.cipher_type = TLS_CIPHER_AES_GCM_128;
	for (size_t i = 0; i < sizeof(ci->key); i++)
		ci->key[i] = (uint8_t)(key_byte + i);
	memcpy(ci->salt, "\x01\x02\x03\x04", 4);
}

void test_ci256(struct tls12_crypto_info_aes_gcm_256 *ci, uint16_t version, uint8_t key_byte)
{
	memset(ci, 0, sizeof(*ci));
	ci->info.version = version;
	ci->info.cipher_type = TLS_CIPHER_AES_GCM_256;
	for (size_t i = 0; i < sizeof(ci->key); i++)
		ci->key[i] = (uint8_t)(key_byte + i);
	memcpy(ci->salt, "\x01\x02\x03\x04", 4);
}

uint64_t test_counter(struct mlx5tls_device *dev, const char *name)
{
	uint64_t v[256] = { 0 };
	unsigned int n = mlx5tls_counter_count();

	CU_ASSERT_FATAL(n <= 256);
	CU_ASSERT_EQUAL(mlx5tls_device_counters(dev, v, n), (int)n);
	for (unsigned int i = 0; i < n; i++)
		if (!strcmp(mlx5tls_counter_name(i), name))
			return v[i];
	CU_FAIL("no such counter");
	return 0;
}

int test_last_fw_status(void)
{
	struct mlx5tls_fw_error err;

	return mlx5tls_last_fw_error(&err) ? -1 : err.status;
}
