/* SPDX-License-Identifier: BSD-3-Clause */
/* The device model's private structures, shared by the sim/ files only. */
#ifndef MLX5TLS_SIM_INTERNAL_H
#define MLX5TLS_SIM_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim/brlock.h"
#include "sim/objtab.h"
#include "sim/sim.h"
#include "sim/syndromes.h"

/* Object numbers are 24 bits wide (fact sheet 4.2, 4.4: pd, transport_domain and tisn are 0x18
 * wide), never 0. Model choice: each kind starts at its own non-trivial base so that a number of
 * the wrong kind, or a forgotten zero, is unlikely to name a live object by accident. */
#define SIM_OBJ_NUM_LIMIT 0x1000000u
#define SIM_PD_NUM_FIRST 0x10u
#define SIM_TD_NUM_FIRST 0x20u
#define SIM_TIS_NUM_FIRST 0x40u
#define SIM_TIR_NUM_FIRST 0x80u
#define SIM_DEK_ID_FIRST 0x100u

#define SIM_UID_SPACE 0x10000u /* uid is a 16-bit field (fact sheet 2.1) */

/* TLS (version, cipher) pairs in tls_cap bit order (fact sheet 5.3). */
enum {
	SIM_TLS_1_2_AES_GCM_128 = 1u << 0,
	SIM_TLS_1_3_AES_GCM_128 = 1u << 1,
	SIM_TLS_1_2_AES_GCM_256 = 1u << 2,
	SIM_TLS_1_3_AES_GCM_256 = 1u << 3,
};

/* What a profile pretends the device is: capability bits, limits and optional commands. */
struct sim_profile {
	const char *name;
	const char *description;
	const char *fw_ver;
	bool crypto;       /* cmd_hca_cap.crypto: crypto caps queryable */
	bool tls_tx;
	bool tls_rx;
	bool dek_type;     /* general_obj_types has ENCRYPTION_KEY */
	bool bulk_dek;     /* CREATE_GENERAL_OBJECT accepts log_obj_range != 0 */
	bool sync_crypto;  /* SYNC_CRYPTO opcode exists */
	bool synchronize_dek;
	uint8_t tls_suites; /* SIM_TLS_* */
	uint8_t log_max_dek;
	uint8_t log_max_tis;
	uint8_t log_max_tir;
	uint8_t log_max_pd;
	uint8_t log_max_transport_domain;
	uint8_t log_dek_max_alloc;
	uint8_t log_max_num_deks;
};

/* Fills *prof from "PROFILE[,key=value...]"; -EINVAL for an unknown profile, key or value. */
int sim_profile_parse(const char *spec, struct sim_profile *prof);

struct sim_dek;   /* dek_store.c */
struct sim_dp;    /* sq_internal.h */
struct sim_rq;    /* rq.h, sq_internal.h */
struct sim_steer; /* steer.c */

/*
 * What the receive path needs of a TIR (tir.c). tirn, uid, tls_en and rq are fixed for the TIR's
 * life (MODIFY_TIR changes none of them), so steering rules may keep a pointer to it: a TIR that
 * is the destination of a rule cannot be destroyed (DESTROY_TIR -> TIR_IN_USE), and forced
 * teardown removes its rules first. rule_refs is raised with the TIR's table shard held for
 * reading (sim_tir_rx_hold), checked by DESTROY_TIR with it held for writing, and lowered with
 * the rule's steering shard held (steer.c), so the check sees every rule made before it.
 */
struct sim_tir_rx {
	uint32_t tirn;
	uint16_t uid;
	bool tls_en;
	struct sim_rq *rq; /* DIRECT: the inline_rqn RQ, pinned while the TIR lives */
	_Atomic uint32_t rule_refs;
};

#define SIM_DEK_SHARDS 64u /* locks over DEK records' element state, by base id (dek_store.h) */
#define SIM_TIR_SHARDS 16u /* the TIR table's shards, by TIR number (tir.c) */
#define SIM_TIR_BLOCK 16u  /* TIR numbers a thread slot takes at a time, all in one shard */
_Static_assert((SIM_OBJ_NUM_LIMIT - SIM_TIR_NUM_FIRST) % SIM_TIR_BLOCK == 0,
	       "blocks of TIR numbers do not straddle the wrap");

