/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * TLS TX crypto engine of the device model (interface and record formats: tls_tx.h).
 *
 * Model readings (DESIGN.md "Its behaviour is cited"; where the public record is silent the model
 * takes the reading the kernel's and NVIDIA's drivers rely on):
 *
 *  R1 Record tracker after progress params. The TX driver always posts progress params with
 *     record_tracker_state START, auth_state NO_OFFLOAD and next_record_tcp_sn 0 (fact sheet 7,
 *     T-txrxc fill_progress_params; 10.3 step 3), at connection start and on every OOO resync,
 *     and then replays the record being resumed FROM ITS FIRST BYTE with DUMP WQEs (10.4 steps
 *     2-4; XLIO does the same). How the device finds the record header after such a START is not
 *     public (fact sheet 15); the only reading under which both drivers work is: after START the
 *     next byte this TIS processes - DUMP or data - is the first byte of a record header, and the
 *     engine re-parses the record from it (14b "Out-of-order TX", inferred).
 *  R2 Record number after START. The kernel re-posts static params on resync only if the record
 *     number of the replayed record differs from the rec_seq it last posted, else progress params
 *     alone (fact sheet 6 "TX resync", 10.4 step 3). That is only correct if a START restarts the
 *     record count at the initial_record_number of the last static params, not at the count the
 *     device reached since; the engine does so. Records then count up by one per record.
 *  R3 Other progress params. next_record_tcp_sn != 0, tracker TRACKING/SEARCHING, auth OFFLOAD/
 *     AUTHENTICATION or a non-zero device-written field (hw_resync_tcp_sn,
 *     hw_offset_record_number) are never posted on TX and their TX meaning is not public
 *     (fact sheet 7, 15): -EINVAL rather than a guess.
 *  R4 No START since static params. Both drivers always follow a static params UMR with progress
 *     params (10.3 step 3, 10.4 step 3). DUMP or data on a context that has static params but no
 *     START since is refused (-EPROTO, the WQE fails) rather than guessed at.
 *  R5 Sequence tracking. The device keeps the expected TCP sequence per context (14b, DOC "Normal
 *     operation"); the driver must resync before sending anything else (10.3 step 4, 10.4). The
 *     model never resynchronises by itself: a segment at an unexpected sequence without a resync
 *     posted since is processed as the continuation of the byte stream - the wrong ciphertext and
 *     tag a real device would emit - and counted (seq_mismatch). After a START the expected
 *     sequence is unknown and the next data segment sets it (the driver's first segment after a
 *     resync is by construction the one it resynced for).
 *  R6 Malformed records. A header whose length field is below the record overhead (TLS 1.2: 8
 *     nonce + 16 tag = 24; TLS 1.3: 1 content type + 16 tag = 17) or above 2^14 + 256 (RFC 8446
 *     5.2; kTLS never builds larger TLS 1.2 records either), whose version bytes are not 0x03 0x03
 *     (RFC 5246 6.2.1, RFC 8446 5.1 legacy_record_version) or, for TLS 1.3, whose outer type is
 *     not application_data 0x17 (RFC 8446 5.2), cannot be delineated. What hardware does then is
 *     unknown; the model passes every byte through unmodified from there until the next START and
 *     counts the record (malformed). The driver resyncs anyway on its next OOO event.
 *  R7 DUMP bytes are consumed by the record state exactly like data (header parse, GCM update,
 *     record counting) and never output (fact sheet 8.6, 14b).
 *
 * Efficiency: one EVP_EncryptUpdate per contiguous payload run (in place), header/nonce/tag bytes
 * handled by small copies, no allocation after create but the OpenSSL context at the first
 * record (tls_evp.h: a TIS that sends nothing holds none); DUMP payload is encrypted into a
 * per-thread scratch buffer, since DUMP output is discarded.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "prm/mlx5_ifc_tls.h"
#include "secret.h"
#include "sim/sq.h"
#include "sim/tls_evp.h"
#include "sim/tls_tx.h"

#define TLS12_OVERHEAD (SIM_TLS_TX_NONCE_LEN + SIM_TLS_TX_TAG_LEN) /* 24 */
#define TLS13_OVERHEAD (1u + SIM_TLS_TX_TAG_LEN)                   /* 17 */
#define TLS13_OUTER_TYPE 0x17
#define GCM_IV_LEN 12
#define SCRATCH_LEN 4096

struct sim_tls_tx {
	/* made and keyed from key[] by the first record after static params (tls_evp.h): a TIS
	 * whose connection never sends a record holds none; IV per record */
	EVP_CIPHER_CTX *evp;
	enum sim_tls_tx_state state;
	bool tls13;
	bool keyed;               /* evp holds the key of the last static params */
	uint32_t key_bits;        /* 128 or 256: the length of key[]; 0 before static params */
	uint8_t salt[4];          /* gcm_iv */
	uint8_t implicit_iv[8];   /* TLS 1.3 */
	uint64_t initial_rn;      /* initial_record_number of the last static params */
	uint64_t rn;              /* current record (or next to start) */

	/* the record being processed */
	uint8_t hdr[SIM_TLS_TX_HDR_LEN];
	uint8_t nonce[SIM_TLS_TX_NONCE_LEN];
	uint8_t tag[SIM_TLS_TX_TAG_LEN];
	uint32_t part;     /* bytes of the current header / nonce / tag field seen */
	uint32_t pay_left; /* payload bytes still to encrypt */
	uint32_t rec_off;  /* bytes of the record seen */
	uint32_t rec_len;  /* 5 + length field; 0 while the header is incomplete */

	bool seq_known;
	uint32_t expected_seq;

	struct sim_tls_tx_stats c; /* counters only; state fields are filled by get_stats */
	/* The key of the DEK the last static params named, as tls_ctx.c read it when they were
	 * posted: here, in secret memory like the whole engine state, until evp holds it, then
	 * wiped. Last, so that the state fills a 256-byte secret chunk exactly. */
	uint8_t key[32];
};

/* DUMP ciphertext sink: per thread, not per context (the engine state of an idle TIS stays
 * small; its contents are discarded, so sharing it across contexts is harmless) */
static _Thread_local uint8_t dump_scratch[SCRATCH_LEN];

const char *sim_tls_tx_state_str(enum sim_tls_tx_state st)
{
	switch (st) {
	case SIM_TLS_TX_NO_STATIC:
		return "NO_STATIC";
	case SIM_TLS_TX_WAIT_START:
		return "WAIT_START";
	case SIM_TLS_TX_HEADER:
		return "HEADER";
	case SIM_TLS_TX_NONCE:
		return "NONCE";
	case SIM_TLS_TX_PAYLOAD:
		return "PAYLOAD";
	case SIM_TLS_TX_TAG:
		return "TAG";
	case SIM_TLS_TX_PASSTHROUGH:
		return "PASSTHROUGH";
	}
	return "?";
}

struct sim_tls_tx *sim_tls_tx_create(void)
{
	struct sim_tls_tx *tx = secret_alloc(sizeof(*tx)); /* key, salt, IV, nonces */

	if (!tx) {
		errno = ENOMEM;
		return NULL;
	}
	/* no OpenSSL context yet: the first record makes it (tls_evp.h) */
	tx->state = SIM_TLS_TX_NO_STATIC;
	return tx;
}

void sim_tls_tx_destroy(struct sim_tls_tx *tx)
{
	if (!tx)
		return;
	sim_tls_evp_free(&tx->evp);
	explicit_bzero(tx, sizeof(*tx));
	secret_free(tx, sizeof(*tx));
}

static void put_be64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--) {
		p[i] = (uint8_t)v;
		v >>= 8;
	}
}

