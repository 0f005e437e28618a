/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DevX interposer, common part: the fake device table, call counters, command execution on the
 * model and the control interface of devx_shim.h.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "devx_shim.h"
#include "prm/mlx5_ifc_tls.h"
#include "shim_internal.h"

#define SHIM_DEFAULT_DEVICES "mlx5_0=cx6dx"

static const char *const fn_names[SHIM_FN__MAX] = {
	[SHIM_IBV_GET_DEVICE_LIST] = "ibv_get_device_list",
	[SHIM_IBV_FREE_DEVICE_LIST] = "ibv_free_device_list",
	[SHIM_IBV_GET_DEVICE_NAME] = "ibv_get_device_name",
	[SHIM_IBV_QUERY_DEVICE] = "ibv_query_device",
	[SHIM_IBV_CLOSE_DEVICE] = "ibv_close_device",
	[SHIM_IBV_ALLOC_PD] = "ibv_alloc_pd",
	[SHIM_IBV_DEALLOC_PD] = "ibv_dealloc_pd",
	[SHIM_IBV_CREATE_CQ] = "ibv_create_cq",
	[SHIM_IBV_DESTROY_CQ] = "ibv_destroy_cq",
	[SHIM_IBV_CREATE_QP] = "ibv_create_qp",
	[SHIM_IBV_MODIFY_QP] = "ibv_modify_qp",
	[SHIM_IBV_DESTROY_QP] = "ibv_destroy_qp",
	[SHIM_IBV_REG_MR] = "ibv_reg_mr",
	[SHIM_IBV_REG_MR_IOVA2] = "ibv_reg_mr_iova2",
	[SHIM_IBV_DEREG_MR] = "ibv_dereg_mr",
	[SHIM_MLX5DV_IS_SUPPORTED] = "mlx5dv_is_supported",
	[SHIM_MLX5DV_OPEN_DEVICE] = "mlx5dv_open_device",
	[SHIM_MLX5DV_INIT_OBJ] = "mlx5dv_init_obj",
	[SHIM_MLX5DV_DEVX_OBJ_CREATE] = "mlx5dv_devx_obj_create",
	[SHIM_MLX5DV_DEVX_OBJ_QUERY] = "mlx5dv_devx_obj_query",
	[SHIM_MLX5DV_DEVX_OBJ_MODIFY] = "mlx5dv_devx_obj_modify",
	[SHIM_MLX5DV_DEVX_OBJ_DESTROY] = "mlx5dv_devx_obj_destroy",
	[SHIM_MLX5DV_DEVX_GENERAL_CMD] = "mlx5dv_devx_general_cmd",
	[SHIM_IBV_CREATE_WQ] = "ibv_create_wq",
	[SHIM_IBV_MODIFY_WQ] = "ibv_modify_wq",
	[SHIM_IBV_DESTROY_WQ] = "ibv_destroy_wq",
	[SHIM_MLX5DV_CREATE_FLOW_MATCHER] = "mlx5dv_create_flow_matcher",
	[SHIM_MLX5DV_DESTROY_FLOW_MATCHER] = "mlx5dv_destroy_flow_matcher",
	[SHIM_MLX5DV_CREATE_FLOW] = "mlx5dv_create_flow",
	[SHIM_IBV_DESTROY_FLOW] = "ibv_destroy_flow",
};

static atomic_ulong fn_calls[SHIM_FN__MAX];

static pthread_mutex_t devices_lock = PTHREAD_MUTEX_INITIALIZER;
static struct shim_device *devices; /* NULL until initialised */
static int num_devices = -1;        /* -1: not initialised */

static atomic_int open_fail_errno;

struct fw_status {
	bool valid;
	uint16_t opcode;
	uint8_t status;
	uint32_t syndrome;
};

/* __thread: the same as _Thread_local for GCC, and cppcheck 2.10 follows its uses */
static __thread struct fw_status last_fw;

