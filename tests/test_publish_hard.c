/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The publisher against hostile or careless neighbours (issue 12):
 *  - the runtime directory must be the user's own and mode 0700 (another user pre-creating
 *    /tmp/mlx5tls-UID, or a 0755 directory, is refused, saying why);
 *  - a client that never reads its answers, idle connections, and more clients than allowed do
 *    not keep other clients from being answered;
 *  - answers about many contexts never hold the device's setup lock for long.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "mlx5tls/mlx5tls.h"
#include "test_util.h"

static char logbuf[4096];

static int capture_print(enum mlx5tls_print_level level, const char *fmt, va_list args)
{
	size_t len = strlen(logbuf);

	(void)level;
	if (len < sizeof(logbuf) - 1)
		vsnprintf(logbuf + len, sizeof(logbuf) - len, fmt, args);
	return 0;
}

static void test_dir_mode_0700_only(void)
{
	char dir[64];
	MLX5TLS_OPTS(mlx5tls_publish_opts, po, .dir = dir);
	mlx5tls_print_fn_t old;

	snprintf(dir, sizeof(dir), "/tmp/mlx5tls-hard-XXXXXX");
	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
	old = mlx5tls_set_print(capture_print);
	for (unsigned int i = 0; i < 3; i++) {
		static const mode_t modes[] = { 0755, 0750, 0711 };

		logbuf[0] = 0;
		CU_ASSERT_EQUAL(chmod(dir, modes[i]), 0);
		CU_ASSERT_EQUAL(mlx5tls_publish_start(&po), -EPERM);
		CU_ASSERT_EQUAL(errno, EPERM);
		CU_ASSERT_PTR_NOT_NULL(strstr(logbuf, "not 0700"));
	}
	CU_ASSERT_EQUAL(chmod(dir, 0700), 0);
	CU_ASSERT_EQUAL(mlx5tls_publish_start(&po), 0);
	CU_ASSERT_EQUAL(mlx5tls_publish_stop(), 0);
	mlx5tls_set_print(old);
	CU_ASSERT_EQUAL(rmdir(dir), 0);
}

/* A directory another user made (root can make one for uid 65534): refused, saying whose it is.
 * Also the default directory /tmp/mlx5tls-UID pre-created by someone else. */
static void test_dir_foreign_owner(void)
{
	char dir[64];
	MLX5TLS_OPTS(mlx5tls_publish_opts, po, .dir = dir);
	mlx5tls_print_fn_t old;

	if (geteuid() != 0) {
		printf("(not root: cannot make a directory owned by another user) ");
		return;
	}
	snprintf(dir, sizeof(dir), "/tmp/mlx5tls-hard-XXXXXX");
	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
	CU_ASSERT_EQUAL_FATAL(chown(dir, 65534, 65534), 0);
	old = mlx5tls_set_print(capture_print);
	logbuf[0] = 0;
	CU_ASSERT_EQUAL(mlx5tls_publish_start(&po), -EPERM);
	CU_ASSERT_PTR_NOT_NULL(strstr(logbuf, "owned by uid 65534"));
	{
		/* the default location, planted */
		char def[64];
		const char *xdg = getenv("XDG_RUNTIME_DIR"), *rt = getenv("MLX5TLS_RUNTIME_DIR");
		char *xdg_copy = xdg ? strdup(xdg) : NULL, *rt_copy = rt ? strdup(rt) : NULL;
		struct stat sb;
		bool existed;

		snprintf(def, sizeof(def), "/tmp/mlx5tls-%u", (unsigned int)geteuid());
		existed = lstat(def, &sb) == 0;
		if (!existed) {
			unsetenv("XDG_RUNTIME_DIR");
			unsetenv("MLX5TLS_RUNTIME_DIR");
			CU_ASSERT_EQUAL(mkdir(def, 0700), 0);
			CU_ASSERT_EQUAL(chown(def, 65534, 65534), 0);
			logbuf[0] = 0;
			CU_ASSERT_EQUAL(mlx5tls_publish_start(NULL), -EPERM);
			CU_ASSERT_PTR_NOT_NULL(strstr(logbuf, "owned by uid 65534"));
			CU_ASSERT_EQUAL(rmdir(def), 0);
			if (xdg_copy)
				setenv("XDG_RUNTIME_DIR", xdg_copy, 1);
			if (rt_copy)
				setenv("MLX5TLS_RUNTIME_DIR", rt_copy, 1);
		}
		free(xdg_copy);
		free(rt_copy);
	}
	mlx5tls_set_print(old);
	CU_ASSERT_EQUAL(rmdir(dir), 0);
}

int main(void)
{
	static const struct test_case dir_cases[] = {
		{ "runtime directory: mode 0700 only", test_dir_mode_0700_only },
		{ "runtime directory: another user's is refused", test_dir_foreign_owner },
		{ NULL, NULL },
	};
	static const struct test_suite suites[] = {
		{ "publisher: runtime directory", NULL, NULL, dir_cases },
		{ NULL, NULL, NULL, NULL },
	};

	return test_run_suites(suites);
}
