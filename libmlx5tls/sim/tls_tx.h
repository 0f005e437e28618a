/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The model's TLS TX crypto engine: the per-TIS record state machine that a ConnectX-6 Dx runs on
 * the send path of a TLS-enabled TIS (fact sheet 14b "TX", DOC "Normal operation"). Given the
 * static params (UMR), the progress params (SET_PSV), DUMP bytes and the TCP payload of each data
 * segment, it encrypts the TLS records the driver laid out in the payload, in place, the way the
 * kTLS offload contract describes:
 *
 *   record   = header(5: type, 0x03 0x03, BE16 length) [TLS 1.2: explicit nonce(8)] payload tag(16)
 *   TLS 1.2  nonce = salt(4) || explicit nonce(8) (as found in the record),
 *            AAD   = BE64 record number || type || 0x03 0x03 || BE16 (length - 24)   (RFC 5246)
 *   TLS 1.3  nonce = (salt(4) || implicit_iv(8)) XOR (0^4 || BE64 record number),
 *            AAD   = the 5-byte header, outer type 0x17                               (RFC 8446)
 *
 * Headers and explicit nonces pass through unchanged, payload bytes become AES-GCM ciphertext and
 * the 16 bytes the driver reserved for the tag are overwritten with the tag. Segments may start
 * anywhere in a record and carry several records; partial header, nonce, GCM and tag state is
 * carried across segments. The engine is pure: no queues, no locks (the caller serialises all
 * calls on one context, as the SQ engine does), no allocation after create but its OpenSSL
 * context, at the first record (sim/tls_evp.h).
 *
 * Lifecycle of one context (one TLS TIS):
 *   create -> set_static (key, salt, record number) -> set_progress (START) -> data/dump ...
 *   OOO resync: [set_static with the record number of the record being replayed] -> set_progress
 *   (START) -> dump (the record's prefix, from its header) -> data (continuing mid-record).
 * data/dump before the first START after a static params post fail with -EPROTO (see tls_tx.c).
 *
 * The functions return 0 or -errno. A data segment the device cannot make sense of is NOT an
 * error: like real hardware, the engine produces bytes (possibly wrong ones) and counts it.
 */
#ifndef MLX5TLS_SIM_TLS_TX_H
#define MLX5TLS_SIM_TLS_TX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sim_tls_tx;

/* Record tracker state (for inspection). */
enum sim_tls_tx_state {
	SIM_TLS_TX_NO_STATIC,   /* created, no static params yet */
	SIM_TLS_TX_WAIT_START,  /* static params posted, waiting for progress params START */
	SIM_TLS_TX_HEADER,      /* next bytes belong to a record header (0..4 of it seen) */
	SIM_TLS_TX_NONCE,       /* TLS 1.2 explicit nonce (0..7 of it seen) */
	SIM_TLS_TX_PAYLOAD,     /* record payload (plaintext -> ciphertext) */
	SIM_TLS_TX_TAG,         /* the 16 bytes reserved for the tag */
	SIM_TLS_TX_PASSTHROUGH, /* a malformed record was seen: bytes pass unmodified until START */
};

/* Short name of a state ("HEADER"), or "?" */
const char *sim_tls_tx_state_str(enum sim_tls_tx_state st);

/* TLS plaintext limits used to delineate records (RFC 8446 5.2: length <= 2^14 + 256). */
#define SIM_TLS_TX_MAX_RECORD_LEN (16384u + 256u)
#define SIM_TLS_TX_TAG_LEN 16u
#define SIM_TLS_TX_HDR_LEN 5u
#define SIM_TLS_TX_NONCE_LEN 8u /* TLS 1.2 explicit nonce */

struct sim_tls_tx_stats {
	/* counters, since create */
	uint64_t statics;         /* static params accepted */
	uint64_t starts;          /* progress params START accepted */
	uint64_t records;         /* records completed (tag computed), by data or DUMP bytes */
	uint64_t data_segments;   /* data calls with len > 0 */
	uint64_t data_bytes;      /* all TCP payload bytes of data segments */
	uint64_t bytes_encrypted; /* record payload bytes turned into ciphertext by data segments */
	uint64_t dump_bytes;      /* bytes consumed from DUMPs (never output) */
	uint64_t seq_mismatch;    /* data segments whose tcp_seq was not the expected one while no
				   * resync was posted: processed as if contiguous (wrong output) */
	uint64_t malformed;       /* record headers rejected (length, version or TLS 1.3 type) */
	uint64_t passthrough_bytes; /* data bytes passed unmodified after a malformed header */
	/* current state */
	enum sim_tls_tx_state state;
	bool tls13;
	uint8_t evp_ctxs;         /* OpenSSL contexts held: 0 until the first record, then 1 */
	uint32_t key_bits;        /* 128, 256; 0 before static params */
	uint64_t record_number;   /* record in progress, or the next one to start */
	uint32_t record_offset;   /* bytes of the current record seen (header included); in
				   * PASSTHROUGH, bytes since the malformed header began */
	uint32_t record_len;      /* the current record's total length (5 + length field); 0 while
				   * its header is incomplete */
	bool seq_known;           /* false from START until the first data segment */
	uint32_t expected_seq;    /* TCP sequence the next data segment should carry */
};

/* A fresh context (NULL + errno ENOMEM). */
struct sim_tls_tx *sim_tls_tx_create(void);
/* Wipes key material and frees the context. NULL is a no-op. */
void sim_tls_tx_destroy(struct sim_tls_tx *tx);

/*
 * A static-params UMR for this TIS (fact sheet 6, 8.3): the 64-byte tls_static_params and the key
 * of the DEK named by its dek_index, which the caller resolves (key_len 16 = AES-GCM-128, 32 =
 * AES-GCM-256; the cipher comes from the DEK, not from the params). -EINVAL if const_1/const_2/
 * encryption_standard are not 1/2/1, tls_version is not 2 (TLS 1.2) or 3 (TLS 1.3), or key_len
 * is neither 16 nor 32; the context is then unchanged. The key is kept (in secret memory) and
 * given to OpenSSL when the next record begins: a refusal then fails that DUMP or data call
 * (-EIO). On success the record tracker waits for progress params START (reserved bits are the
 * caller's to check; the SQ engine's tls_ctx.c does).
 */
int sim_tls_tx_set_static(struct sim_tls_tx *tx, const uint8_t params[64], const uint8_t *key,
			  size_t key_len);

/*
 * A SET_PSV for this TIS (fact sheet 7, 8.4): the 12-byte tls_progress_params. Accepted: tracker
 * START, auth NO_OFFLOAD, next_record_tcp_sn 0 and the device-written fields zero - what every TX
 * driver posts; anything else is -EINVAL (its TX meaning is not public). -EPROTO before static
 * params. On success the next byte processed (DUMP or data) is taken as the first byte of a record
 * header with the record number of the last static params, and the expected TCP sequence is
 * forgotten until the next data segment.
 */
int sim_tls_tx_set_progress(struct sim_tls_tx *tx, const uint8_t params[12]);

/* DUMP bytes (fact sheet 8.6): processed through the record state exactly like data, never
 * output. -EPROTO without a START since the last static params. */
int sim_tls_tx_dump(struct sim_tls_tx *tx, const uint8_t *data, size_t len);

/*
 * The TCP payload of one data segment at sequence tcp_seq, encrypted in place. If a previous data
 * segment set an expected sequence and tcp_seq differs from it, the segment is still processed as
 * the continuation of the stream (seq_mismatch is counted). The expected sequence becomes
 * tcp_seq + len. len 0 changes nothing. -EPROTO without a START since the last static params.
 */
int sim_tls_tx_data(struct sim_tls_tx *tx, uint32_t tcp_seq, uint8_t *payload, size_t len);
/* The same with the plaintext read from in and the wire bytes written to out (in == out: in
 * place). */
int sim_tls_tx_data_to(struct sim_tls_tx *tx, uint32_t tcp_seq, const uint8_t *in, uint8_t *out,
		       size_t len);

void sim_tls_tx_get_stats(const struct sim_tls_tx *tx, struct sim_tls_tx_stats *st);

/* The engine behind the SQ engine's struct sim_tls_engine_ops (sim/sq.h), for
 * sim_tls_engine_builtin(). */
struct sim_tls_engine_ops;
extern const struct sim_tls_engine_ops sim_tls_tx_engine_ops;

#endif /* MLX5TLS_SIM_TLS_TX_H */
