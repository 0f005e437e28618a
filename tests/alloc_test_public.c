/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Allocation-failure injection over the public calls (tests/failalloc/): one scenario - open the
 * model, make a queue pair, a TX context on the device path (software fallback armed), send
 * twelve frames of TLS records and poll their completions; make a receive queue, TIR, flow and
 * RX context and feed it six segments of OpenSSL-encrypted records; tear everything down - is
 * run once to count its allocations (library, model and OpenSSL), then once per allocation with
 * that one failing. Every run checks:
 *  - no completion is lost: every frame a send call accepted comes back exactly once (its
 *    cookie), whatever failed later;
 *  - no record is lost or invented: the plaintext the RX context delivered is a prefix of the
 *    stream, and all of it unless a call reported an error;
 *  - teardown succeeds (every destroy returns 0 for what was created);
 * and the AddressSanitizer build checks, through LeakSanitizer at exit, that no failure leaked.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "be_bytes.h"
#include "failalloc.h"
#include "frame_util.h"
#include "mlx5tls/mlx5tls.h"
#include "test_util.h"
#include "tls_peer.h"

#define ISN_TX 5000u
#define ISN_RX 0x7ffff000u
#define N_FRAMES 12u
#define RX_SEG 1200u

static uint8_t arena[1u << 16] __attribute__((aligned(4096)));
static uint8_t tx_stream[16384];
static size_t tx_stream_len;
static uint8_t rx_wire[16384], rx_pt[8192];
static size_t rx_wire_len, rx_pt_len;
static uint8_t rx_got[8192];
static size_t rx_got_len;
static struct tls12_crypto_info_aes_gcm_128 tx_ci, rx_ci;

static size_t frame(uint8_t *fr, bool to_peer, uint32_t seq, const uint8_t *payload, uint32_t len)
{
	return test_tcp_frame(fr, to_peer, seq, payload, len);
}

/* Records for both directions, made before any failure is armed. */
static void make_streams(void)
{
	uint8_t pt[3000];
	ssize_t n;

	test_ci128(&tx_ci, TLS_1_2_VERSION, 0x11);
	test_ci128(&rx_ci, TLS_1_2_VERSION, 0x61);
	for (size_t i = 0; i < sizeof(pt); i++)
		pt[i] = (uint8_t)(i * 7);
	for (unsigned int r = 0; r < 3; r++) {
		n = tls_record_layout(&tx_ci.info, TLS_RT_APPLICATION_DATA, r, pt, sizeof(pt),
				      tx_stream + tx_stream_len, sizeof(tx_stream) - tx_stream_len);
		CU_ASSERT_FATAL(n > 0);
		tx_stream_len += (size_t)n;
	}
	for (unsigned int r = 0; r < 2; r++) {
		n = tls_record_layout(&rx_ci.info, TLS_RT_APPLICATION_DATA, r, pt, sizeof(pt),
				      rx_wire + rx_wire_len, sizeof(rx_wire) - rx_wire_len);
		CU_ASSERT_FATAL(n > 0);
		CU_ASSERT_EQUAL_FATAL(tls_record_encrypt_sw(&rx_ci.info, r, rx_wire + rx_wire_len,
							    (size_t)n), 0);
		rx_wire_len += (size_t)n;
		memcpy(rx_pt + rx_pt_len, pt, sizeof(pt));
		rx_pt_len += sizeof(pt);
	}
}

static int collect(void *ctx, uint8_t type, const void *pt, size_t len)
{
	(void)ctx;
	if (type != TLS_RT_APPLICATION_DATA || rx_got_len + len > sizeof(rx_got))
		return -EPROTO;
	memcpy(rx_got + rx_got_len, pt, len);
	rx_got_len += len;
	return 0;
}

struct outcome {
	unsigned int failed_calls; /* public calls that returned an error */
	unsigned int sent, completed, dup_or_unknown;
	bool rx_error;
};

