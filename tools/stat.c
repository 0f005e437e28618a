/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mlx5tls-query stat show [pid N]: the device counters of the publishing processes, by the
 * kernel's names (tx_tls_ooo, tx_tls_drop_no_sync_data, ...), per process and device.
 * mlx5tls-query stat watch [pid N] [interval S] [count N]: sample them every S seconds and print
 * the counters that changed, with the change and the rate per second. With -j each sample is
 * one JSON document on its own line (JSON Lines), so a consumer can read them as they come.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "inspect_client.h"
#include "query.h"

enum { F_PID, F_INTERVAL, F_COUNT, F_NR };

static const struct filter_def show_filters[] = {
	[F_PID] = { "pid", FILTER_NUMS, NULL },
	[F_INTERVAL] = { NULL, 0, NULL },
};

static const struct filter_def watch_filters[] = {
	[F_PID] = { "pid", FILTER_NUMS, NULL },
	[F_INTERVAL] = { "interval", FILTER_REAL, NULL },
	[F_COUNT] = { "count", FILTER_UINT, NULL },
	[F_NR] = { NULL, 0, NULL },
};

static void stat_help(FILE *fp)
{
	fprintf(fp,
		"Usage: mlx5tls-query [-d] [-j [-p]] stat [ show ] [ pid PIDS ]\n"
		"       mlx5tls-query [-j] stat watch [ pid PIDS ]\n"
		"                     [ interval SECONDS ] [ count N ]\n"
		"The device counters of the publishing processes, per process and device (-d:\n"
		"one per line with its meaning). watch samples every SECONDS (default 1) and\n"
		"prints what changed, with the rate; count ends it after N samples.\n");
}

static int stat_help_cmd(struct tool *t)
{
	(void)t;
	stat_help(stdout);
	return 0;
}

static bool stat_keep(const struct jv *row, const void *arg)
{
	return filter_match_device(arg, jv_str(jv_get(row, "name")));
}

static const char *counter_desc(const char *name)
{
	for (unsigned int i = 0; i < mlx5tls_counter_count(); i++)
		if (strcmp(mlx5tls_counter_name(i), name) == 0)
			return mlx5tls_counter_desc(i);
	return NULL;
}

static void print_counters(const struct jv *counters, bool details)
{
	struct ic_line l;

	if (!details) {
		ic_line_start(&l, "    ", "");
		ic_text_members(counters, NULL, IC_SCALARS, &l);
		return;
	}
	/* one per line, with what it counts */
	for (size_t i = 0; counters && counters->type == JV_OBJ && i < counters->n; i++) {
		const char *desc = counter_desc(counters->keys[i]);
		char buf[64];

		pr_text("\n    %-28s %12s%s%s", counters->keys[i],
			ic_scalar(counters->items[i], buf, sizeof(buf)), desc ? "  " : "",
			desc ? desc : "");
	}
}

static unsigned int stat_text(const struct tool *t, const struct ic_proc *p, const struct jv *ans,
			      const void *arg)
{
	const struct jv *devs = jv_get(ans, "devices");
	unsigned int rows = 0;

	(void)arg;
	for (size_t i = 0; devs && devs->type == JV_ARR && i < devs->n; i++) {
		const struct jv *d = devs->items[i];

		pr_text("pid %ld program %s", p->pid, ic_program(p));
		ic_text_value(" dev %s", jv_get(d, "name"));
		print_counters(jv_get(d, "counters"), t->details);
		pr_nl();
		rows++;
	}
	if (!rows)
		pr_text("pid %ld program %s no devices\n", p->pid, ic_program(p));
	/* the process-wide figures under /proc/net/tls_stat's names */
	if (jv_get(ans, "tls_stat")) {
		pr_text("pid %ld program %s tls_stat", p->pid, ic_program(p));
		print_counters(jv_get(ans, "tls_stat"), t->details);
		pr_nl();
		rows++;
	}
	return rows;
}

static int stat_show(struct tool *t)
{
	static const char *const lists[] = { "devices", NULL };
	struct filter_val f[F_INTERVAL];
	struct ic_query q = { .request = "stat", .lists = lists, .keep = stat_keep,
			      .arg = t->dev_name, .text = stat_text };
	struct ic_set s;
	int ret;

	if (filter_parse(t, show_filters, f, "stat show") || ic_open(t, &s, &f[F_PID]))
		return 1;
	ret = ic_run(t, &s, &q, NULL);
	ic_close(&s);
	return ret;
}

/* ---- watch ---- */

static volatile sig_atomic_t watch_stop;

