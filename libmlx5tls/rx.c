/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * TLS RX contexts (fact sheet 11): a connection's receive direction decrypted by the NIC through a
 * TLS TIR, with every record's tag verified before the application sees it.
 *
 * Add (11.2): a DEK, then on a control send queue the TIR's static params (UMR opc_mod 2,
 * resync_tcp_sn 0, the record number of crypto info) and progress params (SET_PSV opc_mod 2,
 * START at the TCP sequence where that record begins).
 * Datapath (9, 11.3): the application hands the connection's TCP payload in TCP order with each
 * packet's TLS status; rx_sw delivers the records the device authenticated and completes the
 * others in software (mixed records re-encrypted and verified) - plaintext is only ever given
 * out verified.
 * Resync (11.4): a packet with status RESYNC starts a request: GET_PSV on the control queue; if
 * the device answers TRACKING / NO_OFFLOAD, its hw_resync_tcp_sn is checked against the record
 * boundaries the stream has shown (or will show): where a record does start there, static params
 * with resync_tcp_sn = that sequence and initial_record_number = that record's number are posted
 * (no progress params, as the kernel). A guess that is no record start is dropped; requests are
 * bounded per context (resync_max, then rx_tls_resync_req_skip).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd.h"
#include "conn.h"
#include "inspect.h"
#include "qp.h"
#include "rx_queue.h"
#include "rx_sw.h"
#include "wqe.h"

#define RX_HISTORY 64u          /* record starts remembered for a late GET_PSV answer */
#define RESYNC_MAX_DEFAULT 8u
#define TRACKER_TRACKING 1u     /* tls_progress_params record_tracker_state (fact sheet 7) */
#define AUTH_NO_OFFLOAD 0u

/* Copies of the datapath figures for other threads (the publisher): the driving thread stores
 * them at the end of every call that changes them (rx_publish), the reader loads them without
 * touching the fields the datapath writes. */
struct rx_pub {
	atomic_uint_fast64_t next_record, records, bytes, by_device, by_software;
	atomic_uint_fast64_t reencrypted_bytes, resync_answers;
	atomic_uint next_seq, resync_left;
	atomic_bool resync_pending, failed;
};

struct rx_start {
	uint32_t seq;
	uint64_t num;
};

struct mlx5tls_rx {
	struct conn_id conn;     /* connection and label for inspection (opts, else the TIR's flow) */
	struct mlx5tls_qp *qp;   /* the control queue the params and GET_PSV go on */
	struct mlx5tls_tir *tir;
	uint32_t tirn;
	struct mlx5tls_dek *dek;
	bool tls13;
	uint8_t salt[4];
	uint8_t iv[8];
	uint64_t first_num;
	uint32_t start_sn;
	struct rx_sw *sw;
	uint32_t next_seq;       /* the next stream byte the application hands over */
	bool failed;             /* a record did not verify: the stream is over */

	/* record starts seen, oldest first (a ring) */
	struct rx_start hist[RX_HISTORY];
	uint32_t hist_head, hist_count;

	/* resync */
	uint8_t *psv_buf;        /* 64-byte GET_PSV result (fact sheet 8.5), device-writable */
	struct mlx5tls_mr *psv_mr;
	bool psv_in_flight;
	bool answer_pending;     /* a guess ahead of the stream: answer when its record starts */
	uint32_t answer_seq;
	bool retry;              /* an answer found no room on the control queue */
	uint32_t retry_seq;
	uint64_t retry_num;
	uint32_t resync_left;    /* requests left before one is answered (per resync episode) */
	uint32_t resync_max;
	uint64_t sw_counted;     /* records completed in software already in rx_tls_sw_records */
	bool params_lost;        /* params were flushed by a queue error: post them again */
	struct mlx5tls_rx_info info;

	/* inspection: immutable after create, except insp_next and tir (under dev->insp_lock) */
	uint64_t id;
	uint16_t version, cipher_type;
	struct mlx5tls_rx *insp_next;
	struct rx_pub pub;
	/* mlx5tls_rx_inspect's own GET_PSV: its answer is kept here, not taken as a resync */
	bool psv_for_inspect;
	bool insp_psv_done, insp_psv_ok;
	uint8_t insp_psv[16];
};

