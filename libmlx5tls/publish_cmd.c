/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The publisher's requests (mlx5tls-inspect(7)): one request line parsed into words, the command
 * it names run, and its JSON answer built in memory. Lists of contexts are walked in steps so
 * that no lock the application takes is held for long.
 */
#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tls_stat.h"
#include "publish_internal.h"

/* A listing (ctx, dek, tis, tir) is a page of at most this many entries unless "limit" says
 * otherwise, and never more than the maximum: an answer is built in memory and queued whole for
 * the client (a context is about 0.9 KiB of JSON; a client may have 16 MiB pending). */
#define PAGE_LIMIT_DEFAULT 1000u
#define PAGE_LIMIT_MAX 10000u

#ifndef MLX5TLS_LIB_VERSION
#define MLX5TLS_LIB_VERSION "unknown"
#endif

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
		for (unsigned int i = 0; i < CTX_SHARDS; i++) {
			pthread_mutex_lock(&dev->ctx_shards[i].lock);
			txs += insp_table_live(&dev->ctx_shards[i].tx);
			pthread_mutex_unlock(&dev->ctx_shards[i].lock);
		}

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

/* Where a listing's page starts and how long it may be ("limit N", "cursor C"). */
struct page {
	unsigned int limit;
	struct walk_cursor from;
	bool from_given;
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

static void page_init(struct page *pg, bool rx)
{
	pg->limit = PAGE_LIMIT_DEFAULT;
	pg->from = rx ? (struct walk_cursor)WALK_CURSOR_RX : (struct walk_cursor)WALK_CURSOR_TX;
	pg->from_given = false;
}

/* 1 if key is limit or cursor (val checked: 0 or -1 in ret), 0 if it is neither. */
static int page_arg(struct page *pg, const char *key, const char *val, int *ret)
{
	uint64_t n;

	*ret = 0;
	if (!strcmp(key, "limit")) {
		if (parse_u64(val, &n) || !n)
			*ret = -1;
		else
			pg->limit = n > PAGE_LIMIT_MAX ? PAGE_LIMIT_MAX : (unsigned int)n;
		return 1;
	}
	if (!strcmp(key, "cursor")) {
		*ret = walk_cursor_parse(val, &pg->from);
		pg->from_given = true;
		return 1;
	}
	return 0;
}

/* "next": the cursor of the next page, null once every entry was looked at. */
static void page_end(struct jw *w, bool done, const struct walk_cursor *c)
{
	char next[WALK_CURSOR_LEN];

	if (done) {
		jw_null(w, "next");
		return;
	}
	walk_cursor_format(c, next, sizeof(next));
	jw_str(w, "next", next);
}

/* The arguments of dek, tis and tir: limit and cursor; ctx N, the objects of context N only
 * (found through the index, not walked to); and the object's own number (`key`: id, tisn or
 * tirn). A cursor of the other direction's listing is refused. */
struct obj_filter {
	struct page pg;
	bool by_ctx, by_num;
	uint64_t ctx, num;
};

static int parse_obj_filter(struct request *r, struct obj_filter *f, bool rx, const char *key)
{
	memset(f, 0, sizeof(*f));
	page_init(&f->pg, rx);
	for (int i = 1; i < r->argc; i += 2) {
		const char *k = r->argv[i], *val = i + 1 < r->argc ? r->argv[i + 1] : NULL;
		int ret = 0;

		if (!val) {
			snprintf(r->err, sizeof(r->err), "%s: %.32s needs a value", r->argv[0], k);
			return -1;
		}
		if (!strcmp(k, "ctx")) {
			f->by_ctx = true;
			ret = parse_u64(val, &f->ctx);
		} else if (!strcmp(k, key)) {
			f->by_num = true;
			ret = parse_u64(val, &f->num);
		} else if (!page_arg(&f->pg, k, val, &ret)) {
			snprintf(r->err, sizeof(r->err),
				 "%s: unknown argument \"%.32s\" (%s, ctx, limit, cursor)", r->argv[0],
				 k, key);
			return -1;
		}
		if (ret || f->pg.from.rx != rx) {
			snprintf(r->err, sizeof(r->err), "%s: bad value \"%.32s\" for %s",
				 r->argv[0], val, k);
			return -1;
		}
	}
	return 0;
}

struct ctx_filter {
	bool by_id;
	uint64_t id;
	bool by_dir;
	bool rx;
	bool by_path;
	enum mlx5tls_tx_path path;
	struct page pg;
};

static int parse_ctx_filter(struct request *r, struct ctx_filter *f)
{
	memset(f, 0, sizeof(*f));
	page_init(&f->pg, false);
	for (int i = 1; i < r->argc; i += 2) {
		const char *key = r->argv[i], *val = i + 1 < r->argc ? r->argv[i + 1] : NULL;
		int ret;

		if (!val) {
			snprintf(r->err, sizeof(r->err), "ctx: %.32s needs a value", key);
			return -1;
		}
		if (page_arg(&f->pg, key, val, &ret)) {
			if (ret)
				goto bad_value;
		} else if (!strcmp(key, "id")) {
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
				 "ctx: unknown argument \"%.32s\" (id, dir, path, limit, cursor)", key);
			return -1;
		}
		continue;
bad_value:
		snprintf(r->err, sizeof(r->err), "ctx: bad value \"%.32s\" for %s", val, key);
		return -1;
	}
	return 0;
}

