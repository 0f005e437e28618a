/* SPDX-License-Identifier: BSD-3-Clause */
/* A table of live objects for inspection: slots that never move, and an index of them by key
 * (insp_table.h). */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "insp_table.h"

#define FREE_TAG 1u
/* A free slot keeps the number of the next free one shifted by one bit, in a pointer. */
#if UINTPTR_MAX <= UINT32_MAX
#define SLOTS_MAX (UINT32_MAX >> 2)
#else
#define SLOTS_MAX (UINT32_MAX - 1)
#endif

#define UNKEYED UINT32_MAX /* link of a slot that is in no chain */
/* The index starts with a chunk of buckets; more keys than buckets split one more. */
#define LEVEL_FIRST INSP_CHUNK_SHIFT
/* Buckets merged at most per key removed: enough to keep up with removals at twice as many
 * buckets as keys (each removal asks for two), without a long pause on any one. */
#define MERGES_PER_DEL 4u

/* A slot's fields side by side: deleting a context at a million touches one line of the slot
 * (and one bucket), not three arrays' lines (each a cache miss when contexts go at random). */
struct insp_slot {
	uintptr_t obj;
	uint64_t key;
	uint32_t link; /* the next slot in the chain, plus 1; 0 at its end; UNKEYED */
};

struct insp_chunk {
	struct insp_slot s[INSP_CHUNK];
};

static uintptr_t *slot_ref(const struct insp_table *t, uint32_t slot)
{
	return &t->dir[slot >> INSP_CHUNK_SHIFT].c->s[slot & (INSP_CHUNK - 1)].obj;
}

static uint64_t *key_ref(const struct insp_table *t, uint32_t slot)
{
	return &t->dir[slot >> INSP_CHUNK_SHIFT].c->s[slot & (INSP_CHUNK - 1)].key;
}

static uint32_t *link_ref(const struct insp_table *t, uint32_t slot)
{
	return &t->dir[slot >> INSP_CHUNK_SHIFT].c->s[slot & (INSP_CHUNK - 1)].link;
}

static uint32_t *bucket_ref(const struct insp_table *t, uint32_t b)
{
	return &t->buckets[b >> INSP_CHUNK_SHIFT][b & (INSP_CHUNK - 1)];
}

/* The ids are consecutive numbers, handed out in order: their low bits spread them evenly over
 * the buckets as they are, and a context created next lands in the bucket next to the last
 * one's, in a cache line that is already there (a mixing hash would make every create a miss
 * at a million contexts). */
static uint64_t key_hash(uint64_t k)
{
	return k;
}

/* Linear hashing: buckets below `split` are split already and use one bit more. */
static uint32_t bucket_of(const struct insp_table *t, uint64_t h)
{
	uint32_t b = (uint32_t)(h & ((1ull << t->level) - 1));

	if (b < t->split)
		b = (uint32_t)(h & ((1ull << (t->level + 1)) - 1));
	return b;
}

/* A zeroed chunk of buckets for bucket b, if it has none yet. 0 or -ENOMEM. */
static int bucket_room(struct insp_table *t, uint32_t b)
{
	uint32_t *chunk;

	if ((b >> INSP_CHUNK_SHIFT) < t->nbchunks)
		return 0;
	if (t->nbchunks == t->bdir_cap) {
		uint32_t cap = t->bdir_cap ? t->bdir_cap * 2 : 8;
		uint32_t **dir = realloc(t->buckets, cap * sizeof(*dir));

		if (!dir)
			return -ENOMEM;
		t->buckets = dir;
		t->bdir_cap = cap;
	}
	chunk = calloc(INSP_CHUNK, sizeof(*chunk));
	if (!chunk)
		return -ENOMEM;
	t->buckets[t->nbchunks++] = chunk;
	return 0;
}

/* Split bucket `split` into itself and the bucket 2^level above it: the keys whose next hash bit
 * is set move up. */
static void split_one(struct insp_table *t)
{
	uint32_t lo = t->split, hi, *from, keep = 0, move = 0, *keep_tail = &keep,
		 *move_tail = &move;

	/* at 2^31 buckets, or without memory for more, the chains grow longer instead */
	if (t->level >= 31)
		return;
	hi = (1u << t->level) + t->split;
	if (bucket_room(t, hi))
		return;
	from = bucket_ref(t, lo);
	for (uint32_t s1 = *from; s1;) {
		uint32_t s = s1 - 1;
		bool up = (key_hash(*key_ref(t, s)) >> t->level) & 1;

		s1 = *link_ref(t, s);
		*(up ? move_tail : keep_tail) = s + 1;
		if (up)
			move_tail = link_ref(t, s);
		else
			keep_tail = link_ref(t, s);
	}
	*keep_tail = 0;
	*move_tail = 0;
	*from = keep;
	*bucket_ref(t, hi) = move;
	if (++t->split == 1u << t->level) { /* every bucket split: one bit more for all */
		t->level++;
		t->split = 0;
	}
}

