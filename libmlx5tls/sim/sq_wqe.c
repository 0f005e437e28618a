/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The WQE engine: parses each WQE byte by byte from the ring (fact sheet 8; mlx5dv.h segment
 * structs), executes it, and completes it (CQE on CQ_UPDATE, error CQE on anything it rejects).
 * This file reads, dispatches and completes; SEND and LSO execute in sq_send.c, the TLS control
 * WQEs (UMR, SET_PSV, GET_PSV, DUMP) in sq_tls_wqe.c.
 * TLS params WQEs with opc_mod 2 and GET_PSV address a TIR's TLS RX context (tls_rx_ctx.c); the
 * TIR must exist with tls_en (TIR_UNKNOWN / TIR_NOT_TLS), its static params must name a live,
 * keyed DEK of the TIR's uid (a TIR has no PD, fact sheet 4.3: DEK_NOT_OWNED) in a suite the
 * profile's RX side offers (TLS_SUITE).
 *
 * Model choices (the public record says nothing more precise; each is the reading the kernel,
 * DPDK, rdma-core and XLIO rely on):
 *  - In order: one WQE is finished - frames on the port, TLS state updated, CQE written - before
 *    the next is read. Fence modes (fm_ce_se bits 7:5, fact sheet 8.1) therefore hold trivially;
 *    they are parsed (values 5..7 are undefined and rejected) and counted.
 *  - A CQE is written for a WQE with ce = 2 or 3 (MLX5_WQE_CTRL_CQ_UPDATE 0x08 set); its
 *    wqe_counter is the WQE's index (first WQEBB), sop_drop_qpn = opcode << 24 | sqn (rdma-core
 *    cq.c reads the opcode from its top byte), byte_cnt and timestamp 0.
 *  - Error CQE (struct mlx5_err_cqe): op_own opcode 13 (MLX5_CQE_REQ_ERR), syndrome at byte 55
 *    (mlx5dv.h MLX5_CQE_SYNDROME_*): LOCAL_LENGTH_ERR 0x01 for sizes (inline header beyond the
 *    WQE, zero-length gather, frame beyond the MTU), LOCAL_QP_OP_ERR 0x02 for a malformed or
 *    unexecutable WQE (ds, opcode, opc_mod, index, qpn, reserved bits, TIS/DEK/params problems),
 *    LOCAL_PROT_ERR 0x04 for memory access outside a registered region; vendor_err_synd (byte 54)
 *    is the model's reason code (sq.h enum sim_sq_vsynd); s_wqe_opcode_qpn = opcode << 24 | sqn.
 *    The error CQE is written whatever the WQE's CQ_UPDATE bit says.
 *  - After an error the SQ is in ERR and every later WQE completes with WR_FLUSH_ERR (0x05), one
 *    CQE per WQE whether signalled or not: the kernel (mlx5e_wait_for_sq_flush waits for cc ==
 *    pc) and DPDK (mlx5_tx_error_cqe_handle skips flush CQEs) both expect every posted WQE to be
 *    returned; a flushed WQE is not parsed beyond its ds.
 *  - Inline headers: L2..L4 of a TLS data WQE must be inline (en_tx.c forces
 *    MLX5_INLINE_MODE_TCP_UDP when tls_tisn != 0, fact sheet 8.8); an LSO WQE's inline headers
 *    must be exactly L2..L4, its header template (DPDK and Linux both inline exactly the headers
 *    for TSO).
 *  - Checksums follow cs_flags only (fact sheet 8.1). A TLS frame without L4_CSUM leaves with the
 *    checksum the driver wrote, which is wrong after encryption - the driver's bug shows on the
 *    wire (the kernel forces 0xc0 for TLS, fact sheet 8.8).
 *  - Frames shorter than 60 bytes are zero-padded (802.3 minimum), as on the wire.
 */
#include <string.h>

#include "sim/wqe_internal.h"

#define OP_NOP 0x00
#define OP_SEND 0x0a
#define OP_LSO 0x0e
#define OP_SET_PSV 0x20
#define OP_GET_PSV 0x21
#define OP_DUMP 0x23
#define OP_UMR 0x25

#define FM_CE_SE_CQ_UPDATE 0x08

