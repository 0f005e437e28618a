/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Tests of the in-process OpenSSL peer harness (tests/util/tls_peer.h): the exported keys and
 * sequence numbers are proven right by records that the software reference encryptor builds from
 * them and that OpenSSL then reads, and by OpenSSL's own records that the software reference
 * decrypts with them.
 */
#include "test_util.h"
#include "tls_peer.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#define BIG TLS_RECORD_MAX_PLAINTEXT

/* The configuration of the running suite. */
static int g_version;
static unsigned int g_bits;

static uint16_t ktls_version(void)
{
	return g_version == TLS1_2_VERSION ? TLS_1_2_VERSION : TLS_1_3_VERSION;
}

static uint64_t first_app_seq(void)
{
	/* TLS 1.2: Finished is record 0 under the new keys; TLS 1.3: application keys start at 0. */
	return g_version == TLS1_2_VERSION ? 1 : 0;
}

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

static const uint8_t *ci_iv(const union tls_peer_crypto_info *ci)
{
	return ci->info.cipher_type == TLS_CIPHER_AES_GCM_128 ? ci->gcm128.iv : ci->gcm256.iv;
}

static uint8_t *ci_key(union tls_peer_crypto_info *ci)
{
	return ci->info.cipher_type == TLS_CIPHER_AES_GCM_128 ? ci->gcm128.key : ci->gcm256.key;
}

static void fill_pattern(uint8_t *p, size_t len, uint8_t seed)
{
	for (size_t i = 0; i < len; i++)
		p[i] = (uint8_t)(seed + i * 7 + (i >> 8));
}

static struct tls_peer_pair *new_pair(void)
{
	struct tls_peer_pair *pair = tls_peer_pair_create(g_version, g_bits, NULL);

	CU_ASSERT_PTR_NOT_NULL(pair);
	return pair;
}

/* A stream of software-encrypted records with the given plaintext lengths, the first one numbered
 * `seq`, all with pattern plaintext; returns the wire length. */
struct stream {
	uint8_t wire[3 * (BIG + 64)];
	size_t wire_len;
	uint8_t pt[3 * BIG];
	size_t pt_len;
};

static int build_stream(struct stream *s, const union tls_peer_crypto_info *ci, uint64_t seq,
			const size_t *lens, size_t n)
{
	s->wire_len = 0;
	s->pt_len = 0;
	for (size_t i = 0; i < n; i++) {
		uint8_t *rec = s->wire + s->wire_len;
		ssize_t rl;

		fill_pattern(s->pt + s->pt_len, lens[i], (uint8_t)(0x40 + i));
		rl = tls_record_layout(&ci->info, TLS_RT_APPLICATION_DATA, seq + i,
				       s->pt + s->pt_len, lens[i], rec,
				       sizeof(s->wire) - s->wire_len);
		if (rl < 0 || (size_t)rl != tls_record_size(ci->info.version, lens[i]))
			return -1;
		if (tls_record_encrypt_sw(&ci->info, seq + i, rec, (size_t)rl))
			return -1;
		s->wire_len += (size_t)rl;
		s->pt_len += lens[i];
	}
	return 0;
}

/* Feed wire to `side` in chunks of `chunk` bytes, reading after each; returns the plaintext
 * length read, or the first negative read result. */
static ssize_t feed_and_read(struct tls_peer_pair *pair, enum tls_peer_side side,
			     const uint8_t *wire, size_t len, size_t chunk, uint8_t *out, size_t cap)
{
	size_t got = 0;

	for (size_t off = 0; off < len; off += chunk) {
		size_t n = len - off < chunk ? len - off : chunk;
		ssize_t r;

		if (tls_peer_feed(pair, side, wire + off, n))
			return -EIO;
		r = tls_peer_read(pair, side, out + got, cap - got);
		if (r < 0)
			return r;
		got += (size_t)r;
	}
	return (ssize_t)got;
}

static const size_t three_lens[] = { 0, 1, BIG };

/* Export `tx`'s direction, encrypt 3 records (0, 1, 16384 bytes) in software from the exported
 * rec_seq and have the other side read them, fed in `chunk`-byte pieces. */
