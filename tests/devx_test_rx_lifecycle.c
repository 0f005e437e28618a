/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * TLS RX contexts over their whole life through the library's real devx transport, over the DevX
 * interposer (tests/shim): the same cases as test_rx_lifecycle.c (rx_lifecycle_cases.h,
 * rx_record_cases.h).
 */
#include <errno.h>

#include "devx_shim.h"
#include "mlx5tls/mlx5tls.h"

#define RX_DEV "mlx5_0"

static int rx_wire(struct mlx5tls_device *dev, const void *frame, size_t len)
{
	struct mlx5tls_device_attr a;

	if (mlx5tls_device_query(dev, &a))
		return -EINVAL;
	return devx_shim_wire_rx(a.name, frame, len);
}

#include "rx_record_cases.h"

int main(void)
{
	return rx_lifecycle_run("devx_rx_lifecycle", "devx_rx_records");
}
