/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mlx5tls-bench tx: the TLS TX datapath (DESIGN.md "Performance targets"):
 *
 *  1. Throughput. Records of 16 KiB and 1 KiB, laid out as kTLS hands them to a device, cut into
 *     MSS-sized TCP frames and sent through one TLS TX context with mlx5tls_tx_send() (doorbell
 *     every 32 frames, completions reaped and records acknowledged as they complete) on a queue
 *     with MLX5TLS_QP_F_MODEL_SYNC: the device model encrypts on the calling thread, so one core
 *     runs the library and the device and the time covers both. The wire has no receiver (frames
 *     are counted and discarded). Next to it, in the same run and on the same plaintext: raw
 *     OpenSSL EVP AES-GCM, one EVP_EncryptInit_ex with the record's nonce, the AAD, one
 *     EVP_EncryptUpdate over the record, EVP_EncryptFinal_ex and the tag per record. Target: the
 *     model path at >= 0.85 of EVP at 16 KiB. For reference, also EVP with one update per piece
 *     of the record in each TCP segment: the best an engine that sees one segment at a time can
 *     do with EVP.
 *
 *  2. Library cost per in-order TLS data WQE against a plain send on the same queue: the same
 *     frames through mlx5tls_tx_send() (TLS context) and mlx5tls_qp_send() (no TLS), posted with
 *     MLX5TLS_SEND_F_MORE in batches of 32. The clock runs around the post calls only; the
 *     doorbell, the device's work and the completions happen between timed batches. The device
 *     model's encryption would otherwise be most of the TLS time and the ratio would measure the
 *     model, not the library; that figure is printed too ("with the device"). Target: <= 1.15x.
 *
 * Passes of each kind alternate and the best pass counts (noisy machines: the least disturbed
 * pass is the closest to the cost of the code); ratios are always between figures of this run.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#if defined(__x86_64__) || defined(__i386__)
#include <x86intrin.h>
#endif

#include "be_bytes.h"
#include "bench.h"

#include "bench_tx.h"

static const uint32_t rec_sizes[NR_SIZES] = { 16384, 1024 };

void bench_tx_usage(FILE *fp)
{
	fprintf(fp,
		"       mlx5tls-bench tx [-d DEV] [--tls 1.2|1.3] [--bits 128|256] [-t SECONDS]\n"
		"           [-j [-p]]\n"
		"           TLS TX datapath on one core: Gbit/s and records/s of 16 KiB and\n"
		"           1 KiB records in %u-byte segments through the device (model) vs raw\n"
		"           EVP AES-GCM on the same bytes (target >= %.2f at 16 KiB), and the\n"
		"           library's cost per TLS data WQE vs a plain send (target <= %.2fx).\n"
		"           Default TLS 1.3 AES-GCM-128, %.1f s per measurement.\n",
		TX_MSS, TX_TARGET_RATIO, TX_TARGET_WQE, TX_DEFAULT_SECONDS);
}


static void best_add(struct tx_best *b, double ns)
{
	if (!b->passes || ns < b->ns)
		b->ns = ns;
	b->sum += ns;
	b->passes++;
}

static bool is_tls12(const struct txb *b)
{
	return b->suite->version == TLS_1_2_VERSION;
}

/* ---- the stream and its frames ---- */

static size_t record_len(const struct txb *b, uint32_t pt)
{
	return TLS_HDR + (is_tls12(b) ? TLS12_NONCE : 1u) + pt + TLS_TAG;
}

/* lso_records: 0 = one MSS of the stream per frame; else LSO frames of that many whole records
 * (TX_LSO_ALL: as many as fit in one WQE) */
