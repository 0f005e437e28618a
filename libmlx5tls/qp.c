/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Raw Ethernet queue pairs: lifecycle, plain frames, the SEND/LSO WQE builder (qp.h).
 *
 * SEND/LSO WQE (fact sheet 8.1, 8.8): ctrl (16) | eth segment (16: cs_flags @4, mss @6,
 * inline_hdr.sz @12, the first 2 header bytes @14) | the other header bytes, padded to 16 |
 * one data segment (byte_count, lkey, addr) for the payload. The L2..L4 headers always go inline:
 * a TLS data WQE needs them there (en_tx.c forces MLX5_INLINE_MODE_TCP_UDP when a TLS TIS is
 * set) and an LSO WQE uses them as the segment template; inlining them for plain frames as well
 * satisfies every minimum inline mode a device may report (devx-userspace B1). IP frames ask for
 * the IPv4 header and TCP/UDP checksums (cs_flags L3_CSUM | L4_CSUM = 0xc0), as the kernel does
 * for every TLS frame.
 */
#include <endian.h>
#include <stdlib.h>
#include <string.h>

#include "inspect.h"
#include "qp.h"
#include "wqe.h"

#define LOG_SQ_DEFAULT 10u
#define LOG_SQ_MIN 6u  /* room for a resync: static (3) + progress + NOP + DUMPs + data */
#define LOG_SQ_MAX 15u /* 16-bit WQE counter */
#define LOG_CQ_MAX 22u
#define MTU_DEFAULT 1500u
#define MTU_MIN 68u
#define MTU_MAX 9978u
#define CQE_EVERY_DEFAULT 32u
#define BOUNCE_DEFAULT (1u << 20)
#define LSO_MAX_PAYLOAD (256u * 1024u) /* the model's and ConnectX's LSO limit */
#define ETH_HLEN 14u

/* ---- WQE builder ---- */

void qp_build_send(struct mlx5tls_qp *qp, uint8_t *wqe, uint32_t nbb, const uint8_t *hdr,
		   const struct frame_info *fi, uint64_t payload_addr, uint32_t payload_len,
		   uint32_t lkey, uint16_t mss, uint32_t tisn)
{
	qp_build_send_inl(qp, wqe, nbb, hdr, fi, payload_addr, payload_len, lkey, mss, tisn);
}

/* ---- frames ---- */

int qp_check_frame(const struct mlx5tls_qp *qp, const struct mlx5tls_frame *f,
		   struct frame_info *fi)
{
	uintptr_t a;
	int ret;

	if (!f->data || !f->mr || f->mr->pd != qp->pd)
		return -EINVAL;
	a = (uintptr_t)f->data;
	if (a < f->mr->addr || a + f->len > f->mr->addr + f->mr->len || a + f->len < a)
		return -EFAULT;
	ret = frame_parse(f->data, f->len, f->mss != 0, fi);
	if (ret)
		return ret;
	if (f->mss) {
		/* LSO: the headers must be L2..L4 so the device can replicate them */
		if (!fi->l4_off || !fi->payload_len || fi->payload_len > LSO_MAX_PAYLOAD)
			return -EINVAL;
		if (fi->hdr_len - fi->l3_off + (uint32_t)f->mss > qp->mtu)
			return -EMSGSIZE;
	} else if (fi->hdr_len - fi->l3_off + fi->payload_len > qp->mtu) {
		return -EMSGSIZE;
	}
	if (fi->hdr_len > QP_MAX_WQEBBS * MLX5TLS_WQEBB - 4 * MLX5TLS_WQE_DS)
		return -EINVAL;
	return 0;
}

