/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DEK storage. One record per DEK object: a single DEK, or a bulk of 2^log_range elements with
 * contiguous ids base..base+2^log_range-1 (fact sheet 3.5, 12.2). Per element the record keeps
 * three bits (keyed, 256-bit, loaded in the current sync epoch) and, allocated on the first key
 * load, 32 bytes of key. A million DEKs in bulks of 4096 therefore cost ~32 MB of keys plus
 * ~0.4 bytes of state per element and 245 records; a lookup by any id is at most one hash probe
 * per bulk size in use.
 */
#ifndef MLX5TLS_SIM_DEK_STORE_H
#define MLX5TLS_SIM_DEK_STORE_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim/sim_internal.h"

#define SIM_DEK_KEY_MAX 32u /* AES-256 (fact sheet 3.4) */

/* Fields above `epoch` are fixed from CREATE to DESTROY; the element state from `epoch` down is
 * the shard's (sim_dek_shard) for a reader of dev->dek_lock. */
struct sim_dek {
	uint32_t base;
	uint8_t log_range;
	uint8_t key_purpose;
	uint16_t uid;
	uint32_t pd;
	uint64_t opaque;
	uint64_t epoch;      /* the sync epoch `loaded` describes; older = nothing loaded yet */
	uint64_t *keyed;     /* element holds a key (bulk elements start empty) */
	uint64_t *size_256;  /* element's key is 256-bit */
	uint64_t *loaded;    /* element was keyed during `epoch` */
	uint8_t (*keys)[SIM_DEK_KEY_MAX]; /* secret memory; NULL until the first load of a bulk */
	bool keys_inline;    /* single DEK: key storage allocated with the record */
	uint64_t bits[];     /* storage of the three bitmaps */
};

static inline uint32_t sim_dek_elems(const struct sim_dek *d)
{
	return 1u << d->log_range;
}

/* The DEK object whose id range contains `id`, or NULL (dev->dek_lock held, either way). */
struct sim_dek *sim_dek_find(struct sim_dev *dev, uint32_t id);

/* The shard of d's element state (sim_internal.h dek_shard): records spread over the shards by
 * base id, so commands on different DEK objects rarely meet. The datapath keys its per-DEK
 * index of TLS contexts by the same number (tls_ctx.c), under the same lock. */
static inline uint32_t sim_dek_shard_index(const struct sim_dek *d)
{
	return (uint32_t)(((uint64_t)d->base * 0x9e3779b97f4a7c15ull) >> 58) % SIM_DEK_SHARDS;
}

static inline pthread_mutex_t *sim_dek_shard(struct sim_dev *dev, const struct sim_dek *d)
{
	return &dev->dek_shard[sim_dek_shard_index(d)];
}

/* A live, keyed DEK element held: dev->dek_lock for reading and its record's shard, so that it
 * is neither re-keyed nor destroyed until sim_dek_release. */
struct sim_dek_hold {
	const struct sim_dek *d;
	uint32_t idx;
	uint32_t shard;
};

/* 0 with *h held, or -ENOENT (unknown or unkeyed id; nothing held). */
int sim_dek_hold(struct sim_dev *dev, uint32_t dek_id, struct sim_dek_hold *h);
void sim_dek_release(struct sim_dev *dev, struct sim_dek_hold *h);
/* The held element's key (16 or 32 bytes) into key; its length. */
size_t sim_dek_hold_key(const struct sim_dek_hold *h, uint8_t *key);

/* A live, keyed DEK id's key (16 or 32 bytes), PD and owner, read in one look under the DEK
 * locks (the caller wipes its copy): 0 or -ENOENT. */
int sim_dek_fetch(struct sim_dev *dev, uint32_t dek_id, uint8_t *key, size_t *key_len,
		  uint32_t *pd, uint16_t *uid);

/* Reserve a 2^log_range-aligned run of free ids; 0 or -ENOSPC. */
int sim_dek_alloc_ids(struct sim_dev *dev, uint8_t log_range, uint32_t *base);

/* A new, empty record for ids base.. in the table (counted); NULL on -ENOMEM. */
struct sim_dek *sim_dek_insert(struct sim_dev *dev, uint32_t base, uint8_t log_range);

/* Take a record out of the table (uncounted), or, with `unlinked`, one already out of it
 * (sim_objtab_remove_if); wipe its keys and free it. */
void sim_dek_remove(struct sim_dev *dev, struct sim_dek *d, bool unlinked);

/* Element state. */
bool sim_dek_elem_keyed(const struct sim_dek *d, uint32_t idx);
bool sim_dek_elem_is_256(const struct sim_dek *d, uint32_t idx);
/* epoch: dev->sync_epoch, read once by the command. */
bool sim_dek_elem_loaded_this_epoch(const struct sim_dek *d, uint64_t epoch, uint32_t idx);

/* Store a key into element idx (the old key wiped first; contexts keyed from it dropped) as a
 * load of sync epoch `epoch`; 0 or -ENOMEM. */
int sim_dek_elem_load(struct sim_dev *dev, struct sim_dek *d, uint64_t epoch, uint32_t idx,
		      const uint8_t *key, bool is_256);

#endif /* MLX5TLS_SIM_DEK_STORE_H */
