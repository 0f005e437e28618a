/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mlx5tls-query trace show FILE [opcode NAME] [status ok|failed]: decode a MLX5TLS_TRACE file (one
 * JSON object per line; "-" reads standard input): per firmware command, the opcode by name, the
 * op_mod or object type by name, status and syndrome (with the model's text when the record has
 * it) and the fields of both mailboxes. dev DEV keeps the commands of DEV only.
 *
 * A record's kind is its "kind" member, "cmd" when absent. The decoder is a table of kinds so that
 * records of WQEs ("wqe": static and progress parameters) can be added by the library without
 * touching the command decoder; unknown kinds are listed as not decoded.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "filter.h"
#include "json.h"
#include "query.h"
#include "trace_decode.h"

static const char *const status_words[] = { "ok", "failed", NULL };

enum { F_OPCODE, F_STATUS, F_NR };

static const struct filter_def trace_filters[] = {
	[F_OPCODE] = { "opcode", FILTER_ARG, NULL },
	[F_STATUS] = { "status", FILTER_WORD, status_words },
	[F_NR] = { NULL, 0, NULL },
};

struct trace_show {
	const struct tool *t;
	const struct filter_val *f;
	bool have_opcode;
	uint16_t opcode;
	unsigned long commands, failed, shown, bad, unmasked, other;
};

static void trace_help(FILE *fp)
{
	fprintf(fp,
		"Usage: mlx5tls-query [-d] [-j [-p]] trace show FILE\n"
		"                     [ opcode NAME ] [ status { ok | failed } ]\n"
		"Decodes a MLX5TLS_TRACE file (- for standard input): each firmware command\n"
		"with its opcode, op_mod/object type, status and syndrome names and the fields\n"
		"of both mailboxes (key bytes are never shown). NAME: CREATE_TIS, 0x912, ...\n");
}

static int trace_help_cmd(struct tool *t)
{
	(void)t;
	trace_help(stdout);
	return 0;
}

/* "0x0a00" (the library writes hex strings) or a number. */
static bool hex_member(const struct jv *rec, const char *key, uint64_t *out)
{
	const struct jv *v = jv_get(rec, key);
	const char *s = jv_str(v);
	char *end = NULL;

	if (!s)
		return jv_u64(v, out);
	errno = 0;
	*out = strtoull(s, &end, 0);
	return !errno && end != s && !*end;
}

/* A member passed on as it is: the JSON value unchanged, in text " key value". */
static void pass_on(const char *key, const struct jv *v)
{
	if (pr_is_json()) {
		jv_emit(key, v);
		return;
	}
	pr_text(" %s", key);
	if (v->type == JV_NUM)
		pr_number(key, " %s", v->s);
	else if (v->type == JV_STR)
		pr_string(key, " %s", v->s);
	else if (v->type == JV_BOOL)
		pr_bool(key, " %s", v->b);
}

/* The members every kind of record may carry: where and when. */
static void print_origin(const struct jv *rec)
{
	const struct jv *v;

	if ((v = jv_get(rec, "seq")))
		pass_on("seq", v);
	if ((v = jv_get(rec, "time")) || (v = jv_get(rec, "ts")))
		pass_on("time", v);
	if ((v = jv_get(rec, "pid")))
		pass_on("pid", v);
	pr_string("dev", " %s", jv_str(jv_get(rec, "dev")));
}