#define TX_LSO_ALL UINT32_MAX
static int set_build(struct txb *b, struct tx_set *s, uint32_t rec_size, uint32_t lso_records)
{
	size_t rl = record_len(b, rec_size), off = 0, arena_off = 0;
	bool lso = lso_records != 0;
	uint32_t step = !lso ? TX_MSS
		      : lso_records == TX_LSO_ALL || lso_records * rl > TX_LSO_MAX
			? (uint32_t)(TX_LSO_MAX / rl * rl)
			: (uint32_t)(lso_records * rl);
	uint8_t *p;

	memset(s, 0, sizeof(*s));
	s->rec_size = rec_size;
	s->lso = lso;
	s->records = (uint32_t)(TX_STREAM_BYTES / rl);
	s->stream_len = rl * s->records;
	s->nframes = (uint32_t)((s->stream_len + step - 1) / step);
	s->stream = malloc(s->stream_len);
	s->f = calloc(s->nframes, sizeof(*s->f));
	s->end_seq = calloc(s->nframes, sizeof(*s->end_seq));
	if (!s->stream || !s->f || !s->end_seq)
		return -ENOMEM;
	/* kTLS layout: header, TLS 1.2 explicit nonce (= record number: iv = rec_seq = 0 in the
	 * crypto info), plaintext, TLS 1.3 inner content type, 16 bytes for the tag */
	p = s->stream;
	for (uint32_t r = 0; r < s->records; r++) {
		p[0] = 23;
		p[1] = 3;
		p[2] = 3;
		put16(p + 3, (uint16_t)(rl - TLS_HDR));
		p += TLS_HDR;
		if (is_tls12(b)) {
			put64(p, r);
			p += TLS12_NONCE;
		}
		for (uint32_t i = 0; i < rec_size; i++)
			p[i] = (uint8_t)(r + i * 7u);
		p += rec_size;
		if (!is_tls12(b))
			*p++ = 23;
		memset(p, 0, TLS_TAG);
		p += TLS_TAG;
	}
	/* Ethernet / IPv4 / TCP frames; checksums are the device's (offload) */
	for (uint32_t i = 0; i < s->nframes; i++, off += step) {
		uint8_t *f = b->arena + arena_off, *ip = f + 14, *tcp = ip + 20;
		uint32_t n = step;

		if (off + n > s->stream_len)
			n = (uint32_t)(s->stream_len - off);
		arena_off += (TX_HDR_LEN + n + 63u) & ~63u;
		if (arena_off > b->arena_len)
			return -ENOSPC;

		memset(f, 0, TX_HDR_LEN);
		f[0] = 0x02;
		f[5] = 0x02;
		f[6] = 0x02;
		f[11] = 0x01;
		put16(f + 12, 0x0800);
		ip[0] = 0x45;
		put16(ip + 2, (uint16_t)(40 + n));
		put16(ip + 6, 0x4000);
		ip[8] = 64;
		ip[9] = 6;
		put32(ip + 12, 0xc6120001);
		put32(ip + 16, 0xc6120002);
		put16(tcp, 443);
		put16(tcp + 2, 40000);
		put32(tcp + 4, TX_ISN + (uint32_t)off);
		put32(tcp + 8, 1);
		tcp[12] = 5 << 4;
		tcp[13] = 0x18;
		put16(tcp + 14, 65535);
		memcpy(f + TX_HDR_LEN, s->stream + off, n);
		s->f[i] = (struct mlx5tls_frame){ .data = f, .len = TX_HDR_LEN + n, .mr = b->mr,
						  .mss = lso ? (uint16_t)TX_MSS : 0, .cookie = i };
		s->end_seq[i] = TX_ISN + (uint32_t)(off + n);
	}
	return 0;
}

static void set_free(struct tx_set *s)
{
	free(s->stream);
	free(s->f);
	free(s->end_seq);
	memset(s, 0, sizeof(*s));
}

/* ---- passes ---- */

/* Reap every completion; with MLX5TLS_QP_F_MODEL_SYNC the device has finished at the doorbell,
 * on hardware wait for the rest. Returns completions reaped or -errno. */
static int reap(struct txb *b, uint32_t want)
{
	uint32_t got = 0;

	for (int spins = 0; got < want; spins++) {
		int n = mlx5tls_qp_poll(b->qp, b->done, (int)(sizeof(b->done) / sizeof(b->done[0])),
					spins ? 1 : 0);

		if (n < 0)
			return n;
		for (int i = 0; i < n; i++)
			if (b->done[i].status)
				return b->done[i].status;
		got += (uint32_t)n;
		if (!n && spins > 2000)
			return -ETIMEDOUT;
	}
	return (int)got;
}

static struct mlx5tls_tx *tx_open(struct txb *b)
{
	struct mlx5tls_tx *tx = mlx5tls_tx_create(b->qp, &b->ci.info, b->ci_len, TX_ISN, NULL);

	if (!tx)
		tool_fail(b->t, "TLS TX context create", errno);
	return tx;
}

static int tx_close(struct txb *b, struct mlx5tls_tx *tx)
{
	int ret = mlx5tls_tx_destroy(tx);

	return ret ? tool_fail(b->t, "TLS TX context destroy", ret) : 0;
}