static void sw_records_read_by_peer(enum tls_peer_side tx, size_t chunk)
{
	enum tls_peer_side rx = tx == TLS_PEER_SERVER ? TLS_PEER_CLIENT : TLS_PEER_SERVER;
	struct tls_peer_pair *pair = new_pair();
	union tls_peer_crypto_info ci;
	static struct stream s;
	static uint8_t out[3 * BIG];
	ssize_t got;

	if (!pair)
		return;
	CU_ASSERT_EQUAL_FATAL(tls_peer_export_tx(pair, tx, 0, &ci), 0);
	CU_ASSERT_EQUAL(ci_rec_seq(&ci), first_app_seq());
	CU_ASSERT_EQUAL_FATAL(build_stream(&s, &ci, ci_rec_seq(&ci), three_lens, 3), 0);
	got = feed_and_read(pair, rx, s.wire, s.wire_len, chunk, out, sizeof(out));
	if (got < 0)
		fprintf(stderr, "\n  read: %zd %s\n", got, tls_peer_last_error(pair, rx));
	CU_ASSERT_EQUAL(got, (ssize_t)(1 + BIG));
	if (got == (ssize_t)(1 + BIG))
		TEST_ASSERT_BYTES("plaintext", out, s.pt, (size_t)got);
	CU_ASSERT_EQUAL(tls_peer_read(pair, rx, out, sizeof(out)), 0); /* nothing more */
	tls_peer_crypto_info_wipe(&ci);
	tls_peer_pair_destroy(pair);
}

/* ---- per-configuration tests ---- */

static void test_handshake_export(void)
{
	struct tls_peer_pair *pair = new_pair();
	union tls_peer_crypto_info c, s;
	size_t want_size = g_bits == 128 ? sizeof(struct tls12_crypto_info_aes_gcm_128)
					 : sizeof(struct tls12_crypto_info_aes_gcm_256);

	if (!pair)
		return;
	CU_ASSERT_EQUAL(tls_peer_version(pair), g_version);
	CU_ASSERT_EQUAL(tls_peer_key_bits(pair), g_bits);
	CU_ASSERT_EQUAL(SSL_version(tls_peer_ssl(pair, TLS_PEER_CLIENT)), g_version);
	CU_ASSERT_EQUAL(SSL_get_verify_result(tls_peer_ssl(pair, TLS_PEER_CLIENT)), X509_V_OK);
	CU_ASSERT_EQUAL(tls_peer_wire_pending(pair, TLS_PEER_CLIENT), 0);
	CU_ASSERT_EQUAL(tls_peer_wire_pending(pair, TLS_PEER_SERVER), 0);

	CU_ASSERT_EQUAL_FATAL(tls_peer_export_tx(pair, TLS_PEER_SERVER, 0, &s), 0);
	CU_ASSERT_EQUAL_FATAL(tls_peer_export_tx(pair, TLS_PEER_CLIENT, 0, &c), 0);
	CU_ASSERT_EQUAL(s.info.version, ktls_version());
	CU_ASSERT_EQUAL(s.info.cipher_type,
			g_bits == 128 ? TLS_CIPHER_AES_GCM_128 : TLS_CIPHER_AES_GCM_256);
	CU_ASSERT_EQUAL(tls_peer_crypto_info_size(&s.info), want_size);
	CU_ASSERT_EQUAL(c.info.version, s.info.version);
	CU_ASSERT_EQUAL(c.info.cipher_type, s.info.cipher_type);
	CU_ASSERT_EQUAL(ci_rec_seq(&s), first_app_seq());
	CU_ASSERT_EQUAL(ci_rec_seq(&c), first_app_seq());
	/* The two directions have different keys. */
	CU_ASSERT_NOT_EQUAL(memcmp(ci_key(&s), ci_key(&c), g_bits / 8), 0);
	/* Export is repeatable and wipes. */
	{
		union tls_peer_crypto_info again;

		CU_ASSERT_EQUAL(tls_peer_export_tx(pair, TLS_PEER_SERVER, 0, &again), 0);
		CU_ASSERT_EQUAL(memcmp(&again, &s, sizeof(s)), 0);
		tls_peer_crypto_info_wipe(&again);
		CU_ASSERT_EQUAL(again.info.cipher_type, 0);
	}
	CU_ASSERT_EQUAL(tls_peer_export_tx(pair, (enum tls_peer_side)2, 0, &s), -EINVAL);
	CU_ASSERT_EQUAL(tls_peer_export_tx(pair, TLS_PEER_SERVER, 0x80, &s), -EINVAL);
	CU_ASSERT_EQUAL(tls_peer_export_tx(pair, TLS_PEER_SERVER, 0, NULL), -EINVAL);
	tls_peer_crypto_info_wipe(&s);
	tls_peer_crypto_info_wipe(&c);
	tls_peer_pair_destroy(pair);
}

