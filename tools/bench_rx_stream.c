/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mlx5tls-bench rx: the peer's side. The records encrypted with EVP AES-GCM exactly as a TLS
 * 1.2/1.3 sender does, the stream cut into 1448-byte TCP segments in Ethernet/IPv4/TCP frames
 * with valid checksums (the device checks them). Built once per record size, before any pass.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "bench_rx_shared.h"

/* RFC 1071 one's-complement sum, folded and inverted. */
static uint32_t csum_add(uint32_t s, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		s += get16(p + i);
	if (n & 1)
		s += (uint32_t)p[n - 1] << 8;
	return s;
}

static uint16_t csum_fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

static const uint8_t *ci_salt(const struct rxb *b)
{
	return b->suite->key_bits == 128 ? b->ci.gcm128.salt : b->ci.gcm256.salt;
}

static const uint8_t *ci_iv(const struct rxb *b)
{
	return b->suite->key_bits == 128 ? b->ci.gcm128.iv : b->ci.gcm256.iv;
}

/* The record's GCM nonce and AAD as a TLS sender computes them (RFC 5288, RFC 8446 5.2-5.3):
 * TLS 1.2 salt || explicit nonce, AAD seq || header with the plaintext length; TLS 1.3
 * (salt || iv) ^ seq, AAD the header. Returns the AAD length. */
size_t rx_record_crypto(const struct rxb *b, const uint8_t *rec, uint64_t seq, size_t pt_len,
			uint8_t nonce[12], uint8_t aad[13])
{
	memcpy(nonce, ci_salt(b), 4);
	if (is_tls12(b)) {
		memcpy(nonce + 4, rec + TLS_HDR, TLS12_NONCE);
		put64(aad, seq);
		memcpy(aad + 8, rec, 3);
		put16(aad + 11, (uint32_t)pt_len);
		return 13;
	}
	memcpy(nonce + 4, ci_iv(b), 8);
	for (int i = 0; i < 8; i++)
		nonce[4 + i] ^= (uint8_t)(seq >> (56 - 8 * i));
	memcpy(aad, rec, TLS_HDR);
	return TLS_HDR;
}

/* Encrypt the records as the peer (a separate EVP context: the sender's, not the baseline's). */
static int encrypt_stream(struct rxb *b, struct rx_set *s)
{
	const EVP_CIPHER *cipher = b->suite->key_bits == 128 ? EVP_aes_128_gcm()
							       : EVP_aes_256_gcm();
	const uint8_t *key = b->suite->key_bits == 128 ? b->ci.gcm128.key : b->ci.gcm256.key;
	/* TLS 1.3: the inner content type is encrypted with the data */
	size_t ct_len = s->rec_size + (is_tls12(b) ? 0u : 1u);
	EVP_CIPHER_CTX *enc = EVP_CIPHER_CTX_new();
	int ok = enc && EVP_EncryptInit_ex(enc, cipher, NULL, key, NULL) == 1, outl = 0;

	for (uint32_t r = 0; ok && r < s->records; r++) {
		uint8_t *rec = s->stream + (size_t)r * s->rec_len, *body = rec + body_off(b);
		uint8_t nonce[12], aad[13];
		size_t aad_len;

		rec[0] = RX_CT_APP;
		rec[1] = 3;
		rec[2] = 3;
		put16(rec + 3, (uint32_t)(s->rec_len - TLS_HDR));
		if (is_tls12(b))
			put64(rec + TLS_HDR, r); /* explicit nonce = record number, as kTLS */
		memcpy(body, s->pt + (size_t)r * s->rec_size, s->rec_size);
		if (!is_tls12(b))
			body[s->rec_size] = RX_CT_APP;
		aad_len = rx_record_crypto(b, rec, r, s->rec_size, nonce, aad);
		ok = EVP_EncryptInit_ex(enc, NULL, NULL, NULL, nonce) == 1 &&
		     EVP_EncryptUpdate(enc, NULL, &outl, aad, (int)aad_len) == 1 &&
		     EVP_EncryptUpdate(enc, body, &outl, body, (int)ct_len) == 1 &&
		     EVP_EncryptFinal_ex(enc, body + ct_len, &outl) == 1 &&
		     EVP_CIPHER_CTX_ctrl(enc, EVP_CTRL_GCM_GET_TAG, TLS_TAG, body + ct_len) == 1;
	}
	EVP_CIPHER_CTX_free(enc);
	return ok ? 0 : -EIO;
}

