/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tls_server: the receive path. The handshake and, until the RX offload starts, the records
 * through OpenSSL; then the client's records through the RX context (each segment's TLS status
 * word from the driver's pbufs), the verified plaintext to HTTP, a KeyUpdate or a TLS 1.2
 * control record handled (tls_server_ctl.c), and the record boundaries followed to tell a close
 * in the middle of a record.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lwip/tcp.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include <mlx5tls/ssl.h>

#include "lwip_mlx5tls.h"
#include "tls_server_shared.h"
#include "tls_server_ctl.h"

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

int rx_offloaded(struct conn *c, const uint8_t *p, size_t n, uint32_t word)
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
int via_openssl(struct conn *c, const struct pbuf *p)
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

/* Follow the record boundaries of the RX stream (to tell a reset in the middle of a record). */
void rx_track(struct conn *c, const uint8_t *p, size_t n)
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
bool rx_partial(const struct conn *c)
{
	if (!c->rx) /* OpenSSL keeps a partial record in its own buffer */
		return BIO_pending(c->rbio) > 0 || SSL_has_pending(c->ssl);
	return c->rx_hdr_got || c->rx_body_left;
}
