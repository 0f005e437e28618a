/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Device model: RX connections made and dropped on several threads at once (issue 10, threads
 * scaling: CREATE_TIR, DESTROY_TIR, steering rules and the TIR's TLS params run without the
 * device lock, sim/tir.c and sim/steer.c). Whatever the interleaving, the model must answer
 * each thread exactly as it answers one:
 *  - each worker thread, on its own receive queue, creates a TLS TIR, adds its rule (a second
 *    add of the same 5-tuple: -EEXIST), posts the TIR's static and progress params (CQE OK),
 *    then: DESTROY_TIR refused (TIR_IN_USE) while the rule names it, DESTROY_TIR by another uid
 *    refused (TIR_NOT_OWNED), its RQ not destroyable (-EBUSY: the TIR pins it), the rule
 *    removed (again: -ENOENT), the TIR destroyed, then unknown (TIR_UNKNOWN) to DESTROY_TIR, to
 *    rules (-ENOENT) and to progress params (error CQE TIR_UNKNOWN);
 *  - a receiver thread meanwhile delivers frames of a flow of its own (its TIR and rule live
 *    throughout): every frame gives exactly one CQE on its queue, and frames of the workers'
 *    flows go through the same table;
 *  - afterwards the device's counters agree exactly: every command rejection was one the
 *    workers expected, TIRs and rules are back to the receiver's one, every frame counted once.
 * A second case closes a uid while another thread keeps creating TIRs and rules for it: no TIR,
 * rule or RQ pin of the uid may survive (the RQ is destroyable afterwards). A third destroys
 * TIRs while another thread posts their static params: no TLS RX context (engine state) may
 * outlive its TIR. A fourth tries DEALLOC_TD while another thread keeps replacing the TIRs on
 * the TD (the next made before the last goes): refused (TD_IN_USE) every time, allowed once the
 * last TIR is gone; and DEALLOC_TD racing TIR creates on the TD: no TIR is made on a TD already
 * gone. A sixth swaps the default destination and destroys the queue it replaced while another
 * thread receives frames no rule matches: every frame counted once (ASan, TSan: no use of a
 * destroyed queue).
 * Run under ThreadSanitizer by .ci/run (TSAN_TESTS). MLX5TLS_STRESS_ROUNDS scales the rounds.
 */
#include <pthread.h>
#include <stdatomic.h>

#include "dek_cmd.h"
#include "sim/tls_rx.h"
#include "sim_rq_fixture.h"

#define WORKERS 2
#define RX_PLEN 64u

static const uint8_t key16[16] = "tir threads key";

/* A single TLS DEK holding key16, by the library's encoder (dek_cmd.h); its id, or 0. */
static uint32_t tls_dek(struct sim_dev *dev, uint16_t uid, uint32_t pd)
{
	uint8_t in[DEK_CREATE_IN_SZ] = { 0 }, out[DEK_HDR_OUT_SZ] = { 0 };
	struct cmd_secret secret;
	int ret;

	dek_encode_create(in, pd, key16, sizeof(key16), 0, &secret);
	ret = sim_cmd_exec(dev, uid, in, sizeof(in), out, sizeof(out));
	explicit_bzero(in, sizeof(in));
	return ret ? 0 : get32(out + 8);
}

static int stress_rounds(int dflt)
{
	const char *env = getenv("MLX5TLS_STRESS_ROUNDS");

	/* test_threads' knob (150 under TSan in .ci/run) */
	return env ? 4 * atoi(env) : dflt;
}

static int destroy_tir_synd(struct sim_dev *dev, uint16_t uid, uint32_t tirn, uint32_t *synd)
{
	uint32_t in[DEVX_ST_SZ_DW(destroy_tir_in)] = { 0 };
	uint8_t out[16] = { 0 };
	int ret;

	DEVX_SET(destroy_tir_in, in, opcode, MLX5_CMD_OP_DESTROY_TIR);
	DEVX_SET(destroy_tir_in, in, tirn, tirn);
	ret = sim_cmd_exec(dev, uid, in, sizeof(in), out, sizeof(out));
	*synd = ret ? out_syndrome(out) : 0;
	return ret;
}

