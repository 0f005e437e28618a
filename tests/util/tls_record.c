/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The OpenSSL peer harness's software TLS record reference (tls_peer.h): crypto info views, and
 * records laid out, encrypted and decrypted with AES-GCM by this file's own nonce and AAD
 * construction (RFC 5246 6.2.3.3 / RFC 8446 5.2-5.3) on OpenSSL EVP - no TLS code of OpenSSL.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#include "tls_peer_internal.h"

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
		/* The kernel writes its running copy of crypto_info.iv, advanced once per
		 * record. */
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
