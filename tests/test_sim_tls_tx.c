/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Device model: the TLS TX crypto engine (sim/tls_tx.h). TLS records are laid out as the kernel
 * lays them out for device offload (header, TLS 1.2 explicit nonce = record number, plaintext, 16
 * zero bytes for the tag; fact sheet 14b), run through the engine in segments, and checked two
 * ways with this file's own, straightforward OpenSSL code (own nonce and AAD construction, RFC
 * 5246 6.2.3.3 / RFC 8446 5.2-5.3): byte-exact against a one-shot encryption of every record, and
 * by decrypting and authenticating every record. Static params are built with the library's
 * builder (wqe.h); the engine decodes them with its own code.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "prm/mlx5_ifc_tls.h"
#include "secret.h"
#include "sim/sq.h"
#include "sim/tls_evp.h"
#include "sim/tls_tx.h"
#include "test_util.h"
#include "wqe.h"

#define MAX_RECS 64
#define MSS 1448
#define TCP_SEQ0 0xfffff000u /* wraps inside the first stream */

/* ---- deterministic randomness (xorshift64*) ---- */

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dull;
}

static void rnd_bytes(uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(rnd() >> 56);
}

/* ---- suite parameters: a TLS version, a key, salt, iv, initial record number ---- */

struct suite {
	bool tls13;
	size_t key_len;
	uint8_t key[32];
	uint8_t salt[4];
	uint8_t iv[8];
	uint64_t rn0;
};

static void suite_init(struct suite *s, bool tls13, size_t key_len, uint64_t rn0)
{
	memset(s, 0, sizeof(*s));
	s->tls13 = tls13;
	s->key_len = key_len;
	rnd_bytes(s->key, key_len);
	rnd_bytes(s->salt, sizeof(s->salt));
	rnd_bytes(s->iv, sizeof(s->iv));
	s->rn0 = rn0;
}

static void suite_wipe(struct suite *s)
{
	explicit_bzero(s, sizeof(*s));
}

static void put_be64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

static void static_params(uint8_t params[64], const struct suite *s, uint64_t rn)
{
	struct tls_static_info info;

	memset(&info, 0, sizeof(info));
	info.tls13 = s->tls13;
	put_be64(info.rec_seq, rn);
	memcpy(info.salt, s->salt, 4);
	if (s->tls13)
		memcpy(info.iv, s->iv, 8);
	info.dek_index = 0x1234;
	memset(params, 0, 64);
	tls_static_params_fill(params, &info);
	explicit_bzero(&info, sizeof(info));
}

static void progress_start(uint8_t params[12])
{
	memset(params, 0, 12);
	tls_progress_params_fill(params, 0, MLX5_TLS_PROGRESS_PARAMS_RECORD_TRACKER_STATE_START,
				 MLX5_TLS_PROGRESS_PARAMS_AUTH_STATE_NO_OFFLOAD);
}

/* static params for record rn + progress START */
static int engine_sync(struct sim_tls_tx *tx, const struct suite *s, uint64_t rn)
{
	uint8_t sp[64];
	int ret;

	static_params(sp, s, rn);
	ret = sim_tls_tx_set_static(tx, sp, s->key, s->key_len);
	if (!ret) {
		uint8_t pp[12];

		progress_start(pp);
		ret = sim_tls_tx_set_progress(tx, pp);
	}
	return ret;
}

static struct sim_tls_tx *engine_new(const struct suite *s)
{
	struct sim_tls_tx *tx = sim_tls_tx_create();

	if (tx && engine_sync(tx, s, s->rn0)) {
		sim_tls_tx_destroy(tx);
		tx = NULL;
	}
	return tx;
}

/* ---- the reference: nonce, AAD, one-shot encryption and decryption of one record ---- */

static const EVP_CIPHER *ref_cipher(const struct suite *s)
{
	return s->key_len == 16 ? EVP_aes_128_gcm() : EVP_aes_256_gcm();
}

/* Nonce and AAD of record `rn` with header `hdr` (and TLS 1.2 explicit nonce `enonce`). */
static size_t ref_nonce_aad(const struct suite *s, uint64_t rn, const uint8_t *hdr,
			    const uint8_t *enonce, uint8_t nonce[12], uint8_t aad[13])
{
	uint16_t len = (uint16_t)(hdr[3] << 8 | hdr[4]);

	if (s->tls13) {
		/* RFC 8446 5.3: the 64-bit record number, left-padded to 12 bytes, XOR the IV */
		uint8_t padded[12] = { 0 };

		for (int i = 0; i < 8; i++)
			padded[11 - i] = (uint8_t)(rn >> (8 * i));
		memcpy(nonce, s->salt, 4);
		memcpy(nonce + 4, s->iv, 8);
		for (int i = 0; i < 12; i++)
			nonce[i] ^= padded[i];
		memcpy(aad, hdr, 5); /* RFC 8446 5.2: additional_data = the record header */
		return 5;
	}
	/* RFC 5288 3: nonce = salt || explicit; RFC 5246: seq_num || type || version || length */
	memcpy(nonce, s->salt, 4);
	memcpy(nonce + 4, enonce, 8);
	for (int i = 0; i < 8; i++)
		aad[i] = (uint8_t)(rn >> (56 - 8 * i));
	aad[8] = hdr[0];
	aad[9] = hdr[1];
	aad[10] = hdr[2];
	aad[11] = (uint8_t)((len - 24) >> 8);
	aad[12] = (uint8_t)(len - 24);
	return 13;
}

static size_t rec_hdr_len(const struct suite *s)
{
	return s->tls13 ? 5 : 13;
}

/* Encrypt a whole record in kernel layout (rec, rlen bytes) into out, one shot. */
static int ref_encrypt(const struct suite *s, uint64_t rn, const uint8_t *rec, size_t rlen,
		       uint8_t *out)
{
	size_t h = rec_hdr_len(s), plen = rlen - h - 16;
	uint8_t nonce[12], aad[13];
	size_t aad_len = ref_nonce_aad(s, rn, rec, rec + 5, nonce, aad);
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int ok, outl = 0, finl = 0;

	memcpy(out, rec, h);
	ok = c && EVP_EncryptInit_ex(c, ref_cipher(s), NULL, s->key, nonce) == 1 &&
	     EVP_EncryptUpdate(c, NULL, &outl, aad, (int)aad_len) == 1 &&
	     EVP_EncryptUpdate(c, out + h, &outl, rec + h, (int)plen) == 1 &&
	     EVP_EncryptFinal_ex(c, out + h + plen, &finl) == 1 &&
	     EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_GET_TAG, 16, out + h + plen) == 1;
	EVP_CIPHER_CTX_free(c);
	return ok ? 0 : -1;
}

