/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * In-process OpenSSL peer harness: see tls_peer.h.
 *
 * How keys and sequence numbers are obtained:
 *  - secrets come from the key log callback (the same lines SSLKEYLOGFILE gets): TLS 1.2
 *    CLIENT_RANDOM <cr> <master_secret> (cross-checked against SSL_SESSION_get_master_key()),
 *    TLS 1.3 CLIENT_TRAFFIC_SECRET_0 / SERVER_TRAFFIC_SECRET_0;
 *  - TLS 1.2 key block = PRF(master_secret, "key expansion", server_random || client_random) with
 *    the suite's hash (EVP_KDF "TLS1-PRF"), laid out for GCM as client_write_key, server_write_key,
 *    client_write_IV[4], server_write_IV[4] (RFC 5246 6.3, RFC 5288 3: no MAC keys);
 *  - TLS 1.3 key/iv = HKDF-Expand-Label(secret, "key"/"iv", "", len) (RFC 8446 7.1, 7.3), built
 *    here on EVP_KDF "HKDF" in EXPAND_ONLY mode so that it does not reuse OpenSSL's TLS code;
 *  - sequence numbers and the TLS 1.2 explicit nonce are read off the wire each side writes: every
 *    record a side writes goes through its memory write BIO, which is parsed record by record
 *    (tls_peer_scan_wire). TLS 1.2: records after the side's ChangeCipherSpec are numbered from
 *    0 (Finished) and carry OpenSSL's explicit nonce; TLS 1.3: records written after the
 *    handshake are numbered from 0 (no tickets, no KeyUpdate, so nothing else uses the
 *    application keys).
 *
 * The harness is three files around tls_peer_internal.h: this one (certificate, pair, handshake,
 * wire accounting, reads and writes), tls_peer_keys.c (the key log and the keys) and
 * tls_record.c (the software record reference).
 */
#include "test_util.h"
#include "tls_peer_internal.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

/* ---- shared certificate ---- */

static pthread_mutex_t g_cert_lock = PTHREAD_MUTEX_INITIALIZER;
static EVP_PKEY *g_key;
static X509 *g_cert;

static int make_cert_locked(void)
{
	EVP_PKEY *key = NULL;
	X509 *x = NULL;
	X509_NAME *name;

	if (g_cert)
		return 0;
	key = EVP_EC_gen("P-256");
	x = X509_new();
	if (!key || !x)
		goto err;
	name = X509_get_subject_name(x);
	if (X509_set_version(x, 2) != 1 || /* v3 */
	    ASN1_INTEGER_set(X509_get_serialNumber(x), 1) != 1 ||
	    !X509_gmtime_adj(X509_getm_notBefore(x), -3600) ||
	    !X509_gmtime_adj(X509_getm_notAfter(x), 3600L * 24 * 365) ||
	    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
				       (const unsigned char *)"mlx5tls-test-peer", -1, -1,
				       0) != 1 ||
	    X509_set_issuer_name(x, name) != 1 || X509_set_pubkey(x, key) != 1 ||
	    X509_sign(x, key, EVP_sha256()) <= 0)
		goto err;
	g_key = key;
	g_cert = x;
	return 0;
err:
	ERR_print_errors_fp(stderr);
	X509_free(x);
	EVP_PKEY_free(key);
	return -ENOMEM;
}

void tls_peer_global_cleanup(void)
{
	pthread_mutex_lock(&g_cert_lock);
	X509_free(g_cert);
	EVP_PKEY_free(g_key);
	g_cert = NULL;
	g_key = NULL;
	pthread_mutex_unlock(&g_cert_lock);
}

/* ---- wire accounting ---- */

