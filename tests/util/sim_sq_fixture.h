/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The send-queue fixture of the device-model tests (tests/test_sim_sq*.c): a model device with a
 * PD, transport domain, a plain and a TLS TIS, a CQ and an SQ on a capture port, and a
 * registered buffer. WQEs are built with the library's pure builders (wqe.h) and, for SEND/LSO,
 * with this file's own eth-seg builder, written into the ring exactly as a driver writes them to
 * hardware, then announced with dbrec + doorbell. CQEs are read through rdma-core's struct
 * mlx5_cqe64 / mlx5_err_cqe, and checksums are verified with this file's own RFC 1071 code, not
 * the engine's. Also a recording TLS engine (fake_ops) for the model's TLS WQEs.
 *
 * Header-only, as sim_test_util.h: only programs that link the model include it.
 */
#ifndef MLX5TLS_SIM_SQ_FIXTURE_H
#define MLX5TLS_SIM_SQ_FIXTURE_H

#include <endian.h>
#include <errno.h>
#include <infiniband/mlx5dv.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "be_bytes.h"
#include "dek_cmd.h"
#include "inet_csum.h"
#include "prm/mlx5_ifc_tls.h"
#include "sim/port.h"
#include "sim/sim.h"
#include "sim/sq.h"
#include "sim_test_util.h"
#include "test_util.h"
#include "wqe.h"


#define MEM_LEN (1u << 20)

/* Checksum of a TCP/UDP segment incl. its IPv4/IPv6 pseudo-header, with the field as it is. */
static inline uint16_t l4_csum(const uint8_t *ip, bool v6, const uint8_t *l4, uint32_t l4len,
			       uint8_t proto)
{
	uint8_t ph[40] = { 0 };
	size_t phlen;

	if (v6) {
		memcpy(ph, ip + 8, 32);
		put32(ph + 32, l4len);
		ph[39] = proto;
		phlen = 40;
	} else {
		memcpy(ph, ip + 12, 8);
		ph[9] = proto;
		put16(ph + 10, (uint16_t)l4len);
		phlen = 12;
	}
	return test_csum_field(test_csum_add(test_csum_add(0, ph, phlen), l4, l4len));
}

/* Fill in the IPv4 header and TCP checksums of a frame (l3 at 14), the way the test expects. */
static inline void fix_csums_v4(uint8_t *f, size_t len)
{
	uint8_t *ip = f + 14;
	uint32_t ihl = (ip[0] & 0xf) * 4u, tot = get16(ip + 2);
	uint8_t *tcp = ip + ihl;

	(void)len;
	put16(ip + 10, 0);
	put16(ip + 10, test_csum_field(test_csum_add(0, ip, ihl)));
	put16(tcp + 16, 0);
	put16(tcp + 16, l4_csum(ip, false, tcp, tot - ihl, 6));
}

/* ---- frames ---- */

static const uint8_t mac_dst[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x02 };
static const uint8_t mac_src[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x01 };

/* Ethernet + IPv4 (no options) + TCP (no options) headers, 54 bytes, checksums 0. */
static inline size_t hdr_v4(uint8_t *h, uint32_t seq, uint32_t plen, uint16_t ip_id, uint8_t flags)
{
	uint8_t *ip = h + 14, *tcp = h + 34;

	memset(h, 0, 54);
	memcpy(h, mac_dst, 6);
	memcpy(h + 6, mac_src, 6);
	put16(h + 12, 0x0800);
	ip[0] = 0x45;
	put16(ip + 2, (uint16_t)(20 + 20 + plen));
	put16(ip + 4, ip_id);
	put16(ip + 6, 0x4000); /* DF */
	ip[8] = 64;
	ip[9] = 6;
	put32(ip + 12, 0xc6120001);
	put32(ip + 16, 0xc6120002);
	put16(tcp, 443);
	put16(tcp + 2, 40000);
	put32(tcp + 4, seq);
	put32(tcp + 8, 0x11111111);
	tcp[12] = 0x50;
	tcp[13] = flags;
	put16(tcp + 14, 0xffff);
	return 54;
}

