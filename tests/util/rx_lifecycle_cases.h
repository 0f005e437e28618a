/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * TLS RX contexts over their whole life, on both transports (test_rx_lifecycle.c: sim;
 * devx_test_rx_lifecycle.c: the devx transport over the DevX interposer):
 *  - a TIR reused by successive connections never lets a stale TLS state vouch for a packet;
 *  - TLS 1.3 KeyUpdate from the peer: stop, rekey, restore of what the device decrypted with the
 *    old key past the boundary (the rekey cases of the proposed kernel tls_hw_offload selftest);
 *  - control records, stop at control, hand-back with restore, the software path;
 *  - record edge cases after the kernel's tls selftests.
 * The including file defines RX_DEV and rx_wire() before including this one.
 */
#ifndef MLX5TLS_RX_LIFECYCLE_CASES_H
#define MLX5TLS_RX_LIFECYCLE_CASES_H

#include <inttypes.h>

#include "rx_lifecycle_fixture.h"

/* ---- a reused TIR never trusts a stale status ---- */

/*
 * 200 successive connections on one TIR, the flow re-pointed each time, on an asynchronous
 * control queue: the new context's params are applied some time after it returns. Each new
 * connection's first record arrives at once: for half of them a record sealed under the
 * PREVIOUS connection's key, at the very position and number the previous TLS state expects
 * (so a stale state would decrypt and authenticate it); for the other half a valid record of the
 * new connection. Then more valid records. 0 forged records delivered, 0 valid ones rejected.
 */
static void reuse_tir(uint16_t version)
{
	struct lc_stream s[2];
	unsigned int forged_delivered = 0, forged_refused = 0, valid_rejected = 0;
	struct mlx5tls_rx_info info;
	struct lc f;
	uint32_t isn = 0x10000000u;

	memset(s, 0, sizeof(s));
	lc_open(&f, false);
	lc_stream_init(&s[0], version, 128, 0);
	lc_write_n(&s[0], 3000);
	lc_start(&f, &s[0], isn, 0);
	settle(f.qp);
	lc_send_all(&f, &s[0], 0);
	CU_ASSERT_FATAL(lc_got_all(&f, &s[0]));
	for (unsigned int c = 1; c <= 200; c++) {
		struct lc_stream *prev = &s[(c - 1) % 2], *cur = &s[c % 2];
		uint32_t prev_next = isn + (uint32_t)prev->len;
		bool forge = c % 2 == 0;
		size_t first_len;

		lc_stop_ctx(&f);
		lc_flow(&f, (uint16_t)(1000 + c)); /* the next connection's 5-tuple, same TIR */
		lc_stream_fini(cur);
		lc_stream_init(cur, version, 128, 0);
		if (forge) {
			/* the previous connection's next record, under its key and number */
			uint8_t pt[2000];

			memset(pt, 0xf0 ^ (int)c, sizeof(pt));
			lc_record_with(prev, prev->n_keys - 1, prev->seq, TLS_RT_APPLICATION_DATA,
				       pt, sizeof(pt), 0);
			lc_raw(cur, prev->wire + prev->len - (tls_record_size(version, 2000)),
			       tls_record_size(version, 2000));
		} else {
			lc_write_n(cur, 2000);
		}
		first_len = cur->len;
		isn = prev_next; /* where the stale state expects the next header */
		lc_start(&f, cur, isn, 0);
		/* no settle: the segments race the params on the device */
		lc_send_all(&f, cur, 0);
		if (forge) {
			if (f.got_len)
				forged_delivered++;
			if (f.err == -EBADMSG)
				forged_refused++;
			continue;
		}
		settle(f.qp);
		lc_write_n(cur, 6000);
		lc_send_all(&f, cur, first_len);
		if (!lc_got_all(&f, cur))
			valid_rejected++;
	}
	CU_ASSERT_EQUAL(forged_delivered, 0);
	CU_ASSERT_EQUAL(forged_refused, 100);
	CU_ASSERT_EQUAL(valid_rejected, 0);
	CU_ASSERT(test_counter(f.dev, "rx_tls_tir_renew") >= 200);
	/* and the offload still works on the reused TIR: a connection whose params are in place
	 * before its data is decrypted by the device throughout */
	lc_stop_ctx(&f);
	lc_flow(&f, 999);
	lc_stream_fini(&s[0]);
	lc_stream_init(&s[0], version, 128, 5);
	lc_write_n(&s[0], 20000);
	lc_start(&f, &s[0], isn, 0);
	settle(f.qp);
	lc_send_all(&f, &s[0], 0);
	CU_ASSERT(lc_got_all(&f, &s[0]));
	CU_ASSERT_EQUAL(mlx5tls_rx_query(f.rx, &info, sizeof(info)), 0);
	CU_ASSERT_EQUAL(info.by_device, info.records);
	CU_ASSERT_EQUAL(info.untrusted_packets, 0);
	lc_close(&f);
	lc_stream_fini(&s[0]);
	lc_stream_fini(&s[1]);
}

