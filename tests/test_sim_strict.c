/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Device model: reserved bits. The expected "understood field" masks below are written by hand
 * from the fact sheet's byte/mask tables (tls-offload-prm.md 2.1, 3.1, 3.4, 3.6, 4.1, 4.2, 4.3,
 * 4.4, 5.1), not with the ifc layouts, and compared with the masks the model builds; then every bit
 * outside them is set, one at a time, in a mailbox that is otherwise acceptable, and must give
 * BAD_PARAM "reserved bits set".
 */
#include <errno.h>
#include <string.h>

#include "prm/mlx5_ifc_tls.h"
#include "sim/sim.h"
#include "sim/strict.h"
#include "sim/syndromes.h"
#include "sim_test_util.h"
#include "test_util.h"

/* One understood run: `len` bytes from `off` all carry `mask`. */
struct run {
	unsigned off, len;
	uint8_t mask;
};

/* opcode 0..1, uid 2..3, op_mod 6..7 (fact sheet 2.1) */
#define MBOX_HDR { 0, 4, 0xff }, { 6, 2, 0xff }
/* number at bit 0x48: bytes 9..11 (fact sheet 4.2, 4.4) */
#define NUM_AT_9 { 9, 3, 0xff }
/* general object header: opcode, uid, vhca_tunnel_id, obj_type, obj_id = bytes 0..11 (3.1) */
#define GOBJ_HDR { 0, 12, 0xff }
/* tisc at command byte 32 (fact sheet 4.1) */
#define TISC_AT_32                                                                         \
	{ 32, 1, 0xcf }, /* strict_lag 0x80, tls_en 0x40, lag_tx_port_affinity 0x0f */     \
	{ 33, 1, 0x0f }, /* prio */                                                        \
	{ 69, 3, 0xff }, /* transport_domain, tisc bytes 37..39 */                         \
	{ 73, 3, 0xff }, /* underlay_qpn, 41..43 */                                        \
	{ 77, 3, 0xff }  /* pd, 45..47 */
/* tirc at command byte 32 (fact sheet 4.3) */
#define TIRC_AT_32                                                                         \
	{ 36, 1, 0xf8 },  /* disp_type 0xf0, tls_en 0x08 (tirc byte 4) */                   \
	{ 48, 1, 0x0f },  /* lro_timeout_period_usecs from bit 0x84 ... */                  \
	{ 49, 3, 0xff },  /* ... packet_merge_mask, lro_max_ip_payload_size (bytes 17..19) */ \
	{ 61, 3, 0xff },  /* inline_rqn, tirc bytes 29..31 */                               \
	{ 64, 1, 0xa0 },  /* rx_hash_symmetric 0x80, tunneled_offload_en 0x20 */            \
	{ 65, 3, 0xff },  /* indirect_table, 33..35 */                                      \
	{ 68, 1, 0xf3 },  /* rx_hash_fn 0xf0, self_lb_block 0x03 */                         \
	{ 69, 3, 0xff },  /* transport_domain, 37..39 */                                    \
	{ 72, 48, 0xff }  /* Toeplitz key (40), field selectors outer/inner (8), 40..87 */
/* encryption_key_obj at command byte 16 (fact sheet 3.4) */
#define DEK_OBJ_HEAD                                                                       \
	{ 16, 8, 0xff },  /* modify_field_select */                                         \
	{ 24, 1, 0xff },  /* state */                                                       \
	{ 25, 1, 0x80 },  /* sw_wrapped */                                                  \
	{ 26, 1, 0x0f },  /* key_size */                                                    \
	{ 27, 1, 0x8f },  /* has_keytag 0x80, key_purpose 0x0f */                           \
	{ 29, 3, 0xff },  /* pd */                                                          \
	{ 64, 8, 0xff },  /* opaque, object 48..55 */                                       \
	{ 80, 128, 0xff } /* key, object 64..191 */
#define SW_WRAPPED_DEK { 208, 128, 0xff } /* object 192..319 */

struct layout_expect {
	const char *name;
	enum sim_layout layout;
	unsigned len;
	struct run runs[16];
	/* the command to sweep */
	uint16_t opcode;
	uint16_t obj_type;
	unsigned outlen;
};

