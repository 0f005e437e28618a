/* SPDX-License-Identifier: BSD-3-Clause */
/* mlx5tls-bench tx (internal): what the measuring side (bench_tx.c) and the report
 * (bench_tx_report.c) share. */
#ifndef MLX5TLS_BENCH_TX_H
#define MLX5TLS_BENCH_TX_H

#include <stdbool.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "bench.h"

#define TX_MSS 1448u
#define TX_LSO_MAX 65000u     /* LSO payload per WQE: whole records up to about 64 KiB (TSO) */
#define TX_BATCH 32u          /* frames per doorbell */
#define TX_FRAME_STRIDE 1536u /* arena bytes per frame: 54 header bytes + MSS, 64-aligned */
#define TX_HDR_LEN 54u        /* Ethernet + IPv4 + TCP */
#define TX_STREAM_BYTES (8u << 20) /* TLS bytes per pass */
#define TX_ISN 0x10000000u
#define TX_TARGET_RATIO 0.85
#define TX_TARGET_WQE 1.15
#define TX_DEFAULT_SECONDS 0.4
#define TX_MIN_PASSES 5u
#define TLS_HDR 5u
#define TLS12_NONCE 8u
#define TLS_TAG 16u

#define NR_SIZES 2u /* record sizes measured (bench_tx.c rec_sizes) */

/* The frames of one stream of records. */
struct tx_set {
	uint32_t rec_size;
	uint32_t records;
	uint8_t *stream;        /* the TLS byte stream, plaintext records */
	size_t stream_len;
	uint32_t nframes;
	struct mlx5tls_frame *f;
	uint32_t *end_seq;      /* TCP sequence after frame i */
	bool lso;               /* frames of whole records, cut into MSS segments by the device */
};

struct tx_best {
	double ns;              /* best pass, nanoseconds */
	double sum;
	unsigned int passes;
};

struct tx_size_result {
	uint32_t rec_size;
	uint32_t records;       /* per pass */
	uint32_t frames;        /* per pass */
	struct tx_best model, model_lso, evp, evp_seg;
	/* per-WQE cost: posting only, and with the device */
	struct tx_best tls_post, plain_post, tls_full, plain_full, ack;
	uint64_t acks;          /* ack calls per pass */
	/* library only (post + completion polling + ack; the doorbell and the device's work
	 * between the timed parts), one SEND per segment and LSO with one record per WQE */
	struct tx_best tls_lib, plain_lib, tls_lib_lso, plain_lib_lso;
	uint32_t frames_lso;    /* WQEs per LSO pass (one record each) */
	double ssl_ns;          /* SSL_write of the same records, best pass */
};

struct txb {
	struct tool *t;
	const struct tool_suite *suite;
	double seconds;
	struct mlx5tls_pd *pd;
	struct mlx5tls_td *td;
	struct mlx5tls_qp *qp;
	struct mlx5tls_mr *mr;
	uint8_t *arena;
	size_t arena_len;
	union tool_crypto_info ci;
	size_t ci_len;
	EVP_CIPHER_CTX *evp;
	uint8_t *evp_buf;       /* a copy of the stream EVP encrypts in place */
	struct mlx5tls_completion done[256];
	double timer_ns;        /* cost of one bench_now_ns() pair, taken out of each interval */
	double ghz;             /* the time-stamp counter's rate (0: not known on this CPU) */
	int version;
	unsigned int bits;
	struct tx_size_result res[NR_SIZES];
};

/* Print every figure and the target lines of a measured run (text or JSON). */
void bench_tx_print_report(const struct txb *b);

#endif
