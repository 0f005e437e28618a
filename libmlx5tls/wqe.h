/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Pure builders of the TLS send-queue WQEs (fact sheet 6-8): they fill caller-provided, zeroed
 * WQE memory from their arguments and touch no ring state, as the kernel's ktls_txrx.c does. The
 * flow code reserves room, calls them, and advances the producer counter.
 */
#ifndef MLX5TLS_WQE_H
#define MLX5TLS_WQE_H

#include <stdbool.h>
#include <stdint.h>

#define MLX5TLS_WQEBB 64 /* fact sheet 8.1: MLX5_SEND_WQE_BB */
#define MLX5TLS_WQE_DS 16 /* MLX5_SEND_WQE_DS */

/* fact sheet 8.2 */
enum {
	MLX5TLS_OPCODE_NOP = 0x00,
	MLX5TLS_OPCODE_SEND = 0x0a,
	MLX5TLS_OPCODE_LSO = 0x0e,
	MLX5TLS_OPCODE_SET_PSV = 0x20,
	MLX5TLS_OPCODE_GET_PSV = 0x21,
	MLX5TLS_OPCODE_DUMP = 0x23,
	MLX5TLS_OPCODE_UMR = 0x25,
};

/* opc_mod of static (UMR) and progress (SET_PSV) params: 1 = TIS (TX), 2 = TIR (RX). */
enum {
	MLX5TLS_OPC_MOD_TIS = 0x1,
	MLX5TLS_OPC_MOD_TIR = 0x2,
};

/* fm_ce_se bits (fact sheet 8.1) */
enum {
	MLX5TLS_WQE_CQ_UPDATE = 0x08,
	MLX5TLS_WQE_FENCE_INITIATOR_SMALL = 0x20,
};

/* fact sheet 8.3-8.7: sizes in 16-byte DS units and in 64-byte WQEBBs */
enum {
	MLX5TLS_STATIC_PARAMS_DS = 12,
	MLX5TLS_STATIC_PARAMS_WQEBBS = 3,
	MLX5TLS_PROGRESS_PARAMS_DS = 2,
	MLX5TLS_DUMP_DS = 2,
	MLX5TLS_NOP_DS = 1,
	MLX5TLS_GET_PSV_DS = 4,
};

/* What the static params carry, from a <linux/tls.h> crypto info (fact sheet 6). */
struct tls_static_info {
	bool tls13;
	uint8_t rec_seq[8]; /* initial_record_number, big-endian as in crypto info */
	uint8_t salt[4];    /* gcm_iv */
	uint8_t iv[8];      /* implicit_iv, TLS 1.3 only */
	uint32_t resync_tcp_sn;
	uint32_t dek_index;
};

/* The 16-byte control segment (fact sheet 8.1). tis_tir_num is placed as given (shift it). */
void wqe_ctrl_fill(void *ctrl, uint8_t opc_mod, uint16_t pc, uint8_t opcode, uint32_t sqn,
		   uint8_t ds, uint8_t fm_ce_se, uint32_t tis_tir_field);

/* 64-byte tls_static_params (fact sheet 6). */
void tls_static_params_fill(void *params, const struct tls_static_info *info);
/* 12-byte tls_progress_params: next_record_tcp_sn, tracker, auth (fact sheet 7). */
void tls_progress_params_fill(void *params, uint32_t next_record_tcp_sn, uint8_t tracker,
			      uint8_t auth);

/* Static params UMR WQE, 3 WQEBBs given as three pointers so it can wrap at the ring end
 * (ctrl+umr ctrl in bb[0], mkey in bb[1], params in bb[2]; fact sheet 8.3). */
void wqe_build_static_params(void *const bb[3], uint16_t pc, uint32_t sqn, uint8_t opc_mod,
			     uint32_t tis_or_tir, bool fence, const struct tls_static_info *info);
/* Progress params SET_PSV WQE, 32 bytes (fact sheet 8.4). */
void wqe_build_progress_params(void *wqe, uint16_t pc, uint32_t sqn, uint8_t opc_mod,
			       uint32_t tis_or_tir, bool fence, uint32_t next_record_tcp_sn);
/* GET_PSV (fact sheet 8.5): ctrl (opc_mod 2, ds 4, CQ_UPDATE) + mlx5_seg_get_psv: num_psv 0x10
 * at WQE byte 35, l_key, va (64-byte aligned result buffer), psv_index[0] = tirn. 64 bytes. */
void wqe_build_get_psv(void *wqe, uint16_t pc, uint32_t sqn, uint32_t tirn, uint32_t lkey,
		       uint64_t va);
/* Fenced NOP, 16 bytes (fact sheet 8.7). */
void wqe_build_fence_nop(void *wqe, uint16_t pc, uint32_t sqn);
/* DUMP WQE replaying `len` bytes at addr/lkey through TIS tisn, 32 bytes (fact sheet 8.6). */
void wqe_build_dump(void *wqe, uint16_t pc, uint32_t sqn, uint32_t tisn, uint64_t addr,
		    uint32_t lkey, uint32_t len, bool fence);

#endif
