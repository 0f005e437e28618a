/* SPDX-License-Identifier: BSD-3-Clause */
/* TLS-over-TCP sender/receiver around a library TLS TX context (tx_harness.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/ssl.h>

#include "be_bytes.h"
#include "inet_csum.h"
#include "tx_harness.h"

#define ETH_HLEN 14u
#define IPV4_HLEN 20u
#define IPV6_HLEN 40u
#define TCP_HLEN 20u
#define VLAN_HLEN 4u
#define ARENA_DEFAULT (64u << 20)

/* ---- receiver ---- */

/* Length of the L2 header: Ethernet and an optional 802.1Q tag. */
static size_t l2_len(const struct txh *h)
{
	return ETH_HLEN + (h->o.vlan ? VLAN_HLEN : 0);
}

static bool csum_ok(const uint8_t *f, size_t len, size_t l3, bool v6, size_t *l4, size_t *plen)
{
	const uint8_t *ip = f + l3;
	uint32_t sum;
	size_t l4len;

	if (!v6) {
		size_t iplen;

		if (len < l3 + IPV4_HLEN ||
		    test_csum_fold(test_csum_add(0, ip, IPV4_HLEN)) != 0xffff)
			return false;
		iplen = get16(ip + 2);
		if (l3 + iplen > len || iplen < IPV4_HLEN + TCP_HLEN)
			return false;
		l4len = iplen - IPV4_HLEN;
		*l4 = l3 + IPV4_HLEN;
		sum = test_csum_add(0, ip + 12, 8) + 6 + (uint32_t)l4len;
	} else {
		if (len < l3 + IPV6_HLEN)
			return false;
		l4len = get16(ip + 4);
		if (l3 + IPV6_HLEN + l4len > len || l4len < TCP_HLEN)
			return false;
		*l4 = l3 + IPV6_HLEN;
		sum = test_csum_add(0, ip + 8, 32) + 6 + (uint32_t)l4len;
	}
	*plen = l4len - (size_t)(f[*l4 + 12] >> 4) * 4u;
	return test_csum_fold(test_csum_add(sum, f + *l4, l4len)) == 0xffff;
}

/* The frame is ours: right ethertype (behind the right VLAN tag when tagged). */
static bool frame_is_ours(const struct txh *h, const uint8_t *f, size_t len)
{
	uint16_t et = h->o.ipv6 ? 0x86dd : 0x0800;

	if (len < l2_len(h))
		return false;
	if (!h->o.vlan)
		return get16(f + 12) == et;
	return get16(f + 12) == 0x8100 && (get16(f + 14) & 0x0fff) == h->o.vlan &&
	       get16(f + 16) == et;
}

static void wire_rx(void *ctx, const void *frame, size_t len)
{
	struct txh *h = ctx;
	const uint8_t *f = frame;
	size_t l4 = 0, plen = 0;
	uint32_t seq, off;
	int32_t rel;
	const uint8_t *pl;

	if (h->rx_drop_next) {
		h->rx_drop_next--;
		h->rx_dropped++;
		return;
	}
	h->rx_frames++;
	if (!frame_is_ours(h, f, len)) {
		h->rx_other++;
		return;
	}
	if (!csum_ok(f, len, l2_len(h), h->o.ipv6, &l4, &plen)) {
		h->rx_bad_csum++;
		return;
	}
	seq = get32(f + l4 + 4);
	pl = f + l4 + (size_t)(f[l4 + 12] >> 4) * 4u;
	if (h->rx_hook)
		h->rx_hook(h->rx_hook_ctx, seq, pl, plen);
	rel = (int32_t)(seq - h->o.isn);
	if (rel < 0 && rel + (int64_t)plen <= 0) {
		h->rx_before++; /* before the offload start: the handshake is not ours to place */
		return;
	}
	off = (uint32_t)rel;
	if ((size_t)off + plen > h->stream_cap) {
		h->rx_other++;
		return;
	}
	for (size_t i = 0; i < plen; i++) {
		if (h->rx_have[off + i] && h->rx[off + i] != pl[i])
			h->rx_mismatch++;
		h->rx[off + i] = pl[i];
		h->rx_have[off + i] = 1;
	}
	while (h->rx_contig < h->stream_cap && h->rx_have[h->rx_contig])
		h->rx_contig++;
}