static void test_server_tx_to_client(void)
{
	sw_records_read_by_peer(TLS_PEER_SERVER, SIZE_MAX);
}

static void test_client_tx_to_server(void)
{
	sw_records_read_by_peer(TLS_PEER_CLIENT, SIZE_MAX);
}

static void test_server_tx_segmented(void)
{
	/* TCP-segment-like pieces that split headers, nonces and tags. */
	sw_records_read_by_peer(TLS_PEER_SERVER, 1448);
	sw_records_read_by_peer(TLS_PEER_SERVER, 3);
}

/* The TLS 1.2 explicit nonce exported by default is OpenSSL's own counter (what its kTLS code
 * hands the kernel); with TLS_PEER_EXPORT_SEQ_NONCE it is the sequence number. Either is accepted
 * by the peer; the layout puts the kernel's value in each record. */
static void test_seq_nonce_export(void)
{
	struct tls_peer_pair *pair = new_pair();
	union tls_peer_crypto_info def, seqn;
	static struct stream s;
	static uint8_t out[3 * BIG];
	uint8_t seq_be[8];

	if (!pair)
		return;
	CU_ASSERT_EQUAL_FATAL(tls_peer_export_tx(pair, TLS_PEER_SERVER, 0, &def), 0);
	CU_ASSERT_EQUAL_FATAL(tls_peer_export_tx(pair, TLS_PEER_SERVER, TLS_PEER_EXPORT_SEQ_NONCE,
						 &seqn), 0);
	for (int i = 0; i < 8; i++)
		seq_be[i] = (uint8_t)(first_app_seq() >> (56 - 8 * i));
	if (g_version == TLS1_2_VERSION) {
		CU_ASSERT_EQUAL(memcmp(ci_iv(&seqn), seq_be, 8), 0);
	} else {
		/* TLS 1.3: the iv is part of the key schedule; the flag changes nothing. */
		CU_ASSERT_EQUAL(memcmp(&def, &seqn, sizeof(def)), 0);
	}
	CU_ASSERT_EQUAL_FATAL(build_stream(&s, &seqn, ci_rec_seq(&seqn), three_lens, 3), 0);
	if (g_version == TLS1_2_VERSION) {
		/* explicit nonces 1, 2, 3 */
		CU_ASSERT_EQUAL(be64(s.wire + TLS_RECORD_HDR_LEN), first_app_seq());
		CU_ASSERT_EQUAL(be64(s.wire + tls_record_size(TLS_1_2_VERSION, 0) + TLS_RECORD_HDR_LEN),
				first_app_seq() + 1);
	}
	CU_ASSERT_EQUAL(feed_and_read(pair, TLS_PEER_CLIENT, s.wire, s.wire_len, SIZE_MAX, out,
				      sizeof(out)), (ssize_t)(1 + BIG));
	TEST_ASSERT_BYTES("plaintext", out, s.pt, 1 + BIG);
	tls_peer_crypto_info_wipe(&def);
	tls_peer_crypto_info_wipe(&seqn);
	tls_peer_pair_destroy(pair);
}

/* Which records the receiver accepts as the first one after the handshake: only the exported
 * sequence number (this is the empirical check of "TLS 1.2 starts at 1, TLS 1.3 at 0"). */
