/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A TLS TX context (internal), after the kernel's mlx5e_ktls_offload_context_tx (fact sheet
 * 10.2-10.5): the device objects (DEK per key epoch, one TLS TIS), the device's position in the
 * stream (expected TCP sequence, the record number of the last static params), the record tracker
 * and, when the software path may be needed, the keys and a software encryptor.
 */
#ifndef MLX5TLS_TX_INTERNAL_H
#define MLX5TLS_TX_INTERNAL_H

#include <linux/tls.h>
#include <stdatomic.h>
#include <stddef.h>

#include "conn.h"
#include "qp.h"
#include "tx_stream.h"
#include "tx_sw.h"

/* Per-context counters, in the order of the device counters from
 * MLX5TLS_CNT_TX_TLS_ENCRYPTED_PACKETS on (counters.h), so they fold into them 1:1. */
enum tx_counter {
	TXC_ENCRYPTED_PACKETS,
	TXC_ENCRYPTED_BYTES,
	TXC_OOO,
	TXC_DUMP_PACKETS,
	TXC_DUMP_BYTES,
	TXC_RESYNC_BYTES,
	TXC_SKIP_NO_SYNC_DATA,
	TXC_DROP_NO_SYNC_DATA,
	TXC_SW_PACKETS,
	TXC_SW_BYTES,
	TXC_SW_RESYNC,
	TXC_RETX_BYTES,
	TXC__MAX
};
#define TXC_DEVICE_BASE MLX5TLS_CNT_TX_TLS_ENCRYPTED_PACKETS
_Static_assert(TXC__MAX == QP_TLS_COUNTERS, "the queue sums every per-context counter");

/* Up to this many keys live at once (TLS 1.3 KeyUpdate while older records await their ack). */
#define TX_EPOCHS 4u

union tx_crypto_info {
	struct tls_crypto_info info;
	struct tls12_crypto_info_aes_gcm_128 gcm128;
	struct tls12_crypto_info_aes_gcm_256 gcm256;
};

/* A key slot. Whether it holds a key is the context's live_epochs bit, not a field here: a
 * context is created with only its first slot written (the others are not even zeroed). */
struct tx_epoch {
	uint32_t num;            /* epoch number (0 = the first key) */
	struct mlx5tls_dek *dek; /* device path */
	uint8_t salt[4];
	uint8_t iv[8];
	bool has_ci;             /* the key is kept for the software path */
	/* the last static params naming this DEK: done once the queue's consumer counter passes
	 * last_use_pc (or the queue was recovered since: everything before came back) */
	bool used;
	uint32_t last_use_pc;
	uint64_t last_use_recoveries;
	union tx_crypto_info *ci; /* in secret memory (secret.h) when has_ci */
	size_t ci_len;
};

struct mlx5tls_tx {
	/* What destroying an idle context reads comes first, in one cache line: at a million
	 * contexts every context is cold, and each further line is a miss (about 0.4 us here). */
	struct mlx5tls_qp *qp;
	struct mlx5tls_tis *tis;
	struct tx_sw *sw;
	uint8_t *sw_scratch;         /* replay buffer for repositioning */
	uint32_t dev_slot;           /* in its queue's shard's table (qp->shard) */
	uint32_t qp_slot;            /* in the queue's tls_table */
	uint8_t live_epochs;         /* bit i: epochs[i] holds a key (the only record of it) */
	uint8_t stat_curr;           /* its TlsCurr* entry (tls_stat.h) */
	bool going;                  /* listed by the mlx5tls_tx_destroy_bulk in progress: a second
				      * entry of it is a duplicate (tx_destroy.c) */
	bool tls13;
	uint16_t version;
	uint16_t cipher_type;
	enum mlx5tls_tx_path path;
	uint32_t start_sn;
	uint64_t id;                 /* unique in the process, for inspection (never reused); its
				      * shard's index in the top bits (mlx5tls_internal.h) */

	/* The fields the in-order path touches come next, together in the next 192 bytes (three
	 * or four cache lines: the allocation is not line-aligned): the tracker and the device's
	 * position, then what it publishes and counts. */
	struct tx_stream stream;

