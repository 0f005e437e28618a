/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * TLS TX contexts: creation from <linux/tls.h> crypto info, acks, TLS 1.3 key update, hand-back
 * and inspection (the per-frame path is tx_send.c; destroying, one or many, tx_destroy.c).
 *
 * As the kernel's mlx5e_ktls_add_tx (fact sheet 10.2): check the (version, cipher) against the
 * device's tls_cap, take a TIS (pool) and a DEK (pool), remember the start sequence, post nothing
 * yet - the static and progress params go out before the first data frame.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "inspect.h"
#include "tls_stat.h"
#include "secret.h"
#include "tx_internal.h"

#define DEMOTE_MIN_BYTES_DEFAULT (1ull << 20)
#define SW_SCRATCH_BYTES (TLS_HDR_LEN + TLS_MAX_BODY)

/* (version, cipher) the library can encrypt at all, and the key view. -EINVAL/-EOPNOTSUPP. */
static int ci_check(const struct tls_crypto_info *ci, size_t ci_len, bool *tls13)
{
	if (!ci || ci_len < sizeof(*ci)) {
		pr_warn("tx: crypto info missing or shorter than its header\n");
		return -EINVAL;
	}
	if (ci->version != TLS_1_2_VERSION && ci->version != TLS_1_3_VERSION) {
		pr_warn("tx: TLS version 0x%04x is not supported (only 1.2 and 1.3)\n",
			ci->version);
		return -EOPNOTSUPP;
	}
	if (ci->cipher_type == TLS_CIPHER_AES_GCM_128) {
		if (ci_len != sizeof(struct tls12_crypto_info_aes_gcm_128))
			goto bad_len;
	} else if (ci->cipher_type == TLS_CIPHER_AES_GCM_256) {
		if (ci_len != sizeof(struct tls12_crypto_info_aes_gcm_256))
			goto bad_len;
	} else {
		pr_warn("tx: cipher type %u is not supported (only AES-GCM-128/256)\n",
			ci->cipher_type);
		return -EOPNOTSUPP;
	}
	*tls13 = ci->version == TLS_1_3_VERSION;
	return 0;
bad_len:
	pr_warn("tx: crypto info length %zu does not match cipher type %u\n", ci_len,
		ci->cipher_type);
	return -EINVAL;
}

/* Why the device cannot offload this suite, or NULL (fact sheet 5.5: tls_tx, DEK objects,
 * tls_cap bit of the suite). */
static const char *device_refusal(const struct mlx5tls_device *dev, uint32_t suite)
{
	if (!dev->caps.tls_tx)
		return "device has no TLS TX offload (tls_tx = 0)";
	if (!dev->caps.dek_object)
		return "device has no DEK objects";
	if (!(dev->caps.suites & suite)) {
		switch (suite) {
		case MLX5TLS_SUITE_TLS12_AES_GCM_128:
			return "device does not offload TLS 1.2 AES-GCM-128";
		case MLX5TLS_SUITE_TLS13_AES_GCM_128:
			return "device does not offload TLS 1.3 AES-GCM-128";
		case MLX5TLS_SUITE_TLS12_AES_GCM_256:
			return "device does not offload TLS 1.2 AES-GCM-256";
		default:
			return "device does not offload TLS 1.3 AES-GCM-256";
		}
	}
	return NULL;
}

static void epoch_keep_salt(struct tx_epoch *e, const struct tls_crypto_info *ci, size_t ci_len)
{
	struct ci_fields cf;

	if (crypto_info_fields(ci, ci_len, &cf))
		return; /* not reached: checked by ci_check */
	memcpy(e->salt, cf.salt, sizeof(e->salt));
	memcpy(e->iv, cf.iv, sizeof(e->iv));
}

static void epoch_release(struct tx_epoch *e)
{
	if (e->dek)
		mlx5tls_dek_destroy(e->dek); /* a pooled DEK goes back to its pool */
	secret_free(e->ci, sizeof(*e->ci));
	explicit_bzero(e, sizeof(*e));
}

