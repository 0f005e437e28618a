/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Keys out of OpenSSL (mlx5tls/ssl.h). OpenSSL gives an application its secrets only through
 * the key-log callback of the SSL_CTX (NSS key log lines: CLIENT_RANDOM for TLS 1.2's master
 * secret, CLIENT_/SERVER_TRAFFIC_SECRET_0 for TLS 1.3's first application traffic secrets);
 * the keys follow from them as RFC 5246 6.3 / RFC 5288 3 (TLS 1.2 key block) and RFC 8446 7.1
 * to 7.3 (TLS 1.3: HKDF-Expand-Label "key", "iv", "traffic upd") derive them. Record numbers
 * come from the SSL's message callback: record headers counted per direction, the count
 * restarting where the keys change (the Finished; TLS 1.3 KeyUpdate).
 * Secrets live in SSL ex_data, wiped at release or SSL_free, never logged.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/objects.h>
#include <openssl/ssl.h>

#include "mlx5tls/ssl.h"

enum { ROLE_CLIENT = 0, ROLE_SERVER = 1 };

struct ssl_keys {
	uint8_t client_random[32];
	bool have_random;
	uint8_t master[48];
	bool have_master;
	uint8_t secret[2][EVP_MAX_MD_SIZE]; /* TLS 1.3 traffic secrets by writer role */
	size_t secret_len[2];
	uint64_t records[2];                /* by enum mlx5tls_ssl_dir */
};

struct ctx_chain {
	SSL_CTX_keylog_cb_func prev;
};

static int g_ssl_idx = -1, g_ctx_idx = -1;
static pthread_once_t g_once = PTHREAD_ONCE_INIT;

static void keys_wipe_free(struct ssl_keys *k)
{
	if (!k)
		return;
	OPENSSL_cleanse(k, sizeof(*k));
	free(k);
}

static void ssl_ex_free(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx, long argl,
			void *argp)
{
	(void)parent;
	(void)ad;
	(void)idx;
	(void)argl;
	(void)argp;
	keys_wipe_free(ptr);
}

static void ctx_ex_free(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx, long argl,
			void *argp)
{
	(void)parent;
	(void)ad;
	(void)idx;
	(void)argl;
	(void)argp;
	free(ptr);
}

static void init_indexes(void)
{
	g_ssl_idx = SSL_get_ex_new_index(0, NULL, NULL, NULL, ssl_ex_free);
	g_ctx_idx = SSL_CTX_get_ex_new_index(0, NULL, NULL, NULL, ctx_ex_free);
}

static struct ssl_keys *keys_of(const SSL *ssl)
{
	if (g_ssl_idx < 0 || !ssl)
		return NULL;
	return SSL_get_ex_data(ssl, g_ssl_idx);
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decode hex [s, s+n) into out (n/2 bytes, at most cap); the length or -1. */
static long unhex(const char *s, size_t n, uint8_t *out, size_t cap)
{
	if (n % 2 || n / 2 > cap)
		return -1;
	for (size_t i = 0; i < n / 2; i++) {
		int hi = hexval(s[2 * i]), lo = hexval(s[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -1;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return (long)(n / 2);
}

static bool label_is(const char *line, size_t len, const char *label)
{
	return strlen(label) == len && !strncmp(line, label, len);
}

static void keylog_cb(const SSL *ssl, const char *line)
{
	SSL_CTX *ctx = SSL_get_SSL_CTX(ssl);
	struct ctx_chain *chain = ctx ? SSL_CTX_get_ex_data(ctx, g_ctx_idx) : NULL;
	struct ssl_keys *k = keys_of(ssl);
	const char *sp1 = strchr(line, ' ');
	const char *sp2 = sp1 ? strchr(sp1 + 1, ' ') : NULL;

	if (chain && chain->prev)
		chain->prev(ssl, line);
	if (!k || !sp2)
		return;
	if (!k->have_random) {
		if (SSL_get_client_random(ssl, k->client_random, 32) != 32)
			return;
		k->have_random = true;
	}
	{
		uint8_t cr[32];

		/* a line of this connection's handshake only */
		if (unhex(sp1 + 1, (size_t)(sp2 - sp1 - 1), cr, sizeof(cr)) != 32 ||
		    memcmp(cr, k->client_random, 32))
			return;
	}
	{
		size_t label_len = (size_t)(sp1 - line);
		const char *hex = sp2 + 1;
		int role = -1;

		if (label_is(line, label_len, "CLIENT_RANDOM")) {
			k->have_master = unhex(hex, strlen(hex), k->master, sizeof(k->master)) == 48;
			return;
		}
		if (label_is(line, label_len, "CLIENT_TRAFFIC_SECRET_0"))
			role = ROLE_CLIENT;
		else if (label_is(line, label_len, "SERVER_TRAFFIC_SECRET_0"))
			role = ROLE_SERVER;
		if (role >= 0) {
			long n = unhex(hex, strlen(hex), k->secret[role], sizeof(k->secret[role]));

			k->secret_len[role] = n > 0 ? (size_t)n : 0;
		}
	}
}

/* RFC 8446 7.1 HKDF-Expand-Label(secret, label, "", out_len) with OpenSSL's TLS 1.3 KDF. */
static int expand_label(const EVP_MD *md, const uint8_t *secret, size_t secret_len,
			const char *label, uint8_t *out, size_t out_len)
{
	static const char prefix[] = "tls13 ";
	EVP_KDF *kdf = EVP_KDF_fetch(NULL, OSSL_KDF_NAME_TLS1_3_KDF, NULL);
	EVP_KDF_CTX *kctx = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
	int mode = EVP_KDF_HKDF_MODE_EXPAND_ONLY, ret = -EIO;
	OSSL_PARAM p[6];

	p[0] = OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode);
	p[1] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)EVP_MD_get0_name(md),
						0);
	p[2] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)secret, secret_len);
	p[3] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_PREFIX, (void *)prefix,
						 sizeof(prefix) - 1);
	p[4] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_LABEL, (void *)label,
						 strlen(label));
	p[5] = OSSL_PARAM_construct_end();
	if (kctx && EVP_KDF_derive(kctx, out, out_len, p) == 1)
		ret = 0;
	EVP_KDF_CTX_free(kctx);
	EVP_KDF_free(kdf);
	return ret;
}

