/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Firmware command traces (MLX5TLS_TRACE) as a user reads them: examples/tls_tx_offload runs a
 * TLS 1.3 transfer on sim:cx6dx with a trace file and an SSLKEYLOGFILE, then the trace file must
 * mask every key, `mlx5tls-query trace show` must decode it (text and JSON, with filters), and
 * hand-made records (a failed command, an unmasked key, bad lines, other kinds) must be shown
 * without the key. No output may hold key material: no run of 32 or more hex digits, and none of
 * the TLS secrets of the key log. The binaries are found next to this test in the build tree.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli_util.h"
#include "test_util.h"

#define QUERY "tools/mlx5tls-query"
#define EXAMPLE "examples/tls_tx_offload"

static char build_dir[PATH_MAX];
static char work_dir[64]; /* the trace and the key log (a mkdtemp name) */
static char trace_path[PATH_MAX];
static char keylog_path[PATH_MAX];

#define HAS(s, needle) do { \
	if (!strstr((s), (needle))) \
		fprintf(stderr, "\nmissing '%s' in:\n%s\n", (needle), (s)); \
	CU_ASSERT_PTR_NOT_NULL(strstr((s), (needle))); \
} while (0)
#define HAS_NOT(s, needle) CU_ASSERT_PTR_NULL(strstr((s), (needle)))

/* mlx5tls-query with args (NULL-terminated), stdin_text on its standard input (NULL: none); no
 * output may carry key material or a secret of the key log. */
static void run_query(struct run *r, const char *stdin_text, const char *const *args)
{
	cli_run_nokey(r, build_dir, NULL, stdin_text, QUERY, args);
	cli_check_no_secrets(keylog_path, "mlx5tls-query stdout", r->out);
	cli_check_no_secrets(keylog_path, "mlx5tls-query stderr", r->err);
}

#define query(r, ...) run_query((r), NULL, (const char *const[]){ __VA_ARGS__ })
#define run_in(r, text, ...) run_query((r), (text), (const char *const[]){ __VA_ARGS__ })

/* Every DEK command of the example's trace masks the key (fact sheet 3.4: command bytes 80..111;
 * a 128-bit key in 96..111). */
static void test_trace_file_masked(void)
{
	unsigned int keyed = 0;
	char *line = NULL;
	size_t cap = 0;
	FILE *f = fopen(trace_path, "r");

	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	while (getline(&line, &cap, f) > 0) {
		const char *in = strstr(line, "\"in\":\"");

		cli_check_no_secrets(keylog_path, "trace file", line);
		if (!in || !strstr(line, "\"obj_type\":\"0x000c\"") ||
		    (!strstr(line, "\"opcode\":\"0x0a00\"") &&
		     !strstr(line, "\"opcode\":\"0x0a01\"")))
			continue;
		in += 6;
		CU_ASSERT_TRUE_FATAL(strcspn(in, "\"") >= 2 * 112);
		for (int b = 96; b < 112; b++)
			CU_ASSERT_TRUE(in[2 * b] == '*' && in[2 * b + 1] == '*');
		keyed++;
	}
	free(line);
	fclose(f);
	CU_ASSERT_TRUE(keyed >= 1);
}

