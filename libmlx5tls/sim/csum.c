/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The Internet checksum (RFC 1071) the model computes for the checksum offloads on every byte it
 * sends and verifies on every byte it receives (fact sheet 8.1 cs_flags L3_CSUM/L4_CSUM; 14b
 * "Device validates L4 checksum"): the one's complement sum of the data as big-endian 16-bit
 * words.
 *
 * Speed (DESIGN.md "Performance targets": the model's TX at >= 0.85x EVP, the sum was 15-20 % of
 * its time): the one's complement sum does not depend on the byte order or the word width except
 * for a final swap (RFC 1071 section 2 (B), (C)): 2^16 = 1 modulo 0xffff, so a sum of native
 * 64-bit words folded to 16 bits is the sum of the native 16-bit words, and on a little-endian
 * host a byte swap of that gives the big-endian sum. The bulk is therefore summed 8 bytes at a
 * time:
 *  - portable C11: four independent 64-bit accumulators, each with its own carry count (the
 *    carries come back as 2^64 = 1 at the end), so the adds do not wait on one another;
 *  - x86-64 with AVX2 (chosen at run time): 32-byte vectors of 64-bit lanes, each lane summing the
 *    low and high 32-bit halves of its words separately (no carry can be lost: a lane holds at
 *    most 2^30 / 32 additions of values below 2^32 per chunk).
 * Both give the same 16-bit result for every input (tests/test_sim_csum.c checks them against
 * literal values and a byte-pair reference).
 */
#include <stdint.h>
#include <string.h>

#include "sim/sq_internal.h"

/* Bytes per bulk call: keeps every accumulator exact (see above). */
#define CSUM_CHUNK (1u << 30)

/* a + b with the carry out of bit 63 added back (one's complement addition modulo 2^64 - 1) */
static uint64_t add_eac(uint64_t a, uint64_t b)
{
	a += b;
	return a + (a < b);
}

/* One's complement sum of n8 native 64-bit words at p (any alignment). */
static uint64_t sum64_portable(const uint8_t *p, size_t n8)
{
	uint64_t s0 = 0, s1 = 0, s2 = 0, s3 = 0, c0 = 0, c1 = 0, c2 = 0, c3 = 0, r;
	size_t i = 0;

	for (; i + 4 <= n8; i += 4, p += 32) {
		uint64_t w0, w1, w2, w3;

		memcpy(&w0, p, 8);
		memcpy(&w1, p + 8, 8);
		memcpy(&w2, p + 16, 8);
		memcpy(&w3, p + 24, 8);
		s0 += w0;
		c0 += s0 < w0;
		s1 += w1;
		c1 += s1 < w1;
		s2 += w2;
		c2 += s2 < w2;
		s3 += w3;
		c3 += s3 < w3;
	}
	for (; i < n8; i++, p += 8) {
		uint64_t w;

		memcpy(&w, p, 8);
		s0 += w;
		c0 += s0 < w;
	}
	/* each carry counted is 2^64, which is 1 modulo 2^64 - 1; n8 < 2^61 so they cannot wrap */
	r = add_eac(add_eac(s0, s1), add_eac(s2, s3));
	return add_eac(r, c0 + c1 + c2 + c3);
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define CSUM_HAVE_AVX2 1
/* GCC/clang vector extension: 4 x 64-bit lanes, loads at any alignment */
typedef uint64_t csum_v4u64 __attribute__((vector_size(32), aligned(1)));

/* Sum of the 32-bit halves of n32 32-byte blocks, as an exact integer (n32 * 32 <= CSUM_CHUNK). */
__attribute__((target("avx2"))) static uint64_t sum_avx2(const uint8_t *p, size_t n32)
{
	const csum_v4u64 lo = { 0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu };
	csum_v4u64 a = { 0 }, b = { 0 }, c = { 0 }, d = { 0 };
	size_t i = 0;

	for (; i + 2 <= n32; i += 2, p += 64) {
		csum_v4u64 w, x;

		memcpy(&w, p, 32);
		memcpy(&x, p + 32, 32);
		a += w & lo;
		b += w >> 32;
		c += x & lo;
		d += x >> 32;
	}
	if (i < n32) {
		csum_v4u64 w;

		memcpy(&w, p, 32);
		a += w & lo;
		b += w >> 32;
	}
	a += b + c + d;
	return a[0] + a[1] + a[2] + a[3];
}

static int have_avx2(void)
{
	/* 0 unknown, 1 no, 2 yes; a race only repeats the probe */
	static int avx2;
	int v = __atomic_load_n(&avx2, __ATOMIC_RELAXED);

	if (!v) {
		__builtin_cpu_init();
		v = __builtin_cpu_supports("avx2") ? 2 : 1;
		__atomic_store_n(&avx2, v, __ATOMIC_RELAXED);
	}
	return v == 2;
}
#else
#define CSUM_HAVE_AVX2 0
#endif

/* Fold a one's complement partial sum to 16 bits; 0 only if it was 0. */
static uint32_t fold16(uint64_t a)
{
	a = (a & 0xffffffffu) + (a >> 32); /* < 2^33 */
	a = (a & 0xffffffffu) + (a >> 32); /* <= 2^32 */
	a = (a & 0xffff) + (a >> 16);      /* <= 0x1ffff */
	a = (a & 0xffff) + (a >> 16);      /* <= 0x10000 */
	a = (a & 0xffff) + (a >> 16);      /* <= 0xffff */
	return (uint32_t)a;
}

/* The native-order sum of p[0, len & ~7), folded to 16 bits. */
static uint32_t bulk(const uint8_t *p, size_t len, bool vector)
{
	uint64_t acc = 0;

	while (len >= 8) {
		size_t n = len < CSUM_CHUNK ? len & ~(size_t)7 : CSUM_CHUNK;
		size_t done = 0;

#if CSUM_HAVE_AVX2
		if (vector && n >= 64) {
			done = n & ~(size_t)31;
			acc = add_eac(acc, sum_avx2(p, done / 32));
		}
#else
		(void)vector;
#endif
		acc = add_eac(acc, sum64_portable(p + done, (n - done) / 8));
		p += n;
		len -= n;
	}
	return fold16(acc);
}

static uint32_t csum_add(uint32_t sum, const uint8_t *p, size_t len, bool vector)
{
	size_t i = len & ~(size_t)7;

	if (i) {
		uint32_t folded = bulk(p, len, vector);

#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
		folded = ((folded & 0xff) << 8) | (folded >> 8);
#endif
		sum += folded;
	}
	/* the tail starts at an even offset: its big-endian words are the sum's words */
	for (; i + 1 < len; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	/* keep it from overflowing on long chains of calls */
	while (sum >> 31)
		sum = (sum & 0xffff) + (sum >> 16);
	return sum;
}

uint32_t sim_csum_add(uint32_t sum, const uint8_t *p, size_t len)
{
#if CSUM_HAVE_AVX2
	return csum_add(sum, p, len, len >= 64 && have_avx2());
#else
	return csum_add(sum, p, len, false);
#endif
}

uint32_t sim_csum_add_portable(uint32_t sum, const uint8_t *p, size_t len)
{
	return csum_add(sum, p, len, false);
}

const char *sim_csum_impl(void)
{
#if CSUM_HAVE_AVX2
	return have_avx2() ? "avx2" : "portable";
#else
	return "portable";
#endif
}

uint16_t sim_csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}
