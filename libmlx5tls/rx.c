/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * TLS RX contexts (fact sheet 11): a connection's receive direction decrypted by the NIC through a
 * TLS TIR, with every record's tag verified before the application sees it.
 *
 * Add (11.2): a DEK, then on a control send queue the TIR's static params (UMR opc_mod 2,
 * resync_tcp_sn 0, the record number of crypto info) and progress params (SET_PSV opc_mod 2,
 * START at the TCP sequence where that record begins).
 * Trust: a TIR's TLS state cannot be cleared on the device, and the params are applied some time
 * after they are posted, so a status is evidence only for packets processed by a TIR object that
 * held no other TLS state: a TIR that served a context is renewed (rx_queue.h tir_renew: a fresh
 * object, flows moved, new flow tag) before the next context and when a context lets go of the
 * device (destroy, rekey, hand-back, software path). Packets carry the flow tag of the object
 * that processed them (mlx5tls_rx_pkt_tls); a fresh object decrypts nothing before its params
 * (model R13; the kernel steers to a TIR only after its params completed, 11.2 step 5). So a
 * DECRYPTED packet with a tag of this context's key epochs was decrypted under those keys; any
 * other DECRYPTED packet is foreign and the record holding it fails.
 * Datapath (9, 11.3): the application hands the connection's TCP payload in TCP order with each
 * packet's status word; rx_sw delivers the records the device authenticated and completes the
 * others in software (mixed records re-encrypted and verified) - plaintext is only ever given
 * out verified.
 * Resync (11.4): a packet with status RESYNC starts a request: GET_PSV on the control queue; if
 * the device answers TRACKING / NO_OFFLOAD, its hw_resync_tcp_sn is checked against the record
 * boundaries the stream has shown (or will show): where a record does start there, static params
 * with resync_tcp_sn = that sequence and initial_record_number = that record's number are posted
 * (no progress params, as the kernel). A guess that is no record start is dropped; requests are
 * bounded per context (resync_max, then rx_tls_resync_req_skip).
 * KeyUpdate (RFC 8446 4.6.3; kTLS returns -EKEYEXPIRED the same way): input stops after the
 * record carrying it; mlx5tls_rx_rekey() renews the TIR, takes a new DEK and posts the add
 * sequence at the boundary. Bytes past the boundary the old TIR object decrypted with the old
 * keys keep their old tag: rx_sw restores them with the old keys and the record numbers the
 * device went on counting, then verifies with the new ones.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dlist.h"
#include "inspect.h"
#include "qp.h"
#include "rx_internal.h"
#include "rx_queue.h"
#include "tls_stat.h"
#include "wqe.h"

#define RESYNC_MAX_DEFAULT 8u

/* ---- device state ---- */

/* Wait until the control queue is done with every WQE of the context (a GET_PSV writes into
 * psv_buf), then forget the context in its slots. */
void rx_params_wait(struct mlx5tls_rx *rx);

static void control_drain(struct mlx5tls_rx *rx)
{
	struct mlx5tls_qp *qp = rx->qp;

	rx_params_wait(rx);
	qp_forget_owner(qp, NULL, rx);
	rx->psv_in_flight = false;
	rx->psv_for_inspect = false;
	rx->answer_pending = false;
	rx->retry = false;
	rx->params_lost = false;
}

/* Until the control queue consumed everything posted (the params just posted among it). */
void rx_params_wait(struct mlx5tls_rx *rx)
{
	struct mlx5tls_qp *qp = rx->qp;

	qp_doorbell(qp);
	while (qp->cc != qp->pc && !qp->dead)
		if (qp_reserve(qp, qp->ring.sq_wqebbs) < 0)
			break;
}

/* A fresh TIR object for the TIR (tir_renew), counted; the context follows its number. */
static int rx_tir_renew(struct mlx5tls_rx *rx)
{
	int ret;

	if (!rx->tir)
		return 0; /* the application destroyed the TIR: no TLS state is left */
	ret = tir_renew(rx->tir);
	if (!ret)
		rx_cnt(rx, MLX5TLS_CNT_RX_TLS_TIR_RENEW, 1);
	pthread_mutex_lock(&rx->qp->shard->lock); /* inspection reads it under this lock */
	rx->tirn = rx->tir->tirn;
	pthread_mutex_unlock(&rx->qp->shard->lock);
	return ret;
}

