/* SPDX-License-Identifier: BSD-3-Clause */
/* tls_server: the TLS 1.3 KeyUpdate and hand-back steps (see tls_server_ctl.c). */
#ifndef TLS_SERVER_CTL_H
#define TLS_SERVER_CTL_H

#include <stdint.h>

#include <openssl/ssl.h>

#include <mlx5tls/mlx5tls.h>

/* The peer's next keys (it sent a KeyUpdate) to the RX context. 0 or -errno. */
int tls_server_rx_rekey(SSL *ssl, struct mlx5tls_rx *rx);
/* This side's next keys (its KeyUpdate record has been sent) to the TX context. advance: move
 * the captured secret on (false when OpenSSL itself wrote a KeyUpdate and the capture followed
 * it already). */
int tls_server_tx_rekey(SSL *ssl, struct mlx5tls_tx *tx, int advance);
/* A TLS 1.2 control record stopped the RX context: verify the rest in software, go on. */
int tls_server_rx_handback(struct mlx5tls_rx *rx, uint64_t *count);

#endif
