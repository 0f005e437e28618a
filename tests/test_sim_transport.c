/* SPDX-License-Identifier: BSD-3-Clause */
/* The `sim` transport (transport/sim.c): device list, open/close, and the firmware-boundary ops
 * with the kernel DevX checks it mirrors (devx-userspace A2). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "prm/mlx5_ifc_tls.h"
#include "sim/syndromes.h"
#include "sim_test_util.h"
#include "test_util.h"
#include "transport/transport.h"

static const struct mlx5tls_transport_ops *ops = &mlx5tls_transport_sim;

static void test_list(void)
{
	struct mlx5tls_device_info *list = NULL;
	int n = 0;

	CU_ASSERT_STRING_EQUAL(ops->name, "sim");
	CU_ASSERT_EQUAL_FATAL(ops->list(&list, &n), 0);
	CU_ASSERT_EQUAL_FATAL(n, 3);
	CU_ASSERT_STRING_EQUAL(list[0].name, "sim:cx6dx");
	CU_ASSERT_STRING_EQUAL(list[1].name, "sim:cx6dx-legacy");
	CU_ASSERT_STRING_EQUAL(list[2].name, "sim:cx6dx-nocrypto");
	for (int i = 0; i < n; i++) {
		CU_ASSERT_EQUAL(list[i].kind, MLX5TLS_DEVICE_MODEL);
		CU_ASSERT_STRING_EQUAL(list[i].transport, "sim");
		CU_ASSERT_STRING_EQUAL(list[i].profile, list[i].name + 4);
		CU_ASSERT(strlen(list[i].description) > 10);
	}
	free(list);
	CU_ASSERT_EQUAL(ops->list(NULL, &n), -EINVAL);
}

static void test_open_names(void)
{
	struct mlx5tls_device_attr attr;
	struct mlx5tls_xport *xp = NULL;

	CU_ASSERT_EQUAL_FATAL(ops->open("sim", &xp, &attr), 0);
	CU_ASSERT_STRING_EQUAL(attr.name, "sim:cx6dx"); /* the default profile, named in full */
	CU_ASSERT_EQUAL(attr.kind, MLX5TLS_DEVICE_MODEL);
	CU_ASSERT_STRING_EQUAL(attr.transport, "sim");
	CU_ASSERT_STRING_EQUAL(attr.profile, "cx6dx");
	CU_ASSERT_STRING_EQUAL(attr.fw_ver, "22.41.1000");
	ops->close(xp);

	CU_ASSERT_EQUAL_FATAL(ops->open("sim:cx6dx-legacy,log_max_tis=3", &xp, &attr), 0);
	CU_ASSERT_STRING_EQUAL(attr.name, "sim:cx6dx-legacy,log_max_tis=3");
	CU_ASSERT_STRING_EQUAL(attr.profile, "cx6dx-legacy");
	CU_ASSERT_STRING_EQUAL(attr.fw_ver, "22.31.1014");
	ops->close(xp);

	CU_ASSERT_EQUAL_FATAL(ops->open(NULL, &xp, &attr), 0);
	CU_ASSERT_STRING_EQUAL(attr.profile, "cx6dx");
	ops->close(xp);
	CU_ASSERT_EQUAL_FATAL(ops->open("sim:", &xp, NULL), 0);
	ops->close(xp);

	xp = NULL;
	CU_ASSERT_EQUAL(ops->open("sim:cx5", &xp, &attr), -EINVAL);
	CU_ASSERT_EQUAL(ops->open("sim:cx6dx,log_max_pd=40", &xp, &attr), -EINVAL);
	CU_ASSERT_EQUAL(ops->open("mlx5_0", &xp, &attr), -ENODEV);
	CU_ASSERT_EQUAL(ops->open("simulator", &xp, &attr), -ENODEV);
	CU_ASSERT_PTR_NULL(xp);
	ops->close(NULL);
}

static int alloc_pd(struct mlx5tls_xport *xp, struct mlx5tls_xobj **obj, uint32_t *pdn)
{
	uint32_t in[4] = { 0 }, out[4] = { 0 };
	int ret;

	DEVX_SET(alloc_pd_in, in, opcode, MLX5_CMD_OP_ALLOC_PD);
	ret = ops->pd_alloc(xp, in, sizeof(in), out, sizeof(out), obj);
	*pdn = DEVX_GET(alloc_pd_out, out, pd);
	return ret;
}

