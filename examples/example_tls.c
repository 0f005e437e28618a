/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * example_tls: an in-process OpenSSL handshake and its keys in <linux/tls.h> form, shared by the
 * examples tls_tx_offload and tls_rx_offload.
 *
 * The secrets are taken from OpenSSL's key log callback; they stay in memory, are wiped with
 * example_tls_wipe() and are never printed (with a key log path set, the NSS key log lines are
 * appended to that file for Wireshark).
 */
#ifndef _GNU_SOURCE
#define _POSIX_C_SOURCE 200809L /* O_CLOEXEC also with -std=c11 */
#endif
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
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
#include <openssl/x509.h>

#include "example_tls.h"

/* The suites negotiated: AES-GCM, the ciphers the device offloads. ECDSA: the certificate is
 * an EC key. */
#define TLS12_SUITE_128 "ECDHE-ECDSA-AES128-GCM-SHA256"
#define TLS12_SUITE_256 "ECDHE-ECDSA-AES256-GCM-SHA384"
#define TLS13_SUITE_128 "TLS_AES_128_GCM_SHA256"
#define TLS13_SUITE_256 "TLS_AES_256_GCM_SHA384"

/*
 * What the key log tells: the secrets from which the server's write keys are derived. OpenSSL
 * hands every secret to the key log callback in the NSS key log format; this is the interface
 * OpenSSL offers for it (SSL_export_keying_material is a different thing: RFC 5705 exporters).
 */
struct secrets {
	uint8_t client_random[32];
	uint8_t master[48]; /* TLS 1.2: "CLIENT_RANDOM <cr> <master secret>" */
	bool have_master;
	uint8_t sts0[EVP_MAX_MD_SIZE]; /* TLS 1.3: "SERVER_TRAFFIC_SECRET_0 <cr> <secret>" */
	size_t sts0_len;
	const char *keylog_path; /* $SSLKEYLOGFILE, or NULL */
	const char *prog;        /* prefix of the key log's error messages */
};

static struct secrets g_secrets;

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

/* Decode hex [s, s+n) into out (exactly n/2 bytes, at most cap); the length or -1. */
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

static void keylog_append(const char *line)
{
	int fd = open(g_secrets.keylog_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	size_t n = strlen(line);

	if (fd < 0) {
		fprintf(stderr, "%s: cannot open key log %s: %s\n", g_secrets.prog,
			g_secrets.keylog_path,
			strerror(errno));
		return;
	}
	/* one line, one write: concurrent writers to the same key log do not interleave */
	{
		char *buf = malloc(n + 1);

		if (buf) {
			memcpy(buf, line, n);
			buf[n] = '\n';
			if (write(fd, buf, n + 1) != (ssize_t)(n + 1))
				fprintf(stderr, "%s: short write to the key log\n",
					g_secrets.prog);
			OPENSSL_cleanse(buf, n + 1);
			free(buf);
		}
	}
	close(fd);
}

/* Installed on the server's context only, so each line is logged once. */
static void keylog_cb(const SSL *ssl, const char *line)
{
	const char *sp1 = strchr(line, ' ');
	const char *sp2 = sp1 ? strchr(sp1 + 1, ' ') : NULL;
	uint8_t cr[32];
	size_t label_len;

	if (g_secrets.keylog_path)
		keylog_append(line);
	if (!sp2 || unhex(sp1 + 1, (size_t)(sp2 - sp1 - 1), cr, sizeof(cr)) != 32 ||
	    SSL_get_client_random(ssl, g_secrets.client_random, 32) != 32 ||
	    memcmp(cr, g_secrets.client_random, 32) != 0)
		return;
	label_len = (size_t)(sp1 - line);
	if (label_len == strlen("CLIENT_RANDOM") && !strncmp(line, "CLIENT_RANDOM", label_len)) {
		g_secrets.have_master = unhex(sp2 + 1, strlen(sp2 + 1), g_secrets.master,
					      sizeof(g_secrets.master)) == 48;
	} else if (label_len == strlen("SERVER_TRAFFIC_SECRET_0") &&
		   !strncmp(line, "SERVER_TRAFFIC_SECRET_0", label_len)) {
		long n = unhex(sp2 + 1, strlen(sp2 + 1), g_secrets.sts0, sizeof(g_secrets.sts0));

		g_secrets.sts0_len = n > 0 ? (size_t)n : 0;
	}
}

/* A self-signed EC P-256 certificate made in memory: the client trusts exactly this one. */
static int make_cert(const char *cn, EVP_PKEY **key_out, X509 **cert_out)
{
	EVP_PKEY *key = EVP_EC_gen("P-256");
	X509 *x = X509_new();
	X509_NAME *name = x ? X509_get_subject_name(x) : NULL;

	if (!key || !name || X509_set_version(x, 2) != 1 ||
	    ASN1_INTEGER_set(X509_get_serialNumber(x), 1) != 1 ||
	    !X509_gmtime_adj(X509_getm_notBefore(x), -60) ||
	    !X509_gmtime_adj(X509_getm_notAfter(x), 24L * 3600) ||
	    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
				       (const unsigned char *)cn, -1, -1,
				       0) != 1 ||
	    X509_set_issuer_name(x, name) != 1 || X509_set_pubkey(x, key) != 1 ||
	    X509_sign(x, key, EVP_sha256()) <= 0) {
		ERR_print_errors_fp(stderr);
		X509_free(x);
		EVP_PKEY_free(key);
		return -1;
	}
	*key_out = key;
	*cert_out = x;
	return 0;
}

