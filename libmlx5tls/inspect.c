/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Inspection: the registry of open devices and of their queues, TLS TX contexts read together
 * with their device objects (mlx5tls_tx_inspect), the context walk (mlx5tls_device_foreach_tx).
 *
 * A context is driven by one application thread without locks (qp.h); another thread (the
 * publisher, or a monitoring thread of the application) that reads it goes through
 * tx_snapshot() only, so there is exactly one place to make those reads consistent.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dlist.h"
#include "inspect.h"

/* GET_PSV (fact sheet 8.5, opc_mod 2) reads the progress parameters of a TIR: nothing in the
 * public record reads a TIS's back, so the TX answer is "not available", never a guess. */
#define TX_PROGRESS_REASON "GET_PSV is documented for TIRs (RX) only"

/* ---- registry of open devices ---- */

static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static struct mlx5tls_device *registry;

void inspect_device_add(struct mlx5tls_device *dev)
{
	static uint32_t seq;

	pthread_mutex_lock(&registry_lock);
	/* numbered under the lock: the registry lists devices newest first, by falling number
	 * (the publisher's cursor names a device by it) */
	dev->insp_seq = ++seq;
	dev->insp_next = registry;
	registry = dev;
	pthread_mutex_unlock(&registry_lock);
}

void inspect_device_del(struct mlx5tls_device *dev)
{
	struct mlx5tls_device **pp;

	pthread_mutex_lock(&registry_lock);
	for (pp = &registry; *pp; pp = &(*pp)->insp_next)
		if (*pp == dev) {
			*pp = dev->insp_next;
			break;
		}
	pthread_mutex_unlock(&registry_lock);
}

struct mlx5tls_device *inspect_devices_lock(void)
{
	pthread_mutex_lock(&registry_lock);
	return registry;
}

void inspect_devices_unlock(void)
{
	pthread_mutex_unlock(&registry_lock);
}

/* ---- queues of a device ---- */

/* The shard with the fewest queues, the lowest of those: while a device has at most CTX_SHARDS
 * queues each has a shard of its own, so contexts on two queues never share a lock; a device's
 * first queue takes shard 0 (its contexts' ids are the plain sequence numbers). */
static struct ctx_shard *ctx_shard_pick(struct mlx5tls_device *dev)
{
	struct ctx_shard *best = &dev->ctx_shards[0];

	for (unsigned int i = 1; i < CTX_SHARDS; i++)
		if (dev->ctx_shards[i].qps < best->qps)
			best = &dev->ctx_shards[i];
	return best;
}

int inspect_qp_add(struct mlx5tls_qp *qp)
{
	struct mlx5tls_device *dev = qp->dev;
	/* a node of our own: the queue's struct is not the inspector's to extend */
	struct inspect_qp *n = malloc(sizeof(*n));

	if (!n)
		return -ENOMEM;
	n->qp = qp;
	qp->insp_node = n;
	pthread_mutex_lock(&dev->insp_lock);
	qp->shard = ctx_shard_pick(dev);
	qp->shard->qps++;
	DLIST_INSERT_HEAD(&dev->insp_qps, n, next, pprev);
	pthread_mutex_unlock(&dev->insp_lock);
	return 0;
}

void inspect_qp_del(struct mlx5tls_qp *qp)
{
	struct mlx5tls_device *dev = qp->dev;
	struct inspect_qp *n = qp->insp_node;

	if (!n)
		return;
	pthread_mutex_lock(&dev->insp_lock);
	/* the queue's TLS counters become the device's as it leaves the list, under the lock a
	 * counter read holds (mlx5tls_device_counters): counted once, never twice or not at all */
	for (unsigned int i = 0; i < QP_TLS_COUNTERS; i++)
		counter_add(dev, TXC_DEVICE_BASE + i,
			    atomic_load_explicit(&qp->tls_c[i], memory_order_relaxed));
	DLIST_REMOVE(n, next, pprev);
	qp->shard->qps--; /* its contexts are gone (mlx5tls_qp_destroy refuses before) */
	pthread_mutex_unlock(&dev->insp_lock);
	qp->insp_node = NULL;
	free(n);
}

