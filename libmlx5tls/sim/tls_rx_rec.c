/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * TLS RX crypto engine of the device model: one record's AES-GCM - its nonce and AAD, the payload
 * runs (decrypted in place or into the receive buffer, or only observed), the tag check, and R5's
 * re-encryption with AES-CTR on ERROR, and the OpenSSL contexts for them, made when first needed.
 * The packet path that drives it, and the rules it follows,
 * are in tls_rx.c; the shared state is in tls_rx_internal.h.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "sim/tls_evp.h"
#include "sim/tls_rx_internal.h"

#define SINK_LEN 2048

/* output of payload runs that are only observed: per thread, not in every TIR's engine state
 * (its contents are discarded) */
static _Thread_local uint8_t sink[SINK_LEN];

static void put_be64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--) {
		p[i] = (uint8_t)v;
		v >>= 8;
	}
}

/* Both contexts hold the key: its copy is no longer needed. */
static void key_used(struct sim_tls_rx *rx)
{
	if (rx->gcm_keyed && rx->ctr_keyed)
		explicit_bzero(rx->k->key, sizeof(rx->k->key));
}

/*
 * The GCM context, keyed with the key of the last static params: made at the first record (and
 * keyed again at the first record after new static params). Every record's nonce starts with
 * the salt (RFC 5288 3; RFC 8446 5.3: the record number is XORed into the last 8 of the 12
 * bytes): the salt is the context's fixed IV part and each record sets only the 8 bytes after
 * it (gcm_begin). A new key resets the OpenSSL context, so the fixed part is set after every key.
 */
static int gcm_ready(struct sim_tls_rx *rx)
{
	if (rx->gcm_keyed)
		return 0;
	if (sim_tls_evp_key(&rx->gcm, rx->key_bits == 256 ? EVP_aes_256_gcm() : EVP_aes_128_gcm(),
			    rx->k->key, false) ||
	    EVP_CIPHER_CTX_ctrl(rx->gcm, EVP_CTRL_GCM_SET_IV_FIXED, (int)sizeof(rx->k->salt),
				rx->k->salt) != 1)
		return -EIO;
	rx->gcm_keyed = true;
	key_used(rx);
	return 0;
}

/* The CTR context with the same key: made at the first R5 restore (an ERROR packet). */
static int ctr_ready(struct sim_tls_rx *rx)
{
	if (rx->ctr_keyed)
		return 0;
	if (sim_tls_evp_key(&rx->ctr, rx->key_bits == 256 ? EVP_aes_256_ctr() : EVP_aes_128_ctr(),
			    rx->k->key, true))
		return -EIO;
	rx->ctr_keyed = true;
	key_used(rx);
	return 0;
}

/*
 * The GCM nonce of the tracked record (RFC 5288 3 / RFC 8446 5.3), made where it is needed and
 * wiped after use rather than kept with the record: it holds the salt (and in TLS 1.3 the
 * implicit IV, under the record number), which stay in secret memory only. The record number
 * and explicit nonce it is made from do not change while the record is decrypted (static params
 * that change them re-begin it: sim_tls_rx_resume_record), so every call for a record gives its
 * nonce.
 */
static void rec_nonce(const struct sim_tls_rx *rx, uint8_t iv[GCM_IV_LEN])
{
	const struct rx_rec *w = &rx->w;

	memcpy(iv, rx->k->salt, sizeof(rx->k->salt));
	if (rx->tls13) {
		memcpy(iv + 4, rx->k->implicit_iv, sizeof(rx->k->implicit_iv));
		for (int i = 0; i < 8; i++)
			iv[4 + i] ^= (uint8_t)(w->rn >> (56 - 8 * i));
	} else {
		memcpy(iv + 4, w->nonce, NONCE_LEN);
	}
}

