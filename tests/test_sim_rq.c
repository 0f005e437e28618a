/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Device model: the receive side (sim/rq.h) - receive queues, steering, the RX entry point - and
 * the TIR WQEs of the send engine (UMR/SET_PSV opc_mod 2, GET_PSV). Receive WQEs are posted into
 * the ring and announced through dbrec[0] exactly as a driver does; CQEs are read through
 * rdma-core's struct mlx5_cqe64 / mlx5_err_cqe with the owner-bit rule; frames and their
 * checksums are built by this file's own code (RFC 1071). The end-to-end TLS cases receive real
 * OpenSSL records (tests/util/tls_peer: a server after a real handshake) cut into TCP/IPv4
 * segments; the expected plaintext-in-place image of each record comes from the harness's own
 * EVP decryption (tls_record_decrypt_sw), and TIR static/progress params are built by the
 * library's WQE builders (wqe.h) and posted through an SQ.
 */
#include <endian.h>
#include <errno.h>
#include <infiniband/mlx5dv.h>
#include <openssl/ssl.h>
#include <pthread.h>
#include <sched.h>
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
#include "sim/tls_evp.h"
#include "sim/tls_rx.h"
#include "sim_test_util.h"
#include "test_util.h"
#include "tls_peer.h"
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
	false, { 10, 0, 0, 1 }, { 10, 0, 0, 2 }, 443, 40000,
};

static const struct flow flow_v6 = {
	true,
	{ 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 },
	{ 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2 },
	443, 40001,
};

