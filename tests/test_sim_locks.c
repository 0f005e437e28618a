/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Device model: what its narrower locks must still guarantee (issue 10, threads scaling).
 *  - A send queue finds its TIS's TLS context through its own cached reference, not the table
 *    (sim/tls_ctx.c LIFETIME). A context dropped while cached (its DEK re-keyed or destroyed,
 *    its TIS destroyed) must not be used again: a WQE naming the TIS sees TIS_NO_CONTEXT or
 *    TIS_UNKNOWN, and after new static params the new context, with the new key.
 *  - DEK MODIFY and QUERY run outside the device lock (sim/dek.c): their rules (one load per
 *    element per sync epoch, unknown and not-owned ids) are unchanged.
 *  - Two threads, each with its own queue, creating, keying, using and destroying DEKs and TISes
 *    at once: every frame is encrypted with its own context's key (run under ThreadSanitizer by
 *    the TSan section of .ci/run when listed there).
 * The TLS engine is a recording one whose "encryption" XORs the payload with the key's first
 * byte, so a frame shows which key (which context) encrypted it.
 */
#include <endian.h>
#include <errno.h>
#include <infiniband/mlx5dv.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "be_bytes.h"
#include "dek_cmd.h"
#include "prm/mlx5_ifc_tls.h"
#include "sim/port.h"
#include "sim/sim.h"
#include "sim/sq.h"
#include "sim/syndromes.h"
#include "sim_test_util.h"
#include "test_util.h"
#include "wqe.h"

#define MEM_LEN (64u * 1024u)
#define PLEN 100u
#define HDR_LEN 54u

/* ---- the recording engine: thread-safe, counts live states ---- */

static atomic_int live_states;

struct xor_tls {
	uint8_t key0;
	int n_data;
};

static void *xor_create(void)
{
	struct xor_tls *t = calloc(1, sizeof(*t));

	if (t)
		atomic_fetch_add(&live_states, 1);
	return t;
}

static void xor_destroy(void *st)
{
	atomic_fetch_sub(&live_states, 1);
	free(st);
}

static int xor_static(void *st, const uint8_t params[64], const uint8_t *key, size_t key_len)
{
	(void)params;
	(void)key_len;
	((struct xor_tls *)st)->key0 = key[0];
	return 0;
}

static int xor_progress(void *st, const uint8_t params[12])
{
	(void)st;
	(void)params;
	return 0;
}

static int xor_dump(void *st, const uint8_t *data, size_t len)
{
	(void)st;
	(void)data;
	(void)len;
	return 0;
}

static int xor_data(void *st, uint32_t tcp_seq, uint8_t *payload, size_t len)
{
	struct xor_tls *t = st;

	(void)tcp_seq;
	t->n_data++;
	for (size_t i = 0; i < len; i++)
		payload[i] ^= t->key0;
	return 0;
}

static const struct sim_tls_engine_ops xor_ops = {
	.create = xor_create,
	.destroy = xor_destroy,
	.set_static = xor_static,
	.set_progress = xor_progress,
	.dump = xor_dump,
	.data = xor_data,
};

/* ---- commands ---- */

static uint32_t create_tis(struct sim_dev *dev, uint16_t uid, uint32_t td, uint32_t pd)
{
	uint32_t in[DEVX_ST_SZ_DW(create_tis_in)] = { 0 };
	uint8_t out[16] = { 0 };

	DEVX_SET(create_tis_in, in, opcode, MLX5_CMD_OP_CREATE_TIS);
	DEVX_SET(create_tis_in, in, ctx.tls_en, 1);
	DEVX_SET(create_tis_in, in, ctx.transport_domain, td);
	DEVX_SET(create_tis_in, in, ctx.pd, pd);
	if (sim_cmd_exec(dev, uid, in, sizeof(in), out, sizeof(out)))
		return 0;
	return DEVX_GET(create_tis_out, out, tisn);
}

