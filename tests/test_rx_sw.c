/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Completion of received TLS records (libmlx5tls/rx_sw.c) against the model's RX engine as the
 * device: OpenSSL writes real records, the TCP stream is cut into segments, the model decrypts
 * what it can and reports a status per segment, and rx_sw must deliver exactly what OpenSSL
 * wrote - whether records arrived decrypted, mixed, or not at all - and nothing of a record that
 * was tampered with.
 */
#include <openssl/ssl.h>
#include <stdlib.h>
#include <string.h>

#include "rx_sw.h"
#include "sim/tls_rx.h"
#include "test_util.h"
#include "tls_peer.h"
#include "wqe.h"

#define START_SEQ 0xfffff000u /* the stream crosses the 2^32 wrap */
#define MAX_STREAM (1u << 20)

struct rx_fixture {
	struct tls_peer_pair *pair;
	union tls_peer_crypto_info ci;
	uint8_t *pt;        /* what the server wrote */
	size_t pt_len;
	uint8_t *wire;      /* the records as sent */
	size_t wire_len;
	uint8_t *got;       /* what rx_sw delivered */
	size_t got_len;
	struct sim_tls_rx *dev;
	struct rx_sw *sw;
};

static int collect(void *ctx, uint8_t type, const uint8_t *pt, size_t len)
{
	struct rx_fixture *f = ctx;

	if (type != TLS_RT_APPLICATION_DATA || f->got_len + len > MAX_STREAM)
		return -EPROTO;
	memcpy(f->got + f->got_len, pt, len);
	f->got_len += len;
	return 0;
}

/* A handshake, `records` records of rec_size bytes written by the server, the device keyed. */
static void fx_init(struct rx_fixture *f, int version, unsigned int bits, size_t rec_size,
		    unsigned int records)
{
	uint8_t params[64] = { 0 }, progress[12] = { 0 };
	struct tls_static_info si = { 0 };
	const uint8_t *key;
	size_t key_len;
	ssize_t n;

	memset(f, 0, sizeof(*f));
	f->pair = tls_peer_pair_create(version, bits, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f->pair);
	CU_ASSERT_EQUAL_FATAL(tls_peer_export_tx(f->pair, TLS_PEER_SERVER, 0, &f->ci), 0);
	f->pt_len = rec_size * records;
	f->pt = malloc(f->pt_len);
	f->wire = malloc(MAX_STREAM);
	f->got = malloc(MAX_STREAM);
	CU_ASSERT_FATAL(f->pt && f->wire && f->got);
	for (size_t i = 0; i < f->pt_len; i++)
		f->pt[i] = (uint8_t)(i * 13 + (i >> 9));
	for (unsigned int r = 0; r < records; r++)
		CU_ASSERT_EQUAL_FATAL(tls_peer_write(f->pair, TLS_PEER_SERVER,
						     f->pt + r * rec_size, rec_size), 0);
	n = tls_peer_take_wire(f->pair, TLS_PEER_SERVER, f->wire, MAX_STREAM);
	CU_ASSERT_FATAL(n > 0);
	f->wire_len = (size_t)n;

	CU_ASSERT_EQUAL_FATAL(rx_sw_init(&f->sw, &f->ci.info,
					 tls_peer_crypto_info_size(&f->ci.info)), 0);
	/* the device: static params with the record number, START at the first header */
	f->dev = sim_tls_rx_create();
	CU_ASSERT_PTR_NOT_NULL_FATAL(f->dev);
	si.tls13 = f->ci.info.version == TLS_1_3_VERSION;
	if (f->ci.info.cipher_type == TLS_CIPHER_AES_GCM_256) {
		memcpy(si.rec_seq, f->ci.gcm256.rec_seq, 8);
		memcpy(si.salt, f->ci.gcm256.salt, 4);
		memcpy(si.iv, f->ci.gcm256.iv, 8);
		key = f->ci.gcm256.key;
		key_len = 32;
	} else {
		memcpy(si.rec_seq, f->ci.gcm128.rec_seq, 8);
		memcpy(si.salt, f->ci.gcm128.salt, 4);
		memcpy(si.iv, f->ci.gcm128.iv, 8);
		key = f->ci.gcm128.key;
		key_len = 16;
	}
	si.dek_index = 1;
	tls_static_params_fill(params, &si);
	CU_ASSERT_EQUAL_FATAL(sim_tls_rx_set_static(f->dev, params, key, key_len), 0);
	tls_progress_params_fill(progress, START_SEQ, 0 /* START */, 0 /* NO_OFFLOAD */);
	CU_ASSERT_EQUAL_FATAL(sim_tls_rx_set_progress(f->dev, progress), 0);
}

