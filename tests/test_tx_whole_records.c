/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * LSO frames of exactly one record each, sent in order: the tracker keeps each such frame's piece
 * in its record (struct tx_rec's addr, tx_stream.h), not in the pieces ring. Everything that
 * reads the held bytes must find them there, read by a real OpenSSL client through the model:
 *  - a retransmission from the middle of a record, on the device path: DUMPs of the record's
 *    prefix from the frame's own memory (fact sheet 10.4), in MTU-sized pieces;
 *  - a retransmission spanning two such records;
 *  - after an acknowledgement inside a record (the records before it released whole), a
 *    retransmission in the record still held;
 *  - on the demoted path: the software encryptor repositioned at the record's start by
 *    re-encrypting its prefix from the frame's memory (tx_stream_walk);
 * and the counters count each frame's segments and bytes as the kernel does.
 */
#include <openssl/ssl.h>
#include <stdlib.h>
#include <string.h>

#include "test_util.h"
#include "tx_harness.h"
#include "tx_internal.h"

#define NREC 8u
#define PT 16384u
#define MSS 1448u

static void info_of(struct txh *h, struct mlx5tls_tx_info *info)
{
	memset(info, 0, sizeof(*info));
	CU_ASSERT_EQUAL(mlx5tls_tx_query(h->tx, info, sizeof(*info)), 0);
}

/* Records held that keep their piece, and pieces in the ring. */
static void held_shape(const struct tx_stream *s, uint32_t *in_recs, uint32_t *pieces)
{
	*in_recs = 0;
	for (uint32_t i = 0; i < s->recs.count; i++)
		*in_recs += ((const struct tx_rec *)s->recs.e)
			[(s->recs.head + i) & (s->recs.cap - 1)].addr != 0;
	*pieces = s->segs.count;
}

static void run(int version, bool demote)
{
	struct txh_opts o = { .tls_version = version, .key_bits = 128, .isn = 0xfffff000u };
	struct mlx5tls_tx_info info;
	struct txh h;
	size_t len = NREC * PT, rl;
	uint8_t *pt = txh_pattern(len, 91);
	uint64_t packets = 0, bytes = 0;
	uint32_t in_recs, pieces;

	if (demote) {
		/* demoted at the second retransmission: 2848 bytes sent again are more than 2% of
		 * what was sent, 1448 are not */
		o.demote_permille = 20;
		o.demote_min_bytes = 1000;
	}
	CU_ASSERT_PTR_NOT_NULL_FATAL(pt);
	CU_ASSERT_EQUAL_FATAL(txh_init(&h, &o), 0);
	txh_add_records(&h, pt, len, PT);
	rl = tls_record_size(h.ktls_version, PT);
	CU_ASSERT_EQUAL_FATAL(h.stream_len, NREC * rl);
	for (uint32_t r = 0; r < NREC; r++) {
		CU_ASSERT_EQUAL(txh_send(&h, r * rl, rl, MSS), 0);
		packets += (rl + MSS - 1) / MSS;
		bytes += rl;
	}
	/* the first frame resynchronised the device (the general path: a piece of its own), the
	 * others went in order, each kept in its record */
	held_shape(&h.tx->stream, &in_recs, &pieces);
	CU_ASSERT_EQUAL(in_recs, NREC - 1);
	CU_ASSERT_EQUAL(pieces, 1);
	CU_ASSERT_EQUAL(tx_stream_records(&h.tx->stream), NREC);

	/* a lost segment in the middle of record 2, sent again */
	CU_ASSERT_EQUAL(txh_send(&h, 2 * rl + 3000, MSS, 0), 0);
	packets++;
	bytes += MSS;
	/* a frame spanning the end of record 3 and the start of record 4 */
	CU_ASSERT_EQUAL(txh_send(&h, 4 * rl - 700, 1400, 0), 0);
	packets++;
	bytes += 1400;
	/* the peer has everything up to the middle of record 5: records 0..4 go */
	CU_ASSERT_EQUAL(mlx5tls_qp_flush(h.qp), 0);
	CU_ASSERT_EQUAL(mlx5tls_tx_ack(h.tx, o.isn + (uint32_t)(5 * rl + 5000)), 0);
	held_shape(&h.tx->stream, &in_recs, &pieces);
	CU_ASSERT_EQUAL(tx_stream_records(&h.tx->stream), NREC - 5);
	CU_ASSERT_EQUAL(in_recs, NREC - 5);
	CU_ASSERT_EQUAL(pieces, 0);
	/* record 6 again, from its middle: on the device path DUMPs, demoted the software
	 * encryptor replays the prefix */
	CU_ASSERT_EQUAL(txh_send(&h, 6 * rl + 9000, 2 * MSS, MSS), 0);
	CU_ASSERT_EQUAL(txh_send(&h, 7 * rl + 100, 1000, 0), 0);

	CU_ASSERT(txh_drain(&h) > 0);
	CU_ASSERT_EQUAL(h.rx_contig, h.stream_len);
	CU_ASSERT_EQUAL(h.rx_mismatch, 0);
	CU_ASSERT_EQUAL(txh_check_plaintext(&h, pt, len), 0);
	info_of(&h, &info);
	CU_ASSERT_EQUAL(info.ooo, demote ? 2u : 4u);
	if (demote) {
		/* the second retransmission demoted the context: the last two went to software */
		CU_ASSERT_EQUAL(info.path, MLX5TLS_TX_PATH_DEMOTED);
		CU_ASSERT_EQUAL(info.sw_resyncs, 2);
		CU_ASSERT_EQUAL(info.sw_packets, 2 + 1);
		CU_ASSERT_EQUAL(info.sw_bytes, 2 * MSS + 1000);
		CU_ASSERT_EQUAL(info.dump_bytes, 3000 + (rl - 700));
	} else {
		CU_ASSERT_EQUAL(info.path, MLX5TLS_TX_PATH_DEVICE);
		CU_ASSERT_EQUAL(info.sw_resyncs, 0);
		packets += 2 + 1;
		bytes += 2 * MSS + 1000;
		CU_ASSERT_EQUAL(info.dump_bytes, 3000 + (rl - 700) + 9000 + 100);
	}
	CU_ASSERT_EQUAL(info.encrypted_packets, packets);
	CU_ASSERT_EQUAL(info.encrypted_bytes, bytes);
	txh_fini(&h);
	free(pt);
}

static void test_device_tls13(void)
{
	run(TLS1_3_VERSION, false);
}

static void test_device_tls12(void)
{
	run(TLS1_2_VERSION, false);
}

static void test_demoted_tls13(void)
{
	run(TLS1_3_VERSION, true);
}

static void test_demoted_tls12(void)
{
	run(TLS1_2_VERSION, true);
}

static const struct test_case cases[] = {
	{ "device path, TLS 1.3", test_device_tls13 },
	{ "device path, TLS 1.2", test_device_tls12 },
	{ "demoted, TLS 1.3", test_demoted_tls13 },
	{ "demoted, TLS 1.2", test_demoted_tls12 },
	{ NULL, NULL },
};

static const struct test_suite suites[] = {
	{ "tx_whole_records", NULL, NULL, cases },
	{ NULL, NULL, NULL, NULL },
};

int main(void)
{
	return test_run_suites(suites);
}
