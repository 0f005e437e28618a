/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Command dispatch: find the command, check the mailbox framing (exact lengths, reserved bits,
 * op_mod) the same way for every command, then run its handler: under the device lock, but for
 * the commands that take the narrower locks of what they touch themselves (DEK MODIFY and
 * QUERY, dek.c; the TIR commands, tir.c: RX connections made on different threads do not queue
 * on the device; QUERY_HCA_CAP reads only the fixed profile). The framing checks read only the
 * fixed profile and the caller's buffer; a uid's validity is an atomic bit (dev.c).
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <string.h>

#include "prm/mlx5_ifc_tls.h"
#include "sim/sim_internal.h"
#include "sim/strict.h"

#define SIM_MAX_OUTLEN DEVX_ST_SZ_BYTES(query_hca_cap_out) /* 4112, the largest output */
#define CMD_HDR_LEN DEVX_ST_SZ_BYTES(mbox_in)               /* 16 (fact sheet 2.1) */
#define OUT_HDR_LEN DEVX_ST_SZ_BYTES(mbox_out)              /* 16 */

struct sim_cmd_desc {
	uint16_t opcode;
	/* Accepted sizes; a second value of 0 means "only one". Fact sheet 3.4: a model should
	 * accept both the 512-byte and rdma-core's 256-byte DEK object. */
	uint16_t inlen[2];
	uint16_t outlen[2];
	enum sim_layout layout[2]; /* understood-bit mask for inlen[i] */
	bool op_mod_must_be_zero;
	bool (*in_profile)(const struct sim_profile *prof); /* NULL = every profile */
	int (*handler)(struct sim_cmd *c);
	bool own_locks; /* the handler locks what it uses; not run under dev->lock */
};

static bool profile_has_sync_crypto(const struct sim_profile *prof)
{
	return prof->sync_crypto;
}

#define IN1(t) { DEVX_ST_SZ_BYTES(t), 0 }
#define OUT1(t) { DEVX_ST_SZ_BYTES(t), 0 }
#define DEK_SHORT_LEN \
	(DEVX_ST_SZ_BYTES(general_obj_in_cmd_hdr) + DEVX_ST_SZ_BYTES(encryption_key_obj_short))
#define DEK_QUERY_SHORT_LEN \
	(DEVX_ST_SZ_BYTES(general_obj_out_cmd_hdr) + DEVX_ST_SZ_BYTES(encryption_key_obj_short))

static const struct sim_cmd_desc plain_cmds[] = {
	{ MLX5_CMD_OP_QUERY_HCA_CAP, IN1(query_hca_cap_in), OUT1(query_hca_cap_out),
	  { SIM_LAYOUT_QUERY_HCA_CAP_IN }, false, NULL, sim_cmd_query_hca_cap, false },
	{ MLX5_CMD_OP_ALLOC_PD, IN1(alloc_pd_in), OUT1(alloc_pd_out), { SIM_LAYOUT_ALLOC_PD_IN },
	  true, NULL, sim_cmd_alloc_pd, false },
	{ MLX5_CMD_OP_DEALLOC_PD, IN1(dealloc_pd_in), OUT1(mbox_out), { SIM_LAYOUT_DEALLOC_PD_IN },
	  true, NULL, sim_cmd_dealloc_pd, false },
	{ MLX5_CMD_OP_ALLOC_TRANSPORT_DOMAIN, IN1(alloc_transport_domain_in),
	  OUT1(alloc_transport_domain_out), { SIM_LAYOUT_ALLOC_TD_IN }, true, NULL,
	  sim_cmd_alloc_td, false },
	{ MLX5_CMD_OP_DEALLOC_TRANSPORT_DOMAIN, IN1(dealloc_transport_domain_in), OUT1(mbox_out),
	  { SIM_LAYOUT_DEALLOC_TD_IN }, true, NULL, sim_cmd_dealloc_td, false },
	{ MLX5_CMD_OP_CREATE_TIS, IN1(create_tis_in), OUT1(create_tis_out),
	  { SIM_LAYOUT_CREATE_TIS_IN }, true, NULL, sim_cmd_create_tis, false },
	{ MLX5_CMD_OP_MODIFY_TIS, IN1(modify_tis_in), OUT1(mbox_out), { SIM_LAYOUT_MODIFY_TIS_IN },
	  true, NULL, sim_cmd_modify_tis, false },
	{ MLX5_CMD_OP_DESTROY_TIS, IN1(destroy_tis_in), OUT1(mbox_out),
	  { SIM_LAYOUT_DESTROY_TIS_IN }, true, NULL, sim_cmd_destroy_tis, false },
	{ MLX5_CMD_OP_QUERY_TIS, IN1(query_tis_in), OUT1(query_tis_out), { SIM_LAYOUT_QUERY_TIS_IN },
	  true, NULL, sim_cmd_query_tis, false },
	{ MLX5_CMD_OP_CREATE_TIR, IN1(create_tir_in), OUT1(create_tir_out),
	  { SIM_LAYOUT_CREATE_TIR_IN }, true, NULL, sim_cmd_create_tir, true },
	{ MLX5_CMD_OP_MODIFY_TIR, IN1(modify_tir_in), OUT1(mbox_out), { SIM_LAYOUT_MODIFY_TIR_IN },
	  true, NULL, sim_cmd_modify_tir, true },
	{ MLX5_CMD_OP_DESTROY_TIR, IN1(destroy_tir_in), OUT1(mbox_out),
	  { SIM_LAYOUT_DESTROY_TIR_IN }, true, NULL, sim_cmd_destroy_tir, true },
	{ MLX5_CMD_OP_QUERY_TIR, IN1(query_tir_in), OUT1(query_tir_out), { SIM_LAYOUT_QUERY_TIR_IN },
	  true, NULL, sim_cmd_query_tir, true },
	{ MLX5_CMD_OP_SYNC_CRYPTO, IN1(sync_crypto_in), OUT1(sync_crypto_out),
	  { SIM_LAYOUT_SYNC_CRYPTO_IN }, true, profile_has_sync_crypto, sim_cmd_sync_crypto, false },
};

