/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mlx5tls-bench setup --queues: real TLS contexts on queues at scale (issue 10).
 *
 * TX: LIVE TLS TX contexts (pooled DEK and TIS) on one queue pair; then for a fixed time a
 * random live context is destroyed and a new one created in its place (a replacement), on this
 * one thread (the model's queue is synchronous: its work is on this core too); then the same in
 * batches of 16 distinct random contexts, destroyed by one mlx5tls_tx_destroy_bulk and created
 * again one by one (an application closing many connections at once). Printed: the replacements
 * per second at 1k, 100k (and 1M with --full) live contexts, one at a time and in batches, the
 * ratio of the largest to the 1k figure of each, and the heap per live context. Then the memory of an idle context
 * that has been used (one record sent and acknowledged: the record tracker gave back what it
 * took, the model holds the TIS's engine state) and of fresh contexts that replaced used ones
 * (the model dropped that state with the DEKs it came from). RX: the same with TLS RX contexts,
 * each with its own TLS TIR and steering rule (a replacement destroys and creates all three), at
 * 1k and 100k live.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "bench.h"

#define SCALE_TARGET_REPL_PER_SEC 100000.0
#define SCALE_TARGET_RATIO 0.5
#define SCALE_CHURN_SECONDS 0.5
#define SCALE_BATCH 16u /* contexts per mlx5tls_tx_destroy_bulk in the batch replacements */
#define SCALE_TX_ISN BENCH_FIRST_RECORD_ISN
#define SCALE_RX_ISN 5000u
#define SCALE_USED_LIVE 10000u      /* contexts for the memory-after-use figures */
#define SCALE_TARGET_IDLE_LIB 1024.0 /* library bytes per idle TX context (issue 10) */
#define SCALE_REC_PT 100u           /* plaintext bytes of the one record each context sends */
#define SCALE_FRAME_HDR BENCH_FIRST_RECORD_HDR
#define SCALE_CHASE_BYTES (256u << 20) /* far past any last-level cache */
#define SCALE_CHASE_SECONDS 0.2

struct scale {
	struct tool *t;
	double churn_seconds;
	const struct tool_suite *suite;
	union tool_crypto_info ci;
	size_t ci_len;
	struct mlx5tls_pd *pd;
	struct mlx5tls_td *td;
	struct mlx5tls_qp *qp;
	struct mlx5tls_rq *rq;
	struct mlx5tls_dek_pool *dek_pool;
	struct mlx5tls_tis_pool *tis_pool;
	uint64_t rng;
	uint32_t next_flow; /* a new 5-tuple per RX context */
	int fw_idx;         /* the device counter "fw_cmds", -1 if absent */
	unsigned int nr_counters;
	uint64_t *counters;
};

/* Memory per context, after use (run_tx_used). */
struct scale_mem {
	uint32_t live;
	double idle_heap, idle_lib;   /* one record sent and acknowledged, context live */
	double fresh_heap, fresh_lib; /* replaced by contexts that sent nothing */
};

struct scale_result {
	uint32_t live;
	double repl_per_sec;
	double heap_per_ctx;     /* library + model, bytes */
	double lib_per_ctx;      /* the library context's share (mlx5tls_tx/rx_query mem_bytes) */
	double create_per_sec;
	double cmds_per_repl;    /* firmware commands per replacement */
	uint32_t batch;          /* TX: contexts per batch replacement (0: none measured) */
	double batch_per_sec;    /* replacements per second, in batches */
	double batch_cmds_per_repl;
};

static uint64_t fw_cmds(struct scale *s)
{
	int n;

	if (s->fw_idx < 0)
		return 0;
	n = mlx5tls_device_counters(s->t->dev, s->counters, s->nr_counters);
	return n > s->fw_idx ? s->counters[s->fw_idx] : 0;
}

/* The thread's CPU time, not the wall clock: the figures are per core of work (the model's
 * included, since its queue is synchronous) and do not move with other load on the machine. */
static double now_sec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t heap_bytes(void)
{
	struct mallinfo2 mi = mallinfo2();

	return mi.uordblks + mi.hblkhd;
}

/* ---- TX ---- */

static struct mlx5tls_tx *tx_new(struct scale *s)
{
	MLX5TLS_OPTS(mlx5tls_tx_opts, o, .dek_pool = s->dek_pool, .tis_pool = s->tis_pool);

	return mlx5tls_tx_create(s->qp, &s->ci.info, s->ci_len, SCALE_TX_ISN, &o);
}

/*
 * The next random victim, drawn one replacement ahead: its slot of the bench's own array (8 MB
 * of pointers at a million contexts, not the library's memory) is asked for meanwhile, so that
 * its cache miss is not counted as the library's. The context itself is not touched here.
 */
static uint32_t victim_next(struct scale *s, struct mlx5tls_tx *const *tx, uint32_t live)
{
	uint32_t i = (uint32_t)(bench_rng_next(&s->rng) % live);

	__builtin_prefetch(&tx[i]);
	return i;
}

/* Random replacements one at a time: a random live context destroyed, a new one made in its
 * place. On failure the slot is NULL (run_tx destroys the others). */
static int tx_churn(struct scale *s, struct mlx5tls_tx **tx, uint32_t live, struct scale_result *r)
{
	uint64_t n = 0, c0 = fw_cmds(s);
	uint32_t next = victim_next(s, tx, live);
	double t0 = now_sec(), t1;
	int ret;

	do {
		for (unsigned int k = 0; k < 1024; k++, n++) {
			uint32_t i = next;

			next = victim_next(s, tx, live);
			ret = mlx5tls_tx_destroy(tx[i]);
			tx[i] = ret ? NULL : tx_new(s);
			if (!tx[i])
				return tool_fail(s->t, "TX context replace", ret ? ret : errno);
		}
		t1 = now_sec();
	} while (t1 - t0 < s->churn_seconds);
	r->repl_per_sec = n / (t1 - t0);
	r->cmds_per_repl = (double)(fw_cmds(s) - c0) / (double)n;
	return 0;
}

/* n distinct random victims (a duplicate is drawn again), their slots of the bench's array
 * asked for as victim_next does. */
static void victims_next(struct scale *s, struct mlx5tls_tx *const *tx, uint32_t live,
			 uint32_t *pick, uint32_t n)
{
	for (uint32_t j = 0; j < n; j++) {
		bool dup;

		do {
			pick[j] = victim_next(s, tx, live);
			dup = false;
			for (uint32_t m = 0; m < j; m++)
				dup |= pick[m] == pick[j];
		} while (dup);
	}
}

/* The same in batches: r->batch distinct random contexts destroyed by one
 * mlx5tls_tx_destroy_bulk, then as many new ones made in their places; the next batch is drawn
 * one batch ahead. */
static int tx_churn_batch(struct scale *s, struct mlx5tls_tx **tx, uint32_t live,
			  struct scale_result *r)
{
	struct mlx5tls_tx *gone[SCALE_BATCH];
	uint32_t pick[SCALE_BATCH], next[SCALE_BATCH];
	uint64_t n = 0, c0 = fw_cmds(s);
	double t0, t1;
	int ret;

	r->batch = live < SCALE_BATCH ? live : SCALE_BATCH;
	victims_next(s, tx, live, next, r->batch);
	t0 = now_sec();
	do {
		for (unsigned int k = 0; k < 1024 / SCALE_BATCH; k++, n += r->batch) {
			memcpy(pick, next, r->batch * sizeof(*pick));
			victims_next(s, tx, live, next, r->batch);
			for (uint32_t j = 0; j < r->batch; j++)
				gone[j] = tx[pick[j]];
			ret = mlx5tls_tx_destroy_bulk(gone, r->batch);
			if (ret) /* none destroyed: tx[] stays as it is */
				return tool_fail(s->t, "TX context bulk destroy", ret);
			for (uint32_t j = 0; j < r->batch; j++)
				tx[pick[j]] = NULL;
			for (uint32_t j = 0; j < r->batch; j++) {
				tx[pick[j]] = tx_new(s);
				if (!tx[pick[j]])
					return tool_fail(s->t, "TX context create", errno);
			}
		}
		t1 = now_sec();
	} while (t1 - t0 < s->churn_seconds);
	r->batch_per_sec = n / (t1 - t0);
	r->batch_cmds_per_repl = (double)(fw_cmds(s) - c0) / (double)n;
	return 0;
}

static int run_tx(struct scale *s, uint32_t live, struct scale_result *r)
{
	struct mlx5tls_tx **tx = calloc(live, sizeof(*tx));
	uint64_t heap0, lib = 0;
	double t0, t1;
	int ret = 0;

	if (!tx)
		return tool_fail(s->t, "allocating", -ENOMEM);
	r->live = live;
	malloc_trim(0);
	heap0 = heap_bytes();
	t0 = now_sec();
	for (uint32_t i = 0; i < live; i++) {
		tx[i] = tx_new(s);
		if (!tx[i]) {
			ret = tool_fail(s->t, "TX context create", errno);
			goto out;
		}
	}
	t1 = now_sec();
	r->create_per_sec = live / (t1 - t0);
	r->heap_per_ctx = ((double)heap_bytes() - (double)heap0) / live;
	for (uint32_t i = 0; i < live; i++) {
		struct mlx5tls_tx_info info;

		memset(&info, 0, sizeof(info));
		if (mlx5tls_tx_query(tx[i], &info, sizeof(info)) == 0)
			lib += info.mem_bytes;
	}
	r->lib_per_ctx = (double)lib / live;
	ret = tx_churn(s, tx, live, r);
	if (!ret)
		ret = tx_churn_batch(s, tx, live, r);
out:
	for (uint32_t i = 0; i < live; i++)
		if (tx[i] && mlx5tls_tx_destroy(tx[i]) && !ret)
			ret = tool_fail(s->t, "TX context destroy", errno);
	free(tx);
	return ret;
}

/* One TLS record in one frame (kTLS layout: the tag's room is the device's to fill), from the
 * record number of the crypto info: every context sends this same frame as its first. */
size_t bench_first_record(const union tool_crypto_info *ci, uint8_t *f)
{
	bool tls12 = ci->info.version == TLS_1_2_VERSION;
	size_t body = (tls12 ? 8u : 1u) + SCALE_REC_PT + 16u, len = SCALE_FRAME_HDR + 5 + body;
	const uint8_t *rec_seq = ci->info.cipher_type == TLS_CIPHER_AES_GCM_256
					 ? ci->gcm256.rec_seq : ci->gcm128.rec_seq;
	uint8_t *ip = f + 14, *tcp = ip + 20, *p = f + SCALE_FRAME_HDR;

	memset(f, 0, len);
	f[0] = 0x02;
	f[6] = 0x02;
	f[12] = 0x08; /* IPv4 */
	ip[0] = 0x45;
	ip[2] = (uint8_t)((len - 14) >> 8);
	ip[3] = (uint8_t)(len - 14);
	ip[8] = 64;
	ip[9] = 6;
	ip[12] = 198; /* 198.18.0.1 -> 198.19.0.2: addresses of 198.18.0.0/15 only (RFC 2544) */
	ip[13] = 18;
	ip[15] = 1;
	ip[16] = 198;
	ip[17] = 19;
	ip[19] = 2;
	tcp[0] = 443 >> 8;
	tcp[1] = 443 & 0xff;
	tcp[2] = 40000 >> 8;
	tcp[3] = 40000 & 0xff;
	tcp[4] = (uint8_t)(SCALE_TX_ISN >> 24);
	tcp[5] = (uint8_t)(SCALE_TX_ISN >> 16);
	tcp[6] = (uint8_t)(SCALE_TX_ISN >> 8);
	tcp[7] = (uint8_t)SCALE_TX_ISN;
	tcp[12] = 5 << 4;
	tcp[13] = 0x18;
	tcp[14] = 0xff;
	p[0] = 23;
	p[1] = 3;
	p[2] = 3;
	p[3] = (uint8_t)(body >> 8);
	p[4] = (uint8_t)body;
	if (tls12)
		memcpy(p + 5, rec_seq, 8); /* explicit nonce = record number */
	else
		p[5 + SCALE_REC_PT] = 23; /* inner content type */
	return len;
}

static double lib_bytes(struct mlx5tls_tx **tx, uint32_t n)
{
	double lib = 0;

	for (uint32_t i = 0; i < n; i++) {
		struct mlx5tls_tx_info info;

		memset(&info, 0, sizeof(info));
		if (mlx5tls_tx_query(tx[i], &info, sizeof(info)) == 0)
			lib += (double)info.mem_bytes;
	}
	return lib / n;
}

int bench_reap_all(struct mlx5tls_qp *qp)
{
	struct mlx5tls_completion done[64];
	int n;

	do {
		n = mlx5tls_qp_poll(qp, done, 64, 0);
		for (int i = 0; i < n; i++)
			if (done[i].status)
				return done[i].status;
	} while (n == 64);
	return n < 0 ? n : 0;
}

/* LIVE contexts each send one record and have it acknowledged: heap and library bytes per
 * context; then all are destroyed and LIVE fresh ones created (same pools): the same again. */
static int run_tx_used(struct scale *s, uint32_t live, struct scale_mem *m)
{
	struct mlx5tls_tx **tx = calloc(live, sizeof(*tx));
	uint8_t *buf = aligned_alloc(4096, 4096);
	struct mlx5tls_mr *mr = NULL;
	struct mlx5tls_frame f;
	uint64_t heap0;
	int ret = 0;

	m->live = live;
	if (!tx || !buf) {
		ret = tool_fail(s->t, "allocating", -ENOMEM);
		goto out;
	}
	f = (struct mlx5tls_frame){ .data = buf, .len = (uint32_t)bench_first_record(&s->ci, buf) };
	mr = mlx5tls_mr_reg(s->pd, buf, 4096);
	if (!mr) {
		ret = tool_fail(s->t, "MR register", errno);
		goto out;
	}
	f.mr = mr;
	malloc_trim(0);
	heap0 = heap_bytes();
	for (uint32_t i = 0; i < live && !ret; i++) {
		tx[i] = tx_new(s);
		if (!tx[i])
			ret = tool_fail(s->t, "TX context create", errno);
		else if ((ret = mlx5tls_tx_send(tx[i], &f, 0)) || (ret = bench_reap_all(s->qp)) ||
			 (ret = mlx5tls_tx_ack(tx[i], SCALE_TX_ISN + f.len - SCALE_FRAME_HDR)))
			ret = tool_fail(s->t, "TX send, completion and ack", ret);
	}
	if (ret)
		goto out;
	m->idle_heap = ((double)heap_bytes() - (double)heap0) / live;
	m->idle_lib = lib_bytes(tx, live);
	for (uint32_t i = 0; i < live; i++) {
		ret = mlx5tls_tx_destroy(tx[i]);
		tx[i] = NULL;
		if (ret) {
			ret = tool_fail(s->t, "TX context destroy", ret);
			goto out;
		}
	}
	for (uint32_t i = 0; i < live; i++) {
		tx[i] = tx_new(s);
		if (!tx[i]) {
			ret = tool_fail(s->t, "TX context create", errno);
			goto out;
		}
	}
	m->fresh_heap = ((double)heap_bytes() - (double)heap0) / live;
	m->fresh_lib = lib_bytes(tx, live);
out:
	for (uint32_t i = 0; tx && i < live; i++)
		if (tx[i] && mlx5tls_tx_destroy(tx[i]) && !ret)
			ret = tool_fail(s->t, "TX context destroy", errno);
	if (mr && mlx5tls_mr_dereg(mr) && !ret)
		ret = tool_fail(s->t, "MR deregister", errno);
	free(buf);
	free(tx);
	return ret;
}

/* ---- RX ---- */

int bench_rx_conn_new(const struct bench_rx_env *e, uint32_t f, struct bench_rx_conn *c)
{
	MLX5TLS_OPTS(mlx5tls_tir_opts, to, .tls_en = true);
	MLX5TLS_OPTS(mlx5tls_rx_opts, ro, .dek_pool = e->dek_pool);
	struct mlx5tls_flow_match m = { .ip_version = 4, .src_port = 443 };

	c->tir = mlx5tls_tir_create(e->rq, e->td, &to);
	if (!c->tir)
		return -errno;
	/* 198.18.0.0/15: peers 198.18.x.y port 443, this side 198.19.0.1, one port per flow */
	m.src_ip[0] = 198;
	m.src_ip[1] = 18;
	m.src_ip[2] = (uint8_t)(f >> 24);
	m.src_ip[3] = (uint8_t)(f >> 16);
	m.dst_ip[0] = 198;
	m.dst_ip[1] = 19;
	m.dst_ip[3] = 1;
	m.dst_port = (uint16_t)f;
	c->flow = mlx5tls_flow_create(c->tir, &m);
	if (!c->flow)
		return -errno;
	c->rx = mlx5tls_rx_create(e->qp, c->tir, &e->ci->info, e->ci_len, e->isn, &ro);
	return c->rx ? 0 : -errno;
}

int bench_rx_conn_del(struct bench_rx_conn *c)
{
	int ret = 0, err;

	if (c->flow && (err = mlx5tls_flow_destroy(c->flow)))
		ret = err;
	if (c->rx && (err = mlx5tls_rx_destroy(c->rx)) && !ret)
		ret = err;
	if (c->tir && (err = mlx5tls_tir_destroy(c->tir)) && !ret)
		ret = err;
	memset(c, 0, sizeof(*c));
	return ret;
}

static int rx_new(struct scale *s, struct bench_rx_conn *c)
{
	const struct bench_rx_env e = { .qp = s->qp, .rq = s->rq, .td = s->td,
					.dek_pool = s->dek_pool, .ci = &s->ci,
					.ci_len = s->ci_len, .isn = SCALE_RX_ISN };

	return bench_rx_conn_new(&e, s->next_flow++, c);
}

/* As victim_next, for the RX connections (2.4 MB of the bench's own array at 100k live): a
 * slot may straddle two lines, both are asked for. */
static uint32_t rx_victim_next(struct scale *s, const struct bench_rx_conn *l, uint32_t live)
{
	uint32_t i = (uint32_t)(bench_rng_next(&s->rng) % live);

	__builtin_prefetch(&l[i]);
	__builtin_prefetch((const char *)&l[i + 1] - 1);
	return i;
}

static int run_rx(struct scale *s, uint32_t live, struct scale_result *r)
{
	struct bench_rx_conn *l = calloc(live, sizeof(*l));
	uint64_t heap0, n = 0, c0, lib = 0;
	uint32_t next;
	double t0, t1;
	int ret = 0;

	if (!l)
		return tool_fail(s->t, "allocating", -ENOMEM);
	r->live = live;
	malloc_trim(0);
	heap0 = heap_bytes();
	t0 = now_sec();
	for (uint32_t i = 0; i < live; i++) {
		ret = rx_new(s, &l[i]);
		if (ret) {
			ret = tool_fail(s->t, "RX context (TIR, flow, context) create", ret);
			goto out;
		}
	}
	t1 = now_sec();
	r->create_per_sec = live / (t1 - t0);
	r->heap_per_ctx = ((double)heap_bytes() - (double)heap0) / live;
	for (uint32_t i = 0; i < live; i++) {
		struct mlx5tls_rx_info info;

		memset(&info, 0, sizeof(info));
		if (mlx5tls_rx_query(l[i].rx, &info, sizeof(info)) == 0)
			lib += info.mem_bytes;
	}
	r->lib_per_ctx = (double)lib / live;
	c0 = fw_cmds(s);
	next = rx_victim_next(s, l, live);
	t0 = now_sec();
	do {
		for (unsigned int k = 0; k < 256; k++, n++) {
			uint32_t i = next;

			next = rx_victim_next(s, l, live);
			ret = bench_rx_conn_del(&l[i]);
			if (!ret)
				ret = rx_new(s, &l[i]);
			if (ret) {
				ret = tool_fail(s->t, "RX context replace", ret);
				goto out;
			}
		}
		t1 = now_sec();
	} while (t1 - t0 < s->churn_seconds);
	r->repl_per_sec = n / (t1 - t0);
	r->cmds_per_repl = (double)(fw_cmds(s) - c0) / (double)n;
out:
	for (uint32_t i = 0; i < live; i++)
		if (bench_rx_conn_del(&l[i]) && !ret)
			ret = tool_fail(s->t, "RX context destroy", errno);
	free(l);
	return ret;
}

/* ---- report ---- */

static void print_runs(const char *dir, const struct scale_result *res, unsigned int n)
{
	pr_open_array(dir);
	for (unsigned int i = 0; i < n; i++) {
		const struct scale_result *r = &res[i];

		pr_open_object(NULL);
		pr_text("  %s", dir);
		pr_uint("live", " %7s live:", r->live);
		pr_double("create_per_sec", " create %s/s,", r->create_per_sec, 0);
		pr_double("replace_per_sec", " random replace %s/s", r->repl_per_sec, 0);
		pr_double("fw_cmds_per_replace", " (%s fw commands each),", r->cmds_per_repl, 2);
		if (r->batch) {
			pr_uint("batch", " in batches of %s", r->batch);
			pr_double("replace_batch_per_sec", " %s/s", r->batch_per_sec, 0);
			pr_double("fw_cmds_per_batch_replace", " (%s),", r->batch_cmds_per_repl, 2);
		}
		pr_double("heap_per_context", " heap %s B/context", r->heap_per_ctx, 0);
		if (r->lib_per_ctx > 0 && !strcmp(dir, "tx")) {
			pr_double("library_per_context", " (library %s B,", r->lib_per_ctx, 0);
			pr_double("model_per_context", " model %s B)",
				  r->heap_per_ctx - r->lib_per_ctx, 0);
		} else if (r->lib_per_ctx > 0) {
			/* not a share of the heap figure: mem_bytes counts the context's keys,
			 * which are secret memory (mapped, not malloc's), and not the library's TIR
			 * and flow */
			pr_double("library_per_context", "; the library's RX context %s B"
				  " (heap and secret memory)", r->lib_per_ctx, 0);
		}
		pr_close_object();
		pr_nl();
	}
	pr_close_array();
}

static void print_mem(const struct scale_mem *m)
{
	pr_open_object("tx_used");
	pr_text("  tx");
	pr_uint("live", " %7s live", m->live);
	pr_text(", each sent one record, acknowledged:");
	pr_double("idle_heap_per_context", " heap %s B/context", m->idle_heap, 0);
	pr_double("idle_library_per_context", " (library %s B,", m->idle_lib, 0);
	pr_double("idle_model_per_context", " model %s B);", m->idle_heap - m->idle_lib, 0);
	pr_double("fresh_heap_per_context", " replaced by fresh ones: heap %s B/context",
		  m->fresh_heap, 0);
	pr_double("fresh_library_per_context", " (library %s B,", m->fresh_lib, 0);
	pr_double("fresh_model_per_context", " model %s B)", m->fresh_heap - m->fresh_lib, 0);
	pr_close_object();
	pr_nl();
}

static void print_mem_target(const struct scale_mem *m)
{
	bool met = m->idle_lib <= SCALE_TARGET_IDLE_LIB;

	pr_open_object("tx_idle_memory_target");
	pr_text("target tx library memory per idle context after use <= %.0f B:",
		SCALE_TARGET_IDLE_LIB);
	pr_bool("met", NULL, met);
	pr_text(" %s", met ? "met" : "NOT met");
	pr_double("value", " (%s B)", m->idle_lib, 0);
	pr_close_object();
	pr_nl();
}

/* The replacements per second of r, one at a time or in batches. */
static double repl_rate(const struct scale_result *r, bool batch)
{
	return batch ? r->batch_per_sec : r->repl_per_sec;
}

/* " in batches of N" for the batch figures, else nothing; its JSON key's infix likewise. */
static void batch_words(const struct scale_result *r, bool batch, char *how, size_t how_sz,
			const char **infix)
{
	how[0] = '\0';
	if (batch)
		snprintf(how, how_sz, " in batches of %" PRIu32, r->batch);
	*infix = batch ? "_batch" : "";
}

/* What the largest size costs per replacement over the smallest, in dependent cache misses of
 * this machine (bench_memlat.c): the part of the ratio that is memory, not the library's work. */
static void print_misses(const char *what, const struct scale_result *res, unsigned int n,
			 double miss_ns, bool batch)
{
	double big = repl_rate(&res[n - 1], batch), small = repl_rate(&res[0], batch), extra;
	const char *infix;
	char key[64], how[32];

	if (n < 2 || miss_ns <= 0 || small <= 0 || big <= 0)
		return;
	extra = 1e9 / big - 1e9 / small;
	batch_words(&res[n - 1], batch, how, sizeof(how), &infix);
	snprintf(key, sizeof(key), "%s%s_cold_cost", what, infix);
	pr_open_object(key);
	pr_text("  %s%s", what, how);
	pr_uint("live", " at %s live a replacement costs", res[n - 1].live);
	pr_double("extra_ns", " %s ns more than", extra, 0);
	pr_uint("base_live", " at %s", res[0].live);
	pr_double("misses", ": %s dependent cache misses", extra / miss_ns, 1);
	pr_close_object();
	pr_nl();
}

static void print_target(const char *what, const struct scale_result *res, unsigned int n,
			 bool batch)
{
	const struct scale_result *big = &res[n - 1];
	double ratio = bench_ratio(repl_rate(big, batch), repl_rate(&res[0], batch));
	bool met = repl_rate(big, batch) >= SCALE_TARGET_REPL_PER_SEC;
	const char *infix;
	char key[64], how[32];

	batch_words(big, batch, how, sizeof(how), &infix);
	snprintf(key, sizeof(key), "%s%s_replace_target", what, infix);
	pr_open_object(key);
	pr_text("target %s replace/s%s at %" PRIu32 " live >= %.0f:", what, how, big->live,
		SCALE_TARGET_REPL_PER_SEC);
	pr_bool("met", NULL, met);
	pr_text(" %s", met ? "met" : "NOT met");
	pr_double("value", " (%s)", repl_rate(big, batch), 0);
	pr_close_object();
	pr_nl();
	met = ratio >= SCALE_TARGET_RATIO;
	snprintf(key, sizeof(key), "%s%s_ratio_target", what, infix);
	pr_open_object(key);
	pr_text("target %s replace/s%s at %" PRIu32 " vs %" PRIu32 " live >= %.1fx:", what, how,
		big->live, res[0].live, SCALE_TARGET_RATIO);
	pr_bool("met", NULL, met);
	pr_text(" %s", met ? "met" : "NOT met");
	pr_double("value", " (%sx)", ratio, 2);
	pr_close_object();
	pr_nl();
}

static int scale_setup(struct scale *s)
{
	MLX5TLS_OPTS(mlx5tls_qp_opts, q, .flags = MLX5TLS_QP_F_MODEL_SYNC);
	MLX5TLS_OPTS(mlx5tls_rq_opts, ro, .flags = MLX5TLS_RQ_F_MODEL_SYNC);
	struct mlx5tls_caps caps;
	int ret;

	memset(&caps, 0, sizeof(caps));
	ret = mlx5tls_query_caps(s->t->dev, &caps, sizeof(caps));
	if (ret)
		return tool_fail(s->t, "cannot query capabilities", ret);
	s->suite = tool_pick_suite(caps.suites, MLX5TLS_SUITE_TLS12_AES_GCM_128);
	if (!caps.tls_tx || !caps.tls_rx || !caps.dek_object || !s->suite) {
		fprintf(stderr, "%s: device %s cannot offload TLS TX and RX\n", s->t->prog,
			s->t->attr.name);
		return 1;
	}
	s->ci_len = tool_crypto_info(&s->ci, s->suite, NULL, NULL);
	if (!s->ci_len)
		return tool_fail(s->t, "making a key", errno);
	if (getrandom(&s->rng, sizeof(s->rng), 0) != sizeof(s->rng) || s->rng == 0)
		s->rng = 0x9e3779b97f4a7c15ull;
	s->fw_idx = -1;
	s->nr_counters = mlx5tls_counter_count();
	s->counters = calloc(s->nr_counters ? s->nr_counters : 1, sizeof(*s->counters));
	if (!s->counters)
		return tool_fail(s->t, "allocating", -ENOMEM);
	for (unsigned int i = 0; i < s->nr_counters; i++)
		if (mlx5tls_counter_name(i) && !strcmp(mlx5tls_counter_name(i), "fw_cmds"))
			s->fw_idx = (int)i;
	s->pd = mlx5tls_pd_alloc(s->t->dev);
	if (!s->pd)
		return tool_fail(s->t, "PD alloc", errno);
	s->td = mlx5tls_td_alloc(s->t->dev);
	if (!s->td)
		return tool_fail(s->t, "TD alloc", errno);
	s->dek_pool = mlx5tls_dek_pool_create(s->pd, NULL);
	if (!s->dek_pool)
		return tool_fail(s->t, "DEK pool", errno);
	s->tis_pool = mlx5tls_tis_pool_create(s->pd, s->td, NULL);
	if (!s->tis_pool)
		return tool_fail(s->t, "TIS pool", errno);
	s->qp = mlx5tls_qp_create(s->pd, s->td, &q);
	if (!s->qp)
		return tool_fail(s->t, "queue create", errno);
	s->rq = mlx5tls_rq_create(s->pd, s->td, &ro);
	if (!s->rq)
		return tool_fail(s->t, "receive queue create", errno);
	return 0;
}

static int scale_teardown(struct scale *s)
{
	int ret = 0, err;

	explicit_bzero(&s->ci, sizeof(s->ci));
	free(s->counters);
	if (s->rq && (err = mlx5tls_rq_destroy(s->rq)))
		ret = tool_fail(s->t, "receive queue destroy", err);
	if (s->qp && (err = mlx5tls_qp_destroy(s->qp)) && !ret)
		ret = tool_fail(s->t, "queue destroy", err);
	if (s->tis_pool && (err = mlx5tls_tis_pool_destroy(s->tis_pool)) && !ret)
		ret = tool_fail(s->t, "TIS pool destroy", err);
	if (s->dek_pool && (err = mlx5tls_dek_pool_destroy(s->dek_pool)) && !ret)
		ret = tool_fail(s->t, "DEK pool destroy", err);
	if (s->td && (err = mlx5tls_td_dealloc(s->td)) && !ret)
		ret = tool_fail(s->t, "TD dealloc", err);
	if (s->pd && (err = mlx5tls_pd_dealloc(s->pd)) && !ret)
		ret = tool_fail(s->t, "PD dealloc", err);
	return ret;
}

int bench_scale_run(struct tool *t, bool full, uint32_t live)
{
	uint32_t tx_live[] = { 1000, 100000, 1000000 };
	uint32_t rx_live[] = { 1000, 100000 };
	struct scale s = { .t = t, .churn_seconds = SCALE_CHURN_SECONDS };
	struct scale_result tx[3], rx[2];
	struct scale_mem used;
	unsigned int ntx = full ? 3 : 2, nrx = 2;
	int ret;

	memset(tx, 0, sizeof(tx));
	memset(rx, 0, sizeof(rx));
	memset(&used, 0, sizeof(used));
	if (live) {
		tx_live[0] = rx_live[0] = live < 1000 ? live : 1000;
		tx_live[1] = rx_live[1] = live;
		ntx = nrx = live > 1000 ? 2 : 1;
	}
	if (tool_open_device(t, false))
		return 1;
	ret = scale_setup(&s);
	for (unsigned int i = 0; !ret && i < ntx; i++)
		ret = run_tx(&s, tx_live[i], &tx[i]);
	if (!ret)
		ret = run_tx_used(&s, live && live < SCALE_USED_LIVE ? live : SCALE_USED_LIVE, &used);
	for (unsigned int i = 0; !ret && i < nrx; i++)
		ret = run_rx(&s, rx_live[i], &rx[i]);
	if (!ret) {
		double miss_ns = bench_mem_latency_ns(SCALE_CHASE_BYTES, SCALE_CHASE_SECONDS,
						      s.rng);

		pr_open_object(NULL);
		pr_string("benchmark", "%s:", "setup --queues");
		pr_string("device", " device %s,", t->attr.name);
		pr_double("churn_seconds", " %s s (thread CPU time) of random replacements per size,"
			  " one thread", s.churn_seconds, 1);
		pr_nl();
		print_runs("tx", tx, ntx);
		print_mem(&used);
		print_runs("rx", rx, nrx);
		pr_double("miss_ns", "  memory: one dependent cache miss (a random walk through"
			  " 256 MiB of heap) costs %s ns", miss_ns, 0);
		pr_nl();
		print_misses("tx", tx, ntx, miss_ns, false);
		print_misses("tx", tx, ntx, miss_ns, true);
		print_misses("rx", rx, nrx, miss_ns, false);
		print_target("tx", tx, ntx, false);
		print_target("tx", tx, ntx, true);
		print_target("rx", rx, nrx, false);
		print_mem_target(&used);
		pr_close_object();
	}
	if (scale_teardown(&s) && !ret)
		ret = 1;
	return ret;
}
