/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Destroying TLS TX contexts, one (mlx5tls_tx_destroy) or many (mlx5tls_tx_destroy_bulk), in
 * the same stages.
 *
 * With a million live contexts the one destroyed is cold: each object its teardown touches is a
 * cache miss, and the objects are found one from the other - the context, then what it points
 * to (its DEK and TIS records, its queue's and its shard's table slots, its id's bucket), then
 * the id chain's first slot, then the DEK's bulk record and the allocator's headers - so one
 * destroy waits for a memory latency per stage (200-350 ns each on a VM) however early each
 * stage asks for its lines. Several contexts in hand change that: stage 1 of all of them, then
 * stage 2 of all, ... puts as many misses in flight per latency as there are contexts (the bulk
 * look-up of DPDK's hash tables, done here for a teardown). A group of TX_DESTROY_GROUP goes
 * through the stages together; the queue's wait for its WQEs and the shard's lock are taken
 * once per distinct queue and shard of a group. What bounds a group then is how many misses the
 * core keeps in flight: about 20 lines per context, at about one random line per 60 cycles on
 * this VM's EPYC however many are asked for (each on a page of its own: a TLB miss too).
 */
#include "inspect.h"
#include "tls_stat.h"
#include "tx_internal.h"

#define DESTROY_WAIT_ROUNDS 1000000u

/*
 * Contexts per group. Each brings about 20 cold lines (its own, what it points to, the
 * allocator's headers), so a group of 8 already has more in flight than the core can track
 * (the bound at a million contexts is how many misses are outstanding at once, not how many are
 * asked for): 8, 16 and 32 measured the same within noise (median ~1200 cycles per context
 * destroyed at 1M live, batches of 16 and 64). 16 takes each lock once per batch of the bench's
 * size and keeps a group's lines (16 x 20 x 64 B) far inside the L2 while it works.
 */
#define TX_DESTROY_GROUP 16u

/* Stage 1: the context's lines the teardown reads - the first (queue, slots, TIS, id), the
 * tracker's rings, the key epoch in use (tx_free reads and wipes it). */
static void tx_prefetch_head(const struct mlx5tls_tx *tx)
{
	const char *e = (const char *)&tx->epochs[0];

	__builtin_prefetch(tx, 1);
	__builtin_prefetch(&tx->stream.segs.e, 1);
	__builtin_prefetch(&tx->stream.recs.e, 1);
	__builtin_prefetch(e, 1);
	__builtin_prefetch(e + sizeof(tx->epochs[0]) - 1, 1);
}

/*
 * The lines the next create on the thread writes: the allocator hands this memory back to the
 * next context of the size made on this thread (its per-thread cache is last in, first out), and
 * that create writes most of the lines the teardown never reads - cold, they cost a create one
 * more latency at a million contexts (mlx5tls-bench setup --queues: 474k -> 548k replacements/s).
 * Not the other key slots and the reason's tail, which neither reads nor writes (tx_create
 * leaves them as they are): at a million contexts what limits a teardown is how many lines
 * are in flight at once, so a line asked for needlessly delays the others. And the
 * allocator's headers around the block, which free() reads (heap_prefetch_free).
 */
static void tx_prefetch_rest(const struct mlx5tls_tx *tx)
{
	const char *p = (const char *)tx;

	for (size_t off = 64; off < offsetof(struct mlx5tls_tx, epochs[1]); off += 64)
		__builtin_prefetch(p + off, 1);
	__builtin_prefetch(tx->reason, 1);
	__builtin_prefetch(&tx->conn, 1);
	__builtin_prefetch(p + sizeof(*tx) - 1, 1);
	heap_prefetch_free(tx, sizeof(*tx));
}

/* Stage 2, per queue: WQEs naming a context's TIS, DEK and record memory must be done before
 * they go (the kernel destroys the TIS only after the SQ is done with it). After this the
 * queue has nothing in flight but what a dead queue keeps. It needs only the context's queue
 * (its first line), so it runs while the rest of its lines arrive. */
static void tx_queue_drain(struct mlx5tls_qp *qp)
{
	qp_doorbell(qp);
	for (unsigned int i = 0; qp->cc != qp->pc && !qp->dead && i < DESTROY_WAIT_ROUNDS; i++)
		if (qp_reserve(qp, qp->ring.sq_wqebbs) < 0)
			break;
}

/* Stage 3, under its shard's lock, once its first lines are in: what it points to - the DEK and
 * TIS records the pools take back, the queue's table slot - together with the shard's table
 * slot and id chain (asked for under the lock: another queue of the shard may grow that table
 * meanwhile), all in one latency. */
static void tx_prefetch_parts(const struct mlx5tls_tx *tx, const struct ctx_shard *sh)
{
	if (tx->live_epochs & 1u)
		__builtin_prefetch(tx->epochs[0].dek, 1);
	__builtin_prefetch(tx->tis, 1);
	insp_table_prefetch_del(&tx->qp->tls_table, tx->qp_slot, 0);
	insp_table_prefetch_del(&sh->tx, tx->dev_slot, tx->id);
}

/* Stage 4, under the lock: out of the queue's table and the shard's. The queue's table is its
 * thread's alone; its counters stay in the queue's sums (txc_add). */
static void lists_del_locked(struct mlx5tls_tx *tx)
{
	insp_table_del(&tx->qp->tls_table, tx->qp_slot);
	tx->qp->tls_contexts--;
	insp_table_del(&tx->qp->shard->tx, tx->dev_slot);
}

/* Stage 5, once its DEK's line is in: what giving the DEK back touches beyond it. */
static void tx_prefetch_release(const struct mlx5tls_tx *tx)
{
	/* (a context on the software path has a key but no DEK) */
	if ((tx->live_epochs & 1u) && tx->epochs[0].dek)
		dek_prefetch_release(tx->epochs[0].dek);
}

/* Stage 6: counted and freed. */
static void tx_release(struct mlx5tls_tx *tx)
{
	counter_inc(tx->qp->dev, MLX5TLS_CNT_TX_TLS_DEL);
	tls_stat_move(&tx->stat_curr, TLS_STAT_NONE);
	tx_free(tx);
}

int mlx5tls_tx_destroy(struct mlx5tls_tx *tx)
{
	struct mlx5tls_qp *qp;
	struct ctx_shard *sh;

	if (!tx)
		return libmlx5tls_err(-EINVAL);
	tx_prefetch_head(tx);
	tx_prefetch_rest(tx);
	qp = tx->qp;
	sh = qp->shard;
	tx_queue_drain(qp);
	/* nothing in the ring may point back at the context any more */
	qp_forget_owner(qp, tx, NULL);
	pthread_mutex_lock(&sh->lock);
	tx_prefetch_parts(tx, sh);
	insp_table_prefetch_chain(&sh->tx, tx->id);
	lists_del_locked(tx);
	pthread_mutex_unlock(&sh->lock);
	tx_prefetch_release(tx);
	tx_release(tx);
	return 0;
}

/* The first of tx[0..i) on the same queue (or shard: by_shard) as tx[i], or i when none. */
static unsigned int first_alike(struct mlx5tls_tx *const *tx, unsigned int i, bool by_shard)
{
	for (unsigned int j = 0; j < i; j++)
		if (by_shard ? tx[j]->qp->shard == tx[i]->qp->shard : tx[j]->qp == tx[i]->qp)
			return j;
	return i;
}

/* Stages 3 and 4 of a group's contexts on shard sh (tx[i] is the first), under its lock: each
 * stage for all of them before the next. */
static void group_del_shard(struct mlx5tls_tx *const *tx, unsigned int i, unsigned int n,
			    struct ctx_shard *sh)
{
	pthread_mutex_lock(&sh->lock);
	for (unsigned int k = i; k < n; k++)
		if (tx[k]->qp->shard == sh)
			tx_prefetch_parts(tx[k], sh);
	for (unsigned int k = i; k < n; k++)
		if (tx[k]->qp->shard == sh)
			insp_table_prefetch_chain(&sh->tx, tx[k]->id);
	for (unsigned int k = i; k < n; k++)
		if (tx[k]->qp->shard == sh)
			lists_del_locked(tx[k]);
	pthread_mutex_unlock(&sh->lock);
}

/*
 * Up to TX_DESTROY_GROUP checked contexts through the stages together, their first lines asked
 * for already (tx_prefetch_head: by the call's check for the first group, by the group before
 * for the others); meanwhile the next group's (next[0..n_next)) are asked for, so that they
 * arrive while this group works.
 */
static void destroy_group(struct mlx5tls_tx *const *tx, unsigned int n,
			  struct mlx5tls_tx *const *next, unsigned int n_next)
{
	for (unsigned int i = 0; i < n_next; i++)
		tx_prefetch_head(next[i]);
	for (unsigned int i = 0; i < n; i++)
		tx_prefetch_rest(tx[i]);
	/* a group's contexts are on a few queues: the quadratic search costs less than a miss */
	for (unsigned int i = 0; i < n; i++)
		if (first_alike(tx, i, false) == i)
			tx_queue_drain(tx[i]->qp);
	for (unsigned int i = 0; i < n; i++)
		qp_forget_owner(tx[i]->qp, tx[i], NULL);
	for (unsigned int i = 0; i < n; i++)
		if (first_alike(tx, i, true) == i)
			group_del_shard(tx, i, n, tx[i]->qp->shard);
	for (unsigned int i = 0; i < n; i++)
		tx_prefetch_release(tx[i]);
	for (unsigned int i = 0; i < n; i++)
		tx_release(tx[i]);
}

/* Every entry a context, none twice: the flag of each is set in one pass (the first touch of
 * each context, all of them in flight together) and cleared again when one is not. The first
 * group's stage 1 is asked for on the way. */
static int bulk_check(struct mlx5tls_tx *const *tx, size_t n)
{
	for (size_t i = 0; i < n && i < TX_DESTROY_GROUP; i++)
		if (tx[i])
			tx_prefetch_head(tx[i]);
	for (size_t i = 0; i < n; i++) {
		if (tx[i] && !tx[i]->going) {
			tx[i]->going = true;
			continue;
		}
		while (i--)
			tx[i]->going = false;
		return -EINVAL;
	}
	return 0;
}

int mlx5tls_tx_destroy_bulk(struct mlx5tls_tx *const *tx, size_t n)
{
	int ret;

	if (!n)
		return 0;
	if (!tx)
		return libmlx5tls_err(-EINVAL);
	ret = bulk_check(tx, n);
	if (ret)
		return libmlx5tls_err(ret);
	for (size_t i = 0; i < n; i += TX_DESTROY_GROUP) {
		size_t left = n - i, after = left > TX_DESTROY_GROUP ? left - TX_DESTROY_GROUP : 0;

		destroy_group(tx + i, (unsigned int)(left < TX_DESTROY_GROUP ? left : TX_DESTROY_GROUP),
			      after ? tx + i + TX_DESTROY_GROUP : NULL,
			      (unsigned int)(after < TX_DESTROY_GROUP ? after : TX_DESTROY_GROUP));
	}
	return 0;
}
