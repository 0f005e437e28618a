/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A receive-side fixture for TLS RX contexts over their whole life, shared by the sim and DevX
 * suites (rx_lifecycle_cases.h, rx_record_cases.h): records sealed with keys the test makes
 * (tls_record_encrypt_sw, the reference encryptor) or by an OpenSSL peer, cut into TCP segments
 * of a connection 198.18.0.2:port -> 198.18.0.1:40000, steered by the device to a TLS TIR,
 * decrypted inline, and handed to the RX context by an application that reorders by TCP
 * sequence and answers the context's stops (KeyUpdate: the next key; control: resume).
 *
 * The including file defines RX_DEV and rx_wire() (as for rx_offload_cases.h).
 */
#ifndef MLX5TLS_RX_LIFECYCLE_FIXTURE_H
#define MLX5TLS_RX_LIFECYCLE_FIXTURE_H

#include <errno.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mlx5tls/mlx5tls.h"
#include "rx_frame.h"
#include "test_util.h"
#include "tls_peer.h"

#define LC_MSS 1448u
#define LC_MAX_KEYS 256u
#define LC_HDRS RX_FRAME_HDRS

/* ---- a TLS stream the test writes ---- */

struct lc_stream {
	uint16_t version;
	unsigned int bits;
	union tls_peer_crypto_info keys[LC_MAX_KEYS]; /* epoch k's crypto info (rec_seq = first) */
	unsigned int n_keys;
	uint64_t seq;          /* next record number under the last key */
	uint8_t *wire;
	size_t len, cap;
	uint8_t *pt;           /* application data, in order */
	size_t pt_len, pt_cap;
	unsigned int records;
};

static void lc_key(struct lc_stream *s, uint64_t rec_seq)
{
	union tls_peer_crypto_info *ci = &s->keys[s->n_keys++];
	uint8_t seq[8];

	CU_ASSERT_FATAL(s->n_keys <= LC_MAX_KEYS);
	memset(ci, 0, sizeof(*ci));
	for (int i = 7; i >= 0; i--)
		seq[i] = (uint8_t)(rec_seq >> (8 * (7 - i)));
	ci->info.version = s->version;
	if (s->bits == 128) {
		ci->info.cipher_type = TLS_CIPHER_AES_GCM_128;
		CU_ASSERT_FATAL(RAND_bytes(ci->gcm128.key, 16) == 1);
		CU_ASSERT_FATAL(RAND_bytes(ci->gcm128.salt, 4) == 1);
		CU_ASSERT_FATAL(RAND_bytes(ci->gcm128.iv, 8) == 1);
		memcpy(ci->gcm128.rec_seq, seq, 8);
	} else {
		ci->info.cipher_type = TLS_CIPHER_AES_GCM_256;
		CU_ASSERT_FATAL(RAND_bytes(ci->gcm256.key, 32) == 1);
		CU_ASSERT_FATAL(RAND_bytes(ci->gcm256.salt, 4) == 1);
		CU_ASSERT_FATAL(RAND_bytes(ci->gcm256.iv, 8) == 1);
		memcpy(ci->gcm256.rec_seq, seq, 8);
	}
	s->seq = rec_seq;
}

static void lc_stream_init(struct lc_stream *s, uint16_t version, unsigned int bits,
			   uint64_t rec_seq)
{
	memset(s, 0, sizeof(*s));
	s->version = version;
	s->bits = bits;
	lc_key(s, rec_seq);
}

static void lc_stream_fini(struct lc_stream *s)
{
	for (unsigned int k = 0; k < s->n_keys; k++)
		tls_peer_crypto_info_wipe(&s->keys[k]);
	free(s->wire);
	free(s->pt);
	memset(s, 0, sizeof(*s));
}

static void grow(uint8_t **p, size_t *cap, size_t need)
{
	if (need <= *cap)
		return;
	*cap = need * 2 + 4096;
	*p = realloc(*p, *cap);
	CU_ASSERT_PTR_NOT_NULL_FATAL(*p);
}

/* Append raw bytes to the wire (a forged or malformed record). */
static void lc_raw(struct lc_stream *s, const void *b, size_t n)
{
	grow(&s->wire, &s->cap, s->len + n);
	memcpy(s->wire + s->len, b, n);
	s->len += n;
}

