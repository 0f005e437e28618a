/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Device model: CREATE/MODIFY/QUERY/DESTROY_TIR (fact sheet 4.3; sim/tir.c rules T1-T10). Every
 * rejection with its status and syndrome, the QUERY image checked against bytes written from the
 * fact sheet's tirc table (not with the ifc macros), in-use rules (an RQ named by a TIR, a TD, a
 * TIR named by a steering rule), uid isolation and teardown, profile gating and limits.
 */
#include <errno.h>
#include <string.h>

#include "prm/mlx5_ifc_tls.h"
#include "sim/rq.h"
#include "sim/sim.h"
#include "sim/sq.h"
#include "sim/syndromes.h"
#include "sim_test_util.h"
#include "test_util.h"

/* A device with one uid owning a TD, a CQ and an RQ of that uid. */
struct fixture {
	struct sim_dev *dev;
	uint16_t uid;
	uint32_t td;
	struct sim_cq *cq;
	struct sim_rq *rq;
	uint32_t rqn;
};

static struct sim_rq *new_rq(struct sim_dev *dev, struct sim_cq *cq, uint16_t uid)
{
	struct sim_rq_attr ra = { 0 };

	ra.log_wqes = 4;
	ra.cq = cq;
	ra.uid = uid;
	return sim_rq_create(dev, &ra);
}

static int fixture_init(struct fixture *f, const char *spec)
{
	struct sim_cq_attr ca = { 0 };
	struct sim_rq_info ri;

	memset(f, 0, sizeof(*f));
	f->dev = sim_dev_create(spec);
	if (!f->dev || sim_uctx_alloc(f->dev, &f->uid))
		return -1;
	f->td = new_num(f->dev, f->uid, MLX5_CMD_OP_ALLOC_TRANSPORT_DOMAIN);
	ca.log_cqes = 4;
	f->cq = sim_cq_create(f->dev, &ca);
	if (!f->td || !f->cq)
		return -1;
	f->rq = new_rq(f->dev, f->cq, f->uid);
	if (!f->rq)
		return -1;
	sim_rq_query(f->rq, &ri);
	f->rqn = ri.rqn;
	return 0;
}

static void fixture_fini(struct fixture *f)
{
	sim_uctx_free(f->dev, f->uid); /* destroys the TIRs left, unpinning the RQ */
	CU_ASSERT_EQUAL(sim_rq_destroy(f->rq), 0);
	CU_ASSERT_EQUAL(sim_cq_destroy(f->cq), 0);
	sim_dev_destroy(f->dev);
}

static void tir_in_init(uint32_t *in, uint32_t td, uint32_t rqn, int tls_en)
{
	memset(in, 0, DEVX_ST_SZ_BYTES(create_tir_in));
	DEVX_SET(create_tir_in, in, opcode, MLX5_CMD_OP_CREATE_TIR);
	DEVX_SET(create_tir_in, in, ctx.disp_type, MLX5_TIRC_DISP_TYPE_DIRECT);
	DEVX_SET(create_tir_in, in, ctx.tls_en, tls_en);
	DEVX_SET(create_tir_in, in, ctx.inline_rqn, rqn);
	DEVX_SET(create_tir_in, in, ctx.transport_domain, td);
}

static int exec_create(struct sim_dev *dev, uint16_t uid, const uint32_t *in, uint8_t *out,
		       uint32_t *tirn)
{
	int ret = sim_cmd_exec(dev, uid, in, DEVX_ST_SZ_BYTES(create_tir_in), out, 16);

	if (!ret && tirn)
		*tirn = (uint32_t)out[9] << 16 | (uint32_t)out[10] << 8 | out[11];
	return ret;
}

static int create_tir(struct fixture *f, int tls_en, uint32_t *tirn)
{
	uint32_t in[DEVX_ST_SZ_DW(create_tir_in)];
	uint8_t out[16];

	tir_in_init(in, f->td, f->rqn, tls_en);
	return exec_create(f->dev, f->uid, in, out, tirn);
}

