/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Build the per-layout masks of understood fields. Every field named in a layout's ifc struct is
 * listed here, including those the model understands but does not support (vhca_tunnel_id,
 * other_function, alias_object, sw_wrapped, ...): those are not reserved, so they pass this check
 * and the command handler rejects them with their own syndrome instead.
 */
#include "sim/strict.h"

#include <pthread.h>
#include <stdint.h>
#include <string.h>

#include "prm/mlx5_ifc_tls.h"

#define ONES(typ, m, fld) DEVX_SET(typ, m, fld, 0xffffffffu)
#define ONES64(typ, m, fld) DEVX_SET64(typ, m, fld, ~0ull)
#define ONES_ARRAY(typ, m, fld) memset(DEVX_ADDR_OF(typ, m, fld), 0xff, DEVX_FLD_SZ_BYTES(typ, fld))

struct layout_mask {
	size_t len;
	uint64_t words[SIM_MAX_INLEN / 8]; /* 8-byte aligned for DEVX_SET64 */
};

static struct layout_mask masks[SIM_LAYOUT_COUNT];
static pthread_once_t masks_once = PTHREAD_ONCE_INIT;

/* opcode, uid, op_mod: the generic input header (fact sheet 2.1). uid is a field, not reserved:
 * the kernel writes the caller's uid there (devx-userspace A2), so the model ignores its value and
 * runs the command for the uid it was called with. */
static void mask_mbox_hdr(void *m)
{
	ONES(mbox_in, m, opcode);
	ONES(mbox_in, m, uid);
	ONES(mbox_in, m, op_mod);
}

/* The general-object header without op_param (fact sheet 3.1). */
static void mask_gobj_hdr(void *m)
{
	ONES(general_obj_in_cmd_hdr, m, opcode);
	ONES(general_obj_in_cmd_hdr, m, uid);
	ONES(general_obj_in_cmd_hdr, m, vhca_tunnel_id);
	ONES(general_obj_in_cmd_hdr, m, obj_type);
	ONES(general_obj_in_cmd_hdr, m, obj_id);
}

static void mask_tisc(void *ctx)
{
	ONES(tisc, ctx, strict_lag_tx_port_affinity);
	ONES(tisc, ctx, tls_en);
	ONES(tisc, ctx, lag_tx_port_affinity);
	ONES(tisc, ctx, prio);
	ONES(tisc, ctx, transport_domain);
	ONES(tisc, ctx, underlay_qpn);
	ONES(tisc, ctx, pd);
}

/* tirc (fact sheet 4.3): every named field. The RSS and LRO fields are understood but not
 * modelled: tir.c rejects non-zero values with their own syndromes. */
static void mask_tirc(void *ctx)
{
	ONES(tirc, ctx, disp_type);
	ONES(tirc, ctx, tls_en);
	ONES(tirc, ctx, lro_timeout_period_usecs);
	ONES(tirc, ctx, packet_merge_mask);
	ONES(tirc, ctx, lro_max_ip_payload_size);
	ONES(tirc, ctx, inline_rqn);
	ONES(tirc, ctx, rx_hash_symmetric);
	ONES(tirc, ctx, tunneled_offload_en);
	ONES(tirc, ctx, indirect_table);
	ONES(tirc, ctx, rx_hash_fn);
	ONES(tirc, ctx, self_lb_block);
	ONES(tirc, ctx, transport_domain);
	ONES_ARRAY(tirc, ctx, rx_hash_toeplitz_key);
	ONES(tirc, ctx, rx_hash_field_selector_outer.l3_prot_type);
	ONES(tirc, ctx, rx_hash_field_selector_outer.l4_prot_type);
	ONES(tirc, ctx, rx_hash_field_selector_outer.selected_fields);
	ONES(tirc, ctx, rx_hash_field_selector_inner.l3_prot_type);
	ONES(tirc, ctx, rx_hash_field_selector_inner.l4_prot_type);
	ONES(tirc, ctx, rx_hash_field_selector_inner.selected_fields);
}

/*
 * encryption_key_obj (fact sheet 3.4). The 256-byte object of rdma-core and pre-2023 kernels has
 * the same head (bytes 0..63) and key field (bytes 64..191) as the 512-byte one, so one builder
 * serves both; only the long object has sw_wrapped_dek at bytes 192..319.
 */
static void mask_dek_obj(void *obj, int long_object)
{
	ONES64(encryption_key_obj, obj, modify_field_select);
	ONES(encryption_key_obj, obj, state);
	ONES(encryption_key_obj, obj, sw_wrapped);
	ONES(encryption_key_obj, obj, key_size);
	ONES(encryption_key_obj, obj, has_keytag);
	ONES(encryption_key_obj, obj, key_purpose);
	ONES(encryption_key_obj, obj, pd);
	ONES64(encryption_key_obj, obj, opaque);
	ONES_ARRAY(encryption_key_obj, obj, key);
	if (long_object)
		ONES_ARRAY(encryption_key_obj, obj, sw_wrapped_dek);
}

