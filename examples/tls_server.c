/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A TLS server on lwIP on libmlx5tls: HTTP/1.1 keep-alive, `GET /bytes/N` answers N bytes whose
 * byte i is i % 251, anything else 404. The handshake runs in OpenSSL over lwIP's TCP; then the
 * keys go to the device for both directions (mlx5tls/ssl.h): the server's records are built in
 * plaintext and encrypted by the device as they leave (TLS TX context, found by the 5-tuple in
 * the netif driver), the client's records are steered to a TLS TIR, decrypted by the device and
 * verified by the library (TLS RX context; each segment's status word kept through lwIP's
 * reassembly by the driver's pbufs). --offload none keeps OpenSSL's own record layer.
 *
 *   tls_server --ifname IF [--ip 198.18.0.1/24] [--port 8443] [--device sim:cx6dx]
 *              [--cert PEM --key PEM] [--offload both|tx|rx|none] [--wire-loss P]
 *              [--wire-reorder P] [--wire-dup P] [--wire-seed N] [--publish] [--pcap FILE]
 *              [--max-conns N] [--duration S]
 *
 * SSLKEYLOGFILE is honoured (with --pcap, Wireshark/tshark decrypt the capture). SIGINT/SIGTERM
 * end it with a summary.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <lwip/tcp.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <mlx5tls/ssl.h>

#include "lwip_mlx5tls.h"
#include "tls_server_ctl.h"

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

static struct {
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
} g;

static volatile sig_atomic_t g_stop;

static void on_signal(int sig)
{
	(void)sig;
	g_stop = 1;
}

static void keylog_write(const SSL *ssl, const char *line)
{
	FILE *f = fopen(g.keylog, "a");

	(void)ssl;
	if (f) {
		fprintf(f, "%s\n", line);
		fclose(f);
	}
}

/* ---- output ---- */

static int obuf_add(struct conn *c, const void *p, size_t n)
{
	if (c->olen + n > c->ocap) {
		size_t cap = c->ocap ? c->ocap : 32768;
		uint8_t *b;

		while (cap < c->olen + n)
			cap *= 2;
		b = realloc(c->obuf, cap);
		if (!b)
			return -1;
		c->obuf = b;
		c->ocap = cap;
	}
	memcpy(c->obuf + c->olen, p, n);
	c->olen += n;
	return 0;
}

/* What OpenSSL wrote (handshake, or records in software mode) goes out. */
static void drain_wbio(struct conn *c)
{
	uint8_t buf[16384];
	int n;

	while ((n = BIO_read(c->wbio, buf, sizeof(buf))) > 0)
		(void)obuf_add(c, buf, (size_t)n);
}

/* One plaintext record for the device to encrypt: header, [TLS 1.2 explicit nonce], payload,
 * [TLS 1.3 inner type], 16 bytes of room for the tag. */
static void build_record(struct conn *c, uint8_t type, const uint8_t *p, size_t n)
{
	uint8_t h[13];
	size_t hl = 5, len = n + 16 + (c->tls13 ? 1 : 8);
	static const uint8_t tag_room[16];

	h[0] = c->tls13 ? 23 : type;
	h[1] = 3;
	h[2] = 3;
	h[3] = (uint8_t)(len >> 8);
	h[4] = (uint8_t)len;
	if (!c->tls13) {
		for (int i = 0; i < 8; i++)
			h[5 + i] = (uint8_t)(c->tx_rec >> (56 - 8 * i));
		hl = 13;
	}
	c->tx_rec++;
	(void)obuf_add(c, h, hl);
	(void)obuf_add(c, p, n);
	if (c->tls13)
		(void)obuf_add(c, &type, 1);
	(void)obuf_add(c, tag_room, 16);
}

/* Plaintext out through the connection's TX path: the device's records or OpenSSL's. */
static void send_plain(struct conn *c, uint8_t type, const uint8_t *p, size_t n)
{
	if (c->tx) {
		while (n) {
			size_t k = n < REC_MAX ? n : REC_MAX;

			build_record(c, type, p, k);
			p += k;
			n -= k;
		}
	} else if (type == 23) {
		if (n && SSL_write(c->ssl, p, (int)n) <= 0)
			fprintf(stderr, "tls_server: SSL_write failed\n");
		drain_wbio(c);
	}
}

static void conn_teardown(struct conn *c);
static void flush(struct conn *c);

static void start_tx_offload(struct conn *c)
{
	union mlx5tls_crypto_info ci;
	struct mlx5tls_tx_info ti;
	size_t ci_len;
	int ret;

	c->want_tx_off = false;
	ret = mlx5tls_ssl_crypto_info(c->ssl, MLX5TLS_SSL_TX, &ci, &ci_len);
	if (!ret) {
		/* lwIP has no unsent segment: the next byte written starts a new segment */
		c->tx = mlx5tls_tx_create(lwmx_qp(g.l), &ci.info, ci_len, c->pcb->snd_lbb, NULL);
		ret = c->tx ? 0 : -errno;
	}
	OPENSSL_cleanse(&ci, sizeof(ci));
	if (ret) {
		fprintf(stderr, "tls_server: TX stays in software: %s\n", strerror(-ret));
		return;
	}
	if (!mlx5tls_tx_query(c->tx, &ti, sizeof(ti)))
		c->tx_rec = ti.next_record;
	lwmx_conn_set_tx(c->lc, c->tx);
}

/* Build records while lwIP's queue is short, then hand lwIP what its send buffer takes. */
static void pump(struct conn *c)
{
	static uint8_t pattern[REC_MAX + 251];
	static bool init;

	if (!c->pcb)
		return;
	if (!init) {
		for (size_t i = 0; i < sizeof(pattern); i++)
			pattern[i] = (uint8_t)(i % 251);
		init = true;
	}
	flush(c);
	/* the offload starts where lwIP begins a new segment (no record byte may share a
	 * segment with handshake bytes: such a frame would straddle the offload start) */
	if (c->want_tx_off && !c->olen && !c->pcb->unsent)
		start_tx_offload(c);
	/* our KeyUpdate went through the context: the records after it use the next keys */
	if (c->tx_rekey_pending && !c->olen && !c->pcb->unsent) {
		int ret = tls_server_tx_rekey(c->ssl, c->tx, !c->tx_rekey_followed);

		c->tx_rekey_pending = false;
		c->tx_rekey_followed = false;
		if (ret)
			fprintf(stderr, "tls_server: TX rekey failed: %s\n", strerror(-ret));
	}
	while (c->established && !c->want_tx_off && !c->tx_rekey_pending && c->olen < OBUF_HIGH &&
	       (c->hdr_off < c->hdr_len || c->body_left)) {
		uint8_t rec[REC_MAX];
		size_t n = 0;

		if (c->hdr_off < c->hdr_len) {
			n = c->hdr_len - c->hdr_off;
			memcpy(rec, c->hdr + c->hdr_off, n);
			c->hdr_off = c->hdr_len;
		}
		if (c->body_left && n < REC_MAX) {
			size_t k = REC_MAX - n;

			if (k > c->body_left)
				k = (size_t)c->body_left;
			memcpy(rec + n, pattern + c->body_off % 251, k);
			n += k;
			c->body_left -= k;
			c->body_off += k;
			g.bytes += k;
		}
		send_plain(c, 23, rec, n);
	}
	flush(c);
}

/* Hand lwIP what its send buffer takes. */
static void flush(struct conn *c)
{
	size_t off = 0;

	while (off < c->olen) {
		uint32_t room = tcp_sndbuf(c->pcb);
		size_t k = c->olen - off;

		if (k > room)
			k = room;
		if (k > 0xffff)
			k = 0xffff;
		if (!k || tcp_write(c->pcb, c->obuf + off, (u16_t)k, TCP_WRITE_FLAG_COPY) != ERR_OK)
			break;
		off += k;
	}
	if (off) {
		memmove(c->obuf, c->obuf + off, c->olen - off);
		c->olen -= off;
	}
	tcp_output(c->pcb);
}

/* ---- HTTP ---- */

static void respond(struct conn *c, const char *line)
{
	unsigned long long n = 0;

	g.requests++;
	if (!strncmp(line, "GET /bytes/", 11) && sscanf(line + 11, "%llu", &n) == 1) {
		c->hdr_len = (size_t)snprintf(c->hdr, sizeof(c->hdr),
					      "HTTP/1.1 200 OK\r\nContent-Length: %llu\r\n"
					      "Content-Type: application/octet-stream\r\n%s\r\n",
					      n, c->close_after ? "Connection: close\r\n" : "");
		c->body_left = n;
	} else {
		c->hdr_len = (size_t)snprintf(c->hdr, sizeof(c->hdr),
					      "HTTP/1.1 404 Not Found\r\nContent-Length: 10\r\n"
					      "%s\r\nnot found\n",
					      c->close_after ? "Connection: close\r\n" : "");
		c->body_left = 0;
	}
	c->hdr_off = 0;
	c->body_off = 0;
}

static void http_serve(struct conn *c)
{
	while (!c->body_left && c->hdr_off >= c->hdr_len && !c->closing) {
		char *end = memmem(c->req, c->req_len, "\r\n\r\n", 4);
		size_t used;

		if (!end)
			break;
		*end = '\0';
		c->close_after = strcasestr(c->req, "\r\nConnection: close") != NULL;
		respond(c, c->req);
		used = (size_t)(end - c->req) + 4;
		memmove(c->req, c->req + used, c->req_len - used);
		c->req_len -= used;
		pump(c);
	}
}

static int http_feed(struct conn *c, const void *p, size_t n)
{
	if (c->req_len + n > REQ_MAX) {
		fprintf(stderr, "tls_server: request too large\n");
		return -1;
	}
	memcpy(c->req + c->req_len, p, n);
	c->req_len += n;
	http_serve(c);
	return 0;
}

/* ---- closing ---- */

static void send_close_notify(struct conn *c)
{
	static const uint8_t alert[2] = { 1, 0 };

	if (c->tx)
		send_plain(c, 21, alert, 2);
	else {
		SSL_shutdown(c->ssl);
		drain_wbio(c);
	}
}

static void conn_stats(struct conn *c)
{
	if (c->tx) {
		struct mlx5tls_tx_info ti;

		if (!mlx5tls_tx_query(c->tx, &ti, sizeof(ti))) {
			g.tx_dev_bytes += ti.encrypted_bytes;
			g.tx_sw_bytes += ti.sw_bytes;
			g.tx_ooo += ti.ooo;
			g.tx_dump += ti.dump_packets;
			g.tx_retx += ti.retx_bytes;
		}
	}
	if (c->rx) {
		struct mlx5tls_rx_info ri;

		if (!mlx5tls_rx_query(c->rx, &ri, sizeof(ri))) {
			g.rx_by_device += ri.by_device;
			g.rx_by_software += ri.by_software;
			g.rx_resync += ri.resync_answers;
			g.rx_reenc += ri.reencrypted_bytes;
		}
	}
}

/* Everything of the connection but the pcb (lwIP's). */
static void conn_teardown(struct conn *c)
{
	if (c->close_queued) {
		struct conn **pp = &g.close_pending;

		while (*pp != c)
			pp = &(*pp)->close_next;
		*pp = c->close_next;
	}
	conn_stats(c);
	lwmx_conn_del(c->lc); /* no frame goes through the contexts any more */
	if (c->tx)
		mlx5tls_tx_destroy(c->tx);
	if (c->rx)
		mlx5tls_rx_destroy(c->rx);
	if (c->flow)
		mlx5tls_flow_destroy(c->flow);
	if (c->tir)
		mlx5tls_tir_destroy(c->tir);
	SSL_free(c->ssl);
	free(c->obuf);
	if (c->prev)
		c->prev->next = c->next;
	else
		g.list = c->next;
	if (c->next)
		c->next->prev = c->prev;
	g.live--;
	free(c);
}

static void detach(struct conn *c)
{
	tcp_arg(c->pcb, NULL);
	tcp_recv(c->pcb, NULL);
	tcp_sent(c->pcb, NULL);
	tcp_err(c->pcb, NULL);
	tcp_poll(c->pcb, NULL, 0);
}

/* Close once every byte was acknowledged: a record byte lwIP retransmitted after the TLS
 * context is gone would leave in plaintext. */
static void try_close(struct conn *c)
{
	struct tcp_pcb *pcb = c->pcb;

	if (!c->closing || c->olen || pcb->unsent || pcb->unacked)
		return;
	detach(c);
	conn_teardown(c);
	if (tcp_close(pcb) != ERR_OK)
		tcp_abort(pcb);
}

static void fail(struct conn *c, const char *why)
{
	struct tcp_pcb *pcb = c->pcb;

	fprintf(stderr, "tls_server: connection closed: %s\n", why);
	g.errors++;
	detach(c);
	conn_teardown(c);
	tcp_abort(pcb);
}

/* ---- receive ---- */

static int on_record(void *ctx, uint8_t type, const void *pt, size_t len)
{
	struct conn *c = ctx;
	const uint8_t *b = pt;

	switch (type) {
	case 23:
		return http_feed(c, pt, len) ? -EPROTO : 0;
	case 21:
		if (len >= 2 && b[1] == 0) {
			c->close_after = true; /* close_notify: answer it and close */
			return 0;
		}
		fprintf(stderr, "tls_server: alert %u from the client\n",
			(unsigned int)(len >= 2 ? b[1] : 0));
		return -ECONNRESET;
	case 22:
		if (c->tls13 && len >= 5 && b[0] == 24) {
			/* KeyUpdate: the context stops after it (-EKEYEXPIRED) */
			c->key_update_reply = b[4] == 1;
			return 0;
		}
		if (c->tls13 && len >= 1 && b[0] == 4)
			return 0; /* NewSessionTicket from a client: nothing to do */
		fprintf(stderr, "tls_server: handshake message %u after the handshake\n",
			(unsigned int)(len ? b[0] : 0));
		return -EPROTO;
	default:
		return -EPROTO;
	}
}

/* After a KeyUpdate from the peer: its next keys to the RX context; ours too if it asked. */
static int key_update(struct conn *c)
{
	static const uint8_t ku[5] = { 24, 0, 0, 1, 0 }; /* KeyUpdate, update_not_requested */
	int ret;

	g.key_updates++;
	ret = tls_server_rx_rekey(c->ssl, c->rx);
	if (ret)
		return ret;
	if (c->key_update_reply) {
		c->key_update_reply = false;
		if (c->tx) {
			send_plain(c, 22, ku, sizeof(ku));
			c->tx_rekey_pending = true; /* pump() rekeys once it is sent */
		} else {
			ret = SSL_key_update(c->ssl, SSL_KEY_UPDATE_NOT_REQUESTED) == 1 &&
				      SSL_do_handshake(c->ssl) == 1 ? 0 : -EIO;
			drain_wbio(c);
		}
	}
	return ret;
}

static void rx_track(struct conn *c, const uint8_t *p, size_t n);
static bool rx_partial(const struct conn *c);

static int rx_offloaded(struct conn *c, const uint8_t *p, size_t n, uint32_t word)
{
	int ret = mlx5tls_rx_input(c->rx, c->rx_seq, p, n, word, on_record, c);

	while (ret == -EKEYEXPIRED || ret == -ECANCELED) {
		struct mlx5tls_rx_info ri;
		uint32_t done;

		if (ret == -EKEYEXPIRED)
			ret = key_update(c);
		else
			ret = tls_server_rx_handback(c->rx, &g.handbacks);
		if (ret)
			break;
		/* go on with the bytes after the stop */
		if (mlx5tls_rx_query(c->rx, &ri, sizeof(ri)))
			break;
		done = ri.next_tcp_sn - c->rx_seq;
		if (done >= n)
			break;
		ret = mlx5tls_rx_input(c->rx, ri.next_tcp_sn, p + done, n - done, word, on_record, c);
	}
	return ret;
}

static void start_rx_offload(struct conn *c)
{
	struct mlx5tls_tir_opts to = { .sz = sizeof(to), .tls_en = true };
	struct mlx5tls_rx_opts ro = { .sz = sizeof(ro) };
	struct mlx5tls_flow_match m = { .ip_version = 4 };
	union mlx5tls_crypto_info ci;
	size_t ci_len, pending = (size_t)BIO_pending(c->rbio);
	uint32_t start = c->rx_seq - (uint32_t)pending;
	uint32_t peer = ip4_addr_get_u32(ip_2_ip4(&c->pcb->remote_ip));
	uint32_t local = ip4_addr_get_u32(ip_2_ip4(&c->pcb->local_ip));
	int ret;

	c->want_rx_off = false;
	if (!c->tls13)
		ro.flags = MLX5TLS_RX_F_STOP_AT_CONTROL;
	memcpy(m.src_ip, &peer, 4);
	memcpy(m.dst_ip, &local, 4);
	m.src_port = c->pcb->remote_port;
	m.dst_port = c->pcb->local_port;
	ret = mlx5tls_ssl_crypto_info(c->ssl, MLX5TLS_SSL_RX, &ci, &ci_len);
	if (!ret) {
		c->tir = mlx5tls_tir_create(lwmx_rq(g.l), lwmx_td(g.l), &to);
		c->flow = c->tir ? mlx5tls_flow_create(c->tir, &m) : NULL;
		c->rx = c->flow ? mlx5tls_rx_create(lwmx_qp(g.l), c->tir, &ci.info, ci_len, start,
						    &ro)
				: NULL;
		ret = c->rx ? 0 : -errno;
	}
	OPENSSL_cleanse(&ci, sizeof(ci));
	if (ret) {
		fprintf(stderr, "tls_server: RX stays in software: %s\n", strerror(-ret));
		if (c->flow)
			mlx5tls_flow_destroy(c->flow);
		if (c->tir)
			mlx5tls_tir_destroy(c->tir);
		c->flow = NULL;
		c->tir = NULL;
		return;
	}
	lwmx_conn_set_rx(c->lc, c->rx);
	/* what OpenSSL received but did not consume: the first bytes of the RX stream */
	if (pending) {
		uint8_t *buf = malloc(pending);

		if (buf && BIO_read(c->rbio, buf, (int)pending) == (int)pending) {
			uint32_t save = c->rx_seq;

			c->rx_seq = start;
			ret = rx_offloaded(c, buf, pending, 0);
			c->rx_seq = save;
			if (ret)
				fprintf(stderr, "tls_server: first bytes: %s\n", strerror(-ret));
		}
		free(buf);
	}
}

static void handshake_done(struct conn *c)
{
	c->established = true;
	c->tls13 = SSL_version(c->ssl) == TLS1_3_VERSION;
	drain_wbio(c); /* Finished / NewSessionTickets */
	c->want_rx_off = g.offload == OFF_BOTH || g.offload == OFF_RX;
	c->want_tx_off = g.offload == OFF_BOTH || g.offload == OFF_TX;
}

/* Bytes through OpenSSL: the handshake, or records in software. */
static int via_openssl(struct conn *c, const struct pbuf *p)
{
	for (const struct pbuf *q = p; q; q = q->next)
		BIO_write(c->rbio, q->payload, q->len);
	if (!c->established) {
		int r = SSL_do_handshake(c->ssl);

		drain_wbio(c);
		if (r != 1) {
			int e = SSL_get_error(c->ssl, r);

			if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
				return 0;
			fprintf(stderr, "tls_server: handshake failed: %s\n",
				ERR_reason_error_string(ERR_peek_last_error())
					? ERR_reason_error_string(ERR_peek_last_error())
					: "unknown");
			ERR_clear_error();
			return -EPROTO;
		}
		handshake_done(c);
	}
	/*
	 * The RX offload starts after the first request, read here by OpenSSL, at a record
	 * boundary (nothing pending in OpenSSL): the device must see the first record of its
	 * context from its first byte, and frames that reached the device before the
	 * connection's flow existed (the first request usually comes with the client's Finished)
	 * never went through the TLS TIR. A request/response client sends its next record only
	 * after our answer, so the flow exists by then. (A device recovers from a missed start by
	 * its own header search and resync; the model searches only after a full-size record.)
	 */
	for (;;) {
		uint8_t buf[16384];
		int n = SSL_read(c->ssl, buf, sizeof(buf));

		if (n > 0) {
			c->app_read = true;
			if (http_feed(c, buf, (size_t)n))
				return -EPROTO;
			continue;
		}
		switch (SSL_get_error(c->ssl, n)) {
		case SSL_ERROR_WANT_READ:
			/* a KeyUpdate with update_requested leaves ours pending in OpenSSL until
			 * its next write: let it write it now (then take it over, below) */
			if (c->tx && SSL_get_key_update_type(c->ssl) != SSL_KEY_UPDATE_NONE)
				(void)SSL_do_handshake(c->ssl);
			if (c->tx && BIO_pending(c->wbio) > 0) {
				/* OpenSSL answered a KeyUpdate with update_requested with its own
				 * KeyUpdate, under keys the device now has: the bytes are dropped and
				 * the same message goes out through the TX context; the capture
				 * already follows OpenSSL's key change */
				static const uint8_t ku[5] = { 24, 0, 0, 1, 0 };
				uint8_t junk[4096];

				while (BIO_read(c->wbio, junk, sizeof(junk)) > 0)
					;
				OPENSSL_cleanse(junk, sizeof(junk));
				send_plain(c, 22, ku, sizeof(ku));
				c->tx_rekey_pending = true;
				c->tx_rekey_followed = true;
				g.key_updates++;
			}
			drain_wbio(c); /* e.g. OpenSSL's own KeyUpdate answer (TX in software) */
			if (c->want_rx_off && c->app_read && !BIO_pending(c->rbio) &&
			    !SSL_has_pending(c->ssl))
				start_rx_offload(c);
			return 0;
		case SSL_ERROR_ZERO_RETURN:
			c->close_after = true;
			return 0;
		default:
			return -EPROTO;
		}
	}
}

static err_t on_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err)
{
	struct conn *c = arg;
	int ret = 0;

	if (!c) {
		if (p)
			pbuf_free(p);
		return ERR_OK;
	}
	if (!p || err != ERR_OK) {
		/* the peer closed its side */
		if (p)
			pbuf_free(p);
		if (!c->established || rx_partial(c)) {
			fprintf(stderr, "tls_server: the client closed %s\n",
				c->established ? "in the middle of a record" : "during the handshake");
			g.errors++;
		}
		c->closing = true;
		try_close(c);
		return ERR_OK;
	}
	tcp_recved(pcb, p->tot_len);
	if (c->rx) {
		for (const struct pbuf *q = p; q && !ret; q = q->next) {
			ret = rx_offloaded(c, q->payload, q->len, lwmx_pbuf_tls(q));
			rx_track(c, q->payload, q->len);
			c->rx_seq += q->len;
		}
	} else {
		c->rx_seq += p->tot_len;
		ret = via_openssl(c, p);
	}
	pbuf_free(p);
	if (ret) {
		fail(c, ret == -EBADMSG ? "record failed authentication" : strerror(-ret));
		return ERR_ABRT;
	}
	if (c->close_after && !c->body_left && c->hdr_off >= c->hdr_len && !c->closing) {
		send_close_notify(c);
		c->closing = true;
	}
	pump(c);
	try_close(c);
	return ERR_OK;
}