static int destroy_tis(struct sim_dev *dev, uint16_t uid, uint32_t tisn)
{
	uint32_t in[DEVX_ST_SZ_DW(destroy_tis_in)] = { 0 };
	uint8_t out[16] = { 0 };

	DEVX_SET(destroy_tis_in, in, opcode, MLX5_CMD_OP_DESTROY_TIS);
	DEVX_SET(destroy_tis_in, in, tisn, tisn);
	return sim_cmd_exec(dev, uid, in, sizeof(in), out, sizeof(out));
}

/* A 16-byte key whose first byte is k0 (the engine's XOR byte). */
static void key_of(uint8_t key[16], uint8_t k0)
{
	for (int i = 0; i < 16; i++)
		key[i] = (uint8_t)(k0 + i);
}

static int dek_cmd(struct sim_dev *dev, uint16_t uid, const uint8_t *in, size_t inlen,
		   uint8_t *out, size_t outlen)
{
	memset(out, 0, outlen);
	return sim_cmd_exec(dev, uid, in, inlen, out, outlen);
}

/* A single DEK keyed with key_of(k0); its id, or 0. */
static uint32_t create_dek(struct sim_dev *dev, uint16_t uid, uint32_t pd, uint8_t k0)
{
	uint8_t in[DEK_CREATE_IN_SZ] = { 0 }, out[DEK_HDR_OUT_SZ], key[16];
	struct cmd_secret secret;
	int ret;

	key_of(key, k0);
	dek_encode_create(in, pd, key, 16, 0, &secret);
	explicit_bzero(key, sizeof(key));
	ret = dek_cmd(dev, uid, in, sizeof(in), out, sizeof(out));
	explicit_bzero(in, sizeof(in));
	return ret ? 0 : get32(out + 8);
}

static uint32_t create_bulk(struct sim_dev *dev, uint16_t uid, uint32_t pd, unsigned int log)
{
	uint8_t in[DEK_CREATE_IN_SZ] = { 0 }, out[DEK_HDR_OUT_SZ];

	dek_encode_create_bulk(in, pd, log);
	if (dek_cmd(dev, uid, in, sizeof(in), out, sizeof(out)))
		return 0;
	return get32(out + 8);
}

/* MODIFY element `off` of `base` to key_of(k0): 0 or -EREMOTEIO (syndrome in *synd). */
static int modify_dek(struct sim_dev *dev, uint16_t uid, uint32_t pd, uint32_t base,
		      uint32_t off, uint8_t k0, uint32_t *synd)
{
	uint8_t in[DEK_MODIFY_IN_SZ] = { 0 }, out[DEK_HDR_OUT_SZ], key[16];
	struct cmd_secret secret;
	int ret;

	key_of(key, k0);
	dek_encode_modify(in, base, off, pd, key, 16, &secret);
	explicit_bzero(key, sizeof(key));
	ret = dek_cmd(dev, uid, in, sizeof(in), out, sizeof(out));
	explicit_bzero(in, sizeof(in));
	if (synd)
		*synd = out_syndrome(out);
	return ret;
}

static int query_dek(struct sim_dev *dev, uint16_t uid, uint32_t id, uint32_t off)
{
	uint8_t in[DEK_HDR_IN_SZ] = { 0 }, out[DEK_QUERY_OUT_SZ];

	dek_encode_query(in, id, off);
	return dek_cmd(dev, uid, in, sizeof(in), out, sizeof(out));
}

static int destroy_dek(struct sim_dev *dev, uint16_t uid, uint32_t id)
{
	uint8_t in[DEK_HDR_IN_SZ] = { 0 }, out[DEK_HDR_OUT_SZ];

	dek_encode_destroy(in, id);
	return dek_cmd(dev, uid, in, sizeof(in), out, sizeof(out));
}

static int sync_crypto(struct sim_dev *dev, uint16_t uid)
{
	uint8_t in[SYNC_CRYPTO_IN_SZ] = { 0 }, out[DEK_HDR_OUT_SZ];

	sync_crypto_encode(in, MLX5_SYNC_CRYPTO_TYPE_TLS);
	return dek_cmd(dev, uid, in, sizeof(in), out, sizeof(out));
}

/* ---- one send queue with its CQ, capture port and registered memory ---- */

