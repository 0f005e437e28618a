/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * One allocator for key material (library and device model): memory excluded from core dumps
 * (madvise MADV_DONTDUMP), locked in RAM with mlock where RLIMIT_MEMLOCK allows (quietly left
 * unlocked when refused), zeroed on allocation and wiped with explicit_bzero on free.
 *
 * Small allocations share 64 KiB regions carved into power-of-two chunks (32 B .. 4 KiB, one
 * free list per size); larger ones get their own mapping, unmapped after the wipe. Regions of
 * the slab are kept for reuse (their chunks are wiped when freed). Thread-safe: one mutex, and
 * each thread keeps a few chunks per size it freed for its next allocations without it (only
 * object create/destroy allocates secrets, never the datapath).
 */
#ifndef MLX5TLS_SECRET_H
#define MLX5TLS_SECRET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* len zeroed bytes of secret memory (aligned to 16), or NULL with errno ENOMEM. len 0 -> NULL. */
void *secret_alloc(size_t len);
/* Wipe and release what secret_alloc(len) returned; len must be the same. NULL is a no-op. */
void secret_free(void *p, size_t len);

struct secret_stats {
	uint64_t live;          /* allocations not yet freed */
	uint64_t live_bytes;    /* their requested bytes */
	uint64_t mapped_bytes;  /* secret memory mapped (slab regions + large mappings) */
	uint64_t locked_bytes;  /* of which mlock succeeded */
	uint64_t allocs, frees; /* since the start of the process */
	bool mlock_refused;     /* RLIMIT_MEMLOCK (or EPERM) refused a lock: no more tries */
};
void secret_get_stats(struct secret_stats *st);

/* Whether [p, p + len) lies entirely in secret memory (tests, assertions). */
bool secret_owns(const void *p, size_t len);

/* Call fn(ctx, addr, len) for every mapped secret region (tests: scan, /proc/self/smaps). */
void secret_for_each_region(void (*fn)(void *ctx, const void *addr, size_t len), void *ctx);

/* Test hook: when set, called after every wipe secret_free does (address, wiped length). */
extern void (*secret_wipe_hook)(const void *p, size_t len);

#endif
