/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Device model: the send queue's TLS WQEs - static and progress params, DUMP, SEND and LSO through
 * a recording engine and through the built-in engine (checked with this file's own AES-GCM, OpenSSL
 * EVP), their errors, and the engine state following its DEK. The fixture is
 * tests/util/sim_sq_fixture.h.
 */
#include <openssl/evp.h>

#include "sim_sq_fixture.h"

static void test_tls_fake_engine(void)
{
	struct fx f;
	struct tls_static_info si;
	uint32_t dek;
	uint8_t h[64], want[64] = { 0 }, w[1024] = { 0 };
	uint16_t send_idx, lso_idx;
	struct dseg d;
	struct sim_sq_stats st;
	/* frame sequences and payload lengths on the wire (the SEND, then 3 LSO segments) */
	static const uint32_t seqs[4] = {1000, 1500, 2948, 4396}, lens[4] = {500, 1448, 1448, 104};

	FX_INIT(&f, .log_wqebbs = 6, .log_cqes = 6, .ops = &fake_ops);
	dek = new_tls_dek(f.dev, f.uid, f.pd, key128, 16);
	CU_ASSERT_FATAL(dek != 0);
	fill_pattern(f.mem, 4096, 0x33);
	/* the kernel's order (fact sheet 10.3): static, progress (fenced), fenced NOP, data */
	static_info(&si, dek, 7);
	post_static(&f, f.tls_tis, false, &si);
	post_progress(&f, f.tls_tis, true, 0);
	wqe_build_fence_nop(w, f.pc, f.sqi.sqn);
	post(&f, w, 64);
	hdr_v4(h, 1000, 500, 1, 0x18);
	send_idx = post_send(&f, f.tls_tis, MLX5TLS_WQE_CQ_UPDATE, 0xc0, h, 54, 0, 500);
	/* a resync replay: DUMP bytes reach the engine and are not sent */
	memset(w, 0, sizeof(w));
	wqe_build_dump(w, f.pc, f.sqi.sqn, f.tls_tis, (uintptr_t)(f.mem + 100), f.lkey, 300, true);
	post(&f, w, 64);
	/* LSO through the TIS: the whole payload goes through the engine at the template's TCP
	 * sequence (the segments' payloads back to back), then is cut into segments */
	memset(w, 0, sizeof(w));
	hdr_v4(h, 1500, 0, 2, 0x18);
	d = (struct dseg){ 3000, (uintptr_t)(f.mem + 1000), f.lkey, false };
	lso_idx = post(&f, w, build_send(w, f.pc, f.sqi.sqn, MLX5TLS_OPCODE_LSO, f.tls_tis,
					 MLX5TLS_WQE_CQ_UPDATE, 0xc0, 1448, h, 54, &d, 1));
	/* a plain SEND on the default TIS: the payload is left alone */
	hdr_v4(h, 9, 20, 3, 0x18);
	post_send(&f, 0, MLX5TLS_WQE_CQ_UPDATE, 0xc0, h, 54, 0, 20);
	ring_db(&f);
	CU_ASSERT_EQUAL(sim_sq_process(f.sq), 7);
	expect_cqe(&f, send_idx, 0, 0);
	expect_cqe(&f, lso_idx, 0, 0);
	expect_cqe(&f, (uint16_t)(lso_idx + 2), 0, 0);

	CU_ASSERT_FATAL(fake_last != NULL);
	CU_ASSERT_EQUAL(fake_last->n_static, 1);
	CU_ASSERT_EQUAL(fake_last->n_progress, 1);
	tls_progress_params_fill(want, 0, MLX5_TLS_PROGRESS_PARAMS_RECORD_TRACKER_STATE_START,
				 MLX5_TLS_PROGRESS_PARAMS_AUTH_STATE_NO_OFFLOAD);
	TEST_ASSERT_BYTES("progress params seen by the engine", fake_last->progress, want, 12);
	CU_ASSERT_EQUAL(fake_last->n_dump, 1);
	CU_ASSERT_EQUAL(fake_last->dump_bytes, 300);
	CU_ASSERT_EQUAL(fake_last->dump_first, f.mem[100]);
	CU_ASSERT_EQUAL_FATAL(fake_last->n_data, 2);
	CU_ASSERT_EQUAL(fake_last->seq[0], 1000);
	CU_ASSERT_EQUAL(fake_last->len[0], 500);
	CU_ASSERT_EQUAL(fake_last->seq[1], 1500);
	CU_ASSERT_EQUAL(fake_last->len[1], 3000);
	CU_ASSERT_EQUAL_FATAL(sim_port_capture_count(f.cap), 5);
	for (size_t i = 0; i < 5; i++) {
		size_t len = 0;
		const uint8_t *fr = sim_port_capture_frame(f.cap, i, &len);
		const uint8_t *src = i == 0 || i == 4 ? f.mem : f.mem + 1000 + (seqs[i] - 1500);
		uint8_t x = i < 4 ? 0x5a : 0;

		CU_ASSERT_EQUAL_FATAL(len, 54 + (i < 4 ? lens[i] : 20));
		for (size_t j = 0; j < len - 54; j++)
			CU_ASSERT_EQUAL_FATAL(fr[54 + j], src[j] ^ x);
		/* checksums cover the ciphertext (fact sheet 14b: the device replaces the TCP sum)
		 */
		CU_ASSERT_EQUAL(l4_csum(fr + 14, false, fr + 34, (uint32_t)len - 34, 6), 0);
		CU_ASSERT_EQUAL(test_csum_field(test_csum_add(0, fr + 14, 20)), 0);
	}
	sim_sq_get_stats(f.sq, &st);
	CU_ASSERT_EQUAL(st.tls_static, 1);
	CU_ASSERT_EQUAL(st.tls_progress, 1);
	CU_ASSERT_EQUAL(st.tls_dump_wqes, 1);
	CU_ASSERT_EQUAL(st.tls_dump_bytes, 300);
	CU_ASSERT_EQUAL(st.tls_frames, 4);
	CU_ASSERT_EQUAL(st.tls_bytes, 3500);
	CU_ASSERT_EQUAL(st.tls_unfenced_after_params, 0);

	/* params, then data with no fence anywhere in between: counted */
	post_progress(&f, f.tls_tis, false, 0);
	hdr_v4(h, 4500, 20, 4, 0x18);
	post_send(&f, f.tls_tis, MLX5TLS_WQE_CQ_UPDATE, 0xc0, h, 54, 0, 20);
	ring_db(&f);
	CU_ASSERT_EQUAL(sim_sq_process(f.sq), 2);
	expect_cqe(&f, (uint16_t)(f.pc - 2), 0, 0);
	sim_sq_get_stats(f.sq, &st);
	CU_ASSERT_EQUAL(st.tls_unfenced_after_params, 1);
	fx_fini(&f);
	CU_ASSERT_EQUAL(fake_ctx_count, 0);
}

