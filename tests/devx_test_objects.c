/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The library's objects through its real `devx` transport (rdma-core entry points interposed onto
 * the device model, tests/shim/): PD and TD, DEKs of every suite, the DEK pool with bulks and on
 * single DEKs, TLS and plain TISes and the TIS pool; firmware rejections, suites missing from the
 * caps, objects in use; last, that every interposed entry point the library uses was reached
 * during the run. The fixture (devices, helpers) is tests/util/devx_objects_fixture.h; devices
 * and caps are in devx_test_devices.c, contexts and threads side by side in
 * devx_test_isolation.c.
 */
#include "devx_objects_fixture.h"

/* ---- PD / TD ---- */

static void test_pd_td(void)
{
	unsigned long alloc_pd = devx_shim_calls("ibv_alloc_pd");
	unsigned long init_obj = devx_shim_calls("mlx5dv_init_obj");
	unsigned long dealloc_pd = devx_shim_calls("ibv_dealloc_pd");
	unsigned long creates = devx_shim_calls("mlx5dv_devx_obj_create");
	unsigned long destroys = devx_shim_calls("mlx5dv_devx_obj_destroy");
	struct mlx5tls_device *d = open_dev("mlx5_0");
	struct devx_shim_dev_stats st;
	struct mlx5tls_pd *pd;
	struct mlx5tls_td *td;

	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	pd = mlx5tls_pd_alloc(d);
	CU_ASSERT_PTR_NOT_NULL_FATAL(pd);
	/* a verbs PD, its number from mlx5dv_init_obj (devx-userspace A7) */
	CU_ASSERT_EQUAL(devx_shim_calls("ibv_alloc_pd"), alloc_pd + 1);
	CU_ASSERT_EQUAL(devx_shim_calls("mlx5dv_init_obj"), init_obj + 1);
	td = mlx5tls_td_alloc(d);
	CU_ASSERT_PTR_NOT_NULL_FATAL(td);
	CU_ASSERT_EQUAL(devx_shim_calls("mlx5dv_devx_obj_create"), creates + 1);
	CU_ASSERT_NOT_EQUAL(mlx5tls_pd_num(pd), 0);
	CU_ASSERT_NOT_EQUAL(mlx5tls_td_num(td), 0);

	st = model_stats("mlx5_0");
	CU_ASSERT_EQUAL(st.pds, 1);
	CU_ASSERT_EQUAL(st.tds, 1);

	CU_ASSERT_EQUAL(mlx5tls_td_dealloc(td), 0);
	CU_ASSERT_EQUAL(devx_shim_calls("mlx5dv_devx_obj_destroy"), destroys + 1);
	CU_ASSERT_EQUAL(mlx5tls_pd_dealloc(pd), 0);
	CU_ASSERT_EQUAL(devx_shim_calls("ibv_dealloc_pd"), dealloc_pd + 1);
	st = model_stats("mlx5_0");
	CU_ASSERT_EQUAL(st.pds, 0);
	CU_ASSERT_EQUAL(st.tds, 0);
	CU_ASSERT_EQUAL(mlx5tls_device_close(d), 0);
}

/* ---- DEK ---- */

