/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The WQE engine: parses each WQE byte by byte from the ring (fact sheet 8; mlx5dv.h segment
 * structs), executes it, and completes it (CQE on CQ_UPDATE, error CQE on anything it rejects).
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
#include <endian.h>
#include <string.h>

#include "sim/port.h"
#include "sim/sq_internal.h"

#define OP_NOP 0x00
#define OP_SEND 0x0a
#define OP_LSO 0x0e
#define OP_SET_PSV 0x20
#define OP_GET_PSV 0x21
#define OP_DUMP 0x23
#define OP_UMR 0x25

#define OPC_MOD_TIS 0x1
#define OPC_MOD_TIR 0x2

#define FM_CE_SE_CQ_UPDATE 0x08
#define CS_L3 0x40
#define CS_L4 0x80

#define DATA_SEG_INLINE 0x80000000u /* MLX5_INLINE_SEG */
#define UMR_INLINE 0x80              /* MLX5_UMR_INLINE */
#define STATIC_PARAMS_DS 12
#define PORT_MTU_DEFAULT 1500u

static uint32_t be32_at(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return be32toh(v);
}

static uint16_t be16_at(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, 2);
	return be16toh(v);
}

static uint64_t be64_at(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return be64toh(v);
}

static void put_be32(uint8_t *p, uint32_t v)
{
	v = htobe32(v);
	memcpy(p, &v, 4);
}

static void put_be16(uint8_t *p, uint16_t v)
{
	v = htobe16(v);
	memcpy(p, &v, 2);
}

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

static uint32_t port_mtu(const struct sim_sq *sq)
{
	return sq->port ? sim_port_mtu(sq->port) : PORT_MTU_DEFAULT;
}

/* ---- frames ---- */

static int emit_frame(struct sim_sq *sq, uint8_t *f, size_t len, uint32_t l2_len)
{
	if (len < 14)
		return SIM_VSYND_FRAME_TOO_SHORT;
	if (len - l2_len > port_mtu(sq))
		return SIM_VSYND_FRAME_TOO_LONG;
	if (len < SQ_FRAME_MIN_PAD) {
		memset(f + len, 0, SQ_FRAME_MIN_PAD - len);
		len = SQ_FRAME_MIN_PAD;
	}
	sq->stats.frames++;
	sq->stats.frame_bytes += len;
	if (sq->port && sim_port_xmit(sq->port, f, len))
		sq->stats.port_errors++; /* lost on the wire; the WQE still completes */
	return 0;
}

/* The TIS a data/DUMP WQE goes through: ctrl tis_tir_num >> 8, or the SQ's default TIS. */
struct tis_view {
	uint32_t tisn;
	uint32_t pd;
	int tls_en;
};

static int ctrl_tis(struct sim_sq *sq, const uint8_t *w, bool default_ok, struct tis_view *t)
{
	uint32_t field = be32_at(w + 12);

	if (field & 0xff)
		return SIM_VSYND_CTRL_RESERVED;
	t->tisn = field >> 8;
	if (!t->tisn) {
		if (!default_ok)
			return SIM_VSYND_TIS_UNKNOWN;
		t->tisn = sq->tisn;
	}
	if (sim_tis_get(sq->dev, t->tisn, &t->tls_en, &t->pd, NULL))
		return SIM_VSYND_TIS_UNKNOWN;
	return 0;
}

/* A payload piece of a TLS LSO WQE left in the application's memory: the TLS engine encrypts it
 * straight from there into the frame (no gather copy first). */
struct sq_piece {
	uint32_t off; /* where it goes in sq->pkt */
	uint32_t len;
	const uint8_t *src;
};
#define SQ_MAX_PIECES (SQ_MAX_WQE_BYTES / SQ_DS)

/* Gather the data segments of w[off .. ds*16) after `have` bytes already in sq->pkt. pieces:
 * pointer segments are only checked and listed there, not copied (the caller holds the MR read
 * lock until they are used). */