static void note_record(struct tls_peer_pair *pair, struct peer_end *e, const uint8_t *r,
			size_t rl)
{
	if (pair->version == TLS1_2_VERSION) {
		if (!e->ccs_sent) {
			if (r[0] == TLS_RT_CHANGE_CIPHER_SPEC) {
				e->ccs_sent = true;
				e->tx_records = 0;
			}
			return;
		}
		e->tx_records++;
		if (rl >= TLS_RECORD_HDR_LEN + TLS12_EXPLICIT_NONCE_LEN) {
			memcpy(e->last_nonce, r + TLS_RECORD_HDR_LEN, TLS12_EXPLICIT_NONCE_LEN);
			e->have_nonce = true;
		}
	} else if (pair->handshake_done) {
		e->tx_records++;
	}
}

/* Account for every complete record appended to e's write BIO since the last call. OpenSSL writes
 * whole records into a memory BIO, so there is never a partial one. */
void tls_peer_scan_wire(struct tls_peer_pair *pair, struct peer_end *e)
{
	char *data = NULL;
	long n = BIO_get_mem_data(e->wbio, &data);

	while (n > 0 && data && e->scanned + TLS_RECORD_HDR_LEN <= (size_t)n) {
		const uint8_t *r = (const uint8_t *)data + e->scanned;
		size_t rl = TLS_RECORD_HDR_LEN + get_be16(r + 3);

		if (e->scanned + rl > (size_t)n)
			break;
		note_record(pair, e, r, rl);
		e->scanned += rl;
	}
}

static size_t drain_wire(struct peer_end *e, void *buf, size_t cap)
{
	int n = BIO_read(e->wbio, buf, cap > INT_MAX ? INT_MAX : (int)cap);

	if (n <= 0)
		return 0;
	e->scanned = e->scanned > (size_t)n ? e->scanned - (size_t)n : 0;
	return (size_t)n;
}

static int move_wire(struct tls_peer_pair *pair, struct peer_end *from, struct peer_end *to)
{
	uint8_t buf[4096];
	size_t n;

	tls_peer_scan_wire(pair, from);
	while ((n = drain_wire(from, buf, sizeof(buf))) > 0)
		if (BIO_write(to->rbio, buf, (int)n) != (int)n)
			return -ENOMEM;
	return 0;
}

/* ---- pair ---- */

static SSL_CTX *make_ctx(bool server, int version, unsigned int key_bits)
{
	SSL_CTX *ctx = SSL_CTX_new(server ? TLS_server_method() : TLS_client_method());
	int ok;

	if (!ctx)
		return NULL;
	SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET | SSL_OP_NO_RENEGOTIATION |
					 SSL_OP_NO_COMPRESSION);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_keylog_callback(ctx, tls_peer_keylog_cb);
	ok = SSL_CTX_set_min_proto_version(ctx, version) == 1 &&
	     SSL_CTX_set_max_proto_version(ctx, version) == 1 &&
	     SSL_CTX_set_num_tickets(ctx, 0) == 1;
	if (version == TLS1_2_VERSION)
		ok = ok && SSL_CTX_set_cipher_list(ctx, key_bits == 128 ?
						   "ECDHE-ECDSA-AES128-GCM-SHA256" :
						   "ECDHE-ECDSA-AES256-GCM-SHA384") == 1;
	else
		ok = ok && SSL_CTX_set_ciphersuites(ctx, key_bits == 128 ?
						    "TLS_AES_128_GCM_SHA256" :
						    "TLS_AES_256_GCM_SHA384") == 1;
	if (server)
		ok = ok && SSL_CTX_use_certificate(ctx, g_cert) == 1 &&
		     SSL_CTX_use_PrivateKey(ctx, g_key) == 1 &&
		     SSL_CTX_check_private_key(ctx) == 1;
	else
		ok = ok && X509_STORE_add_cert(SSL_CTX_get_cert_store(ctx), g_cert) == 1;
	if (!ok) {
		SSL_CTX_free(ctx);
		return NULL;
	}
	if (!server)
		SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	return ctx;
}

