/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Tests of the OpenSSL peer harness's software record reference (tests/util/tls_record.c,
 * declared in tls_peer.h): the record layout of TLS 1.2 and 1.3 byte by byte, and the
 * AES-GCM encrypt/decrypt round trip with its tag and length checks. The fixture is
 * tests/util/tls_peer_fixture.h.
 */
#include "tls_peer_fixture.h"

static void test_layout_format(void)
{
	struct tls12_crypto_info_aes_gcm_128 ci12, ci13;
	uint8_t pt[3] = { 0xaa, 0xbb, 0xcc }, out[64], zero[16] = { 0 };
	ssize_t n;

	test_ci128(&ci12, TLS_1_2_VERSION, 0x10);
	memcpy(ci12.iv, "\x00\x00\x00\x00\x00\x00\x10\x00", 8);
	memcpy(ci12.rec_seq, "\x00\x00\x00\x00\x00\x00\x00\x05", 8);
	test_ci128(&ci13, TLS_1_3_VERSION, 0x20);

	CU_ASSERT_EQUAL(tls_record_size(TLS_1_2_VERSION, 3), 5 + 8 + 3 + 16);
	CU_ASSERT_EQUAL(tls_record_size(TLS_1_3_VERSION, 3), 5 + 3 + 1 + 16);
	CU_ASSERT_EQUAL(tls_record_size(0x0302, 3), 0);
	CU_ASSERT_EQUAL(tls_record_pt_offset(TLS_1_2_VERSION), 13);
	CU_ASSERT_EQUAL(tls_record_pt_offset(TLS_1_3_VERSION), 5);

	/* TLS 1.2, record 7 = info's record 5 + 2: explicit nonce = iv + 2 */
	n = tls_record_layout(&ci12.info, TLS_RT_APPLICATION_DATA, 7, pt, 3, out, sizeof(out));
	CU_ASSERT_EQUAL_FATAL(n, 32);
	TEST_ASSERT_BYTES("1.2 header+nonce", out,
			  "\x17\x03\x03\x00\x1b\x00\x00\x00\x00\x00\x00\x10\x02", 13);
	TEST_ASSERT_BYTES("1.2 plaintext", out + 13, pt, 3);
	TEST_ASSERT_BYTES("1.2 tag room", out + 16, zero, 16);
	/* other content types are kept in 1.2 headers */
	n = tls_record_layout(&ci12.info, TLS_RT_ALERT, 5, pt, 2, out, sizeof(out));
	CU_ASSERT_EQUAL_FATAL(n, 31);
	TEST_ASSERT_BYTES("1.2 alert header+nonce", out,
			  "\x15\x03\x03\x00\x1a\x00\x00\x00\x00\x00\x00\x10\x00", 13);

	/* TLS 1.3: outer type 23, inner type appended */
	n = tls_record_layout(&ci13.info, TLS_RT_HANDSHAKE, 0, pt, 3, out, sizeof(out));
	CU_ASSERT_EQUAL_FATAL(n, 25);
	TEST_ASSERT_BYTES("1.3 record", out, "\x17\x03\x03\x00\x14\xaa\xbb\xcc\x16", 9);
	TEST_ASSERT_BYTES("1.3 tag room", out + 9, zero, 16);
	n = tls_record_layout(&ci13.info, TLS_RT_APPLICATION_DATA, 0, NULL, 0, out, sizeof(out));
	CU_ASSERT_EQUAL(n, 22);
	TEST_ASSERT_BYTES("1.3 empty", out, "\x17\x03\x03\x00\x11\x17", 6);

	/* errors */
	CU_ASSERT_EQUAL(tls_record_layout(&ci13.info, 23, 0, pt, 3, out, 24), -ENOSPC);
	CU_ASSERT_EQUAL(errno, ENOSPC);
	CU_ASSERT_EQUAL(tls_record_layout(&ci13.info, 23, 0, NULL, 3, out, sizeof(out)), -EINVAL);
	CU_ASSERT_EQUAL(tls_record_layout(NULL, 23, 0, pt, 3, out, sizeof(out)), -EINVAL);
	ci13.info.cipher_type = TLS_CIPHER_AES_CCM_128;
	CU_ASSERT_EQUAL(tls_record_layout(&ci13.info, 23, 0, pt, 3, out, sizeof(out)), -EINVAL);
	CU_ASSERT_EQUAL(tls_peer_crypto_info_size(&ci13.info), 0);
	ci13.info.cipher_type = TLS_CIPHER_AES_GCM_128;
	ci13.info.version = 0x0302;
	CU_ASSERT_EQUAL(tls_record_layout(&ci13.info, 23, 0, pt, 3, out, sizeof(out)), -EINVAL);
	CU_ASSERT_EQUAL(tls_record_layout(&ci12.info, 23, 0, pt, 0x10000, out, sizeof(out)),
			-EINVAL);
}

