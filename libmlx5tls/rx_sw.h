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
 * "E D D D", "D D E E", "E D E E" (fact sheet 9, from XLIO).
 *
 * Every byte handed in carries a mark saying who changed it:
 *   - RX_SW_MARK_RECEIVED: as received (status NOT_DECRYPTED, RESYNC or ERROR);
 *   - an epoch mark (rx_sw_mark(epoch)): decrypted in place by the device under the keys of that
 *     epoch - the TLS state the receiving context set up for those keys (the caller knows it from
 *     the packet's flow tag). Keys change at a TLS 1.3 KeyUpdate (rx_sw_rekey); a device still
 *     running on the old keys past the boundary numbered the records after it as if the old
 *     keys went on (its record counter just counts on), and that is how they are restored;
 *   - RX_SW_MARK_FOREIGN: decrypted by a TLS state that is not this context's (a reused TIR's
 *     earlier connection): the bytes cannot be restored and the record they are in fails.
 * The rule:
 *   - a record every payload byte of which was decrypted under its own keys, the packet with
 *     its tag included, was authenticated by the device: its plaintext is delivered;
 *   - any other record is completed in software: the decrypted parts are encrypted again (AES-GCM
 *     is counter mode: the same keystream at the same counter) with the keys and record number
 *     the device used, then the whole record is decrypted and verified with OpenSSL EVP;
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
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct rx_sw;

#define RX_SW_EPOCHS 4u             /* key epochs kept for restoring device-decrypted bytes */
#define RX_SW_MARK_RECEIVED 0u
#define RX_SW_MARK_FOREIGN 0xffu

static inline unsigned int rx_sw_mark(unsigned int epoch)
{
	return 1 + epoch % RX_SW_EPOCHS;
}

/* Where input stopped (rx_sw_stop). */
enum rx_sw_stop {
	RX_SW_GOING = 0,
	RX_SW_STOP_KEY_UPDATE, /* a TLS 1.3 KeyUpdate was delivered: rx_sw_rekey next */
	RX_SW_STOP_CONTROL,    /* a non-application-data record was delivered (stop_at_control) */
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
	uint64_t key_updates;     /* KeyUpdate messages delivered */
};

/* 0 and *out, or -EINVAL (bad crypto info), -EOPNOTSUPP (version/cipher), -ENOMEM, -EIO. */
int rx_sw_init(struct rx_sw **out, const struct tls_crypto_info *ci, size_t ci_len);
/* Wipes keys and buffered bytes. NULL is ignored. */
void rx_sw_free(struct rx_sw *rx);
/* Ask for what a destroy touches (among many contexts: see mlx5tls_rx_destroy), in two steps
 * as the addresses become known: the context's lines - those rx_sw_get_stats() and rx_sw_free()
 * read, and the others, which the next context made on the thread writes (malloc gives it the
 * same memory) - then, reading the first ones, so once they have arrived, the keys' lines
 * rx_sw_free() wipes. NULL: nothing. */
void rx_sw_prefetch_free(const struct rx_sw *rx);
void rx_sw_prefetch_keys(const struct rx_sw *rx);
/* Stop after every record that is not application data. */
void rx_sw_set_stop_at_control(struct rx_sw *rx, bool on);

/*
 * The next len bytes of the TCP payload stream, as one packet delivered them, with their mark.
 * Complete records go to cb. Returns 0; what cb returned if non-zero; -EBADMSG when a record does
 * not verify, a header is malformed, a KeyUpdate is not the last message of its record or the
 * record number would wrap; -EMSGSIZE for a record longer than 2^14 bytes of plaintext and its
 * overhead allow (rx_sw_header_check; errors are
 * sticky: every later call fails too); -EIO (OpenSSL). Consumes nothing while stopped: call it
 * with at most rx_sw_to_boundary() bytes to learn where a stop falls.
 */
int rx_sw_input(struct rx_sw *rx, const uint8_t *data, size_t len, unsigned int mark,
		rx_sw_record_fn cb, void *ctx);

enum rx_sw_stop rx_sw_stopped(const struct rx_sw *rx);
void rx_sw_resume(struct rx_sw *rx);

/*
 * Install the next keys (stopped at a KeyUpdate, TLS 1.3, same cipher): the records from here on
 * are numbered from ci->rec_seq. Returns the new epoch (>= 1), or -EINVAL, -EIO. The oldest of
 * RX_SW_EPOCHS epochs is forgotten: its mark no longer restores anything.
 */
int rx_sw_rekey(struct rx_sw *rx, const struct tls_crypto_info *ci, size_t ci_len);
unsigned int rx_sw_epoch(const struct rx_sw *rx);

/* Bytes of the record in progress held (0 at a record boundary), and bytes still to come before
 * the next point the record's extent is known at (its header's end, then its end). */
uint32_t rx_sw_held(const struct rx_sw *rx);
uint32_t rx_sw_to_boundary(const struct rx_sw *rx);

/*
 * Hand-back: copy the held bytes of the record in progress to buf as they were sent (decrypted
 * parts encrypted again). 0, -ENOSPC (cap < rx_sw_held()), -EBADMSG (foreign bytes), -EIO.
 */
int rx_sw_pending(struct rx_sw *rx, uint8_t *buf, size_t cap);

/*
 * After a hand-back: the next len bytes of the stream (TCP order), restored in place to what was
 * sent where the device decrypted them (mark). Records are followed by their headers, which the
 * device never changes. 0, -EBADMSG (foreign bytes or a malformed header), -EIO.
 */
int rx_sw_restore(struct rx_sw *rx, uint8_t *data, size_t len, unsigned int mark);

/*
 * Zero-copy delivery (mlx5tls_rx_input_segs): the caller found, at a record boundary, a whole
 * application-data record every payload byte of which - and the packet with its tag - the device
 * decrypted under the current keys, and hands its plaintext to the application itself. Checks
 * what rx_sw would (sequence number not wrapping, inner plaintext length) and counts it as the
 * device's. 0, -EBADMSG, -EMSGSIZE (sticky as rx_sw_input's), -EINVAL (not at a boundary,
 * stopped).
 */
int rx_sw_device_record(struct rx_sw *rx, uint32_t pt_len);
/* Header checks of rx_sw_input: 0 and the body length, -EBADMSG, -EMSGSIZE. */
int rx_sw_header_check(const struct rx_sw *rx, const uint8_t *hdr, uint32_t *body);
/* Where the payload starts in a record: 5 (TLS 1.3) or 13 (TLS 1.2 explicit nonce). */
uint32_t rx_sw_body_offset(const struct rx_sw *rx);
bool rx_sw_tls13(const struct rx_sw *rx);

struct rec_pool;
/* Bytes of the record buffer (the record and its marks); take record buffers from pool (NULL:
 * straight from secret memory). */
size_t rx_sw_rec_bytes(void);
void rx_sw_set_rec_pool(struct rx_sw *rx, struct rec_pool *pool);
/* Memory held: the structure (heap), each kept epoch's keys (secret memory) and the record
 * buffer (secret memory or the pool's) while a record is being assembled. */
size_t rx_sw_mem(const struct rx_sw *rx);
/* Record number of the next record to complete. */
uint64_t rx_sw_next_record(const struct rx_sw *rx);
void rx_sw_get_stats(const struct rx_sw *rx, struct rx_sw_stats *st);

#endif
