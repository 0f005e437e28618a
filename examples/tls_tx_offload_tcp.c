/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tls_tx_offload: frames, the wire and TCP. The frame pool in one registered region (a slot is
 * reused only once the library can no longer read it), Ethernet/IPv4/TCP headers with the
 * checksums left to the device, the sends (TLS records through the TLS TX context, the rest as
 * plain sends on the same queue), the receiver behind the model's wire (checksums checked,
 * segments placed by sequence number, losses drawn) and the TCP three-way handshake.
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
#include <openssl/ssl.h>

#include <mlx5tls/mlx5tls.h>

#include "tls_tx_offload_shared.h"

static const uint8_t server_mac[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x01 };
static const uint8_t client_mac[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x02 };

/* Ethernet + IPv4 + TCP headers (20 bytes, no options). The IPv4 header and TCP checksums are
 * left 0: the send WQE asks the device to compute them (checksum offload). */
static void build_headers(uint8_t *f, struct tcp_tx *t, uint32_t seq, uint32_t ack, uint8_t flags,
			  size_t payload_len)
{
	uint8_t *ip = f + ETH_HLEN, *tcp = ip + IP_HLEN;

	memset(f, 0, HDRS_LEN);
	memcpy(f, t->dmac, 6);
	memcpy(f + 6, t->smac, 6);
	put16(f + 12, 0x0800);
	ip[0] = 0x45;
	put16(ip + 2, (uint16_t)(IP_HLEN + TCP_HLEN + payload_len));
	put16(ip + 4, t->ip_id++);
	put16(ip + 6, 0x4000); /* don't fragment */
	ip[8] = 64;
	ip[9] = 6; /* TCP */
	put32(ip + 12, t->saddr);
	put32(ip + 16, t->daddr);
	put16(tcp, t->sport);
	put16(tcp + 2, t->dport);
	put32(tcp + 4, seq);
	put32(tcp + 8, ack);
	tcp[12] = (TCP_HLEN / 4) << 4;
	tcp[13] = flags;
	put16(tcp + 14, 65535);
}

/* ---- the frame pool ---- */

int pool_init(struct app *a)
{
	a->pool.mem = aligned_alloc(4096, (size_t)NR_SLOTS * SLOT_SIZE);
	if (!a->pool.mem)
		return -ENOMEM;
	a->pool.mr = mlx5tls_mr_reg(a->pd, a->pool.mem, (size_t)NR_SLOTS * SLOT_SIZE);
	return a->pool.mr ? 0 : -errno;
}

/* Where the records still held by the library start: the start of the record holding `acked`.
 * Frames wholly before it will never be read again. */
static uint32_t release_point(const struct app *a, uint32_t acked)
{
	size_t off = acked - a->start_sn, lo = 0, hi = a->nr_recs;

	if (!a->nr_recs || seq_lt(acked, a->start_sn))
		return a->start_sn;
	if (off >= a->stream_len)
		return a->start_sn + (uint32_t)a->stream_len;
	while (hi - lo > 1) { /* the last record starting at or before off */
		size_t mid = (lo + hi) / 2;

		if (a->rec_off[mid] <= off)
			lo = mid;
		else
			hi = mid;
	}
	return a->start_sn + a->rec_off[lo];
}

/* Reap completions; a completed slot is free unless a TLS record in it awaits its ack. */
int pool_reap(struct app *a)
{
	struct mlx5tls_completion done[64];
	int n;

	while ((n = mlx5tls_qp_poll(a->qp, done, 64, 0)) > 0) {
		for (int i = 0; i < n; i++) {
			struct slot *s = &a->pool.slots[done[i].cookie];

			if (done[i].status)
				fprintf(stderr, PROG ": frame in slot %" PRIu64 " failed: %s\n",
					done[i].cookie, strerror(-done[i].status));
			s->completed = true;
			if (!s->tls)
				s->busy = false;
		}
	}
	if (n < 0)
		return n;
	if (a->tx && a->s_rx.ack_valid) {
		uint32_t rp = release_point(a, a->s_rx.last_ack);

		for (uint32_t i = 0; i < NR_SLOTS; i++) {
			struct slot *s = &a->pool.slots[i];

			if (s->busy && s->completed && s->tls && !seq_lt(rp, s->end_seq))
				s->busy = false;
		}
	}
	return 0;
}