/* General-object commands on obj_type 0xc (DEK); the header has no op_mod (fact sheet 3.1). */
static const struct sim_cmd_desc dek_cmds[] = {
	{ MLX5_CMD_OP_CREATE_GENERAL_OBJECT, { DEVX_ST_SZ_BYTES(create_encryption_key_in), DEK_SHORT_LEN },
	  OUT1(general_obj_out_cmd_hdr), { SIM_LAYOUT_DEK_CREATE_IN, SIM_LAYOUT_DEK_CREATE_SHORT_IN },
	  false, NULL, sim_cmd_create_dek, false },
	{ MLX5_CMD_OP_MODIFY_GENERAL_OBJECT, { DEVX_ST_SZ_BYTES(modify_encryption_key_in), DEK_SHORT_LEN },
	  OUT1(general_obj_out_cmd_hdr), { SIM_LAYOUT_DEK_MODIFY_IN, SIM_LAYOUT_DEK_MODIFY_SHORT_IN },
	  false, NULL, sim_cmd_modify_dek, true },
	{ MLX5_CMD_OP_QUERY_GENERAL_OBJECT, IN1(general_obj_in_cmd_hdr),
	  { DEVX_ST_SZ_BYTES(query_encryption_key_out), DEK_QUERY_SHORT_LEN },
	  { SIM_LAYOUT_GOBJ_QUERY_IN }, false, NULL, sim_cmd_query_dek, true },
	{ MLX5_CMD_OP_DESTROY_GENERAL_OBJECT, IN1(general_obj_in_cmd_hdr),
	  OUT1(general_obj_out_cmd_hdr), { SIM_LAYOUT_GOBJ_DESTROY_IN }, false, NULL,
	  sim_cmd_destroy_dek, false },
};

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

int sim_reject(struct sim_cmd *c, enum sim_syndrome synd)
{
	const struct sim_syndrome_info *info = sim_syndrome_info(synd);

	/* Every syndrome the model uses is in the table; INT_ERR flags a model bug loudly. */
	c->status = info ? info->status : MLX5_CMD_STAT_INT_ERR;
	c->syndrome = synd;
	return -1;
}

static bool is_general_object_op(uint16_t opcode)
{
	return opcode >= MLX5_CMD_OP_CREATE_GENERAL_OBJECT &&
	       opcode <= MLX5_CMD_OP_DESTROY_GENERAL_OBJECT;
}

/* Find the command for the 16-byte header `hdr`; NULL after a rejection. */
static const struct sim_cmd_desc *lookup_cmd(struct sim_cmd *c, const void *hdr)
{
	uint16_t opcode = DEVX_GET(mbox_in, hdr, opcode);

	if (is_general_object_op(opcode)) {
		/* The object layout, hence the lengths, depend on obj_type (fact sheet 3.3). */
		uint16_t obj_type = DEVX_GET(general_obj_in_cmd_hdr, hdr, obj_type);

		if (obj_type != MLX5_GENERAL_OBJECT_TYPES_ENCRYPTION_KEY) {
			sim_reject(c, SIM_SYND_OBJ_TYPE_UNKNOWN);
			return NULL;
		}
		/* Fact sheet 3.3: drivers refuse DEKs when general_obj_types lacks bit 12; a card
		 * without it has no such object. */
		if (!c->dev->prof.dek_type) {
			sim_reject(c, SIM_SYND_OBJ_TYPE_UNSUPPORTED);
			return NULL;
		}
		for (size_t i = 0; i < ARRAY_LEN(dek_cmds); i++)
			if (dek_cmds[i].opcode == opcode)
				return &dek_cmds[i];
	}
	for (size_t i = 0; i < ARRAY_LEN(plain_cmds); i++) {
		if (plain_cmds[i].opcode != opcode)
			continue;
		/* An opcode the profile's firmware predates is as unknown to it as any other. */
		if (plain_cmds[i].in_profile && !plain_cmds[i].in_profile(&c->dev->prof)) {
			sim_reject(c, SIM_SYND_OPCODE_NOT_IN_PROFILE);
			return NULL;
		}
		return &plain_cmds[i];
	}
	sim_reject(c, SIM_SYND_OPCODE_UNKNOWN);
	return NULL;
}

