/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Inspection in the process: mlx5tls_tx_inspect() on device- and software-path contexts (the DEK
 * and the TIS read back from the model), the connection and label given at creation,
 * mlx5tls_rx_inspect() (the DEK, the TIR and GET_PSV read back), context ids and the context
 * walk, in steps with setup going on between them. The fixture is tests/util/inspect_fixture.h;
 * publishing is in test_inspect.c and test_inspect_rules.c.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "inspect.h"
#include "inspect_fixture.h"

static int tx_count_cb(struct mlx5tls_tx *tx, void *arg)
{
	(void)tx;
	(*(unsigned int *)arg)++;
	return 0;
}

static int tx_stop_cb(struct mlx5tls_tx *tx, void *arg)
{
	(void)tx;
	(*(unsigned int *)arg)++;
	return 7;
}

/* ---- mlx5tls_tx_inspect ---- */

static void test_inspect_device_path(void)
{
	struct txh_opts o = { .tls_version = TLS1_3_VERSION, .key_bits = 128, .isn = 1000 };
	struct mlx5tls_tx_state st;
	struct mlx5tls_tx_info info;
	struct mlx5tls_qp_attr qa;
	struct txh h;
	uint8_t *pt = txh_pattern(6000, 3);

	CU_ASSERT_PTR_NOT_NULL_FATAL(pt);
	CU_ASSERT_EQUAL_FATAL(txh_init(&h, &o), 0);
	txh_add_records(&h, pt, 6000, 4000);
	CU_ASSERT_EQUAL(txh_send_segments(&h, 0, h.stream_len, 1400), 0);
	CU_ASSERT(txh_drain(&h) > 0);
	CU_ASSERT_EQUAL(txh_check_plaintext(&h, pt, 6000), 0);

	memset(&st, 0xa5, sizeof(st));
	memset(&info, 0, sizeof(info));
	memset(&qa, 0, sizeof(qa));
	CU_ASSERT_EQUAL_FATAL(mlx5tls_tx_inspect(h.tx, &st, sizeof(st)), 0);
	CU_ASSERT_EQUAL(mlx5tls_tx_query(h.tx, &info, sizeof(info)), 0);
	CU_ASSERT_EQUAL(mlx5tls_qp_query(h.qp, &qa, sizeof(qa)), 0);
	CU_ASSERT(st.id > 0);
	CU_ASSERT_EQUAL(st.sqn, qa.sqn);
	CU_ASSERT_EQUAL(st.path, MLX5TLS_TX_PATH_DEVICE);
	CU_ASSERT_STRING_EQUAL(st.reason, "");
	CU_ASSERT_EQUAL(st.tls_version, TLS_1_3_VERSION);
	CU_ASSERT_EQUAL(st.cipher_type, TLS_CIPHER_AES_GCM_128);
	/* what tx_query says, field for field */
	CU_ASSERT_EQUAL(st.start_tcp_sn, info.start_tcp_sn);
	CU_ASSERT_EQUAL(st.next_tcp_sn, info.next_tcp_sn);
	CU_ASSERT_EQUAL(st.next_tcp_sn, 1000 + h.stream_len);
	CU_ASSERT_EQUAL(st.expected_tcp_sn, info.expected_tcp_sn);
	CU_ASSERT_EQUAL(st.next_record, info.next_record);
	CU_ASSERT_EQUAL(st.next_record_tcp_sn, info.next_record_tcp_sn);
	CU_ASSERT_EQUAL(st.record_offset, info.record_offset);
	CU_ASSERT_EQUAL(st.records_held, info.records_held);
	CU_ASSERT_EQUAL(st.encrypted_packets, info.encrypted_packets);
	CU_ASSERT(st.encrypted_packets > 0);
	CU_ASSERT_EQUAL(st.encrypted_bytes, info.encrypted_bytes);
	/* the DEK and the TIS as the device holds them */
	CU_ASSERT_TRUE(st.has_dek);
	CU_ASSERT_EQUAL(st.dek_error, 0);
	CU_ASSERT_EQUAL(st.dek_id, info.dek_id);
	CU_ASSERT_FALSE(st.dek_pooled);
	CU_ASSERT_EQUAL(st.dek_state, 0);
	CU_ASSERT_EQUAL(st.dek_key_bits, 128);
	CU_ASSERT_EQUAL(st.dek_key_purpose, 1);
	CU_ASSERT_EQUAL(st.dek_pd, mlx5tls_pd_num(h.pd));
	CU_ASSERT_TRUE(st.has_tis);
	CU_ASSERT_EQUAL(st.tis_error, 0);
	CU_ASSERT_EQUAL(st.tisn, info.tisn);
	CU_ASSERT_TRUE(st.tis_tls_en);
	CU_ASSERT_FALSE(st.tis_pooled);
	CU_ASSERT_EQUAL(st.tis_pd, mlx5tls_pd_num(h.pd));
	CU_ASSERT_EQUAL(st.tis_transport_domain, mlx5tls_td_num(h.td));
	CU_ASSERT_FALSE(st.progress_available);
	CU_ASSERT_STRING_EQUAL(st.progress_reason, "GET_PSV is documented for TIRs (RX) only");
	CU_ASSERT_TRUE(key_absent(&h, (const char *)&st, sizeof(st)));

	/* an older caller's shorter struct: only its bytes are written */
	memset(&st, 0x5a, sizeof(st));
	CU_ASSERT_EQUAL(mlx5tls_tx_inspect(h.tx, &st, offsetof(struct mlx5tls_tx_state, device)),
			0);
	CU_ASSERT(st.id > 0);
	CU_ASSERT_EQUAL((uint8_t)st.device[0], 0x5a);

	CU_ASSERT_EQUAL(mlx5tls_tx_inspect(NULL, &st, sizeof(st)), -EINVAL);
	CU_ASSERT_EQUAL(errno, EINVAL);
	CU_ASSERT_EQUAL(mlx5tls_tx_inspect(h.tx, NULL, sizeof(st)), -EINVAL);
	txh_fini(&h);
	free(pt);
}

