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

/* ---- published figures ---- */

void rx_publish(struct mlx5tls_rx *rx)
{
	struct rx_sw_stats st;
	struct rx_pub *p = &rx->pub;

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
};

static int deliver_record(void *arg, uint8_t type, const uint8_t *pt, size_t len)
{
	struct deliver *d = arg;

	d->rx->info.records++;
	d->rx->info.bytes += len;
	d->rx->info.last_type = type;
	return d->cb ? d->cb(d->ctx, type, pt, len) : 0;
}

/* The rx_sw mark of a packet's bytes from its status word: who changed them. */
unsigned int rx_word_mark(struct mlx5tls_rx *rx, uint32_t word)
{
	uint32_t tag = word >> 8;

	if ((word & WORD_STATUS_MASK) != MLX5TLS_RX_TLS_DECRYPTED)
		return RX_SW_MARK_RECEIVED; /* NOT_DECRYPTED, RESYNC, ERROR: as received */
	for (unsigned int s = 0; tag && s < RX_SW_EPOCHS; s++)
		if (rx->tags[s] == tag)
			return rx_sw_mark(s);
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
	/* the guess was passed without a record starting there (rx_answer() would have taken it):
	 * it was wrong */
	if (rx->answer_pending && (int32_t)(rx->next_seq - rx->answer_seq) > 0) {
		rx->answer_pending = false;
		rx_cnt(rx, MLX5TLS_CNT_RX_TLS_RESYNC_REQ_SKIP, 1);
	}
	return 0;
}

/* Completions of the control queue (GET_PSV answers, lost params) and delayed answers. */
static void control_poll(struct mlx5tls_rx *rx)
{
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
	/* fact sheet 11.3/11.6: counted per packet as the device reported it */
	if (status == MLX5TLS_RX_TLS_DECRYPTED) {
		rx_cnt(rx, MLX5TLS_CNT_RX_TLS_DECRYPTED_PACKETS, 1);
		rx_cnt(rx, MLX5TLS_CNT_RX_TLS_DECRYPTED_BYTES, len);
	} else if (status == MLX5TLS_RX_TLS_ERROR) {
		rx_cnt(rx, MLX5TLS_CNT_RX_TLS_ERR, 1);
	} else if (status == MLX5TLS_RX_TLS_RESYNC && rx->on_device && !rx->stop &&
		   tls_status >> 8 == rx->tags[rx_sw_epoch(rx->sw) % RX_SW_EPOCHS]) {
		/* at arrival, as the kernel's NAPI path (11.4 step 1); only the TIR object holding
		 * the current keys is asked */
		rx_resync_request(rx);
	}
	rx_publish(rx);
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

int mlx5tls_rx_input(struct mlx5tls_rx *rx, uint32_t tcp_seq, const void *payload, size_t len,
		     unsigned int tls_status, mlx5tls_rx_record_fn cb, void *ctx)
{
	struct deliver d = { cb, ctx, rx };
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
	if (ret == -EBADMSG || ret == -EMSGSIZE) {
		rx->failed = true;
		rx->stop = MLX5TLS_RX_STOP_FAILED;
		rx_cnt(rx, MLX5TLS_CNT_RX_TLS_AUTH_FAIL, 1);
		tls_stat_add(TLS_STAT_DECRYPT_ERROR, 1);
		pr_warn("rx: a record %s at TCP sequence %u: stream closed\n",
			ret == -EMSGSIZE ? "is longer than TLS allows" : "failed authentication",
			rx->next_seq);
	}
	rx_publish(rx);
	return libmlx5tls_err(ret < 0 ? ret : 0);
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

