/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Device model: profiles, spec strings and QUERY_HCA_CAP. Expected capability pages are written
 * as literal output byte offsets from the fact sheet (tls-offload-prm.md 5.2-5.4, "Out byte"
 * column), not recomputed with the ifc layouts the model uses.
 */
#include <errno.h>
#include <string.h>

#include "prm/mlx5_ifc_tls.h"
#include "sim/sim.h"
#include "sim/syndromes.h"
#include "sim_test_util.h"
#include "test_util.h"

#define CAP_OUT_LEN 4112 /* 16-byte header + 4096-byte capability union (fact sheet 5.1) */

static int query_cap(struct sim_dev *dev, uint16_t uid, uint16_t op_mod, uint8_t *out)
{
	uint32_t in[DEVX_ST_SZ_DW(query_hca_cap_in)] = { 0 };

	DEVX_SET(query_hca_cap_in, in, opcode, MLX5_CMD_OP_QUERY_HCA_CAP);
	DEVX_SET(query_hca_cap_in, in, op_mod, op_mod);
	return sim_cmd_exec(dev, uid, in, sizeof(in), out, CAP_OUT_LEN);
}

/* ---- profiles and spec strings ---- */

static void test_profile_list(void)
{
	const struct sim_profile_desc *p = sim_profiles();

	CU_ASSERT_STRING_EQUAL(p[0].name, "cx6dx");
	CU_ASSERT_STRING_EQUAL(p[0].fw_ver, "22.41.1000");
	CU_ASSERT_STRING_EQUAL(p[1].name, "cx6dx-legacy");
	CU_ASSERT_STRING_EQUAL(p[1].fw_ver, "22.31.1014");
	CU_ASSERT_STRING_EQUAL(p[2].name, "cx6dx-nocrypto");
	CU_ASSERT_STRING_EQUAL(p[2].fw_ver, "22.41.1000");
	CU_ASSERT_PTR_NULL(p[3].name);
	for (int i = 0; i < 3; i++)
		CU_ASSERT(p[i].description && strlen(p[i].description) > 10);
}

static void test_spec_default_and_names(void)
{
	struct sim_dev *dev = sim_dev_create(NULL);

	CU_ASSERT_PTR_NOT_NULL_FATAL(dev);
	CU_ASSERT_STRING_EQUAL(sim_dev_profile(dev), "cx6dx");
	sim_dev_destroy(dev);
	dev = sim_dev_create("");
	CU_ASSERT_PTR_NOT_NULL_FATAL(dev);
	CU_ASSERT_STRING_EQUAL(sim_dev_profile(dev), "cx6dx");
	sim_dev_destroy(dev);
	dev = sim_dev_create("cx6dx-legacy,log_max_tis=3");
	CU_ASSERT_PTR_NOT_NULL_FATAL(dev);
	CU_ASSERT_STRING_EQUAL(sim_dev_profile(dev), "cx6dx-legacy");
	CU_ASSERT_STRING_EQUAL(sim_dev_fw_ver(dev), "22.31.1014");
	sim_dev_destroy(dev);
}

static void test_spec_rejects(void)
{
	static const char *const bad[] = {
		"cx7",                      /* unknown profile */
		"cx6dx-",                   /* unknown profile */
		"cx6dx,log_max_qp=3",       /* unknown key */
		"cx6dx,log_max_tis=32",     /* value past 5 bits */
		"cx6dx,log_max_tis=",       /* empty value */
		"cx6dx,log_max_tis=-1",     /* sign */
		"cx6dx,log_max_tis=3x",     /* trailing junk */
		"cx6dx,log_max_tis",        /* no '=' */
		"cx6dx,",                   /* empty item */
		"cx6dx,log_max_tis=100",    /* three digits */
		",log_max_tis=3",           /* no profile */
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		errno = 0;
		CU_ASSERT_PTR_NULL(sim_dev_create(bad[i]));
		CU_ASSERT_EQUAL(errno, EINVAL);
	}
}

/* ---- general caps ---- */

struct general_expect {
	uint8_t log_max_td, log_max_pd, log_max_tir, log_max_tis, log_max_dek;
	bool dek_type, crypto, tls_tx, tls_rx;
};