static int make_end(struct tls_peer_pair *pair, struct peer_end *e, SSL_CTX *ctx, bool server)
{
	e->ssl = SSL_new(ctx);
	if (!e->ssl)
		return -ENOMEM;
	e->rbio = BIO_new(BIO_s_mem());
	e->wbio = BIO_new(BIO_s_mem());
	if (!e->rbio || !e->wbio) {
		BIO_free(e->rbio);
		BIO_free(e->wbio);
		e->rbio = e->wbio = NULL;
		return -ENOMEM;
	}
	/* An empty read BIO means "retry later", not end of file. */
	BIO_set_mem_eof_return(e->rbio, -1);
	SSL_set_bio(e->ssl, e->rbio, e->wbio);
	if (SSL_set_app_data(e->ssl, pair) != 1)
		return -ENOMEM;
	if (server)
		SSL_set_accept_state(e->ssl);
	else
		SSL_set_connect_state(e->ssl);
	return 0;
}

static int run_handshake(struct tls_peer_pair *pair)
{
	bool done[2] = { false, false };

	for (int round = 0; round < 32 && !(done[0] && done[1]); round++) {
		for (int s = 0; s < 2; s++) {
			struct peer_end *e = &pair->end[s];

			if (!done[s]) {
				int r = SSL_do_handshake(e->ssl);

				if (r == 1) {
					done[s] = true;
				} else {
					int err = SSL_get_error(e->ssl, r);

					if (err != SSL_ERROR_WANT_READ &&
					    err != SSL_ERROR_WANT_WRITE) {
						fprintf(stderr,
							"tls_peer: %s handshake failed (%d)\n",
							s == TLS_PEER_CLIENT ? "client" : "server",
							err);
						ERR_print_errors_fp(stderr);
						return -EPROTO;
					}
				}
			}
			if (move_wire(pair, e, &pair->end[!s]))
				return -ENOMEM;
		}
	}
	if (!done[0] || !done[1]) {
		fprintf(stderr, "tls_peer: handshake did not complete\n");
		return -EPROTO;
	}
	/* The connection must be idle: nothing written that the other side has not consumed. */
	for (int s = 0; s < 2; s++) {
		const struct peer_end *e = &pair->end[s];

		if (BIO_ctrl_pending(e->rbio) || BIO_ctrl_pending(e->wbio) || SSL_pending(e->ssl)) {
			fprintf(stderr, "tls_peer: unexpected records after the handshake\n");
			return -EPROTO;
		}
	}
	return 0;
}

static int check_negotiated(const struct tls_peer_pair *pair)
{
	int nid = pair->key_bits == 128 ? NID_aes_128_gcm : NID_aes_256_gcm;

	for (int s = 0; s < 2; s++) {
		const struct peer_end *e = &pair->end[s];
		const SSL_CIPHER *c = SSL_get_current_cipher(e->ssl);

		if (SSL_version(e->ssl) != pair->version || !c ||
		    SSL_CIPHER_get_cipher_nid(c) != nid)
			return -EPROTO;
		if (pair->version == TLS1_2_VERSION ? e->master_len != TLS12_MASTER_LEN
						    : (!e->cts0_len || !e->sts0_len))
			return -EPROTO;
	}
	return 0;
}

static void free_pair(struct tls_peer_pair *pair)
{
	for (int s = 0; s < 2; s++)
		SSL_free(pair->end[s].ssl); /* frees its BIOs */
	SSL_CTX_free(pair->cctx);
	SSL_CTX_free(pair->sctx);
	free(pair->keylog_path);
	OPENSSL_cleanse(pair, sizeof(*pair));
	free(pair);
}

static bool opts_valid(const struct tls_peer_opts *opts)
{
	if (!opts)
		return true;
	if (opts->sz < sizeof(size_t))
		return false;
	for (size_t i = sizeof(struct tls_peer_opts); i < opts->sz; i++)
		if (((const uint8_t *)opts)[i])
			return false;
	return true;
}

