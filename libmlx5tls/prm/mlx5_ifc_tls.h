/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * PRM layouts used by libmlx5tls, written as `mlx5_ifc_*_bits` structs for rdma-core's
 * DEVX_SET/DEVX_GET/DEVX_ADDR_OF/DEVX_ST_SZ_BYTES (<infiniband/mlx5dv.h>). Each member is a u8
 * array whose length is the field width in bits, so offsetof() is the PRM bit offset.
 *
 * Offsets and widths: ../shared/prm/tls-offload-prm.md (section numbers cited per struct). Only
 * what the project uses is named; everything else is reserved_at_<bit offset>. No logic here.
 * rdma-core installs no mlx5_ifc.h (prm/devx-userspace.md A8), so these are our own definitions.
 */
#ifndef MLX5TLS_PRM_IFC_TLS_H
#define MLX5TLS_PRM_IFC_TLS_H

#include <stdint.h>
#include <infiniband/mlx5dv.h>

typedef uint8_t u8;

/* Command opcodes (fact sheet 2.3). */
enum {
	MLX5_CMD_OP_QUERY_HCA_CAP = 0x100,
	MLX5_CMD_OP_ALLOC_PD = 0x800,
	MLX5_CMD_OP_DEALLOC_PD = 0x801,
	MLX5_CMD_OP_ALLOC_TRANSPORT_DOMAIN = 0x816,
	MLX5_CMD_OP_DEALLOC_TRANSPORT_DOMAIN = 0x817,
	MLX5_CMD_OP_CREATE_TIR = 0x900,
	MLX5_CMD_OP_MODIFY_TIR = 0x901,
	MLX5_CMD_OP_DESTROY_TIR = 0x902,
	MLX5_CMD_OP_QUERY_TIR = 0x903,
	MLX5_CMD_OP_CREATE_TIS = 0x912,
	MLX5_CMD_OP_MODIFY_TIS = 0x913,
	MLX5_CMD_OP_DESTROY_TIS = 0x914,
	MLX5_CMD_OP_QUERY_TIS = 0x915,
	MLX5_CMD_OP_CREATE_GENERAL_OBJECT = 0xa00,
	MLX5_CMD_OP_MODIFY_GENERAL_OBJECT = 0xa01,
	MLX5_CMD_OP_QUERY_GENERAL_OBJECT = 0xa02,
	MLX5_CMD_OP_DESTROY_GENERAL_OBJECT = 0xa03,
	MLX5_CMD_OP_SYNC_CRYPTO = 0xb12,
};

/* Command status codes (fact sheet 2.2). */
enum {
	MLX5_CMD_STAT_OK = 0x0,
	MLX5_CMD_STAT_INT_ERR = 0x1,
	MLX5_CMD_STAT_BAD_OP_ERR = 0x2,
	MLX5_CMD_STAT_BAD_PARAM_ERR = 0x3,
	MLX5_CMD_STAT_BAD_SYS_STATE_ERR = 0x4,
	MLX5_CMD_STAT_BAD_RES_ERR = 0x5,
	MLX5_CMD_STAT_RES_BUSY = 0x6,
	MLX5_CMD_STAT_NOT_READY = 0x7,
	MLX5_CMD_STAT_LIM_ERR = 0x8,
	MLX5_CMD_STAT_BAD_RES_STATE_ERR = 0x9,
	MLX5_CMD_STAT_IX_ERR = 0xa,
	MLX5_CMD_STAT_NO_RES_ERR = 0xf,
	MLX5_CMD_STAT_BAD_QP_STATE_ERR = 0x10,
	MLX5_CMD_STAT_BAD_PKT_ERR = 0x30,
	MLX5_CMD_STAT_BAD_SIZE_OUTS_CQES_ERR = 0x40,
	MLX5_CMD_STAT_BAD_INP_LEN_ERR = 0x50,
	MLX5_CMD_STAT_BAD_OUTP_LEN_ERR = 0x51,
};

