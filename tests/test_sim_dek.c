/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Device model: the DEK (ENCRYPTION_KEY general object, type 0xc) created, queried and
 * destroyed - single 128/256-bit DEKs, the 256-byte object layout, field and lookup rejects,
 * bulk CREATE and its elements, the legacy and nocrypto profiles (fact sheet 3.4-3.6, 14). The
 * fixture is tests/util/sim_dek_fixture.h; MODIFY and SYNC_CRYPTO are in test_sim_dek_modify.c,
 * limits and scale in test_sim_dek_scale.c.
 */
#include "sim_dek_fixture.h"

/* ---- single DEKs ---- */

static void test_single_128(void)
{
	struct fixture f;
	uint8_t out[DEK_IN_LEN], want[DEK_IN_LEN], key[32];
	size_t len = 0;
	uint32_t id = 0;

	CU_ASSERT_EQUAL_FATAL(fixture_init(&f, NULL), 0);
	CU_ASSERT_EQUAL_FATAL(create_single(&f, 128, key128, &id), 0);
	CU_ASSERT_EQUAL(id, 0x100);
	CU_ASSERT_EQUAL(key_of(&f, id, key, &len), 0);
	CU_ASSERT_EQUAL(len, 16);
	TEST_ASSERT_BYTES("stored 128-bit key", key, key128, 16);

	/* QUERY: header zero, object: key_size 0 (byte 10), key_purpose 1 (byte 11), pd (13..15);
	 * key bytes are returned as zero (devx-userspace B6) */
	memset(want, 0, sizeof(want));
	want[16 + 11] = 0x01;
	want[16 + 13] = (uint8_t)(f.pd >> 16);
	want[16 + 14] = (uint8_t)(f.pd >> 8);
	want[16 + 15] = (uint8_t)f.pd;
	memset(out, 0x5a, sizeof(out));
	CU_ASSERT_EQUAL(query(&f, id, 0, out), 0);
	TEST_ASSERT_BYTES("QUERY 128-bit DEK", out, want, sizeof(out));
	sim_dev_destroy(f.dev);
}

static void test_single_256_opaque(void)
{
	struct fixture f;
	uint32_t in[DEK_IN_LEN / 4];
	uint8_t out[DEK_IN_LEN], want[DEK_IN_LEN], key[32];
	static const uint8_t opaque[8] = { 0xde, 0xad, 0xbe, 0xef, 0x01, 0x02, 0x03, 0x04 };
	size_t len = 0;
	uint32_t id = 0;

	CU_ASSERT_EQUAL_FATAL(fixture_init(&f, NULL), 0);
	dek_in(in, MLX5_CMD_OP_CREATE_GENERAL_OBJECT, 0, 0, f.pd, 256, key256);
	DEVX_SET64(create_encryption_key_in, in, obj.opaque, 0xdeadbeef01020304ull);
	CU_ASSERT_EQUAL_FATAL(exec_obj(&f, f.uid, in, sizeof(in), out, &id), 0);
	CU_ASSERT_EQUAL(key_of(&f, id, key, &len), 0);
	CU_ASSERT_EQUAL(len, 32);
	TEST_ASSERT_BYTES("stored 256-bit key", key, key256, 32);

	memset(want, 0, sizeof(want));
	want[16 + 10] = 0x01; /* key_size 256 */
	want[16 + 11] = 0x01;
	want[16 + 15] = (uint8_t)f.pd;
	memcpy(want + 16 + 48, opaque, 8);
	CU_ASSERT_EQUAL(query(&f, id, 0, out), 0);
	TEST_ASSERT_BYTES("QUERY 256-bit DEK", out, want, sizeof(out));
	sim_dev_destroy(f.dev);
}

