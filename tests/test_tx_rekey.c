/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * TLS 1.3 key updates on the send side, with the rekey cases of the proposed kernel hardware
 * selftest (tls_hw_offload) that test_rx_lifecycle.c runs for the receive side: one rekey, 99
 * rekeys, small / large / random writes, a rekey after every record, rekeys under loss and
 * retransmission. The application writes the KeyUpdate message itself (the last record under the
 * old keys, as kTLS has it), installs the next keys with mlx5tls_tx_rekey() and goes on; the
 * OpenSSL client reads every byte, processing each KeyUpdate with its own key schedule (RFC 8446
 * 7.2) - so the keys the library used are the ones the protocol derives.
 */
#include <errno.h>
#include <openssl/ssl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_util.h"
#include "tls_peer.h"
#include "tx_harness.h"

struct plan {
	const char *name;
	unsigned int writes;
	size_t min, max;
	unsigned int rekey_every;
	unsigned int loss_permille; /* segments lost on the wire, retransmitted later */
	unsigned int bits;
};

static uint32_t lcg(uint32_t *st)
{
	*st = *st * 1103515245u + 12345u;
	return *st >> 8;
}

/* Send stream bytes [from, to) in 1448-byte segments; lost ones are remembered. */
static void send_range(struct txh *h, size_t from, size_t to, const struct plan *p,
		       uint32_t *st, size_t *lost, size_t *n_lost)
{
	for (size_t off = from; off < to; off += 1448) {
		size_t len = to - off < 1448 ? to - off : 1448;

		if (lcg(st) % 1000 < p->loss_permille) {
			h->rx_drop_next = 1;
			lost[(*n_lost)++] = off;
			lost[(*n_lost)++] = len;
		}
		CU_ASSERT_EQUAL(txh_send(h, off, len, 0), 0);
	}
}

static void run(const struct plan *p)
{
	struct txh_opts o = { .tls_version = TLS1_3_VERSION, .key_bits = p->bits,
			      .isn = 0xffff0000u };
	size_t cap = 0, pt_len = 0, epoch_start = 0, *lost, n_lost = 0;
	unsigned int kus = 0, asked = 0, busy = 0;
	int ret;
	uint32_t st = 0x51ed270bu ^ p->writes;
	uint8_t *pt = NULL, *got;
	struct txh h;

	CU_ASSERT_EQUAL_FATAL(txh_init(&h, &o), 0);
	for (unsigned int w = 0; w < p->writes; w++)
		cap += p->max;
	pt = txh_pattern(cap + 1, 33);
	got = malloc(cap + 1);
	lost = calloc(2 * (cap / 1448 + p->writes + 8), sizeof(*lost));
	CU_ASSERT_FATAL(pt && got && lost);
	for (unsigned int w = 0; w < p->writes; w++) {
		size_t n = p->min + (p->max > p->min ? lcg(&st) % (p->max - p->min + 1) : 0);

		txh_add_records(&h, pt + pt_len, n, 16384);
		pt_len += n;
		if (p->rekey_every && (w + 1) % p->rekey_every == 0) {
			const uint8_t ku[5] = { 24, 0, 0, 1, 0 };
			union tls_peer_crypto_info nk;
			uint8_t rec[64];
			ssize_t r = tls_record_layout(&h.ci.info, TLS_RT_HANDSHAKE, h.next_rec, ku,
						      sizeof(ku), rec, sizeof(rec));

			CU_ASSERT_FATAL(r > 0);
			txh_add_raw(&h, rec, (size_t)r);
			h.next_rec++;
			/* the records of this key go out, then the next key */
			send_range(&h, epoch_start, h.stream_len, p, &st, lost, &n_lost);
			epoch_start = h.stream_len;
			CU_ASSERT_EQUAL_FATAL(tls_peer_next_tx_secret(h.pair, TLS_PEER_SERVER), 0);
			CU_ASSERT_EQUAL_FATAL(tls_peer_export_tx(h.pair, TLS_PEER_SERVER, 0, &nk),
					      0);
			asked++;
			ret = mlx5tls_tx_rekey(h.tx, &nk.info, tls_peer_crypto_info_size(&nk.info));
			if (ret == -EBUSY) {
				/* four keys in use: old keys still have records in flight. As TCP
				 * would, retransmit what was lost and take the acks, then again */
				for (size_t i = 0; i < n_lost; i += 2)
					CU_ASSERT_EQUAL(txh_send(&h, lost[i], lost[i + 1], 0), 0);
				n_lost = 0;
				CU_ASSERT(txh_drain(&h) >= 0);
				CU_ASSERT_EQUAL(mlx5tls_tx_ack(h.tx, o.isn + (uint32_t)h.rx_contig),
						0);
				asked++;
				busy++;
				ret = mlx5tls_tx_rekey(h.tx, &nk.info,
						       tls_peer_crypto_info_size(&nk.info));
			}
			CU_ASSERT_EQUAL(ret, 0);
			h.next_rec = 0;
			kus++;
			tls_peer_crypto_info_wipe(&nk);
			/* acknowledge what arrived so old keys can go (at most four at once) */
			CU_ASSERT(txh_drain(&h) >= 0);
			CU_ASSERT_EQUAL(mlx5tls_tx_ack(h.tx, o.isn + (uint32_t)h.rx_contig), 0);
		}
	}
	send_range(&h, epoch_start, h.stream_len, p, &st, lost, &n_lost);
	/* retransmissions of what was lost, old keys included */
	for (size_t i = 0; i < n_lost; i += 2)
		CU_ASSERT_EQUAL(txh_send(&h, lost[i], lost[i + 1], 0), 0);
	CU_ASSERT(txh_drain(&h) >= 0);
	CU_ASSERT_EQUAL(h.rx_contig, h.stream_len);
	CU_ASSERT_EQUAL(h.rx_mismatch, 0);
	CU_ASSERT_EQUAL(txh_check_plaintext(&h, pt, pt_len), 0);
	/* outcomes add up; on a capable device none fell back to software */
	CU_ASSERT_EQUAL(test_counter(h.dev, "tx_tls_rekey") +
			test_counter(h.dev, "tx_tls_rekey_fail"), asked);
	CU_ASSERT_EQUAL(test_counter(h.dev, "tx_tls_rekey_sw"), 0);
	CU_ASSERT_EQUAL(test_counter(h.dev, "tx_tls_rekey_fail"), busy);
	if (busy)
		fprintf(stderr, "tx rekey %s: %u key updates waited for acknowledgements\n",
			p->name, busy);
	CU_ASSERT_EQUAL(test_counter(h.dev, "tx_tls_rekey"), kus);
	CU_ASSERT_EQUAL(test_counter(h.dev, "tx_tls_sw_packets"), 0);
	txh_fini(&h);
	free(lost);
	free(got);
	free(pt);
}

