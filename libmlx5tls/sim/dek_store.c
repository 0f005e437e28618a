/* SPDX-License-Identifier: BSD-3-Clause */
#include "sim/dek_store.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "secret.h"

static uint32_t bitmap_words(uint32_t elems)
{
	return (elems + 63) / 64;
}

static bool test_bit(const uint64_t *map, uint32_t idx)
{
	return (map[idx / 64] >> (idx % 64)) & 1;
}

static void put_bit(uint64_t *map, uint32_t idx, bool on)
{
	if (on)
		map[idx / 64] |= 1ull << (idx % 64);
	else
		map[idx / 64] &= ~(1ull << (idx % 64));
}

struct sim_dek *sim_dek_find(struct sim_dev *dev, uint32_t id)
{
	/* Ranges are 2^L-aligned (fact sheet 3.5: element i is base + i), so the only candidate
	 * base for a size 2^L is id with its low L bits cleared: one probe per size in use. */
	for (uint32_t log = 0; log < 32; log++) {
		struct sim_dek *d;

		if (!dev->dek_objs_by_log[log])
			continue;
		d = sim_objtab_get(&dev->deks, id & ~((1u << log) - 1));
		if (d && d->log_range == log)
			return d;
	}
	return NULL;
}

/* End of a live DEK object overlapping [start, start + n), or 0 if the run is free. */
static uint32_t overlap_end(struct sim_dev *dev, uint32_t start, uint32_t n)
{
	for (uint32_t log = 0; log < 32; log++) {
		uint32_t size = 1u << log;
		const struct sim_dek *d;

		if (!dev->dek_objs_by_log[log])
			continue;
		if (size >= n) {
			/* A larger (or equal) aligned object covers the whole run, or none of it. */
			d = sim_objtab_get(&dev->deks, start & ~(size - 1));
			if (d && d->log_range == log)
				return d->base + size;
			continue;
		}
		for (uint32_t b = start; b < start + n; b += size) {
			d = sim_objtab_get(&dev->deks, b);
			if (d && d->log_range == log)
				return b + size;
		}
	}
	return 0;
}

static uint64_t align_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) & ~(a - 1);
}

int sim_dek_alloc_ids(struct sim_dev *dev, uint8_t log_range, uint32_t *base)
{
	const uint64_t n = 1ull << log_range;
	const uint64_t first = align_up(SIM_DEK_ID_FIRST, n);
	uint64_t start = dev->dek_cursor, c = align_up(start, n);
	bool wrapped = false;

	/* Monotonic with wrap (as the other object numbers): a freed id is not handed out again
	 * until the id space has been walked through, so stale ids are caught as unknown. */
	for (;;) {
		uint32_t end;

		if (c + n > SIM_OBJ_NUM_LIMIT) {
			if (wrapped)
				return -ENOSPC;
			wrapped = true;
			c = first;
		}
		if (wrapped && c >= start)
			return -ENOSPC; /* walked the whole space */
		end = overlap_end(dev, (uint32_t)c, (uint32_t)n);
		if (!end) {
			*base = (uint32_t)c;
			dev->dek_cursor = c + n < SIM_OBJ_NUM_LIMIT ? (uint32_t)(c + n) : SIM_DEK_ID_FIRST;
			return 0;
		}
		c = align_up(end, n);
	}
}

struct sim_dek *sim_dek_insert(struct sim_dev *dev, uint32_t base, uint8_t log_range)
{
	uint32_t elems = 1u << log_range, words = bitmap_words(elems);
	/* A single DEK is always keyed at CREATE, so its key storage comes with the record. Keys
	 * live in secret memory (secret.h): out of core dumps, wiped on free. */
	bool keys_inline = elems == 1;
	size_t size = sizeof(struct sim_dek) + 3 * (size_t)words * sizeof(uint64_t);
	struct sim_dek *d = calloc(1, size);

	if (!d)
		return NULL;
	d->base = base;
	d->log_range = log_range;
	d->keyed = d->bits;
	d->size_256 = d->bits + words;
	d->loaded = d->bits + 2 * words;
	if (keys_inline) {
		d->keys = secret_alloc(SIM_DEK_KEY_MAX);
		if (!d->keys) {
			free(d);
			return NULL;
		}
		d->keys_inline = true;
	}
	if (sim_objtab_put(&dev->deks, base, d)) {
		secret_free(d->keys, SIM_DEK_KEY_MAX);
		free(d);
		return NULL;
	}
	dev->dek_objs_by_log[log_range]++;
	dev->dek_ids_live += elems;
	dev->stats.dek_objects++;
	dev->stats.deks = (uint32_t)dev->dek_ids_live;
	return d;
}

void sim_dek_remove(struct sim_dev *dev, struct sim_dek *d, bool unlinked)
{
	uint32_t elems = sim_dek_elems(d);

	sim_dp_deks_gone_locked(dev, sim_dek_shard_index(d), d->base, elems);
	if (!unlinked)
		sim_objtab_del(&dev->deks, d->base);
	dev->dek_objs_by_log[d->log_range]--;
	dev->dek_ids_live -= elems;
	dev->stats.dek_objects--;
	dev->stats.deks = (uint32_t)dev->dek_ids_live;
	/* The model is the device: it held the keys, it must not leave them in freed memory. */
	secret_free(d->keys, (size_t)elems * SIM_DEK_KEY_MAX); /* wipes */
	free(d);
}

bool sim_dek_elem_keyed(const struct sim_dek *d, uint32_t idx)
{
	return test_bit(d->keyed, idx);
}

bool sim_dek_elem_is_256(const struct sim_dek *d, uint32_t idx)
{
	return test_bit(d->size_256, idx);
}

bool sim_dek_elem_loaded_this_epoch(const struct sim_dek *d, uint64_t epoch, uint32_t idx)
{
	return d->epoch == epoch && test_bit(d->loaded, idx);
}

int sim_dek_elem_load(struct sim_dev *dev, struct sim_dek *d, uint64_t epoch, uint32_t idx,
		      const uint8_t *key, bool is_256)
{
	uint32_t elems = sim_dek_elems(d);

	if (!d->keys) {
		d->keys = secret_alloc((size_t)elems * SIM_DEK_KEY_MAX);
		if (!d->keys)
			return -ENOMEM;
	}
	/* SYNC_CRYPTO only bumps the device epoch; a record's `loaded` bits are cleared lazily here,
	 * so a sync costs O(1) however many DEKs are live. */
	if (d->epoch != epoch) {
		memset(d->loaded, 0, bitmap_words(elems) * sizeof(uint64_t));
		d->epoch = epoch;
	}
	/* a TIS keyed from the old key has nothing left to encrypt with */
	if (test_bit(d->keyed, idx))
		sim_dp_deks_gone_locked(dev, sim_dek_shard_index(d), d->base + idx, 1);
	explicit_bzero(d->keys[idx], SIM_DEK_KEY_MAX);
	memcpy(d->keys[idx], key, is_256 ? 32 : 16);
	put_bit(d->keyed, idx, true);
	put_bit(d->size_256, idx, is_256);
	put_bit(d->loaded, idx, true);
	return 0;
}
