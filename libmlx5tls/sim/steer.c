/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The receive side's steering: an exact-match 5-tuple table (ip version, source and destination
 * address, L4 protocol, source and destination port) whose rules name a TIR, plus a default
 * destination RQ for unmatched frames (rq.h "steering" for why this is an API and not commands).
 *
 * This is the model of the kernel's accel TCP flow tables (fact sheet 11.1: "steer a socket's
 * 5-tuple to its TLS TIR"; mlx5e_accel_fs_add_sk matches ip version, both addresses, both ports
 * and the protocol, nothing else). Model reading: an exact rule wins over the default destination
 * and two rules with the same match cannot exist (-EEXIST), so the lookup is one hash probe.
 *
 * Locks: the table is in STEER_SHARDS shards by the 5-tuple's hash, each with its own lock,
 * slots, rules by id and RX counters, so rules of different flows added and removed on
 * different threads (RX connections set up at once) and frames of different flows do not queue
 * on one lock. A rule's id says its shard (id = number in the shard << STEER_SHARD_BITS | shard).
 * No device lock is taken: a rule is added with its TIR's table shard held for reading
 * (sim_tir_rx_hold: DESTROY_TIR, which holds it for writing, sees the rule's pin), and its pin is
 * dropped with the rule's shard held (so a TIR's forced teardown, which removes its rules shard
 * by shard, either removes a rule or runs after that rule's removal dropped its pin). The
 * receive path takes its frame's shard and, holding it, the destination RQ's lock before letting
 * go: the rule (hence its TIR, hence the TIR's RQ) cannot go while the shard is held, and
 * sim_rq_destroy() waits for rq->lock. A TIR's last rule removed takes its RQ's context table
 * lock inside the shard's, for a prefetch (sim_tls_rx_ctx_prefetch). The default destination is an atomic pointer, read with
 * a shard held: a new one is swapped in, then every shard is taken and let go in turn, so a
 * frame that read the old one holds its lock by then, before the old one's pin is dropped. The
 * counters read (sim_dev_get_rx_stats) are the shards' summed, each read under its lock.
 */
#include <endian.h>
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "sim/sq_internal.h"

#define KEY_LEN 38 /* version, proto, src[16], dst[16], sport, dport */
#define STEER_MIN_SLOTS 16u
#define STEER_SHARD_BITS 6u
#define STEER_SHARDS (1u << STEER_SHARD_BITS)
#define RULE_NUM_FIRST 1u /* a rule's number in its shard: ids are never 0 */
#define RULE_NUM_LIMIT (1u << (32 - STEER_SHARD_BITS))

struct steer_rule {
	uint32_t id;
	uint32_t hash;
	uint8_t key[KEY_LEN];
	struct sim_tir_rx *tir;
	uint32_t tag; /* flow tag action, 0 = none */
};

/*
 * The rules by 5-tuple: open addressing, linear probing, each slot holding a rule's hash beside
 * the rule. A probe compares hashes in the slot array and reads a rule only when its hash is the
 * frame's - a new flow's add finds its slot free without reading any other rule, and a rule's
 * removal finds it in its own probe run - where a bucket chain made each of them read every
 * rule before it in the bucket, each a cache miss among 100k flows. Deletion by backward shift.
 */
struct steer_slot {
	uint32_t hash;
	struct steer_rule *rule; /* NULL = empty */
};

/* One shard of the table, on cache lines of its own. */
struct steer_shard {
	_Alignas(64) pthread_mutex_t lock;
	struct steer_slot *slots;
	uint32_t mask;  /* slots - 1, a power of two */
	uint32_t count; /* rules in slots */
	struct sim_objtab by_id; /* by the rule's number in the shard */
	uint32_t id_cursor;
	struct sim_rx_stats stats; /* frames whose flow hashes here; rules unused */
};

struct sim_steer {
	struct steer_shard shard[STEER_SHARDS];
	_Atomic(struct sim_rq *) def; /* default destination (pinned), NULL = drop; see Locks */
};

/* The shard of a flow's hash: its top bits (the slot is picked by the low ones). */
static struct steer_shard *shard_of_hash(struct sim_steer *s, uint32_t hash)
{
	return &s->shard[hash >> (32 - STEER_SHARD_BITS)];
}

static void make_key(uint8_t key[KEY_LEN], uint8_t version, uint8_t proto, const uint8_t *src,
		     const uint8_t *dst, uint16_t sport, uint16_t dport)
{
	size_t alen = version == 4 ? 4 : 16;

	memset(key, 0, KEY_LEN);
	key[0] = version;
	key[1] = proto;
	memcpy(key + 2, src, alen);
	memcpy(key + 18, dst, alen);
	key[34] = (uint8_t)(sport >> 8);
	key[35] = (uint8_t)sport;
	key[36] = (uint8_t)(dport >> 8);
	key[37] = (uint8_t)dport;
}

/*
 * A 5-tuple as its fields, read where they are: a received frame's headers or a rule's match.
 * The receive path hashes and compares the frame's bytes in place; building the 38-byte key
 * there first cost a store-forwarding stall per hash word (byte and field stores read back as
 * 8-byte words) on every frame.
 */
struct flow {
	uint8_t version;
	uint8_t proto;
	uint16_t sport;
	uint16_t dport;
	const uint8_t *src; /* 4 (IPv4) or 16 bytes */
	const uint8_t *dst;
};

static uint64_t mix(uint64_t h, uint64_t w)
{
	h = (h ^ w) * 0xbf58476d1ce4e5b9ull;
	return h ^ h >> 31;
}

static uint64_t mix_addr(uint64_t h, const uint8_t *a, size_t alen)
{
	uint64_t w = 0;

	if (alen == 4) {
		uint32_t v;

		memcpy(&v, a, 4);
		return mix(h, v);
	}
	memcpy(&w, a, 8);
	h = mix(h, w);
	memcpy(&w, a + 8, 8);
	return mix(h, w);
}

/* 8 bytes per step (multiply-xorshift, the 64-bit constants of splitmix64), not one multiply per
 * byte. Only bucket spread depends on it. */
static uint32_t flow_hash(const struct flow *f)
{
	size_t alen = f->version == 4 ? 4 : 16;
	uint64_t h = 0x9e3779b97f4a7c15ull;

	h = mix(h, (uint64_t)f->version | (uint64_t)f->proto << 8 | (uint64_t)f->sport << 16 |
			   (uint64_t)f->dport << 32);
	h = mix_addr(h, f->src, alen);
	h = mix_addr(h, f->dst, alen);
	h *= 0x94d049bb133111ebull;
	return (uint32_t)(h ^ h >> 32);
}

/* The rule's key (make_key) holds exactly this 5-tuple. */
static bool key_is_flow(const uint8_t key[KEY_LEN], const struct flow *f)
{
	size_t alen = f->version == 4 ? 4 : 16;

	return key[0] == f->version && key[1] == f->proto &&
	       key[34] == (uint8_t)(f->sport >> 8) && key[35] == (uint8_t)f->sport &&
	       key[36] == (uint8_t)(f->dport >> 8) && key[37] == (uint8_t)f->dport &&
	       !memcmp(key + 2, f->src, alen) && !memcmp(key + 18, f->dst, alen);
}

static struct steer_rule *find_rule(const struct steer_shard *s, const struct flow *f,
				    uint32_t hash)
{
	for (uint32_t i = hash & s->mask; s->slots[i].rule; i = (i + 1) & s->mask)
		if (s->slots[i].hash == hash && key_is_flow(s->slots[i].rule->key, f))
			return s->slots[i].rule;
	return NULL;
}

static void insert_slot(struct steer_slot *slots, uint32_t mask, struct steer_rule *rule)
{
	uint32_t i = rule->hash & mask;

	while (slots[i].rule)
		i = (i + 1) & mask;
	slots[i].hash = rule->hash;
	slots[i].rule = rule;
}

static void unlink_rule(struct steer_shard *s, const struct steer_rule *rule)
{
	uint32_t i, j;

	for (i = rule->hash & s->mask; s->slots[i].rule != rule; i = (i + 1) & s->mask)
		if (!s->slots[i].rule)
			return; /* not in the table */
	/* backward shift: pull later members of the probe run into the hole when their home does
	 * not lie cyclically in (hole, j] */
	for (j = (i + 1) & s->mask; s->slots[j].rule; j = (j + 1) & s->mask) {
		uint32_t home = s->slots[j].hash & s->mask;

		if (((j - home) & s->mask) >= ((j - i) & s->mask)) {
			s->slots[i] = s->slots[j];
			i = j;
		}
	}
	s->slots[i].rule = NULL;
	s->slots[i].hash = 0;
	s->count--;
}

/* Double the slots above load 3/4; a failed grow keeps the longer probe runs (the table never
 * fills: sim_steer_add_tagged refuses the rule that would take the last empty slot). */
static void maybe_grow(struct steer_shard *s)
{
	uint32_t n = s->mask + 1;
	struct steer_slot *ns;

	if ((uint64_t)s->count * 4 <= (uint64_t)n * 3 || n > UINT32_MAX / 2)
		return;
	ns = calloc((size_t)n * 2, sizeof(*ns));
	if (!ns)
		return;
	for (uint32_t i = 0; i < n; i++)
		if (s->slots[i].rule)
			insert_slot(ns, n * 2 - 1, s->slots[i].rule);
	free(s->slots);
	s->slots = ns;
	s->mask = n * 2 - 1;
}

static bool rule_any(const void *val, void *ctx)
{
	(void)val;
	(void)ctx;
	return true;
}

static void rule_free(void *val, void *ctx)
{
	(void)ctx;
	free(val);
}

/* The first n shards (a failed init) or all of them, with the rules still in them. */
static void steer_free(struct sim_steer *s, uint32_t n)
{
	while (n--) {
		struct steer_shard *sh = &s->shard[n];

		sim_objtab_remove_if(&sh->by_id, rule_any, rule_free, NULL);
		sim_objtab_fini(&sh->by_id);
		pthread_mutex_destroy(&sh->lock);
		free(sh->slots);
	}
	free(s);
}

int sim_steer_init(struct sim_dev *dev)
{
	/* aligned, so that each shard is on cache lines of its own (calloc gives 16 bytes) */
	struct sim_steer *s = aligned_alloc(_Alignof(struct sim_steer), sizeof(*s));
	uint32_t i;

	if (!s)
		return -ENOMEM;
	memset(s, 0, sizeof(*s));
	atomic_init(&s->def, NULL);
	for (i = 0; i < STEER_SHARDS; i++) {
		struct steer_shard *sh = &s->shard[i];

		sh->slots = calloc(STEER_MIN_SLOTS, sizeof(*sh->slots));
		if (!sh->slots)
			break;
		if (sim_objtab_init(&sh->by_id)) {
			free(sh->slots);
			break;
		}
		if (pthread_mutex_init(&sh->lock, NULL)) {
			sim_objtab_fini(&sh->by_id);
			free(sh->slots);
			break;
		}
		sh->mask = STEER_MIN_SLOTS - 1;
		sh->id_cursor = RULE_NUM_FIRST;
	}
	if (i < STEER_SHARDS) {
		steer_free(s, i);
		return -ENOMEM;
	}
	dev->steer = s;
	return 0;
}

void sim_steer_fini(struct sim_dev *dev)
{
	struct sim_steer *s = dev->steer;

	if (!s)
		return;
	/* Rules are gone with their TIRs (destroy_owned runs first); a default RQ still set here
	 * was never destroyed (it could not be: rq.h LIFETIME), so it is not touched. */
	steer_free(s, STEER_SHARDS);
	dev->steer = NULL;
}

static bool match_valid(const struct sim_flow_match *m)
{
	if (m->ip_version != 4 && m->ip_version != 6)
		return false;
	if (m->ip_proto != 6 && m->ip_proto != 17)
		return false;
	/* an IPv4 rule names 4-byte addresses: anything after them would never match */
	if (m->ip_version == 4)
		for (size_t i = 4; i < 16; i++)
			if (m->src_ip[i] || m->dst_ip[i])
				return false;
	return true;
}

int sim_steer_add(struct sim_dev *dev, const struct sim_flow_match *m, uint32_t tirn,
		  uint32_t *rule_id)
{
	return sim_steer_add_tagged(dev, m, tirn, 0, rule_id);
}

int sim_steer_add_tagged(struct sim_dev *dev, const struct sim_flow_match *m, uint32_t tirn,
			 uint32_t tag, uint32_t *rule_id)
{
	struct steer_rule *rule;
	struct sim_tir_rx *tir;
	struct steer_shard *s;
	struct flow f;
	uint32_t num = 0;
	int ret = 0;

	if (!dev || !m || !rule_id || !match_valid(m) || tag > 0xffffffu)
		return -EINVAL;
	rule = calloc(1, sizeof(*rule));
	if (!rule)
		return -ENOMEM;
	rule->tag = tag;
	make_key(rule->key, m->ip_version, m->ip_proto, m->src_ip, m->dst_ip, m->src_port,
		 m->dst_port);
	f = (struct flow){ m->ip_version, m->ip_proto, m->src_port, m->dst_port, m->src_ip,
			   m->dst_ip };
	rule->hash = flow_hash(&f);
	s = shard_of_hash(dev->steer, rule->hash);
	/* T9 (tir.c): the TIR cannot be destroyed until the rule's pin is in */
	tir = sim_tir_rx_hold(dev, tirn);
	if (!tir) {
		free(rule);
		return -ENOENT;
	}
	pthread_mutex_lock(&s->lock);
	if (find_rule(s, &f, rule->hash)) {
		ret = -EEXIST;
	} else if (s->count + 1 >= s->mask + 1) {
		ret = -ENOMEM; /* growing failed: one slot always stays empty, ending every probe */
	} else if (sim_objtab_alloc_num(&s->by_id, &s->id_cursor, RULE_NUM_FIRST, RULE_NUM_LIMIT,
					&num) ||
		   sim_objtab_put(&s->by_id, num, rule)) {
		ret = -ENOMEM;
	} else {
		rule->id = num << STEER_SHARD_BITS | (uint32_t)(s - dev->steer->shard);
		rule->tir = tir;
		insert_slot(s->slots, s->mask, rule);
		s->count++;
		maybe_grow(s);
		atomic_fetch_add_explicit(&tir->rule_refs, 1, memory_order_relaxed);
		*rule_id = rule->id;
	}
	pthread_mutex_unlock(&s->lock);
	sim_tir_rx_unhold(dev, tir);
	if (ret)
		free(rule);
	return ret;
}

int sim_steer_del(struct sim_dev *dev, uint32_t rule_id)
{
	struct steer_rule *rule;
	struct steer_shard *s;
	uint32_t tir_unused = 0;

	if (!dev)
		return -EINVAL;
	s = &dev->steer->shard[rule_id & (STEER_SHARDS - 1)];
	pthread_mutex_lock(&s->lock);
	rule = sim_objtab_del(&s->by_id, rule_id >> STEER_SHARD_BITS);
	if (rule) {
		/* among 100k rules the TIR is as cold as the rule's slot: asked for now, its line
		 * arrives while unlink_rule probes the slots instead of after */
		__builtin_prefetch(rule->tir, 1);
		unlink_rule(s, rule);
		/* with the shard held: see Locks (a forced teardown may free the TIR after) */
		if (atomic_fetch_sub_explicit(&rule->tir->rule_refs, 1, memory_order_release) == 1) {
			tir_unused = rule->tir->tirn;
			/* and its TLS context's slot, which the DESTROY_TIR drops (the TIR and its
			 * RQ stay while the shard is held; the table's lock nests in it: Locks) */
			if (rule->tir->tls_en)
				sim_tls_rx_ctx_prefetch(rule->tir->rq, tir_unused);
		}
	}
	pthread_mutex_unlock(&s->lock);
	free(rule);
	/* the TIR's last rule: its DESTROY_TIR usually follows (fact sheet 11.5, the rule goes
	 * first), whose look-up among 100k TIRs is a cache miss; asked for now, it arrives
	 * meanwhile (the TIR itself is warm: its count was just written) */
	if (tir_unused)
		sim_tir_prefetch_destroy(dev, tir_unused);
	return rule ? 0 : -ENOENT;
}

int sim_steer_set_default(struct sim_dev *dev, uint32_t rqn)
{
	struct sim_rq *rq = NULL, *old;
	struct sim_steer *s;
	uint32_t i;

	if (!dev)
		return -EINVAL;
	s = dev->steer;
	if (rqn && sim_rq_pin_num(dev, rqn, -1, &rq))
		return -ENOENT;
	old = atomic_exchange_explicit(&s->def, rq, memory_order_acq_rel);
	/* a frame that read the old one (with its shard held) holds the old RQ's lock once its
	 * shard is let go; sim_rq_destroy waits for that lock */
	for (i = 0; old && i < STEER_SHARDS; i++) {
		pthread_mutex_lock(&s->shard[i].lock);
		pthread_mutex_unlock(&s->shard[i].lock);
	}
	if (old)
		sim_rq_unpin(old);
	return 0;
}

struct tir_match {
	struct steer_shard *s;
	const struct sim_tir_rx *tir;
};

static bool rule_of_tir(const void *val, void *ctx)
{
	const struct tir_match *t = ctx;

	return ((const struct steer_rule *)val)->tir == t->tir;
}

static void rule_drop(void *val, void *ctx)
{
	const struct tir_match *t = ctx;
	struct steer_rule *rule = val;

	unlink_rule(t->s, rule);
	atomic_fetch_sub_explicit(&rule->tir->rule_refs, 1, memory_order_relaxed);
	free(rule);
}

void sim_steer_tir_gone(struct sim_dev *dev, struct sim_tir_rx *tir)
{
	struct sim_steer *s = dev->steer;

	if (!s)
		return;
	/* the TIR's shard is held for writing: no rule on it can be added meanwhile */
	for (uint32_t i = 0; i < STEER_SHARDS &&
			     atomic_load_explicit(&tir->rule_refs, memory_order_acquire); i++) {
		struct tir_match t = { &s->shard[i], tir };

		pthread_mutex_lock(&t.s->lock);
		sim_objtab_remove_if(&t.s->by_id, rule_of_tir, rule_drop, &t);
		pthread_mutex_unlock(&t.s->lock);
	}
}

/* The frame's 5-tuple as a rule key; false if it has none (not IP, a fragment, not TCP/UDP). */
static bool frame_flow(const struct sim_rx_frame *rx, struct flow *f)
{
	const struct sim_pkt *p = &rx->pkt;
	const uint8_t *ip = rx->frame + p->l3_off, *l4 = rx->frame + p->l4_off;

	if (!rx->parsed || (p->l4_proto != 6 && p->l4_proto != 17))
		return false;
	f->version = p->ipv4 ? 4 : 6;
	f->proto = p->l4_proto;
	f->sport = (uint16_t)(l4[0] << 8 | l4[1]);
	f->dport = (uint16_t)(l4[2] << 8 | l4[3]);
	f->src = p->ipv4 ? ip + 12 : ip + 8;
	f->dst = p->ipv4 ? ip + 16 : ip + 24;
	return true;
}

struct sim_rq *sim_steer_resolve(struct sim_dev *dev, struct sim_rx_frame *rx)
{
	struct sim_steer *st = dev->steer;
	const struct steer_rule *rule = NULL;
	struct sim_rq *rq = NULL;
	struct steer_shard *s;
	struct flow f;

	rx->tirn = 0;
	rx->tls_en = false;
	rx->flow_tag = 0;
	if (frame_flow(rx, &f)) {
		uint32_t h = flow_hash(&f);

		s = shard_of_hash(st, h);
		pthread_mutex_lock(&s->lock);
		rule = find_rule(s, &f, h);
	} else {
		s = &st->shard[0]; /* no 5-tuple: counted in the first shard */
		pthread_mutex_lock(&s->lock);
	}
	s->stats.frames++;
	s->stats.bytes += rx->len;
	if (rx->parsed && (rx->pkt.ipv4 || rx->pkt.ipv6) && !rx->l3_ok)
		s->stats.l3_not_ok++;
	if (rx->parsed && rx->pkt.l4_proto && !rx->l4_ok)
		s->stats.l4_not_ok++;
	if (rule) {
		/* T1: DIRECT, so the TIR's RQ */
		rx->tirn = rule->tir->tirn;
		rx->tls_en = rule->tir->tls_en;
		rx->flow_tag = rule->tag;
		rq = rule->tir->rq;
		s->stats.steered++;
	} else if ((rq = atomic_load_explicit(&st->def, memory_order_acquire))) {
		s->stats.to_default++;
	} else {
		s->stats.no_match++;
	}
	if (rq)
		pthread_mutex_lock(&rq->lock);
	pthread_mutex_unlock(&s->lock);
	return rq;
}

void sim_steer_count_bad_len(struct sim_dev *dev, size_t len, bool too_long)
{
	struct steer_shard *s = &dev->steer->shard[0]; /* no 5-tuple read */

	pthread_mutex_lock(&s->lock);
	s->stats.frames++;
	s->stats.bytes += len;
	if (too_long)
		s->stats.too_long++;
	else
		s->stats.too_short++;
	pthread_mutex_unlock(&s->lock);
}

void sim_dev_get_rx_stats(struct sim_dev *dev, struct sim_rx_stats *st)
{
	if (!dev || !st)
		return;
	memset(st, 0, sizeof(*st));
	for (uint32_t i = 0; i < STEER_SHARDS; i++) {
		struct steer_shard *s = &dev->steer->shard[i];

		pthread_mutex_lock(&s->lock);
		st->frames += s->stats.frames;
		st->bytes += s->stats.bytes;
		st->too_short += s->stats.too_short;
		st->too_long += s->stats.too_long;
		st->steered += s->stats.steered;
		st->to_default += s->stats.to_default;
		st->no_match += s->stats.no_match;
		st->l3_not_ok += s->stats.l3_not_ok;
		st->l4_not_ok += s->stats.l4_not_ok;
		st->rules += s->count;
		pthread_mutex_unlock(&s->lock);
	}
}
