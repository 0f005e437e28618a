/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The raw Ethernet send queue as the library drives it (internal): ring bookkeeping, posting,
 * doorbells, completion polling and error recovery (devx-userspace B3, B4). The same code runs
 * over the rings of a verbs QP (devx) and of a model SQ (sim): only the doorbell store differs.
 *
 * A queue and the TLS contexts on it are used by one thread at a time (like a NIC TX queue);
 * the datapath takes no lock.
 */
#ifndef MLX5TLS_QP_H
#define MLX5TLS_QP_H

#include <endian.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "frame.h"
#include "insp_table.h"
#include "mlx5tls_internal.h"
#include "tx_stream.h"
#include "wqe.h"

struct mlx5tls_mr {
	struct mlx5tls_pd *pd;
	struct mlx5tls_xmr *xmr;
	uintptr_t addr;
	size_t len;
	uint32_t lkey;
};

/* What a posted WQE was, kept per ring slot (indexed by its first WQEBB) until it completes. */
enum wqe_kind {
	WQE_CTRL,  /* params, NOP: regenerated after a recovery, never replayed */
	WQE_FRAME, /* an application frame: completed with its cookie, replayed after a recovery */
	WQE_DUMP,  /* a TLS resync DUMP: counted when it completes */
	WQE_GET_PSV, /* an RX context's progress params read-back: handed to it on completion */
	WQE_RX_PARAMS, /* an RX context's static/progress params: re-posted if flushed */
};

struct wqe_slot {
	uint8_t nbb;  /* WQEBBs of the WQE */
	uint8_t kind; /* enum wqe_kind */
	uint8_t retried; /* a frame already replayed once after failing itself */
	uint8_t orphan;  /* its TLS context was destroyed: never replayed (not even in the clear) */
	uint32_t dump_bytes;
	uint64_t bounce_end; /* software path: bounce ring position released on completion */
	struct mlx5tls_tx *tx; /* the TLS context of a frame or DUMP, NULL for plain frames */
	struct mlx5tls_rx *rx; /* the RX context of a GET_PSV */
	struct mlx5tls_frame frame;
};

/* A context is going: the WQEs still in flight ([cc, pc)) and the frames kept for a replay
 * forget it. Completed slots are never read again (a slot is rewritten when it is posted), so
 * this walks only what is outstanding - nothing at all once the queue has drained - not the
 * whole ring. tx or rx may be NULL. */
static inline void qp_forget_owner(struct mlx5tls_qp *qp, const struct mlx5tls_tx *tx,
				   const struct mlx5tls_rx *rx);

/* The software path's frame memory: a ring of bytes in a library-registered region, released
 * in completion order. */
struct bounce_ring {
	uint8_t *mem;
	uint32_t size;
	/* Positions count bytes handed out since the queue was created; 64 bits so they never
	 * wrap: `head % size` must stay continuous for any size, which 32 bits (4 GiB, seconds
	 * at line rate) would break unless size were a power of two. */
	uint64_t head; /* next byte to hand out (monotonic, mod size in use) */
	uint64_t tail; /* first byte still in flight */
	struct mlx5tls_mr *mr;
};

struct completion_fifo {
	struct mlx5tls_completion *e;
	uint32_t cap;
	uint32_t head;
	uint32_t count;
};

#define QP_TLS_COUNTERS 12 /* TXC__MAX (tx_internal.h) */

struct mlx5tls_qp {
	struct mlx5tls_device *dev;
	struct mlx5tls_pd *pd;
	struct mlx5tls_td *td;
	struct mlx5tls_tis *sq_tis; /* the SQ's plain TIS when the transport needs one */
	struct mlx5tls_xqp *xq;
	struct xport_qp_info ring;
	uint32_t mtu;
	uint32_t cqe_every;
	bool model_sync;