int sim_tls_tx_set_static(struct sim_tls_tx *tx, const uint8_t params[64], const uint8_t *key,
			  size_t key_len)
{
	uint64_t p[DEVX_ST_SZ_QW(tls_static_params)]; /* aligned copy for DEVX_GET64 */
	uint32_t version;

	if (!tx || !params || !key)
		return -EINVAL;
	memcpy(p, params, sizeof(p));
	version = DEVX_GET(tls_static_params, p, tls_version);
	/* fact sheet 6: const_2 = 2, const_1 = 1, encryption_standard = 1 (TLS), version 2 or 3 */
	if (DEVX_GET(tls_static_params, p, const_2) != 2 ||
	    DEVX_GET(tls_static_params, p, const_1) != 1 ||
	    DEVX_GET(tls_static_params, p, encryption_standard) !=
		    MLX5_STATIC_PARAMS_ENCRYPTION_STANDARD_TLS ||
	    (version != 2 && version != 3))
		return -EINVAL;
	/* fact sheet 6: the cipher is the DEK's key size (AES-GCM-128 / -256), not a params field */
	if (key_len != 16 && key_len != 32)
		return -EINVAL;
	/* the new key replaces the old one; record_begin gives it to OpenSSL before its next use */
	explicit_bzero(tx->key, sizeof(tx->key));
	memcpy(tx->key, key, key_len);
	tx->keyed = false;
	tx->tls13 = version == 3;
	tx->key_bits = (uint32_t)key_len * 8;
	memcpy(tx->salt, DEVX_ADDR_OF(tls_static_params, p, gcm_iv), sizeof(tx->salt));
	memcpy(tx->implicit_iv, DEVX_ADDR_OF(tls_static_params, p, implicit_iv),
	       sizeof(tx->implicit_iv));
	tx->initial_rn = DEVX_GET64(tls_static_params, p, initial_record_number);
	tx->rn = tx->initial_rn;
	tx->rec_off = 0;
	tx->rec_len = 0;
	tx->part = 0;
	tx->seq_known = false;
	tx->state = SIM_TLS_TX_WAIT_START; /* R4 */
	tx->c.statics++;
	explicit_bzero(p, sizeof(p));
	return 0;
}

