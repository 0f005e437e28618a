/* SPDX-License-Identifier: BSD-3-Clause */
/* The datapath engines' private structures: send queue (sq.c; the WQE engine sq_wqe.c,
 * sq_send.c, sq_tls_wqe.c), receive queue and receive path (rq.c, steer.c, rx.c), cq.c, mr.c, the
 * TLS contexts (tls_ctx.c, tls_rx_ctx.c), pkt.c. */
#ifndef MLX5TLS_SIM_SQ_INTERNAL_H
#define MLX5TLS_SIM_SQ_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim/objtab.h"
#include "sim/strict.h"
#include "sim/sim_internal.h"
#include "sim/rq.h"
#include "sim/sq.h"
#include "sim/tls_rx.h"

/* mlx5dv.h values, restated so the engine reads as the PRM names them. */
#define SQ_WQEBB 64u
#define SQ_DS 16u
#define SQ_MAX_WQE_BYTES (63u * SQ_DS) /* ds is 6 bits (MLX5_WQE_CTRL_DS_MASK) */
#define CQE_SIZE 64u

#define CQE_OPCODE_REQ 0x0
#define CQE_OPCODE_RESP_SEND 0x2
#define CQE_OPCODE_REQ_ERR 0xd
#define CQE_OPCODE_RESP_ERR 0xe
#define CQE_OPCODE_INVALID 0xf

#define CQE_SYND_LOCAL_LENGTH 0x01
#define CQE_SYND_LOCAL_QP_OP 0x02
#define CQE_SYND_LOCAL_PROT 0x04
#define CQE_SYND_WR_FLUSH 0x05

/* Object numbers of the datapath objects: 24-bit, never 0, own bases (as sim_internal.h does). */
#define SIM_CQ_NUM_FIRST 0x400u
#define SIM_SQ_NUM_FIRST 0x1000u
#define SIM_MR_INDEX_FIRST 0x200u /* lkey = index << 8 | 8-bit variant, as mlx5 mkeys */
#define SIM_RQ_NUM_FIRST 0x2000u

/* LSO limit: the model accepts up to 256 KiB of payload per LSO WQE (cmd_hca_cap.max_lso_cap is
 * a 5-bit log; 2^18 is what ConnectX-4 and later report to the Linux driver). */
#define SQ_LSO_MAX_PAYLOAD (256u * 1024u)
#define SQ_FRAME_MAX (9978u + 14u + 8u) /* max MTU + Ethernet + two VLAN tags */
#define SQ_FRAME_MIN_PAD 60u            /* 64-byte minimum frame less the FCS */

#define SIM_TLS_STRIPES 64u

/*
 * Per-device datapath state, created with the first datapath object and freed with the last (the
 * control-plane sim_dev has no teardown hook for it yet; see sim_dp_dev_destroy in sim.h).
 */
struct sim_dp {
	pthread_mutex_t lock; /* tables below, except the MR table */
	uint32_t refs;        /* live SQs + CQs + MRs */
	struct sim_objtab cqs;
	struct sim_objtab sqs;
	uint32_t cq_cursor;
	uint32_t sq_cursor;

	pthread_rwlock_t mr_lock; /* readers: every gather; writers: reg/dereg */
	struct sim_objtab mrs;    /* keyed by lkey >> 8 (the mkey index) */
	uint32_t mr_cursor;
	uint8_t mr_variant;

	/* The TLS TX contexts (tls_ctx.c LIFETIME), not on the per-WQE path, where each SQ reaches
	 * its TIS's context through its cached reference. By TIS number in stripes, each under its
	 * own lock; by DEK id in one index per DEK shard, under that shard's lock (or dek_lock held
	 * for writing), which the DEK's commands and the static params' key fetch hold anyway.
	 * Order (sim_internal.h): DEK locks, then a stripe, then a context's lock. */
	struct sim_tls_stripe {
		pthread_mutex_t lock;
		struct sim_objtab tls; /* TIS number -> struct sim_tls_ctx */
	} tls_stripes[SIM_TLS_STRIPES];
	struct sim_objtab tls_by_dek[SIM_DEK_SHARDS]; /* DEK id -> chain of links (tls_ctx.c) */

	struct sim_objtab rqs;    /* changed under `lock` and dev->dp_lock (write); read under
				   * either (sim_rq_pin_num: dp_lock, read) */
	uint32_t rq_cursor;
};

