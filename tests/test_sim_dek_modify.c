/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Device model: a DEK's key changed - MODIFY (key load per bulk element) and its rejects, what
 * it ignores, re-keying that needs SYNC_CRYPTO, and SYNC_CRYPTO's epochs and rejects (fact sheet
 * 3.5-3.6, 12). The fixture is tests/util/sim_dek_fixture.h.
 */
#include "sim_dek_fixture.h"

static void test_modify_field_rejects(void)
{
	struct fixture f;
	uint32_t in[DEK_IN_LEN / 4];
	uint8_t out[16];
	uint8_t *b = (uint8_t *)in;
	uint32_t base;

	CU_ASSERT_EQUAL_FATAL(fixture_init(&f, NULL), 0);
	CU_ASSERT_EQUAL_FATAL(create_bulk(&f, 2, &base), 0);
#define REJECT_MODIFY(mutate, st, synd)                                                    \
	do {                                                                               \
		dek_in(in, MLX5_CMD_OP_MODIFY_GENERAL_OBJECT, base, 1, f.pd, 128, key128);  \
		mutate;                                                                    \
		CHECK_REJECT(exec_obj(&f, f.uid, in, sizeof(in), out, NULL), out, st, synd); \
	} while (0)

	REJECT_MODIFY(DEVX_SET64(modify_encryption_key_in, in, obj.modify_field_select, 0),
		      MLX5_CMD_STAT_BAD_PARAM_ERR, SIM_SYND_DEK_MFS_INVALID);
	REJECT_MODIFY(DEVX_SET64(modify_encryption_key_in, in, obj.modify_field_select, 2),
		      MLX5_CMD_STAT_BAD_PARAM_ERR, SIM_SYND_DEK_MFS_INVALID);
	REJECT_MODIFY(DEVX_SET64(modify_encryption_key_in, in, obj.modify_field_select, 3),
		      MLX5_CMD_STAT_BAD_PARAM_ERR, SIM_SYND_DEK_MFS_INVALID);
	REJECT_MODIFY(DEVX_SET64(modify_encryption_key_in, in, obj.modify_field_select,
				 1ull << 63 | 1),
		      MLX5_CMD_STAT_BAD_PARAM_ERR, SIM_SYND_DEK_MFS_INVALID);
	REJECT_MODIFY(DEVX_SET(modify_encryption_key_in, in, obj.key_purpose, 3),
		      MLX5_CMD_STAT_BAD_PARAM_ERR, SIM_SYND_DEK_KEY_PURPOSE);
	REJECT_MODIFY(DEVX_SET(modify_encryption_key_in, in, obj.key_size, 0xf),
		      MLX5_CMD_STAT_BAD_PARAM_ERR, SIM_SYND_DEK_KEY_SIZE);
	REJECT_MODIFY(b[KEY_CMD_OFF + 3] = 1, MLX5_CMD_STAT_BAD_PARAM_ERR,
		      SIM_SYND_DEK_KEY128_MSB_SET);
	REJECT_MODIFY(b[KEY_CMD_OFF + 64] = 1, MLX5_CMD_STAT_BAD_PARAM_ERR,
		      SIM_SYND_DEK_KEY_TAIL_SET);
	REJECT_MODIFY(DEVX_SET(modify_encryption_key_in, in, obj.state, 0x1),
		      MLX5_CMD_STAT_BAD_PARAM_ERR, SIM_SYND_DEK_STATE_SET);
	REJECT_MODIFY(DEVX_SET(modify_encryption_key_in, in, obj.sw_wrapped, 1),
		      MLX5_CMD_STAT_BAD_PARAM_ERR, SIM_SYND_DEK_SW_WRAPPED_SET);
	REJECT_MODIFY(DEVX_SET(modify_encryption_key_in, in, obj.has_keytag, 1),
		      MLX5_CMD_STAT_BAD_PARAM_ERR, SIM_SYND_DEK_HAS_KEYTAG_SET);
	REJECT_MODIFY(DEVX_SET(modify_encryption_key_in, in, hdr.vhca_tunnel_id, 0x8000),
		      MLX5_CMD_STAT_BAD_PARAM_ERR, SIM_SYND_VHCA_TUNNEL_ID_SET);
	REJECT_MODIFY(DEVX_SET(modify_encryption_key_in, in, hdr.op_param.query.alias_object, 1),
		      MLX5_CMD_STAT_BAD_PARAM_ERR, SIM_SYND_ALIAS_OBJECT_SET);
#undef REJECT_MODIFY
	/* none of them loaded a key */
	{
		uint8_t key[32];
		size_t len;

		CU_ASSERT_EQUAL(key_of(&f, base + 1, key, &len), -ENOENT);
	}
	sim_dev_destroy(f.dev);
}

