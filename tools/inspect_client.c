/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Live inspection, client side (see inspect_client.h and mlx5tls-inspect(7)). The client trusts a
 * socket only where the server would: in a directory the user owns that nobody else can write
 * to, and a socket file the user owns (root may look at everyone's). An answer is data from
 * another process: it is parsed with bounds, and the client never writes anything but request
 * lines.
 */
#include "inspect_client.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

/* How long one answer may take to start arriving (and each further chunk): a publisher that
 * hangs must not hang the tool. */
#define IC_TIMEOUT_S 5
#define IC_REQUEST_MAX 300 /* a request line, with room for "limit" and "cursor" */
/* An answer larger than this is refused (a million contexts take a few hundred MiB). */
#define IC_MAX_ANSWER (1u << 30)

int ic_socket_dir(char *buf, size_t len)
{
	const char *env = getenv("MLX5TLS_RUNTIME_DIR");
	const char *xdg = getenv("XDG_RUNTIME_DIR");
	int n;

	if (env && *env)
		n = snprintf(buf, len, "%s", env);
	else if (xdg && *xdg)
		n = snprintf(buf, len, "%s/mlx5tls", xdg);
	else
		n = snprintf(buf, len, "/tmp/mlx5tls-%u", (unsigned int)geteuid());
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* In place, for strings kept for the whole run (program name, errors). */
static void clean_in_place(char *s)
{
	for (; s && *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = '?';
}

void ic_fail(struct ic_proc *p, const char *fmt, ...)
{
	va_list ap;
	char *msg = NULL;

	if (p->error)
		return;
	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	clean_in_place(msg); /* it may quote the other process's text */
	p->error = msg ? msg : strdup("out of memory");
}

const char *ic_program(const struct ic_proc *p)
{
	const char *prog = jv_str(jv_get(p->info, "program"));

	return prog ? prog : "-";
}

/* ---- one connection ---- */

static int ic_connect(struct ic_proc *p)
{
	struct timeval tv = { .tv_sec = IC_TIMEOUT_S, .tv_usec = 0 };
	struct sockaddr_un sa;
	int fd;

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (strlen(p->path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	memcpy(sa.sun_path, p->path, strlen(p->path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) ||
	    connect(fd, (const struct sockaddr *)&sa, sizeof(sa))) {
		int err = -errno;

		close(fd);
		return err;
	}
	p->fd = fd;
	return 0;
}

static int send_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* One answer line (without the newline), malloc'd, in *out; 0 or -errno (-EPIPE: closed). */
static int recv_line(int fd, char **out, size_t *out_len)
{
	size_t len = 0, cap = 4096;
	char *buf = malloc(cap);

	if (!buf)
		return -ENOMEM;
	for (;;) {
		char *nl;
		ssize_t n;

		if (cap - len < 4096) {
			char *b;

			if (cap >= IC_MAX_ANSWER) {
				free(buf);
				return -EMSGSIZE;
			}
			b = realloc(buf, cap * 2);
			if (!b) {
				free(buf);
				return -ENOMEM;
			}
			buf = b;
			cap *= 2;
		}
		n = recv(fd, buf + len, cap - len - 1, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			int err = n == 0 ? -EPIPE : errno == EAGAIN || errno == EWOULDBLOCK ?
				-ETIMEDOUT : -errno;

			free(buf);
			return err;
		}
		nl = memchr(buf + len, '\n', (size_t)n);
		len += (size_t)n;
		if (nl) {
			/* one request, one answer: nothing may follow the newline */
			*nl = '\0';
			*out = buf;
			*out_len = (size_t)(nl - buf);
			return 0;
		}
	}
}

struct jv *ic_ask(struct ic_proc *p, const char *request)
{
	char line[IC_REQUEST_MAX], err[128];
	struct jv *ans;
	const char *msg;
	size_t len = 0;
	char *text = NULL;
	int ret;

	if (p->fd < 0) {
		ic_fail(p, "not connected");
		return NULL;
	}
	snprintf(line, sizeof(line), "%s\n", request);
	ret = send_all(p->fd, line, strlen(line));
	if (!ret)
		ret = recv_line(p->fd, &text, &len);
	if (ret == -EPIPE || ret == -ECONNRESET) {
		ic_fail(p, "the process closed the connection without an answer (it exited, or "
			"refused you as another user)");
		return NULL;
	}
	if (ret == -ETIMEDOUT) {
		ic_fail(p, "no answer to '%s' within %d s", request, IC_TIMEOUT_S);
		return NULL;
	}
	if (ret) {
		ic_fail(p, "'%s': %s", request, strerror(-ret));
		return NULL;
	}
	ans = jv_parse(text, len, err, sizeof(err));
	free(text);
	if (!ans || ans->type != JV_OBJ) {
		ic_fail(p, "answer to '%s' is not a JSON object (%s)", request,
			ans ? "another JSON value" : err);
		jv_free(ans);
		return NULL;
	}
	msg = jv_str(jv_get(ans, "error"));
	if (msg || jv_get(ans, "error")) {
		ic_fail(p, "'%s' refused: %s", request, msg ? msg : "(no text)");
		jv_free(ans);
		return NULL;
	}
	{
		uint64_t schema = 0;

		if (!jv_u64(jv_get(ans, "schema"), &schema) || schema != IC_SCHEMA) {
			ic_fail(p, "answer of schema %s; this mlx5tls-query reads schema %d",
				jv_get(ans, "schema") && jv_get(ans, "schema")->s ?
				jv_get(ans, "schema")->s : "(none)", IC_SCHEMA);
			jv_free(ans);
			return NULL;
		}
	}
	return ans;
}

/* ---- pages ---- */

/* A page: request + " limit N" [+ " cursor C"]. A library from before pages refuses "limit"
 * (ctx: an unknown filter; dek, tis, tir: no arguments): the first page is then asked as before
 * (the whole list in one answer, without "next"), so this tool still reads older applications. */
static struct jv *ask_page(struct ic_proc *p, const char *request, uint64_t limit,
			   const char *cursor)
{
	char line[IC_REQUEST_MAX];
	struct jv *ans;

	snprintf(line, sizeof(line), "%s limit %llu%s%s", request, (unsigned long long)limit,
		 *cursor ? " cursor " : "", cursor);
	ans = ic_ask(p, line);
	if (!ans && !*cursor && p->error &&
	    ((strstr(p->error, "unknown") && strstr(p->error, "\"limit\"")) ||
	     strstr(p->error, "takes no arguments"))) {
		free(p->error);
		p->error = NULL;
		ans = ic_ask(p, request);
	}
	return ans;
}

/* The answer's next page into cursor: true if there is one. A cursor that does not move would
 * ask the same page for ever: p fails instead. */
static bool page_next(struct ic_proc *p, const struct jv *ans, char *cursor)
{
	const char *next = jv_str(jv_get(ans, "next"));

	if (!next)
		return false;
	if (strlen(next) >= IC_CURSOR_MAX || !strcmp(next, cursor)) {
		ic_fail(p, "the process's next page does not follow (cursor \"%.64s\")", next);
		return false;
	}
	snprintf(cursor, IC_CURSOR_MAX, "%s", next);
	return true;
}

struct jv *ic_ask_all(struct ic_proc *p, const char *request, const char *list)
{
	char cursor[IC_CURSOR_MAX] = "";
	struct jv *all = ask_page(p, request, IC_PAGE, cursor);
	bool more = all && page_next(p, all, cursor);

	while (more) {
		struct jv *ans = ask_page(p, request, IC_PAGE, cursor);

		if (!ans)
			break;
		more = page_next(p, ans, cursor);
		if (jv_array_move(jv_get_array_mut(all, list), jv_get_array_mut(ans, list))) {
			ic_fail(p, "out of memory for the answers");
			more = false;
		}
		jv_free(ans);
	}
	if (p->error) {
		jv_free(all);
		return NULL;
	}
	return all;
}

/* ---- the set of publishing processes ---- */

static int pid_cmp(const void *a, const void *b)
{
	const struct ic_proc *x = a, *y = b;

	return (x->pid > y->pid) - (x->pid < y->pid);
}

/* "1234.sock" -> 1234; 0 if the name is not one of a publisher's sockets. */
static long sock_pid(const char *name)
{
	long pid = 0;
	const char *p = name;

	if (*p < '1' || *p > '9')
		return 0;
	for (; *p >= '0' && *p <= '9'; p++) {
		pid = pid * 10 + (*p - '0');
		if (pid > 1L << 30)
			return 0;
	}
	return strcmp(p, ".sock") == 0 ? pid : 0;
}

static int no_publisher(const struct tool *t, const struct ic_set *s,
			const struct filter_val *pid)
{
	char who[64] = "", stale[64] = "", foreign[64] = "";

	if (pid && pid->set)
		snprintf(who, sizeof(who), " with pid %s", pid->arg);
	if (s->stale)
		snprintf(stale, sizeof(stale), " (%u stale socket%s of exited processes skipped)",
			 s->stale, s->stale == 1 ? "" : "s");
	if (s->foreign)
		snprintf(foreign, sizeof(foreign), " (%u socket%s of other users skipped)",
			 s->foreign, s->foreign == 1 ? "" : "s");
	tool_error(t, "no process%s publishes to %s; start the application with "
		   "MLX5TLS_PUBLISH=1%s%s", who, s->dir, stale, foreign);
	return 1;
}

/* The directory must be the user's own and closed to others, as the server makes it. */
static int check_dir(const struct tool *t, const struct ic_set *s)
{
	struct stat st;
	uid_t uid = geteuid();

	if (stat(s->dir, &st)) {
		if (errno == ENOENT)
			return -ENOENT;
		tool_error(t, "cannot access the socket directory %s: %s", s->dir,
			strerror(errno));
		return -EACCES;
	}
	if (!S_ISDIR(st.st_mode)) {
		tool_error(t, "%s is not a directory", s->dir);
		return -ENOTDIR;
	}
	if (uid != 0 && st.st_uid != uid) {
		tool_error(t, "%s belongs to uid %u, not to you (uid %u): not trusted", s->dir,
			   (unsigned int)st.st_uid, (unsigned int)uid);
		return -EPERM;
	}
	if (st.st_mode & (S_IWGRP | S_IWOTH)) {
		tool_error(t, "%s is writable by other users (mode %04o): not trusted", s->dir,
			   (unsigned int)(st.st_mode & 07777));
		return -EPERM;
	}
	return 0;
}

static int add_proc(struct ic_set *s, size_t *cap, long pid)
{
	struct ic_proc *p;

	if (s->n == *cap) {
		size_t ncap = *cap ? 2 * *cap : 8;

		p = realloc(s->procs, ncap * sizeof(*p));
		if (!p)
			return -ENOMEM;
		s->procs = p;
		*cap = ncap;
	}
	p = &s->procs[s->n++];
	memset(p, 0, sizeof(*p));
	p->pid = pid;
	p->fd = -1;
	/* a path cut short would name another socket: leave the process out */
	if ((size_t)snprintf(p->path, sizeof(p->path), "%s/%ld.sock", s->dir, pid) >=
	    sizeof(p->path))
		s->n--;
	return 0;
}

int ic_open(struct tool *t, struct ic_set *s, const struct filter_val *pid)
{
	uid_t uid = geteuid();
	struct dirent *de;
	size_t cap = 0;
	DIR *d;
	int ret;

	memset(s, 0, sizeof(*s));
	if (ic_socket_dir(s->dir, sizeof(s->dir))) {
		tool_error(t, "the socket directory's name is too long");
		return 1;
	}
	ret = check_dir(t, s);
	if (ret == -ENOENT)
		return no_publisher(t, s, pid);
	if (ret)
		return 1;
	d = opendir(s->dir);
	if (!d) {
		tool_error(t, "cannot read the socket directory %s: %s", s->dir,
			strerror(errno));
		return 1;
	}
	while ((de = readdir(d))) {
		long p = sock_pid(de->d_name);
		char path[PATH_MAX];
		struct stat st;

		if (!p || (pid && !filter_match_num(pid, (uint64_t)p)))
			continue;
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", s->dir, de->d_name) >=
		    sizeof(path) || lstat(path, &st) || !S_ISSOCK(st.st_mode))
			continue;
		if (uid != 0 && st.st_uid != uid) {
			s->foreign++;
			continue;
		}
		/* A dead process's socket stays until the next publisher cleans up: skip it. A
		 * live pid may still be another program that reused it: connect() tells. */
		if (kill((pid_t)p, 0) && errno == ESRCH) {
			s->stale++;
			continue;
		}
		if (add_proc(s, &cap, p)) {
			closedir(d);
			tool_error(t, "out of memory");
			return 1;
		}
	}
	closedir(d);
	if (s->n)
		qsort(s->procs, s->n, sizeof(*s->procs), pid_cmp);

	for (size_t i = 0; i < s->n; i++) {
		struct ic_proc *p = &s->procs[i];

		ret = ic_connect(p);
		if (ret == -ECONNREFUSED || ret == -ENOENT) {
			/* nobody listens: the process exited (or its pid was reused) */
			s->stale++;
			memmove(p, p + 1, (s->n - i - 1) * sizeof(*p));
			s->n--;
			i--;
			continue;
		}
		if (ret == -EACCES || ret == -EPERM) {
			ic_fail(p, "cannot connect to %s: %s (check the modes of the socket "
				"and of %s)", p->path, strerror(-ret), s->dir);
			continue;
		}
		if (ret) {
			ic_fail(p, "cannot connect to %s: %s", p->path, strerror(-ret));
			continue;
		}
		p->info = ic_ask(p, "info");
		if (p->info) {
			const struct jv *prog = jv_get(p->info, "program");

			if (prog && prog->type == JV_STR)
				clean_in_place(prog->s);
		}
	}
	if (s->n == 0)
		return no_publisher(t, s, pid);
	return 0;
}

void ic_close(struct ic_set *s)
{
	for (size_t i = 0; i < s->n; i++) {
		if (s->procs[i].fd >= 0)
			close(s->procs[i].fd);
		jv_free(s->procs[i].info);
		free(s->procs[i].error);
	}
	free(s->procs);
	memset(s, 0, sizeof(*s));
}

int ic_report_errors(const struct tool *t, const struct ic_set *s)
{
	int ret = 0;

	for (size_t i = 0; i < s->n; i++) {
		const struct ic_proc *p = &s->procs[i];

		if (!p->error)
			continue;
		tool_error(t, "pid %ld (%s): %s", p->pid, ic_program(p), p->error);
		ret = 1;
	}
	return ret;
}

/* ---- printing ---- */

static const char *const ic_reserved_keys[] = { "schema", "pid", "program", "library", NULL };

static bool is_reserved(const char *key)
{
	for (const char *const *k = ic_reserved_keys; *k; k++)
		if (strcmp(*k, key) == 0)
			return true;
	return false;
}

static void json_proc_head(const struct ic_proc *p)
{
	pr_int("pid", NULL, p->pid);
	pr_string("program", NULL, jv_str(jv_get(p->info, "program")));
	pr_string("library", NULL, jv_str(jv_get(p->info, "library")));
}

/* One process's pages, asked and printed in turn; the rows printed. */
static unsigned int run_paged(struct tool *t, struct ic_proc *p, const struct ic_query *q)
{
	char cursor[IC_CURSOR_MAX] = "";
	uint64_t left = q->limit;
	unsigned int rows = 0;
	struct jv *last = NULL;
	bool more = true;

	if (q->cursor)
		snprintf(cursor, sizeof(cursor), "%s", q->cursor);
	if (pr_is_json()) {
		pr_open_object(NULL);
		json_proc_head(p);
		pr_open_array(q->paged);
	}
	while (more && !p->error && (!q->limit || left)) {
		struct jv *ans = ask_page(p, q->request, left && left < IC_PAGE ? left : IC_PAGE,
					  cursor);
		const struct jv *arr;
		unsigned int n = 0;

		if (!ans)
			break;
		if (q->keep)
			jv_array_filter(jv_get_array_mut(ans, q->paged), q->keep, q->arg);
		arr = jv_get(ans, q->paged);
		if (pr_is_json()) {
			for (size_t i = 0; arr && arr->type == JV_ARR && i < arr->n; i++, n++)
				jv_emit(NULL, arr->items[i]);
		} else {
			n = q->text(t, p, ans, q->arg);
		}
		rows += n;
		left -= n < left ? n : left;
		more = page_next(p, ans, cursor);
		jv_free(last);
		last = ans;
	}
	if (pr_is_json()) {
		pr_close_array();
		/* the other members as the last page has them ("note" of tir) */
		for (size_t m = 0; last && m < last->n; m++)
			if (!is_reserved(last->keys[m]) && strcmp(last->keys[m], q->paged) &&
			    strcmp(last->keys[m], "next"))
				jv_emit(last->keys[m], last->items[m]);
		if (p->error)
			pr_string("error", NULL, p->error);
		else
			pr_string("next", NULL, more ? cursor : NULL);
		pr_close_object();
	} else if (more && !p->error) {
		pr_text("pid %ld more: cursor %s\n", p->pid, cursor);
	}
	jv_free(last);
	return rows;
}

int ic_run(struct tool *t, struct ic_set *s, const struct ic_query *q, unsigned int *rows)
{
	unsigned int nr_rows = 0;

	pr_open_object(NULL);
	pr_uint("schema", NULL, IC_SCHEMA);
	pr_string("socket_dir", NULL, s->dir);
	pr_open_array("processes");
	for (size_t i = 0; i < s->n; i++) {
		struct ic_proc *p = &s->procs[i];
		struct jv *ans;

		if (q->paged && !p->error) {
			nr_rows += run_paged(t, p, q);
			continue;
		}
		ans = p->error ? NULL : ic_ask(p, q->request);

		if (ans && q->keep) {
			for (const char *const *l = q->lists; l && *l; l++)
				jv_array_filter(jv_get_array_mut(ans, *l), q->keep, q->arg);
		}
		if (pr_is_json()) {
			pr_open_object(NULL);
			json_proc_head(p);
			if (ans) {
				for (size_t m = 0; m < ans->n; m++)
					if (!is_reserved(ans->keys[m]))
						jv_emit(ans->keys[m], ans->items[m]);
				for (const char *const *l = q->lists; l && *l; l++) {
					const struct jv *a = jv_get(ans, *l);

					nr_rows += a && a->type == JV_ARR ? (unsigned int)a->n : 0;
				}
			} else {
				pr_string("error", NULL, p->error);
			}
			pr_close_object();
		} else if (ans) {
			nr_rows += q->text(t, p, ans, q->arg);
		}
		jv_free(ans);
	}
	pr_close_array();
	pr_close_object();
	if (rows)
		*rows = nr_rows;
	return ic_report_errors(t, s);
}

/* ---- text helpers ---- */

const char *ic_clean(const char *s, char *buf, size_t len)
{
	size_t i;

	if (!len)
		return "";
	for (i = 0; s[i] && i + 1 < len; i++)
		buf[i] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? '?' : s[i];
	buf[i] = '\0';
	return buf;
}

const char *ic_scalar(const struct jv *v, char *buf, size_t len)
{
	if (!v || v->type == JV_NULL)
		return "-";
	switch (v->type) {
	case JV_BOOL:
		return v->b ? "yes" : "no";
	case JV_NUM:
		return v->s;
	case JV_STR:
		return v->s[0] ? ic_clean(v->s, buf, len) : "\"\"";
	case JV_ARR: {
		size_t used = 0;

		buf[0] = '\0';
		for (size_t i = 0; i < v->n; i++) {
			const struct jv *e = v->items[i];
			char sub[64];
			int n;

			n = snprintf(buf + used, len - used, "%s%s", i ? "," : "",
				     e->type == JV_ARR || e->type == JV_OBJ ? "..." :
				     ic_scalar(e, sub, sizeof(sub)));
			if (n < 0 || (size_t)n >= len - used)
				break;
			used += (size_t)n;
		}
		return v->n ? buf : "none";
	}
	default:
		return "...";
	}
}

void ic_text_value(const char *fmt, const struct jv *v)
{
	char buf[512];

	pr_text(fmt, ic_scalar(v, buf, sizeof(buf)));
}

static bool in_list(const char *const *list, const char *key)
{
	for (; list && *list; list++)
		if (strcmp(*list, key) == 0)
			return true;
	return false;
}

void ic_line_start(struct ic_line *l, const char *indent, const char *label)
{
	size_t skip = !*label && *indent; /* the first pair's own space takes the indent's last */

	memset(l, 0, sizeof(*l));
	snprintf(l->indent, sizeof(l->indent), "%s", indent);
	pr_text("\n%s%s", l->indent + skip, label);
	l->col = strlen(l->indent) - skip + strlen(label);
}

void ic_line_pair(struct ic_line *l, const char *key, const struct jv *v)
{
	char buf[512];
	const char *val = ic_scalar(v, buf, sizeof(buf));
	size_t len = 2 + strlen(key) + strlen(val);

	if (l->col + len > IC_WRAP && l->col > strlen(l->indent) + 4) {
		pr_text("\n%s   ", l->indent);
		l->col = strlen(l->indent) + 3;
	}
	pr_text(" %s %s", key, val);
	l->col += len;
}

void ic_text_members(const struct jv *obj, const char *const *skip, unsigned int what,
		     struct ic_line *l)
{
	if (!obj || obj->type != JV_OBJ)
		return;
	for (size_t i = 0; (what & IC_SCALARS) && i < obj->n; i++) {
		const struct jv *v = obj->items[i];

		if (in_list(skip, obj->keys[i]) || v->type == JV_OBJ ||
		    (v->type == JV_ARR && v->n && v->items[0]->type == JV_OBJ))
			continue; /* objects, and arrays of objects (rows of their own) */
		if (l) {
			ic_line_pair(l, obj->keys[i], v);
		} else {
			pr_text(" %s", obj->keys[i]);
			ic_text_value(" %s", v);
		}
	}
	for (size_t i = 0; (what & IC_OBJECTS) && i < obj->n; i++) {
		const struct jv *v = obj->items[i];
		struct ic_line sub;
		char indent[sizeof(sub.indent)], label[64];

		if (in_list(skip, obj->keys[i]) || v->type != JV_OBJ)
			continue;
		/* deep nesting stops indenting further; nothing is lost */
		if (snprintf(indent, sizeof(indent), "%s    ", l ? l->indent : "") < 0)
			indent[0] = '\0';
		snprintf(label, sizeof(label), "%s:", obj->keys[i]);
		ic_line_start(&sub, indent, label);
		ic_text_members(v, NULL, IC_SCALARS | IC_OBJECTS, &sub);
	}
}
