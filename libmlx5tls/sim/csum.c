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
 *  - x86-64 with AVX2 (chosen at run time): the exact sum of the native 16-bit words, 32 bytes
 *    per vpmaddwd (sum_avx2); on a 1448-byte segment about 35 cycles against 50-60 for 64-bit
 *    lanes summing 32-bit halves (and, shift and two adds per 32 bytes), which was about 70 %
 *    of the time the model spends cutting a TLS LSO WQE into segments.
 * Both give the same 16-bit result for every input (tests/test_sim_csum.c checks them against
 * literal values and a byte-pair reference).
 */
#include <stdint.h>
#include <string.h>

#include "sim/sq_internal.h"

/* Bytes per bulk call: keeps the portable accumulators exact (see above). */
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

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define CSUM_HAVE_AVX2 1
#include <immintrin.h>

/* Blocks per sum_avx2 call: keeps its 32-bit lanes exact (see there). */
#define CSUM_AVX2_BLOCKS (1u << 14)

/*
 * The exact sum of the native 16-bit words of n32 32-byte blocks (n32 <= CSUM_AVX2_BLOCKS), any
 * alignment. Three instructions per 32 bytes instead of four with 64-bit lanes (and, shift, two
 * adds): a word w with its top bit flipped, read as signed, is w - 32768 exactly, so vpmaddwd
 * with ones adds pairs of them into 32-bit lanes (each pair in [-65536, 65534]) and 32768 per
 * word comes back at the end. Each of the four accumulators gets n32 / 4 pairs per lane and
 * their sum at most n32 * 65536 <= 2^30 in magnitude: no lane can overflow.
 */
__attribute__((target("avx2"))) static uint64_t sum_avx2(const uint8_t *p, size_t n32)
{
	const __m256i flip = _mm256_set1_epi16((short)0x8000), one = _mm256_set1_epi16(1);
	__m256i a = _mm256_setzero_si256(), b = a, c = a, d = a, lo, hi;
	size_t i = 0;
	int64_t s;

#define CSUM_STEP(acc, q)                                                                        \
	acc = _mm256_add_epi32(acc, _mm256_madd_epi16(                                           \
		_mm256_xor_si256(_mm256_loadu_si256((const __m256i *)(const void *)(q)), flip), one))
	for (; i + 4 <= n32; i += 4, p += 128) {
		CSUM_STEP(a, p);
		CSUM_STEP(b, p + 32);
		CSUM_STEP(c, p + 64);
		CSUM_STEP(d, p + 96);
	}
	for (; i < n32; i++, p += 32)
		CSUM_STEP(a, p);
#undef CSUM_STEP
	a = _mm256_add_epi32(_mm256_add_epi32(a, b), _mm256_add_epi32(c, d));
	/* the signed lanes widened to 64 bits and added up */
	lo = _mm256_cvtepi32_epi64(_mm256_castsi256_si128(a));
	hi = _mm256_cvtepi32_epi64(_mm256_extracti128_si256(a, 1));
	lo = _mm256_add_epi64(lo, hi);
	s = _mm256_extract_epi64(lo, 0) + _mm256_extract_epi64(lo, 1) + _mm256_extract_epi64(lo, 2) +
	    _mm256_extract_epi64(lo, 3);
	return (uint64_t)(s + (int64_t)n32 * 16 * 32768);
}

/* The native-order sum of p[0, len & ~1), folded to 16 bits: whole vectors, then the last words
 * one by one (a 1448-byte segment: 45 vectors and 4 words), in one call - the general bulk's
 * chunking and 8-byte portable tail cost about a third of a segment's sum on top. */
__attribute__((target("avx2"))) static uint32_t bulk_avx2(const uint8_t *p, size_t len)
{
	uint64_t acc = 0, tail = 0;

	while (len >= 32) {
		size_t blocks = len / 32 < CSUM_AVX2_BLOCKS ? len / 32 : CSUM_AVX2_BLOCKS;

		acc = add_eac(acc, sum_avx2(p, blocks));
		p += blocks * 32;
		len -= blocks * 32;
	}
	for (; len >= 2; len -= 2, p += 2) { /* at most 15 words: no overflow */
		uint16_t w;

		memcpy(&w, p, 2);
		tail += w;
	}
	return fold16(add_eac(acc, tail));
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

/* The native-order sum of p[0, len & ~7), folded to 16 bits (portable). */
static uint32_t bulk(const uint8_t *p, size_t len)
{
	uint64_t acc = 0;

	while (len >= 8) {
		size_t n = len < CSUM_CHUNK ? len & ~(size_t)7 : CSUM_CHUNK;

		acc = add_eac(acc, sum64_portable(p, n / 8));
		p += n;
		len -= n;
	}
	return fold16(acc);
}

static uint32_t csum_add(uint32_t sum, const uint8_t *p, size_t len, bool vector)
{
	size_t i = len & ~(size_t)7;

#if CSUM_HAVE_AVX2
	if (vector) /* every whole word in the vector path, only an odd last byte left */
		i = len & ~(size_t)1;
#else
	(void)vector;
#endif
	if (i) {
		uint32_t folded;

#if CSUM_HAVE_AVX2
		folded = vector ? bulk_avx2(p, i) : bulk(p, i);
#else
		folded = bulk(p, i);
#endif
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

void sim_csum_segments(const uint8_t *p, size_t len, uint32_t mss, uint32_t *sums, size_t n)
{
#if CSUM_HAVE_AVX2
	bool avx2 = have_avx2();
#else
	bool avx2 = false;
#endif

	/* exactly what a call per piece returns (the same path for each piece), with the probe
	 * done once and csum_add inlined */
	for (size_t i = 0, off = 0; i < n && off < len; i++, off += mss) {
		size_t k = len - off < mss ? len - off : mss;

		sums[i] = csum_add(0, p + off, k, avx2 && k >= 64);
	}
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
