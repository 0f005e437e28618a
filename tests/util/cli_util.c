/* SPDX-License-Identifier: BSD-3-Clause */
/* Helpers of the tests that run the tools and examples as processes (cli_util.h). */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CUnit/CUnit.h>

#include "cli_util.h"
#include "test_util.h"

int cli_build_dir(char *buf, size_t len)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	if (n <= 0)
		return -1;
	self[n] = '\0';
	snprintf(buf, len, "%s/..", dirname(self));
	return 0;
}

void cli_child_env(const char *const *env)
{
	unsetenv("MLX5TLS_DEVICE");
	unsetenv("MLX5TLS_TRACE");
	unsetenv("MLX5TLS_PUBLISH");
	unsetenv("MLX5TLS_RUNTIME_DIR");
	unsetenv("SSLKEYLOGFILE");
	for (const char *const *e = env; e && *e; e++)
		putenv((char *)*e);
}

void cli_run(struct run *r, const char *build_dir, const char *const *env, const char *stdin_text,
	     const char *rel, const char *const *args)
{
	char path[PATH_MAX + 64];
	const char *argv[32];
	int nargs = 1, fd_out, fd_err, fd_in = -1;
	pid_t pid;

	memset(r, 0, sizeof(*r));
	r->status = -1;
	snprintf(path, sizeof(path), "%s/%s", build_dir, rel);
	argv[0] = path;
	for (const char *const *a = args; *a && nargs < 31; a++)
		argv[nargs++] = *a;
	argv[nargs] = NULL;
	if (access(path, X_OK)) {
		fprintf(stderr, "\n%s: %s (build the tools and the examples first)\n", path,
			strerror(errno));
		r->out = strdup("");
		r->err = strdup("");
		return;
	}
	fd_out = memfd_create("stdout", MFD_CLOEXEC);
	fd_err = memfd_create("stderr", MFD_CLOEXEC);
	CU_ASSERT_FATAL(fd_out >= 0 && fd_err >= 0);
	if (stdin_text) {
		fd_in = memfd_create("stdin", MFD_CLOEXEC);
		CU_ASSERT_FATAL(fd_in >= 0);
		CU_ASSERT_FATAL(write(fd_in, stdin_text, strlen(stdin_text)) ==
				(ssize_t)strlen(stdin_text));
		CU_ASSERT_FATAL(lseek(fd_in, 0, SEEK_SET) == 0);
	}
	fflush(NULL);
	pid = fork();
	CU_ASSERT_FATAL(pid >= 0);
	if (pid == 0) {
		int in = fd_in >= 0 ? fd_in : open("/dev/null", O_RDONLY);

		if (in < 0 || dup2(in, 0) < 0 || dup2(fd_out, 1) < 0 || dup2(fd_err, 2) < 0)
			_exit(127);
		cli_child_env(env);
		execv(path, (char *const *)argv);
		_exit(127);
	}
	for (;;) {
		int st;

		if (waitpid(pid, &st, 0) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		r->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
		break;
	}
	r->out = slurp_fd(fd_out);
	r->err = slurp_fd(fd_err);
	close(fd_out);
	close(fd_err);
	if (fd_in >= 0)
		close(fd_in);
}

void run_free(struct run *r)
{
	free(r->out);
	free(r->err);
}

void expect_status(const struct run *r, int status, const char *what)
{
	if (r->status != status)
		fprintf(stderr, "\n%s: exit %d (want %d)\n--- stdout\n%s--- stderr\n%s---\n", what,
			r->status, status, r->out, r->err);
	CU_ASSERT_EQUAL(r->status, status);
}

bool has_hex_run(const char *s, size_t min)
{
	size_t run = 0;

	for (; *s; s++) {
		run = isxdigit((unsigned char)*s) ? run + 1 : 0;
		if (run >= min)
			return true;
	}
	return false;
}

char *slurp_fd(int fd)
{
	off_t len = lseek(fd, 0, SEEK_END);
	char *buf;

	if (len < 0 || lseek(fd, 0, SEEK_SET) < 0)
		return strdup("");
	buf = calloc(1, (size_t)len + 1);
	if (buf && read(fd, buf, (size_t)len) != len)
		buf[0] = '\0';
	return buf;
}

const char *line_starting(const char *s, const char *prefix, char *buf, size_t len)
{
	size_t plen = strlen(prefix);

	for (const char *p = s; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
		if (strncmp(p, prefix, plen) == 0) {
			snprintf(buf, len, "%.*s", (int)strcspn(p, "\n"), p);
			return buf;
		}
	}
	return NULL;
}

void cli_run_nokey(struct run *r, const char *build_dir, const char *const *env,
		   const char *stdin_text, const char *rel, const char *const *args)
{
	cli_run(r, build_dir, env, stdin_text, rel, args);
	CU_ASSERT_FALSE(has_hex_run(r->out, 32));
	CU_ASSERT_FALSE(has_hex_run(r->err, 32));
}

void cli_check_no_secrets(const char *keylog_path, const char *what, const char *s)
{
	char *log = test_read_file(keylog_path);
	char *save = NULL;

	if (!log)
		return;
	for (char *line = strtok_r(log, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		const char *secret = strrchr(line, ' ');

		if (!secret || strlen(secret + 1) < 32)
			continue;
		if (strcasestr(s, secret + 1))
			fprintf(stderr, "\n%s: output holds a TLS secret of the key log\n", what);
		CU_ASSERT_PTR_NULL(strcasestr(s, secret + 1));
	}
	free(log);
}

unsigned int cli_keylog_secrets(const char *keylog_path)
{
	char *log = test_read_file(keylog_path);
	unsigned int n = 0;

	for (const char *p = log; p && (p = strstr(p, "_SECRET")); p++)
		n++;
	free(log);
	return n;
}

bool cli_python_json_ok(const char *s, bool lines)
{
	const char *cmd = lines ?
		"python3 -c 'import json,sys; [json.loads(l) for l in sys.stdin if l.strip()]'" :
		"python3 -c 'import json,sys; json.load(sys.stdin)'";
	FILE *p;
	int st;

	fflush(NULL);
	p = popen(cmd, "w");
	if (!p)
		return false;
	fputs(s, p);
	st = pclose(p);
	if (st != 0)
		fprintf(stderr, "\npython3 rejects the JSON:\n%s\n", s);
	return st == 0;
}
