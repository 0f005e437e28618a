/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The WQE engine: the TLS control WQEs. Static params by UMR and progress params by SET_PSV, to a
 * TIS's TLS context (opc_mod 1) or a TIR's TLS RX context (opc_mod 2, tls_rx_ctx.c); GET_PSV, a
 * TIR's progress params into memory; DUMP, bytes a TIS's TLS engine sees without a frame.
 */
#include <string.h>

#include "sim/wqe_internal.h"

#define OPC_MOD_TIS 0x1
#define OPC_MOD_TIR 0x2

#define UMR_INLINE 0x80              /* MLX5_UMR_INLINE */
#define STATIC_PARAMS_DS 12

/* A number a receive-side WQE names that no TIR can have: TIR_UNKNOWN, else 0 (the TIR itself is
 * checked - live, tls_en - as its context is found, tls_rx_ctx.c). */
static int tls_tirn_valid(uint32_t tirn)
{
	return !tirn || tirn >= SIM_OBJ_NUM_LIMIT ? SIM_VSYND_TIR_UNKNOWN : 0;
}

/* UMR opc_mod 2: TIR static params (fact sheet 8.3, 11.2 step 4, 11.4 step 5): the same WQE as
 * for a TIS, with tis_tir_num = tirn << 8. The TIR's TLS RX context takes them (tls_rx_ctx.c). */
static int umr_tir(struct sim_sq *sq, const uint8_t *w)
{
	uint32_t field = be32_at(w + 12);
	int vs;

	if (field & 0xff)
		return SIM_VSYND_CTRL_RESERVED;
	vs = sim_tls_rx_ctx_static(sq->dev, sq->tls_rx_ops, field >> 8, w + 128);
	if (vs)
		return vs;
	sq->stats.tls_rx_static++;
	return 0;
}

/* UMR opc_mod 1/2: TLS static params (fact sheet 8.3): ctrl, umr ctrl (48), mkey (64), params. */
int sim_sq_exec_umr(struct sim_sq *sq, const uint8_t *w, uint32_t ds)
{
	const uint8_t *umr = w + 16, *mkey = w + 64;
	struct tis_view tis = { 0 };
	int vs;

	if (w[0] != OPC_MOD_TIS && w[0] != OPC_MOD_TIR)
		return SIM_VSYND_BAD_OPC_MOD; /* plain UMR (mkey translation) is not modelled */
	if (ds != STATIC_PARAMS_DS)
		return SIM_VSYND_BAD_DS;
	/* flags = MLX5_UMR_INLINE, bsf_octowords = 4, every other umr byte and the mkey zero */
	if (umr[0] != UMR_INLINE || umr[1] || umr[2] || umr[3] || be16_at(umr + 4) ||
	    be16_at(umr + 6) != 4 || !sim_bytes_zero(umr + 8, 40) || !sim_bytes_zero(mkey, 64))
		return SIM_VSYND_UMR_FORMAT;
	if (w[0] == OPC_MOD_TIR)
		return umr_tir(sq, w);
	vs = ctrl_tis(sq, w, false, &tis);
	if (vs)
		return vs;
	if (!tis.tls_en)
		return SIM_VSYND_TIS_NOT_TLS;
	vs = sim_tls_ctx_static(sq->dev, sq->dp, sq->tls_ops, &sq->tls_ctx, tis.tisn, tis.pd,
			       w + 128);
	if (vs)
		return vs;
	sq->stats.tls_static++;
	sq->last_params_tisn = tis.tisn;
	return 0;
}

/* SET_PSV opc_mod 2: TIR progress params (fact sheet 8.4, 11.2 step 4). */
static int set_psv_tir(struct sim_sq *sq, uint32_t tirn, const uint8_t *pp)
{
	struct sim_tls_rx_ctx *ctx = NULL;
	int vs = tls_tirn_valid(tirn);

	if (!vs)
		vs = sim_tls_rx_ctx_lock(sq->dev, tirn, &ctx);
	if (vs)
		return vs;
	vs = sim_tls_rx_ctx_progress(ctx, pp);
	sim_tls_rx_ctx_unlock(ctx);
	if (vs)
		return vs;
	sq->stats.tls_rx_progress++;
	return 0;
}

/* SET_PSV opc_mod 1/2: TLS progress params (fact sheet 8.4): ctrl + number (unshifted) + 12 B. */
int sim_sq_exec_set_psv(struct sim_sq *sq, const uint8_t *w, uint32_t ds)
{
	const uint8_t *seg = w + 16, *pp = w + 20;
	struct sim_tls_ctx *ctx;
	uint32_t tisn = be32_at(seg), pd = 0;
	int tls_en = 0, vs;

	if (w[0] != OPC_MOD_TIS && w[0] != OPC_MOD_TIR)
		return SIM_VSYND_BAD_OPC_MOD;
	if (ds != 2)
		return SIM_VSYND_BAD_DS;
	/* record_tracker_state and auth_state are 0..2, reserved_at_44 is zero (fact sheet 7) */
	if ((pp[8] >> 6) > 2 || ((pp[8] >> 4) & 3) > 2 || (pp[8] & 0xf))
		return SIM_VSYND_PROGRESS_PARAMS;
	if (w[0] == OPC_MOD_TIR)
		return set_psv_tir(sq, tisn, pp);
	if (!tisn || tisn >= SIM_OBJ_NUM_LIMIT ||
	    sim_tis_get_cached(sq->dev, &sq->tis_cache, tisn, &tls_en, &pd))
		return SIM_VSYND_TIS_UNKNOWN;
	if (!tls_en)
		return SIM_VSYND_TIS_NOT_TLS;
	ctx = sim_tls_ctx_lock(sq->dp, &sq->tls_ctx, tisn);
	if (!ctx)
		return SIM_VSYND_TIS_NO_CONTEXT;
	vs = sim_tls_ctx_progress(ctx, pp);
	sim_tls_ctx_unlock(ctx);
	if (vs)
		return vs;
	sq->stats.tls_progress++;
	sq->last_params_tisn = tisn;
	return 0;
}

