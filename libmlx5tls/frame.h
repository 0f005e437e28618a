/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Parsing of the frames an application hands to a queue: where L3, L4 and the payload start, so
 * a WQE can inline exactly L2..L4 (fact sheet 8.8: TLS data WQEs inline up to the TCP header) and
 * a TLS context can read the TCP sequence number and the record bytes.
 */
#ifndef MLX5TLS_FRAME_H
#define MLX5TLS_FRAME_H

#include <stdbool.h>
#include <stdint.h>

struct frame_info {
	uint16_t l3_off;      /* after Ethernet and up to two VLAN tags */
	uint16_t l4_off;      /* 0 when the frame has no TCP/UDP header the device can parse */
	uint16_t hdr_len;     /* L2..L4 (or L2 only when l4_off is 0) */
	bool ipv4;
	bool ipv6;
	bool tcp;
	bool udp;
	uint32_t tcp_seq;     /* host order */
	uint32_t payload_len; /* after hdr_len, up to the IP length (trailing padding excluded) */
};

/* 0, or -EINVAL for a frame that is shorter than its own headers say or shorter than 14 bytes.
 * `lso`: the IP length fields are a segmentation template and are not checked. */
int frame_parse(const uint8_t *f, uint32_t len, bool lso, struct frame_info *fi);

#endif
