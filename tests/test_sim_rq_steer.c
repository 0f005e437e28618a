/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Device model: steering to the receive queues (sim/rq.h) - exact 5-tuple rules to TIRs, the
 * default destination, drops, the rule table under churn, and the receive path against control
 * plane and driver threads. The fixture is tests/util/sim_rq_fixture.h.
 */
#include <pthread.h>

#include "sim_rq_fixture.h"

/* Exact 5-tuple rules to TIRs, the default destination, drops, IPv6, rule API errors; a plain
 * TIR delivers frames unchanged with TLS status 0, a TLS TIR without static params too. */
static void test_steering(void)
{
	struct fx f;
	struct rxq q2, q3;
	struct sim_flow_match m;
	uint32_t tir_v4, tir_v6, r4 = 0, r6 = 0, rbad = 0;
	uint8_t fr[256];
	size_t n;
	struct sim_rx_stats rs;
	struct sim_rq_stats st;
	struct flow swapped = flow_v4, other_port = flow_v4;

	FX_INIT(&f, NULL, 4, 4);
	CU_ASSERT_EQUAL_FATAL(rxq_init(&q2, f.dev, f.uid, f.pd, 4, 4, SIM_MR_ACCESS_LOCAL_WRITE, 2),
			      0);
	CU_ASSERT_EQUAL_FATAL(rxq_init(&q3, f.dev, f.uid, f.pd, 4, 4, SIM_MR_ACCESS_LOCAL_WRITE, 3),
			      0);
	tir_v4 = create_tir(f.dev, f.uid, f.td, f.q.ri.rqn, 0);
	tir_v6 = create_tir(f.dev, f.uid, f.td, q2.ri.rqn, 1);
	CU_ASSERT_FATAL(tir_v4 && tir_v6);
	flow_match(&flow_v4, 6, &m);
	CU_ASSERT_EQUAL_FATAL(sim_steer_add(f.dev, &m, tir_v4, &r4), 0);
	flow_match(&flow_v6, 6, &m);
	CU_ASSERT_EQUAL_FATAL(sim_steer_add(f.dev, &m, tir_v6, &r6), 0);
	CU_ASSERT_NOT_EQUAL(r4, r6);
	/* bad matches */
	flow_match(&flow_v4, 6, &m);
	m.ip_version = 5;
	CU_ASSERT_EQUAL(sim_steer_add(f.dev, &m, tir_v4, &rbad), -EINVAL);
	flow_match(&flow_v4, 1, &m);
	CU_ASSERT_EQUAL(sim_steer_add(f.dev, &m, tir_v4, &rbad), -EINVAL);
	flow_match(&flow_v4, 6, &m);
	m.dst_ip[7] = 1;
	CU_ASSERT_EQUAL(sim_steer_add(f.dev, &m, tir_v4, &rbad), -EINVAL);
	CU_ASSERT_EQUAL(sim_steer_add(f.dev, NULL, tir_v4, &rbad), -EINVAL);

	rxq_post(&f.q, 8);
	rxq_post(&q2, 8);
	rxq_post(&q3, 8);
	/* unmatched, no default: dropped */
	n = frame(fr, &flow_v4, 17, 1, 0, payload, 20, CS_GOOD, false);
	CU_ASSERT_EQUAL(sim_dev_rx(f.dev, fr, n), 0);
	CU_ASSERT_EQUAL_FATAL(sim_steer_set_default(f.dev, q3.ri.rqn), 0);
	/* the v4 rule: to the plain TIR's RQ, unchanged, status 0 */
	n = frame(fr, &flow_v4, 6, 1, 0x18, payload, 30, CS_GOOD, false);
	CU_ASSERT_EQUAL(sim_dev_rx(f.dev, fr, n), 0);
	{
		const struct mlx5_cqe64 *c = rxq_poll(&f.q);

		CU_ASSERT_PTR_NOT_NULL_FATAL(c);
		CU_ASSERT_EQUAL(cqe_tls(c), 0);
		CU_ASSERT_EQUAL(memcmp(rxq_buf(&f.q, 0), fr, n), 0);
	}
	/* the same frame in a VLAN still matches: tags are not part of the rule */
	n = frame(fr, &flow_v4, 6, 1, 0x18, payload, 30, CS_GOOD, true);
	CU_ASSERT_EQUAL(sim_dev_rx(f.dev, fr, n), 0);
	CU_ASSERT_PTR_NOT_NULL(rxq_poll(&f.q));
	/* another port, the reverse direction, UDP on the same ports: the default RQ */
	other_port.dport++;
	memcpy(swapped.src, flow_v4.dst, 4);
	memcpy(swapped.dst, flow_v4.src, 4);
	swapped.sport = flow_v4.dport;
	swapped.dport = flow_v4.sport;
	n = frame(fr, &other_port, 6, 1, 0x18, payload, 30, CS_GOOD, false);
	CU_ASSERT_EQUAL(sim_dev_rx(f.dev, fr, n), 0);
	n = frame(fr, &swapped, 6, 1, 0x18, payload, 30, CS_GOOD, false);
	CU_ASSERT_EQUAL(sim_dev_rx(f.dev, fr, n), 0);
	n = frame(fr, &flow_v4, 17, 1, 0, payload, 30, CS_GOOD, false);
	CU_ASSERT_EQUAL(sim_dev_rx(f.dev, fr, n), 0);
	for (int i = 0; i < 3; i++)
		CU_ASSERT_PTR_NOT_NULL(rxq_poll(&q3));
	CU_ASSERT_PTR_NULL(rxq_poll(&q3));
	/* IPv6: the TLS TIR without static params passes the frame as received */
	n = frame(fr, &flow_v6, 6, 5, 0x18, payload, 50, CS_GOOD, false);
	CU_ASSERT_EQUAL(sim_dev_rx(f.dev, fr, n), 0);
	{
		const struct mlx5_cqe64 *c = rxq_poll(&q2);

		CU_ASSERT_PTR_NOT_NULL_FATAL(c);
		CU_ASSERT_EQUAL(cqe_tls(c), 0);
		CU_ASSERT_EQUAL(be32toh(c->srqn_uidx), 2);
		CU_ASSERT_EQUAL(memcmp(rxq_buf(&q2, 0), fr, n), 0);
	}
	sim_rq_get_stats(q2.rq, &st);
	CU_ASSERT_EQUAL(st.tls_no_context, 1);
	/* a deleted rule: to the default */
	CU_ASSERT_EQUAL(sim_steer_del(f.dev, r6), 0);
	CU_ASSERT_EQUAL(sim_dev_rx(f.dev, fr, n), 0);
	CU_ASSERT_PTR_NOT_NULL(rxq_poll(&q3));
	CU_ASSERT_PTR_NULL(rxq_poll(&q2));
	sim_dev_get_rx_stats(f.dev, &rs);
	CU_ASSERT_EQUAL(rs.steered, 3);
	CU_ASSERT_EQUAL(rs.to_default, 4);
	CU_ASSERT_EQUAL(rs.no_match, 1);
	CU_ASSERT_EQUAL(rs.rules, 1);
	CU_ASSERT_EQUAL(destroy_tir(f.dev, f.uid, tir_v6), 0);
	CU_ASSERT_EQUAL(sim_steer_set_default(f.dev, 0), 0);
	sim_uctx_free(f.dev, f.uid); /* the v4 TIR and its rule */
	sim_dev_get_rx_stats(f.dev, &rs);
	CU_ASSERT_EQUAL(rs.rules, 0);
	rxq_fini(f.dev, &q2);
	rxq_fini(f.dev, &q3);
	CU_ASSERT_EQUAL_FATAL(sim_uctx_alloc(f.dev, &f.uid), 0);
	fx_fini(&f);
}

