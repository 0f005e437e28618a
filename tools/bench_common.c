/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mlx5tls-bench: what the TLS datapath benchmarks (tx, rx) share: their options (-d, --tls,
 * --bits, -t, -j, -p), the suite they measure and the clock.
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench.h"

double bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

uint64_t bench_rng_next(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	*s = x;
	return x;
}

double bench_ratio(double a, double b)
{
	return b > 0 ? a / b : 0.0;
}

const struct tool_suite *bench_find_suite(int version, unsigned int bits)
{
	const struct tool_suite *suite = NULL;

	for (size_t i = 0; i < tool_nr_suites; i++)
		if (tool_suites[i].version == version && tool_suites[i].key_bits == bits)
			suite = &tool_suites[i];
	return suite;
}

int bench_parse_args(struct tool *t, int *version, unsigned int *bits, double *seconds)
{
	static const struct option long_opts[] = {
		{ "device", required_argument, NULL, 'd' },
		{ "tls", required_argument, NULL, 'T' },
		{ "bits", required_argument, NULL, 'b' },
		{ "time", required_argument, NULL, 't' },
		{ "json", no_argument, NULL, 'j' },
		{ "pretty", no_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	/* getopt wants argv[0]: the word ("tx", "rx") the dispatcher just consumed. */
	int argc = t->argc + 1;
	char **argv = t->argv - 1;
	char *end = NULL;
	int opt;

	optind = 0;
	while ((opt = getopt_long(argc, argv, "+d:t:jph", long_opts, NULL)) != -1) {
		switch (opt) {
		case 'd':
			t->dev_name = optarg;
			break;
		case 'T':
			if (strcmp(optarg, "1.2") && strcmp(optarg, "1.3")) {
				fprintf(stderr, "%s: --tls takes 1.2 or 1.3\n", t->prog);
				return 1;
			}
			*version = optarg[2] == '2' ? TLS_1_2_VERSION : TLS_1_3_VERSION;
			break;
		case 'b':
			if (strcmp(optarg, "128") && strcmp(optarg, "256")) {
				fprintf(stderr, "%s: --bits takes 128 or 256\n", t->prog);
				return 1;
			}
			*bits = optarg[0] == '1' ? 128 : 256;
			break;
		case 't':
			errno = 0;
			*seconds = strtod(optarg, &end);
			if (errno || end == optarg || *end || !(*seconds > 0 && *seconds <= 60)) {
				fprintf(stderr, "%s: -t takes seconds in (0, 60]\n", t->prog);
				return 1;
			}
			break;
		case 'j':
			t->json = true;
			break;
		case 'p':
			t->pretty = true;
			break;
		case 'h':
			t->usage(stdout);
			return -1;
		default:
			t->usage(stderr);
			return 1;
		}
	}
	t->argc = argc - optind;
	t->argv = argv + optind;
	return tool_no_more_args(t);
}
