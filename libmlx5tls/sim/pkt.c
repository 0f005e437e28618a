/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What the send engine needs to know about a frame to offload it: where L3, L4 and the payload
 * are (Ethernet II with up to two 802.1Q/802.1ad tags, IPv4 with options or IPv6 without
 * extension headers, TCP or UDP), and the Internet checksums (RFC 1071 sum: csum.c) for the
 * offloads (fact sheet 8.1 cs_flags: L3_CSUM 0x40 = IPv4 header checksum, L4_CSUM 0x80 = TCP/UDP
 * checksum including the pseudo-header, RFC 793 / RFC 768 for IPv4, RFC 8200 section 8.1 for
 * IPv6).
 *
 * Model choice: the device computes the checksums from scratch. It ignores whatever the driver
 * left in the checksum fields (Linux puts the pseudo-header sum there for CHECKSUM_PARTIAL; mlx5
 * advertises the protocol-aware NETIF_F_IP_CSUM/IPV6_CSUM, i.e. hardware that parses the headers
 * and computes the whole sum itself).
 */
#include <string.h>

#include "sim/sq_internal.h"

#define ETH_HLEN 14u
#define ETHERTYPE_IPV4 0x0800u
#define ETHERTYPE_IPV6 0x86ddu
#define ETHERTYPE_VLAN 0x8100u
#define ETHERTYPE_QINQ 0x88a8u
#define IPPROTO_TCP_ 6u
#define IPPROTO_UDP_ 17u

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

int sim_pkt_parse(const uint8_t *f, size_t len, struct sim_pkt *pkt, bool template)
{
	size_t off = 12;
	uint16_t et;

	memset(pkt, 0, sizeof(*pkt));
	if (len < ETH_HLEN)
		return -1;
	et = rd16(f + off);
	for (int tags = 0; (et == ETHERTYPE_VLAN || et == ETHERTYPE_QINQ) && tags < 2; tags++) {
		off += 4;
		if (len < off + 2)
			return -1;
		et = rd16(f + off);
	}
	off += 2;
	pkt->ethertype = et;
	pkt->l3_off = (uint16_t)off;
	if (et == ETHERTYPE_IPV4) {
		const uint8_t *ip = f + off;
		uint32_t ihl, tot;

		if (len < off + 20 || (ip[0] >> 4) != 4)
			return -1;
		ihl = (ip[0] & 0xfu) * 4u;
		tot = template ? (uint32_t)(len - off) : rd16(ip + 2);
		if (ihl < 20 || tot < ihl || len < off + tot)
			return -1;
		pkt->ipv4 = true;
		pkt->l3_end = (uint32_t)off + tot;
		pkt->ipv4_frag = (rd16(ip + 6) & 0x3fffu) != 0; /* MF or a fragment offset */
		pkt->l4_off = (uint16_t)(off + ihl);
		if (pkt->ipv4_frag)
			return 0;
		pkt->l4_proto = ip[9];
	} else if (et == ETHERTYPE_IPV6) {
		const uint8_t *ip = f + off;

		uint32_t plen;

		if (len < off + 40 || (ip[0] >> 4) != 6)
			return -1;
		plen = template ? (uint32_t)(len - off - 40) : rd16(ip + 4);
		if (len < off + 40 + plen)
			return -1;
		pkt->ipv6 = true;
		pkt->l3_end = (uint32_t)(off + 40 + plen);
		pkt->l4_off = (uint16_t)(off + 40);
		pkt->l4_proto = ip[6]; /* extension headers are not walked: anything else = no L4 */
	} else {
		return 0;
	}
	if (pkt->l4_proto == IPPROTO_TCP_) {
		uint32_t doff;

		if (pkt->l3_end < (uint32_t)pkt->l4_off + 20)
			goto no_l4;
		doff = (f[pkt->l4_off + 12] >> 4) * 4u;
		if (doff < 20 || pkt->l3_end < (uint32_t)pkt->l4_off + doff)
			goto no_l4;
		pkt->pay_off = (uint16_t)(pkt->l4_off + doff);
	} else if (pkt->l4_proto == IPPROTO_UDP_) {
		if (pkt->l3_end < (uint32_t)pkt->l4_off + 8)
			goto no_l4;
		pkt->pay_off = (uint16_t)(pkt->l4_off + 8);
	} else {
		goto no_l4;
	}
	return 0;
no_l4:
	pkt->l4_proto = 0;
	return 0;
}

