/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <string.h>

#include "conn.h"
#include "frame.h"

int conn_init(struct conn_id *id, const struct mlx5tls_conn *conn, const char *label)
{
	size_t i = 0;

	memset(&id->c, 0, sizeof(id->c));
	memset(id->label, 0, sizeof(id->label));
	atomic_init(&id->source, MLX5TLS_CONN_UNKNOWN);
	atomic_init(&id->claimed, 0);
	if (conn) {
		if (conn->ip_version != 4 && conn->ip_version != 6)
			return -EINVAL;
		id->c = *conn;
		atomic_store_explicit(&id->claimed, 1, memory_order_relaxed);
		atomic_store_explicit(&id->source, MLX5TLS_CONN_GIVEN, memory_order_release);
	}
	for (; label && label[i] && i < sizeof(id->label) - 1; i++)
		id->label[i] = label[i] >= 0x20 && label[i] < 0x7f ? label[i] : '?';
	return 0;
}

void conn_set(struct conn_id *id, const struct mlx5tls_conn *conn, enum mlx5tls_conn_source src)
{
	if (atomic_exchange_explicit(&id->claimed, 1, memory_order_acq_rel))
		return; /* known, or another thread is writing it */
	id->c = *conn;
	atomic_store_explicit(&id->source, (unsigned char)src, memory_order_release);
}

void conn_learn_tx_frame(struct conn_id *id, const uint8_t *f, uint32_t len)
{
	struct mlx5tls_conn c = { 0 };
	struct frame_info fi;
	const uint8_t *ip, *tcp;

	if (atomic_load_explicit(&id->claimed, memory_order_relaxed))
		return;
	if (frame_parse(f, len, true, &fi) || !fi.tcp || !fi.l4_off)
		return;
	ip = f + fi.l3_off;
	tcp = f + fi.l4_off;
	if (fi.ipv4) {
		c.ip_version = 4;
		memcpy(c.local_ip, ip + 12, 4);
		memcpy(c.remote_ip, ip + 16, 4);
	} else if (fi.ipv6) {
		c.ip_version = 6;
		memcpy(c.local_ip, ip + 8, 16);
		memcpy(c.remote_ip, ip + 24, 16);
	} else {
		return;
	}
	c.local_port = (uint16_t)(tcp[0] << 8 | tcp[1]);
	c.remote_port = (uint16_t)(tcp[2] << 8 | tcp[3]);
	conn_set(id, &c, MLX5TLS_CONN_FRAME);
}

void conn_read(const struct conn_id *id, struct mlx5tls_conn *out,
	       enum mlx5tls_conn_source *source, char label[MLX5TLS_LABEL_MAX])
{
	unsigned char src = atomic_load_explicit(&id->source, memory_order_acquire);

	memset(out, 0, sizeof(*out));
	if (src != MLX5TLS_CONN_UNKNOWN)
		*out = id->c;
	*source = (enum mlx5tls_conn_source)src;
	memcpy(label, id->label, MLX5TLS_LABEL_MAX);
}
