/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tls_rx_offload: the sending side. The in-process OpenSSL handshake, the server's records
 * written with OpenSSL (real ciphertext; --corrupt flips one byte of one record), the TCP segments
 * carrying them as Ethernet/IPv4/TCP frames with correct checksums, and the order in which the
 * segments reach the client (--loss: retransmitted much later, --reorder: swapped).
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "tls_rx_offload_shared.h"

/* ---- the server's side: handshake, then records ---- */

/* Move whatever one peer wrote into the other's read BIO; the number of bytes moved. */
static long shuttle(SSL *from, SSL *to)
{
	BIO *w = SSL_get_wbio(from), *r = SSL_get_rbio(to);
	uint8_t buf[4096];
	long moved = 0;
	int n;

	while ((n = BIO_read(w, buf, sizeof(buf))) > 0) {
		if (BIO_write(r, buf, n) != n)
			return -1;
		moved += n;
	}
	return moved;
}

/* Both sides step until both are done; *server_bytes = what the server sent (its TCP stream
 * before the first record the device decrypts). */
int tls_handshake(struct app *a, size_t *server_bytes)
{
	bool c_done = false, s_done = false;

	*server_bytes = 0;
	for (int round = 0; round < 64 && !(c_done && s_done); round++) {
		long moved;
		int r;

		if (!c_done) {
			r = SSL_do_handshake(a->client);
			if (r == 1)
				c_done = true;
			else if (SSL_get_error(a->client, r) != SSL_ERROR_WANT_READ)
				break;
		}
		if (shuttle(a->client, a->server) < 0)
			break;
		if (!s_done) {
			r = SSL_do_handshake(a->server);
			if (r == 1)
				s_done = true;
			else if (SSL_get_error(a->server, r) != SSL_ERROR_WANT_READ)
				break;
		}
		moved = shuttle(a->server, a->client);
		if (moved < 0)
			break;
		*server_bytes += (size_t)moved;
	}
	if (!c_done || !s_done) {
		ERR_print_errors_fp(stderr);
		fprintf(stderr, PROG ": TLS handshake failed\n");
		return -EPROTO;
	}
	return 0;
}

/* The server writes the records; its write BIO then holds exactly their TLS stream (no session
 * tickets, nothing else under these keys). The plaintext is kept to check the delivery. */
int server_write(struct app *a)
{
	BIO *w = SSL_get_wbio(a->server);
	size_t cap = (size_t)a->o.records * (a->o.size + 64);
	size_t size = a->o.size;
	int n;

	a->plain_len = (size_t)a->o.records * size;
	a->plain = malloc(a->plain_len);
	a->stream = malloc(cap);
	if (!a->plain || !a->stream)
		return -ENOMEM;
	for (size_t i = 0; i < a->plain_len; i++)
		a->plain[i] = (uint8_t)(rng_next(&a->rng) >> 56);
	for (unsigned int r = 0; r < a->o.records; r++) {
		/* one SSL_write of at most 16 KiB is one record */
		if (SSL_write(a->server, a->plain + r * size, (int)size) != (int)size) {
			ERR_print_errors_fp(stderr);
			return -EIO;
		}
	}
	while (a->stream_len < cap &&
	       (n = BIO_read(w, a->stream + a->stream_len, (int)(cap - a->stream_len))) > 0)
		a->stream_len += (size_t)n;
	if (BIO_ctrl_pending(w)) {
		fprintf(stderr, PROG ": the server wrote more than expected\n");
		return -EOVERFLOW;
	}
	return 0;
}

/* Walk the records of the stream: 0 when there are exactly o.records application-data records,
 * and with --corrupt the stream offset of a ciphertext byte in the middle of that record. */
