/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The model's send-queue engine: the part of a ConnectX-6 Dx that, after a doorbell, reads WQEs
 * from ring memory, executes them (Ethernet SEND/LSO with inline TLS encryption through a TLS TIS,
 * TLS static/progress params for TISes and TIRs, GET_PSV, DUMP, NOP), emits frames to a port and
 * writes CQEs. The receive side (RQs, steering, the RX entry point) is sim/rq.h.
 *
 * MEMORY CONTRACT - the same a driver gets from mlx5dv_init_obj() or a DevX SQ/CQ (devx-userspace
 * B2-B4):
 *   SQ ring   2^log_wqebbs WQEBBs of 64 bytes; WQE index i lives at ring + (i & (n-1)) * 64 and a
 *             multi-WQEBB WQE continues at the ring start when it runs past the end.
 *   SQ dbrec  two BE32 words; dbrec[1] = producer counter (WQEBBs posted, low 16 bits used).
 *   doorbell  sim_sq_ring_doorbell(sq, ctrl8) stands for the 8-byte MMIO store of the first 8
 *             bytes of the last posted WQE's ctrl segment to the UAR. Sequence a driver follows:
 *             WQE stores, write barrier, dbrec[1] = htobe32(pc), barrier, doorbell.
 *   CQ ring   2^log_cqes CQEs of 64 bytes (struct mlx5_cqe64 / mlx5_err_cqe). A CQE at consumer
 *             index ci is valid when op_own >> 4 != MLX5_CQE_INVALID and (op_own & 1) ==
 *             !!(ci & n); op_own is stored last, with release ordering.
 *   CQ dbrec  dbrec[0] = BE32(consumer index & 0xffffff), written by the consumer; dbrec[1] (arm)
 *             is ignored (no event queues in the model).
 * Ring and dbrec memory is either the model's (allocated page-aligned, CQEs initialised to
 * op_own = 0xf1 - invalid opcode, owner 1 - as DPDK's mlx5_cq_init and rdma-core's provider do)
 * or the caller's (a DevX umem: then initialising the CQEs is the caller's job, as with DevX).
 *
 * ENGINE MODES: step mode - sim_sq_process() consumes, on the calling thread, every WQE up to the
 * producer counter latched by the last doorbell; async mode (SIM_SQ_F_ASYNC) - a device thread per
 * SQ wakes on each doorbell and does the same; sim_sq_wait_idle() waits for it to catch up.
 *
 * ERRORS: a WQE the engine rejects gets an error CQE (opcode MLX5_CQE_REQ_ERR 13) carrying a PRM
 * syndrome (mlx5dv.h enum MLX5_CQE_SYNDROME_*) and, in vendor_err_synd, the model's own reason
 * code (enum sim_sq_vsynd below; real vendor syndromes are not public). The SQ moves to ERR; every
 * later WQE, posted before or after, completes with a WR_FLUSH_ERR CQE until sim_sq_modify() takes
 * it ERR -> RST -> RDY (MODIFY_SQ), which restarts the WQE counter at 0.
 *
 * LIFETIME: destroy SQs before their CQ, and SQs, CQs and memory regions before sim_dev_destroy()
 * (as rdma-core refuses to free a PD or CQ in use). Ports must outlive the SQs that use them.
 */
#ifndef MLX5TLS_SIM_SQ_H
#define MLX5TLS_SIM_SQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sim_dev;
struct sim_port;
struct sim_sq;
struct sim_cq;

/* ---- completion queue ---- */

#define SIM_CQ_LOG_MAX 22u /* cqc.log_cq_size is 5 bits; 2^22 CQEs = 256 MiB is plenty */

struct sim_cq_attr {
	uint32_t log_cqes;  /* 1..SIM_CQ_LOG_MAX */
	void *buf;          /* 64 << log_cqes bytes, 64-byte aligned; NULL: the model allocates */
	uint32_t *dbrec;    /* 2 x BE32, 8-byte aligned; NULL: the model allocates */
};

struct sim_cq_info {
	uint32_t cqn;
	void *buf;
	uint32_t cqe_cnt;
	uint32_t cqe_size; /* 64 */
	uint32_t *dbrec;
};

/* NULL + errno (EINVAL bad attr, ENOMEM). */
struct sim_cq *sim_cq_create(struct sim_dev *dev, const struct sim_cq_attr *attr);
/* 0, or -EBUSY while an SQ still reports to it. */
int sim_cq_destroy(struct sim_cq *cq);
void sim_cq_query(const struct sim_cq *cq, struct sim_cq_info *info);

struct sim_cq_stats {
	uint64_t cqes;     /* all written */
	uint64_t err_cqes; /* of which error/flush CQEs */
	bool overrun;      /* a CQE found no free slot (see sq.c: the CQ stops, the SQ goes ERR) */
};
void sim_cq_get_stats(struct sim_cq *cq, struct sim_cq_stats *st);

