/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Tests of the software TLS TX record encryptor (libmlx5tls/tx_sw.h): streams of kTLS-style
 * records encrypted in chunks must equal, byte for byte, the per-record reference encryptor
 * (tls_record_encrypt_sw) and be readable by a real OpenSSL peer.
 */
#include "test_util.h"
#include "tls_peer.h"
#include "tx_sw.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/ssl.h>

#define BIG TLS_RECORD_MAX_PLAINTEXT
#define NREC 4

static int g_version;
static unsigned int g_bits;

static const size_t g_lens[NREC] = { 0, 1, 1000, BIG };

struct stream {
	uint8_t plain[NREC * (BIG + 64)]; /* laid-out records, tag space zero */
	uint8_t ref[NREC * (BIG + 64)];   /* reference encryption */
	uint8_t work[NREC * (BIG + 64)];  /* what tx_sw encrypts */
	uint8_t pt[NREC * BIG];
	size_t rec_off[NREC + 1];
	size_t wire_len;
	size_t pt_len;
};

static struct stream g_s;

static uint64_t be64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = (v << 8) | p[i];
	return v;
}

static uint64_t ci_rec_seq(const union tls_peer_crypto_info *ci)
{
	return be64(ci->info.cipher_type == TLS_CIPHER_AES_GCM_128 ? ci->gcm128.rec_seq
								   : ci->gcm256.rec_seq);
}

static size_t ci_size(const union tls_peer_crypto_info *ci)
{
	return tls_peer_crypto_info_size(&ci->info);
}

/* Lay out `n` records with lengths lens[] from record number `seq`, and build the reference.
 * With `rand_nonce` (TLS 1.2), each explicit nonce is overwritten with arbitrary bytes: the
 * encryptor must use whatever the record carries. */
static int build_stream(struct stream *s, const union tls_peer_crypto_info *ci, uint64_t seq,
			const size_t *lens, size_t n, unsigned int *rand_nonce)
{
	s->wire_len = 0;
	s->pt_len = 0;
	for (size_t i = 0; i < n; i++) {
		uint8_t *rec = s->plain + s->wire_len;
		ssize_t rl;

		for (size_t j = 0; j < lens[i]; j++)
			s->pt[s->pt_len + j] = (uint8_t)(0x31 + i * 17 + j * 7 + (j >> 8));
		rl = tls_record_layout(&ci->info, TLS_RT_APPLICATION_DATA, seq + i,
				       s->pt + s->pt_len, lens[i], rec,
				       sizeof(s->plain) - s->wire_len);
		if (rl < 0)
			return -1;
		if (rand_nonce && ci->info.version == TLS_1_2_VERSION)
			for (int j = 0; j < TLS12_EXPLICIT_NONCE_LEN; j++)
				rec[TLS_RECORD_HDR_LEN + j] = (uint8_t)rand_r(rand_nonce);
		memcpy(s->ref + s->wire_len, rec, (size_t)rl);
		if (tls_record_encrypt_sw(&ci->info, seq + i, s->ref + s->wire_len, (size_t)rl))
			return -1;
		s->rec_off[i] = s->wire_len;
		s->wire_len += (size_t)rl;
		s->pt_len += lens[i];
	}
	s->rec_off[n] = s->wire_len;
	return 0;
}

static struct tls_peer_pair *new_pair(union tls_peer_crypto_info *ci)
{
	struct tls_peer_pair *pair = tls_peer_pair_create(g_version, g_bits, NULL);

	CU_ASSERT_PTR_NOT_NULL(pair);
	if (!pair)
		return NULL;
	if (tls_peer_export_tx(pair, TLS_PEER_SERVER, 0, ci)) {
		CU_FAIL("export");
		tls_peer_pair_destroy(pair);
		return NULL;
	}
	return pair;
}

/* Feed the encrypted stream to the client and check it reads back the exact plaintext. */
static void peer_reads(struct tls_peer_pair *pair, const struct stream *s, size_t feed_chunk)
{
	static uint8_t out[NREC * BIG];
	size_t got = 0;

	for (size_t off = 0; off < s->wire_len; off += feed_chunk) {
		size_t n = s->wire_len - off < feed_chunk ? s->wire_len - off : feed_chunk;
		ssize_t r;

		CU_ASSERT_EQUAL_FATAL(tls_peer_feed(pair, TLS_PEER_CLIENT, s->work + off, n), 0);
		r = tls_peer_read(pair, TLS_PEER_CLIENT, out + got, sizeof(out) - got);
		if (r < 0) {
			fprintf(stderr, "\n  read: %zd %s\n", r,
				tls_peer_last_error(pair, TLS_PEER_CLIENT));
			CU_FAIL("peer read");
			return;
		}
		got += (size_t)r;
	}
	CU_ASSERT_EQUAL(got, s->pt_len);
	if (got == s->pt_len)
		TEST_ASSERT_BYTES("plaintext", out, s->pt, got);
	CU_ASSERT_EQUAL(tls_peer_read(pair, TLS_PEER_CLIENT, out, sizeof(out)), 0);
}

