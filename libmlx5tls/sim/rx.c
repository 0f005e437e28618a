/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The RX entry point (rq.h): classify a frame from the wire - L2..L4 (pkt.c), the IPv4 header
 * checksum and the TCP/UDP checksum - then steer it (steer.c) and deliver it (rq.c).
 *
 * Checksums (fact sheet 14b "Device validates L4 checksum"; the CQE flags of rdma-core's
 * MLX5_CQE_L3_OK / L4_OK, which the kernel reads as CHECKSUM_UNNECESSARY when both are set):
 *  - L3_OK: an IPv4 header whose RFC 1071 sum verifies, or a whole IPv6 header (no checksum);
 *  - L4_OK: a TCP or UDP segment whose checksum, with the pseudo-header (RFC 793, RFC 768,
 *    RFC 8200 8.1), verifies; an IPv4 UDP checksum of 0 means "not computed" (RFC 768) and is
 *    OK; IPv6 UDP requires one. Fragments and other protocols: not OK (not checked).
 * The verdicts describe the frame as received; TLS decryption afterwards changes the payload,
 * not the flags (the kernel trusts L4_OK for decrypted packets as well).
 */
#include <errno.h>

#include "sim/sq_internal.h"

static bool ipv4_hdr_ok(const uint8_t *f, const struct sim_pkt *p)
{
	const uint8_t *ip = f + p->l3_off;

	return sim_csum_fold(sim_csum_add(0, ip, (ip[0] & 0xfu) * 4u)) == 0;
}

static bool l4_csum_ok(const uint8_t *f, const struct sim_pkt *p)
{
	const uint8_t *ip = f + p->l3_off, *l4 = f + p->l4_off;
	uint32_t l4len = p->l3_end - p->l4_off;
	uint32_t sum;

	if (p->l4_proto == 17 && p->ipv4 && !l4[6] && !l4[7])
		return true;
	if (p->ipv4)
		sum = sim_csum_add(0, ip + 12, 8); /* source, destination */
	else
		sum = sim_csum_add(0, ip + 8, 32);
	sum += p->l4_proto;
	sum += l4len & 0xffff;
	sum += l4len >> 16;
	return sim_csum_fold(sim_csum_add(sum, l4, l4len)) == 0;
}

int sim_dev_rx(struct sim_dev *dev, const uint8_t *frame, size_t len)
{
	struct sim_rx_frame rx = { .frame = frame, .len = len };
	struct sim_rq *rq;

	if (!dev || !frame)
		return -EINVAL;
	if (len < 14 || len > SIM_RX_FRAME_MAX) {
		sim_steer_count_bad_len(dev, len, len > SIM_RX_FRAME_MAX);
		return 0;
	}
	/* -1: an IP header or length the frame cannot hold; still an Ethernet frame (L2 OK) */
	rx.parsed = sim_pkt_parse(frame, len, &rx.pkt, false) == 0;
	if (rx.parsed) {
		if (rx.pkt.ipv4)
			rx.l3_ok = ipv4_hdr_ok(frame, &rx.pkt);
		else if (rx.pkt.ipv6)
			rx.l3_ok = true;
		if (rx.pkt.l4_proto == 6 || rx.pkt.l4_proto == 17)
			rx.l4_ok = l4_csum_ok(frame, &rx.pkt);
	} else {
		/* keep only what L2 says: an unparsed frame has no L3/L4 for steering or the CQE */
		rx.pkt.ipv4 = rx.pkt.ipv6 = false;
		rx.pkt.l4_proto = 0;
	}
	rq = sim_steer_resolve(dev, &rx);
	if (!rq)
		return 0;
	sim_rq_deliver_locked(rq, &rx);
	pthread_mutex_unlock(&rq->lock);
	return 0;
}

int sim_dev_rx_port_fn(void *dev, const uint8_t *frame, size_t len)
{
	return sim_dev_rx(dev, frame, len);
}