static void test_inspect_software_path(void)
{
	struct txh_opts o = { .tls_version = TLS1_2_VERSION, .key_bits = 256, .isn = 7,
			      .tx_flags = MLX5TLS_TX_F_SOFTWARE };
	struct mlx5tls_tx_state st;
	struct txh h;

	CU_ASSERT_EQUAL_FATAL(txh_init(&h, &o), 0);
	memset(&st, 0xa5, sizeof(st));
	CU_ASSERT_EQUAL_FATAL(mlx5tls_tx_inspect(h.tx, &st, sizeof(st)), 0);
	CU_ASSERT_EQUAL(st.path, MLX5TLS_TX_PATH_SOFTWARE);
	CU_ASSERT_STRING_EQUAL(st.reason, "software path requested");
	CU_ASSERT_EQUAL(st.tls_version, TLS_1_2_VERSION);
	CU_ASSERT_EQUAL(st.cipher_type, TLS_CIPHER_AES_GCM_256);
	CU_ASSERT_FALSE(st.has_dek);
	CU_ASSERT_EQUAL(st.dek_id, 0);
	CU_ASSERT_EQUAL(st.dek_key_bits, 0);
	CU_ASSERT_FALSE(st.has_tis);
	CU_ASSERT_EQUAL(st.tisn, 0);
	CU_ASSERT_EQUAL(st.start_tcp_sn, 7);
	CU_ASSERT_FALSE(st.progress_available);
	CU_ASSERT_TRUE(key_absent(&h, (const char *)&st, sizeof(st)));
	txh_fini(&h);
}

/* The connection and label of a context: given in the opts (kept as given), refused when bad. */
static void test_conn_and_label(void)
{
	struct txh_opts o = { .tls_version = TLS1_3_VERSION, .key_bits = 128 };
	struct mlx5tls_conn c6 = { .ip_version = 6, .local_port = 8443, .remote_port = 61000 };
	struct mlx5tls_conn bad = { .ip_version = 5 };
	MLX5TLS_OPTS(mlx5tls_tx_opts, given, .flags = MLX5TLS_TX_F_SOFTWARE, .conn = &c6,
		     .label = "edge\x01proxy/a-label-longer-than-thirty-one-bytes");
	MLX5TLS_OPTS(mlx5tls_tx_opts, refused, .conn = &bad);
	struct mlx5tls_tx_state st;
	struct mlx5tls_tx *tx2;
	struct txh h;

	/* 2001:2::1 -> 2001:2::2: the IPv6 benchmarking prefix (RFC 5180) */
	c6.local_ip[0] = 0x20;
	c6.local_ip[1] = 0x01;
	c6.local_ip[3] = 0x02;
	c6.local_ip[15] = 1;
	c6.remote_ip[0] = 0x20;
	c6.remote_ip[1] = 0x01;
	c6.remote_ip[3] = 0x02;
	c6.remote_ip[15] = 2;
	CU_ASSERT_EQUAL_FATAL(txh_init(&h, &o), 0);
	tx2 = mlx5tls_tx_create(h.qp, &h.ci.info, tls_peer_crypto_info_size(&h.ci.info), 0, &given);
	CU_ASSERT_PTR_NOT_NULL_FATAL(tx2);
	/* copied at creation: later changes of the caller's struct do not show */
	c6.local_port = 1;
	CU_ASSERT_EQUAL(mlx5tls_tx_inspect(tx2, &st, sizeof(st)), 0);
	CU_ASSERT_EQUAL(st.conn_source, MLX5TLS_CONN_GIVEN);
	CU_ASSERT_EQUAL(st.conn.ip_version, 6);
	CU_ASSERT_EQUAL(st.conn.local_port, 8443);
	CU_ASSERT_EQUAL(st.conn.remote_port, 61000);
	CU_ASSERT_EQUAL(st.conn.local_ip[15], 1);
	CU_ASSERT_EQUAL(st.conn.remote_ip[15], 2);
	/* printable only, cut to MLX5TLS_LABEL_MAX - 1 */
	CU_ASSERT_STRING_EQUAL(st.label, "edge?proxy/a-label-longer-than-");
	CU_ASSERT_EQUAL(strlen(st.label), MLX5TLS_LABEL_MAX - 1);
	CU_ASSERT_EQUAL(mlx5tls_tx_destroy(tx2), 0);

	errno = 0;
	CU_ASSERT_PTR_NULL(mlx5tls_tx_create(h.qp, &h.ci.info,
					     tls_peer_crypto_info_size(&h.ci.info), 0, &refused));
	CU_ASSERT_EQUAL(errno, EINVAL);
	txh_fini(&h);
}

