/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mlx5tls-bench rx: the TLS RX datapath through the device model.
 *
 *  1. Throughput. The bench is the peer: it encrypts a stream of 16 KiB (and 1 KiB) records with
 *     EVP AES-GCM exactly as a TLS 1.2/1.3 sender does, cuts it into 1448-byte TCP segments
 *     (Ethernet/IPv4/TCP with valid checksums: the device checks them) and times, on one core:
 *     frames into the model's port (mlx5tls_model_wire_rx; the model's receive path runs on the
 *     calling thread) -> mlx5tls_rq_poll every 32 frames -> mlx5tls_rx_packet at arrival ->
 *     mlx5tls_rx_input in TCP order (records to a callback that checks type and length) -> mlx5tls_rq_release. Next to it, in the same run on the same records:
 *     software decryption with EVP (EVP_DecryptInit_ex per record, AAD, one update, tag check)
 *     and the same callback. Each pass must have every record authenticated by the device
 *     (mlx5tls_rx_query: by_device == records, by_software == 0), else the bench fails: a pass
 *     that silently fell back to software would measure the wrong thing.
 *
 *  2. Resync recovery. The same stream with one segment that carries a record header lost and
 *     retransmitted RX_RETX_DELAY segments later (more than a max-size record later, so the
 *     device cannot be back in sync by the time it comes). The device loses sync, asks for a
 *     resync, the library answers (GET_PSV, static params). Reported: how many records from the
 *     one whose header was lost had to be completed in software before the device authenticated
 *     records again, and the device's resync counters. Every byte must arrive intact.
 *
 * Target (issue 10): the model path at >= 0.60x EVP for 16 KiB records. Per-packet AES-GCM costs
 * more than one EVP update per record by design (12 updates, partial blocks at the segment edges);
 * the rest is the device's receive path (checksum, steering, the receive buffer written once -
 * payload decrypted from the frame into it - and the CQE) and the library's (mlx5tls_rx_input
 * copies each record into one buffer to hand it over whole). Passes alternate and the best
 * counts; the ratio is between figures of this run (as bench tx).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include <openssl/evp.h>

#include "bench_rx.h"

static const uint32_t rec_sizes[] = { 16384, 1024 };

/* The resync counters, by name (their indexes are the library's business). */
static const char *const resync_counters[NR_RCNT] = {
	"rx_tls_resync_req_pkt", "rx_tls_resync_req_start", "rx_tls_resync_req_end",
	"rx_tls_resync_req_skip", "rx_tls_resync_res_ok",
};

void bench_rx_usage(FILE *fp)
{
	fprintf(fp,
		"       mlx5tls-bench rx [-d DEV] [--tls 1.2|1.3] [--bits 128|256] [-t SECONDS]\n"
		"           [-j [-p]]\n"
		"           TLS RX datapath on one core (device model only): Gbit/s and\n"
		"           records/s of 16 KiB and 1 KiB records arriving in %u-byte segments,\n"
		"           decrypted by the device and delivered by the library, vs EVP AES-GCM\n"
		"           decryption of the same records (target >= %.2fx at 16 KiB); and the\n"
		"           records completed in software after a lost header segment until the\n"
		"           device resyncs. Default TLS 1.3 AES-GCM-128, %.1f s per measurement.\n",
		RX_MSS, RX_TARGET_MODEL, RX_DEFAULT_SECONDS);
}


void best_add(struct rx_best *b, double ns)
{
	if (!b->passes || ns < b->ns)
		b->ns = ns;
	b->passes++;
}

static void put16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p + 2, v);
}


static uint32_t get16(const uint8_t *p)
{
	return (uint32_t)p[0] << 8 | p[1];
}

static uint32_t get32(const uint8_t *p)
{
	return get16(p) << 16 | get16(p + 2);
}

/* RFC 1071 one's-complement sum, folded and inverted. */
static uint32_t csum_add(uint32_t s, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		s += get16(p + i);
	if (n & 1)
		s += (uint32_t)p[n - 1] << 8;
	return s;
}

static uint16_t csum_fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

static bool is_tls12(const struct rxb *b)
{
	return b->suite->version == TLS_1_2_VERSION;
}

static const uint8_t *ci_salt(const struct rxb *b)
{
	return b->suite->key_bits == 128 ? b->ci.gcm128.salt : b->ci.gcm256.salt;
}

static const uint8_t *ci_iv(const struct rxb *b)
{
	return b->suite->key_bits == 128 ? b->ci.gcm128.iv : b->ci.gcm256.iv;
}

/* The record's GCM nonce and AAD as a TLS sender computes them (RFC 5288, RFC 8446 5.2-5.3):
 * TLS 1.2 salt || explicit nonce, AAD seq || header with the plaintext length; TLS 1.3
 * (salt || iv) ^ seq, AAD the header. Returns the AAD length. */
