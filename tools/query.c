/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mlx5tls-query [OPTIONS] OBJECT [COMMAND]: show devices, capabilities and TLS objects of a
 * ConnectX-6 Dx or of the device model (iproute2 `rdma` shape: dispatch tables, one print path).
 */
#include <errno.h>
#include <stdlib.h>

#include "query.h"

static void usage(FILE *fp)
{
	fprintf(fp,
		"Usage: mlx5tls-query [OPTIONS] OBJECT [COMMAND]\n"
		"       mlx5tls-query OBJECT help\n"
		"where  OBJECT := { dev | caps | selftest | help }\n"
		"       OPTIONS := { -d | --device DEV } { -j | --json } { -p | --pretty }\n"
		"                  { -D | --details } { -V | --version } { -h | --help }\n"
		"       DEV := { mlx5_N | sim | sim:PROFILE[,key=value...] }\n"
		"              PROFILE := { cx6dx | cx6dx-legacy | cx6dx-nocrypto }\n"
		"Without -d: $MLX5TLS_DEVICE, else the first ConnectX device, else the device model\n"
		"(sim:cx6dx), which the output then names as the model.\n");
}

static const struct tool_cmd objects[] = {
	{ NULL, tool_help },
	{ "dev", cmd_dev },
	{ "caps", cmd_caps },
	{ "selftest", cmd_selftest },
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

	pr_init(stdout, t.json, t.pretty);
	ret = tool_exec_cmd(&t, objects, "object");
	if (pr_finish() && ret == 0)
		ret = tool_fail(&t, "writing the output", -EIO);
	tool_close_device(&t);
	return ret == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
