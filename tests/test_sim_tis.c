/* SPDX-License-Identifier: BSD-3-Clause */
/* Device model: CREATE/MODIFY/QUERY/DESTROY_TIS (fact sheet 4.1, 4.2). */
#include <errno.h>
#include <string.h>

#include "prm/mlx5_ifc_tls.h"
#include "sim/sim.h"
#include "sim/syndromes.h"
#include "sim_test_util.h"
#include "test_util.h"

/* A fresh device with one uid owning a PD and a TD. */
struct fixture {
	struct sim_dev *dev;
	uint16_t uid;
	uint32_t pd, td;
};

static int fixture_init(struct fixture *f, const char *spec)
{
	memset(f, 0, sizeof(*f));
	f->dev = sim_dev_create(spec);
	if (!f->dev || sim_uctx_alloc(f->dev, &f->uid))
		return -1;
	f->pd = new_num(f->dev, f->uid, MLX5_CMD_OP_ALLOC_PD);
	f->td = new_num(f->dev, f->uid, MLX5_CMD_OP_ALLOC_TRANSPORT_DOMAIN);
	return f->pd && f->td ? 0 : -1;
}

static void tis_in_init(uint32_t *in, uint32_t td, uint32_t pd, int tls_en, uint32_t prio)
{
	memset(in, 0, DEVX_ST_SZ_BYTES(create_tis_in));
	DEVX_SET(create_tis_in, in, opcode, MLX5_CMD_OP_CREATE_TIS);
	DEVX_SET(create_tis_in, in, ctx.tls_en, tls_en);
	DEVX_SET(create_tis_in, in, ctx.prio, prio);
	DEVX_SET(create_tis_in, in, ctx.transport_domain, td);
	DEVX_SET(create_tis_in, in, ctx.pd, pd);
}

static int exec_create(struct sim_dev *dev, uint16_t uid, const uint32_t *in, uint8_t *out,
		       uint32_t *tisn)
{
	int ret = sim_cmd_exec(dev, uid, in, DEVX_ST_SZ_BYTES(create_tis_in), out, 16);

	if (!ret && tisn)
		*tisn = (uint32_t)out[9] << 16 | (uint32_t)out[10] << 8 | out[11];
	return ret;
}

static int create_tis(struct fixture *f, int tls_en, uint32_t prio, uint32_t *tisn)
{
	uint32_t in[DEVX_ST_SZ_DW(create_tis_in)];
	uint8_t out[16];

	tis_in_init(in, f->td, f->pd, tls_en, prio);
	return exec_create(f->dev, f->uid, in, out, tisn);
}

static int tisn_cmd(struct sim_dev *dev, uint16_t uid, uint16_t opcode, uint32_t tisn, void *out,
		    size_t outlen)
{
	uint32_t in[DEVX_ST_SZ_DW(query_tis_in)] = { 0 };

	DEVX_SET(query_tis_in, in, opcode, opcode);
	DEVX_SET(query_tis_in, in, tisn, tisn);
	return sim_cmd_exec(dev, uid, in, sizeof(in), out, outlen);
}

static int modify_tis(struct sim_dev *dev, uint16_t uid, uint32_t tisn, uint32_t bitmask_dw,
		      uint32_t prio, uint8_t *out)
{
	uint32_t in[DEVX_ST_SZ_DW(modify_tis_in)] = { 0 };

	DEVX_SET(modify_tis_in, in, opcode, MLX5_CMD_OP_MODIFY_TIS);
	DEVX_SET(modify_tis_in, in, tisn, tisn);
	/* the bitmask's second dword (bit 0x20 of the bitmask): lag 0x4, strict 0x2, prio 0x1 */
	DEVX_SET(modify_tis_in, in, bitmask.reserved_at_20, bitmask_dw >> 3);
	DEVX_SET(modify_tis_in, in, bitmask.lag_tx_port_affinity, (bitmask_dw >> 2) & 1);
	DEVX_SET(modify_tis_in, in, bitmask.strict_lag_tx_port_affinity, (bitmask_dw >> 1) & 1);
	DEVX_SET(modify_tis_in, in, bitmask.prio, bitmask_dw & 1);
	DEVX_SET(modify_tis_in, in, ctx.prio, prio);
	return sim_cmd_exec(dev, uid, in, sizeof(in), out, 16);
}

