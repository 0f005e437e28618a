/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Device model internals: the object table (sim/objtab.h) against a reference array, with
 * random keys so probe runs collide and backward-shift deletion is exercised, and the
 * monotonic number allocator.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sim/objtab.h"
#include "test_util.h"

#define KEY_SPACE (1u << 16)

static uint32_t rng_state = 0x12345678;

static uint32_t rng(void)
{
	/* xorshift32: reproducible, no libc state */
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 17;
	rng_state ^= rng_state << 5;
	return rng_state;
}

static void *val_of(uint32_t key)
{
	return (void *)(uintptr_t)(key * 8u + 8u);
}

static void test_random_against_reference(void)
{
	static uint8_t present[KEY_SPACE];
	struct sim_objtab t;
	uint32_t count = 0;
	int bad = 0;

	memset(present, 0, sizeof(present));
	CU_ASSERT_EQUAL_FATAL(sim_objtab_init(&t), 0);
	for (int step = 0; step < 400000 && !bad; step++) {
		uint32_t key = 1 + rng() % (KEY_SPACE - 1);
		/* grow to ~20k entries, then churn, then drain (exercises shrink too) */
		int insert = step < 100000 ? (rng() % 4 != 0) : step < 300000 ? (rng() % 2) : 0;

		if (insert && !present[key]) {
			bad |= sim_objtab_put(&t, key, val_of(key)) != 0;
			present[key] = 1;
			count++;
		} else if (!insert) {
			void *v = sim_objtab_del(&t, key);

			bad |= v != (present[key] ? val_of(key) : NULL);
			if (present[key])
				count--;
			present[key] = 0;
		}
		bad |= t.count != count;
		if (step % 50000 == 0) {
			for (uint32_t k = 1; k < KEY_SPACE; k++)
				bad |= sim_objtab_get(&t, k) != (present[k] ? val_of(k) : NULL);
		}
	}
	CU_ASSERT_EQUAL(bad, 0);
	for (uint32_t k = 1; k < KEY_SPACE; k++)
		if (sim_objtab_get(&t, k) != (present[k] ? val_of(k) : NULL))
			bad++;
	CU_ASSERT_EQUAL(bad, 0);
	CU_ASSERT_PTR_NULL(sim_objtab_get(&t, 0));
	sim_objtab_fini(&t);
}

static bool is_odd(const void *val, void *ctx)
{
	(void)ctx;
	return (((uintptr_t)val / 8u - 1u) & 1u) != 0;
}

static void count_drop(void *val, void *ctx)
{
	(void)val;
	(*(int *)ctx)++;
}

static void test_iterate_and_remove_if(void)
{
	struct sim_objtab t;
	size_t pos = 0;
	uint32_t key;
	int seen = 0, dropped = 0;

	CU_ASSERT_EQUAL_FATAL(sim_objtab_init(&t), 0);
	for (uint32_t k = 1; k <= 5000; k++)
		CU_ASSERT_EQUAL_FATAL(sim_objtab_put(&t, k * 7919u, val_of(k * 7919u)), 0);
	while (sim_objtab_next(&t, &pos, &key)) {
		CU_ASSERT_EQUAL(key % 7919u, 0);
		seen++;
	}
	CU_ASSERT_EQUAL(seen, 5000);
	sim_objtab_remove_if(&t, is_odd, count_drop, &dropped);
	CU_ASSERT_EQUAL(dropped, 2500);
	CU_ASSERT_EQUAL(t.count, 2500);
	for (uint32_t k = 1; k <= 5000; k++)
		CU_ASSERT_PTR_EQUAL(sim_objtab_get(&t, k * 7919u), (k & 1) ? NULL : val_of(k * 7919u));
	sim_objtab_fini(&t);
}

static void test_alloc_num(void)
{
	struct sim_objtab t;
	uint32_t cursor = 10, num;

	CU_ASSERT_EQUAL_FATAL(sim_objtab_init(&t), 0);
	/* space [10, 14): monotonic, wraps to the first free number, then runs out */
	for (uint32_t want = 10; want < 14; want++) {
		CU_ASSERT_EQUAL(sim_objtab_alloc_num(&t, &cursor, 10, 14, &num), 0);
		CU_ASSERT_EQUAL(num, want);
		CU_ASSERT_EQUAL(sim_objtab_put(&t, num, val_of(num)), 0);
	}
	CU_ASSERT_EQUAL(sim_objtab_alloc_num(&t, &cursor, 10, 14, &num), -ENOSPC);
	sim_objtab_del(&t, 12);
	CU_ASSERT_EQUAL(sim_objtab_alloc_num(&t, &cursor, 10, 14, &num), 0);
	CU_ASSERT_EQUAL(num, 12);
	CU_ASSERT_EQUAL(sim_objtab_put(&t, num, val_of(num)), 0);
	sim_objtab_del(&t, 11);
	sim_objtab_del(&t, 13);
	/* cursor is past 12: 13 comes before the older 11 */
	CU_ASSERT_EQUAL(sim_objtab_alloc_num(&t, &cursor, 10, 14, &num), 0);
	CU_ASSERT_EQUAL(num, 13);
	sim_objtab_fini(&t);
}