int qp_post_frame(struct mlx5tls_qp *qp, const struct mlx5tls_frame *f,
		  const struct frame_info *fi_in, struct mlx5tls_tx *tx, uint32_t flags)
{
	struct frame_info fi_local;
	const struct frame_info *fi = fi_in;
	const uint8_t *data = f->data;
	uint32_t nbb;
	int ret;

	if (!fi) {
		ret = frame_parse(data, f->len, f->mss != 0, &fi_local);
		if (ret)
			return ret;
		fi = &fi_local;
	}
	if (!qp->replaying) {
		ret = qp_frame_room(qp);
		if (ret)
			return ret;
	}
	nbb = qp_send_wqebbs(fi, fi->payload_len);
	/* 1: the queue was recovered meanwhile and the replay refilled the ring - ask again */
	while ((ret = qp_reserve(qp, nbb)) == 1)
		;
	if (ret < 0)
		return ret;
	/* built in place unless it wraps the ring's end (the TLS in-order path posts the same way:
	 * the per-WQE benchmark compares the two) */
	if (!qp_post_frame_inplace(qp, f, fi, tx, 0, nbb)) {
		struct wqe_slot slot = { .kind = WQE_FRAME, .tx = tx, .frame = *f,
					 .retried = qp->replay_retried };
		uint8_t *w = qp_wqe_begin(qp, nbb);

		qp_build_send(qp, w, nbb, data, fi, (uintptr_t)(data + fi->hdr_len),
			      fi->payload_len, f->mr->lkey, f->mss, 0);
		qp_commit(qp, nbb, &slot);
	}
	if (!(flags & MLX5TLS_SEND_F_MORE))
		qp_doorbell(qp);
	return 0;
}

int mlx5tls_qp_send(struct mlx5tls_qp *qp, const struct mlx5tls_frame *frame, uint32_t flags)
{
	struct frame_info fi;
	int ret;

	if (!qp || !frame || (flags & ~MLX5TLS_SEND_F_MORE))
		return libmlx5tls_err(-EINVAL);
	ret = qp_check_frame(qp, frame, &fi);
	if (!ret)
		ret = qp_post_frame(qp, frame, &fi, NULL, flags);
	return libmlx5tls_err(ret < 0 ? ret : 0);
}

int mlx5tls_qp_flush(struct mlx5tls_qp *qp)
{
	if (!qp)
		return libmlx5tls_err(-EINVAL);
	if (qp->dead)
		return libmlx5tls_err(-EIO);
	qp_doorbell(qp);
	return 0;
}

/* ---- software-path frame memory ---- */

int qp_bounce_get(struct mlx5tls_qp *qp, uint32_t n, uint8_t **mem, uint64_t *end)
{
	struct bounce_ring *b = &qp->bounce;
	uint64_t start = 0;

	if (n > b->size)
		return -EMSGSIZE; /* would never fit: waiting cannot help */
	for (;;) {
		uint32_t off, skip;
		int ret;

		/* nothing in flight, nothing in use: also drops what a caller took and did not
		 * post (an error, or a recovery that made it plan again) */
		if (qp->cc == qp->pc)
			b->tail = b->head;
		off = (uint32_t)(b->head % b->size);
		skip = off + n > b->size ? b->size - off : 0; /* keep frames contiguous */
		if (skip && b->head == b->tail) {
			/* empty: start over at the buffer's start, else a frame larger than half
			 * of it may fit neither before nor after the current position */
			b->head += skip;
			b->tail = b->head;
			skip = 0;
		}
		if (b->head - b->tail + skip + n <= b->size) {
			b->head += skip;
			*mem = b->mem + b->head % b->size;
			b->head += n;
			*end = b->head; /* never 0 ("no bounce" in a slot): n > 0 was added */
			return 0;
		}
		ret = qp_wait_progress(qp, &start);
		if (ret)
			return ret;
	}
}

/* ---- lifecycle ---- */

