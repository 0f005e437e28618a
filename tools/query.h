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
/* The connections of the TLS contexts, one row per connection (ss -tie style). */
int cmd_conn(struct tool *t);

/* The connection filters of conn and ctx (conn.c): their definitions, in this order, end a
 * command's filter table; the command's own filters follow from index CONN_F_NR. */
#include "filter.h"
#include "json.h"
enum { CONN_F_LADDR, CONN_F_RADDR, CONN_F_ADDR, CONN_F_LPORT, CONN_F_RPORT, CONN_F_PORT,
       CONN_F_LABEL, CONN_F_NR };
extern const struct filter_def conn_filter_defs[CONN_F_NR + 1];
/* 0, or 1 after a message: an address that is none, a port above 65535. */
int conn_filter_check(struct tool *t, const struct filter_val *f);
bool conn_filter_active(const struct filter_val *f);
/* Whether a context (a "contexts" row) passes f[0..CONN_F_NR). */
bool conn_filter_match(const struct filter_val *f, const struct jv *ctx);
/* Text: " LOCAL PEER [label L]" of a context, or " conn -". */
void conn_print_endpoints(const struct jv *ctx);
int cmd_dek(struct tool *t);
int cmd_tis(struct tool *t);
int cmd_tir(struct tool *t);
int cmd_pool(struct tool *t);
int cmd_qp(struct tool *t);
int cmd_stat(struct tool *t);
/* MLX5TLS_TRACE files. */
int cmd_trace(struct tool *t);

#endif /* MLX5TLS_TOOLS_QUERY_H */