/* QUERY_HCA_CAP op_mod = (cap_type << 1) | cur (fact sheet 5.1). */
enum {
	MLX5_CAP_TYPE_GENERAL = 0x0,
	MLX5_CAP_TYPE_TLS = 0x11,
	MLX5_CAP_TYPE_CRYPTO = 0x1a,
};

enum {
	MLX5_HCA_CAP_OPMOD_GET_MAX = 0,
	MLX5_HCA_CAP_OPMOD_GET_CUR = 1,
};

/* General object types and DEK enums (fact sheet 3.3, 3.4). */
enum {
	MLX5_GENERAL_OBJECT_TYPES_ENCRYPTION_KEY = 0xc,
};

enum {
	MLX5_ENCRYPTION_KEY_OBJ_KEY_SIZE_128 = 0x0,
	MLX5_ENCRYPTION_KEY_OBJ_KEY_SIZE_256 = 0x1,
};

enum {
	MLX5_ENCRYPTION_KEY_OBJ_KEY_PURPOSE_TLS = 0x1,
};

/* encryption_key_obj.state: rdma-core's private ifc names READY 0 / ERROR 1 (devx-userspace A10). */
enum {
	MLX5_ENCRYPTION_KEY_OBJ_STATE_READY = 0x0,
	MLX5_ENCRYPTION_KEY_OBJ_STATE_ERROR = 0x1,
};

/* SYNC_CRYPTO crypto_type is a bit mask in the kernel's reading (fact sheet 3.6). */
enum {
	MLX5_SYNC_CRYPTO_TYPE_ALL = 0x1,
	MLX5_SYNC_CRYPTO_TYPE_TLS = 0x2, /* BIT(key_purpose TLS) */
};

/* ---- generic command headers (fact sheet 2.1) ---- */

struct mlx5_ifc_mbox_in_bits {
	u8 opcode[0x10];
	u8 uid[0x10];
	u8 reserved_at_20[0x10];
	u8 op_mod[0x10];
	u8 reserved_at_40[0x40];
};

struct mlx5_ifc_mbox_out_bits {
	u8 status[0x8];
	u8 reserved_at_8[0x18];
	u8 syndrome[0x20];
	u8 reserved_at_40[0x40];
};

/* Commands that return one 24-bit object number at bit 0x48 (ALLOC_PD, ALLOC_TD, CREATE_TIS). */
struct mlx5_ifc_obj_num_out_bits {
	u8 status[0x8];
	u8 reserved_at_8[0x18];
	u8 syndrome[0x20];
	u8 reserved_at_40[0x8];
	u8 obj_num[0x18];
	u8 reserved_at_60[0x20];
};

/* Commands that address one 24-bit object number at bit 0x48 (DEALLOC_PD/TD, DESTROY/QUERY_TIS). */
struct mlx5_ifc_obj_num_in_bits {
	u8 opcode[0x10];
	u8 uid[0x10];
	u8 reserved_at_20[0x10];
	u8 op_mod[0x10];
	u8 reserved_at_40[0x8];
	u8 obj_num[0x18];
	u8 reserved_at_60[0x20];
};

/* ---- QUERY_HCA_CAP (fact sheet 5) ---- */

struct mlx5_ifc_query_hca_cap_in_bits {
	u8 opcode[0x10];
	u8 uid[0x10];
	u8 reserved_at_20[0x10];
	u8 op_mod[0x10];
	u8 other_function[0x1];
	u8 ec_vf_function[0x1];
	u8 reserved_at_42[0xe];
	u8 function_id[0x10];
	u8 reserved_at_60[0x20];
};

/* cmd_hca_cap: only the fields this project reads (fact sheet 5.2); 0x800 bits (256 bytes) as in
 * the kernel's mlx5_ifc.h, inside the 0x8000-bit capability union of QUERY_HCA_CAP. */
