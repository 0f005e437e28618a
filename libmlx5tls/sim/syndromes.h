/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The device model's command syndromes.
 *
 * Real ConnectX firmware returns a 32-bit syndrome with every failed command, but the values for
 * TLS/DEK failures are not public (fact sheet 2.2 and 15: "NOT FOUND"). These are therefore the
 * MODEL's own values, not firmware's: one distinct syndrome per rejection path, all in the
 * recognisable range 0x5e0000xx so nobody mistakes them for hardware numbers. Each syndrome
 * belongs to exactly one command status (fact sheet 2.2), kept in the table next to it, so a
 * rejection site names only the syndrome and cannot pair it with the wrong status.
 *
 * Sub-ranges: 0x00-0x0f command framing, 0x10-0x1f QUERY_HCA_CAP, 0x20-0x2f PD/TD and object
 * numbers, 0x30-0x4f general objects / DEK, 0x50-0x5f SYNC_CRYPTO, 0x60-0x6f TIS, 0x70-0x7f TIR.
 */
#ifndef MLX5TLS_SIM_SYNDROMES_H
#define MLX5TLS_SIM_SYNDROMES_H

#include <stddef.h>
#include <stdint.h>

enum sim_syndrome {
	/* command framing (any opcode) */
	SIM_SYND_CMD_TOO_SHORT = 0x5e000001,
	SIM_SYND_OPCODE_UNKNOWN = 0x5e000002,
	SIM_SYND_OPCODE_NOT_IN_PROFILE = 0x5e000003,
	SIM_SYND_INLEN_MISMATCH = 0x5e000004,
	SIM_SYND_OUTLEN_MISMATCH = 0x5e000005,
	SIM_SYND_RESERVED_BITS_SET = 0x5e000006,
	SIM_SYND_OP_MOD_NOT_ZERO = 0x5e000007,
	SIM_SYND_UID_INVALID = 0x5e000008,
	SIM_SYND_MODEL_NO_MEMORY = 0x5e000009,

	/* QUERY_HCA_CAP */
	SIM_SYND_CAP_TYPE_UNSUPPORTED = 0x5e000010,
	SIM_SYND_CAP_TLS_ABSENT = 0x5e000011,
	SIM_SYND_CAP_CRYPTO_ABSENT = 0x5e000012,
	SIM_SYND_CAP_OTHER_FUNCTION_SET = 0x5e000013,
	SIM_SYND_CAP_FUNCTION_ID_SET = 0x5e000014,

	/* PD, transport domain, object numbers */
	SIM_SYND_PD_UNKNOWN = 0x5e000020,
	SIM_SYND_PD_NOT_OWNED = 0x5e000021,
	SIM_SYND_PD_IN_USE = 0x5e000022,
	SIM_SYND_PD_LIMIT = 0x5e000023,
	SIM_SYND_TD_UNKNOWN = 0x5e000024,
	SIM_SYND_TD_NOT_OWNED = 0x5e000025,
	SIM_SYND_TD_IN_USE = 0x5e000026,
	SIM_SYND_TD_LIMIT = 0x5e000027,
	SIM_SYND_NUMBER_SPACE_EXHAUSTED = 0x5e000028,

