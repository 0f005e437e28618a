/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DevX interposer, libmlx5 part: mlx5dv_is_supported, mlx5dv_open_device, mlx5dv_init_obj (PD)
 * and the DevX command entry points. Each reproduces what rdma-core v44 and the kernel's DevX
 * handlers (drivers/infiniband/hw/mlx5/devx.c, cited by devx-userspace A2) check before a mailbox
 * reaches the firmware, then hands the mailbox to the model with the context's uid.
 *
 * Return conventions as rdma-core's (devx-userspace A2): create → object or NULL + errno;
 * query/modify/destroy/general_cmd → 0 or a positive errno (errno set too). A firmware rejection
 * of a DevX command is EREMOTEIO with status and syndrome in `out` (man mlx5dv_devx_obj_create(3)).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "prm/mlx5_ifc_tls.h"
#include "shim_internal.h"

/* Opcodes beyond prm/mlx5_ifc_tls.h, for the kernel's command classification (kernel mlx5_ifc.h
 * values). */
enum {
	OP_QUERY_ADAPTER = 0x101,
	OP_QUERY_ISSI = 0x10a,
	OP_CREATE_MKEY = 0x200,
	OP_CREATE_CQ = 0x400,
	OP_CREATE_QP = 0x500,
	OP_CREATE_PSV = 0x600,
	OP_CREATE_SRQ = 0x700,
	OP_CREATE_XRC_SRQ = 0x705,
	OP_CREATE_DCT = 0x710,
	OP_CREATE_XRQ = 0x717,
	OP_QUERY_VPORT_STATE = 0x750,
	OP_QUERY_ESW_VPORT_CONTEXT = 0x752,
	OP_QUERY_NIC_VPORT_CONTEXT = 0x754,
	OP_QUERY_ROCE_ADDRESS = 0x760,
	OP_QUERY_HCA_VPORT_CONTEXT = 0x762,
	OP_QUERY_VNIC_ENV = 0x76f,
	OP_QUERY_VPORT_COUNTER = 0x770,
	OP_ALLOC_Q_COUNTER = 0x771,
	OP_CREATE_SCHEDULING_ELEMENT = 0x782,
	OP_ATTACH_TO_MCG = 0x806,
	OP_GET_DROPPED_PACKET_LOG = 0x80a,
	OP_NOP = 0x80d,
	OP_ALLOC_XRCD = 0x80e,
	OP_QUERY_CONG_STATUS = 0x822,
	OP_QUERY_CONG_PARAMS = 0x824,
	OP_QUERY_CONG_STATISTICS = 0x826,
	OP_ADD_VXLAN_UDP_DPORT = 0x827,
	OP_SET_L2_TABLE_ENTRY = 0x829,
	OP_QUERY_LAG = 0x842,
	OP_CREATE_TIR = 0x900,
	OP_MODIFY_TIR = 0x901,
	OP_DESTROY_TIR = 0x902,
	OP_QUERY_TIR = 0x903,
	OP_CREATE_SQ = 0x904,
	OP_CREATE_RQ = 0x908,
	OP_CREATE_RMP = 0x90c,
	OP_CREATE_RQT = 0x916,
	OP_MODIFY_RQT = 0x917,
	OP_DESTROY_RQT = 0x918,
	OP_QUERY_RQT = 0x919,
	OP_CREATE_FLOW_TABLE = 0x930,
	OP_CREATE_FLOW_GROUP = 0x933,
	OP_SET_FLOW_TABLE_ENTRY = 0x936,
	OP_ALLOC_FLOW_COUNTER = 0x939,
	OP_ALLOC_PACKET_REFORMAT_CONTEXT = 0x93d,
	OP_ALLOC_MODIFY_HEADER_CONTEXT = 0x940,
	OP_GENERAL_START = 0xb00, /* [START, END): general commands that work on no object */
	OP_GENERAL_END = 0xd00,
};