static bool show_cmd(struct trace_show *ts, unsigned long line, const struct jv *rec)
{
	const char *name, *status_name, *syn_text = jv_str(jv_get(rec, "syndrome_text"));
	const char *in = jv_str(jv_get(rec, "in")), *out = jv_str(jv_get(rec, "out"));
	uint64_t opcode = 0, op_mod = 0, obj_type = 0, status = 0, syndrome = 0;
	struct trace_cmd c;
	bool ok;

	if (!hex_member(rec, "opcode", &opcode) || opcode > 0xffff || !in || !out) {
		tool_error(ts->t, "line %lu: a command record without opcode, in or out", line);
		ts->bad++;
		return false;
	}
	(void)hex_member(rec, "op_mod", &op_mod);
	(void)hex_member(rec, "obj_type", &obj_type);
	(void)hex_member(rec, "syndrome", &syndrome);
	(void)jv_u64(jv_get(rec, "status"), &status);
	memset(&c, 0, sizeof(c));
	c.opcode = (uint16_t)opcode;
	c.op_mod = (uint16_t)op_mod;
	c.obj_type = (uint16_t)obj_type;
	c.general_obj = opcode >= 0xa00 && opcode <= 0xa03;
	c.status = (uint8_t)status;
	ts->commands++;
	ok = status == 0;
	ts->failed += !ok;

	if (ts->have_opcode && c.opcode != ts->opcode)
		return true;
	if (ts->f[F_STATUS].set && ok != (strcmp(ts->f[F_STATUS].word, "ok") == 0))
		return true;
	if (trace_mbox_parse(in, &c.in) || trace_mbox_parse(out, &c.out)) {
		tool_error(ts->t, "line %lu: a mailbox is not hex", line);
		trace_mbox_free(&c.in);
		ts->bad++;
		return false;
	}
	ts->shown++;
	name = trace_opcode_name(c.opcode);
	if (!name)
		name = jv_str(jv_get(rec, "name"));
	status_name = mlx5tls_fw_status_str(c.status);

	pr_open_object(NULL);
	pr_uint("line", "line %s", line);
	pr_string("kind", NULL, "cmd");
	print_origin(rec);
	pr_string("name", " %s", name ? name : "UNKNOWN");
	pr_hex("opcode", " (opcode %s)", c.opcode);
	trace_print_op_mod(&c);
	pr_uint("status", NULL, c.status);
	pr_string("status_name", " status %s", status_name ? status_name : "unknown status");
	if (!ok || ts->t->details) {
		pr_text(" (0x%02x)", c.status);
		pr_hex("syndrome", " syndrome %s", syndrome);
	} else {
		pr_hex("syndrome", NULL, syndrome);
	}
	if (syn_text)
		pr_string("syndrome_text", " (%s)", syn_text);
	if (trace_print_cmd_fields(&c, ts->t->details))
		ts->unmasked++;
	pr_close_object();
	pr_nl();
	trace_mbox_free(&c.in);
	trace_mbox_free(&c.out);
	return true;
}

/* Kind "wqe": {"kind":"wqe","wqe":"static_params","dev":...,"sqn":N,"obj":"tis","tisn":N,
 * "data":"HEX"} (RX: "obj":"tir","tirn":N). */
static bool show_wqe(struct trace_show *ts, unsigned long line, const struct jv *rec)
{
	const char *what = jv_str(jv_get(rec, "wqe")), *data = jv_str(jv_get(rec, "data"));
	struct trace_mbox d;

	if (ts->have_opcode || ts->f[F_STATUS].set)
		return true; /* the filters select firmware commands */
	if (!what || !data || trace_mbox_parse(data, &d)) {
		tool_error(ts->t, "line %lu: a wqe record without wqe or hex data", line);
		ts->bad++;
		return false;
	}
	ts->shown++;
	pr_open_object(NULL);
	pr_uint("line", "line %s", line);
	pr_string("kind", " %s", "wqe");
	print_origin(rec);
	if (jv_get(rec, "sqn"))
		pass_on("sqn", jv_get(rec, "sqn"));
	/* the object the parameters configure: a TIS (TX) or a TIR (RX) */
	if (jv_get(rec, "tisn"))
		pass_on("tisn", jv_get(rec, "tisn"));
	if (jv_get(rec, "tirn"))
		pass_on("tirn", jv_get(rec, "tirn"));
	pr_string("wqe", " %s", what);
	pr_open_object("fields");
	pr_text("\n   ");
	if (!trace_print_wqe_params(what, &d))
		pr_bool("decoded", " decoded %s", false);
	pr_close_object();
	pr_close_object();
	pr_nl();
	trace_mbox_free(&d);
	return true;
}

static const struct trace_kind {
	const char *name;
	bool (*show)(struct trace_show *ts, unsigned long line, const struct jv *rec);
} trace_kinds[] = {
	{ "cmd", show_cmd },
	{ "wqe", show_wqe },
};