struct mlx5_ifc_cmd_hca_cap_bits {
	u8 reserved_at_0[0x323];
	u8 log_max_transport_domain[0x5];
	u8 reserved_at_328[0x3];
	u8 log_max_pd[0x5];
	u8 reserved_at_330[0x43];
	u8 log_max_tir[0x5];
	u8 reserved_at_378[0x3];
	u8 log_max_tis[0x5];
	u8 reserved_at_380[0x80];
	u8 general_obj_types[0x40];
	u8 reserved_at_440[0x29];
	u8 crypto[0x1];
	u8 ipsec_offload[0x1];
	u8 reserved_at_46b[0x16];
	u8 tls_tx[0x1];
	u8 tls_rx[0x1];
	u8 reserved_at_483[0x130];
	u8 log_max_dek[0x5];
	u8 reserved_at_5b8[0x248];
};

/* tls_cap (fact sheet 5.3). */
struct mlx5_ifc_tls_cap_bits {
	u8 tls_1_2_aes_gcm_128[0x1];
	u8 tls_1_3_aes_gcm_128[0x1];
	u8 tls_1_2_aes_gcm_256[0x1];
	u8 tls_1_3_aes_gcm_256[0x1];
	u8 reserved_at_4[0x1c];
	u8 reserved_at_20[0x7e0];
};

/* crypto_cap (fact sheet 5.4). */
struct mlx5_ifc_crypto_cap_bits {
	u8 reserved_at_0[0x3];
	u8 synchronize_dek[0x1];
	u8 int_kek_manual[0x1];
	u8 int_kek_auto[0x1];
	u8 reserved_at_6[0x1a];
	u8 reserved_at_20[0x3];
	u8 log_dek_max_alloc[0x5];
	u8 reserved_at_28[0x3];
	u8 log_max_num_deks[0x5];
	u8 reserved_at_30[0x10];
	u8 reserved_at_40[0x20];
	u8 reserved_at_60[0x3];
	u8 log_dek_granularity[0x5];
	u8 reserved_at_68[0x3];
	u8 log_max_num_int_kek[0x5];
	u8 sw_wrapped_dek[0x10];
	u8 reserved_at_80[0x780];
};

union mlx5_ifc_hca_cap_union_bits {
	struct mlx5_ifc_cmd_hca_cap_bits cmd_hca_cap;
	struct mlx5_ifc_tls_cap_bits tls_cap;
	struct mlx5_ifc_crypto_cap_bits crypto_cap;
	u8 reserved_at_0[0x8000];
};

struct mlx5_ifc_query_hca_cap_out_bits {
	u8 status[0x8];
	u8 reserved_at_8[0x18];
	u8 syndrome[0x20];
	u8 reserved_at_40[0x40];
	union mlx5_ifc_hca_cap_union_bits capability;
};

/* ---- PD / transport domain (fact sheet 4.4) ---- */

struct mlx5_ifc_alloc_pd_in_bits {
	u8 opcode[0x10];
	u8 uid[0x10];
	u8 reserved_at_20[0x10];
	u8 op_mod[0x10];
	u8 reserved_at_40[0x40];
};

struct mlx5_ifc_alloc_pd_out_bits {
	u8 status[0x8];
	u8 reserved_at_8[0x18];
	u8 syndrome[0x20];
	u8 reserved_at_40[0x8];
	u8 pd[0x18];
	u8 reserved_at_60[0x20];
};

struct mlx5_ifc_dealloc_pd_in_bits {
	u8 opcode[0x10];
	u8 uid[0x10];
	u8 reserved_at_20[0x10];
	u8 op_mod[0x10];
	u8 reserved_at_40[0x8];
	u8 pd[0x18];
	u8 reserved_at_60[0x20];
};

struct mlx5_ifc_alloc_transport_domain_in_bits {
	u8 opcode[0x10];
	u8 uid[0x10];
	u8 reserved_at_20[0x10];
	u8 op_mod[0x10];
	u8 reserved_at_40[0x40];
};

struct mlx5_ifc_alloc_transport_domain_out_bits {
	u8 status[0x8];
	u8 reserved_at_8[0x18];
	u8 syndrome[0x20];
	u8 reserved_at_40[0x8];
	u8 transport_domain[0x18];
	u8 reserved_at_60[0x20];
};

