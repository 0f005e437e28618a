/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * TLS RX contexts over their whole life, on both transports, part two (part one, TIR reuse and
 * KeyUpdate, is rx_lifecycle_cases.h): the records a context hands over -
 *  - control records, stop at control, hand-back with restore, the software path, TLS_STAT and
 *    release of n packets;
 *  - record edge cases after the kernel's tls selftests;
 *  - the zero-copy input (mlx5tls_rx_input_segs) through scenarios of both parts.
 * The including file defines RX_DEV and rx_wire() before including this one, and runs both
 * parts with rx_lifecycle_run().
 */
#ifndef MLX5TLS_RX_RECORD_CASES_H
#define MLX5TLS_RX_RECORD_CASES_H

#include "rx_lifecycle_cases.h"

/* ---- control records, stops, hand-back, software path ---- */

static const uint8_t nst[] = { 4, 0, 0, 8, 0, 0, 0, 1, 0, 0, 0, 0 }; /* a NewSessionTicket-ish */

/* Control and data interleaved (control, data, control): every record reaches the callback
 * with its content type, in order. */
static void control_interleaved(uint16_t version)
{
	const uint8_t alert[2] = { 1, 0 }; /* warning close_notify */
	struct lc_stream s;
	struct lc f;

	lc_open(&f, true);
	lc_stream_init(&s, version, 128, 3);
	lc_record_with(&s, 0, s.seq++, TLS_RT_HANDSHAKE, nst, sizeof(nst), 0);
	lc_write_n(&s, 3000);
	lc_record_with(&s, 0, s.seq++, TLS_RT_HANDSHAKE, nst, sizeof(nst), 0);
	lc_write_n(&s, 10);
	lc_record_with(&s, 0, s.seq++, TLS_RT_ALERT, alert, sizeof(alert), 0);
	lc_start(&f, &s, 42, 0);
	settle(f.qp);
	lc_send_all(&f, &s, 0);
	CU_ASSERT(lc_got_all(&f, &s));
	CU_ASSERT_EQUAL(f.n_type_log, 5);
	CU_ASSERT_EQUAL(f.type_log[0], TLS_RT_HANDSHAKE);
	CU_ASSERT_EQUAL(f.type_log[1], TLS_RT_APPLICATION_DATA);
	CU_ASSERT_EQUAL(f.type_log[2], TLS_RT_HANDSHAKE);
	CU_ASSERT_EQUAL(f.type_log[3], TLS_RT_APPLICATION_DATA);
	CU_ASSERT_EQUAL(f.type_log[4], TLS_RT_ALERT);
	lc_close(&f);
	lc_stream_fini(&s);
}

static void test_control_interleaved(void)
{
	control_interleaved(TLS_1_2_VERSION);
	control_interleaved(TLS_1_3_VERSION);
}

/* MLX5TLS_RX_F_STOP_AT_CONTROL: input stops right after each control record, the data after it
 * unconsumed, until resume. */
static void test_stop_at_control(void)
{
	struct mlx5tls_rx_info info;
	struct lc_stream s;
	struct lc f;
	size_t ctl_end;

	lc_open(&f, true);
	lc_stream_init(&s, TLS_1_3_VERSION, 256, 0);
	lc_write_n(&s, 100);
	lc_record_with(&s, 0, s.seq++, TLS_RT_HANDSHAKE, nst, sizeof(nst), 0);
	ctl_end = s.len;
	lc_write_n(&s, 100); /* all in one segment */
	lc_start(&f, &s, 9, MLX5TLS_RX_F_STOP_AT_CONTROL);
	settle(f.qp);
	f.resume_control = false;
	lc_send_all(&f, &s, 0);
	CU_ASSERT_EQUAL(f.err, -ECANCELED);
	CU_ASSERT_EQUAL(f.got_len, 100);
	CU_ASSERT_EQUAL(mlx5tls_rx_query(f.rx, &info, sizeof(info)), 0);
	CU_ASSERT_EQUAL(info.stop, MLX5TLS_RX_STOP_CONTROL);
	CU_ASSERT_EQUAL(info.last_type, TLS_RT_HANDSHAKE);
	CU_ASSERT_EQUAL(info.next_tcp_sn, 9 + (uint32_t)ctl_end);
	CU_ASSERT_EQUAL(mlx5tls_rx_resume(f.rx), 0);
	CU_ASSERT_EQUAL(mlx5tls_rx_resume(f.rx), -EINVAL); /* not stopped */
	/* the same segment again: what was consumed is skipped */
	CU_ASSERT_EQUAL(mlx5tls_rx_input(f.rx, 9, s.wire, s.len, 0, lc_collect, &f), 0);
	CU_ASSERT_EQUAL(f.got_len, 200);
	CU_ASSERT_EQUAL(memcmp(f.got, s.pt, 200), 0);
	lc_close(&f);
	lc_stream_fini(&s);
}