void shim_count(enum shim_fn fn)
{
	atomic_fetch_add_explicit(&fn_calls[fn], 1, memory_order_relaxed);
}

unsigned long devx_shim_calls(const char *fn)
{
	if (!fn)
		return 0;
	for (int i = 0; i < SHIM_FN__MAX; i++)
		if (strcmp(fn_names[i], fn) == 0)
			return atomic_load(&fn_calls[i]);
	return 0;
}

void devx_shim_reset_calls(void)
{
	for (int i = 0; i < SHIM_FN__MAX; i++)
		atomic_store(&fn_calls[i], 0);
}

/* ---- device table ---- */

struct dev_entry {
	char name[IBV_SYSFS_NAME_MAX];
	char spec[256];
};

static bool continues_spec(const char *tok)
{
	/* "log_max_tis=1" after a ',' belongs to the previous device's model spec */
	return strncmp(tok, "log_", 4) == 0;
}

static int append(char *dst, size_t dst_sz, const char *sep, const char *s)
{
	size_t used = strlen(dst);
	int n = snprintf(dst + used, dst_sz - used, "%s%s", used ? sep : "", s);

	return (n < 0 || (size_t)n >= dst_sz - used) ? -EINVAL : 0;
}

/* Parse MLX5TLS_SHIM_DEVICES syntax (devx_shim.h) into entries. Returns the count or -EINVAL. */
static int parse_devices(const char *spec, struct dev_entry **out)
{
	struct dev_entry *ents = NULL;
	char *copy, *save = NULL;
	int n = 0, ret = 0;

	*out = NULL;
	copy = strdup(spec);
	if (!copy)
		return -ENOMEM;
	/* Split on ';' first (always a device boundary), then on ','. */
	for (char *grp = strtok_r(copy, ";", &save); grp; grp = strtok_r(NULL, ";", &save)) {
		char *save2 = NULL;

		for (char *tok = strtok_r(grp, ",", &save2); tok;
		     tok = strtok_r(NULL, ",", &save2)) {
			char *eq;
			struct dev_entry *grown;

			while (*tok == ' ')
				tok++;
			if (!*tok)
				continue;
			if (continues_spec(tok)) {
				if (!n) {
					ret = -EINVAL;
					goto out;
				}
				if (append(ents[n - 1].spec, sizeof(ents[n - 1].spec), ",", tok)) {
					ret = -EINVAL;
					goto out;
				}
				continue;
			}
			grown = realloc(ents, (size_t)(n + 1) * sizeof(*ents));
			if (!grown) {
				ret = -ENOMEM;
				goto out;
			}
			ents = grown;
			memset(&ents[n], 0, sizeof(ents[n]));
			eq = strchr(tok, '=');
			if (eq)
				*eq = '\0';
			if (!*tok || strlen(tok) >= sizeof(ents[n].name) ||
			    (eq && strlen(eq + 1) >= sizeof(ents[n].spec))) {
				ret = -EINVAL;
				goto out;
			}
			for (int i = 0; i < n; i++) {
				if (strcmp(ents[i].name, tok) == 0) {
					ret = -EINVAL; /* duplicate device name */
					goto out;
				}
			}
			strcpy(ents[n].name, tok);
			if (eq)
				strcpy(ents[n].spec, eq + 1);
			n++;
		}
	}
out:
	free(copy);
	if (ret) {
		free(ents);
		return ret;
	}
	*out = ents;
	return n;
}

static void free_devices(struct shim_device *devs, int n)
{
	for (int i = 0; i < n; i++) {
		shim_device_dp_fini(&devs[i]);
		sim_dev_destroy(devs[i].sim);
	}
	free(devs);
}