static void test_reuse_tir(void)
{
	reuse_tir(TLS_1_3_VERSION);
	reuse_tir(TLS_1_2_VERSION);
}

/*
 * A context destroyed after its flow: the TIR keeps the TLS state, which no packet can reach,
 * and is renewed only when it gets a flow again (issue 10: two commands less per connection
 * torn down flow first); a TIR destroyed in that state gives the DEK back. The next connection
 * on the renewed TIR is decrypted by the device throughout.
 */
static void test_deferred_renewal(void)
{
	struct mlx5tls_tir_opts to = { .sz = sizeof(to), .tls_en = true };
	struct lc_stream s;
	struct mlx5tls_rx_info info;
	struct lc f;
	uint32_t tirn, isn = 0x2000;
	uint64_t renew;

	memset(&s, 0, sizeof(s));
	lc_open(&f, true);
	lc_stream_init(&s, TLS_1_3_VERSION, 128, 0);
	lc_write_n(&s, 3000);
	lc_start(&f, &s, isn, 0);
	settle(f.qp);
	lc_send_all(&f, &s, 0);
	CU_ASSERT(lc_got_all(&f, &s));
	tirn = mlx5tls_tir_num(f.tir);
	renew = test_counter(f.dev, "rx_tls_tir_renew");
	/* flow first, then the context: no renewal yet */
	CU_ASSERT_EQUAL(mlx5tls_flow_destroy(f.flow), 0);
	f.flow = NULL;
	lc_stop_ctx(&f);
	CU_ASSERT_EQUAL(test_counter(f.dev, "rx_tls_tir_renew"), renew);
	CU_ASSERT_EQUAL(mlx5tls_tir_num(f.tir), tirn);
	/* a flow again: renewed before it steers anything */
	lc_flow(&f, 998);
	CU_ASSERT_EQUAL(test_counter(f.dev, "rx_tls_tir_renew"), renew + 1);
	CU_ASSERT_NOT_EQUAL(mlx5tls_tir_num(f.tir), tirn);
	lc_stream_fini(&s);
	lc_stream_init(&s, TLS_1_3_VERSION, 128, 3);
	lc_write_n(&s, 20000);
	lc_start(&f, &s, isn, 0);
	settle(f.qp);
	lc_send_all(&f, &s, 0);
	CU_ASSERT(lc_got_all(&f, &s));
	CU_ASSERT_EQUAL(mlx5tls_rx_query(f.rx, &info, sizeof(info)), 0);
	CU_ASSERT_EQUAL(info.by_device, info.records);
	/* flow, context, TIR: the TIR goes with the stale state and its DEK (no leak, no renewal) */
	renew = test_counter(f.dev, "rx_tls_tir_renew");
	CU_ASSERT_EQUAL(mlx5tls_flow_destroy(f.flow), 0);
	lc_stop_ctx(&f);
	CU_ASSERT_EQUAL(mlx5tls_tir_destroy(f.tir), 0);
	CU_ASSERT_EQUAL(test_counter(f.dev, "rx_tls_tir_renew"), renew);
	/* lc_close wants a TIR and a flow */
	f.tir = mlx5tls_tir_create(f.rq, f.td, &to);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f.tir);
	f.flow = NULL;
	lc_flow(&f, 997);
	lc_close(&f);
	lc_stream_fini(&s);
}