/*
 * The rule table under churn (open addressing, backward-shift deletion, growth): 3000 rules on
 * distinct source ports, a random half deleted and some re-added; then every port's match is
 * EEXIST exactly while its rule is live (the lookup finds every live rule past deletions and
 * never a deleted one), the rule count agrees, and a frame of a live flow still reaches its TIR's
 * RQ while one of a deleted flow goes to the default.
 */
static void test_steering_churn(void)
{
	enum { N = 3000 };
	static uint32_t id[N];
	static bool live[N];
	struct fx f;
	struct rxq q3;
	struct sim_flow_match m;
	struct sim_rx_stats rs;
	struct flow fl = flow_v4;
	uint32_t tir, n_live = 0, bad = 0, dummy, probe_live = N, probe_dead = N;
	uint8_t fr[256];
	size_t n;

	FX_INIT(&f, NULL, 4, 4);
	CU_ASSERT_EQUAL_FATAL(rxq_init(&q3, f.dev, f.uid, f.pd, 4, 4, SIM_MR_ACCESS_LOCAL_WRITE, 3),
			      0);
	tir = create_tir(f.dev, f.uid, f.td, f.q.ri.rqn, 0);
	CU_ASSERT_FATAL(tir);
	CU_ASSERT_EQUAL_FATAL(sim_steer_set_default(f.dev, q3.ri.rqn), 0);
	for (uint32_t i = 0; i < N; i++) {
		fl.sport = (uint16_t)(1000 + i);
		flow_match(&fl, 6, &m);
		CU_ASSERT_EQUAL_FATAL(sim_steer_add(f.dev, &m, tir, &id[i]), 0);
		live[i] = true;
	}
	for (uint32_t round = 0; round < 4 * N; round++) {
		uint32_t i = (uint32_t)(rand() % N);

		fl.sport = (uint16_t)(1000 + i);
		flow_match(&fl, 6, &m);
		if (live[i]) {
			bad += sim_steer_del(f.dev, id[i]) != 0;
			live[i] = false;
		} else if (round % 3 == 0) {
			bad += sim_steer_add(f.dev, &m, tir, &id[i]) != 0;
			live[i] = true;
		}
	}
	for (uint32_t i = 0; i < N; i++) {
		fl.sport = (uint16_t)(1000 + i);
		flow_match(&fl, 6, &m);
		if (live[i]) {
			n_live++;
			bad += sim_steer_add(f.dev, &m, tir, &dummy) != -EEXIST;
			probe_live = i;
		} else {
			bad += sim_steer_add(f.dev, &m, tir, &dummy) != 0;
			bad += sim_steer_del(f.dev, dummy) != 0;
			probe_dead = i;
		}
	}
	CU_ASSERT_EQUAL(bad, 0);
	sim_dev_get_rx_stats(f.dev, &rs);
	CU_ASSERT_EQUAL(rs.rules, n_live);
	CU_ASSERT_FATAL(probe_live < N && probe_dead < N);
	rxq_post(&f.q, 2);
	rxq_post(&q3, 2);
	fl.sport = (uint16_t)(1000 + probe_live);
	n = frame(fr, &fl, 6, 1, 0x18, payload, 30, CS_GOOD, false);
	CU_ASSERT_EQUAL(sim_dev_rx(f.dev, fr, n), 0);
	CU_ASSERT_PTR_NOT_NULL(rxq_poll(&f.q));
	fl.sport = (uint16_t)(1000 + probe_dead);
	n = frame(fr, &fl, 6, 1, 0x18, payload, 30, CS_GOOD, false);
	CU_ASSERT_EQUAL(sim_dev_rx(f.dev, fr, n), 0);
	CU_ASSERT_PTR_NOT_NULL(rxq_poll(&q3));
	CU_ASSERT_PTR_NULL(rxq_poll(&f.q));
	CU_ASSERT_EQUAL(sim_steer_set_default(f.dev, 0), 0);
	sim_uctx_free(f.dev, f.uid); /* the TIR and its rules */
	sim_dev_get_rx_stats(f.dev, &rs);
	CU_ASSERT_EQUAL(rs.rules, 0);
	rxq_fini(f.dev, &q3);
	CU_ASSERT_EQUAL_FATAL(sim_uctx_alloc(f.dev, &f.uid), 0);
	fx_fini(&f);
}

