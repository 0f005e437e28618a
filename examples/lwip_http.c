/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * HTTP/1.1 over lwIP over libmlx5tls (plain TCP, no TLS yet): the lwIP netif driver of
 * lwip_mlx5tls.c on a device - by default the model, its port attached to --ifname - serving
 * `GET /bytes/N` (N bytes, byte i = i % 251) with keep-alive; 404 otherwise.
 *
 *   lwip_http --ifname veth0 --ip 198.18.0.1/24 --port 8080 [--device sim:cx6dx,wire_loss=0.02]
 *             [--pcap FILE] [--duration S] [--max-conns N]
 *
 * SIGINT/SIGTERM (or --duration) end it with a summary line.
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

#include "lwip_mlx5tls.h"

#define REQ_MAX 4096u
#define CHUNK 16384u

struct conn {
	struct tcp_pcb *pcb;
	char req[REQ_MAX];
	size_t req_len;
	uint64_t body_left; /* bytes of the body still to queue */
	uint64_t body_off;  /* position in the body (for i % 251) */
	bool close_after;
	bool closing;
	bool close_queued;        /* on g_close_pending */
	struct conn *close_next;
	struct conn *prev, *next; /* every live connection, for the shutdown */
};

static struct conn *g_list;
/* Connections to close once lwIP's input is done (see on_sent). */
static struct conn *g_close_pending;

static volatile sig_atomic_t g_stop;
static uint64_t g_conns, g_live, g_requests, g_bytes, g_errors, g_refused;
static unsigned int g_max_conns = 1024;

static void on_signal(int sig)
{
	(void)sig;
	g_stop = 1;
}

static void conn_free(struct conn *c)
{
	if (c->close_queued) {
		struct conn **pp = &g_close_pending;

		while (*pp != c)
			pp = &(*pp)->close_next;
		*pp = c->close_next;
	}
	if (c->pcb) {
		tcp_arg(c->pcb, NULL);
		tcp_recv(c->pcb, NULL);
		tcp_sent(c->pcb, NULL);
		tcp_err(c->pcb, NULL);
		tcp_poll(c->pcb, NULL, 0);
	}
	g_live--;
	if (c->prev)
		c->prev->next = c->next;
	else
		g_list = c->next;
	if (c->next)
		c->next->prev = c->prev;
	free(c);
}

static void conn_close(struct conn *c)
{
	struct tcp_pcb *pcb = c->pcb;

	conn_free(c);
	if (tcp_close(pcb) != ERR_OK)
		tcp_abort(pcb);
}

/* Queue as much of the body as lwIP takes. */
static void pump(struct conn *c)
{
	static uint8_t pattern[CHUNK + 251];
	static bool init;

	if (!init) {
		for (size_t i = 0; i < sizeof(pattern); i++)
			pattern[i] = (uint8_t)(i % 251);
		init = true;
	}
	while (c->body_left) {
		uint64_t want = c->body_left < CHUNK ? c->body_left : CHUNK;
		uint32_t room = tcp_sndbuf(c->pcb);
		uint32_t n = want < room ? (uint32_t)want : room;

		if (n == 0)
			break;
		if (tcp_write(c->pcb, pattern + c->body_off % 251, (u16_t)n, TCP_WRITE_FLAG_COPY) !=
		    ERR_OK)
			break;
		c->body_left -= n;
		c->body_off += n;
		g_bytes += n;
	}
	tcp_output(c->pcb);
}

static void respond(struct conn *c, const char *line)
{
	char hdr[256];
	unsigned long long n = 0;
	int len;
	char tail;

	g_requests++;
	if (sscanf(line, "GET /bytes/%llu HTTP/1.%*c%c", &n, &tail) >= 1 &&
	    !strncmp(line, "GET /bytes/", 11)) {
		len = snprintf(hdr, sizeof(hdr),
			       "HTTP/1.1 200 OK\r\nContent-Length: %llu\r\n"
			       "Content-Type: application/octet-stream\r\n%s\r\n",
			       n, c->close_after ? "Connection: close\r\n" : "");
		c->body_left = n;
		c->body_off = 0;
	} else {
		len = snprintf(hdr, sizeof(hdr),
			       "HTTP/1.1 404 Not Found\r\nContent-Length: 10\r\n%s\r\nnot found\n",
			       c->close_after ? "Connection: close\r\n" : "");
		c->body_left = 0;
	}
	tcp_write(c->pcb, hdr, (u16_t)len, TCP_WRITE_FLAG_COPY);
	pump(c);
}

/* Requests complete in the buffer, one at a time (pipelined ones wait for the body). */
static void serve(struct conn *c)
{
	while (!c->body_left && !c->closing) {
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
	}
	if (!c->body_left && c->close_after && !c->closing) {
		/* later, outside lwIP's input: from the sent callback, a tcp_close() that resets
		 * (data arrived with the ACK) loses the pbuf lwIP was about to deliver, and with
		 * zero-copy receive its receive buffer with it */
		c->closing = true; /* serves nothing more */
		c->close_queued = true;
		c->close_next = g_close_pending;
		g_close_pending = c;
	}
}

static void run_pending_closes(void)
{
	while (g_close_pending) {
		struct conn *c = g_close_pending;

		g_close_pending = c->close_next;
		c->close_queued = false;
		conn_close(c);
	}
}

static err_t on_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err)
{
	struct conn *c = arg;

	if (!c) {
		if (p)
			pbuf_free(p);
		return ERR_OK;
	}
	if (!p || err != ERR_OK) {
		if (p)
			pbuf_free(p);
		conn_close(c);
		return ERR_OK;
	}
	if (c->req_len + p->tot_len > REQ_MAX) {
		fprintf(stderr, "lwip_http: request too large, connection closed\n");
		g_errors++;
		pbuf_free(p);
		conn_close(c);
		return ERR_OK;
	}
	pbuf_copy_partial(p, c->req + c->req_len, p->tot_len, 0);
	c->req_len += p->tot_len;
	tcp_recved(pcb, p->tot_len);
	pbuf_free(p);
	serve(c);
	return ERR_OK;
}