/* Leave the device: no WQE of ours in flight, the TIR's TLS state replaced by a fresh object,
 * the DEK given back. The tags of the key epochs stay: what the device decrypted before is
 * still restored and verified. */
static void release_device(struct mlx5tls_rx *rx)
{
	if (!rx->on_device)
		return;
	control_drain(rx);
	rx->on_device = false;
	if (rx->tir && !rx->tir->rx_list && !rx->tir->stale_dek &&
	    !atomic_load(&rx->tir->flows)) {
		/* destroyed (no other context names the TIR) with no flow steering to it: no
		 * packet can reach the state, so the renewal waits for the TIR's next flow or
		 * context (or its destroy, which needs none); the DEK stays with the TIR until then */
		rx->tir->stale_dek = rx->dek;
		rx->dek = NULL;
	} else if (rx_tir_renew(rx)) {
		pr_warn("rx: TIR 0x%x keeps this context's TLS state (renewal failed)\n",
			rx->tirn);
	}
	if (rx->dek) {
		mlx5tls_dek_destroy(rx->dek);
		rx->dek = NULL;
	}
}

static void go_software(struct mlx5tls_rx *rx, const char *reason)
{
	release_device(rx);
	if (!rx->reason[0])
		rx_cnt(rx, MLX5TLS_CNT_RX_TLS_SW_CTX, 1);
	if (rx->stop != MLX5TLS_RX_STOP_HANDED_BACK)
		tls_stat_move(&rx->stat_curr, TLS_STAT_CURR_RX_SW);
	snprintf(rx->reason, sizeof(rx->reason), "%s", reason);
}

int mlx5tls_rx_to_software(struct mlx5tls_rx *rx, const char *reason)
{
	if (!rx || rx->stop == MLX5TLS_RX_STOP_HANDED_BACK)
		return libmlx5tls_err(-EINVAL);
	go_software(rx, reason && *reason ? reason : "asked by the application");
	rx_publish(rx);
	return 0;
}

static void rx_keys(struct mlx5tls_rx *rx, const struct ci_fields *cf)
{
	rx->tls13 = cf->tls13;
	memcpy(rx->salt, cf->salt, sizeof(rx->salt));
	memcpy(rx->iv, cf->iv, sizeof(rx->iv));
	rx->first_num = cf->first_record;
}

/*
 * Set up the device for the current keys, whose first record starts at epoch_sn: a TIR object
 * with no TLS state (renewed when one was used), a DEK, the add sequence. The current epoch's
 * tag is the object's. 0 or -errno (nothing of it is left on the device).
 */
static int device_setup(struct mlx5tls_rx *rx, const struct tls_crypto_info *ci, size_t ci_len)
{
	unsigned int slot = rx_sw_epoch(rx->sw) % RX_SW_EPOCHS;
	int ret;

	if (!rx->tir)
		return -ENODEV; /* the application destroyed the TIR: nothing to decrypt with */
	if (rx->tir->tls_used) {
		ret = rx_tir_renew(rx);
		if (ret)
			return ret;
	}
	rx->dek = rx->pool ? mlx5tls_dek_pool_get(rx->pool, ci, ci_len)
			   : mlx5tls_dek_create(rx->qp->pd, ci, ci_len, NULL);
	if (!rx->dek)
		return -errno;
	rx->tirn = rx->tir->tirn;
	ret = rx_post_add_params(rx);
	if (ret) {
		mlx5tls_dek_destroy(rx->dek);
		rx->dek = NULL;
		return ret;
	}
	rx->tir->tls_used = true;
	rx->tags[slot] = rx->tir->tag;
	rx->on_device = true;
	return 0;
}

