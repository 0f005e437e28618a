/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tls_server: HTTP/1.1 keep-alive. `GET /bytes/N` answers N bytes whose byte i is i % 251
 * (tls_server_out.c makes them), anything else 404; "Connection: close" closes after the answer.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "tls_server_shared.h"

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

void http_serve(struct conn *c)
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

int http_feed(struct conn *c, const void *p, size_t n)
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