/* sq.h enum sim_sq_vsynd: the PRM syndrome goes by the vsynd's block. */
uint8_t sim_vsynd_syndrome(int vsynd)
{
	if (vsynd == SIM_VSYND_FLUSHED)
		return CQE_SYND_WR_FLUSH;
	if (vsynd >= SIM_VSYND_LKEY_UNKNOWN && vsynd < SIM_VSYND_FLUSHED)
		return CQE_SYND_LOCAL_PROT;
	if (vsynd >= SIM_VSYND_INLINE_BEYOND_DS && vsynd < SIM_VSYND_LKEY_UNKNOWN)
		return CQE_SYND_LOCAL_LENGTH;
	return CQE_SYND_LOCAL_QP_OP;
}

static void sq_set_state(struct sim_sq *sq, enum sim_sq_state st)
{
	__atomic_store_n(&sq->state, st, __ATOMIC_RELEASE);
}

/* One CQE for WQE `idx`: success if vsynd == 0, else an error/flush CQE. */
static void sq_complete(struct sim_sq *sq, uint16_t idx, uint8_t wqe_opcode, int vsynd)
{
	uint8_t cqe[CQE_SIZE] = { 0 };
	uint8_t opcode = CQE_OPCODE_REQ;

	if (sq->cq_dead)
		return;
	put_be32(cqe + 56, (uint32_t)wqe_opcode << 24 | sq->sqn);
	put_be16(cqe + 60, idx);
	if (vsynd) {
		opcode = CQE_OPCODE_REQ_ERR;
		cqe[54] = (uint8_t)vsynd;
		cqe[55] = sim_vsynd_syndrome(vsynd);
	}
	if (sim_cq_write(sq->cq, cqe, opcode)) {
		/* CQ overrun: nothing can be completed any more (cq.c) */
		sq->cq_dead = true;
		sq_set_state(sq, SIM_SQ_ERR);
		return;
	}
	sq->stats.cqes++;
}

/* Copy WQE `idx` (nbb WQEBBs, wrapping at the ring end) into sq->wqe. */
static void sq_snapshot(struct sim_sq *sq, uint16_t idx, uint32_t nbb)
{
	uint32_t n = 1u << sq->log_wqebbs;

	for (uint32_t i = 0; i < nbb; i++)
		memcpy(sq->wqe + i * SQ_WQEBB,
		       sq->buf + (size_t)((uint32_t)(idx + i) & (n - 1)) * SQ_WQEBB, SQ_WQEBB);
}
/* Execute the WQE in sq->wqe; 0 or a vsynd. */
static int exec_wqe(struct sim_sq *sq, uint32_t ds)
{
	const uint8_t *w = sq->wqe;
	uint16_t idx = (uint16_t)(be32_at(w) >> 8);
	uint8_t opcode = w[3];
	uint8_t fm = w[11] >> 5;

	if (!ds)
		return SIM_VSYND_DS_ZERO;
	if (idx != sq->ci)
		return SIM_VSYND_BAD_WQE_INDEX;
	if ((be32_at(w + 4) >> 8) != sq->sqn)
		return SIM_VSYND_BAD_QPN;
	/* qpn_ds bits 7:6 and ctrl bytes 9..10 are reserved; byte 8 is the (unused) signature */
	if ((w[7] & 0xc0) || w[9] || w[10])
		return SIM_VSYND_CTRL_RESERVED;
	if (fm > 4) /* NONE, INITIATOR_SMALL, FENCE, STRONG_ORDERING, SMALL_AND_FENCE */
		return SIM_VSYND_BAD_FENCE_MODE;
	if (sq->inject_after == 0) {
		sq->inject_after = -1;
		return SIM_VSYND_INJECTED;
	}
	if (fm) {
		sq->stats.fenced++;
		sq->last_params_tisn = 0; /* everything before has completed */
	}
	switch (opcode) {
	case OP_NOP:
		if (w[0])
			return SIM_VSYND_BAD_OPC_MOD;
		sq->stats.nops++;
		return 0;
	case OP_SEND:
		return sim_sq_exec_send(sq, w, ds, false);
	case OP_LSO:
		return sim_sq_exec_send(sq, w, ds, true);
	case OP_UMR:
		return sim_sq_exec_umr(sq, w, ds);
	case OP_SET_PSV:
		return sim_sq_exec_set_psv(sq, w, ds);
	case OP_DUMP:
		return sim_sq_exec_dump(sq, w, ds);
	case OP_GET_PSV:
		return sim_sq_exec_get_psv(sq, w, ds);
	default:
		return SIM_VSYND_BAD_OPCODE;
	}
}

