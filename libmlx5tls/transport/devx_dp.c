/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The `devx` transport's datapath half: the raw Ethernet send queue, its doorbell and memory
 * registration on a real ConnectX through rdma-core. Facts cited as "devx-userspace Bx" are from
 * shared/prm/devx-userspace.md.
 *
 * WHY A VERBS QP AND NOT A DEVX SQ. The queue is an ibv_create_qp(IBV_QPT_RAW_PACKET) QP whose
 * rings, doorbell record and doorbell register are taken with mlx5dv_init_obj, which is what
 * NVIDIA's own user-space TLS stack does (libxlio, devx-userspace B5):
 *  - the provider allocates the ring memory and its doorbell record and maps a UAR for the
 *    doorbell; the kernel creates the SQ, and the SQ's default TIS on its own transport domain;
 *  - TLS needs no say in the SQ context: the TLS TIS goes per WQE in the ctrl segment
 *    (tis_tir_num), as Linux, FreeBSD and libxlio do (B5), so the SQ's kernel TIS is never used
 *    for TLS and only the TLS TISes and DEKs are DevX objects;
 *  - a DevX SQ would need a umem for ring + dbrec, a UAR (BF with NC fallback), the EQ number,
 *    CREATE_CQ/CREATE_SQ mailboxes and MODIFY_SQ (B2 steps 5-9), for no gain here.
 * The WQEs and CQEs the library writes and reads are the same either way (B3, B4).
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "barrier.h"
#include "log.h"
#include "prm/mlx5_ifc_tls.h"
#include "transport/devx_xport.h"

struct mlx5tls_xqp {
	struct mlx5tls_xport *xp;
	struct ibv_cq *cq;
	struct ibv_qp *qp;
	void *bf_reg; /* the doorbell register (UAR, write-combining or not) */
};

struct mlx5tls_xmr {
	struct ibv_mr *mr;
};

/*
 * Send-queue sizing. The mlx5 provider sizes a raw packet QP's SQ as
 *   roundup_pow2(max_send_wr * wqe_size) bytes,
 * wqe_size being the largest WR the caps allow, in whole WQEBBs: ctrl (16) + eth segment (32) +
 * max(max_send_sge data segments of 16, a 4-byte inline header + max_inline_data rounded to 16)
 * (rdma-core v44 providers/mlx5/verbs.c, sq_overhead/mlx5_calc_send_wqe/mlx5_calc_sq_size).
 * The library writes its own WQEs, so the caps only size the ring: one data segment and an
 * inline room for Ethernet + VLAN + IPv6 + TCP with options (14 + 4 + 40 + 60 = 118) describe
 * its largest SEND. Dividing the WQEBBs wanted by that WR's size then yields exactly 2^n
 * WQEBBs. A provider that computes otherwise yields another size: a larger ring is used as it
 * is, a smaller one is refused.
 */
#define DEVX_SQ_INLINE 128u
#define DEVX_WQEBB 64u
/* ctrl + struct mlx5_wqe_eth_seg + the inline room (4-byte header + data, to 16), which is
 * more than one data segment (16) */
#define DEVX_SQ_WR_BYTES (16u + 32u + ((4u + DEVX_SQ_INLINE + 15u) & ~15u))
#define DEVX_SQ_WQEBBS_PER_WR ((DEVX_SQ_WR_BYTES + DEVX_WQEBB - 1) / DEVX_WQEBB)
_Static_assert(DEVX_SQ_WR_BYTES > 16u + 32u + 16u, "inline room beats the data segment");

static bool is_pow2(uint32_t v)
{
	return v && !(v & (v - 1));
}

/*
 * RESET -> INIT -> RTR -> RTS. A raw packet QP needs only the state, and the port for
 * RESET -> INIT (IB spec QP state table; kernel ib_modify_qp_is_ok for IB_QPT_RAW_PACKET). The
 * kernel takes the SQ RST -> RDY at RTR -> RTS, the MODIFY_SQ of B2 step 9.
 */
