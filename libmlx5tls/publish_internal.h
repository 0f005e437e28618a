/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The publisher (mlx5tls-inspect(7)), internal: the JSON writer its answers are built with
 * (publish_json.c) and the JSON objects of the library's objects (publish_obj.c), shared by the
 * request handlers (publish_cmd.c) and the socket server (publish.c).
 */
#ifndef MLX5TLS_PUBLISH_INTERNAL_H
#define MLX5TLS_PUBLISH_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "inspect.h"

#define REQ_MAX 256 /* longest request line (spec), newline excluded */
/* A safety cap on the entries of one answer ("truncated":true after). Listings page well below
 * it (publish_cmd.c: at most 10000 contexts a page, up to 4 DEKs each); it bounds an answer's
 * memory should a listing ever not. */
#define ANSWER_MAX_ENTRIES 65536u
#define JW_MAX_DEPTH 16

/* ---- a small JSON writer (RFC 8259) into a growing buffer (publish_json.c) ---- */

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

void jw_raw(struct jw *w, const char *s, size_t n);
void jw_open(struct jw *w, const char *key, char bracket);
void jw_close(struct jw *w, char bracket);
void jw_str(struct jw *w, const char *key, const char *val);
void jw_u64(struct jw *w, const char *key, uint64_t val);
void jw_bool(struct jw *w, const char *key, bool val);
void jw_null(struct jw *w, const char *key);
bool jw_entry_ok(struct jw *w);

/* ---- the library's objects as JSON (publish_obj.c) ---- */

void json_caps(struct jw *w, const struct mlx5tls_caps *c);
void json_dek_query(struct jw *w, int err, uint8_t status, uint32_t syndrome,
			   const struct mlx5tls_dek_attr *a);
void json_tis_query(struct jw *w, int err, uint8_t status, uint32_t syndrome,
			   const struct mlx5tls_tis_attr *a);
void json_ctx(struct jw *w, const struct mlx5tls_tx_state *st, const struct tx_snap *snap);
void json_rx_tir(struct jw *w, const struct mlx5tls_rx_state *st);
void json_rx_ctx(struct jw *w, const struct mlx5tls_rx_state *st);
void json_dek_pool(struct jw *w, struct mlx5tls_dek_pool *pool, const char *dev_name);
void json_tis_pool(struct jw *w, struct mlx5tls_tis_pool *pool, const char *dev_name);

/* ---- walks over the contexts of every device, in steps (publish_walk.c) ---- */

/* Where a walk stands: every TX context comes before every RX context; in a direction the
 * devices come newest first (registry number dev->insp_seq falling), in a device its shards
 * (mlx5tls_internal.h) by rising index, and in a shard the slots of its table (insp_table.h)
 * rising. As text (the answers' "next"): "t" or "r", the device's number, ".", the shard, ".",
 * the slot - "t3.1.4096"; "t3.4096" is read as shard 0. */
struct walk_cursor {
	bool rx;
	uint32_t dev_seq; /* devices with a larger number are done */
	uint32_t shard;   /* the shard of device dev_seq the slot is in (lower ones are done) */
	uint32_t slot;    /* the next slot to look at there */
};
#define WALK_CURSOR_TX { false, UINT32_MAX, 0, 0 }
#define WALK_CURSOR_RX { true, UINT32_MAX, 0, 0 }
#define WALK_CURSOR_LEN 32 /* room for the text */

int walk_cursor_parse(const char *s, struct walk_cursor *c); /* 0 or -1 */
void walk_cursor_format(const struct walk_cursor *c, char *buf, size_t len);

/* Called on each context (struct mlx5tls_tx or mlx5tls_rx) with its device's lock held. */
typedef void walk_fn(struct jw *w, void *ctx, void *arg);

/* fn on every TX (RX) context from *c on, until w has limit entries. true when the direction is
 * done (*c then names the start of the RX contexts), false when stopped at the limit (*c is
 * where to resume: the first context not looked at). */
bool walk_tx(struct jw *w, struct walk_cursor *c, unsigned int limit, walk_fn *fn, void *arg);
bool walk_rx(struct jw *w, struct walk_cursor *c, unsigned int limit, walk_fn *fn, void *arg);
/* The context with that id, through the tables' index (O(1) per device, no walk): tx_fn or rx_fn
 * on it if it is at or after cursor c. Whether a context has the id. */
bool walk_find(struct jw *w, uint64_t id, const struct walk_cursor *c, walk_fn *tx_fn,
	       walk_fn *rx_fn, void *arg);

/* ---- answers (publish_cmd.c) ---- */

/* The error answer {"schema":1,"pid":N,"error":text} with its newline; NULL when out of memory. */
char *publish_answer_error(const char *text, size_t *len);

#endif
