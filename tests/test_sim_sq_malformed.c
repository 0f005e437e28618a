/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Device model: what the send-queue engine rejects - each malformed WQE gives its own error
 * CQE - and the create/registration errors, with caller-provided queue memory (as DevX umems).
 * The fixture is tests/util/sim_sq_fixture.h.
 */
#include "sim_sq_fixture.h"

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

static const struct test_case malformed_cases[] = {
	{ "malformed WQEs", test_malformed_wqes },
	{ "caller-provided queue memory", test_caller_memory },
	{ "create/reg errors", test_create_errors },
	{ NULL, NULL },
};

static const struct test_suite suites[] = {
	{ "sim send queue: malformed WQEs and create errors", NULL, NULL, malformed_cases },
	{ NULL, NULL, NULL, NULL },
};

int main(void)
{
	return test_run_suites(suites);
}
