/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tls_server: a connection's life on lwIP. Accepted (its SSL, its driver entry), lwIP's
 * callbacks (received bytes to the receive path, sent bytes and polls to the send path, errors),
 * the close_notify, and the close once every byte was acknowledged, outside lwIP's input
 * processing; its totals go into g's when it is torn down.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lwip/tcp.h>
#include <openssl/bio.h>
#include <openssl/ssl.h>

#include <mlx5tls/ssl.h>

#include "lwip_mlx5tls.h"
#include "tls_server_shared.h"

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
void conn_teardown(struct conn *c)
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

void detach(struct conn *c)
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

/* ---- lwIP's callbacks ---- */

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

void run_pending_closes(void)
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

err_t on_accept(void *arg, struct tcp_pcb *pcb, err_t err)
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