static int qp_to_rts(struct ibv_qp *qp)
{
	static const enum ibv_qp_state steps[] = { IBV_QPS_INIT, IBV_QPS_RTR, IBV_QPS_RTS };
	struct ibv_qp_attr a;

	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		int mask = IBV_QP_STATE, ret;

		memset(&a, 0, sizeof(a));
		a.qp_state = steps[i];
		if (steps[i] == IBV_QPS_INIT) {
			a.port_num = 1;
			mask |= IBV_QP_PORT;
		}
		ret = ibv_modify_qp(qp, &a, mask);
		if (ret) {
			ret = devx_neg_errno(ret);
			pr_warn("devx: QP 0x%x: modify to state %d failed (%s)\n", qp->qp_num,
				(int)steps[i], strerror(-ret));
			return ret;
		}
	}
	return 0;
}

static int qp_to_reset(struct ibv_qp *qp)
{
	struct ibv_qp_attr a;
	int ret;

	memset(&a, 0, sizeof(a));
	a.qp_state = IBV_QPS_RESET;
	ret = ibv_modify_qp(qp, &a, IBV_QP_STATE);
	if (ret) {
		ret = devx_neg_errno(ret);
		pr_warn("devx: QP 0x%x: modify to RESET failed (%s)\n", qp->qp_num, strerror(-ret));
	}
	return ret;
}

/* The rings of the QP and CQ (devx-userspace A7, B5), checked against what the library's WQE
 * and CQE code assumes. */
static int qp_rings(struct mlx5tls_xqp *x, const struct xport_qp_attr *attr,
		    struct xport_qp_info *info)
{
	struct mlx5dv_qp dvqp;
	struct mlx5dv_cq dvcq;
	struct mlx5dv_obj obj;
	int ret;

	memset(&dvqp, 0, sizeof(dvqp));
	memset(&dvcq, 0, sizeof(dvcq));
	memset(&obj, 0, sizeof(obj));
	obj.qp.in = x->qp;
	obj.qp.out = &dvqp;
	obj.cq.in = x->cq;
	obj.cq.out = &dvcq;
	ret = mlx5dv_init_obj(&obj, MLX5DV_OBJ_QP | MLX5DV_OBJ_CQ);
	if (ret) {
		ret = devx_neg_errno(ret);
		pr_warn("devx: %s: mlx5dv_init_obj(QP|CQ) failed (%s)\n", x->xp->name,
			strerror(-ret));
		return ret;
	}
	/* 128-byte CQEs (MLX5_CQE_SIZE=128 in the environment) or another WQEBB size would need
	 * other ring arithmetic than the library's (B3, B4). */
	if (dvcq.cqe_size != 64 || dvqp.sq.stride != DEVX_WQEBB) {
		pr_warn("devx: %s: CQE size %u / SQ stride %u; only 64/64 is supported "
			"(is MLX5_CQE_SIZE set?)\n",
			x->xp->name, dvcq.cqe_size, dvqp.sq.stride);
		return -EOPNOTSUPP;
	}
	if (!dvqp.sq.buf || !dvqp.dbrec || !dvqp.bf.reg || !dvcq.buf || !dvcq.dbrec) {
		pr_warn("devx: %s: mlx5dv_init_obj returned no ring, dbrec or doorbell register\n",
			x->xp->name);
		return -EOPNOTSUPP;
	}
	if (!is_pow2(dvqp.sq.wqe_cnt) || dvqp.sq.wqe_cnt < (1u << attr->log_sq_wqebbs) ||
	    !is_pow2(dvcq.cqe_cnt) || dvcq.cqe_cnt < (1u << attr->log_cq_cqes)) {
		pr_warn("devx: %s: the provider made an SQ of %u WQEBBs and a CQ of %u CQEs, "
			"%u and %u were asked for\n",
			x->xp->name, dvqp.sq.wqe_cnt, dvcq.cqe_cnt, 1u << attr->log_sq_wqebbs,
			1u << attr->log_cq_cqes);
		return -ENOMEM;
	}
	/* Every WQE may come back as a (flush) CQE: the CQ must hold a ring's worth. */
	if (dvcq.cqe_cnt < dvqp.sq.wqe_cnt) {
		pr_warn("devx: %s: SQ of %u WQEBBs is larger than its CQ of %u CQEs; ask for "
			"log_cq_cqes >= %u\n",
			x->xp->name, dvqp.sq.wqe_cnt, dvcq.cqe_cnt,
			(unsigned int)__builtin_ctz(dvqp.sq.wqe_cnt));
		return -ENOMEM;
	}
	x->bf_reg = dvqp.bf.reg;
	memset(info, 0, sizeof(*info));
	/* For a raw packet QP with a send queue, the kernel reports the SQ number as the QP
	 * number (mlx5_ib create_raw_packet_qp); it is what ctrl segments carry. */
	info->sqn = x->qp->qp_num;
	info->cqn = dvcq.cqn;
	info->sq_buf = dvqp.sq.buf;
	info->sq_wqebbs = dvqp.sq.wqe_cnt;
	info->sq_dbrec = (volatile uint32_t *)dvqp.dbrec; /* [1] = MLX5_SND_DBR */
	info->cq_buf = dvcq.buf;
	info->cq_cqes = dvcq.cqe_cnt;
	info->cq_dbrec = (volatile uint32_t *)dvcq.dbrec; /* [0] = MLX5_CQ_SET_CI */
	return 0;
}

