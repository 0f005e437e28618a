/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Device model: the DEK (ENCRYPTION_KEY general object, type 0xc) — single and bulk CREATE,
 * MODIFY (key load per element), QUERY, DESTROY, SYNC_CRYPTO epochs and limits
 * (fact sheet 3.4-3.6, 12, 14).
 */
#include <errno.h>
#include <string.h>

#include "prm/mlx5_ifc_tls.h"
#include "sim/sim.h"
#include "sim/syndromes.h"
#include "sim_test_util.h"
#include "test_util.h"

#define DEK_IN_LEN 528        /* 16-byte header + 512-byte object */
#define DEK_SHORT_IN_LEN 272  /* 16-byte header + 256-byte object */
#define KEY_CMD_OFF 80        /* key field at object byte 64 = command byte 80 */

static uint32_t be32_at(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static const uint8_t key128[16] = { 0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17,
				    0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f };
static const uint8_t key256[32] = { 0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7,
				    0xa8, 0xa9, 0xaa, 0xab, 0xac, 0xad, 0xae, 0xaf,
				    0xb0, 0xb1, 0xb2, 0xb3, 0xb4, 0xb5, 0xb6, 0xb7,
				    0xb8, 0xb9, 0xba, 0xbb, 0xbc, 0xbd, 0xbe, 0xbf };

struct fixture {
	struct sim_dev *dev;
	uint16_t uid;
	uint32_t pd;
};

static int fixture_init(struct fixture *f, const char *spec)
{
	memset(f, 0, sizeof(*f));
	f->dev = sim_dev_create(spec);
	if (!f->dev || sim_uctx_alloc(f->dev, &f->uid))
		return -1;
	f->pd = new_num(f->dev, f->uid, MLX5_CMD_OP_ALLOC_PD);
	return f->pd ? 0 : -1;
}

/* A CREATE or MODIFY mailbox (as uint32_t[132]) with header and object fields for TLS. */
static void dek_in(uint32_t *in, uint16_t opcode, uint32_t obj_id, uint32_t offset_or_range,
		   uint32_t pd, int key_bits, const uint8_t *key)
{
	memset(in, 0, DEK_IN_LEN);
	DEVX_SET(create_encryption_key_in, in, hdr.opcode, opcode);
	DEVX_SET(create_encryption_key_in, in, hdr.obj_type, MLX5_GENERAL_OBJECT_TYPES_ENCRYPTION_KEY);
	DEVX_SET(create_encryption_key_in, in, hdr.obj_id, obj_id);
	if (opcode == MLX5_CMD_OP_CREATE_GENERAL_OBJECT) {
		DEVX_SET(create_encryption_key_in, in, hdr.op_param.create.log_obj_range,
			 offset_or_range);
	} else {
		DEVX_SET(modify_encryption_key_in, in, hdr.op_param.query.obj_offset, offset_or_range);
		DEVX_SET64(modify_encryption_key_in, in, obj.modify_field_select, 1);
	}
	DEVX_SET(create_encryption_key_in, in, obj.key_purpose, MLX5_ENCRYPTION_KEY_OBJ_KEY_PURPOSE_TLS);
	DEVX_SET(create_encryption_key_in, in, obj.pd, pd);
	if (key_bits == 256) {
		DEVX_SET(create_encryption_key_in, in, obj.key_size, MLX5_ENCRYPTION_KEY_OBJ_KEY_SIZE_256);
		memcpy((uint8_t *)in + KEY_CMD_OFF, key, 32);
	} else if (key_bits == 128) {
		/* fact sheet 3.4: a 128-bit key goes to key[1], command byte 96 */
		memcpy((uint8_t *)in + KEY_CMD_OFF + 16, key, 16);
	}
}

static int exec_obj(struct fixture *f, uint16_t uid, const uint32_t *in, size_t inlen,
		    uint8_t *out, uint32_t *obj_id)
{
	int ret = sim_cmd_exec(f->dev, uid, in, inlen, out, 16);

	if (!ret && obj_id)
		*obj_id = be32_at(out + 8);
	return ret;
}

static int create_single(struct fixture *f, int key_bits, const uint8_t *key, uint32_t *id)
{
	uint32_t in[DEK_IN_LEN / 4];
	uint8_t out[16];

	dek_in(in, MLX5_CMD_OP_CREATE_GENERAL_OBJECT, 0, 0, f->pd, key_bits, key);
	return exec_obj(f, f->uid, in, sizeof(in), out, id);
}

static int create_bulk(struct fixture *f, uint32_t log_range, uint32_t *base)
{
	uint32_t in[DEK_IN_LEN / 4];
	uint8_t out[16];

	dek_in(in, MLX5_CMD_OP_CREATE_GENERAL_OBJECT, 0, log_range, f->pd, 0, NULL);
	return exec_obj(f, f->uid, in, sizeof(in), out, base);
}

static int modify_key(struct fixture *f, uint32_t base, uint32_t offset, int key_bits,
		      const uint8_t *key, uint8_t *out)
{
	uint32_t in[DEK_IN_LEN / 4];

	dek_in(in, MLX5_CMD_OP_MODIFY_GENERAL_OBJECT, base, offset, f->pd, key_bits, key);
	return exec_obj(f, f->uid, in, sizeof(in), out, NULL);
}

static int hdr_cmd(struct fixture *f, uint16_t uid, uint16_t opcode, uint32_t id, uint32_t offset,
		   void *out, size_t outlen)
{
	uint32_t in[4] = { 0 };

	DEVX_SET(general_obj_in_cmd_hdr, in, opcode, opcode);
	DEVX_SET(general_obj_in_cmd_hdr, in, obj_type, MLX5_GENERAL_OBJECT_TYPES_ENCRYPTION_KEY);
	DEVX_SET(general_obj_in_cmd_hdr, in, obj_id, id);
	DEVX_SET(general_obj_in_cmd_hdr, in, op_param.query.obj_offset, offset);
	return sim_cmd_exec(f->dev, uid, in, sizeof(in), out, outlen);
}

static int query(struct fixture *f, uint32_t id, uint32_t offset, uint8_t *out)
{
	return hdr_cmd(f, f->uid, MLX5_CMD_OP_QUERY_GENERAL_OBJECT, id, offset, out, DEK_IN_LEN);
}

static int destroy(struct fixture *f, uint32_t id, uint8_t *out)
{
	return hdr_cmd(f, f->uid, MLX5_CMD_OP_DESTROY_GENERAL_OBJECT, id, 0, out, 16);
}

static int sync_crypto(struct fixture *f, uint32_t crypto_type, uint8_t *out)
{
	uint32_t in[DEVX_ST_SZ_DW(sync_crypto_in)] = { 0 };

	DEVX_SET(sync_crypto_in, in, opcode, MLX5_CMD_OP_SYNC_CRYPTO);
	DEVX_SET(sync_crypto_in, in, crypto_type, crypto_type);
	return sim_cmd_exec(f->dev, f->uid, in, sizeof(in), out, 16);
}

static int key_of(struct fixture *f, uint32_t id, uint8_t *key, size_t *len)
{
	return sim_dek_get_key(f->dev, id, key, len);
}

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
	REJECT_CREATE(b[KEY_CMD_OFF + 32] = 1, MLX5_CMD_STAT_BAD_PARAM_ERR, SIM_SYND_DEK_KEY_TAIL_SET);
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
	CHECK_REJECT(exec_obj(&f, f.uid, in, sizeof(in), out, NULL), out, MLX5_CMD_STAT_BAD_PARAM_ERR,
		     SIM_SYND_DEK_KEY_TAIL_SET);
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
		0x0a, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0c, 0x00, 0x00, 0x00, 0x00, 0x0c, 0x00, 0x00, 0x00,
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x01, 0x23,
	};
	/* MODIFY DEK (base 0x4000, offset 5, 128-bit key 10..1f), header + object bytes 0..15 */
	static const uint8_t modify_head[32] = {
		0x0a, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0c, 0x00, 0x00, 0x40, 0x00, 0x00, 0x00, 0x00, 0x05,
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x01, 0x23,
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
		CU_ASSERT_EQUAL_FATAL(sim_cmd_exec(f.dev, f.uid, create_in, sizeof(create_in), out, 16), 0);
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

/* ---- MODIFY and SYNC_CRYPTO ---- */

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
	static const uint8_t in[32] = { 0x0b, 0x12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x00, 0x02 };
	static const uint8_t want[16];
	struct fixture f;
	uint8_t out[16];

	CU_ASSERT_EQUAL_FATAL(fixture_init(&f, NULL), 0);
	memset(out, 0xff, sizeof(out));
	CU_ASSERT_EQUAL(sim_cmd_exec(f.dev, f.uid, in, sizeof(in), out, sizeof(out)), 0);
	TEST_ASSERT_BYTES("SYNC_CRYPTO out", out, want, sizeof(out));
	sim_dev_destroy(f.dev);
}

