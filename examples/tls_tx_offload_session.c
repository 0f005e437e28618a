/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tls_tx_offload: the session over the TCP of tls_tx_offload_tcp.c - the OpenSSL handshake
 * between the in-process client and server, the plaintext and its records laid out as kTLS hands
 * them to a device, the go-back-N sender of the offloaded records (acknowledgements to
 * mlx5tls_tx_ack()) and the client reading every record back and comparing it.
 */
#ifndef _GNU_SOURCE
#define _POSIX_C_SOURCE 200809L /* POSIX interfaces also with -std=c11 */
#endif
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include <mlx5tls/mlx5tls.h>

#include "tls_tx_offload_shared.h"

/* The plaintext: numbered 64-byte lines of text, so that a decrypted capture is readable and a
 * byte out of place shows. */
static int make_plaintext(struct app *a)
{
	size_t len = (size_t)a->o.records * a->o.size;

	a->plain = malloc(len);
	if (!a->plain)
		return -ENOMEM;
	for (size_t off = 0; off < len; off += 64) {
		char line[80];
		size_t n = len - off < 64 ? len - off : 64;

		snprintf(line, sizeof(line),
			 "%07zu TLS record plaintext, encrypted inline by the NIC.         ",
			 off / 64);
		line[63] = '\n';
		memcpy(a->plain + off, line, n);
	}
	return 0;
}

/* Whatever OpenSSL wrote on one side goes out as TCP segments. */
static int ship_flight(struct app *a, SSL *ssl, struct tcp_tx *t, const struct tcp_rx *own_rx)
{
	char *data = NULL;
	long n = BIO_get_mem_data(SSL_get_wbio(ssl), &data);
	int ret = 0;

	if (n > 0) {
		ret = send_stream(a, t, own_rx, (const uint8_t *)data, (size_t)n);
		if (!ret) {
			(void)BIO_reset(SSL_get_wbio(ssl));
			ret = flush(a);
		}
	}
	return ret;
}

int tls_handshake(struct app *a)
{
	bool done[2] = { false, false };
	SSL *ssl[2] = { a->client, a->server };

	for (int round = 0; round < 16 && !(done[0] && done[1]); round++) {
		for (int s = 0; s < 2; s++) {
			struct tcp_rx *my_rx = s ? &a->s_rx : &a->c_rx;
			struct tcp_tx *t = s ? &a->s_tx : &a->c_tx;
			int ret = rx_feed(my_rx, ssl[s]);

			if (ret)
				return ret;
			if (!done[s]) {
				int r = SSL_do_handshake(ssl[s]);
				int err = r == 1 ? SSL_ERROR_NONE : SSL_get_error(ssl[s], r);

				if (r == 1) {
					done[s] = true;
				} else if (err != SSL_ERROR_WANT_READ &&
					   err != SSL_ERROR_WANT_WRITE) {
					fprintf(stderr, PROG ": %s handshake failed\n",
						s ? "server" : "client");
					ERR_print_errors_fp(stderr);
					return -EPROTO;
				}
			}
			ret = ship_flight(a, ssl[s], t, my_rx);
			if (ret)
				return ret;
		}
	}
	if (!done[0] || !done[1]) {
		fprintf(stderr, PROG ": the TLS handshake did not complete\n");
		return -EPROTO;
	}
	/* the final flight must have been consumed: nothing else may be in flight */
	if (a->s_rx.fed != a->s_rx.contig || a->c_rx.fed != a->c_rx.contig ||
	    BIO_ctrl_pending(SSL_get_rbio(a->server)) ||
	    BIO_ctrl_pending(SSL_get_rbio(a->client))) {
		fprintf(stderr, PROG ": unexpected bytes after the handshake\n");
		return -EPROTO;
	}
	return 0;
}

/* Lay the records out back to back, as the application hands them to its TCP stack. */
int layout_records(struct app *a, uint64_t first_record)
{
	bool tls12 = a->o.tls_version == TLS1_2_VERSION;
	size_t overhead = TLS_HDR_LEN + (tls12 ? TLS12_NONCE_LEN : 1u) + TLS_TAG_LEN;
	size_t rec_len = a->o.size + overhead, pt_off = 0;
	uint8_t *p;

	a->nr_recs = a->o.records;
	a->stream_len = rec_len * a->nr_recs;
	if (a->stream_len > (1u << 30))
		return -E2BIG; /* keep sequence numbers far from wrapping onto themselves */
	if (make_plaintext(a))
		return -ENOMEM;
	a->stream = malloc(a->stream_len);
	a->rec_off = calloc(a->nr_recs + 1u, sizeof(*a->rec_off));
	if (!a->stream || !a->rec_off)
		return -ENOMEM;
	p = a->stream;
	for (unsigned int i = 0; i < a->nr_recs; i++) {
		a->rec_off[i] = (uint32_t)(p - a->stream);
		p[0] = TLS_CT_APPLICATION_DATA; /* TLS 1.3: the outer type is always 23 */
		p[1] = 0x03;
		p[2] = 0x03;
		put16(p + 3, (uint16_t)(rec_len - TLS_HDR_LEN));
		p += TLS_HDR_LEN;
		if (tls12) { /* explicit nonce = record sequence number (iv = rec_seq above) */
			put64(p, first_record + i);
			p += TLS12_NONCE_LEN;
		}
		memcpy(p, a->plain + pt_off, a->o.size);
		p += a->o.size;
		pt_off += a->o.size;
		if (!tls12)
			*p++ = TLS_CT_APPLICATION_DATA; /* TLSInnerPlaintext content type */
		memset(p, 0, TLS_TAG_LEN); /* the device writes the tag here */
		p += TLS_TAG_LEN;
	}
	a->rec_off[a->nr_recs] = (uint32_t)a->stream_len;
	return 0;
}