int devx_qp_create(struct mlx5tls_xport *xp, const struct xport_qp_attr *attr,
		   struct xport_qp_info *info, struct mlx5tls_xqp **q)
{
	struct ibv_qp_init_attr ia;
	struct mlx5tls_xqp *x;
	int ret;

	if (!xp || !attr || !info || !q || !attr->pd_obj || !attr->pd_obj->pd ||
	    attr->log_sq_wqebbs < 2 || attr->log_sq_wqebbs > 30 || attr->log_cq_cqes < 1 ||
	    attr->log_cq_cqes > 24)
		return -EINVAL;
	/* attr->model_sync is a model knob and attr->mtu is checked by the library: the real
	 * port MTU is the netdev's, and the device consumes WQEs on its own (B3). */
	x = calloc(1, sizeof(*x));
	if (!x)
		return -ENOMEM;
	x->xp = xp;

	/* The mlx5 provider makes roundup_pow2(cqe + 1) entries (providers/mlx5/verbs.c
	 * create_cq, align_queue_size(cqe + 1)): 2^n - 1 gives exactly 2^n. No completion
	 * channel: the library polls (B4). */
	errno = 0;
	x->cq = ibv_create_cq(xp->ctx, (int)((1u << attr->log_cq_cqes) - 1), NULL, NULL, 0);
	if (!x->cq) {
		ret = devx_neg_errno(errno ? errno : ENOMEM);
		pr_warn("devx: %s: ibv_create_cq(%u) failed (%s)\n", xp->name,
			1u << attr->log_cq_cqes, strerror(-ret));
		goto err_free;
	}

