/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Private to the DevX interposer's datapath files: shim_doorbell.c (the device's wire and its
 * doorbell watcher), shim_qp.c (raw packet QPs, closing a context's datapath objects), shim_cq.c
 * (CQs) and shim_mr.c (MRs). What crosses between them, and the helpers they share.
 */
#ifndef MLX5TLS_SHIM_DP_H
#define MLX5TLS_SHIM_DP_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>

#include "shim_internal.h"

/* The verbs' failure returns: NULL or the errno, with errno set (libibverbs' convention). */
static inline void *fail_ptr(int err)
{
	errno = err;
	return NULL;
}

static inline int fail(int err)
{
	errno = err;
	return err;
}

/* The provider's ring sizes are powers of two (CQ entries, SQ bytes); 0 above 32 bits. */
static inline uint32_t roundup_pow2(uint64_t v)
{
	uint64_t p = 1;

	while (p < v)
		p <<= 1;
	return p > UINT32_MAX ? 0 : (uint32_t)p;
}

/* shim_doorbell.c: put a new QP on its device's watch list, starting the watcher with the first
 * (0 or errno); take it off (it is not looked at afterwards), stopping the watcher with the
 * last. */
SHIM_HIDDEN int shim_watch_add(struct shim_device *dev, struct shim_qp *q);
SHIM_HIDDEN void shim_watch_del(struct shim_device *dev, struct shim_qp *q);

/* shim_cq.c, shim_mr.c: destroy a CQ / MR already unlinked from its context (closing a context,
 * shim_qp.c, frees them after its QPs). */
SHIM_HIDDEN void shim_cq_free(struct shim_cq *cq);
SHIM_HIDDEN void shim_mr_free(struct shim_mr *mr);

#endif /* MLX5TLS_SHIM_DP_H */
