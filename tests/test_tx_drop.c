/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * TLS TX frames the library must not encrypt, through the model: a retransmission inside a
 * released (acknowledged) record is dropped (tx_tls_drop_no_sync_data), data before the offload
 * start goes out unchanged in the clear (tx_tls_skip_no_sync_data) unless it straddles the start
 * (dropped) - as the kernel's mlx5e_ktls_tx_handle_ooo; and the proof that the model is not
 * lenient: a retransmission without resync reaches the OpenSSL reader as a bad record MAC.
 */
#include <errno.h>
#include <openssl/ssl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "test_util.h"
#include "tx_harness.h"
#include "tx_internal.h"

static void info_of(struct txh *h, struct mlx5tls_tx_info *info)
{
	memset(info, 0, sizeof(*info));
	CU_ASSERT_EQUAL(mlx5tls_tx_query(h->tx, info, sizeof(*info)), 0);
}

/* ---- released records: drop ---- */

static void run_after_release(int version, unsigned int bits)
{
	struct txh_opts o = { .tls_version = version, .key_bits = bits, .isn = 42 };
	struct mlx5tls_tx_info info;
	struct txh h;
	size_t len = 12000, rl;
	uint8_t *pt = txh_pattern(len, 47);
	uint64_t frames, wqes;

	CU_ASSERT_EQUAL_FATAL(txh_init(&h, &o), 0);
	txh_add_records(&h, pt, len, 4000);
	rl = tls_record_size(h.ktls_version, 4000);
	CU_ASSERT_EQUAL(txh_send_segments(&h, 0, h.stream_len, 1000), 0);
	CU_ASSERT(txh_drain(&h) > 0);
	/* an ack inside record 0 releases nothing */
	CU_ASSERT_EQUAL(mlx5tls_tx_ack(h.tx, o.isn + (uint32_t)rl - 1), 0);
	info_of(&h, &info);
	CU_ASSERT_EQUAL(info.records_held, 3);
	CU_ASSERT_EQUAL(txh_send(&h, 1000, 1000, 0), 0);
	/* at its end it goes */
	CU_ASSERT_EQUAL(mlx5tls_tx_ack(h.tx, o.isn + (uint32_t)rl), 0);
	info_of(&h, &info);
	CU_ASSERT_EQUAL(info.records_held, 2);
	CU_ASSERT(txh_drain(&h) > 0);
	frames = h.rx_frames;
	wqes = h.qp->stats.wqes;
	CU_ASSERT_EQUAL(txh_send(&h, 500, 1000, 0), -ENODATA);
	CU_ASSERT_EQUAL(errno, ENODATA);
	CU_ASSERT_EQUAL(txh_send(&h, rl - 100, 1000, 0), -ENODATA); /* starts in record 0 */
	CU_ASSERT_EQUAL(h.qp->stats.wqes, wqes);
	CU_ASSERT_EQUAL(txh_drain(&h), 0);
	CU_ASSERT_EQUAL(h.rx_frames, frames);
	info_of(&h, &info);
	CU_ASSERT_EQUAL(info.drop_no_sync_data, 2);
	/* an ack inside record 1 keeps it whole: its prefix is still there to DUMP */
	CU_ASSERT_EQUAL(mlx5tls_tx_ack(h.tx, o.isn + (uint32_t)rl + 10), 0);
	CU_ASSERT_EQUAL(txh_send(&h, rl + 20, 1000, 0), 0);
	CU_ASSERT(txh_drain(&h) > 0);
	info_of(&h, &info);
	CU_ASSERT_EQUAL(info.dump_bytes, 1000 + 20);
	CU_ASSERT_EQUAL(info.ooo, 2);
	/* everything acknowledged: nothing held */
	CU_ASSERT_EQUAL(mlx5tls_tx_ack(h.tx, o.isn + (uint32_t)h.stream_len), 0);
	info_of(&h, &info);
	CU_ASSERT_EQUAL(info.records_held, 0);
	CU_ASSERT_EQUAL(txh_send(&h, h.stream_len - 100, 100, 0), -ENODATA);
	CU_ASSERT_EQUAL(txh_check_plaintext(&h, pt, len), 0);
	txh_fini(&h);
	free(pt);
}

static void test_after_release_tls12(void)
{
	run_after_release(TLS1_2_VERSION, 256);
}

static void test_after_release_tls13(void)
{
	run_after_release(TLS1_3_VERSION, 128);
}

/* ---- data before the offload start: in the clear, or dropped when it straddles it ---- */

struct clear_seen {
	int n;
	uint32_t seq[8];
	size_t len[8];
	uint8_t data[8][600];
};