static int tirn_cmd(struct sim_dev *dev, uint16_t uid, uint16_t opcode, uint32_t tirn, void *out,
		    size_t outlen)
{
	uint32_t in[DEVX_ST_SZ_DW(query_tir_in)] = { 0 };

	DEVX_SET(query_tir_in, in, opcode, opcode);
	DEVX_SET(query_tir_in, in, tirn, tirn);
	return sim_cmd_exec(dev, uid, in, sizeof(in), out, outlen);
}

static int destroy_tir(struct fixture *f, uint32_t tirn, uint8_t *out)
{
	return tirn_cmd(f->dev, f->uid, MLX5_CMD_OP_DESTROY_TIR, tirn, out, 16);
}

/* QUERY_TIR output with the tirc at byte 32 (kernel query_tir_out: 0x100 bits before it). */
static int query_tir(struct sim_dev *dev, uint16_t uid, uint32_t tirn, uint8_t out[272])
{
	return tirn_cmd(dev, uid, MLX5_CMD_OP_QUERY_TIR, tirn, out, 272);
}

static void test_create_query(void)
{
	struct fixture f;
	uint32_t in[DEVX_ST_SZ_DW(create_tir_in)];
	uint8_t out[272], want[272];
	uint32_t tirn = 0, tirn2 = 0, rqn = 0;
	struct sim_dev_stats st;
	int tls_en = -1;
	uint16_t uid = 0;

	CU_ASSERT_EQUAL_FATAL(fixture_init(&f, NULL), 0);
	tir_in_init(in, f.td, f.rqn, 1);
	DEVX_SET(create_tir_in, in, ctx.rx_hash_fn, MLX5_RX_HASH_FN_INVERTED_XOR8);
	DEVX_SET(create_tir_in, in, ctx.self_lb_block, 3);
	DEVX_SET(create_tir_in, in, ctx.tunneled_offload_en, 1);
	DEVX_SET(create_tir_in, in, ctx.lro_timeout_period_usecs, 0x1234);
	DEVX_SET(create_tir_in, in, ctx.lro_max_ip_payload_size, 0x56);
	CU_ASSERT_EQUAL_FATAL(exec_create(f.dev, f.uid, in, out, &tirn), 0);
	CU_ASSERT_EQUAL(tirn, 0x80);
	CU_ASSERT_EQUAL_FATAL(create_tir(&f, 0, &tirn2), 0);
	CU_ASSERT_EQUAL(tirn2, 0x81);
	sim_dev_get_stats(f.dev, &st);
	CU_ASSERT_EQUAL(st.tirs, 2);

	/* fact sheet 4.3, tirc at byte 32: byte 4 0x08 = tls_en (disp_type 0 DIRECT); bits
	 * 0x84.. lro_timeout (16) | packet_merge_mask (4) | lro_max_ip_payload_size (8) = tirc
	 * bytes 16..19 01 23 40 56; inline_rqn 29..31; byte 32 0x20 = tunneled_offload_en;
	 * byte 36 = rx_hash_fn 1 << 4 | self_lb_block 3; transport_domain 37..39. */
	memset(want, 0, sizeof(want));
	want[32 + 4] = 0x08;
	want[32 + 16] = 0x01;
	want[32 + 17] = 0x23;
	want[32 + 18] = 0x40;
	want[32 + 19] = 0x56;
	want[32 + 29] = (uint8_t)(f.rqn >> 16);
	want[32 + 30] = (uint8_t)(f.rqn >> 8);
	want[32 + 31] = (uint8_t)f.rqn;
	want[32 + 32] = 0x20;
	want[32 + 36] = 0x13;
	want[32 + 39] = (uint8_t)f.td;
	memset(out, 0xcc, sizeof(out));
	CU_ASSERT_EQUAL(query_tir(f.dev, f.uid, tirn, out), 0);
	TEST_ASSERT_BYTES("QUERY_TIR out", out, want, sizeof(out));

	CU_ASSERT_EQUAL(sim_tir_get(f.dev, tirn, &tls_en, &uid, &rqn), 0);
	CU_ASSERT_EQUAL(tls_en, 1);
	CU_ASSERT_EQUAL(uid, f.uid);
	CU_ASSERT_EQUAL(rqn, f.rqn);
	CU_ASSERT_EQUAL(sim_tir_get(f.dev, tirn2, &tls_en, NULL, NULL), 0);
	CU_ASSERT_EQUAL(tls_en, 0);
	CU_ASSERT_EQUAL(sim_tir_get(f.dev, 0x82, NULL, NULL, NULL), -ENOENT);

	/* destroyed: gone for QUERY and for the model's own lookups */
	CU_ASSERT_EQUAL(destroy_tir(&f, tirn, out), 0);
	CHECK_REJECT(query_tir(f.dev, f.uid, tirn, out), out, MLX5_CMD_STAT_BAD_RES_ERR,
		     SIM_SYND_TIR_UNKNOWN);
	CHECK_REJECT(destroy_tir(&f, tirn, out), out, MLX5_CMD_STAT_BAD_RES_ERR,
		     SIM_SYND_TIR_UNKNOWN);
	CU_ASSERT_EQUAL(sim_tir_get(f.dev, tirn, NULL, NULL, NULL), -ENOENT);
	sim_dev_get_stats(f.dev, &st);
	CU_ASSERT_EQUAL(st.tirs, 1);
	fixture_fini(&f);
}

