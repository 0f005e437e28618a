/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Device model: the receive queue (sim/rq.h) - RQ objects and states, delivery and the CQE
 * fields, owner-bit wrap, out of buffer, checksum flags and header types, checksums of dropped
 * and padded frames, RQ errors and CQ overrun, and a loopback port from another device's SQ. The
 * fixture (device, RQ, frames, the SQ for TIR WQEs) is tests/util/sim_rq_fixture.h; steering is
 * in test_sim_rq_steer.c, TLS RX through TIRs in test_sim_rq_tls.c.
 */
#include "sim_rq_fixture.h"

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

static const struct test_case cases[] = {
	{ "RQ objects and states", test_rq_objects },
	{ "delivery, CQE fields, owner-bit wrap", test_delivery_and_wrap },
	{ "out of buffer", test_out_of_buffer },
	{ "checksum flags and header types", test_checksum_flags },
	{ "checksum of dropped and padded frames", test_checksum_dropped_and_padded },
	{ "RQ errors and CQ overrun", test_rq_errors },
	{ "loopback port from another device", test_loopback_port },
	{ NULL, NULL },
};

static const struct test_suite suites[] = {
	{ "sim RQ", NULL, NULL, cases },
	{ NULL, NULL, NULL, NULL },
};

int main(void)
{
	return test_run_suites(suites);
}