static int pool_get(struct app *a, uint32_t *idx)
{
	for (int pass = 0; pass < 2; pass++) {
		for (uint32_t i = 0; i < NR_SLOTS; i++) {
			uint32_t k = (a->pool.next + i) % NR_SLOTS;

			if (!a->pool.slots[k].busy) {
				a->pool.slots[k] = (struct slot){ .busy = true };
				a->pool.next = (k + 1) % NR_SLOTS;
				*idx = k;
				return 0;
			}
		}
		if (pass == 0) {
			int ret = mlx5tls_qp_flush(a->qp);

			if (!ret)
				ret = pool_reap(a);
			if (ret)
				return ret;
		}
	}
	return -ENOBUFS;
}

/* ---- sending ---- */

/* One frame from `t` with `len` payload bytes; TLS TX frames go through the TLS context, others
 * (handshake, ACKs, the client's frames) as plain sends on the same queue. Posted with
 * MLX5TLS_SEND_F_MORE: the caller rings the doorbell once per burst (mlx5tls_qp_flush). */
int send_segment(struct app *a, struct tcp_tx *t, uint32_t seq, uint32_t ack, uint8_t flags,
		 const void *payload, size_t len, bool tls)
{
	struct mlx5tls_frame f = { 0 };
	uint32_t idx = 0;
	uint8_t *mem;
	int ret;

	ret = pool_get(a, &idx);
	if (ret)
		return ret;
	mem = a->pool.mem + (size_t)idx * SLOT_SIZE;
	build_headers(mem, t, seq, ack, flags, len);
	if (len)
		memcpy(mem + HDRS_LEN, payload, len);
	a->pool.slots[idx].tls = tls;
	a->pool.slots[idx].end_seq = seq + (uint32_t)len;
	f.data = mem;
	f.len = (uint32_t)(HDRS_LEN + len);
	f.mr = a->pool.mr;
	f.cookie = idx;
	ret = tls ? mlx5tls_tx_send(a->tx, &f, MLX5TLS_SEND_F_MORE)
		  : mlx5tls_qp_send(a->qp, &f, MLX5TLS_SEND_F_MORE);
	if (ret) {
		a->pool.slots[idx].busy = false;
		report(tls ? "mlx5tls_tx_send" : "mlx5tls_qp_send", ret);
	}
	return ret;
}

/* Ring the doorbell. With MLX5TLS_QP_F_MODEL_SYNC the model sends everything on this thread, so
 * when this returns every frame posted so far has reached the receivers. */
int flush(struct app *a)
{
	int ret = mlx5tls_qp_flush(a->qp);

	if (ret) {
		report("mlx5tls_qp_flush", ret);
		return ret;
	}
	return pool_reap(a);
}

/* A byte stream in segments of at most MSS (handshake flights); the ACK field says what the
 * sending side's own receiver holds. */
int send_stream(struct app *a, struct tcp_tx *t, const struct tcp_rx *own_rx,
		const uint8_t *p, size_t len)
{
	while (len) {
		size_t n = len < MSS ? len : MSS;
		uint32_t ack = own_rx->base + (uint32_t)own_rx->contig;
		int ret = send_segment(a, t, t->snd_nxt, ack, TCP_ACK | TCP_PSH, p, n, false);

		if (ret)
			return ret;
		t->snd_nxt += (uint32_t)n;
		p += n;
		len -= n;
	}
	return 0;
}

/* ---- receiving: the wire callback ---- */

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
	return (uint16_t)sum;
}

static int rx_grow(struct tcp_rx *r, size_t need)
{
	size_t ncap = r->cap ? r->cap : 65536;
	uint8_t *d, *h;

	while (ncap < need)
		ncap *= 2;
	if (ncap == r->cap)
		return 0;
	d = realloc(r->data, ncap);
	if (!d)
		return -ENOMEM;
	r->data = d;
	h = realloc(r->have, ncap);
	if (!h)
		return -ENOMEM;
	memset(h + r->cap, 0, ncap - r->cap);
	r->have = h;
	r->cap = ncap;
	return 0;
}

/* Place a segment by sequence number: out-of-order bytes are kept (the cumulative ACK then
 * jumps once the hole is filled); a byte received twice must be the same both times. */
static void rx_segment(struct tcp_rx *r, uint8_t flags, uint32_t seq, const uint8_t *p,
		       size_t len)
{
	size_t off;

	if (flags & TCP_SYN) {
		r->syn_seen = true;
		r->base = seq + 1;
		return;
	}
	if (!r->syn_seen || !len || seq_lt(seq, r->base))
		return;
	off = seq - r->base;
	if (rx_grow(r, off + len)) {
		r->lost++; /* no memory: as if the frame were lost, the sender retransmits */
		return;
	}
	for (size_t i = 0; i < len; i++) {
		if (r->have[off + i]) {
			r->dup_bytes++;
			if (r->data[off + i] != p[i])
				r->mismatched_bytes++;
			continue;
		}
		r->data[off + i] = p[i];
		r->have[off + i] = 1;
	}
	while (r->contig < r->cap && r->have[r->contig])
		r->contig++;
}