/* One record of `type` under key `k` numbered `seq` (TLS 1.3: padded with `pad` zero bytes). */
static void lc_record_with(struct lc_stream *s, unsigned int k, uint64_t seq, uint8_t type,
			   const void *pt, size_t n, size_t pad)
{
	const struct tls_crypto_info *ci = &s->keys[k].info;
	size_t inner = n + pad, sz = tls_record_size(ci->version, inner);
	uint8_t *buf = malloc(sz + 64), *body;
	ssize_t w;

	CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
	body = malloc(inner + 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(body);
	if (n)
		memcpy(body, pt, n);
	if (ci->version == TLS_1_3_VERSION && pad) {
		/* the layout puts the type after the plaintext: data || type || zeros */
		w = tls_record_layout(ci, type, seq, body, n, buf, sz + 64);
		CU_ASSERT_FATAL(w > 0);
		/* grow the inner plaintext by `pad` zeros after the type, before the tag */
		memmove(buf + w - 16 + pad, buf + w - 16, 16);
		memset(buf + w - 16, 0, pad);
		w += (ssize_t)pad;
		buf[3] = (uint8_t)((w - 5) >> 8);
		buf[4] = (uint8_t)(w - 5);
	} else {
		w = tls_record_layout(ci, type, seq, body, n, buf, sz + 64);
		CU_ASSERT_FATAL(w > 0);
	}
	CU_ASSERT_EQUAL_FATAL(tls_record_encrypt_sw(ci, seq, buf, (size_t)w), 0);
	lc_raw(s, buf, (size_t)w);
	free(body);
	free(buf);
}

/* Application data under the current key, cut into records of at most 16 KiB. */
static void lc_write(struct lc_stream *s, const void *pt, size_t n)
{
	const uint8_t *p = pt;

	do {
		size_t c = n > 16384 ? 16384 : n;

		lc_record_with(s, s->n_keys - 1, s->seq++, TLS_RT_APPLICATION_DATA, p, c, 0);
		grow(&s->pt, &s->pt_cap, s->pt_len + c);
		if (c)
			/* cppcheck-suppress nullPointer ; guarded by c: a NULL source comes with n == 0 */
			memcpy(s->pt + s->pt_len, p, c);
		s->pt_len += c;
		s->records++;
		p += c;
		n -= c;
	} while (n);
}

/* n pattern bytes of application data. */
static void lc_write_n(struct lc_stream *s, size_t n)
{
	uint8_t *b = malloc(n + 1);

	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	for (size_t i = 0; i < n; i++)
		b[i] = (uint8_t)(s->pt_len + i * 7 + (i >> 9));
	lc_write(s, b, n);
	free(b);
}

/* A handshake record carrying a KeyUpdate (RFC 8446 4.6.3), then new keys from record 0. */
static void lc_key_update(struct lc_stream *s, bool request)
{
	const uint8_t ku[5] = { 24, 0, 0, 1, request ? 1 : 0 };

	lc_record_with(s, s->n_keys - 1, s->seq++, TLS_RT_HANDSHAKE, ku, sizeof(ku), 0);
	s->records++;
	lc_key(s, 0);
}

/* ---- the device and the application ---- */

struct lc_seg {
	uint32_t seq, len;
	uint32_t word;
	uint8_t *bytes;
};

struct lc {
	struct mlx5tls_device *dev;
	struct mlx5tls_pd *pd;
	struct mlx5tls_td *td;
	struct mlx5tls_qp *qp;
	struct mlx5tls_rq *rq;
	struct mlx5tls_tir *tir;
	struct mlx5tls_flow *flow;
	struct mlx5tls_rx *rx;
	uint16_t sport;
	uint32_t isn;
	struct lc_stream *s;       /* the stream being received (keys for rekeys) */
	unsigned int key_next;     /* next key of s to install at a KeyUpdate */
	bool answer_key_update;    /* install keys at -EKEYEXPIRED */
	bool resume_control;       /* resume at -ECANCELED */
	uint8_t *got;
	size_t got_len, got_cap;
	unsigned int types[256];   /* records delivered, by content type */
	uint8_t type_log[64];
	unsigned int n_type_log;
	struct lc_seg *held;
	unsigned int n_held, cap_held;
	uint32_t next;
	int err;                   /* first error from mlx5tls_rx_input (not an answered stop) */
	unsigned int rekeys, stops;
};


static void lc_flow(struct lc *f, uint16_t sport)
{
	struct mlx5tls_flow_match m;

	if (f->flow)
		CU_ASSERT_EQUAL_FATAL(mlx5tls_flow_destroy(f->flow), 0);
	rx_flow_match(&m, sport, 40000);
	f->flow = mlx5tls_flow_create(f->tir, &m);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f->flow);
	f->sport = sport;
}