/* The 5-tuple of worker w's round i: unique on the device. */
static void worker_flow(int w, int i, struct flow *fl)
{
	*fl = flow_v4;
	fl->src[2] = (uint8_t)(w + 1);
	fl->src[3] = (uint8_t)(i >> 16);
	fl->sport = (uint16_t)i;
}

struct shared {
	struct fx f;
	uint16_t uid2; /* another user context: not the owner of any TIR here */
	uint32_t dek;
	atomic_int stop;
	atomic_int workers_done;
};

struct worker {
	struct shared *s;
	int id, rounds;
	struct rxq q;
	struct txq t;
	int rejections; /* command rejections this thread caused on purpose */
	int bad;        /* answers that were not the expected ones */
	char what[96];  /* the first of them */
};

static void worker_bad(struct worker *w, const char *what, int round, long got)
{
	if (!w->bad++)
		snprintf(w->what, sizeof(w->what), "worker %d round %d: %s (got %ld)", w->id, round,
			 what, got);
}

static void worker_round(struct worker *w, int i)
{
	struct sim_dev *dev = w->s->f.dev;
	uint16_t uid = w->s->f.uid;
	struct tls_static_info si = { 0 };
	struct sim_flow_match m;
	uint32_t tirn, rule = 0, other = 0, synd = 0, rqn = 0;
	struct flow fl;
	int tls_en = 0, ret;

	tirn = create_tir(dev, uid, w->s->f.td, w->q.ri.rqn, 1);
	if (!tirn)
		return worker_bad(w, "CREATE_TIR", i, 0);
	if (sim_tir_get(dev, tirn, &tls_en, NULL, &rqn) || !tls_en || rqn != w->q.ri.rqn)
		worker_bad(w, "the TIR's RQ", i, rqn);
	worker_flow(w->id, i, &fl);
	flow_match(&fl, 6, &m);
	if ((ret = sim_steer_add(dev, &m, tirn, &rule)))
		worker_bad(w, "rule add", i, ret);
	if ((ret = sim_steer_add(dev, &m, tirn, &other)) != -EEXIST)
		worker_bad(w, "second rule on the 5-tuple", i, ret);
	si.dek_index = w->s->dek;
	post_static_tir(&w->t, tirn, &si);
	post_progress_tir(&w->t, tirn, SEQ0);
	if ((ret = txq_run(&w->t)))
		worker_bad(w, "static and progress params", i, ret);
	/* in use: the rule names it; not ours to destroy for another uid */
	ret = destroy_tir_synd(dev, uid, tirn, &synd);
	if (!ret || synd != SIM_SYND_TIR_IN_USE)
		worker_bad(w, "DESTROY_TIR under a rule", i, (long)synd);
	ret = destroy_tir_synd(dev, w->s->uid2, tirn, &synd);
	if (!ret || synd != SIM_SYND_TIR_NOT_OWNED)
		worker_bad(w, "DESTROY_TIR by another uid", i, (long)synd);
	w->rejections += 2;
	if ((ret = sim_rq_destroy(w->q.rq)) != -EBUSY)
		worker_bad(w, "RQ destroy under its TIR", i, ret);
	if ((ret = sim_steer_del(dev, rule)))
		worker_bad(w, "rule del", i, ret);
	if ((ret = sim_steer_del(dev, rule)) != -ENOENT)
		worker_bad(w, "second rule del", i, ret);
	if ((ret = destroy_tir(dev, uid, tirn)))
		worker_bad(w, "DESTROY_TIR", i, ret);
	/* gone: unknown to every way of naming it */
	ret = destroy_tir_synd(dev, uid, tirn, &synd);
	if (!ret || synd != SIM_SYND_TIR_UNKNOWN)
		worker_bad(w, "DESTROY_TIR of a destroyed TIR", i, (long)synd);
	w->rejections++;
	if ((ret = sim_steer_add(dev, &m, tirn, &rule)) != -ENOENT)
		worker_bad(w, "rule on a destroyed TIR", i, ret);
	post_progress_tir(&w->t, tirn, SEQ0);
	ret = txq_run(&w->t);
	if (ret != SQ_ERR(MLX5_CQE_SYNDROME_LOCAL_QP_OP_ERR, SIM_VSYND_TIR_UNKNOWN))
		worker_bad(w, "progress params to a destroyed TIR", i, ret);
	txq_recover(&w->t);
}

