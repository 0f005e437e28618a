/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * TLS RX crypto engine of the device model (interface and record formats: tls_rx.h): the packet
 * path. One record's AES-GCM is in tls_rx_rec.c; the object and its control (params, GET_PSV
 * image, counters, ops table) are in tls_rx_params.c; the shared state is in tls_rx_internal.h.
 *
 * Rules (DESIGN.md "Its behaviour is cited"; DOC = kernel Documentation/networking/
 * tls-offload.rst, read in full for this file; where the public record is silent the model takes
 * the reading the kernel's and NVIDIA's drivers rely on and says "model reading"):
 *
 *  R1 Static params. const_2 2, const_1 1, encryption_standard 1, tls_version 2 or 3 and every
 *     reserved field zero (fact sheet 6); the cipher is the DEK's key size. The first post only
 *     stores them (the kernel posts resync_tcp_sn 0 at add, 11.2 step 4); the tracker waits for
 *     START. Later posts: R10, R11. The TLS version cannot change once a START was accepted: the
 *     record parser depends on it and no driver does it (model reading: -EINVAL).
 *  R2 Progress params. Only what the kernel posts (fact sheet 7, 11.2 step 4): tracker START,
 *     auth NO_OFFLOAD, hw_resync_tcp_sn, reserved_at_44 and hw_offset_record_number zero; any
 *     next_record_tcp_sn. It says where the record numbered initial_record_number begins (DOC:
 *     start_offload_tcp_sn), possibly inside a segment (14b): the tracker is in sync with a record
 *     header at that sequence. A later START restarts there with the last static params' number.
 *  R3 Bad L4 checksum: DOC "A packet should also not be handled by the TLS offload if it contains
 *     incorrect checksums" - NOT_DECRYPTED, untouched, state unchanged: TCP drops the packet and
 *     the retransmission arrives at the sequence the tracker still expects.
 *  R4 In-order packet (at the expected sequence, in sync): every record payload byte in it is
 *     decrypted in place, every record whose tag ends in it is authenticated, and the packet is
 *     DECRYPTED when all of those verify (14b; the status is per packet, fact sheet 9: XLIO's
 *     "D D E E"/"E D D D" cases). A record that only begins or continues in a packet is decrypted
 *     there and authenticated in the packet holding its tag end. Headers, TLS 1.2 explicit nonces
 *     and tags are never modified (14b "leaves record framing unmodified").
 *  R5 Failure inside a packet: a tag that does not verify, or (in sync) a header that is not a
 *     valid one (S1) where a header is due. The packet is ERROR (fact sheet 9: 3, XLIO "auth
 *     fail") and delivered exactly as received (DOC "Error handling": no partial in-place
 *     decryption): bytes decrypted in place before the failure are re-encrypted with AES-CTR at
 *     the same GCM counters, bytes after it are only run through the tracker. After a tag failure
 *     the record lengths are still known, so the tracker stays in sync and the next records
 *     decrypt (model reading). After an invalid header the boundary is gone: the scan (S1) starts
 *     at once, from the byte after that header's first byte (model reading: a retransmission
 *     cannot repair the stream, so there is nothing to wait for as in R9).
 *  R6 Old packet (it ends at or before the expected sequence): a retransmission, "completely
 *     outside of expected window of the device so it's passed as is" (DOC "RX" figure):
 *     NOT_DECRYPTED, untouched, state unchanged.
 *  R7 Overlapping packet (starts before the expected sequence, ends after it): its head has no
 *     tracker state, and the packet cannot be partly decrypted (DOC "Error handling"), so it is
 *     delivered as received (NOT_DECRYPTED, or ERROR when a tag ending in its new part fails);
 *     its new bytes are still run through the tracker - headers parsed, GCM state collected - so
 *     sync is kept and a record continuing into the next packets authenticates there (model
 *     reading, the same as the DOC figure's segment 3). This also covers a START inside a
 *     segment: bytes before next_record_tcp_sn belong to the host's software path.
 *  R8 Gap (the packet starts after the expected sequence). If the tracked record's header is
 *     complete and the packet starts at or before the next header, no header was hidden (DOC "the
 *     device should not lose synchronization when record boundary can be recovered", figure
 *     "Reorder of non-header segment"): the tracker jumps to the packet; the record with the
 *     missing bytes cannot be authenticated, so packets holding its bytes pass as received;
 *     records starting in them are tracked ("collect the authentication algorithm's state and
 *     partial block from the new record in segment 3") and decrypt in the next packets. When the
 *     missing segment arrives later it is old (R6). Otherwise a header was hidden ("Reorder of
 *     segment with a TLS header"): the device loses sync (R9).
 *  R9 LOST. The tracker keeps its position L (the hidden header, or the rest of an incomplete
 *     one). A packet covering L - the lost segment, retransmitted or late - relocks without the
 *     host (DOC: kernel synchronisation "may be necessary if the lost segment ... arrived after
 *     the next record header has already passed", i.e. not before; model reading) and is handled
 *     as in R4/R7; a later gap goes through R8 again. Other packets pass as received. Once a
 *     packet ends more than a max-size record (5 + 2^14 + 256 bytes) past L, "the device starts
 *     scanning" (DOC "Stream scan resynchronization"), from that packet's first byte.
 *  R10 Resync answer: static params in RESYNC_PENDING whose resync_tcp_sn is hw_resync_tcp_sn
 *     (fact sheet 11.4 step 5: the kernel posts static params only, initial_record_number = the
 *     record number at that sequence). The tracked record's number becomes initial_record_number
 *     + the records counted since the guess (DOC: "it adds the number of records it had seen to
 *     the record number provided by the kernel") and the tracker is in sync. The answer always
 *     falls between packets ("resume decryption at next segment boundary"): decryption resumes
 *     with the first record none of whose payload the tracker has passed, i.e. the tracked record
 *     if only its header (and TLS 1.2 nonce) was seen, else the next one; the tracked record is
 *     then passed unauthenticated. A wrong record number is not detected - no device could - so
 *     the records fail authentication (ERROR, R5): the engine is not lenient.
 *  R11 Other static params after START: key, salt and iv replace the old ones (the UMR rewrites
 *     the crypto context; a record whose GCM state was running is passed unauthenticated unless
 *     none of its payload was processed). The pair (resync_tcp_sn, initial_record_number) is
 *     applied only where the tracker can place it: in SYNC or LOST when resync_tcp_sn is the first
 *     header byte of the tracked record, which then gets that number. Otherwise it is ignored and
 *     counted (resync_ignored): e.g. a late answer to a guess the scan has since dropped. No
 *     driver posts these; the rule only keeps the model defined.
 *  R12 GET_PSV image (fact sheet 8.5, 7): next_record_tcp_sn = the first byte of the next header
 *     the tracker has not begun (0 while scanning without a candidate); hw_resync_tcp_sn = the
 *     last guessed header (SET_PSV START writes it 0); tracker/auth: WAIT_START START/NO_OFFLOAD,
 *     SYNC START/NO_OFFLOAD until the first byte was processed then TRACKING/OFFLOAD, LOST and
 *     SEARCHING SEARCHING/NO_OFFLOAD, RESYNC_PENDING TRACKING/NO_OFFLOAD (the only state in which
 *     the kernel reads hw_resync_tcp_sn, 11.4 step 3). AUTHENTICATION is never reported (its
 *     meaning is not public). hw_offset_record_number: in RESYNC_PENDING the records completed
 *     since the guessed header (mod 2^24), else 0 (meaning not public, fact sheet 15: model
 *     reading of 14b).
 *  R13 Packets before static params + START are not handled (NOT_DECRYPTED, no_context): the
 *     kernel installs the flow's steering rule only after the SET_PSV completed (11.2 step 5).
 *
 * Stream scan (the real mlx5 rule is not public, fact sheet 15; DOC describes the scheme):
 *  S1 Header pattern: type, 0x03 0x03 (DOC: the version bytes), BE16 length with type 20..24
 *     (TLS 1.2: change_cipher_spec .. heartbeat, RFC 5246 6.2.1 / RFC 6520) or 23 (TLS 1.3 outer
 *     type, RFC 8446 5.2) and length >= 24 (TLS 1.2: nonce + tag) / 17 (TLS 1.3: inner type +
 *     tag) and <= 2^14 + 256. The same test decides whether a header in sync is valid (R5).
 *  S2 A match is a candidate; the tracker walks on from it by the length fields without
 *     decrypting, and every header it reaches must pass S1, else "the scan is restarted" (DOC),
 *     from the byte after that header's first byte - bytes of earlier packets are not kept (DOC
 *     "Ingress reorder": no additional buffering). A gap hiding the next header restarts the scan
 *     at the packet. RESYNC is raised at the end of the first packet in which a header of the
 *     chain other than the candidate (SIM_TLS_RX_SCAN_CHAIN = 2: "verify subsequent headers at
 *     expected locations") starts and completes while the chain still holds;
 *     hw_resync_tcp_sn = the last such header in that packet. It must start inside that packet:
 *     the kernel only confirms a sequence that is a record start it logged between the RESYNC
 *     packet's th->seq and th->seq + datalen (fact sheet 11.4 step 1; kernel net/tls/
 *     tls_device.c tls_device_rx_resync_async "log all headers seq such that req_seq <= seq <=
 *     end_seq"). An ERROR packet does not carry it (it is raised on a later packet). RESYNC is
 *     raised once per guess.
 *  S3 RESYNC_PENDING: the chain is walked on and its records counted; packets NOT_DECRYPTED; an
 *     invalid header or a hidden one drops the guess and restarts the scan. The device never
 *     re-raises the same guess and has no timer (DOC: periodic restart "not deemed necessary").
 *
 * Efficiency: one EVP_DecryptUpdate per contiguous payload run, in place; restoring is needed
 * only on ERROR. No allocation after create: observed-only payload runs go through a small
 * per-thread sink. Out of place (sim_tls_rx_packet_to: the RQ's receive buffer from the frame),
 * payload runs are decrypted from the frame into the buffer and every other byte copied, so the
 * payload is written once; on ERROR the buffer is simply copied from the untouched frame.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sim/tls_rx_internal.h"

/* TCP sequence arithmetic, modulo 2^32 (the kernel's before()/after()). */
static bool seq_lt(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) < 0;
}

static bool seq_le(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) <= 0;
}

/* S1: a header the tracker accepts, in sync or as a scan candidate. */
static bool hdr_valid(const struct sim_tls_rx *rx, const uint8_t *h)
{
	uint32_t len = hdr_length(h);

	if (h[1] != 0x03 || h[2] != 0x03 || len > SIM_TLS_RX_MAX_RECORD_LEN)
		return false;
	if (rx->tls13)
		return h[0] == TLS13_OUTER_TYPE && len >= TLS13_OVERHEAD;
	return h[0] >= TLS12_TYPE_MIN && h[0] <= TLS12_TYPE_MAX && len >= TLS12_OVERHEAD;
}

/* S2: a header of the chain was reached and is valid. */
static void chain_header(struct sim_tls_rx *rx, struct run *r)
{
	const struct rx_rec *w = &rx->w;

	rx->chain++;
	if (rx->chain >= SIM_TLS_RX_SCAN_CHAIN &&
	    (size_t)(uint32_t)(w->seq - r->pkt_seq) < r->pkt_len) {
		r->resync = true;
		r->resync_seq = w->seq;
		r->resync_rn = w->rn;
	}
}

/*
 * Run the packet bytes p[pos, end) through the tracked record(s). Stops early, with r->bad_hdr
 * and r->stop, at a header that fails S1. Returns 0 or -EIO.
 */
static int walk(struct sim_tls_rx *rx, uint8_t *p, size_t pos, size_t end, struct run *r)
{
	struct rx_rec *w = &rx->w;
	int ret = 0;

	while (pos < end) {
		size_t left = end - pos, n;

		if (w->len && w->skip) { /* R8: the rest of it passes as is */
			n = min_sz(left, w->len - w->off);
			w->off += (uint32_t)n;
			pos += n;
			if (w->off == w->len)
				ret = sim_tls_rx_rec_end(rx, r, pos);
			if (ret)
				return ret;
			continue;
		}
		switch (w->phase) {
		case PH_HDR:
			n = min_sz(left, HDR_LEN - w->part);
			memcpy(w->hdr + w->part, p + pos, n);
			w->part += (uint32_t)n;
			w->off += (uint32_t)n;
			pos += n;
			if (w->part < HDR_LEN)
				break;
			if (!hdr_valid(rx, w->hdr)) {
				r->bad_hdr = true;
				r->stop = pos;
				return 0;
			}
			w->len = HDR_LEN + hdr_length(w->hdr);
			w->part = 0;
			if (!r->offload && r->mode != RUN_RESTORE)
				chain_header(rx, r);
			if (rx->tls13)
				ret = sim_tls_rx_rec_begin(rx, r);
			else
				w->phase = PH_NONCE;
			break;
		case PH_NONCE:
			n = min_sz(left, NONCE_LEN - w->part);
			memcpy(w->nonce + w->part, p + pos, n);
			w->part += (uint32_t)n;
			w->off += (uint32_t)n;
			pos += n;
			if (w->part == NONCE_LEN)
				ret = sim_tls_rx_rec_begin(rx, r);
			break;
		case PH_PAYLOAD:
			n = min_sz(left, w->pay_len - w->pay_off);
			if (w->crypt)
				ret = sim_tls_rx_payload_run(rx, r, p + pos, n);
			w->pay_off += (uint32_t)n;
			w->off += (uint32_t)n;
			pos += n;
			if (w->pay_off == w->pay_len) {
				w->phase = PH_TAG;
				w->part = 0;
			}
			break;
		default: /* PH_TAG */
			n = min_sz(left, TAG_LEN - w->part);
			memcpy(w->tag + w->part, p + pos, n);
			w->part += (uint32_t)n;
			w->off += (uint32_t)n;
			pos += n;
			if (w->part == TAG_LEN)
				ret = sim_tls_rx_rec_end(rx, r, pos);
			break;
		}
		if (ret)
			return ret;
	}
	return 0;
}

/* S1: scan p[pos, end) for a header pattern; a match becomes the chain's first record (S2).
 * Returns the offset after the match, or end. */
static size_t scan(struct sim_tls_rx *rx, struct run *r, const uint8_t *p, size_t pos, size_t end)
{
	for (; pos < end; pos++) {
		struct rx_rec *w = &rx->w;

		if (rx->win_len == HDR_LEN) {
			memmove(rx->win, rx->win + 1, HDR_LEN - 1);
			rx->win_len--;
		}
		rx->win[rx->win_len++] = p[pos];
		if (rx->win_len < HDR_LEN || rx->win[1] != 0x03 || rx->win[2] != 0x03 ||
		    !hdr_valid(rx, rx->win))
			continue;
		memset(w, 0, sizeof(*w));
		/* the window's first byte: 4 bytes before this one (maybe in an earlier packet) */
		w->seq = r->pkt_seq + (uint32_t)pos - (HDR_LEN - 1);
		memcpy(w->hdr, rx->win, HDR_LEN);
		w->len = HDR_LEN + hdr_length(w->hdr);
		w->off = HDR_LEN;
		rx->win_len = 0;
		rx->walking = true;
		rx->chain = 1;
		rx->c.scan_candidates++;
		if (rx->tls13)
			(void)sim_tls_rx_rec_begin(rx, r); /* not offloaded: no crypto, cannot fail */
		else
			w->phase = PH_NONCE;
		return pos + 1;
	}
	return end;
}

/* S2 / R5: the scan restarts at the byte after the first byte of the invalid header in w.hdr. */
static void scan_restart_after_hdr(struct sim_tls_rx *rx, struct run *r)
{
	memcpy(rx->win, rx->w.hdr + 1, HDR_LEN - 1);
	rx->win_len = HDR_LEN - 1;
	rx->walking = false;
	rx->chain = 0;
	r->resync = false;
}

/* SEARCHING / RESYNC_PENDING: scan and walk p[pos, end) (S1-S3). */
static int search_run(struct sim_tls_rx *rx, uint8_t *p, size_t pos, size_t end, struct run *r)
{
	r->offload = false;
	r->mode = RUN_OBSERVE;
	while (pos < end) {
		int ret;

		if (!rx->walking) {
			pos = scan(rx, r, p, pos, end);
			continue;
		}
		r->bad_hdr = false;
		ret = walk(rx, p, pos, end, r);
		if (ret)
			return ret;
		if (!r->bad_hdr)
			break;
		pos = r->stop;
		rx->c.scan_restarts++;
		if (rx->state == SIM_TLS_RX_RESYNC_PENDING)
			rx->state = SIM_TLS_RX_SEARCHING; /* S3: the guess is dropped */
		scan_restart_after_hdr(rx, r);
	}
	return 0;
}

/* Restore p[pos, upto) to what was received (R5): re-walk from the packet's starting point. */
static int restore(struct sim_tls_rx *rx, const struct rx_rec *snap, uint8_t *p, size_t pos,
		   size_t upto)
{
	struct rx_rec now = rx->w;
	struct run rr;
	int ret;

	memset(&rr, 0, sizeof(rr));
	rr.mode = RUN_RESTORE;
	rr.offload = true;
	rx->w = *snap;
	ret = walk(rx, p, pos, upto, &rr);
	rx->w = now;
	return ret;
}

/* SEARCHING / RESYNC_PENDING packet. */
static int search_packet(struct sim_tls_rx *rx, uint8_t *p, size_t len, struct run *r,
			 enum sim_tls_rx_status *status)
{
	uint32_t seq = r->pkt_seq, end = seq + (uint32_t)len, e = rx->expected;
	size_t pos = 0;
	int ret;

	if (seq_le(end, e)) { /* R6 */
		rx->c.old_packets++;
		return 0;
	}
	if (seq_lt(seq, e)) { /* R7: the new part only */
		rx->c.overlap_packets++;
		pos = e - seq;
	} else if (seq != e) {
		uint32_t d = seq - e;
		struct rx_rec *w = &rx->w;

		if (rx->walking && w->len && d <= w->len - w->off) { /* R8 for the chain */
			rx->c.gap_packets++;
			sim_tls_rx_rec_skip(rx, r, d);
		} else {
			if (rx->walking) { /* S2/S3: a header may be hidden */
				rx->c.scan_restarts++;
				if (rx->state == SIM_TLS_RX_RESYNC_PENDING)
					rx->state = SIM_TLS_RX_SEARCHING;
			}
			rx->walking = false;
			rx->chain = 0;
			rx->win_len = 0;
		}
	}
	ret = search_run(rx, p, pos, len, r);
	if (ret)
		return ret;
	rx->expected = end;
	if (rx->state == SIM_TLS_RX_SEARCHING && rx->walking && r->resync) { /* S2 */
		rx->state = SIM_TLS_RX_RESYNC_PENDING;
		rx->resync_seq = r->resync_seq;
		rx->guess_rn = r->resync_rn;
		rx->c.resync_requests++;
		*status = SIM_TLS_RX_RESYNC;
	}
	return 0;
}

/* R8/R9: a gap hid the next header. The tracker moves to it (skipping the rest of the tracked
 * record when its header is complete) and holds there. */
static void lose_sync(struct sim_tls_rx *rx, struct run *r)
{
	struct rx_rec *w = &rx->w;

	if (w->len)
		sim_tls_rx_rec_skip(rx, r, w->len - w->off);
	rx->expected = w->seq + w->off;
	rx->state = SIM_TLS_RX_LOST;
	rx->c.sync_lost++;
}

/* SYNC packet (R4-R8). Returns 1 if the state changed before anything was processed (the
 * packet is then handled in the new state), else 0 or -EIO. */
static int sync_packet(struct sim_tls_rx *rx, uint8_t *p, size_t len, struct run *r,
		       enum sim_tls_rx_status *status)
{
	uint32_t seq = r->pkt_seq, end = seq + (uint32_t)len, e = rx->expected;
	struct rx_rec *w = &rx->w;
	struct rx_rec snap;
	size_t pos = 0;
	int ret;

	r->offload = true;
	r->mode = RUN_INPLACE;
	if (seq_le(end, e)) { /* R6 */
		rx->c.old_packets++;
		return 0;
	}
	if (seq_lt(seq, e)) { /* R7 */
		rx->c.overlap_packets++;
		pos = e - seq;
		r->mode = RUN_OBSERVE;
	} else if (seq != e) {
		uint32_t d = seq - e;

		if (!w->len || d > w->len - w->off) { /* R8: a header was hidden */
			lose_sync(rx, r);
			return 1;
		}
		rx->c.gap_packets++;
		sim_tls_rx_rec_skip(rx, r, d);
	}
	if (w->len && w->skip) /* R8: the packet holds bytes of a record that is passed as is */
		r->mode = RUN_OBSERVE;
	snap = *w;
	rx->started = true;
	ret = walk(rx, p, pos, len, r);
	if (ret)
		return ret;
	if (r->bad_hdr) { /* R5: invalid header where one is due */
		rx->c.malformed++;
		rx->c.sync_lost++;
		if (!r->fail) {
			r->fail = true;
			r->fail_pos = r->stop;
		}
	}
	if (r->fail && r->mode == RUN_INPLACE && !r->out) { /* out of place: copied whole */
		ret = restore(rx, &snap, p, pos, r->fail_pos);
		if (ret)
			return ret;
	}
	if (r->bad_hdr) {
		rx->state = SIM_TLS_RX_SEARCHING;
		scan_restart_after_hdr(rx, r);
		ret = search_run(rx, p, r->stop, len, r);
		if (ret)
			return ret;
	}
	rx->expected = end;
	if (r->fail) {
		*status = SIM_TLS_RX_ERROR;
	} else if (r->mode == RUN_INPLACE) {
		*status = SIM_TLS_RX_DECRYPTED;
		rx->c.bytes_decrypted += r->inplace_bytes;
	}
	return 0;
}

/* The packet's bytes p (in place, or `in` read only while out gets the result). */
static int packet(struct sim_tls_rx *rx, uint32_t tcp_seq, uint8_t *payload, const uint8_t *in,
		  uint8_t *out, size_t len, bool l4_csum_ok, enum sim_tls_rx_status *status)
{
	struct run r;
	int ret = 0;

	rx->c.packets++;
	rx->c.bytes += len;
	memset(&r, 0, sizeof(r));
	r.pkt_seq = tcp_seq;
	r.pkt_len = len;
	r.in = in;
	r.out = out;
	if (!l4_csum_ok) { /* R3 */
		rx->c.csum_bad++;
	} else if (rx->state == SIM_TLS_RX_NO_STATIC || rx->state == SIM_TLS_RX_WAIT_START) {
		rx->c.no_context++; /* R13 */
	} else {
		for (;;) {
			uint32_t end = tcp_seq + (uint32_t)len, l = rx->expected;

			if (rx->state == SIM_TLS_RX_SYNC) {
				ret = sync_packet(rx, payload, len, &r, status);
				if (ret == 1)
					continue;
				break;
			}
			if (rx->state != SIM_TLS_RX_LOST) {
				ret = search_packet(rx, payload, len, &r, status);
				break;
			}
			/* R9 */
			if (seq_le(end, l)) {
				rx->c.old_packets++;
				break;
			}
			if (seq_le(tcp_seq, l)) {
				rx->state = SIM_TLS_RX_SYNC;
				rx->c.relocked++;
				continue;
			}
			if ((int32_t)(end - l - SIM_TLS_RX_MAX_WIRE_RECORD) <= 0)
				break;
			rx->state = SIM_TLS_RX_SEARCHING;
			rx->walking = false;
			rx->chain = 0;
			rx->win_len = 0;
			rx->expected = tcp_seq;
		}
	}
	switch (*status) {
	case SIM_TLS_RX_DECRYPTED:
		rx->c.pkt_decrypted++;
		break;
	case SIM_TLS_RX_RESYNC:
		rx->c.pkt_resync++;
		break;
	case SIM_TLS_RX_ERROR:
		rx->c.pkt_error++;
		break;
	default:
		rx->c.pkt_not_decrypted++;
		break;
	}
	if (out) {
		/* DECRYPTED: the bytes after the last run as received; anything else is delivered
		 * exactly as received (R3-R9; an ERROR packet's runs decrypted before the failure
		 * are undone by copying the untouched frame, as restore() does in place) */
		if (*status != SIM_TLS_RX_DECRYPTED)
			r.copied = 0;
		memcpy(out + r.copied, in + r.copied, len - r.copied);
	}
	return ret < 0 ? ret : 0;
}

int sim_tls_rx_packet(struct sim_tls_rx *rx, uint32_t tcp_seq, uint8_t *payload, size_t len,
		      bool l4_csum_ok, enum sim_tls_rx_status *status)
{
	if (!rx || !status || (!payload && len) || len > INT32_MAX)
		return -EINVAL;
	*status = SIM_TLS_RX_NOT_DECRYPTED;
	if (!len)
		return 0;
	return packet(rx, tcp_seq, payload, NULL, NULL, len, l4_csum_ok, status);
}

int sim_tls_rx_packet_to(struct sim_tls_rx *rx, uint32_t tcp_seq, const uint8_t *in, uint8_t *out,
			 size_t len, bool l4_csum_ok, enum sim_tls_rx_status *status)
{
	if (!rx || !status || ((!in || !out) && len) || len > INT32_MAX)
		return -EINVAL;
	*status = SIM_TLS_RX_NOT_DECRYPTED;
	if (!len)
		return 0;
	if (in == out)
		return packet(rx, tcp_seq, out, NULL, NULL, len, l4_csum_ok, status);
	/* the walk reads `in` and never writes through this pointer out of place (payload_run
	 * writes `out`; restore() is not used) */
	return packet(rx, tcp_seq, (uint8_t *)(uintptr_t)in, in, out, len, l4_csum_ok, status);
}
