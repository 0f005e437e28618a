/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The firmware boundary. The library encodes every command mailbox itself (prm/ layouts) and hands
 * it to a transport; the transport only moves it: `devx` through rdma-core (mlx5dv DevX) to a real
 * ConnectX, `sim` to the built-in device model. No op lets the library skip encoding.
 *
 * Return convention of every command op: 0 when the command ran and status is OK; -EREMOTEIO when
 * the firmware (or the model) rejected it, with status and syndrome in `out`; any other negative
 * errno when the command never reached firmware (then `out` is not meaningful).
 *
 * One exception, from the kernel: a DevX destroy (mlx5dv_devx_obj_destroy, ibv_dealloc_pd) runs the
 * kernel-built mailbox through mlx5_cmd_exec, which turns a firmware status into an errno (e.g.
 * BAD_RES_STATE -> EINVAL) and never shows user space the mailbox. So obj_destroy and pd_dealloc
 * on devx may return such an errno with `out` not meaningful; the object is kept. The library's
 * own in-use checks (-EBUSY) normally stop these before they reach firmware.
 */
#ifndef MLX5TLS_TRANSPORT_H
#define MLX5TLS_TRANSPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mlx5tls/mlx5tls.h"

struct mlx5tls_xport;      /* per-device transport state, owned by the transport */
struct mlx5tls_xobj;       /* a created firmware object, owned by the transport */
struct mlx5tls_xqp;        /* a send queue + completion queue, owned by the transport */
struct mlx5tls_xmr;        /* a registered memory region, owned by the transport */
struct mlx5tls_xrq;        /* a receive queue + completion queue, owned by the transport */
struct mlx5tls_xflow;      /* a steering rule: the transport's record, in the library's memory */

/*
 * The room a transport's steering rule record (struct mlx5tls_xflow) has inside the library's
 * flow: one allocation, so that a flow's destroy reads the record from an address it knows
 * instead of through a pointer - among 100k flows each is a cache miss, and the pointer's made
 * them two in a row. Each transport asserts that its record fits.
 */
#define XPORT_FLOW_REC_BYTES 32u
union xport_flow_rec {
	void *align; /* records hold pointers */
	unsigned char bytes[XPORT_FLOW_REC_BYTES];
};

/* What the library asks for when it creates a raw Ethernet send queue. */
struct xport_qp_attr {
	uint32_t log_sq_wqebbs;      /* SQ ring of 2^n 64-byte WQEBBs */
	uint32_t log_cq_cqes;        /* CQ ring of 2^n 64-byte CQEs */
	uint32_t pdn;
	struct mlx5tls_xobj *pd_obj; /* the PD's handle (devx: holds the ibv_pd) */
	uint32_t sq_tisn;            /* the SQ's own plain TIS (sqc.tis_num_0), when qp_needs_tis */
	uint32_t mtu;                /* L3 MTU of the port the queue sends on */
	bool model_sync;             /* model: consume WQEs at the doorbell, on the caller's thread */
};

/* The queue memory the library writes and reads (devx-userspace B2-B4): the same contract on
 * both transports. Rings are written and polled by the library only. */
struct xport_qp_info {
	uint32_t sqn;                /* goes into every ctrl segment's qpn_ds */
	uint32_t cqn;
	void *sq_buf;                /* sq_wqebbs x 64 bytes */
	uint32_t sq_wqebbs;
	volatile uint32_t *sq_dbrec; /* [1] = BE32 producer counter */
	void *cq_buf;                /* cq_cqes x 64 bytes */
	uint32_t cq_cqes;
	volatile uint32_t *cq_dbrec; /* [0] = BE32 consumer index */
};

/* What the library asks for when it creates a receive queue (cyclic, one 16-byte data segment
 * per WQE: sim/rq.h memory contract, devx-userspace B2 for the CQ). */
struct xport_rq_attr {
	uint32_t log_wqes;           /* RQ ring of 2^n 16-byte receive WQEs */
	uint32_t log_cq_cqes;        /* CQ ring of 2^n 64-byte CQEs (>= log_wqes) */
	uint32_t pdn;
	struct mlx5tls_xobj *pd_obj;
};

