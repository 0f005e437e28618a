/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tls_server: the send path. Plaintext records built for the device to encrypt (header, TLS 1.2
 * explicit nonce, TLS 1.3 inner type, room for the tag) or written by OpenSSL, the TX offload's
 * start where lwIP begins a new segment, our KeyUpdate taken over by the TX context, and the
 * output buffer handed to lwIP as its send buffer takes it.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lwip/tcp.h>
#include <openssl/crypto.h>
#include <openssl/ssl.h>

#include <mlx5tls/ssl.h>

#include "lwip_mlx5tls.h"
#include "tls_server_shared.h"
#include "tls_server_ctl.h"

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
void drain_wbio(struct conn *c)
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
void send_plain(struct conn *c, uint8_t type, const uint8_t *p, size_t n)
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
void pump(struct conn *c)
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
void flush(struct conn *c)
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
