/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Receive queues, TIRs and steering: the receive-side plumbing a TLS RX context sits on.
 *
 * RQ ring (cyclic, the sim/rq.h memory contract, which is rdma-core's raw WQ and DPDK's mlx5 Rx
 * queue layout): 2^n receive WQEs of one 16-byte data segment each (byte_count, lkey, addr of a
 * buffer in a region registered for device writes); dbrec[0] = BE32 receive producer counter,
 * written after a write barrier; no MMIO doorbell. The library owns a pool of equal buffers and
 * keeps the ring full: every poll and every release posts what is free.
 *
 * CQ (devx-userspace B4, fact sheet 9): a CQE at consumer index ci is valid when its opcode is
 * not MLX5_CQE_INVALID (15) and its owner bit equals !!(ci & cqe_cnt); read the rest after
 * udma_from_device_barrier, then store BE32(ci & 0xffffff) into CQ dbrec[0]. RESP_SEND (2):
 * wqe_counter @60 names the receive WQE, byte_cnt @44 the frame length, byte 0 bits 4:3 the TLS
 * offload status (0 not decrypted, 1 decrypted, 2 resync, 3 error), byte 28 hds_ip_ext the
 * L2/L3/L4 OK flags. RESP_ERR (14): the WQE failed and the RQ is in ERR; no flush CQEs follow
 * (DPDK mlx5_rx_err_handle): the queue goes ERR -> RST -> RDY and is re-posted from WQE 0.
 *
 * The CQ never overruns: WQEs are posted only while posted-but-unreaped WQEs stay within the
 * ring (pc - cc <= wqes, cc counting reaped CQEs), and the CQ holds at least a ring's worth.
 *
 * TIR (fact sheet 4.3): DIRECT (disp_type 0) with inline_rqn = the RQ, transport_domain, and
 * tls_en for a TLS TIR (needs cap tls_rx). CREATE/QUERY/DESTROY_TIR are the library's own
 * mailboxes through cmd.c. Steering (fact sheet 11.1, 11.2 step 5): an exact 5-tuple rule to
 * the TIR, installed by the transport (model: sim_steer_add).
 *
 * Lifetime: flows pin their TIR, TIRs pin their RQ and TD, RQs pin their PD and TD (-EBUSY).
 * An RQ is polled by one thread at a time (like a NIC RX queue).
 */
#include <endian.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "barrier.h"
#include "cmd.h"
#include "inspect.h"
#include "prm/mlx5_ifc_tls.h"
#include "qp.h"
#include "rx_queue.h"

#define LOG_RQ_DEFAULT 10u
#define LOG_RQ_MAX 15u /* 16-bit producer counter in dbrec[0] */
#define LOG_CQ_MAX 22u
#define BUF_DEFAULT 2048u
#define BUF_MIN 64u
#define BUF_MAX 65536u
#define RQ_WQE_SIZE 16u

#define CQE_SIZE 64u
#define CQE_OPCODE_RESP_SEND 0x2
#define CQE_OPCODE_RESP_ERR 0xe
#define CQE_OPCODE_INVALID 0xf
#define CQE_OFF_TLS 0          /* bits 4:3 (fact sheet 9) */
#define CQE_OFF_HDS_IP_EXT 28  /* L2_OK 0x1, L3_OK 0x2, L4_OK 0x4 */
#define CQE_OFF_BYTE_CNT 44
#define CQE_OFF_SYNDROME 55
#define CQE_OFF_SOP_DROP_QPN 56
#define CQE_OFF_WQE_COUNTER 60
#define CQE_OFF_OP_OWN 63
#define CQE_L2_OK 0x1
#define CQE_L3_OK 0x2
#define CQE_L4_OK 0x4


static void put_be32(uint8_t *p, uint32_t v)
{
	v = htobe32(v);
	memcpy(p, &v, sizeof(v));
}

static void put_be64(uint8_t *p, uint64_t v)
{
	v = htobe64(v);
	memcpy(p, &v, sizeof(v));
}

static uint32_t get_be32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return be32toh(v);
}

static uint16_t get_be16(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, sizeof(v));
	return be16toh(v);
}

static uint64_t rq_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* A transport without a receive side (its rq_create/flow_create ops are NULL). */
static int not_on_transport(const struct mlx5tls_device *dev)
{
	pr_warn("%s: receive queues and steering are not implemented on the %s transport\n",
		dev->attr.name, dev->attr.transport);
	return -EOPNOTSUPP;
}

/* ---- the ring ---- */