static void test_create_rejects(void)
{
	struct fixture f;
	uint32_t in[DEVX_ST_SZ_DW(create_tir_in)];
	uint8_t out[272];
	uint16_t other;
	uint32_t other_td;
	struct sim_rq *other_rq;
	struct sim_rq_info ri;
	struct sim_dev_stats st;

	CU_ASSERT_EQUAL_FATAL(fixture_init(&f, NULL), 0);
	CU_ASSERT_EQUAL_FATAL(sim_uctx_alloc(f.dev, &other), 0);
	other_td = new_num(f.dev, other, MLX5_CMD_OP_ALLOC_TRANSPORT_DOMAIN);
	other_rq = new_rq(f.dev, f.cq, other);
	CU_ASSERT_FATAL(other_td && other_rq);
	sim_rq_query(other_rq, &ri);

	/* T1: dispatch */
	tir_in_init(in, f.td, f.rqn, 1);
	DEVX_SET(create_tir_in, in, ctx.disp_type, 2);
	CHECK_REJECT(exec_create(f.dev, f.uid, in, out, NULL), out, MLX5_CMD_STAT_BAD_PARAM_ERR,
		     SIM_SYND_TIR_DISP_TYPE_INVALID);
	tir_in_init(in, f.td, 0, 1);
	DEVX_SET(create_tir_in, in, ctx.disp_type, MLX5_TIRC_DISP_TYPE_INDIRECT);
	DEVX_SET(create_tir_in, in, ctx.indirect_table, 0x10);
	CHECK_REJECT(exec_create(f.dev, f.uid, in, out, NULL), out, MLX5_CMD_STAT_BAD_PARAM_ERR,
		     SIM_SYND_TIR_INDIRECT_NOT_MODELLED);
	tir_in_init(in, f.td, f.rqn, 1);
	DEVX_SET(create_tir_in, in, ctx.indirect_table, 0x10);
	CHECK_REJECT(exec_create(f.dev, f.uid, in, out, NULL), out, MLX5_CMD_STAT_BAD_PARAM_ERR,
		     SIM_SYND_TIR_INDIRECT_TABLE_SET);
	tir_in_init(in, f.td, 0, 1);
	CHECK_REJECT(exec_create(f.dev, f.uid, in, out, NULL), out, MLX5_CMD_STAT_BAD_RES_ERR,
		     SIM_SYND_TIR_RQ_UNKNOWN);
	tir_in_init(in, f.td, f.rqn + 77, 1);
	CHECK_REJECT(exec_create(f.dev, f.uid, in, out, NULL), out, MLX5_CMD_STAT_BAD_RES_ERR,
		     SIM_SYND_TIR_RQ_UNKNOWN);
	tir_in_init(in, f.td, ri.rqn, 1);
	CHECK_REJECT(exec_create(f.dev, f.uid, in, out, NULL), out, MLX5_CMD_STAT_BAD_RES_ERR,
		     SIM_SYND_TIR_RQ_NOT_OWNED);
	/* T4: hashing */
	tir_in_init(in, f.td, f.rqn, 1);
	DEVX_SET(create_tir_in, in, ctx.rx_hash_fn, 3);
	CHECK_REJECT(exec_create(f.dev, f.uid, in, out, NULL), out, MLX5_CMD_STAT_BAD_PARAM_ERR,
		     SIM_SYND_TIR_HASH_FN_INVALID);
	tir_in_init(in, f.td, f.rqn, 1);
	((uint8_t *)in)[32 + 40 + 17] = 1; /* a Toeplitz key byte */
	CHECK_REJECT(exec_create(f.dev, f.uid, in, out, NULL), out, MLX5_CMD_STAT_BAD_PARAM_ERR,
		     SIM_SYND_TIR_HASH_FIELDS_SET);
	tir_in_init(in, f.td, f.rqn, 1);
	DEVX_SET(create_tir_in, in, ctx.rx_hash_field_selector_outer.l4_prot_type, 1);
	CHECK_REJECT(exec_create(f.dev, f.uid, in, out, NULL), out, MLX5_CMD_STAT_BAD_PARAM_ERR,
		     SIM_SYND_TIR_HASH_FIELDS_SET);
	tir_in_init(in, f.td, f.rqn, 1);
	DEVX_SET(create_tir_in, in, ctx.rx_hash_field_selector_inner.selected_fields, 4);
	CHECK_REJECT(exec_create(f.dev, f.uid, in, out, NULL), out, MLX5_CMD_STAT_BAD_PARAM_ERR,
		     SIM_SYND_TIR_HASH_FIELDS_SET);
	tir_in_init(in, f.td, f.rqn, 1);
	DEVX_SET(create_tir_in, in, ctx.rx_hash_symmetric, 1);
	CHECK_REJECT(exec_create(f.dev, f.uid, in, out, NULL), out, MLX5_CMD_STAT_BAD_PARAM_ERR,
		     SIM_SYND_TIR_HASH_FIELDS_SET);
	/* T5: LRO */
	tir_in_init(in, f.td, f.rqn, 1);
	DEVX_SET(create_tir_in, in, ctx.packet_merge_mask, 1);
	CHECK_REJECT(exec_create(f.dev, f.uid, in, out, NULL), out, MLX5_CMD_STAT_BAD_PARAM_ERR,
		     SIM_SYND_TIR_LRO_UNSUPPORTED);
	/* T3: transport domain */
	tir_in_init(in, 0, f.rqn, 1);
	CHECK_REJECT(exec_create(f.dev, f.uid, in, out, NULL), out, MLX5_CMD_STAT_BAD_RES_ERR,
		     SIM_SYND_TD_UNKNOWN);
	tir_in_init(in, f.td + 9, f.rqn, 1);
	CHECK_REJECT(exec_create(f.dev, f.uid, in, out, NULL), out, MLX5_CMD_STAT_BAD_RES_ERR,
		     SIM_SYND_TD_UNKNOWN);
	tir_in_init(in, other_td, f.rqn, 1);
	CHECK_REJECT(exec_create(f.dev, f.uid, in, out, NULL), out, MLX5_CMD_STAT_BAD_RES_ERR,
		     SIM_SYND_TD_NOT_OWNED);
	/* framing, shared with every command */
	tir_in_init(in, f.td, f.rqn, 1);
	DEVX_SET(create_tir_in, in, op_mod, 1);
	CHECK_REJECT(exec_create(f.dev, f.uid, in, out, NULL), out, MLX5_CMD_STAT_BAD_PARAM_ERR,
		     SIM_SYND_OP_MOD_NOT_ZERO);
	tir_in_init(in, f.td, f.rqn, 1);
	((uint8_t *)in)[32 + 4] |= 0x04; /* reserved bit next to tls_en */
	CHECK_REJECT(exec_create(f.dev, f.uid, in, out, NULL), out, MLX5_CMD_STAT_BAD_PARAM_ERR,
		     SIM_SYND_RESERVED_BITS_SET);
	tir_in_init(in, f.td, f.rqn, 1);
	CHECK_REJECT(sim_cmd_exec(f.dev, f.uid, in, 192, out, 16), out,
		     MLX5_CMD_STAT_BAD_INP_LEN_ERR, SIM_SYND_INLEN_MISMATCH);
	CHECK_REJECT(sim_cmd_exec(f.dev, f.uid, in, sizeof(in), out, 32), out,
		     MLX5_CMD_STAT_BAD_OUTP_LEN_ERR, SIM_SYND_OUTLEN_MISMATCH);
	CHECK_REJECT(tirn_cmd(f.dev, f.uid, MLX5_CMD_OP_QUERY_TIR, 0x80, out, 16), out,
		     MLX5_CMD_STAT_BAD_OUTP_LEN_ERR, SIM_SYND_OUTLEN_MISMATCH);

	/* nothing was created; the RQ of the other uid is usable by that uid */
	sim_dev_get_stats(f.dev, &st);
	CU_ASSERT_EQUAL(st.tirs, 0);
	tir_in_init(in, other_td, ri.rqn, 1);
	CU_ASSERT_EQUAL(exec_create(f.dev, other, in, out, NULL), 0);
	CU_ASSERT_EQUAL(sim_rq_destroy(other_rq), -EBUSY);
	sim_uctx_free(f.dev, other);
	CU_ASSERT_EQUAL(sim_rq_destroy(other_rq), 0);
	fixture_fini(&f);
}