static void build_query_hca_cap_in(void *m)
{
	mask_mbox_hdr(m);
	ONES(query_hca_cap_in, m, other_function);
	ONES(query_hca_cap_in, m, ec_vf_function);
	ONES(query_hca_cap_in, m, function_id);
}

static void build_dealloc_pd_in(void *m)
{
	mask_mbox_hdr(m);
	ONES(dealloc_pd_in, m, pd);
}

static void build_dealloc_td_in(void *m)
{
	mask_mbox_hdr(m);
	ONES(dealloc_transport_domain_in, m, transport_domain);
}

static void build_create_tis_in(void *m)
{
	mask_mbox_hdr(m);
	mask_tisc(DEVX_ADDR_OF(create_tis_in, m, ctx));
}

static void build_modify_tis_in(void *m)
{
	mask_mbox_hdr(m);
	ONES(modify_tis_in, m, tisn);
	ONES(modify_tis_in, m, bitmask.lag_tx_port_affinity);
	ONES(modify_tis_in, m, bitmask.strict_lag_tx_port_affinity);
	ONES(modify_tis_in, m, bitmask.prio);
	mask_tisc(DEVX_ADDR_OF(modify_tis_in, m, ctx));
}

static void build_tisn_in(void *m)
{
	mask_mbox_hdr(m);
	ONES(query_tis_in, m, tisn); /* same position in destroy_tis_in (fact sheet 4.2) */
}

/* CREATE and MODIFY of a DEK, with the long or the short object (mask_dek_obj()). */
static void mask_dek_create_in(void *m, int long_object)
{
	mask_gobj_hdr(m);
	ONES(create_encryption_key_in, m, hdr.op_param.create.alias_object);
	ONES(create_encryption_key_in, m, hdr.op_param.create.log_obj_range);
	mask_dek_obj(DEVX_ADDR_OF(create_encryption_key_in, m, obj), long_object);
}

static void mask_dek_modify_in(void *m, int long_object)
{
	mask_gobj_hdr(m);
	ONES(modify_encryption_key_in, m, hdr.op_param.query.alias_object);
	ONES(modify_encryption_key_in, m, hdr.op_param.query.obj_offset);
	mask_dek_obj(DEVX_ADDR_OF(modify_encryption_key_in, m, obj), long_object);
}

static void build_dek_create_in(void *m)
{
	mask_dek_create_in(m, 1);
}

static void build_dek_create_short_in(void *m)
{
	mask_dek_create_in(m, 0);
}

static void build_dek_modify_in(void *m)
{
	mask_dek_modify_in(m, 1);
}

static void build_dek_modify_short_in(void *m)
{
	mask_dek_modify_in(m, 0);
}

static void build_gobj_query_in(void *m)
{
	mask_gobj_hdr(m);
	ONES(general_obj_in_cmd_hdr, m, op_param.query.alias_object);
	ONES(general_obj_in_cmd_hdr, m, op_param.query.obj_offset);
}

/* Model choice: DESTROY takes the header only (fact sheet 3.2: "only the 16-byte header"); a bulk
 * is destroyed whole through its base id, so op_param has no meaning there and is reserved. */
static void build_gobj_destroy_in(void *m)
{
	mask_gobj_hdr(m);
}

static void build_sync_crypto_in(void *m)
{
	mask_mbox_hdr(m);
	ONES(sync_crypto_in, m, crypto_type);
}

static void build_create_tir_in(void *m)
{
	mask_mbox_hdr(m);
	mask_tirc(DEVX_ADDR_OF(create_tir_in, m, ctx));
}

static void build_modify_tir_in(void *m)
{
	mask_mbox_hdr(m);
	ONES(modify_tir_in, m, tirn);
	ONES(modify_tir_in, m, bitmask.self_lb_en);
	ONES(modify_tir_in, m, bitmask.hash);
	ONES(modify_tir_in, m, bitmask.packet_merge);
	mask_tirc(DEVX_ADDR_OF(modify_tir_in, m, ctx));
}

static void build_tirn_in(void *m)
{
	mask_mbox_hdr(m);
	ONES(query_tir_in, m, tirn); /* same position in destroy_tir_in */
}

struct layout_builder {
	size_t len;
	void (*build)(void *m);
};

