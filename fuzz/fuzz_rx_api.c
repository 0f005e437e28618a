/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The RX API (mlx5tls_rx_packet, mlx5tls_rx_input) fed arbitrary packets, without the device:
 * the input is a first byte (bit 0: TLS 1.3; bit 1: pieces of the valid stream, else arbitrary
 * bytes), then pieces [BE16 off][BE16 len][status], each handed over as a packet at TCP
 * sequence RX_ISN + off (arbitrary mode: with the next len input bytes as payload).
 * The statuses are bare (no flow tag): a status word without its TIR object's tag is never
 * taken as evidence (mlx5tls_rx_pkt_tls), so even pieces that claim DECRYPTED cannot make the
 * library deliver what it did not verify.
 * Oracles: every plaintext delivered is the stream's, from its start; arbitrary bytes deliver
 * nothing, whatever status they claim, as no one can forge a record without the key; pieces of
 * the valid stream in order, not marked decrypted, deliver all of it.
 */
#include "rx_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct rxc c;
	bool valid, in_order = true;
	uint32_t next = 0;

	if (!size)
		return 0;
	valid = data[0] & 2;
	rxc_init(&c, data[0] & 1, 1000 + (data[0] >> 2) * 97);
	data++;
	size--;
	while (size >= 5) {
		uint32_t off = (uint32_t)data[0] << 8 | data[1], len = (uint32_t)data[2] << 8 | data[3];
		unsigned int st = data[4] % 5; /* 4: not a status the device gives */
		const uint8_t *payload;

		data += 5;
		size -= 5;
		if (valid) {
			if (off > c.stream_len)
				off = (uint32_t)c.stream_len;
			if (len > c.stream_len - off)
				len = (uint32_t)(c.stream_len - off);
			payload = c.stream + off;
		} else {
			if (len > size)
				len = (uint32_t)size;
			payload = data;
			data += len;
			size -= len;
		}
		if (off != next || st >= MLX5TLS_RX_TLS_ERROR || st == MLX5TLS_RX_TLS_DECRYPTED)
			in_order = false; /* a gap, an overlap, a device-reported failure */
		(void)mlx5tls_rx_packet(c.rx, RX_ISN + off, len, st);
		int err = mlx5tls_rx_input(c.rx, RX_ISN + off, payload, len, st, rxc_collect, &c);
		if (err)
			in_order = false;
		else if (off <= next && off + len > next)
			next = off + len;
	}
	if (!rxc_prefix_ok(&c))
		abort();
	if (!valid && c.got_len)
		abort(); /* a record forged without the key */
	if (valid && in_order && next == c.stream_len && c.got_len != c.pt_len)
		abort(); /* the whole valid stream went in, not all of it came out */
	if (getenv("FUZZ_DEBUG"))
		fprintf(stderr, "delivered %zu of %zu plaintext bytes\n", c.got_len, c.pt_len);
	rxc_fini(&c);
	return 0;
}