static void test_first_seq_is_exact(void)
{
	for (int delta = -1; delta <= 1; delta++) {
		struct tls_peer_pair *pair;
		union tls_peer_crypto_info ci;
		static struct stream s;
		static uint8_t out[3 * BIG];
		uint64_t seq;
		ssize_t got;

		if (delta < 0 && first_app_seq() == 0)
			continue;
		pair = new_pair();
		if (!pair)
			return;
		CU_ASSERT_EQUAL_FATAL(tls_peer_export_tx(pair, TLS_PEER_SERVER, 0, &ci), 0);
		seq = first_app_seq() + (uint64_t)(int64_t)delta;
		CU_ASSERT_EQUAL_FATAL(build_stream(&s, &ci, seq, &three_lens[1], 1), 0);
		got = feed_and_read(pair, TLS_PEER_CLIENT, s.wire, s.wire_len, SIZE_MAX, out,
				    sizeof(out));
		if (delta == 0) {
			CU_ASSERT_EQUAL(got, 1);
		} else {
			CU_ASSERT_EQUAL(got, -EBADMSG);
		}
		tls_peer_crypto_info_wipe(&ci);
		tls_peer_pair_destroy(pair);
	}
}

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
		/* Encrypt the last record under the next record's number (TLS 1.2: the AAD's seq; TLS
		 * 1.3: the nonce), keeping the kernel's explicit nonce of its real position. */
		CU_ASSERT_EQUAL(tls_record_layout(&ci.info, TLS_RT_APPLICATION_DATA,
						  ci_rec_seq(&ci) + 2, s.pt + 1, BIG, s.wire + r2_off,
						  sizeof(s.wire) - r2_off),
				(ssize_t)tls_record_size(ci.info.version, BIG));
		CU_ASSERT_EQUAL(tls_record_encrypt_sw(&ci.info, ci_rec_seq(&ci) + 3, s.wire + r2_off,
						      tls_record_size(ci.info.version, BIG)), 0);
		break;
	}
	/* TLS 1.3 checks the header before decrypting: a changed type is a protocol error, which the
	 * harness keeps distinct from a MAC failure. */
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
		fprintf(stderr, "\n  got %zd: %s\n", got, tls_peer_last_error(pair, TLS_PEER_CLIENT));
	if (want == -EBADMSG) {
		CU_ASSERT_EQUAL(ERR_GET_LIB(tls_peer_last_error_code(pair, TLS_PEER_CLIENT)), ERR_LIB_SSL);
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

/* OpenSSL writes; the software reference decrypts each record with the export taken before the
 * writes (proving key, salt, iv and rec_seq against OpenSSL's own encryption); then the other
 * OpenSSL side reads the same wire. */
static void writer_path(enum tls_peer_side tx)
{
	enum tls_peer_side rx = tx == TLS_PEER_SERVER ? TLS_PEER_CLIENT : TLS_PEER_SERVER;
	struct tls_peer_pair *pair = new_pair();
	union tls_peer_crypto_info ci;
	static uint8_t pt[40000], wire[40000 + 4 * 64], out[40000], rec[BIG + 64];
	size_t wire_len = 0, off = 0, pt_off = 0;
	uint64_t seq;
	ssize_t n;
	int nrec = 0;

	if (!pair)
		return;
	CU_ASSERT_EQUAL_FATAL(tls_peer_export_tx(pair, tx, 0, &ci), 0);
	seq = ci_rec_seq(&ci);
	fill_pattern(pt, sizeof(pt), 0x11);
	/* 5 + 40000 - 5 bytes: records of 5, 16384, 16384, 7227 bytes */
	CU_ASSERT_EQUAL_FATAL(tls_peer_write(pair, tx, pt, 5), 0);
	CU_ASSERT_EQUAL_FATAL(tls_peer_write(pair, tx, pt + 5, sizeof(pt) - 5), 0);
	CU_ASSERT_EQUAL(tls_peer_write(pair, tx, pt, 0), 0);
	CU_ASSERT_EQUAL(tls_peer_wire_pending(pair, tx),
			tls_record_size(ci.info.version, 5) + 2 * tls_record_size(ci.info.version, BIG) +
				tls_record_size(ci.info.version, sizeof(pt) - 5 - 2 * BIG));
	/* Drain in odd-sized pieces. */
	while ((n = tls_peer_take_wire(pair, tx, wire + wire_len,
				       sizeof(wire) - wire_len < 1000 ? sizeof(wire) - wire_len
								      : 1000)) > 0)
		wire_len += (size_t)n;
	CU_ASSERT_EQUAL(n, 0);
	CU_ASSERT_EQUAL(tls_peer_wire_pending(pair, tx), 0);

	while (off + TLS_RECORD_HDR_LEN <= wire_len) {
		size_t rl = TLS_RECORD_HDR_LEN + (size_t)((wire[off + 3] << 8) | wire[off + 4]);
		uint8_t type = 0;

		CU_ASSERT_FATAL(off + rl <= wire_len && rl <= sizeof(rec));
		CU_ASSERT_EQUAL(wire[off], TLS_RT_APPLICATION_DATA);
		if (ci.info.version == TLS_1_2_VERSION) {
			/* OpenSSL's explicit nonce is the exported iv, advanced once per record. */
			CU_ASSERT_EQUAL(be64(wire + off + TLS_RECORD_HDR_LEN),
					be64(ci_iv(&ci)) + (uint64_t)nrec);
		}
		memcpy(rec, wire + off, rl);
		n = tls_record_decrypt_sw(&ci.info, seq + (uint64_t)nrec, rec, rl, &type);
		CU_ASSERT_FATAL(n >= 0);
		CU_ASSERT_EQUAL(type, TLS_RT_APPLICATION_DATA);
		CU_ASSERT_FATAL(pt_off + (size_t)n <= sizeof(pt));
		TEST_ASSERT_BYTES("openssl record", rec + tls_record_pt_offset(ci.info.version),
				  pt + pt_off, (size_t)n);
		/* The neighbouring sequence numbers do not verify. */
		memcpy(rec, wire + off, rl);
		CU_ASSERT_EQUAL(tls_record_decrypt_sw(&ci.info, seq + (uint64_t)nrec + 1, rec, rl, NULL),
				-EBADMSG);
		pt_off += (size_t)n;
		off += rl;
		nrec++;
	}
	CU_ASSERT_EQUAL(off, wire_len);
	CU_ASSERT_EQUAL(nrec, 4);
	CU_ASSERT_EQUAL(pt_off, sizeof(pt));

	/* The export now points past OpenSSL's records. */
	{
		union tls_peer_crypto_info after;

		CU_ASSERT_EQUAL(tls_peer_export_tx(pair, tx, 0, &after), 0);
		CU_ASSERT_EQUAL(ci_rec_seq(&after), seq + 4);
		if (ci.info.version == TLS_1_2_VERSION) {
			CU_ASSERT_EQUAL(be64(ci_iv(&after)), be64(ci_iv(&ci)) + 4);
		}
		tls_peer_crypto_info_wipe(&after);
	}

	CU_ASSERT_EQUAL(feed_and_read(pair, rx, wire, wire_len, 1460, out, sizeof(out)),
			(ssize_t)sizeof(pt));
	TEST_ASSERT_BYTES("peer read", out, pt, sizeof(pt));
	tls_peer_crypto_info_wipe(&ci);
	tls_peer_pair_destroy(pair);
}

static void test_writer_server_to_client(void)
{
	writer_path(TLS_PEER_SERVER);
}

static void test_writer_client_to_server(void)
{
	writer_path(TLS_PEER_CLIENT);
}

/* kTLS-style handover: OpenSSL sends some records itself, then the direction is exported and the
 * "device" (here the software encryptor) continues; the peer reads one seamless stream. */
static void test_handover_after_openssl_writes(void)
{
	struct tls_peer_pair *pair = new_pair();
	union tls_peer_crypto_info ci;
	static uint8_t pt[BIG + 100], wire[2 * BIG + 200], out[3 * BIG + 200];
	static struct stream s;
	ssize_t n, got;
	size_t wire_len = 0;

	if (!pair)
		return;
	fill_pattern(pt, sizeof(pt), 0x77);
	CU_ASSERT_EQUAL_FATAL(tls_peer_write(pair, TLS_PEER_SERVER, pt, sizeof(pt)), 0); /* 2 records */
	n = tls_peer_take_wire(pair, TLS_PEER_SERVER, wire, sizeof(wire));
	CU_ASSERT_FATAL(n > 0);
	wire_len = (size_t)n;
	CU_ASSERT_EQUAL_FATAL(tls_peer_export_tx(pair, TLS_PEER_SERVER, 0, &ci), 0);
	CU_ASSERT_EQUAL(ci_rec_seq(&ci), first_app_seq() + 2);
	CU_ASSERT_EQUAL_FATAL(build_stream(&s, &ci, ci_rec_seq(&ci), three_lens, 3), 0);

	got = feed_and_read(pair, TLS_PEER_CLIENT, wire, wire_len, SIZE_MAX, out, sizeof(out));
	CU_ASSERT_EQUAL_FATAL(got, (ssize_t)sizeof(pt));
	n = feed_and_read(pair, TLS_PEER_CLIENT, s.wire, s.wire_len, 4096, out + got,
			  sizeof(out) - (size_t)got);
	CU_ASSERT_EQUAL(n, (ssize_t)(1 + BIG));
	TEST_ASSERT_BYTES("openssl part", out, pt, sizeof(pt));
	TEST_ASSERT_BYTES("handed-over part", out + sizeof(pt), s.pt, 1 + BIG);
	tls_peer_crypto_info_wipe(&ci);
	tls_peer_pair_destroy(pair);
}

static const struct test_case config_cases[] = {
	{ "handshake and export", test_handshake_export },
	{ "server TX records read by the client", test_server_tx_to_client },
	{ "client TX records read by the server", test_client_tx_to_server },
	{ "server TX records fed in segments", test_server_tx_segmented },
	{ "seq-number explicit nonce export", test_seq_nonce_export },
	{ "first application seq is exact", test_first_seq_is_exact },
	{ "corrupted ciphertext is rejected", test_corrupt_ciphertext },
	{ "corrupted tag is rejected", test_corrupt_tag },
	{ "corrupted nonce/header is rejected", test_corrupt_nonce_or_header },
	{ "wrong key is rejected", test_wrong_key },
	{ "wrong sequence number is rejected", test_wrong_seq },
	{ "writer path server->client", test_writer_server_to_client },
	{ "writer path client->server", test_writer_client_to_server },
	{ "handover after OpenSSL wrote records", test_handover_after_openssl_writes },
	{ NULL, NULL },
};

static int init_12_128(void)
{
	g_version = TLS1_2_VERSION;
	g_bits = 128;
	return 0;
}

static int init_12_256(void)
{
	g_version = TLS1_2_VERSION;
	g_bits = 256;
	return 0;
}

static int init_13_128(void)
{
	g_version = TLS1_3_VERSION;
	g_bits = 128;
	return 0;
}

static int init_13_256(void)
{
	g_version = TLS1_3_VERSION;
	g_bits = 256;
	return 0;
}

/* ---- record layout and software crypto ---- */

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
	CU_ASSERT_EQUAL(tls_record_layout(&ci12.info, 23, 0, pt, 0x10000, out, sizeof(out)), -EINVAL);
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
			CU_ASSERT_EQUAL(tls_record_decrypt_sw(&ci.info, 43, rec, len, NULL), -EBADMSG);
			CU_ASSERT_EQUAL(errno, EBADMSG);
			CU_ASSERT_EQUAL(tls_record_encrypt_sw(&ci.info, 42, rec, len), 0);
			/* length must match the header */
			CU_ASSERT_EQUAL(tls_record_encrypt_sw(&ci.info, 42, rec, len - 1), -EINVAL);
			CU_ASSERT_EQUAL(tls_record_decrypt_sw(&ci.info, 42, rec, 4, NULL), -EINVAL);
		}
	}
}

