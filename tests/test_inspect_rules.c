/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Publishing's rules (mlx5tls-inspect(7)): the JSON checker the answers are held to, the answer
 * builder alone (request line limits, escaping, the peer rule), the directory rules (modes,
 * symlinks, stale sockets of dead processes, a missing directory made 0700, newer callers'
 * opts) and MLX5TLS_PUBLISH=1 at device open. The fixture is tests/util/inspect_fixture.h; the
 * answers over the socket are in test_inspect.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "inspect.h"
#include "inspect_fixture.h"

static void test_json_check(void)
{
	static const char *const good[] = { "{}", "[]", "{\"a\":[1,-2.5e3,true,null,\"\\u00e9\"]}",
					    " {\"k\" : { } } \n" };
	static const char *const bad[] = { "", "{", "{\"a\":}", "[1,]", "{\"a\" 1}", "\"\x01\"",
					   "{} {}", "01", "[tru]" };

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		CU_ASSERT_TRUE(json_valid(good[i]));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CU_ASSERT_FALSE(json_valid(bad[i]));
}

/* The answer builder alone (no socket): limits and the peer rule. */
static void test_answer_unit(void)
{
	char line[300];
	size_t len = 0;
	char *a;

	memset(line, 'a', sizeof(line) - 1);
	line[sizeof(line) - 1] = '\0';
	a = publish_answer(line, &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_EQUAL(len, strlen(a));
	CU_ASSERT_EQUAL(a[len - 1], '\n');
	CU_ASSERT_PTR_NOT_NULL(strstr(a, "\"error\":\"request line longer than 256 bytes\"}"));
	free(a);
	line[256] = '\0'; /* exactly 256: a request (an unknown one) */
	a = publish_answer(line, &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_PTR_NOT_NULL(strstr(a, "unknown command"));
	a[len - 1] = '\0';
	CU_ASSERT_TRUE(json_valid(a));
	free(a);
	/* a hostile command name is escaped into valid JSON */
	a = publish_answer("\"\\\x01\xff", &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	a[len - 1] = '\0';
	CU_ASSERT_TRUE(json_valid(a));
	CU_ASSERT_PTR_NOT_NULL(strstr(a, "\\\"\\\\\\u0001\\ufffd"));
	free(a);

	CU_ASSERT_TRUE(publish_peer_allowed(1000, 1000));
	CU_ASSERT_TRUE(publish_peer_allowed(0, 1000));
	CU_ASSERT_FALSE(publish_peer_allowed(1001, 1000));
	CU_ASSERT_FALSE(publish_peer_allowed(1000, 0)); /* root's publisher answers only root */
}

/* A socket file left by a process that is gone. */
static void make_stale_socket(const char *dir, pid_t *dead)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	pid_t pid = fork();
	int fd;

	CU_ASSERT_FATAL(pid >= 0);
	if (pid == 0)
		_exit(0);
	CU_ASSERT_EQUAL(waitpid(pid, NULL, 0), pid);
	*dead = pid;
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	CU_ASSERT_FATAL(fd >= 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/%d.sock", dir, (int)pid);
	CU_ASSERT_EQUAL(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	close(fd); /* the file stays: nobody unlinked it */
}

static void test_publish_dir_rules(void)
{
	char dir[64], path[128], link[80];
	struct stat sb;
	pid_t dead = 0;

	snprintf(dir, sizeof(dir), "/tmp/mlx5tls-test-XXXXXX");
	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
	{
		MLX5TLS_OPTS(mlx5tls_publish_opts, po, .dir = dir);

		/* group/world-writable: refused */
		CU_ASSERT_EQUAL(chmod(dir, 0777), 0);
		CU_ASSERT_EQUAL(mlx5tls_publish_start(&po), -EPERM);
		CU_ASSERT_EQUAL(errno, EPERM);
		CU_ASSERT_EQUAL(chmod(dir, 0700), 0);

		/* a stale socket of a dead process is removed; a live process's is kept */
		make_stale_socket(dir, &dead);
		snprintf(path, sizeof(path), "%s/%d.sock", dir, (int)dead);
		CU_ASSERT_EQUAL(lstat(path, &sb), 0);
		snprintf(link, sizeof(link), "%s/1.sock", dir); /* init lives, a regular file */
		{
			int fd = open(link, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);

			CU_ASSERT(fd >= 0);
			if (fd >= 0)
				close(fd);
		}
		CU_ASSERT_EQUAL(mlx5tls_publish_start(&po), 0);
		CU_ASSERT_NOT_EQUAL(lstat(path, &sb), 0);
		CU_ASSERT_EQUAL(lstat(link, &sb), 0);
		CU_ASSERT_EQUAL(mlx5tls_publish_stop(), 0);
		CU_ASSERT_EQUAL(unlink(link), 0);
	}
	{
		/* a symlink in place of the directory: refused */
		MLX5TLS_OPTS(mlx5tls_publish_opts, po, .dir = link);

		snprintf(link, sizeof(link), "%s.lnk", dir);
		CU_ASSERT_EQUAL(symlink(dir, link), 0);
		CU_ASSERT_EQUAL(mlx5tls_publish_start(&po), -ENOTDIR);
		CU_ASSERT_EQUAL(unlink(link), 0);
	}
	{
		/* a missing directory is created 0700 */
		MLX5TLS_OPTS(mlx5tls_publish_opts, po, .dir = path);

		snprintf(path, sizeof(path), "%s/sub", dir);
		CU_ASSERT_EQUAL(mlx5tls_publish_start(&po), 0);
		CU_ASSERT_EQUAL(stat(path, &sb), 0);
		CU_ASSERT_EQUAL(sb.st_mode & 07777, 0700);
		CU_ASSERT_EQUAL(mlx5tls_publish_stop(), 0);
		CU_ASSERT_EQUAL(rmdir(path), 0);
	}
	{
		/* opts from a newer caller with unknown non-zero bytes */
		union {
			struct mlx5tls_publish_opts o;
			uint8_t b[sizeof(struct mlx5tls_publish_opts) + 8];
		} big;

		memset(&big, 0, sizeof(big));
		big.o.sz = sizeof(big);
		big.o.dir = dir;
		big.b[sizeof(big) - 1] = 1;
		CU_ASSERT_EQUAL(mlx5tls_publish_start(&big.o), -EINVAL);
	}
	CU_ASSERT_EQUAL(rmdir(dir), 0);
}

/* MLX5TLS_PUBLISH=1 starts publishing at a device open, in $MLX5TLS_RUNTIME_DIR. */
static void test_publish_env(void)
{
	struct mlx5tls_device *dev;
	struct stat sb;
	char *a;

	snprintf(pub_dir, sizeof(pub_dir), "/tmp/mlx5tls-test-XXXXXX");
	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(pub_dir));
	snprintf(pub_sock, sizeof(pub_sock), "%s/%d.sock", pub_dir, (int)getpid());
	setenv("MLX5TLS_RUNTIME_DIR", pub_dir, 1);
	setenv("MLX5TLS_PUBLISH", "1", 1);
	dev = mlx5tls_device_open("sim", NULL);
	unsetenv("MLX5TLS_PUBLISH");
	unsetenv("MLX5TLS_RUNTIME_DIR");
	CU_ASSERT_PTR_NOT_NULL_FATAL(dev);
	CU_ASSERT_EQUAL(lstat(pub_sock, &sb), 0);
	a = ask("dev");
	CU_ASSERT_PTR_NOT_NULL(strstr(a ? a : "", "\"qps\":0,\"tx_contexts\":0}"));
	free(a);
	CU_ASSERT_EQUAL(mlx5tls_device_close(dev), 0);
	unpublish();
}

static const struct test_case publish_cases[] = {
	{ "JSON checker self-check", test_json_check },
	{ "answers: limits, escaping, peer rule", test_answer_unit },
	{ "directory rules and stale sockets", test_publish_dir_rules },
	{ "MLX5TLS_PUBLISH=1 at device open", test_publish_env },
	{ NULL, NULL },
};

static const struct test_suite suites[] = {
	{ "publish", NULL, NULL, publish_cases },
	{ NULL, NULL, NULL, NULL },
};

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	return test_run_suites(suites);
}
