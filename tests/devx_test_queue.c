/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The raw Ethernet queue through the library's real `devx` transport: ibv_create_cq/qp,
 * mlx5dv_init_obj, ibv_modify_qp, ibv_reg_mr and the 8-byte doorbell store, interposed onto the
 * device model (tests/shim/, devx-userspace B2-B5). The library is driven through its public API
 * only; the interposer's control header shows the wire (its capture port) and proves the calls
 * went through rdma-core's entry points. A "verbs" suite checks the interposer's verbs directly.
 *
 * The model's device threads run on their own and see the doorbell through the shim's watcher,
 * so completions are waited for with mlx5tls_qp_poll timeouts.
 */
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <infiniband/mlx5dv.h>
#include <infiniband/verbs.h>
#include <openssl/ssl.h>

#include "be_bytes.h"
#include "inet_csum.h"
#include "devx_shim.h"
#include "mlx5tls/mlx5tls.h"
#include "test_util.h"
#include "tx_harness.h"

#define DEV "mlx5_0"
#define ARENA_BYTES (4u << 20)
#define POLL_MS 2000u
#define ETH_HLEN 14u
#define IP_HLEN 20u
#define TCP_HLEN 20u
#define HDRS (ETH_HLEN + IP_HLEN + TCP_HLEN)

/* ---- frames: IPv4/TCP with the checksum fields left wrong for the device to fill ---- */

/* Ethernet / IPv4 / TCP with `plen` payload bytes derived from `seed`. The IPv4 and TCP
 * checksum fields hold junk: cs_flags L3|L4 make the device compute them. */
static void build_frame(uint8_t *f, size_t plen, uint32_t seed)
{
	static const uint8_t dst[6] = { 0x02, 0, 0, 0, 0, 0x22 }, src[6] = { 0x02, 0, 0, 0, 0, 0x11 };
	uint8_t *ip = f + ETH_HLEN, *tcp = ip + IP_HLEN;

	memcpy(f, dst, 6);
	memcpy(f + 6, src, 6);
	put16(f + 12, 0x0800);
	memset(ip, 0, IP_HLEN + TCP_HLEN);
	ip[0] = 0x45;
	put16(ip + 2, (uint16_t)(IP_HLEN + TCP_HLEN + plen));
	put16(ip + 4, (uint16_t)seed);
	put16(ip + 6, 0x4000);
	ip[8] = 64;
	ip[9] = 6;
	put16(ip + 10, 0xdead);
	put32(ip + 12, 0xc6130001);
	put32(ip + 16, 0xc6130002);
	put16(tcp, 40000);
	put16(tcp + 2, 80);
	put32(tcp + 4, 1000u + seed * 7919u);
	put32(tcp + 8, 1);
	tcp[12] = 5 << 4;
	tcp[13] = 0x18;
	put16(tcp + 14, 65535);
	put16(tcp + 16, 0xbeef);
	for (size_t i = 0; i < plen; i++)
		tcp[TCP_HLEN + i] = (uint8_t)(seed * 31u + i);
}

/* What the wire must carry: the frame with both checksums computed here. */
static void expected_frame(uint8_t *e, const uint8_t *f, size_t len)
{
	uint8_t *ip = e + ETH_HLEN, *tcp = ip + IP_HLEN;
	size_t l4len = len - ETH_HLEN - IP_HLEN;
	uint32_t sum;

	memcpy(e, f, len);
	put16(ip + 10, 0);
	put16(ip + 10, test_csum_field(test_csum_add(0, ip, IP_HLEN)));
	put16(tcp + 16, 0);
	sum = test_csum_add(0, ip + 12, 8) + 6 + (uint32_t)l4len;
	put16(tcp + 16, test_csum_field(test_csum_add(sum, tcp, l4len)));
}

/* ---- a device, PD, TD, memory region and queue on mlx5_0 ---- */

struct env {
	struct mlx5tls_device *dev;
	struct mlx5tls_pd *pd;
	struct mlx5tls_td *td;
	struct mlx5tls_mr *mr;
	struct mlx5tls_qp *qp;
	uint8_t *arena;
	size_t used;
};

static int env_open(struct env *e, uint32_t log_sq, uint32_t mtu)
{
	struct mlx5tls_qp_opts q = { .sz = sizeof(q) };

	memset(e, 0, sizeof(*e));
	if (devx_shim_wire_clear(DEV))
		return -ENODEV;
	e->arena = aligned_alloc(4096, ARENA_BYTES);
	if (!e->arena)
		return -ENOMEM;
	e->dev = mlx5tls_device_open(DEV, NULL);
	if (!e->dev)
		return -errno;
	e->pd = mlx5tls_pd_alloc(e->dev);
	e->td = e->pd ? mlx5tls_td_alloc(e->dev) : NULL;
	if (!e->td)
		return -errno;
	e->mr = mlx5tls_mr_reg(e->pd, e->arena, ARENA_BYTES);
	if (!e->mr)
		return -errno;
	q.log_sq_wqebbs = log_sq;
	q.mtu = mtu;
	e->qp = mlx5tls_qp_create(e->pd, e->td, &q);
	return e->qp ? 0 : -errno;
}

