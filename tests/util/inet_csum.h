/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The Internet checksum (RFC 1071) of the tests' hand-built frames, written independently of the
 * device model's (libmlx5tls/sim/csum.c), which is what the tests check: keep the two apart.
 *   test_csum_add    the one's-complement sum of 16-bit big-endian words (odd byte padded) on s
 *   test_csum_fold   folded to 16 bits: 0xffff over a header whose checksum field is right
 *   test_csum_field  folded and inverted: the value a checksum field holds
 */
#ifndef MLX5TLS_TEST_INET_CSUM_H
#define MLX5TLS_TEST_INET_CSUM_H

#include <stddef.h>
#include <stdint.h>

static inline uint32_t test_csum_add(uint32_t s, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n & 1)
		s += (uint32_t)p[n - 1] << 8;
	return s;
}

static inline uint16_t test_csum_fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

static inline uint16_t test_csum_field(uint32_t s)
{
	return (uint16_t)~test_csum_fold(s);
}

#endif /* MLX5TLS_TEST_INET_CSUM_H */
