/* SPDX-License-Identifier: BSD-3-Clause */
/* TIS objects (fact sheet 4.1, 4.2). A TLS TIS carries tls_en, pd and transport_domain, as the
 * kernel's mlx5e_ktls_set_tisc sets them. */
#include <stdlib.h>

#include "cmd.h"
#include "prm/mlx5_ifc_tls.h"

int tis_create_obj(struct mlx5tls_pd *pd, struct mlx5tls_td *td, bool tls_en, uint8_t prio,
		   struct mlx5tls_tis **out)
{
	uint8_t in[DEVX_ST_SZ_BYTES(create_tis_in)] = { 0 };
	uint8_t cmd_out[DEVX_ST_SZ_BYTES(create_tis_out)] = { 0 };
	struct mlx5tls_tis *tis;
	void *tisc;
	int ret;

	tis = calloc(1, sizeof(*tis));
	if (!tis)
		return -ENOMEM;
	DEVX_SET(create_tis_in, in, opcode, MLX5_CMD_OP_CREATE_TIS);
	tisc = DEVX_ADDR_OF(create_tis_in, in, ctx);
	DEVX_SET(tisc, tisc, tls_en, tls_en);
	DEVX_SET(tisc, tisc, prio, prio);
	DEVX_SET(tisc, tisc, transport_domain, td->tdn);
	DEVX_SET(tisc, tisc, pd, pd->pdn);
	ret = cmd_exec(pd->dev, CMD_CREATE, NULL, &tis->obj, in, sizeof(in), cmd_out,
		       sizeof(cmd_out), NULL);
	if (ret) {
		free(tis);
		return ret;
	}
	tis->pd = pd;
	tis->td = td;
	tis->tisn = DEVX_GET(create_tis_out, cmd_out, tisn);
	tis->tls_en = tls_en;
	tis->prio = prio;
	atomic_fetch_add(&pd->users, 1);
	atomic_fetch_add(&td->users, 1);
	*out = tis;
	return 0;
}

int tis_destroy_obj(struct mlx5tls_tis *tis)
{
	uint8_t in[DEVX_ST_SZ_BYTES(destroy_tis_in)] = { 0 };
	uint8_t out[DEVX_ST_SZ_BYTES(mbox_out)] = { 0 };
	int ret;

	DEVX_SET(destroy_tis_in, in, opcode, MLX5_CMD_OP_DESTROY_TIS);
	DEVX_SET(destroy_tis_in, in, tisn, tis->tisn);
	ret = cmd_exec(tis->pd->dev, CMD_DESTROY, tis->obj, NULL, in, sizeof(in), out, sizeof(out),
		       NULL);
	if (ret)
		return ret;
	atomic_fetch_sub(&tis->pd->users, 1);
	atomic_fetch_sub(&tis->td->users, 1);
	free(tis);
	return 0;
}

struct mlx5tls_tis *mlx5tls_tis_create(struct mlx5tls_pd *pd, struct mlx5tls_td *td,
				       const struct mlx5tls_tis_opts *opts)
{
	bool tls_en = !OPTS_GET(opts, plain, false);
	uint8_t prio = OPTS_GET(opts, prio, 0);
	struct mlx5tls_tis *tis;
	int ret;

	if (!pd || !td || !OPTS_VALID(opts, mlx5tls_tis_opts) || pd->dev != td->dev)
		return libmlx5tls_err_ptr(-EINVAL);
	if (prio > 15) { /* tisc.prio is 4 bits */
		pr_warn("TIS prio %u is out of range 0..15\n", prio);
		return libmlx5tls_err_ptr(-EINVAL);
	}
	if (tls_en && !pd->dev->caps.tls_tx) {
		pr_warn("%s: the device has no TLS TX offload (tls_tx)\n", pd->dev->attr.name);
		return libmlx5tls_err_ptr(-EOPNOTSUPP);
	}
	ret = tis_create_obj(pd, td, tls_en, prio, &tis);
	if (ret)
		return libmlx5tls_err_ptr(ret);
	return tis;
}

int mlx5tls_tis_destroy(struct mlx5tls_tis *tis)
{
	if (!tis)
		return libmlx5tls_err(-EINVAL);
	if (tis->pool)
		return libmlx5tls_err(tis_pool_put(tis));
	return libmlx5tls_err(tis_destroy_obj(tis));
}

uint32_t mlx5tls_tis_num(const struct mlx5tls_tis *tis)
{
	return tis ? tis->tisn : 0;
}

int mlx5tls_tis_query(struct mlx5tls_tis *tis, struct mlx5tls_tis_attr *attr, size_t attr_sz)
{
	uint8_t in[DEVX_ST_SZ_BYTES(query_tis_in)] = { 0 };
	uint8_t out[DEVX_ST_SZ_BYTES(query_tis_out)] = { 0 };
	struct mlx5tls_tis_attr a = { 0 };
	const void *tisc;
	int ret;

	if (!tis || !attr)
		return libmlx5tls_err(-EINVAL);
	DEVX_SET(query_tis_in, in, opcode, MLX5_CMD_OP_QUERY_TIS);
	DEVX_SET(query_tis_in, in, tisn, tis->tisn);
	ret = cmd_exec(tis->pd->dev, CMD_QUERY, tis->obj, NULL, in, sizeof(in), out, sizeof(out),
		       NULL);
	if (ret)
		return libmlx5tls_err(ret);
	tisc = DEVX_ADDR_OF(query_tis_out, out, tis_context);
	a.tisn = tis->tisn;
	a.pooled = tis->pool != NULL;
	a.tls_en = DEVX_GET(tisc, tisc, tls_en);
	a.prio = (uint8_t)DEVX_GET(tisc, tisc, prio);
	a.pd = DEVX_GET(tisc, tisc, pd);
	a.transport_domain = DEVX_GET(tisc, tisc, transport_domain);
	copy_out(attr, attr_sz, &a, sizeof(a));
	return 0;
}