static void env_close(struct env *e)
{
	if (e->qp)
		CU_ASSERT_EQUAL(mlx5tls_qp_destroy(e->qp), 0);
	if (e->mr)
		CU_ASSERT_EQUAL(mlx5tls_mr_dereg(e->mr), 0);
	if (e->td)
		CU_ASSERT_EQUAL(mlx5tls_td_dealloc(e->td), 0);
	if (e->pd)
		CU_ASSERT_EQUAL(mlx5tls_pd_dealloc(e->pd), 0);
	if (e->dev)
		CU_ASSERT_EQUAL(mlx5tls_device_close(e->dev), 0);
	free(e->arena);
	devx_shim_wire_clear(DEV);
}

/* A frame of `plen` payload bytes in the arena, cookie = seed. */
static struct mlx5tls_frame make_frame(struct env *e, size_t plen, uint32_t seed)
{
	size_t len = HDRS + plen;
	uint8_t *f = e->arena + e->used;

	e->used += (len + 63) & ~(size_t)63;
	if (e->used > ARENA_BYTES)
		e->used = 0, f = e->arena; /* callers keep within the arena; never reached */
	build_frame(f, plen, seed);
	return (struct mlx5tls_frame){ .data = f, .len = (uint32_t)len, .mr = e->mr,
				       .cookie = seed };
}

/* Wait for n completions; returns how many came. */
static int collect(struct mlx5tls_qp *qp, struct mlx5tls_completion *c, int n)
{
	int got = 0;

	while (got < n) {
		int r = mlx5tls_qp_poll(qp, c + got, n - got, POLL_MS);

		if (r <= 0)
			break;
		got += r;
	}
	return got;
}

/* Send, reaping completions into c[*ndone] while the ring is full. */
static int send_frame(struct env *e, const struct mlx5tls_frame *f, uint32_t flags,
		      struct mlx5tls_completion *c, int *ndone, int cap)
{
	for (int tries = 0; tries < 1000; tries++) {
		int ret = mlx5tls_qp_send(e->qp, f, flags);
		int r;

		if (ret != -EAGAIN)
			return ret;
		/* ring full: the MORE frames posted so far need their doorbell to complete */
		mlx5tls_qp_flush(e->qp);
		r = mlx5tls_qp_poll(e->qp, c + *ndone, cap - *ndone, 10);
		if (r > 0)
			*ndone += r;
	}
	return -ETIMEDOUT;
}

/* The idx-th captured frame equals f with its checksums filled in. */
static void expect_wire(size_t idx, const struct mlx5tls_frame *f)
{
	const uint8_t *got;
	uint8_t *want = malloc(f->len);
	size_t len = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(want);
	got = devx_shim_wire_frame(DEV, idx, &len);
	CU_ASSERT_PTR_NOT_NULL(got);
	CU_ASSERT_EQUAL(len, f->len);
	expected_frame(want, f->data, f->len);
	if (got && len == f->len)
		TEST_ASSERT_BYTES("wire frame", got, want, f->len);
	free(want);
}

/* ---- interposition ---- */

static void expect_in_shim(const char *sym)
{
	void *p = dlsym(RTLD_DEFAULT, sym);
	Dl_info info;

	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	CU_ASSERT_FATAL(dladdr(p, &info) != 0);
	if (!strstr(info.dli_fname, "mlx5tls_devx_shim"))
		fprintf(stderr, "\n  %s resolves to %s\n", sym, info.dli_fname);
	CU_ASSERT_PTR_NOT_NULL(strstr(info.dli_fname, "mlx5tls_devx_shim"));
}

