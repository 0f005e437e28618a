/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DevX interposer, libibverbs part: device list, device query, context close and the verbs PD.
 * Same prototypes as <infiniband/verbs.h>; these definitions take precedence over libibverbs'
 * (the reference is versioned, IBVERBS_1.1; the dynamic linker accepts an unversioned definition
 * from another object for it).
 */
#include <endian.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "prm/mlx5_ifc_tls.h"
#include "shim_internal.h"

struct ibv_device **ibv_get_device_list(int *num_devices)
{
	struct shim_device *devs;
	struct ibv_device **list;
	int n;

	shim_count(SHIM_IBV_GET_DEVICE_LIST);
	shim_devices_lock();
	n = shim_devices_get(&devs);
	/* rdma-core returns a NULL-terminated array, empty when there is no device. */
	list = calloc((size_t)n + 1, sizeof(*list));
	if (!list) {
		shim_devices_unlock();
		errno = ENOMEM;
		return NULL;
	}
	for (int i = 0; i < n; i++)
		list[i] = &devs[i].ibdev;
	shim_devices_unlock();
	if (num_devices)
		*num_devices = n;
	return list;
}

void ibv_free_device_list(struct ibv_device **list)
{
	shim_count(SHIM_IBV_FREE_DEVICE_LIST);
	/* The devices themselves live as long as the device table (one per NIC). */
	free(list);
}

const char *ibv_get_device_name(struct ibv_device *device)
{
	shim_count(SHIM_IBV_GET_DEVICE_NAME);
	return device ? device->name : NULL;
}

int ibv_query_device(struct ibv_context *context, struct ibv_device_attr *device_attr)
{
	struct shim_context *ctx = shim_context_of(context);
	const char *fw;

	shim_count(SHIM_IBV_QUERY_DEVICE);
	if (!ctx || !device_attr)
		return EINVAL;
	memset(device_attr, 0, sizeof(*device_attr));
	fw = sim_dev_fw_ver(ctx->dev->sim);
	snprintf(device_attr->fw_ver, sizeof(device_attr->fw_ver), "%s", fw ? fw : "");
	/* What a ConnectX-6 Dx reports: Mellanox vendor id, part id 4125 (0x101d). */
	device_attr->vendor_id = 0x02c9;
	device_attr->vendor_part_id = 4125;
	device_attr->phys_port_cnt = 1;
	device_attr->node_guid = htobe64(0x0002c90300000000ull | (uint64_t)ctx->dev->index);
	device_attr->sys_image_guid = device_attr->node_guid;
	return 0;
}

int ibv_close_device(struct ibv_context *context)
{
	struct shim_context *ctx = shim_context_of(context);
	struct mlx5dv_devx_obj *obj, *next_obj;
	struct shim_pd *pd, *next_pd;

	shim_count(SHIM_IBV_CLOSE_DEVICE);
	if (!ctx)
		return EINVAL;
	/* uverbs destroys the verbs objects left (QPs, then MRs and CQs) before the rest. */
	shim_context_rx_release(ctx);
	shim_context_dp_release(ctx);
	/*
	 * Closing the device fd: the kernel destroys every object still on the context and then the
	 * DevX uid, which firmware-side releases what the uid still owns (devx-userspace A2: all
	 * DevX objects, DEKs included, are destroyed when the context closes). sim_uctx_free does
	 * the firmware part; here only the handles go.
	 */
	pthread_mutex_lock(&ctx->lock);
	for (obj = ctx->objs; obj; obj = next_obj) {
		next_obj = obj->next;
		obj->magic = 0;
		free(obj);
	}
	ctx->objs = NULL;
	for (pd = ctx->pds; pd; pd = next_pd) {
		next_pd = pd->next;
		pd->magic = 0;
		free(pd);
	}
	ctx->pds = NULL;
	pthread_mutex_unlock(&ctx->lock);

	shim_devices_lock();
	sim_uctx_free(ctx->dev->sim, ctx->uid);
	atomic_fetch_sub(&ctx->dev->contexts, 1);
	shim_devices_unlock();

	ctx->magic = 0;
	pthread_mutex_destroy(&ctx->lock);
	pthread_mutex_destroy(&ctx->vctx.context.mutex);
	free(ctx);
	return 0;
}