static int gather(struct sim_sq *sq, const uint8_t *w, uint32_t off, uint32_t end, size_t *have,
		  size_t limit, struct sq_piece *pieces, unsigned int *npieces)
{
	while (off < end) {
		const uint8_t *seg = w + off;
		uint32_t bc = be32_at(seg);

		if (bc & DATA_SEG_INLINE) {
			/* mlx5_wqe_inline_seg: byte_count | MLX5_INLINE_SEG, the bytes follow */
			uint32_t len = bc & ~DATA_SEG_INLINE;
			uint32_t span = (4 + len + SQ_DS - 1) / SQ_DS * SQ_DS;

			if (!len || span > end - off)
				return SIM_VSYND_INLINE_SEG_LEN;
			if (*have + len > limit)
				return SIM_VSYND_LSO_TOO_LONG;
			memcpy(sq->pkt + *have, seg + 4, len);
			*have += len;
			off += span;
		} else {
			int vs;

			if (!bc)
				return SIM_VSYND_DATA_LEN_ZERO;
			if (*have + bc > limit)
				return SIM_VSYND_LSO_TOO_LONG;
			if (pieces) {
				const uint8_t *src = NULL;

				vs = sim_mr_ptr(sq->dp, sq->pd, be32_at(seg + 4), be64_at(seg + 8),
						bc, &src);
				if (!vs && *npieces < SQ_MAX_PIECES)
					pieces[(*npieces)++] = (struct sq_piece){ (uint32_t)*have, bc,
										  src };
			} else {
				vs = sim_mr_read(sq->dp, sq->pd, be32_at(seg + 4), be64_at(seg + 8), bc,
						 sq->pkt + *have);
			}
			if (vs)
				return vs;
			*have += bc;
			off += SQ_DS;
		}
	}
	return 0;
}

static int tls_encrypt(struct sim_sq *sq, struct sim_tls_ctx *ctx, uint8_t *f,
		       const struct sim_pkt *pkt)
{
	uint32_t plen = pkt->l3_end - pkt->pay_off;
	int vs;

	/* a pure ACK: nothing for the record engine (the kernel sends those without the TIS) */
	if (!plen)
		return 0;
	vs = sim_tls_ctx_data(ctx, be32_at(f + pkt->l4_off + 4), f + pkt->pay_off, plen);
	if (!vs) {
		sq->stats.tls_frames++;
		sq->stats.tls_bytes += plen;
	}
	return vs;
}

static void check_unfenced(struct sim_sq *sq, uint32_t tisn)
{
	if (sq->last_params_tisn && sq->last_params_tisn == tisn)
		sq->stats.tls_unfenced_after_params++;
	sq->last_params_tisn = 0;
}

/* SEND: one frame, the packet as gathered. */
static int send_one(struct sim_sq *sq, struct sim_tls_ctx *ctx, size_t have, uint16_t ihs,
		    uint8_t cs_flags)
{
	struct sim_pkt pkt;
	bool parsed = sim_pkt_parse(sq->pkt, have, &pkt, false) == 0;
	uint32_t l2 = parsed && pkt.l3_off ? pkt.l3_off : 14;

	if (have < 14)
		return SIM_VSYND_FRAME_TOO_SHORT;
	if (have - l2 > port_mtu(sq))
		return SIM_VSYND_FRAME_TOO_LONG;
	if (ctx) {
		if (!parsed || pkt.l4_proto != 6)
			return SIM_VSYND_TLS_NOT_TCP;
		if (ihs < pkt.pay_off)
			return SIM_VSYND_TLS_HDR_NOT_INLINE;
		int vs = tls_encrypt(sq, ctx, sq->pkt, &pkt);

		if (vs)
			return vs;
	}
	if (cs_flags) {
		if (!parsed || (!pkt.ipv4 && !pkt.ipv6) || ((cs_flags & CS_L4) && !pkt.l4_proto))
			return SIM_VSYND_PKT_UNPARSEABLE;
		sim_pkt_csum(sq->pkt, &pkt, cs_flags);
	}
	return emit_frame(sq, sq->pkt, have, l2);
}

/* The payload [ihs, have) through the TLS engine into sq->pkt: the listed pieces from the
 * application's memory, the bytes between them (inline data) in place. */
