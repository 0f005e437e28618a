/* SPDX-License-Identifier: BSD-3-Clause */
/* Allocation-failure injection: see failalloc.h. */
#include "failalloc.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <openssl/crypto.h>

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t sz);
void *__real_realloc(void *p, size_t n);
void *__real_aligned_alloc(size_t align, size_t n);
int __real_posix_memalign(void **p, size_t align, size_t n);
char *__real_strdup(const char *s);
void *__real_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off);

void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t sz);
void *__wrap_realloc(void *p, size_t n);
void *__wrap_aligned_alloc(size_t align, size_t n);
int __wrap_posix_memalign(void **p, size_t align, size_t n);
char *__wrap_strdup(const char *s);
void *__wrap_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off);

static _Atomic uint64_t seen, fail_at;
static atomic_bool fired;

void failalloc_arm(uint64_t n)
{
	atomic_store(&seen, 0);
	atomic_store(&fired, false);
	atomic_store(&fail_at, n);
}

uint64_t failalloc_count(void)
{
	return atomic_load(&seen);
}

bool failalloc_fired(void)
{
	return atomic_load(&fired);
}

static bool fail_now(void)
{
	uint64_t n = atomic_fetch_add(&seen, 1) + 1;

	if (n == atomic_load(&fail_at)) {
		atomic_store(&fired, true);
		errno = ENOMEM;
		return true;
	}
	return false;
}

void *__wrap_malloc(size_t n)
{
	return fail_now() ? NULL : __real_malloc(n);
}

void *__wrap_calloc(size_t n, size_t sz)
{
	return fail_now() ? NULL : __real_calloc(n, sz);
}

void *__wrap_realloc(void *p, size_t n)
{
	return fail_now() ? NULL : __real_realloc(p, n);
}

void *__wrap_aligned_alloc(size_t align, size_t n)
{
	return fail_now() ? NULL : __real_aligned_alloc(align, n);
}

int __wrap_posix_memalign(void **p, size_t align, size_t n)
{
	return fail_now() ? ENOMEM : __real_posix_memalign(p, align, n);
}

char *__wrap_strdup(const char *s)
{
	return fail_now() ? NULL : __real_strdup(s);
}

void *__wrap_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	/* anonymous mappings are allocations (secret memory, queue buffers); file ones are not */
	if ((flags & MAP_ANONYMOUS) && fail_now())
		return MAP_FAILED;
	return __real_mmap(addr, len, prot, flags, fd, off);
}

static void *o_malloc(size_t n, const char *file, int line)
{
	(void)file;
	(void)line;
	return fail_now() ? NULL : __real_malloc(n);
}

static void *o_realloc(void *p, size_t n, const char *file, int line)
{
	(void)file;
	(void)line;
	return fail_now() ? NULL : __real_realloc(p, n);
}

static void o_free(void *p, const char *file, int line)
{
	(void)file;
	(void)line;
	free(p);
}

void failalloc_take_openssl(void)
{
	(void)CRYPTO_set_mem_functions(o_malloc, o_realloc, o_free);
}
