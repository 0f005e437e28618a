/* SPDX-License-Identifier: BSD-3-Clause */
/* The one table of counter names, shared by the API and mlx5tls-query. Kernel names where the
 * kernel has the counter (fact sheet 10.6: tx_tls_pool_alloc/free count TIS creations and
 * destructions by the pool). */
#include "mlx5tls_internal.h"

static const struct {
	const char *name;
	const char *desc;
} counter_table[MLX5TLS_CNT__MAX] = {
	[MLX5TLS_CNT_FW_CMDS] = { "fw_cmds", "firmware commands issued" },
	[MLX5TLS_CNT_FW_CMD_ERRORS] = { "fw_cmd_errors", "firmware commands rejected" },
	[MLX5TLS_CNT_DEK_CREATE] = { "dek_create", "single DEK objects created" },
	[MLX5TLS_CNT_DEK_DESTROY] = { "dek_destroy", "single DEK objects destroyed" },
	[MLX5TLS_CNT_DEK_BULK_ALLOC] = { "dek_bulk_alloc", "bulk DEK objects created by pools" },
	[MLX5TLS_CNT_DEK_BULK_FREE] = { "dek_bulk_free", "bulk DEK objects destroyed by pools" },
	[MLX5TLS_CNT_DEK_KEY_LOAD] = { "dek_key_load", "keys loaded into bulk DEKs (MODIFY)" },
	[MLX5TLS_CNT_DEK_SYNC] = { "dek_sync", "SYNC_CRYPTO commands issued by pools" },
	[MLX5TLS_CNT_TX_TLS_POOL_ALLOC] = { "tx_tls_pool_alloc", "TIS objects created by TIS pools" },
	[MLX5TLS_CNT_TX_TLS_POOL_FREE] = { "tx_tls_pool_free", "TIS objects destroyed by TIS pools" },
};

unsigned int mlx5tls_counter_count(void)
{
	return MLX5TLS_CNT__MAX;
}

const char *mlx5tls_counter_name(unsigned int idx)
{
	return idx < MLX5TLS_CNT__MAX ? counter_table[idx].name : NULL;
}

const char *mlx5tls_counter_desc(unsigned int idx)
{
	return idx < MLX5TLS_CNT__MAX ? counter_table[idx].desc : NULL;
}

int mlx5tls_device_counters(struct mlx5tls_device *dev, uint64_t *vals, unsigned int n)
{
	if (!dev || (!vals && n))
		return libmlx5tls_err(-EINVAL);
	if (n > MLX5TLS_CNT__MAX)
		n = MLX5TLS_CNT__MAX;
	for (unsigned int i = 0; i < n; i++)
		vals[i] = atomic_load_explicit(&dev->counters[i], memory_order_relaxed);
	return (int)n;
}