/* ---- memory regions: declared in sim.h too (no IOMMU: data segments carry virtual addresses) */
int sim_mr_reg(struct sim_dev *dev, uint32_t pd, const void *addr, size_t len, uint32_t *lkey);
int sim_mr_reg_access(struct sim_dev *dev, uint32_t pd, void *addr, size_t len, uint32_t access,
		      uint32_t *lkey);
int sim_mr_dereg(struct sim_dev *dev, uint32_t lkey);

/* ---- send queue ---- */

#define SIM_SQ_LOG_MAX 15u /* 2^15 WQEBBs: the 16-bit WQE counter still tells full from empty */

/* sqc.state values (PRM; DPDK/libdpcp MODIFY_SQ): */
enum sim_sq_state {
	SIM_SQ_RST = 0,
	SIM_SQ_RDY = 1,
	SIM_SQ_ERR = 3,
};

enum {
	SIM_SQ_F_ASYNC = 1u << 0, /* run a device thread that processes after each doorbell */
};

struct sim_tls_engine_ops;    /* below */
struct sim_tls_rx_engine_ops; /* sim/tls_rx.h */

struct sim_sq_attr {
	uint32_t log_wqebbs;       /* 1..SIM_SQ_LOG_MAX (a static-params WQE needs 3 WQEBBs) */
	struct sim_cq *cq;         /* required */
	uint32_t tisn;             /* sqc.tis_num_0: a live TIS of the device (required) */
	uint32_t pd;               /* wq.pd; 0 = do not match it against the MRs' PDs */
	struct sim_port *port;     /* where frames go; NULL = frames are counted and discarded */
	uint32_t flags;            /* SIM_SQ_F_* */
	void *buf;                 /* 64 << log_wqebbs bytes, 64-byte aligned; NULL: model's */
	uint32_t *dbrec;           /* 2 x BE32; NULL: model's */
	/* TLS TX engine used for TIS contexts this SQ creates; NULL = the built-in one
	 * (sim/tls_tx). Tests substitute a recording engine to check what the SQ hands it. */
	const struct sim_tls_engine_ops *tls_ops;
	/* TLS RX engine for the TIR contexts this SQ creates (static params UMR opc_mod 2); NULL =
	 * the built-in one (sim/tls_rx). */
	const struct sim_tls_rx_engine_ops *tls_rx_ops;
};

struct sim_sq_info {
	uint32_t sqn;
	void *buf;
	uint32_t wqe_cnt; /* WQEBBs */
	uint32_t stride;  /* 64 */
	uint32_t *dbrec;
	enum sim_sq_state state;
};

/* Created in RST, as CREATE_SQ with state RST; take it to RDY with sim_sq_modify(). NULL + errno:
 * EINVAL (bad attr), ENOENT (tisn is not a live TIS), ENOMEM. */
struct sim_sq *sim_sq_create(struct sim_dev *dev, const struct sim_sq_attr *attr);
/* Stops and joins the device thread; nothing is flushed. NULL is a no-op. */
void sim_sq_destroy(struct sim_sq *sq);
void sim_sq_query(struct sim_sq *sq, struct sim_sq_info *info);

/* The doorbell MMIO write. Latches dbrec[1] as the producer counter the engine may consume up to
 * and, in async mode, wakes the device thread. Ignored in RST (counted in db_ignored). `ctrl8` is
 * compared with the ring's copy of the WQE it names; a mismatch is counted (db_mismatch), not
 * fatal: hardware takes the producer counter from the doorbell record. */
void sim_sq_ring_doorbell(struct sim_sq *sq, uint64_t ctrl8);

/* Step mode: consume every WQE up to the latched producer counter. Returns the number of WQEs
 * consumed (executed or flushed), or -errno. Also safe alongside the device thread. */
int sim_sq_process(struct sim_sq *sq);

/* Async mode: wait until the device thread has consumed everything the doorbells announced.
 * 0, or -ETIMEDOUT. In step mode returns 0 at once. */
int sim_sq_wait_idle(struct sim_sq *sq, unsigned int timeout_ms);

/* MODIFY_SQ. Legal: RST->RDY, RDY->RST, RDY->ERR, ERR->RST (and X->X as a no-op). Going to RST
 * zeroes the consumer counter and the latched producer counter; the driver restarts at WQE 0.
 * 0 or -EINVAL. */
int sim_sq_modify(struct sim_sq *sq, enum sim_sq_state state);

/* Fault injection: the WQE that would be consumed after `after_n_wqes` more successful WQEs
 * fails with syndrome LOCAL_QP_OP_ERR / SIM_VSYND_INJECTED (SQ to ERR). One-shot. */
void sim_sq_inject_error(struct sim_sq *sq, uint32_t after_n_wqes);

