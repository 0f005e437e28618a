/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mlx5tls-query selftest [run]: create one of each object the TX setup path uses (PD, TD, a single
 * DEK, a DEK pool and one pooled DEK, a TLS TIS), query each back and check what it reports, then
 * tear everything down in order (DEKs and TISes, pools, TD/PD). The keys are random (getrandom)
 * and wiped right after the command that loads them; key bytes are never printed.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "query.h"
#include "tls_wire.h"

/* Stored in the single DEK (opaque) and checked on query: "mlx5tls\x01". */
#define SELFTEST_OPAQUE 0x6d6c7835746c7301ull

struct selftest {
	struct tool *t;
	struct mlx5tls_caps caps;
	const struct tool_suite *suite;
	struct mlx5tls_pd *pd;
	struct mlx5tls_td *td;
	struct mlx5tls_dek *dek;
	struct mlx5tls_dek_pool *dek_pool;
	struct mlx5tls_dek *pooled_dek;
	struct mlx5tls_tis *tis;
	/* the TLS TX datapath step */
	struct mlx5tls_qp *qp;
	struct mlx5tls_mr *mr;
	struct mlx5tls_tx *tx;
	uint8_t *frame_mem;
	uint8_t wire[2048]; /* the frame the model put on the wire */
	size_t wire_len;
	unsigned int wire_frames;
	const char *failed; /* the first step that failed */
	unsigned int skipped;
};

static void selftest_help(FILE *fp)
{
	fprintf(fp, "Usage: mlx5tls-query [-j [-p]] selftest [ run ]\n"
		    "Creates, queries and destroys a PD, a TD, a DEK, a DEK pool with one DEK and a TLS\n"
		    "TIS on the device, then sends one TLS record through a queue pair with a TLS TX\n"
		    "context (on the model: the record on the wire is decrypted and checked with\n"
		    "OpenSSL); prints each step and \"selftest: OK\" or the failing step.\n");
}

static int selftest_help_cmd(struct tool *t)
{
	(void)t;
	selftest_help(stdout);
	return 0;
}

static void step_begin(const char *name)
{
	pr_open_object(NULL);
	pr_string("step", "%-20s", name);
}

static void step_end(void)
{
	pr_close_object();
	pr_nl();
}

/* "ok", padded to align the details that follow (if any) */
static void step_ok(bool details)
{
	pr_string("result", details ? "%-8s" : "%s", "ok");
}

/* The step failed with err (negative errno): reported in its row and on stderr. */
static void step_fail(struct selftest *st, const char *name, int err)
{
	struct tool_err e;
	char what[96];

	tool_err_capture(&e, err);
	pr_string("result", "%s", "FAILED");
	tool_err_print(&e);
	snprintf(what, sizeof(what), "selftest: %s", name);
	tool_err_report(st->t, what, &e);
	if (!st->failed)
		st->failed = name;
}

