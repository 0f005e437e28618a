/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tls_server: the steps after a control record, in one place. mlx5tls_rx_rekey(),
 * mlx5tls_rx_to_software() and mlx5tls_rx_resume() belong to the RX API of libmlx5tls 0.2 (TLS
 * 1.3 KeyUpdate and hand-back); they are referenced weakly here so this example also links
 * against a library that predates them, where a KeyUpdate from a client then ends that
 * connection (logged) instead of the whole server.
 */
#include <errno.h>

#include <openssl/crypto.h>

#include <mlx5tls/ssl.h>

#include "tls_server_ctl.h"

#pragma weak mlx5tls_rx_rekey
#pragma weak mlx5tls_rx_to_software
#pragma weak mlx5tls_rx_resume

int tls_server_rx_rekey(SSL *ssl, struct mlx5tls_rx *rx)
{
	union mlx5tls_crypto_info ci;
	size_t len;
	int ret;

	if (!mlx5tls_rx_rekey)
		return -ENOSYS;
	ret = mlx5tls_ssl_key_update(ssl, MLX5TLS_SSL_RX);
	if (!ret)
		ret = mlx5tls_ssl_crypto_info(ssl, MLX5TLS_SSL_RX, &ci, &len);
	if (!ret)
		ret = mlx5tls_rx_rekey(rx, &ci.info, len);
	OPENSSL_cleanse(&ci, sizeof(ci));
	return ret;
}

int tls_server_tx_rekey(SSL *ssl, struct mlx5tls_tx *tx, int advance)
{
	union mlx5tls_crypto_info ci;
	size_t len;
	int ret = 0;

	if (advance)
		ret = mlx5tls_ssl_key_update(ssl, MLX5TLS_SSL_TX);
	if (!ret)
		ret = mlx5tls_ssl_crypto_info(ssl, MLX5TLS_SSL_TX, &ci, &len);
	if (!ret)
		ret = mlx5tls_tx_rekey(tx, &ci.info, len);
	OPENSSL_cleanse(&ci, sizeof(ci));
	return ret;
}

int tls_server_rx_handback(struct mlx5tls_rx *rx, uint64_t *count)
{
	int ret;

	if (!mlx5tls_rx_to_software || !mlx5tls_rx_resume)
		return -ENOSYS;
	ret = mlx5tls_rx_to_software(rx, "TLS 1.2 control record");
	if (!ret)
		ret = mlx5tls_rx_resume(rx);
	if (!ret)
		(*count)++;
	return ret;
}