static void test_tls_errors(void)
{
	struct fx f;
	struct tls_static_info si;
	uint32_t dek, pd2, dek2, tis3;
	uint8_t h[64], w[1024];
	uint16_t idx;
	struct dseg d;

	FX_INIT(&f, .log_wqebbs = 5, .log_cqes = 6, .ops = &fake_ops);
	dek = new_tls_dek(f.dev, f.uid, f.pd, key128, 16);
	pd2 = new_num(f.dev, f.uid, MLX5_CMD_OP_ALLOC_PD);
	dek2 = new_tls_dek(f.dev, f.uid, pd2, key128, 16);
	CU_ASSERT_FATAL(dek && pd2 && dek2);
	fill_pattern(f.mem, 4096, 0x11);
	hdr_v4(h, 1, 100, 1, 0x18);

	g_case = "TLS data before static params";
	idx = post_send(&f, f.tls_tis, 0, 0xc0, h, 54, 0, 100);
	ring_db(&f);
	sim_sq_process(f.sq);
	expect_cqe(&f, idx, MLX5_CQE_SYNDROME_LOCAL_QP_OP_ERR, SIM_VSYND_TIS_NO_CONTEXT);
	recover(&f);

	g_case = "progress before static params";
	idx = post_progress(&f, f.tls_tis, true, 0);
	ring_db(&f);
	sim_sq_process(f.sq);
	expect_cqe(&f, idx, MLX5_CQE_SYNDROME_LOCAL_QP_OP_ERR, SIM_VSYND_TIS_NO_CONTEXT);
	recover(&f);

	g_case = "static params naming no DEK";
	static_info(&si, 0x654321, 0);
	idx = post_static(&f, f.tls_tis, false, &si);
	ring_db(&f);
	sim_sq_process(f.sq);
	expect_cqe(&f, idx, MLX5_CQE_SYNDROME_LOCAL_QP_OP_ERR, SIM_VSYND_DEK_INVALID);
	recover(&f);

	g_case = "DEK in another PD than the TIS";
	static_info(&si, dek2, 0);
	idx = post_static(&f, f.tls_tis, false, &si);
	ring_db(&f);
	sim_sq_process(f.sq);
	expect_cqe(&f, idx, MLX5_CQE_SYNDROME_LOCAL_PROT_ERR, SIM_VSYND_PD_MISMATCH);
	recover(&f);

	g_case = "static params with const_2 wrong";
	static_info(&si, dek, 0);
	idx = post_static(&f, f.tls_tis, false, &si);
	slot(&f, (uint16_t)(idx + 2))[0] = 0x49;
	ring_db(&f);
	sim_sq_process(f.sq);
	expect_cqe(&f, idx, MLX5_CQE_SYNDROME_LOCAL_QP_OP_ERR, SIM_VSYND_STATIC_PARAMS);
	recover(&f);
	CU_ASSERT_EQUAL(fake_ctx_count, 0); /* nothing was created by the failures */

	/* now a good context */
	static_info(&si, dek, 0);
	post_static(&f, f.tls_tis, false, &si);
	ring_db(&f);
	CU_ASSERT_EQUAL(sim_sq_process(f.sq), 1);
	CU_ASSERT_EQUAL(fake_ctx_count, 1);

	g_case = "progress with tracker state 3";
	memset(w, 0, sizeof(w));
	wqe_build_progress_params(w, f.pc, f.sqi.sqn, MLX5TLS_OPC_MOD_TIS, f.tls_tis, true, 0);
	w[28] = 0xc0;
	idx = post(&f, w, 64);
	ring_db(&f);
	sim_sq_process(f.sq);
	expect_cqe(&f, idx, MLX5_CQE_SYNDROME_LOCAL_QP_OP_ERR, SIM_VSYND_PROGRESS_PARAMS);
	recover(&f);

	g_case = "TLS TIS on a UDP frame";
	h[23] = 17;
	idx = post_send(&f, f.tls_tis, 0, 0xc0, h, 54, 0, 100);
	h[23] = 6;
	ring_db(&f);
	sim_sq_process(f.sq);
	expect_cqe(&f, idx, MLX5_CQE_SYNDROME_LOCAL_QP_OP_ERR, SIM_VSYND_TLS_NOT_TCP);
	recover(&f);

	g_case = "TLS frame with L3/L4 not inline";
	memcpy(f.mem + 8192, h + 18, 36);
	fill_pattern(f.mem + 8192 + 36, 100, 0x22);
	memset(w, 0, sizeof(w));
	d = (struct dseg){ 136, (uintptr_t)(f.mem + 8192), f.lkey, false };
	idx = post(&f, w, build_send(w, f.pc, f.sqi.sqn, MLX5TLS_OPCODE_SEND, f.tls_tis, 0, 0xc0, 0,
				     h, 18, &d, 1));
	ring_db(&f);
	sim_sq_process(f.sq);
	expect_cqe(&f, idx, MLX5_CQE_SYNDROME_LOCAL_QP_OP_ERR, SIM_VSYND_TLS_HDR_NOT_INLINE);
	recover(&f);

	g_case = "DUMP through a plain TIS";
	memset(w, 0, sizeof(w));
	wqe_build_dump(w, f.pc, f.sqi.sqn, f.tis, (uintptr_t)f.mem, f.lkey, 100, false);
	idx = post(&f, w, 64);
	ring_db(&f);
	sim_sq_process(f.sq);
	expect_cqe(&f, idx, MLX5_CQE_SYNDROME_LOCAL_QP_OP_ERR, SIM_VSYND_TIS_NOT_TLS);
	recover(&f);

	g_case = "static params for a destroyed TIS";
	tis3 = create_tis(f.dev, f.uid, f.td, f.pd, 1);
	CU_ASSERT_FATAL(tis3 != 0);
	/* first taken through it: the queue's last look-up is this TIS (sim_tis_get_cached), and
	 * must not outlive it */
	post_static(&f, tis3, false, &si);
	ring_db(&f);
	CU_ASSERT_EQUAL(sim_sq_process(f.sq), 1);
	expect_no_cqe(&f);
	CU_ASSERT_EQUAL(destroy_tis(f.dev, f.uid, tis3), 0);
	idx = post_static(&f, tis3, false, &si);
	ring_db(&f);
	sim_sq_process(f.sq);
	expect_cqe(&f, idx, MLX5_CQE_SYNDROME_LOCAL_QP_OP_ERR, SIM_VSYND_TIS_UNKNOWN);
	recover(&f);
	g_case = NULL;
	CU_ASSERT_EQUAL(sim_port_capture_count(f.cap), 0);
	fx_fini(&f);
	CU_ASSERT_EQUAL(fake_ctx_count, 0);
}