long txh_client_read(struct txh *h, void *out, size_t cap)
{
	long got = 0;

	if (h->rx_read_err)
		return h->rx_read_err;
	if (h->rx_contig > h->rx_fed) {
		if (tls_peer_feed(h->pair, TLS_PEER_CLIENT, h->rx + h->rx_fed,
				  h->rx_contig - h->rx_fed))
			return -EIO;
		h->rx_fed = h->rx_contig;
	}
	while ((size_t)got < cap) {
		ssize_t n = tls_peer_read(h->pair, TLS_PEER_CLIENT, (uint8_t *)out + got,
					  cap - (size_t)got);

		if (n < 0) {
			if (!got)
				return n;
			h->rx_read_err = n;
			return got;
		}
		if (n == 0)
			break;
		got += n;
	}
	return got;
}

/* ---- sender ---- */

static void *arena_get(struct txh *h, size_t n)
{
	void *p;

	n = (n + 63) & ~(size_t)63;
	if (h->arena_used + n > h->o.arena_bytes)
		return NULL;
	p = h->arena + h->arena_used;
	h->arena_used += n;
	return p;
}

static size_t hdr_len(const struct txh *h)
{
	return l2_len(h) + (h->o.ipv6 ? IPV6_HLEN : IPV4_HLEN) + TCP_HLEN;
}

static void build_headers(const struct txh *h, uint8_t *f, uint32_t seq, size_t plen)
{
	static const uint8_t dst[6] = { 0x02, 0, 0, 0, 0, 0x02 }, src[6] = { 0x02, 0, 0, 0, 0, 1 };
	uint8_t *ip = f + l2_len(h), *tcp, *type = f + 12;

	memcpy(f, dst, 6);
	memcpy(f + 6, src, 6);
	if (h->o.vlan) {
		put16(f + 12, 0x8100);
		put16(f + 14, h->o.vlan & 0x0fff);
		type = f + 16;
	}
	if (!h->o.ipv6) {
		put16(type, 0x0800);
		ip[0] = 0x45;
		put16(ip + 2, (uint16_t)(IPV4_HLEN + TCP_HLEN + plen));
		put16(ip + 4, (uint16_t)seq);
		put16(ip + 6, 0x4000); /* DF */
		ip[8] = 64;
		ip[9] = 6;
		put32(ip + 12, 0xc6120001);
		put32(ip + 16, 0xc6120002);
		tcp = ip + IPV4_HLEN;
	} else {
		put16(type, 0x86dd);
		ip[0] = 0x60;
		put16(ip + 4, (uint16_t)(TCP_HLEN + plen));
		ip[6] = 6;
		ip[7] = 64;
		ip[8] = 0xfd;
		ip[23] = 1;
		ip[24] = 0xfd;
		ip[39] = 2;
		tcp = ip + IPV6_HLEN;
	}
	put16(tcp, 443);
	put16(tcp + 2, 40000);
	put32(tcp + 4, seq);
	put32(tcp + 8, 1);
	tcp[12] = 5 << 4;
	tcp[13] = 0x18; /* ACK | PSH */
	put16(tcp + 14, 65535);
}

int txh_frame(struct txh *h, size_t off, size_t len, uint16_t mss, struct mlx5tls_frame *f)
{
	size_t hl = hdr_len(h);
	uint8_t *mem;

	if (off + len > h->stream_len)
		return -EINVAL;
	mem = arena_get(h, hl + len);
	if (!mem)
		return -ENOMEM;
	build_headers(h, mem, h->o.isn + (uint32_t)off, len);
	memcpy(mem + hl, h->stream + off, len);
	*f = (struct mlx5tls_frame){ .data = mem, .len = (uint32_t)(hl + len), .mss = mss,
				     .mr = h->mr, .cookie = off };
	return 0;
}

int txh_frame_at(struct txh *h, uint32_t seq, const void *payload, size_t len, uint16_t mss,
		 struct mlx5tls_frame *f)
{
	size_t hl = hdr_len(h);
	uint8_t *mem = arena_get(h, hl + len);

	if (!mem)
		return -ENOMEM;
	build_headers(h, mem, seq, len);
	if (len)
		memcpy(mem + hl, payload, len);
	*f = (struct mlx5tls_frame){ .data = mem, .len = (uint32_t)(hl + len), .mss = mss,
				     .mr = h->mr, .cookie = seq - h->o.isn };
	return 0;
}

