/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mlx5tls-query [OPTIONS] OBJECT [COMMAND]: show devices, capabilities and TLS objects of a
 * ConnectX-6 Dx or of the device model (iproute2 `rdma` shape: dispatch tables, one print path).
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>

#include "query.h"

#ifndef MLX5TLS_VERSION
#define MLX5TLS_VERSION "unknown"
#endif

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

static int cmd_help(struct tool *t)
{
	(void)t;
	usage(stdout);
	return 0;
}

static const struct tool_cmd objects[] = {
	{ NULL, cmd_help },
	{ "dev", cmd_dev },
	{ "caps", cmd_caps },
	{ "selftest", cmd_selftest },
	{ "help", cmd_help },
	{ NULL, NULL },
};

int main(int argc, char **argv)
{
	static const struct option long_opts[] = {
		{ "device", required_argument, NULL, 'd' },
		{ "json", no_argument, NULL, 'j' },
		{ "pretty", no_argument, NULL, 'p' },
		{ "details", no_argument, NULL, 'D' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct tool t = { .prog = "mlx5tls-query", .usage = usage };
	int opt, ret;

	tool_setup_logging();
	while ((opt = getopt_long(argc, argv, "+d:jpDVh", long_opts, NULL)) != -1) {
		switch (opt) {
		case 'd':
			t.dev_name = optarg;
			break;
		case 'j':
			t.json = true;
			break;
		case 'p':
			t.pretty = true;
			break;
		case 'D':
			t.details = true;
			break;
		case 'V':
			printf("mlx5tls-query %s\n", MLX5TLS_VERSION);
			return EXIT_SUCCESS;
		case 'h':
			usage(stdout);
			return EXIT_SUCCESS;
		default:
			usage(stderr);
			return EXIT_FAILURE;
		}
	}
	t.argc = argc - optind;
	t.argv = argv + optind;

	pr_init(stdout, t.json, t.pretty);
	ret = tool_exec_cmd(&t, objects, "object");
	if (pr_finish() && ret == 0)
		ret = tool_fail(&t, "writing the output", -EIO);
	tool_close_device(&t);
	return ret == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
