/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The model's receive path: frames arrive at the device's port (mlx5tls_model_wire_rx), are
 * steered, decrypted inline by the TLS TIR's context and delivered to the receive queue; the
 * application side hands them to the RX context in TCP order. First byte: bit 0 TLS 1.3, bit 1
 * raw frames (else the valid stream), the rest the record size. Then:
 *   raw:   frames [BE16 len][len bytes] as they are (any Ethernet/IP/TCP, any TLS);
 *   valid: segments [BE16 off][BE16 len][flags] of the encrypted stream, cut anywhere, sent in
 *          any order, repeated (flags bit 0: corrupt one byte of it in flight, TCP checksum
 *          fixed - a record that must fail).
 * Oracles: the device never delivers a frame it was not given (count); the RX context delivers
 * only the stream's plaintext from its start; with the valid stream and no corruption, once
 * every byte arrived in some order, all of it is delivered: every record authenticates.
 */
#include "rx_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct held {
	uint32_t off, len;
	uint32_t status; /* the status word (mlx5tls_rx_pkt_tls) */
	uint8_t bytes[2048];
};

static struct held held[64];
static unsigned int n_held;
static uint32_t next_off;
static int last_err;
static uint8_t arrived[12000]; /* stream bytes the device delivered */

static void deliver(struct rxc *c)
{
	bool progress = true;

	while (progress && !last_err) {
		progress = false;
		for (unsigned int i = 0; i < n_held; i++) {
			struct held *h = &held[i];

			if (h->off > next_off)
				continue;
			last_err = mlx5tls_rx_input(c->rx, RX_ISN + h->off, h->bytes, h->len,
						    h->status, rxc_collect, c);
			if (h->off + h->len > next_off)
				next_off = h->off + h->len;
			held[i] = held[--n_held];
			progress = true;
			break;
		}
	}
}

/* Whatever the device delivers: to the RX context, payload kept for in-order delivery. */
static void take(struct rxc *c, unsigned int *got)
{
	struct mlx5tls_rx_pkt p[8];
	int n = mlx5tls_rq_poll(c->rq, p, 8, 0);

	for (int i = 0; i < n; i++) {
		const uint8_t *f = p[i].data;

		(*got)++;
		if (p[i].len >= TEST_FRAME_HDR && f[12] == 8 && f[13] == 0 && f[14] == 0x45 &&
		    f[23] == 6 && p[i].l4_ok && n_held < 64) {
			uint32_t seq = (uint32_t)f[38] << 24 | (uint32_t)f[39] << 16 | (uint32_t)f[40] << 8 | f[41];
			uint32_t len = p[i].len - TEST_FRAME_HDR;

			if (len <= sizeof(held[0].bytes) && seq - RX_ISN < 0x10000u) {
				(void)mlx5tls_rx_packet(c->rx, seq, len, mlx5tls_rx_pkt_tls(&p[i]));
				held[n_held].off = seq - RX_ISN;
				held[n_held].len = len;
				held[n_held].status = mlx5tls_rx_pkt_tls(&p[i]);
				memcpy(held[n_held].bytes, f + TEST_FRAME_HDR, len);
				n_held++;
				if (seq - RX_ISN + len <= sizeof(arrived))
					memset(arrived + (seq - RX_ISN), 1, len);
			}
		}
		(void)mlx5tls_rq_release(c->rq, &p[i]);
	}
	(void)mlx5tls_qp_poll(c->qp, NULL, 0, 0);
	deliver(c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct rxc c;
	static uint8_t fr[2200];
	unsigned int sent = 0, got = 0;
	bool raw, corrupt = false;

	if (!size)
		return 0;
	raw = data[0] & 2;
	rxc_init(&c, data[0] & 1, 200 + (size_t)(data[0] >> 2) * 137 % 4000);
	data++;
	size--;
	n_held = 0;
	next_off = 0;
	last_err = 0;
	memset(arrived, 0, sizeof(arrived));
	while (size >= (raw ? 2u : 5u) && sent < 200) {
		size_t n;

		if (raw) {
			n = (size_t)data[0] << 8 | data[1];
			data += 2;
			size -= 2;
			if (n > size)
				n = size;
			if (n > sizeof(fr))
				n = sizeof(fr);
			memcpy(fr, data, n);
			data += n;
			size -= n;
		} else {
			uint32_t off = (uint32_t)data[0] << 8 | data[1];
			uint32_t len = ((uint32_t)data[2] << 8 | data[3]) % 1449;
			uint8_t flags = data[4];

			data += 5;
			size -= 5;
			if (off >= c.stream_len)
				off %= (uint32_t)c.stream_len;
			if (len > c.stream_len - off)
				len = (uint32_t)(c.stream_len - off);
			if (flags & 1 && len) {
				/* corrupted in flight (the TCP checksum made right again) */
				uint8_t tmp[1448];

				memcpy(tmp, c.stream + off, len);
				tmp[flags % len] ^= 0x40;
				n = test_tcp_frame(fr, false, RX_ISN + off, tmp, len);
				corrupt = true;
			} else {
				n = test_tcp_frame(fr, false, RX_ISN + off, c.stream + off, len);
			}
		}
		if (mlx5tls_model_wire_rx(c.dev, fr, n) == 0)
			sent++;
		take(&c, &got);
	}
	take(&c, &got);
	if (got > sent)
		abort(); /* the device delivered a frame it was not given */
	if (!rxc_prefix_ok(&c))
		abort();
	if (!raw && !corrupt && !memchr(arrived, 0, c.stream_len) && !last_err && !n_held &&
	    c.got_len != c.pt_len)
		abort(); /* every byte arrived, yet not every record was delivered */
	if (getenv("FUZZ_DEBUG"))
		fprintf(stderr, "delivered %zu of %zu plaintext bytes\n", c.got_len, c.pt_len);
	rxc_fini(&c);
	return 0;
}
