/* SPDX-License-Identifier: BSD-3-Clause */
/* The library's only way to say something: through the callback of mlx5tls_set_print(). Never
 * pass key material to these. */
#ifndef MLX5TLS_LOG_H
#define MLX5TLS_LOG_H

#include "mlx5tls/mlx5tls.h"

void mlx5tls_log(enum mlx5tls_print_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define pr_warn(fmt, ...) mlx5tls_log(MLX5TLS_WARN, "libmlx5tls: " fmt, ##__VA_ARGS__)
#define pr_info(fmt, ...) mlx5tls_log(MLX5TLS_INFO, "libmlx5tls: " fmt, ##__VA_ARGS__)
#define pr_debug(fmt, ...) mlx5tls_log(MLX5TLS_DEBUG, "libmlx5tls: " fmt, ##__VA_ARGS__)

#endif