static void tx_part(struct mlx5tls_device *dev, struct mlx5tls_pd *pd, struct mlx5tls_td *td,
		    struct outcome *o)
{
	struct mlx5tls_qp_opts qo = { .sz = sizeof(qo), .flags = MLX5TLS_QP_F_MODEL_SYNC };
	struct mlx5tls_tx_opts to = { .sz = sizeof(to), .flags = MLX5TLS_TX_F_SW_FALLBACK };
	bool seen[N_FRAMES] = { false }, accepted[N_FRAMES] = { false };
	struct mlx5tls_completion c[16];
	struct mlx5tls_qp *qp;
	struct mlx5tls_mr *mr = NULL;
	struct mlx5tls_tx *tx = NULL;
	size_t per = (tx_stream_len + N_FRAMES - 1) / N_FRAMES, used = 0;

	(void)dev;
	qp = mlx5tls_qp_create(pd, td, &qo);
	if (!qp) {
		o->failed_calls++;
		return;
	}
	mr = mlx5tls_mr_reg(pd, arena, sizeof(arena));
	if (mr)
		tx = mlx5tls_tx_create(qp, &tx_ci.info, sizeof(tx_ci), ISN_TX, &to);
	if (!mr || !tx) {
		o->failed_calls++;
		goto out;
	}
	for (unsigned int i = 0; i < N_FRAMES; i++) {
		size_t off = i * per, len = off + per > tx_stream_len ? tx_stream_len - off : per;
		uint8_t *fr = arena + used;
		struct mlx5tls_frame f = { .data = fr, .mr = mr, .cookie = i };

		f.len = (uint32_t)frame(fr, true, ISN_TX + (uint32_t)off, tx_stream + off,
					(uint32_t)len);
		used += (f.len + 63) & ~63u;
		if (mlx5tls_tx_send(tx, &f, 0) == 0) {
			accepted[i] = true;
			o->sent++;
		} else {
			o->failed_calls++;
		}
	}
	for (int tries = 0; tries < 1000 && o->completed < o->sent; tries++) {
		int n = mlx5tls_qp_poll(qp, c, 16, 0);

		if (n < 0) {
			o->failed_calls++;
			break;
		}
		for (int k = 0; k < n; k++) {
			if (c[k].cookie >= N_FRAMES || seen[c[k].cookie] || !accepted[c[k].cookie]) {
				o->dup_or_unknown++;
				continue;
			}
			seen[c[k].cookie] = true;
			o->completed++;
		}
	}
out:
	if (tx)
		CU_ASSERT_EQUAL(mlx5tls_tx_destroy(tx), 0);
	if (mr)
		CU_ASSERT_EQUAL(mlx5tls_mr_dereg(mr), 0);
	CU_ASSERT_EQUAL(mlx5tls_qp_destroy(qp), 0);
}

static void rx_part(struct mlx5tls_device *dev, struct mlx5tls_pd *pd, struct mlx5tls_td *td,
		    struct outcome *o)
{
	struct mlx5tls_qp_opts qo = { .sz = sizeof(qo), .flags = MLX5TLS_QP_F_MODEL_SYNC };
	struct mlx5tls_tir_opts tio = { .sz = sizeof(tio), .tls_en = true };
	struct mlx5tls_flow_match m = { .ip_version = 4, .src_port = 443, .dst_port = 40000 };
	struct mlx5tls_qp *qp;
	struct mlx5tls_rq *rq = NULL;
	struct mlx5tls_tir *tir = NULL;
	struct mlx5tls_flow *flow = NULL;
	struct mlx5tls_rx *rx = NULL;
	uint8_t fr[2048];