struct mlx5_ifc_dealloc_transport_domain_in_bits {
	u8 opcode[0x10];
	u8 uid[0x10];
	u8 reserved_at_20[0x10];
	u8 op_mod[0x10];
	u8 reserved_at_40[0x8];
	u8 transport_domain[0x18];
	u8 reserved_at_60[0x20];
};

/* ---- TIS (fact sheet 4.1, 4.2) ---- */

struct mlx5_ifc_tisc_bits {
	u8 strict_lag_tx_port_affinity[0x1];
	u8 tls_en[0x1];
	u8 reserved_at_2[0x2];
	u8 lag_tx_port_affinity[0x4];
	u8 reserved_at_8[0x4];
	u8 prio[0x4];
	u8 reserved_at_10[0x10];
	u8 reserved_at_20[0x100];
	u8 reserved_at_120[0x8];
	u8 transport_domain[0x18];
	u8 reserved_at_140[0x8];
	u8 underlay_qpn[0x18];
	u8 reserved_at_160[0x8];
	u8 pd[0x18];
	u8 reserved_at_180[0x380];
};

struct mlx5_ifc_create_tis_in_bits {
	u8 opcode[0x10];
	u8 uid[0x10];
	u8 reserved_at_20[0x10];
	u8 op_mod[0x10];
	u8 reserved_at_40[0xc0];
	struct mlx5_ifc_tisc_bits ctx;
};

struct mlx5_ifc_create_tis_out_bits {
	u8 status[0x8];
	u8 reserved_at_8[0x18];
	u8 syndrome[0x20];
	u8 reserved_at_40[0x8];
	u8 tisn[0x18];
	u8 reserved_at_60[0x20];
};

struct mlx5_ifc_destroy_tis_in_bits {
	u8 opcode[0x10];
	u8 uid[0x10];
	u8 reserved_at_20[0x10];
	u8 op_mod[0x10];
	u8 reserved_at_40[0x8];
	u8 tisn[0x18];
	u8 reserved_at_60[0x20];
};

struct mlx5_ifc_query_tis_in_bits {
	u8 opcode[0x10];
	u8 uid[0x10];
	u8 reserved_at_20[0x10];
	u8 op_mod[0x10];
	u8 reserved_at_40[0x8];
	u8 tisn[0x18];
	u8 reserved_at_60[0x20];
};

struct mlx5_ifc_query_tis_out_bits {
	u8 status[0x8];
	u8 reserved_at_8[0x18];
	u8 syndrome[0x20];
	u8 reserved_at_40[0x40];
	struct mlx5_ifc_tisc_bits tis_context;
};

/* MODIFY_TIS: only prio and the LAG affinity bits are modifiable (kernel mlx5_ifc.h). */
struct mlx5_ifc_modify_tis_bitmask_bits {
	u8 reserved_at_0[0x20];
	u8 reserved_at_20[0x1d];
	u8 lag_tx_port_affinity[0x1];
	u8 strict_lag_tx_port_affinity[0x1];
	u8 prio[0x1];
};

struct mlx5_ifc_modify_tis_in_bits {
	u8 opcode[0x10];
	u8 uid[0x10];
	u8 reserved_at_20[0x10];
	u8 op_mod[0x10];
	u8 reserved_at_40[0x8];
	u8 tisn[0x18];
	u8 reserved_at_60[0x20];
	struct mlx5_ifc_modify_tis_bitmask_bits bitmask;
	u8 reserved_at_c0[0x40];
	struct mlx5_ifc_tisc_bits ctx;
};

/* ---- TIR (fact sheet 4.3; kernel mlx5_ifc.h for the query/modify layouts) ---- */

enum {
	MLX5_TIRC_DISP_TYPE_DIRECT = 0x0,
	MLX5_TIRC_DISP_TYPE_INDIRECT = 0x1,
};

enum {
	MLX5_RX_HASH_FN_NONE = 0x0,
	MLX5_RX_HASH_FN_INVERTED_XOR8 = 0x1,
	MLX5_RX_HASH_FN_TOEPLITZ = 0x2,
};

