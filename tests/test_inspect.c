/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Inspection: mlx5tls_tx_inspect() on device- and software-path contexts (the DEK and the TIS
 * read back from the model), the context walk, and publishing (mlx5tls-inspect(7)): the socket
 * and its directory, every command answered with valid JSON carrying the right values, filters,
 * errors, and never a byte of the connection's key in any answer.
 */
#include <errno.h>
#include <fcntl.h>
#include <openssl/ssl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "inspect.h"
#include "test_util.h"
#include "tls_peer.h"
#include "tx_harness.h"

/* ---- a minimal JSON syntax check (RFC 8259): one value, nothing after it ---- */

static const char *js_value(const char *p, int depth);

static const char *js_ws(const char *p)
{
	while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
		p++;
	return p;
}

static const char *js_string(const char *p)
{
	if (*p != '"')
		return NULL;
	for (p++; *p != '"'; p++) {
		if ((unsigned char)*p < 0x20)
			return NULL;
		if (*p != '\\')
			continue;
		p++;
		if (*p == 'u') {
			for (int i = 1; i <= 4; i++)
				if (!strchr("0123456789abcdefABCDEF", p[i]) || !p[i])
					return NULL;
			p += 4;
		} else if (!*p || !strchr("\"\\/bfnrt", *p)) {
			return NULL;
		}
	}
	return p + 1;
}

static const char *js_digits(const char *p)
{
	const char *s = p;

	while (*p >= '0' && *p <= '9')
		p++;
	return p > s ? p : NULL;
}

static const char *js_number(const char *p)
{
	if (*p == '-')
		p++;
	if (*p == '0')
		p++;
	else if (!(p = js_digits(p)))
		return NULL;
	if (*p == '.' && !(p = js_digits(p + 1)))
		return NULL;
	if (*p == 'e' || *p == 'E') {
		p++;
		if (*p == '+' || *p == '-')
			p++;
		p = js_digits(p);
	}
	return p;
}

static const char *js_container(const char *p, int depth, bool object)
{
	char close = object ? '}' : ']';

	p = js_ws(p + 1);
	if (*p == close)
		return p + 1;
	for (;;) {
		if (object) {
			p = js_string(js_ws(p));
			if (!p)
				return NULL;
			p = js_ws(p);
			if (*p++ != ':')
				return NULL;
		}
		p = js_value(p, depth + 1);
		if (!p)
			return NULL;
		p = js_ws(p);
		if (*p == close)
			return p + 1;
		if (*p++ != ',')
			return NULL;
	}
}

static const char *js_value(const char *p, int depth)
{
	if (depth > 64)
		return NULL;
	p = js_ws(p);
	switch (*p) {
	case '{':
		return js_container(p, depth, true);
	case '[':
		return js_container(p, depth, false);
	case '"':
		return js_string(p);
	case 't':
		return strncmp(p, "true", 4) ? NULL : p + 4;
	case 'f':
		return strncmp(p, "false", 5) ? NULL : p + 5;
	case 'n':
		return strncmp(p, "null", 4) ? NULL : p + 4;
	default:
		return js_number(p);
	}
}

static bool json_valid(const char *s)
{
	const char *end = js_value(s, 0);

	return end && *js_ws(end) == '\0';
}

static void test_json_check(void)
{
	static const char *const good[] = { "{}", "[]", "{\"a\":[1,-2.5e3,true,null,\"\\u00e9\"]}",
					    " {\"k\" : { } } \n" };
	static const char *const bad[] = { "", "{", "{\"a\":}", "[1,]", "{\"a\" 1}", "\"\x01\"",
					   "{} {}", "01", "[tru]" };

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		CU_ASSERT_TRUE(json_valid(good[i]));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CU_ASSERT_FALSE(json_valid(bad[i]));
}

/* ---- helpers ---- */

static unsigned int count_of(const char *hay, const char *needle)
{
	unsigned int n = 0;

	for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
		n++;
	return n;
}

static bool has(const char *hay, const char *fmt, unsigned long long v)
{
	char needle[128];

	snprintf(needle, sizeof(needle), fmt, v);
	if (strstr(hay, needle))
		return true;
	fprintf(stderr, "\n  missing %s in %s\n", needle, hay);
	return false;
}

static const uint8_t *key_of(const struct txh *h, size_t *len)
{
	if (h->ci.info.cipher_type == TLS_CIPHER_AES_GCM_256) {
		*len = sizeof(h->ci.gcm256.key);
		return h->ci.gcm256.key;
	}
	*len = sizeof(h->ci.gcm128.key);
	return h->ci.gcm128.key;
}

/* Neither the raw key nor its hex (either case) appears in s[0..len). */
static bool key_absent(const struct txh *h, const char *s, size_t len)
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

static int tx_count_cb(struct mlx5tls_tx *tx, void *arg)
{
	(void)tx;
	(*(unsigned int *)arg)++;
	return 0;
}

static int tx_stop_cb(struct mlx5tls_tx *tx, void *arg)
{
	(void)tx;
	(*(unsigned int *)arg)++;
	return 7;
}

/* ---- mlx5tls_tx_inspect ---- */

static void test_inspect_device_path(void)
{
	struct txh_opts o = { .tls_version = TLS1_3_VERSION, .key_bits = 128, .isn = 1000 };
	struct mlx5tls_tx_state st;
	struct mlx5tls_tx_info info;
	struct mlx5tls_qp_attr qa;
	struct txh h;
	uint8_t *pt = txh_pattern(6000, 3);

	CU_ASSERT_PTR_NOT_NULL_FATAL(pt);
	CU_ASSERT_EQUAL_FATAL(txh_init(&h, &o), 0);
	txh_add_records(&h, pt, 6000, 4000);
	CU_ASSERT_EQUAL(txh_send_segments(&h, 0, h.stream_len, 1400), 0);
	CU_ASSERT(txh_drain(&h) > 0);
	CU_ASSERT_EQUAL(txh_check_plaintext(&h, pt, 6000), 0);

	memset(&st, 0xa5, sizeof(st));
	memset(&info, 0, sizeof(info));
	memset(&qa, 0, sizeof(qa));
	CU_ASSERT_EQUAL_FATAL(mlx5tls_tx_inspect(h.tx, &st, sizeof(st)), 0);
	CU_ASSERT_EQUAL(mlx5tls_tx_query(h.tx, &info, sizeof(info)), 0);
	CU_ASSERT_EQUAL(mlx5tls_qp_query(h.qp, &qa, sizeof(qa)), 0);
	CU_ASSERT(st.id > 0);
	CU_ASSERT_EQUAL(st.sqn, qa.sqn);
	CU_ASSERT_EQUAL(st.path, MLX5TLS_TX_PATH_DEVICE);
	CU_ASSERT_STRING_EQUAL(st.reason, "");
	CU_ASSERT_EQUAL(st.tls_version, TLS_1_3_VERSION);
	CU_ASSERT_EQUAL(st.cipher_type, TLS_CIPHER_AES_GCM_128);
	/* what tx_query says, field for field */
	CU_ASSERT_EQUAL(st.start_tcp_sn, info.start_tcp_sn);
	CU_ASSERT_EQUAL(st.next_tcp_sn, info.next_tcp_sn);
	CU_ASSERT_EQUAL(st.next_tcp_sn, 1000 + h.stream_len);
	CU_ASSERT_EQUAL(st.expected_tcp_sn, info.expected_tcp_sn);
	CU_ASSERT_EQUAL(st.next_record, info.next_record);
	CU_ASSERT_EQUAL(st.next_record_tcp_sn, info.next_record_tcp_sn);
	CU_ASSERT_EQUAL(st.record_offset, info.record_offset);
	CU_ASSERT_EQUAL(st.records_held, info.records_held);
	CU_ASSERT_EQUAL(st.encrypted_packets, info.encrypted_packets);
	CU_ASSERT(st.encrypted_packets > 0);
	CU_ASSERT_EQUAL(st.encrypted_bytes, info.encrypted_bytes);
	/* the DEK and the TIS as the device holds them */
	CU_ASSERT_TRUE(st.has_dek);
	CU_ASSERT_EQUAL(st.dek_error, 0);
	CU_ASSERT_EQUAL(st.dek_id, info.dek_id);
	CU_ASSERT_FALSE(st.dek_pooled);
	CU_ASSERT_EQUAL(st.dek_state, 0);
	CU_ASSERT_EQUAL(st.dek_key_bits, 128);
	CU_ASSERT_EQUAL(st.dek_key_purpose, 1);
	CU_ASSERT_EQUAL(st.dek_pd, mlx5tls_pd_num(h.pd));
	CU_ASSERT_TRUE(st.has_tis);
	CU_ASSERT_EQUAL(st.tis_error, 0);
	CU_ASSERT_EQUAL(st.tisn, info.tisn);
	CU_ASSERT_TRUE(st.tis_tls_en);
	CU_ASSERT_FALSE(st.tis_pooled);
	CU_ASSERT_EQUAL(st.tis_pd, mlx5tls_pd_num(h.pd));
	CU_ASSERT_EQUAL(st.tis_transport_domain, mlx5tls_td_num(h.td));
	CU_ASSERT_FALSE(st.progress_available);
	CU_ASSERT_STRING_EQUAL(st.progress_reason, "GET_PSV is documented for TIRs (RX) only");
	CU_ASSERT_TRUE(key_absent(&h, (const char *)&st, sizeof(st)));

	/* an older caller's shorter struct: only its bytes are written */
	memset(&st, 0x5a, sizeof(st));
	CU_ASSERT_EQUAL(mlx5tls_tx_inspect(h.tx, &st, offsetof(struct mlx5tls_tx_state, device)),
			0);
	CU_ASSERT(st.id > 0);
	CU_ASSERT_EQUAL((uint8_t)st.device[0], 0x5a);

	CU_ASSERT_EQUAL(mlx5tls_tx_inspect(NULL, &st, sizeof(st)), -EINVAL);
	CU_ASSERT_EQUAL(errno, EINVAL);
	CU_ASSERT_EQUAL(mlx5tls_tx_inspect(h.tx, NULL, sizeof(st)), -EINVAL);
	txh_fini(&h);
	free(pt);
}