static void check_general_page(const uint8_t *out, const struct general_expect *e)
{
	uint8_t want[CAP_OUT_LEN] = { 0 };

	/* fact sheet 5.2, "Out byte" column */
	want[116] = e->log_max_td;
	want[117] = e->log_max_pd;
	want[126] = e->log_max_tir;
	want[127] = e->log_max_tis;
	want[150] = e->dek_type ? 0x10 : 0; /* general_obj_types bit 12 */
	want[157] = e->crypto ? 0x40 : 0;
	want[160] = (e->tls_tx ? 0x40 : 0) | (e->tls_rx ? 0x20 : 0);
	want[198] = e->log_max_dek;
	TEST_ASSERT_BYTES("general caps", out, want, CAP_OUT_LEN);
}

static void check_general(const char *spec, const struct general_expect *e)
{
	static uint8_t max[CAP_OUT_LEN], cur[CAP_OUT_LEN];
	struct sim_dev *dev = sim_dev_create(spec);

	CU_ASSERT_PTR_NOT_NULL_FATAL(dev);
	CU_ASSERT_EQUAL(query_cap(dev, 0, 0x0, max), 0);
	CU_ASSERT_EQUAL(query_cap(dev, 0, 0x1, cur), 0);
	check_general_page(cur, e);
	/* model: "max" and "cur" are the same page */
	TEST_ASSERT_BYTES("general max vs cur", max, cur, CAP_OUT_LEN);
	sim_dev_destroy(dev);
}

static void test_general_cx6dx(void)
{
	const struct general_expect e = { 20, 20, 21, 21, 22, true, true, true, true };

	check_general("cx6dx", &e);
}

static void test_general_legacy(void)
{
	const struct general_expect e = { 20, 20, 21, 21, 16, true, false, true, false };

	check_general("cx6dx-legacy", &e);
}

static void test_general_nocrypto(void)
{
	const struct general_expect e = { 20, 20, 21, 21, 0, false, false, false, false };

	check_general("cx6dx-nocrypto", &e);
}

static void test_general_overrides(void)
{
	const struct general_expect e = { 6, 4, 21, 3, 5, true, true, true, true };

	check_general("cx6dx,log_max_dek=5,log_max_tis=3,log_max_pd=4,log_max_transport_domain=6", &e);
}

/* ---- TLS caps ---- */

static void test_tls_caps_cx6dx(void)
{
	static uint8_t out[CAP_OUT_LEN], want[CAP_OUT_LEN];
	struct sim_dev *dev = sim_dev_create("cx6dx");

	CU_ASSERT_PTR_NOT_NULL_FATAL(dev);
	memset(want, 0, sizeof(want));
	want[16] = 0xf0; /* fact sheet 5.3: all four (version, cipher) bits */
	CU_ASSERT_EQUAL(query_cap(dev, 0, 0x23, out), 0);
	TEST_ASSERT_BYTES("tls caps cur", out, want, CAP_OUT_LEN);
	CU_ASSERT_EQUAL(query_cap(dev, 0, 0x22, out), 0);
	TEST_ASSERT_BYTES("tls caps max", out, want, CAP_OUT_LEN);
	sim_dev_destroy(dev);
}

static void test_tls_caps_legacy(void)
{
	static uint8_t out[CAP_OUT_LEN], want[CAP_OUT_LEN];
	struct sim_dev *dev = sim_dev_create("cx6dx-legacy");

	CU_ASSERT_PTR_NOT_NULL_FATAL(dev);
	memset(want, 0, sizeof(want));
	want[16] = 0x80; /* tls_1_2_aes_gcm_128 only */
	CU_ASSERT_EQUAL(query_cap(dev, 0, 0x23, out), 0);
	TEST_ASSERT_BYTES("legacy tls caps", out, want, CAP_OUT_LEN);
	sim_dev_destroy(dev);
}