/* ---- limits, id space, teardown ---- */

static void test_dek_limit(void)
{
	struct fixture f;
	uint32_t in[DEK_IN_LEN / 4];
	uint8_t out[16];
	uint32_t b1, b2, id;

	CU_ASSERT_EQUAL_FATAL(fixture_init(&f, "cx6dx,log_max_dek=4"), 0);
	CU_ASSERT_EQUAL_FATAL(create_bulk(&f, 3, &b1), 0);
	CU_ASSERT_EQUAL_FATAL(create_bulk(&f, 3, &b2), 0);
	dek_in(in, MLX5_CMD_OP_CREATE_GENERAL_OBJECT, 0, 0, f.pd, 128, key128);
	CHECK_REJECT(exec_obj(&f, f.uid, in, sizeof(in), out, NULL), out, MLX5_CMD_STAT_LIM_ERR,
		     SIM_SYND_DEK_LIMIT);
	CU_ASSERT_EQUAL(destroy(&f, b1, out), 0);
	/* 8 ids free again: a bulk of 16 still does not fit, a single does */
	dek_in(in, MLX5_CMD_OP_CREATE_GENERAL_OBJECT, 0, 4, f.pd, 0, NULL);
	CHECK_REJECT(exec_obj(&f, f.uid, in, sizeof(in), out, NULL), out, MLX5_CMD_STAT_LIM_ERR,
		     SIM_SYND_DEK_LIMIT);
	CU_ASSERT_EQUAL(create_single(&f, 128, key128, &id), 0);
	sim_dev_destroy(f.dev);
}

