/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The OpenSSL peer harness's keys (tls_peer.h): the secrets from the key log callback, and the
 * traffic keys, IVs and sequence numbers derived from them (tls_peer_export_tx), key updates.
 * How, see tls_peer.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/ssl.h>

#include "tls_peer_internal.h"

/* ---- key log ---- */

static int hex_nibble(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decode exactly `hex_len` hex digits into out (cap bytes); returns the byte count or -1. */
static ssize_t hex_decode(const char *hex, size_t hex_len, uint8_t *out, size_t cap)
{
	if (hex_len % 2 || hex_len / 2 > cap)
		return -1;
	for (size_t i = 0; i < hex_len / 2; i++) {
		int hi = hex_nibble(hex[2 * i]), lo = hex_nibble(hex[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -1;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return (ssize_t)(hex_len / 2);
}

static void keylog_append(const char *path, const char *line)
{
	size_t n = strlen(line);
	char *buf = malloc(n + 1);
	int fd;

	if (!buf)
		return;
	memcpy(buf, line, n);
	buf[n++] = '\n';
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		fprintf(stderr, "tls_peer: cannot open key log %s: %s\n", path, strerror(errno));
	} else {
		/* One write() per line so that concurrent appenders do not interleave. */
		if (write(fd, buf, n) != (ssize_t)n)
			fprintf(stderr, "tls_peer: short write to key log %s\n", path);
		close(fd);
	}
	OPENSSL_cleanse(buf, n);
	free(buf);
}

void tls_peer_keylog_cb(const SSL *ssl, const char *line)
{
	struct tls_peer_pair *pair = SSL_get_app_data(ssl);
	uint8_t cr[TLS_RANDOM_LEN], got_cr[TLS_RANDOM_LEN], secret[SECRET_MAX];
	const char *sp1, *sp2;
	struct peer_end *e;
	ssize_t n;

	if (!pair || !line)
		return;
	e = ssl == pair->end[TLS_PEER_CLIENT].ssl ? &pair->end[TLS_PEER_CLIENT]
						  : &pair->end[TLS_PEER_SERVER];
	/* Both SSLs log the same lines; the file gets them once. */
	if (pair->keylog_path && e == &pair->end[TLS_PEER_CLIENT])
		keylog_append(pair->keylog_path, line);

	/* "<LABEL> <client_random hex> <secret hex>" */
	sp1 = strchr(line, ' ');
	sp2 = sp1 ? strchr(sp1 + 1, ' ') : NULL;
	if (!sp2 || SSL_get_client_random(ssl, cr, sizeof(cr)) != sizeof(cr) ||
	    hex_decode(sp1 + 1, (size_t)(sp2 - sp1 - 1), got_cr, sizeof(got_cr)) !=
		    TLS_RANDOM_LEN ||
	    memcmp(cr, got_cr, sizeof(cr)) != 0)
		return;
	n = hex_decode(sp2 + 1, strlen(sp2 + 1), secret, sizeof(secret));
	if (n <= 0)
		goto out;
#define LABEL_IS(s) ((size_t)(sp1 - line) == strlen(s) && !strncmp(line, s, strlen(s)))
	if (LABEL_IS("CLIENT_RANDOM") && n == TLS12_MASTER_LEN) {
		memcpy(e->master, secret, (size_t)n);
		e->master_len = (size_t)n;
	} else if (LABEL_IS("CLIENT_TRAFFIC_SECRET_0")) {
		memcpy(e->cts0, secret, (size_t)n);
		e->cts0_len = (size_t)n;
	} else if (LABEL_IS("SERVER_TRAFFIC_SECRET_0")) {
		memcpy(e->sts0, secret, (size_t)n);
		e->sts0_len = (size_t)n;
	}
#undef LABEL_IS
out:
	OPENSSL_cleanse(secret, sizeof(secret));
}

/* ---- key export ---- */

static int tls12_key_block(const EVP_MD *md, const uint8_t *ms, size_t ms_len,
			   const uint8_t *client_random, const uint8_t *server_random, uint8_t *out,
			   size_t out_len)
{
	static const char label[] = "key expansion";
	uint8_t seed[sizeof(label) - 1 + 2 * TLS_RANDOM_LEN];
	EVP_KDF *kdf = EVP_KDF_fetch(NULL, OSSL_KDF_NAME_TLS1_PRF, NULL);
	EVP_KDF_CTX *kctx = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
	OSSL_PARAM params[4];
	int ret = -EPROTO;

	if (!kctx)
		goto out;
	memcpy(seed, label, sizeof(label) - 1);
	memcpy(seed + sizeof(label) - 1, server_random, TLS_RANDOM_LEN);
	memcpy(seed + sizeof(label) - 1 + TLS_RANDOM_LEN, client_random, TLS_RANDOM_LEN);
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST,
						     (char *)EVP_MD_get0_name(md), 0);
	params[1] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SECRET, (void *)ms, ms_len);
	params[2] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SEED, seed, sizeof(seed));
	params[3] = OSSL_PARAM_construct_end();
	if (EVP_KDF_derive(kctx, out, out_len, params) == 1)
		ret = 0;
out:
	EVP_KDF_CTX_free(kctx);
	EVP_KDF_free(kdf);
	return ret;
}