static void on_signal(int sig)
{
	(void)sig;
	watch_stop = 1;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Sleep s seconds unless a signal asks to stop. */
static void sleep_s(double s)
{
	time_t whole = (time_t)s;
	struct timespec ts = { .tv_sec = whole, .tv_nsec = (long)((s - (double)whole) * 1e9) };

	while (!watch_stop && nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static const struct jv *find_device(const struct jv *ans, const char *name)
{
	const struct jv *devs = jv_get(ans, "devices");

	for (size_t i = 0; name && devs && devs->type == JV_ARR && i < devs->n; i++)
	{
		const char *n = jv_str(jv_get(devs->items[i], "name"));

		if (n && strcmp(n, name) == 0)
			return devs->items[i];
	}
	return NULL;
}

/* The counters of one device that changed since `before` (NULL: a new device, from zero). */
static unsigned int print_changes(const struct ic_proc *p, const struct jv *dev,
				  const struct jv *before, double elapsed)
{
	const struct jv *now = jv_get(dev, "counters");
	const struct jv *then = jv_get(before, "counters");
	unsigned int changed = 0;

	pr_open_object(NULL);
	pr_string("name", NULL, jv_str(jv_get(dev, "name")));
	pr_open_object("changed");
	for (size_t i = 0; now && now->type == JV_OBJ && i < now->n; i++) {
		uint64_t v = 0, old = 0;
		int64_t delta;
		char buf[32];

		if (!jv_u64(now->items[i], &v))
			continue;
		(void)jv_u64(jv_get(then, now->keys[i]), &old);
		if (v == old)
			continue;
		if (!changed++) {
			pr_text("pid %ld", p->pid);
			ic_text_value(" dev %s", jv_get(dev, "name"));
		}
		delta = (int64_t)(v - old);
		pr_open_object(now->keys[i]);
		pr_text("\n    %-28s", now->keys[i]);
		pr_uint("value", " %12s", v);
		snprintf(buf, sizeof(buf), "%+" PRId64, delta);
		pr_text(" %14s", buf);
		pr_int("delta", NULL, delta);
		pr_double("rate", " %14s/s", elapsed > 0 ? (double)delta / elapsed : 0.0, 1);
		pr_close_object();
	}
	pr_close_object();
	pr_close_object();
	if (changed)
		pr_nl();
	return changed;
}

static int stat_watch(struct tool *t)
{
	struct filter_val f[F_NR];
	struct jv **prev = NULL;
	struct sigaction sa;
	double interval, last;
	unsigned int live = 0;
	struct ic_set s;
	int ret = 0;

	if (filter_parse(t, watch_filters, f, "stat watch") || ic_open(t, &s, &f[F_PID]))
		return 1;
	interval = f[F_INTERVAL].set ? f[F_INTERVAL].real : 1.0;
	if (interval < 0.01)
		interval = 0.01;
	prev = calloc(s.n, sizeof(*prev));
	if (!prev) {
		ic_close(&s);
		return tool_fail(t, "stat watch", -ENOMEM);
	}
	for (size_t i = 0; i < s.n; i++) {
		prev[i] = s.procs[i].error ? NULL : ic_ask(&s.procs[i], "stat");
		live += prev[i] != NULL;
	}
	ret = ic_report_errors(t, &s);
	if (!live) {
		free(prev);
		ic_close(&s);
		return 1;
	}
	/* JSON Lines: one compact document per sample, even with -p */
	pr_init(stdout, t->json, false);
	pr_text("watching %u process%s every %.3g s%s\n", live, live == 1 ? "" : "es", interval,
		f[F_COUNT].set ? "" : " (Ctrl-C stops)");
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	last = now_s();

	for (uint64_t n = 1; !watch_stop && (!f[F_COUNT].set || n <= f[F_COUNT].num); n++) {
		unsigned int changed = 0;
		double at, elapsed;

		sleep_s(interval);
		if (watch_stop)
			break;
		at = now_s();
		elapsed = at - last;
		last = at;
		pr_open_object(NULL);
		pr_uint("schema", NULL, IC_SCHEMA);
		pr_uint("sample", "sample %s", n);
		pr_double("elapsed", " elapsed %s s\n", elapsed, 3);
		pr_open_array("processes");
		for (size_t i = 0; i < s.n; i++) {
			struct ic_proc *p = &s.procs[i];
			struct jv *cur;
			const struct jv *devs;

			if (!prev[i])
				continue;
			cur = ic_ask(p, "stat");
			if (!cur) {
				tool_error(t, "pid %ld (%s): %s", p->pid,
					ic_program(p), p->error);
				jv_free(prev[i]);
				prev[i] = NULL;
				live--;
				ret = 1;
				continue;
			}
			pr_open_object(NULL);
			pr_int("pid", NULL, p->pid);
			pr_string("program", NULL, ic_program(p));
			pr_open_array("devices");
			devs = jv_get(cur, "devices");
			for (size_t d = 0; devs && devs->type == JV_ARR && d < devs->n; d++) {
				const char *name = jv_str(jv_get(devs->items[d], "name"));

				if (!filter_match_device(t->dev_name, name))
					continue;
				changed += print_changes(p, devs->items[d],
							 find_device(prev[i], name), elapsed);
			}
			pr_close_array();
			pr_close_object();
			jv_free(prev[i]);
			prev[i] = cur;
		}
		pr_close_array();
		pr_close_object();
		if (!changed)
			pr_text("no counter changed\n");
		/* one JSON document per sample, flushed as it is taken */
		if (pr_finish()) {
			ret = tool_fail(t, "writing the output", -EIO);
			break;
		}
		pr_init(stdout, t->json, false);
		if (!live) {
			tool_error(t, "no publishing process left");
			break;
		}
	}
	for (size_t i = 0; i < s.n; i++)
		jv_free(prev[i]);
	free(prev);
	ic_close(&s);
	return ret;
}

static const struct tool_cmd stat_cmds[] = {
	{ NULL, stat_show },
	{ "show", stat_show },
	{ "watch", stat_watch },
	{ "help", stat_help_cmd },
	{ NULL, NULL },
};

int cmd_stat(struct tool *t)
{
	return tool_exec_cmd_default(t, stat_cmds);
}
