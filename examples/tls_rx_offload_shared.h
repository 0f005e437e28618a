/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tls_rx_offload: what its files share - the connection's constants, the options, the program's
 * state (struct app) and the segments' arrival order - and the calls each file offers the
 * others. Files, from the bottom up:
 *   tls_rx_offload_opts.c    the command line
 *   tls_rx_offload_server.c  the sending side: the OpenSSL server, its records, their frames
 *                            and the order in which they arrive (loss, reordering)
 *   tls_rx_offload_client.c  the receiving side: device objects, the receive path, TCP
 *                            reassembly, the verified plaintext compared
 *   tls_rx_offload.c         main: the run, its report and verdict, teardown
 */
#ifndef TLS_RX_OFFLOAD_SHARED_H
#define TLS_RX_OFFLOAD_SHARED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/ssl.h>

#include <mlx5tls/mlx5tls.h>

#include "example_tls.h"

#define PROG "tls_rx_offload"

/* The connection as the client's NIC sees it: server 198.18.0.2:443 -> client 198.18.0.1:50000. */
#define ETH_HLEN 14u
#define IP_HLEN 20u
#define TCP_HLEN 20u
#define HDRS_LEN (ETH_HLEN + IP_HLEN + TCP_HLEN)
#define MSS 1448u
#define SERVER_IP 0xc6120002u
#define CLIENT_IP 0xc6120001u
#define SERVER_PORT 443u
#define CLIENT_PORT 50000u

/* A lost segment comes back RETX_MIN..RETX_MIN+RETX_SPREAD-1 segments later: 20 segments are
 * 29 KB, more than a record of 16 KB can span, so a lost header really desynchronises the
 * device instead of being caught up by TCP before the next record. */
#define RETX_MIN 20u
#define RETX_SPREAD 20u

#define TLS_HDR_LEN 5u
#define TLS12_NONCE_LEN 8u
#define TLS_MAX_PLAINTEXT 16384u
#define TLS_CT_APPLICATION_DATA 23u

/* ---- options ---- */

struct options {
	const char *device;
	int tls_version; /* TLS1_2_VERSION / TLS1_3_VERSION */
	unsigned int bits;
	unsigned int records;
	unsigned int size;
	double loss;
	double reorder;
	bool corrupt;
	unsigned int corrupt_rec;
	uint64_t seed;
};

/* 0 to run, 1 to exit with success (-h), -1 on a bad option. */
int parse_options(int argc, char **argv, struct options *o);

/* A failed library call (example_report). */
static inline void report(const char *what, int err)
{
	example_report(PROG, what, err);
}

/* ============================ frames, the wire and TCP ============================ */

/* One received segment waiting for the TCP stream to reach it (or for its turn). */
struct held {
	uint32_t seq, len;
	uint32_t status; /* TLS status word (mlx5tls_rx_pkt_tls) */
	uint8_t *bytes;
};

struct app {
	struct options o;
	uint64_t rng;
	/* the TLS peers */
	SSL_CTX *sctx, *cctx;
	SSL *server, *client;
	/* what the server wrote: plaintext, and the TLS stream that carries it */
	uint8_t *plain;
	size_t plain_len;
	uint8_t *stream;
	size_t stream_len;
	size_t corrupt_off;     /* --corrupt: offset of the flipped stream byte */
	uint32_t isn, start_sn; /* server ISN; TCP sequence of the first offloaded byte */
	/* the device objects, in the order they are created */
	struct mlx5tls_device *dev;
	struct mlx5tls_pd *pd;
	struct mlx5tls_td *td;
	struct mlx5tls_qp *qp; /* control queue: static/progress params, GET_PSV */
	struct mlx5tls_rq *rq;
	struct mlx5tls_tir *tir;
	struct mlx5tls_flow *flow;
	struct mlx5tls_rx *rx;
	/* the client's TCP: reassembly of what the queue delivered */
	struct held *held;
	unsigned int n_held, max_held;
	uint32_t rcv_nxt;       /* next stream byte mlx5tls_rx_input() needs */
	int input_err;          /* first non-zero mlx5tls_rx_input() result */
	/* what the application received */
	uint64_t got_bytes;
	uint64_t got_records;
	bool mismatch;
	/* the wire */
	uint32_t segs, lost, swapped, arrived;
	uint64_t frames, dropped, bad_csum;
	uint64_t status[4];     /* packets by enum mlx5tls_rx_tls_status */
};

/*
 * The order in which the segments reach the client: segment k is due at 2k; a lost one is
 * retransmitted RETX_MIN.. segments later (2(k+d)+1: after the segment then due); a reordered
 * one swaps with its successor. Sorting by due time gives the arrival order.
 */
struct arrival {
	uint64_t due;
	uint32_t seg;
};

/* ---- tls_rx_offload_server.c ---- */

/* The OpenSSL handshake; *server_bytes = what the server sent. */
int tls_handshake(struct app *a, size_t *server_bytes);
/* The server writes the records; a->stream is their TLS stream. */
int server_write(struct app *a);
/* Check the stream's records; with --corrupt flip a ciphertext byte of that record. */
int check_stream(struct app *a);
/* Segment k of the stream as a frame in f (HDRS_LEN + MSS bytes); its length. */
size_t build_frame(const struct app *a, uint32_t k, uint8_t *f);
/* The order in which the segments arrive (a->segs of them), or NULL. The caller frees it. */
struct arrival *schedule(struct app *a);

/* ---- tls_rx_offload_client.c ---- */

/* Device, PD, TD, control queue, receive queue, TLS TIR and the connection's flow rule. */
int open_device(struct app *a);
/* Wait until the control queue has completed what the RX context posted on it. */
int drain_control(struct app *a);
/* The segments arrive in the order arr gives; the client takes what the queue delivers. */
int receive_all(struct app *a, const struct arrival *arr);

#endif /* TLS_RX_OFFLOAD_SHARED_H */