/*
 * Start the tracked record's GCM operation: nonce and AAD (RFC 5246 6.2.3.3 / RFC 8446 5.2).
 * The nonce goes in as its last 8 bytes (the first 4 are the salt, set with the key:
 * gcm_ready), through one prepared parameter: EVP_DecryptInit_ex with the whole IV
 * asks the provider for the IV length by name on every call (OpenSSL 3 EVP_CIPHER_CTX_get_iv_
 * length), about 20 ns more per record; setting it restarts the GCM state the same way
 * (CRYPTO_gcm128_setiv).
 */
static int gcm_begin(struct sim_tls_rx *rx)
{
	struct rx_rec *w = &rx->w;
	uint8_t iv[GCM_IV_LEN];
	OSSL_PARAM prm[] = {
		OSSL_PARAM_octet_string(OSSL_CIPHER_PARAM_AEAD_TLS1_SET_IV_INV, iv + 4,
					GCM_IV_LEN - 4),
		OSSL_PARAM_END,
	};
	uint8_t aad[13];
	size_t aad_len;
	int outl = 0, ret = 0;

	if (gcm_ready(rx))
		return -EIO;
	rec_nonce(rx, iv);
	if (rx->tls13) {
		memcpy(aad, w->hdr, HDR_LEN);
		aad_len = HDR_LEN;
	} else {
		put_be64(aad, w->rn);
		aad[8] = w->hdr[0];
		aad[9] = w->hdr[1];
		aad[10] = w->hdr[2];
		aad[11] = (uint8_t)(w->pay_len >> 8);
		aad[12] = (uint8_t)w->pay_len;
		aad_len = 13;
	}
	if (EVP_CIPHER_CTX_set_params(rx->gcm, prm) != 1 ||
	    EVP_DecryptUpdate(rx->gcm, NULL, &outl, aad, (int)aad_len) != 1)
		ret = -EIO;
	explicit_bzero(iv, sizeof(iv));
	return ret;
}

/* Header (and TLS 1.2 nonce) complete: the payload follows. */
int sim_tls_rx_rec_begin(struct sim_tls_rx *rx, const struct run *r)
{
	struct rx_rec *w = &rx->w;
	uint32_t len = hdr_length(w->hdr);

	w->pay_len = len - (rx->tls13 ? TAG_LEN : TLS12_OVERHEAD);
	w->pay_off = 0;
	w->part = 0;
	w->phase = w->pay_len ? PH_PAYLOAD : PH_TAG;
	w->crypt = r->offload && !w->skip;
	if (!w->crypt)
		return 0;
	return r->mode == RUN_RESTORE ? 0 : gcm_begin(rx);
}

/* The record's last byte was passed: check its tag if it was decrypted, go to the next one. */
int sim_tls_rx_rec_end(struct sim_tls_rx *rx, struct run *r, size_t pos)
{
	struct rx_rec *w = &rx->w;
	bool count = r->mode != RUN_RESTORE;

	if (w->crypt && count) {
		/* the tag as one prepared parameter (EVP_CIPHER_CTX_ctrl builds the same one) */
		OSSL_PARAM prm[] = {
			OSSL_PARAM_octet_string(OSSL_CIPHER_PARAM_AEAD_TAG, w->tag, TAG_LEN),
			OSSL_PARAM_END,
		};
		uint8_t fin[16];
		int outl = 0;

		if (EVP_CIPHER_CTX_set_params(rx->gcm, prm) != 1)
			return -EIO;
		if (EVP_DecryptFinal_ex(rx->gcm, fin, &outl) == 1) {
			rx->c.records_ok++;
		} else {
			rx->c.auth_failures++;
			if (!r->fail) {
				r->fail = true;
				r->fail_pos = pos;
			}
		}
	} else if (r->offload && count) {
		rx->c.records_skipped++;
	}
	w->seq += w->len;
	w->rn++;
	w->len = 0;
	w->off = 0;
	w->part = 0;
	w->pay_len = 0;
	w->pay_off = 0;
	w->phase = PH_HDR;
	w->crypt = false;
	w->skip = false;
	return 0;
}

/* R8 / S2: d bytes of the tracked record (header complete, d <= what is left of it) were not
 * seen; it can no longer be authenticated. */
