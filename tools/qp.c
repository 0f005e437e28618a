/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mlx5tls-query qp [show] [pid N] [sqn N]: the raw Ethernet queue pairs of the publishing
 * processes: ring size, WQEBBs in flight, TLS contexts on the queue, WQEs, doorbells, error
 * recoveries. dev DEV: the queues of DEV only.
 */
#include "inspect_client.h"
#include "query.h"

enum { F_PID, F_SQN, F_NR };

static const struct filter_def qp_filters[] = {
	[F_PID] = { "pid", FILTER_NUMS, NULL },
	[F_SQN] = { "sqn", FILTER_NUMS, NULL },
	[F_NR] = { NULL, 0, NULL },
};

struct qp_filter {
	const struct filter_val *f;
	const char *dev;
};

static void qp_help(FILE *fp)
{
	fprintf(fp,
		"Usage: mlx5tls-query [-j [-p]] qp [ show ] [ pid PIDS ] [ sqn SQNS ]\n"
		"The queue pairs of the publishing processes: ring, in flight, TLS contexts,\n"
		"WQEs, doorbells, recoveries.\n");
}

static int qp_help_cmd(struct tool *t)
{
	(void)t;
	qp_help(stdout);
	return 0;
}

static bool qp_keep(const struct jv *row, const void *arg)
{
	const struct qp_filter *qf = arg;

	return filter_match_member_num(&qf->f[F_SQN], row, "sqn") &&
	       filter_match_device(qf->dev, jv_str(jv_get(row, "device")));
}

static unsigned int qp_text(const struct tool *t, const struct ic_proc *p, const struct jv *ans,
			    const void *arg)
{
	static const char *const skip[] = { "sqn", "device", NULL };
	const struct jv *qps = jv_get(ans, "qps");
	unsigned int rows = 0;

	(void)t;
	(void)arg;
	for (size_t i = 0; qps && qps->type == JV_ARR && i < qps->n; i++) {
		const struct jv *r = qps->items[i];
		struct ic_line l;

		pr_text("pid %ld", p->pid);
		ic_text_value(" qp %s", jv_get(r, "sqn"));
		ic_text_value(" dev %s", jv_get(r, "device"));
		ic_line_start(&l, "    ", "");
		ic_text_members(r, skip, IC_SCALARS | IC_OBJECTS, &l);
		pr_nl();
		rows++;
	}
	return rows;
}

static int qp_show(struct tool *t)
{
	static const char *const lists[] = { "qps", NULL };
	struct filter_val f[F_NR];
	struct qp_filter qf = { .f = f, .dev = t->dev_name };
	struct ic_query q = { .request = "qp", .lists = lists, .keep = qp_keep, .arg = &qf,
			      .text = qp_text };
	unsigned int rows = 0;
	struct ic_set s;
	int ret;

	if (filter_parse(t, qp_filters, f, "qp show") || ic_open(t, &s, &f[F_PID]))
		return 1;
	ret = ic_run(t, &s, &q, &rows);
	if (!t->json && !rows && !ret)
		pr_text("no queue pair%s in %zu process%s\n", f[F_SQN].set || t->dev_name ?
			" matches" : "", s.n, s.n == 1 ? "" : "es");
	ic_close(&s);
	return ret;
}

static const struct tool_cmd qp_cmds[] = {
	{ NULL, qp_show },
	{ "show", qp_show },
	{ "list", qp_show },
	{ "help", qp_help_cmd },
	{ NULL, NULL },
};

int cmd_qp(struct tool *t)
{
	return tool_exec_cmd_default(t, qp_cmds);
}