static void test_short_object(void)
{
	struct fixture f;
	uint32_t in[DEK_IN_LEN / 4];
	uint8_t out[DEK_IN_LEN], key[32];
	size_t len;
	uint32_t id = 0;

	CU_ASSERT_EQUAL_FATAL(fixture_init(&f, NULL), 0);
	/* rdma-core's 256-byte object: the same bytes, just shorter (fact sheet 3.4) */
	dek_in(in, MLX5_CMD_OP_CREATE_GENERAL_OBJECT, 0, 0, f.pd, 256, key256);
	CU_ASSERT_EQUAL_FATAL(exec_obj(&f, f.uid, in, DEK_SHORT_IN_LEN, out, &id), 0);
	CU_ASSERT_EQUAL(key_of(&f, id, key, &len), 0);
	TEST_ASSERT_BYTES("short-object key", key, key256, 32);
	memset(out, 0x77, sizeof(out));
	CU_ASSERT_EQUAL(hdr_cmd(&f, f.uid, MLX5_CMD_OP_QUERY_GENERAL_OBJECT, id, 0, out,
				DEK_SHORT_IN_LEN), 0);
	CU_ASSERT_EQUAL(out[16 + 10], 0x01);
	CU_ASSERT_EQUAL(out[16 + 11], 0x01);
	CU_ASSERT_EQUAL(out[DEK_SHORT_IN_LEN - 1], 0);
	CU_ASSERT_EQUAL(out[DEK_SHORT_IN_LEN], 0x77); /* nothing written past outlen */

	/* and a bulk element keyed with a short MODIFY */
	{
		uint32_t base = 0;

		dek_in(in, MLX5_CMD_OP_CREATE_GENERAL_OBJECT, 0, 2, f.pd, 0, NULL);
		CU_ASSERT_EQUAL_FATAL(exec_obj(&f, f.uid, in, DEK_SHORT_IN_LEN, out, &base), 0);
		dek_in(in, MLX5_CMD_OP_MODIFY_GENERAL_OBJECT, base, 3, f.pd, 128, key128);
		CU_ASSERT_EQUAL(exec_obj(&f, f.uid, in, DEK_SHORT_IN_LEN, out, NULL), 0);
		CU_ASSERT_EQUAL(key_of(&f, base + 3, key, &len), 0);
		TEST_ASSERT_BYTES("short-modify key", key, key128, 16);
	}
	sim_dev_destroy(f.dev);
}

