// SPDX-License-Identifier: BSD-3-Clause
// A C++ user of the public header (-std=c++11 -pedantic): extern "C" linkage, MLX5TLS_OPTS_INIT.
#include <cstdio>

#include <mlx5tls/mlx5tls.h>

int main()
{
	struct mlx5tls_tx_opts o;

	MLX5TLS_OPTS_INIT(o);
	o.flags = MLX5TLS_TX_F_SW_FALLBACK;
	if (o.sz != sizeof(o) || o.conn != nullptr || o.label != nullptr)
		return 1;
	mlx5tls_device *dev = mlx5tls_device_open("sim", nullptr);
	if (!dev)
		return 2;
	std::printf("c++: libmlx5tls %s, device opened\n", mlx5tls_version(nullptr, nullptr, nullptr));
	return mlx5tls_device_close(dev) ? 3 : 0;
}
