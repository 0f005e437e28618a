/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Publishing (mlx5tls-inspect(7)): a library thread answers read-only requests on the UNIX
 * socket DIR/PID.sock with one JSON line each.
 *
 * The application must never wait for it: an answer is built in memory, walking the device's
 * lists in steps so that no lock the application takes is held for long, then queued for the
 * client and sent as it reads (non-blocking, a per-client limit); idle clients are closed and a
 * new client replaces the longest idle one when all slots are taken. A slow, stuck or idle
 * client costs the publisher a little memory, never the datapath or the other clients. The thread blocks every signal: the application's handlers
 * keep running on the application's threads.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "tls_stat.h"
#include "inspect.h"
#include "prm/mlx5_ifc_tls.h"

#define REQ_MAX 256           /* longest request line (spec), newline excluded */
#define MAX_CLIENTS 16        /* connections served at once; a new one replaces the longest idle */
#define OUT_LIMIT (16u << 20) /* answers pending for one client; beyond, it is dropped */
#define IDLE_MS_DEFAULT 30000 /* a client that neither asks nor reads for this long is closed */
#define STOP_JOIN_MS 2000     /* at exit: how long to wait for an answer being built */
/* An answer lists at most this many contexts/DEKs/TISes ("truncated":true after): it is built in
 * memory while the device's context list is locked, and a million contexts would hold that lock
 * (and two firmware queries each) for seconds. Filter by id to see any one context. */
#define ANSWER_MAX_ENTRIES 65536u
#define JW_MAX_DEPTH 16
/* Lists are walked in steps of this many contexts per hold of the device's lock. */
#define STEP_ENTRIES 32u

#ifndef MLX5TLS_LIB_VERSION
#define MLX5TLS_LIB_VERSION "unknown"
#endif

/* ---- a small JSON writer (RFC 8259) into a growing buffer ---- */

struct jw {
	char *buf;
	size_t len;
	size_t cap;
	bool oom;
	int depth;
	bool first[JW_MAX_DEPTH + 1]; /* no member yet in the container at this depth */
	unsigned int entries;         /* list entries written (ANSWER_MAX_ENTRIES) */
	bool truncated;
};

static void jw_raw(struct jw *w, const char *s, size_t n)
{
	if (w->oom)
		return;
	if (w->len + n + 1 > w->cap) {
		size_t cap = w->cap ? w->cap : 1024;
		char *nb;

		while (w->len + n + 1 > cap)
			cap *= 2;
		nb = realloc(w->buf, cap);
		if (!nb) {
			w->oom = true;
			return;
		}
		w->buf = nb;
		w->cap = cap;
	}
	memcpy(w->buf + w->len, s, n);
	w->len += n;
	w->buf[w->len] = '\0';
}

static void jw_puts(struct jw *w, const char *s)
{
	jw_raw(w, s, strlen(s));
}

/* Length of the well-formed UTF-8 sequence at s (1..4), 0 if it is not one. */
static size_t utf8_seq_len(const unsigned char *s)
{
	uint32_t cp;
	size_t n;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		n = 2;
		cp = s[0] & 0x1fu;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		n = 3;
		cp = s[0] & 0x0fu;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		n = 4;
		cp = s[0] & 0x07u;
	} else {
		return 0;
	}
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0; /* also stops at the terminating NUL */
		cp = cp << 6 | (s[i] & 0x3fu);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || (cp >= 0xd800 && cp <= 0xdfff) ||
	    cp > 0x10ffff)
		return 0;
	return n;
}

/* Strings come from the program name, device names and reasons: escape everything JSON
 * requires and replace bytes that are not UTF-8, so a client's parser never chokes. */
static void jw_string(struct jw *w, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	jw_raw(w, "\"", 1);
	while (*p) {
		char esc[8];
		size_t n;

		if (*p == '"' || *p == '\\') {
			esc[0] = '\\';
			esc[1] = (char)*p;
			jw_raw(w, esc, 2);
			p++;
			continue;
		}
		if (*p < 0x20) {
			snprintf(esc, sizeof(esc), "\\u%04x", *p);
			jw_puts(w, esc);
			p++;
			continue;
		}
		n = utf8_seq_len(p);
		if (!n) {
			jw_puts(w, "\\ufffd");
			p++;
			continue;
		}
		jw_raw(w, (const char *)p, n);
		p += n;
	}
	jw_raw(w, "\"", 1);
}

/* Separator and "key": before any value; key is NULL inside arrays and at the top. */
static void jw_member(struct jw *w, const char *key)
{
	if (w->depth > 0) {
		if (!w->first[w->depth])
			jw_raw(w, ",", 1);
		w->first[w->depth] = false;
	}
	if (key) {
		jw_string(w, key);
		jw_raw(w, ":", 1);
	}
}

static void jw_open(struct jw *w, const char *key, char bracket)
{
	jw_member(w, key);
	jw_raw(w, &bracket, 1);
	if (w->depth < JW_MAX_DEPTH)
		w->first[++w->depth] = true;
	else
		w->oom = true; /* a bug in this file; never sent half-formed */
}

static void jw_close(struct jw *w, char bracket)
{
	jw_raw(w, &bracket, 1);
	if (w->depth > 0)
		w->depth--;
}

static void jw_str(struct jw *w, const char *key, const char *val)
{
	jw_member(w, key);
	jw_string(w, val);
}

static void jw_u64(struct jw *w, const char *key, uint64_t val)
{
	char num[24];

	jw_member(w, key);
	snprintf(num, sizeof(num), "%" PRIu64, val);
	jw_puts(w, num);
}

static void jw_bool(struct jw *w, const char *key, bool val)
{
	jw_member(w, key);
	jw_puts(w, val ? "true" : "false");
}

static void jw_null(struct jw *w, const char *key)
{
	jw_member(w, key);
	jw_puts(w, "null");
}

/* Room for one more list entry in this answer. */
static bool jw_entry_ok(struct jw *w)
{
	if (w->entries >= ANSWER_MAX_ENTRIES) {
		w->truncated = true;
		return false;
	}
	w->entries++;
	return true;
}

/* ---- names ---- */

static const char *tls_version_name(uint16_t v, char *buf, size_t len)
{
	if (v == TLS_1_2_VERSION)
		return "1.2";
	if (v == TLS_1_3_VERSION)
		return "1.3";
	snprintf(buf, len, "0x%04x", v);
	return buf;
}

static const char *cipher_name(uint16_t c, char *buf, size_t len)
{
	if (c == TLS_CIPHER_AES_GCM_128)
		return "aes-gcm-128";
	if (c == TLS_CIPHER_AES_GCM_256)
		return "aes-gcm-256";
	snprintf(buf, len, "%u", c);
	return buf;
}

static const char *path_name(enum mlx5tls_tx_path p)
{
	switch (p) {
	case MLX5TLS_TX_PATH_DEVICE:
		return "device";
	case MLX5TLS_TX_PATH_SOFTWARE:
		return "software";
	case MLX5TLS_TX_PATH_DEMOTED:
		return "demoted";
	}
	return "unknown";
}

static const char *rx_stop_name(enum mlx5tls_rx_stop s)
{
	switch (s) {
	case MLX5TLS_RX_STOP_NONE:
		return "none";
	case MLX5TLS_RX_STOP_KEY_UPDATE:
		return "key_update";
	case MLX5TLS_RX_STOP_CONTROL:
		return "control";
	case MLX5TLS_RX_STOP_FAILED:
		return "failed";
	case MLX5TLS_RX_STOP_HANDED_BACK:
		return "handed_back";
	}
	return "unknown";
}

