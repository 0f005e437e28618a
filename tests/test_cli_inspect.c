/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mlx5tls-query against running applications (mlx5tls-inspect(7)); firmware command traces are
 * test_cli_trace.c, the tool's error paths with no application running test_cli_inspect_errors.c.
 * Two copies of examples/tls_tx_offload run with MLX5TLS_PUBLISH (--publish) in a private socket
 * directory and stay alive after their transfer (--hold):
 *   - "dev": sim:cx6dx, TLS 1.3 AES-GCM-128, the device encrypts;
 *   - "sw": sim:cx6dx-legacy, TLS 1.3 with --fallback: the legacy firmware lacks TLS 1.3, so the
 *     library encrypts in software and says why.
 * The tool's text rows must hold what the examples did, its JSON must parse with a JSON parser
 * nobody here wrote (python3's), and no output may hold key material: no run of 32 or more hex
 * digits, and none of the TLS secrets the examples wrote to SSLKEYLOGFILE. The binaries are found
 * next to this test in the build tree (BUILD/tests/../tools/, BUILD/tests/../examples/). The
 * fixture (paths, the tool's runs, the key-material check) is tests/util/cli_inspect_fixture.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli_inspect_fixture.h"

#define EXAMPLE "examples/tls_tx_offload"

/* How long an example may take to publish after its start, and to exit after SIGTERM. */
#define START_TIMEOUT_MS 30000
#define EXIT_TIMEOUT_MS 10000

struct example {
	const char *name;
	pid_t pid;
	char out_path[PATH_MAX];
	bool running;
};

static char work_dir[64];  /* key log, the examples' output (a mkdtemp name) */

static struct example ex_dev = { .name = "dev" }, ex_sw = { .name = "sw" };

/* The number after `key` in s, or -1. */
static long long number_after(const char *s, const char *key)
{
	const char *p = s ? strstr(s, key) : NULL;

	return p ? strtoll(p + strlen(key), NULL, 10) : -1;
}

static void sleep_ms(unsigned int ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* ---- the examples ---- */

/* Start BUILD/examples/tls_tx_offload with args, publishing into sock_dir; wait until it has
 * finished its transfer ("hold:" on its stdout) and its socket exists. Runs from a suite's init,
 * where CUnit assertions are not allowed: 0 or -1 (said on stderr). */
static int example_start(struct example *ex, const char *const *args)
{
	char path[PATH_MAX + 64], sock[PATH_MAX + 32];
	char env_keylog[PATH_MAX + 32];
	const char *argv[24];
	int nargs = 1, fd;

	snprintf(path, sizeof(path), "%s/%s", build_dir, EXAMPLE);
	snprintf(ex->out_path, sizeof(ex->out_path), "%s/%s.out", work_dir, ex->name);
	snprintf(env_keylog, sizeof(env_keylog), "SSLKEYLOGFILE=%s", keylog_path);
	argv[0] = path;
	for (const char *const *a = args; *a && nargs < 23; a++)
		argv[nargs++] = *a;
	argv[nargs] = NULL;
	if (access(path, X_OK)) {
		fprintf(stderr, "\n%s: %s (build the examples first)\n", path, strerror(errno));
		return -1;
	}
	fd = open(ex->out_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	fflush(NULL);
	ex->pid = fork();
	if (ex->pid < 0) {
		close(fd);
		return -1;
	}
	if (ex->pid == 0) {
		const char *const env[] = { env_dir, env_keylog, NULL };
		int devnull = open("/dev/null", O_RDONLY);

		if (devnull < 0 || dup2(devnull, 0) < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0)
			_exit(127);
		cli_child_env(env);
		execv(path, (char *const *)argv);
		_exit(127);
	}
	close(fd);
	ex->running = true;

	snprintf(sock, sizeof(sock), "%s/%d.sock", sock_dir, (int)ex->pid);
	for (int waited = 0; waited < START_TIMEOUT_MS; waited += 20) {
		char *out = test_read_file(ex->out_path);
		bool held = out && strstr(out, "\nhold:");

		free(out);
		if (held && access(sock, F_OK) == 0)
			return 0;
		if (waitpid(ex->pid, NULL, WNOHANG) == ex->pid) {
			ex->running = false;
			break;
		}
		sleep_ms(20);
	}
	{
		char *out = test_read_file(ex->out_path);

		fprintf(stderr, "\nexample %s did not publish (socket %s):\n%s\n", ex->name, sock,
			out ? out : "");
		free(out);
	}
	return -1;
}

/* SIGTERM ends the hold; the example then tears down and must exit 0, removing its socket. */
static int example_stop(struct example *ex)
{
	char sock[PATH_MAX + 32];
	int st = -1;

	if (!ex->running)
		return -1;
	kill(ex->pid, SIGTERM);
	for (int waited = 0; waited < EXIT_TIMEOUT_MS; waited += 20) {
		if (waitpid(ex->pid, &st, WNOHANG) == ex->pid) {
			ex->running = false;
			break;
		}
		sleep_ms(20);
	}
	if (ex->running) {
		kill(ex->pid, SIGKILL);
		waitpid(ex->pid, &st, 0);
		ex->running = false;
		return -1;
	}
	snprintf(sock, sizeof(sock), "%s/%d.sock", sock_dir, (int)ex->pid);
	CU_ASSERT_NOT_EQUAL(access(sock, F_OK), 0);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* ---- the live objects ---- */

static void pid_str(const struct example *ex, char *buf, size_t len)
{
	snprintf(buf, len, "%d", (int)ex->pid);
}

/* How a text answer names the process: "pid N " starts its lines. The bare number is not
 * enough to look for: pid 5000 is also in port 50000. */
static void pid_row(const struct example *ex, char *buf, size_t len)
{
	snprintf(buf, len, "pid %d ", (int)ex->pid);
}

static void test_proc(void)
{
	char want[64];
	struct run r;

	/* TLS 1.3: handshake and traffic secrets of both examples */
	CU_ASSERT_TRUE(cli_keylog_secrets(keylog_path) >= 8);

	query(&r, "proc", NULL);
	expect_status(&r, 0, "proc");
	snprintf(want, sizeof(want), "pid %d program tls_tx_offload library ", (int)ex_dev.pid);
	HAS(r.out, want);
	snprintf(want, sizeof(want), "pid %d program tls_tx_offload library ", (int)ex_sw.pid);
	HAS(r.out, want);
	HAS(r.out, "devices sim:cx6dx\n");
	HAS(r.out, "devices sim:cx6dx-legacy\n");
	run_free(&r);

	query(&r, "-j", "-d", "proc", NULL);
	expect_status(&r, 0, "-j -D proc");
	CU_ASSERT_TRUE(cli_python_json_ok(r.out, false));
	HAS(r.out, "\"schema\":1,\"socket_dir\":\"");
	HAS(r.out, "\"program\":\"tls_tx_offload\"");
	HAS(r.out, "\"device_info\":[{\"name\":\"sim:cx6dx\"");
	run_free(&r);
}

static void test_ctx_show(void)
{
	char dev_row[512], sw_row[512], prefix[64];
	struct run r;

	query(&r, "ctx", "show", NULL);
	expect_status(&r, 0, "ctx show");
	snprintf(prefix, sizeof(prefix), "pid %d ctx ", (int)ex_dev.pid);
	CU_ASSERT_PTR_NOT_NULL_FATAL(line_starting(r.out, prefix, dev_row, sizeof(dev_row)));
	HAS(dev_row, " dev sim:cx6dx dir tx tls 1.3 aes-gcm-128 path device dek ");
	HAS(dev_row, " ready tisn ");
	HAS(dev_row, " tls_en yes");
	snprintf(prefix, sizeof(prefix), "pid %d ctx ", (int)ex_sw.pid);
	CU_ASSERT_PTR_NOT_NULL_FATAL(line_starting(r.out, prefix, sw_row, sizeof(sw_row)));
	HAS(sw_row, " dev sim:cx6dx-legacy dir tx tls 1.3 aes-gcm-128 path software (");
	HAS(sw_row, "TLS 1.3");
	HAS(sw_row, ") dek - tisn -");
	/* tracker and counters: the example sent 16 records of 4096 bytes, all acknowledged */
	HAS(r.out, "    tracker next_tcp_sn ");
	HAS(r.out, " next_record 16 records_held 0");
	CU_ASSERT_TRUE(number_after(strstr(r.out, dev_row), "tx_tls_encrypted_packets ") > 0);
	CU_ASSERT_TRUE(number_after(strstr(r.out, sw_row), "tx_tls_sw_packets ") > 0);
	CU_ASSERT_EQUAL(number_after(strstr(r.out, sw_row), "tx_tls_encrypted_packets "), 0);
	run_free(&r);

	/* everything with -D: the device's view of DEK and TIS, and the progress note */
	query(&r, "-d", "ctx", NULL);
	expect_status(&r, 0, "-D ctx");
	HAS(r.out, "    dek: id ");
	HAS(r.out, "        query: state ready key_bits 128 key_purpose tls pd ");
	HAS(r.out, "        query: tls_en yes pd ");
	HAS(r.out, "progress: available no reason GET_PSV is documented for TIRs (RX) only");
	HAS(r.out, " key_epoch 0");
	run_free(&r);
}

static void test_ctx_json(void)
{
	char pid[16], want[64];
	struct run r;

	pid_str(&ex_dev, pid, sizeof(pid));
	query(&r, "-j", "ctx", "show", "pid", pid, NULL);
	expect_status(&r, 0, "-j ctx show pid N");
	CU_ASSERT_TRUE(cli_python_json_ok(r.out, false));
	snprintf(want, sizeof(want), "\"processes\":[{\"pid\":%s,", pid);
	HAS(r.out, want);
	HAS(r.out, "\"program\":\"tls_tx_offload\"");
	HAS(r.out, "\"contexts\":[{\"id\":");
	HAS(r.out, "\"device\":\"sim:cx6dx\",\"dir\":\"tx\"");
	HAS(r.out, "\"path\":\"device\",\"reason\":\"\"");
	HAS(r.out, "\"tls_en\":true");
	HAS(r.out, "\"state\":\"ready\"");
	HAS_NOT(r.out, "sim:cx6dx-legacy"); /* the other process is not asked */
	HAS_NOT(r.out, "\"key\"");
	/* compact: one line */
	CU_ASSERT_PTR_EQUAL(strchr(r.out, '\n'), r.out + strlen(r.out) - 1);
	run_free(&r);

	query(&r, "-j", "-p", "ctx", NULL);
	expect_status(&r, 0, "-j -p ctx");
	CU_ASSERT_TRUE(cli_python_json_ok(r.out, false));
	HAS(r.out, "\"path\": \"software\"");
	HAS(r.out, "\"dek\": null");
	run_free(&r);
}

/* The per-connection view (ss -tie style) and the connection filters of ctx and conn. */
static void test_conn_view(void)
{
	char pid_dev[16], pid_sw[16], row_dev[24], row_sw[24];
	struct run r;

	pid_str(&ex_dev, pid_dev, sizeof(pid_dev));
	pid_str(&ex_sw, pid_sw, sizeof(pid_sw));
	pid_row(&ex_dev, row_dev, sizeof(row_dev));
	pid_row(&ex_sw, row_sw, sizeof(row_sw));

	/* the default command takes the filters: `ctx pid N` is `ctx show pid N` */
	query(&r, "ctx", "pid", pid_dev, NULL);
	expect_status(&r, 0, "ctx pid N");
	HAS(r.out, " 198.19.0.1:443 198.19.0.2:50000 label web-front");
	HAS_NOT(r.out, row_sw);
	run_free(&r);

	/* one entry per connection with the one-line TLS summary */
	query(&r, "conn", "pid", pid_dev, NULL);
	expect_status(&r, 0, "conn pid N");
	HAS(r.out, "program tls_tx_offload 198.19.0.1:443 198.19.0.2:50000 label web-front\n"
		   "\ttls version 1.3 cipher aes-gcm-128 txconf hw rxconf none\n");
	run_free(&r);

	/* the software-path context: txconf sw */
	query(&r, "conn", "show", "pid", pid_sw, NULL);
	expect_status(&r, 0, "conn show pid sw");
	HAS(r.out, "tls version 1.3 cipher aes-gcm-128 txconf sw rxconf none");
	HAS(r.out, "path software (");
	run_free(&r);

	/* filters: address either end, ports, label */
	query(&r, "conn", "addr", "198.19.0.2", "lport", "443", "label", "web-front", NULL);
	expect_status(&r, 0, "conn addr lport label");
	HAS(r.out, row_dev);
	HAS_NOT(r.out, row_sw);
	run_free(&r);

	query(&r, "conn", "rport", "443", NULL);
	expect_status(&r, 0, "conn rport 443");
	HAS(r.out, "no TLS connection matches in 2 processes");
	run_free(&r);

	query(&r, "ctx", "show", "raddr", "198.19.0.2", "port", "50000", NULL);
	expect_status(&r, 0, "ctx raddr port");
	HAS(r.out, row_dev);
	HAS(r.out, row_sw);
	run_free(&r);

	query(&r, "ctx", "raddr", "198.18.0.9", NULL);
	expect_status(&r, 0, "ctx raddr other");
	HAS(r.out, "no TLS context matches");
	run_free(&r);

	/* -d: bytes each way, human-readable (libbsd humanize_number) */
	query(&r, "-d", "conn", "pid", pid_dev, NULL);
	expect_status(&r, 0, "-d conn");
	HAS(r.out, "\tbytes tx ");
	HAS(r.out, "K rx 0B");
	run_free(&r);

	query(&r, "-j", "conn", "pid", pid_dev, NULL);
	expect_status(&r, 0, "-j conn");
	CU_ASSERT_TRUE(cli_python_json_ok(r.out, false));
	HAS(r.out, "\"conn\":{\"ip_version\":4,\"local\":\"198.19.0.1\",\"local_port\":443,"
		   "\"remote\":\"198.19.0.2\",\"remote_port\":50000,\"source\":\"frame\"},"
		   "\"label\":\"web-front\",\"tls\":{\"version\":\"1.3\",\"cipher\":\"aes-gcm-128\","
		   "\"txconf\":\"hw\",\"rxconf\":\"none\"}");
	run_free(&r);
}

static void test_ctx_filters(void)
{
	char pid_dev[16], pid_sw[16], row_dev[24], row_sw[24];
	struct run r;

	pid_str(&ex_dev, pid_dev, sizeof(pid_dev));
	pid_str(&ex_sw, pid_sw, sizeof(pid_sw));
	pid_row(&ex_dev, row_dev, sizeof(row_dev));
	pid_row(&ex_sw, row_sw, sizeof(row_sw));

	query(&r, "ctx", "show", "dir", "tx", NULL);
	expect_status(&r, 0, "ctx show dir tx");
	HAS(r.out, row_dev);
	HAS(r.out, row_sw);
	run_free(&r);

	query(&r, "ctx", "show", "dir", "rx", NULL);
	expect_status(&r, 0, "ctx show dir rx");
	HAS(r.out, "no TLS context matches in 2 processes");
	run_free(&r);

	/* abbreviated name and value */
	query(&r, "ctx", "show", "pa", "soft", NULL);
	expect_status(&r, 0, "ctx show pa soft");
	HAS(r.out, "path software (");
	HAS_NOT(r.out, "path device");
	run_free(&r);

	query(&r, "-j", "ctx", "show", "path", "device", NULL);
	expect_status(&r, 0, "-j ctx show path device");
	CU_ASSERT_TRUE(cli_python_json_ok(r.out, false));
	HAS(r.out, "\"path\":\"device\"");
	HAS_NOT(r.out, "\"path\":\"software\"");
	run_free(&r);

	/* -d: one device's contexts */
	run_env_in(&r, (const char *const[]){ env_dir, NULL }, NULL, QUERY,
		   (const char *const[]){ "ctx", "dev", "sim:cx6dx-legacy", NULL });
	expect_status(&r, 0, "-d sim:cx6dx-legacy ctx");
	HAS(r.out, "dev sim:cx6dx-legacy");
	HAS_NOT(r.out, "dev sim:cx6dx ");
	run_free(&r);

	query(&r, "ctx", "show", "id", "1000-2000", NULL);
	expect_status(&r, 0, "ctx show id 1000-2000");
	HAS(r.out, "no TLS context matches");
	run_free(&r);

	query(&r, "ctx", "show", "pid", pid_sw, "path", "software", "id", "1", NULL);
	expect_status(&r, 0, "ctx show pid SW path software id 1");
	HAS(r.out, "path software (");
	HAS_NOT(r.out, row_dev);
	run_free(&r);
}

static void test_objects(void)
{
	static const char *const objs[] = { "dek", "tis", "tir", "pool", "qp", "stat" };
	char want[64];
	struct run r;

	query(&r, "dek", NULL);
	expect_status(&r, 0, "dek");
	snprintf(want, sizeof(want), "pid %d dek ", (int)ex_dev.pid);
	HAS(r.out, want);
	HAS(r.out, " dev sim:cx6dx pooled no");
	HAS(r.out, "state ready key_bits 128 key_purpose tls pd ");
	run_free(&r);

	query(&r, "tis", "show", NULL);
	expect_status(&r, 0, "tis show");
	snprintf(want, sizeof(want), "pid %d tisn ", (int)ex_dev.pid);
	HAS(r.out, want);
	HAS(r.out, " tls_en yes pd ");
	run_free(&r);

	query(&r, "tir", NULL);
	expect_status(&r, 0, "tir");
	snprintf(want, sizeof(want), "pid %d no TIRs (no RX contexts)", (int)ex_dev.pid);
	HAS(r.out, want);
	run_free(&r);

	query(&r, "qp", NULL);
	expect_status(&r, 0, "qp");
	HAS(r.out, " dev sim:cx6dx\n");
	HAS(r.out, " tls_contexts 1 ");
	run_free(&r);

	query(&r, "pool", "show", NULL);
	expect_status(&r, 0, "pool show");
	run_free(&r);

	for (size_t i = 0; i < sizeof(objs) / sizeof(objs[0]); i++) {
		query(&r, "-j", objs[i], NULL);
		expect_status(&r, 0, objs[i]);
		CU_ASSERT_TRUE(cli_python_json_ok(r.out, false));
		HAS(r.out, "{\"schema\":1,\"socket_dir\":");
		run_free(&r);
	}
}

/*
 * A range of numbers is filtered by the tool, not by the process (which takes one number only):
 * `OBJ show pid P KEY N-N+1` keeps the row whose `word` is N, `N+1-N+2` keeps none. N is read
 * from the unfiltered listing of the device example.
 */
static void expect_member_range(const char *obj, const char *key, const char *word,
				const char *none)
{
	char pid[16], range[48], row[64];
	long long n;
	struct run r;

	pid_str(&ex_dev, pid, sizeof(pid));
	query(&r, obj, "show", "pid", pid, NULL);
	expect_status(&r, 0, obj);
	n = number_after(r.out, word);
	run_free(&r);
	CU_ASSERT_FATAL(n >= 0);
	snprintf(row, sizeof(row), "%s%lld ", word, n);

	snprintf(range, sizeof(range), "%lld-%lld", n, n + 1);
	query(&r, obj, "show", "pid", pid, key, range, NULL);
	expect_status(&r, 0, range);
	HAS(r.out, row);
	run_free(&r);

	snprintf(range, sizeof(range), "%lld-%lld", n + 1, n + 2);
	query(&r, obj, "show", "pid", pid, key, range, NULL);
	expect_status(&r, 0, range);
	HAS(r.out, none);
	HAS_NOT(r.out, row);
	run_free(&r);
}

static void test_object_ranges(void)
{
	expect_member_range("dek", "id", " dek ", "no DEK matches");
	expect_member_range("dek", "ctx", " ctx ", "no DEK matches");
	expect_member_range("tis", "tisn", " tisn ", "no TIS matches");
	expect_member_range("tis", "ctx", " ctx ", "no TIS matches");
	expect_member_range("qp", "sqn", " qp ", "no queue pair matches");
	expect_member_range("ctx", "id", " ctx ", "no TLS context matches");
}

static void test_stat(void)
{
	char prefix[64], row[256];
	struct run r;

	query(&r, "stat", "show", NULL);
	expect_status(&r, 0, "stat show");
	snprintf(prefix, sizeof(prefix), "pid %d program tls_tx_offload dev sim:cx6dx",
		 (int)ex_dev.pid);
	CU_ASSERT_PTR_NOT_NULL(line_starting(r.out, prefix, row, sizeof(row)));
	HAS(r.out, " fw_cmds ");
	HAS(r.out, " tx_tls_ooo 0");
	CU_ASSERT_TRUE(number_after(strstr(r.out, prefix), " tx_tls_encrypted_packets ") > 0);
	CU_ASSERT_TRUE(number_after(strstr(r.out, "dev sim:cx6dx-legacy"), " tx_tls_sw_ctx ") == 1);
	run_free(&r);

	query(&r, "-d", "stat", NULL);
	expect_status(&r, 0, "-D stat");
	HAS(r.out, "frames sent through a TLS TIS (device path)");
	run_free(&r);

	query(&r, "-j", "stat", NULL);
	expect_status(&r, 0, "-j stat");
	CU_ASSERT_TRUE(cli_python_json_ok(r.out, false));
	HAS(r.out, "\"devices\":[{\"name\":\"sim:cx6dx\",\"counters\":{\"fw_cmds\":");
	run_free(&r);

	/* the examples are idle: samples come, nothing changes */
	query(&r, "stat", "watch", "interval", "0.05", "count", "3", NULL);
	expect_status(&r, 0, "stat watch count 3");
	HAS(r.out, "watching 2 processes every 0.05 s\n");
	HAS(r.out, "sample 3 elapsed ");
	HAS(r.out, "no counter changed");
	HAS_NOT(r.out, "sample 4");
	run_free(&r);

	query(&r, "-j", "stat", "watch", "interval", "0.05", "count", "2", NULL);
	expect_status(&r, 0, "-j stat watch count 2");
	CU_ASSERT_TRUE(cli_python_json_ok(r.out, true));
	HAS(r.out, "{\"schema\":1,\"sample\":1,\"elapsed\":");
	HAS(r.out, "\"sample\":2,");
	HAS(r.out, "\"changed\":{}");
	run_free(&r);

	/* -p does not break the lines: one compact document per sample, still JSON Lines */
	query(&r, "-j", "-p", "stat", "watch", "interval", "0.05", "count", "2", NULL);
	expect_status(&r, 0, "-j -p stat watch count 2");
	CU_ASSERT_TRUE(cli_python_json_ok(r.out, true));
	{
		unsigned int lines = 0;

		for (const char *p = r.out; (p = strchr(p, '\n')); p++)
			lines++;
		CU_ASSERT_EQUAL(lines, 2);
	}
	run_free(&r);
}

/* ---- the end: SIGTERM, clean exit ---- */

static void test_examples_exit(void)
{
	CU_ASSERT_EQUAL(example_stop(&ex_dev), 0);
	CU_ASSERT_EQUAL(example_stop(&ex_sw), 0);
	{
		struct run r;

		query(&r, "ctx", NULL);
		expect_status(&r, 1, "ctx after the examples exited");
		HAS(r.err, "no process publishes to");
		run_free(&r);
	}
}

/* ---- suites ---- */

static void remove_file(const char *dir, const char *name)
{
	char path[PATH_MAX + 64];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	unlink(path);
}

static int suite_live_cleanup(void)
{
	/* a failed test may leave them running */
	if (ex_dev.running)
		example_stop(&ex_dev);
	if (ex_sw.running)
		example_stop(&ex_sw);
	remove_file(work_dir, "keys.log");
	remove_file(work_dir, "dev.out");
	remove_file(work_dir, "sw.out");
	rmdir(work_dir);
	rmdir(sock_dir);
	return 0;
}

static int suite_live_init(void)
{
	static const char *const dev_args[] = {
		"--publish", "--hold", "120", "-n", "16", "--size", "4096", "--label", "web-front",
		NULL,
	};
	static const char *const sw_args[] = {
		"--publish", "--hold", "120", "-d", "sim:cx6dx-legacy", "--tls", "1.3",
		"--fallback", "-n", "16", "--size", "4096", NULL,
	};
	char tmpl[] = "/tmp/mlx5tls-cli-work-XXXXXX";

	/* the socket directory first (it was the errors suite's, when one program held both) */
	if (sock_dir_init())
		return -1;
	if (!mkdtemp(tmpl)) {
		rmdir(sock_dir);
		return -1;
	}
	snprintf(work_dir, sizeof(work_dir), "%s", tmpl);
	snprintf(keylog_path, sizeof(keylog_path), "%s/keys.log", work_dir);
	if (example_start(&ex_dev, dev_args) ||
	    example_start(&ex_sw, sw_args)) {
		suite_live_cleanup();
		return -1;
	}
	return 0;
}

static const struct test_case live_cases[] = {
	{ "proc", test_proc },
	{ "ctx show: device and software rows", test_ctx_show },
	{ "ctx -j parses (python3)", test_ctx_json },
	{ "ctx filters", test_ctx_filters },
	{ "conn view and connection filters", test_conn_view },
	{ "dek, tis, tir, qp, pool", test_objects },
	{ "dek, tis, qp, ctx: number ranges", test_object_ranges },
	{ "stat show, stat watch", test_stat },
	{ "examples exit on SIGTERM", test_examples_exit },
	{ NULL, NULL },
};

int main(void)
{
	static const struct test_suite suites[] = {
		{ "mlx5tls-query live: examples", suite_live_init, suite_live_cleanup,
		  live_cases },
		{ NULL, NULL, NULL, NULL },
	};

	return test_run_suites(suites);
}