static void test_create_field_rejects(void)
{
	struct fixture f;
	uint32_t in[DEK_IN_LEN / 4];
	uint8_t out[16];
	uint8_t *b = (uint8_t *)in;

	CU_ASSERT_EQUAL_FATAL(fixture_init(&f, NULL), 0);
#define REJECT_CREATE(mutate, st, synd)                                                    \
	do {                                                                               \
		dek_in(in, MLX5_CMD_OP_CREATE_GENERAL_OBJECT, 0, 0, f.pd, 128, key128);     \
		mutate;                                                                    \
		CHECK_REJECT(exec_obj(&f, f.uid, in, sizeof(in), out, NULL), out, st, synd); \
	} while (0)

	REJECT_CREATE(DEVX_SET(create_encryption_key_in, in, obj.key_purpose, 2),
		      MLX5_CMD_STAT_BAD_PARAM_ERR, SIM_SYND_DEK_KEY_PURPOSE);
	REJECT_CREATE(DEVX_SET(create_encryption_key_in, in, obj.key_purpose, 0),
		      MLX5_CMD_STAT_BAD_PARAM_ERR, SIM_SYND_DEK_KEY_PURPOSE);
	REJECT_CREATE(DEVX_SET(create_encryption_key_in, in, obj.key_size, 2),
		      MLX5_CMD_STAT_BAD_PARAM_ERR, SIM_SYND_DEK_KEY_SIZE);
	/* 128-bit key with a byte in object 64..79 (command 80..95) */
	REJECT_CREATE(b[KEY_CMD_OFF + 15] = 1, MLX5_CMD_STAT_BAD_PARAM_ERR,
		      SIM_SYND_DEK_KEY128_MSB_SET);
	REJECT_CREATE(b[KEY_CMD_OFF] = 0x80, MLX5_CMD_STAT_BAD_PARAM_ERR,
		      SIM_SYND_DEK_KEY128_MSB_SET);
	/* key bytes past 32 (object 96..191) */
	REJECT_CREATE(b[KEY_CMD_OFF + 32] = 1, MLX5_CMD_STAT_BAD_PARAM_ERR,
		      SIM_SYND_DEK_KEY_TAIL_SET);
	REJECT_CREATE(b[KEY_CMD_OFF + 127] = 1, MLX5_CMD_STAT_BAD_PARAM_ERR,
		      SIM_SYND_DEK_KEY_TAIL_SET);
	REJECT_CREATE(DEVX_SET(create_encryption_key_in, in, obj.state, 1),
		      MLX5_CMD_STAT_BAD_PARAM_ERR, SIM_SYND_DEK_STATE_SET);
	REJECT_CREATE(DEVX_SET(create_encryption_key_in, in, obj.sw_wrapped, 1),
		      MLX5_CMD_STAT_BAD_PARAM_ERR, SIM_SYND_DEK_SW_WRAPPED_SET);
	/* sw_wrapped_dek: object bytes 192..319 = command 208..335 */
	REJECT_CREATE(b[16 + 192] = 1, MLX5_CMD_STAT_BAD_PARAM_ERR, SIM_SYND_DEK_SW_WRAPPED_SET);
	REJECT_CREATE(b[16 + 319] = 1, MLX5_CMD_STAT_BAD_PARAM_ERR, SIM_SYND_DEK_SW_WRAPPED_SET);
	REJECT_CREATE(DEVX_SET(create_encryption_key_in, in, obj.has_keytag, 1),
		      MLX5_CMD_STAT_BAD_PARAM_ERR, SIM_SYND_DEK_HAS_KEYTAG_SET);
	REJECT_CREATE(DEVX_SET64(create_encryption_key_in, in, obj.modify_field_select, 1),
		      MLX5_CMD_STAT_BAD_PARAM_ERR, SIM_SYND_DEK_MFS_ON_CREATE);
	REJECT_CREATE(DEVX_SET(create_encryption_key_in, in, hdr.vhca_tunnel_id, 1),
		      MLX5_CMD_STAT_BAD_PARAM_ERR, SIM_SYND_VHCA_TUNNEL_ID_SET);
	REJECT_CREATE(DEVX_SET(create_encryption_key_in, in, hdr.op_param.create.alias_object, 1),
		      MLX5_CMD_STAT_BAD_PARAM_ERR, SIM_SYND_ALIAS_OBJECT_SET);
	REJECT_CREATE(DEVX_SET(create_encryption_key_in, in, hdr.obj_id, 0x100),
		      MLX5_CMD_STAT_BAD_PARAM_ERR, SIM_SYND_OBJ_ID_ON_CREATE);
	REJECT_CREATE(DEVX_SET(create_encryption_key_in, in, obj.pd, 0), MLX5_CMD_STAT_BAD_RES_ERR,
		      SIM_SYND_PD_UNKNOWN);
	REJECT_CREATE(DEVX_SET(create_encryption_key_in, in, obj.pd, f.pd + 1),
		      MLX5_CMD_STAT_BAD_RES_ERR, SIM_SYND_PD_UNKNOWN);
	/* 256-bit keys may use object bytes 64..95 but not beyond */
	dek_in(in, MLX5_CMD_OP_CREATE_GENERAL_OBJECT, 0, 0, f.pd, 256, key256);
	b[KEY_CMD_OFF + 40] = 1;
	CHECK_REJECT(exec_obj(&f, f.uid, in, sizeof(in), out, NULL), out,
		     MLX5_CMD_STAT_BAD_PARAM_ERR, SIM_SYND_DEK_KEY_TAIL_SET);
#undef REJECT_CREATE
	{
		struct sim_dev_stats st;

		sim_dev_get_stats(f.dev, &st);
		CU_ASSERT_EQUAL(st.dek_objects, 0);
	}
	sim_dev_destroy(f.dev);
}

static void test_pd_of_other_uid(void)
{
	struct fixture f;
	uint32_t in[DEK_IN_LEN / 4];
	uint8_t out[16];
	uint16_t other;
	uint32_t other_pd;

	CU_ASSERT_EQUAL_FATAL(fixture_init(&f, NULL), 0);
	CU_ASSERT_EQUAL_FATAL(sim_uctx_alloc(f.dev, &other), 0);
	other_pd = new_num(f.dev, other, MLX5_CMD_OP_ALLOC_PD);
	dek_in(in, MLX5_CMD_OP_CREATE_GENERAL_OBJECT, 0, 0, other_pd, 128, key128);
	CHECK_REJECT(exec_obj(&f, f.uid, in, sizeof(in), out, NULL), out, MLX5_CMD_STAT_BAD_RES_ERR,
		     SIM_SYND_PD_NOT_OWNED);
	sim_dev_destroy(f.dev);
}

