/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * example_tls: an in-process OpenSSL handshake and its keys in <linux/tls.h> form, shared by the
 * examples tls_tx_offload and tls_rx_offload, and their report of a failed library call.
 *
 * The server's keys come from the library's OpenSSL glue (<mlx5tls/ssl.h>): mlx5tls_ssl_capture()
 * before the handshake, mlx5tls_ssl_crypto_info() after it. The secrets stay in the library's
 * secret memory and are wiped when the SSL is freed; nothing prints them. With a key log path
 * set, the NSS key log lines are also appended to that file for Wireshark (the library chains
 * the context's own key log callback).
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

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "example_tls.h"

/* The suites negotiated: AES-GCM, the ciphers the device offloads. ECDSA: the certificate is
 * an EC key. */
#define TLS12_SUITE_128 "ECDHE-ECDSA-AES128-GCM-SHA256"
#define TLS12_SUITE_256 "ECDHE-ECDSA-AES256-GCM-SHA384"
#define TLS13_SUITE_128 "TLS_AES_128_GCM_SHA256"
#define TLS13_SUITE_256 "TLS_AES_256_GCM_SHA384"

/* Where the key log goes, for the key log callback (which gets no user pointer). */
static struct {
	const char *path; /* $SSLKEYLOGFILE, or NULL */
	const char *prog; /* prefix of the key log's error messages */
} g_keylog;

static void keylog_append(const char *line)
{
	int fd = open(g_keylog.path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	size_t n = strlen(line);

	if (fd < 0) {
		fprintf(stderr, "%s: cannot open key log %s: %s\n", g_keylog.prog,
			g_keylog.path,
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
					g_keylog.prog);
			OPENSSL_cleanse(buf, n + 1);
			free(buf);
		}
	}
	close(fd);
}

/* Installed on the server's context only (so each line is logged once), when a key log path
 * is set; mlx5tls_ssl_capture() chains it. */
static void keylog_cb(const SSL *ssl, const char *line)
{
	(void)ssl;
	keylog_append(line);
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
		if (g_keylog.path)
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

/* The server's write keys as kTLS takes them (mlx5tls_ssl_crypto_info(3)): key, salt, iv and
 * rec_seq = the records the server already sent under these keys (TLS 1.2 its Finished; TLS 1.3
 * none: no session tickets, see make_ctx). The struct size, 0 on failure. */
size_t example_tls_export_server_tx(SSL *server, union mlx5tls_crypto_info *ci)
{
	size_t ci_len = 0;
	int ret = mlx5tls_ssl_crypto_info(server, MLX5TLS_SSL_TX, ci, &ci_len);

	if (ret) {
		fprintf(stderr, "%s: the server's keys: %s\n", g_keylog.prog, strerror(-ret));
		return 0;
	}
	return ci_len;
}

int example_tls_peers(const struct example_tls_cfg *cfg, SSL_CTX **sctx, SSL_CTX **cctx,
		      SSL **server, SSL **client)
{
	EVP_PKEY *key = NULL;
	X509 *cert = NULL;

	g_keylog.prog = cfg->prog;
	g_keylog.path = cfg->keylog_path && *cfg->keylog_path ? cfg->keylog_path : NULL;
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
	/* before the handshake: OpenSSL hands its secrets out only while it derives them */
	return cfg->capture ? mlx5tls_ssl_capture(*server) : 0;
}

/* A failed library call; -EREMOTEIO means the firmware refused a command: say which and why. */
void example_report(const char *prog, const char *what, int err)
{
	struct mlx5tls_fw_error fw;

	fprintf(stderr, "%s: %s: %s\n", prog, what, strerror(err < 0 ? -err : err));
	if ((err == -EREMOTEIO || err == EREMOTEIO) && mlx5tls_last_fw_error(&fw) == 0)
		fprintf(stderr, "  firmware: %s status %s syndrome 0x%08x%s%s\n",
			fw.opcode_name ? fw.opcode_name : "?",
			fw.status_name ? fw.status_name : "?", fw.syndrome,
			fw.syndrome_text ? ": " : "", fw.syndrome_text ? fw.syndrome_text : "");
}

int example_parse_uint(const char *prog, const char *opt, const char *arg, unsigned long min,
		       unsigned long max, unsigned long *val)
{
	char *end = NULL;
	unsigned long v;

	errno = 0;
	v = strtoul(arg, &end, 0);
	if (errno || end == arg || *end || arg[0] == '-' || v < min || v > max) {
		fprintf(stderr, "%s: %s needs a number in %lu..%lu, not '%s'\n", prog, opt, min,
			max, arg);
		return -1;
	}
	*val = v;
	return 0;
}

int example_parse_tls(const char *prog, const char *arg, int *version)
{
	if (!strcmp(arg, "1.2")) {
		*version = TLS1_2_VERSION;
	} else if (!strcmp(arg, "1.3")) {
		*version = TLS1_3_VERSION;
	} else {
		fprintf(stderr, "%s: --tls takes 1.2 or 1.3\n", prog);
		return -1;
	}
	return 0;
}

int example_parse_bits(const char *prog, const char *arg, unsigned int *bits)
{
	if (strcmp(arg, "128") && strcmp(arg, "256")) {
		fprintf(stderr, "%s: --bits takes 128 or 256\n", prog);
		return -1;
	}
	*bits = (unsigned int)atoi(arg);
	return 0;
}
