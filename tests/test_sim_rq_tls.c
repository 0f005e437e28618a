/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Device model: TLS RX through TIRs - the TIR WQEs' own rules (UMR/SET_PSV opc_mod 2, GET_PSV),
 * real OpenSSL records (tests/util/tls_peer: a server after a real handshake) cut into TCP/IPv4
 * segments and received in order, corrupted and with a lost header, and a TLS TIR destroyed
 * while its frames are delivered. The expected plaintext-in-place image of each record comes
 * from the harness's own EVP decryption (tls_record_decrypt_sw). The fixture is
 * tests/util/sim_rq_fixture.h.
 */
#include <openssl/ssl.h>
#include <pthread.h>
#include <sched.h>

#include "sim/tls_evp.h"
#include "sim/tls_rx.h"
#include "sim_rq_fixture.h"
#include "tls_peer.h"

/* ---- TLS RX end to end ---- */

#define MAX_RECS 64

/* A server's TLS stream from OpenSSL, and the image a device decrypting in place produces. */
struct stream {
	union tls_peer_crypto_info ci; /* server TX = our RX */
	bool tls13;
	size_t key_len;
	const uint8_t *key;
	struct tls_static_info si;
	uint64_t rn0;
	uint8_t *wire, *img;
	size_t len;
	size_t n;
	size_t off[MAX_RECS], rlen[MAX_RECS];
};

static int stream_make(struct stream *s, int version, unsigned bits)
{
	struct tls_peer_pair *pair = tls_peer_pair_create(version, bits, NULL);
	static uint8_t app[4096];
	const uint8_t *salt, *iv, *rec_seq;
	size_t got = 0, total;
	ssize_t r;

	memset(s, 0, sizeof(*s));
	if (!pair || tls_peer_export_tx(pair, TLS_PEER_SERVER, 0, &s->ci))
		return -1;
	s->tls13 = version == TLS1_3_VERSION;
	if (bits == 128) {
		s->key = s->ci.gcm128.key;
		salt = s->ci.gcm128.salt;
		iv = s->ci.gcm128.iv;
		rec_seq = s->ci.gcm128.rec_seq;
	} else {
		s->key = s->ci.gcm256.key;
		salt = s->ci.gcm256.salt;
		iv = s->ci.gcm256.iv;
		rec_seq = s->ci.gcm256.rec_seq;
	}
	s->key_len = bits / 8;
	s->rn0 = get64(rec_seq);
	s->si.tls13 = s->tls13;
	memcpy(s->si.rec_seq, rec_seq, 8);
	memcpy(s->si.salt, salt, 4);
	memcpy(s->si.iv, iv, 8);
	/* 40 records of 300..3300 bytes: far more than a max-size record, so a lost header
	 * leaves room for the stream scan (tls_rx.h SIM_TLS_RX_MAX_WIRE_RECORD) */
	for (int i = 0; i < 40; i++) {
		size_t len = 300 + (size_t)(i * 977) % 3000;

		for (size_t k = 0; k < len; k++)
			app[k] = (uint8_t)(i * 31 + k);
		if (tls_peer_write(pair, TLS_PEER_SERVER, app, len))
			goto err;
	}
	total = tls_peer_wire_pending(pair, TLS_PEER_SERVER);
	s->wire = malloc(total);
	s->img = malloc(total);
	if (!s->wire || !s->img)
		goto err;
	while (got < total &&
	       (r = tls_peer_take_wire(pair, TLS_PEER_SERVER, s->wire + got, total - got)) > 0)
		got += (size_t)r;
	s->len = got;
	memcpy(s->img, s->wire, got);
	/* delineate, and decrypt each record of the image in place (harness EVP code) */
	for (size_t off = 0; off < got; s->n++) {
		size_t rl = 5u + get16(s->wire + off + 3);

		if (s->n == MAX_RECS ||
		    tls_record_decrypt_sw(&s->ci.info, s->rn0 + s->n, s->img + off, rl, NULL) < 0)
			goto err;
		s->off[s->n] = off;
		s->rlen[s->n] = rl;
		off += rl;
	}
	tls_peer_pair_destroy(pair);
	/* the image is the plaintext: it differs from the wire wherever payload is */
	return s->n == 40 && memcmp(s->img, s->wire, s->len) ? 0 : -1;
err:
	tls_peer_pair_destroy(pair);
	return -1;
}