struct shim_pd *shim_pd_of(struct ibv_pd *pd)
{
	struct shim_pd *p = (struct shim_pd *)pd;

	return (p && p->magic == SHIM_PD_MAGIC) ? p : NULL;
}

struct ibv_pd *ibv_alloc_pd(struct ibv_context *context)
{
	struct shim_context *ctx = shim_context_of(context);
	uint8_t in[DEVX_ST_SZ_BYTES(alloc_pd_in)] = { 0 };
	uint8_t out[DEVX_ST_SZ_BYTES(alloc_pd_out)] = { 0 };
	struct shim_pd *pd;
	int ret;

	shim_count(SHIM_IBV_ALLOC_PD);
	if (!ctx) {
		errno = EINVAL;
		return NULL;
	}
	pd = calloc(1, sizeof(*pd));
	if (!pd) {
		errno = ENOMEM;
		return NULL;
	}
	/* mlx5_ib_alloc_pd: ALLOC_PD with uid = the context's DevX uid, so DevX objects of the same
	 * context may name this PD (devx-userspace A7). */
	DEVX_SET(alloc_pd_in, in, opcode, MLX5_CMD_OP_ALLOC_PD);
	ret = shim_exec(ctx, in, sizeof(in), out, sizeof(out));
	if (ret) {
		free(pd);
		/* A verbs command: the kernel's mlx5_cmd_exec turns a firmware status into its
		 * errno; user space gets no mailbox. */
		errno = ret == -EREMOTEIO ? shim_status_to_errno(shim_out_status(out)) : -ret;
		return NULL;
	}
	pd->magic = SHIM_PD_MAGIC;
	atomic_init(&pd->users, 0);
	pd->pdn = shim_be32(out, 8) & 0xffffff; /* alloc_pd_out.pd, bit 0x48 */
	pd->ibpd.context = context;
	pd->ibpd.handle = pd->pdn;
	pthread_mutex_lock(&ctx->lock);
	pd->next = ctx->pds;
	ctx->pds = pd;
	pthread_mutex_unlock(&ctx->lock);
	return &pd->ibpd;
}

int ibv_dealloc_pd(struct ibv_pd *ibpd)
{
	struct shim_pd *pd = (struct shim_pd *)ibpd;
	struct shim_context *ctx;
	uint8_t in[DEVX_ST_SZ_BYTES(dealloc_pd_in)] = { 0 };
	uint8_t out[DEVX_ST_SZ_BYTES(mbox_out)] = { 0 };
	int ret;

	shim_count(SHIM_IBV_DEALLOC_PD);
	if (!pd || pd->magic != SHIM_PD_MAGIC)
		return EINVAL;
	ctx = shim_context_of(pd->ibpd.context);
	if (!ctx)
		return EINVAL;
	/* uverbs: a PD that QPs or MRs still use is EBUSY (ib_destroy_usecnt); the kernel never
	 * sends DEALLOC_PD then. */
	if (atomic_load(&pd->users))
		return EBUSY;
	DEVX_SET(dealloc_pd_in, in, opcode, MLX5_CMD_OP_DEALLOC_PD);
	DEVX_SET(dealloc_pd_in, in, pd, pd->pdn);
	ret = shim_exec(ctx, in, sizeof(in), out, sizeof(out));
	if (ret) {
		/* The PD stays allocated (ib_dealloc_pd_user returns the driver's error). */
		return ret == -EREMOTEIO ? shim_status_to_errno(shim_out_status(out)) : -ret;
	}
	pthread_mutex_lock(&ctx->lock);
	for (struct shim_pd **pp = &ctx->pds; *pp; pp = &(*pp)->next) {
		if (*pp == pd) {
			*pp = pd->next;
			break;
		}
	}
	pthread_mutex_unlock(&ctx->lock);
	pd->magic = 0;
	free(pd);
	return 0;
}