static void dek_roundtrip(const struct tls_crypto_info *ci, size_t ci_len, uint16_t key_bits)
{
	unsigned long creates = devx_shim_calls("mlx5dv_devx_obj_create");
	unsigned long queries = devx_shim_calls("mlx5dv_devx_obj_query");
	unsigned long destroys = devx_shim_calls("mlx5dv_devx_obj_destroy");
	struct mlx5tls_device *d = open_dev("mlx5_0");
	struct mlx5tls_dek_attr a;
	struct mlx5tls_dek *dek;
	struct mlx5tls_pd *pd;

	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	pd = mlx5tls_pd_alloc(d);
	CU_ASSERT_PTR_NOT_NULL_FATAL(pd);
	{
		MLX5TLS_OPTS(mlx5tls_dek_opts, o, .opaque = 0x1122334455667788ull);

		dek = mlx5tls_dek_create(pd, ci, ci_len, &o);
	}
	if (!dek)
		fprintf(stderr, "\n  dek_create: %s\n", strerror(errno));
	CU_ASSERT_PTR_NOT_NULL_FATAL(dek);
	CU_ASSERT_EQUAL(devx_shim_calls("mlx5dv_devx_obj_create"), creates + 1);
	CU_ASSERT_EQUAL(model_stats("mlx5_0").deks, 1);

	memset(&a, 0xa5, sizeof(a));
	CU_ASSERT_EQUAL_FATAL(mlx5tls_dek_query(dek, &a, sizeof(a)), 0);
	CU_ASSERT_EQUAL(devx_shim_calls("mlx5dv_devx_obj_query"), queries + 1);
	CU_ASSERT_EQUAL(a.id, mlx5tls_dek_id(dek));
	CU_ASSERT_EQUAL(a.obj_id, a.id);
	CU_ASSERT_EQUAL(a.obj_offset, 0);
	CU_ASSERT(!a.pooled);
	CU_ASSERT_EQUAL(a.state, 0);
	CU_ASSERT_EQUAL(a.key_bits, key_bits);
	CU_ASSERT_EQUAL(a.key_purpose, DEK_PURPOSE_TLS);
	CU_ASSERT_EQUAL(a.pd, mlx5tls_pd_num(pd));
	CU_ASSERT_EQUAL(a.opaque, 0x1122334455667788ull);

	CU_ASSERT_EQUAL(mlx5tls_dek_destroy(dek), 0);
	CU_ASSERT_EQUAL(devx_shim_calls("mlx5dv_devx_obj_destroy"), destroys + 1);
	CU_ASSERT_EQUAL(model_stats("mlx5_0").deks, 0);
	CU_ASSERT_EQUAL(mlx5tls_pd_dealloc(pd), 0);
	CU_ASSERT_EQUAL(mlx5tls_device_close(d), 0);
}

static void test_dek_tls12_128(void)
{
	struct tls12_crypto_info_aes_gcm_128 ci;

	ci_128(&ci, TLS_1_2_VERSION, 0x10);
	dek_roundtrip(CI(ci), sizeof(ci), 128);
}

static void test_dek_tls12_256(void)
{
	struct tls12_crypto_info_aes_gcm_256 ci;

	ci_256(&ci, TLS_1_2_VERSION, 0x20);
	dek_roundtrip(CI(ci), sizeof(ci), 256);
}

static void test_dek_tls13_128(void)
{
	struct tls12_crypto_info_aes_gcm_128 ci;

	ci_128(&ci, TLS_1_3_VERSION, 0x30);
	dek_roundtrip(CI(ci), sizeof(ci), 128);
}

static void test_dek_tls13_256(void)
{
	struct tls12_crypto_info_aes_gcm_256 ci;

	ci_256(&ci, TLS_1_3_VERSION, 0x40);
	dek_roundtrip(CI(ci), sizeof(ci), 256);
}

/* ---- DEK pool ---- */

