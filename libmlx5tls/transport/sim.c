/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The `sim` transport: the firmware boundary onto the built-in device model. It moves the
 * library's mailboxes to sim_cmd_exec unchanged, under one model user context per open device,
 * and applies the same checks the kernel's DevX layer applies before a command reaches firmware
 * (devx-userspace A2), so a mailbox that would be refused on the `devx` path is refused here too:
 *  - object commands go through obj_create/query/modify/destroy, never general_cmd;
 *  - query/modify/destroy must name the handle's own object (devx_is_valid_obj_id);
 *  - a mailbox shorter than the 16-byte header never runs.
 * Those refusals return -EINVAL without executing anything, as the kernel does.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "prm/mlx5_ifc_tls.h"
#include "sim/sim.h"
#include "transport/transport.h"

#define HDR_LEN 16u /* command header and output header (fact sheet 2.1, 3.1, 3.2) */

#include "transport/sim_xport.h"

/* The command family of an object, fixed by the opcode that created it. */
struct obj_family {
	uint16_t create_op;
	uint16_t destroy_op;
	uint16_t query_op;  /* 0 = none */
	uint16_t modify_op; /* 0 = none */
	bool general;       /* general object: id in obj_id (bit 0x40), else a 24-bit number at 0x48 */
};

static const struct obj_family families[] = {
	{ MLX5_CMD_OP_ALLOC_PD, MLX5_CMD_OP_DEALLOC_PD, 0, 0, false },
	{ MLX5_CMD_OP_ALLOC_TRANSPORT_DOMAIN, MLX5_CMD_OP_DEALLOC_TRANSPORT_DOMAIN, 0, 0, false },
	{ MLX5_CMD_OP_CREATE_TIS, MLX5_CMD_OP_DESTROY_TIS, MLX5_CMD_OP_QUERY_TIS,
	  MLX5_CMD_OP_MODIFY_TIS, false },
	/* TIRs (fact sheet 4.3); their RQs come from rq_create, as rdma-core's ibv_create_wq */
	{ MLX5_CMD_OP_CREATE_TIR, MLX5_CMD_OP_DESTROY_TIR, MLX5_CMD_OP_QUERY_TIR,
	  MLX5_CMD_OP_MODIFY_TIR, false },
	{ MLX5_CMD_OP_CREATE_GENERAL_OBJECT, MLX5_CMD_OP_DESTROY_GENERAL_OBJECT,
	  MLX5_CMD_OP_QUERY_GENERAL_OBJECT, MLX5_CMD_OP_MODIFY_GENERAL_OBJECT, true },
};

#define NUM_FAMILIES (sizeof(families) / sizeof(families[0]))

struct mlx5tls_xobj {
	struct mlx5tls_xport *xp;
	const struct obj_family *family;
	uint16_t obj_type; /* general objects */
	uint32_t id;
};

uint32_t sim_xobj_id(const struct mlx5tls_xobj *obj)
{
	return obj ? obj->id : 0;
}

/* The first 16 bytes of a mailbox, copied so DEVX_GET reads aligned memory. */
struct hdr_copy {
	uint32_t dw[HDR_LEN / 4];
};

static void copy_hdr(struct hdr_copy *h, const void *mbox)
{
	memcpy(h->dw, mbox, HDR_LEN);
}

static const struct obj_family *family_of_create(uint16_t opcode)
{
	for (size_t i = 0; i < NUM_FAMILIES; i++)
		if (families[i].create_op == opcode)
			return &families[i];
	return NULL;
}

/* Opcodes the kernel's DevX layer treats as object commands (create/destroy/query/modify). */
static bool is_object_cmd(uint16_t opcode)
{
	for (size_t i = 0; i < NUM_FAMILIES; i++) {
		const struct obj_family *f = &families[i];

		if (opcode == f->create_op || opcode == f->destroy_op ||
		    (f->query_op && opcode == f->query_op) || (f->modify_op && opcode == f->modify_op))
			return true;
	}
	return false;
}

/* The object a query/modify/destroy mailbox names, as the kernel's devx_is_valid_obj_id reads
 * it. */
static bool names_object(const struct mlx5tls_xobj *obj, const struct hdr_copy *h)
{
	if (obj->family->general)
		return DEVX_GET(general_obj_in_cmd_hdr, h->dw, obj_type) == obj->obj_type &&
		       DEVX_GET(general_obj_in_cmd_hdr, h->dw, obj_id) == obj->id;
	return DEVX_GET(obj_num_in, h->dw, obj_num) == obj->id;
}