static void cnt(struct mlx5tls_rx *rx, enum mlx5tls_counter_id id, uint64_t n)
{
	atomic_fetch_add_explicit(&rx->qp->dev->counters[id], n, memory_order_relaxed);
}

/* ---- params on the control queue ---- */

static int post_static(struct mlx5tls_rx *rx, uint32_t resync_sn, uint64_t num)
{
	struct mlx5tls_qp *qp = rx->qp;
	struct wqe_slot slot = { .kind = WQE_RX_PARAMS, .rx = rx };
	struct tls_static_info si = { 0 };
	void *bb[3];
	int ret = qp_reserve(qp, MLX5TLS_STATIC_PARAMS_WQEBBS);

	if (ret < 0)
		return ret;
	si.tls13 = rx->tls13;
	for (int i = 7; i >= 0; i--, num >>= 8)
		si.rec_seq[i] = (uint8_t)num;
	memcpy(si.salt, rx->salt, sizeof(si.salt));
	memcpy(si.iv, rx->iv, sizeof(si.iv));
	si.resync_tcp_sn = resync_sn;
	si.dek_index = mlx5tls_dek_id(rx->dek);
	for (uint32_t i = 0; i < 3; i++) {
		bb[i] = qp_wqebb(qp, i);
		memset(bb[i], 0, MLX5TLS_WQEBB);
	}
	wqe_build_static_params(bb, (uint16_t)qp->pc, qp->ring.sqn, MLX5TLS_OPC_MOD_TIR, rx->tirn,
				false, &si);
	explicit_bzero(&si, sizeof(si));
	if (qp->dev->trace) {
		/* as TX's (tx_send.c): the salt and implicit IV, bytes 0x14..0x1f, are masked */
		static const struct cmd_secret ivs = { 0x14, 12 };

		trace_wqe(qp->dev->trace, qp->dev->attr.name, "static_params", qp->ring.sqn, "tir",
			  rx->tirn, bb[2], 64, &ivs);
	}
	qp_commit(qp, MLX5TLS_STATIC_PARAMS_WQEBBS, &slot);
	return 0;
}

static int post_progress(struct mlx5tls_rx *rx, uint32_t next_record_sn)
{
	struct mlx5tls_qp *qp = rx->qp;
	struct wqe_slot slot = { .kind = WQE_RX_PARAMS, .rx = rx };
	int ret = qp_reserve(qp, 1);
	uint8_t *w;

	if (ret < 0)
		return ret;
	w = qp_wqe_begin(qp, 1);
	/* the kernel rings the doorbell on this one with CQ_UPDATE (fact sheet 11.2 step 4) */
	wqe_build_progress_params(w, (uint16_t)qp->pc, qp->ring.sqn, MLX5TLS_OPC_MOD_TIR, rx->tirn,
				  false, next_record_sn);
	w[11] |= MLX5TLS_WQE_CQ_UPDATE;
	if (qp->dev->trace)
		trace_wqe(qp->dev->trace, qp->dev->attr.name, "progress_params", qp->ring.sqn,
			  "tir", rx->tirn, w + 20, 12, NULL);
	qp_commit(qp, 1, &slot);
	return 0;
}

static int post_add_params(struct mlx5tls_rx *rx)
{
	int ret = post_static(rx, 0, rx->first_num);

	if (!ret)
		ret = post_progress(rx, rx->start_sn);
	if (!ret)
		qp_doorbell(rx->qp);
	return ret;
}

/* ---- resync ---- */

static void hist_add(struct mlx5tls_rx *rx, uint32_t seq, uint64_t num)
{
	uint32_t i = (rx->hist_head + rx->hist_count) % RX_HISTORY;

	rx->hist[i] = (struct rx_start){ seq, num };
	if (rx->hist_count < RX_HISTORY)
		rx->hist_count++;
	else
		rx->hist_head = (rx->hist_head + 1) % RX_HISTORY;
}

