/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The fixture of the device-model receive-side tests (tests/test_sim_rq*.c, sim/rq.h): a device
 * with a uid, PD, TD and TIS, and one receive queue with its CQ and buffers (struct fx); the
 * objects the tests make by command (TIS, TIR; the DEK is sim_test_util.h's new_tls_dek); a
 * send queue for the TIR WQEs (struct txq).
 * Receive WQEs are posted into the ring and announced through dbrec[0] exactly as a driver does;
 * CQEs are read through rdma-core's struct mlx5_cqe64 / mlx5_err_cqe with the owner-bit rule;
 * frames and their checksums are built by this file's own code (RFC 1071); TIR static/progress
 * params are built by the library's WQE builders (wqe.h) and posted through the SQ.
 *
 * Header-only, as sim_test_util.h: only programs that link the model include it.
 */
#ifndef MLX5TLS_SIM_RQ_FIXTURE_H
#define MLX5TLS_SIM_RQ_FIXTURE_H

#include <endian.h>
#include <errno.h>
#include <infiniband/mlx5dv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "be_bytes.h"
#include "inet_csum.h"
#include "prm/mlx5_ifc_tls.h"
#include "sim/port.h"
#include "sim/rq.h"
#include "sim/sim.h"
#include "sim/sq.h"
#include "sim/syndromes.h"
#include "sim_test_util.h"
#include "test_util.h"
#include "wqe.h"

#define SLOT 2048u            /* receive buffer per WQE */
#define MEM_LEN (1u << 20)    /* receive buffers + GET_PSV results */
#define PSV_OFF (MEM_LEN - 4096u)
#define MSS 1448u
#define SEQ0 0xfffff000u      /* the TLS streams wrap the TCP sequence space */

/* ---- frames ---- */

struct flow {
	bool v6;
	uint8_t src[16], dst[16]; /* the sender's and the receiver's addresses */
	uint16_t sport, dport;
};

static const struct flow flow_v4 = {
	false, { 198, 18, 0, 1 }, { 198, 18, 0, 2 }, 443, 40000,
};

static const struct flow flow_v6 = {
	true,
	{ 0x20, 0x01, 0, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 }, /* 2001:2::1 (RFC 5180) */
	{ 0x20, 0x01, 0, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2 },
	443, 40001,
};

static inline void flow_match(const struct flow *fl, uint8_t proto, struct sim_flow_match *m)
{
	memset(m, 0, sizeof(*m));
	m->ip_version = fl->v6 ? 6 : 4;
	m->ip_proto = proto;
	memcpy(m->src_ip, fl->src, fl->v6 ? 16 : 4);
	memcpy(m->dst_ip, fl->dst, fl->v6 ? 16 : 4);
	m->src_port = fl->sport;
	m->dst_port = fl->dport;
}

enum { CS_GOOD, CS_BAD_IP, CS_BAD_L4, CS_ZERO_L4 };

/* Ethernet [+ 802.1Q] + IPv4/IPv6 + TCP (20) or UDP (8) + payload, checksums per `cs`. */
static inline size_t frame(uint8_t *f, const struct flow *fl, uint8_t proto, uint32_t seq,
			   uint8_t tcp_flags, const uint8_t *pay, size_t plen, int cs, bool vlan)
{
	size_t l2 = vlan ? 18 : 14, l3 = fl->v6 ? 40 : 20, l4 = proto == 6 ? 20 : 8;
	uint8_t *ip = f + l2, *t = ip + l3, ph[40] = { 0 };
	uint32_t l4len = (uint32_t)(l4 + plen);

	memset(f, 0, l2 + l3 + l4);
	memcpy(f, "\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01", 12);
	if (vlan) {
		put16(f + 12, 0x8100);
		put16(f + 14, 7);
	}
	put16(f + l2 - 2, fl->v6 ? 0x86dd : 0x0800);
	if (fl->v6) {
		ip[0] = 0x60;
		put16(ip + 4, (uint16_t)l4len);
		ip[6] = proto;
		ip[7] = 64;
		memcpy(ip + 8, fl->src, 16);
		memcpy(ip + 24, fl->dst, 16);
		memcpy(ph, ip + 8, 32);
		put32(ph + 32, l4len);
		ph[39] = proto;
	} else {
		ip[0] = 0x45;
		put16(ip + 2, (uint16_t)(20 + l4len));
		put16(ip + 6, 0x4000);
		ip[8] = 64;
		ip[9] = proto;
		memcpy(ip + 12, fl->src, 4);
		memcpy(ip + 16, fl->dst, 4);
		put16(ip + 10, test_csum_field(test_csum_add(0, ip, 20)));
		if (cs == CS_BAD_IP)
			ip[10] ^= 0x55;
		memcpy(ph, ip + 12, 8);
		ph[9] = proto;
		put16(ph + 10, (uint16_t)l4len);
	}
	put16(t, fl->sport);
	put16(t + 2, fl->dport);
	if (proto == 6) {
		put32(t + 4, seq);
		put32(t + 8, 0x01020304);
		t[12] = 0x50;
		t[13] = tcp_flags;
		put16(t + 14, 0xffff);
	} else {
		put16(t + 4, (uint16_t)l4len);
	}
	memcpy(t + l4, pay, plen);
	if (cs != CS_ZERO_L4) {
		uint32_t sum = test_csum_add(test_csum_add(0, ph, fl->v6 ? 40 : 12), t, l4len);

		put16(t + (proto == 6 ? 16 : 6), test_csum_field(sum));
		if (cs == CS_BAD_L4)
			t[proto == 6 ? 17 : 7] ^= 0x0f;
	}
	return l2 + l3 + l4 + plen;
}

/* ---- object helpers ---- */

static inline uint32_t cmd_num(struct sim_dev *dev, uint16_t uid, const void *in, size_t inlen)
{
	uint8_t out[16] = { 0 };

	if (sim_cmd_exec(dev, uid, in, inlen, out, sizeof(out)))
		return 0;
	return get32(out + 8) & 0xffffff;
}

static inline uint32_t create_tis(struct sim_dev *dev, uint16_t uid, uint32_t td)
{
	uint32_t in[DEVX_ST_SZ_DW(create_tis_in)] = { 0 };

	DEVX_SET(create_tis_in, in, opcode, MLX5_CMD_OP_CREATE_TIS);
	DEVX_SET(create_tis_in, in, ctx.transport_domain, td);
	return cmd_num(dev, uid, in, sizeof(in));
}

static inline uint32_t create_tir(struct sim_dev *dev, uint16_t uid, uint32_t td, uint32_t rqn,
				  int tls)
{
	uint32_t in[DEVX_ST_SZ_DW(create_tir_in)] = { 0 };

	DEVX_SET(create_tir_in, in, opcode, MLX5_CMD_OP_CREATE_TIR);
	DEVX_SET(create_tir_in, in, ctx.tls_en, tls);
	DEVX_SET(create_tir_in, in, ctx.inline_rqn, rqn);
	DEVX_SET(create_tir_in, in, ctx.transport_domain, td);
	return cmd_num(dev, uid, in, sizeof(in));
}

static inline int destroy_tir(struct sim_dev *dev, uint16_t uid, uint32_t tirn)
{
	uint32_t in[DEVX_ST_SZ_DW(destroy_tir_in)] = { 0 };
	uint8_t out[16];

	DEVX_SET(destroy_tir_in, in, opcode, MLX5_CMD_OP_DESTROY_TIR);
	DEVX_SET(destroy_tir_in, in, tirn, tirn);
	return sim_cmd_exec(dev, uid, in, sizeof(in), out, sizeof(out));
}

/* ---- a receive queue with its CQ and buffers ---- */

struct rxq {
	struct sim_cq *cq;
	struct sim_cq_info cqi;
	uint32_t cq_ci;
	struct sim_rq *rq;
	struct sim_rq_info ri;
	uint16_t pc;
	uint32_t slot; /* byte_count posted */
	uint32_t lkey;
	uint8_t *mem;  /* wqe_cnt slots of SLOT bytes */
};

static inline int rxq_init(struct rxq *q, struct sim_dev *dev, uint16_t uid, uint32_t pd,
			   uint32_t log_wqes, uint32_t log_cqes, uint32_t access,
			   uint32_t user_index)
{
	struct sim_cq_attr ca = { 0 };
	struct sim_rq_attr ra = { 0 };
	size_t bytes = (size_t)SLOT << log_wqes;

	memset(q, 0, sizeof(*q));
	ca.log_cqes = log_cqes;
	q->cq = sim_cq_create(dev, &ca);
	if (!q->cq)
		return -1;
	sim_cq_query(q->cq, &q->cqi);
	ra.log_wqes = log_wqes;
	ra.cq = q->cq;
	ra.pd = pd;
	ra.uid = uid;
	ra.user_index = user_index;
	q->rq = sim_rq_create(dev, &ra);
	q->mem = aligned_alloc(64, bytes);
	if (!q->rq || !q->mem)
		return -1;
	memset(q->mem, 0, bytes);
	sim_rq_query(q->rq, &q->ri);
	q->slot = SLOT;
	if (sim_mr_reg_access(dev, pd, q->mem, bytes, access, &q->lkey))
		return -1;
	return sim_rq_modify(q->rq, SIM_RQ_RDY);
}

static inline void rxq_fini(struct sim_dev *dev, struct rxq *q)
{
	CU_ASSERT_EQUAL(sim_rq_destroy(q->rq), 0);
	CU_ASSERT_EQUAL(sim_cq_destroy(q->cq), 0);
	if (q->lkey)
		CU_ASSERT_EQUAL(sim_mr_dereg(dev, q->lkey), 0);
	free(q->mem);
}

static inline uint8_t *rxq_buf(struct rxq *q, uint16_t idx)
{
	return q->mem + (size_t)(idx & (q->ri.wqe_cnt - 1)) * SLOT;
}

/* Post n receive WQEs (one data segment each), then the producer counter into dbrec[0]. */
static inline void rxq_post(struct rxq *q, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		uint8_t *w = (uint8_t *)q->ri.buf + (size_t)(q->pc & (q->ri.wqe_cnt - 1)) * 16;

		put32(w, q->slot);
		put32(w + 4, q->lkey);
		put64(w + 8, (uintptr_t)rxq_buf(q, q->pc));
		q->pc++;
	}
	/* the release store orders the WQE stores before it (udma_to_device_barrier) */
	__atomic_store_n(&q->ri.dbrec[0], htobe32(q->pc), __ATOMIC_RELEASE);
}