/*
 * Objects the shim can create, with the commands the kernel pairs with them. For all but general
 * objects, the created number is the 24-bit field at out bit 0x48 and the destroy/query/modify
 * commands carry it at in bit 0x48 (fact sheet 4.2, 4.4; kernel devx_get_created_obj_id,
 * devx_obj_build_destroy_cmd, devx_get_obj_id).
 */
struct obj_class {
	uint16_t create_op;
	uint16_t destroy_op;
	uint16_t query_op;  /* 0: the kernel has none for it */
	uint16_t modify_op; /* 0: none */
};

static const struct obj_class obj_classes[] = {
	{ MLX5_CMD_OP_ALLOC_PD, MLX5_CMD_OP_DEALLOC_PD, 0, 0 },
	{ MLX5_CMD_OP_ALLOC_TRANSPORT_DOMAIN, MLX5_CMD_OP_DEALLOC_TRANSPORT_DOMAIN, 0, 0 },
	{ MLX5_CMD_OP_CREATE_TIS, MLX5_CMD_OP_DESTROY_TIS, MLX5_CMD_OP_QUERY_TIS,
	  MLX5_CMD_OP_MODIFY_TIS },
	{ OP_CREATE_TIR, OP_DESTROY_TIR, OP_QUERY_TIR, OP_MODIFY_TIR },
	{ OP_CREATE_RQT, OP_DESTROY_RQT, OP_QUERY_RQT, OP_MODIFY_RQT },
	{ MLX5_CMD_OP_CREATE_GENERAL_OBJECT, MLX5_CMD_OP_DESTROY_GENERAL_OBJECT,
	  MLX5_CMD_OP_QUERY_GENERAL_OBJECT, MLX5_CMD_OP_MODIFY_GENERAL_OBJECT },
};

static const struct obj_class *class_of_create(uint16_t op)
{
	for (size_t i = 0; i < sizeof(obj_classes) / sizeof(obj_classes[0]); i++)
		if (obj_classes[i].create_op == op)
			return &obj_classes[i];
	return NULL;
}

/* kernel devx_is_obj_create_cmd: every create opcode DevX lets through. */
static bool kernel_is_create_cmd(const void *in)
{
	switch (shim_in_opcode(in)) {
	case MLX5_CMD_OP_CREATE_GENERAL_OBJECT:
	case OP_CREATE_MKEY:
	case OP_CREATE_CQ:
	case MLX5_CMD_OP_ALLOC_PD:
	case MLX5_CMD_OP_ALLOC_TRANSPORT_DOMAIN:
	case OP_CREATE_RMP:
	case OP_CREATE_SQ:
	case OP_CREATE_RQ:
	case OP_CREATE_RQT:
	case OP_CREATE_TIR:
	case MLX5_CMD_OP_CREATE_TIS:
	case OP_ALLOC_Q_COUNTER:
	case OP_CREATE_FLOW_TABLE:
	case OP_CREATE_FLOW_GROUP:
	case OP_ALLOC_FLOW_COUNTER:
	case OP_ALLOC_PACKET_REFORMAT_CONTEXT:
	case OP_ALLOC_MODIFY_HEADER_CONTEXT:
	case OP_CREATE_SCHEDULING_ELEMENT:
	case OP_ADD_VXLAN_UDP_DPORT:
	case OP_SET_L2_TABLE_ENTRY:
	case OP_CREATE_QP:
	case OP_CREATE_SRQ:
	case OP_CREATE_XRC_SRQ:
	case OP_CREATE_DCT:
	case OP_CREATE_XRQ:
	case OP_ATTACH_TO_MCG:
	case OP_ALLOC_XRCD:
		return true;
	case OP_SET_FLOW_TABLE_ENTRY:
		return shim_in_op_mod(in) == 0;
	case OP_CREATE_PSV:
		return true; /* the kernel also requires num_psv == 1; not emulated anyway */
	default:
		return false;
	}
}