/* Device objects; sync: the model consumes WQEs at the doorbell (else on its own thread). */
static void lc_open(struct lc *f, bool sync)
{
	struct mlx5tls_qp_opts qo = { .sz = sizeof(qo), .flags = sync ? MLX5TLS_QP_F_MODEL_SYNC
								     : 0 };
	struct mlx5tls_tir_opts to = { .sz = sizeof(to), .tls_en = true };

	memset(f, 0, sizeof(*f));
	f->dev = mlx5tls_device_open(RX_DEV, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f->dev);
	f->pd = mlx5tls_pd_alloc(f->dev);
	f->td = mlx5tls_td_alloc(f->dev);
	CU_ASSERT_FATAL(f->pd && f->td);
	f->qp = mlx5tls_qp_create(f->pd, f->td, &qo);
	f->rq = mlx5tls_rq_create(f->pd, f->td, NULL);
	CU_ASSERT_FATAL(f->qp && f->rq);
	f->tir = mlx5tls_tir_create(f->rq, f->td, &to);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f->tir);
	lc_flow(f, 443);
}

static void lc_reset_app(struct lc *f)
{
	for (unsigned int i = 0; i < f->n_held; i++)
		free(f->held[i].bytes);
	f->n_held = 0;
	f->got_len = 0;
	f->err = 0;
	f->rekeys = f->stops = 0;
	f->n_type_log = 0;
	memset(f->types, 0, sizeof(f->types));
}

/* A context for stream s starting at TCP sequence isn (no wait for its params). */
static void lc_start(struct lc *f, struct lc_stream *s, uint32_t isn, uint32_t flags)
{
	struct mlx5tls_rx_opts o = { .sz = sizeof(o), .flags = flags };

	lc_reset_app(f);
	f->s = s;
	f->key_next = 1;
	f->isn = isn;
	f->next = isn;
	f->answer_key_update = true;
	f->resume_control = true;
	f->rx = mlx5tls_rx_create(f->qp, f->tir, &s->keys[0].info,
				  tls_peer_crypto_info_size(&s->keys[0].info), isn, &o);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f->rx);
}

static void lc_stop_ctx(struct lc *f)
{
	if (f->rx)
		CU_ASSERT_EQUAL(mlx5tls_rx_destroy(f->rx), 0);
	f->rx = NULL;
}

static void lc_close(struct lc *f)
{
	lc_reset_app(f);
	free(f->held);
	free(f->got);
	lc_stop_ctx(f);
	CU_ASSERT_EQUAL(mlx5tls_flow_destroy(f->flow), 0);
	CU_ASSERT_EQUAL(mlx5tls_tir_destroy(f->tir), 0);
	CU_ASSERT_EQUAL(mlx5tls_rq_destroy(f->rq), 0);
	CU_ASSERT_EQUAL(mlx5tls_qp_destroy(f->qp), 0);
	CU_ASSERT_EQUAL(mlx5tls_td_dealloc(f->td), 0);
	CU_ASSERT_EQUAL(mlx5tls_pd_dealloc(f->pd), 0);
	CU_ASSERT_EQUAL(mlx5tls_device_close(f->dev), 0);
}





/* The peer's TCP segment (valid checksums) carrying payload at TCP sequence seq. */
static size_t lc_frame(uint16_t sport, uint32_t seq, const uint8_t *payload, uint32_t len,
		       uint8_t *fr)
{
	return rx_tcp_frame(sport, 40000, seq, payload, len, fr);
}