/* Post free buffers while the ring has room; announce them through dbrec[0]. */
static void rq_refill(struct mlx5tls_rq *rq)
{
	uint32_t start = rq->pc;

	while (rq->n_free && rq->pc - rq->cc < rq->ring.rq_wqes) {
		uint32_t idx = rq->pc & rq->wqe_mask;
		uint32_t b = rq->free_bufs[--rq->n_free];
		uint8_t *w = (uint8_t *)rq->ring.rq_buf + (size_t)idx * rq->ring.rq_stride;

		rq->slot_buf[idx] = b;
		put_be32(w, rq->buf_size);
		put_be32(w + 4, rq->mr->lkey);
		put_be64(w + 8, (uintptr_t)(rq->mem + (size_t)b * rq->buf_size));
		rq->pc++;
	}
	if (rq->pc != start) {
		udma_to_device_barrier(); /* WQEs before the producer counter */
		/* atomic, as the SQ's and CQs' records (qp_ring.c): the device reads it whenever
		 * a frame arrives, which the model does on its port's receive thread */
		__atomic_store_n(&rq->ring.rq_dbrec[0], htobe32(rq->pc & 0xffff), __ATOMIC_RELEASE);
	}
}

/* An error CQE: the RQ is in ERR; every posted buffer comes back, ERR -> RST -> RDY, re-post. */
static int rq_recover(struct mlx5tls_rq *rq)
{
	int ret;

	for (uint32_t i = rq->cc; i != rq->pc; i++)
		rq->free_bufs[rq->n_free++] = rq->slot_buf[i & rq->wqe_mask];
	rq->pc = 0;
	rq->cc = 0;
	/* the device reads dbrec[0] again once RDY: it must say "nothing posted" by then */
	__atomic_store_n(&rq->ring.rq_dbrec[0], 0, __ATOMIC_RELEASE);
	udma_to_device_barrier();
	ret = rq->dev->ops->rq_recover(rq->xrq);
	if (ret) {
		pr_warn("receive queue %u: recovery failed: %d\n", rq->ring.rqn, ret);
		return -EIO;
	}
	rq->stats.recoveries++;
	rq_refill(rq);
	return 0;
}

/* Reap up to max CQEs into pkts. Returns the number of packets or -EIO. */
static int rq_reap(struct mlx5tls_rq *rq, struct mlx5tls_rx_pkt *pkts, int max)
{
	uint32_t cqes = rq->ring.cq_cqes;
	bool any = false;
	int n = 0;

	while (n < max) {
		size_t off = (size_t)(rq->cq_ci & (cqes - 1)) * CQE_SIZE;
		uint8_t *cqe = (uint8_t *)rq->ring.cq_buf + off;
		uint8_t op_own = *(volatile uint8_t *)(cqe + CQE_OFF_OP_OWN);
		uint8_t opcode = op_own >> 4;

		if (opcode == CQE_OPCODE_INVALID || (op_own & 1) != !!(rq->cq_ci & cqes))
			break;
		udma_from_device_barrier();
		rq->cq_ci++;
		any = true;
		if (opcode == CQE_OPCODE_RESP_SEND) {
			uint16_t wc = get_be16(cqe + CQE_OFF_WQE_COUNTER);
			uint32_t b = rq->slot_buf[wc & rq->wqe_mask];
			uint8_t ok = cqe[CQE_OFF_HDS_IP_EXT];
			struct mlx5tls_rx_pkt *p = &pkts[n++];

			rq->cc++; /* cyclic: WQEs complete in order */
			rq->held[b] = 1;
			rq->n_held++;
			memset(p, 0, sizeof(*p));
			p->data = rq->mem + (size_t)b * rq->buf_size;
			p->len = get_be32(cqe + CQE_OFF_BYTE_CNT);
			p->tls_status = (cqe[CQE_OFF_TLS] >> 3) & 0x3;
			p->l2_ok = ok & CQE_L2_OK;
			p->l3_ok = ok & CQE_L3_OK;
			p->l4_ok = ok & CQE_L4_OK;
			p->buf_id = b;
			/* the flow tag, bits 23:0 of sop_drop_qpn (rdma-core mlx5 cq.c) */
			p->flow_tag = get_be32(cqe + CQE_OFF_SOP_DROP_QPN) & 0xffffffu;
			rq->stats.packets++;
			rq->stats.bytes += p->len;
		} else {
			if (opcode == CQE_OPCODE_RESP_ERR)
				pr_debug("receive queue %u: error CQE, syndrome 0x%x, wqe %u\n",
					 rq->ring.rqn, cqe[CQE_OFF_SYNDROME],
					 get_be16(cqe + CQE_OFF_WQE_COUNTER));
			else
				pr_warn("receive queue %u: unexpected CQE opcode %u\n",
					rq->ring.rqn, opcode);
			rq->stats.err_cqes++;
			__atomic_store_n(&rq->ring.cq_dbrec[0], htobe32(rq->cq_ci & 0xffffff),
					 __ATOMIC_RELEASE);
			if (rq_recover(rq))
				return n ? n : -EIO;
		}
	}
	if (any)
		__atomic_store_n(&rq->ring.cq_dbrec[0], htobe32(rq->cq_ci & 0xffffff),
				 __ATOMIC_RELEASE);
	return n;
}