/*
 * GET_PSV opc_mod 2 (fact sheet 8.5, 11.4 steps 2-3): ctrl + mlx5_seg_get_psv (48 bytes: 19
 * reserved, num_psv, l_key, va, psv_index[4]). The device writes the TIR's 16-byte
 * mlx5_wqe_tls_progress_params_seg image (BE32 tirn, then the 12-byte progress params,
 * tls_rx.c R12) at va. Rules: opc_mod 2 and ds 4 as the kernel posts; the ctrl's tis_tir_num is
 * not used (the number is psv_index[0]) and must be 0; num_psv = 0x10, i.e. one PSV in its high
 * nibble, and psv_index[1..3] zero (the model reads one context per WQE, as every driver asks
 * for); va 64-byte aligned (XLIO: "Address must be aligned by 64"; the kernel maps a 64-byte
 * cache-line aligned buffer) in a region registered with LOCAL_WRITE in the SQ's PD. Model
 * reading: only the 16 bytes are written (whether more is written is NOT FOUND, fact sheet 15;
 * both drivers reserve 64), and the write is complete before the WQE's CQE.
 */
int sim_sq_exec_get_psv(struct sim_sq *sq, const uint8_t *w, uint32_t ds)
{
	const uint8_t *seg = w + 16;
	struct sim_tls_rx_ctx *ctx = NULL;
	uint8_t img[16];
	uint32_t tirn;
	uint64_t va;
	int vs;

	if (w[0] != OPC_MOD_TIR)
		return SIM_VSYND_BAD_OPC_MOD;
	if (ds != 4)
		return SIM_VSYND_BAD_DS;
	if (be32_at(w + 12))
		return SIM_VSYND_CTRL_RESERVED;
	if (!sim_bytes_zero(seg, 19) || seg[19] != 0x10 || !sim_bytes_zero(seg + 36, 12))
		return SIM_VSYND_GET_PSV_FORMAT;
	va = be64_at(seg + 24);
	tirn = be32_at(seg + 32);
	if (va & 63)
		return SIM_VSYND_GET_PSV_ALIGN;
	vs = tls_tirn_valid(tirn);
	if (!vs)
		vs = sim_tls_rx_ctx_lock(sq->dev, tirn, &ctx);
	if (vs)
		return vs;
	vs = sim_tls_rx_ctx_get_progress(ctx, img);
	sim_tls_rx_ctx_unlock(ctx);
	if (vs)
		return vs;
	put_be32(img, tirn);
	vs = sim_mr_write(sq->dp, sq->pd, be32_at(seg + 20), va, sizeof(img), img);
	if (vs)
		return vs;
	sq->stats.get_psv++;
	return 0;
}

/* DUMP (fact sheet 8.6): ctrl (tisn << 8) + one pointer data segment; bytes to the TLS engine. */
int sim_sq_exec_dump(struct sim_sq *sq, const uint8_t *w, uint32_t ds)
{
	const uint8_t *seg = w + 16;
	struct tis_view tis = { 0 };
	struct sim_tls_ctx *ctx;
	uint32_t bc = be32_at(seg);
	int vs;

	if (w[0])
		return SIM_VSYND_BAD_OPC_MOD;
	if (ds != 2 || (bc & DATA_SEG_INLINE))
		return SIM_VSYND_BAD_DS; /* one pointer data segment (K-tx tx_post_resync_dump) */
	vs = ctrl_tis(sq, w, false, &tis);
	if (vs)
		return vs;
	if (!tis.tls_en)
		return SIM_VSYND_TIS_NOT_TLS;
	if (!bc)
		return SIM_VSYND_DATA_LEN_ZERO;
	/* the kernel cuts DUMPs at hw_mtu; the model accepts up to a maximal frame */
	if (bc > SQ_FRAME_MAX)
		return SIM_VSYND_FRAME_TOO_LONG;
	vs = sim_mr_read(sq->dp, sq->pd, be32_at(seg + 4), be64_at(seg + 8), bc, sq->pkt);
	if (vs)
		return vs;
	check_unfenced(sq, tis.tisn);
	ctx = sim_tls_ctx_lock(sq->dp, &sq->tls_ctx, tis.tisn);
	if (!ctx)
		return SIM_VSYND_TIS_NO_CONTEXT;
	vs = sim_tls_ctx_dump(ctx, sq->pkt, bc);
	sim_tls_ctx_unlock(ctx);
	if (vs)
		return vs;
	sq->stats.tls_dump_wqes++;
	sq->stats.tls_dump_bytes += bc;
	return 0;
}
