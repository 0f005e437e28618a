/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Tests of the in-process OpenSSL peer harness (tests/util/tls_peer.h): records the receiving
 * OpenSSL side must refuse - damaged ciphertext, tag, nonce or header, the wrong key, the wrong
 * sequence number - in each TLS version and key size, each reported as what it is, after the
 * good records before it. The fixture is tests/util/tls_peer_fixture.h.
 */
#include <openssl/err.h>

#include "tls_peer_fixture.h"

enum corruption { CORRUPT_CIPHERTEXT, CORRUPT_TAG, CORRUPT_NONCE, CORRUPT_KEY, CORRUPT_SEQ };

static void expect_bad_record(enum corruption what)
{
	struct tls_peer_pair *pair = new_pair();
	union tls_peer_crypto_info ci;
	static struct stream s;
	static uint8_t out[3 * BIG];
	size_t r2_off;
	ssize_t got, want;

	if (!pair)
		return;
	CU_ASSERT_EQUAL_FATAL(tls_peer_export_tx(pair, TLS_PEER_SERVER, 0, &ci), 0);
	if (what == CORRUPT_KEY) {
		/* Records encrypted with a key that differs in one bit. */
		uint8_t *key = ci_key(&ci);

		key[3] ^= 0x10;
	}
	CU_ASSERT_EQUAL_FATAL(build_stream(&s, &ci, ci_rec_seq(&ci), three_lens, 3), 0);
	/* Damage the third (16384-byte) record; the first two stay good. */
	r2_off = tls_record_size(ci.info.version, 0) + tls_record_size(ci.info.version, 1);
	switch (what) {
	case CORRUPT_CIPHERTEXT:
		s.wire[r2_off + tls_record_pt_offset(ci.info.version) + 1000] ^= 0x01;
		break;
	case CORRUPT_TAG:
		s.wire[s.wire_len - 1] ^= 0x80;
		break;
	case CORRUPT_NONCE:
		if (ci.info.version == TLS_1_2_VERSION)
			s.wire[r2_off + TLS_RECORD_HDR_LEN + 7] ^= 0x01;
		else
			s.wire[r2_off] = TLS_RT_HANDSHAKE; /* TLS 1.3: the header is the AAD */
		break;
	case CORRUPT_KEY:
		break;
	case CORRUPT_SEQ:
		/* Encrypt the last record under the next record's number (TLS 1.2: the AAD's
		 * seq; TLS 1.3: the nonce), keeping the kernel's explicit nonce of its real
		 * position. */
		CU_ASSERT_EQUAL(tls_record_layout(&ci.info, TLS_RT_APPLICATION_DATA,
						  ci_rec_seq(&ci) + 2, s.pt + 1, BIG,
						  s.wire + r2_off, sizeof(s.wire) - r2_off),
				(ssize_t)tls_record_size(ci.info.version, BIG));
		CU_ASSERT_EQUAL(tls_record_encrypt_sw(&ci.info, ci_rec_seq(&ci) + 3,
						      s.wire + r2_off,
						      tls_record_size(ci.info.version, BIG)), 0);
		break;
	}
	/* TLS 1.3 checks the header before decrypting: a changed type is a protocol error, which
	 * the harness keeps distinct from a MAC failure. */
	want = what == CORRUPT_NONCE && ci.info.version == TLS_1_3_VERSION ? -EPROTO : -EBADMSG;
	got = feed_and_read(pair, TLS_PEER_CLIENT, s.wire, s.wire_len, SIZE_MAX, out, sizeof(out));
	if (what != CORRUPT_KEY) {
		/* The good records (0 and 1 bytes) are delivered first, then the error. */
		CU_ASSERT_EQUAL(got, 1);
		CU_ASSERT_EQUAL(out[0], s.pt[0]);
		got = tls_peer_read(pair, TLS_PEER_CLIENT, out, sizeof(out));
	}
	/* (with the wrong key, already the empty first record fails) */
	CU_ASSERT_EQUAL(got, want);
	CU_ASSERT_EQUAL(errno, (int)-got);
	if (got != want)
		fprintf(stderr, "\n  got %zd: %s\n", got,
			tls_peer_last_error(pair, TLS_PEER_CLIENT));
	if (want == -EBADMSG) {
		CU_ASSERT_EQUAL(ERR_GET_LIB(tls_peer_last_error_code(pair, TLS_PEER_CLIENT)),
				ERR_LIB_SSL);
		CU_ASSERT_EQUAL(ERR_GET_REASON(tls_peer_last_error_code(pair, TLS_PEER_CLIENT)),
				SSL_R_DECRYPTION_FAILED_OR_BAD_RECORD_MAC);
		CU_ASSERT_PTR_NOT_NULL(strstr(tls_peer_last_error(pair, TLS_PEER_CLIENT),
					      "bad record mac"));
	} else {
		CU_ASSERT_EQUAL(ERR_GET_REASON(tls_peer_last_error_code(pair, TLS_PEER_CLIENT)),
				SSL_R_BAD_RECORD_TYPE);
	}
	/* The client answered with a fatal alert. */
	CU_ASSERT(tls_peer_wire_pending(pair, TLS_PEER_CLIENT) > 0);
	/* The connection stays dead. */
	CU_ASSERT(tls_peer_read(pair, TLS_PEER_CLIENT, out, sizeof(out)) < 0);
	tls_peer_crypto_info_wipe(&ci);
	tls_peer_pair_destroy(pair);
}

static void test_corrupt_ciphertext(void)
{
	expect_bad_record(CORRUPT_CIPHERTEXT);
}

static void test_corrupt_tag(void)
{
	expect_bad_record(CORRUPT_TAG);
}

static void test_corrupt_nonce_or_header(void)
{
	expect_bad_record(CORRUPT_NONCE);
}

static void test_wrong_key(void)
{
	expect_bad_record(CORRUPT_KEY);
}

static void test_wrong_seq(void)
{
	expect_bad_record(CORRUPT_SEQ);
}

static const struct test_case reject_cases[] = {
	{ "corrupted ciphertext is rejected", test_corrupt_ciphertext },
	{ "corrupted tag is rejected", test_corrupt_tag },
	{ "corrupted nonce/header is rejected", test_corrupt_nonce_or_header },
	{ "wrong key is rejected", test_wrong_key },
	{ "wrong sequence number is rejected", test_wrong_seq },
	{ NULL, NULL },
};

int main(void)
{
	static const struct test_suite suites[] = {
		{ "tls_peer TLS1.2 AES-GCM-128", init_12_128, NULL, reject_cases },
		{ "tls_peer TLS1.2 AES-GCM-256", init_12_256, NULL, reject_cases },
		{ "tls_peer TLS1.3 AES-GCM-128", init_13_128, NULL, reject_cases },
		{ "tls_peer TLS1.3 AES-GCM-256", init_13_256, cleanup_global, reject_cases },
		{ NULL, NULL, NULL, NULL },
	};

	return test_run_suites(suites);
}
