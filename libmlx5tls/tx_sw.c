/* SPDX-License-Identifier: BSD-3-Clause */
/* Software TLS TX record encryptor: see tx_sw.h. */
#include "tx_sw.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "mlx5tls_internal.h"
#include "secret.h"

#define HDR_LEN 5
#define NONCE12_LEN 8
#define TAG_LEN 16
#define GCM_IV_LEN 12

struct tx_sw {
	EVP_CIPHER_CTX *ctx;
	bool tls13;
	int err;                   /* sticky error (negative errno), 0 if fine */
	uint8_t static_iv[GCM_IV_LEN]; /* salt || iv (TLS 1.2: salt || 0, iv unused) */
	uint64_t seq;              /* record number of the record in progress / next */
	uint32_t off;              /* bytes of the current record consumed */
	uint32_t rec_len;          /* 5 + header length; 0 while the header is incomplete */
	uint32_t tag_start;        /* offset of the tag inside the record */
	uint8_t hdr[HDR_LEN];
	uint8_t nonce[GCM_IV_LEN]; /* the current record's nonce */
	uint8_t tag[TAG_LEN];
};

static void put_be64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--) {
		p[i] = (uint8_t)v;
		v >>= 8;
	}
}

int tx_sw_init(struct tx_sw **out, const struct tls_crypto_info *ci, size_t ci_len)
{
	uint8_t key[TLS_CIPHER_AES_GCM_256_KEY_SIZE];
	const EVP_CIPHER *cipher;
	struct ci_fields cf;
	struct tx_sw *sw;
	int ret;

	if (out)
		*out = NULL;
	if (!out)
		return libmlx5tls_err(-EINVAL);
	ret = crypto_info_fields(ci, ci_len, &cf);
	if (ret)
		return libmlx5tls_err(ret);
	cipher = cf.key_len == 32 ? EVP_aes_256_gcm() : EVP_aes_128_gcm();

	sw = secret_alloc(sizeof(*sw)); /* nonce and static IV */
	if (!sw)
		return libmlx5tls_err(-ENOMEM);
	sw->ctx = EVP_CIPHER_CTX_new();
	if (!sw->ctx) {
		secret_free(sw, sizeof(*sw));
		return libmlx5tls_err(-ENOMEM);
	}
	sw->tls13 = cf.tls13;
	memcpy(sw->static_iv, cf.salt, TLS_CIPHER_AES_GCM_128_SALT_SIZE);
	if (sw->tls13)
		memcpy(sw->static_iv + TLS_CIPHER_AES_GCM_128_SALT_SIZE, cf.iv,
		       TLS_CIPHER_AES_GCM_128_IV_SIZE);
	sw->seq = cf.first_record;

	memcpy(key, cf.key, cf.key_len);
	if (EVP_EncryptInit_ex(sw->ctx, cipher, NULL, NULL, NULL) != 1 ||
	    EVP_CIPHER_CTX_ctrl(sw->ctx, EVP_CTRL_GCM_SET_IVLEN, GCM_IV_LEN, NULL) != 1 ||
	    EVP_EncryptInit_ex(sw->ctx, NULL, NULL, key, NULL) != 1) {
		explicit_bzero(key, sizeof(key));
		tx_sw_free(sw);
		return libmlx5tls_err(-EIO);
	}
	explicit_bzero(key, sizeof(key));
	*out = sw;
	return 0;
}

size_t tx_sw_mem(const struct tx_sw *sw)
{
	return sw ? sizeof(*sw) : 0;
}

void tx_sw_free(struct tx_sw *sw)
{
	if (!sw)
		return;
	EVP_CIPHER_CTX_free(sw->ctx); /* cleanses the key schedule */
	explicit_bzero(sw, sizeof(*sw));
	secret_free(sw, sizeof(*sw));
}

/* Fail stickily. */
static int set_err(struct tx_sw *sw, int err)
{
	sw->err = err;
	return libmlx5tls_err(err);
}

/* The header is complete: validate it and derive the record geometry. */
static int parse_header(struct tx_sw *sw)
{
	uint32_t body = ((uint32_t)sw->hdr[3] << 8) | sw->hdr[4];
	uint32_t min = sw->tls13 ? 1 + TAG_LEN : NONCE12_LEN + TAG_LEN;

	if (sw->hdr[1] != 0x03 || sw->hdr[2] != 0x03 || body < min || body > TX_SW_MAX_RECORD_BODY)
		return -EBADMSG;
	sw->rec_len = HDR_LEN + body;
	sw->tag_start = sw->rec_len - TAG_LEN;
	return 0;
}