/* T2: tls_en needs tls_rx; a plain TIR is fine on every profile. */
static void test_profile_gating(void)
{
	static const char *const profiles[] = { "cx6dx-legacy", "cx6dx-nocrypto" };

	for (size_t i = 0; i < 2; i++) {
		struct fixture f;
		uint32_t in[DEVX_ST_SZ_DW(create_tir_in)];
		uint8_t out[16];
		uint32_t tirn = 0;

		CU_ASSERT_EQUAL_FATAL(fixture_init(&f, profiles[i]), 0);
		tir_in_init(in, f.td, f.rqn, 1);
		CHECK_REJECT(exec_create(f.dev, f.uid, in, out, NULL), out,
			     MLX5_CMD_STAT_BAD_PARAM_ERR, SIM_SYND_TIR_TLS_UNSUPPORTED);
		CU_ASSERT_EQUAL(create_tir(&f, 0, &tirn), 0);
		CU_ASSERT_EQUAL(destroy_tir(&f, tirn, out), 0);
		fixture_fini(&f);
	}
	{
		struct sim_dev *dev = sim_dev_create("cx6dx,log_max_tir=33");

		CU_ASSERT_PTR_NULL(dev);
	}
}

/* T7: 2^log_max_tir live TIRs at most. */
static void test_limit(void)
{
	struct fixture f;
	uint32_t tirn[3] = { 0 };
	uint8_t out[16];
	uint32_t in[DEVX_ST_SZ_DW(create_tir_in)];

	CU_ASSERT_EQUAL_FATAL(fixture_init(&f, "cx6dx,log_max_tir=1"), 0);
	CU_ASSERT_EQUAL(create_tir(&f, 1, &tirn[0]), 0);
	CU_ASSERT_EQUAL(create_tir(&f, 0, &tirn[1]), 0);
	tir_in_init(in, f.td, f.rqn, 1);
	CHECK_REJECT(exec_create(f.dev, f.uid, in, out, NULL), out, MLX5_CMD_STAT_LIM_ERR,
		     SIM_SYND_TIR_LIMIT);
	CU_ASSERT_EQUAL(destroy_tir(&f, tirn[0], out), 0);
	CU_ASSERT_EQUAL(create_tir(&f, 1, &tirn[2]), 0);
	/* numbers are not reused at once (objtab allocator) */
	CU_ASSERT_NOT_EQUAL(tirn[2], tirn[0]);
	fixture_fini(&f);
}

