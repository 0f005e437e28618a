/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * In-process OpenSSL peer harness for tests and examples.
 *
 * A tls_peer_pair is an OpenSSL client and an OpenSSL server in one process, joined by memory BIOs
 * and already past a full handshake. Tests use it to prove that TLS records produced elsewhere (the
 * device model, the software reference encryptor below) are readable by a TLS stack nobody here
 * wrote, and to obtain records OpenSSL wrote for the receive direction:
 *
 *   pair = tls_peer_pair_create(TLS1_3_VERSION, 256, NULL);
 *   tls_peer_export_tx(pair, TLS_PEER_SERVER, 0, &ci);       // server->client keys, next rec_seq
 *   n = tls_record_layout(&ci.info, TLS_RT_APPLICATION_DATA, seq, pt, len, rec, sizeof(rec));
 *   tls_record_encrypt_sw(&ci.info, seq, rec, n);              // or: the device encrypts it
 *   tls_peer_feed(pair, TLS_PEER_CLIENT, rec, n);
 *   tls_peer_read(pair, TLS_PEER_CLIENT, buf, sizeof(buf));   // == len, buf == pt
 *
 * Conventions (as in the library): int calls return 0 / a non-negative count or a negative errno
 * and set errno; pointer calls return NULL and set errno. Key material is never printed; every
 * internal secret buffer is wiped with OPENSSL_cleanse(). Crypto infos handed out hold live keys:
 * wipe them (tls_peer_crypto_info_wipe) when done.
 *
 * Sessions are configured so that no record the test did not ask for consumes a sequence number:
 * no session tickets (SSL_CTX_set_num_tickets(0), SSL_OP_NO_TICKET), no renegotiation, no
 * compression, no KeyUpdate. After create the connection is idle: nothing is pending in either
 * direction.
 *
 * Ownership of a direction: once a test injects records of its own into a direction (software or
 * device encrypted), the OpenSSL sender of that direction no longer knows the receiver's sequence
 * number, so it must not SSL_write (tls_peer_write) on that side afterwards. The reverse, handing
 * over after OpenSSL wrote some records, is fine: tls_peer_export_tx() accounts for every record
 * OpenSSL wrote, as kTLS does.
 *
 * Not thread-safe per pair; different pairs may be used from different threads. Link with
 * libssl and libcrypto.
 */
#ifndef MLX5TLS_TEST_TLS_PEER_H
#define MLX5TLS_TEST_TLS_PEER_H

#include <linux/tls.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* OpenSSL handle types, so that users of this header need not include OpenSSL. */
struct ssl_st;

/* ---- record format constants ---- */

#define TLS_RECORD_HDR_LEN 5 /* type, 0x03 0x03, BE16 length */
#define TLS12_EXPLICIT_NONCE_LEN 8
#define TLS_RECORD_TAG_LEN 16
#define TLS_RECORD_MAX_PLAINTEXT 16384 /* 2^14; larger records are laid out but peers reject them */

enum tls_record_type {
	TLS_RT_CHANGE_CIPHER_SPEC = 20,
	TLS_RT_ALERT = 21,
	TLS_RT_HANDSHAKE = 22,
	TLS_RT_APPLICATION_DATA = 23,
};

/* ---- crypto info as <linux/tls.h> defines it ---- */

/* Either AES-GCM layout; info.cipher_type (TLS_CIPHER_AES_GCM_128/_256) says which. */
union tls_peer_crypto_info {
	struct tls_crypto_info info;
	struct tls12_crypto_info_aes_gcm_128 gcm128;
	struct tls12_crypto_info_aes_gcm_256 gcm256;
};

/* sizeof the struct that info->cipher_type selects (what setsockopt(TLS_TX) would take), or 0 for
 * an unsupported cipher. */
size_t tls_peer_crypto_info_size(const struct tls_crypto_info *info);

/* Wipe a crypto info (keys included) with OPENSSL_cleanse(). */
void tls_peer_crypto_info_wipe(union tls_peer_crypto_info *ci);

