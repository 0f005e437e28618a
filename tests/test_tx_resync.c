/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * TLS TX retransmissions through the model, read by a real OpenSSL client: the kernel-style
 * resync (static params with the record's number, progress params, fence, DUMP of the record
 * prefix) for a frame at a record start, in a record's middle, across records, straddling the
 * highest byte sent, and a long randomised stream of losses and retransmissions on the device,
 * software and demoted paths. The drop/skip rules are in test_tx_drop.c.
 */
#include <errno.h>
#include <openssl/ssl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_util.h"
#include "tx_harness.h"
#include "tx_internal.h"
#include "tx_wqe_peek.h"

#define MAX_PEEK 64

static void info_of(struct txh *h, struct mlx5tls_tx_info *info)
{
	memset(info, 0, sizeof(*info));
	CU_ASSERT_EQUAL(mlx5tls_tx_query(h->tx, info, sizeof(*info)), 0);
}

/* Send stream bytes [off, off+len) as one frame and decode the WQEs that it took. */
static int send_peek(struct txh *h, size_t off, size_t len, uint16_t mss, struct wqe_peek *w)
{
	uint32_t pc = h->qp->pc;

	CU_ASSERT_EQUAL(txh_send(h, off, len, mss), 0);
	return peek_wqes(h->qp, pc, w, MAX_PEEK);
}

/* The resync WQEs of one retransmission: [static params with rec_num], progress params, fenced
 * NOP, n_dumps DUMPs of at most mtu bytes summing to prefix, then the data WQE. */
static void expect_resync(const struct wqe_peek *w, int n, bool with_static, uint64_t rec_num,
			  int n_dumps, uint32_t prefix, uint32_t mtu, uint32_t tisn)
{
	int i = 0;
	uint32_t sum = 0;

	if (n != (with_static ? 1 : 0) + 2 + n_dumps + 1) {
		fprintf(stderr, "resync WQEs:");
		for (int j = 0; j < n; j++)
			fprintf(stderr, " %02x/%u", w[j].opcode, w[j].bytes);
		fprintf(stderr, "\n");
	}
	CU_ASSERT_EQUAL_FATAL(n, (with_static ? 1 : 0) + 2 + n_dumps + 1);
	if (with_static) {
		CU_ASSERT_EQUAL(w[i].opcode, PEEK_OP_UMR);
		CU_ASSERT_EQUAL(w[i].opc_mod, 1);
		CU_ASSERT_EQUAL(w[i].tisn, tisn);
		CU_ASSERT_EQUAL(w[i].rec_num, rec_num);
		CU_ASSERT(w[i].fm_ce_se & 0x20); /* fenced, as on the kernel's resync */
		i++;
	}
	CU_ASSERT_EQUAL(w[i].opcode, PEEK_OP_SET_PSV);
	i++;
	CU_ASSERT_EQUAL(w[i].opcode, PEEK_OP_NOP);
	CU_ASSERT(w[i].fm_ce_se & 0x20);
	i++;
	for (int d = 0; d < n_dumps; d++, i++) {
		CU_ASSERT_EQUAL(w[i].opcode, PEEK_OP_DUMP);
		CU_ASSERT_EQUAL(w[i].tisn, tisn);
		CU_ASSERT(w[i].bytes > 0 && w[i].bytes <= mtu);
		sum += w[i].bytes;
	}
	CU_ASSERT_EQUAL(sum, prefix);
	CU_ASSERT(w[i].opcode == PEEK_OP_SEND || w[i].opcode == PEEK_OP_LSO);
	CU_ASSERT_EQUAL(w[i].tisn, tisn);
}

/* ---- a frame at a record start: no DUMP, static params with that record's number ---- */