/* Until the cursor wraps, the allocator takes the number at the cursor without looking it up:
 * a number above every one put is absent. After a wrap it looks again (a taken number is skipped),
 * and max_key stays the largest key ever put, deletions or not. */
static void test_alloc_above_max(void)
{
	struct sim_objtab t;
	uint32_t cursor = 100, num;

	CU_ASSERT_EQUAL_FATAL(sim_objtab_init(&t), 0);
	CU_ASSERT_EQUAL(t.max_key, 0);
	for (uint32_t want = 100; want < 110; want++) {
		CU_ASSERT_EQUAL(sim_objtab_alloc_num(&t, &cursor, 100, 1000, &num), 0);
		CU_ASSERT_EQUAL(num, want);
		CU_ASSERT_EQUAL(sim_objtab_put(&t, num, val_of(num)), 0);
		CU_ASSERT_EQUAL(t.max_key, num);
	}
	sim_objtab_del(&t, 109);
	CU_ASSERT_EQUAL(t.max_key, 109);
	/* a key put out of order (another allocator's, or a test's) raises it: the cursor skips it */
	CU_ASSERT_EQUAL(sim_objtab_put(&t, 111, val_of(111)), 0);
	CU_ASSERT_EQUAL(sim_objtab_alloc_num(&t, &cursor, 100, 1000, &num), 0);
	CU_ASSERT_EQUAL(num, 110);
	CU_ASSERT_EQUAL(sim_objtab_put(&t, num, val_of(num)), 0);
	CU_ASSERT_EQUAL(sim_objtab_alloc_num(&t, &cursor, 100, 1000, &num), 0);
	CU_ASSERT_EQUAL(num, 112);
	/* wrapped: 100..108 are taken, 109 was freed */
	cursor = 100;
	CU_ASSERT_EQUAL(sim_objtab_alloc_num(&t, &cursor, 100, 1000, &num), 0);
	CU_ASSERT_EQUAL(num, 109);
	sim_objtab_fini(&t);
}

/* The slot of a key, from the iteration's position (sim_objtab_next leaves pos past it). */
static uint32_t slot_of_key(const struct sim_objtab *t, uint32_t want)
{
	uint32_t key;
	size_t pos = 0;

	while (sim_objtab_next(t, &pos, &key))
		if (key == want)
			return (uint32_t)(pos - 1);
	return UINT32_MAX;
}

/*
 * Numbers are handed out in order, so the objects made one after the other share a cache line
 * of slots (four 16-byte slots per 64-byte line, the slot array on a line boundary) - a create
 * then writes the line the previous one wrote, where a slot at random is a cache miss among
 * 100k objects - while the groups of four still spread: probe runs stay short.
 */
static void test_consecutive_share_line(void)
{
	const uint32_t n = 100000;
	struct sim_objtab t;
	uint32_t shared = 0, longest = 0, run = 0;

	CU_ASSERT_EQUAL_FATAL(sim_objtab_init(&t), 0);
	CU_ASSERT_EQUAL(sizeof(struct sim_objtab_slot), 16);
	for (uint32_t k = 1; k <= n; k++)
		CU_ASSERT_EQUAL_FATAL(sim_objtab_put(&t, k, val_of(k)), 0);
	CU_ASSERT_EQUAL((uintptr_t)t.slots % 64, 0);
	for (uint32_t g = 1; g < 1000; g++) {
		uint32_t first = slot_of_key(&t, 4 * g);
		bool same = first % 4 == 0;

		for (uint32_t k = 4 * g + 1; k < 4 * g + 4; k++)
			same = same && slot_of_key(&t, k) / 4 == first / 4;
		shared += same;
	}
	/* a group whose line another group took first spills into the next one: most do not */
	CU_ASSERT(shared >= 900);
	for (uint32_t i = 0; i <= t.mask; i++) {
		run = t.slots[i].key ? run + 1 : 0;
		if (run > longest)
			longest = run;
	}
	CU_ASSERT(longest < 200);
	for (uint32_t k = 1; k <= n; k++)
		CU_ASSERT_EQUAL_FATAL(sim_objtab_get(&t, k), val_of(k));
	sim_objtab_fini(&t);
}

static const struct test_case cases[] = {
	{ "random against reference", test_random_against_reference },
	{ "iterate and remove_if", test_iterate_and_remove_if },
	{ "number allocator", test_alloc_num },
	{ "number allocator above the largest key", test_alloc_above_max },
	{ "consecutive numbers share a line of slots", test_consecutive_share_line },
	{ NULL, NULL },
};

static const struct test_suite suites[] = {
	{ "sim object table", NULL, NULL, cases },
	{ NULL, NULL, NULL, NULL },
};

int main(void)
{
	return test_run_suites(suites);
}