static void stream_free(struct stream *s)
{
	tls_peer_crypto_info_wipe(&s->ci);
	free(s->wire);
	free(s->img);
}

/* One TLS connection on a fresh device: DEK, TLS TIR -> RQ, rule, SQ for the params. */
struct tlsfx {
	struct fx f;
	struct txq t;
	uint32_t dek, tirn, rule;
	uint8_t *psv; /* GET_PSV results, in the RQ's write-enabled region */
};

static int tlsfx_init(struct tlsfx *x, const struct stream *s)
{
	struct sim_flow_match m;
	struct tls_static_info si = s->si;

	if (fx_init(&x->f, NULL, 6, 6))
		return -1;
	x->dek = new_tls_dek(x->f.dev, x->f.uid, x->f.pd, s->key, s->key_len);
	x->tirn = create_tir(x->f.dev, x->f.uid, x->f.td, x->f.q.ri.rqn, 1);
	flow_match(&flow_v4, 6, &m);
	if (!x->dek || !x->tirn || sim_steer_add(x->f.dev, &m, x->tirn, &x->rule))
		return -1;
	if (txq_init(&x->t, x->f.dev, x->f.tis, x->f.pd, NULL))
		return -1;
	x->psv = x->f.q.mem; /* the first slot: 64-byte aligned */
	/* fact sheet 11.2 step 4: static params (resync_tcp_sn 0), then progress params START at
	 * the sequence of the first record */
	si.dek_index = x->dek;
	si.resync_tcp_sn = 0;
	post_static_tir(&x->t, x->tirn, &si);
	post_progress_tir(&x->t, x->tirn, SEQ0);
	return txq_run(&x->t);
}

static void tlsfx_fini(struct tlsfx *x)
{
	txq_fini(&x->t);
	CU_ASSERT_EQUAL(sim_steer_del(x->f.dev, x->rule), 0);
	CU_ASSERT_EQUAL(destroy_tir(x->f.dev, x->f.uid, x->tirn), 0);
	fx_fini(&x->f);
}

/* Deliver wire[a, a+len) as one TCP/IPv4 segment (its own copy `seg` when not NULL); check the
 * CQE and the buffer: the image where DECRYPTED, exactly the frame otherwise. Returns the TLS
 * status, or -1. */
static int deliver(struct tlsfx *x, const struct stream *s, size_t a, size_t len,
		   const uint8_t *seg, int cs)
{
	static uint8_t fr[2048], want[2048];
	const struct mlx5_cqe64 *c;
	uint16_t idx = x->f.q.pc;
	unsigned st;
	size_t n;

	rxq_post(&x->f.q, 1);
	n = frame(fr, &flow_v4, 6, SEQ0 + (uint32_t)a, 0x18, seg ? seg : s->wire + a, len, cs,
		  false);
	if (sim_dev_rx(x->f.dev, fr, n))
		return -1;
	c = rxq_poll(&x->f.q);
	if (!c || (c->op_own >> 4) != MLX5_CQE_RESP_SEND || be32toh(c->byte_cnt) != n ||
	    be16toh(c->wqe_counter) != idx)
		return -1;
	st = cqe_tls(c);
	memcpy(want, fr, n);
	if (st == SIM_TLS_RX_DECRYPTED)
		memcpy(want + n - len, s->img + a, len);
	if (memcmp(rxq_buf(&x->f.q, idx), want, n)) {
		printf("\n  segment at %zu (status %u): buffer differs from the expected image", a,
		       st);
		return -1;
	}
	return (int)st;
}