static void run_record_start(int version, unsigned int bits)
{
	struct txh_opts o = { .tls_version = version, .key_bits = bits, .isn = 0x7ffffff0u };
	struct wqe_peek w[MAX_PEEK];
	struct mlx5tls_tx_info info;
	struct txh h;
	size_t len = 16000, rl;
	uint8_t *pt = txh_pattern(len, 31);
	int n;

	CU_ASSERT_EQUAL_FATAL(txh_init(&h, &o), 0);
	txh_add_records(&h, pt, len, 4000);
	rl = tls_record_size(h.ktls_version, 4000);
	for (unsigned int r = 0; r < 4; r++) {
		h.rx_drop_next = r == 2; /* lose record 2's first frame */
		CU_ASSERT_EQUAL(txh_send_segments(&h, r * rl, rl, 1000), 0);
	}
	CU_ASSERT_EQUAL(h.rx_dropped, 1);
	n = send_peek(&h, 2 * rl, 1000, 0, w);
	expect_resync(w, n, true, h.first_rec + 2, 0, 0, 1500, h.tx->tis->tisn);
	/* record 0 again (a duplicate on the wire): its number again */
	n = send_peek(&h, 0, 1000, 0, w);
	expect_resync(w, n, true, h.first_rec, 0, 0, 1500, h.tx->tis->tisn);
	/* record 0's third frame: same record, so progress params alone and DUMPs */
	n = send_peek(&h, 2000, 1000, 0, w);
	expect_resync(w, n, false, 0, 2, 2000, 1500, h.tx->tis->tisn);
	CU_ASSERT(txh_drain(&h) > 0);
	CU_ASSERT_EQUAL(txh_check_plaintext(&h, pt, len), 0);
	info_of(&h, &info);
	CU_ASSERT_EQUAL(info.ooo, 3);
	CU_ASSERT_EQUAL(info.dump_packets, 2);
	CU_ASSERT_EQUAL(info.dump_bytes, 2000);
	CU_ASSERT_EQUAL(info.retx_bytes, 3000);
	txh_fini(&h);
	free(pt);
}

static void test_record_start_tls12_128(void)
{
	run_record_start(TLS1_2_VERSION, 128);
}

static void test_record_start_tls13_256(void)
{
	run_record_start(TLS1_3_VERSION, 256);
}

/* ---- a frame in a record's middle: DUMP of the prefix, piece by piece ---- */

static void run_record_middle(int version, unsigned int bits)
{
	struct txh_opts o = { .tls_version = version, .key_bits = bits, .isn = 0xfffff000u };
	struct wqe_peek w[MAX_PEEK];
	struct mlx5tls_tx_info info;
	struct txh h;
	size_t len = 60000, rl, seg = 1448, lost = 15 * 1448;
	uint8_t *pt = txh_pattern(len, (uint8_t)(version + bits));
	int n, pieces;

	CU_ASSERT_EQUAL_FATAL(txh_init(&h, &o), 0);
	txh_add_records(&h, pt, len, 16384);
	rl = tls_record_size(h.ktls_version, 16384);
	CU_ASSERT_FATAL(lost > rl && lost + seg < 2 * rl);
	CU_ASSERT_EQUAL(txh_send_segments(&h, 0, lost, seg), 0);
	h.rx_drop_next = 1;
	CU_ASSERT_EQUAL(txh_send_segments(&h, lost, h.stream_len - lost, seg), 0);
	CU_ASSERT_EQUAL(h.rx_dropped, 1);
	/* the prefix [rl, lost) lies in the frames that carried it: one DUMP per frame piece */
	pieces = (int)(lost / seg - rl / seg);
	n = send_peek(&h, lost, seg, 0, w);
	expect_resync(w, n, true, h.first_rec + 1, pieces, (uint32_t)(lost - rl), 1500,
		      h.tx->tis->tisn);
	CU_ASSERT(txh_drain(&h) > 0);
	CU_ASSERT_EQUAL(txh_check_plaintext(&h, pt, len), 0);
	info_of(&h, &info);
	CU_ASSERT_EQUAL(info.ooo, 1);
	CU_ASSERT_EQUAL(info.dump_bytes, lost - rl);
	CU_ASSERT_EQUAL(info.dump_packets, (uint64_t)pieces);
	CU_ASSERT_EQUAL(info.resync_bytes, lost - rl);
	CU_ASSERT_EQUAL(info.expected_tcp_sn, (uint32_t)(o.isn + lost + seg));
	txh_fini(&h);
	free(pt);
}

static void test_record_middle_tls12_128(void)
{
	run_record_middle(TLS1_2_VERSION, 128);
}

static void test_record_middle_tls12_256(void)
{
	run_record_middle(TLS1_2_VERSION, 256);
}