static void test_inspect_software_path(void)
{
	struct txh_opts o = { .tls_version = TLS1_2_VERSION, .key_bits = 256, .isn = 7,
			      .tx_flags = MLX5TLS_TX_F_SOFTWARE };
	struct mlx5tls_tx_state st;
	struct txh h;

	CU_ASSERT_EQUAL_FATAL(txh_init(&h, &o), 0);
	memset(&st, 0xa5, sizeof(st));
	CU_ASSERT_EQUAL_FATAL(mlx5tls_tx_inspect(h.tx, &st, sizeof(st)), 0);
	CU_ASSERT_EQUAL(st.path, MLX5TLS_TX_PATH_SOFTWARE);
	CU_ASSERT_STRING_EQUAL(st.reason, "software path requested");
	CU_ASSERT_EQUAL(st.tls_version, TLS_1_2_VERSION);
	CU_ASSERT_EQUAL(st.cipher_type, TLS_CIPHER_AES_GCM_256);
	CU_ASSERT_FALSE(st.has_dek);
	CU_ASSERT_EQUAL(st.dek_id, 0);
	CU_ASSERT_EQUAL(st.dek_key_bits, 0);
	CU_ASSERT_FALSE(st.has_tis);
	CU_ASSERT_EQUAL(st.tisn, 0);
	CU_ASSERT_EQUAL(st.start_tcp_sn, 7);
	CU_ASSERT_FALSE(st.progress_available);
	CU_ASSERT_TRUE(key_absent(&h, (const char *)&st, sizeof(st)));
	txh_fini(&h);
}

/* The connection and label of a context: given in the opts (kept as given), refused when bad. */
static void test_conn_and_label(void)
{
	struct txh_opts o = { .tls_version = TLS1_3_VERSION, .key_bits = 128 };
	struct mlx5tls_conn c6 = { .ip_version = 6, .local_port = 8443, .remote_port = 61000 };
	struct mlx5tls_conn bad = { .ip_version = 5 };
	MLX5TLS_OPTS(mlx5tls_tx_opts, given, .flags = MLX5TLS_TX_F_SOFTWARE, .conn = &c6,
		     .label = "edge\x01proxy/a-label-longer-than-thirty-one-bytes");
	MLX5TLS_OPTS(mlx5tls_tx_opts, refused, .conn = &bad);
	struct mlx5tls_tx_state st;
	struct mlx5tls_tx *tx2;
	struct txh h;

	c6.local_ip[0] = 0x20;
	c6.local_ip[1] = 0x01;
	c6.local_ip[15] = 1;
	c6.remote_ip[0] = 0x20;
	c6.remote_ip[1] = 0x01;
	c6.remote_ip[15] = 2;
	CU_ASSERT_EQUAL_FATAL(txh_init(&h, &o), 0);
	tx2 = mlx5tls_tx_create(h.qp, &h.ci.info, tls_peer_crypto_info_size(&h.ci.info), 0, &given);
	CU_ASSERT_PTR_NOT_NULL_FATAL(tx2);
	c6.local_port = 1; /* copied at creation: later changes of the caller's struct do not show */
	CU_ASSERT_EQUAL(mlx5tls_tx_inspect(tx2, &st, sizeof(st)), 0);
	CU_ASSERT_EQUAL(st.conn_source, MLX5TLS_CONN_GIVEN);
	CU_ASSERT_EQUAL(st.conn.ip_version, 6);
	CU_ASSERT_EQUAL(st.conn.local_port, 8443);
	CU_ASSERT_EQUAL(st.conn.remote_port, 61000);
	CU_ASSERT_EQUAL(st.conn.local_ip[15], 1);
	CU_ASSERT_EQUAL(st.conn.remote_ip[15], 2);
	/* printable only, cut to MLX5TLS_LABEL_MAX - 1 */
	CU_ASSERT_STRING_EQUAL(st.label, "edge?proxy/a-label-longer-than-");
	CU_ASSERT_EQUAL(strlen(st.label), MLX5TLS_LABEL_MAX - 1);
	CU_ASSERT_EQUAL(mlx5tls_tx_destroy(tx2), 0);

	errno = 0;
	CU_ASSERT_PTR_NULL(mlx5tls_tx_create(h.qp, &h.ci.info,
					     tls_peer_crypto_info_size(&h.ci.info), 0, &refused));
	CU_ASSERT_EQUAL(errno, EINVAL);
	txh_fini(&h);
}

