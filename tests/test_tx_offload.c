/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * TLS TX offload end to end through the model: real OpenSSL handshake, the server's write keys
 * to mlx5tls_tx_create(), records sent as TCP frames through a raw Ethernet queue, the wire
 * reassembled and read by the OpenSSL client, which must authenticate every record.
 *
 * This file: in-order interop (TLS 1.2/1.3 x AES-GCM-128/256), frame shapes (LSO, IPv6, VLAN),
 * device counters and the no-key-in-logs rule. Rejected input is in test_tx_input.c,
 * retransmissions in test_tx_resync.c, the drop/skip rules in test_tx_drop.c, the queue (wrap,
 * error recovery) in test_tx_queue.c, the software path, demotion, rekey and hand-back in
 * test_tx_paths.c.
 */
#include <errno.h>
#include <openssl/ssl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "test_util.h"
#include "tx_harness.h"

/* ---- helpers ---- */

static void info_of(struct txh *h, struct mlx5tls_tx_info *info)
{
	memset(info, 0, sizeof(*info));
	CU_ASSERT_EQUAL(mlx5tls_tx_query(h->tx, info, sizeof(*info)), 0);
}

/* Index of a device counter by name; fails the test if the library has no such counter. */
static unsigned int counter_idx(const char *name)
{
	for (unsigned int i = 0; i < mlx5tls_counter_count(); i++)
		if (!strcmp(mlx5tls_counter_name(i), name))
			return i;
	CU_FAIL("counter missing");
	fprintf(stderr, "no counter %s\n", name);
	return 0;
}

static uint64_t counter(struct mlx5tls_device *dev, const char *name)
{
	uint64_t v[64] = { 0 };
	unsigned int n = mlx5tls_counter_count();

	CU_ASSERT_FATAL(n <= 64);
	CU_ASSERT_EQUAL(mlx5tls_device_counters(dev, v, n), (int)n);
	return v[counter_idx(name)];
}

/* ---- in-order interop ---- */

