/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What inspection shows of a TX context (mlx5tls_tx_inspect, the published copies) equals its own
 * state (mlx5tls_tx_query) across key updates with records still held, and the record numbers
 * both give are the ones the stream has. The datapath publishes the next record's number as
 * num_base + records held (tx_publish) and stores num_base only where it moves - an ack that
 * releases records, a rekey that numbers them anew - so a rekey while records of the old key are
 * unacknowledged, or an ack after one, is where a forgotten store would show. Frames are MSS
 * segments and LSO frames of whole records with several segment sizes, so the packet counter
 * (segments, as the kernel counts gso_segs) is checked against sizes whose division differs.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/ssl.h>

#include "mlx5tls/mlx5tls.h"
#include "test_util.h"
#include "tls_peer.h"
#include "tx_harness.h"

#define ISN 0x7fff0000u
#define REC 16384u

static uint64_t want_packets, want_bytes;
static unsigned int checks;

static void same_view(struct txh *h, uint64_t want_next_record)
{
	struct mlx5tls_tx_state st;
	struct mlx5tls_tx_info info;

	memset(&st, 0xa5, sizeof(st));
	memset(&info, 0x5a, sizeof(info));
	CU_ASSERT_EQUAL_FATAL(mlx5tls_tx_inspect(h->tx, &st, sizeof(st)), 0);
	CU_ASSERT_EQUAL_FATAL(mlx5tls_tx_query(h->tx, &info, sizeof(info)), 0);
	CU_ASSERT_EQUAL(st.next_tcp_sn, info.next_tcp_sn);
	CU_ASSERT_EQUAL(st.expected_tcp_sn, info.expected_tcp_sn);
	CU_ASSERT_EQUAL(st.next_record, info.next_record);
	CU_ASSERT_EQUAL(st.next_record_tcp_sn, info.next_record_tcp_sn);
	CU_ASSERT_EQUAL(st.record_offset, info.record_offset);
	CU_ASSERT_EQUAL(st.records_held, info.records_held);
	CU_ASSERT_EQUAL(st.key_epoch, info.key_epoch);
	CU_ASSERT_EQUAL(st.encrypted_packets, info.encrypted_packets);
	CU_ASSERT_EQUAL(st.encrypted_bytes, info.encrypted_bytes);
	CU_ASSERT_EQUAL(info.encrypted_packets, want_packets);
	CU_ASSERT_EQUAL(info.encrypted_bytes, want_bytes);
	CU_ASSERT_EQUAL(info.next_record, want_next_record);
	checks++;
}

/* One frame of `len` stream bytes at off; mss 0: one segment. */
static void send_frame(struct txh *h, size_t off, size_t len, uint16_t mss)
{
	CU_ASSERT_EQUAL_FATAL(txh_send(h, off, len, mss), 0);
	want_packets += mss && len > mss ? (len + mss - 1) / mss : 1;
	want_bytes += len;
}

/* The KeyUpdate record of the current key, then the next key installed. Returns the stream
 * offset after the KeyUpdate. */
static size_t key_update(struct txh *h)
{
	const uint8_t ku[5] = { 24, 0, 0, 1, 0 };
	union tls_peer_crypto_info nk;
	uint8_t rec[64];
	ssize_t r = tls_record_layout(&h->ci.info, TLS_RT_HANDSHAKE, h->next_rec, ku, sizeof(ku),
				      rec, sizeof(rec));

	CU_ASSERT_FATAL(r > 0);
	txh_add_raw(h, rec, (size_t)r);
	h->next_rec++;
	send_frame(h, h->stream_len - (size_t)r, (size_t)r, 0);
	CU_ASSERT_EQUAL_FATAL(tls_peer_next_tx_secret(h->pair, TLS_PEER_SERVER), 0);
	CU_ASSERT_EQUAL_FATAL(tls_peer_export_tx(h->pair, TLS_PEER_SERVER, 0, &nk), 0);
	CU_ASSERT_EQUAL_FATAL(mlx5tls_tx_rekey(h->tx, &nk.info,
					       tls_peer_crypto_info_size(&nk.info)), 0);
	tls_peer_crypto_info_wipe(&nk);
	h->next_rec = 0;
	return h->stream_len;
}

/* Records of the current key: the first in MSS segments, then one LSO frame per record with
 * the given segment sizes. Returns the stream offset after them. */
