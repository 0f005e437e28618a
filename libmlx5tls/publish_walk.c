/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The publisher's walks over the TLS contexts of every open device (mlx5tls-inspect(7)), in steps:
 * a context shard's lock (which context create and destroy on the shard's queues take;
 * mlx5tls_internal.h) is held for at most STEP_ENTRIES contexts, STEP_SLOTS slots or STEP_NS of
 * time, whichever comes first, then released, so setup and teardown go on while an answer about a
 * million contexts is built (on the queues of other shards they never wait for it). The walk goes
 * shard by shard up the slots of each one's table (insp_table.h) and resumes at a shard and slot
 * number - in the same answer after a step, or in the next request from the cursor an answer gave
 * ("next"). A context stays in one shard and slot, so one that stays live is seen exactly once;
 * one created meanwhile may or may not be; one destroyed meanwhile is not seen after it is gone.
 * One context by its id is found through the tables' indexes instead (walk_find): one hold of
 * each shard's lock per device and direction, one O(1) look-up under it.
 */
#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "publish_internal.h"
#include "rx_internal.h"

/* Contexts looked at per hold of a device's lock (each may cost two firmware queries). */
#define STEP_ENTRIES 32u
/* Slots looked at per hold: bounds a hold over a table with many free slots. */
#define STEP_SLOTS 4096u
/* Time per hold (wall clock, what a thread waiting for the lock sees): on hardware a context's
 * QUERY commands go to the firmware and take tens of microseconds each, so 32 contexts could
 * hold the lock for milliseconds; the step ends after the context that passes this. */
#define STEP_NS 200000u

static _Atomic uint64_t max_hold_ns;
static _Atomic uint64_t slots_looked;
static void (*_Atomic step_hook)(void *arg);
static void *_Atomic step_hook_arg;

/* The publisher thread's CPU time: what a lock hold costs, without the scheduler's delays. */
static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t wall_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void hold_done(uint64_t start)
{
	uint64_t d = mono_ns() - start, m = atomic_load_explicit(&max_hold_ns, memory_order_relaxed);

	while (d > m && !atomic_compare_exchange_weak(&max_hold_ns, &m, d))
		;
}

uint64_t publish_max_hold_ns(void)
{
	return atomic_load(&max_hold_ns);
}

uint64_t publish_slots_looked(void)
{
	return atomic_load(&slots_looked);
}

void publish_set_step_hook(void (*fn)(void *arg), void *arg)
{
	atomic_store(&step_hook_arg, arg);
	atomic_store(&step_hook, fn);
}

/* ---- cursors: "t" or "r", the device's number, ".", the shard, ".", the slot ---- */

/* A decimal number up to max at *s (no sign, no space), *s moved past it. 0 or -1. */
static int cursor_num(const char **s, unsigned long long max, unsigned long long *v)
{
	char *end = NULL;

	if (**s < '0' || **s > '9')
		return -1;
	errno = 0;
	*v = strtoull(*s, &end, 10);
	if (errno || *v > max)
		return -1;
	*s = end;
	return 0;
}

int walk_cursor_parse(const char *s, struct walk_cursor *c)
{
	unsigned long long seq, a, b = 0;
	bool three = false;
	char dir;

	dir = *s++;
	if ((dir != 't' && dir != 'r') || cursor_num(&s, UINT32_MAX, &seq) || *s++ != '.' ||
	    cursor_num(&s, UINT32_MAX, &a))
		return -1;
	if (*s == '.') { /* the shard, then the slot */
		s++;
		three = true;
		if (a >= CTX_SHARDS || cursor_num(&s, UINT32_MAX, &b))
			return -1;
	}
	if (*s)
		return -1;
	c->rx = dir == 'r';
	c->dev_seq = (uint32_t)seq;
	c->shard = three ? (uint32_t)a : 0;
	c->slot = (uint32_t)(three ? b : a);
	return 0;
}

void walk_cursor_format(const struct walk_cursor *c, char *buf, size_t len)
{
	snprintf(buf, len, "%c%" PRIu32 ".%" PRIu32 ".%" PRIu32, c->rx ? 'r' : 't', c->dev_seq,
		 c->shard, c->slot);
}

/* ---- walks ---- */

/* fn on the objects of t from *slot on, in steps of lock; stops before an object when the
 * answer has limit entries. true once past the end (*slot is then the end), false when stopped
 * (*slot is the object's). */
