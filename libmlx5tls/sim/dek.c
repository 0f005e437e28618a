/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The DEK (ENCRYPTION_KEY, general object type 0xc) commands: CREATE (single or bulk), MODIFY
 * (load a key into one element), QUERY (never returns key bytes) and DESTROY (whole object), as
 * the kernel's lib/crypto.c issues them (fact sheet 3.4, 3.5, 12).
 *
 * Locks (sim_internal.h): CREATE and DESTROY change the DEK table, so they run under dev->lock
 * (they take and drop PD references) and take dev->dek_lock for writing. MODIFY and QUERY read
 * the table and one record, so they run without dev->lock (cmd.c), under dev->dek_lock for
 * reading and the record's shard: a create's key load does not wait for another queue's TIS or
 * DEK command, nor for a MODIFY of a DEK in another shard.
 */
#include <errno.h>
#include <stdatomic.h>
#include <string.h>

#include "prm/mlx5_ifc_tls.h"
#include "sim/dek_store.h"
#include "sim/strict.h"

#define KEY_FIELD_LEN DEVX_FLD_SZ_BYTES(encryption_key_obj, key) /* 128 bytes, object 64..191 */
#define HDR_LEN DEVX_ST_SZ_BYTES(general_obj_in_cmd_hdr)

/* The 512-byte object (vs rdma-core's 256-byte one): only it has sw_wrapped_dek. */
static bool long_object(const struct sim_cmd *c)
{
	return c->inlen == DEVX_ST_SZ_BYTES(create_encryption_key_in);
}

static const void *cmd_object(const struct sim_cmd *c)
{
	return (const unsigned char *)c->in + HDR_LEN;
}

/* Header fields the model understands but does not implement. alias_object sits at bit 0x60 in
 * both the create and the query op_param (fact sheet 3.1). */
static int check_header(struct sim_cmd *c, bool has_op_param)
{
	if (DEVX_GET(general_obj_in_cmd_hdr, c->in, vhca_tunnel_id))
		return sim_reject(c, SIM_SYND_VHCA_TUNNEL_ID_SET);
	if (has_op_param && DEVX_GET(general_obj_in_cmd_hdr, c->in, op_param.query.alias_object))
		return sim_reject(c, SIM_SYND_ALIAS_OBJECT_SET);
	return 0;
}

/* Object fields common to CREATE and MODIFY (fact sheet 3.4). */
static int check_object_fields(struct sim_cmd *c, const void *obj)
{
	/* Model choice: state is the device's report (READY/ERROR, devx-userspace A10), not an input;
	 * the kernel never sets it (fact sheet 3.4), so a non-zero value is a caller bug. */
	if (DEVX_GET(encryption_key_obj, obj, state))
		return sim_reject(c, SIM_SYND_DEK_STATE_SET);
	if (DEVX_GET(encryption_key_obj, obj, sw_wrapped) ||
	    (long_object(c) &&
	     !sim_bytes_zero(DEVX_ADDR_OF(encryption_key_obj, obj, sw_wrapped_dek),
			     DEVX_FLD_SZ_BYTES(encryption_key_obj, sw_wrapped_dek))))
		return sim_reject(c, SIM_SYND_DEK_SW_WRAPPED_SET);
	/* Fact sheet 3.4: kernel TLS and DPCP keep has_keytag 0 for TLS keys. */
	if (DEVX_GET(encryption_key_obj, obj, has_keytag))
		return sim_reject(c, SIM_SYND_DEK_HAS_KEYTAG_SET);
	if (DEVX_GET(encryption_key_obj, obj, key_purpose) != MLX5_ENCRYPTION_KEY_OBJ_KEY_PURPOSE_TLS)
		return sim_reject(c, SIM_SYND_DEK_KEY_PURPOSE);
	if (DEVX_GET(encryption_key_obj, obj, key_size) > MLX5_ENCRYPTION_KEY_OBJ_KEY_SIZE_256)
		return sim_reject(c, SIM_SYND_DEK_KEY_SIZE);
	return 0;
}

