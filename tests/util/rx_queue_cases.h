/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The receive-side cases shared by test_rx_queue.c (sim transport) and devx_test_rx.c (the real
 * devx transport over the DevX interposer): receive queues (buffer pool, ring refill, CQE
 * parsing, error recovery), TIRs (CREATE/QUERY/DESTROY_TIR, DIRECT to the RQ), steering (5-tuple
 * flows), with frames played into the device's port. Frames and their checksums are built here
 * (RFC 1071), not by the library. Only the public API and the hooks below are used.
 *
 * The including file defines, before including this one:
 *   RX_DEV          the device name ("sim" / "mlx5_0")
 *   RX_DEV_LEGACY   a device without TLS RX ("sim:cx6dx-legacy" / "mlx5_1")
 *   RX_OOB_KNOWN    true when the transport reports out_of_buffer
 *   RX_MODEL        true when mlx5tls_model_wire_rx works on RX_DEV
 *   static int rx_wire(struct mlx5tls_device *dev, const void *frame, size_t len);
 */
#ifndef MLX5TLS_RX_QUEUE_CASES_H
#define MLX5TLS_RX_QUEUE_CASES_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "be_bytes.h"
#include "inet_csum.h"
#include "mlx5tls/mlx5tls.h"
#include "test_util.h"

/* ---- frames ---- */

struct flow {
	bool v6;
	uint8_t src[16], dst[16]; /* the sender's (peer's) and the receiver's addresses */
	uint16_t sport, dport;
};

static const struct flow flow_v4 = {
	false, { 198, 18, 0, 1 }, { 198, 18, 0, 2 }, 443, 40000,
};

static const struct flow flow_v6 = {
	true,
	{ 0x20, 0x01, 0, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 }, /* 2001:2::1 (RFC 5180) */
	{ 0x20, 0x01, 0, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2 },
	443, 40001,
};

enum { CS_GOOD, CS_BAD_IP, CS_BAD_L4 };

/* Ethernet + IPv4/IPv6 + TCP + payload. */
static size_t tcp_frame(uint8_t *f, const struct flow *fl, uint32_t seq, const uint8_t *pay,
			size_t plen, int cs)
{
	size_t l3 = fl->v6 ? 40 : 20;
	uint8_t *ip = f + 14, *t = ip + l3, ph[40] = { 0 };
	uint32_t l4len = (uint32_t)(20 + plen);

	memset(f, 0, 14 + l3 + 20);
	memcpy(f, "\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01", 12);
	put16(f + 12, fl->v6 ? 0x86dd : 0x0800);
	if (fl->v6) {
		ip[0] = 0x60;
		put16(ip + 4, (uint16_t)l4len);
		ip[6] = 6;
		ip[7] = 64;
		memcpy(ip + 8, fl->src, 16);
		memcpy(ip + 24, fl->dst, 16);
		memcpy(ph, ip + 8, 32);
		put32(ph + 32, l4len);
		ph[39] = 6;
	} else {
		ip[0] = 0x45;
		put16(ip + 2, (uint16_t)(20 + l4len));
		put16(ip + 6, 0x4000);
		ip[8] = 64;
		ip[9] = 6;
		memcpy(ip + 12, fl->src, 4);
		memcpy(ip + 16, fl->dst, 4);
		put16(ip + 10, test_csum_field(test_csum_add(0, ip, 20)));
		if (cs == CS_BAD_IP)
			ip[10] ^= 0x55;
		memcpy(ph, ip + 12, 8);
		ph[9] = 6;
		put16(ph + 10, (uint16_t)l4len);
	}
	put16(t, fl->sport);
	put16(t + 2, fl->dport);
	put32(t + 4, seq);
	put32(t + 8, 0x01020304);
	t[12] = 0x50;
	t[13] = 0x18; /* PSH ACK */
	put16(t + 14, 0xffff);
	memcpy(t + 20, pay, plen);
	put16(t + 16,
	      test_csum_field(test_csum_add(test_csum_add(0, ph, fl->v6 ? 40 : 12), t, l4len)));
	if (cs == CS_BAD_L4)
		t[17] ^= 0x0f;
	return 14 + l3 + l4len;
}

