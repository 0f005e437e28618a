/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The DevX interposer itself: does it behave as rdma-core v44 + the kernel's DevX handlers do
 * (shared/prm/devx-userspace.md A1, A2, A7, B6)? Calls the rdma-core entry points directly with
 * hand-built mailboxes, so these rules are checked independently of the library.
 */
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <infiniband/mlx5dv.h>
#include <infiniband/verbs.h>

#include "../libmlx5tls/prm/mlx5_ifc_tls.h"
#include "devx_shim.h"
#include "test_util.h"

#define SHIM_DEVICES "mlx5_0=cx6dx;mlx5_1=cx6dx,log_max_pd=0"

/* Mailbox buffers: 4-byte aligned for DEVX_SET/DEVX_GET. */
#define MBOX(name, typ) uint32_t name[DEVX_ST_SZ_DW(typ)]

static struct ibv_device *find_dev(struct ibv_device **list, const char *name)
{
	for (int i = 0; list && list[i]; i++)
		if (strcmp(ibv_get_device_name(list[i]), name) == 0)
			return list[i];
	return NULL;
}

static struct ibv_context *open_ctx(const char *name)
{
	struct mlx5dv_context_attr attr = { .flags = MLX5DV_CONTEXT_FLAGS_DEVX };
	struct ibv_device **list = ibv_get_device_list(NULL);
	struct ibv_context *ctx = NULL;
	struct ibv_device *dev = find_dev(list, name);

	if (dev)
		ctx = mlx5dv_open_device(dev, &attr);
	ibv_free_device_list(list);
	return ctx;
}

static uint64_t model_cmds(const char *name)
{
	struct devx_shim_dev_stats st;

	memset(&st, 0, sizeof(st));
	devx_shim_dev_stats(name, &st);
	return st.cmds;
}

static struct devx_shim_dev_stats stats(const char *name)
{
	struct devx_shim_dev_stats st;

	memset(&st, 0, sizeof(st));
	CU_ASSERT_EQUAL(devx_shim_dev_stats(name, &st), 0);
	return st;
}

static uint32_t pdn_of(struct ibv_pd *pd)
{
	struct mlx5dv_pd dvpd = { 0 };
	struct mlx5dv_obj obj;

	memset(&obj, 0, sizeof(obj));
	obj.pd.in = pd;
	obj.pd.out = &dvpd;
	CU_ASSERT_EQUAL(mlx5dv_init_obj(&obj, MLX5DV_OBJ_PD), 0);
	return dvpd.pdn;
}

static struct mlx5dv_devx_obj *alloc_td(struct ibv_context *ctx, uint32_t *tdn)
{
	MBOX(in, alloc_transport_domain_in) = { 0 };
	MBOX(out, alloc_transport_domain_out) = { 0 };
	struct mlx5dv_devx_obj *obj;

	DEVX_SET(alloc_transport_domain_in, in, opcode, MLX5_CMD_OP_ALLOC_TRANSPORT_DOMAIN);
	obj = mlx5dv_devx_obj_create(ctx, in, sizeof(in), out, sizeof(out));
	if (obj)
		*tdn = DEVX_GET(alloc_transport_domain_out, out, transport_domain);
	return obj;
}

static struct mlx5dv_devx_obj *create_tis(struct ibv_context *ctx, uint32_t pdn, uint32_t tdn,
					  uint32_t *tisn, void *out, size_t outlen)
{
	MBOX(in, create_tis_in) = { 0 };
	struct mlx5dv_devx_obj *obj;
	void *tisc = DEVX_ADDR_OF(create_tis_in, in, ctx);

	DEVX_SET(create_tis_in, in, opcode, MLX5_CMD_OP_CREATE_TIS);
	DEVX_SET(tisc, tisc, tls_en, 1);
	DEVX_SET(tisc, tisc, pd, pdn);
	DEVX_SET(tisc, tisc, transport_domain, tdn);
	memset(out, 0, outlen);
	obj = mlx5dv_devx_obj_create(ctx, in, sizeof(in), out, outlen);
	if (obj)
		*tisn = DEVX_GET(create_tis_out, out, tisn);
	return obj;
}

static void query_tis_in(uint32_t *in, uint32_t tisn)
{
	memset(in, 0, DEVX_ST_SZ_BYTES(query_tis_in));
	DEVX_SET(query_tis_in, in, opcode, MLX5_CMD_OP_QUERY_TIS);
	DEVX_SET(query_tis_in, in, tisn, tisn);
}

/* ---- interposition ---- */

