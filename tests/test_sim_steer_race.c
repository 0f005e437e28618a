/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Device model: steering rules (sim_steer_add/del) against DESTROY_TIR on other threads. A TIR
 * that is the destination of a rule is never destroyed (TIR_IN_USE), whatever the timing: one
 * thread adds and removes rules on a TIR while another keeps trying to destroy it; once
 * destroyed, rules on it are refused (-ENOENT). Run under ASan and ThreadSanitizer (CI). (A rule
 * pins its TIR with the TIR's table shard held for reading, which DESTROY_TIR holds for writing
 * across its check: sim/steer.c, sim/tir.c. One table-wide rwlock instead was measured slower
 * with two threads making RX connections, 0.33-0.56x one thread, since every TIR create and
 * destroy took it for writing; the shards are 16, by TIR number.)
 * The fixture is tests/util/sim_rq_fixture.h.
 */
#include <pthread.h>
#include <stdatomic.h>

#include "sim_rq_fixture.h"

struct race {
	struct sim_dev *dev;
	uint32_t tirn;
	int rounds;
	atomic_int destroyed; /* the destroying thread saw DESTROY_TIR succeed */
	int added_after;      /* rules added on the TIR after it was destroyed */
	int bad;              /* a removal that failed, an unexpected error */
};

static void *race_rules(void *arg)
{
	struct race *r = arg;
	struct sim_flow_match m;

	flow_match(&flow_v4, 6, &m);
	for (int i = 0; i < r->rounds; i++) {
		bool was_destroyed = atomic_load(&r->destroyed);
		uint32_t rule = 0;
		int ret = sim_steer_add(r->dev, &m, r->tirn, &rule);

		if (ret == 0) {
			r->added_after += was_destroyed;
			if (sim_steer_del(r->dev, rule))
				r->bad++;
		} else if (ret != -ENOENT) {
			r->bad++;
		}
	}
	return NULL;
}

static void test_tir_never_destroyed_under_a_rule(void)
{
	struct fx f;
	int rounds = 2000;
	const char *env = getenv("MLX5TLS_STRESS_ROUNDS");

	/* MLX5TLS_STRESS_ROUNDS is test_threads' knob (150 under TSan in .ci/run) */
	if (env)
		rounds = 2 * atoi(env);
	FX_INIT(&f, NULL, 4, 4);
	for (int k = 0; k < 20; k++) {
		struct race r = { .dev = f.dev, .rounds = rounds };
		pthread_t th;

		r.tirn = create_tir(f.dev, f.uid, f.td, f.q.ri.rqn, 1);
		CU_ASSERT_FATAL(r.tirn != 0);
		CU_ASSERT_EQUAL_FATAL(pthread_create(&th, NULL, race_rules, &r), 0);
		/* destroy it while rules come and go: refused while one names it, then done */
		for (int i = 0; i < rounds / 4; i++) {
			uint8_t out[16] = { 0 };
			uint32_t in[DEVX_ST_SZ_DW(destroy_tir_in)] = { 0 };
			int ret;

			DEVX_SET(destroy_tir_in, in, opcode, MLX5_CMD_OP_DESTROY_TIR);
			DEVX_SET(destroy_tir_in, in, tirn, r.tirn);
			ret = sim_cmd_exec(f.dev, f.uid, in, sizeof(in), out, sizeof(out));
			if (ret == 0) {
				atomic_store(&r.destroyed, 1);
				break;
			}
			CU_ASSERT_EQUAL(out_syndrome(out), SIM_SYND_TIR_IN_USE);
		}
		pthread_join(th, NULL);
		if (!atomic_load(&r.destroyed))
			CU_ASSERT_EQUAL(destroy_tir(f.dev, f.uid, r.tirn), 0); /* no rule left */
		CU_ASSERT_EQUAL(r.added_after, 0);
		CU_ASSERT_EQUAL(r.bad, 0);
	}
	fx_fini(&f);
}

int main(void)
{
	static const struct test_case cases[] = {
		{ "a TIR is never destroyed under a rule", test_tir_never_destroyed_under_a_rule },
		{ NULL, NULL },
	};
	static const struct test_suite suites[] = {
		{ "sim steering against DESTROY_TIR", NULL, NULL, cases },
		{ NULL, NULL, NULL, NULL },
	};

	return test_run_suites(suites);
}