static int sim_list(struct mlx5tls_device_info **list, int *n)
{
	const struct sim_profile_desc *profiles = sim_profiles();
	struct mlx5tls_device_info *infos;
	int count = 0;

	if (!list || !n)
		return -EINVAL;
	while (profiles[count].name)
		count++;
	infos = calloc(count ? (size_t)count : 1, sizeof(*infos));
	if (!infos)
		return -ENOMEM;
	for (int i = 0; i < count; i++) {
		snprintf(infos[i].name, sizeof(infos[i].name), "sim:%s", profiles[i].name);
		infos[i].kind = MLX5TLS_DEVICE_MODEL;
		snprintf(infos[i].transport, sizeof(infos[i].transport), "sim");
		snprintf(infos[i].profile, sizeof(infos[i].profile), "%s", profiles[i].name);
		snprintf(infos[i].description, sizeof(infos[i].description), "%s",
			 profiles[i].description);
	}
	*list = infos;
	*n = count;
	return 0;
}

static int parse_prob(const char *v, double *out)
{
	char *end;
	double d;

	errno = 0;
	d = strtod(v, &end);
	if (errno || end == v || *end || !(d >= 0.0 && d <= 1.0))
		return -EINVAL;
	*out = d;
	return 0;
}

static int apply_wire_opt(const char *item, struct sim_fault_cfg *cfg, unsigned int *dirs)
{
	const char *v = strchr(item, '=');

	if (!v)
		return -EINVAL;
	v++;
	if (!strncmp(item, "wire_loss=", 10))
		return parse_prob(v, &cfg->loss);
	if (!strncmp(item, "wire_reorder=", 13))
		return parse_prob(v, &cfg->reorder);
	if (!strncmp(item, "wire_dup=", 9))
		return parse_prob(v, &cfg->dup);
	if (!strncmp(item, "wire_corrupt=", 13))
		return parse_prob(v, &cfg->corrupt);
	if (!strncmp(item, "wire_seed=", 10)) {
		char *end;
		unsigned long long n;

		if (*v < '0' || *v > '9')
			return -EINVAL;
		errno = 0;
		n = strtoull(v, &end, 10);
		if (errno || *end)
			return -EINVAL;
		cfg->seed = n;
		return 0;
	}
	if (!strncmp(item, "wire_dir=", 9)) {
		if (!strcmp(v, "both"))
			*dirs = SIM_WIRE_FAULT_TX | SIM_WIRE_FAULT_RX;
		else if (!strcmp(v, "tx"))
			*dirs = SIM_WIRE_FAULT_TX;
		else if (!strcmp(v, "rx"))
			*dirs = SIM_WIRE_FAULT_RX;
		else
			return -EINVAL;
		return 0;
	}
	return -EINVAL;
}

int sim_wire_parse_opts(const char *spec, char *rest, size_t rest_sz, struct sim_fault_cfg *cfg,
			unsigned int *dirs)
{
	char item[128];
	size_t used = 0;
	const char *p = spec;

	memset(cfg, 0, sizeof(*cfg));
	*dirs = SIM_WIRE_FAULT_TX | SIM_WIRE_FAULT_RX;
	if (!rest_sz)
		return -ENAMETOOLONG;
	rest[0] = '\0';
	while (p && *p) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);
		bool first = p == spec;

		if (len >= sizeof(item))
			return -EINVAL;
		memcpy(item, p, len);
		item[len] = '\0';
		if (!first && !strncmp(item, "wire_", 5)) {
			int ret = apply_wire_opt(item, cfg, dirs);

			if (ret)
				return ret;
		} else {
			if (used + len + 2 > rest_sz)
				return -ENAMETOOLONG;
			if (!first)
				rest[used++] = ',';
			memcpy(rest + used, item, len);
			used += len;
			rest[used] = '\0';
		}
		p = comma ? comma + 1 : NULL;
	}
	return 0;
}