static void test_create_query(void)
{
	struct fixture f;
	uint32_t tisn = 0, tisn2 = 0;
	uint8_t out[176], want[176];
	int tls_en;
	uint32_t pd, td;

	CU_ASSERT_EQUAL_FATAL(fixture_init(&f, NULL), 0);
	CU_ASSERT_EQUAL_FATAL(create_tis(&f, 1, 5, &tisn), 0);
	CU_ASSERT_EQUAL(tisn, 0x40);
	CU_ASSERT_EQUAL_FATAL(create_tis(&f, 0, 0, &tisn2), 0);
	CU_ASSERT_EQUAL(tisn2, 0x41);

	/* QUERY_TIS: 16-byte header, tisc at byte 16 (fact sheet 4.2): byte 0 0x40 = tls_en,
	 * byte 1 low nibble = prio, bytes 37..39 = transport_domain, 45..47 = pd. */
	memset(want, 0, sizeof(want));
	want[16 + 0] = 0x40;
	want[16 + 1] = 0x05;
	want[16 + 39] = (uint8_t)f.td;
	want[16 + 47] = (uint8_t)f.pd;
	memset(out, 0xcc, sizeof(out));
	CU_ASSERT_EQUAL(tisn_cmd(f.dev, f.uid, MLX5_CMD_OP_QUERY_TIS, tisn, out, sizeof(out)), 0);
	TEST_ASSERT_BYTES("QUERY_TIS out", out, want, sizeof(out));

	CU_ASSERT_EQUAL(sim_tis_get(f.dev, tisn, &tls_en, &pd, &td), 0);
	CU_ASSERT_EQUAL(tls_en, 1);
	CU_ASSERT_EQUAL(pd, f.pd);
	CU_ASSERT_EQUAL(td, f.td);
	CU_ASSERT_EQUAL(sim_tis_get(f.dev, tisn2, &tls_en, &pd, &td), 0);
	CU_ASSERT_EQUAL(tls_en, 0);
	CU_ASSERT_EQUAL(sim_tis_get(f.dev, 0x42, &tls_en, &pd, &td), -ENOENT);
	sim_dev_destroy(f.dev);
}

static void test_plain_tis_without_pd(void)
{
	struct fixture f;
	uint32_t in[DEVX_ST_SZ_DW(create_tis_in)];
	uint8_t out[176];
	uint32_t tisn = 0;

	CU_ASSERT_EQUAL_FATAL(fixture_init(&f, NULL), 0);
	tis_in_init(in, f.td, 0, 0, 0);
	CU_ASSERT_EQUAL_FATAL(exec_create(f.dev, f.uid, in, out, &tisn), 0);
	CU_ASSERT_EQUAL(tisn_cmd(f.dev, f.uid, MLX5_CMD_OP_QUERY_TIS, tisn, out, sizeof(out)), 0);
	CU_ASSERT_EQUAL(out[16 + 47], 0);
	CU_ASSERT_EQUAL(out[16 + 0], 0);
	/* the PD is not referenced: it can go while the TIS lives */
	CU_ASSERT_EQUAL(tisn_cmd(f.dev, f.uid, MLX5_CMD_OP_DESTROY_TIS, tisn, out, 16), 0);
	sim_dev_destroy(f.dev);
}