void inspect_counters_read(struct mlx5tls_device *dev, uint64_t *vals, unsigned int n)
{
	/* insp_lock: a queue folds its sums into the device's and leaves the list under it */
	pthread_mutex_lock(&dev->insp_lock);
	/* the rows' sum (thread_slot.h); each row only grows, so the sum read row by row never
	 * falls below an earlier read's */
	for (unsigned int i = 0; i < n; i++) {
		vals[i] = 0;
		for (unsigned int r = 0; r < THREAD_SLOTS; r++)
			vals[i] += atomic_load_explicit(&dev->counters[r].v[i], memory_order_relaxed);
	}
	for (const struct inspect_qp *q = dev->insp_qps; q; q = q->next)
		for (unsigned int i = 0; i < QP_TLS_COUNTERS && TXC_DEVICE_BASE + i < n; i++)
			vals[TXC_DEVICE_BASE + i] +=
				atomic_load_explicit(&q->qp->tls_c[i], memory_order_relaxed);
	pthread_mutex_unlock(&dev->insp_lock);
}

void qp_snapshot(const struct mlx5tls_qp *qp, struct mlx5tls_qp_attr *attr)
{
	/* the queue's thread writes its counters: read the copies it publishes (qp_publish);
	 * sqn, cqn, wqebbs and mtu are set before the queue is registered and never change */
	memset(attr, 0, sizeof(*attr));
	attr->sqn = qp->stats.sqn;
	attr->cqn = qp->stats.cqn;
	attr->wqebbs = qp->stats.wqebbs;
	attr->mtu = qp->stats.mtu;
	attr->inflight = atomic_load_explicit(&qp->pub.inflight, memory_order_relaxed);
	attr->tls_contexts = atomic_load_explicit(&qp->tls_contexts, memory_order_relaxed);
	attr->recoveries = atomic_load_explicit(&qp->pub.recoveries, memory_order_relaxed);
	attr->reposted = atomic_load_explicit(&qp->pub.reposted, memory_order_relaxed);
	attr->wqes = atomic_load_explicit(&qp->pub.wqes, memory_order_relaxed);
	attr->doorbells = atomic_load_explicit(&qp->pub.doorbells, memory_order_relaxed);
}

/* ---- TLS contexts ---- */

static atomic_uint_fast64_t ctx_id_last; /* the sequence of context ids, TX and RX */

uint64_t inspect_new_ctx_id(void)
{
	return (uint64_t)atomic_fetch_add_explicit(&ctx_id_last, 1, memory_order_relaxed) + 1;
}

void tx_snapshot(struct mlx5tls_tx *tx, struct tx_snap *s)
{
	const struct tx_epoch *cur;
	struct mlx5tls_tx_info *i = &s->info;
	uint32_t held_bnd;

	memset(s, 0, sizeof(*s));
	/* The datapath fields come from the copies the queue's thread publishes (tx->pub); the
	 * immutable ones are read directly; epochs and DEKs are stable under the lock of the
	 * context's shard, which every caller holds (or the caller is the queue's own thread). */
	i->path = (enum mlx5tls_tx_path)atomic_load_explicit(&tx->pub.path, memory_order_acquire);
	/* the reason is written before the path that goes with it is published (demotion) */
	snprintf(i->reason, sizeof(i->reason), "%s", i->path == MLX5TLS_TX_PATH_DEVICE ? ""
										: tx->reason);
	cur = &tx->epochs[tx->epoch % TX_EPOCHS];
	i->tls_version = tx->version;
	i->cipher_type = tx->cipher_type;
	i->dek_id = cur->dek ? mlx5tls_dek_id(cur->dek) : 0;
	i->tisn = tx->tis ? tx->tis->tisn : 0;
	i->start_tcp_sn = tx->start_sn;
	i->next_tcp_sn = atomic_load_explicit(&tx->pub.next_seq, memory_order_relaxed);
	i->expected_tcp_sn = i->next_tcp_sn - atomic_load_explicit(&tx->pub.behind,
								   memory_order_relaxed);
	/* the record in progress is the last one started (tx_stream_tail): its number is one
	 * before the next; at a boundary the next record starts at the stream's end. The next
	 * number is num_base + the records held (tx_publish). */
	held_bnd = atomic_load_explicit(&tx->pub.held_bnd, memory_order_relaxed);
	i->records_held = held_bnd >> 1;
	i->next_record = atomic_load_explicit(&tx->pub.num_base, memory_order_relaxed) +
			 i->records_held;
	if (held_bnd & 1) {
		i->next_record_tcp_sn = i->next_tcp_sn;
	} else {
		i->next_record--;
		i->next_record_tcp_sn = atomic_load_explicit(&tx->pub.rec_tcp_sn,
							     memory_order_relaxed);
	}
	i->record_offset = i->next_tcp_sn - i->next_record_tcp_sn;
	i->key_epoch = tx->epoch;
	for (unsigned int k = 0; k < TXC__MAX; k++)
		s->c[k] = atomic_load_explicit(&tx->c[k], memory_order_relaxed);
	i->encrypted_packets = s->c[TXC_ENCRYPTED_PACKETS];
	i->encrypted_bytes = s->c[TXC_ENCRYPTED_BYTES];
	i->ooo = s->c[TXC_OOO];
	i->dump_packets = s->c[TXC_DUMP_PACKETS];
	i->dump_bytes = s->c[TXC_DUMP_BYTES];
	i->resync_bytes = s->c[TXC_RESYNC_BYTES];
	i->skip_no_sync_data = s->c[TXC_SKIP_NO_SYNC_DATA];
	i->drop_no_sync_data = s->c[TXC_DROP_NO_SYNC_DATA];
	i->sw_packets = s->c[TXC_SW_PACKETS];
	i->sw_bytes = s->c[TXC_SW_BYTES];
	i->sw_resyncs = s->c[TXC_SW_RESYNC];
	i->retx_bytes = s->c[TXC_RETX_BYTES];
	s->dek = cur->dek;
	s->tis = tx->tis;
	for (unsigned int k = 0; k < TX_EPOCHS; k++) {
		/* oldest key first: epoch numbers grow with every rekey */
		unsigned int idx = (tx->epoch + 1 + k) % TX_EPOCHS;
		const struct tx_epoch *e = &tx->epochs[idx];

		if ((tx->live_epochs & 1u << idx) && e->dek) {
			s->deks[s->n_deks] = e->dek;
			s->dek_epochs[s->n_deks] = e->num;
			s->n_deks++;
		}
	}
}

