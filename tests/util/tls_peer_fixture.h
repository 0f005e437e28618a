/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The fixture of the OpenSSL peer harness's tests (tests/test_tls_peer*.c): the TLS version and
 * key size of the running suite (set by its init function), views of an exported crypto info,
 * pairs made in that configuration, streams of records the software reference encrypts, and
 * feeding a wire to one side in pieces while reading it.
 *
 * Header-only, as sim_rq_fixture.h: the configuration is state of each program. It needs no
 * model: the harness (tests/util/tls_peer.c) is in the utility archive.
 */
#ifndef MLX5TLS_TLS_PEER_FIXTURE_H
#define MLX5TLS_TLS_PEER_FIXTURE_H

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/ssl.h>

#include "test_util.h"
#include "tls_peer.h"

#define BIG TLS_RECORD_MAX_PLAINTEXT

/* The configuration of the running suite. */
static int g_version;
static unsigned int g_bits;

static inline uint16_t ktls_version(void)
{
	return g_version == TLS1_2_VERSION ? TLS_1_2_VERSION : TLS_1_3_VERSION;
}

static inline uint64_t first_app_seq(void)
{
	/* TLS 1.2: Finished is record 0 under the new keys; TLS 1.3: application keys start at
	 * 0. */
	return g_version == TLS1_2_VERSION ? 1 : 0;
}

static inline uint64_t be64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = (v << 8) | p[i];
	return v;
}

static inline uint64_t ci_rec_seq(const union tls_peer_crypto_info *ci)
{
	return be64(ci->info.cipher_type == TLS_CIPHER_AES_GCM_128 ? ci->gcm128.rec_seq
								   : ci->gcm256.rec_seq);
}

static inline const uint8_t *ci_iv(const union tls_peer_crypto_info *ci)
{
	return ci->info.cipher_type == TLS_CIPHER_AES_GCM_128 ? ci->gcm128.iv : ci->gcm256.iv;
}

static inline uint8_t *ci_key(union tls_peer_crypto_info *ci)
{
	return ci->info.cipher_type == TLS_CIPHER_AES_GCM_128 ? ci->gcm128.key : ci->gcm256.key;
}

static inline void fill_pattern(uint8_t *p, size_t len, uint8_t seed)
{
	for (size_t i = 0; i < len; i++)
		p[i] = (uint8_t)(seed + i * 7 + (i >> 8));
}

static inline struct tls_peer_pair *new_pair(void)
{
	struct tls_peer_pair *pair = tls_peer_pair_create(g_version, g_bits, NULL);

	CU_ASSERT_PTR_NOT_NULL(pair);
	return pair;
}

/* A stream of software-encrypted records with the given plaintext lengths, the first one numbered
 * `seq`, all with pattern plaintext; returns the wire length. */
struct stream {
	uint8_t wire[3 * (BIG + 64)];
	size_t wire_len;
	uint8_t pt[3 * BIG];
	size_t pt_len;
};

static inline int build_stream(struct stream *s, const union tls_peer_crypto_info *ci,
			       uint64_t seq, const size_t *lens, size_t n)
{
	s->wire_len = 0;
	s->pt_len = 0;
	for (size_t i = 0; i < n; i++) {
		uint8_t *rec = s->wire + s->wire_len;
		ssize_t rl;

		fill_pattern(s->pt + s->pt_len, lens[i], (uint8_t)(0x40 + i));
		rl = tls_record_layout(&ci->info, TLS_RT_APPLICATION_DATA, seq + i,
				       s->pt + s->pt_len, lens[i], rec,
				       sizeof(s->wire) - s->wire_len);
		if (rl < 0 || (size_t)rl != tls_record_size(ci->info.version, lens[i]))
			return -1;
		if (tls_record_encrypt_sw(&ci->info, seq + i, rec, (size_t)rl))
			return -1;
		s->wire_len += (size_t)rl;
		s->pt_len += lens[i];
	}
	return 0;
}

/* Feed wire to `side` in chunks of `chunk` bytes, reading after each; returns the plaintext
 * length read, or the first negative read result. */
static inline ssize_t feed_and_read(struct tls_peer_pair *pair, enum tls_peer_side side,
				    const uint8_t *wire, size_t len, size_t chunk, uint8_t *out,
				    size_t cap)
{
	size_t got = 0;

	for (size_t off = 0; off < len; off += chunk) {
		size_t n = len - off < chunk ? len - off : chunk;
		ssize_t r;

		if (tls_peer_feed(pair, side, wire + off, n))
			return -EIO;
		r = tls_peer_read(pair, side, out + got, cap - got);
		if (r < 0)
			return r;
		got += (size_t)r;
	}
	return (ssize_t)got;
}

static const size_t three_lens[] = { 0, 1, BIG };

static inline int init_12_128(void)
{
	g_version = TLS1_2_VERSION;
	g_bits = 128;
	return 0;
}

static inline int init_12_256(void)
{
	g_version = TLS1_2_VERSION;
	g_bits = 256;
	return 0;
}

static inline int init_13_128(void)
{
	g_version = TLS1_3_VERSION;
	g_bits = 128;
	return 0;
}

static inline int init_13_256(void)
{
	g_version = TLS1_3_VERSION;
	g_bits = 256;
	return 0;
}

/* The last suite of a program frees what the harness keeps for all pairs. */
static inline int cleanup_global(void)
{
	tls_peer_global_cleanup();
	return 0;
}

#endif /* MLX5TLS_TLS_PEER_FIXTURE_H */
