/* SPDX-License-Identifier: BSD-3-Clause */
/* mlx5tls-query: one file per object, each exporting cmd_<object>(). */
#ifndef MLX5TLS_TOOLS_QUERY_H
#define MLX5TLS_TOOLS_QUERY_H

#include "tool.h"

int cmd_dev(struct tool *t);
int cmd_caps(struct tool *t);
int cmd_selftest(struct tool *t);

#endif /* MLX5TLS_TOOLS_QUERY_H */