/* The firmware's status and syndrome of the failed query just run by this thread. */
void inspect_fw_status(int err, uint8_t *status, uint32_t *syndrome)
{
	struct mlx5tls_fw_error fe;

	if (err == -EREMOTEIO && mlx5tls_last_fw_error(&fe) == 0) {
		*status = fe.status;
		*syndrome = fe.syndrome;
	}
}

static void dek_read_back(struct mlx5tls_dek *dek, struct mlx5tls_tx_state *st)
{
	struct mlx5tls_dek_attr a;

	memset(&a, 0, sizeof(a));
	st->has_dek = true;
	st->dek_id = mlx5tls_dek_id(dek);
	st->dek_pooled = dek->pool != NULL;
	st->dek_error = mlx5tls_dek_query(dek, &a, sizeof(a));
	if (st->dek_error) {
		inspect_fw_status(st->dek_error, &st->dek_fw_status, &st->dek_fw_syndrome);
		return;
	}
	st->dek_state = a.state;
	st->dek_key_bits = a.key_bits;
	st->dek_key_purpose = a.key_purpose;
	st->dek_pd = a.pd;
}

static void tis_read_back(struct mlx5tls_tis *tis, struct mlx5tls_tx_state *st)
{
	struct mlx5tls_tis_attr a;

	memset(&a, 0, sizeof(a));
	st->has_tis = true;
	st->tisn = mlx5tls_tis_num(tis);
	st->tis_pooled = tis->pool != NULL;
	st->tis_error = mlx5tls_tis_query(tis, &a, sizeof(a));
	if (st->tis_error) {
		inspect_fw_status(st->tis_error, &st->tis_fw_status, &st->tis_fw_syndrome);
		return;
	}
	st->tis_tls_en = a.tls_en;
	st->tis_prio = a.prio;
	st->tis_pd = a.pd;
	st->tis_transport_domain = a.transport_domain;
}

void tx_inspect_fill(struct mlx5tls_tx *tx, const struct tx_snap *snap,
		     struct mlx5tls_tx_state *st)
{
	const struct mlx5tls_tx_info *i = &snap->info;

