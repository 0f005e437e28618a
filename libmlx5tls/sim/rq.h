/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The model's receive side: receive queues (RQs), the 5-tuple steering table that picks a TIR for
 * each received frame, and the RX entry point that a port (or a test) hands frames to. With the
 * TIR commands (CREATE/MODIFY/QUERY/DESTROY_TIR, sim/tir.c) and the TIR WQEs of the send engine
 * (static params UMR opc_mod 2, SET_PSV opc_mod 2, GET_PSV; sim/sq.h), this is what a
 * ConnectX-6 Dx does for a kTLS RX connection (fact sheet 11, 14b "RX").
 *
 * MEMORY CONTRACT - the cyclic RQ a driver gets from DevX CREATE_RQ (wq_type CYCLIC, one data
 * segment per WQE, log_wq_stride 4) or rdma-core's raw WQ / DPDK's mlx5 Rx queue:
 *   RQ ring   2^log_wqes receive WQEs of 16 bytes, each one struct mlx5_wqe_data_seg:
 *             byte_count (BE32), lkey (BE32), addr (BE64) of a buffer in a memory region the
 *             device may write (sim_mr_reg_access with SIM_MR_ACCESS_LOCAL_WRITE). WQE index i
 *             lives at ring + (i & (n-1)) * 16.
 *   RQ dbrec  two BE32 words; dbrec[0] = the receive producer counter (WQEs posted, low 16 bits
 *             used; rdma-core MLX5_RCV_DBR, DPDK rq_db). There is no MMIO doorbell for RQs: the
 *             device reads dbrec[0] when a packet needs a WQE. Write the WQEs, then a write
 *             barrier, then dbrec[0].
 *   CQ        a sim_cq (sim/sq.h); one 64-byte CQE per delivered packet (struct mlx5_cqe64):
 *               byte 0      TLS offload status in bits 4:3 (fact sheet 9: 0 not decrypted,
 *                           1 decrypted, 2 resync request, 3 error); bit 0 (tunneled) 0
 *               byte 28     hds_ip_ext: MLX5_CQE_L2_OK 0x1 | L3_OK 0x2 | L4_OK 0x4
 *               byte 29     l4_hdr_type_etc: l4 type << 4 | l3 type << 2 (rdma-core
 *                           MLX5_CQE_L3_HDR_TYPE_*: IPv6 1, IPv4 2; l4: TCP without ACK 1, UDP 2,
 *                           TCP ACK without data 3, TCP ACK with data 4 - kernel device.h
 *                           CQE_L4_HDR_TYPE_*)
 *               bytes 32-35 srqn_uidx: the RQ's user_index (rqc.user_index, 24 bits), which
 *                           rdma-core uses to find the WQ with CQE version 1
 *               bytes 44-47 byte_cnt: frame bytes written
 *               bytes 56-59 sop_drop_qpn: 0 - its low 24 bits carry a steering flow tag
 *                           (rdma-core mlx5_cq_read_flow_tag); the model's rules set none, as the
 *                           kernel's TLS rules use the default tag 0
 *               bytes 60-61 wqe_counter: the index of the receive WQE used
 *               byte 63     op_own: MLX5_CQE_RESP_SEND (2) << 4 | owner
 *             Not written (0): the LRO fields, the RSS hash, check_sum (CHECKSUM_COMPLETE),
 *             timestamp, vlan_info (no VLAN stripping: tags stay in the frame).
 *
 * RECEIVE RULES (one frame):
 *  - a frame shorter than an Ethernet header or longer than SIM_RX_FRAME_MAX is dropped and
 *    counted (sim_rx_stats);
 *  - L3/L4 are parsed and checked (IPv4 header checksum; TCP/UDP checksum with the pseudo
 *    header, RFC 793/768/8200; an IPv4 UDP checksum of 0 means "none" and is OK);
 *  - steering: an exact 5-tuple rule -> its TIR -> the TIR's RQ (DIRECT); no rule -> the default
 *    RQ, or a counted drop when there is none;
 *  - a TIR with tls_en runs its TLS RX context (sim/tls_rx.h) over the TCP payload of the frame,
 *    with the L4 checksum verdict; no context yet (no static params) -> status 0;
 *  - model reading: the crypto engine sits in the TIR's receive pipeline ahead of the RQ's
 *    scatter (it is a TIR offload, like LRO and RSS), so a frame dropped at the RQ (no WQE, RQ
 *    not RDY) has already been through the record tracker; its retransmission is then an old
 *    packet for it (tls_rx.c R6), delivered as received for the host to decrypt;
 *  - RQ in RST or ERR: dropped and counted (dropped_state); RDY without a posted WQE: dropped and
 *    counted in out_of_buffer (the mlx5 rx_out_of_buffer counter);
 *  - errors consume the WQE, write an error CQE (MLX5_CQE_RESP_ERR 14: syndrome at byte 55,
 *    model reason at byte 54 - sim/sq.h enum sim_sq_vsynd - wqe_counter at 60) and move the RQ to
 *    ERR, as DPDK's mlx5_rx_err_handle expects (it resets the RQ: ERR -> RST -> RDY, re-posts,
 *    and does not wait for flush CQEs - the model writes none): frame longer than the WQE's
 *    byte_count (LOCAL_LENGTH, RQ_BUF_TOO_SMALL), buffer outside a region / wrong PD / region
 *    without LOCAL_WRITE (LOCAL_PROT), byte_count with the inline bit (LOCAL_QP_OP,
 *    RQ_WQE_FORMAT), producer counter more than a ring ahead (LOCAL_QP_OP, DB_OVERFLOW);
 *  - CQ overrun: the frame is lost, the RQ goes to ERR (counted in cq_overrun).
 *
 * LIFETIME: an RQ named by a TIR (inline_rqn) or set as the default destination is pinned:
 * sim_rq_destroy() fails with -EBUSY, where DESTROY_RQ fails with BAD_RES_STATE on hardware.
 * Destroy the TIRs (and clear the default) first; destroy RQs before their CQ and before
 * sim_dev_destroy(). The steering table lives as long as the device.
 */