static void match_of(const struct flow *fl, struct mlx5tls_flow_match *m)
{
	memset(m, 0, sizeof(*m));
	m->ip_version = fl->v6 ? 6 : 4;
	memcpy(m->src_ip, fl->src, fl->v6 ? 16 : 4);
	memcpy(m->dst_ip, fl->dst, fl->v6 ? 16 : 4);
	m->src_port = fl->sport;
	m->dst_port = fl->dport;
}

/* ---- fixture ---- */

struct fix {
	struct mlx5tls_device *dev;
	struct mlx5tls_pd *pd;
	struct mlx5tls_td *td;
	struct mlx5tls_rq *rq;
	struct mlx5tls_tir *tir;
	struct mlx5tls_flow *flow;
};

static int fix_open(struct fix *f, const char *name, const struct mlx5tls_rq_opts *ro,
		    bool tls_en, const struct flow *fl)
{
	MLX5TLS_OPTS(mlx5tls_tir_opts, to, .tls_en = tls_en);
	struct mlx5tls_flow_match m;

	memset(f, 0, sizeof(*f));
	f->dev = mlx5tls_device_open(name, NULL);
	if (!f->dev)
		return -1;
	f->pd = mlx5tls_pd_alloc(f->dev);
	f->td = mlx5tls_td_alloc(f->dev);
	if (!f->pd || !f->td)
		return -1;
	f->rq = mlx5tls_rq_create(f->pd, f->td, ro);
	if (!f->rq)
		return -1;
	f->tir = mlx5tls_tir_create(f->rq, f->td, &to);
	if (!f->tir)
		return -1;
	if (fl) {
		match_of(fl, &m);
		f->flow = mlx5tls_flow_create(f->tir, &m);
		if (!f->flow)
			return -1;
	}
	return 0;
}

static void fix_close(struct fix *f)
{
	if (f->flow)
		CU_ASSERT_EQUAL(mlx5tls_flow_destroy(f->flow), 0);
	if (f->tir)
		CU_ASSERT_EQUAL(mlx5tls_tir_destroy(f->tir), 0);
	if (f->rq)
		CU_ASSERT_EQUAL(mlx5tls_rq_destroy(f->rq), 0);
	if (f->td)
		CU_ASSERT_EQUAL(mlx5tls_td_dealloc(f->td), 0);
	if (f->pd)
		CU_ASSERT_EQUAL(mlx5tls_pd_dealloc(f->pd), 0);
	if (f->dev)
		CU_ASSERT_EQUAL(mlx5tls_device_close(f->dev), 0);
}

static uint64_t rq_attr_out_of_buffer(struct mlx5tls_rq *rq)
{
	struct mlx5tls_rq_attr a;

	CU_ASSERT_EQUAL(mlx5tls_rq_query(rq, &a, sizeof(a)), 0);
	CU_ASSERT_EQUAL(a.out_of_buffer_known, RX_OOB_KNOWN);
	return a.out_of_buffer;
}

static uint32_t rq_posted(struct mlx5tls_rq *rq)
{
	struct mlx5tls_rq_attr a;

	CU_ASSERT_EQUAL(mlx5tls_rq_query(rq, &a, sizeof(a)), 0);
	return a.posted;
}

/* ---- cases ---- */

