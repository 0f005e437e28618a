/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The fixture of the library's object tests through its real `devx` transport
 * (tests/devx_test_objects.c, devx_test_devices.c, devx_test_isolation.c): rdma-core entry points
 * interposed onto the device model (tests/shim/). Public API only, plus the interposer's control
 * header to prove the calls really went through rdma-core's entry points and to look into the
 * model.
 *
 * Devices (set by devx_objects_run): mlx5_0 = current CX-6 Dx, mlx5_1 = older firmware (TLS 1.2
 * AES-128 TX only, single DEKs), mlx5_2 = current firmware with tiny TIS/DEK limits so the model
 * rejects.
 *
 * Header-only: the test utility archive does not link the interposer.
 */
#ifndef MLX5TLS_DEVX_OBJECTS_FIXTURE_H
#define MLX5TLS_DEVX_OBJECTS_FIXTURE_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/tls.h>

#include "devx_shim.h"
#include "test_util.h"
#include "mlx5tls/mlx5tls.h"

#define SHIM_DEVICES "mlx5_0=cx6dx;mlx5_1=cx6dx-legacy;mlx5_2=cx6dx,log_max_tis=1,log_max_dek=1"

/* PRM values the assertions use (fact sheet 2.2, 2.3, 3.4). */
#define OP_CREATE_TIS 0x912
#define STAT_LIM_ERR 0x8
#define DEK_PURPOSE_TLS 0x1

static inline struct mlx5tls_device *open_dev(const char *name)
{
	struct mlx5tls_device *d = mlx5tls_device_open(name, NULL);

	if (!d)
		fprintf(stderr, "\n  open %s: %s\n", name, strerror(errno));
	return d;
}

static inline struct devx_shim_dev_stats model_stats(const char *name)
{
	struct devx_shim_dev_stats st;

	memset(&st, 0, sizeof(st));
	CU_ASSERT_EQUAL(devx_shim_dev_stats(name, &st), 0);
	return st;
}

static inline void ci_128(struct tls12_crypto_info_aes_gcm_128 *ci, uint16_t version, uint8_t seed)
{
	memset(ci, 0, sizeof(*ci));
	ci->info.version = version;
	ci->info.cipher_type = TLS_CIPHER_AES_GCM_128;
	for (size_t i = 0; i < sizeof(ci->key); i++)
		ci->key[i] = (unsigned char)(seed + i);
	for (size_t i = 0; i < sizeof(ci->iv); i++)
		ci->iv[i] = (unsigned char)(0x40 + i);
	for (size_t i = 0; i < sizeof(ci->salt); i++)
		ci->salt[i] = (unsigned char)(0x80 + i);
	ci->rec_seq[7] = 1;
}

static inline void ci_256(struct tls12_crypto_info_aes_gcm_256 *ci, uint16_t version, uint8_t seed)
{
	memset(ci, 0, sizeof(*ci));
	ci->info.version = version;
	ci->info.cipher_type = TLS_CIPHER_AES_GCM_256;
	for (size_t i = 0; i < sizeof(ci->key); i++)
		ci->key[i] = (unsigned char)(seed + i);
	for (size_t i = 0; i < sizeof(ci->iv); i++)
		ci->iv[i] = (unsigned char)(0x40 + i);
	for (size_t i = 0; i < sizeof(ci->salt); i++)
		ci->salt[i] = (unsigned char)(0x80 + i);
	ci->rec_seq[7] = 1;
}

#define CI(x) ((const struct tls_crypto_info *)&(x))

/* Run the suites on the devices above, with no device or trace chosen by the environment. */
static inline int devx_objects_run(const struct test_suite *suites)
{
	int ret;

	unsetenv("MLX5TLS_DEVICE");
	unsetenv("MLX5TLS_TRACE");
	ret = devx_shim_set_devices(SHIM_DEVICES);
	if (ret) {
		fprintf(stderr, "devx_shim_set_devices: %s\n", strerror(-ret));
		return 2;
	}
	return test_run_suites(suites);
}

#endif
