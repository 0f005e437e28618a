/* SPDX-License-Identifier: BSD-3-Clause */
/* Device model: the syndrome table, user-context teardown across object kinds, concurrency. */
#include <errno.h>
#include <pthread.h>
#include <string.h>

#include "prm/mlx5_ifc_tls.h"
#include "sim/sim.h"
#include "sim/syndromes.h"
#include "sim_test_util.h"
#include "test_util.h"

/* ---- syndromes ---- */

static void test_syndrome_table(void)
{
	static const uint8_t statuses[] = { 0x2, 0x3, 0x5, 0x8, 0x9, 0xf, 0x50, 0x51 };
	const struct sim_syndrome_info *t;
	size_t n;

	t = sim_syndrome_table(&n);
	CU_ASSERT_FATAL(n >= 50);
	for (size_t i = 0; i < n; i++) {
		int known_status = 0;

		/* the model's own range, so nobody takes them for firmware values */
		CU_ASSERT_EQUAL(t[i].value & 0xffffff00u, 0x5e000000u);
		CU_ASSERT(t[i].name && t[i].name[0]);
		CU_ASSERT(t[i].text && strlen(t[i].text) > 8);
		for (size_t s = 0; s < sizeof(statuses); s++)
			known_status |= t[i].status == statuses[s];
		CU_ASSERT(known_status);
		for (size_t j = i + 1; j < n; j++) {
			CU_ASSERT_NOT_EQUAL(t[i].value, t[j].value);
			CU_ASSERT(strcmp(t[i].name, t[j].name) != 0);
		}
		CU_ASSERT_PTR_EQUAL(sim_syndrome_info(t[i].value), &t[i]);
		CU_ASSERT_PTR_EQUAL(sim_syndrome_str(t[i].value), t[i].text);
	}
}

static void test_syndrome_lookup(void)
{
	const struct sim_syndrome_info *i = sim_syndrome_info(SIM_SYND_DEK_REKEY_BEFORE_SYNC);

	CU_ASSERT_PTR_NOT_NULL_FATAL(i);
	CU_ASSERT_EQUAL(i->value, 0x5e000045u);
	CU_ASSERT_EQUAL(i->status, MLX5_CMD_STAT_BAD_RES_STATE_ERR);
	CU_ASSERT_STRING_EQUAL(i->name, "DEK_REKEY_BEFORE_SYNC");
	CU_ASSERT_EQUAL(sim_syndrome_info(SIM_SYND_RESERVED_BITS_SET)->status,
			MLX5_CMD_STAT_BAD_PARAM_ERR);
	CU_ASSERT_EQUAL(sim_syndrome_info(SIM_SYND_INLEN_MISMATCH)->status,
			MLX5_CMD_STAT_BAD_INP_LEN_ERR);
	CU_ASSERT_EQUAL(sim_syndrome_info(SIM_SYND_TIS_LIMIT)->status, MLX5_CMD_STAT_LIM_ERR);
	CU_ASSERT_PTR_NULL(sim_syndrome_str(0));
	CU_ASSERT_PTR_NULL(sim_syndrome_str(0x5e0000ff));
	CU_ASSERT_PTR_NULL(sim_syndrome_str(0x12345678));
}

/* ---- user contexts ---- */

static uint32_t exec_num(struct sim_dev *dev, uint16_t uid, void *in, size_t inlen, int general)
{
	uint32_t out[4] = { 0 };

	if (sim_cmd_exec(dev, uid, in, inlen, out, sizeof(out)))
		return 0;
	return general ? DEVX_GET(general_obj_out_cmd_hdr, out, obj_id)
		       : DEVX_GET(obj_num_out, out, obj_num);
}

static uint32_t new_tis(struct sim_dev *dev, uint16_t uid, uint32_t td, uint32_t pd)
{
	uint32_t in[DEVX_ST_SZ_DW(create_tis_in)] = { 0 };

	DEVX_SET(create_tis_in, in, opcode, MLX5_CMD_OP_CREATE_TIS);
	DEVX_SET(create_tis_in, in, ctx.tls_en, 1);
	DEVX_SET(create_tis_in, in, ctx.transport_domain, td);
	DEVX_SET(create_tis_in, in, ctx.pd, pd);
	return exec_num(dev, uid, in, sizeof(in), 0);
}