	uint32_t wqe_mask;  /* sq_wqebbs - 1 */
	uint32_t pc;        /* producer counter, WQEBBs (low 16 bits go into ctrl and dbrec) */
	uint32_t cc;        /* consumer counter: WQEBBs completed */
	uint32_t cq_ci;     /* CQ consumer index */
	uint8_t *last_ctrl; /* ctrl segment of the last posted WQE (doorbell, CQ_UPDATE) */
	bool db_pending;    /* WQEs posted since the last doorbell */
	uint32_t since_cqe; /* WQEs since the last one that asks for a CQE */
	struct wqe_slot *slots;

	struct completion_fifo done;
	uint32_t frames_owed; /* frames posted whose completion is not yet in `done`; the FIFO
			       * always has room for all of them (qp_frame_room) */
	struct bounce_ring bounce;
	uint8_t scratch[16 * MLX5TLS_WQEBB] __attribute__((aligned(64))); /* a WQE that wraps */
	uint8_t *scratch_dst;

	/* contexts on this queue (re-armed after a recovery): a slot table, not a list - removing
	 * one touches its own slot, not two neighbouring contexts (cold at 1M contexts) */
	struct insp_table tls_table;
	struct inspect_qp *insp_node; /* its entry on dev->insp_qps (inspect.c) */
	struct ctx_shard *shard;      /* where its TLS contexts are listed for inspection */
	_Atomic uint32_t tls_contexts; /* also read by inspection on other threads */
	bool in_error;     /* an error CQE was seen; recovering */
	bool dead;         /* recovery failed: -EIO from now on */
	bool replaying;    /* posting flushed frames again: no nested recovery */
	uint8_t replay_retried; /* `retried` of the frame being replayed, for its new slot */
	struct wqe_slot *replay; /* frames to post again after a recovery */
	uint32_t n_replay;

	struct tx_ring_park tx_park; /* record tracker buffers between bursts (tx_stream.h) */

	struct mlx5tls_qp_attr stats;
	/* The per-context TX counters (tx_internal.h, txc_add) of every TLS context the queue ever
	 * had, summed as they count: a device's counters are read in O(queues), never by walking its
	 * contexts. Single writer (the queue's thread); folded into the device's when the queue
	 * goes (inspect_qp_del). */
	_Atomic uint64_t tls_c[QP_TLS_COUNTERS];
	/* What inspection reads from other threads (qp_snapshot): copies of the counters above,
	 * stored by the queue's thread after every change (qp_publish); plain stores on x86. */
	struct {
		_Atomic uint32_t inflight;
		_Atomic uint64_t recoveries;
		_Atomic uint64_t reposted;
		_Atomic uint64_t wqes;
		_Atomic uint64_t doorbells;
	} pub;
};

/* Single writer (the queue's thread): publish the counters for qp_snapshot. */
static inline void qp_publish(struct mlx5tls_qp *qp)
{
	atomic_store_explicit(&qp->pub.inflight, qp->pc - qp->cc, memory_order_relaxed);
	atomic_store_explicit(&qp->pub.recoveries, qp->stats.recoveries, memory_order_relaxed);
	atomic_store_explicit(&qp->pub.reposted, qp->stats.reposted, memory_order_relaxed);
	atomic_store_explicit(&qp->pub.wqes, qp->stats.wqes, memory_order_relaxed);
	atomic_store_explicit(&qp->pub.doorbells, qp->stats.doorbells, memory_order_relaxed);
}

/* Max WQE size: MLX5_SEND_WQE_MAX_WQEBBS (fact sheet 8.1). */
#define QP_MAX_WQEBBS 16u

/* Room for nbb WQEBBs, reaping completions (and waiting for the device up to a bound) when the
 * ring is full. 0, -EAGAIN or -EIO. */
int qp_reserve(struct mlx5tls_qp *qp, uint32_t nbb);
/* qp_reserve() with its common case (a live queue with room) decided inline, for the TLS
 * in-order path: no call while the frame's state is live in registers. */