static int sim_open(const char *name, struct mlx5tls_xport **xpp, struct mlx5tls_device_attr *attr)
{
	const char *spec;
	struct mlx5tls_xport *xp;
	struct sim_fault_cfg fcfg;
	unsigned int fdirs;
	char dev_spec[256];
	int ret;

	if (!xpp)
		return -EINVAL;
	if (!name)
		name = "sim"; /* the first (default) model device */
	if (!strcmp(name, "sim"))
		spec = NULL; /* = cx6dx */
	else if (!strncmp(name, "sim:", 4))
		spec = name + 4;
	else
		return -ENODEV;

	if (spec) {
		ret = sim_wire_parse_opts(spec, dev_spec, sizeof(dev_spec), &fcfg, &fdirs);
		if (ret)
			return ret == -ENAMETOOLONG ? -EINVAL : ret;
		spec = dev_spec;
	} else {
		memset(&fcfg, 0, sizeof(fcfg));
		fdirs = SIM_WIRE_FAULT_TX | SIM_WIRE_FAULT_RX;
	}
	xp = calloc(1, sizeof(*xp));
	if (!xp)
		return -ENOMEM;
	xp->fault_cfg = fcfg;
	xp->fault_dirs = fdirs;
	pthread_mutex_init(&xp->wire_lock, NULL);
	xp->dev = sim_dev_create(spec);
	if (!xp->dev) {
		/* sim_dev_create sets errno; never report success for a missing device */
		ret = errno ? -errno : -EINVAL;
		free(xp);
		return ret;
	}
	ret = sim_uctx_alloc(xp->dev, &xp->uid);
	if (!ret) {
		ret = sim_wire_init(xp);
		if (ret)
			sim_uctx_free(xp->dev, xp->uid);
	}
	if (ret) {
		sim_dev_destroy(xp->dev);
		free(xp);
		return ret;
	}
	if (attr) {
		memset(attr, 0, sizeof(*attr));
		/* "sim" alone names the default profile; report it in full so every output says
		 * which model it is */
		if (!strcmp(name, "sim"))
			snprintf(attr->name, sizeof(attr->name), "sim:%s", sim_dev_profile(xp->dev));
		else
			snprintf(attr->name, sizeof(attr->name), "%s", name);
		attr->kind = MLX5TLS_DEVICE_MODEL;
		snprintf(attr->transport, sizeof(attr->transport), "sim");
		snprintf(attr->profile, sizeof(attr->profile), "%s", sim_dev_profile(xp->dev));
		snprintf(attr->fw_ver, sizeof(attr->fw_ver), "%s", sim_dev_fw_ver(xp->dev));
	}
	*xpp = xp;
	return 0;
}

/* Handles still open are the caller's to destroy first; their objects die with the uctx here. */
static void sim_close(struct mlx5tls_xport *xp)
{
	if (!xp)
		return;
	sim_wire_fini(xp);
	sim_uctx_free(xp->dev, xp->uid);
	sim_dev_destroy(xp->dev);
	pthread_mutex_destroy(&xp->wire_lock);
	free(xp);
}

static int exec(struct mlx5tls_xport *xp, const void *in, size_t inlen, void *out, size_t outlen)
{
	return sim_cmd_exec(xp->dev, xp->uid, in, inlen, out, outlen);
}

static int sim_general_cmd(struct mlx5tls_xport *xp, const void *in, size_t inlen, void *out,
			   size_t outlen)
{
	struct hdr_copy h;

	if (!xp || !in || !out || inlen < HDR_LEN || outlen < HDR_LEN)
		return -EINVAL;
	copy_hdr(&h, in);
	/* devx-userspace A2: mlx5dv_devx_general_cmd refuses object commands. */
	if (is_object_cmd((uint16_t)DEVX_GET(mbox_in, h.dw, opcode)))
		return -EINVAL;
	return exec(xp, in, inlen, out, outlen);
}

/* Create an object; required_op != 0 restricts the creating opcode (pd_alloc: ALLOC_PD). */
static int create_obj(struct mlx5tls_xport *xp, const void *in, size_t inlen, void *out,
		      size_t outlen, struct mlx5tls_xobj **objp, uint16_t required_op)
{
	const struct obj_family *family;
	struct mlx5tls_xobj *obj;
	struct hdr_copy h, oh;
	int ret;

	if (!xp || !in || !out || !objp || inlen < HDR_LEN || outlen < HDR_LEN)
		return -EINVAL;
	copy_hdr(&h, in);
	family = family_of_create((uint16_t)DEVX_GET(mbox_in, h.dw, opcode));
	/* The kernel's devx_is_obj_create_cmd: anything else is not an object-creating command. */
	if (!family || (required_op && family->create_op != required_op))
		return -EINVAL;
	ret = exec(xp, in, inlen, out, outlen);
	if (ret)
		return ret;

	copy_hdr(&oh, out);
	obj = calloc(1, sizeof(*obj));
	if (!obj) {
		/* Do not leak the object the model just made: undo it as DevX would on close. */
		uint32_t dmb[8] = { 0 }, dout[HDR_LEN / 4];

		if (family->general) {
			DEVX_SET(general_obj_in_cmd_hdr, dmb, opcode, family->destroy_op);
			DEVX_SET(general_obj_in_cmd_hdr, dmb, obj_type,
				 DEVX_GET(general_obj_in_cmd_hdr, h.dw, obj_type));
			DEVX_SET(general_obj_in_cmd_hdr, dmb, obj_id,
				 DEVX_GET(general_obj_out_cmd_hdr, oh.dw, obj_id));
		} else {
			DEVX_SET(obj_num_in, dmb, opcode, family->destroy_op);
			DEVX_SET(obj_num_in, dmb, obj_num, DEVX_GET(obj_num_out, oh.dw, obj_num));
		}
		(void)exec(xp, dmb, HDR_LEN, dout, sizeof(dout));
		return -ENOMEM;
	}
	obj->xp = xp;
	obj->family = family;
	if (family->general) {
		obj->obj_type = (uint16_t)DEVX_GET(general_obj_in_cmd_hdr, h.dw, obj_type);
		obj->id = DEVX_GET(general_obj_out_cmd_hdr, oh.dw, obj_id);
	} else {
		obj->id = DEVX_GET(obj_num_out, oh.dw, obj_num);
	}
	*objp = obj;
	return 0;
}

