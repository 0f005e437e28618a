/* SPDX-License-Identifier: BSD-3-Clause */
#include "dek_cmd.h"

static void encode_hdr(uint8_t *in, uint16_t opcode, uint32_t obj_id)
{
	DEVX_SET(general_obj_in_cmd_hdr, in, opcode, opcode);
	DEVX_SET(general_obj_in_cmd_hdr, in, obj_type, MLX5_GENERAL_OBJECT_TYPES_ENCRYPTION_KEY);
	DEVX_SET(general_obj_in_cmd_hdr, in, obj_id, obj_id);
}

/*
 * Key bytes are copied raw (no byte swap). fact sheet 3.4: a 256-bit key fills key[0..] (object
 * bytes 64..95); a 128-bit key goes to key[1] (object bytes 80..95) and bytes 64..79 stay zero.
 */
static void encode_key(uint8_t *in, const uint8_t *key, uint16_t key_len,
		       struct cmd_secret *secret)
{
	uint8_t *obj = DEVX_ADDR_OF(create_encryption_key_in, in, obj);
	uint8_t *dst = key_len == 16 ? DEVX_ADDR_OF(encryption_key_obj, obj, key[1]) :
				       DEVX_ADDR_OF(encryption_key_obj, obj, key[0]);

	DEVX_SET(encryption_key_obj, obj, key_size,
		 key_len == 16 ? MLX5_ENCRYPTION_KEY_OBJ_KEY_SIZE_128 :
				 MLX5_ENCRYPTION_KEY_OBJ_KEY_SIZE_256);
	memcpy(dst, key, key_len);
	secret->off = (size_t)(dst - in);
	secret->len = key_len;
}

void dek_encode_create(uint8_t *in, uint32_t pdn, const uint8_t *key, uint16_t key_len,
		       uint64_t opaque, struct cmd_secret *secret)
{
	uint8_t *obj = DEVX_ADDR_OF(create_encryption_key_in, in, obj);

	encode_hdr(in, MLX5_CMD_OP_CREATE_GENERAL_OBJECT, 0);
	DEVX_SET(encryption_key_obj, obj, key_purpose, MLX5_ENCRYPTION_KEY_OBJ_KEY_PURPOSE_TLS);
	DEVX_SET(encryption_key_obj, obj, pd, pdn);
	DEVX_SET64(encryption_key_obj, obj, opaque, opaque);
	encode_key(in, key, key_len, secret);
}

/* fact sheet 3.5: a bulk create carries key_purpose and pd only; log_obj_range in op_param. */
void dek_encode_create_bulk(uint8_t *in, uint32_t pdn, unsigned int log_range)
{
	uint8_t *obj = DEVX_ADDR_OF(create_encryption_key_in, in, obj);

	encode_hdr(in, MLX5_CMD_OP_CREATE_GENERAL_OBJECT, 0);
	DEVX_SET(general_obj_in_cmd_hdr, in, op_param.create.log_obj_range, log_range);
	DEVX_SET(encryption_key_obj, obj, key_purpose, MLX5_ENCRYPTION_KEY_OBJ_KEY_PURPOSE_TLS);
	DEVX_SET(encryption_key_obj, obj, pd, pdn);
}

/* fact sheet 3.5/12.3: obj_id = bulk base, obj_offset = index, modify_field_select = 1. */
void dek_encode_modify(uint8_t *in, uint32_t base, uint32_t offset, uint32_t pdn,
		       const uint8_t *key, uint16_t key_len, struct cmd_secret *secret)
{
	uint8_t *obj = DEVX_ADDR_OF(modify_encryption_key_in, in, obj);

	encode_hdr(in, MLX5_CMD_OP_MODIFY_GENERAL_OBJECT, base);
	DEVX_SET(general_obj_in_cmd_hdr, in, op_param.query.obj_offset, offset);
	DEVX_SET64(encryption_key_obj, obj, modify_field_select, 1);
	DEVX_SET(encryption_key_obj, obj, key_purpose, MLX5_ENCRYPTION_KEY_OBJ_KEY_PURPOSE_TLS);
	DEVX_SET(encryption_key_obj, obj, pd, pdn);
	encode_key(in, key, key_len, secret);
}

void dek_encode_query(uint8_t *in, uint32_t obj_id, uint32_t offset)
{
	encode_hdr(in, MLX5_CMD_OP_QUERY_GENERAL_OBJECT, obj_id);
	DEVX_SET(general_obj_in_cmd_hdr, in, op_param.query.obj_offset, offset);
}

void dek_encode_destroy(uint8_t *in, uint32_t obj_id)
{
	encode_hdr(in, MLX5_CMD_OP_DESTROY_GENERAL_OBJECT, obj_id);
}

void sync_crypto_encode(uint8_t *in, uint16_t crypto_type)
{
	DEVX_SET(sync_crypto_in, in, opcode, MLX5_CMD_OP_SYNC_CRYPTO);
	DEVX_SET(sync_crypto_in, in, crypto_type, crypto_type);
}
