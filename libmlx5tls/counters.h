/* SPDX-License-Identifier: BSD-3-Clause */
/* Device counter ids. Names and descriptions live in counters.c, in this order; the order is ABI
 * (mlx5tls_counter_name(idx)), so new counters are appended only. */
#ifndef MLX5TLS_COUNTERS_H
#define MLX5TLS_COUNTERS_H

enum mlx5tls_counter_id {
	MLX5TLS_CNT_FW_CMDS,
	MLX5TLS_CNT_FW_CMD_ERRORS,
	MLX5TLS_CNT_DEK_CREATE,
	MLX5TLS_CNT_DEK_DESTROY,
	MLX5TLS_CNT_DEK_BULK_ALLOC,
	MLX5TLS_CNT_DEK_BULK_FREE,
	MLX5TLS_CNT_DEK_KEY_LOAD,
	MLX5TLS_CNT_DEK_SYNC,
	MLX5TLS_CNT_TX_TLS_POOL_ALLOC,
	MLX5TLS_CNT_TX_TLS_POOL_FREE,
	MLX5TLS_CNT__MAX
};

#endif