int mlx5tls_rx_rekey(struct mlx5tls_rx *rx, const struct tls_crypto_info *ci, size_t ci_len)
{
	struct ci_fields cf;
	int ret, epoch;

	if (!rx || !ci)
		return libmlx5tls_err(-EINVAL);
	ret = crypto_info_fields(ci, ci_len, &cf);
	if (!ret && (rx->stop != MLX5TLS_RX_STOP_KEY_UPDATE || ci->version != rx->version ||
		     ci->cipher_type != rx->cipher_type || !cf.tls13))
		ret = -EINVAL;
	if (ret) {
		rx_cnt(rx, MLX5TLS_CNT_RX_TLS_REKEY_FAIL, 1);
		tls_stat_add(TLS_STAT_RX_REKEY_ERROR, 1);
		pr_warn("rx: rekey refused: %s\n",
			rx->stop != MLX5TLS_RX_STOP_KEY_UPDATE ? "no KeyUpdate to answer"
			: "the new keys must be TLS 1.3 of the same cipher");
		return libmlx5tls_err(ret);
	}
	/* the old keys' device state goes first: its TIR object keeps decrypting with them */
	if (rx->on_device) {
		control_drain(rx);
		rx->on_device = false;
		if (rx->dek) {
			mlx5tls_dek_destroy(rx->dek);
			rx->dek = NULL;
		}
	}
	epoch = rx_sw_rekey(rx->sw, ci, ci_len);
	if (epoch < 0) {
		rx_cnt(rx, MLX5TLS_CNT_RX_TLS_REKEY_FAIL, 1);
		tls_stat_add(TLS_STAT_RX_REKEY_ERROR, 1);
		rx->failed = true;
		rx->stop = MLX5TLS_RX_STOP_FAILED;
		rx_publish(rx);
		return libmlx5tls_err(epoch);
	}
	rx->tags[(unsigned int)epoch % RX_SW_EPOCHS] = 0; /* that slot's old keys are gone */
	rx->stop = MLX5TLS_RX_STOP_NONE;
	rx_keys(rx, &cf);
	rx->epoch_sn = rx->restart_ok ? rx->restart_sn : rx->next_seq;
	rx->epoch_num = rx->first_num + (rx->restart_ok ? rx->restart_records : 0);
	rx->resync_left = rx->resync_max;
	rx->hist_count = 0;
	if (rx->reason[0]) {
		rx_cnt(rx, MLX5TLS_CNT_RX_TLS_REKEY_SW, 1);
	} else if ((ret = device_setup(rx, ci, ci_len))) {
		char why[96];

		snprintf(why, sizeof(why), "rekey: the device could not take the new key (%d)", ret);
		go_software(rx, why);
		rx_cnt(rx, MLX5TLS_CNT_RX_TLS_REKEY_SW, 1);
	} else {
		/* a rekey is rare: wait until the device holds the new params, so the records
		 * after the boundary already find it set up (as the kernel steers a flow to a TIR
		 * only once its params completed, 11.2 step 5) */
		rx_params_wait(rx);
		rx_cnt(rx, MLX5TLS_CNT_RX_TLS_REKEY_OK, 1);
	}
	tls_stat_add(TLS_STAT_RX_REKEY_OK, 1);
	rx_publish(rx);
	return 0;
}

/* ---- hand-back ---- */

int mlx5tls_rx_handback(struct mlx5tls_rx *rx, struct mlx5tls_rx_handback *hb, void *buf,
			size_t buf_len)
{
	uint32_t held;
	int ret;

	if (!rx || !hb || rx->failed || rx->stop == MLX5TLS_RX_STOP_HANDED_BACK)
		return libmlx5tls_err(-EINVAL);
	held = rx_sw_held(rx->sw);
	hb->next_record = rx_sw_next_record(rx->sw);
	hb->next_tcp_sn = rx->next_seq - held;
	hb->pending_len = held;
	if (held && (!buf || buf_len < held))
		return libmlx5tls_err(-ENOSPC);
	ret = held ? rx_sw_pending(rx->sw, buf, buf_len) : 0;
	if (ret)
		return libmlx5tls_err(ret);
	release_device(rx);
	rx->stop = MLX5TLS_RX_STOP_HANDED_BACK;
	rx_cnt(rx, MLX5TLS_CNT_RX_TLS_HANDBACK, 1);
	tls_stat_move(&rx->stat_curr, TLS_STAT_NONE);
	rx_publish(rx);
	return 0;
}