/* A DECRYPTED status whose flow tag is not the context's (or a bare status without the tag)
 * is no evidence: the bytes are taken as changed by a foreign state, and the record fails. */
static void test_foreign_status(void)
{
	struct lc_stream s;
	struct lc f;
	uint8_t buf[LC_MSS];
	struct mlx5tls_rx_info info;

	lc_open(&f, true);
	lc_stream_init(&s, TLS_1_3_VERSION, 256, 0);
	lc_write_n(&s, 500);
	lc_start(&f, &s, 5000, 0);
	CU_ASSERT_FATAL(s.len <= sizeof(buf));
	memcpy(buf, s.wire, s.len);
	/* the record's plaintext dressed up as device-decrypted, with no tag */
	CU_ASSERT_EQUAL(mlx5tls_rx_input(f.rx, 5000, buf, s.len, MLX5TLS_RX_TLS_DECRYPTED,
					 lc_collect, &f), -EBADMSG);
	CU_ASSERT_EQUAL(f.got_len, 0);
	CU_ASSERT_EQUAL(mlx5tls_rx_query(f.rx, &info, sizeof(info)), 0);
	CU_ASSERT_EQUAL(info.untrusted_packets, 1);
	CU_ASSERT_EQUAL(info.stop, MLX5TLS_RX_STOP_FAILED);
	/* the zero-copy input: a whole record claiming DECRYPTED with a tag that is not the
	 * context's is not handed over in place (TLS 1.2: the type is in the clear header) */
	lc_stop_ctx(&f);
	{
		struct lc_stream s12;
		struct mlx5tls_rx_seg seg;
		uint32_t next = 0;

		lc_stream_init(&s12, TLS_1_2_VERSION, 128, 0);
		lc_write_n(&s12, 500);
		lc_start(&f, &s12, 5000, 0);
		settle(f.qp);
		seg = (struct mlx5tls_rx_seg){ s12.wire, 5000, (uint32_t)s12.len,
					       MLX5TLS_RX_TLS_DECRYPTED | 0x777u << 8 };
		CU_ASSERT_EQUAL(mlx5tls_rx_input_segs(f.rx, &seg, 1, NULL, NULL, &next), -EBADMSG);
		CU_ASSERT_EQUAL(mlx5tls_rx_query(f.rx, &info, sizeof(info)), 0);
		CU_ASSERT_EQUAL(info.records, 0);
		CU_ASSERT_EQUAL(info.untrusted_packets, 1);
		lc_stop_ctx(&f);
		lc_stream_fini(&s12);
	}
	/* reserved bits of the word */
	lc_start(&f, &s, 5000, 0);
	CU_ASSERT_EQUAL(mlx5tls_rx_input(f.rx, 5000, buf, s.len, 0x4, lc_collect, &f), -EINVAL);
	CU_ASSERT_EQUAL(mlx5tls_rx_packet(f.rx, 5000, s.len, 0x80), -EINVAL);
	CU_ASSERT_EQUAL(test_counter(f.dev, "rx_tls_untrusted"), 2);
	lc_close(&f);
	lc_stream_fini(&s);
}

/* Destroying a context leaves no TLS state decrypting on its TIR: the next record of the same
 * stream, steered by the same flow, arrives not decrypted (a fresh TIR object) and the TIR has
 * another number. */
