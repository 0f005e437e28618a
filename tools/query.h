/* SPDX-License-Identifier: BSD-3-Clause */
/* mlx5tls-query: one file per object, each exporting cmd_<object>(). */
#ifndef MLX5TLS_TOOLS_QUERY_H
#define MLX5TLS_TOOLS_QUERY_H

#include "tool.h"

int cmd_dev(struct tool *t);
int cmd_caps(struct tool *t);
int cmd_selftest(struct tool *t);
/* Live inspection of publishing processes (mlx5tls-inspect(7)). */
int cmd_proc(struct tool *t);
int cmd_ctx(struct tool *t);
int cmd_dek(struct tool *t);
int cmd_tis(struct tool *t);
int cmd_tir(struct tool *t);
int cmd_pool(struct tool *t);
int cmd_qp(struct tool *t);
int cmd_stat(struct tool *t);
/* MLX5TLS_TRACE files. */
int cmd_trace(struct tool *t);

#endif /* MLX5TLS_TOOLS_QUERY_H */