static void flow_match(const struct flow *fl, uint8_t proto, struct sim_flow_match *m)
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
static size_t frame(uint8_t *f, const struct flow *fl, uint8_t proto, uint32_t seq,
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

static uint32_t cmd_num(struct sim_dev *dev, uint16_t uid, const void *in, size_t inlen)
{
	uint8_t out[16] = { 0 };

	if (sim_cmd_exec(dev, uid, in, inlen, out, sizeof(out)))
		return 0;
	return get32(out + 8) & 0xffffff;
}

static uint32_t create_tis(struct sim_dev *dev, uint16_t uid, uint32_t td)
{
	uint32_t in[DEVX_ST_SZ_DW(create_tis_in)] = { 0 };

	DEVX_SET(create_tis_in, in, opcode, MLX5_CMD_OP_CREATE_TIS);
	DEVX_SET(create_tis_in, in, ctx.transport_domain, td);
	return cmd_num(dev, uid, in, sizeof(in));
}

static uint32_t create_tir(struct sim_dev *dev, uint16_t uid, uint32_t td, uint32_t rqn, int tls)
{
	uint32_t in[DEVX_ST_SZ_DW(create_tir_in)] = { 0 };

	DEVX_SET(create_tir_in, in, opcode, MLX5_CMD_OP_CREATE_TIR);
	DEVX_SET(create_tir_in, in, ctx.tls_en, tls);
	DEVX_SET(create_tir_in, in, ctx.inline_rqn, rqn);
	DEVX_SET(create_tir_in, in, ctx.transport_domain, td);
	return cmd_num(dev, uid, in, sizeof(in));
}

static int destroy_tir(struct sim_dev *dev, uint16_t uid, uint32_t tirn)
{
	uint32_t in[DEVX_ST_SZ_DW(destroy_tir_in)] = { 0 };
	uint8_t out[16];

	DEVX_SET(destroy_tir_in, in, opcode, MLX5_CMD_OP_DESTROY_TIR);
	DEVX_SET(destroy_tir_in, in, tirn, tirn);
	return sim_cmd_exec(dev, uid, in, sizeof(in), out, sizeof(out));
}

static uint32_t create_dek(struct sim_dev *dev, uint16_t uid, uint32_t pd, const uint8_t *key,
			   size_t key_len)
{
	uint32_t in[528 / 4] = { 0 };
	uint8_t out[16] = { 0 };

	DEVX_SET(create_encryption_key_in, in, hdr.opcode, MLX5_CMD_OP_CREATE_GENERAL_OBJECT);
	DEVX_SET(create_encryption_key_in, in, hdr.obj_type,
		 MLX5_GENERAL_OBJECT_TYPES_ENCRYPTION_KEY);
	DEVX_SET(create_encryption_key_in, in, obj.key_purpose,
		 MLX5_ENCRYPTION_KEY_OBJ_KEY_PURPOSE_TLS);
	DEVX_SET(create_encryption_key_in, in, obj.pd, pd);
	if (key_len == 32) {
		DEVX_SET(create_encryption_key_in, in, obj.key_size,
			 MLX5_ENCRYPTION_KEY_OBJ_KEY_SIZE_256);
		memcpy((uint8_t *)in + 80, key, 32);
	} else {
		memcpy((uint8_t *)in + 96, key, 16); /* fact sheet 3.4: 128-bit key at key[1] */
	}
	if (sim_cmd_exec(dev, uid, in, sizeof(in), out, sizeof(out)))
		return 0;
	return get32(out + 8);
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

static int rxq_init(struct rxq *q, struct sim_dev *dev, uint16_t uid, uint32_t pd,
		    uint32_t log_wqes, uint32_t log_cqes, uint32_t access, uint32_t user_index)
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

static void rxq_fini(struct sim_dev *dev, struct rxq *q)
{
	CU_ASSERT_EQUAL(sim_rq_destroy(q->rq), 0);
	CU_ASSERT_EQUAL(sim_cq_destroy(q->cq), 0);
	if (q->lkey)
		CU_ASSERT_EQUAL(sim_mr_dereg(dev, q->lkey), 0);
	free(q->mem);
}

static uint8_t *rxq_buf(struct rxq *q, uint16_t idx)
{
	return q->mem + (size_t)(idx & (q->ri.wqe_cnt - 1)) * SLOT;
}

/* Post n receive WQEs (one data segment each), then the producer counter into dbrec[0]. */
static void rxq_post(struct rxq *q, unsigned n)
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
static const struct mlx5_cqe64 *cq_poll(struct sim_cq_info *ci, uint32_t *cons)
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

static const struct mlx5_cqe64 *rxq_poll(struct rxq *q)
{
	return cq_poll(&q->cqi, &q->cq_ci);
}

static unsigned cqe_tls(const struct mlx5_cqe64 *c)
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

static int txq_init(struct txq *t, struct sim_dev *dev, uint32_t tisn, uint32_t pd,
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

static void txq_fini(struct txq *t)
{
	sim_sq_destroy(t->sq);
	CU_ASSERT_EQUAL(sim_cq_destroy(t->cq), 0);
}

static uint8_t *txq_slot(struct txq *t, uint16_t idx)
{
	return (uint8_t *)t->si.buf + (size_t)(idx & (t->si.wqe_cnt - 1)) * 64;
}

/* Zeroed WQEBBs at pc for a WQE of nbb WQEBBs (no wrap inside: the ring is 64 WQEBBs and the
 * tests post from 0 after a recovery, so a 3-WQEBB WQE that would wrap is preceded by NOPs). */
static uint8_t *txq_reserve(struct txq *t, unsigned nbb)
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

static void post_static_tir(struct txq *t, uint32_t tirn, const struct tls_static_info *si)
{
	void *bb[3];

	txq_reserve(t, 3);
	for (int i = 0; i < 3; i++)
		bb[i] = txq_slot(t, (uint16_t)(t->pc + i));
	wqe_build_static_params(bb, t->pc, t->si.sqn, MLX5TLS_OPC_MOD_TIR, tirn, false, si);
	((uint8_t *)bb[0])[11] |= MLX5TLS_WQE_CQ_UPDATE;
	t->pc = (uint16_t)(t->pc + 3);
}

static void post_progress_tir(struct txq *t, uint32_t tirn, uint32_t next_seq)
{
	uint8_t *w = txq_reserve(t, 1);

	wqe_build_progress_params(w, t->pc, t->si.sqn, MLX5TLS_OPC_MOD_TIR, tirn, false, next_seq);
	w[11] |= MLX5TLS_WQE_CQ_UPDATE; /* XLIO: "to create TLS rule ASAP" (fact sheet 8.4) */
	t->pc++;
}

/* fact sheet 8.5, written here from the table (there is no library builder yet) */
static void post_get_psv(struct txq *t, uint32_t tirn, uint32_t lkey, uint64_t va,
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
static int txq_run(struct txq *t)
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
static void txq_recover(struct txq *t)
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

static int fx_init(struct fx *f, const char *spec, uint32_t log_wqes, uint32_t log_cqes)
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

static void fx_fini(struct fx *f)
{
	CU_ASSERT_EQUAL(sim_steer_set_default(f->dev, 0), 0);
	sim_uctx_free(f->dev, f->uid);
	rxq_fini(f->dev, &f->q);
	sim_dev_destroy(f->dev);
}

#define FX_INIT(f, spec, lw, lc) CU_ASSERT_EQUAL_FATAL(fx_init((f), (spec), (lw), (lc)), 0)

static const uint8_t payload[128] = "the receive path writes this payload into the RQ buffer";

/* ================================ tests ================================ */

static void test_rq_objects(void)
{
	struct fx f;
	struct sim_rq_attr ra = { 0 };
	struct sim_cq_attr ca = { 0 };
	struct sim_dev *other = sim_dev_create(NULL);
	struct sim_cq *ocq;
	struct sim_rq *rq;
	struct sim_rq_info ri;
	uint64_t ring[16] __attribute__((aligned(64)));
	uint32_t dbrec[2] = { 0 };

	FX_INIT(&f, NULL, 4, 4);
	CU_ASSERT_PTR_NOT_NULL_FATAL(other);
	ca.log_cqes = 2;
	ocq = sim_cq_create(other, &ca);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ocq);
	/* bad attributes */
	ra.log_wqes = 3;
	CU_ASSERT_PTR_NULL(sim_rq_create(f.dev, &ra)); /* no CQ */
	ra.cq = ocq;
	CU_ASSERT_PTR_NULL(sim_rq_create(f.dev, &ra)); /* a CQ of another device */
	ra.cq = f.q.cq;
	ra.log_wqes = 0;
	CU_ASSERT_PTR_NULL(sim_rq_create(f.dev, &ra));
	ra.log_wqes = SIM_RQ_LOG_MAX + 1;
	CU_ASSERT_PTR_NULL(sim_rq_create(f.dev, &ra));
	CU_ASSERT_EQUAL(errno, EINVAL);
	ra.log_wqes = 3;
	ra.buf = (uint8_t *)ring + 8;
	CU_ASSERT_PTR_NULL(sim_rq_create(f.dev, &ra));
	ra.user_index = 1u << 24;
	ra.buf = NULL;
	CU_ASSERT_PTR_NULL(sim_rq_create(f.dev, &ra));
	ra.user_index = 0;
	/* caller memory, as a DevX umem */
	ra.buf = ring;
	ra.dbrec = dbrec;
	rq = sim_rq_create(f.dev, &ra);
	CU_ASSERT_PTR_NOT_NULL_FATAL(rq);
	sim_rq_query(rq, &ri);
	CU_ASSERT_PTR_EQUAL(ri.buf, ring);
	CU_ASSERT_PTR_EQUAL(ri.dbrec, dbrec);
	CU_ASSERT_EQUAL(ri.wqe_cnt, 8);
	CU_ASSERT_EQUAL(ri.stride, 16);
	CU_ASSERT_EQUAL(ri.state, SIM_RQ_RST);
	CU_ASSERT_NOT_EQUAL(ri.rqn, f.q.ri.rqn);
	/* MODIFY_RQ transitions (as MODIFY_SQ) */
	CU_ASSERT_EQUAL(sim_rq_modify(rq, SIM_RQ_ERR), -EINVAL);
	CU_ASSERT_EQUAL(sim_rq_modify(rq, 2), -EINVAL);
	CU_ASSERT_EQUAL(sim_rq_modify(rq, SIM_RQ_RDY), 0);
	CU_ASSERT_EQUAL(sim_rq_modify(rq, SIM_RQ_RDY), 0);
	CU_ASSERT_EQUAL(sim_rq_modify(rq, SIM_RQ_ERR), 0);
	CU_ASSERT_EQUAL(sim_rq_modify(rq, SIM_RQ_RDY), -EINVAL);
	CU_ASSERT_EQUAL(sim_rq_modify(rq, SIM_RQ_RST), 0);
	/* the CQ is in use while an RQ reports to it */
	CU_ASSERT_EQUAL(sim_cq_destroy(f.q.cq), -EBUSY);
	CU_ASSERT_EQUAL(sim_rq_destroy(rq), 0);
	CU_ASSERT_EQUAL(sim_rq_destroy(NULL), 0);
	/* access flags */
	{
		uint32_t lkey;

		CU_ASSERT_EQUAL(sim_mr_reg_access(f.dev, 0, ring, sizeof(ring), 0x2, &lkey),
				-EINVAL);
	}
	CU_ASSERT_EQUAL(sim_dev_rx(NULL, payload, 60), -EINVAL);
	CU_ASSERT_EQUAL(sim_dev_rx(f.dev, NULL, 60), -EINVAL);
	CU_ASSERT_EQUAL(sim_cq_destroy(ocq), 0);
	sim_dev_destroy(other);
	fx_fini(&f);
}

/* Delivery into posted buffers, CQE fields, owner bit and wqe_counter across wraps of both
 * rings, buffer contents. */
static void test_delivery_and_wrap(void)
{
	struct fx f;
	uint8_t fr[256];
	struct sim_rq_stats st;

	FX_INIT(&f, NULL, 2, 2); /* 4 WQEs, 4 CQEs */
	CU_ASSERT_EQUAL_FATAL(sim_steer_set_default(f.dev, f.q.ri.rqn), 0);
	for (uint32_t k = 0; k < 13; k++) {
		const struct mlx5_cqe64 *c;
		uint32_t ci = f.q.cq_ci;
		size_t n;

		rxq_post(&f.q, 1);
		n = frame(fr, &flow_v4, 6, 1000 + k, 0x18, payload, sizeof(payload) - k, CS_GOOD,
			  false);
		CU_ASSERT_EQUAL(sim_dev_rx(f.dev, fr, n), 0);
		c = rxq_poll(&f.q);
		CU_ASSERT_PTR_NOT_NULL_FATAL(c);
		CU_ASSERT_EQUAL(c->op_own >> 4, MLX5_CQE_RESP_SEND);
		CU_ASSERT_EQUAL(c->op_own & 1, (ci >> 2) & 1); /* flips on every CQ wrap */
		CU_ASSERT_EQUAL(be16toh(c->wqe_counter), k);
		CU_ASSERT_EQUAL(be32toh(c->byte_cnt), n);
		CU_ASSERT_EQUAL(be32toh(c->srqn_uidx), 0x123);
		CU_ASSERT_EQUAL(be32toh(c->sop_drop_qpn), 0);
		CU_ASSERT_EQUAL(cqe_tls(c), 0);
		CU_ASSERT_EQUAL(c->hds_ip_ext, MLX5_CQE_L2_OK | MLX5_CQE_L3_OK | MLX5_CQE_L4_OK);
		CU_ASSERT_EQUAL(c->l4_hdr_type_etc, 4 << 4 | MLX5_CQE_L3_HDR_TYPE_IPV4 << 2);
		CU_ASSERT_EQUAL(memcmp(rxq_buf(&f.q, (uint16_t)k), fr, n), 0);
		CU_ASSERT_PTR_NULL(rxq_poll(&f.q));
	}
	sim_rq_get_stats(f.q.rq, &st);
	CU_ASSERT_EQUAL(st.packets, 13);
	CU_ASSERT_EQUAL(st.err_cqes, 0);
	fx_fini(&f);
}

/* No posted WQE: dropped and counted (rx_out_of_buffer); an RQ in RST drops too. */
static void test_out_of_buffer(void)
{
	struct fx f;
	uint8_t fr[256];
	size_t n = frame(fr, &flow_v4, 6, 1, 0x18, payload, sizeof(payload), CS_GOOD, false);
	struct sim_rq_stats st;

	FX_INIT(&f, NULL, 2, 4);
	CU_ASSERT_EQUAL_FATAL(sim_steer_set_default(f.dev, f.q.ri.rqn), 0);
	CU_ASSERT_EQUAL(sim_dev_rx(f.dev, fr, n), 0);
	CU_ASSERT_PTR_NULL(rxq_poll(&f.q));
	rxq_post(&f.q, 4);
	for (int i = 0; i < 6; i++)
		CU_ASSERT_EQUAL(sim_dev_rx(f.dev, fr, n), 0);
	for (int i = 0; i < 4; i++)
		CU_ASSERT_PTR_NOT_NULL(rxq_poll(&f.q));
	CU_ASSERT_PTR_NULL(rxq_poll(&f.q));
	sim_rq_get_stats(f.q.rq, &st);
	CU_ASSERT_EQUAL(st.packets, 4);
	CU_ASSERT_EQUAL(st.out_of_buffer, 3);
	/* RST: the counter restarts; frames are dropped until RDY and new WQEs */
	CU_ASSERT_EQUAL(sim_rq_modify(f.q.rq, SIM_RQ_RST), 0);
	CU_ASSERT_EQUAL(sim_dev_rx(f.dev, fr, n), 0);
	sim_rq_get_stats(f.q.rq, &st);
	CU_ASSERT_EQUAL(st.dropped_state, 1);
	CU_ASSERT_EQUAL(sim_rq_modify(f.q.rq, SIM_RQ_RDY), 0);
	f.q.pc = 0;
	rxq_post(&f.q, 1);
	CU_ASSERT_EQUAL(sim_dev_rx(f.dev, fr, n), 0);
	{
		const struct mlx5_cqe64 *c = rxq_poll(&f.q);

		CU_ASSERT_PTR_NOT_NULL_FATAL(c);
		CU_ASSERT_EQUAL(be16toh(c->wqe_counter), 0);
	}
	fx_fini(&f);
}

/* L2/L3/L4 flags and header types of the CQE; length drops. */
static void test_checksum_flags(void)
{
	static const struct {
		const char *what;
		const struct flow *fl;
		uint8_t proto, tcp_flags;
		size_t plen;
		int cs;
		bool vlan;
		uint8_t hds, types;
	} checks[] = {
		{ "v4 TCP data", &flow_v4, 6, 0x18, 40, CS_GOOD, false, 7, 0x48 },
		{ "v4 bad IP checksum", &flow_v4, 6, 0x18, 40, CS_BAD_IP, false, 5, 0x48 },
		{ "v4 bad TCP checksum", &flow_v4, 6, 0x18, 40, CS_BAD_L4, false, 3, 0x48 },
		{ "v4 pure ACK", &flow_v4, 6, 0x10, 0, CS_GOOD, false, 7, 0x38 },
		{ "v4 SYN", &flow_v4, 6, 0x02, 0, CS_GOOD, false, 7, 0x18 },
		{ "v4 UDP", &flow_v4, 17, 0, 33, CS_GOOD, false, 7, 0x28 },
		{ "v4 UDP without checksum", &flow_v4, 17, 0, 33, CS_ZERO_L4, false, 7, 0x28 },
		{ "v4 UDP bad checksum", &flow_v4, 17, 0, 33, CS_BAD_L4, false, 3, 0x28 },
		{ "v6 TCP", &flow_v6, 6, 0x18, 100, CS_GOOD, false, 7, 0x44 },
		{ "v6 UDP without checksum", &flow_v6, 17, 0, 10, CS_ZERO_L4, false, 3, 0x24 },
		{ "v4 TCP in a VLAN", &flow_v4, 6, 0x18, 40, CS_GOOD, true, 7, 0x48 },
	};
	struct fx f;
	uint8_t fr[SIM_RX_FRAME_MAX + 64];
	struct sim_rx_stats rs;
	struct sim_rq_stats st;

	FX_INIT(&f, NULL, 5, 5);
	CU_ASSERT_EQUAL_FATAL(sim_steer_set_default(f.dev, f.q.ri.rqn), 0);
	rxq_post(&f.q, 32);
	for (size_t i = 0; i < sizeof(checks) / sizeof(checks[0]); i++) {
		size_t n = frame(fr, checks[i].fl, checks[i].proto, 7, checks[i].tcp_flags, payload,
				 checks[i].plen, checks[i].cs, checks[i].vlan);
		const struct mlx5_cqe64 *c;

		CU_ASSERT_EQUAL(sim_dev_rx(f.dev, fr, n), 0);
		c = rxq_poll(&f.q);
		CU_ASSERT_PTR_NOT_NULL_FATAL(c);
		if (c->hds_ip_ext != checks[i].hds || c->l4_hdr_type_etc != checks[i].types)
			printf("\n  %s: hds_ip_ext %#x (want %#x), l4_hdr_type_etc %#x (want %#x)",
			       checks[i].what, c->hds_ip_ext, checks[i].hds, c->l4_hdr_type_etc,
			       checks[i].types);
		CU_ASSERT_EQUAL(c->hds_ip_ext, checks[i].hds);
		CU_ASSERT_EQUAL(c->l4_hdr_type_etc, checks[i].types);
		CU_ASSERT_EQUAL(memcmp(rxq_buf(&f.q, (uint16_t)i), fr, n), 0);
	}
	/* not IP: L2 only, no types */
	memset(fr, 0, 60);
	put16(fr + 12, 0x0806);
	CU_ASSERT_EQUAL(sim_dev_rx(f.dev, fr, 60), 0);
	{
		const struct mlx5_cqe64 *c = rxq_poll(&f.q);

		CU_ASSERT_PTR_NOT_NULL_FATAL(c);
		CU_ASSERT_EQUAL(c->hds_ip_ext, MLX5_CQE_L2_OK);
		CU_ASSERT_EQUAL(c->l4_hdr_type_etc, 0);
		CU_ASSERT_EQUAL(be32toh(c->byte_cnt), 60);
	}
	/* too short / too long for the receive path: dropped before steering */
	CU_ASSERT_EQUAL(sim_dev_rx(f.dev, fr, 13), 0);
	memset(fr, 0, sizeof(fr));
	CU_ASSERT_EQUAL(sim_dev_rx(f.dev, fr, SIM_RX_FRAME_MAX + 1), 0);
	CU_ASSERT_PTR_NULL(rxq_poll(&f.q));
	sim_dev_get_rx_stats(f.dev, &rs);
	CU_ASSERT_EQUAL(rs.frames, 14);
	CU_ASSERT_EQUAL(rs.too_short, 1);
	CU_ASSERT_EQUAL(rs.too_long, 1);
	CU_ASSERT_EQUAL(rs.to_default, 12);
	CU_ASSERT_EQUAL(rs.l3_not_ok, 1);
	CU_ASSERT_EQUAL(rs.l4_not_ok, 3);
	sim_rq_get_stats(f.q.rq, &st);
	CU_ASSERT_EQUAL(st.l3_not_ok, 1);
	CU_ASSERT_EQUAL(st.l4_not_ok, 3);
	fx_fini(&f);
}

/* The L4 verdict and its counters whether the frame is delivered, has no receive WQE or is
 * dropped by steering; Ethernet padding after the IP packet is delivered but not summed. */
static void test_checksum_dropped_and_padded(void)
{
	static const uint8_t pay[1448] = { 0x17, 0x03, 0x03, 0xff, 0xfe, 0xfd };
	uint8_t fr[1600], good[1600];
	struct sim_rx_stats rs;
	struct sim_rq_stats st;
	size_t n, ng;
	struct fx f;

	FX_INIT(&f, NULL, 3, 3);
	/* no destination at all: steering drops it, its bad checksum is still counted */
	n = frame(fr, &flow_v4, 6, 9, 0x18, pay, sizeof(pay), CS_BAD_L4, false);
	ng = frame(good, &flow_v4, 6, 9, 0x18, pay, sizeof(pay), CS_GOOD, false);
	CU_ASSERT_EQUAL(sim_dev_rx(f.dev, fr, n), 0);
	CU_ASSERT_EQUAL(sim_dev_rx(f.dev, good, ng), 0);
	sim_dev_get_rx_stats(f.dev, &rs);
	CU_ASSERT_EQUAL(rs.no_match, 2);
	CU_ASSERT_EQUAL(rs.l4_not_ok, 1);
	/* a destination without receive WQEs: dropped there, counted by steering only */
	CU_ASSERT_EQUAL_FATAL(sim_steer_set_default(f.dev, f.q.ri.rqn), 0);
	CU_ASSERT_EQUAL(sim_dev_rx(f.dev, fr, n), 0);
	CU_ASSERT_EQUAL(sim_dev_rx(f.dev, good, ng), 0);
	sim_dev_get_rx_stats(f.dev, &rs);
	sim_rq_get_stats(f.q.rq, &st);
	CU_ASSERT_EQUAL(rs.l4_not_ok, 2);
	CU_ASSERT_EQUAL(st.out_of_buffer, 2);
	CU_ASSERT_EQUAL(st.l4_not_ok, 0);
	/* delivered: bad, good, and good with 6 bytes of Ethernet padding after the IP packet */
	rxq_post(&f.q, 3);
	memset(good + ng, 0xee, 6);
	CU_ASSERT_EQUAL(sim_dev_rx(f.dev, fr, n), 0);
	CU_ASSERT_EQUAL(sim_dev_rx(f.dev, good, ng), 0);
	CU_ASSERT_EQUAL(sim_dev_rx(f.dev, good, ng + 6), 0);
	for (uint16_t i = 0; i < 3; i++) {
		const struct mlx5_cqe64 *c = rxq_poll(&f.q);
		size_t len = i == 0 ? n : i == 1 ? ng : ng + 6;

		CU_ASSERT_PTR_NOT_NULL_FATAL(c);
		CU_ASSERT_EQUAL(be32toh(c->byte_cnt), len);
		CU_ASSERT_EQUAL(c->hds_ip_ext, i ? 7 : 3); /* L2 L3 [L4] OK */
		CU_ASSERT_EQUAL(memcmp(rxq_buf(&f.q, i), i ? good : fr, len), 0);
	}
	sim_dev_get_rx_stats(f.dev, &rs);
	sim_rq_get_stats(f.q.rq, &st);
	CU_ASSERT_EQUAL(rs.frames, 7);
	CU_ASSERT_EQUAL(rs.l4_not_ok, 3);
	CU_ASSERT_EQUAL(st.l4_not_ok, 1);
	CU_ASSERT_EQUAL(st.packets, 3);
	fx_fini(&f);
}

/* Exact 5-tuple rules to TIRs, the default destination, drops, IPv6, rule API errors; a plain
 * TIR delivers frames unchanged with TLS status 0, a TLS TIR without static params too. */
static void test_steering(void)
{
	struct fx f;
	struct rxq q2, q3;
	struct sim_flow_match m;
	uint32_t tir_v4, tir_v6, r4 = 0, r6 = 0, rbad = 0;
	uint8_t fr[256];
	size_t n;
	struct sim_rx_stats rs;
	struct sim_rq_stats st;
	struct flow swapped = flow_v4, other_port = flow_v4;

	FX_INIT(&f, NULL, 4, 4);
	CU_ASSERT_EQUAL_FATAL(rxq_init(&q2, f.dev, f.uid, f.pd, 4, 4, SIM_MR_ACCESS_LOCAL_WRITE, 2),
			      0);
	CU_ASSERT_EQUAL_FATAL(rxq_init(&q3, f.dev, f.uid, f.pd, 4, 4, SIM_MR_ACCESS_LOCAL_WRITE, 3),
			      0);
	tir_v4 = create_tir(f.dev, f.uid, f.td, f.q.ri.rqn, 0);
	tir_v6 = create_tir(f.dev, f.uid, f.td, q2.ri.rqn, 1);
	CU_ASSERT_FATAL(tir_v4 && tir_v6);
	flow_match(&flow_v4, 6, &m);
	CU_ASSERT_EQUAL_FATAL(sim_steer_add(f.dev, &m, tir_v4, &r4), 0);
	flow_match(&flow_v6, 6, &m);
	CU_ASSERT_EQUAL_FATAL(sim_steer_add(f.dev, &m, tir_v6, &r6), 0);
	CU_ASSERT_NOT_EQUAL(r4, r6);
	/* bad matches */
	flow_match(&flow_v4, 6, &m);
	m.ip_version = 5;
	CU_ASSERT_EQUAL(sim_steer_add(f.dev, &m, tir_v4, &rbad), -EINVAL);
	flow_match(&flow_v4, 1, &m);
	CU_ASSERT_EQUAL(sim_steer_add(f.dev, &m, tir_v4, &rbad), -EINVAL);
	flow_match(&flow_v4, 6, &m);
	m.dst_ip[7] = 1;
	CU_ASSERT_EQUAL(sim_steer_add(f.dev, &m, tir_v4, &rbad), -EINVAL);
	CU_ASSERT_EQUAL(sim_steer_add(f.dev, NULL, tir_v4, &rbad), -EINVAL);

	rxq_post(&f.q, 8);
	rxq_post(&q2, 8);
	rxq_post(&q3, 8);
	/* unmatched, no default: dropped */
	n = frame(fr, &flow_v4, 17, 1, 0, payload, 20, CS_GOOD, false);
	CU_ASSERT_EQUAL(sim_dev_rx(f.dev, fr, n), 0);
	CU_ASSERT_EQUAL_FATAL(sim_steer_set_default(f.dev, q3.ri.rqn), 0);
	/* the v4 rule: to the plain TIR's RQ, unchanged, status 0 */
	n = frame(fr, &flow_v4, 6, 1, 0x18, payload, 30, CS_GOOD, false);
	CU_ASSERT_EQUAL(sim_dev_rx(f.dev, fr, n), 0);
	{
		const struct mlx5_cqe64 *c = rxq_poll(&f.q);

		CU_ASSERT_PTR_NOT_NULL_FATAL(c);
		CU_ASSERT_EQUAL(cqe_tls(c), 0);
		CU_ASSERT_EQUAL(memcmp(rxq_buf(&f.q, 0), fr, n), 0);
	}
	/* the same frame in a VLAN still matches: tags are not part of the rule */
	n = frame(fr, &flow_v4, 6, 1, 0x18, payload, 30, CS_GOOD, true);
	CU_ASSERT_EQUAL(sim_dev_rx(f.dev, fr, n), 0);
	CU_ASSERT_PTR_NOT_NULL(rxq_poll(&f.q));
	/* another port, the reverse direction, UDP on the same ports: the default RQ */
	other_port.dport++;
	memcpy(swapped.src, flow_v4.dst, 4);
	memcpy(swapped.dst, flow_v4.src, 4);
	swapped.sport = flow_v4.dport;
	swapped.dport = flow_v4.sport;
	n = frame(fr, &other_port, 6, 1, 0x18, payload, 30, CS_GOOD, false);
	CU_ASSERT_EQUAL(sim_dev_rx(f.dev, fr, n), 0);
	n = frame(fr, &swapped, 6, 1, 0x18, payload, 30, CS_GOOD, false);
	CU_ASSERT_EQUAL(sim_dev_rx(f.dev, fr, n), 0);
	n = frame(fr, &flow_v4, 17, 1, 0, payload, 30, CS_GOOD, false);
	CU_ASSERT_EQUAL(sim_dev_rx(f.dev, fr, n), 0);
	for (int i = 0; i < 3; i++)
		CU_ASSERT_PTR_NOT_NULL(rxq_poll(&q3));
	CU_ASSERT_PTR_NULL(rxq_poll(&q3));
	/* IPv6: the TLS TIR without static params passes the frame as received */
	n = frame(fr, &flow_v6, 6, 5, 0x18, payload, 50, CS_GOOD, false);
	CU_ASSERT_EQUAL(sim_dev_rx(f.dev, fr, n), 0);
	{
		const struct mlx5_cqe64 *c = rxq_poll(&q2);

		CU_ASSERT_PTR_NOT_NULL_FATAL(c);
		CU_ASSERT_EQUAL(cqe_tls(c), 0);
		CU_ASSERT_EQUAL(be32toh(c->srqn_uidx), 2);
		CU_ASSERT_EQUAL(memcmp(rxq_buf(&q2, 0), fr, n), 0);
	}
	sim_rq_get_stats(q2.rq, &st);
	CU_ASSERT_EQUAL(st.tls_no_context, 1);
	/* a deleted rule: to the default */
	CU_ASSERT_EQUAL(sim_steer_del(f.dev, r6), 0);
	CU_ASSERT_EQUAL(sim_dev_rx(f.dev, fr, n), 0);
	CU_ASSERT_PTR_NOT_NULL(rxq_poll(&q3));
	CU_ASSERT_PTR_NULL(rxq_poll(&q2));
	sim_dev_get_rx_stats(f.dev, &rs);
	CU_ASSERT_EQUAL(rs.steered, 3);
	CU_ASSERT_EQUAL(rs.to_default, 4);
	CU_ASSERT_EQUAL(rs.no_match, 1);
	CU_ASSERT_EQUAL(rs.rules, 1);
	CU_ASSERT_EQUAL(destroy_tir(f.dev, f.uid, tir_v6), 0);
	CU_ASSERT_EQUAL(sim_steer_set_default(f.dev, 0), 0);
	sim_uctx_free(f.dev, f.uid); /* the v4 TIR and its rule */
	sim_dev_get_rx_stats(f.dev, &rs);
	CU_ASSERT_EQUAL(rs.rules, 0);
	rxq_fini(f.dev, &q2);
	rxq_fini(f.dev, &q3);
	CU_ASSERT_EQUAL_FATAL(sim_uctx_alloc(f.dev, &f.uid), 0);
	fx_fini(&f);
}

/*
 * The rule table under churn (open addressing, backward-shift deletion, growth): 3000 rules on
 * distinct source ports, a random half deleted and some re-added; then every port's match is
 * EEXIST exactly while its rule is live (the lookup finds every live rule past deletions and
 * never a deleted one), the rule count agrees, and a frame of a live flow still reaches its TIR's
 * RQ while one of a deleted flow goes to the default.
 */
static void test_steering_churn(void)
{
	enum { N = 3000 };
	static uint32_t id[N];
	static bool live[N];
	struct fx f;
	struct rxq q3;
	struct sim_flow_match m;
	struct sim_rx_stats rs;
	struct flow fl = flow_v4;
	uint32_t tir, n_live = 0, bad = 0, dummy, probe_live = N, probe_dead = N;
	uint8_t fr[256];
	size_t n;

	FX_INIT(&f, NULL, 4, 4);
	CU_ASSERT_EQUAL_FATAL(rxq_init(&q3, f.dev, f.uid, f.pd, 4, 4, SIM_MR_ACCESS_LOCAL_WRITE, 3),
			      0);
	tir = create_tir(f.dev, f.uid, f.td, f.q.ri.rqn, 0);
	CU_ASSERT_FATAL(tir);
	CU_ASSERT_EQUAL_FATAL(sim_steer_set_default(f.dev, q3.ri.rqn), 0);
	for (uint32_t i = 0; i < N; i++) {
		fl.sport = (uint16_t)(1000 + i);
		flow_match(&fl, 6, &m);
		CU_ASSERT_EQUAL_FATAL(sim_steer_add(f.dev, &m, tir, &id[i]), 0);
		live[i] = true;
	}
	for (uint32_t round = 0; round < 4 * N; round++) {
		uint32_t i = (uint32_t)(rand() % N);

		fl.sport = (uint16_t)(1000 + i);
		flow_match(&fl, 6, &m);
		if (live[i]) {
			bad += sim_steer_del(f.dev, id[i]) != 0;
			live[i] = false;
		} else if (round % 3 == 0) {
			bad += sim_steer_add(f.dev, &m, tir, &id[i]) != 0;
			live[i] = true;
		}
	}
	for (uint32_t i = 0; i < N; i++) {
		fl.sport = (uint16_t)(1000 + i);
		flow_match(&fl, 6, &m);
		if (live[i]) {
			n_live++;
			bad += sim_steer_add(f.dev, &m, tir, &dummy) != -EEXIST;
			probe_live = i;
		} else {
			bad += sim_steer_add(f.dev, &m, tir, &dummy) != 0;
			bad += sim_steer_del(f.dev, dummy) != 0;
			probe_dead = i;
		}
	}
	CU_ASSERT_EQUAL(bad, 0);
	sim_dev_get_rx_stats(f.dev, &rs);
	CU_ASSERT_EQUAL(rs.rules, n_live);
	CU_ASSERT_FATAL(probe_live < N && probe_dead < N);
	rxq_post(&f.q, 2);
	rxq_post(&q3, 2);
	fl.sport = (uint16_t)(1000 + probe_live);
	n = frame(fr, &fl, 6, 1, 0x18, payload, 30, CS_GOOD, false);
	CU_ASSERT_EQUAL(sim_dev_rx(f.dev, fr, n), 0);
	CU_ASSERT_PTR_NOT_NULL(rxq_poll(&f.q));
	fl.sport = (uint16_t)(1000 + probe_dead);
	n = frame(fr, &fl, 6, 1, 0x18, payload, 30, CS_GOOD, false);
	CU_ASSERT_EQUAL(sim_dev_rx(f.dev, fr, n), 0);
	CU_ASSERT_PTR_NOT_NULL(rxq_poll(&q3));
	CU_ASSERT_PTR_NULL(rxq_poll(&f.q));
	CU_ASSERT_EQUAL(sim_steer_set_default(f.dev, 0), 0);
	sim_uctx_free(f.dev, f.uid); /* the TIR and its rules */
	sim_dev_get_rx_stats(f.dev, &rs);
	CU_ASSERT_EQUAL(rs.rules, 0);
	rxq_fini(f.dev, &q3);
	CU_ASSERT_EQUAL_FATAL(sim_uctx_alloc(f.dev, &f.uid), 0);
	fx_fini(&f);
}

static void expect_rq_error(struct rxq *q, uint16_t idx, uint8_t synd, uint8_t vsynd)
{
	const struct mlx5_cqe64 *c = rxq_poll(q);
	const struct mlx5_err_cqe *e = (const void *)c;
	struct sim_rq_info ri;
	struct sim_rq_stats st;

	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_EQUAL(c->op_own >> 4, MLX5_CQE_RESP_ERR);
	CU_ASSERT_EQUAL(e->syndrome, synd);
	CU_ASSERT_EQUAL(e->vendor_err_synd, vsynd);
	CU_ASSERT_EQUAL(be16toh(e->wqe_counter), idx);
	sim_rq_query(q->rq, &ri);
	CU_ASSERT_EQUAL(ri.state, SIM_RQ_ERR);
	sim_rq_get_stats(q->rq, &st);
	CU_ASSERT_EQUAL(st.last_vsynd, vsynd);
	CU_ASSERT_EQUAL(st.last_syndrome, synd);
	CU_ASSERT_EQUAL(st.last_err_wqe_counter, idx);
	CU_ASSERT_STRING_EQUAL(sim_sq_vsynd_str(vsynd), sim_sq_vsynd_str(st.last_vsynd));
}

/* DPDK's recovery: ERR -> RST -> RDY, re-post from WQE 0. */
static void rq_recover(struct rxq *q, unsigned n)
{
	CU_ASSERT_EQUAL(sim_rq_modify(q->rq, SIM_RQ_RST), 0);
	CU_ASSERT_EQUAL(sim_rq_modify(q->rq, SIM_RQ_RDY), 0);
	q->pc = 0;
	rxq_post(q, n);
}

/* Error CQEs (RESP_ERR) and the RQ in ERR until recovered; a CQ overrun. */
static void test_rq_errors(void)
{
	struct fx f;
	struct rxq ro;
	uint8_t fr[256];
	size_t n = frame(fr, &flow_v4, 6, 1, 0x18, payload, sizeof(payload), CS_GOOD, false);
	struct sim_rq_stats st;
	uint32_t tirn;
	struct sim_flow_match m;
	uint32_t rule = 0;

	FX_INIT(&f, NULL, 3, 5);
	CU_ASSERT_EQUAL_FATAL(sim_steer_set_default(f.dev, f.q.ri.rqn), 0);
	/* a buffer shorter than the frame: LOCAL_LENGTH */
	f.q.slot = (uint32_t)n - 1;
	rxq_post(&f.q, 2);
	CU_ASSERT_EQUAL(sim_dev_rx(f.dev, fr, n), 0);
	expect_rq_error(&f.q, 0, MLX5_CQE_SYNDROME_LOCAL_LENGTH_ERR, SIM_VSYND_RQ_BUF_TOO_SMALL);
	CU_ASSERT_EQUAL(sim_dev_rx(f.dev, fr, n), 0); /* ERR: dropped, no CQE */
	CU_ASSERT_PTR_NULL(rxq_poll(&f.q));
	sim_rq_get_stats(f.q.rq, &st);
	CU_ASSERT_EQUAL(st.dropped_state, 1);
	CU_ASSERT_EQUAL(st.err_cqes, 1);
	f.q.slot = SLOT;
	rq_recover(&f.q, 1);
	CU_ASSERT_EQUAL(sim_dev_rx(f.dev, fr, n), 0);
	CU_ASSERT_PTR_NOT_NULL(rxq_poll(&f.q));
	/* the inline bit in a receive WQE */
	f.q.slot = SLOT | 0x80000000u;
	rxq_post(&f.q, 1);
	CU_ASSERT_EQUAL(sim_dev_rx(f.dev, fr, n), 0);
	expect_rq_error(&f.q, 1, MLX5_CQE_SYNDROME_LOCAL_QP_OP_ERR, SIM_VSYND_RQ_WQE_FORMAT);
	f.q.slot = SLOT;
	/* an unknown lkey */
	rq_recover(&f.q, 0);
	f.q.lkey ^= 0x100;
	rxq_post(&f.q, 1);
	f.q.lkey ^= 0x100;
	CU_ASSERT_EQUAL(sim_dev_rx(f.dev, fr, n), 0);
	expect_rq_error(&f.q, 0, MLX5_CQE_SYNDROME_LOCAL_PROT_ERR, SIM_VSYND_LKEY_UNKNOWN);
	/* the producer counter more than a ring ahead */
	rq_recover(&f.q, 0);
	__atomic_store_n(&f.q.ri.dbrec[0], htobe32(9), __ATOMIC_RELEASE);
	CU_ASSERT_EQUAL(sim_dev_rx(f.dev, fr, n), 0);
	expect_rq_error(&f.q, 0, MLX5_CQE_SYNDROME_LOCAL_QP_OP_ERR, SIM_VSYND_DB_OVERFLOW);
	rq_recover(&f.q, 0);

	/* a receive buffer without LOCAL_WRITE (ibv_reg_mr access 0), and of another PD */
	CU_ASSERT_EQUAL_FATAL(rxq_init(&ro, f.dev, f.uid, f.pd, 2, 2, 0, 9), 0);
	tirn = create_tir(f.dev, f.uid, f.td, ro.ri.rqn, 0);
	flow_match(&flow_v4, 6, &m);
	CU_ASSERT_EQUAL_FATAL(sim_steer_add(f.dev, &m, tirn, &rule), 0);
	rxq_post(&ro, 1);
	CU_ASSERT_EQUAL(sim_dev_rx(f.dev, fr, n), 0);
	expect_rq_error(&ro, 0, MLX5_CQE_SYNDROME_LOCAL_PROT_ERR, SIM_VSYND_MR_NO_WRITE);
	CU_ASSERT_EQUAL(sim_mr_dereg(f.dev, ro.lkey), 0);
	CU_ASSERT_EQUAL(sim_mr_reg_access(f.dev, f.pd + 1, ro.mem, (size_t)SLOT << 2,
					  SIM_MR_ACCESS_LOCAL_WRITE, &ro.lkey),
			0);
	rq_recover(&ro, 1);
	CU_ASSERT_EQUAL(sim_dev_rx(f.dev, fr, n), 0);
	expect_rq_error(&ro, 0, MLX5_CQE_SYNDROME_LOCAL_PROT_ERR, SIM_VSYND_PD_MISMATCH);
	/* CQ overrun: 4 CQEs, nobody consumes; the fifth frame is lost and the RQ goes ERR */
	CU_ASSERT_EQUAL(sim_mr_dereg(f.dev, ro.lkey), 0);
	CU_ASSERT_EQUAL(sim_mr_reg_access(f.dev, f.pd, ro.mem, (size_t)SLOT << 2,
					  SIM_MR_ACCESS_LOCAL_WRITE, &ro.lkey),
			0);
	rq_recover(&ro, 4);
	for (int i = 0; i < 4; i++)
		CU_ASSERT_EQUAL(sim_dev_rx(f.dev, fr, n), 0);
	rxq_post(&ro, 2);
	CU_ASSERT_EQUAL(sim_dev_rx(f.dev, fr, n), 0);
	sim_rq_get_stats(ro.rq, &st);
	CU_ASSERT_EQUAL(st.cq_overrun, 1);
	{
		struct sim_cq_stats cs;
		struct sim_rq_info ri;

		sim_cq_get_stats(ro.cq, &cs);
		CU_ASSERT(cs.overrun);
		sim_rq_query(ro.rq, &ri);
		CU_ASSERT_EQUAL(ri.state, SIM_RQ_ERR);
	}
	CU_ASSERT_EQUAL(sim_steer_del(f.dev, rule), 0);
	CU_ASSERT_EQUAL(destroy_tir(f.dev, f.uid, tirn), 0);
	rxq_fini(f.dev, &ro);
	fx_fini(&f);
}

/* Device A's SQ sends through a loopback port into device B's receive path. */
static void test_loopback_port(void)
{
	struct fx b;
	struct sim_dev *a = sim_dev_create(NULL);
	struct sim_port *port;
	struct txq t;
	uint16_t uid;
	uint32_t pd, td, tis, lkey;
	uint8_t *mem = aligned_alloc(64, 4096);
	size_t n;
	uint8_t *w;

	FX_INIT(&b, NULL, 3, 3);
	CU_ASSERT_FATAL(a && mem);
	CU_ASSERT_EQUAL_FATAL(sim_uctx_alloc(a, &uid), 0);
	pd = new_num(a, uid, MLX5_CMD_OP_ALLOC_PD);
	td = new_num(a, uid, MLX5_CMD_OP_ALLOC_TRANSPORT_DOMAIN);
	tis = create_tis(a, uid, td);
	port = sim_port_loopback_create(sim_dev_rx_port_fn, b.dev);
	CU_ASSERT_FATAL(pd && td && tis && port);
	CU_ASSERT_EQUAL_FATAL(txq_init(&t, a, tis, pd, port), 0);
	CU_ASSERT_EQUAL_FATAL(sim_mr_reg(a, pd, mem, 4096, &lkey), 0);
	CU_ASSERT_EQUAL_FATAL(sim_steer_set_default(b.dev, b.q.ri.rqn), 0);
	rxq_post(&b.q, 1);
	n = frame(mem, &flow_v4, 6, 77, 0x18, payload, sizeof(payload), CS_GOOD, false);
	/* SEND: ctrl + eth seg (no inline header, no offloads) + one data segment */
	w = txq_reserve(&t, 1);
	wqe_ctrl_fill(w, 0, t.pc, MLX5TLS_OPCODE_SEND, t.si.sqn, 3, MLX5TLS_WQE_CQ_UPDATE, 0);
	put32(w + 32, (uint32_t)n);
	put32(w + 36, lkey);
	put64(w + 40, (uintptr_t)mem);
	t.pc++;
	CU_ASSERT_EQUAL(txq_run(&t), 0);
	{
		const struct mlx5_cqe64 *c = rxq_poll(&b.q);

		CU_ASSERT_PTR_NOT_NULL_FATAL(c);
		CU_ASSERT_EQUAL(be32toh(c->byte_cnt), n);
		CU_ASSERT_EQUAL(c->hds_ip_ext, 7);
		CU_ASSERT_EQUAL(memcmp(rxq_buf(&b.q, 0), mem, n), 0);
	}
	txq_fini(&t);
	CU_ASSERT_EQUAL(sim_mr_dereg(a, lkey), 0);
	sim_port_destroy(port);
	sim_dev_destroy(a);
	free(mem);
	fx_fini(&b);
}

/* ---- TLS RX end to end ---- */

#define MAX_RECS 64

/* A server's TLS stream from OpenSSL, and the image a device decrypting in place produces. */
struct stream {
	union tls_peer_crypto_info ci; /* server TX = our RX */
	bool tls13;
	size_t key_len;
	const uint8_t *key;
	struct tls_static_info si;
	uint64_t rn0;
	uint8_t *wire, *img;
	size_t len;
	size_t n;
	size_t off[MAX_RECS], rlen[MAX_RECS];
};

static int stream_make(struct stream *s, int version, unsigned bits)
{
	struct tls_peer_pair *pair = tls_peer_pair_create(version, bits, NULL);
	static uint8_t app[4096];
	const uint8_t *salt, *iv, *rec_seq;
	size_t got = 0, total;
	ssize_t r;

	memset(s, 0, sizeof(*s));
	if (!pair || tls_peer_export_tx(pair, TLS_PEER_SERVER, 0, &s->ci))
		return -1;
	s->tls13 = version == TLS1_3_VERSION;
	if (bits == 128) {
		s->key = s->ci.gcm128.key;
		salt = s->ci.gcm128.salt;
		iv = s->ci.gcm128.iv;
		rec_seq = s->ci.gcm128.rec_seq;
	} else {
		s->key = s->ci.gcm256.key;
		salt = s->ci.gcm256.salt;
		iv = s->ci.gcm256.iv;
		rec_seq = s->ci.gcm256.rec_seq;
	}
	s->key_len = bits / 8;
	s->rn0 = get64(rec_seq);
	s->si.tls13 = s->tls13;
	memcpy(s->si.rec_seq, rec_seq, 8);
	memcpy(s->si.salt, salt, 4);
	memcpy(s->si.iv, iv, 8);
	/* 40 records of 300..3300 bytes: far more than a max-size record, so a lost header
	 * leaves room for the stream scan (tls_rx.h SIM_TLS_RX_MAX_WIRE_RECORD) */
	for (int i = 0; i < 40; i++) {
		size_t len = 300 + (size_t)(i * 977) % 3000;

		for (size_t k = 0; k < len; k++)
			app[k] = (uint8_t)(i * 31 + k);
		if (tls_peer_write(pair, TLS_PEER_SERVER, app, len))
			goto err;
	}
	total = tls_peer_wire_pending(pair, TLS_PEER_SERVER);
	s->wire = malloc(total);
	s->img = malloc(total);
	if (!s->wire || !s->img)
		goto err;
	while (got < total &&
	       (r = tls_peer_take_wire(pair, TLS_PEER_SERVER, s->wire + got, total - got)) > 0)
		got += (size_t)r;
	s->len = got;
	memcpy(s->img, s->wire, got);
	/* delineate, and decrypt each record of the image in place (harness EVP code) */
	for (size_t off = 0; off < got; s->n++) {
		size_t rl = 5u + get16(s->wire + off + 3);

		if (s->n == MAX_RECS ||
		    tls_record_decrypt_sw(&s->ci.info, s->rn0 + s->n, s->img + off, rl, NULL) < 0)
			goto err;
		s->off[s->n] = off;
		s->rlen[s->n] = rl;
		off += rl;
	}
	tls_peer_pair_destroy(pair);
	/* the image is the plaintext: it differs from the wire wherever payload is */
	return s->n == 40 && memcmp(s->img, s->wire, s->len) ? 0 : -1;
err:
	tls_peer_pair_destroy(pair);
	return -1;
}

static void stream_free(struct stream *s)
{
	tls_peer_crypto_info_wipe(&s->ci);
	free(s->wire);
	free(s->img);
}

/* One TLS connection on a fresh device: DEK, TLS TIR -> RQ, rule, SQ for the params. */
struct tlsfx {
	struct fx f;
	struct txq t;
	uint32_t dek, tirn, rule;
	uint8_t *psv; /* GET_PSV results, in the RQ's write-enabled region */
};

static int tlsfx_init(struct tlsfx *x, const struct stream *s)
{
	struct sim_flow_match m;
	struct tls_static_info si = s->si;

	if (fx_init(&x->f, NULL, 6, 6))
		return -1;
	x->dek = create_dek(x->f.dev, x->f.uid, x->f.pd, s->key, s->key_len);
	x->tirn = create_tir(x->f.dev, x->f.uid, x->f.td, x->f.q.ri.rqn, 1);
	flow_match(&flow_v4, 6, &m);
	if (!x->dek || !x->tirn || sim_steer_add(x->f.dev, &m, x->tirn, &x->rule))
		return -1;
	if (txq_init(&x->t, x->f.dev, x->f.tis, x->f.pd, NULL))
		return -1;
	x->psv = x->f.q.mem; /* the first slot: 64-byte aligned */
	/* fact sheet 11.2 step 4: static params (resync_tcp_sn 0), then progress params START at
	 * the sequence of the first record */
	si.dek_index = x->dek;
	si.resync_tcp_sn = 0;
	post_static_tir(&x->t, x->tirn, &si);
	post_progress_tir(&x->t, x->tirn, SEQ0);
	return txq_run(&x->t);
}

static void tlsfx_fini(struct tlsfx *x)
{
	txq_fini(&x->t);
	CU_ASSERT_EQUAL(sim_steer_del(x->f.dev, x->rule), 0);
	CU_ASSERT_EQUAL(destroy_tir(x->f.dev, x->f.uid, x->tirn), 0);
	fx_fini(&x->f);
}

/* Deliver wire[a, a+len) as one TCP/IPv4 segment (its own copy `seg` when not NULL); check the
 * CQE and the buffer: the image where DECRYPTED, exactly the frame otherwise. Returns the TLS
 * status, or -1. */
static int deliver(struct tlsfx *x, const struct stream *s, size_t a, size_t len,
		   const uint8_t *seg, int cs)
{
	static uint8_t fr[2048], want[2048];
	const struct mlx5_cqe64 *c;
	uint16_t idx = x->f.q.pc;
	unsigned st;
	size_t n;

	rxq_post(&x->f.q, 1);
	n = frame(fr, &flow_v4, 6, SEQ0 + (uint32_t)a, 0x18, seg ? seg : s->wire + a, len, cs,
		  false);
	if (sim_dev_rx(x->f.dev, fr, n))
		return -1;
	c = rxq_poll(&x->f.q);
	if (!c || (c->op_own >> 4) != MLX5_CQE_RESP_SEND || be32toh(c->byte_cnt) != n ||
	    be16toh(c->wqe_counter) != idx)
		return -1;
	st = cqe_tls(c);
	memcpy(want, fr, n);
	if (st == SIM_TLS_RX_DECRYPTED)
		memcpy(want + n - len, s->img + a, len);
	if (memcmp(rxq_buf(&x->f.q, idx), want, n)) {
		printf("\n  segment at %zu (status %u): buffer differs from the expected image", a,
		       st);
		return -1;
	}
	return (int)st;
}

static const char *suite_name(const struct stream *s)
{
	if (s->tls13)
		return s->key_len == 16 ? "TLS1.3/AES-128-GCM" : "TLS1.3/AES-256-GCM";
	return s->key_len == 16 ? "TLS1.2/AES-128-GCM" : "TLS1.2/AES-256-GCM";
}

/* In order: every segment DECRYPTED, plaintext in place, framing untouched; a segment with a bad
 * TCP checksum first arrives undecrypted (not handled, L4 not OK) and is decrypted when it is
 * retransmitted intact. */
static void run_in_order(const struct stream *s)
{
	uint64_t live0 = sim_tls_evp_live();
	struct tlsfx x;
	struct sim_rq_stats st;
	int bad = 0;
	size_t segs = 0;

	CU_ASSERT_EQUAL_FATAL(tlsfx_init(&x, s), 0);
	/* issue 10: static and progress params posted, no record yet: no OpenSSL context */
	CU_ASSERT_EQUAL(sim_tls_evp_live(), live0);
	for (size_t a = 0; a < s->len; a += MSS, segs++) {
		size_t len = s->len - a < MSS ? s->len - a : MSS;

		/* R3: a bad checksum is not handled; TCP drops it and the sender retransmits */
		if (segs == 5 &&
		    deliver(&x, s, a, len, NULL, CS_BAD_L4) != SIM_TLS_RX_NOT_DECRYPTED)
			bad++;
		if (deliver(&x, s, a, len, NULL, CS_GOOD) != SIM_TLS_RX_DECRYPTED)
			bad++;
	}
	CU_ASSERT_EQUAL(bad, 0);
	sim_rq_get_stats(x.f.q.rq, &st);
	CU_ASSERT_EQUAL(st.tls_decrypted, segs);
	CU_ASSERT_EQUAL(st.tls_not_decrypted, 1);
	CU_ASSERT_EQUAL(st.l4_not_ok, 1);
	/* the first record made the GCM one; the RQ decrypts out of place, so an ERROR would
	 * need no CTR context either */
	CU_ASSERT_EQUAL(sim_tls_evp_live(), live0 + 1);
	tlsfx_fini(&x);
	CU_ASSERT_EQUAL(sim_tls_evp_live(), live0); /* destroying the TIR gave it back */
}

/* A corrupted tag byte: the segment holding the end of that record is ERROR and delivered as
 * received; the stream stays in sync and every later segment decrypts. */
static void run_corrupt(const struct stream *s)
{
	uint64_t live0 = sim_tls_evp_live();
	struct tlsfx x;
	size_t k = 9, bad_at = s->off[k] + s->rlen[k] - 1, seg_a = bad_at / MSS * MSS;
	static uint8_t seg[MSS];
	int bad = 0, errors = 0;

	CU_ASSERT_EQUAL_FATAL(tlsfx_init(&x, s), 0);
	for (size_t a = 0; a < s->len; a += MSS) {
		size_t len = s->len - a < MSS ? s->len - a : MSS;
		int want = SIM_TLS_RX_DECRYPTED, got;

		if (a == seg_a) {
			memcpy(seg, s->wire + a, len);
			seg[bad_at - a] ^= 0x01;
			want = SIM_TLS_RX_ERROR;
			got = deliver(&x, s, a, len, seg, CS_GOOD);
		} else {
			got = deliver(&x, s, a, len, NULL, CS_GOOD);
		}
		errors += got == SIM_TLS_RX_ERROR;
		if (got != want) {
			printf("\n  %s: segment at %zu status %d want %d", suite_name(s), a, got,
			       want);
			bad++;
		}
	}
	CU_ASSERT_EQUAL(bad, 0);
	CU_ASSERT_EQUAL(errors, 1);
	/* the ERROR segment goes out as received from the frame (out of place): the engine made
	 * no CTR context for a restore */
	CU_ASSERT_EQUAL(sim_tls_evp_live(), live0 + 1);
	tlsfx_fini(&x);
}

/*
 * A lost segment that held a record header: the tracker loses sync (segments pass as received),
 * scans, and raises RESYNC on one segment; GET_PSV through the SQ reads TRACKING/NO_OFFLOAD and
 * hw_resync_tcp_sn, which must be a true record start; the answer (static params: that sequence
 * and that record's number) brings DECRYPTED back, and the rest of the stream decrypts.
 */
static void run_header_loss(const struct stream *s)
{
	struct tlsfx x;
	size_t drop = 0, guess = SIZE_MAX;
	int resyncs = 0, bad = 0, decrypted_after = 0, errors = 0;
	bool answered = false, resumed = false;

	CU_ASSERT_EQUAL_FATAL(tlsfx_init(&x, s), 0);
	/* the first segment from the 6th on that holds a whole record header */
	for (size_t a = 5 * MSS; a < s->len && !drop; a += MSS)
		for (size_t r = 0; r < s->n; r++)
			if (s->off[r] >= a && s->off[r] + 5 <= a + MSS)
				drop = a;
	CU_ASSERT_FATAL(drop > 0);
	for (size_t a = 0; a < s->len; a += MSS) {
		size_t len = s->len - a < MSS ? s->len - a : MSS;
		int st;

		if (a == drop)
			continue;
		st = deliver(&x, s, a, len, NULL, CS_GOOD);
		if (st < 0)
			bad++;
		errors += st == SIM_TLS_RX_ERROR;
		if (a < drop && st != SIM_TLS_RX_DECRYPTED)
			bad++;
		if (a > drop && !answered && st == SIM_TLS_RX_DECRYPTED)
			bad++; /* out of sync: nothing decrypts until the answer */
		if (answered) {
			if (st == SIM_TLS_RX_DECRYPTED) {
				resumed = true;
				decrypted_after++;
			} else if (resumed) {
				bad++; /* once resumed, it stays in sync */
			}
		}
		if (st == SIM_TLS_RX_RESYNC) {
			uint32_t hw_seq;
			struct tls_static_info si = s->si;

			resyncs++;
			/* fact sheet 11.4 steps 2-3: GET_PSV, 64-byte aligned buffer */
			memset(x.psv, 0xee, 64);
			post_get_psv(&x.t, x.tirn, x.f.q.lkey, (uintptr_t)x.psv, 0x10);
			CU_ASSERT_EQUAL_FATAL(txq_run(&x.t), 0);
			CU_ASSERT_EQUAL(get32(x.psv), x.tirn);
			CU_ASSERT_EQUAL(x.psv[12], 0x40); /* TRACKING, NO_OFFLOAD */
			CU_ASSERT_EQUAL(x.psv[16], 0xee); /* only the 16-byte image is written */
			hw_seq = get32(x.psv + 8);
			for (size_t r = 0; r < s->n; r++)
				if (SEQ0 + (uint32_t)s->off[r] == hw_seq)
					guess = r;
			CU_ASSERT_FATAL(guess != SIZE_MAX); /* a true record start */
			/* the kernel's condition: a header starting inside the RESYNC packet */
			CU_ASSERT(s->off[guess] >= a && s->off[guess] < a + len);
			/* step 4-5: static params only, that record's number at that sequence */
			put64(si.rec_seq, s->rn0 + guess);
			si.resync_tcp_sn = hw_seq;
			si.dek_index = x.dek;
			post_static_tir(&x.t, x.tirn, &si);
			CU_ASSERT_EQUAL_FATAL(txq_run(&x.t), 0);
			answered = true;
		}
	}
	CU_ASSERT_EQUAL(bad, 0);
	CU_ASSERT_EQUAL(errors, 0);
	CU_ASSERT_EQUAL(resyncs, 1);
	CU_ASSERT(resumed);
	/* after the answer GET_PSV reads TRACKING/OFFLOAD */
	post_get_psv(&x.t, x.tirn, x.f.q.lkey, (uintptr_t)x.psv, 0x10);
	CU_ASSERT_EQUAL(txq_run(&x.t), 0);
	CU_ASSERT_EQUAL(x.psv[12], 0x50);
	printf("\n  %s: segment at %zu lost; RESYNC named record %zu; %d segments decrypted after "
	       "the answer",
	       suite_name(s), drop, guess, decrypted_after);
	tlsfx_fini(&x);
}

static void test_tls_end_to_end(void)
{
	static const struct {
		int version;
		unsigned bits;
	} combos[] = {
		{ TLS1_2_VERSION, 128 },
		{ TLS1_2_VERSION, 256 },
		{ TLS1_3_VERSION, 128 },
		{ TLS1_3_VERSION, 256 },
	};

	for (size_t i = 0; i < sizeof(combos) / sizeof(combos[0]); i++) {
		struct stream s;

		CU_ASSERT_EQUAL_FATAL(stream_make(&s, combos[i].version, combos[i].bits), 0);
		run_in_order(&s);
		run_corrupt(&s);
		run_header_loss(&s);
		stream_free(&s);
	}
}

/* The TIR WQEs' own rules (sq_tls_wqe.c): unknown / plain TIR, params before static, GET_PSV
 * format, alignment and memory access, the DEK's owner. */
static void test_tir_wqes(void)
{
	struct fx f;
	struct txq t;
	struct tls_static_info si = { 0 };
	uint8_t key[16] = { 1, 2, 3 };
	uint32_t dek, tls_tir, plain_tir, ro_lkey = 0, other_dek;
	uint16_t other;
	uint32_t other_pd;
	uint8_t *ro = aligned_alloc(64, 4096);
	uint8_t *w;

	FX_INIT(&f, NULL, 2, 2);
	CU_ASSERT_FATAL(ro != NULL);
	CU_ASSERT_EQUAL_FATAL(txq_init(&t, f.dev, f.tis, f.pd, NULL), 0);
	dek = create_dek(f.dev, f.uid, f.pd, key, 16);
	tls_tir = create_tir(f.dev, f.uid, f.td, f.q.ri.rqn, 1);
	plain_tir = create_tir(f.dev, f.uid, f.td, f.q.ri.rqn, 0);
	CU_ASSERT_EQUAL_FATAL(sim_uctx_alloc(f.dev, &other), 0);
	other_pd = new_num(f.dev, other, MLX5_CMD_OP_ALLOC_PD);
	other_dek = create_dek(f.dev, other, other_pd, key, 16);
	CU_ASSERT_FATAL(dek && tls_tir && plain_tir && other_dek);
	CU_ASSERT_EQUAL_FATAL(sim_mr_reg(f.dev, f.pd, ro, 4096, &ro_lkey), 0);
	si.dek_index = dek;

	post_static_tir(&t, tls_tir + 100, &si);
	CU_ASSERT_EQUAL(txq_run(&t), SQ_ERR(MLX5_CQE_SYNDROME_LOCAL_QP_OP_ERR,
					    SIM_VSYND_TIR_UNKNOWN));
	txq_recover(&t);
	post_static_tir(&t, plain_tir, &si);
	CU_ASSERT_EQUAL(txq_run(&t), SQ_ERR(MLX5_CQE_SYNDROME_LOCAL_QP_OP_ERR,
					    SIM_VSYND_TIR_NOT_TLS));
	txq_recover(&t);
	/* a TIS number where a TIR is due: no TIR has it */
	post_progress_tir(&t, f.tis, 1);
	CU_ASSERT_EQUAL(txq_run(&t), SQ_ERR(MLX5_CQE_SYNDROME_LOCAL_QP_OP_ERR,
					    SIM_VSYND_TIR_UNKNOWN));
	txq_recover(&t);
	post_progress_tir(&t, tls_tir, 1);
	CU_ASSERT_EQUAL(txq_run(&t), SQ_ERR(MLX5_CQE_SYNDROME_LOCAL_QP_OP_ERR,
					    SIM_VSYND_TIR_NO_CONTEXT));
	txq_recover(&t);
	post_get_psv(&t, tls_tir, f.q.lkey, (uintptr_t)f.q.mem, 0x10);
	CU_ASSERT_EQUAL(txq_run(&t), SQ_ERR(MLX5_CQE_SYNDROME_LOCAL_QP_OP_ERR,
					    SIM_VSYND_TIR_NO_CONTEXT));
	txq_recover(&t);
	/* the DEK of another uid (a TIR has no PD to compare) */
	si.dek_index = other_dek;
	post_static_tir(&t, tls_tir, &si);
	CU_ASSERT_EQUAL(txq_run(&t), SQ_ERR(MLX5_CQE_SYNDROME_LOCAL_QP_OP_ERR,
					    SIM_VSYND_DEK_NOT_OWNED));
	txq_recover(&t);
	si.dek_index = dek + 1000;
	post_static_tir(&t, tls_tir, &si);
	CU_ASSERT_EQUAL(txq_run(&t), SQ_ERR(MLX5_CQE_SYNDROME_LOCAL_QP_OP_ERR,
					    SIM_VSYND_DEK_INVALID));
	txq_recover(&t);
	si.dek_index = dek;
	post_static_tir(&t, tls_tir, &si);
	post_progress_tir(&t, tls_tir, 1);
	CU_ASSERT_EQUAL(txq_run(&t), 0);
	/* progress params other than a START are not what a driver posts */
	w = txq_reserve(&t, 1);
	wqe_build_progress_params(w, t.pc, t.si.sqn, MLX5TLS_OPC_MOD_TIR, tls_tir, false, 1);
	w[28] = 0x40; /* TRACKING */
	t.pc++;
	CU_ASSERT_EQUAL(txq_run(&t), SQ_ERR(MLX5_CQE_SYNDROME_LOCAL_QP_OP_ERR,
					    SIM_VSYND_PROGRESS_PARAMS));
	txq_recover(&t);
	/* GET_PSV: format, alignment, memory */
	post_get_psv(&t, tls_tir, f.q.lkey, (uintptr_t)f.q.mem, 0x20);
	CU_ASSERT_EQUAL(txq_run(&t), SQ_ERR(MLX5_CQE_SYNDROME_LOCAL_QP_OP_ERR,
					    SIM_VSYND_GET_PSV_FORMAT));
	txq_recover(&t);
	post_get_psv(&t, tls_tir, f.q.lkey, (uintptr_t)f.q.mem, 0x10);
	put32(t.last + 52, 5); /* psv_index[1] */
	CU_ASSERT_EQUAL(txq_run(&t), SQ_ERR(MLX5_CQE_SYNDROME_LOCAL_QP_OP_ERR,
					    SIM_VSYND_GET_PSV_FORMAT));
	txq_recover(&t);
	post_get_psv(&t, tls_tir, f.q.lkey, (uintptr_t)f.q.mem + 32, 0x10);
	CU_ASSERT_EQUAL(txq_run(&t), SQ_ERR(MLX5_CQE_SYNDROME_LOCAL_QP_OP_ERR,
					    SIM_VSYND_GET_PSV_ALIGN));
	txq_recover(&t);
	post_get_psv(&t, tls_tir, ro_lkey, (uintptr_t)ro, 0x10);
	CU_ASSERT_EQUAL(txq_run(&t), SQ_ERR(MLX5_CQE_SYNDROME_LOCAL_PROT_ERR,
					    SIM_VSYND_MR_NO_WRITE));
	txq_recover(&t);
	post_get_psv(&t, plain_tir, f.q.lkey, (uintptr_t)f.q.mem, 0x10);
	CU_ASSERT_EQUAL(txq_run(&t), SQ_ERR(MLX5_CQE_SYNDROME_LOCAL_QP_OP_ERR,
					    SIM_VSYND_TIR_NOT_TLS));
	txq_recover(&t);
	w = txq_reserve(&t, 1);
	post_get_psv(&t, tls_tir, f.q.lkey, (uintptr_t)f.q.mem, 0x10);
	w[0] = MLX5TLS_OPC_MOD_TIS;
	CU_ASSERT_EQUAL(txq_run(&t), SQ_ERR(MLX5_CQE_SYNDROME_LOCAL_QP_OP_ERR,
					    SIM_VSYND_BAD_OPC_MOD));
	txq_recover(&t);
	/* and the good one: START, next_record_tcp_sn 1, nothing received yet (R12) */
	post_get_psv(&t, tls_tir, f.q.lkey, (uintptr_t)f.q.mem, 0x10);
	CU_ASSERT_EQUAL(txq_run(&t), 0);
	{
		static const uint8_t start[12] = { 0, 0, 0, 1 };

		CU_ASSERT_EQUAL(get32(f.q.mem), tls_tir);
		TEST_ASSERT_BYTES("GET_PSV image", f.q.mem + 4, start, 12);
	}
	{
		struct sim_sq_stats st;

		sim_sq_get_stats(t.sq, &st);
		CU_ASSERT_EQUAL(st.tls_rx_static, 1);
		CU_ASSERT_EQUAL(st.tls_rx_progress, 1);
		CU_ASSERT_EQUAL(st.get_psv, 1);
	}
	CU_ASSERT_STRING_EQUAL(sim_sq_vsynd_str(SIM_VSYND_GET_PSV_ALIGN), "GET_PSV_ALIGN");
	txq_fini(&t);
	CU_ASSERT_EQUAL(sim_mr_dereg(f.dev, ro_lkey), 0);
	free(ro);
	fx_fini(&f);
}

/* ---- concurrency: the receive path against the control plane and the driver ---- */

#define CONC_FRAMES 20000

struct conc {
	struct fx *f;
	struct rxq *q2;
	uint8_t fr[256];
	size_t n;
	int inj_done;
	int ctl_errors;
};

static void *conc_inject(void *arg)
{
	struct conc *c = arg;

	for (int i = 0; i < CONC_FRAMES; i++)
		sim_dev_rx(c->f->dev, c->fr, c->n);
	__atomic_store_n(&c->inj_done, 1, __ATOMIC_RELEASE);
	return NULL;
}

/* TIRs created and destroyed, rules added and deleted, the default moved, while frames flow */
static void *conc_control(void *arg)
{
	struct conc *c = arg;
	struct sim_flow_match m;

	flow_match(&flow_v6, 6, &m);
	for (int i = 0; !__atomic_load_n(&c->inj_done, __ATOMIC_ACQUIRE) || i < 100; i++) {
		uint32_t tirn = create_tir(c->f->dev, c->f->uid, c->f->td, c->q2->ri.rqn, i & 1);
		uint32_t rule = 0;

		if (!tirn || sim_steer_add(c->f->dev, &m, tirn, &rule) ||
		    sim_steer_set_default(c->f->dev, (i & 2) ? c->q2->ri.rqn : 0) ||
		    sim_steer_del(c->f->dev, rule) || destroy_tir(c->f->dev, c->f->uid, tirn))
			c->ctl_errors++;
	}
	return NULL;
}

/* The driver (this thread) keeps the RQ full and consumes CQEs while one thread receives and
 * another changes the steering; every frame is delivered or counted as out of buffer. */
static void test_concurrency(void)
{
	struct fx f;
	struct rxq q2;
	struct conc c = { 0 };
	struct sim_flow_match m;
	uint32_t tirn, rule = 0;
	pthread_t inj, ctl;
	struct sim_rq_stats st;
	uint64_t cqes = 0;
	int idle = 0;

	FX_INIT(&f, NULL, 6, 8);
	CU_ASSERT_EQUAL_FATAL(rxq_init(&q2, f.dev, f.uid, f.pd, 2, 2, SIM_MR_ACCESS_LOCAL_WRITE, 2),
			      0);
	tirn = create_tir(f.dev, f.uid, f.td, f.q.ri.rqn, 0);
	flow_match(&flow_v4, 6, &m);
	CU_ASSERT_EQUAL_FATAL(sim_steer_add(f.dev, &m, tirn, &rule), 0);
	c.f = &f;
	c.q2 = &q2;
	c.n = frame(c.fr, &flow_v4, 6, 1, 0x18, payload, 64, CS_GOOD, false);
	rxq_post(&f.q, 64);
	CU_ASSERT_EQUAL_FATAL(pthread_create(&inj, NULL, conc_inject, &c), 0);
	CU_ASSERT_EQUAL_FATAL(pthread_create(&ctl, NULL, conc_control, &c), 0);
	while (idle < 1000) {
		const struct mlx5_cqe64 *cqe = rxq_poll(&f.q);

		if (cqe) {
			if ((cqe->op_own >> 4) != MLX5_CQE_RESP_SEND ||
			    be32toh(cqe->byte_cnt) != c.n)
				c.ctl_errors++;
			cqes++;
			rxq_post(&f.q, 1);
			idle = 0;
		} else if (__atomic_load_n(&c.inj_done, __ATOMIC_ACQUIRE)) {
			idle++;
		}
	}
	pthread_join(inj, NULL);
	pthread_join(ctl, NULL);
	CU_ASSERT_EQUAL(c.ctl_errors, 0);
	sim_rq_get_stats(f.q.rq, &st);
	CU_ASSERT_EQUAL(st.packets, cqes);
	CU_ASSERT_EQUAL(st.packets + st.out_of_buffer, CONC_FRAMES);
	CU_ASSERT_EQUAL(st.err_cqes, 0);
	CU_ASSERT_EQUAL(sim_steer_set_default(f.dev, 0), 0);
	CU_ASSERT_EQUAL(sim_steer_del(f.dev, rule), 0);
	CU_ASSERT_EQUAL(destroy_tir(f.dev, f.uid, tirn), 0);
	rxq_fini(f.dev, &q2);
	fx_fini(&f);
}

/* ---- a TLS TIR destroyed while frames for it are delivered (tls_rx_ctx.c LIFETIME) ---- */

#define TIR_ROUNDS 150

struct tir_race {
	struct fx *f;
	uint8_t fr[256];
	size_t n;
	int stop;
	uint64_t sent;
};

static void *tir_race_inject(void *arg)
{
	struct tir_race *c = arg;

	while (!__atomic_load_n(&c->stop, __ATOMIC_ACQUIRE)) {
		sim_dev_rx(c->f->dev, c->fr, c->n);
		__atomic_fetch_add(&c->sent, 1, __ATOMIC_RELEASE);
	}
	return NULL;
}

/* One thread receives frames of a flow without pause; this one creates a TLS TIR, keys it
 * (static and progress params through an SQ), steers the flow to it, lets frames through, then
 * deletes the rule and destroys the TIR (its context goes), TIR_ROUNDS times. The RQ caches the
 * context of the TIR it delivers for: no delivery may use a context after its TIR's destroy
 * freed it (ASan/TSan builds see it), every frame steered to a TLS TIR went through the TLS
 * stage with that TIR's context (no frame of a live rule finds none), and the others were
 * dropped for want of a rule, as the device drops them. A TIR number reused later starts with
 * no context. */
static void test_tir_destroy_in_flight(void)
{
	struct fx f;
	struct txq t;
	struct tir_race c = { 0 };
	struct tls_static_info si = { 0 };
	struct sim_flow_match m;
	struct sim_rq_stats st;
	struct sim_rx_stats rs;
	uint8_t key[16] = { 7, 6, 5 };
	uint32_t dek, tirn = 0;
	pthread_t inj;
	int errors = 0;

	FX_INIT(&f, NULL, 6, 8);
	CU_ASSERT_EQUAL_FATAL(txq_init(&t, f.dev, f.tis, f.pd, NULL), 0);
	dek = create_dek(f.dev, f.uid, f.pd, key, 16);
	CU_ASSERT_FATAL(dek != 0);
	si.dek_index = dek;
	flow_match(&flow_v4, 6, &m);
	c.f = &f;
	c.n = frame(c.fr, &flow_v4, 6, 1, 0x18, payload, 64, CS_GOOD, false);
	rxq_post(&f.q, 64);
	CU_ASSERT_EQUAL_FATAL(pthread_create(&inj, NULL, tir_race_inject, &c), 0);
	for (int i = 0; i < TIR_ROUNDS; i++) {
		uint32_t rule = 0;

		tirn = create_tir(f.dev, f.uid, f.td, f.q.ri.rqn, 1);
		if (!tirn) {
			errors++;
			break;
		}
		post_static_tir(&t, tirn, &si);
		post_progress_tir(&t, tirn, 1);
		if (txq_run(&t) || sim_steer_add(f.dev, &m, tirn, &rule)) {
			errors++;
			break;
		}
		/* frames through the rule (two: the first may have begun before it), a different
		 * number each round; the TIR then goes while the next ones are on their way */
		{
			uint64_t s0 = __atomic_load_n(&c.sent, __ATOMIC_ACQUIRE);
			uint64_t want = s0 + 2 + (uint64_t)(i % 7) * 10;
			long spins = 0;

			while (__atomic_load_n(&c.sent, __ATOMIC_ACQUIRE) < want && spins++ < 50000000)
				sched_yield();
			if (spins >= 50000000)
				errors++; /* the injector stopped */
		}
		if (sim_steer_del(f.dev, rule) || destroy_tir(f.dev, f.uid, tirn))
			errors++;
	}
	__atomic_store_n(&c.stop, 1, __ATOMIC_RELEASE);
	pthread_join(inj, NULL);
	CU_ASSERT_EQUAL(errors, 0);
	sim_rq_get_stats(f.q.rq, &st);
	sim_dev_get_rx_stats(f.dev, &rs);
	CU_ASSERT_EQUAL(rs.frames, c.sent);
	CU_ASSERT_EQUAL(rs.steered + rs.no_match, c.sent);
	CU_ASSERT(rs.steered > 0);
	/* each steered frame through the TLS stage of a keyed TIR */
	CU_ASSERT_EQUAL(st.tls_no_context, 0);
	CU_ASSERT_EQUAL(st.tls_engine_errors, 0);
	CU_ASSERT_EQUAL(st.tls_not_decrypted + st.tls_decrypted + st.tls_resync + st.tls_error,
			rs.steered);
	CU_ASSERT_EQUAL(st.packets + st.out_of_buffer, rs.steered);
	/* a new TIR on the same RQ, not keyed: its frames find no context (not the cached one) */
	tirn = create_tir(f.dev, f.uid, f.td, f.q.ri.rqn, 1);
	{
		uint32_t rule = 0;

		CU_ASSERT_EQUAL_FATAL(sim_steer_add(f.dev, &m, tirn, &rule), 0);
		sim_dev_rx(f.dev, c.fr, c.n);
		sim_rq_get_stats(f.q.rq, &st);
		CU_ASSERT_EQUAL(st.tls_no_context, 1);
		CU_ASSERT_EQUAL(sim_steer_del(f.dev, rule), 0);
	}
	CU_ASSERT_EQUAL(destroy_tir(f.dev, f.uid, tirn), 0);
	txq_fini(&t);
	fx_fini(&f);
}

static int suite_cleanup(void)
{
	tls_peer_global_cleanup();
	return 0;
}

static const struct test_case cases[] = {
	{ "RQ objects and states", test_rq_objects },
	{ "delivery, CQE fields, owner-bit wrap", test_delivery_and_wrap },
	{ "out of buffer", test_out_of_buffer },
	{ "checksum flags and header types", test_checksum_flags },
	{ "checksum of dropped and padded frames", test_checksum_dropped_and_padded },
	{ "steering", test_steering },
	{ "steering rules under churn", test_steering_churn },
	{ "RQ errors and CQ overrun", test_rq_errors },
	{ "loopback port from another device", test_loopback_port },
	{ "TIR WQEs through the SQ", test_tir_wqes },
	{ "TLS RX end to end: in order, corrupted, header lost", test_tls_end_to_end },
	{ "receive path against control plane and driver threads", test_concurrency },
	{ "TLS TIR destroyed while its frames are delivered", test_tir_destroy_in_flight },
	{ NULL, NULL },
};

static const struct test_suite suites[] = {
	{ "sim RQ", NULL, suite_cleanup, cases },
	{ NULL, NULL, NULL, NULL },
};

int main(void)
{
	return test_run_suites(suites);
}
