/* SPDX-License-Identifier: BSD-3-Clause */
/* The public object API against the model: lifecycles, capability gating per profile, bad inputs,
 * firmware errors, the command trace. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "mlx5tls/mlx5tls.h"
#include "test_util.h"

static const uint32_t all_suites = MLX5TLS_SUITE_TLS12_AES_GCM_128 |
				   MLX5TLS_SUITE_TLS13_AES_GCM_128 |
				   MLX5TLS_SUITE_TLS12_AES_GCM_256 | MLX5TLS_SUITE_TLS13_AES_GCM_256;

static void test_device_list(void)
{
	int n = -1, models = 0;
	struct mlx5tls_device_info *list = mlx5tls_get_device_list(&n);

	CU_ASSERT_PTR_NOT_NULL_FATAL(list);
	for (int i = 0; i < n; i++) {
		if (list[i].kind != MLX5TLS_DEVICE_MODEL)
			continue;
		models++;
		CU_ASSERT_STRING_EQUAL(list[i].transport, "sim");
		CU_ASSERT_EQUAL(strncmp(list[i].name, "sim:", 4), 0);
		CU_ASSERT_STRING_EQUAL(list[i].name + 4, list[i].profile);
	}
	CU_ASSERT_EQUAL(models, 3);
	mlx5tls_free_device_list(list);
}

static void test_open_errors(void)
{
	errno = 0;
	CU_ASSERT_PTR_NULL(mlx5tls_device_open("sim:no-such-profile", NULL));
	CU_ASSERT_EQUAL(errno, EINVAL);
	CU_ASSERT_PTR_NULL(mlx5tls_device_open("sim:cx6dx,log_max_dek=99", NULL));
	CU_ASSERT_EQUAL(errno, EINVAL);
	CU_ASSERT_PTR_NULL(mlx5tls_device_open("mlx5_does_not_exist", NULL));
	CU_ASSERT_TRUE(errno == ENODEV || errno == ENOENT || errno == ENOSYS);
	CU_ASSERT_EQUAL(mlx5tls_device_close(NULL), -EINVAL);
}

/* MLX5TLS_DEVICE names the default device; the model is only used when named. */
static void test_default_device_env(void)
{
	struct mlx5tls_device_attr attr;
	struct mlx5tls_device *dev;

	setenv("MLX5TLS_DEVICE", "sim:cx6dx-legacy", 1);
	dev = mlx5tls_device_open(NULL, NULL);
	unsetenv("MLX5TLS_DEVICE");
	CU_ASSERT_PTR_NOT_NULL_FATAL(dev);
	CU_ASSERT_EQUAL(mlx5tls_device_query(dev, &attr), 0);
	CU_ASSERT_EQUAL(attr.kind, MLX5TLS_DEVICE_MODEL);
	CU_ASSERT_STRING_EQUAL(attr.transport, "sim");
	CU_ASSERT_STRING_EQUAL(attr.profile, "cx6dx-legacy");
	CU_ASSERT_TRUE(strlen(attr.fw_ver) > 0);
	CU_ASSERT_EQUAL(mlx5tls_device_close(dev), 0);
}

static void check_caps(const char *name, bool tx, bool rx, uint32_t suites, bool bulk, bool sync,
		       bool ktls)
{
	struct mlx5tls_device *dev = mlx5tls_device_open(name, NULL);
	struct mlx5tls_caps caps;

	CU_ASSERT_PTR_NOT_NULL_FATAL(dev);
	memset(&caps, 0xa5, sizeof(caps));
	CU_ASSERT_EQUAL(mlx5tls_query_caps(dev, &caps, sizeof(caps)), 0);
	CU_ASSERT_EQUAL(caps.tls_tx, tx);
	CU_ASSERT_EQUAL(caps.tls_rx, rx);
	CU_ASSERT_EQUAL(caps.suites, suites);
	CU_ASSERT_EQUAL(caps.bulk_dek, bulk);
	CU_ASSERT_EQUAL(caps.dek_sync, sync);
	CU_ASSERT_EQUAL(caps.ktls_capable, ktls);
	CU_ASSERT_EQUAL(mlx5tls_device_close(dev), 0);
}