static void test_interposed(void)
{
	static const char *const syms[] = {
		"ibv_create_cq", "ibv_destroy_cq", "ibv_create_qp", "ibv_modify_qp",
		"ibv_destroy_qp", "ibv_reg_mr", "ibv_reg_mr_iova2", "ibv_dereg_mr",
		"mlx5dv_init_obj",
	};
	struct mlx5tls_qp_attr a;
	struct env e;

	for (size_t i = 0; i < sizeof(syms) / sizeof(syms[0]); i++)
		expect_in_shim(syms[i]);
	devx_shim_reset_calls();
	CU_ASSERT_EQUAL_FATAL(env_open(&e, 6, 0), 0);
	/* the datapath verbs really went through rdma-core's entry points */
	CU_ASSERT_EQUAL(devx_shim_calls("ibv_create_cq"), 1);
	CU_ASSERT_EQUAL(devx_shim_calls("ibv_create_qp"), 1);
	CU_ASSERT(devx_shim_calls("mlx5dv_init_obj") >= 2); /* PD, then QP|CQ */
	CU_ASSERT_EQUAL(devx_shim_calls("ibv_modify_qp"), 3); /* INIT, RTR, RTS */
	CU_ASSERT(devx_shim_calls("ibv_reg_mr") + devx_shim_calls("ibv_reg_mr_iova2") >= 1);
	CU_ASSERT_EQUAL(mlx5tls_qp_query(e.qp, &a, sizeof(a)), 0);
	/* the provider sizing gave exactly the ring asked for */
	CU_ASSERT_EQUAL(a.wqebbs, 64);
	CU_ASSERT_NOT_EQUAL(a.sqn, 0);
	/* model-only knobs are refused on hardware */
	CU_ASSERT_EQUAL(mlx5tls_qp_model_inject_error(e.qp, 0), -EOPNOTSUPP);
	CU_ASSERT_EQUAL(mlx5tls_model_wire(e.dev, NULL), -EOPNOTSUPP);
	env_close(&e);
	CU_ASSERT_EQUAL(devx_shim_calls("ibv_destroy_qp"), 1);
	CU_ASSERT_EQUAL(devx_shim_calls("ibv_destroy_cq"), 1);
	CU_ASSERT(devx_shim_calls("ibv_dereg_mr") >= 1);
}

/* ---- frames on the wire ---- */

static void test_send_frames(void)
{
	enum { N = 24 };
	struct mlx5tls_completion c[N];
	struct mlx5tls_frame f[N];
	unsigned long db0 = devx_shim_doorbells();
	struct env e;
	int got;

	CU_ASSERT_EQUAL_FATAL(env_open(&e, 8, 0), 0);
	for (int i = 0; i < N; i++) {
		f[i] = make_frame(&e, 6 + (size_t)i * 61, (uint32_t)i + 1);
		CU_ASSERT_EQUAL(mlx5tls_qp_send(e.qp, &f[i], 0), 0);
	}
	got = collect(e.qp, c, N);
	CU_ASSERT_EQUAL(got, N);
	for (int i = 0; i < got; i++) {
		CU_ASSERT_EQUAL(c[i].cookie, (uint64_t)i + 1);
		CU_ASSERT_EQUAL(c[i].status, 0);
	}
	CU_ASSERT_EQUAL_FATAL(devx_shim_wire_count(DEV), N);
	for (int i = 0; i < N; i++)
		expect_wire((size_t)i, &f[i]);
	/* the watcher saw doorbells (several may merge into one snoop) */
	CU_ASSERT(devx_shim_doorbells() > db0);
	CU_ASSERT_EQUAL(mlx5tls_qp_poll(e.qp, c, N, 0), 0);
	env_close(&e);
}

/* More frames than the ring holds, in doorbell batches: the ring wraps many times. */
static void test_ring_wrap(void)
{
	enum { N = 600, CAP = N + 8 };
	struct mlx5tls_completion *c = calloc(CAP, sizeof(*c));
	struct mlx5tls_frame *f = calloc(N, sizeof(*f));
	struct mlx5tls_qp_attr a;
	struct env e;
	int done = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_EQUAL_FATAL(env_open(&e, 6, 0), 0);
	for (int i = 0; i < N; i++) {
		uint32_t flags = (i % 5 != 4) ? MLX5TLS_SEND_F_MORE : 0;

		f[i] = make_frame(&e, 10 + (size_t)(i % 97) * 13, (uint32_t)i + 100);
		CU_ASSERT_EQUAL_FATAL(send_frame(&e, &f[i], flags, c, &done, CAP), 0);
	}
	CU_ASSERT_EQUAL(mlx5tls_qp_flush(e.qp), 0);
	done += collect(e.qp, c + done, N - done);
	CU_ASSERT_EQUAL(done, N);
	for (int i = 0; i < done; i++) {
		if (c[i].cookie != (uint64_t)i + 100 || c[i].status) {
			fprintf(stderr, "\n  completion %d: cookie %llu status %d\n", i,
				(unsigned long long)c[i].cookie, c[i].status);
			CU_FAIL("completion out of order or failed");
			break;
		}
	}
	CU_ASSERT_EQUAL(mlx5tls_qp_query(e.qp, &a, sizeof(a)), 0);
	CU_ASSERT(a.wqes >= N);
	CU_ASSERT(a.wqes * 2 > 4 * a.wqebbs); /* wrapped several times */
	CU_ASSERT_EQUAL(a.recoveries, 0);
	CU_ASSERT_EQUAL_FATAL(devx_shim_wire_count(DEV), N);
	for (int i = 0; i < N; i++)
		expect_wire((size_t)i, &f[i]);
	env_close(&e);
	free(c);
	free(f);
}

