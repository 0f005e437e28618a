/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A TLS-over-TCP sender and receiver around one library TLS TX context, for tests and benches.
 *
 * Sender: a real OpenSSL handshake (tls_peer), the server's write keys handed to
 * mlx5tls_tx_create(), plaintext laid out as kTLS-style records in a stream buffer, and frames
 * (Ethernet / IPv4 / TCP, sequence numbers from the stream) cut from it on demand - in order, or
 * again for a retransmission. Frames live in one registered arena and are never reused, so the
 * library may replay any unacknowledged byte from them.
 *
 * Receiver: the model's wire (mlx5tls_model_wire rx callback) - every frame's IPv4 header and TCP
 * checksums are verified independently, the payload is placed by sequence number (duplicates must
 * carry identical bytes: a retransmission must reproduce the ciphertext), and the contiguous
 * stream is fed to the OpenSSL client, which must authenticate and decrypt every record.
 */
#ifndef MLX5TLS_TEST_TX_HARNESS_H
#define MLX5TLS_TEST_TX_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mlx5tls/mlx5tls.h"
#include "tls_peer.h"

struct txh_opts {
	const char *device;      /* default "sim" */
	int tls_version;         /* TLS1_2_VERSION / TLS1_3_VERSION (OpenSSL numbering) */
	unsigned int key_bits;   /* 128 / 256 */
	uint32_t isn;            /* TCP sequence of the first TLS byte (offload start) */
	uint32_t tx_flags;       /* MLX5TLS_TX_F_* */
	uint32_t demote_permille;
	uint64_t demote_min_bytes;
	uint32_t qp_flags;       /* default MLX5TLS_QP_F_MODEL_SYNC unless qp_async */
	bool qp_async;
	uint32_t log_sq_wqebbs;
	uint32_t mtu;            /* QP and wire MTU, default 1500 */
	uint32_t bounce_bytes;   /* the queue's software-path buffer; 0 = the library default */
	size_t arena_bytes;      /* default 64 MiB */
	const char *pcap_path;
	bool ipv6;
	uint16_t vlan;           /* 802.1Q VLAN id of the frames; 0 = untagged */
	bool no_wire_rx;         /* do not reassemble (benchmarks) */
};

/* Called by the receiver for every frame of the connection whose checksums verify, before the
 * payload is placed: TCP sequence and payload (valid during the call). Frames before the offload
 * start (handshake bytes) reach only this hook. */
typedef void (*txh_rx_hook_fn)(void *ctx, uint32_t seq, const uint8_t *payload, size_t len);

struct txh {
	struct txh_opts o;
	struct mlx5tls_device *dev;
	struct mlx5tls_pd *pd;
	struct mlx5tls_td *td;
	struct mlx5tls_qp *qp;
	struct mlx5tls_mr *mr;
	struct mlx5tls_tx *tx;
	struct tls_peer_pair *pair;
	union tls_peer_crypto_info ci;
	uint16_t ktls_version;

	uint8_t *arena;
	size_t arena_used;
	/* the TLS byte stream as laid out (plaintext records): stream[i] is TCP sequence isn + i */
	uint8_t *stream;
	size_t stream_len;
	size_t stream_cap;
	uint64_t first_rec; /* record number of the first record (rec_seq of the crypto info) */
	uint64_t next_rec;  /* record number of the next record to lay out */

	/* receiver */
	uint8_t *rx;        /* ciphertext by sequence offset */
	uint8_t *rx_have;   /* 1 per byte received */
	size_t rx_contig;   /* bytes [0, rx_contig) all received */
	size_t rx_fed;      /* of which fed to the OpenSSL client */
	uint64_t rx_frames;
	uint64_t rx_bad_csum;
	uint64_t rx_mismatch; /* a byte received twice with different values */
	uint64_t rx_other;    /* frames that are not this connection's TCP */
	uint64_t rx_drop_next; /* drop this many next frames on the wire (loss) */
	uint64_t rx_dropped;
	uint64_t rx_before;   /* frames entirely before the offload start (seq < isn) */
	long rx_read_err;     /* a client read error held back for the next txh_client_read */
	txh_rx_hook_fn rx_hook;
	void *rx_hook_ctx;
};

/* Handshake, device, queue, context. 0 or -errno (a message on stderr). */
int txh_init(struct txh *h, const struct txh_opts *o);
void txh_fini(struct txh *h);

/* Lay out `len` bytes of plaintext as records of at most rec_size bytes (plaintext), appended
 * to the stream. Returns the stream offset where they start. */
size_t txh_add_records(struct txh *h, const void *plaintext, size_t len, size_t rec_size);
/* Append raw bytes to the stream (e.g. a malformed header). */
size_t txh_add_raw(struct txh *h, const void *bytes, size_t len);

/* Build a frame carrying stream bytes [off, off+len) (TCP seq isn + off) in the arena. mss 0 =
 * one frame; else an LSO frame. The frame's mr/cookie are set. */
int txh_frame(struct txh *h, size_t off, size_t len, uint16_t mss, struct mlx5tls_frame *f);
/* A frame with any TCP sequence and payload (not necessarily stream bytes), in the arena. */
int txh_frame_at(struct txh *h, uint32_t seq, const void *payload, size_t len, uint16_t mss,
		 struct mlx5tls_frame *f);
/* txh_frame + mlx5tls_tx_send. Returns what tx_send returned. */
int txh_send(struct txh *h, size_t off, size_t len, uint16_t mss);
/* Send [off, off+len) in frames of at most seg bytes of payload. First error is returned. */
int txh_send_segments(struct txh *h, size_t off, size_t len, size_t seg);
/* Reap completions until the queue is idle; returns completions seen or -errno. */
int txh_drain(struct txh *h);

/* Feed what is contiguous on the receiver to the client and read plaintext into out (cap).
 * Returns bytes read (>= 0) or the tls_peer_read error (-EBADMSG...); an error that follows
 * bytes read in the same call is returned by the next call (the client is dead after it). */
long txh_client_read(struct txh *h, void *out, size_t cap);

/* Deterministic test plaintext. malloc'd; NULL on ENOMEM. */
uint8_t *txh_pattern(size_t len, uint8_t seed);
/* Read exactly len bytes of plaintext through the client and compare them with pt; also no
 * frame with a bad checksum and no retransmitted byte that differs. 0, or -1 with the reason on
 * stderr. */
int txh_check_plaintext(struct txh *h, const uint8_t *pt, size_t len);
/* The wire bytes the stream [0, stream_len) must become: every record encrypted independently
 * with tls_record_encrypt_sw() under the context's keys, numbered from first_rec. malloc'd, NULL
 * on error (a malformed record in the stream). */
uint8_t *txh_reference_wire(struct txh *h);

#endif
