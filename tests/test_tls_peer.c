/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Tests of the in-process OpenSSL peer harness (tests/util/tls_peer.h): the exported keys and
 * sequence numbers are proven right by records that the software reference encryptor builds from
 * them and that OpenSSL then reads, and by OpenSSL's own records that the software reference
 * decrypts with them; in each TLS version and key size. Also the pair's argument checking and
 * close_notify. Damaged records: test_tls_peer_reject.c; the record reference on its own:
 * test_tls_peer_record.c; the key log: test_tls_peer_keylog.c. The fixture is
 * tests/util/tls_peer_fixture.h.
 */
#include "tls_peer_fixture.h"

/* Export `tx`'s direction, encrypt 3 records (0, 1, 16384 bytes) in software from the exported
 * rec_seq and have the other side read them, fed in `chunk`-byte pieces. */
static void sw_records_read_by_peer(enum tls_peer_side tx, size_t chunk)
{
	enum tls_peer_side rx = tx == TLS_PEER_SERVER ? TLS_PEER_CLIENT : TLS_PEER_SERVER;
	struct tls_peer_pair *pair = new_pair();
	union tls_peer_crypto_info ci;
	static struct stream s;
	static uint8_t out[3 * BIG];
	ssize_t got;

	if (!pair)
		return;
	CU_ASSERT_EQUAL_FATAL(tls_peer_export_tx(pair, tx, 0, &ci), 0);
	CU_ASSERT_EQUAL(ci_rec_seq(&ci), first_app_seq());
	CU_ASSERT_EQUAL_FATAL(build_stream(&s, &ci, ci_rec_seq(&ci), three_lens, 3), 0);
	got = feed_and_read(pair, rx, s.wire, s.wire_len, chunk, out, sizeof(out));
	if (got < 0)
		fprintf(stderr, "\n  read: %zd %s\n", got, tls_peer_last_error(pair, rx));
	CU_ASSERT_EQUAL(got, (ssize_t)(1 + BIG));
	if (got == (ssize_t)(1 + BIG))
		TEST_ASSERT_BYTES("plaintext", out, s.pt, (size_t)got);
	CU_ASSERT_EQUAL(tls_peer_read(pair, rx, out, sizeof(out)), 0); /* nothing more */
	tls_peer_crypto_info_wipe(&ci);
	tls_peer_pair_destroy(pair);
}

/* ---- per-configuration tests ---- */

static void test_handshake_export(void)
{
	struct tls_peer_pair *pair = new_pair();
	union tls_peer_crypto_info c, s;
	size_t want_size = g_bits == 128 ? sizeof(struct tls12_crypto_info_aes_gcm_128)
					 : sizeof(struct tls12_crypto_info_aes_gcm_256);

	if (!pair)
		return;
	CU_ASSERT_EQUAL(tls_peer_version(pair), g_version);
	CU_ASSERT_EQUAL(tls_peer_key_bits(pair), g_bits);
	CU_ASSERT_EQUAL(SSL_version(tls_peer_ssl(pair, TLS_PEER_CLIENT)), g_version);
	CU_ASSERT_EQUAL(SSL_get_verify_result(tls_peer_ssl(pair, TLS_PEER_CLIENT)), X509_V_OK);
	CU_ASSERT_EQUAL(tls_peer_wire_pending(pair, TLS_PEER_CLIENT), 0);
	CU_ASSERT_EQUAL(tls_peer_wire_pending(pair, TLS_PEER_SERVER), 0);

	CU_ASSERT_EQUAL_FATAL(tls_peer_export_tx(pair, TLS_PEER_SERVER, 0, &s), 0);
	CU_ASSERT_EQUAL_FATAL(tls_peer_export_tx(pair, TLS_PEER_CLIENT, 0, &c), 0);
	CU_ASSERT_EQUAL(s.info.version, ktls_version());
	CU_ASSERT_EQUAL(s.info.cipher_type,
			g_bits == 128 ? TLS_CIPHER_AES_GCM_128 : TLS_CIPHER_AES_GCM_256);
	CU_ASSERT_EQUAL(tls_peer_crypto_info_size(&s.info), want_size);
	CU_ASSERT_EQUAL(c.info.version, s.info.version);
	CU_ASSERT_EQUAL(c.info.cipher_type, s.info.cipher_type);
	CU_ASSERT_EQUAL(ci_rec_seq(&s), first_app_seq());
	CU_ASSERT_EQUAL(ci_rec_seq(&c), first_app_seq());
	/* The two directions have different keys. */
	CU_ASSERT_NOT_EQUAL(memcmp(ci_key(&s), ci_key(&c), g_bits / 8), 0);
	/* Export is repeatable and wipes. */
	{
		union tls_peer_crypto_info again;

		CU_ASSERT_EQUAL(tls_peer_export_tx(pair, TLS_PEER_SERVER, 0, &again), 0);
		CU_ASSERT_EQUAL(memcmp(&again, &s, sizeof(s)), 0);
		tls_peer_crypto_info_wipe(&again);
		CU_ASSERT_EQUAL(again.info.cipher_type, 0);
	}
	CU_ASSERT_EQUAL(tls_peer_export_tx(pair, (enum tls_peer_side)2, 0, &s), -EINVAL);
	CU_ASSERT_EQUAL(tls_peer_export_tx(pair, TLS_PEER_SERVER, 0x80, &s), -EINVAL);
	CU_ASSERT_EQUAL(tls_peer_export_tx(pair, TLS_PEER_SERVER, 0, NULL), -EINVAL);
	tls_peer_crypto_info_wipe(&s);
	tls_peer_crypto_info_wipe(&c);
	tls_peer_pair_destroy(pair);
}

