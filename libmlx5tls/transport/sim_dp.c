/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The `sim` transport's datapath half: queues, memory regions and the wire of a model device.
 * The rings are the model's own memory (sim/sq.h memory contract); the library writes WQEs and
 * polls CQEs there exactly as it does in the rings mlx5dv_init_obj() returns on hardware. The
 * only model-specific step is the doorbell, which stands for the MMIO store.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sim/port.h"
#include "sim/rq.h"
#include "sim/sim.h"
#include "sim/sq.h"
#include "transport/sim_xport.h"

#define WIRE_MTU_DEFAULT 1500u

struct mlx5tls_xqp {
	struct mlx5tls_xport *xp;
	struct sim_sq *sq;
	struct sim_cq *cq;
	bool sync;
};

struct mlx5tls_xrq {
	struct mlx5tls_xport *xp;
	struct sim_rq *rq;
	struct sim_cq *cq;
};

struct mlx5tls_xflow {
	struct mlx5tls_xport *xp;
	uint32_t rule_id;
	bool is_default; /* the catch-all: the model's default destination */
};
_Static_assert(sizeof(struct mlx5tls_xflow) <= XPORT_FLOW_REC_BYTES, "fits in the library's flow");

struct mlx5tls_xmr {
	struct mlx5tls_xport *xp;
	uint32_t lkey;
};

/* ---- the wire ---- */

static int discard_xmit(void *priv, const uint8_t *frame, size_t len)
{
	(void)priv;
	(void)frame;
	(void)len;
	return 0;
}

/* nothing to order or protect: queues on different threads send to it at once */
static const struct sim_port_ops discard_ops = { .xmit = discard_xmit, .concurrent = true };

struct wire_rx {
	mlx5tls_wire_rx_fn fn;
	void *ctx;
};

static int wire_rx_deliver(void *ctx, const uint8_t *frame, size_t len)
{
	const struct wire_rx *rx = ctx;

	rx->fn(rx->ctx, frame, len);
	return 0;
}

static void wire_rx_free(void *priv)
{
	free(priv);
}

static const struct sim_port_ops wire_rx_ops = { .xmit = wire_rx_deliver, .destroy = wire_rx_free };

/* ---- faults and the receive direction of the port ---- */

/* A held (reordered) frame leaves after the next one, or after this long without one. */
#define WIRE_HOLD_NS 2000000u

static int fault_to_port(void *ctx, const uint8_t *frame, size_t len)
{
	return sim_port_xmit(ctx, frame, len);
}

static int fault_port_xmit(void *priv, const uint8_t *frame, size_t len)
{
	return sim_fault_pass(priv, frame, len);
}

/* The TX fault stage as a port; the stage itself is the xport's (destroyed in release). */
static const struct sim_port_ops fault_port_ops = { .xmit = fault_port_xmit };

static int rx_to_dev(void *ctx, const uint8_t *frame, size_t len)
{
	const struct mlx5tls_xport *xp = ctx;

	/* the capture shows both directions: what the device received, after the faults */
	if (xp->pcap)
		(void)sim_port_xmit(xp->pcap, frame, len);
	return sim_dev_rx(xp->dev, frame, len);
}

/* Every frame arriving at the port: the interface's (the AF_PACKET thread) or wire_rx's. */
static int port_rx(void *ctx, const uint8_t *frame, size_t len)
{
	struct mlx5tls_xport *xp = ctx;

	atomic_fetch_add(&xp->rx_frames, 1);
	atomic_fetch_add(&xp->rx_bytes, len);
	if (xp->rx_fault)
		return sim_fault_pass(xp->rx_fault, frame, len);
	return rx_to_dev(xp, frame, len);
}

int sim_wire_init(struct mlx5tls_xport *xp)
{
	if (sim_fault_cfg_active(&xp->fault_cfg) && (xp->fault_dirs & SIM_WIRE_FAULT_RX)) {
		xp->rx_fault = sim_fault_create(&xp->fault_cfg, 2, rx_to_dev, xp);
		if (!xp->rx_fault)
			return errno ? -errno : -ENOMEM;
	}
	return 0;
}