/*
 * Close later, outside lwIP's input processing. An ACK can carry data (a client's close_notify
 * with the ACK of our last bytes): lwIP calls the sent callback before it delivers that data,
 * and a tcp_close() there resets the connection (data not yet read) and frees it - and the
 * data lwIP was about to deliver is then never freed. With zero-copy receive that pins a
 * receive buffer for good (a busy queue at exit). So the sent callback only queues.
 */
static void queue_close(struct conn *c)
{
	if (c->close_queued)
		return;
	c->close_queued = true;
	c->close_next = g.close_pending;
	g.close_pending = c;
}

static void run_pending_closes(void)
{
	while (g.close_pending) {
		struct conn *c = g.close_pending;

		g.close_pending = c->close_next;
		c->close_queued = false;
		try_close(c);
	}
}

static err_t on_sent(void *arg, struct tcp_pcb *pcb, u16_t len)
{
	struct conn *c = arg;

	(void)len;
	if (!c)
		return ERR_OK;
	lwmx_conn_ack(c->lc, pcb->lastack);
	pump(c);
	http_serve(c);
	if (c->close_after && !c->body_left && c->hdr_off >= c->hdr_len && !c->closing) {
		send_close_notify(c);
		c->closing = true;
		pump(c);
	}
	queue_close(c);
	return ERR_OK;
}

