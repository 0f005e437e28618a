/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mlx5tls-bench [OPTIONS] BENCHMARK [ARGS]: benchmarks of libmlx5tls on a ConnectX-6 Dx or on the
 * device model (default "sim"). A benchmark reports what it measured and exits 0 even when a
 * target is missed; it fails only on errors.
 */
#include <stdlib.h>

#include "bench.h"

static void usage(FILE *fp)
{
	fprintf(fp,
		"Usage: mlx5tls-bench [OPTIONS] BENCHMARK [ARGS]\n"
		"where  BENCHMARK := { setup | tx | rx | help }\n"
		"       OPTIONS := { -d | --device DEV } { -j | --json } { -p | --pretty }\n"
		"                  { -V | --version } { -h | --help }\n"
		"Device: -d DEV, else $MLX5TLS_DEVICE, else the device model \"sim\" (sim:cx6dx).\n");
	bench_setup_usage(fp);
	bench_tx_usage(fp);
	bench_rx_usage(fp);
}

static const struct tool_cmd benchmarks[] = {
	{ NULL, tool_help },
	{ "setup", bench_setup },
	{ "tx", bench_tx },
	{ "rx", bench_rx },
	{ "help", tool_help },
	{ NULL, NULL },
};

int main(int argc, char **argv)
{
	struct tool t = { .prog = "mlx5tls-bench", .usage = usage };
	int ret;

	tool_setup_logging();
	ret = tool_parse_options(&t, argc, argv, false);
	if (ret != TOOL_CONTINUE)
		return ret;
	/* The benchmark re-parses its own options from its word on (getopt's argv[0] slot). */
	ret = tool_exec_cmd(&t, benchmarks, "benchmark");
	tool_close_device(&t);
	return ret == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
