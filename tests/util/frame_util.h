/* SPDX-License-Identifier: BSD-3-Clause */
/* Hand-built TCP frames for tests that need no OpenSSL handshake (threads, allocation failures,
 * fuzzing seeds): Ethernet/IPv4/TCP between 198.18.0.1:40000 (us) and 198.18.0.2:443 (the peer),
 * checksums valid. */
#ifndef MLX5TLS_TEST_FRAME_UTIL_H
#define MLX5TLS_TEST_FRAME_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TEST_FRAME_HDR 54u /* Ethernet + IPv4 + TCP without options */

/* A frame carrying payload at TCP sequence seq into fr (TEST_FRAME_HDR + len bytes), from us to
 * the peer (to_peer) or back. Returns its length. */
size_t test_tcp_frame(uint8_t *fr, bool to_peer, uint32_t seq, const uint8_t *payload,
		      uint32_t len);
/* The same with TCP options (ts: NOP, NOP, timestamps; the TCP header is 32 bytes, doff 8). */
size_t test_tcp_frame_opts(uint8_t *fr, bool to_peer, uint32_t seq, const uint8_t *payload,
			   uint32_t len, bool ts);

#endif