static void test_dek_pool_bulk(void)
{
	unsigned long modifies = devx_shim_calls("mlx5dv_devx_obj_modify");
	unsigned long gen;
	struct mlx5tls_device *d = open_dev("mlx5_0");
	struct mlx5tls_dek_pool_stats ps;
	struct tls12_crypto_info_aes_gcm_128 ci;
	struct mlx5tls_dek *deks[3], *again;
	struct mlx5tls_dek_pool *pool;
	struct mlx5tls_dek_attr a;
	struct mlx5tls_pd *pd;
	uint64_t syncs_before;

	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	pd = mlx5tls_pd_alloc(d);
	CU_ASSERT_PTR_NOT_NULL_FATAL(pd);
	{
		MLX5TLS_OPTS(mlx5tls_dek_pool_opts, o, .log_bulk_size = 2);

		pool = mlx5tls_dek_pool_create(pd, &o);
	}
	if (!pool)
		fprintf(stderr, "\n  dek_pool_create: %s\n", strerror(errno));
	CU_ASSERT_PTR_NOT_NULL_FATAL(pool);

	for (int i = 0; i < 3; i++) {
		ci_128(&ci, TLS_1_2_VERSION, (uint8_t)(0x50 + i));
		deks[i] = mlx5tls_dek_pool_get(pool, CI(ci), sizeof(ci));
		CU_ASSERT_PTR_NOT_NULL_FATAL(deks[i]);
	}
	/* keys loaded into bulk members with MODIFY_GENERAL_OBJECT on the bulk's handle */
	CU_ASSERT(devx_shim_calls("mlx5dv_devx_obj_modify") >= modifies + 3);
	CU_ASSERT(model_stats("mlx5_0").dek_objects >= 1);
	CU_ASSERT(model_stats("mlx5_0").deks >= 4);

	memset(&a, 0, sizeof(a));
	CU_ASSERT_EQUAL(mlx5tls_dek_query(deks[2], &a, sizeof(a)), 0);
	CU_ASSERT(a.pooled);
	CU_ASSERT_EQUAL(a.id, mlx5tls_dek_id(deks[2]));
	CU_ASSERT_EQUAL(a.id, a.obj_id + a.obj_offset);
	CU_ASSERT(a.obj_offset < 4);
	CU_ASSERT_EQUAL(a.key_bits, 128);
	CU_ASSERT_EQUAL(a.pd, mlx5tls_pd_num(pd));

	memset(&ps, 0, sizeof(ps));
	CU_ASSERT_EQUAL(mlx5tls_dek_pool_query(pool, &ps, sizeof(ps)), 0);
	CU_ASSERT(ps.bulk);
	CU_ASSERT(ps.reuse);
	CU_ASSERT_EQUAL(ps.bulk_size, 4);
	CU_ASSERT_EQUAL(ps.in_use, 3);
	CU_ASSERT(ps.bulk_creates >= 1);
	CU_ASSERT(ps.key_loads >= 3);

	for (int i = 0; i < 3; i++)
		CU_ASSERT_EQUAL(mlx5tls_dek_destroy(deks[i]), 0);
	CU_ASSERT_EQUAL(mlx5tls_dek_pool_query(pool, &ps, sizeof(ps)), 0);
	CU_ASSERT_EQUAL(ps.in_use, 0);

	/* SYNC_CRYPTO goes through the DevX general command (0xb12 in [0xb00, 0xd00)). */
	gen = devx_shim_calls("mlx5dv_devx_general_cmd");
	syncs_before = model_stats("mlx5_0").syncs;
	CU_ASSERT_EQUAL(mlx5tls_dek_pool_sync(pool), 0);
	CU_ASSERT(devx_shim_calls("mlx5dv_devx_general_cmd") > gen);
	CU_ASSERT(model_stats("mlx5_0").syncs > syncs_before);
	CU_ASSERT_EQUAL(mlx5tls_dek_pool_query(pool, &ps, sizeof(ps)), 0);
	CU_ASSERT_EQUAL(ps.awaiting_sync, 0);
	CU_ASSERT(ps.syncs >= 1);

	/* a freed, synced DEK is re-keyed: no new bulk */
	/* a 256-bit TLS 1.3 key this time, into a member that held a 128-bit one */
	{
		struct tls12_crypto_info_aes_gcm_256 ci256;
		uint64_t bulks = ps.bulk_creates;

		ci_256(&ci256, TLS_1_3_VERSION, 0x60);
		again = mlx5tls_dek_pool_get(pool, CI(ci256), sizeof(ci256));
		CU_ASSERT_PTR_NOT_NULL_FATAL(again);
		CU_ASSERT_EQUAL(mlx5tls_dek_query(again, &a, sizeof(a)), 0);
		CU_ASSERT_EQUAL(a.key_bits, 256);
		CU_ASSERT_EQUAL(mlx5tls_dek_pool_query(pool, &ps, sizeof(ps)), 0);
		CU_ASSERT_EQUAL(ps.bulk_creates, bulks);
	}
	CU_ASSERT_EQUAL(mlx5tls_dek_destroy(again), 0);

	CU_ASSERT_EQUAL(mlx5tls_dek_pool_destroy(pool), 0);
	CU_ASSERT_EQUAL(model_stats("mlx5_0").dek_objects, 0);
	CU_ASSERT_EQUAL(model_stats("mlx5_0").deks, 0);
	CU_ASSERT_EQUAL(mlx5tls_pd_dealloc(pd), 0);
	CU_ASSERT_EQUAL(mlx5tls_device_close(d), 0);
}

