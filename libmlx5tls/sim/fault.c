/* SPDX-License-Identifier: BSD-3-Clause */
/* Seeded faults on one direction of the model's port (fault.h). */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sim/fault.h"

/* Larger than any frame the model's ports carry (9978-byte MTU + L2 headers). */
#define FAULT_FRAME_MAX 10240u

struct sim_fault {
	pthread_mutex_t lock;
	struct sim_fault_cfg cfg;
	uint64_t rng;
	sim_fault_deliver_fn deliver;
	void *ctx;
	struct sim_fault_stats st;
	size_t held_len; /* 0: nothing held */
	uint64_t held_at;
	uint8_t held[FAULT_FRAME_MAX];
	uint8_t scratch[FAULT_FRAME_MAX]; /* a corrupted copy */
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* xorshift64* (Vigna): a uniform double in [0, 1) from the top 53 bits. */
static double rnd(struct sim_fault *f)
{
	uint64_t x = f->rng;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	f->rng = x;
	return (double)((x * 0x2545f4914f6cdd1dull) >> 11) / 9007199254740992.0;
}

static int prob_ok(double p)
{
	return p >= 0.0 && p <= 1.0;
}

int sim_fault_cfg_active(const struct sim_fault_cfg *cfg)
{
	return cfg && (cfg->loss > 0.0 || cfg->reorder > 0.0 || cfg->dup > 0.0 ||
		       cfg->corrupt > 0.0);
}

static uint32_t sum16(uint32_t sum, const uint8_t *p, size_t n)
{
	for (; n > 1; p += 2, n -= 2)
		sum += (uint32_t)(p[0] << 8 | p[1]);
	if (n)
		sum += (uint32_t)p[0] << 8;
	return sum;
}

/* Flip the payload byte at fraction `where` of an IPv4 TCP frame and rewrite the TCP checksum.
 * false when the frame has no TCP payload. */
static bool corrupt_tcp(uint8_t *f, size_t len, double where)
{
	size_t l3 = 14, ihl, thl, tot, pay;
	uint8_t *ip, *tcp;
	uint32_t sum;

	if (len < 54)
		return false;
	if (f[12] == 0x81 && f[13] == 0x00)
		l3 += 4;
	if (f[l3 - 2] != 0x08 || f[l3 - 1] != 0x00 || len < l3 + 40)
		return false;
	ip = f + l3;
	ihl = (size_t)(ip[0] & 0xf) * 4;
	tot = (size_t)ip[2] << 8 | ip[3];
	if ((ip[0] >> 4) != 4 || ip[9] != 6 || ihl < 20 || l3 + tot > len || tot < ihl + 20)
		return false;
	tcp = ip + ihl;
	thl = (size_t)(tcp[12] >> 4) * 4;
	if (thl < 20 || ihl + thl >= tot)
		return false;
	pay = tot - ihl - thl;
	tcp[thl + (size_t)(where * (double)pay)] ^= 0x5a;
	tcp[16] = tcp[17] = 0;
	sum = sum16(0, ip + 12, 8) + 6 + (uint32_t)(tot - ihl);
	sum = sum16(sum, tcp, tot - ihl);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	sum = ~sum & 0xffff;
	tcp[16] = (uint8_t)(sum >> 8);
	tcp[17] = (uint8_t)sum;
	return true;
}

struct sim_fault *sim_fault_create(const struct sim_fault_cfg *cfg, uint64_t dir_salt,
				   sim_fault_deliver_fn deliver, void *ctx)
{
	struct sim_fault *f;
	uint64_t s;

	if (!cfg || !deliver || !prob_ok(cfg->loss) || !prob_ok(cfg->reorder) ||
	    !prob_ok(cfg->dup) || !prob_ok(cfg->corrupt)) {
		errno = EINVAL;
		return NULL;
	}
	f = calloc(1, sizeof(*f));
	if (!f) {
		errno = ENOMEM;
		return NULL;
	}
	pthread_mutex_init(&f->lock, NULL);
	f->cfg = *cfg;
	/* splitmix64 of seed and direction: never 0, distinct streams per direction */
	s = (cfg->seed ? cfg->seed : 1) + dir_salt * 0x9e3779b97f4a7c15ull;
	s = (s ^ (s >> 30)) * 0xbf58476d1ce4e5b9ull;
	s = (s ^ (s >> 27)) * 0x94d049bb133111ebull;
	s ^= s >> 31;
	f->rng = s ? s : 1;
	f->deliver = deliver;
	f->ctx = ctx;
	return f;
}

static void release_held_locked(struct sim_fault *f)
{
	size_t len = f->held_len;

	if (!len)
		return;
	f->held_len = 0;
	(void)f->deliver(f->ctx, f->held, len);
}

void sim_fault_destroy(struct sim_fault *f)
{
	if (!f)
		return;
	pthread_mutex_lock(&f->lock);
	release_held_locked(f);
	pthread_mutex_unlock(&f->lock);
	pthread_mutex_destroy(&f->lock);
	free(f);
}

int sim_fault_pass(struct sim_fault *f, const uint8_t *frame, size_t len)
{
	int ret = 0;
	/* the three draws are taken for every frame, so one fault's probability does not shift
	 * the others' decisions */
	double d_loss, d_dup, d_reo, d_cor, d_where;

	pthread_mutex_lock(&f->lock);
	f->st.frames++;
	d_loss = rnd(f);
	d_dup = rnd(f);
	d_reo = rnd(f);
	if (d_loss < f->cfg.loss) {
		f->st.dropped++;
		goto out;
	}
	if (f->cfg.corrupt > 0.0) {
		/* two more draws only with corruption on: loss/dup/reorder streams unchanged */
		d_cor = rnd(f);
		d_where = rnd(f);
		if (d_cor < f->cfg.corrupt && len <= FAULT_FRAME_MAX) {
			memcpy(f->scratch, frame, len);
			if (corrupt_tcp(f->scratch, len, d_where)) {
				f->st.corrupted++;
				frame = f->scratch;
			}
		}
	}
	if (!f->held_len && d_reo < f->cfg.reorder && len <= FAULT_FRAME_MAX) {
		memcpy(f->held, frame, len);
		f->held_len = len;
		f->held_at = now_ns();
		f->st.reordered++;
		goto out;
	}
	ret = f->deliver(f->ctx, frame, len);
	if (d_dup < f->cfg.dup) {
		f->st.duplicated++;
		(void)f->deliver(f->ctx, frame, len);
	}
	release_held_locked(f); /* the held frame goes after this later one */
out:
	pthread_mutex_unlock(&f->lock);
	return ret;
}

void sim_fault_flush(struct sim_fault *f, uint64_t hold_ns)
{
	if (!f)
		return;
	pthread_mutex_lock(&f->lock);
	if (f->held_len && (!hold_ns || now_ns() - f->held_at >= hold_ns))
		release_held_locked(f);
	pthread_mutex_unlock(&f->lock);
}

void sim_fault_get_stats(struct sim_fault *f, struct sim_fault_stats *st)
{
	memset(st, 0, sizeof(*st));
	if (!f)
		return;
	pthread_mutex_lock(&f->lock);
	*st = f->st;
	pthread_mutex_unlock(&f->lock);
}
