/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A user of the public header in ISO C99 with -pedantic (CI: .ci/run, and the clean-root package
 * test): MLX5TLS_OPTS_INIT() instead of the GNU statement expression, the version macros, a call
 * into the library on the model.
 */
#include <stdio.h>
#include <string.h>

#include <mlx5tls/mlx5tls.h>

#if MLX5TLS_VERSION_CODE < MLX5TLS_VERSION_NUM(0, 2, 0)
#error "the header is older than this program"
#endif

int main(void)
{
	struct mlx5tls_device_opts o;
	struct mlx5tls_device *dev;
	unsigned int major = 99, minor = 99, patch = 99;
	const char *v = mlx5tls_version(&major, &minor, &patch);
	char want[32];

	MLX5TLS_OPTS_INIT(o);
	if (o.sz != sizeof(o) || o.trace_path != NULL)
		return 1;
	sprintf(want, "%u.%u.%u", major, minor, patch);
	if (strcmp(v, want) != 0 || major != MLX5TLS_VERSION_MAJOR)
		return 2;
	dev = mlx5tls_device_open("sim", &o);
	if (!dev)
		return 3;
	printf("c99: libmlx5tls %s, header %d.%d.%d, device opened\n", v, MLX5TLS_VERSION_MAJOR,
	       MLX5TLS_VERSION_MINOR, MLX5TLS_VERSION_PATCH);
	return mlx5tls_device_close(dev) ? 4 : 0;
}