	/* device path: what the device was told */
	bool dev_synced;             /* the device's position (tx_dev_expected) is valid */
	/* how far the device's expected sequence is behind stream.next_seq: 0 while every byte
	 * learnt went to the device in order, so the in-order path stores nothing here */
	uint32_t dev_behind;
	/* path DEVICE, dev_synced and dev_behind 0: the in-order path may take a frame at
	 * stream.next_seq. One flag the send path tests instead of the three fields, kept by
	 * whatever writes them (tx_in_order_update); false at create (zeroed), as dev_synced. */
	bool in_order;

	/* What inspection reads from other threads (tx_snapshot): copies of the datapath fields,
	 * stored by the queue's thread after every change (tx_publish). Encoded so that the
	 * in-order path stores only what moved: inside a record the position alone, for a whole
	 * record the position and one word for the record count and the boundary flag
	 * (tx_publish_fast). The next record's number is not stored per record: learning a
	 * record adds one to both it and the count, so their difference (num_base) moves only
	 * when records are released (ack) or numbered anew (rekey), which publish it all. The
	 * epochs and their DEKs change only under the lock of its queue's shard (rekey, release
	 * on ack). */
	struct {
		_Atomic uint32_t path;
		_Atomic uint32_t next_seq;
		_Atomic uint32_t behind;       /* expected = next_seq - behind */
		_Atomic uint32_t rec_tcp_sn;   /* start of the record in progress (!at_boundary) */
		_Atomic uint32_t held_bnd;     /* records held << 1 | at a boundary (tx_pub_held_bnd) */
		_Atomic uint64_t num_base;     /* next record's number - records held */
	} pub;
	uint32_t tisn;               /* tis->tisn, for the data WQEs (the TIS never changes) */
	bool conn_known;             /* conn.claimed seen set: stop trying to learn it */

	_Atomic uint64_t c[TXC__MAX];

	bool static_valid;           /* the last static params are known */
	uint64_t static_num;         /* their initial_record_number */
	uint8_t static_epoch;

	/* software path */
	bool sw_synced;
	uint32_t sw_expected;

	/* demotion rule (the payload sent so far is encrypted_bytes + sw_bytes, tx_payload_bytes) */
	uint32_t demote_permille;
	uint64_t demote_min_bytes;


	/* cold: keys, and why the path is not the device's. Not zeroed at create (a context made at
	 * a million live ones writes only the lines it uses): epochs[0] is loaded, the others are
	 * read only once live_epochs says they hold a key; reason is a C string set with its
	 * terminator. */
	uint32_t epoch;              /* current key epoch (rekeys so far) */
	struct tx_epoch epochs[TX_EPOCHS];
	char reason[96];

	/* the connection and label, for inspection (learnt from the first frame if not given) */
	struct conn_id conn;
};
_Static_assert(offsetof(struct mlx5tls_tx, c[TXC_ENCRYPTED_BYTES]) < 4 * 64,
	       "the in-order path's fields stay in the context's first 256 bytes");

/* Single writer (the queue's thread), readers anywhere: no locked instruction needed. The
 * queue's sum (q: its tls_c) counts along (a device counter read adds the queues', not the
 * contexts'). */
static inline void txc_add_row(_Atomic uint64_t *c, _Atomic uint64_t *q, enum tx_counter i,
			       uint64_t n)
{
	atomic_store_explicit(&c[i], atomic_load_explicit(&c[i], memory_order_relaxed) + n,
			      memory_order_relaxed);
	atomic_store_explicit(&q[i], atomic_load_explicit(&q[i], memory_order_relaxed) + n,
			      memory_order_relaxed);
}

static inline void txc_add(struct mlx5tls_tx *tx, enum tx_counter i, uint64_t n)
{
	txc_add_row(tx->c, tx->qp->tls_c, i, n);
}

/* Payload bytes sent on the device and the software path, retransmissions included: every
 * payload byte the context sent is counted in exactly one of the two. */
static inline uint64_t tx_payload_bytes(const struct mlx5tls_tx *tx)
{
	return atomic_load_explicit(&tx->c[TXC_ENCRYPTED_BYTES], memory_order_relaxed) +
	       atomic_load_explicit(&tx->c[TXC_SW_BYTES], memory_order_relaxed);
}

/* The rec_seq field of either AES-GCM layout (its offset differs with the key size). */
static inline uint8_t *tx_ci_rec_seq(union tx_crypto_info *ci)
{
	return ci->info.cipher_type == TLS_CIPHER_AES_GCM_256 ? ci->gcm256.rec_seq
							     : ci->gcm128.rec_seq;
}