static void *worker_run(void *arg)
{
	struct worker *w = arg;

	for (int i = 0; i < w->rounds && !w->bad; i++)
		worker_round(w, i);
	atomic_fetch_add(&w->s->workers_done, 1);
	return NULL;
}

struct receiver {
	struct shared *s;
	uint64_t sent;      /* frames handed to sim_dev_rx */
	uint64_t mine;      /* of them, of the receiver's own flow */
	uint64_t cqes;      /* CQEs on the receiver's queue */
	uint64_t bad_cqes;  /* a CQE of the wrong length or with an error */
};

static void *receiver_run(void *arg)
{
	struct receiver *r = arg;
	struct rxq *q = &r->s->f.q;
	uint8_t f[256];
	int n = 0;

	rxq_post(q, q->ri.wqe_cnt);
	while (!atomic_load(&r->s->stop)) {
		const struct mlx5_cqe64 *c;
		struct flow fl;
		size_t len_mine;

		/* one frame of its own flow: exactly one CQE, its length */
		len_mine = frame(f, &flow_v4, 6, (uint32_t)n, 0x18, payload, RX_PLEN, CS_GOOD,
				 false);
		sim_dev_rx(r->s->f.dev, f, len_mine);
		r->sent++;
		r->mine++;
		while ((c = rxq_poll(q))) {
			r->cqes++;
			if ((c->op_own >> 4) != MLX5_CQE_RESP_SEND || be32toh(c->byte_cnt) != len_mine)
				r->bad_cqes++;
			rxq_post(q, 1);
		}
		/* and one of a worker's flows, live or not (its RQ has no buffers: counted drops) */
		worker_flow(n % WORKERS, n / WORKERS % 64, &fl);
		sim_dev_rx(r->s->f.dev, f,
			   frame(f, &fl, 6, 7, 0x18, payload, RX_PLEN, CS_GOOD, false));
		r->sent++;
		n++;
	}
	return NULL;
}