/* Build a device table; `strict`: fail on any bad entry instead of skipping it. */
static int build_devices(const char *spec, bool strict, struct shim_device **out)
{
	struct dev_entry *ents;
	struct shim_device *devs;
	int n, k = 0;

	*out = NULL;
	n = parse_devices(spec, &ents);
	if (n < 0) {
		fprintf(stderr, "devx_shim: cannot parse device list \"%s\"\n", spec);
		return n;
	}
	devs = calloc(n ? (size_t)n : 1, sizeof(*devs));
	if (!devs) {
		free(ents);
		return -ENOMEM;
	}
	for (int i = 0; i < n; i++) {
		struct shim_device *d = &devs[k];

		d->sim = sim_dev_create(ents[i].spec);
		if (!d->sim) {
			fprintf(stderr, "devx_shim: %s: model spec \"%s\" refused (%s)%s\n",
				ents[i].name, ents[i].spec, strerror(errno),
				strict ? "" : ", device skipped");
			if (strict) {
				free_devices(devs, k);
				free(ents);
				return -EINVAL;
			}
			continue;
		}
		if (shim_device_dp_init(d)) {
			fprintf(stderr, "devx_shim: %s: no memory for its port\n", ents[i].name);
			sim_dev_destroy(d->sim);
			free_devices(devs, k);
			free(ents);
			return -ENOMEM;
		}
		d->ibdev.node_type = IBV_NODE_CA;
		d->ibdev.transport_type = IBV_TRANSPORT_IB;
		snprintf(d->ibdev.name, sizeof(d->ibdev.name), "%s", ents[i].name);
		snprintf(d->ibdev.dev_name, sizeof(d->ibdev.dev_name), "uverbs%d", k);
		snprintf(d->ibdev.dev_path, sizeof(d->ibdev.dev_path),
			 "/sys/class/infiniband_verbs/uverbs%d", k);
		snprintf(d->ibdev.ibdev_path, sizeof(d->ibdev.ibdev_path),
			 "/sys/class/infiniband/%s", ents[i].name);
		d->index = k;
		atomic_init(&d->contexts, 0);
		k++;
	}
	free(ents);
	*out = devs;
	return k;
}

static void init_locked(void)
{
	const char *env;
	struct shim_device *devs;
	int n;

	if (num_devices >= 0)
		return;
	env = getenv("MLX5TLS_SHIM_DEVICES");
	n = build_devices(env ? env : SHIM_DEFAULT_DEVICES, false, &devs);
	if (n < 0) {
		devices = NULL;
		num_devices = 0;
		return;
	}
	devices = devs;
	num_devices = n;
}

void shim_devices_lock(void)
{
	pthread_mutex_lock(&devices_lock);
	init_locked();
}

void shim_devices_unlock(void)
{
	pthread_mutex_unlock(&devices_lock);
}

/* Caller holds the devices lock. */
int shim_devices_get(struct shim_device **devs)
{
	*devs = devices;
	return num_devices;
}

/* Caller holds the devices lock. */
struct shim_device *shim_device_of(const struct ibv_device *ibdev)
{
	for (int i = 0; i < num_devices; i++)
		if (&devices[i].ibdev == ibdev)
			return &devices[i];
	return NULL;
}

struct shim_context *shim_context_of(struct ibv_context *ctx)
{
	struct shim_context *c;

	if (!ctx)
		return NULL;
	c = (struct shim_context *)((uint8_t *)ctx - offsetof(struct shim_context, vctx.context));
	return c->magic == SHIM_CTX_MAGIC ? c : NULL;
}

int shim_open_fail_errno(void)
{
	return atomic_load(&open_fail_errno);
}

int devx_shim_device_count(void)
{
	int n;

	shim_devices_lock();
	n = num_devices;
	shim_devices_unlock();
	return n;
}

int devx_shim_set_devices(const char *spec)
{
	struct shim_device *devs;
	const char *env;
	int n;

	shim_devices_lock();
	for (int i = 0; i < num_devices; i++) {
		if (atomic_load(&devices[i].contexts)) {
			shim_devices_unlock();
			return -EBUSY;
		}
	}
	if (!spec) {
		env = getenv("MLX5TLS_SHIM_DEVICES");
		spec = env ? env : SHIM_DEFAULT_DEVICES;
	}
	n = build_devices(spec, true, &devs);
	if (n < 0) {
		shim_devices_unlock();
		return n;
	}
	free_devices(devices, num_devices);
	devices = devs;
	num_devices = n;
	shim_devices_unlock();
	return 0;
}