/* Load a key into epoch slot e: a DEK on the device path, a copy for the software path. */
static int epoch_load(struct mlx5tls_tx *tx, struct tx_epoch *e, const struct tls_crypto_info *ci,
		      size_t ci_len, struct mlx5tls_dek_pool *pool, bool keep_key)
{
	memset(e, 0, sizeof(*e));
	if (tx->path == MLX5TLS_TX_PATH_DEVICE) {
		e->dek = pool ? mlx5tls_dek_pool_get(pool, ci, ci_len)
			      : mlx5tls_dek_create(tx->qp->pd, ci, ci_len, NULL);
		if (!e->dek)
			return -errno;
		if (e->dek->pd != tx->qp->pd) {
			pr_warn("tx: the DEK pool is on another PD than the queue\n");
			mlx5tls_dek_destroy(e->dek);
			e->dek = NULL;
			return -EINVAL;
		}
	}
	if (keep_key) {
		e->ci = secret_alloc(sizeof(*e->ci));
		if (!e->ci) {
			if (e->dek)
				mlx5tls_dek_destroy(e->dek);
			e->dek = NULL;
			return -ENOMEM;
		}
		memcpy(e->ci, ci, ci_len);
		e->ci_len = ci_len;
		e->has_ci = true;
	}
	epoch_keep_salt(e, ci, ci_len);
	return 0;
}

/* 0, or -ENOMEM with the context on no list. Only the queue's shard is locked: contexts on
 * queues of other shards are created at the same time without waiting (mlx5tls_internal.h). */
static int lists_add(struct mlx5tls_tx *tx)
{
	struct ctx_shard *sh = tx->qp->shard;
	int ret;

	tx->id = inspect_new_ctx_id();
	pthread_mutex_lock(&sh->lock);
	/* a slot the publisher resumes its walk at in O(1), found by id in O(1) (insp_table.h) */
	ret = insp_table_add(&sh->tx, tx, &tx->dev_slot);
	if (!ret)
		insp_table_key(&sh->tx, tx->dev_slot, tx->id);
	pthread_mutex_unlock(&sh->lock);
	if (ret)
		return ret;
	/* the queue's table: O(1) add and delete (the slot freed last is taken first) */
	ret = insp_table_add(&tx->qp->tls_table, tx, &tx->qp_slot);
	if (ret) {
		pthread_mutex_lock(&sh->lock);
		insp_table_del(&sh->tx, tx->dev_slot);
		pthread_mutex_unlock(&sh->lock);
		return ret;
	}
	tx->qp->tls_contexts++;
	return 0;
}

void tx_free(struct mlx5tls_tx *tx)
{
	/* the mask, not each epoch's flag: an idle context's other epochs stay untouched (cold) */
	for (unsigned int i = 0; i < TX_EPOCHS; i++)
		if (tx->live_epochs & 1u << i)
			epoch_release(&tx->epochs[i]);
	if (tx->tis)
		mlx5tls_tis_destroy(tx->tis); /* a pooled TIS goes back to its pool */
	tx_sw_free(tx->sw);
	free(tx->sw_scratch);
	tx_stream_fini(&tx->stream);
	/* Nothing secret is left to wipe: each key's salt and IV went with its epoch
	 * (epoch_release), keys live in secret memory and tx_sw wipes its own. Wiping all of the
	 * context would write every cache line of it - a dozen misses per destroy at 1M contexts. */
	free(tx);
}

static int tx_take_tis(struct mlx5tls_tx *tx, struct mlx5tls_tis_pool *pool)
{
	struct mlx5tls_qp *qp = tx->qp;

	tx->tis = pool ? mlx5tls_tis_pool_get(pool) : mlx5tls_tis_create(qp->pd, qp->td, NULL);
	if (!tx->tis)
		return -errno;
	if (tx->tis->pd != qp->pd) {
		pr_warn("tx: the TIS pool is on another PD than the queue\n");
		return -EINVAL;
	}
	tx->tisn = tx->tis->tisn;
	return 0;
}