struct sim_sq_stats {
	uint64_t doorbells;
	uint64_t db_ignored;  /* rung in RST */
	uint64_t db_mismatch; /* ctrl8 did not match the ring */
	uint64_t wqes;        /* executed successfully */
	uint64_t nops;
	uint64_t fenced;      /* WQEs with a fence mode (trivially honoured: all in order) */
	uint64_t sends;       /* SEND + LSO WQEs */
	uint64_t frames;      /* emitted to the port */
	uint64_t frame_bytes;
	uint64_t port_errors; /* the port refused a frame */
	uint64_t tls_static;  /* static params applied */
	uint64_t tls_progress;
	uint64_t tls_dump_wqes;
	uint64_t tls_dump_bytes;
	uint64_t tls_rx_static;   /* TIR static params applied (UMR opc_mod 2) */
	uint64_t tls_rx_progress; /* TIR progress params (SET_PSV opc_mod 2) */
	uint64_t get_psv;         /* GET_PSV results written */
	uint64_t tls_frames;  /* frames whose payload went through a TLS context */
	uint64_t tls_bytes;
	/* TLS data or DUMP WQE right after static/progress params for the same TIS with no fenced
	 * WQE in between: every driver fences there (devx-userspace B5); on hardware the data could
	 * race the params. Counted, not rejected, so tests can assert it stays 0. */
	uint64_t tls_unfenced_after_params;
	uint64_t cqes;
	uint64_t err_cqes;    /* the error CQE that moved the SQ to ERR */
	uint64_t flushed;     /* WR_FLUSH_ERR CQEs */
	uint8_t last_syndrome;
	uint8_t last_vsynd;
	uint16_t last_err_wqe_counter;
};
void sim_sq_get_stats(struct sim_sq *sq, struct sim_sq_stats *st);

/*
 * The model's vendor_err_synd values (error CQE byte 54): which rule rejected the WQE. Model's
 * own numbering (0x80..), next to the PRM syndrome it comes with.
 */