static const char *suite_name(const struct stream *s)
{
	if (s->tls13)
		return s->key_len == 16 ? "TLS1.3/AES-128-GCM" : "TLS1.3/AES-256-GCM";
	return s->key_len == 16 ? "TLS1.2/AES-128-GCM" : "TLS1.2/AES-256-GCM";
}

/* In order: every segment DECRYPTED, plaintext in place, framing untouched; a segment with a bad
 * TCP checksum first arrives undecrypted (not handled, L4 not OK) and is decrypted when it is
 * retransmitted intact. */
static void run_in_order(const struct stream *s)
{
	uint64_t live0 = sim_tls_evp_live();
	struct tlsfx x;
	struct sim_rq_stats st;
	int bad = 0;
	size_t segs = 0;

	CU_ASSERT_EQUAL_FATAL(tlsfx_init(&x, s), 0);
	/* issue 10: static and progress params posted, no record yet: no OpenSSL context */
	CU_ASSERT_EQUAL(sim_tls_evp_live(), live0);
	for (size_t a = 0; a < s->len; a += MSS, segs++) {
		size_t len = s->len - a < MSS ? s->len - a : MSS;

		/* R3: a bad checksum is not handled; TCP drops it and the sender retransmits */
		if (segs == 5 &&
		    deliver(&x, s, a, len, NULL, CS_BAD_L4) != SIM_TLS_RX_NOT_DECRYPTED)
			bad++;
		if (deliver(&x, s, a, len, NULL, CS_GOOD) != SIM_TLS_RX_DECRYPTED)
			bad++;
	}
	CU_ASSERT_EQUAL(bad, 0);
	sim_rq_get_stats(x.f.q.rq, &st);
	CU_ASSERT_EQUAL(st.tls_decrypted, segs);
	CU_ASSERT_EQUAL(st.tls_not_decrypted, 1);
	CU_ASSERT_EQUAL(st.l4_not_ok, 1);
	/* the first record made the GCM one; the RQ decrypts out of place, so an ERROR would
	 * need no CTR context either */
	CU_ASSERT_EQUAL(sim_tls_evp_live(), live0 + 1);
	tlsfx_fini(&x);
	CU_ASSERT_EQUAL(sim_tls_evp_live(), live0); /* destroying the TIR gave it back */
}

/* A corrupted tag byte: the segment holding the end of that record is ERROR and delivered as
 * received; the stream stays in sync and every later segment decrypts. */
static void run_corrupt(const struct stream *s)
{
	uint64_t live0 = sim_tls_evp_live();
	struct tlsfx x;
	size_t k = 9, bad_at = s->off[k] + s->rlen[k] - 1, seg_a = bad_at / MSS * MSS;
	static uint8_t seg[MSS];
	int bad = 0, errors = 0;

	CU_ASSERT_EQUAL_FATAL(tlsfx_init(&x, s), 0);
	for (size_t a = 0; a < s->len; a += MSS) {
		size_t len = s->len - a < MSS ? s->len - a : MSS;
		int want = SIM_TLS_RX_DECRYPTED, got;

		if (a == seg_a) {
			memcpy(seg, s->wire + a, len);
			seg[bad_at - a] ^= 0x01;
			want = SIM_TLS_RX_ERROR;
			got = deliver(&x, s, a, len, seg, CS_GOOD);
		} else {
			got = deliver(&x, s, a, len, NULL, CS_GOOD);
		}
		errors += got == SIM_TLS_RX_ERROR;
		if (got != want) {
			printf("\n  %s: segment at %zu status %d want %d", suite_name(s), a, got,
			       want);
			bad++;
		}
	}
	CU_ASSERT_EQUAL(bad, 0);
	CU_ASSERT_EQUAL(errors, 1);
	/* the ERROR segment goes out as received from the frame (out of place): the engine made
	 * no CTR context for a restore */
	CU_ASSERT_EQUAL(sim_tls_evp_live(), live0 + 1);
	tlsfx_fini(&x);
}