/* Run the stream through tx_sw in chunks (fixed size, or random sizes if chunk == 0). */
static void run_stream(size_t chunk, unsigned int seed)
{
	union tls_peer_crypto_info ci;
	struct tls_peer_pair *pair = new_pair(&ci);
	struct stream *s = &g_s;
	struct tx_sw *sw = NULL;
	unsigned int rs = seed;
	uint64_t seq0;

	if (!pair)
		return;
	seq0 = ci_rec_seq(&ci);
	CU_ASSERT_EQUAL_FATAL(build_stream(s, &ci, seq0, g_lens, NREC, chunk ? NULL : &rs), 0);
	CU_ASSERT_EQUAL_FATAL(tx_sw_init(&sw, &ci.info, ci_size(&ci)), 0);
	memcpy(s->work, s->plain, s->wire_len);
	for (size_t off = 0; off < s->wire_len;) {
		size_t n = chunk ? chunk : 1 + (size_t)rand_r(&rs) % 3000;

		if (n > s->wire_len - off)
			n = s->wire_len - off;
		CU_ASSERT_EQUAL_FATAL(tx_sw_encrypt(sw, s->work + off, n), 0);
		off += n;
		/* Hand-back getters agree with the record boundaries. */
		for (size_t i = 0; i < NREC; i++) {
			if (off >= s->rec_off[i] && off < s->rec_off[i + 1]) {
				CU_ASSERT_EQUAL(tx_sw_next_record(sw), seq0 + i);
				CU_ASSERT_EQUAL(tx_sw_record_offset(sw), off - s->rec_off[i]);
			}
		}
	}
	CU_ASSERT_EQUAL(tx_sw_next_record(sw), seq0 + NREC);
	CU_ASSERT_EQUAL(tx_sw_record_offset(sw), 0);
	CU_ASSERT_EQUAL(tx_sw_record_len(sw), 0);
	TEST_ASSERT_BYTES("stream vs reference", s->work, s->ref, s->wire_len);
	peer_reads(pair, s, chunk ? chunk : 777);
	tx_sw_free(sw);
	tls_peer_crypto_info_wipe(&ci);
	tls_peer_pair_destroy(pair);
}

static void test_chunks_1448(void)
{
	run_stream(1448, 0);
}

static void test_chunks_random(void)
{
	for (unsigned int seed = 1; seed <= 3; seed++)
		run_stream(0, seed);
}

/* One call with the whole stream, and one call per byte. */
static void test_whole_and_bytewise(void)
{
	run_stream(NREC * (BIG + 64), 0);
	run_stream(1, 0);
}

/* A short 2-record stream split at every byte position. */
static void test_split_everywhere(void)
{
	static const size_t lens[2] = { 3, 40 };
	union tls_peer_crypto_info ci;
	struct tls_peer_pair *pair = new_pair(&ci);
	struct stream *s = &g_s;
	uint64_t seq0;
	int bad = 0;

	if (!pair)
		return;
	seq0 = ci_rec_seq(&ci);
	CU_ASSERT_EQUAL_FATAL(build_stream(s, &ci, seq0, lens, 2, NULL), 0);
	for (size_t k = 0; k <= s->wire_len; k++) {
		struct tx_sw *sw = NULL;

		CU_ASSERT_EQUAL_FATAL(tx_sw_init(&sw, &ci.info, ci_size(&ci)), 0);
		memcpy(s->work, s->plain, s->wire_len);
		if (tx_sw_encrypt(sw, s->work, k) || tx_sw_encrypt(sw, s->work + k, s->wire_len - k))
			bad++;
		else if (memcmp(s->work, s->ref, s->wire_len) || tx_sw_next_record(sw) != seq0 + 2)
			bad++;
		tx_sw_free(sw);
	}
	CU_ASSERT_EQUAL(bad, 0);
	peer_reads(pair, s, 5);
	tls_peer_crypto_info_wipe(&ci);
	tls_peer_pair_destroy(pair);
}