/* Suite names as mlx5tls-query prints them. */
static const struct {
	uint32_t bit;
	const char *name;
	bool tls13;
	bool aes256;
} suite_names[] = {
	{ MLX5TLS_SUITE_TLS12_AES_GCM_128, "tls1.2-aes-gcm-128", false, false },
	{ MLX5TLS_SUITE_TLS13_AES_GCM_128, "tls1.3-aes-gcm-128", true, false },
	{ MLX5TLS_SUITE_TLS12_AES_GCM_256, "tls1.2-aes-gcm-256", false, true },
	{ MLX5TLS_SUITE_TLS13_AES_GCM_256, "tls1.3-aes-gcm-256", true, true },
};
#define N_SUITES (sizeof(suite_names) / sizeof(suite_names[0]))

struct strbuf {
	char *p;
	size_t len;
	size_t used;
};

static void sb_add(struct strbuf *b, const char *s)
{
	int n = snprintf(b->p + b->used, b->len - b->used, "%s", s);

	if (n > 0)
		b->used += (size_t)n < b->len - b->used ? (size_t)n : b->len - b->used - 1;
}

/* The one-line summary mlx5tls-query caps prints ("tx rx; 1.2/1.3 x aes-gcm-128/256; ..."),
 * so the caps object of "dev" is the one of `mlx5tls-query caps -j`. */
static void caps_summary(const struct mlx5tls_caps *c, char *buf, size_t len)
{
	struct strbuf b = { .p = buf, .len = len };
	bool v12 = false, v13 = false, k128 = false, k256 = false;
	unsigned int nr = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < N_SUITES; i++) {
		if (!(c->suites & suite_names[i].bit))
			continue;
		nr++;
		v13 |= suite_names[i].tls13;
		v12 |= !suite_names[i].tls13;
		k256 |= suite_names[i].aes256;
		k128 |= !suite_names[i].aes256;
	}
	if (!c->tls_tx && !c->tls_rx) {
		sb_add(&b, c->crypto ? "none (no TLS offload)" : "none (no crypto)");
		return;
	}
	sb_add(&b, c->tls_tx ? (c->tls_rx ? "tx rx" : "tx") : "rx");
	if (!nr) {
		sb_add(&b, "; no suite");
	} else if (nr == (unsigned int)(v12 + v13) * (unsigned int)(k128 + k256)) {
		/* every version with every cipher: say it as a product */
		sb_add(&b, "; ");
		sb_add(&b, v12 && v13 ? "1.2/1.3" : v12 ? "1.2" : "1.3");
		sb_add(&b, " x ");
		sb_add(&b, k128 && k256 ? "aes-gcm-128/256" : k128 ? "aes-gcm-128" : "aes-gcm-256");
	} else {
		sb_add(&b, ";");
		for (size_t i = 0; i < N_SUITES; i++) {
			if (c->suites & suite_names[i].bit) {
				sb_add(&b, " ");
				sb_add(&b, suite_names[i].name);
			}
		}
	}
	if (c->bulk_dek)
		sb_add(&b, "; bulk-dek");
	if (c->dek_sync)
		sb_add(&b, "; dek-sync");
	if (!c->ktls_capable)
		sb_add(&b, "; not ktls-capable");
}

/* "QUERY_TIS failed: status 0x2 (bad resource), syndrome 0x..." or the errno's text. */
static void query_error_text(const char *cmd, int err, uint8_t status, uint32_t syndrome,
			     char *buf, size_t len)
{
	if (err == -EREMOTEIO)
		snprintf(buf, len, "%s failed: status 0x%x (%s), syndrome 0x%08x", cmd, status,
			 mlx5tls_fw_status_str(status), syndrome);
	else
		snprintf(buf, len, "%s failed: %s", cmd, strerror(-err));
}

/* ---- answers ---- */

struct request {
	int argc;
	char *argv[REQ_MAX / 2 + 1];
	char err[160];
};

static void answer_head(struct jw *w)
{
	jw_open(w, NULL, '{');
	jw_u64(w, "schema", 1);
	jw_u64(w, "pid", (uint64_t)getpid());
}

static int no_args(struct request *r)
{
	if (r->argc > 1) {
		snprintf(r->err, sizeof(r->err), "%s takes no arguments", r->argv[0]);
		return -1;
	}
	return 0;
}

static int cmd_info(struct jw *w, struct request *r)
{
	struct mlx5tls_device *dev;

	if (no_args(r))
		return -1;
	jw_str(w, "program", program_invocation_short_name);
	jw_str(w, "library", MLX5TLS_LIB_VERSION);
	jw_open(w, "devices", '[');
	for (dev = inspect_devices_lock(); dev; dev = dev->insp_next)
		jw_str(w, NULL, dev->attr.name);
	inspect_devices_unlock();
	jw_close(w, ']');
	return 0;
}

static void json_caps(struct jw *w, const struct mlx5tls_caps *c)
{
	char summary[160];

	caps_summary(c, summary, sizeof(summary));
	jw_open(w, "caps", '{');
	jw_str(w, "summary", summary);
	jw_bool(w, "tls_tx", c->tls_tx);
	jw_bool(w, "tls_rx", c->tls_rx);
	jw_bool(w, "crypto", c->crypto);
	jw_bool(w, "dek_object", c->dek_object);
	jw_bool(w, "bulk_dek", c->bulk_dek);
	jw_bool(w, "dek_sync", c->dek_sync);
	jw_bool(w, "ktls_capable", c->ktls_capable);
	jw_open(w, "suites", '[');
	for (size_t i = 0; i < N_SUITES; i++)
		if (c->suites & suite_names[i].bit)
			jw_str(w, NULL, suite_names[i].name);
	jw_close(w, ']');
	jw_u64(w, "log_max_dek", c->log_max_dek);
	jw_u64(w, "log_dek_max_alloc", c->log_dek_max_alloc);
	jw_u64(w, "log_max_num_deks", c->log_max_num_deks);
	jw_u64(w, "log_max_tis", c->log_max_tis);
	jw_u64(w, "log_max_tir", c->log_max_tir);
	jw_u64(w, "log_max_pd", c->log_max_pd);
	jw_u64(w, "log_max_transport_domain", c->log_max_transport_domain);
	jw_close(w, '}');
}

static int cmd_dev(struct jw *w, struct request *r)
{
	struct mlx5tls_device *dev;

	if (no_args(r))
		return -1;
	jw_open(w, "devices", '[');
	for (dev = inspect_devices_lock(); dev; dev = dev->insp_next) {
		unsigned int qps = 0, txs = 0;

		pthread_mutex_lock(&dev->insp_lock);
		for (const struct inspect_qp *n = dev->insp_qps; n; n = n->next)
			qps++;
		pthread_mutex_unlock(&dev->insp_lock);
		pthread_mutex_lock(&dev->tx_lock);
		for (const struct mlx5tls_tx *tx = dev->tx_list; tx; tx = tx->dev_next)
			txs++;
		pthread_mutex_unlock(&dev->tx_lock);

		jw_open(w, NULL, '{');
		jw_str(w, "name", dev->attr.name);
		jw_str(w, "kind", dev->attr.kind == MLX5TLS_DEVICE_MODEL ? "model" : "hardware");
		jw_str(w, "transport", dev->attr.transport);
		jw_str(w, "profile", dev->attr.profile);
		jw_str(w, "fw_ver", dev->attr.fw_ver);
		json_caps(w, &dev->caps);
		jw_u64(w, "qps", qps);
		jw_u64(w, "tx_contexts", txs);
		jw_close(w, '}');
	}
	inspect_devices_unlock();
	jw_close(w, ']');
	return 0;
}