/* Run a query/modify/destroy mailbox on `obj` if it is of `opcode` and names obj. */
static int obj_cmd(struct mlx5tls_xobj *obj, uint16_t opcode, const void *in, size_t inlen,
		   void *out, size_t outlen)
{
	struct hdr_copy h;

	if (!obj || !in || !out || inlen < HDR_LEN || outlen < HDR_LEN || !opcode)
		return -EINVAL;
	copy_hdr(&h, in);
	if (DEVX_GET(mbox_in, h.dw, opcode) != opcode || !names_object(obj, &h))
		return -EINVAL;
	return exec(obj->xp, in, inlen, out, outlen);
}

static int sim_obj_create(struct mlx5tls_xport *xp, const void *in, size_t inlen, void *out,
			  size_t outlen, struct mlx5tls_xobj **obj)
{
	return create_obj(xp, in, inlen, out, outlen, obj, 0);
}

static int sim_obj_query(struct mlx5tls_xobj *obj, const void *in, size_t inlen, void *out,
			 size_t outlen)
{
	return obj_cmd(obj, obj ? obj->family->query_op : 0, in, inlen, out, outlen);
}

static int sim_obj_modify(struct mlx5tls_xobj *obj, const void *in, size_t inlen, void *out,
			  size_t outlen)
{
	return obj_cmd(obj, obj ? obj->family->modify_op : 0, in, inlen, out, outlen);
}

static int sim_obj_destroy(struct mlx5tls_xobj *obj, const void *in, size_t inlen, void *out,
			   size_t outlen)
{
	int ret = obj_cmd(obj, obj ? obj->family->destroy_op : 0, in, inlen, out, outlen);

	/* On failure the object lives on in the model, so the handle stays valid. */
	if (!ret)
		free(obj);
	return ret;
}

static int sim_pd_alloc(struct mlx5tls_xport *xp, const void *in, size_t inlen, void *out,
			size_t outlen, struct mlx5tls_xobj **obj)
{
	return create_obj(xp, in, inlen, out, outlen, obj, MLX5_CMD_OP_ALLOC_PD);
}

static int sim_pd_dealloc(struct mlx5tls_xobj *obj, const void *in, size_t inlen, void *out,
			  size_t outlen)
{
	if (obj && obj->family->create_op != MLX5_CMD_OP_ALLOC_PD)
		return -EINVAL;
	return sim_obj_destroy(obj, in, inlen, out, outlen);
}

const struct mlx5tls_transport_ops mlx5tls_transport_sim = {
	.name = "sim",
	.list = sim_list,
	.open = sim_open,
	.close = sim_close,
	.general_cmd = sim_general_cmd,
	.obj_create = sim_obj_create,
	.obj_query = sim_obj_query,
	.obj_modify = sim_obj_modify,
	.obj_destroy = sim_obj_destroy,
	.pd_alloc = sim_pd_alloc,
	.pd_dealloc = sim_pd_dealloc,
	.qp_needs_tis = true,
	.qp_create = sim_qp_create,
	.qp_destroy = sim_qp_destroy,
	.qp_doorbell = sim_qp_doorbell,
	.qp_recover = sim_qp_recover,
	.qp_inject_error = sim_qp_inject_error,
	.mr_reg = sim_mr_reg_op,
	.mr_dereg = sim_mr_dereg_op,
	.wire_set = sim_wire_set,
	.wire_rx = sim_wire_rx,
	.wire_stats = sim_wire_stats,
	.rq_create = sim_rq_create_op,
	.rq_destroy = sim_rq_destroy_op,
	.rq_recover = sim_rq_recover_op,
	.rq_out_of_buffer = sim_rq_out_of_buffer_op,
	.flow_create = sim_flow_create_op,
	.flow_destroy = sim_flow_destroy_op,
};