static void test_caps_per_profile(void)
{
	struct mlx5tls_device *dev;
	struct mlx5tls_caps caps;

	check_caps("sim:cx6dx", true, true, all_suites, true, true, true);
	check_caps("sim", true, true, all_suites, true, true, true);
	check_caps("sim:cx6dx-legacy", true, false, MLX5TLS_SUITE_TLS12_AES_GCM_128, false, false,
		   true);
	check_caps("sim:cx6dx-nocrypto", false, false, 0, false, false, false);

	dev = mlx5tls_device_open("sim:cx6dx", NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(dev);
	CU_ASSERT_EQUAL(mlx5tls_query_caps(dev, &caps, sizeof(caps)), 0);
	CU_ASSERT_TRUE(caps.dek_object);
	CU_ASSERT_TRUE(caps.crypto);
	CU_ASSERT_EQUAL(caps.log_dek_max_alloc, 12);
	CU_ASSERT_TRUE(caps.log_max_dek >= 20);
	CU_ASSERT_TRUE(caps.log_max_tis >= 20);
	/* a smaller (older) caller struct is filled only up to its size */
	{
		uint8_t small[4];

		memset(small, 0xee, sizeof(small));
		CU_ASSERT_EQUAL(mlx5tls_query_caps(dev, (struct mlx5tls_caps *)(void *)small, 2), 0);
		CU_ASSERT_EQUAL(small[2], 0xee);
		CU_ASSERT_EQUAL(small[3], 0xee);
	}
	CU_ASSERT_EQUAL(mlx5tls_device_close(dev), 0);
	CU_ASSERT_EQUAL(mlx5tls_suite_of(TLS_1_3_VERSION, TLS_CIPHER_AES_GCM_256),
			MLX5TLS_SUITE_TLS13_AES_GCM_256);
	CU_ASSERT_EQUAL(mlx5tls_suite_of(0x0302, TLS_CIPHER_AES_GCM_128), 0);
}

/* Every suite: a single DEK, queried back; key size comes from the cipher. */
static void test_single_dek_suites(void)
{
	struct mlx5tls_device *dev = mlx5tls_device_open("sim:cx6dx", NULL);
	struct mlx5tls_pd *pd = mlx5tls_pd_alloc(dev);
	const uint16_t versions[2] = { TLS_1_2_VERSION, TLS_1_3_VERSION };

	CU_ASSERT_PTR_NOT_NULL_FATAL(pd);
	for (int v = 0; v < 2; v++) {
		struct tls12_crypto_info_aes_gcm_128 c128;
		struct tls12_crypto_info_aes_gcm_256 c256;
		MLX5TLS_OPTS(mlx5tls_dek_opts, o, .opaque = 0xfeedf00dull + (uint64_t)v);
		struct mlx5tls_dek *a, *b;
		struct mlx5tls_dek_attr attr;

		test_ci128(&c128, versions[v], 0x10);
		test_ci256(&c256, versions[v], 0x20);
		a = mlx5tls_dek_create(pd, &c128.info, sizeof(c128), &o);
		b = mlx5tls_dek_create(pd, &c256.info, sizeof(c256), NULL);
		CU_ASSERT_PTR_NOT_NULL_FATAL(a);
		CU_ASSERT_PTR_NOT_NULL_FATAL(b);
		CU_ASSERT_NOT_EQUAL(mlx5tls_dek_id(a), 0);
		CU_ASSERT_NOT_EQUAL(mlx5tls_dek_id(a), mlx5tls_dek_id(b));
		CU_ASSERT_EQUAL(mlx5tls_dek_query(a, &attr, sizeof(attr)), 0);
		CU_ASSERT_EQUAL(attr.key_bits, 128);
		CU_ASSERT_EQUAL(attr.opaque, 0xfeedf00dull + (uint64_t)v);
		CU_ASSERT_EQUAL(attr.pd, mlx5tls_pd_num(pd));
		CU_ASSERT_FALSE(attr.pooled);
		CU_ASSERT_EQUAL(attr.state, 0);
		CU_ASSERT_EQUAL(mlx5tls_dek_query(b, &attr, sizeof(attr)), 0);
		CU_ASSERT_EQUAL(attr.key_bits, 256);
		CU_ASSERT_EQUAL(attr.obj_id, mlx5tls_dek_id(b));
		CU_ASSERT_EQUAL(mlx5tls_pd_dealloc(pd), -EBUSY);
		CU_ASSERT_EQUAL(mlx5tls_dek_destroy(a), 0);
		CU_ASSERT_EQUAL(mlx5tls_dek_destroy(b), 0);
	}
	CU_ASSERT_EQUAL(mlx5tls_device_close(dev), -EBUSY); /* the PD is still there */
	CU_ASSERT_EQUAL(mlx5tls_pd_dealloc(pd), 0);
	CU_ASSERT_EQUAL(mlx5tls_device_close(dev), 0);
}

/* Capability gating: what a profile lacks is refused by the library with EOPNOTSUPP before any
 * firmware command, and nothing is created. */
static void test_gating(void)
{
	struct mlx5tls_device *dev = mlx5tls_device_open("sim:cx6dx-legacy", NULL);
	struct mlx5tls_pd *pd = mlx5tls_pd_alloc(dev);
	struct mlx5tls_td *td = mlx5tls_td_alloc(dev);
	struct tls12_crypto_info_aes_gcm_128 c128;
	struct tls12_crypto_info_aes_gcm_256 c256;
	struct mlx5tls_dek *dek;
	struct mlx5tls_tis *tis;
	MLX5TLS_OPTS(mlx5tls_tis_opts, plain, .plain = true);

	CU_ASSERT_PTR_NOT_NULL_FATAL(td);
	test_ci256(&c256, TLS_1_2_VERSION, 1);
	errno = 0;
	CU_ASSERT_PTR_NULL(mlx5tls_dek_create(pd, &c256.info, sizeof(c256), NULL));
	CU_ASSERT_EQUAL(errno, EOPNOTSUPP);
	test_ci128(&c128, TLS_1_3_VERSION, 1);
	CU_ASSERT_PTR_NULL(mlx5tls_dek_create(pd, &c128.info, sizeof(c128), NULL));
	CU_ASSERT_EQUAL(errno, EOPNOTSUPP);
	test_ci128(&c128, TLS_1_2_VERSION, 1);
	dek = mlx5tls_dek_create(pd, &c128.info, sizeof(c128), NULL);
	CU_ASSERT_PTR_NOT_NULL(dek);
	CU_ASSERT_EQUAL(mlx5tls_dek_destroy(dek), 0);
	tis = mlx5tls_tis_create(pd, td, NULL);
	CU_ASSERT_PTR_NOT_NULL(tis);
	CU_ASSERT_EQUAL(mlx5tls_tis_destroy(tis), 0);
	CU_ASSERT_EQUAL(mlx5tls_td_dealloc(td), 0);
	CU_ASSERT_EQUAL(mlx5tls_pd_dealloc(pd), 0);
	CU_ASSERT_EQUAL(mlx5tls_device_close(dev), 0);

	dev = mlx5tls_device_open("sim:cx6dx-nocrypto", NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(dev);
	pd = mlx5tls_pd_alloc(dev);
	td = mlx5tls_td_alloc(dev);
	CU_ASSERT_PTR_NOT_NULL_FATAL(pd);
	CU_ASSERT_PTR_NOT_NULL_FATAL(td);
	CU_ASSERT_PTR_NULL(mlx5tls_dek_create(pd, &c128.info, sizeof(c128), NULL));
	CU_ASSERT_EQUAL(errno, EOPNOTSUPP);
	CU_ASSERT_PTR_NULL(mlx5tls_dek_pool_create(pd, NULL));
	CU_ASSERT_EQUAL(errno, EOPNOTSUPP);
	CU_ASSERT_PTR_NULL(mlx5tls_tis_create(pd, td, NULL));
	CU_ASSERT_EQUAL(errno, EOPNOTSUPP);
	CU_ASSERT_PTR_NULL(mlx5tls_tis_pool_create(pd, td, NULL));
	CU_ASSERT_EQUAL(errno, EOPNOTSUPP);
	tis = mlx5tls_tis_create(pd, td, &plain); /* an ordinary TIS is fine */
	CU_ASSERT_PTR_NOT_NULL_FATAL(tis);
	{
		struct mlx5tls_tis_attr attr;

		CU_ASSERT_EQUAL(mlx5tls_tis_query(tis, &attr, sizeof(attr)), 0);
		CU_ASSERT_FALSE(attr.tls_en);
	}
	CU_ASSERT_EQUAL(mlx5tls_tis_destroy(tis), 0);
	CU_ASSERT_EQUAL(mlx5tls_td_dealloc(td), 0);
	CU_ASSERT_EQUAL(mlx5tls_pd_dealloc(pd), 0);
	CU_ASSERT_EQUAL(mlx5tls_device_close(dev), 0);
}

static void test_tis_and_pool(void)
{
	struct mlx5tls_device *dev = mlx5tls_device_open("sim:cx6dx", NULL);
	struct mlx5tls_pd *pd = mlx5tls_pd_alloc(dev);
	struct mlx5tls_td *td = mlx5tls_td_alloc(dev);
	MLX5TLS_OPTS(mlx5tls_tis_opts, o, .prio = 3);
	MLX5TLS_OPTS(mlx5tls_tis_pool_opts, po, .prefill = 2, .high_mark = 2);
	struct mlx5tls_tis *tis, *t[3];
	struct mlx5tls_tis_attr attr;
	struct mlx5tls_tis_pool *pool;
	struct mlx5tls_tis_pool_stats st;

	CU_ASSERT_PTR_NOT_NULL_FATAL(td);
	tis = mlx5tls_tis_create(pd, td, &o);
	CU_ASSERT_PTR_NOT_NULL_FATAL(tis);
	CU_ASSERT_EQUAL(mlx5tls_tis_query(tis, &attr, sizeof(attr)), 0);
	CU_ASSERT_EQUAL(attr.tisn, mlx5tls_tis_num(tis));
	CU_ASSERT_TRUE(attr.tls_en);
	CU_ASSERT_EQUAL(attr.prio, 3);
	CU_ASSERT_EQUAL(attr.pd, mlx5tls_pd_num(pd));
	CU_ASSERT_EQUAL(attr.transport_domain, mlx5tls_td_num(td));
	CU_ASSERT_FALSE(attr.pooled);
	CU_ASSERT_EQUAL(mlx5tls_td_dealloc(td), -EBUSY);
	CU_ASSERT_EQUAL(mlx5tls_tis_destroy(tis), 0);

	pool = mlx5tls_tis_pool_create(pd, td, &po);
	CU_ASSERT_PTR_NOT_NULL_FATAL(pool);
	for (int i = 0; i < 3; i++)
		CU_ASSERT_PTR_NOT_NULL_FATAL(t[i] = mlx5tls_tis_pool_get(pool));
	CU_ASSERT_EQUAL(mlx5tls_tis_query(t[2], &attr, sizeof(attr)), 0);
	CU_ASSERT_TRUE(attr.pooled);
	CU_ASSERT_TRUE(attr.tls_en);
	CU_ASSERT_EQUAL(mlx5tls_tis_pool_query(pool, &st, sizeof(st)), 0);
	CU_ASSERT_EQUAL(st.creates, 3); /* 2 prefilled + 1 inline */
	CU_ASSERT_EQUAL(st.in_use, 3);
	CU_ASSERT_EQUAL(st.free, 0);
	for (int i = 0; i < 3; i++)
		CU_ASSERT_EQUAL(mlx5tls_tis_destroy(t[i]), 0);
	CU_ASSERT_EQUAL(mlx5tls_tis_pool_query(pool, &st, sizeof(st)), 0);
	CU_ASSERT_EQUAL(st.free, 2);    /* high mark */
	CU_ASSERT_EQUAL(st.destroys, 1);
	/* recycled: the same TIS numbers come back with no new CREATE_TIS */
	tis = mlx5tls_tis_pool_get(pool);
	CU_ASSERT_PTR_NOT_NULL_FATAL(tis);
	CU_ASSERT_EQUAL(mlx5tls_tis_pool_query(pool, &st, sizeof(st)), 0);
	CU_ASSERT_EQUAL(st.creates, 3);
	CU_ASSERT_EQUAL(mlx5tls_tis_pool_destroy(pool), -EBUSY);
	CU_ASSERT_EQUAL(mlx5tls_tis_destroy(tis), 0);
	CU_ASSERT_EQUAL(mlx5tls_tis_pool_destroy(pool), 0);
	CU_ASSERT_EQUAL(mlx5tls_td_dealloc(td), 0);
	CU_ASSERT_EQUAL(mlx5tls_pd_dealloc(pd), 0);
	CU_ASSERT_EQUAL(mlx5tls_device_close(dev), 0);
}

/* A firmware rejection: -EREMOTEIO, and the per-thread error names command, status, syndrome. */
static void test_fw_error(void)
{
	struct mlx5tls_device *dev = mlx5tls_device_open("sim:cx6dx,log_max_tis=1", NULL);
	struct mlx5tls_pd *pd = mlx5tls_pd_alloc(dev);
	struct mlx5tls_td *td = mlx5tls_td_alloc(dev);
	struct mlx5tls_tis *t[2];
	struct mlx5tls_fw_error err;

	CU_ASSERT_PTR_NOT_NULL_FATAL(td);
	mlx5tls_clear_fw_error();
	CU_ASSERT_EQUAL(mlx5tls_last_fw_error(&err), -ENOENT);
	t[0] = mlx5tls_tis_create(pd, td, NULL);
	t[1] = mlx5tls_tis_create(pd, td, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(t[0]);
	CU_ASSERT_PTR_NOT_NULL_FATAL(t[1]);
	errno = 0;
	CU_ASSERT_PTR_NULL(mlx5tls_tis_create(pd, td, NULL)); /* 2^1 TISes is the limit */
	CU_ASSERT_EQUAL(errno, EREMOTEIO);
	CU_ASSERT_EQUAL_FATAL(mlx5tls_last_fw_error(&err), 0);
	CU_ASSERT_EQUAL(err.opcode, 0x912);
	CU_ASSERT_STRING_EQUAL(err.opcode_name, "CREATE_TIS");
	CU_ASSERT_EQUAL(err.status, 0x8);
	CU_ASSERT_STRING_EQUAL(err.status_name, "limits exceeded");
	CU_ASSERT_NOT_EQUAL(err.syndrome, 0);
	CU_ASSERT_PTR_NOT_NULL(err.syndrome_text);
	CU_ASSERT_STRING_EQUAL(mlx5tls_fw_status_str(0x9), "bad resource state");
	CU_ASSERT_STRING_EQUAL(mlx5tls_cmd_opcode_str(0xb12), "SYNC_CRYPTO");
	/* the TLS RX object's commands, 0x900..0x903 */
	CU_ASSERT_STRING_EQUAL(mlx5tls_cmd_opcode_str(0x900), "CREATE_TIR");
	CU_ASSERT_STRING_EQUAL(mlx5tls_cmd_opcode_str(0x901), "MODIFY_TIR");
	CU_ASSERT_STRING_EQUAL(mlx5tls_cmd_opcode_str(0x902), "DESTROY_TIR");
	CU_ASSERT_STRING_EQUAL(mlx5tls_cmd_opcode_str(0x903), "QUERY_TIR");
	CU_ASSERT_STRING_EQUAL(mlx5tls_cmd_opcode_str(0x904), "UNKNOWN");
	CU_ASSERT_EQUAL(mlx5tls_tis_destroy(t[0]), 0);
	CU_ASSERT_EQUAL(mlx5tls_tis_destroy(t[1]), 0);
	CU_ASSERT_EQUAL(mlx5tls_td_dealloc(td), 0);
	CU_ASSERT_EQUAL(mlx5tls_pd_dealloc(pd), 0);
	CU_ASSERT_EQUAL(mlx5tls_device_close(dev), 0);
}

static void test_null_and_bad_args(void)
{
	struct mlx5tls_device *dev = mlx5tls_device_open("sim", NULL);
	struct mlx5tls_pd *pd = mlx5tls_pd_alloc(dev);
	struct tls12_crypto_info_aes_gcm_256 c256;
	MLX5TLS_OPTS(mlx5tls_tis_opts, bad_prio, .prio = 16);
	struct mlx5tls_td *td = mlx5tls_td_alloc(dev);

	CU_ASSERT_PTR_NOT_NULL_FATAL(td);
	CU_ASSERT_PTR_NULL(mlx5tls_pd_alloc(NULL));
	CU_ASSERT_EQUAL(errno, EINVAL);
	CU_ASSERT_EQUAL(mlx5tls_pd_dealloc(NULL), -EINVAL);
	CU_ASSERT_PTR_NULL(mlx5tls_dek_create(NULL, NULL, 0, NULL));
	CU_ASSERT_EQUAL(errno, EINVAL);
	test_ci256(&c256, TLS_1_2_VERSION, 0);
	/* a 256-bit cipher type with the 128-bit struct's length: wrong key length */
	CU_ASSERT_PTR_NULL(mlx5tls_dek_create(pd, &c256.info,
					      sizeof(struct tls12_crypto_info_aes_gcm_128), NULL));
	CU_ASSERT_EQUAL(errno, EINVAL);
	CU_ASSERT_PTR_NULL(mlx5tls_dek_create(pd, &c256.info, 2, NULL));
	CU_ASSERT_EQUAL(errno, EINVAL);
	CU_ASSERT_PTR_NULL(mlx5tls_tis_create(pd, td, &bad_prio));
	CU_ASSERT_EQUAL(errno, EINVAL);
	CU_ASSERT_PTR_NULL(mlx5tls_tis_create(pd, NULL, NULL));
	CU_ASSERT_EQUAL(errno, EINVAL);
	CU_ASSERT_EQUAL(mlx5tls_dek_destroy(NULL), -EINVAL);
	CU_ASSERT_EQUAL(mlx5tls_tis_destroy(NULL), -EINVAL);
	CU_ASSERT_EQUAL(mlx5tls_dek_id(NULL), 0);
	CU_ASSERT_EQUAL(mlx5tls_query_caps(dev, NULL, 0), -EINVAL);
	CU_ASSERT_EQUAL(mlx5tls_device_counters(NULL, NULL, 0), -EINVAL);
	CU_ASSERT_EQUAL(mlx5tls_td_dealloc(td), 0);
	CU_ASSERT_EQUAL(mlx5tls_pd_dealloc(pd), 0);
	CU_ASSERT_EQUAL(mlx5tls_device_close(dev), 0);
}

/* Objects of one device are not visible to another (each open is its own uid / device). */
static void test_pd_numbers_distinct(void)
{
	struct mlx5tls_device *a = mlx5tls_device_open("sim", NULL);
	struct mlx5tls_device *b = mlx5tls_device_open("sim", NULL);
	struct mlx5tls_pd *pa = mlx5tls_pd_alloc(a), *pa2 = mlx5tls_pd_alloc(a);
	struct mlx5tls_pd *pb = mlx5tls_pd_alloc(b);

	CU_ASSERT_PTR_NOT_NULL_FATAL(pa);
	CU_ASSERT_PTR_NOT_NULL_FATAL(pa2);
	CU_ASSERT_PTR_NOT_NULL_FATAL(pb);
	CU_ASSERT_NOT_EQUAL(mlx5tls_pd_num(pa), mlx5tls_pd_num(pa2));
	CU_ASSERT_EQUAL(mlx5tls_pd_dealloc(pa), 0);
	CU_ASSERT_EQUAL(mlx5tls_pd_dealloc(pa2), 0);
	CU_ASSERT_EQUAL(mlx5tls_pd_dealloc(pb), 0);
	CU_ASSERT_EQUAL(mlx5tls_device_close(a), 0);
	CU_ASSERT_EQUAL(mlx5tls_device_close(b), 0);
}

/* Counters come from one named table. */
static void test_counters(void)
{
	struct mlx5tls_device *dev = mlx5tls_device_open("sim", NULL);
	uint64_t vals[64];
	int n;
	bool seen_cmds = false, seen_pool = false;

	CU_ASSERT_PTR_NOT_NULL_FATAL(dev);
	n = mlx5tls_device_counters(dev, vals, 64);
	CU_ASSERT_EQUAL(n, (int)mlx5tls_counter_count());
	for (int i = 0; i < n; i++) {
		const char *name = mlx5tls_counter_name((unsigned int)i);

		CU_ASSERT_PTR_NOT_NULL(mlx5tls_counter_desc((unsigned int)i));
		if (!strcmp(name, "fw_cmds")) {
			seen_cmds = true;
			CU_ASSERT_TRUE(vals[i] >= 3); /* the three capability queries at open */
		}
		if (!strcmp(name, "tx_tls_pool_alloc"))
			seen_pool = true;
	}
	CU_ASSERT_TRUE(seen_cmds);
	CU_ASSERT_TRUE(seen_pool);
	CU_ASSERT_PTR_NULL(mlx5tls_counter_name(mlx5tls_counter_count()));
	CU_ASSERT_EQUAL(mlx5tls_device_close(dev), 0);
}

/* ---- trace ---- */

static int json_lines_valid(const char *path)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd),
		 "python3 -c 'import json,sys\nfor l in open(sys.argv[1]): json.loads(l)' %s", path);
	return system(cmd);
}