/* Every frame the model puts on the wire comes here (on the thread that rang the doorbell). */
void wire_rx(void *ctx, const void *frame, size_t len)
{
	struct app *a = ctx;
	const uint8_t *f = frame, *ip = f + ETH_HLEN, *tcp = ip + IP_HLEN;
	struct tcp_rx *r;
	size_t ip_len, doff, plen;
	uint32_t sum;

	if (len < HDRS_LEN || get16(f + 12) != 0x0800 || ip[0] != 0x45 || ip[9] != 6)
		return; /* not IPv4/TCP without IP options: not ours */
	r = get16(tcp + 2) == a->c_rx.port ? &a->c_rx : &a->s_rx;
	ip_len = get16(ip + 2);
	doff = (size_t)(tcp[12] >> 4) * 4;
	if (ip_len < IP_HLEN + TCP_HLEN || ETH_HLEN + ip_len > len || doff < TCP_HLEN ||
	    IP_HLEN + doff > ip_len) {
		r->bad_csum++;
		return;
	}
	plen = ip_len - IP_HLEN - doff;
	/* a lost data frame: the receiver never sees it (only after the handshake) */
	if (a->loss_active && r == &a->c_rx && plen && rng_unit(&a->rng) < a->o.loss) {
		r->lost++;
		return;
	}
	r->frames++;
	/* what the device computed: IPv4 header checksum, TCP checksum over the pseudo header */
	sum = csum_add(0, ip + 12, 8) + 6 + (uint32_t)(ip_len - IP_HLEN);
	if (csum_fold(csum_add(0, ip, IP_HLEN)) != 0xffff ||
	    csum_fold(csum_add(sum, tcp, ip_len - IP_HLEN)) != 0xffff) {
		r->bad_csum++;
		return;
	}
	if (tcp[13] & TCP_ACK) {
		r->last_ack = get32(tcp + 8);
		r->ack_valid = true;
	}
	rx_segment(r, tcp[13], get32(tcp + 4), tcp + doff, plen);
}

/* Hand what arrived in order to the TLS peer behind this receiver. */
int rx_feed(struct tcp_rx *r, SSL *ssl)
{
	while (r->fed < r->contig) {
		size_t n = r->contig - r->fed;
		int chunk = n > 1u << 20 ? 1 << 20 : (int)n;

		if (BIO_write(SSL_get_rbio(ssl), r->data + r->fed, chunk) != chunk)
			return -ENOMEM;
		r->fed += (size_t)chunk;
	}
	return 0;
}

/* The TCP three-way handshake, each segment on the wire before the next is built. */
int tcp_connect(struct app *a)
{
	int ret;

	/* client 198.19.0.2, server 198.19.0.1: addresses of 198.18.0.0/15 only (RFC 2544) */
	a->c_tx = (struct tcp_tx){ .iss = (uint32_t)rng_next(&a->rng), .sport = CLIENT_PORT,
				   .dport = SERVER_PORT, .smac = client_mac, .dmac = server_mac,
				   .saddr = 0xc6130002, .daddr = 0xc6130001 };
	a->s_tx = (struct tcp_tx){ .iss = (uint32_t)rng_next(&a->rng), .sport = SERVER_PORT,
				   .dport = CLIENT_PORT, .smac = server_mac, .dmac = client_mac,
				   .saddr = 0xc6130001, .daddr = 0xc6130002 };
	a->c_rx.port = CLIENT_PORT;
	a->s_rx.port = SERVER_PORT;
	ret = send_segment(a, &a->c_tx, a->c_tx.iss, 0, TCP_SYN, NULL, 0, false);
	if (!ret)
		ret = flush(a);
	if (!ret)
		ret = send_segment(a, &a->s_tx, a->s_tx.iss, a->c_tx.iss + 1, TCP_SYN | TCP_ACK,
				   NULL, 0, false);
	if (!ret)
		ret = flush(a);
	if (!ret)
		ret = send_segment(a, &a->c_tx, a->c_tx.iss + 1, a->s_tx.iss + 1, TCP_ACK, NULL,
				   0, false);
	if (!ret)
		ret = flush(a);
	a->c_tx.snd_nxt = a->c_tx.iss + 1;
	a->s_tx.snd_nxt = a->s_tx.iss + 1;
	if (!ret && (!a->s_rx.syn_seen || !a->c_rx.syn_seen)) {
		fprintf(stderr, PROG ": the SYNs did not cross the wire\n");
		ret = -EIO;
	}
	return ret;
}