static void test_server_tx_to_client(void)
{
	sw_records_read_by_peer(TLS_PEER_SERVER, SIZE_MAX);
}

static void test_client_tx_to_server(void)
{
	sw_records_read_by_peer(TLS_PEER_CLIENT, SIZE_MAX);
}

static void test_server_tx_segmented(void)
{
	/* TCP-segment-like pieces that split headers, nonces and tags. */
	sw_records_read_by_peer(TLS_PEER_SERVER, 1448);
	sw_records_read_by_peer(TLS_PEER_SERVER, 3);
}

/* The TLS 1.2 explicit nonce exported by default is OpenSSL's own counter (what its kTLS code
 * hands the kernel); with TLS_PEER_EXPORT_SEQ_NONCE it is the sequence number. Either is accepted
 * by the peer; the layout puts the kernel's value in each record. */
static void test_seq_nonce_export(void)
{
	struct tls_peer_pair *pair = new_pair();
	union tls_peer_crypto_info def, seqn;
	static struct stream s;
	static uint8_t out[3 * BIG];
	uint8_t seq_be[8];

	if (!pair)
		return;
	CU_ASSERT_EQUAL_FATAL(tls_peer_export_tx(pair, TLS_PEER_SERVER, 0, &def), 0);
	CU_ASSERT_EQUAL_FATAL(tls_peer_export_tx(pair, TLS_PEER_SERVER, TLS_PEER_EXPORT_SEQ_NONCE,
						 &seqn), 0);
	for (int i = 0; i < 8; i++)
		seq_be[i] = (uint8_t)(first_app_seq() >> (56 - 8 * i));
	if (g_version == TLS1_2_VERSION) {
		CU_ASSERT_EQUAL(memcmp(ci_iv(&seqn), seq_be, 8), 0);
	} else {
		/* TLS 1.3: the iv is part of the key schedule; the flag changes nothing. */
		CU_ASSERT_EQUAL(memcmp(&def, &seqn, sizeof(def)), 0);
	}
	CU_ASSERT_EQUAL_FATAL(build_stream(&s, &seqn, ci_rec_seq(&seqn), three_lens, 3), 0);
	if (g_version == TLS1_2_VERSION) {
		/* explicit nonces 1, 2, 3 */
		CU_ASSERT_EQUAL(be64(s.wire + TLS_RECORD_HDR_LEN), first_app_seq());
		CU_ASSERT_EQUAL(be64(s.wire + tls_record_size(TLS_1_2_VERSION, 0) +
				     TLS_RECORD_HDR_LEN),
				first_app_seq() + 1);
	}
	CU_ASSERT_EQUAL(feed_and_read(pair, TLS_PEER_CLIENT, s.wire, s.wire_len, SIZE_MAX, out,
				      sizeof(out)), (ssize_t)(1 + BIG));
	TEST_ASSERT_BYTES("plaintext", out, s.pt, 1 + BIG);
	tls_peer_crypto_info_wipe(&def);
	tls_peer_crypto_info_wipe(&seqn);
	tls_peer_pair_destroy(pair);
}

/* Which records the receiver accepts as the first one after the handshake: only the exported
 * sequence number (this is the empirical check of "TLS 1.2 starts at 1, TLS 1.3 at 0"). */