static size_t record_crypto(const struct rxb *b, const uint8_t *rec, uint64_t seq, size_t pt_len,
			    uint8_t nonce[12], uint8_t aad[13])
{
	memcpy(nonce, ci_salt(b), 4);
	if (is_tls12(b)) {
		memcpy(nonce + 4, rec + TLS_HDR, TLS12_NONCE);
		bench_put64(aad, seq);
		memcpy(aad + 8, rec, 3);
		put16(aad + 11, (uint32_t)pt_len);
		return 13;
	}
	memcpy(nonce + 4, ci_iv(b), 8);
	for (int i = 0; i < 8; i++)
		nonce[4 + i] ^= (uint8_t)(seq >> (56 - 8 * i));
	memcpy(aad, rec, TLS_HDR);
	return TLS_HDR;
}

/* ---- the stream and its frames ---- */

static size_t body_off(const struct rxb *b)
{
	return TLS_HDR + (is_tls12(b) ? TLS12_NONCE : 0u);
}

/* Encrypt the records as the peer (a separate EVP context: the sender's, not the baseline's). */
static int encrypt_stream(struct rxb *b, struct rx_set *s)
{
	const EVP_CIPHER *cipher = b->suite->key_bits == 128 ? EVP_aes_128_gcm()
							       : EVP_aes_256_gcm();
	const uint8_t *key = b->suite->key_bits == 128 ? b->ci.gcm128.key : b->ci.gcm256.key;
	/* TLS 1.3: the inner content type is encrypted with the data */
	size_t ct_len = s->rec_size + (is_tls12(b) ? 0u : 1u);
	EVP_CIPHER_CTX *enc = EVP_CIPHER_CTX_new();
	int ok = enc && EVP_EncryptInit_ex(enc, cipher, NULL, key, NULL) == 1, outl = 0;

	for (uint32_t r = 0; ok && r < s->records; r++) {
		uint8_t *rec = s->stream + (size_t)r * s->rec_len, *body = rec + body_off(b);
		uint8_t nonce[12], aad[13];
		size_t aad_len;

		rec[0] = RX_CT_APP;
		rec[1] = 3;
		rec[2] = 3;
		put16(rec + 3, (uint32_t)(s->rec_len - TLS_HDR));
		if (is_tls12(b))
			bench_put64(rec + TLS_HDR, r); /* explicit nonce = record number, as kTLS */
		memcpy(body, s->pt + (size_t)r * s->rec_size, s->rec_size);
		if (!is_tls12(b))
			body[s->rec_size] = RX_CT_APP;
		aad_len = record_crypto(b, rec, r, s->rec_size, nonce, aad);
		ok = EVP_EncryptInit_ex(enc, NULL, NULL, NULL, nonce) == 1 &&
		     EVP_EncryptUpdate(enc, NULL, &outl, aad, (int)aad_len) == 1 &&
		     EVP_EncryptUpdate(enc, body, &outl, body, (int)ct_len) == 1 &&
		     EVP_EncryptFinal_ex(enc, body + ct_len, &outl) == 1 &&
		     EVP_CIPHER_CTX_ctrl(enc, EVP_CTRL_GCM_GET_TAG, TLS_TAG, body + ct_len) == 1;
	}
	EVP_CIPHER_CTX_free(enc);
	return ok ? 0 : -EIO;
}

/* Segment i of the stream from the peer 10.0.0.2:443 to us, 10.0.0.1:40000. */
static void build_frame(const struct rx_set *s, uint32_t i)
{
	uint8_t *f = s->frames + (size_t)i * RX_FRAME_STRIDE, *ip = f + 14, *tcp = ip + 20;
	size_t off = (size_t)i * RX_MSS;
	uint32_t n = off + RX_MSS > s->stream_len ? (uint32_t)(s->stream_len - off) : RX_MSS;

	memset(f, 0, RX_HDR_LEN);
	f[0] = 0x02;
	f[5] = 0x01;
	f[6] = 0x02;
	f[11] = 0x02;
	put16(f + 12, 0x0800);
	ip[0] = 0x45;
	put16(ip + 2, 40 + n);
	put16(ip + 6, 0x4000);
	ip[8] = 64;
	ip[9] = 6;
	put32(ip + 12, 0x0a000002);
	put32(ip + 16, 0x0a000001);
	put16(ip + 10, csum_fold(csum_add(0, ip, 20)));
	put16(tcp, 443);
	put16(tcp + 2, 40000);
	put32(tcp + 4, RX_ISN + (uint32_t)off);
	put32(tcp + 8, 1);
	tcp[12] = 5 << 4;
	tcp[13] = 0x18;
	put16(tcp + 14, 65535);
	memcpy(tcp + 20, s->stream + off, n);
	/* pseudo-header: addresses, protocol, TCP length */
	put16(tcp + 16, csum_fold(csum_add(csum_add(0, ip + 12, 8) + 6 + 20 + n, tcp, 20 + n)));
}

