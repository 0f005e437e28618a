/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mlx5tls-query tis [show] [pid N] [tisn N] [ctx N]: the TLS TISes of the publishing processes'
 * TX contexts, as the device reports them (QUERY_TIS run inside the owning process): tls_en, PD,
 * transport domain, whether pooled.
 */
#include "inspect_client.h"
#include "query.h"

enum { F_PID, F_TISN, F_CTX, F_NR };

static const struct filter_def tis_filters[] = {
	[F_PID] = { "pid", FILTER_NUMS, NULL },
	[F_TISN] = { "tisn", FILTER_NUMS, NULL },
	[F_CTX] = { "ctx", FILTER_NUMS, NULL },
	[F_NR] = { NULL, 0, NULL },
};

static void tis_help(FILE *fp)
{
	fprintf(fp,
		"Usage: mlx5tls-query [-j [-p]] tis [ show ] [ pid PIDS ] [ tisn TISNS ]\n"
		"                     [ ctx IDS ]\n"
		"The TLS TISes of the publishing processes' TX contexts, as the device\n"
		"reports them (QUERY_TIS): tls_en, PD, transport domain, pooled.\n");
}

static int tis_help_cmd(struct tool *t)
{
	(void)t;
	tis_help(stdout);
	return 0;
}

static bool tis_keep(const struct jv *row, const void *arg)
{
	const struct filter_val *f = arg;

	return filter_match_member_num(&f[F_TISN], row, "tisn") &&
	       filter_match_member_num(&f[F_CTX], row, "context");
}

static unsigned int tis_text(const struct tool *t, const struct ic_proc *p, const struct jv *ans,
			     const void *arg)
{
	static const char *const skip[] = { "tisn", "context", "device", "pooled", NULL };
	const struct jv *tises = jv_get(ans, "tises");
	unsigned int rows = 0;

	(void)t;
	(void)arg;
	for (size_t i = 0; tises && tises->type == JV_ARR && i < tises->n; i++) {
		const struct jv *r = tises->items[i];

		pr_text("pid %ld", p->pid);
		ic_text_value(" tisn %s", jv_get(r, "tisn"));
		ic_text_value(" ctx %s", jv_get(r, "context"));
		ic_text_value(" dev %s", jv_get(r, "device"));
		ic_text_value(" pooled %s", jv_get(r, "pooled"));
		ic_text_members(r, skip, IC_SCALARS, NULL);
		ic_text_members(jv_get(r, "query"), skip, IC_SCALARS, NULL);
		pr_nl();
		rows++;
	}
	return rows;
}

static int tis_show(struct tool *t)
{
	char request[96] = "tis";
	static const char *const lists[] = { "tises", NULL };
	struct filter_val f[F_NR];
	struct ic_query q = { .lists = lists, .keep = tis_keep, .arg = f,
			      .text = tis_text, .paged = "tises" };
	unsigned int rows = 0;
	struct ic_set s;
	int ret;

	if (filter_parse(t, tis_filters, f, "tis show"))
		return 1;
	/* the process filters too (less to send; ctx N: no walk); the tool again */
	filter_request_num(request, sizeof(request), "tisn", &f[F_TISN]);
	filter_request_num(request, sizeof(request), "ctx", &f[F_CTX]);
	q.request = request;
	if (ic_open(t, &s, &f[F_PID]))
		return 1;
	ret = ic_run(t, &s, &q, &rows);
	if (!t->json && !rows && !ret)
		pr_text("no TIS%s in %zu process%s\n", f[F_TISN].set || f[F_CTX].set ?
			" matches" : "", s.n, s.n == 1 ? "" : "es");
	ic_close(&s);
	return ret;
}

static const struct tool_cmd tis_cmds[] = {
	{ NULL, tis_show },
	{ "show", tis_show },
	{ "list", tis_show },
	{ "help", tis_help_cmd },
	{ NULL, NULL },
};

int cmd_tis(struct tool *t)
{
	return tool_exec_cmd_default(t, tis_cmds);
}