/* kernel devx_is_general_cmd: the whitelist of mlx5dv_devx_general_cmd (devx-userspace A2). */
static bool kernel_is_general_cmd(const void *in)
{
	uint16_t op = shim_in_opcode(in);

	if (op >= OP_GENERAL_START && op < OP_GENERAL_END)
		return true; /* SYNC_CRYPTO 0xb12 is in this range (devx-userspace B6) */
	switch (op) {
	case MLX5_CMD_OP_QUERY_HCA_CAP:
	case OP_QUERY_HCA_VPORT_CONTEXT:
	case OP_QUERY_ESW_VPORT_CONTEXT:
	case OP_QUERY_VPORT_STATE:
	case OP_QUERY_ADAPTER:
	case OP_QUERY_ISSI:
	case OP_QUERY_NIC_VPORT_CONTEXT:
	case OP_QUERY_ROCE_ADDRESS:
	case OP_QUERY_VNIC_ENV:
	case OP_QUERY_VPORT_COUNTER:
	case OP_GET_DROPPED_PACKET_LOG:
	case OP_NOP:
	case OP_QUERY_CONG_STATUS:
	case OP_QUERY_CONG_PARAMS:
	case OP_QUERY_CONG_STATISTICS:
	case OP_QUERY_LAG:
		return true;
	default:
		return false;
	}
}

/* kernel get_enc_obj_id: object numbers are not unique across types, so the creating opcode (and
 * for general objects the obj_type) is part of the id compared by devx_is_valid_obj_id. */
static uint64_t enc_obj_id(uint32_t create_op_and_type, uint32_t id)
{
	return (uint64_t)create_op_and_type << 32 | id;
}

/* The encoded id named by a query (want_query) or modify command, or 0 if the command is not one
 * of those for an object class the shim creates (kernel devx_is_obj_{query,modify}_cmd +
 * devx_get_obj_id; an id of a class that cannot exist here can never match). */
static uint64_t cmd_target(const void *in, bool want_query)
{
	uint16_t op = shim_in_opcode(in);

	for (size_t i = 0; i < sizeof(obj_classes) / sizeof(obj_classes[0]); i++) {
		const struct obj_class *c = &obj_classes[i];

		if (!(want_query ? c->query_op == op : c->modify_op == op) || !op)
			continue;
		if (c->create_op == MLX5_CMD_OP_CREATE_GENERAL_OBJECT)
			/* general_obj_in_cmd_hdr: obj_type bytes 6..7, obj_id bytes 8..11; a bulk
			 * member is addressed by base obj_id + op_param obj_offset, and only the
			 * base is compared (fact sheet 3.1, 3.5). */
			return enc_obj_id(c->create_op | (uint32_t)shim_be16(in, 6) << 16,
					  shim_be32(in, 8));
		return enc_obj_id(c->create_op, shim_be32(in, 8) & 0xffffff);
	}
	return 0;
}

/* uverbs attribute minimum sizes of the DevX methods: the general in/out headers, 16 bytes. */
static bool mailbox_sizes_ok(const void *in, size_t inlen, const void *out, size_t outlen)
{
	return in && out && inlen >= DEVX_ST_SZ_BYTES(general_obj_in_cmd_hdr) &&
	       outlen >= DEVX_ST_SZ_BYTES(general_obj_out_cmd_hdr);
}

static int fail(int err)
{
	errno = err;
	return err;
}

bool mlx5dv_is_supported(struct ibv_device *device)
{
	bool ours;

	shim_count(SHIM_MLX5DV_IS_SUPPORTED);
	shim_devices_lock();
	ours = device && shim_device_of(device) != NULL;
	shim_devices_unlock();
	return ours; /* every fake device is an mlx5 device */
}

struct ibv_context *mlx5dv_open_device(struct ibv_device *device, struct mlx5dv_context_attr *attr)
{
	struct shim_device *dev;
	struct shim_context *ctx;
	int fail_err, ret;

