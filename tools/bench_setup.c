/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mlx5tls-bench setup: the connection-setup benchmark (DESIGN.md "Connection setup: firmware
 * commands per new TX context <= 1.05 amortised under churn; report contexts/s").
 *
 * A TX-side context is a DEK holding a TLS 1.2 AES-GCM-128 key (or the first suite the device
 * offloads) plus a TLS TIS. LIVE contexts are
 * opened (warm-up), then N times a random live one is closed and a new one opened (churn), then
 * all are closed (teardown). This runs twice on the same device: with a DEK pool and a TIS pool,
 * and with single creates/destroys. The firmware commands of each phase come from the device
 * counter "fw_cmds"; the per-context figure is the churn phase's only.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

#define BENCH_DEFAULT_CONTEXTS 200000u
#define BENCH_DEFAULT_LIVE 4096u
#define BENCH_TARGET_CMDS_PER_CTX 1.05
#define BENCH_FW_CMDS_COUNTER "fw_cmds"

struct bench_ctx {
	struct mlx5tls_dek *dek;
	struct mlx5tls_tis *tis;
};

struct bench_mode {
	const char *name; /* "pooled" / "unpooled" */
	bool pooled;
	/* measured */
	uint64_t warmup_cmds, churn_cmds, teardown_cmds;
	double seconds;
	uint64_t rss_delta, heap_delta; /* after warm-up minus before, bytes */
	bool have_pool_stats;
	struct mlx5tls_dek_pool_stats dek_pool;
	struct mlx5tls_tis_pool_stats tis_pool;
};

struct bench {
	struct tool *t;
	uint32_t contexts; /* N: contexts opened during churn */
	uint32_t live; /* LIVE */
	bool queues;   /* --queues: real TX/RX contexts on queues at scale (bench_scale.c) */
	bool full;     /* --full: with 1M live TX contexts */
	bool live_set; /* -l given: with --queues, the largest size */
	uint32_t threads; /* --threads N: contexts on N queues from N threads (bench_threads.c) */
	unsigned int fw_cmds_idx;
	unsigned int nr_counters;
	uint64_t *counters;
	const struct tool_suite *suite;
	struct mlx5tls_pd *pd;
	struct mlx5tls_td *td;
	struct mlx5tls_dek_pool *dek_pool;
	struct mlx5tls_tis_pool *tis_pool;
	struct bench_ctx *ctx; /* [live] */
	uint64_t rng;
};

void bench_setup_usage(FILE *fp)
{
	fprintf(fp,
		"       mlx5tls-bench setup [-d DEV] [-n CONTEXTS] [-l LIVE] [-j [-p]]\n"
		"           connection-setup churn with and without DEK/TIS pools: keeps LIVE TX\n"
		"           contexts (DEK + TLS TIS) open (default %u) and replaces a random one\n"
		"           CONTEXTS times (default %u); reports firmware commands per context\n"
		"           (target <= %.2f with pools) and contexts/s.\n"
		"       mlx5tls-bench setup --queues [--full | -l LIVE] [-d DEV] [-j [-p]]\n"
		"           real TLS TX contexts on a queue (1k, 100k live; --full: and 1M) and RX\n"
		"           contexts with their TIRs and flows (1k, 100k): random replacements/s\n"
		"           (target >= 100k/s at the largest, >= 0.5x the 1k figure), heap/context;\n"
		"           then heap/context after one record each, acknowledged (library <= 1 KiB);\n"
		"           -l LIVE: sizes min(1000, LIVE) and LIVE only.\n"
		"       mlx5tls-bench setup --threads N [-l LIVE] [-d DEV] [-j [-p]]\n"
		"           TLS TX contexts on N queues, one per thread (LIVE each, default %u),\n"
		"           each thread replacing its own at random and sending, completing and\n"
		"           acknowledging each new one's first record; then RX connections (TLS\n"
		"           TIR, steering rule, RX context) on N receive queues, each thread\n"
		"           replacing its own: operations/s of N threads against one, and how busy\n"
		"           each thread's core was.\n",
		BENCH_DEFAULT_LIVE, BENCH_DEFAULT_CONTEXTS, BENCH_TARGET_CMDS_PER_CTX,
		BENCH_THREADS_LIVE);
}

/* xorshift64*: victims and (non-secret, never printed) benchmark keys. */
static uint64_t rng_next(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dull;
}

static void rng_fill(void *buf, size_t len, void *arg)
{
	unsigned char *p = buf;

	while (len > 0) {
		uint64_t v = rng_next(arg);
		size_t n = len < sizeof(v) ? len : sizeof(v);

		memcpy(p, &v, n);
		explicit_bzero(&v, sizeof(v));
		p += n;
		len -= n;
	}
}

static double now_sec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t rss_bytes(void)
{
	unsigned long size, resident;
	uint64_t ret = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	if (!f)
		return 0;
	if (fscanf(f, "%lu %lu", &size, &resident) == 2)
		ret = (uint64_t)resident * (uint64_t)sysconf(_SC_PAGESIZE);
	fclose(f);
	return ret;
}

static uint64_t heap_bytes(void)
{
	struct mallinfo2 mi = mallinfo2();

	return mi.uordblks + mi.hblkhd;
}

static int read_fw_cmds(struct bench *b, uint64_t *val)
{
	int n = mlx5tls_device_counters(b->t->dev, b->counters, b->nr_counters);

	if (n < 0)
		return tool_fail(b->t, "reading the device counters", n);
	if ((unsigned int)n <= b->fw_cmds_idx) {
		fprintf(stderr, "%s: the device filled %d counters, not counter %u (%s)\n",
			b->t->prog, n, b->fw_cmds_idx, BENCH_FW_CMDS_COUNTER);
		return 1;
	}
	*val = b->counters[b->fw_cmds_idx];
	return 0;
}

static int find_fw_cmds_counter(struct bench *b)
{
	b->nr_counters = mlx5tls_counter_count();
	for (unsigned int i = 0; i < b->nr_counters; i++) {
		const char *name = mlx5tls_counter_name(i);

		if (name && strcmp(name, BENCH_FW_CMDS_COUNTER) == 0) {
			b->fw_cmds_idx = i;
			b->counters = calloc(b->nr_counters, sizeof(*b->counters));
			if (!b->counters)
				return tool_fail(b->t, "allocating counters", -ENOMEM);
			return 0;
		}
	}
	fprintf(stderr, "%s: the library has no device counter \"%s\"\n", b->t->prog,
		BENCH_FW_CMDS_COUNTER);
	return 1;
}

/* ---- one context ---- */

static int ctx_open(struct bench *b, struct bench_ctx *c, bool pooled)
{
	union tool_crypto_info ci;
	size_t ci_len;

	ci_len = tool_crypto_info(&ci, b->suite, rng_fill, &b->rng);
	if (pooled)
		c->dek = mlx5tls_dek_pool_get(b->dek_pool, &ci.info, ci_len);
	else
		c->dek = mlx5tls_dek_create(b->pd, &ci.info, ci_len, NULL);
	explicit_bzero(&ci, sizeof(ci));
	if (!c->dek)
		return tool_fail(b->t, pooled ? "DEK from the pool" : "DEK create", errno);

	c->tis = pooled ? mlx5tls_tis_pool_get(b->tis_pool) : mlx5tls_tis_create(b->pd, b->td, NULL);
	if (!c->tis) {
		int ret = tool_fail(b->t, pooled ? "TIS from the pool" : "TIS create", errno);

		mlx5tls_dek_destroy(c->dek);
		c->dek = NULL;
		return ret;
	}
	return 0;
}

/* The TIS goes first: it is what references the DEK on the datapath (fact sheet 10.5). */
static int ctx_close(struct bench *b, struct bench_ctx *c)
{
	int ret = 0, err;

	if (c->tis) {
		err = mlx5tls_tis_destroy(c->tis);
		if (err)
			ret = tool_fail(b->t, "TIS destroy", err);
		c->tis = NULL;
	}
	if (c->dek) {
		err = mlx5tls_dek_destroy(c->dek);
		if (err && !ret)
			ret = tool_fail(b->t, "DEK destroy", err);
		c->dek = NULL;
	}
	return ret;
}

/* ---- one mode ---- */

static int pools_create(struct bench *b)
{
	b->dek_pool = mlx5tls_dek_pool_create(b->pd, NULL);
	if (!b->dek_pool)
		return tool_fail(b->t, "DEK pool create", errno);
	b->tis_pool = mlx5tls_tis_pool_create(b->pd, b->td, NULL);
	if (!b->tis_pool)
		return tool_fail(b->t, "TIS pool create", errno);
	return 0;
}

static int pools_destroy(struct bench *b)
{
	int ret = 0, err;

	if (b->tis_pool) {
		err = mlx5tls_tis_pool_destroy(b->tis_pool);
		if (err)
			ret = tool_fail(b->t, "TIS pool destroy", err);
		b->tis_pool = NULL;
	}
	if (b->dek_pool) {
		err = mlx5tls_dek_pool_destroy(b->dek_pool);
		if (err && !ret)
			ret = tool_fail(b->t, "DEK pool destroy", err);
		b->dek_pool = NULL;
	}
	return ret;
}

static int pool_stats(struct bench *b, struct bench_mode *m)
{
	int err;

	err = mlx5tls_dek_pool_query(b->dek_pool, &m->dek_pool, sizeof(m->dek_pool));
	if (err)
		return tool_fail(b->t, "DEK pool query", err);
	err = mlx5tls_tis_pool_query(b->tis_pool, &m->tis_pool, sizeof(m->tis_pool));
	if (err)
		return tool_fail(b->t, "TIS pool query", err);
	m->have_pool_stats = true;
	return 0;
}

/* warm-up (pools + LIVE contexts), churn (N replacements, timed), teardown. */
static int run_mode(struct bench *b, struct bench_mode *m)
{
	uint64_t c0 = 0, c1 = 0, c2 = 0, c3 = 0, rss0, rss1, heap0, heap1;
	uint32_t opened = 0;
	double t0;
	int ret;

	rss0 = rss_bytes();
	heap0 = heap_bytes();
	ret = read_fw_cmds(b, &c0);
	if (ret)
		return ret;
	if (m->pooled) {
		ret = pools_create(b);
		if (ret)
			goto teardown;
	}
	for (; opened < b->live; opened++) {
		ret = ctx_open(b, &b->ctx[opened], m->pooled);
		if (ret)
			goto teardown;
	}
	ret = read_fw_cmds(b, &c1);
	if (ret)
		goto teardown;
	rss1 = rss_bytes();
	heap1 = heap_bytes();
	m->rss_delta = rss1 > rss0 ? rss1 - rss0 : 0;
	m->heap_delta = heap1 > heap0 ? heap1 - heap0 : 0;

	t0 = now_sec();
	for (uint32_t i = 0; i < b->contexts; i++) {
		struct bench_ctx *c = &b->ctx[rng_next(&b->rng) % b->live];

		ret = ctx_close(b, c);
		if (!ret)
			ret = ctx_open(b, c, m->pooled);
		if (ret)
			goto teardown;
	}
	m->seconds = now_sec() - t0;
	ret = read_fw_cmds(b, &c2);
	if (ret)
		goto teardown;
	if (m->pooled)
		ret = pool_stats(b, m);

teardown:
	for (uint32_t i = 0; i < opened; i++) {
		int err = ctx_close(b, &b->ctx[i]);

		ret = ret ? ret : err;
	}
	if (m->pooled) {
		int err = pools_destroy(b);

		ret = ret ? ret : err;
	}
	if (ret)
		return ret;
	ret = read_fw_cmds(b, &c3);
	if (ret)
		return ret;
	m->warmup_cmds = c1 - c0;
	m->churn_cmds = c2 - c1;
	m->teardown_cmds = c3 - c2;
	return 0;
}

/* ---- report ---- */

static double cmds_per_ctx(const struct bench *b, const struct bench_mode *m)
{
	return b->contexts ? (double)m->churn_cmds / b->contexts : 0.0;
}

static double ctx_per_sec(const struct bench *b, const struct bench_mode *m)
{
	return m->seconds > 0 ? b->contexts / m->seconds : 0.0;
}

static void print_mode(const struct bench *b, const struct bench_mode *m)
{
	pr_open_object(NULL);
	pr_string("mode", "%-9s", m->name);
	pr_uint("contexts", " contexts %s", b->contexts);
	pr_uint("fw_cmds", " fw_cmds %s", m->churn_cmds);
	pr_double("cmds_per_context", " cmds_per_context %s", cmds_per_ctx(b, m), 4);
	pr_double("contexts_per_s", " contexts_per_s %s", ctx_per_sec(b, m), 0);
	pr_double("seconds", " seconds %s", m->seconds, 3);
	pr_nl();
	pr_uint("warmup_contexts", "          warmup_contexts %s", b->live);
	pr_uint("warmup_fw_cmds", " warmup_fw_cmds %s", m->warmup_cmds);
	pr_uint("teardown_fw_cmds", " teardown_fw_cmds %s", m->teardown_cmds);
	pr_uint("total_fw_cmds", " total_fw_cmds %s",
		m->warmup_cmds + m->churn_cmds + m->teardown_cmds);
	pr_nl();
	pr_uint("rss_per_context", "          rss_per_context %s", m->rss_delta / b->live);
	pr_uint("heap_per_context", " heap_per_context %s", m->heap_delta / b->live);
	pr_text(" (bytes; library + device model, after warm-up)");
	pr_nl();
	if (m->have_pool_stats) {
		pr_open_object("dek_pool");
		pr_bool("bulk", "          dek_pool bulk %s", m->dek_pool.bulk);
		pr_uint("bulk_size", " bulk_size %s", m->dek_pool.bulk_size);
		pr_uint("bulk_creates", " bulk_creates %s", m->dek_pool.bulk_creates);
		pr_uint("key_loads", " key_loads %s", m->dek_pool.key_loads);
		pr_uint("syncs", " syncs %s", m->dek_pool.syncs);
		pr_uint("single_creates", " single_creates %s", m->dek_pool.single_creates);
		pr_close_object();
		pr_open_object("tis_pool");
		pr_uint("creates", " tis_pool creates %s", m->tis_pool.creates);
		pr_uint("destroys", " destroys %s", m->tis_pool.destroys);
		pr_close_object();
		pr_nl();
	}
	pr_close_object();
}

static void print_report(const struct bench *b, const struct bench_mode *pooled,
			 const struct bench_mode *unpooled)
{
	double pooled_cpc = cmds_per_ctx(b, pooled);
	double unpooled_rate = ctx_per_sec(b, unpooled);
	bool met = pooled_cpc <= BENCH_TARGET_CMDS_PER_CTX;

	pr_open_object(NULL);
	pr_open_object("device");
	tool_print_device(b->t);
	pr_close_object();
	pr_nl();
	pr_string("benchmark", "%s:", "setup");
	pr_uint("live", " live %s", b->live);
	pr_uint("contexts", " contexts %s", b->contexts);
	pr_string("context", " context %s", "dek+tls_tis");
	pr_string("suite", " suite %s", b->suite->name);
	pr_nl();
	pr_open_array("modes");
	print_mode(b, pooled);
	print_mode(b, unpooled);
	pr_close_array();
	pr_double("ratio_contexts_per_s", "pooled/unpooled contexts_per_s ratio %s",
		  unpooled_rate > 0 ? ctx_per_sec(b, pooled) / unpooled_rate : 0.0, 2);
	pr_nl();
	pr_open_object("target");
	pr_double("max_cmds_per_context", "target setup fw commands per context (pools) <= %s:",
		  BENCH_TARGET_CMDS_PER_CTX, 2);
	pr_bool("met", NULL, met);
	pr_text(" %s", met ? "met" : "NOT met");
	pr_double("cmds_per_context", " (%s)", pooled_cpc, 4);
	pr_close_object();
	pr_nl();
	pr_close_object();
}

/* ---- entry ---- */

static int parse_count(struct tool *t, const char *opt, const char *arg, uint32_t *val)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(arg, &end, 0);
	if (errno || end == arg || *end || v == 0 || v > UINT32_MAX || arg[0] == '-') {
		fprintf(stderr, "%s: %s needs a positive count, not '%s'\n", t->prog, opt, arg);
		return 1;
	}
	*val = (uint32_t)v;
	return 0;
}