static int cmd_qp(struct jw *w, struct request *r)
{
	struct mlx5tls_device *dev;

	if (no_args(r))
		return -1;
	jw_open(w, "qps", '[');
	for (dev = inspect_devices_lock(); dev; dev = dev->insp_next) {
		pthread_mutex_lock(&dev->insp_lock);
		for (const struct inspect_qp *n = dev->insp_qps; n; n = n->next) {
			struct mlx5tls_qp_attr a;

			qp_snapshot(n->qp, &a);
			jw_open(w, NULL, '{');
			jw_str(w, "device", dev->attr.name);
			jw_u64(w, "sqn", a.sqn);
			jw_u64(w, "cqn", a.cqn);
			jw_u64(w, "wqebbs", a.wqebbs);
			jw_u64(w, "inflight", a.inflight);
			jw_u64(w, "mtu", a.mtu);
			jw_u64(w, "tls_contexts", a.tls_contexts);
			jw_u64(w, "recoveries", a.recoveries);
			jw_u64(w, "reposted", a.reposted);
			jw_u64(w, "wqes", a.wqes);
			jw_u64(w, "doorbells", a.doorbells);
			jw_close(w, '}');
		}
		pthread_mutex_unlock(&dev->insp_lock);
	}
	inspect_devices_unlock();
	jw_close(w, ']');
	return 0;
}

/* "query":{...} of a DEK, or "query":null and "query_error". */
/* "query": null and "query_error": the text, when a QUERY command failed. True if it did. */
static bool json_query_failed(struct jw *w, const char *cmd, int err, uint8_t status,
			      uint32_t syndrome)
{
	char text[160];

	if (!err)
		return false;
	jw_null(w, "query");
	query_error_text(cmd, err, status, syndrome, text, sizeof(text));
	jw_str(w, "query_error", text);
	return true;
}

static void json_dek_query(struct jw *w, int err, uint8_t status, uint32_t syndrome,
			   const struct mlx5tls_dek_attr *a)
{
	char num[8];

	if (json_query_failed(w, "QUERY_GENERAL_OBJECT", err, status, syndrome))
		return;
	jw_open(w, "query", '{');
	if (a->state <= MLX5_ENCRYPTION_KEY_OBJ_STATE_ERROR) {
		jw_str(w, "state", a->state == MLX5_ENCRYPTION_KEY_OBJ_STATE_READY ? "ready"
									     : "error");
	} else {
		snprintf(num, sizeof(num), "0x%x", a->state);
		jw_str(w, "state", num);
	}
	jw_u64(w, "key_bits", a->key_bits);
	if (a->key_purpose == MLX5_ENCRYPTION_KEY_OBJ_KEY_PURPOSE_TLS) {
		jw_str(w, "key_purpose", "tls");
	} else {
		snprintf(num, sizeof(num), "0x%x", a->key_purpose);
		jw_str(w, "key_purpose", num);
	}
	jw_u64(w, "pd", a->pd);
	jw_bool(w, "pooled", a->pooled);
	jw_close(w, '}');
}

static void json_tis_query(struct jw *w, int err, uint8_t status, uint32_t syndrome,
			   const struct mlx5tls_tis_attr *a)
{
	if (json_query_failed(w, "QUERY_TIS", err, status, syndrome))
		return;
	jw_open(w, "query", '{');
	jw_bool(w, "tls_en", a->tls_en);
	jw_u64(w, "pd", a->pd);
	jw_u64(w, "transport_domain", a->transport_domain);
	jw_u64(w, "prio", a->prio);
	jw_bool(w, "pooled", a->pooled);
	jw_close(w, '}');
}

/* "conn":{"ip_version","local","local_port","remote","remote_port","source"} (null while not
 * known) and "label" of a TLS context. */
static void json_conn(struct jw *w, const struct mlx5tls_conn *c, enum mlx5tls_conn_source src,
		      const char *label)
{
	static const char *const sources[] = { "unknown", "given", "frame", "flow" };
	int af = c->ip_version == 6 ? AF_INET6 : AF_INET;

	if (src == MLX5TLS_CONN_UNKNOWN || (c->ip_version != 4 && c->ip_version != 6)) {
		jw_null(w, "conn");
	} else {
		char addr[INET6_ADDRSTRLEN];

		jw_open(w, "conn", '{');
		jw_u64(w, "ip_version", c->ip_version);
		jw_str(w, "local", inet_ntop(af, c->local_ip, addr, sizeof(addr)) ? addr : "?");
		jw_u64(w, "local_port", c->local_port);
		jw_str(w, "remote", inet_ntop(af, c->remote_ip, addr, sizeof(addr)) ? addr : "?");
		jw_u64(w, "remote_port", c->remote_port);
		jw_str(w, "source", (unsigned int)src < 4 ? sources[src] : "unknown");
		jw_close(w, '}');
	}
	jw_str(w, "label", label);
}

static void json_ctx(struct jw *w, const struct mlx5tls_tx_state *st, const struct tx_snap *snap)
{
	char b1[16], b2[16];

	jw_open(w, NULL, '{');
	jw_u64(w, "id", st->id);
	jw_str(w, "device", st->device);
	jw_str(w, "dir", "tx");
	jw_u64(w, "sqn", st->sqn);
	jw_str(w, "tls_version", tls_version_name(st->tls_version, b1, sizeof(b1)));
	jw_str(w, "cipher", cipher_name(st->cipher_type, b2, sizeof(b2)));
	jw_str(w, "path", path_name(st->path));
	jw_str(w, "reason", st->reason);
	if (st->has_dek) {
		struct mlx5tls_dek_attr a = {
			.id = st->dek_id, .pooled = st->dek_pooled, .state = st->dek_state,
			.key_bits = st->dek_key_bits, .key_purpose = st->dek_key_purpose,
			.pd = st->dek_pd,
		};

		jw_open(w, "dek", '{');
		jw_u64(w, "id", st->dek_id);
		json_dek_query(w, st->dek_error, st->dek_fw_status, st->dek_fw_syndrome, &a);
		jw_close(w, '}');
	} else {
		jw_null(w, "dek");
	}
	if (st->has_tis) {
		struct mlx5tls_tis_attr a = {
			.tisn = st->tisn, .tls_en = st->tis_tls_en, .pooled = st->tis_pooled,
			.prio = st->tis_prio, .pd = st->tis_pd,
			.transport_domain = st->tis_transport_domain,
		};

		jw_open(w, "tis", '{');
		jw_u64(w, "tisn", st->tisn);
		json_tis_query(w, st->tis_error, st->tis_fw_status, st->tis_fw_syndrome, &a);
		jw_close(w, '}');
	} else {
		jw_null(w, "tis");
	}
	json_conn(w, &st->conn, st->conn_source, st->label);
	jw_open(w, "progress", '{');
	jw_bool(w, "available", st->progress_available);
	jw_str(w, "reason", st->progress_reason);
	jw_close(w, '}');
	jw_open(w, "tracker", '{');
	jw_u64(w, "start_tcp_sn", st->start_tcp_sn);
	jw_u64(w, "next_tcp_sn", st->next_tcp_sn);
	jw_u64(w, "expected_tcp_sn", st->expected_tcp_sn);
	jw_u64(w, "next_record", st->next_record);
	jw_u64(w, "next_record_tcp_sn", st->next_record_tcp_sn);
	jw_u64(w, "record_offset", st->record_offset);
	jw_u64(w, "records_held", st->records_held);
	jw_u64(w, "key_epoch", st->key_epoch);
	jw_close(w, '}');
	jw_open(w, "counters", '{');
	for (unsigned int k = 0; k < TXC__MAX; k++)
		jw_u64(w, mlx5tls_counter_name(TXC_DEVICE_BASE + k), snap->c[k]);
	jw_close(w, '}');
	jw_close(w, '}');
}

