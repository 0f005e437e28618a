/* SPDX-License-Identifier: BSD-3-Clause */
/* TLS RX offload end to end on the model through the sim transport (cases: rx_offload_cases.h),
 * and what a context holds before and after its first record (library and model internals). */
#include "mlx5tls/mlx5tls.h"
#include "qp.h" /* rx_internal.h's inline helpers */
#include "rx_internal.h"
#include "sim/tls_evp.h"

#define RX_DEV "sim"

static int rx_wire(struct mlx5tls_device *dev, const void *frame, size_t len)
{
	return mlx5tls_model_wire_rx(dev, frame, len);
}

#include "rx_offload_cases.h"

/*
 * Issue 10: a context with its TIR and flow that has received nothing holds no record-start ring
 * in the library and no OpenSSL context in the model (static and progress params were posted:
 * the TIR's engine state exists); its stream then arrives and every record reaches the
 * application verified by the device, the ring and one GCM context made on the way; destroying
 * everything gives the model's context back. The library's memory (mem_bytes): a record buffer
 * while a record is being assembled, none once the stream is between records.
 */
static void test_idle_context_state(void)
{
	uint64_t live0 = sim_tls_evp_live();
	struct mlx5tls_rx_info info;
	struct rxf f;

	uint64_t idle_mem;

	fx_init(&f, TLS1_3_VERSION, 256, 3000, 4);
	CU_ASSERT_PTR_NULL(f.rx->hist);
	CU_ASSERT_EQUAL(sim_tls_evp_live(), live0);
	/* mem_bytes: an idle context is its structure, its slot and its software state (the
	 * keys, in case software has to take over) */
	CU_ASSERT_EQUAL(mlx5tls_rx_query(f.rx, &info, sizeof(info)), 0);
	idle_mem = info.mem_bytes;
	CU_ASSERT_TRUE(idle_mem >= sizeof(*f.rx) && idle_mem <= 1536);
	for (uint32_t k = 0; k < nsegs(&f); k++) {
		arrive(&f, k, UINT32_MAX);
		if (k == 0) { /* inside the first record: it is assembled in a record buffer */
			CU_ASSERT_EQUAL(mlx5tls_rx_query(f.rx, &info, sizeof(info)), 0);
			CU_ASSERT_TRUE(info.mem_bytes >= idle_mem + 2 * 16384);
		}
	}
	expect_all(&f);
	CU_ASSERT_EQUAL(mlx5tls_rx_query(f.rx, &info, sizeof(info)), 0);
	CU_ASSERT_EQUAL(info.by_device, 4);
	/* between records (the stream ended with its last record): the record buffer went back,
	 * the record-start ring that came with the first record stays */
	CU_ASSERT_EQUAL(info.mem_bytes, idle_mem + RX_HISTORY * sizeof(*f.rx->hist));
	CU_ASSERT_PTR_NOT_NULL(f.rx->hist);
	CU_ASSERT_EQUAL(f.rx->hist_count, 4);
	CU_ASSERT_EQUAL(sim_tls_evp_live(), live0 + 1);
	fx_fini(&f);
	CU_ASSERT_EQUAL(sim_tls_evp_live(), live0);
}

static const struct test_case sim_cases[] = {
	{ "idle_context_state", test_idle_context_state },
	{ NULL, NULL },
};

static int suite_cleanup(void)
{
	tls_peer_global_cleanup();
	return 0;
}

int main(void)
{
	const struct test_suite suites[] = {
		{ "rx_offload", NULL, NULL, rx_offload_cases },
		{ "rx_offload sim internals", NULL, suite_cleanup, sim_cases },
		{ NULL, NULL, NULL, NULL },
	};

	return test_run_suites(suites);
}