void sim_wire_fini(struct mlx5tls_xport *xp)
{
	sim_wire_release(xp);
	sim_fault_destroy(xp->rx_fault);
	xp->rx_fault = NULL;
}

static void port_tick(void *ctx)
{
	struct mlx5tls_xport *xp = ctx;

	sim_fault_flush(xp->tx_fault, WIRE_HOLD_NS);
	sim_fault_flush(xp->rx_fault, WIRE_HOLD_NS);
}

void sim_wire_release(struct mlx5tls_xport *xp)
{
	/* no receive thread calls into the stages or the device any more */
	sim_port_afpacket_stop_rx(xp->afpacket);
	xp->afpacket = NULL;
	xp->pcap = NULL;
	/* held frames leave: TX into the sinks (still there), RX into the device */
	sim_fault_destroy(xp->tx_fault);
	xp->tx_fault = NULL;
	sim_fault_flush(xp->rx_fault, 0);
	/* tees first (they point at the sinks), i.e. in reverse order of creation */
	while (xp->n_wire_ports)
		sim_port_destroy(xp->wire_ports[--xp->n_wire_ports]);
	xp->wire_top = NULL;
}

static int wire_add(struct mlx5tls_xport *xp, struct sim_port *p)
{
	int err = errno ? -errno : -ENOMEM;

	if (!p)
		return err;
	xp->wire_ports[xp->n_wire_ports++] = p;
	/* join with what is there: frames go to the older sinks first */
	if (xp->wire_top) {
		struct sim_port *tee = sim_port_tee_create(xp->wire_top, p);

		if (!tee)
			return errno ? -errno : -ENOMEM;
		xp->wire_ports[xp->n_wire_ports++] = tee;
		p = tee;
	}
	xp->wire_top = p;
	return 0;
}

static int wire_build(struct mlx5tls_xport *xp, const struct mlx5tls_model_wire_opts *o)
{
	uint32_t mtu = WIRE_MTU_DEFAULT;
	int ret = 0;


	if (o && o->rx) {
		struct wire_rx *rx = calloc(1, sizeof(*rx));
		struct sim_port *p;

		if (!rx)
			return -ENOMEM;
		rx->fn = o->rx;
		rx->ctx = o->rx_ctx;
		p = sim_port_create(&wire_rx_ops, rx);
		if (!p)
			free(rx);
		ret = wire_add(xp, p);
	}
	if (!ret && o && o->pcap_path) {
		struct sim_port *pc = sim_port_pcap_create(o->pcap_path,
							   (o->flags & MLX5TLS_WIRE_F_PCAP_ZERO_TIME)
								   ? SIM_PCAP_ZERO_TIME
								   : 0);

		ret = wire_add(xp, pc);
		if (!ret)
			xp->pcap = pc; /* also gets the frames the device receives */
	}
	if (!ret && o && o->ifname) {
		const struct sim_afpacket_rx arx = { .fn = port_rx, .tick = port_tick, .ctx = xp };
		struct sim_port *af = sim_port_afpacket_create_rx(o->ifname, 0, &arx);

		if (af)
			mtu = sim_port_mtu(af); /* the interface's, unless the caller says */
		ret = wire_add(xp, af);
		if (!ret)
			xp->afpacket = af;
	}
	if (!ret && !xp->wire_top)
		ret = wire_add(xp, sim_port_create(&discard_ops, NULL));
	if (!ret && sim_fault_cfg_active(&xp->fault_cfg) && (xp->fault_dirs & SIM_WIRE_FAULT_TX)) {
		struct sim_port *fp;

		xp->tx_fault = sim_fault_create(&xp->fault_cfg, 1, fault_to_port, xp->wire_top);
		if (!xp->tx_fault)
			return errno ? -errno : -ENOMEM;
		fp = sim_port_create(&fault_port_ops, xp->tx_fault);
		if (!fp)
			return errno ? -errno : -ENOMEM;
		xp->wire_ports[xp->n_wire_ports++] = fp;
		xp->wire_top = fp;
	}
	if (!ret && o && o->mtu)
		mtu = o->mtu;
	if (!ret)
		ret = sim_port_set_mtu(xp->wire_top, mtu);
	return ret;
}

