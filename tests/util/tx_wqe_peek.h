/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * For test programs that link the static library: decode the WQEs a queue pair posted, straight
 * from its ring memory, so a test can check what the device was told (opcodes, the record number
 * in static params, DUMP sizes) rather than only what the library remembers. Header only: it
 * needs the library's internal headers, which tests/util itself does not see.
 */
#ifndef MLX5TLS_TEST_TX_WQE_PEEK_H
#define MLX5TLS_TEST_TX_WQE_PEEK_H

#include <stdint.h>

#include "qp.h"

#define PEEK_OP_SEND 0x0a
#define PEEK_OP_LSO 0x0e
#define PEEK_OP_SET_PSV 0x20
#define PEEK_OP_DUMP 0x23
#define PEEK_OP_UMR 0x25
#define PEEK_OP_NOP 0x00

struct wqe_peek {
	uint32_t pc;      /* producer counter of its first WQEBB */
	uint8_t opcode;
	uint8_t opc_mod;
	uint8_t fm_ce_se;
	uint32_t nbb;
	uint32_t tisn;    /* ctrl tis_tir_num >> 8 */
	uint64_t rec_num; /* UMR static params: initial_record_number */
	uint32_t bytes;   /* DUMP: byte_count */
};

static inline const uint8_t *peek_bb(const struct mlx5tls_qp *qp, uint32_t pc)
{
	return (const uint8_t *)qp->ring.sq_buf + (size_t)(pc & qp->wqe_mask) * MLX5TLS_WQEBB;
}

static inline uint32_t peek_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Decode the WQEs at producer counters [from, qp->pc) into out (at most max); returns how many. */
static inline int peek_wqes(const struct mlx5tls_qp *qp, uint32_t from, struct wqe_peek *out,
			    int max)
{
	int n = 0;

	while (from != qp->pc && n < max) {
		const uint8_t *c = peek_bb(qp, from);
		struct wqe_peek *w = &out[n++];
		uint32_t ds = c[7] & 0x3f;

		*w = (struct wqe_peek){ .pc = from, .opcode = c[3], .opc_mod = c[0],
					.fm_ce_se = c[11], .tisn = peek_be32(c + 12) >> 8 };
		w->nbb = (ds * 16 + MLX5TLS_WQEBB - 1) / MLX5TLS_WQEBB;
		if (!w->nbb)
			w->nbb = 1;
		if (w->opcode == PEEK_OP_UMR && w->nbb == 3) {
			/* tls_static_params in the third WQEBB; initial_record_number at 8..15 */
			const uint8_t *sp = peek_bb(qp, from + 2);

			w->rec_num = (uint64_t)peek_be32(sp + 8) << 32 | peek_be32(sp + 12);
		} else if (w->opcode == PEEK_OP_DUMP) {
			w->bytes = peek_be32(c + 16);
		}
		from += w->nbb;
	}
	return n;
}

#endif
