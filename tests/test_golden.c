/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Golden byte tests: the library's encoders against the literal vectors of the fact sheet
 * (../shared/prm/tls-offload-prm.md section 14, and the tables of 3.4-8.7 where a vector is given
 * as a table). The expected bytes are written out by hand here, never produced by the encoders.
 */
#include <string.h>

#include "dek_cmd.h"
#include "mlx5tls_internal.h"
#include "prm/mlx5_ifc_tls.h"
#include "test_util.h"
#include "wqe.h"

static const uint8_t rec_seq_7[8] = { 0, 0, 0, 0, 0, 0, 0, 7 };

/* fact sheet 14: static params, TLS 1.2, salt a1a2a3a4, rec_seq ..07, resync 0x11223344,
 * dek_index 0xabcd */
static const uint8_t static_params_tls12[64] = {
	0x89, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x07,
	0x11, 0x22, 0x33, 0x44, 0xa1, 0xa2, 0xa3, 0xa4, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0xab, 0xcd, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
};

/* fact sheet 14: the same with TLS 1.3 and iv b1..b8 */
static const uint8_t static_params_tls13[64] = {
	0x8d, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x07,
	0x11, 0x22, 0x33, 0x44, 0xa1, 0xa2, 0xa3, 0xa4, 0xb1, 0xb2, 0xb3, 0xb4, 0xb5, 0xb6, 0xb7, 0xb8,
	0x00, 0x00, 0xab, 0xcd, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
};

static void fill_info(struct tls_static_info *info, bool tls13)
{
	static const uint8_t salt[4] = { 0xa1, 0xa2, 0xa3, 0xa4 };
	static const uint8_t iv[8] = { 0xb1, 0xb2, 0xb3, 0xb4, 0xb5, 0xb6, 0xb7, 0xb8 };

	memset(info, 0, sizeof(*info));
	info->tls13 = tls13;
	memcpy(info->rec_seq, rec_seq_7, 8);
	memcpy(info->salt, salt, 4);
	memcpy(info->iv, iv, 8);
	info->resync_tcp_sn = 0x11223344;
	info->dek_index = 0xabcd;
}

static void test_static_params_tls12(void)
{
	uint8_t got[64] = { 0 };
	struct tls_static_info info;

	fill_info(&info, false);
	tls_static_params_fill(got, &info);
	TEST_ASSERT_BYTES("static params TLS 1.2", got, static_params_tls12, 64);
}

static void test_static_params_tls13(void)
{
	uint8_t got[64] = { 0 };
	struct tls_static_info info;

	fill_info(&info, true);
	tls_static_params_fill(got, &info);
	TEST_ASSERT_BYTES("static params TLS 1.3", got, static_params_tls13, 64);
}

/* fact sheet 14: progress ctx (next_record_tcp_sn 0xdeadbeef, START, NO_OFFLOAD) */
static void test_progress_params(void)
{
	static const uint8_t want[12] = { 0xde, 0xad, 0xbe, 0xef, 0, 0, 0, 0, 0, 0, 0, 0 };
	uint8_t got[12] = { 0 };

	tls_progress_params_fill(got, 0xdeadbeef, 0, 0);
	TEST_ASSERT_BYTES("progress params", got, want, sizeof(want));
}

/* fact sheet 14: a GET_PSV-style ctx decodes to hw_resync 0x01020304, TRACKING, NO_OFFLOAD,
 * hw_offset_record_number 5 — checks the layout's read side. */
static void test_progress_params_decode(void)
{
	static const uint8_t ctx[12] = { 0, 0, 0, 0, 0x01, 0x02, 0x03, 0x04, 0x40, 0x00, 0x00, 0x05 };
	uint8_t got[12] = { 0 };

	CU_ASSERT_EQUAL(DEVX_GET(tls_progress_params, ctx, next_record_tcp_sn), 0);
	CU_ASSERT_EQUAL(DEVX_GET(tls_progress_params, ctx, hw_resync_tcp_sn), 0x01020304);
	CU_ASSERT_EQUAL(DEVX_GET(tls_progress_params, ctx, record_tracker_state),
			MLX5_TLS_PROGRESS_PARAMS_RECORD_TRACKER_STATE_TRACKING);
	CU_ASSERT_EQUAL(DEVX_GET(tls_progress_params, ctx, auth_state),
			MLX5_TLS_PROGRESS_PARAMS_AUTH_STATE_NO_OFFLOAD);
	CU_ASSERT_EQUAL(DEVX_GET(tls_progress_params, ctx, hw_offset_record_number), 5);
	/* and the write side produces the same bytes */
	DEVX_SET(tls_progress_params, got, hw_resync_tcp_sn, 0x01020304);
	tls_progress_params_fill(got, 0, 1, 0);
	DEVX_SET(tls_progress_params, got, hw_offset_record_number, 5);
	TEST_ASSERT_BYTES("GET_PSV ctx", got, ctx, sizeof(ctx));
}