/* Where the key bytes of a key of `key_size` start inside the 128-byte key field. */
static size_t key_offset(uint32_t key_size)
{
	/* Fact sheet 3.4: a 256-bit key fills key[0..1] (object 64..95); a 128-bit key sits in
	 * key[1] (object 80..95) and "the MSBs are reserved" (object 64..79 stay zero). */
	return key_size == MLX5_ENCRYPTION_KEY_OBJ_KEY_SIZE_256 ? 0 : 16;
}

static int check_key_bytes(struct sim_cmd *c, const unsigned char *key_field, uint32_t key_size)
{
	if (key_size == MLX5_ENCRYPTION_KEY_OBJ_KEY_SIZE_128 && !sim_bytes_zero(key_field, 16))
		return sim_reject(c, SIM_SYND_DEK_KEY128_MSB_SET);
	/* Model choice: a TLS key never exceeds 32 bytes, so the rest of the 128-byte field (sized
	 * for XTS key pairs and keytags) must be zero. */
	if (!sim_bytes_zero(key_field + SIM_DEK_KEY_MAX, KEY_FIELD_LEN - SIM_DEK_KEY_MAX))
		return sim_reject(c, SIM_SYND_DEK_KEY_TAIL_SET);
	return 0;
}

/* The DEK object `obj_id` names for MODIFY/QUERY/DESTROY: it must be one of c->uid's objects,
 * named by its base id (fact sheet 3.5: bulk elements are addressed as base + obj_offset). */
static int lookup_object(struct sim_cmd *c, uint32_t obj_id, struct sim_dek **out)
{
	struct sim_dek *d = obj_id < SIM_OBJ_NUM_LIMIT ? sim_dek_find(c->dev, obj_id) : NULL;

	if (!d)
		return sim_reject(c, SIM_SYND_DEK_UNKNOWN);
	if (d->uid != c->uid)
		return sim_reject(c, SIM_SYND_DEK_NOT_OWNED);
	if (d->base != obj_id)
		return sim_reject(c, SIM_SYND_DEK_NOT_BASE);
	*out = d;
	return 0;
}

/* obj_offset selects the element of a range (fact sheet 3.1); a single DEK has only element 0. */
static int element_of(struct sim_cmd *c, const struct sim_dek *d, uint32_t *idx)
{
	uint32_t offset = DEVX_GET(general_obj_in_cmd_hdr, c->in, op_param.query.obj_offset);

	if (offset >= sim_dek_elems(d))
		return sim_reject(c, SIM_SYND_DEK_OFFSET_OUT_OF_RANGE);
	*idx = offset;
	return 0;
}

/* A new record of 2^log_range ids in the table (dev->dek_lock held for writing); NULL after a
 * rejection. */
static struct sim_dek *create_locked(struct sim_cmd *c, uint8_t log_range, uint32_t *base)
{
	struct sim_dev *dev = c->dev;
	struct sim_dek *d;

	/* Bulk elements count one id each against 2^log_max_dek (fact sheet 13). */
	if (dev->dek_ids_live + (1ull << log_range) > (1ull << dev->prof.log_max_dek)) {
		sim_reject(c, SIM_SYND_DEK_LIMIT);
		return NULL;
	}
	if (sim_dek_alloc_ids(dev, log_range, base)) {
		sim_reject(c, SIM_SYND_NUMBER_SPACE_EXHAUSTED);
		return NULL;
	}
	d = sim_dek_insert(dev, *base, log_range);
	if (!d)
		sim_reject(c, SIM_SYND_MODEL_NO_MEMORY);
	return d;
}

