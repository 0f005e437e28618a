/* SPDX-License-Identifier: BSD-3-Clause */
#include "cmd.h"
#include "prm/mlx5_ifc_tls.h"
#include "prm/prm_names.h"

uint8_t cmd_out_status(const void *out)
{
	return (uint8_t)DEVX_GET(mbox_out, out, status);
}

void cmd_in_ids(const void *in, uint16_t *opcode, uint16_t *op_mod, uint16_t *obj_type)
{
	*opcode = (uint16_t)DEVX_GET(mbox_in, in, opcode);
	*op_mod = 0;
	*obj_type = 0;
	if (*opcode >= MLX5_CMD_OP_CREATE_GENERAL_OBJECT &&
	    *opcode <= MLX5_CMD_OP_DESTROY_GENERAL_OBJECT)
		*obj_type = (uint16_t)DEVX_GET(general_obj_in_cmd_hdr, in, obj_type);
	else
		*op_mod = (uint16_t)DEVX_GET(mbox_in, in, op_mod);
}

static int dispatch(struct mlx5tls_device *dev, enum cmd_kind kind, struct mlx5tls_xobj *obj,
		    struct mlx5tls_xobj **new_obj, const void *in, size_t inlen, void *out,
		    size_t outlen)
{
	const struct mlx5tls_transport_ops *ops = dev->ops;

	switch (kind) {
	case CMD_GENERAL:
		return ops->general_cmd(dev->xp, in, inlen, out, outlen);
	case CMD_CREATE:
		return ops->obj_create(dev->xp, in, inlen, out, outlen, new_obj);
	case CMD_QUERY:
		return ops->obj_query(obj, in, inlen, out, outlen);
	case CMD_MODIFY:
		return ops->obj_modify(obj, in, inlen, out, outlen);
	case CMD_DESTROY:
		return ops->obj_destroy(obj, in, inlen, out, outlen);
	case CMD_PD_ALLOC:
		return ops->pd_alloc(dev->xp, in, inlen, out, outlen, new_obj);
	case CMD_PD_DEALLOC:
		return ops->pd_dealloc(obj, in, inlen, out, outlen);
	}
	return -EINVAL;
}

int cmd_exec(struct mlx5tls_device *dev, enum cmd_kind kind, struct mlx5tls_xobj *obj,
	     struct mlx5tls_xobj **new_obj, const void *in, size_t inlen, void *out, size_t outlen,
	     const struct cmd_secret *secret)
{
	int ret;

	counter_inc(dev, MLX5TLS_CNT_FW_CMDS);
	ret = dispatch(dev, kind, obj, new_obj, in, inlen, out, outlen);
	if (dev->trace)
		trace_cmd(dev->trace, dev->attr.name, in, inlen, out, outlen, secret);
	if (ret == -EREMOTEIO) {
		uint16_t opcode, op_mod, obj_type;

		counter_inc(dev, MLX5TLS_CNT_FW_CMD_ERRORS);
		fw_error_record(dev, in, out);
		cmd_in_ids(in, &opcode, &op_mod, &obj_type);
		pr_debug("%s: %s failed: status 0x%x (%s), syndrome 0x%08x\n", dev->attr.name,
			 prm_opcode_name(opcode), cmd_out_status(out),
			 prm_status_name(cmd_out_status(out)),
			 (unsigned int)DEVX_GET(mbox_out, out, syndrome));
	}
	return ret;
}
