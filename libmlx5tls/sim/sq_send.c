/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The WQE engine: SEND (0x0a) and LSO (0x0e) - the data segments gathered after the inline
 * headers, the payload through the TIS's TLS context, checksums by cs_flags, LSO cut into
 * segments, each frame onto the port. The rules (inline headers, checksums, padding) are the
 * model choices stated in sq_wqe.c.
 */
#include <string.h>

#include "sim/port.h"
#include "sim/wqe_internal.h"

#define CS_L3 0x40
#define CS_L4 0x80
#define PORT_MTU_DEFAULT 1500u
#define SQ_LSO_SUM_BATCH 64u /* segments whose payload sums are taken in one call */

static uint32_t port_mtu(const struct sim_sq *sq)
{
	return sq->port ? sim_port_mtu(sq->port) : PORT_MTU_DEFAULT;
}

/* ---- frames ---- */

/* A frame whose length is known to fit onto the wire: padded to the minimum, counted, to the
 * port. held: the caller holds sq->port (an LSO burst, sim_port_hold). */
static void put_frame(struct sim_sq *sq, uint8_t *f, size_t len, bool held)
{
	if (len < SQ_FRAME_MIN_PAD) {
		memset(f + len, 0, SQ_FRAME_MIN_PAD - len);
		len = SQ_FRAME_MIN_PAD;
	}
	sq->stats.frames++;
	sq->stats.frame_bytes += len;
	if (sq->port &&
	    (held ? sim_port_xmit_held(sq->port, f, len) : sim_port_xmit(sq->port, f, len)))
		sq->stats.port_errors++; /* lost on the wire; the WQE still completes */
}

static int emit_frame(struct sim_sq *sq, uint8_t *f, size_t len, uint32_t l2_len)
{
	if (len < 14)
		return SIM_VSYND_FRAME_TOO_SHORT;
	if (len - l2_len > port_mtu(sq))
		return SIM_VSYND_FRAME_TOO_LONG;
	put_frame(sq, f, len, false);
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
	uint32_t plen = (uint32_t)(have - ihs), seq0, maxseg, sent, k = 0;
	/* The segments' payload sums, a batch at a time: one call for many segments, not one
	 * per segment (bench tx: the per-call overhead was about a third of a segment's sum) */
	uint32_t pay_sums[SQ_LSO_SUM_BATCH] = { 0 };
	uint8_t hdr[SQ_MAX_WQE_BYTES]; /* the template: the first segment's copy is overwritten */
	uint16_t id0 = 0;
	uint8_t flags0;
	bool held;

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
		int vs = pieces ? lso_encrypt_pieces(sq, ctx, seq0, ihs, have, pieces, npieces)
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
	/* the port once for all the segments, not once per frame (bench tx: xmit was about 2 % of
	 * the model's time, most of it the port lock) */
	held = sq->port != NULL;
	if (held)
		sim_port_hold(sq->port);
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
		if (ihs >= 32 && ihs <= 64) {
			/* the usual 54 or 66 bytes as two fixed-size copies the compiler inlines
			 * (a library call per segment otherwise) */
			memcpy(f, hdr, 32);
			memcpy(f + ihs - 32, hdr + ihs - 32, 32);
		} else {
			memcpy(f, hdr, ihs);
		}
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
		if (cs_flags) {
			/* the payload sums of the next batch of segments, while all their bytes
			 * are still there (each segment's headers go over the previous one's
			 * tail) */
			if (k % SQ_LSO_SUM_BATCH == 0 && (cs_flags & CS_L4))
				sim_csum_segments(sq->pkt + ihs + sent, plen - sent, mss, pay_sums,
						  SQ_LSO_SUM_BATCH);
			sim_lso_csum(f, &tpl, &sums, seg, pay_sums[k % SQ_LSO_SUM_BATCH],
				     cs_flags);
		}
		/* its length was checked with the WQE: ihs + mss within the MTU, ihs at least
		 * Ethernet + IP + TCP (a NIC validates a WQE once, not each segment it cuts) */
		put_frame(sq, f, ihs + seg, held);
		sent += seg;
		k++;
	}
	if (held)
		sim_port_release(sq->port);
	return 0;
}

/* SEND (0x0a) and LSO (0x0e): ctrl + eth seg (+ inline headers) + data segments. */
int sim_sq_exec_send(struct sim_sq *sq, const uint8_t *w, uint32_t ds, bool lso)
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
		ctx = sim_tls_ctx_lock(sq->dp, &sq->tls_ctx, tis.tisn);
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