struct q {
	struct sim_dev *dev;
	uint32_t pd;
	struct sim_port *cap;
	struct sim_cq *cq;
	struct sim_cq_info cqi;
	struct sim_sq *sq;
	struct sim_sq_info sqi;
	uint16_t pc;
	uint32_t cq_ci;
	uint8_t *last_ctrl;
	uint8_t *mem;
	uint32_t lkey;
};

static int q_init(struct q *q, struct sim_dev *dev, uint32_t pd, uint32_t tisn)
{
	struct sim_cq_attr ca = { .log_cqes = 4 };
	struct sim_sq_attr sa = { 0 };

	memset(q, 0, sizeof(*q));
	q->dev = dev;
	q->pd = pd;
	q->cap = sim_port_capture_create(64);
	q->cq = sim_cq_create(dev, &ca);
	if (!q->cap || !q->cq)
		return -1;
	sim_cq_query(q->cq, &q->cqi);
	sa.log_wqebbs = 4;
	sa.cq = q->cq;
	sa.tisn = tisn;
	sa.pd = pd;
	sa.port = q->cap;
	sa.tls_ops = &xor_ops;
	q->sq = sim_sq_create(dev, &sa);
	if (!q->sq)
		return -1;
	sim_sq_query(q->sq, &q->sqi);
	if (sim_sq_modify(q->sq, SIM_SQ_RDY))
		return -1;
	q->mem = aligned_alloc(64, MEM_LEN);
	if (!q->mem)
		return -1;
	for (uint32_t i = 0; i < PLEN; i++)
		q->mem[i] = (uint8_t)(i * 3 + 1);
	return sim_mr_reg(dev, pd, q->mem, MEM_LEN, &q->lkey);
}

/* Everything q_init made, whichever step it reached. */
static void q_fini(struct q *q)
{
	sim_sq_destroy(q->sq);
	if (q->cq)
		CU_ASSERT_EQUAL(sim_cq_destroy(q->cq), 0);
	if (q->lkey)
		CU_ASSERT_EQUAL(sim_mr_dereg(q->dev, q->lkey), 0);
	sim_port_destroy(q->cap);
	free(q->mem);
}

static uint8_t *slot(struct q *q, uint16_t idx)
{
	return (uint8_t *)q->sqi.buf + (size_t)(idx & (q->sqi.wqe_cnt - 1)) * 64;
}

static void ring_and_process(struct q *q)
{
	uint64_t ctrl8;

	__atomic_store_n(&q->sqi.dbrec[1], htobe32(q->pc), __ATOMIC_RELEASE);
	memcpy(&ctrl8, q->last_ctrl, 8);
	sim_sq_ring_doorbell(q->sq, ctrl8);
	sim_sq_process(q->sq);
}

static void post_static(struct q *q, uint32_t tisn, uint32_t dek)
{
	uint16_t idx = q->pc;
	void *bb[3] = { slot(q, idx), slot(q, (uint16_t)(idx + 1)), slot(q, (uint16_t)(idx + 2)) };
	struct tls_static_info si = { .dek_index = dek };

	for (int i = 0; i < 3; i++)
		memset(bb[i], 0, 64);
	memcpy(si.salt, "\xa1\xa2\xa3\xa4", 4);
	wqe_build_static_params(bb, idx, q->sqi.sqn, MLX5TLS_OPC_MOD_TIS, tisn, false, &si);
	q->last_ctrl = bb[0];
	q->pc = (uint16_t)(q->pc + 3);
}

/* One SEND through tisn asking for a CQE: Ethernet/IPv4/TCP headers inline (checksums asked
 * for), PLEN payload bytes from q->mem. Returns its WQE index. */
