/* SPDX-License-Identifier: BSD-3-Clause */
#include <endian.h>
#include <string.h>

#include "prm/mlx5_ifc_tls.h"
#include "wqe.h"

static void put_be32(uint8_t *p, uint32_t v)
{
	v = htobe32(v);
	memcpy(p, &v, sizeof(v));
}

static void put_be16(uint8_t *p, uint16_t v)
{
	v = htobe16(v);
	memcpy(p, &v, sizeof(v));
}

static void put_be64(uint8_t *p, uint64_t v)
{
	v = htobe64(v);
	memcpy(p, &v, sizeof(v));
}

/* bytes 0..3 opc_mod<<24 | pc<<8 | opcode; 4..7 sqn<<8 | ds; 11 fm_ce_se; 12..15 tis/tir field */
void wqe_ctrl_fill(void *ctrl, uint8_t opc_mod, uint16_t pc, uint8_t opcode, uint32_t sqn,
		   uint8_t ds, uint8_t fm_ce_se, uint32_t tis_tir_field)
{
	uint8_t *c = ctrl;

	put_be32(c, (uint32_t)opc_mod << 24 | (uint32_t)pc << 8 | opcode);
	put_be32(c + 4, sqn << 8 | (ds & 0x3f));
	c[8] = 0;
	c[9] = 0;
	c[10] = 0;
	c[11] = fm_ce_se;
	put_be32(c + 12, tis_tir_field);
}

void tls_static_params_fill(void *params, const struct tls_static_info *info)
{
	DEVX_SET(tls_static_params, params, const_2, 2);
	DEVX_SET(tls_static_params, params, tls_version,
		 info->tls13 ? MLX5_STATIC_PARAMS_TLS_VERSION_1_3 :
			       MLX5_STATIC_PARAMS_TLS_VERSION_1_2);
	DEVX_SET(tls_static_params, params, const_1, 1);
	DEVX_SET(tls_static_params, params, encryption_standard,
		 MLX5_STATIC_PARAMS_ENCRYPTION_STANDARD_TLS);
	/* rec_seq, salt and iv are copied raw, as the kernel's fill_static_params does */
	memcpy(DEVX_ADDR_OF(tls_static_params, params, initial_record_number), info->rec_seq, 8);
	DEVX_SET(tls_static_params, params, resync_tcp_sn, info->resync_tcp_sn);
	memcpy(DEVX_ADDR_OF(tls_static_params, params, gcm_iv), info->salt, 4);
	/* TLS 1.2 carries the explicit nonce in each record, so implicit_iv stays 0 */
	if (info->tls13)
		memcpy(DEVX_ADDR_OF(tls_static_params, params, implicit_iv), info->iv, 8);
	DEVX_SET(tls_static_params, params, dek_index, info->dek_index);
}

void tls_progress_params_fill(void *params, uint32_t next_record_tcp_sn, uint8_t tracker,
			      uint8_t auth)
{
	DEVX_SET(tls_progress_params, params, next_record_tcp_sn, next_record_tcp_sn);
	DEVX_SET(tls_progress_params, params, record_tracker_state, tracker);
	DEVX_SET(tls_progress_params, params, auth_state, auth);
}

void wqe_build_static_params(void *const bb[3], uint16_t pc, uint32_t sqn, uint8_t opc_mod,
			     uint32_t tis_or_tir, bool fence, const struct tls_static_info *info)
{
	uint8_t *umr = (uint8_t *)bb[0] + 16;

	wqe_ctrl_fill(bb[0], opc_mod, pc, MLX5TLS_OPCODE_UMR, sqn, MLX5TLS_STATIC_PARAMS_DS,
		      fence ? MLX5TLS_WQE_FENCE_INITIATOR_SMALL : 0, tis_or_tir << 8);
	umr[0] = 0x80;                               /* MLX5_UMR_INLINE */
	put_be16(umr + 6, 64 / MLX5TLS_WQE_DS);      /* bsf_octowords = 4 */
	memset(bb[1], 0, MLX5TLS_WQEBB);             /* mkey context: all zero */
	tls_static_params_fill(bb[2], info);
}

void wqe_build_progress_params(void *wqe, uint16_t pc, uint32_t sqn, uint8_t opc_mod,
			       uint32_t tis_or_tir, bool fence, uint32_t next_record_tcp_sn)
{
	uint8_t *seg = (uint8_t *)wqe + 16;

	/* the ctrl tis_tir field stays 0; the number goes unshifted into the segment */
	wqe_ctrl_fill(wqe, opc_mod, pc, MLX5TLS_OPCODE_SET_PSV, sqn, MLX5TLS_PROGRESS_PARAMS_DS,
		      fence ? MLX5TLS_WQE_FENCE_INITIATOR_SMALL : 0, 0);
	put_be32(seg, tis_or_tir);
	tls_progress_params_fill(seg + 4, next_record_tcp_sn,
				 MLX5_TLS_PROGRESS_PARAMS_RECORD_TRACKER_STATE_START,
				 MLX5_TLS_PROGRESS_PARAMS_AUTH_STATE_NO_OFFLOAD);
}

void wqe_build_fence_nop(void *wqe, uint16_t pc, uint32_t sqn)
{
	wqe_ctrl_fill(wqe, 0, pc, MLX5TLS_OPCODE_NOP, sqn, MLX5TLS_NOP_DS,
		      MLX5TLS_WQE_FENCE_INITIATOR_SMALL, 0);
}

void wqe_build_dump(void *wqe, uint16_t pc, uint32_t sqn, uint32_t tisn, uint64_t addr,
		    uint32_t lkey, uint32_t len, bool fence)
{
	uint8_t *data = (uint8_t *)wqe + 16;

	wqe_ctrl_fill(wqe, 0, pc, MLX5TLS_OPCODE_DUMP, sqn, MLX5TLS_DUMP_DS,
		      fence ? MLX5TLS_WQE_FENCE_INITIATOR_SMALL : 0, tisn << 8);
	put_be32(data, len);
	put_be32(data + 4, lkey);
	put_be64(data + 8, addr);
}

void wqe_build_get_psv(void *wqe, uint16_t pc, uint32_t sqn, uint32_t tirn, uint32_t lkey,
		       uint64_t va)
{
	uint8_t *w = wqe, *psv = w + 16;

	wqe_ctrl_fill(w, MLX5TLS_OPC_MOD_TIR, pc, MLX5TLS_OPCODE_GET_PSV, sqn, MLX5TLS_GET_PSV_DS,
		      MLX5TLS_WQE_CQ_UPDATE, 0);
	psv[19] = 0x10;           /* num_psv = 1 << 4 */
	put_be32(psv + 20, lkey); /* l_key */
	put_be64(psv + 24, va);   /* va */
	put_be32(psv + 32, tirn); /* psv_index[0], unshifted */
}
