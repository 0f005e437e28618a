/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The firmware boundary. The library encodes every command mailbox itself (prm/ layouts) and hands
 * it to a transport; the transport only moves it: `devx` through rdma-core (mlx5dv DevX) to a real
 * ConnectX, `sim` to the built-in device model. No op lets the library skip encoding.
 *
 * Return convention of every command op: 0 when the command ran and status is OK; -EREMOTEIO when
 * the firmware (or the model) rejected it, with status and syndrome in `out`; any other negative
 * errno when the command never reached firmware (then `out` is not meaningful).
 *
 * One exception, from the kernel: a DevX destroy (mlx5dv_devx_obj_destroy, ibv_dealloc_pd) runs the
 * kernel-built mailbox through mlx5_cmd_exec, which turns a firmware status into an errno (e.g.
 * BAD_RES_STATE -> EINVAL) and never shows user space the mailbox. So obj_destroy and pd_dealloc
 * on devx may return such an errno with `out` not meaningful; the object is kept. The library's
 * own in-use checks (-EBUSY) normally stop these before they reach firmware.
 */
#ifndef MLX5TLS_TRANSPORT_H
#define MLX5TLS_TRANSPORT_H

#include <stddef.h>
#include <stdint.h>

#include "mlx5tls/mlx5tls.h"

struct mlx5tls_xport;      /* per-device transport state, owned by the transport */
struct mlx5tls_xobj;       /* a created firmware object, owned by the transport */

struct mlx5tls_transport_ops {
	const char *name; /* "devx" or "sim" */

	/* Enumerate devices this transport can open; *list is malloc'd (free()), *n entries. */
	int (*list)(struct mlx5tls_device_info **list, int *n);

	/* Open `name` ("mlx5_0" for devx; "sim[:PROFILE[,k=v...]]" for sim; NULL = first device).
	 * Fills attr (name, kind, transport, profile, fw_ver). */
	int (*open)(const char *name, struct mlx5tls_xport **xp, struct mlx5tls_device_attr *attr);
	void (*close)(struct mlx5tls_xport *xp);

	/* A command that creates no object (QUERY_HCA_CAP, SYNC_CRYPTO). */
	int (*general_cmd)(struct mlx5tls_xport *xp, const void *in, size_t inlen, void *out,
			   size_t outlen);

	/* Object lifecycle. create returns the handle in *obj (only on success). destroy gets the
	 * library's DESTROY mailbox: the sim transport executes it; the devx transport calls
	 * mlx5dv_devx_obj_destroy, for which the kernel builds the same mailbox from the create one.
	 * The handle is freed by destroy when it returns 0. */
	int (*obj_create)(struct mlx5tls_xport *xp, const void *in, size_t inlen, void *out,
			  size_t outlen, struct mlx5tls_xobj **obj);
	int (*obj_query)(struct mlx5tls_xobj *obj, const void *in, size_t inlen, void *out,
			 size_t outlen);
	int (*obj_modify)(struct mlx5tls_xobj *obj, const void *in, size_t inlen, void *out,
			  size_t outlen);
	int (*obj_destroy)(struct mlx5tls_xobj *obj, const void *in, size_t inlen, void *out,
			   size_t outlen);

	/* Protection domain. The library passes its ALLOC_PD / DEALLOC_PD mailboxes; sim executes
	 * them, devx uses ibv_alloc_pd + mlx5dv_init_obj(PD) (the kernel issues the same ALLOC_PD)
	 * and writes the pdn into out.pd so both decode alike. */
	int (*pd_alloc)(struct mlx5tls_xport *xp, const void *in, size_t inlen, void *out,
			size_t outlen, struct mlx5tls_xobj **obj);
	int (*pd_dealloc)(struct mlx5tls_xobj *obj, const void *in, size_t inlen, void *out,
			  size_t outlen);
};

extern const struct mlx5tls_transport_ops mlx5tls_transport_devx;
extern const struct mlx5tls_transport_ops mlx5tls_transport_sim;

#endif /* MLX5TLS_TRANSPORT_H */
