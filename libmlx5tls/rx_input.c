/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * TLS RX contexts: the datapath - packets at arrival (mlx5tls_rx_packet), the stream in TCP order
 * (mlx5tls_rx_input, mlx5tls_rx_input_segs), trust of each packet's status word, stops. The rules
 * are in rx.c's header comment.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "inspect.h"
#include "qp.h"
#include "rx_internal.h"
#include "rx_queue.h"
#include "tls_stat.h"
#include "wqe.h"

#define WORD_STATUS_MASK 0x3u   /* mlx5tls_rx_pkt_tls(): bits 1:0 status, 31:8 flow tag */
#define WORD_RESERVED_MASK 0xfcu
#define TLS_CT_APPDATA 23u      /* application_data (RFC 8446 5.1) */

/* ---- published figures ---- */

void rx_count_pending(struct mlx5tls_rx *rx, struct rx_sw_stats *st_out)
{
	struct rx_sw_stats st;

	if (rx->pend_decrypted_pkts) {
		rx_cnt(rx, MLX5TLS_CNT_RX_TLS_DECRYPTED_PACKETS, rx->pend_decrypted_pkts);
		rx_cnt(rx, MLX5TLS_CNT_RX_TLS_DECRYPTED_BYTES, rx->pend_decrypted_bytes);
		rx->pend_decrypted_pkts = rx->pend_decrypted_bytes = 0;
	}
	if (rx->pend_err) {
		rx_cnt(rx, MLX5TLS_CNT_RX_TLS_ERR, rx->pend_err);
		rx->pend_err = 0;
	}
	rx_sw_get_stats(rx->sw, &st);
	if (st.by_software != rx->sw_counted) { /* fact sheet 11.6 has no such counter: ours */
		rx_cnt(rx, MLX5TLS_CNT_RX_TLS_SW_RECORDS, st.by_software - rx->sw_counted);
		rx->sw_counted = st.by_software;
	}
	if (st.key_updates != rx->ku_counted) {
		rx_cnt(rx, MLX5TLS_CNT_RX_TLS_KEY_UPDATE, st.key_updates - rx->ku_counted);
		tls_stat_add(TLS_STAT_RX_REKEY_RECEIVED, st.key_updates - rx->ku_counted);
		rx->ku_counted = st.key_updates;
	}
	if (st_out)
		*st_out = st;
}

void rx_publish(struct mlx5tls_rx *rx)
{
	struct rx_sw_stats st;
	struct rx_pub *p = &rx->pub;

	rx_count_pending(rx, &st);
	atomic_store_explicit(&p->next_record, rx_sw_next_record(rx->sw), memory_order_relaxed);
	atomic_store_explicit(&p->records, rx->info.records, memory_order_relaxed);
	atomic_store_explicit(&p->bytes, rx->info.bytes, memory_order_relaxed);
	atomic_store_explicit(&p->by_device, st.by_device, memory_order_relaxed);
	atomic_store_explicit(&p->by_software, st.by_software, memory_order_relaxed);
	atomic_store_explicit(&p->reencrypted_bytes, st.reencrypted_bytes, memory_order_relaxed);
	atomic_store_explicit(&p->resync_answers, rx->info.resync_answers, memory_order_relaxed);
	atomic_store_explicit(&p->untrusted, rx->info.untrusted_packets, memory_order_relaxed);
	atomic_store_explicit(&p->next_seq, rx->next_seq, memory_order_relaxed);
	atomic_store_explicit(&p->resync_left, rx->resync_left, memory_order_relaxed);
	atomic_store_explicit(&p->tirn, rx->tirn, memory_order_relaxed);
	atomic_store_explicit(&p->key_epoch, rx_sw_epoch(rx->sw), memory_order_relaxed);
	atomic_store_explicit(&p->stop, (unsigned int)rx->stop, memory_order_relaxed);
	atomic_store_explicit(&p->path, rx->reason[0] ? MLX5TLS_TX_PATH_SOFTWARE
						      : MLX5TLS_TX_PATH_DEVICE, memory_order_relaxed);
	atomic_store_explicit(&p->resync_pending, rx->psv_in_flight || rx->answer_pending,
			      memory_order_relaxed);
	atomic_store_explicit(&p->failed, rx->failed, memory_order_relaxed);
}

