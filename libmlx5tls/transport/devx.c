/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The `devx` transport: real mlx5 devices through rdma-core (libibverbs + mlx5dv DevX). This is the
 * code that runs on a ConnectX-6 Dx; in CI it runs unchanged against the device model because the
 * test programs interpose the rdma-core entry points called here (tests/shim/).
 *
 * The transport only moves mailboxes the library encoded; it never builds a command itself.
 * Facts cited as "devx-userspace Ax/Bx" are from shared/prm/devx-userspace.md.
 *
 * rdma-core's return conventions differ per call (devx-userspace A2): object create returns NULL
 * and sets errno, query/modify/destroy/general_cmd return 0 or a positive errno, ibv_dealloc_pd
 * returns 0 or a positive errno. Everything is turned into the transport convention here: 0,
 * -EREMOTEIO with status/syndrome in `out` when the firmware rejected a command, or another
 * negative errno when the command never reached the firmware (or, for destroy and the PD, when
 * the kernel reported the firmware's refusal as an errno).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <infiniband/mlx5dv.h>
#include <infiniband/verbs.h>

#include "log.h"
#include "prm/mlx5_ifc_tls.h"
#include "transport/devx_xport.h"

/*
 * After a DevX command returned `ret` (positive errno or 0): EREMOTEIO means the firmware ran it
 * and rejected it, `out` holds status and syndrome (man mlx5dv_devx_obj_create(3), devx-userspace
 * A2). A status != OK with ret 0 cannot come from a current kernel; treat it as a rejection all
 * the same rather than decode a failed mailbox.
 */
static int devx_result(int ret, const void *out, size_t outlen)
{
	if (ret == 0) {
		if (outlen >= DEVX_ST_SZ_BYTES(mbox_out) && DEVX_GET(mbox_out, out, status) != 0)
			return -EREMOTEIO;
		return 0;
	}
	return devx_neg_errno(ret);
}

/* Zero the output header: the transport contract says `out` holds status 0 after a success, also
 * for calls that send no mailbox of ours (destroy, PD). */
static void out_ok(void *out, size_t outlen)
{
	if (out && outlen)
		memset(out, 0, outlen);
}

static int devx_list(struct mlx5tls_device_info **list, int *n)
{
	struct mlx5tls_device_info *infos;
	struct ibv_device **devs;
	int num = 0, k = 0;

	*list = NULL;
	*n = 0;
	/* No rdma subsystem, no devices or no permission: simply no hardware devices here. */
	devs = ibv_get_device_list(&num);
	if (!devs)
		return 0;
	if (num <= 0) {
		ibv_free_device_list(devs);
		return 0;
	}
	infos = calloc((size_t)num, sizeof(*infos));
	if (!infos) {
		ibv_free_device_list(devs);
		return -ENOMEM;
	}
	for (int i = 0; i < num && devs[i]; i++) {
		struct mlx5tls_device_info *info = &infos[k];

		/* Only mlx5 devices can do DevX (devx-userspace A1). Whether DevX really opens is
		 * known only at open time (kernel/firmware support, devx-userspace A1). */
		if (!mlx5dv_is_supported(devs[i]))
			continue;
		snprintf(info->name, sizeof(info->name), "%s", ibv_get_device_name(devs[i]));
		info->kind = MLX5TLS_DEVICE_HW;
		snprintf(info->transport, sizeof(info->transport), "devx");
		info->profile[0] = '\0';
		snprintf(info->description, sizeof(info->description), "mlx5 device (DevX)");
		k++;
	}
	ibv_free_device_list(devs);
	if (!k) {
		free(infos);
		return 0;
	}
	*list = infos;
	*n = k;
	return 0;
}

static int devx_open(const char *name, struct mlx5tls_xport **xpp, struct mlx5tls_device_attr *attr)
{
	struct mlx5dv_context_attr dv_attr = { .flags = MLX5DV_CONTEXT_FLAGS_DEVX, .comp_mask = 0 };
	struct ibv_device_attr dattr;
	struct ibv_device **devs, *dev = NULL;
	struct mlx5tls_xport *xp;
	int num = 0, ret, err;

	devs = ibv_get_device_list(&num);
	if (!devs)
		return -ENODEV;
	for (int i = 0; i < num && devs[i]; i++) {
		if (!mlx5dv_is_supported(devs[i]))
			continue;
		if (!name || strcmp(ibv_get_device_name(devs[i]), name) == 0) {
			dev = devs[i];
			break;
		}
	}
	if (!dev) {
		ibv_free_device_list(devs);
		return -ENODEV;
	}
	xp = calloc(1, sizeof(*xp));
	if (!xp) {
		ibv_free_device_list(devs);
		return -ENOMEM;
	}
	snprintf(xp->name, sizeof(xp->name), "%s", ibv_get_device_name(dev));

	/* flags = DEVX, comp_mask = 0 (v44 refuses any comp_mask with EINVAL). An explicit DevX
	 * request fails hard instead of falling back to a plain verbs context
	 * (devx-userspace A1). */
	errno = 0;
	xp->ctx = mlx5dv_open_device(dev, &dv_attr);
	err = errno;
	/* The device list may go once the device is open (ibv_free_device_list(3)). */
	ibv_free_device_list(devs);
	if (!xp->ctx) {
		ret = devx_neg_errno(err);
		/* EOPNOTSUPP/EINVAL: the kernel or firmware has no DevX (log_max_uctx = 0, old
		 * kernel); EPERM: older kernels require CAP_NET_RAW for a DevX context
		 * (devx-userspace A1). The model is available as "sim" either way. */
		pr_warn("%s: cannot open a DevX context (%s)%s\n", xp->name, strerror(-ret),
			(ret == -EOPNOTSUPP || ret == -EINVAL || ret == -EPERM) ?
				"; DevX is unavailable (kernel/firmware support, CAP_NET_RAW)" :
				"");
		free(xp);
		return ret;
	}

	memset(&dattr, 0, sizeof(dattr));
	ret = ibv_query_device(xp->ctx, &dattr);
	if (ret) {
		ret = devx_neg_errno(ret);
		pr_warn("%s: ibv_query_device failed (%s)\n", xp->name, strerror(-ret));
		ibv_close_device(xp->ctx);
		free(xp);
		return ret;
	}

	memset(attr, 0, sizeof(*attr));
	snprintf(attr->name, sizeof(attr->name), "%s", xp->name);
	attr->kind = MLX5TLS_DEVICE_HW;
	snprintf(attr->transport, sizeof(attr->transport), "devx");
	attr->profile[0] = '\0';
	/* ibv_device_attr.fw_ver need not be NUL-terminated at full length */
	memcpy(attr->fw_ver, dattr.fw_ver,
	       sizeof(attr->fw_ver) < sizeof(dattr.fw_ver) ? sizeof(attr->fw_ver) :
							     sizeof(dattr.fw_ver));
	attr->fw_ver[sizeof(attr->fw_ver) - 1] = '\0';
	*xpp = xp;
	return 0;
}

static void devx_close(struct mlx5tls_xport *xp)
{
	if (!xp)
		return;
	/* Closing the context makes the kernel destroy every DevX object still on it, DEKs
	 * included (devx-userspace A2); the library destroys its objects before this anyway. */
	ibv_close_device(xp->ctx);
	free(xp);
}

/* QUERY_HCA_CAP and SYNC_CRYPTO: the kernel's general-command whitelist lets both through
 * (QUERY_HCA_CAP by name, SYNC_CRYPTO 0xb12 as part of [0xb00, 0xd00); devx-userspace A2, B6). */
static int devx_general_cmd(struct mlx5tls_xport *xp, const void *in, size_t inlen, void *out,
			    size_t outlen)
{
	int ret;

	if (!xp || !in || !out)
		return -EINVAL;
	ret = mlx5dv_devx_general_cmd(xp->ctx, in, inlen, out, outlen);
	return devx_result(ret, out, outlen);
}

static int devx_obj_create(struct mlx5tls_xport *xp, const void *in, size_t inlen, void *out,
			   size_t outlen, struct mlx5tls_xobj **objp)
{
	struct mlx5tls_xobj *obj;

	if (!xp || !in || !out || !objp)
		return -EINVAL;
	obj = calloc(1, sizeof(*obj));
	if (!obj)
		return -ENOMEM;
	/* The uid field is left as the library set it (0): the kernel overwrites it with the
	 * context's uid (devx-userspace A2). The object id is in `out`, where the library reads it;
	 * struct mlx5dv_devx_obj is opaque. */
	errno = 0;
	obj->devx = mlx5dv_devx_obj_create(xp->ctx, in, inlen, out, outlen);
	if (!obj->devx) {
		int err = errno;

		free(obj);
		/* EREMOTEIO: the firmware rejected it, status/syndrome are in out. */
		return devx_neg_errno(err);
	}
	/* a handle, yet a status that is not OK (as from a kernel that does not check it): no
	 * object was made; the handle goes (its destroy fails, as there is nothing to destroy) */
	if (devx_result(0, out, outlen)) {
		(void)mlx5dv_devx_obj_destroy(obj->devx);
		free(obj);
		return -EREMOTEIO;
	}
	obj->xp = xp;
	*objp = obj;
	return 0;
}

static int devx_obj_query(struct mlx5tls_xobj *obj, const void *in, size_t inlen, void *out,
			  size_t outlen)
{
	int ret;

	if (!obj || !obj->devx || !in || !out)
		return -EINVAL;
	/* The kernel accepts only a query naming this handle's own object (devx_is_valid_obj_id,
	 * devx-userspace A2): EINVAL otherwise, without reaching the firmware. */
	ret = mlx5dv_devx_obj_query(obj->devx, in, inlen, out, outlen);
	return devx_result(ret, out, outlen);
}

static int devx_obj_modify(struct mlx5tls_xobj *obj, const void *in, size_t inlen, void *out,
			   size_t outlen)
{
	int ret;

	if (!obj || !obj->devx || !in || !out)
		return -EINVAL;
	/* Same object-id rule as query; for a bulk DEK the id is the bulk's base and obj_offset
	 * selects the element (devx-userspace B6), which the kernel does not look at. */
	ret = mlx5dv_devx_obj_modify(obj->devx, in, inlen, out, outlen);
	return devx_result(ret, out, outlen);
}

static int devx_obj_destroy(struct mlx5tls_xobj *obj, const void *in, size_t inlen, void *out,
			    size_t outlen)
{
	int ret;

	(void)in;
	(void)inlen;
	if (!obj || !obj->devx)
		return -EINVAL;
	/*
	 * The library's DESTROY mailbox is not sent: the kernel built the same one from the create
	 * command and runs it (devx_obj_build_destroy_cmd, devx-userspace A2). A refusal comes back
	 * as the kernel's errno for the firmware status (mlx5_cmd_exec), without the mailbox; the
	 * object then stays alive and so does the handle.
	 */
	ret = mlx5dv_devx_obj_destroy(obj->devx);
	if (ret)
		return devx_neg_errno(ret);
	free(obj);
	out_ok(out, outlen);
	return 0;
}

static int devx_pd_alloc(struct mlx5tls_xport *xp, const void *in, size_t inlen, void *out,
			 size_t outlen, struct mlx5tls_xobj **objp)
{
	struct mlx5dv_pd dvpd = { 0 };
	struct mlx5dv_obj dvobj;
	struct mlx5tls_xobj *obj;
	int ret;

	(void)in;
	(void)inlen;
	if (!xp || !out || !objp || outlen < DEVX_ST_SZ_BYTES(alloc_pd_out))
		return -EINVAL;
	obj = calloc(1, sizeof(*obj));
	if (!obj)
		return -ENOMEM;
	/*
	 * A verbs PD: the kernel issues ALLOC_PD itself with the context's uid, and the same PD can
	 * later carry ibv_reg_mr memory (lkeys for data segments). Its number comes from
	 * mlx5dv_init_obj(MLX5DV_OBJ_PD) (devx-userspace A7, B2 step 2).
	 */
	errno = 0;
	obj->pd = ibv_alloc_pd(xp->ctx);
	if (!obj->pd) {
		ret = devx_neg_errno(errno ? errno : ENOMEM);
		free(obj);
		return ret;
	}
	memset(&dvobj, 0, sizeof(dvobj));
	dvobj.pd.in = obj->pd;
	dvobj.pd.out = &dvpd;
	ret = mlx5dv_init_obj(&dvobj, MLX5DV_OBJ_PD);
	if (ret) {
		ret = devx_neg_errno(ret);
		ibv_dealloc_pd(obj->pd);
		free(obj);
		return ret;
	}
	obj->xp = xp;
	/* Present the pdn as ALLOC_PD's output would: the library decodes both transports alike. */
	out_ok(out, outlen);
	DEVX_SET(alloc_pd_out, out, pd, dvpd.pdn);
	*objp = obj;
	return 0;
}

static int devx_pd_dealloc(struct mlx5tls_xobj *obj, const void *in, size_t inlen, void *out,
			   size_t outlen)
{
	int ret;

	(void)in;
	(void)inlen;
	if (!obj || !obj->pd)
		return -EINVAL;
	/* The kernel sends DEALLOC_PD; a refusal comes back as its errno, the PD stays. */
	ret = ibv_dealloc_pd(obj->pd);
	if (ret)
		return devx_neg_errno(ret);
	free(obj);
	out_ok(out, outlen);
	return 0;
}

const struct mlx5tls_transport_ops mlx5tls_transport_devx = {
	.name = "devx",
	.list = devx_list,
	.open = devx_open,
	.close = devx_close,
	.general_cmd = devx_general_cmd,
	.obj_create = devx_obj_create,
	.obj_query = devx_obj_query,
	.obj_modify = devx_obj_modify,
	.obj_destroy = devx_obj_destroy,
	.pd_alloc = devx_pd_alloc,
	.pd_dealloc = devx_pd_dealloc,
	/* datapath (devx_dp.c): a verbs raw packet QP, whose kernel-made SQ has its own TIS */
	.qp_needs_tis = false,
	.qp_create = devx_qp_create,
	.qp_destroy = devx_qp_destroy,
	.qp_doorbell = devx_qp_doorbell,
	.qp_recover = devx_qp_recover,
	.qp_inject_error = NULL, /* model only */
	.mr_reg = devx_mr_reg,
	.mr_dereg = devx_mr_dereg,
	.wire_set = NULL, /* model only: the wire of a ConnectX is a cable */
	.wire_rx = NULL,  /* model only */
	/* receive side (devx_dp.c): an rdma-core raw WQ + CQ; steering through the flow API */
	.rq_create = devx_rq_create,
	.rq_destroy = devx_rq_destroy,
	.rq_recover = devx_rq_recover,
	.rq_out_of_buffer = NULL, /* needs a Q counter (rx_out_of_buffer): not read yet */
	.flow_create = devx_flow_create,
	.flow_destroy = devx_flow_destroy,
};