/* Older firmware: no bulk DEKs, the pool falls back to single DEK objects. */
static void test_dek_pool_single(void)
{
	struct mlx5tls_device *d = open_dev("mlx5_1");
	struct mlx5tls_dek_pool_stats ps;
	struct tls12_crypto_info_aes_gcm_128 ci;
	struct mlx5tls_dek_pool *pool;
	struct mlx5tls_dek *dek;
	struct mlx5tls_pd *pd;

	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	pd = mlx5tls_pd_alloc(d);
	CU_ASSERT_PTR_NOT_NULL_FATAL(pd);
	pool = mlx5tls_dek_pool_create(pd, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(pool);
	ci_128(&ci, TLS_1_2_VERSION, 0x70);
	dek = mlx5tls_dek_pool_get(pool, CI(ci), sizeof(ci));
	CU_ASSERT_PTR_NOT_NULL_FATAL(dek);
	memset(&ps, 0, sizeof(ps));
	CU_ASSERT_EQUAL(mlx5tls_dek_pool_query(pool, &ps, sizeof(ps)), 0);
	CU_ASSERT(!ps.bulk);
	CU_ASSERT_EQUAL(ps.single_creates, 1);
	CU_ASSERT_EQUAL(model_stats("mlx5_1").deks, 1);
	CU_ASSERT_EQUAL(mlx5tls_dek_destroy(dek), 0);
	CU_ASSERT_EQUAL(mlx5tls_dek_pool_destroy(pool), 0);
	CU_ASSERT_EQUAL(model_stats("mlx5_1").deks, 0);
	CU_ASSERT_EQUAL(mlx5tls_pd_dealloc(pd), 0);
	CU_ASSERT_EQUAL(mlx5tls_device_close(d), 0);
}

/* ---- TIS ---- */

static void tis_roundtrip(bool plain)
{
	struct mlx5tls_device *d = open_dev("mlx5_0");
	unsigned long queries = devx_shim_calls("mlx5dv_devx_obj_query");
	struct mlx5tls_tis_attr a;
	struct mlx5tls_tis *tis;
	struct mlx5tls_pd *pd;
	struct mlx5tls_td *td;

	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	pd = mlx5tls_pd_alloc(d);
	td = mlx5tls_td_alloc(d);
	CU_ASSERT_PTR_NOT_NULL_FATAL(pd);
	CU_ASSERT_PTR_NOT_NULL_FATAL(td);
	{
		MLX5TLS_OPTS(mlx5tls_tis_opts, o, .plain = plain);

		tis = mlx5tls_tis_create(pd, td, &o);
	}
	CU_ASSERT_PTR_NOT_NULL_FATAL(tis);
	CU_ASSERT_EQUAL(model_stats("mlx5_0").tises, 1);
	memset(&a, 0xa5, sizeof(a));
	CU_ASSERT_EQUAL_FATAL(mlx5tls_tis_query(tis, &a, sizeof(a)), 0);
	CU_ASSERT_EQUAL(devx_shim_calls("mlx5dv_devx_obj_query"), queries + 1);
	CU_ASSERT_EQUAL(a.tisn, mlx5tls_tis_num(tis));
	CU_ASSERT_EQUAL(a.tls_en, !plain);
	CU_ASSERT(!a.pooled);
	CU_ASSERT_EQUAL(a.transport_domain, mlx5tls_td_num(td));
	if (!plain)
		CU_ASSERT_EQUAL(a.pd, mlx5tls_pd_num(pd));
	CU_ASSERT_EQUAL(mlx5tls_tis_destroy(tis), 0);
	CU_ASSERT_EQUAL(model_stats("mlx5_0").tises, 0);
	CU_ASSERT_EQUAL(mlx5tls_td_dealloc(td), 0);
	CU_ASSERT_EQUAL(mlx5tls_pd_dealloc(pd), 0);
	CU_ASSERT_EQUAL(mlx5tls_device_close(d), 0);
}

static void test_tis_tls(void)
{
	tis_roundtrip(false);
}

static void test_tis_plain(void)
{
	tis_roundtrip(true);
}

static void test_tis_pool(void)
{
	struct mlx5tls_device *d = open_dev("mlx5_0");
	struct mlx5tls_tis_pool_stats ps;
	struct mlx5tls_tis *t[3];
	struct mlx5tls_tis_pool *pool;
	struct mlx5tls_tis_attr a;
	struct mlx5tls_pd *pd;
	struct mlx5tls_td *td;

	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	pd = mlx5tls_pd_alloc(d);
	td = mlx5tls_td_alloc(d);
	CU_ASSERT_PTR_NOT_NULL_FATAL(pd);
	CU_ASSERT_PTR_NOT_NULL_FATAL(td);
	{
		MLX5TLS_OPTS(mlx5tls_tis_pool_opts, o, .prefill = 2);

		pool = mlx5tls_tis_pool_create(pd, td, &o);
	}
	CU_ASSERT_PTR_NOT_NULL_FATAL(pool);
	memset(&ps, 0, sizeof(ps));
	CU_ASSERT_EQUAL(mlx5tls_tis_pool_query(pool, &ps, sizeof(ps)), 0);
	CU_ASSERT_EQUAL(ps.free, 2);
	CU_ASSERT_EQUAL(ps.creates, 2);
	CU_ASSERT_EQUAL(model_stats("mlx5_0").tises, 2);

	for (int i = 0; i < 3; i++) {
		t[i] = mlx5tls_tis_pool_get(pool);
		CU_ASSERT_PTR_NOT_NULL_FATAL(t[i]);
	}
	CU_ASSERT_EQUAL(mlx5tls_tis_pool_query(pool, &ps, sizeof(ps)), 0);
	CU_ASSERT_EQUAL(ps.in_use, 3);
	CU_ASSERT_EQUAL(ps.free, 0);
	CU_ASSERT_EQUAL(ps.creates, 3);
	CU_ASSERT_EQUAL(model_stats("mlx5_0").tises, 3);

	memset(&a, 0, sizeof(a));
	CU_ASSERT_EQUAL(mlx5tls_tis_query(t[1], &a, sizeof(a)), 0);
	CU_ASSERT(a.pooled);
	CU_ASSERT(a.tls_en);
	CU_ASSERT_EQUAL(a.pd, mlx5tls_pd_num(pd));
	CU_ASSERT_EQUAL(a.transport_domain, mlx5tls_td_num(td));

	for (int i = 0; i < 3; i++)
		CU_ASSERT_EQUAL(mlx5tls_tis_destroy(t[i]), 0); /* back to the pool */
	CU_ASSERT_EQUAL(mlx5tls_tis_pool_query(pool, &ps, sizeof(ps)), 0);
	CU_ASSERT_EQUAL(ps.in_use, 0);
	CU_ASSERT_EQUAL(ps.free, 3);
	CU_ASSERT_EQUAL(model_stats("mlx5_0").tises, 3);

	CU_ASSERT_EQUAL(mlx5tls_tis_pool_destroy(pool), 0);
	CU_ASSERT_EQUAL(model_stats("mlx5_0").tises, 0);
	CU_ASSERT_EQUAL(mlx5tls_td_dealloc(td), 0);
	CU_ASSERT_EQUAL(mlx5tls_pd_dealloc(pd), 0);
	CU_ASSERT_EQUAL(mlx5tls_device_close(d), 0);
}

/* ---- errors ---- */

/* The model rejects the third TIS (log_max_tis = 1): -EREMOTEIO through mlx5dv_devx_obj_create's
 * EREMOTEIO, with the status and syndrome the shim saw. */
static void test_fw_rejection(void)
{
	struct mlx5tls_device *d = open_dev("mlx5_2");
	struct mlx5tls_tis *t[3];
	struct mlx5tls_fw_error e;
	struct mlx5tls_pd *pd;
	struct mlx5tls_td *td;
	uint16_t op = 0;
	uint8_t status = 0;
	uint32_t synd = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	pd = mlx5tls_pd_alloc(d);
	td = mlx5tls_td_alloc(d);
	CU_ASSERT_PTR_NOT_NULL_FATAL(pd);
	CU_ASSERT_PTR_NOT_NULL_FATAL(td);
	t[0] = mlx5tls_tis_create(pd, td, NULL);
	t[1] = mlx5tls_tis_create(pd, td, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(t[0]);
	CU_ASSERT_PTR_NOT_NULL_FATAL(t[1]);
	mlx5tls_clear_fw_error();
	devx_shim_clear_fw_status();
	errno = 0;
	t[2] = mlx5tls_tis_create(pd, td, NULL);
	CU_ASSERT_PTR_NULL(t[2]);
	CU_ASSERT_EQUAL(errno, EREMOTEIO);

	CU_ASSERT_EQUAL_FATAL(mlx5tls_last_fw_error(&e), 0);
	CU_ASSERT_EQUAL(e.opcode, OP_CREATE_TIS);
	CU_ASSERT_EQUAL(e.status, STAT_LIM_ERR);
	CU_ASSERT_PTR_NOT_NULL(e.status_name);
	if (e.status_name)
		CU_ASSERT_STRING_EQUAL(e.status_name, "limits exceeded");
	CU_ASSERT_NOT_EQUAL(e.syndrome, 0);
	/* a hardware device: the library has no text for firmware syndromes */
	CU_ASSERT_PTR_NULL(e.syndrome_text);

	CU_ASSERT_EQUAL_FATAL(devx_shim_last_fw_status(&op, &status, &synd), 0);
	CU_ASSERT_EQUAL(op, OP_CREATE_TIS);
	CU_ASSERT_EQUAL(status, e.status);
	CU_ASSERT_EQUAL(synd, e.syndrome);

	CU_ASSERT_EQUAL(model_stats("mlx5_2").tises, 2);
	CU_ASSERT_EQUAL(mlx5tls_tis_destroy(t[0]), 0);
	CU_ASSERT_EQUAL(mlx5tls_tis_destroy(t[1]), 0);
	CU_ASSERT_EQUAL(mlx5tls_td_dealloc(td), 0);
	CU_ASSERT_EQUAL(mlx5tls_pd_dealloc(pd), 0);
	CU_ASSERT_EQUAL(mlx5tls_device_close(d), 0);
}

/* A suite the device does not advertise is refused by the library from the caps, before any
 * command. */
static void test_unsupported_suite(void)
{
	struct mlx5tls_device *d = open_dev("mlx5_1");
	struct tls12_crypto_info_aes_gcm_128 ci13;
	struct tls12_crypto_info_aes_gcm_256 ci256;
	unsigned long creates;
	struct mlx5tls_pd *pd;

	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	pd = mlx5tls_pd_alloc(d);
	CU_ASSERT_PTR_NOT_NULL_FATAL(pd);
	creates = devx_shim_calls("mlx5dv_devx_obj_create");
	ci_128(&ci13, TLS_1_3_VERSION, 1);
	errno = 0;
	CU_ASSERT_PTR_NULL(mlx5tls_dek_create(pd, CI(ci13), sizeof(ci13), NULL));
	CU_ASSERT_EQUAL(errno, EOPNOTSUPP);
	ci_256(&ci256, TLS_1_2_VERSION, 2);
	errno = 0;
	CU_ASSERT_PTR_NULL(mlx5tls_dek_create(pd, CI(ci256), sizeof(ci256), NULL));
	CU_ASSERT_EQUAL(errno, EOPNOTSUPP);
	CU_ASSERT_EQUAL(devx_shim_calls("mlx5dv_devx_obj_create"), creates);
	CU_ASSERT_EQUAL(mlx5tls_pd_dealloc(pd), 0);
	CU_ASSERT_EQUAL(mlx5tls_device_close(d), 0);
}

/* A PD still used by a TIS: the library refuses before rdma-core is asked. */
static void test_pd_busy(void)
{
	struct mlx5tls_device *d = open_dev("mlx5_0");
	unsigned long deallocs;
	struct mlx5tls_tis *tis;
	struct mlx5tls_pd *pd;
	struct mlx5tls_td *td;

	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	pd = mlx5tls_pd_alloc(d);
	td = mlx5tls_td_alloc(d);
	CU_ASSERT_PTR_NOT_NULL_FATAL(pd);
	CU_ASSERT_PTR_NOT_NULL_FATAL(td);
	tis = mlx5tls_tis_create(pd, td, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(tis);
	deallocs = devx_shim_calls("ibv_dealloc_pd");
	CU_ASSERT_EQUAL(mlx5tls_pd_dealloc(pd), -EBUSY);
	CU_ASSERT_EQUAL(mlx5tls_td_dealloc(td), -EBUSY);
	CU_ASSERT_EQUAL(devx_shim_calls("ibv_dealloc_pd"), deallocs);
	CU_ASSERT_EQUAL(mlx5tls_device_close(d), -EBUSY);
	CU_ASSERT_EQUAL(mlx5tls_tis_destroy(tis), 0);
	CU_ASSERT_EQUAL(mlx5tls_td_dealloc(td), 0);
	CU_ASSERT_EQUAL(mlx5tls_pd_dealloc(pd), 0);
	CU_ASSERT_EQUAL(mlx5tls_device_close(d), 0);
}

/* Every interposed DevX entry point the library uses was reached during this run. */
static void test_calls_counted(void)
{
	static const char *const used[] = {
		"ibv_get_device_list", "ibv_free_device_list", "ibv_get_device_name",
		"ibv_query_device", "ibv_close_device", "ibv_alloc_pd", "ibv_dealloc_pd",
		"mlx5dv_is_supported", "mlx5dv_open_device", "mlx5dv_init_obj",
		"mlx5dv_devx_obj_create", "mlx5dv_devx_obj_query", "mlx5dv_devx_obj_modify",
		"mlx5dv_devx_obj_destroy", "mlx5dv_devx_general_cmd",
	};

	for (size_t i = 0; i < sizeof(used) / sizeof(used[0]); i++) {
		if (!devx_shim_calls(used[i]))
			fprintf(stderr, "\n  %s never called\n", used[i]);
		CU_ASSERT(devx_shim_calls(used[i]) > 0);
	}
	CU_ASSERT_EQUAL(devx_shim_calls("ibv_open_device"), 0); /* not interposed: not counted */
}

static const struct test_case object_cases[] = {
	{ "PD and TD", test_pd_td },
	{ "DEK TLS1.2 AES-GCM-128", test_dek_tls12_128 },
	{ "DEK TLS1.2 AES-GCM-256", test_dek_tls12_256 },
	{ "DEK TLS1.3 AES-GCM-128", test_dek_tls13_128 },
	{ "DEK TLS1.3 AES-GCM-256", test_dek_tls13_256 },
	{ "DEK pool with bulks, MODIFY, SYNC_CRYPTO", test_dek_pool_bulk },
	{ "DEK pool on single DEKs (legacy)", test_dek_pool_single },
	{ "TLS TIS", test_tis_tls },
	{ "plain TIS", test_tis_plain },
	{ "TIS pool", test_tis_pool },
	{ NULL, NULL },
};

static const struct test_case error_cases[] = {
	{ "firmware rejection is -EREMOTEIO with status/syndrome", test_fw_rejection },
	{ "suite not in caps: -EOPNOTSUPP before any command", test_unsupported_suite },
	{ "PD/TD in use: -EBUSY", test_pd_busy },
	{ NULL, NULL },
};

/* Last: it checks what the cases before it reached. */
static const struct test_case calls_cases[] = {
	{ "every interposed entry point was used", test_calls_counted },
	{ NULL, NULL },
};

static const struct test_suite suites[] = {
	{ "devx: objects", NULL, NULL, object_cases },
	{ "devx: errors", NULL, NULL, error_cases },
	{ "devx: entry points", NULL, NULL, calls_cases },
	{ NULL, NULL, NULL, NULL },
};

int main(void)
{
	return devx_objects_run(suites);
}