int sim_cmd_create_dek(struct sim_cmd *c)
{
	struct sim_dev *dev = c->dev;
	const void *obj = cmd_object(c);
	const unsigned char *key_field = DEVX_ADDR_OF(encryption_key_obj, obj, key);
	uint32_t log_range = DEVX_GET(create_encryption_key_in, c->in, hdr.op_param.create.log_obj_range);
	uint32_t key_size = DEVX_GET(encryption_key_obj, obj, key_size);
	uint32_t pd = DEVX_GET(encryption_key_obj, obj, pd);
	struct sim_dek *d;
	uint32_t base;

	if (check_header(c, true))
		return -1;
	/* Model choice: CREATE returns the id; one passed in is a caller bug, not a request. */
	if (DEVX_GET(general_obj_in_cmd_hdr, c->in, obj_id))
		return sim_reject(c, SIM_SYND_OBJ_ID_ON_CREATE);
	/* Model choice: modify_field_select only means something to MODIFY. */
	if (DEVX_GET64(encryption_key_obj, obj, modify_field_select))
		return sim_reject(c, SIM_SYND_DEK_MFS_ON_CREATE);
	if (check_object_fields(c, obj))
		return -1;
	if (log_range) {
		if (!dev->prof.bulk_dek)
			return sim_reject(c, SIM_SYND_DEK_BULK_UNSUPPORTED);
		/* Fact sheet 12.1: a bulk holds at most 2^log_dek_max_alloc DEKs. */
		if (log_range > dev->prof.log_dek_max_alloc)
			return sim_reject(c, SIM_SYND_DEK_RANGE_TOO_LARGE);
		/* Fact sheet 3.5: a bulk is created empty ("no key, key_size 0"); keys arrive by
		 * MODIFY. Model choice: key bytes or a key_size on a bulk CREATE are rejected
		 * rather than silently dropped. */
		if (key_size || !sim_bytes_zero(key_field, KEY_FIELD_LEN))
			return sim_reject(c, SIM_SYND_DEK_BULK_WITH_KEY);
	} else if (check_key_bytes(c, key_field, key_size)) {
		return -1;
	}
	if (sim_pd_check(c, pd))
		return -1;
	pthread_rwlock_wrlock(&dev->dek_lock);
	d = create_locked(c, (uint8_t)log_range, &base);
	if (d) {
		d->uid = c->uid;
		d->pd = pd;
		d->key_purpose = (uint8_t)DEVX_GET(encryption_key_obj, obj, key_purpose);
		d->opaque = DEVX_GET64(encryption_key_obj, obj, opaque);
		/* A single DEK is keyed by its CREATE: that is its one load of this sync epoch.
		 * Its key storage is inline, so the load cannot fail. */
		if (!log_range)
			sim_dek_elem_load(dev, d,
					  atomic_load_explicit(&dev->sync_epoch, memory_order_relaxed),
					  0, key_field + key_offset(key_size),
					  key_size == MLX5_ENCRYPTION_KEY_OBJ_KEY_SIZE_256);
	}
	pthread_rwlock_unlock(&dev->dek_lock);
	if (!d)
		return -1;
	sim_pd_ref(dev, pd, 1);
	DEVX_SET(general_obj_out_cmd_hdr, c->out, obj_id, base);
	return 0;
}

/* Load a key into element idx of d (dev->dek_lock held for reading): 0 or -1 after a rejection. */
static int modify_element(struct sim_cmd *c, struct sim_dek *d, uint32_t idx, const uint8_t *key,
			  bool is_256)
{
	pthread_mutex_t *shard = sim_dek_shard(c->dev, d);
	uint64_t epoch;
	int ret = 0;

	pthread_mutex_lock(shard);
	/* read under the shard: loads of one record then see non-decreasing epochs */
	epoch = atomic_load_explicit(&c->dev->sync_epoch, memory_order_acquire);
	/*
	 * Fact sheet 3.6/12: the NIC caches DEKs, so a freed DEK may be re-keyed only after a
	 * SYNC_CRYPTO flushed the caches. Firmware cannot know "freed", so the model enforces the
	 * observable rule: at most one key load per element per sync epoch.
	 */
	if (sim_dek_elem_loaded_this_epoch(d, epoch, idx))
		ret = sim_reject(c, SIM_SYND_DEK_REKEY_BEFORE_SYNC);
	else if (sim_dek_elem_load(c->dev, d, epoch, idx, key, is_256))
		ret = sim_reject(c, SIM_SYND_MODEL_NO_MEMORY);
	pthread_mutex_unlock(shard);
	return ret;
}