/* fact sheet 14: CREATE_GENERAL_OBJECT bulk DEK, log_obj_range 12, purpose TLS, pd 0x123 */
static void test_bulk_dek_create(void)
{
	static const uint8_t want[32] = {
		0x0a, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0c,
		0x00, 0x00, 0x00, 0x00, 0x0c, 0x00, 0x00, 0x00,
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
		0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x01, 0x23,
	};
	static uint8_t in[DEK_CREATE_IN_SZ];

	memset(in, 0, sizeof(in));
	dek_encode_create_bulk(in, 0x123, 12);
	CU_ASSERT_EQUAL(sizeof(in), 528); /* fact sheet 3.5: 0x1080 bits */
	TEST_ASSERT_BYTES("bulk DEK create", in, want, sizeof(want));
	for (size_t i = sizeof(want); i < sizeof(in); i++)
		CU_ASSERT_EQUAL_FATAL(in[i], 0);
}

/* fact sheet 14: MODIFY DEK, base 0x4000, offset 5, 128-bit key 10..1f at command bytes
 * 0x60..0x6f; 0x50..0x5f zero */
static void test_modify_dek(void)
{
	static const uint8_t want_hdr[16] = { 0x0a, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0c,
					      0x00, 0x00, 0x40, 0x00, 0x00, 0x00, 0x00, 0x05 };
	static const uint8_t want_obj[16] = { 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,
					      0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x01, 0x23 };
	static const uint8_t key[16] = { 0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17,
					 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f };
	static const uint8_t zero16[16];
	static uint8_t in[DEK_MODIFY_IN_SZ];
	struct cmd_secret secret;

	memset(in, 0, sizeof(in));
	dek_encode_modify(in, 0x4000, 5, 0x123, key, sizeof(key), &secret);
	TEST_ASSERT_BYTES("MODIFY DEK header", in, want_hdr, 16);
	TEST_ASSERT_BYTES("MODIFY DEK object", in + 16, want_obj, 16);
	TEST_ASSERT_BYTES("MODIFY DEK key", in + 0x60, key, 16);
	TEST_ASSERT_BYTES("MODIFY DEK reserved key half", in + 0x50, zero16, 16);
	CU_ASSERT_EQUAL(secret.off, 0x60);
	CU_ASSERT_EQUAL(secret.len, 16);
	for (size_t i = 0x70; i < sizeof(in); i++)
		CU_ASSERT_EQUAL_FATAL(in[i], 0);
}

/* fact sheet 3.4: a 256-bit key fills command bytes 80..111 (object bytes 64..95) */
static void test_create_dek_256(void)
{
	static const uint8_t want_head[32] = {
		0x0a, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0c,
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
		0x00, 0x00, 0x01, 0x01, 0x00, 0x00, 0x00, 0x42,
	};
	static const uint8_t opaque_bytes[8] = { 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08 };
	static uint8_t in[DEK_CREATE_IN_SZ];
	uint8_t key[32];
	struct cmd_secret secret;

	for (int i = 0; i < 32; i++)
		key[i] = (uint8_t)(0xc0 + i);
	memset(in, 0, sizeof(in));
	dek_encode_create(in, 0x42, key, 32, 0x0102030405060708ull, &secret);
	TEST_ASSERT_BYTES("CREATE DEK 256 head", in, want_head, sizeof(want_head));
	TEST_ASSERT_BYTES("CREATE DEK opaque", in + 16 + 48, opaque_bytes, 8);
	TEST_ASSERT_BYTES("CREATE DEK 256 key", in + 80, key, 32);
	CU_ASSERT_EQUAL(secret.off, 80);
	CU_ASSERT_EQUAL(secret.len, 32);
}

/* fact sheet 14: SYNC_CRYPTO (TLS) */
static void test_sync_crypto(void)
{
	static const uint8_t want[32] = { 0x0b, 0x12, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
					  0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02 };
	uint8_t in[SYNC_CRYPTO_IN_SZ] = { 0 };

	CU_ASSERT_EQUAL(sizeof(in), 32);
	sync_crypto_encode(in, MLX5_SYNC_CRYPTO_TYPE_TLS);
	TEST_ASSERT_BYTES("SYNC_CRYPTO", in, want, sizeof(want));
}