/* Throughput: a whole stream through a new context, everything timed. */
static int pass_model(struct txb *b, const struct tx_set *s, struct tx_best *best)
{
	struct mlx5tls_tx *tx = tx_open(b);
	uint32_t posted = 0, reaped = 0;
	double t0;
	int ret = 0;

	if (!tx)
		return 1;
	t0 = bench_now_ns();
	for (uint32_t i = 0; i < s->nframes && !ret; i++) {
		bool last = (i + 1) % TX_BATCH == 0 || i + 1 == s->nframes;

		ret = mlx5tls_tx_send(tx, &s->f[i], last ? 0 : MLX5TLS_SEND_F_MORE);
		posted++;
		if (!ret && last) {
			/* the device is done with the batch: the peer has it, the records go */
			ret = reap(b, posted - reaped);
			if (ret >= 0) {
				reaped += (uint32_t)ret;
				ret = mlx5tls_tx_ack(tx, s->end_seq[i]);
			}
		}
	}
	if (!ret) {
		struct mlx5tls_tx_info info;

		best_add(best, bench_now_ns() - t0);
		/* what was timed is the device path, in order, every byte encrypted once */
		memset(&info, 0, sizeof(info));
		ret = mlx5tls_tx_query(tx, &info, sizeof(info));
		if (!ret && (info.path != MLX5TLS_TX_PATH_DEVICE || info.ooo ||
			     info.encrypted_bytes != s->stream_len)) {
			fprintf(stderr, "%s: the stream did not go through the device in order "
				"(path %d, ooo %" PRIu64 ", %" PRIu64 " of %zu bytes encrypted)\n",
				b->t->prog, (int)info.path, info.ooo, info.encrypted_bytes,
				s->stream_len);
			ret = -EIO;
		}
	}
	if (ret)
		tool_fail(b->t, "TLS send", ret);
	return tx_close(b, tx) || ret ? 1 : 0;
}

/* The same records with EVP AES-GCM: nonce, AAD, plaintext and tag as the device computes them
 * (TLS 1.2: salt || explicit nonce, AAD seq || header with the plaintext length; TLS 1.3:
 * (salt || iv) ^ seq, AAD the header; inner content type encrypted with the data). One
 * EVP_EncryptUpdate per record; `segmented`: one per piece of the record in each TCP segment,
 * which is how an inline engine sees the record (for reference, not the target's baseline). */
static int pass_evp(struct txb *b, const struct tx_set *s, bool segmented, struct tx_best *best)
{
	const uint8_t *salt = b->suite->key_bits == 128 ? b->ci.gcm128.salt : b->ci.gcm256.salt;
	const uint8_t *iv = b->suite->key_bits == 128 ? b->ci.gcm128.iv : b->ci.gcm256.iv;
	size_t rl = record_len(b, s->rec_size);
	uint8_t nonce[12], aad[13], tag[TLS_TAG];
	double t0;
	int outl = 0;

	memcpy(b->evp_buf, s->stream, s->stream_len);
	t0 = bench_now_ns();
	for (uint32_t r = 0; r < s->records; r++) {
		uint8_t *rec = b->evp_buf + (size_t)r * rl, *pt;
		size_t aad_len, pt_len;
		bool ok;

		memcpy(nonce, salt, 4);
		if (is_tls12(b)) {
			memcpy(nonce + 4, rec + TLS_HDR, 8);
			put64(aad, r);
			memcpy(aad + 8, rec, 3);
			put16(aad + 11, (uint16_t)s->rec_size);
			aad_len = 13;
			pt = rec + TLS_HDR + TLS12_NONCE;
			pt_len = s->rec_size;
		} else {
			memcpy(nonce + 4, iv, 8);
			for (int i = 0; i < 8; i++)
				nonce[4 + i] ^= (uint8_t)((uint64_t)r >> (56 - 8 * i));
			memcpy(aad, rec, TLS_HDR);
			aad_len = TLS_HDR;
			pt = rec + TLS_HDR;
			pt_len = s->rec_size + 1u;
		}
		ok = EVP_EncryptInit_ex(b->evp, NULL, NULL, NULL, nonce) == 1 &&
		     EVP_EncryptUpdate(b->evp, NULL, &outl, aad, (int)aad_len) == 1;
		for (size_t done = 0; ok && done < pt_len;) {
			/* up to the next segment boundary of the stream, or the whole record */
			size_t at = (size_t)(pt - b->evp_buf) + done;
			size_t n = segmented ? TX_MSS - at % TX_MSS : pt_len;

			if (n > pt_len - done)
				n = pt_len - done;
			ok = EVP_EncryptUpdate(b->evp, pt + done, &outl, pt + done, (int)n) == 1;
			done += n;
		}
		if (!ok || EVP_EncryptFinal_ex(b->evp, pt + pt_len, &outl) != 1 ||
		    EVP_CIPHER_CTX_ctrl(b->evp, EVP_CTRL_GCM_GET_TAG, TLS_TAG, tag) != 1) {
			fprintf(stderr, "%s: EVP AES-GCM failed\n", b->t->prog);
			return 1;
		}
		memcpy(pt + pt_len, tag, TLS_TAG);
	}
	best_add(best, bench_now_ns() - t0);
	return 0;
}

