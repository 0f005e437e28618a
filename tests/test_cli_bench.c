/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mlx5tls-bench setup (smoke: counts, not timings) and the dek_tis_setup example as a user runs
 * them, each as a child process against the device model; the binaries are found next to this
 * test in the build tree. No output may carry key material (cli_run_nokey).
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "cli_util.h"
#include "json_check.h"
#include "test_util.h"

#define BENCH "tools/mlx5tls-bench"
#define EXAMPLE "examples/dek_tis_setup"

static char build_dir[PATH_MAX];

/* run(&r, BENCH, "setup", NULL): BUILD/<rel> with the arguments (NULL-terminated). */
#define run(r, rel, ...) \
	cli_run_nokey((r), build_dir, NULL, NULL, (rel), (const char *const[]){ __VA_ARGS__ })

#define HAS(s, needle) CU_ASSERT_PTR_NOT_NULL(strstr((s), (needle)))

static double number_after(const char *s, const char *from, const char *key)
{
	const char *p = strstr(s, from);

	if (!p || !(p = strstr(p, key)))
		return -1;
	return strtod(p + strlen(key), NULL);
}

static void test_bench_setup_smoke(void)
{
	double pooled, unpooled;
	struct run r;

	run(&r, BENCH, "setup", "-n", "2000", "-l", "256", NULL);
	expect_status(&r, 0, "bench setup -n 2000 -l 256");
	HAS(r.out, "device sim:cx6dx kind model");
	HAS(r.out, "setup: live 256 contexts 2000");
	pooled = number_after(r.out, "\npooled ", "cmds_per_context ");
	unpooled = number_after(r.out, "\nunpooled ", "cmds_per_context ");
	/* counts, not timings: a pooled context costs about one MODIFY; unpooled four commands */
	CU_ASSERT_TRUE(pooled > 0 && pooled <= 1.05);
	CU_ASSERT_TRUE(unpooled >= 3.99 && unpooled <= 4.01);
	HAS(r.out, "contexts_per_s ");
	HAS(r.out, "pooled/unpooled contexts_per_s ratio ");
	HAS(r.out, "target setup fw commands per context (pools) <= 1.05: met");
	run_free(&r);

	run(&r, BENCH, "-j", "setup", "-n", "500", "-l", "64", NULL);
	expect_status(&r, 0, "bench -j setup");
	CU_ASSERT_TRUE(json_valid(r.out));
	HAS(r.out, "\"modes\":[{\"mode\":\"pooled\",\"contexts\":500,");
	HAS(r.out, "{\"mode\":\"unpooled\",\"contexts\":500,\"fw_cmds\":2000,");
	HAS(r.out, "\"met\":true");
	pooled = number_after(r.out, "\"mode\":\"pooled\"", "\"cmds_per_context\":");
	CU_ASSERT_TRUE(pooled > 0 && pooled <= 1.05);
	run_free(&r);

	/* --queues at small sizes: real contexts, counts (not timings) */
	run(&r, BENCH, "-j", "setup", "--queues", "-l", "300", NULL);
	expect_status(&r, 0, "bench -j setup --queues -l 300");
	CU_ASSERT_TRUE(json_valid(r.out));
	HAS(r.out, "\"tx\":[{\"live\":300,");
	HAS(r.out, "\"rx\":[{\"live\":300,");
	HAS(r.out, "\"tx_replace_target\":{\"met\":");
	HAS(r.out, "\"rx_ratio_target\":{\"met\":");
	/* a TX replacement is one key load; an RX one a TIR create and destroy and a key load */
	CU_ASSERT_TRUE(number_after(r.out, "\"tx\":", "\"fw_cmds_per_replace\":") <= 1.05);
	CU_ASSERT_TRUE(number_after(r.out, "\"rx\":", "\"fw_cmds_per_replace\":") <= 3.05);
	CU_ASSERT_TRUE(number_after(r.out, "\"tx\":", "\"library_per_context\":") <= 1024);
	/* and in batches of 16 (mlx5tls_tx_destroy_bulk, then as many creates): its own figure,
	 * still one key load per replacement, and its own targets */
	HAS(r.out, "\"batch\":16,\"replace_batch_per_sec\":");
	CU_ASSERT_TRUE(number_after(r.out, "\"tx\":", "\"replace_batch_per_sec\":") > 0);
	CU_ASSERT_TRUE(number_after(r.out, "\"tx\":", "\"fw_cmds_per_batch_replace\":") <= 1.05);
	HAS(r.out, "\"tx_batch_replace_target\":{\"met\":");
	HAS(r.out, "\"tx_batch_ratio_target\":{\"met\":");
	/* used contexts (one record each, acknowledged): the record tracker gave back what it took
	 * (the heap figures are not asserted: a sanitizer's allocator does not report them) */
	HAS(r.out, "\"tx_idle_memory_target\":{\"met\":true");
	CU_ASSERT_TRUE(number_after(r.out, "\"tx_used\":", "\"idle_library_per_context\":") <= 1024);
	/* the latency of a dependent miss, measured in the same run (a time: only that it is one) */
	CU_ASSERT_TRUE(number_after(r.out, "\"rx\":", "\"miss_ns\":") > 0);
	run_free(&r);

	/* the text says which size each line is */
	run(&r, BENCH, "setup", "--queues", "-l", "200", NULL);
	expect_status(&r, 0, "bench setup --queues -l 200");
	HAS(r.out, "  tx     200 live: create ");
	HAS(r.out, "  rx     200 live: create ");
	HAS(r.out, "  tx     200 live, each sent one record");
	HAS(r.out, " fw commands each), in batches of 16 ");
	HAS(r.out, "target tx replace/s in batches of 16 at 200 live >= 100000: ");
	HAS(r.out, "target tx replace/s in batches of 16 at 200 vs 200 live >= 0.5x: ");
	run_free(&r);

	/* --threads: contexts on a queue per thread, each thread's own operations */
	run(&r, BENCH, "-j", "setup", "--threads", "3", "-l", "50", NULL);
	expect_status(&r, 0, "bench -j setup --threads 3 -l 50");
	CU_ASSERT_TRUE(json_valid(r.out));
	HAS(r.out, "\"benchmark\":\"setup --threads\",");
	HAS(r.out, "\"live_per_thread\":50,");
	HAS(r.out, "\"runs\":[{\"threads\":1,\"ops_per_sec\":");
	HAS(r.out, "},{\"threads\":3,\"ops_per_sec\":");
	CU_ASSERT_TRUE(number_after(r.out, "{\"threads\":1,", "\"ops_per_sec\":") > 0);
	CU_ASSERT_TRUE(number_after(r.out, "{\"threads\":3,", "\"ops_per_sec\":") > 0);
	HAS(r.out, "\"ideal\":3,");
	/* each direction's target: 0.75 N times one thread */
	HAS(r.out, "\"scaling_target\":{\"met\":");
	CU_ASSERT_TRUE(number_after(r.out, "\"scaling_target\":{", "\"value\":") > 0);
	CU_ASSERT_TRUE(strstr(r.out, "\"rx\":{") &&
		       strstr(strstr(r.out, "\"rx\":{"), "\"scaling_target\":{\"met\":"));
	/* then RX connections (TIR, rule, context) the same way */
	HAS(r.out, "\"rx\":{\"live_per_thread\":50,\"runs\":[{\"threads\":1,\"ops_per_sec\":");
	CU_ASSERT_TRUE(number_after(r.out, "\"rx\":{", "\"ops_per_sec\":") > 0);
	CU_ASSERT_TRUE(number_after(r.out, "\"rx\":{\"live_per_thread\":50,\"runs\":[{\"threads\":1,",
				    "{\"threads\":3,\"ops_per_sec\":") > 0);
	run_free(&r);
}

