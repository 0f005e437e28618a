/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Receive queues (rq.h): creation over model or caller memory, MODIFY_RQ state changes, and the
 * delivery of one steered frame - the TLS RX engine, the next receive WQE, the buffer write and
 * the CQE (rq.h RECEIVE RULES; CQE64 offsets: fact sheet 9 and rdma-core's struct mlx5_cqe64).
 *
 * Locks: rq->lock is held for each delivery (taken by the steering lookup, steer.c) and by
 * modify/stats. rq->pins is taken under dev->dp_lock (read: sim_rq_pin_num, no device lock),
 * where sim_rq_destroy checks it (write). A delivery takes, under rq->lock, a TLS RX context
 * lock, the MR lock and the CQ lock, never dev->lock.
 */
#include <endian.h>
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "sim/sq_internal.h"

#define RQ_WQE_SIZE 16u /* struct mlx5_wqe_data_seg */
#define RQ_DBREC_ALIGN 64u
#define DATA_SEG_INLINE 0x80000000u /* MLX5_INLINE_SEG: meaningless in a receive WQE */

/* struct mlx5_cqe64 offsets (fact sheet 9; rdma-core mlx5dv.h) and flag values */
#define CQE_TLS_BYTE 0
#define CQE_TLS_SHIFT 3
#define CQE_HDS_IP_EXT 28
#define CQE_L4_L3_TYPE 29
#define CQE_SRQN_UIDX 32
#define CQE_BYTE_CNT 44
#define CQE_SOP_DROP_QPN 56
#define CQE_WQE_COUNTER 60
#define CQE_VENDOR_SYND 54
#define CQE_SYND 55
#define CQE_L2_OK 0x1 /* MLX5_CQE_L2_OK */
#define CQE_L3_OK 0x2
#define CQE_L4_OK 0x4
#define CQE_L3_IPV6 0x1 /* MLX5_CQE_L3_HDR_TYPE_* */
#define CQE_L3_IPV4 0x2
#define CQE_L4_TCP 0x1 /* kernel CQE_L4_HDR_TYPE_TCP_NO_ACK */
#define CQE_L4_UDP 0x2
#define CQE_L4_TCP_ACK_NO_DATA 0x3
#define CQE_L4_TCP_ACK_AND_DATA 0x4
#define TCP_FLAG_ACK 0x10

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

static uint32_t be32_at(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return be32toh(v);
}

static uint64_t be64_at(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return be64toh(v);
}

static void rq_free(struct sim_rq *rq)
{
	sim_tls_rx_ctx_table_fini(rq);
	if (rq->own_dbrec)
		free(rq->dbrec);
	if (rq->own_buf)
		free(rq->buf);
	free(rq->scratch);
	free(rq);
}

static int rq_alloc_mem(struct sim_rq *rq, const struct sim_rq_attr *attr)
{
	size_t bytes = (size_t)RQ_WQE_SIZE << attr->log_wqes;

	if (attr->buf) {
		rq->buf = attr->buf;
	} else {
		rq->buf = aligned_alloc(4096, bytes < 4096 ? 4096 : bytes);
		if (!rq->buf)
			return -ENOMEM;
		memset(rq->buf, 0, bytes);
		rq->own_buf = true;
	}
	if (attr->dbrec) {
		rq->dbrec = attr->dbrec;
	} else {
		rq->dbrec = aligned_alloc(RQ_DBREC_ALIGN, RQ_DBREC_ALIGN);
		if (!rq->dbrec)
			return -ENOMEM;
		memset(rq->dbrec, 0, RQ_DBREC_ALIGN);
		rq->own_dbrec = true;
	}
	rq->scratch = malloc(SIM_RX_FRAME_MAX);
	return rq->scratch ? 0 : -ENOMEM;
}

struct sim_rq *sim_rq_create(struct sim_dev *dev, const struct sim_rq_attr *attr)
{
	struct sim_rq *rq;
	struct sim_dp *dp;
	uint32_t num = 0;
	int err;

	if (!dev || !attr || !attr->cq || attr->cq->dev != dev || attr->log_wqes < 1 ||
	    attr->log_wqes > SIM_RQ_LOG_MAX || attr->user_index >= SIM_OBJ_NUM_LIMIT ||
	    attr->pd >= SIM_OBJ_NUM_LIMIT || ((uintptr_t)attr->buf & (RQ_WQE_SIZE - 1)) ||
	    ((uintptr_t)attr->dbrec & 3)) {
		errno = EINVAL;
		return NULL;
	}
	dp = sim_dp_get(dev);
	if (!dp) {
		errno = ENOMEM;
		return NULL;
	}
	rq = calloc(1, sizeof(*rq));
	if (!rq) {
		sim_dp_put(dev);
		errno = ENOMEM;
		return NULL;
	}
	if (sim_tls_rx_ctx_table_init(rq)) {
		free(rq);
		sim_dp_put(dev);
		errno = ENOMEM;
		return NULL;
	}
	if (pthread_mutex_init(&rq->lock, NULL)) {
		sim_tls_rx_ctx_table_fini(rq);
		free(rq);
		sim_dp_put(dev);
		errno = ENOMEM;
		return NULL;
	}
	rq->dev = dev;
	rq->dp = dp;
	rq->cq = attr->cq;
	rq->uid = attr->uid;
	rq->pd = attr->pd;
	rq->user_index = attr->user_index;
	rq->log_wqes = attr->log_wqes;
	rq->state = SIM_RQ_RST;
	err = rq_alloc_mem(rq, attr);
	if (!err) {
		/* dp_lock for writing: CREATE_TIR reads the table under it alone (sim_rq_pin_num) */
		sim_brlock_wrlock(&dev->dp_lock);
		pthread_mutex_lock(&dp->lock);
		err = sim_objtab_alloc_num(&dp->rqs, &dp->rq_cursor, SIM_RQ_NUM_FIRST,
					   SIM_OBJ_NUM_LIMIT, &num);
		if (!err) {
			rq->rqn = num;
			err = sim_objtab_put(&dp->rqs, num, rq);
		}
		pthread_mutex_unlock(&dp->lock);
		sim_brlock_wrunlock(&dev->dp_lock);
	}
	if (err) {
		pthread_mutex_destroy(&rq->lock);
		rq_free(rq);
		sim_dp_put(dev);
		errno = -err;
		return NULL;
	}
	sim_cq_attach(rq->cq, 1);
	return rq;
}

int sim_rq_destroy(struct sim_rq *rq)
{
	struct sim_dev *dev;

	if (!rq)
		return 0;
	dev = rq->dev;
	/* pins are taken under dp_lock (read, sim_rq_pin_num): none can come once it is out of
	 * the table */
	sim_brlock_wrlock(&dev->dp_lock);
	if (atomic_load_explicit(&rq->pins, memory_order_acquire)) {
		sim_brlock_wrunlock(&dev->dp_lock);
		return -EBUSY;
	}
	pthread_mutex_lock(&rq->dp->lock);
	sim_objtab_del(&rq->dp->rqs, rq->rqn);
	pthread_mutex_unlock(&rq->dp->lock);
	sim_brlock_wrunlock(&dev->dp_lock);
	/* a delivery that found the RQ holds its lock from before it was unpinned: wait for it */
	pthread_mutex_lock(&rq->lock);
	pthread_mutex_unlock(&rq->lock);
	sim_cq_attach(rq->cq, -1);
	pthread_mutex_destroy(&rq->lock);
	rq_free(rq);
	sim_dp_put(dev);
	return 0;
}

void sim_rq_query(struct sim_rq *rq, struct sim_rq_info *info)
{
	if (!rq || !info)
		return;
	info->rqn = rq->rqn;
	info->buf = rq->buf;
	info->wqe_cnt = 1u << rq->log_wqes;
	info->stride = RQ_WQE_SIZE;
	info->dbrec = rq->dbrec;
	pthread_mutex_lock(&rq->lock);
	info->state = rq->state;
	pthread_mutex_unlock(&rq->lock);
}

static bool transition_ok(enum sim_rq_state from, enum sim_rq_state to)
{
	if (from == to)
		return true;
	switch (from) {
	case SIM_RQ_RST:
		return to == SIM_RQ_RDY;
	case SIM_RQ_RDY:
		return to == SIM_RQ_RST || to == SIM_RQ_ERR;
	case SIM_RQ_ERR:
		return to == SIM_RQ_RST;
	}
	return false;
}

int sim_rq_modify(struct sim_rq *rq, enum sim_rq_state state)
{
	int ret = 0;

	if (!rq || (state != SIM_RQ_RST && state != SIM_RQ_RDY && state != SIM_RQ_ERR))
		return -EINVAL;
	pthread_mutex_lock(&rq->lock);
	if (!transition_ok(rq->state, state)) {
		ret = -EINVAL;
	} else {
		/* MODIFY_RQ to RST: the WQE counter restarts at 0 (DPDK mlx5_rx_err_handle resets
		 * rq_ci and re-posts every WQE after ERR -> RST -> RDY) */
		if (state == SIM_RQ_RST)
			rq->ci = 0;
		rq->state = state;
	}
	pthread_mutex_unlock(&rq->lock);
	return ret;
}

void sim_rq_get_stats(struct sim_rq *rq, struct sim_rq_stats *st)
{
	if (!rq || !st)
		return;
	pthread_mutex_lock(&rq->lock);
	*st = rq->stats;
	pthread_mutex_unlock(&rq->lock);
}

/* ---- control-plane hooks (no device lock needed) ---- */

int sim_rq_pin_num(struct sim_dev *dev, uint32_t rqn, int uid, struct sim_rq **out)
{
	struct sim_rq *rq = NULL;
	struct sim_dp *dp;
	unsigned int slot;
	int ret = -ENOENT;

	/* dp_lock (read: this thread's slot, brlock.h) keeps dev->dp and its RQ table, which
	 * change with it held for writing; the pin is taken under it, where a destroy checks it */
	slot = sim_brlock_rdlock(&dev->dp_lock);
	dp = dev->dp;
	if (rqn && dp) {
		rq = sim_objtab_get(&dp->rqs, rqn);
		if (rq && uid >= 0 && rq->uid != uid) {
			ret = -EACCES;
		} else if (rq) {
			atomic_fetch_add_explicit(&rq->pins, 1, memory_order_relaxed);
			*out = rq;
			ret = 0;
		}
	}
	sim_brlock_rdunlock(&dev->dp_lock, slot);
	return ret;
}

void sim_rq_unpin(struct sim_rq *rq)
{
	atomic_fetch_sub_explicit(&rq->pins, 1, memory_order_release);
}

uint32_t sim_rq_num(const struct sim_rq *rq)
{
	return rq->rqn;
}

/* ---- delivery ---- */

/* An error CQE for receive WQE `idx`; the RQ goes to ERR (rq.h RECEIVE RULES). */
static void rq_fail(struct sim_rq *rq, uint16_t idx, int vsynd)
{
	uint8_t cqe[CQE_SIZE] = { 0 };

	rq->state = SIM_RQ_ERR;
	rq->stats.err_cqes++;
	rq->stats.last_syndrome = sim_vsynd_syndrome(vsynd);
	rq->stats.last_vsynd = (uint8_t)vsynd;
	rq->stats.last_err_wqe_counter = idx;
	put_be32(cqe + CQE_SRQN_UIDX, rq->user_index);
	put_be32(cqe + CQE_SOP_DROP_QPN, rq->rqn);
	put_be16(cqe + CQE_WQE_COUNTER, idx);
	cqe[CQE_VENDOR_SYND] = (uint8_t)vsynd;
	cqe[CQE_SYND] = sim_vsynd_syndrome(vsynd);
	if (sim_cq_write(rq->cq, cqe, CQE_OPCODE_RESP_ERR))
		rq->stats.cq_overrun++;
}

static uint8_t l4_l3_type(const struct sim_rx_frame *rx)
{
	const struct sim_pkt *p = &rx->pkt;
	uint8_t l3 = 0, l4 = 0;

	if (!rx->parsed)
		return 0;
	if (p->ipv4)
		l3 = CQE_L3_IPV4;
	else if (p->ipv6)
		l3 = CQE_L3_IPV6;
	if (p->l4_proto == 17) {
		l4 = CQE_L4_UDP;
	} else if (p->l4_proto == 6) {
		/* model reading of the kernel's LRO use (en_rx.c: ACK_NO_DATA / ACK_AND_DATA
		 * are the TCP segments with ACK set) */
		bool ack = rx->frame[p->l4_off + 13] & TCP_FLAG_ACK;
		bool data = p->l3_end > p->pay_off;

		if (!ack)
			l4 = CQE_L4_TCP;
		else
			l4 = data ? CQE_L4_TCP_ACK_AND_DATA : CQE_L4_TCP_ACK_NO_DATA;
	}
	return (uint8_t)(l4 << 4 | l3 << 2);
}

/* The TLS RX stage of a TLS TIR: writes the frame into buf (the receive buffer) with its TCP
 * payload decrypted on the way, or as received; returns the CQE status. The payload is written
 * once, by the engine (sim_tls_rx_packet_to), not copied and then decrypted in place. */
static enum sim_tls_rx_status rq_tls(struct sim_rq *rq, const struct sim_rx_frame *rx, uint8_t *buf)
{
	const struct sim_pkt *p = &rx->pkt;
	enum sim_tls_rx_status st = SIM_TLS_RX_NOT_DECRYPTED;
	struct sim_tls_rx_ctx *ctx;
	uint32_t plen;
	int ret;

	/* the engine sees TCP payload only; a pure ACK or a non-TCP frame is not a TLS segment */
	if (!rx->parsed || p->l4_proto != 6 || p->l3_end <= p->pay_off) {
		memcpy(buf, rx->frame, rx->len);
		return st;
	}
	ctx = sim_tls_rx_ctx_lock_rq(rq, rx->tirn);
	if (!ctx) {
		/* fact sheet 11.2: before the static params there is nothing to decrypt with */
		rq->stats.tls_no_context++;
		memcpy(buf, rx->frame, rx->len);
		return st;
	}
	plen = p->l3_end - p->pay_off;
	/* headers, then what follows the IP packet (Ethernet padding), as received */
	memcpy(buf, rx->frame, p->pay_off);
	memcpy(buf + p->l3_end, rx->frame + p->l3_end, rx->len - p->l3_end);
	ret = sim_tls_rx_ctx_packet(ctx, be32_at(rx->frame + p->l4_off + 4),
				    rx->frame + p->pay_off, buf + p->pay_off, plen, rx->l4_ok, &st);
	sim_tls_rx_ctx_unlock(ctx);
	if (ret) {
		/* OpenSSL failed: deliver what came off the wire, undecided */
		memcpy(buf + p->pay_off, rx->frame + p->pay_off, plen);
		rq->stats.tls_engine_errors++;
		return SIM_TLS_RX_NOT_DECRYPTED;
	}
	switch (st) {
	case SIM_TLS_RX_DECRYPTED:
		rq->stats.tls_decrypted++;
		break;
	case SIM_TLS_RX_RESYNC:
		rq->stats.tls_resync++;
		break;
	case SIM_TLS_RX_ERROR:
		rq->stats.tls_error++;
		break;
	default:
		rq->stats.tls_not_decrypted++;
		break;
	}
	return st;
}

/* Where a delivery goes, found before the TLS stage; its outcome is applied after it. */
enum rq_dest {
	DEST_BUFFER,   /* the next receive WQE's buffer */
	DEST_NO_STATE, /* the RQ is not RDY: dropped */
	DEST_NO_WQE,   /* no receive WQE posted: dropped */
	DEST_FAIL,     /* the WQE cannot take it: error CQE */
};

void sim_rq_deliver_locked(struct sim_rq *rq, const struct sim_rx_frame *rx)
{
	uint32_t n = 1u << rq->log_wqes;
	enum sim_tls_rx_status tls = SIM_TLS_RX_NOT_DECRYPTED;
	enum rq_dest dest = DEST_FAIL;
	uint8_t cqe[CQE_SIZE] = { 0 };
	uint8_t *dst = NULL;
	uint16_t idx = rq->ci;
	bool mr_locked = false;
	int vs = 0;

	/* The receive WQE and its buffer are looked up first so the frame can be copied once,
	 * into that buffer, and decrypted there; what the lookup found takes effect after the
	 * TLS stage, in the order below (rq.h: the TIR's crypto stage comes before the RQ's
	 * scatter, model reading - a frame dropped for want of a buffer still went through it). */
	if (rq->state != SIM_RQ_RDY) {
		dest = DEST_NO_STATE;
	} else {
		/* rdma-core MLX5_RCV_DBR: dbrec[0] = BE32(producer counter & 0xffff), read when
		 * needed; the WQE is read after it (acquire, pairing with the driver's barrier
		 * before its dbrec store) */
		uint16_t pc = (uint16_t)be32toh(__atomic_load_n(&rq->dbrec[0], __ATOMIC_ACQUIRE));
		uint16_t avail = (uint16_t)(pc - rq->ci);

		if (!avail) {
			dest = DEST_NO_WQE;
		} else if (avail > n) {
			/* the driver overwrote WQEs the device had not consumed: nothing can be
			 * trusted */
			vs = SIM_VSYND_DB_OVERFLOW;
		} else {
			const uint8_t *wqe = rq->buf + (size_t)(idx & (n - 1)) * RQ_WQE_SIZE;
			uint32_t bc = be32_at(wqe);

			if (bc & DATA_SEG_INLINE) {
				vs = SIM_VSYND_RQ_WQE_FORMAT;
			} else if (rx->len > bc) {
				vs = SIM_VSYND_RQ_BUF_TOO_SMALL;
			} else {
				/* held until the buffer is written: a dereg waits (mr.c) */
				sim_mr_read_lock(rq->dp);
				mr_locked = true;
				vs = sim_mr_wptr(rq->dp, rq->pd, be32_at(wqe + 4), be64_at(wqe + 8),
						 (uint32_t)rx->len, &dst);
				if (!vs)
					dest = DEST_BUFFER;
			}
		}
	}
	if (dest == DEST_BUFFER) {
		if (rx->tls_en)
			tls = rq_tls(rq, rx, dst);
		else
			memcpy(dst, rx->frame, rx->len);
	} else if (rx->tls_en) {
		/* nowhere to deliver, but the TLS engine sees the packet all the same */
		(void)rq_tls(rq, rx, rq->scratch);
	}
	if (mr_locked)
		sim_mr_read_unlock(rq->dp);
	switch (dest) {
	case DEST_NO_STATE:
		rq->stats.dropped_state++;
		return;
	case DEST_NO_WQE:
		rq->stats.out_of_buffer++;
		return;
	case DEST_FAIL:
		rq->ci++;
		rq_fail(rq, idx, vs);
		return;
	case DEST_BUFFER:
		break;
	}
	rq->ci++;
	cqe[CQE_TLS_BYTE] = (uint8_t)(tls << CQE_TLS_SHIFT);
	cqe[CQE_HDS_IP_EXT] = CQE_L2_OK | (rx->l3_ok ? CQE_L3_OK : 0) | (rx->l4_ok ? CQE_L4_OK : 0);
	cqe[CQE_L4_L3_TYPE] = l4_l3_type(rx);
	put_be32(cqe + CQE_SRQN_UIDX, rq->user_index);
	put_be32(cqe + CQE_BYTE_CNT, (uint32_t)rx->len);
	put_be32(cqe + CQE_SOP_DROP_QPN, rx->flow_tag); /* flow tag in bits 23:0 */
	put_be16(cqe + CQE_WQE_COUNTER, idx);
	if (sim_cq_write(rq->cq, cqe, CQE_OPCODE_RESP_SEND)) {
		/* cq.c: the CQ is overrun for good; the RQ can complete nothing any more */
		rq->stats.cq_overrun++;
		rq->state = SIM_RQ_ERR;
		return;
	}
	rq->stats.packets++;
	rq->stats.bytes += rx->len;
	if (rx->parsed && (rx->pkt.ipv4 || rx->pkt.ipv6) && !rx->l3_ok)
		rq->stats.l3_not_ok++;
	if (rx->parsed && rx->pkt.l4_proto && !rx->l4_ok)
		rq->stats.l4_not_ok++;
}