/* A context's memory freshly taken from the heap is cold when contexts are many: each line the
 * create writes would wait for its own read-for-ownership in turn (stores leave the core in
 * order). Asked for together, they arrive in about the time of one. */
static void tx_prefetch_new(const struct mlx5tls_tx *tx)
{
	for (size_t off = 0; off < sizeof(*tx); off += 64)
		__builtin_prefetch((const char *)tx + off, 1);
	__builtin_prefetch((const char *)tx + sizeof(*tx) - 1, 1);
}

struct mlx5tls_tx *mlx5tls_tx_create(struct mlx5tls_qp *qp, const struct tls_crypto_info *ci,
				     size_t ci_len, uint32_t start_tcp_sn,
				     const struct mlx5tls_tx_opts *opts)
{
	uint32_t flags = OPTS_GET(opts, flags, 0);
	const char *refusal;
	struct mlx5tls_tx *tx;
	bool tls13 = false, keep_key;
	uint64_t first_num;
	int ret;

	if (!qp || !OPTS_VALID(opts, mlx5tls_tx_opts) ||
	    (flags & ~(MLX5TLS_TX_F_SW_FALLBACK | MLX5TLS_TX_F_SOFTWARE)) ||
	    OPTS_GET(opts, demote_retx_permille, 0) > 1000)
		return libmlx5tls_err_ptr(-EINVAL);
	ret = ci_check(ci, ci_len, &tls13);
	if (ret)
		return libmlx5tls_err_ptr(ret);
	if (qp->dead)
		return libmlx5tls_err_ptr(-EIO);
	refusal = device_refusal(qp->dev, mlx5tls_suite_of(ci->version, ci->cipher_type));
	if (refusal && !(flags & (MLX5TLS_TX_F_SW_FALLBACK | MLX5TLS_TX_F_SOFTWARE))) {
		pr_warn("tx: %s: %s\n", qp->dev->attr.name, refusal);
		return libmlx5tls_err_ptr(-EOPNOTSUPP);
	}
	/* zeroed up to the key slots: at a million contexts each line written here is a cache miss,
	 * and the slots past the first and most of the reason text are never read before written */
	tx = malloc(sizeof(*tx));
	if (!tx)
		return libmlx5tls_err_ptr(-ENOMEM);
	tx_prefetch_new(tx);
	memset(tx, 0, offsetof(struct mlx5tls_tx, epochs));
	tx->reason[0] = '\0';
	ret = conn_init(&tx->conn, OPTS_GET(opts, conn, NULL), OPTS_GET(opts, label, NULL));
	if (ret) {
		free(tx);
		return libmlx5tls_err_ptr(ret);
	}
	tx->qp = qp;
	tx->stat_curr = TLS_STAT_NONE;
	tx->tls13 = tls13;
	tx->version = ci->version;
	tx->cipher_type = ci->cipher_type;
	tx->start_sn = start_tcp_sn;
	tx->demote_permille = OPTS_GET(opts, demote_retx_permille, 0);
	tx->demote_min_bytes = OPTS_GET(opts, demote_min_bytes, 0) ?: DEMOTE_MIN_BYTES_DEFAULT;
	if (flags & MLX5TLS_TX_F_SOFTWARE) {
		tx->path = MLX5TLS_TX_PATH_SOFTWARE;
		snprintf(tx->reason, sizeof(tx->reason), "software path requested");
	} else if (refusal) {
		tx->path = MLX5TLS_TX_PATH_SOFTWARE;
		snprintf(tx->reason, sizeof(tx->reason), "%s", refusal);
	}
	first_num = tx_ci_first_record(ci, ci_len);
	/* the key stays in the library only where software may have to use it */
	keep_key = tx->path != MLX5TLS_TX_PATH_DEVICE || tx->demote_permille;
	ret = tx_stream_init(&tx->stream, start_tcp_sn, first_num, tls13, &qp->tx_park);
	if (ret) {
		free(tx);
		return libmlx5tls_err_ptr(ret);
	}
	if (keep_key) {
		tx->sw_scratch = malloc(SW_SCRATCH_BYTES);
		if (!tx->sw_scratch) {
			ret = -ENOMEM;
			goto err;
		}
	}
	if (tx->path == MLX5TLS_TX_PATH_DEVICE) {
		ret = tx_take_tis(tx, OPTS_GET(opts, tis_pool, NULL));
		if (ret)
			goto err;
	}
	ret = epoch_load(tx, &tx->epochs[0], ci, ci_len, OPTS_GET(opts, dek_pool, NULL), keep_key);
	if (ret)
		goto err;
	tx->live_epochs = 1;
	tx->dev_behind = 0; /* the device expects start_tcp_sn, where the stream starts */
	tx->sw_expected = start_tcp_sn;
	tx_publish(tx);
	ret = lists_add(tx);
	if (ret)
		goto err;
	counter_inc(qp->dev, MLX5TLS_CNT_TX_TLS_CTX);
	tls_stat_move(&tx->stat_curr, tx->path == MLX5TLS_TX_PATH_DEVICE ? TLS_STAT_CURR_TX_DEVICE
									 : TLS_STAT_CURR_TX_SW);
	if (tx->path != MLX5TLS_TX_PATH_DEVICE) {
		counter_inc(qp->dev, MLX5TLS_CNT_TX_TLS_SW_CTX);
		pr_info("tx: context on the software path: %s\n", tx->reason);
	}
	return tx;
err:
	tx_free(tx);
	return libmlx5tls_err_ptr(ret);
}