static uint16_t post_send(struct q *q, uint32_t tisn)
{
	uint8_t w[128] = { 0 }, *eth = w + 16, *h = eth + 14, *ip = h + 14, *tcp = h + 34;
	uint16_t idx = q->pc;
	size_t off = 32 + (HDR_LEN - 2 + 15) / 16 * 16;

	eth[4] = 0xc0; /* L3 and L4 checksums */
	put16(eth + 12, HDR_LEN);
	memset(h, 0x02, 12);
	put16(h + 12, 0x0800);
	ip[0] = 0x45;
	put16(ip + 2, 40 + PLEN);
	ip[8] = 64;
	ip[9] = 6;
	put32(ip + 12, 0xc6120001);
	put32(ip + 16, 0xc6120002);
	put16(tcp, 443);
	put16(tcp + 2, 40000);
	put32(tcp + 4, 1000);
	tcp[12] = 0x50;
	tcp[13] = 0x18;
	put16(tcp + 14, 0xffff);
	put32(w + off, PLEN);
	put32(w + off + 4, q->lkey);
	put64(w + off + 8, (uintptr_t)q->mem);
	off += 16;
	wqe_ctrl_fill(w, 0, idx, MLX5TLS_OPCODE_SEND, q->sqi.sqn, (uint8_t)(off / 16),
		      MLX5TLS_WQE_CQ_UPDATE, tisn << 8);
	memcpy(slot(q, idx), w, 64);
	memcpy(slot(q, (uint16_t)(idx + 1)), w + 64, 64);
	q->last_ctrl = slot(q, idx);
	q->pc = (uint16_t)(q->pc + 2);
	return idx;
}

/* The CQE at the consumer index if the device wrote it, else NULL. */
static const uint8_t *cqe_peek(struct q *q)
{
	const uint8_t *cqe =
		(const uint8_t *)q->cqi.buf + (size_t)(q->cq_ci & (q->cqi.cqe_cnt - 1)) * 64;
	uint8_t op_own = __atomic_load_n(&cqe[63], __ATOMIC_ACQUIRE);

	if ((op_own >> 4) == MLX5_CQE_INVALID || (op_own & 1) != !!(q->cq_ci & q->cqi.cqe_cnt))
		return NULL;
	return cqe;
}

static void cqe_consume(struct q *q)
{
	q->cq_ci++;
	__atomic_store_n(&q->cqi.dbrec[0], htobe32(q->cq_ci & 0xffffff), __ATOMIC_RELEASE);
}

/* The next CQE: 0 = success for idx, an error CQE's vendor syndrome (whichever WQE it names),
 * or -1 (none, or a success for another WQE). */
static int next_cqe(struct q *q, uint16_t idx)
{
	const uint8_t *cqe = cqe_peek(q);
	int ret;

	if (!cqe)
		return -1;
	if ((cqe[63] >> 4) != MLX5_CQE_REQ)
		ret = ((const struct mlx5_err_cqe *)cqe)->vendor_err_synd;
	else
		ret = be16toh(((const struct mlx5_cqe64 *)cqe)->wqe_counter) == idx ? 0 : -1;
	cqe_consume(q);
	return ret;
}

/* Back to RDY after an error CQE (ERR -> RST -> RDY, producer counter 0), the CQ drained of
 * the flushed WQEs' CQEs. */
static int recover(struct q *q)
{
	while (cqe_peek(q))
		cqe_consume(q);
	q->pc = 0;
	q->sqi.dbrec[1] = 0;
	if (sim_sq_modify(q->sq, SIM_SQ_RST) || sim_sq_modify(q->sq, SIM_SQ_RDY))
		return -1;
	return 0;
}

/* SEND through tisn: 0 when it completed and its frame's payload is the plain text XOR k0, else
 * the vendor syndrome of its error CQE (the queue recovered), or -1. */
static int send_check(struct q *q, uint32_t tisn, uint8_t k0)
{
	uint16_t idx = post_send(q, tisn);
	const uint8_t *fr;
	size_t len = 0;
	int ret;

	sim_port_capture_clear(q->cap);
	ring_and_process(q);
	ret = next_cqe(q, idx);
	if (ret) {
		if (ret > 0 && recover(q))
			return -1;
		return ret;
	}
	fr = sim_port_capture_frame(q->cap, 0, &len);
	if (!fr || len != HDR_LEN + PLEN)
		return -1;
	for (uint32_t i = 0; i < PLEN; i++)
		if (fr[HDR_LEN + i] != (uint8_t)(q->mem[i] ^ k0))
			return -1;
	return 0;
}

