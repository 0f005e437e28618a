/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The other paths of a TLS TX context, through the model and read by a real OpenSSL client:
 * the software path (asked for, or as a fallback for suites the device lacks) and its
 * byte-identity with the device's output, demotion to software by the retransmission rule, the
 * TLS 1.3 key update and the hand-back to a software TLS stack.
 */
#include <errno.h>
#include <openssl/ssl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_util.h"
#include "tx_harness.h"

static void info_of(struct txh *h, struct mlx5tls_tx_info *info)
{
	memset(info, 0, sizeof(*info));
	CU_ASSERT_EQUAL(mlx5tls_tx_query(h->tx, info, sizeof(*info)), 0);
}

/* The reassembled wire equals the reference encryption of the stream, byte for byte. */
static void expect_reference_wire(struct txh *h)
{
	uint8_t *ref = txh_reference_wire(h);

	CU_ASSERT_PTR_NOT_NULL_FATAL(ref);
	CU_ASSERT_EQUAL(h->rx_contig, h->stream_len);
	CU_ASSERT_EQUAL(memcmp(h->rx, ref, h->stream_len), 0);
	/* and it is not the plaintext layout (something was encrypted) */
	CU_ASSERT_NOT_EQUAL(memcmp(h->rx, h->stream, h->stream_len), 0);
	free(ref);
}

/* In order in 1000-byte frames, one lost on the wire and retransmitted at the end, a duplicate
 * of the first frame. */
static void send_with_loss(struct txh *h)
{
	CU_ASSERT_EQUAL(txh_send_segments(h, 0, 5000, 1000), 0);
	h->rx_drop_next = 1;
	CU_ASSERT_EQUAL(txh_send_segments(h, 5000, h->stream_len - 5000, 1000), 0);
	CU_ASSERT_EQUAL(txh_send(h, 5000, 1000, 0), 0);
	CU_ASSERT_EQUAL(txh_send(h, 0, 1000, 0), 0);
	CU_ASSERT(txh_drain(h) > 0);
}

/* ---- software path ---- */

static void run_software(int version, unsigned int bits)
{
	struct txh_opts o = { .tls_version = version, .key_bits = bits, .isn = 0xffffe000u,
			      .tx_flags = MLX5TLS_TX_F_SOFTWARE };
	struct mlx5tls_tx_info info;
	struct txh h;
	size_t len = 40000;
	uint8_t *pt = txh_pattern(len, 79);

	CU_ASSERT_EQUAL_FATAL(txh_init(&h, &o), 0);
	txh_add_records(&h, pt, len, 7000);
	send_with_loss(&h);
	CU_ASSERT_EQUAL(txh_check_plaintext(&h, pt, len), 0);
	expect_reference_wire(&h);
	info_of(&h, &info);
	CU_ASSERT_EQUAL(info.path, MLX5TLS_TX_PATH_SOFTWARE);
	CU_ASSERT_STRING_EQUAL(info.reason, "software path requested");
	CU_ASSERT_EQUAL(info.dek_id, 0);
	CU_ASSERT_EQUAL(info.tisn, 0);
	CU_ASSERT_EQUAL(info.encrypted_bytes, 0);
	CU_ASSERT_EQUAL(info.dump_packets, 0);
	CU_ASSERT_EQUAL(info.sw_bytes, h.stream_len + 2000);
	CU_ASSERT_EQUAL(info.sw_packets, (h.stream_len + 999) / 1000 + 2);
	/* the first frame and the two retransmissions positioned the encryptor */
	CU_ASSERT_EQUAL(info.sw_resyncs, 3);
	CU_ASSERT_EQUAL(info.retx_bytes, 2000);
	CU_ASSERT_EQUAL(test_counter(h.dev, "tx_tls_sw_ctx"), 1);
	CU_ASSERT_EQUAL(test_counter(h.dev, "tx_tls_sw_bytes"), h.stream_len + 2000);
	CU_ASSERT_EQUAL(test_counter(h.dev, "tx_tls_encrypted_bytes"), 0);
	txh_fini(&h);
	free(pt);
}

static void test_software_tls12_128(void)
{
	run_software(TLS1_2_VERSION, 128);
}

