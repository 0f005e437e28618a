/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The TLS RX engine's state (sim/tls_rx.h is its interface), shared by its three files: tls_rx.c,
 * the packet path (the rules R1-R13, S1-S3 are stated there), tls_rx_rec.c, one record's AES-GCM,
 * and tls_rx_params.c, the object and its control (create/destroy, static and progress params,
 * the GET_PSV image, counters, the ops table).
 */
#ifndef MLX5TLS_SIM_TLS_RX_INTERNAL_H
#define MLX5TLS_SIM_TLS_RX_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "sim/tls_rx.h"

#define HDR_LEN SIM_TLS_RX_HDR_LEN
#define TAG_LEN SIM_TLS_RX_TAG_LEN
#define NONCE_LEN SIM_TLS_RX_NONCE_LEN
#define TLS12_OVERHEAD (NONCE_LEN + TAG_LEN) /* 24 */
#define TLS13_OVERHEAD (1u + TAG_LEN)        /* 17 */
#define TLS13_OUTER_TYPE 0x17
#define TLS12_TYPE_MIN 20 /* change_cipher_spec */
#define TLS12_TYPE_MAX 24 /* heartbeat */
#define GCM_IV_LEN 12

enum phase { PH_HDR, PH_NONCE, PH_PAYLOAD, PH_TAG };

/* The record being tracked. Plain data, so that a packet's starting point can be snapshotted. */
struct rx_rec {
	uint64_t rn;      /* its record number (SYNC/LOST) or its index in a scan chain */
	uint32_t seq;     /* TCP sequence of its first header byte */
	uint32_t len;     /* 5 + length field; 0 while the header is incomplete */
	uint32_t off;     /* bytes of it seen or skipped */
	uint32_t part;    /* bytes of the current header / nonce / tag field seen */
	uint32_t pay_len; /* payload (ciphertext) bytes */
	uint32_t pay_off; /* payload bytes processed */
	uint8_t phase;    /* enum phase */
	bool crypt;       /* GCM running: it is decrypted and authenticated */
	bool skip;        /* bytes of it were not seen (or came before a resync): passed as is */
	uint8_t hdr[HDR_LEN];
	uint8_t nonce[NONCE_LEN];
	uint8_t tag[TAG_LEN];
	/* (its GCM nonce is not kept: it holds the salt, so it is made from the keys and rn or
	 * nonce where it is needed, tls_rx_rec.c rec_nonce) */
};

/*
 * What the engine keeps of the traffic secret: the key, salt and implicit IV of the last static
 * params. Secret memory (secret.h: locked, not dumped, wiped when freed), one line of it apart
 * from the rest of the engine state, which is ordinary heap: the TIR of a connection going among
 * 100k others is cold, and its teardown then wipes this one line instead of every line of the
 * state (issue 10).
 */
struct sim_tls_rx_keys {
	/* The key of the DEK the last static params named, as tls_rx_ctx.c read it when they were
	 * posted (a later MODIFY of that DEK does not reach this TIR, fact sheet 3.6/12.4): here
	 * until both OpenSSL contexts hold it, then wiped (tls_rx_rec.c key_used). */
	uint8_t key[32];
	uint8_t salt[4];        /* gcm_iv: every record's nonce starts with it */
	uint8_t implicit_iv[8]; /* TLS 1.3 (RFC 8446 5.3), after the salt as in the nonce */
};
_Static_assert(sizeof(struct sim_tls_rx_keys) <= 64, "the keys take one line of secret memory");

struct sim_tls_rx {
	/* OpenSSL contexts, made and keyed from key[] when first needed (tls_evp.h): the GCM one by
	 * the first record this engine decrypts, the CTR one by the first R5 restore. A TIR whose
	 * connection never carries a record holds neither. */
	EVP_CIPHER_CTX *gcm; /* record decryption, IV per record */
	EVP_CIPHER_CTX *ctr; /* the same key in CTR mode: re-encrypts on ERROR (R5) */
	struct sim_tls_rx_keys *k; /* secret memory, made with the engine */
	bool gcm_keyed;      /* gcm / ctr hold the key of the last static params */
	bool ctr_keyed;
	enum sim_tls_rx_state state;
	bool tls13;
	bool started;        /* SYNC: a byte was processed since START (R12) */
	uint32_t key_bits;   /* 128 or 256: the length of k->key; 0 before static params */
	uint64_t initial_rn; /* initial_record_number of the last static params */
	uint32_t expected;   /* next TCP sequence the tracker needs */
	struct rx_rec w;
	/* stream scan */
	uint8_t win[HDR_LEN]; /* the last bytes scanned, ending at `expected` */
	uint32_t win_len;
	bool walking;         /* SEARCHING/RESYNC_PENDING: w is a chain's record */
	uint32_t chain;       /* headers in the chain */
	uint32_t resync_seq;  /* hw_resync_tcp_sn */
	uint64_t guess_rn;    /* w.rn of the guessed header's record */

	struct sim_tls_rx_stats c; /* counters only; state fields are filled by get_stats */
};

/* What one packet's processing collected. */
enum run_mode {
	RUN_INPLACE, /* payload decrypted in place (until a failure) */
	RUN_OBSERVE, /* GCM state advanced, output discarded */
	RUN_RESTORE, /* re-walk a snapshot, re-encrypting what RUN_INPLACE decrypted */
};

struct run {
	enum run_mode mode;
	bool offload;            /* the tracker is in sync: records are decrypted */
	uint32_t pkt_seq;
	size_t pkt_len;
	bool fail;               /* a tag failed or a header was invalid (R5) */
	size_t fail_pos;         /* packet offset at which the first failure was complete */
	bool bad_hdr;            /* walk stopped at an invalid header ... */
	size_t stop;             /* ... ending at this packet offset */
	uint64_t inplace_bytes;
	/* out of place: the walk reads `in`; a decrypted run goes to the same offset of `out`,
	 * whose bytes [0, copied) are written (NULL out: in place) */
	const uint8_t *in;
	uint8_t *out;
	size_t copied;
	bool resync;             /* S2: a chain header eligible for RESYNC */
	uint32_t resync_seq;
	uint64_t resync_rn;
};

static inline size_t min_sz(size_t a, size_t b)
{
	return a < b ? a : b;
}

static inline uint32_t hdr_length(const uint8_t *h)
{
	return (uint32_t)h[3] << 8 | h[4];
}

/* ---- one record's AES-GCM (tls_rx_rec.c) ---- */

/* Header (and TLS 1.2 nonce) complete: the payload follows. 0 or -EIO. */
int sim_tls_rx_rec_begin(struct sim_tls_rx *rx, const struct run *r);
/* The record's last byte was passed (at packet offset pos): its tag checked if it was decrypted,
 * on to the next one. 0 or -EIO. */
int sim_tls_rx_rec_end(struct sim_tls_rx *rx, struct run *r, size_t pos);
/* R8 / S2: d bytes of the tracked record were not seen; it can no longer be authenticated. */
void sim_tls_rx_rec_skip(struct sim_tls_rx *rx, struct run *r, uint32_t d);
/* n payload bytes of the tracked record at p, as r->mode says (decrypted, observed, restored).
 * 0 or -EIO. */
int sim_tls_rx_payload_run(struct sim_tls_rx *rx, struct run *r, uint8_t *p, size_t n);
/* After static params changed the crypto context or the record number (R10, R11): re-begin the
 * tracked record or pass it unauthenticated. 0 or -EIO. */
int sim_tls_rx_resume_record(struct sim_tls_rx *rx);

#endif /* MLX5TLS_SIM_TLS_RX_INTERNAL_H */
