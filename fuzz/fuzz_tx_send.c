/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mlx5tls_tx_send on arbitrary frames. After a first byte (bit 0: software path, else device
 * path with software fallback; bit 1: TLS 1.3), the input is a sequence of frames, each
 * [kind][BE16 a][BE16 b][BE16 mss]:
 *   kind bit 0 clear: a well-formed frame carrying bytes [a, a + b % 4096) of a fixed stream of
 *                     TLS records (TCP sequence ISN + a): in order, retransmitted, overlapping,
 *                     beyond the end, anything;
 *   kind bit 0 set:   a raw frame, the next a % 2048 bytes of the input as they are (bit 1: placed
 *                     so that it ends outside the memory region).
 * Oracles: every frame the call accepted completes exactly once (its cookie); when every frame
 * was well-formed, a byte the model put on the wire at a TCP sequence has the same value every
 * time it is sent (retransmitted bytes identical).
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mlx5tls/mlx5tls.h"
#include "frame_util.h"
#include "test_util.h"
#include "tls_peer.h"

#define ISN 1000u
#define WIN (1u << 16)
#define MAX_FRAMES 64u

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t arena[1u << 18] __attribute__((aligned(4096)));
static uint8_t wire[WIN];   /* ciphertext seen, by sequence offset from ISN */
static uint8_t seen[WIN];
static bool mismatch;
static uint8_t stream[16384];
static size_t stream_len;