/* Follow the record boundaries of the RX stream (to tell a reset in the middle of a record). */
static void rx_track(struct conn *c, const uint8_t *p, size_t n)
{
	while (n) {
		if (c->rx_body_left) {
			size_t k = n < c->rx_body_left ? n : c->rx_body_left;

			c->rx_body_left -= (uint32_t)k;
			p += k;
			n -= k;
			continue;
		}
		c->rx_hdr[c->rx_hdr_got++] = *p++;
		n--;
		if (c->rx_hdr_got == 5) {
			c->rx_body_left = (uint32_t)c->rx_hdr[3] << 8 | c->rx_hdr[4];
			c->rx_hdr_got = 0;
		}
	}
}

/* Bytes of an incomplete record received (by the RX context, or by OpenSSL before it). */
static bool rx_partial(const struct conn *c)
{
	if (!c->rx) /* OpenSSL keeps a partial record in its own buffer */
		return BIO_pending(c->rbio) > 0 || SSL_has_pending(c->ssl);
	return c->rx_hdr_got || c->rx_body_left;
}

static void on_err(void *arg, err_t err)
{
	struct conn *c = arg;

	if (!c)
		return;
	if (err == ERR_RST) {
		/* a reset after the exchange ended (the client closed while our close_notify or
		 * FIN was on its way) is how many clients close; one in the middle of a handshake,
		 * a request, a response or a record is an error */
		bool busy = !c->established || c->req_len || c->body_left ||
			    c->hdr_off < c->hdr_len || c->olen || rx_partial(c);

		if (busy) {
			fprintf(stderr, "tls_server: connection reset by the client %s\n",
				c->established ? "in the middle of an exchange" :
						 "during the handshake");
			g.errors++;
		}
	} else if (err != ERR_CLSD) {
		fprintf(stderr, "tls_server: connection lost (%s)\n", lwip_strerr(err));
		g.errors++;
	}
	c->pcb = NULL; /* lwIP freed it */
	conn_teardown(c);
}