static void test_tls_caps_absent(void)
{
	static uint8_t out[CAP_OUT_LEN];
	struct sim_dev *dev = sim_dev_create("cx6dx-nocrypto");

	CU_ASSERT_PTR_NOT_NULL_FATAL(dev);
	CHECK_REJECT(query_cap(dev, 0, 0x23, out), out, MLX5_CMD_STAT_BAD_PARAM_ERR,
		     SIM_SYND_CAP_TLS_ABSENT);
	CHECK_REJECT(query_cap(dev, 0, 0x22, out), out, MLX5_CMD_STAT_BAD_PARAM_ERR,
		     SIM_SYND_CAP_TLS_ABSENT);
	sim_dev_destroy(dev);
}

/* ---- crypto caps ---- */

static void test_crypto_caps_cx6dx(void)
{
	static uint8_t out[CAP_OUT_LEN], want[CAP_OUT_LEN];
	struct sim_dev *dev = sim_dev_create("cx6dx");

	CU_ASSERT_PTR_NOT_NULL_FATAL(dev);
	memset(want, 0, sizeof(want));
	want[16] = 0x10; /* synchronize_dek (fact sheet 5.4, cap byte 0 mask 0x10) */
	want[20] = 12;   /* log_dek_max_alloc (cap byte 4) */
	want[21] = 22;   /* log_max_num_deks (cap byte 5) */
	CU_ASSERT_EQUAL(query_cap(dev, 0, 0x35, out), 0);
	TEST_ASSERT_BYTES("crypto caps cur", out, want, CAP_OUT_LEN);
	CU_ASSERT_EQUAL(query_cap(dev, 0, 0x34, out), 0);
	TEST_ASSERT_BYTES("crypto caps max", out, want, CAP_OUT_LEN);
	sim_dev_destroy(dev);
}

static void test_crypto_caps_overrides(void)
{
	static uint8_t out[CAP_OUT_LEN];
	struct sim_dev *dev = sim_dev_create("cx6dx,log_dek_max_alloc=2,log_max_num_deks=7");

	CU_ASSERT_PTR_NOT_NULL_FATAL(dev);
	CU_ASSERT_EQUAL(query_cap(dev, 0, 0x35, out), 0);
	CU_ASSERT_EQUAL(out[20], 2);
	CU_ASSERT_EQUAL(out[21], 7);
	sim_dev_destroy(dev);
}

static void test_crypto_caps_absent(void)
{
	static uint8_t out[CAP_OUT_LEN];
	static const char *const specs[] = { "cx6dx-legacy", "cx6dx-nocrypto" };

	for (int i = 0; i < 2; i++) {
		struct sim_dev *dev = sim_dev_create(specs[i]);

		CU_ASSERT_PTR_NOT_NULL_FATAL(dev);
		CHECK_REJECT(query_cap(dev, 0, 0x35, out), out, MLX5_CMD_STAT_BAD_PARAM_ERR,
			     SIM_SYND_CAP_CRYPTO_ABSENT);
		CHECK_REJECT(query_cap(dev, 0, 0x34, out), out, MLX5_CMD_STAT_BAD_PARAM_ERR,
			     SIM_SYND_CAP_CRYPTO_ABSENT);
		sim_dev_destroy(dev);
	}
}

/* ---- rejections ---- */

static void test_other_cap_types(void)
{
	static uint8_t out[CAP_OUT_LEN];
	/* ETHERNET_OFFLOADS (1), FLOW_TABLE (7), IPSEC (0x15), GENERAL_2 (0x20), 0x7fff */
	static const uint16_t op_mods[] = { 0x3, 0xf, 0x2b, 0x41, 0xffff };
	struct sim_dev *dev = sim_dev_create("cx6dx");

	CU_ASSERT_PTR_NOT_NULL_FATAL(dev);
	for (size_t i = 0; i < sizeof(op_mods) / sizeof(op_mods[0]); i++)
		CHECK_REJECT(query_cap(dev, 0, op_mods[i], out), out, MLX5_CMD_STAT_BAD_PARAM_ERR,
			     SIM_SYND_CAP_TYPE_UNSUPPORTED);
	sim_dev_destroy(dev);
}

