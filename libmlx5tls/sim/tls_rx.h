/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The model's TLS RX crypto engine: the per-TIR record tracker that a ConnectX-6 Dx runs on the
 * receive path of a TIR with tls_en (fact sheet 14b "RX", DOC "RX" / "Resync handling" / "Error
 * handling"). Given the static params (UMR opc_mod 2), the progress params (SET_PSV opc_mod 2) and
 * the TCP payload of each received segment, it delineates the TLS records of the stream, decrypts
 * and authenticates them in place and returns the per-packet TLS status of the CQE (fact sheet 9:
 * CQE byte 0 bits 4:3). It answers GET_PSV with the progress params image (fact sheet 8.5) and runs
 * the stream-scan resynchronisation of DOC when a lost segment hid a record header.
 *
 *   record   = header(5: type, 0x03 0x03, BE16 length) [TLS 1.2: explicit nonce(8)] payload tag(16)
 *   TLS 1.2  nonce = salt(4) || explicit nonce(8) (as found in the record),
 *            AAD   = BE64 record number || type || 0x03 0x03 || BE16 (length - 24)   (RFC 5246)
 *   TLS 1.3  nonce = (salt(4) || implicit_iv(8)) XOR (0^4 || BE64 record number),
 *            AAD   = the 5-byte header, outer type 0x17                               (RFC 8446)
 *
 * Headers, explicit nonces and tags are never modified ("leaves record framing unmodified", 14b);
 * payload bytes become plaintext only in packets reported DECRYPTED. Every other packet is left
 * exactly as received (DOC "Error handling": no partial in-place decryption). The engine is pure:
 * no queues, no locks (the caller serialises all calls on one context); it allocates after
 * create only its OpenSSL contexts, at the first record (and the first R5 restore), so that a
 * TIR that carries no record holds none (tls_evp.h). The rules it implements, with their
 * sources, are listed at the top of tls_rx.c.
 *
 * Lifecycle of one context (one TLS TIR, fact sheet 11.2 / 11.4):
 *   create -> set_static (resync_tcp_sn 0, rec_seq) -> set_progress (START, next_record_tcp_sn =
 *   start_offload_tcp_sn) -> packet ... -> [RESYNC status -> get_progress -> set_static with
 *   resync_tcp_sn = hw_resync_tcp_sn and that record's number] -> packet ...
 *
 * The functions return 0 or -errno. A packet the engine cannot decrypt is not an error: like the
 * hardware it is delivered as received with a status saying so, and counted.
 */
#ifndef MLX5TLS_SIM_TLS_RX_H
#define MLX5TLS_SIM_TLS_RX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sim_tls_rx;

/* The CQE TLS status of a packet: the value of CQE byte 0 bits 4:3 (fact sheet 9, K-dev). */
enum sim_tls_rx_status {
	SIM_TLS_RX_NOT_DECRYPTED = 0, /* delivered as received */
	SIM_TLS_RX_DECRYPTED = 1,     /* record payload bytes decrypted in place, tags checked */
	SIM_TLS_RX_RESYNC = 2,        /* as received; the device asks the host to confirm a
				       * header */
	SIM_TLS_RX_ERROR = 3,         /* as received; a record failed authentication/delineation */
};

/* Record tracker state (for inspection; get_progress maps it to the PRM enums, fact sheet 7). */
enum sim_tls_rx_state {
	SIM_TLS_RX_NO_STATIC,      /* created, no static params yet */
	SIM_TLS_RX_WAIT_START,     /* static params posted, waiting for progress params START */
	SIM_TLS_RX_SYNC,           /* in sync: records are decrypted and authenticated */
	SIM_TLS_RX_LOST,           /* a gap hid a record header: waiting for the stream to pass one
				    * max-size record beyond it (or for the lost segment) */
	SIM_TLS_RX_SEARCHING,      /* stream scan: looking for / verifying a header pattern */
	SIM_TLS_RX_RESYNC_PENDING, /* RESYNC raised; counting records from the guessed header until
				    * the host answers with static params */
};

/* Short name of a state ("SYNC") or status ("DECRYPTED"), or "?" */
const char *sim_tls_rx_state_str(enum sim_tls_rx_state st);
const char *sim_tls_rx_status_str(enum sim_tls_rx_status s);

/* TLS record limits used to delineate and to scan (RFC 8446 5.2: length <= 2^14 + 256). */
#define SIM_TLS_RX_MAX_RECORD_LEN (16384u + 256u)
#define SIM_TLS_RX_HDR_LEN 5u
#define SIM_TLS_RX_TAG_LEN 16u
#define SIM_TLS_RX_NONCE_LEN 8u /* TLS 1.2 explicit nonce */
/* A max-size record on the wire, header included: the distance past a lost header after which
 * the stream scan starts (DOC "Stream scan resynchronization"). */
#define SIM_TLS_RX_MAX_WIRE_RECORD (SIM_TLS_RX_HDR_LEN + SIM_TLS_RX_MAX_RECORD_LEN)
/* Headers in a chain (a pattern match plus the headers found where the lengths point) before the
 * scan raises RESYNC (model reading, tls_rx.c S2). */
#define SIM_TLS_RX_SCAN_CHAIN 2u

struct sim_tls_rx_stats {
	/* counters, since create */
	uint64_t statics;          /* static params accepted */
	uint64_t starts;           /* progress params START accepted */
	uint64_t packets;          /* packet calls with len > 0 */
	uint64_t bytes;            /* their TCP payload bytes */
	uint64_t pkt_not_decrypted; /* statuses returned, by value */
	uint64_t pkt_decrypted;
	uint64_t pkt_resync;
	uint64_t pkt_error;
	uint64_t bytes_decrypted;  /* payload bytes turned into plaintext (DECRYPTED packets) */
	uint64_t records_ok;       /* records whose tag verified (in any packet) */
	uint64_t auth_failures;    /* records whose tag did not verify */
	uint64_t records_skipped;  /* records passed in sync without authentication: bytes of
				    * them were not seen (gap), or their payload had begun when
				    * a resync answer or a re-key came */
	uint64_t no_context;       /* packets before static params + START: not handled */
	uint64_t csum_bad;         /* packets with a bad L4 checksum: not handled */
	uint64_t old_packets;      /* entirely before the expected sequence (retransmissions) */
	uint64_t overlap_packets;  /* starting before and ending after the expected sequence */
	uint64_t gap_packets;      /* after the expected sequence, gap inside a record */
	uint64_t sync_lost;        /* SYNC -> LOST (a gap hid a header) or SEARCHING (malformed) */
	uint64_t malformed;        /* invalid headers met in SYNC */
	uint64_t scan_candidates;  /* header patterns matched by the scan */
	uint64_t scan_restarts;    /* chains broken by an invalid header or a gap hiding a header */
	uint64_t resync_requests;  /* RESYNC statuses */
	uint64_t resync_answers;   /* static params that answered the pending request */
	uint64_t resync_ignored;   /* static params whose resync_tcp_sn could not be placed */
	uint64_t relocked;         /* LOST -> SYNC by the lost segment itself (no host help) */
	/* current state */
	enum sim_tls_rx_state state;
	bool tls13;
	uint8_t evp_ctxs;          /* OpenSSL contexts held: 0 until the first record is decrypted,
				    * 1 (GCM), 2 once an ERROR packet was restored (CTR, R5) */
	uint32_t key_bits;         /* 128, 256; 0 before static params */
	uint32_t expected_seq;     /* the next TCP sequence the tracker needs */
	/* the record being tracked (SYNC, LOST, RESYNC_PENDING, SEARCHING while verifying) */
	uint64_t record_number;    /* SYNC/LOST: its number; otherwise records counted since the
				    * chain's first header */
	uint32_t record_seq;       /* TCP sequence of its first header byte */
	uint32_t record_offset;    /* bytes of it seen or skipped */
	uint32_t record_len;       /* 5 + length field; 0 while its header is incomplete */
	bool record_skip;          /* it will not be authenticated */
	uint32_t resync_seq;       /* hw_resync_tcp_sn: the last guessed header */
	uint32_t resync_offset;    /* hw_offset_record_number: records since it (RESYNC_PENDING) */
};

/* A fresh context (NULL + errno ENOMEM). */
struct sim_tls_rx *sim_tls_rx_create(void);
/* Wipes key material and frees the context. NULL is a no-op. */
void sim_tls_rx_destroy(struct sim_tls_rx *rx);

/*
 * A static-params UMR for this TIR (fact sheet 6, 8.3): the 64-byte tls_static_params and the key
 * of the DEK named by dek_index, which the caller resolves (key_len 16 = AES-GCM-128, 32 =
 * AES-GCM-256). -EINVAL if const_2/const_1/encryption_standard are not 2/1/1, tls_version is not 2
 * or 3, a reserved field is not zero, key_len is neither 16 nor 32, or the TLS version differs
 * from the context's after a START; the context is then unchanged. The key is kept (in secret
 * memory) and given to OpenSSL when a record first needs it: a refusal then fails that packet
 * (-EIO). On success:
 *  - before any START: the parameters are stored and the tracker waits for START;
 *  - later: the key, salt and iv replace the old ones, and (resync_tcp_sn, initial_record_number)
 *    is taken as "the record numbered initial_record_number begins at resync_tcp_sn": the resync
 *    answer when resync_tcp_sn is the pending guess (tls_rx.c R10), see tls_rx.c R11 otherwise.
 */
int sim_tls_rx_set_static(struct sim_tls_rx *rx, const uint8_t params[64], const uint8_t *key,
			  size_t key_len);

/*
 * A SET_PSV for this TIR (fact sheet 7, 8.4, 11.2): the 12-byte tls_progress_params. Accepted:
 * tracker START, auth NO_OFFLOAD, the device-written fields (hw_resync_tcp_sn,
 * hw_offset_record_number) and reserved_at_44 zero, any next_record_tcp_sn - what the kernel
 * posts at connection add; anything else is -EINVAL. -EPROTO before static params. On success the
 * tracker is in sync with a record numbered initial_record_number (of the last static params)
 * beginning at next_record_tcp_sn (DOC: start_offload_tcp_sn), which may lie inside a segment.
 */
int sim_tls_rx_set_progress(struct sim_tls_rx *rx, const uint8_t params[12]);

/*
 * What a GET_PSV writes (fact sheet 8.5): the 16-byte mlx5_wqe_tls_progress_params_seg image.
 * Bytes 0..3 (tis_tir_number) are written as zero: the caller, which knows the TIR number, puts
 * BE32(tirn) there. Bytes 4..15: next_record_tcp_sn, hw_resync_tcp_sn, tracker(7:6)/auth(5:4),
 * hw_offset_record_number (tls_rx.c R12). -EPROTO before static params.
 */
int sim_tls_rx_get_progress(const struct sim_tls_rx *rx, uint8_t out[16]);

/*
 * One received TCP segment: its sequence number and payload (decrypted in place when the status
 * is DECRYPTED, else left exactly as received) and whether its L4 checksum was good. *status gets
 * the CQE TLS status. len 0 changes nothing (NOT_DECRYPTED). Returns 0, -EINVAL (NULL arguments),
 * or -EIO (OpenSSL failure: the payload and the context are then undefined).
 */
int sim_tls_rx_packet(struct sim_tls_rx *rx, uint32_t tcp_seq, uint8_t *payload, size_t len,
		      bool l4_csum_ok, enum sim_tls_rx_status *status);
/* The same out of place: in[0, len) is the segment as received (not changed), out[0, len) gets
 * what sim_tls_rx_packet would leave in place - byte for byte, with the same status and engine
 * state. in == out is sim_tls_rx_packet; otherwise they must not overlap. */
int sim_tls_rx_packet_to(struct sim_tls_rx *rx, uint32_t tcp_seq, const uint8_t *in, uint8_t *out,
			 size_t len, bool l4_csum_ok, enum sim_tls_rx_status *status);

void sim_tls_rx_get_stats(const struct sim_tls_rx *rx, struct sim_tls_rx_stats *st);

/* The engine as a table, for an RQ engine to plug in (and tests to substitute a recording one). */
struct sim_tls_rx_engine_ops {
	void *(*create)(void);
	void (*destroy)(void *ctx);
	int (*set_static)(void *ctx, const uint8_t params[64], const uint8_t *key, size_t key_len);
	int (*set_progress)(void *ctx, const uint8_t params[12]);
	int (*get_progress)(const void *ctx, uint8_t out[16]);
	int (*packet)(void *ctx, uint32_t tcp_seq, uint8_t *payload, size_t len, bool l4_csum_ok,
		      enum sim_tls_rx_status *status);
	int (*packet_to)(void *ctx, uint32_t tcp_seq, const uint8_t *in, uint8_t *out, size_t len,
			 bool l4_csum_ok, enum sim_tls_rx_status *status);
};

/* The built-in engine above (AES-GCM through OpenSSL EVP). */
extern const struct sim_tls_rx_engine_ops sim_tls_rx_engine_ops;

#endif /* MLX5TLS_SIM_TLS_RX_H */
