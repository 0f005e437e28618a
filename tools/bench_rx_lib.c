/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mlx5tls-bench rx, library only: what the library costs per record the device authenticated,
 * with the device's work outside the timed region; and the same zero-copy path with the device's
 * work timed, the throughput pass against EVP (rx_pass_model).
 *
 * A chunk of frames goes into the model's port first (mlx5tls_model_wire_rx: the model's
 * receive path - steering, TLS RX engine, receive queue - runs there, untimed); then the timed
 * part does everything the application and the library do with them: mlx5tls_rq_poll,
 * mlx5tls_rx_packet at arrival, the stream to the context (mlx5tls_rx_input_segs over the held
 * packets - zero copy - or mlx5tls_rx_input per packet), the record callback (the same one the
 * EVP baseline calls) and mlx5tls_rq_release. The timer is read twice per chunk of RX_LIB_CHUNK
 * frames (about 22 records of 16 KiB), so its own cost is below a part in ten thousand of a
 * chunk and is not taken out.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "bench_rx_shared.h"

#define RX_LIB_CHUNK 256u
#define RX_LIB_HELD (RX_LIB_CHUNK + 64u) /* a chunk and the partial record before it */

struct lib_run {
	struct rxb *b;
	const struct rx_set *s;
	struct mlx5tls_rx *rx;
	struct rx_sink k;
	struct mlx5tls_rx_pkt held[RX_LIB_HELD];
	struct mlx5tls_rx_seg segs[RX_LIB_HELD];
	uint32_t n_held;
	uint8_t *scratch; /* a record of pieces made contiguous, for the check pass only */
};

/* The zero-copy callback: the same checks as rx_consume (type, length; the plaintext is read
 * only on the checking pass, where it is compared whole). */
static int on_record_iov(void *ctx, uint8_t type, const struct iovec *iov, unsigned int iovcnt,
			 size_t len)
{
	struct lib_run *r = ctx;
	struct rx_sink *k = &r->k;
	size_t off = 0;

	if (type != RX_CT_APP || len != k->s->rec_size || k->records >= k->s->records)
		return -EPROTO;
	for (unsigned int i = 0; k->check && i < iovcnt; i++) {
		memcpy(r->scratch + off, iov[i].iov_base, iov[i].iov_len);
		off += iov[i].iov_len;
	}
	if (k->check && memcmp(r->scratch, k->s->pt + (size_t)k->records * len, len))
		return -EPROTO;
	k->records++;
	return 0;
}

/* Poll what the device delivered, note each packet at arrival and hold it. */
static int take(struct lib_run *r, uint32_t n)
{
	struct rxb *b = r->b;

	for (uint32_t got = 0; got < n;) {
		int m = mlx5tls_rq_poll(b->rq, b->pkts, (int)RX_BATCH, 0);

		if (m <= 0)
			return m ? m : -ENODATA;
		for (int j = 0; j < m; j++) {
			const struct mlx5tls_rx_pkt *p = &b->pkts[j];
			const uint8_t *f = p->data;
			uint32_t seq = get32(f + 38), len = p->len - RX_HDR_LEN;
			int ret;

			if (r->n_held == RX_LIB_HELD || !p->l4_ok)
				return -ENOBUFS;
			ret = mlx5tls_rx_packet(r->rx, seq, len, mlx5tls_rx_pkt_tls(p));
			if (ret)
				return ret;
			r->held[r->n_held] = *p;
			r->segs[r->n_held++] = (struct mlx5tls_rx_seg){
				f + RX_HDR_LEN, seq, len, mlx5tls_rx_pkt_tls(p) };
		}
		got += (uint32_t)m;
	}
	return 0;
}

/* Zero copy: every held packet in one call; the ones wholly consumed go back to the queue. */
static int deliver_segs(struct lib_run *r)
{
	uint32_t next = 0, done = 0;
	int ret = mlx5tls_rx_input_segs(r->rx, r->segs, r->n_held, on_record_iov, r, &next);

	/* in TCP order: the ones wholly consumed are a prefix, given back in one batch */
	while (done < r->n_held && (int32_t)(r->segs[done].tcp_seq + r->segs[done].len - next) <= 0)
		done++;
	if (!ret)
		ret = mlx5tls_rq_release_n(r->b->rq, r->held, done);
	if (!ret) {
		memmove(r->held, r->held + done, (r->n_held - done) * sizeof(*r->held));
		memmove(r->segs, r->segs + done, (r->n_held - done) * sizeof(*r->segs));
		r->n_held -= done;
	}
	return ret;
}

