/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The device's tx_tls_* counters stay exact while TLS TX contexts come and go on several queues
 * (issue 10): at every point they are the sum of what every context of the device counted, live
 * or destroyed, and a queue's destruction keeps them. Reading them does not walk the contexts
 * nor take the lock context setup takes: it works from inside mlx5tls_device_foreach_tx, which
 * holds that lock.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/ssl.h>

#include "mlx5tls/mlx5tls.h"
#include "test_util.h"
#include "tx_harness.h"

#define NTXC 12 /* the per-context counters, in the device's order */

static const char *const txc_names[NTXC] = {
	"tx_tls_encrypted_packets", "tx_tls_encrypted_bytes", "tx_tls_ooo",
	"tx_tls_dump_packets", "tx_tls_dump_bytes", "tx_tls_resync_bytes",
	"tx_tls_skip_no_sync_data", "tx_tls_drop_no_sync_data", "tx_tls_sw_packets",
	"tx_tls_sw_bytes", "tx_tls_sw_resync", "tx_tls_retx_bytes",
};

static unsigned int txc_idx[NTXC];

static void find_indexes(void)
{
	for (unsigned int k = 0; k < NTXC; k++) {
		unsigned int i;

		for (i = 0; i < mlx5tls_counter_count(); i++)
			if (!strcmp(mlx5tls_counter_name(i), txc_names[k]))
				break;
		CU_ASSERT_FATAL(i < mlx5tls_counter_count());
		txc_idx[k] = i;
	}
}

static void device_txc(struct mlx5tls_device *dev, uint64_t *out)
{
	uint64_t v[128];
	unsigned int n = mlx5tls_counter_count();

	CU_ASSERT_FATAL(n <= 128);
	CU_ASSERT_EQUAL_FATAL(mlx5tls_device_counters(dev, v, n), (int)n);
	for (unsigned int k = 0; k < NTXC; k++)
		out[k] = v[txc_idx[k]];
}

static void ctx_txc(struct mlx5tls_tx *tx, uint64_t *out)
{
	struct mlx5tls_tx_info i;

	CU_ASSERT_EQUAL_FATAL(mlx5tls_tx_query(tx, &i, sizeof(i)), 0);
	const uint64_t v[NTXC] = {
		i.encrypted_packets, i.encrypted_bytes, i.ooo, i.dump_packets, i.dump_bytes,
		i.resync_bytes, i.skip_no_sync_data, i.drop_no_sync_data, i.sw_packets, i.sw_bytes,
		i.sw_resyncs, i.retx_bytes,
	};
	memcpy(out, v, sizeof(v));
}

#define NCTX 12

struct bed {
	struct txh h;
	struct mlx5tls_qp *qp2;
	struct mlx5tls_tx *tx[NCTX];   /* [0] is the harness's own context */
	struct mlx5tls_qp *qp_of[NCTX];
	uint64_t gone[NTXC];           /* what the destroyed contexts counted */
	uint64_t base[NTXC];           /* the device's counters before the contexts */
};

/* Device counters == base + every context's (live and gone), each counter. */
static void check_exact(struct bed *b, const char *when)
{
	uint64_t dev[NTXC], sum[NTXC];

	memcpy(sum, b->gone, sizeof(sum));
	for (unsigned int i = 0; i < NCTX; i++) {
		uint64_t c[NTXC];

		if (!b->tx[i])
			continue;
		ctx_txc(b->tx[i], c);
		for (unsigned int k = 0; k < NTXC; k++)
			sum[k] += c[k];
	}
	device_txc(b->h.dev, dev);
	for (unsigned int k = 0; k < NTXC; k++) {
		if (dev[k] - b->base[k] != sum[k])
			printf("\n  %s: %s device %llu, contexts %llu", when, txc_names[k],
			       (unsigned long long)(dev[k] - b->base[k]),
			       (unsigned long long)sum[k]);
		CU_ASSERT_EQUAL(dev[k] - b->base[k], sum[k]);
	}
}

static void drop(struct bed *b, unsigned int i)
{
	uint64_t c[NTXC];

	ctx_txc(b->tx[i], c);
	CU_ASSERT_EQUAL(mlx5tls_tx_destroy(b->tx[i]), 0);
	b->tx[i] = NULL;
	for (unsigned int k = 0; k < NTXC; k++)
		b->gone[k] += c[k];
}

/* Frames of the harness's stream through context i: in order, then one again (a
 * retransmission: out of order, resync or software replay by the context's path). */
static void send_some(struct bed *b, unsigned int i)
{
	struct mlx5tls_frame f;

	for (size_t off = 0; off < 3 * 1400; off += 1400) {
		CU_ASSERT_EQUAL_FATAL(txh_frame(&b->h, off, 1400, 0, &f), 0);
		CU_ASSERT_EQUAL(mlx5tls_tx_send(b->tx[i], &f, 0), 0);
	}
	CU_ASSERT_EQUAL_FATAL(txh_frame(&b->h, 1400, 1400, 0, &f), 0);
	CU_ASSERT_EQUAL(mlx5tls_tx_send(b->tx[i], &f, 0), 0);
}

