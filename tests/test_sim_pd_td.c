/* SPDX-License-Identifier: BSD-3-Clause */
/* Device model: ALLOC/DEALLOC_PD and ALLOC/DEALLOC_TRANSPORT_DOMAIN (fact sheet 4.4). */
#include <errno.h>
#include <string.h>

#include "prm/mlx5_ifc_tls.h"
#include "sim/sim.h"
#include "sim/syndromes.h"
#include "sim_test_util.h"
#include "test_util.h"

/* ALLOC_PD (0x800) or ALLOC_TRANSPORT_DOMAIN (0x816): 16-byte in, number at out bit 0x48. */
static int alloc_num(struct sim_dev *dev, uint16_t uid, uint16_t opcode, uint32_t *num,
		     uint8_t *out)
{
	uint32_t in[DEVX_ST_SZ_DW(alloc_pd_in)] = { 0 };
	int ret;

	DEVX_SET(alloc_pd_in, in, opcode, opcode);
	ret = sim_cmd_exec(dev, uid, in, sizeof(in), out, 16);
	if (!ret)
		*num = (uint32_t)out[9] << 16 | (uint32_t)out[10] << 8 | out[11];
	return ret;
}

static int dealloc_num(struct sim_dev *dev, uint16_t uid, uint16_t opcode, uint32_t num,
		       uint8_t *out)
{
	uint32_t in[DEVX_ST_SZ_DW(dealloc_pd_in)] = { 0 };

	DEVX_SET(dealloc_pd_in, in, opcode, opcode);
	DEVX_SET(dealloc_pd_in, in, pd, num);
	return sim_cmd_exec(dev, uid, in, sizeof(in), out, 16);
}

static int create_tis(struct sim_dev *dev, uint16_t uid, uint32_t td, uint32_t pd, uint32_t *tisn)
{
	uint32_t in[DEVX_ST_SZ_DW(create_tis_in)] = { 0 };
	uint32_t out[DEVX_ST_SZ_DW(create_tis_out)] = { 0 };
	int ret;

	DEVX_SET(create_tis_in, in, opcode, MLX5_CMD_OP_CREATE_TIS);
	DEVX_SET(create_tis_in, in, ctx.transport_domain, td);
	DEVX_SET(create_tis_in, in, ctx.pd, pd);
	DEVX_SET(create_tis_in, in, ctx.tls_en, pd != 0);
	ret = sim_cmd_exec(dev, uid, in, sizeof(in), out, sizeof(out));
	if (!ret)
		*tisn = DEVX_GET(create_tis_out, out, tisn);
	return ret;
}

static int destroy_tis(struct sim_dev *dev, uint16_t uid, uint32_t tisn)
{
	uint32_t in[DEVX_ST_SZ_DW(destroy_tis_in)] = { 0 };
	uint32_t out[4];

	DEVX_SET(destroy_tis_in, in, opcode, MLX5_CMD_OP_DESTROY_TIS);
	DEVX_SET(destroy_tis_in, in, tisn, tisn);
	return sim_cmd_exec(dev, uid, in, sizeof(in), out, sizeof(out));
}

static int create_dek(struct sim_dev *dev, uint16_t uid, uint32_t pd, uint32_t *id)
{
	uint32_t in[DEVX_ST_SZ_DW(create_encryption_key_in)] = { 0 };
	uint32_t out[DEVX_ST_SZ_DW(general_obj_out_cmd_hdr)] = { 0 };
	int ret;

	DEVX_SET(create_encryption_key_in, in, hdr.opcode, MLX5_CMD_OP_CREATE_GENERAL_OBJECT);
	DEVX_SET(create_encryption_key_in, in, hdr.obj_type, MLX5_GENERAL_OBJECT_TYPES_ENCRYPTION_KEY);
	DEVX_SET(create_encryption_key_in, in, obj.key_purpose, MLX5_ENCRYPTION_KEY_OBJ_KEY_PURPOSE_TLS);
	DEVX_SET(create_encryption_key_in, in, obj.pd, pd);
	ret = sim_cmd_exec(dev, uid, in, sizeof(in), out, sizeof(out));
	if (!ret)
		*id = DEVX_GET(general_obj_out_cmd_hdr, out, obj_id);
	return ret;
}