/* The next valid CQE (owner-bit rule, devx-userspace B4), consumed; NULL if none. */
static inline const struct mlx5_cqe64 *cq_poll(struct sim_cq_info *ci, uint32_t *cons)
{
	const struct mlx5_cqe64 *c =
		(const void *)((uint8_t *)ci->buf + (size_t)(*cons & (ci->cqe_cnt - 1)) * 64);
	uint8_t op_own = __atomic_load_n(&c->op_own, __ATOMIC_ACQUIRE);

	if ((op_own >> 4) == MLX5_CQE_INVALID || (op_own & 1) != !!(*cons & ci->cqe_cnt))
		return NULL;
	(*cons)++;
	__atomic_store_n(&ci->dbrec[0], htobe32(*cons & 0xffffff), __ATOMIC_RELEASE);
	return c;
}

static inline const struct mlx5_cqe64 *rxq_poll(struct rxq *q)
{
	return cq_poll(&q->cqi, &q->cq_ci);
}

static inline unsigned cqe_tls(const struct mlx5_cqe64 *c)
{
	return (((const uint8_t *)c)[0] >> 3) & 3;
}

/* ---- a send queue for the TIR WQEs ---- */

struct txq {
	struct sim_cq *cq;
	struct sim_cq_info cqi;
	uint32_t cq_ci;
	struct sim_sq *sq;
	struct sim_sq_info si;
	uint16_t pc;
	uint8_t *last;
};

