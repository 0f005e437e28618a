/* SPDX-License-Identifier: BSD-3-Clause */
/* mlx5tls-query dev [show [NAME]]: every device (real ConnectX first, then the model's profiles),
 * opened one by one for its firmware version and a TLS summary. */
#include <errno.h>
#include <string.h>

#include "query.h"

static void dev_help(FILE *fp)
{
	fprintf(fp, "Usage: mlx5tls-query dev [ show [ NAME ] ]\n"
		    "Lists the ConnectX devices and the device model's profiles with their firmware\n"
		    "version and TLS offload summary; -d adds the capability limits.\n");
}

static int dev_help_cmd(struct tool *t)
{
	(void)t;
	dev_help(stdout);
	return 0;
}

/* Opening and capability failures of one device land in its row, not in the exit status. */
static void dev_print_open(const struct tool *t, const char *name)
{
	struct mlx5tls_device_attr attr;
	struct mlx5tls_device *dev;
	struct mlx5tls_caps caps;
	struct tool_err e;
	char summary[160];
	int err;

	dev = mlx5tls_device_open(name, NULL);
	if (!dev) {
		tool_err_capture(&e, errno);
		pr_text("\n    open failed");
		tool_err_print(&e);
		return;
	}
	memset(&attr, 0, sizeof(attr));
	err = mlx5tls_device_query(dev, &attr);
	if (err) {
		tool_err_capture(&e, err);
		pr_text("\n    query failed");
		tool_err_print(&e);
		goto out;
	}
	pr_string("fw_ver", "\n    fw %s", attr.fw_ver);

	memset(&caps, 0, sizeof(caps));
	err = mlx5tls_query_caps(dev, &caps, sizeof(caps));
	if (err) {
		tool_err_capture(&e, err);
		pr_text("\n    caps query failed");
		tool_err_print(&e);
		goto out;
	}
	tool_tls_summary(&caps, summary, sizeof(summary));
	pr_open_object("tls");
	pr_string("summary", "\n    tls: %s", summary);
	pr_bool("tx", NULL, caps.tls_tx);
	pr_bool("rx", NULL, caps.tls_rx);
	tool_print_suites("suites", NULL, caps.suites);
	pr_bool("bulk_dek", NULL, caps.bulk_dek);
	pr_bool("dek_sync", NULL, caps.dek_sync);
	pr_bool("ktls_capable", NULL, caps.ktls_capable);
	pr_close_object();
	if (t->details) {
		pr_open_object("limits");
		pr_uint("log_max_dek", "\n    log_max_dek %s", caps.log_max_dek);
		pr_uint("log_dek_max_alloc", " log_dek_max_alloc %s", caps.log_dek_max_alloc);
		pr_uint("log_max_num_deks", " log_max_num_deks %s", caps.log_max_num_deks);
		pr_uint("log_max_tis", " log_max_tis %s", caps.log_max_tis);
		pr_uint("log_max_tir", " log_max_tir %s", caps.log_max_tir);
		pr_uint("log_max_pd", " log_max_pd %s", caps.log_max_pd);
		pr_uint("log_max_transport_domain", " log_max_transport_domain %s",
			caps.log_max_transport_domain);
		pr_close_object();
	}
out:
	if (mlx5tls_device_close(dev)) {
		tool_err_capture(&e, errno);
		pr_text("\n    close failed");
		tool_err_print(&e);
	}
}

static void dev_print_row(const struct tool *t, const struct mlx5tls_device_info *info)
{
	pr_open_object(NULL);
	pr_string("name", "%s:", info->name);
	pr_string("kind", " kind %s", tool_kind_str(info->kind));
	pr_bool("model", NULL, info->kind == MLX5TLS_DEVICE_MODEL);
	pr_string("transport", " transport %s", info->transport);
	if (info->profile[0] || t->json)
		pr_string("profile", " profile %s", info->profile);
	if (info->description[0] || t->json)
		pr_string("description", "\n    %s", info->description);
	dev_print_open(t, info->name);
	pr_close_object();
	pr_nl();
}

/* A NAME that is not a listed entry ("sim", "sim:cx6dx,log_max_dek=4", a typo): opened once to
 * learn what it is; shown as its listed entry if it is one under another name ("sim"). */
static int dev_show_unlisted(struct tool *t, const char *name,
			     const struct mlx5tls_device_info *list, int n)
{
	struct mlx5tls_device_info info;

	t->dev_name = name;
	if (tool_open_device(t, false))
		return 1;
	memset(&info, 0, sizeof(info));
	snprintf(info.name, sizeof(info.name), "%s", t->attr.name);
	info.kind = t->attr.kind;
	snprintf(info.transport, sizeof(info.transport), "%s", t->attr.transport);
	snprintf(info.profile, sizeof(info.profile), "%s", t->attr.profile);
	tool_close_device(t);
	for (int i = 0; i < n; i++)
		if (strcmp(list[i].name, info.name) == 0)
			info = list[i];
	pr_open_array(NULL);
	dev_print_row(t, &info);
	pr_close_array();
	return 0;
}

static int dev_show(struct tool *t)
{
	struct mlx5tls_device_info *list;
	const char *filter = t->dev_name;
	bool any_hw = false, shown = false;
	int n = 0, ret = 0;

	if (tool_word(t)) {
		filter = tool_word(t);
		tool_next(t);
	}
	if (tool_no_more_args(t))
		return 1;

	list = mlx5tls_get_device_list(&n);
	if (!list)
		return tool_fail(t, "cannot list devices", errno);
	for (int i = 0; i < n; i++)
		any_hw |= list[i].kind == MLX5TLS_DEVICE_HW;

	if (filter) {
		for (int i = 0; i < n && !shown; i++)
			shown = strcmp(list[i].name, filter) == 0;
		if (!shown) {
			ret = dev_show_unlisted(t, filter, list, n);
			goto out;
		}
	}
	pr_open_array(NULL);
	for (int i = 0; i < n; i++)
		if (!filter || strcmp(list[i].name, filter) == 0)
			dev_print_row(t, &list[i]);
	pr_close_array();
	if (!any_hw && !filter)
		tool_notice(t, "no ConnectX device found; only the device model is available");
out:
	mlx5tls_free_device_list(list);
	return ret;
}

static const struct tool_cmd dev_cmds[] = {
	{ NULL, dev_show },
	{ "show", dev_show },
	{ "list", dev_show },
	{ "help", dev_help_cmd },
	{ NULL, NULL },
};

int cmd_dev(struct tool *t)
{
	return tool_exec_cmd_default(t, dev_cmds);
}