#ifndef MLX5TLS_SIM_RQ_H
#define MLX5TLS_SIM_RQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sim_dev;
struct sim_cq;
struct sim_rq;

/* ---- receive queue ---- */

/* The largest frame the receive path takes: max MTU (9978, mlx5e max_mtu) + Ethernet header +
 * two VLAN tags, the same bound as the send engine's frames. */
#define SIM_RX_FRAME_MAX (9978u + 14u + 8u)

#define SIM_RQ_LOG_MAX 15u /* the 16-bit producer counter still tells full from empty */

/* rqc.state values (PRM, as sqc.state) */
enum sim_rq_state {
	SIM_RQ_RST = 0,
	SIM_RQ_RDY = 1,
	SIM_RQ_ERR = 3,
};

struct sim_rq_attr {
	uint32_t log_wqes;   /* 1..SIM_RQ_LOG_MAX */
	struct sim_cq *cq;   /* required, of the same device */
	uint32_t pd;         /* wq.pd; 0 = do not match it against the MRs' PDs */
	uint16_t uid;        /* the user context CREATE_RQ would have run for: only TIRs of the same
			      * uid may name it (0 = the kernel's) */
	uint32_t user_index; /* rqc.user_index, echoed in each CQE's srqn_uidx (24 bits) */
	void *buf;           /* 16 << log_wqes bytes, 16-byte aligned; NULL: the model allocates */
	uint32_t *dbrec;     /* 2 x BE32, 4-byte aligned; NULL: the model allocates */
};

struct sim_rq_info {
	uint32_t rqn;
	void *buf;
	uint32_t wqe_cnt;
	uint32_t stride; /* 16 */
	uint32_t *dbrec;
	enum sim_rq_state state;
};

/* Created in RST, as CREATE_RQ with state RST; take it to RDY with sim_rq_modify(). NULL + errno:
 * EINVAL (bad attr), ENOMEM. */
struct sim_rq *sim_rq_create(struct sim_dev *dev, const struct sim_rq_attr *attr);
/* 0, or -EBUSY while a TIR or the default destination names it. NULL is a no-op. */
int sim_rq_destroy(struct sim_rq *rq);
void sim_rq_query(struct sim_rq *rq, struct sim_rq_info *info);
/* MODIFY_RQ. Legal: RST->RDY, RDY->RST, RDY->ERR, ERR->RST (and X->X). Going to RST zeroes the
 * consumer counter: the driver re-posts from WQE 0 and rewrites dbrec[0]. 0 or -EINVAL. */
int sim_rq_modify(struct sim_rq *rq, enum sim_rq_state state);

