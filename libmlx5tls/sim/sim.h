/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The ConnectX-6 Dx device model ("sim"): a software device that executes firmware command
 * mailboxes byte-for-byte on the PRM layouts (prm/mlx5_ifc_tls.h) and rejects what firmware would
 * reject. It is the embedded default device, the test oracle, and what the DevX interposer in the
 * tests forwards rdma-core calls to. This header is the model's whole interface.
 */
#ifndef MLX5TLS_SIM_H
#define MLX5TLS_SIM_H

#include <stddef.h>
#include <stdint.h>

struct sim_dev;

struct sim_profile_desc {
	const char *name;        /* "cx6dx" */
	const char *description; /* one line for `mlx5tls-query dev` */
	const char *fw_ver;      /* firmware version the profile pretends to run */
};

/* The built-in profiles, NULL-terminated by name. */
const struct sim_profile_desc *sim_profiles(void);

/* Why a model spec ("PROFILE[,key=value...]", the part after "sim:") is refused, in one phrase
 * naming the faulty part and what would be accepted; NULL if the spec is valid. */
const char *sim_profile_explain(const char *spec, char *buf, size_t len);

/*
 * Create a model device from a spec "PROFILE[,key=value...]" ("" or NULL = "cx6dx"). Keys override
 * the profile's 5-bit log limits: log_max_dek, log_max_tis, log_max_tir, log_max_pd,
 * log_max_transport_domain, log_dek_max_alloc, log_max_num_deks. NULL + errno (EINVAL with an
 * unknown profile/key/value).
 */
struct sim_dev *sim_dev_create(const char *spec);
/* Frees the device and every object still in it (key bytes wiped). */
void sim_dev_destroy(struct sim_dev *dev);

const char *sim_dev_profile(const struct sim_dev *dev);
const char *sim_dev_fw_ver(const struct sim_dev *dev);

/*
 * User contexts, as the kernel's DevX uctx: every command runs on behalf of one uid, objects belong
 * to the uid that created them, and naming another uid's object is BAD_RES. uid 0 is never handed
 * out. Freeing a uid destroys what it still owns (as closing the device fd does).
 */
int sim_uctx_alloc(struct sim_dev *dev, uint16_t *uid);
void sim_uctx_free(struct sim_dev *dev, uint16_t uid);

/*
 * Execute one command mailbox for `uid` (the uid field of `in` is overwritten with it, as the
 * kernel does for DevX). `out` is zeroed and receives status, syndrome and the command output.
 * Returns 0 if status is OK, -EREMOTEIO if the model rejected the command (status != 0 in out),
 * -EINVAL if in/out are NULL or outlen < 16 (nothing executed). Thread-safe.
 */
int sim_cmd_exec(struct sim_dev *dev, uint16_t uid, const void *in, size_t inlen, void *out,
		 size_t outlen);

/* The model's syndromes (see sim/syndromes.h): documented text, NULL for an unknown value. */
const char *sim_syndrome_str(uint32_t syndrome);

/* Object counts, for tests and tools (live objects of the whole device). */
struct sim_dev_stats {
	uint64_t cmds;
	uint64_t cmd_errors;
	uint32_t pds;
	uint32_t tds;
	uint32_t tises;
	uint32_t dek_objects; /* single DEKs + bulks */
	uint32_t deks;        /* DEK ids, bulk elements included */
	uint64_t syncs;
	uint32_t tirs;
};
void sim_dev_get_stats(struct sim_dev *dev, struct sim_dev_stats *st);

/*
 * Lookups the model's own datapath engines use (next issues: TX/RX crypto). Return 0 and fill the
 * outputs, or -ENOENT. `key` receives the raw key bytes (16 or 32); the caller wipes its copy.
 */
int sim_dek_get_key(struct sim_dev *dev, uint32_t dek_id, uint8_t *key, size_t *key_len);
int sim_tis_get(struct sim_dev *dev, uint32_t tisn, int *tls_en, uint32_t *pd, uint32_t *td);
/* A send queue's last TIS look-up (sim_tis_get_cached). */
struct sim_tis_cache {
	uint32_t tisn; /* 0: empty */
	uint32_t pd;
	int tls_en;
	uint64_t gen;  /* dev->tis_gen when it was looked up */
};
/* sim_tis_get's tls_en and pd through the caller's cache: a WQE naming the TIS the last one
 * named takes no device lock while no TIS has gone since (a TIS's tls_en and pd never change
 * while it lives). The cache is the caller's (a send queue's, under its processing lock). */
int sim_tis_get_cached(struct sim_dev *dev, struct sim_tis_cache *c, uint32_t tisn, int *tls_en,
		       uint32_t *pd);
/* A TIR's tls_en, owner uid and (DIRECT) RQ number; NULL outputs are skipped. */
int sim_tir_get(struct sim_dev *dev, uint32_t tirn, int *tls_en, uint16_t *uid, uint32_t *rqn);

/* ==== Datapath: memory regions (the send-queue engine; queues: sim/sq.h, ports: sim/port.h) */
/*
 * Register [addr, addr+len) of this process as a memory region the device may read (there is no
 * IOMMU in the model: data segments carry process virtual addresses, but only inside a registered
 * region). `pd` is the region's PD (0 = not checked against the SQ's PD). Returns 0 and an lkey
 * (index << 8 | variant, never 0), or -EINVAL / -ENOMEM. Deregister before sim_dev_destroy.
 */
int sim_mr_reg(struct sim_dev *dev, uint32_t pd, const void *addr, size_t len, uint32_t *lkey);
/*
 * The same with access rights, as ibv_reg_mr's access flags: local read is always granted; the
 * device may write into the region (receive buffers, GET_PSV results) only with
 * SIM_MR_ACCESS_LOCAL_WRITE, as rdma-core requires IBV_ACCESS_LOCAL_WRITE for receive buffers
 * (a write through a read-only region is a local protection error). sim_mr_reg() registers
 * read-only, like ibv_reg_mr(pd, addr, len, 0). -EINVAL for an unknown access bit.
 */
#define SIM_MR_ACCESS_LOCAL_WRITE 0x1u /* IBV_ACCESS_LOCAL_WRITE */
int sim_mr_reg_access(struct sim_dev *dev, uint32_t pd, void *addr, size_t len, uint32_t access,
		      uint32_t *lkey);
/* 0, or -ENOENT for an lkey that is not registered. */
int sim_mr_dereg(struct sim_dev *dev, uint32_t lkey);

#endif /* MLX5TLS_SIM_H */