/* The client reads what arrived and checks it. */
int client_read(struct app *a)
{
	uint8_t buf[16384];
	int ret = rx_feed(&a->c_rx, a->client);

	if (ret)
		return ret;
	for (;;) {
		size_t n = 0;
		int r = SSL_read_ex(a->client, buf, sizeof(buf), &n);

		if (r != 1) {
			int err = SSL_get_error(a->client, r);

			if (err == SSL_ERROR_WANT_READ)
				return 0;
			fprintf(stderr,
				PROG ": the client could not read a record (%d) after %" PRIu64
				     " bytes:\n", err, a->read_bytes);
			ERR_print_errors_fp(stderr);
			a->read_error = true;
			return -EBADMSG;
		}
		if (a->read_bytes + n > (uint64_t)a->o.records * a->o.size ||
		    memcmp(buf, a->plain + a->read_bytes, n) != 0) {
			fprintf(stderr,
				PROG ": the plaintext read differs from the one sent, in the %zu "
				     "bytes after byte %" PRIu64 "\n", n, a->read_bytes);
			a->read_error = true;
			return -EBADMSG;
		}
		a->read_bytes += n;
	}
}

/*
 * The offloaded data phase: a go-back-N sender. Each round sends up to WINDOW_SEGS segments from
 * snd_nxt and rings the doorbell once; the receiver's cumulative ACK comes back as a frame; if it
 * is short of what was sent, something was lost and the sender goes back to it. (A real TCP
 * retransmits on duplicate ACKs or a timer; the library does not care why a segment is sent
 * again, only that its sequence number is not the next one.)
 */
int send_records(struct app *a)
{
	uint32_t snd_una = a->start_sn, snd_nxt = a->start_sn, snd_max = a->start_sn;
	uint32_t end = a->start_sn + (uint32_t)a->stream_len;
	int ret;

	a->loss_active = a->o.loss > 0;
	for (unsigned int rounds = 0; seq_lt(snd_una, end); rounds++) {
		uint32_t ack;

		if (rounds > 1000000) {
			fprintf(stderr, PROG ": no progress\n");
			return -ETIMEDOUT;
		}
		for (unsigned int k = 0; k < WINDOW_SEGS && seq_lt(snd_nxt, end); k++) {
			size_t off = snd_nxt - a->start_sn;
			size_t n = a->stream_len - off < MSS ? a->stream_len - off : MSS;

			ret = send_segment(a, &a->s_tx, snd_nxt,
					   a->s_rx.base + (uint32_t)a->s_rx.contig,
					   TCP_ACK | TCP_PSH, a->stream + off, n, true);
			if (ret)
				return ret;
			a->data_frames++;
			if (seq_lt(snd_nxt, snd_max))
				a->retx_frames++;
			snd_nxt += (uint32_t)n;
			if (seq_lt(snd_max, snd_nxt))
				snd_max = snd_nxt;
		}
		ret = flush(a);
		if (!ret)
			ret = client_read(a);
		if (ret)
			return ret;
		/* the client acknowledges what it holds in order */
		ack = a->c_rx.base + (uint32_t)a->c_rx.contig;
		ret = send_segment(a, &a->c_tx, a->c_tx.snd_nxt, ack, TCP_ACK, NULL, 0, false);
		if (!ret)
			ret = flush(a);
		if (ret)
			return ret;
		a->pure_acks++;
		if (!a->s_rx.ack_valid || a->s_rx.last_ack != ack) {
			fprintf(stderr, PROG ": the ACK did not reach the server\n");
			return -EIO;
		}
		if (seq_lt(snd_una, ack)) {
			snd_una = ack;
			/* the library may now forget the records wholly before ack */
			ret = mlx5tls_tx_ack(a->tx, ack);
			if (ret) {
				report("mlx5tls_tx_ack", ret);
				return ret;
			}
		}
		if (seq_lt(snd_una, snd_nxt))
			snd_nxt = snd_una; /* a gap at the receiver: go back */
		ret = pool_reap(a);
		if (ret)
			return ret;
	}
	a->loss_active = false;
	return 0;
}
