/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tls_tx_offload: the command line - the options, their defaults and limits, and the usage text.
 */
#ifndef _GNU_SOURCE
#define _POSIX_C_SOURCE 200809L /* POSIX interfaces also with -std=c11 */
#endif
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tls_tx_offload_shared.h"

static void usage(FILE *fp)
{
	fprintf(fp,
		"Usage: " PROG " [-d DEV] [--tls 1.2|1.3] [--bits 128|256] [-n RECORDS]\n"
		"       [--size BYTES] [--loss P] [--seed N] [--pcap FILE] [--fallback]\n"
		"       [--publish] [--hold SECONDS] [--label NAME]\n"
		"  -d DEV        device (default sim: the built-in ConnectX-6 Dx model)\n"
		"  --tls V       TLS version (default 1.3)\n"
		"  --bits B      AES-GCM key size (default 128)\n"
		"  -n RECORDS    application-data records to send (default 64)\n"
		"  --size BYTES  plaintext bytes per record, 1..16384 (default 4096)\n"
		"  --loss P      probability that the receiver loses a data frame (default 0)\n"
		"  --seed N      seed of the loss pattern and TCP sequence numbers (default 1)\n"
		"  --pcap FILE   write the wire to FILE (SSLKEYLOGFILE: key log for Wireshark)\n"
		"  --fallback    encrypt in software if the device cannot offload the suite\n"
		"  --label NAME  the connection's label in mlx5tls-query ctx and conn\n"
		"  --publish     publish the TLS state to mlx5tls-query (MLX5TLS_PUBLISH=1)\n"
		"  --hold S      after the transfer keep the connection S seconds (0: until\n"
		"                SIGTERM/SIGINT) before tearing it down\n");
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
		{ "seed", required_argument, NULL, 'S' },
		{ "pcap", required_argument, NULL, 'p' },
		{ "fallback", no_argument, NULL, 'f' },
		{ "publish", no_argument, NULL, 'P' },
		{ "label", required_argument, NULL, 'L' },
		{ "hold", required_argument, NULL, 'H' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned long v = 0;
	char *end = NULL;
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
		case 'f':
			o->fallback = true;
			break;
		case 'P':
			o->publish = true;
			break;
		case 'L':
			o->label = optarg;
			break;
		case 'H':
			if (example_parse_uint(PROG, "--hold", optarg, 0, 86400, &v))
				return -1;
			o->hold = true;
			o->hold_s = (unsigned int)v;
			break;
		case 'n':
			if (example_parse_uint(PROG, "-n", optarg, 1, 1000000, &v))
				return -1;
			o->records = (unsigned int)v;
			break;
		case 's':
			if (example_parse_uint(PROG, "--size", optarg, 1, TLS_MAX_PLAINTEXT, &v))
				return -1;
			o->size = (unsigned int)v;
			break;
		case 'l':
			errno = 0;
			o->loss = strtod(optarg, &end);
			if (errno || end == optarg || *end || !(o->loss >= 0.0 && o->loss < 0.5)) {
				fprintf(stderr, PROG ": --loss takes a probability in [0, 0.5)\n");
				return -1;
			}
			break;
		case 'S':
			if (example_parse_uint(PROG, "--seed", optarg, 0, ~0ul, &v))
				return -1;
			o->seed = v;
			break;
		case 'p':
			o->pcap = optarg;
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
	return 0;
}