struct sim_rq_stats {
	uint64_t packets;       /* delivered with a CQE */
	uint64_t bytes;
	uint64_t out_of_buffer; /* RDY, no posted WQE: dropped (mlx5 rx_out_of_buffer) */
	uint64_t dropped_state; /* RQ in RST or ERR: dropped */
	uint64_t err_cqes;      /* error CQEs (each moved the RQ to ERR) */
	uint64_t cq_overrun;    /* frames lost to a full CQ */
	uint64_t l3_not_ok;     /* IP / TCP-UDP frames delivered without L3_OK / L4_OK */
	uint64_t l4_not_ok;
	uint64_t tls_not_decrypted; /* delivered through a TLS TIR, by CQE TLS status */
	uint64_t tls_decrypted;
	uint64_t tls_resync;
	uint64_t tls_error;
	uint64_t tls_no_context; /* TLS TIR without static params: status 0 */
	uint64_t tls_engine_errors; /* the engine failed (OpenSSL): delivered as received, 0 */
	uint8_t last_syndrome;
	uint8_t last_vsynd;
	uint16_t last_err_wqe_counter;
};
void sim_rq_get_stats(struct sim_rq *rq, struct sim_rq_stats *st);

/* ---- steering ---- */

/*
 * On hardware the 5-tuple -> TIR rule is installed through rdma-core's flow API
 * (mlx5dv_create_flow with a DevX TIR as destination, or mlx5dv_dr rules), not with PRM commands
 * the library sends itself (the kernel's own TLS rules: fact sheet 11.1, 11.2 step 5). The model
 * therefore offers steering as an API that the sim transport (and the DevX interposer) call, as it
 * offers sim_sq_create() for what rdma-core's queue calls do.
 *
 * A rule matches exactly, as the kernel's accel TCP tables do (ip version, both addresses, both
 * ports, the L4 protocol); VLAN tags are not part of the match. Addresses and ports are as the
 * receiver sees the packet: src = the peer that sent it, dst = this side.
 */
struct sim_flow_match {
	uint8_t ip_version; /* 4 or 6 */
	uint8_t ip_proto;   /* 6 (TCP) or 17 (UDP) */
	uint8_t src_ip[16]; /* IPv4: bytes 0..3, bytes 4..15 zero; network order */
	uint8_t dst_ip[16];
	uint16_t src_port;  /* host order */
	uint16_t dst_port;
};

/* Steer frames matching `m` to TIR tirn (which must exist; a rule pins it: DESTROY_TIR fails
 * with TIR_IN_USE until the rule is deleted). 0 and a rule id, or -EINVAL (bad match), -ENOENT
 * (no such TIR), -EEXIST (the same match is already steered), -ENOMEM. */
int sim_steer_add(struct sim_dev *dev, const struct sim_flow_match *m, uint32_t tirn,
		  uint32_t *rule_id);
/* The same with a flow tag action: the tag (bits 23:0; rdma-core MLX5DV_FLOW_ACTION_TAG) is
 * written into the CQE's sop_drop_qpn of every frame the rule steers (rdma-core mlx5 cq.c reads
 * the flow tag as be32(sop_drop_qpn) & 0xffffff). -EINVAL for a tag above 24 bits. */
int sim_steer_add_tagged(struct sim_dev *dev, const struct sim_flow_match *m, uint32_t tirn,
			 uint32_t tag, uint32_t *rule_id);
/* 0, or -ENOENT. */
int sim_steer_del(struct sim_dev *dev, uint32_t rule_id);
/* Where unmatched frames go: RQ rqn (pinned while it is the default), or 0 = drop (the default at
 * creation). 0, or -ENOENT (no such RQ). */
int sim_steer_set_default(struct sim_dev *dev, uint32_t rqn);

/* ---- the RX entry point ---- */

/* Receive one Ethernet frame (no FCS) from the wire. Returns 0 whether it was delivered or dropped
 * (see the counters), -EINVAL for bad arguments. Thread-safe. */
int sim_dev_rx(struct sim_dev *dev, const uint8_t *frame, size_t len);
/* The same as a sim_port_rx_fn: sim_port_loopback_create(sim_dev_rx_port_fn, rx_dev) makes a
 * port whose frames a TX device sends into rx_dev's receive path. */
int sim_dev_rx_port_fn(void *dev, const uint8_t *frame, size_t len);

struct sim_rx_stats {
	uint64_t frames;      /* handed to sim_dev_rx */
	uint64_t bytes;
	uint64_t too_short;   /* < 14 bytes: dropped */
	uint64_t too_long;    /* > SIM_RX_FRAME_MAX bytes: dropped */
	uint64_t steered;     /* matched a rule */
	uint64_t to_default;  /* unmatched, to the default RQ */
	uint64_t no_match;    /* unmatched, no default: dropped */
	uint64_t l3_not_ok;   /* IP frames with a bad header (checksum) */
	uint64_t l4_not_ok;   /* TCP/UDP frames with a bad checksum */
	uint32_t rules;       /* live rules */
};
void sim_dev_get_rx_stats(struct sim_dev *dev, struct sim_rx_stats *st);

#endif /* MLX5TLS_SIM_RQ_H */