/* The number of the first record of a (checked) crypto info. */
static inline uint64_t tx_ci_first_record(const struct tls_crypto_info *ci, size_t ci_len)
{
	struct ci_fields cf;

	return crypto_info_fields(ci, ci_len, &cf) ? 0 : cf.first_record;
}

/* The sequence the device expects next (valid while dev_synced) and setting it. */
static inline uint32_t tx_dev_expected(const struct mlx5tls_tx *tx)
{
	return tx->stream.next_seq - tx->dev_behind;
}

static inline void tx_set_dev_expected(struct mlx5tls_tx *tx, uint32_t seq)
{
	tx->dev_behind = tx->stream.next_seq - seq;
}

/* After a write of path, dev_synced or dev_behind. */
static inline void tx_in_order_update(struct mlx5tls_tx *tx)
{
	tx->in_order = tx->path == MLX5TLS_TX_PATH_DEVICE && tx->dev_synced && !tx->dev_behind;
}

/* The position of the path in use. */
static inline uint32_t tx_expected(const struct mlx5tls_tx *tx)
{
	return tx->path == MLX5TLS_TX_PATH_DEVICE ? tx_dev_expected(tx) : tx->sw_expected;
}

/* pub.held_bnd: the records held and the boundary flag in one word (a count of 2^31 records
 * would be 2^31 headers in flight: not representable in memory anyway). */
static inline uint32_t tx_pub_held_bnd(const struct tx_stream *s)
{
	return tx_stream_records(s) << 1 | (uint32_t)tx_stream_at_boundary(s);
}

/* Store the inspected fields into tx->pub (relaxed: each field is read whole; inspection is a
 * view, not a transaction). */
static inline void tx_publish(struct mlx5tls_tx *tx)
{
	const struct tx_stream *s = &tx->stream;
	uint64_t num = 0;
	uint32_t rseq = 0, off = 0;

	tx_stream_tail(s, &num, &rseq, &off);
	atomic_store_explicit(&tx->pub.path, (uint32_t)tx->path, memory_order_release);
	atomic_store_explicit(&tx->pub.next_seq, s->next_seq, memory_order_relaxed);
	atomic_store_explicit(&tx->pub.behind, s->next_seq - tx_expected(tx), memory_order_relaxed);
	atomic_store_explicit(&tx->pub.rec_tcp_sn, rseq, memory_order_relaxed);
	atomic_store_explicit(&tx->pub.held_bnd, tx_pub_held_bnd(s), memory_order_relaxed);
	atomic_store_explicit(&tx->pub.num_base, s->num_base, memory_order_relaxed);
}

/*
 * The in-order path's update (path DEVICE and dev_behind 0 before and after, so path and
 * behind do not move): the position; when a record started or ended (`learnt`, what
 * tx_stream_learn_fast returned: non-zero), the record count with the boundary flag and the
 * start of a record in progress. At TX_LEARN_BOUNDARY the flag is known without loading the
 * parser's fields back and there is no record in progress. num_base does not move: a record
 * learnt adds one to both the next number and the count. Leaves pub as tx_publish() would.
 */
static inline void tx_publish_fast(struct mlx5tls_tx *tx, int learnt)
{
	const struct tx_stream *s = &tx->stream;

	atomic_store_explicit(&tx->pub.next_seq, s->next_seq, memory_order_relaxed);
	if (learnt == TX_LEARN_BOUNDARY) {
		atomic_store_explicit(&tx->pub.held_bnd, tx_stream_records(s) << 1 | 1u,
				      memory_order_relaxed);
	} else if (learnt) {
		bool at_boundary = tx_stream_at_boundary(s);

		atomic_store_explicit(&tx->pub.held_bnd, tx_pub_held_bnd(s), memory_order_relaxed);
		if (!at_boundary) {
			uint64_t num;
			uint32_t rseq, off;

			tx_stream_tail(s, &num, &rseq, &off);
			atomic_store_explicit(&tx->pub.rec_tcp_sn, rseq, memory_order_relaxed);
		}
	}
}

/* Give back everything the context holds (its DEKs and TIS to their pools, its memory); it is
 * on no list (tx.c: create's failure path, and tx_destroy.c). */
void tx_free(struct mlx5tls_tx *tx);

/* Software path helpers (tx_send.c), used when a context is demoted (tx.c). */
void tx_demote_check(struct mlx5tls_tx *tx);

#endif
