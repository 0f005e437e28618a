/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Device model: the send-queue engine (sim/sq.h) and ports (sim/port.h). WQEs are built with the
 * library's pure builders (wqe.h) and, for SEND/LSO, with this file's own eth-seg builder, written
 * into the ring exactly as a driver writes them to hardware, then announced with dbrec + doorbell.
 * CQEs are read through rdma-core's struct mlx5_cqe64 / mlx5_err_cqe, and checksums are verified
 * with this file's own RFC 1071 code, not the engine's.
 */
#include <endian.h>
#include <errno.h>
#include <infiniband/mlx5dv.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "be_bytes.h"
#include "inet_csum.h"
#include "prm/mlx5_ifc_tls.h"
#include "sim/port.h"
#include "sim/sim.h"
#include "sim/sq.h"
#include "sim_test_util.h"
#include "test_util.h"
#include "dek_cmd.h"
#include "wqe.h"

#define MEM_LEN (1u << 20)

/* Checksum of a TCP/UDP segment incl. its IPv4/IPv6 pseudo-header, with the field as it is. */
static uint16_t l4_csum(const uint8_t *ip, bool v6, const uint8_t *l4, uint32_t l4len,
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
static void fix_csums_v4(uint8_t *f, size_t len)
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
static size_t hdr_v4(uint8_t *h, uint32_t seq, uint32_t plen, uint16_t ip_id, uint8_t flags)
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
	put32(ip + 12, 0x0a000001);
	put32(ip + 16, 0x0a000002);
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
static size_t hdr_v6_vlan(uint8_t *h, uint32_t seq, uint32_t plen)
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

static uint32_t create_tis(struct sim_dev *dev, uint16_t uid, uint32_t td, uint32_t pd, int tls)
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

static int destroy_tis(struct sim_dev *dev, uint16_t uid, uint32_t tisn)
{
	uint32_t in[DEVX_ST_SZ_DW(destroy_tis_in)] = { 0 };
	uint8_t out[16] = { 0 };

	DEVX_SET(destroy_tis_in, in, opcode, MLX5_CMD_OP_DESTROY_TIS);
	DEVX_SET(destroy_tis_in, in, tisn, tisn);
	return sim_cmd_exec(dev, uid, in, sizeof(in), out, sizeof(out));
}

/* A single TLS DEK holding `key` (16 or 32 bytes) in `pd`; its id, or 0. */
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

struct fx_cfg {
	const char *profile;
	uint32_t log_wqebbs;
	uint32_t log_cqes;
	uint32_t flags;
	const struct sim_tls_engine_ops *ops;
};

static int fx_init(struct fx *f, const struct fx_cfg *cfg)
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

static void fx_fini(struct fx *f)
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

static uint8_t *slot(struct fx *f, uint16_t idx)
{
	return (uint8_t *)f->sqi.buf + (size_t)(idx & (f->sqi.wqe_cnt - 1)) * 64;
}

/* Copy a WQE built linearly (bytes rounded up to WQEBBs) into the ring at pc, wrapping. */
static uint16_t post(struct fx *f, const uint8_t *wqe, size_t bytes)
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
static void ring_db(struct fx *f)
{
	uint64_t ctrl8;

	/* the release store orders the WQE stores before it (udma_to_device_barrier) */
	__atomic_store_n(&f->sqi.dbrec[1], htobe32(f->pc), __ATOMIC_RELEASE);
	memcpy(&ctrl8, f->last_ctrl, 8);
	sim_sq_ring_doorbell(f->sq, ctrl8);
}

/* devx-userspace B4: valid iff opcode != INVALID and owner == !!(ci & n). */
static int poll_cqe(struct fx *f, uint8_t out[64])
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

static uint16_t cqe_counter(const uint8_t *c)
{
	return be16toh(((const struct mlx5_cqe64 *)c)->wqe_counter);
}

static uint8_t cqe_opcode(const uint8_t *c)
{
	return ((const struct mlx5_cqe64 *)c)->op_own >> 4;
}

static uint8_t cqe_syndrome(const uint8_t *c)
{
	return ((const struct mlx5_err_cqe *)c)->syndrome;
}

static uint8_t cqe_vsynd(const uint8_t *c)
{
	return ((const struct mlx5_err_cqe *)c)->vendor_err_synd;
}

static const char *g_case; /* names the case in a table-driven test's failure output */

/* Expect exactly one CQE: success for idx, or error with (syndrome, vsynd). */
static void expect_cqe(struct fx *f, uint16_t idx, uint8_t syndrome, uint8_t vsynd)
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

static void expect_no_cqe(struct fx *f)
{
	uint8_t c[64];

	if (poll_cqe(f, c)) {
		CU_FAIL("unexpected CQE");
		printf("\n  %s: unexpected CQE opcode %u counter %u vsynd 0x%02x\n",
		       g_case ? g_case : "", cqe_opcode(c), cqe_counter(c), cqe_vsynd(c));
	}
}

/* ---- WQE builders (NOP, fenced NOP, static/progress/DUMP come from wqe.h) ---- */

static uint16_t post_nop(struct fx *f, uint8_t fm_ce_se)
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
static size_t build_send(uint8_t *w, uint16_t pc, uint32_t sqn, uint8_t opcode, uint32_t tisn,
			 uint8_t fm_ce_se, uint8_t cs_flags, uint16_t mss, const uint8_t *hdr,
			 uint16_t ihs, const struct dseg *segs, int nsegs)
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
static uint16_t post_send(struct fx *f, uint32_t tisn, uint8_t fm_ce_se, uint8_t cs,
			  const uint8_t *hdr, uint16_t ihs, size_t mem_off, uint32_t plen)
{
	uint8_t w[1024] = { 0 };
	struct dseg d = { plen, (uintptr_t)(f->mem + mem_off), f->lkey, false };

	return post(f, w, build_send(w, f->pc, f->sqi.sqn, MLX5TLS_OPCODE_SEND, tisn, fm_ce_se, cs,
				     0, hdr, ihs, &d, plen ? 1 : 0));
}

/* Rearm an SQ after an error: MODIFY ERR->RST->RDY, driver counters back to 0. */
static void recover(struct fx *f)
{
	CU_ASSERT_EQUAL(sim_sq_modify(f->sq, SIM_SQ_RST), 0);
	CU_ASSERT_EQUAL(sim_sq_modify(f->sq, SIM_SQ_RDY), 0);
	f->pc = 0;
	f->sqi.dbrec[1] = 0;
}

static enum sim_sq_state sq_state(struct fx *f)
{
	struct sim_sq_info info;

	sim_sq_query(f->sq, &info);
	return info.state;
}

static bool all_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

static void fill_pattern(uint8_t *p, size_t len, uint8_t seed)
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

static void *fake_create(void)
{
	fake_last = calloc(1, sizeof(*fake_last));
	if (fake_last)
		fake_ctx_count++;
	return fake_last;
}

static void fake_destroy(void *ctx)
{
	if (ctx == fake_last)
		fake_last = NULL;
	fake_ctx_count--;
	free(ctx);
}

static int fake_static(void *ctx, const uint8_t params[64], const uint8_t *key, size_t key_len)
{
	struct fake_tls *t = ctx;

	t->n_static++;
	memcpy(t->params, params, 64);
	memcpy(t->key, key, key_len);
	t->key_len = key_len;
	return 0;
}

static int fake_progress(void *ctx, const uint8_t params[12])
{
	struct fake_tls *t = ctx;

	t->n_progress++;
	memcpy(t->progress, params, 12);
	return 0;
}

static int fake_dump(void *ctx, const uint8_t *data, size_t len)
{
	struct fake_tls *t = ctx;

	t->n_dump++;
	t->dump_bytes += len;
	t->dump_first = data[0];
	return 0;
}

static int fake_data(void *ctx, uint32_t tcp_seq, uint8_t *payload, size_t len)
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

static void static_info(struct tls_static_info *si, uint32_t dek, uint64_t rec_seq)
{
	memset(si, 0, sizeof(*si));
	put64(si->rec_seq, rec_seq);
	memcpy(si->salt, "\xa1\xa2\xa3\xa4", 4);
	si->dek_index = dek;
}

/* Static params UMR written straight into the ring's three WQEBBs (wrapping as XLIO does). */
static uint16_t post_static(struct fx *f, uint32_t tisn, bool fence,
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

static uint16_t post_progress(struct fx *f, uint32_t tisn, bool fence, uint32_t next_sn)
{
	uint8_t w[64] = { 0 };

	wqe_build_progress_params(w, f->pc, f->sqi.sqn, MLX5TLS_OPC_MOD_TIS, tisn, fence, next_sn);
	return post(f, w, sizeof(w));
}

/* ================================ tests ================================ */

static void test_nop_cqe(void)
{
	struct fx f;
	struct sim_sq_stats st;
	uint8_t c[64], want[64] = { 0 };
	uint8_t w[64] = { 0 };

	FX_INIT(&f, .log_wqebbs = 4, .log_cqes = 4);
	post_nop(&f, MLX5TLS_WQE_CQ_UPDATE);
	wqe_build_fence_nop(w, f.pc, f.sqi.sqn);
	w[11] |= MLX5TLS_WQE_CQ_UPDATE;
	post(&f, w, sizeof(w));
	/* nothing happens before the doorbell */
	CU_ASSERT_EQUAL(sim_sq_process(f.sq), 0);
	expect_no_cqe(&f);
	ring_db(&f);
	CU_ASSERT_EQUAL(sim_sq_process(f.sq), 2);
	CU_ASSERT_FATAL(poll_cqe(&f, c));
	/* MLX5_CQE_REQ, owner 0 on the first pass, wqe_counter 0, sop_drop_qpn = NOP << 24 | sqn */
	put32(want + 56, f.sqi.sqn);
	TEST_ASSERT_BYTES("NOP CQE", c, want, 64);
	CU_ASSERT_EQUAL(be32toh(((struct mlx5_cqe64 *)c)->sop_drop_qpn) & 0xffffff, f.sqi.sqn);
	expect_cqe(&f, 1, 0, 0);
	expect_no_cqe(&f);
	sim_sq_get_stats(f.sq, &st);
	CU_ASSERT_EQUAL(st.doorbells, 1);
	CU_ASSERT_EQUAL(st.wqes, 2);
	CU_ASSERT_EQUAL(st.nops, 2);
	CU_ASSERT_EQUAL(st.fenced, 1);
	CU_ASSERT_EQUAL(st.cqes, 2);
	CU_ASSERT_EQUAL(st.db_mismatch, 0);
	CU_ASSERT_EQUAL(sim_port_capture_count(f.cap), 0);
	fx_fini(&f);
}

static void test_doorbell_and_states(void)
{
	struct fx f;
	struct sim_sq_stats st;

	FX_INIT(&f, .log_wqebbs = 3, .log_cqes = 4);
	CU_ASSERT_EQUAL(sim_sq_modify(f.sq, SIM_SQ_RST), 0);
	post_nop(&f, MLX5TLS_WQE_CQ_UPDATE);
	ring_db(&f); /* in RST: ignored */
	CU_ASSERT_EQUAL(sim_sq_modify(f.sq, SIM_SQ_RDY), 0);
	CU_ASSERT_EQUAL(sim_sq_process(f.sq), 0);
	expect_no_cqe(&f);
	ring_db(&f);
	CU_ASSERT_EQUAL(sim_sq_process(f.sq), 1);
	expect_cqe(&f, 0, 0, 0);
	/* a doorbell whose 8 bytes do not match the ring is counted; dbrec still rules */
	post_nop(&f, MLX5TLS_WQE_CQ_UPDATE);
	f.sqi.dbrec[1] = htobe32(f.pc);
	sim_sq_ring_doorbell(f.sq, 0x1234);
	CU_ASSERT_EQUAL(sim_sq_process(f.sq), 1);
	expect_cqe(&f, 1, 0, 0);
	sim_sq_get_stats(f.sq, &st);
	CU_ASSERT_EQUAL(st.doorbells, 3);
	CU_ASSERT_EQUAL(st.db_ignored, 1);
	CU_ASSERT_EQUAL(st.db_mismatch, 1);
	/* MODIFY_SQ transitions */
	CU_ASSERT_EQUAL(sim_sq_modify(f.sq, SIM_SQ_ERR), 0);
	CU_ASSERT_EQUAL(sim_sq_modify(f.sq, SIM_SQ_RDY), -EINVAL);
	CU_ASSERT_EQUAL(sq_state(&f), SIM_SQ_ERR);
	CU_ASSERT_EQUAL(sim_sq_modify(f.sq, SIM_SQ_RST), 0);
	CU_ASSERT_EQUAL(sim_sq_modify(f.sq, SIM_SQ_ERR), -EINVAL);
	CU_ASSERT_EQUAL(sim_sq_modify(f.sq, (enum sim_sq_state)2), -EINVAL);
	CU_ASSERT_EQUAL(sim_sq_modify(f.sq, SIM_SQ_RDY), 0);
	f.pc = 0;
	post_nop(&f, MLX5TLS_WQE_CQ_UPDATE);
	ring_db(&f);
	CU_ASSERT_EQUAL(sim_sq_process(f.sq), 1);
	expect_cqe(&f, 0, 0, 0);
	fx_fini(&f);
}

static void test_send_ipv4_exact(void)
{
	struct fx f;
	uint8_t h[64], want[256];
	const uint8_t *fr;
	size_t len = 0;

	FX_INIT(&f, .log_wqebbs = 4, .log_cqes = 4);
	fill_pattern(f.mem, 100, 3);
	hdr_v4(h, 0x01020304, 100, 0x1234, 0x18);
	post_send(&f, 0, MLX5TLS_WQE_CQ_UPDATE, MLX5_ETH_WQE_L3_CSUM | MLX5_ETH_WQE_L4_CSUM, h, 54,
		  0, 100);
	/* garbage in the checksum fields is ignored: the device computes them from scratch */
	put16(h + 24, 0xdead);
	put16(h + 50, 0xbeef);
	post_send(&f, 0, MLX5TLS_WQE_CQ_UPDATE, MLX5_ETH_WQE_L3_CSUM | MLX5_ETH_WQE_L4_CSUM, h, 54,
		  0, 100);
	/* no checksum offload: the frame leaves as given */
	post_send(&f, 0, MLX5TLS_WQE_CQ_UPDATE, 0, h, 54, 0, 100);
	ring_db(&f);
	CU_ASSERT_EQUAL(sim_sq_process(f.sq), 3);
	expect_cqe(&f, 0, 0, 0);
	expect_cqe(&f, 2, 0, 0); /* each SEND is 2 WQEBBs: 54 inline bytes + one data segment */
	expect_cqe(&f, 4, 0, 0);
	CU_ASSERT_EQUAL_FATAL(sim_port_capture_count(f.cap), 3);

	hdr_v4(want, 0x01020304, 100, 0x1234, 0x18);
	memcpy(want + 54, f.mem, 100);
	fix_csums_v4(want, 154);
	for (size_t i = 0; i < 2; i++) {
		fr = sim_port_capture_frame(f.cap, i, &len);
		CU_ASSERT_EQUAL_FATAL(len, 154);
		TEST_ASSERT_BYTES("SEND frame", fr, want, 154);
		CU_ASSERT_EQUAL(test_csum_field(test_csum_add(0, fr + 14, 20)), 0);
		CU_ASSERT_EQUAL(l4_csum(fr + 14, false, fr + 34, 120, 6), 0);
	}
	fr = sim_port_capture_frame(f.cap, 2, &len);
	CU_ASSERT_EQUAL(len, 154);
	CU_ASSERT_EQUAL(get16(fr + 24), 0xdead);
	CU_ASSERT_EQUAL(get16(fr + 50), 0xbeef);
	fx_fini(&f);
}

static void test_send_gather_ipv6_vlan_pad(void)
{
	struct fx f;
	uint8_t h6[96], h[64], w[1024] = { 0 }, inl[10];
	const uint8_t *fr;
	size_t len = 0;
	struct dseg d[3];

	FX_INIT(&f, .log_wqebbs = 4, .log_cqes = 4);
	fill_pattern(inl, 10, 0x40);
	fill_pattern(f.mem + 1000, 10, 0x50);
	fill_pattern(f.mem + 5000, 10, 0x60);
	hdr_v6_vlan(h6, 7, 30);
	d[0] = (struct dseg){ 10, (uintptr_t)inl, 0, true };
	d[1] = (struct dseg){ 10, (uintptr_t)(f.mem + 1000), f.lkey, false };
	d[2] = (struct dseg){ 10, (uintptr_t)(f.mem + 5000), f.lkey, false };
	/* L3_CSUM on IPv6 is accepted and means nothing (the kernel sets 0xc0 for both) */
	post(&f, w, build_send(w, f.pc, f.sqi.sqn, MLX5TLS_OPCODE_SEND, 0, MLX5TLS_WQE_CQ_UPDATE,
			       0xc0, 0, h6, 78, d, 3));
	/* a pure ACK: 54 bytes, padded to 60 on the wire */
	hdr_v4(h, 5, 0, 1, 0x10);
	post_send(&f, 0, MLX5TLS_WQE_CQ_UPDATE, 0xc0, h, 54, 0, 0);
	ring_db(&f);
	CU_ASSERT_EQUAL(sim_sq_process(f.sq), 2);
	expect_cqe(&f, 0, 0, 0);
	expect_cqe(&f, 3, 0, 0);
	fr = sim_port_capture_frame(f.cap, 0, &len);
	CU_ASSERT_EQUAL_FATAL(len, 108);
	CU_ASSERT_EQUAL(memcmp(fr, h6, 74), 0); /* all but the TCP checksum */
	CU_ASSERT_EQUAL(memcmp(fr + 76, h6 + 76, 2), 0);
	CU_ASSERT_EQUAL(memcmp(fr + 78, inl, 10), 0);
	CU_ASSERT_EQUAL(memcmp(fr + 88, f.mem + 1000, 10), 0);
	CU_ASSERT_EQUAL(memcmp(fr + 98, f.mem + 5000, 10), 0);
	CU_ASSERT_EQUAL(get16(fr + 12), 0x8100);
	CU_ASSERT_EQUAL(l4_csum(fr + 18, true, fr + 58, 50, 6), 0);
	CU_ASSERT_NOT_EQUAL(get16(fr + 58 + 16), 0);

	fr = sim_port_capture_frame(f.cap, 1, &len);
	CU_ASSERT_EQUAL_FATAL(len, 60);
	CU_ASSERT_EQUAL(get16(fr + 16), 40); /* IP total length says 40 */
	CU_ASSERT(all_zero(fr + 54, 6));
	CU_ASSERT_EQUAL(test_csum_field(test_csum_add(0, fr + 14, 20)), 0);
	CU_ASSERT_EQUAL(l4_csum(fr + 14, false, fr + 34, 20, 6), 0);
	fx_fini(&f);
}

/* Check one LSO segment against the template and payload (independent checksums). */
static void check_lso_seg(const uint8_t *fr, size_t len, const uint8_t *tpl, const uint8_t *payload,
			  uint32_t seq0, uint32_t off, uint32_t seg, uint16_t id, uint8_t flags)
{
	CU_ASSERT_EQUAL_FATAL(len, 54 + seg);
	CU_ASSERT_EQUAL(memcmp(fr, tpl, 16), 0);              /* L2 + IP version..tos */
	CU_ASSERT_EQUAL(get16(fr + 16), 40 + seg);             /* total length */
	CU_ASSERT_EQUAL(get16(fr + 18), id);                   /* id */
	CU_ASSERT_EQUAL(memcmp(fr + 20, tpl + 20, 4), 0);      /* frag, ttl, proto */
	CU_ASSERT_EQUAL(memcmp(fr + 26, tpl + 26, 12), 0);     /* addresses, ports */
	CU_ASSERT_EQUAL(get32(fr + 38), seq0 + off);           /* sequence */
	CU_ASSERT_EQUAL(memcmp(fr + 42, tpl + 42, 5), 0);      /* ack, data offset */
	CU_ASSERT_EQUAL(fr[47], flags);
	CU_ASSERT_EQUAL(memcmp(fr + 48, tpl + 48, 2), 0);      /* window */
	CU_ASSERT_EQUAL(memcmp(fr + 54, payload + off, seg), 0);
	CU_ASSERT_EQUAL(test_csum_field(test_csum_add(0, fr + 14, 20)), 0);
	CU_ASSERT_EQUAL(l4_csum(fr + 14, false, fr + 34, 20 + seg, 6), 0);
}

static void test_lso(void)
{
	struct fx f;
	uint8_t h[64], w[1024] = { 0 };
	size_t len = 0;
	struct dseg d[2];
	struct sim_sq_stats st;

	FX_INIT(&f, .log_wqebbs = 4, .log_cqes = 4);
	fill_pattern(f.mem, 4096, 9);
	/* CWR|ACK|PSH|FIN on the template: CWR stays on the first segment, PSH|FIN on the last */
	hdr_v4(h, 1000, 0, 0x100, 0x99);
	d[0] = (struct dseg){ 4096, (uintptr_t)f.mem, f.lkey, false };
	post(&f, w,
	     build_send(w, f.pc, f.sqi.sqn, MLX5TLS_OPCODE_LSO, 0, MLX5TLS_WQE_CQ_UPDATE, 0xc0,
			1448, h, 54, d, 1));
	/* the same payload in two pieces gives the same segments */
	memset(w, 0, sizeof(w));
	d[0] = (struct dseg){ 3000, (uintptr_t)f.mem, f.lkey, false };
	d[1] = (struct dseg){ 1096, (uintptr_t)(f.mem + 3000), f.lkey, false };
	post(&f, w,
	     build_send(w, f.pc, f.sqi.sqn, MLX5TLS_OPCODE_LSO, 0, MLX5TLS_WQE_CQ_UPDATE, 0xc0,
			1448, h, 54, d, 2));
	ring_db(&f);
	CU_ASSERT_EQUAL(sim_sq_process(f.sq), 2);
	expect_cqe(&f, 0, 0, 0);
	expect_cqe(&f, 2, 0, 0);
	CU_ASSERT_EQUAL_FATAL(sim_port_capture_count(f.cap), 6);
	for (int k = 0; k < 2; k++) {
		const uint8_t *fr = sim_port_capture_frame(f.cap, (size_t)k * 3, &len);

		check_lso_seg(fr, len, h, f.mem, 1000, 0, 1448, 0x100, 0x90);
		fr = sim_port_capture_frame(f.cap, (size_t)k * 3 + 1, &len);
		check_lso_seg(fr, len, h, f.mem, 1000, 1448, 1448, 0x101, 0x10);
		fr = sim_port_capture_frame(f.cap, (size_t)k * 3 + 2, &len);
		check_lso_seg(fr, len, h, f.mem, 1000, 2896, 1200, 0x102, 0x19);
	}
	sim_sq_get_stats(f.sq, &st);
	CU_ASSERT_EQUAL(st.sends, 2);
	CU_ASSERT_EQUAL(st.frames, 6);
	fx_fini(&f);
}

static void test_lso_errors(void)
{
	struct fx f;
	uint8_t h[64], w[1024];
	struct dseg d = { 4096, 0, 0, false };

	FX_INIT(&f, .log_wqebbs = 4, .log_cqes = 5);
	d.addr = (uintptr_t)f.mem;
	d.lkey = f.lkey;
	hdr_v4(h, 1, 0, 1, 0x10);
	/* mss 0 */
	memset(w, 0, sizeof(w));
	post(&f, w,
	     build_send(w, f.pc, f.sqi.sqn, MLX5TLS_OPCODE_LSO, 0, 0, 0xc0, 0, h, 54, &d, 1));
	ring_db(&f);
	sim_sq_process(f.sq);
	expect_cqe(&f, 0, MLX5_CQE_SYNDROME_LOCAL_LENGTH_ERR, SIM_VSYND_LSO_MSS);
	recover(&f);
	/* mss above the MTU */
	memset(w, 0, sizeof(w));
	post(&f, w,
	     build_send(w, f.pc, f.sqi.sqn, MLX5TLS_OPCODE_LSO, 0, 0, 0xc0, 1461, h, 54, &d, 1));
	ring_db(&f);
	sim_sq_process(f.sq);
	expect_cqe(&f, 0, MLX5_CQE_SYNDROME_LOCAL_LENGTH_ERR, SIM_VSYND_LSO_MSS);
	recover(&f);
	/* inline headers longer than L2..L4 */
	memset(w, 0, sizeof(w));
	post(&f, w,
	     build_send(w, f.pc, f.sqi.sqn, MLX5TLS_OPCODE_LSO, 0, 0, 0xc0, 1448, h, 56, &d, 1));
	ring_db(&f);
	sim_sq_process(f.sq);
	expect_cqe(&f, 0, MLX5_CQE_SYNDROME_LOCAL_QP_OP_ERR, SIM_VSYND_LSO_HEADERS);
	recover(&f);
	/* no payload */
	memset(w, 0, sizeof(w));
	post(&f, w,
	     build_send(w, f.pc, f.sqi.sqn, MLX5TLS_OPCODE_LSO, 0, 0, 0xc0, 1448, h, 54, &d, 0));
	ring_db(&f);
	sim_sq_process(f.sq);
	expect_cqe(&f, 0, MLX5_CQE_SYNDROME_LOCAL_LENGTH_ERR, SIM_VSYND_LSO_NO_PAYLOAD);
	CU_ASSERT_EQUAL(sim_port_capture_count(f.cap), 0);
	fx_fini(&f);
}

static void test_ring_wrap_static_params(void)
{
	struct fx f;
	struct tls_static_info si;
	uint8_t h[64], want[64] = { 0 };
	uint32_t dek, seq = 5000;
	bool spanned = false;
	struct sim_sq_stats st;

	/* 8 WQEBBs: each round posts static (3) + progress (1) + SEND (2) + 0..2 NOPs, so the
	 * static params start at every offset of the ring, the last two spanning the wrap */
	FX_INIT(&f, .log_wqebbs = 3, .log_cqes = 3, .ops = &fake_ops);
	dek = create_dek(f.dev, f.uid, f.pd, key128, 16);
	CU_ASSERT_FATAL(dek != 0);
	fill_pattern(f.mem, 100, 1);
	for (uint32_t r = 0; r < 48; r++) {
		uint16_t send_idx;
		const uint8_t *fr;
		size_t len = 0;

		for (uint32_t i = 0; i < r % 3; i++)
			post_nop(&f, 0);
		if ((f.pc & 7) >= 6)
			spanned = true;
		static_info(&si, dek, r);
		post_static(&f, f.tls_tis, false, &si);
		post_progress(&f, f.tls_tis, true, 0);
		hdr_v4(h, seq, 100, (uint16_t)r, 0x18);
		send_idx = post_send(&f, f.tls_tis,
				     MLX5TLS_WQE_CQ_UPDATE | MLX5TLS_WQE_FENCE_INITIATOR_SMALL,
				     0xc0, h, 54, 0, 100);
		ring_db(&f);
		CU_ASSERT_EQUAL(sim_sq_process(f.sq), (int)(r % 3) + 3);
		expect_cqe(&f, send_idx, 0, 0);
		CU_ASSERT_FATAL(fake_last != NULL);
		tls_static_params_fill(want, &si);
		TEST_ASSERT_BYTES("static params seen by the engine", fake_last->params, want, 64);
		CU_ASSERT_EQUAL(fake_last->key_len, 16);
		CU_ASSERT_EQUAL(memcmp(fake_last->key, key128, 16), 0);
		CU_ASSERT_EQUAL(fake_last->n_static, (int)r + 1);
		CU_ASSERT_EQUAL(fake_last->seq[0], seq);
		fake_last->n_data = 0;
		fr = sim_port_capture_frame(f.cap, 0, &len);
		CU_ASSERT_EQUAL_FATAL(len, 154);
		for (int i = 0; i < 100; i++)
			CU_ASSERT_EQUAL_FATAL(fr[54 + i], f.mem[i] ^ 0x5a);
		CU_ASSERT_EQUAL(l4_csum(fr + 14, false, fr + 34, 120, 6), 0);
		sim_port_capture_clear(f.cap);
		seq += 100;
	}
	CU_ASSERT(spanned);
	CU_ASSERT_EQUAL(fake_ctx_count, 1);
	sim_sq_get_stats(f.sq, &st);
	CU_ASSERT_EQUAL(st.tls_static, 48);
	CU_ASSERT_EQUAL(st.tls_progress, 48);
	CU_ASSERT_EQUAL(st.tls_frames, 48);
	CU_ASSERT_EQUAL(st.tls_unfenced_after_params, 0);
	fx_fini(&f);
	CU_ASSERT_EQUAL(fake_ctx_count, 0); /* contexts go with the device's last datapath object */
}

static void test_cq_wrap_owner(void)
{
	struct fx f;
	uint8_t c[64] = { 0 };
	const uint8_t *ring;

	/* 4 CQEs: the owner bit is the wrap parity, 0 on the first pass */
	FX_INIT(&f, .log_wqebbs = 3, .log_cqes = 2);
	ring = f.cqi.buf;
	for (int i = 0; i < 4; i++)
		CU_ASSERT_EQUAL(ring[i * 64 + 63], 0xf1); /* model-allocated CQ: invalid, owner 1 */
	for (int pass = 0; pass < 5; pass++) {
		for (int i = 0; i < 4; i++)
			post_nop(&f, MLX5TLS_WQE_CQ_UPDATE);
		ring_db(&f);
		CU_ASSERT_EQUAL(sim_sq_process(f.sq), 4);
		for (int i = 0; i < 4; i++) {
			CU_ASSERT_EQUAL(ring[i * 64 + 63], (uint8_t)(pass & 1));
			CU_ASSERT_FATAL(poll_cqe(&f, c));
			CU_ASSERT_EQUAL(cqe_counter(c), (uint16_t)(pass * 4 + i));
		}
		expect_no_cqe(&f);
	}

	/* 70,000 NOPs: the 16-bit WQE counter wraps, the CQ wraps thousands of times */
	for (uint32_t n = 0; n < 70000; n += 8) {
		uint16_t last = 0;

		for (int i = 0; i < 8; i++)
			last = post_nop(&f, i == 7 ? MLX5TLS_WQE_CQ_UPDATE : 0);
		ring_db(&f);
		CU_ASSERT_EQUAL_FATAL(sim_sq_process(f.sq), 8);
		CU_ASSERT_FATAL(poll_cqe(&f, c));
		CU_ASSERT_EQUAL_FATAL(cqe_counter(c), last);
		CU_ASSERT_EQUAL_FATAL(cqe_opcode(c), MLX5_CQE_REQ);
	}
	CU_ASSERT_EQUAL(f.pc, (uint16_t)(20 + 70000)); /* the 16-bit counter wrapped */
	fx_fini(&f);
}

static void test_cq_overrun(void)
{
	struct fx f;
	struct sim_cq_stats cs;
	uint8_t c[64];

	FX_INIT(&f, .log_wqebbs = 4, .log_cqes = 2);
	for (int i = 0; i < 5; i++)
		post_nop(&f, MLX5TLS_WQE_CQ_UPDATE);
	ring_db(&f);
	sim_sq_process(f.sq);
	sim_cq_get_stats(f.cq, &cs);
	CU_ASSERT(cs.overrun);
	CU_ASSERT_EQUAL(cs.cqes, 4);
	CU_ASSERT_EQUAL(sq_state(&f), SIM_SQ_ERR);
	for (int i = 0; i < 4; i++)
		CU_ASSERT(poll_cqe(&f, c));
	expect_no_cqe(&f);
	fx_fini(&f);
}

static void test_error_flush_recover(void)
{
	struct fx f;
	struct sim_sq_stats st;
	uint8_t w[64] = { 0 };

	FX_INIT(&f, .log_wqebbs = 4, .log_cqes = 4);
	post_nop(&f, MLX5TLS_WQE_CQ_UPDATE);                                    /* 0 */
	wqe_ctrl_fill(w, 0, f.pc, MLX5TLS_OPCODE_SEND, f.sqi.sqn, 1, 0, 0);     /* 1: SEND, ds 1 */
	post(&f, w, sizeof(w));
	post_nop(&f, 0);                                                        /* 2 */
	post_nop(&f, MLX5TLS_WQE_CQ_UPDATE);                                    /* 3 */
	ring_db(&f);
	CU_ASSERT_EQUAL(sim_sq_process(f.sq), 4);
	expect_cqe(&f, 0, 0, 0);
	/* the error CQE comes although the WQE did not ask for one */
	expect_cqe(&f, 1, MLX5_CQE_SYNDROME_LOCAL_QP_OP_ERR, SIM_VSYND_BAD_DS);
	/* every later WQE is flushed, signalled or not */
	expect_cqe(&f, 2, MLX5_CQE_SYNDROME_WR_FLUSH_ERR, SIM_VSYND_FLUSHED);
	expect_cqe(&f, 3, MLX5_CQE_SYNDROME_WR_FLUSH_ERR, SIM_VSYND_FLUSHED);
	expect_no_cqe(&f);
	CU_ASSERT_EQUAL(sq_state(&f), SIM_SQ_ERR);
	/* posted after the error: flushed too */
	post_nop(&f, 0);
	ring_db(&f);
	CU_ASSERT_EQUAL(sim_sq_process(f.sq), 1);
	expect_cqe(&f, 4, MLX5_CQE_SYNDROME_WR_FLUSH_ERR, SIM_VSYND_FLUSHED);
	sim_sq_get_stats(f.sq, &st);
	CU_ASSERT_EQUAL(st.err_cqes, 1);
	CU_ASSERT_EQUAL(st.flushed, 3);
	CU_ASSERT_EQUAL(st.last_syndrome, MLX5_CQE_SYNDROME_LOCAL_QP_OP_ERR);
	CU_ASSERT_EQUAL(st.last_vsynd, SIM_VSYND_BAD_DS);
	CU_ASSERT_EQUAL(st.last_err_wqe_counter, 1);
	CU_ASSERT_STRING_EQUAL(sim_sq_vsynd_str(SIM_VSYND_BAD_DS), "BAD_DS");
	/* MODIFY_SQ ERR -> RST -> RDY: WQE counter from 0 */
	recover(&f);
	post_nop(&f, MLX5TLS_WQE_CQ_UPDATE);
	ring_db(&f);
	CU_ASSERT_EQUAL(sim_sq_process(f.sq), 1);
	expect_cqe(&f, 0, 0, 0);
	CU_ASSERT_EQUAL(sq_state(&f), SIM_SQ_RDY);
	fx_fini(&f);
}

/* Each malformed WQE, alone on a recovered SQ, gives its error CQE. */
static void test_malformed_wqes(void)
{
	enum {
		SYN_LEN = MLX5_CQE_SYNDROME_LOCAL_LENGTH_ERR,
		SYN_OP = MLX5_CQE_SYNDROME_LOCAL_QP_OP_ERR,
		SYN_PROT = MLX5_CQE_SYNDROME_LOCAL_PROT_ERR
	};
	static const struct {
		const char *what;
		uint8_t syndrome, vsynd;
	} cases[] = {
		{ "unknown opcode", SYN_OP, SIM_VSYND_BAD_OPCODE },
		{ "WQE index != consumer counter", SYN_OP, SIM_VSYND_BAD_WQE_INDEX },
		{ "qpn of another SQ", SYN_OP, SIM_VSYND_BAD_QPN },
		{ "ds 0", SYN_OP, SIM_VSYND_DS_ZERO },
		{ "reserved ctrl byte", SYN_OP, SIM_VSYND_CTRL_RESERVED },
		{ "fence mode 7", SYN_OP, SIM_VSYND_BAD_FENCE_MODE },
		{ "unknown lkey", SYN_PROT, SIM_VSYND_LKEY_UNKNOWN },
		{ "address past the MR", SYN_PROT, SIM_VSYND_ADDR_OUT_OF_MR },
		{ "MR of another PD", SYN_PROT, SIM_VSYND_PD_MISMATCH },
		{ "zero-length gather", SYN_LEN, SIM_VSYND_DATA_LEN_ZERO },
		{ "inline header beyond ds", SYN_LEN, SIM_VSYND_INLINE_BEYOND_DS },
		{ "frame above the MTU", SYN_LEN, SIM_VSYND_FRAME_TOO_LONG },
		{ "frame shorter than Ethernet", SYN_LEN, SIM_VSYND_FRAME_TOO_SHORT },
		{ "WQE past the producer counter", SYN_OP, SIM_VSYND_DS_BEYOND_PI },
		{ "GET_PSV without num_psv", SYN_OP, SIM_VSYND_GET_PSV_FORMAT },
		{ "plain UMR", SYN_OP, SIM_VSYND_BAD_OPC_MOD },
		{ "static params on a plain TIS", SYN_OP, SIM_VSYND_TIS_NOT_TLS },
		{ "inner checksum flags", SYN_OP, SIM_VSYND_ETH_UNSUPPORTED },
		{ "checksum on a non-IP frame", SYN_OP, SIM_VSYND_PKT_UNPARSEABLE },
		{ "unknown TIS", SYN_OP, SIM_VSYND_TIS_UNKNOWN },
		{ "NOP with opc_mod", SYN_OP, SIM_VSYND_BAD_OPC_MOD },
		{ "producer a ring ahead", SYN_OP, SIM_VSYND_DB_OVERFLOW },
		{ "UMR with a non-zero mkey", SYN_OP, SIM_VSYND_UMR_FORMAT },
	};
	struct fx f;
	uint8_t h[64];
	uint32_t other_lkey = 0;
	uint8_t *other;

	FX_INIT(&f, .log_wqebbs = 4, .log_cqes = 6);
	other = calloc(1, 4096);
	CU_ASSERT_FATAL(other != NULL);
	CU_ASSERT_EQUAL_FATAL(sim_mr_reg(f.dev, f.pd + 1, other, 4096, &other_lkey), 0);
	hdr_v4(h, 1, 100, 1, 0x18);
	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		uint8_t w[1024] = { 0 };
		struct dseg d = { 100, (uintptr_t)f.mem, f.lkey, false };
		size_t n = 0;
		uint16_t idx = f.pc;

		switch (k) {
		case 0:
			wqe_ctrl_fill(w, 0, f.pc, 0x01, f.sqi.sqn, 1, 0, 0);
			n = 64;
			break;
		case 1:
			wqe_ctrl_fill(w, 0, (uint16_t)(f.pc + 1), 0, f.sqi.sqn, 1, 0, 0);
			n = 64;
			break;
		case 2:
			wqe_ctrl_fill(w, 0, f.pc, 0, f.sqi.sqn + 1, 1, 0, 0);
			n = 64;
			break;
		case 3:
			wqe_ctrl_fill(w, 0, f.pc, 0, f.sqi.sqn, 0, 0, 0);
			n = 64;
			break;
		case 4:
			wqe_ctrl_fill(w, 0, f.pc, 0, f.sqi.sqn, 1, 0, 0);
			w[9] = 1;
			n = 64;
			break;
		case 5:
			wqe_ctrl_fill(w, 0, f.pc, 0, f.sqi.sqn, 1, 0xe0, 0);
			n = 64;
			break;
		case 6:
			d.lkey ^= 0x100;
			break;
		case 7:
			d.addr = (uintptr_t)(f.mem + MEM_LEN - 50);
			break;
		case 8:
			d.lkey = other_lkey;
			d.addr = (uintptr_t)other;
			break;
		case 9:
			d.len = 0;
			n = build_send(w, f.pc, f.sqi.sqn, MLX5TLS_OPCODE_SEND, 0, 0, 0xc0, 0, h,
				       54, &d, 1);
			break;
		case 10:
			build_send(w, f.pc, f.sqi.sqn, MLX5TLS_OPCODE_SEND, 0, 0, 0xc0, 0, h, 54,
				   &d, 1);
			w[7] = (uint8_t)((w[7] & 0xc0) | 3); /* ds 3: the inline header needs 5 */
			n = 64;                              /* and the WQE is one WQEBB */
			break;
		case 11:
			hdr_v4(h, 1, 1500, 1, 0x18);
			d.len = 1500;
			break;
		case 12:
			n = build_send(w, f.pc, f.sqi.sqn, MLX5TLS_OPCODE_SEND, 0, 0, 0, 0, h, 10,
				       &d, 0);
			break;
		case 13:
			/* a 2-WQEBB SEND, but the producer counter announces only the first WQEBB
			 */
			n = build_send(w, f.pc, f.sqi.sqn, MLX5TLS_OPCODE_SEND, 0, 0, 0xc0, 0, h,
				       54, &d, 1);
			post(&f, w, n);
			f.pc--;
			ring_db(&f);
			f.pc++;
			n = 0;
			break;
		case 14:
			wqe_ctrl_fill(w, 2, f.pc, MLX5TLS_OPCODE_GET_PSV, f.sqi.sqn, 4, 0, 0);
			n = 64;
			break;
		case 15:
			wqe_ctrl_fill(w, 0, f.pc, MLX5TLS_OPCODE_UMR, f.sqi.sqn, 12, 0,
				      f.tls_tis << 8);
			n = 192;
			break;
		case 16: {
			struct tls_static_info si;

			static_info(&si, 0x123, 0);
			post_static(&f, f.tis, false, &si);
			n = 0;
			ring_db(&f);
			break;
		}
		case 17:
			n = build_send(w, f.pc, f.sqi.sqn, MLX5TLS_OPCODE_SEND, 0, 0, 0x20, 0, h,
				       54, &d, 1);
			break;
		case 18:
			put16(h + 12, 0x0806); /* ARP */
			n = build_send(w, f.pc, f.sqi.sqn, MLX5TLS_OPCODE_SEND, 0, 0, 0x80, 0, h,
				       54, &d, 1);
			put16(h + 12, 0x0800);
			break;
		case 19:
			n = build_send(w, f.pc, f.sqi.sqn, MLX5TLS_OPCODE_SEND, 0xfffff, 0, 0xc0, 0,
				       h, 54, &d, 1);
			break;
		case 20:
			wqe_ctrl_fill(w, 1, f.pc, 0, f.sqi.sqn, 1, 0, 0);
			n = 64;
			break;
		case 21:
			/* the driver claims 17 WQEBBs posted on a 16-WQEBB ring */
			post_nop(&f, 0);
			f.sqi.dbrec[1] = htobe32((uint32_t)f.pc + 16);
			sim_sq_ring_doorbell(f.sq, 0);
			n = 0;
			break;
		case 22: {
			struct tls_static_info si;

			static_info(&si, 0x123, 0);
			post_static(&f, f.tls_tis, false, &si);
			slot(&f, (uint16_t)(idx + 1))[5] = 1;
			ring_db(&f);
			n = 0;
			break;
		}
		}
		if (k >= 6 && k <= 8) {
			n = build_send(w, f.pc, f.sqi.sqn, MLX5TLS_OPCODE_SEND, 0, 0, 0xc0, 0, h,
				       54, &d, 1);
		} else if (k == 11) {
			n = build_send(w, f.pc, f.sqi.sqn, MLX5TLS_OPCODE_SEND, 0, 0, 0xc0, 0, h,
				       54, &d, 1);
			hdr_v4(h, 1, 100, 1, 0x18);
		}
		if (n) {
			post(&f, w, n);
			ring_db(&f);
		}
		sim_sq_process(f.sq);
		g_case = cases[k].what;
		expect_cqe(&f, idx, cases[k].syndrome, cases[k].vsynd);
		expect_no_cqe(&f);
		g_case = NULL;
		CU_ASSERT_EQUAL(sq_state(&f), SIM_SQ_ERR);
		recover(&f);
	}
	CU_ASSERT_EQUAL(sim_port_capture_count(f.cap), 0);
	CU_ASSERT_EQUAL(sim_mr_dereg(f.dev, other_lkey), 0);
	free(other);
	fx_fini(&f);
}

static void test_cq_moderation(void)
{
	struct fx f;
	uint8_t h[64];
	uint16_t idx[10];

	FX_INIT(&f, .log_wqebbs = 5, .log_cqes = 4);
	fill_pattern(f.mem, 64, 0);
	hdr_v4(h, 1, 64, 1, 0x18);
	for (int i = 0; i < 10; i++) {
		uint8_t fl = (i == 4 || i == 9) ? MLX5TLS_WQE_CQ_UPDATE : 0;

		idx[i] = i & 1 ? post_send(&f, 0, fl, 0xc0, h, 54, 0, 64) : post_nop(&f, fl);
	}
	ring_db(&f);
	CU_ASSERT_EQUAL(sim_sq_process(f.sq), 10);
	/* a CQE only for the flagged WQEs; each one's counter says how far the SQ got */
	expect_cqe(&f, idx[4], 0, 0);
	expect_cqe(&f, idx[9], 0, 0);
	expect_no_cqe(&f);
	CU_ASSERT_EQUAL(idx[9], 13); /* NOP 1 WQEBB, SEND 2 */
	CU_ASSERT_EQUAL(sim_port_capture_count(f.cap), 5);
	fx_fini(&f);
}

static void test_inject_error(void)
{
	struct fx f;

	FX_INIT(&f, .log_wqebbs = 4, .log_cqes = 4);
	sim_sq_inject_error(f.sq, 2);
	for (int i = 0; i < 4; i++)
		post_nop(&f, MLX5TLS_WQE_CQ_UPDATE);
	ring_db(&f);
	CU_ASSERT_EQUAL(sim_sq_process(f.sq), 4);
	expect_cqe(&f, 0, 0, 0);
	expect_cqe(&f, 1, 0, 0);
	expect_cqe(&f, 2, MLX5_CQE_SYNDROME_LOCAL_QP_OP_ERR, SIM_VSYND_INJECTED);
	expect_cqe(&f, 3, MLX5_CQE_SYNDROME_WR_FLUSH_ERR, SIM_VSYND_FLUSHED);
	recover(&f);
	/* one-shot */
	post_nop(&f, MLX5TLS_WQE_CQ_UPDATE);
	ring_db(&f);
	sim_sq_process(f.sq);
	expect_cqe(&f, 0, 0, 0);
	fx_fini(&f);
}

static int spin_cqe(struct fx *f, uint8_t c[64])
{
	for (int i = 0; i < 20000; i++) {
		if (poll_cqe(f, c))
			return 1;
		usleep(100);
	}
	return 0;
}

static void test_async_thread(void)
{
	struct fx f;
	uint8_t h[64], c[64];
	struct sim_sq_stats st;

	FX_INIT(&f, .log_wqebbs = 4, .log_cqes = 4, .flags = SIM_SQ_F_ASYNC);
	fill_pattern(f.mem, 100, 3);
	hdr_v4(h, 1, 100, 1, 0x18);
	post_send(&f, 0, 0, 0xc0, h, 54, 0, 100);
	post_nop(&f, MLX5TLS_WQE_CQ_UPDATE);
	ring_db(&f);
	/* the device thread completes it without any call into the engine */
	CU_ASSERT_FATAL(spin_cqe(&f, c));
	CU_ASSERT_EQUAL(cqe_counter(c), 2);
	CU_ASSERT_EQUAL(sim_port_capture_count(f.cap), 1);
	/* 2,000 WQEs in batches, the driver reusing ring space as CQEs return */
	for (int b = 0; b < 250; b++) {
		uint16_t last = 0;

		for (int i = 0; i < 8; i++)
			last = post_nop(&f, i == 7 ? MLX5TLS_WQE_CQ_UPDATE : 0);
		ring_db(&f);
		CU_ASSERT_FATAL(spin_cqe(&f, c));
		CU_ASSERT_EQUAL_FATAL(cqe_counter(c), last);
	}
	CU_ASSERT_EQUAL(sim_sq_wait_idle(f.sq, 5000), 0);
	sim_sq_get_stats(f.sq, &st);
	CU_ASSERT_EQUAL(st.wqes, 2002);
	/* destroy with doorbells in flight joins the thread cleanly */
	post_nop(&f, MLX5TLS_WQE_CQ_UPDATE);
	ring_db(&f);
	fx_fini(&f);
}

static void test_pcap(void)
{
	struct fx f;
	char path[] = "/tmp/mlx5tls_sq_XXXXXX";
	int fd = mkstemp(path);
	struct sim_port *pcap, *tee, *cap2;
	struct sim_sq *sq2;
	struct sim_sq_attr sa = { 0 };
	struct sim_sq_info si;
	uint8_t h[64], w[1024] = { 0 }, buf[8192];
	struct dseg d;
	FILE *fp;
	size_t n, off = 24;
	uint32_t gh[6];
	int records = 0;

	CU_ASSERT_FATAL(fd >= 0);
	close(fd);
	FX_INIT(&f, .log_wqebbs = 4, .log_cqes = 4);
	pcap = sim_port_pcap_create(path, SIM_PCAP_ZERO_TIME);
	cap2 = sim_port_capture_create(16);
	tee = sim_port_tee_create(cap2, pcap);
	CU_ASSERT_FATAL(pcap && cap2 && tee);
	sa.log_wqebbs = 4;
	sa.cq = f.cq;
	sa.tisn = f.tis;
	sa.port = tee;
	sq2 = sim_sq_create(f.dev, &sa);
	CU_ASSERT_FATAL(sq2 != NULL);
	CU_ASSERT_EQUAL(sim_cq_destroy(f.cq), -EBUSY);
	sim_sq_query(sq2, &si);
	CU_ASSERT_EQUAL(sim_sq_modify(sq2, SIM_SQ_RDY), 0);
	fill_pattern(f.mem, 2000, 5);
	hdr_v4(h, 77, 0, 9, 0x18);
	d = (struct dseg){ 2000, (uintptr_t)f.mem, f.lkey, false };
	CU_ASSERT_EQUAL(build_send(w, 0, si.sqn, MLX5TLS_OPCODE_LSO, 0, MLX5TLS_WQE_CQ_UPDATE, 0xc0,
				   1000, h, 54, &d, 1), 112);
	memcpy(si.buf, w, 128);
	memset(w, 0, sizeof(w));
	hdr_v4(h, 2077, 10, 9, 0x18);
	d.len = 10;
	CU_ASSERT_EQUAL(build_send(w, 2, si.sqn, MLX5TLS_OPCODE_SEND, 0, MLX5TLS_WQE_CQ_UPDATE,
				   0xc0, 0, h, 54, &d, 1),
			112);
	memcpy((uint8_t *)si.buf + 128, w, 128);
	si.dbrec[1] = htobe32(4);
	{
		uint64_t c8;

		memcpy(&c8, (uint8_t *)si.buf + 128, 8);
		sim_sq_ring_doorbell(sq2, c8);
	}
	CU_ASSERT_EQUAL(sim_sq_process(sq2), 2);
	expect_cqe(&f, 0, 0, 0);
	expect_cqe(&f, 2, 0, 0);
	CU_ASSERT_EQUAL(sim_port_capture_count(cap2), 3);
	sim_sq_destroy(sq2);
	sim_port_destroy(tee);
	sim_port_destroy(pcap); /* closes the file */

	fp = fopen(path, "rb");
	CU_ASSERT_FATAL(fp != NULL);
	n = fread(buf, 1, sizeof(buf), fp);
	fclose(fp);
	unlink(path);
	CU_ASSERT_FATAL(n >= 24);
	memcpy(gh, buf, 24);
	CU_ASSERT_EQUAL(gh[0], 0xa1b2c3d4u);     /* magic, microseconds, native order */
	CU_ASSERT_EQUAL(gh[1], 2u | 4u << 16);   /* version 2.4 (little-endian host) */
	CU_ASSERT_EQUAL(gh[4], 262144u);         /* snaplen */
	CU_ASSERT_EQUAL(gh[5], 1u);              /* LINKTYPE_ETHERNET */
	while (off + 16 <= n) {
		uint32_t rh[4];
		const uint8_t *fr;
		size_t flen = 0;

		memcpy(rh, buf + off, 16);
		CU_ASSERT_EQUAL(rh[0], 0);
		CU_ASSERT_EQUAL(rh[1], 0);
		CU_ASSERT_EQUAL(rh[2], rh[3]);
		fr = sim_port_capture_frame(cap2, (size_t)records, &flen);
		CU_ASSERT_FATAL(fr != NULL);
		CU_ASSERT_EQUAL(rh[2], flen);
		CU_ASSERT_FATAL(off + 16 + rh[2] <= n);
		CU_ASSERT_EQUAL(memcmp(buf + off + 16, fr, flen), 0);
		off += 16 + rh[2];
		records++;
	}
	CU_ASSERT_EQUAL(off, n);
	CU_ASSERT_EQUAL(records, 3);
	sim_port_destroy(cap2);
	fx_fini(&f);
}

static int lb_frames;
static size_t lb_bytes;

/* cppcheck-suppress constParameter ; the signature is sim_port_rx_fn */
static int lb_rx(void *ctx, const uint8_t *frame, size_t len)
{
	(void)frame;
	lb_frames++;
	lb_bytes += len;
	return ctx ? -EIO : 0;
}

static void test_ports(void)
{
	struct sim_port *cap = sim_port_capture_create(2), *lb, *bad;
	struct sim_port_stats ps;
	uint8_t fr[100] = { 1, 2, 3 }, out[100];
	static const struct sim_port_ops no_xmit = { 0 };

	CU_ASSERT_FATAL(cap != NULL);
	CU_ASSERT_EQUAL(sim_port_xmit(cap, fr, 60), 0);
	CU_ASSERT_EQUAL(sim_port_xmit(cap, fr, 61), 0);
	CU_ASSERT_EQUAL(sim_port_xmit(cap, fr, 62), -ENOBUFS); /* full: dropped, not overwritten */
	CU_ASSERT_EQUAL(sim_port_capture_dropped(cap), 1);
	CU_ASSERT_EQUAL(sim_port_capture_pop(cap, out, sizeof(out)), 60);
	CU_ASSERT_EQUAL(out[2], 3);
	CU_ASSERT_EQUAL(sim_port_xmit(cap, fr, 63), 0);
	CU_ASSERT_EQUAL(sim_port_capture_count(cap), 2);
	CU_ASSERT_EQUAL(sim_port_capture_pop(cap, NULL, 0), 61);
	CU_ASSERT_EQUAL(sim_port_capture_pop(cap, NULL, 0), 63);
	CU_ASSERT_EQUAL(sim_port_capture_pop(cap, NULL, 0), -ENOENT);
	sim_port_get_stats(cap, &ps);
	CU_ASSERT_EQUAL(ps.frames, 3);
	CU_ASSERT_EQUAL(ps.bytes, 184);
	CU_ASSERT_EQUAL(ps.errors, 1);
	CU_ASSERT_EQUAL(sim_port_mtu(cap), 1500);
	CU_ASSERT_EQUAL(sim_port_set_mtu(cap, 67), -EINVAL);
	CU_ASSERT_EQUAL(sim_port_set_mtu(cap, 9979), -EINVAL);
	CU_ASSERT_EQUAL(sim_port_set_mtu(cap, 9000), 0);
	CU_ASSERT_EQUAL(sim_port_mtu(cap), 9000);
	sim_port_capture_clear(cap);
	CU_ASSERT_EQUAL(sim_port_capture_count(cap), 0);
	sim_port_destroy(cap);

	lb = sim_port_loopback_create(lb_rx, NULL);
	bad = sim_port_loopback_create(lb_rx, &lb_frames);
	CU_ASSERT_FATAL(lb && bad);
	CU_ASSERT_EQUAL(sim_port_xmit(lb, fr, 64), 0);
	CU_ASSERT_EQUAL(sim_port_xmit(bad, fr, 64), -EIO);
	CU_ASSERT_EQUAL(lb_frames, 2);
	CU_ASSERT_EQUAL(lb_bytes, 128);
	sim_port_get_stats(bad, &ps);
	CU_ASSERT_EQUAL(ps.errors, 1);
	sim_port_destroy(lb);
	sim_port_destroy(bad);
	CU_ASSERT_PTR_NULL(sim_port_create(&no_xmit, NULL));
	CU_ASSERT_PTR_NULL(sim_port_pcap_create("/nonexistent-dir/x.pcap", 0));
	CU_ASSERT_PTR_NULL(sim_port_capture_create(0));
}

/* A jumbo MTU lets a 9000-byte frame out; the port's MTU is what the SQ checks. */
static void test_mtu(void)
{
	struct fx f;
	uint8_t h[64];
	const uint8_t *fr;
	size_t len = 0;

	FX_INIT(&f, .log_wqebbs = 4, .log_cqes = 4);
	CU_ASSERT_EQUAL(sim_port_set_mtu(f.cap, 9000), 0);
	hdr_v4(h, 1, 8960, 1, 0x18);
	post_send(&f, 0, MLX5TLS_WQE_CQ_UPDATE, 0xc0, h, 54, 0, 8960);
	ring_db(&f);
	sim_sq_process(f.sq);
	expect_cqe(&f, 0, 0, 0);
	fr = sim_port_capture_frame(f.cap, 0, &len);
	CU_ASSERT_EQUAL(len, 9014);
	CU_ASSERT_EQUAL(l4_csum(fr + 14, false, fr + 34, 8980, 6), 0);
	hdr_v4(h, 1, 8961, 1, 0x18);
	post_send(&f, 0, MLX5TLS_WQE_CQ_UPDATE, 0xc0, h, 54, 0, 8961);
	ring_db(&f);
	sim_sq_process(f.sq);
	expect_cqe(&f, 2, MLX5_CQE_SYNDROME_LOCAL_LENGTH_ERR, SIM_VSYND_FRAME_TOO_LONG);
	fx_fini(&f);
}

static void test_tls_fake_engine(void)
{
	struct fx f;
	struct tls_static_info si;
	uint32_t dek;
	uint8_t h[64], want[64] = { 0 }, w[1024] = { 0 };
	uint16_t send_idx, lso_idx;
	struct dseg d;
	struct sim_sq_stats st;
	/* frame sequences and payload lengths on the wire (the SEND, then 3 LSO segments) */
	static const uint32_t seqs[4] = {1000, 1500, 2948, 4396}, lens[4] = {500, 1448, 1448, 104};

	FX_INIT(&f, .log_wqebbs = 6, .log_cqes = 6, .ops = &fake_ops);
	dek = create_dek(f.dev, f.uid, f.pd, key128, 16);
	CU_ASSERT_FATAL(dek != 0);
	fill_pattern(f.mem, 4096, 0x33);
	/* the kernel's order (fact sheet 10.3): static, progress (fenced), fenced NOP, data */
	static_info(&si, dek, 7);
	post_static(&f, f.tls_tis, false, &si);
	post_progress(&f, f.tls_tis, true, 0);
	wqe_build_fence_nop(w, f.pc, f.sqi.sqn);
	post(&f, w, 64);
	hdr_v4(h, 1000, 500, 1, 0x18);
	send_idx = post_send(&f, f.tls_tis, MLX5TLS_WQE_CQ_UPDATE, 0xc0, h, 54, 0, 500);
	/* a resync replay: DUMP bytes reach the engine and are not sent */
	memset(w, 0, sizeof(w));
	wqe_build_dump(w, f.pc, f.sqi.sqn, f.tls_tis, (uintptr_t)(f.mem + 100), f.lkey, 300, true);
	post(&f, w, 64);
	/* LSO through the TIS: the whole payload goes through the engine at the template's TCP
	 * sequence (the segments' payloads back to back), then is cut into segments */
	memset(w, 0, sizeof(w));
	hdr_v4(h, 1500, 0, 2, 0x18);
	d = (struct dseg){ 3000, (uintptr_t)(f.mem + 1000), f.lkey, false };
	lso_idx = post(&f, w, build_send(w, f.pc, f.sqi.sqn, MLX5TLS_OPCODE_LSO, f.tls_tis,
					 MLX5TLS_WQE_CQ_UPDATE, 0xc0, 1448, h, 54, &d, 1));
	/* a plain SEND on the default TIS: the payload is left alone */
	hdr_v4(h, 9, 20, 3, 0x18);
	post_send(&f, 0, MLX5TLS_WQE_CQ_UPDATE, 0xc0, h, 54, 0, 20);
	ring_db(&f);
	CU_ASSERT_EQUAL(sim_sq_process(f.sq), 7);
	expect_cqe(&f, send_idx, 0, 0);
	expect_cqe(&f, lso_idx, 0, 0);
	expect_cqe(&f, (uint16_t)(lso_idx + 2), 0, 0);

	CU_ASSERT_FATAL(fake_last != NULL);
	CU_ASSERT_EQUAL(fake_last->n_static, 1);
	CU_ASSERT_EQUAL(fake_last->n_progress, 1);
	tls_progress_params_fill(want, 0, MLX5_TLS_PROGRESS_PARAMS_RECORD_TRACKER_STATE_START,
				 MLX5_TLS_PROGRESS_PARAMS_AUTH_STATE_NO_OFFLOAD);
	TEST_ASSERT_BYTES("progress params seen by the engine", fake_last->progress, want, 12);
	CU_ASSERT_EQUAL(fake_last->n_dump, 1);
	CU_ASSERT_EQUAL(fake_last->dump_bytes, 300);
	CU_ASSERT_EQUAL(fake_last->dump_first, f.mem[100]);
	CU_ASSERT_EQUAL_FATAL(fake_last->n_data, 2);
	CU_ASSERT_EQUAL(fake_last->seq[0], 1000);
	CU_ASSERT_EQUAL(fake_last->len[0], 500);
	CU_ASSERT_EQUAL(fake_last->seq[1], 1500);
	CU_ASSERT_EQUAL(fake_last->len[1], 3000);
	CU_ASSERT_EQUAL_FATAL(sim_port_capture_count(f.cap), 5);
	for (size_t i = 0; i < 5; i++) {
		size_t len = 0;
		const uint8_t *fr = sim_port_capture_frame(f.cap, i, &len);
		const uint8_t *src = i == 0 || i == 4 ? f.mem : f.mem + 1000 + (seqs[i] - 1500);
		uint8_t x = i < 4 ? 0x5a : 0;

		CU_ASSERT_EQUAL_FATAL(len, 54 + (i < 4 ? lens[i] : 20));
		for (size_t j = 0; j < len - 54; j++)
			CU_ASSERT_EQUAL_FATAL(fr[54 + j], src[j] ^ x);
		/* checksums cover the ciphertext (fact sheet 14b: the device replaces the TCP sum)
		 */
		CU_ASSERT_EQUAL(l4_csum(fr + 14, false, fr + 34, (uint32_t)len - 34, 6), 0);
		CU_ASSERT_EQUAL(test_csum_field(test_csum_add(0, fr + 14, 20)), 0);
	}
	sim_sq_get_stats(f.sq, &st);
	CU_ASSERT_EQUAL(st.tls_static, 1);
	CU_ASSERT_EQUAL(st.tls_progress, 1);
	CU_ASSERT_EQUAL(st.tls_dump_wqes, 1);
	CU_ASSERT_EQUAL(st.tls_dump_bytes, 300);
	CU_ASSERT_EQUAL(st.tls_frames, 4);
	CU_ASSERT_EQUAL(st.tls_bytes, 3500);
	CU_ASSERT_EQUAL(st.tls_unfenced_after_params, 0);

	/* params, then data with no fence anywhere in between: counted */
	post_progress(&f, f.tls_tis, false, 0);
	hdr_v4(h, 4500, 20, 4, 0x18);
	post_send(&f, f.tls_tis, MLX5TLS_WQE_CQ_UPDATE, 0xc0, h, 54, 0, 20);
	ring_db(&f);
	CU_ASSERT_EQUAL(sim_sq_process(f.sq), 2);
	expect_cqe(&f, (uint16_t)(f.pc - 2), 0, 0);
	sim_sq_get_stats(f.sq, &st);
	CU_ASSERT_EQUAL(st.tls_unfenced_after_params, 1);
	fx_fini(&f);
	CU_ASSERT_EQUAL(fake_ctx_count, 0);
}

static void test_tls_errors(void)
{
	struct fx f;
	struct tls_static_info si;
	uint32_t dek, pd2, dek2, tis3;
	uint8_t h[64], w[1024];
	uint16_t idx;
	struct dseg d;

	FX_INIT(&f, .log_wqebbs = 5, .log_cqes = 6, .ops = &fake_ops);
	dek = create_dek(f.dev, f.uid, f.pd, key128, 16);
	pd2 = new_num(f.dev, f.uid, MLX5_CMD_OP_ALLOC_PD);
	dek2 = create_dek(f.dev, f.uid, pd2, key128, 16);
	CU_ASSERT_FATAL(dek && pd2 && dek2);
	fill_pattern(f.mem, 4096, 0x11);
	hdr_v4(h, 1, 100, 1, 0x18);

	g_case = "TLS data before static params";
	idx = post_send(&f, f.tls_tis, 0, 0xc0, h, 54, 0, 100);
	ring_db(&f);
	sim_sq_process(f.sq);
	expect_cqe(&f, idx, MLX5_CQE_SYNDROME_LOCAL_QP_OP_ERR, SIM_VSYND_TIS_NO_CONTEXT);
	recover(&f);

	g_case = "progress before static params";
	idx = post_progress(&f, f.tls_tis, true, 0);
	ring_db(&f);
	sim_sq_process(f.sq);
	expect_cqe(&f, idx, MLX5_CQE_SYNDROME_LOCAL_QP_OP_ERR, SIM_VSYND_TIS_NO_CONTEXT);
	recover(&f);

	g_case = "static params naming no DEK";
	static_info(&si, 0x654321, 0);
	idx = post_static(&f, f.tls_tis, false, &si);
	ring_db(&f);
	sim_sq_process(f.sq);
	expect_cqe(&f, idx, MLX5_CQE_SYNDROME_LOCAL_QP_OP_ERR, SIM_VSYND_DEK_INVALID);
	recover(&f);

	g_case = "DEK in another PD than the TIS";
	static_info(&si, dek2, 0);
	idx = post_static(&f, f.tls_tis, false, &si);
	ring_db(&f);
	sim_sq_process(f.sq);
	expect_cqe(&f, idx, MLX5_CQE_SYNDROME_LOCAL_PROT_ERR, SIM_VSYND_PD_MISMATCH);
	recover(&f);

	g_case = "static params with const_2 wrong";
	static_info(&si, dek, 0);
	idx = post_static(&f, f.tls_tis, false, &si);
	slot(&f, (uint16_t)(idx + 2))[0] = 0x49;
	ring_db(&f);
	sim_sq_process(f.sq);
	expect_cqe(&f, idx, MLX5_CQE_SYNDROME_LOCAL_QP_OP_ERR, SIM_VSYND_STATIC_PARAMS);
	recover(&f);
	CU_ASSERT_EQUAL(fake_ctx_count, 0); /* nothing was created by the failures */

	/* now a good context */
	static_info(&si, dek, 0);
	post_static(&f, f.tls_tis, false, &si);
	ring_db(&f);
	CU_ASSERT_EQUAL(sim_sq_process(f.sq), 1);
	CU_ASSERT_EQUAL(fake_ctx_count, 1);

	g_case = "progress with tracker state 3";
	memset(w, 0, sizeof(w));
	wqe_build_progress_params(w, f.pc, f.sqi.sqn, MLX5TLS_OPC_MOD_TIS, f.tls_tis, true, 0);
	w[28] = 0xc0;
	idx = post(&f, w, 64);
	ring_db(&f);
	sim_sq_process(f.sq);
	expect_cqe(&f, idx, MLX5_CQE_SYNDROME_LOCAL_QP_OP_ERR, SIM_VSYND_PROGRESS_PARAMS);
	recover(&f);

	g_case = "TLS TIS on a UDP frame";
	h[23] = 17;
	idx = post_send(&f, f.tls_tis, 0, 0xc0, h, 54, 0, 100);
	h[23] = 6;
	ring_db(&f);
	sim_sq_process(f.sq);
	expect_cqe(&f, idx, MLX5_CQE_SYNDROME_LOCAL_QP_OP_ERR, SIM_VSYND_TLS_NOT_TCP);
	recover(&f);

	g_case = "TLS frame with L3/L4 not inline";
	memcpy(f.mem + 8192, h + 18, 36);
	fill_pattern(f.mem + 8192 + 36, 100, 0x22);
	memset(w, 0, sizeof(w));
	d = (struct dseg){ 136, (uintptr_t)(f.mem + 8192), f.lkey, false };
	idx = post(&f, w, build_send(w, f.pc, f.sqi.sqn, MLX5TLS_OPCODE_SEND, f.tls_tis, 0, 0xc0, 0,
				     h, 18, &d, 1));
	ring_db(&f);
	sim_sq_process(f.sq);
	expect_cqe(&f, idx, MLX5_CQE_SYNDROME_LOCAL_QP_OP_ERR, SIM_VSYND_TLS_HDR_NOT_INLINE);
	recover(&f);

	g_case = "DUMP through a plain TIS";
	memset(w, 0, sizeof(w));
	wqe_build_dump(w, f.pc, f.sqi.sqn, f.tis, (uintptr_t)f.mem, f.lkey, 100, false);
	idx = post(&f, w, 64);
	ring_db(&f);
	sim_sq_process(f.sq);
	expect_cqe(&f, idx, MLX5_CQE_SYNDROME_LOCAL_QP_OP_ERR, SIM_VSYND_TIS_NOT_TLS);
	recover(&f);

	g_case = "static params for a destroyed TIS";
	tis3 = create_tis(f.dev, f.uid, f.td, f.pd, 1);
	CU_ASSERT_FATAL(tis3 != 0);
	/* first taken through it: the queue's last look-up is this TIS (sim_tis_get_cached), and
	 * must not outlive it */
	post_static(&f, tis3, false, &si);
	ring_db(&f);
	CU_ASSERT_EQUAL(sim_sq_process(f.sq), 1);
	expect_no_cqe(&f);
	CU_ASSERT_EQUAL(destroy_tis(f.dev, f.uid, tis3), 0);
	idx = post_static(&f, tis3, false, &si);
	ring_db(&f);
	sim_sq_process(f.sq);
	expect_cqe(&f, idx, MLX5_CQE_SYNDROME_LOCAL_QP_OP_ERR, SIM_VSYND_TIS_UNKNOWN);
	recover(&f);
	g_case = NULL;
	CU_ASSERT_EQUAL(sim_port_capture_count(f.cap), 0);
	fx_fini(&f);
	CU_ASSERT_EQUAL(fake_ctx_count, 0);
}

/* Run a DEK command built by the library's encoders; 0 or the model's -errno. */
static int dek_cmd(struct fx *f, const uint8_t *in, size_t inlen, uint8_t out[DEK_HDR_OUT_SZ])
{
	memset(out, 0, DEK_HDR_OUT_SZ);
	return sim_cmd_exec(f->dev, f->uid, in, inlen, out, DEK_HDR_OUT_SZ);
}

/* A TIS's engine state goes with the key it was made from (issue 10: a pooled TIS whose
 * connection went away holds none): re-keying its DEK element after a sync, or destroying the
 * DEK, drops it; a TIS keyed from another element keeps its own; new static params bring it
 * back. */
static void test_tls_ctx_follows_dek(void)
{
	uint8_t in[DEK_MODIFY_IN_SZ], out[DEK_HDR_OUT_SZ], h[64];
	struct tls_static_info si;
	struct cmd_secret secret;
	uint32_t base, single, tis2;
	uint16_t idx;
	struct fx f;

	FX_INIT(&f, .log_wqebbs = 5, .log_cqes = 6, .ops = &fake_ops);
	memset(in, 0, sizeof(in));
	dek_encode_create_bulk(in, f.pd, 2);
	CU_ASSERT_EQUAL_FATAL(dek_cmd(&f, in, DEK_CREATE_IN_SZ, out), 0);
	base = get32(out + 8);
	for (uint32_t i = 0; i < 2; i++) {
		memset(in, 0, sizeof(in));
		dek_encode_modify(in, base, i, f.pd, key128, 16, &secret);
		CU_ASSERT_EQUAL_FATAL(dek_cmd(&f, in, DEK_MODIFY_IN_SZ, out), 0);
	}
	single = create_dek(f.dev, f.uid, f.pd, key128, 16);
	tis2 = create_tis(f.dev, f.uid, f.td, f.pd, 1);
	CU_ASSERT_FATAL(single && tis2);
	static_info(&si, base, 0);
	post_static(&f, f.tls_tis, false, &si);
	static_info(&si, base + 1, 0);
	post_static(&f, tis2, false, &si);
	ring_db(&f);
	CU_ASSERT_EQUAL(sim_sq_process(f.sq), 2);
	CU_ASSERT_EQUAL(fake_ctx_count, 2);

	/* element 0 freed, synced and re-keyed: the first TIS's state goes, the second's stays */
	memset(in, 0, sizeof(in));
	sync_crypto_encode(in, MLX5_SYNC_CRYPTO_TYPE_TLS);
	CU_ASSERT_EQUAL(dek_cmd(&f, in, SYNC_CRYPTO_IN_SZ, out), 0);
	memset(in, 0, sizeof(in));
	dek_encode_modify(in, base, 0, f.pd, key128, 16, &secret);
	CU_ASSERT_EQUAL(dek_cmd(&f, in, DEK_MODIFY_IN_SZ, out), 0);
	CU_ASSERT_EQUAL(fake_ctx_count, 1);
	/* data on it fails as it would before any static params */
	hdr_v4(h, 1, 100, 1, 0x18);
	idx = post_send(&f, f.tls_tis, 0, 0xc0, h, 54, 0, 100);
	ring_db(&f);
	sim_sq_process(f.sq);
	expect_cqe(&f, idx, MLX5_CQE_SYNDROME_LOCAL_QP_OP_ERR, SIM_VSYND_TIS_NO_CONTEXT);
	recover(&f);

	/* its next user's static params make a new one; destroying that DEK drops it again */
	static_info(&si, single, 0);
	post_static(&f, f.tls_tis, false, &si);
	ring_db(&f);
	CU_ASSERT_EQUAL(sim_sq_process(f.sq), 1);
	CU_ASSERT_EQUAL(fake_ctx_count, 2);
	memset(in, 0, sizeof(in));
	dek_encode_destroy(in, single);
	CU_ASSERT_EQUAL(dek_cmd(&f, in, DEK_HDR_IN_SZ, out), 0);
	CU_ASSERT_EQUAL(fake_ctx_count, 1);
	/* the whole bulk goes: so does the second TIS's state */
	memset(in, 0, sizeof(in));
	dek_encode_destroy(in, base);
	CU_ASSERT_EQUAL(dek_cmd(&f, in, DEK_HDR_IN_SZ, out), 0);
	CU_ASSERT_EQUAL(fake_ctx_count, 0);
	CU_ASSERT_EQUAL(destroy_tis(f.dev, f.uid, tis2), 0);
	fx_fini(&f);
}

/* The profile's tls_cap decides what static params may ask for (fact sheet 5.3). */
static void test_tls_suites(void)
{
	struct fx f;
	struct tls_static_info si;
	uint32_t dek;
	uint16_t idx;
	static const uint8_t key256[32] = { 1, 2, 3 };

	FX_INIT(&f, .profile = "cx6dx-legacy", .log_wqebbs = 4, .log_cqes = 4, .ops = &fake_ops);
	dek = create_dek(f.dev, f.uid, f.pd, key128, 16);
	CU_ASSERT_FATAL(dek != 0);
	static_info(&si, dek, 0);
	si.tls13 = true;
	idx = post_static(&f, f.tls_tis, false, &si);
	ring_db(&f);
	sim_sq_process(f.sq);
	expect_cqe(&f, idx, MLX5_CQE_SYNDROME_LOCAL_QP_OP_ERR, SIM_VSYND_TLS_SUITE);
	recover(&f);
	si.tls13 = false;
	idx = post_static(&f, f.tls_tis, false, &si);
	post_nop(&f, MLX5TLS_WQE_CQ_UPDATE);
	ring_db(&f);
	sim_sq_process(f.sq);
	expect_cqe(&f, (uint16_t)(idx + 3), 0, 0);
	/* AES-256 is not in the legacy profile either */
	dek = create_dek(f.dev, f.uid, f.pd, key256, 32);
	if (dek) {
		static_info(&si, dek, 0);
		idx = post_static(&f, f.tls_tis, false, &si);
		ring_db(&f);
		sim_sq_process(f.sq);
		expect_cqe(&f, idx, MLX5_CQE_SYNDROME_LOCAL_QP_OP_ERR, SIM_VSYND_TLS_SUITE);
	}
	fx_fini(&f);
}

/* Ring, dbrec and CQ memory owned by the caller, as DevX umems are. */
static void test_caller_memory(void)
{
	struct fx f;
	struct sim_cq_attr ca = { 0 };
	struct sim_sq_attr sa = { 0 };
	struct sim_cq *cq;
	struct sim_sq *sq;
	struct sim_cq_info ci;
	struct sim_sq_info si;
	uint8_t *cqbuf = aligned_alloc(4096, 4096), *sqbuf = aligned_alloc(4096, 4096);
	uint32_t *dbr = aligned_alloc(64, 64);
	uint64_t ctrl8;

	FX_INIT(&f, .log_wqebbs = 4, .log_cqes = 4);
	CU_ASSERT_FATAL(cqbuf && sqbuf && dbr);
	memset(cqbuf, 0, 4096);
	memset(sqbuf, 0, 4096);
	memset(dbr, 0, 64);
	for (int i = 0; i < 8; i++)
		cqbuf[i * 64 + 63] = 0xf1; /* the driver's job with DevX (DPDK mlx5_cq_init) */
	ca.log_cqes = 3;
	ca.buf = cqbuf;
	ca.dbrec = dbr;
	cq = sim_cq_create(f.dev, &ca);
	CU_ASSERT_FATAL(cq != NULL);
	sim_cq_query(cq, &ci);
	CU_ASSERT_PTR_EQUAL(ci.buf, cqbuf);
	CU_ASSERT_PTR_EQUAL(ci.dbrec, dbr);
	sa.log_wqebbs = 6;
	sa.cq = cq;
	sa.tisn = f.tis;
	sa.buf = sqbuf;
	sa.dbrec = dbr + 2;
	sq = sim_sq_create(f.dev, &sa);
	CU_ASSERT_FATAL(sq != NULL);
	sim_sq_query(sq, &si);
	CU_ASSERT_PTR_EQUAL(si.buf, sqbuf);
	CU_ASSERT_EQUAL(si.wqe_cnt, 64);
	CU_ASSERT_EQUAL(si.state, SIM_SQ_RST);
	CU_ASSERT_EQUAL(sim_sq_modify(sq, SIM_SQ_RDY), 0);
	wqe_ctrl_fill(sqbuf, 0, 0, MLX5TLS_OPCODE_NOP, si.sqn, 1, MLX5TLS_WQE_CQ_UPDATE, 0);
	dbr[3] = htobe32(1);
	memcpy(&ctrl8, sqbuf, 8);
	sim_sq_ring_doorbell(sq, ctrl8);
	CU_ASSERT_EQUAL(sim_sq_process(sq), 1);
	CU_ASSERT_EQUAL(cqbuf[63], 0x00);
	CU_ASSERT_EQUAL(get32(cqbuf + 56), si.sqn);
	CU_ASSERT_EQUAL(cqbuf[64 + 63], 0xf1);
	CU_ASSERT_EQUAL(sim_cq_destroy(cq), -EBUSY);
	sim_sq_destroy(sq);
	CU_ASSERT_EQUAL(sim_cq_destroy(cq), 0);
	free(cqbuf);
	free(sqbuf);
	free(dbr);
	fx_fini(&f);
}

static void test_create_errors(void)
{
	struct fx f;
	struct sim_sq_attr sa = { 0 };
	struct sim_cq_attr ca = { 0 };
	struct sim_dev *other;
	struct sim_cq *ocq;
	uint32_t lkey = 0;
	uint8_t buf[64];

	FX_INIT(&f, .log_wqebbs = 4, .log_cqes = 4);
	sa.log_wqebbs = 4;
	sa.cq = f.cq;
	sa.tisn = 0xabcdef;
	errno = 0;
	CU_ASSERT_PTR_NULL(sim_sq_create(f.dev, &sa));
	CU_ASSERT_EQUAL(errno, ENOENT);
	sa.tisn = f.tis;
	sa.log_wqebbs = 0;
	CU_ASSERT_PTR_NULL(sim_sq_create(f.dev, &sa));
	CU_ASSERT_EQUAL(errno, EINVAL);
	sa.log_wqebbs = SIM_SQ_LOG_MAX + 1;
	CU_ASSERT_PTR_NULL(sim_sq_create(f.dev, &sa));
	sa.log_wqebbs = 4;
	sa.flags = 0x80;
	CU_ASSERT_PTR_NULL(sim_sq_create(f.dev, &sa));
	sa.flags = 0;
	sa.buf = buf + 1;
	CU_ASSERT_PTR_NULL(sim_sq_create(f.dev, &sa));
	sa.buf = NULL;
	/* a CQ of another device */
	other = sim_dev_create(NULL);
	CU_ASSERT_FATAL(other != NULL);
	ca.log_cqes = 2;
	ocq = sim_cq_create(other, &ca);
	CU_ASSERT_FATAL(ocq != NULL);
	sa.cq = ocq;
	CU_ASSERT_PTR_NULL(sim_sq_create(f.dev, &sa));
	CU_ASSERT_EQUAL(sim_cq_destroy(ocq), 0);
	sim_dev_destroy(other);
	ca.log_cqes = 0;
	CU_ASSERT_PTR_NULL(sim_cq_create(f.dev, &ca));
	ca.log_cqes = SIM_CQ_LOG_MAX + 1;
	CU_ASSERT_PTR_NULL(sim_cq_create(f.dev, &ca));
	/* memory regions */
	CU_ASSERT_EQUAL(sim_mr_reg(f.dev, 0, NULL, 10, &lkey), -EINVAL);
	CU_ASSERT_EQUAL(sim_mr_reg(f.dev, 0, buf, 0, &lkey), -EINVAL);
	CU_ASSERT_EQUAL(sim_mr_reg(f.dev, 0, buf, sizeof(buf), &lkey), 0);
	CU_ASSERT(lkey != 0 && lkey != f.lkey && (lkey & 0xff) != (f.lkey & 0xff));
	CU_ASSERT_EQUAL(sim_mr_dereg(f.dev, lkey), 0);
	CU_ASSERT_EQUAL(sim_mr_dereg(f.dev, lkey), -ENOENT);
	CU_ASSERT_EQUAL(sim_mr_dereg(f.dev, 0x12345678), -ENOENT);
	/* a deregistered key no longer reads */
	{
		uint8_t h[64], w[1024] = { 0 };
		struct dseg d = { 10, (uintptr_t)buf, lkey, false };

		hdr_v4(h, 1, 10, 1, 0x18);
		post(&f, w,
		     build_send(w, f.pc, f.sqi.sqn, MLX5TLS_OPCODE_SEND, 0, 0, 0xc0, 0, h, 54, &d,
				1));
		ring_db(&f);
		sim_sq_process(f.sq);
		expect_cqe(&f, 0, MLX5_CQE_SYNDROME_LOCAL_PROT_ERR, SIM_VSYND_LKEY_UNKNOWN);
	}
	CU_ASSERT_PTR_NULL(sim_sq_vsynd_str(0x7f));
	fx_fini(&f);
}

/* ---- the built-in TLS TX engine, checked with this file's own AES-GCM (OpenSSL EVP) ---- */

static int gcm_open(const uint8_t *key, size_t key_len, const uint8_t nonce[12], const uint8_t *aad,
		    int aad_len, const uint8_t *ct, int len, const uint8_t *tag, uint8_t *pt)
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int outl = 0, ok;

	if (!c)
		return -1;
	ok = EVP_DecryptInit_ex(c, key_len == 16 ? EVP_aes_128_gcm() : EVP_aes_256_gcm(), NULL,
				NULL, NULL) &&
	     EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_IVLEN, 12, NULL) &&
	     EVP_DecryptInit_ex(c, NULL, NULL, key, nonce) &&
	     EVP_DecryptUpdate(c, NULL, &outl, aad, aad_len) &&
	     EVP_DecryptUpdate(c, pt, &outl, ct, len) &&
	     EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, 16, (void *)tag) &&
	     EVP_DecryptFinal_ex(c, pt + outl, &outl) > 0;
	EVP_CIPHER_CTX_free(c);
	return ok ? 0 : -1;
}

