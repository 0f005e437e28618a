/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libmlx5tls — user-space TLS inline crypto for NVIDIA ConnectX-6 Dx (mlx5) through rdma-core DevX.
 *
 * Conventions (see libmlx5tls(7)):
 *  - int calls return 0 or a negative errno and also set errno; pointer calls return NULL and set
 *    errno. A positive errno is never returned.
 *  - A firmware rejection returns -EREMOTEIO; mlx5tls_last_fw_error() then tells, per thread, which
 *    command failed with which status (and its kernel name) and syndrome.
 *  - Inputs are `*_opts` structs whose first member is `sz`; declare them with MLX5TLS_OPTS(), which
 *    zeroes every byte and sets `sz` (GNU C), or with MLX5TLS_OPTS_INIT() in ISO C and C++.
 *    NULL opts means defaults. Unknown non-zero trailing bytes
 *    (a newer caller on an older library) give -EINVAL.
 *  - Objects are created and destroyed in pairs; destroying an object that others still use gives
 *    -EBUSY. Teardown order: DEKs and TISes, then pools, then PD/TD, then the device.
 *  - Key material passed in is copied only into the firmware mailbox, which is wiped right after
 *    the command; it is never logged, traced or printed.
 */
#ifndef MLX5TLS_MLX5TLS_H
#define MLX5TLS_MLX5TLS_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>
#include <string.h>
#include <linux/tls.h>

