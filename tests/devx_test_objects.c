/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The library's object tests through its real `devx` transport: rdma-core entry points interposed
 * onto the device model (tests/shim/). Public API only, plus the interposer's control header to
 * prove the calls really went through rdma-core's entry points and to look into the model.
 *
 * Devices (set in main): mlx5_0 = current CX-6 Dx, mlx5_1 = older firmware (TLS 1.2 AES-128 TX
 * only, single DEKs), mlx5_2 = current firmware with tiny TIS/DEK limits so the model rejects.
 */
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
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

/* ---- helpers ---- */

static struct mlx5tls_device *open_dev(const char *name)
{
	struct mlx5tls_device *d = mlx5tls_device_open(name, NULL);

	if (!d)
		fprintf(stderr, "\n  open %s: %s\n", name, strerror(errno));
	return d;
}

static struct devx_shim_dev_stats model_stats(const char *name)
{
	struct devx_shim_dev_stats st;

	memset(&st, 0, sizeof(st));
	CU_ASSERT_EQUAL(devx_shim_dev_stats(name, &st), 0);
	return st;
}

static void ci_128(struct tls12_crypto_info_aes_gcm_128 *ci, uint16_t version, uint8_t seed)
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

static void ci_256(struct tls12_crypto_info_aes_gcm_256 *ci, uint16_t version, uint8_t seed)
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

/* ---- interposition ---- */

/* The global lookup scope resolves the rdma-core entry points to the interposer: that is what
 * libmlx5tls.so binds to. */
static void test_symbols_resolve_to_shim(void)
{
	static const char *const syms[] = {
		"ibv_get_device_list", "ibv_free_device_list", "ibv_get_device_name",
		"ibv_query_device", "ibv_close_device", "ibv_alloc_pd", "ibv_dealloc_pd",
		"mlx5dv_is_supported", "mlx5dv_open_device", "mlx5dv_init_obj",
		"mlx5dv_devx_obj_create", "mlx5dv_devx_obj_query", "mlx5dv_devx_obj_modify",
		"mlx5dv_devx_obj_destroy", "mlx5dv_devx_general_cmd",
	};

	for (size_t i = 0; i < sizeof(syms) / sizeof(syms[0]); i++) {
		void *p = dlsym(RTLD_DEFAULT, syms[i]);
		Dl_info info;

		CU_ASSERT_PTR_NOT_NULL_FATAL(p);
		CU_ASSERT_NOT_EQUAL_FATAL(dladdr(p, &info), 0);
		if (!strstr(info.dli_fname, "mlx5tls_devx_shim"))
			fprintf(stderr, "\n  %s resolves to %s\n", syms[i], info.dli_fname);
		CU_ASSERT_PTR_NOT_NULL(strstr(info.dli_fname, "mlx5tls_devx_shim"));
	}
}

/* The real libibverbs and libmlx5 are in the process too (libmlx5tls.so needs them), and their
 * definitions are the ones being shadowed. */
static void test_real_libraries_shadowed(void)
{
	static const struct {
		const char *lib, *sym;
	} pairs[] = {
		{ "libibverbs.so.1", "ibv_alloc_pd" },
		{ "libmlx5.so.1", "mlx5dv_devx_general_cmd" },
	};

	for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
		void *h = dlopen(pairs[i].lib, RTLD_NOW | RTLD_NOLOAD);
		void *real;

		CU_ASSERT_PTR_NOT_NULL_FATAL(h);
		real = dlsym(h, pairs[i].sym);
		CU_ASSERT_PTR_NOT_NULL(real);
		CU_ASSERT_PTR_NOT_EQUAL(real, dlsym(RTLD_DEFAULT, pairs[i].sym));
		dlclose(h);
	}
}

/* ---- devices ---- */