/* Run a DEK command built by the library's encoders; 0 or the model's -errno. */
static int dek_cmd(struct fx *f, const uint8_t *in, size_t inlen, uint8_t out[DEK_HDR_OUT_SZ])
{
	memset(out, 0, DEK_HDR_OUT_SZ);
	return sim_cmd_exec(f->dev, f->uid, in, inlen, out, DEK_HDR_OUT_SZ);
}

/* A TIS's engine state goes with the key it was made from (issue 10: a pooled TIS whose
 * connection went away holds none): re-keying its DEK element after a sync, or destroying the
 * DEK, drops it; a TIS keyed from another element keeps its own; new static params bring it
 * back. */
static void test_tls_ctx_follows_dek(void)
{
	uint8_t in[DEK_MODIFY_IN_SZ], out[DEK_HDR_OUT_SZ], h[64];
	struct tls_static_info si;
	struct cmd_secret secret;
	uint32_t base, single, tis2;
	uint16_t idx;
	struct fx f;

	FX_INIT(&f, .log_wqebbs = 5, .log_cqes = 6, .ops = &fake_ops);
	memset(in, 0, sizeof(in));
	dek_encode_create_bulk(in, f.pd, 2);
	CU_ASSERT_EQUAL_FATAL(dek_cmd(&f, in, DEK_CREATE_IN_SZ, out), 0);
	base = get32(out + 8);
	for (uint32_t i = 0; i < 2; i++) {
		memset(in, 0, sizeof(in));
		dek_encode_modify(in, base, i, f.pd, key128, 16, &secret);
		CU_ASSERT_EQUAL_FATAL(dek_cmd(&f, in, DEK_MODIFY_IN_SZ, out), 0);
	}
	single = new_tls_dek(f.dev, f.uid, f.pd, key128, 16);
	tis2 = create_tis(f.dev, f.uid, f.td, f.pd, 1);
	CU_ASSERT_FATAL(single && tis2);
	static_info(&si, base, 0);
	post_static(&f, f.tls_tis, false, &si);
	static_info(&si, base + 1, 0);
	post_static(&f, tis2, false, &si);
	ring_db(&f);
	CU_ASSERT_EQUAL(sim_sq_process(f.sq), 2);
	CU_ASSERT_EQUAL(fake_ctx_count, 2);

	/* element 0 freed, synced and re-keyed: the first TIS's state goes, the second's stays */
	memset(in, 0, sizeof(in));
	sync_crypto_encode(in, MLX5_SYNC_CRYPTO_TYPE_TLS);
	CU_ASSERT_EQUAL(dek_cmd(&f, in, SYNC_CRYPTO_IN_SZ, out), 0);
	memset(in, 0, sizeof(in));
	dek_encode_modify(in, base, 0, f.pd, key128, 16, &secret);
	CU_ASSERT_EQUAL(dek_cmd(&f, in, DEK_MODIFY_IN_SZ, out), 0);
	CU_ASSERT_EQUAL(fake_ctx_count, 1);
	/* data on it fails as it would before any static params */
	hdr_v4(h, 1, 100, 1, 0x18);
	idx = post_send(&f, f.tls_tis, 0, 0xc0, h, 54, 0, 100);
	ring_db(&f);
	sim_sq_process(f.sq);
	expect_cqe(&f, idx, MLX5_CQE_SYNDROME_LOCAL_QP_OP_ERR, SIM_VSYND_TIS_NO_CONTEXT);
	recover(&f);

	/* its next user's static params make a new one; destroying that DEK drops it again */
	static_info(&si, single, 0);
	post_static(&f, f.tls_tis, false, &si);
	ring_db(&f);
	CU_ASSERT_EQUAL(sim_sq_process(f.sq), 1);
	CU_ASSERT_EQUAL(fake_ctx_count, 2);
	memset(in, 0, sizeof(in));
	dek_encode_destroy(in, single);
	CU_ASSERT_EQUAL(dek_cmd(&f, in, DEK_HDR_IN_SZ, out), 0);
	CU_ASSERT_EQUAL(fake_ctx_count, 1);
	/* the whole bulk goes: so does the second TIS's state */
	memset(in, 0, sizeof(in));
	dek_encode_destroy(in, base);
	CU_ASSERT_EQUAL(dek_cmd(&f, in, DEK_HDR_IN_SZ, out), 0);
	CU_ASSERT_EQUAL(fake_ctx_count, 0);
	CU_ASSERT_EQUAL(destroy_tis(f.dev, f.uid, tis2), 0);
	fx_fini(&f);
}