static int lso_encrypt_pieces(struct sim_sq *sq, struct sim_tls_ctx *ctx, uint32_t seq0,
			      uint32_t ihs, size_t have, const struct sq_piece *pieces,
			      unsigned int n)
{
	uint32_t cur = ihs;
	int vs = 0;

	for (unsigned int i = 0; i <= n && !vs; i++) {
		uint32_t next = i < n ? pieces[i].off : (uint32_t)have;

		if (cur < next) /* inline bytes, already in the frame */
			vs = sim_tls_ctx_data_to(ctx, seq0 + (cur - ihs), sq->pkt + cur,
						 sq->pkt + cur, next - cur);
		if (vs || i == n)
			break;
		vs = sim_tls_ctx_data_to(ctx, seq0 + (pieces[i].off - ihs), pieces[i].src,
					 sq->pkt + pieces[i].off, pieces[i].len);
		cur = pieces[i].off + pieces[i].len;
	}
	return vs;
}

/* LSO: the inline headers (exactly L2..L4) are the template of every segment. pieces: TLS
 * payload still in the application's memory (gather without copy). */
static int send_lso(struct sim_sq *sq, struct sim_tls_ctx *ctx, size_t have, uint16_t ihs,
		    uint16_t mss, uint8_t cs_flags, const struct sq_piece *pieces,
		    unsigned int npieces)
{
	struct sim_pkt tpl;
	struct sim_lso_sums sums;
	uint32_t plen = (uint32_t)(have - ihs), seq0, maxseg, sent;
	uint8_t hdr[SQ_MAX_WQE_BYTES]; /* the template: the first segment's copy is overwritten */
	uint16_t id0 = 0;
	uint8_t flags0;
	int vs;

	if (sim_pkt_parse(sq->pkt, ihs, &tpl, true) || tpl.l4_proto != 6 || tpl.ipv4_frag ||
	    tpl.pay_off != ihs)
		return SIM_VSYND_LSO_HEADERS;
	if (!mss)
		return SIM_VSYND_LSO_MSS;
	if (!plen)
		return SIM_VSYND_LSO_NO_PAYLOAD;
	maxseg = plen < mss ? plen : mss;
	if (ihs - tpl.l3_off + maxseg > port_mtu(sq))
		return SIM_VSYND_LSO_MSS;
	seq0 = be32_at(sq->pkt + tpl.l4_off + 4);
	flags0 = sq->pkt[tpl.l4_off + 13];
	/* The TLS engine sees the segments' payloads back to back in sequence order, so the whole
	 * payload goes through it in one call before it is cut: the same bytes, fewer calls. */
	if (ctx) {
		vs = pieces ? lso_encrypt_pieces(sq, ctx, seq0, ihs, have, pieces, npieces)
			    : sim_tls_ctx_data(ctx, seq0, sq->pkt + ihs, plen);
		if (vs)
			return vs;
		sq->stats.tls_frames += (plen + mss - 1u) / mss;
		sq->stats.tls_bytes += plen;
	}
	if (tpl.ipv4)
		id0 = be16_at(sq->pkt + tpl.l3_off + 4);
	memcpy(hdr, sq->pkt, ihs);
	if (cs_flags)
		sim_lso_sums_init(&sums, hdr, &tpl);
	for (sent = 0; sent < plen;) {
		uint32_t seg = plen - sent < mss ? plen - sent : mss;
		bool first = sent == 0, last = sent + seg == plen;
		/* Segments are cut in place: segment k's headers go right before its payload, over
		 * the tail of segment k-1, which is already on the wire. A frame the MAC pads
		 * (< 60 bytes) that is not the last would pad over the next payload: copied. */
		uint8_t *f = ihs + seg < SQ_FRAME_MIN_PAD && !last ? sq->frame : sq->pkt + sent;
		uint8_t *ip = f + tpl.l3_off, *tcp = f + tpl.l4_off;
		uint32_t l3len = ihs - tpl.l3_off + seg;

		if (f == sq->frame)
			memcpy(f + ihs, sq->pkt + ihs + sent, seg);
		memcpy(f, hdr, ihs);
		if (tpl.ipv4) {
			put_be16(ip + 2, (uint16_t)l3len);
			/* the IPv4 ID advances by one per segment (Linux TSO/GSO semantics) */
			put_be16(ip + 4, (uint16_t)(id0 + sent / mss));
		} else {
			put_be16(ip + 4, (uint16_t)(l3len - 40));
		}
		put_be32(tcp + 4, seq0 + sent);
		/* FIN and PSH only on the last segment, CWR only on the first (RFC 3168 6.1.2,
		 * Linux tcp_gso_segment) */
		tcp[13] = flags0;
		if (!last)
			tcp[13] &= (uint8_t)~0x09;
		if (!first)
			tcp[13] &= (uint8_t)~0x80;
		if (cs_flags)
			sim_lso_csum(f, &tpl, &sums, seg, cs_flags);
		vs = emit_frame(sq, f, ihs + seg, tpl.l3_off);
		if (vs)
			return vs;
		sent += seg;
	}
	return 0;
}