int sim_cmd_modify_dek(struct sim_cmd *c)
{
	const void *obj = cmd_object(c);
	const unsigned char *key_field = DEVX_ADDR_OF(encryption_key_obj, obj, key);
	uint32_t key_size = DEVX_GET(encryption_key_obj, obj, key_size);
	struct sim_dek *d = NULL;
	uint32_t idx = 0;

	if (check_header(c, true))
		return -1;
	/* Fact sheet 3.4/12.3: the kernel (and DPCP) set modify_field_select to exactly 1 and send
	 * key_purpose, pd, key_size and the key. Model choice: bit 0 selects the key (key_size and
	 * key bytes); pd and opaque are not modifiable and are ignored, like any unselected field;
	 * key_purpose is still checked since it says how to read the key. */
	if (DEVX_GET64(encryption_key_obj, obj, modify_field_select) != 1)
		return sim_reject(c, SIM_SYND_DEK_MFS_INVALID);
	if (check_object_fields(c, obj) || check_key_bytes(c, key_field, key_size))
		return -1;
	pthread_rwlock_rdlock(&c->dev->dek_lock);
	if (!lookup_object(c, DEVX_GET(general_obj_in_cmd_hdr, c->in, obj_id), &d) &&
	    !element_of(c, d, &idx))
		modify_element(c, d, idx, key_field + key_offset(key_size),
			       key_size == MLX5_ENCRYPTION_KEY_OBJ_KEY_SIZE_256);
	pthread_rwlock_unlock(&c->dev->dek_lock);
	return c->status ? -1 : 0;
}

int sim_cmd_query_dek(struct sim_cmd *c)
{
	void *obj = DEVX_ADDR_OF(query_encryption_key_out, c->out, obj);
	struct sim_dek *d = NULL;
	uint32_t idx = 0;
	bool keyed, is_256;

	if (check_header(c, true))
		return -1;
	pthread_rwlock_rdlock(&c->dev->dek_lock);
	if (lookup_object(c, DEVX_GET(general_obj_in_cmd_hdr, c->in, obj_id), &d) ||
	    element_of(c, d, &idx)) {
		pthread_rwlock_unlock(&c->dev->dek_lock);
		return -1;
	}
	pthread_mutex_lock(sim_dek_shard(c->dev, d));
	keyed = sim_dek_elem_keyed(d, idx);
	is_256 = keyed && sim_dek_elem_is_256(d, idx);
	pthread_mutex_unlock(sim_dek_shard(c->dev, d));
	/* the fields below are fixed for the record's life, but it may go once the lock is off */
	/* devx-userspace B6: firmware returns the key as 0, so the key field stays zero. state is
	 * READY (0); modify_field_select is 0; an element never keyed reports key_size 0. */
	DEVX_SET(encryption_key_obj, obj, state, MLX5_ENCRYPTION_KEY_OBJ_STATE_READY);
	DEVX_SET(encryption_key_obj, obj, key_size,
		 is_256 ? MLX5_ENCRYPTION_KEY_OBJ_KEY_SIZE_256 : MLX5_ENCRYPTION_KEY_OBJ_KEY_SIZE_128);
	DEVX_SET(encryption_key_obj, obj, key_purpose, d->key_purpose);
	DEVX_SET(encryption_key_obj, obj, pd, d->pd);
	DEVX_SET64(encryption_key_obj, obj, opaque, d->opaque);
	pthread_rwlock_unlock(&c->dev->dek_lock);
	return 0;
}

