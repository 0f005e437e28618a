/* SPDX-License-Identifier: BSD-3-Clause */
/* Memory regions: the lkeys data and DUMP segments name (devx-userspace B2 step 10). */
#include <stdlib.h>

#include "qp.h"

struct mlx5tls_mr *mr_reg_access(struct mlx5tls_pd *pd, void *addr, size_t len, uint32_t access)
{
	struct mlx5tls_mr *mr;
	int ret;

	if (!pd || !addr || !len || (uintptr_t)addr + len < (uintptr_t)addr)
		return libmlx5tls_err_ptr(-EINVAL);
	mr = calloc(1, sizeof(*mr));
	if (!mr)
		return libmlx5tls_err_ptr(-ENOMEM);
	ret = pd->dev->ops->mr_reg(pd->dev->xp, pd->obj, addr, len, access, &mr->lkey, &mr->xmr);
	if (ret) {
		free(mr);
		return libmlx5tls_err_ptr(ret);
	}
	mr->pd = pd;
	mr->addr = (uintptr_t)addr;
	mr->len = len;
	atomic_fetch_add(&pd->users, 1);
	return mr;
}

struct mlx5tls_mr *mlx5tls_mr_reg(struct mlx5tls_pd *pd, void *addr, size_t len)
{
	return mr_reg_access(pd, addr, len, 0);
}

int mlx5tls_mr_dereg(struct mlx5tls_mr *mr)
{
	struct mlx5tls_pd *pd;
	int ret;

	if (!mr)
		return libmlx5tls_err(-EINVAL);
	pd = mr->pd;
	ret = pd->dev->ops->mr_dereg(mr->xmr);
	if (ret)
		return libmlx5tls_err(ret);
	atomic_fetch_sub(&pd->users, 1);
	free(mr);
	return 0;
}

uint32_t mlx5tls_mr_lkey(const struct mlx5tls_mr *mr)
{
	return mr ? mr->lkey : 0;
}
