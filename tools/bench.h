/* SPDX-License-Identifier: BSD-3-Clause */
/* mlx5tls-bench: one file per benchmark, each exporting bench_<name>(). */
#ifndef MLX5TLS_TOOLS_BENCH_H
#define MLX5TLS_TOOLS_BENCH_H

#include "tool.h"

/* setup [-d DEV] [-n CONTEXTS] [-l LIVE] [-j [-p]]: connection-setup churn, pooled vs not. */
int bench_setup(struct tool *t);
void bench_setup_usage(FILE *fp);
/* setup --queues [--full]: real TX and RX contexts on queues, 1k/100k(/1M) live, random
 * replacements per second and memory per context (bench_scale.c); live != 0: the sizes are
 * min(1000, live) and live. */
int bench_scale_run(struct tool *t, bool full, uint32_t live);
/* setup --threads N [-l LIVE]: contexts on N queues, one per thread, each thread destroying,
 * creating, sending on and acknowledging its own contexts; then RX connections (TIR, steering
 * rule, RX context) on N receive queues, each thread replacing its own; N threads against one
 * (bench_threads.c). */
int bench_threads_run(struct tool *t, unsigned int threads, uint32_t live);
#define BENCH_MAX_THREADS 256u
#define BENCH_THREADS_LIVE 10000u /* contexts per thread without -l */

/* ---- shared by setup --queues and --threads (bench_scale.c) ---- */

#define BENCH_FIRST_RECORD_ISN 1000u /* the TCP sequence number contexts are created at */
#define BENCH_FIRST_RECORD_HDR 54u   /* Ethernet + IPv4 + TCP in front of the record */
/* A context's first record (100 bytes of plaintext, application data, kTLS layout: the tag's
 * room is the device's to fill) in one frame at BENCH_FIRST_RECORD_ISN, written to f (at least
 * 256 bytes): its length. Acknowledged at ISN + length - BENCH_FIRST_RECORD_HDR. */
size_t bench_first_record(const union tool_crypto_info *ci, uint8_t *f);
/* Reap every completion of a synchronous model queue: 0, a completion's status, or -errno. */
int bench_reap_all(struct mlx5tls_qp *qp);

/* An RX connection as a server holds one: its TLS TIR, the steering rule of its 4-tuple and its
 * RX context (on queue qp, at TCP sequence number isn). */
struct bench_rx_conn {
	struct mlx5tls_tir *tir;
	struct mlx5tls_flow *flow;
	struct mlx5tls_rx *rx;
};

struct bench_rx_env {
	struct mlx5tls_qp *qp;
	struct mlx5tls_rq *rq;
	struct mlx5tls_td *td;
	struct mlx5tls_dek_pool *dek_pool;
	const union tool_crypto_info *ci;
	size_t ci_len;
	uint32_t isn;
};

/* Make c, the flow_no-th connection (a distinct 4-tuple in 198.18.0.0/15 per number: unique on
 * the device as long as flow_no is). 0 or -errno, with whatever was made left in c for
 * bench_rx_conn_del. */
int bench_rx_conn_new(const struct bench_rx_env *e, uint32_t flow_no, struct bench_rx_conn *c);
/* Destroy what c holds, rule first (the context then leaves its TLS state on a TIR no packet
 * reaches, so the TIR need not be renewed), and zero it. 0 or the first error. */
int bench_rx_conn_del(struct bench_rx_conn *c);

/* tx [-d DEV] [--tls V] [--bits B] [-t SECONDS] [-j [-p]]: TLS TX datapath throughput against raw
 * EVP AES-GCM, and the library's cost per TLS data WQE against a plain send. */
int bench_tx(struct tool *t);
void bench_tx_usage(FILE *fp);

/* rx [-d DEV] [--tls V] [--bits B] [-t SECONDS] [-j [-p]]: TLS RX datapath throughput through
 * the device model against EVP AES-GCM decryption, and the records completed in software after
 * a lost header segment until the device resyncs. */
int bench_rx(struct tool *t);
void bench_rx_usage(FILE *fp);

/* ---- shared by tx and rx (bench_common.c) ---- */

/* The options of tx and rx: -d DEV, --tls 1.2|1.3 (version: TLS_1_x_VERSION), --bits 128|256,
 * -t SECONDS in (0, 60], -j, -p. 0 to run, -1 after -h (success), 1 on a bad option. */
int bench_parse_args(struct tool *t, int *version, unsigned int *bits, double *seconds);
/* The suite of that version and key size, NULL if there is none. */
const struct tool_suite *bench_find_suite(int version, unsigned int bits);
/* CLOCK_MONOTONIC in nanoseconds. */
double bench_now_ns(void);
/* xorshift64: which context goes next in the churn benchmarks (*s not 0). */
uint64_t bench_rng_next(uint64_t *s);
/* Nanoseconds per step of a chase through `bytes` of heap memory in a random order for about
 * `seconds` (bench_memlat.c): one dependent cache miss. 0 if the memory cannot be had. */
double bench_mem_latency_ns(size_t bytes, double seconds, uint64_t seed);
/* a / b, 0 when b is not positive. */
double bench_ratio(double a, double b);
/* SSL_write() of `records` records of rec_size bytes after an in-process handshake (bench_ssl.c):
 * the best pass in *best_ns. 0 or -errno. */
int bench_ssl_write(int version, unsigned int bits, uint32_t rec_size, uint32_t records,
		    double seconds, double *best_ns);
#endif /* MLX5TLS_TOOLS_BENCH_H */