/* ---- single-thread cases ---- */

struct base {
	struct sim_dev *dev;
	uint16_t uid;
	uint32_t pd, td;
};

static void base_init(struct base *b)
{
	memset(b, 0, sizeof(*b));
	b->dev = sim_dev_create(NULL);
	CU_ASSERT_FATAL(b->dev != NULL);
	CU_ASSERT_EQUAL_FATAL(sim_uctx_alloc(b->dev, &b->uid), 0);
	b->pd = new_num(b->dev, b->uid, MLX5_CMD_OP_ALLOC_PD);
	b->td = new_num(b->dev, b->uid, MLX5_CMD_OP_ALLOC_TRANSPORT_DOMAIN);
	CU_ASSERT_FATAL(b->pd && b->td);
}

/*
 * The queue's cached context is the one the DEK's re-key and destroy drop: after each, data
 * through the TIS fails as before any static params (the cache must see the drop), and the next
 * static params bring a new context whose key the frame shows (the cache must not hand out the
 * old one). The engine state goes at the drop, not when the queue lets go of the record.
 */
static void test_cached_ctx_follows_dek(void)
{
	uint32_t tis, bulk, single, synd = 0;
	struct base b;
	struct q q;

	base_init(&b);
	tis = create_tis(b.dev, b.uid, b.td, b.pd);
	bulk = create_bulk(b.dev, b.uid, b.pd, 1);
	CU_ASSERT_FATAL(tis && bulk);
	CU_ASSERT_EQUAL_FATAL(q_init(&q, b.dev, b.pd, tis), 0);
	CU_ASSERT_EQUAL(modify_dek(b.dev, b.uid, b.pd, bulk, 0, 0x31, NULL), 0);

	post_static(&q, tis, bulk);
	CU_ASSERT_EQUAL(send_check(&q, tis, 0x31), 0);
	CU_ASSERT_EQUAL(atomic_load(&live_states), 1);

	/* a second load in the same epoch is still refused, outside the device lock too */
	CU_ASSERT_EQUAL(modify_dek(b.dev, b.uid, b.pd, bulk, 0, 0x32, &synd), -EREMOTEIO);
	CU_ASSERT_EQUAL(synd, SIM_SYND_DEK_REKEY_BEFORE_SYNC);
	CU_ASSERT_EQUAL(send_check(&q, tis, 0x31), 0); /* the refused load dropped nothing */

	/* synced and re-keyed: the cached context is dropped and its state gone at once */
	CU_ASSERT_EQUAL(sync_crypto(b.dev, b.uid), 0);
	CU_ASSERT_EQUAL(modify_dek(b.dev, b.uid, b.pd, bulk, 0, 0x32, NULL), 0);
	CU_ASSERT_EQUAL(atomic_load(&live_states), 0);
	CU_ASSERT_EQUAL(send_check(&q, tis, 0x32), SIM_VSYND_TIS_NO_CONTEXT);
	post_static(&q, tis, bulk);
	CU_ASSERT_EQUAL(send_check(&q, tis, 0x32), 0);

	/* the same through a DEK's destroy */
	single = create_dek(b.dev, b.uid, b.pd, 0x41);
	CU_ASSERT_FATAL(single != 0);
	post_static(&q, tis, single);
	CU_ASSERT_EQUAL(send_check(&q, tis, 0x41), 0);
	CU_ASSERT_EQUAL(destroy_dek(b.dev, b.uid, single), 0);
	CU_ASSERT_EQUAL(atomic_load(&live_states), 0);
	CU_ASSERT_EQUAL(send_check(&q, tis, 0x41), SIM_VSYND_TIS_NO_CONTEXT);
	/* and the destroyed DEK is unknown to static params, MODIFY and QUERY */
	post_static(&q, tis, single);
	CU_ASSERT_EQUAL(send_check(&q, tis, 0x41), SIM_VSYND_DEK_INVALID);
	CU_ASSERT_EQUAL(modify_dek(b.dev, b.uid, b.pd, single, 0, 0x42, &synd), -EREMOTEIO);
	CU_ASSERT_EQUAL(synd, SIM_SYND_DEK_UNKNOWN);
	CU_ASSERT_EQUAL(query_dek(b.dev, b.uid, single, 0), -EREMOTEIO);
	CU_ASSERT_EQUAL(query_dek(b.dev, b.uid, bulk, 0), 0);

	q_fini(&q);
	CU_ASSERT_EQUAL(destroy_tis(b.dev, b.uid, tis), 0);
	CU_ASSERT_EQUAL(destroy_dek(b.dev, b.uid, bulk), 0);
	sim_dev_destroy(b.dev);
	CU_ASSERT_EQUAL(atomic_load(&live_states), 0);
}

