/* SPDX-License-Identifier: BSD-3-Clause */
#include "frame_util.h"

#include <string.h>

#include "be_bytes.h"
#include "inet_csum.h"

size_t test_tcp_frame(uint8_t *fr, bool to_peer, uint32_t seq, const uint8_t *payload,
		      uint32_t len)
{
	return test_tcp_frame_opts(fr, to_peer, seq, payload, len, false);
}

size_t test_tcp_frame_opts(uint8_t *fr, bool to_peer, uint32_t seq, const uint8_t *payload,
			   uint32_t len, bool ts)
{
	uint8_t *ip = fr + 14, *tcp = ip + 20;
	uint32_t thl = ts ? 32 : 20;

	memset(fr, 0, 14 + 20 + thl);
	fr[0] = 2, fr[5] = 1, fr[6] = 2, fr[11] = 2;
	put16(fr + 12, 0x0800);
	ip[0] = 0x45;
	put16(ip + 2, 20 + thl + len);
	put16(ip + 6, 0x4000);
	ip[8] = 64;
	ip[9] = 6;
	put32(ip + 12, to_peer ? 0xc6120001 : 0xc6120002);
	put32(ip + 16, to_peer ? 0xc6120002 : 0xc6120001);
	put16(ip + 10, test_csum_field(test_csum_add(0, ip, 20)));
	put16(tcp, to_peer ? 40000 : 443);
	put16(tcp + 2, to_peer ? 443 : 40000);
	put32(tcp + 4, seq);
	put32(tcp + 8, 1);
	tcp[12] = (uint8_t)(thl / 4 << 4);
	tcp[13] = 0x18;
	put16(tcp + 14, 65535);
	if (ts) {
		/* NOP, NOP, timestamps (kind 8, length 10): what Linux sends on every segment */
		tcp[20] = 1, tcp[21] = 1, tcp[22] = 8, tcp[23] = 10;
		put32(tcp + 24, 0x01020304u + seq);
		put32(tcp + 28, 0x0a0b0c0du);
	}
	if (len)
		memmove(tcp + thl, payload, len);
	put16(tcp + 16, test_csum_field(test_csum_add(test_csum_add(0, ip + 12, 8) + 6 + thl + len,
						      tcp, thl + len)));
	return 14 + 20 + thl + len;
}