static void test_create_rejects(void)
{
	struct fixture f;
	uint32_t in[DEVX_ST_SZ_DW(create_tis_in)];
	uint8_t out[16];
	uint16_t other;
	uint32_t other_pd, other_td;

	CU_ASSERT_EQUAL_FATAL(fixture_init(&f, NULL), 0);
	CU_ASSERT_EQUAL_FATAL(sim_uctx_alloc(f.dev, &other), 0);
	other_pd = new_num(f.dev, other, MLX5_CMD_OP_ALLOC_PD);
	other_td = new_num(f.dev, other, MLX5_CMD_OP_ALLOC_TRANSPORT_DOMAIN);

	tis_in_init(in, f.td, 0, 1, 0);
	CHECK_REJECT(exec_create(f.dev, f.uid, in, out, NULL), out, MLX5_CMD_STAT_BAD_PARAM_ERR,
		     SIM_SYND_TIS_TLS_WITHOUT_PD);
	tis_in_init(in, 0, f.pd, 1, 0);
	CHECK_REJECT(exec_create(f.dev, f.uid, in, out, NULL), out, MLX5_CMD_STAT_BAD_RES_ERR,
		     SIM_SYND_TD_UNKNOWN);
	tis_in_init(in, f.td + 7, f.pd, 1, 0);
	CHECK_REJECT(exec_create(f.dev, f.uid, in, out, NULL), out, MLX5_CMD_STAT_BAD_RES_ERR,
		     SIM_SYND_TD_UNKNOWN);
	tis_in_init(in, other_td, f.pd, 1, 0);
	CHECK_REJECT(exec_create(f.dev, f.uid, in, out, NULL), out, MLX5_CMD_STAT_BAD_RES_ERR,
		     SIM_SYND_TD_NOT_OWNED);
	tis_in_init(in, f.td, f.pd + 7, 1, 0);
	CHECK_REJECT(exec_create(f.dev, f.uid, in, out, NULL), out, MLX5_CMD_STAT_BAD_RES_ERR,
		     SIM_SYND_PD_UNKNOWN);
	tis_in_init(in, f.td, other_pd, 1, 0);
	CHECK_REJECT(exec_create(f.dev, f.uid, in, out, NULL), out, MLX5_CMD_STAT_BAD_RES_ERR,
		     SIM_SYND_PD_NOT_OWNED);
	/* a plain TIS that names a PD still needs a live one */
	tis_in_init(in, f.td, f.pd + 7, 0, 0);
	CHECK_REJECT(exec_create(f.dev, f.uid, in, out, NULL), out, MLX5_CMD_STAT_BAD_RES_ERR,
		     SIM_SYND_PD_UNKNOWN);

	tis_in_init(in, f.td, f.pd, 1, 0);
	DEVX_SET(create_tis_in, in, ctx.strict_lag_tx_port_affinity, 1);
	CHECK_REJECT(exec_create(f.dev, f.uid, in, out, NULL), out, MLX5_CMD_STAT_BAD_PARAM_ERR,
		     SIM_SYND_TIS_LAG_AFFINITY_SET);
	tis_in_init(in, f.td, f.pd, 1, 0);
	DEVX_SET(create_tis_in, in, ctx.lag_tx_port_affinity, 2);
	CHECK_REJECT(exec_create(f.dev, f.uid, in, out, NULL), out, MLX5_CMD_STAT_BAD_PARAM_ERR,
		     SIM_SYND_TIS_LAG_AFFINITY_SET);
	tis_in_init(in, f.td, f.pd, 1, 0);
	DEVX_SET(create_tis_in, in, ctx.underlay_qpn, 0x123);
	CHECK_REJECT(exec_create(f.dev, f.uid, in, out, NULL), out, MLX5_CMD_STAT_BAD_PARAM_ERR,
		     SIM_SYND_TIS_UNDERLAY_QPN_SET);
	tis_in_init(in, f.td, f.pd, 1, 0);
	DEVX_SET(create_tis_in, in, op_mod, 2);
	CHECK_REJECT(exec_create(f.dev, f.uid, in, out, NULL), out, MLX5_CMD_STAT_BAD_PARAM_ERR,
		     SIM_SYND_OP_MOD_NOT_ZERO);
	sim_dev_destroy(f.dev);
}

