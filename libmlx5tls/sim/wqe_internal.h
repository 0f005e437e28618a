/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The WQE engine's private parts (sq_internal.h has the queue), shared by its three files:
 * sq_wqe.c reads each WQE from the ring, dispatches it by opcode and completes it (the model
 * choices are stated there); sq_send.c executes SEND and LSO (gather, TLS, segmentation, the
 * frames); sq_tls_wqe.c the TLS control WQEs (static params by UMR, SET_PSV, GET_PSV, DUMP).
 * Each executor returns 0 or a vsynd (sq.h enum sim_sq_vsynd) for the WQE in sq->wqe.
 */
#ifndef MLX5TLS_SIM_WQE_INTERNAL_H
#define MLX5TLS_SIM_WQE_INTERNAL_H

#include <endian.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "sim/sim.h"
#include "sim/sq_internal.h"

#define DATA_SEG_INLINE 0x80000000u /* MLX5_INLINE_SEG */

static inline uint32_t be32_at(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return be32toh(v);
}

static inline uint16_t be16_at(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, 2);
	return be16toh(v);
}

static inline uint64_t be64_at(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return be64toh(v);
}

static inline void put_be32(uint8_t *p, uint32_t v)
{
	v = htobe32(v);
	memcpy(p, &v, 4);
}

static inline void put_be16(uint8_t *p, uint16_t v)
{
	v = htobe16(v);
	memcpy(p, &v, 2);
}

/* The TIS a data/DUMP WQE goes through: ctrl tis_tir_num >> 8, or the SQ's default TIS. */
struct tis_view {
	uint32_t tisn;
	uint32_t pd;
	int tls_en;
};

static inline int ctrl_tis(struct sim_sq *sq, const uint8_t *w, bool default_ok,
			   struct tis_view *t)
{
	uint32_t field = be32_at(w + 12);

	if (field & 0xff)
		return SIM_VSYND_CTRL_RESERVED;
	t->tisn = field >> 8;
	if (!t->tisn) {
		if (!default_ok)
			return SIM_VSYND_TIS_UNKNOWN;
		t->tisn = sq->tisn;
	}
	if (sim_tis_get_cached(sq->dev, &sq->tis_cache, t->tisn, &t->tls_en, &t->pd))
		return SIM_VSYND_TIS_UNKNOWN;
	return 0;
}

/* Data or a DUMP through the TIS whose params came last with no fenced WQE since: counted
 * (sq.h tls_unfenced_after_params: every driver fences there). */
static inline void check_unfenced(struct sim_sq *sq, uint32_t tisn)
{
	if (sq->last_params_tisn && sq->last_params_tisn == tisn)
		sq->stats.tls_unfenced_after_params++;
	sq->last_params_tisn = 0;
}

/* sq_send.c: SEND (lso false) and LSO. */
int sim_sq_exec_send(struct sim_sq *sq, const uint8_t *w, uint32_t ds, bool lso);
/* sq_tls_wqe.c: UMR (TIS/TIR static params), SET_PSV (progress params), GET_PSV (a TIR's
 * progress into memory), DUMP (bytes to a TIS's TLS engine). */
int sim_sq_exec_umr(struct sim_sq *sq, const uint8_t *w, uint32_t ds);
int sim_sq_exec_set_psv(struct sim_sq *sq, const uint8_t *w, uint32_t ds);
int sim_sq_exec_get_psv(struct sim_sq *sq, const uint8_t *w, uint32_t ds);
int sim_sq_exec_dump(struct sim_sq *sq, const uint8_t *w, uint32_t ds);

#endif /* MLX5TLS_SIM_WQE_INTERNAL_H */