	memset(&ia, 0, sizeof(ia));
	ia.send_cq = x->cq;
	ia.recv_cq = x->cq; /* uverbs looks a recv CQ up even without an RQ; no RQ here */
	ia.qp_type = IBV_QPT_RAW_PACKET;
	ia.cap.max_send_wr = (1u << attr->log_sq_wqebbs) / DEVX_SQ_WQEBBS_PER_WR;
	ia.cap.max_send_sge = 1;
	ia.cap.max_recv_wr = 0;
	ia.cap.max_recv_sge = 0;
	ia.cap.max_inline_data = DEVX_SQ_INLINE;
	ia.sq_sig_all = 0; /* the library sets CQ_UPDATE itself (B3) */
	errno = 0;
	x->qp = ibv_create_qp(attr->pd_obj->pd, &ia);
	if (!x->qp) {
		ret = devx_neg_errno(errno ? errno : ENOMEM);
		/* EPERM: raw packet QPs need CAP_NET_RAW (devx-userspace A1) */
		pr_warn("devx: %s: ibv_create_qp(RAW_PACKET, %u WRs) failed (%s)%s\n", xp->name,
			ia.cap.max_send_wr, strerror(-ret),
			ret == -EPERM ? "; raw packet QPs need CAP_NET_RAW" : "");
		goto err_cq;
	}
	ret = qp_rings(x, attr, info);
	if (ret)
		goto err_qp;
	ret = qp_to_rts(x->qp);
	if (ret)
		goto err_qp;
	*q = x;
	return 0;

err_qp:
	ibv_destroy_qp(x->qp);
err_cq:
	ibv_destroy_cq(x->cq);
err_free:
	free(x);
	return ret;
}

void devx_qp_destroy(struct mlx5tls_xqp *q)
{
	int ret;

	if (!q)
		return;
	/* SQ before CQ (B2 step 11); the kernel destroys the SQ's TIS with the QP. */
	ret = ibv_destroy_qp(q->qp);
	if (ret)
		pr_warn("devx: %s: ibv_destroy_qp failed (%s)\n", q->xp->name,
			strerror(-devx_neg_errno(ret)));
	ret = ibv_destroy_cq(q->cq);
	if (ret)
		pr_warn("devx: %s: ibv_destroy_cq failed (%s)\n", q->xp->name,
			strerror(-devx_neg_errno(ret)));
	free(q);
}

#if UINTPTR_MAX < UINT64_MAX
/* 32-bit: the 8 bytes go as two 32-bit stores that must not interleave with another queue's on
 * the same UAR (B3 step 4); rdma-core serialises them with a lock too. */
static pthread_mutex_t db32_lock = PTHREAD_MUTEX_INITIALIZER;
#endif

void devx_qp_doorbell(struct mlx5tls_xqp *q, const void *ctrl8)
{
#if UINTPTR_MAX >= UINT64_MAX
	uint64_t v = 0;

	/*
	 * B3 step 4: the first 8 bytes of the last WQE's ctrl segment, in memory order, as one
	 * 64-bit store to the doorbell register. Always the same address: these are doorbells,
	 * not BlueFlame copies, so there is no BF half to alternate (as the kernel's mlx5e and
	 * DPDK ring theirs). The caller did steps 1-3 (qp_ring.c).
	 *
	 * A C11 atomic store, as rdma-core's mmio_write64_be is (util/mmio.h), so the compiler
	 * can neither tear, merge nor elide it (volatile too), and a concurrent observer is no
	 * data race: a plain volatile store was one for ThreadSanitizer against the test shim's
	 * doorbell watcher. Release where rdma-core says relaxed: the observer reads the WQE
	 * the doorbell names at once (the model does, sim_sq_ring_doorbell), and release is
	 * what steps 1 and 3 promise the device, said in the C memory model. The machine code
	 * is unchanged on x86-64 (a mov; step 3's sfence still orders it for write-combining
	 * memory); AArch64 gets stlr after step 3's dsb st.
	 */
	memcpy(&v, ctrl8, sizeof(v));
	__atomic_store_n((volatile uint64_t *)q->bf_reg, v, __ATOMIC_RELEASE);
#else
	uint32_t w[2] = { 0, 0 };

	memcpy(w, ctrl8, sizeof(w));
	pthread_mutex_lock(&db32_lock);
	__atomic_store_n(&((volatile uint32_t *)q->bf_reg)[0], w[0], __ATOMIC_RELEASE);
	__atomic_store_n(&((volatile uint32_t *)q->bf_reg)[1], w[1], __ATOMIC_RELEASE);
	pthread_mutex_unlock(&db32_lock);
#endif
	/* B3 step 5: push the write-combined store out of the CPU now, not when the WC buffer
	 * happens to drain. */
	mmio_flush_writes();
}