static int answer(struct mlx5tls_rx *rx, uint32_t seq, uint64_t num)
{
	int ret = post_static(rx, seq, num);

	rx->answer_pending = false;
	if (ret) {
		cnt(rx, MLX5TLS_CNT_RX_TLS_RESYNC_RES_RETRY, 1);
		rx->retry = true; /* again at the next input */
		rx->retry_seq = seq;
		rx->retry_num = num;
		return ret;
	}
	qp_doorbell(rx->qp);
	rx->retry = false;
	cnt(rx, MLX5TLS_CNT_RX_TLS_RESYNC_RES_OK, 1);
	rx->info.resync_answers++;
	/* the bound is on requests that go unanswered in a row: a loss later in the stream
	 * deserves its own resync */
	rx->resync_left = rx->resync_max;
	return 0;
}

/* The device's guess hw_seq (GET_PSV): a record start already seen, one still to come, or no
 * record start at all. */
static void resync_guess(struct mlx5tls_rx *rx, uint32_t hw_seq)
{
	for (uint32_t k = 0; k < rx->hist_count; k++) {
		const struct rx_start *h = &rx->hist[(rx->hist_head + k) % RX_HISTORY];

		if (h->seq == hw_seq) {
			(void)answer(rx, hw_seq, h->num);
			return;
		}
	}
	if ((int32_t)(hw_seq - rx->next_seq) >= 0) {
		rx->answer_pending = true; /* checked as the stream reaches it */
		rx->answer_seq = hw_seq;
		return;
	}
	cnt(rx, MLX5TLS_CNT_RX_TLS_RESYNC_REQ_SKIP, 1); /* behind us and no record start */
}

void rx_wqe_done(struct mlx5tls_rx *rx, uint8_t kind, bool ok)
{
	const uint8_t *p = rx->psv_buf;

	if (kind == WQE_RX_PARAMS) {
		if (!ok)
			rx->params_lost = true;
		return;
	}
	rx->psv_in_flight = false;
	if (rx->psv_for_inspect) {
		rx->psv_for_inspect = false;
		rx->insp_psv_ok = ok;
		memcpy(rx->insp_psv, p, sizeof(rx->insp_psv));
		rx->insp_psv_done = true;
		return;
	}
	if (!ok) {
		cnt(rx, MLX5TLS_CNT_RX_TLS_RESYNC_REQ_SKIP, 1);
		return;
	}
	/* fact sheet 8.5: bytes 8..11 hw_resync_tcp_sn, byte 12 tracker (7:6) / auth (5:4) */
	if ((p[12] >> 6) != TRACKER_TRACKING || ((p[12] >> 4) & 3) != AUTH_NO_OFFLOAD) {
		cnt(rx, MLX5TLS_CNT_RX_TLS_RESYNC_REQ_SKIP, 1);
		return;
	}
	cnt(rx, MLX5TLS_CNT_RX_TLS_RESYNC_REQ_END, 1);
	resync_guess(rx, (uint32_t)p[8] << 24 | (uint32_t)p[9] << 16 | (uint32_t)p[10] << 8 |
				 p[11]);
}

static void resync_request(struct mlx5tls_rx *rx)
{
	struct mlx5tls_qp *qp = rx->qp;
	struct wqe_slot slot = { .kind = WQE_GET_PSV, .rx = rx };
	uint8_t *w;

	cnt(rx, MLX5TLS_CNT_RX_TLS_RESYNC_REQ_PKT, 1);
	if (rx->psv_in_flight || rx->answer_pending || rx->retry)
		return; /* one request at a time, as the kernel's resync state */
	if (!rx->resync_left || qp_reserve(qp, 1)) {
		cnt(rx, MLX5TLS_CNT_RX_TLS_RESYNC_REQ_SKIP, 1);
		return;
	}
	rx->resync_left--;
	memset(rx->psv_buf, 0, 64);
	w = qp_wqe_begin(qp, 1);
	wqe_build_get_psv(w, (uint16_t)qp->pc, qp->ring.sqn, rx->tirn, rx->psv_mr->lkey,
			  (uintptr_t)rx->psv_buf);
	qp_commit(qp, 1, &slot);
	qp_doorbell(qp);
	rx->psv_in_flight = true;
	cnt(rx, MLX5TLS_CNT_RX_TLS_RESYNC_REQ_START, 1);
}

/* ---- published figures ---- */