static int destroy_dek(struct sim_dev *dev, uint16_t uid, uint32_t id)
{
	uint32_t in[DEVX_ST_SZ_DW(general_obj_in_cmd_hdr)] = { 0 };
	uint32_t out[4];

	DEVX_SET(general_obj_in_cmd_hdr, in, opcode, MLX5_CMD_OP_DESTROY_GENERAL_OBJECT);
	DEVX_SET(general_obj_in_cmd_hdr, in, obj_type, MLX5_GENERAL_OBJECT_TYPES_ENCRYPTION_KEY);
	DEVX_SET(general_obj_in_cmd_hdr, in, obj_id, id);
	return sim_cmd_exec(dev, uid, in, sizeof(in), out, sizeof(out));
}

static struct sim_dev *dev_with_uid(const char *spec, uint16_t *uid)
{
	struct sim_dev *dev = sim_dev_create(spec);

	if (dev && sim_uctx_alloc(dev, uid)) {
		sim_dev_destroy(dev);
		return NULL;
	}
	return dev;
}

/* ---- PD ---- */

static void test_pd_alloc_output(void)
{
	uint16_t uid;
	struct sim_dev *dev = dev_with_uid(NULL, &uid);
	uint8_t out[16];
	/* status 0, syndrome 0, pd 0x000010 at bytes 9..11, all else zero */
	static const uint8_t want[16] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x00, 0x00, 0x10, 0, 0, 0, 0 };
	uint32_t pd, pd2;

	CU_ASSERT_PTR_NOT_NULL_FATAL(dev);
	memset(out, 0xee, sizeof(out));
	CU_ASSERT_EQUAL_FATAL(alloc_num(dev, uid, MLX5_CMD_OP_ALLOC_PD, &pd, out), 0);
	TEST_ASSERT_BYTES("ALLOC_PD out", out, want, sizeof(out));
	CU_ASSERT_EQUAL(pd, 0x10);
	CU_ASSERT_EQUAL(alloc_num(dev, uid, MLX5_CMD_OP_ALLOC_PD, &pd2, out), 0);
	CU_ASSERT_EQUAL(pd2, 0x11);
	sim_dev_destroy(dev);
}

static void test_pd_numbers_not_reused(void)
{
	uint16_t uid;
	struct sim_dev *dev = dev_with_uid(NULL, &uid);
	uint8_t out[16];
	uint32_t a = 0, b;

	CU_ASSERT_PTR_NOT_NULL_FATAL(dev);
	CU_ASSERT_EQUAL_FATAL(alloc_num(dev, uid, MLX5_CMD_OP_ALLOC_PD, &a, out), 0);
	CU_ASSERT_EQUAL(dealloc_num(dev, uid, MLX5_CMD_OP_DEALLOC_PD, a, out), 0);
	CU_ASSERT_EQUAL_FATAL(alloc_num(dev, uid, MLX5_CMD_OP_ALLOC_PD, &b, out), 0);
	CU_ASSERT_NOT_EQUAL(a, b);
	/* the stale number is unknown now */
	CHECK_REJECT(dealloc_num(dev, uid, MLX5_CMD_OP_DEALLOC_PD, a, out), out,
		     MLX5_CMD_STAT_BAD_RES_ERR, SIM_SYND_PD_UNKNOWN);
	sim_dev_destroy(dev);
}

static void test_pd_dealloc_rejects(void)
{
	uint16_t uid, other;
	struct sim_dev *dev = dev_with_uid(NULL, &uid);
	uint8_t out[16];
	uint32_t pd = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(dev);
	CU_ASSERT_EQUAL_FATAL(sim_uctx_alloc(dev, &other), 0);
	CU_ASSERT_EQUAL_FATAL(alloc_num(dev, uid, MLX5_CMD_OP_ALLOC_PD, &pd, out), 0);
	CHECK_REJECT(dealloc_num(dev, uid, MLX5_CMD_OP_DEALLOC_PD, 0, out), out,
		     MLX5_CMD_STAT_BAD_RES_ERR, SIM_SYND_PD_UNKNOWN);
	CHECK_REJECT(dealloc_num(dev, uid, MLX5_CMD_OP_DEALLOC_PD, pd + 1, out), out,
		     MLX5_CMD_STAT_BAD_RES_ERR, SIM_SYND_PD_UNKNOWN);
	CHECK_REJECT(dealloc_num(dev, other, MLX5_CMD_OP_DEALLOC_PD, pd, out), out,
		     MLX5_CMD_STAT_BAD_RES_ERR, SIM_SYND_PD_NOT_OWNED);
	CHECK_REJECT(dealloc_num(dev, 0, MLX5_CMD_OP_DEALLOC_PD, pd, out), out,
		     MLX5_CMD_STAT_BAD_RES_ERR, SIM_SYND_PD_NOT_OWNED);
	CU_ASSERT_EQUAL(dealloc_num(dev, uid, MLX5_CMD_OP_DEALLOC_PD, pd, out), 0);
	CHECK_REJECT(dealloc_num(dev, uid, MLX5_CMD_OP_DEALLOC_PD, pd, out), out,
		     MLX5_CMD_STAT_BAD_RES_ERR, SIM_SYND_PD_UNKNOWN);
	sim_dev_destroy(dev);
}