/* The device may still read this key: static params naming it are not consumed yet. */
static bool epoch_in_flight(const struct mlx5tls_tx *tx, const struct tx_epoch *e)
{
	const struct mlx5tls_qp *qp = tx->qp;

	return e->used && e->last_use_recoveries == qp->stats.recoveries &&
	       (int32_t)(qp->cc - e->last_use_pc) < 0;
}

/* Keys no retained record uses any more are dropped (their DEKs go back to the pool), once the
 * device is done with every WQE that names them (an asynchronous queue may still hold a resync
 * for an old record); else at a later ack. The epochs change only on this (the context's) thread,
 * so it reads them without a lock; its queue's shard lock is taken only to release one
 * (inspection reads the epochs under it): an ack takes no lock once the old keys are gone, nor
 * while their records are unacknowledged, and never one that contexts on queues of other shards
 * take (mlx5tls_internal.h). */
static bool epoch_unused(const struct mlx5tls_tx *tx, unsigned int i, uint8_t oldest)
{
	const struct tx_epoch *e = &tx->epochs[i];
	uint8_t behind;

	if (!(tx->live_epochs & 1u << i))
		return false;
	behind = (uint8_t)(oldest - (uint8_t)e->num);
	/* records carry the epoch number mod 256; fewer than TX_EPOCHS are ever live */
	return e->num != tx->epoch && behind > 0 && behind < 128;
}

static void epochs_release_unused(struct mlx5tls_tx *tx)
{
	uint8_t oldest = tx_stream_oldest_epoch(&tx->stream);
	bool any = false, reaped = false;

	for (unsigned int i = 0; i < TX_EPOCHS; i++) {
		struct tx_epoch *e = &tx->epochs[i];

		if (!epoch_unused(tx, i, oldest))
			continue;
		/* completions the application has not polled yet still count: take them in (this
		 * may run a recovery, which is the queue thread's business - this is that thread) */
		if (!reaped) {
			(void)qp_reap(tx->qp);
			reaped = true;
		}
		if (!epoch_in_flight(tx, e))
			any = true;
	}
	if (!any)
		return;
	pthread_mutex_lock(&tx->qp->shard->lock);
	for (unsigned int i = 0; i < TX_EPOCHS; i++) {
		struct tx_epoch *e = &tx->epochs[i];

		if (epoch_unused(tx, i, oldest) && !epoch_in_flight(tx, e)) {
			epoch_release(e);
			tx->live_epochs &= (uint8_t)~(1u << i);
		}
	}
	pthread_mutex_unlock(&tx->qp->shard->lock);
}