static void clear_hook(void *ctx, uint32_t seq, const uint8_t *payload, size_t len)
{
	struct clear_seen *c = ctx;

	if (c->n < 8 && len <= 600) {
		c->seq[c->n] = seq;
		c->len[c->n] = len;
		memcpy(c->data[c->n], payload, len);
	}
	c->n++;
}

static void run_before_start(int version, unsigned int bits)
{
	/* the offload starts just after the sequence space wraps */
	struct txh_opts o = { .tls_version = version, .key_bits = bits, .isn = 0x100 };
	struct clear_seen *seen = calloc(1, sizeof(*seen));
	struct mlx5tls_tx_info info;
	struct mlx5tls_frame f;
	uint8_t hs[512];
	struct txh h;
	size_t len = 9000;
	uint8_t *pt = txh_pattern(len, 53);

	CU_ASSERT_PTR_NOT_NULL_FATAL(seen);
	CU_ASSERT_EQUAL_FATAL(txh_init(&h, &o), 0);
	txh_add_records(&h, pt, len, 3000);
	for (size_t i = 0; i < sizeof(hs); i++)
		hs[i] = (uint8_t)(0x16 + i * 13);
	CU_ASSERT_EQUAL(txh_send_segments(&h, 0, 4000, 1000), 0);
	h.rx_hook = clear_hook;
	h.rx_hook_ctx = seen;
	/* handshake bytes retransmitted: [isn - 0x300, isn - 0x100) across the wrap, and a frame
	 * ending exactly at the offload start */
	CU_ASSERT_EQUAL_FATAL(txh_frame_at(&h, o.isn - 0x300, hs, sizeof(hs), 0, &f), 0);
	CU_ASSERT_EQUAL(mlx5tls_tx_send(h.tx, &f, 0), 0);
	CU_ASSERT_EQUAL_FATAL(txh_frame_at(&h, o.isn - 100, hs, 100, 0, &f), 0);
	CU_ASSERT_EQUAL(mlx5tls_tx_send(h.tx, &f, 0), 0);
	/* one that straddles it cannot be sent either way */
	CU_ASSERT_EQUAL_FATAL(txh_frame_at(&h, o.isn - 10, hs, 100, 0, &f), 0);
	CU_ASSERT_EQUAL(mlx5tls_tx_send(h.tx, &f, 0), -ENODATA);
	/* a pure ACK carries nothing to encrypt */
	CU_ASSERT_EQUAL_FATAL(txh_frame_at(&h, o.isn + 4000, hs, 0, 0, &f), 0);
	CU_ASSERT_EQUAL(mlx5tls_tx_send(h.tx, &f, 0), 0);
	CU_ASSERT(txh_drain(&h) > 0);
	CU_ASSERT_EQUAL_FATAL(seen->n, 3);
	CU_ASSERT_EQUAL(seen->seq[0], o.isn - 0x300);
	CU_ASSERT_EQUAL(seen->len[0], sizeof(hs));
	CU_ASSERT_EQUAL(memcmp(seen->data[0], hs, sizeof(hs)), 0); /* unchanged, in the clear */
	CU_ASSERT_EQUAL(seen->seq[1], o.isn - 100);
	CU_ASSERT_EQUAL(seen->len[1], 100);
	CU_ASSERT_EQUAL(memcmp(seen->data[1], hs, 100), 0);
	CU_ASSERT_EQUAL(seen->len[2], 0);
	CU_ASSERT_EQUAL(h.rx_before, 2);
	h.rx_hook = NULL;
	/* the device's state was not touched: the stream goes on in order, without resync */
	CU_ASSERT_EQUAL(txh_send_segments(&h, 4000, h.stream_len - 4000, 1000), 0);
	CU_ASSERT(txh_drain(&h) > 0);
	CU_ASSERT_EQUAL(txh_check_plaintext(&h, pt, len), 0);
	info_of(&h, &info);
	CU_ASSERT_EQUAL(info.skip_no_sync_data, 2);
	CU_ASSERT_EQUAL(info.drop_no_sync_data, 1);
	CU_ASSERT_EQUAL(info.ooo, 0);
	CU_ASSERT_EQUAL(info.encrypted_bytes, h.stream_len);
	txh_fini(&h);
	free(seen);
	free(pt);
}

static void test_before_start_tls12(void)
{
	run_before_start(TLS1_2_VERSION, 128);
}

static void test_before_start_tls13(void)
{
	run_before_start(TLS1_3_VERSION, 256);
}

/* ---- the model is not lenient: a retransmission without resync fails at the reader ---- */