/* Decrypt and authenticate one record; 0 and the plaintext in `plain` if the tag verifies. */
static int ref_decrypt(const struct suite *s, uint64_t rn, const uint8_t *rec, size_t rlen,
		       uint8_t *plain)
{
	size_t h = rec_hdr_len(s), clen = rlen - h - 16;
	uint8_t nonce[12], aad[13], tag[16];
	size_t aad_len = ref_nonce_aad(s, rn, rec, rec + 5, nonce, aad);
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int ok, outl = 0;

	memcpy(tag, rec + h + clen, 16);
	ok = c && EVP_DecryptInit_ex(c, ref_cipher(s), NULL, s->key, nonce) == 1 &&
	     EVP_DecryptUpdate(c, NULL, &outl, aad, (int)aad_len) == 1 &&
	     EVP_DecryptUpdate(c, plain, &outl, rec + h, (int)clen) == 1 &&
	     EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_SET_TAG, 16, tag) == 1 &&
	     EVP_DecryptFinal_ex(c, plain + clen, &outl) == 1;
	EVP_CIPHER_CTX_free(c);
	return ok ? 0 : -1;
}

/* ---- streams of records in kernel layout ---- */

struct stream {
	uint8_t *plain;  /* what the driver hands the device */
	uint8_t *expect; /* the reference encryption */
	size_t len;
	size_t n;
	size_t off[MAX_RECS];
	size_t rlen[MAX_RECS];
	size_t plen[MAX_RECS]; /* encrypted payload bytes (TLS 1.3: inner plaintext) */
	uint64_t rn[MAX_RECS];
};

/*
 * Records with `data[i]` bytes of application data (TLS 1.3: plus the inner content type byte),
 * numbered from rn0. TLS 1.2 records alternate content types to exercise the AAD type byte.
 */
static int stream_build(struct stream *st, const struct suite *s, const size_t *data, size_t n,
			uint64_t rn0)
{
	static const uint8_t types12[] = { 0x17, 0x17, 0x15, 0x16 };
	size_t total = 0;

	memset(st, 0, sizeof(*st));
	if (n > MAX_RECS)
		return -1;
	for (size_t i = 0; i < n; i++)
		total += data[i] + (s->tls13 ? 5 + 1 + 16 : 13 + 16);
	st->plain = malloc(total ? total : 1);
	st->expect = malloc(total ? total : 1);
	if (!st->plain || !st->expect)
		return -1;
	st->len = total;
	st->n = n;
	for (size_t i = 0, off = 0; i < n; i++) {
		uint8_t *r = st->plain + off;
		size_t h = rec_hdr_len(s);
		size_t plen = data[i] + (s->tls13 ? 1 : 0);
		size_t rlen = h + plen + 16;

		st->off[i] = off;
		st->rlen[i] = rlen;
		st->plen[i] = plen;
		st->rn[i] = rn0 + i;
		r[0] = s->tls13 ? 0x17 : types12[i % sizeof(types12)];
		r[1] = 0x03;
		r[2] = 0x03;
		r[3] = (uint8_t)((rlen - 5) >> 8);
		r[4] = (uint8_t)(rlen - 5);
		if (!s->tls13)
			put_be64(r + 5, st->rn[i]); /* kTLS: explicit nonce = record number */
		rnd_bytes(r + h, data[i]);
		if (s->tls13)
			r[h + data[i]] = i % 3 ? 0x17 : 0x16; /* inner content type */
		memset(r + h + plen, 0, 16);
		if (ref_encrypt(s, st->rn[i], r, rlen, st->expect + off))
			return -1;
		off += rlen;
	}
	return 0;
}

static void stream_free(struct stream *st)
{
	free(st->plain);
	free(st->expect);
	memset(st, 0, sizeof(*st));
}

/* Records of `got` whose tag fails or whose plaintext differs from the stream's. */
static int stream_bad_records(const struct suite *s, const struct stream *st, const uint8_t *got)
{
	static uint8_t plain[16384 + 256];
	int bad = 0;

	for (size_t i = 0; i < st->n; i++) {
		const uint8_t *r = got + st->off[i];
		size_t h = rec_hdr_len(s);

		if (ref_decrypt(s, st->rn[i], r, st->rlen[i], plain) ||
		    memcmp(plain, st->plain + st->off[i] + h, st->plen[i]) ||
		    memcmp(r, st->plain + st->off[i], h))
			bad++;
	}
	return bad;
}

/* Both checks: byte-exact and every record authenticates with the right plaintext. */
static bool stream_ok(const struct suite *s, const struct stream *st, const uint8_t *got)
{
	return !memcmp(got, st->expect, st->len) && !stream_bad_records(s, st, got);
}

/* Feed buf[0..len) as data segments ending at the cut offsets (sorted, < len), from tcp seq0. */
static int feed(struct sim_tls_tx *tx, uint32_t seq0, uint8_t *buf, size_t len, const size_t *cuts,
		size_t ncuts)
{
	size_t pos = 0;

	for (size_t i = 0; i <= ncuts; i++) {
		size_t end = i < ncuts ? cuts[i] : len;
		int ret = sim_tls_tx_data(tx, seq0 + (uint32_t)pos, buf + pos, end - pos);

		if (ret)
			return ret;
		pos = end;
	}
	return 0;
}

/* Feed in segments of `mss` bytes. */
static int feed_mss(struct sim_tls_tx *tx, uint32_t seq0, uint8_t *buf, size_t len, size_t mss)
{
	for (size_t pos = 0; pos < len; pos += mss) {
		size_t n = len - pos < mss ? len - pos : mss;
		int ret = sim_tls_tx_data(tx, seq0 + (uint32_t)pos, buf + pos, n);

		if (ret)
			return ret;
	}
	return 0;
}

static void suites4(struct suite s[4], uint64_t rn0)
{
	suite_init(&s[0], false, 16, rn0);
	suite_init(&s[1], false, 32, rn0);
	suite_init(&s[2], true, 16, rn0);
	suite_init(&s[3], true, 32, rn0);
}

static const char *suite_name(const struct suite *s)
{
	if (s->tls13)
		return s->key_len == 16 ? "TLS1.3/AES-128-GCM" : "TLS1.3/AES-256-GCM";
	return s->key_len == 16 ? "TLS1.2/AES-128-GCM" : "TLS1.2/AES-256-GCM";
}

/* ==== tests ==== */