static void test_interposed(void)
{
	void *real, *global = dlsym(RTLD_DEFAULT, "mlx5dv_devx_obj_create");
	void *libmlx5;
	Dl_info info;

	/* The global scope resolves to the interposer ... */
	CU_ASSERT_PTR_NOT_NULL_FATAL(global);
	CU_ASSERT_FATAL(dladdr(global, &info) != 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(info.dli_fname, "mlx5tls_devx_shim"));
	/* ... even with the real libmlx5 loaded as well: its definition exists and is shadowed.
	 * (This program does not need libmlx5 otherwise; --as-needed drops it.) */
	libmlx5 = dlopen("libmlx5.so.1", RTLD_NOW | RTLD_LOCAL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(libmlx5);
	real = dlsym(libmlx5, "mlx5dv_devx_obj_create");
	CU_ASSERT_PTR_NOT_NULL(real);
	CU_ASSERT_PTR_NOT_EQUAL(real, global);
	CU_ASSERT_PTR_EQUAL(dlsym(RTLD_DEFAULT, "mlx5dv_devx_obj_create"), global);
	dlclose(libmlx5);
}

/* ---- devices and contexts (devx-userspace A1) ---- */

static void test_device_list(void)
{
	struct ibv_device fake;
	struct ibv_device **list;
	int n = -1;

	list = ibv_get_device_list(&n);
	CU_ASSERT_PTR_NOT_NULL_FATAL(list);
	CU_ASSERT_EQUAL(n, 2);
	CU_ASSERT_EQUAL(devx_shim_device_count(), 2);
	CU_ASSERT_STRING_EQUAL(ibv_get_device_name(list[0]), "mlx5_0");
	CU_ASSERT_STRING_EQUAL(ibv_get_device_name(list[1]), "mlx5_1");
	CU_ASSERT_PTR_NULL(list[2]);
	CU_ASSERT(mlx5dv_is_supported(list[0]));
	CU_ASSERT(mlx5dv_is_supported(list[1]));
	memset(&fake, 0, sizeof(fake));
	CU_ASSERT(!mlx5dv_is_supported(&fake));
	ibv_free_device_list(list);
}

static void test_open_flags(void)
{
	struct ibv_device **list = ibv_get_device_list(NULL);
	struct ibv_device *dev = find_dev(list, "mlx5_0");
	struct mlx5dv_context_attr attr;
	struct ibv_device_attr da;
	struct ibv_device fake;
	struct ibv_context *ctx;

	CU_ASSERT_PTR_NOT_NULL_FATAL(dev);
	errno = 0;
	CU_ASSERT_PTR_NULL(mlx5dv_open_device(dev, NULL));
	CU_ASSERT_EQUAL(errno, EOPNOTSUPP);
	memset(&attr, 0, sizeof(attr));
	errno = 0;
	CU_ASSERT_PTR_NULL(mlx5dv_open_device(dev, &attr));
	CU_ASSERT_EQUAL(errno, EOPNOTSUPP);
	attr.flags = MLX5DV_CONTEXT_FLAGS_DEVX;
	attr.comp_mask = 1; /* v44: EINVAL */
	errno = 0;
	CU_ASSERT_PTR_NULL(mlx5dv_open_device(dev, &attr));
	CU_ASSERT_EQUAL(errno, EINVAL);
	attr.comp_mask = 0;
	attr.flags = MLX5DV_CONTEXT_FLAGS_DEVX | 0x2;
	errno = 0;
	CU_ASSERT_PTR_NULL(mlx5dv_open_device(dev, &attr));
	CU_ASSERT_EQUAL(errno, EINVAL);
	memset(&fake, 0, sizeof(fake));
	attr.flags = MLX5DV_CONTEXT_FLAGS_DEVX;
	errno = 0;
	CU_ASSERT_PTR_NULL(mlx5dv_open_device(&fake, &attr));
	CU_ASSERT_EQUAL(errno, EOPNOTSUPP);
	CU_ASSERT_EQUAL(devx_shim_open_contexts("mlx5_0"), 0);

	ctx = mlx5dv_open_device(dev, &attr);
	ibv_free_device_list(list);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
	CU_ASSERT_PTR_EQUAL(ctx->device, dev);
	CU_ASSERT_EQUAL(devx_shim_open_contexts("mlx5_0"), 1);
	CU_ASSERT_EQUAL(ibv_query_device(ctx, &da), 0);
	CU_ASSERT(da.fw_ver[0] != '\0');
	CU_ASSERT_EQUAL(da.vendor_id, 0x02c9);
	CU_ASSERT_EQUAL(da.vendor_part_id, 4125);
	/* the table cannot change under an open context */
	CU_ASSERT_EQUAL(devx_shim_set_devices("mlx5_9=cx6dx"), -EBUSY);
	CU_ASSERT_EQUAL(ibv_close_device(ctx), 0);
	CU_ASSERT_EQUAL(devx_shim_open_contexts("mlx5_0"), 0);
}

static void test_set_devices(void)
{
	CU_ASSERT_EQUAL(devx_shim_set_devices("mlx5_0=nosuchprofile"), -EINVAL);
	CU_ASSERT_EQUAL(devx_shim_set_devices("mlx5_0=cx6dx,mlx5_0=cx6dx"), -EINVAL);
	CU_ASSERT_EQUAL(devx_shim_set_devices("=cx6dx"), -EINVAL);
	CU_ASSERT_EQUAL(devx_shim_device_count(), 2); /* unchanged */
	/* ',' separates devices too; "log_*" items continue the previous spec */
	CU_ASSERT_EQUAL(devx_shim_set_devices("a=cx6dx,log_max_tis=3,b=cx6dx-legacy,c"), 0);
	CU_ASSERT_EQUAL(devx_shim_device_count(), 3);
	CU_ASSERT_EQUAL(devx_shim_open_contexts("b"), 0);
	CU_ASSERT_EQUAL(devx_shim_open_contexts("log_max_tis"), -ENODEV);
	CU_ASSERT_EQUAL(devx_shim_set_devices(""), 0);
	CU_ASSERT_EQUAL(devx_shim_device_count(), 0);
	CU_ASSERT_EQUAL(devx_shim_set_devices(SHIM_DEVICES), 0);
	CU_ASSERT_EQUAL(devx_shim_device_count(), 2);
}

/* ---- general command whitelist (devx-userspace A2) ---- */

static void test_general_cmd(void)
{
	struct ibv_context *ctx = open_ctx("mlx5_0");
	MBOX(cap_in, query_hca_cap_in) = { 0 };
	MBOX(cap_out, query_hca_cap_out) = { 0 };
	MBOX(tis_in, create_tis_in) = { 0 };
	MBOX(sync_in, sync_crypto_in) = { 0 };
	MBOX(out, mbox_out) = { 0 };
	uint64_t cmds;

	CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
	DEVX_SET(query_hca_cap_in, cap_in, opcode, MLX5_CMD_OP_QUERY_HCA_CAP);
	/* op_mod = (cap_type << 1) | cur: general caps, current values (fact sheet 5.1) */
	DEVX_SET(query_hca_cap_in, cap_in, op_mod, 0x1);
	CU_ASSERT_EQUAL(mlx5dv_devx_general_cmd(ctx, cap_in, sizeof(cap_in), cap_out,
						sizeof(cap_out)),
			0);
	CU_ASSERT_EQUAL(DEVX_GET(query_hca_cap_out, cap_out, capability.cmd_hca_cap.tls_tx), 1);

	/* SYNC_CRYPTO 0xb12 lies in [0xb00, 0xd00) and passes */
	DEVX_SET(sync_crypto_in, sync_in, opcode, MLX5_CMD_OP_SYNC_CRYPTO);
	DEVX_SET(sync_crypto_in, sync_in, crypto_type, MLX5_SYNC_CRYPTO_TYPE_TLS);
	CU_ASSERT_EQUAL(mlx5dv_devx_general_cmd(ctx, sync_in, sizeof(sync_in), out, sizeof(out)),
			0);

	/* Object commands are not general: EINVAL, and the firmware never sees them. */
	cmds = model_cmds("mlx5_0");
	DEVX_SET(create_tis_in, tis_in, opcode, MLX5_CMD_OP_CREATE_TIS);
	errno = 0;
	CU_ASSERT_EQUAL(mlx5dv_devx_general_cmd(ctx, tis_in, sizeof(tis_in), out, sizeof(out)),
			EINVAL);
	CU_ASSERT_EQUAL(errno, EINVAL);
	DEVX_SET(create_tis_in, tis_in, opcode, 0xd00); /* END is exclusive */
	CU_ASSERT_EQUAL(mlx5dv_devx_general_cmd(ctx, tis_in, sizeof(tis_in), out, sizeof(out)),
			EINVAL);
	DEVX_SET(create_tis_in, tis_in, opcode, MLX5_CMD_OP_QUERY_TIS);
	CU_ASSERT_EQUAL(mlx5dv_devx_general_cmd(ctx, tis_in, 16, out, sizeof(out)), EINVAL);
	/* shorter than the 16-byte header */
	CU_ASSERT_EQUAL(mlx5dv_devx_general_cmd(ctx, cap_in, 8, cap_out, sizeof(cap_out)), EINVAL);
	CU_ASSERT_EQUAL(model_cmds("mlx5_0"), cmds);

	/* A whitelisted opcode the device does not implement reaches the firmware: EREMOTEIO with
	 * the status in out. */
	memset(tis_in, 0, sizeof(tis_in));
	DEVX_SET(mbox_in, tis_in, opcode, 0xb77);
	memset(out, 0xff, sizeof(out));
	CU_ASSERT_EQUAL(mlx5dv_devx_general_cmd(ctx, tis_in, 16, out, sizeof(out)), EREMOTEIO);
	CU_ASSERT_EQUAL(DEVX_GET(mbox_out, out, status), MLX5_CMD_STAT_BAD_OP_ERR);
	CU_ASSERT_EQUAL(model_cmds("mlx5_0"), cmds + 1);
	CU_ASSERT_EQUAL(ibv_close_device(ctx), 0);
}

/* ---- object create (devx-userspace A2) ---- */

static void test_obj_create_rules(void)
{
	struct ibv_context *ctx = open_ctx("mlx5_0");
	MBOX(in, create_encryption_key_in) = { 0 };
	MBOX(out, general_obj_out_cmd_hdr) = { 0 };
	MBOX(td_in, alloc_transport_domain_in) = { 0 };
	MBOX(td_out, alloc_transport_domain_out) = { 0 };
	MBOX(td_in_copy, alloc_transport_domain_in);
	struct mlx5dv_devx_obj *obj;
	uint64_t cmds;

	CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
	cmds = model_cmds("mlx5_0");
	/* not a create command */
	DEVX_SET(mbox_in, in, opcode, MLX5_CMD_OP_QUERY_TIS);
	errno = 0;
	CU_ASSERT_PTR_NULL(mlx5dv_devx_obj_create(ctx, in, 16, out, sizeof(out)));
	CU_ASSERT_EQUAL(errno, EINVAL);
	/* a create command naming a vhca tunnel */
	memset(in, 0, sizeof(in));
	DEVX_SET(general_obj_in_cmd_hdr, in, opcode, MLX5_CMD_OP_CREATE_GENERAL_OBJECT);
	DEVX_SET(general_obj_in_cmd_hdr, in, obj_type, MLX5_GENERAL_OBJECT_TYPES_ENCRYPTION_KEY);
	DEVX_SET(general_obj_in_cmd_hdr, in, vhca_tunnel_id, 1);
	errno = 0;
	CU_ASSERT_PTR_NULL(mlx5dv_devx_obj_create(ctx, in, sizeof(in), out, sizeof(out)));
	CU_ASSERT_EQUAL(errno, EINVAL);
	/* out shorter than the 16-byte header */
	errno = 0;
	CU_ASSERT_PTR_NULL(mlx5dv_devx_obj_create(ctx, in, sizeof(in), out, 8));
	CU_ASSERT_EQUAL(errno, EINVAL);
	/* a create the kernel allows but the shim does not emulate (needs umem) */
	memset(in, 0, sizeof(in));
	DEVX_SET(mbox_in, in, opcode, 0x904); /* CREATE_SQ */
	errno = 0;
	CU_ASSERT_PTR_NULL(mlx5dv_devx_obj_create(ctx, in, sizeof(in), out, sizeof(out)));
	CU_ASSERT_EQUAL(errno, EOPNOTSUPP);
	CU_ASSERT_EQUAL(model_cmds("mlx5_0"), cmds);

	/* The uid is the kernel's business: whatever the caller writes, the command runs as the
	 * context, and the caller's mailbox is left as it was (the kernel works on a copy). */
	DEVX_SET(alloc_transport_domain_in, td_in, opcode, MLX5_CMD_OP_ALLOC_TRANSPORT_DOMAIN);
	DEVX_SET(alloc_transport_domain_in, td_in, uid, 0x7777);
	memcpy(td_in_copy, td_in, sizeof(td_in));
	obj = mlx5dv_devx_obj_create(ctx, td_in, sizeof(td_in), td_out, sizeof(td_out));
	CU_ASSERT_PTR_NOT_NULL_FATAL(obj);
	CU_ASSERT_EQUAL(memcmp(td_in, td_in_copy, sizeof(td_in)), 0);
	CU_ASSERT_NOT_EQUAL(DEVX_GET(alloc_transport_domain_out, td_out, transport_domain), 0);
	CU_ASSERT_EQUAL(stats("mlx5_0").tds, 1);
	CU_ASSERT_EQUAL(mlx5dv_devx_obj_destroy(obj), 0);
	CU_ASSERT_EQUAL(stats("mlx5_0").tds, 0);
	CU_ASSERT_EQUAL(ibv_close_device(ctx), 0);
}

/* A firmware rejection: EREMOTEIO, status and syndrome in out (man mlx5dv_devx_obj_create). */
static void test_obj_create_eremoteio(void)
{
	struct ibv_context *ctx = open_ctx("mlx5_0");
	MBOX(out, create_tis_out);
	struct mlx5dv_devx_obj *td;
	uint32_t tdn = 0, tisn = 0, synd = 0;
	uint8_t status = 0;
	uint16_t op = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
	td = alloc_td(ctx, &tdn);
	CU_ASSERT_PTR_NOT_NULL_FATAL(td);
	devx_shim_clear_fw_status();
	errno = 0;
	/* a TLS TIS naming a PD that does not exist */
	CU_ASSERT_PTR_NULL(create_tis(ctx, 0xabcde, tdn, &tisn, out, sizeof(out)));
	CU_ASSERT_EQUAL(errno, EREMOTEIO);
	CU_ASSERT_EQUAL(DEVX_GET(create_tis_out, out, status), MLX5_CMD_STAT_BAD_RES_ERR);
	CU_ASSERT_NOT_EQUAL(DEVX_GET(create_tis_out, out, syndrome), 0);
	CU_ASSERT_EQUAL(devx_shim_last_fw_status(&op, &status, &synd), 0);
	CU_ASSERT_EQUAL(op, MLX5_CMD_OP_CREATE_TIS);
	CU_ASSERT_EQUAL(status, MLX5_CMD_STAT_BAD_RES_ERR);
	CU_ASSERT_EQUAL(synd, DEVX_GET(create_tis_out, out, syndrome));
	CU_ASSERT_EQUAL(stats("mlx5_0").tises, 0);
	CU_ASSERT_EQUAL(mlx5dv_devx_obj_destroy(td), 0);
	CU_ASSERT_EQUAL(ibv_close_device(ctx), 0);
}

/* ---- query / modify: the object id must be the handle's own (devx_is_valid_obj_id) ---- */

static void test_query_modify_own_object(void)
{
	struct ibv_context *ctx = open_ctx("mlx5_0");
	MBOX(q_in, query_tis_in);
	MBOX(q_out, query_tis_out) = { 0 };
	MBOX(m_in, modify_tis_in) = { 0 };
	MBOX(out, mbox_out) = { 0 };
	MBOX(g_in, general_obj_in_cmd_hdr) = { 0 };
	MBOX(c_out, create_tis_out);
	struct mlx5dv_devx_obj *td, *t1, *t2;
	uint32_t tdn = 0, tisn1 = 0, tisn2 = 0, pdn;
	struct ibv_pd *pd;
	uint64_t cmds;
	int ret;

	CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
	pd = ibv_alloc_pd(ctx);
	CU_ASSERT_PTR_NOT_NULL_FATAL(pd);
	pdn = pdn_of(pd);
	td = alloc_td(ctx, &tdn);
	CU_ASSERT_PTR_NOT_NULL_FATAL(td);
	t1 = create_tis(ctx, pdn, tdn, &tisn1, c_out, sizeof(c_out));
	t2 = create_tis(ctx, pdn, tdn, &tisn2, c_out, sizeof(c_out));
	CU_ASSERT_PTR_NOT_NULL_FATAL(t1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(t2);

	query_tis_in(q_in, tisn1);
	CU_ASSERT_EQUAL(mlx5dv_devx_obj_query(t1, q_in, sizeof(q_in), q_out, sizeof(q_out)), 0);
	CU_ASSERT_EQUAL(DEVX_GET(query_tis_out, q_out, tis_context.tls_en), 1);
	CU_ASSERT_EQUAL(DEVX_GET(query_tis_out, q_out, tis_context.pd), pdn);
	CU_ASSERT_EQUAL(DEVX_GET(query_tis_out, q_out, tis_context.transport_domain), tdn);

	cmds = model_cmds("mlx5_0");
	/* t1's handle, t2's number */
	query_tis_in(q_in, tisn2);
	errno = 0;
	CU_ASSERT_EQUAL(mlx5dv_devx_obj_query(t1, q_in, sizeof(q_in), q_out, sizeof(q_out)),
			EINVAL);
	CU_ASSERT_EQUAL(errno, EINVAL);
	/* a modify command through query, and a query through modify */
	DEVX_SET(modify_tis_in, m_in, opcode, MLX5_CMD_OP_MODIFY_TIS);
	DEVX_SET(modify_tis_in, m_in, tisn, tisn1);
	CU_ASSERT_EQUAL(mlx5dv_devx_obj_query(t1, m_in, sizeof(m_in), out, sizeof(out)), EINVAL);
	query_tis_in(q_in, tisn1);
	CU_ASSERT_EQUAL(mlx5dv_devx_obj_modify(t1, q_in, sizeof(q_in), out, sizeof(out)), EINVAL);
	/* the same number as a general object: a different (encoded) object id */
	DEVX_SET(general_obj_in_cmd_hdr, g_in, opcode, MLX5_CMD_OP_QUERY_GENERAL_OBJECT);
	DEVX_SET(general_obj_in_cmd_hdr, g_in, obj_type, MLX5_GENERAL_OBJECT_TYPES_ENCRYPTION_KEY);
	DEVX_SET(general_obj_in_cmd_hdr, g_in, obj_id, tisn1);
	CU_ASSERT_EQUAL(mlx5dv_devx_obj_query(t1, g_in, sizeof(g_in), q_out, sizeof(q_out)),
			EINVAL);
	CU_ASSERT_EQUAL(model_cmds("mlx5_0"), cmds);

	/* a modify of its own object reaches the firmware (the model decides) */
	DEVX_SET(modify_tis_in, m_in, bitmask.prio, 1);
	DEVX_SET(modify_tis_in, m_in, ctx.prio, 2);
	ret = mlx5dv_devx_obj_modify(t1, m_in, sizeof(m_in), out, sizeof(out));
	CU_ASSERT(ret == 0 || ret == EREMOTEIO);
	CU_ASSERT_EQUAL(model_cmds("mlx5_0"), cmds + 1);

	CU_ASSERT_EQUAL(mlx5dv_devx_obj_destroy(t2), 0);
	CU_ASSERT_EQUAL(mlx5dv_devx_obj_destroy(t1), 0);
	CU_ASSERT_EQUAL(mlx5dv_devx_obj_destroy(td), 0);
	CU_ASSERT_EQUAL(ibv_dealloc_pd(pd), 0);
	CU_ASSERT_EQUAL(ibv_close_device(ctx), 0);
}

/* ---- DEKs: single, bulk with obj_offset (devx-userspace B6) ---- */

static void dek_in(uint32_t *in, uint16_t opcode, uint32_t pdn, const uint8_t *key16)
{
	void *obj = DEVX_ADDR_OF(create_encryption_key_in, in, obj);

	memset(in, 0, DEVX_ST_SZ_BYTES(create_encryption_key_in));
	DEVX_SET(general_obj_in_cmd_hdr, in, opcode, opcode);
	DEVX_SET(general_obj_in_cmd_hdr, in, obj_type, MLX5_GENERAL_OBJECT_TYPES_ENCRYPTION_KEY);
	DEVX_SET(encryption_key_obj, obj, key_purpose, MLX5_ENCRYPTION_KEY_OBJ_KEY_PURPOSE_TLS);
	DEVX_SET(encryption_key_obj, obj, pd, pdn);
	if (key16) {
		DEVX_SET(encryption_key_obj, obj, key_size, MLX5_ENCRYPTION_KEY_OBJ_KEY_SIZE_128);
		/* a 128-bit key goes in the second 16-byte half (fact sheet 3.4) */
		memcpy(DEVX_ADDR_OF(encryption_key_obj, obj, key[1]), key16, 16);
	}
}

static void test_dek_objects(void)
{
	static const uint8_t key[16] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 };
	struct ibv_context *ctx = open_ctx("mlx5_0");
	MBOX(in, create_encryption_key_in);
	MBOX(out, general_obj_out_cmd_hdr) = { 0 };
	MBOX(q_in, general_obj_in_cmd_hdr) = { 0 };
	MBOX(q_out, query_encryption_key_out) = { 0 };
	struct mlx5dv_devx_obj *dek, *bulk;
	uint32_t pdn, dek_id, base;
	struct ibv_pd *pd;
	uint64_t cmds;
	int ret;

	CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
	pd = ibv_alloc_pd(ctx);
	CU_ASSERT_PTR_NOT_NULL_FATAL(pd);
	pdn = pdn_of(pd);

	dek_in(in, MLX5_CMD_OP_CREATE_GENERAL_OBJECT, pdn, key);
	dek = mlx5dv_devx_obj_create(ctx, in, sizeof(in), out, sizeof(out));
	CU_ASSERT_PTR_NOT_NULL_FATAL(dek);
	dek_id = DEVX_GET(general_obj_out_cmd_hdr, out, obj_id);

	DEVX_SET(general_obj_in_cmd_hdr, q_in, opcode, MLX5_CMD_OP_QUERY_GENERAL_OBJECT);
	DEVX_SET(general_obj_in_cmd_hdr, q_in, obj_type, MLX5_GENERAL_OBJECT_TYPES_ENCRYPTION_KEY);
	DEVX_SET(general_obj_in_cmd_hdr, q_in, obj_id, dek_id);
	CU_ASSERT_EQUAL(mlx5dv_devx_obj_query(dek, q_in, sizeof(q_in), q_out, sizeof(q_out)), 0);
	CU_ASSERT_EQUAL(DEVX_GET(query_encryption_key_out, q_out, obj.pd), pdn);
	CU_ASSERT_EQUAL(DEVX_GET(query_encryption_key_out, q_out, obj.key_purpose),
			MLX5_ENCRYPTION_KEY_OBJ_KEY_PURPOSE_TLS);
	cmds = model_cmds("mlx5_0");
	DEVX_SET(general_obj_in_cmd_hdr, q_in, obj_type, 0xd); /* another object type */
	CU_ASSERT_EQUAL(mlx5dv_devx_obj_query(dek, q_in, sizeof(q_in), q_out, sizeof(q_out)),
			EINVAL);
	CU_ASSERT_EQUAL(model_cmds("mlx5_0"), cmds);

	/* a bulk of 4: members are base + offset, addressed through the base's handle */
	dek_in(in, MLX5_CMD_OP_CREATE_GENERAL_OBJECT, pdn, NULL);
	DEVX_SET(general_obj_in_cmd_hdr, in, op_param.create.log_obj_range, 2);
	bulk = mlx5dv_devx_obj_create(ctx, in, sizeof(in), out, sizeof(out));
	CU_ASSERT_PTR_NOT_NULL_FATAL(bulk);
	base = DEVX_GET(general_obj_out_cmd_hdr, out, obj_id);
	CU_ASSERT_EQUAL(stats("mlx5_0").deks, 5);

	dek_in(in, MLX5_CMD_OP_MODIFY_GENERAL_OBJECT, pdn, key);
	DEVX_SET64(encryption_key_obj, DEVX_ADDR_OF(modify_encryption_key_in, in, obj),
		   modify_field_select, 1);
	DEVX_SET(general_obj_in_cmd_hdr, in, obj_id, base);
	DEVX_SET(general_obj_in_cmd_hdr, in, op_param.query.obj_offset, 3);
	ret = mlx5dv_devx_obj_modify(bulk, in, sizeof(in), out, sizeof(out));
	if (ret)
		fprintf(stderr, "\n  bulk modify: %s status 0x%x syndrome 0x%x\n", strerror(ret),
			DEVX_GET(mbox_out, out, status), DEVX_GET(mbox_out, out, syndrome));
	CU_ASSERT_EQUAL(ret, 0);
	/* only the base id names the bulk object: the kernel refuses a member id */
	cmds = model_cmds("mlx5_0");
	DEVX_SET(general_obj_in_cmd_hdr, in, obj_id, base + 1);
	DEVX_SET(general_obj_in_cmd_hdr, in, op_param.query.obj_offset, 0);
	CU_ASSERT_EQUAL(mlx5dv_devx_obj_modify(bulk, in, sizeof(in), out, sizeof(out)), EINVAL);
	/* the single DEK's handle cannot modify the bulk */
	DEVX_SET(general_obj_in_cmd_hdr, in, obj_id, base);
	CU_ASSERT_EQUAL(mlx5dv_devx_obj_modify(dek, in, sizeof(in), out, sizeof(out)), EINVAL);
	CU_ASSERT_EQUAL(model_cmds("mlx5_0"), cmds);
	explicit_bzero(in, sizeof(in));

	/* destroy = DESTROY_GENERAL_OBJECT(obj_type, obj_id) built from the create */
	CU_ASSERT_EQUAL(mlx5dv_devx_obj_destroy(bulk), 0);
	CU_ASSERT_EQUAL(stats("mlx5_0").deks, 1);
	CU_ASSERT_EQUAL(mlx5dv_devx_obj_destroy(dek), 0);
	CU_ASSERT_EQUAL(stats("mlx5_0").deks, 0);
	CU_ASSERT_EQUAL(ibv_dealloc_pd(pd), 0);
	CU_ASSERT_EQUAL(ibv_close_device(ctx), 0);
}

/* ---- destroy: built from create, errno from the status, object kept (devx-userspace A2) ---- */

static void test_destroy_in_use(void)
{
	struct ibv_context *ctx = open_ctx("mlx5_0");
	MBOX(c_out, create_tis_out);
	MBOX(q_in, query_tis_in);
	MBOX(q_out, query_tis_out) = { 0 };
	struct mlx5dv_devx_obj *td, *tis;
	uint32_t tdn = 0, tisn = 0, pdn, synd = 0;
	uint8_t status = 0;
	uint16_t op = 0;
	struct ibv_pd *pd;

	CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
	pd = ibv_alloc_pd(ctx);
	CU_ASSERT_PTR_NOT_NULL_FATAL(pd);
	pdn = pdn_of(pd);
	td = alloc_td(ctx, &tdn);
	CU_ASSERT_PTR_NOT_NULL_FATAL(td);
	tis = create_tis(ctx, pdn, tdn, &tisn, c_out, sizeof(c_out));
	CU_ASSERT_PTR_NOT_NULL_FATAL(tis);

	/* PD named by a TIS: DEALLOC_PD rejected; the kernel maps the status to an errno */
	devx_shim_clear_fw_status();
	errno = 0;
	CU_ASSERT_EQUAL(ibv_dealloc_pd(pd), EINVAL);
	CU_ASSERT_EQUAL(devx_shim_last_fw_status(&op, &status, &synd), 0);
	CU_ASSERT_EQUAL(op, MLX5_CMD_OP_DEALLOC_PD);
	CU_ASSERT_EQUAL(status, MLX5_CMD_STAT_BAD_RES_STATE_ERR);
	CU_ASSERT_EQUAL(stats("mlx5_0").pds, 1);
	/* same for the TD through the DevX destroy path */
	devx_shim_clear_fw_status();
	errno = 0;
	CU_ASSERT_EQUAL(mlx5dv_devx_obj_destroy(td), EINVAL);
	CU_ASSERT_EQUAL(errno, EINVAL);
	CU_ASSERT_EQUAL(devx_shim_last_fw_status(&op, &status, NULL), 0);
	CU_ASSERT_EQUAL(op, MLX5_CMD_OP_DEALLOC_TRANSPORT_DOMAIN);
	CU_ASSERT_EQUAL(status, MLX5_CMD_STAT_BAD_RES_STATE_ERR);
	CU_ASSERT_EQUAL(stats("mlx5_0").tds, 1);

	/* both handles are still valid */
	query_tis_in(q_in, tisn);
	CU_ASSERT_EQUAL(mlx5dv_devx_obj_query(tis, q_in, sizeof(q_in), q_out, sizeof(q_out)), 0);
	CU_ASSERT_EQUAL(mlx5dv_devx_obj_destroy(tis), 0);
	CU_ASSERT_EQUAL(stats("mlx5_0").tises, 0);
	CU_ASSERT_EQUAL(mlx5dv_devx_obj_destroy(td), 0);
	CU_ASSERT_EQUAL(ibv_dealloc_pd(pd), 0);
	CU_ASSERT_EQUAL(stats("mlx5_0").pds, 0);
	CU_ASSERT_EQUAL(stats("mlx5_0").tds, 0);
	CU_ASSERT_EQUAL(ibv_close_device(ctx), 0);
}

/* ---- uid isolation (devx-userspace A1, A2) ---- */

static void test_uid_isolation(void)
{
	struct ibv_context *a = open_ctx("mlx5_0"), *b = open_ctx("mlx5_0");
	MBOX(c_out, create_tis_out);
	MBOX(q_in, query_tis_in);
	MBOX(q_out, query_tis_out) = { 0 };
	struct mlx5dv_devx_obj *td_a, *td_b, *tis_a, *tis_b;
	uint32_t tdn_a = 0, tdn_b = 0, tisn_a = 0, tisn_b = 0, pdn_a, pdn_b;
	struct ibv_pd *pd_a, *pd_b;
	uint64_t cmds;

	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	CU_ASSERT_EQUAL(devx_shim_open_contexts("mlx5_0"), 2);
	pd_a = ibv_alloc_pd(a);
	pd_b = ibv_alloc_pd(b);
	CU_ASSERT_PTR_NOT_NULL_FATAL(pd_a);
	CU_ASSERT_PTR_NOT_NULL_FATAL(pd_b);
	pdn_a = pdn_of(pd_a);
	pdn_b = pdn_of(pd_b);
	td_a = alloc_td(a, &tdn_a);
	td_b = alloc_td(b, &tdn_b);
	CU_ASSERT_PTR_NOT_NULL_FATAL(td_a);
	CU_ASSERT_PTR_NOT_NULL_FATAL(td_b);

	/* B naming A's PD: the firmware refuses (the object belongs to another uid) */
	errno = 0;
	CU_ASSERT_PTR_NULL(create_tis(b, pdn_a, tdn_b, &tisn_b, c_out, sizeof(c_out)));
	CU_ASSERT_EQUAL(errno, EREMOTEIO);
	CU_ASSERT_EQUAL(DEVX_GET(create_tis_out, c_out, status), MLX5_CMD_STAT_BAD_RES_ERR);
	/* B naming A's TD */
	errno = 0;
	CU_ASSERT_PTR_NULL(create_tis(b, pdn_b, tdn_a, &tisn_b, c_out, sizeof(c_out)));
	CU_ASSERT_EQUAL(errno, EREMOTEIO);
	CU_ASSERT_EQUAL(DEVX_GET(create_tis_out, c_out, status), MLX5_CMD_STAT_BAD_RES_ERR);

	tis_a = create_tis(a, pdn_a, tdn_a, &tisn_a, c_out, sizeof(c_out));
	tis_b = create_tis(b, pdn_b, tdn_b, &tisn_b, c_out, sizeof(c_out));
	CU_ASSERT_PTR_NOT_NULL_FATAL(tis_a);
	CU_ASSERT_PTR_NOT_NULL_FATAL(tis_b);
	/* B's handle cannot reach A's TIS: the kernel stops it */
	cmds = model_cmds("mlx5_0");
	query_tis_in(q_in, tisn_a);
	CU_ASSERT_EQUAL(mlx5dv_devx_obj_query(tis_b, q_in, sizeof(q_in), q_out, sizeof(q_out)),
			EINVAL);
	CU_ASSERT_EQUAL(model_cmds("mlx5_0"), cmds);
	CU_ASSERT_EQUAL(stats("mlx5_0").tises, 2);
	CU_ASSERT_EQUAL(stats("mlx5_0").pds, 2);

	/* Closing A destroys what A still owns, nothing of B's. */
	CU_ASSERT_EQUAL(ibv_close_device(a), 0);
	CU_ASSERT_EQUAL(devx_shim_open_contexts("mlx5_0"), 1);
	CU_ASSERT_EQUAL(stats("mlx5_0").tises, 1);
	CU_ASSERT_EQUAL(stats("mlx5_0").tds, 1);
	CU_ASSERT_EQUAL(stats("mlx5_0").pds, 1);
	query_tis_in(q_in, tisn_b);
	CU_ASSERT_EQUAL(mlx5dv_devx_obj_query(tis_b, q_in, sizeof(q_in), q_out, sizeof(q_out)), 0);
	CU_ASSERT_EQUAL(DEVX_GET(query_tis_out, q_out, tis_context.pd), pdn_b);

	CU_ASSERT_EQUAL(mlx5dv_devx_obj_destroy(tis_b), 0);
	CU_ASSERT_EQUAL(mlx5dv_devx_obj_destroy(td_b), 0);
	CU_ASSERT_EQUAL(ibv_dealloc_pd(pd_b), 0);
	CU_ASSERT_EQUAL(ibv_close_device(b), 0);
	CU_ASSERT_EQUAL(stats("mlx5_0").pds, 0);
	CU_ASSERT_EQUAL(stats("mlx5_0").tises, 0);
}

/* ---- verbs PD (devx-userspace A7) ---- */

static void test_pd(void)
{
	struct ibv_context *ctx = open_ctx("mlx5_1"); /* log_max_pd = 0: one PD */
	struct mlx5dv_obj obj;
	struct mlx5dv_pd dvpd;
	struct ibv_pd *pd, *pd2;
	uint8_t status = 0;
	uint16_t op = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
	pd = ibv_alloc_pd(ctx);
	CU_ASSERT_PTR_NOT_NULL_FATAL(pd);
	CU_ASSERT_PTR_EQUAL(pd->context, ctx);
	CU_ASSERT_NOT_EQUAL(pdn_of(pd), 0);

	/* over the limit: the kernel turns LIM_ERR into ENOMEM; no mailbox for verbs */
	devx_shim_clear_fw_status();
	errno = 0;
	pd2 = ibv_alloc_pd(ctx);
	CU_ASSERT_PTR_NULL(pd2);
	CU_ASSERT_EQUAL(errno, ENOMEM);
	CU_ASSERT_EQUAL(devx_shim_last_fw_status(&op, &status, NULL), 0);
	CU_ASSERT_EQUAL(op, MLX5_CMD_OP_ALLOC_PD);
	CU_ASSERT_EQUAL(status, MLX5_CMD_STAT_LIM_ERR);

	/* PD, QP and CQ are emulated (SRQ/RWQ/DM/AH are not); a handle that is not one of the
	 * shim's is EINVAL */
	memset(&obj, 0, sizeof(obj));
	obj.pd.in = pd;
	obj.pd.out = &dvpd;
	CU_ASSERT_EQUAL(mlx5dv_init_obj(&obj, MLX5DV_OBJ_SRQ), EOPNOTSUPP);
	CU_ASSERT_EQUAL(mlx5dv_init_obj(&obj, MLX5DV_OBJ_PD | MLX5DV_OBJ_AH), EOPNOTSUPP);
	CU_ASSERT_EQUAL(mlx5dv_init_obj(&obj, MLX5DV_OBJ_QP), EINVAL);
	CU_ASSERT_EQUAL(mlx5dv_init_obj(&obj, MLX5DV_OBJ_PD | MLX5DV_OBJ_CQ), EINVAL);
	obj.pd.in = NULL;
	CU_ASSERT_EQUAL(mlx5dv_init_obj(&obj, MLX5DV_OBJ_PD), EINVAL);

	CU_ASSERT_EQUAL(ibv_dealloc_pd(pd), 0);
	CU_ASSERT_EQUAL(stats("mlx5_1").pds, 0);
	CU_ASSERT_EQUAL(ibv_close_device(ctx), 0);
}

/* Closing a context with live objects: the kernel tears them down (devx-userspace A2). */
static void test_close_cleans_up(void)
{
	static const uint8_t key[16] = { 0 };
	struct ibv_context *ctx = open_ctx("mlx5_0");
	MBOX(in, create_encryption_key_in);
	MBOX(out, general_obj_out_cmd_hdr) = { 0 };
	MBOX(c_out, create_tis_out);
	struct devx_shim_dev_stats st;
	uint32_t tdn = 0, tisn = 0, pdn;
	struct ibv_pd *pd;

	CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
	pd = ibv_alloc_pd(ctx);
	CU_ASSERT_PTR_NOT_NULL_FATAL(pd);
	pdn = pdn_of(pd);
	CU_ASSERT_PTR_NOT_NULL(alloc_td(ctx, &tdn));
	CU_ASSERT_PTR_NOT_NULL(create_tis(ctx, pdn, tdn, &tisn, c_out, sizeof(c_out)));
	dek_in(in, MLX5_CMD_OP_CREATE_GENERAL_OBJECT, pdn, key);
	CU_ASSERT_PTR_NOT_NULL(mlx5dv_devx_obj_create(ctx, in, sizeof(in), out, sizeof(out)));
	st = stats("mlx5_0");
	CU_ASSERT_EQUAL(st.pds, 1);
	CU_ASSERT_EQUAL(st.tds, 1);
	CU_ASSERT_EQUAL(st.tises, 1);
	CU_ASSERT_EQUAL(st.deks, 1);
	CU_ASSERT_EQUAL(ibv_close_device(ctx), 0);
	st = stats("mlx5_0");
	CU_ASSERT_EQUAL(st.pds, 0);
	CU_ASSERT_EQUAL(st.tds, 0);
	CU_ASSERT_EQUAL(st.tises, 0);
	CU_ASSERT_EQUAL(st.deks, 0);
}

static void test_counters(void)
{
	CU_ASSERT(devx_shim_calls("mlx5dv_devx_obj_create") > 0);
	CU_ASSERT(devx_shim_calls("ibv_alloc_pd") > 0);
	CU_ASSERT_EQUAL(devx_shim_calls("no_such_function"), 0);
	CU_ASSERT_EQUAL(devx_shim_calls(NULL), 0);
	devx_shim_reset_calls();
	CU_ASSERT_EQUAL(devx_shim_calls("mlx5dv_devx_obj_create"), 0);
	CU_ASSERT_EQUAL(devx_shim_device_count(), 2);
	CU_ASSERT_EQUAL(devx_shim_calls("ibv_get_device_list"), 0); /* control calls don't count */
}

static const struct test_case cases[] = {
	{ "entry points are interposed", test_interposed },
	{ "device list", test_device_list },
	{ "open: DEVX flag required, comp_mask refused", test_open_flags },
	{ "device table control", test_set_devices },
	{ "general command whitelist", test_general_cmd },
	{ "object create rules", test_obj_create_rules },
	{ "firmware rejection: EREMOTEIO + out", test_obj_create_eremoteio },
	{ "query/modify only the handle's own object", test_query_modify_own_object },
	{ "DEK single and bulk, obj_offset", test_dek_objects },
	{ "destroy built from create; in-use refusal", test_destroy_in_use },
	{ "uid isolation between contexts", test_uid_isolation },
	{ "verbs PD and mlx5dv_init_obj", test_pd },
	{ "close destroys what is left", test_close_cleans_up },
	{ "call counters", test_counters },
	{ NULL, NULL },
};

static const struct test_suite suites[] = {
	{ "devx shim", NULL, NULL, cases },
	{ NULL, NULL, NULL, NULL },
};

int main(void)
{
	int ret = devx_shim_set_devices(SHIM_DEVICES);

	if (ret) {
		fprintf(stderr, "devx_shim_set_devices: %s\n", strerror(-ret));
		return 2;
	}
	return test_run_suites(suites);
}
