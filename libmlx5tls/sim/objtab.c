/* SPDX-License-Identifier: BSD-3-Clause */
/* Linear-probing hash table keyed by object number; deletion by backward shift (no tombstones). */
#include "sim/objtab.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define OBJTAB_MIN_CAP 16u

#define LINE_BYTES 64u
#define GROUP_SHIFT 2u /* 4 slots of 16 bytes: one cache line */
_Static_assert(sizeof(struct sim_objtab_slot) << GROUP_SHIFT == LINE_BYTES,
	       "a group of slots is one cache line");

/*
 * Numbers are handed out in order (sim_objtab_alloc_num), so four numbers made one after the
 * other share a line of slots: a create writes the line the previous one wrote, where a slot at
 * random is a cache miss each among 100k objects. The groups are spread by Fibonacci hashing
 * (high half of a 64-bit product) so that probe runs stay short, as for single keys.
 */
static uint32_t slot_of(uint32_t key, uint32_t mask)
{
	uint32_t group = (uint32_t)(((uint64_t)(key >> GROUP_SHIFT) * 0x9e3779b97f4a7c15ull) >> 32);

	return (group << GROUP_SHIFT | (key & ((1u << GROUP_SHIFT) - 1))) & mask;
}

/* Zeroed slots on a cache-line boundary (a group is then one line), or NULL. */
static struct sim_objtab_slot *slots_alloc(uint32_t cap)
{
	size_t bytes = (size_t)cap * sizeof(struct sim_objtab_slot);
	struct sim_objtab_slot *slots = aligned_alloc(LINE_BYTES, bytes);

	if (slots)
		memset(slots, 0, bytes);
	return slots;
}

int sim_objtab_init(struct sim_objtab *t)
{
	t->slots = slots_alloc(OBJTAB_MIN_CAP);
	if (!t->slots)
		return -ENOMEM;
	t->mask = OBJTAB_MIN_CAP - 1;
	t->count = 0;
	t->max_key = 0;
	return 0;
}

void sim_objtab_fini(struct sim_objtab *t)
{
	free(t->slots);
	t->slots = NULL;
	t->mask = 0;
	t->count = 0;
	t->max_key = 0;
}

static void insert_slot(struct sim_objtab_slot *slots, uint32_t mask, uint32_t key, void *val)
{
	uint32_t i = slot_of(key, mask);

	while (slots[i].key)
		i = (i + 1) & mask;
	slots[i].key = key;
	slots[i].val = val;
}

static int rehash(struct sim_objtab *t, uint32_t new_cap)
{
	struct sim_objtab_slot *slots = slots_alloc(new_cap);

	if (!slots)
		return -ENOMEM;
	for (uint32_t i = 0; i <= t->mask; i++)
		if (t->slots[i].key)
			insert_slot(slots, new_cap - 1, t->slots[i].key, t->slots[i].val);
	free(t->slots);
	t->slots = slots;
	t->mask = new_cap - 1;
	return 0;
}

void *sim_objtab_get(const struct sim_objtab *t, uint32_t key)
{
	uint32_t i;

	if (!key)
		return NULL;
	for (i = slot_of(key, t->mask); t->slots[i].key; i = (i + 1) & t->mask)
		if (t->slots[i].key == key)
			return t->slots[i].val;
	return NULL;
}

int sim_objtab_put(struct sim_objtab *t, uint32_t key, void *val)
{
	uint32_t cap = t->mask + 1;

	/* Keep the load at or below 3/4 so probe runs stay short. */
	if ((uint64_t)(t->count + 1) * 4 > (uint64_t)cap * 3) {
		if (cap > UINT32_MAX / 2 || rehash(t, cap * 2))
			return -ENOMEM;
	}
	insert_slot(t->slots, t->mask, key, val);
	t->count++;
	if (key > t->max_key)
		t->max_key = key;
	return 0;
}