static struct {
	pthread_mutex_t lock;
	bool armed;
	uint16_t opcode;
	uint8_t status;
	uint32_t syndrome;
	bool rc0;
} fail_next = { .lock = PTHREAD_MUTEX_INITIALIZER };

void devx_shim_fail_next(uint16_t opcode, uint8_t status, uint32_t syndrome, bool rc0)
{
	pthread_mutex_lock(&fail_next.lock);
	fail_next.armed = status != 0;
	fail_next.opcode = opcode;
	fail_next.status = status;
	fail_next.syndrome = syndrome;
	fail_next.rc0 = rc0;
	pthread_mutex_unlock(&fail_next.lock);
}

/* The armed rejection, if this command is the one: out holds it; 0 (rc0) or -EREMOTEIO. */
static bool take_fail_next(const void *in, void *out, size_t outlen, int *ret)
{
	bool hit;

	pthread_mutex_lock(&fail_next.lock);
	hit = fail_next.armed && (!fail_next.opcode || fail_next.opcode == shim_in_opcode(in));
	if (hit) {
		fail_next.armed = false;
		memset(out, 0, outlen);
		DEVX_SET(mbox_out, out, status, fail_next.status);
		DEVX_SET(mbox_out, out, syndrome, fail_next.syndrome);
		*ret = fail_next.rc0 ? 0 : -EREMOTEIO;
	}
	pthread_mutex_unlock(&fail_next.lock);
	return hit;
}

void devx_shim_fail_open(int err)
{
	atomic_store(&open_fail_errno, err < 0 ? -err : err);
}

static struct shim_device *find_locked(const char *name)
{
	for (int i = 0; name && i < num_devices; i++)
		if (strcmp(devices[i].ibdev.name, name) == 0)
			return &devices[i];
	return NULL;
}

int devx_shim_open_contexts(const char *name)
{
	struct shim_device *d;
	int n;

	shim_devices_lock();
	d = find_locked(name);
	n = d ? atomic_load(&d->contexts) : -ENODEV;
	shim_devices_unlock();
	return n;
}

int devx_shim_dev_stats(const char *name, struct devx_shim_dev_stats *st)
{
	struct sim_dev_stats s;
	struct shim_device *d;

	if (!st)
		return -EINVAL;
	memset(st, 0, sizeof(*st));
	shim_devices_lock();
	d = find_locked(name);
	if (!d) {
		shim_devices_unlock();
		return -ENODEV;
	}
	memset(&s, 0, sizeof(s));
	sim_dev_get_stats(d->sim, &s);
	pthread_mutex_lock(&d->qp_lock);
	st->qps = d->live_qps;
	pthread_mutex_unlock(&d->qp_lock);
	shim_devices_unlock();
	st->cmds = s.cmds;
	st->cmd_errors = s.cmd_errors;
	st->pds = s.pds;
	st->tds = s.tds;
	st->tises = s.tises;
	st->dek_objects = s.dek_objects;
	st->deks = s.deks;
	st->syncs = s.syncs;
	return 0;
}

int devx_shim_last_fw_status(uint16_t *opcode, uint8_t *status, uint32_t *syndrome)
{
	if (!last_fw.valid)
		return -ENOENT;
	if (opcode)
		*opcode = last_fw.opcode;
	if (status)
		*status = last_fw.status;
	if (syndrome)
		*syndrome = last_fw.syndrome;
	return 0;
}

void devx_shim_clear_fw_status(void)
{
	last_fw.valid = false;
}

/* ---- command execution ---- */