/* fact sheet 14: QUERY_HCA_CAP TLS/cur; 5.1: general cur 0x1, crypto cur 0x35 */
static void test_query_hca_cap(void)
{
	static const uint8_t want_tls[16] = { 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x23 };
	static const uint8_t want_gen[16] = { 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01 };
	static const uint8_t want_crypto[16] = { 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x35 };
	uint8_t in[16];

	memset(in, 0, sizeof(in));
	caps_encode_query(in, MLX5_CAP_TYPE_TLS);
	TEST_ASSERT_BYTES("QUERY_HCA_CAP TLS", in, want_tls, 16);
	memset(in, 0, sizeof(in));
	caps_encode_query(in, MLX5_CAP_TYPE_GENERAL);
	TEST_ASSERT_BYTES("QUERY_HCA_CAP general", in, want_gen, 16);
	memset(in, 0, sizeof(in));
	caps_encode_query(in, MLX5_CAP_TYPE_CRYPTO);
	TEST_ASSERT_BYTES("QUERY_HCA_CAP crypto", in, want_crypto, 16);
}

/* fact sheet 14 ctrl segments (pc 0x0010, sqn 0x1a2, tisn 0x55) and 8.3 for the UMR part. */
static void test_static_params_wqe(void)
{
	static const uint8_t want_bb0[64] = {
		/* ctrl: static params TX, fenced */
		0x01, 0x00, 0x10, 0x25, 0x00, 0x01, 0xa2, 0x0c, 0x00, 0x00, 0x00, 0x20, 0x00, 0x00, 0x55, 0x00,
		/* umr ctrl: flags 0x80 (inline), bsf_octowords 4 at bytes 6..7, rest zero */
		0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	};
	static const uint8_t zero64[64];
	uint8_t bb0[64], bb1[64], bb2[64];
	void *const bbs[3] = { bb0, bb1, bb2 };
	struct tls_static_info info;

	memset(bb0, 0, 64);
	memset(bb1, 0xff, 64); /* the builder must zero the mkey context itself */
	memset(bb2, 0, 64);
	fill_info(&info, false);
	wqe_build_static_params(bbs, 0x0010, 0x1a2, MLX5TLS_OPC_MOD_TIS, 0x55, true, &info);
	TEST_ASSERT_BYTES("static params WQEBB 0", bb0, want_bb0, 64);
	TEST_ASSERT_BYTES("static params WQEBB 1 (mkey)", bb1, zero64, 64);
	TEST_ASSERT_BYTES("static params WQEBB 2", bb2, static_params_tls12, 64);
}

static void test_progress_params_wqe(void)
{
	static const uint8_t want[32] = {
		0x01, 0x00, 0x10, 0x20, 0x00, 0x01, 0xa2, 0x02, 0x00, 0x00, 0x00, 0x20, 0x00, 0x00, 0x00, 0x00,
		0x00, 0x00, 0x00, 0x55, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	};
	uint8_t got[32] = { 0 };

	wqe_build_progress_params(got, 0x0010, 0x1a2, MLX5TLS_OPC_MOD_TIS, 0x55, true, 0);
	TEST_ASSERT_BYTES("progress params WQE", got, want, 32);
}

static void test_dump_wqe(void)
{
	static const uint8_t want[32] = {
		0x00, 0x00, 0x10, 0x23, 0x00, 0x01, 0xa2, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x55, 0x00,
		/* data segment (8.1): byte_count 1448, lkey 0x1234, addr 0x1122334455667788 */
		0x00, 0x00, 0x05, 0xa8, 0x00, 0x00, 0x12, 0x34, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88,
	};
	uint8_t got[32] = { 0 };

	wqe_build_dump(got, 0x0010, 0x1a2, 0x55, 0x1122334455667788ull, 0x1234, 1448, false);
	TEST_ASSERT_BYTES("DUMP WQE", got, want, 32);
}

/* fact sheet 8.7: NOP with fence: ds 1, fm_ce_se 0x20 */
static void test_fence_nop(void)
{
	static const uint8_t want[16] = { 0x00, 0x00, 0x10, 0x00, 0x00, 0x01, 0xa2, 0x01,
					  0x00, 0x00, 0x00, 0x20, 0x00, 0x00, 0x00, 0x00 };
	uint8_t got[16] = { 0 };

	wqe_build_fence_nop(got, 0x0010, 0x1a2);
	TEST_ASSERT_BYTES("fence NOP", got, want, 16);
}

/* GET_PSV, laid out by hand from the table of fact sheet 8.5 (pc 0x0010, sqn 0x1a2, tirn 0x55,
 * l_key 0x11223344, va 0x0102030405060740): ctrl (2 << 24 | pc << 8 | 0x21, sqn << 8 | 4,
 * fm_ce_se CQ_UPDATE 0x08), then mlx5_seg_get_psv: num_psv 0x10 at WQE byte 35, l_key at 36,
 * va at 40, psv_index[0] = tirn unshifted at 48. */
