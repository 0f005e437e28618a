/* SPDX-License-Identifier: BSD-3-Clause */
/* A model device: its profile, its object tables, its user contexts and its counters. */
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "sim/sim_internal.h"

static void tir_shards_fini(struct sim_dev *dev, uint32_t n)
{
	while (n--) {
		pthread_rwlock_destroy(&dev->tir_shard[n].lock);
		sim_objtab_fini(&dev->tir_shard[n].tab);
	}
}

static int tir_shards_init(struct sim_dev *dev)
{
	for (uint32_t i = 0; i < SIM_TIR_SHARDS; i++) {
		if (sim_objtab_init(&dev->tir_shard[i].tab)) {
			tir_shards_fini(dev, i);
			return -ENOMEM;
		}
		if (pthread_rwlock_init(&dev->tir_shard[i].lock, NULL)) {
			sim_objtab_fini(&dev->tir_shard[i].tab);
			tir_shards_fini(dev, i);
			return -ENOMEM;
		}
	}
	return 0;
}

static void tir_slots_fini(struct sim_dev *dev, uint32_t n)
{
	while (n--)
		pthread_mutex_destroy(&dev->tir_slot[n].lock);
}

static int tir_slots_init(struct sim_dev *dev)
{
	for (uint32_t i = 0; i < THREAD_SLOTS; i++) {
		int ret = pthread_mutex_init(&dev->tir_slot[i].lock, NULL);

		if (ret) {
			tir_slots_fini(dev, i);
			return -ret;
		}
	}
	return 0;
}

static void dek_shards_fini(struct sim_dev *dev, uint32_t n)
{
	while (n--)
		pthread_mutex_destroy(&dev->dek_shard[n]);
}

static int dek_shards_init(struct sim_dev *dev)
{
	for (uint32_t i = 0; i < SIM_DEK_SHARDS; i++) {
		int ret = pthread_mutex_init(&dev->dek_shard[i], NULL);

		if (ret) {
			dek_shards_fini(dev, i);
			return -ret;
		}
	}
	return 0;
}

struct sim_dev *sim_dev_create(const char *spec)
{
	/* aligned: the per-thread rows and shards are each on cache lines of their own only if
	 * the device is (calloc gives 16 bytes: two threads' rows would share lines) */
	struct sim_dev *dev = aligned_alloc(_Alignof(struct sim_dev), sizeof(*dev));
	int ret;

	if (!dev) {
		errno = ENOMEM;
		return NULL;
	}
	memset(dev, 0, sizeof(*dev));
	ret = sim_profile_parse(spec, &dev->prof);
	if (ret)
		goto err_free;
	ret = -ENOMEM;
	if (sim_objtab_init(&dev->pds))
		goto err_free;
	if (sim_objtab_init(&dev->tds))
		goto err_pds;
	if (sim_objtab_init(&dev->tises))
		goto err_tds;
	if (tir_shards_init(dev))
		goto err_tises;
	if (sim_objtab_init(&dev->deks))
		goto err_tirs;
	ret = -pthread_mutex_init(&dev->lock, NULL);
	if (ret)
		goto err_deks;
	ret = -pthread_rwlock_init(&dev->tis_lock, NULL);
	if (ret)
		goto err_lock;
	ret = sim_brlock_init(&dev->dom_lock);
	if (ret)
		goto err_tis_lock;
	ret = sim_brlock_init(&dev->dp_lock);
	if (ret)
		goto err_dom_lock;
	ret = -pthread_rwlock_init(&dev->dek_lock, NULL);
	if (ret)
		goto err_dp_lock;
	ret = dek_shards_init(dev);
	if (ret)
		goto err_dek_lock;
	ret = sim_steer_init(dev);
	if (ret)
		goto err_shards;
	ret = tir_slots_init(dev);
	if (ret)
		goto err_steer;
	dev->uid_cursor = 1;
	dev->pd_cursor = SIM_PD_NUM_FIRST;
	dev->td_cursor = SIM_TD_NUM_FIRST;
	dev->tis_cursor = SIM_TIS_NUM_FIRST;
	dev->dek_cursor = SIM_DEK_ID_FIRST;
	atomic_init(&dev->sync_epoch, 1);
	return dev;

err_steer:
	sim_steer_fini(dev);
err_shards:
	dek_shards_fini(dev, SIM_DEK_SHARDS);
err_dek_lock:
	pthread_rwlock_destroy(&dev->dek_lock);
err_dp_lock:
	sim_brlock_fini(&dev->dp_lock);
err_dom_lock:
	sim_brlock_fini(&dev->dom_lock);
err_tis_lock:
	pthread_rwlock_destroy(&dev->tis_lock);
err_lock:
	pthread_mutex_destroy(&dev->lock);
err_deks:
	sim_objtab_fini(&dev->deks);
err_tirs:
	tir_shards_fini(dev, SIM_TIR_SHARDS);
err_tises:
	sim_objtab_fini(&dev->tises);
err_tds:
	sim_objtab_fini(&dev->tds);
err_pds:
	sim_objtab_fini(&dev->pds);
err_free:
	free(dev);
	errno = -ret;
	return NULL;
}

