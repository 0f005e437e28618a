/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The per-frame TLS TX path (fact sheet 10.3, 10.4; devx-userspace B5, B7).
 *
 * Device path, in order: the data WQE names the TLS TIS in its ctrl segment (tisn << 8) and the
 * device encrypts the records in the payload. Before the first frame, and whenever the frame is
 * not where the device expects it (retransmission, recovery, key update), resynchronise as
 * mlx5e_ktls_tx_handle_ooo does:
 *   1. find the record holding the frame's first byte (none: drop, tx_tls_drop_no_sync_data;
 *      entirely before the offload start: send in the clear, tx_tls_skip_no_sync_data);
 *   2. static params (UMR) with that record's number - only if it differs from the last static
 *      params posted, fenced;
 *   3. progress params (SET_PSV: tracker START, next_record_tcp_sn 0), fenced if 2 was skipped;
 *   4. a fenced NOP, so the params are in place before data (devx-userspace B5);
 *   5. DUMP WQEs replaying [record start, frame) in pieces of at most the MTU;
 *   6. the frame.
 * Software path (demoted, or a suite the device lacks): the frame is copied into the queue's
 * bounce memory, its records encrypted there by tx_sw (byte-identical to the device) and sent
 * as a plain frame; a retransmission repositions the encryptor at the record start by
 * re-encrypting the record prefix into scratch memory.
 */
#include <endian.h>
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "tls_stat.h"
#include "tx_internal.h"
#include "wqe.h"

/* tls_progress_params: record_tracker_state START 0, auth_state NO_OFFLOAD 0 (fact sheet 7) */
#define TRACKER_START 0
#define AUTH_NO_OFFLOAD 0

/* gso_segs as the kernel counts them: the segments the device cuts an LSO frame into, 1 for a
 * SEND. len >= 1 (every caller counts a frame with payload: a pure ACK is sent in the clear),
 * so a frame no longer than one segment comes out as 1 without a test of its own. */
static inline uint32_t gso_segs(uint32_t len, uint16_t mss)
{
	return mss ? (len + mss - 1u) / mss : 1u;
}

/* A frame the device encrypts, counted as the kernel counts tx_tls_encrypted_{packets,bytes}:
 * txc_add() twice, the queue's row found once (after a store to the context the compiler loads
 * tx->qp again: -fno-strict-aliasing). */
static inline void count_encrypted(struct mlx5tls_tx *tx, uint32_t len, uint16_t mss)
{
	_Atomic uint64_t *q = tx->qp->tls_c;
	uint64_t segs = gso_segs(len, mss);

	txc_add_row(tx->c, q, TXC_ENCRYPTED_PACKETS, segs);
	txc_add_row(tx->c, q, TXC_ENCRYPTED_BYTES, len);
}

static void warn_malformed(uint32_t tcp_seq)
{
	pr_warn("tx: malformed TLS record header in the frame at TCP sequence %u\n", tcp_seq);
}

/* Result of planning a frame (restartable: nothing changed yet). */
enum tx_plan_kind {
	PLAN_IN_ORDER, /* the device/encryptor is at seq */
	PLAN_RESYNC,   /* reposition at rec first */
	PLAN_CLEAR,    /* before the offload start: as is, no TIS */
	PLAN_DROP,
};

struct tx_plan {
	enum tx_plan_kind kind;
	uint32_t seq, end;
	uint32_t new_off; /* offset in the payload of bytes never sent before (== len if none) */
	struct tx_rec rec; /* PLAN_RESYNC: the record holding seq */
};