/*
 * Two queues on one TIS share its context; destroying the TIS while both cache it ends it for
 * both (TIS_UNKNOWN: the TIS look-up fails first), and a new TIS keyed from the same DEK is a new
 * context for each. A queue that caches another TIS's context lets go of the old one.
 */
static void test_cached_ctx_follows_tis(void)
{
	uint32_t tis, tis2, dek;
	struct q a, c;
	struct base b;

	base_init(&b);
	tis = create_tis(b.dev, b.uid, b.td, b.pd);
	dek = create_dek(b.dev, b.uid, b.pd, 0x51);
	CU_ASSERT_FATAL(tis && dek);
	CU_ASSERT_EQUAL_FATAL(q_init(&a, b.dev, b.pd, tis), 0);
	CU_ASSERT_EQUAL_FATAL(q_init(&c, b.dev, b.pd, tis), 0);
	post_static(&a, tis, dek);
	CU_ASSERT_EQUAL(send_check(&a, tis, 0x51), 0);
	CU_ASSERT_EQUAL(send_check(&c, tis, 0x51), 0); /* found in the table, then cached */
	CU_ASSERT_EQUAL(atomic_load(&live_states), 1);

	CU_ASSERT_EQUAL(destroy_tis(b.dev, b.uid, tis), 0);
	CU_ASSERT_EQUAL(atomic_load(&live_states), 0);
	CU_ASSERT_EQUAL(send_check(&a, tis, 0x51), SIM_VSYND_TIS_UNKNOWN);
	CU_ASSERT_EQUAL(send_check(&c, tis, 0x51), SIM_VSYND_TIS_UNKNOWN);

	tis2 = create_tis(b.dev, b.uid, b.td, b.pd);
	CU_ASSERT_FATAL(tis2 != 0);
	CU_ASSERT_EQUAL(send_check(&a, tis2, 0x51), SIM_VSYND_TIS_NO_CONTEXT);
	post_static(&c, tis2, dek);
	CU_ASSERT_EQUAL(send_check(&c, tis2, 0x51), 0);
	CU_ASSERT_EQUAL(send_check(&a, tis2, 0x51), 0);
	CU_ASSERT_EQUAL(atomic_load(&live_states), 1);

	q_fini(&a);
	q_fini(&c);
	CU_ASSERT_EQUAL(destroy_tis(b.dev, b.uid, tis2), 0);
	CU_ASSERT_EQUAL(destroy_dek(b.dev, b.uid, dek), 0);
	CU_ASSERT_EQUAL(atomic_load(&live_states), 0);
	sim_dev_destroy(b.dev);
}

/*
 * A context re-keyed from another DEK by new static params is no longer the old DEK's: the old
 * one's re-key leaves it (the frame still shows the new key), the new one's destroy drops it. A
 * TIS destroyed while its context is linked to a live DEK, and that DEK destroyed afterwards,
 * leave nothing behind (the by-DEK index's stale entries; ASan would report a leak).
 */
