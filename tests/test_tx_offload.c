/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * TLS TX offload end to end through the model: real OpenSSL handshake, the server's write keys
 * to mlx5tls_tx_create(), records sent as TCP frames through a raw Ethernet queue, the wire
 * reassembled and read by the OpenSSL client, which must authenticate every record.
 */
#include <openssl/ssl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_util.h"
#include "tx_harness.h"

static uint8_t *pattern(size_t len, uint8_t seed)
{
	uint8_t *p = malloc(len);

	for (size_t i = 0; p && i < len; i++)
		p[i] = (uint8_t)(seed + i * 7 + (i >> 8));
	return p;
}

/* Read everything sent so far and compare with the plaintext. */
static void expect_plaintext(struct txh *h, const uint8_t *pt, size_t len)
{
	uint8_t *got = malloc(len + 1);
	long n;

	CU_ASSERT_PTR_NOT_NULL_FATAL(got);
	n = txh_client_read(h, got, len + 1);
	if (n != (long)len)
		fprintf(stderr, "read %ld of %zu: %s\n", n, len, tls_peer_last_error(h->pair, TLS_PEER_CLIENT));
	CU_ASSERT_EQUAL(n, (long)len);
	if (n == (long)len)
		CU_ASSERT_EQUAL(memcmp(got, pt, len), 0);
	CU_ASSERT_EQUAL(h->rx_bad_csum, 0);
	CU_ASSERT_EQUAL(h->rx_mismatch, 0);
	free(got);
}

static void run_in_order(int version, unsigned int bits)
{
	struct txh_opts o = { .tls_version = version, .key_bits = bits, .isn = 0xfffff000u };
	struct mlx5tls_tx_info info;
	struct txh h;
	size_t len = 100000;
	uint8_t *pt = pattern(len, (uint8_t)bits);

	CU_ASSERT_EQUAL_FATAL(txh_init(&h, &o), 0);
	txh_add_records(&h, pt, len, 16384);
	CU_ASSERT_EQUAL(txh_send_segments(&h, 0, h.stream_len, 1448), 0);
	CU_ASSERT(txh_drain(&h) > 0);
	expect_plaintext(&h, pt, len);
	CU_ASSERT_EQUAL(mlx5tls_tx_query(h.tx, &info, sizeof(info)), 0);
	CU_ASSERT_EQUAL(info.path, MLX5TLS_TX_PATH_DEVICE);
	CU_ASSERT_EQUAL(info.encrypted_bytes, h.stream_len);
	CU_ASSERT_EQUAL(info.ooo, 0);
	CU_ASSERT_EQUAL(info.records_held, (len + 16383) / 16384);
	txh_fini(&h);
	free(pt);
}

static void test_in_order_tls12_128(void)
{
	run_in_order(TLS1_2_VERSION, 128);
}

static void test_in_order_tls12_256(void)
{
	run_in_order(TLS1_2_VERSION, 256);
}

static void test_in_order_tls13_128(void)
{
	run_in_order(TLS1_3_VERSION, 128);
}

static void test_in_order_tls13_256(void)
{
	run_in_order(TLS1_3_VERSION, 256);
}

static void test_retransmit_mid_record(void)
{
	struct txh_opts o = { .tls_version = TLS1_3_VERSION, .key_bits = 128, .isn = 1000 };
	struct mlx5tls_tx_info info;
	struct txh h;
	size_t len = 40000;
	uint8_t *pt = pattern(len, 3);

	CU_ASSERT_EQUAL_FATAL(txh_init(&h, &o), 0);
	txh_add_records(&h, pt, len, 16384);
	/* lose the second segment on the wire, then retransmit it after the rest */
	CU_ASSERT_EQUAL(txh_send(&h, 0, 1448, 0), 0);
	h.rx_drop_next = 1;
	CU_ASSERT_EQUAL(txh_send_segments(&h, 1448, h.stream_len - 1448, 1448), 0);
	CU_ASSERT_EQUAL(txh_send(&h, 1448, 1448, 0), 0);
	CU_ASSERT(txh_drain(&h) > 0);
	expect_plaintext(&h, pt, len);
	CU_ASSERT_EQUAL(mlx5tls_tx_query(h.tx, &info, sizeof(info)), 0);
	CU_ASSERT_EQUAL(info.ooo, 1);
	CU_ASSERT_EQUAL(info.dump_bytes, 1448);
	txh_fini(&h);
	free(pt);
}

static const struct test_case tx_cases[] = {
	{ "in_order_tls12_128", test_in_order_tls12_128 },
	{ "in_order_tls12_256", test_in_order_tls12_256 },
	{ "in_order_tls13_128", test_in_order_tls13_128 },
	{ "in_order_tls13_256", test_in_order_tls13_256 },
	{ "retransmit_mid_record", test_retransmit_mid_record },
	{ NULL, NULL },
};

static int cleanup(void)
{
	tls_peer_global_cleanup();
	return 0;
}

int main(void)
{
	const struct test_suite suites[] = {
		{ "tx_offload", NULL, cleanup, tx_cases },
		{ NULL, NULL, NULL, NULL },
	};

	return test_run_suites(suites);
}