static void test_plans(void)
{
	static const struct plan plans[] = {
		{ "one", 2, 10000, 10000, 1, 0, 128 },
		{ "99 rekeys", 99, 3000, 3000, 1, 0, 256 },
		{ "small writes", 100, 512, 512, 10, 0, 128 },
		{ "large writes", 3, 2u << 20, 2u << 20, 1, 0, 256 },
		{ "random writes", 120, 1, 8192, 7, 0, 128 },
		{ "burst: a rekey after every record", 50, 1000, 1000, 1, 0, 256 },
		{ "under loss", 60, 2500, 6000, 5, 30, 128 },
		{ "under loss, rekey after every record", 40, 1, 8192, 1, 50, 256 },
	};

	for (size_t i = 0; i < sizeof(plans) / sizeof(plans[0]); i++)
		run(&plans[i]);
}

/* TLS 1.2 has no key update; TLS 1.3 keeps its version and cipher. Each refusal is counted. */
static void test_refused(void)
{
	struct txh_opts o12 = { .tls_version = TLS1_2_VERSION, .key_bits = 128, .isn = 1 };
	struct txh_opts o13 = { .tls_version = TLS1_3_VERSION, .key_bits = 128, .isn = 1 };
	union tls_peer_crypto_info nk;
	struct txh h;

	CU_ASSERT_EQUAL_FATAL(txh_init(&h, &o12), 0);
	nk = h.ci;
	CU_ASSERT_EQUAL(mlx5tls_tx_rekey(h.tx, &nk.info, tls_peer_crypto_info_size(&nk.info)),
			-EINVAL);
	CU_ASSERT_EQUAL(test_counter(h.dev, "tx_tls_rekey_fail"), 1);
	txh_fini(&h);
	CU_ASSERT_EQUAL_FATAL(txh_init(&h, &o13), 0);
	nk = h.ci;
	nk.info.version = TLS_1_2_VERSION;
	CU_ASSERT_EQUAL(mlx5tls_tx_rekey(h.tx, &nk.info, tls_peer_crypto_info_size(&nk.info)),
			-EINVAL);
	nk = h.ci;
	nk.info.cipher_type = TLS_CIPHER_AES_GCM_256;
	CU_ASSERT_EQUAL(mlx5tls_tx_rekey(h.tx, &nk.info, sizeof(nk.gcm256)), -EINVAL);
	CU_ASSERT_EQUAL(test_counter(h.dev, "tx_tls_rekey_fail"), 2);
	CU_ASSERT_EQUAL(test_counter(h.dev, "tx_tls_rekey"), 0);
	tls_peer_crypto_info_wipe(&nk);
	txh_fini(&h);
}

static const struct test_case cases[] = {
	{ "rekey_plans", test_plans },
	{ "rekey_refused", test_refused },
	{ NULL, NULL },
};

int main(void)
{
	return tls_peer_run_suite("tx_rekey", cases);
}
