/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Record buffers for the RX software path (internal). A TLS RX context assembles a record in
 * a buffer of secret memory only while the record is incomplete: a connection between records
 * - an idle one - holds none, so a million idle connections do not hold a million 33 KB
 * buffers. A device keeps a few free buffers for its contexts to take and give back (a large
 * secret allocation is its own mapping: taking one from the pool saves an mmap, mlock and
 * munmap per record boundary); past REC_POOL_KEEP free ones, a buffer given back is wiped and
 * unmapped.
 *
 * A buffer taken from the pool may hold bytes of another connection's earlier record of the
 * same device: the assembler reads only what it wrote (rx_sw's `have`), and secret memory is
 * wiped when it leaves the pool. Thread-safe (the contexts of a device may run on several
 * threads).
 */
#ifndef MLX5TLS_REC_POOL_H
#define MLX5TLS_REC_POOL_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#define REC_POOL_KEEP 32u

struct rec_pool {
	pthread_mutex_t lock;
	size_t len;                     /* bytes of each free buffer */
	unsigned int nfree;
	uint8_t *free[REC_POOL_KEEP];
};

void rec_pool_init(struct rec_pool *p);
/* A buffer of len bytes of secret memory (contents undefined), or NULL with errno ENOMEM. Every
 * buffer of a pool has the same length (its user's record buffer). */
uint8_t *rec_pool_get(struct rec_pool *p, size_t len);
/* Give back a buffer rec_pool_get(p, len) returned (NULL: nothing). */
void rec_pool_put(struct rec_pool *p, uint8_t *buf, size_t len);
/* Wipe and unmap the free buffers (the device goes; every buffer was given back). */
void rec_pool_fini(struct rec_pool *p);

#endif