static SSL_CTX *make_ctx(bool server, const struct example_tls_cfg *cfg, EVP_PKEY *key,
			 X509 *cert)
{
	SSL_CTX *ctx = SSL_CTX_new(server ? TLS_server_method() : TLS_client_method());
	bool ok;

	if (!ctx)
		return NULL;
	/* Nothing may use the server's write keys behind the NIC's back after the handshake: no
	 * session tickets (TLS 1.3 sends them as records under the application keys), no
	 * renegotiation. kTLS applications configure OpenSSL the same way. */
	SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET | SSL_OP_NO_RENEGOTIATION |
					 SSL_OP_NO_COMPRESSION);
	ok = SSL_CTX_set_min_proto_version(ctx, cfg->tls_version) == 1 &&
	     SSL_CTX_set_max_proto_version(ctx, cfg->tls_version) == 1 &&
	     SSL_CTX_set_num_tickets(ctx, 0) == 1;
	if (cfg->tls_version == TLS1_2_VERSION)
		ok = ok && SSL_CTX_set_cipher_list(ctx, cfg->bits == 128 ? TLS12_SUITE_128
								       : TLS12_SUITE_256) == 1;
	else
		ok = ok && SSL_CTX_set_ciphersuites(ctx, cfg->bits == 128 ? TLS13_SUITE_128
									: TLS13_SUITE_256) == 1;
	if (server) {
		ok = ok && SSL_CTX_use_certificate(ctx, cert) == 1 &&
		     SSL_CTX_use_PrivateKey(ctx, key) == 1;
		SSL_CTX_set_keylog_callback(ctx, keylog_cb);
	} else {
		ok = ok && X509_STORE_add_cert(SSL_CTX_get_cert_store(ctx), cert) == 1;
		SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	}
	if (!ok) {
		ERR_print_errors_fp(stderr);
		SSL_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

/* An SSL whose transport is a pair of memory BIOs: we move its bytes over TCP ourselves. */
static SSL *make_ssl(SSL_CTX *ctx, bool server)
{
	SSL *ssl = SSL_new(ctx);
	BIO *rbio = BIO_new(BIO_s_mem()), *wbio = BIO_new(BIO_s_mem());

	if (!ssl || !rbio || !wbio) {
		SSL_free(ssl);
		BIO_free(rbio);
		BIO_free(wbio);
		return NULL;
	}
	BIO_set_mem_eof_return(rbio, -1); /* empty means "more later", not end of stream */
	SSL_set_bio(ssl, rbio, wbio);
	if (server)
		SSL_set_accept_state(ssl);
	else
		SSL_set_connect_state(ssl);
	return ssl;
}

/* TLS 1.2 key block, RFC 5246 6.3: PRF(master, "key expansion", server_random + client_random). */
static int tls12_key_block(const EVP_MD *md, const uint8_t *master, const uint8_t *client_random,
			   const uint8_t *server_random, uint8_t *out, size_t out_len)
{
	static const char label[] = "key expansion";
	uint8_t seed[sizeof(label) - 1 + 64];
	EVP_KDF *kdf = EVP_KDF_fetch(NULL, OSSL_KDF_NAME_TLS1_PRF, NULL);
	EVP_KDF_CTX *kctx = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
	OSSL_PARAM p[4];
	int ret = -1;

	memcpy(seed, label, sizeof(label) - 1);
	memcpy(seed + sizeof(label) - 1, server_random, 32);
	memcpy(seed + sizeof(label) - 1 + 32, client_random, 32);
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

/* TLS 1.3 HKDF-Expand-Label(secret, label, "", out_len), RFC 8446 7.1, with OpenSSL's TLS 1.3
 * KDF in expand-only mode. */
static int tls13_expand_label(const EVP_MD *md, const uint8_t *secret, size_t secret_len,
			      const char *label, uint8_t *out, size_t out_len)
{
	static const char prefix[] = "tls13 ";
	EVP_KDF *kdf = EVP_KDF_fetch(NULL, OSSL_KDF_NAME_TLS1_3_KDF, NULL);
	EVP_KDF_CTX *kctx = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
	int mode = EVP_KDF_HKDF_MODE_EXPAND_ONLY, ret = -1;
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

/*
 * The server's write direction as kTLS takes it (setsockopt(TLS_TX) on the server, TLS_RX on
 * the client), after the handshake:
 *  key; salt = the first 4 bytes of the write IV;
 *  iv: TLS 1.3 the last 8 bytes of the 12-byte write IV; TLS 1.2 the explicit nonce of the next
 *      record - tls_tx_offload uses the record sequence number as explicit nonce (as BoringSSL,
 *      GnuTLS and NSS do), so iv = rec_seq and every record carries its own number; a receiver
 *      does not use it (each record carries its own: OpenSSL sends the record number);
 *  rec_seq: records the server already sent under these keys: TLS 1.2 its Finished (1), TLS 1.3
 *      none (0: the handshake used other keys and no session tickets were sent).
 * Returns the struct size, 0 on failure.
 */
size_t example_tls_export_server_tx(SSL *server, const struct example_tls_cfg *cfg,
				     union example_crypto_info *ci)
{
	const SSL_CIPHER *c = SSL_get_current_cipher(server);
	const EVP_MD *md = c ? SSL_CIPHER_get_handshake_digest(c) : NULL;
	size_t key_len = cfg->bits / 8, ci_len;
	uint8_t key[32], wiv[12] = { 0 }, rec_seq[8];
	uint64_t first_record;
	int ret = -1;

	if (!md)
		return 0;
	if (cfg->tls_version == TLS1_2_VERSION) {
		uint8_t cr[32], sr[32], kb[2 * 32 + 2 * 4];

		/* client_write_key, server_write_key, client_write_IV[4], server_write_IV[4]
		 * (RFC 5288 3: AES-GCM has no MAC keys and a 4-byte implicit IV) */
		if (g_secrets.have_master &&
		    SSL_get_client_random(server, cr, sizeof(cr)) == sizeof(cr) &&
		    SSL_get_server_random(server, sr, sizeof(sr)) == sizeof(sr) &&
		    !tls12_key_block(md, g_secrets.master, cr, sr, kb, 2 * key_len + 8)) {
			memcpy(key, kb + key_len, key_len);
			memcpy(wiv, kb + 2 * key_len + 4, 4);
			ret = 0;
		}
		OPENSSL_cleanse(kb, sizeof(kb));
		first_record = 1;
	} else {
		if (g_secrets.sts0_len == (size_t)EVP_MD_get_size(md) &&
		    !tls13_expand_label(md, g_secrets.sts0, g_secrets.sts0_len, "key", key,
					key_len) &&
		    !tls13_expand_label(md, g_secrets.sts0, g_secrets.sts0_len, "iv", wiv,
					sizeof(wiv)))
			ret = 0;
		first_record = 0;
	}
	if (ret) {
		OPENSSL_cleanse(key, sizeof(key));
		OPENSSL_cleanse(wiv, sizeof(wiv));
		return 0;
	}
	put64(rec_seq, first_record);
	memset(ci, 0, sizeof(*ci));
	ci->info.version = cfg->tls_version == TLS1_2_VERSION ? TLS_1_2_VERSION : TLS_1_3_VERSION;
	if (key_len == 16) {
		ci->info.cipher_type = TLS_CIPHER_AES_GCM_128;
		memcpy(ci->gcm128.key, key, 16);
		memcpy(ci->gcm128.salt, wiv, 4);
		memcpy(ci->gcm128.iv, cfg->tls_version == TLS1_2_VERSION ? rec_seq : wiv + 4, 8);
		memcpy(ci->gcm128.rec_seq, rec_seq, 8);
		ci_len = sizeof(ci->gcm128);
	} else {
		ci->info.cipher_type = TLS_CIPHER_AES_GCM_256;
		memcpy(ci->gcm256.key, key, 32);
		memcpy(ci->gcm256.salt, wiv, 4);
		memcpy(ci->gcm256.iv, cfg->tls_version == TLS1_2_VERSION ? rec_seq : wiv + 4, 8);
		memcpy(ci->gcm256.rec_seq, rec_seq, 8);
		ci_len = sizeof(ci->gcm256);
	}
	OPENSSL_cleanse(key, sizeof(key));
	OPENSSL_cleanse(wiv, sizeof(wiv));
	return ci_len;
}

int example_tls_peers(const struct example_tls_cfg *cfg, SSL_CTX **sctx, SSL_CTX **cctx,
		      SSL **server, SSL **client)
{
	EVP_PKEY *key = NULL;
	X509 *cert = NULL;

	g_secrets.prog = cfg->prog;
	g_secrets.keylog_path = cfg->keylog_path && *cfg->keylog_path ? cfg->keylog_path : NULL;
	if (make_cert(cfg->cn, &key, &cert))
		return -ENOMEM;
	*sctx = make_ctx(true, cfg, key, cert);
	*cctx = make_ctx(false, cfg, key, cert);
	X509_free(cert); /* the contexts hold their references */
	EVP_PKEY_free(key);
	*server = *sctx ? make_ssl(*sctx, true) : NULL;
	*client = *cctx ? make_ssl(*cctx, false) : NULL;
	if (!*server || !*client)
		return -ENOMEM;
	return 0;
}

void example_tls_wipe(void)
{
	OPENSSL_cleanse(&g_secrets, sizeof(g_secrets));
}
