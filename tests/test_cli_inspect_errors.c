/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mlx5tls-query's error paths with no application running (mlx5tls-inspect(7)): no publishing
 * process (empty or missing socket directory, XDG_RUNTIME_DIR), a stale socket of an exited
 * process skipped and said to be, a directory others may write to not trusted, bad words and
 * filters exit 1. No output may hold key material. The tool is found next to this test in the
 * build tree (BUILD/tests/../tools/). The live examples are test_cli_inspect.c; the fixture is
 * tests/util/cli_inspect_fixture.h.
 */
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli_inspect_fixture.h"

/* ---- error paths (no example involved) ---- */

static void test_no_publisher(void)
{
	char empty[] = "/tmp/mlx5tls-cli-empty-XXXXXX";
	char env_empty[sizeof(empty) + 32], env_missing[sizeof(empty) + 64], env_xdg[64 + PATH_MAX];
	struct run r;

	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(empty));
	snprintf(env_empty, sizeof(env_empty), "MLX5TLS_RUNTIME_DIR=%s", empty);
	snprintf(env_missing, sizeof(env_missing), "MLX5TLS_RUNTIME_DIR=%s/none", empty);

	run_env_in(&r, (const char *const[]){ env_empty, NULL }, NULL, QUERY,
		   (const char *const[]){ "ctx", "show", NULL });
	expect_status(&r, 1, "ctx show, empty socket directory");
	HAS(r.err, "no process publishes to ");
	HAS(r.err, empty);
	HAS(r.err, "start the application with MLX5TLS_PUBLISH=1");
	CU_ASSERT_STRING_EQUAL(r.out, "");
	run_free(&r);

	run_env_in(&r, (const char *const[]){ env_missing, NULL }, NULL, QUERY,
		   (const char *const[]){ "-j", "stat", NULL });
	expect_status(&r, 1, "stat, missing socket directory");
	HAS(r.err, "no process publishes to ");
	run_free(&r);

	/* without MLX5TLS_RUNTIME_DIR: $XDG_RUNTIME_DIR/mlx5tls */
	snprintf(env_xdg, sizeof(env_xdg), "XDG_RUNTIME_DIR=%s", empty);
	run_env_in(&r, (const char *const[]){ env_xdg, NULL }, NULL, QUERY,
		   (const char *const[]){ "proc", NULL });
	expect_status(&r, 1, "proc, XDG_RUNTIME_DIR");
	HAS(r.err, "/mlx5tls; start the application");
	HAS(r.err, empty);
	run_free(&r);
	rmdir(empty);
}

/* A socket whose process is gone is skipped, and said to be. */
static void test_stale_socket(void)
{
	char dir[] = "/tmp/mlx5tls-cli-stale-XXXXXX";
	char env[sizeof(dir) + 32], pidarg[16];
	struct sockaddr_un sa;
	pid_t dead;
	int fd;
	struct run r;

	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
	snprintf(env, sizeof(env), "MLX5TLS_RUNTIME_DIR=%s", dir);
	dead = fork();
	CU_ASSERT_FATAL(dead >= 0);
	if (dead == 0)
		_exit(0);
	waitpid(dead, NULL, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/%d.sock", dir, (int)dead);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_EQUAL_FATAL(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	close(fd); /* the socket file stays, nobody listens: a crashed publisher */

	run_env_in(&r, (const char *const[]){ env, NULL }, NULL, QUERY,
		   (const char *const[]){ "ctx", NULL });
	expect_status(&r, 1, "ctx, only a stale socket");
	HAS(r.err, "no process publishes to");
	HAS(r.err, "(1 stale socket of exited processes skipped)");
	run_free(&r);

	snprintf(pidarg, sizeof(pidarg), "%d", (int)dead);
	run_env_in(&r, (const char *const[]){ env, NULL }, NULL, QUERY,
		   (const char *const[]){ "ctx", "show", "pid", pidarg, NULL });
	expect_status(&r, 1, "ctx show pid DEAD");
	HAS(r.err, "no process with pid ");
	HAS(r.err, pidarg);
	run_free(&r);

	/* a directory others may write to is not trusted */
	CU_ASSERT_EQUAL(chmod(dir, 0777), 0);
	run_env_in(&r, (const char *const[]){ env, NULL }, NULL, QUERY,
		   (const char *const[]){ "ctx", NULL });
	expect_status(&r, 1, "ctx, world-writable directory");
	HAS(r.err, "is writable by other users (mode 0777): not trusted");
	run_free(&r);

	unlink(sa.sun_path);
	rmdir(dir);
}

static void test_bad_words(void)
{
	struct run r;

	query(&r, "ctx", "show", "bogus", "1", NULL);
	expect_status(&r, 1, "unknown filter");
	HAS(r.err, "ctx show: unknown filter 'bogus' (one of: laddr raddr addr lport rport port "
		   "label pid id dir path limit cursor)");
	run_free(&r);

	query(&r, "ctx", "show", "dir", "sideways", NULL);
	expect_status(&r, 1, "bad dir");
	HAS(r.err, "bad value 'sideways' for dir (one of tx rx)");
	run_free(&r);

	query(&r, "ctx", "show", "pid", NULL);
	expect_status(&r, 1, "filter without value");
	HAS(r.err, "pid needs a value");
	run_free(&r);

	query(&r, "ctx", "show", "id", "3-1", NULL);
	expect_status(&r, 1, "bad range");
	HAS(r.err, "bad value '3-1' for id");
	run_free(&r);

	/* a word that is no ctx command is a filter of the default command (ctx show) */
	query(&r, "ctx", "frob", NULL);
	expect_status(&r, 1, "unknown ctx filter");
	HAS(r.err, "ctx show: unknown filter 'frob'");
	run_free(&r);

	query(&r, "ctx", "laddr", "not-an-address", NULL);
	expect_status(&r, 1, "bad address");
	HAS(r.err, "laddr: 'not-an-address' is not an IPv4 or IPv6 address");
	run_free(&r);

	query(&r, "conn", "port", "70000", NULL);
	expect_status(&r, 1, "bad port");
	HAS(r.err, "port: 70000 is not a port");
	run_free(&r);

	query(&r, "stat", "watch", "interval", "0", NULL);
	expect_status(&r, 1, "interval 0");
	HAS(r.err, "bad value '0' for interval");
	run_free(&r);

	query(&r, "trace", "show", NULL);
	expect_status(&r, 1, "trace show without FILE");
	HAS(r.err, "trace show needs a FILE");
	run_free(&r);

	query(&r, "help", NULL);
	expect_status(&r, 0, "help");
	HAS(r.out, "proc | ctx | conn | dek | tis |");
	run_free(&r);

	query(&r, "ctx", "help", NULL);
	expect_status(&r, 0, "ctx help");
	HAS(r.out, "ctx [ show | list ] [ pid PIDS ]");
	run_free(&r);
}

/* ---- suites ---- */

static int suite_errors_cleanup(void)
{
	rmdir(sock_dir);
	return 0;
}

static const struct test_case error_cases[] = {
	{ "no publishing process", test_no_publisher },
	{ "stale socket skipped; untrusted directory", test_stale_socket },
	{ "bad words exit 1", test_bad_words },
	{ NULL, NULL },
};

int main(void)
{
	static const struct test_suite suites[] = {
		{ "mlx5tls-query live: errors", sock_dir_init, suite_errors_cleanup, error_cases },
		{ NULL, NULL, NULL, NULL },
	};

	return test_run_suites(suites);
}
