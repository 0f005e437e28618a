/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mlx5tls-bench [OPTIONS] BENCHMARK [ARGS]: benchmarks of libmlx5tls on a ConnectX-6 Dx or on the
 * device model (default "sim"). A benchmark reports what it measured and exits 0 even when a
 * target is missed; it fails only on errors.
 */
#include <getopt.h>
#include <stdlib.h>

#include "bench.h"

#ifndef MLX5TLS_VERSION
#define MLX5TLS_VERSION "unknown"
#endif

static void usage(FILE *fp)
{
	fprintf(fp,
		"Usage: mlx5tls-bench [OPTIONS] BENCHMARK [ARGS]\n"
		"where  BENCHMARK := { setup | help }\n"
		"       OPTIONS := { -d | --device DEV } { -j | --json } { -p | --pretty }\n"
		"                  { -V | --version } { -h | --help }\n"
		"Device: -d DEV, else $MLX5TLS_DEVICE, else the device model \"sim\" (sim:cx6dx).\n");
	bench_setup_usage(fp);
}

static int cmd_help(struct tool *t)
{
	(void)t;
	usage(stdout);
	return 0;
}

static const struct tool_cmd benchmarks[] = {
	{ NULL, cmd_help },
	{ "setup", bench_setup },
	{ "help", cmd_help },
	{ NULL, NULL },
};

int main(int argc, char **argv)
{
	static const struct option long_opts[] = {
		{ "device", required_argument, NULL, 'd' },
		{ "json", no_argument, NULL, 'j' },
		{ "pretty", no_argument, NULL, 'p' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct tool t = { .prog = "mlx5tls-bench", .usage = usage };
	int opt, ret;

	tool_setup_logging();
	while ((opt = getopt_long(argc, argv, "+d:jpVh", long_opts, NULL)) != -1) {
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
		case 'V':
			printf("mlx5tls-bench %s\n", MLX5TLS_VERSION);
			return EXIT_SUCCESS;
		case 'h':
			usage(stdout);
			return EXIT_SUCCESS;
		default:
			usage(stderr);
			return EXIT_FAILURE;
		}
	}
	/* The benchmark re-parses its own options from its word on (getopt's argv[0] slot). */
	t.argc = argc - optind;
	t.argv = argv + optind;
	ret = tool_exec_cmd(&t, benchmarks, "benchmark");
	tool_close_device(&t);
	return ret == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
