/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mlx5tls-query tir [show] [pid N] [tirn N] [ctx N]: the TLS TIRs of the publishing processes' RX
 * contexts, with their QUERY_TIR. A process without RX contexts gets a line saying so (with the
 * process's own note) instead of nothing.
 */
#include "inspect_client.h"
#include "query.h"

enum { F_PID, F_TIRN, F_CTX, F_NR };

static const struct filter_def tir_filters[] = {
	[F_PID] = { "pid", FILTER_NUMS, NULL },
	[F_TIRN] = { "tirn", FILTER_NUMS, NULL },
	[F_CTX] = { "ctx", FILTER_NUMS, NULL },
	[F_NR] = { NULL, 0, NULL },
};

static void tir_help(FILE *fp)
{
	fprintf(fp,
		"Usage: mlx5tls-query [-j [-p]] tir [ show ] [ pid PIDS ] [ tirn TIRNS ] [ ctx IDS ]\n"
		"The TLS TIRs of the publishing processes' RX contexts and their QUERY_TIR\n"
		"(tls_en, inline RQ, transport domain, flows).\n");
}

static int tir_help_cmd(struct tool *t)
{
	(void)t;
	tir_help(stdout);
	return 0;
}

static bool tir_keep(const struct jv *row, const void *arg)
{
	const struct filter_val *f = arg;

	return filter_match_member_num(&f[F_TIRN], row, "tirn") &&
	       filter_match_member_num(&f[F_CTX], row, "context");
}

static unsigned int tir_text(const struct tool *t, const struct ic_proc *p, const struct jv *ans,
			     const void *arg)
{
	static const char *const skip[] = { "tirn", "context", "device", NULL };
	const struct jv *tirs = jv_get(ans, "tirs");
	const char *note = jv_str(jv_get(ans, "note"));
	unsigned int rows = 0;

	(void)t;
	(void)arg;
	for (size_t i = 0; tirs && tirs->type == JV_ARR && i < tirs->n; i++) {
		const struct jv *r = tirs->items[i];

		pr_text("pid %ld", p->pid);
		ic_text_value(" tirn %s", jv_get(r, "tirn"));
		ic_text_value(" ctx %s", jv_get(r, "context"));
		ic_text_value(" dev %s", jv_get(r, "device"));
		ic_text_members(r, skip, IC_SCALARS, NULL);
		ic_text_members(jv_get(r, "query"), skip, IC_SCALARS, NULL);
		pr_nl();
		rows++;
	}
	/* the process says why it has none (on its only page); a page the filters emptied is
	 * not worth a line */
	if (!rows && note && *note) {
		char buf[128];

		pr_text("pid %ld no TIRs (%s)\n", p->pid, ic_clean(note, buf, sizeof(buf)));
	}
	return rows;
}

static int tir_show(struct tool *t)
{
	char request[96] = "tir";
	static const char *const lists[] = { "tirs", NULL };
	struct filter_val f[F_NR];
	struct ic_query q = { .lists = lists, .keep = tir_keep, .arg = f,
			      .text = tir_text, .paged = "tirs" };
	struct ic_set s;
	int ret;

	if (filter_parse(t, tir_filters, f, "tir show"))
		return 1;
	/* the process filters too (less to send; ctx N: no walk); the tool again */
	filter_request_num(request, sizeof(request), "tirn", &f[F_TIRN]);
	filter_request_num(request, sizeof(request), "ctx", &f[F_CTX]);
	q.request = request;
	if (ic_open(t, &s, &f[F_PID]))
		return 1;
	ret = ic_run(t, &s, &q, NULL);
	ic_close(&s);
	return ret;
}

static const struct tool_cmd tir_cmds[] = {
	{ NULL, tir_show },
	{ "show", tir_show },
	{ "list", tir_show },
	{ "help", tir_help_cmd },
	{ NULL, NULL },
};

int cmd_tir(struct tool *t)
{
	return tool_exec_cmd_default(t, tir_cmds);
}