int txh_send(struct txh *h, size_t off, size_t len, uint16_t mss)
{
	struct mlx5tls_frame f;
	int ret = txh_frame(h, off, len, mss, &f);

	return ret ? ret : mlx5tls_tx_send(h->tx, &f, 0);
}

int txh_send_segments(struct txh *h, size_t off, size_t len, size_t seg)
{
	while (len) {
		size_t n = len < seg ? len : seg;
		int ret = txh_send(h, off, n, 0);

		if (ret)
			return ret;
		off += n;
		len -= n;
	}
	return 0;
}

int txh_drain(struct txh *h)
{
	struct mlx5tls_completion c[64];
	struct mlx5tls_qp_attr a;
	int total = 0;

	for (int rounds = 0; rounds < 100000; rounds++) {
		int n = mlx5tls_qp_poll(h->qp, c, 64, 1);

		if (n < 0)
			return n;
		total += n;
		if (mlx5tls_qp_query(h->qp, &a, sizeof(a)))
			return -EIO;
		if (!a.inflight && !n)
			return total;
	}
	return -ETIMEDOUT;
}

static int stream_grow(struct txh *h, size_t extra)
{
	size_t need = h->stream_len + extra;

	if (need > h->stream_cap) {
		fprintf(stderr, "txh: stream capacity %zu exceeded\n", h->stream_cap);
		return -ENOSPC;
	}
	return 0;
}

size_t txh_add_records(struct txh *h, const void *plaintext, size_t len, size_t rec_size)
{
	size_t start = h->stream_len;
	const uint8_t *p = plaintext;

	while (len) {
		size_t n = len < rec_size ? len : rec_size;
		size_t rs = tls_record_size(h->ktls_version, n);
		ssize_t w;

		if (stream_grow(h, rs))
			break;
		w = tls_record_layout(&h->ci.info, TLS_RT_APPLICATION_DATA, h->next_rec, p, n,
				      h->stream + h->stream_len, rs);
		if (w < 0)
			break;
		h->stream_len += (size_t)w;
		h->next_rec++;
		p += n;
		len -= n;
	}
	return start;
}

size_t txh_add_raw(struct txh *h, const void *bytes, size_t len)
{
	size_t start = h->stream_len;

	if (!stream_grow(h, len)) {
		memcpy(h->stream + h->stream_len, bytes, len);
		h->stream_len += len;
	}
	return start;
}

static int setup_device(struct txh *h)
{
	struct mlx5tls_model_wire_opts w = { .sz = sizeof(w) };
	struct mlx5tls_qp_opts q = { .sz = sizeof(q) };

	h->dev = mlx5tls_device_open(h->o.device, NULL);
	if (!h->dev)
		return -errno;
	w.rx = h->o.no_wire_rx ? NULL : wire_rx;
	w.rx_ctx = h;
	w.pcap_path = h->o.pcap_path;
	w.mtu = h->o.mtu;
	w.flags = MLX5TLS_WIRE_F_PCAP_ZERO_TIME;
	if (mlx5tls_model_wire(h->dev, &w) && errno != EOPNOTSUPP)
		return -errno;
	h->pd = mlx5tls_pd_alloc(h->dev);
	h->td = h->pd ? mlx5tls_td_alloc(h->dev) : NULL;
	if (!h->td)
		return -errno;
	q.log_sq_wqebbs = h->o.log_sq_wqebbs;
	q.mtu = h->o.mtu;
	q.bounce_bytes = h->o.bounce_bytes;
	q.flags = h->o.qp_async ? 0 : MLX5TLS_QP_F_MODEL_SYNC;
	h->qp = mlx5tls_qp_create(h->pd, h->td, &q);
	if (!h->qp)
		return -errno;
	h->mr = mlx5tls_mr_reg(h->pd, h->arena, h->o.arena_bytes);
	return h->mr ? 0 : -errno;
}

