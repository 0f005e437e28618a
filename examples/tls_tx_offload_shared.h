/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tls_tx_offload: what its files share - the connection's constants, the options, the frame
 * pool, both TCP directions and the program's state (struct app) - and the calls each file
 * offers the others. Files, from the bottom up:
 *   tls_tx_offload_opts.c     the command line
 *   tls_tx_offload_tcp.c      frames, the frame pool, the wire and TCP (send, receive, connect)
 *   tls_tx_offload_session.c  the TLS handshake over it and the offloaded records (go-back-N)
 *   tls_tx_offload.c          main: device setup, the run, its summary, --hold, teardown
 */
#ifndef TLS_TX_OFFLOAD_SHARED_H
#define TLS_TX_OFFLOAD_SHARED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/ssl.h>

#include <mlx5tls/mlx5tls.h>

#include "example_tls.h"

#define PROG "tls_tx_offload"

/* TCP/IP constants of this example's one connection. */
#define ETH_HLEN 14u
#define IP_HLEN 20u
#define TCP_HLEN 20u
#define HDRS_LEN (ETH_HLEN + IP_HLEN + TCP_HLEN)
#define MSS 1448u
#define SERVER_PORT 443u
#define CLIENT_PORT 50000u
#define TCP_FIN 0x01u
#define TCP_SYN 0x02u
#define TCP_PSH 0x08u
#define TCP_ACK 0x10u

/* Frames live in a pool of fixed slots inside one registered region (see struct pool). */
#define SLOT_SIZE 2048u
#define NR_SLOTS 1024u
/* Segments in flight before the sender waits for an acknowledgement. */
#define WINDOW_SEGS 64u

/* TLS record layout (kTLS style). */
#define TLS_HDR_LEN 5u
#define TLS12_NONCE_LEN 8u
#define TLS_TAG_LEN 16u
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
	uint64_t seed;
	const char *pcap;
	bool fallback;
	const char *label; /* shown by mlx5tls-query ctx/conn */
	bool publish;
	bool hold;
	unsigned int hold_s; /* 0: until a signal */
};

/* 0 to run, 1 to exit with success (-h), -1 on a bad option. */
int parse_options(int argc, char **argv, struct options *o);

/* TCP sequence comparison, modulo 2^32 (RFC 793). */
static inline bool seq_lt(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) < 0;
}

/* A failed library call (example_report). */
static inline void report(const char *what, int err)
{
	example_report(PROG, what, err);
}

/* ============================ frames, the wire and TCP ============================ */

/*
 * Frame memory. The device reads a frame after mlx5tls_tx_send() returns, and the library may
 * read a TLS payload again much later: to resynchronise the device after a retransmission it
 * replays ("DUMPs") the start of the record being retransmitted from where those bytes were
 * first sent. So a slot is reused only once (a) its completion came back and (b) every record it
 * carries bytes of was acknowledged in full (mlx5tls_tx_ack() releases whole records only).
 */
struct slot {
	bool busy;
	bool completed;
	bool tls;          /* carries TLS data: also wait for the record release */
	uint32_t end_seq;  /* sequence after its payload */
};

struct pool {
	uint8_t *mem;
	struct mlx5tls_mr *mr;
	struct slot slots[NR_SLOTS];
	uint32_t next;     /* where the search for a free slot starts */
};

/* One direction of the TCP connection as its receiver sees it. */
struct tcp_rx {
	uint16_t port;       /* destination port of the frames it takes */
	bool syn_seen;
	uint32_t base;       /* sequence number of data[0] (initial sequence + 1) */
	uint8_t *data;       /* bytes by sequence offset */
	uint8_t *have;       /* 1 per byte received */
	size_t cap;
	size_t contig;       /* [0, contig) all received: rcv_nxt = base + contig */
	size_t fed;          /* of which handed to the TLS peer */
	uint32_t last_ack;   /* ACK field of the last frame taken: the other direction's progress */
	bool ack_valid;
	/* statistics */
	uint64_t frames, lost, bad_csum, dup_bytes, mismatched_bytes;
};

struct tcp_tx {
	uint32_t iss;        /* initial send sequence */
	uint32_t snd_nxt;
	uint16_t ip_id;
	uint16_t sport, dport;
	const uint8_t *smac, *dmac;
	uint32_t saddr, daddr;
};

struct app {
	struct options o;
	uint64_t rng;

	struct mlx5tls_device *dev;
	struct mlx5tls_pd *pd;
	struct mlx5tls_td *td;
	struct mlx5tls_qp *qp;
	struct mlx5tls_tx *tx;
	struct pool pool;

	SSL_CTX *sctx, *cctx;
	SSL *server, *client;

	struct tcp_tx s_tx, c_tx;   /* server -> client, client -> server */
	struct tcp_rx c_rx, s_rx;   /* the client's receiver, the server's receiver */
	bool loss_active;           /* lose data frames (only after the handshake) */

	/* the offloaded stream: plaintext records, laid out */
	uint8_t *plain;             /* the application's data */
	uint8_t *stream;
	size_t stream_len;
	uint32_t *rec_off;          /* start offset of every record, + one past the last */
	unsigned int nr_recs;
	uint32_t start_sn;          /* TCP sequence of stream[0] */

	uint64_t data_frames, retx_frames, pure_acks;
	uint64_t read_bytes;
	bool read_error;
};

/* ---- tls_tx_offload_tcp.c ---- */

int pool_init(struct app *a);
/* Reap completions; a completed slot is free unless a TLS record in it awaits its ack. */
int pool_reap(struct app *a);
/* One frame from `t` with `len` payload bytes, posted with MLX5TLS_SEND_F_MORE; TLS TX frames
 * (tls) go through the TLS context. */
int send_segment(struct app *a, struct tcp_tx *t, uint32_t seq, uint32_t ack, uint8_t flags,
		 const void *payload, size_t len, bool tls);
/* Ring the doorbell and reap. */
int flush(struct app *a);
/* A byte stream in segments of at most MSS; the ACK field says what own_rx holds. */
int send_stream(struct app *a, struct tcp_tx *t, const struct tcp_rx *own_rx,
		const uint8_t *p, size_t len);
/* The model's wire callback (struct mlx5tls_model_wire_opts.rx): every frame comes here. */
void wire_rx(void *ctx, const void *frame, size_t len);
/* Hand what arrived in order to the TLS peer behind this receiver. */
int rx_feed(struct tcp_rx *r, SSL *ssl);
/* The TCP three-way handshake between the in-process client and server. */
int tcp_connect(struct app *a);

/* ---- tls_tx_offload_session.c ---- */

int tls_handshake(struct app *a);
/* Lay the records out back to back, as the application hands them to its TCP stack. */
int layout_records(struct app *a, uint64_t first_record);
/* The client reads what arrived and checks it. */
int client_read(struct app *a);
/* The offloaded data phase: a go-back-N sender. */
int send_records(struct app *a);

#endif /* TLS_TX_OFFLOAD_SHARED_H */
