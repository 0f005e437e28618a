/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Reserved-bit checking. For every command input layout the model accepts, a byte mask of the
 * fields it understands is built once, by DEVX_SET-ing all-ones into each named field of the
 * mlx5_ifc struct (prm/mlx5_ifc_tls.h). Any input bit outside the mask is reserved, and firmware
 * rejects reserved bits that are set (BAD_PARAM) rather than ignoring them (DESIGN.md: "strict").
 */
#ifndef MLX5TLS_SIM_STRICT_H
#define MLX5TLS_SIM_STRICT_H

#include <stdbool.h>
#include <stddef.h>

enum sim_layout {
	SIM_LAYOUT_QUERY_HCA_CAP_IN,
	SIM_LAYOUT_ALLOC_PD_IN,
	SIM_LAYOUT_DEALLOC_PD_IN,
	SIM_LAYOUT_ALLOC_TD_IN,
	SIM_LAYOUT_DEALLOC_TD_IN,
	SIM_LAYOUT_CREATE_TIS_IN,
	SIM_LAYOUT_MODIFY_TIS_IN,
	SIM_LAYOUT_QUERY_TIS_IN,
	SIM_LAYOUT_DESTROY_TIS_IN,
	SIM_LAYOUT_DEK_CREATE_IN,       /* 16-byte header + 512-byte object */
	SIM_LAYOUT_DEK_CREATE_SHORT_IN, /* 16-byte header + 256-byte object */
	SIM_LAYOUT_DEK_MODIFY_IN,
	SIM_LAYOUT_DEK_MODIFY_SHORT_IN,
	SIM_LAYOUT_GOBJ_QUERY_IN,
	SIM_LAYOUT_GOBJ_DESTROY_IN,
	SIM_LAYOUT_SYNC_CRYPTO_IN,
	SIM_LAYOUT_CREATE_TIR_IN,
	SIM_LAYOUT_MODIFY_TIR_IN,
	SIM_LAYOUT_QUERY_TIR_IN,
	SIM_LAYOUT_DESTROY_TIR_IN,
	SIM_LAYOUT_COUNT
};

/* The largest input the model accepts: CREATE/MODIFY of a 512-byte DEK object (fact sheet 3.5). */
#define SIM_MAX_INLEN 528u

/* The mask of understood bits (len bytes, the layout's size). */
const unsigned char *sim_layout_mask(enum sim_layout layout, size_t *len);

/* True if `in` (len bytes, the layout's exact size) has a bit set outside the layout's mask. */
bool sim_reserved_bits_set(const void *in, size_t len, enum sim_layout layout);

/* True if all n bytes at p are zero. */
bool sim_bytes_zero(const void *p, size_t n);

#endif /* MLX5TLS_SIM_STRICT_H */