static void json_tir_query(struct jw *w, int err, uint8_t status, uint32_t syndrome,
			   const struct mlx5tls_tir_attr *a)
{
	if (json_query_failed(w, "QUERY_TIR", err, status, syndrome))
		return;
	jw_open(w, "query", '{');
	jw_bool(w, "tls_en", a->tls_en);
	jw_u64(w, "disp_type", a->disp_type);
	jw_u64(w, "inline_rqn", a->inline_rqn);
	jw_u64(w, "transport_domain", a->transport_domain);
	jw_u64(w, "flows", a->flows);
	jw_close(w, '}');
}

/* "tir":{...} of an RX context: its TIR number and QUERY_TIR, or why there is no query. */
static void json_rx_tir(struct jw *w, const struct mlx5tls_rx_state *st)
{
	struct mlx5tls_tir_attr a = {
		.tirn = st->tirn, .tls_en = st->tir_tls_en, .disp_type = st->tir_disp_type,
		.inline_rqn = st->tir_inline_rqn, .transport_domain = st->tir_transport_domain,
		.flows = st->tir_flows,
	};

	jw_u64(w, "tirn", st->tirn);
	if (!st->has_tir) {
		jw_null(w, "query");
		jw_str(w, "query_error", "the TIR was destroyed before the context");
		return;
	}
	json_tir_query(w, st->tir_error, st->tir_fw_status, st->tir_fw_syndrome, &a);
}

static void json_rx_ctx(struct jw *w, const struct mlx5tls_rx_state *st)
{
	struct mlx5tls_dek_attr a = {
		.id = st->dek_id, .pooled = st->dek_pooled, .state = st->dek_state,
		.key_bits = st->dek_key_bits, .key_purpose = st->dek_key_purpose, .pd = st->dek_pd,
	};
	char b1[16], b2[16];

	jw_open(w, NULL, '{');
	jw_u64(w, "id", st->id);
	jw_str(w, "device", st->device);
	jw_str(w, "dir", "rx");
	jw_u64(w, "sqn", st->sqn);
	jw_str(w, "tls_version", tls_version_name(st->tls_version, b1, sizeof(b1)));
	jw_str(w, "cipher", cipher_name(st->cipher_type, b2, sizeof(b2)));
	jw_str(w, "path", path_name(st->path));
	jw_str(w, "reason", st->reason);
	jw_u64(w, "key_epoch", st->key_epoch);
	jw_str(w, "stop", rx_stop_name(st->stop));
	jw_open(w, "dek", '{');
	jw_u64(w, "id", st->dek_id);
	json_dek_query(w, st->dek_error, st->dek_fw_status, st->dek_fw_syndrome, &a);
	jw_close(w, '}');
	jw_open(w, "tir", '{');
	json_rx_tir(w, st);
	jw_close(w, '}');
	json_conn(w, &st->conn, st->conn_source, st->label);
	jw_open(w, "progress", '{');
	jw_bool(w, "available", st->progress_available);
	jw_str(w, "reason", st->progress_reason);
	jw_close(w, '}');
	jw_open(w, "tracker", '{');
	jw_u64(w, "start_tcp_sn", st->start_tcp_sn);
	jw_u64(w, "next_tcp_sn", st->next_tcp_sn);
	jw_u64(w, "first_record", st->first_record);
	jw_u64(w, "next_record", st->next_record);
	jw_bool(w, "resync_pending", st->resync_pending);
	jw_u64(w, "resync_left", st->resync_left);
	jw_bool(w, "failed", st->failed);
	jw_close(w, '}');
	jw_open(w, "counters", '{');
	jw_u64(w, "records", st->records);
	jw_u64(w, "bytes", st->bytes);
	jw_u64(w, "by_device", st->by_device);
	jw_u64(w, "by_software", st->by_software);
	jw_u64(w, "reencrypted_bytes", st->reencrypted_bytes);
	jw_u64(w, "resync_answers", st->resync_answers);
	jw_u64(w, "untrusted_packets", st->untrusted_packets);
	jw_close(w, '}');
	jw_close(w, '}');
}

struct ctx_filter {
	bool by_id;
	uint64_t id;
	bool by_dir;
	bool rx;
	bool by_path;
	enum mlx5tls_tx_path path;
};