/* SEND (0x0a) and LSO (0x0e): ctrl + eth seg (+ inline headers) + data segments. */
static int exec_send(struct sim_sq *sq, const uint8_t *w, uint32_t ds, bool lso)
{
	const uint8_t *eth = w + 16;
	uint32_t end = ds * SQ_DS;
	uint16_t ihs, mss;
	uint8_t cs_flags;
	struct tis_view tis = { 0 };
	struct sim_tls_ctx *ctx = NULL;
	struct sq_piece pieces[SQ_MAX_PIECES];
	unsigned int npieces = 0;
	bool fused;
	size_t have;
	uint32_t off;
	int vs;

	if (w[0])
		return SIM_VSYND_BAD_OPC_MOD;
	if (ds < 2)
		return SIM_VSYND_BAD_DS;
	vs = ctrl_tis(sq, w, true, &tis);
	if (vs)
		return vs;
	/* eth seg: no software-parser offsets/flags, no inner (tunnel) checksums, no VLAN insertion
	 * (insert.type 0x8000 shares the inline_hdr_sz field) - none of them is modelled */
	cs_flags = eth[4];
	mss = be16_at(eth + 6);
	ihs = be16_at(eth + 12);
	if (eth[0] || eth[1] || eth[2] || eth[3] || eth[5] || (cs_flags & ~(CS_L3 | CS_L4)) ||
	    (ihs & 0x8000))
		return SIM_VSYND_ETH_UNSUPPORTED;
	/* inline headers start at eth + 14 and run on into the next 16-byte units */
	if (30u + ihs > end)
		return SIM_VSYND_INLINE_BEYOND_DS;
	memcpy(sq->pkt, eth + 14, ihs);
	have = ihs;
	off = 32 + (ihs > 2 ? (ihs - 2u + SQ_DS - 1) / SQ_DS * SQ_DS : 0);
	/* TLS LSO: the payload is encrypted straight from the application's memory into the
	 * frame (the regions stay read-locked until then) instead of gathered first */
	fused = lso && tis.tls_en;
	if (fused)
		sim_mr_read_lock(sq->dp);
	vs = gather(sq, w, off, end, &have,
		    lso ? ihs + (size_t)SQ_LSO_MAX_PAYLOAD : ihs + (size_t)SQ_FRAME_MAX,
		    fused ? pieces : NULL, &npieces);
	if (vs) {
		vs = vs == SIM_VSYND_LSO_TOO_LONG && !lso ? SIM_VSYND_FRAME_TOO_LONG : vs;
		goto out;
	}
	if (tis.tls_en) {
		check_unfenced(sq, tis.tisn);
		/* held for the whole WQE, so all its segments see one record stream */
		ctx = sim_tls_ctx_lock(sq->dp, tis.tisn);
		if (!ctx) {
			vs = SIM_VSYND_TIS_NO_CONTEXT;
			goto out;
		}
	}
	sq->stats.sends++;
	vs = lso ? send_lso(sq, ctx, have, ihs, mss, cs_flags, fused ? pieces : NULL, npieces)
		 : send_one(sq, ctx, have, ihs, cs_flags);
	if (ctx)
		sim_tls_ctx_unlock(ctx);
out:
	if (fused)
		sim_mr_read_unlock(sq->dp);
	return vs;
}

/* The TIR a receive-side WQE names (tirn), if it is a live TLS TIR: 0 or a vsynd. */
static int tls_tir(struct sim_sq *sq, uint32_t tirn, uint16_t *uid)
{
	int tls_en = 0;

	if (!tirn || tirn >= SIM_OBJ_NUM_LIMIT || sim_tir_get(sq->dev, tirn, &tls_en, uid, NULL))
		return SIM_VSYND_TIR_UNKNOWN;
	return tls_en ? 0 : SIM_VSYND_TIR_NOT_TLS;
}