/* RFC 5246 6.3 key block: PRF(master, "key expansion", server_random + client_random). */
static int tls12_key_block(const EVP_MD *md, const uint8_t *master, const uint8_t *cr,
			   const uint8_t *sr, uint8_t *out, size_t out_len)
{
	static const char label[] = "key expansion";
	uint8_t seed[sizeof(label) - 1 + 64];
	EVP_KDF *kdf = EVP_KDF_fetch(NULL, OSSL_KDF_NAME_TLS1_PRF, NULL);
	EVP_KDF_CTX *kctx = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
	OSSL_PARAM p[4];
	int ret = -EIO;

	memcpy(seed, label, sizeof(label) - 1);
	memcpy(seed + sizeof(label) - 1, sr, 32);
	memcpy(seed + sizeof(label) - 1 + 32, cr, 32);
	p[0] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)EVP_MD_get0_name(md),
						0);
	p[1] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SECRET, (void *)master, 48);
	p[2] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SEED, seed, sizeof(seed));
	p[3] = OSSL_PARAM_construct_end();
	if (kctx && EVP_KDF_derive(kctx, out, out_len, p) == 1)
		ret = 0;
	EVP_KDF_CTX_free(kctx);
	EVP_KDF_free(kdf);
	return ret;
}

/* The writer role of a direction. */
static int writer_role(const SSL *ssl, enum mlx5tls_ssl_dir dir)
{
	bool server = SSL_is_server(ssl) == 1;

	return (dir == MLX5TLS_SSL_TX) == server ? ROLE_SERVER : ROLE_CLIENT;
}