static void test_foreach_and_ids(void)
{
	struct txh_opts o = { .tls_version = TLS1_3_VERSION, .key_bits = 128 };
	MLX5TLS_OPTS(mlx5tls_tx_opts, sw, .flags = MLX5TLS_TX_F_SOFTWARE);
	struct mlx5tls_tx_state a, b;
	struct mlx5tls_tx *tx2;
	unsigned int n = 0;
	struct txh h;

	CU_ASSERT_EQUAL_FATAL(txh_init(&h, &o), 0);
	tx2 = mlx5tls_tx_create(h.qp, &h.ci.info, tls_peer_crypto_info_size(&h.ci.info), 0, &sw);
	CU_ASSERT_PTR_NOT_NULL_FATAL(tx2);
	CU_ASSERT_EQUAL(mlx5tls_tx_inspect(h.tx, &a, sizeof(a)), 0);
	CU_ASSERT_EQUAL(mlx5tls_tx_inspect(tx2, &b, sizeof(b)), 0);
	CU_ASSERT(b.id > a.id); /* assigned at creation, in order, never reused */

	CU_ASSERT_EQUAL(mlx5tls_device_foreach_tx(h.dev, tx_count_cb, &n), 0);
	CU_ASSERT_EQUAL(n, 2);
	n = 0;
	CU_ASSERT_EQUAL(mlx5tls_device_foreach_tx(h.dev, tx_stop_cb, &n), 7);
	CU_ASSERT_EQUAL(n, 1);
	CU_ASSERT_EQUAL(mlx5tls_device_foreach_tx(NULL, tx_count_cb, &n), -EINVAL);
	CU_ASSERT_EQUAL(mlx5tls_device_foreach_tx(h.dev, NULL, &n), -EINVAL);

	CU_ASSERT_EQUAL(mlx5tls_tx_destroy(tx2), 0);
	n = 0;
	CU_ASSERT_EQUAL(mlx5tls_device_foreach_tx(h.dev, tx_count_cb, &n), 0);
	CU_ASSERT_EQUAL(n, 1);
	txh_fini(&h);
}

/* A walk in steps: the hook runs between them with no lock held, and creates and destroys a
 * context there, as another thread could; every context live throughout is seen once. */
enum { STEP_CTXS = 200 };

struct step_walk {
	struct txh *h;
	struct mlx5tls_tx *cs[STEP_CTXS];
	unsigned int visits[STEP_CTXS + 2]; /* cs[], then h->tx, then the late one */
	struct mlx5tls_tx *late;
	unsigned int steps, lock_free, stray;
};

/* cppcheck-suppress constParameter ; the signature is mlx5tls_device_foreach_tx's callback */
static int step_visit_cb(struct mlx5tls_tx *tx, void *arg)
{
	struct step_walk *w = arg;

	for (unsigned int i = 0; i < STEP_CTXS; i++)
		if (w->cs[i] == tx) {
			w->visits[i]++;
			return 0;
		}
	if (tx == w->h->tx)
		w->visits[STEP_CTXS]++;
	else if (tx == w->late)
		w->visits[STEP_CTXS + 1]++;
	else
		w->stray++;
	return 0;
}

static void step_hook(void *arg)
{
	MLX5TLS_OPTS(mlx5tls_tx_opts, sw, .flags = MLX5TLS_TX_F_SOFTWARE);
	struct step_walk *w = arg;
	struct txh *h = w->h;
	unsigned int held = 0;

	for (unsigned int i = 0; i < CTX_SHARDS; i++) {
		if (pthread_mutex_trylock(&h->dev->ctx_shards[i].lock) == 0)
			pthread_mutex_unlock(&h->dev->ctx_shards[i].lock);
		else
			held++;
	}
	if (!held)
		w->lock_free++;
	if (w->steps++ || w->lock_free != 1)
		return;
	/* the last one is not visited yet (slots go up); its slot goes to a new context */
	CU_ASSERT_EQUAL(mlx5tls_tx_destroy(w->cs[STEP_CTXS - 1]), 0);
	w->cs[STEP_CTXS - 1] = NULL;
	w->late = mlx5tls_tx_create(h->qp, &h->ci.info, tls_peer_crypto_info_size(&h->ci.info), 0,
				    &sw);
	CU_ASSERT_PTR_NOT_NULL(w->late);
}

static void test_foreach_steps(void)
{
	MLX5TLS_OPTS(mlx5tls_tx_opts, sw, .flags = MLX5TLS_TX_F_SOFTWARE);
	struct txh_opts o = { .tls_version = TLS1_3_VERSION, .key_bits = 128 };
	struct step_walk *w = calloc(1, sizeof(*w));
	struct txh h;

	CU_ASSERT_PTR_NOT_NULL_FATAL(w);
	CU_ASSERT_EQUAL_FATAL(txh_init(&h, &o), 0);
	w->h = &h;
	for (unsigned int i = 0; i < STEP_CTXS; i++) {
		w->cs[i] = mlx5tls_tx_create(h.qp, &h.ci.info,
					     tls_peer_crypto_info_size(&h.ci.info), 0, &sw);
		CU_ASSERT_PTR_NOT_NULL_FATAL(w->cs[i]);
	}
	inspect_set_foreach_step_hook(step_hook, w);
	CU_ASSERT_EQUAL(mlx5tls_device_foreach_tx(h.dev, step_visit_cb, w), 0);
	inspect_set_foreach_step_hook(NULL, NULL);
	/* 201 contexts in steps of at most 32: the lock was free at every step's end */
	CU_ASSERT(w->steps >= (STEP_CTXS + 1) / 32);
	CU_ASSERT_EQUAL(w->lock_free, w->steps);
	CU_ASSERT_EQUAL(w->stray, 0);
	for (unsigned int i = 0; i < STEP_CTXS - 1; i++)
		CU_ASSERT_EQUAL(w->visits[i], 1);
	CU_ASSERT_EQUAL(w->visits[STEP_CTXS - 1], 0); /* destroyed before its turn */
	CU_ASSERT_EQUAL(w->visits[STEP_CTXS], 1);
	CU_ASSERT(w->visits[STEP_CTXS + 1] <= 1); /* created during the walk: may be seen, once */
	for (unsigned int i = 0; i < STEP_CTXS; i++)
		if (w->cs[i])
			CU_ASSERT_EQUAL(mlx5tls_tx_destroy(w->cs[i]), 0);
	if (w->late)
		CU_ASSERT_EQUAL(mlx5tls_tx_destroy(w->late), 0);
	txh_fini(&h);
	free(w);
}

/* ---- publishing ---- */

static char pub_dir[64];
static char pub_sock[100]; /* fits sun_path */

static int client_connect(const char *path)
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
static char *client_read_line(int fd)
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

static char *ask_on(int fd, const char *line)
{
	size_t len = strlen(line);

	if (send(fd, line, len, MSG_NOSIGNAL) != (ssize_t)len ||
	    send(fd, "\n", 1, MSG_NOSIGNAL) != 1)
		return NULL;
	return client_read_line(fd);
}

/* One request on a fresh connection; the answer is checked to be valid JSON of schema 1. */
static char *ask(const char *line)
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

static bool is_error(const char *a)
{
	char head[64];

	snprintf(head, sizeof(head), "{\"schema\":1,\"pid\":%d,\"error\":\"", (int)getpid());
	return a && !strncmp(a, head, strlen(head));
}

static void publish_in_tmp(void)
{
	MLX5TLS_OPTS(mlx5tls_publish_opts, po, .dir = pub_dir);

	snprintf(pub_dir, sizeof(pub_dir), "/tmp/mlx5tls-test-XXXXXX");
	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(pub_dir));
	snprintf(pub_sock, sizeof(pub_sock), "%s/%d.sock", pub_dir, (int)getpid());
	CU_ASSERT_EQUAL_FATAL(mlx5tls_publish_start(&po), 0);
}

static void unpublish(void)
{
	struct stat sb;

	CU_ASSERT_EQUAL(mlx5tls_publish_stop(), 0);
	CU_ASSERT_NOT_EQUAL(stat(pub_sock, &sb), 0); /* the socket is gone */
	CU_ASSERT_EQUAL(client_connect(pub_sock), -ENOENT);
	CU_ASSERT_EQUAL(rmdir(pub_dir), 0); /* and nothing else was left in the directory */
}

