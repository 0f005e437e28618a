/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * TLS RX contexts over their whole life, on both transports (test_rx_lifecycle.c: sim;
 * devx_test_rx_lifecycle.c: the devx transport over the DevX interposer), part one, the
 * contexts themselves:
 *  - a TIR reused by successive connections never lets a stale TLS state vouch for a packet;
 *  - TLS 1.3 KeyUpdate from the peer: stop, rekey, restore of what the device decrypted with the
 *    old key past the boundary (the rekey cases of the proposed kernel tls_hw_offload selftest).
 * Part two, the records a context hands over, is rx_record_cases.h. The fixture is
 * rx_lifecycle_fixture.h. The including file defines RX_DEV and rx_wire() before including this
 * one.
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
	/* flow, context, TIR: the TIR goes with the stale state and its DEK (no leak, no
	 * renewal) */
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

static const struct test_case rx_lifecycle_cases[] = {
	{ "reuse_tir_200_connections", test_reuse_tir },
	{ "deferred_renewal", test_deferred_renewal },
	{ "foreign_status", test_foreign_status },
	{ "destroy_clears_tir", test_destroy_clears_tir },
	{ "rekey_plans", test_rekey_plans },
	{ "rekey_late_key", test_rekey_late },
	{ "rekey_tls12_refused", test_rekey_tls12_refused },
	{ "key_update_not_last", test_key_update_not_last },
	{ "rekey_openssl_peer", test_rekey_openssl_peer },
	{ NULL, NULL },
};

#endif
