/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The model's port through the public API: the catch-all flow (frames no flow matches reach a
 * default receive queue), seeded faults in each direction (same seed, same decisions; counters
 * add up), and the AF_PACKET port receiving on a veth (frames sent into the peer end reach the
 * device's receive path; the port's own frames are not seen again).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "mlx5tls/mlx5tls.h"
#include "test_util.h"

#define NFRAMES 2000u
#define FRAME_LEN 80u

/* An IPv4/UDP frame (UDP checksum 0: not computed, RFC 768) carrying id at payload offset 0. */
static size_t udp_frame(uint8_t *f, uint32_t id)
{
	static const uint8_t dmac[6] = { 0x02, 0, 0, 0, 0, 1 }, smac[6] = { 0x02, 0, 0, 0, 0, 2 };
	uint8_t *ip = f + 14, *udp = ip + 20;
	uint16_t iplen = FRAME_LEN - 14, sum16;
	uint32_t sum = 0;

	memset(f, 0, FRAME_LEN);
	memcpy(f, dmac, 6);
	memcpy(f + 6, smac, 6);
	f[12] = 0x08;
	ip[0] = 0x45;
	ip[2] = (uint8_t)(iplen >> 8);
	ip[3] = (uint8_t)iplen;
	ip[8] = 64;
	ip[9] = 17;
	/* 198.18.0.2 -> 198.18.0.1 (RFC 2544 benchmarking range) */
	ip[12] = 198, ip[13] = 18, ip[14] = 0, ip[15] = 2;
	ip[16] = 198, ip[17] = 18, ip[18] = 0, ip[19] = 1;
	for (int i = 0; i < 20; i += 2)
		sum += (uint32_t)(ip[i] << 8 | ip[i + 1]);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	sum16 = (uint16_t)~sum;
	ip[10] = (uint8_t)(sum16 >> 8);
	ip[11] = (uint8_t)sum16;
	udp[0] = 0x30, udp[1] = 0x39; /* 12345 */
	udp[2] = 0x30, udp[3] = 0x3a;
	udp[4] = (uint8_t)((iplen - 20) >> 8);
	udp[5] = (uint8_t)(iplen - 20);
	udp[8] = 'M', udp[9] = '5', udp[10] = 'T', udp[11] = 'W';
	memcpy(udp + 12, &id, sizeof(id));
	return FRAME_LEN;
}

/* The id of one of our frames, or -1 for anything else (the kernel's own IPv6 chatter). */
static long frame_id(const uint8_t *f, size_t len)
{
	uint32_t id;

	if (len < 14 + 20 + 16 || memcmp(f + 14 + 20 + 8, "M5TW", 4))
		return -1;
	memcpy(&id, f + 14 + 20 + 12, sizeof(id));
	return id;
}

struct rxside {
	struct mlx5tls_device *dev;
	struct mlx5tls_pd *pd;
	struct mlx5tls_td *td;
	struct mlx5tls_rq *rq;
	struct mlx5tls_tir *tir;
	struct mlx5tls_flow *def;
};

static bool rxside_open(struct rxside *r, const char *name)
{
	struct mlx5tls_rq_opts ro = { .sz = sizeof(ro), .log_wqes = 12 };

	memset(r, 0, sizeof(*r));
	r->dev = mlx5tls_device_open(name, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r->dev);
	r->pd = mlx5tls_pd_alloc(r->dev);
	r->td = mlx5tls_td_alloc(r->dev);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r->pd);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r->td);
	r->rq = mlx5tls_rq_create(r->pd, r->td, &ro);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r->rq);
	r->tir = mlx5tls_tir_create(r->rq, r->td, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r->tir);
	r->def = mlx5tls_flow_create_default(r->tir);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r->def);
	return true;
}

static void rxside_close(struct rxside *r)
{
	if (r->def)
		CU_ASSERT_EQUAL(mlx5tls_flow_destroy(r->def), 0);
	CU_ASSERT_EQUAL(mlx5tls_tir_destroy(r->tir), 0);
	CU_ASSERT_EQUAL(mlx5tls_rq_destroy(r->rq), 0);
	CU_ASSERT_EQUAL(mlx5tls_td_dealloc(r->td), 0);
	CU_ASSERT_EQUAL(mlx5tls_pd_dealloc(r->pd), 0);
	CU_ASSERT_EQUAL(mlx5tls_device_close(r->dev), 0);
}

