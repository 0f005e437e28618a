/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Keys out of OpenSSL (mlx5tls/ssl.h): a server and a client in process over memory BIOs, TLS
 * 1.2/1.3 x AES-GCM-128/256. The crypto info each side reports decrypts the records the other
 * side's OpenSSL writes (key, salt, iv, rec_seq all right), both directions; the two sides agree;
 * TLS 1.3 KeyUpdate through OpenSSL is followed, and mlx5tls_ssl_key_update() gives the keys of
 * records after a KeyUpdate the application handles itself. The secrets never reach a key log
 * other than the application's own callback, which is chained.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "mlx5tls/ssl.h"
#include "test_util.h"

struct pair {
	SSL_CTX *sctx, *cctx;
	SSL *s, *c;
	BIO *s_in, *s_out, *c_in, *c_out; /* the test's ends: s_in = what the server reads */
};

static int g_app_keylog_lines;

static void app_keylog(const SSL *ssl, const char *line)
{
	(void)ssl;
	(void)line;
	g_app_keylog_lines++;
}

static void make_cert(EVP_PKEY **pkey, X509 **cert)
{
	X509_NAME *name;

	*pkey = EVP_EC_gen("P-256");
	*cert = X509_new();
	CU_ASSERT_PTR_NOT_NULL_FATAL(*pkey);
	X509_set_version(*cert, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(*cert), 1);
	X509_gmtime_adj(X509_getm_notBefore(*cert), 0);
	X509_gmtime_adj(X509_getm_notAfter(*cert), 3600);
	X509_set_pubkey(*cert, *pkey);
	name = X509_get_subject_name(*cert);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"keys", -1, -1,
				   0);
	X509_set_issuer_name(*cert, name);
	X509_sign(*cert, *pkey, EVP_sha256());
}

/* Move what one side wrote to the other. */
static void shuttle(struct pair *p)
{
	uint8_t buf[65536];
	int n;

	while ((n = BIO_read(p->c_out, buf, sizeof(buf))) > 0)
		BIO_write(p->s_in, buf, n);
	while ((n = BIO_read(p->s_out, buf, sizeof(buf))) > 0)
		BIO_write(p->c_in, buf, n);
}

static void pair_open(struct pair *p, int version, unsigned int bits)
{
	EVP_PKEY *pkey;
	X509 *cert;
	memset(p, 0, sizeof(*p));
	make_cert(&pkey, &cert);
	p->sctx = SSL_CTX_new(TLS_server_method());
	p->cctx = SSL_CTX_new(TLS_client_method());
	SSL_CTX_use_certificate(p->sctx, cert);
	SSL_CTX_use_PrivateKey(p->sctx, pkey);
	X509_free(cert);
	EVP_PKEY_free(pkey);
	for (int i = 0; i < 2; i++) {
		SSL_CTX *ctx = i ? p->cctx : p->sctx;

		SSL_CTX_set_min_proto_version(ctx, version);
		SSL_CTX_set_max_proto_version(ctx, version);
		if (version == TLS1_3_VERSION)
			SSL_CTX_set_ciphersuites(ctx, bits == 128 ? "TLS_AES_128_GCM_SHA256"
								  : "TLS_AES_256_GCM_SHA384");
		else
			SSL_CTX_set_cipher_list(ctx, bits == 128 ? "ECDHE-ECDSA-AES128-GCM-SHA256"
								 : "ECDHE-ECDSA-AES256-GCM-SHA384");
	}
	/* the application's own key log on the server: it must still get every line */
	SSL_CTX_set_keylog_callback(p->sctx, app_keylog);
	p->s = SSL_new(p->sctx);
	p->c = SSL_new(p->cctx);
	/* plain memory BIOs, each side reads one and writes another */
	p->s_in = BIO_new(BIO_s_mem());
	p->s_out = BIO_new(BIO_s_mem());
	p->c_in = BIO_new(BIO_s_mem());
	p->c_out = BIO_new(BIO_s_mem());
	BIO_up_ref(p->s_in);
	BIO_up_ref(p->s_out);
	BIO_up_ref(p->c_in);
	BIO_up_ref(p->c_out);
	SSL_set_bio(p->s, p->s_in, p->s_out);
	SSL_set_bio(p->c, p->c_in, p->c_out);
	SSL_set_accept_state(p->s);
	SSL_set_connect_state(p->c);
	CU_ASSERT_EQUAL(mlx5tls_ssl_capture(p->s), 0);
	CU_ASSERT_EQUAL(mlx5tls_ssl_capture(p->c), 0);
	for (int i = 0; i < 20 && !(SSL_is_init_finished(p->s) && SSL_is_init_finished(p->c)); i++) {
		SSL_do_handshake(p->c);
		shuttle(p);
		SSL_do_handshake(p->s);
		shuttle(p);
	}
	CU_ASSERT_FATAL(SSL_is_init_finished(p->s) && SSL_is_init_finished(p->c));
}

