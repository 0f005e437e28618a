/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The connection and label of a TLS context (struct mlx5tls_conn), for inspection. Written once -
 * at creation, or by the datapath when it learns the connection from the first frame - and read
 * by the publisher thread: the fields are complete before `source` is stored with release order,
 * and a reader that loads a non-zero source with acquire order sees them whole. Never changed
 * afterwards.
 */
#ifndef MLX5TLS_CONN_H
#define MLX5TLS_CONN_H

#include <stdatomic.h>
#include <stdint.h>

#include "mlx5tls/mlx5tls.h"

struct conn_id {
	struct mlx5tls_conn c;
	atomic_uchar source; /* enum mlx5tls_conn_source */
	atomic_uchar claimed; /* the one writer of c took it */
	char label[MLX5TLS_LABEL_MAX];
};

/* From the opts at creation: conn (NULL: unknown) and label (NULL: none; non-printable bytes
 * become '?'). -EINVAL for a conn whose ip_version is neither 4 nor 6. */
int conn_init(struct conn_id *id, const struct mlx5tls_conn *conn, const char *label);

/* Learn the connection from a frame this side sends (Ethernet, IPv4/IPv6, TCP): source is the
 * local end. Does nothing once the connection is known or if the frame is not TCP over IP. */
void conn_learn_tx_frame(struct conn_id *id, const uint8_t *frame, uint32_t len);

/* Set the connection (with its source) unless it is known already. */
void conn_set(struct conn_id *id, const struct mlx5tls_conn *conn, enum mlx5tls_conn_source src);

/* The connection as inspection reports it. */
void conn_read(const struct conn_id *id, struct mlx5tls_conn *out,
	       enum mlx5tls_conn_source *source, char label[MLX5TLS_LABEL_MAX]);

#endif