/* ---- lifecycle ---- */

static int rq_opts_resolve(const struct mlx5tls_rq_opts *opts, struct xport_rq_attr *a,
			   uint32_t *buf_size, uint32_t *nbufs)
{
	uint32_t flags = OPTS_GET(opts, flags, 0);

	a->log_wqes = OPTS_GET(opts, log_wqes, 0) ?: LOG_RQ_DEFAULT;
	a->log_cq_cqes = OPTS_GET(opts, log_cq_cqes, 0) ?: a->log_wqes;
	*buf_size = OPTS_GET(opts, buf_size, 0) ?: BUF_DEFAULT;
	*nbufs = OPTS_GET(opts, nbufs, 0) ?: 2u << a->log_wqes;
	if (a->log_wqes > LOG_RQ_MAX) {
		pr_warn("rq: log_wqes %u outside 1..%u\n", a->log_wqes, LOG_RQ_MAX);
		return -EINVAL;
	}
	/* every WQE makes a CQE: the CQ must hold a ring's worth */
	if (a->log_cq_cqes < a->log_wqes || a->log_cq_cqes > LOG_CQ_MAX) {
		pr_warn("rq: log_cq_cqes %u must be %u..%u\n", a->log_cq_cqes, a->log_wqes,
			LOG_CQ_MAX);
		return -EINVAL;
	}
	if (*buf_size < BUF_MIN || *buf_size > BUF_MAX || *buf_size % 64) {
		pr_warn("rq: buf_size %u: must be a multiple of 64 in %u..%u\n", *buf_size,
			BUF_MIN, BUF_MAX);
		return -EINVAL;
	}
	if ((uint64_t)*nbufs * *buf_size > (1ull << 32) || (flags & ~MLX5TLS_RQ_F_MODEL_SYNC))
		return -EINVAL;
	return 0;
}

static void rq_free(struct mlx5tls_rq *rq)
{
	if (rq->xrq)
		rq->dev->ops->rq_destroy(rq->xrq);
	if (rq->mr)
		mlx5tls_mr_dereg(rq->mr);
	free(rq->mem);
	free(rq->slot_buf);
	free(rq->free_bufs);
	free(rq->held);
	free(rq);
}

