/* SPDX-License-Identifier: BSD-3-Clause */
/* Completion of received TLS records (rx_sw.h). */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "mlx5tls_internal.h"
#include "rx_sw.h"
#include "secret.h"

#define HDR_LEN 5u
#define TAG_LEN 16u
#define NONCE12_LEN 8u
#define MAX_BODY (16384u + 256u) /* RFC 8446 5.2 */
#define TLS13_OUTER_TYPE 23u

struct rx_sw {
	bool tls13;
	bool failed;        /* sticky after a record that does not verify */
	EVP_CIPHER_CTX *gcm;
	EVP_CIPHER_CTX *ctr;
	const EVP_CIPHER *ctr_cipher;
	uint8_t key[32];
	size_t key_len;
	uint8_t salt[4];
	uint8_t iv[8];
	uint64_t seq;       /* record number of the record being assembled */
	uint32_t have;      /* bytes of it held */
	uint32_t need;      /* its total length; 0 while the header is incomplete */
	unsigned int last_status;
	struct rx_sw_stats st;
	uint8_t rec[HDR_LEN + MAX_BODY];
	uint8_t dec[HDR_LEN + MAX_BODY]; /* 1: the byte came decrypted */
};

static void put_be64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

int rx_sw_init(struct rx_sw **out, const struct tls_crypto_info *ci, size_t ci_len)
{
	struct ci_fields cf;
	struct rx_sw *rx;
	size_t key_len;
	int ret;

	*out = NULL;
	ret = crypto_info_fields(ci, ci_len, &cf);
	if (ret)
		return ret;
	key_len = cf.key_len;
	rx = secret_alloc(sizeof(*rx)); /* key, and the plaintext of the record being verified */
	if (!rx)
		return -ENOMEM;
	rx->tls13 = cf.tls13;
	memcpy(rx->key, cf.key, key_len);
	rx->key_len = key_len;
	memcpy(rx->salt, cf.salt, sizeof(rx->salt));
	memcpy(rx->iv, cf.iv, sizeof(rx->iv));
	rx->seq = cf.first_record;
	rx->gcm = EVP_CIPHER_CTX_new();
	rx->ctr = EVP_CIPHER_CTX_new();
	rx->ctr_cipher = key_len == 32 ? EVP_aes_256_ctr() : EVP_aes_128_ctr();
	if (!rx->gcm || !rx->ctr ||
	    EVP_DecryptInit_ex(rx->gcm, key_len == 32 ? EVP_aes_256_gcm() : EVP_aes_128_gcm(),
			       NULL, rx->key, NULL) != 1) {
		rx_sw_free(rx);
		return -EIO;
	}
	*out = rx;
	return 0;
}

void rx_sw_free(struct rx_sw *rx)
{
	if (!rx)
		return;
	EVP_CIPHER_CTX_free(rx->gcm); /* cleanses the key schedules */
	EVP_CIPHER_CTX_free(rx->ctr);
	explicit_bzero(rx, sizeof(*rx));
	secret_free(rx, sizeof(*rx));
}

uint32_t rx_sw_held(const struct rx_sw *rx)
{
	return rx->have;
}

uint32_t rx_sw_to_boundary(const struct rx_sw *rx)
{
	return rx->need ? rx->need - rx->have : HDR_LEN - rx->have;
}

uint64_t rx_sw_next_record(const struct rx_sw *rx)
{
	return rx->seq;
}

void rx_sw_get_stats(const struct rx_sw *rx, struct rx_sw_stats *st)
{
	*st = rx->st;
}

/* The 12-byte GCM nonce of the record held (RFC 5288 / RFC 8446 5.3). */
static void record_nonce(const struct rx_sw *rx, uint8_t nonce[12])
{
	memcpy(nonce, rx->salt, 4);
	if (rx->tls13) {
		uint8_t seq[8];

		put_be64(seq, rx->seq);
		for (int i = 0; i < 8; i++)
			nonce[4 + i] = rx->iv[i] ^ seq[i];
	} else {
		memcpy(nonce + 4, rx->rec + HDR_LEN, NONCE12_LEN);
	}
}

/*
 * Put the keystream back on payload[off, off+n): AES-GCM encrypts payload block i with the
 * counter block nonce || BE32(2 + i) (NIST SP 800-38D, 96-bit IV: J0 = nonce || 1), so the same
 * AES-CTR run turns the plaintext the device wrote back into the ciphertext that was sent.
 */
static int reencrypt(struct rx_sw *rx, const uint8_t nonce[12], uint8_t *payload, uint32_t off,
		     uint32_t n)
{
	static const uint8_t zeros[16];
	uint8_t ctr[16], skip[16];
	uint32_t block = off / 16;
	int outl = 0;

	memcpy(ctr, nonce, 12);
	ctr[12] = (uint8_t)((block + 2) >> 24);
	ctr[13] = (uint8_t)((block + 2) >> 16);
	ctr[14] = (uint8_t)((block + 2) >> 8);
	ctr[15] = (uint8_t)(block + 2);
	if (EVP_EncryptInit_ex(rx->ctr, rx->ctr_cipher, NULL, rx->key, ctr) != 1 ||
	    (off % 16 && EVP_EncryptUpdate(rx->ctr, skip, &outl, zeros, (int)(off % 16)) != 1) ||
	    EVP_EncryptUpdate(rx->ctr, payload + off, &outl, payload + off, (int)n) != 1)
		return -EIO;
	rx->st.reencrypted_bytes += n;
	return 0;
}