/* Every command is traced as one JSON line; key bytes are "**" at their offsets, and the key
 * never appears in the file. */
static void test_trace(void)
{
	char path[] = "/tmp/mlx5tls-trace-XXXXXX";
	int fd = mkstemp(path);
	MLX5TLS_OPTS(mlx5tls_device_opts, o, .trace_path = path);
	struct tls12_crypto_info_aes_gcm_128 c128;
	struct tls12_crypto_info_aes_gcm_256 c256;
	struct mlx5tls_device *dev;
	struct mlx5tls_dek_pool *pool;
	struct mlx5tls_dek *a, *b, *c;
	struct mlx5tls_pd *pd;
	char *text, *line;
	int creates = 0, modifies = 0;

	CU_ASSERT_TRUE_FATAL(fd >= 0);
	close(fd);
	dev = mlx5tls_device_open("sim:cx6dx", &o);
	CU_ASSERT_PTR_NOT_NULL_FATAL(dev);
	pd = mlx5tls_pd_alloc(dev);
	test_ci128(&c128, TLS_1_2_VERSION, 0xa0); /* key a0 a1 ... af */
	test_ci256(&c256, TLS_1_3_VERSION, 0xc0); /* key c0 ... df */
	a = mlx5tls_dek_create(pd, &c128.info, sizeof(c128), NULL);
	b = mlx5tls_dek_create(pd, &c256.info, sizeof(c256), NULL);
	pool = mlx5tls_dek_pool_create(pd, NULL);
	c = mlx5tls_dek_pool_get(pool, &c128.info, sizeof(c128));
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_EQUAL(mlx5tls_dek_destroy(a), 0);
	CU_ASSERT_EQUAL(mlx5tls_dek_destroy(b), 0);
	CU_ASSERT_EQUAL(mlx5tls_dek_destroy(c), 0);
	CU_ASSERT_EQUAL(mlx5tls_dek_pool_destroy(pool), 0);
	CU_ASSERT_EQUAL(mlx5tls_pd_dealloc(pd), 0);
	CU_ASSERT_EQUAL(mlx5tls_device_close(dev), 0);

	text = test_read_file(path);
	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	CU_ASSERT_EQUAL(json_lines_valid(path), 0);
	CU_ASSERT_PTR_NULL(strstr(text, "a0a1a2a3"));
	CU_ASSERT_PTR_NULL(strstr(text, "c0c1c2c3"));
	CU_ASSERT_PTR_NULL(strstr(text, "a8a9aaab"));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "{\"dev\":\"sim:cx6dx\",\"opcode\":\"0x0100\","
					   "\"name\":\"QUERY_HCA_CAP\",\"op_mod\":\"0x0001\","));
	for (line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
		const char *in = strstr(line, "\"in\":\"");
		bool create = strstr(line, "\"name\":\"CREATE_GENERAL_OBJECT\"") != NULL;
		bool modify = strstr(line, "\"name\":\"MODIFY_GENERAL_OBJECT\"") != NULL;

		CU_ASSERT_PTR_NOT_NULL_FATAL(in);
		in += 6;
		CU_ASSERT_PTR_NOT_NULL(strstr(line, "\"status\":0,\"syndrome\":\"0x00000000\"}"));
		if (!create && !modify) {
			CU_ASSERT_PTR_NULL(strchr(line, '*'));
			continue;
		}
		CU_ASSERT_PTR_NOT_NULL(strstr(line, "\"op_mod\":\"0x0000\",\"obj_type\":\"0x000c\""));
		/* byte 12 holds log_obj_range: a bulk create carries no key */
		if (create && strncmp(in + 24, "00", 2) != 0) {
			CU_ASSERT_PTR_NULL(strchr(line, '*'));
			continue;
		}
		creates += create;
		modifies += modify;
		/* key_size (byte 26, low nibble) tells where the key is: 128 at 96, 256 at 80 */
		if (in[53] == '1') {
			for (int i = 80 * 2; i < 112 * 2; i++)
				CU_ASSERT_EQUAL_FATAL(in[i], '*');
			CU_ASSERT_NOT_EQUAL(in[78 * 2], '*');
		} else {
			for (int i = 96 * 2; i < 112 * 2; i++)
				CU_ASSERT_EQUAL_FATAL(in[i], '*');
			CU_ASSERT_EQUAL(strncmp(in + 80 * 2, "00000000000000000000000000000000", 32),
					0);
		}
		CU_ASSERT_NOT_EQUAL(in[112 * 2], '*');
	}
	CU_ASSERT_EQUAL(creates, 2);
	CU_ASSERT_EQUAL(modifies, 1);
	free(text);
	unlink(path);
}