/* One shard of the TIR table: the TIRs whose number / SIM_TIR_BLOCK is i mod SIM_TIR_SHARDS.
 * Its own cache line, so two threads' TIRs in neighbouring shards do not share one. */
struct sim_tir_shard {
	_Alignas(64) pthread_rwlock_t lock;
	struct sim_objtab tab;
};

/* A thread slot's block of TIR numbers: sequence positions [next, end) (tir.c). */
struct sim_tir_slot {
	_Alignas(64) pthread_mutex_t lock;
	uint32_t next, end;
};

/*
 * Locks, in the order they nest (a later one is never held while an earlier one is taken):
 *   lock        the control plane: every command but the TIR commands, DEK MODIFY/QUERY and
 *               QUERY_HCA_CAP (which take the narrower locks below of what they touch), the
 *               PD/TD/TIS tables, stats, uid_cursor. A uid's teardown (sim_uctx_free) holds it.
 *   tis_lock    (rwlock) the TIS table's changes (made under `lock` too) against the send
 *               queues' look-ups, which hold it alone (tis.c). Only tls_en, pd and td are read
 *               so; they never change. Held for writing across a uid's TIS teardown.
 *   dom_lock    (brlock.h: a reader's lock is its thread's own) the PD/TD tables against
 *               CREATE_TIR's TD look-up, which runs without `lock` and holds it from the
 *               look-up until its TIR is in the table (pd_td.c); writers hold `lock` too, and
 *               DEALLOC_TD reads the TIR shards inside it.
 *   dp_lock     (brlock) keeps `dp` and its RQ table for those that read them without `lock`:
 *               CREATE_TIR's RQ look-up and pin (sim_rq_pin_num). dp is set and cleared with
 *               `lock`, dp_lock and dek_lock (write) held; RQs are put in and taken out of the
 *               table with dp_lock (write) and then dp->lock held.
 *   tir_shard[].lock (rwlock) one shard of the TIR table (tir.c), by TIR number: CREATE,
 *               DESTROY, MODIFY_TIR hold their TIR's shard for writing, QUERY_TIR,
 *               sim_tir_get, a steering rule being added and a TLS RX context looked up
 *               (sim_tir_rx_hold) for reading; a uid's teardown and DEALLOC_TD each shard in
 *               turn. Never two shards at once. Inside one: the steering shards (a rule added;
 *               a TIR's rules dropped by force), the TIR's RQ's context table, its lock and a
 *               context (tls_rx_ctx.c).
 *               TIR numbers come from tir_next (an atomic) in blocks per thread slot, each
 *               block under its slot's tir_slot[].lock (nothing taken inside it); the live
 *               count is tirs_live (an atomic).
 *   steering    a steering shard's lock (steer.c); inside it only an RQ's lock (a delivery)
 *               or an RQ's TLS context table lock (a TIR's last rule removed: a prefetch).
 *   dek_lock    (rwlock) the DEK table: deks, dek_cursor, dek_objs_by_log, dek_ids_live and
 *               stats.dek_objects/deks. Writers (DEK CREATE/DESTROY, a uid's teardown) hold
 *               `lock` too; readers (DEK MODIFY/QUERY, the engines' key fetch) hold it alone,
 *               so firmware commands on DEKs do not queue behind other objects' commands. It
 *               also pins `dp`: dp is set and cleared with `lock`, dp_lock and dek_lock (write)
 *               held, so any of them keeps it.
 *   dek_shard[] a DEK record's element state (bits, keys, epoch), for readers of dek_lock; a
 *               writer of dek_lock needs none. One record's shard only, never two at once.
 *   then the datapath's locks (sq_internal.h: a TLS stripe's lock, then a TLS context's).
 * uid_used, sync_epoch, tis_gen and the command counters are atomics, read without a lock.
 */
struct sim_dev {
	pthread_mutex_t lock;
	pthread_rwlock_t tis_lock;
	pthread_rwlock_t dek_lock;
	pthread_mutex_t dek_shard[SIM_DEK_SHARDS];
	struct sim_profile prof;

	_Atomic uint8_t uid_used[SIM_UID_SPACE / 8]; /* written under `lock` */
	uint32_t uid_cursor;

	struct sim_objtab pds;
	struct sim_objtab tds;
	struct sim_objtab tises;
	struct sim_objtab deks; /* keyed by a DEK object's base id; dek_lock */
	uint32_t pd_cursor;
	uint32_t td_cursor;
	uint32_t tis_cursor;
	uint32_t dek_cursor;