/* Take a reference on the device's datapath state (creating it); NULL on -ENOMEM. */
struct sim_dp *sim_dp_get(struct sim_dev *dev);
void sim_dp_put(struct sim_dev *dev);

/* ---- memory regions (mr.c) ---- */
/* Copy len bytes at (lkey, addr) into dst. 0, or the vsynd (LKEY_UNKNOWN, ADDR_OUT_OF_MR,
 * PD_MISMATCH) if the access is not covered. pd 0 = any. */
int sim_mr_read(struct sim_dp *dp, uint32_t pd, uint32_t lkey, uint64_t addr, uint32_t len,
		void *dst);
/* Copy len bytes from src to (lkey, addr): the same checks, and the region must have been
 * registered with SIM_MR_ACCESS_LOCAL_WRITE (else SIM_VSYND_MR_NO_WRITE). */
int sim_mr_write(struct sim_dp *dp, uint32_t pd, uint32_t lkey, uint64_t addr, uint32_t len,
		 const void *src);
void sim_mr_destroy_all(struct sim_dp *dp);
/* The memory itself, for a reader that transforms it on the way (TLS LSO encrypts straight
 * from it into the frame): sim_mr_read_lock(), then any number of sim_mr_ptr() (the same checks
 * as sim_mr_read; the pointer is valid until the unlock: a dereg waits), sim_mr_read_unlock(). */
void sim_mr_read_lock(struct sim_dp *dp);
void sim_mr_read_unlock(struct sim_dp *dp);
int sim_mr_ptr(struct sim_dp *dp, uint32_t pd, uint32_t lkey, uint64_t addr, uint32_t len,
	       const uint8_t **p);
/* The same for a writer (the receive path decrypts in the receive buffer), with the checks of
 * sim_mr_write. */
int sim_mr_wptr(struct sim_dp *dp, uint32_t pd, uint32_t lkey, uint64_t addr, uint32_t len,
		uint8_t **p);

/* ---- completion queue (cq.c) ---- */
struct sim_cq {
	struct sim_dev *dev;
	struct sim_dp *dp;
	pthread_mutex_t lock;
	uint32_t cqn;
	uint32_t log_cqes;
	uint8_t *buf;
	uint32_t *dbrec;
	bool own_buf, own_dbrec;
	uint32_t pi;    /* CQEs written */
	uint32_t users; /* SQs attached */
	struct sim_cq_stats stats;
};

/* Write one CQE (bytes 0..62 from `cqe`, op_own from opcode and the wrap parity, stored last).
 * 0, or -ENOSPC when the consumer has not freed a slot (the CQ is then overrun for good). */
int sim_cq_write(struct sim_cq *cq, const uint8_t cqe[CQE_SIZE], uint8_t opcode);
void sim_cq_attach(struct sim_cq *cq, int delta);

/* ---- TLS contexts (tls_ctx.c) ---- */
struct sim_tls_ctx;
/* Apply static params for TLS TIS tisn (of PD tis_pd), creating its context with ops: checks the
 * params' constants and reserved bits, the DEK (live, keyed, same PD) and the profile's suites.
 * 0 or a vsynd. */
int sim_tls_ctx_static(struct sim_dev *dev, struct sim_dp *dp, const struct sim_tls_engine_ops *ops,
		       struct sim_tls_ctx **cache, uint32_t tisn, uint32_t tis_pd,
		       const uint8_t params[64]);
/* tisn's context, locked; NULL if none. Through *cache (an SQ's, under its proc_lock): when it
 * holds tisn's live context no table lock is taken; otherwise the table's answer is cached, with
 * a reference (tls_ctx.c LIFETIME). Unlock with sim_tls_ctx_unlock. */
struct sim_tls_ctx *sim_tls_ctx_lock(struct sim_dp *dp, struct sim_tls_ctx **cache, uint32_t tisn);
void sim_tls_ctx_unlock(struct sim_tls_ctx *ctx);
/* Drop the cache's reference (the SQ goes). */
void sim_tls_ctx_uncache(struct sim_tls_ctx **cache);
int sim_tls_ctx_progress(struct sim_tls_ctx *ctx, const uint8_t params[12]);
int sim_tls_ctx_dump(struct sim_tls_ctx *ctx, const uint8_t *data, size_t len);
int sim_tls_ctx_data(struct sim_tls_ctx *ctx, uint32_t tcp_seq, uint8_t *payload, size_t len);
/* From in (the application's memory) into out (the frame). */
int sim_tls_ctx_data_to(struct sim_tls_ctx *ctx, uint32_t tcp_seq, const uint8_t *in,
			uint8_t *out, size_t len);