struct mlx5tls_rq *mlx5tls_rq_create(struct mlx5tls_pd *pd, struct mlx5tls_td *td,
				     const struct mlx5tls_rq_opts *opts)
{
	struct xport_rq_attr a = { 0 };
	uint32_t buf_size = 0, nbufs = 0;
	struct mlx5tls_rq *rq;
	size_t mem_len;
	int ret;

	if (!pd || !td || pd->dev != td->dev || !OPTS_VALID(opts, mlx5tls_rq_opts))
		return libmlx5tls_err_ptr(-EINVAL);
	ret = rq_opts_resolve(opts, &a, &buf_size, &nbufs);
	if (ret)
		return libmlx5tls_err_ptr(ret);
	if (!pd->dev->ops->rq_create)
		return libmlx5tls_err_ptr(not_on_transport(pd->dev));
	rq = calloc(1, sizeof(*rq));
	if (!rq)
		return libmlx5tls_err_ptr(-ENOMEM);
	rq->dev = pd->dev;
	rq->pd = pd;
	rq->td = td;
	rq->buf_size = buf_size;
	rq->nbufs = nbufs;
	mem_len = ((size_t)nbufs * buf_size + 4095u) / 4096u * 4096u;
	rq->mem = aligned_alloc(4096, mem_len);
	rq->slot_buf = calloc(1u << a.log_wqes, sizeof(*rq->slot_buf));
	rq->free_bufs = calloc(nbufs, sizeof(*rq->free_bufs));
	rq->held = calloc(nbufs, 1);
	if (!rq->mem || !rq->slot_buf || !rq->free_bufs || !rq->held) {
		ret = -ENOMEM;
		goto err;
	}
	/* the device writes received frames into the pool: IBV_ACCESS_LOCAL_WRITE */
	rq->mr = mr_reg_access(pd, rq->mem, mem_len, XPORT_MR_LOCAL_WRITE);
	if (!rq->mr) {
		ret = -errno;
		goto err;
	}
	a.pdn = pd->pdn;
	a.pd_obj = pd->obj;
	ret = pd->dev->ops->rq_create(pd->dev->xp, &a, &rq->ring, &rq->xrq);
	if (ret)
		goto err;
	if (rq->ring.rq_wqes != 1u << a.log_wqes || rq->ring.rq_stride != RQ_WQE_SIZE ||
	    rq->ring.cq_cqes < rq->ring.rq_wqes) {
		pr_warn("rq: the transport made an unexpected ring (%u WQEs, stride %u, %u CQEs)\n",
			rq->ring.rq_wqes, rq->ring.rq_stride, rq->ring.cq_cqes);
		ret = -EPROTO;
		goto err;
	}
	rq->wqe_mask = rq->ring.rq_wqes - 1;
	/* lowest buffers on top of the stack first */
	for (uint32_t i = 0; i < nbufs; i++)
		rq->free_bufs[i] = nbufs - 1 - i;
	rq->n_free = nbufs;
	rq_refill(rq);
	rq->stats.rqn = rq->ring.rqn;
	rq->stats.cqn = rq->ring.cqn;
	rq->stats.wqes = rq->ring.rq_wqes;
	rq->stats.buf_size = buf_size;
	rq->stats.nbufs = nbufs;
	atomic_fetch_add(&pd->users, 1);
	atomic_fetch_add(&td->users, 1);
	return rq;
err:
	rq_free(rq);
	return libmlx5tls_err_ptr(ret);
}

int mlx5tls_rq_destroy(struct mlx5tls_rq *rq)
{
	struct mlx5tls_pd *pd;
	struct mlx5tls_td *td;

	if (!rq)
		return libmlx5tls_err(-EINVAL);
	if (atomic_load(&rq->tirs) || rq->n_held)
		return libmlx5tls_err(-EBUSY);
	pd = rq->pd;
	td = rq->td;
	rq_free(rq);
	atomic_fetch_sub(&pd->users, 1);
	atomic_fetch_sub(&td->users, 1);
	return 0;
}

int mlx5tls_rq_poll(struct mlx5tls_rq *rq, struct mlx5tls_rx_pkt *pkts, int max,
		    unsigned int timeout_ms)
{
	uint64_t deadline = 0;

	if (!rq || max < 0 || (!pkts && max))
		return libmlx5tls_err(-EINVAL);
	for (;;) {
		int n = rq_reap(rq, pkts, max);

		rq_refill(rq);
		if (n < 0)
			return libmlx5tls_err(n);
		if (n || !timeout_ms || !max)
			return n;
		if (!deadline)
			deadline = rq_now_ns() + (uint64_t)timeout_ms * 1000000ull;
		else if (rq_now_ns() > deadline)
			return 0;
		{
			struct timespec ts = { 0, 5000 };

			nanosleep(&ts, NULL);
		}
	}
}

int mlx5tls_rq_release(struct mlx5tls_rq *rq, const struct mlx5tls_rx_pkt *pkt)
{
	uint32_t b;

	if (!rq || !pkt)
		return libmlx5tls_err(-EINVAL);
	b = pkt->buf_id;
	if (b >= rq->nbufs || !rq->held[b] || pkt->data != rq->mem + (size_t)b * rq->buf_size)
		return libmlx5tls_err(-EINVAL);
	rq->held[b] = 0;
	rq->n_held--;
	rq->free_bufs[rq->n_free++] = b;
	rq_refill(rq);
	return 0;
}

int mlx5tls_rq_release_n(struct mlx5tls_rq *rq, const struct mlx5tls_rx_pkt *pkts,
			 unsigned int n)
{
	unsigned int i;

	if (!rq || (!pkts && n))
		return libmlx5tls_err(-EINVAL);
	for (i = 0; i < n; i++) {
		uint32_t b = pkts[i].buf_id;

		if (b >= rq->nbufs || !rq->held[b] ||
		    pkts[i].data != rq->mem + (size_t)b * rq->buf_size)
			break;
		rq->held[b] = 0;
		rq->n_held--;
		rq->free_bufs[rq->n_free++] = b;
	}
	/* one barrier and one doorbell record for the whole batch */
	rq_refill(rq);
	return i == n ? 0 : libmlx5tls_err(-EINVAL);
}