/* Encrypt/decrypt round trip, tag and length checks, both versions and key sizes. */
static void test_sw_roundtrip(void)
{
	uint16_t versions[2] = { TLS_1_2_VERSION, TLS_1_3_VERSION };

	for (int v = 0; v < 2; v++) {
		for (int k = 0; k < 2; k++) {
			union tls_peer_crypto_info ci;
			uint8_t pt[100], rec[200], type = 0;
			size_t len;
			ssize_t n;

			if (k == 0)
				test_ci128(&ci.gcm128, versions[v], 0x30);
			else
				test_ci256(&ci.gcm256, versions[v], 0x30);
			fill_pattern(pt, sizeof(pt), 9);
			n = tls_record_layout(&ci.info, TLS_RT_APPLICATION_DATA, 42, pt, sizeof(pt),
					      rec, sizeof(rec));
			CU_ASSERT_FATAL(n > 0);
			len = (size_t)n;
			CU_ASSERT_EQUAL(tls_record_encrypt_sw(&ci.info, 42, rec, len), 0);
			CU_ASSERT_NOT_EQUAL(memcmp(rec + tls_record_pt_offset(versions[v]), pt,
						   sizeof(pt)), 0);
			CU_ASSERT_EQUAL(tls_record_decrypt_sw(&ci.info, 42, rec, len, &type),
					(ssize_t)sizeof(pt));
			CU_ASSERT_EQUAL(type, TLS_RT_APPLICATION_DATA);
			TEST_ASSERT_BYTES("roundtrip", rec + tls_record_pt_offset(versions[v]), pt,
					  sizeof(pt));
			/* re-encrypt, then a wrong seq / flipped tag bit fails */
			CU_ASSERT_EQUAL(tls_record_encrypt_sw(&ci.info, 42, rec, len), 0);
			CU_ASSERT_EQUAL(tls_record_decrypt_sw(&ci.info, 43, rec, len, NULL),
					-EBADMSG);
			CU_ASSERT_EQUAL(errno, EBADMSG);
			CU_ASSERT_EQUAL(tls_record_encrypt_sw(&ci.info, 42, rec, len), 0);
			/* length must match the header */
			CU_ASSERT_EQUAL(tls_record_encrypt_sw(&ci.info, 42, rec, len - 1), -EINVAL);
			CU_ASSERT_EQUAL(tls_record_decrypt_sw(&ci.info, 42, rec, 4, NULL), -EINVAL);
		}
	}
}

static const struct test_case cases[] = {
	{ "record layout format", test_layout_format },
	{ "software encrypt/decrypt round trip", test_sw_roundtrip },
	{ NULL, NULL },
};

int main(void)
{
	static const struct test_suite suites[] = {
		{ "tls_peer records", NULL, cleanup_global, cases },
		{ NULL, NULL, NULL, NULL },
	};

	return test_run_suites(suites);
}