static void rx_publish(struct mlx5tls_rx *rx)
{
	struct rx_sw_stats st;
	struct rx_pub *p = &rx->pub;

	rx_sw_get_stats(rx->sw, &st);
	if (st.by_software != rx->sw_counted) { /* fact sheet 11.6 has no such counter: ours */
		cnt(rx, MLX5TLS_CNT_RX_TLS_SW_RECORDS, st.by_software - rx->sw_counted);
		rx->sw_counted = st.by_software;
	}
	atomic_store_explicit(&p->next_record, rx_sw_next_record(rx->sw), memory_order_relaxed);
	atomic_store_explicit(&p->records, rx->info.records, memory_order_relaxed);
	atomic_store_explicit(&p->bytes, rx->info.bytes, memory_order_relaxed);
	atomic_store_explicit(&p->by_device, st.by_device, memory_order_relaxed);
	atomic_store_explicit(&p->by_software, st.by_software, memory_order_relaxed);
	atomic_store_explicit(&p->reencrypted_bytes, st.reencrypted_bytes, memory_order_relaxed);
	atomic_store_explicit(&p->resync_answers, rx->info.resync_answers, memory_order_relaxed);
	atomic_store_explicit(&p->next_seq, rx->next_seq, memory_order_relaxed);
	atomic_store_explicit(&p->resync_left, rx->resync_left, memory_order_relaxed);
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
	return d->cb ? d->cb(d->ctx, type, pt, len) : 0;
}

/* Feed n bytes to the record layer, noting every record start (for resync answers). */
static int feed(struct mlx5tls_rx *rx, const uint8_t *p, uint32_t n, unsigned int status,
		struct deliver *d)
{
	while (n) {
		uint32_t step;
		int ret;

		if (!rx_sw_held(rx->sw)) {
			uint64_t num = rx_sw_next_record(rx->sw);

			hist_add(rx, rx->next_seq, num);
			if (rx->answer_pending && rx->answer_seq == rx->next_seq)
				(void)answer(rx, rx->next_seq, num);
		}
		step = rx_sw_to_boundary(rx->sw);
		if (step > n)
			step = n;
		ret = rx_sw_input(rx->sw, p, step, status, deliver_record, d);
		if (ret)
			return ret;
		rx->next_seq += step;
		p += step;
		n -= step;
	}
	/* the guess was passed without a record starting there (answer() would have taken it):
	 * it was wrong */
	if (rx->answer_pending && (int32_t)(rx->next_seq - rx->answer_seq) > 0) {
		rx->answer_pending = false;
		cnt(rx, MLX5TLS_CNT_RX_TLS_RESYNC_REQ_SKIP, 1);
	}
	return 0;
}

/* Completions of the control queue (GET_PSV answers, lost params) and delayed answers. */
static void control_poll(struct mlx5tls_rx *rx)
{
	(void)qp_reap(rx->qp);
	if (rx->params_lost) {
		rx->params_lost = false;
		if (post_add_params(rx))
			rx->params_lost = true;
	}
	if (rx->retry)
		(void)answer(rx, rx->retry_seq, rx->retry_num);
}

int mlx5tls_rx_packet(struct mlx5tls_rx *rx, uint32_t tcp_seq, size_t len,
		      unsigned int tls_status)
{
	(void)tcp_seq;
	if (!rx || tls_status > MLX5TLS_RX_TLS_ERROR)
		return libmlx5tls_err(-EINVAL);
	control_poll(rx);
	/* fact sheet 11.3/11.6: counted per packet as the device reported it */
	if (tls_status == MLX5TLS_RX_TLS_DECRYPTED) {
		cnt(rx, MLX5TLS_CNT_RX_TLS_DECRYPTED_PACKETS, 1);
		cnt(rx, MLX5TLS_CNT_RX_TLS_DECRYPTED_BYTES, len);
	} else if (tls_status == MLX5TLS_RX_TLS_ERROR) {
		cnt(rx, MLX5TLS_CNT_RX_TLS_ERR, 1);
	} else if (tls_status == MLX5TLS_RX_TLS_RESYNC) {
		resync_request(rx); /* at arrival, as the kernel's NAPI path (11.4 step 1) */
	}
	rx_publish(rx);
	return 0;
}