/* Every answer that could carry it, asked while the contexts live. */
static void expect_no_key(const struct txh *h)
{
	static const char *const cmds[] = { "info", "dev", "qp", "ctx", "dek", "tis",
					    "tir",  "pool", "stat" };

	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		char *a = ask(cmds[i]);

		CU_ASSERT_PTR_NOT_NULL(a);
		if (a) {
			CU_ASSERT_FALSE(is_error(a));
			CU_ASSERT_TRUE(key_absent(h, a, strlen(a)));
		}
		free(a);
	}
}

static void test_publish(void)
{
	struct txh_opts o = { .tls_version = TLS1_3_VERSION, .key_bits = 256, .isn = 5000 };
	MLX5TLS_OPTS(mlx5tls_tx_opts, sw, .flags = MLX5TLS_TX_F_SOFTWARE);
	struct mlx5tls_tx_state dst, sst, pst;
	struct mlx5tls_dek_pool *dpool;
	struct mlx5tls_tis_pool *tpool;
	struct mlx5tls_device_attr da;
	struct mlx5tls_qp_attr qa;
	struct mlx5tls_tx *swtx, *pooltx;
	struct stat sb;
	uint8_t *pt = txh_pattern(3000, 9);
	char *a;
	struct txh h;
	int fd;

	CU_ASSERT_PTR_NOT_NULL_FATAL(pt);
	CU_ASSERT_EQUAL_FATAL(txh_init(&h, &o), 0);
	txh_add_records(&h, pt, 3000, 1000);
	CU_ASSERT_EQUAL(txh_send_segments(&h, 0, h.stream_len, 1200), 0);
	CU_ASSERT(txh_drain(&h) > 0);
	swtx = mlx5tls_tx_create(h.qp, &h.ci.info, tls_peer_crypto_info_size(&h.ci.info), 1, &sw);
	CU_ASSERT_PTR_NOT_NULL_FATAL(swtx);
	dpool = mlx5tls_dek_pool_create(h.pd, NULL);
	tpool = mlx5tls_tis_pool_create(h.pd, h.td, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(dpool);
	CU_ASSERT_PTR_NOT_NULL_FATAL(tpool);
	{
		MLX5TLS_OPTS(mlx5tls_tx_opts, po, .dek_pool = dpool, .tis_pool = tpool);

		pooltx = mlx5tls_tx_create(h.qp, &h.ci.info,
					   tls_peer_crypto_info_size(&h.ci.info), 2, &po);
	}
	CU_ASSERT_PTR_NOT_NULL_FATAL(pooltx);
	CU_ASSERT_EQUAL(mlx5tls_tx_inspect(h.tx, &dst, sizeof(dst)), 0);
	CU_ASSERT_EQUAL(mlx5tls_tx_inspect(swtx, &sst, sizeof(sst)), 0);
	CU_ASSERT_EQUAL(mlx5tls_tx_inspect(pooltx, &pst, sizeof(pst)), 0);
	CU_ASSERT_EQUAL(mlx5tls_device_query(h.dev, &da), 0);
	CU_ASSERT_EQUAL(mlx5tls_qp_query(h.qp, &qa, sizeof(qa)), 0);

	publish_in_tmp();
	{
		MLX5TLS_OPTS(mlx5tls_publish_opts, again, .dir = pub_dir);

		CU_ASSERT_EQUAL(mlx5tls_publish_start(&again), -EALREADY);
	}
	/* the directory 0700, the socket 0600 */
	CU_ASSERT_EQUAL_FATAL(stat(pub_dir, &sb), 0);
	CU_ASSERT_EQUAL(sb.st_mode & 07777, 0700);
	CU_ASSERT_EQUAL_FATAL(lstat(pub_sock, &sb), 0);
	CU_ASSERT_TRUE(S_ISSOCK(sb.st_mode));
	CU_ASSERT_EQUAL(sb.st_mode & 07777, 0600);
	CU_ASSERT_EQUAL(sb.st_uid, geteuid());

	a = ask("info");
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_PTR_NOT_NULL(strstr(a, "\"program\":\"test_inspect\""));
	CU_ASSERT_PTR_NOT_NULL(strstr(a, "\"library\":\"0.3.0\""));
	{
		char dev[96];

		snprintf(dev, sizeof(dev), "\"devices\":[\"%s\"]", da.name);
		CU_ASSERT_PTR_NOT_NULL(strstr(a, dev));
	}
	free(a);

	a = ask("dev");
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_PTR_NOT_NULL(strstr(a, "\"kind\":\"model\",\"transport\":\"sim\""));
	CU_ASSERT_PTR_NOT_NULL(strstr(a, "\"caps\":{\"summary\":\"tx rx; 1.2/1.3 x "
					 "aes-gcm-128/256; bulk-dek; dek-sync\",\"tls_tx\":true"));
	CU_ASSERT_PTR_NOT_NULL(strstr(a, "\"tls1.3-aes-gcm-256\""));
	CU_ASSERT_PTR_NOT_NULL(strstr(a, "\"qps\":1,\"tx_contexts\":3}"));
	free(a);

	a = ask("qp");
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_TRUE(has(a, "\"sqn\":%llu", qa.sqn));
	CU_ASSERT_TRUE(has(a, "\"cqn\":%llu", qa.cqn));
	CU_ASSERT_TRUE(has(a, "\"wqebbs\":%llu", qa.wqebbs));
	CU_ASSERT_PTR_NOT_NULL(strstr(a, "\"tls_contexts\":3,"));
	CU_ASSERT_EQUAL(count_of(a, "\"sqn\":"), 1);
	free(a);

	a = ask("ctx");
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_EQUAL(count_of(a, "\"dir\":\"tx\""), 3);
	CU_ASSERT_TRUE(has(a, "{\"id\":%llu,", dst.id));
	CU_ASSERT_TRUE(has(a, "{\"id\":%llu,", sst.id));
	CU_ASSERT_TRUE(has(a, "{\"id\":%llu,", pst.id));
	free(a);

	/* the device-path context, alone */
	{
		char req[64];

		snprintf(req, sizeof(req), "ctx id %llu", (unsigned long long)dst.id);
		a = ask(req);
	}
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_EQUAL(count_of(a, "\"dir\":\"tx\""), 1);
	CU_ASSERT_TRUE(has(a, "\"contexts\":[{\"id\":%llu,", dst.id));
	CU_ASSERT_TRUE(has(a, "\"sqn\":%llu,\"tls_version\":\"1.3\",\"cipher\":\"aes-gcm-256\","
			      "\"path\":\"device\",\"reason\":\"\"", qa.sqn));
	/* the connection, learnt from the first frame's headers (this side is the source) */
	CU_ASSERT_PTR_NOT_NULL(strstr(a, "\"conn\":{\"ip_version\":4,"
					 "\"local\":\"10.0.0.1\",\"local_port\":443,"
					 "\"remote\":\"10.0.0.2\",\"remote_port\":40000,"
					 "\"source\":\"frame\"},\"label\":\"\""));
	CU_ASSERT_TRUE(has(a, "\"dek\":{\"id\":%llu,\"query\":{\"state\":\"ready\","
			      "\"key_bits\":256,\"key_purpose\":\"tls\"", dst.dek_id));
	CU_ASSERT_TRUE(has(a, "\"key_purpose\":\"tls\",\"pd\":%llu,\"pooled\":false}",
			   mlx5tls_pd_num(h.pd)));
	CU_ASSERT_TRUE(has(a, "\"tis\":{\"tisn\":%llu,\"query\":{\"tls_en\":true", dst.tisn));
	CU_ASSERT_TRUE(has(a, "\"tls_en\":true,\"pd\":%llu,", mlx5tls_pd_num(h.pd)));
	CU_ASSERT_TRUE(has(a, "\"transport_domain\":%llu,", mlx5tls_td_num(h.td)));
	CU_ASSERT_PTR_NOT_NULL(strstr(a, "\"progress\":{\"available\":false,\"reason\":"
					 "\"GET_PSV is documented for TIRs (RX) only\"}"));
	CU_ASSERT_TRUE(has(a, "\"tracker\":{\"start_tcp_sn\":%llu,", 5000));
	CU_ASSERT_TRUE(has(a, "\"next_tcp_sn\":%llu,", dst.next_tcp_sn));
	CU_ASSERT_TRUE(has(a, "\"expected_tcp_sn\":%llu,", dst.expected_tcp_sn));
	CU_ASSERT_TRUE(has(a, "\"counters\":{\"tx_tls_encrypted_packets\":%llu,",
			   dst.encrypted_packets));
	CU_ASSERT_TRUE(has(a, "\"tx_tls_encrypted_bytes\":%llu,", dst.encrypted_bytes));
	CU_ASSERT_PTR_NOT_NULL(strstr(a, "\"tx_tls_retx_bytes\":0}"));
	free(a);

	/* the software-path context: no device objects */
	a = ask("ctx path software");
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_EQUAL(count_of(a, "\"dir\":\"tx\""), 1);
	CU_ASSERT_TRUE(has(a, "\"contexts\":[{\"id\":%llu,", sst.id));
	CU_ASSERT_PTR_NOT_NULL(strstr(a, "\"path\":\"software\","
					 "\"reason\":\"software path requested\","
					 "\"dek\":null,\"tis\":null,"));
	free(a);

	a = ask("ctx path device dir tx");
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_EQUAL(count_of(a, "\"path\":\"device\""), 2);
	CU_ASSERT_EQUAL(count_of(a, "\"pooled\":true"), 2); /* the pooled context's DEK and TIS */
	free(a);
	a = ask("ctx path demoted");
	CU_ASSERT_PTR_NOT_NULL(strstr(a ? a : "", "\"contexts\":[],\"next\":null}"));
	free(a);
	a = ask("ctx dir rx");
	CU_ASSERT_PTR_NOT_NULL(strstr(a ? a : "", "\"contexts\":[],\"next\":null}"));
	free(a);
	a = ask("ctx id 999999999");
	CU_ASSERT_PTR_NOT_NULL(strstr(a ? a : "", "\"contexts\":[],\"next\":null}"));
	free(a);

	a = ask("dek");
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_EQUAL(count_of(a, "\"context\":"), 2);
	CU_ASSERT_TRUE(has(a, "{\"id\":%llu,", dst.dek_id));
	CU_ASSERT_TRUE(has(a, "\"context\":%llu,", dst.id));
	CU_ASSERT_TRUE(has(a, "\"context\":%llu,", pst.id));
	CU_ASSERT_PTR_NOT_NULL(strstr(a, "\"state\":\"ready\""));
	free(a);

	a = ask("tis");
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_EQUAL(count_of(a, "\"tisn\":"), 2);
	CU_ASSERT_TRUE(has(a, "{\"tisn\":%llu,", pst.tisn));
	CU_ASSERT_PTR_NOT_NULL(strstr(a, "\"tls_en\":true"));
	free(a);

	a = ask("tir");
	CU_ASSERT_PTR_NOT_NULL(
		strstr(a ? a : "", "\"tirs\":[],\"next\":null,\"note\":\"no RX contexts\"}"));
	free(a);

	a = ask("pool");
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_PTR_NOT_NULL(strstr(a, "\"dek_pools\":[{\"device\":"));
	CU_ASSERT_PTR_NOT_NULL(strstr(a, "\"in_use\":1,"));
	CU_ASSERT_PTR_NOT_NULL(strstr(a, "\"tis_pools\":[{\"device\":"));
	CU_ASSERT_PTR_NOT_NULL(strstr(a, "\"free\":0,\"in_use\":1,\"creates\":1,\"destroys\":0}"));
	free(a);

	a = ask("stat");
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_PTR_NOT_NULL(strstr(a, "\"counters\":{\"fw_cmds\":"));
	CU_ASSERT_PTR_NOT_NULL(strstr(a, "\"tx_tls_ctx\":3,"));
	CU_ASSERT_PTR_NOT_NULL(strstr(a, "\"tx_tls_sw_ctx\":1,"));
	free(a);

	expect_no_key(&h);

	/* errors: one error object each, the connection stays usable */
	fd = client_connect(pub_sock);
	CU_ASSERT_FATAL(fd >= 0);
	{
		static const char *const bad[] = {
			"frobnicate", "ctx bogus 1", "ctx id",     "ctx id x1",
			"ctx path sideways", "ctx dir up", "info extra", "",
			"ctx id 18446744073709551616",
		};

		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			a = ask_on(fd, bad[i]);
			CU_ASSERT_TRUE(a && json_valid(a));
			CU_ASSERT_TRUE(is_error(a));
			CU_ASSERT_PTR_NOT_NULL(strstr(a ? a : "", "\"}"));
			free(a);
		}
	}
	a = ask_on(fd, "tir"); /* and the next request is answered on the same connection */
	CU_ASSERT_PTR_NOT_NULL(strstr(a ? a : "", "\"tirs\":[]"));
	free(a);
	/* CRLF is accepted */
	CU_ASSERT_EQUAL(send(fd, "tir\r\n", 5, MSG_NOSIGNAL), 5);
	a = client_read_line(fd);
	CU_ASSERT_PTR_NOT_NULL(strstr(a ? a : "", "\"tirs\":[]"));
	free(a);
	{
		/* a line over 256 bytes is refused (once), the rest of it skipped, and the next
		 * line answered: short of the buffer, and far beyond it */
		static const size_t lens[] = { 257, 258, 259, 4000 };

		for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
			char *longline = malloc(lens[i] + 1);

			CU_ASSERT_PTR_NOT_NULL_FATAL(longline);
			memset(longline, 'x', lens[i]);
			longline[lens[i]] = '\0';
			a = ask_on(fd, longline);
			CU_ASSERT_TRUE(is_error(a));
			CU_ASSERT_PTR_NOT_NULL(strstr(a ? a : "", "longer than 256 bytes"));
			free(a);
			free(longline);
			a = ask_on(fd, "tir");
			CU_ASSERT_PTR_NOT_NULL(strstr(a ? a : "", "\"tirs\":[]"));
			free(a);
		}
	}
	close(fd);

	/* a last line without its newline is answered at EOF */
	fd = client_connect(pub_sock);
	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_EQUAL(send(fd, "info", 4, MSG_NOSIGNAL), 4);
	shutdown(fd, SHUT_WR);
	a = client_read_line(fd);
	CU_ASSERT_PTR_NOT_NULL(strstr(a ? a : "", "\"program\":"));
	free(a);
	close(fd);

	/* a destroyed context is gone from the answers */
	CU_ASSERT_EQUAL(mlx5tls_tx_destroy(swtx), 0);
	CU_ASSERT_EQUAL(mlx5tls_tx_destroy(pooltx), 0);
	a = ask("ctx");
	CU_ASSERT_PTR_NOT_NULL(a);
	CU_ASSERT_EQUAL(count_of(a ? a : "", "\"dir\":\"tx\""), 1);
	free(a);
	a = ask("pool");
	CU_ASSERT_PTR_NOT_NULL(strstr(a ? a : "", "\"free\":1,\"in_use\":0,"));
	free(a);
	CU_ASSERT_EQUAL(mlx5tls_dek_pool_destroy(dpool), 0);
	CU_ASSERT_EQUAL(mlx5tls_tis_pool_destroy(tpool), 0);
	a = ask("pool");
	CU_ASSERT_PTR_NOT_NULL(strstr(a ? a : "", "\"dek_pools\":[],\"tis_pools\":[]}"));
	free(a);

	txh_fini(&h);
	a = ask("info");
	CU_ASSERT_PTR_NOT_NULL(strstr(a ? a : "", "\"devices\":[]}"));
	free(a);
	a = ask("qp");
	CU_ASSERT_PTR_NOT_NULL(strstr(a ? a : "", "\"qps\":[]}"));
	free(a);
	unpublish();
	CU_ASSERT_EQUAL(mlx5tls_publish_stop(), 0); /* not publishing: nothing to do */
	free(pt);
}

