/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Device model: the send-queue engine (sim/sq.h) - NOP, doorbell and states, SEND and LSO
 * bytes and checksums, ring and CQ wrap, error CQE/flush/recovery, CQE moderation, fault
 * injection, the async device thread. The fixture is tests/util/sim_sq_fixture.h.
 */
#include <unistd.h>

#include "sim_sq_fixture.h"

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
	dek = new_tls_dek(f.dev, f.uid, f.pd, key128, 16);
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

static const struct test_case sq_cases[] = {
	{ "NOP and the CQE format", test_nop_cqe },
	{ "doorbell and MODIFY_SQ states", test_doorbell_and_states },
	{ "SEND IPv4/TCP exact bytes and checksums", test_send_ipv4_exact },
	{ "SEND gather, inline data, IPv6+VLAN, padding", test_send_gather_ipv6_vlan_pad },
	{ "LSO 4 KiB into MSS 1448", test_lso },
	{ "LSO errors", test_lso_errors },
	{ "ring wrap, static params across it", test_ring_wrap_static_params },
	{ "CQ wrap and owner bit", test_cq_wrap_owner },
	{ "CQ overrun", test_cq_overrun },
	{ "error CQE, flush, recovery", test_error_flush_recover },
	{ "CQ_UPDATE moderation", test_cq_moderation },
	{ "fault injection", test_inject_error },
	{ "async device thread", test_async_thread },
	{ NULL, NULL },
};

static const struct test_suite suites[] = {
	{ "sim send queue", NULL, NULL, sq_cases },
	{ NULL, NULL, NULL, NULL },
};

int main(void)
{
	return test_run_suites(suites);
}