uint32_t rx_frame_len(const struct rx_set *s, uint32_t i)
{
	size_t off = (size_t)i * RX_MSS;

	return RX_HDR_LEN + (off + RX_MSS > s->stream_len ? (uint32_t)(s->stream_len - off)
							  : RX_MSS);
}

static void set_free(struct rx_set *s)
{
	free(s->pt);
	free(s->stream);
	free(s->frames);
	memset(s, 0, sizeof(*s));
}

static int set_build(struct rxb *b, struct rx_set *s, uint32_t rec_size)
{
	size_t pt_len;
	int ret;

	memset(s, 0, sizeof(*s));
	s->rec_size = rec_size;
	s->rec_len = body_off(b) + rec_size + (is_tls12(b) ? 0u : 1u) + TLS_TAG;
	s->records = (uint32_t)(RX_STREAM_BYTES / s->rec_len);
	s->stream_len = s->rec_len * s->records;
	s->nframes = (uint32_t)((s->stream_len + RX_MSS - 1) / RX_MSS);
	pt_len = (size_t)rec_size * s->records;
	s->pt = malloc(pt_len);
	s->stream = malloc(s->stream_len);
	s->frames = malloc((size_t)s->nframes * RX_FRAME_STRIDE);
	if (!s->pt || !s->stream || !s->frames)
		return -ENOMEM;
	/* every record different, so a record delivered twice or out of place is caught */
	for (size_t i = 0; i < pt_len; i++)
		s->pt[i] = (uint8_t)(i * 29u + (i >> 10));
	ret = encrypt_stream(b, s);
	if (ret)
		return ret;
	for (uint32_t i = 0; i < s->nframes; i++)
		build_frame(s, i);
	return 0;
}

/* ---- the application's side ---- */

/*
 * A verified record: its type and length are checked, its plaintext is not read. What reading it
 * costs the application depends on where it lies - in cache after EVP wrote it, in memory or the
 * LLC after a device's DMA - not on the library, so no timed pass reads it (the checking passes
 * compare every byte, untimed). With `check`, the plaintext is compared with what was sent; with
 * `rx`, whether the device authenticated the record is noted (the library counts it before the
 * call).
 */
int rx_consume(struct rx_sink *k, uint8_t type, const uint8_t *p, size_t len)
{
	if (type != RX_CT_APP || len != k->s->rec_size || k->records >= k->s->records)
		return -EPROTO;
	if (k->check && memcmp(p, k->s->pt + (size_t)k->records * len, len))
		return -EPROTO;
	if (k->rx) {
		struct mlx5tls_rx_info info;

		memset(&info, 0, sizeof(info));
		if (mlx5tls_rx_query(k->rx, &info, sizeof(info)))
			return -EIO;
		k->dev_rec[k->records] = info.by_device > k->by_device;
		k->by_device = info.by_device;
	}
	k->records++;
	return 0;
}

int rx_on_record_cb(void *ctx, uint8_t type, const void *plaintext, size_t len)
{
	return rx_consume(ctx, type, plaintext, len);
}

/* Hand p to the RX context in TCP order: in-order data goes in at once and releases what it
 * unblocks; data ahead of a gap is held (its buffer with it) until the gap is filled. */
static int app_input(struct rxb *b, struct mlx5tls_rx *rx, struct rx_sink *k,
		     const struct mlx5tls_rx_pkt *p, uint32_t *next, uint32_t *n_held)
{
	const uint8_t *f = p->data;
	uint32_t seq, len;
	int ret;

	if (p->len < RX_HDR_LEN || !p->l3_ok || !p->l4_ok)
		return -EBADMSG;
	seq = get32(f + 38);
	len = get16(f + 16) - 40u;
	/* at arrival, before any reordering: the device's status counts and may start a resync */
	ret = mlx5tls_rx_packet(rx, seq, len, mlx5tls_rx_pkt_tls(p));
	if (ret)
		return ret;
	if ((int32_t)(seq - *next) > 0) {
		if (*n_held == RX_HOLD_MAX)
			return -ENOBUFS;
		b->held[(*n_held)++] = *p;
		return 0;
	}
	ret = mlx5tls_rx_input(rx, seq, f + RX_HDR_LEN, len, mlx5tls_rx_pkt_tls(p), rx_on_record_cb, k);
	if (!ret && (int32_t)(seq + len - *next) > 0)
		*next = seq + len;
	if (!ret)
		ret = mlx5tls_rq_release(b->rq, p);
	/* the held packets that are now in order (one gap at most: a linear scan will do) */
	for (uint32_t i = 0; !ret && i < *n_held;) {
		const uint8_t *h = b->held[i].data;
		uint32_t hseq = get32(h + 38), hlen = get16(h + 16) - 40u;

		if ((int32_t)(hseq - *next) > 0) {
			i++;
			continue;
		}
		ret = mlx5tls_rx_input(rx, hseq, h + RX_HDR_LEN, hlen, mlx5tls_rx_pkt_tls(&b->held[i]),
				       rx_on_record_cb, k);
		if (!ret && (int32_t)(hseq + hlen - *next) > 0)
			*next = hseq + hlen;
		if (!ret)
			ret = mlx5tls_rq_release(b->rq, &b->held[i]);
		b->held[i] = b->held[--*n_held];
		i = 0;
	}
	return ret;
}

