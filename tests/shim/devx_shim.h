/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Control interface of the DevX interposer (libmlx5tls_devx_shim.so), for tests and demos.
 *
 * The interposer defines the rdma-core entry points libmlx5tls's `devx` transport calls
 * (ibv_get_device_list, ibv_open..., mlx5dv_open_device, mlx5dv_devx_obj_create, ...) and runs
 * them against device-model instances instead of the kernel. Linked ahead of libibverbs/libmlx5
 * (or LD_PRELOADed), its definitions win for every caller in the process.
 *
 * Devices come from the environment variable MLX5TLS_SHIM_DEVICES, read at the first call:
 *   MLX5TLS_SHIM_DEVICES="mlx5_0=cx6dx,mlx5_1=cx6dx-legacy"      (default "mlx5_0=cx6dx")
 * Each entry is NAME=SPEC, SPEC being a model spec "PROFILE[,key=value...]". Entries are separated
 * by ';' or ','; after a ',' a `log_*=N` item continues the previous entry's spec, so
 * "mlx5_0=cx6dx,log_max_tis=1;mlx5_1=cx6dx-legacy" is two devices. An empty variable means no
 * devices at all. Each device is one model instance shared by every context opened on it (one
 * NIC); each context gets its own DevX uid.
 *
 * Datapath (shim_qp.c, shim_doorbell.c): raw packet QPs are model SQs with their own device
 * thread; a watcher thread per device snoops each QP's doorbell register (see the comment at the
 * top of shim_doorbell.c for why that is faithful and what it costs). Frames go to the device's
 * wire, an in-memory capture (devx_shim_wire_*).
 */
#ifndef MLX5TLS_DEVX_SHIM_H
#define MLX5TLS_DEVX_SHIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Number of fake rdma devices (initialises the device table from the environment if needed). */
int devx_shim_device_count(void);

/*
 * Replace the device table with `spec` (same syntax as MLX5TLS_SHIM_DEVICES; NULL = read the
 * environment again). 0, -EBUSY while a context is open on any device, -EINVAL if an entry does not
 * parse or its model spec is refused (the old table is kept then). Device pointers handed out
 * earlier by ibv_get_device_list() become invalid.
 */
int devx_shim_set_devices(const char *spec);

/*
 * How many times an interposed entry point ran, by name ("mlx5dv_devx_obj_create"); 0 for a name
 * that is not interposed. Counts every call, failed ones included.
 */
unsigned long devx_shim_calls(const char *fn);
void devx_shim_reset_calls(void);

/*
 * Make mlx5dv_open_device(..DEVX..) fail with errno `err` (e.g. EOPNOTSUPP: kernel or firmware
 * without DevX; EPERM: older kernels without CAP_NET_RAW), 0 to stop. Nothing else changes.
 */
void devx_shim_fail_open(int err);

/*
 * Make the next DevX command with `opcode` (0: any) come back rejected with `status`/`syndrome`
 * in its output mailbox without running it: with rc0, the rdma-core call returns 0 all the same
 * (as a kernel that does not check the status would), else EREMOTEIO. status 0 disarms.
 */
void devx_shim_fail_next(uint16_t opcode, uint8_t status, uint32_t syndrome, bool rc0);

/* Contexts currently open on device `name`, or -ENODEV. */
int devx_shim_open_contexts(const char *name);

/* Live objects in the model behind device `name` (all contexts), from the model's own tables. */
struct devx_shim_dev_stats {
	uint64_t cmds;       /* commands the model executed */
	uint64_t cmd_errors; /* of which it rejected */
	uint32_t pds;
	uint32_t tds;
	uint32_t tises;
	uint32_t dek_objects; /* single DEKs + bulks */
	uint32_t deks;        /* DEK ids, bulk elements included */
	uint64_t syncs;
	uint32_t qps; /* raw packet QPs (model SQs) */
};
int devx_shim_dev_stats(const char *name, struct devx_shim_dev_stats *st);

/*
 * The last firmware rejection the shim saw on this thread, whatever the entry point: 0 and the
 * status/syndrome (and opcode of the command) filled, or -ENOENT. Useful where rdma-core does not
 * hand the status back (mlx5dv_devx_obj_destroy, ibv_alloc_pd, ibv_dealloc_pd: the kernel turns
 * it into an errno).
 */
int devx_shim_last_fw_status(uint16_t *opcode, uint8_t *status, uint32_t *syndrome);
void devx_shim_clear_fw_status(void);

/*
 * The wire of device `name`: an in-memory capture of every frame its queues sent, oldest first
 * (up to 65536 frames; later ones are dropped and counted). The model's port functions are
 * private to the interposer, hence these accessors.
 *   devx_shim_wire_count   frames held, or -ENODEV
 *   devx_shim_wire_frame   the idx-th frame (NULL if none); valid until the capture is cleared
 *   devx_shim_wire_clear   0 or -ENODEV
 *   devx_shim_wire_dropped frames that found the capture full
 *   devx_shim_wire_mtu     the link's L3 MTU (default 1500), or -ENODEV
 *   devx_shim_set_wire_mtu 68..9978; 0, -EINVAL or -ENODEV. Frames above it fail with an
 *                          error CQE, as on a link whose MTU is smaller.
 */
long devx_shim_wire_count(const char *name);
const uint8_t *devx_shim_wire_frame(const char *name, size_t idx, size_t *len);
int devx_shim_wire_clear(const char *name);
uint64_t devx_shim_wire_dropped(const char *name);
int devx_shim_wire_mtu(const char *name);
int devx_shim_set_wire_mtu(const char *name, uint32_t mtu);

/*
 * The receive side of device `name` (shim_rx.c): devx_shim_wire_rx hands one Ethernet frame (no
 * FCS) to the device's port, as if it came from the network (the model's sim_dev_rx: steering,
 * TIR, RQ); 0 whether delivered or dropped, -ENODEV, -EINVAL. devx_shim_rx_stats: frames that
 * matched a steering rule / matched none (dropped); 0 or -ENODEV.
 */
int devx_shim_wire_rx(const char *name, const void *frame, size_t len);
int devx_shim_rx_stats(const char *name, uint64_t *steered, uint64_t *no_match);

/* Doorbells the watchers have handed to the model so far (all devices). */
unsigned long devx_shim_doorbells(void);

#ifdef __cplusplus
}
#endif

#endif /* MLX5TLS_DEVX_SHIM_H */