/* ---- key log ---- */

static int count_lines(const char *text, const char *label, size_t secret_hex, const uint8_t *cr)
{
	char cr_hex[65];
	int count = 0;

	for (int i = 0; i < 32; i++)
		snprintf(cr_hex + 2 * i, 3, "%02x", cr[i]);
	for (const char *p = text; p && *p;) {
		const char *eol = strchr(p, '\n');
		size_t ll = eol ? (size_t)(eol - p) : strlen(p);
		size_t lab = strlen(label);

		if (ll == lab + 1 + 64 + 1 + secret_hex && !strncmp(p, label, lab) && p[lab] == ' ' &&
		    !strncasecmp(p + lab + 1, cr_hex, 64) && p[lab + 65] == ' ') {
			bool hex = true;

			for (size_t i = lab + 66; i < ll; i++)
				hex = hex && strchr("0123456789abcdefABCDEF", p[i]);
			count += hex;
		}
		p = eol ? eol + 1 : NULL;
	}
	return count;
}

static void client_random_of(struct tls_peer_pair *pair, uint8_t cr[32])
{
	CU_ASSERT_EQUAL(SSL_get_client_random(tls_peer_ssl(pair, TLS_PEER_CLIENT), cr, 32), 32);
}

static void test_keylog_env(void)
{
	char dir[] = "/tmp/tls_peer_keylog_XXXXXX", path[64];
	struct tls_peer_pair *p12, *p13;
	uint8_t cr12[32], cr13[32];
	const char *old = getenv("SSLKEYLOGFILE");
	char *saved = old ? strdup(old) : NULL;
	struct stat st;
	char *text;

	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/keys.log", dir);
	CU_ASSERT_EQUAL_FATAL(setenv("SSLKEYLOGFILE", path, 1), 0);
	p12 = tls_peer_pair_create(TLS1_2_VERSION, 256, NULL);
	p13 = tls_peer_pair_create(TLS1_3_VERSION, 256, NULL);
	unsetenv("SSLKEYLOGFILE");
	CU_ASSERT_PTR_NOT_NULL_FATAL(p12);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p13);
	client_random_of(p12, cr12);
	client_random_of(p13, cr13);

	CU_ASSERT_EQUAL(stat(path, &st), 0);
	CU_ASSERT_EQUAL(st.st_mode & 0777, 0600);
	text = test_read_file(path);
	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	/* TLS 1.2: the master secret, once (written from the client's view only). */
	CU_ASSERT_EQUAL(count_lines(text, "CLIENT_RANDOM", 96, cr12), 1);
	/* TLS 1.3 (SHA-384 suite): the five secrets, once each. */
	CU_ASSERT_EQUAL(count_lines(text, "CLIENT_HANDSHAKE_TRAFFIC_SECRET", 96, cr13), 1);
	CU_ASSERT_EQUAL(count_lines(text, "SERVER_HANDSHAKE_TRAFFIC_SECRET", 96, cr13), 1);
	CU_ASSERT_EQUAL(count_lines(text, "CLIENT_TRAFFIC_SECRET_0", 96, cr13), 1);
	CU_ASSERT_EQUAL(count_lines(text, "SERVER_TRAFFIC_SECRET_0", 96, cr13), 1);
	CU_ASSERT_EQUAL(count_lines(text, "EXPORTER_SECRET", 96, cr13), 1);
	/* nothing else: 6 lines */
	{
		int lines = 0;

		for (const char *c = text; *c; c++)
			lines += *c == '\n';
		CU_ASSERT_EQUAL(lines, 6);
	}
	free(text);
	tls_peer_pair_destroy(p12);
	tls_peer_pair_destroy(p13);

	/* Without the variable nothing is written. */
	p12 = tls_peer_pair_create(TLS1_2_VERSION, 128, NULL);
	CU_ASSERT_PTR_NOT_NULL(p12);
	CU_ASSERT_EQUAL(stat(path, &st), 0);
	text = test_read_file(path);
	CU_ASSERT_PTR_NOT_NULL(text);
	if (text) {
		int lines = 0;

		for (const char *c = text; *c; c++)
			lines += *c == '\n';
		CU_ASSERT_EQUAL(lines, 6);
	}
	free(text);
	tls_peer_pair_destroy(p12);

	unlink(path);
	rmdir(dir);
	if (saved) {
		setenv("SSLKEYLOGFILE", saved, 1);
		free(saved);
	}
}

