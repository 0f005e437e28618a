/* SPDX-License-Identifier: BSD-3-Clause */
/* Helpers of the tests that run the tools and examples as processes (cli_util.h). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <CUnit/CUnit.h>

#include "cli_util.h"

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