int mlx5tls_rx_input(struct mlx5tls_rx *rx, uint32_t tcp_seq, const void *payload, size_t len,
		     unsigned int tls_status, mlx5tls_rx_record_fn cb, void *ctx)
{
	struct deliver d = { cb, ctx, rx };
	const uint8_t *p = payload;
	uint32_t skip;
	int ret;

	if (!rx || (!payload && len) || len > UINT32_MAX || tls_status > MLX5TLS_RX_TLS_ERROR)
		return libmlx5tls_err(-EINVAL);
	if (rx->failed)
		return libmlx5tls_err(-EBADMSG);
	control_poll(rx);
	/* in TCP order: bytes already handed over are skipped, a gap is the caller's bug */
	if ((int32_t)(tcp_seq - rx->next_seq) > 0) {
		pr_warn("rx: segment at TCP sequence %u leaves a gap after %u\n", tcp_seq,
			rx->next_seq);
		return libmlx5tls_err(-EPROTO);
	}
	skip = rx->next_seq - tcp_seq;
	if (skip >= len) {
		rx_publish(rx); /* control_poll may have answered a resync */
		return 0;
	}
	ret = feed(rx, p + skip, (uint32_t)(len - skip), tls_status, &d);
	if (ret == -EBADMSG) {
		rx->failed = true;
		cnt(rx, MLX5TLS_CNT_RX_TLS_AUTH_FAIL, 1);
		pr_warn("rx: a record failed authentication at TCP sequence %u: stream closed\n",
			rx->next_seq);
	}
	rx_publish(rx);
	return libmlx5tls_err(ret < 0 ? ret : 0);
}

/* ---- lifecycle ---- */

static int rx_keys(struct mlx5tls_rx *rx, const struct tls_crypto_info *ci, size_t ci_len)
{
	struct ci_fields cf;
	int ret = crypto_info_fields(ci, ci_len, &cf);

	if (ret)
		return ret;
	rx->tls13 = cf.tls13;
	rx->version = ci->version;
	rx->cipher_type = ci->cipher_type;
	memcpy(rx->salt, cf.salt, sizeof(rx->salt));
	memcpy(rx->iv, cf.iv, sizeof(rx->iv));
	rx->first_num = cf.first_record;
	return 0;
}

static void rx_free(struct mlx5tls_rx *rx)
{
	if (rx->dek)
		mlx5tls_dek_destroy(rx->dek);
	if (rx->psv_mr)
		mlx5tls_mr_dereg(rx->psv_mr);
	free(rx->psv_buf);
	rx_sw_free(rx->sw);
	explicit_bzero(rx, sizeof(*rx));
	free(rx);
}