static int plan_frame(struct mlx5tls_tx *tx, const struct frame_info *fi, const uint8_t *payload,
		      bool synced, uint32_t expected, struct tx_plan *pl)
{
	struct tx_stream *st = &tx->stream;
	uint32_t len = fi->payload_len;

	pl->seq = fi->tcp_seq;
	pl->end = fi->tcp_seq + len;
	if (seq_lt(pl->seq, tx->start_sn)) {
		/* handshake bytes or anything else before the offload start */
		pl->kind = seq_le(pl->end, tx->start_sn) ? PLAN_CLEAR : PLAN_DROP;
		return 0;
	}
	if (seq_lt(st->next_seq, pl->seq)) {
		pr_warn("tx: frame at TCP sequence %u leaves a gap after %u (never sent)\n",
			pl->seq, st->next_seq);
		return -EPROTO;
	}
	pl->new_off = seq_lt(pl->seq, st->next_seq) ? st->next_seq - pl->seq : 0;
	if (pl->new_off > len)
		pl->new_off = len;
	if (synced && pl->seq == expected) {
		/* nothing is posted before the data WQE: learning checks the headers itself */
		pl->kind = PLAN_IN_ORDER;
		return 0;
	}
	/* a resync posts WQEs before the frame's bytes are learnt: check them first */
	if (pl->new_off < len) {
		int ret = tx_stream_check(st, payload + pl->new_off, len - pl->new_off);

		if (ret) {
			warn_malformed(pl->seq);
			return ret;
		}
	}
	pl->kind = PLAN_RESYNC;
	if (pl->seq == st->next_seq) {
		uint64_t num = 0;
		uint32_t rseq = 0, off = 0;

		tx_stream_tail(st, &num, &rseq, &off);
		pl->rec = (struct tx_rec){ .seq = rseq, .num = num, .epoch = st->epoch };
		if (off) /* mid-record: the record in progress is the last one held */
			return tx_stream_find(st, rseq, &pl->rec) ? -EIO : 0;
		return 0;
	}
	if (tx_stream_find(st, pl->seq, &pl->rec)) {
		pl->kind = PLAN_DROP; /* its record was released (acknowledged) */
		return 0;
	}
	/* one key per frame: a retransmission may not span a key update */
	if (tx->epoch) {
		struct tx_rec last;
		uint8_t last_epoch = st->epoch;

		if (seq_lt(pl->end - 1, st->next_seq) && !tx_stream_find(st, pl->end - 1, &last))
			last_epoch = last.epoch;
		if (last_epoch != pl->rec.epoch) {
			pr_warn("tx: frame at TCP sequence %u spans a key update; split it there\n",
				pl->seq);
			return -EINVAL;
		}
	}
	return 0;
}

/* ---- device path WQEs ---- */

static void static_info_of(const struct mlx5tls_tx *tx, const struct tx_rec *rec,
			    struct tls_static_info *si)
{
	const struct tx_epoch *e = &tx->epochs[rec->epoch % TX_EPOCHS];
	uint64_t be = htobe64(rec->num);

	memset(si, 0, sizeof(*si));
	si->tls13 = tx->tls13;
	memcpy(si->rec_seq, &be, sizeof(be));
	memcpy(si->salt, e->salt, sizeof(si->salt));
	memcpy(si->iv, e->iv, sizeof(si->iv));
	si->resync_tcp_sn = 0; /* TX: the kernel leaves it 0 */
	si->dek_index = mlx5tls_dek_id(e->dek);
}

static int post_params(struct mlx5tls_tx *tx, const struct tx_rec *rec)
{
	struct mlx5tls_qp *qp = tx->qp;
	struct wqe_slot ctrl = { .kind = WQE_CTRL };
	bool do_static = !tx->static_valid || tx->static_num != rec->num ||
			 tx->static_epoch != rec->epoch;
	uint8_t *w;
	int ret;

	ret = qp_reserve(qp, MLX5TLS_STATIC_PARAMS_WQEBBS + 2);
	if (ret)
		return ret;
	if (do_static) {
		struct tls_static_info si;
		void *bb[3];

		static_info_of(tx, rec, &si);
		for (uint32_t i = 0; i < 3; i++) {
			bb[i] = qp_wqebb(qp, i);
			memset(bb[i], 0, MLX5TLS_WQEBB);
		}
		wqe_build_static_params(bb, (uint16_t)qp->pc, qp->ring.sqn, MLX5TLS_OPC_MOD_TIS,
					tx->tis->tisn, true, &si);
		explicit_bzero(&si, sizeof(si));
		if (qp->dev->trace) {
			/* gcm_iv and implicit_iv (fact sheet 6: bytes 0x14..0x1f) are masked */
			static const struct cmd_secret ivs = { 0x14, 12 };

			trace_wqe(qp->dev->trace, qp->dev->attr.name, "static_params",
				  qp->ring.sqn, "tis", tx->tis->tisn, bb[2], 64, &ivs);
		}
		qp_commit(qp, MLX5TLS_STATIC_PARAMS_WQEBBS, &ctrl);
		{
			struct tx_epoch *e = &tx->epochs[rec->epoch % TX_EPOCHS];

			e->used = true;
			e->last_use_pc = qp->pc;
			e->last_use_recoveries = qp->stats.recoveries;
		}
		tx->static_valid = true;
		tx->static_num = rec->num;
		tx->static_epoch = rec->epoch;
	}
	w = qp_wqe_begin(qp, 1);
	wqe_build_progress_params(w, (uint16_t)qp->pc, qp->ring.sqn, MLX5TLS_OPC_MOD_TIS,
				  tx->tis->tisn, !do_static, 0);
	if (qp->dev->trace)
		trace_wqe(qp->dev->trace, qp->dev->attr.name, "progress_params", qp->ring.sqn,
			  "tis", tx->tis->tisn, w + 20, 12, NULL);
	qp_commit(qp, 1, &ctrl);
	w = qp_wqe_begin(qp, 1);
	wqe_build_fence_nop(w, (uint16_t)qp->pc, qp->ring.sqn);
	qp_commit(qp, 1, &ctrl);
	return 0;
}