static const struct layout_expect expects[] = {
	{ "QUERY_HCA_CAP", SIM_LAYOUT_QUERY_HCA_CAP_IN, 16,
	  { MBOX_HDR, { 8, 1, 0xc0 }, { 10, 2, 0xff } }, MLX5_CMD_OP_QUERY_HCA_CAP, 0, 4112 },
	{ "ALLOC_PD", SIM_LAYOUT_ALLOC_PD_IN, 16, { MBOX_HDR }, MLX5_CMD_OP_ALLOC_PD, 0, 16 },
	{ "DEALLOC_PD", SIM_LAYOUT_DEALLOC_PD_IN, 16, { MBOX_HDR, NUM_AT_9 }, MLX5_CMD_OP_DEALLOC_PD,
	  0, 16 },
	{ "ALLOC_TD", SIM_LAYOUT_ALLOC_TD_IN, 16, { MBOX_HDR }, MLX5_CMD_OP_ALLOC_TRANSPORT_DOMAIN, 0,
	  16 },
	{ "DEALLOC_TD", SIM_LAYOUT_DEALLOC_TD_IN, 16, { MBOX_HDR, NUM_AT_9 },
	  MLX5_CMD_OP_DEALLOC_TRANSPORT_DOMAIN, 0, 16 },
	{ "CREATE_TIS", SIM_LAYOUT_CREATE_TIS_IN, 192, { MBOX_HDR, TISC_AT_32 },
	  MLX5_CMD_OP_CREATE_TIS, 0, 16 },
	{ "MODIFY_TIS", SIM_LAYOUT_MODIFY_TIS_IN, 192,
	  { MBOX_HDR, NUM_AT_9, { 23, 1, 0x07 } /* bitmask lag, strict, prio */, TISC_AT_32 },
	  MLX5_CMD_OP_MODIFY_TIS, 0, 16 },
	{ "QUERY_TIS", SIM_LAYOUT_QUERY_TIS_IN, 16, { MBOX_HDR, NUM_AT_9 }, MLX5_CMD_OP_QUERY_TIS, 0,
	  176 },
	{ "DESTROY_TIS", SIM_LAYOUT_DESTROY_TIS_IN, 16, { MBOX_HDR, NUM_AT_9 },
	  MLX5_CMD_OP_DESTROY_TIS, 0, 16 },
	{ "CREATE DEK", SIM_LAYOUT_DEK_CREATE_IN, 528,
	  { GOBJ_HDR, { 12, 1, 0x9f } /* alias 0x80, log_obj_range 0x1f */, DEK_OBJ_HEAD,
	    SW_WRAPPED_DEK },
	  MLX5_CMD_OP_CREATE_GENERAL_OBJECT, 0xc, 16 },
	{ "CREATE DEK (256-byte object)", SIM_LAYOUT_DEK_CREATE_SHORT_IN, 272,
	  { GOBJ_HDR, { 12, 1, 0x9f }, DEK_OBJ_HEAD }, MLX5_CMD_OP_CREATE_GENERAL_OBJECT, 0xc, 16 },
	{ "MODIFY DEK", SIM_LAYOUT_DEK_MODIFY_IN, 528,
	  { GOBJ_HDR, { 12, 4, 0xff } /* alias + obj_offset */, DEK_OBJ_HEAD, SW_WRAPPED_DEK },
	  MLX5_CMD_OP_MODIFY_GENERAL_OBJECT, 0xc, 16 },
	{ "MODIFY DEK (256-byte object)", SIM_LAYOUT_DEK_MODIFY_SHORT_IN, 272,
	  { GOBJ_HDR, { 12, 4, 0xff }, DEK_OBJ_HEAD }, MLX5_CMD_OP_MODIFY_GENERAL_OBJECT, 0xc, 16 },
	{ "QUERY DEK", SIM_LAYOUT_GOBJ_QUERY_IN, 16, { GOBJ_HDR, { 12, 4, 0xff } },
	  MLX5_CMD_OP_QUERY_GENERAL_OBJECT, 0xc, 528 },
	{ "DESTROY DEK", SIM_LAYOUT_GOBJ_DESTROY_IN, 16, { GOBJ_HDR },
	  MLX5_CMD_OP_DESTROY_GENERAL_OBJECT, 0xc, 16 },
	{ "SYNC_CRYPTO", SIM_LAYOUT_SYNC_CRYPTO_IN, 32, { MBOX_HDR, { 14, 2, 0xff } },
	  MLX5_CMD_OP_SYNC_CRYPTO, 0, 16 },
	{ "CREATE_TIR", SIM_LAYOUT_CREATE_TIR_IN, 272, { MBOX_HDR, TIRC_AT_32 },
	  MLX5_CMD_OP_CREATE_TIR, 0, 16 },
	{ "MODIFY_TIR", SIM_LAYOUT_MODIFY_TIR_IN, 272,
	  { MBOX_HDR, NUM_AT_9, { 23, 1, 0x15 } /* bitmask self_lb_en, hash, packet_merge */,
	    TIRC_AT_32 },
	  MLX5_CMD_OP_MODIFY_TIR, 0, 16 },
	{ "QUERY_TIR", SIM_LAYOUT_QUERY_TIR_IN, 16, { MBOX_HDR, NUM_AT_9 }, MLX5_CMD_OP_QUERY_TIR, 0,
	  272 },
	{ "DESTROY_TIR", SIM_LAYOUT_DESTROY_TIR_IN, 16, { MBOX_HDR, NUM_AT_9 },
	  MLX5_CMD_OP_DESTROY_TIR, 0, 16 },
};

