/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The library's receive side through its real devx transport (ibv_create_cq, ibv_create_wq,
 * mlx5dv_init_obj RWQ|CQ, ibv_modify_wq, DevX CREATE_TIR, mlx5dv_create_flow_matcher +
 * mlx5dv_create_flow to the TIR) over the DevX interposer, which runs those entry points on the
 * device model: the same cases as test_rx_queue.c (util/rx_queue_cases.h), frames played into
 * the fake NIC's port with devx_shim_wire_rx. The transport cannot tell out_of_buffer (it would
 * need a Q counter), and mlx5tls_model_wire_rx is refused on a hardware device.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "devx_shim.h"
#include "mlx5tls/mlx5tls.h"

#define RX_DEV "mlx5_0"
#define RX_DEV_LEGACY "mlx5_1"
#define RX_OOB_KNOWN false
#define RX_MODEL false

static int rx_wire(struct mlx5tls_device *dev, const void *frame, size_t len)
{
	struct mlx5tls_device_attr a;

	if (mlx5tls_device_query(dev, &a))
		return -EINVAL;
	return devx_shim_wire_rx(a.name, frame, len);
}

#include "rx_queue_cases.h"

/* The calls reach rdma-core's receive and steering entry points (interposed here). */
static void test_entry_points(void)
{
	MLX5TLS_OPTS(mlx5tls_rq_opts, ro, .log_wqes = 4);
	uint64_t steered = 0, no_match = 0;
	uint8_t fr[256], pay[8] = { 0 };
	struct mlx5tls_rx_pkt p[1];
	struct fix f;
	size_t len = tcp_frame(fr, &flow_v4, 9, pay, sizeof(pay), CS_GOOD);

	devx_shim_reset_calls();
	CU_ASSERT_EQUAL_FATAL(fix_open(&f, RX_DEV, &ro, true, &flow_v4), 0);
	CU_ASSERT_EQUAL(devx_shim_calls("ibv_create_wq"), 1);
	CU_ASSERT(devx_shim_calls("ibv_modify_wq") >= 1);
	CU_ASSERT_EQUAL(devx_shim_calls("mlx5dv_create_flow_matcher"), 1);
	CU_ASSERT_EQUAL(devx_shim_calls("mlx5dv_create_flow"), 1);
	CU_ASSERT(devx_shim_calls("ibv_reg_mr") + devx_shim_calls("ibv_reg_mr_iova2") >= 1);
	CU_ASSERT_EQUAL(devx_shim_rx_stats(RX_DEV, &steered, &no_match), 0);
	CU_ASSERT_EQUAL(rx_wire(f.dev, fr, len), 0);
	CU_ASSERT_EQUAL_FATAL(mlx5tls_rq_poll(f.rq, p, 1, 100), 1);
	CU_ASSERT_EQUAL(mlx5tls_rq_release(f.rq, p), 0);
	{
		uint64_t s2 = 0;

		CU_ASSERT_EQUAL(devx_shim_rx_stats(RX_DEV, &s2, NULL), 0);
		CU_ASSERT_EQUAL(s2, steered + 1);
	}
	fix_close(&f);
	CU_ASSERT_EQUAL(devx_shim_calls("ibv_destroy_flow"), 1);
	CU_ASSERT_EQUAL(devx_shim_calls("mlx5dv_destroy_flow_matcher"), 1);
	CU_ASSERT_EQUAL(devx_shim_calls("ibv_destroy_wq"), 1);
	CU_ASSERT_EQUAL(devx_shim_rx_stats("nope", NULL, NULL), -ENODEV);
}

static const struct test_case devx_cases[] = {
	{ "entry_points", test_entry_points },
	{ NULL, NULL },
};

static const struct test_suite suites[] = {
	{ "devx_rx_queue", NULL, NULL, cases },
	{ "devx_rx_shim", NULL, NULL, devx_cases },
	{ NULL, NULL, NULL, NULL },
};

int main(void)
{
	int ret;

	unsetenv("MLX5TLS_DEVICE");
	unsetenv("MLX5TLS_TRACE");
	ret = devx_shim_set_devices("mlx5_0=cx6dx;mlx5_1=cx6dx-legacy");
	if (ret) {
		fprintf(stderr, "devx_shim_set_devices: %s\n", strerror(-ret));
		return 1;
	}
	return test_run_suites(suites);
}