static void pair_close(struct pair *p)
{
	SSL_free(p->s);
	SSL_free(p->c);
	BIO_free(p->s_in);
	BIO_free(p->s_out);
	BIO_free(p->c_in);
	BIO_free(p->c_out);
	SSL_CTX_free(p->sctx);
	SSL_CTX_free(p->cctx);
}

/* Decrypt one record at rec with ci's keys as record number seq. Plaintext length or -1. */
static long open_record(const union mlx5tls_crypto_info *ci, uint64_t seq, const uint8_t *rec,
			size_t avail, uint8_t *out, size_t *rec_len)
{
	bool v13 = ci->info.version == TLS_1_3_VERSION;
	bool k128 = ci->info.cipher_type == TLS_CIPHER_AES_GCM_128;
	const uint8_t *key = k128 ? ci->gcm128.key : ci->gcm256.key;
	const uint8_t *salt = k128 ? ci->gcm128.salt : ci->gcm256.salt;
	const uint8_t *iv = k128 ? ci->gcm128.iv : ci->gcm256.iv;
	size_t len, hdr = v13 ? 5 : 13, ct_len;
	uint8_t nonce[12], aad[13];
	EVP_CIPHER_CTX *e;
	int n1 = 0, n2 = 0, ok;

	if (avail < 5)
		return -1;
	len = (size_t)rec[3] << 8 | rec[4];
	if (avail < 5 + len || len < hdr - 5 + 16)
		return -1;
	*rec_len = 5 + len;
	memcpy(nonce, salt, 4);
	if (v13) {
		memcpy(nonce + 4, iv, 8);
		for (int i = 0; i < 8; i++)
			nonce[4 + i] ^= (uint8_t)(seq >> (56 - 8 * i));
		memcpy(aad, rec, 5);
	} else {
		memcpy(nonce + 4, rec + 5, 8); /* explicit nonce */
		for (int i = 0; i < 8; i++)
			aad[i] = (uint8_t)(seq >> (56 - 8 * i));
		aad[8] = rec[0];
		aad[9] = rec[1];
		aad[10] = rec[2];
		aad[11] = (uint8_t)((len - 8 - 16) >> 8);
		aad[12] = (uint8_t)(len - 8 - 16);
	}
	ct_len = 5 + len - hdr - 16;
	e = EVP_CIPHER_CTX_new();
	ok = EVP_DecryptInit_ex(e, k128 ? EVP_aes_128_gcm() : EVP_aes_256_gcm(), NULL, key,
				nonce) == 1 &&
	     EVP_DecryptUpdate(e, NULL, &n1, aad, v13 ? 5 : 13) == 1 &&
	     EVP_DecryptUpdate(e, out, &n1, rec + hdr, (int)ct_len) == 1 &&
	     EVP_CIPHER_CTX_ctrl(e, EVP_CTRL_GCM_SET_TAG, 16, (void *)(rec + hdr + ct_len)) == 1 &&
	     EVP_DecryptFinal_ex(e, out + n1, &n2) == 1;
	EVP_CIPHER_CTX_free(e);
	return ok ? (long)(n1 + n2) : -1;
}

static uint64_t rec_seq_of(const union mlx5tls_crypto_info *ci)
{
	const uint8_t *rs = ci->info.cipher_type == TLS_CIPHER_AES_GCM_128 ? ci->gcm128.rec_seq
									   : ci->gcm256.rec_seq;
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | rs[i];
	return v;
}

/* writer writes msg with OpenSSL; the bytes it produced are opened with ci (the reader's RX
 * view or the writer's TX view): the plaintext (TLS 1.3: + inner type) must be msg. */
static void check_direction(SSL *writer, BIO *wire_out, const union mlx5tls_crypto_info *ci,
			    const char *msg)
{
	uint8_t rec[4096], pt[4096];
	size_t rec_len = 0;
	int n;
	long m;

	CU_ASSERT_EQUAL(SSL_write(writer, msg, (int)strlen(msg)), (int)strlen(msg));
	n = BIO_read(wire_out, rec, sizeof(rec));
	CU_ASSERT_FATAL(n > 5);
	m = open_record(ci, rec_seq_of(ci), rec, (size_t)n, pt, &rec_len);
	CU_ASSERT_FATAL(m >= 0);
	CU_ASSERT_EQUAL(rec_len, (size_t)n);
	if (ci->info.version == TLS_1_3_VERSION) {
		CU_ASSERT_EQUAL((size_t)m, strlen(msg) + 1);
		CU_ASSERT_EQUAL(pt[m - 1], 23);
	} else {
		CU_ASSERT_EQUAL((size_t)m, strlen(msg));
	}
	CU_ASSERT(!memcmp(pt, msg, strlen(msg)));
}