static void test_obj_type(void)
{
	static const uint16_t ops[] = {
		MLX5_CMD_OP_CREATE_GENERAL_OBJECT, MLX5_CMD_OP_MODIFY_GENERAL_OBJECT,
		MLX5_CMD_OP_QUERY_GENERAL_OBJECT, MLX5_CMD_OP_DESTROY_GENERAL_OBJECT,
	};
	struct fixture f, nc;

	CU_ASSERT_EQUAL_FATAL(fixture_init(&f, NULL), 0);
	CU_ASSERT_EQUAL_FATAL(fixture_init(&nc, "cx6dx-nocrypto"), 0);
	for (size_t i = 0; i < 4; i++) {
		uint32_t in[DEK_IN_LEN / 4];
		uint8_t out[DEK_IN_LEN];
		size_t inlen = ops[i] <= MLX5_CMD_OP_MODIFY_GENERAL_OBJECT ? DEK_IN_LEN : 16;
		size_t outlen = ops[i] == MLX5_CMD_OP_QUERY_GENERAL_OBJECT ? DEK_IN_LEN : 16;

		dek_in(in, ops[i], 0, 0, f.pd, 128, key128);
		/* IPSEC (0x13) is a real type, but not one the model implements */
		DEVX_SET(general_obj_in_cmd_hdr, in, obj_type, 0x13);
		CHECK_REJECT(sim_cmd_exec(f.dev, f.uid, in, inlen, out, outlen), out,
			     MLX5_CMD_STAT_BAD_PARAM_ERR, SIM_SYND_OBJ_TYPE_UNKNOWN);
		/* a card without the DEK type */
		dek_in(in, ops[i], 0x100, 0, nc.pd, 128, key128);
		if (ops[i] != MLX5_CMD_OP_MODIFY_GENERAL_OBJECT)
			DEVX_SET64(create_encryption_key_in, in, obj.modify_field_select, 0);
		CHECK_REJECT(sim_cmd_exec(nc.dev, nc.uid, in, inlen, out, outlen), out,
			     MLX5_CMD_STAT_BAD_PARAM_ERR, SIM_SYND_OBJ_TYPE_UNSUPPORTED);
	}
	sim_dev_destroy(f.dev);
	sim_dev_destroy(nc.dev);
}

static void test_lookup_rejects(void)
{
	struct fixture f;
	uint8_t out[DEK_IN_LEN];
	uint16_t other;
	uint32_t id, base;

	CU_ASSERT_EQUAL_FATAL(fixture_init(&f, NULL), 0);
	CU_ASSERT_EQUAL_FATAL(sim_uctx_alloc(f.dev, &other), 0);
	CU_ASSERT_EQUAL_FATAL(create_single(&f, 128, key128, &id), 0);
	CU_ASSERT_EQUAL_FATAL(create_bulk(&f, 3, &base), 0);

	CHECK_REJECT(hdr_cmd(&f, other, MLX5_CMD_OP_QUERY_GENERAL_OBJECT, id, 0, out, DEK_IN_LEN),
		     out, MLX5_CMD_STAT_BAD_RES_ERR, SIM_SYND_DEK_NOT_OWNED);
	CHECK_REJECT(hdr_cmd(&f, other, MLX5_CMD_OP_DESTROY_GENERAL_OBJECT, base, 0, out, 16), out,
		     MLX5_CMD_STAT_BAD_RES_ERR, SIM_SYND_DEK_NOT_OWNED);
	CHECK_REJECT(query(&f, 0, 0, out), out, MLX5_CMD_STAT_BAD_RES_ERR, SIM_SYND_DEK_UNKNOWN);
	CHECK_REJECT(query(&f, 0xffffffff, 0, out), out, MLX5_CMD_STAT_BAD_RES_ERR,
		     SIM_SYND_DEK_UNKNOWN);
	CHECK_REJECT(query(&f, base + 8, 0, out), out, MLX5_CMD_STAT_BAD_RES_ERR,
		     SIM_SYND_DEK_UNKNOWN);
	/* an element id is not an object id */
	CHECK_REJECT(query(&f, base + 1, 0, out), out, MLX5_CMD_STAT_BAD_RES_ERR,
		     SIM_SYND_DEK_NOT_BASE);
	CHECK_REJECT(destroy(&f, base + 7, out), out, MLX5_CMD_STAT_BAD_RES_ERR,
		     SIM_SYND_DEK_NOT_BASE);
	CHECK_REJECT(modify_key(&f, base + 2, 0, 128, key128, out), out, MLX5_CMD_STAT_BAD_RES_ERR,
		     SIM_SYND_DEK_NOT_BASE);
	/* offsets past the range */
	CHECK_REJECT(query(&f, base, 8, out), out, MLX5_CMD_STAT_BAD_PARAM_ERR,
		     SIM_SYND_DEK_OFFSET_OUT_OF_RANGE);
	CHECK_REJECT(query(&f, id, 1, out), out, MLX5_CMD_STAT_BAD_PARAM_ERR,
		     SIM_SYND_DEK_OFFSET_OUT_OF_RANGE);
	CHECK_REJECT(modify_key(&f, base, 8, 128, key128, out), out, MLX5_CMD_STAT_BAD_PARAM_ERR,
		     SIM_SYND_DEK_OFFSET_OUT_OF_RANGE);
	CHECK_REJECT(modify_key(&f, base, 0x7fffffff, 128, key128, out), out,
		     MLX5_CMD_STAT_BAD_PARAM_ERR, SIM_SYND_DEK_OFFSET_OUT_OF_RANGE);
	/* destroyed means unknown */
	CU_ASSERT_EQUAL(destroy(&f, id, out), 0);
	CHECK_REJECT(destroy(&f, id, out), out, MLX5_CMD_STAT_BAD_RES_ERR, SIM_SYND_DEK_UNKNOWN);
	CHECK_REJECT(query(&f, id, 0, out), out, MLX5_CMD_STAT_BAD_RES_ERR, SIM_SYND_DEK_UNKNOWN);
	/* DESTROY takes the header only: op_param is reserved there */
	CHECK_REJECT(hdr_cmd(&f, f.uid, MLX5_CMD_OP_DESTROY_GENERAL_OBJECT, base, 1, out, 16), out,
		     MLX5_CMD_STAT_BAD_PARAM_ERR, SIM_SYND_RESERVED_BITS_SET);
	sim_dev_destroy(f.dev);
}