/* ---- datapath ---- */

struct deliver {
	mlx5tls_rx_record_fn cb;
	void *ctx;
	struct mlx5tls_rx *rx;
	mlx5tls_rx_record_iov_fn iov_cb; /* mlx5tls_rx_input_segs' callback, else NULL */
};

static int deliver_record(void *arg, uint8_t type, const uint8_t *pt, size_t len)
{
	struct deliver *d = arg;

	d->rx->info.records++;
	d->rx->info.bytes += len;
	d->rx->info.last_type = type;
	if (d->iov_cb) {
		struct iovec v = { (void *)(uintptr_t)pt, len };

		return d->iov_cb(d->ctx, type, &v, 1, len);
	}
	return d->cb ? d->cb(d->ctx, type, pt, len) : 0;
}

/* The rx_sw mark of a packet's bytes from its status word: who changed them. */
static unsigned int word_mark_peek(const struct mlx5tls_rx *rx, uint32_t word)
{
	uint32_t tag = word >> 8;

	if ((word & WORD_STATUS_MASK) != MLX5TLS_RX_TLS_DECRYPTED)
		return RX_SW_MARK_RECEIVED; /* NOT_DECRYPTED, RESYNC, ERROR: as received */
	for (unsigned int s = 0; tag && s < RX_SW_EPOCHS; s++)
		if (rx->tags[s] == tag)
			return rx_sw_mark(s);
	return RX_SW_MARK_FOREIGN;
}

unsigned int rx_word_mark(struct mlx5tls_rx *rx, uint32_t word)
{
	unsigned int m = word_mark_peek(rx, word);

	if (m != RX_SW_MARK_FOREIGN)
		return m;
	rx->info.untrusted_packets++;
	rx_cnt(rx, MLX5TLS_CNT_RX_TLS_UNTRUSTED, 1);
	return RX_SW_MARK_FOREIGN;
}

int rx_stop_errno(enum mlx5tls_rx_stop s)
{
	switch (s) {
	case MLX5TLS_RX_STOP_KEY_UPDATE:
		return -EKEYEXPIRED;
	case MLX5TLS_RX_STOP_CONTROL:
		return -ECANCELED;
	case MLX5TLS_RX_STOP_HANDED_BACK:
		return -ESHUTDOWN;
	case MLX5TLS_RX_STOP_FAILED:
		return -EBADMSG;
	default:
		return 0;
	}
}

/*
 * At a KeyUpdate stop: where the device can start under the next keys. It must see the record
 * header it starts at, so that is the first record start at or past the end of what has
 * arrived (the bytes after the boundary in hand - headers are never changed by the device - give
 * the record lengths); a packet that starts before it and covers it keeps the device in sync
 * (model R7, a START inside a segment). Without such a point the device starts at the boundary
 * and finds its way back by the stream scan (11.4).
 */
static void note_restart(struct mlx5tls_rx *rx, const uint8_t *rest, uint32_t len)
{
	uint32_t pos = 0;
	uint64_t count = 0;

	rx->restart_ok = false;
	while (pos + 5 <= len) {
		pos += 5 + ((uint32_t)rest[pos + 3] << 8 | rest[pos + 4]);
		count++;
	}
	if (pos < len || (int32_t)(rx->arrived_end - (rx->next_seq + pos)) > 0)
		return;
	rx->restart_ok = true;
	rx->restart_sn = rx->next_seq + pos;
	rx->restart_records = count;
}

/* Feed n bytes to the record layer, noting every record start (for resync answers). Returns 0,
 * cb's value, a stop's errno or rx_sw's error. */