static void test_device_list(void)
{
	unsigned long lists = devx_shim_calls("ibv_get_device_list");
	unsigned long supported = devx_shim_calls("mlx5dv_is_supported");
	struct mlx5tls_device_info *l;
	int n = -1, models = 0;
	bool seen_cx6dx = false;

	l = mlx5tls_get_device_list(&n);
	CU_ASSERT_PTR_NOT_NULL_FATAL(l);
	CU_ASSERT_FATAL(n >= 4);
	/* The library enumerated through rdma-core. */
	CU_ASSERT(devx_shim_calls("ibv_get_device_list") > lists);
	CU_ASSERT(devx_shim_calls("mlx5dv_is_supported") >= supported + 3);
	/* Real (DevX) devices first, in rdma-core's order. */
	for (int i = 0; i < 3; i++) {
		char want[8];

		snprintf(want, sizeof(want), "mlx5_%d", i);
		CU_ASSERT_STRING_EQUAL(l[i].name, want);
		CU_ASSERT_EQUAL(l[i].kind, MLX5TLS_DEVICE_HW);
		CU_ASSERT_STRING_EQUAL(l[i].transport, "devx");
		CU_ASSERT_STRING_EQUAL(l[i].profile, "");
		CU_ASSERT(l[i].description[0] != '\0');
	}
	/* Then the model profiles. */
	for (int i = 3; i < n; i++) {
		CU_ASSERT_EQUAL(l[i].kind, MLX5TLS_DEVICE_MODEL);
		CU_ASSERT_STRING_EQUAL(l[i].transport, "sim");
		models++;
		if (strcmp(l[i].profile, "cx6dx") == 0)
			seen_cx6dx = true;
	}
	CU_ASSERT(models >= 1);
	CU_ASSERT(seen_cx6dx);
	mlx5tls_free_device_list(l);
}

static void test_open_devx(void)
{
	unsigned long opens = devx_shim_calls("mlx5dv_open_device");
	unsigned long queries = devx_shim_calls("ibv_query_device");
	unsigned long gen = devx_shim_calls("mlx5dv_devx_general_cmd");
	struct mlx5tls_device_attr a, m;
	struct mlx5tls_device *d, *model;

	d = open_dev("mlx5_0");
	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	CU_ASSERT_EQUAL(devx_shim_calls("mlx5dv_open_device"), opens + 1);
	CU_ASSERT_EQUAL(devx_shim_calls("ibv_query_device"), queries + 1);
	/* capabilities: QUERY_HCA_CAP through the DevX general command */
	CU_ASSERT(devx_shim_calls("mlx5dv_devx_general_cmd") > gen);
	CU_ASSERT_EQUAL(devx_shim_open_contexts("mlx5_0"), 1);

	CU_ASSERT_EQUAL(mlx5tls_device_query(d, &a), 0);
	CU_ASSERT_STRING_EQUAL(a.name, "mlx5_0");
	CU_ASSERT_EQUAL(a.kind, MLX5TLS_DEVICE_HW);
	CU_ASSERT_STRING_EQUAL(a.transport, "devx");
	CU_ASSERT_STRING_EQUAL(a.profile, "");
	CU_ASSERT(a.fw_ver[0] != '\0');

	/* ibv_query_device's fw_ver is the model's: the same as the embedded model reports. */
	model = open_dev("sim:cx6dx");
	CU_ASSERT_PTR_NOT_NULL_FATAL(model);
	CU_ASSERT_EQUAL(mlx5tls_device_query(model, &m), 0);
	CU_ASSERT_EQUAL(m.kind, MLX5TLS_DEVICE_MODEL);
	CU_ASSERT_STRING_EQUAL(a.fw_ver, m.fw_ver);
	CU_ASSERT_EQUAL(mlx5tls_device_close(model), 0);

	CU_ASSERT_EQUAL(mlx5tls_device_close(d), 0);
	CU_ASSERT_EQUAL(devx_shim_open_contexts("mlx5_0"), 0);
}

