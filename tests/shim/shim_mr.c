/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DevX interposer, memory regions: ibv_reg_mr, ibv_reg_mr_iova2 and ibv_dereg_mr (devx-userspace
 * A7) on the model's memory regions (sim_mr_reg_access), on the PD's pdn; the PD counts its MRs
 * so that the kernel's refusal to free a PD in use can be kept.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "shim_dp.h"

static struct ibv_mr *reg_mr(struct ibv_pd *ibpd, void *addr, size_t length, uint64_t iova,
			     unsigned int access)
{
	struct shim_pd *pd = shim_pd_of(ibpd);
	struct shim_context *ctx;
	struct shim_mr *mr;
	uint32_t lkey = 0;
	int ret;

	if (!pd)
		return fail_ptr(EINVAL);
	ctx = shim_context_of(pd->ibpd.context);
	if (!ctx || !length)
		return fail_ptr(EINVAL);
	/* ib_check_mr_access: remote write/atomic need local write */
	if ((access & (IBV_ACCESS_REMOTE_WRITE | IBV_ACCESS_REMOTE_ATOMIC)) &&
	    !(access & IBV_ACCESS_LOCAL_WRITE))
		return fail_ptr(EINVAL);
	/* Data segments carry process addresses in the model (sim.h): no IOVA translation. */
	if (iova != (uintptr_t)addr) {
		fprintf(stderr, "devx_shim: ibv_reg_mr with iova != addr is not emulated\n");
		return fail_ptr(EOPNOTSUPP);
	}
	mr = calloc(1, sizeof(*mr));
	if (!mr)
		return fail_ptr(ENOMEM);
	/* IBV_ACCESS_LOCAL_WRITE lets the device write the region (receive buffers); local read
	 * is always granted (sim_mr_reg_access) */
	ret = sim_mr_reg_access(ctx->dev->sim, pd->pdn, addr, length,
				(access & IBV_ACCESS_LOCAL_WRITE) ? SIM_MR_ACCESS_LOCAL_WRITE : 0,
				&lkey);
	if (ret) {
		free(mr);
		return fail_ptr(-ret);
	}
	mr->magic = SHIM_MR_MAGIC;
	mr->ctx = ctx;
	mr->pd = pd;
	mr->ibmr.context = pd->ibpd.context;
	mr->ibmr.pd = ibpd;
	mr->ibmr.addr = addr;
	mr->ibmr.length = length;
	mr->ibmr.handle = lkey;
	mr->ibmr.lkey = lkey;
	mr->ibmr.rkey = lkey;
	atomic_fetch_add(&pd->users, 1);
	pthread_mutex_lock(&ctx->lock);
	mr->next = ctx->mrs;
	ctx->mrs = mr;
	pthread_mutex_unlock(&ctx->lock);
	return &mr->ibmr;
}

/* <infiniband/verbs.h> makes ibv_reg_mr a macro that calls this symbol when the access flags
 * are a constant without IBV_ACCESS_OPTIONAL_RANGE, else ibv_reg_mr_iova2: both are
 * interposed. The parentheses keep the macro from expanding here. */
struct ibv_mr *(ibv_reg_mr)(struct ibv_pd *pd, void *addr, size_t length, int access)
{
	shim_count(SHIM_IBV_REG_MR);
	return reg_mr(pd, addr, length, (uintptr_t)addr, (unsigned int)access);
}

struct ibv_mr *ibv_reg_mr_iova2(struct ibv_pd *pd, void *addr, size_t length, uint64_t iova,
				unsigned int access)
{
	shim_count(SHIM_IBV_REG_MR_IOVA2);
	return reg_mr(pd, addr, length, iova, access);
}

void shim_mr_free(struct shim_mr *mr)
{
	if (sim_mr_dereg(mr->ctx->dev->sim, mr->ibmr.lkey))
		fprintf(stderr, "devx_shim: model lost MR 0x%x\n", mr->ibmr.lkey);
	atomic_fetch_sub(&mr->pd->users, 1);
	mr->magic = 0;
	free(mr);
}

int ibv_dereg_mr(struct ibv_mr *ibmr)
{
	struct shim_mr *mr = (struct shim_mr *)ibmr;
	struct shim_context *ctx;

	shim_count(SHIM_IBV_DEREG_MR);
	if (!mr || mr->magic != SHIM_MR_MAGIC)
		return fail(EINVAL);
	ctx = mr->ctx;
	pthread_mutex_lock(&ctx->lock);
	for (struct shim_mr **pp = &ctx->mrs; *pp; pp = &(*pp)->next) {
		if (*pp == mr) {
			*pp = mr->next;
			break;
		}
	}
	pthread_mutex_unlock(&ctx->lock);
	shim_mr_free(mr);
	return 0;
}
