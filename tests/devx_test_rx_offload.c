/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * TLS RX offload end to end through the library's real devx transport, over the DevX interposer
 * (tests/shim): the same cases as test_rx_offload.c (rx_offload_cases.h); frames enter the fake
 * NIC's port with devx_shim_wire_rx.
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

#include "rx_offload_cases.h"

int main(void)
{
	return tls_peer_run_suite("devx_rx_offload", rx_offload_cases);
}
