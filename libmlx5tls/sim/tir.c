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
 */
#include <errno.h>
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

static int tir_lookup(struct sim_cmd *c, uint32_t tirn, struct sim_tir **out)
{
	struct sim_tir *t = sim_objtab_get(&c->dev->tirs, tirn);

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

/* T1: the RQ a DIRECT TIR names. */
static int check_rq(struct sim_cmd *c, uint32_t rqn, struct sim_rq **out)
{
	struct sim_rq *rq = sim_rq_find_locked(c->dev, rqn);

	if (!rq)
		return sim_reject(c, SIM_SYND_TIR_RQ_UNKNOWN);
	if (sim_rq_uid(rq) != c->uid)
		return sim_reject(c, SIM_SYND_TIR_RQ_NOT_OWNED);
	*out = rq;
	return 0;
}

int sim_cmd_create_tir(struct sim_cmd *c)
{
	struct sim_dev *dev = c->dev;
	const void *ctx = DEVX_ADDR_OF(create_tir_in, c->in, ctx);
	uint32_t disp = DEVX_GET(tirc, ctx, disp_type);
	uint32_t tls_en = DEVX_GET(tirc, ctx, tls_en);
	uint32_t td = DEVX_GET(tirc, ctx, transport_domain);
	struct sim_rq *rq = NULL;
	struct sim_tir *t;
	uint32_t num;

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
	if (sim_td_check(c, td))
		return -1;
	if (check_rq(c, DEVX_GET(tirc, ctx, inline_rqn), &rq))
		return -1;
	if (dev->stats.tirs >= (1ull << dev->prof.log_max_tir))
		return sim_reject(c, SIM_SYND_TIR_LIMIT);
	if (sim_objtab_alloc_num(&dev->tirs, &dev->tir_cursor, SIM_TIR_NUM_FIRST,
				 SIM_OBJ_NUM_LIMIT, &num))
		return sim_reject(c, SIM_SYND_NUMBER_SPACE_EXHAUSTED);
	t = calloc(1, sizeof(*t));
	if (!t)
		return sim_reject(c, SIM_SYND_MODEL_NO_MEMORY);
	t->rx.tirn = num;
	t->rx.uid = c->uid;
	t->rx.tls_en = tls_en;
	t->rx.rq = rq;
	t->td = td;
	t->disp_type = (uint8_t)disp;
	t->rx_hash_fn = (uint8_t)DEVX_GET(tirc, ctx, rx_hash_fn);
	t->self_lb_block = (uint8_t)DEVX_GET(tirc, ctx, self_lb_block);
	t->tunneled_offload_en = (uint8_t)DEVX_GET(tirc, ctx, tunneled_offload_en);
	take_lro(t, ctx);
	pthread_rwlock_wrlock(&dev->tir_lock); /* sim_tir_get reads without dev->lock */
	if (sim_objtab_put(&dev->tirs, num, t)) {
		pthread_rwlock_unlock(&dev->tir_lock);
		free(t);
		return sim_reject(c, SIM_SYND_MODEL_NO_MEMORY);
	}
	pthread_rwlock_unlock(&dev->tir_lock);
	sim_td_ref(dev, td, 1);
	sim_rq_pin_locked(rq, 1);
	dev->stats.tirs++;
	DEVX_SET(create_tir_out, c->out, tirn, num);
	return 0;
}

int sim_cmd_modify_tir(struct sim_cmd *c)
{
	const void *ctx = DEVX_ADDR_OF(modify_tir_in, c->in, ctx);
	bool self_lb = DEVX_GET(modify_tir_in, c->in, bitmask.self_lb_en);
	bool hash = DEVX_GET(modify_tir_in, c->in, bitmask.hash);
	bool merge = DEVX_GET(modify_tir_in, c->in, bitmask.packet_merge);
	struct sim_tir *t = NULL;

	if (tir_lookup(c, DEVX_GET(modify_tir_in, c->in, tirn), &t))
		return -1;
	/* T8: all checks first, so a rejected MODIFY changes nothing */
	if ((hash && check_hash(c, ctx)) || (merge && check_lro(c, ctx)))
		return -1;
	if (self_lb)
		t->self_lb_block = (uint8_t)DEVX_GET(tirc, ctx, self_lb_block);
	if (hash)
		t->rx_hash_fn = (uint8_t)DEVX_GET(tirc, ctx, rx_hash_fn);
	if (merge)
		take_lro(t, ctx);
	return 0;
}

int sim_cmd_query_tir(struct sim_cmd *c)
{
	void *ctx = DEVX_ADDR_OF(query_tir_out, c->out, tir_context);
	struct sim_tir *t = NULL;

	if (tir_lookup(c, DEVX_GET(query_tir_in, c->in, tirn), &t))
		return -1;
	DEVX_SET(tirc, ctx, disp_type, t->disp_type);
	DEVX_SET(tirc, ctx, tls_en, t->rx.tls_en);
	DEVX_SET(tirc, ctx, lro_timeout_period_usecs, t->lro_timeout_period_usecs);
	DEVX_SET(tirc, ctx, lro_max_ip_payload_size, t->lro_max_ip_payload_size);
	DEVX_SET(tirc, ctx, inline_rqn, t->rx.rq ? sim_rq_num(t->rx.rq) : 0);
	DEVX_SET(tirc, ctx, tunneled_offload_en, t->tunneled_offload_en);
	DEVX_SET(tirc, ctx, rx_hash_fn, t->rx_hash_fn);
	DEVX_SET(tirc, ctx, self_lb_block, t->self_lb_block);
	DEVX_SET(tirc, ctx, transport_domain, t->td);
	return 0;
}

static void tir_free(struct sim_dev *dev, struct sim_tir *t)
{
	/* forced teardown (uid or device): rules naming it go first (T9 for DESTROY_TIR) */
	if (t->rx.rule_refs)
		sim_steer_tir_gone_locked(dev, &t->rx);
	/* its TLS RX state dies with it, so a later TIR reusing the number starts clean */
	/* before the RQ is unpinned: dropping the context synchronises with its deliveries */
	sim_dp_tir_destroyed_locked(dev, t->rx.tirn, t->rx.rq);
	sim_td_ref(dev, t->td, -1);
	if (t->rx.rq)
		sim_rq_pin_locked(t->rx.rq, -1);
	dev->stats.tirs--;
	free(t);
}

int sim_cmd_destroy_tir(struct sim_cmd *c)
{
	uint32_t tirn = DEVX_GET(destroy_tir_in, c->in, tirn);
	struct sim_tir *t = NULL;

	if (tir_lookup(c, tirn, &t))
		return -1;
	if (t->rx.rule_refs)
		return sim_reject(c, SIM_SYND_TIR_IN_USE);
	pthread_rwlock_wrlock(&c->dev->tir_lock);
	sim_objtab_del(&c->dev->tirs, tirn);
	pthread_rwlock_unlock(&c->dev->tir_lock);
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

	/* tir_drop runs with tir_lock held: the steering, RQ and TLS RX locks it takes nest
	 * inside (a reader of tir_lock holds no other lock) */
	pthread_rwlock_wrlock(&dev->tir_lock);
	sim_objtab_remove_if(&dev->tirs, tir_is_owned, tir_drop, &o);
	pthread_rwlock_unlock(&dev->tir_lock);
}

struct sim_tir_rx *sim_tir_rx_find_locked(struct sim_dev *dev, uint32_t tirn)
{
	struct sim_tir *t = sim_objtab_get(&dev->tirs, tirn);

	return t ? &t->rx : NULL;
}

int sim_tir_get(struct sim_dev *dev, uint32_t tirn, int *tls_en, uint16_t *uid, uint32_t *rqn)
{
	const struct sim_tir *t;
	int ret = -ENOENT;

	if (!dev)
		return -EINVAL;
	/* tls_en, uid and the RQ are fixed for the TIR's life (the RQ pinned by it) */
	pthread_rwlock_rdlock(&dev->tir_lock);
	t = sim_objtab_get(&dev->tirs, tirn);
	if (t) {
		if (tls_en)
			*tls_en = t->rx.tls_en;
		if (uid)
			*uid = t->rx.uid;
		if (rqn)
			*rqn = t->rx.rq ? sim_rq_num(t->rx.rq) : 0;
		ret = 0;
	}
	pthread_rwlock_unlock(&dev->tir_lock);
	return ret;
}
