/* SPDX-License-Identifier: BSD-3-Clause */
/* The last firmware rejection, per thread: callers get -EREMOTEIO and ask here for the detail. */
#include "cmd.h"
#include "prm/mlx5_ifc_tls.h"
#include "prm/prm_names.h"
#include "sim/sim.h"

struct fw_error_record {
	bool valid;
	bool from_model;
	uint16_t opcode;
	uint16_t op_mod;
	uint8_t status;
	uint32_t syndrome;
};

static __thread struct fw_error_record last_error;

void fw_error_record(const struct mlx5tls_device *dev, const void *in, const void *out)
{
	uint16_t obj_type;

	cmd_in_ids(in, &last_error.opcode, &last_error.op_mod, &obj_type);
	if (obj_type)
		last_error.op_mod = obj_type;
	last_error.status = cmd_out_status(out);
	last_error.syndrome = DEVX_GET(mbox_out, out, syndrome);
	last_error.from_model = dev->attr.kind == MLX5TLS_DEVICE_MODEL;
	last_error.valid = true;
}

int mlx5tls_last_fw_error(struct mlx5tls_fw_error *err)
{
	if (!err)
		return libmlx5tls_err(-EINVAL);
	if (!last_error.valid)
		return libmlx5tls_err(-ENOENT);
	err->opcode = last_error.opcode;
	err->op_mod = last_error.op_mod;
	err->status = last_error.status;
	err->syndrome = last_error.syndrome;
	err->opcode_name = prm_opcode_name(last_error.opcode);
	err->status_name = prm_status_name(last_error.status);
	/* Real firmware syndromes are not public (fact sheet 2.2); only the model documents its own. */
	err->syndrome_text = last_error.from_model ? sim_syndrome_str(last_error.syndrome) : NULL;
	return 0;
}

void mlx5tls_clear_fw_error(void)
{
	last_error.valid = false;
}
