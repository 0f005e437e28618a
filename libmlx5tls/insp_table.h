/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A table of live objects (internal: the device's for inspection, a queue's of its contexts):
 * every object holds one slot for its whole life and never moves, so a walk that goes up the
 * slot numbers and resumes at a slot number after releasing the lock sees every object that
 * stays live exactly once, whatever is created or destroyed between its steps - and resuming
 * costs nothing, where a list would have to be walked again from its head to find the place.
 * Add, delete and look-up are O(1), and deleting touches no other object.
 *
 * Two levels: chunks of INSP_CHUNK slots that never move once allocated, and a directory of
 * chunks that doubles when full (a few pointers per million slots), so growing never copies the
 * slots. A free slot holds the number of the next free one (tagged, low bit set: objects are
 * aligned), on its chunk's list of free slots. The caller provides the locking.
 *
 * Giving memory back while objects live: an object never moves, so a chunk can go only once
 * its last object has. While the table is dense (at most twice the slots it needs) a slot given
 * back is the next one taken - the line a churn has just touched. Once it is sparse, new objects
 * take the lowest free slot (a bitmap of the chunks that have one), so the tail empties as the
 * objects made before the peak go, and each chunk at the tail is freed once it is empty. The
 * last object gone, every chunk but the first goes at once.
 *
 * An index by key (the contexts' ids): a slot entered with insp_table_key is found from its key
 * in O(1) - a hash of chains through the slots, its buckets in chunks like the slots. It grows by
 * linear hashing, one bucket split per key entered while there are more keys than buckets, so no
 * call rehashes the table (the caller's lock is never held for more than a chain's length); it
 * contracts the same way, a few buckets merged per key removed while there are more than twice
 * as many buckets as keys.
 */
#ifndef MLX5TLS_INSP_TABLE_H
#define MLX5TLS_INSP_TABLE_H

#include <stddef.h>
#include <stdint.h>

#define INSP_CHUNK_SHIFT 12u
#define INSP_CHUNK (1u << INSP_CHUNK_SHIFT)

struct insp_chunk;

/* A directory entry: a chunk and its free slots (kept here, not in the chunk, so choosing a slot
 * reads no chunk but the one it takes). */
struct insp_dir {
	struct insp_chunk *c;
	uint32_t free_head; /* a free slot of this chunk below end, plus 1; 0 when none */
	uint32_t live;      /* objects in this chunk */
};

struct insp_table {
	struct insp_dir *dir; /* chunk i holds slots i * INSP_CHUNK ... */
	uint64_t *has_free;   /* bit i: chunk i has a slot on its free list */
	uint32_t nchunks;     /* chunks allocated */
	uint32_t dir_cap;
	uint32_t end;         /* slots handed out: every slot >= end is free, in no list */
	uint32_t last_freed;  /* the chunk a slot was last given back to */
	uint32_t live;        /* objects in the table */
	/* the index: bucket b's chain starts at slot buckets[b / INSP_CHUNK][b % INSP_CHUNK] - 1 */
	uint32_t **buckets;
	uint32_t nbchunks;  /* bucket chunks allocated */
	uint32_t bdir_cap;
	uint32_t level;     /* 2^level buckets, plus `split` split off past them */
	uint32_t split;     /* the next bucket to split */
	uint32_t keys;      /* slots in the index */
};

/* Take a slot for obj (at least 2-byte aligned). 0 or -ENOMEM (obj not added). obj NULL
 * reserves the slot: walks skip it until insp_table_set puts the object there. */
int insp_table_add(struct insp_table *t, void *obj, uint32_t *slot);
/* Put obj in a slot this table handed out. */
void insp_table_set(struct insp_table *t, uint32_t slot, void *obj);
/* Enter slot (handed out, not in the index yet) in the index under key. Never fails: when a
 * bucket chunk cannot be allocated the chains just grow longer. */
void insp_table_key(struct insp_table *t, uint32_t slot, uint64_t key);
/* The object entered under key (the slot's object now, NULL when reserved), its slot in *slot;
 * NULL when no slot has that key. *probes (if not NULL) is set to the slots looked at. */
void *insp_table_find(const struct insp_table *t, uint64_t key, uint32_t *slot,
		      unsigned int *probes);
/* Give back a slot taken by insp_table_add (and its key, if it has one). */
void insp_table_del(struct insp_table *t, uint32_t slot);
/* Ask for the cache lines insp_table_del(t, slot) starts with: the slot and, for key (the
 * slot's key; a wrong one costs a useless prefetch), the head of its chain. Called under the
 * same lock as insp_table_del, ahead of it, so that at a million objects these misses overlap
 * with the caller's others instead of following them one by one. */
void insp_table_prefetch_del(const struct insp_table *t, uint32_t slot, uint64_t key);
/* Then, once that chain's head has arrived (a stage later, under the same lock): ask for the
 * first slot of the chain, which the delete reads when it is not the slot deleted - at a million
 * objects another cold line, found only from the head. */
void insp_table_prefetch_chain(const struct insp_table *t, uint64_t key);
/* The object in slot, NULL when the slot is free or past the end. */
void *insp_table_get(const struct insp_table *t, uint32_t slot);
/* Every slot at or past this number is free (a walk's bound). */
static inline uint32_t insp_table_end(const struct insp_table *t)
{
	return t->end;
}
static inline uint32_t insp_table_live(const struct insp_table *t)
{
	return t->live;
}
/* Memory per slot (a keyed table adds a bucket per slot at most): for memory accounting. */
size_t insp_table_slot_bytes(void);
/* Free the table's memory (the objects are the caller's). */
void insp_table_fini(struct insp_table *t);

#endif