/* The profile's tls_cap decides what static params may ask for (fact sheet 5.3). */
static void test_tls_suites(void)
{
	struct fx f;
	struct tls_static_info si;
	uint32_t dek;
	uint16_t idx;
	static const uint8_t key256[32] = { 1, 2, 3 };

	FX_INIT(&f, .profile = "cx6dx-legacy", .log_wqebbs = 4, .log_cqes = 4, .ops = &fake_ops);
	dek = new_tls_dek(f.dev, f.uid, f.pd, key128, 16);
	CU_ASSERT_FATAL(dek != 0);
	static_info(&si, dek, 0);
	si.tls13 = true;
	idx = post_static(&f, f.tls_tis, false, &si);
	ring_db(&f);
	sim_sq_process(f.sq);
	expect_cqe(&f, idx, MLX5_CQE_SYNDROME_LOCAL_QP_OP_ERR, SIM_VSYND_TLS_SUITE);
	recover(&f);
	si.tls13 = false;
	idx = post_static(&f, f.tls_tis, false, &si);
	post_nop(&f, MLX5TLS_WQE_CQ_UPDATE);
	ring_db(&f);
	sim_sq_process(f.sq);
	expect_cqe(&f, (uint16_t)(idx + 3), 0, 0);
	/* AES-256 is not in the legacy profile either */
	dek = new_tls_dek(f.dev, f.uid, f.pd, key256, 32);
	if (dek) {
		static_info(&si, dek, 0);
		idx = post_static(&f, f.tls_tis, false, &si);
		ring_db(&f);
		sim_sq_process(f.sq);
		expect_cqe(&f, idx, MLX5_CQE_SYNDROME_LOCAL_QP_OP_ERR, SIM_VSYND_TLS_SUITE);
	}
	fx_fini(&f);
}