/* Segment i of the stream from the peer 198.18.0.2:443 to us, 198.18.0.1:40000. */
static void build_frame(const struct rx_set *s, uint32_t i)
{
	uint8_t *f = s->frames + (size_t)i * RX_FRAME_STRIDE, *ip = f + 14, *tcp = ip + 20;
	size_t off = (size_t)i * RX_MSS;
	uint32_t n = off + RX_MSS > s->stream_len ? (uint32_t)(s->stream_len - off) : RX_MSS;

	memset(f, 0, RX_HDR_LEN);
	f[0] = 0x02;
	f[5] = 0x01;
	f[6] = 0x02;
	f[11] = 0x02;
	put16(f + 12, 0x0800);
	ip[0] = 0x45;
	put16(ip + 2, 40 + n);
	put16(ip + 6, 0x4000);
	ip[8] = 64;
	ip[9] = 6;
	put32(ip + 12, 0xc6120002);
	put32(ip + 16, 0xc6120001);
	put16(ip + 10, csum_fold(csum_add(0, ip, 20)));
	put16(tcp, 443);
	put16(tcp + 2, 40000);
	put32(tcp + 4, RX_ISN + (uint32_t)off);
	put32(tcp + 8, 1);
	tcp[12] = 5 << 4;
	tcp[13] = 0x18;
	put16(tcp + 14, 65535);
	memcpy(tcp + 20, s->stream + off, n);
	/* pseudo-header: addresses, protocol, TCP length */
	put16(tcp + 16, csum_fold(csum_add(csum_add(0, ip + 12, 8) + 6 + 20 + n, tcp, 20 + n)));
}

uint32_t rx_frame_len(const struct rx_set *s, uint32_t i)
{
	size_t off = (size_t)i * RX_MSS;

	return RX_HDR_LEN + (off + RX_MSS > s->stream_len ? (uint32_t)(s->stream_len - off)
							  : RX_MSS);
}

void rx_set_free(struct rx_set *s)
{
	free(s->pt);
	free(s->stream);
	free(s->frames);
	memset(s, 0, sizeof(*s));
}

int rx_set_build(struct rxb *b, struct rx_set *s, uint32_t rec_size)
{
	size_t pt_len;
	int ret;

	memset(s, 0, sizeof(*s));
	s->rec_size = rec_size;
	s->rec_len = body_off(b) + rec_size + (is_tls12(b) ? 0u : 1u) + TLS_TAG;
	s->records = (uint32_t)(RX_STREAM_BYTES / s->rec_len);
	s->stream_len = s->rec_len * s->records;
	s->nframes = (uint32_t)((s->stream_len + RX_MSS - 1) / RX_MSS);
	pt_len = (size_t)rec_size * s->records;
	s->pt = malloc(pt_len);
	s->stream = malloc(s->stream_len);
	s->frames = malloc((size_t)s->nframes * RX_FRAME_STRIDE);
	if (!s->pt || !s->stream || !s->frames)
		return -ENOMEM;
	/* every record different, so a record delivered twice or out of place is caught */
	for (size_t i = 0; i < pt_len; i++)
		s->pt[i] = (uint8_t)(i * 29u + (i >> 10));
	ret = encrypt_stream(b, s);
	if (ret)
		return ret;
	for (uint32_t i = 0; i < s->nframes; i++)
		build_frame(s, i);
	return 0;
}
