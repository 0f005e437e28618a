/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#include "log.h"

static int default_print(enum mlx5tls_print_level level, const char *fmt, va_list args)
{
	static int debug_enabled = -1;

	if (debug_enabled < 0)
		debug_enabled = getenv("MLX5TLS_DEBUG") != NULL;
	if (level == MLX5TLS_DEBUG && !debug_enabled)
		return 0;
	return vfprintf(stderr, fmt, args);
}

static _Atomic(mlx5tls_print_fn_t) print_fn = default_print;

mlx5tls_print_fn_t mlx5tls_set_print(mlx5tls_print_fn_t fn)
{
	return atomic_exchange(&print_fn, fn);
}

void mlx5tls_log(enum mlx5tls_print_level level, const char *fmt, ...)
{
	mlx5tls_print_fn_t fn = atomic_load(&print_fn);
	int saved_errno = errno; /* callers log on their error path and then return errno */
	va_list args;

	if (!fn)
		return;
	va_start(args, fmt);
	fn(level, fmt, args);
	va_end(args);
	errno = saved_errno;
}