int devx_qp_recover(struct mlx5tls_xqp *q)
{
	int ret;

	if (!q)
		return -EINVAL;
	/*
	 * B4: the SQ went to ERR on an error CQE; ERR -> RST -> RDY is QP RESET, then INIT, RTR,
	 * RTS. At RESET the provider zeroes the SQ doorbell record; it leaves the CQ alone, as
	 * mlx5dv_init_obj made it DV-owned (no __mlx5_cq_clean). The library restarts its
	 * producer counter at WQE 0 and keeps its CQ consumer index.
	 */
	ret = qp_to_reset(q->qp);
	return ret ? ret : qp_to_rts(q->qp);
}

/* ---- memory regions ---- */

int devx_mr_reg(struct mlx5tls_xport *xp, struct mlx5tls_xobj *pd_obj, void *addr, size_t len,
		uint32_t access, uint32_t *lkey, struct mlx5tls_xmr **mr)
{
	struct mlx5tls_xmr *m;

	if (!xp || !pd_obj || !pd_obj->pd || !addr || !len || !lkey || !mr)
		return -EINVAL;
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	/*
	 * B2 step 10: an lkey on the queue's PD for the data segments. The device only reads
	 * these buffers (SEND, LSO and DUMP gather), and local read is always granted, so no
	 * access flag: IBV_ACCESS_LOCAL_WRITE would make the kernel pin the pages for writing,
	 * which fails on read-only mappings (a file mapped PROT_READ for zero-copy sends).
	 * Receive buffers (XPORT_MR_LOCAL_WRITE) are written by the device and need the flag.
	 */
	errno = 0;
	m->mr = ibv_reg_mr(pd_obj->pd, addr, len,
			   (access & XPORT_MR_LOCAL_WRITE) ? IBV_ACCESS_LOCAL_WRITE : 0);
	if (!m->mr) {
		int ret = devx_neg_errno(errno ? errno : ENOMEM);

		pr_warn("devx: %s: ibv_reg_mr(%zu bytes) failed (%s)\n", xp->name, len,
			strerror(-ret));
		free(m);
		return ret;
	}
	*lkey = m->mr->lkey;
	*mr = m;
	return 0;
}

int devx_mr_dereg(struct mlx5tls_xmr *mr)
{
	int ret;

	if (!mr)
		return 0;
	ret = ibv_dereg_mr(mr->mr);
	if (ret)
		return devx_neg_errno(ret); /* the region stays registered */
	free(mr);
	return 0;
}

/* ---- receive queues (rdma-core raw WQ) ---- */

struct mlx5tls_xrq {
	struct mlx5tls_xport *xp;
	struct ibv_cq *cq;
	struct ibv_wq *wq;
};

static int wq_set_state(struct ibv_wq *wq, enum ibv_wq_state state)
{
	struct ibv_wq_attr a;
	int ret;

	memset(&a, 0, sizeof(a));
	a.attr_mask = IBV_WQ_ATTR_STATE;
	a.wq_state = state;
	ret = ibv_modify_wq(wq, &a);
	if (ret) {
		ret = devx_neg_errno(ret);
		pr_warn("devx: WQ 0x%x: modify to state %d failed (%s)\n", wq->wq_num, (int)state,
			strerror(-ret));
	}
	return ret;
}

/* The rings of the WQ and its CQ, checked against the library's RQ code (sim/rq.h contract:
 * one 16-byte data segment per WQE, dbrec[0] = MLX5_RCV_DBR; devx-userspace B4 for the CQ). */
static int rq_rings(struct mlx5tls_xrq *x, const struct xport_rq_attr *attr,
		    struct xport_rq_info *info)
{
	struct mlx5dv_rwq dvrwq;
	struct mlx5dv_cq dvcq;
	struct mlx5dv_obj obj;
	int ret;

