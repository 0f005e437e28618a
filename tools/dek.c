/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mlx5tls-query dek [show] [pid N] [id N] [ctx N]: the DEKs the publishing processes' TLS contexts
 * hold, as the device reports them (QUERY_GENERAL_OBJECT run inside the owning process): state,
 * key size and purpose, PD, whether pooled. Never key bytes: the device reads them back as zero
 * and the protocol has no member for them.
 */
#include "inspect_client.h"
#include "query.h"

enum { F_PID, F_ID, F_CTX, F_NR };

static const struct filter_def dek_filters[] = {
	[F_PID] = { "pid", FILTER_NUMS, NULL },
	[F_ID] = { "id", FILTER_NUMS, NULL },
	[F_CTX] = { "ctx", FILTER_NUMS, NULL },
	[F_NR] = { NULL, 0, NULL },
};

static void dek_help(FILE *fp)
{
	fprintf(fp,
		"Usage: mlx5tls-query [-j [-p]] dek [ show ] [ pid PIDS ] [ id IDS ] [ ctx IDS ]\n"
		"The DEKs held by the TLS contexts of the publishing processes, as the device\n"
		"reports them: state, key size, purpose, PD, pooled (never key bytes).\n");
}

static int dek_help_cmd(struct tool *t)
{
	(void)t;
	dek_help(stdout);
	return 0;
}

static bool dek_keep(const struct jv *row, const void *arg)
{
	const struct filter_val *f = arg;

	return filter_match_member_num(&f[F_ID], row, "id") &&
	       filter_match_member_num(&f[F_CTX], row, "context");
}

static unsigned int dek_text(const struct tool *t, const struct ic_proc *p, const struct jv *ans,
			     const void *arg)
{
	/* the query repeats "pooled" */
	static const char *const skip[] = { "id", "context", "device", "pooled", NULL };
	const struct jv *deks = jv_get(ans, "deks");
	unsigned int rows = 0;

	(void)t;
	(void)arg;
	for (size_t i = 0; deks && deks->type == JV_ARR && i < deks->n; i++) {
		const struct jv *d = deks->items[i];
		const struct jv *q = jv_get(d, "query");

		pr_text("pid %ld", p->pid);
		ic_text_value(" dek %s", jv_get(d, "id"));
		ic_text_value(" ctx %s", jv_get(d, "context"));
		ic_text_value(" dev %s", jv_get(d, "device"));
		ic_text_value(" pooled %s", jv_get(d, "pooled"));
		ic_text_members(d, skip, IC_SCALARS, NULL);
		ic_text_members(q, skip, IC_SCALARS, NULL);
		pr_nl();
		rows++;
	}
	return rows;
}

static int dek_show(struct tool *t)
{
	char request[96] = "dek";
	static const char *const lists[] = { "deks", NULL };
	struct filter_val f[F_NR];
	struct ic_query q = { .lists = lists, .keep = dek_keep, .arg = f,
			      .text = dek_text, .paged = "deks" };
	unsigned int rows = 0;
	struct ic_set s;
	int ret;

	if (filter_parse(t, dek_filters, f, "dek show"))
		return 1;
	/* the process filters too (less to send; ctx N: no walk); the tool again */
	filter_request_num(request, sizeof(request), "id", &f[F_ID]);
	filter_request_num(request, sizeof(request), "ctx", &f[F_CTX]);
	q.request = request;
	if (ic_open(t, &s, &f[F_PID]))
		return 1;
	ret = ic_run(t, &s, &q, &rows);
	if (!t->json && !rows && !ret)
		pr_text("no DEK%s in %zu process%s\n",
			f[F_ID].set || f[F_CTX].set ? " matches" : "", s.n, s.n == 1 ? "" : "es");
	ic_close(&s);
	return ret;
}

static const struct tool_cmd dek_cmds[] = {
	{ NULL, dek_show },
	{ "show", dek_show },
	{ "list", dek_show },
	{ "help", dek_help_cmd },
	{ NULL, NULL },
};

int cmd_dek(struct tool *t)
{
	return tool_exec_cmd_default(t, dek_cmds);
}
