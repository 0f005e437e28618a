/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The SEND/LSO WQE builder (qp_build_send_inl, qp.h - what mlx5tls_qp_send, the TLS in-order
 * path and every other frame poster build with) against WQEs written out by hand from the fact
 * sheet (tls-offload-prm.md 8.1, 8.2): the control segment (pc << 8 | opcode, sqn << 8 | DS
 * count, fm_ce_se, the TIS number << 8), the Ethernet segment (cs_flags @4: L3_CSUM | L4_CSUM
 * 0xc0 when there is an L4 header, mss @6, the inline header size @12 and the headers from @14,
 * padded to 16 bytes), the data segment (byte count, lkey, address; none without payload).
 */
#include <stdlib.h>
#include <string.h>

#include "qp.h"
#include "test_util.h"

/* The frame's headers: any bytes (they are copied as they are). */
static void fill_hdr(uint8_t *hdr, size_t n)
{
	for (size_t i = 0; i < n; i++)
		hdr[i] = (uint8_t)(i * 37 + 11);
}

/* Build one WQE into a zeroed buffer of nbb WQEBBs and compare it with want (its layout bytes
 * literal, the header copied in at @30 of the WQE). */
static void check(uint32_t pc, const struct frame_info *fi, uint16_t mss, uint32_t tisn,
		  uint32_t nbb, const uint8_t *want_fixed, size_t fixed_len)
{
	struct mlx5tls_qp *qp = calloc(1, sizeof(*qp));
	uint8_t hdr[256], got[2 * MLX5TLS_WQEBB], want[sizeof(got)];

	CU_ASSERT_PTR_NOT_NULL_FATAL(qp);
	CU_ASSERT_EQUAL_FATAL(qp_send_wqebbs(fi, fi->payload_len), nbb);
	qp->ring.sqn = 0x4321;
	qp->pc = pc;
	fill_hdr(hdr, sizeof(hdr));
	memset(got, 0, sizeof(got));
	qp_build_send_inl(qp, got, nbb, hdr, fi, 0x1122334455667788ull, fi->payload_len,
			  0xaabbccdd, mss, tisn);
	memset(want, 0, sizeof(want));
	memcpy(want, want_fixed, fixed_len);
	memcpy(want + 30, hdr, fi->hdr_len);
	TEST_ASSERT_BYTES("SEND/LSO WQE", got, want, sizeof(got));
	free(qp);
}

/* SEND of an Ethernet + IPv4 + TCP frame (54 bytes of headers) with 1448 bytes of payload on a
 * TLS TIS: headers inline in 4 x 16 bytes past the Ethernet segment's first 2, DS count 7. */
static void test_send(void)
{
	static const uint8_t w[112] = {
		/* ctrl: pc 0x1234, SEND 0x0a; sqn 0x4321, DS 7; fm_ce_se 0; TIS 0x123 << 8 */
		0x00, 0x12, 0x34, 0x0a, 0x00, 0x43, 0x21, 0x07,
		0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x23, 0x00,
		/* eth: swp 0, cs_flags 0xc0, 0, mss 0, metadata 0, inline size 54 */
		0x00, 0x00, 0x00, 0x00, 0xc0, 0x00, 0x00, 0x00,
		0x00, 0x00, 0x00, 0x00, 0x00, 0x36,
		[96] = /* data: 1448 bytes, lkey, address */
		0x00, 0x00, 0x05, 0xa8, 0xaa, 0xbb, 0xcc, 0xdd,
		0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88,
	};
	struct frame_info fi = { .l3_off = 14, .l4_off = 34, .hdr_len = 54, .ipv4 = true,
				 .tcp = true, .payload_len = 1448 };

	check(0x1234, &fi, 0, 0x123, 2, w, sizeof(w));
}

/* LSO (mss 1448) of 16406 bytes behind 78 bytes of headers (TCP options): 5 x 16 inline bytes,
 * DS count 8; the 16-bit pc field at its wrap; a 24-bit TIS number. */
static void test_lso(void)
{
	static const uint8_t w[128] = {
		0x00, 0xff, 0xfe, 0x0e, 0x00, 0x43, 0x21, 0x08,
		0x00, 0x00, 0x00, 0x00, 0xab, 0xcd, 0xef, 0x00,
		0x00, 0x00, 0x00, 0x00, 0xc0, 0x00, 0x05, 0xa8,
		0x00, 0x00, 0x00, 0x00, 0x00, 0x4e,
		[112] =
		0x00, 0x00, 0x40, 0x16, 0xaa, 0xbb, 0xcc, 0xdd,
		0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88,
	};
	struct frame_info fi = { .l3_off = 14, .l4_off = 34, .hdr_len = 78, .ipv4 = true,
				 .tcp = true, .payload_len = 16406 };

	check(0x1fffe, &fi, 1448, 0xabcdef, 2, w, sizeof(w));
}

/* A bare Ethernet frame (14 bytes, no L4 header, no payload), the SQ's default TIS: no checksum
 * flags, one 16-byte inline unit, no data segment, DS count 3. */
static void test_l2_only(void)
{
	static const uint8_t w[30] = {
		0x00, 0x00, 0x00, 0x0a, 0x00, 0x43, 0x21, 0x03,
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
		0x00, 0x00, 0x00, 0x00, 0x00, 0x0e,
	};
	struct frame_info fi = { .hdr_len = 14 };

	check(0, &fi, 0, 0, 1, w, sizeof(w));
}

static const struct test_case cases[] = {
	{ "SEND with payload on a TLS TIS", test_send },
	{ "LSO, header with options, pc wrap", test_lso },
	{ "L2 only, no payload, default TIS", test_l2_only },
	{ NULL, NULL },
};

int main(void)
{
	const struct test_suite suites[] = {
		{ "SEND/LSO WQE layout", NULL, NULL, cases },
		{ NULL, NULL, NULL, NULL },
	};

	return test_run_suites(suites);
}
