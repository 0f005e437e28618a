/* SPDX-License-Identifier: BSD-3-Clause */
/* Helpers of the tests that run the tools and examples as processes (test_cli_*.c). */
#ifndef MLX5TLS_TEST_CLI_UTIL_H
#define MLX5TLS_TEST_CLI_UTIL_H

#include <stdbool.h>
#include <stddef.h>

/* What a finished child process left. */
struct run {
	int status; /* exit status, or 128 + signal */
	char *out;
	char *err;
};

/* The build tree of this test program (BUILD/tests/test_x -> "BUILD/tests/.."), into buf.
 * 0, or -1 if /proc/self/exe cannot be read. */
int cli_build_dir(char *buf, size_t len);
/* In a child before exec: drop MLX5TLS_DEVICE, MLX5TLS_TRACE, MLX5TLS_PUBLISH,
 * MLX5TLS_RUNTIME_DIR and SSLKEYLOGFILE, then put env ("NAME=VALUE", NULL-terminated; NULL:
 * none). */
void cli_child_env(const char *const *env);
/*
 * Run build_dir/rel with args (NULL-terminated, at most 30) and wait for it: stdin is
 * stdin_text (NULL: /dev/null), the environment as cli_child_env() leaves it. A program that is
 * not there gives status -1 and empty output, with a word on stderr. The caller checks the
 * output (key material, ...).
 */
void cli_run(struct run *r, const char *build_dir, const char *const *env, const char *stdin_text,
	     const char *rel, const char *const *args);
/* cli_run, and assert that neither stdout nor stderr holds key material (DESIGN: never print
 * key material): no run of 32 or more hex digits, a 128-bit key printed as hex. */
void cli_run_nokey(struct run *r, const char *build_dir, const char *const *env,
		   const char *stdin_text, const char *rel, const char *const *args);
void run_free(struct run *r);
/* Assert the exit status; on a mismatch show the command's output, so a CI log says why. */
void expect_status(const struct run *r, int status, const char *what);

/* A run of at least min hex digits in s (key material printed as hex would be one). */
bool has_hex_run(const char *s, size_t min);
/* The whole content of a (memfd) file, NUL-terminated, malloc'd ("" if unreadable). */
char *slurp_fd(int fd);
/* The line of s that starts with prefix, copied into buf (NULL if none). */
const char *line_starting(const char *s, const char *prefix, char *buf, size_t len);

/* The secrets of an SSLKEYLOGFILE ("LABEL CLIENT_RANDOM SECRET" lines): assert that s holds
 * none of them (what names the output in the failure message). */
void cli_check_no_secrets(const char *keylog_path, const char *what, const char *s);
/* How many secrets the key log holds: a secret check must have something to look for. */
unsigned int cli_keylog_secrets(const char *keylog_path);
/* Is s valid JSON for python3's parser (a parser nobody here wrote)? lines: one document per
 * line (JSON Lines). */
bool cli_python_json_ok(const char *s, bool lines);

#endif
