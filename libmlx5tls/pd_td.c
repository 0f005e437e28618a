/* SPDX-License-Identifier: BSD-3-Clause */
/* Protection domain and transport domain (fact sheet 4.4). */
#include <stdlib.h>

#include "cmd.h"
#include "prm/mlx5_ifc_tls.h"

struct mlx5tls_pd *mlx5tls_pd_alloc(struct mlx5tls_device *dev)
{
	uint8_t in[DEVX_ST_SZ_BYTES(alloc_pd_in)] = { 0 };
	uint8_t out[DEVX_ST_SZ_BYTES(alloc_pd_out)] = { 0 };
	struct mlx5tls_pd *pd;
	int ret;

	if (!dev)
		return libmlx5tls_err_ptr(-EINVAL);
	pd = calloc(1, sizeof(*pd));
	if (!pd)
		return libmlx5tls_err_ptr(-ENOMEM);
	DEVX_SET(alloc_pd_in, in, opcode, MLX5_CMD_OP_ALLOC_PD);
	ret = cmd_exec(dev, CMD_PD_ALLOC, NULL, &pd->obj, in, sizeof(in), out, sizeof(out), NULL);
	if (ret) {
		free(pd);
		return libmlx5tls_err_ptr(ret);
	}
	pd->dev = dev;
	pd->pdn = DEVX_GET(alloc_pd_out, out, pd);
	atomic_fetch_add(&dev->live_children, 1);
	return pd;
}

int mlx5tls_pd_dealloc(struct mlx5tls_pd *pd)
{
	uint8_t in[DEVX_ST_SZ_BYTES(dealloc_pd_in)] = { 0 };
	uint8_t out[DEVX_ST_SZ_BYTES(mbox_out)] = { 0 };
	int ret;

	if (!pd)
		return libmlx5tls_err(-EINVAL);
	if (atomic_load(&pd->users)) {
		pr_warn("PD 0x%x: dealloc refused, %u objects (DEKs, TISes, pools, MRs, queues) "
			"still use it\n",
			pd->pdn, atomic_load(&pd->users));
		return libmlx5tls_err(-EBUSY);
	}
	DEVX_SET(dealloc_pd_in, in, opcode, MLX5_CMD_OP_DEALLOC_PD);
	DEVX_SET(dealloc_pd_in, in, pd, pd->pdn);
	ret = cmd_exec(pd->dev, CMD_PD_DEALLOC, pd->obj, NULL, in, sizeof(in), out, sizeof(out),
		       NULL);
	if (ret)
		return libmlx5tls_err(ret);
	atomic_fetch_sub(&pd->dev->live_children, 1);
	free(pd);
	return 0;
}

uint32_t mlx5tls_pd_num(const struct mlx5tls_pd *pd)
{
	return pd ? pd->pdn : 0;
}

struct mlx5tls_td *mlx5tls_td_alloc(struct mlx5tls_device *dev)
{
	uint8_t in[DEVX_ST_SZ_BYTES(alloc_transport_domain_in)] = { 0 };
	uint8_t out[DEVX_ST_SZ_BYTES(alloc_transport_domain_out)] = { 0 };
	struct mlx5tls_td *td;
	int ret;

	if (!dev)
		return libmlx5tls_err_ptr(-EINVAL);
	td = calloc(1, sizeof(*td));
	if (!td)
		return libmlx5tls_err_ptr(-ENOMEM);
	DEVX_SET(alloc_transport_domain_in, in, opcode, MLX5_CMD_OP_ALLOC_TRANSPORT_DOMAIN);
	ret = cmd_exec(dev, CMD_CREATE, NULL, &td->obj, in, sizeof(in), out, sizeof(out), NULL);
	if (ret) {
		free(td);
		return libmlx5tls_err_ptr(ret);
	}
	td->dev = dev;
	td->tdn = DEVX_GET(alloc_transport_domain_out, out, transport_domain);
	atomic_fetch_add(&dev->live_children, 1);
	return td;
}

int mlx5tls_td_dealloc(struct mlx5tls_td *td)
{
	uint8_t in[DEVX_ST_SZ_BYTES(dealloc_transport_domain_in)] = { 0 };
	uint8_t out[DEVX_ST_SZ_BYTES(mbox_out)] = { 0 };
	int ret;

	if (!td)
		return libmlx5tls_err(-EINVAL);
	if (atomic_load(&td->users)) {
		pr_warn("TD 0x%x: dealloc refused, %u objects (TISes, TIRs, pools, queues) still "
			"use it\n",
			td->tdn, atomic_load(&td->users));
		return libmlx5tls_err(-EBUSY);
	}
	DEVX_SET(dealloc_transport_domain_in, in, opcode, MLX5_CMD_OP_DEALLOC_TRANSPORT_DOMAIN);
	DEVX_SET(dealloc_transport_domain_in, in, transport_domain, td->tdn);
	ret = cmd_exec(td->dev, CMD_DESTROY, td->obj, NULL, in, sizeof(in), out, sizeof(out), NULL);
	if (ret)
		return libmlx5tls_err(ret);
	atomic_fetch_sub(&td->dev->live_children, 1);
	free(td);
	return 0;
}

uint32_t mlx5tls_td_num(const struct mlx5tls_td *td)
{
	return td ? td->tdn : 0;
}