static int parse_u64(const char *s, uint64_t *v)
{
	char *end = NULL;

	if (!*s || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	*v = strtoull(s, &end, 10);
	return errno || *end ? -1 : 0;
}

static int parse_ctx_filter(struct request *r, struct ctx_filter *f)
{
	memset(f, 0, sizeof(*f));
	for (int i = 1; i < r->argc; i += 2) {
		const char *key = r->argv[i], *val = i + 1 < r->argc ? r->argv[i + 1] : NULL;

		if (!val) {
			snprintf(r->err, sizeof(r->err), "ctx: %.32s needs a value", key);
			return -1;
		}
		if (!strcmp(key, "id")) {
			f->by_id = true;
			if (parse_u64(val, &f->id))
				goto bad_value;
		} else if (!strcmp(key, "dir")) {
			if (strcmp(val, "tx") && strcmp(val, "rx"))
				goto bad_value;
			f->by_dir = true;
			f->rx = !strcmp(val, "rx");
		} else if (!strcmp(key, "path")) {
			f->by_path = true;
			if (!strcmp(val, "device"))
				f->path = MLX5TLS_TX_PATH_DEVICE;
			else if (!strcmp(val, "software"))
				f->path = MLX5TLS_TX_PATH_SOFTWARE;
			else if (!strcmp(val, "demoted"))
				f->path = MLX5TLS_TX_PATH_DEMOTED;
			else
				goto bad_value;
		} else {
			snprintf(r->err, sizeof(r->err),
				 "ctx: unknown filter \"%.32s\" (id, dir, path)", key);
			return -1;
		}
		continue;
bad_value:
		snprintf(r->err, sizeof(r->err), "ctx: bad value \"%.32s\" for %s", val, key);
		return -1;
	}
	return 0;
}

static _Atomic uint64_t max_hold_ns;

/* The publisher thread's CPU time: what a lock hold costs, without the scheduler's delays. */
static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void hold_done(uint64_t start)
{
	uint64_t d = mono_ns() - start, m = atomic_load_explicit(&max_hold_ns, memory_order_relaxed);

	while (d > m && !atomic_compare_exchange_weak(&max_hold_ns, &m, d))
		;
}

uint64_t publish_max_hold_ns(void)
{
	return atomic_load(&max_hold_ns);
}

/* Calls fn for every TLS TX context until the entry cap, in steps: the device's tx_lock (which
 * context create, destroy and rekey take) is held for at most STEP_ENTRIES contexts at a time,
 * then released; the walk resumes after the last id seen (ids fall along the list: contexts are
 * numbered and listed under the lock). A context created meanwhile is not shown, one destroyed
 * meanwhile may or may not be. */
static void for_each_tx(struct jw *w, void (*fn)(struct jw *w, struct mlx5tls_tx *tx, void *arg),
			void *arg)
{
	struct mlx5tls_device *dev;

	for (dev = inspect_devices_lock(); dev && !w->truncated; dev = dev->insp_next) {
		uint64_t cursor = UINT64_MAX;
		bool more = true;

		while (more && !w->truncated) {
			struct mlx5tls_tx *tx;
			unsigned int n = 0;
			uint64_t t0;

			pthread_mutex_lock(&dev->tx_lock);
			t0 = mono_ns();
			for (tx = dev->tx_list; tx && tx->id >= cursor; tx = tx->dev_next)
				;
			for (; tx && n < STEP_ENTRIES && !w->truncated; tx = tx->dev_next, n++) {
				fn(w, tx, arg);
				cursor = tx->id;
			}
			more = tx != NULL;
			hold_done(t0);
			pthread_mutex_unlock(&dev->tx_lock);
		}
	}
	inspect_devices_unlock();
}

static void ctx_one(struct jw *w, struct mlx5tls_tx *tx, void *arg)
{
	const struct ctx_filter *f = arg;
	struct mlx5tls_tx_state st;
	struct tx_snap snap;

	if ((f->by_dir && f->rx) || (f->by_id && tx->id != f->id))
		return;
	tx_snapshot(tx, &snap);
	if (f->by_path && snap.info.path != f->path)
		return;
	if (!jw_entry_ok(w))
		return;
	tx_inspect_fill(tx, &snap, &st);
	json_ctx(w, &st, &snap);
}

/* Calls fn for every TLS RX context (device's insp_lock held: none is freed meanwhile) until the
 * entry cap. */
static void for_each_rx(struct jw *w, void (*fn)(struct jw *w, struct mlx5tls_rx *rx, void *arg),
			void *arg)
{
	struct mlx5tls_device *dev;

	/* in steps, as for_each_tx (the RX list is newest first too) */
	for (dev = inspect_devices_lock(); dev && !w->truncated; dev = dev->insp_next) {
		uint64_t cursor = UINT64_MAX;
		bool more = true;

		while (more && !w->truncated) {
			struct mlx5tls_rx *rx;
			unsigned int n = 0;
			uint64_t t0;

			pthread_mutex_lock(&dev->insp_lock);
			t0 = mono_ns();
			for (rx = dev->insp_rx; rx && rx_insp_id(rx) >= cursor; rx = rx_insp_next(rx))
				;
			for (; rx && n < STEP_ENTRIES && !w->truncated; rx = rx_insp_next(rx), n++) {
				fn(w, rx, arg);
				cursor = rx_insp_id(rx);
			}
			more = rx != NULL;
			hold_done(t0);
			pthread_mutex_unlock(&dev->insp_lock);
		}
	}
	inspect_devices_unlock();
}

static void rx_ctx_one(struct jw *w, struct mlx5tls_rx *rx, void *arg)
{
	const struct ctx_filter *f = arg;
	struct mlx5tls_rx_state st;

	/* an RX context's path is always the device's */
	if ((f->by_dir && !f->rx) || (f->by_id && rx_insp_id(rx) != f->id) ||
	    (f->by_path && f->path != MLX5TLS_TX_PATH_DEVICE) || !jw_entry_ok(w))
		return;
	rx_inspect_fill(rx, &st);
	json_rx_ctx(w, &st);
}

static int cmd_ctx(struct jw *w, struct request *r)
{
	struct ctx_filter f;

	if (parse_ctx_filter(r, &f))
		return -1;
	jw_open(w, "contexts", '[');
	for_each_tx(w, ctx_one, &f);
	for_each_rx(w, rx_ctx_one, &f);
	jw_close(w, ']');
	return 0;
}

static void dek_one(struct jw *w, struct mlx5tls_tx *tx, void *arg)
{
	struct tx_snap snap;

	(void)arg;
	tx_snapshot(tx, &snap);
	for (unsigned int k = 0; k < snap.n_deks && jw_entry_ok(w); k++) {
		struct mlx5tls_dek *dek = snap.deks[k];
		struct mlx5tls_dek_attr a;
		struct mlx5tls_fw_error fe;
		uint8_t status = 0;
		uint32_t syndrome = 0;
		int err;

		memset(&a, 0, sizeof(a));
		err = mlx5tls_dek_query(dek, &a, sizeof(a));
		if (err == -EREMOTEIO && mlx5tls_last_fw_error(&fe) == 0) {
			status = fe.status;
			syndrome = fe.syndrome;
		}
		jw_open(w, NULL, '{');
		jw_u64(w, "id", mlx5tls_dek_id(dek));
		jw_u64(w, "context", tx->id);
		jw_str(w, "device", tx->qp->dev->attr.name);
		jw_u64(w, "key_epoch", snap.dek_epochs[k]);
		jw_bool(w, "pooled", dek->pool != NULL);
		json_dek_query(w, err, status, syndrome, &a);
		jw_close(w, '}');
	}
}

static int cmd_dek(struct jw *w, struct request *r)
{
	if (no_args(r))
		return -1;
	jw_open(w, "deks", '[');
	for_each_tx(w, dek_one, NULL);
	jw_close(w, ']');
	return 0;
}

static void tis_one(struct jw *w, struct mlx5tls_tx *tx, void *arg)
{
	struct mlx5tls_tis_attr a;
	struct mlx5tls_fw_error fe;
	struct tx_snap snap;
	uint8_t status = 0;
	uint32_t syndrome = 0;
	int err;

	(void)arg;
	tx_snapshot(tx, &snap);
	if (!snap.tis || !jw_entry_ok(w))
		return;
	memset(&a, 0, sizeof(a));
	err = mlx5tls_tis_query(snap.tis, &a, sizeof(a));
	if (err == -EREMOTEIO && mlx5tls_last_fw_error(&fe) == 0) {
		status = fe.status;
		syndrome = fe.syndrome;
	}
	jw_open(w, NULL, '{');
	jw_u64(w, "tisn", mlx5tls_tis_num(snap.tis));
	jw_u64(w, "context", tx->id);
	jw_str(w, "device", tx->qp->dev->attr.name);
	jw_bool(w, "pooled", snap.tis->pool != NULL);
	json_tis_query(w, err, status, syndrome, &a);
	jw_close(w, '}');
}

static int cmd_tis(struct jw *w, struct request *r)
{
	if (no_args(r))
		return -1;
	jw_open(w, "tises", '[');
	for_each_tx(w, tis_one, NULL);
	jw_close(w, ']');
	return 0;
}

static void tir_one(struct jw *w, struct mlx5tls_rx *rx, void *arg)
{
	struct mlx5tls_rx_state st;
	unsigned int *n = arg;

	if (!jw_entry_ok(w))
		return;
	rx_inspect_fill(rx, &st);
	jw_open(w, NULL, '{');
	json_rx_tir(w, &st);
	jw_u64(w, "context", st.id);
	jw_str(w, "device", st.device);
	jw_close(w, '}');
	(*n)++;
}

static int cmd_tir(struct jw *w, struct request *r)
{
	unsigned int n = 0;

	if (no_args(r))
		return -1;
	jw_open(w, "tirs", '[');
	for_each_rx(w, tir_one, &n);
	jw_close(w, ']');
	if (!n)
		jw_str(w, "note", "no RX contexts");
	return 0;
}

static void json_dek_pool(struct jw *w, struct mlx5tls_dek_pool *pool, const char *dev_name)
{
	struct mlx5tls_dek_pool_stats s;

	memset(&s, 0, sizeof(s));
	if (mlx5tls_dek_pool_query(pool, &s, sizeof(s)))
		return;
	jw_open(w, NULL, '{');
	jw_str(w, "device", dev_name);
	jw_bool(w, "bulk", s.bulk);
	jw_bool(w, "reuse", s.reuse);
	jw_u64(w, "bulk_size", s.bulk_size);
	jw_u64(w, "bulks", s.bulks);
	jw_u64(w, "in_use", s.in_use);
	jw_u64(w, "ready", s.ready);
	jw_u64(w, "awaiting_sync", s.awaiting_sync);
	jw_u64(w, "bulk_creates", s.bulk_creates);
	jw_u64(w, "bulk_destroys", s.bulk_destroys);
	jw_u64(w, "key_loads", s.key_loads);
	jw_u64(w, "syncs", s.syncs);
	jw_u64(w, "single_creates", s.single_creates);
	jw_u64(w, "single_destroys", s.single_destroys);
	jw_close(w, '}');
}

static void json_tis_pool(struct jw *w, struct mlx5tls_tis_pool *pool, const char *dev_name)
{
	struct mlx5tls_tis_pool_stats s;

	memset(&s, 0, sizeof(s));
	if (mlx5tls_tis_pool_query(pool, &s, sizeof(s)))
		return;
	jw_open(w, NULL, '{');
	jw_str(w, "device", dev_name);
	jw_u64(w, "free", s.free);
	jw_u64(w, "in_use", s.in_use);
	jw_u64(w, "creates", s.creates);
	jw_u64(w, "destroys", s.destroys);
	jw_close(w, '}');
}

static int cmd_pool(struct jw *w, struct request *r)
{
	struct mlx5tls_device *head, *dev;

	if (no_args(r))
		return -1;
	head = inspect_devices_lock();
	jw_open(w, "dek_pools", '[');
	for (dev = head; dev; dev = dev->insp_next) {
		pthread_mutex_lock(&dev->insp_lock);
		for (struct mlx5tls_dek_pool *p = dev->insp_dek_pools; p; p = dek_pool_insp_next(p))
			json_dek_pool(w, p, dev->attr.name);
		pthread_mutex_unlock(&dev->insp_lock);
	}
	jw_close(w, ']');
	jw_open(w, "tis_pools", '[');
	for (dev = head; dev; dev = dev->insp_next) {
		pthread_mutex_lock(&dev->insp_lock);
		for (struct mlx5tls_tis_pool *p = dev->insp_tis_pools; p; p = tis_pool_insp_next(p))
			json_tis_pool(w, p, dev->attr.name);
		pthread_mutex_unlock(&dev->insp_lock);
	}
	jw_close(w, ']');
	inspect_devices_unlock();
	return 0;
}

static int cmd_stat(struct jw *w, struct request *r)
{
	uint64_t vals[MLX5TLS_CNT__MAX];
	struct mlx5tls_device *dev;

	if (no_args(r))
		return -1;
	jw_open(w, "devices", '[');
	/* mlx5tls_device_counters takes the device's tx_lock: only the registry is held here */
	for (dev = inspect_devices_lock(); dev; dev = dev->insp_next) {
		int n;

		memset(vals, 0, sizeof(vals));
		n = mlx5tls_device_counters(dev, vals, MLX5TLS_CNT__MAX);
		jw_open(w, NULL, '{');
		jw_str(w, "name", dev->attr.name);
		jw_open(w, "counters", '{');
		for (int i = 0; i < n; i++)
			jw_u64(w, mlx5tls_counter_name((unsigned int)i), vals[i]);
		jw_close(w, '}');
		jw_close(w, '}');
	}
	inspect_devices_unlock();
	jw_close(w, ']');
	/* process-wide, under /proc/net/tls_stat's names */
	{
		uint64_t ts[TLS_STAT__MAX];
		int n = mlx5tls_tls_stat(ts, TLS_STAT__MAX);

		jw_open(w, "tls_stat", '{');
		for (int i = 0; i < n; i++)
			jw_u64(w, mlx5tls_tls_stat_name((unsigned int)i), ts[i]);
		jw_close(w, '}');
	}
	return 0;
}

static const struct {
	const char *name;
	int (*fn)(struct jw *w, struct request *r);
} commands[] = {
	{ "info", cmd_info }, { "dev", cmd_dev }, { "qp", cmd_qp },     { "ctx", cmd_ctx },
	{ "dek", cmd_dek },   { "tis", cmd_tis }, { "tir", cmd_tir },   { "pool", cmd_pool },
	{ "stat", cmd_stat },
};

static char *answer_error(const char *text, size_t *len)
{
	struct jw w = { 0 };

	answer_head(&w);
	jw_str(&w, "error", text);
	jw_close(&w, '}');
	jw_raw(&w, "\n", 1);
	if (w.oom) {
		free(w.buf);
		return NULL;
	}
	*len = w.len;
	return w.buf;
}

/* Split in place on blanks; argv points into line. */
static void tokenize(char *line, struct request *r)
{
	const int max = (int)(sizeof(r->argv) / sizeof(r->argv[0]));
	char *save = NULL;

	r->argc = 0;
	for (char *t = strtok_r(line, " \t", &save); t && r->argc < max;
	     t = strtok_r(NULL, " \t", &save))
		r->argv[r->argc++] = t;
}

char *publish_answer(const char *line, size_t *len)
{
	char copy[REQ_MAX + 1];
	struct request r;
	struct jw w = { 0 };
	size_t n = strlen(line);

	if (n > REQ_MAX)
		return answer_error("request line longer than 256 bytes", len);
	memcpy(copy, line, n + 1);
	memset(&r, 0, sizeof(r));
	tokenize(copy, &r);
	if (!r.argc)
		return answer_error("empty request", len);
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(r.argv[0], commands[i].name))
			continue;
		answer_head(&w);
		if (commands[i].fn(&w, &r)) {
			free(w.buf);
			return answer_error(r.err, len);
		}
		if (w.truncated)
			jw_bool(&w, "truncated", true);
		jw_close(&w, '}');
		jw_raw(&w, "\n", 1);
		if (w.oom || w.depth) {
			bool oom = w.oom;

			free(w.buf);
			return answer_error(oom ? "out of memory" : "internal error", len);
		}
		*len = w.len;
		return w.buf;
	}
	snprintf(r.err, sizeof(r.err),
		 "unknown command \"%.32s\" (info, dev, qp, ctx, dek, tis, tir, pool, stat)",
		 r.argv[0]);
	return answer_error(r.err, len);
}