/* HKDF-Expand-Label(secret, label, "", out_len), RFC 8446 7.1. */
static int tls13_expand_label(const EVP_MD *md, const uint8_t *secret, size_t secret_len,
			      const char *label, uint8_t *out, size_t out_len)
{
	static const char prefix[] = "tls13 ";
	size_t label_len = strlen(label), info_len = 0;
	uint8_t info[2 + 1 + 255 + 1];
	EVP_KDF *kdf = EVP_KDF_fetch(NULL, OSSL_KDF_NAME_HKDF, NULL);
	EVP_KDF_CTX *kctx = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
	int mode = EVP_KDF_HKDF_MODE_EXPAND_ONLY, ret = -EPROTO;
	OSSL_PARAM params[5];

	if (!kctx || sizeof(prefix) - 1 + label_len > 255 || out_len > 0xffff)
		goto out;
	put_be16(info, (uint16_t)out_len);
	info_len = 2;
	info[info_len++] = (uint8_t)(sizeof(prefix) - 1 + label_len);
	memcpy(info + info_len, prefix, sizeof(prefix) - 1);
	info_len += sizeof(prefix) - 1;
	memcpy(info + info_len, label, label_len);
	info_len += label_len;
	info[info_len++] = 0; /* empty context */
	params[0] = OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode);
	params[1] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST,
						     (char *)EVP_MD_get0_name(md), 0);
	params[2] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)secret,
						      secret_len);
	params[3] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, info, info_len);
	params[4] = OSSL_PARAM_construct_end();
	if (EVP_KDF_derive(kctx, out, out_len, params) == 1)
		ret = 0;
out:
	EVP_KDF_CTX_free(kctx);
	EVP_KDF_free(kdf);
	return ret;
}

/* key[key_len] and the 12-byte write IV (TLS 1.2: only the first 4 bytes, the salt) of e's TX. */
static int derive_tx(const struct tls_peer_pair *pair, const struct peer_end *e,
		     enum tls_peer_side side, const EVP_MD *md, size_t key_len, uint8_t *key,
		     uint8_t wiv[GCM_NONCE_LEN])
{
	int ret;

	memset(wiv, 0, GCM_NONCE_LEN);
	if (pair->version == TLS1_2_VERSION) {
		uint8_t cr[TLS_RANDOM_LEN], sr[TLS_RANDOM_LEN], ms[TLS12_MASTER_LEN];
		uint8_t kb[2 * 32 + 2 * GCM_SALT_LEN];
		size_t kb_len = 2 * key_len + 2 * GCM_SALT_LEN;
		SSL_SESSION *sess = SSL_get_session(e->ssl);

		/* The key log's master secret must be the session's. */
		if (e->master_len != TLS12_MASTER_LEN || !sess ||
		    SSL_SESSION_get_master_key(sess, ms, sizeof(ms)) != sizeof(ms) ||
		    CRYPTO_memcmp(ms, e->master, sizeof(ms)) != 0 ||
		    SSL_get_client_random(e->ssl, cr, sizeof(cr)) != sizeof(cr) ||
		    SSL_get_server_random(e->ssl, sr, sizeof(sr)) != sizeof(sr)) {
			OPENSSL_cleanse(ms, sizeof(ms));
			return -EPROTO;
		}
		ret = tls12_key_block(md, e->master, e->master_len, cr, sr, kb, kb_len);
		if (!ret) {
			/* client_write_key, server_write_key, client_write_IV, server_write_IV */
			size_t i = side == TLS_PEER_CLIENT ? 0 : 1;

			memcpy(key, kb + i * key_len, key_len);
			memcpy(wiv, kb + 2 * key_len + i * GCM_SALT_LEN, GCM_SALT_LEN);
		}
		OPENSSL_cleanse(ms, sizeof(ms));
		OPENSSL_cleanse(kb, sizeof(kb));
		return ret;
	}
	{
		const uint8_t *secret = side == TLS_PEER_CLIENT ? e->cts0 : e->sts0;
		size_t secret_len = side == TLS_PEER_CLIENT ? e->cts0_len : e->sts0_len;

		if (!secret_len || secret_len != (size_t)EVP_MD_get_size(md))
			return -EPROTO;
		ret = tls13_expand_label(md, secret, secret_len, "key", key, key_len);
		if (!ret)
			ret = tls13_expand_label(md, secret, secret_len, "iv", wiv, GCM_NONCE_LEN);
		return ret;
	}
}

int tls_peer_export_tx(struct tls_peer_pair *pair, enum tls_peer_side side, unsigned int flags,
		       union tls_peer_crypto_info *ci)
{
	uint8_t key[32], wiv[GCM_NONCE_LEN], nonce[TLS12_EXPLICIT_NONCE_LEN], rec_seq[8];
	size_t key_len;
	const SSL_CIPHER *c;
	const EVP_MD *md;
	struct peer_end *e;
	int ret;