	shim_count(SHIM_MLX5DV_OPEN_DEVICE);
	shim_devices_lock();
	dev = device ? shim_device_of(device) : NULL;
	if (!dev) {
		shim_devices_unlock();
		errno = EOPNOTSUPP; /* rdma-core: not an mlx5 device */
		return NULL;
	}
	/* v44: any comp_mask is refused with EINVAL (devx-userspace A1). */
	if (attr && attr->comp_mask) {
		shim_devices_unlock();
		errno = EINVAL;
		return NULL;
	}
	/*
	 * Only DevX contexts are emulated. rdma-core would open a plain verbs context here (v44
	 * even asks for DevX behind the caller's back and silently falls back, devx-userspace A1),
	 * so a caller that forgets MLX5DV_CONTEXT_FLAGS_DEVX works or not depending on the kernel;
	 * the shim refuses it so that mistake shows. Flag bits other than DEVX are unknown to v44.
	 */
	if (!attr || !(attr->flags & MLX5DV_CONTEXT_FLAGS_DEVX)) {
		shim_devices_unlock();
		fprintf(stderr,
			"devx_shim: mlx5dv_open_device(%s) without MLX5DV_CONTEXT_FLAGS_DEVX: "
			"only DevX contexts are emulated\n",
			dev->ibdev.name);
		errno = EOPNOTSUPP;
		return NULL;
	}
	if (attr->flags & ~(uint32_t)MLX5DV_CONTEXT_FLAGS_DEVX) {
		shim_devices_unlock();
		errno = EINVAL;
		return NULL;
	}
	/* Simulated kernel without DevX support (log_max_uctx = 0) or without CAP_NET_RAW. */
	fail_err = shim_open_fail_errno();
	if (fail_err) {
		shim_devices_unlock();
		errno = fail_err;
		return NULL;
	}
	ctx = calloc(1, sizeof(*ctx));
	if (!ctx) {
		shim_devices_unlock();
		errno = ENOMEM;
		return NULL;
	}
	/* The kernel creates a firmware user context per DevX ucontext: its uid tags every command
	 * of this context (mlx5_ib_devx_create; devx-userspace A1). */
	ret = sim_uctx_alloc(dev->sim, &ctx->uid);
	if (ret) {
		shim_devices_unlock();
		free(ctx);
		errno = ret < 0 ? -ret : ret;
		return NULL;
	}
	atomic_fetch_add(&dev->contexts, 1);
	shim_devices_unlock();

	ctx->magic = SHIM_CTX_MAGIC;
	ctx->dev = dev;
	pthread_mutex_init(&ctx->lock, NULL);
	ctx->vctx.context.device = &dev->ibdev;
	ctx->vctx.context.cmd_fd = -1;
	ctx->vctx.context.async_fd = -1;
	ctx->vctx.context.num_comp_vectors = 1;
	pthread_mutex_init(&ctx->vctx.context.mutex, NULL);
	shim_context_rx_init(ctx);
	return &ctx->vctx.context;
}

int mlx5dv_init_obj(struct mlx5dv_obj *obj, uint64_t obj_type)
{
	const uint64_t emulated = MLX5DV_OBJ_QP | MLX5DV_OBJ_CQ | MLX5DV_OBJ_PD | MLX5DV_OBJ_RWQ;
	int ret = 0;

	shim_count(SHIM_MLX5DV_INIT_OBJ);
	if (!obj)
		return EINVAL;
	/* The PD number (devx-userspace A7), the rings of a raw packet QP and its CQ (B5) and of
	 * a raw WQ (shim_rx.c); SRQ/DM/AH internals are not emulated. rdma-core fills one type
	 * after the other and stops at the first failure. */
	if (obj_type & ~emulated)
		return EOPNOTSUPP;
	if (obj_type & MLX5DV_OBJ_QP)
		ret = shim_dv_get_qp(obj->qp.in, obj->qp.out);
	if (!ret && (obj_type & MLX5DV_OBJ_CQ))
		ret = shim_dv_get_cq(obj->cq.in, obj->cq.out);
	if (!ret && (obj_type & MLX5DV_OBJ_RWQ))
		ret = shim_dv_get_rwq(obj->rwq.in, obj->rwq.out);
	if (!ret && (obj_type & MLX5DV_OBJ_PD)) {
		struct shim_pd *pd = shim_pd_of(obj->pd.in);

		if (!pd || !obj->pd.out)
			return EINVAL;
		obj->pd.out->pdn = pd->pdn;
		obj->pd.out->comp_mask = 0;
	}
	return ret;
}

