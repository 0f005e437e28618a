/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A small number per thread (internal): which row of a set of per-thread counters, or which
 * arena of the secret allocator, a thread writes to. Counts that every thread adds to - the
 * device counters, the process-wide TLS statistics - live in THREAD_SLOTS rows of their own cache
 * lines, and a reader sums the rows: threads that make and drop contexts at once then add to
 * lines no other thread writes, instead of passing one line from core to core on every count.
 * A thread takes its slot at its first call, round robin: up to THREAD_SLOTS threads have one
 * each, more share. A slot is never given back (a thread's counts stay in its row after it
 * exits; only the sum means anything).
 */
#ifndef MLX5TLS_THREAD_SLOT_H
#define MLX5TLS_THREAD_SLOT_H

#define THREAD_SLOTS 16u

/* the slot plus 1; 0 before the first call. initial-exec: a load at a fixed offset from the
 * thread pointer, not a __tls_get_addr call per count (4 bytes of the static TLS that glibc keeps
 * room for, also when the library is dlopen()ed) */
extern _Thread_local unsigned int thread_slot_cur __attribute__((tls_model("initial-exec")));

/* Give the calling thread its slot: 0 .. THREAD_SLOTS - 1. */
unsigned int thread_slot_assign(void);

static inline unsigned int thread_slot(void)
{
	unsigned int s = thread_slot_cur;

	return s ? s - 1 : thread_slot_assign();
}

#endif