/* What a query returned is not what was created. */
static void step_mismatch(struct selftest *st, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void step_mismatch(struct selftest *st, const char *name, const char *fmt, ...)
{
	char msg[160];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	pr_string("result", "%s", "FAILED");
	pr_string("mismatch", ": %s", msg);
	tool_error(st->t, "selftest: %s: %s", name, msg);
	if (!st->failed)
		st->failed = name;
}

static void step_skip(struct selftest *st, const char *name, const char *reason)
{
	step_begin(name);
	pr_string("result", "%s", "skipped");
	pr_string("reason", ": %s", reason);
	step_end();
	st->skipped++;
}

static const char *dek_state_str(uint8_t state)
{
	switch (state) {
	case 0: return "ready";
	case 1: return "error";
	default: return "unknown";
	}
}

/* ---- steps; each returns 0 or -1 (reported) ---- */

static int step_caps(struct selftest *st)
{
	char summary[160];
	int err;

	step_begin("caps");
	memset(&st->caps, 0, sizeof(st->caps));
	err = mlx5tls_query_caps(st->t->dev, &st->caps, sizeof(st->caps));
	if (err) {
		step_fail(st, "caps", err);
		step_end();
		return -1;
	}
	step_ok(true);
	tool_tls_summary(&st->caps, summary, sizeof(summary));
	pr_string("tls", "tls: %s", summary);
	step_end();
	return 0;
}

static int step_pd_td(struct selftest *st)
{
	step_begin("pd_alloc");
	st->pd = mlx5tls_pd_alloc(st->t->dev);
	if (!st->pd) {
		step_fail(st, "pd_alloc", errno);
		step_end();
		return -1;
	}
	step_ok(true);
	pr_uint("pd", "pd %s", mlx5tls_pd_num(st->pd));
	step_end();

	step_begin("td_alloc");
	st->td = mlx5tls_td_alloc(st->t->dev);
	if (!st->td) {
		step_fail(st, "td_alloc", errno);
		step_end();
		return -1;
	}
	step_ok(true);
	pr_uint("td", "td %s", mlx5tls_td_num(st->td));
	step_end();
	return 0;
}

/* Query a DEK back and check it against what was asked for. */
static int step_dek_query(struct selftest *st, const char *name, struct mlx5tls_dek *dek,
			  bool pooled)
{
	struct mlx5tls_dek_attr a;
	int err;

	step_begin(name);
	memset(&a, 0, sizeof(a));
	err = mlx5tls_dek_query(dek, &a, sizeof(a));
	if (err) {
		step_fail(st, name, err);
		step_end();
		return -1;
	}
	if (a.id != mlx5tls_dek_id(dek))
		step_mismatch(st, name, "id %" PRIu32 " != dek id %" PRIu32, a.id,
			      mlx5tls_dek_id(dek));
	else if (a.pooled != pooled)
		step_mismatch(st, name, "pooled %d, expected %d", a.pooled, pooled);
	else if (a.key_bits != st->suite->key_bits)
		step_mismatch(st, name, "key_bits %u, expected %u", a.key_bits, st->suite->key_bits);
	else if (a.pd != mlx5tls_pd_num(st->pd))
		step_mismatch(st, name, "pd %" PRIu32 " != %" PRIu32, a.pd, mlx5tls_pd_num(st->pd));
	else if (a.state != 0)
		step_mismatch(st, name, "state %u (%s), expected ready", a.state,
			      dek_state_str(a.state));
	else if (!pooled && a.opaque != SELFTEST_OPAQUE)
		step_mismatch(st, name, "opaque 0x%" PRIx64 " != 0x%" PRIx64, a.opaque,
			      (uint64_t)SELFTEST_OPAQUE);
	else
		step_ok(true);
	pr_uint("id", "id %s", a.id);
	pr_uint("obj_id", " obj_id %s", a.obj_id);
	pr_uint("obj_offset", " obj_offset %s", a.obj_offset);
	pr_bool("pooled", " pooled %s", a.pooled);
	pr_string("state", " state %s", dek_state_str(a.state));
	pr_uint("key_bits", " key_bits %s", a.key_bits);
	pr_uint("key_purpose", " key_purpose %s", a.key_purpose);
	pr_uint("pd", " pd %s", a.pd);
	pr_hex("opaque", " opaque %s", a.opaque);
	step_end();
	return st->failed ? -1 : 0;
}

static int step_dek(struct selftest *st)
{
	MLX5TLS_OPTS(mlx5tls_dek_opts, opts, .opaque = SELFTEST_OPAQUE);
	union tool_crypto_info ci;
	size_t ci_len;

	step_begin("dek_create");
	ci_len = tool_crypto_info(&ci, st->suite, NULL, NULL);
	st->dek = ci_len ? mlx5tls_dek_create(st->pd, &ci.info, ci_len, &opts) : NULL;
	explicit_bzero(&ci, sizeof(ci));
	if (!st->dek) {
		step_fail(st, "dek_create", errno);
		pr_string("suite", " (suite %s)", st->suite->name);
		step_end();
		return -1;
	}
	step_ok(true);
	pr_string("suite", "suite %s", st->suite->name);
	pr_uint("id", " id %s", mlx5tls_dek_id(st->dek));
	step_end();
	return step_dek_query(st, "dek_query", st->dek, false);
}

static int step_dek_pool(struct selftest *st)
{
	struct mlx5tls_dek_pool_stats s;
	union tool_crypto_info ci;
	size_t ci_len;
	int err;

	step_begin("dek_pool_create");
	st->dek_pool = mlx5tls_dek_pool_create(st->pd, NULL);
	if (!st->dek_pool) {
		step_fail(st, "dek_pool_create", errno);
		step_end();
		return -1;
	}
	step_ok(false);
	step_end();

	step_begin("dek_pool_get");
	ci_len = tool_crypto_info(&ci, st->suite, NULL, NULL);
	st->pooled_dek = ci_len ? mlx5tls_dek_pool_get(st->dek_pool, &ci.info, ci_len) : NULL;
	explicit_bzero(&ci, sizeof(ci));
	if (!st->pooled_dek) {
		step_fail(st, "dek_pool_get", errno);
		pr_string("suite", " (suite %s)", st->suite->name);
		step_end();
		return -1;
	}
	step_ok(true);
	pr_string("suite", "suite %s", st->suite->name);
	pr_uint("id", " id %s", mlx5tls_dek_id(st->pooled_dek));
	step_end();

	if (step_dek_query(st, "dek_pool_dek_query", st->pooled_dek, true))
		return -1;

	step_begin("dek_pool_query");
	memset(&s, 0, sizeof(s));
	err = mlx5tls_dek_pool_query(st->dek_pool, &s, sizeof(s));
	if (err) {
		step_fail(st, "dek_pool_query", err);
		step_end();
		return -1;
	}
	if (s.in_use != 1)
		step_mismatch(st, "dek_pool_query", "in_use %" PRIu64 ", expected 1", s.in_use);
	else if (s.bulk != st->caps.bulk_dek)
		step_mismatch(st, "dek_pool_query", "bulk %d but the device's bulk_dek is %d", s.bulk,
			      st->caps.bulk_dek);
	else
		step_ok(true);
	pr_bool("bulk", "bulk %s", s.bulk);
	pr_bool("reuse", " reuse %s", s.reuse);
	pr_uint("bulk_size", " bulk_size %s", s.bulk_size);
	pr_uint("bulks", " bulks %s", s.bulks);
	pr_uint("in_use", " in_use %s", s.in_use);
	pr_uint("ready", " ready %s", s.ready);
	pr_uint("awaiting_sync", " awaiting_sync %s", s.awaiting_sync);
	if (st->t->details || st->t->json) {
		pr_uint("bulk_creates", " bulk_creates %s", s.bulk_creates);
		pr_uint("bulk_destroys", " bulk_destroys %s", s.bulk_destroys);
		pr_uint("key_loads", " key_loads %s", s.key_loads);
		pr_uint("syncs", " syncs %s", s.syncs);
		pr_uint("single_creates", " single_creates %s", s.single_creates);
		pr_uint("single_destroys", " single_destroys %s", s.single_destroys);
	}
	step_end();
	return st->failed ? -1 : 0;
}

static int step_tis(struct selftest *st)
{
	struct mlx5tls_tis_attr a;
	int err;

	step_begin("tis_create");
	st->tis = mlx5tls_tis_create(st->pd, st->td, NULL);
	if (!st->tis) {
		step_fail(st, "tis_create", errno);
		step_end();
		return -1;
	}
	step_ok(true);
	pr_uint("tisn", "tisn %s", mlx5tls_tis_num(st->tis));
	step_end();

	step_begin("tis_query");
	memset(&a, 0, sizeof(a));
	err = mlx5tls_tis_query(st->tis, &a, sizeof(a));
	if (err) {
		step_fail(st, "tis_query", err);
		step_end();
		return -1;
	}
	if (a.tisn != mlx5tls_tis_num(st->tis))
		step_mismatch(st, "tis_query", "tisn %" PRIu32 " != %" PRIu32, a.tisn,
			      mlx5tls_tis_num(st->tis));
	else if (!a.tls_en)
		step_mismatch(st, "tis_query", "tls_en is 0 on a TLS TIS");
	else if (a.pooled)
		step_mismatch(st, "tis_query", "a created TIS reports pooled");
	else if (a.pd != mlx5tls_pd_num(st->pd))
		step_mismatch(st, "tis_query", "pd %" PRIu32 " != %" PRIu32, a.pd,
			      mlx5tls_pd_num(st->pd));
	else if (a.transport_domain != mlx5tls_td_num(st->td))
		step_mismatch(st, "tis_query", "transport_domain %" PRIu32 " != td %" PRIu32,
			      a.transport_domain, mlx5tls_td_num(st->td));
	else
		step_ok(true);
	pr_uint("tisn", "tisn %s", a.tisn);
	pr_bool("tls_en", " tls_en %s", a.tls_en);
	pr_bool("pooled", " pooled %s", a.pooled);
	pr_uint("prio", " prio %s", a.prio);
	pr_uint("pd", " pd %s", a.pd);
	pr_uint("transport_domain", " td %s", a.transport_domain);
	step_end();
	return st->failed ? -1 : 0;
}

/* ---- the TLS TX datapath: one record through a queue pair ---- */

#define TX_START_SEQ 0x7ffffff0u /* near a wrap of nothing in particular: any sequence works */
#define TX_FRAME_BYTES 4096u

static const uint8_t tx_plaintext[] = "libmlx5tls selftest: one TLS record encrypted inline\n";

static void wire_capture(void *ctx, const void *frame, size_t len)
{
	struct selftest *st = ctx;

	if (!st->wire_frames++ && len <= sizeof(st->wire)) {
		memcpy(st->wire, frame, len);
		st->wire_len = len;
	}
}

/* A step that is a single call returning a pointer. */
static bool step_ptr(struct selftest *st, const char *name, const void *p)
{
	step_begin(name);
	if (!p)
		step_fail(st, name, -errno);
	else
		step_ok(false);
	step_end();
	return p != NULL;
}

static int tx_send_and_check(struct selftest *st, const union tool_crypto_info *ci, bool model)
{
	struct mlx5tls_completion done = { 0 };
	size_t len = tool_tls_frame(st->frame_mem, TX_FRAME_BYTES, ci, TX_START_SEQ, tx_plaintext,
				    sizeof(tx_plaintext));
	struct mlx5tls_frame f = { st->frame_mem, (uint32_t)len, 0, st->mr, 1 };
	int n, err;

	step_begin("tls_tx_record");
	err = mlx5tls_tx_send(st->tx, &f, 0);
	n = err ? err : mlx5tls_qp_poll(st->qp, &done, 1, 2000);
	if (n < 0 || (n == 1 && done.status)) {
		step_fail(st, "tls_tx_record", n < 0 ? n : done.status);
	} else if (n == 0) {
		step_mismatch(st, "tls_tx_record", "no completion within 2 s");
	} else if (!model) {
		step_ok(true);
		pr_string("wire", "%s", "sent (the wire of a NIC is not visible here)");
	} else if (st->wire_frames != 1) {
		step_mismatch(st, "tls_tx_record", "%u frames on the wire, expected 1",
			      st->wire_frames);
	} else if (tool_tls_check_frame(st->wire, st->wire_len, ci, tx_plaintext,
					sizeof(tx_plaintext))) {
		step_mismatch(st, "tls_tx_record", "the record on the wire does not decrypt");
	} else {
		step_ok(true);
		pr_string("wire", "%s", "record authenticated and decrypted by OpenSSL");
	}
	step_end();
	return st->failed ? -1 : 0;
}

static int step_tls_tx(struct selftest *st)
{
	struct mlx5tls_model_wire_opts w = { .sz = sizeof(w), .rx = wire_capture, .rx_ctx = st };
	struct mlx5tls_qp_opts qo = { .sz = sizeof(qo), .log_sq_wqebbs = 6,
				      .flags = MLX5TLS_QP_F_MODEL_SYNC };
	union tool_crypto_info ci;
	size_t ci_len;
	bool model;
	int ret;

	/* the model's wire is ours to read; a NIC's is a cable */
	model = !mlx5tls_model_wire(st->t->dev, &w);
	st->frame_mem = aligned_alloc(4096, TX_FRAME_BYTES);
	if (!st->frame_mem)
		return -1;
	if (!step_ptr(st, "qp_create", st->qp = mlx5tls_qp_create(st->pd, st->td, &qo)) ||
	    !step_ptr(st, "mr_reg", st->mr = mlx5tls_mr_reg(st->pd, st->frame_mem,
							     TX_FRAME_BYTES)))
		return -1;
	ci_len = tool_crypto_info(&ci, st->suite, NULL, NULL);
	st->tx = mlx5tls_tx_create(st->qp, &ci.info, ci_len, TX_START_SEQ, NULL);
	ret = step_ptr(st, "tls_tx_create", st->tx) ? tx_send_and_check(st, &ci, model) : -1;
	explicit_bzero(&ci, sizeof(ci));
	return ret;
}

/* One teardown call as a step; the handle is dropped either way (a failed destroy is reported
 * and not retried, so the exit status says it). */
static void step_teardown(struct selftest *st, const char *name, int err)
{
	step_begin(name);
	if (err)
		step_fail(st, name, err);
	else
		step_ok(false);
	step_end();
}

static void teardown(struct selftest *st)
{
	if (st->tx) {
		step_teardown(st, "tls_tx_destroy", mlx5tls_tx_destroy(st->tx));
		st->tx = NULL;
	}
	if (st->mr) {
		step_teardown(st, "mr_dereg", mlx5tls_mr_dereg(st->mr));
		st->mr = NULL;
	}
	if (st->qp) {
		step_teardown(st, "qp_destroy", mlx5tls_qp_destroy(st->qp));
		st->qp = NULL;
	}
	free(st->frame_mem);
	st->frame_mem = NULL;
	if (st->tis) {
		step_teardown(st, "tis_destroy", mlx5tls_tis_destroy(st->tis));
		st->tis = NULL;
	}
	if (st->pooled_dek) {
		step_teardown(st, "dek_pool_put", mlx5tls_dek_destroy(st->pooled_dek));
		st->pooled_dek = NULL;
	}
	if (st->dek) {
		step_teardown(st, "dek_destroy", mlx5tls_dek_destroy(st->dek));
		st->dek = NULL;
	}
	if (st->dek_pool) {
		step_teardown(st, "dek_pool_destroy", mlx5tls_dek_pool_destroy(st->dek_pool));
		st->dek_pool = NULL;
	}
	if (st->td) {
		step_teardown(st, "td_dealloc", mlx5tls_td_dealloc(st->td));
		st->td = NULL;
	}
	if (st->pd) {
		step_teardown(st, "pd_dealloc", mlx5tls_pd_dealloc(st->pd));
		st->pd = NULL;
	}
}

static void run_steps(struct selftest *st)
{
	static const char no_dek[] = "device has no TLS/DEK support";
	static const char no_tx[] = "device has no TLS TX support";
	bool dek_ok, tis_ok;

	if (step_caps(st) || step_pd_td(st))
		return;

	/* The suite the DEKs are made for: TLS 1.2 AES-GCM-128 (what every TLS-capable firmware
	 * has) or else the first one the device advertises. */
	st->suite = tool_pick_suite(st->caps.suites, MLX5TLS_SUITE_TLS12_AES_GCM_128);
	dek_ok = st->caps.dek_object && st->suite;
	tis_ok = st->caps.tls_tx;

	if (!dek_ok) {
		step_skip(st, "dek_create", no_dek);
		step_skip(st, "dek_pool_create", no_dek);
	} else if (step_dek(st) || step_dek_pool(st)) {
		return;
	}
	if (!tis_ok) {
		step_skip(st, "tis_create", dek_ok ? no_tx : no_dek);
		step_skip(st, "tls_tx_record", dek_ok ? no_tx : no_dek);
	} else if (!step_tis(st) && dek_ok) {
		step_tls_tx(st);
	}
}

static int selftest_run(struct tool *t)
{
	struct selftest st = { .t = t };

	if (tool_no_more_args(t) || tool_open_device(t, true))
		return 1;

	pr_open_object(NULL);
	pr_open_object("device");
	tool_print_device(t);
	pr_close_object();
	pr_nl();

	pr_open_array("steps");
	run_steps(&st);
	teardown(&st);
	pr_close_array();

	pr_text("selftest: %s", st.failed ? "FAILED" : "OK");
	pr_string("result", NULL, st.failed ? "failed" : "ok");
	if (st.failed)
		pr_string("failed_step", " at %s", st.failed);
	pr_uint("skipped_steps", NULL, st.skipped);
	if (!st.failed && st.skipped)
		pr_text(" (%u step%s skipped)", st.skipped, st.skipped == 1 ? "" : "s");
	pr_nl();
	pr_close_object();
	return st.failed ? 1 : 0;
}

static const struct tool_cmd selftest_cmds[] = {
	{ NULL, selftest_run },
	{ "run", selftest_run },
	{ "help", selftest_help_cmd },
	{ NULL, NULL },
};

int cmd_selftest(struct tool *t)
{
	return tool_exec_cmd(t, selftest_cmds, "selftest command");
}