int sim_sq_consume(struct sim_sq *sq, uint16_t pc)
{
	uint32_t ring = 1u << sq->log_wqebbs;
	int consumed = 0;

	while (sq->state != SIM_SQ_RST && sq->ci != pc) {
		uint16_t avail = (uint16_t)(pc - sq->ci);
		const uint8_t *ctrl = sq->buf + (size_t)(sq->ci & (ring - 1)) * SQ_WQEBB;
		uint8_t opcode = ctrl[3];
		uint32_t ds = ctrl[7] & 0x3f;
		uint32_t nbb = ds ? (ds + 3) / 4 : 1;
		uint16_t idx = sq->ci;
		int vs;

		consumed++;
		if (avail > ring) {
			/* the driver overwrote WQEs the device had not read: nothing in the ring
			 * can be trusted; fail here and drop the rest */
			if (sq->state == SIM_SQ_RDY) {
				sq_set_state(sq, SIM_SQ_ERR);
				sq->stats.err_cqes++;
				sq->stats.last_syndrome = CQE_SYND_LOCAL_QP_OP;
				sq->stats.last_vsynd = SIM_VSYND_DB_OVERFLOW;
				sq->stats.last_err_wqe_counter = idx;
				sq_complete(sq, idx, opcode, SIM_VSYND_DB_OVERFLOW);
			}
			sq->ci = pc;
			break;
		}
		if (nbb > avail) {
			/* the producer counter ends inside this WQE */
			if (sq->state == SIM_SQ_RDY) {
				sq_set_state(sq, SIM_SQ_ERR);
				sq->stats.err_cqes++;
				sq->stats.last_syndrome = CQE_SYND_LOCAL_QP_OP;
				sq->stats.last_vsynd = SIM_VSYND_DS_BEYOND_PI;
				sq->stats.last_err_wqe_counter = idx;
				sq_complete(sq, idx, opcode, SIM_VSYND_DS_BEYOND_PI);
			} else {
				sq->stats.flushed++;
				sq_complete(sq, idx, opcode, SIM_VSYND_FLUSHED);
			}
			sq->ci = pc;
			break;
		}
		if (sq->state == SIM_SQ_ERR) {
			sq->stats.flushed++;
			sq_complete(sq, idx, opcode, SIM_VSYND_FLUSHED);
			sq->ci = (uint16_t)(sq->ci + nbb);
			continue;
		}
		sq_snapshot(sq, idx, nbb);
		vs = exec_wqe(sq, ds);
		sq->ci = (uint16_t)(sq->ci + nbb);
		if (vs) {
			sq_set_state(sq, SIM_SQ_ERR);
			sq->stats.err_cqes++;
			sq->stats.last_syndrome = sim_vsynd_syndrome(vs);
			sq->stats.last_vsynd = (uint8_t)vs;
			sq->stats.last_err_wqe_counter = idx;
			sq_complete(sq, idx, opcode, vs);
			continue;
		}
		sq->stats.wqes++;
		if (sq->inject_after > 0)
			sq->inject_after--;
		if (sq->wqe[11] & FM_CE_SE_CQ_UPDATE)
			sq_complete(sq, idx, opcode, 0);
	}
	return consumed;
}