int sim_tls_tx_set_progress(struct sim_tls_tx *tx, const uint8_t params[12])
{
	uint32_t p[DEVX_ST_SZ_DW(tls_progress_params)];

	if (!tx || !params)
		return -EINVAL;
	if (tx->state == SIM_TLS_TX_NO_STATIC)
		return -EPROTO;
	memcpy(p, params, sizeof(p));
	/* R3: only what TX drivers post (fact sheet 7) */
	if (DEVX_GET(tls_progress_params, p, record_tracker_state) !=
		    MLX5_TLS_PROGRESS_PARAMS_RECORD_TRACKER_STATE_START ||
	    DEVX_GET(tls_progress_params, p, auth_state) !=
		    MLX5_TLS_PROGRESS_PARAMS_AUTH_STATE_NO_OFFLOAD ||
	    DEVX_GET(tls_progress_params, p, next_record_tcp_sn) ||
	    DEVX_GET(tls_progress_params, p, hw_resync_tcp_sn) ||
	    DEVX_GET(tls_progress_params, p, reserved_at_44) ||
	    DEVX_GET(tls_progress_params, p, hw_offset_record_number))
		return -EINVAL;
	/* R1, R2, R5 */
	tx->state = SIM_TLS_TX_HEADER;
	tx->rn = tx->initial_rn;
	tx->part = 0;
	tx->rec_off = 0;
	tx->rec_len = 0;
	tx->seq_known = false;
	tx->c.starts++;
	return 0;
}

