/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The fixture of mlx5tls-query's tests against running applications (tests/test_cli_inspect*.c,
 * mlx5tls-inspect(7)): the build tree the binaries are found in (BUILD/tests/../tools/), a
 * private socket directory (MLX5TLS_RUNTIME_DIR, a mkdtemp name) and the key log the examples
 * write; the tool run with an environment on top, with the check that no output holds key
 * material (no run of 32 or more hex digits, none of the key log's TLS secrets); the HAS and
 * HAS_NOT checks, which show the output when they fail.
 *
 * Header-only, as inspect_fixture.h: each program has its own paths (static), set by its
 * suites' init.
 */
#ifndef MLX5TLS_CLI_INSPECT_FIXTURE_H
#define MLX5TLS_CLI_INSPECT_FIXTURE_H

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_util.h"
#include "test_util.h"

#define QUERY "tools/mlx5tls-query"

static char build_dir[PATH_MAX];
static char sock_dir[64];  /* MLX5TLS_RUNTIME_DIR of the examples and the tool (mkdtemp) */
static char keylog_path[PATH_MAX];
static char env_dir[PATH_MAX + 32];

/* ---- helpers ---- */

/* The secrets of the key log: none may appear in any output. */
static inline void check_no_secrets(const char *what, const char *s)
{
	cli_check_no_secrets(keylog_path, what, s);
}

static inline void check_no_key_material(const char *what, const char *s)
{
	if (has_hex_run(s, 32))
		fprintf(stderr, "\n%s: a run of 32+ hex digits in:\n%s\n", what, s);
	CU_ASSERT_FALSE(has_hex_run(s, 32));
	check_no_secrets(what, s);
}

/* Run BUILD/<rel> args... (NULL-terminated) with env on top; stdin may be NULL (/dev/null). No
 * output may carry key material. */
static inline void run_env_in(struct run *r, const char *const *env, const char *stdin_text,
			      const char *rel, const char *const *args)
{
	cli_run(r, build_dir, env, stdin_text, rel, args);
	check_no_key_material(rel, r->out);
	check_no_key_material(rel, r->err);
}

/* The tool, with the examples' socket directory. */
#define query(r, ...) \
	run_env_in((r), (const char *const[]){ env_dir, NULL }, NULL, QUERY, \
		   (const char *const[]){ __VA_ARGS__ })

#define HAS(s, needle) do { \
	if (!strstr((s), (needle))) \
		fprintf(stderr, "\nmissing '%s' in:\n%s\n", (needle), (s)); \
	CU_ASSERT_PTR_NOT_NULL(strstr((s), (needle))); \
} while (0)
#define HAS_NOT(s, needle) do { \
	if (strstr((s), (needle))) \
		fprintf(stderr, "\nunexpected '%s' in:\n%s\n", (needle), (s)); \
	CU_ASSERT_PTR_NULL(strstr((s), (needle))); \
} while (0)

/* The build tree of this program, into build_dir: 0 or -1. */
static inline int find_build_dir(void)
{
	return cli_build_dir(build_dir, sizeof(build_dir));
}

/* The build tree, a fresh socket directory and MLX5TLS_RUNTIME_DIR naming it. Runs from a
 * suite's init, where CUnit assertions are not allowed: 0 or -1. */
static inline int sock_dir_init(void)
{
	char tmpl[] = "/tmp/mlx5tls-cli-sock-XXXXXX";

	if (find_build_dir() || !mkdtemp(tmpl))
		return -1;
	snprintf(sock_dir, sizeof(sock_dir), "%s", tmpl);
	snprintf(env_dir, sizeof(env_dir), "MLX5TLS_RUNTIME_DIR=%s", sock_dir);
	return 0;
}

#endif /* MLX5TLS_CLI_INSPECT_FIXTURE_H */