/*
 * A frame the device rejects (longer than the link MTU the port has, though within the queue's
 * MTU): error CQE, the library recovers the QP through ibv_modify_qp RESET..RTS, the flushed
 * frames go again and the failing one is dropped after its retry. This runs the RESET path of
 * the doorbell watcher too: the first doorbell after the recovery names WQE 0 again.
 */
static void test_error_recovery(void)
{
	struct mlx5tls_completion c[8];
	struct mlx5tls_frame ok1, bad, ok2, ok3;
	struct mlx5tls_qp_attr a;
	struct env e;
	int got, sent = 0;

	CU_ASSERT_EQUAL_FATAL(env_open(&e, 6, 9000), 0);
	CU_ASSERT_EQUAL(devx_shim_wire_mtu(DEV), 1500);
	ok1 = make_frame(&e, 100, 1);
	bad = make_frame(&e, 3000, 2);
	ok2 = make_frame(&e, 200, 3);
	ok3 = make_frame(&e, 300, 4);
	CU_ASSERT_EQUAL(mlx5tls_qp_send(e.qp, &ok1, MLX5TLS_SEND_F_MORE), 0);
	CU_ASSERT_EQUAL(mlx5tls_qp_send(e.qp, &bad, MLX5TLS_SEND_F_MORE), 0);
	CU_ASSERT_EQUAL(mlx5tls_qp_send(e.qp, &ok2, 0), 0);
	got = collect(e.qp, c, 3);
	CU_ASSERT_EQUAL(got, 3);
	for (int i = 0; i < got; i++) {
		sent |= 1 << c[i].cookie;
		CU_ASSERT_EQUAL(c[i].status, c[i].cookie == 2 ? -EIO : 0);
	}
	CU_ASSERT_EQUAL(sent, 0xe);
	/* the queue works on */
	CU_ASSERT_EQUAL(mlx5tls_qp_send(e.qp, &ok3, 0), 0);
	got = collect(e.qp, c, 1);
	CU_ASSERT_EQUAL(got, 1);
	CU_ASSERT_EQUAL(c[0].cookie, 4);
	CU_ASSERT_EQUAL(c[0].status, 0);
	CU_ASSERT_EQUAL(mlx5tls_qp_query(e.qp, &a, sizeof(a)), 0);
	CU_ASSERT(a.recoveries >= 1);
	CU_ASSERT_EQUAL_FATAL(devx_shim_wire_count(DEV), 3);
	expect_wire(0, &ok1);
	expect_wire(1, &ok2);
	expect_wire(2, &ok3);
	env_close(&e);
}

/*
 * A lone frame that fails at WQE 0: the recovery posts it again at WQE 0, so the doorbell after
 * RESET carries the very bytes of the one before. The device must still see it (the shim clears
 * its doorbell register at RESET, as the register is write-only on hardware).
 */
static void test_repeat_doorbell_after_reset(void)
{
	struct mlx5tls_completion c[2];
	struct mlx5tls_frame bad, ok;
	struct mlx5tls_qp_attr a;
	struct env e;

	CU_ASSERT_EQUAL_FATAL(env_open(&e, 6, 9000), 0);
	bad = make_frame(&e, 2000, 7);
	ok = make_frame(&e, 1000, 8);
	CU_ASSERT_EQUAL(mlx5tls_qp_send(e.qp, &bad, 0), 0);
	CU_ASSERT_EQUAL_FATAL(collect(e.qp, c, 1), 1);
	CU_ASSERT_EQUAL(c[0].cookie, 7);
	CU_ASSERT_EQUAL(c[0].status, -EIO);
	CU_ASSERT_EQUAL(mlx5tls_qp_query(e.qp, &a, sizeof(a)), 0);
	CU_ASSERT_EQUAL(a.recoveries, 2); /* the frame and its one retry */
	CU_ASSERT_EQUAL(mlx5tls_qp_send(e.qp, &ok, 0), 0);
	CU_ASSERT_EQUAL_FATAL(collect(e.qp, c, 1), 1);
	CU_ASSERT_EQUAL(c[0].cookie, 8);
	CU_ASSERT_EQUAL(c[0].status, 0);
	CU_ASSERT_EQUAL_FATAL(devx_shim_wire_count(DEV), 1);
	expect_wire(0, &ok);
	env_close(&e);
}

/* ---- lifetimes ---- */