/* ---- concurrency: the receive path against the control plane and the driver ---- */

#define CONC_FRAMES 20000

struct conc {
	struct fx *f;
	struct rxq *q2;
	uint8_t fr[256];
	size_t n;
	int inj_done;
	int ctl_errors;
};

static void *conc_inject(void *arg)
{
	struct conc *c = arg;

	for (int i = 0; i < CONC_FRAMES; i++)
		sim_dev_rx(c->f->dev, c->fr, c->n);
	__atomic_store_n(&c->inj_done, 1, __ATOMIC_RELEASE);
	return NULL;
}

/* TIRs created and destroyed, rules added and deleted, the default moved, while frames flow */
static void *conc_control(void *arg)
{
	struct conc *c = arg;
	struct sim_flow_match m;

	flow_match(&flow_v6, 6, &m);
	for (int i = 0; !__atomic_load_n(&c->inj_done, __ATOMIC_ACQUIRE) || i < 100; i++) {
		uint32_t tirn = create_tir(c->f->dev, c->f->uid, c->f->td, c->q2->ri.rqn, i & 1);
		uint32_t rule = 0;

		if (!tirn || sim_steer_add(c->f->dev, &m, tirn, &rule) ||
		    sim_steer_set_default(c->f->dev, (i & 2) ? c->q2->ri.rqn : 0) ||
		    sim_steer_del(c->f->dev, rule) || destroy_tir(c->f->dev, c->f->uid, tirn))
			c->ctl_errors++;
	}
	return NULL;
}