/* The answer builder alone (no socket): limits and the peer rule. */
static void test_answer_unit(void)
{
	char line[300];
	size_t len = 0;
	char *a;

	memset(line, 'a', sizeof(line) - 1);
	line[sizeof(line) - 1] = '\0';
	a = publish_answer(line, &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_EQUAL(len, strlen(a));
	CU_ASSERT_EQUAL(a[len - 1], '\n');
	CU_ASSERT_PTR_NOT_NULL(strstr(a, "\"error\":\"request line longer than 256 bytes\"}"));
	free(a);
	line[256] = '\0'; /* exactly 256: a request (an unknown one) */
	a = publish_answer(line, &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_PTR_NOT_NULL(strstr(a, "unknown command"));
	a[len - 1] = '\0';
	CU_ASSERT_TRUE(json_valid(a));
	free(a);
	/* a hostile command name is escaped into valid JSON */
	a = publish_answer("\"\\\x01\xff", &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	a[len - 1] = '\0';
	CU_ASSERT_TRUE(json_valid(a));
	CU_ASSERT_PTR_NOT_NULL(strstr(a, "\\\"\\\\\\u0001\\ufffd"));
	free(a);

	CU_ASSERT_TRUE(publish_peer_allowed(1000, 1000));
	CU_ASSERT_TRUE(publish_peer_allowed(0, 1000));
	CU_ASSERT_FALSE(publish_peer_allowed(1001, 1000));
	CU_ASSERT_FALSE(publish_peer_allowed(1000, 0)); /* root's publisher answers only root */
}

/* A socket file left by a process that is gone. */
static void make_stale_socket(const char *dir, pid_t *dead)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	pid_t pid = fork();
	int fd;

	CU_ASSERT_FATAL(pid >= 0);
	if (pid == 0)
		_exit(0);
	CU_ASSERT_EQUAL(waitpid(pid, NULL, 0), pid);
	*dead = pid;
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	CU_ASSERT_FATAL(fd >= 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/%d.sock", dir, (int)pid);
	CU_ASSERT_EQUAL(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	close(fd); /* the file stays: nobody unlinked it */
}

static void test_publish_dir_rules(void)
{
	char dir[64], path[128], link[80];
	struct stat sb;
	pid_t dead = 0;

	snprintf(dir, sizeof(dir), "/tmp/mlx5tls-test-XXXXXX");
	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
	{
		MLX5TLS_OPTS(mlx5tls_publish_opts, po, .dir = dir);

		/* group/world-writable: refused */
		CU_ASSERT_EQUAL(chmod(dir, 0777), 0);
		CU_ASSERT_EQUAL(mlx5tls_publish_start(&po), -EPERM);
		CU_ASSERT_EQUAL(errno, EPERM);
		CU_ASSERT_EQUAL(chmod(dir, 0700), 0);

		/* a stale socket of a dead process is removed; a live process's is kept */
		make_stale_socket(dir, &dead);
		snprintf(path, sizeof(path), "%s/%d.sock", dir, (int)dead);
		CU_ASSERT_EQUAL(lstat(path, &sb), 0);
		snprintf(link, sizeof(link), "%s/1.sock", dir); /* init lives, a regular file */
		{
			int fd = open(link, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);

			CU_ASSERT(fd >= 0);
			if (fd >= 0)
				close(fd);
		}
		CU_ASSERT_EQUAL(mlx5tls_publish_start(&po), 0);
		CU_ASSERT_NOT_EQUAL(lstat(path, &sb), 0);
		CU_ASSERT_EQUAL(lstat(link, &sb), 0);
		CU_ASSERT_EQUAL(mlx5tls_publish_stop(), 0);
		CU_ASSERT_EQUAL(unlink(link), 0);
	}
	{
		/* a symlink in place of the directory: refused */
		MLX5TLS_OPTS(mlx5tls_publish_opts, po, .dir = link);

		snprintf(link, sizeof(link), "%s.lnk", dir);
		CU_ASSERT_EQUAL(symlink(dir, link), 0);
		CU_ASSERT_EQUAL(mlx5tls_publish_start(&po), -ENOTDIR);
		CU_ASSERT_EQUAL(unlink(link), 0);
	}
	{
		/* a missing directory is created 0700 */
		MLX5TLS_OPTS(mlx5tls_publish_opts, po, .dir = path);

		snprintf(path, sizeof(path), "%s/sub", dir);
		CU_ASSERT_EQUAL(mlx5tls_publish_start(&po), 0);
		CU_ASSERT_EQUAL(stat(path, &sb), 0);
		CU_ASSERT_EQUAL(sb.st_mode & 07777, 0700);
		CU_ASSERT_EQUAL(mlx5tls_publish_stop(), 0);
		CU_ASSERT_EQUAL(rmdir(path), 0);
	}
	{
		/* opts from a newer caller with unknown non-zero bytes */
		union {
			struct mlx5tls_publish_opts o;
			uint8_t b[sizeof(struct mlx5tls_publish_opts) + 8];
		} big;

		memset(&big, 0, sizeof(big));
		big.o.sz = sizeof(big);
		big.o.dir = dir;
		big.b[sizeof(big) - 1] = 1;
		CU_ASSERT_EQUAL(mlx5tls_publish_start(&big.o), -EINVAL);
	}
	CU_ASSERT_EQUAL(rmdir(dir), 0);
}

/* MLX5TLS_PUBLISH=1 starts publishing at a device open, in $MLX5TLS_RUNTIME_DIR. */
static void test_publish_env(void)
{
	struct mlx5tls_device *dev;
	struct stat sb;
	char *a;

	snprintf(pub_dir, sizeof(pub_dir), "/tmp/mlx5tls-test-XXXXXX");
	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(pub_dir));
	snprintf(pub_sock, sizeof(pub_sock), "%s/%d.sock", pub_dir, (int)getpid());
	setenv("MLX5TLS_RUNTIME_DIR", pub_dir, 1);
	setenv("MLX5TLS_PUBLISH", "1", 1);
	dev = mlx5tls_device_open("sim", NULL);
	unsetenv("MLX5TLS_PUBLISH");
	unsetenv("MLX5TLS_RUNTIME_DIR");
	CU_ASSERT_PTR_NOT_NULL_FATAL(dev);
	CU_ASSERT_EQUAL(lstat(pub_sock, &sb), 0);
	a = ask("dev");
	CU_ASSERT_PTR_NOT_NULL(strstr(a ? a : "", "\"qps\":0,\"tx_contexts\":0}"));
	free(a);
	CU_ASSERT_EQUAL(mlx5tls_device_close(dev), 0);
	unpublish();
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

static int rx_count(void *ctx, uint8_t type, const void *pt, size_t len)
{
	struct rx_fix *f = ctx;

	(void)type;
	(void)pt;
	f->got += len;
	return 0;
}

/* Neither the RX key nor its hex in s. */
static bool rx_key_absent(const struct rx_fix *f, const char *s)
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

static void rx_fix_init(struct rx_fix *f)
{
	struct mlx5tls_qp_opts qo = { .sz = sizeof(qo), .flags = MLX5TLS_QP_F_MODEL_SYNC };
	struct mlx5tls_tir_opts to = { .sz = sizeof(to), .tls_en = true };
	struct mlx5tls_flow_match m = { .ip_version = 4, .src_port = 443, .dst_port = 40000,
					.src_ip = { 10, 0, 0, 2 }, .dst_ip = { 10, 0, 0, 1 } };
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

static void rx_fix_fini(struct rx_fix *f)
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

static void test_rx_inspect(void)
{
	struct mlx5tls_rx_state st;
	struct mlx5tls_rq_attr ra;
	struct rx_fix f;

	rx_fix_init(&f);
	CU_ASSERT_EQUAL(mlx5tls_rx_inspect(NULL, &st, sizeof(st)), -EINVAL);
	CU_ASSERT_EQUAL(mlx5tls_rx_inspect(f.rx, NULL, sizeof(st)), -EINVAL);
	CU_ASSERT_EQUAL_FATAL(mlx5tls_rq_query(f.rq, &ra, sizeof(ra)), 0);

	/* just added: the device's tracker waits at the first record (fact sheet 8.5 read-back) */
	CU_ASSERT_EQUAL_FATAL(mlx5tls_rx_inspect(f.rx, &st, sizeof(st)), 0);
	CU_ASSERT(st.id > 0);
	CU_ASSERT(st.device[0] != 0);
	CU_ASSERT_EQUAL(st.path, MLX5TLS_TX_PATH_DEVICE);
	CU_ASSERT_EQUAL(st.tls_version, TLS_1_2_VERSION);
	CU_ASSERT_EQUAL(st.cipher_type, TLS_CIPHER_AES_GCM_128);
	CU_ASSERT_EQUAL(st.start_tcp_sn, RX_ISN);
	CU_ASSERT_EQUAL(st.next_tcp_sn, RX_ISN);
	CU_ASSERT_EQUAL(st.next_record, st.first_record);
	CU_ASSERT_EQUAL(st.dek_error, 0);
	CU_ASSERT(st.dek_id != 0);
	CU_ASSERT_EQUAL(st.dek_state, 0);
	CU_ASSERT_EQUAL(st.dek_key_bits, 128);
	CU_ASSERT_EQUAL(st.dek_key_purpose, 1);
	CU_ASSERT_EQUAL(st.dek_pd, mlx5tls_pd_num(f.pd));
	CU_ASSERT_TRUE(st.has_tir);
	CU_ASSERT_EQUAL(st.tir_error, 0);
	CU_ASSERT_EQUAL(st.tirn, mlx5tls_tir_num(f.tir));
	CU_ASSERT_TRUE(st.tir_tls_en);
	CU_ASSERT_EQUAL(st.tir_inline_rqn, ra.rqn);
	CU_ASSERT_EQUAL(st.tir_transport_domain, mlx5tls_td_num(f.td));
	CU_ASSERT_EQUAL(st.tir_flows, 1);
	CU_ASSERT_TRUE(st.progress_available);
	CU_ASSERT_STRING_EQUAL(st.progress_reason, "");
	CU_ASSERT_EQUAL(st.hw_next_record_tcp_sn, RX_ISN);
	CU_ASSERT_EQUAL(st.hw_resync_tcp_sn, 0);
	CU_ASSERT_EQUAL(st.hw_tracker_state, 0); /* START */
	CU_ASSERT_EQUAL(st.hw_auth_state, 0);    /* NO_OFFLOAD */
	CU_ASSERT_EQUAL(st.hw_offset_record_number, 0);

	/* the records as the wire carries them, not decrypted: completed in software */
	CU_ASSERT_EQUAL(mlx5tls_rx_input(f.rx, RX_ISN, f.wire, f.wire_len, MLX5TLS_RX_TLS_NONE,
					 rx_count, &f), 0);
	CU_ASSERT_EQUAL(f.got, 3000);
	CU_ASSERT_EQUAL_FATAL(mlx5tls_rx_inspect(f.rx, &st, 8), 0); /* a short copy is fine */
	CU_ASSERT_EQUAL_FATAL(mlx5tls_rx_inspect(f.rx, &st, sizeof(st)), 0);
	CU_ASSERT_EQUAL(st.next_tcp_sn, (uint32_t)(RX_ISN + f.wire_len));
	CU_ASSERT_EQUAL(st.next_record, st.first_record + 3);
	CU_ASSERT_EQUAL(st.records, 3);
	CU_ASSERT_EQUAL(st.bytes, 3000);
	CU_ASSERT_EQUAL(st.by_device, 0);
	CU_ASSERT_EQUAL(st.by_software, 3);
	CU_ASSERT_FALSE(st.failed);
	CU_ASSERT_TRUE(st.progress_available);

	/* the application may destroy the TIR first: the context forgets it, nothing reads it */
	CU_ASSERT_EQUAL(mlx5tls_flow_destroy(f.flow), 0);
	f.flow = NULL;
	CU_ASSERT_EQUAL(mlx5tls_tir_destroy(f.tir), 0);
	f.tir = NULL;
	CU_ASSERT_EQUAL_FATAL(mlx5tls_rx_inspect(f.rx, &st, sizeof(st)), 0);
	CU_ASSERT_FALSE(st.has_tir);
	CU_ASSERT(st.tirn != 0);
	CU_ASSERT_FALSE(st.progress_available);
	CU_ASSERT_STRING_EQUAL(st.progress_reason, "the TIR was destroyed before the context");
	rx_fix_fini(&f);
}

/* Run `mlx5tls-query ARGS` (the build tree's, next to this test: ../tools/) against pub_dir;
 * its standard output, malloc'd, or NULL. */
static char *query_tool(const char *args)
{
	char exe[512], cmd[1200], *slash, *out = NULL;
	size_t len = 0, cap = 0;
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	char buf[512];
	FILE *p;

	if (n <= 0)
		return NULL;
	exe[n] = '\0';
	slash = strrchr(exe, '/');
	if (!slash)
		return NULL;
	*slash = '\0';
	snprintf(cmd, sizeof(cmd), "MLX5TLS_RUNTIME_DIR='%s' '%s/../tools/mlx5tls-query' %s 2>&1",
		 pub_dir, exe, args);
	p = popen(cmd, "r");
	if (!p)
		return NULL;
	while ((n = (ssize_t)fread(buf, 1, sizeof(buf), p)) > 0) {
		char *m;

		if (len + (size_t)n + 1 > cap) {
			cap = (len + (size_t)n + 1) * 2;
			m = realloc(out, cap);
			if (!m)
				break;
			out = m;
		}
		memcpy(out + len, buf, (size_t)n);
		len += (size_t)n;
		out[len] = '\0';
	}
	pclose(p);
	return out;
}

static void test_publish_rx(void)
{
	static const char *const cmds[] = { "info", "dev", "qp", "ctx", "dek", "tis", "tir",
					    "pool", "stat" };
	struct mlx5tls_rx_state st;
	struct rx_fix f;
	char req[64];
	char *a;

	rx_fix_init(&f);
	CU_ASSERT_EQUAL(mlx5tls_rx_input(f.rx, RX_ISN, f.wire, f.wire_len, MLX5TLS_RX_TLS_NONE,
					 rx_count, &f), 0);
	CU_ASSERT_EQUAL_FATAL(mlx5tls_rx_inspect(f.rx, &st, sizeof(st)), 0);
	/* no conn in the opts: the TIR's one steering rule tells it (src is the peer) */
	CU_ASSERT_EQUAL(st.conn_source, MLX5TLS_CONN_FLOW);
	CU_ASSERT_EQUAL(st.conn.ip_version, 4);
	CU_ASSERT_EQUAL(st.conn.local_port, 40000);
	CU_ASSERT_EQUAL(st.conn.remote_port, 443);
	CU_ASSERT_EQUAL(memcmp(st.conn.local_ip, (uint8_t[]){ 10, 0, 0, 1 }, 4), 0);
	CU_ASSERT_EQUAL(memcmp(st.conn.remote_ip, (uint8_t[]){ 10, 0, 0, 2 }, 4), 0);
	publish_in_tmp();

	a = ask("ctx dir rx");
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_EQUAL(count_of(a, "\"dir\":\"rx\""), 1);
	CU_ASSERT(has(a, "{\"id\":%llu,", st.id));
	CU_ASSERT(has(a, "\"tir\":{\"tirn\":%llu,\"query\":{\"tls_en\":true,", st.tirn));
	CU_ASSERT(has(a, "\"inline_rqn\":%llu,", st.tir_inline_rqn));
	CU_ASSERT(has(a, "\"transport_domain\":%llu,", st.tir_transport_domain));
	CU_ASSERT(has(a, "\"dek\":{\"id\":%llu,\"query\":{\"state\":\"ready\"", st.dek_id));
	CU_ASSERT_PTR_NOT_NULL(strstr(a, "\"tls_version\":\"1.2\""));
	CU_ASSERT_PTR_NOT_NULL(strstr(a, "\"path\":\"device\""));
	CU_ASSERT_PTR_NOT_NULL(strstr(a, "\"conn\":{\"ip_version\":4,\"local\":\"10.0.0.1\","
					 "\"local_port\":40000,\"remote\":\"10.0.0.2\","
					 "\"remote_port\":443,\"source\":\"flow\"},\"label\":\"\""));
	/* the publisher never posts on the application's queue */
	CU_ASSERT_PTR_NOT_NULL(strstr(a, "\"progress\":{\"available\":false,"));
	CU_ASSERT(has(a, "\"records\":%llu,", 3));
	CU_ASSERT(has(a, "\"by_software\":%llu,", 3));
	CU_ASSERT(has(a, "\"next_tcp_sn\":%llu,", (uint32_t)(RX_ISN + f.wire_len)));
	CU_ASSERT_PTR_NULL(strstr(a, "\"tis\""));
	CU_ASSERT_TRUE(rx_key_absent(&f, a));
	free(a);

	snprintf(req, sizeof(req), "ctx id %llu", (unsigned long long)st.id);
	a = ask(req);
	CU_ASSERT_EQUAL(count_of(a ? a : "", "\"dir\":\"rx\""), 1);
	free(a);
	a = ask("ctx");
	CU_ASSERT_EQUAL(count_of(a ? a : "", "\"dir\":\"rx\""), 1);
	free(a);
	a = ask("ctx dir tx");
	CU_ASSERT_PTR_NOT_NULL(strstr(a ? a : "", "\"contexts\":[]"));
	free(a);

	/* a TX context of the same connection (given, the receiver's flow seen from this side):
	 * mlx5tls-query conn shows one connection, both directions on the NIC, as ss -tie does */
	{
		struct mlx5tls_conn c = { .ip_version = 4, .local_ip = { 10, 0, 0, 1 },
					  .remote_ip = { 10, 0, 0, 2 }, .local_port = 40000,
					  .remote_port = 443 };
		MLX5TLS_OPTS(mlx5tls_tx_opts, to, .conn = &c, .label = "both-ways");
		struct mlx5tls_tx *tx = mlx5tls_tx_create(f.qp, &f.ci.info,
							  tls_peer_crypto_info_size(&f.ci.info),
							  1000, &to);
		char *out;

		CU_ASSERT_PTR_NOT_NULL_FATAL(tx);
		out = query_tool("conn");
		CU_ASSERT_PTR_NOT_NULL_FATAL(out);
		CU_ASSERT_PTR_NOT_NULL(strstr(out, " 10.0.0.1:40000 10.0.0.2:443 label both-ways\n"
						   "\ttls version 1.2 cipher aes-gcm-128 txconf hw "
						   "rxconf hw\n"));
		CU_ASSERT_EQUAL(count_of(out, "\ttls version"), 1); /* one connection, two contexts */
		CU_ASSERT_EQUAL(count_of(out, " dir tx dev "), 1);
		CU_ASSERT_EQUAL(count_of(out, " dir rx dev "), 1);
		free(out);
		out = query_tool("conn rport 443 laddr 10.0.0.1");
		CU_ASSERT_PTR_NOT_NULL(strstr(out ? out : "", "txconf hw rxconf hw"));
		free(out);
		out = query_tool("conn lport 443");
		CU_ASSERT_PTR_NOT_NULL(strstr(out ? out : "", "no TLS connection matches"));
		free(out);
		CU_ASSERT_EQUAL(mlx5tls_tx_destroy(tx), 0);
	}
	a = ask("ctx path software");
	CU_ASSERT_PTR_NOT_NULL(strstr(a ? a : "", "\"contexts\":[]"));
	free(a);

	a = ask("tir");
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT(has(a, "\"tirs\":[{\"tirn\":%llu,\"query\":{\"tls_en\":true,", st.tirn));
	CU_ASSERT(has(a, "\"context\":%llu,", st.id));
	CU_ASSERT_PTR_NULL(strstr(a, "\"note\""));
	free(a);

	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		a = ask(cmds[i]);
		CU_ASSERT_PTR_NOT_NULL(a);
		if (a) {
			CU_ASSERT_FALSE(is_error(a));
			CU_ASSERT_TRUE(rx_key_absent(&f, a));
		}
		free(a);
	}

	/* the TIR gone first: reported, not queried */
	CU_ASSERT_EQUAL(mlx5tls_flow_destroy(f.flow), 0);
	f.flow = NULL;
	CU_ASSERT_EQUAL(mlx5tls_tir_destroy(f.tir), 0);
	f.tir = NULL;
	a = ask("tir");
	CU_ASSERT_PTR_NOT_NULL(strstr(a ? a : "", "\"query\":null,\"query_error\":\"the TIR was "
						 "destroyed before the context\""));
	free(a);
	rx_fix_fini(&f);
	a = ask("tir");
	CU_ASSERT_PTR_NOT_NULL(
		strstr(a ? a : "", "\"tirs\":[],\"next\":null,\"note\":\"no RX contexts\"}"));
	free(a);
	unpublish();
}

static const struct test_case inspect_cases[] = {
	{ "JSON checker self-check", test_json_check },
	{ "tx_inspect: device path, DEK and TIS read back", test_inspect_device_path },
	{ "tx_inspect: software path", test_inspect_software_path },
	{ "context ids and foreach_tx", test_foreach_and_ids },
	{ "foreach_tx walks in steps, setup goes on between them", test_foreach_steps },
	{ "rx_inspect: DEK, TIR and GET_PSV read back", test_rx_inspect },
	{ NULL, NULL },
};

static const struct test_case publish_cases[] = {
	{ "answers: limits, escaping, peer rule", test_answer_unit },
	{ "every command over the socket", test_publish },
	{ "RX contexts: ctx and tir answers", test_publish_rx },
	{ "connection and label: given, copied, refused", test_conn_and_label },
	{ "directory rules and stale sockets", test_publish_dir_rules },
	{ "MLX5TLS_PUBLISH=1 at device open", test_publish_env },
	{ NULL, NULL },
};

static const struct test_suite suites[] = {
	{ "inspect", NULL, NULL, inspect_cases },
	{ "publish", NULL, NULL, publish_cases },
	{ NULL, NULL, NULL, NULL },
};

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	return test_run_suites(suites);
}