/* ---- the built-in TLS TX engine, checked with this file's own AES-GCM (OpenSSL EVP) ---- */

static int gcm_open(const uint8_t *key, size_t key_len, const uint8_t nonce[12], const uint8_t *aad,
		    int aad_len, const uint8_t *ct, int len, const uint8_t *tag, uint8_t *pt)
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int outl = 0, ok;

	if (!c)
		return -1;
	ok = EVP_DecryptInit_ex(c, key_len == 16 ? EVP_aes_128_gcm() : EVP_aes_256_gcm(), NULL,
				NULL, NULL) &&
	     EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_IVLEN, 12, NULL) &&
	     EVP_DecryptInit_ex(c, NULL, NULL, key, nonce) &&
	     EVP_DecryptUpdate(c, NULL, &outl, aad, aad_len) &&
	     EVP_DecryptUpdate(c, pt, &outl, ct, len) &&
	     EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, 16, (void *)tag) &&
	     EVP_DecryptFinal_ex(c, pt + outl, &outl) > 0;
	EVP_CIPHER_CTX_free(c);
	return ok ? 0 : -1;
}

/* Lay out a kTLS TX record at p: header, [TLS 1.2: explicit nonce = record number], plaintext,
 * [TLS 1.3: inner content type 0x17], 16 zero bytes for the tag. Returns its length. */
static size_t ktls_record(uint8_t *p, bool tls13, uint64_t recno, const uint8_t *pt, size_t plen)
{
	size_t inner = tls13 ? plen + 1 + 16 : 8 + plen + 16, off = 5;

	p[0] = 0x17;
	p[1] = 0x03;
	p[2] = 0x03;
	put16(p + 3, (uint16_t)inner);
	if (!tls13) {
		put64(p + 5, recno);
		off += 8;
	}
	memcpy(p + off, pt, plen);
	off += plen;
	if (tls13)
		p[off++] = 0x17;
	memset(p + off, 0, 16);
	return 5 + inner;
}

