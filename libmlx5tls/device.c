/* SPDX-License-Identifier: BSD-3-Clause */
/* Device lifecycle: name → transport, capabilities at open, trace, listing. */
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "sim/sim.h"
#include "inspect.h"

static bool is_model_name(const char *name)
{
	return strcmp(name, "sim") == 0 || strncmp(name, "sim:", 4) == 0;
}

struct mlx5tls_device_info *mlx5tls_get_device_list(int *num)
{
	static const struct mlx5tls_transport_ops *const transports[] = {
		&mlx5tls_transport_devx, /* real devices first */
		&mlx5tls_transport_sim,
	};
	struct mlx5tls_device_info *all = NULL;
	int total = 0;

	if (!num)
		return libmlx5tls_err_ptr(-EINVAL);
	for (size_t t = 0; t < sizeof(transports) / sizeof(transports[0]); t++) {
		struct mlx5tls_device_info *part = NULL, *grown;
		int n = 0, ret;

		ret = transports[t]->list(&part, &n);
		if (ret) {
			/* one transport failing to enumerate hides only its own devices */
			pr_debug("%s: device enumeration failed (%d)\n", transports[t]->name, ret);
			continue;
		}
		grown = realloc(all, (size_t)(total + n + 1) * sizeof(*all));
		if (!grown) {
			free(part);
			free(all);
			return libmlx5tls_err_ptr(-ENOMEM);
		}
		all = grown;
		if (n)
			memcpy(all + total, part, (size_t)n * sizeof(*all));
		total += n;
		free(part);
	}
	if (!all) {
		all = calloc(1, sizeof(*all));
		if (!all)
			return libmlx5tls_err_ptr(-ENOMEM);
	}
	*num = total;
	return all;
}

void mlx5tls_free_device_list(struct mlx5tls_device_info *list)
{
	free(list);
}

static const char *default_device_name(const char *name)
{
	const char *env;

	if (name && *name)
		return name;
	env = getenv("MLX5TLS_DEVICE");
	return env && *env ? env : NULL;
}

struct mlx5tls_device *mlx5tls_device_open(const char *name,
					   const struct mlx5tls_device_opts *opts)
{
	struct mlx5tls_device *dev;
	const char *trace_path;
	char why[256];
	int ret;

	if (!OPTS_VALID(opts, mlx5tls_device_opts))
		return libmlx5tls_err_ptr(-EINVAL);
	/* line-aligned: the TX shards' locks each have lines of their own (mlx5tls_internal.h) */
	dev = aligned_alloc(_Alignof(struct mlx5tls_device), sizeof(*dev));
	if (!dev)
		return libmlx5tls_err_ptr(-ENOMEM);
	memset(dev, 0, sizeof(*dev));
	for (unsigned int i = 0; i < CTX_SHARDS; i++)
		pthread_mutex_init(&dev->ctx_shards[i].lock, NULL);
	pthread_mutex_init(&dev->insp_lock, NULL);
	rec_pool_init(&dev->rx_rec_pool);

	name = default_device_name(name);
	dev->ops = name && is_model_name(name) ? &mlx5tls_transport_sim : &mlx5tls_transport_devx;
	ret = dev->ops->open(name, &dev->xp, &dev->attr);
	if (ret) {
		if (!name && ret == -ENODEV)
			pr_warn("no DevX-capable mlx5 device found; open \"sim\" to use the device model\n");
		else if (name && is_model_name(name) && ret == -EINVAL &&
			 sim_profile_explain(name[3] == ':' ? name + 4 : "", why, sizeof(why)))
			pr_warn("cannot open device %s: %s\n", name, why);
		else
			pr_warn("cannot open device %s: %s\n", name ? name : "(first mlx5)",
				strerror(-ret));
		goto err_free;
	}
	if (dev->attr.kind == MLX5TLS_DEVICE_MODEL)
		pr_info("%s is the built-in device model (profile %s), not hardware\n",
			dev->attr.name, dev->attr.profile);

	trace_path = OPTS_GET(opts, trace_path, NULL);
	if (!trace_path)
		trace_path = getenv("MLX5TLS_TRACE");
	if (trace_path && *trace_path) {
		dev->trace = trace_open(trace_path);
		if (!dev->trace) {
			ret = -errno;
			pr_warn("cannot open trace file %s: %s\n", trace_path, strerror(errno));
			goto err_close;
		}
	}

	ret = caps_query(dev, &dev->caps);
	if (ret) {
		pr_warn("%s: capability query failed (%d)\n", dev->attr.name, ret);
		goto err_trace;
	}
	inspect_device_add(dev);
	publish_env_check();
	return dev;

err_trace:
	trace_close(dev->trace);
err_close:
	dev->ops->close(dev->xp);
err_free:
	rec_pool_fini(&dev->rx_rec_pool);
	pthread_mutex_destroy(&dev->insp_lock);
	for (unsigned int i = 0; i < CTX_SHARDS; i++)
		pthread_mutex_destroy(&dev->ctx_shards[i].lock);
	free(dev);
	return libmlx5tls_err_ptr(ret);
}

int mlx5tls_device_close(struct mlx5tls_device *dev)
{
	if (!dev)
		return libmlx5tls_err(-EINVAL);
	if (atomic_load(&dev->live_children)) {
		pr_warn("%s: close refused, %u PD/TD objects still allocated\n", dev->attr.name,
			atomic_load(&dev->live_children));
		return libmlx5tls_err(-EBUSY);
	}
	/* out of the registry first: the publisher may be reading the device right now */
	inspect_device_del(dev);
	trace_close(dev->trace);
	dev->ops->close(dev->xp);
	for (unsigned int i = 0; i < CTX_SHARDS; i++) {
		insp_table_fini(&dev->ctx_shards[i].tx);
		insp_table_fini(&dev->ctx_shards[i].rx);
		pthread_mutex_destroy(&dev->ctx_shards[i].lock);
	}
	rec_pool_fini(&dev->rx_rec_pool);
	pthread_mutex_destroy(&dev->insp_lock);
	free(dev);
	return 0;
}

int mlx5tls_device_query(const struct mlx5tls_device *dev, struct mlx5tls_device_attr *attr)
{
	if (!dev || !attr)
		return libmlx5tls_err(-EINVAL);
	*attr = dev->attr;
	return 0;
}
