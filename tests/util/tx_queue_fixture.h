/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The fixture of the send-queue tests under TLS TX (tests/test_tx_queue*.c): the TLS-over-TCP
 * harness (tx_harness.h) sends through the model and a real OpenSSL client reads; these
 * helpers query the context and the queue, and the WQE reader (tx_wqe_peek.h) looks at what
 * was posted.
 *
 * Header-only, as sim_rq_fixture.h: the programs reach the library's internals (tx_internal.h).
 */
#ifndef MLX5TLS_TX_QUEUE_FIXTURE_H
#define MLX5TLS_TX_QUEUE_FIXTURE_H

#include <errno.h>
#include <openssl/ssl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_util.h"
#include "tx_harness.h"
#include "tx_internal.h"
#include "tx_wqe_peek.h"

#define MAX_PEEK 64

static inline void info_of(struct txh *h, struct mlx5tls_tx_info *info)
{
	memset(info, 0, sizeof(*info));
	CU_ASSERT_EQUAL(mlx5tls_tx_query(h->tx, info, sizeof(*info)), 0);
}

static inline void qp_attr(struct txh *h, struct mlx5tls_qp_attr *a)
{
	memset(a, 0, sizeof(*a));
	CU_ASSERT_EQUAL(mlx5tls_qp_query(h->qp, a, sizeof(*a)), 0);
}

#endif /* MLX5TLS_TX_QUEUE_FIXTURE_H */
