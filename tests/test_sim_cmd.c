/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Device model: command framing common to all opcodes — exact input/output lengths (fact sheet
 * 2.1-5.1 sizes), unknown opcodes, uid checks, argument errors and what `out` holds afterwards.
 */
#include <errno.h>
#include <string.h>

#include "prm/mlx5_ifc_tls.h"
#include "sim/sim.h"
#include "sim/syndromes.h"
#include "sim_test_util.h"
#include "test_util.h"

/* Command sizes from the fact sheet, written as numbers. */
struct cmd_size {
	uint16_t opcode;
	uint16_t obj_type;
	unsigned inlen[2];
	unsigned outlen[2];
};

static const struct cmd_size sizes[] = {
	{ 0x100, 0, { 16 }, { 4112 } },        /* QUERY_HCA_CAP (5.1) */
	{ 0x800, 0, { 16 }, { 16 } },          /* ALLOC_PD (4.4) */
	{ 0x801, 0, { 16 }, { 16 } },          /* DEALLOC_PD */
	{ 0x816, 0, { 16 }, { 16 } },          /* ALLOC_TRANSPORT_DOMAIN */
	{ 0x817, 0, { 16 }, { 16 } },          /* DEALLOC_TRANSPORT_DOMAIN */
	{ 0x912, 0, { 192 }, { 16 } },         /* CREATE_TIS (4.2) */
	{ 0x913, 0, { 192 }, { 16 } },         /* MODIFY_TIS */
	{ 0x914, 0, { 16 }, { 16 } },          /* DESTROY_TIS */
	{ 0x915, 0, { 16 }, { 176 } },         /* QUERY_TIS */
	{ 0xa00, 0xc, { 528, 272 }, { 16 } },  /* CREATE DEK (3.4, 3.5) */
	{ 0xa01, 0xc, { 528, 272 }, { 16 } },  /* MODIFY DEK */
	{ 0xa02, 0xc, { 16 }, { 528, 272 } },  /* QUERY DEK */
	{ 0xa03, 0xc, { 16 }, { 16 } },        /* DESTROY DEK */
	{ 0xb12, 0, { 32 }, { 16 } },          /* SYNC_CRYPTO (3.6) */
};

static uint32_t in_buf[4200 / 4];
static uint8_t out_buf[4200];

static int run(struct sim_dev *dev, uint16_t uid, const struct cmd_size *c, unsigned inlen,
	       unsigned outlen)
{
	memset(in_buf, 0, sizeof(in_buf));
	DEVX_SET(mbox_in, in_buf, opcode, c->opcode);
	if (c->obj_type)
		DEVX_SET(general_obj_in_cmd_hdr, in_buf, obj_type, c->obj_type);
	return sim_cmd_exec(dev, uid, in_buf, inlen, out_buf, outlen);
}

static int is_listed(const unsigned lens[2], unsigned len)
{
	return len == lens[0] || (lens[1] && len == lens[1]);
}

static void test_input_lengths(void)
{
	struct sim_dev *dev = sim_dev_create(NULL);
	uint16_t uid;

	CU_ASSERT_PTR_NOT_NULL_FATAL(dev);
	CU_ASSERT_EQUAL_FATAL(sim_uctx_alloc(dev, &uid), 0);
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		const struct cmd_size *c = &sizes[i];
		const unsigned tries[] = { 16, 17, 20, 32, 176, 192, 271, 272, 273, 527, 528, 529,
					   4096, c->inlen[0] - 1, c->inlen[0] + 1, c->inlen[0] + 4 };

		for (size_t t = 0; t < sizeof(tries) / sizeof(tries[0]); t++) {
			if (tries[t] < 16 || is_listed(c->inlen, tries[t]))
				continue;
			CHECK_REJECT(run(dev, uid, c, tries[t], c->outlen[0]), out_buf,
				     MLX5_CMD_STAT_BAD_INP_LEN_ERR, SIM_SYND_INLEN_MISMATCH);
		}
	}
	sim_dev_destroy(dev);
}

