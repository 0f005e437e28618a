/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * An lwIP network interface on libmlx5tls - small and meant to be copied. Public API only.
 *
 *  - transmit: every frame lwIP sends is copied into a slot of a registered buffer pool and sent
 *    on a raw Ethernet queue pair (mlx5tls_qp_send); the slot is free again at its completion;
 *  - receive: one receive queue; a plain TIR on it is the catch-all destination
 *    (mlx5tls_flow_create_default), so ARP, SYNs, handshakes and every connection that is not
 *    offloaded arrive there. Each frame goes to lwIP zero-copy as a custom pbuf over the
 *    receive buffer (released to the queue when lwIP frees the pbuf), and the pbuf keeps the
 *    frame's TLS status word (mlx5tls_rx_pkt_tls): lwmx_pbuf_tls() gives it back for the bytes
 *    lwIP delivers, whichever copy of a retransmitted segment lwIP kept.
 *
 * Threading: lwIP's raw API on one thread, without lwIP's tcpip thread (lwip_init, timers from
 * lwmx_poll); the queues are used from that thread only.
 */
#ifndef LWIP_MLX5TLS_H
#define LWIP_MLX5TLS_H

#include <signal.h>
#include <stdint.h>

#include <lwip/ip4_addr.h>
#include <lwip/netif.h>
#include <lwip/pbuf.h>
#include <lwip/tcp.h>

#include <mlx5tls/mlx5tls.h>

struct lwmx;

struct lwmx_opts {
	const char *device;  /* mlx5tls device name (NULL: the library's default) */
	const char *ifname;  /* model devices: the interface the model's port is attached to */
	const char *pcap;    /* model devices: also write the wire to this pcap file */
	ip4_addr_t ip, netmask, gw;
	uint32_t tx_slots;   /* transmit buffers; 0 = 4096 */
};

/* Opens the device (wired to opts->ifname for a model), creates the queues, the catch-all flow
 * and the lwIP netif (set up, default). Calls lwip_init() once per process. NULL on error
 * (logged). */
struct lwmx *lwmx_open(const struct lwmx_opts *opts);
void lwmx_close(struct lwmx *l);

/* One turn: received frames into lwIP, send completions, lwIP's timers. Waits up to
 * timeout_ms for a frame when there is nothing to do. Returns frames received, or -errno. */
int lwmx_poll(struct lwmx *l, unsigned int timeout_ms);

struct netif *lwmx_netif(struct lwmx *l);
struct mlx5tls_device *lwmx_device(struct lwmx *l);

/* ---- what both servers' main() needs ---- */

/* "A.B.C.D[/N]" (N defaults to 24) into opts->ip and opts->netmask; no gateway. 0 or -1. */
int lwmx_parse_cidr(const char *s, struct lwmx_opts *opts);

/* A listening IPv4 TCP pcb on port, accepts going to accept_fn (backlog 255). NULL when the
 * port cannot be bound (logged with prog). */
struct tcp_pcb *lwmx_listen(unsigned int port, tcp_accept_fn accept_fn, const char *prog);

/* Poll until *stop is set, duration seconds have passed (duration > 0) or the receive queue
 * fails (logged with prog: -errno); after_poll (may be NULL) runs after every turn. 0 or
 * -errno. */
int lwmx_run(struct lwmx *l, double duration, const volatile sig_atomic_t *stop,
	     void (*after_poll)(void), const char *prog);

/* The TLS status word of the received bytes in pbuf p (one pbuf = one received frame), for
 * mlx5tls_rx_packet()/mlx5tls_rx_input(); 0 (not decrypted) for a pbuf the driver did not make. */
uint32_t lwmx_pbuf_tls(const struct pbuf *p);

/* ---- offloaded connections ---- */

struct tcp_pcb;
struct lwmx_conn;

/*
 * Register an lwIP connection whose frames go through TLS contexts: frames lwIP sends with
 * payload go through tx (mlx5tls_tx_send, found by the 5-tuple) once set, and their buffers
 * stay until the peer acknowledges them (the device may replay record bytes from there); frames
 * that arrive for it are reported to rx (mlx5tls_rx_packet, TCP sequence and status word, in
 * arrival order) once set. NULL on ENOMEM.
 */
struct lwmx_conn *lwmx_conn_add(struct lwmx *l, const struct tcp_pcb *pcb);
void lwmx_conn_set_tx(struct lwmx_conn *c, struct mlx5tls_tx *tx);
void lwmx_conn_set_rx(struct lwmx_conn *c, struct mlx5tls_rx *rx);
/* The peer acknowledged every byte before snd_una (pcb->lastack, e.g. in the sent callback):
 * mlx5tls_tx_ack() and the buffers of acknowledged frames go back to the pool. */
void lwmx_conn_ack(struct lwmx_conn *c, uint32_t snd_una);
/* Forget it (before destroying its contexts): its buffers are freed as their frames complete. */
void lwmx_conn_del(struct lwmx_conn *c);

/* The objects TLS contexts of this interface need. */
struct mlx5tls_qp *lwmx_qp(struct lwmx *l);
struct mlx5tls_rq *lwmx_rq(struct lwmx *l);
struct mlx5tls_td *lwmx_td(struct lwmx *l);

struct lwmx_stats {
	uint64_t rx_frames, rx_bytes, tx_frames, tx_bytes;
	uint64_t tx_no_slot;   /* lwIP got ERR_MEM: no free transmit buffer */
	uint64_t tx_errors;    /* the queue refused a frame */
	uint64_t rx_input_err; /* lwIP refused a frame */
	uint64_t tx_tls_frames; /* through a TLS TX context */
	uint64_t tx_tls_dropped; /* the context dropped the frame (-ENODATA) */
	uint64_t rx_tls_frames; /* reported to a TLS RX context */
	uint64_t rx_tls_decrypted; /* of which the device decrypted */
};
void lwmx_get_stats(struct lwmx *l, struct lwmx_stats *st);

#endif /* LWIP_MLX5TLS_H */