static inline int qp_reserve_fast(struct mlx5tls_qp *qp, uint32_t nbb)
{
	if (__builtin_expect(!qp->dead && qp->ring.sq_wqebbs - (qp->pc - qp->cc) >= nbb, 1))
		return 0;
	return qp_reserve(qp, nbb);
}
/* Zeroed memory for the next WQE of nbb WQEBBs (ring memory, or a scratch copy when it would
 * wrap; qp_commit copies it in). Call qp_reserve first. */
uint8_t *qp_wqe_begin(struct mlx5tls_qp *qp, uint32_t nbb);
/* Pointer to the WQEBB `i` (0..) of the next WQE, in ring memory (for WQEs built per WQEBB). */
uint8_t *qp_wqebb(struct mlx5tls_qp *qp, uint32_t i);
/* Account the WQE just built at pc: slot info, CQE moderation, pc += nbb. */
void qp_commit(struct mlx5tls_qp *qp, uint32_t nbb, const struct wqe_slot *slot);

/* The accounting of a WQE whose slot at pc is written (qp_commit, and the in-place poster, which
 * writes the slot itself): the completion a frame owes, CQE moderation, pc, the counters. */
static inline void qp_commit_account(struct mlx5tls_qp *qp, uint32_t nbb, bool frame)
{
	if (frame && !qp->replaying)
		qp->frames_owed++; /* qp_frame_room made room for its completion */
	qp->last_ctrl = (uint8_t *)qp->ring.sq_buf + (size_t)(qp->pc & qp->wqe_mask) * MLX5TLS_WQEBB;
	if (++qp->since_cqe >= qp->cqe_every) {
		qp->last_ctrl[11] |= MLX5TLS_WQE_CQ_UPDATE;
		qp->since_cqe = 0;
	}
	qp->pc += nbb;
	qp->db_pending = true;
	qp->stats.wqes++;
	qp_publish(qp);
}
/* Ring the doorbell for everything posted (no-op if nothing). */
void qp_doorbell(struct mlx5tls_qp *qp);

/* Bytes of a SEND/LSO WQE: ctrl and eth segments, the inline headers past the eth segment's 2
 * bytes padded to 16, the data segment. Inline: every data WQE asks. */
static inline uint32_t send_wqe_bytes(uint32_t ihs, uint32_t payload_len)
{
	uint32_t inl = ihs > 2 ? (ihs - 2 + MLX5TLS_WQE_DS - 1) / MLX5TLS_WQE_DS * MLX5TLS_WQE_DS
			       : 0;

	return 2 * MLX5TLS_WQE_DS + inl + (payload_len ? MLX5TLS_WQE_DS : 0);
}

static inline uint32_t qp_send_wqebbs(const struct frame_info *fi, uint32_t payload_len)
{
	return (send_wqe_bytes(fi->hdr_len, payload_len) + MLX5TLS_WQEBB - 1) / MLX5TLS_WQEBB;
}
/* Build a SEND (mss 0) or LSO WQE for a frame: ctrl, eth segment with cs_flags and the L2..L4
 * headers inline, one data segment for the payload. tisn 0 = the SQ's default TIS. Returns the
 * number of WQEBBs used (qp_reserve'd by the caller with qp_send_wqebbs()). */
void qp_build_send(struct mlx5tls_qp *qp, uint8_t *wqe, uint32_t nbb, const uint8_t *hdr,
		   const struct frame_info *fi, uint64_t payload_addr, uint32_t payload_len,
		   uint32_t lkey, uint16_t mss, uint32_t tisn);

#define QP_CS_L3_L4 0xc0 /* MLX5_ETH_WQE_L3_CSUM | MLX5_ETH_WQE_L4_CSUM */

static inline void qp_put_be16(uint8_t *p, uint16_t v)
{
	v = htobe16(v);
	memcpy(p, &v, sizeof(v));
}

static inline void qp_put_be32(uint8_t *p, uint32_t v)
{
	v = htobe32(v);
	memcpy(p, &v, sizeof(v));
}

static inline void qp_put_be64(uint8_t *p, uint64_t v)
{
	v = htobe64(v);
	memcpy(p, &v, sizeof(v));
}

