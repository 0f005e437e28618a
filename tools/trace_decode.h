/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Field-level decoding of MLX5TLS_TRACE records for `mlx5tls-query trace show`. A record's
 * mailboxes are hex strings in which key bytes are "**"; they are decoded into bytes plus a mask
 * of the starred ones, and read with the same PRM layouts (prm/mlx5_ifc_tls.h, DEVX_GET) the
 * library encodes with, so the decoder cannot drift from the encoder. Values go through the print
 * path (text and JSON). Key bytes are never printed: a key field is shown as "**" with the count
 * of masked bytes, and a key the trace did not mask is reported, not shown.
 */
#ifndef MLX5TLS_TOOLS_TRACE_DECODE_H
#define MLX5TLS_TOOLS_TRACE_DECODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct trace_mbox {
	uint8_t *b;      /* bytes; a masked byte reads as 0 */
	uint8_t *masked; /* 1 where the trace wrote "**" */
	size_t len;
};

/* Decode a trace hex string ("0a00**ff..."). 0, or -EINVAL (odd length, not hex or "**"),
 * -ENOMEM. The buffers are padded with zeros to a multiple of 4 bytes for DEVX_GET. */
int trace_mbox_parse(const char *hex, struct trace_mbox *m);
void trace_mbox_free(struct trace_mbox *m);

/* A command record's identity, from the record's members. */
struct trace_cmd {
	uint16_t opcode;
	uint16_t op_mod;   /* the header's op_mod, or obj_type for the general-object commands */
	uint16_t obj_type; /* general-object commands only */
	bool general_obj;
	uint8_t status;
	struct trace_mbox in;
	struct trace_mbox out;
};

/* The PRM name of an opcode (fact sheet 2.3), NULL if this tool does not know it. */
const char *trace_opcode_name(uint16_t opcode);
/* An opcode by name (case-insensitive) or number ("0x912", "2322"); false if neither. */
bool trace_opcode_lookup(const char *name, uint16_t *opcode);
const char *trace_obj_type_name(uint16_t obj_type);     /* "ENCRYPTION_KEY" or NULL */
const char *trace_cap_type_name(unsigned int cap_type); /* "TLS" or NULL */

/* The op_mod / obj_type part of a command's header line, e.g. "op_mod 0x0023 (TLS, current)". */
void trace_print_op_mod(const struct trace_cmd *c);

/* The members "in" and "out" (decoded fields) of a command that completed; with `details`,
 * also fields that are usually zero. Returns true if a key byte was found unmasked (reported in
 * the output without its value). */
bool trace_print_cmd_fields(const struct trace_cmd *c, bool details);

/*
 * Record kind "wqe" (not written by the library yet; see mlx5tls-query(1), TRACE FORMAT):
 * decode the TLS static or progress parameters carried in a WQE, by their name in the record's
 * "wqe" member ("static_params", "progress_params"). false if `what` is not a known kind.
 */
bool trace_print_wqe_params(const char *what, const struct trace_mbox *data);

#endif /* MLX5TLS_TOOLS_TRACE_DECODE_H */
