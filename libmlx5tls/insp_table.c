/* SPDX-License-Identifier: BSD-3-Clause */
/* A table of live objects for inspection: slots that never move (insp_table.h). */
#include <errno.h>
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

static uintptr_t *slot_ref(const struct insp_table *t, uint32_t slot)
{
	return &t->chunks[slot >> INSP_CHUNK_SHIFT][slot & (INSP_CHUNK - 1)];
}

/* Make room for slot t->end: a new chunk, and a larger directory every doubling. */
static int grow(struct insp_table *t)
{
	uintptr_t *chunk;

	if (t->end >= SLOTS_MAX)
		return -ENOMEM;
	if ((t->end >> INSP_CHUNK_SHIFT) < t->nchunks)
		return 0;
	if (t->nchunks == t->dir_cap) {
		uint32_t cap = t->dir_cap ? t->dir_cap * 2 : 8;
		uintptr_t **dir = realloc(t->chunks, cap * sizeof(*dir));

		if (!dir)
			return -ENOMEM;
		t->chunks = dir;
		t->dir_cap = cap;
	}
	chunk = malloc(INSP_CHUNK * sizeof(*chunk));
	if (!chunk)
		return -ENOMEM;
	t->chunks[t->nchunks++] = chunk;
	return 0;
}

int insp_table_add(struct insp_table *t, void *obj, uint32_t *slot)
{
	uint32_t s;

	if (t->free_head) {
		s = t->free_head - 1;
		t->free_head = (uint32_t)(*slot_ref(t, s) >> 1);
	} else {
		int ret = grow(t);

		if (ret)
			return ret;
		s = t->end++;
	}
	*slot_ref(t, s) = (uintptr_t)obj;
	t->live++;
	*slot = s;
	return 0;
}

void insp_table_set(struct insp_table *t, uint32_t slot, void *obj)
{
	*slot_ref(t, slot) = (uintptr_t)obj;
}

void insp_table_del(struct insp_table *t, uint32_t slot)
{
	*slot_ref(t, slot) = (uintptr_t)t->free_head << 1 | FREE_TAG;
	t->free_head = slot + 1;
	t->live--;
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
		free(t->chunks[i]);
	free(t->chunks);
	memset(t, 0, sizeof(*t));
}