/* T1, T3, T9: what a TIR pins, and what pins a TIR. */
static void test_in_use(void)
{
	struct fixture f;
	struct sim_flow_match m = { 0 };
	uint32_t tirn = 0, rule = 0, in[4] = { 0 };
	uint8_t out[16];
	struct sim_rx_stats rs;

	CU_ASSERT_EQUAL_FATAL(fixture_init(&f, NULL), 0);
	CU_ASSERT_EQUAL_FATAL(create_tir(&f, 1, &tirn), 0);
	/* the RQ a TIR names cannot be destroyed (DESTROY_RQ would be BAD_RES_STATE) */
	CU_ASSERT_EQUAL(sim_rq_destroy(f.rq), -EBUSY);
	/* the TD neither */
	DEVX_SET(dealloc_transport_domain_in, in, opcode, MLX5_CMD_OP_DEALLOC_TRANSPORT_DOMAIN);
	DEVX_SET(dealloc_transport_domain_in, in, transport_domain, f.td);
	CHECK_REJECT(sim_cmd_exec(f.dev, f.uid, in, sizeof(in), out, 16), out,
		     MLX5_CMD_STAT_BAD_RES_STATE_ERR, SIM_SYND_TD_IN_USE);
	/* a steering rule pins the TIR */
	m.ip_version = 4;
	m.ip_proto = 6;
	memcpy(m.src_ip, (uint8_t[]){ 198, 18, 0, 1 }, 4);
	memcpy(m.dst_ip, (uint8_t[]){ 198, 18, 0, 2 }, 4);
	m.src_port = 443;
	m.dst_port = 40000;
	CU_ASSERT_EQUAL(sim_steer_add(f.dev, &m, tirn + 1, &rule), -ENOENT);
	CU_ASSERT_EQUAL_FATAL(sim_steer_add(f.dev, &m, tirn, &rule), 0);
	CU_ASSERT_EQUAL(sim_steer_add(f.dev, &m, tirn, &rule), -EEXIST);
	CHECK_REJECT(destroy_tir(&f, tirn, out), out, MLX5_CMD_STAT_BAD_RES_STATE_ERR,
		     SIM_SYND_TIR_IN_USE);
	CU_ASSERT_EQUAL(sim_steer_del(f.dev, rule), 0);
	CU_ASSERT_EQUAL(sim_steer_del(f.dev, rule), -ENOENT);
	CU_ASSERT_EQUAL(destroy_tir(&f, tirn, out), 0);
	/* unpinned */
	CU_ASSERT_EQUAL(sim_cmd_exec(f.dev, f.uid, in, sizeof(in), out, 16), 0);
	f.td = new_num(f.dev, f.uid, MLX5_CMD_OP_ALLOC_TRANSPORT_DOMAIN);
	/* the default destination pins its RQ too */
	CU_ASSERT_EQUAL(sim_steer_set_default(f.dev, f.rqn + 5), -ENOENT);
	CU_ASSERT_EQUAL(sim_steer_set_default(f.dev, f.rqn), 0);
	CU_ASSERT_EQUAL(sim_rq_destroy(f.rq), -EBUSY);
	CU_ASSERT_EQUAL(sim_steer_set_default(f.dev, 0), 0);
	sim_dev_get_rx_stats(f.dev, &rs);
	CU_ASSERT_EQUAL(rs.rules, 0);
	fixture_fini(&f);
}