static bool walk_table(struct jw *w, pthread_mutex_t *lock, const struct insp_table *t,
		       uint32_t *slot, unsigned int limit, walk_fn *fn, void *arg)
{
	for (;;) {
		void (*hook)(void *arg);
		unsigned int n = 0, scanned = 0;
		bool end = false, full = false, late = false;
		uint64_t t0, w0;

		pthread_mutex_lock(lock);
		t0 = mono_ns();
		w0 = wall_ns();
		for (; n < STEP_ENTRIES && scanned < STEP_SLOTS && !late; (*slot)++, scanned++) {
			void *obj;

			if (*slot >= insp_table_end(t)) {
				end = true;
				break;
			}
			obj = insp_table_get(t, *slot);
			if (!obj)
				continue;
			if (w->entries >= limit) {
				full = true;
				break;
			}
			fn(w, obj, arg);
			n++;
			late = wall_ns() - w0 >= STEP_NS;
		}
		hold_done(t0);
		pthread_mutex_unlock(lock);
		atomic_fetch_add_explicit(&slots_looked, scanned, memory_order_relaxed);
		if (end || full)
			return end;
		hook = atomic_load(&step_hook);
		if (hook)
			hook(atomic_load(&step_hook_arg));
	}
}

/* One direction over every device, newest device first, from the cursor on. */
static bool walk_dir(struct jw *w, bool rx, struct walk_cursor *c, unsigned int limit,
		     walk_fn *fn, void *arg)
{
	struct mlx5tls_device *dev;
	bool done = true;

	if (c->rx != rx)
		return true; /* the cursor is past this direction, or (RX) before it */
	for (dev = inspect_devices_lock(); dev; dev = dev->insp_next) {
		uint32_t slot, shard;
		bool here;

		if (dev->insp_seq > c->dev_seq)
			continue; /* walked before the cursor was given */
		here = dev->insp_seq == c->dev_seq;
		/* shard by shard, each under its own lock (mlx5tls_internal.h) */
		for (shard = here ? c->shard : 0, slot = here ? c->slot : 0; shard < CTX_SHARDS;
		     shard++, slot = 0) {
			struct ctx_shard *sh = &dev->ctx_shards[shard];

			if (!walk_table(w, &sh->lock, rx ? &sh->rx : &sh->tx, &slot, limit, fn,
					arg)) {
				done = false;
				break;
			}
		}
		if (!done) {
			c->dev_seq = dev->insp_seq;
			c->shard = shard;
			c->slot = slot;
			break;
		}
	}
	inspect_devices_unlock();
	return done;
}

bool walk_tx(struct jw *w, struct walk_cursor *c, unsigned int limit, walk_fn *fn, void *arg)
{
	if (!walk_dir(w, false, c, limit, fn, arg))
		return false;
	if (!c->rx) /* the TX contexts are done: the RX ones are next */
		*c = (struct walk_cursor)WALK_CURSOR_RX;
	return true;
}

bool walk_rx(struct jw *w, struct walk_cursor *c, unsigned int limit, walk_fn *fn, void *arg)
{
	if (!walk_dir(w, true, c, limit, fn, arg))
		return false;
	*c = (struct walk_cursor)WALK_CURSOR_RX;
	return true;
}

/* Whether the context in (rx, dev_seq, shard, slot) comes at or after cursor c in a walk's
 * order. */
static bool at_or_after(const struct walk_cursor *c, bool rx, uint32_t dev_seq, uint32_t shard,
			uint32_t slot)
{
	if (c->rx != rx)
		return rx; /* every TX context comes before every RX one */
	if (dev_seq != c->dev_seq)
		return dev_seq < c->dev_seq; /* newest device first */
	if (shard != c->shard)
		return shard > c->shard;
	return slot >= c->slot;
}

bool walk_find(struct jw *w, uint64_t id, const struct walk_cursor *c, walk_fn *tx_fn,
	       walk_fn *rx_fn, void *arg)
{
	struct mlx5tls_device *dev;
	bool found = false;

	/* an id is one context's, TX or RX, on one device, in its queue's shard: at most one
	 * table has it; a direction without a function is not looked in */
	for (int rx = 0; rx < 2 && !found; rx++) {
		if (!(rx ? rx_fn : tx_fn))
			continue;
		for (dev = inspect_devices_lock(); dev && !found; dev = dev->insp_next) {
			for (uint32_t shard = 0; shard < CTX_SHARDS && !found; shard++) {
				struct ctx_shard *sh = &dev->ctx_shards[shard];
				const struct insp_table *t = rx ? &sh->rx : &sh->tx;
				unsigned int probes = 0;
				uint32_t slot = 0;
				uint64_t t0;
				void *obj;

				pthread_mutex_lock(&sh->lock);
				t0 = mono_ns();
				obj = insp_table_find(t, id, &slot, &probes);
				found = obj != NULL;
				if (found && at_or_after(c, rx, dev->insp_seq, shard, slot))
					(rx ? rx_fn : tx_fn)(w, obj, arg);
				hold_done(t0);
				pthread_mutex_unlock(&sh->lock);
				atomic_fetch_add_explicit(&slots_looked, probes,
							  memory_order_relaxed);
			}
		}
		inspect_devices_unlock();
	}
	return found;
}