static void test_other_function(void)
{
	static uint8_t out[CAP_OUT_LEN];
	uint32_t in[DEVX_ST_SZ_DW(query_hca_cap_in)] = { 0 };
	struct sim_dev *dev = sim_dev_create("cx6dx");

	CU_ASSERT_PTR_NOT_NULL_FATAL(dev);
	DEVX_SET(query_hca_cap_in, in, opcode, MLX5_CMD_OP_QUERY_HCA_CAP);
	DEVX_SET(query_hca_cap_in, in, op_mod, 1);
	DEVX_SET(query_hca_cap_in, in, other_function, 1);
	CHECK_REJECT(sim_cmd_exec(dev, 0, in, sizeof(in), out, CAP_OUT_LEN), out,
		     MLX5_CMD_STAT_BAD_PARAM_ERR, SIM_SYND_CAP_OTHER_FUNCTION_SET);
	DEVX_SET(query_hca_cap_in, in, other_function, 0);
	DEVX_SET(query_hca_cap_in, in, ec_vf_function, 1);
	CHECK_REJECT(sim_cmd_exec(dev, 0, in, sizeof(in), out, CAP_OUT_LEN), out,
		     MLX5_CMD_STAT_BAD_PARAM_ERR, SIM_SYND_CAP_OTHER_FUNCTION_SET);
	DEVX_SET(query_hca_cap_in, in, ec_vf_function, 0);
	DEVX_SET(query_hca_cap_in, in, function_id, 3);
	CHECK_REJECT(sim_cmd_exec(dev, 0, in, sizeof(in), out, CAP_OUT_LEN), out,
		     MLX5_CMD_STAT_BAD_PARAM_ERR, SIM_SYND_CAP_FUNCTION_ID_SET);
	sim_dev_destroy(dev);
}

/* Fact sheet 14: "QUERY_HCA_CAP TLS/cur: 01 00 00 00 00 00 00 23 00 .." executed as raw bytes. */
static void test_golden_tls_query(void)
{
	static const uint8_t in[16] = { 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x23 };
	static uint8_t out[CAP_OUT_LEN];
	struct sim_dev *dev = sim_dev_create(NULL);
	uint16_t uid;

	CU_ASSERT_PTR_NOT_NULL_FATAL(dev);
	CU_ASSERT_EQUAL_FATAL(sim_uctx_alloc(dev, &uid), 0);
	memset(out, 0xa5, sizeof(out));
	CU_ASSERT_EQUAL(sim_cmd_exec(dev, uid, in, sizeof(in), out, sizeof(out)), 0);
	CU_ASSERT_EQUAL(out[0], 0);
	CU_ASSERT_EQUAL(out_syndrome(out), 0);
	CU_ASSERT_EQUAL(out[16], 0xf0);
	CU_ASSERT_EQUAL(out[17], 0);
	CU_ASSERT_EQUAL(out[CAP_OUT_LEN - 1], 0); /* the 0xa5 fill was zeroed */
	sim_dev_destroy(dev);
}

static const struct test_case profile_cases[] = {
	{ "profile list", test_profile_list },
	{ "spec default and names", test_spec_default_and_names },
	{ "spec rejects", test_spec_rejects },
	{ NULL, NULL },
};

static const struct test_case cap_cases[] = {
	{ "general caps cx6dx", test_general_cx6dx },
	{ "general caps legacy", test_general_legacy },
	{ "general caps nocrypto", test_general_nocrypto },
	{ "general caps overrides", test_general_overrides },
	{ "tls caps cx6dx", test_tls_caps_cx6dx },
	{ "tls caps legacy", test_tls_caps_legacy },
	{ "tls caps absent", test_tls_caps_absent },
	{ "crypto caps cx6dx", test_crypto_caps_cx6dx },
	{ "crypto caps overrides", test_crypto_caps_overrides },
	{ "crypto caps absent", test_crypto_caps_absent },
	{ "other cap types", test_other_cap_types },
	{ "other function", test_other_function },
	{ "golden TLS query", test_golden_tls_query },
	{ NULL, NULL },
};

static const struct test_suite suites[] = {
	{ "sim profiles", NULL, NULL, profile_cases },
	{ "sim QUERY_HCA_CAP", NULL, NULL, cap_cases },
	{ NULL, NULL, NULL, NULL },
};

int main(void)
{
	return test_run_suites(suites);
}