void sim_tls_rx_rec_skip(struct sim_tls_rx *rx, struct run *r, uint32_t d)
{
	struct rx_rec *w = &rx->w;

	w->skip = true;
	w->crypt = false;
	w->off += d;
	if (w->off == w->len)
		(void)sim_tls_rx_rec_end(rx, r, 0); /* cannot fail: no tag check */
}

/* R5 restore: re-encrypt n payload bytes at the tracked record's payload offset with the GCM
 * keystream: counter block IV || BE32(2 + offset / 16), inc32(J0) being the first payload block
 * (NIST SP 800-38D 7.1). */
static int ctr_restore(struct sim_tls_rx *rx, uint8_t *p, size_t n)
{
	const struct rx_rec *w = &rx->w;
	uint32_t blk = 2u + w->pay_off / 16u;
	uint8_t ctr[16], junk[16] = { 0 };
	int skip = (int)(w->pay_off % 16u), outl = 0, ret = 0;

	if (ctr_ready(rx))
		return -EIO;
	rec_nonce(rx, ctr);
	ctr[12] = (uint8_t)(blk >> 24);
	ctr[13] = (uint8_t)(blk >> 16);
	ctr[14] = (uint8_t)(blk >> 8);
	ctr[15] = (uint8_t)blk;
	if (EVP_EncryptInit_ex(rx->ctr, NULL, NULL, NULL, ctr) != 1 ||
	    (skip && EVP_EncryptUpdate(rx->ctr, junk, &outl, junk, skip) != 1) ||
	    EVP_EncryptUpdate(rx->ctr, p, &outl, p, (int)n) != 1 || (size_t)outl != n)
		ret = -EIO;
	explicit_bzero(ctr, sizeof(ctr)); /* the nonce, with the salt */
	explicit_bzero(junk, sizeof(junk)); /* keystream */
	return ret;
}

/* n payload bytes of the tracked record at p, as the run's mode says: decrypted in place (or
 * into r->out), only observed (GCM state advanced, output discarded), or re-encrypted (R5). */
int sim_tls_rx_payload_run(struct sim_tls_rx *rx, struct run *r, uint8_t *p, size_t n)
{
	int outl = 0;

	if (r->mode == RUN_RESTORE)
		return ctr_restore(rx, p, n);
	if (r->mode == RUN_INPLACE && !r->fail) {
		uint8_t *dst = p;

		if (r->out) {
			size_t off = (size_t)(p - r->in);

			if (off > r->copied) /* framing bytes before the run, as received */
				memcpy(r->out + r->copied, r->in + r->copied, off - r->copied);
			dst = r->out + off;
			r->copied = off + n;
		}
		if (EVP_DecryptUpdate(rx->gcm, dst, &outl, p, (int)n) != 1 || (size_t)outl != n)
			return -EIO;
		r->inplace_bytes += n;
		return 0;
	}
	while (n) {
		size_t k = min_sz(n, SINK_LEN);

		if (EVP_DecryptUpdate(rx->gcm, sink, &outl, p, (int)k) != 1 ||
		    (size_t)outl != k)
			return -EIO;
		p += k;
		n -= k;
	}
	return 0;
}

/*
 * After static params changed the crypto context or the record number (R10, R11): the tracked
 * record continues under them only if none of its payload was processed; otherwise it is passed
 * unauthenticated.
 */
int sim_tls_rx_resume_record(struct sim_tls_rx *rx)
{
	struct rx_rec *w = &rx->w;

	if (!w->len || w->skip || w->phase == PH_NONCE)
		return 0; /* header / nonce incomplete: sim_tls_rx_rec_begin runs later, with the new params */
	if ((w->phase == PH_PAYLOAD && w->pay_off == 0) ||
	    (w->phase == PH_TAG && w->pay_len == 0 && w->part == 0)) {
		w->crypt = true;
		return gcm_begin(rx);
	}
	w->crypt = false;
	w->skip = true;
	return 0;
}