/* Decrypt and verify the held record in software, in place. 0 or -EBADMSG / -EIO. */
static int verify_sw(struct rx_sw *rx, const uint8_t nonce[12], uint32_t body_off,
		     uint32_t pt_len)
{
	uint8_t *payload = rx->rec + body_off, aad[13];
	size_t aad_len;
	int outl = 0, ret;

	/* encrypt the device-decrypted runs again: the whole record is then as sent */
	for (uint32_t i = 0; i < pt_len;) {
		uint32_t j = i;

		if (!rx->dec[body_off + i]) {
			i++;
			continue;
		}
		while (j < pt_len && rx->dec[body_off + j])
			j++;
		ret = reencrypt(rx, nonce, payload, i, j - i);
		if (ret)
			return ret;
		i = j;
	}
	if (rx->tls13) {
		memcpy(aad, rx->rec, HDR_LEN);
		aad_len = HDR_LEN;
	} else {
		put_be64(aad, rx->seq);
		memcpy(aad + 8, rx->rec, 3);
		aad[11] = (uint8_t)(pt_len >> 8);
		aad[12] = (uint8_t)pt_len;
		aad_len = sizeof(aad);
	}
	if (EVP_DecryptInit_ex(rx->gcm, NULL, NULL, NULL, nonce) != 1 ||
	    EVP_DecryptUpdate(rx->gcm, NULL, &outl, aad, (int)aad_len) != 1 ||
	    EVP_DecryptUpdate(rx->gcm, payload, &outl, payload, (int)pt_len) != 1 ||
	    EVP_CIPHER_CTX_ctrl(rx->gcm, EVP_CTRL_GCM_SET_TAG, TAG_LEN, payload + pt_len) != 1)
		return -EIO;
	if (EVP_DecryptFinal_ex(rx->gcm, payload + pt_len, &outl) != 1)
		return -EBADMSG;
	return 0;
}

/* The held record is complete: verify it (device or software) and deliver it. */
static int complete_record(struct rx_sw *rx, rx_sw_record_fn cb, void *ctx)
{
	uint32_t body_off = HDR_LEN + (rx->tls13 ? 0 : NONCE12_LEN);
	uint32_t pt_len = rx->need - body_off - TAG_LEN;
	/* the device vouches for the tag only if it saw and decrypted every payload byte */
	bool by_device = rx->last_status == RX_SW_DECRYPTED &&
			 !memchr(rx->dec + body_off, 0, pt_len);
	const uint8_t *pt = rx->rec + body_off;
	uint8_t type = rx->rec[0];
	int ret = 0;

	if (!by_device) {
		uint8_t nonce[12];

		record_nonce(rx, nonce);
		ret = verify_sw(rx, nonce, body_off, pt_len);
		explicit_bzero(nonce, sizeof(nonce));
		if (ret) {
			rx->st.failed++;
			rx->failed = true;
			return ret;
		}
	}
	if (rx->tls13) {
		/* RFC 8446 5.4: the content type is the last non-zero byte */
		while (pt_len && !pt[pt_len - 1])
			pt_len--;
		if (!pt_len) {
			rx->failed = true;
			return -EBADMSG;
		}
		type = pt[--pt_len];
	}
	rx->st.records++;
	if (by_device)
		rx->st.by_device++;
	else
		rx->st.by_software++;
	rx->seq++;
	rx->have = 0;
	rx->need = 0;
	ret = cb ? cb(ctx, type, pt, pt_len) : 0;
	explicit_bzero(rx->rec, body_off + pt_len);
	return ret;
}

static bool header_ok(const struct rx_sw *rx, const uint8_t *h, uint32_t *body)
{
	uint32_t min = (rx->tls13 ? 1u : NONCE12_LEN) + TAG_LEN;

	*body = (uint32_t)h[3] << 8 | h[4];
	if (h[1] != 3 || h[2] != 3 || *body < min || *body > MAX_BODY)
		return false;
	return rx->tls13 ? h[0] == TLS13_OUTER_TYPE : h[0] >= 20 && h[0] <= 24;
}

int rx_sw_input(struct rx_sw *rx, const uint8_t *data, size_t len, unsigned int status,
		rx_sw_record_fn cb, void *ctx)
{
	if (!rx || (!data && len) || status > RX_SW_ERROR)
		return -EINVAL;
	if (rx->failed)
		return -EBADMSG;
	while (len) {
		uint32_t want = rx->need ? rx->need - rx->have : HDR_LEN - rx->have;
		uint32_t n = len < want ? (uint32_t)len : want;

		memcpy(rx->rec + rx->have, data, n);
		memset(rx->dec + rx->have, status == RX_SW_DECRYPTED, n);
		rx->last_status = status;
		rx->have += n;
		data += n;
		len -= n;
		if (!rx->need && rx->have == HDR_LEN) {
			uint32_t body = 0;

			if (!header_ok(rx, rx->rec, &body)) {
				rx->failed = true;
				return -EBADMSG;
			}
			rx->need = HDR_LEN + body;
			continue;
		}
		if (rx->need && rx->have == rx->need) {
			int ret = complete_record(rx, cb, ctx);

			if (ret)
				return ret;
		}
	}
	return 0;
}