static void test_destroy_clears_tir(void)
{
	struct mlx5tls_rx_pkt pk;
	struct lc_stream s;
	uint8_t fr[LC_HDRS + LC_MSS];
	uint32_t tirn;
	size_t first, n;
	struct lc f;

	lc_open(&f, true);
	lc_stream_init(&s, TLS_1_3_VERSION, 128, 0);
	lc_write_n(&s, 500);
	first = s.len;
	lc_write_n(&s, 500);
	lc_start(&f, &s, 100, 0);
	settle(f.qp);
	lc_arrive(&f, &s, 0, (uint32_t)first, true);
	CU_ASSERT_EQUAL(f.err, 0);
	CU_ASSERT_EQUAL(f.got_len, 500);
	tirn = mlx5tls_tir_num(f.tir);
	lc_stop_ctx(&f);
	CU_ASSERT_NOT_EQUAL(mlx5tls_tir_num(f.tir), tirn);
	n = lc_frame(f.sport, 100 + (uint32_t)first, s.wire + first, (uint32_t)(s.len - first), fr);
	CU_ASSERT_EQUAL_FATAL(rx_wire(f.dev, fr, n), 0);
	CU_ASSERT_EQUAL_FATAL(mlx5tls_rq_poll(f.rq, &pk, 1, 0), 1);
	CU_ASSERT_EQUAL(pk.tls_status, MLX5TLS_RX_TLS_NONE);
	CU_ASSERT_EQUAL(memcmp((uint8_t *)pk.data + LC_HDRS, s.wire + first, s.len - first), 0);
	CU_ASSERT_EQUAL(mlx5tls_rq_release(f.rq, &pk), 0);
	lc_close(&f);
	lc_stream_fini(&s);
}

/* ---- KeyUpdate (TLS 1.3) ---- */

struct rekey_plan {
	const char *name;
	unsigned int writes;
	size_t min, max;          /* write sizes (random in [min, max]) */
	unsigned int rekey_every; /* a KeyUpdate after every n writes */
	double loss, reorder;     /* segment fates on the way in */
	unsigned int bits;
};

static uint32_t lcg(uint32_t *st)
{
	*st = *st * 1103515245u + 12345u;
	return *st >> 8;
}

/* Segments of s in MSS pieces, some lost (retransmitted 12 segments later) or swapped. */
static void send_faulty(struct lc *f, const struct lc_stream *s, double loss, double reorder,
			uint32_t seed)
{
	size_t nseg = (s->len + LC_MSS - 1) / LC_MSS;
	size_t *late = calloc(nseg + 1, sizeof(*late)), n_late = 0;
	uint32_t st = seed;

	CU_ASSERT_PTR_NOT_NULL_FATAL(late);
	for (size_t k = 0; k < nseg; k++) {
		size_t off = k * LC_MSS;
		uint32_t len = (uint32_t)(s->len - off < LC_MSS ? s->len - off : LC_MSS);
		double r = (lcg(&st) % 10000) / 10000.0;

		if (r < loss) {
			late[n_late++] = k;
		} else if (r < loss + reorder && k + 1 < nseg) {
			size_t off2 = off + LC_MSS;
			uint32_t len2 = (uint32_t)(s->len - off2 < LC_MSS ? s->len - off2 : LC_MSS);

			lc_arrive(f, s, off2, len2, true);
			lc_arrive(f, s, off, len, true);
			k++;
		} else {
			lc_arrive(f, s, off, len, true);
		}
		/* retransmissions of losses 12 segments back */
		for (size_t i = 0; i < n_late; i++)
			if (late[i] + 12 <= k) {
				size_t o = late[i] * LC_MSS;

				lc_arrive(f, s, o, (uint32_t)(s->len - o < LC_MSS ? s->len - o
										 : LC_MSS), true);
				late[i--] = late[--n_late];
			}
	}
	for (size_t i = 0; i < n_late; i++) {
		size_t o = late[i] * LC_MSS;

		lc_arrive(f, s, o, (uint32_t)(s->len - o < LC_MSS ? s->len - o : LC_MSS), true);
	}
	free(late);
}

