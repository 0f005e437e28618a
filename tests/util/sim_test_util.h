/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Shared helpers for the device-model tests (tests/test_sim_*.c): reading a command's output
 * header and allocating the numbered objects the fixtures need. Header-only, so the test utility
 * archive stays free of the model; only programs that link the model include it.
 */
#ifndef MLX5TLS_SIM_TEST_UTIL_H
#define MLX5TLS_SIM_TEST_UTIL_H

#include <CUnit/CUnit.h>
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "be_bytes.h"
#include "prm/mlx5_ifc_tls.h"
#include "sim/sim.h"

/* Output header (fact sheet 2.1): status at byte 0, syndrome at bytes 4..7, big-endian. */
static inline uint8_t out_status(const void *out)
{
	return ((const uint8_t *)out)[0];
}

static inline uint32_t out_syndrome(const void *out)
{
	const uint8_t *p = out;

	return (uint32_t)p[4] << 24 | (uint32_t)p[5] << 16 | (uint32_t)p[6] << 8 | p[7];
}

/* The model rejected the command: -EREMOTEIO with this status and syndrome in `out`. */
#define CHECK_REJECT(ret, out, st, synd)                  \
	do {                                              \
		CU_ASSERT_EQUAL(ret, -EREMOTEIO);         \
		CU_ASSERT_EQUAL(out_status(out), st);     \
		CU_ASSERT_EQUAL(out_syndrome(out), synd); \
	} while (0)

/* Run a 16-byte command that returns a number at out bit 0x48 (ALLOC_PD,
 * ALLOC_TRANSPORT_DOMAIN); the number, or 0 if the model rejected it. */
static inline uint32_t new_num(struct sim_dev *dev, uint16_t uid, uint16_t opcode)
{
	uint32_t in[4] = { 0 }, out[4] = { 0 };

	DEVX_SET(mbox_in, in, opcode, opcode);
	if (sim_cmd_exec(dev, uid, in, sizeof(in), out, sizeof(out)))
		return 0;
	return DEVX_GET(obj_num_out, out, obj_num);
}

/*
 * CREATE_GENERAL_OBJECT of one TLS DEK holding `key` (16 or 32 bytes) in `pd`, laid out here
 * with DEVX_SET rather than by the library's encoder (dek_cmd.h): a 256-bit key fills the key
 * field's first 32 bytes, a 128-bit one its second 16 (key[1], fact sheet 3.4). Its id (out
 * bit 0x40), or 0 if the model rejected it. One copy for the SQ and RQ fixtures; not named
 * create_dek, which test_sim_locks.c and test_sim_pd_td.c use for their own helpers.
 */
static inline uint32_t new_tls_dek(struct sim_dev *dev, uint16_t uid, uint32_t pd,
				   const uint8_t *key, size_t key_len)
{
	uint32_t in[528 / 4] = { 0 };
	uint8_t out[16] = { 0 };

	DEVX_SET(create_encryption_key_in, in, hdr.opcode, MLX5_CMD_OP_CREATE_GENERAL_OBJECT);
	DEVX_SET(create_encryption_key_in, in, hdr.obj_type,
		 MLX5_GENERAL_OBJECT_TYPES_ENCRYPTION_KEY);
	DEVX_SET(create_encryption_key_in, in, obj.key_purpose,
		 MLX5_ENCRYPTION_KEY_OBJ_KEY_PURPOSE_TLS);
	DEVX_SET(create_encryption_key_in, in, obj.pd, pd);
	if (key_len == 32) {
		DEVX_SET(create_encryption_key_in, in, obj.key_size,
			 MLX5_ENCRYPTION_KEY_OBJ_KEY_SIZE_256);
		memcpy((uint8_t *)in + 80, key, 32);
	} else {
		memcpy((uint8_t *)in + 96, key, 16); /* fact sheet 3.4: 128-bit key at key[1] */
	}
	if (sim_cmd_exec(dev, uid, in, sizeof(in), out, sizeof(out)))
		return 0;
	return get32(out + 8);
}

#endif /* MLX5TLS_SIM_TEST_UTIL_H */