int mlx5tls_rx_restore(struct mlx5tls_rx *rx, uint32_t tcp_seq, void *payload, size_t len,
		       uint32_t tls_word)
{
	int64_t skip;
	int ret;

	if (!rx || (!payload && len) || len > UINT32_MAX || !rx_word_valid(tls_word) ||
	    rx->stop != MLX5TLS_RX_STOP_HANDED_BACK)
		return libmlx5tls_err(-EINVAL);
	skip = rx_stream_skip(rx, tcp_seq);
	if (skip < 0)
		return libmlx5tls_err((int)skip);
	if ((uint64_t)skip >= len)
		return 0;
	ret = rx_sw_restore(rx->sw, (uint8_t *)payload + skip, len - (size_t)skip,
			    rx_word_mark(rx, tls_word));
	if (ret)
		return libmlx5tls_err(ret);
	rx->next_seq += (uint32_t)(len - (size_t)skip);
	rx_publish(rx);
	return 0;
}

/* ---- lifecycle ---- */

static void rx_free(struct mlx5tls_rx *rx)
{
	if (rx->dek)
		mlx5tls_dek_destroy(rx->dek);
	if (rx->psv_mr)
		mlx5tls_mr_dereg(rx->psv_mr);
	free(rx->psv_buf);
	free(rx->hist);
	rx_sw_free(rx->sw);
	/* Only the salt and IV are key material here (the key is the DEK's, and rx_sw wipes its
	 * own): wiping all of the context would write every one of its cache lines - a miss each
	 * when contexts go at random among 100k. */
	explicit_bzero(rx->salt, sizeof(rx->salt));
	explicit_bzero(rx->iv, sizeof(rx->iv));
	free(rx);
}

