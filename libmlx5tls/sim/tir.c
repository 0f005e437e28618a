/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * TIR objects (fact sheet 4.3): CREATE/MODIFY/QUERY/DESTROY_TIR, the receive-side twin of tis.c.
 *
 * Rules (fact sheet 4.3 for the tirc fields; "model reading" where the public record is silent):
 *  T1 disp_type DIRECT (0): the TIR delivers to one RQ, inline_rqn, which must be a live RQ of the
 *     same uid (TIR_RQ_UNKNOWN / TIR_RQ_NOT_OWNED, BAD_RES as for any named object), and
 *     indirect_table must be 0. INDIRECT (1) needs an RQ table (CREATE_RQT), which the model does
 *     not implement: TIR_INDIRECT_NOT_MODELLED. Other values: TIR_DISP_TYPE_INVALID. DIRECT is
 *     what rdma-core's raw-packet QP TIR and NVIDIA's libdpcp (XLIO's TLS RX TIRs) use; the
 *     kernel's TLS TIR is INDIRECT over a one-RQ table, which delivers the same way.
 *  T2 tls_en needs the profile's tls_rx capability (fact sheet 5.2; cx6dx-legacy has none):
 *     TIR_TLS_UNSUPPORTED. A TLS TIR has no PD: its DEK is checked against the TIR's uid when
 *     static params arrive (sq_tls_wqe.c).
 *  T3 transport_domain: a live TD of the uid, pinned while the TIR lives (DEALLOC_TD ->
 *     TD_IN_USE), as for TISes.
 *  T4 rx_hash_fn: NONE, INVERTED_XOR8 (what the kernel sets) or TOEPLITZ, stored and reported;
 *     a DIRECT TIR does not hash. The Toeplitz key, the field selectors and rx_hash_symmetric
 *     configure RSS, which needs INDIRECT: non-zero -> TIR_HASH_FIELDS_SET.
 *  T5 LRO: packet_merge_mask != 0 -> TIR_LRO_UNSUPPORTED (no LRO in the model); the timeout and
 *     max payload size are stored and reported. tunneled_offload_en is stored and reported: it
 *     only enables inner-header steering, which the model's 5-tuple table does not have.
 *  T6 self_lb_block (0x1 unicast, 0x2 multicast) is stored and reported. Model reading: frames
 *     enter the model's receive path from the wire (sim_dev_rx), never as the device's own
 *     loopback, so nothing is blocked.
 *  T7 At most 2^log_max_tir TIRs per device (TIR_LIMIT, LIM_ERR).
 *  T8 MODIFY_TIR: bitmask self_lb_en, hash, packet_merge (kernel mlx5_ifc.h) select
 *     self_lb_block, the hash fields (T4) and the LRO fields (T5); every selected field is
 *     checked before any is changed; unselected ctx fields are ignored, as for MODIFY_TIS.
 *  T9 DESTROY_TIR while a steering rule names the TIR: TIR_IN_USE (BAD_RES_STATE) - the kernel
 *     deletes the rule before DESTROY_TIR (fact sheet 11.5). The TIR's TLS RX context goes with
 *     it, and its RQ is unpinned.
 *  T10 Naming another uid's TIR: TIR_NOT_OWNED; an unknown number: TIR_UNKNOWN (BAD_RES).
 *
 * Locks (sim_internal.h has the order). The TIR commands run without the device lock (cmd.c
 * own_locks), so RX connections made and dropped on different threads do not queue on it: the
 * table is in SIM_TIR_SHARDS shards by TIR number, each under its own rwlock, held for writing
 * only for the table change itself (a put, a delete with the T9 check, a MODIFY); the numbers
 * come from one atomic sequence, taken in blocks per thread (a block's TIRs share a shard), and
 * the T7 count is an atomic. What a TIR names is checked without the device lock too, under
 * read-mostly locks whose readers take only their thread's slot (brlock.h): its RQ is pinned
 * under dp_lock (rq.c), with the check that it exists and is the uid's, so sim_rq_destroy,
 * which checks the pins with dp_lock held for writing, sees it; its TD is checked under
 * dom_lock, held until the TIR is in the table, so DEALLOC_TD, which asks the table for a TIR
 * naming the TD with dom_lock held for writing (pd_td.c), sees it. A rule pins its TIR with the
 * TIR's shard held for reading (steer.c), which DESTROY_TIR's check excludes. A destroyed TIR's
 * context, pin and count are dropped after it left the table, outside the shard (a forced
 * teardown: inside it, so no rule comes meanwhile).
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "prm/mlx5_ifc_tls.h"
#include "sim/sim_internal.h"
#include "sim/strict.h"

/* Fact sheet 4.3: tirc is 0x780 bits; create_tir_in = 0x100 bits of header + tirc. */
_Static_assert(DEVX_ST_SZ_BYTES(tirc) == 240, "tirc is 240 bytes");
_Static_assert(DEVX_ST_SZ_BYTES(create_tir_in) == 272, "create_tir_in is 272 bytes");
_Static_assert(DEVX_ST_SZ_BYTES(modify_tir_in) == 272, "modify_tir_in is 272 bytes");
_Static_assert(DEVX_ST_SZ_BYTES(query_tir_out) == 272, "query_tir_out is 272 bytes");
_Static_assert(__devx_bit_off(tirc, inline_rqn) == 0xe8, "inline_rqn in bytes 29..31");
_Static_assert(__devx_bit_off(tirc, transport_domain) == 0x128, "transport_domain in bytes 37..39");
_Static_assert(__devx_bit_off(tirc, tls_en) == 0x24, "tls_en at bit 0x24 (byte 4 mask 0x08)");

struct sim_tir {
	struct sim_tir_rx rx; /* what the receive path sees; steering keeps a pointer to it */
	uint32_t td;
	uint8_t disp_type;
	uint8_t rx_hash_fn;
	uint8_t self_lb_block;
	uint8_t tunneled_offload_en;
	uint16_t lro_timeout_period_usecs;
	uint8_t lro_max_ip_payload_size;
};

static struct sim_tir_shard *shard_of(struct sim_dev *dev, uint32_t tirn)
{
	/* a block of numbers in one shard: a thread's creates, from its block, meet other
	 * threads' only in DESTROY_TIR of older TIRs (tir_next_num) */
	return &dev->tir_shard[tirn / SIM_TIR_BLOCK % SIM_TIR_SHARDS];
}

/*
 * The next number of the sequence for the calling thread: each thread slot takes the sequence
 * in blocks of SIM_TIR_BLOCK (one atomic add on the shared counter per block) and hands them
 * out in order, so a thread's TIRs in a row share a shard, other threads' being in other
 * blocks. One thread alone gets the sequence in order (0x80, 0x81, ...).
 */
static uint32_t tir_next_num(struct sim_dev *dev)
{
	const uint32_t span = SIM_OBJ_NUM_LIMIT - SIM_TIR_NUM_FIRST;
	struct sim_tir_slot *sl = &dev->tir_slot[thread_slot()];
	uint32_t seq;

	pthread_mutex_lock(&sl->lock);
	if (sl->next == sl->end) {
		sl->next = atomic_fetch_add_explicit(&dev->tir_next, SIM_TIR_BLOCK,
						     memory_order_relaxed);
		sl->end = sl->next + SIM_TIR_BLOCK;
	}
	seq = sl->next++;
	pthread_mutex_unlock(&sl->lock);
	/* span and 2^32 are multiples of the block: a block is SIM_TIR_BLOCK numbers in a row */
	return SIM_TIR_NUM_FIRST + seq % span;
}

/* T10, with tirn's shard held. */
static int tir_lookup(struct sim_cmd *c, uint32_t tirn, struct sim_tir **out)
{
	struct sim_tir *t = sim_objtab_get(&shard_of(c->dev, tirn)->tab, tirn);

	if (!t)
		return sim_reject(c, SIM_SYND_TIR_UNKNOWN);
	if (t->rx.uid != c->uid)
		return sim_reject(c, SIM_SYND_TIR_NOT_OWNED);
	*out = t;
	return 0;
}

/* T4: the hash fields of a tirc, as CREATE checks them and MODIFY (bitmask.hash) does. */
static int check_hash(struct sim_cmd *c, const void *ctx)
{
	if (DEVX_GET(tirc, ctx, rx_hash_fn) > MLX5_RX_HASH_FN_TOEPLITZ)
		return sim_reject(c, SIM_SYND_TIR_HASH_FN_INVALID);
	if (DEVX_GET(tirc, ctx, rx_hash_symmetric) ||
	    !sim_bytes_zero(DEVX_ADDR_OF(tirc, ctx, rx_hash_toeplitz_key),
			    DEVX_FLD_SZ_BYTES(tirc, rx_hash_toeplitz_key)) ||
	    !sim_bytes_zero(DEVX_ADDR_OF(tirc, ctx, rx_hash_field_selector_outer),
			    DEVX_ST_SZ_BYTES(rx_hash_field_select)) ||
	    !sim_bytes_zero(DEVX_ADDR_OF(tirc, ctx, rx_hash_field_selector_inner),
			    DEVX_ST_SZ_BYTES(rx_hash_field_select)))
		return sim_reject(c, SIM_SYND_TIR_HASH_FIELDS_SET);
	return 0;
}

/* T5 */
static int check_lro(struct sim_cmd *c, const void *ctx)
{
	if (DEVX_GET(tirc, ctx, packet_merge_mask))
		return sim_reject(c, SIM_SYND_TIR_LRO_UNSUPPORTED);
	return 0;
}

static void take_lro(struct sim_tir *t, const void *ctx)
{
	t->lro_timeout_period_usecs = (uint16_t)DEVX_GET(tirc, ctx, lro_timeout_period_usecs);
	t->lro_max_ip_payload_size = (uint8_t)DEVX_GET(tirc, ctx, lro_max_ip_payload_size);
}

/* T1: the RQ a DIRECT TIR names, pinned (sim_rq_unpin to undo). */
static int pin_rq(struct sim_cmd *c, uint32_t rqn, struct sim_rq **out)
{
	int ret = sim_rq_pin_num(c->dev, rqn, c->uid, out);

	if (ret == -EACCES)
		return sim_reject(c, SIM_SYND_TIR_RQ_NOT_OWNED);
	if (ret)
		return sim_reject(c, SIM_SYND_TIR_RQ_UNKNOWN);
	return 0;
}

/*
 * T7 and the number: a place in the live count, then the next free number of the sequence with
 * t put in its shard. Numbers walk the space before one is handed out again (sim_objtab.h), as
 * for the other objects. The uid is checked again with the shard held: a uid's teardown
 * (sim_uctx_free: the uid made invalid, then every shard's TIRs of it dropped) either finds
 * this TIR in the shard or is seen here, so no TIR outlives its uid.
 */
static int tir_insert(struct sim_cmd *c, struct sim_tir *t, uint32_t *tirn)
{
	struct sim_dev *dev = c->dev;
	const uint32_t span = SIM_OBJ_NUM_LIMIT - SIM_TIR_NUM_FIRST;

	if (atomic_fetch_add_explicit(&dev->tirs_live, 1, memory_order_relaxed) >=
	    (1ull << dev->prof.log_max_tir)) {
		atomic_fetch_sub_explicit(&dev->tirs_live, 1, memory_order_relaxed);
		return sim_reject(c, SIM_SYND_TIR_LIMIT);
	}
	for (uint32_t tries = span; tries; tries--) {
		uint32_t num = tir_next_num(dev);
		struct sim_tir_shard *sh = shard_of(dev, num);
		int ret = 0;

		pthread_rwlock_wrlock(&sh->lock);
		if (!sim_uid_valid(dev, c->uid)) {
			ret = sim_reject(c, SIM_SYND_UID_INVALID);
		} else if (num <= sh->tab.max_key && sim_objtab_get(&sh->tab, num)) {
			ret = 1; /* taken (the sequence wrapped): the next one */
		} else {
			t->rx.tirn = num;
			if (sim_objtab_put(&sh->tab, num, t))
				ret = sim_reject(c, SIM_SYND_MODEL_NO_MEMORY);
			else /* not t's: a teardown may free it once the shard is let go */
				*tirn = num;
		}
		pthread_rwlock_unlock(&sh->lock);
		if (ret <= 0) {
			if (ret)
				atomic_fetch_sub_explicit(&dev->tirs_live, 1, memory_order_relaxed);
			return ret;
		}
	}
	atomic_fetch_sub_explicit(&dev->tirs_live, 1, memory_order_relaxed);
	return sim_reject(c, SIM_SYND_NUMBER_SPACE_EXHAUSTED);
}

/*
 * Runs without dev->lock (cmd.c own_locks): the TD is held under dom_lock (sim_td_hold_begin)
 * until the TIR is in the table, the RQ pinned under dp_lock (sim_rq_pin_num), the number and
 * the table under the shard's lock; a check that fails after one drops it, in reverse order.
 */
int sim_cmd_create_tir(struct sim_cmd *c)
{
	struct sim_dev *dev = c->dev;
	const void *ctx = DEVX_ADDR_OF(create_tir_in, c->in, ctx);
	uint32_t disp = DEVX_GET(tirc, ctx, disp_type);
	uint32_t tls_en = DEVX_GET(tirc, ctx, tls_en);
	uint32_t td = DEVX_GET(tirc, ctx, transport_domain);
	struct sim_rq *rq = NULL;
	unsigned int dom_slot;
	struct sim_tir *t;
	uint32_t num = 0;

	if (disp > MLX5_TIRC_DISP_TYPE_INDIRECT)
		return sim_reject(c, SIM_SYND_TIR_DISP_TYPE_INVALID);
	if (disp == MLX5_TIRC_DISP_TYPE_INDIRECT)
		return sim_reject(c, SIM_SYND_TIR_INDIRECT_NOT_MODELLED);
	if (DEVX_GET(tirc, ctx, indirect_table))
		return sim_reject(c, SIM_SYND_TIR_INDIRECT_TABLE_SET);
	if (check_hash(c, ctx) || check_lro(c, ctx))
		return -1;
	if (tls_en && !dev->prof.tls_rx)
		return sim_reject(c, SIM_SYND_TIR_TLS_UNSUPPORTED);
	/* T3: the TD stays (DEALLOC_TD waits) until the TIR is in the table */
	if (sim_td_hold_begin(c, td, &dom_slot))
		return -1;
	if (pin_rq(c, DEVX_GET(tirc, ctx, inline_rqn), &rq))
		goto err_td;
	t = calloc(1, sizeof(*t));
	if (!t) {
		sim_reject(c, SIM_SYND_MODEL_NO_MEMORY);
		goto err_rq;
	}
	t->rx.uid = c->uid;
	t->rx.tls_en = tls_en;
	t->rx.rq = rq;
	t->td = td;
	t->disp_type = (uint8_t)disp;
	t->rx_hash_fn = (uint8_t)DEVX_GET(tirc, ctx, rx_hash_fn);
	t->self_lb_block = (uint8_t)DEVX_GET(tirc, ctx, self_lb_block);
	t->tunneled_offload_en = (uint8_t)DEVX_GET(tirc, ctx, tunneled_offload_en);
	take_lro(t, ctx);
	if (tir_insert(c, t, &num)) {
		free(t);
		goto err_rq;
	}
	sim_td_hold_end(dev, dom_slot);
	DEVX_SET(create_tir_out, c->out, tirn, num);
	return 0;

err_rq:
	sim_rq_unpin(rq);
err_td:
	sim_td_hold_end(dev, dom_slot);
	return -1;
}

int sim_cmd_modify_tir(struct sim_cmd *c)
{
	const void *ctx = DEVX_ADDR_OF(modify_tir_in, c->in, ctx);
	bool self_lb = DEVX_GET(modify_tir_in, c->in, bitmask.self_lb_en);
	bool hash = DEVX_GET(modify_tir_in, c->in, bitmask.hash);
	bool merge = DEVX_GET(modify_tir_in, c->in, bitmask.packet_merge);
	uint32_t tirn = DEVX_GET(modify_tir_in, c->in, tirn);
	struct sim_tir_shard *sh = shard_of(c->dev, tirn);
	struct sim_tir *t = NULL;
	int ret = -1;

	pthread_rwlock_wrlock(&sh->lock);
	if (tir_lookup(c, tirn, &t))
		goto out;
	/* T8: all checks first, so a rejected MODIFY changes nothing */
	if ((hash && check_hash(c, ctx)) || (merge && check_lro(c, ctx)))
		goto out;
	if (self_lb)
		t->self_lb_block = (uint8_t)DEVX_GET(tirc, ctx, self_lb_block);
	if (hash)
		t->rx_hash_fn = (uint8_t)DEVX_GET(tirc, ctx, rx_hash_fn);
	if (merge)
		take_lro(t, ctx);
	ret = 0;
out:
	pthread_rwlock_unlock(&sh->lock);
	return ret;
}

int sim_cmd_query_tir(struct sim_cmd *c)
{
	void *ctx = DEVX_ADDR_OF(query_tir_out, c->out, tir_context);
	uint32_t tirn = DEVX_GET(query_tir_in, c->in, tirn);
	struct sim_tir_shard *sh = shard_of(c->dev, tirn);
	struct sim_tir *t = NULL;

	pthread_rwlock_rdlock(&sh->lock);
	if (tir_lookup(c, tirn, &t)) {
		pthread_rwlock_unlock(&sh->lock);
		return -1;
	}
	DEVX_SET(tirc, ctx, disp_type, t->disp_type);
	DEVX_SET(tirc, ctx, tls_en, t->rx.tls_en);
	DEVX_SET(tirc, ctx, lro_timeout_period_usecs, t->lro_timeout_period_usecs);
	DEVX_SET(tirc, ctx, lro_max_ip_payload_size, t->lro_max_ip_payload_size);
	DEVX_SET(tirc, ctx, inline_rqn, sim_rq_num(t->rx.rq));
	DEVX_SET(tirc, ctx, tunneled_offload_en, t->tunneled_offload_en);
	DEVX_SET(tirc, ctx, rx_hash_fn, t->rx_hash_fn);
	DEVX_SET(tirc, ctx, self_lb_block, t->self_lb_block);
	DEVX_SET(tirc, ctx, transport_domain, t->td);
	pthread_rwlock_unlock(&sh->lock);
	return 0;
}

/* t has left the table (its shard held for writing by a forced teardown, else not held). */
static void tir_free(struct sim_dev *dev, struct sim_tir *t)
{
	/* forced teardown (uid or device): rules naming it go first (T9 for DESTROY_TIR); no new
	 * one can come, the shard is held */
	if (atomic_load_explicit(&t->rx.rule_refs, memory_order_acquire))
		sim_steer_tir_gone(dev, &t->rx);
	/* its TLS RX state dies with it, so a later TIR reusing the number starts clean */
	/* before the RQ is unpinned: dropping the context synchronises with its deliveries */
	sim_dp_tir_destroyed(t->rx.rq, t->rx.tirn);
	sim_rq_unpin(t->rx.rq);
	atomic_fetch_sub_explicit(&dev->tirs_live, 1, memory_order_relaxed);
	free(t);
}

/* Runs without dev->lock (cmd.c own_locks). */
int sim_cmd_destroy_tir(struct sim_cmd *c)
{
	uint32_t tirn = DEVX_GET(destroy_tir_in, c->in, tirn);
	struct sim_tir_shard *sh = shard_of(c->dev, tirn);
	struct sim_tir *t = NULL;

	pthread_rwlock_wrlock(&sh->lock);
	if (tir_lookup(c, tirn, &t)) {
		pthread_rwlock_unlock(&sh->lock);
		return -1;
	}
	/* T9: a rule is added with the shard held for reading (sim_tir_rx_hold) */
	if (atomic_load_explicit(&t->rx.rule_refs, memory_order_acquire)) {
		pthread_rwlock_unlock(&sh->lock);
		return sim_reject(c, SIM_SYND_TIR_IN_USE);
	}
	sim_objtab_del(&sh->tab, tirn);
	pthread_rwlock_unlock(&sh->lock);
	tir_free(c->dev, t);
	return 0;
}

struct owned_ctx {
	struct sim_dev *dev;
	int uid;
};

static bool tir_is_owned(const void *val, void *ctx)
{
	const struct owned_ctx *o = ctx;
	const struct sim_tir *t = val;

	return o->uid == SIM_UID_ALL || t->rx.uid == o->uid;
}

static void tir_drop(void *val, void *ctx)
{
	const struct owned_ctx *o = ctx;

	tir_free(o->dev, val);
}

void sim_tir_destroy_owned(struct sim_dev *dev, int uid)
{
	struct owned_ctx o = { dev, uid };

	/* tir_drop runs with the shard held for writing: the steering, TLS RX and RQ locks it
	 * takes nest inside (sim_internal.h) */
	for (uint32_t i = 0; i < SIM_TIR_SHARDS; i++) {
		pthread_rwlock_wrlock(&dev->tir_shard[i].lock);
		sim_objtab_remove_if(&dev->tir_shard[i].tab, tir_is_owned, tir_drop, &o);
		pthread_rwlock_unlock(&dev->tir_shard[i].lock);
	}
}

bool sim_tir_names_td(struct sim_dev *dev, uint32_t td)
{
	bool found = false;

	/* T3 for DEALLOC_TD (dom_lock held for writing: no TIR is being made) */
	for (uint32_t i = 0; i < SIM_TIR_SHARDS && !found; i++) {
		const struct sim_tir *t;
		size_t pos = 0;

		pthread_rwlock_rdlock(&dev->tir_shard[i].lock);
		while (!found && (t = sim_objtab_next(&dev->tir_shard[i].tab, &pos, NULL)))
			found = t->td == td;
		pthread_rwlock_unlock(&dev->tir_shard[i].lock);
	}
	return found;
}

struct sim_tir_rx *sim_tir_rx_hold(struct sim_dev *dev, uint32_t tirn)
{
	struct sim_tir_shard *sh = shard_of(dev, tirn);
	struct sim_tir *t;

	pthread_rwlock_rdlock(&sh->lock);
	t = sim_objtab_get(&sh->tab, tirn);
	if (!t) {
		pthread_rwlock_unlock(&sh->lock);
		return NULL;
	}
	return &t->rx;
}

void sim_tir_prefetch_destroy(struct sim_dev *dev, uint32_t tirn)
{
	struct sim_tir_shard *sh = shard_of(dev, tirn);

	/* the shard's slots move when it grows: read under its lock, as any look-up */
	pthread_rwlock_rdlock(&sh->lock);
	sim_objtab_prefetch(&sh->tab, tirn);
	pthread_rwlock_unlock(&sh->lock);
}

void sim_tir_rx_unhold(struct sim_dev *dev, const struct sim_tir_rx *tir)
{
	pthread_rwlock_unlock(&shard_of(dev, tir->tirn)->lock);
}

int sim_tir_get(struct sim_dev *dev, uint32_t tirn, int *tls_en, uint16_t *uid, uint32_t *rqn)
{
	struct sim_tir_shard *sh;
	const struct sim_tir *t;
	int ret = -ENOENT;

	if (!dev)
		return -EINVAL;
	sh = shard_of(dev, tirn);
	/* tls_en, uid and the RQ are fixed for the TIR's life (the RQ pinned by it) */
	pthread_rwlock_rdlock(&sh->lock);
	t = sim_objtab_get(&sh->tab, tirn);
	if (t) {
		if (tls_en)
			*tls_en = t->rx.tls_en;
		if (uid)
			*uid = t->rx.uid;
		if (rqn)
			*rqn = sim_rq_num(t->rx.rq);
		ret = 0;
	}
	pthread_rwlock_unlock(&sh->lock);
	return ret;
}