int sim_wire_set(struct mlx5tls_xport *xp, const struct mlx5tls_model_wire_opts *opts)
{
	int ret;

	pthread_mutex_lock(&xp->wire_lock);
	if (xp->live_qps) {
		ret = -EBUSY;
		goto out;
	}
	sim_wire_release(xp);
	ret = wire_build(xp, opts);
	if (ret)
		sim_wire_release(xp);
out:
	pthread_mutex_unlock(&xp->wire_lock);
	return ret;
}

/* A queue pair about to be made holds the wire: built if there is none, then counted live so
 * that sim_wire_set refuses to replace it. */
static int wire_hold(struct mlx5tls_xport *xp, uint32_t mtu, struct sim_port **port)
{
	int ret = 0;

	pthread_mutex_lock(&xp->wire_lock);
	if (!xp->wire_top)
		ret = wire_build(xp, NULL);
	/* the queue cannot send frames the modelled link refuses */
	if (!ret && mtu > sim_port_mtu(xp->wire_top))
		ret = -EINVAL;
	if (!ret) {
		xp->live_qps++;
		*port = xp->wire_top;
	}
	pthread_mutex_unlock(&xp->wire_lock);
	return ret;
}

static void wire_unhold(struct mlx5tls_xport *xp)
{
	pthread_mutex_lock(&xp->wire_lock);
	xp->live_qps--;
	pthread_mutex_unlock(&xp->wire_lock);
}

/* ---- queues ---- */

int sim_qp_create(struct mlx5tls_xport *xp, const struct xport_qp_attr *attr,
		  struct xport_qp_info *info, struct mlx5tls_xqp **q)
{
	struct sim_cq_attr ca = { .log_cqes = attr->log_cq_cqes };
	struct sim_sq_attr sa = { 0 };
	struct sim_cq_info ci;
	struct sim_sq_info si;
	struct mlx5tls_xqp *x;
	struct sim_port *port = NULL;
	int ret;

	ret = wire_hold(xp, attr->mtu, &port);
	if (ret)
		return ret;
	x = calloc(1, sizeof(*x));
	if (!x) {
		wire_unhold(xp);
		return -ENOMEM;
	}
	x->xp = xp;
	x->sync = attr->model_sync;
	x->cq = sim_cq_create(xp->dev, &ca);
	if (!x->cq) {
		ret = errno ? -errno : -ENOMEM;
		goto err_free;
	}
	sa.log_wqebbs = attr->log_sq_wqebbs;
	sa.cq = x->cq;
	sa.tisn = attr->sq_tisn;
	sa.pd = attr->pdn;
	sa.port = port;
	sa.flags = attr->model_sync ? 0 : SIM_SQ_F_ASYNC;
	x->sq = sim_sq_create(xp->dev, &sa);
	if (!x->sq) {
		ret = errno ? -errno : -ENOMEM;
		goto err_cq;
	}
	/* MODIFY_SQ RST -> RDY (devx-userspace B2 step 9) */
	ret = sim_sq_modify(x->sq, SIM_SQ_RDY);
	if (ret)
		goto err_sq;
	sim_sq_query(x->sq, &si);
	sim_cq_query(x->cq, &ci);
	memset(info, 0, sizeof(*info));
	info->sqn = si.sqn;
	info->cqn = ci.cqn;
	info->sq_buf = si.buf;
	info->sq_wqebbs = si.wqe_cnt;
	info->sq_dbrec = si.dbrec;
	info->cq_buf = ci.buf;
	info->cq_cqes = ci.cqe_cnt;
	info->cq_dbrec = ci.dbrec;
	*q = x;
	return 0;

err_sq:
	sim_sq_destroy(x->sq);
err_cq:
	sim_cq_destroy(x->cq);
err_free:
	free(x);
	wire_unhold(xp);
	return ret;
}

void sim_qp_destroy(struct mlx5tls_xqp *q)
{
	if (!q)
		return;
	sim_sq_destroy(q->sq);
	sim_cq_destroy(q->cq);
	wire_unhold(q->xp);
	free(q);
}