static void test_destroy_order(void)
{
	struct mlx5tls_completion c[4];
	struct devx_shim_dev_stats st0, st;
	struct mlx5tls_frame f;
	struct env e;

	memset(&st0, 0, sizeof(st0));
	CU_ASSERT_EQUAL(devx_shim_dev_stats(DEV, &st0), 0);
	CU_ASSERT_EQUAL_FATAL(env_open(&e, 6, 0), 0);
	CU_ASSERT_EQUAL(devx_shim_dev_stats(DEV, &st), 0);
	CU_ASSERT_EQUAL(st.qps, st0.qps + 1);
	CU_ASSERT_EQUAL(st.tises, st0.tises + 1); /* the kernel's TIS of the SQ */
	f = make_frame(&e, 64, 9);
	CU_ASSERT_EQUAL(mlx5tls_qp_send(e.qp, &f, 0), 0);
	CU_ASSERT_EQUAL(collect(e.qp, c, 1), 1);

	/* in use by the queue (and the MR) */
	CU_ASSERT_EQUAL(mlx5tls_pd_dealloc(e.pd), -EBUSY);
	CU_ASSERT_EQUAL(mlx5tls_td_dealloc(e.td), -EBUSY);
	CU_ASSERT_EQUAL(mlx5tls_qp_destroy(e.qp), 0);
	e.qp = NULL;
	CU_ASSERT_EQUAL(devx_shim_dev_stats(DEV, &st), 0);
	CU_ASSERT_EQUAL(st.qps, st0.qps);
	CU_ASSERT_EQUAL(st.tises, st0.tises);
	CU_ASSERT_EQUAL(mlx5tls_pd_dealloc(e.pd), -EBUSY); /* the MR still */
	CU_ASSERT_EQUAL(mlx5tls_mr_dereg(e.mr), 0);
	e.mr = NULL;
	CU_ASSERT_EQUAL(mlx5tls_td_dealloc(e.td), 0);
	e.td = NULL;
	CU_ASSERT_EQUAL(mlx5tls_pd_dealloc(e.pd), 0);
	e.pd = NULL;
	env_close(&e);
	/* the context's kernel TD went with the context */
	CU_ASSERT_EQUAL(devx_shim_dev_stats(DEV, &st), 0);
	CU_ASSERT_EQUAL(st.pds, st0.pds);
	CU_ASSERT_EQUAL(st.tds, st0.tds);
	CU_ASSERT_EQUAL(st.tises, st0.tises);
	CU_ASSERT_EQUAL(devx_shim_open_contexts(DEV), 0);
}

/* Closing the device with a queue still open: the kernel tears it down with the context. */
static void test_close_with_queue(void)
{
	struct devx_shim_dev_stats st;
	struct env e;

	CU_ASSERT_EQUAL_FATAL(env_open(&e, 6, 0), 0);
	/* the library refuses while objects live; the shim's own cleanup is checked through
	 * verbs below (test_verbs_close) */
	CU_ASSERT_EQUAL(mlx5tls_device_close(e.dev), -EBUSY);
	env_close(&e);
	CU_ASSERT_EQUAL(devx_shim_dev_stats(DEV, &st), 0);
	CU_ASSERT_EQUAL(st.qps, 0);
}

/* ---- TLS through the devx path ---- */

/* Reassemble the TCP payload of the captured frames by sequence (every checksum checked,
 * retransmitted bytes must be identical) and hand it to the OpenSSL client. */
static size_t wire_stream(struct txh *h, uint8_t *rx, uint8_t *have, size_t cap, uint64_t *bad)
{
	size_t n = (size_t)devx_shim_wire_count(DEV), contig = 0;

	for (size_t i = 0; i < n; i++) {
		size_t len = 0, l4len, plen, off;
		const uint8_t *fr = devx_shim_wire_frame(DEV, i, &len);
		const uint8_t *ip, *tcp;
		uint32_t sum;

		if (!fr || len < HDRS || get16(fr + 12) != 0x0800) {
			(*bad)++;
			continue;
		}
		ip = fr + ETH_HLEN;
		tcp = ip + IP_HLEN;
		if (test_csum_fold(test_csum_add(0, ip, IP_HLEN)) != 0xffff) {
			(*bad)++;
			continue;
		}
		l4len = get16(ip + 2) - IP_HLEN;
		sum = test_csum_add(0, ip + 12, 8) + 6 + (uint32_t)l4len;
		if (test_csum_fold(test_csum_add(sum, tcp, l4len)) != 0xffff) {
			(*bad)++;
			continue;
		}
		plen = l4len - (size_t)(tcp[12] >> 4) * 4u;
		off = get32(tcp + 4) - h->o.isn;
		if (off + plen > cap) {
			(*bad)++;
			continue;
		}
		for (size_t k = 0; k < plen; k++) {
			const uint8_t b = tcp[(tcp[12] >> 4) * 4u + k];

			if (have[off + k] && rx[off + k] != b)
				(*bad)++;
			rx[off + k] = b;
			have[off + k] = 1;
		}
	}
	while (contig < cap && have[contig])
		contig++;
	return contig;
}

