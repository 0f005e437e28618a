/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DevX interposer, the device side of the datapath: each device's wire (an in-memory capture
 * port every SQ of the device sends to, devx_shim_wire_*) and its doorbell watcher, which hands
 * each QP's doorbells to the model SQ. The QPs themselves are shim_qp.c's.
 *
 * THE DOORBELL. On hardware the 8-byte store to the UAR is a PCIe write the NIC sees at once.
 * Here the UAR is ordinary memory no one can trap, so each device has a watcher thread, as a
 * device snooping its doorbell register would: every WATCH_PERIOD_NS it loads each QP's doorbell
 * word (and nothing else) and, when the value changed, hands it to sim_sq_ring_doorbell(); the
 * SQ's device thread then consumes up to the producer counter in the doorbell record. This is
 * faithful because the value written is the first 8 bytes of the last posted WQE's ctrl segment,
 * which contain that WQE's 16-bit index: two consecutive doorbells name different WQEs (between
 * them at least one and at most a ring of WQEBBs, under 2^16, was posted), so a new doorbell is
 * never equal to the previous one. Several doorbells within one period are seen as the last one,
 * which is harmless since the doorbell record already carries the newest producer counter. At
 * QP RESET the word is cleared (a ctrl segment is never 0: qpn_ds holds ds >= 1), so the first
 * doorbell after a recovery, at WQE 0 again, is seen even if it repeats an old value. The limit
 * is latency: the device starts up to a period (plus scheduling delay) after the store, so a
 * caller must wait for completions (mlx5tls_qp_poll with a timeout) rather than expect them at
 * once. The watcher runs only while the device has QPs.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "devx_shim.h"
#include "shim_dp.h"

#define WATCH_PERIOD_NS 20000L
#define CAPTURE_FRAMES 65536u

static atomic_ulong doorbells_seen;

/* ---- the wire ---- */

int shim_device_dp_init(struct shim_device *dev)
{
	dev->capture = sim_port_capture_create(CAPTURE_FRAMES);
	if (!dev->capture)
		return errno ? -errno : -ENOMEM;
	pthread_mutex_init(&dev->watch_lock, NULL);
	pthread_mutex_init(&dev->qp_lock, NULL);
	dev->qps = NULL;
	dev->live_qps = 0;
	dev->watcher_running = false;
	atomic_init(&dev->watcher_stop, false);
	return 0;
}

void shim_device_dp_fini(struct shim_device *dev)
{
	/* No QP can be left: they belong to contexts, and the table is only freed with none. */
	pthread_mutex_destroy(&dev->qp_lock);
	pthread_mutex_destroy(&dev->watch_lock);
	sim_port_destroy(dev->capture);
	dev->capture = NULL;
}

static struct shim_device *find_device(const char *name)
{
	struct shim_device *devs;
	int n = shim_devices_get(&devs);

	for (int i = 0; name && i < n; i++)
		if (strcmp(devs[i].ibdev.name, name) == 0)
			return &devs[i];
	return NULL;
}

/* The capture port of device `name`, or NULL. Devices live until the table is replaced, which
 * needs every context closed. */
static struct sim_port *capture_of(const char *name)
{
	struct shim_device *d;
	struct sim_port *p;

	shim_devices_lock();
	d = find_device(name);
	p = d ? d->capture : NULL;
	shim_devices_unlock();
	return p;
}

long devx_shim_wire_count(const char *name)
{
	struct sim_port *p = capture_of(name);

	return p ? (long)sim_port_capture_count(p) : -ENODEV;
}

const uint8_t *devx_shim_wire_frame(const char *name, size_t idx, size_t *len)
{
	struct sim_port *p = capture_of(name);

	return p ? sim_port_capture_frame(p, idx, len) : NULL;
}

int devx_shim_wire_clear(const char *name)
{
	struct sim_port *p = capture_of(name);

	if (!p)
		return -ENODEV;
	sim_port_capture_clear(p);
	return 0;
}

uint64_t devx_shim_wire_dropped(const char *name)
{
	struct sim_port *p = capture_of(name);

	return p ? sim_port_capture_dropped(p) : 0;
}

int devx_shim_wire_mtu(const char *name)
{
	struct sim_port *p = capture_of(name);

	return p ? (int)sim_port_mtu(p) : -ENODEV;
}

int devx_shim_set_wire_mtu(const char *name, uint32_t mtu)
{
	struct sim_port *p = capture_of(name);

	return p ? sim_port_set_mtu(p, mtu) : -ENODEV;
}

unsigned long devx_shim_doorbells(void)
{
	return atomic_load(&doorbells_seen);
}

/* ---- the doorbell watcher ---- */

static void *watcher_main(void *arg)
{
	struct shim_device *dev = arg;
	const struct timespec period = { .tv_sec = 0, .tv_nsec = WATCH_PERIOD_NS };

	while (!atomic_load(&dev->watcher_stop)) {
		pthread_mutex_lock(&dev->qp_lock);
		for (struct shim_qp *q = dev->qps; q; q = q->dev_next) {
			/* One 8-byte load of an aligned word: it sees the caller's 8-byte store
			 * whole, never half of it (x86-64, AArch64). Acquire, pairing with the
			 * library's release store of the doorbell (devx_dp.c): the model reads
			 * the WQE the doorbell names right away (sim_sq_ring_doorbell). */
			uint64_t v = __atomic_load_n(q->db_reg, __ATOMIC_ACQUIRE);

			if (v == q->db_last)
				continue;
			q->db_last = v;
			atomic_fetch_add_explicit(&doorbells_seen, 1, memory_order_relaxed);
			sim_sq_ring_doorbell(q->sq, v);
		}
		pthread_mutex_unlock(&dev->qp_lock);
		nanosleep(&period, NULL);
	}
	return NULL;
}

/* Put a new QP on its device's watch list, starting the watcher with the first. 0 or errno. */
int shim_watch_add(struct shim_device *dev, struct shim_qp *q)
{
	pthread_mutex_lock(&dev->watch_lock);
	if (!dev->watcher_running) {
		int err;

		atomic_store(&dev->watcher_stop, false);
		err = pthread_create(&dev->watcher, NULL, watcher_main, dev);
		if (err) {
			pthread_mutex_unlock(&dev->watch_lock);
			return err;
		}
		dev->watcher_running = true;
	}
	pthread_mutex_lock(&dev->qp_lock);
	q->dev_next = dev->qps;
	dev->qps = q;
	dev->live_qps++;
	pthread_mutex_unlock(&dev->qp_lock);
	pthread_mutex_unlock(&dev->watch_lock);
	return 0;
}

/* Take a QP off the watch list (it is not looked at afterwards); stop the watcher with the
 * last one. */
void shim_watch_del(struct shim_device *dev, struct shim_qp *q)
{
	bool last;

	pthread_mutex_lock(&dev->watch_lock);
	pthread_mutex_lock(&dev->qp_lock);
	for (struct shim_qp **pp = &dev->qps; *pp; pp = &(*pp)->dev_next) {
		if (*pp == q) {
			*pp = q->dev_next;
			dev->live_qps--;
			break;
		}
	}
	last = dev->live_qps == 0;
	pthread_mutex_unlock(&dev->qp_lock);
	if (last && dev->watcher_running) {
		atomic_store(&dev->watcher_stop, true);
		pthread_join(dev->watcher, NULL);
		dev->watcher_running = false;
	}
	pthread_mutex_unlock(&dev->watch_lock);
}
