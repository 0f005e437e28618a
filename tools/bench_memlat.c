/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mlx5tls-bench: the latency of one dependent cache miss on this machine, measured in the same
 * run as the figures it explains. A replacement among a million live contexts touches objects
 * nothing has read for a long time; how much slower it is than among a thousand is, past the
 * library's own work, a number of such misses. The chase follows a random cyclic permutation of
 * cache lines (Sattolo's algorithm: one cycle through all of them) in heap memory, as the
 * library's objects are: every step is a miss that cannot start before the last one ended.
 */
#include <stdint.h>
#include <stdlib.h>

#include "bench.h"

#define LINE 64u

double bench_mem_latency_ns(size_t bytes, double seconds, uint64_t seed)
{
	size_t n = bytes / LINE, steps = 0;
	uint32_t *perm;
	uint8_t *mem;
	double t0, t1;
	uint64_t s = seed ? seed : 0x9e3779b97f4a7c15ull;
	size_t at = 0;

	if (n < 2 || n > UINT32_MAX)
		return 0;
	mem = malloc(n * LINE);
	perm = malloc(n * sizeof(*perm));
	if (!mem || !perm) {
		free(mem);
		free(perm);
		return 0;
	}
	for (size_t i = 0; i < n; i++)
		perm[i] = (uint32_t)i;
	for (size_t i = n - 1; i > 0; i--) { /* Sattolo: j < i, so the result is one cycle */
		size_t j = (size_t)(bench_rng_next(&s) % i);
		uint32_t tmp = perm[i];

		perm[i] = perm[j];
		perm[j] = tmp;
	}
	for (size_t i = 0; i < n; i++) /* line i points to the line after it in the cycle */
		*(size_t *)(mem + (size_t)perm[i] * LINE) = (size_t)perm[(i + 1) % n] * LINE;
	free(perm);
	t0 = bench_now_ns();
	do {
		for (unsigned int k = 0; k < 4096; k++)
			at = *(volatile size_t *)(mem + at);
		steps += 4096;
		t1 = bench_now_ns();
	} while (t1 - t0 < seconds * 1e9);
	free(mem);
	return (t1 - t0) / (double)steps;
}