static int feed(struct mlx5tls_rx *rx, const uint8_t *p, uint32_t n, unsigned int mark,
		struct deliver *d)
{
	while (n) {
		uint32_t step;
		int ret;

		if (!rx_sw_held(rx->sw)) {
			uint64_t num = rx_sw_next_record(rx->sw);

			rx_hist_add(rx, rx->next_seq, num);
			if (rx->answer_pending && rx->answer_seq == rx->next_seq)
				(void)rx_answer(rx, rx->next_seq, num);
		}
		step = rx_sw_to_boundary(rx->sw);
		if (step > n)
			step = n;
		ret = rx_sw_input(rx->sw, p, step, mark, deliver_record, d);
		if (ret < 0)
			return ret;
		rx->next_seq += step;
		p += step;
		n -= step;
		switch (rx_sw_stopped(rx->sw)) {
		case RX_SW_STOP_KEY_UPDATE:
			rx->stop = MLX5TLS_RX_STOP_KEY_UPDATE;
			note_restart(rx, p, n);
			break;
		case RX_SW_STOP_CONTROL:
			rx->stop = MLX5TLS_RX_STOP_CONTROL;
			break;
		default:
			break;
		}
		if (ret)
			return ret;
		if (rx->stop)
			return rx_stop_errno(rx->stop);
	}
	return 0;
}

/* Completions of the control queue (GET_PSV answers, lost params) and delayed answers. */
static void control_poll(struct mlx5tls_rx *rx)
{
	/* completions only come for WQEs in flight: nothing to reap on an idle control queue */
	if (rx->qp->cc != rx->qp->pc)
		(void)qp_reap(rx->qp);
	if (!rx->on_device)
		return;
	if (rx->params_lost) {
		rx->params_lost = false;
		if (rx_post_add_params(rx))
			rx->params_lost = true;
	}
	if (rx->retry)
		(void)rx_answer(rx, rx->retry_seq, rx->retry_num);
}

bool rx_word_valid(uint32_t word)
{
	return !(word & WORD_RESERVED_MASK);
}

int mlx5tls_rx_packet(struct mlx5tls_rx *rx, uint32_t tcp_seq, size_t len,
		      unsigned int tls_status)
{
	unsigned int status = tls_status & WORD_STATUS_MASK;

	if (!rx || !rx_word_valid(tls_status) || len > UINT32_MAX)
		return libmlx5tls_err(-EINVAL);
	if ((int32_t)(tcp_seq + (uint32_t)len - rx->arrived_end) > 0)
		rx->arrived_end = tcp_seq + (uint32_t)len;
	control_poll(rx);
	/* fact sheet 11.3/11.6: counted per packet as the device reported it - in the context,
	 * added to the device's counters when the figures are published (the kernel's per-queue
	 * counters: no shared cache line per packet) */
	if (status == MLX5TLS_RX_TLS_DECRYPTED) {
		rx->pend_decrypted_pkts++;
		rx->pend_decrypted_bytes += len;
	} else if (status == MLX5TLS_RX_TLS_ERROR) {
		rx->pend_err++;
	} else if (status == MLX5TLS_RX_TLS_RESYNC && rx->on_device && !rx->stop &&
		   tls_status >> 8 == rx->tags[rx_sw_epoch(rx->sw) % RX_SW_EPOCHS]) {
		/* at arrival, as the kernel's NAPI path (11.4 step 1); only the TIR object holding
		 * the current keys is asked */
		rx_resync_request(rx);
		rx_publish(rx);
	}
	return 0;
}

/* Where tcp_seq/len stand against the stream: bytes to skip, or -EPROTO for a gap. */
int64_t rx_stream_skip(struct mlx5tls_rx *rx, uint32_t tcp_seq)
{
	if ((int32_t)(tcp_seq - rx->next_seq) > 0) {
		pr_warn("rx: segment at TCP sequence %u leaves a gap after %u\n", tcp_seq,
			rx->next_seq);
		return -EPROTO;
	}
	return rx->next_seq - tcp_seq;
}

/* The end of an input call: a failed record closes the stream; the figures are published. */
static int input_end(struct mlx5tls_rx *rx, int ret)
{
	if ((ret == -EBADMSG || ret == -EMSGSIZE) && !rx->failed) {
		rx->failed = true;
		rx->stop = MLX5TLS_RX_STOP_FAILED;
		rx_cnt(rx, MLX5TLS_CNT_RX_TLS_AUTH_FAIL, 1);
		tls_stat_add(TLS_STAT_DECRYPT_ERROR, 1);
		pr_warn("rx: a record %s at TCP sequence %u: stream closed\n",
			ret == -EMSGSIZE ? "is longer than TLS allows" : "failed authentication",
			rx->next_seq);
	}
	/* the guess was passed without a record starting there (rx_answer would have taken it) */
	if (rx->answer_pending && (int32_t)(rx->next_seq - rx->answer_seq) > 0) {
		rx->answer_pending = false;
		rx_cnt(rx, MLX5TLS_CNT_RX_TLS_RESYNC_REQ_SKIP, 1);
	}
	rx_publish(rx);
	return ret < 0 ? libmlx5tls_err(ret) : ret;
}