static err_t on_sent(void *arg, struct tcp_pcb *pcb, u16_t len)
{
	struct conn *c = arg;

	(void)pcb;
	(void)len;
	if (!c)
		return ERR_OK;
	pump(c);
	serve(c);
	return ERR_OK;
}

static void on_err(void *arg, err_t err)
{
	struct conn *c = arg;

	if (!c)
		return;
	if (err != ERR_CLSD && err != ERR_RST)
		fprintf(stderr, "lwip_http: connection lost (%s)\n", lwip_strerr(err));
	if (err != ERR_CLSD)
		g_errors += err != ERR_RST;
	c->pcb = NULL; /* lwIP freed it */
	conn_free(c);
}

static err_t on_poll(void *arg, struct tcp_pcb *pcb)
{
	(void)pcb;
	if (arg)
		pump(arg);
	return ERR_OK;
}

static err_t on_accept(void *arg, struct tcp_pcb *pcb, err_t err)
{
	struct conn *c;

	(void)arg;
	if (err != ERR_OK || !pcb)
		return ERR_VAL;
	if (g_live >= g_max_conns || !(c = calloc(1, sizeof(*c)))) {
		g_refused++;
		tcp_abort(pcb);
		return ERR_ABRT;
	}
	c->pcb = pcb;
	c->next = g_list;
	if (g_list)
		g_list->prev = c;
	g_list = c;
	g_conns++;
	g_live++;
	tcp_arg(pcb, c);
	tcp_recv(pcb, on_recv);
	tcp_sent(pcb, on_sent);
	tcp_err(pcb, on_err);
	tcp_poll(pcb, on_poll, 2);
	return ERR_OK;
}


int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "device", required_argument, NULL, 'd' }, { "ifname", required_argument, NULL, 'i' },
		{ "ip", required_argument, NULL, 'a' },     { "port", required_argument, NULL, 'p' },
		{ "pcap", required_argument, NULL, 'w' },   { "duration", required_argument, NULL, 't' },
		{ "max-conns", required_argument, NULL, 'm' }, { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct lwmx_opts o = { 0 };
	struct mlx5tls_model_wire_stats ws;
	struct lwmx_stats ls;
	struct tcp_pcb *lpcb;
	double duration = 0;
	unsigned int port = 8080;
	struct lwmx *l;
	int opt;

	o.device = "sim";
	if (lwmx_parse_cidr("198.18.0.1/24", &o))
		return 2;
	while ((opt = getopt_long(argc, argv, "d:i:a:p:w:t:m:h", lo, NULL)) != -1) {
		switch (opt) {
		case 'd': o.device = optarg; break;
		case 'i': o.ifname = optarg; break;
		case 'a':
			if (lwmx_parse_cidr(optarg, &o)) {
				fprintf(stderr, "lwip_http: bad --ip %s\n", optarg);
				return 2;
			}
			break;
		case 'p': port = (unsigned int)strtoul(optarg, NULL, 10); break;
		case 'w': o.pcap = optarg; break;
		case 't': duration = strtod(optarg, NULL); break;
		case 'm': g_max_conns = (unsigned int)strtoul(optarg, NULL, 10); break;
		default:
			fprintf(stderr, "usage: %s [--device DEV] [--ifname IF] [--ip A.B.C.D/N] "
					"[--port P] [--pcap FILE] [--duration S] [--max-conns N]\n",
				argv[0]);
			return opt == 'h' ? 0 : 2;
		}
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	l = lwmx_open(&o);
	if (!l)
		return 1;
	lpcb = lwmx_listen(port, on_accept, "lwip_http");
	if (!lpcb) {
		lwmx_close(l);
		return 1;
	}
	printf("lwip_http: listening on %s:%u (device %s%s%s)\n", ip4addr_ntoa(&o.ip), port,
	       o.device, o.ifname ? ", port on " : "", o.ifname ? o.ifname : "");
	fflush(stdout);
	(void)lwmx_run(l, duration, &g_stop, run_pending_closes, "lwip_http");
	tcp_close(lpcb);
	/* whatever is still open is reset; its pbufs go back to the receive queue */
	while (g_list)
		tcp_abort(g_list->pcb); /* on_err frees the connection */
	lwmx_get_stats(l, &ls);
	if (mlx5tls_model_wire_stats(lwmx_device(l), &ws, sizeof(ws)))
		memset(&ws, 0, sizeof(ws));
	printf("lwip_http: summary: connections %" PRIu64 " (refused %" PRIu64 ", errors %" PRIu64
	       "), requests %" PRIu64 ", body bytes %" PRIu64 ", frames rx %" PRIu64 " tx %" PRIu64
	       ", wire faults tx drop/reorder/dup %" PRIu64 "/%" PRIu64 "/%" PRIu64
	       " rx %" PRIu64 "/%" PRIu64 "/%" PRIu64 ", rx oversize %" PRIu64 " csum_partial %"
	       PRIu64 "\n",
	       g_conns, g_refused, g_errors, g_requests, g_bytes, ls.rx_frames, ls.tx_frames,
	       ws.tx_dropped, ws.tx_reordered, ws.tx_duplicated, ws.rx_dropped, ws.rx_reordered,
	       ws.rx_duplicated, ws.rx_oversize, ws.rx_csum_partial);
	lwmx_close(l);
	return 0;
}