static void test_rx_connections_on_threads(void)
{
	struct shared s = { 0 };
	struct worker w[WORKERS];
	struct receiver r = { .s = &s };
	struct sim_dev_stats st0, st1;
	struct sim_rx_stats rs0, rs1;
	pthread_t th[WORKERS], rth;
	struct sim_flow_match m;
	uint32_t tirn, rule = 0;
	int rejections = 0;

	FX_INIT(&s.f, NULL, 6, 10);
	CU_ASSERT_EQUAL_FATAL(sim_uctx_alloc(s.f.dev, &s.uid2), 0);
	s.dek = tls_dek(s.f.dev, s.f.uid, s.f.pd);
	CU_ASSERT_FATAL(s.dek != 0);
	/* the receiver's connection: a plain TIR on the fixture's queue and its rule */
	tirn = create_tir(s.f.dev, s.f.uid, s.f.td, s.f.q.ri.rqn, 0);
	CU_ASSERT_FATAL(tirn != 0);
	flow_match(&flow_v4, 6, &m);
	CU_ASSERT_EQUAL_FATAL(sim_steer_add(s.f.dev, &m, tirn, &rule), 0);
	for (int i = 0; i < WORKERS; i++) {
		w[i] = (struct worker){ .s = &s, .id = i, .rounds = stress_rounds(20000) };
		CU_ASSERT_EQUAL_FATAL(rxq_init(&w[i].q, s.f.dev, s.f.uid, s.f.pd, 4, 6,
					       SIM_MR_ACCESS_LOCAL_WRITE, (uint32_t)i),
				      0);
		CU_ASSERT_EQUAL_FATAL(txq_init(&w[i].t, s.f.dev, s.f.tis, s.f.pd, NULL), 0);
	}
	sim_dev_get_stats(s.f.dev, &st0);
	sim_dev_get_rx_stats(s.f.dev, &rs0);
	CU_ASSERT_EQUAL_FATAL(pthread_create(&rth, NULL, receiver_run, &r), 0);
	for (int i = 0; i < WORKERS; i++)
		CU_ASSERT_EQUAL_FATAL(pthread_create(&th[i], NULL, worker_run, &w[i]), 0);
	for (int i = 0; i < WORKERS; i++)
		pthread_join(th[i], NULL);
	atomic_store(&s.stop, 1);
	pthread_join(rth, NULL);

	for (int i = 0; i < WORKERS; i++) {
		if (w[i].bad)
			fprintf(stderr, "  %d unexpected answers, the first: %s\n", w[i].bad,
				w[i].what);
		CU_ASSERT_EQUAL(w[i].bad, 0);
		rejections += w[i].rejections;
	}
	sim_dev_get_stats(s.f.dev, &st1);
	sim_dev_get_rx_stats(s.f.dev, &rs1);
	/* every rejection was an expected one; no TIR and no rule of the workers is left */
	CU_ASSERT_EQUAL(st1.cmd_errors - st0.cmd_errors, (uint64_t)rejections);
	CU_ASSERT_EQUAL(st1.tirs, 1);
	CU_ASSERT_EQUAL(rs1.rules, 1);
	/* each frame counted once, each of the receiver's gave one CQE (the rest: the last ones
	 * not yet reaped are at most a ring) */
	CU_ASSERT_EQUAL(rs1.frames - rs0.frames, r.sent);
	CU_ASSERT_EQUAL(rs1.steered + rs1.to_default + rs1.no_match -
				(rs0.steered + rs0.to_default + rs0.no_match),
			r.sent);
	CU_ASSERT(rs1.steered - rs0.steered >= r.mine);
	while (rxq_poll(&s.f.q))
		r.cqes++;
	CU_ASSERT_EQUAL(r.cqes, r.mine);
	CU_ASSERT_EQUAL(r.bad_cqes, 0);
	CU_ASSERT(r.mine > 0);

	for (int i = 0; i < WORKERS; i++) {
		txq_fini(&w[i].t);
		rxq_fini(s.f.dev, &w[i].q); /* unpinned: its TIRs are all gone */
	}
	CU_ASSERT_EQUAL(sim_steer_del(s.f.dev, rule), 0);
	CU_ASSERT_EQUAL(destroy_tir(s.f.dev, s.f.uid, tirn), 0);
	sim_uctx_free(s.f.dev, s.uid2);
	fx_fini(&s.f);
}

/* ---- a uid closed under a thread still making its TIRs ---- */

struct maker {
	struct sim_dev *dev;
	uint16_t uid;
	uint32_t td, rqn;
	atomic_int made; /* TIRs with their rule made */
	int unexpected;
};

static void *maker_run(void *arg)
{
	struct maker *k = arg;

	for (int i = 0; i < 100000; i++) {
		struct sim_flow_match m;
		struct flow fl;
		uint32_t tirn = create_tir(k->dev, k->uid, k->td, k->rqn, 1), rule = 0;
		int ret;

		if (!tirn)
			break; /* the uid is gone (UID_INVALID), or its TD */
		worker_flow(3, i, &fl);
		flow_match(&fl, 6, &m);
		ret = sim_steer_add(k->dev, &m, tirn, &rule);
		if (ret && ret != -ENOENT) /* -ENOENT: the TIR went with its uid meanwhile */
			k->unexpected++;
		atomic_fetch_add(&k->made, 1);
	}
	return NULL;
}