int mlx5tls_rq_query(struct mlx5tls_rq *rq, struct mlx5tls_rq_attr *attr, size_t attr_sz)
{
	if (!rq || !attr)
		return libmlx5tls_err(-EINVAL);
	rq->stats.posted = rq->pc - rq->cc;
	rq->stats.held = rq->n_held;
	rq->stats.tirs = atomic_load(&rq->tirs);
	rq->stats.out_of_buffer_known = false;
	rq->stats.out_of_buffer = 0;
	if (rq->dev->ops->rq_out_of_buffer &&
	    !rq->dev->ops->rq_out_of_buffer(rq->xrq, &rq->stats.out_of_buffer))
		rq->stats.out_of_buffer_known = true;
	copy_out(attr, attr_sz, &rq->stats, sizeof(rq->stats));
	return 0;
}

/* ---- the model's wire, receive direction ---- */

int mlx5tls_model_wire_rx(struct mlx5tls_device *dev, const void *frame, size_t len)
{
	if (!dev || !frame || !len)
		return libmlx5tls_err(-EINVAL);
	if (!dev->ops->wire_rx)
		return libmlx5tls_err(-EOPNOTSUPP);
	return libmlx5tls_err(dev->ops->wire_rx(dev->xp, frame, len));
}

/* ---- TIR (fact sheet 4.3) ---- */

/* The room for the transport's record of f's steering rule. */
static struct mlx5tls_xflow *flow_rec(struct mlx5tls_flow *f)
{
	return (struct mlx5tls_xflow *)&f->rec;
}

/* A flow tag for a new TIR object: 24 bits (rdma-core MLX5_FLOW_TAG_MASK), never 0 (0 is "no
 * tag"). After 2^24 - 1 objects on one device tags come round again; a packet would have to
 * sit unread through all of them to be mistaken for a later object's. */
static uint32_t tir_next_tag(struct mlx5tls_device *dev)
{
	uint32_t t;

	do
		t = (atomic_fetch_add(&dev->tir_tag_next, 1) + 1) & 0xffffffu;
	while (!t);
	return t;
}

static int tir_obj_create(struct mlx5tls_rq *rq, struct mlx5tls_td *td, bool tls_en,
			  struct mlx5tls_xobj **obj, uint32_t *tirn)
{
	uint8_t in[DEVX_ST_SZ_BYTES(create_tir_in)] = { 0 };
	uint8_t out[DEVX_ST_SZ_BYTES(create_tir_out)] = { 0 };
	void *tirc;
	int ret;

	/*
	 * DIRECT to the RQ, as rdma-core's raw-packet QP TIR and libdpcp's TLS RX TIRs (the
	 * kernel's INDIRECT over a one-RQ table delivers the same way). No RSS hash (DIRECT does
	 * not hash), no LRO. self_lb_block = unicast | multicast (fact sheet 4.3: the kernel's TLS
	 * RX TIR sets both): a frame this function sends itself - a TX queue of the same vport
	 * whose 5-tuple happens to match the steering rule - must not come back into the TLS
	 * receive path as if the peer had sent it. Frames from the wire are not affected (the model
	 * stores and reports the value; its receive path only carries wire frames, sim/tir.c T6).
	 */
	DEVX_SET(create_tir_in, in, opcode, MLX5_CMD_OP_CREATE_TIR);
	tirc = DEVX_ADDR_OF(create_tir_in, in, ctx);
	DEVX_SET(tirc, tirc, disp_type, MLX5_TIRC_DISP_TYPE_DIRECT);
	DEVX_SET(tirc, tirc, tls_en, tls_en);
	DEVX_SET(tirc, tirc, inline_rqn, rq->ring.rqn);
	DEVX_SET(tirc, tirc, transport_domain, td->tdn);
	DEVX_SET(tirc, tirc, self_lb_block,
		 MLX5_TIRC_SELF_LB_BLOCK_BLOCK_UNICAST | MLX5_TIRC_SELF_LB_BLOCK_BLOCK_MULTICAST);
	ret = cmd_exec(rq->dev, CMD_CREATE, NULL, obj, in, sizeof(in), out, sizeof(out), NULL);
	if (!ret)
		*tirn = DEVX_GET(create_tir_out, out, tirn);
	return ret;
}