static void test_tls_needs_tls_tx(void)
{
	struct fixture f;
	uint32_t tisn;

	CU_ASSERT_EQUAL_FATAL(fixture_init(&f, "cx6dx-nocrypto"), 0);
	{
		uint32_t in[DEVX_ST_SZ_DW(create_tis_in)];
		uint8_t out[16];

		tis_in_init(in, f.td, f.pd, 1, 0);
		CHECK_REJECT(exec_create(f.dev, f.uid, in, out, NULL), out,
			     MLX5_CMD_STAT_BAD_PARAM_ERR, SIM_SYND_TIS_TLS_UNSUPPORTED);
	}
	/* a plain TIS is fine on that card */
	CU_ASSERT_EQUAL(create_tis(&f, 0, 0, &tisn), 0);
	sim_dev_destroy(f.dev);

	/* the legacy firmware has tls_tx */
	CU_ASSERT_EQUAL_FATAL(fixture_init(&f, "cx6dx-legacy"), 0);
	CU_ASSERT_EQUAL(create_tis(&f, 1, 0, &tisn), 0);
	sim_dev_destroy(f.dev);
}

static void test_modify(void)
{
	struct fixture f;
	uint32_t tisn = 0;
	uint8_t out[176];

	CU_ASSERT_EQUAL_FATAL(fixture_init(&f, NULL), 0);
	CU_ASSERT_EQUAL_FATAL(create_tis(&f, 1, 3, &tisn), 0);
	CU_ASSERT_EQUAL(modify_tis(f.dev, f.uid, tisn, 0x1, 9, out), 0);
	CU_ASSERT_EQUAL(tisn_cmd(f.dev, f.uid, MLX5_CMD_OP_QUERY_TIS, tisn, out, sizeof(out)), 0);
	CU_ASSERT_EQUAL(out[16 + 1], 9);
	CU_ASSERT_EQUAL(out[16 + 0], 0x40); /* tls_en not selected: unchanged */
	CU_ASSERT_EQUAL(out[16 + 47], (uint8_t)f.pd);
	/* an empty bitmask changes nothing */
	CU_ASSERT_EQUAL(modify_tis(f.dev, f.uid, tisn, 0x0, 2, out), 0);
	CU_ASSERT_EQUAL(tisn_cmd(f.dev, f.uid, MLX5_CMD_OP_QUERY_TIS, tisn, out, sizeof(out)), 0);
	CU_ASSERT_EQUAL(out[16 + 1], 9);

	CHECK_REJECT(modify_tis(f.dev, f.uid, tisn, 0x4 | 0x1, 2, out), out,
		     MLX5_CMD_STAT_BAD_PARAM_ERR, SIM_SYND_TIS_MODIFY_FIELD_UNSUPPORTED);
	CHECK_REJECT(modify_tis(f.dev, f.uid, tisn, 0x2, 2, out), out, MLX5_CMD_STAT_BAD_PARAM_ERR,
		     SIM_SYND_TIS_MODIFY_FIELD_UNSUPPORTED);
	/* bits of the bitmask that name no field are reserved */
	CHECK_REJECT(modify_tis(f.dev, f.uid, tisn, 0x8, 2, out), out, MLX5_CMD_STAT_BAD_PARAM_ERR,
		     SIM_SYND_RESERVED_BITS_SET);
	CHECK_REJECT(modify_tis(f.dev, f.uid, tisn + 1, 0x1, 2, out), out, MLX5_CMD_STAT_BAD_RES_ERR,
		     SIM_SYND_TIS_UNKNOWN);
	sim_dev_destroy(f.dev);
}