static void test_modify_ignores_pd_and_opaque(void)
{
	struct fixture f;
	uint32_t in[DEK_IN_LEN / 4];
	uint8_t out[DEK_IN_LEN];
	uint32_t base = 0;

	CU_ASSERT_EQUAL_FATAL(fixture_init(&f, NULL), 0);
	dek_in(in, MLX5_CMD_OP_CREATE_GENERAL_OBJECT, 0, 1, f.pd, 0, NULL);
	DEVX_SET64(create_encryption_key_in, in, obj.opaque, 0x1122334455667788ull);
	CU_ASSERT_EQUAL_FATAL(exec_obj(&f, f.uid, in, sizeof(in), out, &base), 0);
	dek_in(in, MLX5_CMD_OP_MODIFY_GENERAL_OBJECT, base, 1, 0x777, 128, key128);
	DEVX_SET64(modify_encryption_key_in, in, obj.opaque, 0x99);
	CU_ASSERT_EQUAL(exec_obj(&f, f.uid, in, sizeof(in), out, NULL), 0);
	CU_ASSERT_EQUAL(query(&f, base, 1, out), 0);
	CU_ASSERT_EQUAL(be32_at(out + 16 + 12) & 0xffffff, f.pd);
	CU_ASSERT_EQUAL(be32_at(out + 16 + 48), 0x11223344);
	CU_ASSERT_EQUAL(be32_at(out + 16 + 52), 0x55667788);
	sim_dev_destroy(f.dev);
}

static void test_rekey_needs_sync(void)
{
	struct fixture f;
	uint8_t out[16], key[32];
	uint32_t base = 0, single = 0;
	size_t len;
	struct sim_dev_stats st;

	CU_ASSERT_EQUAL_FATAL(fixture_init(&f, NULL), 0);
	CU_ASSERT_EQUAL_FATAL(create_bulk(&f, 3, &base), 0);
	CU_ASSERT_EQUAL_FATAL(create_single(&f, 256, key256, &single), 0);

	CU_ASSERT_EQUAL(modify_key(&f, base, 2, 128, key128, out), 0);
	/* a second load of the same element in the same epoch */
	CHECK_REJECT(modify_key(&f, base, 2, 256, key256, out), out,
		     MLX5_CMD_STAT_BAD_RES_STATE_ERR, SIM_SYND_DEK_REKEY_BEFORE_SYNC);
	CU_ASSERT_EQUAL(key_of(&f, base + 2, key, &len), 0);
	CU_ASSERT_EQUAL(len, 16); /* the failed MODIFY changed nothing */
	/* other elements are independent */
	CU_ASSERT_EQUAL(modify_key(&f, base, 3, 128, key128, out), 0);
	/* a single DEK was keyed by its CREATE */
	CHECK_REJECT(modify_key(&f, single, 0, 128, key128, out), out,
		     MLX5_CMD_STAT_BAD_RES_STATE_ERR, SIM_SYND_DEK_REKEY_BEFORE_SYNC);

	/* TLS sync (0x2, the kernel's pool sync) opens a new epoch */
	CU_ASSERT_EQUAL(sync_crypto(&f, MLX5_SYNC_CRYPTO_TYPE_TLS, out), 0);
	CU_ASSERT_EQUAL(modify_key(&f, base, 2, 256, key256, out), 0);
	CU_ASSERT_EQUAL(key_of(&f, base + 2, key, &len), 0);
	CU_ASSERT_EQUAL(len, 32);
	TEST_ASSERT_BYTES("re-keyed element", key, key256, 32);
	CU_ASSERT_EQUAL(modify_key(&f, single, 0, 128, key128, out), 0);
	CU_ASSERT_EQUAL(key_of(&f, single, key, &len), 0);
	CU_ASSERT_EQUAL(len, 16);
	TEST_ASSERT_BYTES("re-keyed single", key, key128, 16);
	CHECK_REJECT(modify_key(&f, base, 2, 128, key128, out), out,
		     MLX5_CMD_STAT_BAD_RES_STATE_ERR, SIM_SYND_DEK_REKEY_BEFORE_SYNC);

	/* "all types" (0x1, the kernel's init sync) and both bits count too */
	CU_ASSERT_EQUAL(sync_crypto(&f, MLX5_SYNC_CRYPTO_TYPE_ALL, out), 0);
	CU_ASSERT_EQUAL(modify_key(&f, base, 2, 128, key128, out), 0);
	CU_ASSERT_EQUAL(sync_crypto(&f, 0x3, out), 0);
	CU_ASSERT_EQUAL(modify_key(&f, base, 2, 128, key128, out), 0);
	sim_dev_get_stats(f.dev, &st);
	CU_ASSERT_EQUAL(st.syncs, 3);
	sim_dev_destroy(f.dev);
}