/* Lay out a kTLS TX record at p: header, [TLS 1.2: explicit nonce = record number], plaintext,
 * [TLS 1.3: inner content type 0x17], 16 zero bytes for the tag. Returns its length. */
static size_t ktls_record(uint8_t *p, bool tls13, uint64_t recno, const uint8_t *pt, size_t plen)
{
	size_t inner = tls13 ? plen + 1 + 16 : 8 + plen + 16, off = 5;

	p[0] = 0x17;
	p[1] = 0x03;
	p[2] = 0x03;
	put16(p + 3, (uint16_t)inner);
	if (!tls13) {
		put64(p + 5, recno);
		off += 8;
	}
	memcpy(p + off, pt, plen);
	off += plen;
	if (tls13)
		p[off++] = 0x17;
	memset(p + off, 0, 16);
	return 5 + inner;
}

/* Decrypt and check one record of the wire stream at w (TLS 1.2 RFC 5246 6.2.3.3 / TLS 1.3
 * RFC 8446 5.2-5.3); 0 if the tag verifies and the plaintext is `pt`. */
static int ktls_check(const uint8_t *w, bool tls13, const uint8_t *key, size_t key_len,
		      const uint8_t salt[4], const uint8_t iv[8], uint64_t recno, const uint8_t *pt,
		      size_t plen)
{
	uint8_t nonce[12], aad[13], out[20000];
	const uint8_t *ct;
	int ctlen, aad_len;

	memcpy(nonce, salt, 4);
	if (tls13) {
		memcpy(nonce + 4, iv, 8);
		for (int i = 0; i < 8; i++)
			nonce[4 + i] ^= (uint8_t)(recno >> (56 - 8 * i));
		memcpy(aad, w, 5);
		aad_len = 5;
		ct = w + 5;
		ctlen = (int)plen + 1;
	} else {
		memcpy(nonce + 4, w + 5, 8);
		put64(aad, recno);
		memcpy(aad + 8, w, 3);
		put16(aad + 11, (uint16_t)plen);
		aad_len = 13;
		ct = w + 13;
		ctlen = (int)plen;
	}
	if (gcm_open(key, key_len, nonce, aad, aad_len, ct, ctlen, ct + ctlen, out))
		return -1;
	if (memcmp(out, pt, plen) || (tls13 && out[plen] != 0x17))
		return -2;
	return 0;
}