/* T10: another uid sees nothing; freeing a uid destroys its TIRs, their rules and pins. */
static void test_uid_isolation(void)
{
	struct fixture f;
	struct sim_flow_match m = { 0 };
	uint32_t tirn = 0, rule = 0;
	uint8_t out[272];
	uint16_t other;
	struct sim_rx_stats rs;
	uint32_t in[DEVX_ST_SZ_DW(modify_tir_in)] = { 0 };

	CU_ASSERT_EQUAL_FATAL(fixture_init(&f, NULL), 0);
	CU_ASSERT_EQUAL_FATAL(sim_uctx_alloc(f.dev, &other), 0);
	CU_ASSERT_EQUAL_FATAL(create_tir(&f, 1, &tirn), 0);
	CHECK_REJECT(query_tir(f.dev, other, tirn, out), out, MLX5_CMD_STAT_BAD_RES_ERR,
		     SIM_SYND_TIR_NOT_OWNED);
	CHECK_REJECT(tirn_cmd(f.dev, other, MLX5_CMD_OP_DESTROY_TIR, tirn, out, 16), out,
		     MLX5_CMD_STAT_BAD_RES_ERR, SIM_SYND_TIR_NOT_OWNED);
	DEVX_SET(modify_tir_in, in, opcode, MLX5_CMD_OP_MODIFY_TIR);
	DEVX_SET(modify_tir_in, in, tirn, tirn);
	CHECK_REJECT(sim_cmd_exec(f.dev, other, in, sizeof(in), out, 16), out,
		     MLX5_CMD_STAT_BAD_RES_ERR, SIM_SYND_TIR_NOT_OWNED);
	/* uid 0 (the kernel's) is another uid too */
	CHECK_REJECT(query_tir(f.dev, 0, tirn, out), out, MLX5_CMD_STAT_BAD_RES_ERR,
		     SIM_SYND_TIR_NOT_OWNED);
	CU_ASSERT_EQUAL(query_tir(f.dev, f.uid, tirn, out), 0);

	m.ip_version = 6;
	m.ip_proto = 6;
	m.src_ip[0] = m.dst_ip[0] = 0x20; /* 2001:2::1 -> 2001:2::2 (RFC 5180) */
	m.src_ip[1] = m.dst_ip[1] = 0x01;
	m.src_ip[3] = m.dst_ip[3] = 0x02;
	m.src_ip[15] = 1;
	m.dst_ip[15] = 2;
	CU_ASSERT_EQUAL_FATAL(sim_steer_add(f.dev, &m, tirn, &rule), 0);
	sim_uctx_free(f.dev, f.uid);
	CU_ASSERT_EQUAL(sim_tir_get(f.dev, tirn, NULL, NULL, NULL), -ENOENT);
	sim_dev_get_rx_stats(f.dev, &rs);
	CU_ASSERT_EQUAL(rs.rules, 0);
	CU_ASSERT_EQUAL(sim_steer_del(f.dev, rule), -ENOENT);
	/* the RQ is free again: fixture_fini destroys it */
	CU_ASSERT_EQUAL_FATAL(sim_uctx_alloc(f.dev, &f.uid), 0);
	fixture_fini(&f);
}