/* Copying: each packet through mlx5tls_rx_input, then released. */
static int deliver_each(struct lib_run *r)
{
	int ret = 0;

	for (uint32_t i = 0; !ret && i < r->n_held; i++) {
		ret = mlx5tls_rx_input(r->rx, r->segs[i].tcp_seq, r->segs[i].payload,
				       r->segs[i].len, r->segs[i].tls_word, rx_on_record_cb,
				       &r->k);
		if (!ret)
			ret = mlx5tls_rq_release(r->b->rq, &r->held[i]);
	}
	r->n_held = 0;
	return ret;
}

/*
 * One pass over the stream, a chunk of frames at a time into the model's port and then to the
 * library. with_device (the throughput pass through the device, bench_rx.c): chunks of RX_BATCH
 * frames and everything timed, the model's receive path included; else chunks of RX_LIB_CHUNK
 * and only the library's part timed.
 */
static int lib_pass(struct rxb *b, const struct rx_set *s, bool zero_copy, bool with_device,
		    struct rx_best *best)
{
	uint32_t chunk = with_device ? RX_BATCH : RX_LIB_CHUNK;
	struct lib_run *r = calloc(1, sizeof(*r));
	struct mlx5tls_rx_info info;
	double ns = 0, t_all = 0;
	int ret = 0, err;

	if (!r || !(r->scratch = malloc(s->rec_size + 1))) {
		free(r);
		return tool_fail(b->t, "allocating", -ENOMEM);
	}
	r->b = b;
	r->s = s;
	r->k.s = s;
	r->k.check = !best;
	r->rx = rx_open(b);
	if (!r->rx) {
		free(r->scratch);
		free(r);
		return 1;
	}
	if (with_device)
		t_all = bench_now_ns();
	for (uint32_t i = 0; i < s->nframes && !ret;) {
		uint32_t n = 0;
		double t0;

		/* the device's work: timed only with_device */
		for (; n < chunk && i < s->nframes && !ret; n++, i++)
			ret = mlx5tls_model_wire_rx(b->t->dev,
						    s->frames + (size_t)i * RX_FRAME_STRIDE,
						    rx_frame_len(s, i));
		if (ret)
			break;
		t0 = with_device ? 0 : bench_now_ns();
		ret = take(r, n);
		if (!ret)
			ret = zero_copy ? deliver_segs(r) : deliver_each(r);
		if (!with_device)
			ns += bench_now_ns() - t0;
	}
	if (with_device)
		ns = bench_now_ns() - t_all;
	memset(&info, 0, sizeof(info));
	if (!ret)
		ret = mlx5tls_rx_query(r->rx, &info, sizeof(info));
	/* a pass that silently fell back to software would measure the wrong thing */
	if (!ret && (r->k.records != s->records || info.records != s->records ||
		     info.by_device != s->records || info.by_software || r->n_held)) {
		fprintf(stderr, "%s: %s pass: %u of %u records delivered, %" PRIu64
			" by the device, %" PRIu64 " in software, %u packets held\n", b->t->prog,
			with_device ? "device" : "library", r->k.records, s->records,
			info.by_device, info.by_software, r->n_held);
		ret = -EIO;
	}
	if (ret)
		tool_fail(b->t, with_device ? "TLS receive (zero copy)" :
			  zero_copy ? "library pass (zero copy)" : "library pass", ret);
	for (uint32_t i = 0; i < r->n_held; i++)
		(void)mlx5tls_rq_release(b->rq, &r->held[i]);
	err = mlx5tls_rx_destroy(r->rx);
	if (err && !ret)
		ret = tool_fail(b->t, "TLS RX context destroy", err);
	if (!ret && best)
		best_add(best, ns);
	free(r->scratch);
	free(r);
	return ret ? 1 : 0;
}

int rx_pass_lib(struct rxb *b, const struct rx_set *s, bool zero_copy, struct rx_best *best)
{
	return lib_pass(b, s, zero_copy, false, best);
}

int rx_pass_model(struct rxb *b, const struct rx_set *s, struct rx_best *best)
{
	return lib_pass(b, s, true, true, best);
}
