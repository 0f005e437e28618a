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
 *    (scan_wire). TLS 1.2: records after the side's ChangeCipherSpec are numbered from 0 (Finished)
 *    and carry OpenSSL's explicit nonce; TLS 1.3: records written after the handshake are numbered
 *    from 0 (no tickets, no KeyUpdate, so nothing else uses the application keys).
 */
#include "test_util.h"
#include "tls_peer.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#define TLS_RANDOM_LEN 32
#define TLS12_MASTER_LEN 48
#define GCM_NONCE_LEN 12
#define GCM_SALT_LEN 4
#define SECRET_MAX EVP_MAX_MD_SIZE

struct peer_end {
	SSL *ssl;
	BIO *rbio, *wbio; /* owned by ssl */
	/* Bytes at the head of wbio already parsed by scan_wire(). */
	size_t scanned;
	/* TLS 1.2: this side has written its ChangeCipherSpec (its records are now encrypted). */
	bool ccs_sent;
	/* Records written under the current traffic keys: the next record's sequence number. */
	uint64_t tx_records;
	/* TLS 1.2: explicit nonce of the last encrypted record this side wrote. */
	uint8_t last_nonce[TLS12_EXPLICIT_NONCE_LEN];
	bool have_nonce;
	/* Secrets from the key log callback, as this side saw them. */
	uint8_t master[TLS12_MASTER_LEN];
	size_t master_len;
	uint8_t cts0[SECRET_MAX], sts0[SECRET_MAX]; /* CLIENT_/SERVER_TRAFFIC_SECRET_0 */
	size_t cts0_len, sts0_len;
	/* Last error. */
	int pending_err;
	unsigned long err_code;
	char err[256];
};

struct tls_peer_pair {
	int version;
	unsigned int key_bits;
	bool handshake_done;
	SSL_CTX *cctx, *sctx;
	struct peer_end end[2];
	char *keylog_path;
};

static int fail(int err)
{
	errno = err;
	return -err;
}

static ssize_t fail_ssz(int err)
{
	errno = err;
	return -err;
}

static void put_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint16_t get_be16(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

static void put_be64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--) {
		p[i] = (uint8_t)v;
		v >>= 8;
	}
}

static uint64_t get_be64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = (v << 8) | p[i];
	return v;
}

/* ---- crypto info views ---- */

size_t tls_peer_crypto_info_size(const struct tls_crypto_info *info)
{
	if (!info)
		return 0;
	switch (info->cipher_type) {
	case TLS_CIPHER_AES_GCM_128:
		return sizeof(struct tls12_crypto_info_aes_gcm_128);
	case TLS_CIPHER_AES_GCM_256:
		return sizeof(struct tls12_crypto_info_aes_gcm_256);
	default:
		return 0;
	}
}

void tls_peer_crypto_info_wipe(union tls_peer_crypto_info *ci)
{
	if (ci)
		OPENSSL_cleanse(ci, sizeof(*ci));
}

struct ci_view {
	uint16_t version;
	const EVP_CIPHER *cipher;
	const uint8_t *key, *salt, *iv, *rec_seq;
};

static int get_ci_view(const struct tls_crypto_info *info, struct ci_view *v)
{
	if (!info || (info->version != TLS_1_2_VERSION && info->version != TLS_1_3_VERSION))
		return -EINVAL;
	v->version = info->version;
	if (info->cipher_type == TLS_CIPHER_AES_GCM_128) {
		const struct tls12_crypto_info_aes_gcm_128 *c = (const void *)info;

		v->cipher = EVP_aes_128_gcm();
		v->key = c->key;
		v->salt = c->salt;
		v->iv = c->iv;
		v->rec_seq = c->rec_seq;
	} else if (info->cipher_type == TLS_CIPHER_AES_GCM_256) {
		const struct tls12_crypto_info_aes_gcm_256 *c = (const void *)info;

		v->cipher = EVP_aes_256_gcm();
		v->key = c->key;
		v->salt = c->salt;
		v->iv = c->iv;
		v->rec_seq = c->rec_seq;
	} else {
		return -EINVAL;
	}
	return 0;
}