/* The header is complete: delineate the record and start its GCM operation (R6). The nonce goes
 * in through one prepared parameter, the whole IV at once (OpenSSL's GCM: the TLS fixed-IV
 * parameter with length -1 restores the whole IV, and the next update restarts the GCM state
 * from it, CRYPTO_gcm128_setiv): EVP_EncryptInit_ex with only an IV looks up the IV length and
 * the key by name on every call (OpenSSL 3, OSSL_PARAM_locate: strcmp), about 400 instructions
 * per record. */
static int record_begin(struct sim_tls_tx *tx)
{
	uint8_t iv[GCM_IV_LEN], aad[13];
	OSSL_PARAM prm[2];
	uint32_t len = (uint32_t)tx->hdr[3] << 8 | tx->hdr[4];
	size_t aad_len;
	int outl = 0;

	if (tx->tls13) {
		uint8_t rn[8];

		memcpy(iv, tx->salt, 4);
		memcpy(iv + 4, tx->implicit_iv, 8);
		put_be64(rn, tx->rn);
		for (int i = 0; i < 8; i++)
			iv[4 + i] ^= rn[i];
		memcpy(aad, tx->hdr, SIM_TLS_TX_HDR_LEN);
		aad_len = SIM_TLS_TX_HDR_LEN;
		tx->pay_left = len - SIM_TLS_TX_TAG_LEN;
	} else {
		uint32_t pay = len - TLS12_OVERHEAD;

		memcpy(iv, tx->salt, 4);
		memcpy(iv + 4, tx->nonce, 8);
		put_be64(aad, tx->rn);
		aad[8] = tx->hdr[0];
		aad[9] = tx->hdr[1];
		aad[10] = tx->hdr[2];
		aad[11] = (uint8_t)(pay >> 8);
		aad[12] = (uint8_t)pay;
		aad_len = 13;
		tx->pay_left = pay;
	}
	if (!tx->keyed) { /* the first record since static params: the context, keyed */
		if (sim_tls_evp_key(&tx->evp,
				    tx->key_bits == 256 ? EVP_aes_256_gcm() : EVP_aes_128_gcm(),
				    tx->key, true))
			return -EIO;
		tx->keyed = true;
		explicit_bzero(tx->key, sizeof(tx->key));
	}
	prm[0] = OSSL_PARAM_construct_octet_string(OSSL_CIPHER_PARAM_AEAD_TLS1_IV_FIXED, iv,
						   (size_t)-1);
	prm[1] = OSSL_PARAM_construct_end();
	if (EVP_CIPHER_CTX_set_params(tx->evp, prm) != 1 ||
	    EVP_EncryptUpdate(tx->evp, NULL, &outl, aad, (int)aad_len) != 1)
		return -EIO;
	tx->state = SIM_TLS_TX_PAYLOAD;
	return 0;
}

/* The payload is complete: compute the tag the following 16 bytes get. */
static int record_finish(struct sim_tls_tx *tx)
{
	OSSL_PARAM prm[] = {
		OSSL_PARAM_octet_string(OSSL_CIPHER_PARAM_AEAD_TAG, tx->tag, SIM_TLS_TX_TAG_LEN),
		OSSL_PARAM_END,
	};
	uint8_t fin[16];
	int outl = 0;

	/* the tag through a prepared parameter, as the IV (EVP_CIPHER_CTX_ctrl builds one) */
	if (EVP_EncryptFinal_ex(tx->evp, fin, &outl) != 1 ||
	    EVP_CIPHER_CTX_get_params(tx->evp, prm) != 1)
		return -EIO;
	tx->state = SIM_TLS_TX_TAG;
	tx->part = 0;
	return 0;
}

static bool header_valid(const struct sim_tls_tx *tx)
{
	uint32_t len = (uint32_t)tx->hdr[3] << 8 | tx->hdr[4];

	if (tx->hdr[1] != 0x03 || tx->hdr[2] != 0x03)
		return false;
	if (len > SIM_TLS_TX_MAX_RECORD_LEN)
		return false;
	if (tx->tls13)
		return tx->hdr[0] == TLS13_OUTER_TYPE && len >= TLS13_OVERHEAD;
	return len >= TLS12_OVERHEAD;
}