/* ---- passes ---- */

struct mlx5tls_rx *rx_open(struct rxb *b)
{
	struct mlx5tls_rx *rx = mlx5tls_rx_create(b->qp, b->tir, &b->ci.info, b->ci_len, RX_ISN,
						  NULL);

	if (!rx)
		tool_fail(b->t, "TLS RX context create", errno);
	return rx;
}

/*
 * The frames in `order` (NULL: as sent) into the device's port, the receive queue polled every
 * `batch` frames, everything to the RX context. One new context per pass: the stream starts at
 * record 0 again. *ns: the time from the first frame to the last record delivered.
 */
static int run_stream(struct rxb *b, const struct rx_set *s, const uint32_t *order,
		      uint32_t batch, struct rx_sink *k, struct mlx5tls_rx_info *info, double *ns)
{
	struct mlx5tls_rx *rx = rx_open(b);
	uint32_t next = RX_ISN, n_held = 0, polled = 0;
	const char *what = "TLS receive";
	double t0;
	int ret = 0, err;

	if (!rx)
		return 1;
	if (k->dev_rec)
		k->rx = rx;
	t0 = bench_now_ns();
	for (uint32_t i = 0; i < s->nframes && !ret;) {
		uint32_t n = s->nframes - i < batch ? s->nframes - i : batch, got = 0;

		for (uint32_t j = 0; j < n && !ret; j++) {
			uint32_t fi = order ? order[i + j] : i + j;

			ret = mlx5tls_model_wire_rx(b->t->dev,
						    s->frames + (size_t)fi * RX_FRAME_STRIDE,
						    rx_frame_len(s, fi));
		}
		i += n;
		/* the model's receive path ran in mlx5tls_model_wire_rx: every CQE is there */
		while (!ret && got < n) {
			int m = mlx5tls_rq_poll(b->rq, b->pkts, (int)batch, 0);

			if (m <= 0) {
				what = "receive queue poll (frames dropped by the device?)";
				ret = m ? m : -ENODATA;
				break;
			}
			for (int j = 0; j < m && !ret; j++)
				ret = app_input(b, rx, k, &b->pkts[j], &next, &n_held);
			got += (uint32_t)m;
		}
		polled += got;
	}
	*ns = bench_now_ns() - t0;
	if (!ret && (n_held || polled != s->nframes || k->records != s->records)) {
		fprintf(stderr, "%s: %u of %u frames received, %u held, %u of %u records "
			"delivered\n", b->t->prog, polled, s->nframes, n_held, k->records,
			s->records);
		ret = -EIO;
	}
	memset(info, 0, sizeof(*info));
	if (!ret)
		ret = mlx5tls_rx_query(rx, info, sizeof(*info));
	if (ret)
		tool_fail(b->t, what, ret);
	/* a failed pass may leave packets held: give them back before the next one */
	for (uint32_t i = 0; i < n_held; i++)
		(void)mlx5tls_rq_release(b->rq, &b->held[i]);
	err = mlx5tls_rx_destroy(rx);
	if (err && !ret)
		ret = tool_fail(b->t, "TLS RX context destroy", err);
	k->rx = NULL;
	return ret ? 1 : 0;
}

/* Throughput: in order, every record must be the device's. best NULL: a pass that compares
 * every byte delivered with what was sent, not timed. */
static int pass_model(struct rxb *b, const struct rx_set *s, struct rx_best *best)
{
	struct rx_sink k = { .s = s, .check = !best };
	struct mlx5tls_rx_info info;
	double ns = 0;

	if (run_stream(b, s, NULL, RX_BATCH, &k, &info, &ns))
		return 1;
	if (info.records != s->records || info.by_device != s->records || info.by_software) {
		fprintf(stderr, "%s: in-order stream not decrypted by the device: %" PRIu64
			" records of %u, %" PRIu64 " by the device, %" PRIu64 " in software\n",
			b->t->prog, info.records, s->records, info.by_device, info.by_software);
		return 1;
	}
	if (best)
		best_add(best, ns);
	return 0;
}

/* The same records decrypted and verified with EVP AES-GCM, out of place, into the same
 * callback as the device path. */