/* Decrypt and check one record of the wire stream at w (TLS 1.2 RFC 5246 6.2.3.3 / TLS 1.3
 * RFC 8446 5.2-5.3); 0 if the tag verifies and the plaintext is `pt`. */
static int ktls_check(const uint8_t *w, bool tls13, const uint8_t *key, size_t key_len,
		      const uint8_t salt[4], const uint8_t iv[8], uint64_t recno, const uint8_t *pt,
		      size_t plen)
{
	uint8_t nonce[12], aad[13], out[20000];
	const uint8_t *ct;
	int ctlen, aad_len;

	memcpy(nonce, salt, 4);
	if (tls13) {
		memcpy(nonce + 4, iv, 8);
		for (int i = 0; i < 8; i++)
			nonce[4 + i] ^= (uint8_t)(recno >> (56 - 8 * i));
		memcpy(aad, w, 5);
		aad_len = 5;
		ct = w + 5;
		ctlen = (int)plen + 1;
	} else {
		memcpy(nonce + 4, w + 5, 8);
		put64(aad, recno);
		memcpy(aad + 8, w, 3);
		put16(aad + 11, (uint16_t)plen);
		aad_len = 13;
		ct = w + 13;
		ctlen = (int)plen;
	}
	if (gcm_open(key, key_len, nonce, aad, aad_len, ct, ctlen, ct + ctlen, out))
		return -1;
	if (memcmp(out, pt, plen) || (tls13 && out[plen] != 0x17))
		return -2;
	return 0;
}

/* Copy the TCP payload of every captured frame into stream[seq - seq0], checking checksums. */
static size_t reassemble(struct sim_port *cap, size_t first, uint32_t seq0, uint8_t *stream,
			 size_t cap_len)
{
	size_t end = 0, n = sim_port_capture_count(cap);

	for (size_t i = first; i < n; i++) {
		size_t len = 0;
		const uint8_t *fr = sim_port_capture_frame(cap, i, &len);
		uint32_t tot = get16(fr + 16), plen = tot - 40, off = get32(fr + 38) - seq0;

		CU_ASSERT_EQUAL(test_csum_field(test_csum_add(0, fr + 14, 20)), 0);
		CU_ASSERT_EQUAL(l4_csum(fr + 14, false, fr + 34, tot - 20, 6), 0);
		CU_ASSERT_FATAL(off + plen <= cap_len);
		memcpy(stream + off, fr + 54, plen);
		if (off + plen > end)
			end = off + plen;
	}
	return end;
}

/*
 * TLS 1.2 AES-GCM-128: two records (1000 and 2500 bytes of plaintext) sent as a SEND of the first
 * 600 bytes and an LSO of the rest (MSS 1448), so records straddle segments; then an out-of-order
 * retransmission of record 2's tail with the kernel's resync (static params with the record's
 * number, progress params, fenced NOP, DUMPs of the record prefix), which must reproduce the same
 * ciphertext and tag.
 */