int mlx5tls_rx_input(struct mlx5tls_rx *rx, uint32_t tcp_seq, const void *payload, size_t len,
		     unsigned int tls_status, mlx5tls_rx_record_fn cb, void *ctx)
{
	struct deliver d = { .cb = cb, .ctx = ctx, .rx = rx };
	const uint8_t *p = payload;
	int64_t skip;
	int ret;

	if (!rx || (!payload && len) || len > UINT32_MAX || !rx_word_valid(tls_status))
		return libmlx5tls_err(-EINVAL);
	if (rx->stop)
		return libmlx5tls_err(rx_stop_errno(rx->stop));
	control_poll(rx);
	/* in TCP order: bytes already handed over are skipped, a gap is the caller's bug */
	skip = rx_stream_skip(rx, tcp_seq);
	if (skip < 0)
		return libmlx5tls_err((int)skip);
	if ((uint64_t)skip >= len) {
		rx_publish(rx); /* control_poll may have answered a resync */
		return 0;
	}
	ret = feed(rx, p + skip, (uint32_t)(len - (size_t)skip), rx_word_mark(rx, tls_status), &d);
	return input_end(rx, ret);
}

/* ---- zero-copy input ---- */

#define SEGS_IOV_MAX 64u /* pieces of one record delivered in place; more: copied */

/* The segments from the stream position on: where the usable bytes end (a hole ends them),
 * or -EPROTO when the first of them starts after the position. */
static int64_t segs_end(const struct mlx5tls_rx *rx, const struct mlx5tls_rx_seg *segs,
			unsigned int n)
{
	uint32_t end = rx->next_seq;
	bool any = false;

	for (unsigned int i = 0; i < n; i++) {
		uint32_t e = segs[i].tcp_seq + segs[i].len;

		if ((int32_t)(e - end) <= 0)
			continue; /* nothing new */
		if ((int32_t)(segs[i].tcp_seq - end) > 0)
			return any ? (int64_t)end : -EPROTO;
		end = e;
		any = true;
	}
	return end;
}

/*
 * Walk the bytes [from, to) of the stream over the segments: fn gets each piece (the first
 * segment that holds it, for bytes several segments overlap on) with its status word. Stops at a
 * non-zero return.
 */
typedef int (*piece_fn)(void *arg, const uint8_t *p, uint32_t len, uint32_t word);

static int segs_walk(const struct mlx5tls_rx_seg *segs, unsigned int n, uint32_t from,
		     uint32_t to, piece_fn fn, void *arg)
{
	uint32_t at = from;

	/* segs begins at the first segment not wholly behind the stream (the caller's cursor) */
	for (unsigned int i = 0; i < n && (int32_t)(to - at) > 0; i++) {
		uint32_t s = segs[i].tcp_seq, e = s + segs[i].len, take;
		int ret;

		if ((int32_t)(e - at) <= 0 || (int32_t)(s - at) > 0)
			continue;
		take = ((int32_t)(to - e) < 0 ? to : e) - at;
		ret = fn(arg, (const uint8_t *)segs[i].payload + (at - s), take, segs[i].tls_word);
		if (ret)
			return ret;
		at += take;
	}
	return 0;
}

struct gather {
	uint8_t *out;
	uint32_t have;
};

static int gather_piece(void *arg, const uint8_t *p, uint32_t len, uint32_t word)
{
	struct gather *g = arg;

	(void)word;
	memcpy(g->out + g->have, p, len);
	g->have += len;
	return 0;
}

struct feed_pieces {
	struct mlx5tls_rx *rx;
	struct deliver *d;
};

static int feed_piece(void *arg, const uint8_t *p, uint32_t len, uint32_t word)
{
	struct feed_pieces *fp = arg;

	return feed(fp->rx, p, len, rx_word_mark(fp->rx, word), fp->d);
}