	/* The TIRs (tir.c): numbered from one sequence (tir_next, an atomic: a number is
	 * SIM_TIR_NUM_FIRST + the position mod the space, skipped while taken after a wrap),
	 * taken in blocks per thread slot, and counted in tirs_live (stats.tirs), each in its
	 * number's shard. */
	struct sim_tir_shard tir_shard[SIM_TIR_SHARDS];
	struct sim_tir_slot tir_slot[THREAD_SLOTS];
	_Alignas(64) _Atomic uint32_t tir_next;
	_Atomic uint32_t tirs_live;
	uint32_t dek_objs_by_log[32]; /* live DEK objects per log_obj_range, to bound id lookups */
	uint64_t dek_ids_live;        /* bulk elements counted */

	/* Bumped by each SYNC_CRYPTO covering TLS (under `lock`); a DEK element may be loaded once
	 * per epoch. A DEK MODIFY reads it once, so it falls wholly before or after a sync. */
	_Atomic uint64_t sync_epoch;
	/* Bumped (under `lock`) whenever a TIS goes: a send queue's cached look-up of a TIS
	 * (sim_tis_get_cached) holds while it is unchanged, read without `lock`. */
	_Atomic uint64_t tis_gen;

	struct sim_dev_stats stats; /* cmds, cmd_errors and tirs are counted below */
	/* Commands and rejections in a row per thread slot (thread_slot.h), summed when read:
	 * threads issuing commands at once do not pass one line between their cores. */
	struct {
		_Alignas(64) _Atomic uint64_t cmds;
		_Atomic uint64_t errors;
	} cmd_rows[THREAD_SLOTS];

	struct sim_brlock dom_lock;
	struct sim_brlock dp_lock;

	/* Datapath state of the send-queue engine (sim/sq.h, sim/sq_internal.h): created with the
	 * first SQ, CQ or memory region (see dek_lock for who may read it). */
	struct sim_dp *dp;

	/* The receive side's 5-tuple table and default destination (steer.c), created with the
	 * device. Its own lock nests inside `lock`. */
	struct sim_steer *steer;
};

bool sim_uid_valid(struct sim_dev *dev, uint16_t uid);

/* One command in flight. `in`/`out` are private, 8-byte aligned copies (so DEVX_GET64 is legal
 * whatever the caller's alignment, and the caller cannot change the input mid-command). */
struct sim_cmd {
	struct sim_dev *dev;
	uint16_t uid;
	const void *in;
	size_t inlen;
	void *out;
	size_t outlen;
	uint8_t status;
	uint32_t syndrome;
};

/* Record a rejection (status comes from the syndrome table) and return -1 for the handler. */
int sim_reject(struct sim_cmd *c, enum sim_syndrome synd);

/* ---- command handlers (return 0, or -1 after sim_reject) ---- */
int sim_cmd_query_hca_cap(struct sim_cmd *c);
int sim_cmd_alloc_pd(struct sim_cmd *c);
int sim_cmd_dealloc_pd(struct sim_cmd *c);
int sim_cmd_alloc_td(struct sim_cmd *c);
int sim_cmd_dealloc_td(struct sim_cmd *c);
int sim_cmd_create_tis(struct sim_cmd *c);
int sim_cmd_modify_tis(struct sim_cmd *c);
int sim_cmd_query_tis(struct sim_cmd *c);
int sim_cmd_destroy_tis(struct sim_cmd *c);
int sim_cmd_create_dek(struct sim_cmd *c);
int sim_cmd_modify_dek(struct sim_cmd *c);
int sim_cmd_query_dek(struct sim_cmd *c);
int sim_cmd_destroy_dek(struct sim_cmd *c);
int sim_cmd_sync_crypto(struct sim_cmd *c);
int sim_cmd_create_tir(struct sim_cmd *c);
int sim_cmd_modify_tir(struct sim_cmd *c);
int sim_cmd_query_tir(struct sim_cmd *c);
int sim_cmd_destroy_tir(struct sim_cmd *c);

/* ---- PD / TD references held by TIS and DEK objects (pd_td.c) ---- */
/* Check that `num` is a live PD (TD) of c->uid; rejects with BAD_RES otherwise. Under dev->lock
 * (the tables' writers hold it). */
