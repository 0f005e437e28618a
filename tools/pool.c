/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mlx5tls-query pool [show] [pid N]: the DEK pools (bulk DEKs, reuse after SYNC_CRYPTO) and TIS
 * pools of the publishing processes, per device: how many objects are in use, ready, waiting for
 * a sync, and what the pools cost in firmware commands. dev DEV: the pools of DEV only.
 */
#include "inspect_client.h"
#include "query.h"

enum { F_PID, F_NR };

static const struct filter_def pool_filters[] = {
	[F_PID] = { "pid", FILTER_NUMS, NULL },
	[F_NR] = { NULL, 0, NULL },
};

static void pool_help(FILE *fp)
{
	fprintf(fp, "Usage: mlx5tls-query [-j [-p]] pool [ show ] [ pid PIDS ]\n"
		    "The DEK and TIS pools of the publishing processes: in use, ready, awaiting\n"
		    "SYNC_CRYPTO, bulks, creations and destructions.\n");
}

static int pool_help_cmd(struct tool *t)
{
	(void)t;
	pool_help(stdout);
	return 0;
}

static bool pool_keep(const struct jv *row, const void *arg)
{
	return filter_match_device(arg, jv_str(jv_get(row, "device")));
}

static unsigned int pool_rows(const struct ic_proc *p, const struct jv *pools, const char *what)
{
	static const char *const skip[] = { "device", NULL };
	unsigned int rows = 0;

	for (size_t i = 0; pools && pools->type == JV_ARR && i < pools->n; i++) {
		const struct jv *r = pools->items[i];
		struct ic_line l;

		pr_text("pid %ld %s", p->pid, what);
		ic_text_value(" dev %s", jv_get(r, "device"));
		ic_line_start(&l, "    ", "");
		ic_text_members(r, skip, IC_SCALARS | IC_OBJECTS, &l);
		pr_nl();
		rows++;
	}
	return rows;
}

static unsigned int pool_text(const struct tool *t, const struct ic_proc *p, const struct jv *ans,
			      const void *arg)
{
	unsigned int rows;

	(void)t;
	(void)arg;
	rows = pool_rows(p, jv_get(ans, "dek_pools"), "dek_pool");
	rows += pool_rows(p, jv_get(ans, "tis_pools"), "tis_pool");
	if (!rows)
		pr_text("pid %ld no pools\n", p->pid);
	return rows;
}

static int pool_show(struct tool *t)
{
	static const char *const lists[] = { "dek_pools", "tis_pools", NULL };
	struct filter_val f[F_NR];
	struct ic_query q = { .request = "pool", .lists = lists, .keep = pool_keep,
			      .arg = t->dev_name, .text = pool_text };
	struct ic_set s;
	int ret;

	if (filter_parse(t, pool_filters, f, "pool show") || ic_open(t, &s, &f[F_PID]))
		return 1;
	ret = ic_run(t, &s, &q, NULL);
	ic_close(&s);
	return ret;
}

static const struct tool_cmd pool_cmds[] = {
	{ NULL, pool_show },
	{ "show", pool_show },
	{ "list", pool_show },
	{ "help", pool_help_cmd },
	{ NULL, NULL },
};

int cmd_pool(struct tool *t)
{
	return tool_exec_cmd_default(t, pool_cmds);
}