static void test_first_seq_is_exact(void)
{
	for (int delta = -1; delta <= 1; delta++) {
		struct tls_peer_pair *pair;
		union tls_peer_crypto_info ci;
		static struct stream s;
		static uint8_t out[3 * BIG];
		uint64_t seq;
		ssize_t got;

		if (delta < 0 && first_app_seq() == 0)
			continue;
		pair = new_pair();
		if (!pair)
			return;
		CU_ASSERT_EQUAL_FATAL(tls_peer_export_tx(pair, TLS_PEER_SERVER, 0, &ci), 0);
		seq = first_app_seq() + (uint64_t)(int64_t)delta;
		CU_ASSERT_EQUAL_FATAL(build_stream(&s, &ci, seq, &three_lens[1], 1), 0);
		got = feed_and_read(pair, TLS_PEER_CLIENT, s.wire, s.wire_len, SIZE_MAX, out,
				    sizeof(out));
		if (delta == 0) {
			CU_ASSERT_EQUAL(got, 1);
		} else {
			CU_ASSERT_EQUAL(got, -EBADMSG);
		}
		tls_peer_crypto_info_wipe(&ci);
		tls_peer_pair_destroy(pair);
	}
}

/* OpenSSL writes; the software reference decrypts each record with the export taken before the
 * writes (proving key, salt, iv and rec_seq against OpenSSL's own encryption); then the other
 * OpenSSL side reads the same wire. */
static void writer_path(enum tls_peer_side tx)
{
	enum tls_peer_side rx = tx == TLS_PEER_SERVER ? TLS_PEER_CLIENT : TLS_PEER_SERVER;
	struct tls_peer_pair *pair = new_pair();
	union tls_peer_crypto_info ci;
	static uint8_t pt[40000], wire[40000 + 4 * 64], out[40000], rec[BIG + 64];
	size_t wire_len = 0, off = 0, pt_off = 0;
	uint64_t seq;
	ssize_t n;
	int nrec = 0;

	if (!pair)
		return;
	CU_ASSERT_EQUAL_FATAL(tls_peer_export_tx(pair, tx, 0, &ci), 0);
	seq = ci_rec_seq(&ci);
	fill_pattern(pt, sizeof(pt), 0x11);
	/* 5 + 40000 - 5 bytes: records of 5, 16384, 16384, 7227 bytes */
	CU_ASSERT_EQUAL_FATAL(tls_peer_write(pair, tx, pt, 5), 0);
	CU_ASSERT_EQUAL_FATAL(tls_peer_write(pair, tx, pt + 5, sizeof(pt) - 5), 0);
	CU_ASSERT_EQUAL(tls_peer_write(pair, tx, pt, 0), 0);
	CU_ASSERT_EQUAL(tls_peer_wire_pending(pair, tx),
			tls_record_size(ci.info.version, 5) +
				2 * tls_record_size(ci.info.version, BIG) +
				tls_record_size(ci.info.version, sizeof(pt) - 5 - 2 * BIG));
	/* Drain in odd-sized pieces. */
	while ((n = tls_peer_take_wire(pair, tx, wire + wire_len,
				       sizeof(wire) - wire_len < 1000 ? sizeof(wire) - wire_len
								      : 1000)) > 0)
		wire_len += (size_t)n;
	CU_ASSERT_EQUAL(n, 0);
	CU_ASSERT_EQUAL(tls_peer_wire_pending(pair, tx), 0);

	while (off + TLS_RECORD_HDR_LEN <= wire_len) {
		size_t rl = TLS_RECORD_HDR_LEN + (size_t)((wire[off + 3] << 8) | wire[off + 4]);
		uint8_t type = 0;

		CU_ASSERT_FATAL(off + rl <= wire_len && rl <= sizeof(rec));
		CU_ASSERT_EQUAL(wire[off], TLS_RT_APPLICATION_DATA);
		if (ci.info.version == TLS_1_2_VERSION) {
			/* OpenSSL's explicit nonce is the exported iv, advanced once per record. */
			CU_ASSERT_EQUAL(be64(wire + off + TLS_RECORD_HDR_LEN),
					be64(ci_iv(&ci)) + (uint64_t)nrec);
		}
		memcpy(rec, wire + off, rl);
		n = tls_record_decrypt_sw(&ci.info, seq + (uint64_t)nrec, rec, rl, &type);
		CU_ASSERT_FATAL(n >= 0);
		CU_ASSERT_EQUAL(type, TLS_RT_APPLICATION_DATA);
		CU_ASSERT_FATAL(pt_off + (size_t)n <= sizeof(pt));
		TEST_ASSERT_BYTES("openssl record", rec + tls_record_pt_offset(ci.info.version),
				  pt + pt_off, (size_t)n);
		/* The neighbouring sequence numbers do not verify. */
		memcpy(rec, wire + off, rl);
		CU_ASSERT_EQUAL(tls_record_decrypt_sw(&ci.info, seq + (uint64_t)nrec + 1, rec, rl,
						      NULL),
				-EBADMSG);
		pt_off += (size_t)n;
		off += rl;
		nrec++;
	}
	CU_ASSERT_EQUAL(off, wire_len);
	CU_ASSERT_EQUAL(nrec, 4);
	CU_ASSERT_EQUAL(pt_off, sizeof(pt));

	/* The export now points past OpenSSL's records. */
	{
		union tls_peer_crypto_info after;

		CU_ASSERT_EQUAL(tls_peer_export_tx(pair, tx, 0, &after), 0);
		CU_ASSERT_EQUAL(ci_rec_seq(&after), seq + 4);
		if (ci.info.version == TLS_1_2_VERSION) {
			CU_ASSERT_EQUAL(be64(ci_iv(&after)), be64(ci_iv(&ci)) + 4);
		}
		tls_peer_crypto_info_wipe(&after);
	}

	CU_ASSERT_EQUAL(feed_and_read(pair, rx, wire, wire_len, 1460, out, sizeof(out)),
			(ssize_t)sizeof(pt));
	TEST_ASSERT_BYTES("peer read", out, pt, sizeof(pt));
	tls_peer_crypto_info_wipe(&ci);
	tls_peer_pair_destroy(pair);
}