/* Reap what the RQ has: ids appended to ids[*n] (capacity cap); returns packets seen. */
static int drain(struct rxside *r, long *ids, size_t *n, size_t cap, unsigned int timeout_ms)
{
	struct mlx5tls_rx_pkt pk[64];
	int got, total = 0;

	while ((got = mlx5tls_rq_poll(r->rq, pk, 64, timeout_ms)) > 0) {
		for (int i = 0; i < got; i++) {
			long id = frame_id(pk[i].data, pk[i].len);

			if (id >= 0 && *n < cap)
				ids[(*n)++] = id;
			CU_ASSERT_EQUAL(mlx5tls_rq_release(r->rq, &pk[i]), 0);
		}
		total += got;
	}
	CU_ASSERT(got >= 0);
	return total;
}

static void test_default_flow(void)
{
	struct mlx5tls_model_wire_stats st;
	uint8_t fr[FRAME_LEN];
	size_t n = 0;
	long ids[4];
	struct rxside r;

	rxside_open(&r, "sim");
	/* one catch-all per device */
	errno = 0;
	CU_ASSERT_PTR_NULL(mlx5tls_flow_create_default(r.tir));
	CU_ASSERT_EQUAL(errno, EEXIST);
	CU_ASSERT_PTR_NULL(mlx5tls_flow_create_default(NULL));
	/* a frame no flow matches reaches the default RQ, marked as checked good */
	CU_ASSERT_EQUAL(mlx5tls_model_wire_rx(r.dev, fr, udp_frame(fr, 7)), 0);
	CU_ASSERT_EQUAL(drain(&r, ids, &n, 4, 0), 1);
	CU_ASSERT_EQUAL(n, 1);
	CU_ASSERT_EQUAL(ids[0], 7);
	/* a TIR with the catch-all cannot go away */
	CU_ASSERT_EQUAL(mlx5tls_tir_destroy(r.tir), -EBUSY);
	/* without it, the frame is dropped and counted */
	CU_ASSERT_EQUAL(mlx5tls_flow_destroy(r.def), 0);
	r.def = NULL;
	CU_ASSERT_EQUAL(mlx5tls_model_wire_rx(r.dev, fr, udp_frame(fr, 8)), 0);
	CU_ASSERT_EQUAL(drain(&r, ids, &n, 4, 0), 0);
	CU_ASSERT_EQUAL(mlx5tls_model_wire_stats(r.dev, &st, sizeof(st)), 0);
	CU_ASSERT_EQUAL(st.rx_frames, 2);
	CU_ASSERT_EQUAL(st.rx_to_default, 1);
	CU_ASSERT_EQUAL(st.rx_no_match, 1);
	CU_ASSERT_EQUAL(st.rx_dropped, 0);
	/* and a new one can be made */
	r.def = mlx5tls_flow_create_default(r.tir);
	CU_ASSERT_PTR_NOT_NULL(r.def);
	rxside_close(&r);
}

static void test_bad_options(void)
{
	static const char *const bad[] = {
		"sim:cx6dx,wire_loss=2",   "sim:cx6dx,wire_loss=-0.1", "sim:cx6dx,wire_loss=x",
		"sim:cx6dx,wire_dup=",     "sim:cx6dx,wire_seed=-1",   "sim:cx6dx,wire_dir=up",
		"sim:cx6dx,wire_bogus=1",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct mlx5tls_device *d = mlx5tls_device_open(bad[i], NULL);

		CU_ASSERT_PTR_NULL(d);
		if (d)
			mlx5tls_device_close(d);
	}
}