static void run_no_resync(int version, unsigned int bits)
{
	struct txh_opts o = { .tls_version = version, .key_bits = bits, .isn = 7 };
	struct mlx5tls_tx_info info;
	struct txh h;
	size_t len = 12000, got = 0;
	uint8_t *pt = txh_pattern(len, 59), *buf = malloc(len);
	long n;

	CU_ASSERT_EQUAL_FATAL(txh_init(&h, &o), 0);
	txh_add_records(&h, pt, len, 4000);
	CU_ASSERT_EQUAL(txh_send_segments(&h, 0, 5000, 1000), 0);
	h.rx_drop_next = 1;
	CU_ASSERT_EQUAL(txh_send_segments(&h, 5000, h.stream_len - 5000, 1000), 0);
	/* make the library believe the device expects the lost frame next */
	tx_set_dev_expected(h.tx, o.isn + 5000);
	CU_ASSERT_EQUAL(txh_send(&h, 5000, 1000, 0), 0);
	CU_ASSERT(txh_drain(&h) > 0);
	info_of(&h, &info);
	CU_ASSERT_EQUAL(info.ooo, 0);
	CU_ASSERT_EQUAL(info.dump_packets, 0);
	CU_ASSERT_EQUAL(h.rx_contig, h.stream_len);
	do {
		n = txh_client_read(&h, buf + got, len - got);
		if (n > 0)
			got += (size_t)n;
	} while (n > 0);
	/* record 0 reads; record 1 carries the wrongly encrypted frame */
	if (n != -EBADMSG)
		fprintf(stderr, "read %zu, then %ld: %s\n", got, n,
			tls_peer_last_error(h.pair, TLS_PEER_CLIENT));
	CU_ASSERT_EQUAL(got, 4000);
	CU_ASSERT_EQUAL(memcmp(buf, pt, 4000), 0);
	CU_ASSERT_EQUAL(n, -EBADMSG);
	txh_fini(&h);
	free(buf);
	free(pt);
}

static void test_no_resync_tls12(void)
{
	run_no_resync(TLS1_2_VERSION, 256);
}

static void test_no_resync_tls13(void)
{
	run_no_resync(TLS1_3_VERSION, 128);
}

/* ---- memory per idle connection (issue 10) ---- */

/* The record tracker grows with the data in flight and gives it back as it is acknowledged: an
 * idle context (everything acknowledged) holds at most 1 KiB in the library. */
static void test_idle_memory(void)
{
	struct txh_opts o = { .tls_version = TLS1_3_VERSION, .key_bits = 128, .isn = 7 };
	struct mlx5tls_tx_info info;
	struct txh h;
	size_t len = 64 * 16384, rl;
	uint8_t *pt = txh_pattern(len, 11);
	uint64_t created, busy;

	CU_ASSERT_EQUAL_FATAL(txh_init(&h, &o), 0);
	info_of(&h, &info);
	created = info.mem_bytes;
	CU_ASSERT(created > 0 && created <= 1024);
	txh_add_records(&h, pt, len, 16384);
	rl = tls_record_size(h.ktls_version, 16384);
	CU_ASSERT_EQUAL(txh_send_segments(&h, 0, h.stream_len, 1448), 0);
	CU_ASSERT(txh_drain(&h) > 0);
	info_of(&h, &info);
	busy = info.mem_bytes;
	CU_ASSERT_EQUAL(info.records_held, 64);
	CU_ASSERT(busy > created + 64 * 24); /* the rings grew to 64 records and more pieces */
	/* half acknowledged: the rings stay (more than a quarter is held) */
	CU_ASSERT_EQUAL(mlx5tls_tx_ack(h.tx, o.isn + (uint32_t)(32 * rl)), 0);
	info_of(&h, &info);
	CU_ASSERT_EQUAL(info.records_held, 32);
	CU_ASSERT(info.mem_bytes <= busy);
	/* 4 of 64 held, but 32 were held since the last acknowledgement: a ring that is filled
	 * again between acknowledgements keeps its size (no shrink and regrow per ack) */
	CU_ASSERT_EQUAL(mlx5tls_tx_ack(h.tx, o.isn + (uint32_t)(60 * rl)), 0);
	info_of(&h, &info);
	CU_ASSERT_EQUAL(info.records_held, 4);
	CU_ASSERT_EQUAL(info.mem_bytes, busy);
	/* at most a quarter full over a whole interval (4 of 64): they shrink */
	CU_ASSERT_EQUAL(mlx5tls_tx_ack(h.tx, o.isn + (uint32_t)(61 * rl)), 0);
	info_of(&h, &info);
	CU_ASSERT_EQUAL(info.records_held, 3);
	CU_ASSERT(info.mem_bytes < busy);
	/* a retransmission of a held record still goes out (the shrunken ring kept it) */
	CU_ASSERT_EQUAL(txh_send(&h, 61 * rl + 100, 1000, 0), 0);
	CU_ASSERT(txh_drain(&h) > 0);
	/* all acknowledged: back to the context alone */
	CU_ASSERT_EQUAL(mlx5tls_tx_ack(h.tx, o.isn + (uint32_t)h.stream_len), 0);
	info_of(&h, &info);
	CU_ASSERT_EQUAL(info.records_held, 0);
	CU_ASSERT_EQUAL(info.mem_bytes, created);
	CU_ASSERT(info.mem_bytes <= 1024);
	/* and it goes on: the next record allocates again */
	txh_add_records(&h, pt, 16384, 16384);
	CU_ASSERT_EQUAL(txh_send_segments(&h, h.stream_len - rl, rl, 1448), 0);
	CU_ASSERT(txh_drain(&h) > 0);
	{
		uint8_t *all = malloc(len + 16384);

		CU_ASSERT_FATAL(all != NULL);
		memcpy(all, pt, len);
		memcpy(all + len, pt, 16384);
		CU_ASSERT_EQUAL(txh_check_plaintext(&h, all, len + 16384), 0);
		free(all);
	}
	txh_fini(&h);
	free(pt);
}

