/* SPDX-License-Identifier: BSD-3-Clause */
/* The library's version at run time; CMake checks that the header's macros name the project's. */
#include "mlx5tls_internal.h"

#ifndef MLX5TLS_LIB_VERSION
#error "MLX5TLS_LIB_VERSION comes from the build (project version)"
#endif

const char *mlx5tls_version(unsigned int *major, unsigned int *minor, unsigned int *patch)
{
	if (major)
		*major = MLX5TLS_VERSION_MAJOR;
	if (minor)
		*minor = MLX5TLS_VERSION_MINOR;
	if (patch)
		*patch = MLX5TLS_VERSION_PATCH;
	return MLX5TLS_LIB_VERSION;
}