/* ---- records ---- */

size_t tls_record_size(uint16_t version, size_t len)
{
	if (version == TLS_1_2_VERSION)
		return TLS_RECORD_HDR_LEN + TLS12_EXPLICIT_NONCE_LEN + len + TLS_RECORD_TAG_LEN;
	if (version == TLS_1_3_VERSION)
		return TLS_RECORD_HDR_LEN + len + 1 + TLS_RECORD_TAG_LEN;
	return 0;
}

size_t tls_record_pt_offset(uint16_t version)
{
	return version == TLS_1_2_VERSION ? TLS_RECORD_HDR_LEN + TLS12_EXPLICIT_NONCE_LEN
					  : TLS_RECORD_HDR_LEN;
}

ssize_t tls_record_layout(const struct tls_crypto_info *ci, uint8_t type, uint64_t rec_seq,
			  const void *plaintext, size_t len, void *out, size_t cap)
{
	struct ci_view v;
	uint8_t *o = out;
	size_t total, off;

	if (get_ci_view(ci, &v) || !out || (!plaintext && len) || len > 0xffff)
		return fail_ssz(EINVAL);
	total = tls_record_size(v.version, len);
	if (total - TLS_RECORD_HDR_LEN > 0xffff)
		return fail_ssz(EINVAL);
	if (cap < total)
		return fail_ssz(ENOSPC);

	o[0] = v.version == TLS_1_3_VERSION ? (uint8_t)TLS_RT_APPLICATION_DATA : type;
	o[1] = 0x03;
	o[2] = 0x03;
	put_be16(o + 3, (uint16_t)(total - TLS_RECORD_HDR_LEN));
	off = TLS_RECORD_HDR_LEN;
	if (v.version == TLS_1_2_VERSION) {
		/* The kernel writes its running copy of crypto_info.iv, advanced once per record. */
		uint64_t nonce = get_be64(v.iv) + (rec_seq - get_be64(v.rec_seq));

		put_be64(o + off, nonce);
		off += TLS12_EXPLICIT_NONCE_LEN;
	}
	if (len)
		memmove(o + off, plaintext, len);
	off += len;
	if (v.version == TLS_1_3_VERSION)
		o[off++] = type;
	memset(o + off, 0, TLS_RECORD_TAG_LEN);
	return (ssize_t)total;
}

/* One AES-GCM operation over buf[0..n) in place; tag is written (enc) or checked (!enc). */
static int gcm_crypt(int enc, const EVP_CIPHER *cipher, const uint8_t *key,
		     const uint8_t nonce[GCM_NONCE_LEN], const uint8_t *aad, size_t aad_len,
		     uint8_t *buf, size_t n, uint8_t tag[TLS_RECORD_TAG_LEN])
{
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int outl, ret = -EIO;

	if (!ctx)
		return -ENOMEM;
	if (n > INT_MAX || aad_len > INT_MAX)
		goto out;
	if (EVP_CipherInit_ex(ctx, cipher, NULL, NULL, NULL, enc) != 1 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, GCM_NONCE_LEN, NULL) != 1 ||
	    EVP_CipherInit_ex(ctx, NULL, NULL, key, nonce, enc) != 1 ||
	    EVP_CipherUpdate(ctx, NULL, &outl, aad, (int)aad_len) != 1)
		goto out;
	if (n && EVP_CipherUpdate(ctx, buf, &outl, buf, (int)n) != 1)
		goto out;
	if (!enc && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, TLS_RECORD_TAG_LEN, tag) != 1)
		goto out;
	if (EVP_CipherFinal_ex(ctx, buf + n, &outl) != 1) {
		ret = enc ? -EIO : -EBADMSG;
		goto out;
	}
	if (enc && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, TLS_RECORD_TAG_LEN, tag) != 1)
		goto out;
	ret = 0;