static void test_record_middle_tls13_128(void)
{
	run_record_middle(TLS1_3_VERSION, 128);
}

static void test_record_middle_tls13_256(void)
{
	run_record_middle(TLS1_3_VERSION, 256);
}

/* A record sent as one LSO frame is one contiguous area: its prefix goes in MTU-sized DUMPs. */
static void run_dump_mtu(int version, uint32_t mtu)
{
	struct txh_opts o = { .tls_version = version, .key_bits = 128, .isn = 3, .mtu = mtu };
	struct wqe_peek w[MAX_PEEK];
	struct mlx5tls_tx_info info;
	struct txh h;
	size_t len = 3 * 16384, rl, prefix = 10000;
	uint8_t *pt = txh_pattern(len, 37);
	uint16_t mss = (uint16_t)(mtu - 40);
	int n, dumps = (int)((prefix + mtu - 1) / mtu);

	CU_ASSERT_EQUAL_FATAL(txh_init(&h, &o), 0);
	txh_add_records(&h, pt, len, 16384);
	rl = tls_record_size(h.ktls_version, 16384);
	for (unsigned int r = 0; r < 3; r++)
		CU_ASSERT_EQUAL(txh_send(&h, r * rl, rl, mss), 0);
	/* an LSO retransmission of the end of record 1, then the piece before it */
	n = send_peek(&h, rl + prefix + 1000, rl - prefix - 1000, mss, w);
	expect_resync(w, n, true, h.first_rec + 1, (int)((prefix + 1000 + mtu - 1) / mtu),
		      (uint32_t)prefix + 1000, mtu, h.tx->tis->tisn);
	n = send_peek(&h, rl + prefix, 1000, 0, w);
	expect_resync(w, n, false, 0, dumps, (uint32_t)prefix, mtu, h.tx->tis->tisn);
	CU_ASSERT(txh_drain(&h) > 0);
	CU_ASSERT_EQUAL(txh_check_plaintext(&h, pt, len), 0);
	info_of(&h, &info);
	CU_ASSERT_EQUAL(info.dump_packets, (uint64_t)dumps + (prefix + 1000 + mtu - 1) / mtu);
	CU_ASSERT_EQUAL(info.dump_bytes, 2 * prefix + 1000);
	txh_fini(&h);
	free(pt);
}

static void test_dump_mtu_1500_tls12(void)
{
	run_dump_mtu(TLS1_2_VERSION, 1500);
}

static void test_dump_mtu_4000_tls13(void)
{
	run_dump_mtu(TLS1_3_VERSION, 4000);
}

static void test_dump_mtu_9000_tls12(void)
{
	run_dump_mtu(TLS1_2_VERSION, 9000);
}

/* ---- a frame spanning records ---- */

static void run_spanning(int version, unsigned int bits)
{
	struct txh_opts o = { .tls_version = version, .key_bits = bits, .isn = 100000 };
	static const size_t sizes[] = { 3000, 200, 200, 200, 6400 };
	struct wqe_peek w[MAX_PEEK];
	struct mlx5tls_tx_info info;
	struct txh h;
	size_t len = 10000, off = 0;
	uint8_t *pt = txh_pattern(len, 41);
	int n;

	CU_ASSERT_EQUAL_FATAL(txh_init(&h, &o), 0);
	for (unsigned int i = 0; i < 5; i++) {
		txh_add_records(&h, pt + off, sizes[i], sizes[i]);
		off += sizes[i];
	}
	/* the frame [3000, 4000) holds record 0's tail, records 1-3 and record 4's head */
	CU_ASSERT_EQUAL(txh_send_segments(&h, 0, 3000, 1000), 0);
	h.rx_drop_next = 1;
	CU_ASSERT_EQUAL(txh_send_segments(&h, 3000, h.stream_len - 3000, 1000), 0);
	n = send_peek(&h, 3000, 1000, 0, w);
	expect_resync(w, n, false, 0, 3, 3000, 1500, h.tx->tis->tisn);
	/* a cut the original frames did not have */
	n = send_peek(&h, 2500, 1100, 0, w);
	expect_resync(w, n, false, 0, 3, 2500, 1500, h.tx->tis->tisn);
	/* from inside record 2 to inside record 4 */
	n = send_peek(&h, 3400, 1000, 0, w);
	expect_resync(w, n, true, h.first_rec + 2, 1,
		      (uint32_t)(3400 - tls_record_size(h.ktls_version, 3000) -
				 tls_record_size(h.ktls_version, 200)),
		      1500, h.tx->tis->tisn);
	CU_ASSERT(txh_drain(&h) > 0);
	CU_ASSERT_EQUAL(txh_check_plaintext(&h, pt, len), 0);
	info_of(&h, &info);
	CU_ASSERT_EQUAL(info.ooo, 3);
	txh_fini(&h);
	free(pt);
}