/* ---- bulk DEKs ---- */

/* Fact sheet 14: the kernel's bulk CREATE (log_obj_range 12, TLS, pd 0x123), as raw bytes. */
static void test_golden_bulk_create_and_modify(void)
{
	static uint8_t create_in[DEK_IN_LEN], modify_in[DEK_IN_LEN];
	static const uint8_t create_head[32] = {
		0x0a, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0c,
		0x00, 0x00, 0x00, 0x00, 0x0c, 0x00, 0x00, 0x00,
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
		0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x01, 0x23,
	};
	/* MODIFY DEK (base 0x4000, offset 5, 128-bit key 10..1f), header + object bytes 0..15 */
	static const uint8_t modify_head[32] = {
		0x0a, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0c,
		0x00, 0x00, 0x40, 0x00, 0x00, 0x00, 0x00, 0x05,
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,
		0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x01, 0x23,
	};
	struct fixture f;
	uint8_t out[DEK_IN_LEN], key[32];
	uint32_t base[4], pd = 0;
	size_t len;

	CU_ASSERT_EQUAL_FATAL(fixture_init(&f, NULL), 0);
	/* PD numbers count up from 0x10: allocate until the vector's pd 0x123 exists */
	while (pd < 0x123)
		pd = new_num(f.dev, f.uid, MLX5_CMD_OP_ALLOC_PD);
	CU_ASSERT_EQUAL_FATAL(pd, 0x123);

	memcpy(create_in, create_head, sizeof(create_head));
	/* bulks of 4096 are 4096-aligned and handed out upward from the first DEK id */
	for (int i = 0; i < 4; i++) {
		CU_ASSERT_EQUAL_FATAL(
			sim_cmd_exec(f.dev, f.uid, create_in, sizeof(create_in), out, 16), 0);
		base[i] = be32_at(out + 8);
		CU_ASSERT_EQUAL(base[i], 0x1000u * (uint32_t)(i + 1));
	}
	memcpy(modify_in, modify_head, sizeof(modify_head));
	memcpy(modify_in + 0x60, key128, 16);
	CU_ASSERT_EQUAL(sim_cmd_exec(f.dev, f.uid, modify_in, sizeof(modify_in), out, 16), 0);
	CU_ASSERT_EQUAL(sim_dek_get_key(f.dev, 0x4005, key, &len), 0);
	CU_ASSERT_EQUAL(len, 16);
	TEST_ASSERT_BYTES("bulk element key", key, key128, 16);
	CU_ASSERT_EQUAL(sim_dek_get_key(f.dev, 0x4004, key, &len), -ENOENT);
	CU_ASSERT_EQUAL(sim_dek_get_key(f.dev, 0x3005, key, &len), -ENOENT);
	sim_dev_destroy(f.dev);
}