out:
	EVP_CIPHER_CTX_free(ctx); /* cleanses the key schedule */
	ERR_clear_error();
	return ret;
}

/* Nonce and AAD of one record; pt_off and pt_len delimit the (inner) plaintext. */
static int record_params(const struct ci_view *v, uint64_t rec_seq, const uint8_t *r, size_t len,
			 uint8_t nonce[GCM_NONCE_LEN], uint8_t aad[13], size_t *aad_len,
			 size_t *pt_off, size_t *pt_len)
{
	size_t body;

	if (!r || len < TLS_RECORD_HDR_LEN)
		return -EINVAL;
	body = get_be16(r + 3);
	if (len != TLS_RECORD_HDR_LEN + body)
		return -EINVAL;
	if (v->version == TLS_1_2_VERSION) {
		if (body < TLS12_EXPLICIT_NONCE_LEN + TLS_RECORD_TAG_LEN)
			return -EINVAL;
		*pt_off = TLS_RECORD_HDR_LEN + TLS12_EXPLICIT_NONCE_LEN;
		*pt_len = body - TLS12_EXPLICIT_NONCE_LEN - TLS_RECORD_TAG_LEN;
		memcpy(nonce, v->salt, GCM_SALT_LEN);
		memcpy(nonce + GCM_SALT_LEN, r + TLS_RECORD_HDR_LEN, TLS12_EXPLICIT_NONCE_LEN);
		put_be64(aad, rec_seq);
		aad[8] = r[0];
		aad[9] = r[1];
		aad[10] = r[2];
		put_be16(aad + 11, (uint16_t)*pt_len);
		*aad_len = 13;
	} else {
		if (body < 1 + TLS_RECORD_TAG_LEN)
			return -EINVAL;
		*pt_off = TLS_RECORD_HDR_LEN;
		*pt_len = body - TLS_RECORD_TAG_LEN;
		memcpy(nonce, v->salt, GCM_SALT_LEN);
		memcpy(nonce + GCM_SALT_LEN, v->iv, TLS12_EXPLICIT_NONCE_LEN);
		for (int i = 0; i < 8; i++)
			nonce[GCM_SALT_LEN + i] ^= (uint8_t)(rec_seq >> (56 - 8 * i));
		memcpy(aad, r, TLS_RECORD_HDR_LEN);
		*aad_len = TLS_RECORD_HDR_LEN;
	}
	return 0;
}

int tls_record_encrypt_sw(const struct tls_crypto_info *ci, uint64_t rec_seq, void *record,
			  size_t len)
{
	uint8_t nonce[GCM_NONCE_LEN], aad[13], *r = record;
	size_t aad_len, pt_off, pt_len;
	struct ci_view v;
	int ret;

	if (get_ci_view(ci, &v))
		return fail(EINVAL);
	ret = record_params(&v, rec_seq, r, len, nonce, aad, &aad_len, &pt_off, &pt_len);
	if (!ret)
		ret = gcm_crypt(1, v.cipher, v.key, nonce, aad, aad_len, r + pt_off, pt_len,
				r + pt_off + pt_len);
	OPENSSL_cleanse(nonce, sizeof(nonce));
	return ret ? fail(-ret) : 0;
}

