/* SPDX-License-Identifier: BSD-3-Clause */
/* Secret memory: see secret.h. */
#include "secret.h"
#include "thread_slot.h"

#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define REGION_BYTES (64u * 1024u)
#define MIN_SHIFT 5u  /* 32 B */
#define MAX_SHIFT 12u /* 4 KiB */
#define NCLASS (MAX_SHIFT - MIN_SHIFT + 1u)
#define MAX_REGIONS 4096u /* 256 MiB of slab for allocations of 4 KiB or less */
#define NARENA THREAD_SLOTS /* see struct arena */

struct chunk {
	struct chunk *next;
};

struct region {
	void *addr;
	size_t len;
};

/*
 * The free chunks, in arenas: a thread takes chunks from its own arena and gives the chunks it
 * frees to its own arena (a chunk made by one thread and freed by another just changes arena),
 * so threads that make and drop contexts at the same time - each TX context's model engine
 * state and every key copy are secret memory - do not queue on one lock. A thread's arena is
 * its slot's (thread_slot.h): up to NARENA threads have one each. Each arena counts its own
 * allocations and frees; the counts of an arena where chunks were freed but not made go below
 * zero (unsigned wrap), and only their sum over the arenas means anything (secret_get_stats).
 * Lock order: an arena's lock -> map_lock.
 */
struct arena {
	pthread_mutex_t lock;
	struct chunk *free_list[NCLASS];
	uint64_t live, live_bytes, allocs, frees;
} __attribute__((aligned(64))); /* one arena's lock shares no line with another's */

#define ARENA_INIT { .lock = PTHREAD_MUTEX_INITIALIZER }
_Static_assert(NARENA == 16, "arenas[] below lists 16 initializers");
static struct arena arenas[NARENA] = {
	ARENA_INIT, ARENA_INIT, ARENA_INIT, ARENA_INIT, ARENA_INIT, ARENA_INIT, ARENA_INIT,
	ARENA_INIT, ARENA_INIT, ARENA_INIT, ARENA_INIT, ARENA_INIT, ARENA_INIT, ARENA_INIT,
	ARENA_INIT, ARENA_INIT,
};

/* The mappings: slab regions, large mappings and what they add up to. */
static pthread_mutex_t map_lock = PTHREAD_MUTEX_INITIALIZER;
static struct region regions[MAX_REGIONS]; /* slab regions, for secret_owns / iteration */
static unsigned int nregions;
static struct secret_stats map_stats; /* mapped_bytes, locked_bytes, mlock_refused */

/* Large mappings (more than 4 KiB), each with this record in its first 64 bytes. */
struct large {
	void *addr;
	size_t len;
	bool locked;
	struct large *next, *prev;
};
static struct large *large_list;

void (*secret_wipe_hook)(const void *p, size_t len);

static unsigned int class_of(size_t len)
{
	unsigned int c = 0;

	while (((size_t)1 << (MIN_SHIFT + c)) < len)
		c++;
	return c;
}

/* Map len bytes (page multiple) excluded from dumps, locked if allowed. Under map_lock. */
static void *map_secret(size_t len, bool *locked)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	/* MADV_DONTDUMP exists since Linux 3.4; a refusal leaves the memory usable (and dumped) */
	(void)madvise(p, len, MADV_DONTDUMP);
	/* MADV_WIPEONFORK: a forked child sees zeroes instead of the parent's keys */
#ifdef MADV_WIPEONFORK
	(void)madvise(p, len, MADV_WIPEONFORK);
#endif
	if (!map_stats.mlock_refused) {
		if (mlock(p, len) == 0) {
			map_stats.locked_bytes += len;
			*locked = true;
		} else
			map_stats.mlock_refused = true; /* RLIMIT_MEMLOCK or EPERM: stop, quietly */
	}
	map_stats.mapped_bytes += len;
	return p;
}

static size_t page_round(size_t len)
{
	size_t pg = (size_t)sysconf(_SC_PAGESIZE);

	return (len + pg - 1) / pg * pg;
}

static void *large_alloc(size_t len)
{
	struct large *l;
	size_t maplen = page_round(len + 64); /* the record lives in the mapping's first 64 bytes */
	bool locked = false;
	uint8_t *p;

	pthread_mutex_lock(&map_lock);
	p = map_secret(maplen, &locked);
	if (!p) {
		pthread_mutex_unlock(&map_lock);
		return NULL;
	}
	l = (struct large *)(void *)p;
	l->addr = p;
	l->len = maplen;
	l->locked = locked;
	l->prev = NULL;
	l->next = large_list;
	if (large_list)
		large_list->prev = l;
	large_list = l;
	pthread_mutex_unlock(&map_lock);
	return p + 64;
}