struct mlx5tls_rx *mlx5tls_rx_create(struct mlx5tls_qp *qp, struct mlx5tls_tir *tir,
				     const struct tls_crypto_info *ci, size_t ci_len,
				     uint32_t start_tcp_sn, const struct mlx5tls_rx_opts *opts)
{
	uint32_t flags = OPTS_GET(opts, flags, 0);
	struct ci_fields cf;
	struct mlx5tls_rx *rx;
	int ret;

	if (!qp || !tir || !OPTS_VALID(opts, mlx5tls_rx_opts) ||
	    (flags & ~(MLX5TLS_RX_F_STOP_AT_CONTROL | MLX5TLS_RX_F_SOFTWARE)))
		return libmlx5tls_err_ptr(-EINVAL);
	/* the library created the TIR: what it is needs no QUERY_TIR (one command less per
	 * connection) */
	if (!tir->tls_en) {
		pr_warn("rx: TIR %u is not TLS-enabled\n", tir->tirn);
		return libmlx5tls_err_ptr(-EINVAL);
	}
	ret = crypto_info_fields(ci, ci_len, &cf);
	if (ret)
		return libmlx5tls_err_ptr(ret);
	if (!(flags & MLX5TLS_RX_F_SOFTWARE) &&
	    !(qp->dev->caps.tls_rx &&
	      (qp->dev->caps.suites & mlx5tls_suite_of(ci->version, ci->cipher_type)))) {
		pr_warn("rx: %s does not offload this TLS version/cipher for receive\n",
			qp->dev->attr.name);
		return libmlx5tls_err_ptr(-EOPNOTSUPP);
	}
	/* zeroed but for the tail that is written before it is read (rx_internal.h) */
	rx = malloc(sizeof(*rx));
	if (!rx)
		return libmlx5tls_err_ptr(-ENOMEM);
	memset(rx, 0, RX_ZEROED);
	rx->reason[0] = '\0';
	ret = conn_init(&rx->conn, OPTS_GET(opts, conn, NULL), OPTS_GET(opts, label, NULL));
	if (ret) {
		free(rx);
		return libmlx5tls_err_ptr(ret);
	}
	/* the inspection slot first, while there is nothing else to undo; the publisher sees the
	 * context only once it is complete (insp_table_set below) */
	pthread_mutex_lock(&qp->shard->lock);
	ret = insp_table_add(&qp->shard->rx, NULL, &rx->insp_slot);
	pthread_mutex_unlock(&qp->shard->lock);
	if (ret) {
		free(rx);
		return libmlx5tls_err_ptr(ret);
	}
	rx->qp = qp;
	rx->stat_curr = TLS_STAT_NONE;
	rx->tir = tir;
	rx->tirn = tir->tirn;
	rx->pool = OPTS_GET(opts, dek_pool, NULL);
	rx->start_sn = start_tcp_sn;
	rx->epoch_sn = start_tcp_sn;
	rx->epoch_num = cf.first_record;
	rx->arrived_end = start_tcp_sn;
	rx->next_seq = start_tcp_sn;
	rx->resync_max = OPTS_GET(opts, resync_max, 0) ?: RESYNC_MAX_DEFAULT;
	rx->resync_left = rx->resync_max;
	rx->version = ci->version;
	rx->cipher_type = ci->cipher_type;
	rx_keys(rx, &cf);
	ret = rx_sw_init(&rx->sw, ci, ci_len);
	if (ret)
		goto err;
	rx_sw_set_rec_pool(rx->sw, &qp->dev->rx_rec_pool);
	rx_sw_set_stop_at_control(rx->sw, flags & MLX5TLS_RX_F_STOP_AT_CONTROL);
	/* the GET_PSV buffer and its MR come with the first resync request (rx_psv_buf) */
	if (flags & MLX5TLS_RX_F_SOFTWARE) {
		/* a TIR that still holds a TLS state would decrypt under it: clear it first */
		if (tir->tls_used && (ret = rx_tir_renew(rx)))
			goto err;
		snprintf(rx->reason, sizeof(rx->reason), "asked at create (MLX5TLS_RX_F_SOFTWARE)");
		rx_cnt(rx, MLX5TLS_CNT_RX_TLS_SW_CTX, 1);
	} else if ((ret = device_setup(rx, ci, ci_len))) {
		goto err;
	}
	rx_cnt(rx, MLX5TLS_CNT_RX_TLS_CTX, 1);
	tls_stat_move(&rx->stat_curr, rx->on_device ? TLS_STAT_CURR_RX_DEVICE : TLS_STAT_CURR_RX_SW);
	rx_publish(rx);
	/* on the TIR's list (its rx_lock: contexts of other queues' shards may name it too), so
	 * that the TIR going clears rx->tir; then listed for the publisher, now complete. No
	 * device-wide lock: contexts on queues of other shards are set up meanwhile. */
	if (rx->tir) {
		pthread_spin_lock(&rx->tir->rx_lock);
		DLIST_INSERT_HEAD(&rx->tir->rx_list, rx, tir_next, tir_pprev);
		pthread_spin_unlock(&rx->tir->rx_lock);
	}
	rx->id = inspect_new_ctx_id();
	pthread_mutex_lock(&qp->shard->lock);
	insp_table_set(&qp->shard->rx, rx->insp_slot, rx);
	insp_table_key(&qp->shard->rx, rx->insp_slot, rx->id); /* ctx id N finds it in O(1) */
	pthread_mutex_unlock(&qp->shard->lock);
	return rx;
err:
	pthread_mutex_lock(&qp->shard->lock);
	insp_table_del(&qp->shard->rx, rx->insp_slot);
	pthread_mutex_unlock(&qp->shard->lock);
	rx_free(rx);
	return libmlx5tls_err_ptr(ret);
}

/*
 * Among 100k live contexts the one destroyed is cold, and each object its teardown touches is
 * a cache miss; found one after another they cost a memory latency each. Asked for as soon as
 * their addresses are known, they arrive together (as mlx5tls_tx_destroy). First the context's
 * own lines that the teardown reads: queue, TIR and DEK; software state and history; pending
 * counts; id, slot and TIR list links.
 */
