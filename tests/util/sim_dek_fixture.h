/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The fixture of the device-model DEK tests (tests/test_sim_dek*.c): a model device with a uid
 * and a PD, and the ENCRYPTION_KEY general object's commands (type 0xc: CREATE single and bulk,
 * MODIFY, QUERY, DESTROY, SYNC_CRYPTO) written into mailboxes with the PRM layouts (fact sheet
 * 3.4-3.6).
 *
 * Header-only, as sim_test_util.h: only programs that link the model include it.
 */
#ifndef MLX5TLS_SIM_DEK_FIXTURE_H
#define MLX5TLS_SIM_DEK_FIXTURE_H

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

static inline uint32_t be32_at(const uint8_t *p)
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

static inline int fixture_init(struct fixture *f, const char *spec)
{
	memset(f, 0, sizeof(*f));
	f->dev = sim_dev_create(spec);
	if (!f->dev || sim_uctx_alloc(f->dev, &f->uid))
		return -1;
	f->pd = new_num(f->dev, f->uid, MLX5_CMD_OP_ALLOC_PD);
	return f->pd ? 0 : -1;
}

/* A CREATE or MODIFY mailbox (as uint32_t[132]) with header and object fields for TLS. */
static inline void dek_in(uint32_t *in, uint16_t opcode, uint32_t obj_id, uint32_t offset_or_range,
			  uint32_t pd, int key_bits, const uint8_t *key)
{
	memset(in, 0, DEK_IN_LEN);
	DEVX_SET(create_encryption_key_in, in, hdr.opcode, opcode);
	DEVX_SET(create_encryption_key_in, in, hdr.obj_type,
		 MLX5_GENERAL_OBJECT_TYPES_ENCRYPTION_KEY);
	DEVX_SET(create_encryption_key_in, in, hdr.obj_id, obj_id);
	if (opcode == MLX5_CMD_OP_CREATE_GENERAL_OBJECT) {
		DEVX_SET(create_encryption_key_in, in, hdr.op_param.create.log_obj_range,
			 offset_or_range);
	} else {
		DEVX_SET(modify_encryption_key_in, in, hdr.op_param.query.obj_offset,
			 offset_or_range);
		DEVX_SET64(modify_encryption_key_in, in, obj.modify_field_select, 1);
	}
	DEVX_SET(create_encryption_key_in, in, obj.key_purpose,
		 MLX5_ENCRYPTION_KEY_OBJ_KEY_PURPOSE_TLS);
	DEVX_SET(create_encryption_key_in, in, obj.pd, pd);
	if (key_bits == 256) {
		DEVX_SET(create_encryption_key_in, in, obj.key_size,
			 MLX5_ENCRYPTION_KEY_OBJ_KEY_SIZE_256);
		memcpy((uint8_t *)in + KEY_CMD_OFF, key, 32);
	} else if (key_bits == 128) {
		/* fact sheet 3.4: a 128-bit key goes to key[1], command byte 96 */
		memcpy((uint8_t *)in + KEY_CMD_OFF + 16, key, 16);
	}
}

static inline int exec_obj(struct fixture *f, uint16_t uid, const uint32_t *in, size_t inlen,
			   uint8_t *out, uint32_t *obj_id)
{
	int ret = sim_cmd_exec(f->dev, uid, in, inlen, out, 16);

	/* 0 on failure too: inlined into a case, GCC cannot see that a failed FATAL assert
	 * returns before the id is read (-Wmaybe-uninitialized) */
	if (obj_id)
		*obj_id = ret ? 0 : be32_at(out + 8);
	return ret;
}

static inline int create_single(struct fixture *f, int key_bits, const uint8_t *key, uint32_t *id)
{
	uint32_t in[DEK_IN_LEN / 4];
	uint8_t out[16];

	dek_in(in, MLX5_CMD_OP_CREATE_GENERAL_OBJECT, 0, 0, f->pd, key_bits, key);
	return exec_obj(f, f->uid, in, sizeof(in), out, id);
}

static inline int create_bulk(struct fixture *f, uint32_t log_range, uint32_t *base)
{
	uint32_t in[DEK_IN_LEN / 4];
	uint8_t out[16];

	dek_in(in, MLX5_CMD_OP_CREATE_GENERAL_OBJECT, 0, log_range, f->pd, 0, NULL);
	return exec_obj(f, f->uid, in, sizeof(in), out, base);
}

static inline int modify_key(struct fixture *f, uint32_t base, uint32_t offset, int key_bits,
			     const uint8_t *key, uint8_t *out)
{
	uint32_t in[DEK_IN_LEN / 4];

	dek_in(in, MLX5_CMD_OP_MODIFY_GENERAL_OBJECT, base, offset, f->pd, key_bits, key);
	return exec_obj(f, f->uid, in, sizeof(in), out, NULL);
}

static inline int hdr_cmd(struct fixture *f, uint16_t uid, uint16_t opcode, uint32_t id,
			  uint32_t offset, void *out, size_t outlen)
{
	uint32_t in[4] = { 0 };

	DEVX_SET(general_obj_in_cmd_hdr, in, opcode, opcode);
	DEVX_SET(general_obj_in_cmd_hdr, in, obj_type, MLX5_GENERAL_OBJECT_TYPES_ENCRYPTION_KEY);
	DEVX_SET(general_obj_in_cmd_hdr, in, obj_id, id);
	DEVX_SET(general_obj_in_cmd_hdr, in, op_param.query.obj_offset, offset);
	return sim_cmd_exec(f->dev, uid, in, sizeof(in), out, outlen);
}

static inline int query(struct fixture *f, uint32_t id, uint32_t offset, uint8_t *out)
{
	return hdr_cmd(f, f->uid, MLX5_CMD_OP_QUERY_GENERAL_OBJECT, id, offset, out, DEK_IN_LEN);
}

static inline int destroy(struct fixture *f, uint32_t id, uint8_t *out)
{
	return hdr_cmd(f, f->uid, MLX5_CMD_OP_DESTROY_GENERAL_OBJECT, id, 0, out, 16);
}

static inline int sync_crypto(struct fixture *f, uint32_t crypto_type, uint8_t *out)
{
	uint32_t in[DEVX_ST_SZ_DW(sync_crypto_in)] = { 0 };

	DEVX_SET(sync_crypto_in, in, opcode, MLX5_CMD_OP_SYNC_CRYPTO);
	DEVX_SET(sync_crypto_in, in, crypto_type, crypto_type);
	return sim_cmd_exec(f->dev, f->uid, in, sizeof(in), out, 16);
}

static inline int key_of(struct fixture *f, uint32_t id, uint8_t *key, size_t *len)
{
	return sim_dek_get_key(f->dev, id, key, len);
}

#endif