static int pass_evp(struct rxb *b, const struct rx_set *s, struct rx_best *best)
{
	struct rx_sink k = { .s = s };
	size_t ct_len = s->rec_size + (is_tls12(b) ? 0u : 1u);
	double t0 = bench_now_ns();
	int outl = 0;

	for (uint32_t r = 0; r < s->records; r++) {
		const uint8_t *rec = s->stream + (size_t)r * s->rec_len, *body = rec + body_off(b);
		uint8_t nonce[12], aad[13], tag[TLS_TAG];
		size_t aad_len = record_crypto(b, rec, r, s->rec_size, nonce, aad);
		uint8_t type = RX_CT_APP;

		memcpy(tag, body + ct_len, TLS_TAG); /* EVP_CIPHER_CTX_ctrl wants it writable */
		if (EVP_DecryptInit_ex(b->evp, NULL, NULL, NULL, nonce) != 1 ||
		    EVP_DecryptUpdate(b->evp, NULL, &outl, aad, (int)aad_len) != 1 ||
		    EVP_DecryptUpdate(b->evp, b->evp_out, &outl, body, (int)ct_len) != 1 ||
		    EVP_CIPHER_CTX_ctrl(b->evp, EVP_CTRL_GCM_SET_TAG, TLS_TAG, tag) != 1 ||
		    EVP_DecryptFinal_ex(b->evp, b->evp_out + ct_len, &outl) != 1) {
			fprintf(stderr, "%s: EVP AES-GCM: record %u does not verify\n",
				b->t->prog, r);
			return 1;
		}
		if (!is_tls12(b))
			type = b->evp_out[s->rec_size]; /* no padding was sent */
		if (rx_consume(&k, type, b->evp_out, s->rec_size)) {
			fprintf(stderr, "%s: EVP AES-GCM: record %u is wrong\n", b->t->prog, r);
			return 1;
		}
	}
	best_add(best, bench_now_ns() - t0);
	return 0;
}

static int read_counters(struct rxb *b, uint64_t out[NR_RCNT])
{
	int n = mlx5tls_device_counters(b->t->dev, b->cnt_vals, b->nr_cnt);

	if (n < 0)
		return tool_fail(b->t, "reading the device counters", n);
	for (size_t i = 0; i < NR_RCNT; i++)
		out[i] = b->cnt_idx[i] < (unsigned int)n ? b->cnt_vals[b->cnt_idx[i]] : 0;
	return 0;
}

/*
 * Resync: the first segment from RX_LOSS_FROM on that holds a record start is lost and arrives
 * RX_RETX_DELAY segments later. One frame per poll: mlx5tls_rx_packet runs at each packet's
 * arrival, as the kernel's NAPI path starts a resync, so the device's guess is not delayed by
 * batching. Every byte is compared with what was sent.
 */
static int pass_resync(struct rxb *b, const struct rx_set *s, struct rx_resync_result *r)
{
	uint32_t *order = calloc(s->nframes, sizeof(*order)), lost = UINT32_MAX, n = 0;
	struct rx_sink k = { .s = s, .check = true };
	uint64_t before[NR_RCNT], after[NR_RCNT];
	struct mlx5tls_rx_info info;
	uint64_t n_dev = 0;
	double ns = 0;
	int ret = 1;

	k.dev_rec = calloc(s->records, 1);
	if (!order || !k.dev_rec) {
		tool_fail(b->t, "allocating", -ENOMEM);
		goto out;
	}
	for (uint32_t i = RX_LOSS_FROM; i + RX_RETX_DELAY < s->nframes; i++) {
		size_t start = (size_t)i * RX_MSS, rec = (start + s->rec_len - 1) / s->rec_len;

		if (rec * s->rec_len < start + RX_MSS && rec < s->records) {
			lost = i;
			r->lost_record = (uint32_t)rec;
			break;
		}
	}
	if (lost == UINT32_MAX) {
		fprintf(stderr, "%s: no segment to lose in the stream\n", b->t->prog);
		goto out;
	}
	r->lost_segment = lost;
	for (uint32_t i = 0; i < s->nframes; i++) {
		if (i != lost)
			order[n++] = i;
		if (i == lost + RX_RETX_DELAY)
			order[n++] = lost;
	}
	if (read_counters(b, before) || run_stream(b, s, order, 1, &k, &info, &ns) ||
	    read_counters(b, after))
		goto out;
	for (size_t i = 0; i < NR_RCNT; i++)
		r->counters[i] = after[i] - before[i];
	r->records_software = info.by_software;
	r->resync_answers = info.resync_answers;
	if (info.records != s->records || info.by_device + info.by_software != s->records) {
		fprintf(stderr, "%s: resync pass: %" PRIu64 " records of %u\n", b->t->prog,
			info.records, s->records);
		goto out;
	}
	/* the per-record notes must add up to the context's own count */
	for (uint32_t i = 0; i < s->records; i++)
		n_dev += k.dev_rec[i];
	if (n_dev != info.by_device) {
		fprintf(stderr, "%s: resync pass: %" PRIu64 " records noted as the device's, the "
			"context counts %" PRIu64 "\n", b->t->prog, n_dev, info.by_device);
		goto out;
	}
	r->until_resume = 0;
	r->resumed = false;
	r->software_after_resume = 0;
	for (uint32_t i = r->lost_record; i < s->records; i++) {
		if (!r->resumed && k.dev_rec[i]) {
			r->resumed = true;
			r->resume_record = i;
		} else if (!r->resumed) {
			r->until_resume++;
		} else if (!k.dev_rec[i]) {
			r->software_after_resume++;
		}
	}
	ret = 0;
out:
	free(order);
	free(k.dev_rec);
	return ret;
}

