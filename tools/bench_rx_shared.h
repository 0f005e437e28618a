/* SPDX-License-Identifier: BSD-3-Clause */
/* mlx5tls-bench rx: what its files share - bench_rx.c (the run: setup, measuring, teardown),
 * bench_rx_stream.c (the peer's records and frames), bench_rx_pass.c (the passes through the
 * device model), bench_rx_lib.c (the library-only passes) and bench_rx_report.c. */
#ifndef MLX5TLS_BENCH_RX_SHARED_H
#define MLX5TLS_BENCH_RX_SHARED_H

#include <stdbool.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "be_bytes.h"
#include "bench.h"

#define RX_MSS 1448u
#define RX_HDR_LEN 54u              /* Ethernet + IPv4 + TCP, no options */
#define RX_FRAME_STRIDE 1536u       /* bytes per frame in the frame array */
#define RX_BATCH 32u                /* frames between two polls of the receive queue */
#define RX_STREAM_BYTES (8u << 20)  /* TLS bytes per pass */
#define RX_ISN 0x7fff0000u          /* a pass crosses 2^31: sequence arithmetic must wrap right */
#define RX_DEFAULT_SECONDS 0.4
#define RX_MIN_PASSES 5u
#define RX_TARGET_MODEL 0.60       /* model path vs EVP at 16 KiB records (issue 10) */
#define RX_LOSS_FROM 40u            /* the segment lost is at or after this one: in sync by then */
#define RX_RETX_DELAY 20u           /* 28960 bytes later: more than a max-size record (16645) */
#define RX_HOLD_MAX 64u             /* out-of-order packets the application holds */
#define RX_CT_APP 23u               /* application_data */
#define TLS_HDR 5u
#define TLS12_NONCE 8u
#define TLS_TAG 16u

#define NR_SIZES 2u

#define NR_RCNT 5u /* resync counters (bench_rx_report.c rx_resync_counters) */

/* One stream of records as the peer sent it, and its frames. */
struct rx_set {
	uint32_t rec_size;
	uint32_t records;
	size_t rec_len;         /* on the wire: header, [nonce], payload, [type], tag */
	size_t stream_len;
	uint8_t *pt;            /* every record's plaintext, back to back */
	uint8_t *stream;        /* the TLS byte stream, encrypted */
	uint32_t nframes;
	uint8_t *frames;        /* frame i at i * RX_FRAME_STRIDE */
};

struct rx_best {
	double ns;              /* best pass */
	unsigned int passes;
};

struct rx_resync_result {
	uint32_t lost_segment;
	uint32_t lost_record;           /* first record whose header was in the lost segment */
	uint64_t records_software;      /* completed in software, whole stream */
	uint64_t until_resume;          /* from lost_record, in software until the device again */
	bool resumed;
	uint32_t resume_record;         /* first record from lost_record the device authenticated */
	uint64_t software_after_resume; /* records after resume_record completed in software */
	uint64_t resync_answers;
	uint64_t counters[NR_RCNT];     /* deltas over the pass */
};

struct rx_size_result {
	uint32_t rec_size;
	uint32_t records;
	uint32_t frames;
	struct rx_best model, evp;
	struct rx_best lib_zc, lib_copy; /* the library alone (bench_rx_lib.c) */
	struct rx_resync_result resync;
};

/* What the record callback checks and keeps. */
struct rx_sink {
	const struct rx_set *s;
	uint32_t records;       /* delivered this pass */
	bool check;             /* compare each record's plaintext with what was sent */
	struct mlx5tls_rx *rx;  /* set: note per record whether the device authenticated it */
	uint64_t by_device;
	uint8_t *dev_rec;       /* [records] 1: authenticated by the device */
};

struct rxb {
	struct tool *t;
	const struct tool_suite *suite;
	double seconds;
	struct mlx5tls_pd *pd;
	struct mlx5tls_td *td;
	struct mlx5tls_qp *qp;  /* control queue: the RX context's params and GET_PSV */
	struct mlx5tls_rq *rq;
	struct mlx5tls_tir *tir;
	struct mlx5tls_flow *flow;
	union tool_crypto_info ci;
	size_t ci_len;
	EVP_CIPHER_CTX *evp;
	uint8_t *evp_out;       /* EVP decrypts out of place: the stream stays as sent */
	unsigned int cnt_idx[NR_RCNT];
	uint64_t *cnt_vals;
	unsigned int nr_cnt;
	struct mlx5tls_rx_pkt pkts[RX_BATCH];
	struct mlx5tls_rx_pkt held[RX_HOLD_MAX];
	struct rx_size_result res[NR_SIZES];
};

static inline bool is_tls12(const struct rxb *b)
{
	return b->suite->version == TLS_1_2_VERSION;
}

/* Where a record's payload starts: after the header and, in TLS 1.2, the explicit nonce. */
static inline size_t body_off(const struct rxb *b)
{
	return TLS_HDR + (is_tls12(b) ? TLS12_NONCE : 0u);
}

/* bench_rx_stream.c: the stream of rec_size records and its frames, built (0 or -errno; free
 * with rx_set_free either way); the length of frame i; a record's GCM nonce and AAD as the
 * sender computes them (returns the AAD length). */
int rx_set_build(struct rxb *b, struct rx_set *s, uint32_t rec_size);
void rx_set_free(struct rx_set *s);
uint32_t rx_frame_len(const struct rx_set *s, uint32_t i);
size_t rx_record_crypto(const struct rxb *b, const uint8_t *rec, uint64_t seq, size_t pt_len,
			uint8_t nonce[12], uint8_t aad[13]);

/* bench_rx_pass.c: a pass's best time; the record callback and what it checks; an RX context on
 * the bench's queue and TIR (NULL reported). */
void best_add(struct rx_best *b, double ns);
int rx_on_record_cb(void *ctx, uint8_t type, const void *plaintext, size_t len);
int rx_consume(struct rx_sink *k, uint8_t type, const uint8_t *p, size_t len);
struct mlx5tls_rx *rx_open(struct rxb *b);
/* The passes over one stream, 0 or 1 (reported): the same records with EVP; a lost header
 * segment retransmitted later (mlx5tls_rx_input in TCP order), what the resync cost in r. */
int rx_pass_evp(struct rxb *b, const struct rx_set *s, struct rx_best *best);
int rx_pass_resync(struct rxb *b, const struct rx_set *s, struct rx_resync_result *r);

/* bench_rx_report.c: the resync counters by name; every figure and the target lines of a
 * measured run. */
extern const char *const rx_resync_counters[NR_RCNT];
void bench_rx_print_report(const struct rxb *b);

/*
 * bench_rx_lib.c: the library alone. The frames go through the model first, outside the timed
 * region, a chunk at a time; then timed: polling the receive queue, mlx5tls_rx_packet,
 * mlx5tls_rx_input_segs (zero_copy) or mlx5tls_rx_input per packet, the record callback,
 * releasing the buffers. Every record must be the device's. 0 or 1 (reported).
 * rx_pass_model: the throughput pass through the device - the same zero-copy path with the
 * model's receive path timed too, RX_BATCH frames between polls (best NULL: untimed, every
 * byte compared).
 */
int rx_pass_lib(struct rxb *b, const struct rx_set *s, bool zero_copy, struct rx_best *best);
int rx_pass_model(struct rxb *b, const struct rx_set *s, struct rx_best *best);

#endif