int sim_pd_check(struct sim_cmd *c, uint32_t num);
int sim_td_check(struct sim_cmd *c, uint32_t num);
/* The same check without dev->lock (CREATE_TIR), with dom_lock then held for reading until
 * sim_td_hold_end (the TIR in the table: DEALLOC_TD asks sim_tir_names_td). 0 (hold it), or -1
 * after the rejection (nothing held). */
int sim_td_hold_begin(struct sim_cmd *c, uint32_t num, unsigned int *slot);
void sim_td_hold_end(struct sim_dev *dev, unsigned int slot);
/* Whether a live TIR names TD td (tir.c; dom_lock held for writing). */
bool sim_tir_names_td(struct sim_dev *dev, uint32_t td);
void sim_pd_ref(struct sim_dev *dev, uint32_t num, int delta);
void sim_td_ref(struct sim_dev *dev, uint32_t num, int delta);

/* ---- teardown by owner; uid_all destroys every object (device destroy) ---- */
#define SIM_UID_ALL (-1)
void sim_dek_destroy_owned(struct sim_dev *dev, int uid);
void sim_tis_destroy_owned(struct sim_dev *dev, int uid);
void sim_tir_destroy_owned(struct sim_dev *dev, int uid);
void sim_td_destroy_owned(struct sim_dev *dev, int uid);
void sim_pd_destroy_owned(struct sim_dev *dev, int uid);

/* ---- datapath teardown hooks (sim/dp.c), for the control plane to call ---- */
/* Free what the send-queue engine still holds for the device (memory regions, TLS contexts); for
 * sim_dev_destroy, after the device's SQs and CQs are gone. */
void sim_dp_dev_destroy(struct sim_dev *dev);
/* A TIS is gone (DESTROY_TIS, uid teardown): drop its TLS TX context so a later TIS given the same
 * number starts clean. Called with dev->lock held. */
void sim_dp_tis_destroyed_locked(struct sim_dev *dev, uint32_t tisn);
/* The same for a TIR, delivering to rq, and its TLS RX context; no device lock needed (rq, which
 * the TIR pins until after, keeps the datapath state). */
void sim_dp_tir_destroyed(struct sim_rq *rq, uint32_t tirn);
/* DEK ids [first, first + n) were re-keyed (MODIFY, a bulk element) or destroyed: the TLS TX
 * contexts keyed from them hold a key that is gone, so they are dropped (a TIS back in a pool
 * keeps no engine state; its next user posts static params anyway). Called with dev->dek_lock
 * held (read, with the record's shard `shard`, for a MODIFY; write for a DESTROY), which keeps
 * dev->dp and the datapath's index of contexts by DEK for that shard (tls_ctx.c). */
void sim_dp_deks_gone_locked(struct sim_dev *dev, uint32_t shard, uint32_t first, uint32_t n);

/* ---- the receive side's control hooks (no device lock) ---- */
/* The live TIR numbered tirn with its table shard held for reading (it cannot be destroyed until
 * sim_tir_rx_unhold), or NULL (tir.c). */
struct sim_tir_rx *sim_tir_rx_hold(struct sim_dev *dev, uint32_t tirn);
/* Ask for tirn's slot in the TIR table, whose DESTROY_TIR is likely next (tir.c). */
void sim_tir_prefetch_destroy(struct sim_dev *dev, uint32_t tirn);
void sim_tir_rx_unhold(struct sim_dev *dev, const struct sim_tir_rx *tir);
/* Pin the live RQ numbered rqn against destruction, if uid < 0 or it is uid's: 0 (*out set),
 * -ENOENT (no such RQ) or -EACCES (another uid's). sim_rq_unpin drops a pin (rq.c). */
int sim_rq_pin_num(struct sim_dev *dev, uint32_t rqn, int uid, struct sim_rq **out);
void sim_rq_unpin(struct sim_rq *rq);
uint32_t sim_rq_num(const struct sim_rq *rq);
/* Steering table lifetime (steer.c); a TIR going away by force (its shard held for writing)
 * drops the rules naming it. */
int sim_steer_init(struct sim_dev *dev);
void sim_steer_fini(struct sim_dev *dev);
void sim_steer_tir_gone(struct sim_dev *dev, struct sim_tir_rx *tir);

#endif /* MLX5TLS_SIM_INTERNAL_H */