/*
 * A lost segment that held a record header: the tracker loses sync (segments pass as received),
 * scans, and raises RESYNC on one segment; GET_PSV through the SQ reads TRACKING/NO_OFFLOAD and
 * hw_resync_tcp_sn, which must be a true record start; the answer (static params: that sequence
 * and that record's number) brings DECRYPTED back, and the rest of the stream decrypts.
 */
static void run_header_loss(const struct stream *s)
{
	struct tlsfx x;
	size_t drop = 0, guess = SIZE_MAX;
	int resyncs = 0, bad = 0, decrypted_after = 0, errors = 0;
	bool answered = false, resumed = false;

	CU_ASSERT_EQUAL_FATAL(tlsfx_init(&x, s), 0);
	/* the first segment from the 6th on that holds a whole record header */
	for (size_t a = 5 * MSS; a < s->len && !drop; a += MSS)
		for (size_t r = 0; r < s->n; r++)
			if (s->off[r] >= a && s->off[r] + 5 <= a + MSS)
				drop = a;
	CU_ASSERT_FATAL(drop > 0);
	for (size_t a = 0; a < s->len; a += MSS) {
		size_t len = s->len - a < MSS ? s->len - a : MSS;
		int st;

		if (a == drop)
			continue;
		st = deliver(&x, s, a, len, NULL, CS_GOOD);
		if (st < 0)
			bad++;
		errors += st == SIM_TLS_RX_ERROR;
		if (a < drop && st != SIM_TLS_RX_DECRYPTED)
			bad++;
		if (a > drop && !answered && st == SIM_TLS_RX_DECRYPTED)
			bad++; /* out of sync: nothing decrypts until the answer */
		if (answered) {
			if (st == SIM_TLS_RX_DECRYPTED) {
				resumed = true;
				decrypted_after++;
			} else if (resumed) {
				bad++; /* once resumed, it stays in sync */
			}
		}
		if (st == SIM_TLS_RX_RESYNC) {
			uint32_t hw_seq;
			struct tls_static_info si = s->si;

			resyncs++;
			/* fact sheet 11.4 steps 2-3: GET_PSV, 64-byte aligned buffer */
			memset(x.psv, 0xee, 64);
			post_get_psv(&x.t, x.tirn, x.f.q.lkey, (uintptr_t)x.psv, 0x10);
			CU_ASSERT_EQUAL_FATAL(txq_run(&x.t), 0);
			CU_ASSERT_EQUAL(get32(x.psv), x.tirn);
			CU_ASSERT_EQUAL(x.psv[12], 0x40); /* TRACKING, NO_OFFLOAD */
			CU_ASSERT_EQUAL(x.psv[16], 0xee); /* only the 16-byte image is written */
			hw_seq = get32(x.psv + 8);
			for (size_t r = 0; r < s->n; r++)
				if (SEQ0 + (uint32_t)s->off[r] == hw_seq)
					guess = r;
			CU_ASSERT_FATAL(guess != SIZE_MAX); /* a true record start */
			/* the kernel's condition: a header starting inside the RESYNC packet */
			CU_ASSERT(s->off[guess] >= a && s->off[guess] < a + len);
			/* step 4-5: static params only, that record's number at that sequence */
			put64(si.rec_seq, s->rn0 + guess);
			si.resync_tcp_sn = hw_seq;
			si.dek_index = x.dek;
			post_static_tir(&x.t, x.tirn, &si);
			CU_ASSERT_EQUAL_FATAL(txq_run(&x.t), 0);
			answered = true;
		}
	}
	CU_ASSERT_EQUAL(bad, 0);
	CU_ASSERT_EQUAL(errors, 0);
	CU_ASSERT_EQUAL(resyncs, 1);
	CU_ASSERT(resumed);
	/* after the answer GET_PSV reads TRACKING/OFFLOAD */
	post_get_psv(&x.t, x.tirn, x.f.q.lkey, (uintptr_t)x.psv, 0x10);
	CU_ASSERT_EQUAL(txq_run(&x.t), 0);
	CU_ASSERT_EQUAL(x.psv[12], 0x50);
	printf("\n  %s: segment at %zu lost; RESYNC named record %zu; %d segments decrypted after "
	       "the answer",
	       suite_name(s), drop, guess, decrypted_after);
	tlsfx_fini(&x);
}

