/* SPDX-License-Identifier: BSD-3-Clause */
#include "mlx5tls/mlx5tls.h"
#include "prm/mlx5_ifc_tls.h"
#include "prm/prm_names.h"

const char *prm_opcode_name(uint16_t opcode)
{
	switch (opcode) {
	case MLX5_CMD_OP_QUERY_HCA_CAP: return "QUERY_HCA_CAP";
	case MLX5_CMD_OP_ALLOC_PD: return "ALLOC_PD";
	case MLX5_CMD_OP_DEALLOC_PD: return "DEALLOC_PD";
	case MLX5_CMD_OP_ALLOC_TRANSPORT_DOMAIN: return "ALLOC_TRANSPORT_DOMAIN";
	case MLX5_CMD_OP_DEALLOC_TRANSPORT_DOMAIN: return "DEALLOC_TRANSPORT_DOMAIN";
	case MLX5_CMD_OP_CREATE_TIS: return "CREATE_TIS";
	case MLX5_CMD_OP_MODIFY_TIS: return "MODIFY_TIS";
	case MLX5_CMD_OP_DESTROY_TIS: return "DESTROY_TIS";
	case MLX5_CMD_OP_QUERY_TIS: return "QUERY_TIS";
	case MLX5_CMD_OP_CREATE_TIR: return "CREATE_TIR";
	case MLX5_CMD_OP_MODIFY_TIR: return "MODIFY_TIR";
	case MLX5_CMD_OP_DESTROY_TIR: return "DESTROY_TIR";
	case MLX5_CMD_OP_QUERY_TIR: return "QUERY_TIR";
	case MLX5_CMD_OP_CREATE_GENERAL_OBJECT: return "CREATE_GENERAL_OBJECT";
	case MLX5_CMD_OP_MODIFY_GENERAL_OBJECT: return "MODIFY_GENERAL_OBJECT";
	case MLX5_CMD_OP_QUERY_GENERAL_OBJECT: return "QUERY_GENERAL_OBJECT";
	case MLX5_CMD_OP_DESTROY_GENERAL_OBJECT: return "DESTROY_GENERAL_OBJECT";
	case MLX5_CMD_OP_SYNC_CRYPTO: return "SYNC_CRYPTO";
	default: return "UNKNOWN";
	}
}

const char *prm_status_name(uint8_t status)
{
	switch (status) {
	case MLX5_CMD_STAT_OK: return "OK";
	case MLX5_CMD_STAT_INT_ERR: return "internal error";
	case MLX5_CMD_STAT_BAD_OP_ERR: return "bad operation";
	case MLX5_CMD_STAT_BAD_PARAM_ERR: return "bad parameter";
	case MLX5_CMD_STAT_BAD_SYS_STATE_ERR: return "bad system state";
	case MLX5_CMD_STAT_BAD_RES_ERR: return "bad resource";
	case MLX5_CMD_STAT_RES_BUSY: return "resource busy";
	case MLX5_CMD_STAT_NOT_READY: return "FW not ready";
	case MLX5_CMD_STAT_LIM_ERR: return "limits exceeded";
	case MLX5_CMD_STAT_BAD_RES_STATE_ERR: return "bad resource state";
	case MLX5_CMD_STAT_IX_ERR: return "bad index";
	case MLX5_CMD_STAT_NO_RES_ERR: return "no resources";
	case MLX5_CMD_STAT_BAD_QP_STATE_ERR: return "bad QP state";
	case MLX5_CMD_STAT_BAD_PKT_ERR: return "bad packet (discarded)";
	case MLX5_CMD_STAT_BAD_SIZE_OUTS_CQES_ERR: return "bad size too many outstanding CQEs";
	case MLX5_CMD_STAT_BAD_INP_LEN_ERR: return "bad input length";
	case MLX5_CMD_STAT_BAD_OUTP_LEN_ERR: return "bad output length";
	default: return "unknown status";
	}
}

const char *mlx5tls_cmd_opcode_str(uint16_t opcode)
{
	return prm_opcode_name(opcode);
}

const char *mlx5tls_fw_status_str(uint8_t status)
{
	return prm_status_name(status);
}