static void rekey_run(const struct rekey_plan *p)
{
	uint64_t asked, ok, fail, sw;
	struct mlx5tls_rx_info info;
	struct lc_stream s;
	uint32_t st = 0x9e3779b9u ^ p->writes;
	unsigned int kus = 0;
	struct lc f;

	lc_open(&f, true);
	lc_stream_init(&s, TLS_1_3_VERSION, p->bits, 0);
	for (unsigned int w = 0; w < p->writes; w++) {
		size_t n = p->min + (p->max > p->min ? lcg(&st) % (p->max - p->min + 1) : 0);

		lc_write_n(&s, n);
		if (p->rekey_every && (w + 1) % p->rekey_every == 0) {
			lc_key_update(&s, false);
			kus++;
		}
	}
	lc_start(&f, &s, 0xfffff000u, 0); /* the TCP sequence wraps on the way */
	settle(f.qp);
	if (p->loss > 0 || p->reorder > 0)
		send_faulty(&f, &s, p->loss, p->reorder, st);
	else
		lc_send_all(&f, &s, 0);
	settle(f.qp);
	CU_ASSERT_EQUAL(f.err, 0);
	CU_ASSERT(lc_got_all(&f, &s));
	CU_ASSERT_EQUAL(f.rekeys, kus);
	CU_ASSERT_EQUAL(f.types[TLS_RT_HANDSHAKE], kus);
	CU_ASSERT_EQUAL(mlx5tls_rx_query(f.rx, &info, sizeof(info)), 0);
	CU_ASSERT_EQUAL(info.key_epoch, kus);
	CU_ASSERT_EQUAL(info.path, MLX5TLS_TX_PATH_DEVICE);
	CU_ASSERT_EQUAL(info.untrusted_packets, 0);
	/* outcomes add up; no fallback on a capable device */
	asked = test_counter(f.dev, "rx_tls_key_update");
	ok = test_counter(f.dev, "rx_tls_rekey_ok");
	fail = test_counter(f.dev, "rx_tls_rekey_fail");
	sw = test_counter(f.dev, "rx_tls_rekey_sw");
	CU_ASSERT_EQUAL(asked, kus);
	CU_ASSERT_EQUAL(ok + fail + sw, asked);
	CU_ASSERT_EQUAL(sw, 0);
	CU_ASSERT_EQUAL(fail, 0);
	/* in order without faults the device kept decrypting across every key change */
	/* the records whose header the new TIR object sees are the device's again: with long key
	 * epochs nearly all (a record straddling the boundary's segment is completed in
	 * software); a rekey after every record leaves little to the device - by design */
	fprintf(stderr, "rekey %s: %" PRIu64 " of %" PRIu64 " records by the device\n", p->name,
		info.by_device, info.records);
	if (p->min >= 1u << 20)
		CU_ASSERT(info.by_device * 100 >= info.records * 95);
	if (f.err || !lc_got_all(&f, &s))
		fprintf(stderr, "rekey case %s: err %d, got %zu of %zu\n", p->name, f.err,
			f.got_len, s.pt_len);
	lc_close(&f);
	lc_stream_fini(&s);
}

static void test_rekey_plans(void)
{
	static const struct rekey_plan plans[] = {
		{ "one", 2, 10000, 10000, 1, 0, 0, 128 },
		{ "99 rekeys", 99, 3000, 3000, 1, 0, 0, 256 },
		{ "small writes", 100, 512, 512, 10, 0, 0, 128 },
		{ "large writes", 3, 2u << 20, 2u << 20, 1, 0, 0, 256 },
		{ "random writes", 120, 1, 8192, 7, 0, 0, 128 },
		{ "burst: a rekey after every record", 50, 1000, 1000, 1, 0, 0, 256 },
		{ "under loss", 60, 2500, 6000, 5, 0.03, 0, 128 },
		{ "under reorder", 60, 2500, 6000, 5, 0, 0.05, 256 },
		{ "under loss and reorder", 80, 1, 8192, 4, 0.02, 0.02, 128 },
	};

	for (size_t i = 0; i < sizeof(plans) / sizeof(plans[0]); i++)
		rekey_run(&plans[i]);
}

/* The records after a KeyUpdate reached the device before the application installed the next
 * key: what the old TIR decrypted with the old key is restored, verified with the new one. */