/* The TX contexts' tables (dp_alloc, dp_free): 0 or -ENOMEM; destroy_all frees every context. */
int sim_tls_ctx_init(struct sim_dp *dp);
void sim_tls_ctx_destroy_all(struct sim_dp *dp);
/* Drop tisn's context (a destroyed TIS); no-op if none. */
void sim_tls_ctx_drop(struct sim_dp *dp, uint32_t tisn);
/* DEK ids [first, first + n) of a record in DEK shard `shard` were re-keyed or destroyed (that
 * shard's lock or dek_lock for writing held): drop the contexts keyed from them. */
void sim_tls_ctx_deks_gone(struct sim_dp *dp, uint32_t shard, uint32_t first, uint32_t n);
/* Shared with the RX contexts: the constants and reserved fields of tls_static_params (fact
 * sheet 6), and a DEK's key, PD and owner if dek_id is a live, keyed DEK (0 or -ENOENT). */
bool sim_tls_static_params_valid(const uint8_t *p, bool *tls13);
int sim_tls_dek_fetch(struct sim_dev *dev, uint32_t dek_id, uint8_t *key, size_t *key_len,
		      uint32_t *pd, uint16_t *uid);
/* Whether the profile offers (TLS 1.3?, key_len) in the given direction's capability. */
bool sim_tls_suite_supported(const struct sim_dev *dev, bool rx, bool tls13, size_t key_len);

/* ---- TLS RX contexts, one per TLS TIR, in its RQ's table (tls_rx_ctx.c) ---- */
struct sim_tls_rx_ctx;
/* Apply static params for TLS TIR tirn, creating its context with ops: the TIR (live, tls_en),
 * the params' constants, the DEK (live, keyed, of the TIR's uid) and the profile's RX suites. 0
 * or a vsynd. */
int sim_tls_rx_ctx_static(struct sim_dev *dev, const struct sim_tls_rx_engine_ops *ops,
			  uint32_t tirn, const uint8_t params[64]);
/* tirn's context, locked (*out): 0, or the vsynd TIR_UNKNOWN, TIR_NOT_TLS or TIR_NO_CONTEXT.
 * Unlock with sim_tls_rx_ctx_unlock. */
int sim_tls_rx_ctx_lock(struct sim_dev *dev, uint32_t tirn, struct sim_tls_rx_ctx **out);
/* The same for a delivery into rq (rq->lock held) of a frame TIR tirn steered: through rq's
 * cached context when it is tirn's, else looked up in rq's table and cached; NULL if none. */
struct sim_tls_rx_ctx *sim_tls_rx_ctx_lock_rq(struct sim_rq *rq, uint32_t tirn);
void sim_tls_rx_ctx_unlock(struct sim_tls_rx_ctx *ctx);
/* SET_PSV / GET_PSV on a locked context: 0 or a vsynd. */
int sim_tls_rx_ctx_progress(struct sim_tls_rx_ctx *ctx, const uint8_t params[12]);
int sim_tls_rx_ctx_get_progress(struct sim_tls_rx_ctx *ctx, uint8_t out[16]);
/* One received TCP segment through the engine, from in (as received) to out (what the device
 * writes): 0 (status set) or -errno from the engine (out then undefined). */
int sim_tls_rx_ctx_packet(struct sim_tls_rx_ctx *ctx, uint32_t tcp_seq, const uint8_t *in,
			  uint8_t *out, size_t len, bool l4_csum_ok, enum sim_tls_rx_status *status);
/* Drop tirn's context (its TIR, which delivers to rq, has left the TIR table; no lock of the
 * datapath held, perhaps the TIR's table shard: sim_internal.h). */
void sim_tls_rx_ctx_drop(struct sim_rq *rq, uint32_t tirn);
/* Ask for the line of tirn's slot in rq's context table, whose drop is likely next. */
void sim_tls_rx_ctx_prefetch(struct sim_rq *rq, uint32_t tirn);
/* An RQ's table of contexts (rq create, destroy): 0 or -ENOMEM; fini frees what is left. */
int sim_tls_rx_ctx_table_init(struct sim_rq *rq);
void sim_tls_rx_ctx_table_fini(struct sim_rq *rq);

