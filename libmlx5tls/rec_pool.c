/* SPDX-License-Identifier: BSD-3-Clause */
/* Record buffers for the RX software path: a device's few free ones (rec_pool.h). */
#include <errno.h>

#include "rec_pool.h"
#include "secret.h"

void rec_pool_init(struct rec_pool *p)
{
	pthread_mutex_init(&p->lock, NULL);
	p->len = 0;
	p->nfree = 0;
}

uint8_t *rec_pool_get(struct rec_pool *p, size_t len)
{
	uint8_t *buf = NULL;

	pthread_mutex_lock(&p->lock);
	if (p->nfree && p->len == len)
		buf = p->free[--p->nfree];
	pthread_mutex_unlock(&p->lock);
	return buf ? buf : secret_alloc(len);
}

void rec_pool_put(struct rec_pool *p, uint8_t *buf, size_t len)
{
	if (!buf)
		return;
	pthread_mutex_lock(&p->lock);
	if (!p->nfree)
		p->len = len;
	if (p->nfree < REC_POOL_KEEP && p->len == len) {
		p->free[p->nfree++] = buf;
		buf = NULL;
	}
	pthread_mutex_unlock(&p->lock);
	secret_free(buf, len); /* more free than kept: wiped and unmapped (NULL: kept) */
}

void rec_pool_fini(struct rec_pool *p)
{
	while (p->nfree)
		secret_free(p->free[--p->nfree], p->len);
	pthread_mutex_destroy(&p->lock);
}