static void release_object(struct sim_dev *dev, struct sim_dek *d, bool unlinked)
{
	sim_pd_ref(dev, d->pd, -1);
	sim_dek_remove(dev, d, unlinked);
}

int sim_cmd_destroy_dek(struct sim_cmd *c)
{
	struct sim_dek *d = NULL;

	if (check_header(c, false))
		return -1;
	/* Destroying a bulk's base destroys the whole bulk (fact sheet 3.5). */
	pthread_rwlock_wrlock(&c->dev->dek_lock);
	if (!lookup_object(c, DEVX_GET(general_obj_in_cmd_hdr, c->in, obj_id), &d))
		release_object(c->dev, d, false);
	pthread_rwlock_unlock(&c->dev->dek_lock);
	return c->status ? -1 : 0;
}

struct owned_ctx {
	struct sim_dev *dev;
	int uid;
};

static bool dek_is_owned(const void *val, void *ctx)
{
	const struct owned_ctx *o = ctx;
	const struct sim_dek *d = val;

	return o->uid == SIM_UID_ALL || d->uid == o->uid;
}

static void dek_drop(void *val, void *ctx)
{
	const struct owned_ctx *o = ctx;

	release_object(o->dev, val, true); /* remove_if already took it out of the table */
}

void sim_dek_destroy_owned(struct sim_dev *dev, int uid)
{
	struct owned_ctx o = { dev, uid };

	pthread_rwlock_wrlock(&dev->dek_lock);
	sim_objtab_remove_if(&dev->deks, dek_is_owned, dek_drop, &o);
	pthread_rwlock_unlock(&dev->dek_lock);
}

int sim_dek_hold(struct sim_dev *dev, uint32_t dek_id, struct sim_dek_hold *h)
{
	const struct sim_dek *d;

	pthread_rwlock_rdlock(&dev->dek_lock);
	d = dek_id < SIM_OBJ_NUM_LIMIT ? sim_dek_find(dev, dek_id) : NULL;
	if (d) {
		pthread_mutex_lock(sim_dek_shard(dev, d));
		if (sim_dek_elem_keyed(d, dek_id - d->base)) {
			*h = (struct sim_dek_hold){ d, dek_id - d->base, sim_dek_shard_index(d) };
			return 0;
		}
		pthread_mutex_unlock(sim_dek_shard(dev, d));
	}
	pthread_rwlock_unlock(&dev->dek_lock);
	return -ENOENT;
}

void sim_dek_release(struct sim_dev *dev, struct sim_dek_hold *h)
{
	pthread_mutex_unlock(&dev->dek_shard[h->shard]);
	pthread_rwlock_unlock(&dev->dek_lock);
	h->d = NULL;
}

size_t sim_dek_hold_key(const struct sim_dek_hold *h, uint8_t *key)
{
	size_t len = sim_dek_elem_is_256(h->d, h->idx) ? 32 : 16;

	memcpy(key, h->d->keys[h->idx], len);
	return len;
}

int sim_dek_fetch(struct sim_dev *dev, uint32_t dek_id, uint8_t *key, size_t *key_len,
		  uint32_t *pd, uint16_t *uid)
{
	struct sim_dek_hold h;

	if (sim_dek_hold(dev, dek_id, &h))
		return -ENOENT;
	*key_len = sim_dek_hold_key(&h, key);
	*pd = h.d->pd;
	*uid = h.d->uid;
	sim_dek_release(dev, &h);
	return 0;
}

int sim_dek_get_key(struct sim_dev *dev, uint32_t dek_id, uint8_t *key, size_t *key_len)
{
	uint32_t pd;
	uint16_t uid;

	if (!dev || !key || !key_len)
		return -EINVAL;
	return sim_dek_fetch(dev, dek_id, key, key_len, &pd, &uid);
}
