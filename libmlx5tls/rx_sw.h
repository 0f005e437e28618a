/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Completion of received TLS records (internal): the part of a TLS RX context that turns what
 * the NIC delivered into records whose tag was verified, whatever mix of decrypted and
 * not-decrypted packets a record arrived in.
 *
 * The device reports a status per packet (fact sheet 9: CQE byte 0 bits 4:3): DECRYPTED packets
 * carry plaintext in place of the record payload (header, TLS 1.2 explicit nonce and tag are left
 * as received, fact sheet 14b), every other packet carries the bytes exactly as received. A
 * DECRYPTED status vouches for the tags that end in that packet only; a record can arrive as
 * "E D D D", "D D E E", "E D E E" (fact sheet 9, from XLIO). The rule here:
 *   - a record every payload byte of which came DECRYPTED, whose last packet (the one carrying
 *     the tag) came DECRYPTED, was authenticated by the device: its plaintext is delivered;
 *   - any other record is completed in software: the decrypted parts are encrypted again (AES-GCM
 *     is counter mode: the same keystream at the same counter), then the whole record is
 *     decrypted and verified with OpenSSL EVP;
 *   - a record that does not verify is an error (-EBADMSG): TLS must close the connection. No
 *     byte of it, nor of anything after it, is delivered.
 * Crypto per record (seq = record number, starting at ci->rec_seq, +1 per record):
 *   TLS 1.2: nonce = salt || explicit nonce; AAD = BE64 seq || type || 03 03 || BE16 pt length.
 *   TLS 1.3: nonce = (salt || iv) XOR (0^4 || BE64 seq); AAD = the header; the plaintext ends with
 *            the content type after optional zero padding (RFC 8446 5.4).
 * The stream must be handed over in TCP order from a record boundary (the record rec_seq names).
 */
#ifndef MLX5TLS_RX_SW_H
#define MLX5TLS_RX_SW_H

#include <linux/tls.h>
#include <stddef.h>
#include <stdint.h>

struct rx_sw;

/* Packet statuses (fact sheet 9). */
enum {
	RX_SW_NOT_DECRYPTED = 0,
	RX_SW_DECRYPTED = 1,
	RX_SW_RESYNC = 2,
	RX_SW_ERROR = 3,
};

/* One verified record: its content type (TLS 1.3: the inner type) and plaintext, valid during
 * the call. Return 0 to go on, non-zero to stop (rx_sw_input returns that value). */
typedef int (*rx_sw_record_fn)(void *ctx, uint8_t type, const uint8_t *plaintext, size_t len);

struct rx_sw_stats {
	uint64_t records;         /* verified and delivered */
	uint64_t by_device;       /* of which authenticated by the device */
	uint64_t by_software;     /* of which completed in software (mixed or not decrypted) */
	uint64_t reencrypted_bytes; /* decrypted bytes encrypted again to verify a mixed record */
	uint64_t failed;          /* records that did not verify */
};

/* 0 and *out, or -EINVAL (bad crypto info), -EOPNOTSUPP (version/cipher), -ENOMEM, -EIO. */
int rx_sw_init(struct rx_sw **out, const struct tls_crypto_info *ci, size_t ci_len);
/* Wipes keys and buffered bytes. NULL is ignored. */
void rx_sw_free(struct rx_sw *rx);

/*
 * The next len bytes of the TCP payload stream, as one packet delivered them, with its status.
 * Complete records go to cb. Returns 0; what cb returned if non-zero; -EBADMSG when a record does
 * not verify or a header is malformed (sticky: every later call fails too); -EIO (OpenSSL).
 */
int rx_sw_input(struct rx_sw *rx, const uint8_t *data, size_t len, unsigned int status,
		rx_sw_record_fn cb, void *ctx);

/* Bytes of the record in progress held (0 at a record boundary), and bytes still to come before
 * the next point the record's extent is known at (its header's end, then its end). */
uint32_t rx_sw_held(const struct rx_sw *rx);
uint32_t rx_sw_to_boundary(const struct rx_sw *rx);

/* Record number of the next record to complete. */
uint64_t rx_sw_next_record(const struct rx_sw *rx);
void rx_sw_get_stats(const struct rx_sw *rx, struct rx_sw_stats *st);

#endif