bool publish_peer_allowed(uid_t peer, uid_t self)
{
	return peer == self || peer == 0;
}

/* ---- the server ---- */

static struct {
	pthread_mutex_t lock; /* start/stop */
	bool running;
	bool env_done;
	bool atexit_done;
	pid_t pid; /* of the process that started it: a forked child has no thread */
	pthread_t thread;
	int listen_fd;
	int wake[2];
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
} pub = { .lock = PTHREAD_MUTEX_INITIALIZER, .listen_fd = -1, .wake = { -1, -1 } };

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Clients. The thread never blocks on one: sockets are non-blocking, an answer is queued in the
 * client's output and sent as the client reads it (POLLOUT); while output is pending the client's
 * next requests wait in the socket. A client whose pending output would pass OUT_LIMIT, or that
 * neither sends a request nor reads for idle_ms, is closed. When MAX_CLIENTS are connected, a new
 * client takes the place of the one idle the longest (told so if it is listening).
 */
struct client {
	int fd;
	bool discard;      /* skipping the rest of a refused (too long) line */
	bool closing;      /* close once the output is sent (EOF seen) */
	size_t len;
	char buf[REQ_MAX + 3]; /* a line of REQ_MAX, "\r\n", NUL */
	char *out;         /* answers not yet sent: out[out_off, out_len) */
	size_t out_len, out_off;
	int64_t last_active; /* last request or progress in sending */
};

static int idle_ms = IDLE_MS_DEFAULT;

static void client_close(struct client *c)
{
	close(c->fd);
	free(c->out);
	memset(c, 0, sizeof(*c));
	c->fd = -1;
}

/* Send what the socket takes now. 0, or -1 if the client is gone. */
static int client_flush(struct client *c)
{
	while (c->out_off < c->out_len) {
		ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n > 0) {
			c->out_off += (size_t)n;
			c->last_active = now_ms();
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		return -1;
	}
	free(c->out);
	c->out = NULL;
	c->out_len = c->out_off = 0;
	return 0;
}

/* Queue an answer (taken over) and send what can be sent. -1: the client is to be closed. */
static int client_queue(struct client *c, char *a, size_t len)
{
	size_t pending = c->out_len - c->out_off;
	char *nb;

	if (!a)
		return -1;
	if (pending + len > OUT_LIMIT) {
		pr_debug("publish: a client that does not read its answers is dropped (%zu bytes "
			 "pending)\n", pending + len);
		free(a);
		return -1;
	}
	if (!c->out) {
		c->out = a;
		c->out_len = len;
		c->out_off = 0;
	} else {
		memmove(c->out, c->out + c->out_off, pending);
		nb = realloc(c->out, pending + len);
		if (!nb) {
			free(a);
			return -1;
		}
		memcpy(nb + pending, a, len);
		free(a);
		c->out = nb;
		c->out_len = pending + len;
		c->out_off = 0;
	}
	return client_flush(c);
}