static inline int txq_init(struct txq *t, struct sim_dev *dev, uint32_t tisn, uint32_t pd,
			   struct sim_port *port)
{
	struct sim_cq_attr ca = { 0 };
	struct sim_sq_attr sa = { 0 };

	memset(t, 0, sizeof(*t));
	ca.log_cqes = 6;
	t->cq = sim_cq_create(dev, &ca);
	if (!t->cq)
		return -1;
	sim_cq_query(t->cq, &t->cqi);
	sa.log_wqebbs = 6;
	sa.cq = t->cq;
	sa.tisn = tisn;
	sa.pd = pd;
	sa.port = port;
	t->sq = sim_sq_create(dev, &sa);
	if (!t->sq)
		return -1;
	sim_sq_query(t->sq, &t->si);
	return sim_sq_modify(t->sq, SIM_SQ_RDY);
}

static inline void txq_fini(struct txq *t)
{
	sim_sq_destroy(t->sq);
	CU_ASSERT_EQUAL(sim_cq_destroy(t->cq), 0);
}

static inline uint8_t *txq_slot(struct txq *t, uint16_t idx)
{
	return (uint8_t *)t->si.buf + (size_t)(idx & (t->si.wqe_cnt - 1)) * 64;
}

/* Zeroed WQEBBs at pc for a WQE of nbb WQEBBs (no wrap inside: the ring is 64 WQEBBs and the
 * tests post from 0 after a recovery, so a 3-WQEBB WQE that would wrap is preceded by NOPs). */
static inline uint8_t *txq_reserve(struct txq *t, unsigned nbb)
{
	while ((t->pc & (t->si.wqe_cnt - 1)) + nbb > t->si.wqe_cnt) {
		uint8_t *w = txq_slot(t, t->pc);

		memset(w, 0, 64);
		wqe_ctrl_fill(w, 0, t->pc, MLX5TLS_OPCODE_NOP, t->si.sqn, 1, 0, 0);
		t->last = w;
		t->pc++;
	}
	for (unsigned i = 0; i < nbb; i++)
		memset(txq_slot(t, (uint16_t)(t->pc + i)), 0, 64);
	t->last = txq_slot(t, t->pc);
	return t->last;
}