static void same_keys(const union mlx5tls_crypto_info *a, size_t alen,
		      const union mlx5tls_crypto_info *b, size_t blen)
{
	CU_ASSERT_EQUAL(alen, blen);
	CU_ASSERT(alen == blen && !memcmp(a, b, alen));
}

static void run_matrix_case(int version, unsigned int bits)
{
	union mlx5tls_crypto_info s_tx, s_rx, c_tx, c_rx;
	size_t l1, l2, l3, l4;
	uint8_t drain[4096];
	struct pair p;

	g_app_keylog_lines = 0;
	pair_open(&p, version, bits);
	CU_ASSERT(g_app_keylog_lines > 0);
	/* the client reads what is pending (TLS 1.3 session tickets) */
	CU_ASSERT(SSL_read(p.c, drain, sizeof(drain)) <= 0);
	CU_ASSERT_EQUAL(mlx5tls_ssl_crypto_info(p.s, MLX5TLS_SSL_TX, &s_tx, &l1), 0);
	CU_ASSERT_EQUAL(mlx5tls_ssl_crypto_info(p.s, MLX5TLS_SSL_RX, &s_rx, &l2), 0);
	CU_ASSERT_EQUAL(mlx5tls_ssl_crypto_info(p.c, MLX5TLS_SSL_TX, &c_tx, &l3), 0);
	CU_ASSERT_EQUAL(mlx5tls_ssl_crypto_info(p.c, MLX5TLS_SSL_RX, &c_rx, &l4), 0);
	CU_ASSERT_EQUAL(l1, bits == 128 ? sizeof(s_tx.gcm128) : sizeof(s_tx.gcm256));
	CU_ASSERT_EQUAL(s_tx.info.version, version == TLS1_3_VERSION ? TLS_1_3_VERSION
								  : TLS_1_2_VERSION);
	/* TLS 1.2: the Finished was record 0 under the keys; TLS 1.3: tickets (2 by default) */
	CU_ASSERT_EQUAL(rec_seq_of(&s_tx), version == TLS1_3_VERSION ? 2 : 1);
	CU_ASSERT_EQUAL(rec_seq_of(&c_tx), version == TLS1_3_VERSION ? 0 : 1);
	/* server TX = client RX, client TX = server RX (TLS 1.2: the iv is this library's
	 * choice of explicit nonce, the record number: equal too) */
	same_keys(&s_tx, l1, &c_rx, l4);
	same_keys(&c_tx, l3, &s_rx, l2);
	/* and they open what OpenSSL writes */
	check_direction(p.s, p.s_out, &s_tx, "server to client");
	check_direction(p.c, p.c_out, &c_tx, "client to server");
	OPENSSL_cleanse(&s_tx, sizeof(s_tx));
	OPENSSL_cleanse(&s_rx, sizeof(s_rx));
	OPENSSL_cleanse(&c_tx, sizeof(c_tx));
	OPENSSL_cleanse(&c_rx, sizeof(c_rx));
	pair_close(&p);
}

static void test_tls12_128(void) { run_matrix_case(TLS1_2_VERSION, 128); }
static void test_tls12_256(void) { run_matrix_case(TLS1_2_VERSION, 256); }
static void test_tls13_128(void) { run_matrix_case(TLS1_3_VERSION, 128); }
static void test_tls13_256(void) { run_matrix_case(TLS1_3_VERSION, 256); }

/* KeyUpdate written and read by OpenSSL: the capture follows on both sides. */
static void test_key_update_openssl(void)
{
	union mlx5tls_crypto_info before, s_tx, c_rx;
	uint8_t buf[4096];
	size_t l1, l2;
	struct pair p;

	pair_open(&p, TLS1_3_VERSION, 256);
	CU_ASSERT(SSL_read(p.c, buf, sizeof(buf)) <= 0);
	CU_ASSERT_EQUAL(mlx5tls_ssl_crypto_info(p.s, MLX5TLS_SSL_TX, &before, &l1), 0);
	CU_ASSERT_EQUAL(SSL_key_update(p.s, SSL_KEY_UPDATE_NOT_REQUESTED), 1);
	CU_ASSERT_EQUAL(SSL_do_handshake(p.s), 1); /* sends the KeyUpdate */
	shuttle(&p);
	CU_ASSERT(SSL_read(p.c, buf, sizeof(buf)) <= 0); /* reads it */
	CU_ASSERT_EQUAL(mlx5tls_ssl_crypto_info(p.s, MLX5TLS_SSL_TX, &s_tx, &l1), 0);
	CU_ASSERT_EQUAL(mlx5tls_ssl_crypto_info(p.c, MLX5TLS_SSL_RX, &c_rx, &l2), 0);
	CU_ASSERT(memcmp(before.gcm256.key, s_tx.gcm256.key, 32) != 0);
	CU_ASSERT_EQUAL(rec_seq_of(&s_tx), 0);
	same_keys(&s_tx, l1, &c_rx, l2);
	check_direction(p.s, p.s_out, &s_tx, "after the update");
	OPENSSL_cleanse(&before, sizeof(before));
	OPENSSL_cleanse(&s_tx, sizeof(s_tx));
	OPENSSL_cleanse(&c_rx, sizeof(c_rx));
	pair_close(&p);
}