int sim_objtab_replace(struct sim_objtab *t, uint32_t key, void *val)
{
	if (!key)
		return -ENOENT;
	for (uint32_t i = slot_of(key, t->mask); t->slots[i].key; i = (i + 1) & t->mask) {
		if (t->slots[i].key == key) {
			t->slots[i].val = val;
			return 0;
		}
	}
	return -ENOENT;
}

void sim_objtab_prefetch(const struct sim_objtab *t, uint32_t key)
{
	__builtin_prefetch(&t->slots[slot_of(key, t->mask)], 1);
}

void *sim_objtab_del(struct sim_objtab *t, uint32_t key)
{
	uint32_t i, j;
	void *val;

	if (!key)
		return NULL;
	for (i = slot_of(key, t->mask); t->slots[i].key != key; i = (i + 1) & t->mask)
		if (!t->slots[i].key)
			return NULL;
	val = t->slots[i].val;
	/* Backward-shift deletion: pull later members of the probe run into the hole when their
	 * home slot does not lie cyclically in (hole, j]. */
	for (j = (i + 1) & t->mask; t->slots[j].key; j = (j + 1) & t->mask) {
		uint32_t home = slot_of(t->slots[j].key, t->mask);

		if (((j - home) & t->mask) >= ((j - i) & t->mask)) {
			t->slots[i] = t->slots[j];
			i = j;
		}
	}
	t->slots[i].key = 0;
	t->slots[i].val = NULL;
	t->count--;
	/* Give memory back after a churn peak; a failed shrink just keeps the bigger table. */
	if (t->mask + 1 > OBJTAB_MIN_CAP && t->count < (t->mask + 1) / 8)
		(void)rehash(t, (t->mask + 1) / 2);
	return val;
}

void *sim_objtab_next(const struct sim_objtab *t, size_t *pos, uint32_t *key)
{
	for (; *pos <= t->mask; (*pos)++) {
		if (t->slots[*pos].key) {
			if (key)
				*key = t->slots[*pos].key;
			return t->slots[(*pos)++].val;
		}
	}
	return NULL;
}

void sim_objtab_remove_if(struct sim_objtab *t, bool (*pred)(const void *val, void *ctx),
			  void (*drop)(void *val, void *ctx), void *ctx)
{
	uint32_t *keys, n = 0, i;
	void *val;

	/* Deleting reorders the slots, so first collect the matching keys, then delete by key. */
	for (i = 0; i <= t->mask; i++)
		if (t->slots[i].key && pred(t->slots[i].val, ctx))
			n++;
	if (!n)
		return;
	keys = malloc(n * sizeof(*keys));
	if (!keys) {
		/* Teardown must not fail: without memory, rescan from the start after each removal. */
		size_t pos = 0;
		uint32_t key;

		while ((val = sim_objtab_next(t, &pos, &key))) {
			if (!pred(val, ctx))
				continue;
			sim_objtab_del(t, key);
			drop(val, ctx);
			pos = 0;
		}
		return;
	}
	n = 0;
	for (i = 0; i <= t->mask; i++)
		if (t->slots[i].key && pred(t->slots[i].val, ctx))
			keys[n++] = t->slots[i].key;
	for (i = 0; i < n; i++) {
		val = sim_objtab_del(t, keys[i]);
		drop(val, ctx);
	}
	free(keys);
}

int sim_objtab_alloc_num(const struct sim_objtab *t, uint32_t *cursor, uint32_t first,
			 uint32_t limit, uint32_t *num)
{
	uint32_t n = (*cursor >= first && *cursor < limit) ? *cursor : first;

	for (uint32_t tries = limit - first; tries; tries--) {
		/* above max_key: absent without a look-up (a random slot, a cache miss at scale) */
		if (n > t->max_key || !sim_objtab_get(t, n)) {
			*num = n;
			*cursor = n + 1 < limit ? n + 1 : first;
			return 0;
		}
		n = n + 1 < limit ? n + 1 : first;
	}
	return -ENOSPC;
}