/* The receive rings the library writes and polls: the same contract on every transport. */
struct xport_rq_info {
	uint32_t rqn;                /* what a TIR names in inline_rqn */
	uint32_t cqn;
	void *rq_buf;                /* rq_wqes x rq_stride bytes */
	uint32_t rq_wqes;
	uint32_t rq_stride;          /* 16 */
	volatile uint32_t *rq_dbrec; /* [0] = BE32 receive producer counter (MLX5_RCV_DBR) */
	void *cq_buf;                /* cq_cqes x 64 bytes */
	uint32_t cq_cqes;
	volatile uint32_t *cq_dbrec; /* [0] = BE32 consumer index */
};

/* A 5-tuple steering rule, as the receiver sees the packet (src = the peer). */
struct xport_flow_match {
	/* 4 or 6; 0 = the catch-all rule (every frame no other rule matches; the rest of the
	 * match is unused): on hardware a flow of lowest priority with an empty mask, on the
	 * model its default destination, the TIR's RQ default_rqn */
	uint8_t ip_version;
	uint32_t default_rqn;
	uint8_t ip_proto;            /* 6 = TCP */
	uint8_t src_ip[16];          /* IPv4 in bytes 0..3; network order */
	uint8_t dst_ip[16];
	uint16_t src_port;           /* host order */
	uint16_t dst_port;
};

/* mr_reg access bits */
#define XPORT_MR_LOCAL_WRITE 0x1u /* the device writes into it (IBV_ACCESS_LOCAL_WRITE) */

struct mlx5tls_transport_ops {
	const char *name; /* "devx" or "sim" */

	/* Enumerate devices this transport can open; *list is malloc'd (free()), *n entries. */
	int (*list)(struct mlx5tls_device_info **list, int *n);

	/* Open `name` ("mlx5_0" for devx; "sim[:PROFILE[,k=v...]]" for sim; NULL = first device).
	 * Fills attr (name, kind, transport, profile, fw_ver). */
	int (*open)(const char *name, struct mlx5tls_xport **xp, struct mlx5tls_device_attr *attr);
	void (*close)(struct mlx5tls_xport *xp);

	/* A command that creates no object (QUERY_HCA_CAP, SYNC_CRYPTO). */
	int (*general_cmd)(struct mlx5tls_xport *xp, const void *in, size_t inlen, void *out,
			   size_t outlen);

	/* Object lifecycle. create returns the handle in *obj (only on success). destroy gets the
	 * library's DESTROY mailbox: the sim transport executes it; the devx transport calls
	 * mlx5dv_devx_obj_destroy, for which the kernel builds the same mailbox from the create one.
	 * The handle is freed by destroy when it returns 0. */
	int (*obj_create)(struct mlx5tls_xport *xp, const void *in, size_t inlen, void *out,
			  size_t outlen, struct mlx5tls_xobj **obj);
	int (*obj_query)(struct mlx5tls_xobj *obj, const void *in, size_t inlen, void *out,
			 size_t outlen);
	int (*obj_modify)(struct mlx5tls_xobj *obj, const void *in, size_t inlen, void *out,
			  size_t outlen);
	int (*obj_destroy)(struct mlx5tls_xobj *obj, const void *in, size_t inlen, void *out,
			   size_t outlen);

	/* Protection domain. The library passes its ALLOC_PD / DEALLOC_PD mailboxes; sim executes
	 * them, devx uses ibv_alloc_pd + mlx5dv_init_obj(PD) (the kernel issues the same ALLOC_PD)
	 * and writes the pdn into out.pd so both decode alike. */
	int (*pd_alloc)(struct mlx5tls_xport *xp, const void *in, size_t inlen, void *out,
			size_t outlen, struct mlx5tls_xobj **obj);
	int (*pd_dealloc)(struct mlx5tls_xobj *obj, const void *in, size_t inlen, void *out,
			  size_t outlen);

	/* ---- datapath ---- */

	/* true when the send queue needs a TIS of the library's as its default (a model or DevX SQ
	 * takes sqc.tis_num_0); false when the kernel makes one (verbs raw packet QP). */
	bool qp_needs_tis;