static int tir_obj_destroy(struct mlx5tls_rq *rq, struct mlx5tls_xobj *obj, uint32_t tirn)
{
	uint8_t in[DEVX_ST_SZ_BYTES(destroy_tir_in)] = { 0 };
	uint8_t out[DEVX_ST_SZ_BYTES(mbox_out)] = { 0 };

	DEVX_SET(destroy_tir_in, in, opcode, MLX5_CMD_OP_DESTROY_TIR);
	DEVX_SET(destroy_tir_in, in, tirn, tirn);
	return cmd_exec(rq->dev, CMD_DESTROY, obj, NULL, in, sizeof(in), out, sizeof(out), NULL);
}

struct mlx5tls_tir *mlx5tls_tir_create(struct mlx5tls_rq *rq, struct mlx5tls_td *td,
				       const struct mlx5tls_tir_opts *opts)
{
	bool tls_en = OPTS_GET(opts, tls_en, false);
	struct mlx5tls_tir *tir;
	int ret;

	if (!rq || !td || rq->dev != td->dev || !OPTS_VALID(opts, mlx5tls_tir_opts))
		return libmlx5tls_err_ptr(-EINVAL);
	if (tls_en && !rq->dev->caps.tls_rx) {
		pr_warn("%s: the device has no TLS RX offload (tls_rx)\n", rq->dev->attr.name);
		return libmlx5tls_err_ptr(-EOPNOTSUPP);
	}
	tir = calloc(1, sizeof(*tir));
	if (!tir)
		return libmlx5tls_err_ptr(-ENOMEM);
	ret = tir_obj_create(rq, td, tls_en, &tir->obj, &tir->tirn);
	if (ret) {
		free(tir);
		return libmlx5tls_err_ptr(ret);
	}
	pthread_mutex_init(&tir->lock, NULL);
	pthread_spin_init(&tir->rx_lock, PTHREAD_PROCESS_PRIVATE);
	tir->rq = rq;
	tir->td = td;
	tir->tls_en = tls_en;
	tir->tag = tir_next_tag(rq->dev);
	atomic_fetch_add(&rq->tirs, 1);
	atomic_fetch_add(&td->users, 1);
	return tir;
}

int tir_renew(struct mlx5tls_tir *tir)
{
	struct mlx5tls_device *dev = tir->rq->dev;
	struct mlx5tls_xobj *obj = NULL;
	uint32_t tirn = 0, tag;
	int ret, err = 0;

	ret = tir_obj_create(tir->rq, tir->td, tir->tls_en, &obj, &tirn);
	if (ret) {
		pr_warn("TIR 0x%x: no fresh TIR for the next TLS state (%d)\n", tir->tirn, ret);
		return ret;
	}
	tag = tir_next_tag(dev);
	pthread_mutex_lock(&tir->lock);
	/* fact sheet 11.5: a rule goes before its TIR; the same match cannot be steered twice, so
	 * each rule is removed, then installed again towards the fresh object */
	for (struct mlx5tls_flow *f = tir->flow_list; f; f = f->next) {
		if (f->xflow) {
			ret = dev->ops->flow_destroy(f->xflow);
			if (ret) {
				err = err ?: ret;
				continue; /* still steers to the old object, which must stay */
			}
			f->xflow = NULL;
		}
		ret = dev->ops->flow_create(dev->xp, &f->xm, obj, tirn, tag, flow_rec(f));
		if (!ret)
			f->xflow = flow_rec(f);
		if (ret) {
			pr_warn("TIR 0x%x: a flow could not be steered to its renewal (%d)\n",
				tir->tirn, ret);
			err = err ?: ret;
		}
	}
	ret = tir_obj_destroy(tir->rq, tir->obj, tir->tirn);
	if (ret) {
		/* a rule still on the old object: keep using it rather than lose the flow */
		pthread_mutex_unlock(&tir->lock);
		pr_warn("TIR 0x%x: could not be destroyed in renewal (%d)\n", tir->tirn, ret);
		return err ?: ret;
	}
	tir->obj = obj;
	tir->tirn = tirn;
	tir->tag = tag;
	tir->tls_used = false;
	pthread_mutex_unlock(&tir->lock);
	if (tir->stale_dek) { /* the object that named it is gone */
		mlx5tls_dek_destroy(tir->stale_dek);
		tir->stale_dek = NULL;
	}
	return err;
}