enum sim_sq_vsynd {
	SIM_VSYND_NONE = 0x00,
	/* LOCAL_QP_OP_ERR (0x02): the WQE is malformed or names something it must not */
	SIM_VSYND_DS_ZERO = 0x80,            /* ctrl ds = 0 */
	SIM_VSYND_DS_BEYOND_PI = 0x81,       /* WQE extends past the producer counter */
	SIM_VSYND_BAD_WQE_INDEX = 0x82,      /* ctrl WQE index != consumer counter */
	SIM_VSYND_BAD_QPN = 0x83,            /* ctrl qpn != this SQ */
	SIM_VSYND_BAD_OPCODE = 0x84,         /* opcode not executable by this engine */
	SIM_VSYND_BAD_OPC_MOD = 0x85,
	SIM_VSYND_BAD_DS = 0x86,             /* ds wrong for the opcode */
	SIM_VSYND_CTRL_RESERVED = 0x87,      /* ctrl reserved bytes/bits set */
	SIM_VSYND_BAD_FENCE_MODE = 0x88,     /* fm 5..7 */
	SIM_VSYND_ETH_UNSUPPORTED = 0x89,    /* swp offsets/flags, inner csum, VLAN insert */
	SIM_VSYND_UMR_FORMAT = 0x8a,         /* UMR ctrl/mkey not the TLS static-params form */
	SIM_VSYND_STATIC_PARAMS = 0x8b,      /* constants/reserved bits of tls_static_params */
	SIM_VSYND_TLS_SUITE = 0x8c,          /* version/key size not in the profile's tls_cap */
	SIM_VSYND_TIS_UNKNOWN = 0x8d,        /* TIS number names no TIS */
	SIM_VSYND_TIS_NOT_TLS = 0x8e,        /* TIS without tls_en where TLS is needed */
	SIM_VSYND_TIS_NO_CONTEXT = 0x8f,     /* TLS TIS never given static params */
	SIM_VSYND_DEK_INVALID = 0x90,        /* dek_index not a live, keyed DEK */
	SIM_VSYND_PROGRESS_PARAMS = 0x91,    /* reserved bits / bad state values */
	SIM_VSYND_TLS_ENGINE = 0x92,         /* the TLS engine refused (its own reason) */
	SIM_VSYND_PKT_UNPARSEABLE = 0x93,    /* offload on a frame not ETH/IP/TCP|UDP */
	SIM_VSYND_LSO_HEADERS = 0x94,        /* LSO inline headers are not exactly L2..L4 */
	SIM_VSYND_TLS_NOT_TCP = 0x95,        /* TLS TIS on a frame that is not plain TCP */
	SIM_VSYND_TLS_HDR_NOT_INLINE = 0x96, /* TLS frame without L2..L4 inline (en_tx.c) */
	SIM_VSYND_INJECTED = 0x97,           /* sim_sq_inject_error() */
	SIM_VSYND_RX_NOT_MODELLED = 0x98,    /* retired: TIR params and GET_PSV are modelled now;
					      * kept so the numbering stays stable */
	SIM_VSYND_DB_OVERFLOW = 0x99,        /* producer counter more than a ring ahead */
	/* LOCAL_LENGTH_ERR (0x01) */
	SIM_VSYND_INLINE_BEYOND_DS = 0xa0,   /* inline header longer than the WQE */
	SIM_VSYND_DATA_LEN_ZERO = 0xa1,      /* data segment byte_count 0 */
	SIM_VSYND_FRAME_TOO_SHORT = 0xa2,    /* < 14 bytes */
	SIM_VSYND_FRAME_TOO_LONG = 0xa3,     /* L3 length above the port MTU */
	SIM_VSYND_LSO_TOO_LONG = 0xa4,       /* LSO payload above 256 KiB */
	SIM_VSYND_LSO_NO_PAYLOAD = 0xa5,
	SIM_VSYND_LSO_MSS = 0xa6,            /* mss 0, or headers + mss above the MTU */
	SIM_VSYND_INLINE_SEG_LEN = 0xa7,     /* inline data segment overruns the WQE */
	SIM_VSYND_RQ_BUF_TOO_SMALL = 0xa8,   /* RQ: packet longer than the WQE's byte_count */
	/* LOCAL_PROT_ERR (0x04) */
	SIM_VSYND_LKEY_UNKNOWN = 0xb0,
	SIM_VSYND_ADDR_OUT_OF_MR = 0xb1,
	SIM_VSYND_PD_MISMATCH = 0xb2,        /* MR vs SQ/RQ PD, or DEK vs TIS PD */
	SIM_VSYND_MR_NO_WRITE = 0xb3,        /* device write into a region without LOCAL_WRITE */
	/* WR_FLUSH_ERR (0x05) */
	SIM_VSYND_FLUSHED = 0xc0,
	/* LOCAL_QP_OP_ERR (0x02), continued: the receive side's WQEs */
	SIM_VSYND_TIR_UNKNOWN = 0xd0,        /* TIR number names no TIR */
	SIM_VSYND_TIR_NOT_TLS = 0xd1,        /* TIR without tls_en */
	SIM_VSYND_TIR_NO_CONTEXT = 0xd2,     /* TLS TIR never given (valid) static params */
	SIM_VSYND_GET_PSV_FORMAT = 0xd3,     /* num_psv != 0x10, reserved bytes, psv_index[1..3] */
	SIM_VSYND_GET_PSV_ALIGN = 0xd4,      /* result address not 64-byte aligned */
	SIM_VSYND_DEK_NOT_OWNED = 0xd5,      /* TIR static params naming another uid's DEK */
	SIM_VSYND_RQ_WQE_FORMAT = 0xd6,      /* receive WQE byte_count with the inline bit */
};
/* Short name of a vsynd ("DS_ZERO"), or NULL. */
const char *sim_sq_vsynd_str(uint8_t vsynd);

/* ---- the TLS TX engine interface (per TIS context) ---- */

/*
 * What the SQ engine needs from a TLS TX crypto engine, one context per TLS TIS. All calls for one
 * context are serialised by the SQ engine. Return 0, or -errno (the WQE then fails with
 * LOCAL_QP_OP_ERR / SIM_VSYND_TLS_ENGINE).
 *   create:       a fresh context (NULL on failure).
 *   set_static:   the 64-byte tls_static_params of a UMR WQE and the DEK's key (16/32 bytes).
 *   set_progress: the 12-byte tls_progress_params of a SET_PSV WQE.
 *   dump:         DUMP WQE bytes: plaintext replayed to rebuild record state, not transmitted.
 *   data:         the TCP payload of one frame at TCP sequence `tcp_seq`, encrypted in place.
 */
struct sim_tls_engine_ops {
	void *(*create)(void);
	void (*destroy)(void *ctx);
	int (*set_static)(void *ctx, const uint8_t params[64], const uint8_t *key, size_t key_len);
	int (*set_progress)(void *ctx, const uint8_t params[12]);
	int (*dump)(void *ctx, const uint8_t *data, size_t len);
	int (*data)(void *ctx, uint32_t tcp_seq, uint8_t *payload, size_t len);
	/* Optional: as data, reading the plaintext from in and writing the frame's bytes to out
	 * (in == out allowed). NULL: the caller copies and calls data. */
	int (*data_to)(void *ctx, uint32_t tcp_seq, const uint8_t *in, uint8_t *out, size_t len);
};

/* The built-in engine (sim/tls_tx.h: AES-GCM through OpenSSL EVP). */
const struct sim_tls_engine_ops *sim_tls_engine_builtin(void);

#endif /* MLX5TLS_SIM_SQ_H */
