/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Private to the DevX interposer: the fake devices, contexts and objects behind the rdma-core
 * handles it hands out. Facts cited as "devx-userspace Ax" are from shared/prm/devx-userspace.md;
 * "kernel devx.c" is drivers/infiniband/hw/mlx5/devx.c, which that sheet cites.
 */
#ifndef MLX5TLS_SHIM_INTERNAL_H
#define MLX5TLS_SHIM_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <infiniband/mlx5dv.h>
#include <infiniband/verbs.h>

#include "sim/sim.h"

#define SHIM_HIDDEN __attribute__((visibility("hidden")))

/* Entry points, for the call counters (devx_shim_calls). */
enum shim_fn {
	SHIM_IBV_GET_DEVICE_LIST,
	SHIM_IBV_FREE_DEVICE_LIST,
	SHIM_IBV_GET_DEVICE_NAME,
	SHIM_IBV_QUERY_DEVICE,
	SHIM_IBV_CLOSE_DEVICE,
	SHIM_IBV_ALLOC_PD,
	SHIM_IBV_DEALLOC_PD,
	SHIM_MLX5DV_IS_SUPPORTED,
	SHIM_MLX5DV_OPEN_DEVICE,
	SHIM_MLX5DV_INIT_OBJ,
	SHIM_MLX5DV_DEVX_OBJ_CREATE,
	SHIM_MLX5DV_DEVX_OBJ_QUERY,
	SHIM_MLX5DV_DEVX_OBJ_MODIFY,
	SHIM_MLX5DV_DEVX_OBJ_DESTROY,
	SHIM_MLX5DV_DEVX_GENERAL_CMD,
	SHIM_FN__MAX,
};

struct shim_device {
	struct ibv_device ibdev; /* what ibv_get_device_list() hands out */
	struct sim_dev *sim;     /* one model instance = one NIC, shared by all its contexts */
	int index;
	atomic_int contexts;
};

struct shim_pd;

/* An open context: the kernel's ucontext with its DevX uid (devx-userspace A1). */
struct shim_context {
	struct ibv_context ibctx; /* first: handed out as struct ibv_context * */
	uint32_t magic;
	struct shim_device *dev;
	uint16_t uid;
	pthread_mutex_t lock; /* objects and pds lists */
	struct mlx5dv_devx_obj *objs;
	struct shim_pd *pds;
};

/* A verbs PD: ALLOC_PD issued by the "kernel" with the context's uid. */
struct shim_pd {
	struct ibv_pd ibpd; /* first: handed out as struct ibv_pd * */
	uint32_t magic;
	uint32_t pdn;
	struct shim_pd *next;
};

/*
 * A DevX object as the kernel keeps it (kernel devx.c struct devx_obj): the encoded id of the
 * created object and the destroy mailbox built from the create command.
 */
struct mlx5dv_devx_obj {
	uint32_t magic;
	struct shim_context *ctx;
	uint64_t enc_id;
	uint32_t dinlen;
	uint8_t dinbox[16];
	struct mlx5dv_devx_obj *next;
};

#define SHIM_CTX_MAGIC 0x53434358u /* "SCCX" */
#define SHIM_PD_MAGIC 0x53504458u  /* "SPDX" */
#define SHIM_OBJ_MAGIC 0x534f4258u /* "SOBX" */

SHIM_HIDDEN void shim_count(enum shim_fn fn);

/* Big-endian reads from caller buffers of any alignment (DEVX_GET assumes 4-byte alignment). */
static inline uint32_t shim_be32(const void *buf, size_t byte_off)
{
	const uint8_t *p = (const uint8_t *)buf + byte_off;

	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline uint16_t shim_be16(const void *buf, size_t byte_off)
{
	const uint8_t *p = (const uint8_t *)buf + byte_off;

	return (uint16_t)(p[0] << 8 | p[1]);
}

/* Mailbox fields every command has (fact sheet 2.1, 3.1). */
static inline uint16_t shim_in_opcode(const void *in) { return shim_be16(in, 0); }
static inline uint16_t shim_in_op_mod(const void *in) { return shim_be16(in, 6); }
static inline uint8_t shim_out_status(const void *out) { return ((const uint8_t *)out)[0]; }
static inline uint32_t shim_out_syndrome(const void *out) { return shim_be32(out, 4); }

/* Device table (initialised from MLX5TLS_SHIM_DEVICES on first use). */
SHIM_HIDDEN int shim_devices_get(struct shim_device **devs);
SHIM_HIDDEN struct shim_device *shim_device_of(const struct ibv_device *ibdev);
SHIM_HIDDEN void shim_devices_lock(void);
SHIM_HIDDEN void shim_devices_unlock(void);

SHIM_HIDDEN struct shim_context *shim_context_of(struct ibv_context *ctx);
SHIM_HIDDEN int shim_open_fail_errno(void);

/* Run one mailbox on the model for `ctx`'s uid, on a private copy of `in` (the kernel copies the
 * user's mailbox; the copy is wiped afterwards since DEK mailboxes carry keys). Returns what
 * sim_cmd_exec returns and records a rejection for devx_shim_last_fw_status(). */
SHIM_HIDDEN int shim_exec(struct shim_context *ctx, const void *in, size_t inlen, void *out,
			  size_t outlen);

/* The kernel's errno for a firmware status (mlx5 core cmd.c cmd_status_to_err, fact sheet 2.2),
 * used where the kernel runs a command itself with mlx5_cmd_exec. */
SHIM_HIDDEN int shim_status_to_errno(uint8_t status);

#endif /* MLX5TLS_SHIM_INTERNAL_H */