/*
 * Per-WQE cost: all frames but the first in batches of TX_BATCH, posted with SEND_F_MORE. `post`
 * accumulates the time inside the post calls only; `full` the time of whole batches (posts,
 * doorbell, the device's work, completions). tls: through a TLS context (its first frame, which
 * also posts the context's static and progress params, is sent before the clock starts) or
 * plain mlx5tls_qp_send() of the same frames.
 */
static int pass_wqe(struct txb *b, const struct tx_set *s, bool tls, struct tx_size_result *r)
{
	struct mlx5tls_tx *tx = NULL;
	double t_post = 0, t_full = 0, t_ack = 0, t_lib = 0;
	uint64_t n_ack = 0;
	uint32_t first = 0;
	int ret = 0;

	if (tls) {
		tx = tx_open(b);
		if (!tx)
			return 1;
		ret = mlx5tls_tx_send(tx, &s->f[0], 0);
		if (!ret)
			ret = reap(b, 1);
		first = 1;
		ret = ret < 0 ? ret : 0;
	}
	for (uint32_t i = first; i < s->nframes && !ret; i += TX_BATCH) {
		uint32_t n = TX_BATCH;
		double t0, t1, t2, t3;

		if (i + n > s->nframes)
			n = s->nframes - i;
		t0 = bench_now_ns();

		for (uint32_t k = 0; k < n && !ret; k++)
			ret = tls ? mlx5tls_tx_send(tx, &s->f[i + k], MLX5TLS_SEND_F_MORE)
				  : mlx5tls_qp_send(b->qp, &s->f[i + k], MLX5TLS_SEND_F_MORE);
		t1 = bench_now_ns();
		/* the doorbell: on the model the device's whole work runs in here, on this thread;
		 * outside the library-only figure (a stub for the device, as an MMIO write is) */
		if (!ret)
			ret = mlx5tls_qp_flush(b->qp);
		t2 = bench_now_ns();
		if (!ret)
			ret = reap(b, n);
		if (ret >= 0 && tls) {
			double a0 = bench_now_ns();

			ret = mlx5tls_tx_ack(tx, s->end_seq[i + n - 1]);
			/* the ack's end is t3: a clock read of its own there would be one more
			 * read inside (t2,t3) than the (tls ? 3 : 2) below takes out, charged to
			 * the TLS side (about 20 ns per batch here) */
			t3 = bench_now_ns();
			t_ack += t3 - a0 - b->timer_ns;
			n_ack++;
		} else {
			t3 = bench_now_ns();
		}
		t_post += t1 - t0 - b->timer_ns;
		t_full += t3 - t0 - b->timer_ns;
		/* the reads inside (t0,t1), (t2,t3) and the ack's start (a0) */
		t_lib += (t1 - t0) + (t3 - t2) - (tls ? 3 : 2) * b->timer_ns;
		ret = ret < 0 ? ret : 0;
	}
	if (ret)
		tool_fail(b->t, tls ? "TLS send" : "plain send", ret);
	if (tx && tx_close(b, tx))
		ret = ret ? ret : 1;
	if (ret)
		return 1;
	if (s->lso) {
		best_add(tls ? &r->tls_lib_lso : &r->plain_lib_lso, t_lib);
	} else if (tls) {
		best_add(&r->tls_post, t_post);
		best_add(&r->tls_full, t_full);
		best_add(&r->tls_lib, t_lib);
		best_add(&r->ack, t_ack);
		r->acks = n_ack;
	} else {
		best_add(&r->plain_post, t_post);
		best_add(&r->plain_full, t_full);
		best_add(&r->plain_lib, t_lib);
	}
	return 0;
}