/* ---- the pair ---- */

enum tls_peer_side {
	TLS_PEER_CLIENT = 0,
	TLS_PEER_SERVER = 1,
};

struct tls_peer_pair;

/* Options for tls_peer_pair_create(); declare with MLX5TLS_OPTS(tls_peer_opts, o, ...) (from
 * mlx5tls/mlx5tls.h) or zero it and set sz. NULL means defaults. */
struct tls_peer_opts {
	size_t sz;
	/* NSS key log file to append to; NULL: $SSLKEYLOGFILE (unset or empty: no key log). */
	const char *keylog_path;
	size_t : 0;
};
#define tls_peer_opts__last_field keylog_path

/*
 * Create a client and a server SSL joined by memory BIOs and run the handshake to completion.
 *  version: TLS1_2_VERSION (0x0303) or TLS1_3_VERSION (0x0304); exactly that version is negotiated.
 *  key_bits: 128 or 256. TLS 1.2 uses ECDHE-ECDSA-AES128-GCM-SHA256 /
 *            ECDHE-ECDSA-AES256-GCM-SHA384, TLS 1.3 TLS_AES_128_GCM_SHA256 /
 *            TLS_AES_256_GCM_SHA384.
 * The server presents a self-signed EC P-256 certificate generated in memory at first use (shared
 * by all pairs); the client trusts exactly that certificate and verifies it.
 * If a key log path is in effect, the NSS key log lines of the handshake are appended to it (once
 * per pair, from the client's view), so tshark/Wireshark can decrypt a capture of the wire.
 * Returns NULL with errno: EINVAL (bad version/bits/opts), ENOMEM, EPROTO (handshake failed; the
 * OpenSSL error queue is printed to stderr).
 */
struct tls_peer_pair *tls_peer_pair_create(int version, unsigned int key_bits,
					   const struct tls_peer_opts *opts);
/* Free both SSLs, their BIOs and wipe all secrets. NULL is ignored. */
void tls_peer_pair_destroy(struct tls_peer_pair *pair);

/* The negotiated version (TLS1_2_VERSION/TLS1_3_VERSION) and cipher key size (128/256). */
int tls_peer_version(const struct tls_peer_pair *pair);
unsigned int tls_peer_key_bits(const struct tls_peer_pair *pair);

/* The OpenSSL object of one side, for what this API does not cover (SSL_shutdown, queries). Do not
 * free it or change its BIOs. Records written through it directly are still accounted for, because
 * the harness parses the side's write BIO; drain that wire only with tls_peer_take_wire(). */
struct ssl_st *tls_peer_ssl(struct tls_peer_pair *pair, enum tls_peer_side side);

/*
 * Export the TRANSMIT direction of `side` (TLS_PEER_SERVER: server->client; TLS_PEER_CLIENT:
 * client->server) as kTLS would receive it from OpenSSL for setsockopt(TLS_TX). The same struct is
 * what the other side's receive direction (TLS_RX) needs.
 *  - version TLS_1_2_VERSION/TLS_1_3_VERSION, cipher_type TLS_CIPHER_AES_GCM_128/_256;
 *  - key, salt = first 4 bytes of the 12-byte write IV;
 *  - iv:  TLS 1.3: the last 8 bytes of the write IV.
 *         TLS 1.2: the explicit nonce of the next record, exactly what OpenSSL's kTLS code hands
 *         the kernel (EVP_CIPHER_CTX_get_updated_iv): OpenSSL's own GCM invocation counter, which
 *         starts at a random value after ChangeCipherSpec and counts up by one per record. The
 *         kernel then writes iv, iv+1, ... into successive records. With
 *         TLS_PEER_EXPORT_SEQ_NONCE, iv = rec_seq instead (the explicit nonce equals the record
 *         sequence number, as BoringSSL/GnuTLS/NSS do).
 *  - rec_seq = BE64 sequence number of the next record this side sends: the number of records it
 *    has written under the current traffic keys (TLS 1.2 after its ChangeCipherSpec: Finished is 0,
 *    so 1 right after the handshake; TLS 1.3 application keys: 0 right after the handshake), plus
 *    every record written since through tls_peer_write() or as an alert.
 * Returns 0, or -EINVAL (bad side/flags), -EPROTO (secrets missing or inconsistent), -ENOMEM.
 */