/* A KeyUpdate the application handles itself: the client never lets OpenSSL read it, calls
 * mlx5tls_ssl_key_update() and opens the next record with the keys it then reports. */
static void test_key_update_manual(void)
{
	union mlx5tls_crypto_info c_rx;
	uint8_t wire[8192], pt[4096], buf[4096];
	size_t l, rec_len, off;
	long m;
	int n;
	struct pair p;

	pair_open(&p, TLS1_3_VERSION, 128);
	CU_ASSERT(SSL_read(p.c, buf, sizeof(buf)) <= 0);
	CU_ASSERT_EQUAL(mlx5tls_ssl_crypto_info(p.c, MLX5TLS_SSL_RX, &c_rx, &l), 0);
	CU_ASSERT_EQUAL(SSL_key_update(p.s, SSL_KEY_UPDATE_NOT_REQUESTED), 1);
	CU_ASSERT_EQUAL(SSL_write(p.s, "next", 4), 4);
	n = BIO_read(p.s_out, wire, sizeof(wire));
	CU_ASSERT_FATAL(n > 0);
	/* record 1: the KeyUpdate, under the current keys */
	m = open_record(&c_rx, rec_seq_of(&c_rx), wire, (size_t)n, pt, &rec_len);
	CU_ASSERT_FATAL(m == 6); /* KeyUpdate (4 + 1 bytes) + inner type */
	CU_ASSERT_EQUAL(pt[0], 24);
	CU_ASSERT_EQUAL(pt[5], 22);
	off = rec_len;
	CU_ASSERT_EQUAL(mlx5tls_ssl_key_update(p.c, MLX5TLS_SSL_RX), 0);
	CU_ASSERT_EQUAL(mlx5tls_ssl_crypto_info(p.c, MLX5TLS_SSL_RX, &c_rx, &l), 0);
	CU_ASSERT_EQUAL(rec_seq_of(&c_rx), 0);
	m = open_record(&c_rx, 0, wire + off, (size_t)n - off, pt, &rec_len);
	CU_ASSERT_EQUAL(m, 5);
	CU_ASSERT(m == 5 && !memcmp(pt, "next", 4));
	OPENSSL_cleanse(&c_rx, sizeof(c_rx));
	pair_close(&p);
}

static void test_bad_use(void)
{
	union mlx5tls_crypto_info ci;
	size_t l;
	struct pair p;
	SSL *fresh;

	CU_ASSERT_EQUAL(mlx5tls_ssl_capture(NULL), -EINVAL);
	pair_open(&p, TLS1_2_VERSION, 128);
	CU_ASSERT_EQUAL(mlx5tls_ssl_crypto_info(p.s, 7, &ci, &l), -EINVAL);
	CU_ASSERT_EQUAL(mlx5tls_ssl_key_update(p.s, MLX5TLS_SSL_TX), -EINVAL); /* TLS 1.2 */
	mlx5tls_ssl_release(p.s);
	CU_ASSERT_EQUAL(mlx5tls_ssl_crypto_info(p.s, MLX5TLS_SSL_TX, &ci, &l), -ENOKEY);
	fresh = SSL_new(p.sctx);
	CU_ASSERT_EQUAL(mlx5tls_ssl_capture(fresh), 0);
	CU_ASSERT_EQUAL(mlx5tls_ssl_crypto_info(fresh, MLX5TLS_SSL_TX, &ci, &l), -EAGAIN);
	SSL_free(fresh);
	pair_close(&p);
}

static const struct test_case cases[] = {
	{ "tls12_aes128", test_tls12_128 },
	{ "tls12_aes256", test_tls12_256 },
	{ "tls13_aes128", test_tls13_128 },
	{ "tls13_aes256", test_tls13_256 },
	{ "key_update_openssl", test_key_update_openssl },
	{ "key_update_manual", test_key_update_manual },
	{ "bad_use", test_bad_use },
	{ NULL, NULL },
};

static const struct test_suite suites[] = {
	{ "ssl_keys", NULL, NULL, cases },
	{ NULL, NULL, NULL, NULL },
};

int main(void)
{
	return test_run_suites(suites);
}