static void test_get_psv_wqe(void)
{
	static const uint8_t want[64] = {
		0x02, 0x00, 0x10, 0x21, 0x00, 0x01, 0xa2, 0x04, 0x00, 0x00, 0x00, 0x08, 0x00, 0x00,
		0x00, 0x00, /* ctrl */
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
		0x00, 0x00, 0x00, 0x00, 0x00, 0x10, /* rsvd[19], num_psv */
		0x11, 0x22, 0x33, 0x44, /* l_key */
		0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x40, /* va */
		0x00, 0x00, 0x00, 0x55, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
		0x00, 0x00, /* psv_index[0..3] */
	};
	uint8_t got[64] = { 0 };

	wqe_build_get_psv(got, 0x0010, 0x1a2, 0x55, 0x11223344, 0x0102030405060740ull);
	TEST_ASSERT_BYTES("GET_PSV", got, want, 64);
}

/* The ifc layouts against the offsets of fact sheet 3-7 (computed independently there). */
static void test_layout_offsets(void)
{
	CU_ASSERT_EQUAL(DEVX_ST_SZ_BYTES(encryption_key_obj), 512);
	CU_ASSERT_EQUAL(DEVX_ST_SZ_BYTES(tisc), 160);
	CU_ASSERT_EQUAL(DEVX_ST_SZ_BYTES(query_tis_out), 176);
	CU_ASSERT_EQUAL(DEVX_ST_SZ_BYTES(query_hca_cap_out), 4112);
	/* the kernel's mlx5_ifc.h: cmd_hca_cap is 0x800 bits, the capability union 0x8000 */
	CU_ASSERT_EQUAL(DEVX_ST_SZ_BYTES(cmd_hca_cap), 256);
	CU_ASSERT_EQUAL(sizeof(union mlx5_ifc_hca_cap_union_bits) / 8, 4096);
	CU_ASSERT_EQUAL(DEVX_ST_SZ_BYTES(tls_static_params), 64);
	CU_ASSERT_EQUAL(DEVX_ST_SZ_BYTES(tls_progress_params), 12);
	CU_ASSERT_EQUAL(__devx_bit_off(cmd_hca_cap, tls_tx), 0x481);
	CU_ASSERT_EQUAL(__devx_bit_off(cmd_hca_cap, tls_rx), 0x482);
	CU_ASSERT_EQUAL(__devx_bit_off(cmd_hca_cap, log_max_dek), 0x5b3);
	CU_ASSERT_EQUAL(__devx_bit_off(cmd_hca_cap, crypto), 0x469);
	CU_ASSERT_EQUAL(__devx_bit_off(cmd_hca_cap, general_obj_types), 0x400);
	CU_ASSERT_EQUAL(__devx_bit_off(cmd_hca_cap, log_max_tis), 0x37b);
	CU_ASSERT_EQUAL(__devx_bit_off(crypto_cap, log_dek_max_alloc), 0x23);
	CU_ASSERT_EQUAL(__devx_bit_off(crypto_cap, synchronize_dek), 0x3);
	CU_ASSERT_EQUAL(__devx_bit_off(tisc, tls_en), 0x1);
	CU_ASSERT_EQUAL(__devx_bit_off(tisc, pd), 0x168);
	CU_ASSERT_EQUAL(__devx_bit_off(tisc, transport_domain), 0x128);
	CU_ASSERT_EQUAL(DEVX_BYTE_OFF(create_tis_in, ctx), 32);
	CU_ASSERT_EQUAL(DEVX_BYTE_OFF(encryption_key_obj, key[1]), 80);
	CU_ASSERT_EQUAL(__devx_bit_off(tls_static_params, dek_index), 0x108);
}

static const struct test_case golden_cases[] = {
	{ "static params TLS 1.2", test_static_params_tls12 },
	{ "static params TLS 1.3", test_static_params_tls13 },
	{ "progress params", test_progress_params },
	{ "progress params decode (GET_PSV)", test_progress_params_decode },
	{ "bulk DEK create", test_bulk_dek_create },
	{ "MODIFY DEK", test_modify_dek },
	{ "CREATE DEK 256-bit key placement", test_create_dek_256 },
	{ "SYNC_CRYPTO", test_sync_crypto },
	{ "QUERY_HCA_CAP", test_query_hca_cap },
	{ "static params WQE", test_static_params_wqe },
	{ "progress params WQE", test_progress_params_wqe },
	{ "DUMP WQE", test_dump_wqe },
	{ "fence NOP", test_fence_nop },
	{ "GET_PSV WQE", test_get_psv_wqe },
	{ "layout offsets", test_layout_offsets },
	{ NULL, NULL },
};

static const struct test_suite suites[] = {
	{ "golden", NULL, NULL, golden_cases },
	{ NULL, NULL, NULL, NULL },
};

int main(void)
{
	return test_run_suites(suites);
}