/* ---- O(1) lifecycle: many contexts on one queue, destroyed oldest first ---- */

static double txh_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct visit {
	struct mlx5tls_tx **tx;
	unsigned int n, seen, bad;
};

/* cppcheck-suppress constParameter ; the signature is mlx5tls_device_foreach_tx's callback */
static int visit_cb(struct mlx5tls_tx *tx, void *arg)
{
	struct visit *v = arg;
	bool found = false;

	for (unsigned int i = 0; i < v->n; i++)
		found |= v->tx[i] == tx;
	v->seen++;
	v->bad += !found;
	return 0;
}

/* The contexts sit on doubly linked lists: destroying the oldest (at the far end of a list kept
 * newest first) costs as much as destroying the newest. 20,000 contexts torn down oldest first
 * took ~10 s with the singly linked lists (issue 10); the bound here is loose (sanitizers). */
static void test_many_contexts(void)
{
	struct txh_opts o = { .tls_version = TLS1_2_VERSION, .key_bits = 128, .isn = 1 };
	enum { N = 20000 };
	struct mlx5tls_tx **tx = calloc(N, sizeof(*tx));
	size_t ci_len;
	struct visit v;
	struct txh h;
	double t0;

	CU_ASSERT_FATAL(tx != NULL);
	CU_ASSERT_EQUAL_FATAL(txh_init(&h, &o), 0);
	ci_len = tls_peer_crypto_info_size(&h.ci.info);
	for (unsigned int i = 0; i < N; i++) {
		tx[i] = mlx5tls_tx_create(h.qp, &h.ci.info, ci_len, o.isn, NULL);
		CU_ASSERT_FATAL(tx[i] != NULL);
	}
	/* the middle, the newest, the oldest go; the device's list still holds exactly the rest */
	CU_ASSERT_EQUAL(mlx5tls_tx_destroy(tx[N / 2]), 0);
	CU_ASSERT_EQUAL(mlx5tls_tx_destroy(tx[N - 1]), 0);
	CU_ASSERT_EQUAL(mlx5tls_tx_destroy(tx[0]), 0);
	tx[N / 2] = tx[N - 1] = tx[0] = NULL;
	v = (struct visit){ .tx = tx, .n = N };
	CU_ASSERT_EQUAL(mlx5tls_device_foreach_tx(h.dev, visit_cb, &v), 0);
	CU_ASSERT_EQUAL(v.seen, N - 3 + 1); /* + the harness's own context */
	CU_ASSERT_EQUAL(v.bad, 1);
	t0 = txh_now();
	for (unsigned int i = 1; i < N - 1; i++)
		if (tx[i])
			CU_ASSERT_EQUAL(mlx5tls_tx_destroy(tx[i]), 0);
	CU_ASSERT(txh_now() - t0 < 5.0);
	v = (struct visit){ .tx = tx, .n = 0 };
	CU_ASSERT_EQUAL(mlx5tls_device_foreach_tx(h.dev, visit_cb, &v), 0);
	CU_ASSERT_EQUAL(v.seen, 1);
	txh_fini(&h);
	free(tx);
}

static const struct test_case drop_cases[] = {
	{ "idle_memory", test_idle_memory },
	{ "many_contexts", test_many_contexts },
	{ "after_release_tls12", test_after_release_tls12 },
	{ "after_release_tls13", test_after_release_tls13 },
	{ "before_start_tls12", test_before_start_tls12 },
	{ "before_start_tls13", test_before_start_tls13 },
	{ "no_resync_tls12", test_no_resync_tls12 },
	{ "no_resync_tls13", test_no_resync_tls13 },
	{ NULL, NULL },
};

int main(void)
{
	return tls_peer_run_suite("tx_drop", drop_cases);
}