static void test_output_lengths(void)
{
	struct sim_dev *dev = sim_dev_create(NULL);
	uint16_t uid;

	CU_ASSERT_PTR_NOT_NULL_FATAL(dev);
	CU_ASSERT_EQUAL_FATAL(sim_uctx_alloc(dev, &uid), 0);
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		const struct cmd_size *c = &sizes[i];
		const unsigned tries[] = { 16, 17, 32, 176, 272, 528, 4112, 4113, 4200,
					   c->outlen[0] - 1, c->outlen[0] + 1, c->outlen[0] + 8 };

		for (size_t t = 0; t < sizeof(tries) / sizeof(tries[0]); t++) {
			if (tries[t] < 16 || is_listed(c->outlen, tries[t]))
				continue;
			CHECK_REJECT(run(dev, uid, c, c->inlen[0], tries[t]), out_buf,
				     MLX5_CMD_STAT_BAD_OUTP_LEN_ERR, SIM_SYND_OUTLEN_MISMATCH);
		}
	}
	sim_dev_destroy(dev);
}

/* With exact sizes every command gets past framing: whatever it answers, it is not a length,
 * opcode or reserved-bit error. */
static void test_exact_lengths_pass_framing(void)
{
	struct sim_dev *dev = sim_dev_create(NULL);
	uint16_t uid;

	CU_ASSERT_PTR_NOT_NULL_FATAL(dev);
	CU_ASSERT_EQUAL_FATAL(sim_uctx_alloc(dev, &uid), 0);
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		for (int a = 0; a < 2; a++) {
			for (int b = 0; b < 2; b++) {
				const struct cmd_size *c = &sizes[i];
				uint32_t synd;

				if (!c->inlen[a] || !c->outlen[b])
					continue;
				run(dev, uid, c, c->inlen[a], c->outlen[b]);
				synd = out_syndrome(out_buf);
				CU_ASSERT(synd != SIM_SYND_INLEN_MISMATCH &&
					  synd != SIM_SYND_OUTLEN_MISMATCH &&
					  synd != SIM_SYND_OPCODE_UNKNOWN &&
					  synd != SIM_SYND_RESERVED_BITS_SET);
			}
		}
	}
	sim_dev_destroy(dev);
}

static void test_short_input(void)
{
	struct sim_dev *dev = sim_dev_create(NULL);
	static const uint8_t alloc_pd[16] = { 0x08, 0x00 };

	CU_ASSERT_PTR_NOT_NULL_FATAL(dev);
	CHECK_REJECT(sim_cmd_exec(dev, 0, alloc_pd, 0, out_buf, 16), out_buf,
		     MLX5_CMD_STAT_BAD_INP_LEN_ERR, SIM_SYND_CMD_TOO_SHORT);
	CHECK_REJECT(sim_cmd_exec(dev, 0, alloc_pd, 8, out_buf, 16), out_buf,
		     MLX5_CMD_STAT_BAD_INP_LEN_ERR, SIM_SYND_CMD_TOO_SHORT);
	CHECK_REJECT(sim_cmd_exec(dev, 0, alloc_pd, 15, out_buf, 16), out_buf,
		     MLX5_CMD_STAT_BAD_INP_LEN_ERR, SIM_SYND_CMD_TOO_SHORT);
	CU_ASSERT_EQUAL(sim_cmd_exec(dev, 0, alloc_pd, 16, out_buf, 16), 0);
	sim_dev_destroy(dev);
}

static void test_unknown_opcodes(void)
{
	/* NOP-ish 0, QUERY_ADAPTER, SET_HCA_CAP, CREATE_MKEY, CREATE_RQ, CREATE_SQ, an opcode next
	 * to SYNC_CRYPTO, and the largest (RQs and SQs are created through the model's API) */
	static const uint16_t opcodes[] = { 0x0, 0x101, 0x109, 0x200, 0x908, 0x904, 0xb11, 0xb13,
					    0xa04, 0xffff };
	struct sim_dev *dev = sim_dev_create(NULL);

	CU_ASSERT_PTR_NOT_NULL_FATAL(dev);
	for (size_t i = 0; i < sizeof(opcodes) / sizeof(opcodes[0]); i++) {
		uint32_t in[4] = { 0 };

		DEVX_SET(mbox_in, in, opcode, opcodes[i]);
		CHECK_REJECT(sim_cmd_exec(dev, 0, in, sizeof(in), out_buf, 16), out_buf,
			     MLX5_CMD_STAT_BAD_OP_ERR, SIM_SYND_OPCODE_UNKNOWN);
	}
	sim_dev_destroy(dev);
}

