/* SPDX-License-Identifier: BSD-3-Clause */
/* The TLS RX context as rx.c (datapath, lifecycle) and rx_inspect.c (inspection) share it. */
#ifndef MLX5TLS_RX_INTERNAL_H
#define MLX5TLS_RX_INTERNAL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conn.h"
#include "mlx5tls_internal.h"
#include "rx_sw.h"

#define RX_HISTORY 64u /* record starts remembered for a late GET_PSV answer */
#define RX_PSV_BYTES 64u /* a GET_PSV result (fact sheet 8.5) */

/* Copies of the datapath figures for other threads (the publisher): the driving thread stores
 * them at the end of every call that changes them (rx_publish), the reader loads them without
 * touching the fields the datapath writes. */
struct rx_pub {
	atomic_uint_fast64_t next_record, records, bytes, by_device, by_software;
	atomic_uint_fast64_t reencrypted_bytes, resync_answers, untrusted;
	atomic_uint next_seq, resync_left, tirn, key_epoch, stop, path;
	atomic_bool resync_pending, failed;
};

struct rx_start {
	uint32_t seq;
	uint64_t num;
};

struct mlx5tls_rx {
	struct conn_id conn;     /* connection and label for inspection (opts, else the TIR's flow) */
	struct mlx5tls_qp *qp;   /* the control queue the params and GET_PSV go on */
	struct mlx5tls_tir *tir;
	uint32_t tirn;           /* the TIR object the device state is on */
	struct mlx5tls_dek *dek; /* NULL once the device state is released */
	struct mlx5tls_dek_pool *pool;
	bool on_device;          /* params posted, statuses of its tag trusted */
	bool tls13;
	uint8_t salt[4];
	uint8_t iv[8];
	uint64_t first_num;      /* record number the current keys start at */
	uint32_t start_sn;
	uint32_t epoch_sn;       /* where the device starts under the current keys ... */
	uint64_t epoch_num;      /* ... with the record of this number */
	uint32_t arrived_end;    /* end of the furthest packet the device delivered */
	bool restart_ok;         /* at a KeyUpdate stop: a record start the device has not seen */
	uint32_t restart_sn;
	uint64_t restart_records; /* records from the boundary to it */
	struct rx_sw *sw;
	uint32_t next_seq;       /* the next stream byte the application hands over */
	bool failed;             /* a record did not verify: the stream is over */
	enum mlx5tls_rx_stop stop;
	uint8_t stat_curr;       /* its TlsCurr* entry (tls_stat.h) */
	/* flow tag of the TIR object that decrypted under each key epoch's keys (slot = epoch %
	 * RX_SW_EPOCHS), 0 = none: a DECRYPTED packet is taken as evidence only with one of these */
	uint32_t tags[RX_SW_EPOCHS];

	/* record starts seen, oldest first: a ring of RX_HISTORY, allocated at the first record
	 * start (rx_hist_add; a context that receives nothing does not need its 1 KB) */
	struct rx_start *hist;
	uint32_t hist_head, hist_count; /* entries [hist_head, + hist_count) are valid */

	/* resync */
	uint8_t *psv_buf;        /* 64-byte GET_PSV result (fact sheet 8.5), device-writable */
	struct mlx5tls_mr *psv_mr;
	bool psv_in_flight;
	bool answer_pending;     /* a guess ahead of the stream: answer when its record starts */
	uint32_t answer_seq;
	bool retry;              /* an answer found no room on the control queue */
	uint32_t retry_seq;
	uint64_t retry_num;
	uint32_t resync_left;    /* requests left before one is answered (per resync episode) */
	uint32_t resync_max;
	uint64_t sw_counted;     /* records completed in software already in rx_tls_sw_records */
	uint64_t ku_counted;     /* KeyUpdates already in rx_tls_key_update */
	/* per-packet device counters not yet added to the device's (rx_publish) */
	uint64_t pend_decrypted_pkts, pend_decrypted_bytes, pend_err;
	bool params_lost;        /* params were flushed by a queue error: post them again */
	struct mlx5tls_rx_info info;

	/* inspection: immutable after create, except tir and tirn (under its queue's shard's lock,
	 * mlx5tls_internal.h) */
	uint64_t id;
	uint16_t version, cipher_type;
	uint32_t insp_slot;           /* in its queue's shard's rx table (insp_table.h) */
	struct mlx5tls_rx *tir_next;  /* the contexts naming rx->tir (tir->rx_list) */
	struct mlx5tls_rx **tir_pprev;
	struct rx_pub pub;
	/* mlx5tls_rx_inspect's own GET_PSV: its answer is kept here, not taken as a resync */
	bool psv_for_inspect;
	bool insp_psv_done, insp_psv_ok;

	/* Not zeroed at create (RX_ZEROED): each is written before it is read, and the create of a
	 * context that replaces another at random among many need not write (and miss on) these
	 * lines. */
	char reason[96];              /* why the path is SOFTWARE; "" (reason[0] set at create) */
	uint8_t insp_psv[16];         /* read once insp_psv_done */
};

/* The bytes of struct mlx5tls_rx that mlx5tls_rx_create zeroes: all but the tail above. */
#define RX_ZEROED offsetof(struct mlx5tls_rx, reason)

static inline void rx_cnt(struct mlx5tls_rx *rx, enum mlx5tls_counter_id id, uint64_t n)
{
	counter_add(rx->qp->dev, id, n);
}

/* rx_input.c: the datapath figures for other threads; status words; stops */
/* The counts the context holds back (per-packet device counters, software records, KeyUpdates)
 * added to the device's; the software path's figures in *st when st is not NULL. */
void rx_count_pending(struct mlx5tls_rx *rx, struct rx_sw_stats *st);
/* rx_count_pending, then the figures other threads read (rx->pub). */
void rx_publish(struct mlx5tls_rx *rx);
bool rx_word_valid(uint32_t word);
unsigned int rx_word_mark(struct mlx5tls_rx *rx, uint32_t word);
int64_t rx_stream_skip(struct mlx5tls_rx *rx, uint32_t tcp_seq);
int rx_stop_errno(enum mlx5tls_rx_stop s);

/* rx_params.c: the control queue */
int rx_post_add_params(struct mlx5tls_rx *rx);
void rx_hist_add(struct mlx5tls_rx *rx, uint32_t seq, uint64_t num);
int rx_answer(struct mlx5tls_rx *rx, uint32_t seq, uint64_t num);
void rx_resync_request(struct mlx5tls_rx *rx);
void rx_post_get_psv(struct mlx5tls_rx *rx);
/* The GET_PSV buffer and its MR, made at the first request (most connections never resync):
 * 0 or -errno. */
int rx_psv_buf(struct mlx5tls_rx *rx);

/* rx.c: until the control queue consumed everything posted */
void rx_params_wait(struct mlx5tls_rx *rx);

#endif