static int qp_opts_resolve(const struct mlx5tls_qp_opts *opts, struct xport_qp_attr *a,
			   uint32_t *cqe_every, uint32_t *bounce)
{
	uint32_t flags = OPTS_GET(opts, flags, 0);

	a->log_sq_wqebbs = OPTS_GET(opts, log_sq_wqebbs, 0) ?: LOG_SQ_DEFAULT;
	a->log_cq_cqes = OPTS_GET(opts, log_cq_cqes, 0) ?: a->log_sq_wqebbs;
	a->mtu = OPTS_GET(opts, mtu, 0) ?: MTU_DEFAULT;
	*cqe_every = OPTS_GET(opts, cqe_every, 0) ?: CQE_EVERY_DEFAULT;
	*bounce = OPTS_GET(opts, bounce_bytes, 0) ?: BOUNCE_DEFAULT;
	a->model_sync = flags & MLX5TLS_QP_F_MODEL_SYNC;
	if (a->log_sq_wqebbs < LOG_SQ_MIN || a->log_sq_wqebbs > LOG_SQ_MAX) {
		pr_warn("qp: log_sq_wqebbs %u outside %u..%u\n", a->log_sq_wqebbs, LOG_SQ_MIN,
			LOG_SQ_MAX);
		return -EINVAL;
	}
	/* every WQE may produce a CQE (flushes do): the CQ must hold a ring's worth */
	if (a->log_cq_cqes < a->log_sq_wqebbs || a->log_cq_cqes > LOG_CQ_MAX) {
		pr_warn("qp: log_cq_cqes %u must be %u..%u\n", a->log_cq_cqes, a->log_sq_wqebbs,
			LOG_CQ_MAX);
		return -EINVAL;
	}
	if (a->mtu < MTU_MIN || a->mtu > MTU_MAX || (flags & ~MLX5TLS_QP_F_MODEL_SYNC) ||
	    *bounce < 2 * (a->mtu + 64u))
		return -EINVAL;
	return 0;
}

static void qp_free(struct mlx5tls_qp *qp)
{
	if (qp->bounce.mr)
		mlx5tls_mr_dereg(qp->bounce.mr);
	free(qp->bounce.mem);
	if (qp->xq)
		qp->dev->ops->qp_destroy(qp->xq);
	if (qp->sq_tis)
		tis_destroy_obj(qp->sq_tis);
	free(qp->slots);
	free(qp->done.e);
	free(qp->replay);
	tx_ring_park_fini(&qp->tx_park);
	insp_table_fini(&qp->tls_table);
	free(qp);
}

struct mlx5tls_qp *mlx5tls_qp_create(struct mlx5tls_pd *pd, struct mlx5tls_td *td,
				     const struct mlx5tls_qp_opts *opts)
{
	struct xport_qp_attr a = { 0 };
	struct mlx5tls_qp *qp;
	uint32_t cqe_every = 0, bounce = 0;
	int ret;

	if (!pd || !td || pd->dev != td->dev || !OPTS_VALID(opts, mlx5tls_qp_opts))
		return libmlx5tls_err_ptr(-EINVAL);
	ret = qp_opts_resolve(opts, &a, &cqe_every, &bounce);
	if (ret)
		return libmlx5tls_err_ptr(ret);
	if (!pd->dev->ops->qp_create)
		return libmlx5tls_err_ptr(-EOPNOTSUPP);
	qp = aligned_alloc(64, (sizeof(*qp) + 63) / 64 * 64);
	if (!qp)
		return libmlx5tls_err_ptr(-ENOMEM);
	memset(qp, 0, sizeof(*qp));
	qp->dev = pd->dev;
	qp->pd = pd;
	qp->td = td;
	qp->mtu = a.mtu;
	qp->cqe_every = cqe_every;
	qp->model_sync = a.model_sync;
	a.pdn = pd->pdn;
	a.pd_obj = pd->obj;
	if (pd->dev->ops->qp_needs_tis) {
		ret = tis_create_obj(pd, td, false, 0, &qp->sq_tis);
		if (ret)
			goto err;
		a.sq_tisn = qp->sq_tis->tisn;
	}
	ret = pd->dev->ops->qp_create(pd->dev->xp, &a, &qp->ring, &qp->xq);
	if (ret)
		goto err;
	qp->wqe_mask = qp->ring.sq_wqebbs - 1;
	qp->slots = calloc(qp->ring.sq_wqebbs, sizeof(*qp->slots));
	qp->bounce.mem = aligned_alloc(4096, (bounce + 4095u) / 4096u * 4096u);
	if (!qp->slots || !qp->bounce.mem) {
		ret = -ENOMEM;
		goto err;
	}
	qp->bounce.size = bounce;
	qp->bounce.mr = mlx5tls_mr_reg(pd, qp->bounce.mem, bounce);
	if (!qp->bounce.mr) {
		ret = -errno;
		goto err;
	}
	qp->stats.sqn = qp->ring.sqn;
	qp->stats.cqn = qp->ring.cqn;
	qp->stats.wqebbs = qp->ring.sq_wqebbs;
	qp->stats.mtu = qp->mtu;
	ret = inspect_qp_add(qp);
	if (ret)
		goto err;
	atomic_fetch_add(&pd->users, 1);
	atomic_fetch_add(&td->users, 1);
	return qp;
err:
	qp_free(qp);
	return libmlx5tls_err_ptr(ret);
}

