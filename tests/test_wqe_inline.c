/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The SEND/LSO WQE builder inlined into the TLS in-order path (qp_build_send_inl, qp.h) builds
 * the same bytes as qp_build_send (qp.c, what mlx5tls_qp_send and every other poster use), for
 * every header length a frame may have (L2 only, VLAN, IPv4/IPv6, TCP options, the largest
 * inline header), with and without payload, SEND and LSO, TLS TIS or none, at producer counters
 * across the 16-bit wrap. The two are separate copies (qp.c's stays out of line, unchanged: it
 * is the TLS per-WQE benchmark's baseline), so this is what keeps them one layout.
 */
#include <stdlib.h>
#include <string.h>

#include "qp.h"
#include "test_util.h"

static void test_same_bytes(void)
{
	static const uint16_t hdr_lens[] = { 14, 18, 34, 38, 54, 58, 66, 74, 78, 86, 94, 130, 190 };
	static const uint32_t payloads[] = { 0, 1, 17, 1448, 16406, 65000 };
	static const uint16_t msss[] = { 0, 536, 1448 };
	static const uint32_t tisns[] = { 0, 0x123, 0xabcdef };
	static const uint32_t pcs[] = { 0, 1, 0xfffe, 0x1ffff, 0x12345 };
	struct mlx5tls_qp *qp = calloc(1, sizeof(*qp));
	uint8_t hdr[256], a[QP_MAX_WQEBBS * MLX5TLS_WQEBB], b[sizeof(a)];
	unsigned int built = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(qp);
	for (size_t i = 0; i < sizeof(hdr); i++)
		hdr[i] = (uint8_t)(i * 37 + 11);
	qp->ring.sqn = 0x4321;
	for (size_t h = 0; h < sizeof(hdr_lens) / sizeof(hdr_lens[0]); h++)
		for (size_t p = 0; p < sizeof(payloads) / sizeof(payloads[0]); p++)
			for (size_t m = 0; m < sizeof(msss) / sizeof(msss[0]); m++)
				for (size_t t = 0; t < sizeof(tisns) / sizeof(tisns[0]); t++) {
					struct frame_info fi = {
						.l3_off = 14, .l4_off = hdr_lens[h] > 34 ? 34 : 0,
						.hdr_len = hdr_lens[h], .ipv4 = true,
						.tcp = hdr_lens[h] > 34,
						.payload_len = payloads[p],
					};
					uint32_t nbb = qp_send_wqebbs(&fi, fi.payload_len);

					CU_ASSERT_FATAL(nbb >= 1 && nbb <= QP_MAX_WQEBBS);
					qp->pc = pcs[(h + p + m + t) % 5];
					/* ring memory is zeroed before a WQE is built in it */
					memset(a, 0, sizeof(a));
					memset(b, 0, sizeof(b));
					qp_build_send(qp, a, nbb, hdr, &fi, 0x1122334455667788ull,
						      fi.payload_len, 0xdeadbeef, msss[m], tisns[t]);
					qp_build_send_inl(qp, b, nbb, hdr, &fi,
							  0x1122334455667788ull, fi.payload_len,
							  0xdeadbeef, msss[m], tisns[t]);
					CU_ASSERT_EQUAL(memcmp(a, b, sizeof(a)), 0);
					/* nothing past the WQE's own WQEBBs */
					for (size_t k = (size_t)nbb * MLX5TLS_WQEBB; k < sizeof(b); k++)
						CU_ASSERT_EQUAL_FATAL(b[k], 0);
					built++;
				}
	CU_ASSERT_EQUAL(built, 13u * 6 * 3 * 3);
	free(qp);
}

static const struct test_case cases[] = {
	{ "inline SEND/LSO builder == qp_build_send", test_same_bytes },
	{ NULL, NULL },
};

static const struct test_suite suites[] = {
	{ "wqe_inline", NULL, NULL, cases },
	{ NULL, NULL, NULL, NULL },
};

int main(void)
{
	return test_run_suites(suites);
}