	/* A raw Ethernet SQ + CQ in RDY, its rings described in *info. devx: ibv_create_cq +
	 * ibv_create_qp(IBV_QPT_RAW_PACKET) + mlx5dv_init_obj(QP|CQ) + RESET->INIT->RTR->RTS;
	 * sim: sim_cq_create + sim_sq_create + MODIFY_SQ RST->RDY. 0 or -errno. */
	int (*qp_create)(struct mlx5tls_xport *xp, const struct xport_qp_attr *attr,
			 struct xport_qp_info *info, struct mlx5tls_xqp **q);
	/* Destroy SQ then CQ. The rings are gone afterwards. */
	void (*qp_destroy)(struct mlx5tls_xqp *q);
	/* The doorbell: the 8-byte MMIO store of the first 8 bytes (`ctrl8`, as they lie in
	 * memory) of the last posted WQE's ctrl segment, and the write-combining flush after it.
	 * The caller has already stored the WQEs and the dbrec, with the barriers of B3 between. */
	void (*qp_doorbell)(struct mlx5tls_xqp *q, const void *ctrl8);
	/* Error recovery, devx-userspace B4: take the SQ ERR -> RST -> RDY; the caller restarts
	 * its producer/consumer counters at 0 (the rings are kept). 0 or -errno. */
	int (*qp_recover)(struct mlx5tls_xqp *q);
	/* Model only (NULL on devx): make a later WQE fail (sim_sq_inject_error). */
	int (*qp_inject_error)(struct mlx5tls_xqp *q, uint32_t after_n_wqes);

	/* Register [addr, addr+len) on the PD for device reads (access 0) or also writes
	 * (XPORT_MR_LOCAL_WRITE: receive buffers); *lkey for data segments. */
	int (*mr_reg)(struct mlx5tls_xport *xp, struct mlx5tls_xobj *pd_obj, void *addr,
		      size_t len, uint32_t access, uint32_t *lkey, struct mlx5tls_xmr **mr);
	int (*mr_dereg)(struct mlx5tls_xmr *mr);

	/* Model only (NULL on devx): connect the device's Ethernet port. */
	int (*wire_set)(struct mlx5tls_xport *xp, const struct mlx5tls_model_wire_opts *opts);
	/* Model only (NULL on devx): a frame arrives from the wire (sim_dev_rx). */
	int (*wire_rx)(struct mlx5tls_xport *xp, const void *frame, size_t len);
	/* Model only (NULL on devx): the port's counters (faults included). */
	int (*wire_stats)(struct mlx5tls_xport *xp, struct mlx5tls_model_wire_stats *st);

	/* ---- receive side (NULL when the transport has none yet: -EOPNOTSUPP) ---- */

	/* A cyclic RQ + its CQ, in RDY, rings in *info. sim: sim_cq_create + sim_rq_create (under
	 * the transport's uid, so its TIRs may name it) + MODIFY_RQ RST->RDY. 0 or -errno. */
	int (*rq_create)(struct mlx5tls_xport *xp, const struct xport_rq_attr *attr,
			 struct xport_rq_info *info, struct mlx5tls_xrq **q);
	/* Destroy RQ then CQ (no TIR may name the RQ any more). */
	void (*rq_destroy)(struct mlx5tls_xrq *q);
	/* After an error CQE: RQ ERR -> RST -> RDY; the caller re-posts from WQE 0. */
	int (*rq_recover)(struct mlx5tls_xrq *q);
	/* Frames dropped for want of a posted WQE (rx_out_of_buffer); NULL if unknown. */
	int (*rq_out_of_buffer)(struct mlx5tls_xrq *q, uint64_t *n);
	/* Steer frames matching m to the TIR (tir_obj, number tirn), the rule's record made in
	 * f (XPORT_FLOW_REC_BYTES of the caller's memory). 0 or -errno (f holds nothing). */
	/* tag: a flow tag action (24 bits, reported in the CQE's sop_drop_qpn), 0 = none */
	int (*flow_create)(struct mlx5tls_xport *xp, const struct xport_flow_match *m,
			   struct mlx5tls_xobj *tir_obj, uint32_t tirn, uint32_t tag,
			   struct mlx5tls_xflow *f);
	/* Remove the rule; its memory is the caller's. 0, or -errno with the rule kept. */
	int (*flow_destroy)(struct mlx5tls_xflow *f);
};

extern const struct mlx5tls_transport_ops mlx5tls_transport_devx;
extern const struct mlx5tls_transport_ops mlx5tls_transport_sim;

#endif /* MLX5TLS_TRANSPORT_H */