static void test_id_allocation(void)
{
	struct fixture f;
	uint8_t out[16];
	uint32_t s1, bulk, s2, s3;

	CU_ASSERT_EQUAL_FATAL(fixture_init(&f, NULL), 0);
	CU_ASSERT_EQUAL_FATAL(create_single(&f, 128, key128, &s1), 0);
	CU_ASSERT_EQUAL(s1, 0x100);
	/* a bulk of 16 takes the next 16-aligned run */
	CU_ASSERT_EQUAL_FATAL(create_bulk(&f, 4, &bulk), 0);
	CU_ASSERT_EQUAL(bulk, 0x110);
	CU_ASSERT_EQUAL_FATAL(create_single(&f, 128, key128, &s2), 0);
	CU_ASSERT_EQUAL(s2, 0x120);
	/* freed ids are not reused right away */
	CU_ASSERT_EQUAL(destroy(&f, s1, out), 0);
	CU_ASSERT_EQUAL_FATAL(create_single(&f, 128, key128, &s3), 0);
	CU_ASSERT_EQUAL(s3, 0x121);
	sim_dev_destroy(f.dev);
}

static void test_id_space_exhausted(void)
{
	struct fixture f;
	uint32_t in[DEK_IN_LEN / 4];
	uint8_t out[16];
	uint32_t big, s, big2;

	/* A bulk of 2^23 ids must be 2^23-aligned: only 0x800000 fits in the 24-bit space. */
	CU_ASSERT_EQUAL_FATAL(fixture_init(&f, "cx6dx,log_dek_max_alloc=23,log_max_dek=25"), 0);
	CU_ASSERT_EQUAL_FATAL(create_bulk(&f, 23, &big), 0);
	CU_ASSERT_EQUAL(big, 0x800000);
	dek_in(in, MLX5_CMD_OP_CREATE_GENERAL_OBJECT, 0, 23, f.pd, 0, NULL);
	CHECK_REJECT(exec_obj(&f, f.uid, in, sizeof(in), out, NULL), out, MLX5_CMD_STAT_LIM_ERR,
		     SIM_SYND_NUMBER_SPACE_EXHAUSTED);
	/* the space wrapped: a single goes low */
	CU_ASSERT_EQUAL_FATAL(create_single(&f, 128, key128, &s), 0);
	CU_ASSERT_EQUAL(s, 0x100);
	/* elements reach the top of the space (queried, not keyed: keying one element would
	 * allocate the key storage of all 2^23) */
	{
		static uint8_t qout[DEK_IN_LEN];

		CU_ASSERT_EQUAL(query(&f, big, 0x7fffff, qout), 0);
		CHECK_REJECT(query(&f, big, 0x800000, qout), qout, MLX5_CMD_STAT_BAD_PARAM_ERR,
			     SIM_SYND_DEK_OFFSET_OUT_OF_RANGE);
		CHECK_REJECT(query(&f, 0xffffff, 0, qout), qout, MLX5_CMD_STAT_BAD_RES_ERR,
			     SIM_SYND_DEK_NOT_BASE);
		CHECK_REJECT(query(&f, 0x1000000, 0, qout), qout, MLX5_CMD_STAT_BAD_RES_ERR,
			     SIM_SYND_DEK_UNKNOWN);
	}
	CU_ASSERT_EQUAL(destroy(&f, big, out), 0);
	CU_ASSERT_EQUAL(create_bulk(&f, 23, &big2), 0);
	CU_ASSERT_EQUAL(big2, 0x800000);
	sim_dev_destroy(f.dev);
}