#define TLS_PEER_EXPORT_SEQ_NONCE (1u << 0)
int tls_peer_export_tx(struct tls_peer_pair *pair, enum tls_peer_side side, unsigned int flags,
		       union tls_peer_crypto_info *ci);

/*
 * TLS 1.3 KeyUpdate on `side`'s sending direction (RFC 8446 4.6.3): OpenSSL writes the KeyUpdate
 * message (update_requested if `request`) as the last record under the current keys; records
 * written after it use the next traffic secret, HKDF-Expand-Label(secret, "traffic upd", "",
 * Hash.length) (RFC 8446 7.2), which tls_peer_export_tx() then exports with rec_seq 0.
 * 0, -EINVAL (TLS 1.2), -EPROTO.
 */
int tls_peer_key_update(struct tls_peer_pair *pair, enum tls_peer_side side, bool request);

/* The same secret update without OpenSSL writing anything: for a direction whose records the
 * test (or the library) writes itself, KeyUpdate message included. 0, -EINVAL, -EPROTO. */
int tls_peer_next_tx_secret(struct tls_peer_pair *pair, enum tls_peer_side side);

/* Push raw TLS record bytes (a TCP payload, any split) into `side`'s read BIO. 0 or -errno. */
int tls_peer_feed(struct tls_peer_pair *pair, enum tls_peer_side side, const void *wire,
		  size_t len);

/*
 * Read plaintext on `side` with SSL_read until `cap` bytes are read or OpenSSL needs more wire.
 * Returns the number of bytes read (0: no complete record with data yet; empty records are consumed
 * silently) or a negative errno:
 *   -EBADMSG    a record failed authentication/decryption
 *               (SSL_R_DECRYPTION_FAILED_OR_BAD_RECORD_MAC): wrong key, nonce, sequence
 *               number, AAD or a corrupted byte;
 *   -EPROTO     any other TLS protocol error (bad header, record overflow, unexpected message...);
 *   -ESHUTDOWN  the peer sent close_notify;
 *   -EIO        anything else.
 * An error that happens after some bytes were read in the same call is returned by the next call.
 * After an error the SSL is dead (OpenSSL queued a fatal alert in this side's write BIO, which
 * take_wire can drain). tls_peer_last_error() describes the error.
 */
ssize_t tls_peer_read(struct tls_peer_pair *pair, enum tls_peer_side side, void *buf, size_t cap);

/* The OpenSSL error of the last failed read/write on `side` ("" if none): its string
 * (ERR_error_string_n, e.g. "error:0A000119:SSL routines::decryption failed or bad record mac")
 * and its packed code (ERR_GET_LIB/ERR_GET_REASON apply; 0 if none). Of the queued errors this is
 * the bad-record-MAC one if any, else the last (TLS-level) one: TLS 1.2 GCM failures queue a
 * provider error ("cipher operation failed") before the SSL one. */
const char *tls_peer_last_error(const struct tls_peer_pair *pair, enum tls_peer_side side);
unsigned long tls_peer_last_error_code(const struct tls_peer_pair *pair, enum tls_peer_side side);

/* Encrypt `len` bytes of plaintext on `side` the normal OpenSSL way (SSL_write; records of at
 * most 16384 bytes of plaintext). The records wait in the side's write BIO. 0 or -errno. */
int tls_peer_write(struct tls_peer_pair *pair, enum tls_peer_side side, const void *plaintext,
		   size_t len);
