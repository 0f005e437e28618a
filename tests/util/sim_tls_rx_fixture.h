/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The fixture of the device-model TLS RX engine tests (tests/test_sim_tls_rx*.c, sim/tls_rx.h).
 * The received streams are real TLS records written by OpenSSL (tests/util/tls_peer: an OpenSSL
 * server after a real handshake, TLS 1.2/1.3 x AES-GCM-128/256); the server's TCP stream is the
 * concatenation of its records. Every record is decrypted once by this file's own,
 * straightforward EVP code (own nonce and AAD, RFC 5246 6.2.3.3 / RFC 8446 5.2-5.3) and its
 * plaintext compared with what OpenSSL was asked to send: that gives the "ideal image" of the
 * stream (framing as received, payload decrypted). The programs then feed the engine segments
 * and check each packet for its status and for its bytes: the ideal image where it is
 * DECRYPTED, exactly what was received otherwise. Static/progress params are built with the
 * library's builders (wqe.h).
 *
 * Header-only, as sim_test_util.h: only programs that link the model include it.
 */
#ifndef MLX5TLS_SIM_TLS_RX_FIXTURE_H
#define MLX5TLS_SIM_TLS_RX_FIXTURE_H

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/ssl.h>

#include "prm/mlx5_ifc_tls.h"
#include "sim/tls_evp.h"
#include "sim/tls_rx.h"
#include "test_util.h"
#include "tls_peer.h"
#include "wqe.h"

#define MAX_RECS 128
#define MSS 1448
#define SEQ_WRAP 0xffffd000u /* streams starting here wrap TCP sequence numbers */
#define PKT_MAX 65536

/*
 * Every case runs twice: in place (sim_tls_rx_packet) and out of place (sim_tls_rx_packet_to,
 * what the RQ uses: the frame read only, the receive buffer written), which must leave the same
 * bytes with the same status and state. The wrapper stands in for sim_tls_rx_packet in the
 * programs' cases and checks that the input is never changed.
 */
static bool out_of_place;

static inline int packet_either(struct sim_tls_rx *rx, uint32_t seq, uint8_t *payload, size_t len,
				bool csum_ok, enum sim_tls_rx_status *st)
{
	uint8_t *in, *orig;
	int ret;

	if (!out_of_place || !payload || !len || len > PKT_MAX)
		return sim_tls_rx_packet(rx, seq, payload, len, csum_ok, st);
	in = malloc(len);
	orig = malloc(len);
	CU_ASSERT_FATAL(in && orig);
	memcpy(in, payload, len);
	memcpy(orig, payload, len);
	memset(payload, 0xee, len); /* every byte of the output must be written */
	ret = sim_tls_rx_packet_to(rx, seq, in, payload, len, csum_ok, st);
	CU_ASSERT_EQUAL(memcmp(in, orig, len), 0);
	free(in);
	free(orig);
	return ret;
}
#define sim_tls_rx_packet packet_either

/* ---- deterministic randomness (xorshift64*) for sizes, cuts and application data ---- */

static uint64_t rng_state = 0x2545f4914f6cdd1dull;

static inline uint64_t rnd(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dull;
}

static inline void rnd_bytes(uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(rnd() >> 56);
}

static inline void put_be64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

static inline uint64_t get_be64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

static inline uint32_t get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* ---- a server's record stream from the OpenSSL peer ---- */

struct rstream {
	union tls_peer_crypto_info ci; /* server TX = the receiver's RX crypto info */
	bool tls13;
	size_t key_len;
	const uint8_t *key, *salt, *iv; /* into ci */
	uint8_t *wire;   /* the TCP payload stream */
	uint8_t *img;    /* the same, every record's payload decrypted (the ideal image) */
	uint8_t *app;    /* application data OpenSSL sent */
	size_t len;
	size_t n;
	size_t off[MAX_RECS];
	size_t rlen[MAX_RECS];
	uint64_t rn[MAX_RECS];
};

static inline const char *suite_name(bool tls13, unsigned int bits)
{
	if (tls13)
		return bits == 128 ? "TLS1.3/AES-128-GCM" : "TLS1.3/AES-256-GCM";
	return bits == 128 ? "TLS1.2/AES-128-GCM" : "TLS1.2/AES-256-GCM";
}

static inline size_t rec_hdr_len(const struct rstream *rs)
{
	return rs->tls13 ? 5 : 13;
}

/* Offset of record i's first payload byte. */
static inline size_t pay_start(const struct rstream *rs, size_t i)
{
	return rs->off[i] + rec_hdr_len(rs);
}