static void test_modify_ignores_unselected(void)
{
	struct fixture f;
	uint32_t in[DEVX_ST_SZ_DW(modify_tis_in)] = { 0 };
	uint8_t out[176];
	uint32_t tisn = 0;

	CU_ASSERT_EQUAL_FATAL(fixture_init(&f, NULL), 0);
	CU_ASSERT_EQUAL_FATAL(create_tis(&f, 1, 3, &tisn), 0);
	DEVX_SET(modify_tis_in, in, opcode, MLX5_CMD_OP_MODIFY_TIS);
	DEVX_SET(modify_tis_in, in, tisn, tisn);
	DEVX_SET(modify_tis_in, in, bitmask.prio, 1);
	DEVX_SET(modify_tis_in, in, ctx.prio, 7);
	/* not selected, hence ignored even though CREATE would refuse them */
	DEVX_SET(modify_tis_in, in, ctx.tls_en, 0);
	DEVX_SET(modify_tis_in, in, ctx.transport_domain, 0x999);
	DEVX_SET(modify_tis_in, in, ctx.underlay_qpn, 0x5);
	DEVX_SET(modify_tis_in, in, ctx.lag_tx_port_affinity, 1);
	CU_ASSERT_EQUAL(sim_cmd_exec(f.dev, f.uid, in, sizeof(in), out, 16), 0);
	CU_ASSERT_EQUAL(tisn_cmd(f.dev, f.uid, MLX5_CMD_OP_QUERY_TIS, tisn, out, sizeof(out)), 0);
	CU_ASSERT_EQUAL(out[16 + 0], 0x40);
	CU_ASSERT_EQUAL(out[16 + 1], 7);
	CU_ASSERT_EQUAL(out[16 + 39], (uint8_t)f.td);
	CU_ASSERT_EQUAL(out[16 + 43], 0);
	sim_dev_destroy(f.dev);
}

static void test_ownership_and_stale(void)
{
	struct fixture f;
	uint32_t tisn = 0, tisn2 = 0;
	uint8_t out[176];
	uint16_t other;

	CU_ASSERT_EQUAL_FATAL(fixture_init(&f, NULL), 0);
	CU_ASSERT_EQUAL_FATAL(sim_uctx_alloc(f.dev, &other), 0);
	CU_ASSERT_EQUAL_FATAL(create_tis(&f, 1, 0, &tisn), 0);
	CHECK_REJECT(tisn_cmd(f.dev, other, MLX5_CMD_OP_QUERY_TIS, tisn, out, sizeof(out)), out,
		     MLX5_CMD_STAT_BAD_RES_ERR, SIM_SYND_TIS_NOT_OWNED);
	CHECK_REJECT(modify_tis(f.dev, other, tisn, 0x1, 1, out), out, MLX5_CMD_STAT_BAD_RES_ERR,
		     SIM_SYND_TIS_NOT_OWNED);
	CHECK_REJECT(tisn_cmd(f.dev, other, MLX5_CMD_OP_DESTROY_TIS, tisn, out, 16), out,
		     MLX5_CMD_STAT_BAD_RES_ERR, SIM_SYND_TIS_NOT_OWNED);
	CU_ASSERT_EQUAL(tisn_cmd(f.dev, f.uid, MLX5_CMD_OP_DESTROY_TIS, tisn, out, 16), 0);
	CHECK_REJECT(tisn_cmd(f.dev, f.uid, MLX5_CMD_OP_DESTROY_TIS, tisn, out, 16), out,
		     MLX5_CMD_STAT_BAD_RES_ERR, SIM_SYND_TIS_UNKNOWN);
	CHECK_REJECT(tisn_cmd(f.dev, f.uid, MLX5_CMD_OP_QUERY_TIS, tisn, out, sizeof(out)), out,
		     MLX5_CMD_STAT_BAD_RES_ERR, SIM_SYND_TIS_UNKNOWN);
	CHECK_REJECT(tisn_cmd(f.dev, f.uid, MLX5_CMD_OP_QUERY_TIS, 0, out, sizeof(out)), out,
		     MLX5_CMD_STAT_BAD_RES_ERR, SIM_SYND_TIS_UNKNOWN);
	/* a freed number is not handed out again right away */
	CU_ASSERT_EQUAL_FATAL(create_tis(&f, 1, 0, &tisn2), 0);
	CU_ASSERT_NOT_EQUAL(tisn2, tisn);
	CU_ASSERT_EQUAL(sim_tis_get(f.dev, tisn, NULL, NULL, NULL), -ENOENT);
	sim_dev_destroy(f.dev);
}