static void ctx_one(struct jw *w, void *ctx, void *arg)
{
	const struct ctx_filter *f = arg;
	struct mlx5tls_tx *tx = ctx;
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

static void rx_ctx_one(struct jw *w, void *ctx, void *arg)
{
	const struct ctx_filter *f = arg;
	struct mlx5tls_rx *rx = ctx;
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
	bool done;

	if (parse_ctx_filter(r, &f))
		return -1;
	/* one direction asked for: the walk skips the other (a TX cursor with dir rx starts the
	 * RX contexts) */
	if (f.by_dir && f.rx && !f.pg.from.rx)
		f.pg.from = (struct walk_cursor)WALK_CURSOR_RX;
	jw_open(w, "contexts", '[');
	if (f.by_id) { /* one context, found through the index: the answer is the last page */
		(void)walk_find(w, f.id, &f.pg.from, ctx_one, rx_ctx_one, &f);
		done = true;
	} else {
		done = walk_tx(w, &f.pg.from, f.pg.limit, ctx_one, &f) &&
		       ((f.by_dir && !f.rx) || walk_rx(w, &f.pg.from, f.pg.limit, rx_ctx_one, &f));
	}
	jw_close(w, ']');
	page_end(w, done, &f.pg.from);
	return 0;
}

static void dek_one(struct jw *w, void *ctx, void *arg)
{
	const struct obj_filter *f = arg;
	struct mlx5tls_tx *tx = ctx;
	struct tx_snap snap;

	tx_snapshot(tx, &snap);
	for (unsigned int k = 0; k < snap.n_deks && jw_entry_ok(w); k++) {
		struct mlx5tls_dek *dek = snap.deks[k];
		struct mlx5tls_dek_attr a;
		struct mlx5tls_fw_error fe;
		uint8_t status = 0;
		uint32_t syndrome = 0;
		int err;

		if (f->by_num && mlx5tls_dek_id(dek) != f->num)
			continue;

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

/* The objects of one direction's contexts, fn on each context (its filter in f): a page of the
 * walk, or with ctx N the one context (the last page). */
static bool page_objs(struct jw *w, struct obj_filter *f, bool rx, walk_fn *fn)
{
	if (f->by_ctx) {
		(void)walk_find(w, f->ctx, &f->pg.from, rx ? NULL : fn, rx ? fn : NULL, f);
		return true;
	}
	return rx ? walk_rx(w, &f->pg.from, f->pg.limit, fn, f)
		  : walk_tx(w, &f->pg.from, f->pg.limit, fn, f);
}

/* dek and tis: a page of the TX contexts' objects. A context's DEKs (one per live key) stay on
 * one page: a page of dek may have up to TX_EPOCHS - 1 more entries than its limit. */
static int page_tx(struct jw *w, struct request *r, const char *list, const char *key,
		   walk_fn *fn)
{
	struct obj_filter f;
	bool done;

	if (parse_obj_filter(r, &f, false, key))
		return -1;
	jw_open(w, list, '[');
	done = page_objs(w, &f, false, fn);
	jw_close(w, ']');
	page_end(w, done, &f.pg.from);
	return 0;
}

static int cmd_dek(struct jw *w, struct request *r)
{
	return page_tx(w, r, "deks", "id", dek_one);
}

static void tis_one(struct jw *w, void *ctx, void *arg)
{
	const struct obj_filter *f = arg;
	struct mlx5tls_tx *tx = ctx;
	struct mlx5tls_tis_attr a;
	struct mlx5tls_fw_error fe;
	struct tx_snap snap;
	uint8_t status = 0;
	uint32_t syndrome = 0;
	int err;

	tx_snapshot(tx, &snap);
	if (!snap.tis || (f->by_num && mlx5tls_tis_num(snap.tis) != f->num) || !jw_entry_ok(w))
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
	return page_tx(w, r, "tises", "tisn", tis_one);
}

struct tir_walk {
	struct obj_filter f;
	unsigned int n; /* TIRs listed */
};

static void tir_one(struct jw *w, void *ctx, void *arg)
{
	struct mlx5tls_rx *rx = ctx;
	struct mlx5tls_rx_state st;
	struct tir_walk *tw = arg;

	/* the TIR the context's inspection reports (rx_inspect_fill), without filling it all */
	if ((tw->f.by_num && rx_insp_tirn(rx) != tw->f.num) || !jw_entry_ok(w))
		return;
	rx_inspect_fill(rx, &st);
	jw_open(w, NULL, '{');
	json_rx_tir(w, &st);
	jw_u64(w, "context", st.id);
	jw_str(w, "device", st.device);
	jw_close(w, '}');
	tw->n++;
}

static int cmd_tir(struct jw *w, struct request *r)
{
	struct tir_walk tw;
	bool done;

	if (parse_obj_filter(r, &tw.f, true, "tirn"))
		return -1;
	tw.n = 0;
	jw_open(w, "tirs", '[');
	/* tw starts with its filter: the walk's callbacks take it as either */
	done = page_objs(w, &tw.f, true, tir_one);
	jw_close(w, ']');
	page_end(w, done, &tw.f.pg.from);
	if (!tw.n && done && !tw.f.pg.from_given && !tw.f.by_ctx && !tw.f.by_num)
		jw_str(w, "note", "no RX contexts");
	return 0;
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
	/* mlx5tls_device_counters takes the device's insp_lock: only the registry is held here */
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

char *publish_answer_error(const char *text, size_t *len)
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
		return publish_answer_error("request line longer than 256 bytes", len);
	memcpy(copy, line, n + 1);
	memset(&r, 0, sizeof(r));
	tokenize(copy, &r);
	if (!r.argc)
		return publish_answer_error("empty request", len);
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(r.argv[0], commands[i].name))
			continue;
		answer_head(&w);
		if (commands[i].fn(&w, &r)) {
			free(w.buf);
			return publish_answer_error(r.err, len);
		}
		if (w.truncated)
			jw_bool(&w, "truncated", true);
		jw_close(&w, '}');
		jw_raw(&w, "\n", 1);
		if (w.oom || w.depth) {
			bool oom = w.oom;

			free(w.buf);
			return publish_answer_error(oom ? "out of memory" : "internal error", len);
		}
		*len = w.len;
		return w.buf;
	}
	snprintf(r.err, sizeof(r.err),
		 "unknown command \"%.32s\" (info, dev, qp, ctx, dek, tis, tir, pool, stat)",
		 r.argv[0]);
	return publish_answer_error(r.err, len);
}