static void test_deliver_v4_v6(void)
{
	MLX5TLS_OPTS(mlx5tls_rq_opts, ro, .log_wqes = 4);
	uint8_t fr[256], pay[64];
	struct mlx5tls_flow_match m6;
	struct mlx5tls_flow *flow6;
	struct mlx5tls_rx_pkt p[4];
	struct mlx5tls_tir_attr ta;
	struct mlx5tls_rq_attr ra;
	struct fix f;
	size_t len;

	CU_ASSERT_EQUAL_FATAL(fix_open(&f, RX_DEV, &ro, false, &flow_v4), 0);
	match_of(&flow_v6, &m6);
	flow6 = mlx5tls_flow_create(f.tir, &m6);
	CU_ASSERT_PTR_NOT_NULL_FATAL(flow6);

	CU_ASSERT_EQUAL(mlx5tls_rq_query(f.rq, &ra, sizeof(ra)), 0);
	CU_ASSERT_EQUAL(ra.wqes, 16);
	CU_ASSERT_EQUAL(ra.posted, 16);
	CU_ASSERT_EQUAL(ra.nbufs, 32);
	CU_ASSERT_EQUAL(ra.buf_size, 2048);
	CU_ASSERT_EQUAL(ra.tirs, 1);
	CU_ASSERT_NOT_EQUAL(ra.rqn, 0);
	CU_ASSERT_EQUAL(mlx5tls_tir_query(f.tir, &ta, sizeof(ta)), 0);
	CU_ASSERT_EQUAL(ta.tirn, mlx5tls_tir_num(f.tir));
	CU_ASSERT_EQUAL(ta.disp_type, 0);
	CU_ASSERT_EQUAL(ta.inline_rqn, ra.rqn);
	CU_ASSERT_EQUAL(ta.transport_domain, mlx5tls_td_num(f.td));
	CU_ASSERT_FALSE(ta.tls_en);
	CU_ASSERT_EQUAL(ta.flows, 2);
	/* the device's own unicast and multicast loopback is blocked, as the kernel's TLS TIR */
	CU_ASSERT_EQUAL(ta.self_lb_block, 3);

	for (int i = 0; i < 64; i++)
		pay[i] = (uint8_t)(i * 3);
	CU_ASSERT_EQUAL(mlx5tls_rq_poll(f.rq, p, 4, 0), 0);
	len = tcp_frame(fr, &flow_v4, 1000, pay, sizeof(pay), CS_GOOD);
	CU_ASSERT_EQUAL(rx_wire(f.dev, fr, len), 0);
	CU_ASSERT_EQUAL_FATAL(mlx5tls_rq_poll(f.rq, p, 4, 100), 1);
	CU_ASSERT_EQUAL(p[0].len, len);
	TEST_ASSERT_BYTES("v4 frame", p[0].data, fr, len);
	CU_ASSERT(p[0].l2_ok && p[0].l3_ok && p[0].l4_ok);
	CU_ASSERT_EQUAL(p[0].tls_status, MLX5TLS_RX_TLS_NONE);
	CU_ASSERT_EQUAL(mlx5tls_rq_release(f.rq, &p[0]), 0);
	CU_ASSERT_EQUAL(mlx5tls_rq_release(f.rq, &p[0]), -EINVAL); /* not held any more */

	len = tcp_frame(fr, &flow_v6, 2000, pay, sizeof(pay), CS_GOOD);
	CU_ASSERT_EQUAL(rx_wire(f.dev, fr, len), 0);
	CU_ASSERT_EQUAL_FATAL(mlx5tls_rq_poll(f.rq, p, 4, 0), 1);
	CU_ASSERT_EQUAL(p[0].len, len);
	TEST_ASSERT_BYTES("v6 frame", p[0].data, fr, len);
	CU_ASSERT(p[0].l3_ok && p[0].l4_ok);
	CU_ASSERT_EQUAL(mlx5tls_rq_release(f.rq, &p[0]), 0);

	CU_ASSERT_EQUAL(mlx5tls_rq_query(f.rq, &ra, sizeof(ra)), 0);
	CU_ASSERT_EQUAL(ra.packets, 2);
	CU_ASSERT_EQUAL(ra.posted, 16);
	CU_ASSERT_EQUAL(ra.held, 0);
	CU_ASSERT_EQUAL(mlx5tls_flow_destroy(flow6), 0);
	fix_close(&f);
}

static void test_checksum_flags(void)
{
	uint8_t fr[256], pay[32] = { 1, 2, 3 };
	struct mlx5tls_rx_pkt p[4];
	struct fix f;
	size_t len;

	CU_ASSERT_EQUAL_FATAL(fix_open(&f, RX_DEV, NULL, false, &flow_v4), 0);
	len = tcp_frame(fr, &flow_v4, 1, pay, sizeof(pay), CS_BAD_IP);
	CU_ASSERT_EQUAL(rx_wire(f.dev, fr, len), 0);
	len = tcp_frame(fr, &flow_v4, 2, pay, sizeof(pay), CS_BAD_L4);
	CU_ASSERT_EQUAL(rx_wire(f.dev, fr, len), 0);
	len = tcp_frame(fr, &flow_v4, 3, pay, sizeof(pay), CS_GOOD);
	CU_ASSERT_EQUAL(rx_wire(f.dev, fr, len), 0);
	CU_ASSERT_EQUAL_FATAL(mlx5tls_rq_poll(f.rq, p, 4, 0), 3);
	CU_ASSERT_FALSE(p[0].l3_ok);
	CU_ASSERT(p[1].l3_ok);
	CU_ASSERT_FALSE(p[1].l4_ok);
	CU_ASSERT(p[2].l3_ok && p[2].l4_ok);
	for (int i = 0; i < 3; i++)
		CU_ASSERT_EQUAL(mlx5tls_rq_release(f.rq, &p[i]), 0);
	fix_close(&f);
}