static void test_rekey_late(void)
{
	struct mlx5tls_rx_info info;
	struct lc_stream s;
	struct lc f;
	size_t ku_end;

	lc_open(&f, true);
	lc_stream_init(&s, TLS_1_3_VERSION, 128, 7);
	lc_write_n(&s, 5000);
	lc_key_update(&s, true);
	ku_end = s.len;
	lc_write_n(&s, 12000); /* one record over nine segments */
	lc_write_n(&s, 3000);
	lc_start(&f, &s, 777, 0);
	settle(f.qp);
	/* every segment reaches the device first; the application holds them */
	for (size_t off = 0; off < s.len; off += LC_MSS)
		lc_arrive(&f, &s, off, (uint32_t)(s.len - off < LC_MSS ? s.len - off : LC_MSS),
			  false);
	f.answer_key_update = false;
	lc_deliver(&f);
	CU_ASSERT_EQUAL(f.err, -EKEYEXPIRED);
	CU_ASSERT_EQUAL(mlx5tls_rx_query(f.rx, &info, sizeof(info)), 0);
	CU_ASSERT_EQUAL(info.stop, MLX5TLS_RX_STOP_KEY_UPDATE);
	CU_ASSERT_EQUAL(info.next_tcp_sn, 777 + (uint32_t)ku_end);
	CU_ASSERT_EQUAL(f.got_len, 5000);
	/* more input without the key: refused, nothing consumed */
	CU_ASSERT_EQUAL(mlx5tls_rx_input(f.rx, 777 + (uint32_t)ku_end, s.wire + ku_end, 10, 0,
					 lc_collect, &f), -EKEYEXPIRED);
	/* bad rekeys: another cipher, another version; the context stays stopped */
	{
		union tls_peer_crypto_info bad = s.keys[1];

		bad.info.cipher_type = TLS_CIPHER_AES_GCM_256;
		CU_ASSERT_EQUAL(mlx5tls_rx_rekey(f.rx, &bad.info, sizeof(bad.gcm256)), -EINVAL);
		bad = s.keys[1];
		bad.info.version = TLS_1_2_VERSION;
		CU_ASSERT_EQUAL(mlx5tls_rx_rekey(f.rx, &bad.info, sizeof(bad.gcm128)), -EINVAL);
		tls_peer_crypto_info_wipe(&bad);
	}
	CU_ASSERT_EQUAL(mlx5tls_rx_rekey(f.rx, &s.keys[1].info, sizeof(s.keys[1].gcm128)), 0);
	f.err = 0;
	f.key_next = 2;
	f.answer_key_update = true;
	/* the held segments, from the boundary: the device saw them under the old key */
	lc_deliver(&f);
	CU_ASSERT(lc_got_all(&f, &s));
	CU_ASSERT_EQUAL(mlx5tls_rx_query(f.rx, &info, sizeof(info)), 0);
	CU_ASSERT(info.reencrypted_bytes > 0); /* old-key plaintext was restored */
	CU_ASSERT_EQUAL(info.untrusted_packets, 0);
	CU_ASSERT_EQUAL(info.key_epoch, 1);
	CU_ASSERT_EQUAL(test_counter(f.dev, "rx_tls_rekey_fail"), 2);
	CU_ASSERT_EQUAL(test_counter(f.dev, "rx_tls_rekey_ok"), 1);
	lc_close(&f);
	lc_stream_fini(&s);
}

/* TLS 1.2 has no KeyUpdate: rekey is refused; a handshake record is just a control record. */
static void test_rekey_tls12_refused(void)
{
	struct lc_stream s;
	struct lc f;
	const uint8_t hs[5] = { 24, 0, 0, 1, 0 };

	lc_open(&f, true);
	lc_stream_init(&s, TLS_1_2_VERSION, 128, 0);
	lc_write_n(&s, 100);
	lc_record_with(&s, 0, s.seq++, TLS_RT_HANDSHAKE, hs, sizeof(hs), 0);
	lc_write_n(&s, 100);
	lc_start(&f, &s, 1, 0);
	settle(f.qp);
	lc_send_all(&f, &s, 0);
	CU_ASSERT(lc_got_all(&f, &s));
	CU_ASSERT_EQUAL(f.types[TLS_RT_HANDSHAKE], 1);
	CU_ASSERT_EQUAL(mlx5tls_rx_rekey(f.rx, &s.keys[0].info, sizeof(s.keys[0].gcm128)),
			-EINVAL);
	lc_close(&f);
	lc_stream_fini(&s);
}

