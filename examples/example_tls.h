/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * example_tls: an in-process OpenSSL handshake and its keys in <linux/tls.h> form, for the
 * examples tls_tx_offload and tls_rx_offload. Also their error report of a failed library call,
 * and the byte-order and pseudo-random helpers both examples use to build their frames.
 */
#ifndef EXAMPLE_TLS_H
#define EXAMPLE_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/ssl.h>

#include <mlx5tls/mlx5tls.h>
#include <mlx5tls/ssl.h>

/* What differs between the examples' TLS sessions. */
struct example_tls_cfg {
	const char *prog;        /* program name, prefix of error messages */
	const char *cn;          /* common name of the in-memory certificate */
	int tls_version;         /* TLS1_2_VERSION / TLS1_3_VERSION */
	unsigned int bits;       /* AES-GCM key size: 128 or 256 */
	const char *keylog_path; /* append the NSS key log here (SSLKEYLOGFILE), or NULL */
	bool capture;            /* capture the server's secrets (example_tls_export_server_tx) */
};

/*
 * An OpenSSL server and client in this process, for cfg's version and suite, trusting a
 * self-signed EC certificate made in memory, each on a pair of memory BIOs (the caller moves
 * the bytes). With cfg->capture, the server's secrets are captured (mlx5tls_ssl_capture) for
 * example_tls_export_server_tx(). The objects made are stored even on failure (the caller frees
 * them). 0 or -ENOMEM.
 */
int example_tls_peers(const struct example_tls_cfg *cfg, SSL_CTX **sctx, SSL_CTX **cctx,
		      SSL **server, SSL **client);

/* After the handshake: the server's write keys as kTLS takes them (mlx5tls_ssl_crypto_info). The
 * struct size, 0 on failure. The caller wipes ci after use (OPENSSL_cleanse); the secrets behind
 * it are wiped by SSL_free(server). */
size_t example_tls_export_server_tx(SSL *server, union mlx5tls_crypto_info *ci);

/* A failed library call on stderr, "PROG: WHAT: strerror"; -EREMOTEIO means the firmware refused
 * a command: also say which and why (mlx5tls_last_fw_error). */
void example_report(const char *prog, const char *what, int err);

/* ---- the command line ---- */

/* arg as a number in min..max (any base strtoul takes) into *val: 0, or -1 after saying on
 * stderr "PROG: OPT needs a number in MIN..MAX". */
int example_parse_uint(const char *prog, const char *opt, const char *arg, unsigned long min,
		       unsigned long max, unsigned long *val);
/* --tls 1.2|1.3 into *version (TLS1_2_VERSION, TLS1_3_VERSION): 0, or -1 said on stderr. */
int example_parse_tls(const char *prog, const char *arg, int *version);
/* --bits 128|256 into *bits: 0, or -1 said on stderr. */
int example_parse_bits(const char *prog, const char *arg, unsigned int *bits);

/* ---- byte order ---- */

static inline void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static inline void put64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

static inline uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* xorshift64*: the loss pattern and initial sequence numbers, reproducible from --seed. */
static inline uint64_t rng_next(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dull;
}

static inline double rng_unit(uint64_t *s)
{
	return (double)(rng_next(s) >> 11) / 9007199254740992.0; /* [0, 1) */
}

#endif /* EXAMPLE_TLS_H */