void sim_qp_doorbell(struct mlx5tls_xqp *q, const void *ctrl8)
{
	uint64_t v;

	memcpy(&v, ctrl8, sizeof(v));
	sim_sq_ring_doorbell(q->sq, v);
	if (q->sync)
		(void)sim_sq_process(q->sq); /* errors surface as CQEs */
}

int sim_qp_recover(struct mlx5tls_xqp *q)
{
	int ret = sim_sq_modify(q->sq, SIM_SQ_RST);

	return ret ? ret : sim_sq_modify(q->sq, SIM_SQ_RDY);
}

int sim_qp_inject_error(struct mlx5tls_xqp *q, uint32_t after_n_wqes)
{
	sim_sq_inject_error(q->sq, after_n_wqes);
	return 0;
}

/* ---- memory regions ---- */

int sim_mr_reg_op(struct mlx5tls_xport *xp, struct mlx5tls_xobj *pd_obj, void *addr, size_t len,
		  uint32_t access, uint32_t *lkey, struct mlx5tls_xmr **mr)
{
	struct mlx5tls_xmr *m;
	uint32_t pdn = sim_xobj_id(pd_obj);
	int ret;

	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	ret = sim_mr_reg_access(xp->dev, pdn, addr, len,
				(access & XPORT_MR_LOCAL_WRITE) ? SIM_MR_ACCESS_LOCAL_WRITE : 0,
				&m->lkey);
	if (ret) {
		free(m);
		return ret;
	}
	m->xp = xp;
	*lkey = m->lkey;
	*mr = m;
	return 0;
}

int sim_mr_dereg_op(struct mlx5tls_xmr *mr)
{
	int ret;

	if (!mr)
		return 0;
	ret = sim_mr_dereg(mr->xp->dev, mr->lkey);
	if (!ret)
		free(mr);
	return ret;
}

/* ---- the receive side (sim/rq.h) ---- */

int sim_wire_rx(struct mlx5tls_xport *xp, const void *frame, size_t len)
{
	return port_rx(xp, frame, len);
}

int sim_wire_stats(struct mlx5tls_xport *xp, struct mlx5tls_model_wire_stats *st)
{
	struct sim_fault_stats fs;
	struct sim_port_stats ps;
	struct sim_rx_stats rs;

	memset(st, 0, sizeof(*st));
	if (xp->wire_top) {
		sim_port_get_stats(xp->wire_top, &ps);
		st->tx_frames = ps.frames + ps.errors;
		st->tx_bytes = ps.bytes;
		st->tx_errors = ps.errors;
	}
	sim_fault_get_stats(xp->tx_fault, &fs);
	st->tx_dropped = fs.dropped;
	st->tx_reordered = fs.reordered;
	st->tx_duplicated = fs.duplicated;
	st->tx_corrupted = fs.corrupted;
	st->rx_frames = atomic_load(&xp->rx_frames);
	st->rx_bytes = atomic_load(&xp->rx_bytes);
	sim_fault_get_stats(xp->rx_fault, &fs);
	st->rx_dropped = fs.dropped;
	st->rx_reordered = fs.reordered;
	st->rx_duplicated = fs.duplicated;
	st->rx_corrupted = fs.corrupted;
	if (xp->afpacket) {
		struct sim_afpacket_rx_stats as;

		sim_port_afpacket_rx_stats(xp->afpacket, &as);
		st->rx_oversize = as.oversize;
		st->rx_csum_partial = as.csum_partial;
		st->rx_errors = as.errors;
		/* oversize frames never reached port_rx: count them as arrived too */
		st->rx_frames += as.oversize;
	}
	sim_dev_get_rx_stats(xp->dev, &rs);
	st->rx_steered = rs.steered;
	st->rx_to_default = rs.to_default;
	st->rx_no_match = rs.no_match;
	st->rx_l3_not_ok = rs.l3_not_ok;
	st->rx_l4_not_ok = rs.l4_not_ok;
	return 0;
}

int sim_rq_create_op(struct mlx5tls_xport *xp, const struct xport_rq_attr *attr,
		     struct xport_rq_info *info, struct mlx5tls_xrq **q)
{
	struct sim_cq_attr ca = { .log_cqes = attr->log_cq_cqes };
	struct sim_rq_attr ra = { 0 };
	struct sim_cq_info ci;
	struct sim_rq_info ri;
	struct mlx5tls_xrq *x;
	int ret;