static int setup(struct txb *b)
{
	MLX5TLS_OPTS(mlx5tls_qp_opts, q, .flags = MLX5TLS_QP_F_MODEL_SYNC);
	const EVP_CIPHER *cipher = b->suite->key_bits == 128 ? EVP_aes_128_gcm()
							       : EVP_aes_256_gcm();
	const uint8_t *key = b->suite->key_bits == 128 ? b->ci.gcm128.key : b->ci.gcm256.key;
	int ret;

	b->ci_len = tool_crypto_info(&b->ci, b->suite, NULL, NULL);
	if (!b->ci_len)
		return tool_fail(b->t, "making a key", errno);
	/* frames: discarded at the wire (the model's default: no receiver) */
	b->pd = mlx5tls_pd_alloc(b->t->dev);
	if (!b->pd)
		return tool_fail(b->t, "PD alloc", errno);
	b->td = mlx5tls_td_alloc(b->t->dev);
	if (!b->td)
		return tool_fail(b->t, "TD alloc", errno);
	b->qp = mlx5tls_qp_create(b->pd, b->td, &q);
	if (!b->qp)
		return tool_fail(b->t, "queue create", errno);
	/* aligned_alloc wants a multiple of the alignment */
	/* + 1/4: LSO frames of one 1 KiB record each (54 header bytes per record) */
	b->arena_len = ((size_t)TX_STREAM_BYTES / TX_MSS + 2) * TX_FRAME_STRIDE * 5 / 4;
	b->arena_len = (b->arena_len + 4095) & ~(size_t)4095;
	b->arena = aligned_alloc(4096, b->arena_len);
	b->evp_buf = malloc(TX_STREAM_BYTES);
	if (!b->arena || !b->evp_buf)
		return tool_fail(b->t, "allocating frames", -ENOMEM);
	b->mr = mlx5tls_mr_reg(b->pd, b->arena, b->arena_len);
	if (!b->mr)
		return tool_fail(b->t, "MR register", errno);
	b->evp = EVP_CIPHER_CTX_new();
	ret = b->evp && EVP_EncryptInit_ex(b->evp, cipher, NULL, key, NULL) == 1 ? 0 : -ENOMEM;
	if (ret)
		return tool_fail(b->t, "EVP init", ret);
	return 0;
}

static int teardown(struct txb *b)
{
	int ret = 0, err;

	EVP_CIPHER_CTX_free(b->evp); /* cleanses the key schedule */
	explicit_bzero(&b->ci, sizeof(b->ci));
	if (b->mr && (err = mlx5tls_mr_dereg(b->mr)))
		ret = tool_fail(b->t, "MR deregister", err);
	if (b->qp && (err = mlx5tls_qp_destroy(b->qp)))
		ret = ret ? ret : tool_fail(b->t, "queue destroy", err);
	if (b->td && (err = mlx5tls_td_dealloc(b->td)))
		ret = ret ? ret : tool_fail(b->t, "TD dealloc", err);
	if (b->pd && (err = mlx5tls_pd_dealloc(b->pd)))
		ret = ret ? ret : tool_fail(b->t, "PD dealloc", err);
	free(b->arena);
	free(b->evp_buf);
	return ret;
}