/* Undo the last split: the chain of the last bucket joins the one it was split from. A chunk of
 * buckets that no bucket uses any more is freed. */
static void merge_one(struct insp_table *t)
{
	uint32_t lo, hi, *p;

	if (!t->split) {
		if (t->level <= LEVEL_FIRST)
			return;
		t->level--;
		t->split = 1u << t->level;
	}
	lo = --t->split;
	hi = (1u << t->level) + lo;
	for (p = bucket_ref(t, lo); *p;)
		p = link_ref(t, *p - 1);
	*p = *bucket_ref(t, hi);
	*bucket_ref(t, hi) = 0;
	if (!(hi & (INSP_CHUNK - 1)) && (hi >> INSP_CHUNK_SHIFT) + 1 == t->nbchunks)
		free(t->buckets[--t->nbchunks]);
}

static void mark_free(struct insp_table *t, uint32_t c, bool has)
{
	if (has)
		t->has_free[c / 64] |= 1ull << (c % 64);
	else
		t->has_free[c / 64] &= ~(1ull << (c % 64));
}

/* The lowest chunk with a slot on its free list, nchunks when none: a word per 64 chunks
 * (256k slots), four words at a million slots. */
static uint32_t lowest_free(const struct insp_table *t)
{
	for (uint32_t w = 0; w * 64 < t->nchunks; w++)
		if (t->has_free[w])
			return w * 64 + (uint32_t)__builtin_ctzll(t->has_free[w]);
	return t->nchunks;
}

/* At most twice the slots the live objects need (and a chunk): the table is kept as it is and a
 * slot given back is taken again first; past that, new objects fill it from the bottom. */
static bool dense(const struct insp_table *t)
{
	return t->end <= 2 * ((uint64_t)t->live + INSP_CHUNK);
}

/* Make room for slot t->end: a new chunk, and a larger directory every doubling; the index's
 * first buckets with the first chunk. */
static int grow(struct insp_table *t)
{
	struct insp_chunk *chunk;

	if (t->end >= SLOTS_MAX)
		return -ENOMEM;
	if (!t->nbchunks) {
		if (bucket_room(t, 0))
			return -ENOMEM;
		t->level = LEVEL_FIRST;
	}
	if ((t->end >> INSP_CHUNK_SHIFT) < t->nchunks)
		return 0;
	if (t->nchunks == t->dir_cap) {
		uint32_t cap = t->dir_cap ? t->dir_cap * 2 : 64;
		struct insp_dir *dir = realloc(t->dir, cap * sizeof(*dir));
		uint64_t *map;

		if (!dir)
			return -ENOMEM;
		t->dir = dir;
		map = realloc(t->has_free, cap / 64 * sizeof(*map));
		if (!map)
			return -ENOMEM;
		memset(map + t->dir_cap / 64, 0, (cap - t->dir_cap) / 64 * sizeof(*map));
		t->has_free = map;
		t->dir_cap = cap;
	}
	chunk = malloc(sizeof(*chunk));
	if (!chunk)
		return -ENOMEM;
	t->dir[t->nchunks++] = (struct insp_dir){ .c = chunk };
	return 0;
}

/* Take the first slot of chunk c's free list. */
static uint32_t pop_free(struct insp_table *t, uint32_t c)
{
	struct insp_dir *d = &t->dir[c];
	uint32_t s = d->free_head - 1;

	d->free_head = (uint32_t)(*slot_ref(t, s) >> 1);
	if (!d->free_head)
		mark_free(t, c, false);
	return s;
}

int insp_table_add(struct insp_table *t, void *obj, uint32_t *slot)
{
	uint32_t s, c;

	if (t->nchunks && t->dir[t->last_freed].free_head && dense(t)) {
		s = pop_free(t, t->last_freed);
	} else if ((c = t->nchunks ? lowest_free(t) : 0) < t->nchunks) {
		s = pop_free(t, c);
	} else {
		int ret = grow(t);

		if (ret)
			return ret;
		s = t->end++;
	}
	*slot_ref(t, s) = (uintptr_t)obj;
	*link_ref(t, s) = UNKEYED;
	t->dir[s >> INSP_CHUNK_SHIFT].live++;
	t->live++;
	*slot = s;
	return 0;
}

void insp_table_set(struct insp_table *t, uint32_t slot, void *obj)
{
	*slot_ref(t, slot) = (uintptr_t)obj;
}

void insp_table_key(struct insp_table *t, uint32_t slot, uint64_t key)
{
	uint32_t *head;

	if (t->keys >= (1u << t->level) + t->split)
		split_one(t);
	head = bucket_ref(t, bucket_of(t, key_hash(key)));
	*key_ref(t, slot) = key;
	*link_ref(t, slot) = *head;
	*head = slot + 1;
	t->keys++;
}