static void test_spanning_tls12_128(void)
{
	run_spanning(TLS1_2_VERSION, 128);
}

static void test_spanning_tls13_256(void)
{
	run_spanning(TLS1_3_VERSION, 256);
}

/* ---- a frame straddling the highest byte sent: part retransmission, part new data ---- */

static void run_straddle(int version, unsigned int bits)
{
	struct txh_opts o = { .tls_version = version, .key_bits = bits, .isn = 0xffffffffu };
	struct mlx5tls_tx_info info;
	struct mlx5tls_frame f;
	struct wqe_peek w[MAX_PEEK];
	struct txh h;
	size_t len = 25000, rl;
	uint8_t *pt = txh_pattern(len, 43), *bad;
	uint64_t wqes;
	int n;

	CU_ASSERT_EQUAL_FATAL(txh_init(&h, &o), 0);
	txh_add_records(&h, pt, len, 5000);
	rl = tls_record_size(h.ktls_version, 5000);
	CU_ASSERT_EQUAL(txh_send_segments(&h, 0, 7000, 1000), 0);
	n = send_peek(&h, 6500, 1400, 0, w);
	expect_resync(w, n, true, h.first_rec + 1, 2, (uint32_t)(6500 - rl), 1500,
		      h.tx->tis->tisn);
	info_of(&h, &info);
	CU_ASSERT_EQUAL(info.next_tcp_sn, o.isn + 7900);
	CU_ASSERT_EQUAL(info.retx_bytes, 500);
	CU_ASSERT_EQUAL(txh_send_segments(&h, 7900, 2000, 1000), 0);
	/* the new part starts record 2: with a bad header the frame is refused whole */
	CU_ASSERT_FATAL(9900 < 2 * rl && 10400 > 2 * rl + 5);
	CU_ASSERT_EQUAL_FATAL(txh_frame(&h, 9800, 600, 0, &f), 0);
	bad = (uint8_t *)f.data + (f.len - 600) + (2 * rl - 9800);
	bad[1] = 2;
	wqes = h.tx->qp->stats.wqes;
	CU_ASSERT_EQUAL(mlx5tls_tx_send(h.tx, &f, 0), -EBADMSG);
	CU_ASSERT_EQUAL(h.tx->qp->stats.wqes, wqes);
	CU_ASSERT_EQUAL(txh_send(&h, 9800, 600, 0), 0);
	CU_ASSERT_EQUAL(txh_send_segments(&h, 10400, h.stream_len - 10400, 1000), 0);
	CU_ASSERT(txh_drain(&h) > 0);
	CU_ASSERT_EQUAL(txh_check_plaintext(&h, pt, len), 0);
	info_of(&h, &info);
	CU_ASSERT_EQUAL(info.ooo, 2);
	CU_ASSERT_EQUAL(info.retx_bytes, 600);
	CU_ASSERT_EQUAL(info.encrypted_bytes, h.stream_len + 600);
	txh_fini(&h);
	free(pt);
}

static void test_straddle_tls12_256(void)
{
	run_straddle(TLS1_2_VERSION, 256);
}

static void test_straddle_tls13_128(void)
{
	run_straddle(TLS1_3_VERSION, 128);
}

/* ---- a long stream of losses, retransmissions, duplicates and acks ---- */

static uint64_t rng;

static uint32_t rnd(uint32_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)((rng * 0x2545f4914f6cdd1dull) >> 33) % n;
}

struct range {
	size_t off, len;
};

/* Send [off, off+len) as one frame, optionally batched (MORE) or as LSO; on the wire, the
 * first segment may be lost. Returns the lost range length (0 if none). */