static int encrypt_run(struct sim_tls_tx *tx, const uint8_t *in, uint8_t *out, size_t n)
{
	int outl = 0;

	if (out) {
		if (EVP_EncryptUpdate(tx->evp, out, &outl, in, (int)n) != 1 || (size_t)outl != n)
			return -EIO;
		return 0;
	}
	while (n) { /* DUMP: same GCM state update, output discarded */
		size_t k = n < SCRATCH_LEN ? n : SCRATCH_LEN;

		if (EVP_EncryptUpdate(tx->evp, dump_scratch, &outl, in, (int)k) != 1 ||
		    (size_t)outl != k)
			return -EIO;
		in += k;
		n -= k;
	}
	return 0;
}

/*
 * Run len bytes through the record state. Data: out == in (payload encrypted in place, tag
 * written) or out elsewhere (the frame: every byte written there, the clear ones copied). DUMP:
 * out == NULL (nothing written). Returns 0 or -EIO (OpenSSL failure).
 */
static int process(struct sim_tls_tx *tx, const uint8_t *in, uint8_t *out, size_t len)
{
	int ret = 0;

	while (len) {
		size_t n;

		switch (tx->state) {
		case SIM_TLS_TX_HEADER:
			n = SIM_TLS_TX_HDR_LEN - tx->part;
			n = n < len ? n : len;
			if (out && out != in)
				memcpy(out, in, n);
			memcpy(tx->hdr + tx->part, in, n);
			tx->part += (uint32_t)n;
			if (tx->part < SIM_TLS_TX_HDR_LEN)
				break;
			if (!header_valid(tx)) {
				tx->c.malformed++;
				tx->state = SIM_TLS_TX_PASSTHROUGH;
				break;
			}
			tx->rec_len = SIM_TLS_TX_HDR_LEN + ((uint32_t)tx->hdr[3] << 8 | tx->hdr[4]);
			tx->part = 0;
			if (!tx->tls13) {
				tx->state = SIM_TLS_TX_NONCE;
				break;
			}
			ret = record_begin(tx);
			if (!ret && !tx->pay_left)
				ret = record_finish(tx);
			break;
		case SIM_TLS_TX_NONCE:
			n = SIM_TLS_TX_NONCE_LEN - tx->part;
			n = n < len ? n : len;
			if (out && out != in)
				memcpy(out, in, n);
			memcpy(tx->nonce + tx->part, in, n);
			tx->part += (uint32_t)n;
			if (tx->part < SIM_TLS_TX_NONCE_LEN)
				break;
			ret = record_begin(tx);
			if (!ret && !tx->pay_left)
				ret = record_finish(tx);
			break;
		case SIM_TLS_TX_PAYLOAD:
			n = tx->pay_left < len ? tx->pay_left : len;
			ret = encrypt_run(tx, in, out, n);
			if (ret)
				break;
			if (out)
				tx->c.bytes_encrypted += n;
			tx->pay_left -= (uint32_t)n;
			if (!tx->pay_left)
				ret = record_finish(tx);
			break;
		case SIM_TLS_TX_TAG:
			n = SIM_TLS_TX_TAG_LEN - tx->part;
			n = n < len ? n : len;
			if (out)
				memcpy(out, tx->tag + tx->part, n);
			tx->part += (uint32_t)n;
			if (tx->part < SIM_TLS_TX_TAG_LEN)
				break;
			/* record complete */
			tx->c.records++;
			tx->rn++;
			tx->state = SIM_TLS_TX_HEADER;
			tx->part = 0;
			tx->rec_off = 0;
			tx->rec_len = 0;
			in += n;
			if (out)
				out += n;
			len -= n;
			continue; /* rec_off restarts at the next record */
		case SIM_TLS_TX_PASSTHROUGH: /* R6 */
			n = len;
			if (out && out != in)
				memcpy(out, in, n);
			if (out)
				tx->c.passthrough_bytes += n;
			break;
		default:
			return -EPROTO; /* not reached: callers check the state */
		}
		if (ret)
			return ret;
		tx->rec_off += (uint32_t)n;
		in += n;
		if (out)
			out += n;
		len -= n;
	}
	return ret;
}

