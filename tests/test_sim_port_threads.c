/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Device model ports (sim/port.h) from several threads - every queue of a device sends to its
 * port, each queue from its own thread:
 *  - a port over an ordinary sink serialises the sink's xmit calls: never two at once;
 *  - a port over a sink that says it takes concurrent calls (sim_port_ops.concurrent, such as
 *    the embedded device's discard wire) takes no lock: one thread's frames go out while another
 *    holds the port for an LSO burst, and the counts stay exact.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

#include "sim/port.h"
#include "test_util.h"

#define THREADS 4

struct sink {
	atomic_int in_flight;
	atomic_int overlapped; /* xmit entered while another was running */
	atomic_ullong frames, bytes;
};

static int sink_xmit(void *priv, const uint8_t *frame, size_t len)
{
	struct sink *s = priv;

	(void)frame;
	if (atomic_fetch_add(&s->in_flight, 1))
		atomic_store(&s->overlapped, 1);
	for (volatile int i = 0; i < 200; i++) /* stay inside long enough to be caught */
		;
	atomic_fetch_add(&s->frames, 1);
	atomic_fetch_add(&s->bytes, len);
	atomic_fetch_sub(&s->in_flight, 1);
	return 0;
}

static const struct sim_port_ops serial_ops = { .xmit = sink_xmit };
static const struct sim_port_ops concurrent_ops = { .xmit = sink_xmit, .concurrent = true };

struct sender {
	struct sim_port *port;
	int frames;
	int errors;
};

static void *send_run(void *arg)
{
	struct sender *s = arg;
	uint8_t frame[128] = { 0 };

	for (int i = 0; i < s->frames; i++)
		s->errors += sim_port_xmit(s->port, frame, 60 + (size_t)i % 64) != 0;
	return NULL;
}

static uint64_t expected_bytes(int frames)
{
	uint64_t b = 0;

	for (int i = 0; i < frames; i++)
		b += 60 + (uint64_t)(i % 64);
	return b;
}

/* THREADS senders at once; the port's counts and the sink's agree with what was sent. */
static void run_senders(struct sim_port *port, const struct sink *sink, int frames)
{
	struct sender s[THREADS];
	pthread_t th[THREADS];
	struct sim_port_stats st;

	for (int i = 0; i < THREADS; i++) {
		s[i] = (struct sender){ .port = port, .frames = frames };
		CU_ASSERT_EQUAL_FATAL(pthread_create(&th[i], NULL, send_run, &s[i]), 0);
	}
	for (int i = 0; i < THREADS; i++) {
		pthread_join(th[i], NULL);
		CU_ASSERT_EQUAL(s[i].errors, 0);
	}
	sim_port_get_stats(port, &st);
	CU_ASSERT_EQUAL(st.frames, (uint64_t)THREADS * frames);
	CU_ASSERT_EQUAL(st.bytes, THREADS * expected_bytes(frames));
	CU_ASSERT_EQUAL(st.errors, 0);
	CU_ASSERT_EQUAL(atomic_load(&sink->frames), (uint64_t)THREADS * frames);
	CU_ASSERT_EQUAL(atomic_load(&sink->bytes), THREADS * expected_bytes(frames));
}

static void test_serial_sink_never_overlaps(void)
{
	struct sink sink = { 0 };
	struct sim_port *port = sim_port_create(&serial_ops, &sink);

	CU_ASSERT_PTR_NOT_NULL_FATAL(port);
	run_senders(port, &sink, 5000);
	CU_ASSERT_EQUAL(atomic_load(&sink.overlapped), 0);
	sim_port_destroy(port);
}

static void test_concurrent_sink_counts(void)
{
	struct sink sink = { 0 };
	struct sim_port *port = sim_port_create(&concurrent_ops, &sink);

	CU_ASSERT_PTR_NOT_NULL_FATAL(port);
	run_senders(port, &sink, 5000);
	sim_port_destroy(port);
}

static void test_concurrent_sink_not_held(void)
{
	struct sink sink = { 0 };
	struct sim_port *port = sim_port_create(&concurrent_ops, &sink);
	struct sender s = { .frames = 100 };
	struct timespec t0, t1;
	pthread_t th;

	CU_ASSERT_PTR_NOT_NULL_FATAL(port);
	s.port = port;
	/* another queue's LSO burst in progress */
	sim_port_hold(port);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	CU_ASSERT_EQUAL_FATAL(pthread_create(&th, NULL, send_run, &s), 0);
	do
		clock_gettime(CLOCK_MONOTONIC, &t1);
	while (atomic_load(&sink.frames) < 100 && t1.tv_sec - t0.tv_sec < 3);
	CU_ASSERT_EQUAL(atomic_load(&sink.frames), 100); /* less: it waited for the burst */
	sim_port_release(port);
	pthread_join(th, NULL);
	CU_ASSERT_EQUAL(s.errors, 0);
	sim_port_destroy(port);
}

int main(void)
{
	static const struct test_case cases[] = {
		{ "an ordinary sink: xmit calls never overlap", test_serial_sink_never_overlaps },
		{ "a concurrent sink: exact counts from 4 threads", test_concurrent_sink_counts },
		{ "a concurrent sink: not held up by another queue's burst",
		  test_concurrent_sink_not_held },
		{ NULL, NULL },
	};
	static const struct test_suite suites[] = {
		{ "sim ports, threads", NULL, NULL, cases },
		{ NULL, NULL, NULL, NULL },
	};

	return test_run_suites(suites);
}
