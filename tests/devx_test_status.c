/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The real DevX transport when rdma-core returns 0 but the output mailbox says the firmware
 * rejected the command (status != 0): the library must not take it as success (a TIS or DEK
 * with whatever number the mailbox happens to hold); it fails with -EREMOTEIO and keeps the
 * status and syndrome. Through the DevX interposer's injected rejection (tests/shim).
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "devx_shim.h"
#include "mlx5tls/mlx5tls.h"
#include "test_util.h"

#define OP_CREATE_TIS 0x912            /* fact sheet 2.3 */
#define OP_CREATE_GENERAL_OBJECT 0xa00

static void check_rejected(int rc0)
{
	struct tls12_crypto_info_aes_gcm_128 ci;
	struct mlx5tls_device *dev = mlx5tls_device_open("mlx5_0", NULL);
	struct mlx5tls_fw_error fe;
	struct mlx5tls_pd *pd;
	struct mlx5tls_td *td;
	struct mlx5tls_tis *tis;
	struct mlx5tls_dek *dek;

	CU_ASSERT_PTR_NOT_NULL_FATAL(dev);
	pd = mlx5tls_pd_alloc(dev);
	td = mlx5tls_td_alloc(dev);
	CU_ASSERT_FATAL(pd && td);
	devx_shim_fail_next(OP_CREATE_TIS, 0x03 /* BAD_PARAM */, 0x123456, rc0);
	tis = mlx5tls_tis_create(pd, td, NULL);
	CU_ASSERT_PTR_NULL(tis);
	CU_ASSERT_EQUAL(errno, EREMOTEIO);
	memset(&fe, 0, sizeof(fe));
	CU_ASSERT_EQUAL(mlx5tls_last_fw_error(&fe), 0);
	CU_ASSERT_EQUAL(fe.status, 0x03);
	CU_ASSERT_EQUAL(fe.syndrome, 0x123456);
	if (tis)
		mlx5tls_tis_destroy(tis);
	test_ci128(&ci, TLS_1_2_VERSION, 0x44);
	devx_shim_fail_next(OP_CREATE_GENERAL_OBJECT, 0x05 /* BAD_RES */, 0x654321, rc0);
	dek = mlx5tls_dek_create(pd, &ci.info, sizeof(ci), NULL);
	CU_ASSERT_PTR_NULL(dek);
	CU_ASSERT_EQUAL(errno, EREMOTEIO);
	if (dek)
		mlx5tls_dek_destroy(dek);
	/* nothing armed any more: the same calls work */
	tis = mlx5tls_tis_create(pd, td, NULL);
	dek = mlx5tls_dek_create(pd, &ci.info, sizeof(ci), NULL);
	CU_ASSERT_FATAL(tis && dek);
	CU_ASSERT_EQUAL(mlx5tls_dek_destroy(dek), 0);
	CU_ASSERT_EQUAL(mlx5tls_tis_destroy(tis), 0);
	CU_ASSERT_EQUAL(mlx5tls_td_dealloc(td), 0);
	CU_ASSERT_EQUAL(mlx5tls_pd_dealloc(pd), 0);
	CU_ASSERT_EQUAL(mlx5tls_device_close(dev), 0);
}

static void test_status_with_rc0(void)
{
	check_rejected(true);
}

static void test_status_with_eremoteio(void)
{
	check_rejected(false);
}

int main(void)
{
	static const struct test_case cases[] = {
		{ "firmware status with rc 0: -EREMOTEIO", test_status_with_rc0 },
		{ "firmware status with EREMOTEIO", test_status_with_eremoteio },
		{ NULL, NULL },
	};
	static const struct test_suite suites[] = {
		{ "devx: firmware status", NULL, NULL, cases },
		{ NULL, NULL, NULL, NULL },
	};

	return test_run_suites(suites);
}