	memset(&dvrwq, 0, sizeof(dvrwq));
	memset(&dvcq, 0, sizeof(dvcq));
	memset(&obj, 0, sizeof(obj));
	obj.rwq.in = x->wq;
	obj.rwq.out = &dvrwq;
	obj.cq.in = x->cq;
	obj.cq.out = &dvcq;
	ret = mlx5dv_init_obj(&obj, MLX5DV_OBJ_RWQ | MLX5DV_OBJ_CQ);
	if (ret) {
		ret = devx_neg_errno(ret);
		pr_warn("devx: %s: mlx5dv_init_obj(RWQ|CQ) failed (%s)\n", x->xp->name,
			strerror(-ret));
		return ret;
	}
	if (dvcq.cqe_size != 64 || dvrwq.stride != 16 || !dvrwq.buf || !dvrwq.dbrec ||
	    !dvcq.buf || !dvcq.dbrec) {
		pr_warn("devx: %s: RQ stride %u / CQE size %u; only 16/64 is supported\n",
			x->xp->name, dvrwq.stride, dvcq.cqe_size);
		return -EOPNOTSUPP;
	}
	if (dvrwq.wqe_cnt != 1u << attr->log_wqes || !is_pow2(dvcq.cqe_cnt) ||
	    dvcq.cqe_cnt < dvrwq.wqe_cnt) {
		pr_warn("devx: %s: the provider made an RQ of %u WQEs and a CQ of %u CQEs, "
			"%u and %u were asked for\n",
			x->xp->name, dvrwq.wqe_cnt, dvcq.cqe_cnt, 1u << attr->log_wqes,
			1u << attr->log_cq_cqes);
		return -ENOMEM;
	}
	memset(info, 0, sizeof(*info));
	info->rqn = x->wq->wq_num; /* the RQ number a TIR names in inline_rqn */
	info->cqn = dvcq.cqn;
	info->rq_buf = dvrwq.buf;
	info->rq_wqes = dvrwq.wqe_cnt;
	info->rq_stride = dvrwq.stride;
	info->rq_dbrec = (volatile uint32_t *)dvrwq.dbrec; /* [0] = MLX5_RCV_DBR */
	info->cq_buf = dvcq.buf;
	info->cq_cqes = dvcq.cqe_cnt;
	info->cq_dbrec = (volatile uint32_t *)dvcq.dbrec; /* [0] = MLX5_CQ_SET_CI */
	return 0;
}

int devx_rq_create(struct mlx5tls_xport *xp, const struct xport_rq_attr *attr,
		   struct xport_rq_info *info, struct mlx5tls_xrq **q)
{
	struct ibv_wq_init_attr wa;
	struct mlx5tls_xrq *x;
	int ret;