/*
 * Hand-back in the middle of a record, the device having decrypted some of it and of what
 * follows: the pending bytes and every later segment (restored) are exactly what the peer sent,
 * and later segments arrive not decrypted at all.
 */
static void handback(uint16_t version)
{
	struct mlx5tls_rx_handback hb;
	struct mlx5tls_rx_info info;
	struct lc_stream s;
	struct lc f;
	uint8_t *out;
	size_t cut = 3 * LC_MSS, out_len = 0, rec0;

	lc_open(&f, true);
	lc_stream_init(&s, version, 128, 11);
	lc_write_n(&s, 1000);
	rec0 = s.len;
	lc_write_n(&s, 9000);
	lc_write_n(&s, 9000);
	lc_start(&f, &s, 100, 0);
	settle(f.qp);
	/* segments 0..2 consumed; 3..5 reached the device (decrypted) but the application holds
	 * them */
	for (size_t off = 0; off < cut; off += LC_MSS)
		lc_arrive(&f, &s, off, LC_MSS, true);
	for (size_t off = cut; off < 6 * LC_MSS; off += LC_MSS)
		lc_arrive(&f, &s, off, LC_MSS, false);
	CU_ASSERT_EQUAL(f.got_len, 1000);
	CU_ASSERT_EQUAL(mlx5tls_rx_handback(f.rx, &hb, NULL, 0), -ENOSPC);
	CU_ASSERT_EQUAL(hb.pending_len, cut - rec0);
	out = malloc(s.len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(out);
	CU_ASSERT_EQUAL_FATAL(mlx5tls_rx_handback(f.rx, &hb, out, s.len), 0);
	CU_ASSERT_EQUAL(hb.next_record, 12);
	CU_ASSERT_EQUAL(hb.next_tcp_sn, 100 + (uint32_t)rec0);
	out_len = hb.pending_len;
	/* the held segments, then the rest as it arrives */
	for (unsigned int i = 0; i < f.n_held; i++)
		for (unsigned int j = i + 1; j < f.n_held; j++)
			if ((int32_t)(f.held[j].seq - f.held[i].seq) < 0) {
				struct lc_seg t = f.held[i];

				f.held[i] = f.held[j];
				f.held[j] = t;
			}
	for (unsigned int i = 0; i < f.n_held; i++) {
		struct lc_seg *g = &f.held[i];

		CU_ASSERT_EQUAL(mlx5tls_rx_restore(f.rx, g->seq, g->bytes, g->len, g->word), 0);
		memcpy(out + out_len, g->bytes, g->len);
		out_len += g->len;
	}
	lc_reset_app(&f);
	for (size_t off = 6 * LC_MSS; off < s.len; off += LC_MSS) {
		uint32_t len = (uint32_t)(s.len - off < LC_MSS ? s.len - off : LC_MSS);

		lc_arrive(&f, &s, off, len, false);
		CU_ASSERT_EQUAL(f.held[0].word & 3, MLX5TLS_RX_TLS_NONE);
		CU_ASSERT_EQUAL(mlx5tls_rx_restore(f.rx, f.held[0].seq, f.held[0].bytes, len,
						   f.held[0].word), 0);
		memcpy(out + out_len, f.held[0].bytes, len);
		out_len += len;
		lc_reset_app(&f);
	}
	CU_ASSERT_EQUAL(out_len, s.len - rec0);
	CU_ASSERT_EQUAL(memcmp(out, s.wire + rec0, s.len - rec0), 0);
	CU_ASSERT_EQUAL(mlx5tls_rx_input(f.rx, 100, s.wire, 10, 0, lc_collect, &f), -ESHUTDOWN);
	CU_ASSERT_EQUAL(mlx5tls_rx_query(f.rx, &info, sizeof(info)), 0);
	CU_ASSERT_EQUAL(info.stop, MLX5TLS_RX_STOP_HANDED_BACK);
	CU_ASSERT_EQUAL(info.dek_id, 0); /* device state released */
	CU_ASSERT_EQUAL(test_counter(f.dev, "rx_tls_handback"), 1);
	free(out);
	lc_close(&f);
	lc_stream_fini(&s);
}

static void test_handback(void)
{
	handback(TLS_1_2_VERSION);
	handback(TLS_1_3_VERSION);
}

/* The software path: asked at create, or switched to midway; the reason is reported. */
static void test_software_path(void)
{
	struct mlx5tls_rx_state st;
	struct mlx5tls_rx_info info;
	struct lc_stream s;
	struct lc f;
	size_t half;

	lc_open(&f, true);
	lc_stream_init(&s, TLS_1_3_VERSION, 128, 0);
	lc_write_n(&s, 20000);
	half = s.len / 2;
	lc_write_n(&s, 20000);
	lc_start(&f, &s, 5, 0);
	settle(f.qp);
	lc_send_all(&f, &s, 0);
	CU_ASSERT(lc_got_all(&f, &s));
	lc_stop_ctx(&f);
	/* switched midway */
	lc_start(&f, &s, 5, 0);
	settle(f.qp);
	for (size_t off = 0; off < half; off += LC_MSS)
		lc_arrive(&f, &s, off, LC_MSS, true);
	CU_ASSERT_EQUAL(mlx5tls_rx_to_software(f.rx, "test: midway"), 0);
	for (size_t off = (half / LC_MSS + (half % LC_MSS != 0)) * LC_MSS; off < s.len;
	     off += LC_MSS)
		lc_arrive(&f, &s, off, (uint32_t)(s.len - off < LC_MSS ? s.len - off : LC_MSS),
			  true);
	CU_ASSERT(lc_got_all(&f, &s));
	CU_ASSERT_EQUAL(mlx5tls_rx_query(f.rx, &info, sizeof(info)), 0);
	CU_ASSERT_EQUAL(info.path, MLX5TLS_TX_PATH_SOFTWARE);
	CU_ASSERT(info.by_software >= 1);
	CU_ASSERT_EQUAL(mlx5tls_rx_inspect(f.rx, &st, sizeof(st)), 0);
	CU_ASSERT_STRING_EQUAL(st.reason, "test: midway");
	CU_ASSERT_EQUAL(st.path, MLX5TLS_TX_PATH_SOFTWARE);
	lc_stop_ctx(&f);
	/* asked at create */
	lc_start(&f, &s, 5, MLX5TLS_RX_F_SOFTWARE);
	lc_send_all(&f, &s, 0);
	CU_ASSERT(lc_got_all(&f, &s));
	CU_ASSERT_EQUAL(mlx5tls_rx_query(f.rx, &info, sizeof(info)), 0);
	CU_ASSERT_EQUAL(info.by_device, 0);
	CU_ASSERT_EQUAL(info.path, MLX5TLS_TX_PATH_SOFTWARE);
	CU_ASSERT_EQUAL(info.dek_id, 0);
	CU_ASSERT_EQUAL(test_counter(f.dev, "rx_tls_sw_ctx"), 2);
	lc_close(&f);
	lc_stream_fini(&s);
}

/* /proc/net/tls_stat's figures follow a context between the device and software. */
static uint64_t tls_stat(const char *name)
{
	uint64_t v[64];
	int n = mlx5tls_tls_stat(v, 64);

	for (int i = 0; i < n; i++)
		if (!strcmp(mlx5tls_tls_stat_name((unsigned int)i), name))
			return v[i];
	CU_FAIL("no such tls_stat entry");
	return 0;
}

static void test_tls_stat(void)
{
	static const char *const names[] = {
		"TlsCurrTxSw", "TlsCurrRxSw", "TlsCurrTxDevice", "TlsCurrRxDevice", "TlsTxSw",
		"TlsRxSw", "TlsTxDevice", "TlsRxDevice", "TlsDecryptError", "TlsRxDeviceResync",
		"TlsTxRekeyOk", "TlsTxRekeyError", "TlsRxRekeyOk", "TlsRxRekeyError",
		"TlsRxRekeyReceived",
	};
	uint64_t cur_dev, cur_sw, rx_dev, rx_sw, dec_err, ku, rk_ok, rk_err;
	struct mlx5tls_rx_handback hb;
	struct lc_stream s;
	struct lc f;

	CU_ASSERT_EQUAL(mlx5tls_tls_stat_count(), sizeof(names) / sizeof(names[0]));
	for (unsigned int i = 0; i < mlx5tls_tls_stat_count(); i++)
		CU_ASSERT_STRING_EQUAL(mlx5tls_tls_stat_name(i), names[i]);
	CU_ASSERT_PTR_NULL(mlx5tls_tls_stat_name(mlx5tls_tls_stat_count()));
	CU_ASSERT_EQUAL(mlx5tls_tls_stat(NULL, 1), -EINVAL);
	cur_dev = tls_stat("TlsCurrRxDevice");
	cur_sw = tls_stat("TlsCurrRxSw");
	rx_dev = tls_stat("TlsRxDevice");
	rx_sw = tls_stat("TlsRxSw");
	dec_err = tls_stat("TlsDecryptError");
	ku = tls_stat("TlsRxRekeyReceived");
	rk_ok = tls_stat("TlsRxRekeyOk");
	rk_err = tls_stat("TlsRxRekeyError");

	lc_open(&f, true);
	lc_stream_init(&s, TLS_1_3_VERSION, 128, 0);
	lc_write_n(&s, 100);
	lc_key_update(&s, false);
	lc_write_n(&s, 100);
	lc_start(&f, &s, 0, 0);
	CU_ASSERT_EQUAL(tls_stat("TlsCurrRxDevice"), cur_dev + 1);
	CU_ASSERT_EQUAL(tls_stat("TlsRxDevice"), rx_dev + 1);
	CU_ASSERT_EQUAL(mlx5tls_rx_rekey(f.rx, &s.keys[1].info, sizeof(s.keys[1].gcm128)),
			-EINVAL); /* no KeyUpdate yet */
	settle(f.qp);
	lc_send_all(&f, &s, 0);
	CU_ASSERT(lc_got_all(&f, &s));
	CU_ASSERT_EQUAL(tls_stat("TlsRxRekeyReceived"), ku + 1);
	CU_ASSERT_EQUAL(tls_stat("TlsRxRekeyOk"), rk_ok + 1);
	CU_ASSERT_EQUAL(tls_stat("TlsRxRekeyError"), rk_err + 1);
	CU_ASSERT_EQUAL(mlx5tls_rx_to_software(f.rx, NULL), 0);
	CU_ASSERT_EQUAL(tls_stat("TlsCurrRxDevice"), cur_dev);
	CU_ASSERT_EQUAL(tls_stat("TlsCurrRxSw"), cur_sw + 1);
	CU_ASSERT_EQUAL(tls_stat("TlsRxSw"), rx_sw + 1);
	CU_ASSERT_EQUAL(mlx5tls_rx_handback(f.rx, &hb, NULL, 0), 0);
	CU_ASSERT_EQUAL(tls_stat("TlsCurrRxSw"), cur_sw);
	lc_stop_ctx(&f);
	CU_ASSERT_EQUAL(tls_stat("TlsCurrRxSw"), cur_sw);
	CU_ASSERT_EQUAL(tls_stat("TlsCurrRxDevice"), cur_dev);
	/* a record that fails */
	s.wire[s.len - 3] ^= 1;
	lc_start(&f, &s, 0, 0);
	settle(f.qp);
	lc_send_all(&f, &s, 0);
	CU_ASSERT_EQUAL(f.err, -EBADMSG);
	CU_ASSERT_EQUAL(tls_stat("TlsDecryptError"), dec_err + 1);
	lc_close(&f);
	CU_ASSERT_EQUAL(tls_stat("TlsCurrRxDevice"), cur_dev);
	lc_stream_fini(&s);
}

/* Buffers given back in a batch are posted again with one doorbell record update. */
static void test_release_n(void)
{
	struct mlx5tls_rx_pkt pk[8];
	struct mlx5tls_rq_attr a;
	uint8_t fr[LC_HDRS + 100], pay[100] = { 0 };
	struct lc f;
	uint32_t posted;
	size_t n = lc_frame(443, 1, pay, sizeof(pay), fr);

	lc_open(&f, true);
	CU_ASSERT_EQUAL_FATAL(mlx5tls_rq_query(f.rq, &a, sizeof(a)), 0);
	posted = a.posted;
	for (int i = 0; i < 8; i++)
		CU_ASSERT_EQUAL_FATAL(rx_wire(f.dev, fr, n), 0);
	CU_ASSERT_EQUAL_FATAL(mlx5tls_rq_poll(f.rq, pk, 8, 0), 8);
	CU_ASSERT_EQUAL(mlx5tls_rq_query(f.rq, &a, sizeof(a)), 0);
	CU_ASSERT_EQUAL(a.held, 8);
	CU_ASSERT_EQUAL(mlx5tls_rq_release_n(f.rq, pk, 5), 0);
	CU_ASSERT_EQUAL(mlx5tls_rq_query(f.rq, &a, sizeof(a)), 0);
	CU_ASSERT_EQUAL(a.held, 3);
	CU_ASSERT_EQUAL(a.posted, posted);
	/* a packet not held stops the batch there; the ones before it are released */
	CU_ASSERT_EQUAL(mlx5tls_rq_release_n(f.rq, pk + 4, 4), -EINVAL);
	CU_ASSERT_EQUAL(mlx5tls_rq_query(f.rq, &a, sizeof(a)), 0);
	CU_ASSERT_EQUAL(a.held, 3);
	CU_ASSERT_EQUAL(mlx5tls_rq_release_n(f.rq, pk + 5, 3), 0);
	CU_ASSERT_EQUAL(mlx5tls_rq_query(f.rq, &a, sizeof(a)), 0);
	CU_ASSERT_EQUAL(a.held, 0);
	CU_ASSERT_EQUAL(mlx5tls_rq_release_n(f.rq, NULL, 1), -EINVAL);
	CU_ASSERT_EQUAL(mlx5tls_rq_release_n(f.rq, NULL, 0), 0);
	lc_close(&f);
}

/* ---- record edge cases (after the kernel's tls selftests) ---- */

/* Zero-length application records, TLS 1.3 padding, many records in one segment. */
static void empty_and_padding(uint16_t version)
{
	struct lc_stream s;
	struct lc f;

	lc_open(&f, true);
	lc_stream_init(&s, version, 256, 0);
	lc_write(&s, NULL, 0);
	lc_write_n(&s, 30);
	lc_write(&s, NULL, 0);
	if (version == TLS_1_3_VERSION) {
		uint8_t d[40];

		memset(d, 'p', sizeof(d));
		/* data then 100 zeros of padding; and a padding-only record (no data) */
		lc_record_with(&s, 0, s.seq++, TLS_RT_APPLICATION_DATA, d, sizeof(d), 100);
		grow(&s.pt, &s.pt_cap, s.pt_len + sizeof(d));
		memcpy(s.pt + s.pt_len, d, sizeof(d));
		s.pt_len += sizeof(d);
		lc_record_with(&s, 0, s.seq++, TLS_RT_APPLICATION_DATA, NULL, 0, 300);
	}
	for (int i = 0; i < 20; i++)
		lc_write_n(&s, 3); /* many records in one segment */
	lc_start(&f, &s, 0, 0);
	settle(f.qp);
	lc_send_all(&f, &s, 0);
	CU_ASSERT(lc_got_all(&f, &s));
	CU_ASSERT_EQUAL(f.types[TLS_RT_APPLICATION_DATA], version == TLS_1_3_VERSION ? 25 : 23);
	lc_close(&f);
	lc_stream_fini(&s);
}

static void test_empty_and_padding(void)
{
	empty_and_padding(TLS_1_2_VERSION);
	empty_and_padding(TLS_1_3_VERSION);
}

/* A record longer than TLS allows -> -EMSGSIZE at its header: the kernel's bound, 2^14 of
 * plaintext with its overhead (TLS 1.3: 2^14 + 1 + 16 = 16401; beyond it the inner plaintext
 * breaks RFC 8446 5.4), so also 2^14 + 256 (RFC 8446 5.2's ceiling); 16401 itself is a length a
 * record may have (read to its end, it then fails as a forgery would); a full-size record
 * (2^14 of data) goes through; an inner plaintext of zeros only -> -EBADMSG. */
static void test_record_too_long(void)
{
	uint8_t hdr[5] = { 23, 3, 3, 0x40, 0x12 }; /* 16402 */
	struct lc_stream s;
	struct lc f;

	lc_open(&f, true);
	lc_stream_init(&s, TLS_1_3_VERSION, 128, 0);
	lc_write_n(&s, 10);
	lc_raw(&s, hdr, sizeof(hdr));
	lc_start(&f, &s, 0, 0);
	settle(f.qp);
	lc_send_all(&f, &s, 0);
	CU_ASSERT_EQUAL(f.err, -EMSGSIZE);
	CU_ASSERT_EQUAL(f.got_len, 10);
	lc_stop_ctx(&f);
	lc_stream_fini(&s);

	lc_stream_init(&s, TLS_1_3_VERSION, 128, 0);
	hdr[3] = 0x41, hdr[4] = 0x00; /* 16640 */
	lc_raw(&s, hdr, sizeof(hdr));
	lc_start(&f, &s, 0, 0);
	settle(f.qp);
	lc_send_all(&f, &s, 0);
	CU_ASSERT_EQUAL(f.err, -EMSGSIZE);
	lc_stop_ctx(&f);
	lc_stream_fini(&s);

	lc_stream_init(&s, TLS_1_3_VERSION, 128, 0);
	lc_write_n(&s, 16384); /* body 16401: the largest */
	lc_start(&f, &s, 0, 0);
	settle(f.qp);
	lc_send_all(&f, &s, 0);
	CU_ASSERT(lc_got_all(&f, &s));
	lc_stop_ctx(&f);
	lc_stream_fini(&s);

	lc_stream_init(&s, TLS_1_3_VERSION, 128, 0);
	{
		uint8_t *z = calloc(1, 16401);

		CU_ASSERT_PTR_NOT_NULL_FATAL(z);
		/* 16401 accepted as a length: read to its end, then it fails authentication */
		hdr[3] = 0x40, hdr[4] = 0x11;
		lc_raw(&s, hdr, sizeof(hdr));
		lc_raw(&s, z, 16401);
		free(z);
	}
	lc_start(&f, &s, 0, 0);
	settle(f.qp);
	lc_send_all(&f, &s, 0);
	CU_ASSERT_EQUAL(f.err, -EBADMSG);
	lc_stop_ctx(&f);
	lc_stream_fini(&s);

	/* inner plaintext of zeros only: no content type */
	lc_stream_init(&s, TLS_1_3_VERSION, 128, 0);
	lc_record_with(&s, 0, s.seq++, 0, NULL, 0, 10);
	lc_start(&f, &s, 0, 0);
	settle(f.qp);
	lc_send_all(&f, &s, 0);
	CU_ASSERT_EQUAL(f.err, -EBADMSG);
	lc_close(&f);
	lc_stream_fini(&s);
}

/* The record sequence number reaching 2^64 - 1: -EBADMSG, never a wrap. */
static void seq_wrap(uint16_t version)
{
	struct mlx5tls_rx_info info;
	struct lc_stream s;
	struct lc f;

	lc_open(&f, true);
	lc_stream_init(&s, version, 128, UINT64_MAX - 2);
	lc_write_n(&s, 700);
	lc_write_n(&s, 700);
	lc_write_n(&s, 700); /* numbered 2^64 - 1 */
	lc_start(&f, &s, 0, 0);
	settle(f.qp);
	lc_send_all(&f, &s, 0);
	CU_ASSERT_EQUAL(f.err, -EBADMSG);
	CU_ASSERT_EQUAL(f.got_len, 1400);
	CU_ASSERT_EQUAL(mlx5tls_rx_query(f.rx, &info, sizeof(info)), 0);
	CU_ASSERT_EQUAL(info.next_record, UINT64_MAX);
	lc_close(&f);
	lc_stream_fini(&s);
}

static void test_seq_wrap(void)
{
	seq_wrap(TLS_1_2_VERSION);
	seq_wrap(TLS_1_3_VERSION);
}

/* Three records cut at every pair of segment boundaries a..b: every piece verified. */
static void test_split_every_boundary(void)
{
	struct lc_stream s;
	struct lc f;

	lc_open(&f, true);
	lc_stream_init(&s, TLS_1_3_VERSION, 256, 0);
	lc_write_n(&s, 60);
	lc_write_n(&s, 1);
	lc_write_n(&s, 90);
	for (uint32_t a = 1; a < s.len; a += 3)
		for (uint32_t b = a + 1; b < s.len; b += 17) {
			lc_start(&f, &s, a * 1000u, 0);
			settle(f.qp);
			lc_arrive(&f, &s, 0, a, true);
			lc_arrive(&f, &s, a, b - a, true);
			lc_arrive(&f, &s, b, (uint32_t)(s.len - b), true);
			CU_ASSERT(lc_got_all(&f, &s));
			lc_stop_ctx(&f);
		}
	f.rx = NULL;
	lc_close(&f);
	lc_stream_fini(&s);
}

/*
 * The zero-copy input (mlx5tls_rx_input_segs) through the same scenarios: records the device
 * authenticated are handed over in the application's own buffers, everything else as with
 * mlx5tls_rx_input.
 */
static void test_segs(void)
{
	static const struct rekey_plan plans[] = {
		{ "segs: no rekey", 40, 16384, 16384, 0, 0, 0, 128 },
		{ "segs: random writes", 120, 1, 8192, 7, 0, 0, 256 },
		{ "segs: under loss and reorder", 80, 1, 8192, 4, 0.02, 0.02, 128 },
	};
	unsigned int in_place0;

	lc_segs_mode = true;
	lc_in_place = lc_copied = 0;
	rekey_run(&plans[0]);
	/* in order, no key change: every record in place */
	CU_ASSERT_EQUAL(lc_in_place, 40);
	CU_ASSERT_EQUAL(lc_copied, 0);
	in_place0 = lc_in_place;
	rekey_run(&plans[1]);
	rekey_run(&plans[2]);
	CU_ASSERT(lc_in_place > in_place0);
	test_control_interleaved();
	test_stop_at_control();
	test_empty_and_padding();
	test_seq_wrap();
	test_record_too_long();
	test_reuse_tir();
	lc_segs_mode = false;
}

static const struct test_case rx_record_cases[] = {
	{ "zero_copy_segments", test_segs },
	{ "control_interleaved", test_control_interleaved },
	{ "stop_at_control", test_stop_at_control },
	{ "handback", test_handback },
	{ "software_path", test_software_path },
	{ "tls_stat", test_tls_stat },
	{ "release_n", test_release_n },
	{ "empty_and_padding", test_empty_and_padding },
	{ "record_too_long", test_record_too_long },
	{ "seq_wrap", test_seq_wrap },
	{ "split_every_boundary", test_split_every_boundary },
	{ NULL, NULL },
};

static inline int rx_lifecycle_cleanup(void)
{
	tls_peer_global_cleanup();
	return 0;
}

/* Run part one as suite `lifecycle`, part two as suite `records`; the peer's certificate goes
 * at the end (tls_peer_run_suite's cleanup). */
static inline int rx_lifecycle_run(const char *lifecycle, const char *records)
{
	const struct test_suite suites[] = {
		{ lifecycle, NULL, NULL, rx_lifecycle_cases },
		{ records, NULL, rx_lifecycle_cleanup, rx_record_cases },
		{ NULL, NULL, NULL, NULL },
	};

	return test_run_suites(suites);
}

#endif