static void test_ctx_moves_between_deks(void)
{
	uint32_t tis, tis2, bulk, single;
	struct base b;
	struct q q;

	base_init(&b);
	tis = create_tis(b.dev, b.uid, b.td, b.pd);
	tis2 = create_tis(b.dev, b.uid, b.td, b.pd);
	bulk = create_bulk(b.dev, b.uid, b.pd, 1);
	single = create_dek(b.dev, b.uid, b.pd, 0x61);
	CU_ASSERT_FATAL(tis && tis2 && bulk && single);
	CU_ASSERT_EQUAL_FATAL(q_init(&q, b.dev, b.pd, tis), 0);
	CU_ASSERT_EQUAL(modify_dek(b.dev, b.uid, b.pd, bulk, 0, 0x71, NULL), 0);

	post_static(&q, tis, bulk);
	CU_ASSERT_EQUAL(send_check(&q, tis, 0x71), 0);
	post_static(&q, tis, single); /* the same context, now keyed from the single DEK */
	CU_ASSERT_EQUAL(send_check(&q, tis, 0x61), 0);
	CU_ASSERT_EQUAL(atomic_load(&live_states), 1);
	CU_ASSERT_EQUAL(sync_crypto(b.dev, b.uid), 0);
	CU_ASSERT_EQUAL(modify_dek(b.dev, b.uid, b.pd, bulk, 0, 0x72, NULL), 0);
	CU_ASSERT_EQUAL(atomic_load(&live_states), 1); /* not the bulk's any more */
	CU_ASSERT_EQUAL(send_check(&q, tis, 0x61), 0);
	/* back to the bulk element and to the single DEK again: each DEK's index holds it twice */
	post_static(&q, tis, bulk);
	CU_ASSERT_EQUAL(send_check(&q, tis, 0x72), 0);
	post_static(&q, tis, single);
	CU_ASSERT_EQUAL(send_check(&q, tis, 0x61), 0);
	CU_ASSERT_EQUAL(destroy_dek(b.dev, b.uid, single), 0);
	CU_ASSERT_EQUAL(atomic_load(&live_states), 0);
	CU_ASSERT_EQUAL(send_check(&q, tis, 0x61), SIM_VSYND_TIS_NO_CONTEXT);

	/* a context linked to a live DEK, its TIS destroyed, then the DEK */
	post_static(&q, tis2, bulk);
	CU_ASSERT_EQUAL(send_check(&q, tis2, 0x72), 0);
	CU_ASSERT_EQUAL(destroy_tis(b.dev, b.uid, tis2), 0);
	CU_ASSERT_EQUAL(atomic_load(&live_states), 0);
	CU_ASSERT_EQUAL(send_check(&q, tis2, 0x72), SIM_VSYND_TIS_UNKNOWN);
	post_static(&q, tis, bulk);
	CU_ASSERT_EQUAL(send_check(&q, tis, 0x72), 0);
	CU_ASSERT_EQUAL(destroy_dek(b.dev, b.uid, bulk), 0);
	CU_ASSERT_EQUAL(atomic_load(&live_states), 0);
	CU_ASSERT_EQUAL(send_check(&q, tis, 0x72), SIM_VSYND_TIS_NO_CONTEXT);

	q_fini(&q);
	CU_ASSERT_EQUAL(destroy_tis(b.dev, b.uid, tis), 0);
	sim_dev_destroy(b.dev);
}

/* ---- two threads, each on its own queue ---- */

struct worker {
	struct base *b;
	pthread_barrier_t *go; /* both queues made before either starts: the rounds overlap */
	unsigned int id;
	unsigned int rounds;
	int failures;
	const char *what;
};

static void fail(struct worker *w, const char *what)
{
	if (!w->failures++)
		w->what = what;
}

/*
 * Per round: a key for this round (a new single DEK, or the bulk's element re-keyed after a
 * sync, whichever the round number picks), static params, a SEND whose frame must show that key,
 * a QUERY; the single DEK destroyed again, after which a SEND fails; every fifth round the TIS
 * is destroyed and another created.
 */
