/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Device model: DEK limits and scale - the DEK limit, object id allocation and its exhaustion,
 * the wipe when a uid is freed, and a million DEKs (fact sheet 3.4, 14). The fixture is
 * tests/util/sim_dek_fixture.h.
 */
#include "sim_dek_fixture.h"

static void test_dek_limit(void)
{
	struct fixture f;
	uint32_t in[DEK_IN_LEN / 4];
	uint8_t out[16];
	uint32_t b1, b2, id;

	CU_ASSERT_EQUAL_FATAL(fixture_init(&f, "cx6dx,log_max_dek=4"), 0);
	CU_ASSERT_EQUAL_FATAL(create_bulk(&f, 3, &b1), 0);
	CU_ASSERT_EQUAL_FATAL(create_bulk(&f, 3, &b2), 0);
	dek_in(in, MLX5_CMD_OP_CREATE_GENERAL_OBJECT, 0, 0, f.pd, 128, key128);
	CHECK_REJECT(exec_obj(&f, f.uid, in, sizeof(in), out, NULL), out, MLX5_CMD_STAT_LIM_ERR,
		     SIM_SYND_DEK_LIMIT);
	CU_ASSERT_EQUAL(destroy(&f, b1, out), 0);
	/* 8 ids free again: a bulk of 16 still does not fit, a single does */
	dek_in(in, MLX5_CMD_OP_CREATE_GENERAL_OBJECT, 0, 4, f.pd, 0, NULL);
	CHECK_REJECT(exec_obj(&f, f.uid, in, sizeof(in), out, NULL), out, MLX5_CMD_STAT_LIM_ERR,
		     SIM_SYND_DEK_LIMIT);
	CU_ASSERT_EQUAL(create_single(&f, 128, key128, &id), 0);
	sim_dev_destroy(f.dev);
}

static void test_id_allocation(void)
{
	struct fixture f;
	uint8_t out[16];
	uint32_t s1, bulk, s2, s3;

	CU_ASSERT_EQUAL_FATAL(fixture_init(&f, NULL), 0);
	CU_ASSERT_EQUAL_FATAL(create_single(&f, 128, key128, &s1), 0);
	CU_ASSERT_EQUAL(s1, 0x100);
	/* a bulk of 16 takes the next 16-aligned run */
	CU_ASSERT_EQUAL_FATAL(create_bulk(&f, 4, &bulk), 0);
	CU_ASSERT_EQUAL(bulk, 0x110);
	CU_ASSERT_EQUAL_FATAL(create_single(&f, 128, key128, &s2), 0);
	CU_ASSERT_EQUAL(s2, 0x120);
	/* freed ids are not reused right away */
	CU_ASSERT_EQUAL(destroy(&f, s1, out), 0);
	CU_ASSERT_EQUAL_FATAL(create_single(&f, 128, key128, &s3), 0);
	CU_ASSERT_EQUAL(s3, 0x121);
	sim_dev_destroy(f.dev);
}

static void test_id_space_exhausted(void)
{
	struct fixture f;
	uint32_t in[DEK_IN_LEN / 4];
	uint8_t out[16];
	uint32_t big, s, big2;

	/* A bulk of 2^23 ids must be 2^23-aligned: only 0x800000 fits in the 24-bit space. */
	CU_ASSERT_EQUAL_FATAL(fixture_init(&f, "cx6dx,log_dek_max_alloc=23,log_max_dek=25"), 0);
	CU_ASSERT_EQUAL_FATAL(create_bulk(&f, 23, &big), 0);
	CU_ASSERT_EQUAL(big, 0x800000);
	dek_in(in, MLX5_CMD_OP_CREATE_GENERAL_OBJECT, 0, 23, f.pd, 0, NULL);
	CHECK_REJECT(exec_obj(&f, f.uid, in, sizeof(in), out, NULL), out, MLX5_CMD_STAT_LIM_ERR,
		     SIM_SYND_NUMBER_SPACE_EXHAUSTED);
	/* the space wrapped: a single goes low */
	CU_ASSERT_EQUAL_FATAL(create_single(&f, 128, key128, &s), 0);
	CU_ASSERT_EQUAL(s, 0x100);
	/* elements reach the top of the space (queried, not keyed: keying one element would
	 * allocate the key storage of all 2^23) */
	{
		static uint8_t qout[DEK_IN_LEN];

		CU_ASSERT_EQUAL(query(&f, big, 0x7fffff, qout), 0);
		CHECK_REJECT(query(&f, big, 0x800000, qout), qout, MLX5_CMD_STAT_BAD_PARAM_ERR,
			     SIM_SYND_DEK_OFFSET_OUT_OF_RANGE);
		CHECK_REJECT(query(&f, 0xffffff, 0, qout), qout, MLX5_CMD_STAT_BAD_RES_ERR,
			     SIM_SYND_DEK_NOT_BASE);
		CHECK_REJECT(query(&f, 0x1000000, 0, qout), qout, MLX5_CMD_STAT_BAD_RES_ERR,
			     SIM_SYND_DEK_UNKNOWN);
	}
	CU_ASSERT_EQUAL(destroy(&f, big, out), 0);
	CU_ASSERT_EQUAL(create_bulk(&f, 23, &big2), 0);
	CU_ASSERT_EQUAL(big2, 0x800000);
	sim_dev_destroy(f.dev);
}