enum {
	MLX5_TIRC_SELF_LB_BLOCK_BLOCK_UNICAST = 0x1,
	MLX5_TIRC_SELF_LB_BLOCK_BLOCK_MULTICAST = 0x2,
};

struct mlx5_ifc_rx_hash_field_select_bits {
	u8 l3_prot_type[0x1];
	u8 l4_prot_type[0x1];
	u8 selected_fields[0x1e];
};

struct mlx5_ifc_tirc_bits {
	u8 reserved_at_0[0x20];
	u8 disp_type[0x4];
	u8 tls_en[0x1];
	u8 reserved_at_25[0x1b];
	u8 reserved_at_40[0x40];
	u8 reserved_at_80[0x4];
	u8 lro_timeout_period_usecs[0x10];
	u8 packet_merge_mask[0x4];
	u8 lro_max_ip_payload_size[0x8];
	u8 reserved_at_a0[0x40];
	u8 reserved_at_e0[0x8];
	u8 inline_rqn[0x18];
	u8 rx_hash_symmetric[0x1];
	u8 reserved_at_101[0x1];
	u8 tunneled_offload_en[0x1];
	u8 reserved_at_103[0x5];
	u8 indirect_table[0x18];
	u8 rx_hash_fn[0x4];
	u8 reserved_at_124[0x2];
	u8 self_lb_block[0x2];
	u8 transport_domain[0x18];
	u8 rx_hash_toeplitz_key[10][0x20];
	struct mlx5_ifc_rx_hash_field_select_bits rx_hash_field_selector_outer;
	struct mlx5_ifc_rx_hash_field_select_bits rx_hash_field_selector_inner;
	u8 reserved_at_2c0[0x4c0];
};

struct mlx5_ifc_create_tir_in_bits {
	u8 opcode[0x10];
	u8 uid[0x10];
	u8 reserved_at_20[0x10];
	u8 op_mod[0x10];
	u8 reserved_at_40[0xc0];
	struct mlx5_ifc_tirc_bits ctx;
};

/* The icm_address pieces share the header words with status/syndrome (fact sheet 4.3). */
struct mlx5_ifc_create_tir_out_bits {
	u8 status[0x8];
	u8 icm_address_63_40[0x18];
	u8 syndrome[0x20];
	u8 icm_address_39_32[0x8];
	u8 tirn[0x18];
	u8 icm_address_31_0[0x20];
};

struct mlx5_ifc_destroy_tir_in_bits {
	u8 opcode[0x10];
	u8 uid[0x10];
	u8 reserved_at_20[0x10];
	u8 op_mod[0x10];
	u8 reserved_at_40[0x8];
	u8 tirn[0x18];
	u8 reserved_at_60[0x20];
};

/* The kernel names bits 0x10..0x1f reserved here; DevX writes the uid there as for every command
 * (devx-userspace A2), so it is named uid as in query_tis_in. */
struct mlx5_ifc_query_tir_in_bits {
	u8 opcode[0x10];
	u8 uid[0x10];
	u8 reserved_at_20[0x10];
	u8 op_mod[0x10];
	u8 reserved_at_40[0x8];
	u8 tirn[0x18];
	u8 reserved_at_60[0x20];
};

struct mlx5_ifc_query_tir_out_bits {
	u8 status[0x8];
	u8 reserved_at_8[0x18];
	u8 syndrome[0x20];
	u8 reserved_at_40[0xc0];
	struct mlx5_ifc_tirc_bits tir_context;
};

struct mlx5_ifc_modify_tir_bitmask_bits {
	u8 reserved_at_0[0x20];
	u8 reserved_at_20[0x1b];
	u8 self_lb_en[0x1];
	u8 reserved_at_3c[0x1];
	u8 hash[0x1];
	u8 reserved_at_3e[0x1];
	u8 packet_merge[0x1];
};