static void test_no_match_dropped(void)
{
	struct flow other = flow_v4;
	uint8_t fr[256], pay[32] = { 0 };
	struct mlx5tls_rx_pkt p[2];
	struct fix f;
	size_t len;

	CU_ASSERT_EQUAL_FATAL(fix_open(&f, RX_DEV, NULL, false, &flow_v4), 0);
	other.sport = 444; /* another connection */
	len = tcp_frame(fr, &other, 1, pay, sizeof(pay), CS_GOOD);
	CU_ASSERT_EQUAL(rx_wire(f.dev, fr, len), 0);
	other = flow_v4;
	other.v6 = false;
	other.dst[3] = 9; /* another receiver address */
	len = tcp_frame(fr, &other, 1, pay, sizeof(pay), CS_GOOD);
	CU_ASSERT_EQUAL(rx_wire(f.dev, fr, len), 0);
	CU_ASSERT_EQUAL(mlx5tls_rq_poll(f.rq, p, 2, 10), 0);

	/* the flow's own frames stop once it is gone */
	CU_ASSERT_EQUAL(mlx5tls_flow_destroy(f.flow), 0);
	f.flow = NULL;
	len = tcp_frame(fr, &flow_v4, 1, pay, sizeof(pay), CS_GOOD);
	CU_ASSERT_EQUAL(rx_wire(f.dev, fr, len), 0);
	CU_ASSERT_EQUAL(mlx5tls_rq_poll(f.rq, p, 2, 0), 0);
	CU_ASSERT_EQUAL(rq_attr_out_of_buffer(f.rq), 0);
	fix_close(&f);
}

/* A small ring goes round many times: every packet arrives intact in a recycled buffer. */
static void test_wraps(void)
{
	MLX5TLS_OPTS(mlx5tls_rq_opts, ro, .log_wqes = 3, .buf_size = 256, .nbufs = 11);
	uint8_t pay[100];
	struct mlx5tls_rx_pkt p[8];
	struct mlx5tls_rq_attr ra;
	struct fix f;
	uint32_t seq = 0xfffff000u;

	CU_ASSERT_EQUAL_FATAL(fix_open(&f, RX_DEV, &ro, false, &flow_v4), 0);
	for (int round = 0; round < 700; round++) {
		int burst = 1 + round % 8, n;
		size_t lens[8];
		uint8_t want[8][256];

		for (int i = 0; i < burst; i++) {
			memset(pay, (uint8_t)(round + i), sizeof(pay));
			lens[i] = tcp_frame(want[i], &flow_v4, seq, pay, (size_t)(10 + i * 11),
					    CS_GOOD);
			seq += 10u + (uint32_t)i * 11u;
			CU_ASSERT_EQUAL(rx_wire(f.dev, want[i], lens[i]), 0);
		}
		n = mlx5tls_rq_poll(f.rq, p, 8, 0);
		CU_ASSERT_EQUAL_FATAL(n, burst);
		for (int i = 0; i < n; i++) {
			CU_ASSERT_EQUAL(p[i].len, lens[i]);
			if (memcmp(p[i].data, want[i], lens[i]))
				CU_FAIL("packet content");
		}
		/* release in reverse order, so buffers come back shuffled */
		for (int i = n - 1; i >= 0; i--)
			CU_ASSERT_EQUAL(mlx5tls_rq_release(f.rq, &p[i]), 0);
		CU_ASSERT_EQUAL(rq_posted(f.rq), 8);
	}
	CU_ASSERT_EQUAL(mlx5tls_rq_query(f.rq, &ra, sizeof(ra)), 0);
	CU_ASSERT_EQUAL(ra.out_of_buffer, 0);
	CU_ASSERT_EQUAL(ra.err_cqes, 0);
	CU_ASSERT_EQUAL(ra.held, 0);
	CU_ASSERT(ra.packets > 2000);
	fix_close(&f);
}

