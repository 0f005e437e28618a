/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A reader-writer lock for tables read far more often than changed, by threads that must not
 * pass one cache line between their cores on every read (issue 10: RX connections made on
 * several threads at once look up their TD and RQ on each CREATE_TIR). One rwlock per thread
 * slot (thread_slot.h), each on its own cache line: a reader takes its slot's only, a writer
 * every slot's, in slot order. Readers of different slots share no line; a writer (an ALLOC or
 * DEALLOC of a PD or TD, an RQ made or destroyed) pays 16 lock pairs, which those rare commands
 * can. Threads past THREAD_SLOTS share slots, as readers of one rwlock.
 */
#ifndef MLX5TLS_SIM_BRLOCK_H
#define MLX5TLS_SIM_BRLOCK_H

#include <pthread.h>

#include "thread_slot.h"

struct sim_brlock {
	struct {
		_Alignas(64) pthread_rwlock_t lock;
	} slot[THREAD_SLOTS];
};

/* 0 or -errno (nothing left initialised). */
static inline int sim_brlock_init(struct sim_brlock *b)
{
	for (unsigned int i = 0; i < THREAD_SLOTS; i++) {
		int ret = pthread_rwlock_init(&b->slot[i].lock, NULL);

		if (ret) {
			while (i--)
				pthread_rwlock_destroy(&b->slot[i].lock);
			return -ret;
		}
	}
	return 0;
}

static inline void sim_brlock_fini(struct sim_brlock *b)
{
	for (unsigned int i = 0; i < THREAD_SLOTS; i++)
		pthread_rwlock_destroy(&b->slot[i].lock);
}

/* Returns the slot taken, for sim_brlock_rdunlock (the same thread). */
static inline unsigned int sim_brlock_rdlock(struct sim_brlock *b)
{
	unsigned int s = thread_slot();

	pthread_rwlock_rdlock(&b->slot[s].lock);
	return s;
}

static inline void sim_brlock_rdunlock(struct sim_brlock *b, unsigned int s)
{
	pthread_rwlock_unlock(&b->slot[s].lock);
}

static inline void sim_brlock_wrlock(struct sim_brlock *b)
{
	for (unsigned int i = 0; i < THREAD_SLOTS; i++)
		pthread_rwlock_wrlock(&b->slot[i].lock);
}

static inline void sim_brlock_wrunlock(struct sim_brlock *b)
{
	for (unsigned int i = THREAD_SLOTS; i--;)
		pthread_rwlock_unlock(&b->slot[i].lock);
}

#endif /* MLX5TLS_SIM_BRLOCK_H */