/* Copy the TCP payload of every captured frame into stream[seq - seq0], checking checksums. */
static size_t reassemble(struct sim_port *cap, size_t first, uint32_t seq0, uint8_t *stream,
			 size_t cap_len)
{
	size_t end = 0, n = sim_port_capture_count(cap);

	for (size_t i = first; i < n; i++) {
		size_t len = 0;
		const uint8_t *fr = sim_port_capture_frame(cap, i, &len);
		uint32_t tot = get16(fr + 16), plen = tot - 40, off = get32(fr + 38) - seq0;

		CU_ASSERT_EQUAL(test_csum_field(test_csum_add(0, fr + 14, 20)), 0);
		CU_ASSERT_EQUAL(l4_csum(fr + 14, false, fr + 34, tot - 20, 6), 0);
		CU_ASSERT_FATAL(off + plen <= cap_len);
		memcpy(stream + off, fr + 54, plen);
		if (off + plen > end)
			end = off + plen;
	}
	return end;
}

/*
 * TLS 1.2 AES-GCM-128: two records (1000 and 2500 bytes of plaintext) sent as a SEND of the first
 * 600 bytes and an LSO of the rest (MSS 1448), so records straddle segments; then an out-of-order
 * retransmission of record 2's tail with the kernel's resync (static params with the record's
 * number, progress params, fenced NOP, DUMPs of the record prefix), which must reproduce the same
 * ciphertext and tag.
 */