static void test_uids(void)
{
	struct sim_dev *dev = sim_dev_create(NULL);
	uint32_t in[4] = { 0 };
	uint16_t a, b;

	CU_ASSERT_PTR_NOT_NULL_FATAL(dev);
	DEVX_SET(mbox_in, in, opcode, MLX5_CMD_OP_ALLOC_PD);
	CU_ASSERT_EQUAL_FATAL(sim_uctx_alloc(dev, &a), 0);
	CU_ASSERT_EQUAL_FATAL(sim_uctx_alloc(dev, &b), 0);
	CU_ASSERT_NOT_EQUAL(a, 0);
	CU_ASSERT_NOT_EQUAL(b, 0);
	CU_ASSERT_NOT_EQUAL(a, b);
	/* uid 0 is the kernel's own context; never handed out, always valid */
	CU_ASSERT_EQUAL(sim_cmd_exec(dev, 0, in, sizeof(in), out_buf, 16), 0);
	CU_ASSERT_EQUAL(sim_cmd_exec(dev, a, in, sizeof(in), out_buf, 16), 0);
	CHECK_REJECT(sim_cmd_exec(dev, (uint16_t)(b + 1), in, sizeof(in), out_buf, 16), out_buf,
		     MLX5_CMD_STAT_BAD_PARAM_ERR, SIM_SYND_UID_INVALID);
	sim_uctx_free(dev, a);
	CHECK_REJECT(sim_cmd_exec(dev, a, in, sizeof(in), out_buf, 16), out_buf,
		     MLX5_CMD_STAT_BAD_PARAM_ERR, SIM_SYND_UID_INVALID);
	sim_uctx_free(dev, a); /* twice: harmless */
	sim_uctx_free(dev, 0); /* never handed out: harmless */
	/* the uid field inside the mailbox is ignored (the kernel overwrites it) */
	DEVX_SET(mbox_in, in, uid, 0x4321);
	CU_ASSERT_EQUAL(sim_cmd_exec(dev, b, in, sizeof(in), out_buf, 16), 0);
	CU_ASSERT_EQUAL(DEVX_GET(mbox_in, in, uid), 0x4321); /* and the caller's copy untouched */
	{
		uint16_t c;

		/* a freed uid is not handed out again at once */
		CU_ASSERT_EQUAL(sim_uctx_alloc(dev, &c), 0);
		CU_ASSERT_NOT_EQUAL(c, a);
	}
	sim_dev_destroy(dev);
}

static void test_argument_errors(void)
{
	struct sim_dev *dev = sim_dev_create(NULL);
	uint32_t in[4] = { 0 };
	struct sim_dev_stats st;
	uint16_t uid;

	CU_ASSERT_PTR_NOT_NULL_FATAL(dev);
	DEVX_SET(mbox_in, in, opcode, MLX5_CMD_OP_ALLOC_PD);
	memset(out_buf, 0xab, 16);
	CU_ASSERT_EQUAL(sim_cmd_exec(dev, 0, in, sizeof(in), out_buf, 15), -EINVAL);
	CU_ASSERT_EQUAL(out_buf[0], 0xab); /* nothing written */
	CU_ASSERT_EQUAL(sim_cmd_exec(dev, 0, NULL, sizeof(in), out_buf, 16), -EINVAL);
	CU_ASSERT_EQUAL(sim_cmd_exec(dev, 0, in, sizeof(in), NULL, 16), -EINVAL);
	CU_ASSERT_EQUAL(sim_cmd_exec(NULL, 0, in, sizeof(in), out_buf, 16), -EINVAL);
	sim_dev_get_stats(dev, &st);
	CU_ASSERT_EQUAL(st.cmds, 0); /* nothing executed */
	CU_ASSERT_EQUAL(st.pds, 0);
	CU_ASSERT_EQUAL(sim_uctx_alloc(NULL, &uid), -EINVAL);
	CU_ASSERT_EQUAL(sim_uctx_alloc(dev, NULL), -EINVAL);
	CU_ASSERT_EQUAL(sim_dek_get_key(NULL, 0x100, (uint8_t[32]){ 0 }, &(size_t){ 0 }), -EINVAL);
	CU_ASSERT_EQUAL(sim_tis_get(NULL, 0x40, NULL, NULL, NULL), -EINVAL);
	sim_dev_destroy(NULL);
	sim_dev_destroy(dev);
}