static size_t send_records(struct txh *h, const uint8_t *pt, const uint16_t *mss, size_t n)
{
	size_t off = h->stream_len, start, rl, end;
	uint64_t first = h->next_rec;

	txh_add_records(h, pt, (n + 1) * REC, REC);
	rl = (h->stream_len - off) / (n + 1);
	start = off;
	end = off + rl;
	for (; off < end; off += 1448) {
		send_frame(h, off, off + 1448 < end ? 1448 : end - off, 0);
		same_view(h, first + (off + 1448 < end ? 0 : 1));
	}
	off = end;
	for (size_t i = 0; i < n; i++, off += rl) {
		send_frame(h, off, rl, mss[i]);
		same_view(h, first + 2 + i);
	}
	CU_ASSERT_EQUAL(off, start + (n + 1) * rl);
	return off;
}

static void test_rekey_held(void)
{
	struct txh_opts o = { .tls_version = TLS1_3_VERSION, .key_bits = 128, .isn = ISN };
	static const uint16_t mss1[] = { 1448, 536, 1000 }, mss2[] = { 100, 1447, 1448, 777 };
	uint8_t *pt = txh_pattern(8 * REC, 5);
	struct mlx5tls_tx_info info;
	size_t end1, end2, end3, ku1;
	struct txh h;

	CU_ASSERT_PTR_NOT_NULL_FATAL(pt);
	CU_ASSERT_EQUAL_FATAL(txh_init(&h, &o), 0);
	want_packets = want_bytes = 0;
	checks = 0;
	same_view(&h, 0);
	end1 = send_records(&h, pt, mss1, 3);
	/* a key update with all four records and the KeyUpdate unacknowledged */
	ku1 = key_update(&h);
	same_view(&h, 0);
	CU_ASSERT_EQUAL_FATAL(mlx5tls_tx_query(h.tx, &info, sizeof(info)), 0);
	CU_ASSERT_EQUAL(info.records_held, 5);
	CU_ASSERT_EQUAL(info.key_epoch, 1);
	end2 = send_records(&h, pt + 4 * REC, mss2, 2);
	CU_ASSERT_EQUAL_FATAL(mlx5tls_tx_query(h.tx, &info, sizeof(info)), 0);
	CU_ASSERT_EQUAL(info.records_held, 8);
	/* the old key's records acknowledged: fewer held, the next number unchanged */
	CU_ASSERT(txh_drain(&h) >= 0);
	CU_ASSERT_EQUAL(mlx5tls_tx_ack(h.tx, ISN + (uint32_t)end1), 0);
	same_view(&h, 3);
	CU_ASSERT_EQUAL_FATAL(mlx5tls_tx_query(h.tx, &info, sizeof(info)), 0);
	CU_ASSERT_EQUAL(info.records_held, 4);
	/* a retransmission of the new key's first segment, then the stream goes on */
	CU_ASSERT_EQUAL(txh_send(&h, ku1 + 100, 1000, 0), 0);
	want_packets++;
	want_bytes += 1000;
	same_view(&h, 3);
	key_update(&h);
	same_view(&h, 0);
	end3 = send_records(&h, pt + 7 * REC, mss1, 0);
	CU_ASSERT(txh_drain(&h) > 0);
	CU_ASSERT_EQUAL(mlx5tls_tx_ack(h.tx, ISN + (uint32_t)end2), 0);
	same_view(&h, 1);
	CU_ASSERT_EQUAL(mlx5tls_tx_ack(h.tx, ISN + (uint32_t)end3), 0);
	same_view(&h, 1);
	CU_ASSERT_EQUAL_FATAL(mlx5tls_tx_query(h.tx, &info, sizeof(info)), 0);
	CU_ASSERT_EQUAL(info.records_held, 0);
	CU_ASSERT_EQUAL(txh_check_plaintext(&h, pt, 8 * REC), 0);
	CU_ASSERT(checks > 40);
	txh_fini(&h);
	free(pt);
}

static const struct test_case cases[] = {
	{ "inspection == tx_query across key updates with records held", test_rekey_held },
	{ NULL, NULL },
};

static const struct test_suite suites[] = {
	{ "tx_pub_rekey", NULL, NULL, cases },
	{ NULL, NULL, NULL, NULL },
};

int main(void)
{
	return test_run_suites(suites);
}