ssize_t tls_record_decrypt_sw(const struct tls_crypto_info *ci, uint64_t rec_seq, void *record,
			      size_t len, uint8_t *type)
{
	uint8_t nonce[GCM_NONCE_LEN], aad[13], *r = record;
	size_t aad_len, pt_off, pt_len;
	struct ci_view v;
	int ret;

	if (get_ci_view(ci, &v))
		return fail_ssz(EINVAL);
	ret = record_params(&v, rec_seq, r, len, nonce, aad, &aad_len, &pt_off, &pt_len);
	if (!ret)
		ret = gcm_crypt(0, v.cipher, v.key, nonce, aad, aad_len, r + pt_off, pt_len,
				r + pt_off + pt_len);
	OPENSSL_cleanse(nonce, sizeof(nonce));
	if (ret) {
		if (ret == -EBADMSG)
			OPENSSL_cleanse(r + pt_off, pt_len);
		return fail_ssz(-ret);
	}
	if (v.version == TLS_1_3_VERSION) {
		/* TLSInnerPlaintext: content || type || zeros. */
		while (pt_len && r[pt_off + pt_len - 1] == 0)
			pt_len--;
		if (!pt_len)
			return fail_ssz(EPROTO);
		pt_len--;
		if (type)
			*type = r[pt_off + pt_len];
	} else if (type) {
		*type = r[0];
	}
	return (ssize_t)pt_len;
}

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
				       (const unsigned char *)"mlx5tls-test-peer", -1, -1, 0) != 1 ||
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

static void keylog_cb(const SSL *ssl, const char *line)
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
	    hex_decode(sp1 + 1, (size_t)(sp2 - sp1 - 1), got_cr, sizeof(got_cr)) != TLS_RANDOM_LEN ||
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
static void scan_wire(struct tls_peer_pair *pair, struct peer_end *e)
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

	scan_wire(pair, from);
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
	SSL_CTX_set_keylog_callback(ctx, keylog_cb);
	ok = SSL_CTX_set_min_proto_version(ctx, version) == 1 &&
	     SSL_CTX_set_max_proto_version(ctx, version) == 1 &&
	     SSL_CTX_set_num_tickets(ctx, 0) == 1;
	if (version == TLS1_2_VERSION)
		ok = ok && SSL_CTX_set_cipher_list(ctx, key_bits == 128 ?
								"ECDHE-ECDSA-AES128-GCM-SHA256" :
								"ECDHE-ECDSA-AES256-GCM-SHA384") == 1;
	else
		ok = ok && SSL_CTX_set_ciphersuites(ctx, key_bits == 128 ? "TLS_AES_128_GCM_SHA256" :
									   "TLS_AES_256_GCM_SHA384") == 1;
	if (server)
		ok = ok && SSL_CTX_use_certificate(ctx, g_cert) == 1 &&
		     SSL_CTX_use_PrivateKey(ctx, g_key) == 1 && SSL_CTX_check_private_key(ctx) == 1;
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

					if (err != SSL_ERROR_WANT_READ && err != SSL_ERROR_WANT_WRITE) {
						fprintf(stderr, "tls_peer: %s handshake failed (%d)\n",
							s == TLS_PEER_CLIENT ? "client" : "server", err);
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

		if (SSL_version(e->ssl) != pair->version || !c || SSL_CIPHER_get_cipher_nid(c) != nid)
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

static bool side_ok(const struct tls_peer_pair *pair, enum tls_peer_side side)
{
	return pair && (side == TLS_PEER_CLIENT || side == TLS_PEER_SERVER);
}

struct ssl_st *tls_peer_ssl(struct tls_peer_pair *pair, enum tls_peer_side side)
{
	if (!side_ok(pair, side)) {
		errno = EINVAL;
		return NULL;
	}
	return pair->end[side].ssl;
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
	scan_wire(pair, e);
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
	scan_wire(pair, e);
	if (SSL_key_update(e->ssl, request ? SSL_KEY_UPDATE_REQUESTED
					   : SSL_KEY_UPDATE_NOT_REQUESTED) != 1 ||
	    SSL_do_handshake(e->ssl) != 1) {
		ERR_clear_error();
		return fail(EPROTO);
	}
	scan_wire(pair, e); /* the KeyUpdate record: the last under the old keys */
	ret = advance_secret(pair, side);
	return ret ? fail(-ret) : 0;
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
		scan_wire(pair, e); /* a fatal alert may have been written */
		if (got) {
			e->pending_err = err;
			break;
		}
		return fail_ssz(-err);
	}
	scan_wire(pair, e);
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

		scan_wire(pair, e);
		return fail(-err);
	}
	scan_wire(pair, e);
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
	scan_wire(pair, e);
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