/* UMR opc_mod 2: TIR static params (fact sheet 8.3, 11.2 step 4, 11.4 step 5): the same WQE as
 * for a TIS, with tis_tir_num = tirn << 8. The TIR's TLS RX context takes them (tls_rx_ctx.c). */
static int umr_tir(struct sim_sq *sq, const uint8_t *w)
{
	uint32_t field = be32_at(w + 12);
	uint16_t uid = 0;
	int vs;

	if (field & 0xff)
		return SIM_VSYND_CTRL_RESERVED;
	vs = tls_tir(sq, field >> 8, &uid);
	if (vs)
		return vs;
	vs = sim_tls_rx_ctx_static(sq->dev, sq->dp, sq->tls_rx_ops, field >> 8, uid, w + 128);
	if (vs)
		return vs;
	sq->stats.tls_rx_static++;
	return 0;
}

/* UMR opc_mod 1/2: TLS static params (fact sheet 8.3): ctrl, umr ctrl (48), mkey (64), params. */
static int exec_umr(struct sim_sq *sq, const uint8_t *w, uint32_t ds)
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
	vs = sim_tls_ctx_static(sq->dev, sq->dp, sq->tls_ops, tis.tisn, tis.pd, w + 128);
	if (vs)
		return vs;
	sq->stats.tls_static++;
	sq->last_params_tisn = tis.tisn;
	return 0;
}

/* SET_PSV opc_mod 2: TIR progress params (fact sheet 8.4, 11.2 step 4). */
static int set_psv_tir(struct sim_sq *sq, uint32_t tirn, const uint8_t *pp)
{
	struct sim_tls_rx_ctx *ctx;
	int vs = tls_tir(sq, tirn, NULL);

	if (vs)
		return vs;
	ctx = sim_tls_rx_ctx_lock(sq->dp, tirn);
	if (!ctx)
		return SIM_VSYND_TIR_NO_CONTEXT;
	vs = sim_tls_rx_ctx_progress(ctx, pp);
	sim_tls_rx_ctx_unlock(ctx);
	if (vs)
		return vs;
	sq->stats.tls_rx_progress++;
	return 0;
}

/* SET_PSV opc_mod 1/2: TLS progress params (fact sheet 8.4): ctrl + number (unshifted) + 12 B. */
static int exec_set_psv(struct sim_sq *sq, const uint8_t *w, uint32_t ds)
{
	const uint8_t *seg = w + 16, *pp = w + 20;
	struct sim_tls_ctx *ctx;
	uint32_t tisn = be32_at(seg);
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
	if (!tisn || tisn >= SIM_OBJ_NUM_LIMIT || sim_tis_get(sq->dev, tisn, &tls_en, NULL, NULL))
		return SIM_VSYND_TIS_UNKNOWN;
	if (!tls_en)
		return SIM_VSYND_TIS_NOT_TLS;
	ctx = sim_tls_ctx_lock(sq->dp, tisn);
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
static int exec_get_psv(struct sim_sq *sq, const uint8_t *w, uint32_t ds)
{
	const uint8_t *seg = w + 16;
	struct sim_tls_rx_ctx *ctx;
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
	vs = tls_tir(sq, tirn, NULL);
	if (vs)
		return vs;
	ctx = sim_tls_rx_ctx_lock(sq->dp, tirn);
	if (!ctx)
		return SIM_VSYND_TIR_NO_CONTEXT;
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
static int exec_dump(struct sim_sq *sq, const uint8_t *w, uint32_t ds)
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
	ctx = sim_tls_ctx_lock(sq->dp, tis.tisn);
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
		return exec_send(sq, w, ds, false);
	case OP_LSO:
		return exec_send(sq, w, ds, true);
	case OP_UMR:
		return exec_umr(sq, w, ds);
	case OP_SET_PSV:
		return exec_set_psv(sq, w, ds);
	case OP_DUMP:
		return exec_dump(sq, w, ds);
	case OP_GET_PSV:
		return exec_get_psv(sq, w, ds);
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
