/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mlx5tls-query ctx [show|list] [pid N] [id N] [dir tx|rx] [path device|software|demoted]
 * [limit N] [cursor C]: the TLS contexts of the publishing processes, one row each: where the
 * context is (pid, id, device, direction), what it runs (version, cipher), whether the NIC really
 * does the crypto (path, and why not), its device objects (DEK and TIS - TIR for an RX context -
 * as the device reports them on query), the record tracker and the key counters. -d adds every
 * member of the answer.
 *
 * Every context is shown: the process answers 1000 at a time and the tool asks for the next page
 * until the last (inspect_client.c), printing each page as it comes. limit N stops after N rows
 * per process and prints where to go on from (cursor C, for one pid).
 */
#include <string.h>

#include "inspect_client.h"
#include "query.h"

static const char *const dir_words[] = { "tx", "rx", NULL };
static const char *const path_words[] = { "device", "software", "demoted", NULL };

/* the connection filters (conn.c) come first, then ctx's own */
enum { F_PID = CONN_F_NR, F_ID, F_DIR, F_PATH, F_LIMIT, F_CURSOR, F_NR };

static struct filter_def ctx_filters[F_NR + 1];

static void ctx_filters_init(void)
{
	memcpy(ctx_filters, conn_filter_defs, sizeof(conn_filter_defs));
	ctx_filters[F_PID] = (struct filter_def){ "pid", FILTER_NUMS, NULL };
	ctx_filters[F_ID] = (struct filter_def){ "id", FILTER_NUMS, NULL };
	ctx_filters[F_DIR] = (struct filter_def){ "dir", FILTER_WORD, dir_words };
	ctx_filters[F_PATH] = (struct filter_def){ "path", FILTER_WORD, path_words };
	ctx_filters[F_LIMIT] = (struct filter_def){ "limit", FILTER_UINT, NULL };
	ctx_filters[F_CURSOR] = (struct filter_def){ "cursor", FILTER_ARG, NULL };
	ctx_filters[F_NR] = (struct filter_def){ NULL, 0, NULL };
}

struct ctx_filter {
	const struct filter_val *f;
	const char *dev;
};

static void ctx_help(FILE *fp)
{
	fprintf(fp,
		"Usage: mlx5tls-query [-d] [-j [-p]] ctx [ show | list ] [ pid PIDS ]\n"
		"                     [ id IDS ] [ dir { tx | rx } ]\n"
		"                     [ path { device | software | demoted } ]\n"
		"                     [ limit N ] [ cursor C ]\n"
		"The TLS contexts of the processes that publish (MLX5TLS_PUBLISH=1): device,\n"
		"direction, suite, offload path and why, DEK and TIS (TIR for RX) as the\n"
		"device reports them, record tracker and counters. PIDS/IDS: numbers and\n"
		"ranges, 1,3-5; dev DEV shows the contexts of DEV only; -d prints every member.\n"
		"Every context is shown, asked 1000 at a time; limit N stops after N per\n"
		"process and prints \"pid P more: cursor C\"; cursor C (with pid P) goes on there.\n");
}

static int ctx_help_cmd(struct tool *t)
{
	(void)t;
	ctx_help(stdout);
	return 0;
}

static bool ctx_keep(const struct jv *row, const void *arg)
{
	const struct ctx_filter *cf = arg;

	return filter_match_member_num(&cf->f[F_ID], row, "id") &&
	       conn_filter_match(cf->f, row) &&
	       filter_match_word(&cf->f[F_DIR], jv_str(jv_get(row, "dir"))) &&
	       filter_match_word(&cf->f[F_PATH], jv_str(jv_get(row, "path"))) &&
	       filter_match_device(cf->dev, jv_str(jv_get(row, "device")));
}

/* The counters worth a glance; every counter with -d. */
static const char *const key_counters[] = {
	"tx_tls_encrypted_packets", "tx_tls_encrypted_bytes", "tx_tls_sw_packets",
	"tx_tls_sw_bytes", "tx_tls_ooo", "tx_tls_retx_bytes", "tx_tls_drop_no_sync_data",
	"rx_tls_decrypted_packets", "rx_tls_decrypted_bytes", "rx_tls_resync_req_pkt",
	"rx_tls_err", "records", "by_device", "by_software", "resync_answers",
	"untrusted_packets", NULL,
};