static void test_uid_closed_under_tir_creates(void)
{
	struct fx f;
	struct sim_dev_stats st;
	struct sim_rx_stats rs;

	FX_INIT(&f, NULL, 4, 6);
	for (int k = 0; k < 20; k++) {
		struct maker mk = { .dev = f.dev };
		pthread_t th;
		struct rxq q;
		uint32_t pd;

		CU_ASSERT_EQUAL_FATAL(sim_uctx_alloc(f.dev, &mk.uid), 0);
		pd = new_num(f.dev, mk.uid, MLX5_CMD_OP_ALLOC_PD);
		mk.td = new_num(f.dev, mk.uid, MLX5_CMD_OP_ALLOC_TRANSPORT_DOMAIN);
		CU_ASSERT_FATAL(pd && mk.td);
		CU_ASSERT_EQUAL_FATAL(rxq_init(&q, f.dev, mk.uid, pd, 4, 6,
					       SIM_MR_ACCESS_LOCAL_WRITE, 1),
				      0);
		mk.rqn = q.ri.rqn;
		CU_ASSERT_EQUAL_FATAL(pthread_create(&th, NULL, maker_run, &mk), 0);
		while (atomic_load(&mk.made) < 1 + k * 5)
			sched_yield();
		sim_uctx_free(f.dev, mk.uid);
		pthread_join(th, NULL);
		CU_ASSERT_EQUAL(mk.unexpected, 0);
		/* nothing of the uid survives: no TIR, no rule, no pin on its queue */
		sim_dev_get_stats(f.dev, &st);
		sim_dev_get_rx_stats(f.dev, &rs);
		CU_ASSERT_EQUAL(st.tirs, 0);
		CU_ASSERT_EQUAL(rs.rules, 0);
		CU_ASSERT_EQUAL(sim_rq_destroy(q.rq), 0);
		CU_ASSERT_EQUAL(sim_cq_destroy(q.cq), 0);
		/* the memory region is the API's (sim_mr_reg_access), not the uid's */
		CU_ASSERT_EQUAL(sim_mr_dereg(f.dev, q.lkey), 0);
		free(q.mem);
	}
	fx_fini(&f);
}

/* ---- DEALLOC_TD against TIRs made and destroyed on another thread ---- */

struct td_churn {
	struct fx *f;
	uint32_t td;
	atomic_int stop;
	atomic_int rounds; /* TIRs replaced */
	atomic_int unexpected;
	uint32_t last; /* the TIR left when stopped */
};

/* Keeps at least one TIR on td at every moment: the next is made before the last goes. */
static void *td_churn_run(void *arg)
{
	struct td_churn *k = arg;
	uint32_t cur = create_tir(k->f->dev, k->f->uid, k->td, k->f->q.ri.rqn, 1);

	if (!cur)
		atomic_fetch_add(&k->unexpected, 1);
	while (cur && !atomic_load(&k->stop)) {
		uint32_t next = create_tir(k->f->dev, k->f->uid, k->td, k->f->q.ri.rqn, 1);

		if (!next || destroy_tir(k->f->dev, k->f->uid, cur)) {
			atomic_fetch_add(&k->unexpected, 1);
			break;
		}
		cur = next;
		atomic_fetch_add(&k->rounds, 1);
	}
	k->last = cur;
	return NULL;
}

static int dealloc_td(struct sim_dev *dev, uint16_t uid, uint32_t td, uint32_t *synd)
{
	uint32_t in[4] = { 0 };
	uint8_t out[16] = { 0 };
	int ret;

	DEVX_SET(mbox_in, in, opcode, MLX5_CMD_OP_DEALLOC_TRANSPORT_DOMAIN);
	DEVX_SET(obj_num_in, in, obj_num, td);
	ret = sim_cmd_exec(dev, uid, in, sizeof(in), out, sizeof(out));
	*synd = ret ? out_syndrome(out) : 0;
	return ret;
}