	rx_got_len = 0;
	qp = mlx5tls_qp_create(pd, td, &qo);
	if (qp)
		rq = mlx5tls_rq_create(pd, td, NULL);
	if (rq)
		tir = mlx5tls_tir_create(rq, td, &tio);
	put32(m.src_ip, 0xc6120002);
	put32(m.dst_ip, 0xc6120001);
	if (tir)
		flow = mlx5tls_flow_create(tir, &m);
	if (flow)
		rx = mlx5tls_rx_create(qp, tir, &rx_ci.info, sizeof(rx_ci), ISN_RX, NULL);
	if (!rx) {
		o->failed_calls++;
		o->rx_error = true;
		goto out;
	}
	for (uint32_t off = 0; off < rx_wire_len && !o->rx_error; off += RX_SEG) {
		uint32_t len = off + RX_SEG > rx_wire_len ? (uint32_t)rx_wire_len - off : RX_SEG;
		struct mlx5tls_rx_pkt p;
		size_t n = frame(fr, false, ISN_RX + off, rx_wire + off, len);
		int got;

		(void)mlx5tls_qp_poll(qp, NULL, 0, 0); /* the control queue: GET_PSV, params */
		if (mlx5tls_model_wire_rx(dev, fr, n)) {
			o->failed_calls++;
			o->rx_error = true;
			break;
		}
		got = mlx5tls_rq_poll(rq, &p, 1, 0);
		if (got != 1) {
			/* the model dropped it (no buffer): as a lost segment, the stream stops */
			o->failed_calls++;
			o->rx_error = true;
			break;
		}
		if (mlx5tls_rx_packet(rx, ISN_RX + off, len, mlx5tls_rx_pkt_tls(&p)) ||
		    mlx5tls_rx_input(rx, ISN_RX + off, (uint8_t *)p.data + 54, len, mlx5tls_rx_pkt_tls(&p),
				     collect, NULL)) {
			o->failed_calls++;
			o->rx_error = true;
		}
		CU_ASSERT_EQUAL(mlx5tls_rq_release(rq, &p), 0);
	}
out:
	if (rx)
		CU_ASSERT_EQUAL(mlx5tls_rx_destroy(rx), 0);
	if (flow)
		CU_ASSERT_EQUAL(mlx5tls_flow_destroy(flow), 0);
	if (tir)
		CU_ASSERT_EQUAL(mlx5tls_tir_destroy(tir), 0);
	if (rq)
		CU_ASSERT_EQUAL(mlx5tls_rq_destroy(rq), 0);
	if (qp)
		CU_ASSERT_EQUAL(mlx5tls_qp_destroy(qp), 0);
}

static struct outcome scenario(void)
{
	struct outcome o = { 0 };
	struct mlx5tls_device *dev = mlx5tls_device_open("sim", NULL);
	struct mlx5tls_pd *pd = NULL;
	struct mlx5tls_td *td = NULL;

	if (dev)
		pd = mlx5tls_pd_alloc(dev);
	if (pd)
		td = mlx5tls_td_alloc(dev);
	if (td) {
		tx_part(dev, pd, td, &o);
		rx_part(dev, pd, td, &o);
	} else {
		o.failed_calls++;
		o.rx_error = true;
	}
	if (td)
		CU_ASSERT_EQUAL(mlx5tls_td_dealloc(td), 0);
	if (pd)
		CU_ASSERT_EQUAL(mlx5tls_pd_dealloc(pd), 0);
	if (dev)
		CU_ASSERT_EQUAL(mlx5tls_device_close(dev), 0);
	return o;
}

static void check(const struct outcome *o, uint64_t n)
{
	bool prefix = rx_got_len <= rx_pt_len && !memcmp(rx_got, rx_pt, rx_got_len);

	if (o->completed != o->sent || o->dup_or_unknown || !prefix ||
	    (!o->rx_error && rx_got_len != rx_pt_len))
		fprintf(stderr, "allocation %llu failed: %u frames accepted, %u completed, %u "
			"unknown; rx %zu of %zu bytes%s%s\n", (unsigned long long)n, o->sent,
			o->completed, o->dup_or_unknown, rx_got_len, rx_pt_len,
			prefix ? "" : " (not the stream)", o->rx_error ? " (error reported)" : "");
	CU_ASSERT_EQUAL(o->completed, o->sent);
	CU_ASSERT_EQUAL(o->dup_or_unknown, 0);
	CU_ASSERT_TRUE(prefix);
	if (!o->rx_error)
		CU_ASSERT_EQUAL(rx_got_len, rx_pt_len);
}