static void test_trace_show(void)
{
	char line[512];
	struct run r;

	query(&r, "trace", "show", trace_path, NULL);
	expect_status(&r, 0, "trace show");
	HAS(r.out, " sim:cx6dx QUERY_HCA_CAP (opcode 0x100) op_mod 0x23 (TLS, current) status OK");
	HAS(r.out, "    out: tls_1_2_aes_gcm_128 1 tls_1_3_aes_gcm_128 1");
	HAS(r.out, " ALLOC_PD (opcode 0x800) op_mod 0x0 status OK\n    out: pd ");
	CU_ASSERT_PTR_NOT_NULL(line_starting(strstr(r.out, "CREATE_GENERAL_OBJECT") ?
					     strstr(r.out, "CREATE_GENERAL_OBJECT") : r.out,
					     "    in: ", line, sizeof(line)));
	HAS(line, "key_size 128 key_purpose tls pd ");
	HAS(line, "key ** (16 bytes masked)");
	HAS(r.out, "obj_type 0xc (ENCRYPTION_KEY) status OK");
	HAS(r.out, "    in: tls_en 1 pd ");
	HAS(r.out, "    out: tisn ");
	HAS(r.out, " commands, 0 failed, ");
	HAS_NOT(r.out, "NOT-MASKED");
	run_free(&r);

	query(&r, "trace", "show", trace_path, "opcode", "create_tis", NULL);
	expect_status(&r, 0, "trace show opcode create_tis");
	HAS(r.out, "CREATE_TIS");
	HAS_NOT(r.out, "ALLOC_PD");
	HAS_NOT(r.out, "QUERY_HCA_CAP");
	run_free(&r);

	query(&r, "-j", "trace", "show", trace_path, NULL);
	expect_status(&r, 0, "-j trace show");
	CU_ASSERT_TRUE(cli_python_json_ok(r.out, false));
	HAS(r.out, "\"key\":\"**\",\"key_masked_bytes\":16");
	HAS(r.out, "\"cap_type\":\"TLS\",\"cap_mode\":\"current\"");
	HAS(r.out, "\"summary\":{\"commands\":");
	run_free(&r);

	query(&r, "trace", "show", trace_path, "opcode", "NO_SUCH_OP", NULL);
	expect_status(&r, 1, "unknown opcode");
	HAS(r.err, "unknown opcode 'NO_SUCH_OP'");
	run_free(&r);

	query(&r, "trace", "show", "/nonexistent/trace.jsonl", NULL);
	expect_status(&r, 1, "missing trace file");
	HAS(r.err, "cannot open /nonexistent/trace.jsonl");
	run_free(&r);
}

/* Hand-made records: a failed command with the model's text, an unmasked key (must not be
 * printed), a bad line, a future "wqe" record and an unknown kind, read from standard input. */
static void test_trace_records(void)
{
	/* CREATE_GENERAL_OBJECT of a DEK: 16-byte header + the object's first 96 bytes; the key
	 * (bytes 96..111) given in clear as 0xa5 bytes */
	char dek[2048], hdr[64], obj[512];
	char *text;
	struct run r;
	size_t n = 0;

	snprintf(hdr, sizeof(hdr), "0a0000000000000c0000000000000000");
	obj[0] = '\0';
	for (int b = 0; b < 96; b++) {
		const char *byte = b == 11 ? "01" : b == 15 ? "10" : b >= 80 ? "a5" : "00";

		n += (size_t)snprintf(obj + n, sizeof(obj) - n, "%s", byte);
	}
	snprintf(dek, sizeof(dek),
		 "{\"dev\":\"sim:cx6dx\",\"opcode\":\"0x0a00\",\"name\":\"CREATE_GENERAL_OBJECT\","
		 "\"op_mod\":\"0x0000\",\"obj_type\":\"0x000c\",\"in\":\"%s%s\",\"out\":"
		 "\"00000000000000000000010000000000\",\"status\":0,\"syndrome\":\"0x00000000\"}\n",
		 hdr, obj);
	CU_ASSERT_FATAL(asprintf(&text,
		"{\"seq\":7,\"dev\":\"sim:cx6dx\",\"opcode\":\"0x0912\",\"name\":\"CREATE_TIS\","
		"\"op_mod\":\"0x0000\",\"in\":\"0912\","
		"\"out\":\"08000000001234560000000000000000\",\"status\":8,"
		"\"syndrome\":\"0x00123456\",\"syndrome_text\":\"no room for a TIS\"}\n"
		"%s"
		"this is not JSON\n"
		"{\"kind\":\"wqe\",\"wqe\":\"progress_params\",\"dev\":\"sim:cx6dx\",\"sqn\":4096,"
		"\"obj\":\"tir\",\"tirn\":77,\"data\":\"000003e8000000005000002a\"}\n"
		"{\"kind\":\"flow\",\"dev\":\"sim:cx6dx\"}\n", dek) > 0);

	run_in(&r, text, "trace", "show", "-", NULL);
	expect_status(&r, 1, "trace show: bad line, unmasked key");
	HAS(r.out, "line 1 seq 7 sim:cx6dx CREATE_TIS (opcode 0x912) op_mod 0x0 status limits "
		   "exceeded (0x08) syndrome 0x123456 (no room for a TIS)");
	HAS(r.out, "key_size 128 key_purpose tls pd 16");
	HAS(r.out, "key NOT-MASKED (16 key bytes in the trace in clear; not shown)");
	HAS_NOT(r.out, "a5a5");
	HAS(r.out, "line 4 wqe sim:cx6dx sqn 4096 tirn 77 progress_params\n    next_record_tcp_sn 1000 "
		   "hw_resync_tcp_sn 0 record_tracker_state tracking auth_state offload "
		   "hw_offset_record_number 42");
	/* the whole line: no stray yes/no of the JSON-only "decoded" member */
	HAS(r.out, "line 5 kind flow (not decoded: this mlx5tls-query knows cmd and wqe records)\n");
	HAS(r.out, "2 commands, 1 failed, 3 shown, 1 records of other kinds, 1 bad lines, 1 "
		   "commands with UNMASKED key bytes");
	HAS(r.err, "-:3: not a trace record");
	HAS(r.err, "carry key bytes in clear (not shown)");
	run_free(&r);

	run_in(&r, text, "-j", "trace", "show", "-", "status", "failed", NULL);
	expect_status(&r, 1, "-j trace show status failed");
	CU_ASSERT_TRUE(cli_python_json_ok(r.out, false));
	HAS(r.out, "\"syndrome_text\":\"no room for a TIS\"");
	HAS_NOT(r.out, "CREATE_GENERAL_OBJECT");
	run_free(&r);
	free(text);
}