static void rx_prefetch_self(const struct mlx5tls_rx *rx)
{
	__builtin_prefetch(&rx->qp, 1);
	__builtin_prefetch(&rx->sw, 1);
	__builtin_prefetch(&rx->psv_mr, 1);
	__builtin_prefetch(&rx->pend_err, 1);
	__builtin_prefetch(&rx->id, 1);
	__builtin_prefetch(&rx->tir_pprev, 1);
}

void rx_prefetch_teardown(const struct mlx5tls_rx *rx)
{
	rx_prefetch_self(rx);
}

/* Then what it points to: its software state (its keys: rx_prefetch_keys), DEK, history, TIR,
 * and its neighbour on the TIR's list. */
static void rx_prefetch_parts(const struct mlx5tls_rx *rx)
{
	rx_sw_prefetch_free(rx->sw);
	__builtin_prefetch(rx->dek, 1);
	__builtin_prefetch(rx->hist, 1);
	__builtin_prefetch(rx->tir, 1);
	__builtin_prefetch(rx->tir_next, 1);
}

int mlx5tls_rx_destroy(struct mlx5tls_rx *rx)
{
	struct mlx5tls_qp *qp;

	if (!rx)
		return libmlx5tls_err(-EINVAL);
	rx_prefetch_self(rx);
	qp = rx->qp;
	rx_prefetch_parts(rx);
	/* unlisted first: once the shard's lock is released the publisher no longer reads rx, and
	 * once off the TIR's list its TIR going does not write it (the application does not
	 * destroy the TIR during a call on a context naming it: rx->tir is read here unlocked) */
	pthread_mutex_lock(&qp->shard->lock);
	insp_table_prefetch_del(&qp->shard->rx, rx->insp_slot, rx->id);
	insp_table_del(&qp->shard->rx, rx->insp_slot);
	pthread_mutex_unlock(&qp->shard->lock);
	if (rx->tir) {
		pthread_spin_lock(&rx->tir->rx_lock);
		DLIST_REMOVE(rx, tir_next, tir_pprev);
		pthread_spin_unlock(&rx->tir->rx_lock);
	}
	/* the software state's line asked for above has come with the others: now the lines of
	 * its keys (secret memory, wiped by rx_free), found there */
	rx_sw_prefetch_keys(rx->sw);
	/* the counts still held in the context; its published figures have no reader left */
	rx_count_pending(rx, NULL);
	/* the TIR's TLS state goes with the context: the next context on the TIR, and the DEK's
	 * next owner (a pooled DEK is keyed again), must not find it decrypting */
	release_device(rx);
	control_drain(rx);
	rx_cnt(rx, MLX5TLS_CNT_RX_TLS_DEL, 1);
	tls_stat_move(&rx->stat_curr, TLS_STAT_NONE);
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
	rx->info.dek_id = rx->dek ? mlx5tls_dek_id(rx->dek) : 0;
	rx->info.next_tcp_sn = rx->next_seq;
	rx->info.next_record = rx_sw_next_record(rx->sw);
	rx->info.by_device = st.by_device;
	rx->info.by_software = st.by_software;
	rx->info.reencrypted_bytes = st.reencrypted_bytes;
	rx->info.failed = rx->failed;
	rx->info.resync_pending = rx->psv_in_flight || rx->answer_pending;
	rx->info.stop = rx->stop;
	rx->info.path = rx->reason[0] ? MLX5TLS_TX_PATH_SOFTWARE : MLX5TLS_TX_PATH_DEVICE;
	rx->info.key_epoch = rx_sw_epoch(rx->sw);
	/* with its slot in the device's table of RX contexts (and a bucket of its id index) */
	rx->info.mem_bytes = sizeof(*rx) + insp_table_slot_bytes() + sizeof(uint32_t) +
			     (rx->hist ? RX_HISTORY * sizeof(*rx->hist) : 0) +
			     (rx->psv_buf ? RX_PSV_BYTES : 0) + rx_sw_mem(rx->sw);
	copy_out(info, info_sz, &rx->info, sizeof(rx->info));
	return 0;
}