/* ---- threads ---- */

struct worker {
	struct mlx5tls_dek_pool *dpool;
	struct mlx5tls_tis_pool *tpool;
	int failures;
};

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct tls12_crypto_info_aes_gcm_128 ci;

	test_ci128(&ci, TLS_1_2_VERSION, 3);
	for (int i = 0; i < 3000; i++) {
		struct mlx5tls_dek *d = mlx5tls_dek_pool_get(w->dpool, &ci.info, sizeof(ci));
		struct mlx5tls_tis *t = mlx5tls_tis_pool_get(w->tpool);

		if (!d || !t || mlx5tls_dek_destroy(d) || mlx5tls_tis_destroy(t))
			w->failures++;
	}
	return NULL;
}

static void test_threads(void)
{
	struct mlx5tls_device *dev = mlx5tls_device_open("sim", NULL);
	struct mlx5tls_pd *pd = mlx5tls_pd_alloc(dev);
	struct mlx5tls_td *td = mlx5tls_td_alloc(dev);
	MLX5TLS_OPTS(mlx5tls_dek_pool_opts, o, .log_bulk_size = 6, .sync_threshold = 16);
	struct worker w[4];
	pthread_t th[4];
	struct mlx5tls_dek_pool_stats st;

	CU_ASSERT_PTR_NOT_NULL_FATAL(td);
	w[0].dpool = mlx5tls_dek_pool_create(pd, &o);
	w[0].tpool = mlx5tls_tis_pool_create(pd, td, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(w[0].dpool);
	CU_ASSERT_PTR_NOT_NULL_FATAL(w[0].tpool);
	for (int i = 0; i < 4; i++) {
		w[i] = w[0];
		w[i].failures = 0;
		CU_ASSERT_EQUAL_FATAL(pthread_create(&th[i], NULL, worker_main, &w[i]), 0);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		CU_ASSERT_EQUAL(w[i].failures, 0);
	}
	CU_ASSERT_EQUAL(mlx5tls_dek_pool_query(w[0].dpool, &st, sizeof(st)), 0);
	CU_ASSERT_EQUAL(st.in_use, 0);
	CU_ASSERT_EQUAL(st.key_loads, 12000);
	CU_ASSERT_TRUE(st.syncs > 0);
	CU_ASSERT_EQUAL(mlx5tls_dek_pool_destroy(w[0].dpool), 0);
	CU_ASSERT_EQUAL(mlx5tls_tis_pool_destroy(w[0].tpool), 0);
	CU_ASSERT_EQUAL(mlx5tls_td_dealloc(td), 0);
	CU_ASSERT_EQUAL(mlx5tls_pd_dealloc(pd), 0);
	CU_ASSERT_EQUAL(mlx5tls_device_close(dev), 0);
}

static const struct test_case device_cases[] = {
	{ "device list has the model profiles", test_device_list },
	{ "open errors", test_open_errors },
	{ "MLX5TLS_DEVICE default", test_default_device_env },
	{ "capabilities per profile", test_caps_per_profile },
	{ "counters table", test_counters },
	{ NULL, NULL },
};

static const struct test_case object_cases[] = {
	{ "single DEK for every suite", test_single_dek_suites },
	{ "capability gating", test_gating },
	{ "TIS and TIS pool", test_tis_and_pool },
	{ "firmware error detail", test_fw_error },
	{ "NULL and bad arguments", test_null_and_bad_args },
	{ "two devices", test_pd_numbers_distinct },
	{ "command trace masks keys", test_trace },
	{ "pools from four threads", test_threads },
	{ NULL, NULL },
};

static const struct test_suite suites[] = {
	{ "device", NULL, NULL, device_cases },
	{ "objects", NULL, NULL, object_cases },
	{ NULL, NULL, NULL, NULL },
};

int main(void)
{
	mlx5tls_set_print(NULL);
	return test_run_suites(suites);
}