static void remove_file(const char *name)
{
	char path[PATH_MAX + 64];

	snprintf(path, sizeof(path), "%s/%s", work_dir, name);
	unlink(path);
}

static int suite_cleanup(void)
{
	remove_file("trace.jsonl");
	remove_file("keys.log");
	rmdir(work_dir);
	return 0;
}

static int suite_init(void)
{
	char tmpl[] = "/tmp/mlx5tls-cli-trace-XXXXXX";

	if (cli_build_dir(build_dir, sizeof(build_dir)) || !mkdtemp(tmpl))
		return -1;
	snprintf(work_dir, sizeof(work_dir), "%s", tmpl);
	snprintf(trace_path, sizeof(trace_path), "%s/trace.jsonl", work_dir);
	snprintf(keylog_path, sizeof(keylog_path), "%s/keys.log", work_dir);
	return 0;
}

/* The first case: one transfer of the example, tracing into the file the others read. */
static void test_transfer_traced(void)
{
	char env_trace[PATH_MAX + 32], env_keylog[PATH_MAX + 32];
	struct run r;

	snprintf(env_trace, sizeof(env_trace), "MLX5TLS_TRACE=%s", trace_path);
	snprintf(env_keylog, sizeof(env_keylog), "SSLKEYLOGFILE=%s", keylog_path);
	cli_run(&r, build_dir, (const char *const[]){ env_trace, env_keylog, NULL }, NULL, EXAMPLE,
		(const char *const[]){ "-n", "16", "--size", "4096", NULL });
	expect_status(&r, 0, EXAMPLE " -n 16 --size 4096");
	cli_check_no_secrets(keylog_path, "example stdout", r.out);
	cli_check_no_secrets(keylog_path, "example stderr", r.err);
	run_free(&r);
	/* the secret checks must have secrets to look for: TLS 1.3 writes five per connection */
	CU_ASSERT_TRUE(cli_keylog_secrets(keylog_path) >= 4);
	CU_ASSERT_EQUAL(access(trace_path, R_OK), 0);
}

static const struct test_case trace_cases[] = {
	{ "a transfer with a trace and a key log", test_transfer_traced },
	{ "trace file masks the key", test_trace_file_masked },
	{ "trace show decodes", test_trace_show },
	{ "trace show: hand-made records", test_trace_records },
	{ NULL, NULL },
};

int main(void)
{
	static const struct test_suite suites[] = {
		{ "mlx5tls-query trace", suite_init, suite_cleanup, trace_cases },
		{ NULL, NULL, NULL, NULL },
	};

	return test_run_suites(suites);
}