static void large_free(void *q, size_t len)
{
	uint8_t *p = (uint8_t *)q - 64;
	struct large *l;
	size_t maplen;

	explicit_bzero(q, len);
	if (secret_wipe_hook)
		secret_wipe_hook(q, len);
	l = (struct large *)(void *)p;
	pthread_mutex_lock(&map_lock);
	maplen = l->len;
	if (l->prev)
		l->prev->next = l->next;
	else
		large_list = l->next;
	if (l->next)
		l->next->prev = l->prev;
	map_stats.mapped_bytes -= maplen;
	if (l->locked)
		map_stats.locked_bytes -= maplen;
	pthread_mutex_unlock(&map_lock);
	munmap(p, maplen); /* unlocks too */
}

/* A new region of class c's chunks on arena a's free list. Under a's lock. */
static int slab_grow(struct arena *a, unsigned int c)
{
	size_t csz = (size_t)1 << (MIN_SHIFT + c);
	bool locked = false;
	uint8_t *p = NULL;

	pthread_mutex_lock(&map_lock);
	if (nregions < MAX_REGIONS)
		p = map_secret(REGION_BYTES, &locked);
	if (p)
		regions[nregions++] = (struct region){ p, REGION_BYTES };
	pthread_mutex_unlock(&map_lock);
	if (!p)
		return -ENOMEM;
	for (size_t off = REGION_BYTES; off >= csz; off -= csz) {
		struct chunk *ch = (struct chunk *)(void *)(p + off - csz);

		ch->next = a->free_list[c];
		a->free_list[c] = ch;
	}
	return 0;
}

static struct arena *arena_of_thread(void)
{
	return &arenas[thread_slot()];
}

void *secret_alloc(size_t len)
{
	struct arena *a = arena_of_thread();
	void *p = NULL;

	if (len == 0) {
		errno = ENOMEM;
		return NULL;
	}
	if (len > ((size_t)1 << MAX_SHIFT))
		p = large_alloc(len);
	pthread_mutex_lock(&a->lock);
	if (len <= ((size_t)1 << MAX_SHIFT)) {
		unsigned int c = class_of(len);

		if (a->free_list[c] || slab_grow(a, c) == 0) {
			struct chunk *ch = a->free_list[c];

			a->free_list[c] = ch->next;
			ch->next = NULL;
			p = ch;
		}
	}
	if (p) {
		a->live++;
		a->live_bytes += len;
		a->allocs++;
	}
	pthread_mutex_unlock(&a->lock);
	if (!p) {
		errno = ENOMEM;
		return NULL;
	}
	return p;
}

void secret_free(void *p, size_t len)
{
	struct arena *a;

	if (!p)
		return;
	if (len > ((size_t)1 << MAX_SHIFT))
		large_free(p, len);
	a = arena_of_thread();
	pthread_mutex_lock(&a->lock);
	a->live--;
	a->live_bytes -= len;
	a->frees++;
	if (len <= ((size_t)1 << MAX_SHIFT)) {
		unsigned int c = class_of(len);
		struct chunk *ch = p;

		/* the whole chunk: a caller may have written past len into the class's slack */
		explicit_bzero(p, (size_t)1 << (MIN_SHIFT + c));
		if (secret_wipe_hook)
			secret_wipe_hook(p, len);
		ch->next = a->free_list[c];
		a->free_list[c] = ch;
	}
	pthread_mutex_unlock(&a->lock);
}

void secret_get_stats(struct secret_stats *st)
{
	memset(st, 0, sizeof(*st));
	for (unsigned int i = 0; i < NARENA; i++) {
		struct arena *a = &arenas[i];

		pthread_mutex_lock(&a->lock);
		st->live += a->live;
		st->live_bytes += a->live_bytes;
		st->allocs += a->allocs;
		st->frees += a->frees;
		pthread_mutex_unlock(&a->lock);
	}
	pthread_mutex_lock(&map_lock);
	st->mapped_bytes = map_stats.mapped_bytes;
	st->locked_bytes = map_stats.locked_bytes;
	st->mlock_refused = map_stats.mlock_refused;
	pthread_mutex_unlock(&map_lock);
}

bool secret_owns(const void *p, size_t len)
{
	uintptr_t a = (uintptr_t)p, e = a + len;
	bool ok = false;

	pthread_mutex_lock(&map_lock);
	for (unsigned int i = 0; i < nregions && !ok; i++)
		ok = a >= (uintptr_t)regions[i].addr &&
		     e <= (uintptr_t)regions[i].addr + regions[i].len;
	for (const struct large *l = large_list; l && !ok; l = l->next)
		ok = a >= (uintptr_t)l->addr && e <= (uintptr_t)l->addr + l->len;
	pthread_mutex_unlock(&map_lock);
	return ok;
}

void secret_for_each_region(void (*fn)(void *ctx, const void *addr, size_t len), void *ctx)
{
	pthread_mutex_lock(&map_lock);
	for (unsigned int i = 0; i < nregions; i++)
		fn(ctx, regions[i].addr, regions[i].len);
	for (const struct large *l = large_list; l; l = l->next)
		fn(ctx, l->addr, l->len);
	pthread_mutex_unlock(&map_lock);
}