int mlx5tls_tir_destroy(struct mlx5tls_tir *tir)
{
	int ret;

	if (!tir)
		return libmlx5tls_err(-EINVAL);
	/* fact sheet 11.5: the steering rule goes before DESTROY_TIR */
	if (atomic_load(&tir->flows))
		return libmlx5tls_err(-EBUSY);
	/* among 100k TIRs both are cold: asked for together, the DEK's line arrives while the
	 * command runs instead of after it */
	__builtin_prefetch(tir->obj, 1);
	__builtin_prefetch(tir->stale_dek, 1);
	ret = tir_obj_destroy(tir->rq, tir->obj, tir->tirn);
	if (ret)
		return libmlx5tls_err(ret);
	if (tir->stale_dek)
		mlx5tls_dek_destroy(tir->stale_dek);
	/* an RX context may outlive its TIR (the application's order): inspection forgets it */
	rx_tir_gone(tir);
	atomic_fetch_sub(&tir->rq->tirs, 1);
	atomic_fetch_sub(&tir->td->users, 1);
	pthread_spin_destroy(&tir->rx_lock);
	pthread_mutex_destroy(&tir->lock);
	free(tir);
	return 0;
}

uint32_t mlx5tls_tir_num(const struct mlx5tls_tir *tir)
{
	return tir ? tir->tirn : 0;
}

int mlx5tls_tir_query(struct mlx5tls_tir *tir, struct mlx5tls_tir_attr *attr, size_t attr_sz)
{
	uint8_t in[DEVX_ST_SZ_BYTES(query_tir_in)] = { 0 };
	uint8_t out[DEVX_ST_SZ_BYTES(query_tir_out)] = { 0 };
	struct mlx5tls_tir_attr a = { 0 };
	const void *tirc;
	int ret;

	if (!tir || !attr)
		return libmlx5tls_err(-EINVAL);
	/* the lock keeps a renewal (another thread's RX context) from destroying the object
	 * under the query */
	pthread_mutex_lock(&tir->lock);
	DEVX_SET(query_tir_in, in, opcode, MLX5_CMD_OP_QUERY_TIR);
	DEVX_SET(query_tir_in, in, tirn, tir->tirn);
	a.tirn = tir->tirn;
	ret = cmd_exec(tir->rq->dev, CMD_QUERY, tir->obj, NULL, in, sizeof(in), out, sizeof(out),
		       NULL);
	pthread_mutex_unlock(&tir->lock);
	if (ret)
		return libmlx5tls_err(ret);
	tirc = DEVX_ADDR_OF(query_tir_out, out, tir_context);
	a.tls_en = DEVX_GET(tirc, tirc, tls_en);
	a.disp_type = (uint8_t)DEVX_GET(tirc, tirc, disp_type);
	a.inline_rqn = DEVX_GET(tirc, tirc, inline_rqn);
	a.transport_domain = DEVX_GET(tirc, tirc, transport_domain);
	a.flows = atomic_load(&tir->flows);
	a.self_lb_block = (uint8_t)DEVX_GET(tirc, tirc, self_lb_block);
	copy_out(attr, attr_sz, &a, sizeof(a));
	return 0;
}

/* ---- steering (fact sheet 11.1, 11.2 step 5) ---- */

static bool match_valid(const struct mlx5tls_flow_match *m)
{
	static const uint8_t zero[12];

	if (m->ip_version == 4)
		return !memcmp(m->src_ip + 4, zero, 12) && !memcmp(m->dst_ip + 4, zero, 12);
	return m->ip_version == 6;
}

/*
 * Install f (its match in f->xm) towards the TIR and put it on the TIR's list, so that a renewal
 * moves it too. A destroyed context's TLS state must not see the flow's packets: a TIR still
 * holding one is renewed first. f is freed on failure. f or NULL and errno.
 */
static struct mlx5tls_flow *flow_install(struct mlx5tls_tir *tir, struct mlx5tls_flow *f)
{
	struct mlx5tls_device *dev = tir->rq->dev;
	int ret = 0;

	if (tir->stale_dek) {
		ret = tir_renew(tir);
		if (!ret)
			counter_inc(dev, MLX5TLS_CNT_RX_TLS_TIR_RENEW);
	}
	pthread_mutex_lock(&tir->lock);
	if (!ret)
		ret = dev->ops->flow_create(dev->xp, &f->xm, tir->obj, tir->tirn, tir->tag,
					    flow_rec(f));
	if (!ret) {
		f->xflow = flow_rec(f);
		f->tir = tir;
		f->next = tir->flow_list;
		if (f->next)
			f->next->prev = f;
		tir->flow_list = f;
		atomic_fetch_add(&tir->flows, 1);
	}
	pthread_mutex_unlock(&tir->lock);
	if (ret) {
		free(f);
		return libmlx5tls_err_ptr(ret);
	}
	return f;
}