static int advance_secret(const SSL *ssl, struct ssl_keys *k, enum mlx5tls_ssl_dir dir)
{
	const SSL_CIPHER *c = SSL_get_current_cipher(ssl);
	const EVP_MD *md = c ? SSL_CIPHER_get_handshake_digest(c) : NULL;
	int role = writer_role(ssl, dir);
	uint8_t next[EVP_MAX_MD_SIZE];
	size_t len = k->secret_len[role];
	int ret;

	if (!md || !len || len != (size_t)EVP_MD_get_size(md))
		return -ENOKEY;
	ret = expand_label(md, k->secret[role], len, "traffic upd", next, len);
	if (!ret)
		memcpy(k->secret[role], next, len);
	OPENSSL_cleanse(next, sizeof(next));
	k->records[dir] = 0;
	return ret;
}

static void msg_cb(int write_p, int version, int content_type, const void *buf, size_t len,
		   SSL *ssl, void *arg)
{
	struct ssl_keys *k = keys_of(ssl);
	enum mlx5tls_ssl_dir dir = write_p ? MLX5TLS_SSL_TX : MLX5TLS_SSL_RX;
	const uint8_t *b = buf;

	(void)version;
	(void)arg;
	if (!k)
		return;
	switch (content_type) {
	case SSL3_RT_HEADER:
		k->records[dir]++;
		break;
	case SSL3_RT_HANDSHAKE:
		if (!len)
			break;
		if (b[0] == SSL3_MT_FINISHED)
			/* TLS 1.3: the application traffic keys start after the Finished; TLS 1.2:
			 * the Finished was record 0 under the new keys (OpenSSL reports a CCS it
			 * reads through no message callback, so the Finished is the mark) */
			k->records[dir] = SSL_version(ssl) == TLS1_3_VERSION ? 0 : 1;
		else if (b[0] == SSL3_MT_KEY_UPDATE && SSL_version(ssl) == TLS1_3_VERSION)
			(void)advance_secret(ssl, k, dir); /* OpenSSL processed it itself */
		break;
	default:
		break;
	}
}

int mlx5tls_ssl_capture(SSL *ssl)
{
	SSL_CTX *ctx;
	struct ssl_keys *k;

	if (!ssl)
		return -EINVAL;
	pthread_once(&g_once, init_indexes);
	if (g_ssl_idx < 0 || g_ctx_idx < 0)
		return -ENOMEM;
	ctx = SSL_get_SSL_CTX(ssl);
	if (!ctx)
		return -EINVAL;
	if (SSL_CTX_get_keylog_callback(ctx) != keylog_cb) {
		struct ctx_chain *chain = SSL_CTX_get_ex_data(ctx, g_ctx_idx);

		if (!chain) {
			chain = calloc(1, sizeof(*chain));
			if (!chain || !SSL_CTX_set_ex_data(ctx, g_ctx_idx, chain)) {
				free(chain);
				return -ENOMEM;
			}
		}
		chain->prev = SSL_CTX_get_keylog_callback(ctx);
		SSL_CTX_set_keylog_callback(ctx, keylog_cb);
	}
	k = keys_of(ssl);
	if (!k) {
		k = calloc(1, sizeof(*k));
		if (!k || !SSL_set_ex_data(ssl, g_ssl_idx, k)) {
			free(k);
			return -ENOMEM;
		}
	}
	SSL_set_msg_callback(ssl, msg_cb);
	return 0;
}

static void fill_ci(union mlx5tls_crypto_info *ci, size_t *ci_len, uint16_t version,
		    size_t key_len, const uint8_t *key, const uint8_t *wiv, const uint8_t *iv8,
		    uint64_t rec)
{
	uint8_t rs[8];

	for (int i = 7; i >= 0; i--, rec >>= 8)
		rs[i] = (uint8_t)rec;
	memset(ci, 0, sizeof(*ci));
	ci->info.version = version;
	if (key_len == 16) {
		ci->info.cipher_type = TLS_CIPHER_AES_GCM_128;
		memcpy(ci->gcm128.key, key, 16);
		memcpy(ci->gcm128.salt, wiv, 4);
		memcpy(ci->gcm128.iv, iv8 ? iv8 : rs, 8);
		memcpy(ci->gcm128.rec_seq, rs, 8);
		*ci_len = sizeof(ci->gcm128);
	} else {
		ci->info.cipher_type = TLS_CIPHER_AES_GCM_256;
		memcpy(ci->gcm256.key, key, 32);
		memcpy(ci->gcm256.salt, wiv, 4);
		memcpy(ci->gcm256.iv, iv8 ? iv8 : rs, 8);
		memcpy(ci->gcm256.rec_seq, rs, 8);
		*ci_len = sizeof(ci->gcm256);
	}
}