/* Build the destroy mailbox from the create command and its output (kernel
 * devx_obj_build_destroy_cmd, devx-userspace A2) and the encoded id. */
static void build_destroy(const struct obj_class *c, const void *in, const void *out,
			  struct mlx5dv_devx_obj *obj, uint16_t uid)
{
	uint8_t *din = obj->dinbox;

	memset(din, 0, sizeof(obj->dinbox));
	obj->dinlen = DEVX_ST_SZ_BYTES(general_obj_in_cmd_hdr);
	DEVX_SET(general_obj_in_cmd_hdr, din, uid, uid);
	if (c->create_op == MLX5_CMD_OP_CREATE_GENERAL_OBJECT) {
		uint32_t id = shim_be32(out, 8); /* general_obj_out_cmd_hdr.obj_id */
		uint16_t type = shim_be16(in, 6);

		DEVX_SET(general_obj_in_cmd_hdr, din, opcode, c->destroy_op);
		DEVX_SET(general_obj_in_cmd_hdr, din, obj_type, type);
		DEVX_SET(general_obj_in_cmd_hdr, din, obj_id, id);
		obj->enc_id = enc_obj_id(c->create_op | (uint32_t)type << 16, id);
	} else {
		uint32_t id = shim_be32(out, 8) & 0xffffff; /* bit 0x48 */

		DEVX_SET(obj_num_in, din, opcode, c->destroy_op);
		DEVX_SET(obj_num_in, din, obj_num, id);
		obj->enc_id = enc_obj_id(c->create_op, id);
	}
}

struct mlx5dv_devx_obj *mlx5dv_devx_obj_create(struct ibv_context *context, const void *in,
					       size_t inlen, void *out, size_t outlen)
{
	struct shim_context *ctx = shim_context_of(context);
	const struct obj_class *c;
	struct mlx5dv_devx_obj *obj;
	int ret;

	shim_count(SHIM_MLX5DV_DEVX_OBJ_CREATE);
	if (!ctx) {
		errno = EOPNOTSUPP; /* not an mlx5 DevX context */
		return NULL;
	}
	if (!mailbox_sizes_ok(in, inlen, out, outlen)) {
		errno = EINVAL;
		return NULL;
	}
	/* kernel: a create naming a vhca tunnel is refused; then only create commands pass. */
	if (shim_be16(in, 4) != 0 || !kernel_is_create_cmd(in)) {
		errno = EINVAL;
		return NULL;
	}
	c = class_of_create(shim_in_opcode(in));
	if (!c) {
		/* The kernel would accept it, but the shim has no destroy builder for it (queues
		 * also need umem, which is not interposed). Add the class above when needed. */
		fprintf(stderr, "devx_shim: mlx5dv_devx_obj_create: opcode 0x%x not emulated\n",
			shim_in_opcode(in));
		errno = EOPNOTSUPP;
		return NULL;
	}
	obj = calloc(1, sizeof(*obj));
	if (!obj) {
		errno = ENOMEM;
		return NULL;
	}
	ret = shim_exec(ctx, in, inlen, out, outlen);
	if (ret) {
		free(obj);
		/* -EREMOTEIO: rejected by the firmware, status and syndrome are in out. */
		errno = -ret;
		return NULL;
	}
	obj->magic = SHIM_OBJ_MAGIC;
	obj->ctx = ctx;
	build_destroy(c, in, out, obj, ctx->uid);
	pthread_mutex_lock(&ctx->lock);
	obj->next = ctx->objs;
	ctx->objs = obj;
	pthread_mutex_unlock(&ctx->lock);
	return obj;
}

