/* SPDX-License-Identifier: BSD-3-Clause */
/* The sim transport's per-device state, shared by its command half (sim.c) and its datapath half
 * (sim_dp.c). Private to the transport. */
#ifndef MLX5TLS_TRANSPORT_SIM_XPORT_H
#define MLX5TLS_TRANSPORT_SIM_XPORT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "sim/fault.h"
#include "transport/transport.h"

struct sim_dev;
struct sim_port;

/* Ports the wire is made of: the one queues send to (`top`) and the parts under it, which the
 * model's tee does not own. At most 3 sinks (rx, pcap, AF_PACKET), 2 tees joining them and the
 * TX fault stage on top. */
#define SIM_WIRE_MAX_PORTS 7

/* Which directions of the port the wire_* device options fault. */
enum { SIM_WIRE_FAULT_TX = 1, SIM_WIRE_FAULT_RX = 2 };

struct mlx5tls_xport {
	struct sim_dev *dev;
	uint16_t uid;
	struct sim_port *wire_top;                     /* NULL until the first queue or wire_set */
	struct sim_port *wire_ports[SIM_WIRE_MAX_PORTS]; /* everything to destroy, top included */
	unsigned int n_wire_ports;
	/* wire_lock: the wire (wire_top, wire_ports) and live_qps; queue pairs are created and
	 * destroyed on any thread, and the wire may only be replaced while none is alive */
	pthread_mutex_t wire_lock;
	unsigned int live_qps;
	/* seeded faults from the device name's wire_* options (sim/fault.h) */
	struct sim_fault_cfg fault_cfg;
	unsigned int fault_dirs;       /* SIM_WIRE_FAULT_* */
	struct sim_fault *tx_fault;    /* in front of the sinks, under `top` */
	struct sim_fault *rx_fault;    /* in front of the device's receive path */
	struct sim_port *afpacket;     /* the AF_PACKET port, when there is one (receives) */
	struct sim_port *pcap;         /* the pcap sink: it records received frames too */
	_Atomic uint64_t rx_frames, rx_bytes; /* arrived at the port */
	bool has_default;              /* a catch-all flow is installed */
};

/* Take the wire_* options out of a device spec "PROFILE[,k=v...]": cfg/dirs get them, `rest`
 * (size rest_sz) the spec without them. 0 or -EINVAL (bad value), -ENAMETOOLONG. */
int sim_wire_parse_opts(const char *spec, char *rest, size_t rest_sz, struct sim_fault_cfg *cfg,
			unsigned int *dirs);
int sim_wire_stats(struct mlx5tls_xport *xp, struct mlx5tls_model_wire_stats *st);

int sim_qp_create(struct mlx5tls_xport *xp, const struct xport_qp_attr *attr,
		  struct xport_qp_info *info, struct mlx5tls_xqp **q);
void sim_qp_destroy(struct mlx5tls_xqp *q);
void sim_qp_doorbell(struct mlx5tls_xqp *q, const void *ctrl8);
int sim_qp_recover(struct mlx5tls_xqp *q);
int sim_qp_inject_error(struct mlx5tls_xqp *q, uint32_t after_n_wqes);
int sim_mr_reg_op(struct mlx5tls_xport *xp, struct mlx5tls_xobj *pd_obj, void *addr, size_t len,
		  uint32_t access, uint32_t *lkey, struct mlx5tls_xmr **mr);
int sim_mr_dereg_op(struct mlx5tls_xmr *mr);
int sim_wire_set(struct mlx5tls_xport *xp, const struct mlx5tls_model_wire_opts *opts);
int sim_wire_rx(struct mlx5tls_xport *xp, const void *frame, size_t len);
int sim_rq_create_op(struct mlx5tls_xport *xp, const struct xport_rq_attr *attr,
		     struct xport_rq_info *info, struct mlx5tls_xrq **q);
void sim_rq_destroy_op(struct mlx5tls_xrq *q);
int sim_rq_recover_op(struct mlx5tls_xrq *q);
int sim_rq_out_of_buffer_op(struct mlx5tls_xrq *q, uint64_t *n);
int sim_flow_create_op(struct mlx5tls_xport *xp, const struct xport_flow_match *m,
		       struct mlx5tls_xobj *tir_obj, uint32_t tirn, uint32_t tag,
		       struct mlx5tls_xflow *f);
int sim_flow_destroy_op(struct mlx5tls_xflow *f);
/* The object number behind a handle of sim.c (the pdn of a PD). */
uint32_t sim_xobj_id(const struct mlx5tls_xobj *obj);
/* Destroy the wire's ports (no queue may be left); the receive fault stage stays. */
void sim_wire_release(struct mlx5tls_xport *xp);
/* At open: the receive fault stage (from fault_cfg). At close: the wire and that stage. */
int sim_wire_init(struct mlx5tls_xport *xp);
void sim_wire_fini(struct mlx5tls_xport *xp);

#endif