/* Static/progress params decoding: const fields, versions, key sizes, states (R3, R4). */
static void test_params(void)
{
	struct sim_tls_tx *tx = sim_tls_tx_create();
	struct sim_tls_tx_stats st;
	uint8_t sp[64], bad[64], pp[12], badp[12], buf[8] = { 0 };
	struct suite s;

	CU_ASSERT_PTR_NOT_NULL_FATAL(tx);
	suite_init(&s, false, 16, 7);
	static_params(sp, &s, 7);
	progress_start(pp);

	/* the builder's bytes are the fact sheet's (section 14): 89 00 00 01 */
	CU_ASSERT(sp[0] == 0x89 && sp[3] == 0x01);
	sim_tls_tx_get_stats(tx, &st);
	CU_ASSERT_EQUAL(st.state, SIM_TLS_TX_NO_STATIC);
	CU_ASSERT_EQUAL(sim_tls_tx_data(tx, 0, buf, sizeof(buf)), -EPROTO);
	CU_ASSERT_EQUAL(sim_tls_tx_dump(tx, buf, sizeof(buf)), -EPROTO);
	CU_ASSERT_EQUAL(sim_tls_tx_set_progress(tx, pp), -EPROTO);

	memcpy(bad, sp, 64);
	bad[0] = (uint8_t)((bad[0] & 0x3f) | 0x40); /* const_2 = 1 */
	CU_ASSERT_EQUAL(sim_tls_tx_set_static(tx, bad, s.key, 16), -EINVAL);
	memcpy(bad, sp, 64);
	bad[0] = (uint8_t)((bad[0] & 0xfc) | 0x02); /* const_1 = 2 */
	CU_ASSERT_EQUAL(sim_tls_tx_set_static(tx, bad, s.key, 16), -EINVAL);
	memcpy(bad, sp, 64);
	bad[3] = 0x02; /* encryption_standard = 2 */
	CU_ASSERT_EQUAL(sim_tls_tx_set_static(tx, bad, s.key, 16), -EINVAL);
	memcpy(bad, sp, 64);
	bad[3] = 0x00;
	CU_ASSERT_EQUAL(sim_tls_tx_set_static(tx, bad, s.key, 16), -EINVAL);
	for (uint8_t v = 0; v < 16; v++) {
		memcpy(bad, sp, 64);
		bad[0] = (uint8_t)(0x81 | v << 2);
		CU_ASSERT_EQUAL(sim_tls_tx_set_static(tx, bad, s.key, 16),
				v == 2 || v == 3 ? 0 : -EINVAL);
	}
	CU_ASSERT_EQUAL(sim_tls_tx_set_static(tx, sp, s.key, 24), -EINVAL);
	CU_ASSERT_EQUAL(sim_tls_tx_set_static(tx, sp, s.key, 0), -EINVAL);
	CU_ASSERT_EQUAL(sim_tls_tx_set_static(tx, sp, s.key, 16), 0);
	CU_ASSERT_EQUAL(sim_tls_tx_set_static(tx, sp, s.key, 32), 0);
	sim_tls_tx_get_stats(tx, &st);
	CU_ASSERT_EQUAL(st.state, SIM_TLS_TX_WAIT_START);
	CU_ASSERT_EQUAL(st.key_bits, 256);
	CU_ASSERT_EQUAL(st.record_number, 7);
	CU_ASSERT_FALSE(st.tls13);
	CU_ASSERT_EQUAL(st.statics, 4); /* versions 2 and 3, 128 and 256 */
	/* R4: static params without START */
	CU_ASSERT_EQUAL(sim_tls_tx_data(tx, 0, buf, sizeof(buf)), -EPROTO);
	CU_ASSERT_EQUAL(sim_tls_tx_dump(tx, buf, sizeof(buf)), -EPROTO);

	/* R3: only START / NO_OFFLOAD / next_record_tcp_sn 0 / device fields 0 */
	memcpy(badp, pp, 12);
	badp[8] = 0x40; /* TRACKING */
	CU_ASSERT_EQUAL(sim_tls_tx_set_progress(tx, badp), -EINVAL);
	badp[8] = 0x80; /* SEARCHING */
	CU_ASSERT_EQUAL(sim_tls_tx_set_progress(tx, badp), -EINVAL);
	badp[8] = 0x10; /* auth OFFLOAD */
	CU_ASSERT_EQUAL(sim_tls_tx_set_progress(tx, badp), -EINVAL);
	badp[8] = 0x01; /* reserved_at_44 */
	CU_ASSERT_EQUAL(sim_tls_tx_set_progress(tx, badp), -EINVAL);
	memcpy(badp, pp, 12);
	badp[3] = 1; /* next_record_tcp_sn */
	CU_ASSERT_EQUAL(sim_tls_tx_set_progress(tx, badp), -EINVAL);
	memcpy(badp, pp, 12);
	badp[5] = 1; /* hw_resync_tcp_sn */
	CU_ASSERT_EQUAL(sim_tls_tx_set_progress(tx, badp), -EINVAL);
	memcpy(badp, pp, 12);
	badp[11] = 1; /* hw_offset_record_number */
	CU_ASSERT_EQUAL(sim_tls_tx_set_progress(tx, badp), -EINVAL);
	sim_tls_tx_get_stats(tx, &st);
	CU_ASSERT_EQUAL(st.state, SIM_TLS_TX_WAIT_START);
	CU_ASSERT_EQUAL(st.starts, 0);

	CU_ASSERT_EQUAL(sim_tls_tx_set_progress(tx, pp), 0);
	sim_tls_tx_get_stats(tx, &st);
	CU_ASSERT_EQUAL(st.state, SIM_TLS_TX_HEADER);
	CU_ASSERT_EQUAL(st.starts, 1);
	CU_ASSERT_FALSE(st.seq_known);
	/* a bad static params post leaves the context as it was */
	bad[0] = 0x41;
	CU_ASSERT_EQUAL(sim_tls_tx_set_static(tx, bad, s.key, 16), -EINVAL);
	sim_tls_tx_get_stats(tx, &st);
	CU_ASSERT_EQUAL(st.state, SIM_TLS_TX_HEADER);
	/* len 0 changes nothing */
	CU_ASSERT_EQUAL(sim_tls_tx_data(tx, 5, buf, 0), 0);
	sim_tls_tx_get_stats(tx, &st);
	CU_ASSERT_FALSE(st.seq_known);
	CU_ASSERT_EQUAL(sim_tls_tx_data(tx, 5, NULL, 1), -EINVAL);
	CU_ASSERT_EQUAL(sim_tls_tx_dump(tx, NULL, 1), -EINVAL);
	CU_ASSERT_STRING_EQUAL(sim_tls_tx_state_str(SIM_TLS_TX_PAYLOAD), "PAYLOAD");
	CU_ASSERT_STRING_EQUAL(sim_tls_tx_state_str((enum sim_tls_tx_state)99), "?");

	sim_tls_tx_destroy(tx);
	sim_tls_tx_destroy(NULL);
	suite_wipe(&s);
}

/* Data lengths: 0, block edges, 16384 (max), MSS-ish and random ones. */
static size_t stream_lengths(size_t *data, size_t max)
{
	static const size_t fixed[] = { 0, 1, 15, 16, 17, 31, 1000, 16384, 0, 1448, 4096, 16384, 2 };
	size_t n = 0;

	for (; n < sizeof(fixed) / sizeof(fixed[0]) && n < max; n++)
		data[n] = fixed[n];
	for (; n < 24 && n < max; n++)
		data[n] = (size_t)(rnd() % 16385);
	return n;
}