struct mlx5tls_flow *mlx5tls_flow_create(struct mlx5tls_tir *tir,
					 const struct mlx5tls_flow_match *m)
{
	struct mlx5tls_flow *f;

	if (!tir || !m || !match_valid(m))
		return libmlx5tls_err_ptr(-EINVAL);
	if (!tir->rq->dev->ops->flow_create)
		return libmlx5tls_err_ptr(not_on_transport(tir->rq->dev));
	f = calloc(1, sizeof(*f));
	if (!f)
		return libmlx5tls_err_ptr(-ENOMEM);
	f->xm.ip_version = m->ip_version;
	f->xm.ip_proto = 6; /* TCP */
	memcpy(f->xm.src_ip, m->src_ip, sizeof(f->xm.src_ip));
	memcpy(f->xm.dst_ip, m->dst_ip, sizeof(f->xm.dst_ip));
	f->xm.src_port = m->src_port;
	f->xm.dst_port = m->dst_port;
	if (!flow_install(tir, f))
		return NULL;
	{
		/* the receiver's view: src is the peer (remote), dst this side (local) */
		struct mlx5tls_conn c = { .ip_version = m->ip_version, .local_port = m->dst_port,
					  .remote_port = m->src_port };

		memcpy(c.local_ip, m->dst_ip, sizeof(c.local_ip));
		memcpy(c.remote_ip, m->src_ip, sizeof(c.remote_ip));
		conn_set(&tir->flow_conn, &c, MLX5TLS_CONN_FLOW);
	}
	return f;
}

struct mlx5tls_flow *mlx5tls_flow_create_default(struct mlx5tls_tir *tir)
{
	struct mlx5tls_flow *f;

	if (!tir)
		return libmlx5tls_err_ptr(-EINVAL);
	if (!tir->rq->dev->ops->flow_create)
		return libmlx5tls_err_ptr(not_on_transport(tir->rq->dev));
	f = calloc(1, sizeof(*f));
	if (!f)
		return libmlx5tls_err_ptr(-ENOMEM);
	f->xm.default_rqn = tir->rq->ring.rqn; /* ip_version 0: the catch-all rule */
	return flow_install(tir, f);
}

int mlx5tls_flow_destroy(struct mlx5tls_flow *flow)
{
	struct mlx5tls_tir *tir;
	int ret = 0;

	if (!flow)
		return libmlx5tls_err(-EINVAL);
	/* among 100k flows the flow is cold: the transport's record is in it (rx_queue.h), so
	 * both lines are asked for at once, with no pointer to wait for */
	__builtin_prefetch(flow, 1);
	__builtin_prefetch((const char *)(&flow->rec + 1) - 1, 1);
	tir = flow->tir;
	/*
	 * The TIR's last rule: what follows is the teardown of its connection, the context then
	 * the TIR (fact sheet 11.5: the rule first, as the kernel's mlx5e_ktls_del_rx). Among 100k
	 * TIRs the lines each starts from are cold: asked for now, before the device's part of
	 * this call, they arrive while it runs. The count may change meanwhile: then only a
	 * prefetch is wasted. rx_lock before lock (rx_queue.h).
	 */
	if (atomic_load_explicit(&tir->flows, memory_order_relaxed) == 1) {
		pthread_spin_lock(&tir->rx_lock);
		if (tir->rx_list)
			rx_prefetch_teardown(tir->rx_list);
		pthread_spin_unlock(&tir->rx_lock);
	}
	pthread_mutex_lock(&tir->lock);
	if (atomic_load_explicit(&tir->flows, memory_order_relaxed) == 1)
		__builtin_prefetch(tir->obj, 1);
	if (flow->xflow)
		ret = tir->rq->dev->ops->flow_destroy(flow->xflow);
	if (!ret) {
		if (flow->prev)
			flow->prev->next = flow->next;
		else
			tir->flow_list = flow->next;
		if (flow->next)
			flow->next->prev = flow->prev;
		atomic_fetch_sub(&tir->flows, 1);
	}
	pthread_mutex_unlock(&tir->lock);
	if (ret)
		return libmlx5tls_err(ret);
	free(flow);
	return 0;
}
