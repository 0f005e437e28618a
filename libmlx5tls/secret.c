/* SPDX-License-Identifier: BSD-3-Clause */
/* Secret memory: see secret.h. */
#include "secret.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define REGION_BYTES (64u * 1024u)
#define MIN_SHIFT 5u  /* 32 B */
#define MAX_SHIFT 12u /* 4 KiB */
#define NCLASS (MAX_SHIFT - MIN_SHIFT + 1u)
#define MAX_REGIONS 4096u /* 256 MiB of slab for allocations of 4 KiB or less */

struct chunk {
	struct chunk *next;
};

struct region {
	void *addr;
	size_t len;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct chunk *free_list[NCLASS];
static struct region regions[MAX_REGIONS]; /* slab regions, for secret_owns / iteration */
static unsigned int nregions;
static struct secret_stats stats; /* mapped, locked, mlock_refused (lock); the rest below */
static _Atomic uint64_t live, live_bytes, allocs, frees;

/*
 * Each thread keeps up to CACHE_MAX wiped chunks per size class that it freed, and takes them
 * back first: a thread that makes and drops contexts (an RX context's keys, a TX context's copy
 * of its key for the software path) takes no process-wide lock once its cache is warm, so
 * contexts on queues of different threads do not wait for each other here (issue 10). A chunk
 * in a cache is wiped like one on the shared list; a thread's cache goes back to the shared
 * lists when the thread exits (the key's destructor).
 */
#define CACHE_MAX 16u

struct tcache {
	struct chunk *head[NCLASS];
	unsigned int n[NCLASS];
	bool registered; /* the key's destructor will give the chunks back */
	bool off;        /* no key (pthread_key_create failed): no cache */
};

static _Thread_local struct tcache tcache;
static pthread_key_t tcache_key;
static pthread_once_t tcache_once = PTHREAD_ONCE_INIT;
static atomic_bool tcache_key_ok;

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

/* Map len bytes (page multiple) excluded from dumps, locked if allowed. Under the lock. */
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
	if (!stats.mlock_refused) {
		if (mlock(p, len) == 0) {
			stats.locked_bytes += len;
			*locked = true;
		} else
			stats.mlock_refused = true; /* RLIMIT_MEMLOCK or EPERM: stop trying, quietly */
	}
	stats.mapped_bytes += len;
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
	uint8_t *p = map_secret(maplen, &locked);

	if (!p)
		return NULL;
	l = (struct large *)(void *)p;
	l->addr = p;
	l->len = maplen;
	l->locked = locked;
	l->prev = NULL;
	l->next = large_list;
	if (large_list)
		large_list->prev = l;
	large_list = l;
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
	maplen = l->len;
	if (l->prev)
		l->prev->next = l->next;
	else
		large_list = l->next;
	if (l->next)
		l->next->prev = l->prev;
	stats.mapped_bytes -= maplen;
	if (l->locked)
		stats.locked_bytes -= maplen;
	munmap(p, maplen); /* unlocks too */
}

static int slab_grow(unsigned int c)
{
	size_t csz = (size_t)1 << (MIN_SHIFT + c);
	bool locked = false;
	uint8_t *p;

	if (nregions == MAX_REGIONS)
		return -ENOMEM;
	p = map_secret(REGION_BYTES, &locked);
	if (!p)
		return -ENOMEM;
	regions[nregions++] = (struct region){ p, REGION_BYTES };
	for (size_t off = REGION_BYTES; off >= csz; off -= csz) {
		struct chunk *ch = (struct chunk *)(void *)(p + off - csz);

		ch->next = free_list[c];
		free_list[c] = ch;
	}
	return 0;
}

/* A thread exits: its cached chunks go back to the shared lists. */
static void tcache_flush(void *arg)
{
	struct tcache *tc = arg;

	pthread_mutex_lock(&lock);
	for (unsigned int c = 0; c < NCLASS; c++)
		while (tc->head[c]) {
			struct chunk *ch = tc->head[c];

			tc->head[c] = ch->next;
			ch->next = free_list[c];
			free_list[c] = ch;
		}
	pthread_mutex_unlock(&lock);
	memset(tc->n, 0, sizeof(tc->n));
	tc->registered = false;
}

static void tcache_key_init(void)
{
	atomic_store(&tcache_key_ok, pthread_key_create(&tcache_key, tcache_flush) == 0);
}

/* The library unloaded (dlclose): a thread that exits later must not call tcache_flush, gone
 * with it; its cached chunks went with the library's mappings' bookkeeping anyway. */
__attribute__((destructor)) static void tcache_key_fini(void)
{
	if (atomic_exchange(&tcache_key_ok, false))
		pthread_key_delete(tcache_key);
}