/* N records through one suite: one segment, MSS segments, random segments. */
static void run_stream_suite(struct suite *s)
{
	size_t data[MAX_RECS], n = stream_lengths(data, MAX_RECS), *cuts, ncuts;
	size_t sum_plen = 0;
	struct sim_tls_tx_stats st;
	struct stream str;
	uint8_t *buf;

	CU_ASSERT_EQUAL_FATAL(stream_build(&str, s, data, n, s->rn0), 0);
	buf = malloc(str.len);
	cuts = malloc(str.len * sizeof(*cuts));
	CU_ASSERT_FATAL(buf && cuts);
	for (size_t i = 0; i < n; i++)
		sum_plen += str.plen[i];

	/* the reference itself: the plaintext stream does not authenticate, the expected one does */
	CU_ASSERT_EQUAL(stream_bad_records(s, &str, str.plain), (int)n);
	CU_ASSERT_EQUAL(stream_bad_records(s, &str, str.expect), 0);

	for (int mode = 0; mode < 4; mode++) {
		struct sim_tls_tx *tx = engine_new(s);
		int ret;

		CU_ASSERT_PTR_NOT_NULL_FATAL(tx);
		memcpy(buf, str.plain, str.len);
		if (mode == 0) { /* every record in one segment */
			ret = sim_tls_tx_data(tx, TCP_SEQ0, buf, str.len);
		} else if (mode == 1) { /* MSS segments: records span many segments */
			ret = feed_mss(tx, TCP_SEQ0, buf, str.len, MSS);
		} else { /* random cut points, small (mode 2) or up to 20000 bytes (mode 3) */
			size_t span = mode == 2 ? 64 : 20000;

			ncuts = 0;
			for (size_t p = 1 + rnd() % span; p < str.len; p += 1 + rnd() % span)
				cuts[ncuts++] = p;
			ret = feed(tx, TCP_SEQ0, buf, str.len, cuts, ncuts);
		}
		CU_ASSERT_EQUAL(ret, 0);
		if (!stream_ok(s, &str, buf)) {
			printf("\n%s mode %d: output differs from the reference\n", suite_name(s),
			       mode);
			CU_FAIL("stream");
		}
		sim_tls_tx_get_stats(tx, &st);
		CU_ASSERT_EQUAL(st.records, n);
		CU_ASSERT_EQUAL(st.bytes_encrypted, sum_plen);
		CU_ASSERT_EQUAL(st.data_bytes, str.len);
		CU_ASSERT_EQUAL(st.seq_mismatch, 0);
		CU_ASSERT_EQUAL(st.malformed, 0);
		CU_ASSERT_EQUAL(st.dump_bytes, 0);
		CU_ASSERT_EQUAL(st.state, SIM_TLS_TX_HEADER);
		CU_ASSERT_EQUAL(st.record_number, s->rn0 + n);
		CU_ASSERT_EQUAL(st.record_offset, 0);
		CU_ASSERT(st.seq_known);
		CU_ASSERT_EQUAL(st.expected_seq, TCP_SEQ0 + (uint32_t)str.len);
		CU_ASSERT_EQUAL(st.tls13, s->tls13);
		CU_ASSERT_EQUAL(st.key_bits, s->key_len * 8);
		sim_tls_tx_destroy(tx);
	}
	free(cuts);
	free(buf);
	stream_free(&str);
}

static void test_stream(void)
{
	struct suite s[4];

	suites4(s, 0);
	s[1].rn0 = 0x1122334455667788ull;
	s[3].rn0 = 1000;
	for (int i = 0; i < 4; i++) {
		run_stream_suite(&s[i]);
		suite_wipe(&s[i]);
	}
}

/*
 * A short 2-record stream (TLS 1.2: data 20 and 0 bytes; TLS 1.3: 20 and 0 + type byte) cut into
 * two segments at every position, into three at every pair of positions, and one byte per
 * segment; between runs the context is restarted with progress params only (R2: the record number
 * restarts at the static params' one).
 */
static void test_every_split(void)
{
	static const size_t data[2] = { 20, 0 };
	struct suite s[4];

	suites4(s, 3);
	for (int k = 0; k < 4; k++) {
		struct sim_tls_tx *tx = engine_new(&s[k]);
		struct stream str;
		uint8_t buf[128], pp[12];
		size_t cuts[2];
		int fails = 0, runs = 0;

		CU_ASSERT_PTR_NOT_NULL_FATAL(tx);
		CU_ASSERT_EQUAL_FATAL(stream_build(&str, &s[k], data, 2, s[k].rn0), 0);
		CU_ASSERT_FATAL(str.len <= sizeof(buf));
		progress_start(pp);
		for (size_t i = 0; i <= str.len; i++) {
			for (size_t j = i; j <= str.len; j++) {
				cuts[0] = i;
				cuts[1] = j;
				memcpy(buf, str.plain, str.len);
				if (sim_tls_tx_set_progress(tx, pp) ||
				    feed(tx, (uint32_t)(i * 7), buf, str.len, cuts, 2) ||
				    !stream_ok(&s[k], &str, buf))
					fails++;
				runs++;
			}
		}
		/* one byte per segment */
		memcpy(buf, str.plain, str.len);
		if (sim_tls_tx_set_progress(tx, pp) || feed_mss(tx, 0, buf, str.len, 1) ||
		    !stream_ok(&s[k], &str, buf))
			fails++;
		if (fails)
			printf("\n%s: %d of %d splits wrong\n", suite_name(&s[k]), fails, runs + 1);
		CU_ASSERT_EQUAL(fails, 0);
		{
			struct sim_tls_tx_stats st;

			sim_tls_tx_get_stats(tx, &st);
			CU_ASSERT_EQUAL(st.seq_mismatch, 0);
			CU_ASSERT_EQUAL(st.records, 2u * (size_t)(runs + 1));
		}
		stream_free(&str);
		sim_tls_tx_destroy(tx);
		suite_wipe(&s[k]);
	}
}