/* Decrypt and authenticate record i of the wire into the same place of rs->img (own code). */
static inline int ref_decrypt(const struct rstream *rs, size_t i)
{
	const uint8_t *rec = rs->wire + rs->off[i];
	size_t h = rec_hdr_len(rs), clen = rs->rlen[i] - h - 16, aad_len;
	uint8_t nonce[12], aad[13], tag[16];
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int ok, outl = 0;

	memcpy(nonce, rs->salt, 4);
	if (rs->tls13) {
		memcpy(nonce + 4, rs->iv, 8);
		for (int k = 0; k < 8; k++)
			nonce[4 + k] ^= (uint8_t)(rs->rn[i] >> (56 - 8 * k));
		memcpy(aad, rec, 5);
		aad_len = 5;
	} else {
		memcpy(nonce + 4, rec + 5, 8);
		put_be64(aad, rs->rn[i]);
		memcpy(aad + 8, rec, 3);
		aad[11] = (uint8_t)(clen >> 8);
		aad[12] = (uint8_t)clen;
		aad_len = 13;
	}
	memcpy(tag, rec + h + clen, 16);
	ok = c &&
	     EVP_DecryptInit_ex(c, rs->key_len == 16 ? EVP_aes_128_gcm() : EVP_aes_256_gcm(), NULL,
				rs->key, nonce) == 1 &&
	     EVP_DecryptUpdate(c, NULL, &outl, aad, (int)aad_len) == 1 &&
	     EVP_DecryptUpdate(c, rs->img + rs->off[i] + h, &outl, rec + h, (int)clen) == 1 &&
	     EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_SET_TAG, 16, tag) == 1 &&
	     EVP_DecryptFinal_ex(c, tag, &outl) == 1;
	EVP_CIPHER_CTX_free(c);
	return ok ? 0 : -1;
}

static inline void rstream_free(struct rstream *rs)
{
	free(rs->wire);
	free(rs->img);
	free(rs->app);
	tls_peer_crypto_info_wipe(&rs->ci);
	memset(rs, 0, sizeof(*rs));
}

/*
 * OpenSSL's server writes one record per entry of `sizes` (1..16384 bytes of application data);
 * the wire is parsed into records, each decrypted by ref_decrypt() and compared with the data.
 */
static inline int rstream_build(struct rstream *rs, bool tls13, unsigned int bits,
				const size_t *sizes, size_t n)
{
	struct tls_peer_pair *pair;
	size_t total = 0, app_off = 0, off = 0;
	ssize_t got;

	memset(rs, 0, sizeof(*rs));
	if (n > MAX_RECS)
		return -1;
	pair = tls_peer_pair_create(tls13 ? TLS1_3_VERSION : TLS1_2_VERSION, bits, NULL);
	if (!pair)
		return -1;
	if (tls_peer_export_tx(pair, TLS_PEER_SERVER, 0, &rs->ci))
		goto fail;
	rs->tls13 = tls13;
	rs->key_len = bits / 8;
	if (bits == 128) {
		rs->key = rs->ci.gcm128.key;
		rs->salt = rs->ci.gcm128.salt;
		rs->iv = rs->ci.gcm128.iv;
		rs->rn[0] = get_be64(rs->ci.gcm128.rec_seq);
	} else {
		rs->key = rs->ci.gcm256.key;
		rs->salt = rs->ci.gcm256.salt;
		rs->iv = rs->ci.gcm256.iv;
		rs->rn[0] = get_be64(rs->ci.gcm256.rec_seq);
	}
	for (size_t i = 0; i < n; i++)
		total += sizes[i];
	rs->app = malloc(total);
	if (!rs->app)
		goto fail;
	rnd_bytes(rs->app, total);
	for (size_t i = 0; i < n; i++) {
		if (tls_peer_write(pair, TLS_PEER_SERVER, rs->app + app_off, sizes[i]))
			goto fail;
		app_off += sizes[i];
	}
	rs->len = tls_peer_wire_pending(pair, TLS_PEER_SERVER);
	rs->wire = malloc(rs->len);
	rs->img = malloc(rs->len);
	if (!rs->wire || !rs->img)
		goto fail;
	got = tls_peer_take_wire(pair, TLS_PEER_SERVER, rs->wire, rs->len);
	if (got != (ssize_t)rs->len)
		goto fail;
	tls_peer_pair_destroy(pair);
	pair = NULL;
	memcpy(rs->img, rs->wire, rs->len);
	app_off = 0;
	while (off < rs->len && rs->n < n) {
		size_t i = rs->n, h = rec_hdr_len(rs);

		rs->off[i] = off;
		rs->rlen[i] = 5 + ((size_t)rs->wire[off + 3] << 8 | rs->wire[off + 4]);
		rs->rn[i] = rs->rn[0] + i;
		if (rs->rlen[i] != h + sizes[i] + (tls13 ? 1 : 0) + 16 || ref_decrypt(rs, i) ||
		    memcmp(rs->img + off + h, rs->app + app_off, sizes[i]) ||
		    (tls13 && rs->img[off + h + sizes[i]] != TLS_RT_APPLICATION_DATA))
			goto fail;
		app_off += sizes[i];
		off += rs->rlen[i];
		rs->n++;
	}
	if (off != rs->len || rs->n != n)
		goto fail;
	return 0;
fail:
	tls_peer_pair_destroy(pair);
	rstream_free(rs);
	return -1;
}

