/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Big-endian (network order) loads and stores of 16, 32 and 64 bits: the frame and record
 * header fields that tools/ and tests/ build and read. One copy for both, through the CMake
 * target mlx5tls_common, whose include directory is this folder alone (so a tool or a test that
 * uses it reaches no other internal header). Header only, no dependency: the library may use it
 * too, and it must never include from tools/ or tests/.
 *
 * put16() stores the low 16 bits of v; get16() returns uint16_t, so in arithmetic it promotes
 * to int.
 */
#ifndef MLX5TLS_COMMON_BE_BYTES_H
#define MLX5TLS_COMMON_BE_BYTES_H

#include <stdint.h>

static inline void put16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static inline void put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)(v >> 32));
	put32(p + 4, (uint32_t)v);
}

static inline uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline uint64_t get64(const uint8_t *p)
{
	return (uint64_t)get32(p) << 32 | get32(p + 4);
}

#endif /* MLX5TLS_COMMON_BE_BYTES_H */
