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
#include <stdint.h>

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

#endif /* MLX5TLS_SIM_TEST_UTIL_H */