/* This thread's cache, NULL when it cannot have one (no key: every chunk goes shared). */
static struct tcache *tcache_get(void)
{
	struct tcache *tc = &tcache;

	if (tc->registered)
		return tc;
	if (tc->off)
		return NULL;
	pthread_once(&tcache_once, tcache_key_init);
	if (!atomic_load(&tcache_key_ok) || pthread_setspecific(tcache_key, tc)) {
		tc->off = true;
		return NULL;
	}
	tc->registered = true;
	return tc;
}

void *secret_alloc(size_t len)
{
	struct tcache *tc;
	void *p = NULL;

	if (len == 0) {
		errno = ENOMEM;
		return NULL;
	}
	if (len <= ((size_t)1 << MAX_SHIFT) && (tc = tcache_get()) != NULL &&
	    tc->head[class_of(len)]) {
		/* a chunk this thread freed (wiped then): no lock */
		unsigned int c = class_of(len);
		struct chunk *ch = tc->head[c];

		tc->head[c] = ch->next;
		tc->n[c]--;
		ch->next = NULL;
		p = ch;
	} else {
		pthread_mutex_lock(&lock);
		if (len > ((size_t)1 << MAX_SHIFT)) {
			p = large_alloc(len);
		} else {
			unsigned int c = class_of(len);

			if (free_list[c] || slab_grow(c) == 0) {
				struct chunk *ch = free_list[c];

				free_list[c] = ch->next;
				ch->next = NULL;
				p = ch;
			}
		}
		pthread_mutex_unlock(&lock);
	}
	if (!p) {
		errno = ENOMEM;
		return NULL;
	}
	atomic_fetch_add_explicit(&live, 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&live_bytes, len, memory_order_relaxed);
	atomic_fetch_add_explicit(&allocs, 1, memory_order_relaxed);
	return p;
}

void secret_free(void *p, size_t len)
{
	struct tcache *tc;

	if (!p)
		return;
	atomic_fetch_sub_explicit(&live, 1, memory_order_relaxed);
	atomic_fetch_sub_explicit(&live_bytes, len, memory_order_relaxed);
	atomic_fetch_add_explicit(&frees, 1, memory_order_relaxed);
	if (len > ((size_t)1 << MAX_SHIFT)) {
		pthread_mutex_lock(&lock);
		large_free(p, len);
		pthread_mutex_unlock(&lock);
	} else {
		unsigned int c = class_of(len);
		struct chunk *ch = p;

		/* the whole chunk: a caller may have written past len into the class's slack */
		explicit_bzero(p, (size_t)1 << (MIN_SHIFT + c));
		if (secret_wipe_hook)
			secret_wipe_hook(p, len);
		tc = tcache_get();
		if (tc && tc->n[c] < CACHE_MAX) {
			ch->next = tc->head[c];
			tc->head[c] = ch;
			tc->n[c]++;
			return;
		}
		pthread_mutex_lock(&lock);
		ch->next = free_list[c];
		free_list[c] = ch;
		pthread_mutex_unlock(&lock);
	}
}

void secret_get_stats(struct secret_stats *st)
{
	pthread_mutex_lock(&lock);
	*st = stats;
	pthread_mutex_unlock(&lock);
	st->live = atomic_load_explicit(&live, memory_order_relaxed);
	st->live_bytes = atomic_load_explicit(&live_bytes, memory_order_relaxed);
	st->allocs = atomic_load_explicit(&allocs, memory_order_relaxed);
	st->frees = atomic_load_explicit(&frees, memory_order_relaxed);
}

bool secret_owns(const void *p, size_t len)
{
	uintptr_t a = (uintptr_t)p, e = a + len;
	bool ok = false;

	pthread_mutex_lock(&lock);
	for (unsigned int i = 0; i < nregions && !ok; i++)
		ok = a >= (uintptr_t)regions[i].addr &&
		     e <= (uintptr_t)regions[i].addr + regions[i].len;
	for (const struct large *l = large_list; l && !ok; l = l->next)
		ok = a >= (uintptr_t)l->addr && e <= (uintptr_t)l->addr + l->len;
	pthread_mutex_unlock(&lock);
	return ok;
}

void secret_for_each_region(void (*fn)(void *ctx, const void *addr, size_t len), void *ctx)
{
	pthread_mutex_lock(&lock);
	for (unsigned int i = 0; i < nregions; i++)
		fn(ctx, regions[i].addr, regions[i].len);
	for (const struct large *l = large_list; l; l = l->next)
		fn(ctx, l->addr, l->len);
	pthread_mutex_unlock(&lock);
}