/* ---- report ---- */

static double per_sec(double count, const struct rx_best *b)
{
	return b->ns > 0 ? count * 1e9 / b->ns : 0.0;
}


static void print_rate(const char *key, const char *label, const struct rx_size_result *r,
		       const struct rx_best *b)
{
	char fmt[96];

	pr_open_object(key);
	snprintf(fmt, sizeof(fmt), "  %s %%s Gbit/s", label);
	pr_double("gbit_s", fmt, per_sec((double)r->records * r->rec_size * 8.0, b) / 1e9, 2);
	pr_double("records_s", " %s rec/s", per_sec(r->records, b), 0);
	pr_uint("passes", NULL, b->passes);
	pr_close_object();
}

static void print_resync(const struct rx_size_result *r)
{
	const struct rx_resync_result *z = &r->resync;

	pr_open_object(NULL);
	pr_uint("record_size", "  record %5s:", r->rec_size);
	pr_uint("lost_segment", " segment %s lost", z->lost_segment);
	pr_uint("lost_record", " (header of record %s),", z->lost_record);
	pr_uint("retransmit_after_segments", " back %s segments later", RX_RETX_DELAY);
	pr_nl();
	pr_bool("resumed", NULL, z->resumed);
	if (z->resumed) {
		pr_uint("records_until_resume", "    records until decryption resumes: %s",
			z->until_resume);
		pr_uint("resume_record", " (record %s is the device's again)", z->resume_record);
	} else {
		pr_uint("records_until_resume", "    decryption did not resume: %s records in "
			"software", z->until_resume);
	}
	pr_nl();
	pr_uint("records_software", "    records in software, whole stream %s",
		z->records_software);
	pr_uint("software_after_resume", ", after resuming %s", z->software_after_resume);
	pr_uint("resync_answers", "; resync answers %s", z->resync_answers);
	pr_nl();
	pr_open_object("counters");
	pr_text("    counters:");
	for (size_t i = 0; i < NR_RCNT; i++) {
		char fmt[64];

		snprintf(fmt, sizeof(fmt), " %s %%s", resync_counters[i] + 7);
		pr_uint(resync_counters[i], fmt, z->counters[i]);
	}
	pr_close_object();
	pr_close_object();
	pr_nl();
}

static void print_report(const struct rxb *b)
{
	pr_open_object(NULL);
	pr_open_object("device");
	tool_print_device(b->t);
	pr_close_object();
	pr_nl();
	pr_string("benchmark", "%s:", "rx");
	pr_string("suite", " suite %s", b->suite->name);
	pr_uint("mss", " mss %s", RX_MSS);
	pr_uint("batch", " poll every %s frames", RX_BATCH);
	pr_string("wire", ", wire %s", "model_wire_rx");
	pr_nl();

	pr_text("throughput on one core (device model + library, best pass) vs EVP AES-GCM "
		"decryption of the same records:");
	pr_nl();
	pr_open_array("throughput");
	for (size_t i = 0; i < NR_SIZES; i++) {
		const struct rx_size_result *r = &b->res[i];

		pr_open_object(NULL);
		pr_uint("record_size", "  record %5s:", r->rec_size);
		pr_uint("records", NULL, r->records);
		pr_uint("frames", NULL, r->frames);
		print_rate("evp", "evp", r, &r->evp);
		pr_nl();
		print_rate("model", "               device", r, &r->model);
		pr_double("ratio", "  ratio %s", bench_ratio(r->evp.ns, r->model.ns), 3);
		pr_close_object();
		pr_nl();
	}
	pr_close_array();
	{
		const struct rx_size_result *r = &b->res[0]; /* 16 KiB records */
		double ratio = bench_ratio(r->evp.ns, r->model.ns);
		bool met = ratio >= RX_TARGET_MODEL;

		pr_open_object("target_throughput");
		pr_double("min_ratio", "target rx model per 16KiB record >= %sx EVP:",
			  RX_TARGET_MODEL, 2);
		pr_bool("met", NULL, met);
		pr_text(" %s", met ? "met" : "NOT met");
		pr_double("ratio", " (%s)", ratio, 3);
		pr_close_object();
		pr_nl();
	}

	pr_text("library only (the device's work outside the timed region: poll, packet, input, "
		"callback, release) as a share of EVP decryption of the same records:");
	pr_nl();
	pr_open_array("library");
	for (size_t i = 0; i < NR_SIZES; i++) {
		const struct rx_size_result *r = &b->res[i];
		double zc = bench_ratio(r->lib_zc.ns, r->evp.ns);
		double cp = bench_ratio(r->lib_copy.ns, r->evp.ns);

		pr_open_object(NULL);
		pr_uint("record_size", "  record %5s:", r->rec_size);
		pr_double("zero_copy_ns_per_record", " zero copy %s ns/record",
			  r->records ? r->lib_zc.ns / r->records : 0, 1);
		pr_double("zero_copy_of_evp", " (%sx EVP)", zc, 3);
		pr_double("copy_ns_per_record", ", mlx5tls_rx_input %s ns/record",
			  r->records ? r->lib_copy.ns / r->records : 0, 1);
		pr_double("copy_of_evp", " (%sx EVP)", cp, 3);
		pr_close_object();
		pr_nl();
	}
	pr_close_array();
	{
		const struct rx_size_result *r = &b->res[0]; /* 16 KiB records */
		double zc = bench_ratio(r->lib_zc.ns, r->evp.ns);

		pr_text("target rx library per 16KiB record <= 0.10x EVP: %s (%.3f)",
			zc <= 0.10 ? "met" : "NOT met", zc);
		pr_nl();
	}

	pr_text("resync: a segment carrying a record header lost, retransmitted later:");
	pr_nl();
	pr_open_array("resync");
	for (size_t i = 0; i < NR_SIZES; i++)
		print_resync(&b->res[i]);
	pr_close_array();
	pr_close_object();
}