static err_t on_poll(void *arg, struct tcp_pcb *pcb)
{
	struct conn *c = arg;

	(void)pcb;
	if (c) {
		pump(c);
		try_close(c);
	}
	return ERR_OK;
}

static err_t on_accept(void *arg, struct tcp_pcb *pcb, err_t err)
{
	struct conn *c;

	(void)arg;
	if (err != ERR_OK || !pcb)
		return ERR_VAL;
	if (g.live >= g.max_conns || !(c = calloc(1, sizeof(*c)))) {
		g.refused++;
		tcp_abort(pcb);
		return ERR_ABRT;
	}
	c->pcb = pcb;
	c->ssl = SSL_new(g.ctx);
	c->rbio = BIO_new(BIO_s_mem());
	c->wbio = BIO_new(BIO_s_mem());
	c->lc = lwmx_conn_add(g.l, pcb);
	if (!c->ssl || !c->rbio || !c->wbio || !c->lc || mlx5tls_ssl_capture(c->ssl)) {
		BIO_free(c->rbio);
		BIO_free(c->wbio);
		SSL_free(c->ssl);
		lwmx_conn_del(c->lc);
		free(c);
		g.refused++;
		tcp_abort(pcb);
		return ERR_ABRT;
	}
	SSL_set_bio(c->ssl, c->rbio, c->wbio);
	SSL_set_accept_state(c->ssl);
	c->rx_seq = pcb->rcv_nxt;
	c->next = g.list;
	if (g.list)
		g.list->prev = c;
	g.list = c;
	g.conns++;
	g.live++;
	tcp_arg(pcb, c);
	tcp_recv(pcb, on_recv);
	tcp_sent(pcb, on_sent);
	tcp_err(pcb, on_err);
	tcp_poll(pcb, on_poll, 2);
	tcp_nagle_disable(pcb);
	return ERR_OK;
}