static int modify(struct fixture *f, uint32_t tirn, unsigned bits, uint32_t hash_fn,
		  uint32_t self_lb, uint32_t merge_mask, uint8_t *out)
{
	uint32_t in[DEVX_ST_SZ_DW(modify_tir_in)] = { 0 };

	DEVX_SET(modify_tir_in, in, opcode, MLX5_CMD_OP_MODIFY_TIR);
	DEVX_SET(modify_tir_in, in, tirn, tirn);
	DEVX_SET(modify_tir_in, in, bitmask.self_lb_en, !!(bits & 1));
	DEVX_SET(modify_tir_in, in, bitmask.hash, !!(bits & 2));
	DEVX_SET(modify_tir_in, in, bitmask.packet_merge, !!(bits & 4));
	DEVX_SET(modify_tir_in, in, ctx.rx_hash_fn, hash_fn);
	DEVX_SET(modify_tir_in, in, ctx.self_lb_block, self_lb);
	DEVX_SET(modify_tir_in, in, ctx.packet_merge_mask, merge_mask);
	DEVX_SET(modify_tir_in, in, ctx.lro_max_ip_payload_size, 0x22);
	/* never selectable: ignored */
	DEVX_SET(modify_tir_in, in, ctx.tls_en, 0);
	DEVX_SET(modify_tir_in, in, ctx.transport_domain, 0x999);
	return sim_cmd_exec(f->dev, f->uid, in, sizeof(in), out, 16);
}