/* ---- setup ---- */

static int find_counters(struct rxb *b)
{
	b->nr_cnt = mlx5tls_counter_count();
	b->cnt_vals = calloc(b->nr_cnt ? b->nr_cnt : 1, sizeof(*b->cnt_vals));
	if (!b->cnt_vals)
		return tool_fail(b->t, "allocating", -ENOMEM);
	for (size_t i = 0; i < NR_RCNT; i++) {
		unsigned int j = 0;

		for (; j < b->nr_cnt; j++) {
			const char *name = mlx5tls_counter_name(j);

			if (name && !strcmp(name, resync_counters[i]))
				break;
		}
		if (j == b->nr_cnt) {
			fprintf(stderr, "%s: the library has no counter %s\n", b->t->prog,
				resync_counters[i]);
			return 1;
		}
		b->cnt_idx[i] = j;
	}
	return 0;
}

static int setup(struct rxb *b)
{
	MLX5TLS_OPTS(mlx5tls_qp_opts, q, .flags = MLX5TLS_QP_F_MODEL_SYNC);
	MLX5TLS_OPTS(mlx5tls_rq_opts, ro, .flags = MLX5TLS_RQ_F_MODEL_SYNC);
	MLX5TLS_OPTS(mlx5tls_tir_opts, to, .tls_en = true);
	struct mlx5tls_flow_match m = { .ip_version = 4, .src_port = 443, .dst_port = 40000 };
	const EVP_CIPHER *cipher = b->suite->key_bits == 128 ? EVP_aes_128_gcm()
							       : EVP_aes_256_gcm();
	uint8_t *salt, *iv;
	int ret;

	b->ci_len = tool_crypto_info(&b->ci, b->suite, NULL, NULL);
	if (!b->ci_len)
		return tool_fail(b->t, "making a key", errno);
	/* a non-zero salt, and for TLS 1.3 a non-zero iv, so a nonce built wrong cannot pass;
	 * TLS 1.2's explicit nonce is in each record (the record number, as kTLS sends it) */
	salt = b->suite->key_bits == 128 ? b->ci.gcm128.salt : b->ci.gcm256.salt;
	iv = b->suite->key_bits == 128 ? b->ci.gcm128.iv : b->ci.gcm256.iv;
	if (getrandom(salt, 4, 0) != 4 || (!is_tls12(b) && getrandom(iv, 8, 0) != 8))
		return tool_fail(b->t, "making a key", errno);
	if (find_counters(b))
		return 1;
	b->pd = mlx5tls_pd_alloc(b->t->dev);
	if (!b->pd)
		return tool_fail(b->t, "PD alloc", errno);
	b->td = mlx5tls_td_alloc(b->t->dev);
	if (!b->td)
		return tool_fail(b->t, "TD alloc", errno);
	/* the control queue consumes the params and GET_PSV at the doorbell, on this thread */
	b->qp = mlx5tls_qp_create(b->pd, b->td, &q);
	if (!b->qp)
		return tool_fail(b->t, "queue create", errno);
	b->rq = mlx5tls_rq_create(b->pd, b->td, &ro);
	if (!b->rq)
		return tool_fail(b->t, "receive queue create", errno);
	b->tir = mlx5tls_tir_create(b->rq, b->td, &to);
	if (!b->tir)
		return tool_fail(b->t, "TLS TIR create", errno);
	put32(m.src_ip, 0x0a000002);
	put32(m.dst_ip, 0x0a000001);
	b->flow = mlx5tls_flow_create(b->tir, &m);
	if (!b->flow)
		return tool_fail(b->t, "flow create", errno);
	b->evp_out = malloc(16384 + 256);
	if (!b->evp_out)
		return tool_fail(b->t, "allocating", -ENOMEM);
	b->evp = EVP_CIPHER_CTX_new();
	ret = b->evp && EVP_DecryptInit_ex(b->evp, cipher, NULL,
					   b->suite->key_bits == 128 ? b->ci.gcm128.key
								     : b->ci.gcm256.key,
					   NULL) == 1 ? 0 : -ENOMEM;
	if (ret)
		return tool_fail(b->t, "EVP init", ret);
	return 0;
}