static void fx_fini(struct rx_fixture *f)
{
	rx_sw_free(f->sw);
	sim_tls_rx_destroy(f->dev);
	tls_peer_crypto_info_wipe(&f->ci);
	tls_peer_pair_destroy(f->pair);
	free(f->pt);
	free(f->wire);
	free(f->got);
}

/* One segment through the device, as the NIC would deliver it. */
static int device(struct rx_fixture *f, size_t off, size_t len, uint8_t *out)
{
	enum sim_tls_rx_status st = SIM_TLS_RX_NOT_DECRYPTED;

	memcpy(out, f->wire + off, len);
	CU_ASSERT_EQUAL(sim_tls_rx_packet(f->dev, START_SEQ + (uint32_t)off, out, len, true, &st),
			0);
	return (int)st;
}

struct seg {
	size_t off, len;
	int status;
	uint8_t *bytes;
};

/* Cut [0, wire_len) into segments of `mss`, run them through the device in `order`, then hand
 * them to rx_sw in TCP order (what the application's TCP does). Returns rx_sw's result. */
static int run(struct rx_fixture *f, size_t mss, const size_t *order, size_t n_order,
	       size_t corrupt_at)
{
	size_t nseg = (f->wire_len + mss - 1) / mss;
	struct seg *s = calloc(nseg, sizeof(*s));
	int ret = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	if (corrupt_at < f->wire_len)
		f->wire[corrupt_at] ^= 0x40;
	for (size_t i = 0; i < nseg; i++) {
		s[i].off = i * mss;
		s[i].len = s[i].off + mss > f->wire_len ? f->wire_len - s[i].off : mss;
		s[i].bytes = malloc(s[i].len);
		CU_ASSERT_PTR_NOT_NULL_FATAL(s[i].bytes);
	}
	for (size_t k = 0; k < nseg; k++) {
		size_t i = order && k < n_order ? order[k] : k;

		s[i].status = device(f, s[i].off, s[i].len, s[i].bytes);
	}
	for (size_t i = 0; i < nseg && !ret; i++)
		/* a DECRYPTED packet was decrypted under the keys of epoch 0 */
		ret = rx_sw_input(f->sw, s[i].bytes, s[i].len,
				  s[i].status == SIM_TLS_RX_DECRYPTED ? rx_sw_mark(0) : RX_SW_MARK_RECEIVED,
				  collect, f);
	for (size_t i = 0; i < nseg; i++)
		free(s[i].bytes);
	free(s);
	return ret;
}

static void expect_all(struct rx_fixture *f)
{
	CU_ASSERT_EQUAL(f->got_len, f->pt_len);
	if (f->got_len == f->pt_len)
		CU_ASSERT_EQUAL(memcmp(f->got, f->pt, f->pt_len), 0);
}

static void in_order(int version, unsigned int bits)
{
	struct rx_fixture f;
	struct rx_sw_stats st;

	fx_init(&f, version, bits, 4000, 12);
	CU_ASSERT_EQUAL(run(&f, 1448, NULL, 0, SIZE_MAX), 0);
	expect_all(&f);
	rx_sw_get_stats(f.sw, &st);
	/* everything decrypted and authenticated by the device */
	CU_ASSERT_EQUAL(st.records, 12);
	CU_ASSERT_EQUAL(st.by_device, 12);
	CU_ASSERT_EQUAL(st.by_software, 0);
	fx_fini(&f);
}

static void test_in_order_matrix(void)
{
	in_order(TLS1_2_VERSION, 128);
	in_order(TLS1_2_VERSION, 256);
	in_order(TLS1_3_VERSION, 128);
	in_order(TLS1_3_VERSION, 256);
}

/* Two segments inside one record arrive swapped: the device keeps sync but cannot authenticate
 * that record; its packets come mixed and rx_sw completes it in software. */