/* The SEND/LSO builder (qp_build_send is its out-of-line instance), inline for the posting fast
 * paths. Layout: fact sheet 8.1 (ctrl segment; eth segment: cs_flags@4, mss@6, inline header size
 * @12 and the headers from @14; data segment), 8.2 (opcodes); test_wqe_inline checks the bytes
 * against literal WQEs. */
static inline void qp_build_send_inl(struct mlx5tls_qp *qp, uint8_t *wqe, uint32_t nbb,
				     const uint8_t *hdr, const struct frame_info *fi,
				     uint64_t payload_addr, uint32_t payload_len, uint32_t lkey,
				     uint16_t mss, uint32_t tisn)
{
	uint32_t bytes = send_wqe_bytes(fi->hdr_len, payload_len);
	uint8_t *eth = wqe + MLX5TLS_WQE_DS;

	(void)nbb;
	/* wqe_ctrl_fill(wqe, 0, pc, opcode, sqn, ds, 0, tisn << 8), inline: bytes 0..3
	 * pc << 8 | opcode, 4..7 sqn << 8 | ds, 8..11 0 (fm_ce_se 0), 12..15 the TIS field */
	qp_put_be32(wqe, (uint32_t)(uint16_t)qp->pc << 8 |
				 (mss ? MLX5TLS_OPCODE_LSO : MLX5TLS_OPCODE_SEND));
	qp_put_be32(wqe + 4, qp->ring.sqn << 8 | ((bytes / MLX5TLS_WQE_DS) & 0x3f));
	memset(wqe + 8, 0, 4);
	qp_put_be32(wqe + 12, tisn << 8);
	eth[4] = fi->l4_off ? QP_CS_L3_L4 : 0;
	qp_put_be16(eth + 6, mss);
	qp_put_be16(eth + 12, fi->hdr_len);
	memcpy(eth + 14, hdr, fi->hdr_len);
	if (payload_len) {
		uint8_t *d = wqe + bytes - MLX5TLS_WQE_DS;

		qp_put_be32(d, payload_len);
		qp_put_be32(d + 4, lkey);
		qp_put_be64(d + 8, payload_addr);
	}
}

/*
 * Post a frame's WQE (reserved: nbb WQEBBs at pc) built straight in ring memory and its slot
 * written in place - no stack copy of either, no calls - unless it would wrap the ring's end:
 * then false and nothing done (the caller builds it through qp_wqe_begin/qp_commit, which
 * handle the wrap). qp->scratch_dst is NULL here: only a wrapping qp_wqe_begin sets it, and the
 * qp_commit every caller makes right after clears it. Used by mlx5tls_qp_send and the TLS
 * in-order path alike.
 */
static inline __attribute__((always_inline)) bool
qp_post_frame_inplace(struct mlx5tls_qp *qp, const struct mlx5tls_frame *f,
		      const struct frame_info *fi, struct mlx5tls_tx *tx, uint32_t tisn,
		      uint32_t nbb)
{
	uint32_t idx = qp->pc & qp->wqe_mask;
	const uint8_t *data = f->data;
	struct wqe_slot *s;
	uint8_t *w;

	if (__builtin_expect(idx + nbb > qp->ring.sq_wqebbs, 0))
		return false;
	w = (uint8_t *)qp->ring.sq_buf + (size_t)idx * MLX5TLS_WQEBB;
	memset(w, 0, (size_t)nbb * MLX5TLS_WQEBB);
	qp_build_send_inl(qp, w, nbb, data, fi, (uintptr_t)(data + fi->hdr_len), fi->payload_len,
			  f->mr->lkey, f->mss, tisn);
	/* every field of the slot, written once (a compound literal would zero it first); a field
	 * added to struct wqe_slot must be written here too */
	_Static_assert(sizeof(struct wqe_slot) == 4 + 4 + 8 + 8 + 8 + sizeof(struct mlx5tls_frame),
		       "qp_post_frame_inplace writes every field of struct wqe_slot");
	s = &qp->slots[idx];
	s->nbb = (uint8_t)nbb;
	s->kind = WQE_FRAME;
	s->retried = qp->replay_retried;
	s->orphan = 0;
	s->dump_bytes = 0;
	s->bounce_end = 0;
	s->tx = tx;
	s->rx = NULL;
	s->frame = *f;
	qp_commit_account(qp, nbb, true);
	return true;
}