static void test_open_default(void)
{
	struct mlx5tls_device_attr a;
	struct mlx5tls_device *d;

	/* NULL and no $MLX5TLS_DEVICE: the first DevX-capable mlx5 device. */
	d = mlx5tls_device_open(NULL, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	CU_ASSERT_EQUAL(mlx5tls_device_query(d, &a), 0);
	CU_ASSERT_STRING_EQUAL(a.name, "mlx5_0");
	CU_ASSERT_STRING_EQUAL(a.transport, "devx");
	CU_ASSERT_EQUAL(mlx5tls_device_close(d), 0);
}

static void test_open_errors(void)
{
	struct mlx5tls_device *d;

	errno = 0;
	d = mlx5tls_device_open("mlx5_7", NULL);
	CU_ASSERT_PTR_NULL(d);
	CU_ASSERT_EQUAL(errno, ENODEV);

	/* A kernel or firmware without DevX: the explicit DevX open fails hard. */
	devx_shim_fail_open(EOPNOTSUPP);
	errno = 0;
	d = mlx5tls_device_open("mlx5_0", NULL);
	CU_ASSERT_PTR_NULL(d);
	CU_ASSERT_EQUAL(errno, EOPNOTSUPP);
	/* Older kernels without CAP_NET_RAW. */
	devx_shim_fail_open(EPERM);
	errno = 0;
	d = mlx5tls_device_open("mlx5_0", NULL);
	CU_ASSERT_PTR_NULL(d);
	CU_ASSERT_EQUAL(errno, EPERM);
	devx_shim_fail_open(0);
	CU_ASSERT_EQUAL(devx_shim_open_contexts("mlx5_0"), 0);
}

static void test_no_devices(void)
{
	struct mlx5tls_device_info *l;
	struct mlx5tls_device *d;
	int n = -1;

	CU_ASSERT_EQUAL_FATAL(devx_shim_set_devices(""), 0);
	CU_ASSERT_EQUAL(devx_shim_device_count(), 0);
	l = mlx5tls_get_device_list(&n);
	CU_ASSERT_PTR_NOT_NULL(l);
	for (int i = 0; l && i < n; i++)
		CU_ASSERT_EQUAL(l[i].kind, MLX5TLS_DEVICE_MODEL);
	mlx5tls_free_device_list(l);
	errno = 0;
	d = mlx5tls_device_open(NULL, NULL);
	CU_ASSERT_PTR_NULL(d);
	CU_ASSERT_EQUAL(errno, ENODEV);
	CU_ASSERT_EQUAL(devx_shim_set_devices(SHIM_DEVICES), 0);
	CU_ASSERT_EQUAL(devx_shim_device_count(), 3);
}

/* ---- capabilities ---- */

static void test_caps_cx6dx(void)
{
	struct mlx5tls_device *d = open_dev("mlx5_0");
	struct mlx5tls_caps c;

	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	memset(&c, 0, sizeof(c));
	CU_ASSERT_EQUAL(mlx5tls_query_caps(d, &c, sizeof(c)), 0);
	CU_ASSERT(c.tls_tx);
	CU_ASSERT(c.tls_rx);
	CU_ASSERT(c.crypto);
	CU_ASSERT(c.dek_object);
	CU_ASSERT(c.bulk_dek);
	CU_ASSERT(c.dek_sync);
	CU_ASSERT(c.ktls_capable);
	CU_ASSERT_EQUAL(c.suites,
			MLX5TLS_SUITE_TLS12_AES_GCM_128 | MLX5TLS_SUITE_TLS13_AES_GCM_128 |
				MLX5TLS_SUITE_TLS12_AES_GCM_256 | MLX5TLS_SUITE_TLS13_AES_GCM_256);
	CU_ASSERT(c.log_max_dek > 0);
	CU_ASSERT(c.log_dek_max_alloc > 0);
	CU_ASSERT(c.log_max_tis > 0);
	CU_ASSERT_EQUAL(mlx5tls_device_close(d), 0);
}

static void test_caps_legacy(void)
{
	struct mlx5tls_device *d = open_dev("mlx5_1");
	struct mlx5tls_caps c;

	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	memset(&c, 0, sizeof(c));
	CU_ASSERT_EQUAL(mlx5tls_query_caps(d, &c, sizeof(c)), 0);
	CU_ASSERT(c.tls_tx);
	CU_ASSERT(!c.tls_rx);
	CU_ASSERT(!c.bulk_dek);
	CU_ASSERT(c.suites & MLX5TLS_SUITE_TLS12_AES_GCM_128);
	CU_ASSERT_EQUAL(c.suites &
				(MLX5TLS_SUITE_TLS13_AES_GCM_128 | MLX5TLS_SUITE_TLS13_AES_GCM_256),
			0);
	CU_ASSERT_EQUAL(mlx5tls_device_close(d), 0);
}

/* The model spec's overrides reach the library through the shim and the devx decode path. */
static void test_caps_limits(void)
{
	struct mlx5tls_device *d = open_dev("mlx5_2");
	struct mlx5tls_caps c;

	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	memset(&c, 0, sizeof(c));
	CU_ASSERT_EQUAL(mlx5tls_query_caps(d, &c, sizeof(c)), 0);
	CU_ASSERT_EQUAL(c.log_max_tis, 1);
	CU_ASSERT_EQUAL(c.log_max_dek, 1);
	CU_ASSERT_EQUAL(mlx5tls_device_close(d), 0);
}

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

/* ---- isolation ---- */

/* Two contexts on one NIC: one model instance, two uids. Objects of one context cannot be named by
 * the other, and closing one leaves the other's objects alone. */
static void test_two_contexts(void)
{
	struct mlx5tls_device *da = open_dev("mlx5_0"), *db = open_dev("mlx5_0");
	struct mlx5tls_pd *pda, *pdb;
	struct mlx5tls_td *tda, *tdb;
	struct mlx5tls_tis *ta, *tb, *cross;
	struct mlx5tls_tis_attr a;
	struct mlx5tls_fw_error e;

	CU_ASSERT_PTR_NOT_NULL_FATAL(da);
	CU_ASSERT_PTR_NOT_NULL_FATAL(db);
	CU_ASSERT_EQUAL(devx_shim_open_contexts("mlx5_0"), 2);
	pda = mlx5tls_pd_alloc(da);
	tda = mlx5tls_td_alloc(da);
	pdb = mlx5tls_pd_alloc(db);
	tdb = mlx5tls_td_alloc(db);
	CU_ASSERT_PTR_NOT_NULL_FATAL(pda);
	CU_ASSERT_PTR_NOT_NULL_FATAL(tda);
	CU_ASSERT_PTR_NOT_NULL_FATAL(pdb);
	CU_ASSERT_PTR_NOT_NULL_FATAL(tdb);
	/* one NIC: one number space */
	CU_ASSERT_NOT_EQUAL(mlx5tls_pd_num(pda), mlx5tls_pd_num(pdb));
	CU_ASSERT_NOT_EQUAL(mlx5tls_td_num(tda), mlx5tls_td_num(tdb));
	ta = mlx5tls_tis_create(pda, tda, NULL);
	tb = mlx5tls_tis_create(pdb, tdb, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ta);
	CU_ASSERT_PTR_NOT_NULL_FATAL(tb);
	CU_ASSERT_NOT_EQUAL(mlx5tls_tis_num(ta), mlx5tls_tis_num(tb));
	CU_ASSERT_EQUAL(model_stats("mlx5_0").tises, 2);

	/* A's PD with B's TD: refused, by the library or by the model (B's uid does not own it). */
	mlx5tls_clear_fw_error();
	errno = 0;
	cross = mlx5tls_tis_create(pda, tdb, NULL);
	CU_ASSERT_PTR_NULL(cross);
	CU_ASSERT(errno == EINVAL || errno == EREMOTEIO);
	if (errno == EREMOTEIO && mlx5tls_last_fw_error(&e) == 0)
		CU_ASSERT_EQUAL(e.status, 0x5); /* BAD_RES */
	CU_ASSERT_EQUAL(model_stats("mlx5_0").tises, 2);

	CU_ASSERT_EQUAL(mlx5tls_tis_destroy(ta), 0);
	CU_ASSERT_EQUAL(mlx5tls_td_dealloc(tda), 0);
	CU_ASSERT_EQUAL(mlx5tls_pd_dealloc(pda), 0);
	CU_ASSERT_EQUAL(mlx5tls_device_close(da), 0);
	CU_ASSERT_EQUAL(devx_shim_open_contexts("mlx5_0"), 1);

	memset(&a, 0, sizeof(a));
	CU_ASSERT_EQUAL(mlx5tls_tis_query(tb, &a, sizeof(a)), 0);
	CU_ASSERT_EQUAL(a.tisn, mlx5tls_tis_num(tb));
	CU_ASSERT_EQUAL(a.pd, mlx5tls_pd_num(pdb));
	CU_ASSERT_EQUAL(model_stats("mlx5_0").tises, 1);

	CU_ASSERT_EQUAL(mlx5tls_tis_destroy(tb), 0);
	CU_ASSERT_EQUAL(mlx5tls_td_dealloc(tdb), 0);
	CU_ASSERT_EQUAL(mlx5tls_pd_dealloc(pdb), 0);
	CU_ASSERT_EQUAL(mlx5tls_device_close(db), 0);
	CU_ASSERT_EQUAL(devx_shim_open_contexts("mlx5_0"), 0);
}

/* Two NICs: separate model instances. */
static void test_two_devices(void)
{
	struct mlx5tls_device *d0 = open_dev("mlx5_0"), *d1 = open_dev("mlx5_1");
	struct devx_shim_dev_stats s1;
	struct mlx5tls_tis *t0;
	struct mlx5tls_pd *pd0;
	struct mlx5tls_td *td0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(d0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(d1);
	s1 = model_stats("mlx5_1");
	pd0 = mlx5tls_pd_alloc(d0);
	td0 = mlx5tls_td_alloc(d0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(pd0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(td0);
	t0 = mlx5tls_tis_create(pd0, td0, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(t0);
	CU_ASSERT_EQUAL(model_stats("mlx5_0").tises, 1);
	CU_ASSERT_EQUAL(model_stats("mlx5_1").tises, s1.tises);
	CU_ASSERT_EQUAL(model_stats("mlx5_1").pds, s1.pds);
	CU_ASSERT_EQUAL(mlx5tls_tis_destroy(t0), 0);
	CU_ASSERT_EQUAL(mlx5tls_td_dealloc(td0), 0);
	CU_ASSERT_EQUAL(mlx5tls_pd_dealloc(pd0), 0);
	CU_ASSERT_EQUAL(mlx5tls_device_close(d0), 0);
	CU_ASSERT_EQUAL(mlx5tls_device_close(d1), 0);
}

/* ---- concurrency: several contexts on one NIC, and pools shared by threads ---- */

#define NTHREADS 4
#define NLOOPS 50

static void *context_worker(void *arg)
{
	struct mlx5tls_device *d = mlx5tls_device_open("mlx5_0", NULL);
	struct tls12_crypto_info_aes_gcm_128 ci;
	struct mlx5tls_pd *pd = NULL;
	struct mlx5tls_td *td = NULL;
	intptr_t failures = 0;

	(void)arg;
	if (!d)
		return (void *)1;
	pd = mlx5tls_pd_alloc(d);
	td = mlx5tls_td_alloc(d);
	if (!pd || !td)
		failures++;
	for (int i = 0; pd && td && i < NLOOPS; i++) {
		struct mlx5tls_tis *tis = mlx5tls_tis_create(pd, td, NULL);
		struct mlx5tls_tis_attr ta;
		struct mlx5tls_dek_attr da;
		struct mlx5tls_dek *dek;

		ci_128(&ci, TLS_1_2_VERSION, (uint8_t)i);
		dek = mlx5tls_dek_create(pd, CI(ci), sizeof(ci), NULL);
		if (!tis || !dek || mlx5tls_tis_query(tis, &ta, sizeof(ta)) ||
		    mlx5tls_dek_query(dek, &da, sizeof(da)) || ta.pd != mlx5tls_pd_num(pd) ||
		    da.pd != mlx5tls_pd_num(pd))
			failures++;
		if (tis && mlx5tls_tis_destroy(tis))
			failures++;
		if (dek && mlx5tls_dek_destroy(dek))
			failures++;
	}
	if ((td && mlx5tls_td_dealloc(td)) || (pd && mlx5tls_pd_dealloc(pd)) ||
	    mlx5tls_device_close(d))
		failures++;
	return (void *)failures;
}

static void test_threads_own_contexts(void)
{
	pthread_t th[NTHREADS];
	struct devx_shim_dev_stats st;

	for (int i = 0; i < NTHREADS; i++)
		CU_ASSERT_EQUAL_FATAL(pthread_create(&th[i], NULL, context_worker, NULL), 0);
	for (int i = 0; i < NTHREADS; i++) {
		void *ret = NULL;

		pthread_join(th[i], &ret);
		CU_ASSERT_PTR_NULL(ret);
	}
	st = model_stats("mlx5_0");
	CU_ASSERT_EQUAL(st.pds + st.tds + st.tises + st.deks + st.dek_objects, 0);
	CU_ASSERT_EQUAL(devx_shim_open_contexts("mlx5_0"), 0);
}

struct pool_ctx {
	struct mlx5tls_dek_pool *deks;
	struct mlx5tls_tis_pool *tises;
};

static void *pool_worker(void *arg)
{
	const struct pool_ctx *pc = arg;
	struct tls12_crypto_info_aes_gcm_128 ci;
	intptr_t failures = 0;

	for (int i = 0; i < NLOOPS; i++) {
		struct mlx5tls_tis *tis = mlx5tls_tis_pool_get(pc->tises);
		struct mlx5tls_dek *dek;

		ci_128(&ci, TLS_1_2_VERSION, (uint8_t)(i * 3));
		dek = mlx5tls_dek_pool_get(pc->deks, CI(ci), sizeof(ci));
		if (!tis || !dek)
			failures++;
		if (tis && mlx5tls_tis_destroy(tis))
			failures++;
		if (dek && mlx5tls_dek_destroy(dek))
			failures++;
		if (i % 10 == 9 && mlx5tls_dek_pool_sync(pc->deks))
			failures++;
	}
	return (void *)failures;
}

static void test_threads_shared_pools(void)
{
	struct mlx5tls_device *d = open_dev("mlx5_0");
	pthread_t th[NTHREADS];
	struct pool_ctx pc;
	struct mlx5tls_pd *pd;
	struct mlx5tls_td *td;

	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	pd = mlx5tls_pd_alloc(d);
	td = mlx5tls_td_alloc(d);
	CU_ASSERT_PTR_NOT_NULL_FATAL(pd);
	CU_ASSERT_PTR_NOT_NULL_FATAL(td);
	{
		MLX5TLS_OPTS(mlx5tls_dek_pool_opts, o, .log_bulk_size = 3);

		pc.deks = mlx5tls_dek_pool_create(pd, &o);
	}
	pc.tises = mlx5tls_tis_pool_create(pd, td, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(pc.deks);
	CU_ASSERT_PTR_NOT_NULL_FATAL(pc.tises);
	for (int i = 0; i < NTHREADS; i++)
		CU_ASSERT_EQUAL_FATAL(pthread_create(&th[i], NULL, pool_worker, &pc), 0);
	for (int i = 0; i < NTHREADS; i++) {
		void *ret = NULL;

		pthread_join(th[i], &ret);
		CU_ASSERT_PTR_NULL(ret);
	}
	CU_ASSERT_EQUAL(mlx5tls_dek_pool_destroy(pc.deks), 0);
	CU_ASSERT_EQUAL(mlx5tls_tis_pool_destroy(pc.tises), 0);
	CU_ASSERT_EQUAL(mlx5tls_td_dealloc(td), 0);
	CU_ASSERT_EQUAL(mlx5tls_pd_dealloc(pd), 0);
	CU_ASSERT_EQUAL(mlx5tls_device_close(d), 0);
	CU_ASSERT_EQUAL(model_stats("mlx5_0").tises, 0);
	CU_ASSERT_EQUAL(model_stats("mlx5_0").deks, 0);
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

static const struct test_case interpose_cases[] = {
	{ "symbols resolve to the interposer", test_symbols_resolve_to_shim },
	{ "the real rdma-core libraries are loaded and shadowed", test_real_libraries_shadowed },
	{ NULL, NULL },
};

static const struct test_case device_cases[] = {
	{ "device list: DevX devices first, then model profiles", test_device_list },
	{ "open mlx5_0 through devx", test_open_devx },
	{ "open NULL = first mlx5 device", test_open_default },
	{ "open errors: unknown device, no DevX, no CAP_NET_RAW", test_open_errors },
	{ "no rdma devices", test_no_devices },
	{ NULL, NULL },
};

static const struct test_case caps_cases[] = {
	{ "cx6dx caps", test_caps_cx6dx },
	{ "cx6dx-legacy caps", test_caps_legacy },
	{ "model limit overrides", test_caps_limits },
	{ NULL, NULL },
};

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

static const struct test_case isolation_cases[] = {
	{ "two contexts on one NIC", test_two_contexts },
	{ "two NICs", test_two_devices },
	{ "threads, one context each", test_threads_own_contexts },
	{ "threads sharing DEK and TIS pools", test_threads_shared_pools },
	{ "every interposed entry point was used", test_calls_counted },
	{ NULL, NULL },
};

static const struct test_suite suites[] = {
	{ "devx: interposition", NULL, NULL, interpose_cases },
	{ "devx: devices", NULL, NULL, device_cases },
	{ "devx: capabilities", NULL, NULL, caps_cases },
	{ "devx: objects", NULL, NULL, object_cases },
	{ "devx: errors", NULL, NULL, error_cases },
	{ "devx: isolation", NULL, NULL, isolation_cases },
	{ NULL, NULL, NULL, NULL },
};

int main(void)
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
