/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Memory regions: what lets the engine read a data segment's (lkey, addr, byte_count). There is
 * no IOMMU in the model, so addr is a process virtual address, but only inside a region
 * registered here; anything else is a local protection error, as an unknown or too-short mkey is
 * on hardware (MLX5_CQE_SYNDROME_LOCAL_PROT_ERR). Keys look like mlx5 mkeys: index << 8 | an
 * 8-bit variant that changes on each registration, so a stale lkey is caught even when its index
 * has been reused.
 *
 * Access: the device reads any region (gathers, DUMP data) and writes (receive scatter, GET_PSV
 * results) only into regions registered with SIM_MR_ACCESS_LOCAL_WRITE - rdma-core's
 * IBV_ACCESS_LOCAL_WRITE, which it requires for receive buffers; a write into a read-only region
 * is a local protection error like an unknown lkey (SIM_VSYND_MR_NO_WRITE).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sim/sq_internal.h"

struct sim_mr {
	uint32_t lkey;
	uint32_t pd;
	uint32_t access;
	uintptr_t addr;
	size_t len;
};

static int mr_reg(struct sim_dev *dev, uint32_t pd, const void *addr, size_t len, uint32_t access,
		  uint32_t *lkey)
{
	struct sim_dp *dp;
	struct sim_mr *mr;
	uint32_t idx = 0;
	int ret;

	if (!dev || !addr || !len || !lkey || (uintptr_t)addr + len < (uintptr_t)addr ||
	    (access & ~SIM_MR_ACCESS_LOCAL_WRITE))
		return -EINVAL;
	dp = sim_dp_get(dev);
	if (!dp)
		return -ENOMEM;
	mr = calloc(1, sizeof(*mr));
	if (!mr) {
		sim_dp_put(dev);
		return -ENOMEM;
	}
	pthread_rwlock_wrlock(&dp->mr_lock);
	/* mkey indexes are 24 bits */
	ret = sim_objtab_alloc_num(&dp->mrs, &dp->mr_cursor, SIM_MR_INDEX_FIRST, SIM_OBJ_NUM_LIMIT,
				   &idx);
	if (!ret) {
		mr->lkey = idx << 8 | dp->mr_variant++;
		mr->pd = pd;
		mr->access = access;
		mr->addr = (uintptr_t)addr;
		mr->len = len;
		ret = sim_objtab_put(&dp->mrs, idx, mr);
	}
	pthread_rwlock_unlock(&dp->mr_lock);
	if (ret) {
		free(mr);
		sim_dp_put(dev);
		return ret;
	}
	*lkey = mr->lkey;
	return 0;
}

int sim_mr_reg(struct sim_dev *dev, uint32_t pd, const void *addr, size_t len, uint32_t *lkey)
{
	return mr_reg(dev, pd, addr, len, 0, lkey);
}

int sim_mr_reg_access(struct sim_dev *dev, uint32_t pd, void *addr, size_t len, uint32_t access,
		      uint32_t *lkey)
{
	return mr_reg(dev, pd, addr, len, access, lkey);
}

int sim_mr_dereg(struct sim_dev *dev, uint32_t lkey)
{
	struct sim_dp *dp;
	struct sim_mr *mr = NULL;

	if (!dev)
		return -EINVAL;
	pthread_mutex_lock(&dev->lock);
	dp = dev->dp;
	pthread_mutex_unlock(&dev->lock);
	if (!dp)
		return -ENOENT;
	/* dp stays alive: the region being deregistered holds a reference until sim_dp_put. */
	pthread_rwlock_wrlock(&dp->mr_lock);
	mr = sim_objtab_get(&dp->mrs, lkey >> 8);
	if (mr && mr->lkey == lkey)
		sim_objtab_del(&dp->mrs, lkey >> 8);
	else
		mr = NULL;
	pthread_rwlock_unlock(&dp->mr_lock);
	if (!mr)
		return -ENOENT;
	free(mr);
	sim_dp_put(dev);
	return 0;
}

/* The region covering (lkey, addr, len) for this access, or the vsynd why not; mr_lock held. */
static int mr_check(struct sim_dp *dp, uint32_t pd, uint32_t lkey, uint64_t addr, uint32_t len,
		    bool write)
{
	const struct sim_mr *mr = sim_objtab_get(&dp->mrs, lkey >> 8);

	if (!mr || mr->lkey != lkey)
		return SIM_VSYND_LKEY_UNKNOWN;
	if (pd && mr->pd && mr->pd != pd)
		return SIM_VSYND_PD_MISMATCH;
	if (addr < mr->addr || addr - mr->addr > mr->len || len > mr->len - (addr - mr->addr))
		return SIM_VSYND_ADDR_OUT_OF_MR;
	if (write && !(mr->access & SIM_MR_ACCESS_LOCAL_WRITE))
		return SIM_VSYND_MR_NO_WRITE;
	return 0;
}

int sim_mr_read(struct sim_dp *dp, uint32_t pd, uint32_t lkey, uint64_t addr, uint32_t len,
		void *dst)
{
	int ret;

	pthread_rwlock_rdlock(&dp->mr_lock);
	ret = mr_check(dp, pd, lkey, addr, len, false);
	if (!ret)
		/* The copy is made under the lock so a concurrent dereg cannot free the region
		 * mid-read (the memory itself is the caller's, as with DMA). */
		memcpy(dst, (const void *)(uintptr_t)addr, len);
	pthread_rwlock_unlock(&dp->mr_lock);
	return ret;
}

void sim_mr_read_lock(struct sim_dp *dp)
{
	pthread_rwlock_rdlock(&dp->mr_lock);
}

void sim_mr_read_unlock(struct sim_dp *dp)
{
	pthread_rwlock_unlock(&dp->mr_lock);
}

int sim_mr_ptr(struct sim_dp *dp, uint32_t pd, uint32_t lkey, uint64_t addr, uint32_t len,
	       const uint8_t **p)
{
	int ret = mr_check(dp, pd, lkey, addr, len, false);

	*p = ret ? NULL : (const uint8_t *)(uintptr_t)addr;
	return ret;
}

int sim_mr_wptr(struct sim_dp *dp, uint32_t pd, uint32_t lkey, uint64_t addr, uint32_t len,
		uint8_t **p)
{
	int ret = mr_check(dp, pd, lkey, addr, len, true);

	*p = ret ? NULL : (uint8_t *)(uintptr_t)addr;
	return ret;
}

int sim_mr_write(struct sim_dp *dp, uint32_t pd, uint32_t lkey, uint64_t addr, uint32_t len,
		 const void *src)
{
	int ret;

	pthread_rwlock_rdlock(&dp->mr_lock);
	ret = mr_check(dp, pd, lkey, addr, len, true);
	if (!ret)
		memcpy((void *)(uintptr_t)addr, src, len);
	pthread_rwlock_unlock(&dp->mr_lock);
	return ret;
}

static bool mr_any(const void *val, void *ctx)
{
	(void)val;
	(void)ctx;
	return true;
}

static void mr_free(void *val, void *ctx)
{
	(void)ctx;
	free(val);
}

void sim_mr_destroy_all(struct sim_dp *dp)
{
	sim_objtab_remove_if(&dp->mrs, mr_any, mr_free, NULL);
}
