/* SPDX-License-Identifier: BSD-3-Clause */
/* Frame header parsing (frame.h). Ethernet II, 802.1Q/802.1ad tags, IPv4 without fragments,
 * IPv6 without extension headers, TCP and UDP: what the device's parser offloads checksums and
 * TLS for. Anything else is an L2 frame. */
#include <errno.h>

#include "frame.h"

#define ETH_HLEN 14u
#define VLAN_HLEN 4u
#define ETHERTYPE_IPV4 0x0800
#define ETHERTYPE_IPV6 0x86dd
#define ETHERTYPE_VLAN 0x8100
#define ETHERTYPE_QINQ 0x88a8
#define IPPROTO_TCP_NUM 6
#define IPPROTO_UDP_NUM 17
#define IPV6_HLEN 40u
#define UDP_HLEN 8u

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* L3 header: sets l4_off/proto and the end of the IP packet; 0 = no L4 the device parses. */
static int parse_l3(const uint8_t *f, uint32_t len, bool lso, struct frame_info *fi,
		    uint8_t *proto, uint32_t *ip_end)
{
	const uint8_t *ip = f + fi->l3_off;
	uint32_t room = len - fi->l3_off;

	if (fi->ipv4) {
		uint32_t ihl;

		if (room < 20 || (ip[0] >> 4) != 4)
			return -EINVAL;
		ihl = (ip[0] & 0xfu) * 4u;
		if (ihl < 20 || ihl > room)
			return -EINVAL;
		*ip_end = fi->l3_off + (uint32_t)be16(ip + 2);
		if (!lso && (be16(ip + 2) < ihl || *ip_end > len))
			return -EINVAL;
		/* a fragment (MF or offset) carries no L4 header the device may touch */
		if (be16(ip + 6) & 0x3fff)
			return 0;
		*proto = ip[9];
		fi->l4_off = (uint16_t)(fi->l3_off + ihl);
	} else {
		if (room < IPV6_HLEN || (ip[0] >> 4) != 6)
			return -EINVAL;
		*ip_end = fi->l3_off + IPV6_HLEN + be16(ip + 4);
		if (!lso && *ip_end > len)
			return -EINVAL;
		*proto = ip[6]; /* extension headers are not parsed: then no L4 */
		fi->l4_off = (uint16_t)(fi->l3_off + IPV6_HLEN);
	}
	return 0;
}

int frame_parse(const uint8_t *f, uint32_t len, bool lso, struct frame_info *fi)
{
	uint32_t off = ETH_HLEN, ip_end = len;
	uint16_t type;
	uint8_t proto = 0;
	int ret;

	*fi = (struct frame_info){ 0 };
	if (!f || len < ETH_HLEN)
		return -EINVAL;
	type = be16(f + 12);
	for (int tags = 0; tags < 2 && (type == ETHERTYPE_VLAN || type == ETHERTYPE_QINQ); tags++) {
		if (len < off + VLAN_HLEN)
			return -EINVAL;
		type = be16(f + off + 2);
		off += VLAN_HLEN;
	}
	fi->l3_off = (uint16_t)off;
	fi->hdr_len = (uint16_t)off;
	fi->ipv4 = type == ETHERTYPE_IPV4;
	fi->ipv6 = type == ETHERTYPE_IPV6;
	if (!fi->ipv4 && !fi->ipv6)
		goto l2_only;
	ret = parse_l3(f, len, lso, fi, &proto, &ip_end);
	if (ret)
		return ret;
	if (proto == IPPROTO_TCP_NUM) {
		uint32_t doff;

		if (len < fi->l4_off + 20u)
			return -EINVAL;
		doff = (f[fi->l4_off + 12] >> 4) * 4u;
		if (doff < 20 || len < fi->l4_off + doff)
			return -EINVAL;
		fi->tcp = true;
		fi->tcp_seq = be32(f + fi->l4_off + 4);
		fi->hdr_len = (uint16_t)(fi->l4_off + doff);
	} else if (proto == IPPROTO_UDP_NUM) {
		if (len < fi->l4_off + UDP_HLEN)
			return -EINVAL;
		fi->udp = true;
		fi->hdr_len = (uint16_t)(fi->l4_off + UDP_HLEN);
	} else {
		fi->l4_off = 0;
		fi->hdr_len = fi->l3_off;
	}
	if (lso || ip_end > len)
		ip_end = len;
	if (ip_end < fi->hdr_len)
		return -EINVAL;
	fi->payload_len = ip_end - fi->hdr_len;
	return 0;

l2_only:
	fi->payload_len = len - off;
	return 0;
}