static void test_software_tls13_256(void)
{
	run_software(TLS1_3_VERSION, 256);
}

/* The device path's wire is the reference encryption too: device and software agree. */
static void run_device_reference(int version, unsigned int bits)
{
	struct txh_opts o = { .tls_version = version, .key_bits = bits, .isn = 12345 };
	struct mlx5tls_tx_info info;
	struct txh h;
	size_t len = 40000;
	uint8_t *pt = txh_pattern(len, 79);

	CU_ASSERT_EQUAL_FATAL(txh_init(&h, &o), 0);
	txh_add_records(&h, pt, len, 7000);
	send_with_loss(&h);
	CU_ASSERT_EQUAL(txh_check_plaintext(&h, pt, len), 0);
	expect_reference_wire(&h);
	info_of(&h, &info);
	CU_ASSERT_EQUAL(info.path, MLX5TLS_TX_PATH_DEVICE);
	CU_ASSERT_EQUAL(info.sw_bytes, 0);
	CU_ASSERT_EQUAL(info.ooo, 2);
	txh_fini(&h);
	free(pt);
}

static void test_device_reference_tls12_256(void)
{
	run_device_reference(TLS1_2_VERSION, 256);
}

static void test_device_reference_tls13_128(void)
{
	run_device_reference(TLS1_3_VERSION, 128);
}

/* ---- fallback for suites the device lacks ---- */

static void run_fallback(const char *device, int version, unsigned int bits, const char *reason)
{
	struct txh_opts o = { .device = device, .tls_version = version, .key_bits = bits,
			      .isn = 99 };
	struct mlx5tls_tx_info info;
	struct txh h;
	size_t len = 30000;
	uint8_t *pt = txh_pattern(len, 83);

	/* without the flag the context is refused */
	if (reason) {
		CU_ASSERT_EQUAL(txh_init(&h, &o), -EOPNOTSUPP);
		CU_ASSERT_PTR_NULL(h.tx);
		txh_fini(&h);
	}
	o.tx_flags = MLX5TLS_TX_F_SW_FALLBACK;
	CU_ASSERT_EQUAL_FATAL(txh_init(&h, &o), 0);
	txh_add_records(&h, pt, len, 16384);
	send_with_loss(&h);
	CU_ASSERT_EQUAL(txh_check_plaintext(&h, pt, len), 0);
	expect_reference_wire(&h);
	info_of(&h, &info);
	if (reason) {
		CU_ASSERT_EQUAL(info.path, MLX5TLS_TX_PATH_SOFTWARE);
		CU_ASSERT_STRING_EQUAL(info.reason, reason);
		CU_ASSERT_EQUAL(info.sw_bytes, h.stream_len + 2000);
		CU_ASSERT_EQUAL(test_counter(h.dev, "tx_tls_sw_ctx"), 1);
	} else {
		CU_ASSERT_EQUAL(info.path, MLX5TLS_TX_PATH_DEVICE);
		CU_ASSERT_EQUAL(info.encrypted_bytes, h.stream_len + 2000);
		CU_ASSERT_EQUAL(test_counter(h.dev, "tx_tls_sw_ctx"), 0);
	}
	txh_fini(&h);
	free(pt);
}

static void test_fallback_legacy_tls13(void)
{
	run_fallback("sim:cx6dx-legacy", TLS1_3_VERSION, 128,
		     "device does not offload TLS 1.3 AES-GCM-128");
}

static void test_fallback_legacy_tls12_256(void)
{
	run_fallback("sim:cx6dx-legacy", TLS1_2_VERSION, 256,
		     "device does not offload TLS 1.2 AES-GCM-256");
}

static void test_fallback_legacy_tls12_128_offloads(void)
{
	run_fallback("sim:cx6dx-legacy", TLS1_2_VERSION, 128, NULL);
}

static void test_fallback_nocrypto_tls13_256(void)
{
	run_fallback("sim:cx6dx-nocrypto", TLS1_3_VERSION, 256,
		     "device has no TLS TX offload (tls_tx = 0)");
}

/* ---- demotion ---- */