static void wire_rx(void *ctx, const void *frame, size_t len)
{
	const uint8_t *f = frame;
	size_t l3 = 14, hl, ihl, doff, plen;
	uint32_t seq;

	(void)ctx;
	if (len < 14 + 20 + 20 || f[12] != 0x08 || f[13] != 0x00)
		return;
	ihl = (size_t)(f[l3] & 0xf) * 4;
	if (f[l3 + 9] != 6 || len < l3 + ihl + 20)
		return;
	doff = (size_t)(f[l3 + ihl + 12] >> 4) * 4;
	hl = l3 + ihl + doff;
	if (len < hl)
		return;
	/* the IP total length: a short frame is padded to 60 bytes */
	plen = (size_t)f[l3 + 2] << 8 | f[l3 + 3];
	if (plen < ihl + doff || l3 + plen > len)
		return;
	plen -= ihl + doff;
	seq = (uint32_t)f[l3 + ihl + 4] << 24 | (uint32_t)f[l3 + ihl + 5] << 16 |
	      (uint32_t)f[l3 + ihl + 6] << 8 | f[l3 + ihl + 7];
	for (size_t i = 0; i < plen; i++) {
		uint32_t off = seq + (uint32_t)i - ISN;

		if (off >= WIN)
			continue;
		if (seen[off] && wire[off] != f[hl + i]) {
			if (!mismatch && getenv("FUZZ_DEBUG"))
				fprintf(stderr, "mismatch at offset %u (seq %u, frame of %zu payload "
					"bytes at %u): %02x then %02x\n", off, seq + (uint32_t)i, plen, seq,
					wire[off], f[hl + i]);
			mismatch = true;
		}
		seen[off] = 1;
		wire[off] = f[hl + i];
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mlx5tls_model_wire_opts w = { .sz = sizeof(w), .rx = wire_rx };
	struct mlx5tls_qp_opts qo = { .sz = sizeof(qo), .flags = MLX5TLS_QP_F_MODEL_SYNC };
	struct mlx5tls_tx_opts to = { .sz = sizeof(to) };
	struct tls12_crypto_info_aes_gcm_128 ci;
	struct mlx5tls_device *dev;
	struct mlx5tls_pd *pd;
	struct mlx5tls_td *td;
	struct mlx5tls_qp *qp;
	struct mlx5tls_mr *mr;
	struct mlx5tls_tx *tx;
	bool accepted[MAX_FRAMES] = { false }, done[MAX_FRAMES] = { false };
	unsigned int n = 0, n_ok = 0, n_done = 0;
	bool raw = false;
	size_t used = 0;


	if (!size)
		return 0;
	mlx5tls_set_print(NULL);
	memset(seen, 0, sizeof(seen));
	mismatch = false;
	to.flags = data[0] & 1 ? MLX5TLS_TX_F_SOFTWARE : MLX5TLS_TX_F_SW_FALLBACK;
	test_ci128(&ci, data[0] & 2 ? TLS_1_3_VERSION : TLS_1_2_VERSION, 0x21);
	data++;
	size--;
	dev = mlx5tls_device_open("sim", NULL);
	if (!dev || mlx5tls_model_wire(dev, &w))
		abort();
	pd = mlx5tls_pd_alloc(dev);
	td = mlx5tls_td_alloc(dev);
	qp = mlx5tls_qp_create(pd, td, &qo);
	mr = mlx5tls_mr_reg(pd, arena, sizeof(arena));
	tx = mlx5tls_tx_create(qp, &ci.info, sizeof(ci), ISN, &to);
	if (!tx)
		abort();
	{
		uint8_t pt[3000];

		stream_len = 0;
		memset(pt, 0x5c, sizeof(pt));
		for (unsigned int k = 0; k < 4; k++) {
			ssize_t r = tls_record_layout(&ci.info, 23, k, pt, sizeof(pt), stream + stream_len,
					      sizeof(stream) - stream_len);
			if (r < 0)
				abort();
			stream_len += (size_t)r;
		}
	}
	while (size >= 7 && n < MAX_FRAMES) {
		uint8_t kind = data[0];
		size_t a = (size_t)data[1] << 8 | data[2], b = (size_t)data[3] << 8 | data[4];
		struct mlx5tls_frame f = { .mr = mr, .cookie = n };
		size_t len;

		f.mss = (uint16_t)(data[5] << 8 | data[6]);
		data += 7;
		size -= 7;
		if (kind & 1) {
			raw = true;
			len = a % 2048;
			if (len > size)
				len = size;
			if (used + len + 64 > sizeof(arena))
				break;
			f.data = kind & 2 ? arena + sizeof(arena) - len / 2 - 1 : arena + used;
			memcpy(arena + used, data, len);
			data += len;
			size -= len;
			f.len = (uint32_t)len;
		} else {
			size_t off = a, pl = b % 4096;
			uint8_t payload[4096];

			for (size_t i = 0; i < pl; i++)
				payload[i] = off + i < stream_len ? stream[off + i] : 0;
			if (off + pl > stream_len)
				raw = true; /* past the stream: bytes of no record, no reference */
			len = TEST_FRAME_HDR + pl;
			if (used + len + 64 > sizeof(arena))
				break;
			f.data = arena + used;
			f.len = (uint32_t)test_tcp_frame(arena + used, true, ISN + (uint32_t)off,
							 payload, (uint32_t)pl);
		}
		used += (len + 63) & ~(size_t)63;
		if (getenv("FUZZ_DEBUG"))
			fprintf(stderr, "frame %u: kind %u off %zu len %u mss %u\n", n, kind & 3u,
				kind & 1 ? (size_t)0 : a, f.len, f.mss);
		if (mlx5tls_tx_send(tx, &f, 0) == 0) {
			accepted[n] = true;
			n_ok++;
		}
		n++;
	}
	for (int tries = 0; tries < 100 && n_done < n_ok; tries++) {
		struct mlx5tls_completion c[16];
		int got = mlx5tls_qp_poll(qp, c, 16, 0);

		if (got < 0)
			break;
		for (int i = 0; i < got; i++) {
			if (c[i].cookie >= n || !accepted[c[i].cookie] || done[c[i].cookie])
				abort(); /* a completion nobody asked for, or twice */
			done[c[i].cookie] = true;
			n_done++;
		}
	}
	if (n_done != n_ok)
		abort(); /* a completion lost */
	if (mismatch && !raw)
		abort(); /* a byte sent twice with different values */
	if (mlx5tls_tx_destroy(tx) || mlx5tls_mr_dereg(mr) || mlx5tls_qp_destroy(qp) ||
	    mlx5tls_td_dealloc(td) || mlx5tls_pd_dealloc(pd) || mlx5tls_device_close(dev))
		abort();
	return 0;
}