static size_t rand_send(struct txh *h, size_t off, size_t len, bool may_lose)
{
	struct mlx5tls_frame f;
	uint16_t max = h->o.ipv6 ? 1440 : 1460, mss = len > max ? max - 12 : 0;
	size_t lost = 0;

	if (may_lose && !rnd(8)) {
		/* what is batched must reach the wire first, so the loss hits this frame */
		CU_ASSERT_EQUAL(mlx5tls_qp_flush(h->qp), 0);
		h->rx_drop_next = 1;
		lost = mss && len > mss ? mss : len;
	}
	CU_ASSERT_EQUAL_FATAL(txh_frame(h, off, len, mss, &f), 0);
	CU_ASSERT_EQUAL(mlx5tls_tx_send(h->tx, &f, rnd(3) ? 0 : MLX5TLS_SEND_F_MORE), 0);
	return lost;
}

static void run_random(int version, unsigned int bits, uint64_t seed, bool ipv6,
		       enum mlx5tls_tx_path path)
{
	struct txh_opts o = { .tls_version = version, .key_bits = bits, .isn = (uint32_t)seed,
			      .ipv6 = ipv6 };
	struct range lost[4096] = { { 0, 0 } };
	struct mlx5tls_tx_info info;
	struct txh h;
	size_t len = 0, cap = 600000, sent = 0, acked = 0, n_lost = 0;
	uint8_t *pt = txh_pattern(cap, (uint8_t)seed);
	uint32_t max_seg = ipv6 ? 1440 : 1460;

	rng = seed * 0x9e3779b97f4a7c15ull | 1;
	if (path == MLX5TLS_TX_PATH_SOFTWARE)
		o.tx_flags = MLX5TLS_TX_F_SOFTWARE;
	if (path == MLX5TLS_TX_PATH_DEMOTED) {
		o.demote_permille = 100; /* hit after about a third of the stream */
		o.demote_min_bytes = 200000;
	}
	CU_ASSERT_EQUAL_FATAL(txh_init(&h, &o), 0);
	while (len < cap - 16384) {
		size_t r = 1 + rnd(rnd(4) ? 16384 : 600);

		txh_add_records(&h, pt + len, r, r);
		len += r;
	}
	while (sent < h.stream_len) {
		uint32_t a = rnd(100);

		if (a < 65) { /* new data, sometimes an LSO frame */
			size_t n = 1 + rnd(rnd(5) ? max_seg : 9000);

			if (n > h.stream_len - sent)
				n = h.stream_len - sent;
			size_t l = rand_send(&h, sent, n, true);

			if (l && n_lost < 4096)
				lost[n_lost++] = (struct range){ sent, l };
			sent += n;
		} else if (a < 80 && n_lost) { /* retransmit a loss, maybe cut in two */
			uint32_t i = rnd((uint32_t)n_lost);
			struct range r = lost[i];

			lost[i] = lost[--n_lost];
			if (r.off + r.len <= acked)
				continue;
			if (r.off < acked) {
				r.len -= acked - r.off;
				r.off = acked;
			}
			if (r.len > 1 && rnd(2)) {
				size_t cut = 1 + rnd((uint32_t)r.len - 1);

				rand_send(&h, r.off + cut, r.len - cut, false);
				rand_send(&h, r.off, cut, false);
			} else {
				rand_send(&h, r.off, r.len, false);
			}
		} else if (a < 95 && sent > acked) { /* a duplicate, maybe with new data */
			size_t off = acked + rnd((uint32_t)(sent - acked));
			size_t n = 1 + rnd(max_seg);

			if (n > h.stream_len - off)
				n = h.stream_len - off;
			rand_send(&h, off, n, false);
			if (off + n > sent)
				sent = off + n;
		} else { /* the receiver acknowledges what it has contiguously */
			CU_ASSERT_EQUAL(mlx5tls_qp_flush(h.qp), 0);
			acked = h.rx_contig;
			CU_ASSERT_EQUAL(mlx5tls_tx_ack(h.tx, o.isn + (uint32_t)acked), 0);
		}
	}
	while (n_lost) {
		struct range r = lost[--n_lost];

		if (r.off + r.len > acked) {
			if (r.off < acked) {
				r.len -= acked - r.off;
				r.off = acked;
			}
			rand_send(&h, r.off, r.len, false);
		}
	}
	CU_ASSERT(txh_drain(&h) > 0);
	CU_ASSERT_EQUAL(h.rx_contig, h.stream_len);
	CU_ASSERT_EQUAL(txh_check_plaintext(&h, pt, len), 0);
	info_of(&h, &info);
	CU_ASSERT(h.rx_dropped > 20);
	CU_ASSERT_EQUAL(info.drop_no_sync_data, 0);
	CU_ASSERT_EQUAL(info.path, path);
	if (path == MLX5TLS_TX_PATH_DEVICE) {
		CU_ASSERT(info.ooo > 100);
		CU_ASSERT(info.dump_packets > 100);
	} else if (path == MLX5TLS_TX_PATH_DEMOTED) { /* the device had the first third */
		CU_ASSERT(info.ooo > 30);
		CU_ASSERT(info.dump_packets > 30);
	}
	if (path != MLX5TLS_TX_PATH_DEVICE) {
		CU_ASSERT(info.sw_resyncs > 50);
		CU_ASSERT(info.sw_bytes > len / 3);
	}
	txh_fini(&h);
	free(pt);
}