/* Every fifth frame is sent again: a 1/6 share of retransmitted bytes. */
static void run_demote(int version, unsigned int bits, uint32_t permille, uint64_t min_bytes,
		       bool expect_demoted)
{
	struct txh_opts o = { .tls_version = version, .key_bits = bits, .isn = 0x80000000u,
			      .demote_permille = permille, .demote_min_bytes = min_bytes };
	struct mlx5tls_tx_info info;
	struct txh h;
	size_t len = 150000, off = 0, seg = 1448;
	uint8_t *pt = txh_pattern(len, 89);
	unsigned int frames = 0;

	CU_ASSERT_EQUAL_FATAL(txh_init(&h, &o), 0);
	txh_add_records(&h, pt, len, 16384);
	while (off < h.stream_len) {
		size_t n = h.stream_len - off < seg ? h.stream_len - off : seg;

		if (++frames % 5 == 0)
			h.rx_drop_next = 1; /* lost: sent again after the next frame */
		CU_ASSERT_EQUAL(txh_send(&h, off, n, 0), 0);
		if (frames % 5 == 1 && off)
			CU_ASSERT_EQUAL(txh_send(&h, off - seg, seg, 0), 0);
		off += n;
	}
	CU_ASSERT(txh_drain(&h) > 0);
	CU_ASSERT_EQUAL(txh_check_plaintext(&h, pt, len), 0);
	expect_reference_wire(&h);
	info_of(&h, &info);
	if (expect_demoted) {
		CU_ASSERT_EQUAL(info.path, MLX5TLS_TX_PATH_DEMOTED);
		CU_ASSERT_NSTRING_EQUAL(info.reason, "demoted: ", 9);
		CU_ASSERT(info.encrypted_bytes >= min_bytes); /* the device, until the rule hit */
		CU_ASSERT(info.sw_bytes > len / 2);            /* then software */
		CU_ASSERT_EQUAL(info.encrypted_bytes + info.sw_bytes, info.retx_bytes + h.stream_len);
		CU_ASSERT(info.sw_resyncs >= 1);
		CU_ASSERT_EQUAL(test_counter(h.dev, "tx_tls_demoted"), 1);
	} else {
		CU_ASSERT_EQUAL(info.path, MLX5TLS_TX_PATH_DEVICE);
		CU_ASSERT_STRING_EQUAL(info.reason, "");
		CU_ASSERT_EQUAL(info.sw_bytes, 0);
		CU_ASSERT_EQUAL(test_counter(h.dev, "tx_tls_demoted"), 0);
	}
	txh_fini(&h);
	free(pt);
}

static void test_demote_tls12_128(void)
{
	run_demote(TLS1_2_VERSION, 128, 100, 20000, true);
}

static void test_demote_tls13_256(void)
{
	run_demote(TLS1_3_VERSION, 256, 100, 20000, true);
}

static void test_demote_below_share(void)
{
	/* 1/6 of the bytes retransmitted is under 200 per mille */
	run_demote(TLS1_3_VERSION, 128, 200, 20000, false);
}

static void test_demote_below_min_bytes(void)
{
	run_demote(TLS1_2_VERSION, 256, 100, 1u << 20, false);
}

static void test_demote_off(void)
{
	run_demote(TLS1_2_VERSION, 128, 0, 1, false);
}

/* ---- TLS 1.3 key update ---- */

/* Decrypt the records of wire [off, end) with ci, numbered from num; compare with pt. Returns
 * the number of records that authenticated. */
static int decrypt_records(const uint8_t *wire, size_t off, size_t end,
			   const struct tls_crypto_info *ci, uint64_t num, const uint8_t *pt,
			   size_t *pt_off)
{
	uint8_t rec[16384 + 256 + 5];
	int good = 0;

	while (off < end) {
		size_t rl = 5 + ((size_t)wire[off + 3] << 8 | wire[off + 4]);
		ssize_t n;

		if (rl > sizeof(rec) || off + rl > end)
			break;
		memcpy(rec, wire + off, rl);
		n = tls_record_decrypt_sw(ci, num++, rec, rl, NULL);
		if (n > 0 && !memcmp(rec + 5, pt + *pt_off, (size_t)n)) {
			good++;
			*pt_off += (size_t)n;
		}
		off += rl;
	}
	return good;
}