int mlx5tls_tx_ack(struct mlx5tls_tx *tx, uint32_t tcp_seq)
{
	if (!tx)
		return libmlx5tls_err(-EINVAL);
	if (seq_lt(tx->stream.next_seq, tcp_seq))
		return libmlx5tls_err(-EINVAL); /* acknowledges bytes never sent */
	tx_stream_release(&tx->stream, tcp_seq);
	if (tx->epoch)
		epochs_release_unused(tx);
	tx_publish(tx);
	return 0;
}

static int tx_rekey(struct mlx5tls_tx *tx, const struct tls_crypto_info *ci, size_t ci_len)
{
	struct tx_epoch *e, ne;
	bool tls13 = false;
	int ret;

	ret = ci_check(ci, ci_len, &tls13);
	if (ret)
		return ret;
	if (!tls13 || ci->version != tx->version || ci->cipher_type != tx->cipher_type) {
		pr_warn("tx: a key update keeps TLS 1.3 and the cipher of the connection\n");
		return -EINVAL;
	}
	if (!tx_stream_at_boundary(&tx->stream)) {
		pr_warn("tx: key update inside a record (at TCP sequence %u)\n",
			tx->stream.next_seq);
		return -EBUSY;
	}
	e = &tx->epochs[(tx->epoch + 1) % TX_EPOCHS];
	/* (the ack path releases keys whose records are all acknowledged) */
	if (tx->live_epochs & 1u << ((tx->epoch + 1) % TX_EPOCHS)) {
		pr_warn("tx: %u older keys still have unacknowledged records\n", TX_EPOCHS - 1);
		return -EBUSY;
	}
	/* the key is loaded outside the lock (firmware commands), installed under it */
	ret = epoch_load(tx, &ne, ci, ci_len, tx->epochs[tx->epoch % TX_EPOCHS].dek
						      ? tx->epochs[tx->epoch % TX_EPOCHS].dek->pool
						      : NULL,
			 tx->epochs[tx->epoch % TX_EPOCHS].has_ci);
	if (ret)
		return ret;
	pthread_mutex_lock(&tx->qp->shard->lock);
	ne.num = tx->epoch + 1;
	*e = ne;
	tx->live_epochs |= (uint8_t)(1u << ((tx->epoch + 1) % TX_EPOCHS));
	tx->epoch++;
	pthread_mutex_unlock(&tx->qp->shard->lock);
	explicit_bzero(&ne, sizeof(ne));
	tx->stream.epoch = (uint8_t)tx->epoch;
	tx_stream_set_next_num(&tx->stream, tx_ci_first_record(ci, ci_len));
	/* the next record needs new static params: take the resync path there */
	tx->dev_synced = false;
	tx_in_order_update(tx);
	tx->sw_synced = false;
	counter_inc(tx->qp->dev, MLX5TLS_CNT_TX_TLS_REKEY);
	if (tx->path != MLX5TLS_TX_PATH_DEVICE)
		counter_inc(tx->qp->dev, MLX5TLS_CNT_TX_TLS_REKEY_SW);
	tx_publish(tx);
	return 0;
}

/* Every outcome is counted: tx_tls_rekey (of which tx_tls_rekey_sw) or tx_tls_rekey_fail. */
int mlx5tls_tx_rekey(struct mlx5tls_tx *tx, const struct tls_crypto_info *ci, size_t ci_len)
{
	int ret;

	if (!tx)
		return libmlx5tls_err(-EINVAL);
	ret = tx_rekey(tx, ci, ci_len);
	if (ret)
		counter_inc(tx->qp->dev, MLX5TLS_CNT_TX_TLS_REKEY_FAIL);
	tls_stat_add(ret ? TLS_STAT_TX_REKEY_ERROR : TLS_STAT_TX_REKEY_OK, 1);
	return libmlx5tls_err(ret);
}

