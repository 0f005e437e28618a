/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The model's Internet checksum (sim/csum.c): literal values from RFC 1071 and by hand, every
 * length 0..2100 at every start offset 0..7 (the bulk, the vector path and the tails), carries,
 * +0/-0, chaining, and both paths (the one this machine uses and the portable one) against a
 * byte-pair reference written the way RFC 1071 section 4.1 does; and the LSO path's per-WQE
 * header sums against the whole-frame computation for every header shape it takes.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/sq_internal.h"
#include "test_util.h"

#define MAX_LEN 2100u
#define MAX_OFF 8u

/* RFC 1071 4.1, 16 bits at a time in big-endian order: the reference */
static uint16_t ref_sum(const uint8_t *p, size_t len)
{
	uint64_t sum = 0;

	for (; len > 1; len -= 2, p += 2)
		sum += (uint32_t)p[0] << 8 | p[1];
	if (len)
		sum += (uint32_t)p[0] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/* the folded one's complement sum of a partial sum (not complemented) */
static uint16_t folded(uint32_t partial)
{
	return (uint16_t)~sim_csum_fold(partial);
}

static uint16_t sum_fast(const uint8_t *p, size_t len)
{
	return folded(sim_csum_add(0, p, len));
}

static uint16_t sum_portable(const uint8_t *p, size_t len)
{
	return folded(sim_csum_add_portable(0, p, len));
}

static void test_rfc1071_example(void)
{
	/* RFC 1071 section 3, "Numerical Examples": the sum of these bytes is ddf2 */
	static const uint8_t b[] = { 0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7 };

	CU_ASSERT_EQUAL(sum_fast(b, sizeof(b)), 0xddf2);
	CU_ASSERT_EQUAL(sum_portable(b, sizeof(b)), 0xddf2);
	CU_ASSERT_EQUAL(sim_csum_fold(sim_csum_add(0, b, sizeof(b))), 0x220d);
	/* the same bytes summed in pieces that start at even offsets (section 2 (C)) */
	CU_ASSERT_EQUAL(folded(sim_csum_add(sim_csum_add(0, b, 2), b + 2, 6)), 0xddf2);
}

static void test_ipv4_header(void)
{
	/* a 20-byte IPv4 header (192.168.0.1 -> 192.168.0.199, UDP, total length 0x73) whose
	 * checksum field, zero here, is b861 */
	static const uint8_t ip[20] = {
		0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
		0x00, 0x00, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7,
	};
	uint8_t with[20];

	CU_ASSERT_EQUAL(sim_csum_fold(sim_csum_add(0, ip, sizeof(ip))), 0xb861);
	CU_ASSERT_EQUAL(sim_csum_fold(sim_csum_add_portable(0, ip, sizeof(ip))), 0xb861);
	/* a header with its checksum in place sums to ffff: the receiver's check */
	memcpy(with, ip, sizeof(with));
	with[10] = 0xb8;
	with[11] = 0x61;
	CU_ASSERT_EQUAL(sim_csum_fold(sim_csum_add(0, with, sizeof(with))), 0);
}

/* Literal values worked out by hand for runs of one byte value:
 *  01 x 1448: 724 words of 0101 = 724 * 257 = 186068 = 0x2d6d4 -> d6d4 + 2 = d6d6, checksum 2929;
 *  01 x 1449: one more byte 01 as the high half, + 0100 = d7d6, checksum 2829;
 *  ff x 2000: 1000 words of ffff (= -0), sum ffff, checksum 0000;
 *  00 x 2000: sum 0000 (+0), checksum ffff; a lone ff: ff00, checksum 00ff. */
static void test_literal_runs(void)
{
	static uint8_t buf[MAX_LEN + MAX_OFF];

	for (unsigned int off = 0; off < MAX_OFF; off++) {
		memset(buf, 0x01, sizeof(buf));
		CU_ASSERT_EQUAL(sim_csum_fold(sim_csum_add(0, buf + off, 1448)), 0x2929);
		CU_ASSERT_EQUAL(sim_csum_fold(sim_csum_add(0, buf + off, 1449)), 0x2829);
		CU_ASSERT_EQUAL(sim_csum_fold(sim_csum_add_portable(0, buf + off, 1449)), 0x2829);
		memset(buf, 0xff, sizeof(buf));
		CU_ASSERT_EQUAL(sim_csum_fold(sim_csum_add(0, buf + off, 2000)), 0x0000);
		CU_ASSERT_EQUAL(sim_csum_fold(sim_csum_add(0, buf + off, 1)), 0x00ff);
		memset(buf, 0, sizeof(buf));
		CU_ASSERT_EQUAL(sim_csum_fold(sim_csum_add(0, buf + off, 2000)), 0xffff);
	}
}

/* Every length 0..MAX_LEN at every start offset, for runs of 01 (formula: n/2 words of 0101 and
 * a last 0100, folded) and ff (words of ffff = -0, so ffff for even n >= 2, ff00 for odd n, 0 for
 * n = 0). */
static void test_every_length_runs(void)
{
	static uint8_t ones[MAX_LEN + MAX_OFF], ffs[MAX_LEN + MAX_OFF];
	unsigned int bad = 0;

	memset(ones, 0x01, sizeof(ones));
	memset(ffs, 0xff, sizeof(ffs));
	for (unsigned int off = 0; off < MAX_OFF; off++) {
		for (size_t n = 0; n <= MAX_LEN; n++) {
			uint32_t want = (uint32_t)(n / 2) * 0x0101u + (n & 1 ? 0x0100u : 0);
			uint16_t want_ff = !n ? 0 : n & 1 ? 0xff00 : 0xffff;

			while (want >> 16)
				want = (want & 0xffff) + (want >> 16);
			bad += sum_fast(ones + off, n) != want;
			bad += sum_portable(ones + off, n) != want;
			bad += sum_fast(ffs + off, n) != want_ff;
			bad += sum_portable(ffs + off, n) != want_ff;
		}
	}
	CU_ASSERT_EQUAL(bad, 0);
}

/* Random data: both paths equal the reference at every length and offset; carries out of every
 * lane happen with bytes near ff. */
static void test_random_against_reference(void)
{
	static uint8_t buf[MAX_LEN + MAX_OFF], high[MAX_LEN + MAX_OFF];
	unsigned int bad = 0, seed = 12345;

	for (size_t i = 0; i < sizeof(buf); i++) {
		seed = seed * 1103515245u + 12345u;
		buf[i] = (uint8_t)(seed >> 16);
		high[i] = (uint8_t)(0xf0 | buf[i]);
	}
	for (unsigned int off = 0; off < MAX_OFF; off++) {
		for (size_t n = 0; n <= MAX_LEN; n++) {
			uint16_t want = ref_sum(buf + off, n), want_high = ref_sum(high + off, n);

			bad += sum_fast(buf + off, n) != want;
			bad += sum_portable(buf + off, n) != want;
			bad += sum_fast(high + off, n) != want_high;
			bad += sum_portable(high + off, n) != want_high;
		}
	}
	CU_ASSERT_EQUAL(bad, 0);
}

/* A partial sum carried in: pieces that start at even offsets chain to the whole, whatever
 * their lengths (odd only for the last). */
static void test_chaining(void)
{
	static uint8_t buf[MAX_LEN];
	unsigned int bad = 0, seed = 7;

	for (size_t i = 0; i < sizeof(buf); i++) {
		seed = seed * 1103515245u + 12345u;
		buf[i] = (uint8_t)(seed >> 16);
	}
	for (size_t cut = 0; cut < MAX_LEN; cut += 2) {
		uint32_t s = sim_csum_add(0, buf, cut);

		bad += folded(sim_csum_add(s, buf + cut, MAX_LEN - 1 - cut)) !=
		       ref_sum(buf, MAX_LEN - 1);
	}
	/* a carried-in sum near the top of its 31 bits */
	bad += folded(sim_csum_add(0x7fff0000u, buf, 100)) !=
	       folded(0x7fff0000u + ref_sum(buf, 100));
	CU_ASSERT_EQUAL(bad, 0);
}

/* Long input: the bulk over many blocks (the vector path's accumulators, past the blocks one
 * vector call takes); all-ff and all-00 words are the largest and smallest the vector lanes add. */
static void test_long(void)
{
	size_t n = 1u << 20;
	uint8_t *p = malloc(n + 1);
	unsigned int seed = 99;

	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	for (size_t i = 0; i < n + 1; i++) {
		seed = seed * 1103515245u + 12345u;
		p[i] = (uint8_t)(0x80 | seed >> 16);
	}
	CU_ASSERT_EQUAL(sum_fast(p + 1, n), ref_sum(p + 1, n));
	CU_ASSERT_EQUAL(sum_portable(p + 1, n), ref_sum(p + 1, n));
	memset(p, 0xff, n + 1);
	CU_ASSERT_EQUAL(sum_fast(p, n), 0xffff);
	CU_ASSERT_EQUAL(sum_fast(p + 1, n - 37), ref_sum(p + 1, n - 37));
	memset(p, 0, n + 1);
	CU_ASSERT_EQUAL(sum_fast(p, n), 0);
	CU_ASSERT_EQUAL(sum_fast(p + 1, n - 37), 0);
	free(p);
	printf("(checksum path on this machine: %s) ", sim_csum_impl());
	CU_ASSERT(!strcmp(sim_csum_impl(), "avx2") || !strcmp(sim_csum_impl(), "portable"));
}


/* ---- LSO: per-WQE sums + per-segment fields give what sim_pkt_csum computes ---- */

/* A template: Ethernet (+ one 802.1Q tag), IPv4 (+ 4 option bytes) or IPv6, TCP (+ 12 option
 * bytes); returns its length. */
static size_t lso_template(uint8_t *h, bool vlan, bool v6, bool ip_opts, bool tcp_opts)
{
	size_t off = 12, l4;
	uint8_t *ip, *tcp;

	memset(h, 0, 128);
	memcpy(h, "\x02\x00\x00\x00\x00\x01\x02\x00\x00\x00\x00\x02", 12);
	if (vlan) {
		h[off++] = 0x81;
		h[off++] = 0x00;
		h[off++] = 0x00;
		h[off++] = 0x05;
	}
	h[off++] = v6 ? 0x86 : 0x08;
	h[off++] = v6 ? 0xdd : 0x00;
	ip = h + off;
	if (v6) {
		ip[0] = 0x60;
		ip[6] = 6;
		ip[7] = 64;
		for (int i = 0; i < 32; i++)
			ip[8 + i] = (uint8_t)(0xa0 + i * 7);
		l4 = off + 40;
	} else {
		ip[0] = ip_opts ? 0x46 : 0x45;
		ip[6] = 0x40;
		ip[8] = 64;
		ip[9] = 6;
		ip[10] = 0xde; /* whatever the driver left: the device ignores it */
		ip[11] = 0xad;
		memcpy(ip + 12, "\xc6\x12\x00\x01\xc6\x13\xfe\xff", 8);
		if (ip_opts)
			memcpy(ip + 20, "\x01\x01\x01\x00", 4); /* NOP NOP NOP EOL */
		l4 = off + (ip_opts ? 24u : 20u);
	}
	tcp = h + l4;
	memcpy(tcp, "\x01\xbb\x9c\x40\x10\x00\x00\x00\xff\xee\xdd\xcc", 12);
	tcp[12] = tcp_opts ? 0x80 : 0x50;
	tcp[13] = 0x19; /* FIN PSH ACK: the segments change it */
	tcp[14] = 0xff;
	tcp[15] = 0xf0;
	tcp[16] = 0x12; /* stale checksum */
	tcp[17] = 0x34;
	tcp[18] = 0x00;
	tcp[19] = 0x07;
	if (tcp_opts)
		memcpy(tcp + 20, "\x01\x01\x08\x0a\x11\x22\x33\x44\xfe\xdc\xba\x98", 12);
	return l4 + (tcp_opts ? 32u : 20u);
}

static void test_lso_sums(void)
{
	static uint8_t pay[9000];
	unsigned int bad = 0, checked = 0, seed = 3;

	for (size_t i = 0; i < sizeof(pay); i++) {
		seed = seed * 1103515245u + 12345u;
		pay[i] = (uint8_t)(seed >> 16);
	}
	for (unsigned int shape = 0; shape < 16; shape++) {
		bool vlan = shape & 1, v6 = shape & 2, ip_opts = (shape & 4) && !v6,
		     tcp_opts = shape & 8;
		uint8_t hdr[128];
		size_t ihs = lso_template(hdr, vlan, v6, ip_opts, tcp_opts);
		struct sim_pkt tpl;
		struct sim_lso_sums sums;

		CU_ASSERT_FATAL(sim_pkt_parse(hdr, ihs, &tpl, true) == 0);
		CU_ASSERT_FATAL(tpl.l4_proto == 6 && tpl.pay_off == ihs);
		sim_lso_sums_init(&sums, hdr, &tpl);
		for (uint32_t seg = 1; seg <= 1448; seg += seg < 40 ? 1 : 97) {
			/* cs_flags 0x40, 0x80, 0xc0 */
			for (uint8_t cs = 0x40; cs; cs = cs == 0xc0 ? 0 : (uint8_t)(cs + 0x40)) {
				uint8_t a[1600], b[1600];
				uint8_t *ip = a + tpl.l3_off, *tcp = a + tpl.l4_off;
				uint32_t l3len = (uint32_t)(ihs - tpl.l3_off + seg);
				struct sim_pkt fp;

				/* a segment as send_lso cuts it: its lengths, id, seq, flags */
				memcpy(a, hdr, ihs);
				memcpy(a + ihs, pay + seg, seg);
				if (v6) {
					ip[4] = (uint8_t)((l3len - 40) >> 8);
					ip[5] = (uint8_t)(l3len - 40);
				} else {
					ip[2] = (uint8_t)(l3len >> 8);
					ip[3] = (uint8_t)l3len;
					ip[4] = (uint8_t)(0xfff0 + seg);
					ip[5] = (uint8_t)(seg * 3);
				}
				tcp[4] = (uint8_t)(0xff - seg);
				tcp[6] = (uint8_t)(seg >> 3);
				tcp[7] = (uint8_t)(seg * 5);
				tcp[13] = (uint8_t)(seg & 1 ? 0x10 : 0x99);
				memcpy(b, a, ihs + seg);
				CU_ASSERT_FATAL(sim_pkt_parse(b, ihs + seg, &fp, false) == 0);
				sim_pkt_csum(b, &fp, cs);
				sim_lso_csum(a, &tpl, &sums, seg, sim_csum_add(0, a + ihs, seg), cs);
				bad += memcmp(a, b, ihs + seg) != 0;
				checked++;
			}
		}
	}
	CU_ASSERT(checked > 1000);
	CU_ASSERT_EQUAL(bad, 0);
}

/* The payload sums of a run of segments in one call: each the sum a call per piece gives, for
 * even and odd segment sizes (odd: pieces start at odd offsets), a short last piece, and no more
 * than n pieces written. */
static void test_segments(void)
{
	static uint8_t pay[70000];
	static const uint32_t msss[] = { 1, 7, 63, 64, 65, 536, 1447, 1448, 1460, 8948, 9000 };
	static const size_t lens[] = { 1, 100, 1448, 1449, 65000, 69999 };
	uint32_t sums[70];
	unsigned int bad = 0, checked = 0, seed = 11;

	for (size_t i = 0; i < sizeof(pay); i++) {
		seed = seed * 1103515245u + 12345u;
		pay[i] = (uint8_t)(seed >> 16);
	}
	for (size_t m = 0; m < sizeof(msss) / sizeof(msss[0]); m++) {
		for (size_t l = 0; l < sizeof(lens) / sizeof(lens[0]); l++) {
			uint32_t mss = msss[m];
			size_t len = lens[l], n = 0;

			/* the pieces there are, at most 64 */
			for (size_t off = 0; off < len && n < 64; off += mss)
				n++;

			memset(sums, 0xee, sizeof(sums));
			sim_csum_segments(pay + 1, len, mss, sums, n);
			for (size_t i = 0; i < n; i++) {
				size_t off = i * mss, k = len - off < mss ? len - off : mss;

				bad += sums[i] != sim_csum_add(0, pay + 1 + off, k);
				checked++;
			}
			bad += sums[n] != 0xeeeeeeeeu;
		}
	}
	CU_ASSERT(checked > 500);
	CU_ASSERT_EQUAL(bad, 0);
}

static const struct test_case csum_cases[] = {
	{ "RFC 1071 example", test_rfc1071_example },
	{ "IPv4 header", test_ipv4_header },
	{ "literal runs", test_literal_runs },
	{ "every length, runs", test_every_length_runs },
	{ "random data against the reference", test_random_against_reference },
	{ "chaining", test_chaining },
	{ "long input", test_long },
	{ "LSO segment sums", test_lso_sums },
	{ "segment payload sums in one call", test_segments },
	{ NULL, NULL },
};

static const struct test_suite suites[] = {
	{ "sim checksum", NULL, NULL, csum_cases },
	{ NULL, NULL, NULL, NULL },
};

int main(void)
{
	return test_run_suites(suites);
}
