/* SPDX-License-Identifier: BSD-3-Clause */
/* A small number per thread (thread_slot.h). */
#include <stdatomic.h>

#include "thread_slot.h"

_Thread_local unsigned int thread_slot_cur __attribute__((tls_model("initial-exec")));
static atomic_uint thread_slot_next;

unsigned int thread_slot_assign(void)
{
	unsigned int s = atomic_fetch_add_explicit(&thread_slot_next, 1, memory_order_relaxed) %
			 THREAD_SLOTS;

	thread_slot_cur = s + 1;
	return s;
}