/* ---- the engine ---- */

static inline void static_params(uint8_t sp[64], const struct rstream *rs, uint64_t rn,
				 uint32_t resync_tcp_sn)
{
	struct tls_static_info info;

	memset(&info, 0, sizeof(info));
	info.tls13 = rs->tls13;
	put_be64(info.rec_seq, rn);
	memcpy(info.salt, rs->salt, 4);
	if (rs->tls13)
		memcpy(info.iv, rs->iv, 8);
	info.resync_tcp_sn = resync_tcp_sn;
	info.dek_index = 0x1234;
	memset(sp, 0, 64);
	tls_static_params_fill(sp, &info);
	explicit_bzero(&info, sizeof(info));
}

static inline void progress_start(uint8_t pp[12], uint32_t next_record_tcp_sn)
{
	memset(pp, 0, 12);
	tls_progress_params_fill(pp, next_record_tcp_sn,
				 MLX5_TLS_PROGRESS_PARAMS_RECORD_TRACKER_STATE_START,
				 MLX5_TLS_PROGRESS_PARAMS_AUTH_STATE_NO_OFFLOAD);
}

/* As the kernel adds an RX context (fact sheet 11.2 step 4): static params with resync_tcp_sn 0
 * and record rn, then progress params START at `start`. */
static inline int engine_sync(struct sim_tls_rx *rx, const struct rstream *rs, uint64_t rn,
			      uint32_t start)
{
	uint8_t sp[64];
	int ret;

	static_params(sp, rs, rn, 0);
	ret = sim_tls_rx_set_static(rx, sp, rs->key, rs->key_len);
	if (!ret) {
		uint8_t pp[12];

		progress_start(pp, start);
		ret = sim_tls_rx_set_progress(rx, pp);
	}
	explicit_bzero(sp, sizeof(sp));
	return ret;
}

static inline struct sim_tls_rx *engine_new(const struct rstream *rs, uint64_t rn, uint32_t start)
{
	struct sim_tls_rx *rx = sim_tls_rx_create();

	if (rx && engine_sync(rx, rs, rn, start)) {
		sim_tls_rx_destroy(rx);
		rx = NULL;
	}
	return rx;
}

/* The resync answer (fact sheet 11.4 step 5): static params only. */
static inline int engine_answer(struct sim_tls_rx *rx, const struct rstream *rs, uint64_t rn,
				uint32_t seq)
{
	uint8_t sp[64];
	int ret;

	static_params(sp, rs, rn, seq);
	ret = sim_tls_rx_set_static(rx, sp, rs->key, rs->key_len);
	explicit_bzero(sp, sizeof(sp));
	return ret;
}

/*
 * Deliver src[off, off + len) as one received segment at seq0 + off (its own copy, as a receive
 * buffer). The packet's output is left in out[off, off + len) when out is given. Returns the status
 * (or -1 if the call failed).
 */
static inline int deliver(struct sim_tls_rx *rx, uint32_t seq0, const uint8_t *src, size_t off,
			  size_t len, bool csum_ok, uint8_t *out)
{
	static uint8_t pkt[PKT_MAX];
	enum sim_tls_rx_status st = SIM_TLS_RX_ERROR;

	if (len > sizeof(pkt))
		return -1;
	memcpy(pkt, src + off, len);
	if (sim_tls_rx_packet(rx, seq0 + (uint32_t)off, pkt, len, csum_ok, &st))
		return -1;
	if (out)
		memcpy(out + off, pkt, len);
	return (int)st;
}

/* The bytes a packet must hold: the ideal image where DECRYPTED, what was received otherwise. */
static inline bool pkt_bytes_ok(int st, const uint8_t *got, const uint8_t *received,
				const uint8_t *img, size_t off, size_t len)
{
	return !memcmp(got + off, st == SIM_TLS_RX_DECRYPTED ? img + off : received + off, len);
}

static inline void stats(const struct sim_tls_rx *rx, struct sim_tls_rx_stats *st)
{
	sim_tls_rx_get_stats(rx, st);
}

static const bool SUITE_TLS13[4] = { false, false, true, true };
static const unsigned int SUITE_BITS[4] = { 128, 256, 128, 256 };

static inline int suite_cleanup(void)
{
	tls_peer_global_cleanup();
	return 0;
}

static inline int suite_in_place(void)
{
	out_of_place = false;
	return 0;
}

static inline int suite_out_of_place(void)
{
	out_of_place = true;
	return 0;
}

#endif