static void test_td_in_use_while_tirs_come_and_go(void)
{
	struct td_churn k = { 0 };
	int tries = stress_rounds(2000), bad = 0;
	uint32_t synd = 0;
	pthread_t th;
	struct fx f;

	FX_INIT(&f, NULL, 4, 6);
	k.f = &f;
	k.td = new_num(f.dev, f.uid, MLX5_CMD_OP_ALLOC_TRANSPORT_DOMAIN);
	CU_ASSERT_FATAL(k.td != 0);
	CU_ASSERT_EQUAL_FATAL(pthread_create(&th, NULL, td_churn_run, &k), 0);
	while (!atomic_load(&k.rounds) && !atomic_load(&k.unexpected))
		sched_yield();
	/* a TIR names the TD throughout: DEALLOC_TD is refused every time (TD_IN_USE) */
	for (int i = 0; i < tries; i++) {
		if (!dealloc_td(f.dev, f.uid, k.td, &synd) || synd != SIM_SYND_TD_IN_USE)
			bad++;
		if (i % 8 == 0)
			sched_yield();
	}
	atomic_store(&k.stop, 1);
	pthread_join(th, NULL);
	CU_ASSERT_EQUAL(atomic_load(&k.unexpected), 0);
	CU_ASSERT_EQUAL(bad, 0);
	CU_ASSERT(atomic_load(&k.rounds) > 0);
	/* the last TIR gone, the TD goes */
	CU_ASSERT_EQUAL(dealloc_td(f.dev, f.uid, k.td, &synd), -EREMOTEIO);
	CU_ASSERT_EQUAL(synd, SIM_SYND_TD_IN_USE);
	CU_ASSERT_EQUAL(destroy_tir(f.dev, f.uid, k.last), 0);
	CU_ASSERT_EQUAL(dealloc_td(f.dev, f.uid, k.td, &synd), 0);
	fx_fini(&f);
}

/* Makes and destroys TIRs on td until a create fails (the TD gone): a TIR made while the TD
 * was already gone would name a dead TD. */
struct td_race {
	struct fx *f;
	uint32_t td;
	atomic_int gone; /* DEALLOC_TD succeeded */
	atomic_int made;
	int after_gone; /* TIRs live after the TD's DEALLOC_TD succeeded */
	int unexpected;
};

static void *td_race_run(void *arg)
{
	struct td_race *k = arg;
	uint32_t tirn;

	while ((tirn = create_tir(k->f->dev, k->f->uid, k->td, k->f->q.ri.rqn, 1))) {
		/* live now: DEALLOC_TD, which fails while a TIR names the TD, cannot have
		 * succeeded after this TIR went in, and must not have before */
		k->after_gone += atomic_load(&k->gone);
		atomic_fetch_add(&k->made, 1);
		if (destroy_tir(k->f->dev, k->f->uid, tirn))
			k->unexpected++;
	}
	return NULL;
}

static void test_td_dealloc_races_tir_creates(void)
{
	struct fx f;

	FX_INIT(&f, NULL, 4, 6);
	for (int r = 0; r < 50; r++) {
		struct td_race k = { .f = &f };
		struct sim_dev_stats st;
		uint32_t synd = 0;
		pthread_t th;

		k.td = new_num(f.dev, f.uid, MLX5_CMD_OP_ALLOC_TRANSPORT_DOMAIN);
		CU_ASSERT_FATAL(k.td != 0);
		CU_ASSERT_EQUAL_FATAL(pthread_create(&th, NULL, td_race_run, &k), 0);
		while (atomic_load(&k.made) < 1 + r % 5)
			sched_yield();
		/* refused while a TIR names it, then gone; the maker's next create fails */
		while (dealloc_td(f.dev, f.uid, k.td, &synd)) {
			if (synd != SIM_SYND_TD_IN_USE) {
				CU_FAIL("DEALLOC_TD: not TD_IN_USE");
				break;
			}
		}
		atomic_store(&k.gone, 1);
		pthread_join(th, NULL);
		CU_ASSERT_EQUAL(k.after_gone, 0);
		CU_ASSERT_EQUAL(k.unexpected, 0);
		sim_dev_get_stats(f.dev, &st);
		CU_ASSERT_EQUAL(st.tirs, 0);
	}
	fx_fini(&f);
}

/* ---- the default destination swapped and its old RQ destroyed under frames ---- */

struct unmatched {
	struct sim_dev *dev;
	atomic_int stop;
	uint64_t sent;
};