	if (!xp || !attr || !info || !q || !attr->pd_obj || !attr->pd_obj->pd ||
	    attr->log_wqes < 1 || attr->log_wqes > 15 || attr->log_cq_cqes > 24)
		return -EINVAL;
	x = calloc(1, sizeof(*x));
	if (!x)
		return -ENOMEM;
	x->xp = xp;
	/* 2^n - 1 gives exactly 2^n CQEs (see devx_qp_create) */
	errno = 0;
	x->cq = ibv_create_cq(xp->ctx, (int)((1u << attr->log_cq_cqes) - 1), NULL, NULL, 0);
	if (!x->cq) {
		ret = devx_neg_errno(errno ? errno : ENOMEM);
		pr_warn("devx: %s: ibv_create_cq(%u) failed (%s)\n", xp->name,
			1u << attr->log_cq_cqes, strerror(-ret));
		goto err_free;
	}
	/* A cyclic RQ with one scatter entry per WQE: the provider makes 16-byte WQEs and a
	 * ring of roundup_pow2(max_wr) (rdma-core mlx5_calc_rwq_size). */
	memset(&wa, 0, sizeof(wa));
	wa.wq_type = IBV_WQT_RQ;
	wa.max_wr = 1u << attr->log_wqes;
	wa.max_sge = 1;
	wa.pd = attr->pd_obj->pd;
	wa.cq = x->cq;
	errno = 0;
	x->wq = ibv_create_wq(xp->ctx, &wa);
	if (!x->wq) {
		ret = devx_neg_errno(errno ? errno : ENOMEM);
		pr_warn("devx: %s: ibv_create_wq(RQ, %u WRs) failed (%s)\n", xp->name, wa.max_wr,
			strerror(-ret));
		goto err_cq;
	}
	ret = rq_rings(x, attr, info);
	if (ret)
		goto err_wq;
	ret = wq_set_state(x->wq, IBV_WQS_RDY);
	if (ret)
		goto err_wq;
	*q = x;
	return 0;

err_wq:
	ibv_destroy_wq(x->wq);
err_cq:
	ibv_destroy_cq(x->cq);
err_free:
	free(x);
	return ret;
}

void devx_rq_destroy(struct mlx5tls_xrq *q)
{
	int ret;

	if (!q)
		return;
	ret = ibv_destroy_wq(q->wq);
	if (ret)
		pr_warn("devx: %s: ibv_destroy_wq failed (%s)\n", q->xp->name,
			strerror(-devx_neg_errno(ret)));
	ret = ibv_destroy_cq(q->cq);
	if (ret)
		pr_warn("devx: %s: ibv_destroy_cq failed (%s)\n", q->xp->name,
			strerror(-devx_neg_errno(ret)));
	free(q);
}

int devx_rq_recover(struct mlx5tls_xrq *q)
{
	/* ERR -> RST -> RDY (DPDK mlx5_rx_err_handle). The provider zeroes the receive doorbell
	 * record at RESET; the library re-posts from WQE 0. */
	int ret = wq_set_state(q->wq, IBV_WQS_RESET);

	return ret ? ret : wq_set_state(q->wq, IBV_WQS_RDY);
}

/* ---- steering (rdma-core flow API, destination a DevX TIR) ---- */

struct mlx5tls_xflow {
	struct mlx5tls_xport *xp;
	struct mlx5dv_flow_matcher *matcher;
	struct ibv_flow *flow;
};
_Static_assert(sizeof(struct mlx5tls_xflow) <= XPORT_FLOW_REC_BYTES, "fits in the library's flow");

#define MATCH_SZ DEVX_ST_SZ_BYTES(fte_match_set_lyr_2_4) /* outer headers of fte_match_param */

/* The kernel's TLS RX rule (en_accel/fs_tcp.c accel_fs_tcp_set_ipv4/6_flow): ip_version,
 * ip_protocol TCP, both addresses, both ports, all exact. mask = all ones on those fields. */
static void flow_fill(void *hdr, const struct xport_flow_match *m, bool mask)
{
	uint8_t *src = DEVX_ADDR_OF(fte_match_set_lyr_2_4, hdr, src_ipv4_src_ipv6);
	uint8_t *dst = DEVX_ADDR_OF(fte_match_set_lyr_2_4, hdr, dst_ipv4_dst_ipv6);
	size_t alen = m->ip_version == 4 ? 4 : 16, aoff = 16 - alen;

	DEVX_SET(fte_match_set_lyr_2_4, hdr, ip_version, mask ? 0xf : m->ip_version);
	DEVX_SET(fte_match_set_lyr_2_4, hdr, ip_protocol, mask ? 0xff : m->ip_proto);
	DEVX_SET(fte_match_set_lyr_2_4, hdr, tcp_sport, mask ? 0xffff : m->src_port);
	DEVX_SET(fte_match_set_lyr_2_4, hdr, tcp_dport, mask ? 0xffff : m->dst_port);
	if (mask) {
		memset(src + aoff, 0xff, alen);
		memset(dst + aoff, 0xff, alen);
	} else {
		memcpy(src + aoff, m->src_ip, alen);
		memcpy(dst + aoff, m->dst_ip, alen);
	}
}