static void test_pd_in_use_by_dek(void)
{
	uint16_t uid;
	struct sim_dev *dev = dev_with_uid(NULL, &uid);
	uint8_t out[16];
	uint32_t pd = 0, dek = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(dev);
	CU_ASSERT_EQUAL_FATAL(alloc_num(dev, uid, MLX5_CMD_OP_ALLOC_PD, &pd, out), 0);
	CU_ASSERT_EQUAL_FATAL(create_dek(dev, uid, pd, &dek), 0);
	CHECK_REJECT(dealloc_num(dev, uid, MLX5_CMD_OP_DEALLOC_PD, pd, out), out,
		     MLX5_CMD_STAT_BAD_RES_STATE_ERR, SIM_SYND_PD_IN_USE);
	CU_ASSERT_EQUAL(destroy_dek(dev, uid, dek), 0);
	CU_ASSERT_EQUAL(dealloc_num(dev, uid, MLX5_CMD_OP_DEALLOC_PD, pd, out), 0);
	sim_dev_destroy(dev);
}

static void test_pd_td_in_use_by_tis(void)
{
	uint16_t uid;
	struct sim_dev *dev = dev_with_uid(NULL, &uid);
	uint8_t out[16];
	uint32_t pd, td = 0, tisn = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(dev);
	CU_ASSERT_EQUAL_FATAL(alloc_num(dev, uid, MLX5_CMD_OP_ALLOC_PD, &pd, out), 0);
	CU_ASSERT_EQUAL_FATAL(alloc_num(dev, uid, MLX5_CMD_OP_ALLOC_TRANSPORT_DOMAIN, &td, out), 0);
	CU_ASSERT_EQUAL_FATAL(create_tis(dev, uid, td, pd, &tisn), 0);
	CHECK_REJECT(dealloc_num(dev, uid, MLX5_CMD_OP_DEALLOC_PD, pd, out), out,
		     MLX5_CMD_STAT_BAD_RES_STATE_ERR, SIM_SYND_PD_IN_USE);
	CHECK_REJECT(dealloc_num(dev, uid, MLX5_CMD_OP_DEALLOC_TRANSPORT_DOMAIN, td, out), out,
		     MLX5_CMD_STAT_BAD_RES_STATE_ERR, SIM_SYND_TD_IN_USE);
	CU_ASSERT_EQUAL(destroy_tis(dev, uid, tisn), 0);
	CU_ASSERT_EQUAL(dealloc_num(dev, uid, MLX5_CMD_OP_DEALLOC_TRANSPORT_DOMAIN, td, out), 0);
	CU_ASSERT_EQUAL(dealloc_num(dev, uid, MLX5_CMD_OP_DEALLOC_PD, pd, out), 0);
	sim_dev_destroy(dev);
}

static void test_pd_limit(void)
{
	uint16_t uid;
	struct sim_dev *dev = dev_with_uid("cx6dx,log_max_pd=2", &uid);
	uint8_t out[16];
	uint32_t pd[5];
	struct sim_dev_stats st;

	CU_ASSERT_PTR_NOT_NULL_FATAL(dev);
	for (int i = 0; i < 4; i++)
		CU_ASSERT_EQUAL_FATAL(alloc_num(dev, uid, MLX5_CMD_OP_ALLOC_PD, &pd[i], out), 0);
	CHECK_REJECT(alloc_num(dev, uid, MLX5_CMD_OP_ALLOC_PD, &pd[4], out), out,
		     MLX5_CMD_STAT_LIM_ERR, SIM_SYND_PD_LIMIT);
	/* the limit is per device: another uid is refused too */
	CHECK_REJECT(alloc_num(dev, 0, MLX5_CMD_OP_ALLOC_PD, &pd[4], out), out,
		     MLX5_CMD_STAT_LIM_ERR, SIM_SYND_PD_LIMIT);
	sim_dev_get_stats(dev, &st);
	CU_ASSERT_EQUAL(st.pds, 4);
	CU_ASSERT_EQUAL(dealloc_num(dev, uid, MLX5_CMD_OP_DEALLOC_PD, pd[2], out), 0);
	CU_ASSERT_EQUAL(alloc_num(dev, uid, MLX5_CMD_OP_ALLOC_PD, &pd[4], out), 0);
	sim_dev_destroy(dev);
}