static const char *const key_tracker[] = {
	"next_tcp_sn", "expected_tcp_sn", "next_record", "records_held", "resync_pending",
	"failed", NULL,
};

static void print_some(const char *label, const struct jv *obj, const char *const *keys,
		       bool all)
{
	struct ic_line l;

	if (!obj || obj->type != JV_OBJ)
		return;
	ic_line_start(&l, "    ", label);
	if (all) {
		ic_text_members(obj, NULL, IC_SCALARS, &l);
		return;
	}
	for (const char *const *k = keys; *k; k++)
		if (jv_get(obj, *k))
			ic_line_pair(&l, *k, jv_get(obj, *k));
}

/* "dek 4096 ready", "dek 4096 (query failed: ...)", "dek -" */
static void print_dek(const struct jv *ctx)
{
	const struct jv *dek = jv_get(ctx, "dek");
	const struct jv *q = jv_get(dek, "query");
	const char *qerr = jv_str(jv_get(dek, "query_error"));
	char buf[256];

	ic_text_value(" dek %s", jv_get(dek, "id"));
	if (q && q->type == JV_OBJ)
		ic_text_value(" %s", jv_get(q, "state"));
	else if (qerr)
		pr_text(" (query failed: %s)", ic_clean(qerr, buf, sizeof(buf)));
}

/* "tisn 5 tls_en true" for TX, "tirn 7 tls_en true" for RX (which has a TIR instead) */
static void print_tis(const struct jv *ctx)
{
	bool rx = jv_get(ctx, "tir") != NULL;
	const struct jv *tis = jv_get(ctx, rx ? "tir" : "tis");
	const struct jv *q = jv_get(tis, "query");
	const char *qerr = jv_str(jv_get(tis, "query_error"));
	char buf[256];

	ic_text_value(rx ? " tirn %s" : " tisn %s", jv_get(tis, rx ? "tirn" : "tisn"));
	if (q && q->type == JV_OBJ)
		ic_text_value(" tls_en %s", jv_get(q, "tls_en"));
	else if (qerr)
		pr_text(" (query failed: %s)", ic_clean(qerr, buf, sizeof(buf)));
}

static unsigned int ctx_text(const struct tool *t, const struct ic_proc *p, const struct jv *ans,
			     const void *arg)
{
	static const char *const shown[] = {
		"id", "device", "dir", "conn", "label", "tls_version", "cipher", "path", "reason",
		"key_epoch", "stop", "dek", "tis", "tir", "tracker", "counters", NULL,
	};
	const struct jv *ctxs = jv_get(ans, "contexts");
	unsigned int rows = 0;

	(void)arg;
	if (!ctxs || ctxs->type != JV_ARR)
		return 0;
	for (size_t i = 0; i < ctxs->n; i++) {
		const struct jv *c = ctxs->items[i];
		const char *reason = jv_str(jv_get(c, "reason"));

		pr_text("pid %ld", p->pid);
		ic_text_value(" ctx %s", jv_get(c, "id"));
		ic_text_value(" dev %s", jv_get(c, "device"));
		ic_text_value(" dir %s", jv_get(c, "dir"));
		ic_text_value(" tls %s", jv_get(c, "tls_version"));
		ic_text_value(" %s", jv_get(c, "cipher"));
		ic_text_value(" path %s", jv_get(c, "path"));
		if (reason && *reason) {
			char buf[256];

			pr_text(" (%s)", ic_clean(reason, buf, sizeof(buf)));
		}
		/* RX: the key epoch and, once input stopped, why */
		if (jv_get(c, "key_epoch"))
			ic_text_value(" key_epoch %s", jv_get(c, "key_epoch"));
		if (jv_str(jv_get(c, "stop")) && strcmp(jv_str(jv_get(c, "stop")), "none"))
			ic_text_value(" stop %s", jv_get(c, "stop"));
		print_dek(c);
		print_tis(c);
		conn_print_endpoints(c);
		print_some("tracker", jv_get(c, "tracker"), key_tracker, t->details);
		print_some("counters", jv_get(c, "counters"), key_counters, t->details);
		if (t->details) {
			struct ic_line l;

			/* the rest: other members, DEK, TIS, progress as the answer has them */
			ic_line_start(&l, "    ", "");
			ic_text_members(c, shown, IC_SCALARS, &l);
			ic_line_start(&l, "    ", "dek:");
			ic_text_members(jv_get(c, "dek"), NULL, IC_SCALARS | IC_OBJECTS, &l);
			if (jv_get(c, "tir")) {
				ic_line_start(&l, "    ", "tir:");
				ic_text_members(jv_get(c, "tir"), NULL, IC_SCALARS | IC_OBJECTS,
						&l);
			} else {
				ic_line_start(&l, "    ", "tis:");
				ic_text_members(jv_get(c, "tis"), NULL, IC_SCALARS | IC_OBJECTS,
						&l);
			}
			ic_text_members(c, shown, IC_OBJECTS, NULL);
		}
		pr_nl();
		rows++;
	}
	return rows;
}