/* The driver (this thread) keeps the RQ full and consumes CQEs while one thread receives and
 * another changes the steering; every frame is delivered or counted as out of buffer. */
static void test_concurrency(void)
{
	struct fx f;
	struct rxq q2;
	struct conc c = { 0 };
	struct sim_flow_match m;
	uint32_t tirn, rule = 0;
	pthread_t inj, ctl;
	struct sim_rq_stats st;
	uint64_t cqes = 0;
	int idle = 0;

	FX_INIT(&f, NULL, 6, 8);
	CU_ASSERT_EQUAL_FATAL(rxq_init(&q2, f.dev, f.uid, f.pd, 2, 2, SIM_MR_ACCESS_LOCAL_WRITE, 2),
			      0);
	tirn = create_tir(f.dev, f.uid, f.td, f.q.ri.rqn, 0);
	flow_match(&flow_v4, 6, &m);
	CU_ASSERT_EQUAL_FATAL(sim_steer_add(f.dev, &m, tirn, &rule), 0);
	c.f = &f;
	c.q2 = &q2;
	c.n = frame(c.fr, &flow_v4, 6, 1, 0x18, payload, 64, CS_GOOD, false);
	rxq_post(&f.q, 64);
	CU_ASSERT_EQUAL_FATAL(pthread_create(&inj, NULL, conc_inject, &c), 0);
	CU_ASSERT_EQUAL_FATAL(pthread_create(&ctl, NULL, conc_control, &c), 0);
	while (idle < 1000) {
		const struct mlx5_cqe64 *cqe = rxq_poll(&f.q);

		if (cqe) {
			if ((cqe->op_own >> 4) != MLX5_CQE_RESP_SEND ||
			    be32toh(cqe->byte_cnt) != c.n)
				c.ctl_errors++;
			cqes++;
			rxq_post(&f.q, 1);
			idle = 0;
		} else if (__atomic_load_n(&c.inj_done, __ATOMIC_ACQUIRE)) {
			idle++;
		}
	}
	pthread_join(inj, NULL);
	pthread_join(ctl, NULL);
	CU_ASSERT_EQUAL(c.ctl_errors, 0);
	sim_rq_get_stats(f.q.rq, &st);
	CU_ASSERT_EQUAL(st.packets, cqes);
	CU_ASSERT_EQUAL(st.packets + st.out_of_buffer, CONC_FRAMES);
	CU_ASSERT_EQUAL(st.err_cqes, 0);
	CU_ASSERT_EQUAL(sim_steer_set_default(f.dev, 0), 0);
	CU_ASSERT_EQUAL(sim_steer_del(f.dev, rule), 0);
	CU_ASSERT_EQUAL(destroy_tir(f.dev, f.uid, tirn), 0);
	rxq_fini(f.dev, &q2);
	fx_fini(&f);
}

static const struct test_case cases[] = {
	{ "steering", test_steering },
	{ "steering rules under churn", test_steering_churn },
	{ "receive path against control plane and driver threads", test_concurrency },
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