static int answer(struct client *c, const char *line)
{
	size_t len = 0;
	char *a = publish_answer(line, &len);

	return client_queue(c, a, len);
}

static int send_error(struct client *c, const char *text)
{
	size_t len = 0;
	char *a = answer_error(text, &len);

	return client_queue(c, a, len);
}

/* Answer the complete lines received, one at a time: after an answer that could not be sent
 * whole, the rest wait (in buf) until it is. 0 to keep the client, -1 to close it. */
static int client_lines(struct client *c)
{
	char *nl;

	while (!c->out && (nl = memchr(c->buf, '\n', c->len))) {
		size_t used = (size_t)(nl - c->buf) + 1;
		int ret = 0;

		*nl = '\0';
		if (nl > c->buf && nl[-1] == '\r')
			nl[-1] = '\0';
		if (c->discard)
			c->discard = false; /* the end of a line already refused */
		else if (strlen(c->buf) > REQ_MAX)
			ret = send_error(c, "request line longer than 256 bytes");
		else
			ret = answer(c, c->buf);
		if (ret)
			return -1;
		memmove(c->buf, c->buf + used, c->len - used);
		c->len -= used;
		c->buf[c->len] = '\0';
	}
	if (!c->out && c->len >= sizeof(c->buf) - 1) {
		/* no newline within reach: refuse the line now, skip the rest of it as it comes,
		 * and serve the next one - the client need not reconnect */
		if (!c->discard && send_error(c, "request line longer than 256 bytes"))
			return -1;
		c->discard = true;
		c->len = 0;
	}
	return 0;
}

/* Read what the client sent and answer it. 0 to keep the client, -1 to close it. */
static int client_input(struct client *c)
{
	ssize_t n = recv(c->fd, c->buf + c->len, sizeof(c->buf) - 1 - c->len, MSG_DONTWAIT);

	if (n < 0)
		return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? 0 : -1;
	if (n == 0) {
		/* EOF: the lines still held, and a last line without its newline
		 * (printf 'info' | nc -U), are answered */
		c->closing = true;
		if (c->len && !memchr(c->buf, '\n', c->len) && !c->discard &&
		    c->len < sizeof(c->buf) - 2)
			c->buf[c->len++] = '\n';
		c->buf[c->len] = '\0';
		if (client_lines(c))
			return -1;
		return c->out ? 0 : -1;
	}
	c->last_active = now_ms();
	c->len += (size_t)n;
	c->buf[c->len] = '\0';
	return client_lines(c);
}

/* A slot for a new client: a free one, else the one idle the longest (told why, if it reads). */
static struct client *client_slot(struct client *cl, int *ncl)
{
	int oldest = 0;

	if (*ncl < MAX_CLIENTS)
		return &cl[(*ncl)++];
	for (int i = 1; i < *ncl; i++)
		if (cl[i].last_active < cl[oldest].last_active)
			oldest = i;
	{
		size_t len = 0;
		char *a = answer_error("closed: the longest idle of too many clients", &len);

		if (a)
			(void)send(cl[oldest].fd, a, len, MSG_NOSIGNAL | MSG_DONTWAIT);
		free(a);
	}
	client_close(&cl[oldest]);
	return &cl[oldest];
}

static void client_accept(struct client *cl, int *ncl)
{
	for (;;) {
		int fd = accept4(pub.listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct ucred cred;
		socklen_t clen = sizeof(cred);
		struct client *c;

		if (fd < 0)
			return; /* EAGAIN: all taken; other errors: next poll round */
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen) ||
		    !publish_peer_allowed(cred.uid, geteuid())) {
			/* another user that got past the modes (a CAP_DAC_OVERRIDE process) */
			pr_debug("publish: connection refused (peer uid %d)\n",
				 clen == sizeof(cred) ? (int)cred.uid : -1);
			close(fd);
			continue;
		}
		c = client_slot(cl, ncl);
		memset(c, 0, sizeof(*c));
		c->fd = fd;
		c->last_active = now_ms();
	}
}

/* Close the clients idle for idle_ms; the poll timeout until the next one would be. */
static int clients_expire(struct client *cl, int *ncl)
{
	int64_t now = now_ms(), next = -1;

	for (int i = *ncl - 1; i >= 0; i--) {
		int64_t left = cl[i].last_active + idle_ms - now;

		if (left <= 0) {
			pr_debug("publish: closing a client idle for %d ms\n", idle_ms);
			client_close(&cl[i]);
			cl[i] = cl[--(*ncl)];
			continue;
		}
		if (next < 0 || left < next)
			next = left;
	}
	return next < 0 ? -1 : (int)(next > INT32_MAX ? INT32_MAX : next);
}

static void *publish_thread(void *arg)
{
	struct client *cl = calloc(MAX_CLIENTS, sizeof(*cl));
	struct pollfd pfd[2 + MAX_CLIENTS];
	int ncl = 0;

	(void)arg;
	if (!cl) {
		pr_warn("publish: out of memory, not answering\n");
		return NULL;
	}
	for (;;) {
		int timeout = clients_expire(cl, &ncl);

		pfd[0] = (struct pollfd){ .fd = pub.wake[0], .events = POLLIN };
		pfd[1] = (struct pollfd){ .fd = pub.listen_fd, .events = POLLIN };
		/* a client with output pending is not read: its next requests wait; one that
		 * sent EOF is only waited for to read its answers */
		for (int i = 0; i < ncl; i++)
			pfd[2 + i] = (struct pollfd){ .fd = cl[i].fd,
						      .events = cl[i].out ? POLLOUT
						      : cl[i].closing ? 0 : POLLIN };
		if (poll(pfd, (nfds_t)(2 + ncl), timeout) < 0) {
			if (errno == EINTR)
				continue;
			pr_warn("publish: poll failed: %s\n", strerror(errno));
			break;
		}
		if (pfd[0].revents)
			break;
		/* downwards: a closed client is replaced by the last one, already served */
		for (int i = ncl - 1; i >= 0; i--) {
			struct client *c = &cl[i];
			int ret = 0;

			if (!pfd[2 + i].revents)
				continue;
			if (c->out) {
				if ((pfd[2 + i].revents & (POLLERR | POLLHUP | POLLNVAL)) &&
				    !(pfd[2 + i].revents & POLLOUT))
					ret = -1;
				else
					ret = client_flush(c);
				if (!ret && !c->out)
					ret = client_lines(c); /* the requests that waited */
			} else {
				ret = client_input(c);
			}
			if (!ret && c->closing && !c->out)
				ret = -1;
			if (ret) {
				client_close(c);
				cl[i] = cl[--ncl];
			}
		}
		if (pfd[1].revents & POLLIN)
			client_accept(cl, &ncl);
	}
	for (int i = 0; i < ncl; i++)
		client_close(&cl[i]);
	free(cl);
	return NULL;
}

/* ---- the directory and the socket ---- */