#define NUM_EXPECTS (sizeof(expects) / sizeof(expects[0]))

static void expected_mask(const struct layout_expect *e, uint8_t *mask)
{
	memset(mask, 0, 528);
	for (size_t i = 0; i < sizeof(e->runs) / sizeof(e->runs[0]); i++)
		if (e->runs[i].len)
			memset(mask + e->runs[i].off, e->runs[i].mask, e->runs[i].len);
}

static void test_every_layout_listed(void)
{
	int seen[SIM_LAYOUT_COUNT] = { 0 };

	for (size_t i = 0; i < NUM_EXPECTS; i++)
		seen[expects[i].layout]++;
	for (int l = 0; l < SIM_LAYOUT_COUNT; l++)
		CU_ASSERT_EQUAL(seen[l], 1);
}

static void test_masks_match_fact_sheet(void)
{
	uint8_t want[528];

	for (size_t i = 0; i < NUM_EXPECTS; i++) {
		size_t len;
		const unsigned char *mask = sim_layout_mask(expects[i].layout, &len);

		CU_ASSERT_EQUAL(len, expects[i].len);
		expected_mask(&expects[i], want);
		if (test_bytes_differ(expects[i].name, mask, want, expects[i].len))
			CU_FAIL("understood-bit mask differs from the fact sheet");
	}
}

/* Set each reserved bit alone; the model must reject it before looking at anything else. */
static void test_reserved_bit_sweep(void)
{
	struct sim_dev *dev = sim_dev_create(NULL);
	static uint8_t out[4112];
	uint8_t want[528];
	uint16_t uid;

	CU_ASSERT_PTR_NOT_NULL_FATAL(dev);
	CU_ASSERT_EQUAL_FATAL(sim_uctx_alloc(dev, &uid), 0);
	for (size_t i = 0; i < NUM_EXPECTS; i++) {
		const struct layout_expect *e = &expects[i];
		unsigned tried = 0, wrong = 0;

		expected_mask(e, want);
		for (unsigned bit = 0; bit < e->len * 8; bit++) {
			uint32_t in[528 / 4] = { 0 };
			uint8_t *b = (uint8_t *)in;
			int ret;

			if (want[bit / 8] & (0x80 >> (bit % 8)))
				continue;
			DEVX_SET(mbox_in, in, opcode, e->opcode);
			if (e->obj_type)
				DEVX_SET(general_obj_in_cmd_hdr, in, obj_type, e->obj_type);
			b[bit / 8] |= (uint8_t)(0x80 >> (bit % 8));
			ret = sim_cmd_exec(dev, uid, in, e->len, out, e->outlen);
			tried++;
			if (ret != -EREMOTEIO || out[0] != MLX5_CMD_STAT_BAD_PARAM_ERR ||
			    out_syndrome(out) != SIM_SYND_RESERVED_BITS_SET)
				wrong++;
		}
		/* QUERY_GENERAL_OBJECT's 16 bytes are all fields: nothing to sweep there */
		CU_ASSERT(tried > 0 || e->layout == SIM_LAYOUT_GOBJ_QUERY_IN);
		CU_ASSERT_EQUAL(wrong, 0);
	}
	sim_dev_destroy(dev);
}