static inline void post_static_tir(struct txq *t, uint32_t tirn, const struct tls_static_info *si)
{
	void *bb[3];

	txq_reserve(t, 3);
	for (int i = 0; i < 3; i++)
		bb[i] = txq_slot(t, (uint16_t)(t->pc + i));
	wqe_build_static_params(bb, t->pc, t->si.sqn, MLX5TLS_OPC_MOD_TIR, tirn, false, si);
	((uint8_t *)bb[0])[11] |= MLX5TLS_WQE_CQ_UPDATE;
	t->pc = (uint16_t)(t->pc + 3);
}

static inline void post_progress_tir(struct txq *t, uint32_t tirn, uint32_t next_seq)
{
	uint8_t *w = txq_reserve(t, 1);

	wqe_build_progress_params(w, t->pc, t->si.sqn, MLX5TLS_OPC_MOD_TIR, tirn, false, next_seq);
	w[11] |= MLX5TLS_WQE_CQ_UPDATE; /* XLIO: "to create TLS rule ASAP" (fact sheet 8.4) */
	t->pc++;
}

/* fact sheet 8.5, written here from the table (there is no library builder yet) */
static inline void post_get_psv(struct txq *t, uint32_t tirn, uint32_t lkey, uint64_t va,
				uint8_t num_psv)
{
	uint8_t *w = txq_reserve(t, 1);

	wqe_ctrl_fill(w, MLX5TLS_OPC_MOD_TIR, t->pc, MLX5TLS_OPCODE_GET_PSV, t->si.sqn,
		      MLX5TLS_GET_PSV_DS, MLX5TLS_WQE_CQ_UPDATE, 0);
	w[35] = num_psv;
	put32(w + 36, lkey);
	put64(w + 40, va);
	put32(w + 48, tirn);
	t->pc++;
}

/* devx-userspace B3, then run the engine (step mode); the CQE of the last WQE: 0 = OK, else
 * the error CQE's vendor syndrome | syndrome << 8. */
static inline int txq_run(struct txq *t)
{
	const struct mlx5_cqe64 *c;
	int ret = -1;
	uint64_t ctrl8;

	__atomic_store_n(&t->si.dbrec[1], htobe32(t->pc), __ATOMIC_RELEASE);
	memcpy(&ctrl8, t->last, 8);
	sim_sq_ring_doorbell(t->sq, ctrl8);
	sim_sq_process(t->sq);
	while ((c = cq_poll(&t->cqi, &t->cq_ci))) {
		if ((c->op_own >> 4) == MLX5_CQE_REQ) {
			ret = 0;
		} else {
			const struct mlx5_err_cqe *e = (const void *)c;

			ret = e->vendor_err_synd | e->syndrome << 8;
		}
	}
	return ret;
}

/* After an error CQE: MODIFY_SQ ERR -> RST -> RDY, WQE counter from 0. */
static inline void txq_recover(struct txq *t)
{
	CU_ASSERT_EQUAL(sim_sq_modify(t->sq, SIM_SQ_RST), 0);
	CU_ASSERT_EQUAL(sim_sq_modify(t->sq, SIM_SQ_RDY), 0);
	t->pc = 0;
}

#define SQ_ERR(synd, vsynd) ((synd) << 8 | (vsynd))

/* ---- fixture: a device, a uid with PD/TD, one RQ and a default destination ---- */

struct fx {
	struct sim_dev *dev;
	uint16_t uid;
	uint32_t pd, td, tis;
	struct rxq q;
};

static inline int fx_init(struct fx *f, const char *spec, uint32_t log_wqes, uint32_t log_cqes)
{
	memset(f, 0, sizeof(*f));
	f->dev = sim_dev_create(spec);
	if (!f->dev || sim_uctx_alloc(f->dev, &f->uid))
		return -1;
	f->pd = new_num(f->dev, f->uid, MLX5_CMD_OP_ALLOC_PD);
	f->td = new_num(f->dev, f->uid, MLX5_CMD_OP_ALLOC_TRANSPORT_DOMAIN);
	f->tis = create_tis(f->dev, f->uid, f->td);
	if (!f->pd || !f->td || !f->tis)
		return -1;
	return rxq_init(&f->q, f->dev, f->uid, f->pd, log_wqes, log_cqes,
			SIM_MR_ACCESS_LOCAL_WRITE, 0x123);
}

static inline void fx_fini(struct fx *f)
{
	CU_ASSERT_EQUAL(sim_steer_set_default(f->dev, 0), 0);
	sim_uctx_free(f->dev, f->uid);
	rxq_fini(f->dev, &f->q);
	sim_dev_destroy(f->dev);
}

#define FX_INIT(f, spec, lw, lc) CU_ASSERT_EQUAL_FATAL(fx_init((f), (spec), (lw), (lc)), 0)

static const uint8_t payload[128] = "the receive path writes this payload into the RQ buffer";

#endif