static uint32_t new_bulk(struct sim_dev *dev, uint16_t uid, uint32_t pd, uint32_t log)
{
	uint32_t in[DEVX_ST_SZ_DW(create_encryption_key_in)] = { 0 };

	DEVX_SET(create_encryption_key_in, in, hdr.opcode, MLX5_CMD_OP_CREATE_GENERAL_OBJECT);
	DEVX_SET(create_encryption_key_in, in, hdr.obj_type, MLX5_GENERAL_OBJECT_TYPES_ENCRYPTION_KEY);
	DEVX_SET(create_encryption_key_in, in, hdr.op_param.create.log_obj_range, log);
	DEVX_SET(create_encryption_key_in, in, obj.key_purpose, MLX5_ENCRYPTION_KEY_OBJ_KEY_PURPOSE_TLS);
	DEVX_SET(create_encryption_key_in, in, obj.pd, pd);
	return exec_num(dev, uid, in, sizeof(in), 1);
}

static void test_uctx_free_dependency_order(void)
{
	struct sim_dev *dev = sim_dev_create(NULL);
	struct sim_dev_stats st;
	uint16_t a, b;
	uint32_t pd_a, td_a, pd_b, td_b, tis_b;

	CU_ASSERT_PTR_NOT_NULL_FATAL(dev);
	CU_ASSERT_EQUAL_FATAL(sim_uctx_alloc(dev, &a), 0);
	CU_ASSERT_EQUAL_FATAL(sim_uctx_alloc(dev, &b), 0);
	pd_a = new_num(dev, a, MLX5_CMD_OP_ALLOC_PD);
	td_a = new_num(dev, a, MLX5_CMD_OP_ALLOC_TRANSPORT_DOMAIN);
	pd_b = new_num(dev, b, MLX5_CMD_OP_ALLOC_PD);
	td_b = new_num(dev, b, MLX5_CMD_OP_ALLOC_TRANSPORT_DOMAIN);
	CU_ASSERT_FATAL(pd_a && td_a && pd_b && td_b);
	/* a's PD and TD are pinned by its TISes and DEKs */
	for (int i = 0; i < 50; i++) {
		CU_ASSERT(new_tis(dev, a, td_a, pd_a) != 0);
		CU_ASSERT(new_bulk(dev, a, pd_a, (uint32_t)i % 5) != 0);
	}
	tis_b = new_tis(dev, b, td_b, pd_b);
	CU_ASSERT(tis_b != 0);
	CU_ASSERT(new_bulk(dev, b, pd_b, 3) != 0);

	sim_uctx_free(dev, a);
	sim_dev_get_stats(dev, &st);
	CU_ASSERT_EQUAL(st.pds, 1);
	CU_ASSERT_EQUAL(st.tds, 1);
	CU_ASSERT_EQUAL(st.tises, 1);
	CU_ASSERT_EQUAL(st.dek_objects, 1);
	CU_ASSERT_EQUAL(st.deks, 8);
	/* b's objects are intact and still pinned */
	CU_ASSERT_EQUAL(sim_tis_get(dev, tis_b, NULL, NULL, NULL), 0);
	{
		uint32_t in[4] = { 0 }, out[4];

		DEVX_SET(dealloc_pd_in, in, opcode, MLX5_CMD_OP_DEALLOC_PD);
		DEVX_SET(dealloc_pd_in, in, pd, pd_b);
		CU_ASSERT_EQUAL(sim_cmd_exec(dev, b, in, sizeof(in), out, sizeof(out)), -EREMOTEIO);
		CU_ASSERT_EQUAL(DEVX_GET(mbox_out, out, status), MLX5_CMD_STAT_BAD_RES_STATE_ERR);
		CU_ASSERT_EQUAL(DEVX_GET(mbox_out, out, syndrome), SIM_SYND_PD_IN_USE);
	}
	/* device destroy takes the rest (ASan checks nothing leaks) */
	sim_dev_destroy(dev);
}