struct mlx5tls_rx *mlx5tls_rx_create(struct mlx5tls_qp *qp, struct mlx5tls_tir *tir,
				     const struct tls_crypto_info *ci, size_t ci_len,
				     uint32_t start_tcp_sn, const struct mlx5tls_rx_opts *opts)
{
	struct mlx5tls_dek_pool *pool = OPTS_GET(opts, dek_pool, NULL);
	struct mlx5tls_tir_attr ta = { 0 };
	struct mlx5tls_rx *rx;
	int ret;

	if (!qp || !tir || !OPTS_VALID(opts, mlx5tls_rx_opts))
		return libmlx5tls_err_ptr(-EINVAL);
	ret = mlx5tls_tir_query(tir, &ta, sizeof(ta));
	if (ret)
		return libmlx5tls_err_ptr(ret);
	if (!ta.tls_en) {
		pr_warn("rx: TIR %u is not TLS-enabled\n", ta.tirn);
		return libmlx5tls_err_ptr(-EINVAL);
	}
	rx = calloc(1, sizeof(*rx));
	if (!rx)
		return libmlx5tls_err_ptr(-ENOMEM);
	ret = conn_init(&rx->conn, OPTS_GET(opts, conn, NULL), OPTS_GET(opts, label, NULL));
	if (ret) {
		free(rx);
		return libmlx5tls_err_ptr(ret);
	}
	rx->qp = qp;
	rx->tir = tir;
	rx->tirn = ta.tirn;
	rx->start_sn = start_tcp_sn;
	rx->next_seq = start_tcp_sn;
	rx->resync_max = OPTS_GET(opts, resync_max, 0) ?: RESYNC_MAX_DEFAULT;
	rx->resync_left = rx->resync_max;
	ret = rx_keys(rx, ci, ci_len);
	if (!ret && !(qp->dev->caps.tls_rx &&
		      (qp->dev->caps.suites & mlx5tls_suite_of(ci->version, ci->cipher_type)))) {
		pr_warn("rx: %s does not offload this TLS version/cipher for receive\n",
			qp->dev->attr.name);
		ret = -EOPNOTSUPP;
	}
	if (!ret)
		ret = rx_sw_init(&rx->sw, ci, ci_len);
	if (ret)
		goto err;
	rx->dek = pool ? mlx5tls_dek_pool_get(pool, ci, ci_len)
		       : mlx5tls_dek_create(qp->pd, ci, ci_len, NULL);
	rx->psv_buf = aligned_alloc(64, 64);
	if (!rx->dek || !rx->psv_buf) {
		ret = rx->dek ? -ENOMEM : -errno;
		goto err;
	}
	rx->psv_mr = mr_reg_access(qp->pd, rx->psv_buf, 64, XPORT_MR_LOCAL_WRITE);
	if (!rx->psv_mr) {
		ret = -errno;
		goto err;
	}
	ret = post_add_params(rx);
	if (ret)
		goto err;
	cnt(rx, MLX5TLS_CNT_RX_TLS_CTX, 1);
	rx_publish(rx);
	/* listed only once complete: the publisher may read it from now on */
	rx->id = inspect_new_tx_id();
	pthread_mutex_lock(&qp->dev->insp_lock);
	rx->insp_next = qp->dev->insp_rx;
	qp->dev->insp_rx = rx;
	pthread_mutex_unlock(&qp->dev->insp_lock);
	return rx;
err:
	rx_free(rx);
	return libmlx5tls_err_ptr(ret);
}

int mlx5tls_rx_destroy(struct mlx5tls_rx *rx)
{
	struct mlx5tls_qp *qp;

	if (!rx)
		return libmlx5tls_err(-EINVAL);
	qp = rx->qp;
	/* unlisted first: once insp_lock is released no other thread reads rx */
	pthread_mutex_lock(&qp->dev->insp_lock);
	for (struct mlx5tls_rx **pp = &qp->dev->insp_rx; *pp; pp = &(*pp)->insp_next)
		if (*pp == rx) {
			*pp = rx->insp_next;
			break;
		}
	pthread_mutex_unlock(&qp->dev->insp_lock);
	/* a GET_PSV writes into psv_buf: the queue must be done with every WQE of the context */
	qp_doorbell(qp);
	while (qp->cc != qp->pc && !qp->dead)
		if (qp_reserve(qp, qp->ring.sq_wqebbs) < 0)
			break;
	for (uint32_t i = 0; i < qp->ring.sq_wqebbs; i++)
		if (qp->slots[i].rx == rx)
			qp->slots[i].rx = NULL;
	cnt(rx, MLX5TLS_CNT_RX_TLS_DEL, 1);
	rx_free(rx);
	return 0;
}

int mlx5tls_rx_query(struct mlx5tls_rx *rx, struct mlx5tls_rx_info *info, size_t info_sz)
{
	struct rx_sw_stats st;

	if (!rx || !info)
		return libmlx5tls_err(-EINVAL);
	rx_sw_get_stats(rx->sw, &st);
	rx->info.tirn = rx->tirn;
	rx->info.dek_id = mlx5tls_dek_id(rx->dek);
	rx->info.next_tcp_sn = rx->next_seq;
	rx->info.next_record = rx_sw_next_record(rx->sw);
	rx->info.by_device = st.by_device;
	rx->info.by_software = st.by_software;
	rx->info.reencrypted_bytes = st.reencrypted_bytes;
	rx->info.failed = rx->failed;
	rx->info.resync_pending = rx->psv_in_flight || rx->answer_pending;
	copy_out(info, info_sz, &rx->info, sizeof(rx->info));
	return 0;
}

/* ---- inspection (mlx5tls-inspect(7)) ---- */

#define PSV_WAIT_STEPS 10000u /* x 10 us: the bound of mlx5tls_rx_inspect's wait */
#define PUBLISHER_PSV_REASON "GET_PSV goes on the application's control queue: not available " \
			     "from this thread"