static void test_bulk_elements(void)
{
	struct fixture f;
	uint8_t out[DEK_IN_LEN], key[32];
	uint32_t base;
	size_t len;
	struct sim_dev_stats st;

	CU_ASSERT_EQUAL_FATAL(fixture_init(&f, NULL), 0);
	CU_ASSERT_EQUAL_FATAL(create_bulk(&f, 4, &base), 0);
	CU_ASSERT_EQUAL(base % 16, 0);
	CU_ASSERT(base >= 0x100);
	sim_dev_get_stats(f.dev, &st);
	CU_ASSERT_EQUAL(st.dek_objects, 1);
	CU_ASSERT_EQUAL(st.deks, 16);

	CU_ASSERT_EQUAL(modify_key(&f, base, 5, 256, key256, out), 0);
	CU_ASSERT_EQUAL(modify_key(&f, base, 15, 128, key128, out), 0);
	CU_ASSERT_EQUAL(key_of(&f, base + 5, key, &len), 0);
	CU_ASSERT_EQUAL(len, 32);
	TEST_ASSERT_BYTES("element 5", key, key256, 32);
	CU_ASSERT_EQUAL(key_of(&f, base + 15, key, &len), 0);
	CU_ASSERT_EQUAL(len, 16);
	TEST_ASSERT_BYTES("element 15", key, key128, 16);
	CU_ASSERT_EQUAL(key_of(&f, base + 6, key, &len), -ENOENT);
	CU_ASSERT_EQUAL(key_of(&f, base + 16, key, &len), -ENOENT);

	/* QUERY per element: its key_size; never keyed reports 0; no key bytes ever */
	CU_ASSERT_EQUAL(query(&f, base, 5, out), 0);
	CU_ASSERT_EQUAL(out[16 + 10], 0x01);
	CU_ASSERT_EQUAL(out[16 + 11], 0x01);
	{
		static const uint8_t zero[128];

		TEST_ASSERT_BYTES("queried key field", out + KEY_CMD_OFF, zero, sizeof(zero));
	}
	CU_ASSERT_EQUAL(query(&f, base, 6, out), 0);
	CU_ASSERT_EQUAL(out[16 + 10], 0x00);
	CU_ASSERT_EQUAL(out[16 + 11], 0x01);
	CU_ASSERT_EQUAL(out[16 + 15], (uint8_t)f.pd);

	/* DESTROY of the base takes the whole bulk */
	CU_ASSERT_EQUAL(destroy(&f, base, out), 0);
	sim_dev_get_stats(f.dev, &st);
	CU_ASSERT_EQUAL(st.dek_objects, 0);
	CU_ASSERT_EQUAL(st.deks, 0);
	CU_ASSERT_EQUAL(key_of(&f, base + 5, key, &len), -ENOENT);
	sim_dev_destroy(f.dev);
}