static void run_rekey(unsigned int bits, uint32_t tx_flags)
{
	struct txh_opts o = { .tls_version = TLS1_3_VERSION, .key_bits = bits, .isn = 0xfffff800u,
			      .tx_flags = tx_flags };
	union tls_peer_crypto_info nk;
	struct mlx5tls_tx_info info;
	struct txh h;
	size_t len = 21000, a_len = 12000, a_end, pt_off = 0;
	uint8_t *pt = txh_pattern(len, 97), *got = malloc(len);
	long n;

	CU_ASSERT_PTR_NOT_NULL_FATAL(got);
	CU_ASSERT_EQUAL_FATAL(txh_init(&h, &o), 0);
	if (bits == 128)
		test_ci128(&nk.gcm128, TLS_1_3_VERSION, 0x40);
	else
		test_ci256(&nk.gcm256, TLS_1_3_VERSION, 0x40);
	txh_add_records(&h, pt, a_len, 4000);
	a_end = h.stream_len;
	CU_ASSERT_EQUAL(txh_send_segments(&h, 0, 5000, 1000), 0);
	h.rx_drop_next = 1; /* [5000, 6000) of record 1 (old key) is lost */
	CU_ASSERT_EQUAL(txh_send_segments(&h, 5000, a_end - 500 - 5000, 1000), 0);
	/* not inside a record */
	CU_ASSERT_EQUAL(mlx5tls_tx_rekey(h.tx, &nk.info, tls_peer_crypto_info_size(&nk.info)),
			-EBUSY);
	CU_ASSERT_EQUAL(txh_send(&h, a_end - 500, 500, 0), 0);
	/* not to another version or cipher */
	nk.info.cipher_type = bits == 128 ? TLS_CIPHER_AES_GCM_256 : TLS_CIPHER_AES_GCM_128;
	CU_ASSERT_EQUAL(mlx5tls_tx_rekey(h.tx, &nk.info, tls_peer_crypto_info_size(&nk.info)),
			-EINVAL);
	nk.info.cipher_type = bits == 128 ? TLS_CIPHER_AES_GCM_128 : TLS_CIPHER_AES_GCM_256;
	CU_ASSERT_EQUAL(mlx5tls_tx_rekey(h.tx, &nk.info, tls_peer_crypto_info_size(&nk.info)), 0);
	info_of(&h, &info);
	CU_ASSERT_EQUAL(info.key_epoch, 1);
	CU_ASSERT_EQUAL(info.next_record, 0); /* the new key's rec_seq */
	/* records under the new key (numbered from 0; TLS 1.3 layout does not depend on it) */
	txh_add_records(&h, pt + a_len, len - a_len, 3000);
	CU_ASSERT_EQUAL(txh_send_segments(&h, a_end, h.stream_len - a_end, 1000), 0);
	/* a retransmission may not mix keys */
	CU_ASSERT_EQUAL(txh_send(&h, a_end - 500, 1000, 0), -EINVAL);
	/* the lost old-key frame, after new-key records went out: the old key again */
	CU_ASSERT_EQUAL(txh_send(&h, 5000, 1000, 0), 0);
	/* and a duplicate of a new-key frame */
	CU_ASSERT_EQUAL(txh_send(&h, a_end + 2000, 1000, 0), 0);
	CU_ASSERT(txh_drain(&h) > 0);
	CU_ASSERT_EQUAL(h.rx_contig, h.stream_len);
	CU_ASSERT_EQUAL(h.rx_mismatch, 0);
	CU_ASSERT_EQUAL(h.rx_bad_csum, 0);
	/* the OpenSSL client reads the old-key records, then fails on the first new-key one (it
	 * saw no KeyUpdate message) */
	n = txh_client_read(&h, got, len);
	CU_ASSERT_EQUAL(n, (long)a_len);
	CU_ASSERT_EQUAL(memcmp(got, pt, a_len), 0);
	CU_ASSERT_EQUAL(txh_client_read(&h, got, len), -EBADMSG);
	/* each part decrypts with its own key and only with it */
	CU_ASSERT_EQUAL(decrypt_records(h.rx, 0, a_end, &h.ci.info, h.first_rec, pt, &pt_off), 3);
	CU_ASSERT_EQUAL(decrypt_records(h.rx, a_end, h.stream_len, &nk.info, 0, pt, &pt_off), 3);
	CU_ASSERT_EQUAL(pt_off, len);
	pt_off = a_len;
	CU_ASSERT_EQUAL(decrypt_records(h.rx, a_end, h.stream_len, &h.ci.info, 3, pt, &pt_off),
			0);
	CU_ASSERT_EQUAL(test_counter(h.dev, "tx_tls_rekey"), 1);
	tls_peer_crypto_info_wipe(&nk);
	txh_fini(&h);
	free(got);
	free(pt);
}