static bool started(const struct sim_tls_tx *tx)
{
	return tx->state != SIM_TLS_TX_NO_STATIC && tx->state != SIM_TLS_TX_WAIT_START;
}

int sim_tls_tx_dump(struct sim_tls_tx *tx, const uint8_t *data, size_t len)
{
	if (!tx || (!data && len))
		return -EINVAL;
	if (!started(tx))
		return -EPROTO; /* R4 */
	tx->c.dump_bytes += len;
	return process(tx, data, NULL, len); /* R7 */
}

int sim_tls_tx_data(struct sim_tls_tx *tx, uint32_t tcp_seq, uint8_t *payload, size_t len)
{
	return sim_tls_tx_data_to(tx, tcp_seq, payload, payload, len);
}

int sim_tls_tx_data_to(struct sim_tls_tx *tx, uint32_t tcp_seq, const uint8_t *in, uint8_t *out,
		       size_t len)
{
	if (!tx || ((!in || !out) && len))
		return -EINVAL;
	if (!started(tx))
		return -EPROTO; /* R4 */
	if (!len)
		return 0;
	/* R5: never resynchronise on the sequence; TCP sequence arithmetic is modulo 2^32 */
	if (tx->seq_known && tcp_seq != tx->expected_seq)
		tx->c.seq_mismatch++;
	tx->seq_known = true;
	tx->expected_seq = tcp_seq + (uint32_t)len;
	tx->c.data_segments++;
	tx->c.data_bytes += len;
	return process(tx, in, out, len);
}

void sim_tls_tx_get_stats(const struct sim_tls_tx *tx, struct sim_tls_tx_stats *st)
{
	*st = tx->c;
	st->state = tx->state;
	st->tls13 = tx->tls13;
	st->evp_ctxs = tx->evp != NULL;
	st->key_bits = tx->key_bits;
	st->record_number = tx->rn;
	st->record_offset = tx->rec_off;
	st->record_len = tx->rec_len;
	st->seq_known = tx->seq_known;
	st->expected_seq = tx->expected_seq;
}

/* ---- struct sim_tls_engine_ops adapter (sim/sq.h) ---- */

static void *ops_create(void)
{
	return sim_tls_tx_create();
}

static void ops_destroy(void *ctx)
{
	sim_tls_tx_destroy(ctx);
}

static int ops_set_static(void *ctx, const uint8_t params[64], const uint8_t *key, size_t key_len)
{
	return sim_tls_tx_set_static(ctx, params, key, key_len);
}

static int ops_set_progress(void *ctx, const uint8_t params[12])
{
	return sim_tls_tx_set_progress(ctx, params);
}

static int ops_dump(void *ctx, const uint8_t *data, size_t len)
{
	return sim_tls_tx_dump(ctx, data, len);
}

static int ops_data(void *ctx, uint32_t tcp_seq, uint8_t *payload, size_t len)
{
	return sim_tls_tx_data(ctx, tcp_seq, payload, len);
}

static int ops_data_to(void *ctx, uint32_t tcp_seq, const uint8_t *in, uint8_t *out, size_t len)
{
	return sim_tls_tx_data_to(ctx, tcp_seq, in, out, len);
}

const struct sim_tls_engine_ops sim_tls_tx_engine_ops = {
	.create = ops_create,
	.destroy = ops_destroy,
	.set_static = ops_set_static,
	.set_progress = ops_set_progress,
	.dump = ops_dump,
	.data = ops_data,
	.data_to = ops_data_to,
};