struct mlx5_ifc_modify_tir_in_bits {
	u8 opcode[0x10];
	u8 uid[0x10];
	u8 reserved_at_20[0x10];
	u8 op_mod[0x10];
	u8 reserved_at_40[0x8];
	u8 tirn[0x18];
	u8 reserved_at_60[0x20];
	struct mlx5_ifc_modify_tir_bitmask_bits bitmask;
	u8 reserved_at_c0[0x40];
	struct mlx5_ifc_tirc_bits ctx;
};

/* ---- steering match (kernel mlx5_ifc.h fte_match_set_lyr_2_4; rdma-core
 * mlx5dv_create_flow_matcher(3): match_mask/match_value are an fte_match_param, whose first
 * 0x200 bits are the outer headers, selected by match_criteria_enable bit 0) ---- */

enum {
	MLX5_MATCH_OUTER_HEADERS = 1u << 0,
};

/* The two address unions (ipv6_layout / ipv4_layout) are 16 bytes each; an IPv4 address is the
 * last 4 of them (ipv4_layout.reserved_at_0[0x60], ipv4[0x20]). */
struct mlx5_ifc_fte_match_set_lyr_2_4_bits {
	u8 smac_47_16[0x20];
	u8 smac_15_0[0x10];
	u8 ethertype[0x10];
	u8 dmac_47_16[0x20];
	u8 dmac_15_0[0x10];
	u8 first_prio[0x3];
	u8 first_cfi[0x1];
	u8 first_vid[0xc];
	u8 ip_protocol[0x8];
	u8 ip_dscp[0x6];
	u8 ip_ecn[0x2];
	u8 cvlan_tag[0x1];
	u8 svlan_tag[0x1];
	u8 frag[0x1];
	u8 ip_version[0x4];
	u8 tcp_flags[0x9];
	u8 tcp_sport[0x10];
	u8 tcp_dport[0x10];
	u8 reserved_at_c0[0x10];
	u8 ipv4_ihl[0x4];
	u8 reserved_at_d4[0x4];
	u8 ttl_hoplimit[0x8];
	u8 udp_sport[0x10];
	u8 udp_dport[0x10];
	u8 src_ipv4_src_ipv6[0x80];
	u8 dst_ipv4_dst_ipv6[0x80];
};

/* ---- general objects (fact sheet 3.1, 3.2) ---- */

struct mlx5_ifc_general_obj_create_param_bits {
	u8 alias_object[0x1];
	u8 reserved_at_1[0x2];
	u8 log_obj_range[0x5];
	u8 reserved_at_8[0x18];
};

struct mlx5_ifc_general_obj_query_param_bits {
	u8 alias_object[0x1];
	u8 obj_offset[0x1f];
};

union mlx5_ifc_general_obj_op_param_bits {
	struct mlx5_ifc_general_obj_create_param_bits create;
	struct mlx5_ifc_general_obj_query_param_bits query;
	u8 reserved_at_0[0x20];
};

struct mlx5_ifc_general_obj_in_cmd_hdr_bits {
	u8 opcode[0x10];
	u8 uid[0x10];
	u8 vhca_tunnel_id[0x10];
	u8 obj_type[0x10];
	u8 obj_id[0x20];
	union mlx5_ifc_general_obj_op_param_bits op_param;
};

struct mlx5_ifc_general_obj_out_cmd_hdr_bits {
	u8 status[0x8];
	u8 reserved_at_8[0x18];
	u8 syndrome[0x20];
	u8 obj_id[0x20];
	u8 reserved_at_60[0x20];
};

/*
 * encryption_key_obj, 512 bytes (fact sheet 3.4). has_keytag at 0x58 is rdma-core's/DPCP's name
 * for a bit the kernel leaves reserved; TLS keys keep it 0.
 */
struct mlx5_ifc_encryption_key_obj_bits {
	u8 modify_field_select[0x40];
	u8 state[0x8];
	u8 sw_wrapped[0x1];
	u8 reserved_at_49[0xb];
	u8 key_size[0x4];
	u8 has_keytag[0x1];
	u8 reserved_at_59[0x3];
	u8 key_purpose[0x4];
	u8 reserved_at_60[0x8];
	u8 pd[0x18];
	u8 reserved_at_80[0x100];
	u8 opaque[0x40];
	u8 reserved_at_1c0[0x40];
	u8 key[8][0x80];
	u8 sw_wrapped_dek[8][0x80];
	u8 reserved_at_a00[0x600];
};