static int teardown(struct rxb *b)
{
	int ret = 0, err;

	EVP_CIPHER_CTX_free(b->evp); /* cleanses the key schedule */
	explicit_bzero(&b->ci, sizeof(b->ci));
	if (b->flow && (err = mlx5tls_flow_destroy(b->flow)))
		ret = tool_fail(b->t, "flow destroy", err);
	if (b->tir && (err = mlx5tls_tir_destroy(b->tir)))
		ret = ret ? ret : tool_fail(b->t, "TIR destroy", err);
	if (b->rq && (err = mlx5tls_rq_destroy(b->rq)))
		ret = ret ? ret : tool_fail(b->t, "receive queue destroy", err);
	if (b->qp && (err = mlx5tls_qp_destroy(b->qp)))
		ret = ret ? ret : tool_fail(b->t, "queue destroy", err);
	if (b->td && (err = mlx5tls_td_dealloc(b->td)))
		ret = ret ? ret : tool_fail(b->t, "TD dealloc", err);
	if (b->pd && (err = mlx5tls_pd_dealloc(b->pd)))
		ret = ret ? ret : tool_fail(b->t, "PD dealloc", err);
	free(b->evp_out);
	free(b->cnt_vals);
	return ret;
}

/* One checked pass, then the timed ones alternating until each had its time and
 * RX_MIN_PASSES; then the resync pass. */
static int measure(struct rxb *b, struct rx_size_result *r)
{
	struct rx_set s;
	double deadline;
	int ret = set_build(b, &s, r->rec_size);

	if (ret) {
		set_free(&s);
		return tool_fail(b->t, "building frames", ret);
	}
	r->records = s.records;
	r->frames = s.nframes;
	ret = pass_model(b, &s, NULL);
	if (!ret) /* the library-only passes checked once, every byte */
		ret = rx_pass_lib(b, &s, true, NULL) || rx_pass_lib(b, &s, false, NULL);
	deadline = bench_now_ns() + b->seconds * 1e9;
	while (!ret && (r->model.passes < RX_MIN_PASSES || bench_now_ns() < deadline)) {
		ret = pass_model(b, &s, &r->model);
		if (!ret)
			ret = pass_evp(b, &s, &r->evp);
		if (!ret)
			ret = rx_pass_lib(b, &s, true, &r->lib_zc);
		if (!ret)
			ret = rx_pass_lib(b, &s, false, &r->lib_copy);
	}
	if (!ret)
		ret = pass_resync(b, &s, &r->resync);
	set_free(&s);
	return ret;
}

static int bench_run(struct rxb *b, int version, unsigned int bits)
{
	struct mlx5tls_caps caps;
	int ret;

	if (tool_open_device(b->t, false))
		return 1;
	if (b->t->attr.kind != MLX5TLS_DEVICE_MODEL) {
		fprintf(stderr, "%s: rx feeds frames into the device's port: it needs the device "
			"model (-d sim), %s is hardware\n", b->t->prog, b->t->attr.name);
		return 1;
	}
	memset(&caps, 0, sizeof(caps));
	ret = mlx5tls_query_caps(b->t->dev, &caps, sizeof(caps));
	if (ret)
		return tool_fail(b->t, "cannot query capabilities", ret);
	b->suite = bench_find_suite(version, bits);
	if (!caps.tls_rx || !b->suite || !(caps.suites & b->suite->bit)) {
		fprintf(stderr, "%s: device %s cannot offload %s for reception\n", b->t->prog,
			b->t->attr.name, b->suite ? b->suite->name : "this suite");
		return 1;
	}
	ret = setup(b);
	for (size_t i = 0; !ret && i < NR_SIZES; i++) {
		b->res[i].rec_size = rec_sizes[i];
		ret = measure(b, &b->res[i]);
	}
	if (!ret)
		print_report(b);
	return teardown(b) || ret ? 1 : 0;
}

int bench_rx(struct tool *t)
{
	struct rxb *b = calloc(1, sizeof(*b));
	int version = TLS_1_3_VERSION, ret;
	unsigned int bits = 128;

	if (!b)
		return tool_fail(t, "allocating", -ENOMEM);
	b->t = t;
	b->seconds = RX_DEFAULT_SECONDS;
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