#ifdef __cplusplus
extern "C" {
#endif

#define MLX5TLS_API __attribute__((visibility("default")))

/* ---- version ---- */

/* The version of this header; mlx5tls_version() gives the library's at run time. A program built
 * against MAJOR.MINOR runs with any library of the same MAJOR and a MINOR at least as high. */
#define MLX5TLS_VERSION_MAJOR 0
#define MLX5TLS_VERSION_MINOR 3
#define MLX5TLS_VERSION_PATCH 0
/* One number that orders versions: MLX5TLS_VERSION_CODE >= MLX5TLS_VERSION_NUM(0, 2, 0) */
#define MLX5TLS_VERSION_NUM(major, minor, patch) (((major) << 16) | ((minor) << 8) | (patch))
#define MLX5TLS_VERSION_CODE                                                                       \
	MLX5TLS_VERSION_NUM(MLX5TLS_VERSION_MAJOR, MLX5TLS_VERSION_MINOR, MLX5TLS_VERSION_PATCH)

/* The running library's version as "MAJOR.MINOR.PATCH"; each of major, minor, patch (may be
 * NULL) receives its part. */
MLX5TLS_API const char *mlx5tls_version(unsigned int *major, unsigned int *minor,
					unsigned int *patch);

/* ---- options structures ---- */

/*
 * Declare and zero-initialise an opts struct, padding included, then set sz and the given fields
 * (GNU C: a statement expression; needs -std=gnu11 or similar):
 *   MLX5TLS_OPTS(mlx5tls_dek_pool_opts, o, .sync_threshold = 64);
 */
#define MLX5TLS_OPTS(TYPE, NAME, ...)                                                              \
	struct TYPE NAME = ({                                                                      \
		memset(&NAME, 0, sizeof(struct TYPE));                                             \
		(struct TYPE){ .sz = sizeof(struct TYPE), __VA_ARGS__ };                           \
	})

/*
 * The same in ISO C (C99 -pedantic) and C++: zero every byte of an opts object, padding included,
 * and set its sz; then set the fields one by one.
 *   struct mlx5tls_dek_pool_opts o;
 *   MLX5TLS_OPTS_INIT(o);
 *   o.sync_threshold = 64;
 */
#define MLX5TLS_OPTS_INIT(NAME) mlx5tls_opts_init_(&(NAME), sizeof(NAME))
static inline void mlx5tls_opts_init_(void *opts, size_t sz)
{
	memset(opts, 0, sz);
	memcpy(opts, &sz, sizeof(sz)); /* every opts struct starts with size_t sz */
}

/* ---- logging ---- */

enum mlx5tls_print_level {
	MLX5TLS_WARN,
	MLX5TLS_INFO,
	MLX5TLS_DEBUG,
};

typedef int (*mlx5tls_print_fn_t)(enum mlx5tls_print_level level, const char *fmt, va_list args);

/* Install a log callback; returns the previous one. NULL silences the library. The default prints
 * warnings and info to stderr and drops debug unless MLX5TLS_DEBUG is set in the environment. */
MLX5TLS_API mlx5tls_print_fn_t mlx5tls_set_print(mlx5tls_print_fn_t fn);

/* ---- firmware errors ---- */

struct mlx5tls_fw_error {
	uint16_t opcode;
	uint16_t op_mod; /* for general-object commands (0xa00..0xa03): the obj_type */
	uint8_t status;
	uint32_t syndrome;
	const char *opcode_name; /* "CREATE_GENERAL_OBJECT" */
	const char *status_name; /* the kernel's string: "bad parameter" */
	const char *syndrome_text; /* the model's documented reason, NULL on hardware */
};

/* The last firmware rejection seen by this thread: 0 and *err filled, or -ENOENT if none since the
 * thread started or since mlx5tls_clear_fw_error(). */
MLX5TLS_API int mlx5tls_last_fw_error(struct mlx5tls_fw_error *err);
MLX5TLS_API void mlx5tls_clear_fw_error(void);
MLX5TLS_API const char *mlx5tls_fw_status_str(uint8_t status);
MLX5TLS_API const char *mlx5tls_cmd_opcode_str(uint16_t opcode);

/* ---- devices ---- */

enum mlx5tls_device_kind {
	MLX5TLS_DEVICE_HW = 0, /* a real mlx5 device through rdma-core DevX */
	MLX5TLS_DEVICE_MODEL = 1, /* the built-in ConnectX-6 Dx device model */
};

struct mlx5tls_device_info {
	char name[64]; /* "mlx5_0" or "sim:cx6dx" */
	enum mlx5tls_device_kind kind;
	char transport[16]; /* "devx" or "sim" */
	char profile[32]; /* model profile; "" on hardware */
	char description[96];
};

/* All devices: real DevX-capable mlx5 devices first, then one entry per model profile.
 * Free with mlx5tls_free_device_list(). */
MLX5TLS_API struct mlx5tls_device_info *mlx5tls_get_device_list(int *num);
MLX5TLS_API void mlx5tls_free_device_list(struct mlx5tls_device_info *list);

struct mlx5tls_device_opts {
	size_t sz;
	/* Append a JSON line per firmware command to this file (overrides MLX5TLS_TRACE). */
	const char *trace_path;
	size_t : 0;
};
#define mlx5tls_device_opts__last_field trace_path

struct mlx5tls_device;

/*
 * Open a device. name: an rdma device name ("mlx5_0"), "sim" or "sim:PROFILE[,key=value...]"
 * (profiles: cx6dx, cx6dx-legacy, cx6dx-nocrypto; keys override log_max_* limits), or NULL for
 * $MLX5TLS_DEVICE, else the first DevX-capable mlx5 device. The model is used only when named.
 */
MLX5TLS_API struct mlx5tls_device *mlx5tls_device_open(const char *name,
						     const struct mlx5tls_device_opts *opts);
MLX5TLS_API int mlx5tls_device_close(struct mlx5tls_device *dev);

struct mlx5tls_device_attr {
	char name[64];
	enum mlx5tls_device_kind kind;
	char transport[16];
	char profile[32];
	char fw_ver[64];
};
MLX5TLS_API int mlx5tls_device_query(const struct mlx5tls_device *dev,
				     struct mlx5tls_device_attr *attr);

/* TLS (version, cipher) combinations, in tls_cap bit order (PRM tls_cap). */
enum {
	MLX5TLS_SUITE_TLS12_AES_GCM_128 = 1u << 0,
	MLX5TLS_SUITE_TLS13_AES_GCM_128 = 1u << 1,
	MLX5TLS_SUITE_TLS12_AES_GCM_256 = 1u << 2,
	MLX5TLS_SUITE_TLS13_AES_GCM_256 = 1u << 3,
};

struct mlx5tls_caps {
	bool tls_tx;
	bool tls_rx;
	bool crypto; /* cmd_hca_cap.crypto: crypto caps are queryable */
	bool dek_object; /* general_obj_types has ENCRYPTION_KEY */
	bool bulk_dek; /* crypto_cap.log_dek_max_alloc != 0 */
	bool dek_sync; /* crypto_cap.synchronize_dek: freed DEKs reusable after SYNC_CRYPTO */
	bool ktls_capable; /* the kernel's rule: (tx||rx) && log_max_dek && a TLS 1.2 suite */
	uint32_t suites; /* MLX5TLS_SUITE_* */
	uint8_t log_max_dek;
	uint8_t log_dek_max_alloc;
	uint8_t log_max_num_deks;
	uint8_t log_max_tis;
	uint8_t log_max_tir;
	uint8_t log_max_pd;
	uint8_t log_max_transport_domain;
};

/* Decoded capabilities (QUERY_HCA_CAP general, TLS and crypto, current values), as read when the
 * device was opened. Fills at most caps_sz bytes so an older caller's smaller struct stays valid. */
MLX5TLS_API int mlx5tls_query_caps(struct mlx5tls_device *dev, struct mlx5tls_caps *caps,
				   size_t caps_sz);

/* Maps a <linux/tls.h> (version, cipher_type) to MLX5TLS_SUITE_*, or 0 if it is none. */
MLX5TLS_API uint32_t mlx5tls_suite_of(uint16_t version, uint16_t cipher_type);

/* ---- protection domain, transport domain ---- */

struct mlx5tls_pd;
struct mlx5tls_td;

MLX5TLS_API struct mlx5tls_pd *mlx5tls_pd_alloc(struct mlx5tls_device *dev);
MLX5TLS_API int mlx5tls_pd_dealloc(struct mlx5tls_pd *pd);
MLX5TLS_API uint32_t mlx5tls_pd_num(const struct mlx5tls_pd *pd);

MLX5TLS_API struct mlx5tls_td *mlx5tls_td_alloc(struct mlx5tls_device *dev);
MLX5TLS_API int mlx5tls_td_dealloc(struct mlx5tls_td *td);
MLX5TLS_API uint32_t mlx5tls_td_num(const struct mlx5tls_td *td);

/* ---- data encryption keys ---- */

struct mlx5tls_dek;

struct mlx5tls_dek_opts {
	size_t sz;
	uint64_t opaque; /* stored in the DEK object, returned by query */
	size_t : 0;
};
#define mlx5tls_dek_opts__last_field opaque

/*
 * One DEK object (CREATE_GENERAL_OBJECT) holding the key of ci, a struct
 * tls12_crypto_info_aes_gcm_128 or _256 of ci_len bytes. Version and cipher must be a suite the
 * device advertises (-EOPNOTSUPP otherwise).
 */
MLX5TLS_API struct mlx5tls_dek *mlx5tls_dek_create(struct mlx5tls_pd *pd,
						  const struct tls_crypto_info *ci, size_t ci_len,
						  const struct mlx5tls_dek_opts *opts);
/* A single DEK is destroyed; a pooled one goes back to its pool. */
MLX5TLS_API int mlx5tls_dek_destroy(struct mlx5tls_dek *dek);
/* The id for TLS static params' dek_index. */
MLX5TLS_API uint32_t mlx5tls_dek_id(const struct mlx5tls_dek *dek);

struct mlx5tls_dek_attr {
	uint32_t id;
	uint32_t obj_id; /* the firmware object: the DEK itself or its bulk's base */
	uint32_t obj_offset; /* index inside the bulk */
	bool pooled;
	uint8_t state; /* encryption_key_obj.state: 0 ready, 1 error */
	uint16_t key_bits; /* 128 or 256 */
	uint8_t key_purpose;
	uint32_t pd;
	uint64_t opaque;
};
/* QUERY_GENERAL_OBJECT on the DEK; never returns key bytes. */
MLX5TLS_API int mlx5tls_dek_query(struct mlx5tls_dek *dek, struct mlx5tls_dek_attr *attr,
				  size_t attr_sz);

struct mlx5tls_dek_pool;

struct mlx5tls_dek_pool_opts {
	size_t sz;
	/* log2 DEKs per bulk; 0 = min(12, log_dek_max_alloc) as the kernel does. */
	uint32_t log_bulk_size;
	/* freed DEKs that trigger a SYNC_CRYPTO when no ready DEK is left; 0 = 128 (kernel). */
	uint32_t sync_threshold;
	/* most DEKs handed out at once; 0 = the device's limit. */
	uint32_t max_deks;
	/* use single CREATE/DESTROY even if the device has bulk DEKs (benchmark baseline). */
	bool no_bulk;
	size_t : 0;
};
#define mlx5tls_dek_pool_opts__last_field no_bulk

/* A pool of DEKs: bulks of 2^log_bulk_size created at once, keys loaded with MODIFY, freed keys
 * re-keyed only after a batched SYNC_CRYPTO, one idle bulk kept. Falls back to single DEKs when the
 * device has no bulk DEKs. Thread-safe. */
MLX5TLS_API struct mlx5tls_dek_pool *mlx5tls_dek_pool_create(struct mlx5tls_pd *pd,
							     const struct mlx5tls_dek_pool_opts *opts);
MLX5TLS_API int mlx5tls_dek_pool_destroy(struct mlx5tls_dek_pool *pool);
/* A DEK loaded with ci's key; -ENOSPC (errno) when the pool or the device is exhausted. */
MLX5TLS_API struct mlx5tls_dek *mlx5tls_dek_pool_get(struct mlx5tls_dek_pool *pool,
						    const struct tls_crypto_info *ci,
						    size_t ci_len);
/* Issue SYNC_CRYPTO now so every freed DEK becomes reusable. */
MLX5TLS_API int mlx5tls_dek_pool_sync(struct mlx5tls_dek_pool *pool);

struct mlx5tls_dek_pool_stats {
	bool bulk; /* bulks in use (else single DEKs) */
	bool reuse; /* freed DEKs are reused after SYNC_CRYPTO */
	uint32_t bulk_size;
	uint32_t bulks;
	uint64_t in_use;
	uint64_t ready; /* keyed never or synced since freed: usable now */
	uint64_t awaiting_sync; /* freed, reusable after the next SYNC_CRYPTO */
	uint64_t bulk_creates;
	uint64_t bulk_destroys;
	uint64_t key_loads; /* MODIFY_GENERAL_OBJECT */
	uint64_t syncs; /* SYNC_CRYPTO */
	uint64_t single_creates;
	uint64_t single_destroys;
};
MLX5TLS_API int mlx5tls_dek_pool_query(struct mlx5tls_dek_pool *pool,
				       struct mlx5tls_dek_pool_stats *stats, size_t stats_sz);

/* ---- transport interface send (TIS) ---- */

struct mlx5tls_tis;

struct mlx5tls_tis_opts {
	size_t sz;
	bool plain; /* tls_en = 0: an ordinary TIS (e.g. an SQ's default) */
	uint8_t prio;
	size_t : 0;
};
#define mlx5tls_tis_opts__last_field prio

MLX5TLS_API struct mlx5tls_tis *mlx5tls_tis_create(struct mlx5tls_pd *pd, struct mlx5tls_td *td,
						  const struct mlx5tls_tis_opts *opts);
/* A created TIS is destroyed; a pooled one goes back to its pool. */
MLX5TLS_API int mlx5tls_tis_destroy(struct mlx5tls_tis *tis);
MLX5TLS_API uint32_t mlx5tls_tis_num(const struct mlx5tls_tis *tis);

struct mlx5tls_tis_attr {
	uint32_t tisn;
	bool tls_en;
	bool pooled;
	uint8_t prio;
	uint32_t pd;
	uint32_t transport_domain;
};
/* QUERY_TIS. */
MLX5TLS_API int mlx5tls_tis_query(struct mlx5tls_tis *tis, struct mlx5tls_tis_attr *attr,
				  size_t attr_sz);

struct mlx5tls_tis_pool;

struct mlx5tls_tis_pool_opts {
	size_t sz;
	uint32_t prefill; /* TLS TISes created at pool creation */
	uint32_t high_mark; /* free TISes kept; above it a returned TIS is destroyed; 0 = 4096 */
	size_t : 0;
};
#define mlx5tls_tis_pool_opts__last_field high_mark

/* A pool of TLS TISes (tls_en, pd, transport domain) recycled across connections, as the kernel's
 * TIS pool; created inline when empty. Thread-safe. */
MLX5TLS_API struct mlx5tls_tis_pool *mlx5tls_tis_pool_create(struct mlx5tls_pd *pd,
							     struct mlx5tls_td *td,
							     const struct mlx5tls_tis_pool_opts *opts);
MLX5TLS_API int mlx5tls_tis_pool_destroy(struct mlx5tls_tis_pool *pool);
MLX5TLS_API struct mlx5tls_tis *mlx5tls_tis_pool_get(struct mlx5tls_tis_pool *pool);

struct mlx5tls_tis_pool_stats {
	uint32_t free; /* TISes waiting in the pool */
	uint32_t in_use;
	uint64_t creates; /* tx_tls_pool_alloc */
	uint64_t destroys; /* tx_tls_pool_free */
};
MLX5TLS_API int mlx5tls_tis_pool_query(struct mlx5tls_tis_pool *pool,
				       struct mlx5tls_tis_pool_stats *stats, size_t stats_sz);

/* ---- memory regions ---- */

struct mlx5tls_mr;

/* Register [addr, addr+len) for the device to read (ibv_reg_mr on hardware). Frames handed to
 * mlx5tls_qp_send()/mlx5tls_tx_send() must lie inside a region of the queue's PD. */
MLX5TLS_API struct mlx5tls_mr *mlx5tls_mr_reg(struct mlx5tls_pd *pd, void *addr, size_t len);
/* As with ibv_dereg_mr, the caller makes sure no queue still reads the region: no frame in flight
 * and no unacknowledged TLS record in it. */
MLX5TLS_API int mlx5tls_mr_dereg(struct mlx5tls_mr *mr);
MLX5TLS_API uint32_t mlx5tls_mr_lkey(const struct mlx5tls_mr *mr);

/* ---- the model's wire ---- */

/* Receives every frame a model device puts on the wire (complete Ethernet frame, no FCS). The
 * bytes are valid during the call only. */
typedef void (*mlx5tls_wire_rx_fn)(void *ctx, const void *frame, size_t len);

struct mlx5tls_model_wire_opts {
	size_t sz;
	mlx5tls_wire_rx_fn rx; /* in-process receiver (a peer's TCP stack, a test) */
	void *rx_ctx;
	const char *pcap_path; /* also write the wire to this pcap file (libpcap): the frames
				* the device sends and those it receives */
	const char *ifname;    /* also send the frames on this interface (AF_PACKET; a veth/tap) */
	uint32_t mtu;          /* L3 MTU of the modelled link; 0 = 1500 (or the interface's) */
	uint32_t flags;        /* MLX5TLS_WIRE_F_* */
	size_t : 0;
};
#define mlx5tls_model_wire_opts__last_field flags

enum {
	MLX5TLS_WIRE_F_PCAP_ZERO_TIME = 1u << 0, /* pcap timestamps 0: reproducible files */
};

/* Connect a model device's Ethernet port. Only for model devices (-EOPNOTSUPP on hardware, whose
 * wire is a cable) and only while it has no queue pair (-EBUSY). NULL opts = frames are counted
 * and discarded (the default). */
MLX5TLS_API int mlx5tls_model_wire(struct mlx5tls_device *dev,
				   const struct mlx5tls_model_wire_opts *opts);

/*
 * Seeded faults on a model device's port, set with device options in its name:
 * "sim:cx6dx,wire_loss=0.02,wire_reorder=0.01,wire_dup=0.001,wire_seed=7,wire_dir=both".
 * wire_loss/wire_reorder/wire_dup/wire_corrupt are probabilities (0..1) per frame of dropping
 * it, holding it and sending it after the next frame (or after about 2 ms without one),
 * delivering it twice, and flipping one byte of its TCP payload with the TCP checksum rewritten
 * to match (corruption only TLS authentication catches); wire_seed (default 1) makes a run reproducible; wire_dir (both, tx or rx; default both)
 * says which directions of the port they apply to: tx = frames the device sends (what every
 * sink - receiver, pcap, interface - gets), rx = frames arriving from the interface or
 * mlx5tls_model_wire_rx(). Each direction draws from its own random stream.
 *
 * The AF_PACKET port (opts.ifname) also receives: a thread of the model reads every frame
 * arriving on the interface (not the port's own) and runs the device's receive path (steering,
 * TIR, TLS RX, RQ) on it.
 */
struct mlx5tls_model_wire_stats {
	uint64_t tx_frames, tx_bytes;      /* handed to the port by the device's queues */
	uint64_t tx_dropped, tx_reordered, tx_duplicated; /* faults, send direction */
	uint64_t tx_errors;                /* a sink refused a frame */
	uint64_t rx_frames, rx_bytes;      /* arrived at the port (interface or wire_rx) */
	uint64_t rx_dropped, rx_reordered, rx_duplicated; /* faults, receive direction */
	uint64_t rx_oversize;              /* interface frames longer than the link allows
					    * (GSO/GRO left on at the peer): dropped */
	uint64_t rx_csum_partial;          /* interface frames with a partial checksum (TX
					    * checksum offload left on at a veth peer) */
	uint64_t rx_errors;                /* interface socket errors */
	/* the device's receive path (after the faults) */
	uint64_t rx_steered;               /* matched a flow */
	uint64_t rx_to_default;            /* matched none, went to the default destination */
	uint64_t rx_no_match;              /* matched none, no default: dropped */
	uint64_t rx_l3_not_ok, rx_l4_not_ok;
	uint64_t tx_corrupted, rx_corrupted; /* wire_corrupt faults */
};

/* Fills at most st_sz bytes of *st. 0, -EINVAL, -EOPNOTSUPP (hardware). */
MLX5TLS_API int mlx5tls_model_wire_stats(struct mlx5tls_device *dev,
					 struct mlx5tls_model_wire_stats *st, size_t st_sz);

/* ---- raw Ethernet queue pair (send side) ---- */

struct mlx5tls_qp;

struct mlx5tls_qp_opts {
	size_t sz;
	uint32_t log_sq_wqebbs; /* send ring of 2^n 64-byte WQEBBs; 0 = 10; 6..15 */
	uint32_t log_cq_cqes;   /* completion ring; 0 = log_sq_wqebbs */
	uint32_t mtu;           /* L3 MTU: size of DUMP chunks, limit of a SEND; 0 = 1500 */
	uint32_t cqe_every;     /* request a CQE at least every n WQEs (CQ_UPDATE moderation);
				 * 0 = 32. The last WQE before each doorbell always asks for one. */
	uint32_t bounce_bytes;  /* software-path frame buffer; 0 = 1 MiB */
	uint32_t flags;         /* MLX5TLS_QP_F_* */
	size_t : 0;
};
#define mlx5tls_qp_opts__last_field flags

enum {
	/* Model devices: the device consumes WQEs on the calling thread at each doorbell instead of
	 * on its own device thread - deterministic, for tests and single-core benchmarks. */
	MLX5TLS_QP_F_MODEL_SYNC = 1u << 0,
};

/* A raw Ethernet send queue with its completion queue, on pd. td is the transport domain of the
 * TLS TISes used on it (and, on the model, of the queue's plain TIS). */
MLX5TLS_API struct mlx5tls_qp *mlx5tls_qp_create(struct mlx5tls_pd *pd, struct mlx5tls_td *td,
						 const struct mlx5tls_qp_opts *opts);
/* Waits for posted WQEs to complete; -EBUSY while TLS contexts use the queue. */
MLX5TLS_API int mlx5tls_qp_destroy(struct mlx5tls_qp *qp);

/* One frame to send: a complete Ethernet frame (Ethernet [802.1Q] IPv4|IPv6 TCP|UDP payload),
 * in memory registered on the queue's PD. mss != 0 asks for segmentation (LSO/TSO): then the
 * headers are the template of every segment and the payload is cut into mss-byte pieces. */
struct mlx5tls_frame {
	const void *data;
	uint32_t len;
	uint16_t mss;
	struct mlx5tls_mr *mr;
	uint64_t cookie; /* returned by mlx5tls_qp_poll() when the device is done with the frame */
};

enum {
	/* More frames follow: do not ring the doorbell yet (mlx5tls_qp_flush() or the next frame
	 * without the flag does). */
	MLX5TLS_SEND_F_MORE = 1u << 0,
};

/* Post a frame without TLS. 0, -EINVAL (not a frame this call can send), -EFAULT (not inside
 * mr), -EMSGSIZE (beyond the MTU without mss), -EAGAIN (ring full after reaping completions),
 * -EIO (the queue failed and could not be recovered). */
MLX5TLS_API int mlx5tls_qp_send(struct mlx5tls_qp *qp, const struct mlx5tls_frame *frame,
				uint32_t flags);
/* Ring the doorbell for frames posted with MLX5TLS_SEND_F_MORE. */
MLX5TLS_API int mlx5tls_qp_flush(struct mlx5tls_qp *qp);

struct mlx5tls_completion {
	uint64_t cookie;
	int status; /* 0 sent; -EIO the device failed the frame twice and it was dropped */
};

/* Reap completions: fills up to max entries and returns how many, or -errno. An error completion
 * is handled here: the queue is recovered (ERR -> RST -> RDY), every TLS context on it re-posts
 * its parameters, and the frames the device flushed are posted again - nothing is lost.
 * timeout_ms: 0 = do not wait; else wait up to that long for at least one completion. */
MLX5TLS_API int mlx5tls_qp_poll(struct mlx5tls_qp *qp, struct mlx5tls_completion *done, int max,
				unsigned int timeout_ms);

struct mlx5tls_qp_attr {
	uint32_t sqn;
	uint32_t cqn;
	uint32_t wqebbs;      /* ring size */
	uint32_t inflight;    /* WQEBBs posted and not completed */
	uint32_t mtu;
	uint32_t tls_contexts;
	uint64_t recoveries;  /* ERR -> RST -> RDY cycles */
	uint64_t reposted;    /* frames posted again after a recovery */
	uint64_t wqes;        /* WQEs posted, all kinds */
	uint64_t doorbells;
};
MLX5TLS_API int mlx5tls_qp_query(struct mlx5tls_qp *qp, struct mlx5tls_qp_attr *attr,
				 size_t attr_sz);
/* Model devices only: make the WQE that the device consumes after n more successful ones fail
 * with an error CQE (one shot), to exercise recovery. -EOPNOTSUPP on hardware. */
MLX5TLS_API int mlx5tls_qp_model_inject_error(struct mlx5tls_qp *qp, uint32_t after_n_wqes);

/* ---- connections ---- */

/*
 * The TCP connection a TLS context belongs to, as this side sees it (ss's Local and Peer). Given
 * at creation (mlx5tls_tx_opts.conn, mlx5tls_rx_opts.conn) or learnt: a TX context from the
 * headers of its first frame, an RX context from its TIR's steering rule. Shown by inspection
 * (mlx5tls-query ctx, conn) with the application's label.
 */
struct mlx5tls_conn {
	uint8_t ip_version;   /* 4 or 6; 0: not known */
	uint8_t local_ip[16]; /* network order; IPv4 in bytes 0..3, the rest zero */
	uint8_t remote_ip[16];
	uint16_t local_port;  /* host order */
	uint16_t remote_port;
};

enum mlx5tls_conn_source {
	MLX5TLS_CONN_UNKNOWN = 0, /* not given, not learnt yet */
	MLX5TLS_CONN_GIVEN,       /* opts.conn at creation */
	MLX5TLS_CONN_FRAME,       /* TX: the headers of the first frame sent */
	MLX5TLS_CONN_FLOW,        /* RX: the steering rule of the context's TIR */
};

/* Longest application label kept (longer ones are cut), with its terminating NUL. */
#define MLX5TLS_LABEL_MAX 32

/* ---- TLS TX offload ---- */

struct mlx5tls_tx;

enum mlx5tls_tx_path {
	MLX5TLS_TX_PATH_DEVICE,   /* the NIC encrypts inline */
	MLX5TLS_TX_PATH_SOFTWARE, /* the library encrypts (OpenSSL EVP) from the start */
	MLX5TLS_TX_PATH_DEMOTED,  /* was on the device, moved to software by the retransmit rule */
};

struct mlx5tls_tx_opts {
	size_t sz;
	uint32_t flags; /* MLX5TLS_TX_F_* */
	/* Demote to software when retransmitted payload exceeds this share of all payload sent, in
	 * parts per thousand, once demote_min_bytes were sent; 0 = never demote. */
	uint32_t demote_retx_permille;
	uint64_t demote_min_bytes; /* 0 = 1 MiB */
	/* Where the DEK and the TLS TIS come from; NULL = created for this context. */
	struct mlx5tls_dek_pool *dek_pool;
	struct mlx5tls_tis_pool *tis_pool;
	/* The connection (copied; NULL: learnt from the first frame) and an application label
	 * (copied, printable ASCII, at most MLX5TLS_LABEL_MAX - 1 bytes kept; NULL: none), for
	 * inspection only. */
	const struct mlx5tls_conn *conn;
	const char *label;
	size_t : 0;
};
#define mlx5tls_tx_opts__last_field label

enum {
	/* If the device cannot offload this version/cipher, encrypt in software instead of failing
	 * with -EOPNOTSUPP. */
	MLX5TLS_TX_F_SW_FALLBACK = 1u << 0,
	/* Always encrypt in software (no device objects are created). */
	MLX5TLS_TX_F_SOFTWARE = 1u << 1,
};

/*
 * A TLS TX context on qp from the <linux/tls.h> crypto info of the connection's write direction
 * (rec_seq = the number of the next record) and the TCP sequence number of the first byte that
 * record starts at. Frames then carry plaintext records: 5-byte header, [TLS 1.2: 8-byte explicit
 * nonce], payload [TLS 1.3: + inner content type], 16 bytes of room for the tag; the wire gets
 * them encrypted. Errors: -EINVAL (bad crypto info), -EOPNOTSUPP (version/cipher the device does
 * not offload and no fallback asked; the reason is logged), -ENOMEM, -EREMOTEIO (firmware).
 * The key is kept by the library only where the software path may need it (fallback, demotion)
 * and is wiped on destroy.
 */
MLX5TLS_API struct mlx5tls_tx *mlx5tls_tx_create(struct mlx5tls_qp *qp,
						 const struct tls_crypto_info *ci, size_t ci_len,
						 uint32_t start_tcp_sn,
						 const struct mlx5tls_tx_opts *opts);
/* Releases the DEK and TIS (back to their pools). Frames still in flight complete normally. */
MLX5TLS_API int mlx5tls_tx_destroy(struct mlx5tls_tx *tx);
/*
 * mlx5tls_tx_destroy() of each of the n contexts tx[0..n), in an order of the library's choice:
 * an application closing many connections at once (an idle sweep, a worker shutting down) pays
 * the cache misses of cold contexts a few at a time, not one after the other. The contexts may
 * be on different queues and devices; each must be on a queue the calling thread may use (as
 * for mlx5tls_tx_destroy: a queue and its contexts are used by one thread at a time). 0 once
 * all are destroyed; -EINVAL, with none destroyed, when tx is NULL (n > 0), an entry is NULL or
 * a context appears twice. n = 0 does nothing.
 */
MLX5TLS_API int mlx5tls_tx_destroy_bulk(struct mlx5tls_tx *const *tx, size_t n);

/*
 * Send one frame of this connection (its TCP payload is the TLS byte stream). In order: the
 * records are learnt and encrypted by the device. A frame whose sequence is not the next one is a
 * retransmission: the library resynchronises the device (static params, progress params, DUMP
 * of the record prefix, fence), as the kernel does. The payload bytes of records not yet
 * acknowledged (mlx5tls_tx_ack) must stay unchanged where they were sent from: they are replayed
 * from there.
 * Returns 0; -ENODATA when the frame was dropped because its record was already released or it
 * straddles the offload start (tx_tls_drop_no_sync_data); -EBADMSG for a malformed record header
 * (nothing posted, nothing learnt); -EPROTO for a gap (bytes after data never sent); and the
 * errors of mlx5tls_qp_send(). Data entirely before the offload start is sent unencrypted.
 */
MLX5TLS_API int mlx5tls_tx_send(struct mlx5tls_tx *tx, const struct mlx5tls_frame *frame,
				uint32_t flags);

/* The peer acknowledged every byte before tcp_seq: records wholly before it are released. */
MLX5TLS_API int mlx5tls_tx_ack(struct mlx5tls_tx *tx, uint32_t tcp_seq);

/* TLS 1.3 KeyUpdate: records starting at the next record boundary of the stream use this crypto
 * info (same version and cipher; rec_seq usually 0). -EBUSY if the stream is inside a record, or
 * three older keys still have unacknowledged records (or their DEKs are still in flight). */
MLX5TLS_API int mlx5tls_tx_rekey(struct mlx5tls_tx *tx, const struct tls_crypto_info *ci,
				 size_t ci_len);

struct mlx5tls_tx_info {
	enum mlx5tls_tx_path path;
	char reason[96];            /* why the path is not DEVICE ("" on the device) */
	uint16_t tls_version;       /* TLS_1_2_VERSION, TLS_1_3_VERSION */
	uint16_t cipher_type;       /* TLS_CIPHER_AES_GCM_128/_256 */
	uint32_t dek_id;            /* 0 on the software path */
	uint32_t tisn;
	uint32_t start_tcp_sn;
	uint32_t next_tcp_sn;       /* sequence after the highest byte sent */
	uint32_t expected_tcp_sn;   /* what the device (or software encryptor) expects next */
	uint64_t next_record;       /* record number of the record at next_tcp_sn */
	uint32_t next_record_tcp_sn; /* where that record starts (== next_tcp_sn at a boundary) */
	uint32_t record_offset;     /* bytes of it already sent (0 at a boundary) */
	uint32_t records_held;      /* sent, not yet released by an ack */
	uint32_t key_epoch;         /* rekeys so far */
	/* counters of this context */
	uint64_t encrypted_packets, encrypted_bytes; /* device path */
	uint64_t ooo, dump_packets, dump_bytes, resync_bytes;
	uint64_t skip_no_sync_data, drop_no_sync_data;
	uint64_t sw_packets, sw_bytes, sw_resyncs; /* software path */
	uint64_t retx_bytes;
	/* The library no longer reads the bytes sent before this TCP sequence (the start of the
	 * oldest record an ack has not released yet; next_tcp_sn when none is held): a TCP stack
	 * that copied frames into buffers of its own may reuse those holding only earlier bytes. */
	uint32_t hold_tcp_sn;
	/* heap bytes the library holds for this context: its struct and table slots, the record
	 * tracker and, where the software path may run, its buffer (not the DEK/TIS, not the
	 * device's) */
	uint64_t mem_bytes;
};
/* State, position and counters of the context; never key material. */
MLX5TLS_API int mlx5tls_tx_query(struct mlx5tls_tx *tx, struct mlx5tls_tx_info *info,
				 size_t info_sz);

/*
 * Hand the connection back to a software TLS library: the record number to continue with and the
 * TCP sequence where that record starts. -EBUSY while inside a record (finish it first); the
 * context stays usable.
 */
MLX5TLS_API int mlx5tls_tx_handback(struct mlx5tls_tx *tx, uint64_t *next_record,
				    uint32_t *next_tcp_sn);

/* ---- counters ---- */

/* Device counters, named as the kernel names them where one exists. Indexes are stable: new
 * counters are only appended. */
MLX5TLS_API unsigned int mlx5tls_counter_count(void);
MLX5TLS_API const char *mlx5tls_counter_name(unsigned int idx);
MLX5TLS_API const char *mlx5tls_counter_desc(unsigned int idx);
/*
 * Process-wide TLS statistics named as the kernel's /proc/net/tls_stat: TlsCurrTxSw,
 * TlsCurrRxSw, TlsCurrTxDevice, TlsCurrRxDevice (contexts now), TlsTxSw, TlsRxSw, TlsTxDevice,
 * TlsRxDevice (contexts ever, a context moving to software counted again there),
 * TlsDecryptError, TlsRxDeviceResync, TlsTxRekeyOk, TlsTxRekeyError, TlsRxRekeyOk,
 * TlsRxRekeyError, TlsRxRekeyReceived - for every device of the process. Indexes are stable.
 * mlx5tls_tls_stat() fills vals[0..n) and returns how many it filled, or -EINVAL.
 */
MLX5TLS_API unsigned int mlx5tls_tls_stat_count(void);
MLX5TLS_API const char *mlx5tls_tls_stat_name(unsigned int idx);
MLX5TLS_API int mlx5tls_tls_stat(uint64_t *vals, unsigned int n);

/* Fills vals[0..n) (n at most mlx5tls_counter_count()); returns the number filled. */
MLX5TLS_API int mlx5tls_device_counters(struct mlx5tls_device *dev, uint64_t *vals,
				       unsigned int n);

/* ---- inspection (see mlx5tls-inspect(7)) ---- */

/*
 * A TLS TX context as the library and the device see it: what mlx5tls_tx_query() reports, plus
 * the device objects read back from the device. Never key material.
 */
struct mlx5tls_tx_state {
	uint64_t id;                /* unique in the process (from 1), assigned at creation */
	char device[64];            /* name of the queue's device */
	uint32_t sqn;               /* the queue's send queue number */
	/* as struct mlx5tls_tx_info */
	enum mlx5tls_tx_path path;
	char reason[96];
	uint16_t tls_version;
	uint16_t cipher_type;
	uint32_t start_tcp_sn;
	uint32_t next_tcp_sn;
	uint32_t expected_tcp_sn;
	uint64_t next_record;
	uint32_t next_record_tcp_sn;
	uint32_t record_offset;
	uint32_t records_held;
	uint32_t key_epoch;
	uint64_t encrypted_packets, encrypted_bytes;
	uint64_t ooo, dump_packets, dump_bytes, resync_bytes;
	uint64_t skip_no_sync_data, drop_no_sync_data;
	uint64_t sw_packets, sw_bytes, sw_resyncs;
	uint64_t retx_bytes;
	/* The DEK of the current key, QUERY_GENERAL_OBJECT. has_dek is false on the software path
	 * (no DEK): then every dek_* field is 0. */
	bool has_dek;
	int dek_error;              /* 0, or the query's -errno (then only id and pooled are set) */
	uint8_t dek_fw_status;      /* dek_error -EREMOTEIO: the firmware's status and syndrome */
	uint32_t dek_fw_syndrome;
	uint32_t dek_id;
	bool dek_pooled;
	uint8_t dek_state;          /* encryption_key_obj.state: 0 ready, 1 error */
	uint16_t dek_key_bits;
	uint8_t dek_key_purpose;    /* 1: TLS */
	uint32_t dek_pd;
	/* The TLS TIS, QUERY_TIS; as the DEK: has_tis false on the software path. */
	bool has_tis;
	int tis_error;
	uint8_t tis_fw_status;
	uint32_t tis_fw_syndrome;
	uint32_t tisn;
	bool tis_pooled;
	bool tis_tls_en;
	uint8_t tis_prio;
	uint32_t tis_pd;
	uint32_t tis_transport_domain;
	/* The device's progress parameters read back. The PRM documents GET_PSV for TIRs (receive)
	 * only, so for a TX context this is false with the reason - never a guess. */
	bool progress_available;
	char progress_reason[96];
	/* The connection and the application's label (struct mlx5tls_conn). */
	struct mlx5tls_conn conn;
	enum mlx5tls_conn_source conn_source;
	char label[MLX5TLS_LABEL_MAX];
};

/* Fills at most st_sz bytes of *st. Runs QUERY_GENERAL_OBJECT and QUERY_TIS on the device (on the
 * calling thread): 0 even when a query fails (dek_error/tis_error tell), -EINVAL. */
MLX5TLS_API int mlx5tls_tx_inspect(struct mlx5tls_tx *tx, struct mlx5tls_tx_state *st,
				   size_t st_sz);

/*
 * Call cb for every TLS TX context of dev. The walk goes in steps of a few dozen contexts; each
 * step holds the lock of the contexts of some of the device's queues (while it has at most 16
 * queues, each has a lock of its own), which context create, destroy and a rekey's release on
 * ack on those queues take: they wait for one step at most, never for the whole walk, and those
 * on other queues do not wait for it. A context live for the whole walk is visited exactly once;
 * one created or destroyed during it may or may not be, and none is destroyed while cb runs on
 * it. cb must not create or destroy TLS TX contexts of dev (that may wait for the lock cb runs
 * under). A non-zero return of cb stops the walk and is returned; else 0. -EINVAL for a NULL
 * dev or cb.
 */
MLX5TLS_API int mlx5tls_device_foreach_tx(struct mlx5tls_device *dev,
					  int (*cb)(struct mlx5tls_tx *tx, void *arg), void *arg);

struct mlx5tls_publish_opts {
	size_t sz;
	/* Directory of the socket; NULL = $MLX5TLS_RUNTIME_DIR, else $XDG_RUNTIME_DIR/mlx5tls,
	 * else /tmp/mlx5tls-UID. Created 0700 if missing; refused (-EPERM, with a warning saying
	 * why) if not owned by the effective user or its mode is not exactly 0700. */
	const char *dir;
	size_t : 0;
};
#define mlx5tls_publish_opts__last_field dir

/*
 * Publish this process's devices, queues, TLS contexts, pools and counters on the control socket
 * DIR/PID.sock (mode 0600) for mlx5tls-query(1), answered by a library thread (protocol:
 * mlx5tls-inspect(7)). MLX5TLS_PUBLISH=1 in the environment starts it at the first device open.
 * 0, -EALREADY (already publishing), -EPERM (DIR not safe), -ENAMETOOLONG, or another -errno.
 */
MLX5TLS_API int mlx5tls_publish_start(const struct mlx5tls_publish_opts *opts);
/* Stop the thread and remove the socket (also done at exit). 0, also when not publishing. */
MLX5TLS_API int mlx5tls_publish_stop(void);

/* ---- receive side: receive queue, TIR, steering ---- */

/* Model devices only: one Ethernet frame (no FCS) arrives at the device's port from the network
 * and goes through its receive path (steering, TIR, TLS RX, RQ). 0 whether it was delivered or
 * dropped (see mlx5tls_rq_query), -EINVAL, -EOPNOTSUPP on hardware (whose wire is a cable). */
MLX5TLS_API int mlx5tls_model_wire_rx(struct mlx5tls_device *dev, const void *frame, size_t len);

struct mlx5tls_rq;

struct mlx5tls_rq_opts {
	size_t sz;
	uint32_t log_wqes;    /* receive ring of 2^n WQEs (one buffer each); 0 = 10; 1..15 */
	uint32_t buf_size;    /* bytes per receive buffer; 0 = 2048; 64..65536, a multiple of 64 */
	uint32_t log_cq_cqes; /* completion ring; 0 = log_wqes; >= log_wqes */
	uint32_t nbufs;       /* buffers in the pool (posted + held by the application);
			       * 0 = 2 << log_wqes; >= 1 */
	uint32_t flags;       /* MLX5TLS_RQ_F_* */
	size_t : 0;
};
#define mlx5tls_rq_opts__last_field flags

enum {
	/* Model devices: accepted for symmetry with MLX5TLS_QP_F_MODEL_SYNC; the model's receive
	 * path always runs on the thread that hands it the frame (mlx5tls_model_wire_rx, or the
	 * sending device's queue thread). */
	MLX5TLS_RQ_F_MODEL_SYNC = 1u << 0,
};

/* A receive queue (cyclic RQ + CQ, in RDY) on pd, with a pool of receive buffers the library
 * allocates and registers for device writes, and keeps posted: the ring is refilled at every
 * poll and release. td is the transport domain of the TIRs that will deliver to it. NULL and
 * errno: EINVAL, ENOMEM, EOPNOTSUPP (the transport has no receive queues). */
MLX5TLS_API struct mlx5tls_rq *mlx5tls_rq_create(struct mlx5tls_pd *pd, struct mlx5tls_td *td,
						 const struct mlx5tls_rq_opts *opts);
/* -EBUSY while a TIR delivers to it or the application holds one of its packets. */
MLX5TLS_API int mlx5tls_rq_destroy(struct mlx5tls_rq *rq);

/* TLS offload status of a received packet (the CQE's byte 0 bits 4:3). */
enum mlx5tls_rx_tls_status {
	MLX5TLS_RX_TLS_NONE = 0,      /* not decrypted (no TLS TIR, no context, or not in sync) */
	MLX5TLS_RX_TLS_DECRYPTED = 1, /* the TLS payload in the packet is plaintext, tag checked */
	MLX5TLS_RX_TLS_RESYNC = 2,    /* the device asks for a resync (GET_PSV) */
	MLX5TLS_RX_TLS_ERROR = 3,     /* authentication failed */
};

struct mlx5tls_rx_pkt {
	void *data;         /* the frame as received (Ethernet header first), in a pool buffer */
	uint32_t len;
	uint8_t tls_status; /* enum mlx5tls_rx_tls_status */
	bool l2_ok;
	bool l3_ok;         /* IP header checked good (IPv4 checksum; IPv6 has none) */
	bool l4_ok;         /* TCP/UDP checksum checked good */
	uint32_t buf_id;    /* the buffer, for mlx5tls_rq_release() */
	/* The flow tag of the library flow that steered the packet (CQE sop_drop_qpn bits 23:0),
	 * 0 when none did. Each TLS TIR generation has its own tag: it tells which TLS state of the
	 * TIR processed the packet (mlx5tls_rx_pkt_tls()). */
	uint32_t flow_tag;
};

/* The packet's TLS status word: what mlx5tls_rx_packet() and mlx5tls_rx_input() take for its
 * bytes. Bits 1:0 the status (enum mlx5tls_rx_tls_status), bits 31:8 the flow tag. A status is
 * evidence only for packets the TLS state of the receiving context processed: a DECRYPTED
 * packet with another tag (an earlier connection's or key's state of a reused TIR) is never
 * trusted. A TCP stack keeps this word with the bytes of each segment it holds. */
static inline uint32_t mlx5tls_rx_pkt_tls(const struct mlx5tls_rx_pkt *pkt)
{
	return (uint32_t)pkt->tls_status | pkt->flow_tag << 8;
}

/* Reap received packets: fills up to max entries and returns how many, or -errno. Each packet's
 * buffer belongs to the caller until mlx5tls_rq_release(). An error completion (the device
 * failed a receive WQE) is handled here: the queue is recovered (ERR -> RST -> RDY) and every
 * buffer not held by the caller is posted again; the packet is lost. timeout_ms: 0 = do not
 * wait; else wait up to that long for at least one packet. */
MLX5TLS_API int mlx5tls_rq_poll(struct mlx5tls_rq *rq, struct mlx5tls_rx_pkt *pkts, int max,
				unsigned int timeout_ms);
/* Give a packet's buffer back; it is posted to the ring again. -EINVAL if it is not held. */
MLX5TLS_API int mlx5tls_rq_release(struct mlx5tls_rq *rq, const struct mlx5tls_rx_pkt *pkt);
/* The same for n packets, posted with one doorbell record update. -EINVAL at the first one not
 * held (those before it are released). */
MLX5TLS_API int mlx5tls_rq_release_n(struct mlx5tls_rq *rq, const struct mlx5tls_rx_pkt *pkts,
				     unsigned int n);

struct mlx5tls_rq_attr {
	uint32_t rqn;
	uint32_t cqn;
	uint32_t wqes;          /* ring size */
	uint32_t buf_size;
	uint32_t nbufs;
	uint32_t posted;        /* buffers in the ring, waiting for a packet */
	uint32_t held;          /* buffers the application holds */
	uint32_t tirs;          /* TIRs delivering to it */
	uint64_t packets;       /* delivered to the application */
	uint64_t bytes;
	uint64_t err_cqes;      /* error completions (each lost one packet) */
	uint64_t recoveries;    /* ERR -> RST -> RDY cycles */
	bool out_of_buffer_known; /* the transport can tell out_of_buffer */
	uint64_t out_of_buffer; /* frames the device dropped for want of a posted buffer */
};
MLX5TLS_API int mlx5tls_rq_query(struct mlx5tls_rq *rq, struct mlx5tls_rq_attr *attr,
				 size_t attr_sz);

/* ---- transport interface receive (TIR) ---- */

struct mlx5tls_tir;

struct mlx5tls_tir_opts {
	size_t sz;
	bool tls_en; /* a TLS TIR: decrypts once RX static/progress params are posted for it */
	size_t : 0;
};
#define mlx5tls_tir_opts__last_field tls_en

/* A TIR delivering to rq (disp_type DIRECT, inline_rqn). tls_en needs the tls_rx capability
 * (-EOPNOTSUPP). NULL and errno. */
MLX5TLS_API struct mlx5tls_tir *mlx5tls_tir_create(struct mlx5tls_rq *rq, struct mlx5tls_td *td,
						  const struct mlx5tls_tir_opts *opts);
/* -EBUSY while a flow steers to it. */
MLX5TLS_API int mlx5tls_tir_destroy(struct mlx5tls_tir *tir);
MLX5TLS_API uint32_t mlx5tls_tir_num(const struct mlx5tls_tir *tir);

struct mlx5tls_tir_attr {
	uint32_t tirn;
	bool tls_en;
	uint8_t disp_type;    /* 0 DIRECT */
	uint32_t inline_rqn;
	uint32_t transport_domain;
	uint32_t flows;       /* flows steering to it */
	uint8_t self_lb_block; /* 0x1 unicast, 0x2 multicast loopback blocked; the library sets 0x3 */
};
/* QUERY_TIR. */
MLX5TLS_API int mlx5tls_tir_query(struct mlx5tls_tir *tir, struct mlx5tls_tir_attr *attr,
				  size_t attr_sz);

/* ---- steering ---- */

struct mlx5tls_flow;

/* A TCP connection as the receiver sees its packets: src = the peer, dst = this side. */
struct mlx5tls_flow_match {
	uint8_t ip_version; /* 4 or 6 */
	uint8_t src_ip[16]; /* IPv4: bytes 0..3, the rest zero; network order */
	uint8_t dst_ip[16];
	uint16_t src_port;  /* host order */
	uint16_t dst_port;
};

/* Steer the TCP packets matching m (exactly: ip version, both addresses, both ports) to tir.
 * NULL and errno: EINVAL, EEXIST (that match is already steered), EOPNOTSUPP. */
MLX5TLS_API struct mlx5tls_flow *mlx5tls_flow_create(struct mlx5tls_tir *tir,
						    const struct mlx5tls_flow_match *m);
MLX5TLS_API int mlx5tls_flow_destroy(struct mlx5tls_flow *flow);

/*
 * The catch-all flow: every frame no other flow matches (ARP, connection setup, handshakes,
 * connections not offloaded) goes to tir - normally a plain TIR (tls_en false) on the
 * application's default receive queue. On hardware a flow rule of the lowest priority with an
 * empty match; on the model its default destination. One per device: EEXIST for a second.
 * Destroyed with mlx5tls_flow_destroy(). NULL and errno: EINVAL, EEXIST, EOPNOTSUPP.
 */
MLX5TLS_API struct mlx5tls_flow *mlx5tls_flow_create_default(struct mlx5tls_tir *tir);

/* ---- TLS RX offload ---- */

struct mlx5tls_rx;

enum {
	/* Stop after delivering a record that is not application data (alert, handshake,
	 * change_cipher_spec): later input returns -ECANCELED until mlx5tls_rx_resume() or
	 * mlx5tls_rx_handback(), so a TLS library can take over at that record boundary. */
	MLX5TLS_RX_F_STOP_AT_CONTROL = 1u << 0,
	/* Verify every record in software from the start (no device state is set up). */
	MLX5TLS_RX_F_SOFTWARE = 1u << 1,
};

struct mlx5tls_rx_opts {
	size_t sz;
	struct mlx5tls_dek_pool *dek_pool; /* where the DEK comes from; NULL = created */
	uint32_t resync_max;               /* resync requests in a row left unanswered before
					    * the context stops asking; 0 = 8 */
	uint32_t flags;                    /* MLX5TLS_RX_F_* */
	/* As in struct mlx5tls_tx_opts; NULL conn: taken from the TIR's steering rule when it
	 * has exactly one. */
	const struct mlx5tls_conn *conn;
	const char *label;
	size_t : 0;
};
#define mlx5tls_rx_opts__last_field label

/* Why a TLS RX context stopped delivering (mlx5tls_rx_query().stop). */
enum mlx5tls_rx_stop {
	MLX5TLS_RX_STOP_NONE = 0,
	MLX5TLS_RX_STOP_KEY_UPDATE,  /* TLS 1.3 KeyUpdate delivered: -EKEYEXPIRED until rekey */
	MLX5TLS_RX_STOP_CONTROL,     /* MLX5TLS_RX_F_STOP_AT_CONTROL: -ECANCELED */
	MLX5TLS_RX_STOP_FAILED,      /* a record failed: -EBADMSG for good */
	MLX5TLS_RX_STOP_HANDED_BACK, /* mlx5tls_rx_handback(): -ESHUTDOWN for good */
};

/* One verified record: content type (TLS 1.3: the inner type) and plaintext, valid during the
 * call. Return 0 to go on; a non-zero value stops mlx5tls_rx_input(), which returns it. */
typedef int (*mlx5tls_rx_record_fn)(void *ctx, uint8_t type, const void *plaintext, size_t len);

/*
 * A TLS RX context: the receive direction of a connection, decrypted by the NIC through tir
 * (TLS-enabled, steered to with mlx5tls_flow_create). ci is the peer's write direction as
 * <linux/tls.h> has it (rec_seq = number of the record that starts at start_tcp_sn). The static
 * and progress params go out on qp (a control queue; any queue pair of the same PD). NULL and
 * errno: EINVAL, EOPNOTSUPP (no TLS RX for this version/cipher), ENOMEM, EREMOTEIO.
 */
MLX5TLS_API struct mlx5tls_rx *mlx5tls_rx_create(struct mlx5tls_qp *qp, struct mlx5tls_tir *tir,
						 const struct tls_crypto_info *ci, size_t ci_len,
						 uint32_t start_tcp_sn,
						 const struct mlx5tls_rx_opts *opts);
MLX5TLS_API int mlx5tls_rx_destroy(struct mlx5tls_rx *rx);

/*
 * A packet of the connection as it arrives (before any TCP reordering): its TCP sequence, TCP
 * payload length and the TLS status the device gave it (mlx5tls_rx_pkt.tls_status). Counts it,
 * and a RESYNC status starts the device resync (GET_PSV on the control queue; the answer -
 * static params at a record start the stream confirms - follows from mlx5tls_rx_input()).
 * Also reaps the control queue. 0 or -EINVAL.
 */
MLX5TLS_API int mlx5tls_rx_packet(struct mlx5tls_rx *rx, uint32_t tcp_seq, size_t len,
				  unsigned int tls_status);

/*
 * The connection's TCP payload, in TCP order (the application's TCP reorders; bytes already
 * handed over are skipped), each piece with the TLS status word its packet had
 * (mlx5tls_rx_pkt_tls(); a bare status without the flow tag is never taken as evidence of
 * decryption). Records the device authenticated are delivered; records that arrived mixed or
 * undecrypted are completed in software - cb only ever sees verified plaintext. Returns 0, cb's
 * non-zero value, -EBADMSG (a record failed authentication or its sequence number would wrap:
 * the stream is over, nothing of it was delivered), -EMSGSIZE (a record longer than TLS allows:
 * the stream is over), -EKEYEXPIRED (stopped after a KeyUpdate: mlx5tls_rx_rekey()),
 * -ECANCELED (stopped after a control record, MLX5TLS_RX_F_STOP_AT_CONTROL), -ESHUTDOWN (handed
 * back), -EPROTO (a gap), -EINVAL. When input stops, the bytes after the stopping record are not
 * consumed: mlx5tls_rx_query().next_tcp_sn says where the stream stands.
 */
MLX5TLS_API int mlx5tls_rx_input(struct mlx5tls_rx *rx, uint32_t tcp_seq, const void *payload,
				 size_t len, unsigned int tls_status, mlx5tls_rx_record_fn cb,
				 void *ctx);

/*
 * TLS 1.3 KeyUpdate from the peer: after the record carrying it was delivered the context stops
 * at that record boundary (mlx5tls_rx_input() returns -EKEYEXPIRED, as kTLS does) until the
 * application installs the peer's next key here (ci: same version and cipher, rec_seq 0 - the
 * record after the KeyUpdate). Records after the boundary are then decrypted by the device under
 * the new key; bytes the device processed past the boundary with the old key are restored and
 * verified with the new one. 0; -EINVAL (not stopped at a KeyUpdate, TLS 1.2, version or cipher
 * changed, bad crypto info), -ENOMEM, -EREMOTEIO. On an error other than -EINVAL the context
 * goes on in software.
 */
MLX5TLS_API int mlx5tls_rx_rekey(struct mlx5tls_rx *rx, const struct tls_crypto_info *ci,
				 size_t ci_len);

/* Go on after a stop at a control record (MLX5TLS_RX_F_STOP_AT_CONTROL). 0 or -EINVAL. */
MLX5TLS_API int mlx5tls_rx_resume(struct mlx5tls_rx *rx);

/*
 * Leave the device path and verify every later record in software inside the context (path
 * SOFTWARE with reason, as TX has); the device state (TIR TLS state, DEK) is released. 0 or
 * -EINVAL.
 */
MLX5TLS_API int mlx5tls_rx_to_software(struct mlx5tls_rx *rx, const char *reason);

/* Where a software TLS stack continues after mlx5tls_rx_handback(). */
struct mlx5tls_rx_handback {
	uint64_t next_record;  /* record number (TLS sequence) of the next record */
	uint32_t next_tcp_sn;  /* TCP sequence that record starts at */
	uint32_t pending_len;  /* bytes received past next_tcp_sn, not consumed (ciphertext) */
};

/*
 * Hand the connection's receive direction back to a software TLS stack: fills *hb and copies the
 * pending_len bytes received but not yet consumed (as they were sent: device-decrypted parts are
 * restored to ciphertext) to buf. -ENOSPC (buf too small: hb->pending_len says how much is
 * needed, nothing changed), -EINVAL. After 0 the device state is released (later packets of the
 * flow arrive NOT_DECRYPTED) and the context only answers mlx5tls_rx_query() and destroy.
 */
MLX5TLS_API int mlx5tls_rx_handback(struct mlx5tls_rx *rx, struct mlx5tls_rx_handback *hb,
				    void *buf, size_t buf_len);

/*
 * After mlx5tls_rx_handback(): segments the application still holds or receives for the
 * connection, in TCP order from hb->next_tcp_sn + hb->pending_len, with their status words,
 * restored in place to the bytes the peer sent (the device may have decrypted them before the
 * hand-back took effect). Bytes before that point are skipped. 0, -EPROTO (a gap), -EBADMSG
 * (bytes another TLS state decrypted, or a malformed record header), -EINVAL.
 */
MLX5TLS_API int mlx5tls_rx_restore(struct mlx5tls_rx *rx, uint32_t tcp_seq, void *payload,
				   size_t len, uint32_t tls_word);

/* One received TCP segment of the connection, as the application's TCP holds it: its payload
 * where it lies (a receive buffer), TCP sequence and length, and the packet's status word. */
struct mlx5tls_rx_seg {
	const void *payload;
	uint32_t tcp_seq;
	uint32_t len;
	uint32_t tls_word; /* mlx5tls_rx_pkt_tls() of the packet that carried it */
};

/* One verified record in pieces (iovcnt of them, len bytes in all), valid during the call: for
 * a record the device authenticated whole, the pieces are the plaintext where the device wrote
 * it - in the application's receive buffers. Return 0 to go on; a non-zero value stops the
 * input call, which returns it. */
typedef int (*mlx5tls_rx_record_iov_fn)(void *ctx, uint8_t type, const struct iovec *iov,
					unsigned int iovcnt, size_t len);

/*
 * Zero-copy input: the connection's received segments in TCP order (bytes before the context's
 * position are skipped; a segment may overlap the previous one; a hole ends what is usable). Every
 * complete record from the position on is delivered: those the device authenticated whole
 * straight from the segments (no copy, no pass over the bytes), the others completed in software
 * (copied, restored, verified). A record whose bytes are not all there yet is left alone unless
 * the library already holds part of it: *next_tcp_sn says where the stream stands - the
 * application may release every byte before it and presents the rest again, with what follows,
 * in the next call. Returns as mlx5tls_rx_input().
 */
MLX5TLS_API int mlx5tls_rx_input_segs(struct mlx5tls_rx *rx, const struct mlx5tls_rx_seg *segs,
				      unsigned int n, mlx5tls_rx_record_iov_fn cb, void *ctx,
				      uint32_t *next_tcp_sn);

struct mlx5tls_rx_info {
	uint32_t tirn;
	uint32_t dek_id;
	uint32_t next_tcp_sn;       /* the next stream byte expected */
	uint64_t next_record;       /* number of the next record to complete */
	uint64_t records;           /* delivered */
	uint64_t bytes;             /* plaintext bytes delivered */
	uint64_t by_device;         /* records the device authenticated */
	uint64_t by_software;       /* records completed in software */
	uint64_t reencrypted_bytes; /* device-decrypted bytes encrypted again to verify */
	uint64_t resync_answers;    /* static params posted in answer to a device resync */
	bool resync_pending;
	bool failed;
	enum mlx5tls_rx_stop stop;  /* why input stopped (NONE while it goes on) */
	enum mlx5tls_tx_path path;  /* DEVICE, or SOFTWARE (mlx5tls_rx_to_software, the option,
				     * or a failed rekey) */
	uint32_t key_epoch;         /* keys installed: 0 at create, +1 per mlx5tls_rx_rekey() */
	uint64_t untrusted_packets; /* DECRYPTED statuses not taken as evidence (another TLS state
				     * of the TIR processed them) */
	uint8_t last_type;          /* content type of the last record delivered */
	/* heap the library holds for the context: its structure and slot, and what it took as it
	 * went (record-start ring, resync buffer, software state and record buffer) */
	uint64_t mem_bytes;
};
MLX5TLS_API int mlx5tls_rx_query(struct mlx5tls_rx *rx, struct mlx5tls_rx_info *info,
				 size_t info_sz);

/*
 * A TLS RX context as the library and the device see it (mlx5tls-inspect(7)): what
 * mlx5tls_rx_query() reports, plus the DEK, the TIR and the progress parameters read back from
 * the device. Never key material.
 */
struct mlx5tls_rx_state {
	uint64_t id;                /* unique in the process, shared with TX contexts' ids */
	char device[64];            /* name of the control queue's device */
	uint32_t sqn;               /* the control queue's send queue number */
	/* DEVICE: records the device did not authenticate are completed in software inside the
	 * context (by_software, reencrypted_bytes). SOFTWARE: every record is (reason says why). */
	enum mlx5tls_tx_path path;
	uint16_t tls_version;
	uint16_t cipher_type;
	uint32_t start_tcp_sn;
	uint32_t next_tcp_sn;
	uint64_t first_record;      /* number of the record at start_tcp_sn */
	uint64_t next_record;
	uint64_t records, bytes, by_device, by_software, reencrypted_bytes, resync_answers;
	uint32_t resync_left;       /* device resync requests still answered */
	bool resync_pending;
	bool failed;
	/* The DEK, QUERY_GENERAL_OBJECT (as in struct mlx5tls_tx_state). */
	int dek_error;
	uint8_t dek_fw_status;
	uint32_t dek_fw_syndrome;
	uint32_t dek_id;
	bool dek_pooled;
	uint8_t dek_state;
	uint16_t dek_key_bits;
	uint8_t dek_key_purpose;
	uint32_t dek_pd;
	/* The TIR, QUERY_TIR. has_tir is false when the application destroyed the TIR before the
	 * context (then only tirn is set). */
	bool has_tir;
	int tir_error;
	uint8_t tir_fw_status;
	uint32_t tir_fw_syndrome;
	uint32_t tirn;
	bool tir_tls_en;
	uint8_t tir_disp_type;
	uint32_t tir_inline_rqn;
	uint32_t tir_transport_domain;
	uint32_t tir_flows;
	/* The TIR's progress parameters read back with GET_PSV (fact sheet 8.5). false with the
	 * reason when not read (another thread, a resync read in flight, queue full, timeout). */
	bool progress_available;
	char progress_reason[96];
	uint32_t hw_next_record_tcp_sn;
	uint32_t hw_resync_tcp_sn;
	uint8_t hw_tracker_state;   /* record_tracker_state: 0 START, 1 TRACKING, 2 SEARCHING */
	uint8_t hw_auth_state;      /* auth_state: 0 NO_OFFLOAD, 1 OFFLOAD, 2 AUTHENTICATION */
	uint32_t hw_offset_record_number;
	/* Key epochs, stop, trust */
	uint32_t key_epoch;         /* keys installed: 0 at create, +1 per rekey */
	enum mlx5tls_rx_stop stop;
	char reason[96];            /* why the path is SOFTWARE ("" on the device) */
	uint64_t untrusted_packets; /* DECRYPTED statuses of another TLS state of the TIR */
	/* The connection and the application's label (struct mlx5tls_conn). */
	struct mlx5tls_conn conn;
	enum mlx5tls_conn_source conn_source;
	char label[MLX5TLS_LABEL_MAX];
};

/*
 * Fills at most st_sz bytes of *st. Call it from the thread that drives rx: besides
 * QUERY_GENERAL_OBJECT and QUERY_TIR it posts one GET_PSV on the context's control queue and
 * waits (at most about 100 ms) for its completion. 0 even when a query fails (the *_error
 * fields and progress_reason tell), -EINVAL.
 */
MLX5TLS_API int mlx5tls_rx_inspect(struct mlx5tls_rx *rx, struct mlx5tls_rx_state *st,
				   size_t st_sz);

#ifdef __cplusplus
}
#endif

#endif /* MLX5TLS_MLX5TLS_H */
