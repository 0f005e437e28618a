/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The model's object table: an open-addressing hash from a non-zero 32-bit object number to a
 * record pointer, O(1) lookups at any population (1,000,000 TISes or DEK objects), plus the
 * monotonic number allocator the object kinds share. Not thread-safe: the device lock covers it.
 */
#ifndef MLX5TLS_SIM_OBJTAB_H
#define MLX5TLS_SIM_OBJTAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sim_objtab_slot {
	uint32_t key; /* 0 = empty: no object is ever numbered 0 */
	void *val;
};

struct sim_objtab {
	struct sim_objtab_slot *slots;
	uint32_t mask; /* capacity - 1; capacity is a power of two */
	uint32_t count;
	uint32_t max_key; /* the largest key ever put: every key above it is absent */
};

int sim_objtab_init(struct sim_objtab *t);
/* Frees the table only; the caller frees the records first. */
void sim_objtab_fini(struct sim_objtab *t);

void *sim_objtab_get(const struct sim_objtab *t, uint32_t key);
/* key must be non-zero and absent. 0 or -ENOMEM (table unchanged). */
int sim_objtab_put(struct sim_objtab *t, uint32_t key, void *val);
/* Point a present key at another record (never reallocates): 0, or -ENOENT if absent. */
int sim_objtab_replace(struct sim_objtab *t, uint32_t key, void *val);
/* Ask for the line of key's slot (a look-up, put or delete soon): no effect on the table. */
void sim_objtab_prefetch(const struct sim_objtab *t, uint32_t key);
/* Removes key; returns its record, or NULL if absent. */
void *sim_objtab_del(struct sim_objtab *t, uint32_t key);

/*
 * Iterate: start with *pos = 0; each call returns the next record (and its key) or NULL at the
 * end. The table must not change during an iteration.
 */
void *sim_objtab_next(const struct sim_objtab *t, size_t *pos, uint32_t *key);

/*
 * Remove every record for which pred(val, ctx) is true, then hand each to drop(val, ctx) once it
 * has left the table (drop may use other tables, not this one's iteration). Linear in the table.
 */
void sim_objtab_remove_if(struct sim_objtab *t, bool (*pred)(const void *val, void *ctx),
			  void (*drop)(void *val, void *ctx), void *ctx);

/*
 * Allocate a number in [first, limit) that is not in the table, searching upward from *cursor and
 * wrapping to `first`, so a freed number is not handed out again until the space has been walked
 * through (stale numbers are then caught as unknown). Advances *cursor past the result.
 * 0 or -ENOSPC if every number is taken. Until the cursor first wraps, the number it points at
 * is above every number handed out (max_key) and is taken without a look-up.
 */
int sim_objtab_alloc_num(const struct sim_objtab *t, uint32_t *cursor, uint32_t first,
			 uint32_t limit, uint32_t *num);

#endif /* MLX5TLS_SIM_OBJTAB_H */