struct dump_ctx {
	struct mlx5tls_tx *tx;
	int ret;
};

static int post_dump_piece(void *arg, uintptr_t addr, uint32_t len, uint32_t lkey)
{
	struct dump_ctx *d = arg;
	struct mlx5tls_tx *tx = d->tx;
	struct mlx5tls_qp *qp = tx->qp;
	struct wqe_slot slot = { .kind = WQE_DUMP, .tx = tx, .dump_bytes = len };
	uint8_t *w;

	d->ret = qp_reserve(qp, 1);
	if (d->ret)
		return d->ret;
	w = qp_wqe_begin(qp, 1);
	wqe_build_dump(w, (uint16_t)qp->pc, qp->ring.sqn, tx->tis->tisn, addr, lkey, len, false);
	qp_commit(qp, 1, &slot);
	txc_add(tx, TXC_RESYNC_BYTES, len);
	return 0;
}

/* Steps 2-5 of the resync. 0, 1 (the queue was recovered meanwhile: plan again) or -errno. */
static int device_resync(struct mlx5tls_tx *tx, const struct tx_plan *pl)
{
	struct dump_ctx d = { tx, 0 };
	int ret;

	ret = post_params(tx, &pl->rec);
	if (ret)
		return ret;
	ret = tx_stream_walk(&tx->stream, pl->rec.seq, pl->seq, tx->qp->mtu, post_dump_piece, &d);
	if (d.ret)
		return d.ret;
	return ret ? -EIO : 0;
}

static int post_data_nbb(struct mlx5tls_tx *tx, const struct mlx5tls_frame *f,
			 const struct frame_info *fi, uint32_t tisn, const uint8_t *data,
			 uint32_t lkey, uint64_t bounce_end, uint32_t nbb)
{
	struct mlx5tls_qp *qp = tx->qp;
	struct wqe_slot slot = { .kind = WQE_FRAME, .tx = tx, .frame = *f,
				 .bounce_end = bounce_end, .retried = qp->replay_retried };
	uint8_t *w = qp_wqe_begin(qp, nbb);

	qp_build_send(qp, w, nbb, data, fi, (uintptr_t)(data + fi->hdr_len), fi->payload_len,
		      lkey, f->mss, tisn);
	qp_commit(qp, nbb, &slot);
	return 0;
}

/* post_data_nbb() for the in-order path: the WQE and its slot built in place
 * (qp_post_frame_inplace), unless the WQE wraps the ring's end. */
static inline __attribute__((always_inline)) void
post_data_fast(struct mlx5tls_tx *tx, const struct mlx5tls_frame *f, const struct frame_info *fi,
	       uint32_t nbb)
{
	if (__builtin_expect(!qp_post_frame_inplace(tx->qp, f, fi, tx, tx->tisn, nbb), 0))
		post_data_nbb(tx, f, fi, tx->tisn, f->data, f->mr->lkey, 0, nbb);
}

static int post_data(struct mlx5tls_tx *tx, const struct mlx5tls_frame *f,
		     const struct frame_info *fi, uint32_t tisn, const uint8_t *data,
		     uint32_t lkey, uint64_t bounce_end)
{
	return post_data_nbb(tx, f, fi, tisn, data, lkey, bounce_end,
			     qp_send_wqebbs(fi, fi->payload_len));
}