	x = calloc(1, sizeof(*x));
	if (!x)
		return -ENOMEM;
	x->xp = xp;
	x->cq = sim_cq_create(xp->dev, &ca);
	if (!x->cq) {
		ret = errno ? -errno : -ENOMEM;
		goto err_free;
	}
	ra.log_wqes = attr->log_wqes;
	ra.cq = x->cq;
	ra.pd = attr->pdn;
	ra.uid = xp->uid; /* as CREATE_RQ through this context: its TIRs may name it */
	x->rq = sim_rq_create(xp->dev, &ra);
	if (!x->rq) {
		ret = errno ? -errno : -ENOMEM;
		goto err_cq;
	}
	/* MODIFY_RQ RST -> RDY, as ibv_modify_wq(IBV_WQS_RDY) */
	ret = sim_rq_modify(x->rq, SIM_RQ_RDY);
	if (ret)
		goto err_rq;
	sim_rq_query(x->rq, &ri);
	sim_cq_query(x->cq, &ci);
	memset(info, 0, sizeof(*info));
	info->rqn = ri.rqn;
	info->cqn = ci.cqn;
	info->rq_buf = ri.buf;
	info->rq_wqes = ri.wqe_cnt;
	info->rq_stride = ri.stride;
	info->rq_dbrec = ri.dbrec;
	info->cq_buf = ci.buf;
	info->cq_cqes = ci.cqe_cnt;
	info->cq_dbrec = ci.dbrec;
	*q = x;
	return 0;

err_rq:
	(void)sim_rq_destroy(x->rq);
err_cq:
	sim_cq_destroy(x->cq);
err_free:
	free(x);
	return ret;
}

void sim_rq_destroy_op(struct mlx5tls_xrq *q)
{
	if (!q)
		return;
	(void)sim_rq_destroy(q->rq); /* the library destroyed its TIRs first */
	sim_cq_destroy(q->cq);
	free(q);
}

int sim_rq_recover_op(struct mlx5tls_xrq *q)
{
	int ret = sim_rq_modify(q->rq, SIM_RQ_RST);

	return ret ? ret : sim_rq_modify(q->rq, SIM_RQ_RDY);
}

int sim_rq_out_of_buffer_op(struct mlx5tls_xrq *q, uint64_t *n)
{
	struct sim_rq_stats st;

	sim_rq_get_stats(q->rq, &st);
	*n = st.out_of_buffer;
	return 0;
}

int sim_flow_create_op(struct mlx5tls_xport *xp, const struct xport_flow_match *m,
		       struct mlx5tls_xobj *tir_obj, uint32_t tirn, uint32_t tag,
		       struct mlx5tls_xflow *f)
{
	struct sim_flow_match sm = { 0 };

	(void)tir_obj;
	(void)tirn;
	if (!m->ip_version) {
		/* the catch-all rule: the model's default destination (one per device) */
		int ret = xp->has_default ? -EEXIST : sim_steer_set_default(xp->dev, m->default_rqn);
		if (ret)
			return ret;
		xp->has_default = true;
		*f = (struct mlx5tls_xflow){ .xp = xp, .is_default = true };
		return 0;
	}
	sm.ip_version = m->ip_version;
	sm.ip_proto = m->ip_proto;
	memcpy(sm.src_ip, m->src_ip, sizeof(sm.src_ip));
	memcpy(sm.dst_ip, m->dst_ip, sizeof(sm.dst_ip));
	sm.src_port = m->src_port;
	sm.dst_port = m->dst_port;
	*f = (struct mlx5tls_xflow){ .xp = xp };
	return sim_steer_add_tagged(xp->dev, &sm, tirn, tag, &f->rule_id);
}

int sim_flow_destroy_op(struct mlx5tls_xflow *f)
{
	if (!f)
		return 0;
	if (f->is_default) {
		int ret = sim_steer_set_default(f->xp->dev, 0);
		if (!ret)
			f->xp->has_default = false;
		return ret;
	}
	return sim_steer_del(f->xp->dev, f->rule_id);
}
