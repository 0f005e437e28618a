/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The fixture of the inspection tests (tests/test_inspect*.c, mlx5tls-inspect(7)): answers
 * held to the JSON syntax check of json_check.h (RFC 8259); the search helpers and the key
 * check (neither the raw key nor its hex, either case, in what is read back); the publishing
 * client (one socket in a fresh /tmp directory, ask() checks each answer for valid JSON of
 * schema 1 from this process); and a TLS RX context on the model whose records come from a real
 * OpenSSL server (struct rx_fix).
 *
 * Header-only, as tx_queue_fixture.h: the programs reach the library's internals (inspect.h).
 */
#ifndef MLX5TLS_INSPECT_FIXTURE_H
#define MLX5TLS_INSPECT_FIXTURE_H

#include <errno.h>
#include <openssl/ssl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "json_check.h"
#include "test_util.h"
#include "tls_peer.h"
#include "tx_harness.h"

/* ---- helpers ---- */

static inline unsigned int count_of(const char *hay, const char *needle)
{
	unsigned int n = 0;

	for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
		n++;
	return n;
}

static inline bool has(const char *hay, const char *fmt, unsigned long long v)
{
	char needle[128];

	snprintf(needle, sizeof(needle), fmt, v);
	if (strstr(hay, needle))
		return true;
	fprintf(stderr, "\n  missing %s in %s\n", needle, hay);
	return false;
}

static inline const uint8_t *key_of(const struct txh *h, size_t *len)
{
	if (h->ci.info.cipher_type == TLS_CIPHER_AES_GCM_256) {
		*len = sizeof(h->ci.gcm256.key);
		return h->ci.gcm256.key;
	}
	*len = sizeof(h->ci.gcm128.key);
	return h->ci.gcm128.key;
}

/* Neither the raw key nor its hex (either case) appears in s[0..len). */
static inline bool key_absent(const struct txh *h, const char *s, size_t len)
{
	char lower[2 * 32 + 1], upper[2 * 32 + 1];
	size_t klen = 0;
	const uint8_t *key = key_of(h, &klen);

	for (size_t i = 0; i < klen; i++) {
		snprintf(lower + 2 * i, 3, "%02x", key[i]);
		snprintf(upper + 2 * i, 3, "%02X", key[i]);
	}
	return !memmem(s, len, key, klen) && !memmem(s, len, lower, 2 * klen) &&
	       !memmem(s, len, upper, 2 * klen);
}

/* ---- publishing ---- */

static char pub_dir[64];
static char pub_sock[100]; /* fits sun_path */

static inline int client_connect(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = 10 };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -errno;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

/* One answer line (without its newline), malloc'd; NULL on EOF before a newline. */
static inline char *client_read_line(int fd)
{
	size_t len = 0, cap = 4096;
	char *buf = malloc(cap);

	while (buf) {
		ssize_t n;

		if (len + 1 >= cap) {
			char *nb = realloc(buf, cap * 2);

			if (!nb)
				break;
			buf = nb;
			cap *= 2;
		}
		n = recv(fd, buf + len, 1, 0); /* byte by byte: never read past the answer */
		if (n <= 0)
			break;
		if (buf[len] == '\n') {
			buf[len] = '\0';
			return buf;
		}
		len++;
	}
	free(buf);
	return NULL;
}

static inline char *ask_on(int fd, const char *line)
{
	size_t len = strlen(line);

	if (send(fd, line, len, MSG_NOSIGNAL) != (ssize_t)len ||
	    send(fd, "\n", 1, MSG_NOSIGNAL) != 1)
		return NULL;
	return client_read_line(fd);
}

/* One request on a fresh connection; the answer is checked to be valid JSON of schema 1. */
static inline char *ask(const char *line)
{
	char head[64];
	int fd = client_connect(pub_sock);
	char *a;

	CU_ASSERT(fd >= 0);
	if (fd < 0)
		return NULL;
	a = ask_on(fd, line);
	close(fd);
	CU_ASSERT_PTR_NOT_NULL(a);
	if (!a)
		return NULL;
	if (!json_valid(a))
		fprintf(stderr, "\n  invalid JSON for \"%s\": %s\n", line, a);
	CU_ASSERT_TRUE(json_valid(a));
	snprintf(head, sizeof(head), "{\"schema\":1,\"pid\":%d,", (int)getpid());
	CU_ASSERT_EQUAL(strncmp(a, head, strlen(head)), 0);
	return a;
}

static inline bool is_error(const char *a)
{
	char head[64];

	snprintf(head, sizeof(head), "{\"schema\":1,\"pid\":%d,\"error\":\"", (int)getpid());
	return a && !strncmp(a, head, strlen(head));
}

static inline void publish_in_tmp(void)
{
	MLX5TLS_OPTS(mlx5tls_publish_opts, po, .dir = pub_dir);

	snprintf(pub_dir, sizeof(pub_dir), "/tmp/mlx5tls-test-XXXXXX");
	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(pub_dir));
	snprintf(pub_sock, sizeof(pub_sock), "%s/%d.sock", pub_dir, (int)getpid());
	CU_ASSERT_EQUAL_FATAL(mlx5tls_publish_start(&po), 0);
}

