/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The library's receive side on the model (sim transport), through the public API only: receive
 * queues, TIRs, steering, and mlx5tls_model_wire_rx, which plays the network into the device.
 * The cases are shared with devx_test_rx.c (util/rx_queue_cases.h).
 */
#include <stdbool.h>
#include <stddef.h>

#include "mlx5tls/mlx5tls.h"

#define RX_DEV "sim"
#define RX_DEV_LEGACY "sim:cx6dx-legacy"
#define RX_OOB_KNOWN true
#define RX_MODEL true

static int rx_wire(struct mlx5tls_device *dev, const void *frame, size_t len)
{
	return mlx5tls_model_wire_rx(dev, frame, len);
}

#include "rx_queue_cases.h"

static const struct test_suite suites[] = {
	{ "rx_queue", NULL, NULL, cases },
	{ NULL, NULL, NULL, NULL },
};

int main(void)
{
	return test_run_suites(suites);
}