/* ---- packets (pkt.c) ---- */
struct sim_pkt {
	uint16_t l3_off;   /* after Ethernet and up to two VLAN tags */
	uint16_t l4_off;
	uint16_t pay_off;  /* after the TCP/UDP header */
	uint32_t l3_end;   /* where the IP packet ends per its length field */
	uint16_t ethertype;
	uint8_t l4_proto;  /* 6 TCP, 17 UDP, other = not parsed */
	bool ipv4;
	bool ipv6;
	bool ipv4_frag;
};
/* Parse L2..L4 of frame[0..len). Returns 0 if L2 parsed: then ipv4/ipv6 tell whether an IP header
 * was found whole, and l4_proto (6/17) whether a whole TCP/UDP header followed (0 otherwise); -1
 * if the frame is too short for its Ethernet/IP headers or lengths. With `template` (an LSO
 * header template) the IP length fields are not trusted: the IP packet ends at `len`. */
int sim_pkt_parse(const uint8_t *frame, size_t len, struct sim_pkt *pkt, bool template);
/* Compute the checksums cs_flags asks for (0x40 IPv4 header, 0x80 TCP/UDP incl. pseudo-header),
 * over the packet as it is now (the fields are zeroed first). */
void sim_pkt_csum(uint8_t *frame, const struct sim_pkt *pkt, uint8_t cs_flags);
/* The same for the segments of an LSO WQE (a TCP template, parsed with `template`): the sums of
 * the header fields all segments share, taken once per WQE from the template (hdr) ... */
struct sim_lso_sums {
	uint32_t ip; /* IPv4 header without total length, identification and checksum */
	uint32_t l4; /* pseudo-header addresses and protocol, TCP header without sequence number,
		      * flags and checksum */
};
void sim_lso_sums_init(struct sim_lso_sums *s, const uint8_t *hdr, const struct sim_pkt *tpl);
/* ... and one segment's checksums (frame f: the template's headers with this segment's fields,
 * then seg payload bytes whose sim_csum_add partial sum is pay_sum), as sim_pkt_csum computes
 * them. */
void sim_lso_csum(uint8_t *f, const struct sim_pkt *tpl, const struct sim_lso_sums *s,
		  uint32_t seg, uint32_t pay_sum, uint8_t cs_flags);
/* csum.c: RFC 1071 sum of the big-endian 16-bit words of p[0, len) (a last odd byte is the high
 * half of a word) added to the partial sum `sum` (at most 31 bits); chain calls over pieces that
 * start at even offsets. sim_csum_fold: the checksum field for a partial sum (its complement). */
uint32_t sim_csum_add(uint32_t sum, const uint8_t *p, size_t len);
uint16_t sim_csum_fold(uint32_t sum);
/* csum.c: sums[i] = sim_csum_add(0, the i-th mss-byte piece of p[0, len)) for the first n pieces
 * (the last one may be shorter; n at most the pieces there are): an LSO WQE's segment payloads in
 * one call. */
void sim_csum_segments(const uint8_t *p, size_t len, uint32_t mss, uint32_t *sums, size_t n);
/* csum.c: the same sum without the vector path (tests compare the two), and which path
 * sim_csum_add takes on this machine ("avx2" or "portable") */
uint32_t sim_csum_add_portable(uint32_t sum, const uint8_t *p, size_t len);
const char *sim_csum_impl(void);

/* ---- send queue (sq.c; the WQE engine sq_wqe.c, sq_send.c, sq_tls_wqe.c) ---- */
struct sim_sq {
	struct sim_dev *dev;
	struct sim_dp *dp;
	struct sim_cq *cq;
	struct sim_port *port;
	const struct sim_tls_engine_ops *tls_ops;
	const struct sim_tls_rx_engine_ops *tls_rx_ops;
	uint32_t sqn;
	uint32_t tisn; /* default TIS */
	uint32_t pd;
	uint32_t log_wqebbs;
	uint8_t *buf;
	uint32_t *dbrec;
	bool own_buf, own_dbrec;

