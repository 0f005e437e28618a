/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * One TLS record on the wire for the selftest: a frame carrying a kTLS-style plaintext record,
 * and an independent check of what the device made of it (OpenSSL EVP AES-GCM, RFC 5246 / 8446),
 * so the selftest proves the inline encryption without trusting the library.
 */
#include <errno.h>
#include <string.h>

#include <openssl/evp.h>

#include "be_bytes.h"
#include "tls_wire.h"

#define ETH_HLEN 14u
#define IP_HLEN 20u
#define TCP_HLEN 20u
#define HDRS (ETH_HLEN + IP_HLEN + TCP_HLEN)
#define TAG_LEN 16u
#define NONCE12_LEN 8u

struct ci_view {
	const uint8_t *key, *salt, *iv, *rec_seq;
	size_t key_len;
	bool tls13;
};

static void view(const union tool_crypto_info *ci, struct ci_view *v)
{
	v->tls13 = ci->info.version == TLS_1_3_VERSION;
	if (ci->info.cipher_type == TLS_CIPHER_AES_GCM_256) {
		v->key = ci->gcm256.key;
		v->key_len = sizeof(ci->gcm256.key);
		v->salt = ci->gcm256.salt;
		v->iv = ci->gcm256.iv;
		v->rec_seq = ci->gcm256.rec_seq;
	} else {
		v->key = ci->gcm128.key;
		v->key_len = sizeof(ci->gcm128.key);
		v->salt = ci->gcm128.salt;
		v->iv = ci->gcm128.iv;
		v->rec_seq = ci->gcm128.rec_seq;
	}
}

size_t tool_tls_frame(uint8_t *buf, size_t cap, const union tool_crypto_info *ci,
		      uint32_t tcp_seq, const uint8_t *pt, size_t pt_len)
{
	struct ci_view v;
	size_t body, rec, off = HDRS;

	view(ci, &v);
	body = (v.tls13 ? pt_len + 1 : NONCE12_LEN + pt_len) + TAG_LEN;
	rec = 5 + body;
	if (HDRS + rec > cap || body > 16384 + 256)
		return 0;
	memset(buf, 0, HDRS + rec);
	buf[0] = 0x02, buf[5] = 0x02, buf[6] = 0x02, buf[11] = 0x01; /* locally administered MACs */
	put16(buf + 12, 0x0800);
	buf[14] = 0x45;
	put16(buf + 16, IP_HLEN + TCP_HLEN + (uint32_t)rec);
	put16(buf + 20, 0x4000);
	buf[22] = 64;
	buf[23] = 6;
	put32(buf + 26, 0xc6120001); /* 198.18.0.1 -> 198.18.0.2 (RFC 2544 benchmarking range) */
	put32(buf + 30, 0xc6120002);
	put16(buf + 34, 443);
	put16(buf + 36, 40000);
	put32(buf + 38, tcp_seq);
	buf[46] = 5 << 4;
	buf[47] = 0x18;
	put16(buf + 48, 65535);
	buf[off++] = 23; /* application data */
	buf[off++] = 3;
	buf[off++] = 3;
	put16(buf + off, (uint32_t)body);
	off += 2;
	if (!v.tls13) {
		memcpy(buf + off, v.rec_seq, NONCE12_LEN); /* explicit nonce: the record number */
		off += NONCE12_LEN;
	}
	memcpy(buf + off, pt, pt_len);
	off += pt_len;
	if (v.tls13)
		buf[off++] = 23; /* inner content type */
	return off + TAG_LEN;
}

int tool_tls_check_frame(const uint8_t *f, size_t len, const union tool_crypto_info *ci,
			 const uint8_t *pt, size_t pt_len)
{
	uint8_t nonce[12], aad[13], out[16384 + 256], tag[TAG_LEN];
	const uint8_t *rec = f + HDRS, *ct;
	size_t body, ct_len, aad_len;
	struct ci_view v;
	EVP_CIPHER_CTX *c;
	int n = 0, ok;

	view(ci, &v);
	if (len < HDRS + 5)
		return -EINVAL;
	body = (size_t)rec[3] << 8 | rec[4];
	if (HDRS + 5 + body > len || body < TAG_LEN + (v.tls13 ? 1 : NONCE12_LEN))
		return -EINVAL;
	memcpy(nonce, v.salt, 4);
	if (v.tls13) {
		/* RFC 8446 5.3: (salt || iv) XOR padded record number; AAD = the record header */
		memcpy(nonce + 4, v.iv, 8);
		for (int i = 0; i < 8; i++)
			nonce[4 + i] ^= v.rec_seq[i];
		memcpy(aad, rec, 5);
		aad_len = 5;
		ct = rec + 5;
		ct_len = body - TAG_LEN;
	} else {
		/* RFC 5288: salt || explicit nonce; AAD = seq || type || version || length */
		memcpy(nonce + 4, rec + 5, NONCE12_LEN);
		memcpy(aad, v.rec_seq, 8);
		memcpy(aad + 8, rec, 3);
		put16(aad + 11, (uint32_t)(body - NONCE12_LEN - TAG_LEN));
		aad_len = 13;
		ct = rec + 5 + NONCE12_LEN;
		ct_len = body - NONCE12_LEN - TAG_LEN;
	}
	memcpy(tag, ct + ct_len, TAG_LEN);
	c = EVP_CIPHER_CTX_new();
	if (!c)
		return -ENOMEM;
	ok = EVP_DecryptInit_ex(c, v.key_len == 32 ? EVP_aes_256_gcm() : EVP_aes_128_gcm(), NULL,
				v.key, nonce) &&
	     EVP_DecryptUpdate(c, NULL, &n, aad, (int)aad_len) &&
	     EVP_DecryptUpdate(c, out, &n, ct, (int)ct_len) &&
	     EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, TAG_LEN, tag) &&
	     EVP_DecryptFinal_ex(c, out + n, &n);
	EVP_CIPHER_CTX_free(c);
	if (!ok)
		return -EBADMSG;
	if (ct_len != pt_len + (v.tls13 ? 1 : 0) || memcmp(out, pt, pt_len))
		return -EBADMSG;
	return 0;
}