/* ---- concurrency ---- */

struct worker {
	struct sim_dev *dev;
	uint16_t uid;
	uint32_t pd, td;
	int failures;
};

static void *worker_main(void *arg)
{
	struct worker *w = arg;

	for (int round = 0; round < 2000; round++) {
		uint32_t tisn = new_tis(w->dev, w->uid, w->td, w->pd);
		uint32_t base = new_bulk(w->dev, w->uid, w->pd, 2);
		uint32_t in[DEVX_ST_SZ_DW(query_tis_in)] = { 0 }, out[4];
		int tls_en = 0;

		if (!tisn || !base || sim_tis_get(w->dev, tisn, &tls_en, NULL, NULL) || !tls_en) {
			w->failures++;
			continue;
		}
		DEVX_SET(destroy_tis_in, in, opcode, MLX5_CMD_OP_DESTROY_TIS);
		DEVX_SET(destroy_tis_in, in, tisn, tisn);
		if (sim_cmd_exec(w->dev, w->uid, in, sizeof(in), out, sizeof(out)))
			w->failures++;
		memset(in, 0, sizeof(in));
		DEVX_SET(general_obj_in_cmd_hdr, in, opcode, MLX5_CMD_OP_DESTROY_GENERAL_OBJECT);
		DEVX_SET(general_obj_in_cmd_hdr, in, obj_type, MLX5_GENERAL_OBJECT_TYPES_ENCRYPTION_KEY);
		DEVX_SET(general_obj_in_cmd_hdr, in, obj_id, base);
		if (sim_cmd_exec(w->dev, w->uid, in, sizeof(in), out, sizeof(out)))
			w->failures++;
	}
	return NULL;
}

static void test_threads(void)
{
	enum { THREADS = 4 };
	struct sim_dev *dev = sim_dev_create(NULL);
	struct worker w[THREADS];
	pthread_t t[THREADS];
	struct sim_dev_stats st;

	CU_ASSERT_PTR_NOT_NULL_FATAL(dev);
	for (int i = 0; i < THREADS; i++) {
		w[i].dev = dev;
		w[i].failures = 0;
		CU_ASSERT_EQUAL_FATAL(sim_uctx_alloc(dev, &w[i].uid), 0);
		w[i].pd = new_num(dev, w[i].uid, MLX5_CMD_OP_ALLOC_PD);
		w[i].td = new_num(dev, w[i].uid, MLX5_CMD_OP_ALLOC_TRANSPORT_DOMAIN);
	}
	for (int i = 0; i < THREADS; i++)
		CU_ASSERT_EQUAL_FATAL(pthread_create(&t[i], NULL, worker_main, &w[i]), 0);
	for (int i = 0; i < THREADS; i++) {
		pthread_join(t[i], NULL);
		CU_ASSERT_EQUAL(w[i].failures, 0);
	}
	sim_dev_get_stats(dev, &st);
	CU_ASSERT_EQUAL(st.tises, 0);
	CU_ASSERT_EQUAL(st.dek_objects, 0);
	CU_ASSERT_EQUAL(st.cmd_errors, 0);
	CU_ASSERT_EQUAL(st.cmds, THREADS * (2 + 2000 * 4));
	sim_dev_destroy(dev);
}

static const struct test_case syndrome_cases[] = {
	{ "syndrome table", test_syndrome_table },
	{ "syndrome lookup", test_syndrome_lookup },
	{ NULL, NULL },
};

static const struct test_case uctx_cases[] = {
	{ "uctx free in dependency order", test_uctx_free_dependency_order },
	{ "threads", test_threads },
	{ NULL, NULL },
};

static const struct test_suite suites[] = {
	{ "sim syndromes", NULL, NULL, syndrome_cases },
	{ "sim user contexts", NULL, NULL, uctx_cases },
	{ NULL, NULL, NULL, NULL },
};

int main(void)
{
	return test_run_suites(suites);
}