static void test_every_allocation_fails_once(void)
{
	struct outcome o;
	uint64_t total, n;

	make_streams();
	/* twice unarmed: OpenSSL's and the process's one-time allocations happen in the first */
	failalloc_arm(0);
	o = scenario();
	CU_ASSERT_EQUAL_FATAL(o.failed_calls, 0);
	failalloc_arm(0);
	o = scenario();
	total = failalloc_count();
	check(&o, 0);
	CU_ASSERT_EQUAL_FATAL(o.sent, N_FRAMES);
	CU_ASSERT_EQUAL_FATAL(rx_got_len, rx_pt_len);
	printf("\n  %llu allocations in the scenario\n", (unsigned long long)total);
	for (n = 1; n <= total + 1; n++) {
		failalloc_arm(n);
		o = scenario();
		if (!failalloc_fired())
			break;
		check(&o, n);
	}
	failalloc_arm(0);
	CU_ASSERT_TRUE(n > total);
}

/* A DEK pool whose key load (MODIFY_GENERAL_OBJECT) fails - here because the model cannot
 * allocate the bulk's key storage - gives the element back: nothing stays counted in use, and the
 * pool can be destroyed once the DEKs that were handed out are returned. */
static int pool_round(bool *all_ok)
{
	struct mlx5tls_device *dev = mlx5tls_device_open("sim", NULL);
	struct mlx5tls_pd *pd = dev ? mlx5tls_pd_alloc(dev) : NULL;
	struct mlx5tls_dek_pool *pool = pd ? mlx5tls_dek_pool_create(pd, NULL) : NULL;
	struct mlx5tls_dek_pool_stats st;
	struct mlx5tls_dek *d[4] = { NULL };
	int bad = 0;

	*all_ok = false;
	if (pool) {
		unsigned int got = 0;

		for (unsigned int i = 0; i < 4; i++) {
			d[i] = mlx5tls_dek_pool_get(pool, &tx_ci.info, sizeof(tx_ci));
			got += d[i] != NULL;
		}
		memset(&st, 0, sizeof(st));
		if (mlx5tls_dek_pool_query(pool, &st, sizeof(st)) == 0 && st.in_use != got)
			bad = 1; /* an element that failed to load is still counted */
		for (unsigned int i = 0; i < 4; i++)
			if (d[i] && mlx5tls_dek_destroy(d[i]))
				bad = 1;
		if (mlx5tls_dek_pool_destroy(pool))
			bad = 1;
		*all_ok = got == 4;
	}
	if (pd && mlx5tls_pd_dealloc(pd))
		bad = 1;
	if (dev && mlx5tls_device_close(dev))
		bad = 1;
	return bad;
}

static void test_dek_pool_failures(void)
{
	bool all_ok;
	uint64_t total, n;

	if (!tx_stream_len)
		make_streams();
	failalloc_arm(0);
	CU_ASSERT_EQUAL_FATAL(pool_round(&all_ok), 0);
	CU_ASSERT_TRUE_FATAL(all_ok);
	total = failalloc_count();
	for (n = 1; n <= total + 1; n++) {
		failalloc_arm(n);
		CU_ASSERT_EQUAL(pool_round(&all_ok), 0);
		if (!failalloc_fired())
			break;
	}
	failalloc_arm(0);
	CU_ASSERT_TRUE(n > total);
}

int main(void)
{
	static const struct test_case cases[] = {
		{ "every allocation of the scenario fails in turn", test_every_allocation_fails_once },
		{ "DEK pool: a failed key load leaks nothing", test_dek_pool_failures },
		{ NULL, NULL },
	};
	static const struct test_suite suites[] = {
		{ "allocation failures", NULL, NULL, cases },
		{ NULL, NULL, NULL, NULL },
	};

	failalloc_take_openssl();
	return test_run_suites(suites);
}