/* A KeyUpdate that is not the last message of its record is a protocol error (RFC 8446 5.1). */
static void test_key_update_not_last(void)
{
	const uint8_t two[9] = { 24, 0, 0, 1, 0, 4, 0, 0, 0 };
	struct lc_stream s;
	struct lc f;

	lc_open(&f, true);
	lc_stream_init(&s, TLS_1_3_VERSION, 128, 0);
	lc_record_with(&s, 0, s.seq++, TLS_RT_HANDSHAKE, two, sizeof(two), 0);
	lc_start(&f, &s, 1, 0);
	lc_send_all(&f, &s, 0);
	CU_ASSERT_EQUAL(f.err, -EBADMSG);
	CU_ASSERT_EQUAL(f.types[TLS_RT_HANDSHAKE], 0);
	lc_close(&f);
	lc_stream_fini(&s);
}

/* A real OpenSSL server updates its keys: the library follows with the keys the peer derives. */
static void test_rekey_openssl_peer(void)
{
	struct tls_peer_pair *pair = tls_peer_pair_create(TLS1_3_VERSION, 256, NULL);
	struct lc_stream s;
	struct lc f;
	uint8_t pt[7000];
	ssize_t w;

	CU_ASSERT_PTR_NOT_NULL_FATAL(pair);
	lc_open(&f, false);
	memset(&s, 0, sizeof(s));
	s.version = TLS_1_3_VERSION;
	s.bits = 256;
	CU_ASSERT_EQUAL_FATAL(tls_peer_export_tx(pair, TLS_PEER_SERVER, 0, &s.keys[0]), 0);
	s.n_keys = 1;
	for (int round = 0; round < 3; round++) {
		for (size_t i = 0; i < sizeof(pt); i++)
			pt[i] = (uint8_t)(i * 13 + round);
		CU_ASSERT_EQUAL_FATAL(tls_peer_write(pair, TLS_PEER_SERVER, pt, sizeof(pt)), 0);
		grow(&s.pt, &s.pt_cap, s.pt_len + sizeof(pt));
		memcpy(s.pt + s.pt_len, pt, sizeof(pt));
		s.pt_len += sizeof(pt);
		CU_ASSERT_EQUAL_FATAL(tls_peer_key_update(pair, TLS_PEER_SERVER, round == 1), 0);
		CU_ASSERT_EQUAL_FATAL(tls_peer_export_tx(pair, TLS_PEER_SERVER, 0,
							 &s.keys[s.n_keys++]), 0);
	}
	CU_ASSERT_EQUAL_FATAL(tls_peer_write(pair, TLS_PEER_SERVER, pt, 100), 0);
	grow(&s.pt, &s.pt_cap, s.pt_len + 100);
	memcpy(s.pt + s.pt_len, pt, 100);
	s.pt_len += 100;
	grow(&s.wire, &s.cap, 1u << 16);
	w = tls_peer_take_wire(pair, TLS_PEER_SERVER, s.wire, s.cap);
	CU_ASSERT_FATAL(w > 0);
	s.len = (size_t)w;
	lc_start(&f, &s, 0x12345678u, 0);
	settle(f.qp);
	lc_send_all(&f, &s, 0);
	settle(f.qp);
	CU_ASSERT(lc_got_all(&f, &s));
	CU_ASSERT_EQUAL(f.rekeys, 3);
	lc_close(&f);
	lc_stream_fini(&s);
	tls_peer_pair_destroy(pair);
}

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

static const struct test_case rx_lifecycle_cases[] = {
	{ "zero_copy_segments", test_segs },
	{ "reuse_tir_200_connections", test_reuse_tir },
	{ "deferred_renewal", test_deferred_renewal },
	{ "foreign_status", test_foreign_status },
	{ "destroy_clears_tir", test_destroy_clears_tir },
	{ "rekey_plans", test_rekey_plans },
	{ "rekey_late_key", test_rekey_late },
	{ "rekey_tls12_refused", test_rekey_tls12_refused },
	{ "key_update_not_last", test_key_update_not_last },
	{ "rekey_openssl_peer", test_rekey_openssl_peer },
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

#endif