static void *unmatched_run(void *arg)
{
	struct unmatched *u = arg;
	struct flow fl = flow_v6; /* no rule: to the default, or dropped */
	uint8_t f[256];

	while (!atomic_load(&u->stop)) {
		fl.sport = (uint16_t)u->sent;
		sim_dev_rx(u->dev, f, frame(f, &fl, 17, 0, 0, payload, 32, CS_GOOD, false));
		u->sent++;
	}
	return NULL;
}

static void test_default_swapped_under_frames(void)
{
	struct unmatched u = { 0 };
	struct sim_rx_stats rs0, rs1;
	pthread_t th;
	struct fx f;

	FX_INIT(&f, NULL, 4, 6);
	u.dev = f.dev;
	sim_dev_get_rx_stats(f.dev, &rs0);
	CU_ASSERT_EQUAL_FATAL(pthread_create(&th, NULL, unmatched_run, &u), 0);
	/* each round: a new queue becomes the default, the one before is destroyed (refused
	 * while it is the default) */
	for (int i = 0; i < stress_rounds(800) / 4; i++) {
		struct rxq q;

		CU_ASSERT_EQUAL_FATAL(rxq_init(&q, f.dev, f.uid, f.pd, 4, 6,
					       SIM_MR_ACCESS_LOCAL_WRITE, 9),
				      0);
		rxq_post(&q, q.ri.wqe_cnt);
		CU_ASSERT_EQUAL(sim_steer_set_default(f.dev, q.ri.rqn), 0);
		CU_ASSERT_EQUAL(sim_rq_destroy(q.rq), -EBUSY);
		for (int k = 0; k < i % 5; k++)
			sched_yield();
		CU_ASSERT_EQUAL(sim_steer_set_default(f.dev, i % 3 ? f.q.ri.rqn : 0), 0);
		rxq_fini(f.dev, &q); /* no longer the default: destroyed under the frames */
	}
	atomic_store(&u.stop, 1);
	pthread_join(th, NULL);
	sim_dev_get_rx_stats(f.dev, &rs1);
	CU_ASSERT_EQUAL(rs1.frames - rs0.frames, u.sent);
	CU_ASSERT_EQUAL(rs1.to_default + rs1.no_match - rs0.to_default - rs0.no_match, u.sent);
	fx_fini(&f);
}

/* ---- static params racing DESTROY_TIR: no context outlives its TIR ---- */

static atomic_int rx_states; /* engine states alive */

static void *count_create(void)
{
	void *st = sim_tls_rx_engine_ops.create();

	if (st)
		atomic_fetch_add(&rx_states, 1);
	return st;
}

static void count_destroy(void *st)
{
	atomic_fetch_sub(&rx_states, 1);
	sim_tls_rx_engine_ops.destroy(st);
}

struct poster {
	struct fx *f;
	const struct sim_tls_rx_engine_ops *ops;
	uint32_t dek;
	atomic_uint tirn; /* the TIR to post to, 0: stop */
	atomic_int posted, refused; /* static params taken; refused: TIR gone meanwhile */
	atomic_int unexpected;
};

static void *poster_run(void *arg)
{
	struct poster *p = arg;
	struct sim_cq_attr ca = { .log_cqes = 6 };
	struct sim_sq_attr sa = { 0 };
	struct txq t = { 0 };
	uint32_t tirn;

	t.cq = sim_cq_create(p->f->dev, &ca);
	sim_cq_query(t.cq, &t.cqi);
	sa.log_wqebbs = 6;
	sa.cq = t.cq;
	sa.tisn = p->f->tis;
	sa.pd = p->f->pd;
	sa.tls_rx_ops = p->ops;
	t.sq = sim_sq_create(p->f->dev, &sa);
	if (!t.sq || sim_sq_modify(t.sq, SIM_SQ_RDY)) {
		atomic_fetch_add(&p->unexpected, 1);
		return NULL;
	}
	sim_sq_query(t.sq, &t.si);
	while ((tirn = atomic_load(&p->tirn))) {
		struct tls_static_info si = { .dek_index = p->dek };
		int ret;

		post_static_tir(&t, tirn, &si);
		ret = txq_run(&t);
		if (ret == 0) {
			atomic_fetch_add(&p->posted, 1);
		} else if (ret == SQ_ERR(MLX5_CQE_SYNDROME_LOCAL_QP_OP_ERR, SIM_VSYND_TIR_UNKNOWN)) {
			atomic_fetch_add(&p->refused, 1); /* destroyed meanwhile */
			txq_recover(&t);
		} else {
			atomic_fetch_add(&p->unexpected, 1);
			txq_recover(&t);
		}
	}
	txq_fini(&t);
	return NULL;
}

