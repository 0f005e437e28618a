/* SPDX-License-Identifier: BSD-3-Clause */
/* Executing one firmware command: the single place every mailbox passes through on its way to
 * the transport, so counting, tracing and error recording happen once for all commands. */
#ifndef MLX5TLS_CMD_H
#define MLX5TLS_CMD_H

#include "mlx5tls_internal.h"

enum cmd_kind {
	CMD_GENERAL,    /* QUERY_HCA_CAP, SYNC_CRYPTO */
	CMD_CREATE,     /* creates *new_obj */
	CMD_QUERY,      /* on obj */
	CMD_MODIFY,     /* on obj */
	CMD_DESTROY,    /* frees obj on success */
	CMD_PD_ALLOC,   /* creates *new_obj */
	CMD_PD_DEALLOC, /* frees obj on success */
};

/* A byte range of the input mailbox that holds key material: the trace writes it as `**`. */
struct cmd_secret {
	size_t off;
	size_t len;
};

/*
 * Run the mailbox through the device's transport. Returns 0; -EREMOTEIO after a firmware
 * rejection (recorded for mlx5tls_last_fw_error() and logged at debug level); or another -errno.
 */
int cmd_exec(struct mlx5tls_device *dev, enum cmd_kind kind, struct mlx5tls_xobj *obj,
	     struct mlx5tls_xobj **new_obj, const void *in, size_t inlen, void *out, size_t outlen,
	     const struct cmd_secret *secret);

/* The status byte of an output mailbox (valid after -EREMOTEIO). */
uint8_t cmd_out_status(const void *out);

/* ---- per-thread firmware error (error.c) ---- */
void fw_error_record(const struct mlx5tls_device *dev, const void *in, const void *out);

/* ---- command trace (trace.c) ---- */
struct mlx5tls_trace *trace_open(const char *path);
void trace_close(struct mlx5tls_trace *trace);
/* A TLS parameters WQE's image ("static_params" 64 bytes, "progress_params" 12 bytes) as a
 * {"kind":"wqe"} record naming the object it configures (obj "tis" for TX, "tir" for RX, and its
 * number as "tisn"/"tirn"); `secret` (the static params' salt and implicit IV) is written as **. */
void trace_wqe(struct mlx5tls_trace *trace, const char *dev_name, const char *kind, uint32_t sqn,
	       const char *obj, uint32_t obj_num, const void *data, size_t len,
	       const struct cmd_secret *secret);
void trace_cmd(struct mlx5tls_trace *trace, const char *dev_name, const void *in, size_t inlen,
	       const void *out, size_t outlen, const struct cmd_secret *secret);

/* Opcode (bytes 0..1) and op_mod (bytes 6..7) of an input mailbox; general-object commands carry
 * obj_type where other commands carry op_mod (fact sheet 2.1, 3.1), so *op_mod is 0 for them and
 * *obj_type is set; both are 0 when they do not apply. */
void cmd_in_ids(const void *in, uint16_t *opcode, uint16_t *op_mod, uint16_t *obj_type);

#endif