/* ---- TD ---- */

static void test_td_alloc_dealloc(void)
{
	uint16_t uid, other;
	struct sim_dev *dev = dev_with_uid(NULL, &uid);
	uint8_t out[16];
	static const uint8_t want[16] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x00, 0x00, 0x20, 0, 0, 0, 0 };
	uint32_t td = 0, td2;
	struct sim_dev_stats st;

	CU_ASSERT_PTR_NOT_NULL_FATAL(dev);
	CU_ASSERT_EQUAL_FATAL(sim_uctx_alloc(dev, &other), 0);
	CU_ASSERT_EQUAL_FATAL(alloc_num(dev, uid, MLX5_CMD_OP_ALLOC_TRANSPORT_DOMAIN, &td, out), 0);
	TEST_ASSERT_BYTES("ALLOC_TD out", out, want, sizeof(out));
	CU_ASSERT_EQUAL(td, 0x20);
	CHECK_REJECT(dealloc_num(dev, other, MLX5_CMD_OP_DEALLOC_TRANSPORT_DOMAIN, td, out), out,
		     MLX5_CMD_STAT_BAD_RES_ERR, SIM_SYND_TD_NOT_OWNED);
	CHECK_REJECT(dealloc_num(dev, uid, MLX5_CMD_OP_DEALLOC_TRANSPORT_DOMAIN, 0x10, out), out,
		     MLX5_CMD_STAT_BAD_RES_ERR, SIM_SYND_TD_UNKNOWN);
	sim_dev_get_stats(dev, &st);
	CU_ASSERT_EQUAL(st.tds, 1);
	CU_ASSERT_EQUAL(dealloc_num(dev, uid, MLX5_CMD_OP_DEALLOC_TRANSPORT_DOMAIN, td, out), 0);
	CHECK_REJECT(dealloc_num(dev, uid, MLX5_CMD_OP_DEALLOC_TRANSPORT_DOMAIN, td, out), out,
		     MLX5_CMD_STAT_BAD_RES_ERR, SIM_SYND_TD_UNKNOWN);
	CU_ASSERT_EQUAL(alloc_num(dev, uid, MLX5_CMD_OP_ALLOC_TRANSPORT_DOMAIN, &td2, out), 0);
	CU_ASSERT_EQUAL(td2, 0x21);
	sim_dev_get_stats(dev, &st);
	CU_ASSERT_EQUAL(st.tds, 1);
	sim_dev_destroy(dev);
}

static void test_td_limit(void)
{
	uint16_t uid;
	struct sim_dev *dev = dev_with_uid("cx6dx,log_max_transport_domain=1", &uid);
	uint8_t out[16];
	uint32_t td[3];

	CU_ASSERT_PTR_NOT_NULL_FATAL(dev);
	CU_ASSERT_EQUAL(alloc_num(dev, uid, MLX5_CMD_OP_ALLOC_TRANSPORT_DOMAIN, &td[0], out), 0);
	CU_ASSERT_EQUAL(alloc_num(dev, uid, MLX5_CMD_OP_ALLOC_TRANSPORT_DOMAIN, &td[1], out), 0);
	CHECK_REJECT(alloc_num(dev, uid, MLX5_CMD_OP_ALLOC_TRANSPORT_DOMAIN, &td[2], out), out,
		     MLX5_CMD_STAT_LIM_ERR, SIM_SYND_TD_LIMIT);
	sim_dev_destroy(dev);
}