/* ---- setup ---- */

static SSL_CTX *make_ctx(const char *cert, const char *key)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
	EVP_PKEY *pkey = NULL;
	X509 *x = NULL;

	if (!ctx)
		return NULL;
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION);
	/* the suites the device offloads */
	SSL_CTX_set_ciphersuites(ctx, "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384");
	SSL_CTX_set_cipher_list(ctx, "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
				     "ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384");
	SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION);
	if (cert && key) {
		if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1 ||
		    SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1) {
			fprintf(stderr, "tls_server: cannot load %s / %s\n", cert, key);
			SSL_CTX_free(ctx);
			return NULL;
		}
	} else {
		/* a self-signed EC certificate made in memory */
		X509_NAME *name;

		pkey = EVP_EC_gen("P-256");
		x = X509_new();
		if (!pkey || !x) {
			EVP_PKEY_free(pkey);
			X509_free(x);
			SSL_CTX_free(ctx);
			return NULL;
		}
		X509_set_version(x, 2);
		ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
		X509_gmtime_adj(X509_getm_notBefore(x), 0);
		X509_gmtime_adj(X509_getm_notAfter(x), 86400);
		X509_set_pubkey(x, pkey);
		name = X509_get_subject_name(x);
		X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
					   (const unsigned char *)"mlx5tls tls_server", -1, -1, 0);
		X509_set_issuer_name(x, name);
		X509_sign(x, pkey, EVP_sha256());
		SSL_CTX_use_certificate(ctx, x);
		SSL_CTX_use_PrivateKey(ctx, pkey);
		X509_free(x);
		EVP_PKEY_free(pkey);
	}
	if (g.keylog)
		SSL_CTX_set_keylog_callback(ctx, keylog_write);
	return ctx;
}


