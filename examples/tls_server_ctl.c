/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tls_server: the steps after a control record, in one place: the peer's next key after its
 * KeyUpdate (mlx5tls_rx_rekey), ours after we sent one (mlx5tls_tx_rekey), and the receive
 * direction going on in the library's software path after a TLS 1.2 control record
 * (mlx5tls_rx_to_software, mlx5tls_rx_resume).
 */
#include <openssl/crypto.h>

#include <mlx5tls/ssl.h>

#include "tls_server_ctl.h"

int tls_server_rx_rekey(SSL *ssl, struct mlx5tls_rx *rx)
{
	union mlx5tls_crypto_info ci;
	size_t len;
	int ret;

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

	ret = mlx5tls_rx_to_software(rx, "TLS 1.2 control record");
	if (!ret)
		ret = mlx5tls_rx_resume(rx);
	if (!ret)
		(*count)++;
	return ret;
}