static void test_tls12_builtin(void)
{
	struct fx f;
	struct tls_static_info si;
	static const uint8_t salt[4] = { 0xa1, 0xa2, 0xa3, 0xa4 };
	uint8_t h[64], w[1024] = { 0 };
	uint8_t pt1[1000], pt2[2500], *plain, *stream;
	uint32_t dek, seq0 = 0xfffff800; /* the TCP sequence wraps inside the stream */
	size_t r1, r2, total, got;
	struct dseg d;
	struct sim_sq_stats st;

	FX_INIT(&f, .log_wqebbs = 6, .log_cqes = 6);
	dek = new_tls_dek(f.dev, f.uid, f.pd, key128, 16);
	CU_ASSERT_FATAL(dek != 0);
	stream = calloc(1, 8192);
	CU_ASSERT_FATAL(stream != NULL);
	fill_pattern(pt1, sizeof(pt1), 0x21);
	fill_pattern(pt2, sizeof(pt2), 0x77);
	plain = f.mem; /* the plaintext TCP stream, as the kTLS socket lays it out */
	r1 = ktls_record(plain, false, 7, pt1, sizeof(pt1));
	r2 = ktls_record(plain + r1, false, 8, pt2, sizeof(pt2));
	total = r1 + r2;
	CU_ASSERT_EQUAL(total, 1029 + 2529);

	static_info(&si, dek, 7);
	post_static(&f, f.tls_tis, false, &si);
	post_progress(&f, f.tls_tis, true, 0);
	wqe_build_fence_nop(w, f.pc, f.sqi.sqn);
	post(&f, w, 64);
	hdr_v4(h, seq0, 600, 1, 0x18);
	post_send(&f, f.tls_tis, 0, 0xc0, h, 54, 0, 600);
	memset(w, 0, sizeof(w));
	hdr_v4(h, seq0 + 600, 0, 2, 0x18);
	d = (struct dseg){ (uint32_t)(total - 600), (uintptr_t)(plain + 600), f.lkey, false };
	post(&f, w, build_send(w, f.pc, f.sqi.sqn, MLX5TLS_OPCODE_LSO, f.tls_tis,
			       MLX5TLS_WQE_CQ_UPDATE, 0xc0, 1448, h, 54, &d, 1));
	ring_db(&f);
	CU_ASSERT_EQUAL(sim_sq_process(f.sq), 5);
	expect_cqe(&f, (uint16_t)(f.pc - 2), 0, 0);
	CU_ASSERT_EQUAL(sim_port_capture_count(f.cap), 4);
	got = reassemble(f.cap, 0, seq0, stream, 8192);
	CU_ASSERT_EQUAL_FATAL(got, total);
	/* headers and explicit nonces pass through; the records decrypt with our own GCM */
	CU_ASSERT_EQUAL(memcmp(stream, plain, 13), 0);
	CU_ASSERT_EQUAL(memcmp(stream + r1, plain + r1, 13), 0);
	CU_ASSERT_NOT_EQUAL(memcmp(stream + 13, pt1, 64), 0);
	CU_ASSERT_EQUAL(ktls_check(stream, false, key128, 16, salt, NULL, 7, pt1, sizeof(pt1)), 0);
	CU_ASSERT_EQUAL(ktls_check(stream + r1, false, key128, 16, salt, NULL, 8, pt2, sizeof(pt2)),
			0);

	/* retransmit record 2 from 2000 bytes into it: resync to record 8, replay its prefix */
	{
		uint32_t at = (uint32_t)r1 + 2000, tail = (uint32_t)(total - at);
		uint8_t *orig = malloc(tail);
		size_t first = sim_port_capture_count(f.cap);

		CU_ASSERT_FATAL(orig != NULL);
		memcpy(orig, stream + at, tail);
		static_info(&si, dek, 8);
		post_static(&f, f.tls_tis, true, &si);
		post_progress(&f, f.tls_tis, false, 0);
		memset(w, 0, sizeof(w));
		wqe_build_fence_nop(w, f.pc, f.sqi.sqn);
		post(&f, w, 64);
		for (uint32_t off = 0; off < 2000; off += 1000) {
			memset(w, 0, sizeof(w));
			wqe_build_dump(w, f.pc, f.sqi.sqn, f.tls_tis, (uintptr_t)(plain + r1 + off),
				       f.lkey, 1000, false);
			post(&f, w, 64);
		}
		hdr_v4(h, seq0 + at, tail, 3, 0x18);
		post_send(&f, f.tls_tis, MLX5TLS_WQE_CQ_UPDATE, 0xc0, h, 54, at, tail);
		ring_db(&f);
		CU_ASSERT_EQUAL(sim_sq_process(f.sq), 6);
		expect_cqe(&f, (uint16_t)(f.pc - 2), 0, 0);
		CU_ASSERT_EQUAL(sim_port_capture_count(f.cap), first + 1); /* DUMPs send nothing */
		memset(stream, 0, 8192);
		reassemble(f.cap, first, seq0, stream, 8192);
		TEST_ASSERT_BYTES("retransmitted ciphertext and tag", stream + at, orig, tail);
		free(orig);
	}
	sim_sq_get_stats(f.sq, &st);
	CU_ASSERT_EQUAL(st.tls_dump_bytes, 2000);
	CU_ASSERT_EQUAL(st.tls_frames, 5);
	CU_ASSERT_EQUAL(st.tls_unfenced_after_params, 0);
	free(stream);
	fx_fini(&f);
}