static struct mlx5dv_devx_obj *obj_of(struct mlx5dv_devx_obj *obj)
{
	return (obj && obj->magic == SHIM_OBJ_MAGIC) ? obj : NULL;
}

static int obj_cmd(struct mlx5dv_devx_obj *obj, const void *in, size_t inlen, void *out,
		   size_t outlen, bool query)
{
	uint64_t target;
	int ret;

	if (!obj_of(obj))
		return fail(EINVAL);
	if (!mailbox_sizes_ok(in, inlen, out, outlen))
		return fail(EINVAL);
	/* kernel: only query (resp. modify) commands, and only on the handle's own object
	 * (devx_is_valid_obj_id, devx-userspace A2); nothing reaches the firmware otherwise. */
	target = cmd_target(in, query);
	if (!target || target != obj->enc_id)
		return fail(EINVAL);
	ret = shim_exec(obj->ctx, in, inlen, out, outlen);
	if (ret)
		return fail(-ret); /* EREMOTEIO: status/syndrome in out */
	return 0;
}

int mlx5dv_devx_obj_query(struct mlx5dv_devx_obj *obj, const void *in, size_t inlen, void *out,
			  size_t outlen)
{
	shim_count(SHIM_MLX5DV_DEVX_OBJ_QUERY);
	return obj_cmd(obj, in, inlen, out, outlen, true);
}

int mlx5dv_devx_obj_modify(struct mlx5dv_devx_obj *obj, const void *in, size_t inlen, void *out,
			   size_t outlen)
{
	shim_count(SHIM_MLX5DV_DEVX_OBJ_MODIFY);
	return obj_cmd(obj, in, inlen, out, outlen, false);
}

int mlx5dv_devx_obj_destroy(struct mlx5dv_devx_obj *obj)
{
	uint8_t out[DEVX_ST_SZ_BYTES(general_obj_out_cmd_hdr)] = { 0 };
	struct shim_context *ctx;
	int ret;

	shim_count(SHIM_MLX5DV_DEVX_OBJ_DESTROY);
	if (!obj_of(obj))
		return fail(EINVAL);
	ctx = obj->ctx;
	/*
	 * The kernel runs the destroy mailbox it built at create time (devx-userspace A2) through
	 * mlx5_cmd_exec, which turns a firmware status into an errno (BAD_RES_STATE → EINVAL,
	 * RES_BUSY → EBUSY, ...; fact sheet 2.2); the object and its handle then stay
	 * (ib_is_destroy_retryable), and user space never sees the mailbox.
	 */
	ret = shim_exec(ctx, obj->dinbox, obj->dinlen, out, sizeof(out));
	if (ret)
		return fail(ret == -EREMOTEIO ? shim_status_to_errno(shim_out_status(out)) : -ret);
	pthread_mutex_lock(&ctx->lock);
	for (struct mlx5dv_devx_obj **pp = &ctx->objs; *pp; pp = &(*pp)->next) {
		if (*pp == obj) {
			*pp = obj->next;
			break;
		}
	}
	pthread_mutex_unlock(&ctx->lock);
	obj->magic = 0;
	free(obj);
	return 0;
}

int mlx5dv_devx_general_cmd(struct ibv_context *context, const void *in, size_t inlen, void *out,
			    size_t outlen)
{
	struct shim_context *ctx = shim_context_of(context);
	int ret;

	shim_count(SHIM_MLX5DV_DEVX_GENERAL_CMD);
	if (!ctx)
		return fail(EOPNOTSUPP);
	if (!mailbox_sizes_ok(in, inlen, out, outlen))
		return fail(EINVAL);
	/* Only the whitelist runs through this method (kernel devx_is_general_cmd): object
	 * commands must go through an object handle. */
	if (!kernel_is_general_cmd(in))
		return fail(EINVAL);
	ret = shim_exec(ctx, in, inlen, out, outlen);
	if (ret)
		return fail(-ret);
	return 0;
}