static void test_no_context_outlives_its_tir(void)
{
	/* the built-in engine, its states counted */
	struct sim_tls_rx_engine_ops counting = sim_tls_rx_engine_ops;
	struct poster p = { 0 };
	int rounds = stress_rounds(2000) / 4;
	struct fx f;
	pthread_t th;

	counting.create = count_create;
	counting.destroy = count_destroy;
	FX_INIT(&f, NULL, 4, 6);
	p.f = &f;
	p.ops = &counting;
	p.dek = tls_dek(f.dev, f.uid, f.pd);
	CU_ASSERT_FATAL(p.dek != 0);
	atomic_store(&p.tirn, create_tir(f.dev, f.uid, f.td, f.q.ri.rqn, 1));
	CU_ASSERT_FATAL(atomic_load(&p.tirn) != 0);
	CU_ASSERT_EQUAL_FATAL(pthread_create(&th, NULL, poster_run, &p), 0);
	/* each TIR destroyed while the other thread keeps posting its static params */
	for (int i = 0; i < rounds; i++) {
		uint32_t old = atomic_load(&p.tirn), tirn;
		int seen = atomic_load(&p.posted) + atomic_load(&p.refused);

		/* at least one WQE on this TIR's way, then a little more or less */
		while (atomic_load(&p.posted) + atomic_load(&p.refused) == seen &&
		       !atomic_load(&p.unexpected))
			sched_yield();
		for (int k = 0; k < i % 7; k++)
			sched_yield();
		tirn = create_tir(f.dev, f.uid, f.td, f.q.ri.rqn, 1);
		CU_ASSERT_FATAL(tirn != 0);
		CU_ASSERT_EQUAL(destroy_tir(f.dev, f.uid, old), 0);
		atomic_store(&p.tirn, tirn);
	}
	{
		uint32_t last = atomic_load(&p.tirn);

		atomic_store(&p.tirn, 0);
		pthread_join(th, NULL);
		CU_ASSERT_EQUAL(destroy_tir(f.dev, f.uid, last), 0);
	}
	CU_ASSERT_EQUAL(atomic_load(&p.unexpected), 0);
	CU_ASSERT(atomic_load(&p.posted) > 0);
	/* every TIR is gone: so is every engine state made for one */
	CU_ASSERT_EQUAL(atomic_load(&rx_states), 0);
	if (atomic_load(&rx_states))
		fprintf(stderr, "  %d TLS RX contexts outlived their TIR (%d posted, %d refused)\n",
			atomic_load(&rx_states), atomic_load(&p.posted), atomic_load(&p.refused));
	fx_fini(&f);
}

int main(void)
{
	static const struct test_case cases[] = {
		{ "RX connections on threads at once", test_rx_connections_on_threads },
		{ "a uid closed under TIR creates", test_uid_closed_under_tir_creates },
		{ "no TLS RX context outlives its TIR", test_no_context_outlives_its_tir },
		{ "TD in use while TIRs come and go", test_td_in_use_while_tirs_come_and_go },
		{ "DEALLOC_TD racing TIR creates", test_td_dealloc_races_tir_creates },
		{ "default destination swapped under frames", test_default_swapped_under_frames },
		{ NULL, NULL },
	};
	static const struct test_suite suites[] = {
		{ "sim TIRs and rules on threads", NULL, NULL, cases },
		{ NULL, NULL, NULL, NULL },
	};

	return test_run_suites(suites);
}