/* Check and parse a frame handed to a send call: inside its MR, a frame the device can send
 * within the MTU. 0, -EINVAL, -EFAULT or -EMSGSIZE. */
int qp_check_frame(const struct mlx5tls_qp *qp, const struct mlx5tls_frame *f,
		   struct frame_info *fi);
/* Post a frame as is (no TLS): mlx5tls_qp_send() without the public checks. tx is recorded in
 * the slot (for the replay after a recovery). */
int qp_post_frame(struct mlx5tls_qp *qp, const struct mlx5tls_frame *f,
		  const struct frame_info *fi, struct mlx5tls_tx *tx, uint32_t flags);
/* Before posting a new frame (not a replay): room in the completion FIFO for its completion
 * and every one still owed, so that no completion is ever lost to an allocation failure.
 * 0 or -ENOMEM (nothing posted). */
int qp_frame_room(struct mlx5tls_qp *qp);
/* qp_frame_room() with its common case (the FIFO has room) decided inline. */
static inline int qp_frame_room_fast(struct mlx5tls_qp *qp)
{
	if (__builtin_expect(qp->done.count + qp->frames_owed < qp->done.cap, 1))
		return 0;
	return qp_frame_room(qp);
}
/* Reap CQEs: completions to the FIFO, DUMP counters, recovery on an error. 0 or -EIO. */
int qp_reap(struct mlx5tls_qp *qp);

/* Let the device make progress (doorbell, reap, else a short pause): 0 to check again, -EAGAIN
 * when nothing is in flight or the device made none for as long as qp_reserve waits, -EIO. */
int qp_wait_progress(struct mlx5tls_qp *qp, uint64_t *start);

/* Software path: n bytes of bounce memory (registered) for a frame, waiting for in-flight frames
 * as qp_reserve waits for ring room (a recovery may happen meanwhile). -EAGAIN when they do not
 * complete, -EMSGSIZE if n exceeds the buffer. */
int qp_bounce_get(struct mlx5tls_qp *qp, uint32_t n, uint8_t **mem, uint64_t *end);

/* ---- hooks into the TLS RX contexts (rx.c) ---- */
/* A GET_PSV or params WQE (kind) of this context completed (ok) or came back flushed or failed. */
void rx_wqe_done(struct mlx5tls_rx *rx, uint8_t kind, bool ok);

/* ---- hooks into the TLS TX contexts (tx.c) ---- */
/* The queue was recovered: post the params again before the next frame. */
void tx_qp_recovered(struct mlx5tls_tx *tx);
/* A DUMP of this context completed. */
void tx_dump_completed(struct mlx5tls_tx *tx, uint32_t bytes);
/* Send one frame of a context (mlx5tls_tx_send without the public checks), used to replay. */
int tx_send_frame(struct mlx5tls_tx *tx, const struct mlx5tls_frame *f, uint32_t flags);

static inline void qp_forget_owner(struct mlx5tls_qp *qp, const struct mlx5tls_tx *tx,
				   const struct mlx5tls_rx *rx)
{
	for (uint32_t i = qp->cc; i != qp->pc; i++) {
		struct wqe_slot *s = &qp->slots[i & qp->wqe_mask];

		if (tx && s->tx == tx) {
			s->tx = NULL;
			s->orphan = 1;
		}
		if (rx && s->rx == rx)
			s->rx = NULL;
	}
	for (uint32_t i = 0; i < qp->n_replay; i++) {
		if (tx && qp->replay[i].tx == tx) {
			qp->replay[i].tx = NULL;
			qp->replay[i].orphan = 1;
		}
		if (rx && qp->replay[i].rx == rx)
			qp->replay[i].rx = NULL;
	}
}

#endif
