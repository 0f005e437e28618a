/* SPDX-License-Identifier: BSD-3-Clause */
/* mlx5tls-bench: one file per benchmark, each exporting bench_<name>(). */
#ifndef MLX5TLS_TOOLS_BENCH_H
#define MLX5TLS_TOOLS_BENCH_H

#include "tool.h"

/* setup [-d DEV] [-n CONTEXTS] [-l LIVE] [-j [-p]]: connection-setup churn, pooled vs not. */
int bench_setup(struct tool *t);
void bench_setup_usage(FILE *fp);

#endif /* MLX5TLS_TOOLS_BENCH_H */