static void test_reorder_mixed_record(void)
{
	static const size_t order[] = { 0, 2, 1 }; /* segments 1 and 2: inside record 0 */
	struct rx_fixture f;
	struct rx_sw_stats st;

	fx_init(&f, TLS1_3_VERSION, 128, 9000, 4);
	CU_ASSERT_EQUAL(run(&f, 1448, order, 3, SIZE_MAX), 0);
	expect_all(&f);
	rx_sw_get_stats(f.sw, &st);
	CU_ASSERT_EQUAL(st.records, 4);
	CU_ASSERT(st.by_software >= 1);
	CU_ASSERT(st.by_device >= 2);
	CU_ASSERT(st.reencrypted_bytes > 0); /* some of that record came decrypted */
	fx_fini(&f);
}

/* A segment holding a record header arrives last: the device loses sync and delivers the rest
 * as received (until a resync the host does not answer here): all completed in software. */
static void test_header_loss_software(void)
{
	size_t order[64];
	struct rx_fixture f;
	struct rx_sw_stats st;
	size_t nseg;

	fx_init(&f, TLS1_2_VERSION, 256, 3000, 20);
	nseg = (f.wire_len + 1447) / 1448;
	CU_ASSERT_FATAL(nseg <= 64);
	/* segment 4 (it holds the header of record 1 or 2) comes after all others */
	for (size_t i = 0, k = 0; i < nseg; i++)
		if (i != 4)
			order[k++] = i;
	order[nseg - 1] = 4;
	CU_ASSERT_EQUAL(run(&f, 1448, order, nseg, SIZE_MAX), 0);
	expect_all(&f);
	rx_sw_get_stats(f.sw, &st);
	CU_ASSERT_EQUAL(st.records, 20);
	CU_ASSERT(st.by_software > 1);
	fx_fini(&f);
}

/* A flipped ciphertext byte: the device says ERROR and leaves the bytes; software verification
 * fails; nothing of that record or after it is delivered. */
static void test_tampered_record(void)
{
	struct rx_fixture f;
	struct rx_sw_stats st;
	size_t rec_len;

	fx_init(&f, TLS1_3_VERSION, 256, 2000, 6);
	rec_len = f.wire_len / 6;
	/* a payload byte of record 3 */
	CU_ASSERT_EQUAL(run(&f, 1448, NULL, 0, 3 * rec_len + 100), -EBADMSG);
	CU_ASSERT_EQUAL(f.got_len, 3 * 2000);
	CU_ASSERT_EQUAL(memcmp(f.got, f.pt, f.got_len), 0);
	rx_sw_get_stats(f.sw, &st);
	CU_ASSERT_EQUAL(st.failed, 1);
	/* sticky: the connection is over */
	CU_ASSERT_EQUAL(rx_sw_input(f.sw, f.wire, 10, 0, collect, &f), -EBADMSG);
	fx_fini(&f);
}

/* Marks that change inside one record: the device decrypted every segment, but the middle one
 * of record 0 reaches rx_sw as it came off the wire (marked received). Its tag's packet is the
 * device's, so only the per-byte marks say the record is mixed: it must be completed in
 * software (the device runs encrypted again), never delivered as the device's with ciphertext
 * in it. */