/* Partial header / nonce / payload / tag states are visible and carried across segments. */
static void test_state_inspection(void)
{
	static const size_t data[1] = { 40 };
	struct sim_tls_tx_stats st;
	struct sim_tls_tx *tx;
	struct stream str;
	struct suite s;
	uint8_t buf[128];

	suite_init(&s, false, 16, 9);
	tx = engine_new(&s);
	CU_ASSERT_PTR_NOT_NULL_FATAL(tx);
	CU_ASSERT_EQUAL_FATAL(stream_build(&str, &s, data, 1, 9), 0); /* 5 + 8 + 40 + 16 = 69 */
	memcpy(buf, str.plain, str.len);
	CU_ASSERT_EQUAL(sim_tls_tx_data(tx, 100, buf, 3), 0);
	sim_tls_tx_get_stats(tx, &st);
	CU_ASSERT(st.state == SIM_TLS_TX_HEADER && st.record_offset == 3 && st.record_len == 0);
	CU_ASSERT(st.seq_known && st.expected_seq == 103);
	CU_ASSERT_EQUAL(sim_tls_tx_data(tx, 103, buf + 3, 6), 0);
	sim_tls_tx_get_stats(tx, &st);
	CU_ASSERT(st.state == SIM_TLS_TX_NONCE && st.record_offset == 9 && st.record_len == 69);
	CU_ASSERT_EQUAL(sim_tls_tx_data(tx, 109, buf + 9, 10), 0);
	sim_tls_tx_get_stats(tx, &st);
	CU_ASSERT(st.state == SIM_TLS_TX_PAYLOAD && st.record_offset == 19);
	CU_ASSERT_EQUAL(st.bytes_encrypted, 6);
	CU_ASSERT_EQUAL(sim_tls_tx_data(tx, 119, buf + 19, 40), 0);
	sim_tls_tx_get_stats(tx, &st);
	CU_ASSERT(st.state == SIM_TLS_TX_TAG && st.record_offset == 59 && st.record_number == 9);
	CU_ASSERT_EQUAL(sim_tls_tx_data(tx, 159, buf + 59, 10), 0);
	sim_tls_tx_get_stats(tx, &st);
	CU_ASSERT(st.state == SIM_TLS_TX_HEADER && st.record_offset == 0 && st.record_number == 10);
	CU_ASSERT(st.records == 1 && st.data_segments == 5 && st.expected_seq == 169);
	CU_ASSERT(stream_ok(&s, &str, buf));
	stream_free(&str);
	sim_tls_tx_destroy(tx);
	suite_wipe(&s);
}

/*
 * OOO resync as the kernel does it (fact sheet 10.4): records are sent up to the middle of record
 * 4; then a segment starting inside record `m` is retransmitted: [static params with record m's
 * number, if it differs from the last one posted] + progress START + DUMP of record m from its
 * header up to the segment (in <= MSS chunks) + data continuing mid-record to the end. Both the
 * first transmission and the retransmission must be byte-exact.
 */