static void drain(struct mlx5tls_qp *qp)
{
	struct mlx5tls_completion c[64];

	for (int r = 0; r < 1000; r++) {
		struct mlx5tls_qp_attr a;

		while (mlx5tls_qp_poll(qp, c, 64, 1) > 0)
			;
		CU_ASSERT_EQUAL_FATAL(mlx5tls_qp_query(qp, &a, sizeof(a)), 0);
		if (!a.inflight)
			return;
	}
	CU_FAIL("queue did not drain");
}

struct in_walk {
	struct mlx5tls_device *dev;
	uint64_t v[NTXC];
	unsigned int calls;
};

static int read_in_walk(struct mlx5tls_tx *tx, void *arg)
{
	struct in_walk *w = arg;

	(void)tx;
	device_txc(w->dev, w->v);
	w->calls++;
	return 1; /* once is enough */
}

static void test_counters_exact(void)
{
	struct txh_opts o = { .tls_version = TLS1_2_VERSION, .key_bits = 128, .isn = 1000 };
	struct mlx5tls_qp_opts qo = { .sz = sizeof(qo), .flags = MLX5TLS_QP_F_MODEL_SYNC };
	struct mlx5tls_tx_opts sw = { .sz = sizeof(sw), .flags = MLX5TLS_TX_F_SOFTWARE };
	struct in_walk w = { 0 };
	uint8_t *pt = txh_pattern(8000, 3);
	uint64_t after[NTXC];
	struct bed *b = calloc(1, sizeof(*b));

	CU_ASSERT_FATAL(pt && b);
	find_indexes();
	CU_ASSERT_EQUAL_FATAL(txh_init(&b->h, &o), 0);
	txh_add_records(&b->h, pt, 8000, 4000);
	b->qp2 = mlx5tls_qp_create(b->h.pd, b->h.td, &qo);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b->qp2);
	/* the harness's context, as yet unused, is the first */
	device_txc(b->h.dev, b->base);
	b->tx[0] = b->h.tx;
	b->qp_of[0] = b->h.qp;
	check_exact(b, "start");

	/* contexts on both queues, every other one on the software path, same keys and stream */
	for (unsigned int i = 1; i < NCTX; i++) {
		b->qp_of[i] = i % 3 ? b->qp2 : b->h.qp;
		b->tx[i] = mlx5tls_tx_create(b->qp_of[i], &b->h.ci.info,
					     tls_peer_crypto_info_size(&b->h.ci.info), o.isn,
					     i & 1 ? &sw : NULL);
		CU_ASSERT_PTR_NOT_NULL_FATAL(b->tx[i]);
	}
	check_exact(b, "created");
	for (unsigned int i = 0; i < NCTX; i++)
		send_some(b, i);
	drain(b->h.qp);
	drain(b->qp2);
	check_exact(b, "sent");
	{
		uint64_t dev[NTXC];

		device_txc(b->h.dev, dev);
		CU_ASSERT_TRUE(dev[0] > b->base[0]); /* encrypted packets counted */
		CU_ASSERT_TRUE(dev[8] > b->base[8]); /* software packets counted */
	}

	/* read while the device's context list is locked (setup waits for it): no deadlock, and
	 * the same values */
	w.dev = b->h.dev;
	CU_ASSERT_EQUAL(mlx5tls_device_foreach_tx(b->h.dev, read_in_walk, &w), 1);
	CU_ASSERT_EQUAL(w.calls, 1);
	device_txc(b->h.dev, after);
	CU_ASSERT_EQUAL(memcmp(w.v, after, sizeof(after)), 0);

	/* destroy some on each queue, send more on the rest */
	for (unsigned int i = 2; i < NCTX; i += 3)
		drop(b, i);
	check_exact(b, "some destroyed");
	for (unsigned int i = 1; i < NCTX; i++)
		if (b->tx[i])
			send_some(b, i);
	drain(b->h.qp);
	drain(b->qp2);
	check_exact(b, "sent again");

	/* every context of the second queue gone, then the queue itself: nothing lost */
	for (unsigned int i = 1; i < NCTX; i++)
		if (b->tx[i] && b->qp_of[i] == b->qp2)
			drop(b, i);
	check_exact(b, "second queue's contexts destroyed");
	CU_ASSERT_EQUAL(mlx5tls_qp_destroy(b->qp2), 0);
	check_exact(b, "second queue destroyed");
	for (unsigned int i = 1; i < NCTX; i++)
		if (b->tx[i])
			drop(b, i);
	check_exact(b, "all but the harness's destroyed");
	b->tx[0] = NULL; /* txh_fini destroys it */
	txh_fini(&b->h);
	free(b);
	free(pt);
}

int main(void)
{
	static const struct test_case cases[] = {
		{ "device tx_tls counters exact across create, send, destroy, queue destroy",
		  test_counters_exact },
		{ NULL, NULL },
	};
	static const struct test_suite suites[] = {
		{ "TX counters", NULL, NULL, cases },
		{ NULL, NULL, NULL, NULL },
	};

	return test_run_suites(suites);
}