static void test_out_of_buffer(void)
{
	MLX5TLS_OPTS(mlx5tls_rq_opts, ro, .log_wqes = 2, .nbufs = 4);
	uint8_t fr[256], pay[16] = { 7 };
	struct mlx5tls_rx_pkt p[8];
	struct fix f;
	size_t len = tcp_frame(fr, &flow_v4, 5, pay, sizeof(pay), CS_GOOD);

	CU_ASSERT_EQUAL_FATAL(fix_open(&f, RX_DEV, &ro, false, &flow_v4), 0);
	for (int i = 0; i < 6; i++)
		CU_ASSERT_EQUAL(rx_wire(f.dev, fr, len), 0);
	if (RX_OOB_KNOWN)
		CU_ASSERT_EQUAL(rq_attr_out_of_buffer(f.rq), 2);
	CU_ASSERT_EQUAL_FATAL(mlx5tls_rq_poll(f.rq, p, 8, 0), 4);
	/* the application holds every buffer: nothing to post */
	CU_ASSERT_EQUAL(rq_posted(f.rq), 0);
	CU_ASSERT_EQUAL(rx_wire(f.dev, fr, len), 0);
	if (RX_OOB_KNOWN)
		CU_ASSERT_EQUAL(rq_attr_out_of_buffer(f.rq), 3);
	CU_ASSERT_EQUAL(mlx5tls_rq_poll(f.rq, p + 4, 4, 0), 0);
	CU_ASSERT_EQUAL(mlx5tls_rq_release(f.rq, &p[2]), 0);
	CU_ASSERT_EQUAL(rq_posted(f.rq), 1);
	for (int i = 0; i < 4; i++)
		if (i != 2)
			CU_ASSERT_EQUAL(mlx5tls_rq_release(f.rq, &p[i]), 0);
	CU_ASSERT_EQUAL(rq_posted(f.rq), 4);
	CU_ASSERT_EQUAL(rx_wire(f.dev, fr, len), 0);
	CU_ASSERT_EQUAL_FATAL(mlx5tls_rq_poll(f.rq, p, 8, 0), 1);
	CU_ASSERT_EQUAL(p[0].len, len);
	CU_ASSERT_EQUAL(mlx5tls_rq_release(f.rq, &p[0]), 0);
	fix_close(&f);
}

/* A frame larger than the buffers: error CQE, the queue recovers and goes on. */
static void test_error_recovery(void)
{
	MLX5TLS_OPTS(mlx5tls_rq_opts, ro, .log_wqes = 3, .buf_size = 128);
	uint8_t fr[512], pay[300] = { 0 };
	struct mlx5tls_rx_pkt p[8];
	struct mlx5tls_rq_attr ra;
	struct fix f;
	size_t big = tcp_frame(fr, &flow_v4, 1, pay, sizeof(pay), CS_GOOD);

	CU_ASSERT_EQUAL_FATAL(fix_open(&f, RX_DEV, &ro, false, &flow_v4), 0);
	CU_ASSERT_EQUAL(rx_wire(f.dev, fr, big), 0);
	CU_ASSERT_EQUAL(mlx5tls_rq_poll(f.rq, p, 8, 0), 0);
	CU_ASSERT_EQUAL(mlx5tls_rq_query(f.rq, &ra, sizeof(ra)), 0);
	CU_ASSERT_EQUAL(ra.err_cqes, 1);
	CU_ASSERT_EQUAL(ra.recoveries, 1);
	CU_ASSERT_EQUAL(ra.posted, 8);
	for (int round = 0; round < 5; round++) {
		size_t len = tcp_frame(fr, &flow_v4, 2, pay, 20, CS_GOOD);
		for (int i = 0; i < 5; i++)
			CU_ASSERT_EQUAL(rx_wire(f.dev, fr, len), 0);
		/* one too large in the middle of a burst */
		CU_ASSERT_EQUAL(rx_wire(f.dev, fr, big), 0);
		CU_ASSERT_EQUAL(rx_wire(f.dev, fr, len), 0);
		{
			int n = mlx5tls_rq_poll(f.rq, p, 8, 0);

			/* the five before the error; the one after found the RQ in ERR */
			CU_ASSERT_EQUAL(n, 5);
			for (int i = 0; i < n; i++) {
				CU_ASSERT_EQUAL(p[i].len, len);
				CU_ASSERT_EQUAL(mlx5tls_rq_release(f.rq, &p[i]), 0);
			}
		}
		CU_ASSERT_EQUAL(rx_wire(f.dev, fr, len), 0);
		CU_ASSERT_EQUAL_FATAL(mlx5tls_rq_poll(f.rq, p, 8, 0), 1);
		CU_ASSERT_EQUAL(mlx5tls_rq_release(f.rq, &p[0]), 0);
	}
	CU_ASSERT_EQUAL(mlx5tls_rq_query(f.rq, &ra, sizeof(ra)), 0);
	CU_ASSERT_EQUAL(ra.err_cqes, 6);
	CU_ASSERT_EQUAL(ra.recoveries, 6);
	CU_ASSERT_EQUAL(ra.posted, 8);
	CU_ASSERT_EQUAL(ra.held, 0);
	fix_close(&f);
}