int shim_exec(struct shim_context *ctx, const void *in, size_t inlen, void *out, size_t outlen)
{
	uint8_t *copy;
	int ret;

	if (outlen >= 16 && inlen >= 16 && take_fail_next(in, out, outlen, &ret))
		return ret; /* an injected rejection: the model never sees the command */
	copy = malloc(inlen);
	if (!copy)
		return -ENOMEM;
	memcpy(copy, in, inlen);
	/* The uid of every DevX command is the context's, whatever the caller wrote: the kernel
	 * overwrites it (devx-userspace A2); sim_cmd_exec stamps it into its copy as well. */
	DEVX_SET(mbox_in, copy, uid, ctx->uid);
	ret = sim_cmd_exec(ctx->dev->sim, ctx->uid, copy, inlen, out, outlen);
	/* DEK mailboxes carry key bytes (devx-userspace B6: wipe after the command). */
	explicit_bzero(copy, inlen);
	free(copy);
	if (ret == -EREMOTEIO) {
		last_fw.valid = true;
		last_fw.opcode = shim_in_opcode(in);
		last_fw.status = shim_out_status(out);
		last_fw.syndrome = shim_out_syndrome(out);
	}
	return ret;
}

int shim_status_to_errno(uint8_t status)
{
	switch (status) {
	case MLX5_CMD_STAT_OK:
		return 0;
	case MLX5_CMD_STAT_INT_ERR:
		return EIO;
	case MLX5_CMD_STAT_BAD_OP_ERR:
	case MLX5_CMD_STAT_BAD_PARAM_ERR:
		return EINVAL;
	case MLX5_CMD_STAT_BAD_SYS_STATE_ERR:
		return EIO;
	case MLX5_CMD_STAT_BAD_RES_ERR:
		return EINVAL;
	case MLX5_CMD_STAT_RES_BUSY:
		return EBUSY;
	case MLX5_CMD_STAT_NOT_READY:
		return EAGAIN;
	case MLX5_CMD_STAT_LIM_ERR:
		return ENOMEM;
	case MLX5_CMD_STAT_BAD_RES_STATE_ERR:
	case MLX5_CMD_STAT_IX_ERR:
		return EINVAL;
	case MLX5_CMD_STAT_NO_RES_ERR:
		return EAGAIN;
	case MLX5_CMD_STAT_BAD_QP_STATE_ERR:
	case MLX5_CMD_STAT_BAD_PKT_ERR:
	case MLX5_CMD_STAT_BAD_SIZE_OUTS_CQES_ERR:
		return EINVAL;
	case MLX5_CMD_STAT_BAD_INP_LEN_ERR:
	case MLX5_CMD_STAT_BAD_OUTP_LEN_ERR:
	default:
		return EIO;
	}
}

/* MLX5TLS_SHIM_VERBOSE set: say at exit which entry points ran, so a manual LD_PRELOAD demo shows
 * that the interposition really happened. */
static void report_calls(void)
{
	const char *v = getenv("MLX5TLS_SHIM_VERBOSE");

	if (!v || !*v || strcmp(v, "0") == 0)
		return;
	fprintf(stderr, "devx_shim: calls:");
	for (int i = 0; i < SHIM_FN__MAX; i++) {
		unsigned long n = atomic_load(&fn_calls[i]);

		if (n)
			fprintf(stderr, " %s=%lu", fn_names[i], n);
	}
	fputc('\n', stderr);
}

/* At exit, free the model instances if nothing is open on them any more. */
__attribute__((destructor)) static void shim_fini(void)
{
	report_calls();
	pthread_mutex_lock(&devices_lock);
	for (int i = 0; i < num_devices; i++) {
		if (atomic_load(&devices[i].contexts)) {
			pthread_mutex_unlock(&devices_lock);
			return;
		}
	}
	free_devices(devices, num_devices > 0 ? num_devices : 0);
	devices = NULL;
	num_devices = -1;
	pthread_mutex_unlock(&devices_lock);
}