static void test_tls12_builtin(void)
{
	struct fx f;
	struct tls_static_info si;
	static const uint8_t salt[4] = { 0xa1, 0xa2, 0xa3, 0xa4 };
	uint8_t h[64], w[1024] = { 0 };
	uint8_t pt1[1000], pt2[2500], *plain, *stream;
	uint32_t dek, seq0 = 0xfffff800; /* the TCP sequence wraps inside the stream */
	size_t r1, r2, total, got;
	struct dseg d;
	struct sim_sq_stats st;

	FX_INIT(&f, .log_wqebbs = 6, .log_cqes = 6);
	dek = create_dek(f.dev, f.uid, f.pd, key128, 16);
	CU_ASSERT_FATAL(dek != 0);
	stream = calloc(1, 8192);
	CU_ASSERT_FATAL(stream != NULL);
	fill_pattern(pt1, sizeof(pt1), 0x21);
	fill_pattern(pt2, sizeof(pt2), 0x77);
	plain = f.mem; /* the plaintext TCP stream, as the kTLS socket lays it out */
	r1 = ktls_record(plain, false, 7, pt1, sizeof(pt1));
	r2 = ktls_record(plain + r1, false, 8, pt2, sizeof(pt2));
	total = r1 + r2;
	CU_ASSERT_EQUAL(total, 1029 + 2529);

	static_info(&si, dek, 7);
	post_static(&f, f.tls_tis, false, &si);
	post_progress(&f, f.tls_tis, true, 0);
	wqe_build_fence_nop(w, f.pc, f.sqi.sqn);
	post(&f, w, 64);
	hdr_v4(h, seq0, 600, 1, 0x18);
	post_send(&f, f.tls_tis, 0, 0xc0, h, 54, 0, 600);
	memset(w, 0, sizeof(w));
	hdr_v4(h, seq0 + 600, 0, 2, 0x18);
	d = (struct dseg){ (uint32_t)(total - 600), (uintptr_t)(plain + 600), f.lkey, false };
	post(&f, w, build_send(w, f.pc, f.sqi.sqn, MLX5TLS_OPCODE_LSO, f.tls_tis,
			       MLX5TLS_WQE_CQ_UPDATE, 0xc0, 1448, h, 54, &d, 1));
	ring_db(&f);
	CU_ASSERT_EQUAL(sim_sq_process(f.sq), 5);
	expect_cqe(&f, (uint16_t)(f.pc - 2), 0, 0);
	CU_ASSERT_EQUAL(sim_port_capture_count(f.cap), 4);
	got = reassemble(f.cap, 0, seq0, stream, 8192);
	CU_ASSERT_EQUAL_FATAL(got, total);
	/* headers and explicit nonces pass through; the records decrypt with our own GCM */
	CU_ASSERT_EQUAL(memcmp(stream, plain, 13), 0);
	CU_ASSERT_EQUAL(memcmp(stream + r1, plain + r1, 13), 0);
	CU_ASSERT_NOT_EQUAL(memcmp(stream + 13, pt1, 64), 0);
	CU_ASSERT_EQUAL(ktls_check(stream, false, key128, 16, salt, NULL, 7, pt1, sizeof(pt1)), 0);
	CU_ASSERT_EQUAL(ktls_check(stream + r1, false, key128, 16, salt, NULL, 8, pt2, sizeof(pt2)),
			0);

	/* retransmit record 2 from 2000 bytes into it: resync to record 8, replay its prefix */
	{
		uint32_t at = (uint32_t)r1 + 2000, tail = (uint32_t)(total - at);
		uint8_t *orig = malloc(tail);
		size_t first = sim_port_capture_count(f.cap);

		CU_ASSERT_FATAL(orig != NULL);
		memcpy(orig, stream + at, tail);
		static_info(&si, dek, 8);
		post_static(&f, f.tls_tis, true, &si);
		post_progress(&f, f.tls_tis, false, 0);
		memset(w, 0, sizeof(w));
		wqe_build_fence_nop(w, f.pc, f.sqi.sqn);
		post(&f, w, 64);
		for (uint32_t off = 0; off < 2000; off += 1000) {
			memset(w, 0, sizeof(w));
			wqe_build_dump(w, f.pc, f.sqi.sqn, f.tls_tis, (uintptr_t)(plain + r1 + off),
				       f.lkey, 1000, false);
			post(&f, w, 64);
		}
		hdr_v4(h, seq0 + at, tail, 3, 0x18);
		post_send(&f, f.tls_tis, MLX5TLS_WQE_CQ_UPDATE, 0xc0, h, 54, at, tail);
		ring_db(&f);
		CU_ASSERT_EQUAL(sim_sq_process(f.sq), 6);
		expect_cqe(&f, (uint16_t)(f.pc - 2), 0, 0);
		CU_ASSERT_EQUAL(sim_port_capture_count(f.cap), first + 1); /* DUMPs send nothing */
		memset(stream, 0, 8192);
		reassemble(f.cap, first, seq0, stream, 8192);
		TEST_ASSERT_BYTES("retransmitted ciphertext and tag", stream + at, orig, tail);
		free(orig);
	}
	sim_sq_get_stats(f.sq, &st);
	CU_ASSERT_EQUAL(st.tls_dump_bytes, 2000);
	CU_ASSERT_EQUAL(st.tls_frames, 5);
	CU_ASSERT_EQUAL(st.tls_unfenced_after_params, 0);
	free(stream);
	fx_fini(&f);
}