int mlx5tls_tx_query(struct mlx5tls_tx *tx, struct mlx5tls_tx_info *info, size_t info_sz)
{
	struct mlx5tls_tx_info i = { 0 };
	const struct tx_epoch *e;

	if (!tx || !info)
		return libmlx5tls_err(-EINVAL);
	e = &tx->epochs[tx->epoch % TX_EPOCHS];
	i.path = tx->path;
	snprintf(i.reason, sizeof(i.reason), "%s", tx->reason);
	i.tls_version = tx->version;
	i.cipher_type = tx->cipher_type;
	i.dek_id = e->dek ? mlx5tls_dek_id(e->dek) : 0;
	i.tisn = tx->tis ? tx->tis->tisn : 0;
	i.start_tcp_sn = tx->start_sn;
	i.next_tcp_sn = tx->stream.next_seq;
	i.expected_tcp_sn = tx_expected(tx);
	tx_stream_tail(&tx->stream, &i.next_record, &i.next_record_tcp_sn, &i.record_offset);
	i.records_held = tx_stream_records(&tx->stream);
	i.key_epoch = tx->epoch;
	/* with its slots in its shard's (and a bucket of its id index) and the queue's tables of
	 * contexts (insp_table.h) */
	i.mem_bytes = sizeof(*tx) + 2 * insp_table_slot_bytes() + sizeof(uint32_t) +
		      tx_stream_mem(&tx->stream) +
		      (tx->sw_scratch ? SW_SCRATCH_BYTES : 0) + tx_sw_mem(tx->sw);
	i.encrypted_packets = atomic_load(&tx->c[TXC_ENCRYPTED_PACKETS]);
	i.encrypted_bytes = atomic_load(&tx->c[TXC_ENCRYPTED_BYTES]);
	i.ooo = atomic_load(&tx->c[TXC_OOO]);
	i.dump_packets = atomic_load(&tx->c[TXC_DUMP_PACKETS]);
	i.dump_bytes = atomic_load(&tx->c[TXC_DUMP_BYTES]);
	i.resync_bytes = atomic_load(&tx->c[TXC_RESYNC_BYTES]);
	i.skip_no_sync_data = atomic_load(&tx->c[TXC_SKIP_NO_SYNC_DATA]);
	i.drop_no_sync_data = atomic_load(&tx->c[TXC_DROP_NO_SYNC_DATA]);
	i.sw_packets = atomic_load(&tx->c[TXC_SW_PACKETS]);
	i.sw_bytes = atomic_load(&tx->c[TXC_SW_BYTES]);
	i.sw_resyncs = atomic_load(&tx->c[TXC_SW_RESYNC]);
	i.retx_bytes = atomic_load(&tx->c[TXC_RETX_BYTES]);
	i.hold_tcp_sn = tx_stream_first_seq(&tx->stream);
	copy_out(info, info_sz, &i, sizeof(i));
	return 0;
}

int mlx5tls_tx_handback(struct mlx5tls_tx *tx, uint64_t *next_record, uint32_t *next_tcp_sn)
{
	uint64_t num = 0;
	uint32_t rec_seq = 0, off = 0;

	if (!tx || !next_record || !next_tcp_sn)
		return libmlx5tls_err(-EINVAL);
	tx_stream_tail(&tx->stream, &num, &rec_seq, &off);
	if (off)
		return libmlx5tls_err(-EBUSY);
	*next_record = num;
	*next_tcp_sn = rec_seq;
	return 0;
}

void tx_qp_recovered(struct mlx5tls_tx *tx)
{
	/* a reset SQ forgets nothing of the TIS, but the WQEs flushed with it may have been the
	 * params: post them again and resynchronise from the record start */
	tx->dev_synced = false;
	tx_in_order_update(tx);
	tx->static_valid = false;
}

void tx_dump_completed(struct mlx5tls_tx *tx, uint32_t bytes)
{
	txc_add(tx, TXC_DUMP_PACKETS, 1);
	txc_add(tx, TXC_DUMP_BYTES, bytes);
}