/* A valid record followed by malformed headers. */
static void malformed_case(const union tls_peer_crypto_info *ci, const uint8_t hdr[5])
{
	static const size_t lens[1] = { 10 };
	struct stream *s = &g_s;
	struct tx_sw *sw = NULL;
	uint8_t tail[5 + 32];
	uint8_t one = 0;

	CU_ASSERT_EQUAL_FATAL(build_stream(s, ci, ci_rec_seq(ci), lens, 1, NULL), 0);
	memcpy(s->work, s->plain, s->wire_len);
	memcpy(s->work + s->wire_len, hdr, 5);
	memset(s->work + s->wire_len + 5, 0xa5, 32);
	memcpy(tail, s->work + s->wire_len, sizeof(tail));
	CU_ASSERT_EQUAL_FATAL(tx_sw_init(&sw, &ci->info, ci_size(ci)), 0);
	CU_ASSERT_EQUAL(tx_sw_encrypt(sw, s->work, s->wire_len + sizeof(tail)), -EBADMSG);
	CU_ASSERT_EQUAL(errno, EBADMSG);
	TEST_ASSERT_BYTES("record before the bad header", s->work, s->ref, s->wire_len);
	TEST_ASSERT_BYTES("bad header and after", s->work + s->wire_len, tail, sizeof(tail));
	/* Sticky. */
	CU_ASSERT_EQUAL(tx_sw_encrypt(sw, &one, 1), -EBADMSG);
	CU_ASSERT_EQUAL(one, 0);
	CU_ASSERT_EQUAL(tx_sw_encrypt(sw, &one, 0), -EBADMSG);
	tx_sw_free(sw);

	/* The same header split across calls. */
	CU_ASSERT_EQUAL_FATAL(tx_sw_init(&sw, &ci->info, ci_size(ci)), 0);
	memcpy(tail, hdr, 5);
	CU_ASSERT_EQUAL(tx_sw_encrypt(sw, tail, 2), 0);
	CU_ASSERT_EQUAL(tx_sw_encrypt(sw, tail + 2, 3), -EBADMSG);
	CU_ASSERT_EQUAL(tx_sw_encrypt(sw, tail, 5), -EBADMSG);
	tx_sw_free(sw);
}

static void test_malformed(void)
{
	union tls_peer_crypto_info ci;
	struct tls_peer_pair *pair = new_pair(&ci);
	uint16_t min = g_version == TLS1_2_VERSION ? 24 : 17;
	uint16_t max = 16384 + 256;
	uint8_t h[5] = { 23, 3, 3, 0, 0 };
	struct tx_sw *sw = NULL;
	static uint8_t rec[5 + 16384 + 256];

	if (!pair)
		return;
	h[3] = (uint8_t)((min - 1) >> 8);
	h[4] = (uint8_t)(min - 1);
	malformed_case(&ci, h);
	h[3] = (uint8_t)((max + 1) >> 8);
	h[4] = (uint8_t)(max + 1);
	malformed_case(&ci, h);
	h[3] = 0;
	h[4] = 40;
	h[1] = 2;
	malformed_case(&ci, h);
	h[1] = 3;
	h[2] = 1;
	malformed_case(&ci, h);

	/* The limits themselves are accepted. */
	CU_ASSERT_EQUAL_FATAL(tx_sw_init(&sw, &ci.info, ci_size(&ci)), 0);
	memset(rec, 0, sizeof(rec));
	rec[0] = 23;
	rec[1] = rec[2] = 3;
	rec[3] = (uint8_t)(min >> 8);
	rec[4] = (uint8_t)min;
	CU_ASSERT_EQUAL(tx_sw_encrypt(sw, rec, 5u + min), 0);
	rec[3] = (uint8_t)(max >> 8);
	rec[4] = (uint8_t)max;
	CU_ASSERT_EQUAL(tx_sw_encrypt(sw, rec, 5u + max), 0);
	CU_ASSERT_EQUAL(tx_sw_next_record(sw), ci_rec_seq(&ci) + 2);
	tx_sw_free(sw);

	tls_peer_crypto_info_wipe(&ci);
	tls_peer_pair_destroy(pair);
}

/* ---- configuration-independent ---- */