static void run_in_order(int version, unsigned int bits)
{
	struct txh_opts o = { .tls_version = version, .key_bits = bits, .isn = 0xfffff000u };
	struct mlx5tls_tx_info info;
	struct txh h;
	size_t len = 100000;
	uint8_t *pt = txh_pattern(len, (uint8_t)bits);

	CU_ASSERT_EQUAL_FATAL(txh_init(&h, &o), 0);
	txh_add_records(&h, pt, len, 16384);
	CU_ASSERT_EQUAL(txh_send_segments(&h, 0, h.stream_len, 1448), 0);
	CU_ASSERT(txh_drain(&h) > 0);
	CU_ASSERT_EQUAL(txh_check_plaintext(&h, pt, len), 0);
	info_of(&h, &info);
	CU_ASSERT_EQUAL(info.path, MLX5TLS_TX_PATH_DEVICE);
	CU_ASSERT_STRING_EQUAL(info.reason, "");
	CU_ASSERT_EQUAL(info.encrypted_bytes, h.stream_len);
	CU_ASSERT_EQUAL(info.encrypted_packets, (h.stream_len + 1447) / 1448);
	CU_ASSERT_EQUAL(info.ooo, 0);
	CU_ASSERT_EQUAL(info.dump_packets, 0);
	CU_ASSERT_EQUAL(info.sw_bytes, 0);
	CU_ASSERT_EQUAL(info.records_held, (len + 16383) / 16384);
	/* the stream wrapped the 32-bit sequence space */
	CU_ASSERT_EQUAL(info.next_tcp_sn, (uint32_t)(o.isn + h.stream_len));
	CU_ASSERT_EQUAL(info.expected_tcp_sn, info.next_tcp_sn);
	CU_ASSERT_EQUAL(info.next_record, h.next_rec);
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

/* Small records, several per frame, and records split across frames at every offset. */
static void run_small_records(int version, unsigned int bits)
{
	struct txh_opts o = { .tls_version = version, .key_bits = bits, .isn = 77 };
	struct txh h;
	size_t len = 20000;
	uint8_t *pt = txh_pattern(len, 9);

	CU_ASSERT_EQUAL_FATAL(txh_init(&h, &o), 0);
	/* 1-byte records are the smallest legal ones (TLS 1.3: 1 + type + tag) */
	txh_add_records(&h, pt, 40, 1);
	txh_add_records(&h, pt + 40, len - 40, 301);
	CU_ASSERT_EQUAL(txh_send_segments(&h, 0, h.stream_len, 97), 0);
	CU_ASSERT(txh_drain(&h) > 0);
	CU_ASSERT_EQUAL(txh_check_plaintext(&h, pt, len), 0);
	txh_fini(&h);
	free(pt);
}

static void test_small_records_tls12(void)
{
	run_small_records(TLS1_2_VERSION, 256);
}

static void test_small_records_tls13(void)
{
	run_small_records(TLS1_3_VERSION, 128);
}

/* Another record type than application data: close_notify (an alert; TLS 1.3: the inner type)
 * ends the stream cleanly at the reader. */
static void run_close_notify(int version, unsigned int bits)
{
	struct txh_opts o = { .tls_version = version, .key_bits = bits, .isn = 31337 };
	static const uint8_t alert[2] = { 1, 0 }; /* warning, close_notify */
	uint8_t rec[64], *got;
	struct txh h;
	size_t len = 10000;
	uint8_t *pt = txh_pattern(len, 5);
	ssize_t n;
	long r;

	got = malloc(len + 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(got);
	CU_ASSERT_EQUAL_FATAL(txh_init(&h, &o), 0);
	txh_add_records(&h, pt, len, 4096);
	n = tls_record_layout(&h.ci.info, TLS_RT_ALERT, h.next_rec++, alert, sizeof(alert), rec,
			      sizeof(rec));
	CU_ASSERT_FATAL(n > 0);
	txh_add_raw(&h, rec, (size_t)n);
	CU_ASSERT_EQUAL(txh_send_segments(&h, 0, h.stream_len, 1200), 0);
	CU_ASSERT(txh_drain(&h) > 0);
	r = txh_client_read(&h, got, len + 1);
	CU_ASSERT_EQUAL(r, (long)len);
	CU_ASSERT_EQUAL(memcmp(got, pt, len), 0);
	CU_ASSERT_EQUAL(txh_client_read(&h, got, len + 1), -ESHUTDOWN);
	txh_fini(&h);
	free(got);
	free(pt);
}

static void test_close_notify_tls12(void)
{
	run_close_notify(TLS1_2_VERSION, 128);
}

static void test_close_notify_tls13(void)
{
	run_close_notify(TLS1_3_VERSION, 256);
}

/* ---- frame shapes ---- */

/* LSO frames of 16 KiB and more, cut by the device into mss-sized segments. */
static void run_lso(int version, unsigned int bits, bool ipv6)
{
	struct txh_opts o = { .tls_version = version, .key_bits = bits, .isn = 4242, .ipv6 = ipv6 };
	struct mlx5tls_tx_info info;
	uint64_t packets = 0;
	struct txh h;
	static const size_t sizes[] = { 16384, 20000, 30011, 1000, 65536 };
	size_t len = 200000, off = 0;
	uint8_t *pt = txh_pattern(len, 11);
	uint16_t mss = ipv6 ? 1440 : 1448;

	CU_ASSERT_EQUAL_FATAL(txh_init(&h, &o), 0);
	txh_add_records(&h, pt, len, 16384);
	for (unsigned int i = 0; off < h.stream_len; i++) {
		size_t n = sizes[i % 5];

		if (n > h.stream_len - off)
			n = h.stream_len - off;
		CU_ASSERT_EQUAL(txh_send(&h, off, n, mss), 0);
		packets += (n + mss - 1) / mss;
		off += n;
	}
	CU_ASSERT(txh_drain(&h) > 0);
	CU_ASSERT_EQUAL(txh_check_plaintext(&h, pt, len), 0);
	/* the device put mss-sized segments on the wire, each with its own checksums */
	CU_ASSERT_EQUAL(h.rx_frames, packets);
	info_of(&h, &info);
	CU_ASSERT_EQUAL(info.encrypted_packets, packets);
	CU_ASSERT_EQUAL(info.encrypted_bytes, h.stream_len);
	txh_fini(&h);
	free(pt);
}

static void test_lso_tls12_128(void)
{
	run_lso(TLS1_2_VERSION, 128, false);
}

static void test_lso_tls13_256(void)
{
	run_lso(TLS1_3_VERSION, 256, false);
}

static void test_lso_ipv6_tls13_128(void)
{
	run_lso(TLS1_3_VERSION, 128, true);
}

static void run_shape(int version, unsigned int bits, bool ipv6, uint16_t vlan)
{
	struct txh_opts o = { .tls_version = version, .key_bits = bits, .isn = 1u << 31,
			      .ipv6 = ipv6, .vlan = vlan };
	struct mlx5tls_tx_info info;
	struct txh h;
	size_t len = 50000, seg = ipv6 ? 1440 : 1460; /* MTU 1500 */
	uint8_t *pt = txh_pattern(len, 13);

	CU_ASSERT_EQUAL_FATAL(txh_init(&h, &o), 0);
	txh_add_records(&h, pt, len, 16384);
	/* the largest frame the MTU allows, then one byte more */
	CU_ASSERT_EQUAL(txh_send(&h, 0, seg + 1, 0), -EMSGSIZE);
	CU_ASSERT_EQUAL(txh_send(&h, 0, seg, 0), 0);
	h.rx_drop_next = 1; /* lose the second frame, retransmit it at the end */
	CU_ASSERT_EQUAL(txh_send(&h, seg, seg, 0), 0);
	CU_ASSERT_EQUAL(h.rx_dropped, 1);
	CU_ASSERT_EQUAL(txh_send_segments(&h, 2 * seg, h.stream_len - 2 * seg, seg), 0);
	CU_ASSERT_EQUAL(txh_send(&h, seg, seg, 0), 0);
	CU_ASSERT_EQUAL(txh_send(&h, 0, seg, 0), 0); /* a duplicate: must be identical */
	CU_ASSERT(txh_drain(&h) > 0);
	CU_ASSERT_EQUAL(txh_check_plaintext(&h, pt, len), 0);
	CU_ASSERT_EQUAL(h.rx_other, 0);
	info_of(&h, &info);
	CU_ASSERT_EQUAL(info.ooo, 2); /* the late retransmission and the duplicate */
	CU_ASSERT_EQUAL(info.retx_bytes, 2 * seg);
	txh_fini(&h);
	free(pt);
}

static void test_ipv6_tls12_256(void)
{
	run_shape(TLS1_2_VERSION, 256, true, 0);
}

static void test_ipv6_tls13_128(void)
{
	run_shape(TLS1_3_VERSION, 128, true, 0);
}

static void test_vlan_tls12_128(void)
{
	run_shape(TLS1_2_VERSION, 128, false, 100);
}

static void test_vlan_ipv6_tls13_256(void)
{
	run_shape(TLS1_3_VERSION, 256, true, 4000);
}

/* ---- counters ---- */

static void run_device_counters(int version, unsigned int bits)
{
	struct txh_opts o = { .tls_version = version, .key_bits = bits, .isn = 5000 };
	static const char *const names[] = {
		"tx_tls_encrypted_packets", "tx_tls_encrypted_bytes", "tx_tls_ooo",
		"tx_tls_dump_packets", "tx_tls_dump_bytes", "tx_tls_resync_bytes",
		"tx_tls_skip_no_sync_data", "tx_tls_drop_no_sync_data", "tx_tls_retx_bytes",
		"tx_tls_ctx", "tx_tls_del",
	};
	uint64_t live[11], dead[11], want[11];
	uint8_t hs[500];
	struct mlx5tls_frame f;
	struct txh h;
	size_t len = 12000, rl;
	uint8_t *pt = txh_pattern(len, 23);

	CU_ASSERT_EQUAL_FATAL(txh_init(&h, &o), 0);
	txh_add_records(&h, pt, len, 4000);
	rl = tls_record_size(h.ktls_version, 4000); /* 4029 (TLS 1.2), 4022 (TLS 1.3) */
	/* a handshake byte retransmitted before the offload start: in the clear */
	memset(hs, 0x16, sizeof(hs));
	CU_ASSERT_EQUAL_FATAL(txh_frame_at(&h, o.isn - 1000, hs, sizeof(hs), 0, &f), 0);
	CU_ASSERT_EQUAL(mlx5tls_tx_send(h.tx, &f, 0), 0);
	CU_ASSERT_EQUAL(txh_send_segments(&h, 0, h.stream_len, 1000), 0); /* 13 frames */
	/* retransmit [6000, 7000): record 1 starts at rl, DUMPs [rl, 5000) and [5000, 6000) */
	CU_ASSERT_EQUAL(txh_send(&h, 6000, 1000, 0), 0);
	/* record 0 acknowledged: a retransmission in it is dropped; one straddling the start too */
	CU_ASSERT_EQUAL(mlx5tls_tx_ack(h.tx, o.isn + (uint32_t)rl + 10), 0);
	CU_ASSERT_EQUAL(txh_send(&h, 0, 1000, 0), -ENODATA);
	CU_ASSERT_EQUAL_FATAL(txh_frame_at(&h, o.isn - 10, h.stream, 100, 0, &f), 0);
	CU_ASSERT_EQUAL(mlx5tls_tx_send(h.tx, &f, 0), -ENODATA);
	CU_ASSERT(txh_drain(&h) > 0);
	CU_ASSERT_EQUAL(txh_check_plaintext(&h, pt, len), 0);

	want[0] = 14;
	want[1] = h.stream_len + 1000;
	want[2] = 1;
	want[3] = 2;
	want[4] = 6000 - rl;
	want[5] = 6000 - rl;
	want[6] = 1;
	want[7] = 2;
	want[8] = 1000;
	want[9] = 1;
	want[10] = 0;
	for (unsigned int i = 0; i < 11; i++) {
		live[i] = counter(h.dev, names[i]);
		if (live[i] != want[i])
			fprintf(stderr, "%s = %llu, want %llu\n", names[i],
				(unsigned long long)live[i], (unsigned long long)want[i]);
		CU_ASSERT_EQUAL(live[i], want[i]);
	}
	/* a destroyed context's counters stay in the device's; its deletion is counted */
	CU_ASSERT_EQUAL(mlx5tls_tx_destroy(h.tx), 0);
	h.tx = NULL;
	want[10] = 1;
	for (unsigned int i = 0; i < 11; i++) {
		dead[i] = counter(h.dev, names[i]);
		CU_ASSERT_EQUAL(dead[i], want[i]);
	}
	CU_ASSERT_EQUAL(counter(h.dev, "tx_tls_sw_bytes"), 0);
	CU_ASSERT_EQUAL(mlx5tls_counter_name(mlx5tls_counter_count()), NULL);
	txh_fini(&h);
	free(pt);
}

static void test_device_counters_tls12(void)
{
	run_device_counters(TLS1_2_VERSION, 128);
}

static void test_device_counters_tls13(void)
{
	run_device_counters(TLS1_3_VERSION, 256);
}

/* ---- key material never reaches the log ---- */

static char *log_buf;
static size_t log_len, log_cap;

static int capture_print(enum mlx5tls_print_level level, const char *fmt, va_list args)
{
	va_list copy;
	int n;

	(void)level;
	va_copy(copy, args);
	n = vsnprintf(NULL, 0, fmt, copy);
	va_end(copy);
	if (n < 0)
		return n;
	if (log_len + (size_t)n + 1 > log_cap) {
		size_t cap = (log_len + (size_t)n + 1) * 2;
		char *p = realloc(log_buf, cap);

		if (!p)
			return -1;
		log_buf = p;
		log_cap = cap;
	}
	vsnprintf(log_buf + log_len, (size_t)n + 1, fmt, args);
	log_len += (size_t)n;
	return n;
}

static bool key_in(const char *buf, size_t len, const uint8_t *key, size_t klen)
{
	char lo[65], up[65];

	if (!buf || !len)
		return false;
	for (size_t i = 0; i < klen; i++) {
		snprintf(lo + 2 * i, 3, "%02x", key[i]);
		snprintf(up + 2 * i, 3, "%02X", key[i]);
	}
	return memmem(buf, len, key, klen) || memmem(buf, len, lo, 2 * klen) ||
	       memmem(buf, len, up, 2 * klen) || memmem(buf, len, key + 1, klen - 2);
}

static void run_no_key_in_logs(int version, unsigned int bits)
{
	struct txh_opts o = { .tls_version = version, .key_bits = bits, .isn = 123,
			      .demote_permille = 150, .demote_min_bytes = 4000 };
	union tls_peer_crypto_info nk;
	size_t klen = bits / 8;
	char trace[] = "/tmp/mlx5tls-keylog-XXXXXX";
	mlx5tls_print_fn_t old;
	uint8_t key[32], bad[64];
	struct mlx5tls_tx_info info;
	struct txh h;
	size_t len = 60000, rl4;
	uint8_t *pt = txh_pattern(len, 29);
	char *tr;
	int fd = mkstemp(trace);

	CU_ASSERT_FATAL(fd >= 0);
	close(fd);
	setenv("MLX5TLS_TRACE", trace, 1);
	setenv("MLX5TLS_DEBUG", "1", 1);
	old = mlx5tls_set_print(capture_print);
	CU_ASSERT_EQUAL_FATAL(txh_init(&h, &o), 0);
	memcpy(key, bits == 256 ? h.ci.gcm256.key : h.ci.gcm128.key, klen);
	txh_add_records(&h, pt, len, 5000);
	rl4 = 4 * tls_record_size(h.ktls_version, 5000);
	/* resyncs, an injected error and recovery, malformed input, demotion, a key update */
	CU_ASSERT_EQUAL(txh_send_segments(&h, 0, rl4, 1448), 0);
	CU_ASSERT_EQUAL(txh_send(&h, 3000, 1448, 0), 0);
	CU_ASSERT_EQUAL(mlx5tls_qp_model_inject_error(h.qp, 2), 0);
	CU_ASSERT_EQUAL(txh_send(&h, 5000, 1448, 0), 0);
	CU_ASSERT(txh_drain(&h) > 0);
	memset(bad, 0x17, sizeof(bad));
	CU_ASSERT_EQUAL(txh_send(&h, rl4, 3000, 0), -EMSGSIZE);
	{
		struct mlx5tls_frame f;

		CU_ASSERT_EQUAL_FATAL(txh_frame_at(&h, o.isn + (uint32_t)rl4, bad, sizeof(bad), 0,
						   &f), 0);
		CU_ASSERT_EQUAL(mlx5tls_tx_send(h.tx, &f, 0), -EBADMSG);
	}
	for (size_t off = rl4; off < h.stream_len; off += 4 * 1448) {
		size_t n = h.stream_len - off < 4 * 1448 ? h.stream_len - off : 4 * 1448;

		CU_ASSERT_EQUAL(txh_send_segments(&h, off, n, 1448), 0);
		CU_ASSERT_EQUAL(txh_send(&h, off, 1448, 0), 0);
	}
	CU_ASSERT(txh_drain(&h) > 0);
	CU_ASSERT_EQUAL(txh_check_plaintext(&h, pt, len), 0);
	info_of(&h, &info);
	CU_ASSERT_EQUAL(info.path, MLX5TLS_TX_PATH_DEMOTED);
	if (bits == 256)
		test_ci256(&nk.gcm256, (uint16_t)h.ktls_version, 0xa0);
	else
		test_ci128(&nk.gcm128, (uint16_t)h.ktls_version, 0xa0);
	/* a key update (TLS 1.3) or its refusal (TLS 1.2) */
	CU_ASSERT_EQUAL(mlx5tls_tx_rekey(h.tx, &nk.info, tls_peer_crypto_info_size(&nk.info)),
			version == TLS1_3_VERSION ? 0 : -EINVAL);
	txh_fini(&h);
	mlx5tls_set_print(old);
	unsetenv("MLX5TLS_DEBUG");
	unsetenv("MLX5TLS_TRACE");

	/* the detector detects */
	{
		char probe[80] = "k=";

		for (size_t i = 0; i < klen; i++)
			snprintf(probe + 2 + 2 * i, 3, "%02X", key[i]);
		CU_ASSERT_TRUE(key_in(probe, strlen(probe), key, klen));
		for (size_t i = 0; i < klen; i++)
			snprintf(probe + 2 + 2 * i, 3, "%02x", key[i]);
		CU_ASSERT_TRUE(key_in(probe, strlen(probe), key, klen));
	}
	/* the scenario said something (warnings, info), so the check below can fail */
	CU_ASSERT(log_len > 100);
	CU_ASSERT(log_buf && strstr(log_buf, "demoted"));
	CU_ASSERT_FALSE(key_in(log_buf, log_len, key, klen));
	CU_ASSERT_FALSE(key_in(log_buf, log_len, nk.gcm256.key, klen));
	tr = test_read_file(trace);
	CU_ASSERT_PTR_NOT_NULL(tr);
	if (tr) {
		CU_ASSERT(strstr(tr, "CREATE_GENERAL_OBJECT") != NULL);
		CU_ASSERT_FALSE(key_in(tr, strlen(tr), key, klen));
		CU_ASSERT_FALSE(key_in(tr, strlen(tr), nk.gcm256.key, klen));
	}
	free(tr);
	unlink(trace);
	free(log_buf);
	log_buf = NULL;
	log_len = log_cap = 0;
	tls_peer_crypto_info_wipe(&nk);
	free(pt);
}

static void test_no_key_in_logs_tls12(void)
{
	run_no_key_in_logs(TLS1_2_VERSION, 128);
}

static void test_no_key_in_logs_tls13(void)
{
	run_no_key_in_logs(TLS1_3_VERSION, 256);
}

static const struct test_case tx_cases[] = {
	{ "in_order_tls12_128", test_in_order_tls12_128 },
	{ "in_order_tls12_256", test_in_order_tls12_256 },
	{ "in_order_tls13_128", test_in_order_tls13_128 },
	{ "in_order_tls13_256", test_in_order_tls13_256 },
	{ "small_records_tls12", test_small_records_tls12 },
	{ "small_records_tls13", test_small_records_tls13 },
	{ "close_notify_tls12", test_close_notify_tls12 },
	{ "close_notify_tls13", test_close_notify_tls13 },
	{ "lso_tls12_128", test_lso_tls12_128 },
	{ "lso_tls13_256", test_lso_tls13_256 },
	{ "lso_ipv6_tls13_128", test_lso_ipv6_tls13_128 },
	{ "ipv6_tls12_256", test_ipv6_tls12_256 },
	{ "ipv6_tls13_128", test_ipv6_tls13_128 },
	{ "vlan_tls12_128", test_vlan_tls12_128 },
	{ "vlan_ipv6_tls13_256", test_vlan_ipv6_tls13_256 },
	{ "device_counters_tls12", test_device_counters_tls12 },
	{ "device_counters_tls13", test_device_counters_tls13 },
	{ "no_key_in_logs_tls12", test_no_key_in_logs_tls12 },
	{ "no_key_in_logs_tls13", test_no_key_in_logs_tls13 },
	{ NULL, NULL },
};

int main(void)
{
	return tls_peer_run_suite("tx_offload", tx_cases);
}