static int match_len(const uint16_t lens[2], size_t len)
{
	if (len == lens[0])
		return 0;
	if (lens[1] && len == lens[1])
		return 1;
	return -1;
}

/* The uid, the private copy's reserved bits and op_mod, then the handler. */
static void run_checked(struct sim_cmd *c, const struct sim_cmd_desc *desc, int in_variant,
			const void *user_in, void *inbuf)
{
	/* Model choice: uid 0 is the kernel's own context (fact sheet 2.1: "kernel commands use
	 * 0"), always valid; any other uid must have been handed out by sim_uctx_alloc. */
	if (!sim_uid_valid(c->dev, c->uid)) {
		sim_reject(c, SIM_SYND_UID_INVALID);
		return;
	}
	memcpy(inbuf, user_in, c->inlen);
	c->in = inbuf;
	if (sim_reserved_bits_set(c->in, c->inlen, desc->layout[in_variant])) {
		sim_reject(c, SIM_SYND_RESERVED_BITS_SET);
		return;
	}
	if (desc->op_mod_must_be_zero && DEVX_GET(mbox_in, c->in, op_mod)) {
		sim_reject(c, SIM_SYND_OP_MOD_NOT_ZERO);
		return;
	}
	desc->handler(c);
}

/* Everything between "the caller handed us a mailbox" and the handler's own checks. */
static void run_cmd(struct sim_cmd *c, const void *user_in, void *inbuf)
{
	uint64_t hdr[CMD_HDR_LEN / 8];
	const struct sim_cmd_desc *desc;
	int in_variant;

	if (c->inlen < CMD_HDR_LEN) {
		sim_reject(c, SIM_SYND_CMD_TOO_SHORT);
		return;
	}
	memcpy(hdr, user_in, sizeof(hdr));
	desc = lookup_cmd(c, hdr);
	if (!desc)
		return;
	in_variant = match_len(desc->inlen, c->inlen);
	if (in_variant < 0) {
		sim_reject(c, SIM_SYND_INLEN_MISMATCH);
		return;
	}
	if (match_len(desc->outlen, c->outlen) < 0) {
		sim_reject(c, SIM_SYND_OUTLEN_MISMATCH);
		return;
	}
	if (!desc->own_locks)
		pthread_mutex_lock(&c->dev->lock);
	run_checked(c, desc, in_variant, user_in, inbuf);
	if (!desc->own_locks)
		pthread_mutex_unlock(&c->dev->lock);
}

int sim_cmd_exec(struct sim_dev *dev, uint16_t uid, const void *in, size_t inlen, void *out,
		 size_t outlen)
{
	uint64_t inbuf[SIM_MAX_INLEN / 8];
	uint64_t outbuf[(SIM_MAX_OUTLEN + 7) / 8];
	struct sim_cmd c = {
		.dev = dev,
		.uid = uid,
		.inlen = inlen,
		.out = outbuf,
		.outlen = outlen,
	};
	unsigned int slot;

	if (!dev || !in || !out || outlen < OUT_HDR_LEN)
		return -EINVAL;
	memset(out, 0, outlen);
	/* Handlers write at most the command's exact output size, which is <= outlen. */
	memset(outbuf, 0, outlen < sizeof(outbuf) ? outlen : sizeof(outbuf));

	slot = thread_slot();
	atomic_fetch_add_explicit(&dev->cmd_rows[slot].cmds, 1, memory_order_relaxed);
	run_cmd(&c, in, inbuf);
	if (c.status)
		atomic_fetch_add_explicit(&dev->cmd_rows[slot].errors, 1, memory_order_relaxed);

	/* The copy may hold key material (fact sheet 3.4: the kernel wipes its mailbox too). */
	explicit_bzero(inbuf, sizeof(inbuf));

	if (c.status == MLX5_CMD_STAT_OK) {
		/* outlen was checked against the command, so it fits outbuf. */
		memcpy(out, outbuf, outlen);
		return 0;
	}
	/* A rejection returns the header only; whatever the handler wrote before it is dropped. */
	memset(outbuf, 0, OUT_HDR_LEN);
	DEVX_SET(mbox_out, outbuf, status, c.status);
	DEVX_SET(mbox_out, outbuf, syndrome, c.syndrome);
	memcpy(out, outbuf, OUT_HDR_LEN);
	return -EREMOTEIO;
}