int mlx5tls_qp_destroy(struct mlx5tls_qp *qp)
{
	struct mlx5tls_pd *pd;
	struct mlx5tls_td *td;

	if (!qp)
		return libmlx5tls_err(-EINVAL);
	if (qp->tls_contexts)
		return libmlx5tls_err(-EBUSY);
	/* let the device finish what it was given; a dead queue has nothing left to wait for */
	if (!qp->dead) {
		qp_doorbell(qp);
		while (qp->cc != qp->pc && !qp->dead)
			if (qp_reserve(qp, qp->ring.sq_wqebbs) < 0)
				break;
	}
	inspect_qp_del(qp);
	pd = qp->pd;
	td = qp->td;
	qp_free(qp);
	atomic_fetch_sub(&pd->users, 1);
	atomic_fetch_sub(&td->users, 1);
	return 0;
}

int mlx5tls_qp_query(struct mlx5tls_qp *qp, struct mlx5tls_qp_attr *attr, size_t attr_sz)
{
	if (!qp || !attr)
		return libmlx5tls_err(-EINVAL);
	qp->stats.inflight = qp->pc - qp->cc;
	qp->stats.tls_contexts = qp->tls_contexts;
	copy_out(attr, attr_sz, &qp->stats, sizeof(qp->stats));
	return 0;
}

int mlx5tls_qp_model_inject_error(struct mlx5tls_qp *qp, uint32_t after_n_wqes)
{
	if (!qp)
		return libmlx5tls_err(-EINVAL);
	if (!qp->dev->ops->qp_inject_error)
		return libmlx5tls_err(-EOPNOTSUPP);
	qp_doorbell(qp); /* count from what the device has been told about */
	return libmlx5tls_err(qp->dev->ops->qp_inject_error(qp->xq, after_n_wqes));
}

int mlx5tls_model_wire(struct mlx5tls_device *dev, const struct mlx5tls_model_wire_opts *opts)
{
	if (!dev || !OPTS_VALID(opts, mlx5tls_model_wire_opts))
		return libmlx5tls_err(-EINVAL);
	if (!dev->ops->wire_set)
		return libmlx5tls_err(-EOPNOTSUPP);
	return libmlx5tls_err(dev->ops->wire_set(dev->xp, opts));
}

int mlx5tls_model_wire_stats(struct mlx5tls_device *dev, struct mlx5tls_model_wire_stats *st,
			     size_t st_sz)
{
	struct mlx5tls_model_wire_stats s;
	int ret;

	if (!dev || !st)
		return libmlx5tls_err(-EINVAL);
	if (!dev->ops->wire_stats)
		return libmlx5tls_err(-EOPNOTSUPP);
	memset(&s, 0, sizeof(s));
	ret = dev->ops->wire_stats(dev->xp, &s);
	if (ret)
		return libmlx5tls_err(ret);
	copy_out(st, st_sz, &s, sizeof(s));
	return 0;
}