/* TLS 1.3 AES-GCM-256: per-record nonce from the static IV, AAD = the record header. */
static void test_tls13_builtin(void)
{
	struct fx f;
	struct tls_static_info si;
	static const uint8_t key256[32] = { 0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7,
					    0xa8, 0xa9, 0xaa, 0xab, 0xac, 0xad, 0xae, 0xaf,
					    0xb0, 0xb1, 0xb2, 0xb3, 0xb4, 0xb5, 0xb6, 0xb7,
					    0xb8, 0xb9, 0xba, 0xbb, 0xbc, 0xbd, 0xbe, 0xbf };
	static const uint8_t iv[8] = { 0xb1, 0xb2, 0xb3, 0xb4, 0xb5, 0xb6, 0xb7, 0xb8 };
	uint8_t h[64], w[64] = { 0 }, pt[700], stream[2048];
	uint32_t dek;
	size_t r1, r2;

	FX_INIT(&f, .log_wqebbs = 5, .log_cqes = 5);
	dek = new_tls_dek(f.dev, f.uid, f.pd, key256, 32);
	CU_ASSERT_FATAL(dek != 0);
	fill_pattern(pt, sizeof(pt), 0x42);
	r1 = ktls_record(f.mem, true, 0x10, pt, 300);
	r2 = ktls_record(f.mem + r1, true, 0x11, pt + 300, 400);
	static_info(&si, dek, 0x10);
	si.tls13 = true;
	memcpy(si.iv, iv, 8);
	post_static(&f, f.tls_tis, false, &si);
	post_progress(&f, f.tls_tis, true, 0);
	wqe_build_fence_nop(w, f.pc, f.sqi.sqn);
	post(&f, w, 64);
	hdr_v4(h, 1, (uint32_t)(r1 + r2), 1, 0x18);
	post_send(&f, f.tls_tis, MLX5TLS_WQE_CQ_UPDATE, 0xc0, h, 54, 0, (uint32_t)(r1 + r2));
	ring_db(&f);
	CU_ASSERT_EQUAL(sim_sq_process(f.sq), 4);
	expect_cqe(&f, (uint16_t)(f.pc - 2), 0, 0);
	CU_ASSERT_EQUAL_FATAL(reassemble(f.cap, 0, 1, stream, sizeof(stream)), r1 + r2);
	CU_ASSERT_EQUAL(memcmp(stream, f.mem, 5), 0);
	CU_ASSERT_EQUAL(ktls_check(stream, true, key256, 32, si.salt, iv, 0x10, pt, 300), 0);
	CU_ASSERT_EQUAL(ktls_check(stream + r1, true, key256, 32, si.salt, iv, 0x11, pt + 300, 400),
			0);
	fx_fini(&f);
}

/* The engine's own rule (tls_tx.h R4): data after static params with no START fails the WQE. */
static void test_tls_builtin_needs_start(void)
{
	struct fx f;
	struct tls_static_info si;
	uint8_t h[64];
	uint32_t dek;
	uint16_t idx;

	FX_INIT(&f, .log_wqebbs = 4, .log_cqes = 4);
	dek = new_tls_dek(f.dev, f.uid, f.pd, key128, 16);
	static_info(&si, dek, 0);
	post_static(&f, f.tls_tis, false, &si);
	hdr_v4(h, 1, 100, 1, 0x18);
	idx = post_send(&f, f.tls_tis, MLX5TLS_WQE_CQ_UPDATE, 0xc0, h, 54, 0, 100);
	ring_db(&f);
	sim_sq_process(f.sq);
	expect_cqe(&f, idx, MLX5_CQE_SYNDROME_LOCAL_QP_OP_ERR, SIM_VSYND_TLS_ENGINE);
	CU_ASSERT_EQUAL(sim_port_capture_count(f.cap), 0);
	fx_fini(&f);
}

static const struct test_case tls_cases[] = {
	{ "recording engine: params, DUMP, SEND, LSO", test_tls_fake_engine },
	{ "TLS WQE errors", test_tls_errors },
	{ "TLS engine state goes with its DEK", test_tls_ctx_follows_dek },
	{ "profile TLS suites", test_tls_suites },
	{ "built-in engine: TLS 1.2 AES-128, SEND+LSO, resync", test_tls12_builtin },
	{ "built-in engine: TLS 1.3 AES-256", test_tls13_builtin },
	{ "built-in engine: data before START", test_tls_builtin_needs_start },
	{ NULL, NULL },
};

static const struct test_suite suites[] = {
	{ "sim send queue TLS", NULL, NULL, tls_cases },
	{ NULL, NULL, NULL, NULL },
};

int main(void)
{
	return test_run_suites(suites);
}