static void run_resync(struct suite *s, size_t m, size_t into, bool post_static)
{
	static const size_t data[6] = { 3000, 100, 5000, 0, 2000, 700 };
	struct sim_tls_tx_stats st, st0;
	size_t sent, start, dumped = 0;
	struct sim_tls_tx *tx;
	struct stream str;
	uint8_t *buf, pp[12];

	CU_ASSERT_EQUAL_FATAL(stream_build(&str, s, data, 6, s->rn0), 0);
	buf = malloc(str.len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
	tx = engine_new(s);
	CU_ASSERT_PTR_NOT_NULL_FATAL(tx);
	memcpy(buf, str.plain, str.len);
	sent = str.off[4] + 700;
	CU_ASSERT_EQUAL(feed_mss(tx, TCP_SEQ0, buf, sent, MSS), 0);
	CU_ASSERT_EQUAL(memcmp(buf, str.expect, sent), 0);
	sim_tls_tx_get_stats(tx, &st0);

	start = str.off[m] + into;
	if (post_static) {
		uint8_t sp[64];

		static_params(sp, s, str.rn[m]);
		CU_ASSERT_EQUAL(sim_tls_tx_set_static(tx, sp, s->key, s->key_len), 0);
	}
	progress_start(pp);
	CU_ASSERT_EQUAL(sim_tls_tx_set_progress(tx, pp), 0);
	/* DUMP: the record prefix, from the driver's plaintext copy; must not be modified */
	while (dumped < into) {
		size_t k = into - dumped < MSS ? into - dumped : MSS;

		CU_ASSERT_EQUAL(sim_tls_tx_dump(tx, str.plain + str.off[m] + dumped, k), 0);
		dumped += k;
	}
	memcpy(buf + start, str.plain + start, str.len - start);
	CU_ASSERT_EQUAL(feed_mss(tx, TCP_SEQ0 + (uint32_t)start, buf + start, str.len - start, MSS),
			0);
	if (!stream_ok(s, &str, buf)) {
		printf("\n%s resync m=%zu into=%zu static=%d: wrong bytes\n", suite_name(s), m, into,
		       post_static);
		CU_FAIL("resync");
	}
	sim_tls_tx_get_stats(tx, &st);
	CU_ASSERT_EQUAL(st.seq_mismatch, 0);
	CU_ASSERT_EQUAL(st.dump_bytes, into);
	CU_ASSERT_EQUAL(st.starts, st0.starts + 1);
	CU_ASSERT_EQUAL(st.record_number, s->rn0 + 6);
	CU_ASSERT_EQUAL(st.expected_seq, TCP_SEQ0 + (uint32_t)str.len);
	/* records completed: 4 in the first pass, then m..5 again */
	CU_ASSERT_EQUAL(st.records, 4 + (6 - m));
	free(buf);
	stream_free(&str);
	sim_tls_tx_destroy(tx);
}

static void test_resync_dump(void)
{
	struct suite s[4];

	suites4(s, 0x10);
	for (int k = 0; k < 4; k++) {
		size_t h = s[k].tls13 ? 5 : 13;

		run_resync(&s[k], 2, 1448 * 2 + 77, true); /* mid-payload, DUMP in 3 chunks */
		run_resync(&s[k], 2, 0, true);              /* at the record start: no DUMP */
		run_resync(&s[k], 2, 3, true);              /* inside the header */
		run_resync(&s[k], 0, 8, true);              /* TLS 1.2: inside the explicit nonce */
		run_resync(&s[k], 1, h + 100 + 5, true);    /* inside the tag */
		run_resync(&s[k], 3, h + 2, true);          /* empty record, in its tag */
		/* R2: record m is the one of the last static params -> progress params only */
		run_resync(&s[k], 0, 1000, false);
		suite_wipe(&s[k]);
	}
}

/*
 * The same retransmission WITHOUT resync: the engine continues the stream it was in (the middle
 * of record 4), so the retransmitted bytes are encrypted with the wrong keystream and the tag
 * lands in the wrong place - the reference decryption rejects the record, and the mismatch is
 * counted. A correct continuation carrying a wrong sequence is still counted.
 */
static void test_no_resync(void)
{
	static const size_t data[6] = { 3000, 100, 5000, 0, 2000, 700 };
	struct suite s[4];

	suites4(s, 0x20);
	for (int k = 0; k < 4; k++) {
		struct sim_tls_tx_stats st;
		struct sim_tls_tx *tx;
		struct stream str;
		size_t sent, start;
		uint8_t *buf;

		CU_ASSERT_EQUAL_FATAL(stream_build(&str, &s[k], data, 6, s[k].rn0), 0);
		buf = malloc(str.len);
		CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
		tx = engine_new(&s[k]);
		CU_ASSERT_PTR_NOT_NULL_FATAL(tx);
		memcpy(buf, str.plain, str.len);
		sent = str.off[4] + 700;
		CU_ASSERT_EQUAL(feed_mss(tx, TCP_SEQ0, buf, sent, MSS), 0);

		start = str.off[2] + 1448 * 2 + 77;
		memcpy(buf + start, str.plain + start, str.len - start);
		CU_ASSERT_EQUAL(sim_tls_tx_data(tx, TCP_SEQ0 + (uint32_t)start, buf + start,
						str.off[3] - start), 0);
		sim_tls_tx_get_stats(tx, &st);
		CU_ASSERT_EQUAL(st.seq_mismatch, 1);
		{
			uint8_t plain[6000];

			CU_ASSERT_NOT_EQUAL(ref_decrypt(&s[k], str.rn[2], buf + str.off[2],
							str.rlen[2], plain), 0);
		}
		CU_ASSERT_NOT_EQUAL(memcmp(buf + start, str.expect + start, str.off[3] - start), 0);
		free(buf);
		stream_free(&str);
		sim_tls_tx_destroy(tx);

		/* right bytes, wrong sequence: output right, mismatch counted anyway */
		tx = engine_new(&s[k]);
		CU_ASSERT_PTR_NOT_NULL_FATAL(tx);
		CU_ASSERT_EQUAL_FATAL(stream_build(&str, &s[k], data, 2, s[k].rn0), 0);
		buf = malloc(str.len);
		CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
		memcpy(buf, str.plain, str.len);
		CU_ASSERT_EQUAL(sim_tls_tx_data(tx, 1000, buf, 500), 0);
		CU_ASSERT_EQUAL(sim_tls_tx_data(tx, 5000, buf + 500, str.len - 500), 0);
		CU_ASSERT(stream_ok(&s[k], &str, buf));
		sim_tls_tx_get_stats(tx, &st);
		CU_ASSERT_EQUAL(st.seq_mismatch, 1);
		CU_ASSERT_EQUAL(st.expected_seq, 5000 + (uint32_t)(str.len - 500));
		free(buf);
		stream_free(&str);
		sim_tls_tx_destroy(tx);
		suite_wipe(&s[k]);
	}
}

/*
 * TLS 1.3 nonce = (salt || iv) XOR (0^4 || BE64 record number), with a record number above 2^32
 * so the XOR reaches the high bytes, across a 2^32 carry; a reference that used only the low 32
 * bits of the record number (or no XOR) rejects the records.
 */
static void test_tls13_nonce(void)
{
	static const size_t data[4] = { 100, 0, 16384, 33 };
	const uint64_t rn0 = 0x00000001fffffffeull;
	struct suite s[2];

	suite_init(&s[0], true, 16, rn0);
	suite_init(&s[1], true, 32, rn0);
	for (int k = 0; k < 2; k++) {
		struct sim_tls_tx *tx = engine_new(&s[k]);
		struct stream str;
		uint8_t *buf, *plain;

		CU_ASSERT_PTR_NOT_NULL_FATAL(tx);
		CU_ASSERT_EQUAL_FATAL(stream_build(&str, &s[k], data, 4, rn0), 0);
		buf = malloc(str.len);
		plain = malloc(str.len);
		CU_ASSERT_FATAL(buf && plain);
		memcpy(buf, str.plain, str.len);
		CU_ASSERT_EQUAL(feed_mss(tx, 1, buf, str.len, MSS), 0);
		CU_ASSERT(stream_ok(&s[k], &str, buf));
		for (size_t i = 0; i < 4; i++) {
			CU_ASSERT_EQUAL(ref_decrypt(&s[k], str.rn[i], buf + str.off[i], str.rlen[i],
						    plain), 0);
			CU_ASSERT_NOT_EQUAL(ref_decrypt(&s[k], (uint32_t)str.rn[i],
							buf + str.off[i], str.rlen[i], plain), 0);
			CU_ASSERT_NOT_EQUAL(ref_decrypt(&s[k], 0, buf + str.off[i], str.rlen[i],
							plain), 0);
		}
		free(buf);
		free(plain);
		stream_free(&str);
		sim_tls_tx_destroy(tx);
		suite_wipe(&s[k]);
	}
}

/* TLS 1.2 with a record number above 2^32: the AAD carries all 64 bits. */
static void test_tls12_big_rn(void)
{
	static const size_t data[3] = { 10, 16384, 0 };
	struct suite s;
	struct sim_tls_tx *tx;
	struct stream str;
	uint8_t *buf, *plain;

	suite_init(&s, false, 32, 0xfedcba9876543210ull);
	tx = engine_new(&s);
	CU_ASSERT_PTR_NOT_NULL_FATAL(tx);
	CU_ASSERT_EQUAL_FATAL(stream_build(&str, &s, data, 3, s.rn0), 0);
	buf = malloc(str.len);
	plain = malloc(str.len);
	CU_ASSERT_FATAL(buf && plain);
	memcpy(buf, str.plain, str.len);
	CU_ASSERT_EQUAL(feed_mss(tx, 77, buf, str.len, 1000), 0);
	CU_ASSERT(stream_ok(&s, &str, buf));
	CU_ASSERT_NOT_EQUAL(ref_decrypt(&s, (uint32_t)str.rn[0], buf, str.rlen[0], plain), 0);
	free(buf);
	free(plain);
	stream_free(&str);
	sim_tls_tx_destroy(tx);
	suite_wipe(&s);
}

/* A new key and record number 0 (TLS 1.3 key update / rekey) takes effect after START. */
static void test_rekey(void)
{
	static const size_t data[2] = { 500, 70 };
	struct suite a, b;
	struct stream sa, sb;
	struct sim_tls_tx *tx;
	uint8_t buf[2048];

	suite_init(&a, true, 16, 5);
	suite_init(&b, true, 32, 0);
	tx = engine_new(&a);
	CU_ASSERT_PTR_NOT_NULL_FATAL(tx);
	CU_ASSERT_EQUAL_FATAL(stream_build(&sa, &a, data, 2, 5), 0);
	CU_ASSERT_EQUAL_FATAL(stream_build(&sb, &b, data, 2, 0), 0);
	memcpy(buf, sa.plain, sa.len);
	CU_ASSERT_EQUAL(sim_tls_tx_data(tx, 0, buf, sa.len), 0);
	CU_ASSERT(stream_ok(&a, &sa, buf));
	CU_ASSERT_EQUAL(engine_sync(tx, &b, 0), 0);
	memcpy(buf, sb.plain, sb.len);
	CU_ASSERT_EQUAL(sim_tls_tx_data(tx, (uint32_t)sa.len, buf, sb.len), 0);
	CU_ASSERT(stream_ok(&b, &sb, buf));
	stream_free(&sa);
	stream_free(&sb);
	sim_tls_tx_destroy(tx);
	suite_wipe(&a);
	suite_wipe(&b);
}

/*
 * R6: a malformed header (length below the overhead or above 2^14 + 256, version not 0x0303,
 * TLS 1.3 outer type not 0x17) is counted and every byte from it on passes unmodified, including
 * well-formed records after it, until a START; after START records encrypt again.
 */
static void run_malformed(struct suite *s, int how)
{
	static const size_t data[3] = { 50, 60, 70 };
	struct sim_tls_tx_stats st;
	struct sim_tls_tx *tx;
	struct stream str;
	uint8_t *buf, pp[12];
	uint8_t *h;

	CU_ASSERT_EQUAL_FATAL(stream_build(&str, s, data, 3, s->rn0), 0);
	buf = malloc(str.len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
	tx = engine_new(s);
	CU_ASSERT_PTR_NOT_NULL_FATAL(tx);
	h = str.plain + str.off[1];
	switch (how) {
	case 0: /* length one below the overhead */
		h[3] = 0;
		h[4] = s->tls13 ? 16 : 23;
		break;
	case 1: /* length 2^14 + 256 + 1 */
		h[3] = (16384 + 257) >> 8;
		h[4] = (16384 + 257) & 0xff;
		break;
	case 2: /* version 0x0301 */
		h[2] = 0x01;
		break;
	default: /* TLS 1.3: outer type handshake; TLS 1.2: length 0 */
		if (s->tls13) {
			h[0] = 0x16;
		} else {
			h[3] = 0;
			h[4] = 0;
		}
		break;
	}
	memcpy(buf, str.plain, str.len);
	CU_ASSERT_EQUAL(feed_mss(tx, 0, buf, str.len, 37), 0);
	CU_ASSERT_EQUAL(memcmp(buf, str.expect, str.off[1]), 0);
	CU_ASSERT_EQUAL(memcmp(buf + str.off[1], str.plain + str.off[1], str.len - str.off[1]), 0);
	sim_tls_tx_get_stats(tx, &st);
	CU_ASSERT_EQUAL(st.malformed, 1);
	CU_ASSERT_EQUAL(st.records, 1);
	CU_ASSERT_EQUAL(st.state, SIM_TLS_TX_PASSTHROUGH);
	CU_ASSERT_EQUAL(st.passthrough_bytes, str.len - str.off[1] - 5);
	CU_ASSERT_EQUAL(st.record_number, s->rn0 + 1);
	CU_ASSERT_EQUAL(sim_tls_tx_dump(tx, str.plain, 10), 0); /* DUMP also just consumed */

	/* resync to record 2 (static params + START): encrypts again */
	{
		uint8_t sp[64];

		static_params(sp, s, str.rn[2]);
		CU_ASSERT_EQUAL(sim_tls_tx_set_static(tx, sp, s->key, s->key_len), 0);
	}
	progress_start(pp);
	CU_ASSERT_EQUAL(sim_tls_tx_set_progress(tx, pp), 0);
	memcpy(buf + str.off[2], str.plain + str.off[2], str.rlen[2]);
	CU_ASSERT_EQUAL(sim_tls_tx_data(tx, 99, buf + str.off[2], str.rlen[2]), 0);
	CU_ASSERT_EQUAL(memcmp(buf + str.off[2], str.expect + str.off[2], str.rlen[2]), 0);
	sim_tls_tx_get_stats(tx, &st);
	CU_ASSERT_EQUAL(st.records, 2);
	CU_ASSERT_EQUAL(st.malformed, 1);
	CU_ASSERT_EQUAL(st.state, SIM_TLS_TX_HEADER);
	free(buf);
	stream_free(&str);
	sim_tls_tx_destroy(tx);
}

static void test_malformed(void)
{
	struct suite s[4];

	suites4(s, 0x30);
	for (int k = 0; k < 4; k++) {
		for (int how = 0; how < 4; how++)
			run_malformed(&s[k], how);
		suite_wipe(&s[k]);
	}
}

/* Boundary lengths are well-formed: TLS 1.2 length 24 (empty), 1.3 length 17, both 2^14 + 256. */
static void test_length_bounds(void)
{
	struct suite s[4];

	suites4(s, 1);
	for (int k = 0; k < 4; k++) {
		/* the largest legal record: 2^14 + 256 minus the overhead of data */
		size_t data[2] = { 0, 16384 + 256 - (s[k].tls13 ? 17 : 24) };
		struct sim_tls_tx_stats st;
		struct sim_tls_tx *tx = engine_new(&s[k]);
		struct stream str;
		uint8_t *buf;

		CU_ASSERT_PTR_NOT_NULL_FATAL(tx);
		CU_ASSERT_EQUAL_FATAL(stream_build(&str, &s[k], data, 2, s[k].rn0), 0);
		buf = malloc(str.len);
		CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
		memcpy(buf, str.plain, str.len);
		CU_ASSERT_EQUAL(feed_mss(tx, 0, buf, str.len, MSS), 0);
		CU_ASSERT(stream_ok(&s[k], &str, buf));
		sim_tls_tx_get_stats(tx, &st);
		CU_ASSERT_EQUAL(st.malformed, 0);
		CU_ASSERT_EQUAL(st.records, 2);
		free(buf);
		stream_free(&str);
		sim_tls_tx_destroy(tx);
		suite_wipe(&s[k]);
	}
}

/* DUMP of whole records advances the record count and produces nothing (R7). */
static void test_dump_whole_records(void)
{
	static const size_t data[3] = { 300, 0, 5000 };
	struct sim_tls_tx_stats st;
	struct sim_tls_tx *tx;
	struct stream str;
	struct suite s;
	uint8_t *copy, *buf;

	suite_init(&s, false, 16, 40);
	tx = engine_new(&s);
	CU_ASSERT_PTR_NOT_NULL_FATAL(tx);
	CU_ASSERT_EQUAL_FATAL(stream_build(&str, &s, data, 3, 40), 0);
	copy = malloc(str.len);
	buf = malloc(str.len);
	CU_ASSERT_FATAL(copy && buf);
	memcpy(copy, str.plain, str.len);
	CU_ASSERT_EQUAL(sim_tls_tx_dump(tx, copy, str.off[2]), 0);
	CU_ASSERT_EQUAL(memcmp(copy, str.plain, str.len), 0);
	sim_tls_tx_get_stats(tx, &st);
	CU_ASSERT_EQUAL(st.records, 2);
	CU_ASSERT_EQUAL(st.record_number, 42);
	CU_ASSERT_EQUAL(st.bytes_encrypted, 0);
	CU_ASSERT_EQUAL(st.dump_bytes, str.off[2]);
	CU_ASSERT_FALSE(st.seq_known);
	memcpy(buf, str.plain, str.len);
	CU_ASSERT_EQUAL(sim_tls_tx_data(tx, 0, buf + str.off[2], str.rlen[2]), 0);
	CU_ASSERT_EQUAL(memcmp(buf + str.off[2], str.expect + str.off[2], str.rlen[2]), 0);
	free(copy);
	free(buf);
	stream_free(&str);
	sim_tls_tx_destroy(tx);
	suite_wipe(&s);
}

struct key_scan {
	const uint8_t *key;
	size_t len;
	int found;
};

static void key_scan_region(void *ctx, const void *addr, size_t len)
{
	struct key_scan *k = ctx;
	const uint8_t *p = addr;

	for (size_t i = 0; i + k->len <= len; i++)
		if (p[i] == k->key[0] && !memcmp(p + i, k->key, k->len))
			k->found++;
}

/* Copies of key in secret memory (where the engine state lives). */
static int key_copies(const struct suite *s)
{
	struct key_scan k = { s->key, s->key_len, 0 };

	secret_for_each_region(key_scan_region, &k);
	return k.found;
}

/*
 * Issue 10: a TIS's OpenSSL context is made by its first record, not by static params. Contexts
 * given static params and START (and one given another key first: a key update before any
 * record) hold none, also after a partial header; the first record still encrypts byte-exact
 * under the last key, after which the engine's key copy is gone from secret memory; static
 * params posted again (a resync) key the same context again; destroy gives it back. x 4 suites.
 */
static void test_lazy_engine(void)
{
	struct suite s4[4];

	suites4(s4, 9);
	for (int k = 0; k < 4; k++) {
		static const size_t data[2] = { 300, 40 };
		const struct suite *s = &s4[k];
		uint64_t live0 = sim_tls_evp_live();
		struct sim_tls_tx *idle[8], *tx;
		struct sim_tls_tx_stats st;
		struct stream str;
		struct suite other;
		uint8_t buf[1024];

		suite_init(&other, s->tls13, s->key_len, 0);
		CU_ASSERT_EQUAL_FATAL(stream_build(&str, s, data, 2, s->rn0), 0);
		CU_ASSERT_FATAL(str.len <= sizeof(buf));
		for (size_t i = 0; i < 8; i++) {
			idle[i] = engine_new(&other);
			CU_ASSERT_PTR_NOT_NULL_FATAL(idle[i]);
		}
		CU_ASSERT_EQUAL(sim_tls_evp_live(), live0);

		tx = engine_new(&other);
		CU_ASSERT_PTR_NOT_NULL_FATAL(tx);
		CU_ASSERT_EQUAL(engine_sync(tx, s, s->rn0), 0); /* its own key, before any record */
		CU_ASSERT_EQUAL(key_copies(s), 1);
		memcpy(buf, str.plain, str.len);
		CU_ASSERT_EQUAL(sim_tls_tx_data(tx, 0, buf, 3), 0); /* a partial header */
		sim_tls_tx_get_stats(tx, &st);
		CU_ASSERT_EQUAL(st.evp_ctxs, 0);
		CU_ASSERT_EQUAL(st.key_bits, s->key_len * 8);
		CU_ASSERT_EQUAL(sim_tls_evp_live(), live0);

		CU_ASSERT_EQUAL(sim_tls_tx_data(tx, 3, buf + 3, str.len - 3), 0);
		CU_ASSERT(stream_ok(s, &str, buf));
		sim_tls_tx_get_stats(tx, &st);
		CU_ASSERT_EQUAL(st.records, 2);
		CU_ASSERT_EQUAL(st.evp_ctxs, 1);
		CU_ASSERT_EQUAL(sim_tls_evp_live(), live0 + 1);
		CU_ASSERT_EQUAL(key_copies(s), 0); /* OpenSSL holds it now: the copy is wiped */

		/* resync to record 1 (R1, R2): static params again, START, the record re-sent */
		CU_ASSERT_EQUAL(engine_sync(tx, s, str.rn[1]), 0);
		memcpy(buf, str.plain + str.off[1], str.rlen[1]);
		CU_ASSERT_EQUAL(sim_tls_tx_data(tx, (uint32_t)str.off[1], buf, str.rlen[1]), 0);
		CU_ASSERT_EQUAL(memcmp(buf, str.expect + str.off[1], str.rlen[1]), 0);
		CU_ASSERT_EQUAL(sim_tls_evp_live(), live0 + 1);
		CU_ASSERT_EQUAL(key_copies(s), 0);

		sim_tls_tx_destroy(tx);
		for (size_t i = 0; i < 8; i++)
			sim_tls_tx_destroy(idle[i]);
		CU_ASSERT_EQUAL(sim_tls_evp_live(), live0);
		CU_ASSERT_EQUAL(key_copies(&other), 0); /* destroy wiped the idle ones' */
		stream_free(&str);
		suite_wipe(&other);
	}
	for (int k = 0; k < 4; k++)
		suite_wipe(&s4[k]);
}

/* The struct sim_tls_engine_ops adapter the SQ engine uses. */
static void test_ops(void)
{
	const struct sim_tls_engine_ops *ops = &sim_tls_tx_engine_ops;
	static const size_t data[1] = { 64 };
	struct stream str;
	struct suite s;
	uint8_t sp[64], pp[12], buf[256];
	void *ctx;

	suite_init(&s, true, 32, 2);
	CU_ASSERT_EQUAL_FATAL(stream_build(&str, &s, data, 1, 2), 0);
	ctx = ops->create();
	CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
	static_params(sp, &s, 2);
	progress_start(pp);
	CU_ASSERT_EQUAL(ops->set_static(ctx, sp, s.key, s.key_len), 0);
	CU_ASSERT_EQUAL(ops->set_progress(ctx, pp), 0);
	CU_ASSERT_EQUAL(ops->dump(ctx, str.plain, 10), 0);
	memcpy(buf, str.plain, str.len);
	CU_ASSERT_EQUAL(ops->data(ctx, 10, buf + 10, str.len - 10), 0);
	CU_ASSERT_EQUAL(memcmp(buf + 10, str.expect + 10, str.len - 10), 0);
	ops->destroy(ctx);
	stream_free(&str);
	suite_wipe(&s);
}

static const struct test_case tls_tx_cases[] = {
	{ "static/progress params decoding and states", test_params },
	{ "records x 4 suites: one segment, MSS, random splits", test_stream },
	{ "2-record stream split at every byte position", test_every_split },
	{ "state inspection across segments", test_state_inspection },
	{ "OOO resync: static + START + DUMP prefix + data", test_resync_dump },
	{ "continuation without resync: wrong tag, seq_mismatch", test_no_resync },
	{ "TLS 1.3 nonce XOR with record number > 2^32", test_tls13_nonce },
	{ "TLS 1.2 AAD with record number > 2^32", test_tls12_big_rn },
	{ "rekey: new key and record number after START", test_rekey },
	{ "malformed record header: counted, passthrough until START", test_malformed },
	{ "record length bounds", test_length_bounds },
	{ "DUMP of whole records", test_dump_whole_records },
	{ "OpenSSL context made by the first record, key copy wiped", test_lazy_engine },
	{ "engine ops adapter", test_ops },
	{ NULL, NULL },
};

static const struct test_suite suites[] = {
	{ "sim TLS TX engine", NULL, NULL, tls_tx_cases },
	{ NULL, NULL, NULL, NULL },
};

int main(void)
{
	return test_run_suites(suites);
}