static int learn_new(struct mlx5tls_tx *tx, const struct tx_plan *pl, const uint8_t *payload,
		     uint32_t len, uint32_t lkey)
{
	int ret;

	if (pl->new_off >= len)
		return 0;
	ret = tx_stream_learn(&tx->stream, payload + pl->new_off, len - pl->new_off, lkey);
	if (ret == -EBADMSG)
		warn_malformed(pl->seq);
	return ret;
}

static void account(struct mlx5tls_tx *tx, const struct tx_plan *pl)
{
	if (pl->new_off)
		txc_add(tx, TXC_RETX_BYTES, pl->new_off);
}

static int device_send(struct mlx5tls_tx *tx, const struct mlx5tls_frame *f,
		       const struct frame_info *fi, const struct tx_plan *pl)
{
	struct mlx5tls_qp *qp = tx->qp;
	const uint8_t *data = f->data;
	uint32_t len = fi->payload_len;
	int ret;

	if (pl->kind == PLAN_RESYNC) {
		ret = device_resync(tx, pl);
		if (ret)
			return ret;
		/* the kernel counts frames whose seq is not the expected one; the first post and
		 * the re-post after a recovery or a key update are not that */
		if (tx->dev_synced)
			txc_add(tx, TXC_OOO, 1);
	}
	ret = qp_reserve(qp, qp_send_wqebbs(fi, len));
	if (ret)
		return ret;
	ret = learn_new(tx, pl, data + fi->hdr_len, len, f->mr->lkey);
	if (ret)
		return ret;
	post_data(tx, f, fi, tx->tis->tisn, data, f->mr->lkey, 0);
	tx_set_dev_expected(tx, pl->end); /* after learning: next_seq has moved */
	tx->dev_synced = true;
	tx_in_order_update(tx);
	count_encrypted(tx, len, f->mss);
	account(tx, pl);
	return 0;
}

/* ---- software path ---- */

struct sw_replay {
	struct mlx5tls_tx *tx;
	int ret;
};

static int sw_replay_piece(void *arg, uintptr_t addr, uint32_t len, uint32_t lkey)
{
	struct sw_replay *r = arg;

	(void)lkey;
	memcpy(r->tx->sw_scratch, (const void *)addr, len);
	r->ret = tx_sw_encrypt(r->tx->sw, r->tx->sw_scratch, len);
	return r->ret;
}

/* A fresh encryptor at the start of `rec`, then fed the record's bytes up to seq. */
static int sw_position(struct mlx5tls_tx *tx, const struct tx_rec *rec, uint32_t seq)
{
	struct tx_epoch *e = &tx->epochs[rec->epoch % TX_EPOCHS];
	union tx_crypto_info ci;
	struct sw_replay r = { tx, 0 };
	uint64_t be = htobe64(rec->num);
	int ret;

	if (!e->has_ci)
		return -EIO;
	tx_sw_free(tx->sw);
	tx->sw = NULL;
	tx->sw_synced = false;
	memcpy(&ci, e->ci, e->ci_len);
	memcpy(tx_ci_rec_seq(&ci), &be, sizeof(be));
	ret = tx_sw_init(&tx->sw, &ci.info, e->ci_len);
	explicit_bzero(&ci, sizeof(ci));
	if (ret)
		return ret;
	ret = tx_stream_walk(&tx->stream, rec->seq, seq, TLS_HDR_LEN + TLS_MAX_BODY,
			     sw_replay_piece, &r);
	if (r.ret)
		return r.ret;
	if (ret)
		return -EIO;
	txc_add(tx, TXC_SW_RESYNC, 1);
	return 0;
}