	/* general objects and the DEK (ENCRYPTION_KEY) object */
	SIM_SYND_OBJ_TYPE_UNKNOWN = 0x5e000030,
	SIM_SYND_OBJ_TYPE_UNSUPPORTED = 0x5e000031,
	SIM_SYND_VHCA_TUNNEL_ID_SET = 0x5e000032,
	SIM_SYND_ALIAS_OBJECT_SET = 0x5e000033,
	SIM_SYND_OBJ_ID_ON_CREATE = 0x5e000034,
	SIM_SYND_DEK_STATE_SET = 0x5e000035,
	SIM_SYND_DEK_SW_WRAPPED_SET = 0x5e000036,
	SIM_SYND_DEK_HAS_KEYTAG_SET = 0x5e000037,
	SIM_SYND_DEK_KEY_PURPOSE = 0x5e000038,
	SIM_SYND_DEK_KEY_SIZE = 0x5e000039,
	SIM_SYND_DEK_KEY128_MSB_SET = 0x5e00003a,
	SIM_SYND_DEK_KEY_TAIL_SET = 0x5e00003b,
	SIM_SYND_DEK_BULK_WITH_KEY = 0x5e00003c,
	SIM_SYND_DEK_BULK_UNSUPPORTED = 0x5e00003d,
	SIM_SYND_DEK_RANGE_TOO_LARGE = 0x5e00003e,
	SIM_SYND_DEK_MFS_ON_CREATE = 0x5e00003f,
	SIM_SYND_DEK_MFS_INVALID = 0x5e000040,
	SIM_SYND_DEK_OFFSET_OUT_OF_RANGE = 0x5e000041,
	SIM_SYND_DEK_UNKNOWN = 0x5e000042,
	SIM_SYND_DEK_NOT_OWNED = 0x5e000043,
	SIM_SYND_DEK_NOT_BASE = 0x5e000044,
	SIM_SYND_DEK_REKEY_BEFORE_SYNC = 0x5e000045,
	SIM_SYND_DEK_LIMIT = 0x5e000046,

	/* SYNC_CRYPTO */
	SIM_SYND_SYNC_TYPE_INVALID = 0x5e000050,

	/* TIS */
	SIM_SYND_TIS_TLS_UNSUPPORTED = 0x5e000060,
	SIM_SYND_TIS_TLS_WITHOUT_PD = 0x5e000061,
	SIM_SYND_TIS_LAG_AFFINITY_SET = 0x5e000062,
	SIM_SYND_TIS_UNDERLAY_QPN_SET = 0x5e000063,
	SIM_SYND_TIS_UNKNOWN = 0x5e000064,
	SIM_SYND_TIS_NOT_OWNED = 0x5e000065,
	SIM_SYND_TIS_LIMIT = 0x5e000066,
	SIM_SYND_TIS_MODIFY_FIELD_UNSUPPORTED = 0x5e000067,

	/* TIR (tir.c: what each rule is read from) */
	SIM_SYND_TIR_TLS_UNSUPPORTED = 0x5e000070,
	SIM_SYND_TIR_DISP_TYPE_INVALID = 0x5e000071,
	SIM_SYND_TIR_INDIRECT_NOT_MODELLED = 0x5e000072,
	SIM_SYND_TIR_INDIRECT_TABLE_SET = 0x5e000073,
	SIM_SYND_TIR_HASH_FN_INVALID = 0x5e000074,
	SIM_SYND_TIR_HASH_FIELDS_SET = 0x5e000075,
	SIM_SYND_TIR_LRO_UNSUPPORTED = 0x5e000076,
	SIM_SYND_TIR_RQ_UNKNOWN = 0x5e000077,
	SIM_SYND_TIR_RQ_NOT_OWNED = 0x5e000078,
	SIM_SYND_TIR_UNKNOWN = 0x5e000079,
	SIM_SYND_TIR_NOT_OWNED = 0x5e00007a,
	SIM_SYND_TIR_LIMIT = 0x5e00007b,
	SIM_SYND_TIR_IN_USE = 0x5e00007c,
};

struct sim_syndrome_info {
	uint32_t value;
	uint8_t status;   /* MLX5_CMD_STAT_* the model returns with it */
	const char *name; /* short identifier, e.g. "DEK_KEY128_MSB_SET" */
	const char *text; /* one line: why the command was rejected */
};

/* The row for `syndrome`, or NULL if the model never returns it. */
const struct sim_syndrome_info *sim_syndrome_info(uint32_t syndrome);
/* The whole table, for tools and the tests that check it. */
const struct sim_syndrome_info *sim_syndrome_table(size_t *n);

#endif /* MLX5TLS_SIM_SYNDROMES_H */