static void test_keylog_opts_path(void)
{
	char path[] = "/tmp/tls_peer_keylog_XXXXXX";
	struct tls_peer_pair *pair;
	uint8_t cr[32];
	char *text;
	int fd = mkstemp(path);

	CU_ASSERT_FATAL(fd >= 0);
	close(fd);
	{
		struct tls_peer_opts o;

		memset(&o, 0, sizeof(o));
		o.sz = sizeof(o);
		o.keylog_path = path;

		pair = tls_peer_pair_create(TLS1_3_VERSION, 128, &o);
	}
	CU_ASSERT_PTR_NOT_NULL_FATAL(pair);
	client_random_of(pair, cr);
	text = test_read_file(path);
	CU_ASSERT_PTR_NOT_NULL(text);
	CU_ASSERT_EQUAL(count_lines(text, "CLIENT_TRAFFIC_SECRET_0", 64, cr), 1);
	CU_ASSERT_EQUAL(count_lines(text, "SERVER_TRAFFIC_SECRET_0", 64, cr), 1);
	free(text);
	tls_peer_pair_destroy(pair);
	unlink(path);
}

/* ---- argument checking ---- */

static void test_create_args(void)
{
	struct newer_opts {
		struct tls_peer_opts o;
		uint64_t extra;
	};
	struct newer_opts small, bad, good;
	struct tls_peer_pair *pair;

	errno = 0;
	CU_ASSERT_PTR_NULL(tls_peer_pair_create(TLS1_1_VERSION, 128, NULL));
	CU_ASSERT_EQUAL(errno, EINVAL);
	CU_ASSERT_PTR_NULL(tls_peer_pair_create(TLS1_3_VERSION, 192, NULL));
	CU_ASSERT_EQUAL(errno, EINVAL);

	memset(&small, 0, sizeof(small));
	small.o.sz = 4;
	CU_ASSERT_PTR_NULL(tls_peer_pair_create(TLS1_3_VERSION, 128, &small.o));
	CU_ASSERT_EQUAL(errno, EINVAL);
	/* a newer caller's unknown non-zero field is refused... */
	memset(&bad, 0, sizeof(bad));
	bad.o.sz = sizeof(bad);
	bad.extra = 1;
	CU_ASSERT_PTR_NULL(tls_peer_pair_create(TLS1_3_VERSION, 128, &bad.o));
	CU_ASSERT_EQUAL(errno, EINVAL);
	/* ...but a zero one is fine */
	memset(&good, 0, sizeof(good));
	good.o.sz = sizeof(good);
	pair = tls_peer_pair_create(TLS1_3_VERSION, 128, &good.o);
	CU_ASSERT_PTR_NOT_NULL_FATAL(pair);
	CU_ASSERT_EQUAL(tls_peer_feed(pair, TLS_PEER_CLIENT, NULL, 1), -EINVAL);
	CU_ASSERT_EQUAL(tls_peer_read(pair, (enum tls_peer_side)5, NULL, 0), -EINVAL);
	CU_ASSERT_EQUAL(tls_peer_read(pair, TLS_PEER_CLIENT, NULL, 0), 0);
	CU_ASSERT_EQUAL(tls_peer_write(pair, TLS_PEER_CLIENT, NULL, 1), -EINVAL);
	CU_ASSERT_EQUAL(tls_peer_take_wire(pair, TLS_PEER_CLIENT, NULL, 1), -EINVAL);
	CU_ASSERT_PTR_NULL(tls_peer_ssl(pair, (enum tls_peer_side)2));
	CU_ASSERT_STRING_EQUAL(tls_peer_last_error(pair, TLS_PEER_CLIENT), "");
	tls_peer_pair_destroy(pair);
	tls_peer_pair_destroy(NULL);
}

