/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Keys out of OpenSSL for libmlx5tls: the <linux/tls.h> crypto info of both directions of a TLS
 * 1.2/1.3 AES-GCM connection an OpenSSL SSL negotiated, with the record sequence numbers, and
 * the next keys after a TLS 1.3 KeyUpdate - what mlx5tls_tx_create(), mlx5tls_rx_create(),
 * mlx5tls_tx_rekey() and mlx5tls_rx_rekey() take. See mlx5tls_ssl_capture(3).
 */
#ifndef MLX5TLS_SSL_H
#define MLX5TLS_SSL_H

#include <stddef.h>

#include <mlx5tls/mlx5tls.h>

/* OpenSSL's SSL (typedef struct ssl_st SSL): declared, not included, so that this header needs no
 * OpenSSL development files of its own - the application that calls these has them. */
struct ssl_st;

#ifdef __cplusplus
extern "C" {
#endif

/* The crypto info of one direction, whichever key size. */
union mlx5tls_crypto_info {
	struct tls_crypto_info info;
	struct tls12_crypto_info_aes_gcm_128 gcm128;
	struct tls12_crypto_info_aes_gcm_256 gcm256;
};

enum mlx5tls_ssl_dir {
	MLX5TLS_SSL_TX = 0, /* what this side writes (mlx5tls_tx_create) */
	MLX5TLS_SSL_RX = 1, /* what the peer writes (mlx5tls_rx_create) */
};

/*
 * Capture the secrets of ssl's handshakes: call before the handshake. OpenSSL hands its secrets
 * only to the key-log callback of the SSL_CTX (SSL_CTX_set_keylog_callback): the library
 * installs its own there, chaining a callback the context already had (it still gets every
 * line, e.g. an SSLKEYLOGFILE writer), and keeps what it needs per SSL, never logged. A message
 * callback on ssl (chaining one already set) counts the records written and read under the
 * current keys. The captured secrets are wiped by mlx5tls_ssl_release() or SSL_free().
 * 0, -EINVAL, -ENOMEM.
 */
MLX5TLS_API int mlx5tls_ssl_capture(struct ssl_st *ssl);

/*
 * After the handshake: the crypto info of one direction (TLS 1.2 or 1.3, AES-GCM-128/256):
 * key, salt (the first 4 bytes of the write IV), iv (TLS 1.3: the last 8 bytes of the write IV;
 * TLS 1.2: the record sequence number, the explicit nonce the library's records carry) and
 * rec_seq = the number of the next record under these keys (records OpenSSL already wrote or
 * read with them: TLS 1.2 the Finished, TLS 1.3 e.g. NewSessionTickets). *ci_len gets the size
 * to pass on. The caller wipes ci after use (OPENSSL_cleanse). 0; -EAGAIN (handshake not
 * finished); -ENOKEY (secrets not captured: mlx5tls_ssl_capture() after the handshake started,
 * or released); -EOPNOTSUPP (another version or cipher); -EINVAL.
 */
MLX5TLS_API int mlx5tls_ssl_crypto_info(struct ssl_st *ssl, enum mlx5tls_ssl_dir dir,
					union mlx5tls_crypto_info *ci, size_t *ci_len);

/*
 * TLS 1.3 KeyUpdate processed by the application itself (its records bypass OpenSSL, e.g. the
 * device decrypts them): move that direction to the next traffic secret, RFC 8446 7.2:
 * secret_N+1 = HKDF-Expand-Label(secret_N, "traffic upd", "", Hash.length); the record count
 * restarts at 0. mlx5tls_ssl_crypto_info() then gives the next keys. A KeyUpdate OpenSSL
 * itself writes or reads (SSL_key_update, SSL_read) is followed by the capture on its own: do
 * not call this for those. 0; -EINVAL (TLS 1.2, bad arguments); -ENOKEY; -EIO (KDF failure).
 */
MLX5TLS_API int mlx5tls_ssl_key_update(struct ssl_st *ssl, enum mlx5tls_ssl_dir dir);

/* Wipe and forget ssl's captured secrets now (SSL_free does it too). The key-log callback
 * stays on the SSL_CTX for other SSLs. No-op for an SSL without capture. */
MLX5TLS_API void mlx5tls_ssl_release(struct ssl_st *ssl);

#ifdef __cplusplus
}
#endif

#endif /* MLX5TLS_SSL_H */