int txh_init(struct txh *h, const struct txh_opts *o)
{
	struct mlx5tls_tx_opts t = { .sz = sizeof(t) };
	int ret;

	memset(h, 0, sizeof(*h));
	h->o = *o;
	if (!h->o.device)
		h->o.device = "sim";
	if (!h->o.arena_bytes)
		h->o.arena_bytes = ARENA_DEFAULT;
	if (!h->o.mtu)
		h->o.mtu = 1500;
	h->stream_cap = h->o.arena_bytes / 2;
	h->arena = aligned_alloc(4096, h->o.arena_bytes);
	h->stream = malloc(h->stream_cap);
	h->rx = calloc(1, h->stream_cap);
	h->rx_have = calloc(1, h->stream_cap);
	if (!h->arena || !h->stream || !h->rx || !h->rx_have)
		return -ENOMEM;
	h->pair = tls_peer_pair_create(o->tls_version, o->key_bits, NULL);
	if (!h->pair)
		return -errno;
	/* the explicit nonce = record number (TLS 1.2): any value works for the peer */
	ret = tls_peer_export_tx(h->pair, TLS_PEER_SERVER, TLS_PEER_EXPORT_SEQ_NONCE, &h->ci);
	if (ret)
		return ret;
	h->ktls_version = h->ci.info.version;
	{
		const uint8_t *rs = h->ci.info.cipher_type == TLS_CIPHER_AES_GCM_256
					    ? h->ci.gcm256.rec_seq
					    : h->ci.gcm128.rec_seq;

		for (int i = 0; i < 8; i++)
			h->next_rec = h->next_rec << 8 | rs[i];
		h->first_rec = h->next_rec;
	}
	ret = setup_device(h);
	if (ret) {
		fprintf(stderr, "txh: device setup failed: %s\n", strerror(-ret));
		return ret;
	}
	t.flags = o->tx_flags;
	t.demote_retx_permille = o->demote_permille;
	t.demote_min_bytes = o->demote_min_bytes;
	h->tx = mlx5tls_tx_create(h->qp, &h->ci.info, tls_peer_crypto_info_size(&h->ci.info),
				  o->isn, &t);
	return h->tx ? 0 : -errno;
}

void txh_fini(struct txh *h)
{
	if (h->tx)
		mlx5tls_tx_destroy(h->tx);
	if (h->mr)
		mlx5tls_mr_dereg(h->mr);
	if (h->qp)
		mlx5tls_qp_destroy(h->qp);
	if (h->td)
		mlx5tls_td_dealloc(h->td);
	if (h->pd)
		mlx5tls_pd_dealloc(h->pd);
	if (h->dev)
		mlx5tls_device_close(h->dev);
	tls_peer_crypto_info_wipe(&h->ci);
	tls_peer_pair_destroy(h->pair);
	free(h->arena);
	free(h->stream);
	free(h->rx);
	free(h->rx_have);
	memset(h, 0, sizeof(*h));
}

/* ---- checks ---- */

uint8_t *txh_pattern(size_t len, uint8_t seed)
{
	uint8_t *p = malloc(len ? len : 1);

	for (size_t i = 0; p && i < len; i++)
		p[i] = (uint8_t)(seed + i * 7 + (i >> 8));
	return p;
}

int txh_check_plaintext(struct txh *h, const uint8_t *pt, size_t len)
{
	uint8_t *got = malloc(len + 1);
	int ret = 0;
	long n;

	if (!got)
		return -1;
	n = txh_client_read(h, got, len + 1);
	if (n != (long)len) {
		fprintf(stderr, "txh: client read %ld of %zu bytes (%zu of %zu stream bytes "
			"arrived): %s\n", n, len, h->rx_contig, h->stream_len,
			tls_peer_last_error(h->pair, TLS_PEER_CLIENT));
		ret = -1;
	} else if (memcmp(got, pt, len)) {
		fprintf(stderr, "txh: client read different plaintext\n");
		ret = -1;
	}
	if (h->rx_bad_csum || h->rx_mismatch) {
		fprintf(stderr, "txh: %llu frames with bad checksums, %llu retransmitted bytes "
			"differ\n", (unsigned long long)h->rx_bad_csum,
			(unsigned long long)h->rx_mismatch);
		ret = -1;
	}
	free(got);
	return ret;
}

uint8_t *txh_reference_wire(struct txh *h)
{
	uint8_t *ref = malloc(h->stream_len ? h->stream_len : 1);
	uint64_t num = h->first_rec;
	size_t off = 0;

	if (!ref)
		return NULL;
	memcpy(ref, h->stream, h->stream_len);
	while (off < h->stream_len) {
		size_t rl;

		if (h->stream_len - off < TLS_RECORD_HDR_LEN)
			goto bad;
		rl = TLS_RECORD_HDR_LEN + get16(ref + off + 3);
		if (rl > h->stream_len - off ||
		    tls_record_encrypt_sw(&h->ci.info, num++, ref + off, rl))
			goto bad;
		off += rl;
	}
	return ref;
bad:
	free(ref);
	return NULL;
}
