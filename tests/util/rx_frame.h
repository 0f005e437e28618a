/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What the receive-side test suites share (rx_offload_cases.h, rx_lifecycle_fixture.h): the
 * peer's TCP segments as frames with valid checksums (the device checks them), between addresses
 * of 198.18.0.0/15 - 198.18.0.2 (the peer) to 198.18.0.1 (this side); waiting for the control
 * queue. (A device counter by name: test_counter in test_util.h.)
 */
#ifndef MLX5TLS_TEST_RX_FRAME_H
#define MLX5TLS_TEST_RX_FRAME_H

#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "be_bytes.h"
#include "inet_csum.h"
#include "mlx5tls/mlx5tls.h"
#include "test_util.h"

#define RX_FRAME_HDRS 54u /* Ethernet + IPv4 + TCP without options */
#define RX_PEER_IP 0xc6120002u /* 198.18.0.2 */
#define RX_LOCAL_IP 0xc6120001u /* 198.18.0.1 */

/* The peer's segment: Ethernet / IPv4 / TCP sport -> dport, payload at TCP sequence seq. */
static inline size_t rx_tcp_frame(uint16_t sport, uint16_t dport, uint32_t seq,
				  const uint8_t *payload, uint32_t len, uint8_t *fr)
{
	uint8_t *ip = fr + 14, *tcp = ip + 20;

	memset(fr, 0, RX_FRAME_HDRS);
	fr[0] = 2, fr[5] = 1, fr[6] = 2, fr[11] = 2;
	put16(fr + 12, 0x0800);
	ip[0] = 0x45;
	put16(ip + 2, 40 + len);
	put16(ip + 6, 0x4000);
	ip[8] = 64;
	ip[9] = 6;
	put32(ip + 12, RX_PEER_IP);
	put32(ip + 16, RX_LOCAL_IP);
	put16(ip + 10, test_csum_field(test_csum_add(0, ip, 20)));
	put16(tcp, sport);
	put16(tcp + 2, dport);
	put32(tcp + 4, seq);
	put32(tcp + 8, 1);
	tcp[12] = 5 << 4;
	tcp[13] = 0x18;
	put16(tcp + 14, 65535);
	memcpy(tcp + 20, payload, len);
	put16(tcp + 16, test_csum_field(test_csum_add(test_csum_add(0, ip + 12, 8) + 6 + 20 + len,
						      tcp, 20 + len)));
	return RX_FRAME_HDRS + len;
}

/* The steering match of those segments (the receiver's view: src is the peer). */
static inline void rx_flow_match(struct mlx5tls_flow_match *m, uint16_t sport, uint16_t dport)
{
	memset(m, 0, sizeof(*m));
	m->ip_version = 4;
	m->src_port = sport;
	m->dst_port = dport;
	put32(m->src_ip, RX_PEER_IP);
	put32(m->dst_ip, RX_LOCAL_IP);
}

/* The control queue is done with everything posted (params, GET_PSV): on an asynchronous
 * device the test waits, so both devices behave alike. */
static inline void settle(struct mlx5tls_qp *qp)
{
	struct mlx5tls_qp_attr a;

	for (int i = 0; i < 200000; i++) {
		CU_ASSERT_EQUAL_FATAL(mlx5tls_qp_poll(qp, NULL, 0, 0), 0);
		CU_ASSERT_EQUAL_FATAL(mlx5tls_qp_query(qp, &a, sizeof(a)), 0);
		if (!a.inflight)
			return;
		usleep(10);
	}
	CU_FAIL("the control queue did not drain");
}

#endif