struct mlx5tls_rx *rx_insp_next(const struct mlx5tls_rx *rx)
{
	return rx->insp_next;
}

uint64_t rx_insp_id(const struct mlx5tls_rx *rx)
{
	return rx->id;
}

void rx_tir_gone(const struct mlx5tls_tir *tir)
{
	for (struct mlx5tls_device *dev = inspect_devices_lock(); dev; dev = dev->insp_next) {
		pthread_mutex_lock(&dev->insp_lock);
		for (struct mlx5tls_rx *rx = dev->insp_rx; rx; rx = rx->insp_next)
			if (rx->tir == tir)
				rx->tir = NULL;
		pthread_mutex_unlock(&dev->insp_lock);
	}
	inspect_devices_unlock();
}

static void rx_dek_read_back(struct mlx5tls_rx *rx, struct mlx5tls_rx_state *st)
{
	struct mlx5tls_dek_attr a;

	memset(&a, 0, sizeof(a));
	st->dek_id = mlx5tls_dek_id(rx->dek);
	st->dek_pooled = rx->dek->pool != NULL;
	st->dek_error = mlx5tls_dek_query(rx->dek, &a, sizeof(a));
	if (st->dek_error) {
		inspect_fw_status(st->dek_error, &st->dek_fw_status, &st->dek_fw_syndrome);
		return;
	}
	st->dek_state = a.state;
	st->dek_key_bits = a.key_bits;
	st->dek_key_purpose = a.key_purpose;
	st->dek_pd = a.pd;
}

static void rx_tir_read_back(struct mlx5tls_rx *rx, struct mlx5tls_rx_state *st)
{
	struct mlx5tls_tir_attr a;

	memset(&a, 0, sizeof(a));
	st->tirn = rx->tirn;
	if (!rx->tir)
		return;
	st->has_tir = true;
	st->tir_error = mlx5tls_tir_query(rx->tir, &a, sizeof(a));
	if (st->tir_error) {
		inspect_fw_status(st->tir_error, &st->tir_fw_status, &st->tir_fw_syndrome);
		return;
	}
	st->tir_tls_en = a.tls_en;
	st->tir_disp_type = a.disp_type;
	st->tir_inline_rqn = a.inline_rqn;
	st->tir_transport_domain = a.transport_domain;
	st->tir_flows = a.flows;
}

/* The connection: given at creation, else the steering rule of the TIR when it has just one. */
static void rx_conn_fill(struct mlx5tls_rx *rx, struct mlx5tls_rx_state *st)
{
	conn_read(&rx->conn, &st->conn, &st->conn_source, st->label);
	if (st->conn_source == MLX5TLS_CONN_UNKNOWN && st->has_tir && st->tir_flows == 1) {
		char none[MLX5TLS_LABEL_MAX];

		conn_read(&rx->tir->flow_conn, &st->conn, &st->conn_source, none);
	}
}

void rx_inspect_fill(struct mlx5tls_rx *rx, struct mlx5tls_rx_state *st)
{
	const struct rx_pub *p = &rx->pub;

	memset(st, 0, sizeof(*st));
	st->id = rx->id;
	snprintf(st->device, sizeof(st->device), "%s", rx->qp->dev->attr.name);
	st->sqn = rx->qp->ring.sqn;
	st->path = MLX5TLS_TX_PATH_DEVICE;
	st->tls_version = rx->version;
	st->cipher_type = rx->cipher_type;
	st->start_tcp_sn = rx->start_sn;
	st->first_record = rx->first_num;
	st->next_tcp_sn = atomic_load_explicit(&p->next_seq, memory_order_relaxed);
	st->next_record = atomic_load_explicit(&p->next_record, memory_order_relaxed);
	st->records = atomic_load_explicit(&p->records, memory_order_relaxed);
	st->bytes = atomic_load_explicit(&p->bytes, memory_order_relaxed);
	st->by_device = atomic_load_explicit(&p->by_device, memory_order_relaxed);
	st->by_software = atomic_load_explicit(&p->by_software, memory_order_relaxed);
	st->reencrypted_bytes = atomic_load_explicit(&p->reencrypted_bytes, memory_order_relaxed);
	st->resync_answers = atomic_load_explicit(&p->resync_answers, memory_order_relaxed);
	st->resync_left = atomic_load_explicit(&p->resync_left, memory_order_relaxed);
	st->resync_pending = atomic_load_explicit(&p->resync_pending, memory_order_relaxed);
	st->failed = atomic_load_explicit(&p->failed, memory_order_relaxed);
	rx_dek_read_back(rx, st);
	rx_tir_read_back(rx, st);
	st->progress_available = false;
	snprintf(st->progress_reason, sizeof(st->progress_reason), "%s", PUBLISHER_PSV_REASON);
	rx_conn_fill(rx, st);
}

