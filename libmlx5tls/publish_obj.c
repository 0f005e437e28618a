/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The publisher's JSON objects (mlx5tls-inspect(7)): capabilities, TLS TX and RX contexts with
 * their DEK, TIS or TIR read back with QUERY commands, and the pools, each as the protocol
 * documents it.
 */
#include <arpa/inet.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "prm/mlx5_ifc_tls.h"
#include "publish_internal.h"

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

void json_caps(struct jw *w, const struct mlx5tls_caps *c)
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

void json_dek_query(struct jw *w, int err, uint8_t status, uint32_t syndrome,
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

void json_tis_query(struct jw *w, int err, uint8_t status, uint32_t syndrome,
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

/* A context's opening members, the same for both directions (it opens the object). */
static void json_ctx_head(struct jw *w, uint64_t id, const char *device, const char *dir,
			  uint32_t sqn, uint16_t version, uint16_t cipher, enum mlx5tls_tx_path path,
			  const char *reason)
{
	char b1[16], b2[16];

	jw_open(w, NULL, '{');
	jw_u64(w, "id", id);
	jw_str(w, "device", device);
	jw_str(w, "dir", dir);
	jw_u64(w, "sqn", sqn);
	jw_str(w, "tls_version", tls_version_name(version, b1, sizeof(b1)));
	jw_str(w, "cipher", cipher_name(cipher, b2, sizeof(b2)));
	jw_str(w, "path", path_name(path));
	jw_str(w, "reason", reason);
}

/* "dek":{"id",...QUERY_GENERAL_OBJECT} of a context's current key. */
static void json_ctx_dek(struct jw *w, const struct mlx5tls_dek_attr *a, int err,
			 uint8_t status, uint32_t syndrome)
{
	jw_open(w, "dek", '{');
	jw_u64(w, "id", a->id);
	json_dek_query(w, err, status, syndrome, a);
	jw_close(w, '}');
}

/* "progress":{"available","reason"}: whether the device's progress parameters could be read. */
static void json_progress(struct jw *w, bool available, const char *reason)
{
	jw_open(w, "progress", '{');
	jw_bool(w, "available", available);
	jw_str(w, "reason", reason);
	jw_close(w, '}');
}

void json_ctx(struct jw *w, const struct mlx5tls_tx_state *st, const struct tx_snap *snap)
{
	json_ctx_head(w, st->id, st->device, "tx", st->sqn, st->tls_version, st->cipher_type,
		      st->path, st->reason);
	if (st->has_dek) {
		struct mlx5tls_dek_attr a = {
			.id = st->dek_id, .pooled = st->dek_pooled, .state = st->dek_state,
			.key_bits = st->dek_key_bits, .key_purpose = st->dek_key_purpose,
			.pd = st->dek_pd,
		};

		json_ctx_dek(w, &a, st->dek_error, st->dek_fw_status, st->dek_fw_syndrome);
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
	json_progress(w, st->progress_available, st->progress_reason);
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
void json_rx_tir(struct jw *w, const struct mlx5tls_rx_state *st)
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

void json_rx_ctx(struct jw *w, const struct mlx5tls_rx_state *st)
{
	struct mlx5tls_dek_attr a = {
		.id = st->dek_id, .pooled = st->dek_pooled, .state = st->dek_state,
		.key_bits = st->dek_key_bits, .key_purpose = st->dek_key_purpose, .pd = st->dek_pd,
	};

	json_ctx_head(w, st->id, st->device, "rx", st->sqn, st->tls_version, st->cipher_type,
		      st->path, st->reason);
	jw_u64(w, "key_epoch", st->key_epoch);
	jw_str(w, "stop", rx_stop_name(st->stop));
	json_ctx_dek(w, &a, st->dek_error, st->dek_fw_status, st->dek_fw_syndrome);
	jw_open(w, "tir", '{');
	json_rx_tir(w, st);
	jw_close(w, '}');
	json_conn(w, &st->conn, st->conn_source, st->label);
	json_progress(w, st->progress_available, st->progress_reason);
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

void json_dek_pool(struct jw *w, struct mlx5tls_dek_pool *pool, const char *dev_name)
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

void json_tis_pool(struct jw *w, struct mlx5tls_tis_pool *pool, const char *dev_name)
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