	/* proc_lock: held while WQEs are consumed and by modify/stats; guards everything below
	 * down to `stats`. */
	pthread_mutex_t proc_lock;
	enum sim_sq_state state;
	uint16_t ci;             /* consumer counter, WQEBBs */
	int64_t inject_after;    /* -1 = off */
	uint32_t last_params_tisn; /* TIS of the last static/progress params not yet fenced */
	struct sim_tis_cache tis_cache; /* the last TIS a WQE named (sim_tis_get_cached) */
	struct sim_tls_ctx *tls_ctx;    /* the TLS context of the last TIS a TLS WQE named, with a
					 * reference (tls_ctx.c LIFETIME) */
	bool cq_dead;            /* the CQ overran: nothing is completed any more */
	struct sim_sq_stats stats;
	uint8_t wqe[SQ_MAX_WQE_BYTES + SQ_WQEBB]; /* snapshot of the WQE being executed */
	uint8_t *pkt;            /* gathered packet: inline headers + data */
	uint8_t *frame;          /* one frame under construction */

	/* db_lock: the doorbell latch and the device thread's handshake */
	pthread_mutex_t db_lock;
	pthread_cond_t db_cond;   /* doorbell rung / stop */
	pthread_cond_t idle_cond; /* the thread caught up */
	uint16_t db_pc;           /* producer counter latched by the last doorbell */
	uint64_t db_seq;          /* doorbells rung */
	uint64_t done_seq;        /* doorbells the thread has fully processed */
	bool busy;
	bool stop;
	bool thread_started;
	pthread_t thread;
};

/* Consume WQEs up to the latched producer counter; proc_lock held. Returns WQEs consumed. */
int sim_sq_consume(struct sim_sq *sq, uint16_t pc);

/* The PRM syndrome class (CQE byte 55) of a vsynd (sq_wqe.c). */
uint8_t sim_vsynd_syndrome(int vsynd);

/* ---- receive queue (rq.c) and the receive path (steer.c, rx.c) ---- */
struct sim_rq {
	struct sim_dev *dev;
	struct sim_dp *dp;
	struct sim_cq *cq;
	uint32_t rqn;
	uint16_t uid;
	uint32_t pd;
	uint32_t user_index;
	uint32_t log_wqes;
	uint8_t *buf;
	uint32_t *dbrec;
	bool own_buf, own_dbrec;
	/* TIRs naming it + the default destination. Taken with dev->dp_lock held for reading
	 * (sim_rq_pin_num), where sim_rq_destroy checks it (for writing), so a destroy sees every
	 * pin taken before it; dropped without a lock. */
	_Atomic uint32_t pins;

	/* lock: held for each delivery, by modify and stats; guards everything below */
	pthread_mutex_t lock;
	enum sim_rq_state state;
	uint16_t ci; /* receive WQEs consumed */
	struct sim_rq_stats stats;
	uint8_t *scratch; /* the TLS stage's output for a frame with no receive buffer */
	/* The TLS RX context of the last TIR delivered through, so that a delivery does not take
	 * the context table's lock (tls_rx_ctx.c LIFETIME): only a TIR whose RQ this is steers
	 * frames here, and dropping its context clears this under this lock first. */
	struct sim_tls_rx_ctx *tls_ctx;
	uint32_t tls_ctx_tirn;

	/* The TLS RX contexts of the TIRs delivering here, by TIR number (tls_rx_ctx.c): a
	 * connection's setup on the thread that owns its RQ takes no lock other RQs' take. */
	pthread_mutex_t tls_rx_lock;
	struct sim_objtab tls_rx;
};

/* A received frame as the receive path has classified it. */
struct sim_rx_frame {
	const uint8_t *frame;
	size_t len;
	struct sim_pkt pkt;
	bool parsed;  /* pkt holds L2 (and maybe L3/L4) */
	bool l3_ok;   /* IPv4 header checksum good / IPv6 header whole */
	bool l4_ok;   /* TCP/UDP checksum good */
	uint32_t tirn; /* the TIR that steered it, 0 for the default destination */
	bool tls_en;
	uint32_t flow_tag; /* the steering rule's flow tag (24 bits), 0 without one */
};

/* Deliver one frame into rq (rq->lock held): TLS RX for a TLS TIR, then the next receive WQE,
 * the buffer write and the CQE; or a counted drop. */
void sim_rq_deliver_locked(struct sim_rq *rq, const struct sim_rx_frame *rx);
/* Resolve where a frame goes: returns its RQ, locked, and fills rx->tirn/tls_en; NULL if it is
 * dropped (no rule and no default destination; counted). */
struct sim_rq *sim_steer_resolve(struct sim_dev *dev, struct sim_rx_frame *rx);
/* Count a frame dropped for its length before classification. */
void sim_steer_count_bad_len(struct sim_dev *dev, size_t len, bool too_long);

#endif /* MLX5TLS_SIM_SQ_INTERNAL_H */