static int sw_send(struct mlx5tls_tx *tx, const struct mlx5tls_frame *f,
		   const struct frame_info *fi, const struct tx_plan *pl)
{
	struct mlx5tls_qp *qp = tx->qp;
	uint64_t recoveries = qp->stats.recoveries, bounce_end = 0;
	uint32_t len = fi->payload_len;
	uint8_t *copy = NULL;
	int ret;

	ret = qp_reserve(qp, qp_send_wqebbs(fi, len));
	if (ret)
		return ret;
	ret = qp_bounce_get(qp, f->len, &copy, &bounce_end);
	if (ret)
		return ret;
	/* waiting for bounce memory may have recovered the queue: the ring room reserved above
	 * was then refilled by the replay, and the plan may be stale */
	if (qp->stats.recoveries != recoveries)
		return 1;
	if (pl->kind == PLAN_RESYNC) {
		ret = sw_position(tx, &pl->rec, pl->seq);
		if (ret)
			return ret;
	}
	ret = learn_new(tx, pl, (const uint8_t *)f->data + fi->hdr_len, len, f->mr->lkey);
	if (ret)
		return ret;
	memcpy(copy, f->data, f->len);
	ret = tx_sw_encrypt(tx->sw, copy + fi->hdr_len, len);
	if (ret) {
		tx->sw_synced = false;
		return ret;
	}
	post_data(tx, f, fi, 0, copy, qp->bounce.mr->lkey, bounce_end);
	tx->sw_expected = pl->end;
	tx->sw_synced = true;
	txc_add(tx, TXC_SW_PACKETS, gso_segs(len, f->mss));
	txc_add(tx, TXC_SW_BYTES, len);
	account(tx, pl);
	return 0;
}

/* ---- demotion (the policy Netflix found necessary: a connection that retransmits a lot costs
 * more in resync DUMPs than software encryption does) ---- */

void tx_demote_check(struct mlx5tls_tx *tx)
{
	uint64_t retx = atomic_load_explicit(&tx->c[TXC_RETX_BYTES], memory_order_relaxed);
	uint64_t total = tx_payload_bytes(tx);

	if (tx->path != MLX5TLS_TX_PATH_DEVICE || !tx->demote_permille ||
	    total < tx->demote_min_bytes || retx * 1000u <= total * tx->demote_permille)
		return;
	tx->path = MLX5TLS_TX_PATH_DEMOTED;
	tx_in_order_update(tx);
	tx->sw_synced = false;
	snprintf(tx->reason, sizeof(tx->reason),
		 "demoted: %llu of %llu payload bytes retransmitted (limit %u per mille)",
		 (unsigned long long)retx, (unsigned long long)total,
		 tx->demote_permille);
	counter_inc(tx->qp->dev, MLX5TLS_CNT_TX_TLS_DEMOTED);
	tls_stat_move(&tx->stat_curr, TLS_STAT_CURR_TX_SW);
	pr_info("tx: context %p %s\n", (void *)tx, tx->reason);
}

/* ---- entry ---- */

static int send_clear(struct mlx5tls_tx *tx, const struct mlx5tls_frame *f,
		      const struct frame_info *fi)
{
	return qp_post_frame(tx->qp, f, fi, tx, MLX5TLS_SEND_F_MORE);
}

/*
 * The common case, kept apart so it stays cheap: the device is in sync and the frame continues
 * the stream exactly where the device expects it - new bytes, in order. Nothing to plan: learn
 * the bytes (tx_stream_learn_fast: a large record's middle merely extends the tracker; the one
 * new record header is checked and its record pushed) and post the data WQE. The same as
 * plan_frame's PLAN_IN_ORDER through device_send, without the general planner. Inlined into
 * the send entry points, as is the posting: the common case makes no call of its own beyond
 * the queue's.
 * Returns 0 (sent), 1 (not this case: take the general path) or -errno (nothing sent).
 */
static inline __attribute__((always_inline)) int send_in_order(struct mlx5tls_tx *tx,
							       const struct mlx5tls_frame *f,
							       const struct frame_info *fi)
{
	const uint8_t *payload = (const uint8_t *)f->data + fi->hdr_len;
	uint32_t len = fi->payload_len, nbb;
	int ret;

	/* the device is at the stream's end (in_order: dev_behind 0) and the frame continues it;
	 * after it the device is at the new end: dev_behind stays 0, in_order stays true */
	if (!tx->in_order || fi->tcp_seq != tx->stream.next_seq)
		return 1;
	nbb = qp_send_wqebbs(fi, len);
	ret = qp_reserve_fast(tx->qp, nbb);
	if (ret)
		return ret; /* 1: the queue was recovered meanwhile, the general path plans again */
	ret = tx_stream_learn_fast(&tx->stream, payload, len, f->mr->lkey);
	if (ret < 0) {
		if (ret == -EBADMSG)
			warn_malformed(fi->tcp_seq);
		return ret;
	}
	/* at a boundary the next header follows the next frame's own headers: nothing to ask */
	if (ret != TX_LEARN_BOUNDARY)
		tx_stream_prefetch_next(&tx->stream, payload, len);
	/* nothing can fail from here: publish and count first, so that no value of these stays
	 * live across the posting's calls */
	tx_publish_fast(tx, ret);
	count_encrypted(tx, len, f->mss);
	post_data_fast(tx, f, fi, nbb);
	return 0;
}