static int num_cmd(struct mlx5tls_xobj *obj, int (*op)(struct mlx5tls_xobj *, const void *,
						       size_t, void *, size_t),
		   uint16_t opcode, uint32_t num, void *out, size_t outlen)
{
	uint32_t in[4] = { 0 };

	DEVX_SET(obj_num_in, in, opcode, opcode);
	DEVX_SET(obj_num_in, in, obj_num, num);
	return op(obj, in, sizeof(in), out, outlen);
}

static void test_objects(void)
{
	struct mlx5tls_xport *xp;
	struct mlx5tls_xobj *pd, *td, *tis, *dek;
	uint32_t pdn, tdn, tisn, dek_id;
	uint32_t in[528 / 4], out[4112 / 4];

	CU_ASSERT_EQUAL_FATAL(ops->open("sim", &xp, NULL), 0);

	/* general_cmd: QUERY_HCA_CAP and SYNC_CRYPTO run */
	memset(in, 0, sizeof(in));
	DEVX_SET(query_hca_cap_in, in, opcode, MLX5_CMD_OP_QUERY_HCA_CAP);
	DEVX_SET(query_hca_cap_in, in, op_mod, 1);
	CU_ASSERT_EQUAL(ops->general_cmd(xp, in, 16, out, 4112), 0);
	CU_ASSERT_EQUAL(((uint8_t *)out)[198], 22);
	memset(in, 0, sizeof(in));
	DEVX_SET(sync_crypto_in, in, opcode, MLX5_CMD_OP_SYNC_CRYPTO);
	DEVX_SET(sync_crypto_in, in, crypto_type, 2);
	CU_ASSERT_EQUAL(ops->general_cmd(xp, in, 32, out, 16), 0);

	CU_ASSERT_EQUAL_FATAL(alloc_pd(xp, &pd, &pdn), 0);
	CU_ASSERT_EQUAL(pdn, 0x10);
	memset(in, 0, sizeof(in));
	DEVX_SET(alloc_transport_domain_in, in, opcode, MLX5_CMD_OP_ALLOC_TRANSPORT_DOMAIN);
	CU_ASSERT_EQUAL_FATAL(ops->obj_create(xp, in, 16, out, 16, &td), 0);
	tdn = DEVX_GET(alloc_transport_domain_out, out, transport_domain);
	CU_ASSERT_EQUAL(tdn, 0x20);

	memset(in, 0, sizeof(in));
	DEVX_SET(create_tis_in, in, opcode, MLX5_CMD_OP_CREATE_TIS);
	DEVX_SET(create_tis_in, in, ctx.tls_en, 1);
	DEVX_SET(create_tis_in, in, ctx.transport_domain, tdn);
	DEVX_SET(create_tis_in, in, ctx.pd, pdn);
	CU_ASSERT_EQUAL_FATAL(ops->obj_create(xp, in, 192, out, 16, &tis), 0);
	tisn = DEVX_GET(create_tis_out, out, tisn);
	CU_ASSERT_EQUAL(tisn, 0x40);

	memset(in, 0, sizeof(in));
	DEVX_SET(create_encryption_key_in, in, hdr.opcode, MLX5_CMD_OP_CREATE_GENERAL_OBJECT);
	DEVX_SET(create_encryption_key_in, in, hdr.obj_type, MLX5_GENERAL_OBJECT_TYPES_ENCRYPTION_KEY);
	DEVX_SET(create_encryption_key_in, in, hdr.op_param.create.log_obj_range, 4);
	DEVX_SET(create_encryption_key_in, in, obj.key_purpose, MLX5_ENCRYPTION_KEY_OBJ_KEY_PURPOSE_TLS);
	DEVX_SET(create_encryption_key_in, in, obj.pd, pdn);
	CU_ASSERT_EQUAL_FATAL(ops->obj_create(xp, in, 528, out, 16, &dek), 0);
	dek_id = DEVX_GET(general_obj_out_cmd_hdr, out, obj_id);
	CU_ASSERT_EQUAL(dek_id % 16, 0);

	/* query/modify on the handle's own object */
	CU_ASSERT_EQUAL(num_cmd(tis, ops->obj_query, MLX5_CMD_OP_QUERY_TIS, tisn, out, 176), 0);
	CU_ASSERT_EQUAL(DEVX_GET(query_tis_out, out, tis_context.pd), pdn);
	memset(in, 0, sizeof(in));
	DEVX_SET(modify_encryption_key_in, in, hdr.opcode, MLX5_CMD_OP_MODIFY_GENERAL_OBJECT);
	DEVX_SET(modify_encryption_key_in, in, hdr.obj_type, MLX5_GENERAL_OBJECT_TYPES_ENCRYPTION_KEY);
	DEVX_SET(modify_encryption_key_in, in, hdr.obj_id, dek_id);
	DEVX_SET(modify_encryption_key_in, in, hdr.op_param.query.obj_offset, 3);
	DEVX_SET64(modify_encryption_key_in, in, obj.modify_field_select, 1);
	DEVX_SET(modify_encryption_key_in, in, obj.key_purpose, MLX5_ENCRYPTION_KEY_OBJ_KEY_PURPOSE_TLS);
	DEVX_SET(modify_encryption_key_in, in, obj.pd, pdn);
	memset((uint8_t *)in + 96, 0x42, 16);
	CU_ASSERT_EQUAL(ops->obj_modify(dek, in, 528, out, 16), 0);
	/* the same MODIFY again: the model rejects it, the transport reports it */
	memset(out, 0, 16);
	CU_ASSERT_EQUAL(ops->obj_modify(dek, in, 528, out, 16), -EREMOTEIO);
	CU_ASSERT_EQUAL(DEVX_GET(mbox_out, out, status), MLX5_CMD_STAT_BAD_RES_STATE_ERR);
	CU_ASSERT_EQUAL(out_syndrome(out), SIM_SYND_DEK_REKEY_BEFORE_SYNC);

	/* a PD still used cannot go; its handle stays valid */
	CU_ASSERT_EQUAL(num_cmd(pd, ops->pd_dealloc, MLX5_CMD_OP_DEALLOC_PD, pdn, out, 16),
			-EREMOTEIO);
	CU_ASSERT_EQUAL(DEVX_GET(mbox_out, out, status), MLX5_CMD_STAT_BAD_RES_STATE_ERR);
	CU_ASSERT_EQUAL(out_syndrome(out), SIM_SYND_PD_IN_USE);

	/* teardown in dependency order */
	memset(in, 0, sizeof(in));
	DEVX_SET(general_obj_in_cmd_hdr, in, opcode, MLX5_CMD_OP_DESTROY_GENERAL_OBJECT);
	DEVX_SET(general_obj_in_cmd_hdr, in, obj_type, MLX5_GENERAL_OBJECT_TYPES_ENCRYPTION_KEY);
	DEVX_SET(general_obj_in_cmd_hdr, in, obj_id, dek_id);
	CU_ASSERT_EQUAL(ops->obj_destroy(dek, in, 16, out, 16), 0);
	CU_ASSERT_EQUAL(num_cmd(tis, ops->obj_destroy, MLX5_CMD_OP_DESTROY_TIS, tisn, out, 16), 0);
	CU_ASSERT_EQUAL(num_cmd(td, ops->obj_destroy, MLX5_CMD_OP_DEALLOC_TRANSPORT_DOMAIN, tdn, out,
				16), 0);
	CU_ASSERT_EQUAL(num_cmd(pd, ops->pd_dealloc, MLX5_CMD_OP_DEALLOC_PD, pdn, out, 16), 0);
	ops->close(xp);
}