static void test_foreach_and_ids(void)
{
	struct txh_opts o = { .tls_version = TLS1_3_VERSION, .key_bits = 128 };
	MLX5TLS_OPTS(mlx5tls_tx_opts, sw, .flags = MLX5TLS_TX_F_SOFTWARE);
	struct mlx5tls_tx_state a, b;
	struct mlx5tls_tx *tx2;
	unsigned int n = 0;
	struct txh h;

	CU_ASSERT_EQUAL_FATAL(txh_init(&h, &o), 0);
	tx2 = mlx5tls_tx_create(h.qp, &h.ci.info, tls_peer_crypto_info_size(&h.ci.info), 0, &sw);
	CU_ASSERT_PTR_NOT_NULL_FATAL(tx2);
	CU_ASSERT_EQUAL(mlx5tls_tx_inspect(h.tx, &a, sizeof(a)), 0);
	CU_ASSERT_EQUAL(mlx5tls_tx_inspect(tx2, &b, sizeof(b)), 0);
	CU_ASSERT(b.id > a.id); /* assigned at creation, in order, never reused */

	CU_ASSERT_EQUAL(mlx5tls_device_foreach_tx(h.dev, tx_count_cb, &n), 0);
	CU_ASSERT_EQUAL(n, 2);
	n = 0;
	CU_ASSERT_EQUAL(mlx5tls_device_foreach_tx(h.dev, tx_stop_cb, &n), 7);
	CU_ASSERT_EQUAL(n, 1);
	CU_ASSERT_EQUAL(mlx5tls_device_foreach_tx(NULL, tx_count_cb, &n), -EINVAL);
	CU_ASSERT_EQUAL(mlx5tls_device_foreach_tx(h.dev, NULL, &n), -EINVAL);

	CU_ASSERT_EQUAL(mlx5tls_tx_destroy(tx2), 0);
	n = 0;
	CU_ASSERT_EQUAL(mlx5tls_device_foreach_tx(h.dev, tx_count_cb, &n), 0);
	CU_ASSERT_EQUAL(n, 1);
	txh_fini(&h);
}

/* A walk in steps: the hook runs between them with no lock held, and creates and destroys a
 * context there, as another thread could; every context live throughout is seen once. */
enum { STEP_CTXS = 200 };

struct step_walk {
	struct txh *h;
	struct mlx5tls_tx *cs[STEP_CTXS];
	unsigned int visits[STEP_CTXS + 2]; /* cs[], then h->tx, then the late one */
	struct mlx5tls_tx *late;
	unsigned int steps, lock_free, stray;
};

/* cppcheck-suppress constParameter ; the signature is mlx5tls_device_foreach_tx's callback */
static int step_visit_cb(struct mlx5tls_tx *tx, void *arg)
{
	struct step_walk *w = arg;

	for (unsigned int i = 0; i < STEP_CTXS; i++)
		if (w->cs[i] == tx) {
			w->visits[i]++;
			return 0;
		}
	if (tx == w->h->tx)
		w->visits[STEP_CTXS]++;
	else if (tx == w->late)
		w->visits[STEP_CTXS + 1]++;
	else
		w->stray++;
	return 0;
}

