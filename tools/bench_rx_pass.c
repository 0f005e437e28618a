/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mlx5tls-bench rx: the passes through the device model (bench_rx.c names what they measure).
 * The application's side - the record callback, and the packets handed to the RX context in TCP
 * order - and two passes over one stream: the same records decrypted with EVP, and a header
 * segment lost and retransmitted (the resync). The in-order throughput pass through the device
 * is rx_pass_model (bench_rx_lib.c: the zero-copy path with the device's work timed).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "bench_rx_shared.h"

void best_add(struct rx_best *b, double ns)
{
	if (!b->passes || ns < b->ns)
		b->ns = ns;
	b->passes++;
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

/* The same records decrypted and verified with EVP AES-GCM, out of place, into the same
 * callback as the device path. */
int rx_pass_evp(struct rxb *b, const struct rx_set *s, struct rx_best *best)
{
	struct rx_sink k = { .s = s };
	size_t ct_len = s->rec_size + (is_tls12(b) ? 0u : 1u);
	double t0 = bench_now_ns();
	int outl = 0;

	for (uint32_t r = 0; r < s->records; r++) {
		const uint8_t *rec = s->stream + (size_t)r * s->rec_len, *body = rec + body_off(b);
		uint8_t nonce[12], aad[13], tag[TLS_TAG];
		size_t aad_len = rx_record_crypto(b, rec, r, s->rec_size, nonce, aad);
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
int rx_pass_resync(struct rxb *b, const struct rx_set *s, struct rx_resync_result *r)
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