static int ctx_show(struct tool *t)
{
	struct filter_val f[F_NR];
	struct ctx_filter cf = { .f = f, .dev = t->dev_name };
	static const char *const lists[] = { "contexts", NULL };
	struct ic_query q = { .lists = lists, .keep = ctx_keep, .arg = &cf, .text = ctx_text };
	char request[200] = "ctx";
	unsigned int rows = 0;
	struct ic_set s;
	int ret;

	ctx_filters_init();
	if (filter_parse(t, ctx_filters, f, "ctx show") || conn_filter_check(t, f))
		return 1;
	if (f[F_LIMIT].set && !f[F_LIMIT].num) {
		tool_error(t, "ctx show: limit must be at least 1");
		return 1;
	}
	/* a cursor is one process's place in its own contexts */
	if (f[F_CURSOR].set && !(f[F_PID].set && f[F_PID].single)) {
		tool_error(t, "ctx show: cursor needs the one pid it came from (pid P cursor C)");
		return 1;
	}
	if (f[F_CURSOR].set && (strlen(f[F_CURSOR].arg) >= IC_CURSOR_MAX ||
				strpbrk(f[F_CURSOR].arg, " \t\n"))) {
		tool_error(t, "ctx show: bad cursor \"%.64s\"", f[F_CURSOR].arg);
		return 1;
	}
	/* The process filters too (less to send); the tool filters again for ranges and -d. */
	if (f[F_ID].set && f[F_ID].single)
		snprintf(request + strlen(request), sizeof(request) - strlen(request), " id %llu",
			 (unsigned long long)f[F_ID].lo[0]);
	if (f[F_DIR].set)
		snprintf(request + strlen(request), sizeof(request) - strlen(request), " dir %s",
			 f[F_DIR].word);
	if (f[F_PATH].set)
		snprintf(request + strlen(request), sizeof(request) - strlen(request), " path %s",
			 f[F_PATH].word);
	q.request = request;
	q.paged = "contexts";
	q.limit = f[F_LIMIT].set ? f[F_LIMIT].num : 0;
	q.cursor = f[F_CURSOR].set ? f[F_CURSOR].arg : NULL;

	if (ic_open(t, &s, &f[F_PID]))
		return 1;
	ret = ic_run(t, &s, &q, &rows);
	if (!t->json && rows == 0 && !ret)
		pr_text("no TLS context%s in %zu process%s\n",
			f[F_ID].set || f[F_DIR].set || f[F_PATH].set || conn_filter_active(f) ||
			t->dev_name ?
			" matches" : "", s.n, s.n == 1 ? "" : "es");
	ic_close(&s);
	return ret;
}

static const struct tool_cmd ctx_cmds[] = {
	{ NULL, ctx_show },
	{ "show", ctx_show },
	{ "list", ctx_show },
	{ "help", ctx_help_cmd },
	{ NULL, NULL },
};

int cmd_ctx(struct tool *t)
{
	return tool_exec_cmd_default(t, ctx_cmds);
}