void *insp_table_find(const struct insp_table *t, uint64_t key, uint32_t *slot,
		      unsigned int *probes)
{
	unsigned int n = 0;
	uint32_t s1 = t->nbchunks ? *bucket_ref(t, bucket_of(t, key_hash(key))) : 0;
	void *obj = NULL;

	for (; s1; s1 = *link_ref(t, s1 - 1)) {
		n++;
		if (*key_ref(t, s1 - 1) == key) {
			*slot = s1 - 1;
			obj = (void *)*slot_ref(t, s1 - 1);
			break;
		}
	}
	if (probes)
		*probes = n;
	return obj;
}

/* Take slot out of its chain (a chain is a few slots long: O(1)). */
static void unkey(struct insp_table *t, uint32_t slot)
{
	uint32_t *p = bucket_ref(t, bucket_of(t, key_hash(*key_ref(t, slot))));

	while (*p && *p != slot + 1)
		p = link_ref(t, *p - 1);
	if (*p) {
		*p = *link_ref(t, slot);
		t->keys--;
	}
	*link_ref(t, slot) = UNKEYED;
	for (unsigned int i = 0;
	     i < MERGES_PER_DEL && (uint64_t)t->keys * 2 < (1ull << t->level) + t->split; i++)
		merge_one(t);
}

/* The last object went: give back every chunk of slots and buckets but the first. Slots never
 * move while any object lives, so this is the only moment the table can shrink without breaking
 * a walk (a cursor past the new end just ends it). Each chunk is freed once per time it was
 * allocated: O(1) per add, amortised. */
static void shrink_empty(struct insp_table *t)
{
	for (uint32_t i = 1; i < t->nchunks; i++)
		free(t->dir[i].c);
	t->nchunks = t->nchunks ? 1 : 0;
	if (t->nchunks)
		t->dir[0].free_head = 0;
	memset(t->has_free, 0, t->dir_cap / 64 * sizeof(*t->has_free));
	t->last_freed = 0;
	for (uint32_t i = 1; i < t->nbchunks; i++)
		free(t->buckets[i]);
	t->nbchunks = t->nbchunks ? 1 : 0;
	if (t->nbchunks)
		memset(t->buckets[0], 0, INSP_CHUNK * sizeof(*t->buckets[0]));
	t->end = 0;
	t->level = LEVEL_FIRST;
	t->split = 0;
	t->keys = 0;
}

/* Sparse: free the chunks at the tail that have no object left (their slots are on no list but
 * their own). Each chunk is freed once per time it was allocated: O(1) per add, amortised. */
static void shrink_tail(struct insp_table *t)
{
	while (t->nchunks > 1 && !t->dir[t->nchunks - 1].live && !dense(t)) {
		uint32_t c = --t->nchunks;

		free(t->dir[c].c);
		mark_free(t, c, false);
		t->end = c << INSP_CHUNK_SHIFT;
		if (t->last_freed >= t->nchunks)
			t->last_freed = 0;
	}
}

void insp_table_del(struct insp_table *t, uint32_t slot)
{
	uint32_t c = slot >> INSP_CHUNK_SHIFT;
	struct insp_dir *d = &t->dir[c];

	if (*link_ref(t, slot) != UNKEYED)
		unkey(t, slot);
	*slot_ref(t, slot) = (uintptr_t)d->free_head << 1 | FREE_TAG;
	if (!d->free_head)
		mark_free(t, c, true);
	d->free_head = slot + 1;
	d->live--;
	t->last_freed = c;
	if (--t->live == 0 && t->end > INSP_CHUNK)
		shrink_empty(t);
	else
		shrink_tail(t);
}

void insp_table_prefetch_del(const struct insp_table *t, uint32_t slot, uint64_t key)
{
	if (slot >= t->end)
		return;
	__builtin_prefetch(slot_ref(t, slot), 1);
	if (t->nbchunks)
		__builtin_prefetch(bucket_ref(t, bucket_of(t, key_hash(key))), 1);
}

void insp_table_prefetch_chain(const struct insp_table *t, uint64_t key)
{
	uint32_t s1;

	if (!t->nbchunks)
		return;
	s1 = *bucket_ref(t, bucket_of(t, key_hash(key)));
	if (s1 && s1 - 1 < t->end)
		__builtin_prefetch(link_ref(t, s1 - 1), 1);
}

void *insp_table_get(const struct insp_table *t, uint32_t slot)
{
	uintptr_t v;

	if (slot >= t->end)
		return NULL;
	v = *slot_ref(t, slot);
	return v & FREE_TAG ? NULL : (void *)v;
}

void insp_table_fini(struct insp_table *t)
{
	for (uint32_t i = 0; i < t->nchunks; i++)
		free(t->dir[i].c);
	free(t->dir);
	free(t->has_free);
	for (uint32_t i = 0; i < t->nbchunks; i++)
		free(t->buckets[i]);
	free(t->buckets);
	memset(t, 0, sizeof(*t));
}

size_t insp_table_slot_bytes(void)
{
	return sizeof(struct insp_slot);
}