static uint32_t be32_at(const uint8_t *b)
{
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

/* One GET_PSV on the control queue, waited for: only the thread that drives rx may post on its
 * queue, so this is mlx5tls_rx_inspect's part and never the publisher's. */
static void rx_progress_read_back(struct mlx5tls_rx *rx, struct mlx5tls_rx_state *st)
{
	struct mlx5tls_qp *qp = rx->qp;
	struct wqe_slot slot = { .kind = WQE_GET_PSV, .rx = rx };
	const char *why = NULL;
	uint8_t *w;

	if (!st->has_tir) /* a GET_PSV naming a destroyed TIR would fail the queue */
		why = "the TIR was destroyed before the context";
	else if (rx->psv_in_flight)
		why = "a GET_PSV of this context is in flight";
	else if (qp_reserve(qp, 1))
		why = "no room on the control queue for a GET_PSV";
	if (why) {
		snprintf(st->progress_reason, sizeof(st->progress_reason), "%s", why);
		return;
	}
	memset(rx->psv_buf, 0, 64);
	w = qp_wqe_begin(qp, 1);
	wqe_build_get_psv(w, (uint16_t)qp->pc, qp->ring.sqn, rx->tirn, rx->psv_mr->lkey,
			  (uintptr_t)rx->psv_buf);
	qp_commit(qp, 1, &slot);
	qp_doorbell(qp);
	rx->psv_in_flight = true;
	rx->psv_for_inspect = true;
	rx->insp_psv_done = false;
	for (uint32_t i = 0; i < PSV_WAIT_STEPS && !rx->insp_psv_done; i++) {
		(void)qp_reap(qp);
		if (!rx->insp_psv_done) {
			struct timespec ts = { 0, 10000 };

			nanosleep(&ts, NULL);
		}
	}
	/* a late answer only clears psv_in_flight (psv_for_inspect stays set until then) */
	if (!rx->insp_psv_done) {
		snprintf(st->progress_reason, sizeof(st->progress_reason),
			 "GET_PSV did not complete within %u ms", PSV_WAIT_STEPS / 100);
		return;
	}
	if (!rx->insp_psv_ok) {
		snprintf(st->progress_reason, sizeof(st->progress_reason),
			 "GET_PSV completed in error");
		return;
	}
	/* fact sheet 8.5: the 16-byte progress params segment; bytes 0..3 the TIR number */
	st->progress_available = true;
	st->progress_reason[0] = 0;
	st->hw_next_record_tcp_sn = be32_at(rx->insp_psv + 4);
	st->hw_resync_tcp_sn = be32_at(rx->insp_psv + 8);
	st->hw_tracker_state = rx->insp_psv[12] >> 6;
	st->hw_auth_state = (rx->insp_psv[12] >> 4) & 3;
	st->hw_offset_record_number = be32_at(rx->insp_psv + 12) & 0xffffffu;
}

int mlx5tls_rx_inspect(struct mlx5tls_rx *rx, struct mlx5tls_rx_state *st, size_t st_sz)
{
	struct mlx5tls_rx_state s;

	if (!rx || !st)
		return libmlx5tls_err(-EINVAL);
	/* reaping may complete a resync: the published figures first, so they are current */
	rx_publish(rx);
	/* insp_lock: rx->tir is cleared under it when the TIR goes */
	pthread_mutex_lock(&rx->qp->dev->insp_lock);
	rx_inspect_fill(rx, &s);
	pthread_mutex_unlock(&rx->qp->dev->insp_lock);
	rx_progress_read_back(rx, &s);
	copy_out(st, st_sz, &s, sizeof(s));
	return 0;
}
