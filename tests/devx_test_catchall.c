/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The catch-all flow (mlx5tls_flow_create_default) through the real DevX code: an empty-mask
 * flow matcher below the exact rules and a flow to a DevX TIR, which the interposer turns into
 * the model's default destination. Frames no exact rule matches reach the default queue; an
 * exact rule still wins.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "devx_shim.h"
#include "mlx5tls/mlx5tls.h"
#include "test_util.h"

#define DEV "mlx5_0"

/* IPv4/TCP frame 198.18.0.2:40000 -> 198.18.0.1:port, valid checksums, 4 payload bytes. */
static size_t tcp_frame(uint8_t *f, uint16_t port)
{
	uint8_t *ip = f + 14, *tcp = ip + 20;
	uint32_t sum = 0;
	size_t iplen = 20 + 20 + 4;

	memset(f, 0, 14 + iplen);
	f[0] = 2, f[5] = 1, f[6] = 2, f[11] = 2;
	f[12] = 0x08;
	ip[0] = 0x45;
	ip[3] = (uint8_t)iplen;
	ip[8] = 64;
	ip[9] = 6;
	ip[12] = 198, ip[13] = 18, ip[15] = 2;
	ip[16] = 198, ip[17] = 18, ip[19] = 1;
	for (int i = 0; i < 20; i += 2)
		sum += (uint32_t)(ip[i] << 8 | ip[i + 1]);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	ip[10] = (uint8_t)(~sum >> 8);
	ip[11] = (uint8_t)~sum;
	tcp[0] = 0x9c, tcp[1] = 0x40;
	tcp[2] = (uint8_t)(port >> 8), tcp[3] = (uint8_t)port;
	tcp[12] = 0x50;
	tcp[13] = 0x18;
	tcp[14] = 0xff;
	memcpy(tcp + 20, "ping", 4);
	sum = 0;
	for (int i = 12; i < 20; i += 2)
		sum += (uint32_t)(ip[i] << 8 | ip[i + 1]);
	sum += 6 + 24;
	for (int i = 0; i < 24; i += 2)
		sum += (uint32_t)(tcp[i] << 8 | tcp[i + 1]);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	tcp[16] = (uint8_t)(~sum >> 8);
	tcp[17] = (uint8_t)~sum;
	return 14 + iplen;
}

static int got(struct mlx5tls_rq *rq)
{
	struct mlx5tls_rx_pkt p[4];
	int n = mlx5tls_rq_poll(rq, p, 4, 50);

	for (int i = 0; i < n; i++)
		CU_ASSERT_EQUAL(mlx5tls_rq_release(rq, &p[i]), 0);
	return n;
}

static void test_catch_all(void)
{
	MLX5TLS_OPTS(mlx5tls_rq_opts, ro, .log_wqes = 4);
	struct mlx5tls_flow_match m = { .ip_version = 4, .src_port = 40000, .dst_port = 8443 };
	struct mlx5tls_device *dev = mlx5tls_device_open(DEV, NULL);
	struct mlx5tls_pd *pd;
	struct mlx5tls_td *td;
	struct mlx5tls_rq *def_rq, *conn_rq;
	struct mlx5tls_tir *def_tir, *conn_tir;
	struct mlx5tls_flow *def, *conn;
	uint8_t fr[128];

	CU_ASSERT_PTR_NOT_NULL_FATAL(dev);
	pd = mlx5tls_pd_alloc(dev);
	td = mlx5tls_td_alloc(dev);
	def_rq = mlx5tls_rq_create(pd, td, &ro);
	conn_rq = mlx5tls_rq_create(pd, td, &ro);
	CU_ASSERT_PTR_NOT_NULL_FATAL(def_rq);
	CU_ASSERT_PTR_NOT_NULL_FATAL(conn_rq);
	def_tir = mlx5tls_tir_create(def_rq, td, NULL);
	conn_tir = mlx5tls_tir_create(conn_rq, td, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(def_tir);
	CU_ASSERT_PTR_NOT_NULL_FATAL(conn_tir);
	m.src_ip[0] = 198, m.src_ip[1] = 18, m.src_ip[3] = 2;
	m.dst_ip[0] = 198, m.dst_ip[1] = 18, m.dst_ip[3] = 1;
	devx_shim_reset_calls();
	def = mlx5tls_flow_create_default(def_tir);
	CU_ASSERT_PTR_NOT_NULL_FATAL(def);
	CU_ASSERT_EQUAL(devx_shim_calls("mlx5dv_create_flow_matcher"), 1);
	CU_ASSERT_EQUAL(devx_shim_calls("mlx5dv_create_flow"), 1);
	conn = mlx5tls_flow_create(conn_tir, &m);
	CU_ASSERT_PTR_NOT_NULL_FATAL(conn);
	/* the connection's frame: its exact rule; any other: the catch-all */
	CU_ASSERT_EQUAL(devx_shim_wire_rx(DEV, fr, tcp_frame(fr, 8443)), 0);
	CU_ASSERT_EQUAL(got(conn_rq), 1);
	CU_ASSERT_EQUAL(got(def_rq), 0);
	CU_ASSERT_EQUAL(devx_shim_wire_rx(DEV, fr, tcp_frame(fr, 9999)), 0);
	CU_ASSERT_EQUAL(got(def_rq), 1);
	CU_ASSERT_EQUAL(got(conn_rq), 0);
	/* without it, unmatched frames are dropped */
	CU_ASSERT_EQUAL(mlx5tls_flow_destroy(def), 0);
	CU_ASSERT_EQUAL(devx_shim_wire_rx(DEV, fr, tcp_frame(fr, 9999)), 0);
	CU_ASSERT_EQUAL(got(def_rq), 0);
	CU_ASSERT_EQUAL(mlx5tls_flow_destroy(conn), 0);
	CU_ASSERT_EQUAL(mlx5tls_tir_destroy(def_tir), 0);
	CU_ASSERT_EQUAL(mlx5tls_tir_destroy(conn_tir), 0);
	CU_ASSERT_EQUAL(mlx5tls_rq_destroy(def_rq), 0);
	CU_ASSERT_EQUAL(mlx5tls_rq_destroy(conn_rq), 0);
	CU_ASSERT_EQUAL(mlx5tls_td_dealloc(td), 0);
	CU_ASSERT_EQUAL(mlx5tls_pd_dealloc(pd), 0);
	CU_ASSERT_EQUAL(mlx5tls_device_close(dev), 0);
}

static const struct test_case cases[] = {
	{ "catch_all", test_catch_all },
	{ NULL, NULL },
};

static const struct test_suite suites[] = {
	{ "devx_catchall", NULL, NULL, cases },
	{ NULL, NULL, NULL, NULL },
};

int main(void)
{
	return test_run_suites(suites);
}