	if (!side_ok(pair, side) || !ci || (flags & ~TLS_PEER_EXPORT_SEQ_NONCE))
		return fail(EINVAL);
	e = &pair->end[side];
	tls_peer_scan_wire(pair, e);
	c = SSL_get_current_cipher(e->ssl);
	md = c ? SSL_CIPHER_get_handshake_digest(c) : NULL;
	if (!md)
		return fail(EPROTO);
	key_len = pair->key_bits / 8;
	ret = derive_tx(pair, e, side, md, key_len, key, wiv);
	ERR_clear_error();
	if (ret)
		goto out;

	put_be64(rec_seq, e->tx_records);
	if (pair->version == TLS1_3_VERSION) {
		memcpy(nonce, wiv + GCM_SALT_LEN, sizeof(nonce));
	} else if (flags & TLS_PEER_EXPORT_SEQ_NONCE) {
		memcpy(nonce, rec_seq, sizeof(nonce));
	} else if (e->have_nonce) {
		/* OpenSSL's GCM invocation counter advances by one per record. */
		put_be64(nonce, get_be64(e->last_nonce) + 1);
	} else {
		ret = -EPROTO;
		goto out;
	}

	memset(ci, 0, sizeof(*ci));
	ci->info.version = pair->version == TLS1_2_VERSION ? TLS_1_2_VERSION : TLS_1_3_VERSION;
	if (key_len == 16) {
		ci->info.cipher_type = TLS_CIPHER_AES_GCM_128;
		memcpy(ci->gcm128.key, key, key_len);
		memcpy(ci->gcm128.salt, wiv, GCM_SALT_LEN);
		memcpy(ci->gcm128.iv, nonce, sizeof(nonce));
		memcpy(ci->gcm128.rec_seq, rec_seq, sizeof(rec_seq));
	} else {
		ci->info.cipher_type = TLS_CIPHER_AES_GCM_256;
		memcpy(ci->gcm256.key, key, key_len);
		memcpy(ci->gcm256.salt, wiv, GCM_SALT_LEN);
		memcpy(ci->gcm256.iv, nonce, sizeof(nonce));
		memcpy(ci->gcm256.rec_seq, rec_seq, sizeof(rec_seq));
	}
out:
	OPENSSL_cleanse(key, sizeof(key));
	OPENSSL_cleanse(wiv, sizeof(wiv));
	OPENSSL_cleanse(nonce, sizeof(nonce));
	return ret ? fail(-ret) : 0;
}

/* RFC 8446 7.2: application_traffic_secret_N+1 = HKDF-Expand-Label(secret_N, "traffic upd", "",
 * Hash.length); the side's record count starts again. */
static int advance_secret(struct tls_peer_pair *pair, enum tls_peer_side side)
{
	struct peer_end *e = &pair->end[side];
	uint8_t next[SECRET_MAX];
	const SSL_CIPHER *c = SSL_get_current_cipher(e->ssl);
	const EVP_MD *md = c ? SSL_CIPHER_get_handshake_digest(c) : NULL;
	uint8_t *secret = side == TLS_PEER_CLIENT ? e->cts0 : e->sts0;
	size_t len = side == TLS_PEER_CLIENT ? e->cts0_len : e->sts0_len;
	int ret;

	if (!md || len != (size_t)EVP_MD_get_size(md))
		return -EPROTO;
	ret = tls13_expand_label(md, secret, len, "traffic upd", next, len);
	ERR_clear_error();
	if (!ret) {
		memcpy(secret, next, len);
		e->tx_records = 0;
	}
	OPENSSL_cleanse(next, sizeof(next));
	return ret;
}

int tls_peer_next_tx_secret(struct tls_peer_pair *pair, enum tls_peer_side side)
{
	int ret;

	if (!side_ok(pair, side) || pair->version != TLS1_3_VERSION)
		return fail(EINVAL);
	ret = advance_secret(pair, side);
	return ret ? fail(-ret) : 0;
}

int tls_peer_key_update(struct tls_peer_pair *pair, enum tls_peer_side side, bool request)
{
	struct peer_end *e;
	int ret;

	if (!side_ok(pair, side) || pair->version != TLS1_3_VERSION)
		return fail(EINVAL);
	e = &pair->end[side];
	tls_peer_scan_wire(pair, e);
	if (SSL_key_update(e->ssl, request ? SSL_KEY_UPDATE_REQUESTED
					   : SSL_KEY_UPDATE_NOT_REQUESTED) != 1 ||
	    SSL_do_handshake(e->ssl) != 1) {
		ERR_clear_error();
		return fail(EPROTO);
	}
	tls_peer_scan_wire(pair, e); /* the KeyUpdate record: the last under the old keys */
	ret = advance_secret(pair, side);
	return ret ? fail(-ret) : 0;
}
