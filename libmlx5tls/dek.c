/* SPDX-License-Identifier: BSD-3-Clause */
/* Single DEK objects and the DEK calls shared by single and pooled DEKs. */
#include <stdlib.h>

#include "dek_cmd.h"

int dek_single_create(struct mlx5tls_pd *pd, const struct key_view *kv, uint64_t opaque,
		      struct mlx5tls_dek **out)
{
	uint8_t in[DEK_CREATE_IN_SZ] = { 0 };
	uint8_t cmd_out[DEK_HDR_OUT_SZ] = { 0 };
	struct cmd_secret secret;
	struct mlx5tls_dek *dek;
	int ret;

	dek = calloc(1, sizeof(*dek));
	if (!dek)
		return -ENOMEM;
	dek_encode_create(in, pd->pdn, kv->key, kv->key_len, opaque, &secret);
	ret = cmd_exec(pd->dev, CMD_CREATE, NULL, &dek->obj, in, sizeof(in), cmd_out,
		       sizeof(cmd_out), &secret);
	explicit_bzero(in, sizeof(in)); /* the mailbox carried the key */
	if (ret) {
		free(dek);
		return ret;
	}
	dek->pd = pd;
	dek->id = DEVX_GET(general_obj_out_cmd_hdr, cmd_out, obj_id);
	dek->key_bits = (uint16_t)(kv->key_len * 8);
	dek->opaque = opaque;
	atomic_fetch_add(&pd->users, 1);
	counter_inc(pd->dev, MLX5TLS_CNT_DEK_CREATE);
	*out = dek;
	return 0;
}

int dek_single_destroy(struct mlx5tls_dek *dek)
{
	uint8_t in[DEK_HDR_IN_SZ] = { 0 };
	uint8_t out[DEK_HDR_OUT_SZ] = { 0 };
	struct mlx5tls_pd *pd = dek->pd;
	int ret;

	dek_encode_destroy(in, dek->id);
	ret = cmd_exec(pd->dev, CMD_DESTROY, dek->obj, NULL, in, sizeof(in), out, sizeof(out),
		       NULL);
	if (ret)
		return ret;
	counter_inc(pd->dev, MLX5TLS_CNT_DEK_DESTROY);
	atomic_fetch_sub(&pd->users, 1);
	free(dek);
	return 0;
}

struct mlx5tls_dek *mlx5tls_dek_create(struct mlx5tls_pd *pd, const struct tls_crypto_info *ci,
				       size_t ci_len, const struct mlx5tls_dek_opts *opts)
{
	struct mlx5tls_dek *dek;
	struct key_view kv;
	int ret;

	if (!pd || !OPTS_VALID(opts, mlx5tls_dek_opts))
		return libmlx5tls_err_ptr(-EINVAL);
	ret = crypto_info_view(pd->dev, ci, ci_len, &kv);
	if (ret)
		return libmlx5tls_err_ptr(ret);
	ret = dek_single_create(pd, &kv, OPTS_GET(opts, opaque, 0), &dek);
	if (ret)
		return libmlx5tls_err_ptr(ret);
	return dek;
}

int mlx5tls_dek_destroy(struct mlx5tls_dek *dek)
{
	if (!dek)
		return libmlx5tls_err(-EINVAL);
	if (dek->pool)
		return libmlx5tls_err(dek_pool_put(dek));
	return libmlx5tls_err(dek_single_destroy(dek));
}

uint32_t mlx5tls_dek_id(const struct mlx5tls_dek *dek)
{
	return dek ? dek->id : 0;
}

int mlx5tls_dek_query(struct mlx5tls_dek *dek, struct mlx5tls_dek_attr *attr, size_t attr_sz)
{
	uint8_t in[DEK_HDR_IN_SZ] = { 0 };
	uint8_t *out;
	struct mlx5tls_dek_attr a = { 0 };
	const uint8_t *obj;
	uint32_t obj_id;
	int ret;

	if (!dek || !attr)
		return libmlx5tls_err(-EINVAL);
	out = calloc(1, DEK_QUERY_OUT_SZ);
	if (!out)
		return libmlx5tls_err(-ENOMEM);
	obj_id = dek->id - dek->obj_offset;
	dek_encode_query(in, obj_id, dek->obj_offset);
	ret = cmd_exec(dek->pd->dev, CMD_QUERY, dek->obj ? dek->obj : dek_bulk_obj(dek), NULL, in,
		       sizeof(in), out, DEK_QUERY_OUT_SZ, NULL);
	if (ret) {
		free(out);
		return libmlx5tls_err(ret);
	}
	obj = DEVX_ADDR_OF(query_encryption_key_out, out, obj);
	a.id = dek->id;
	a.obj_id = obj_id;
	a.obj_offset = dek->obj_offset;
	a.pooled = dek->pool != NULL;
	a.state = (uint8_t)DEVX_GET(encryption_key_obj, obj, state);
	a.key_bits = DEVX_GET(encryption_key_obj, obj, key_size) ==
				     MLX5_ENCRYPTION_KEY_OBJ_KEY_SIZE_256 ? 256 : 128;
	a.key_purpose = (uint8_t)DEVX_GET(encryption_key_obj, obj, key_purpose);
	a.pd = DEVX_GET(encryption_key_obj, obj, pd);
	a.opaque = DEVX_GET64(encryption_key_obj, obj, opaque);
	free(out);
	copy_out(attr, attr_sz, &a, sizeof(a));
	return 0;
}
