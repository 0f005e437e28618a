/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The OpenSSL peer harness's insides (tls_peer.h is its interface), shared by its three files:
 * tls_peer.c (certificate, pair, handshake, wire), tls_peer_keys.c (the key log and the keys
 * derived from it) and tls_record.c (the software record reference). Not for tests.
 */
#ifndef MLX5TLS_TLS_PEER_INTERNAL_H
#define MLX5TLS_TLS_PEER_INTERNAL_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>

#include "tls_peer.h"

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

static inline int fail(int err)
{
	errno = err;
	return -err;
}

static inline ssize_t fail_ssz(int err)
{
	errno = err;
	return -err;
}

static inline void put_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline uint16_t get_be16(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

static inline void put_be64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--) {
		p[i] = (uint8_t)v;
		v >>= 8;
	}
}

static inline uint64_t get_be64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = (v << 8) | p[i];
	return v;
}

static inline bool side_ok(const struct tls_peer_pair *pair, enum tls_peer_side side)
{
	return pair && (side == TLS_PEER_CLIENT || side == TLS_PEER_SERVER);
}

/* Account for every complete record appended to e's write BIO since the last call
 * (tls_peer.c). */
void tls_peer_scan_wire(struct tls_peer_pair *pair, struct peer_end *e);

/* The key log callback of both SSL_CTXs: keeps the secrets each side logs (tls_peer_keys.c). */
void tls_peer_keylog_cb(const SSL *ssl, const char *line);

#endif
