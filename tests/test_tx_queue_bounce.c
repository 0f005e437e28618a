/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The send queue under TLS TX on the software path, through the model and read by a real
 * OpenSSL client: its bounce buffer across the wrap of its 32-bit position counters (a size that
 * is a power of two and one that is not), LSO frames on the model's device thread that wait for
 * bounce memory, and frames larger than half the buffer. The fixture is
 * tests/util/tx_queue_fixture.h.
 */
#include "tx_queue_fixture.h"

/* The software path's bounce buffer across the wrap of its 32-bit position counters, with
 * frames pending in it (posted with MORE), and a size that is not a power of two. */
static void run_bounce_wrap(uint32_t bounce)
{
	struct txh_opts o = { .tls_version = TLS1_3_VERSION, .key_bits = 128, .isn = 77,
			      .tx_flags = MLX5TLS_TX_F_SOFTWARE, .bounce_bytes = bounce };
	unsigned int frames = 0;
	struct txh h;
	size_t len = 200000, off = 0;
	uint8_t *pt = txh_pattern(len, 109);

	CU_ASSERT_EQUAL_FATAL(txh_init(&h, &o), 0);
	txh_add_records(&h, pt, len, 16384);
	h.qp->bounce.head = (1ull << 32) - 5000; /* 5000 bytes before 32 bits would wrap */
	h.qp->bounce.tail = h.qp->bounce.head;
	while (off < h.stream_len) {
		size_t n = h.stream_len - off < 1400 ? h.stream_len - off : 1400;
		struct mlx5tls_frame f;

		CU_ASSERT_EQUAL_FATAL(txh_frame(&h, off, n, 0, &f), 0);
		CU_ASSERT_EQUAL(mlx5tls_tx_send(h.tx, &f, MLX5TLS_SEND_F_MORE), 0);
		off += n;
		if (++frames % 60 == 0) /* up to 60 frames = 84 KB pending in the bounce buffer */
			CU_ASSERT_EQUAL(mlx5tls_qp_flush(h.qp), 0);
	}
	CU_ASSERT(txh_drain(&h) > 0);
	CU_ASSERT_EQUAL(txh_check_plaintext(&h, pt, len), 0);
	txh_fini(&h);
	free(pt);
}

static void test_bounce_wrap_pow2(void)
{
	run_bounce_wrap(1u << 17);
}

static void test_bounce_wrap_odd(void)
{
	run_bounce_wrap(100000);
}

/* The software path on the device thread with LSO frames: waiting for bounce memory as the
 * device path waits for ring room, not failing with -EAGAIN while the device is busy. */
static void run_software_async(int version, unsigned int bits)
{
	struct txh_opts o = { .tls_version = version, .key_bits = bits, .isn = 5, .qp_async = true,
			      .tx_flags = MLX5TLS_TX_F_SOFTWARE };
	struct mlx5tls_tx_info info;
	struct txh h;
	size_t len = 3000000, off = 0;
	uint8_t *pt = txh_pattern(len, 131);

	CU_ASSERT_EQUAL_FATAL(txh_init(&h, &o), 0);
	txh_add_records(&h, pt, len, 16384);
	while (off < h.stream_len) {
		size_t n = h.stream_len - off < 60000 ? h.stream_len - off : 60000;
		int ret = txh_send(&h, off, n, 1448);

		CU_ASSERT_EQUAL(ret, 0);
		if (ret)
			break; /* not FATAL: the device thread must be stopped by txh_fini */
		off += n;
	}
	CU_ASSERT(txh_drain(&h) > 0);
	CU_ASSERT_EQUAL(txh_check_plaintext(&h, pt, len), 0);
	info_of(&h, &info);
	CU_ASSERT_EQUAL(info.sw_bytes, h.stream_len);
	txh_fini(&h);
	free(pt);
}

static void test_software_async_tls12(void)
{
	run_software_async(TLS1_2_VERSION, 256);
}

static void test_software_async_tls13(void)
{
	run_software_async(TLS1_3_VERSION, 128);
}

/* Frames larger than half of a small bounce buffer: one must fit whenever the buffer is empty
 * (wherever its position is), and one larger than the buffer is refused as too big. */
static void test_bounce_big_frames(void)
{
	struct txh_opts o = { .tls_version = TLS1_2_VERSION, .key_bits = 128, .isn = 9,
			      .tx_flags = MLX5TLS_TX_F_SOFTWARE, .bounce_bytes = 4000 };
	struct mlx5tls_tx_info info;
	struct txh h;
	size_t len = 20000, off = 0;
	uint8_t *pt = txh_pattern(len, 137);

	CU_ASSERT_EQUAL_FATAL(txh_init(&h, &o), 0);
	txh_add_records(&h, pt, len, 16384);
	CU_ASSERT_EQUAL(txh_send(&h, 0, 4000, 1448), -EMSGSIZE); /* 4054 bytes: never fits */
	info_of(&h, &info);
	CU_ASSERT_EQUAL(info.next_tcp_sn, o.isn);
	for (unsigned int i = 0; off < h.stream_len; i++) {
		size_t n = i % 2 ? 3000 : 1000;

		if (n > h.stream_len - off)
			n = h.stream_len - off;
		CU_ASSERT_EQUAL_FATAL(txh_send(&h, off, n, 1448), 0);
		off += n;
	}
	CU_ASSERT(txh_drain(&h) > 0);
	CU_ASSERT_EQUAL(txh_check_plaintext(&h, pt, len), 0);
	txh_fini(&h);
	free(pt);
}

static const struct test_case queue_cases[] = {
	{ "software_async_tls12", test_software_async_tls12 },
	{ "software_async_tls13", test_software_async_tls13 },
	{ "bounce_big_frames", test_bounce_big_frames },
	{ "bounce_wrap_pow2", test_bounce_wrap_pow2 },
	{ "bounce_wrap_odd", test_bounce_wrap_odd },
	{ NULL, NULL },
};

int main(void)
{
	return tls_peer_run_suite("tx_queue", queue_cases);
}