static void test_destroy_order(void)
{
	uint8_t fr[256], pay[8] = { 0 };
	struct mlx5tls_flow_match m;
	struct mlx5tls_rx_pkt p[1];
	struct fix f;
	size_t len = tcp_frame(fr, &flow_v4, 1, pay, sizeof(pay), CS_GOOD);

	CU_ASSERT_EQUAL_FATAL(fix_open(&f, RX_DEV, NULL, false, &flow_v4), 0);
	match_of(&flow_v4, &m);
	CU_ASSERT_PTR_NULL(mlx5tls_flow_create(f.tir, &m)); /* steered already */
	CU_ASSERT_EQUAL(errno, EEXIST);
	CU_ASSERT_EQUAL(mlx5tls_tir_destroy(f.tir), -EBUSY);  /* a flow steers to it */
	CU_ASSERT_EQUAL(mlx5tls_rq_destroy(f.rq), -EBUSY);    /* a TIR delivers to it */
	CU_ASSERT_EQUAL(mlx5tls_td_dealloc(f.td), -EBUSY);
	CU_ASSERT_EQUAL(mlx5tls_pd_dealloc(f.pd), -EBUSY);
	CU_ASSERT_EQUAL(rx_wire(f.dev, fr, len), 0);
	CU_ASSERT_EQUAL_FATAL(mlx5tls_rq_poll(f.rq, p, 1, 0), 1);
	CU_ASSERT_EQUAL(mlx5tls_flow_destroy(f.flow), 0);
	f.flow = NULL;
	CU_ASSERT_EQUAL(mlx5tls_tir_destroy(f.tir), 0);
	f.tir = NULL;
	CU_ASSERT_EQUAL(mlx5tls_rq_destroy(f.rq), -EBUSY); /* the application holds a packet */
	CU_ASSERT_EQUAL(mlx5tls_rq_release(f.rq, p), 0);
	fix_close(&f);
}

static void test_tls_tir(void)
{
	MLX5TLS_OPTS(mlx5tls_tir_opts, to, .tls_en = true);
	uint8_t fr[256], pay[40] = { 0x17, 0x03, 0x03, 0x00, 0x20 };
	struct mlx5tls_rx_pkt p[1];
	struct mlx5tls_tir_attr ta;
	struct fix f;
	size_t len = tcp_frame(fr, &flow_v4, 1, pay, sizeof(pay), CS_GOOD);

	/* no TLS RX on the older firmware profile */
	CU_ASSERT_EQUAL_FATAL(fix_open(&f, RX_DEV_LEGACY, NULL, false, NULL), 0);
	CU_ASSERT_PTR_NULL(mlx5tls_tir_create(f.rq, f.td, &to));
	CU_ASSERT_EQUAL(errno, EOPNOTSUPP);
	fix_close(&f);

	CU_ASSERT_EQUAL_FATAL(fix_open(&f, RX_DEV, NULL, true, &flow_v4), 0);
	CU_ASSERT_EQUAL(mlx5tls_tir_query(f.tir, &ta, sizeof(ta)), 0);
	CU_ASSERT(ta.tls_en);
	/* no static params yet: delivered as received, status 0 */
	CU_ASSERT_EQUAL(rx_wire(f.dev, fr, len), 0);
	CU_ASSERT_EQUAL_FATAL(mlx5tls_rq_poll(f.rq, p, 1, 0), 1);
	CU_ASSERT_EQUAL(p[0].tls_status, MLX5TLS_RX_TLS_NONE);
	TEST_ASSERT_BYTES("TLS TIR frame", p[0].data, fr, len);
	CU_ASSERT_EQUAL(mlx5tls_rq_release(f.rq, p), 0);
	fix_close(&f);
}

