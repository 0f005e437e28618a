/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Seeded faults on the model's Ethernet port (no `tc netem` on the machines this runs on): each
 * frame passing one direction of the port may be dropped, duplicated (delivered twice in a row)
 * held back and delivered after the next frame (a reorder by one position), or have a TCP
 * payload byte flipped (with a matching checksum). One stage per
 * direction, each with its own random stream (xorshift64*, seeded from wire_seed and the
 * direction), so a run with the same seed and the same frames makes the same decisions.
 *
 * A held frame leaves with the next frame, or when sim_fault_flush() finds it older than the
 * hold limit (called by the AF_PACKET port's receive thread every few milliseconds), or at
 * destroy. Delivery happens under the stage's lock: frames leave one direction in the order the
 * stage decided.
 */
#ifndef MLX5TLS_SIM_FAULT_H
#define MLX5TLS_SIM_FAULT_H

#include <stddef.h>
#include <stdint.h>

struct sim_fault_cfg {
	double loss;     /* probability a frame is dropped, 0..1 */
	double reorder;  /* probability a frame is held and sent after the next one */
	double dup;      /* probability a frame is delivered twice */
	double corrupt;  /* probability one TCP payload byte of a frame is flipped, the TCP checksum
			  * rewritten to match (corruption the checksum does not catch: what TLS
			  * authentication must) */
	uint64_t seed;   /* 0 = 1 */
};

struct sim_fault_stats {
	uint64_t frames;     /* offered to the stage */
	uint64_t dropped;
	uint64_t reordered;  /* held back and delivered after a later frame (or flushed) */
	uint64_t duplicated;
	uint64_t corrupted;
};

typedef int (*sim_fault_deliver_fn)(void *ctx, const uint8_t *frame, size_t len);

struct sim_fault;

/* true when cfg asks for any fault (a stage is worth creating). */
int sim_fault_cfg_active(const struct sim_fault_cfg *cfg);
/* A stage delivering to deliver(ctx). dir_salt separates the random streams of the directions.
 * NULL + errno (EINVAL, ENOMEM). */
struct sim_fault *sim_fault_create(const struct sim_fault_cfg *cfg, uint64_t dir_salt,
				   sim_fault_deliver_fn deliver, void *ctx);
/* Delivers a held frame, then frees. NULL is a no-op. */
void sim_fault_destroy(struct sim_fault *f);
/* Pass one frame: 0, or the delivery's -errno for the frame itself. */
int sim_fault_pass(struct sim_fault *f, const uint8_t *frame, size_t len);
/* Deliver a held frame older than hold_ns (0 = any). */
void sim_fault_flush(struct sim_fault *f, uint64_t hold_ns);
void sim_fault_get_stats(struct sim_fault *f, struct sim_fault_stats *st);

#endif /* MLX5TLS_SIM_FAULT_H */
