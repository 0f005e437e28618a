/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * When the TX send path may take its in-order fast path (tx->in_order: path DEVICE, the device's
 * position known, and the device at the stream's end) and when it must not: after a queue
 * recovery that flushed none of this context's frames (nothing of it to replay), after a key
 * update and after a retransmission, the next new frame at the stream's end is preceded by the
 * params (fact sheet 10.4: static params, progress params, fenced NOP), and the stream still
 * decrypts at the peer. Once resynchronised, new frames go in order again (data WQEs only).
 */
#include <errno.h>
#include <openssl/ssl.h>
#include <stdlib.h>
#include <string.h>

#include "test_util.h"
#include "tx_harness.h"
#include "tx_internal.h"
#include "tx_wqe_peek.h"

#define MAX_PEEK 16
#define REC 1000u
#define SEG 500u

/* Send stream bytes [off, off + n) as one frame; the WQEs it posted in w (returns how many). */
static int send_peek(struct txh *h, size_t off, size_t n, struct wqe_peek *w)
{
	uint32_t pc = h->qp->pc;

	CU_ASSERT_EQUAL_FATAL(txh_send(h, off, n, 0), 0);
	return peek_wqes(h->qp, pc, w, MAX_PEEK);
}

/* The frame went alone (the in-order path): one data WQE. */
static void expect_data_only(struct txh *h, size_t off, size_t n)
{
	struct wqe_peek w[MAX_PEEK];
	int np = send_peek(h, off, n, w);

	CU_ASSERT_EQUAL(np, 1);
	CU_ASSERT_EQUAL(w[0].opcode, PEEK_OP_SEND);
	CU_ASSERT_TRUE(h->tx->in_order);
}

/* The frame was preceded by the params: [static params,] progress params, NOP, then data. */
static void expect_resync(struct txh *h, size_t off, size_t n, bool with_static)
{
	struct wqe_peek w[MAX_PEEK];
	int np = send_peek(h, off, n, w), i = 0;

	CU_ASSERT_FATAL(np >= 3);
	if (with_static)
		CU_ASSERT_EQUAL(w[i++].opcode, PEEK_OP_UMR);
	CU_ASSERT_EQUAL(w[i++].opcode, PEEK_OP_SET_PSV);
	CU_ASSERT_EQUAL(w[i++].opcode, PEEK_OP_NOP);
	CU_ASSERT_EQUAL(w[np - 1].opcode, PEEK_OP_SEND);
	CU_ASSERT_TRUE(h->tx->in_order); /* at the stream's end again */
}

enum event { EV_RECOVERED, EV_RETRANSMIT };

static void run(int version, enum event ev)
{
	struct txh_opts o = { .tls_version = version, .key_bits = 128, .isn = 0xfffff000u };
	size_t len = 8 * REC;
	uint8_t *pt = txh_pattern(len, (uint8_t)(11 + ev));
	struct txh h;

	CU_ASSERT_EQUAL_FATAL(txh_init(&h, &o), 0);
	txh_add_records(&h, pt, len, REC);
	CU_ASSERT_FALSE(h.tx->in_order); /* nothing told to the device yet */
	expect_resync(&h, 0, SEG, true);  /* the first frame posts the params */
	expect_data_only(&h, SEG, SEG);
	expect_data_only(&h, 2 * SEG, SEG);
	CU_ASSERT(txh_drain(&h) > 0);
	if (ev == EV_RECOVERED) {
		/* the queue's recovery hook for a context with nothing in flight: the params go
		 * again before its next frame, as for one whose frames were replayed */
		tx_qp_recovered(h.tx);
		CU_ASSERT_FALSE(h.tx->in_order);
		expect_resync(&h, 3 * SEG, SEG, true);
	} else {
		/* a retransmission inside record 0 leaves the device behind the stream's end */
		struct wqe_peek w[MAX_PEEK];

		CU_ASSERT(send_peek(&h, SEG, SEG, w) > 1);
		CU_ASSERT_FALSE(h.tx->in_order);
		/* the next new frame: the device is repositioned at record 1, no new key */
		expect_resync(&h, 3 * SEG, SEG, true);
	}
	expect_data_only(&h, 4 * SEG, SEG);
	CU_ASSERT_EQUAL(txh_send_segments(&h, 5 * SEG, h.stream_len - 5 * SEG, SEG), 0);
	CU_ASSERT(txh_drain(&h) > 0);
	CU_ASSERT_EQUAL(txh_check_plaintext(&h, pt, len), 0);
	txh_fini(&h);
	free(pt);
}

static void test_recovered_tls12(void)
{
	run(TLS1_2_VERSION, EV_RECOVERED);
}

static void test_recovered_tls13(void)
{
	run(TLS1_3_VERSION, EV_RECOVERED);
}

static void test_retransmit_tls13(void)
{
	run(TLS1_3_VERSION, EV_RETRANSMIT);
}

static const struct test_case in_order_cases[] = {
	{ "recovered_tls12", test_recovered_tls12 },
	{ "recovered_tls13", test_recovered_tls13 },
	{ "retransmit_tls13", test_retransmit_tls13 },
	{ NULL, NULL },
};

int main(void)
{
	return tls_peer_run_suite("tx_in_order", in_order_cases);
}