static void test_bad_args(void)
{
	MLX5TLS_OPTS(mlx5tls_rq_opts, big, .log_wqes = 16);
	MLX5TLS_OPTS(mlx5tls_rq_opts, odd, .buf_size = 100);
	MLX5TLS_OPTS(mlx5tls_rq_opts, cq, .log_wqes = 6, .log_cq_cqes = 5);
	MLX5TLS_OPTS(mlx5tls_rq_opts, fl, .flags = 2);
	struct mlx5tls_flow_match m;
	struct mlx5tls_rx_pkt p;
	struct fix f;
	uint8_t b = 0;

	CU_ASSERT_EQUAL_FATAL(fix_open(&f, RX_DEV, NULL, false, NULL), 0);
	CU_ASSERT_PTR_NULL(mlx5tls_rq_create(f.pd, f.td, &big));
	CU_ASSERT_PTR_NULL(mlx5tls_rq_create(f.pd, f.td, &odd));
	CU_ASSERT_PTR_NULL(mlx5tls_rq_create(f.pd, f.td, &cq));
	CU_ASSERT_PTR_NULL(mlx5tls_rq_create(f.pd, f.td, &fl));
	CU_ASSERT_PTR_NULL(mlx5tls_rq_create(NULL, f.td, NULL));
	CU_ASSERT_EQUAL(mlx5tls_model_wire_rx(NULL, &b, 1), -EINVAL);
	CU_ASSERT_EQUAL(rx_wire(f.dev, NULL, 1), -EINVAL);
	CU_ASSERT_EQUAL(rx_wire(f.dev, &b, 1), 0); /* too short: counted drop */
	CU_ASSERT_EQUAL(mlx5tls_model_wire_rx(f.dev, &b, 1), RX_MODEL ? 0 : -EOPNOTSUPP);
	CU_ASSERT_EQUAL(mlx5tls_rq_poll(f.rq, NULL, 1, 0), -EINVAL);
	CU_ASSERT_EQUAL(mlx5tls_rq_poll(f.rq, &p, -1, 0), -EINVAL);
	memset(&p, 0, sizeof(p));
	p.buf_id = 100000;
	CU_ASSERT_EQUAL(mlx5tls_rq_release(f.rq, &p), -EINVAL);
	memset(&m, 0, sizeof(m));
	m.ip_version = 5;
	CU_ASSERT_PTR_NULL(mlx5tls_flow_create(f.tir, &m));
	m.ip_version = 4;
	m.src_ip[7] = 1; /* IPv4 with bytes beyond the address */
	CU_ASSERT_PTR_NULL(mlx5tls_flow_create(f.tir, &m));
	CU_ASSERT_EQUAL(mlx5tls_tir_destroy(NULL), -EINVAL);
	CU_ASSERT_EQUAL(mlx5tls_flow_destroy(NULL), -EINVAL);
	CU_ASSERT_EQUAL(mlx5tls_tir_num(NULL), 0);
	fix_close(&f);
}

static const struct test_case cases[] = {
	{ "deliver_v4_v6", test_deliver_v4_v6 },
	{ "checksum_flags", test_checksum_flags },
	{ "no_match_dropped", test_no_match_dropped },
	{ "wraps", test_wraps },
	{ "out_of_buffer", test_out_of_buffer },
	{ "error_recovery", test_error_recovery },
	{ "destroy_order", test_destroy_order },
	{ "tls_tir", test_tls_tir },
	{ "bad_args", test_bad_args },
	{ NULL, NULL },
};

#endif /* MLX5TLS_RX_QUEUE_CASES_H */