static void test_bench_errors(void)
{
	struct run r;

	run(&r, BENCH, "setup", "-n", "0", NULL);
	expect_status(&r, 1, "bench -n 0");
	HAS(r.err, "-n needs a positive count");
	run_free(&r);

	run(&r, BENCH, "teardown", NULL);
	expect_status(&r, 1, "bench unknown benchmark");
	HAS(r.err, "unknown benchmark 'teardown'");
	run_free(&r);

	run(&r, BENCH, "setup", "-d", "sim:cx6dx-nocrypto", "-n", "10", "-l", "2", NULL);
	expect_status(&r, 1, "bench on nocrypto");
	HAS(r.err, "device sim:cx6dx-nocrypto cannot offload TLS TX (tls: none (no crypto))");
	run_free(&r);

	/* an older firmware: single DEKs, so the pooled mode only saves the TIS commands */
	run(&r, BENCH, "setup", "-d", "sim:cx6dx-legacy", "-n", "100", "-l", "8", NULL);
	expect_status(&r, 0, "bench on legacy");
	HAS(r.out, "dek_pool bulk no");
	HAS(r.out, "target setup fw commands per context (pools) <= 1.05: NOT met");
	run_free(&r);

	/* a firmware rejection: strerror, then opcode, status name and syndrome */
	run(&r, BENCH, "setup", "-d", "sim:cx6dx,log_max_tis=4", "-n", "10", "-l", "32", NULL);
	expect_status(&r, 1, "bench past log_max_tis");
	HAS(r.err, strerror(EREMOTEIO));
	HAS(r.err, "; firmware: CREATE_TIS (opcode 0x0912 op_mod 0x0000) status ");
	HAS(r.err, " syndrome 0x");
	run_free(&r);

	run(&r, BENCH, "setup", "--threads", "0", NULL);
	expect_status(&r, 1, "bench --threads 0");
	HAS(r.err, "--threads needs a positive count, not '0'");
	run_free(&r);
	run(&r, BENCH, "setup", "--threads", "257", NULL);
	expect_status(&r, 1, "bench --threads 257");
	HAS(r.err, "--threads: at most 256");
	run_free(&r);
	/* a thread's contexts refused by the firmware: the error, everything given back */
	run(&r, BENCH, "setup", "-d", "sim:cx6dx,log_max_tis=4", "--threads", "2", "-l", "32",
	    NULL);
	expect_status(&r, 1, "bench --threads past log_max_tis");
	HAS(r.err, "; firmware: CREATE_TIS (opcode 0x0912 op_mod 0x0000) status ");
	run_free(&r);
	/* the RX connections' TIRs refused: the same */
	run(&r, BENCH, "setup", "-d", "sim:cx6dx,log_max_tir=4", "--threads", "2", "-l", "32",
	    NULL);
	expect_status(&r, 1, "bench --threads past log_max_tir");
	HAS(r.err, "RX connection create");
	HAS(r.err, "; firmware: CREATE_TIR (opcode 0x0900 op_mod 0x0000) status ");
	run_free(&r);

	run(&r, BENCH, "-h", NULL);
	expect_status(&r, 0, "bench -h");
	HAS(r.out, "mlx5tls-bench setup [-d DEV] [-n CONTEXTS] [-l LIVE]");
	run_free(&r);
}