/* The device's record in place: its payload pieces, all decrypted under the current keys. */
struct in_place {
	uint32_t own_word;
	bool ok;
	struct iovec iov[SEGS_IOV_MAX];
	unsigned int n;
};

static int in_place_piece(void *arg, const uint8_t *p, uint32_t len, uint32_t word)
{
	struct in_place *ip = arg;

	/* decrypted under the current keys: exactly the status word of their TIR object */
	if (word != ip->own_word || ip->n == SEGS_IOV_MAX) {
		ip->ok = false;
		return 1;
	}
	ip->iov[ip->n].iov_base = (void *)(uintptr_t)p;
	ip->iov[ip->n++].iov_len = len;
	return 0;
}

/* TLS 1.3: the inner content type is the last non-zero byte (RFC 8446 5.4); the pieces are cut
 * to the content. 0 when there is none (the copy path then fails the record). */
static uint8_t inner_type(struct in_place *ip)
{
	while (ip->n) {
		const uint8_t *b = ip->iov[ip->n - 1].iov_base;
		size_t l = ip->iov[ip->n - 1].iov_len;

		while (l && !b[l - 1])
			l--;
		if (l) {
			ip->iov[ip->n - 1].iov_len = l - 1;
			return b[l - 1];
		}
		ip->n--;
	}
	return 0;
}

/*
 * The record at the stream position, rec_len bytes, all there: delivered in place when the
 * device authenticated it whole (1 and cb's value through *cb_ret), else 0 (the caller takes
 * the copy path).
 */
static int record_in_place(struct mlx5tls_rx *rx, const struct mlx5tls_rx_seg *segs,
			   unsigned int n, uint8_t hdr_type, uint32_t rec_len, struct deliver *d,
			   int *cb_ret)
{
	uint32_t body_off = rx_sw_body_offset(rx->sw), start = rx->next_seq;
	uint32_t tag = rx->tags[rx_sw_epoch(rx->sw) % RX_SW_EPOCHS];
	struct in_place ip = { .own_word = MLX5TLS_RX_TLS_DECRYPTED | tag << 8, .ok = true };
	uint8_t type = hdr_type;
	size_t len = rec_len - body_off - 16u;
	int ret;

	/* every payload byte and the packet with the tag decrypted under the current keys */
	if (!tag)
		return 0;
	(void)segs_walk(segs, n, start + body_off, start + rec_len, in_place_piece, &ip);
	if (!ip.ok || !ip.n)
		return 0;
	/* the tag's pieces are not delivered */
	for (uint32_t cut = 16; cut && ip.n;) {
		uint32_t l = (uint32_t)ip.iov[ip.n - 1].iov_len, c = l < cut ? l : cut;

		ip.iov[ip.n - 1].iov_len = l - c;
		cut -= c;
		if (ip.iov[ip.n - 1].iov_len == 0)
			ip.n--;
	}
	if (rx_sw_tls13(rx->sw)) {
		size_t total = 0;

		type = inner_type(&ip);
		for (unsigned int i = 0; i < ip.n; i++)
			total += ip.iov[i].iov_len;
		len = total;
	}
	/* control records take the copy path: stops, KeyUpdate, handshake framing live there */
	if (type != TLS_CT_APPDATA)
		return 0;
	rx_hist_add(rx, start, rx_sw_next_record(rx->sw));
	if (rx->answer_pending && rx->answer_seq == start)
		(void)rx_answer(rx, start, rx_sw_next_record(rx->sw));
	ret = rx_sw_device_record(rx->sw, (uint32_t)len);
	if (ret) {
		*cb_ret = ret;
		return 1;
	}
	rx->next_seq = start + rec_len;
	rx->info.records++;
	rx->info.bytes += len;
	rx->info.last_type = type;
	*cb_ret = d->iov_cb ? d->iov_cb(d->ctx, type, ip.iov, ip.n, len) : 0;
	return 1;
}