/* Nonce and AAD are known: start the GCM operation of the current record. */
static int start_record(struct tx_sw *sw)
{
	uint8_t aad[13];
	size_t aad_len;
	int outl = 0, ok;

	if (sw->tls13) {
		memcpy(sw->nonce, sw->static_iv, GCM_IV_LEN);
		for (int i = 0; i < 8; i++)
			sw->nonce[4 + i] ^= (uint8_t)(sw->seq >> (56 - 8 * i));
		memcpy(aad, sw->hdr, HDR_LEN);
		aad_len = HDR_LEN;
	} else {
		/* sw->nonce[4..11] holds the explicit nonce taken from the record. */
		uint32_t pt_len = sw->tag_start - HDR_LEN - NONCE12_LEN;

		memcpy(sw->nonce, sw->static_iv, TLS_CIPHER_AES_GCM_128_SALT_SIZE);
		put_be64(aad, sw->seq);
		aad[8] = sw->hdr[0];
		aad[9] = 0x03;
		aad[10] = 0x03;
		aad[11] = (uint8_t)(pt_len >> 8);
		aad[12] = (uint8_t)pt_len;
		aad_len = 13;
	}
	ok = EVP_EncryptInit_ex(sw->ctx, NULL, NULL, NULL, sw->nonce) == 1 &&
	     EVP_EncryptUpdate(sw->ctx, NULL, &outl, aad, (int)aad_len) == 1;
	explicit_bzero(aad, sizeof(aad));
	return ok ? 0 : -EIO;
}

/* The payload is done: compute the tag. */
static int finish_payload(struct tx_sw *sw)
{
	uint8_t dummy[TAG_LEN];
	int outl = 0;

	if (EVP_EncryptFinal_ex(sw->ctx, dummy, &outl) != 1 ||
	    EVP_CIPHER_CTX_ctrl(sw->ctx, EVP_CTRL_GCM_GET_TAG, TAG_LEN, sw->tag) != 1)
		return -EIO;
	return 0;
}

static size_t min_sz(size_t a, size_t b)
{
	return a < b ? a : b;
}

int tx_sw_encrypt(struct tx_sw *sw, uint8_t *payload, size_t len)
{
	size_t pos = 0;
	int ret;

	if (!sw || (!payload && len))
		return libmlx5tls_err(-EINVAL);
	if (sw->err)
		return libmlx5tls_err(sw->err);

	while (pos < len) {
		size_t avail = len - pos, n;
		uint8_t *p = payload + pos;

		if (sw->off < HDR_LEN) {
			n = min_sz(avail, HDR_LEN - sw->off);
			memcpy(sw->hdr + sw->off, p, n);
			sw->off += (uint32_t)n;
			pos += n;
			if (sw->off < HDR_LEN)
				break;
			if (parse_header(sw))
				return set_err(sw, -EBADMSG);
			if (sw->tls13 && start_record(sw))
				return set_err(sw, -EIO);
		} else if (!sw->tls13 && sw->off < HDR_LEN + NONCE12_LEN) {
			uint32_t at = sw->off - HDR_LEN;

			n = min_sz(avail, NONCE12_LEN - at);
			memcpy(sw->nonce + 4 + at, p, n);
			sw->off += (uint32_t)n;
			pos += n;
			if (sw->off < HDR_LEN + NONCE12_LEN)
				break;
			if (start_record(sw))
				return set_err(sw, -EIO);
		} else if (sw->off < sw->tag_start) {
			int outl = 0;

			n = min_sz(avail, sw->tag_start - sw->off);
			/* n <= TX_SW_MAX_RECORD_BODY, so it fits an int. */
			if (EVP_EncryptUpdate(sw->ctx, p, &outl, p, (int)n) != 1 || (size_t)outl != n)
				return set_err(sw, -EIO);
			sw->off += (uint32_t)n;
			pos += n;
		} else {
			uint32_t at = sw->off - sw->tag_start;

			n = min_sz(avail, TAG_LEN - at);
			memcpy(p, sw->tag + at, n);
			sw->off += (uint32_t)n;
			pos += n;
			if (sw->off == sw->rec_len) {
				sw->seq++;
				sw->off = 0;
				sw->rec_len = 0;
				sw->tag_start = 0;
				explicit_bzero(sw->tag, sizeof(sw->tag));
			}
			continue;
		}
		/* Entering or inside the payload: compute the tag once the payload is done. */
		if (sw->off == sw->tag_start) {
			ret = finish_payload(sw);
			if (ret)
				return set_err(sw, ret);
		}
	}
	return 0;
}

uint64_t tx_sw_next_record(const struct tx_sw *sw)
{
	return sw->seq;
}

uint32_t tx_sw_record_offset(const struct tx_sw *sw)
{
	return sw->off;
}

uint32_t tx_sw_record_len(const struct tx_sw *sw)
{
	return sw->rec_len;
}