	memset(st, 0, sizeof(*st));
	st->id = tx->id;
	snprintf(st->device, sizeof(st->device), "%s", tx->qp->dev->attr.name);
	st->sqn = tx->qp->ring.sqn;
	st->path = i->path;
	memcpy(st->reason, i->reason, sizeof(st->reason));
	st->tls_version = i->tls_version;
	st->cipher_type = i->cipher_type;
	st->start_tcp_sn = i->start_tcp_sn;
	st->next_tcp_sn = i->next_tcp_sn;
	st->expected_tcp_sn = i->expected_tcp_sn;
	st->next_record = i->next_record;
	st->next_record_tcp_sn = i->next_record_tcp_sn;
	st->record_offset = i->record_offset;
	st->records_held = i->records_held;
	st->key_epoch = i->key_epoch;
	st->encrypted_packets = i->encrypted_packets;
	st->encrypted_bytes = i->encrypted_bytes;
	st->ooo = i->ooo;
	st->dump_packets = i->dump_packets;
	st->dump_bytes = i->dump_bytes;
	st->resync_bytes = i->resync_bytes;
	st->skip_no_sync_data = i->skip_no_sync_data;
	st->drop_no_sync_data = i->drop_no_sync_data;
	st->sw_packets = i->sw_packets;
	st->sw_bytes = i->sw_bytes;
	st->sw_resyncs = i->sw_resyncs;
	st->retx_bytes = i->retx_bytes;
	/* a demoted context keeps its DEK and TIS until it is destroyed: they are still shown */
	if (snap->dek)
		dek_read_back(snap->dek, st);
	if (snap->tis)
		tis_read_back(snap->tis, st);
	st->progress_available = false;
	snprintf(st->progress_reason, sizeof(st->progress_reason), "%s", TX_PROGRESS_REASON);
	conn_read(&tx->conn, &st->conn, &st->conn_source, st->label);
}

int mlx5tls_tx_inspect(struct mlx5tls_tx *tx, struct mlx5tls_tx_state *st, size_t st_sz)
{
	struct mlx5tls_tx_state s;
	struct tx_snap snap;

	if (!tx || !st)
		return libmlx5tls_err(-EINVAL);
	tx_snapshot(tx, &snap);
	tx_inspect_fill(tx, &snap, &s);
	copy_out(st, st_sz, &s, sizeof(s));
	/* a failed query left its firmware error in this thread's slot: it is reported in *st,
	 * and the call itself succeeded */
	return 0;
}

/* Contexts visited per hold of a shard's lock, and slots looked at (a table with many free
 * slots): context setup and teardown on other threads wait for at most one step, not the whole
 * walk. */
#define FOREACH_STEP_ENTRIES 32u
#define FOREACH_STEP_SLOTS 4096u

static void (*_Atomic foreach_step_hook)(void *arg);
static void *_Atomic foreach_step_hook_arg;

void inspect_set_foreach_step_hook(void (*fn)(void *arg), void *arg)
{
	atomic_store(&foreach_step_hook_arg, arg);
	atomic_store(&foreach_step_hook, fn);
}

/* In steps up the slots of each TX shard's table in turn (insp_table.h, mlx5tls_internal.h): a
 * context stays in one shard and slots never move, so a context live for the whole walk is
 * visited exactly once, whatever is created or destroyed between the steps. A step holds one
 * shard's lock: contexts on the queues of the other shards are made and dropped meanwhile. */
int mlx5tls_device_foreach_tx(struct mlx5tls_device *dev,
			      int (*cb)(struct mlx5tls_tx *tx, void *arg), void *arg)
{
	unsigned int shard = 0;
	uint32_t s = 0;
	int ret = 0;

	if (!dev || !cb)
		return libmlx5tls_err(-EINVAL);
	while (shard < CTX_SHARDS && !ret) {
		struct ctx_shard *sh = &dev->ctx_shards[shard];
		uint32_t stop = s + FOREACH_STEP_SLOTS, n = 0;
		void (*hook)(void *arg);
		bool more;

		pthread_mutex_lock(&sh->lock);
		for (; s < insp_table_end(&sh->tx) && s < stop && n < FOREACH_STEP_ENTRIES &&
		       !ret; s++) {
			struct mlx5tls_tx *tx = insp_table_get(&sh->tx, s);

			if (tx) {
				ret = cb(tx, arg);
				n++;
			}
		}
		more = s < insp_table_end(&sh->tx);
		pthread_mutex_unlock(&sh->lock);
		if (!more) {
			shard++;
			s = 0;
		}
		hook = atomic_load(&foreach_step_hook);
		if (shard < CTX_SHARDS && !ret && hook && (more || n))
			hook(atomic_load(&foreach_step_hook_arg));
	}
	return ret < 0 ? libmlx5tls_err(ret) : ret;
}