/* Everything but the in-order fast path: plan (in order, resync, clear, drop), post, and plan
 * again if a queue recovery reset the context meanwhile. Kept out of line so the fast path's
 * caller stays small. */
static __attribute__((noinline)) int send_general(struct mlx5tls_tx *tx,
						  const struct mlx5tls_frame *f,
						  const struct frame_info *fi)
{
	struct tx_plan pl = { 0 };
	int ret;

	for (;;) {
		bool device = tx->path == MLX5TLS_TX_PATH_DEVICE;

		ret = plan_frame(tx, fi, (const uint8_t *)f->data + fi->hdr_len,
				 device ? tx->dev_synced : tx->sw_synced,
				 device ? tx_dev_expected(tx) : tx->sw_expected, &pl);
		if (ret)
			return ret;
		if (pl.kind == PLAN_CLEAR) {
			txc_add(tx, TXC_SKIP_NO_SYNC_DATA, 1);
			return send_clear(tx, f, fi);
		}
		if (pl.kind == PLAN_DROP) {
			txc_add(tx, TXC_DROP_NO_SYNC_DATA, 1);
			return -ENODATA;
		}
		ret = device ? device_send(tx, f, fi, &pl) : sw_send(tx, f, fi, &pl);
		if (ret != 1)
			break;
		/* the queue was recovered under us: its contexts start over, plan again */
	}
	if (!ret && pl.kind == PLAN_RESYNC)
		tx_demote_check(tx);
	return ret;
}

/* What is not the in-order fast path, once the frame is checked: a pure ACK, or a frame
 * send_in_order() left to the general planner. */
static __attribute__((noinline)) int send_slow(struct mlx5tls_tx *tx,
					       const struct mlx5tls_frame *f,
					       const struct frame_info *fi, uint32_t flags)
{
	int ret;

	if (!fi->payload_len) /* a pure ACK carries no record bytes */
		ret = send_clear(tx, f, fi);
	else
		ret = send_general(tx, f, fi);
	tx_publish(tx);
	if (!ret && !(flags & MLX5TLS_SEND_F_MORE))
		qp_doorbell(tx->qp);
	return ret < 0 ? ret : 0;
}

/* Check the frame, then the in-order fast path inline, everything else out of line. Inlined
 * into both callers, so the common case makes no call of its own beyond the queue's. */
static inline __attribute__((always_inline)) int send_frame(struct mlx5tls_tx *tx,
							    const struct mlx5tls_frame *f,
							    uint32_t flags)
{
	struct frame_info fi;
	int ret;

	ret = qp_check_frame(tx->qp, f, &fi);
	if (ret)
		return ret;
	if (!fi.tcp)
		return -EINVAL;
	if (!tx->qp->replaying) {
		ret = qp_frame_room_fast(tx->qp); /* its completion cannot be lost later */
		if (ret)
			return ret;
	}
	if (fi.payload_len) {
		ret = send_in_order(tx, f, &fi);
		if (ret <= 0) {
			if (!ret && !(flags & MLX5TLS_SEND_F_MORE))
				qp_doorbell(tx->qp);
			return ret;
		}
	}
	return send_slow(tx, f, &fi, flags);
}

int tx_send_frame(struct mlx5tls_tx *tx, const struct mlx5tls_frame *f, uint32_t flags)
{
	return send_frame(tx, f, flags);
}

int mlx5tls_tx_send(struct mlx5tls_tx *tx, const struct mlx5tls_frame *frame, uint32_t flags)
{
	if (!tx || !frame || (flags & ~MLX5TLS_SEND_F_MORE))
		return libmlx5tls_err(-EINVAL);
	/* the connection, from the first frame's headers when the application did not give it */
	if (__builtin_expect(!tx->conn_known, 0)) {
		if (frame->data)
			conn_learn_tx_frame(&tx->conn, frame->data, frame->len);
		/* given, learnt now, or set by another thread: this thread stops looking */
		tx->conn_known = atomic_load_explicit(&tx->conn.claimed, memory_order_relaxed);
	}
	return libmlx5tls_err(send_frame(tx, frame, flags));
}
