/* SPDX-License-Identifier: BSD-3-Clause */
/* mlx5tls-bench: one file per benchmark, each exporting bench_<name>(). */
#ifndef MLX5TLS_TOOLS_BENCH_H
#define MLX5TLS_TOOLS_BENCH_H

#include "tool.h"

/* setup [-d DEV] [-n CONTEXTS] [-l LIVE] [-j [-p]]: connection-setup churn, pooled vs not. */
int bench_setup(struct tool *t);
void bench_setup_usage(FILE *fp);

/* tx [-d DEV] [--tls V] [--bits B] [-t SECONDS] [-j [-p]]: TLS TX datapath throughput against raw
 * EVP AES-GCM, and the library's cost per TLS data WQE against a plain send. */
int bench_tx(struct tool *t);
void bench_tx_usage(FILE *fp);

/* rx [-d DEV] [--tls V] [--bits B] [-t SECONDS] [-j [-p]]: TLS RX datapath throughput through
 * the device model against EVP AES-GCM decryption, and the records completed in software after
 * a lost header segment until the device resyncs. */
int bench_rx(struct tool *t);
void bench_rx_usage(FILE *fp);

#endif /* MLX5TLS_TOOLS_BENCH_H */