static void lc_note_type(struct lc *f, uint8_t type)
{
	f->types[type]++;
	if (f->n_type_log < sizeof(f->type_log))
		f->type_log[f->n_type_log++] = type;
}

static void lc_append(struct lc *f, const void *pt, size_t len)
{
	grow(&f->got, &f->got_cap, f->got_len + len);
	if (len)
		memcpy(f->got + f->got_len, pt, len);
	f->got_len += len;
}

static int lc_collect(void *ctx, uint8_t type, const void *pt, size_t len)
{
	struct lc *f = ctx;

	lc_note_type(f, type);
	if (type == TLS_RT_APPLICATION_DATA)
		lc_append(f, pt, len);
	return 0;
}

/* One in-order segment to the context, answering its stops as an application would. */
static int lc_input(struct lc *f, const struct lc_seg *g)
{
	for (;;) {
		int ret = mlx5tls_rx_input(f->rx, g->seq, g->bytes, g->len, g->word, lc_collect, f);

		if (ret == -EKEYEXPIRED && f->answer_key_update && f->key_next < f->s->n_keys) {
			const struct tls_crypto_info *ci = &f->s->keys[f->key_next++].info;

			ret = mlx5tls_rx_rekey(f->rx, ci, tls_peer_crypto_info_size(ci));
			CU_ASSERT_EQUAL(ret, 0);
			if (ret)
				return ret;
			f->rekeys++;
			continue;
		}
		if (ret == -ECANCELED && f->resume_control) {
			f->stops++;
			CU_ASSERT_EQUAL(mlx5tls_rx_resume(f->rx), 0);
			continue;
		}
		return ret;
	}
}

/* The zero-copy application (mlx5tls_rx_input_segs): records come in pieces; a piece the device
 * authenticated must lie inside one of the application's own segment buffers. */
static bool lc_segs_mode;

struct lc_iov_ctx {
	struct lc *f;
	unsigned int in_place, copied;
};

static int lc_collect_iov(void *ctx, uint8_t type, const struct iovec *iov, unsigned int iovcnt,
			  size_t len)
{
	struct lc_iov_ctx *c = ctx;
	struct lc *f = c->f;
	size_t total = 0;
	bool inside = true;

	for (unsigned int i = 0; i < iovcnt; i++) {
		const uint8_t *b = iov[i].iov_base;
		bool found = false;

		for (unsigned int h = 0; h < f->n_held && !found; h++)
			found = b >= f->held[h].bytes && b + iov[i].iov_len <=
							 f->held[h].bytes + f->held[h].len;
		inside = inside && found;
		total += iov[i].iov_len;
	}
	CU_ASSERT_EQUAL(total, len);
	if (inside && len)
		c->in_place++;
	else
		c->copied++;
	lc_note_type(f, type);
	for (unsigned int i = 0; type == TLS_RT_APPLICATION_DATA && i < iovcnt; i++)
		lc_append(f, iov[i].iov_base, iov[i].iov_len);
	return 0;
}

static unsigned int lc_in_place, lc_copied; /* records delivered each way, all contexts */

static int seg_cmp(const void *a, const void *b)
{
	const struct lc_seg *x = a, *y = b;

	return (int32_t)(x->seq - y->seq) < 0 ? -1 : (x->seq != y->seq);
}