/* TLS 1.3 AES-GCM-256: per-record nonce from the static IV, AAD = the record header. */
static void test_tls13_builtin(void)
{
	struct fx f;
	struct tls_static_info si;
	static const uint8_t key256[32] = { 0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7,
					    0xa8, 0xa9, 0xaa, 0xab, 0xac, 0xad, 0xae, 0xaf,
					    0xb0, 0xb1, 0xb2, 0xb3, 0xb4, 0xb5, 0xb6, 0xb7,
					    0xb8, 0xb9, 0xba, 0xbb, 0xbc, 0xbd, 0xbe, 0xbf };
	static const uint8_t iv[8] = { 0xb1, 0xb2, 0xb3, 0xb4, 0xb5, 0xb6, 0xb7, 0xb8 };
	uint8_t h[64], w[64] = { 0 }, pt[700], stream[2048];
	uint32_t dek;
	size_t r1, r2;

	FX_INIT(&f, .log_wqebbs = 5, .log_cqes = 5);
	dek = create_dek(f.dev, f.uid, f.pd, key256, 32);
	CU_ASSERT_FATAL(dek != 0);
	fill_pattern(pt, sizeof(pt), 0x42);
	r1 = ktls_record(f.mem, true, 0x10, pt, 300);
	r2 = ktls_record(f.mem + r1, true, 0x11, pt + 300, 400);
	static_info(&si, dek, 0x10);
	si.tls13 = true;
	memcpy(si.iv, iv, 8);
	post_static(&f, f.tls_tis, false, &si);
	post_progress(&f, f.tls_tis, true, 0);
	wqe_build_fence_nop(w, f.pc, f.sqi.sqn);
	post(&f, w, 64);
	hdr_v4(h, 1, (uint32_t)(r1 + r2), 1, 0x18);
	post_send(&f, f.tls_tis, MLX5TLS_WQE_CQ_UPDATE, 0xc0, h, 54, 0, (uint32_t)(r1 + r2));
	ring_db(&f);
	CU_ASSERT_EQUAL(sim_sq_process(f.sq), 4);
	expect_cqe(&f, (uint16_t)(f.pc - 2), 0, 0);
	CU_ASSERT_EQUAL_FATAL(reassemble(f.cap, 0, 1, stream, sizeof(stream)), r1 + r2);
	CU_ASSERT_EQUAL(memcmp(stream, f.mem, 5), 0);
	CU_ASSERT_EQUAL(ktls_check(stream, true, key256, 32, si.salt, iv, 0x10, pt, 300), 0);
	CU_ASSERT_EQUAL(ktls_check(stream + r1, true, key256, 32, si.salt, iv, 0x11, pt + 300, 400),
			0);
	fx_fini(&f);
}

