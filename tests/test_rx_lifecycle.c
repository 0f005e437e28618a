/* SPDX-License-Identifier: BSD-3-Clause */
/* TLS RX contexts over their whole life on the model through the sim transport (cases:
 * rx_lifecycle_cases.h and rx_record_cases.h). */
#include "mlx5tls/mlx5tls.h"

#define RX_DEV "sim"

static int rx_wire(struct mlx5tls_device *dev, const void *frame, size_t len)
{
	return mlx5tls_model_wire_rx(dev, frame, len);
}

#include "rx_record_cases.h"

int main(void)
{
	return rx_lifecycle_run("rx_lifecycle", "rx_records");
}