/* Dependency order (fact sheet 4.1, 3.4, 4.3: TIS and DEK name a PD, TIS and TIR name a TD). */
static void destroy_owned(struct sim_dev *dev, int uid)
{
	sim_dek_destroy_owned(dev, uid);
	sim_tis_destroy_owned(dev, uid);
	sim_tir_destroy_owned(dev, uid);
	sim_td_destroy_owned(dev, uid);
	sim_pd_destroy_owned(dev, uid);
}

void sim_dev_destroy(struct sim_dev *dev)
{
	if (!dev)
		return;
	sim_dp_dev_destroy(dev);         /* memory regions and TLS engine state */
	destroy_owned(dev, SIM_UID_ALL); /* wipes every stored key; drops the TIRs' rules */
	sim_steer_fini(dev);
	tir_slots_fini(dev, THREAD_SLOTS);
	sim_objtab_fini(&dev->deks);
	tir_shards_fini(dev, SIM_TIR_SHARDS);
	sim_objtab_fini(&dev->tises);
	sim_objtab_fini(&dev->tds);
	sim_objtab_fini(&dev->pds);
	dek_shards_fini(dev, SIM_DEK_SHARDS);
	pthread_rwlock_destroy(&dev->dek_lock);
	sim_brlock_fini(&dev->dp_lock);
	sim_brlock_fini(&dev->dom_lock);
	pthread_rwlock_destroy(&dev->tis_lock);
	pthread_mutex_destroy(&dev->lock);
	free(dev);
}

const char *sim_dev_profile(const struct sim_dev *dev)
{
	return dev->prof.name;
}

const char *sim_dev_fw_ver(const struct sim_dev *dev)
{
	return dev->prof.fw_ver;
}

/* Read without `lock` by the commands that run outside it (cmd.c); written under it. */
static bool uid_bit(struct sim_dev *dev, uint32_t uid)
{
	return atomic_load_explicit(&dev->uid_used[uid / 8], memory_order_acquire) &
	       (1u << (uid % 8));
}

bool sim_uid_valid(struct sim_dev *dev, uint16_t uid)
{
	return uid == 0 || uid_bit(dev, uid);
}

int sim_uctx_alloc(struct sim_dev *dev, uint16_t *uid)
{
	int ret = -ENOSPC;

	if (!dev || !uid)
		return -EINVAL;
	pthread_mutex_lock(&dev->lock);
	/* Monotonic with wrap, like object numbers, so a stale uid is not instantly valid again. */
	for (uint32_t tries = SIM_UID_SPACE - 1, u = dev->uid_cursor; tries; tries--) {
		if (!uid_bit(dev, u)) {
			atomic_fetch_or_explicit(&dev->uid_used[u / 8], (uint8_t)(1u << (u % 8)),
						 memory_order_release);
			dev->uid_cursor = u + 1 < SIM_UID_SPACE ? u + 1 : 1;
			*uid = (uint16_t)u;
			ret = 0;
			break;
		}
		u = u + 1 < SIM_UID_SPACE ? u + 1 : 1;
	}
	pthread_mutex_unlock(&dev->lock);
	return ret;
}

void sim_uctx_free(struct sim_dev *dev, uint16_t uid)
{
	if (!dev || uid == 0)
		return;
	pthread_mutex_lock(&dev->lock);
	if (uid_bit(dev, uid)) {
		/* Invalid first: a TIR command runs without `lock` and checks the uid again with
		 * its TIR's shard held (tir.c), so one in flight either sees this or has put its
		 * TIR where the teardown below finds it. */
		atomic_fetch_and_explicit(&dev->uid_used[uid / 8], (uint8_t)~(1u << (uid % 8)),
					  memory_order_seq_cst);
		/* As closing a DevX fd does (devx-userspace A2): what the uid still owns goes. */
		destroy_owned(dev, uid);
	}
	pthread_mutex_unlock(&dev->lock);
}

void sim_dev_get_stats(struct sim_dev *dev, struct sim_dev_stats *st)
{
	if (!dev || !st)
		return;
	pthread_mutex_lock(&dev->lock);
	*st = dev->stats;
	pthread_mutex_unlock(&dev->lock);
	st->tirs = atomic_load_explicit(&dev->tirs_live, memory_order_relaxed);
	st->cmds = 0;
	st->cmd_errors = 0;
	for (unsigned int i = 0; i < THREAD_SLOTS; i++) {
		st->cmds += atomic_load_explicit(&dev->cmd_rows[i].cmds, memory_order_relaxed);
		st->cmd_errors += atomic_load_explicit(&dev->cmd_rows[i].errors,
						       memory_order_relaxed);
	}
}
