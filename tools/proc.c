/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mlx5tls-query proc [show|list] [pid N]: the processes that publish their TLS state
 * (MLX5TLS_PUBLISH=1 or mlx5tls_publish_start()): pid, program, library version, devices and
 * control socket. -d adds each device as the process sees it (kind, firmware, queue pairs, TX
 * contexts, capabilities).
 */
#include <string.h>

#include "inspect_client.h"
#include "query.h"

enum { F_PID, F_NR };

static const struct filter_def proc_filters[] = {
	[F_PID] = { "pid", FILTER_NUMS, NULL },
	[F_NR] = { NULL, 0, NULL },
};

static void proc_help(FILE *fp)
{
	fprintf(fp, "Usage: mlx5tls-query [-d] [-j [-p]] proc [ show | list ] [ pid PIDS ]\n"
		    "The processes that publish their TLS state: pid, program, library, devices,\n"
		    "socket; -d adds each device as the process sees it.\n");
}

static int proc_help_cmd(struct tool *t)
{
	(void)t;
	proc_help(stdout);
	return 0;
}

static const char *const reserved[] = { "schema", "pid", "program", "library", "error", NULL };

static bool is_reserved(const char *key)
{
	for (const char *const *k = reserved; *k; k++)
		if (strcmp(*k, key) == 0)
			return true;
	return false;
}

static void proc_print(const struct tool *t, struct ic_proc *p)
{
	struct jv *dev = t->details && !p->error ? ic_ask(p, "dev") : NULL;
	const struct jv *devs = jv_get(dev, "devices");

	pr_open_object(NULL);
	pr_int("pid", "pid %s", p->pid);
	pr_string("program", " program %s", jv_str(jv_get(p->info, "program")));
	pr_string("library", " library %s", jv_str(jv_get(p->info, "library")));
	if (pr_is_json()) {
		for (size_t m = 0; p->info && m < p->info->n; m++)
			if (!is_reserved(p->info->keys[m]))
				jv_emit(p->info->keys[m], p->info->items[m]);
	} else {
		ic_text_value(" devices %s", jv_get(p->info, "devices"));
	}
	pr_string("socket", t->details ? "\n    socket %s" : NULL, p->path);
	if (p->error)
		pr_string("error", " error: %s", p->error);
	if (devs && devs->type == JV_ARR) {
		if (pr_is_json())
			jv_emit("device_info", devs);
		for (size_t i = 0; !pr_is_json() && i < devs->n; i++) {
			static const char *const skip[] = { "name", NULL };
			struct ic_line l;

			ic_text_value("\n    dev %s", jv_get(devs->items[i], "name"));
			ic_line_start(&l, "        ", "");
			ic_text_members(devs->items[i], skip, IC_SCALARS | IC_OBJECTS, &l);
		}
	}
	pr_close_object();
	pr_nl();
	jv_free(dev);
}

static int proc_show(struct tool *t)
{
	struct filter_val f[F_NR];
	struct ic_set s;
	int ret;

	if (filter_parse(t, proc_filters, f, "proc show") || ic_open(t, &s, &f[F_PID]))
		return 1;
	pr_open_object(NULL);
	pr_uint("schema", NULL, IC_SCHEMA);
	pr_string("socket_dir", NULL, s.dir);
	pr_uint("stale_sockets", NULL, s.stale);
	pr_open_array("processes");
	for (size_t i = 0; i < s.n; i++)
		proc_print(t, &s.procs[i]);
	pr_close_array();
	pr_close_object();
	if (t->details && s.stale)
		pr_text("(%u stale socket%s of exited processes skipped)\n", s.stale,
			s.stale == 1 ? "" : "s");
	ret = ic_report_errors(t, &s);
	ic_close(&s);
	return ret;
}

static const struct tool_cmd proc_cmds[] = {
	{ NULL, proc_show },
	{ "show", proc_show },
	{ "list", proc_show },
	{ "help", proc_help_cmd },
	{ NULL, NULL },
};

int cmd_proc(struct tool *t)
{
	return tool_exec_cmd_default(t, proc_cmds);
}