/* T8 */
static void test_modify(void)
{
	struct fixture f;
	uint32_t tirn = 0;
	uint8_t out[272];

	CU_ASSERT_EQUAL_FATAL(fixture_init(&f, NULL), 0);
	CU_ASSERT_EQUAL_FATAL(create_tir(&f, 1, &tirn), 0);
	/* nothing selected: a no-op */
	CU_ASSERT_EQUAL(modify(&f, tirn, 0, 2, 3, 0, out), 0);
	CU_ASSERT_EQUAL(query_tir(f.dev, f.uid, tirn, out), 0);
	CU_ASSERT_EQUAL(out[32 + 36], 0x00);
	/* self_lb_en and hash */
	CU_ASSERT_EQUAL(modify(&f, tirn, 3, 2, 1, 0, out), 0);
	CU_ASSERT_EQUAL(query_tir(f.dev, f.uid, tirn, out), 0);
	CU_ASSERT_EQUAL(out[32 + 36], 0x21);
	CU_ASSERT_EQUAL(out[32 + 4], 0x08); /* tls_en untouched */
	CU_ASSERT_EQUAL(out[32 + 39], (uint8_t)f.td);
	/* packet_merge with the mask 0: only the sizes */
	CU_ASSERT_EQUAL(modify(&f, tirn, 4, 0, 0, 0, out), 0);
	CU_ASSERT_EQUAL(query_tir(f.dev, f.uid, tirn, out), 0);
	CU_ASSERT_EQUAL(out[32 + 19], 0x22);
	CU_ASSERT_EQUAL(out[32 + 36], 0x21);
	/* a rejected MODIFY changes nothing, not even the fields that passed */
	CHECK_REJECT(modify(&f, tirn, 7, 0, 2, 1, out), out, MLX5_CMD_STAT_BAD_PARAM_ERR,
		     SIM_SYND_TIR_LRO_UNSUPPORTED);
	CHECK_REJECT(modify(&f, tirn, 3, 5, 2, 0, out), out, MLX5_CMD_STAT_BAD_PARAM_ERR,
		     SIM_SYND_TIR_HASH_FN_INVALID);
	CU_ASSERT_EQUAL(query_tir(f.dev, f.uid, tirn, out), 0);
	CU_ASSERT_EQUAL(out[32 + 36], 0x21);
	CHECK_REJECT(modify(&f, tirn + 1, 1, 0, 0, 0, out), out, MLX5_CMD_STAT_BAD_RES_ERR,
		     SIM_SYND_TIR_UNKNOWN);
	fixture_fini(&f);
}

static const struct test_case cases[] = {
	{ "create and query", test_create_query },
	{ "create rejects", test_create_rejects },
	{ "tls_en needs tls_rx", test_profile_gating },
	{ "log_max_tir", test_limit },
	{ "in-use rules", test_in_use },
	{ "uid isolation and teardown", test_uid_isolation },
	{ "modify", test_modify },
	{ NULL, NULL },
};

static const struct test_suite suites[] = {
	{ "sim TIR", NULL, NULL, cases },
	{ NULL, NULL, NULL, NULL },
};

int main(void)
{
	return test_run_suites(suites);
}