static void step_hook(void *arg)
{
	MLX5TLS_OPTS(mlx5tls_tx_opts, sw, .flags = MLX5TLS_TX_F_SOFTWARE);
	struct step_walk *w = arg;
	struct txh *h = w->h;
	unsigned int held = 0;

	for (unsigned int i = 0; i < CTX_SHARDS; i++) {
		if (pthread_mutex_trylock(&h->dev->ctx_shards[i].lock) == 0)
			pthread_mutex_unlock(&h->dev->ctx_shards[i].lock);
		else
			held++;
	}
	if (!held)
		w->lock_free++;
	if (w->steps++ || w->lock_free != 1)
		return;
	/* the last one is not visited yet (slots go up); its slot goes to a new context */
	CU_ASSERT_EQUAL(mlx5tls_tx_destroy(w->cs[STEP_CTXS - 1]), 0);
	w->cs[STEP_CTXS - 1] = NULL;
	w->late = mlx5tls_tx_create(h->qp, &h->ci.info, tls_peer_crypto_info_size(&h->ci.info), 0,
				    &sw);
	CU_ASSERT_PTR_NOT_NULL(w->late);
}

static void test_foreach_steps(void)
{
	MLX5TLS_OPTS(mlx5tls_tx_opts, sw, .flags = MLX5TLS_TX_F_SOFTWARE);
	struct txh_opts o = { .tls_version = TLS1_3_VERSION, .key_bits = 128 };
	struct step_walk *w = calloc(1, sizeof(*w));
	struct txh h;

	CU_ASSERT_PTR_NOT_NULL_FATAL(w);
	CU_ASSERT_EQUAL_FATAL(txh_init(&h, &o), 0);
	w->h = &h;
	for (unsigned int i = 0; i < STEP_CTXS; i++) {
		w->cs[i] = mlx5tls_tx_create(h.qp, &h.ci.info,
					     tls_peer_crypto_info_size(&h.ci.info), 0, &sw);
		CU_ASSERT_PTR_NOT_NULL_FATAL(w->cs[i]);
	}
	inspect_set_foreach_step_hook(step_hook, w);
	CU_ASSERT_EQUAL(mlx5tls_device_foreach_tx(h.dev, step_visit_cb, w), 0);
	inspect_set_foreach_step_hook(NULL, NULL);
	/* 201 contexts in steps of at most 32: the lock was free at every step's end */
	CU_ASSERT(w->steps >= (STEP_CTXS + 1) / 32);
	CU_ASSERT_EQUAL(w->lock_free, w->steps);
	CU_ASSERT_EQUAL(w->stray, 0);
	for (unsigned int i = 0; i < STEP_CTXS - 1; i++)
		CU_ASSERT_EQUAL(w->visits[i], 1);
	CU_ASSERT_EQUAL(w->visits[STEP_CTXS - 1], 0); /* destroyed before its turn */
	CU_ASSERT_EQUAL(w->visits[STEP_CTXS], 1);
	CU_ASSERT(w->visits[STEP_CTXS + 1] <= 1); /* created during the walk: may be seen, once */
	for (unsigned int i = 0; i < STEP_CTXS; i++)
		if (w->cs[i])
			CU_ASSERT_EQUAL(mlx5tls_tx_destroy(w->cs[i]), 0);
	if (w->late)
		CU_ASSERT_EQUAL(mlx5tls_tx_destroy(w->late), 0);
	txh_fini(&h);
	free(w);
}