static void usage(const char *prog)
{
	fprintf(stderr,
		"usage: %s --ifname IF [--ip A.B.C.D/N] [--port P] [--device DEV] [--cert PEM "
		"--key PEM]\n"
		"       [--offload both|tx|rx|none] [--wire-loss P] [--wire-reorder P] "
		"[--wire-dup P] [--wire-corrupt P]\n"
		"       [--wire-seed N] [--wire-dir both|tx|rx]"
		"       [--publish] [--pcap FILE] [--max-conns N] [--duration S]\n",
		prog);
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "device", required_argument, NULL, 'd' },  { "ifname", required_argument, NULL, 'i' },
		{ "ip", required_argument, NULL, 'a' },      { "port", required_argument, NULL, 'p' },
		{ "cert", required_argument, NULL, 'c' },    { "key", required_argument, NULL, 'k' },
		{ "offload", required_argument, NULL, 'o' }, { "pcap", required_argument, NULL, 'w' },
		{ "publish", no_argument, NULL, 'P' },       { "max-conns", required_argument, NULL, 'm' },
		{ "duration", required_argument, NULL, 't' },
		{ "wire-loss", required_argument, NULL, 1 }, { "wire-reorder", required_argument, NULL, 2 },
		{ "wire-dup", required_argument, NULL, 3 },  { "wire-seed", required_argument, NULL, 4 },
		{ "wire-corrupt", required_argument, NULL, 5 }, { "wire-dir", required_argument, NULL, 6 },
		{ "help", no_argument, NULL, 'h' },          { NULL, 0, NULL, 0 },
	};
	static const char *const off_names[] = { "both", "tx", "rx", "none" };
	char device[256], faults[192] = "";
	const char *dev = "sim:cx6dx", *cert = NULL, *key = NULL;
	struct lwmx_opts o = { 0 };
	struct mlx5tls_model_wire_stats ws;
	struct lwmx_stats ls;
	struct tcp_pcb *lpcb;
	double duration = 0;
	unsigned int port = 8443;
	bool publish = false;
	int opt;

	g.max_conns = 1024;
	g.keylog = getenv("SSLKEYLOGFILE");
	if (g.keylog && !*g.keylog)
		g.keylog = NULL;
	if (lwmx_parse_cidr("198.18.0.1/24", &o))
		return 2;
	while ((opt = getopt_long(argc, argv, "d:i:a:p:c:k:o:w:Pm:t:h", lo, NULL)) != -1) {
		size_t fl = strlen(faults);

		switch (opt) {
		case 'd': dev = optarg; break;
		case 'i': o.ifname = optarg; break;
		case 'a':
			if (lwmx_parse_cidr(optarg, &o)) {
				fprintf(stderr, "tls_server: bad --ip %s\n", optarg);
				return 2;
			}
			break;
		case 'p': port = (unsigned int)strtoul(optarg, NULL, 10); break;
		case 'c': cert = optarg; break;
		case 'k': key = optarg; break;
		case 'o':
			for (g.offload = OFF_BOTH; g.offload <= OFF_NONE; g.offload++)
				if (!strcmp(optarg, off_names[g.offload]))
					break;
			if (g.offload > OFF_NONE) {
				usage(argv[0]);
				return 2;
			}
			break;
		case 'w': o.pcap = optarg; break;
		case 'P': publish = true; break;
		case 'm': g.max_conns = (unsigned int)strtoul(optarg, NULL, 10); break;
		case 't': duration = strtod(optarg, NULL); break;
		case 1: snprintf(faults + fl, sizeof(faults) - fl, ",wire_loss=%s", optarg); break;
		case 2: snprintf(faults + fl, sizeof(faults) - fl, ",wire_reorder=%s", optarg); break;
		case 3: snprintf(faults + fl, sizeof(faults) - fl, ",wire_dup=%s", optarg); break;
		case 4: snprintf(faults + fl, sizeof(faults) - fl, ",wire_seed=%s", optarg); break;
		case 5: snprintf(faults + fl, sizeof(faults) - fl, ",wire_corrupt=%s", optarg); break;
		case 6: snprintf(faults + fl, sizeof(faults) - fl, ",wire_dir=%s", optarg); break;
		default:
			usage(argv[0]);
			return opt == 'h' ? 0 : 2;
		}
	}
	if ((cert == NULL) != (key == NULL)) {
		fprintf(stderr, "tls_server: --cert and --key go together\n");
		return 2;
	}
	snprintf(device, sizeof(device), "%s%s", dev, faults);
	o.device = device;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGPIPE, SIG_IGN);
	g.ctx = make_ctx(cert, key);
	if (!g.ctx)
		return 1;
	if (publish && mlx5tls_publish_start(NULL))
		fprintf(stderr, "tls_server: --publish: %s\n", strerror(errno));
	g.l = lwmx_open(&o);
	if (!g.l) {
		SSL_CTX_free(g.ctx);
		return 1;
	}
	lpcb = lwmx_listen(port, on_accept, "tls_server");
	if (!lpcb) {
		lwmx_close(g.l);
		SSL_CTX_free(g.ctx);
		return 1;
	}
	printf("tls_server: listening on %s:%u (device %s, offload %s)\n", ip4addr_ntoa(&o.ip),
	       port, device, off_names[g.offload]);
	fflush(stdout);
	(void)lwmx_run(g.l, duration, &g_stop, run_pending_closes, "tls_server");
	tcp_close(lpcb);
	while (g.list) {
		struct conn *c = g.list;
		struct tcp_pcb *pcb = c->pcb;

		detach(c);
		conn_teardown(c);
		tcp_abort(pcb);
	}
	lwmx_get_stats(g.l, &ls);
	if (mlx5tls_model_wire_stats(lwmx_device(g.l), &ws, sizeof(ws)))
		memset(&ws, 0, sizeof(ws));
	printf("tls_server: summary: connections %" PRIu64 " (refused %" PRIu64 ", errors %" PRIu64
	       "), requests %" PRIu64 ", body bytes %" PRIu64 "\n",
	       g.conns, g.refused, g.errors, g.requests, g.bytes);
	printf("tls_server: tx: device-encrypted bytes %" PRIu64 ", software bytes %" PRIu64
	       ", resyncs (ooo) %" PRIu64 ", dump frames %" PRIu64 ", retransmitted bytes %" PRIu64
	       "\n",
	       g.tx_dev_bytes, g.tx_sw_bytes, g.tx_ooo, g.tx_dump, g.tx_retx);
	printf("tls_server: rx: records by device %" PRIu64 ", by software %" PRIu64
	       ", resync answers %" PRIu64 ", re-encrypted bytes %" PRIu64 "; key updates %" PRIu64
	       ", hand-backs %" PRIu64 "\n",
	       g.rx_by_device, g.rx_by_software, g.rx_resync, g.rx_reenc, g.key_updates,
	       g.handbacks);
	printf("tls_server: wire: frames rx %" PRIu64 " tx %" PRIu64 " (tls tx %" PRIu64
	       ", tls rx %" PRIu64 ", device-decrypted %" PRIu64 "), faults tx drop/reorder/dup %"
	       PRIu64 "/%" PRIu64 "/%" PRIu64 " rx %" PRIu64 "/%" PRIu64 "/%" PRIu64
	       ", rx oversize %" PRIu64 " csum_partial %" PRIu64 ", steered %" PRIu64
	       ", to default %" PRIu64 ", l4 bad %" PRIu64 ", corrupted tx/rx %" PRIu64 "/%" PRIu64
	       "\n",
	       ls.rx_frames, ls.tx_frames, ls.tx_tls_frames, ls.rx_tls_frames, ls.rx_tls_decrypted,
	       ws.tx_dropped, ws.tx_reordered, ws.tx_duplicated, ws.rx_dropped, ws.rx_reordered,
	       ws.rx_duplicated, ws.rx_oversize, ws.rx_csum_partial, ws.rx_steered,
	       ws.rx_to_default, ws.rx_l4_not_ok, ws.tx_corrupted, ws.rx_corrupted);
	lwmx_close(g.l);
	SSL_CTX_free(g.ctx);
	return 0;
}