static inline void unpublish(void)
{
	struct stat sb;

	CU_ASSERT_EQUAL(mlx5tls_publish_stop(), 0);
	CU_ASSERT_NOT_EQUAL(stat(pub_sock, &sb), 0); /* the socket is gone */
	CU_ASSERT_EQUAL(client_connect(pub_sock), -ENOENT);
	CU_ASSERT_EQUAL(rmdir(pub_dir), 0); /* and nothing else was left in the directory */
}

/* ---- TLS RX contexts ---- */

#define RX_ISN 0x7ffff000u

struct rx_fix {
	struct tls_peer_pair *pair;
	union tls_peer_crypto_info ci;
	uint8_t wire[8192];
	size_t wire_len;
	struct mlx5tls_device *dev;
	struct mlx5tls_pd *pd;
	struct mlx5tls_td *td;
	struct mlx5tls_qp *qp;
	struct mlx5tls_rq *rq;
	struct mlx5tls_tir *tir;
	struct mlx5tls_flow *flow;
	struct mlx5tls_rx *rx;
	size_t got;
};

static inline int rx_count(void *ctx, uint8_t type, const void *pt, size_t len)
{
	struct rx_fix *f = ctx;

	(void)type;
	(void)pt;
	f->got += len;
	return 0;
}

/* Neither the RX key nor its hex in s. */
static inline bool rx_key_absent(const struct rx_fix *f, const char *s)
{
	const uint8_t *key = f->ci.gcm128.key;
	size_t klen = sizeof(f->ci.gcm128.key);
	char lower[2 * 16 + 1], upper[2 * 16 + 1];

	for (size_t i = 0; i < klen; i++) {
		snprintf(lower + 2 * i, 3, "%02x", key[i]);
		snprintf(upper + 2 * i, 3, "%02X", key[i]);
	}
	return !memmem(s, strlen(s), key, klen) && !strstr(s, lower) && !strstr(s, upper);
}

static inline void rx_fix_init(struct rx_fix *f)
{
	struct mlx5tls_qp_opts qo = { .sz = sizeof(qo), .flags = MLX5TLS_QP_F_MODEL_SYNC };
	struct mlx5tls_tir_opts to = { .sz = sizeof(to), .tls_en = true };
	struct mlx5tls_flow_match m = { .ip_version = 4, .src_port = 443, .dst_port = 40000,
					.src_ip = { 198, 18, 0, 2 }, .dst_ip = { 198, 18, 0, 1 } };
	uint8_t pt[1000];
	ssize_t w;

	memset(f, 0, sizeof(*f));
	f->pair = tls_peer_pair_create(TLS1_2_VERSION, 128, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f->pair);
	CU_ASSERT_EQUAL_FATAL(tls_peer_export_tx(f->pair, TLS_PEER_SERVER, 0, &f->ci), 0);
	memset(pt, 0x5a, sizeof(pt));
	for (int r = 0; r < 3; r++)
		CU_ASSERT_EQUAL_FATAL(tls_peer_write(f->pair, TLS_PEER_SERVER, pt, sizeof(pt)), 0);
	w = tls_peer_take_wire(f->pair, TLS_PEER_SERVER, f->wire, sizeof(f->wire));
	CU_ASSERT_FATAL(w > 0);
	f->wire_len = (size_t)w;
	f->dev = mlx5tls_device_open("sim", NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f->dev);
	f->pd = mlx5tls_pd_alloc(f->dev);
	f->td = mlx5tls_td_alloc(f->dev);
	CU_ASSERT_FATAL(f->pd && f->td);
	f->qp = mlx5tls_qp_create(f->pd, f->td, &qo);
	f->rq = mlx5tls_rq_create(f->pd, f->td, NULL);
	CU_ASSERT_FATAL(f->qp && f->rq);
	f->tir = mlx5tls_tir_create(f->rq, f->td, &to);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f->tir);
	f->flow = mlx5tls_flow_create(f->tir, &m);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f->flow);
	f->rx = mlx5tls_rx_create(f->qp, f->tir, &f->ci.info,
				  tls_peer_crypto_info_size(&f->ci.info), RX_ISN, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f->rx);
}

static inline void rx_fix_fini(struct rx_fix *f)
{
	CU_ASSERT_EQUAL(mlx5tls_rx_destroy(f->rx), 0);
	if (f->flow)
		CU_ASSERT_EQUAL(mlx5tls_flow_destroy(f->flow), 0);
	if (f->tir)
		CU_ASSERT_EQUAL(mlx5tls_tir_destroy(f->tir), 0);
	CU_ASSERT_EQUAL(mlx5tls_rq_destroy(f->rq), 0);
	CU_ASSERT_EQUAL(mlx5tls_qp_destroy(f->qp), 0);
	CU_ASSERT_EQUAL(mlx5tls_td_dealloc(f->td), 0);
	CU_ASSERT_EQUAL(mlx5tls_pd_dealloc(f->pd), 0);
	CU_ASSERT_EQUAL(mlx5tls_device_close(f->dev), 0);
	tls_peer_crypto_info_wipe(&f->ci);
	tls_peer_pair_destroy(f->pair);
}

#endif /* MLX5TLS_INSPECT_FIXTURE_H */
