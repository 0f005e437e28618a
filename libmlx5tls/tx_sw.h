/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Software TLS TX record encryptor (internal).
 *
 * The fallback for connections demoted from the NIC and for cipher suites the device lacks. It
 * consumes the in-order TCP payload stream of kTLS-style plaintext records exactly as the kernel
 * hands them to a TLS-offload device and encrypts it in place, producing byte-identical output to
 * the NIC's inline engine:
 *   - the 5-byte record header passes through (type, 03 03, BE16 length of the rest);
 *   - TLS 1.2: the 8-byte explicit nonce passes through; it is taken from the record bytes as the
 *     application wrote them, never computed;
 *   - the payload (TLS 1.3: data || inner content type) becomes ciphertext;
 *   - the 16 bytes reserved for the tag (their content is ignored) receive the GCM tag.
 * Crypto per record (seq = record number, starting at ci->rec_seq, +1 per record):
 *   TLS 1.2: nonce = salt || explicit nonce; AAD = BE64 seq || type || 03 03 || BE16 pt length.
 *   TLS 1.3: nonce = (salt || iv) XOR (0^4 || BE64 seq); AAD = the 5-byte header.
 * Records may span calls and one call may hold several records; partial header, nonce, GCM and tag
 * state is carried between calls. Nothing is allocated after tx_sw_init(). Not thread-safe per
 * object.
 *
 * Conventions: 0 or a negative errno (errno is set too); key material copied out of the crypto
 * info is wiped with explicit_bzero() as soon as the EVP context holds it, and the object is wiped
 * on free.
 */
#ifndef MLX5TLS_TX_SW_H
#define MLX5TLS_TX_SW_H

#include <linux/tls.h>
#include <stddef.h>
#include <stdint.h>

struct tx_sw;

/* Largest value of a header's length field accepted: 2^14 plaintext + 256 expansion. */
#define TX_SW_MAX_RECORD_BODY (16384 + 256)

/*
 * Create an encryptor for `ci` (struct tls12_crypto_info_aes_gcm_128/_256, `ci_len` bytes).
 * TLS_1_2_VERSION/TLS_1_3_VERSION x TLS_CIPHER_AES_GCM_128/_256.
 * Returns 0 and *out, or -EINVAL (NULL argument, ci_len shorter than struct tls_crypto_info or not
 * the size of the struct the cipher selects), -EOPNOTSUPP (other version or cipher), -ENOMEM,
 * -EIO (OpenSSL failure). *out is NULL on failure.
 */
int tx_sw_init(struct tx_sw **out, const struct tls_crypto_info *ci, size_t ci_len);

/* Wipe and free. NULL is ignored. */
void tx_sw_free(struct tx_sw *sw);
/* Heap bytes of sw itself (0 for NULL; OpenSSL's cipher context not counted). */
size_t tx_sw_mem(const struct tx_sw *sw);

/*
 * Encrypt in place the next `len` bytes of the TCP payload stream.
 * Returns 0, -EINVAL (sw NULL, or payload NULL with len > 0; no state change), or
 * -EBADMSG: a record header is malformed (length field < 24 for TLS 1.2 / < 17 for TLS 1.3, or
 * > TX_SW_MAX_RECORD_BODY, or version bytes not 03 03). Bytes before that header in the same call
 * have been processed; the header bytes and everything after are left untouched. The object then
 * stays in an error state: every later call returns -EBADMSG.
 * -EIO: OpenSSL failed (also sticky).
 */
int tx_sw_encrypt(struct tx_sw *sw, uint8_t *payload, size_t len);

/* Record number of the record the next stream byte belongs to: the record in progress if
 * tx_sw_record_offset() > 0, else the next record to start. */
uint64_t tx_sw_next_record(const struct tx_sw *sw);

/* Bytes of that record already consumed (0 at a record boundary; else 1 .. 5 + length - 1). */
uint32_t tx_sw_record_offset(const struct tx_sw *sw);

/* Total length (5 + header length) of the record in progress, or 0 if its header is not complete
 * yet. */
uint32_t tx_sw_record_len(const struct tx_sw *sw);

#endif