static void test_random_tls12_128(void)
{
	run_random(TLS1_2_VERSION, 128, 0x1234, false, MLX5TLS_TX_PATH_DEVICE);
}

static void test_random_tls12_256_ipv6(void)
{
	run_random(TLS1_2_VERSION, 256, 0xfffff00d, true, MLX5TLS_TX_PATH_DEVICE);
}

static void test_random_tls13_128(void)
{
	run_random(TLS1_3_VERSION, 128, 0xabcdef, false, MLX5TLS_TX_PATH_DEVICE);
}

static void test_random_tls13_256(void)
{
	run_random(TLS1_3_VERSION, 256, 0x7fffffff, false, MLX5TLS_TX_PATH_DEVICE);
}

static void test_random_software_tls12(void)
{
	run_random(TLS1_2_VERSION, 128, 0x5151, false, MLX5TLS_TX_PATH_SOFTWARE);
}

static void test_random_software_tls13(void)
{
	run_random(TLS1_3_VERSION, 256, 0xfffe0000, true, MLX5TLS_TX_PATH_SOFTWARE);
}

static void test_random_demoted_tls12(void)
{
	run_random(TLS1_2_VERSION, 256, 0x7777, false, MLX5TLS_TX_PATH_DEMOTED);
}

static void test_random_demoted_tls13(void)
{
	run_random(TLS1_3_VERSION, 128, 0x31337, false, MLX5TLS_TX_PATH_DEMOTED);
}

static const struct test_case resync_cases[] = {
	{ "record_start_tls12_128", test_record_start_tls12_128 },
	{ "record_start_tls13_256", test_record_start_tls13_256 },
	{ "record_middle_tls12_128", test_record_middle_tls12_128 },
	{ "record_middle_tls12_256", test_record_middle_tls12_256 },
	{ "record_middle_tls13_128", test_record_middle_tls13_128 },
	{ "record_middle_tls13_256", test_record_middle_tls13_256 },
	{ "dump_mtu_1500_tls12", test_dump_mtu_1500_tls12 },
	{ "dump_mtu_4000_tls13", test_dump_mtu_4000_tls13 },
	{ "dump_mtu_9000_tls12", test_dump_mtu_9000_tls12 },
	{ "spanning_tls12_128", test_spanning_tls12_128 },
	{ "spanning_tls13_256", test_spanning_tls13_256 },
	{ "straddle_tls12_256", test_straddle_tls12_256 },
	{ "straddle_tls13_128", test_straddle_tls13_128 },
	{ "random_tls12_128", test_random_tls12_128 },
	{ "random_tls12_256_ipv6", test_random_tls12_256_ipv6 },
	{ "random_tls13_128", test_random_tls13_128 },
	{ "random_tls13_256", test_random_tls13_256 },
	{ "random_software_tls12", test_random_software_tls12 },
	{ "random_software_tls13", test_random_software_tls13 },
	{ "random_demoted_tls12", test_random_demoted_tls12 },
	{ "random_demoted_tls13", test_random_demoted_tls13 },
	{ NULL, NULL },
};

int main(void)
{
	return tls_peer_run_suite("tx_resync", resync_cases);
}