/* note_restart over the segments: every byte in hand after the KeyUpdate boundary counts. */
static void note_restart_segs(struct mlx5tls_rx *rx, const struct mlx5tls_rx_seg *segs,
			      unsigned int n, uint32_t end)
{
	uint32_t pos = rx->next_seq;
	uint64_t count = 0;

	rx->restart_ok = false;
	while ((int32_t)(end - pos) >= 5) {
		uint8_t hdr[5] = { 0 };
		struct gather g = { hdr, 0 };

		(void)segs_walk(segs, n, pos, pos + 5, gather_piece, &g);
		pos += 5 + ((uint32_t)hdr[3] << 8 | hdr[4]);
		count++;
	}
	if ((int32_t)(end - pos) > 0 || (int32_t)(rx->arrived_end - pos) > 0)
		return;
	rx->restart_ok = true;
	rx->restart_sn = pos;
	rx->restart_records = count;
}

int mlx5tls_rx_input_segs(struct mlx5tls_rx *rx, const struct mlx5tls_rx_seg *segs,
			  unsigned int n, mlx5tls_rx_record_iov_fn cb, void *ctx,
			  uint32_t *next_tcp_sn)
{
	struct deliver d = { .ctx = ctx, .rx = rx, .iov_cb = cb };
	struct feed_pieces fp = { rx, &d };
	int64_t end;
	int ret = 0;

	if (!rx || (!segs && n))
		return libmlx5tls_err(-EINVAL);
	for (unsigned int i = 0; i < n; i++)
		if ((!segs[i].payload && segs[i].len) || !rx_word_valid(segs[i].tls_word))
			return libmlx5tls_err(-EINVAL);
	if (next_tcp_sn)
		*next_tcp_sn = rx->next_seq;
	if (rx->stop)
		return libmlx5tls_err(rx_stop_errno(rx->stop));
	control_poll(rx);
	end = segs_end(rx, segs, n);
	if (end < 0)
		return libmlx5tls_err((int)end);
	while (!ret && !rx->stop) {
		uint32_t avail = (uint32_t)end - rx->next_seq, body = 0;
		uint8_t hdr[5] = { 0 };
		struct gather g = { hdr, 0 };

		/* the segments wholly behind the stream are done with: the walks start after them
		 * (records x segments would otherwise be walked) */
		while (n && (int32_t)(segs->tcp_seq + segs->len - rx->next_seq) <= 0) {
			segs++;
			n--;
		}

		if (rx_sw_held(rx->sw)) {
			/* a record begun by a copying call: finish it the same way */
			uint32_t take = rx_sw_to_boundary(rx->sw);

			if (!avail)
				break;
			ret = segs_walk(segs, n, rx->next_seq,
					rx->next_seq + (take < avail ? take : avail), feed_piece, &fp);
			continue;
		}
		if (avail < sizeof(hdr))
			break;
		(void)segs_walk(segs, n, rx->next_seq, rx->next_seq + sizeof(hdr), gather_piece,
				&g);
		if (rx_sw_header_check(rx->sw, hdr, &body)) {
			/* the copy path refuses it with the right error */
			ret = segs_walk(segs, n, rx->next_seq, rx->next_seq + sizeof(hdr),
					feed_piece, &fp);
			continue;
		}
		if (avail < sizeof(hdr) + body)
			break; /* the whole record first */
		if (record_in_place(rx, segs, n, hdr[0], (uint32_t)sizeof(hdr) + body, &d, &ret))
			continue;
		ret = segs_walk(segs, n, rx->next_seq, rx->next_seq + (uint32_t)sizeof(hdr) + body,
				feed_piece, &fp);
	}
	if (rx->stop == MLX5TLS_RX_STOP_KEY_UPDATE)
		note_restart_segs(rx, segs, n, (uint32_t)end);
	if (!ret && rx->stop)
		ret = rx_stop_errno(rx->stop);
	if (next_tcp_sn)
		*next_tcp_sn = rx->next_seq;
	return input_end(rx, ret);
}

int mlx5tls_rx_resume(struct mlx5tls_rx *rx)
{
	if (!rx || rx->stop != MLX5TLS_RX_STOP_CONTROL)
		return libmlx5tls_err(-EINVAL);
	rx->stop = MLX5TLS_RX_STOP_NONE;
	rx_sw_resume(rx->sw);
	rx_publish(rx);
	return 0;
}