/* The understood-but-unsupported fields are not reserved: they get their own syndromes. */
static void test_unsupported_fields_not_reserved(void)
{
	struct sim_dev *dev = sim_dev_create(NULL);
	uint32_t in[528 / 4];
	uint8_t out[16];
	uint16_t uid;

	CU_ASSERT_PTR_NOT_NULL_FATAL(dev);
	CU_ASSERT_EQUAL_FATAL(sim_uctx_alloc(dev, &uid), 0);
	memset(in, 0, sizeof(in));
	DEVX_SET(general_obj_in_cmd_hdr, in, opcode, MLX5_CMD_OP_DESTROY_GENERAL_OBJECT);
	DEVX_SET(general_obj_in_cmd_hdr, in, obj_type, 0xc);
	DEVX_SET(general_obj_in_cmd_hdr, in, vhca_tunnel_id, 1);
	CU_ASSERT_EQUAL(sim_cmd_exec(dev, uid, in, 16, out, 16), -EREMOTEIO);
	CU_ASSERT_EQUAL(out[0], MLX5_CMD_STAT_BAD_PARAM_ERR);
	CU_ASSERT_EQUAL(out_syndrome(out), SIM_SYND_VHCA_TUNNEL_ID_SET);

	memset(in, 0, sizeof(in));
	DEVX_SET(general_obj_in_cmd_hdr, in, opcode, MLX5_CMD_OP_QUERY_GENERAL_OBJECT);
	DEVX_SET(general_obj_in_cmd_hdr, in, obj_type, 0xc);
	DEVX_SET(general_obj_in_cmd_hdr, in, op_param.query.alias_object, 1);
	CU_ASSERT_EQUAL(sim_cmd_exec(dev, uid, in, 16, out, 16), -EREMOTEIO); /* wrong outlen */
	CU_ASSERT_EQUAL(out[0], MLX5_CMD_STAT_BAD_OUTP_LEN_ERR);
	CU_ASSERT_EQUAL(out_syndrome(out), SIM_SYND_OUTLEN_MISMATCH);
	{
		static uint8_t qout[528];

		CU_ASSERT_EQUAL(sim_cmd_exec(dev, uid, in, 16, qout, sizeof(qout)), -EREMOTEIO);
		CU_ASSERT_EQUAL(qout[0], MLX5_CMD_STAT_BAD_PARAM_ERR);
		CU_ASSERT_EQUAL(out_syndrome(qout), SIM_SYND_ALIAS_OBJECT_SET);
	}
	/* the 256-byte object has no sw_wrapped_dek: its bytes 192..255 are reserved */
	memset(in, 0, sizeof(in));
	DEVX_SET(general_obj_in_cmd_hdr, in, opcode, MLX5_CMD_OP_CREATE_GENERAL_OBJECT);
	DEVX_SET(general_obj_in_cmd_hdr, in, obj_type, 0xc);
	((uint8_t *)in)[16 + 200] = 1;
	CU_ASSERT_EQUAL(sim_cmd_exec(dev, uid, in, 272, out, 16), -EREMOTEIO);
	CU_ASSERT_EQUAL(out[0], MLX5_CMD_STAT_BAD_PARAM_ERR);
	CU_ASSERT_EQUAL(out_syndrome(out), SIM_SYND_RESERVED_BITS_SET);
	CU_ASSERT_EQUAL(sim_cmd_exec(dev, uid, in, 528, out, 16), -EREMOTEIO);
	CU_ASSERT_EQUAL(out[0], MLX5_CMD_STAT_BAD_PARAM_ERR);
	CU_ASSERT_EQUAL(out_syndrome(out), SIM_SYND_DEK_SW_WRAPPED_SET);
	sim_dev_destroy(dev);
}

static const struct test_case cases[] = {
	{ "every layout listed", test_every_layout_listed },
	{ "masks match the fact sheet", test_masks_match_fact_sheet },
	{ "reserved bit sweep", test_reserved_bit_sweep },
	{ "unsupported fields are not reserved", test_unsupported_fields_not_reserved },
	{ NULL, NULL },
};

static const struct test_suite suites[] = {
	{ "sim reserved bits", NULL, NULL, cases },
	{ NULL, NULL, NULL, NULL },
};

int main(void)
{
	return test_run_suites(suites);
}