/* What the kernel's DevX layer refuses never reaches the model: -EINVAL, nothing executed. */
static void test_devx_rules(void)
{
	struct mlx5tls_xport *xp;
	struct mlx5tls_xobj *pd, *td, *td2, *obj = NULL;
	uint32_t pdn, tdn, tdn2;
	uint32_t in[192 / 4] = { 0 }, out[176 / 4];

	CU_ASSERT_EQUAL_FATAL(ops->open("sim", &xp, NULL), 0);
	CU_ASSERT_EQUAL_FATAL(alloc_pd(xp, &pd, &pdn), 0);

	/* object commands are not general commands */
	DEVX_SET(alloc_pd_in, in, opcode, MLX5_CMD_OP_ALLOC_PD);
	CU_ASSERT_EQUAL(ops->general_cmd(xp, in, 16, out, 16), -EINVAL);
	DEVX_SET(alloc_pd_in, in, opcode, MLX5_CMD_OP_QUERY_TIS);
	CU_ASSERT_EQUAL(ops->general_cmd(xp, in, 16, out, 176), -EINVAL);
	/* a non-creating command is not an object create */
	DEVX_SET(alloc_pd_in, in, opcode, MLX5_CMD_OP_QUERY_HCA_CAP);
	CU_ASSERT_EQUAL(ops->obj_create(xp, in, 16, out, 16, &obj), -EINVAL);
	CU_ASSERT_PTR_NULL(obj);
	/* pd_alloc only allocates PDs */
	DEVX_SET(alloc_pd_in, in, opcode, MLX5_CMD_OP_ALLOC_TRANSPORT_DOMAIN);
	CU_ASSERT_EQUAL(ops->pd_alloc(xp, in, 16, out, 16, &obj), -EINVAL);
	CU_ASSERT_EQUAL_FATAL(ops->obj_create(xp, in, 16, out, 16, &td), 0);
	tdn = DEVX_GET(alloc_transport_domain_out, out, transport_domain);
	CU_ASSERT_EQUAL_FATAL(ops->obj_create(xp, in, 16, out, 16, &td2), 0);
	tdn2 = DEVX_GET(alloc_transport_domain_out, out, transport_domain);
	/* short mailboxes */
	CU_ASSERT_EQUAL(ops->obj_create(xp, in, 8, out, 16, &obj), -EINVAL);
	CU_ASSERT_EQUAL(ops->general_cmd(xp, in, 16, out, 8), -EINVAL);

	/* destroy must name the handle's own object, with the matching opcode */
	CU_ASSERT_EQUAL(num_cmd(td, ops->obj_destroy, MLX5_CMD_OP_DEALLOC_TRANSPORT_DOMAIN, tdn2, out,
				16), -EINVAL);
	CU_ASSERT_EQUAL(num_cmd(td, ops->obj_destroy, MLX5_CMD_OP_DEALLOC_PD, tdn, out, 16), -EINVAL);
	CU_ASSERT_EQUAL(num_cmd(td, ops->obj_query, MLX5_CMD_OP_QUERY_TIS, tdn, out, 176), -EINVAL);
	CU_ASSERT_EQUAL(num_cmd(td, ops->pd_dealloc, MLX5_CMD_OP_DEALLOC_TRANSPORT_DOMAIN, tdn, out,
				16), -EINVAL);
	CU_ASSERT_EQUAL(num_cmd(pd, ops->pd_dealloc, MLX5_CMD_OP_DEALLOC_PD, pdn + 1, out, 16),
			-EINVAL);
	/* the model never saw them: both TDs still live */
	CU_ASSERT_EQUAL(num_cmd(td, ops->obj_destroy, MLX5_CMD_OP_DEALLOC_TRANSPORT_DOMAIN, tdn, out,
				16), 0);
	CU_ASSERT_EQUAL(num_cmd(td2, ops->obj_destroy, MLX5_CMD_OP_DEALLOC_TRANSPORT_DOMAIN, tdn2,
				out, 16), 0);
	/* a model rejection of a create gives no handle */
	memset(in, 0, sizeof(in));
	DEVX_SET(create_tis_in, in, opcode, MLX5_CMD_OP_CREATE_TIS);
	DEVX_SET(create_tis_in, in, ctx.transport_domain, tdn);
	obj = NULL;
	CU_ASSERT_EQUAL(ops->obj_create(xp, in, 192, out, 16, &obj), -EREMOTEIO);
	CU_ASSERT_EQUAL(DEVX_GET(mbox_out, out, status), MLX5_CMD_STAT_BAD_RES_ERR);
	CU_ASSERT_EQUAL(out_syndrome(out), SIM_SYND_TD_UNKNOWN);
	CU_ASSERT_PTR_NULL(obj);
	CU_ASSERT_EQUAL(num_cmd(pd, ops->pd_dealloc, MLX5_CMD_OP_DEALLOC_PD, pdn, out, 16), 0);
	ops->close(xp);
}

static const struct test_case cases[] = {
	{ "list", test_list },
	{ "open names", test_open_names },
	{ "objects", test_objects },
	{ "DevX rules", test_devx_rules },
	{ NULL, NULL },
};

static const struct test_suite suites[] = {
	{ "sim transport", NULL, NULL, cases },
	{ NULL, NULL, NULL, NULL },
};

int main(void)
{
	return test_run_suites(suites);
}