struct tls_peer_pair *tls_peer_pair_create(int version, unsigned int key_bits,
					   const struct tls_peer_opts *opts)
{
	struct tls_peer_pair *pair;
	const char *path = NULL;
	int ret;

	if ((version != TLS1_2_VERSION && version != TLS1_3_VERSION) ||
	    (key_bits != 128 && key_bits != 256) || !opts_valid(opts)) {
		errno = EINVAL;
		return NULL;
	}
	if (opts && opts->sz > offsetof(struct tls_peer_opts, keylog_path))
		path = opts->keylog_path;
	if (!path)
		path = getenv("SSLKEYLOGFILE");

	pthread_mutex_lock(&g_cert_lock);
	ret = make_cert_locked();
	pthread_mutex_unlock(&g_cert_lock);
	if (ret) {
		errno = -ret;
		return NULL;
	}

	pair = calloc(1, sizeof(*pair));
	if (!pair) {
		errno = ENOMEM;
		return NULL;
	}
	pair->version = version;
	pair->key_bits = key_bits;
	ret = -ENOMEM;
	if (path && *path && !(pair->keylog_path = strdup(path)))
		goto err;
	pthread_mutex_lock(&g_cert_lock);
	pair->cctx = make_ctx(false, version, key_bits);
	pair->sctx = make_ctx(true, version, key_bits);
	pthread_mutex_unlock(&g_cert_lock);
	if (!pair->cctx || !pair->sctx)
		goto err;
	ret = make_end(pair, &pair->end[TLS_PEER_CLIENT], pair->cctx, false);
	if (!ret)
		ret = make_end(pair, &pair->end[TLS_PEER_SERVER], pair->sctx, true);
	if (!ret)
		ret = run_handshake(pair);
	if (!ret)
		ret = check_negotiated(pair);
	if (ret)
		goto err;
	pair->handshake_done = true;
	ERR_clear_error();
	return pair;
err:
	if (ret == -ENOMEM)
		ERR_print_errors_fp(stderr);
	ERR_clear_error();
	free_pair(pair);
	errno = -ret;
	return NULL;
}

void tls_peer_pair_destroy(struct tls_peer_pair *pair)
{
	if (pair)
		free_pair(pair);
}

int tls_peer_version(const struct tls_peer_pair *pair)
{
	return pair ? pair->version : 0;
}

unsigned int tls_peer_key_bits(const struct tls_peer_pair *pair)
{
	return pair ? pair->key_bits : 0;
}

struct ssl_st *tls_peer_ssl(struct tls_peer_pair *pair, enum tls_peer_side side)
{
	if (!side_ok(pair, side)) {
		errno = EINVAL;
		return NULL;
	}
	return pair->end[side].ssl;
}

/* ---- data path ---- */

int tls_peer_feed(struct tls_peer_pair *pair, enum tls_peer_side side, const void *wire,
		  size_t len)
{
	const uint8_t *p = wire;

	if (!side_ok(pair, side) || (!wire && len))
		return fail(EINVAL);
	while (len) {
		int chunk = len > INT_MAX ? INT_MAX : (int)len;

		if (BIO_write(pair->end[side].rbio, p, chunk) != chunk) {
			ERR_clear_error();
			return fail(ENOMEM);
		}
		p += chunk;
		len -= (size_t)chunk;
	}
	return 0;
}

static bool is_bad_mac(unsigned long code)
{
	int reason = ERR_GET_REASON(code);

	return ERR_GET_LIB(code) == ERR_LIB_SSL &&
	       (reason == SSL_R_DECRYPTION_FAILED_OR_BAD_RECORD_MAC
#ifdef SSL_R_DECRYPTION_FAILED
		|| reason == SSL_R_DECRYPTION_FAILED
#endif
	       );
}

/*
 * Map SSL_get_error() to an errno and remember the most telling queued OpenSSL error. The queue
 * holds the low-level cause first and the TLS-level verdict last: a TLS 1.2 GCM failure queues
 * "Provider routines::cipher operation failed", then "SSL routines::decryption failed or bad record
 * mac". A bad-MAC error anywhere in the queue wins; otherwise the last (TLS-level) one is kept.
 */