/* Alternate the passes of each kind until each had its share of time and TX_MIN_PASSES. */
static int measure(struct txb *b, struct tx_size_result *r)
{
	struct tx_set s, lso;
	double deadline;
	int ret = set_build(b, &lso, r->rec_size, TX_LSO_ALL);

	/* a failed LSO pass skips set_build(&s), and the error path frees s */
	memset(&s, 0, sizeof(s));

	/* the LSO frames first: the same records, then the arena is reused for MSS frames */
	deadline = bench_now_ns() + b->seconds * 1e9;
	while (!ret && (r->model_lso.passes < TX_MIN_PASSES || bench_now_ns() < deadline))
		ret = pass_model(b, &lso, &r->model_lso);
	set_free(&lso);
	/* library per LSO WQE: one record per WQE */
	if (!ret)
		ret = set_build(b, &lso, r->rec_size, 1);
	r->frames_lso = lso.nframes;
	deadline = bench_now_ns() + b->seconds * 1e9;
	while (!ret && (r->tls_lib_lso.passes < TX_MIN_PASSES || bench_now_ns() < deadline)) {
		ret = pass_wqe(b, &lso, true, r);
		if (!ret)
			ret = pass_wqe(b, &lso, false, r);
	}
	set_free(&lso);
	if (!ret)
		ret = set_build(b, &s, r->rec_size, 0);
	if (ret) {
		set_free(&s);
		return tool_fail(b->t, "building frames", ret);
	}
	r->records = s.records;
	r->frames = s.nframes;
	deadline = bench_now_ns() + b->seconds * 1e9;
	while (!ret && (r->model.passes < TX_MIN_PASSES || bench_now_ns() < deadline)) {
		ret = pass_model(b, &s, &r->model);
		if (!ret)
			ret = pass_evp(b, &s, false, &r->evp);
		if (!ret)
			ret = pass_evp(b, &s, true, &r->evp_seg);
	}
	deadline = bench_now_ns() + b->seconds * 1e9;
	while (!ret && (r->tls_post.passes < TX_MIN_PASSES || bench_now_ns() < deadline)) {
		ret = pass_wqe(b, &s, true, r);
		if (!ret)
			ret = pass_wqe(b, &s, false, r);
	}
	set_free(&s);
	return ret;
}

/* The time-stamp counter's rate in GHz, from 20 ms of the monotonic clock (x86 only; 0 else):
 * cycles per byte are ns per byte times this. */
static double tsc_ghz(void)
{
#if defined(__x86_64__) || defined(__i386__)
	double t0 = bench_now_ns(), t1;
	uint64_t c0 = __rdtsc(), c1;

	do
		t1 = bench_now_ns();
	while (t1 - t0 < 20e6);
	c1 = __rdtsc();
	return (double)(c1 - c0) / (t1 - t0);
#else
	return 0;
#endif
}

/* The clock's own cost: the least of many back-to-back pairs (what one timed interval adds). */
static double timer_cost(void)
{
	double best = 1e9;

	for (int i = 0; i < 10000; i++) {
		double t0 = bench_now_ns(), t1 = bench_now_ns();

		if (t1 - t0 < best)
			best = t1 - t0;
	}
	return best;
}

static int bench_run(struct txb *b, int version, unsigned int bits)
{
	struct mlx5tls_caps caps;
	int ret;

	if (tool_open_device(b->t, false))
		return 1;
	memset(&caps, 0, sizeof(caps));
	ret = mlx5tls_query_caps(b->t->dev, &caps, sizeof(caps));
	if (ret)
		return tool_fail(b->t, "cannot query capabilities", ret);
	b->suite = bench_find_suite(version, bits);
	if (!caps.tls_tx || !b->suite || !(caps.suites & b->suite->bit)) {
		fprintf(stderr, "%s: device %s cannot offload %s for transmission\n", b->t->prog,
			b->t->attr.name, b->suite ? b->suite->name : "this suite");
		return 1;
	}
	ret = setup(b);
	b->timer_ns = timer_cost();
	b->ghz = tsc_ghz();
	b->version = version;
	b->bits = bits;
	for (size_t i = 0; !ret && i < NR_SIZES; i++) {
		b->res[i].rec_size = rec_sizes[i];
		ret = measure(b, &b->res[i]);
		if (!ret && bench_ssl_write(version, bits, rec_sizes[i], b->res[i].records,
					    b->seconds, &b->res[i].ssl_ns))
			fprintf(stderr, "%s: SSL_write reference failed (not shown)\n", b->t->prog);
	}
	if (!ret)
		bench_tx_print_report(b);
	return teardown(b) || ret ? 1 : 0;
}

int bench_tx(struct tool *t)
{
	struct txb *b = calloc(1, sizeof(*b));
	int version = TLS_1_3_VERSION, ret;
	unsigned int bits = 128;

	if (!b)
		return tool_fail(t, "allocating", -ENOMEM);
	b->t = t;
	b->seconds = TX_DEFAULT_SECONDS;
	ret = bench_parse_args(t, &version, &bits, &b->seconds);
	if (ret) {
		free(b);
		return ret < 0 ? 0 : ret;
	}
	pr_init(stdout, t->json, t->pretty);
	ret = bench_run(b, version, bits);
	if (pr_finish() && !ret)
		ret = tool_fail(t, "writing the output", -EIO);
	free(b);
	return ret;
}
