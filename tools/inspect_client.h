/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The client side of live inspection (mlx5tls-inspect(7)): find the publishing processes' control
 * sockets, ask each one a request line, read its one-line JSON answer, and print the answers of
 * all processes as one JSON document or as text rows.
 *
 * The merged JSON document (stable; documented in mlx5tls-query(1)):
 *   {"schema":1, "socket_dir":"DIR",
 *    "processes":[{"pid":N, "program":"name", "library":"0.3.0", ...the members of the
 *                  process's answer except "schema" and "pid"...},
 *                 {"pid":N, "program":..., "error":"text"}]}
 */
#ifndef MLX5TLS_TOOLS_INSPECT_CLIENT_H
#define MLX5TLS_TOOLS_INSPECT_CLIENT_H

#include <limits.h>
#include <stdbool.h>

#include "filter.h"
#include "json.h"
#include "tool.h"

/* Schema of the answers this client understands (it tolerates new members). */
#define IC_SCHEMA 1

struct ic_proc {
	long pid;
	char path[PATH_MAX];
	int fd;           /* -1 when not connected */
	struct jv *info;  /* the answer to `info` (program, library, devices) */
	char *error;      /* why this process could not be asked (malloc'd), or NULL */
};

struct ic_set {
	char dir[PATH_MAX];
	struct ic_proc *procs; /* sorted by pid */
	size_t n;
	unsigned int stale;    /* sockets of exited processes, skipped */
	unsigned int foreign;  /* sockets of other users, skipped */
};

/* The socket directory: $MLX5TLS_RUNTIME_DIR, else $XDG_RUNTIME_DIR/mlx5tls, else
 * /tmp/mlx5tls-UID. 0 or -ENAMETOOLONG. */
int ic_socket_dir(char *buf, size_t len);

/*
 * Connect to every publishing process of this user (only those `pid` matches, if set) and ask
 * each for its `info`. Processes that fail keep an error and stay in the set (reported by
 * ic_run). Returns 0, or 1 after a message when nothing can be asked: no socket directory, one
 * that is not trustworthy, no live publisher.
 */
int ic_open(struct tool *t, struct ic_set *s, const struct filter_val *pid);
void ic_close(struct ic_set *s);

/* Send one request line, read and parse the answer. NULL with p->error set on failure or when
 * the answer is an error answer. The caller frees the answer. */
struct jv *ic_ask(struct ic_proc *p, const char *request);

/* Pages (mlx5tls-inspect(7)): a request that lists contexts is answered IC_PAGE at a time, each
 * answer naming the next page in "next" (a cursor, null after the last page). */
#define IC_PAGE 1000u
#define IC_CURSOR_MAX 64
/* ic_ask for every page of `list`, merged into the first answer (its "next" null). */
struct jv *ic_ask_all(struct ic_proc *p, const char *request, const char *list);
/* Record why p failed (printf-style); the first reason is kept. */
void ic_fail(struct ic_proc *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

const char *ic_program(const struct ic_proc *p); /* "-" when unknown */

/* One request to every process, printed through the one print path. */
struct ic_query {
	const char *request;                 /* "ctx dir tx" */
	const char *const *lists;            /* array members whose rows keep() filters */
	bool (*keep)(const struct jv *row, const void *arg);
	const void *arg;
	/* Text mode: print one process's answer; returns the number of rows it printed. */
	unsigned int (*text)(const struct tool *t, const struct ic_proc *p, const struct jv *ans,
			     const void *arg);
	/* Paged requests: `paged` names the list the process answers in pages (lists[0]); each
	 * page is asked and printed in turn, so the tool holds one page at a time. Every row
	 * unless limit (rows printed per process) stops earlier: then the place to go on from is
	 * printed (text: "pid N more: cursor C"; JSON: the process's "next"). cursor: where the
	 * first page starts (one process only). */
	const char *paged;
	uint64_t limit;
	const char *cursor;
};

/* Ask, filter and print. *rows (if not NULL) gets the rows printed in text mode or kept for the
 * JSON document. 0, or 1 if any process failed (each one reported on stderr). */
int ic_run(struct tool *t, struct ic_set *s, const struct ic_query *q, unsigned int *rows);

/* Print the failures recorded in s on stderr; 1 if there was one, else 0. */
int ic_report_errors(const struct tool *t, const struct ic_set *s);

/* ---- text helpers for the per-object files ---- */

/* Text lines wrap before this column. */
#define IC_WRAP 100

/* A continuation line of a row: starts with a newline and an indent, wraps at IC_WRAP. */
struct ic_line {
	size_t col;
	char indent[40];
};

/* Start a line: "\n" INDENT LABEL (LABEL may be ""). */
void ic_line_start(struct ic_line *l, const char *indent, const char *label);
/* " key value", on the next line (same indent + 4) if it would pass IC_WRAP. */
void ic_line_pair(struct ic_line *l, const char *key, const struct jv *v);

enum { IC_SCALARS = 1, IC_OBJECTS = 2 };

/*
 * The members of obj in order, skipping the names in skip (NULL-terminated, may be NULL):
 * IC_SCALARS prints " key value" for scalars and arrays of scalars (a,b,c; null as -);
 * IC_OBJECTS prints each nested object on lines of its own, "key:" then its members, indented
 * 4 more. l NULL: no wrapping, nested objects indented from column 0. Text mode only.
 */
void ic_text_members(const struct jv *obj, const char *const *skip, unsigned int what,
		     struct ic_line *l);
/* One value as text ("yes"/"no", "-" for null or absent). */
void ic_text_value(const char *fmt, const struct jv *v);
/* s with control characters replaced by '?' (into buf): text from another process must not
 * drive the terminal. */
const char *ic_clean(const char *s, char *buf, size_t len);
/* The text of a scalar member (into buf) or "-". */
const char *ic_scalar(const struct jv *v, char *buf, size_t len);

#endif /* MLX5TLS_TOOLS_INSPECT_CLIENT_H */