static void show_record(struct trace_show *ts, unsigned long line, const struct jv *rec)
{
	const char *kind = jv_str(jv_get(rec, "kind"));

	if (!filter_match_device(ts->t->dev_name, jv_str(jv_get(rec, "dev"))))
		return;
	if (!kind)
		kind = "cmd";
	for (size_t i = 0; i < sizeof(trace_kinds) / sizeof(trace_kinds[0]); i++) {
		if (strcmp(trace_kinds[i].name, kind) == 0) {
			trace_kinds[i].show(ts, line, rec);
			return;
		}
	}
	ts->other++;
	if (ts->have_opcode || ts->f[F_STATUS].set)
		return;
	pr_open_object(NULL);
	pr_uint("line", "line %s", line);
	pr_string("kind", " kind %s", kind);
	pr_bool("decoded", NULL, false);
	pr_text(" (not decoded: this mlx5tls-query knows cmd and wqe records)");
	pr_close_object();
	pr_nl();
}

static int trace_show(struct tool *t)
{
	struct filter_val f[F_NR];
	struct trace_show ts = { .t = t, .f = f };
	const char *path = tool_word(t);
	unsigned long line = 0;
	char *buf = NULL, err[128];
	size_t cap = 0;
	ssize_t len;
	FILE *fp;

	if (!path) {
		tool_error(t, "trace show needs a FILE (a MLX5TLS_TRACE file, - for stdin)");
		return 1;
	}
	tool_next(t);
	if (filter_parse(t, trace_filters, f, "trace show"))
		return 1;
	if (f[F_OPCODE].set) {
		ts.have_opcode = trace_opcode_lookup(f[F_OPCODE].word, &ts.opcode);
		if (!ts.have_opcode) {
			tool_error(t, "trace show: unknown opcode '%s' (a name such as CREATE_TIS, "
				   "or a number)", f[F_OPCODE].word);
			return 1;
		}
	}
	fp = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
	if (!fp) {
		tool_error(t, "cannot open %s: %s", path, strerror(errno));
		return 1;
	}

	pr_open_object(NULL);
	pr_string("file", NULL, path);
	pr_open_array("records");
	while ((len = getline(&buf, &cap, fp)) >= 0) {
		struct jv *rec;

		line++;
		while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
			buf[--len] = '\0';
		if (len == 0)
			continue;
		rec = jv_parse(buf, (size_t)len, err, sizeof(err));
		if (!rec || rec->type != JV_OBJ) {
			tool_error(t, "%s:%lu: not a trace record (%s)", path,
				line, rec ? "not a JSON object" : err);
			ts.bad++;
		} else {
			show_record(&ts, line, rec);
		}
		jv_free(rec);
	}
	free(buf);
	if (ferror(fp)) {
		tool_error(t, "reading %s: %s", path, strerror(errno));
		ts.bad++;
	}
	if (fp != stdin)
		fclose(fp);
	pr_close_array();
	pr_open_object("summary");
	pr_uint("commands", "%s commands", ts.commands);
	pr_uint("failed", ", %s failed", ts.failed);
	pr_uint("shown", ", %s shown", ts.shown);
	pr_uint("other_records", ts.other ? ", %s records of other kinds" : NULL, ts.other);
	pr_uint("bad_lines", ts.bad ? ", %s bad lines" : NULL, ts.bad);
	pr_uint("unmasked_keys", ts.unmasked ? ", %s commands with UNMASKED key bytes" : NULL,
		ts.unmasked);
	pr_text("\n");
	pr_close_object();
	pr_close_object();
	if (ts.unmasked)
		tool_error(t, "%s: %lu commands carry key bytes in clear (not shown); delete the file",
			   path, ts.unmasked);
	return ts.bad || ts.unmasked ? 1 : 0;
}

static const struct tool_cmd trace_cmds[] = {
	{ NULL, trace_help_cmd },
	{ "show", trace_show },
	{ "help", trace_help_cmd },
	{ NULL, NULL },
};

int cmd_trace(struct tool *t)
{
	return tool_exec_cmd(t, trace_cmds, "trace command");
}