static void test_rekey_tls13_128(void)
{
	run_rekey(128, 0);
}

static void test_rekey_tls13_256(void)
{
	run_rekey(256, 0);
}

static void test_rekey_tls13_software(void)
{
	run_rekey(128, MLX5TLS_TX_F_SOFTWARE);
}

/* Older keys stay while their records are unacknowledged; at most four keys at once. */
static void test_rekey_limit(void)
{
	struct txh_opts o = { .tls_version = TLS1_3_VERSION, .key_bits = 128, .isn = 5 };
	struct tls12_crypto_info_aes_gcm_128 nk;
	struct txh h;
	uint8_t *pt = txh_pattern(1000, 101);

	CU_ASSERT_EQUAL_FATAL(txh_init(&h, &o), 0);
	for (unsigned int i = 0; i < 4; i++) {
		size_t off = txh_add_records(&h, pt, 1000, 1000);

		CU_ASSERT_EQUAL(txh_send(&h, off, h.stream_len - off, 0), 0);
		test_ci128(&nk, TLS_1_3_VERSION, (uint8_t)(0x10 * (i + 1)));
		CU_ASSERT_EQUAL(mlx5tls_tx_rekey(h.tx, &nk.info, sizeof(nk)), i < 3 ? 0 : -EBUSY);
	}
	CU_ASSERT_EQUAL(mlx5tls_tx_ack(h.tx, o.isn + (uint32_t)h.stream_len), 0);
	CU_ASSERT_EQUAL(mlx5tls_tx_rekey(h.tx, &nk.info, sizeof(nk)), 0);
	CU_ASSERT(txh_drain(&h) > 0);
	txh_fini(&h);
	free(pt);
}

/* ---- hand-back to a software TLS stack ---- */