/* RX faults: NFRAMES frames into the port; the ids that reach the RQ, in order. */
static size_t rx_run(const char *name, long *ids, struct mlx5tls_model_wire_stats *st)
{
	uint8_t fr[FRAME_LEN];
	size_t n = 0;
	struct rxside r;

	rxside_open(&r, name);
	for (uint32_t i = 0; i < NFRAMES; i++) {
		CU_ASSERT_EQUAL(mlx5tls_model_wire_rx(r.dev, fr, udp_frame(fr, i)), 0);
		drain(&r, ids, &n, 2 * NFRAMES, 0);
	}
	CU_ASSERT_EQUAL(mlx5tls_model_wire_stats(r.dev, st, sizeof(*st)), 0);
	rxside_close(&r);
	return n;
}

static void check_fault_counts(size_t n, uint64_t offered, uint64_t dropped, uint64_t reordered,
			       uint64_t duplicated, const long *ids)
{
	size_t late = 0;

	CU_ASSERT_EQUAL(offered, NFRAMES);
	/* 10 % loss, 5 % reorder, 3 % dup of 2000: far from 0 and from double */
	CU_ASSERT(dropped > 100 && dropped < 300);
	CU_ASSERT(reordered > 40 && reordered < 160);
	CU_ASSERT(duplicated > 20 && duplicated < 110);
	/* everything not dropped arrives (a frame still held at the end arrives at close, which
	 * this count no longer sees), duplicates twice */
	CU_ASSERT(n == NFRAMES - dropped + duplicated || n == NFRAMES - dropped + duplicated - 1);
	for (size_t i = 1; i < n; i++)
		late += ids[i] < ids[i - 1];
	CU_ASSERT(late > 0);
}

static void test_faults_rx(void)
{
	const char *spec = "sim:cx6dx,wire_loss=0.1,wire_reorder=0.05,wire_dup=0.03,wire_seed=42,"
			   "wire_dir=rx";
	long *a = calloc(2 * NFRAMES, sizeof(long)), *b = calloc(2 * NFRAMES, sizeof(long));
	struct mlx5tls_model_wire_stats sa, sb;
	size_t na, nb;

	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	na = rx_run(spec, a, &sa);
	check_fault_counts(na, sa.rx_frames, sa.rx_dropped, sa.rx_reordered, sa.rx_duplicated, a);
	CU_ASSERT_EQUAL(sa.tx_dropped + sa.tx_reordered + sa.tx_duplicated, 0);
	/* the same seed makes the same decisions */
	nb = rx_run(spec, b, &sb);
	CU_ASSERT_EQUAL(na, nb);
	CU_ASSERT(na == nb && !memcmp(a, b, na * sizeof(long)));
	CU_ASSERT_EQUAL(sa.rx_dropped, sb.rx_dropped);
	/* another seed, other decisions */
	nb = rx_run("sim:cx6dx,wire_loss=0.1,wire_reorder=0.05,wire_dup=0.03,wire_seed=43", b, &sb);
	CU_ASSERT(na != nb || memcmp(a, b, na * sizeof(long)));
	free(a);
	free(b);
}

struct sink {
	long *ids;
	size_t n;
};

static void sink_rx(void *ctx, const void *frame, size_t len)
{
	struct sink *s = ctx;
	long id = frame_id(frame, len);

	if (id >= 0 && s->n < 2 * NFRAMES)
		s->ids[s->n++] = id;
}

