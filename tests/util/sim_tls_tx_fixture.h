/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The fixture of the device-model TLS TX engine tests (tests/test_sim_tls_tx*.c, sim/tls_tx.h).
 * TLS records are laid out as the kernel lays them out for device offload (header, TLS 1.2
 * explicit nonce = record number, plaintext, 16 zero bytes for the tag; fact sheet 14b), run
 * through the engine in segments, and checked two ways with this file's own, straightforward
 * OpenSSL code (own nonce and AAD construction, RFC 5246 6.2.3.3 / RFC 8446 5.2-5.3):
 * byte-exact against a one-shot encryption of every record, and by decrypting and
 * authenticating every record. Static params are built with the library's builder (wqe.h); the
 * engine decodes them with its own code.
 *
 * Header-only, as sim_test_util.h: only programs that link the model include it.
 */
#ifndef MLX5TLS_SIM_TLS_TX_FIXTURE_H
#define MLX5TLS_SIM_TLS_TX_FIXTURE_H

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "prm/mlx5_ifc_tls.h"
#include "sim/sq.h"
#include "sim/tls_tx.h"
#include "test_util.h"
#include "wqe.h"

#define MAX_RECS 64
#define MSS 1448
#define TCP_SEQ0 0xfffff000u /* wraps inside the first stream */

/* ---- deterministic randomness (xorshift64*) ---- */

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static inline uint64_t rnd(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dull;
}

static inline void rnd_bytes(uint8_t *p, size_t n)
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

static inline void suite_init(struct suite *s, bool tls13, size_t key_len, uint64_t rn0)
{
	memset(s, 0, sizeof(*s));
	s->tls13 = tls13;
	s->key_len = key_len;
	rnd_bytes(s->key, key_len);
	rnd_bytes(s->salt, sizeof(s->salt));
	rnd_bytes(s->iv, sizeof(s->iv));
	s->rn0 = rn0;
}

static inline void suite_wipe(struct suite *s)
{
	explicit_bzero(s, sizeof(*s));
}

static inline void put_be64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

static inline void static_params(uint8_t params[64], const struct suite *s, uint64_t rn)
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

static inline void progress_start(uint8_t params[12])
{
	memset(params, 0, 12);
	tls_progress_params_fill(params, 0, MLX5_TLS_PROGRESS_PARAMS_RECORD_TRACKER_STATE_START,
				 MLX5_TLS_PROGRESS_PARAMS_AUTH_STATE_NO_OFFLOAD);
}

/* static params for record rn + progress START */
static inline int engine_sync(struct sim_tls_tx *tx, const struct suite *s, uint64_t rn)
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

static inline struct sim_tls_tx *engine_new(const struct suite *s)
{
	struct sim_tls_tx *tx = sim_tls_tx_create();

	if (tx && engine_sync(tx, s, s->rn0)) {
		sim_tls_tx_destroy(tx);
		tx = NULL;
	}
	return tx;
}

/* ---- the reference: nonce, AAD, one-shot encryption and decryption of one record ---- */

static inline const EVP_CIPHER *ref_cipher(const struct suite *s)
{
	return s->key_len == 16 ? EVP_aes_128_gcm() : EVP_aes_256_gcm();
}

/* Nonce and AAD of record `rn` with header `hdr` (and TLS 1.2 explicit nonce `enonce`). */
static inline size_t ref_nonce_aad(const struct suite *s, uint64_t rn, const uint8_t *hdr,
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

static inline size_t rec_hdr_len(const struct suite *s)
{
	return s->tls13 ? 5 : 13;
}

/* Encrypt a whole record in kernel layout (rec, rlen bytes) into out, one shot. */
static inline int ref_encrypt(const struct suite *s, uint64_t rn, const uint8_t *rec, size_t rlen,
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
static inline int ref_decrypt(const struct suite *s, uint64_t rn, const uint8_t *rec, size_t rlen,
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
static inline int stream_build(struct stream *st, const struct suite *s, const size_t *data,
			       size_t n, uint64_t rn0)
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

static inline void stream_free(struct stream *st)
{
	free(st->plain);
	free(st->expect);
	memset(st, 0, sizeof(*st));
}

/* Records of `got` whose tag fails or whose plaintext differs from the stream's. */
static inline int stream_bad_records(const struct suite *s, const struct stream *st,
				     const uint8_t *got)
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
static inline bool stream_ok(const struct suite *s, const struct stream *st, const uint8_t *got)
{
	return !memcmp(got, st->expect, st->len) && !stream_bad_records(s, st, got);
}

/* Feed buf[0..len) as data segments ending at the cut offsets (sorted, < len), from tcp seq0. */
static inline int feed(struct sim_tls_tx *tx, uint32_t seq0, uint8_t *buf, size_t len,
		       const size_t *cuts, size_t ncuts)
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
static inline int feed_mss(struct sim_tls_tx *tx, uint32_t seq0, uint8_t *buf, size_t len,
			   size_t mss)
{
	for (size_t pos = 0; pos < len; pos += mss) {
		size_t n = len - pos < mss ? len - pos : mss;
		int ret = sim_tls_tx_data(tx, seq0 + (uint32_t)pos, buf + pos, n);

		if (ret)
			return ret;
	}
	return 0;
}

static inline void suites4(struct suite s[4], uint64_t rn0)
{
	suite_init(&s[0], false, 16, rn0);
	suite_init(&s[1], false, 32, rn0);
	suite_init(&s[2], true, 16, rn0);
	suite_init(&s[3], true, 32, rn0);
}

static inline const char *suite_name(const struct suite *s)
{
	if (s->tls13)
		return s->key_len == 16 ? "TLS1.3/AES-128-GCM" : "TLS1.3/AES-256-GCM";
	return s->key_len == 16 ? "TLS1.2/AES-128-GCM" : "TLS1.2/AES-256-GCM";
}

#endif