/* Bytes of wire OpenSSL wrote on `side` not yet taken. */
size_t tls_peer_wire_pending(struct tls_peer_pair *pair, enum tls_peer_side side);
/* Drain up to `cap` bytes of that wire into `buf` (any split; records are not kept whole).
 * Returns the count (0 if nothing is pending) or -errno. */
ssize_t tls_peer_take_wire(struct tls_peer_pair *pair, enum tls_peer_side side, void *buf,
			   size_t cap);

/* Free the shared certificate and key (tests call it in their suite cleanup so that leak checkers
 * see a clean exit). No pair may exist; the next create generates new ones. */
void tls_peer_global_cleanup(void);

/* main() of a test program with one suite of TLS tests: runs `cases` as suite `name`, then frees
 * the shared certificate (tls_peer_global_cleanup) so leak checkers see a clean exit. Returns the
 * process exit status (test_run_suites). */
struct test_case;
int tls_peer_run_suite(const char *name, const struct test_case *cases);

/* ---- kTLS-style records and a software reference encryptor ---- */

/* Size of a record carrying `len` plaintext bytes: header + (1.2) explicit nonce + plaintext +
 * (1.3) inner content type + tag. 0 for a version other than TLS_1_2_VERSION/TLS_1_3_VERSION. */
size_t tls_record_size(uint16_t version, size_t len);
/* Offset of the plaintext inside a record: 13 for TLS 1.2, 5 for TLS 1.3. */
size_t tls_record_pt_offset(uint16_t version);

/*
 * Lay out a plaintext record the way the kernel hands it to a TLS-offload device
 * (tls_fill_prepend): 5-byte header (TLS 1.2: `type`; TLS 1.3: 23), version bytes 03 03, BE16
 * length of everything after the header; TLS 1.2: the 8-byte explicit nonce, which is
 * ci->iv + (rec_seq - ci->rec_seq) as the kernel advances it by one per record (equal to BE64
 * rec_seq when the info was exported with TLS_PEER_EXPORT_SEQ_NONCE); the plaintext; TLS 1.3: the
 * inner content type `type`; then 16 zero bytes where the device writes the tag.
 * `ci` supplies version and iv/rec_seq (the key is not used). Writes tls_record_size() bytes to out
 * and returns that count, or -EINVAL (bad info, or the record length does not fit the 16-bit
 * length field), -ENOSPC (cap too small).
 */
ssize_t tls_record_layout(const struct tls_crypto_info *ci, uint8_t type, uint64_t rec_seq,
			  const void *plaintext, size_t len, void *out, size_t cap);

/*
 * Encrypt, in place, one laid-out record (as above) of `len` bytes (must equal 5 + its header
 * length) whose sequence number is `rec_seq`, straightforwardly with EVP AES-GCM:
 *  TLS 1.2: nonce = salt || explicit nonce read from the record; AAD = BE64 rec_seq || type ||
 *           03 03 || BE16 plaintext length;
 *  TLS 1.3: nonce = (salt || iv) XOR (0^4 || BE64 rec_seq); AAD = the 5-byte header; the
 *           plaintext is the inner plaintext (data || content type).
 * The tag replaces the last 16 bytes. ci->rec_seq is not used. 0 or -EINVAL / -ENOMEM / -EIO.
 */
int tls_record_encrypt_sw(const struct tls_crypto_info *ci, uint64_t rec_seq, void *record,
			  size_t len);

/*
 * The reverse: authenticate and decrypt one record in place. On success the plaintext is at
 * record + tls_record_pt_offset(version), its length is returned and *type (if not NULL) is the
 * content type (TLS 1.3: the inner type, zero padding stripped). Returns -EBADMSG if the tag does
 * not verify (the plaintext area is then zeroed), -EINVAL on a malformed record (or a length that
 * differs from 5 + its header length), -EPROTO for a TLS 1.3 inner plaintext of zeros only.
 */
ssize_t tls_record_decrypt_sw(const struct tls_crypto_info *ci, uint64_t rec_seq, void *record,
			      size_t len, uint8_t *type);

#ifdef __cplusplus
}
#endif
#endif