/* ---- the example ---- */

static void test_example(void)
{
	struct run r;

	run(&r, EXAMPLE, "sim", NULL);
	expect_status(&r, 0, "dek_tis_setup sim");
	HAS(r.out, "device:  sim");
	HAS(r.out, " (device model, fw ");
	HAS(r.out, "suite:   TLS 1.3 AES-GCM-256");
	HAS(r.out, "dek id:  ");
	HAS(r.out, "tisn:    ");
	HAS(r.out, "teardown: done");
	run_free(&r);

	run(&r, EXAMPLE, "sim:cx6dx-legacy", NULL);
	expect_status(&r, 0, "dek_tis_setup sim:cx6dx-legacy");
	HAS(r.out, "suite:   TLS 1.2 AES-GCM-128");
	run_free(&r);

	run(&r, EXAMPLE, "sim:cx6dx-nocrypto", NULL);
	expect_status(&r, 1, "dek_tis_setup sim:cx6dx-nocrypto");
	HAS(r.err, "has no TLS TX offload");
	run_free(&r);
}

static int suite_init(void)
{
	return cli_build_dir(build_dir, sizeof(build_dir));
}

static const struct test_case bench_cases[] = {
	{ "setup smoke (counts)", test_bench_setup_smoke },
	{ "errors", test_bench_errors },
	{ NULL, NULL },
};

static const struct test_case example_cases[] = {
	{ "dek_tis_setup", test_example },
	{ NULL, NULL },
};

int main(void)
{
	static const struct test_suite suites[] = {
		{ "mlx5tls-bench", suite_init, NULL, bench_cases },
		{ "examples", suite_init, NULL, example_cases },
		{ NULL, NULL, NULL, NULL },
	};

	return test_run_suites(suites);
}