static void test_limit(void)
{
	struct fixture f;
	uint32_t tisn[5];
	uint8_t out[16];
	struct sim_dev_stats st;

	CU_ASSERT_EQUAL_FATAL(fixture_init(&f, "cx6dx,log_max_tis=2"), 0);
	for (int i = 0; i < 4; i++)
		CU_ASSERT_EQUAL_FATAL(create_tis(&f, 1, 0, &tisn[i]), 0);
	{
		uint32_t in[DEVX_ST_SZ_DW(create_tis_in)];

		tis_in_init(in, f.td, f.pd, 1, 0);
		CHECK_REJECT(exec_create(f.dev, f.uid, in, out, NULL), out, MLX5_CMD_STAT_LIM_ERR,
			     SIM_SYND_TIS_LIMIT);
	}
	sim_dev_get_stats(f.dev, &st);
	CU_ASSERT_EQUAL(st.tises, 4);
	CU_ASSERT_EQUAL(tisn_cmd(f.dev, f.uid, MLX5_CMD_OP_DESTROY_TIS, tisn[0], out, 16), 0);
	CU_ASSERT_EQUAL(create_tis(&f, 1, 0, &tisn[4]), 0);
	sim_dev_destroy(f.dev);
}

static void test_many_tises(void)
{
	/* 100,000 live TISes: numbers distinct, every one found again, then all destroyed */
	enum { N = 100000 };
	struct fixture f;
	static uint32_t tisn[N];
	uint8_t out[16];
	struct sim_dev_stats st;
	int ok = 1;

	CU_ASSERT_EQUAL_FATAL(fixture_init(&f, NULL), 0);
	for (int i = 0; i < N && ok; i++)
		ok = create_tis(&f, i & 1, (uint32_t)i & 0xf, &tisn[i]) == 0 &&
		     tisn[i] == 0x40u + (uint32_t)i;
	CU_ASSERT_FATAL(ok);
	for (int i = 0; i < N && ok; i++) {
		int tls_en;

		ok = sim_tis_get(f.dev, tisn[i], &tls_en, NULL, NULL) == 0 && tls_en == (i & 1);
	}
	CU_ASSERT(ok);
	for (int i = 0; i < N && ok; i += 2)
		ok = tisn_cmd(f.dev, f.uid, MLX5_CMD_OP_DESTROY_TIS, tisn[i], out, 16) == 0;
	CU_ASSERT(ok);
	sim_dev_get_stats(f.dev, &st);
	CU_ASSERT_EQUAL(st.tises, N / 2);
	for (int i = 0; i < N && ok; i++)
		ok = (sim_tis_get(f.dev, tisn[i], NULL, NULL, NULL) == 0) == (i & 1);
	CU_ASSERT(ok);
	/* the rest go with the uid; the TD and PD are released after them */
	sim_uctx_free(f.dev, f.uid);
	sim_dev_get_stats(f.dev, &st);
	CU_ASSERT_EQUAL(st.tises, 0);
	CU_ASSERT_EQUAL(st.tds, 0);
	CU_ASSERT_EQUAL(st.pds, 0);
	sim_dev_destroy(f.dev);
}

static const struct test_case tis_cases[] = {
	{ "create and query", test_create_query },
	{ "plain TIS without PD", test_plain_tis_without_pd },
	{ "create rejects", test_create_rejects },
	{ "tls_en needs tls_tx", test_tls_needs_tls_tx },
	{ "modify prio", test_modify },
	{ "modify ignores unselected fields", test_modify_ignores_unselected },
	{ "ownership and stale numbers", test_ownership_and_stale },
	{ "TIS limit", test_limit },
	{ "100k TISes", test_many_tises },
	{ NULL, NULL },
};

static const struct test_suite suites[] = {
	{ "sim TIS", NULL, NULL, tis_cases },
	{ NULL, NULL, NULL, NULL },
};

int main(void)
{
	return test_run_suites(suites);
}