static void test_tls_end_to_end(void)
{
	static const struct {
		int version;
		unsigned bits;
	} combos[] = {
		{ TLS1_2_VERSION, 128 },
		{ TLS1_2_VERSION, 256 },
		{ TLS1_3_VERSION, 128 },
		{ TLS1_3_VERSION, 256 },
	};

	for (size_t i = 0; i < sizeof(combos) / sizeof(combos[0]); i++) {
		struct stream s;

		CU_ASSERT_EQUAL_FATAL(stream_make(&s, combos[i].version, combos[i].bits), 0);
		run_in_order(&s);
		run_corrupt(&s);
		run_header_loss(&s);
		stream_free(&s);
	}
}

/* The TIR WQEs' own rules (sq_tls_wqe.c): unknown / plain TIR, params before static, GET_PSV
 * format, alignment and memory access, the DEK's owner. */
static void test_tir_wqes(void)
{
	struct fx f;
	struct txq t;
	struct tls_static_info si = { 0 };
	uint8_t key[16] = { 1, 2, 3 };
	uint32_t dek, tls_tir, plain_tir, ro_lkey = 0, other_dek;
	uint16_t other;
	uint32_t other_pd;
	uint8_t *ro = aligned_alloc(64, 4096);
	uint8_t *w;

	FX_INIT(&f, NULL, 2, 2);
	CU_ASSERT_FATAL(ro != NULL);
	CU_ASSERT_EQUAL_FATAL(txq_init(&t, f.dev, f.tis, f.pd, NULL), 0);
	dek = new_tls_dek(f.dev, f.uid, f.pd, key, 16);
	tls_tir = create_tir(f.dev, f.uid, f.td, f.q.ri.rqn, 1);
	plain_tir = create_tir(f.dev, f.uid, f.td, f.q.ri.rqn, 0);
	CU_ASSERT_EQUAL_FATAL(sim_uctx_alloc(f.dev, &other), 0);
	other_pd = new_num(f.dev, other, MLX5_CMD_OP_ALLOC_PD);
	other_dek = new_tls_dek(f.dev, other, other_pd, key, 16);
	CU_ASSERT_FATAL(dek && tls_tir && plain_tir && other_dek);
	CU_ASSERT_EQUAL_FATAL(sim_mr_reg(f.dev, f.pd, ro, 4096, &ro_lkey), 0);
	si.dek_index = dek;

	post_static_tir(&t, tls_tir + 100, &si);
	CU_ASSERT_EQUAL(txq_run(&t), SQ_ERR(MLX5_CQE_SYNDROME_LOCAL_QP_OP_ERR,
					    SIM_VSYND_TIR_UNKNOWN));
	txq_recover(&t);
	post_static_tir(&t, plain_tir, &si);
	CU_ASSERT_EQUAL(txq_run(&t), SQ_ERR(MLX5_CQE_SYNDROME_LOCAL_QP_OP_ERR,
					    SIM_VSYND_TIR_NOT_TLS));
	txq_recover(&t);
	/* a TIS number where a TIR is due: no TIR has it */
	post_progress_tir(&t, f.tis, 1);
	CU_ASSERT_EQUAL(txq_run(&t), SQ_ERR(MLX5_CQE_SYNDROME_LOCAL_QP_OP_ERR,
					    SIM_VSYND_TIR_UNKNOWN));
	txq_recover(&t);
	post_progress_tir(&t, tls_tir, 1);
	CU_ASSERT_EQUAL(txq_run(&t), SQ_ERR(MLX5_CQE_SYNDROME_LOCAL_QP_OP_ERR,
					    SIM_VSYND_TIR_NO_CONTEXT));
	txq_recover(&t);
	post_get_psv(&t, tls_tir, f.q.lkey, (uintptr_t)f.q.mem, 0x10);
	CU_ASSERT_EQUAL(txq_run(&t), SQ_ERR(MLX5_CQE_SYNDROME_LOCAL_QP_OP_ERR,
					    SIM_VSYND_TIR_NO_CONTEXT));
	txq_recover(&t);
	/* the DEK of another uid (a TIR has no PD to compare) */
	si.dek_index = other_dek;
	post_static_tir(&t, tls_tir, &si);
	CU_ASSERT_EQUAL(txq_run(&t), SQ_ERR(MLX5_CQE_SYNDROME_LOCAL_QP_OP_ERR,
					    SIM_VSYND_DEK_NOT_OWNED));
	txq_recover(&t);
	si.dek_index = dek + 1000;
	post_static_tir(&t, tls_tir, &si);
	CU_ASSERT_EQUAL(txq_run(&t), SQ_ERR(MLX5_CQE_SYNDROME_LOCAL_QP_OP_ERR,
					    SIM_VSYND_DEK_INVALID));
	txq_recover(&t);
	si.dek_index = dek;
	post_static_tir(&t, tls_tir, &si);
	post_progress_tir(&t, tls_tir, 1);
	CU_ASSERT_EQUAL(txq_run(&t), 0);
	/* progress params other than a START are not what a driver posts */
	w = txq_reserve(&t, 1);
	wqe_build_progress_params(w, t.pc, t.si.sqn, MLX5TLS_OPC_MOD_TIR, tls_tir, false, 1);
	w[28] = 0x40; /* TRACKING */
	t.pc++;
	CU_ASSERT_EQUAL(txq_run(&t), SQ_ERR(MLX5_CQE_SYNDROME_LOCAL_QP_OP_ERR,
					    SIM_VSYND_PROGRESS_PARAMS));
	txq_recover(&t);
	/* GET_PSV: format, alignment, memory */
	post_get_psv(&t, tls_tir, f.q.lkey, (uintptr_t)f.q.mem, 0x20);
	CU_ASSERT_EQUAL(txq_run(&t), SQ_ERR(MLX5_CQE_SYNDROME_LOCAL_QP_OP_ERR,
					    SIM_VSYND_GET_PSV_FORMAT));
	txq_recover(&t);
	post_get_psv(&t, tls_tir, f.q.lkey, (uintptr_t)f.q.mem, 0x10);
	put32(t.last + 52, 5); /* psv_index[1] */
	CU_ASSERT_EQUAL(txq_run(&t), SQ_ERR(MLX5_CQE_SYNDROME_LOCAL_QP_OP_ERR,
					    SIM_VSYND_GET_PSV_FORMAT));
	txq_recover(&t);
	post_get_psv(&t, tls_tir, f.q.lkey, (uintptr_t)f.q.mem + 32, 0x10);
	CU_ASSERT_EQUAL(txq_run(&t), SQ_ERR(MLX5_CQE_SYNDROME_LOCAL_QP_OP_ERR,
					    SIM_VSYND_GET_PSV_ALIGN));
	txq_recover(&t);
	post_get_psv(&t, tls_tir, ro_lkey, (uintptr_t)ro, 0x10);
	CU_ASSERT_EQUAL(txq_run(&t), SQ_ERR(MLX5_CQE_SYNDROME_LOCAL_PROT_ERR,
					    SIM_VSYND_MR_NO_WRITE));
	txq_recover(&t);
	post_get_psv(&t, plain_tir, f.q.lkey, (uintptr_t)f.q.mem, 0x10);
	CU_ASSERT_EQUAL(txq_run(&t), SQ_ERR(MLX5_CQE_SYNDROME_LOCAL_QP_OP_ERR,
					    SIM_VSYND_TIR_NOT_TLS));
	txq_recover(&t);
	w = txq_reserve(&t, 1);
	post_get_psv(&t, tls_tir, f.q.lkey, (uintptr_t)f.q.mem, 0x10);
	w[0] = MLX5TLS_OPC_MOD_TIS;
	CU_ASSERT_EQUAL(txq_run(&t), SQ_ERR(MLX5_CQE_SYNDROME_LOCAL_QP_OP_ERR,
					    SIM_VSYND_BAD_OPC_MOD));
	txq_recover(&t);
	/* and the good one: START, next_record_tcp_sn 1, nothing received yet (R12) */
	post_get_psv(&t, tls_tir, f.q.lkey, (uintptr_t)f.q.mem, 0x10);
	CU_ASSERT_EQUAL(txq_run(&t), 0);
	{
		static const uint8_t start[12] = { 0, 0, 0, 1 };

		CU_ASSERT_EQUAL(get32(f.q.mem), tls_tir);
		TEST_ASSERT_BYTES("GET_PSV image", f.q.mem + 4, start, 12);
	}
	{
		struct sim_sq_stats st;

		sim_sq_get_stats(t.sq, &st);
		CU_ASSERT_EQUAL(st.tls_rx_static, 1);
		CU_ASSERT_EQUAL(st.tls_rx_progress, 1);
		CU_ASSERT_EQUAL(st.get_psv, 1);
	}
	CU_ASSERT_STRING_EQUAL(sim_sq_vsynd_str(SIM_VSYND_GET_PSV_ALIGN), "GET_PSV_ALIGN");
	txq_fini(&t);
	CU_ASSERT_EQUAL(sim_mr_dereg(f.dev, ro_lkey), 0);
	free(ro);
	fx_fini(&f);
}