static void test_rx_inspect(void)
{
	struct mlx5tls_rx_state st;
	struct mlx5tls_rq_attr ra;
	struct rx_fix f;

	rx_fix_init(&f);
	CU_ASSERT_EQUAL(mlx5tls_rx_inspect(NULL, &st, sizeof(st)), -EINVAL);
	CU_ASSERT_EQUAL(mlx5tls_rx_inspect(f.rx, NULL, sizeof(st)), -EINVAL);
	CU_ASSERT_EQUAL_FATAL(mlx5tls_rq_query(f.rq, &ra, sizeof(ra)), 0);

	/* just added: the device's tracker waits at the first record (fact sheet 8.5 read-back) */
	CU_ASSERT_EQUAL_FATAL(mlx5tls_rx_inspect(f.rx, &st, sizeof(st)), 0);
	CU_ASSERT(st.id > 0);
	CU_ASSERT(st.device[0] != 0);
	CU_ASSERT_EQUAL(st.path, MLX5TLS_TX_PATH_DEVICE);
	CU_ASSERT_EQUAL(st.tls_version, TLS_1_2_VERSION);
	CU_ASSERT_EQUAL(st.cipher_type, TLS_CIPHER_AES_GCM_128);
	CU_ASSERT_EQUAL(st.start_tcp_sn, RX_ISN);
	CU_ASSERT_EQUAL(st.next_tcp_sn, RX_ISN);
	CU_ASSERT_EQUAL(st.next_record, st.first_record);
	CU_ASSERT_EQUAL(st.dek_error, 0);
	CU_ASSERT(st.dek_id != 0);
	CU_ASSERT_EQUAL(st.dek_state, 0);
	CU_ASSERT_EQUAL(st.dek_key_bits, 128);
	CU_ASSERT_EQUAL(st.dek_key_purpose, 1);
	CU_ASSERT_EQUAL(st.dek_pd, mlx5tls_pd_num(f.pd));
	CU_ASSERT_TRUE(st.has_tir);
	CU_ASSERT_EQUAL(st.tir_error, 0);
	CU_ASSERT_EQUAL(st.tirn, mlx5tls_tir_num(f.tir));
	CU_ASSERT_TRUE(st.tir_tls_en);
	CU_ASSERT_EQUAL(st.tir_inline_rqn, ra.rqn);
	CU_ASSERT_EQUAL(st.tir_transport_domain, mlx5tls_td_num(f.td));
	CU_ASSERT_EQUAL(st.tir_flows, 1);
	CU_ASSERT_TRUE(st.progress_available);
	CU_ASSERT_STRING_EQUAL(st.progress_reason, "");
	CU_ASSERT_EQUAL(st.hw_next_record_tcp_sn, RX_ISN);
	CU_ASSERT_EQUAL(st.hw_resync_tcp_sn, 0);
	CU_ASSERT_EQUAL(st.hw_tracker_state, 0); /* START */
	CU_ASSERT_EQUAL(st.hw_auth_state, 0);    /* NO_OFFLOAD */
	CU_ASSERT_EQUAL(st.hw_offset_record_number, 0);

	/* the records as the wire carries them, not decrypted: completed in software */
	CU_ASSERT_EQUAL(mlx5tls_rx_input(f.rx, RX_ISN, f.wire, f.wire_len, MLX5TLS_RX_TLS_NONE,
					 rx_count, &f), 0);
	CU_ASSERT_EQUAL(f.got, 3000);
	CU_ASSERT_EQUAL_FATAL(mlx5tls_rx_inspect(f.rx, &st, 8), 0); /* a short copy is fine */
	CU_ASSERT_EQUAL_FATAL(mlx5tls_rx_inspect(f.rx, &st, sizeof(st)), 0);
	CU_ASSERT_EQUAL(st.next_tcp_sn, (uint32_t)(RX_ISN + f.wire_len));
	CU_ASSERT_EQUAL(st.next_record, st.first_record + 3);
	CU_ASSERT_EQUAL(st.records, 3);
	CU_ASSERT_EQUAL(st.bytes, 3000);
	CU_ASSERT_EQUAL(st.by_device, 0);
	CU_ASSERT_EQUAL(st.by_software, 3);
	CU_ASSERT_FALSE(st.failed);
	CU_ASSERT_TRUE(st.progress_available);

	/* the application may destroy the TIR first: the context forgets it, nothing reads it */
	CU_ASSERT_EQUAL(mlx5tls_flow_destroy(f.flow), 0);
	f.flow = NULL;
	CU_ASSERT_EQUAL(mlx5tls_tir_destroy(f.tir), 0);
	f.tir = NULL;
	CU_ASSERT_EQUAL_FATAL(mlx5tls_rx_inspect(f.rx, &st, sizeof(st)), 0);
	CU_ASSERT_FALSE(st.has_tir);
	CU_ASSERT(st.tirn != 0);
	CU_ASSERT_FALSE(st.progress_available);
	CU_ASSERT_STRING_EQUAL(st.progress_reason, "the TIR was destroyed before the context");
	rx_fix_fini(&f);
}

static const struct test_case inspect_cases[] = {
	{ "tx_inspect: device path, DEK and TIS read back", test_inspect_device_path },
	{ "tx_inspect: software path", test_inspect_software_path },
	{ "connection and label: given, copied, refused", test_conn_and_label },
	{ "context ids and foreach_tx", test_foreach_and_ids },
	{ "foreach_tx walks in steps, setup goes on between them", test_foreach_steps },
	{ "rx_inspect: DEK, TIR and GET_PSV read back", test_rx_inspect },
	{ NULL, NULL },
};

static const struct test_suite suites[] = {
	{ "inspect", NULL, NULL, inspect_cases },
	{ NULL, NULL, NULL, NULL },
};

int main(void)
{
	return test_run_suites(suites);
}
