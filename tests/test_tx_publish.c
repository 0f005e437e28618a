/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What inspection shows of a TX context (mlx5tls_tx_inspect: the copies the datapath publishes
 * for other threads, tx->pub) equals the context's own state (mlx5tls_tx_query) after every
 * frame, whatever the path took: the in-order fast path inside a record, across a record end,
 * ending exactly at one, an LSO frame of one whole record, frames of several small records (the
 * general learn), acknowledgements, a retransmission (the device then expects a sequence behind
 * the stream's end) and the software path. The fast path stores only what moved
 * (tx_publish_fast); a field it forgot would show here as a stale value. At the end the
 * context's packet and byte counters equal what was sent, frame by frame.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/ssl.h>

#include "mlx5tls/mlx5tls.h"
#include "test_util.h"
#include "tx_harness.h"

#define ISN 0xffff0000u /* the sequence wraps inside the stream */

static unsigned int checks;
/* what the device path must have counted: every frame sent, LSO frames as their segments */
static uint64_t want_packets, want_bytes;

/* The published view against the live state, field for field. */
static void same_view(struct txh *h)
{
	struct mlx5tls_tx_state st;
	struct mlx5tls_tx_info info;

	memset(&st, 0xa5, sizeof(st));
	memset(&info, 0x5a, sizeof(info));
	CU_ASSERT_EQUAL_FATAL(mlx5tls_tx_inspect(h->tx, &st, sizeof(st)), 0);
	CU_ASSERT_EQUAL_FATAL(mlx5tls_tx_query(h->tx, &info, sizeof(info)), 0);
	CU_ASSERT_EQUAL(st.path, info.path);
	CU_ASSERT_EQUAL(st.next_tcp_sn, info.next_tcp_sn);
	CU_ASSERT_EQUAL(st.expected_tcp_sn, info.expected_tcp_sn);
	CU_ASSERT_EQUAL(st.next_record, info.next_record);
	CU_ASSERT_EQUAL(st.next_record_tcp_sn, info.next_record_tcp_sn);
	CU_ASSERT_EQUAL(st.record_offset, info.record_offset);
	CU_ASSERT_EQUAL(st.records_held, info.records_held);
	CU_ASSERT_EQUAL(st.encrypted_packets, info.encrypted_packets);
	CU_ASSERT_EQUAL(st.encrypted_bytes, info.encrypted_bytes);
	CU_ASSERT_EQUAL(st.sw_bytes, info.sw_bytes);
	checks++;
}

/* One frame; longer than an MSS: LSO. */
static int send_check(struct txh *h, size_t off, size_t len)
{
	int ret = txh_send(h, off, len, len > 1448 ? 1448 : 0);

	if (!ret) {
		want_packets += (len + 1447) / 1448;
		want_bytes += len;
	}
	same_view(h);
	return ret;
}

static void run(int version, uint32_t tx_flags)
{
	struct txh_opts o = { .tls_version = version, .key_bits = 128, .isn = ISN,
			      .tx_flags = tx_flags };
	size_t len = 120000, off = 0, rec, end1;
	uint8_t *pt = txh_pattern(len, 11);
	struct mlx5tls_tx_info info;
	struct txh h;

	CU_ASSERT_PTR_NOT_NULL_FATAL(pt);
	CU_ASSERT_EQUAL_FATAL(txh_init(&h, &o), 0);
	want_packets = 0;
	want_bytes = 0;
	same_view(&h);
	/* four 16 KiB records (rec bytes each on the wire), then 1 KiB ones */
	txh_add_records(&h, pt, 4 * 16384, 16384);
	rec = h.stream_len / 4;
	end1 = 2 * rec;
	txh_add_records(&h, pt + 4 * 16384, len - 4 * 16384, 1024);

	/* record 0 in MSS segments: inside the record, then its end and record 1's start */
	while (off < 16384 + 2000) {
		CU_ASSERT_EQUAL(send_check(&h, off, 1448), 0);
		off += 1448;
	}
	/* up to record 1's end exactly, then record 2 as one LSO frame */
	CU_ASSERT_EQUAL(send_check(&h, off, end1 - off), 0);
	off = end1;
	CU_ASSERT_EQUAL(send_check(&h, off, rec), 0);
	off += rec;
	/* the peer acknowledges records 0 and 1 */
	CU_ASSERT_EQUAL(mlx5tls_tx_ack(h.tx, ISN + (uint32_t)end1), 0);
	same_view(&h);
	/* record 3: part of its header alone, then the rest with the first small records */
	CU_ASSERT_EQUAL(send_check(&h, off, 3), 0);
	off += 3;
	CU_ASSERT_EQUAL(send_check(&h, off, rec - 3 + 2500), 0);
	off += rec - 3 + 2500;
	/* a retransmission of an earlier segment: the device is behind the stream's end */
	CU_ASSERT_EQUAL(send_check(&h, off - 2000, 1000), 0);
	CU_ASSERT_EQUAL(mlx5tls_tx_query(h.tx, &info, sizeof(info)), 0);
	if (!tx_flags)
		CU_ASSERT_NOT_EQUAL(info.expected_tcp_sn, info.next_tcp_sn);
	/* the stream goes on in segments of varying size (several small records each) */
	for (size_t n = 700; off < h.stream_len; n = n * 7 % 3001 + 200) {
		if (n > h.stream_len - off)
			n = h.stream_len - off;
		CU_ASSERT_EQUAL(send_check(&h, off, n), 0);
		off += n;
		if (n % 3 == 0) {
			CU_ASSERT_EQUAL(mlx5tls_tx_ack(h.tx, ISN + (uint32_t)(off - n)), 0);
			same_view(&h);
		}
	}
	CU_ASSERT(txh_drain(&h) > 0);
	CU_ASSERT_EQUAL(txh_check_plaintext(&h, pt, len), 0);
	CU_ASSERT_EQUAL(mlx5tls_tx_ack(h.tx, ISN + (uint32_t)h.stream_len), 0);
	same_view(&h);
	CU_ASSERT_EQUAL(mlx5tls_tx_query(h.tx, &info, sizeof(info)), 0);
	CU_ASSERT_EQUAL(info.records_held, 0);
	CU_ASSERT_EQUAL(info.record_offset, 0);
	/* the counters are exact: every frame, on whichever path it went */
	CU_ASSERT_EQUAL(tx_flags ? info.sw_packets : info.encrypted_packets, want_packets);
	CU_ASSERT_EQUAL(tx_flags ? info.sw_bytes : info.encrypted_bytes, want_bytes);
	CU_ASSERT_EQUAL(tx_flags ? info.encrypted_bytes : info.sw_bytes, 0);
	txh_fini(&h);
	free(pt);
}

static void test_device_tls13(void)
{
	checks = 0;
	run(TLS1_3_VERSION, 0);
	CU_ASSERT(checks > 50);
}

static void test_device_tls12(void)
{
	run(TLS1_2_VERSION, 0);
}

static void test_software(void)
{
	run(TLS1_3_VERSION, MLX5TLS_TX_F_SOFTWARE);
}

static const struct test_case publish_cases[] = {
	{ "inspection == tx_query after every frame, device, TLS 1.3", test_device_tls13 },
	{ "inspection == tx_query after every frame, device, TLS 1.2", test_device_tls12 },
	{ "inspection == tx_query after every frame, software", test_software },
	{ NULL, NULL },
};

static const struct test_suite suites[] = {
	{ "tx_publish", NULL, NULL, publish_cases },
	{ NULL, NULL, NULL, NULL },
};

int main(void)
{
	return test_run_suites(suites);
}