static void test_bulk_rejects(void)
{
	struct fixture f;
	uint32_t in[DEK_IN_LEN / 4];
	uint8_t out[16];
	uint32_t base;

	CU_ASSERT_EQUAL_FATAL(fixture_init(&f, NULL), 0);
	/* cx6dx: log_dek_max_alloc = 12 */
	CU_ASSERT_EQUAL(create_bulk(&f, 12, &base), 0);
	dek_in(in, MLX5_CMD_OP_CREATE_GENERAL_OBJECT, 0, 13, f.pd, 0, NULL);
	CHECK_REJECT(exec_obj(&f, f.uid, in, sizeof(in), out, NULL), out,
		     MLX5_CMD_STAT_BAD_PARAM_ERR, SIM_SYND_DEK_RANGE_TOO_LARGE);
	/* a bulk is created empty */
	dek_in(in, MLX5_CMD_OP_CREATE_GENERAL_OBJECT, 0, 2, f.pd, 128, key128);
	CHECK_REJECT(exec_obj(&f, f.uid, in, sizeof(in), out, NULL), out,
		     MLX5_CMD_STAT_BAD_PARAM_ERR, SIM_SYND_DEK_BULK_WITH_KEY);
	dek_in(in, MLX5_CMD_OP_CREATE_GENERAL_OBJECT, 0, 2, f.pd, 0, NULL);
	DEVX_SET(create_encryption_key_in, in, obj.key_size, 1);
	CHECK_REJECT(exec_obj(&f, f.uid, in, sizeof(in), out, NULL), out,
		     MLX5_CMD_STAT_BAD_PARAM_ERR, SIM_SYND_DEK_BULK_WITH_KEY);
	dek_in(in, MLX5_CMD_OP_CREATE_GENERAL_OBJECT, 0, 2, f.pd, 0, NULL);
	((uint8_t *)in)[KEY_CMD_OFF + 100] = 1;
	CHECK_REJECT(exec_obj(&f, f.uid, in, sizeof(in), out, NULL), out,
		     MLX5_CMD_STAT_BAD_PARAM_ERR, SIM_SYND_DEK_BULK_WITH_KEY);
	sim_dev_destroy(f.dev);

	CU_ASSERT_EQUAL_FATAL(fixture_init(&f, "cx6dx,log_dek_max_alloc=0"), 0);
	dek_in(in, MLX5_CMD_OP_CREATE_GENERAL_OBJECT, 0, 1, f.pd, 0, NULL);
	CHECK_REJECT(exec_obj(&f, f.uid, in, sizeof(in), out, NULL), out,
		     MLX5_CMD_STAT_BAD_PARAM_ERR, SIM_SYND_DEK_RANGE_TOO_LARGE);
	sim_dev_destroy(f.dev);
}

static void test_legacy_profile(void)
{
	struct fixture f;
	uint32_t in[DEK_IN_LEN / 4];
	uint8_t out[16];
	uint32_t id = 0;

	CU_ASSERT_EQUAL_FATAL(fixture_init(&f, "cx6dx-legacy"), 0);
	CU_ASSERT_EQUAL(create_single(&f, 128, key128, &id), 0);
	dek_in(in, MLX5_CMD_OP_CREATE_GENERAL_OBJECT, 0, 1, f.pd, 0, NULL);
	CHECK_REJECT(exec_obj(&f, f.uid, in, sizeof(in), out, NULL), out,
		     MLX5_CMD_STAT_BAD_PARAM_ERR, SIM_SYND_DEK_BULK_UNSUPPORTED);
	/* no SYNC_CRYPTO on that firmware: the opcode is unknown to it */
	CHECK_REJECT(sync_crypto(&f, MLX5_SYNC_CRYPTO_TYPE_TLS, out), out, MLX5_CMD_STAT_BAD_OP_ERR,
		     SIM_SYND_OPCODE_NOT_IN_PROFILE);
	/* hence a single DEK can never be re-keyed there */
	CHECK_REJECT(modify_key(&f, id, 0, 128, key128, out), out, MLX5_CMD_STAT_BAD_RES_STATE_ERR,
		     SIM_SYND_DEK_REKEY_BEFORE_SYNC);
	sim_dev_destroy(f.dev);

	CU_ASSERT_EQUAL_FATAL(fixture_init(&f, "cx6dx-nocrypto"), 0);
	CHECK_REJECT(sync_crypto(&f, MLX5_SYNC_CRYPTO_TYPE_ALL, out), out, MLX5_CMD_STAT_BAD_OP_ERR,
		     SIM_SYND_OPCODE_NOT_IN_PROFILE);
	sim_dev_destroy(f.dev);
}

static const struct test_case single_cases[] = {
	{ "single 128-bit", test_single_128 },
	{ "single 256-bit with opaque", test_single_256_opaque },
	{ "256-byte object layout", test_short_object },
	{ "create field rejects", test_create_field_rejects },
	{ "PD of another uid", test_pd_of_other_uid },
	{ "object type", test_obj_type },
	{ "lookup rejects", test_lookup_rejects },
	{ NULL, NULL },
};

static const struct test_case bulk_cases[] = {
	{ "golden bulk create and modify", test_golden_bulk_create_and_modify },
	{ "bulk elements", test_bulk_elements },
	{ "bulk rejects", test_bulk_rejects },
	{ "legacy and nocrypto profiles", test_legacy_profile },
	{ NULL, NULL },
};

static const struct test_suite suites[] = {
	{ "sim DEK single", NULL, NULL, single_cases },
	{ "sim DEK bulk", NULL, NULL, bulk_cases },
	{ NULL, NULL, NULL, NULL },
};

int main(void)
{
	return test_run_suites(suites);
}
