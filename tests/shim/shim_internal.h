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

#include "sim/port.h"
#include "sim/rq.h"
#include "sim/sim.h"
#include "sim/sq.h"

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
	SHIM_IBV_CREATE_CQ,
	SHIM_IBV_DESTROY_CQ,
	SHIM_IBV_CREATE_QP,
	SHIM_IBV_MODIFY_QP,
	SHIM_IBV_DESTROY_QP,
	SHIM_IBV_REG_MR,
	SHIM_IBV_REG_MR_IOVA2,
	SHIM_IBV_DEREG_MR,
	SHIM_MLX5DV_IS_SUPPORTED,
	SHIM_MLX5DV_OPEN_DEVICE,
	SHIM_MLX5DV_INIT_OBJ,
	SHIM_MLX5DV_DEVX_OBJ_CREATE,
	SHIM_MLX5DV_DEVX_OBJ_QUERY,
	SHIM_MLX5DV_DEVX_OBJ_MODIFY,
	SHIM_MLX5DV_DEVX_OBJ_DESTROY,
	SHIM_MLX5DV_DEVX_GENERAL_CMD,
	SHIM_IBV_CREATE_WQ,
	SHIM_IBV_MODIFY_WQ,
	SHIM_IBV_DESTROY_WQ,
	SHIM_MLX5DV_CREATE_FLOW_MATCHER,
	SHIM_MLX5DV_DESTROY_FLOW_MATCHER,
	SHIM_MLX5DV_CREATE_FLOW,
	SHIM_IBV_DESTROY_FLOW,
	SHIM_FN__MAX,
};

struct shim_qp;

struct shim_device {
	struct ibv_device ibdev; /* what ibv_get_device_list() hands out */
	struct sim_dev *sim;     /* one model instance = one NIC, shared by all its contexts */
	int index;
	atomic_int contexts;
	/* The NIC's Ethernet port: where every SQ of the device sends (shim_doorbell.c). */
	struct sim_port *capture;
	/* The doorbell watcher (shim_doorbell.c): one thread per device while it has QPs. */
	pthread_mutex_t watch_lock; /* serialises starting/stopping the thread */
	pthread_mutex_t qp_lock;    /* the qps list and each QP's doorbell state */
	struct shim_qp *qps;
	unsigned int live_qps;
	pthread_t watcher;
	bool watcher_running;
	atomic_bool watcher_stop;
};

struct shim_pd;
struct shim_cq;
struct shim_mr;
struct shim_wq;
struct shim_flow;

/* An open context: the kernel's ucontext with its DevX uid (devx-userspace A1). */
struct shim_context {
	/* first: vctx.context is handed out as struct ibv_context *; the extended verbs
	 * (ibv_create_wq, ibv_modify_wq, ibv_destroy_wq, ibv_destroy_flow) are static inline
	 * functions of <infiniband/verbs.h> that call through these ops (verbs_get_ctx_op), as
	 * the provider's ops are reached on a real system */
	struct verbs_context vctx;
	uint32_t magic;
	struct shim_device *dev;
	uint16_t uid;
	pthread_mutex_t lock; /* the object lists below, tdn */
	struct mlx5dv_devx_obj *objs;
	struct shim_pd *pds;
	struct shim_cq *cqs;
	struct shim_qp *qps;
	struct shim_mr *mrs;
	struct shim_wq *wqs;
	struct shim_flow *flows;
	uint32_t tdn; /* the kernel's transport domain of this ucontext (raw packet QP TISes) */
};

/* A verbs PD: ALLOC_PD issued by the "kernel" with the context's uid. */
struct shim_pd {
	struct ibv_pd ibpd; /* first: handed out as struct ibv_pd * */
	uint32_t magic;
	uint32_t pdn;
	atomic_int users; /* QPs and MRs on it: the kernel refuses to free it meanwhile */
	struct shim_pd *next;
};

/* A verbs CQ on a model CQ (rings allocated and initialised by the model, as the provider). */
struct shim_cq {
	struct ibv_cq ibcq; /* first: handed out as struct ibv_cq * */
	uint32_t magic;
	struct shim_context *ctx;
	struct sim_cq *cq;
	atomic_int users; /* QPs reporting to it */
	struct shim_cq *next;
};

/*
 * A verbs raw packet QP: the kernel's SQ (a model SQ with its own device thread) and its plain
 * TIS, and the provider's UAR page with the doorbell register the watcher snoops.
 */
struct shim_qp {
	struct ibv_qp ibqp; /* first: handed out as struct ibv_qp * */
	uint32_t magic;
	struct shim_context *ctx;
	struct shim_pd *pd;
	struct shim_cq *scq, *rcq;
	struct sim_sq *sq;
	uint32_t tisn;
	uint8_t *uar;      /* 4 KiB, this QP's alone */
	uint64_t *db_reg;  /* uar + 0x800: mlx5dv_qp.bf.reg */
	uint64_t db_last;  /* last value the watcher saw (qp_lock) */
	struct shim_qp *next;     /* context list */
	struct shim_qp *dev_next; /* device list (qp_lock) */
};

/* A verbs MR: a model memory region on the PD's pdn. */
struct shim_mr {
	struct ibv_mr ibmr; /* first: handed out as struct ibv_mr * */
	uint32_t magic;
	struct shim_context *ctx;
	struct shim_pd *pd;
	struct shim_mr *next;
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
#define SHIM_CQ_MAGIC 0x53435158u  /* "SCQX" */
#define SHIM_QP_MAGIC 0x53515058u  /* "SQPX" */
#define SHIM_MR_MAGIC 0x534d5258u  /* "SMRX" */

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
SHIM_HIDDEN struct shim_pd *shim_pd_of(struct ibv_pd *pd);
SHIM_HIDDEN struct shim_cq *shim_cq_of(struct ibv_cq *cq);
SHIM_HIDDEN struct shim_qp *shim_qp_of(struct ibv_qp *qp);

/* Datapath part of a device (shim_doorbell.c): its capture port (0 or -errno) and teardown. */
SHIM_HIDDEN int shim_device_dp_init(struct shim_device *dev);
SHIM_HIDDEN void shim_device_dp_fini(struct shim_device *dev);
/* Closing a context (shim_qp.c): the kernel destroys its QPs, MRs and CQs (in that order)
 * first. */
SHIM_HIDDEN void shim_context_dp_release(struct shim_context *ctx);
/* Receive side (shim_rx.c): the context's extended verbs ops; mlx5dv_init_obj for an RWQ (0 or
 * a positive errno); closing a context: flows and WQs go first. */
SHIM_HIDDEN void shim_context_rx_init(struct shim_context *ctx);
SHIM_HIDDEN int shim_dv_get_rwq(struct ibv_wq *wq, struct mlx5dv_rwq *out);
SHIM_HIDDEN void shim_context_rx_release(struct shim_context *ctx);
/* mlx5dv_init_obj for a QP / CQ (shim_qp.c, shim_cq.c); 0 or a positive errno. */
SHIM_HIDDEN int shim_dv_get_qp(struct ibv_qp *qp, struct mlx5dv_qp *out);
SHIM_HIDDEN int shim_dv_get_cq(struct ibv_cq *cq, struct mlx5dv_cq *out);
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
