/* SPDX-License-Identifier: BSD-3-Clause */
/* Private to the library: object layouts and helpers shared by its files. Never installed. */
#ifndef MLX5TLS_INTERNAL_H
#define MLX5TLS_INTERNAL_H

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "mlx5tls/mlx5tls.h"
#include "transport/transport.h"
#include "counters.h"
#include "insp_table.h"
#include "log.h"
#include "rec_pool.h"
#include "thread_slot.h"

struct mlx5tls_trace;
struct inspect_qp;

/*
 * The device's TLS contexts (TX and RX) are listed for inspection in CTX_SHARDS shards, each its
 * own lock and tables (insp_table.h), and a queue's contexts all go to its queue's shard
 * (qp->shard, the one with the fewest queues when the queue is made): a queue is driven by one
 * thread (qp.h), so creating, destroying and acknowledging contexts on queues of different
 * threads take locks no other of these threads takes - only the publisher, for a step of its
 * walk at a time. (A table per queue would do the same but a walk's cursor would then name a
 * queue, which comes and goes, and finding a context by id would need an index of the queues.)
 *
 * A context's id is the next number of one process-wide sequence (TX and RX alike): small,
 * unique in the process, in the order the contexts were made, whatever queue they are on. A
 * look-up by id (the publisher's "ctx id N") asks each shard's index in turn: CTX_SHARDS O(1)
 * look-ups, on a diagnostic path, so that the ids a user types stay plain numbers.
 */
#define CTX_SHARDS 16u

/* One thread slot's device counters, on lines of their own (thread_slot.h). */
struct cnt_row {
	_Atomic uint64_t v[MLX5TLS_CNT__MAX];
} __attribute__((aligned(64)));

struct ctx_shard {
	/* the tables; the epochs of its TX contexts (tx_snapshot); the TIR and TIR number of its
	 * RX contexts as inspection reads them (rx_inspect_fill) */
	pthread_mutex_t lock;
	struct insp_table tx;     /* live TLS TX contexts, keyed by id: slot tx->dev_slot */
	struct insp_table rx;     /* live TLS RX contexts, keyed by id: slot rx->insp_slot */
	uint32_t qps;             /* queues on this shard (dev->insp_lock) */
} __attribute__((aligned(64))); /* a shard's lock shares no line with another's */

struct mlx5tls_device {
	const struct mlx5tls_transport_ops *ops;
	struct mlx5tls_xport *xp;
	struct mlx5tls_device_attr attr;
	struct mlx5tls_caps caps;
	struct mlx5tls_trace *trace; /* NULL unless tracing */
	atomic_uint live_children;   /* PDs and TDs */
	atomic_uint tir_tag_next;    /* flow tags of TIR objects (rq.c) */
	/* the device counters, a row per thread slot (thread_slot.h): read as the rows' sum */
	struct cnt_row counters[THREAD_SLOTS];
	/* live TLS contexts (inspection, mlx5tls_device_foreach_tx) in the shard of their queue
	 * (qp->shard) */
	struct ctx_shard ctx_shards[CTX_SHARDS];
	/* for inspection (inspect.c): queues and pools, linked and unlinked under insp_lock so
	 * the publisher thread never sees one that is being freed; the registry of open devices */
	pthread_mutex_t insp_lock;
	struct inspect_qp *insp_qps;
	struct mlx5tls_dek_pool *insp_dek_pools;
	struct mlx5tls_tis_pool *insp_tis_pools;
	struct rec_pool rx_rec_pool; /* record buffers of its RX contexts' software path */
	struct mlx5tls_device *insp_next;
	uint32_t insp_seq;          /* registry number, larger for a device opened later */
};

struct mlx5tls_pd {
	struct mlx5tls_device *dev;
	struct mlx5tls_xobj *obj;
	uint32_t pdn;
	atomic_uint users; /* DEKs, TISes and pools on this PD */
};

struct mlx5tls_td {
	struct mlx5tls_device *dev;
	struct mlx5tls_xobj *obj;
	uint32_t tdn;
	atomic_uint users; /* TISes and TIS pools */
};

struct dek_bulk;
struct mlx5tls_dek_pool;

struct mlx5tls_dek {
	struct mlx5tls_pd *pd;
	struct mlx5tls_xobj *obj;      /* single DEK; NULL when pooled */
	struct mlx5tls_dek_pool *pool; /* NULL for a single DEK */
	struct dek_bulk *bulk;         /* pooled from a bulk; NULL for single */
	uint32_t id;
	uint32_t obj_offset;
	uint16_t key_bits;
	uint64_t opaque;
};

struct mlx5tls_tis_pool;

struct mlx5tls_tis {
	struct mlx5tls_pd *pd;
	struct mlx5tls_td *td;
	struct mlx5tls_xobj *obj;
	struct mlx5tls_tis_pool *pool; /* NULL if created directly */
	struct mlx5tls_tis *next_free; /* link while waiting in a pool */
	uint32_t tisn;
	bool tls_en;
	uint8_t prio;
};

/* ---- errors: 0/-errno with errno set, libbpf style ---- */

static inline int libmlx5tls_err(int ret)
{
	if (ret < 0)
		errno = -ret;
	return ret;
}

static inline void *libmlx5tls_err_ptr(int err)
{
	errno = -err;
	return NULL;
}

static inline void counter_add(struct mlx5tls_device *dev, enum mlx5tls_counter_id id,
			       uint64_t n)
{
	/* the calling thread's row: lines no other thread writes while it has a slot of its own */
	atomic_fetch_add_explicit(&dev->counters[thread_slot()].v[id], n, memory_order_relaxed);
}