static const char *const vsynd_names[256] = {
	[SIM_VSYND_NONE] = "NONE",
	[SIM_VSYND_DS_ZERO] = "DS_ZERO",
	[SIM_VSYND_DS_BEYOND_PI] = "DS_BEYOND_PI",
	[SIM_VSYND_BAD_WQE_INDEX] = "BAD_WQE_INDEX",
	[SIM_VSYND_BAD_QPN] = "BAD_QPN",
	[SIM_VSYND_BAD_OPCODE] = "BAD_OPCODE",
	[SIM_VSYND_BAD_OPC_MOD] = "BAD_OPC_MOD",
	[SIM_VSYND_BAD_DS] = "BAD_DS",
	[SIM_VSYND_CTRL_RESERVED] = "CTRL_RESERVED",
	[SIM_VSYND_BAD_FENCE_MODE] = "BAD_FENCE_MODE",
	[SIM_VSYND_ETH_UNSUPPORTED] = "ETH_UNSUPPORTED",
	[SIM_VSYND_UMR_FORMAT] = "UMR_FORMAT",
	[SIM_VSYND_STATIC_PARAMS] = "STATIC_PARAMS",
	[SIM_VSYND_TLS_SUITE] = "TLS_SUITE",
	[SIM_VSYND_TIS_UNKNOWN] = "TIS_UNKNOWN",
	[SIM_VSYND_TIS_NOT_TLS] = "TIS_NOT_TLS",
	[SIM_VSYND_TIS_NO_CONTEXT] = "TIS_NO_CONTEXT",
	[SIM_VSYND_DEK_INVALID] = "DEK_INVALID",
	[SIM_VSYND_PROGRESS_PARAMS] = "PROGRESS_PARAMS",
	[SIM_VSYND_TLS_ENGINE] = "TLS_ENGINE",
	[SIM_VSYND_PKT_UNPARSEABLE] = "PKT_UNPARSEABLE",
	[SIM_VSYND_LSO_HEADERS] = "LSO_HEADERS",
	[SIM_VSYND_TLS_NOT_TCP] = "TLS_NOT_TCP",
	[SIM_VSYND_TLS_HDR_NOT_INLINE] = "TLS_HDR_NOT_INLINE",
	[SIM_VSYND_INJECTED] = "INJECTED",
	[SIM_VSYND_RX_NOT_MODELLED] = "RX_NOT_MODELLED",
	[SIM_VSYND_DB_OVERFLOW] = "DB_OVERFLOW",
	[SIM_VSYND_INLINE_BEYOND_DS] = "INLINE_BEYOND_DS",
	[SIM_VSYND_DATA_LEN_ZERO] = "DATA_LEN_ZERO",
	[SIM_VSYND_FRAME_TOO_SHORT] = "FRAME_TOO_SHORT",
	[SIM_VSYND_FRAME_TOO_LONG] = "FRAME_TOO_LONG",
	[SIM_VSYND_LSO_TOO_LONG] = "LSO_TOO_LONG",
	[SIM_VSYND_LSO_NO_PAYLOAD] = "LSO_NO_PAYLOAD",
	[SIM_VSYND_LSO_MSS] = "LSO_MSS",
	[SIM_VSYND_INLINE_SEG_LEN] = "INLINE_SEG_LEN",
	[SIM_VSYND_LKEY_UNKNOWN] = "LKEY_UNKNOWN",
	[SIM_VSYND_ADDR_OUT_OF_MR] = "ADDR_OUT_OF_MR",
	[SIM_VSYND_PD_MISMATCH] = "PD_MISMATCH",
	[SIM_VSYND_MR_NO_WRITE] = "MR_NO_WRITE",
	[SIM_VSYND_RQ_BUF_TOO_SMALL] = "RQ_BUF_TOO_SMALL",
	[SIM_VSYND_FLUSHED] = "FLUSHED",
	[SIM_VSYND_TIR_UNKNOWN] = "TIR_UNKNOWN",
	[SIM_VSYND_TIR_NOT_TLS] = "TIR_NOT_TLS",
	[SIM_VSYND_TIR_NO_CONTEXT] = "TIR_NO_CONTEXT",
	[SIM_VSYND_GET_PSV_FORMAT] = "GET_PSV_FORMAT",
	[SIM_VSYND_GET_PSV_ALIGN] = "GET_PSV_ALIGN",
	[SIM_VSYND_DEK_NOT_OWNED] = "DEK_NOT_OWNED",
	[SIM_VSYND_RQ_WQE_FORMAT] = "RQ_WQE_FORMAT",
};

const char *sim_sq_vsynd_str(uint8_t vsynd)
{
	return vsynd_names[vsynd];
}