/* TX faults: NFRAMES frames sent by a queue; the ids the wire's receiver gets, in order. */
static size_t tx_run(const char *name, long *ids, struct mlx5tls_model_wire_stats *st)
{
	struct mlx5tls_qp_opts qo = { .sz = sizeof(qo), .flags = MLX5TLS_QP_F_MODEL_SYNC };
	struct sink s = { .ids = ids };
	struct mlx5tls_model_wire_opts wo = { .sz = sizeof(wo), .rx = sink_rx, .rx_ctx = &s };
	struct mlx5tls_device *dev = mlx5tls_device_open(name, NULL);
	struct mlx5tls_pd *pd;
	struct mlx5tls_td *td;
	struct mlx5tls_qp *qp;
	struct mlx5tls_mr *mr;
	uint8_t *buf;

	CU_ASSERT_PTR_NOT_NULL_FATAL(dev);
	CU_ASSERT_EQUAL(mlx5tls_model_wire(dev, &wo), 0);
	pd = mlx5tls_pd_alloc(dev);
	td = mlx5tls_td_alloc(dev);
	qp = mlx5tls_qp_create(pd, td, &qo);
	CU_ASSERT_PTR_NOT_NULL_FATAL(qp);
	buf = malloc(FRAME_LEN * 64);
	CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
	mr = mlx5tls_mr_reg(pd, buf, FRAME_LEN * 64);
	CU_ASSERT_PTR_NOT_NULL_FATAL(mr);
	for (uint32_t i = 0; i < NFRAMES; i++) {
		uint8_t *f = buf + (i % 64) * FRAME_LEN;
		struct mlx5tls_frame fr = { .data = f, .len = (uint32_t)udp_frame(f, i), .mr = mr };
		struct mlx5tls_completion c[64];

		CU_ASSERT_EQUAL(mlx5tls_qp_send(qp, &fr, 0), 0);
		while (mlx5tls_qp_poll(qp, c, 64, 0) > 0)
			;
	}
	CU_ASSERT_EQUAL(mlx5tls_qp_destroy(qp), 0);
	CU_ASSERT_EQUAL(mlx5tls_mr_dereg(mr), 0);
	CU_ASSERT_EQUAL(mlx5tls_model_wire_stats(dev, st, sizeof(*st)), 0);
	mlx5tls_td_dealloc(td);
	mlx5tls_pd_dealloc(pd);
	mlx5tls_device_close(dev);
	free(buf);
	return s.n;
}

static void test_faults_tx(void)
{
	const char *spec = "sim:cx6dx,wire_loss=0.1,wire_reorder=0.05,wire_dup=0.03,wire_seed=9,"
			   "wire_dir=tx";
	long *a = calloc(2 * NFRAMES, sizeof(long)), *b = calloc(2 * NFRAMES, sizeof(long));
	struct mlx5tls_model_wire_stats sa, sb;
	size_t na, nb;

	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	na = tx_run(spec, a, &sa);
	check_fault_counts(na, sa.tx_frames, sa.tx_dropped, sa.tx_reordered, sa.tx_duplicated, a);
	CU_ASSERT_EQUAL(sa.rx_dropped + sa.rx_reordered + sa.rx_duplicated, 0);
	nb = tx_run(spec, b, &sb);
	CU_ASSERT(na == nb && !memcmp(a, b, na * sizeof(long)));
	free(a);
	free(b);
}

/* ---- the AF_PACKET port on a veth, receiving ---- */

static int sh(const char *cmd)
{
	char full[320];

	snprintf(full, sizeof(full), "%s >/dev/null 2>&1", cmd);
	return system(full);
}

static char g_veth_a[IFNAMSIZ];

static void veth_cleanup(void)
{
	char cmd[96];

	if (!g_veth_a[0])
		return;
	snprintf(cmd, sizeof(cmd), "ip link del dev %s", g_veth_a);
	(void)sh(cmd);
	g_veth_a[0] = '\0';
}