static void test_rejection_output(void)
{
	struct sim_dev *dev = sim_dev_create("cx6dx-nocrypto");
	uint32_t in[4] = { 0 };
	static uint8_t want[4112];

	CU_ASSERT_PTR_NOT_NULL_FATAL(dev);
	DEVX_SET(query_hca_cap_in, in, opcode, MLX5_CMD_OP_QUERY_HCA_CAP);
	DEVX_SET(query_hca_cap_in, in, op_mod, 0x23);
	memset(out_buf, 0xff, sizeof(out_buf));
	CU_ASSERT_EQUAL(sim_cmd_exec(dev, 0, in, sizeof(in), out_buf, 4112), -EREMOTEIO);
	/* status, syndrome, and zeros everywhere else (fact sheet 2.1 output header) */
	memset(want, 0, sizeof(want));
	want[0] = MLX5_CMD_STAT_BAD_PARAM_ERR;
	want[4] = 0x5e;
	want[7] = SIM_SYND_CAP_TLS_ABSENT & 0xff;
	TEST_ASSERT_BYTES("rejected QUERY_HCA_CAP out", out_buf, want, sizeof(want));
	CU_ASSERT_EQUAL(out_buf[4112], 0xff); /* nothing past outlen */
	sim_dev_destroy(dev);
}

static void test_stats_count_commands(void)
{
	struct sim_dev *dev = sim_dev_create(NULL);
	uint32_t in[4] = { 0 };
	struct sim_dev_stats st;

	CU_ASSERT_PTR_NOT_NULL_FATAL(dev);
	DEVX_SET(mbox_in, in, opcode, MLX5_CMD_OP_ALLOC_PD);
	CU_ASSERT_EQUAL(sim_cmd_exec(dev, 0, in, sizeof(in), out_buf, 16), 0);
	CU_ASSERT_EQUAL(sim_cmd_exec(dev, 0, in, sizeof(in), out_buf, 16), 0);
	CU_ASSERT_EQUAL(sim_cmd_exec(dev, 0, in, 20, out_buf, 16), -EREMOTEIO);
	DEVX_SET(mbox_in, in, opcode, 0x7777);
	CU_ASSERT_EQUAL(sim_cmd_exec(dev, 0, in, sizeof(in), out_buf, 16), -EREMOTEIO);
	sim_dev_get_stats(dev, &st);
	CU_ASSERT_EQUAL(st.cmds, 4);
	CU_ASSERT_EQUAL(st.cmd_errors, 2);
	CU_ASSERT_EQUAL(st.pds, 2);
	CU_ASSERT_EQUAL(st.tds, 0);
	sim_dev_destroy(dev);
}

static void test_unaligned_buffers(void)
{
	struct sim_dev *dev = sim_dev_create(NULL);
	static uint8_t in_raw[16 + 528 + 1], out_raw[16 + 4112 + 1];
	uint8_t *in = in_raw + 1, *out = out_raw + 1;

	CU_ASSERT_PTR_NOT_NULL_FATAL(dev);
	/* QUERY_HCA_CAP general/cur through odd addresses (mailboxes have no alignment rule) */
	memset(in_raw, 0, sizeof(in_raw));
	in[0] = 0x01;
	in[7] = 0x01;
	CU_ASSERT_EQUAL(sim_cmd_exec(dev, 0, in, 16, out, 4112), 0);
	CU_ASSERT_EQUAL(out[198], 22); /* log_max_dek */
	in[0] = 0x08;                  /* ALLOC_PD with a stray op_mod: rejected */
	CU_ASSERT_EQUAL(sim_cmd_exec(dev, 0, in, 16, out, 16), -EREMOTEIO);
	CU_ASSERT_EQUAL(out[0], MLX5_CMD_STAT_BAD_PARAM_ERR);
	CU_ASSERT_EQUAL(out_syndrome(out), SIM_SYND_OP_MOD_NOT_ZERO);
	sim_dev_destroy(dev);
}

static const struct test_case cases[] = {
	{ "input lengths", test_input_lengths },
	{ "output lengths", test_output_lengths },
	{ "exact lengths pass framing", test_exact_lengths_pass_framing },
	{ "short input", test_short_input },
	{ "unknown opcodes", test_unknown_opcodes },
	{ "uids", test_uids },
	{ "argument errors", test_argument_errors },
	{ "rejection output", test_rejection_output },
	{ "stats count commands", test_stats_count_commands },
	{ "unaligned buffers", test_unaligned_buffers },
	{ NULL, NULL },
};

static const struct test_suite suites[] = {
	{ "sim command framing", NULL, NULL, cases },
	{ NULL, NULL, NULL, NULL },
};

int main(void)
{
	return test_run_suites(suites);
}