/* The engine's own rule (tls_tx.h R4): data after static params with no START fails the WQE. */
static void test_tls_builtin_needs_start(void)
{
	struct fx f;
	struct tls_static_info si;
	uint8_t h[64];
	uint32_t dek;
	uint16_t idx;

	FX_INIT(&f, .log_wqebbs = 4, .log_cqes = 4);
	dek = create_dek(f.dev, f.uid, f.pd, key128, 16);
	static_info(&si, dek, 0);
	post_static(&f, f.tls_tis, false, &si);
	hdr_v4(h, 1, 100, 1, 0x18);
	idx = post_send(&f, f.tls_tis, MLX5TLS_WQE_CQ_UPDATE, 0xc0, h, 54, 0, 100);
	ring_db(&f);
	sim_sq_process(f.sq);
	expect_cqe(&f, idx, MLX5_CQE_SYNDROME_LOCAL_QP_OP_ERR, SIM_VSYND_TLS_ENGINE);
	CU_ASSERT_EQUAL(sim_port_capture_count(f.cap), 0);
	fx_fini(&f);
}

static const struct test_case sq_cases[] = {
	{ "NOP and the CQE format", test_nop_cqe },
	{ "doorbell and MODIFY_SQ states", test_doorbell_and_states },
	{ "SEND IPv4/TCP exact bytes and checksums", test_send_ipv4_exact },
	{ "SEND gather, inline data, IPv6+VLAN, padding", test_send_gather_ipv6_vlan_pad },
	{ "LSO 4 KiB into MSS 1448", test_lso },
	{ "LSO errors", test_lso_errors },
	{ "port MTU", test_mtu },
	{ "ring wrap, static params across it", test_ring_wrap_static_params },
	{ "CQ wrap and owner bit", test_cq_wrap_owner },
	{ "CQ overrun", test_cq_overrun },
	{ "error CQE, flush, recovery", test_error_flush_recover },
	{ "malformed WQEs", test_malformed_wqes },
	{ "CQ_UPDATE moderation", test_cq_moderation },
	{ "fault injection", test_inject_error },
	{ "async device thread", test_async_thread },
	{ "caller-provided queue memory", test_caller_memory },
	{ "create/reg errors", test_create_errors },
	{ NULL, NULL },
};

static const struct test_case tls_cases[] = {
	{ "recording engine: params, DUMP, SEND, LSO", test_tls_fake_engine },
	{ "TLS WQE errors", test_tls_errors },
	{ "TLS engine state goes with its DEK", test_tls_ctx_follows_dek },
	{ "profile TLS suites", test_tls_suites },
	{ "built-in engine: TLS 1.2 AES-128, SEND+LSO, resync", test_tls12_builtin },
	{ "built-in engine: TLS 1.3 AES-256", test_tls13_builtin },
	{ "built-in engine: data before START", test_tls_builtin_needs_start },
	{ NULL, NULL },
};

static const struct test_case port_cases[] = {
	{ "capture, loopback, MTU", test_ports },
	{ "pcap file", test_pcap },
	{ NULL, NULL },
};

static const struct test_suite suites[] = {
	{ "sim send queue", NULL, NULL, sq_cases },
	{ "sim send queue TLS", NULL, NULL, tls_cases },
	{ "sim ports", NULL, NULL, port_cases },
	{ NULL, NULL, NULL, NULL },
};

int main(void)
{
	return test_run_suites(suites);
}