static struct mlx5dv_flow_match_parameters *match_params(const struct xport_flow_match *m,
							  bool mask)
{
	struct mlx5dv_flow_match_parameters *p = calloc(1, sizeof(*p) + MATCH_SZ);

	if (!p)
		return NULL;
	p->match_sz = MATCH_SZ;
	flow_fill(p->match_buf, m, mask);
	return p;
}

int devx_flow_create(struct mlx5tls_xport *xp, const struct xport_flow_match *m,
		     struct mlx5tls_xobj *tir_obj, uint32_t tirn, uint32_t tag,
		     struct mlx5tls_xflow *x)
{
	struct mlx5dv_flow_match_parameters *mask = NULL, *value = NULL;
	struct mlx5dv_flow_action_attr action[2];
	struct mlx5dv_flow_matcher_attr ma;
	int ret;

	if (!xp || !m || !tir_obj || !tir_obj->devx || !x)
		return -EINVAL;
	*x = (struct mlx5tls_xflow){ .xp = xp };
	mask = match_params(m, true);
	value = match_params(m, false);
	if (!mask || !value) {
		ret = -ENOMEM;
		goto out;
	}
	memset(&ma, 0, sizeof(ma));
	ma.type = IBV_FLOW_ATTR_NORMAL;
	if (m->ip_version) {
		ma.match_criteria_enable = MLX5_MATCH_OUTER_HEADERS;
	} else {
		/* the catch-all: empty mask, below the exact rules (a higher number is a lower
		 * priority), so it only takes what no connection's rule matches */
		memset(mask->match_buf, 0, MATCH_SZ);
		memset(value->match_buf, 0, MATCH_SZ);
		ma.priority = 1;
	}
	ma.match_mask = mask;
	errno = 0;
	x->matcher = mlx5dv_create_flow_matcher(xp->ctx, &ma);
	if (!x->matcher) {
		ret = devx_neg_errno(errno ? errno : ENOMEM);
		pr_warn("devx: %s: mlx5dv_create_flow_matcher failed (%s)\n", xp->name,
			strerror(-ret));
		goto out;
	}
	memset(action, 0, sizeof(action));
	action[0].type = MLX5DV_FLOW_ACTION_DEST_DEVX;
	action[0].obj = tir_obj->devx;
	/* the flow tag comes back in every CQE of the rule (rdma-core mlx5 cq.c: sop_drop_qpn &
	 * MLX5_FLOW_TAG_MASK): the TLS RX context tells its TIR generation's packets by it */
	action[1].type = MLX5DV_FLOW_ACTION_TAG;
	action[1].tag_value = tag;
	errno = 0;
	x->flow = mlx5dv_create_flow(x->matcher, value, tag ? 2 : 1, action);
	if (!x->flow) {
		ret = devx_neg_errno(errno ? errno : ENOMEM);
		pr_warn("devx: %s: mlx5dv_create_flow to TIR 0x%x failed (%s)\n", xp->name, tirn,
			strerror(-ret));
		mlx5dv_destroy_flow_matcher(x->matcher);
		goto out;
	}
	ret = 0;
out:
	free(mask);
	free(value);
	return ret;
}

int devx_flow_destroy(struct mlx5tls_xflow *f)
{
	int ret;

	if (!f)
		return 0;
	ret = ibv_destroy_flow(f->flow);
	if (ret)
		return devx_neg_errno(ret);
	ret = mlx5dv_destroy_flow_matcher(f->matcher);
	if (ret)
		pr_warn("devx: %s: mlx5dv_destroy_flow_matcher failed (%s)\n", f->xp->name,
			strerror(-devx_neg_errno(ret)));
	return 0;
}
