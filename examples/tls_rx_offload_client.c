/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tls_rx_offload: the receiving side, as the client's stack would do it. The device objects (a
 * control queue, a receive queue, a TLS TIR and a flow rule to it), every packet told to the RX
 * context as it arrives (mlx5tls_rx_packet: resync requests served), TCP reassembly in sequence
 * order into mlx5tls_rx_input(), and the verified plaintext compared with what the server wrote.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <mlx5tls/mlx5tls.h>

#include "tls_rx_offload_shared.h"

/* ---- the client: device objects, receive path, TCP reassembly ---- */

int open_device(struct app *a)
{
	MLX5TLS_OPTS(mlx5tls_qp_opts, q, .flags = MLX5TLS_QP_F_MODEL_SYNC);
	MLX5TLS_OPTS(mlx5tls_rq_opts, ro, .flags = MLX5TLS_RQ_F_MODEL_SYNC);
	MLX5TLS_OPTS(mlx5tls_tir_opts, to, .tls_en = true);
	struct mlx5tls_flow_match m = { .ip_version = 4, .src_port = SERVER_PORT,
					.dst_port = CLIENT_PORT };
	struct mlx5tls_device_attr attr;
	int ret;

	a->dev = mlx5tls_device_open(a->o.device, NULL);
	if (!a->dev) {
		ret = -errno;
		report("device open", ret);
		return ret;
	}
	ret = mlx5tls_device_query(a->dev, &attr);
	if (ret) {
		report("device query", ret);
		return ret;
	}
	if (attr.kind != MLX5TLS_DEVICE_MODEL) {
		fprintf(stderr,
			PROG ": %s is hardware; this example injects its frames into the model's "
			     "port (-d sim)\n", attr.name);
		return -EOPNOTSUPP;
	}
	printf("device:    %s (device model, fw %s)\n", attr.name, attr.fw_ver);
	a->pd = mlx5tls_pd_alloc(a->dev);
	a->td = a->pd ? mlx5tls_td_alloc(a->dev) : NULL;
	if (!a->td) {
		ret = -errno;
		report("PD/TD alloc", ret);
		return ret;
	}
	/* MODEL_SYNC: the model runs each doorbell on this thread, so a parameter or GET_PSV
	 * WQE is done when the call that posted it returns - deterministic runs per seed. */
	a->qp = mlx5tls_qp_create(a->pd, a->td, &q);
	if (!a->qp) {
		ret = -errno;
		report("control queue create", ret);
		return ret;
	}
	a->rq = mlx5tls_rq_create(a->pd, a->td, &ro);
	if (!a->rq) {
		ret = -errno;
		report("receive queue create", ret);
		return ret;
	}
	a->tir = mlx5tls_tir_create(a->rq, a->td, &to);
	if (!a->tir) {
		ret = -errno;
		report("TLS TIR create", ret);
		return ret;
	}
	put32(m.src_ip, SERVER_IP);
	put32(m.dst_ip, CLIENT_IP);
	a->flow = mlx5tls_flow_create(a->tir, &m);
	if (!a->flow) {
		ret = -errno;
		report("flow create", ret);
		return ret;
	}
	return 0;
}

/* Wait until the control queue has completed what the RX context posted on it (parameters, a
 * GET_PSV): on a device with its own thread the answer must be in before the next frame for the
 * run to be reproducible. Bounded: 2 s. */
int drain_control(struct app *a)
{
	struct timespec tick = { .tv_sec = 0, .tv_nsec = 100 * 1000 };
	struct mlx5tls_qp_attr qa;

	for (int i = 0; i < 20000; i++) {
		int ret = mlx5tls_qp_poll(a->qp, NULL, 0, 0);

		if (ret >= 0)
			ret = mlx5tls_qp_query(a->qp, &qa, sizeof(qa));
		if (ret < 0) {
			report("control queue", ret);
			return ret;
		}
		if (!qa.inflight)
			return 0;
		nanosleep(&tick, NULL);
	}
	fprintf(stderr, PROG ": the control queue did not drain\n");
	return -ETIMEDOUT;
}

/* The application's record callback: verified plaintext only, compared as it comes. */
static int on_record(void *ctx, uint8_t type, const void *pt, size_t len)
{
	struct app *a = ctx;

	if (type != TLS_CT_APPLICATION_DATA || a->got_bytes + len > a->plain_len ||
	    memcmp(a->plain + a->got_bytes, pt, len)) {
		a->mismatch = true;
		return -EILSEQ; /* stops mlx5tls_rx_input(), which returns it */
	}
	a->got_bytes += len;
	a->got_records++;
	return 0;
}