static void run_tls(int version, bool retransmit)
{
	struct txh_opts o = { .device = DEV, .tls_version = version, .key_bits = 128,
			      .isn = 0x7ffff000u, .qp_async = true, .log_sq_wqebbs = 8,
			      .arena_bytes = 8u << 20 };
	const size_t len = 40000;
	struct mlx5tls_tx_info info;
	uint8_t *pt = malloc(len), *got = malloc(len + 1), *rx, *have;
	size_t contig;
	uint64_t bad = 0;
	struct txh h;
	long n;

	CU_ASSERT_PTR_NOT_NULL_FATAL(pt);
	CU_ASSERT_PTR_NOT_NULL_FATAL(got);
	CU_ASSERT_EQUAL_FATAL(devx_shim_wire_clear(DEV), 0);
	for (size_t i = 0; i < len; i++)
		pt[i] = (uint8_t)(i * 13 + (i >> 9));
	CU_ASSERT_EQUAL_FATAL(txh_init(&h, &o), 0);
	txh_add_records(&h, pt, len, 16384);
	if (!retransmit) {
		CU_ASSERT_EQUAL(txh_send_segments(&h, 0, h.stream_len, 1448), 0);
	} else {
		/* the second segment again after the rest: resync with DUMP replay */
		CU_ASSERT_EQUAL(txh_send_segments(&h, 0, h.stream_len, 1448), 0);
		CU_ASSERT_EQUAL(txh_send(&h, 1448, 1448, 0), 0);
	}
	CU_ASSERT(txh_drain(&h) > 0);
	rx = calloc(1, h.stream_len);
	have = calloc(1, h.stream_len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(rx);
	CU_ASSERT_PTR_NOT_NULL_FATAL(have);
	contig = wire_stream(&h, rx, have, h.stream_len, &bad);
	CU_ASSERT_EQUAL(bad, 0);
	CU_ASSERT_EQUAL(contig, h.stream_len);
	/* the wire is ciphertext: the plaintext does not show */
	CU_ASSERT_PTR_NULL(memmem(rx, contig, pt + 1000, 64));
	CU_ASSERT_EQUAL(tls_peer_feed(h.pair, TLS_PEER_CLIENT, rx, contig), 0);
	n = 0;
	while ((size_t)n < len) {
		ssize_t r = tls_peer_read(h.pair, TLS_PEER_CLIENT, got + n, len + 1 - (size_t)n);

		if (r <= 0) {
			fprintf(stderr, "\n  client read: %s\n",
				tls_peer_last_error(h.pair, TLS_PEER_CLIENT));
			break;
		}
		n += r;
	}
	CU_ASSERT_EQUAL(n, (long)len);
	if (n == (long)len)
		CU_ASSERT_EQUAL(memcmp(got, pt, len), 0);
	CU_ASSERT_EQUAL(mlx5tls_tx_query(h.tx, &info, sizeof(info)), 0);
	CU_ASSERT_EQUAL(info.path, MLX5TLS_TX_PATH_DEVICE);
	CU_ASSERT_EQUAL(info.ooo, retransmit ? 1 : 0);
	if (retransmit)
		CU_ASSERT_EQUAL(info.dump_bytes, 1448);
	txh_fini(&h);
	devx_shim_wire_clear(DEV);
	free(rx);
	free(have);
	free(pt);
	free(got);
}

static void test_tls12_aes128(void)
{
	run_tls(TLS1_2_VERSION, false);
}

static void test_tls13_retransmit(void)
{
	run_tls(TLS1_3_VERSION, true);
}

/* ---- the interposer's verbs, directly ---- */

static struct ibv_context *open_ctx(void)
{
	struct mlx5dv_context_attr attr = { .flags = MLX5DV_CONTEXT_FLAGS_DEVX };
	struct ibv_device **list = ibv_get_device_list(NULL);
	struct ibv_context *ctx = NULL;

	for (int i = 0; list && list[i]; i++)
		if (strcmp(ibv_get_device_name(list[i]), DEV) == 0)
			ctx = mlx5dv_open_device(list[i], &attr);
	ibv_free_device_list(list);
	return ctx;
}

static int modify(struct ibv_qp *qp, enum ibv_qp_state s, int extra_mask, uint8_t port)
{
	struct ibv_qp_attr a;

	memset(&a, 0, sizeof(a));
	a.qp_state = s;
	a.port_num = port;
	return ibv_modify_qp(qp, &a, IBV_QP_STATE | extra_mask);
}

static void test_verbs(void)
{
	struct ibv_qp_init_attr ia;
	struct mlx5dv_qp dq;
	struct mlx5dv_cq dc;
	struct mlx5dv_obj obj;
	struct ibv_context *ctx = open_ctx();
	struct ibv_pd *pd;
	struct ibv_cq *cq;
	struct ibv_qp *qp;
	struct ibv_mr *mr;
	static uint8_t buf[4096];

	CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
	pd = ibv_alloc_pd(ctx);
	CU_ASSERT_PTR_NOT_NULL_FATAL(pd);
	/* provider sizing: 2^n - 1 CQEs asked, 2^n made */
	cq = ibv_create_cq(ctx, 127, NULL, NULL, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(cq);
	CU_ASSERT_EQUAL(cq->cqe, 127);

	memset(&ia, 0, sizeof(ia));
	ia.send_cq = cq;
	ia.recv_cq = cq;
	ia.qp_type = IBV_QPT_RC;
	ia.cap.max_send_wr = 16;
	ia.cap.max_send_sge = 1;
	errno = 0;
	CU_ASSERT_PTR_NULL(ibv_create_qp(pd, &ia));
	CU_ASSERT_EQUAL(errno, EOPNOTSUPP);
	ia.qp_type = IBV_QPT_RAW_PACKET;
	ia.cap.max_recv_wr = 16;
	CU_ASSERT_PTR_NULL(ibv_create_qp(pd, &ia));
	ia.cap.max_recv_wr = 0;
	ia.recv_cq = NULL;
	errno = 0;
	CU_ASSERT_PTR_NULL(ibv_create_qp(pd, &ia));
	CU_ASSERT_EQUAL(errno, EINVAL);
	ia.recv_cq = cq;
	ia.cap.max_inline_data = 100; /* 48 + align(104, 16) = 160 -> 192 bytes per WR */
	qp = ibv_create_qp(pd, &ia);
	CU_ASSERT_PTR_NOT_NULL_FATAL(qp);
	CU_ASSERT_EQUAL(ia.cap.max_inline_data, 192 - 48 - 4);
	CU_ASSERT_EQUAL(ia.cap.max_send_wr, 4096 / 192);
	CU_ASSERT_EQUAL(qp->state, IBV_QPS_RESET);

	memset(&obj, 0, sizeof(obj));
	memset(&dq, 0, sizeof(dq));
	memset(&dc, 0, sizeof(dc));
	dq.comp_mask = MLX5DV_QP_MASK_RAW_QP_HANDLES;
	obj.qp.in = qp;
	obj.qp.out = &dq;
	obj.cq.in = cq;
	obj.cq.out = &dc;
	CU_ASSERT_EQUAL(mlx5dv_init_obj(&obj, MLX5DV_OBJ_QP | MLX5DV_OBJ_CQ), 0);
	CU_ASSERT_EQUAL(dq.sq.wqe_cnt, 64); /* roundup_pow2(16 * 192) / 64 */
	CU_ASSERT_EQUAL(dq.sq.stride, 64);
	CU_ASSERT_EQUAL(dq.rq.wqe_cnt, 0);
	CU_ASSERT_PTR_NOT_NULL(dq.sq.buf);
	CU_ASSERT_PTR_NOT_NULL(dq.dbrec);
	CU_ASSERT_PTR_NOT_NULL(dq.bf.reg);
	CU_ASSERT_EQUAL((uintptr_t)dq.bf.reg % 64, 0);
	CU_ASSERT_EQUAL(dq.comp_mask, MLX5DV_QP_MASK_RAW_QP_HANDLES);
	CU_ASSERT_EQUAL(dq.sqn, qp->qp_num);
	CU_ASSERT_NOT_EQUAL(dq.tisn, 0);
	CU_ASSERT_EQUAL(dc.cqe_cnt, 128);
	CU_ASSERT_EQUAL(dc.cqe_size, 64);
	CU_ASSERT_PTR_NOT_NULL(dc.buf);
	CU_ASSERT_PTR_NOT_NULL(dc.dbrec);

	/* the QP state machine of a raw packet QP */
	CU_ASSERT_EQUAL(modify(qp, IBV_QPS_RTS, 0, 0), EINVAL);       /* RESET -> RTS */
	CU_ASSERT_EQUAL(modify(qp, IBV_QPS_INIT, 0, 0), EINVAL);      /* no port */
	CU_ASSERT_EQUAL(modify(qp, IBV_QPS_INIT, IBV_QP_PORT, 2), EINVAL); /* one port */
	CU_ASSERT_EQUAL(modify(qp, IBV_QPS_INIT, IBV_QP_PORT, 1), 0);
	CU_ASSERT_EQUAL(modify(qp, IBV_QPS_RTS, 0, 0), EINVAL);       /* INIT -> RTS */
	CU_ASSERT_EQUAL(modify(qp, IBV_QPS_RTR, IBV_QP_PKEY_INDEX, 0), EINVAL);
	CU_ASSERT_EQUAL(modify(qp, IBV_QPS_RTR, 0, 0), 0);
	CU_ASSERT_EQUAL(modify(qp, IBV_QPS_RTS, 0, 0), 0);
	CU_ASSERT_EQUAL(qp->state, IBV_QPS_RTS);
	CU_ASSERT_EQUAL(modify(qp, IBV_QPS_ERR, 0, 0), 0);
	CU_ASSERT_EQUAL(modify(qp, IBV_QPS_RTS, 0, 0), EINVAL);       /* ERR -> RTS */
	CU_ASSERT_EQUAL(modify(qp, IBV_QPS_RESET, 0, 0), 0);
	CU_ASSERT_EQUAL(qp->state, IBV_QPS_RESET);

	mr = ibv_reg_mr(pd, buf, sizeof(buf), 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(mr);
	CU_ASSERT_NOT_EQUAL(mr->lkey, 0);
	errno = 0;
	CU_ASSERT_PTR_NULL(ibv_reg_mr(pd, buf, sizeof(buf), IBV_ACCESS_REMOTE_WRITE));
	CU_ASSERT_EQUAL(errno, EINVAL);

	/* kernel use counts */
	CU_ASSERT_EQUAL(ibv_destroy_cq(cq), EBUSY);
	CU_ASSERT_EQUAL(ibv_dealloc_pd(pd), EBUSY);
	CU_ASSERT_EQUAL(ibv_destroy_qp(qp), 0);
	CU_ASSERT_EQUAL(ibv_dealloc_pd(pd), EBUSY); /* the MR */
	CU_ASSERT_EQUAL(ibv_dereg_mr(mr), 0);
	CU_ASSERT_EQUAL(ibv_destroy_cq(cq), 0);
	CU_ASSERT_EQUAL(ibv_dealloc_pd(pd), 0);
	CU_ASSERT_EQUAL(ibv_close_device(ctx), 0);
}

/* Closing a context with a QP, CQ and MR left: the kernel destroys them. */
static void test_verbs_close(void)
{
	struct ibv_qp_init_attr ia;
	struct devx_shim_dev_stats st;
	struct ibv_context *ctx = open_ctx();
	struct ibv_pd *pd;
	struct ibv_cq *cq;
	static uint8_t buf[256];

	CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
	pd = ibv_alloc_pd(ctx);
	CU_ASSERT_PTR_NOT_NULL_FATAL(pd);
	cq = ibv_create_cq(ctx, 63, NULL, NULL, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(cq);
	memset(&ia, 0, sizeof(ia));
	ia.send_cq = cq;
	ia.recv_cq = cq;
	ia.qp_type = IBV_QPT_RAW_PACKET;
	ia.cap.max_send_wr = 64;
	ia.cap.max_send_sge = 1;
	CU_ASSERT_PTR_NOT_NULL(ibv_create_qp(pd, &ia));
	CU_ASSERT_PTR_NOT_NULL(ibv_reg_mr(pd, buf, sizeof(buf), 0));
	CU_ASSERT_EQUAL(devx_shim_dev_stats(DEV, &st), 0);
	CU_ASSERT_EQUAL(st.qps, 1);
	CU_ASSERT_EQUAL(ibv_close_device(ctx), 0);
	CU_ASSERT_EQUAL(devx_shim_dev_stats(DEV, &st), 0);
	CU_ASSERT_EQUAL(st.qps, 0);
	CU_ASSERT_EQUAL(st.pds, 0);
	CU_ASSERT_EQUAL(st.tds, 0);
	CU_ASSERT_EQUAL(st.tises, 0);
}

static const struct test_case queue_cases[] = {
	{ "datapath verbs are interposed", test_interposed },
	{ "frames reach the wire with checksums, cookies in order", test_send_frames },
	{ "SQ ring wraps", test_ring_wrap },
	{ "error CQE: QP recovered through RESET..RTS", test_error_recovery },
	{ "the same doorbell before and after a RESET", test_repeat_doorbell_after_reset },
	{ "destroy order", test_destroy_order },
	{ "device close with a queue open", test_close_with_queue },
	{ NULL, NULL },
};

static const struct test_case tls_cases[] = {
	{ "TLS 1.2 AES-GCM-128 through the devx path", test_tls12_aes128 },
	{ "TLS 1.3 retransmission (resync + DUMP) through the devx path", test_tls13_retransmit },
	{ NULL, NULL },
};

static const struct test_case verbs_cases[] = {
	{ "CQ, raw packet QP, state machine, MR, use counts", test_verbs },
	{ "context close destroys QP, CQ, MR", test_verbs_close },
	{ NULL, NULL },
};

static int tls_cleanup(void)
{
	tls_peer_global_cleanup();
	return 0;
}

int main(void)
{
	const struct test_suite suites[] = {
		{ "devx queue", NULL, NULL, queue_cases },
		{ "devx queue: TLS", NULL, tls_cleanup, tls_cases },
		{ "shim verbs", NULL, NULL, verbs_cases },
		{ NULL, NULL, NULL, NULL },
	};
	int ret;

	unsetenv("MLX5TLS_DEVICE");
	unsetenv("MLX5TLS_TRACE");
	ret = devx_shim_set_devices("mlx5_0=cx6dx");
	if (ret) {
		fprintf(stderr, "devx_shim_set_devices: %s\n", strerror(-ret));
		return 2;
	}
	return test_run_suites(suites);
}
