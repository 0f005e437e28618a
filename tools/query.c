/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mlx5tls-query [OPTIONS] OBJECT [COMMAND] [ARGS]: show devices, capabilities and TLS objects of
 * a ConnectX-6 Dx or of the device model, the live TLS state of the processes that publish it, and
 * MLX5TLS_TRACE files (iproute2 `rdma` shape: dispatch tables, one print path).
 */
#include <errno.h>
#include <stdlib.h>

#include "query.h"

static void usage(FILE *fp)
{
	fprintf(fp,
		"Usage: mlx5tls-query [OPTIONS] OBJECT [COMMAND] [ARGS] [dev DEV]\n"
		"       mlx5tls-query OBJECT help\n"
		"where  OBJECT := { dev | caps | stat | selftest | proc | ctx | conn | dek | tis |\n"
		"                   tir | pool | qp | trace | help }\n"
		"       OPTIONS := { -d | --details } { -j | --json } { -p | --pretty }\n"
		"                  { -V | --version } { -h | --help }\n"
		"       DEV := { mlx5_N | sim | sim:PROFILE[,key=value...] }\n"
		"              PROFILE := { cx6dx | cx6dx-legacy | cx6dx-nocrypto }\n"
		"dev, caps, selftest: the device itself: dev DEV, else $MLX5TLS_DEVICE, else\n"
		"the first ConnectX device, else the device model (sim:cx6dx), which the\n"
		"output then names as the model.\n"
		"proc, ctx, conn, dek, tis, tir, pool, qp, stat: the live state of the\n"
		"processes that publish it (MLX5TLS_PUBLISH=1); dev DEV keeps DEV's objects.\n"
		"trace: a MLX5TLS_TRACE file.\n");
}

/* In table order: a prefix picks the first match, so `s` is stat (as in rdma), never selftest. */
static const struct tool_cmd objects[] = {
	{ NULL, tool_usage_fail },
	{ "dev", cmd_dev },
	{ "caps", cmd_caps },
	{ "stat", cmd_stat },
	{ "selftest", cmd_selftest },
	{ "proc", cmd_proc },
	{ "ctx", cmd_ctx },
	{ "conn", cmd_conn },
	{ "dek", cmd_dek },
	{ "tis", cmd_tis },
	{ "tir", cmd_tir },
	{ "pool", cmd_pool },
	{ "qp", cmd_qp },
	{ "trace", cmd_trace },
	{ "help", tool_help },
	{ NULL, NULL },
};

int main(int argc, char **argv)
{
	struct tool t = { .prog = "mlx5tls-query", .usage = usage };
	int ret;

	tool_setup_logging();
	ret = tool_parse_options(&t, argc, argv, true);
	if (ret != TOOL_CONTINUE)
		return ret;
	if (tool_take_device(&t))
		return EXIT_FAILURE;

	pr_init(stdout, t.json, t.pretty);
	ret = tool_exec_cmd(&t, objects, "object");
	if (pr_finish() && ret == 0)
		ret = tool_fail(&t, "writing the output", -EIO);
	tool_close_device(&t);
	return ret == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