static void test_writer_server_to_client(void)
{
	writer_path(TLS_PEER_SERVER);
}

static void test_writer_client_to_server(void)
{
	writer_path(TLS_PEER_CLIENT);
}

/* kTLS-style handover: OpenSSL sends some records itself, then the direction is exported and the
 * "device" (here the software encryptor) continues; the peer reads one seamless stream. */
static void test_handover_after_openssl_writes(void)
{
	struct tls_peer_pair *pair = new_pair();
	union tls_peer_crypto_info ci;
	static uint8_t pt[BIG + 100], wire[2 * BIG + 200], out[3 * BIG + 200];
	static struct stream s;
	ssize_t n, got;
	size_t wire_len = 0;

	if (!pair)
		return;
	fill_pattern(pt, sizeof(pt), 0x77);
	/* 2 records */
	CU_ASSERT_EQUAL_FATAL(tls_peer_write(pair, TLS_PEER_SERVER, pt, sizeof(pt)), 0);
	n = tls_peer_take_wire(pair, TLS_PEER_SERVER, wire, sizeof(wire));
	CU_ASSERT_FATAL(n > 0);
	wire_len = (size_t)n;
	CU_ASSERT_EQUAL_FATAL(tls_peer_export_tx(pair, TLS_PEER_SERVER, 0, &ci), 0);
	CU_ASSERT_EQUAL(ci_rec_seq(&ci), first_app_seq() + 2);
	CU_ASSERT_EQUAL_FATAL(build_stream(&s, &ci, ci_rec_seq(&ci), three_lens, 3), 0);

	got = feed_and_read(pair, TLS_PEER_CLIENT, wire, wire_len, SIZE_MAX, out, sizeof(out));
	CU_ASSERT_EQUAL_FATAL(got, (ssize_t)sizeof(pt));
	n = feed_and_read(pair, TLS_PEER_CLIENT, s.wire, s.wire_len, 4096, out + got,
			  sizeof(out) - (size_t)got);
	CU_ASSERT_EQUAL(n, (ssize_t)(1 + BIG));
	TEST_ASSERT_BYTES("openssl part", out, pt, sizeof(pt));
	TEST_ASSERT_BYTES("handed-over part", out + sizeof(pt), s.pt, 1 + BIG);
	tls_peer_crypto_info_wipe(&ci);
	tls_peer_pair_destroy(pair);
}

static const struct test_case config_cases[] = {
	{ "handshake and export", test_handshake_export },
	{ "server TX records read by the client", test_server_tx_to_client },
	{ "client TX records read by the server", test_client_tx_to_server },
	{ "server TX records fed in segments", test_server_tx_segmented },
	{ "seq-number explicit nonce export", test_seq_nonce_export },
	{ "first application seq is exact", test_first_seq_is_exact },
	{ "writer path server->client", test_writer_server_to_client },
	{ "writer path client->server", test_writer_client_to_server },
	{ "handover after OpenSSL wrote records", test_handover_after_openssl_writes },
	{ NULL, NULL },
};