static void run_handback(int version, unsigned int bits)
{
	struct txh_opts o = { .tls_version = version, .key_bits = bits, .isn = 0xfffffff0u };
	struct tls12_crypto_info_aes_gcm_128 nk;
	struct mlx5tls_tx_info info;
	uint8_t rec[2][600], *got = malloc(1000);
	uint64_t next_rec = 0;
	uint32_t next_sn = 0;
	struct txh h;
	size_t len = 15000, rl;
	uint8_t *pt = txh_pattern(len, 103);
	ssize_t n0, n1;

	CU_ASSERT_PTR_NOT_NULL_FATAL(got);
	CU_ASSERT_EQUAL_FATAL(txh_init(&h, &o), 0);
	txh_add_records(&h, pt, len, 3000);
	rl = tls_record_size(h.ktls_version, 3000);
	CU_ASSERT_EQUAL(txh_send_segments(&h, 0, 2 * rl + 100, 1000), 0);
	CU_ASSERT_EQUAL(mlx5tls_tx_handback(h.tx, &next_rec, &next_sn), -EBUSY);
	info_of(&h, &info);
	CU_ASSERT_EQUAL(info.record_offset, 100);
	CU_ASSERT_EQUAL(info.next_record_tcp_sn, (uint32_t)(o.isn + 2 * rl));
	CU_ASSERT_EQUAL(mlx5tls_tx_handback(NULL, &next_rec, &next_sn), -EINVAL);
	CU_ASSERT_EQUAL(mlx5tls_tx_handback(h.tx, NULL, &next_sn), -EINVAL);
	CU_ASSERT_EQUAL(txh_send_segments(&h, 2 * rl + 100, h.stream_len - 2 * rl - 100, 1000), 0);
	CU_ASSERT_EQUAL(txh_send(&h, rl + 50, 1000, 0), 0); /* a retransmission on the way */
	CU_ASSERT_EQUAL(mlx5tls_tx_handback(h.tx, &next_rec, &next_sn), 0);
	CU_ASSERT_EQUAL(next_rec, h.next_rec);
	CU_ASSERT_EQUAL(next_sn, o.isn + (uint32_t)h.stream_len);
	if (version == TLS1_2_VERSION) { /* key update is TLS 1.3 only */
		test_ci128(&nk, TLS_1_2_VERSION, 1);
		CU_ASSERT_EQUAL(mlx5tls_tx_rekey(h.tx, &nk.info, sizeof(nk)), -EINVAL);
	}
	CU_ASSERT(txh_drain(&h) > 0);
	CU_ASSERT_EQUAL(txh_check_plaintext(&h, pt, len), 0);
	/* a software TLS stack goes on with that record number, right after those bytes: the
	 * OpenSSL client reads on */
	n0 = tls_record_layout(&h.ci.info, TLS_RT_APPLICATION_DATA, next_rec, pt, 500, rec[0],
			       sizeof(rec[0]));
	n1 = tls_record_layout(&h.ci.info, TLS_RT_APPLICATION_DATA, next_rec + 1, pt + 500, 400,
			       rec[1], sizeof(rec[1]));
	CU_ASSERT_FATAL(n0 > 0 && n1 > 0);
	CU_ASSERT_EQUAL(tls_record_encrypt_sw(&h.ci.info, next_rec, rec[0], (size_t)n0), 0);
	CU_ASSERT_EQUAL(tls_record_encrypt_sw(&h.ci.info, next_rec + 1, rec[1], (size_t)n1), 0);
	CU_ASSERT_EQUAL(tls_peer_feed(h.pair, TLS_PEER_CLIENT, rec[0], (size_t)n0), 0);
	CU_ASSERT_EQUAL(tls_peer_feed(h.pair, TLS_PEER_CLIENT, rec[1], (size_t)n1), 0);
	CU_ASSERT_EQUAL(tls_peer_read(h.pair, TLS_PEER_CLIENT, got, 1000), 900);
	CU_ASSERT_EQUAL(memcmp(got, pt, 900), 0);
	txh_fini(&h);
	free(got);
	free(pt);
}

static void test_handback_tls12_256(void)
{
	run_handback(TLS1_2_VERSION, 256);
}

static void test_handback_tls13_128(void)
{
	run_handback(TLS1_3_VERSION, 128);
}

static const struct test_case path_cases[] = {
	{ "software_tls12_128", test_software_tls12_128 },
	{ "software_tls13_256", test_software_tls13_256 },
	{ "device_reference_tls12_256", test_device_reference_tls12_256 },
	{ "device_reference_tls13_128", test_device_reference_tls13_128 },
	{ "fallback_legacy_tls13", test_fallback_legacy_tls13 },
	{ "fallback_legacy_tls12_256", test_fallback_legacy_tls12_256 },
	{ "fallback_legacy_tls12_128_offloads", test_fallback_legacy_tls12_128_offloads },
	{ "fallback_nocrypto_tls13_256", test_fallback_nocrypto_tls13_256 },
	{ "demote_tls12_128", test_demote_tls12_128 },
	{ "demote_tls13_256", test_demote_tls13_256 },
	{ "demote_below_share", test_demote_below_share },
	{ "demote_below_min_bytes", test_demote_below_min_bytes },
	{ "demote_off", test_demote_off },
	{ "rekey_tls13_128", test_rekey_tls13_128 },
	{ "rekey_tls13_256", test_rekey_tls13_256 },
	{ "rekey_tls13_software", test_rekey_tls13_software },
	{ "rekey_limit", test_rekey_limit },
	{ "handback_tls12_256", test_handback_tls12_256 },
	{ "handback_tls13_128", test_handback_tls13_128 },
	{ NULL, NULL },
};

int main(void)
{
	return tls_peer_run_suite("tx_paths", path_cases);
}
