/* SPDX-License-Identifier: BSD-3-Clause */
/* The model's syndrome table (see syndromes.h for why these are the model's own values). */
#include "sim/syndromes.h"

#include "prm/mlx5_ifc_tls.h"
#include "sim/sim.h"

#define ROW(sym, st, txt) { SIM_SYND_##sym, MLX5_CMD_STAT_##st, #sym, txt }

static const struct sim_syndrome_info syndrome_table[] = {
	ROW(CMD_TOO_SHORT, BAD_INP_LEN_ERR, "input shorter than the 16-byte command header"),
	ROW(OPCODE_UNKNOWN, BAD_OP_ERR, "opcode not implemented by the device"),
	ROW(OPCODE_NOT_IN_PROFILE, BAD_OP_ERR, "opcode not supported by this firmware profile"),
	ROW(INLEN_MISMATCH, BAD_INP_LEN_ERR, "input length is not the command's input size"),
	ROW(OUTLEN_MISMATCH, BAD_OUTP_LEN_ERR, "output length is not the command's output size"),
	ROW(RESERVED_BITS_SET, BAD_PARAM_ERR, "reserved bits set in the command input"),
	ROW(OP_MOD_NOT_ZERO, BAD_PARAM_ERR, "op_mod must be 0 for this command"),
	ROW(UID_INVALID, BAD_PARAM_ERR, "uid is not an allocated user context"),
	ROW(MODEL_NO_MEMORY, NO_RES_ERR, "the model ran out of host memory"),

	ROW(CAP_TYPE_UNSUPPORTED, BAD_PARAM_ERR, "capability type not provided by the device"),
	ROW(CAP_TLS_ABSENT, BAD_PARAM_ERR, "TLS capabilities queried on a device without tls_tx/tls_rx"),
	ROW(CAP_CRYPTO_ABSENT, BAD_PARAM_ERR, "crypto capabilities queried on a device without crypto"),
	ROW(CAP_OTHER_FUNCTION_SET, BAD_PARAM_ERR, "querying another function's caps is not supported"),
	ROW(CAP_FUNCTION_ID_SET, BAD_PARAM_ERR, "function_id must be 0"),

	ROW(PD_UNKNOWN, BAD_RES_ERR, "PD number does not name a live PD"),
	ROW(PD_NOT_OWNED, BAD_RES_ERR, "PD belongs to another uid"),
	ROW(PD_IN_USE, BAD_RES_STATE_ERR, "PD still referenced by a DEK or a TIS"),
	ROW(PD_LIMIT, LIM_ERR, "more PDs than 2^log_max_pd"),
	ROW(TD_UNKNOWN, BAD_RES_ERR, "transport domain number does not name a live TD"),
	ROW(TD_NOT_OWNED, BAD_RES_ERR, "transport domain belongs to another uid"),
	ROW(TD_IN_USE, BAD_RES_STATE_ERR, "transport domain still referenced by a TIS or a TIR"),
	ROW(TD_LIMIT, LIM_ERR, "more transport domains than 2^log_max_transport_domain"),
	ROW(NUMBER_SPACE_EXHAUSTED, LIM_ERR, "no free 24-bit object number left"),

	ROW(OBJ_TYPE_UNKNOWN, BAD_PARAM_ERR, "general object type not implemented (only 0xc, DEK)"),
	ROW(OBJ_TYPE_UNSUPPORTED, BAD_PARAM_ERR, "object type not supported by this profile"),
	ROW(VHCA_TUNNEL_ID_SET, BAD_PARAM_ERR, "vhca_tunnel_id must be 0"),
	ROW(ALIAS_OBJECT_SET, BAD_PARAM_ERR, "alias objects are not supported"),
	ROW(OBJ_ID_ON_CREATE, BAD_PARAM_ERR, "obj_id must be 0 on CREATE_GENERAL_OBJECT"),
	ROW(DEK_STATE_SET, BAD_PARAM_ERR, "encryption_key_obj.state is output-only and must be 0"),
	ROW(DEK_SW_WRAPPED_SET, BAD_PARAM_ERR, "software-wrapped DEKs are not supported"),
	ROW(DEK_HAS_KEYTAG_SET, BAD_PARAM_ERR, "has_keytag must be 0 for TLS keys"),
	ROW(DEK_KEY_PURPOSE, BAD_PARAM_ERR, "key_purpose is not TLS (1)"),
	ROW(DEK_KEY_SIZE, BAD_PARAM_ERR, "key_size is neither 128 (0) nor 256 (1)"),
	ROW(DEK_KEY128_MSB_SET, BAD_PARAM_ERR, "128-bit key with non-zero object bytes 64..79"),
	ROW(DEK_KEY_TAIL_SET, BAD_PARAM_ERR, "non-zero key bytes past the 32-byte key (object 96..191)"),
	ROW(DEK_BULK_WITH_KEY, BAD_PARAM_ERR, "bulk DEK create carries a key or key_size"),
	ROW(DEK_BULK_UNSUPPORTED, BAD_PARAM_ERR, "bulk DEK (log_obj_range) not supported by this profile"),
	ROW(DEK_RANGE_TOO_LARGE, BAD_PARAM_ERR, "log_obj_range exceeds log_dek_max_alloc"),
	ROW(DEK_MFS_ON_CREATE, BAD_PARAM_ERR, "modify_field_select must be 0 on CREATE"),
	ROW(DEK_MFS_INVALID, BAD_PARAM_ERR, "modify_field_select must be exactly 1 (key)"),
	ROW(DEK_OFFSET_OUT_OF_RANGE, BAD_PARAM_ERR, "obj_offset is outside the DEK object's range"),
	ROW(DEK_UNKNOWN, BAD_RES_ERR, "obj_id does not name a live DEK"),
	ROW(DEK_NOT_OWNED, BAD_RES_ERR, "DEK belongs to another uid"),
	ROW(DEK_NOT_BASE, BAD_RES_ERR, "obj_id is inside a bulk but is not its base id"),
	ROW(DEK_REKEY_BEFORE_SYNC, BAD_RES_STATE_ERR, "DEK element re-keyed before a SYNC_CRYPTO"),
	ROW(DEK_LIMIT, LIM_ERR, "more DEK ids than 2^log_max_dek"),

	ROW(SYNC_TYPE_INVALID, BAD_PARAM_ERR, "crypto_type is 0 or has bits other than 0x1|0x2"),

	ROW(TIS_TLS_UNSUPPORTED, BAD_PARAM_ERR, "tls_en on a device without tls_tx"),
	ROW(TIS_TLS_WITHOUT_PD, BAD_PARAM_ERR, "tls_en requires a PD"),
	ROW(TIS_LAG_AFFINITY_SET, BAD_PARAM_ERR, "LAG port affinity is not supported"),
	ROW(TIS_UNDERLAY_QPN_SET, BAD_PARAM_ERR, "underlay_qpn must be 0"),
	ROW(TIS_UNKNOWN, BAD_RES_ERR, "TIS number does not name a live TIS"),
	ROW(TIS_NOT_OWNED, BAD_RES_ERR, "TIS belongs to another uid"),
	ROW(TIS_LIMIT, LIM_ERR, "more TISes than 2^log_max_tis"),
	ROW(TIS_MODIFY_FIELD_UNSUPPORTED, BAD_PARAM_ERR,
	    "MODIFY_TIS bitmask selects a field other than prio"),

	ROW(TIR_TLS_UNSUPPORTED, BAD_PARAM_ERR, "tls_en on a device without tls_rx"),
	ROW(TIR_DISP_TYPE_INVALID, BAD_PARAM_ERR, "disp_type is neither DIRECT 0 nor INDIRECT 1"),
	ROW(TIR_INDIRECT_NOT_MODELLED, BAD_PARAM_ERR, "INDIRECT TIRs (RQ tables) are not modelled"),
	ROW(TIR_INDIRECT_TABLE_SET, BAD_PARAM_ERR, "indirect_table must be 0 in a DIRECT TIR"),
	ROW(TIR_HASH_FN_INVALID, BAD_PARAM_ERR, "rx_hash_fn is not NONE, INVERTED_XOR8, TOEPLITZ"),
	ROW(TIR_HASH_FIELDS_SET, BAD_PARAM_ERR, "RSS key, field selectors or symmetric set (no RSS)"),
	ROW(TIR_LRO_UNSUPPORTED, BAD_PARAM_ERR, "packet_merge_mask set: LRO is not modelled"),
	ROW(TIR_RQ_UNKNOWN, BAD_RES_ERR, "inline_rqn does not name a live RQ"),
	ROW(TIR_RQ_NOT_OWNED, BAD_RES_ERR, "inline_rqn names an RQ of another uid"),
	ROW(TIR_UNKNOWN, BAD_RES_ERR, "TIR number does not name a live TIR"),
	ROW(TIR_NOT_OWNED, BAD_RES_ERR, "TIR belongs to another uid"),
	ROW(TIR_LIMIT, LIM_ERR, "more TIRs than 2^log_max_tir"),
	ROW(TIR_IN_USE, BAD_RES_STATE_ERR, "TIR is still the destination of a steering rule"),
};

const struct sim_syndrome_info *sim_syndrome_table(size_t *n)
{
	*n = sizeof(syndrome_table) / sizeof(syndrome_table[0]);
	return syndrome_table;
}

const struct sim_syndrome_info *sim_syndrome_info(uint32_t syndrome)
{
	/* A linear scan: only rejections and tools look syndromes up. */
	for (size_t i = 0; i < sizeof(syndrome_table) / sizeof(syndrome_table[0]); i++)
		if (syndrome_table[i].value == syndrome)
			return &syndrome_table[i];
	return NULL;
}

const char *sim_syndrome_str(uint32_t syndrome)
{
	const struct sim_syndrome_info *info = sim_syndrome_info(syndrome);

	return info ? info->text : NULL;
}