static int record_error(struct peer_end *e, int ssl_err)
{
	unsigned long code, keep = 0;
	bool bad_mac = false;

	while ((code = ERR_get_error()) != 0) {
		if (bad_mac)
			continue;
		keep = code;
		bad_mac = is_bad_mac(code);
	}
	e->err_code = keep;
	if (keep)
		ERR_error_string_n(keep, e->err, sizeof(e->err));
	else
		snprintf(e->err, sizeof(e->err), "SSL_get_error() = %d, no OpenSSL error queued",
			 ssl_err);
	if (ssl_err == SSL_ERROR_ZERO_RETURN)
		return -ESHUTDOWN;
	if (ssl_err == SSL_ERROR_SSL)
		return bad_mac ? -EBADMSG : -EPROTO;
	return -EIO;
}

ssize_t tls_peer_read(struct tls_peer_pair *pair, enum tls_peer_side side, void *buf, size_t cap)
{
	struct peer_end *e;
	size_t got = 0;

	if (!side_ok(pair, side) || (!buf && cap))
		return fail_ssz(EINVAL);
	e = &pair->end[side];
	if (e->pending_err) {
		int err = e->pending_err;

		e->pending_err = 0;
		return fail_ssz(-err);
	}
	while (got < cap) {
		size_t n = 0;
		int r, err;

		ERR_clear_error();
		r = SSL_read_ex(e->ssl, (uint8_t *)buf + got, cap - got, &n);
		if (r == 1) {
			got += n;
			continue;
		}
		err = SSL_get_error(e->ssl, r);
		if (err == SSL_ERROR_WANT_READ) {
			ERR_clear_error();
			break;
		}
		err = record_error(e, err);
		tls_peer_scan_wire(pair, e); /* a fatal alert may have been written */
		if (got) {
			e->pending_err = err;
			break;
		}
		return fail_ssz(-err);
	}
	tls_peer_scan_wire(pair, e);
	return (ssize_t)got;
}

const char *tls_peer_last_error(const struct tls_peer_pair *pair, enum tls_peer_side side)
{
	return side_ok(pair, side) ? pair->end[side].err : "";
}

unsigned long tls_peer_last_error_code(const struct tls_peer_pair *pair, enum tls_peer_side side)
{
	return side_ok(pair, side) ? pair->end[side].err_code : 0;
}

int tls_peer_write(struct tls_peer_pair *pair, enum tls_peer_side side, const void *plaintext,
		   size_t len)
{
	struct peer_end *e;
	size_t written = 0;
	int r;

	if (!side_ok(pair, side) || (!plaintext && len))
		return fail(EINVAL);
	if (!len)
		return 0; /* OpenSSL never sends an empty application data record */
	e = &pair->end[side];
	ERR_clear_error();
	r = SSL_write_ex(e->ssl, plaintext, len, &written);
	if (r != 1) {
		int err = record_error(e, SSL_get_error(e->ssl, r));

		tls_peer_scan_wire(pair, e);
		return fail(-err);
	}
	tls_peer_scan_wire(pair, e);
	return written == len ? 0 : fail(EIO);
}

size_t tls_peer_wire_pending(struct tls_peer_pair *pair, enum tls_peer_side side)
{
	return side_ok(pair, side) ? BIO_ctrl_pending(pair->end[side].wbio) : 0;
}

ssize_t tls_peer_take_wire(struct tls_peer_pair *pair, enum tls_peer_side side, void *buf,
			   size_t cap)
{
	struct peer_end *e;

	if (!side_ok(pair, side) || (!buf && cap))
		return fail_ssz(EINVAL);
	e = &pair->end[side];
	tls_peer_scan_wire(pair, e);
	if (!cap)
		return 0;
	return (ssize_t)drain_wire(e, buf, cap);
}

static int suite_cleanup(void)
{
	tls_peer_global_cleanup();
	return 0;
}

int tls_peer_run_suite(const char *name, const struct test_case *cases)
{
	const struct test_suite suites[] = {
		{ name, NULL, suite_cleanup, cases },
		{ NULL, NULL, NULL, NULL },
	};

	return test_run_suites(suites);
}