static void *worker_run(void *arg)
{
	struct worker *w = arg;
	struct base *b = w->b;
	uint32_t tis = create_tis(b->dev, b->uid, b->td, b->pd);
	uint32_t bulk = create_bulk(b->dev, b->uid, b->pd, 2);
	struct q q = { 0 };
	int made = tis && bulk && !q_init(&q, b->dev, b->pd, tis);

	pthread_barrier_wait(w->go);
	if (!made) {
		fail(w, "setup");
		q_fini(&q);
		return NULL;
	}
	for (unsigned int r = 0; r < w->rounds && !w->failures; r++) {
		uint8_t k0 = (uint8_t)(w->id * 0x80 + (r % 0x7f) + 1);
		bool single = r % 2 == 0;
		uint32_t dek, off = r % 4;

		if (single) {
			dek = create_dek(b->dev, b->uid, b->pd, k0);
		} else {
			dek = bulk + off;
			/* our own sync makes the load legal whatever the other thread does */
			if (sync_crypto(b->dev, b->uid) ||
			    modify_dek(b->dev, b->uid, b->pd, bulk, off, k0, NULL))
				dek = 0;
		}
		if (!dek) {
			fail(w, "key");
			break;
		}
		post_static(&q, tis, dek);
		if (send_check(&q, tis, k0))
			fail(w, "send with this round's key");
		if (query_dek(b->dev, b->uid, single ? dek : bulk, single ? 0 : off))
			fail(w, "query");
		if (single) {
			if (destroy_dek(b->dev, b->uid, dek))
				fail(w, "destroy DEK");
			if (send_check(&q, tis, k0) != SIM_VSYND_TIS_NO_CONTEXT)
				fail(w, "send after the DEK went");
		}
		if (r % 5 == 4) {
			if (destroy_tis(b->dev, b->uid, tis))
				fail(w, "destroy TIS");
			tis = create_tis(b->dev, b->uid, b->td, b->pd);
			if (!tis)
				fail(w, "create TIS");
		}
	}
	q_fini(&q);
	if (destroy_tis(b->dev, b->uid, tis) || destroy_dek(b->dev, b->uid, bulk))
		fail(w, "teardown");
	return NULL;
}

static void test_two_queues_churn(void)
{
	/* MLX5TLS_STRESS_ROUNDS is test_threads' knob (150 under TSan in .ci/run); a round here is
	 * a few commands and WQEs, so eight times as many */
	const char *env = getenv("MLX5TLS_STRESS_ROUNDS");
	unsigned int rounds = env ? 8u * (unsigned int)strtoul(env, NULL, 10) : 1200;
	pthread_barrier_t go;
	struct worker w[2];
	pthread_t th[2];
	struct sim_dev_stats st;
	struct base b;

	base_init(&b);
	CU_ASSERT_EQUAL_FATAL(pthread_barrier_init(&go, NULL, 2), 0);
	for (unsigned int i = 0; i < 2; i++) {
		w[i] = (struct worker){ .b = &b, .go = &go, .id = i, .rounds = rounds ? rounds : 1 };
		CU_ASSERT_EQUAL_FATAL(pthread_create(&th[i], NULL, worker_run, &w[i]), 0);
	}
	for (unsigned int i = 0; i < 2; i++) {
		pthread_join(th[i], NULL);
		CU_ASSERT_EQUAL(w[i].failures, 0);
		if (w[i].failures)
			printf("\n  thread %u: %d failures, first: %s\n", i, w[i].failures,
			       w[i].what);
	}
	pthread_barrier_destroy(&go);
	CU_ASSERT_EQUAL(atomic_load(&live_states), 0);
	sim_dev_get_stats(b.dev, &st);
	CU_ASSERT_EQUAL(st.tises, 0);
	CU_ASSERT_EQUAL(st.dek_objects, 0);
	CU_ASSERT_EQUAL(st.cmd_errors, 0);
	CU_ASSERT(st.cmds > 6u * w[0].rounds); /* each round ran: 3 commands or more a thread */
	sim_dev_destroy(b.dev);
}

static const struct test_case cases[] = {
	{ "cached TLS context follows its DEK", test_cached_ctx_follows_dek },
	{ "cached TLS context follows its TIS", test_cached_ctx_follows_tis },
	{ "a context re-keyed from another DEK", test_ctx_moves_between_deks },
	{ "two queues: DEK and TIS churn with traffic", test_two_queues_churn },
	{ NULL, NULL },
};

static const struct test_suite suites[] = {
	{ "sim locks", NULL, NULL, cases },
	{ NULL, NULL, NULL, NULL },
};

int main(void)
{
	return test_run_suites(suites);
}