int check_stream(struct app *a)
{
	size_t off = 0, payload_off = a->o.tls_version == TLS1_2_VERSION ? TLS12_NONCE_LEN : 0;
	unsigned int r = 0;

	while (off + TLS_HDR_LEN <= a->stream_len) {
		size_t len = get16(a->stream + off + 3);

		if (a->stream[off] != TLS_CT_APPLICATION_DATA || off + TLS_HDR_LEN + len >
		    a->stream_len || len <= payload_off)
			break;
		if (a->o.corrupt && r == a->o.corrupt_rec)
			a->corrupt_off = off + TLS_HDR_LEN + payload_off + (len - payload_off) / 2;
		off += TLS_HDR_LEN + len;
		r++;
	}
	if (off != a->stream_len || r != a->o.records) {
		fprintf(stderr, PROG ": unexpected server stream (%u records, %zu of %zu bytes)\n",
			r, off, a->stream_len);
		return -EPROTO;
	}
	if (a->o.corrupt)
		/* at the sender: a retransmission carries the same damage */
		a->stream[a->corrupt_off] ^= 0x20;
	return 0;
}

/* ---- frames ---- */

static uint32_t csum_add(uint32_t sum, const uint8_t *p, size_t len)
{
	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	return sum;
}

static uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* Segment k of the stream as the server's stack sends it: Ethernet, IPv4 and TCP headers with
 * the checksums right, because the device verifies them before it decrypts anything. */
size_t build_frame(const struct app *a, uint32_t k, uint8_t *f)
{
	static const uint8_t client_mac[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x01 };
	static const uint8_t server_mac[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x02 };
	uint8_t *ip = f + ETH_HLEN, *tcp = ip + IP_HLEN;
	size_t off = (size_t)k * MSS;
	uint32_t len = (uint32_t)(a->stream_len - off < MSS ? a->stream_len - off : MSS);
	uint32_t sum;

	memset(f, 0, HDRS_LEN);
	memcpy(f, client_mac, 6);
	memcpy(f + 6, server_mac, 6);
	put16(f + 12, 0x0800);
	ip[0] = 0x45;
	put16(ip + 2, (uint16_t)(IP_HLEN + TCP_HLEN + len));
	put16(ip + 4, (uint16_t)k);
	put16(ip + 6, 0x4000); /* DF */
	ip[8] = 64;
	ip[9] = 6;
	put32(ip + 12, SERVER_IP);
	put32(ip + 16, CLIENT_IP);
	put16(ip + 10, csum_fold(csum_add(0, ip, IP_HLEN)));
	put16(tcp, SERVER_PORT);
	put16(tcp + 2, CLIENT_PORT);
	put32(tcp + 4, a->start_sn + (uint32_t)off);
	put32(tcp + 8, 1);
	tcp[12] = (TCP_HLEN / 4) << 4;
	tcp[13] = 0x18; /* PSH ACK */
	put16(tcp + 14, 65535);
	memcpy(tcp + TCP_HLEN, a->stream + off, len);
	/* pseudo header: addresses, protocol, TCP length */
	sum = csum_add(0, ip + 12, 8) + 6 + TCP_HLEN + len;
	put16(tcp + 16, csum_fold(csum_add(sum, tcp, TCP_HLEN + len)));
	return HDRS_LEN + len;
}

static int by_due(const void *x, const void *y)
{
	const struct arrival *p = x, *q = y;

	return p->due < q->due ? -1 : p->due > q->due;
}

/* Arrival order: see struct arrival. */
struct arrival *schedule(struct app *a)
{
	struct arrival *arr;

	a->segs = (uint32_t)((a->stream_len + MSS - 1) / MSS);
	arr = calloc(a->segs, sizeof(*arr));
	if (!arr)
		return NULL;
	for (uint32_t k = 0; k < a->segs; k++) {
		arr[k].seg = k;
		arr[k].due = 2 * (uint64_t)k;
	}
	for (uint32_t k = 0; k < a->segs; k++) {
		if (a->o.loss > 0 && rng_unit(&a->rng) < a->o.loss) {
			arr[k].due += 2 * (RETX_MIN + rng_next(&a->rng) % RETX_SPREAD) + 1;
			a->lost++;
		} else if (a->o.reorder > 0 && k + 1 < a->segs &&
			   rng_unit(&a->rng) < a->o.reorder) {
			/* arrives right after its successor; that one keeps its place (k + 1 is
			 * skipped), else two swaps in a row would cancel out */
			arr[k].due += 3;
			a->swapped++;
			k++;
		}
	}
	qsort(arr, a->segs, sizeof(*arr), by_due);
	return arr;
}