static int runtime_dir(const struct mlx5tls_publish_opts *opts, char *dir, size_t len)
{
	const char *d = OPTS_GET(opts, dir, NULL);
	int n;

	if (!d || !*d)
		d = getenv("MLX5TLS_RUNTIME_DIR");
	if (d && *d) {
		n = snprintf(dir, len, "%s", d);
	} else {
		d = getenv("XDG_RUNTIME_DIR");
		if (d && *d)
			n = snprintf(dir, len, "%s/mlx5tls", d);
		else
			n = snprintf(dir, len, "/tmp/mlx5tls-%u", (unsigned int)geteuid());
	}
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* Create dir 0700 if missing; refuse one not owned by the user or not exactly 0700. */
static int dir_check(const char *dir)
{
	struct stat st;

	if (mkdir(dir, 0700) && errno != EEXIST) {
		int err = -errno;

		pr_warn("publish: cannot create %s: %s\n", dir, strerror(-err));
		return err;
	}
	/* lstat: a symlink planted in /tmp must not redirect us */
	if (lstat(dir, &st)) {
		int err = -errno;

		pr_warn("publish: %s: %s\n", dir, strerror(-err));
		return err;
	}
	if (!S_ISDIR(st.st_mode)) {
		pr_warn("publish: %s is not a directory\n", dir);
		return -ENOTDIR;
	}
	if (st.st_uid != geteuid()) {
		/* e.g. another user pre-created /tmp/mlx5tls-UID: it could watch or replace the
		 * socket; set XDG_RUNTIME_DIR or MLX5TLS_RUNTIME_DIR to a directory of one's own */
		pr_warn("publish: refusing %s: owned by uid %u, not by uid %u (remove it, or set "
			"MLX5TLS_RUNTIME_DIR)\n", dir, (unsigned int)st.st_uid,
			(unsigned int)geteuid());
		return -EPERM;
	}
	if ((st.st_mode & 07777) != 0700) {
		pr_warn("publish: refusing %s: mode %04o, not 0700 (others could list or reach the "
			"sockets in it)\n", dir, (unsigned int)(st.st_mode & 07777));
		return -EPERM;
	}
	return 0;
}

/* "PID.sock" -> PID, else 0. */
static pid_t sock_pid(const char *name)
{
	char *end = NULL;
	long v;

	if (*name < '1' || *name > '9')
		return 0;
	v = strtol(name, &end, 10);
	if (strcmp(end, ".sock") || v <= 0 || v > INT32_MAX)
		return 0;
	return (pid_t)v;
}

/* Our own sockets of processes that are gone (and one of our pid, from a process that had it
 * before us); a live process of the user keeps its socket. */
static void remove_stale(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;

	if (!d)
		return;
	while ((de = readdir(d))) {
		pid_t pid = sock_pid(de->d_name);
		struct stat st;

		if (!pid)
			continue;
		if (pid != getpid() && (kill(pid, 0) == 0 || errno != ESRCH))
			continue;
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) ||
		    !S_ISSOCK(st.st_mode) || st.st_uid != geteuid())
			continue;
		if (unlinkat(dirfd(d), de->d_name, 0) == 0)
			pr_debug("publish: removed stale socket %s/%s\n", dir, de->d_name);
	}
	closedir(d);
}

static int listen_socket(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd, err;

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)))
		goto err;
	/* bind made it 0777 & ~umask; nobody else can reach it meanwhile: the directory is 0700 */
	if (chmod(path, 0600) || listen(fd, MAX_CLIENTS)) {
		err = -errno;
		unlink(path);
		close(fd);
		return err;
	}
	return fd;
err:
	err = -errno;
	close(fd);
	return err;
}

static void close_fds(void)
{
	if (pub.listen_fd >= 0)
		close(pub.listen_fd);
	for (int i = 0; i < 2; i++)
		if (pub.wake[i] >= 0)
			close(pub.wake[i]);
	pub.listen_fd = -1;
	pub.wake[0] = pub.wake[1] = -1;
}

/* Stop with pub.lock held; join_ms < 0 waits as long as the thread needs. */
static void stop_locked(int join_ms)
{
	bool joined = true;

	if (!pub.running)
		return;
	pub.running = false;
	if (pub.pid != getpid()) {
		/* a forked child: the thread and the socket are the parent's */
		close_fds();
		return;
	}
	if (write(pub.wake[1], "x", 1) < 0)
		pr_debug("publish: wake-up write failed: %s\n", strerror(errno));
	if (join_ms < 0) {
		pthread_join(pub.thread, NULL);
	} else {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += join_ms / 1000;
		ts.tv_nsec += (long)(join_ms % 1000) * 1000000;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		joined = pthread_timedjoin_np(pub.thread, NULL, &ts) == 0;
	}
	unlink(pub.path);
	/* a thread still building an answer at exit keeps its descriptors; exit closes them */
	if (joined)
		close_fds();
	pr_debug("publish: stopped, %s removed\n", pub.path);
}

static void publish_atexit(void)
{
	pthread_mutex_lock(&pub.lock);
	stop_locked(STOP_JOIN_MS);
	pthread_mutex_unlock(&pub.lock);
}

static int start_locked(const struct mlx5tls_publish_opts *opts)
{
	char dir[sizeof(pub.path)];
	sigset_t all, old;
	int ret, n;

	if (pub.running && pub.pid == getpid())
		return -EALREADY;
	if (pub.running)
		stop_locked(0); /* inherited from the parent by fork: start afresh */
	ret = runtime_dir(opts, dir, sizeof(dir));
	if (ret)
		return ret;
	n = snprintf(pub.path, sizeof(pub.path), "%s/%d.sock", dir, (int)getpid());
	if (n < 0 || (size_t)n >= sizeof(pub.path)) {
		pr_warn("publish: socket path in %s is too long for a UNIX socket\n", dir);
		return -ENAMETOOLONG;
	}
	ret = dir_check(dir);
	if (ret)
		return ret;
	remove_stale(dir);
	{
		/* how long an idle client is kept (mlx5tls-inspect(7)) */
		const char *e = getenv("MLX5TLS_PUBLISH_IDLE_MS");
		long v = e ? strtol(e, NULL, 10) : 0;

		idle_ms = v > 0 && v <= INT32_MAX ? (int)v : IDLE_MS_DEFAULT;
	}
	if (pipe2(pub.wake, O_CLOEXEC | O_NONBLOCK))
		return -errno;
	pub.listen_fd = listen_socket(pub.path);
	if (pub.listen_fd < 0) {
		ret = pub.listen_fd;
		pub.listen_fd = -1;
		pr_warn("publish: cannot listen on %s: %s\n", pub.path, strerror(-ret));
		close_fds();
		return ret;
	}
	/* the thread inherits this mask: no signal is ever delivered to it */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	ret = -pthread_create(&pub.thread, NULL, publish_thread, NULL);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (ret) {
		unlink(pub.path);
		close_fds();
		return ret;
	}
	pthread_setname_np(pub.thread, "mlx5tls-publish");
	pub.running = true;
	pub.pid = getpid();
	if (!pub.atexit_done && atexit(publish_atexit) == 0)
		pub.atexit_done = true;
	pr_info("publishing on %s\n", pub.path);
	return 0;
}

int mlx5tls_publish_start(const struct mlx5tls_publish_opts *opts)
{
	int ret;

	if (!OPTS_VALID(opts, mlx5tls_publish_opts))
		return libmlx5tls_err(-EINVAL);
	pthread_mutex_lock(&pub.lock);
	ret = start_locked(opts);
	pthread_mutex_unlock(&pub.lock);
	return libmlx5tls_err(ret);
}

int mlx5tls_publish_stop(void)
{
	pthread_mutex_lock(&pub.lock);
	stop_locked(-1);
	pthread_mutex_unlock(&pub.lock);
	return 0;
}

void publish_env_check(void)
{
	const char *v = getenv("MLX5TLS_PUBLISH");
	bool first;
	int ret;

	if (!v || !*v || !strcmp(v, "0"))
		return;
	pthread_mutex_lock(&pub.lock);
	first = !pub.env_done;
	pub.env_done = true;
	ret = first ? start_locked(NULL) : 0;
	pthread_mutex_unlock(&pub.lock);
	if (ret && ret != -EALREADY)
		pr_warn("MLX5TLS_PUBLISH: cannot publish: %s\n", strerror(-ret));
}
