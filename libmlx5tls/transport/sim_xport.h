/* SPDX-License-Identifier: BSD-3-Clause */
/* The sim transport's per-device state, shared by its command half (sim.c) and its datapath half
 * (sim_dp.c). Private to the transport. */
#ifndef MLX5TLS_TRANSPORT_SIM_XPORT_H
#define MLX5TLS_TRANSPORT_SIM_XPORT_H

#include <pthread.h>
#include <stdint.h>

#include "transport/transport.h"

struct sim_dev;
struct sim_port;

/* Ports the wire is made of: the one queues send to (`top`) and the parts under it, which the
 * model's tee does not own. At most 3 sinks (rx, pcap, AF_PACKET) and 2 tees joining them. */
#define SIM_WIRE_MAX_PORTS 6

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
};

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
		       struct mlx5tls_xobj *tir_obj, uint32_t tirn, struct mlx5tls_xflow **f);
int sim_flow_destroy_op(struct mlx5tls_xflow *f);
/* The object number behind a handle of sim.c (the pdn of a PD). */
uint32_t sim_xobj_id(const struct mlx5tls_xobj *obj);
/* Destroy the wire's ports (device close; no queue may be left). */
void sim_wire_release(struct mlx5tls_xport *xp);

#endif