static void test_pd_td_separate_spaces(void)
{
	uint16_t uid;
	struct sim_dev *dev = dev_with_uid("cx6dx,log_max_pd=0", &uid);
	uint8_t out[16];
	uint32_t pd = 0, td = 0, x;

	CU_ASSERT_PTR_NOT_NULL_FATAL(dev);
	/* log_max_pd = 0 still allows 2^0 = 1 PD; TDs are counted separately */
	CU_ASSERT_EQUAL(alloc_num(dev, uid, MLX5_CMD_OP_ALLOC_PD, &pd, out), 0);
	CHECK_REJECT(alloc_num(dev, uid, MLX5_CMD_OP_ALLOC_PD, &x, out), out,
		     MLX5_CMD_STAT_LIM_ERR, SIM_SYND_PD_LIMIT);
	CU_ASSERT_EQUAL(alloc_num(dev, uid, MLX5_CMD_OP_ALLOC_TRANSPORT_DOMAIN, &td, out), 0);
	/* a PD number is not a TD */
	CHECK_REJECT(dealloc_num(dev, uid, MLX5_CMD_OP_DEALLOC_TRANSPORT_DOMAIN, pd, out), out,
		     MLX5_CMD_STAT_BAD_RES_ERR, SIM_SYND_TD_UNKNOWN);
	CHECK_REJECT(dealloc_num(dev, uid, MLX5_CMD_OP_DEALLOC_PD, td, out), out,
		     MLX5_CMD_STAT_BAD_RES_ERR, SIM_SYND_PD_UNKNOWN);
	sim_dev_destroy(dev);
}

static void test_op_mod_must_be_zero(void)
{
	static const uint16_t opcodes[] = {
		MLX5_CMD_OP_ALLOC_PD, MLX5_CMD_OP_DEALLOC_PD, MLX5_CMD_OP_ALLOC_TRANSPORT_DOMAIN,
		MLX5_CMD_OP_DEALLOC_TRANSPORT_DOMAIN,
	};
	uint16_t uid;
	struct sim_dev *dev = dev_with_uid(NULL, &uid);

	CU_ASSERT_PTR_NOT_NULL_FATAL(dev);
	for (size_t i = 0; i < sizeof(opcodes) / sizeof(opcodes[0]); i++) {
		uint32_t in[4] = { 0 };
		uint8_t out[16];

		DEVX_SET(mbox_in, in, opcode, opcodes[i]);
		DEVX_SET(mbox_in, in, op_mod, 1);
		CHECK_REJECT(sim_cmd_exec(dev, uid, in, sizeof(in), out, sizeof(out)), out,
			     MLX5_CMD_STAT_BAD_PARAM_ERR, SIM_SYND_OP_MOD_NOT_ZERO);
	}
	sim_dev_destroy(dev);
}

static void test_uctx_free_releases(void)
{
	uint16_t a, b;
	struct sim_dev *dev = dev_with_uid(NULL, &a);
	uint8_t out[16];
	uint32_t pd, td, x = 0;
	struct sim_dev_stats st;

	CU_ASSERT_PTR_NOT_NULL_FATAL(dev);
	CU_ASSERT_EQUAL_FATAL(sim_uctx_alloc(dev, &b), 0);
	CU_ASSERT_EQUAL(alloc_num(dev, a, MLX5_CMD_OP_ALLOC_PD, &pd, out), 0);
	CU_ASSERT_EQUAL(alloc_num(dev, a, MLX5_CMD_OP_ALLOC_TRANSPORT_DOMAIN, &td, out), 0);
	CU_ASSERT_EQUAL(alloc_num(dev, b, MLX5_CMD_OP_ALLOC_PD, &x, out), 0);
	sim_uctx_free(dev, a);
	sim_dev_get_stats(dev, &st);
	CU_ASSERT_EQUAL(st.pds, 1); /* b's PD stays */
	CU_ASSERT_EQUAL(st.tds, 0);
	CU_ASSERT_EQUAL(dealloc_num(dev, b, MLX5_CMD_OP_DEALLOC_PD, x, out), 0);
	sim_dev_destroy(dev);
}

static const struct test_case pd_cases[] = {
	{ "ALLOC_PD output", test_pd_alloc_output },
	{ "PD numbers not reused", test_pd_numbers_not_reused },
	{ "DEALLOC_PD rejects", test_pd_dealloc_rejects },
	{ "PD in use by DEK", test_pd_in_use_by_dek },
	{ "PD and TD in use by TIS", test_pd_td_in_use_by_tis },
	{ "PD limit", test_pd_limit },
	{ NULL, NULL },
};

static const struct test_case td_cases[] = {
	{ "TD alloc/dealloc", test_td_alloc_dealloc },
	{ "TD limit", test_td_limit },
	{ "PD and TD number spaces", test_pd_td_separate_spaces },
	{ "op_mod must be zero", test_op_mod_must_be_zero },
	{ "uctx free releases PD/TD", test_uctx_free_releases },
	{ NULL, NULL },
};

static const struct test_suite suites[] = {
	{ "sim PD", NULL, NULL, pd_cases },
	{ "sim TD", NULL, NULL, td_cases },
	{ NULL, NULL, NULL, NULL },
};

int main(void)
{
	return test_run_suites(suites);
}