static const struct layout_builder builders[SIM_LAYOUT_COUNT] = {
	[SIM_LAYOUT_QUERY_HCA_CAP_IN] = { DEVX_ST_SZ_BYTES(query_hca_cap_in), build_query_hca_cap_in },
	[SIM_LAYOUT_ALLOC_PD_IN] = { DEVX_ST_SZ_BYTES(alloc_pd_in), mask_mbox_hdr },
	[SIM_LAYOUT_DEALLOC_PD_IN] = { DEVX_ST_SZ_BYTES(dealloc_pd_in), build_dealloc_pd_in },
	[SIM_LAYOUT_ALLOC_TD_IN] = { DEVX_ST_SZ_BYTES(alloc_transport_domain_in), mask_mbox_hdr },
	[SIM_LAYOUT_DEALLOC_TD_IN] = { DEVX_ST_SZ_BYTES(dealloc_transport_domain_in),
				       build_dealloc_td_in },
	[SIM_LAYOUT_CREATE_TIS_IN] = { DEVX_ST_SZ_BYTES(create_tis_in), build_create_tis_in },
	[SIM_LAYOUT_MODIFY_TIS_IN] = { DEVX_ST_SZ_BYTES(modify_tis_in), build_modify_tis_in },
	[SIM_LAYOUT_QUERY_TIS_IN] = { DEVX_ST_SZ_BYTES(query_tis_in), build_tisn_in },
	[SIM_LAYOUT_DESTROY_TIS_IN] = { DEVX_ST_SZ_BYTES(destroy_tis_in), build_tisn_in },
	[SIM_LAYOUT_DEK_CREATE_IN] = { DEVX_ST_SZ_BYTES(create_encryption_key_in),
				       build_dek_create_in },
	[SIM_LAYOUT_DEK_CREATE_SHORT_IN] = { DEVX_ST_SZ_BYTES(general_obj_in_cmd_hdr) +
						     DEVX_ST_SZ_BYTES(encryption_key_obj_short),
					     build_dek_create_short_in },
	[SIM_LAYOUT_DEK_MODIFY_IN] = { DEVX_ST_SZ_BYTES(modify_encryption_key_in),
				       build_dek_modify_in },
	[SIM_LAYOUT_DEK_MODIFY_SHORT_IN] = { DEVX_ST_SZ_BYTES(general_obj_in_cmd_hdr) +
						     DEVX_ST_SZ_BYTES(encryption_key_obj_short),
					     build_dek_modify_short_in },
	[SIM_LAYOUT_GOBJ_QUERY_IN] = { DEVX_ST_SZ_BYTES(general_obj_in_cmd_hdr), build_gobj_query_in },
	[SIM_LAYOUT_GOBJ_DESTROY_IN] = { DEVX_ST_SZ_BYTES(general_obj_in_cmd_hdr),
					 build_gobj_destroy_in },
	[SIM_LAYOUT_SYNC_CRYPTO_IN] = { DEVX_ST_SZ_BYTES(sync_crypto_in), build_sync_crypto_in },
	[SIM_LAYOUT_CREATE_TIR_IN] = { DEVX_ST_SZ_BYTES(create_tir_in), build_create_tir_in },
	[SIM_LAYOUT_MODIFY_TIR_IN] = { DEVX_ST_SZ_BYTES(modify_tir_in), build_modify_tir_in },
	[SIM_LAYOUT_QUERY_TIR_IN] = { DEVX_ST_SZ_BYTES(query_tir_in), build_tirn_in },
	[SIM_LAYOUT_DESTROY_TIR_IN] = { DEVX_ST_SZ_BYTES(destroy_tir_in), build_tirn_in },
};

static void build_all_masks(void)
{
	for (size_t i = 0; i < SIM_LAYOUT_COUNT; i++) {
		memset(masks[i].words, 0, sizeof(masks[i].words));
		masks[i].len = builders[i].len;
		builders[i].build(masks[i].words);
	}
}

const unsigned char *sim_layout_mask(enum sim_layout layout, size_t *len)
{
	pthread_once(&masks_once, build_all_masks);
	*len = masks[layout].len;
	return (const unsigned char *)masks[layout].words;
}

/* Eight bytes at a time: a firmware command is checked whole on every call (a MODIFY of a DEK
 * is over 600 bytes), and the byte loop was most of the model's time per context setup. */
static uint64_t load64(const unsigned char *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

bool sim_reserved_bits_set(const void *in, size_t len, enum sim_layout layout)
{
	size_t mask_len, i = 0, both;
	const unsigned char *mask = sim_layout_mask(layout, &mask_len);
	const unsigned char *p = in;

	both = len < mask_len ? len : mask_len;
	for (; i + 8 <= both; i += 8)
		if (load64(p + i) & ~load64(mask + i))
			return true;
	for (; i < both; i++)
		if (p[i] & (unsigned char)~mask[i])
			return true;
	/* Bytes past the layout (cannot happen after the length check) count as reserved. */
	return i < len && !sim_bytes_zero(p + i, len - i);
}

bool sim_bytes_zero(const void *p, size_t n)
{
	const unsigned char *b = p;
	size_t i = 0;

	for (; i + 8 <= n; i += 8)
		if (load64(b + i))
			return false;
	for (; i < n; i++)
		if (b[i])
			return false;
	return true;
}