void sim_pkt_csum(uint8_t *f, const struct sim_pkt *pkt, uint8_t cs_flags)
{
	if ((cs_flags & 0x40) && pkt->ipv4) {
		uint8_t *ip = f + pkt->l3_off;
		uint32_t ihl = (ip[0] & 0xfu) * 4u;

		wr16(ip + 10, 0);
		wr16(ip + 10, sim_csum_fold(sim_csum_add(0, ip, ihl)));
	}
	if ((cs_flags & 0x80) && pkt->l4_proto) {
		const uint8_t *ip = f + pkt->l3_off;
		uint8_t *l4 = f + pkt->l4_off;
		uint32_t l4len = pkt->l3_end - pkt->l4_off;
		uint8_t *cks = l4 + (pkt->l4_proto == IPPROTO_TCP_ ? 16 : 6);
		uint32_t sum = 0;
		uint16_t c;

		if (pkt->ipv4)
			sum = sim_csum_add(sum, ip + 12, 8); /* source, destination */
		else
			sum = sim_csum_add(sum, ip + 8, 32);
		sum += pkt->l4_proto;
		sum += l4len & 0xffff;
		sum += l4len >> 16;
		wr16(cks, 0);
		c = sim_csum_fold(sim_csum_add(sum, l4, l4len));
		/* RFC 768: a computed UDP checksum of 0 is sent as all ones */
		if (pkt->l4_proto == IPPROTO_UDP_ && c == 0)
			c = 0xffff;
		wr16(cks, c);
	}
}

/* A partial sum folded to 16 bits (not complemented): small enough to add words to. */
static uint32_t sum16(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return sum;
}

/*
 * LSO (sq_send.c): the segments of a WQE carry the template's headers with only these fields
 * changed (fact sheet 8.1; Linux TSO semantics): IPv4 total length and identification, IPv6
 * payload length, TCP sequence number and flags, and the two checksums. The sum is commutative
 * (RFC 1071 section 2 (A)), so everything else - with the pseudo-header's addresses and protocol
 * - is summed once per WQE here, with those fields and the checksums left out.
 */
void sim_lso_sums_init(struct sim_lso_sums *s, const uint8_t *hdr, const struct sim_pkt *tpl)
{
	const uint8_t *ip = hdr + tpl->l3_off, *tcp = hdr + tpl->l4_off;
	uint32_t tcp_len = (uint32_t)(tpl->pay_off - tpl->l4_off), sum;

	s->ip = 0;
	if (tpl->ipv4) {
		uint32_t ihl = (ip[0] & 0xfu) * 4u;

		/* version..tos, then flags/fragment..protocol, then addresses and options */
		s->ip = sum16(sim_csum_add(sim_csum_add(sim_csum_add(0, ip, 2), ip + 6, 4), ip + 12,
					   ihl - 12));
		sum = sim_csum_add(0, ip + 12, 8);
	} else {
		sum = sim_csum_add(0, ip + 8, 32);
	}
	sum += IPPROTO_TCP_;
	/* ports, acknowledgement number, data offset (the flags byte is the segment's), window,
	 * then urgent pointer and options */
	sum = sim_csum_add(sum, tcp, 4);
	sum = sim_csum_add(sum, tcp + 8, 4);
	sum += (uint32_t)tcp[12] << 8;
	sum = sim_csum_add(sum, tcp + 14, 2);
	sum = sim_csum_add(sum, tcp + 18, tcp_len - 18);
	s->l4 = sum16(sum);
}

void sim_lso_csum(uint8_t *f, const struct sim_pkt *tpl, const struct sim_lso_sums *s,
		  uint32_t seg, uint32_t pay_sum, uint8_t cs_flags)
{
	uint8_t *ip = f + tpl->l3_off, *tcp = f + tpl->l4_off;

	if ((cs_flags & 0x40) && tpl->ipv4)
		/* total length and identification as this segment has them */
		wr16(ip + 10, sim_csum_fold(s->ip + rd16(ip + 2) + rd16(ip + 4)));
	if (cs_flags & 0x80) {
		uint32_t l4len = tpl->pay_off - tpl->l4_off + seg;
		/* six terms below 2^16 and pay_sum below 2^31 (sim_csum_add): no overflow */
		uint32_t sum = s->l4 + (l4len & 0xffff) + (l4len >> 16) + rd16(tcp + 4) +
			       rd16(tcp + 6) + tcp[13] + pay_sum;

		wr16(tcp + 16, sim_csum_fold(sum));
	}
}