/* ---- a TLS TIR destroyed while frames for it are delivered (tls_rx_ctx.c LIFETIME) ---- */

#define TIR_ROUNDS 150

struct tir_race {
	struct fx *f;
	uint8_t fr[256];
	size_t n;
	int stop;
	uint64_t sent;
};

static void *tir_race_inject(void *arg)
{
	struct tir_race *c = arg;

	while (!__atomic_load_n(&c->stop, __ATOMIC_ACQUIRE)) {
		sim_dev_rx(c->f->dev, c->fr, c->n);
		__atomic_fetch_add(&c->sent, 1, __ATOMIC_RELEASE);
	}
	return NULL;
}

/* One thread receives frames of a flow without pause; this one creates a TLS TIR, keys it
 * (static and progress params through an SQ), steers the flow to it, lets frames through, then
 * deletes the rule and destroys the TIR (its context goes), TIR_ROUNDS times. The RQ caches the
 * context of the TIR it delivers for: no delivery may use a context after its TIR's destroy
 * freed it (ASan/TSan builds see it), every frame steered to a TLS TIR went through the TLS
 * stage with that TIR's context (no frame of a live rule finds none), and the others were
 * dropped for want of a rule, as the device drops them. A TIR number reused later starts with
 * no context. */
static void test_tir_destroy_in_flight(void)
{
	struct fx f;
	struct txq t;
	struct tir_race c = { 0 };
	struct tls_static_info si = { 0 };
	struct sim_flow_match m;
	struct sim_rq_stats st;
	struct sim_rx_stats rs;
	uint8_t key[16] = { 7, 6, 5 };
	uint32_t dek, tirn = 0;
	pthread_t inj;
	int errors = 0;

	FX_INIT(&f, NULL, 6, 8);
	CU_ASSERT_EQUAL_FATAL(txq_init(&t, f.dev, f.tis, f.pd, NULL), 0);
	dek = new_tls_dek(f.dev, f.uid, f.pd, key, 16);
	CU_ASSERT_FATAL(dek != 0);
	si.dek_index = dek;
	flow_match(&flow_v4, 6, &m);
	c.f = &f;
	c.n = frame(c.fr, &flow_v4, 6, 1, 0x18, payload, 64, CS_GOOD, false);
	rxq_post(&f.q, 64);
	CU_ASSERT_EQUAL_FATAL(pthread_create(&inj, NULL, tir_race_inject, &c), 0);
	for (int i = 0; i < TIR_ROUNDS; i++) {
		uint32_t rule = 0;

		tirn = create_tir(f.dev, f.uid, f.td, f.q.ri.rqn, 1);
		if (!tirn) {
			errors++;
			break;
		}
		post_static_tir(&t, tirn, &si);
		post_progress_tir(&t, tirn, 1);
		if (txq_run(&t) || sim_steer_add(f.dev, &m, tirn, &rule)) {
			errors++;
			break;
		}
		/* frames through the rule (two: the first may have begun before it), a different
		 * number each round; the TIR then goes while the next ones are on their way */
		{
			uint64_t s0 = __atomic_load_n(&c.sent, __ATOMIC_ACQUIRE);
			uint64_t want = s0 + 2 + (uint64_t)(i % 7) * 10;
			long spins = 0;

			while (__atomic_load_n(&c.sent, __ATOMIC_ACQUIRE) < want &&
			       spins++ < 50000000)
				sched_yield();
			if (spins >= 50000000)
				errors++; /* the injector stopped */
		}
		if (sim_steer_del(f.dev, rule) || destroy_tir(f.dev, f.uid, tirn))
			errors++;
	}
	__atomic_store_n(&c.stop, 1, __ATOMIC_RELEASE);
	pthread_join(inj, NULL);
	CU_ASSERT_EQUAL(errors, 0);
	sim_rq_get_stats(f.q.rq, &st);
	sim_dev_get_rx_stats(f.dev, &rs);
	CU_ASSERT_EQUAL(rs.frames, c.sent);
	CU_ASSERT_EQUAL(rs.steered + rs.no_match, c.sent);
	CU_ASSERT(rs.steered > 0);
	/* each steered frame through the TLS stage of a keyed TIR */
	CU_ASSERT_EQUAL(st.tls_no_context, 0);
	CU_ASSERT_EQUAL(st.tls_engine_errors, 0);
	CU_ASSERT_EQUAL(st.tls_not_decrypted + st.tls_decrypted + st.tls_resync + st.tls_error,
			rs.steered);
	CU_ASSERT_EQUAL(st.packets + st.out_of_buffer, rs.steered);
	/* a new TIR on the same RQ, not keyed: its frames find no context (not the cached one) */
	tirn = create_tir(f.dev, f.uid, f.td, f.q.ri.rqn, 1);
	{
		uint32_t rule = 0;

		CU_ASSERT_EQUAL_FATAL(sim_steer_add(f.dev, &m, tirn, &rule), 0);
		sim_dev_rx(f.dev, c.fr, c.n);
		sim_rq_get_stats(f.q.rq, &st);
		CU_ASSERT_EQUAL(st.tls_no_context, 1);
		CU_ASSERT_EQUAL(sim_steer_del(f.dev, rule), 0);
	}
	CU_ASSERT_EQUAL(destroy_tir(f.dev, f.uid, tirn), 0);
	txq_fini(&t);
	fx_fini(&f);
}

static int suite_cleanup(void)
{
	tls_peer_global_cleanup();
	return 0;
}

static const struct test_case cases[] = {
	{ "TIR WQEs through the SQ", test_tir_wqes },
	{ "TLS RX end to end: in order, corrupted, header lost", test_tls_end_to_end },
	{ "TLS TIR destroyed while its frames are delivered", test_tir_destroy_in_flight },
	{ NULL, NULL },
};

static const struct test_suite suites[] = {
	{ "sim RQ", NULL, suite_cleanup, cases },
	{ NULL, NULL, NULL, NULL },
};

int main(void)
{
	return test_run_suites(suites);
}