/* All held segments to the context in one call; those wholly consumed are released. */
static void lc_deliver_segs(struct lc *f)
{
	struct lc_iov_ctx c = { f, 0, 0 };
	struct mlx5tls_rx_seg *v;
	uint32_t next = 0;
	int ret;

	if (!f->n_held || f->err)
		return;
	qsort(f->held, f->n_held, sizeof(*f->held), seg_cmp);
	v = calloc(f->n_held, sizeof(*v));
	CU_ASSERT_PTR_NOT_NULL_FATAL(v);
	for (unsigned int i = 0; i < f->n_held; i++)
		v[i] = (struct mlx5tls_rx_seg){ f->held[i].bytes, f->held[i].seq, f->held[i].len,
						f->held[i].word };
	for (;;) {
		ret = mlx5tls_rx_input_segs(f->rx, v, f->n_held, lc_collect_iov, &c, &next);
		if (ret == -EKEYEXPIRED && f->answer_key_update && f->key_next < f->s->n_keys) {
			const struct tls_crypto_info *ci = &f->s->keys[f->key_next++].info;

			ret = mlx5tls_rx_rekey(f->rx, ci, tls_peer_crypto_info_size(ci));
			CU_ASSERT_EQUAL(ret, 0);
			if (ret)
				break;
			f->rekeys++;
			continue;
		}
		if (ret == -ECANCELED && f->resume_control) {
			f->stops++;
			CU_ASSERT_EQUAL(mlx5tls_rx_resume(f->rx), 0);
			continue;
		}
		break;
	}
	free(v);
	f->err = ret;
	lc_in_place += c.in_place;
	lc_copied += c.copied;
	/* release what lies wholly before the stream position */
	for (unsigned int i = 0; i < f->n_held;) {
		if ((int32_t)(f->held[i].seq + f->held[i].len - next) <= 0) {
			free(f->held[i].bytes);
			f->held[i] = f->held[--f->n_held];
		} else {
			i++;
		}
	}
	f->next = next;
}

/* Held segments that are now in order go to the context. */
static void lc_deliver(struct lc *f)
{
	if (lc_segs_mode) {
		lc_deliver_segs(f);
		return;
	}
	bool progress = true;

	while (progress && !f->err) {
		progress = false;
		for (unsigned int i = 0; i < f->n_held; i++) {
			struct lc_seg *g = &f->held[i];

			if ((int32_t)(g->seq - f->next) > 0)
				continue;
			f->err = lc_input(f, g);
			/* a stop the test answers itself: the segment stays for the retry */
			if (f->err == -EKEYEXPIRED || f->err == -ECANCELED)
				break;
			if ((int32_t)(g->seq + g->len - f->next) > 0)
				f->next = g->seq + g->len;
			free(g->bytes);
			f->held[i] = f->held[--f->n_held];
			progress = true;
			break;
		}
	}
}

/* Stream bytes [off, off+len) of s arrive at the device as one segment; the application takes
 * what the device delivers (status word kept with the bytes) and delivers what is in order. */
static void lc_arrive(struct lc *f, const struct lc_stream *s, size_t off, uint32_t len,
		      bool deliver)
{
	uint8_t fr[LC_HDRS + 65536];
	struct mlx5tls_rx_pkt pk;
	size_t n = lc_frame(f->sport, f->isn + (uint32_t)off, s->wire + off, len, fr);
	struct lc_seg *g;

	CU_ASSERT_EQUAL_FATAL(rx_wire(f->dev, fr, n), 0);
	CU_ASSERT_EQUAL_FATAL(mlx5tls_rq_poll(f->rq, &pk, 1, 0), 1);
	CU_ASSERT_EQUAL(mlx5tls_rx_packet(f->rx, f->isn + (uint32_t)off, len,
					  mlx5tls_rx_pkt_tls(&pk)), 0);
	if (f->n_held == f->cap_held) {
		f->cap_held = f->cap_held * 2 + 64;
		f->held = realloc(f->held, f->cap_held * sizeof(*f->held));
		CU_ASSERT_PTR_NOT_NULL_FATAL(f->held);
	}
	g = &f->held[f->n_held++];
	g->seq = f->isn + (uint32_t)off;
	g->len = len;
	g->word = mlx5tls_rx_pkt_tls(&pk);
	g->bytes = malloc(len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(g->bytes);
	memcpy(g->bytes, (uint8_t *)pk.data + LC_HDRS, len);
	CU_ASSERT_EQUAL(mlx5tls_rq_release(f->rq, &pk), 0);
	if (deliver)
		lc_deliver(f);
}

/* The whole stream from byte `from` in MSS segments, in order. */
static void lc_send_all(struct lc *f, const struct lc_stream *s, size_t from)
{
	for (size_t off = from; off < s->len; off += LC_MSS)
		lc_arrive(f, s, off, (uint32_t)(s->len - off < LC_MSS ? s->len - off : LC_MSS),
			  true);
}

static bool lc_got_all(const struct lc *f, const struct lc_stream *s)
{
	return !f->err && f->got_len == s->pt_len && !memcmp(f->got, s->pt, s->pt_len);
}


#endif