/* Hand every segment that the stream has reached to the RX context, in TCP order. */
static void tcp_deliver(struct app *a)
{
	bool progress = true;

	while (progress && !a->input_err) {
		progress = false;
		for (unsigned int i = 0; i < a->n_held; i++) {
			struct held *h = &a->held[i];

			if ((int32_t)(h->seq - a->rcv_nxt) > 0)
				continue; /* a gap before it: wait */
			a->input_err = mlx5tls_rx_input(a->rx, h->seq, h->bytes, h->len,
							h->status, on_record, a);
			if ((int32_t)(h->seq + h->len - a->rcv_nxt) > 0)
				a->rcv_nxt = h->seq + h->len;
			free(h->bytes);
			*h = a->held[--a->n_held];
			progress = true;
			break;
		}
	}
}

/* One received packet: parse it as the client's stack would, tell the RX context its status
 * now (arrival order), and queue its payload for the reassembly. */
static int take_packet(struct app *a, const struct mlx5tls_rx_pkt *p)
{
	const uint8_t *f = p->data, *ip = f + ETH_HLEN, *tcp;
	size_t ihl, thl, tot;
	uint32_t seq, len;
	struct held *h;
	int ret;

	a->frames++;
	a->status[p->tls_status & 3]++;
	if (!p->l3_ok || !p->l4_ok) {
		a->bad_csum++;
		return 0;
	}
	if (p->len < HDRS_LEN || get16(f + 12) != 0x0800)
		return -EPROTO;
	ihl = (size_t)(ip[0] & 15) * 4;
	tot = get16(ip + 2);
	tcp = ip + ihl;
	if (ETH_HLEN + tot > p->len || ihl + TCP_HLEN > tot)
		return -EPROTO;
	thl = (size_t)(tcp[12] >> 4) * 4;
	if (ihl + thl > tot)
		return -EPROTO;
	seq = get32(tcp + 4);
	len = (uint32_t)(tot - ihl - thl);
	ret = mlx5tls_rx_packet(a->rx, seq, len, mlx5tls_rx_pkt_tls(p));
	if (!ret)
		ret = drain_control(a); /* a GET_PSV it posted is answered before the next frame */
	if (ret || !len)
		return ret;
	if (a->n_held == a->max_held)
		return -ENOSPC;
	h = &a->held[a->n_held];
	h->bytes = malloc(len);
	if (!h->bytes)
		return -ENOMEM;
	memcpy(h->bytes, tcp + thl, len);
	h->seq = seq;
	h->len = len;
	h->status = mlx5tls_rx_pkt_tls(p);
	a->n_held++;
	return 0;
}

/* The segments arrive at the device's port in the scheduled order; the client takes what the
 * receive queue delivers after each. */
int receive_all(struct app *a, const struct arrival *arr)
{
	uint8_t frame[HDRS_LEN + MSS];
	struct mlx5tls_rx_pkt pkts[8];

	a->max_held = a->segs;
	a->held = calloc(a->max_held, sizeof(*a->held));
	if (!a->held)
		return -ENOMEM;
	a->rcv_nxt = a->start_sn;
	for (uint32_t i = 0; i < a->segs && !a->input_err; i++) {
		size_t n = build_frame(a, arr[i].seg, frame);
		int got, ret = mlx5tls_model_wire_rx(a->dev, frame, n);

		if (ret) {
			report("wire rx", ret);
			return ret;
		}
		got = mlx5tls_rq_poll(a->rq, pkts, 8, 0);
		if (got < 0) {
			report("receive queue poll", got);
			return got;
		}
		if (!got)
			a->dropped++; /* the device did not deliver it (see mlx5tls_rq_query) */
		for (int j = 0; j < got; j++) {
			int err = take_packet(a, &pkts[j]);

			ret = mlx5tls_rq_release(a->rq, &pkts[j]);
			if (err || ret) {
				report("receive", err ? err : ret);
				return err ? err : ret;
			}
		}
		a->arrived = i + 1;
		tcp_deliver(a);
		ret = drain_control(a); /* a resync answer tcp_deliver posted is applied now */
		if (ret)
			return ret;
	}
	return 0;
}