/* ---- argument checking ---- */

static void test_create_args(void)
{
	struct newer_opts {
		struct tls_peer_opts o;
		uint64_t extra;
	};
	struct newer_opts small, bad, good;
	struct tls_peer_pair *pair;

	errno = 0;
	CU_ASSERT_PTR_NULL(tls_peer_pair_create(TLS1_1_VERSION, 128, NULL));
	CU_ASSERT_EQUAL(errno, EINVAL);
	CU_ASSERT_PTR_NULL(tls_peer_pair_create(TLS1_3_VERSION, 192, NULL));
	CU_ASSERT_EQUAL(errno, EINVAL);

	memset(&small, 0, sizeof(small));
	small.o.sz = 4;
	CU_ASSERT_PTR_NULL(tls_peer_pair_create(TLS1_3_VERSION, 128, &small.o));
	CU_ASSERT_EQUAL(errno, EINVAL);
	/* a newer caller's unknown non-zero field is refused... */
	memset(&bad, 0, sizeof(bad));
	bad.o.sz = sizeof(bad);
	bad.extra = 1;
	CU_ASSERT_PTR_NULL(tls_peer_pair_create(TLS1_3_VERSION, 128, &bad.o));
	CU_ASSERT_EQUAL(errno, EINVAL);
	/* ...but a zero one is fine */
	memset(&good, 0, sizeof(good));
	good.o.sz = sizeof(good);
	pair = tls_peer_pair_create(TLS1_3_VERSION, 128, &good.o);
	CU_ASSERT_PTR_NOT_NULL_FATAL(pair);
	CU_ASSERT_EQUAL(tls_peer_feed(pair, TLS_PEER_CLIENT, NULL, 1), -EINVAL);
	CU_ASSERT_EQUAL(tls_peer_read(pair, (enum tls_peer_side)5, NULL, 0), -EINVAL);
	CU_ASSERT_EQUAL(tls_peer_read(pair, TLS_PEER_CLIENT, NULL, 0), 0);
	CU_ASSERT_EQUAL(tls_peer_write(pair, TLS_PEER_CLIENT, NULL, 1), -EINVAL);
	CU_ASSERT_EQUAL(tls_peer_take_wire(pair, TLS_PEER_CLIENT, NULL, 1), -EINVAL);
	CU_ASSERT_PTR_NULL(tls_peer_ssl(pair, (enum tls_peer_side)2));
	CU_ASSERT_STRING_EQUAL(tls_peer_last_error(pair, TLS_PEER_CLIENT), "");
	tls_peer_pair_destroy(pair);
	tls_peer_pair_destroy(NULL);
}

/* A close_notify is reported as -ESHUTDOWN, distinct from a MAC failure. */
static void test_close_notify(void)
{
	struct tls_peer_pair *pair = tls_peer_pair_create(TLS1_3_VERSION, 128, NULL);
	uint8_t wire[256], out[16];
	ssize_t n;

	CU_ASSERT_PTR_NOT_NULL_FATAL(pair);
	CU_ASSERT_EQUAL(SSL_shutdown(tls_peer_ssl(pair, TLS_PEER_SERVER)), 0);
	n = tls_peer_take_wire(pair, TLS_PEER_SERVER, wire, sizeof(wire));
	CU_ASSERT_FATAL(n > 0);
	CU_ASSERT_EQUAL(tls_peer_feed(pair, TLS_PEER_CLIENT, wire, (size_t)n), 0);
	CU_ASSERT_EQUAL(tls_peer_read(pair, TLS_PEER_CLIENT, out, sizeof(out)), -ESHUTDOWN);
	tls_peer_pair_destroy(pair);
}

static const struct test_case pair_cases[] = {
	{ "argument checking", test_create_args },
	{ "close_notify is not a MAC failure", test_close_notify },
	{ NULL, NULL },
};

int main(void)
{
	static const struct test_suite suites[] = {
		{ "tls_peer TLS1.2 AES-GCM-128", init_12_128, NULL, config_cases },
		{ "tls_peer TLS1.2 AES-GCM-256", init_12_256, NULL, config_cases },
		{ "tls_peer TLS1.3 AES-GCM-128", init_13_128, NULL, config_cases },
		{ "tls_peer TLS1.3 AES-GCM-256", init_13_256, NULL, config_cases },
		{ "tls_peer arguments and close_notify", NULL, cleanup_global, pair_cases },
		{ NULL, NULL, NULL, NULL },
	};

	return test_run_suites(suites);
}