static void test_sync_rejects(void)
{
	struct fixture f;
	uint32_t in[DEVX_ST_SZ_DW(sync_crypto_in)] = { 0 };
	uint8_t out[16];
	struct sim_dev_stats st;
	static const uint32_t bad[] = { 0x0, 0x4, 0x6, 0x8000, 0xffff };

	CU_ASSERT_EQUAL_FATAL(fixture_init(&f, NULL), 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK_REJECT(sync_crypto(&f, bad[i], out), out, MLX5_CMD_STAT_BAD_PARAM_ERR,
			     SIM_SYND_SYNC_TYPE_INVALID);
	DEVX_SET(sync_crypto_in, in, opcode, MLX5_CMD_OP_SYNC_CRYPTO);
	DEVX_SET(sync_crypto_in, in, op_mod, 1);
	DEVX_SET(sync_crypto_in, in, crypto_type, 2);
	CHECK_REJECT(sim_cmd_exec(f.dev, f.uid, in, sizeof(in), out, sizeof(out)), out,
		     MLX5_CMD_STAT_BAD_PARAM_ERR, SIM_SYND_OP_MOD_NOT_ZERO);
	sim_dev_get_stats(f.dev, &st);
	CU_ASSERT_EQUAL(st.syncs, 0);
	sim_dev_destroy(f.dev);
}

/* Fact sheet 14: "SYNC_CRYPTO (TLS): 0b 12 00 .. 00 02 + 16 zero bytes". */
static void test_golden_sync(void)
{
	static const uint8_t in[32] = { 0x0b, 0x12, 0, 0, 0, 0, 0, 0,
					0, 0, 0, 0, 0, 0, 0x00, 0x02 };
	static const uint8_t want[16];
	struct fixture f;
	uint8_t out[16];

	CU_ASSERT_EQUAL_FATAL(fixture_init(&f, NULL), 0);
	memset(out, 0xff, sizeof(out));
	CU_ASSERT_EQUAL(sim_cmd_exec(f.dev, f.uid, in, sizeof(in), out, sizeof(out)), 0);
	TEST_ASSERT_BYTES("SYNC_CRYPTO out", out, want, sizeof(out));
	sim_dev_destroy(f.dev);
}

static const struct test_case modify_cases[] = {
	{ "modify field rejects", test_modify_field_rejects },
	{ "modify ignores pd and opaque", test_modify_ignores_pd_and_opaque },
	{ "re-key needs SYNC_CRYPTO", test_rekey_needs_sync },
	{ "SYNC_CRYPTO rejects", test_sync_rejects },
	{ "golden SYNC_CRYPTO", test_golden_sync },
	{ NULL, NULL },
};

static const struct test_suite suites[] = {
	{ "sim DEK modify and sync", NULL, NULL, modify_cases },
	{ NULL, NULL, NULL, NULL },
};

int main(void)
{
	return test_run_suites(suites);
}