static void test_uctx_free_wipes(void)
{
	struct fixture f;
	uint8_t out[16], key[32];
	uint32_t id = 0, base;
	size_t len;
	struct sim_dev_stats st;

	CU_ASSERT_EQUAL_FATAL(fixture_init(&f, NULL), 0);
	CU_ASSERT_EQUAL_FATAL(create_single(&f, 256, key256, &id), 0);
	CU_ASSERT_EQUAL_FATAL(create_bulk(&f, 5, &base), 0);
	CU_ASSERT_EQUAL(modify_key(&f, base, 31, 128, key128, out), 0);
	sim_uctx_free(f.dev, f.uid);
	sim_dev_get_stats(f.dev, &st);
	CU_ASSERT_EQUAL(st.dek_objects, 0);
	CU_ASSERT_EQUAL(st.deks, 0);
	CU_ASSERT_EQUAL(st.pds, 0); /* after the DEKs that referenced it */
	CU_ASSERT_EQUAL(key_of(&f, id, key, &len), -ENOENT);
	CU_ASSERT_EQUAL(key_of(&f, base + 31, key, &len), -ENOENT);
	/* the uid is gone */
	CHECK_REJECT(destroy(&f, id, out), out, MLX5_CMD_STAT_BAD_PARAM_ERR, SIM_SYND_UID_INVALID);
	sim_dev_destroy(f.dev);
}

/* One million DEK ids in bulks of 4096, every element keyed once, all looked up again. */
static void test_million_deks(void)
{
	enum { LOG_BULK = 12, BULKS = 245 }; /* 245 * 4096 = 1,003,520 */
	struct fixture f;
	uint32_t in[DEK_IN_LEN / 4];
	uint8_t out[16], key[32], want[16];
	static uint32_t base[BULKS];
	struct sim_dev_stats st;
	int ok = 1;
	size_t len;

	CU_ASSERT_EQUAL_FATAL(fixture_init(&f, NULL), 0);
	for (int b = 0; b < BULKS && ok; b++)
		ok = create_bulk(&f, LOG_BULK, &base[b]) == 0;
	CU_ASSERT_FATAL(ok);
	sim_dev_get_stats(f.dev, &st);
	CU_ASSERT_EQUAL(st.dek_objects, BULKS);
	CU_ASSERT_EQUAL(st.deks, BULKS << LOG_BULK);

	dek_in(in, MLX5_CMD_OP_MODIFY_GENERAL_OBJECT, 0, 0, f.pd, 128, key128);
	for (int b = 0; b < BULKS && ok; b++) {
		DEVX_SET(modify_encryption_key_in, in, hdr.obj_id, base[b]);
		for (uint32_t i = 0; i < (1u << LOG_BULK) && ok; i++) {
			uint32_t id = base[b] + i;

			/* a key unique to the element: its id in the last 4 bytes */
			DEVX_SET(modify_encryption_key_in, in, hdr.op_param.query.obj_offset, i);
			memcpy((uint8_t *)in + KEY_CMD_OFF + 28, &id, 4);
			ok = exec_obj(&f, f.uid, in, sizeof(in), out, NULL) == 0;
		}
	}
	CU_ASSERT_FATAL(ok);
	memcpy(want, key128, 16);
	for (int b = 0; b < BULKS && ok; b++) {
		for (uint32_t i = 0; i < (1u << LOG_BULK) && ok; i++) {
			uint32_t id = base[b] + i;

			memcpy(want + 12, &id, 4);
			ok = key_of(&f, id, key, &len) == 0 && len == 16 && !memcmp(key, want, 16);
		}
	}
	CU_ASSERT(ok);
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

static const struct test_case modify_cases[] = {
	{ "modify field rejects", test_modify_field_rejects },
	{ "modify ignores pd and opaque", test_modify_ignores_pd_and_opaque },
	{ "re-key needs SYNC_CRYPTO", test_rekey_needs_sync },
	{ "SYNC_CRYPTO rejects", test_sync_rejects },
	{ "golden SYNC_CRYPTO", test_golden_sync },
	{ NULL, NULL },
};

static const struct test_case scale_cases[] = {
	{ "DEK limit", test_dek_limit },
	{ "id allocation", test_id_allocation },
	{ "id space exhausted", test_id_space_exhausted },
	{ "uctx free wipes", test_uctx_free_wipes },
	{ "a million DEKs", test_million_deks },
	{ NULL, NULL },
};

static const struct test_suite suites[] = {
	{ "sim DEK single", NULL, NULL, single_cases },
	{ "sim DEK bulk", NULL, NULL, bulk_cases },
	{ "sim DEK modify and sync", NULL, NULL, modify_cases },
	{ "sim DEK limits and scale", NULL, NULL, scale_cases },
	{ NULL, NULL, NULL, NULL },
};

int main(void)
{
	return test_run_suites(suites);
}
