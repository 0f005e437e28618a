/* SPDX-License-Identifier: BSD-3-Clause */
/* mlx5tls-query caps [show]: every field of struct mlx5tls_caps, decoded, suites by name. */
#include <string.h>

#include "query.h"

static void caps_help(FILE *fp)
{
	fprintf(fp, "Usage: mlx5tls-query [-d] caps [ show ]\n"
		    "Decoded TLS, crypto and general capabilities of the device (QUERY_HCA_CAP);\n"
		    "-d adds the suite bit mask and the suites the device lacks.\n");
}

static int caps_help_cmd(struct tool *t)
{
	(void)t;
	caps_help(stdout);
	return 0;
}

static int caps_show(struct tool *t)
{
	struct mlx5tls_caps caps;
	char summary[160];
	int err;

	if (tool_no_more_args(t) || tool_open_device(t, true))
		return 1;
	memset(&caps, 0, sizeof(caps));
	err = mlx5tls_query_caps(t->dev, &caps, sizeof(caps));
	if (err)
		return tool_fail(t, "cannot query capabilities", err);

	pr_open_object(NULL);
	pr_open_object("device");
	tool_print_device(t);
	pr_close_object();
	pr_nl();

	tool_tls_summary(&caps, summary, sizeof(summary));
	pr_open_object("caps");
	pr_string("summary", "tls: %s\n", summary);
	pr_bool("tls_tx", "tls_tx %s", caps.tls_tx);
	pr_bool("tls_rx", " tls_rx %s", caps.tls_rx);
	pr_bool("crypto", " crypto %s", caps.crypto);
	pr_bool("dek_object", " dek_object %s", caps.dek_object);
	pr_bool("bulk_dek", " bulk_dek %s", caps.bulk_dek);
	pr_bool("dek_sync", " dek_sync %s", caps.dek_sync);
	pr_bool("ktls_capable", " ktls_capable %s\n", caps.ktls_capable);
	pr_text("suites");
	tool_print_suites("suites", " %s", caps.suites);
	if (!caps.suites)
		pr_text(" none");
	pr_nl();
	if (t->details) {
		uint32_t missing = 0;

		pr_hex("suites_mask", "suites_mask %s", caps.suites);
		for (size_t i = 0; i < tool_nr_suites; i++)
			missing |= tool_suites[i].bit & ~caps.suites;
		pr_text(" unsupported");
		tool_print_suites("unsupported_suites", " %s", missing);
		if (!missing)
			pr_text(" none");
		pr_nl();
	}
	pr_uint("log_max_dek", "log_max_dek %s", caps.log_max_dek);
	pr_uint("log_dek_max_alloc", " log_dek_max_alloc %s", caps.log_dek_max_alloc);
	pr_uint("log_max_num_deks", " log_max_num_deks %s\n", caps.log_max_num_deks);
	pr_uint("log_max_tis", "log_max_tis %s", caps.log_max_tis);
	pr_uint("log_max_tir", " log_max_tir %s", caps.log_max_tir);
	pr_uint("log_max_pd", " log_max_pd %s", caps.log_max_pd);
	pr_uint("log_max_transport_domain", " log_max_transport_domain %s\n",
		caps.log_max_transport_domain);
	pr_close_object();
	pr_close_object();
	return 0;
}

static const struct tool_cmd caps_cmds[] = {
	{ NULL, caps_show },
	{ "show", caps_show },
	{ "help", caps_help_cmd },
	{ NULL, NULL },
};

int cmd_caps(struct tool *t)
{
	return tool_exec_cmd(t, caps_cmds, "caps command");
}