static inline void counter_inc(struct mlx5tls_device *dev, enum mlx5tls_counter_id id)
{
	counter_add(dev, id, 1);
}

/* ---- opts validation (opts.c) ---- */

#define offsetofend(TYPE, FIELD) (offsetof(TYPE, FIELD) + sizeof(((TYPE *)0)->FIELD))

bool opts_valid(const void *opts, size_t opts_sz, size_t known_sz, const char *type_name);

/* opts_valid for `struct TYPE` up to TYPE__last_field. NULL opts are valid. */
#define OPTS_VALID(opts, TYPE)                                                                     \
	opts_valid((opts), (opts) ? (opts)->sz : 0, offsetofend(struct TYPE, TYPE##__last_field),  \
		   #TYPE)

/* A field of opts if the caller's struct has it, else the default. */
#define OPTS_HAS(opts, field)                                                                      \
	((opts) && (opts)->sz >= offsetofend(__typeof__(*(opts)), field))
#define OPTS_GET(opts, field, fallback) (OPTS_HAS(opts, field) ? (opts)->field : (fallback))

/* ---- output structs filled up to the caller's size ---- */

static inline void copy_out(void *dst, size_t dst_sz, const void *src, size_t src_sz)
{
	memcpy(dst, src, dst_sz < src_sz ? dst_sz : src_sz);
}

/* ---- crypto info (crypto_info.c) ---- */

struct key_view {
	const uint8_t *key; /* points into the caller's crypto info */
	uint16_t key_len;   /* 16 or 32 */
	uint32_t suite;     /* MLX5TLS_SUITE_* */
};

/* The fields of a <linux/tls.h> AES-GCM crypto info, whichever key size (their offsets
 * differ). Pointers into the caller's struct. */
struct ci_fields {
	const uint8_t *key;
	const uint8_t *salt;    /* 4 bytes */
	const uint8_t *iv;      /* 8 bytes */
	const uint8_t *rec_seq; /* 8 bytes, big-endian */
	uint16_t key_len;       /* 16 or 32 */
	bool tls13;
	uint64_t first_record;  /* rec_seq as a number */
};

/* 0, -EINVAL (NULL, or a length that is not the size of the cipher's struct) or -EOPNOTSUPP
 * (version other than TLS 1.2/1.3, cipher other than AES-GCM-128/256). Logs nothing. */
int crypto_info_fields(const struct tls_crypto_info *ci, size_t ci_len, struct ci_fields *f);

/* Check a <linux/tls.h> crypto info against the device: -EINVAL for NULL or a length that does
 * not match the cipher, -EOPNOTSUPP for a version/cipher the library or the device lacks. */
int crypto_info_view(const struct mlx5tls_device *dev, const struct tls_crypto_info *ci,
		     size_t ci_len, struct key_view *kv);

/* free(p) of a block of size bytes reads the allocator's boundary tags (glibc's chunk headers,
 * as any boundary-tag allocator's): the block's own header just before it and the next block's
 * just after it, each on a line of its own when the block does not start or end on a line's
 * first bytes - cold misses, one after the other, when blocks freed are many and random. A
 * prefetch may name any address (it never faults), so this asks for both on a guess of the
 * layout that costs nothing when wrong. */
static inline void heap_prefetch_free(const void *p, size_t size)
{
	__builtin_prefetch((const void *)((uintptr_t)p - 16), 1);
	__builtin_prefetch((const void *)((uintptr_t)p + size + 15), 1);
}

/* ---- DEK mailboxes (dek.c), shared with the pool ---- */

int dek_single_create(struct mlx5tls_pd *pd, const struct key_view *kv, uint64_t opaque,
		      struct mlx5tls_dek **out);
int dek_single_destroy(struct mlx5tls_dek *dek);
int dek_pool_put(struct mlx5tls_dek *dek);
/* Ask for the lines giving dek back (mlx5tls_dek_destroy) touches beyond dek itself: its bulk's
 * record and the allocator's headers around it (heap_prefetch_free). For a teardown of many
 * cold objects at once (mlx5tls_tx_destroy_bulk), once dek's own line is in. */
void dek_prefetch_release(const struct mlx5tls_dek *dek);
/* The firmware object a pooled DEK lives in (its bulk), for QUERY. */
struct mlx5tls_xobj *dek_bulk_obj(const struct mlx5tls_dek *dek);

/* ---- TIS (tis.c), shared with the pool ---- */

int tis_create_obj(struct mlx5tls_pd *pd, struct mlx5tls_td *td, bool tls_en, uint8_t prio,
		   struct mlx5tls_tis **out);
int tis_destroy_obj(struct mlx5tls_tis *tis);
int tis_pool_put(struct mlx5tls_tis *tis);

/* ---- memory regions (mr.c) ---- */

/* mlx5tls_mr_reg with transport access bits (XPORT_MR_LOCAL_WRITE for receive buffers). */
struct mlx5tls_mr *mr_reg_access(struct mlx5tls_pd *pd, void *addr, size_t len, uint32_t access);

/* ---- device counters (inspect.c) ---- */

/* vals[0..n) = the device's counters, its queues' TLS TX sums added: O(queues). */
void inspect_counters_read(struct mlx5tls_device *dev, uint64_t *vals, unsigned int n);

/* ---- capabilities (caps.c) ---- */

int caps_query(struct mlx5tls_device *dev, struct mlx5tls_caps *caps);
/* in: 16 zeroed bytes; QUERY_HCA_CAP of the current values of one capability type. */
void caps_encode_query(uint8_t *in, uint16_t cap_type);

#endif /* MLX5TLS_INTERNAL_H */