int mlx5tls_ssl_crypto_info(SSL *ssl, enum mlx5tls_ssl_dir dir, union mlx5tls_crypto_info *ci,
			    size_t *ci_len)
{
	const SSL_CIPHER *c;
	const EVP_MD *md;
	struct ssl_keys *k;
	uint8_t key[32], wiv[12];
	size_t key_len;
	int nid, ver, role, ret;

	if (!ssl || !ci || !ci_len || (dir != MLX5TLS_SSL_TX && dir != MLX5TLS_SSL_RX))
		return -EINVAL;
	if (!SSL_is_init_finished(ssl))
		return -EAGAIN;
	k = keys_of(ssl);
	if (!k)
		return -ENOKEY;
	c = SSL_get_current_cipher(ssl);
	md = c ? SSL_CIPHER_get_handshake_digest(c) : NULL;
	nid = c ? SSL_CIPHER_get_cipher_nid(c) : NID_undef;
	ver = SSL_version(ssl);
	if (!md || (nid != NID_aes_128_gcm && nid != NID_aes_256_gcm) ||
	    (ver != TLS1_2_VERSION && ver != TLS1_3_VERSION))
		return -EOPNOTSUPP;
	key_len = nid == NID_aes_128_gcm ? 16 : 32;
	role = writer_role(ssl, dir);
	memset(wiv, 0, sizeof(wiv));
	if (ver == TLS1_2_VERSION) {
		uint8_t cr[32], sr[32], kb[2 * 32 + 2 * 4];

		if (!k->have_master || SSL_get_client_random(ssl, cr, 32) != 32 ||
		    SSL_get_server_random(ssl, sr, 32) != 32)
			return -ENOKEY;
		/* client_write_key, server_write_key, client_write_IV[4], server_write_IV[4] */
		ret = tls12_key_block(md, k->master, cr, sr, kb, 2 * key_len + 8);
		if (!ret) {
			memcpy(key, kb + (role == ROLE_SERVER ? key_len : 0), key_len);
			memcpy(wiv, kb + 2 * key_len + (role == ROLE_SERVER ? 4 : 0), 4);
			fill_ci(ci, ci_len, TLS_1_2_VERSION, key_len, key, wiv, NULL,
				k->records[dir]);
		}
		OPENSSL_cleanse(kb, sizeof(kb));
	} else {
		size_t slen = k->secret_len[role];

		if (!slen || slen != (size_t)EVP_MD_get_size(md))
			return -ENOKEY;
		ret = expand_label(md, k->secret[role], slen, "key", key, key_len);
		if (!ret)
			ret = expand_label(md, k->secret[role], slen, "iv", wiv, sizeof(wiv));
		if (!ret)
			fill_ci(ci, ci_len, TLS_1_3_VERSION, key_len, key, wiv, wiv + 4,
				k->records[dir]);
	}
	OPENSSL_cleanse(key, sizeof(key));
	OPENSSL_cleanse(wiv, sizeof(wiv));
	return ret;
}

int mlx5tls_ssl_key_update(SSL *ssl, enum mlx5tls_ssl_dir dir)
{
	struct ssl_keys *k;

	if (!ssl || (dir != MLX5TLS_SSL_TX && dir != MLX5TLS_SSL_RX) ||
	    SSL_version(ssl) != TLS1_3_VERSION)
		return -EINVAL;
	k = keys_of(ssl);
	if (!k)
		return -ENOKEY;
	return advance_secret(ssl, k, dir);
}

void mlx5tls_ssl_release(SSL *ssl)
{
	struct ssl_keys *k = keys_of(ssl);

	if (!k)
		return;
	SSL_set_ex_data(ssl, g_ssl_idx, NULL);
	keys_wipe_free(k);
}
