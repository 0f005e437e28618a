/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tls_server: what its files share - a connection (struct conn), the server's state (g) - and
 * the calls each file offers the others. Files, from the bottom up:
 *   tls_server_state.c  the server's state, g
 *   tls_server_ctl.c    the steps after a control record (KeyUpdate, TLS 1.2 hand-back)
 *   tls_server_out.c    the send path: records built for the device or by OpenSSL, to lwIP
 *   tls_server_http.c   HTTP/1.1: requests parsed, answers queued
 *   tls_server_rx.c     the receive path: the handshake, records through the RX context or
 *                       OpenSSL, the RX offload's start, KeyUpdate and hand-back
 *   tls_server_conn.c   a connection's life on lwIP: accept, its callbacks, closing, teardown
 *   tls_server.c        main: options, the SSL context, the lwIP loop, the summary
 */
#ifndef TLS_SERVER_SHARED_H
#define TLS_SERVER_SHARED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <lwip/tcp.h>
#include <openssl/ssl.h>

#include <mlx5tls/mlx5tls.h>

#include "lwip_mlx5tls.h"

#define REQ_MAX 4096u
#define REC_MAX 16384u
#define OBUF_HIGH (128u * 1024u) /* build records while less than this waits for lwIP */

enum offload { OFF_BOTH, OFF_TX, OFF_RX, OFF_NONE };

struct conn {
	struct tcp_pcb *pcb;
	struct conn *close_next; /* on g.close_pending (queued) */
	bool close_queued;
	struct lwmx_conn *lc;
	SSL *ssl;
	BIO *rbio, *wbio;
	bool established; /* handshake done */
	bool app_read;    /* OpenSSL delivered application data */
	bool tls13;
	bool want_tx_off, want_rx_off;
	struct mlx5tls_tx *tx;
	struct mlx5tls_rx *rx;
	struct mlx5tls_tir *tir;
	struct mlx5tls_flow *flow;
	uint64_t tx_rec;   /* number of the next record this side builds (TLS 1.2 nonce) */
	uint32_t rx_seq;   /* TCP sequence of the next byte lwIP delivers */
	uint32_t rx_hdr_got, rx_body_left; /* where the RX stream is inside a record */
	uint8_t rx_hdr[5];
	/* outgoing bytes waiting for lwIP's send buffer */
	uint8_t *obuf;
	size_t olen, ocap;
	/* HTTP */
	char req[REQ_MAX];
	size_t req_len;
	char hdr[256];
	size_t hdr_len, hdr_off;
	uint64_t body_left, body_off;
	bool close_after;  /* Connection: close, or the peer's close_notify */
	bool closing;      /* close once everything is acknowledged */
	bool key_update_reply; /* the peer asked for our KeyUpdate */
	bool tx_rekey_pending; /* our KeyUpdate record is queued: new keys once it is sent */
	bool tx_rekey_followed; /* OpenSSL wrote that KeyUpdate: the capture has the keys */
	struct conn *prev, *next;
};

/* The server's state and totals (tls_server_state.c). */
struct server_state {
	enum offload offload;
	unsigned int max_conns;
	SSL_CTX *ctx;
	struct lwmx *l;
	struct conn *list;
	struct conn *close_pending; /* connections to try_close() once lwIP's input is done */
	uint64_t conns, live, refused, errors, requests, bytes, handbacks, key_updates;
	uint64_t tx_dev_bytes, tx_sw_bytes, tx_ooo, tx_dump, tx_retx;
	uint64_t rx_by_device, rx_by_software, rx_resync, rx_reenc;
	const char *keylog;
};

extern struct server_state g;

/* ---- tls_server_out.c ---- */

/* What OpenSSL wrote (handshake, or records in software mode) goes out. */
void drain_wbio(struct conn *c);
/* Plaintext out through the connection's TX path: the device's records or OpenSSL's. */
void send_plain(struct conn *c, uint8_t type, const uint8_t *p, size_t n);
/* Build records while lwIP's queue is short, then hand lwIP what its send buffer takes. */
void pump(struct conn *c);
/* Hand lwIP what its send buffer takes. */
void flush(struct conn *c);

/* ---- tls_server_http.c ---- */

/* Answer the complete requests received, while no answer is being sent. */
void http_serve(struct conn *c);
/* Request bytes from the client; -1 when the request is too large. */
int http_feed(struct conn *c, const void *p, size_t n);

/* ---- tls_server_rx.c ---- */

/* Received bytes through the connection's RX context (word: their TLS status word). */
int rx_offloaded(struct conn *c, const uint8_t *p, size_t n, uint32_t word);
/* Received bytes through OpenSSL: the handshake, or records in software. */
int via_openssl(struct conn *c, const struct pbuf *p);
/* Follow the record boundaries of the RX stream. */
void rx_track(struct conn *c, const uint8_t *p, size_t n);
/* Bytes of an incomplete record received. */
bool rx_partial(const struct conn *c);

/* ---- tls_server_conn.c ---- */

/* Everything of the connection but the pcb (lwIP's). */
void conn_teardown(struct conn *c);
/* No more lwIP callbacks for the connection. */
void detach(struct conn *c);
/* The closes queued by lwIP's sent callback, run once lwIP's input is done. */
void run_pending_closes(void);
/* lwIP's accept callback of the listening pcb. */
err_t on_accept(void *arg, struct tcp_pcb *pcb, err_t err);

#endif /* TLS_SERVER_SHARED_H */