static void test_bad_crypto_info(void)
{
	struct tls12_crypto_info_aes_gcm_128 c128;
	struct tls12_crypto_info_aes_gcm_256 c256;
	struct tx_sw *sw = (struct tx_sw *)&c128;

	test_ci128(&c128, TLS_1_2_VERSION, 1);
	test_ci256(&c256, TLS_1_3_VERSION, 2);
	CU_ASSERT_EQUAL(tx_sw_init(NULL, &c128.info, sizeof(c128)), -EINVAL);
	CU_ASSERT_EQUAL(tx_sw_init(&sw, NULL, sizeof(c128)), -EINVAL);
	CU_ASSERT_PTR_NULL(sw);
	CU_ASSERT_EQUAL(tx_sw_init(&sw, &c128.info, sizeof(c128.info) - 1), -EINVAL);
	CU_ASSERT_EQUAL(errno, EINVAL);
	CU_ASSERT_EQUAL(tx_sw_init(&sw, &c128.info, sizeof(c128) - 1), -EINVAL);
	CU_ASSERT_EQUAL(tx_sw_init(&sw, &c128.info, sizeof(c256)), -EINVAL);
	CU_ASSERT_EQUAL(tx_sw_init(&sw, &c256.info, sizeof(c128)), -EINVAL);
	CU_ASSERT_PTR_NULL(sw);

	c128.info.version = 0x0302;
	CU_ASSERT_EQUAL(tx_sw_init(&sw, &c128.info, sizeof(c128)), -EOPNOTSUPP);
	CU_ASSERT_EQUAL(errno, EOPNOTSUPP);
	c128.info.version = TLS_1_2_VERSION;
	c128.info.cipher_type = TLS_CIPHER_CHACHA20_POLY1305;
	CU_ASSERT_EQUAL(tx_sw_init(&sw, &c128.info, sizeof(c128)), -EOPNOTSUPP);
	c128.info.cipher_type = TLS_CIPHER_AES_CCM_128;
	CU_ASSERT_EQUAL(tx_sw_init(&sw, &c128.info, sizeof(c128)), -EOPNOTSUPP);
	CU_ASSERT_PTR_NULL(sw);

	/* Good ones, and argument checks of encrypt. */
	c128.info.cipher_type = TLS_CIPHER_AES_GCM_128;
	CU_ASSERT_EQUAL_FATAL(tx_sw_init(&sw, &c128.info, sizeof(c128)), 0);
	CU_ASSERT_PTR_NOT_NULL(sw);
	CU_ASSERT_EQUAL(tx_sw_encrypt(sw, NULL, 1), -EINVAL);
	CU_ASSERT_EQUAL(tx_sw_encrypt(sw, NULL, 0), 0);
	CU_ASSERT_EQUAL(tx_sw_encrypt(NULL, NULL, 0), -EINVAL);
	CU_ASSERT_EQUAL(tx_sw_next_record(sw), be64(c128.rec_seq));
	tx_sw_free(sw);
	sw = NULL;
	CU_ASSERT_EQUAL_FATAL(tx_sw_init(&sw, &c256.info, sizeof(c256)), 0);
	tx_sw_free(sw);
	tx_sw_free(NULL);
}

static int init_cfg(int version, unsigned int bits)
{
	g_version = version;
	g_bits = bits;
	return 0;
}

static int init_12_128(void) { return init_cfg(TLS1_2_VERSION, 128); }
static int init_12_256(void) { return init_cfg(TLS1_2_VERSION, 256); }
static int init_13_128(void) { return init_cfg(TLS1_3_VERSION, 128); }
static int init_13_256(void) { return init_cfg(TLS1_3_VERSION, 256); }

static int cleanup_global(void)
{
	tls_peer_global_cleanup();
	return 0;
}

static const struct test_case config_cases[] = {
	{ "records in 1448-byte chunks", test_chunks_1448 },
	{ "records in random chunks, arbitrary TLS 1.2 nonces", test_chunks_random },
	{ "one call and one byte per call", test_whole_and_bytewise },
	{ "2-record stream split at every byte", test_split_everywhere },
	{ "malformed header -> EBADMSG (sticky)", test_malformed },
	{ NULL, NULL },
};

static const struct test_case misc_cases[] = {
	{ "bad crypto info and arguments", test_bad_crypto_info },
	{ NULL, NULL },
};

int main(void)
{
	static const struct test_suite suites[] = {
		{ "tx_sw TLS1.2 AES-GCM-128", init_12_128, NULL, config_cases },
		{ "tx_sw TLS1.2 AES-GCM-256", init_12_256, NULL, config_cases },
		{ "tx_sw TLS1.3 AES-GCM-128", init_13_128, NULL, config_cases },
		{ "tx_sw TLS1.3 AES-GCM-256", init_13_256, NULL, config_cases },
		{ "tx_sw misc", NULL, cleanup_global, misc_cases },
		{ NULL, NULL, NULL, NULL },
	};

	return test_run_suites(suites);
}