static int parse_args(struct tool *t, struct bench *b)
{
	static const struct option long_opts[] = {
		{ "device", required_argument, NULL, 'd' },
		{ "contexts", required_argument, NULL, 'n' },
		{ "live", required_argument, NULL, 'l' },
		{ "queues", no_argument, NULL, 'Q' },
		{ "full", no_argument, NULL, 'F' },
		{ "threads", required_argument, NULL, 'T' },
		{ "json", no_argument, NULL, 'j' },
		{ "pretty", no_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	/* getopt wants argv[0]: the word "setup" the dispatcher just consumed. */
	int argc = t->argc + 1;
	char **argv = t->argv - 1;
	int opt;

	optind = 0;
	while ((opt = getopt_long(argc, argv, "+d:n:l:jph", long_opts, NULL)) != -1) {
		switch (opt) {
		case 'd':
			t->dev_name = optarg;
			break;
		case 'n':
			if (parse_count(t, "-n", optarg, &b->contexts))
				return 1;
			break;
		case 'l':
			if (parse_count(t, "-l", optarg, &b->live))
				return 1;
			b->live_set = true;
			break;
		case 'Q':
			b->queues = true;
			break;
		case 'F':
			b->queues = true;
			b->full = true;
			break;
		case 'T':
			if (parse_count(t, "--threads", optarg, &b->threads))
				return 1;
			if (b->threads > BENCH_MAX_THREADS) {
				fprintf(stderr, "%s: --threads: at most %u\n", t->prog,
					BENCH_MAX_THREADS);
				return 1;
			}
			break;
		case 'j':
			t->json = true;
			break;
		case 'p':
			t->pretty = true;
			break;
		case 'h':
			t->usage(stdout);
			return -1;
		default:
			t->usage(stderr);
			return 1;
		}
	}
	t->argc = argc - optind;
	t->argv = argv + optind;
	return tool_no_more_args(t);
}

static int bench_run(struct bench *b)
{
	struct bench_mode pooled = { .name = "pooled", .pooled = true };
	struct bench_mode unpooled = { .name = "unpooled", .pooled = false };
	struct mlx5tls_caps caps;
	int ret;

	if (tool_open_device(b->t, false))
		return 1;
	ret = find_fw_cmds_counter(b);
	if (ret)
		return ret;
	memset(&caps, 0, sizeof(caps));
	ret = mlx5tls_query_caps(b->t->dev, &caps, sizeof(caps));
	if (ret)
		return tool_fail(b->t, "cannot query capabilities", ret);
	/* TLS 1.2 AES-GCM-128, what every TLS-capable firmware has, else the first suite offered */
	b->suite = tool_pick_suite(caps.suites, MLX5TLS_SUITE_TLS12_AES_GCM_128);
	if (!caps.tls_tx || !caps.dek_object || !b->suite) {
		char summary[160];

		tool_tls_summary(&caps, summary, sizeof(summary));
		fprintf(stderr, "%s: device %s cannot offload TLS TX (tls: %s)\n", b->t->prog,
			b->t->attr.name, summary);
		return 1;
	}
	if (getrandom(&b->rng, sizeof(b->rng), 0) != sizeof(b->rng) || b->rng == 0)
		b->rng = 0x9e3779b97f4a7c15ull;
	b->ctx = calloc(b->live, sizeof(*b->ctx));
	if (!b->ctx)
		return tool_fail(b->t, "allocating contexts", -ENOMEM);

	b->pd = mlx5tls_pd_alloc(b->t->dev);
	if (!b->pd)
		return tool_fail(b->t, "PD alloc", errno);
	b->td = mlx5tls_td_alloc(b->t->dev);
	if (!b->td)
		return tool_fail(b->t, "TD alloc", errno);

	ret = run_mode(b, &pooled);
	if (!ret)
		ret = run_mode(b, &unpooled);
	if (!ret)
		print_report(b, &pooled, &unpooled);
	return ret;
}

int bench_setup(struct tool *t)
{
	struct bench b = {
		.t = t,
		.contexts = BENCH_DEFAULT_CONTEXTS,
		.live = BENCH_DEFAULT_LIVE,
	};
	int ret, err;

	ret = parse_args(t, &b);
	if (ret)
		return ret < 0 ? 0 : ret;

	pr_init(stdout, t->json, t->pretty);
	if (b.threads) {
		ret = bench_threads_run(t, b.threads, b.live_set ? b.live : BENCH_THREADS_LIVE);
		if (pr_finish() && !ret)
			ret = tool_fail(t, "writing the output", -EIO);
		free(b.counters);
		return ret;
	}
	if (b.queues) {
		ret = bench_scale_run(t, b.full, b.live_set ? b.live : 0);
		if (pr_finish() && !ret)
			ret = tool_fail(t, "writing the output", -EIO);
		free(b.counters);
		return ret;
	}
	ret = bench_run(&b);
	if (b.td && (err = mlx5tls_td_dealloc(b.td)) && !ret)
		ret = tool_fail(t, "TD dealloc", err);
	if (b.pd && (err = mlx5tls_pd_dealloc(b.pd)) && !ret)
		ret = tool_fail(t, "PD dealloc", err);
	if (pr_finish() && !ret)
		ret = tool_fail(t, "writing the output", -EIO);
	free(b.ctx);
	free(b.counters);
	return ret;
}