static void test_mixed_marks_middle_run(void)
{
	uint8_t *seg[4];
	struct rx_fixture f;
	struct rx_sw_stats st;
	size_t mss = 1448;

	fx_init(&f, TLS1_3_VERSION, 128, 4000, 2); /* records of 4022 bytes: segments 0-2, 2-5 */
	CU_ASSERT_FATAL(f.wire_len > 3 * mss && f.wire_len <= 6 * mss);
	for (size_t i = 0; i < 4; i++) {
		seg[i] = malloc(mss);
		CU_ASSERT_PTR_NOT_NULL_FATAL(seg[i]);
		CU_ASSERT_EQUAL(device(&f, i * mss, mss, seg[i]), SIM_TLS_RX_DECRYPTED);
	}
	CU_ASSERT_EQUAL(rx_sw_input(f.sw, seg[0], mss, rx_sw_mark(0), collect, &f), 0);
	CU_ASSERT_EQUAL(rx_sw_input(f.sw, f.wire + mss, mss, RX_SW_MARK_RECEIVED, collect, &f), 0);
	CU_ASSERT_EQUAL(rx_sw_input(f.sw, seg[2], mss, rx_sw_mark(0), collect, &f), 0);
	rx_sw_get_stats(f.sw, &st);
	CU_ASSERT_EQUAL(st.records, 1);
	CU_ASSERT_EQUAL(st.by_software, 1);
	CU_ASSERT_EQUAL(st.by_device, 0);
	/* the payload in segment 0 (after the header) and in segment 2 (up to the tag at
	 * 4022 - 16): 1443 + 1110 bytes */
	CU_ASSERT_EQUAL(st.reencrypted_bytes, (mss - 5) + (4022 - 16 - 2 * mss));
	CU_ASSERT_EQUAL(f.got_len, 4000);
	CU_ASSERT_EQUAL(memcmp(f.got, f.pt, 4000), 0);
	/* record 1 starts in segment 2 and continues in the device's segments: the device's */
	CU_ASSERT_EQUAL(rx_sw_input(f.sw, seg[3], mss, rx_sw_mark(0), collect, &f), 0);
	for (size_t i = 4; i * mss < f.wire_len; i++) {
		size_t n = f.wire_len - i * mss < mss ? f.wire_len - i * mss : mss;

		CU_ASSERT_EQUAL(device(&f, i * mss, n, seg[0]), SIM_TLS_RX_DECRYPTED);
		CU_ASSERT_EQUAL(rx_sw_input(f.sw, seg[0], n, rx_sw_mark(0), collect, &f), 0);
	}
	expect_all(&f);
	rx_sw_get_stats(f.sw, &st);
	CU_ASSERT_EQUAL(st.records, 2);
	CU_ASSERT_EQUAL(st.by_device, 1);
	for (size_t i = 0; i < 4; i++)
		free(seg[i]);
	fx_fini(&f);
}

/* No device at all (every packet not decrypted): software verifies every record. */
static void test_all_software(void)
{
	struct rx_fixture f;
	struct rx_sw_stats st;
	size_t off = 0;

	fx_init(&f, TLS1_2_VERSION, 128, 777, 9);
	while (off < f.wire_len) {
		size_t n = f.wire_len - off < 100 ? f.wire_len - off : 100;

		CU_ASSERT_EQUAL_FATAL(rx_sw_input(f.sw, f.wire + off, n, 0, collect, &f), 0);
		off += n;
	}
	expect_all(&f);
	rx_sw_get_stats(f.sw, &st);
	CU_ASSERT_EQUAL(st.by_software, 9);
	CU_ASSERT_EQUAL(st.reencrypted_bytes, 0);
	fx_fini(&f);
}

static void test_bad_input(void)
{
	struct tls12_crypto_info_aes_gcm_128 ci = { 0 };
	struct rx_sw *sw = NULL;
	static const uint8_t bad_hdr[5] = { 23, 3, 1, 0, 40 };

	ci.info.version = TLS_1_2_VERSION;
	ci.info.cipher_type = TLS_CIPHER_AES_GCM_128;
	CU_ASSERT_EQUAL(rx_sw_init(&sw, &ci.info, sizeof(ci) - 1), -EINVAL);
	ci.info.cipher_type = 99;
	CU_ASSERT_EQUAL(rx_sw_init(&sw, &ci.info, sizeof(ci)), -EOPNOTSUPP);
	ci.info.cipher_type = TLS_CIPHER_AES_GCM_128;
	CU_ASSERT_EQUAL_FATAL(rx_sw_init(&sw, &ci.info, sizeof(ci)), 0);
	CU_ASSERT_EQUAL(rx_sw_input(sw, bad_hdr, 5, 0, NULL, NULL), -EBADMSG);
	CU_ASSERT_EQUAL(rx_sw_input(sw, bad_hdr, 5, 7, NULL, NULL), -EINVAL);
	rx_sw_free(sw);
}

static const struct test_case cases[] = {
	{ "in_order_matrix_by_device", test_in_order_matrix },
	{ "reorder_mixed_record", test_reorder_mixed_record },
	{ "header_loss_software", test_header_loss_software },
	{ "mixed_marks_middle_run", test_mixed_marks_middle_run },
	{ "tampered_record", test_tampered_record },
	{ "all_software", test_all_software },
	{ "bad_input", test_bad_input },
	{ NULL, NULL },
};

int main(void)
{
	return tls_peer_run_suite("rx_sw", cases);
}