static void test_uctx_free_wipes(void)
{
	struct fixture f;
	uint8_t out[16], key[32];
	uint32_t id = 0, base;
	size_t len;
	struct sim_dev_stats st;

	CU_ASSERT_EQUAL_FATAL(fixture_init(&f, NULL), 0);
	CU_ASSERT_EQUAL_FATAL(create_single(&f, 256, key256, &id), 0);
	CU_ASSERT_EQUAL_FATAL(create_bulk(&f, 5, &base), 0);
	CU_ASSERT_EQUAL(modify_key(&f, base, 31, 128, key128, out), 0);
	sim_uctx_free(f.dev, f.uid);
	sim_dev_get_stats(f.dev, &st);
	CU_ASSERT_EQUAL(st.dek_objects, 0);
	CU_ASSERT_EQUAL(st.deks, 0);
	CU_ASSERT_EQUAL(st.pds, 0); /* after the DEKs that referenced it */
	CU_ASSERT_EQUAL(key_of(&f, id, key, &len), -ENOENT);
	CU_ASSERT_EQUAL(key_of(&f, base + 31, key, &len), -ENOENT);
	/* the uid is gone */
	CHECK_REJECT(destroy(&f, id, out), out, MLX5_CMD_STAT_BAD_PARAM_ERR, SIM_SYND_UID_INVALID);
	sim_dev_destroy(f.dev);
}

/* One million DEK ids in bulks of 4096, every element keyed once, all looked up again. */
static void test_million_deks(void)
{
	enum { LOG_BULK = 12, BULKS = 245 }; /* 245 * 4096 = 1,003,520 */
	struct fixture f;
	uint32_t in[DEK_IN_LEN / 4];
	uint8_t out[16], key[32], want[16];
	static uint32_t base[BULKS];
	struct sim_dev_stats st;
	int ok = 1;
	size_t len;

	CU_ASSERT_EQUAL_FATAL(fixture_init(&f, NULL), 0);
	for (int b = 0; b < BULKS && ok; b++)
		ok = create_bulk(&f, LOG_BULK, &base[b]) == 0;
	CU_ASSERT_FATAL(ok);
	sim_dev_get_stats(f.dev, &st);
	CU_ASSERT_EQUAL(st.dek_objects, BULKS);
	CU_ASSERT_EQUAL(st.deks, BULKS << LOG_BULK);

	dek_in(in, MLX5_CMD_OP_MODIFY_GENERAL_OBJECT, 0, 0, f.pd, 128, key128);
	for (int b = 0; b < BULKS && ok; b++) {
		DEVX_SET(modify_encryption_key_in, in, hdr.obj_id, base[b]);
		for (uint32_t i = 0; i < (1u << LOG_BULK) && ok; i++) {
			uint32_t id = base[b] + i;

			/* a key unique to the element: its id in the last 4 bytes */
			DEVX_SET(modify_encryption_key_in, in, hdr.op_param.query.obj_offset, i);
			memcpy((uint8_t *)in + KEY_CMD_OFF + 28, &id, 4);
			ok = exec_obj(&f, f.uid, in, sizeof(in), out, NULL) == 0;
		}
	}
	CU_ASSERT_FATAL(ok);
	memcpy(want, key128, 16);
	for (int b = 0; b < BULKS && ok; b++) {
		for (uint32_t i = 0; i < (1u << LOG_BULK) && ok; i++) {
			uint32_t id = base[b] + i;

			memcpy(want + 12, &id, 4);
			ok = key_of(&f, id, key, &len) == 0 && len == 16 && !memcmp(key, want, 16);
		}
	}
	CU_ASSERT(ok);
	sim_dev_destroy(f.dev);
}

static const struct test_case scale_cases[] = {
	{ "DEK limit", test_dek_limit },
	{ "id allocation", test_id_allocation },
	{ "id space exhausted", test_id_space_exhausted },
	{ "uctx free wipes", test_uctx_free_wipes },
	{ "a million DEKs", test_million_deks },
	{ NULL, NULL },
};

static const struct test_suite suites[] = {
	{ "sim DEK limits and scale", NULL, NULL, scale_cases },
	{ NULL, NULL, NULL, NULL },
};

int main(void)
{
	return test_run_suites(suites);
}