/* Ethernet + 802.1Q tag + IPv6 + TCP, 78 bytes, checksum 0. */
static inline size_t hdr_v6_vlan(uint8_t *h, uint32_t seq, uint32_t plen)
{
	uint8_t *ip = h + 18, *tcp = h + 58;

	memset(h, 0, 78);
	memcpy(h, mac_dst, 6);
	memcpy(h + 6, mac_src, 6);
	put16(h + 12, 0x8100);
	put16(h + 14, 0x0064); /* VID 100 */
	put16(h + 16, 0x86dd);
	ip[0] = 0x60;
	put16(ip + 4, (uint16_t)(20 + plen));
	ip[6] = 6;
	ip[7] = 64;
	ip[8] = 0xfd;
	ip[23] = 1;
	ip[24] = 0xfd;
	ip[39] = 2;
	put16(tcp, 443);
	put16(tcp + 2, 40001);
	put32(tcp + 4, seq);
	tcp[12] = 0x50;
	tcp[13] = 0x18;
	put16(tcp + 14, 0x1000);
	return 78;
}

/* ---- fixture ---- */

struct fx {
	struct sim_dev *dev;
	uint16_t uid;
	uint32_t pd, td, tis, tls_tis;
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

static inline uint32_t create_tis(struct sim_dev *dev, uint16_t uid, uint32_t td, uint32_t pd,
				  int tls)
{
	uint32_t in[DEVX_ST_SZ_DW(create_tis_in)] = { 0 };
	uint8_t out[16] = { 0 };

	DEVX_SET(create_tis_in, in, opcode, MLX5_CMD_OP_CREATE_TIS);
	DEVX_SET(create_tis_in, in, ctx.tls_en, tls);
	DEVX_SET(create_tis_in, in, ctx.transport_domain, td);
	DEVX_SET(create_tis_in, in, ctx.pd, pd);
	if (sim_cmd_exec(dev, uid, in, sizeof(in), out, sizeof(out)))
		return 0;
	return (uint32_t)out[9] << 16 | (uint32_t)out[10] << 8 | out[11];
}

static inline int destroy_tis(struct sim_dev *dev, uint16_t uid, uint32_t tisn)
{
	uint32_t in[DEVX_ST_SZ_DW(destroy_tis_in)] = { 0 };
	uint8_t out[16] = { 0 };

	DEVX_SET(destroy_tis_in, in, opcode, MLX5_CMD_OP_DESTROY_TIS);
	DEVX_SET(destroy_tis_in, in, tisn, tisn);
	return sim_cmd_exec(dev, uid, in, sizeof(in), out, sizeof(out));
}

struct fx_cfg {
	const char *profile;
	uint32_t log_wqebbs;
	uint32_t log_cqes;
	uint32_t flags;
	const struct sim_tls_engine_ops *ops;
};

static inline int fx_init(struct fx *f, const struct fx_cfg *cfg)
{
	struct sim_cq_attr ca = { 0 };
	struct sim_sq_attr sa = { 0 };

	memset(f, 0, sizeof(*f));
	f->dev = sim_dev_create(cfg->profile);
	if (!f->dev || sim_uctx_alloc(f->dev, &f->uid))
		return -1;
	f->pd = new_num(f->dev, f->uid, MLX5_CMD_OP_ALLOC_PD);
	f->td = new_num(f->dev, f->uid, MLX5_CMD_OP_ALLOC_TRANSPORT_DOMAIN);
	f->tis = create_tis(f->dev, f->uid, f->td, 0, 0);
	f->tls_tis = create_tis(f->dev, f->uid, f->td, f->pd, 1);
	if (!f->pd || !f->td || !f->tis || !f->tls_tis)
		return -1;
	f->cap = sim_port_capture_create(4096);
	ca.log_cqes = cfg->log_cqes;
	f->cq = sim_cq_create(f->dev, &ca);
	if (!f->cap || !f->cq)
		return -1;
	sim_cq_query(f->cq, &f->cqi);
	sa.log_wqebbs = cfg->log_wqebbs;
	sa.cq = f->cq;
	sa.tisn = f->tis;
	sa.pd = f->pd;
	sa.port = f->cap;
	sa.flags = cfg->flags;
	sa.tls_ops = cfg->ops;
	f->sq = sim_sq_create(f->dev, &sa);
	if (!f->sq)
		return -1;
	sim_sq_query(f->sq, &f->sqi);
	if (sim_sq_modify(f->sq, SIM_SQ_RDY))
		return -1;
	f->mem = aligned_alloc(64, MEM_LEN);
	if (!f->mem)
		return -1;
	memset(f->mem, 0, MEM_LEN);
	return sim_mr_reg(f->dev, f->pd, f->mem, MEM_LEN, &f->lkey);
}

static inline void fx_fini(struct fx *f)
{
	sim_sq_destroy(f->sq);
	CU_ASSERT_EQUAL(sim_cq_destroy(f->cq), 0);
	if (f->lkey)
		CU_ASSERT_EQUAL(sim_mr_dereg(f->dev, f->lkey), 0);
	sim_port_destroy(f->cap);
	sim_dev_destroy(f->dev);
	free(f->mem);
}

#define FX_INIT(f, ...)                                              \
	do {                                                         \
		const struct fx_cfg cfg_ = { __VA_ARGS__ };          \
		CU_ASSERT_EQUAL_FATAL(fx_init((f), &cfg_), 0);       \
	} while (0)

static inline uint8_t *slot(struct fx *f, uint16_t idx)
{
	return (uint8_t *)f->sqi.buf + (size_t)(idx & (f->sqi.wqe_cnt - 1)) * 64;
}

/* Copy a WQE built linearly (bytes rounded up to WQEBBs) into the ring at pc, wrapping. */
static inline uint16_t post(struct fx *f, const uint8_t *wqe, size_t bytes)
{
	uint16_t idx = f->pc;
	uint32_t nbb = (uint32_t)((bytes + 63) / 64);

	for (uint32_t i = 0; i < nbb; i++)
		memcpy(slot(f, (uint16_t)(idx + i)), wqe + i * 64, 64);
	f->last_ctrl = slot(f, idx);
	f->pc = (uint16_t)(f->pc + nbb);
	return idx;
}

/* devx-userspace B3: stores, barrier, dbrec[1] = BE32(pc), barrier, 8-byte doorbell. */
static inline void ring_db(struct fx *f)
{
	uint64_t ctrl8;

	/* the release store orders the WQE stores before it (udma_to_device_barrier) */
	__atomic_store_n(&f->sqi.dbrec[1], htobe32(f->pc), __ATOMIC_RELEASE);
	memcpy(&ctrl8, f->last_ctrl, 8);
	sim_sq_ring_doorbell(f->sq, ctrl8);
}

/* devx-userspace B4: valid iff opcode != INVALID and owner == !!(ci & n). */
static inline int poll_cqe(struct fx *f, uint8_t out[64])
{
	const uint8_t *cqe =
		(const uint8_t *)f->cqi.buf + (size_t)(f->cq_ci & (f->cqi.cqe_cnt - 1)) * 64;
	uint8_t op_own = __atomic_load_n(&cqe[63], __ATOMIC_ACQUIRE);

	if ((op_own >> 4) == MLX5_CQE_INVALID || (op_own & 1) != !!(f->cq_ci & f->cqi.cqe_cnt))
		return 0;
	memcpy(out, cqe, 64);
	f->cq_ci++;
	__atomic_store_n(&f->cqi.dbrec[0], htobe32(f->cq_ci & 0xffffff), __ATOMIC_RELEASE);
	return 1;
}

static inline uint16_t cqe_counter(const uint8_t *c)
{
	return be16toh(((const struct mlx5_cqe64 *)c)->wqe_counter);
}

static inline uint8_t cqe_opcode(const uint8_t *c)
{
	return ((const struct mlx5_cqe64 *)c)->op_own >> 4;
}

static inline uint8_t cqe_syndrome(const uint8_t *c)
{
	return ((const struct mlx5_err_cqe *)c)->syndrome;
}

static inline uint8_t cqe_vsynd(const uint8_t *c)
{
	return ((const struct mlx5_err_cqe *)c)->vendor_err_synd;
}

static const char *g_case; /* names the case in a table-driven test's failure output */

/* Expect exactly one CQE: success for idx, or error with (syndrome, vsynd). */
static inline void expect_cqe(struct fx *f, uint16_t idx, uint8_t syndrome, uint8_t vsynd)
{
	uint8_t c[64] = { 0 };

	CU_ASSERT_FATAL(poll_cqe(f, c));
	CU_ASSERT_EQUAL(cqe_counter(c), idx);
	if (!syndrome) {
		CU_ASSERT_EQUAL(cqe_opcode(c), MLX5_CQE_REQ);
	} else {
		CU_ASSERT_EQUAL(cqe_opcode(c), MLX5_CQE_REQ_ERR);
		CU_ASSERT_EQUAL(cqe_syndrome(c), syndrome);
		CU_ASSERT_EQUAL(cqe_vsynd(c), vsynd);
		if (cqe_vsynd(c) != vsynd)
			printf("\n  %s: vsynd 0x%02x (%s), wanted 0x%02x (%s)\n",
			       g_case ? g_case : "", cqe_vsynd(c), sim_sq_vsynd_str(cqe_vsynd(c)),
			       vsynd, sim_sq_vsynd_str(vsynd));
		CU_ASSERT_EQUAL(be32toh(((const struct mlx5_err_cqe *)c)->s_wqe_opcode_qpn) &
					0xffffff,
				f->sqi.sqn);
	}
}

static inline void expect_no_cqe(struct fx *f)
{
	uint8_t c[64];

	if (poll_cqe(f, c)) {
		CU_FAIL("unexpected CQE");
		printf("\n  %s: unexpected CQE opcode %u counter %u vsynd 0x%02x\n",
		       g_case ? g_case : "", cqe_opcode(c), cqe_counter(c), cqe_vsynd(c));
	}
}

/* ---- WQE builders (NOP, fenced NOP, static/progress/DUMP come from wqe.h) ---- */

static inline uint16_t post_nop(struct fx *f, uint8_t fm_ce_se)
{
	uint8_t w[64] = { 0 };

	wqe_ctrl_fill(w, 0, f->pc, MLX5TLS_OPCODE_NOP, f->sqi.sqn, 1, fm_ce_se, 0);
	return post(f, w, sizeof(w));
}

struct dseg {
	uint32_t len;
	uint64_t addr;
	uint32_t lkey;
	bool inl; /* an inline data segment (MLX5_INLINE_SEG) with `len` bytes at addr */
};

/* SEND/LSO: ctrl + eth seg (cs_flags, mss, ihs header bytes inline) + data segments. Writes
 * into w (zeroed by the caller, 1024 bytes) and returns its size in bytes. */
static inline size_t build_send(uint8_t *w, uint16_t pc, uint32_t sqn, uint8_t opcode,
				uint32_t tisn, uint8_t fm_ce_se, uint8_t cs_flags, uint16_t mss,
				const uint8_t *hdr, uint16_t ihs, const struct dseg *segs,
				int nsegs)
{
	uint8_t *eth = w + 16;
	size_t off = 32 + (ihs > 2 ? (ihs - 2u + 15) / 16 * 16 : 0);

	eth[4] = cs_flags;
	put16(eth + 6, mss);
	put16(eth + 12, ihs);
	memcpy(eth + 14, hdr, ihs);
	for (int i = 0; i < nsegs; i++) {
		if (segs[i].inl) {
			put32(w + off, segs[i].len | 0x80000000u);
			memcpy(w + off + 4, (const void *)(uintptr_t)segs[i].addr, segs[i].len);
			off += (4 + segs[i].len + 15) / 16 * 16;
		} else {
			put32(w + off, segs[i].len);
			put32(w + off + 4, segs[i].lkey);
			put64(w + off + 8, segs[i].addr);
			off += 16;
		}
	}
	wqe_ctrl_fill(w, 0, pc, opcode, sqn, (uint8_t)(off / 16), fm_ce_se, tisn << 8);
	return off;
}

/* One SEND: headers inline, payload from registered memory at mem + mem_off. */
static inline uint16_t post_send(struct fx *f, uint32_t tisn, uint8_t fm_ce_se, uint8_t cs,
				 const uint8_t *hdr, uint16_t ihs, size_t mem_off, uint32_t plen)
{
	uint8_t w[1024] = { 0 };
	struct dseg d = { plen, (uintptr_t)(f->mem + mem_off), f->lkey, false };

	return post(f, w, build_send(w, f->pc, f->sqi.sqn, MLX5TLS_OPCODE_SEND, tisn, fm_ce_se, cs,
				     0, hdr, ihs, &d, plen ? 1 : 0));
}

/* Rearm an SQ after an error: MODIFY ERR->RST->RDY, driver counters back to 0. */
static inline void recover(struct fx *f)
{
	CU_ASSERT_EQUAL(sim_sq_modify(f->sq, SIM_SQ_RST), 0);
	CU_ASSERT_EQUAL(sim_sq_modify(f->sq, SIM_SQ_RDY), 0);
	f->pc = 0;
	f->sqi.dbrec[1] = 0;
}

static inline enum sim_sq_state sq_state(struct fx *f)
{
	struct sim_sq_info info;

	sim_sq_query(f->sq, &info);
	return info.state;
}

static inline bool all_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

static inline void fill_pattern(uint8_t *p, size_t len, uint8_t seed)
{
	for (size_t i = 0; i < len; i++)
		p[i] = (uint8_t)(seed + i * 7);
}

/* ---- a recording TLS engine: remembers its calls, "encrypts" by XOR 0x5a ---- */

struct fake_tls {
	int n_static, n_progress, n_dump, n_data;
	uint8_t params[64];
	uint8_t key[32];
	size_t key_len;
	uint8_t progress[12];
	size_t dump_bytes;
	uint8_t dump_first;
	uint32_t seq[64];
	uint32_t len[64];
};

static struct fake_tls *fake_last;
static int fake_ctx_count;

static inline void *fake_create(void)
{
	fake_last = calloc(1, sizeof(*fake_last));
	if (fake_last)
		fake_ctx_count++;
	return fake_last;
}

static inline void fake_destroy(void *ctx)
{
	if (ctx == fake_last)
		fake_last = NULL;
	fake_ctx_count--;
	free(ctx);
}

static inline int fake_static(void *ctx, const uint8_t params[64], const uint8_t *key,
			      size_t key_len)
{
	struct fake_tls *t = ctx;

	t->n_static++;
	memcpy(t->params, params, 64);
	memcpy(t->key, key, key_len);
	t->key_len = key_len;
	return 0;
}

static inline int fake_progress(void *ctx, const uint8_t params[12])
{
	struct fake_tls *t = ctx;

	t->n_progress++;
	memcpy(t->progress, params, 12);
	return 0;
}

static inline int fake_dump(void *ctx, const uint8_t *data, size_t len)
{
	struct fake_tls *t = ctx;

	t->n_dump++;
	t->dump_bytes += len;
	t->dump_first = data[0];
	return 0;
}

static inline int fake_data(void *ctx, uint32_t tcp_seq, uint8_t *payload, size_t len)
{
	struct fake_tls *t = ctx;

	if (t->n_data < 64) {
		t->seq[t->n_data] = tcp_seq;
		t->len[t->n_data] = (uint32_t)len;
	}
	t->n_data++;
	for (size_t i = 0; i < len; i++)
		payload[i] ^= 0x5a;
	return 0;
}

static const struct sim_tls_engine_ops fake_ops = {
	.create = fake_create,
	.destroy = fake_destroy,
	.set_static = fake_static,
	.set_progress = fake_progress,
	.dump = fake_dump,
	.data = fake_data,
};

static const uint8_t key128[16] = { 0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17,
				    0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f };

static inline void static_info(struct tls_static_info *si, uint32_t dek, uint64_t rec_seq)
{
	memset(si, 0, sizeof(*si));
	put64(si->rec_seq, rec_seq);
	memcpy(si->salt, "\xa1\xa2\xa3\xa4", 4);
	si->dek_index = dek;
}

/* Static params UMR written straight into the ring's three WQEBBs (wrapping as XLIO does). */
static inline uint16_t post_static(struct fx *f, uint32_t tisn, bool fence,
				   const struct tls_static_info *si)
{
	uint16_t idx = f->pc;
	void *bb[3] = { slot(f, idx), slot(f, (uint16_t)(idx + 1)), slot(f, (uint16_t)(idx + 2)) };

	for (int i = 0; i < 3; i++)
		memset(bb[i], 0, 64);
	wqe_build_static_params(bb, idx, f->sqi.sqn, MLX5TLS_OPC_MOD_TIS, tisn, fence, si);
	f->last_ctrl = bb[0];
	f->pc = (uint16_t)(f->pc + 3);
	return idx;
}

static inline uint16_t post_progress(struct fx *f, uint32_t tisn, bool fence, uint32_t next_sn)
{
	uint8_t w[64] = { 0 };

	wqe_build_progress_params(w, f->pc, f->sqi.sqn, MLX5TLS_OPC_MOD_TIS, tisn, fence, next_sn);
	return post(f, w, sizeof(w));
}

#endif /* MLX5TLS_SIM_SQ_FIXTURE_H */