static void test_afpacket_rx(void)
{
	char a[IFNAMSIZ], b[IFNAMSIZ], cmd[160];
	struct mlx5tls_model_wire_stats st;
	struct mlx5tls_qp_opts qo = { .sz = sizeof(qo) };
	struct mlx5tls_model_wire_opts wo = { .sz = sizeof(wo) };
	struct sockaddr_ll sll;
	struct timeval tv = { .tv_sec = 0, .tv_usec = 200000 };
	struct rxside r;
	long ids[256];
	size_t n = 0;
	uint8_t fr[FRAME_LEN];
	int fd, seen_own = 0, peer_got = 0;

	snprintf(a, sizeof(a), "m5wa%d", (int)getpid() % 100000);
	snprintf(b, sizeof(b), "m5wb%d", (int)getpid() % 100000);
	snprintf(cmd, sizeof(cmd), "ip link add %s type veth peer name %s", a, b);
	if (sh(cmd)) {
		fprintf(stderr, "\nSKIP: cannot create a veth pair (needs root/CAP_NET_ADMIN)\n");
		return;
	}
	snprintf(g_veth_a, sizeof(g_veth_a), "%s", a);
	atexit(veth_cleanup);
	snprintf(cmd, sizeof(cmd), "ip link set dev %s up && ip link set dev %s up", a, b);
	CU_ASSERT_EQUAL_FATAL(sh(cmd), 0);
	CU_ASSERT_FATAL(test_wait_oper_up(a) && test_wait_oper_up(b));

	rxside_open(&r, "sim");
	/* the wire can only be set before the first queue: reopen the order */
	CU_ASSERT_EQUAL(mlx5tls_flow_destroy(r.def), 0);
	r.def = NULL;
	wo.ifname = a;
	CU_ASSERT_EQUAL_FATAL(mlx5tls_model_wire(r.dev, &wo), 0);
	r.def = mlx5tls_flow_create_default(r.tir);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r.def);

	fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ALL));
	CU_ASSERT_FATAL(fd >= 0);
	memset(&sll, 0, sizeof(sll));
	sll.sll_family = AF_PACKET;
	sll.sll_protocol = htons(ETH_P_ALL);
	sll.sll_ifindex = (int)if_nametoindex(b);
	CU_ASSERT_FATAL(bind(fd, (struct sockaddr *)&sll, sizeof(sll)) == 0);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));

	/* frames sent into the peer end arrive through the model's receive path */
	for (uint32_t i = 0; i < 100; i++)
		CU_ASSERT_EQUAL(send(fd, fr, udp_frame(fr, i), 0), (ssize_t)FRAME_LEN);
	for (int tries = 0; tries < 50 && n < 100; tries++)
		drain(&r, ids, &n, 256, 20);
	CU_ASSERT_EQUAL(n, 100);
	for (size_t i = 0; i < n; i++)
		CU_ASSERT_EQUAL(ids[i], (long)i);

	/* a frame the model sends leaves on the wire, and is not received back */
	{
		struct mlx5tls_qp *qp = mlx5tls_qp_create(r.pd, r.td, &qo);
		struct mlx5tls_mr *mr;
		static uint8_t txbuf[FRAME_LEN];
		struct mlx5tls_frame f = { .data = txbuf, .len = 0 };
		struct mlx5tls_completion c[4];
		uint8_t got[2048];

		CU_ASSERT_PTR_NOT_NULL_FATAL(qp);
		mr = mlx5tls_mr_reg(r.pd, txbuf, sizeof(txbuf));
		f.len = (uint32_t)udp_frame(txbuf, 5000);
		f.mr = mr;
		CU_ASSERT_EQUAL(mlx5tls_qp_send(qp, &f, 0), 0);
		for (int tries = 0; tries < 100; tries++) {
			ssize_t len = recv(fd, got, sizeof(got), 0);

			if (len < 0)
				break;
			if (frame_id(got, (size_t)len) == 5000) {
				peer_got = 1;
				break;
			}
		}
		for (int tries = 0; tries < 5; tries++) {
			size_t before = n;

			drain(&r, ids, &n, 256, 20);
			for (size_t i = before; i < n; i++)
				seen_own += ids[i] == 5000;
		}
		while (mlx5tls_qp_poll(qp, c, 4, 10) == 0)
			;
		CU_ASSERT_EQUAL(mlx5tls_qp_destroy(qp), 0);
		CU_ASSERT_EQUAL(mlx5tls_mr_dereg(mr), 0);
	}
	CU_ASSERT_EQUAL(peer_got, 1);
	CU_ASSERT_EQUAL(seen_own, 0);
	CU_ASSERT_EQUAL(mlx5tls_model_wire_stats(r.dev, &st, sizeof(st)), 0);
	CU_ASSERT(st.rx_frames >= 100);
	CU_ASSERT(st.rx_to_default >= 100);
	CU_ASSERT_EQUAL(st.rx_oversize, 0);
	close(fd);
	rxside_close(&r);
	veth_cleanup();
}

static const struct test_case cases[] = {
	{ "default_flow", test_default_flow },
	{ "bad_options", test_bad_options },
	{ "faults_rx", test_faults_rx },
	{ "faults_tx", test_faults_tx },
	{ "afpacket_rx", test_afpacket_rx },
	{ NULL, NULL },
};

static const struct test_suite suites[] = {
	{ "wire_port", NULL, NULL, cases },
	{ NULL, NULL, NULL, NULL },
};

int main(void)
{
	return test_run_suites(suites);
}