/* A close_notify is reported as -ESHUTDOWN, distinct from a MAC failure. */
static void test_close_notify(void)
{
	struct tls_peer_pair *pair = tls_peer_pair_create(TLS1_3_VERSION, 128, NULL);
	uint8_t wire[256], out[16];
	ssize_t n;

	CU_ASSERT_PTR_NOT_NULL_FATAL(pair);
	CU_ASSERT_EQUAL(SSL_shutdown(tls_peer_ssl(pair, TLS_PEER_SERVER)), 0);
	n = tls_peer_take_wire(pair, TLS_PEER_SERVER, wire, sizeof(wire));
	CU_ASSERT_FATAL(n > 0);
	CU_ASSERT_EQUAL(tls_peer_feed(pair, TLS_PEER_CLIENT, wire, (size_t)n), 0);
	CU_ASSERT_EQUAL(tls_peer_read(pair, TLS_PEER_CLIENT, out, sizeof(out)), -ESHUTDOWN);
	tls_peer_pair_destroy(pair);
}

static const struct test_case misc_cases[] = {
	{ "record layout format", test_layout_format },
	{ "software encrypt/decrypt round trip", test_sw_roundtrip },
	{ "SSLKEYLOGFILE gets NSS key log lines", test_keylog_env },
	{ "opts.keylog_path", test_keylog_opts_path },
	{ "argument checking", test_create_args },
	{ "close_notify is not a MAC failure", test_close_notify },
	{ NULL, NULL },
};

static int cleanup_global(void)
{
	tls_peer_global_cleanup();
	return 0;
}

int main(void)
{
	static const struct test_suite suites[] = {
		{ "tls_peer TLS1.2 AES-GCM-128", init_12_128, NULL, config_cases },
		{ "tls_peer TLS1.2 AES-GCM-256", init_12_256, NULL, config_cases },
		{ "tls_peer TLS1.3 AES-GCM-128", init_13_128, NULL, config_cases },
		{ "tls_peer TLS1.3 AES-GCM-256", init_13_256, NULL, config_cases },
		{ "tls_peer records and key log", NULL, cleanup_global, misc_cases },
		{ NULL, NULL, NULL, NULL },
	};

	return test_run_suites(suites);
}