/* The 256-byte object payload of rdma-core's and pre-2023 kernels' layout (fact sheet 3.4). */
struct mlx5_ifc_encryption_key_obj_short_bits {
	u8 head[0x200];
	u8 key[0x400];
	u8 reserved_at_600[0x200];
};

struct mlx5_ifc_create_encryption_key_in_bits {
	struct mlx5_ifc_general_obj_in_cmd_hdr_bits hdr;
	struct mlx5_ifc_encryption_key_obj_bits obj;
};

struct mlx5_ifc_modify_encryption_key_in_bits {
	struct mlx5_ifc_general_obj_in_cmd_hdr_bits hdr;
	struct mlx5_ifc_encryption_key_obj_bits obj;
};

struct mlx5_ifc_query_encryption_key_out_bits {
	struct mlx5_ifc_general_obj_out_cmd_hdr_bits hdr;
	struct mlx5_ifc_encryption_key_obj_bits obj;
};

/* ---- SYNC_CRYPTO (fact sheet 3.6) ---- */

struct mlx5_ifc_sync_crypto_in_bits {
	u8 opcode[0x10];
	u8 uid[0x10];
	u8 reserved_at_20[0x10];
	u8 op_mod[0x10];
	u8 reserved_at_40[0x20];
	u8 reserved_at_60[0x10];
	u8 crypto_type[0x10];
	u8 reserved_at_80[0x80];
};

struct mlx5_ifc_sync_crypto_out_bits {
	u8 status[0x8];
	u8 reserved_at_8[0x18];
	u8 syndrome[0x20];
	u8 reserved_at_40[0x40];
};

/* ---- TLS static / progress parameters (fact sheet 6, 7) ---- */

enum {
	MLX5_STATIC_PARAMS_TLS_VERSION_1_2 = 0x2,
	MLX5_STATIC_PARAMS_TLS_VERSION_1_3 = 0x3,
	MLX5_STATIC_PARAMS_ENCRYPTION_STANDARD_TLS = 0x1,
};

struct mlx5_ifc_tls_static_params_bits {
	u8 const_2[0x2];
	u8 tls_version[0x4];
	u8 const_1[0x2];
	u8 reserved_at_8[0x14];
	u8 encryption_standard[0x4];
	u8 reserved_at_20[0x20];
	u8 initial_record_number[0x40];
	u8 resync_tcp_sn[0x20];
	u8 gcm_iv[0x20];
	u8 implicit_iv[0x40];
	u8 reserved_at_100[0x8];
	u8 dek_index[0x18];
	u8 reserved_at_120[0xe0];
};

enum {
	MLX5_TLS_PROGRESS_PARAMS_RECORD_TRACKER_STATE_START = 0,
	MLX5_TLS_PROGRESS_PARAMS_RECORD_TRACKER_STATE_TRACKING = 1,
	MLX5_TLS_PROGRESS_PARAMS_RECORD_TRACKER_STATE_SEARCHING = 2,
};

enum {
	MLX5_TLS_PROGRESS_PARAMS_AUTH_STATE_NO_OFFLOAD = 0,
	MLX5_TLS_PROGRESS_PARAMS_AUTH_STATE_OFFLOAD = 1,
	MLX5_TLS_PROGRESS_PARAMS_AUTH_STATE_AUTHENTICATION = 2,
};

struct mlx5_ifc_tls_progress_params_bits {
	u8 next_record_tcp_sn[0x20];
	u8 hw_resync_tcp_sn[0x20];
	u8 record_tracker_state[0x2];
	u8 auth_state[0x2];
	u8 reserved_at_44[0x4];
	u8 hw_offset_record_number[0x18];
};

#endif /* MLX5TLS_PRM_IFC_TLS_H */
