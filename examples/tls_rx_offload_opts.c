/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tls_rx_offload: the command line - the options, their defaults and limits, and the usage text.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tls_rx_offload_shared.h"

static void usage(FILE *fp)
{
	fprintf(fp,
		"Usage: " PROG " [-d DEV] [--tls 1.2|1.3] [--bits 128|256] [-n RECORDS]\n"
		"       [--size BYTES] [--loss P] [--reorder P] [--corrupt N] [--seed N]\n"
		"  -d DEV        device (default sim: the built-in ConnectX-6 Dx model)\n"
		"  --tls V       TLS version (default 1.3)\n"
		"  --bits B      AES-GCM key size (default 128)\n"
		"  -n RECORDS    application-data records the server writes (default 64)\n"
		"  --size BYTES  plaintext bytes per record, 1..16384 (default 4096)\n"
		"  --loss P      probability that a segment is lost and retransmitted later\n"
		"  --reorder P   probability that a segment swaps places with the next one\n"
		"  --corrupt N   flip a ciphertext byte of record N (0 = the first): the stream\n"
		"                must end with an authentication error before that record\n"
		"  --seed N      seed of the loss/reorder pattern, data and TCP ISN (default 1)\n");
}

static int parse_prob(const char *opt, const char *arg, double *p)
{
	char *end = NULL;

	errno = 0;
	*p = strtod(arg, &end);
	if (errno || end == arg || *end || !(*p >= 0.0 && *p < 0.5)) {
		fprintf(stderr, PROG ": %s takes a probability in [0, 0.5)\n", opt);
		return -1;
	}
	return 0;
}

/* 0 to run, 1 to exit with success (-h), -1 on a bad option. */
int parse_options(int argc, char **argv, struct options *o)
{
	static const struct option long_opts[] = {
		{ "device", required_argument, NULL, 'd' },
		{ "tls", required_argument, NULL, 't' },
		{ "bits", required_argument, NULL, 'b' },
		{ "records", required_argument, NULL, 'n' },
		{ "size", required_argument, NULL, 's' },
		{ "loss", required_argument, NULL, 'l' },
		{ "reorder", required_argument, NULL, 'r' },
		{ "corrupt", required_argument, NULL, 'c' },
		{ "seed", required_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned long v = 0;
	int opt;

	*o = (struct options){ .device = "sim", .tls_version = TLS1_3_VERSION, .bits = 128,
			       .records = 64, .size = 4096, .seed = 1 };
	while ((opt = getopt_long(argc, argv, "d:n:h", long_opts, NULL)) != -1) {
		switch (opt) {
		case 'd':
			o->device = optarg;
			break;
		case 't':
			if (example_parse_tls(PROG, optarg, &o->tls_version))
				return -1;
			break;
		case 'b':
			if (example_parse_bits(PROG, optarg, &o->bits))
				return -1;
			break;
		case 'n':
			if (example_parse_uint(PROG, "-n", optarg, 1, 100000, &v))
				return -1;
			o->records = (unsigned int)v;
			break;
		case 's':
			if (example_parse_uint(PROG, "--size", optarg, 1, TLS_MAX_PLAINTEXT, &v))
				return -1;
			o->size = (unsigned int)v;
			break;
		case 'l':
			if (parse_prob("--loss", optarg, &o->loss))
				return -1;
			break;
		case 'r':
			if (parse_prob("--reorder", optarg, &o->reorder))
				return -1;
			break;
		case 'c':
			if (example_parse_uint(PROG, "--corrupt", optarg, 0, 99999, &v))
				return -1;
			o->corrupt = true;
			o->corrupt_rec = (unsigned int)v;
			break;
		case 'S':
			if (example_parse_uint(PROG, "--seed", optarg, 0, ~0ul, &v))
				return -1;
			o->seed = v;
			break;
		case 'h':
			usage(stdout);
			return 1;
		default:
			usage(stderr);
			return -1;
		}
	}
	if (optind != argc) {
		fprintf(stderr, PROG ": unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return -1;
	}
	if (o->corrupt && o->corrupt_rec >= o->records) {
		fprintf(stderr, PROG ": --corrupt %u: the server writes records 0..%u only\n",
			o->corrupt_rec, o->records - 1);
		return -1;
	}
	if ((uint64_t)o->records * (o->size + 64) > (256u << 20)) {
		fprintf(stderr, PROG ": -n x --size: at most 256 MiB of stream\n");
		return -1;
	}
	return 0;
}
