/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Allocation-failure injection for the library and the model: a program linked with
 * -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc,--wrap=aligned_alloc,--wrap=posix_memalign,
 * --wrap=strdup,--wrap=mmap (see tests/CMakeLists.txt) and the library's static archive sends
 * every allocation the library and the model make through here; OpenSSL's go through
 * failalloc_take_openssl() (CRYPTO_set_mem_functions). Allocations are counted, and the one
 * armed fails.
 */
#ifndef MLX5TLS_TEST_FAILALLOC_H
#define MLX5TLS_TEST_FAILALLOC_H

#include <stdbool.h>
#include <stdint.h>

/* Count from 0 again; fail the n-th allocation from now (1-based; 0 = never). */
void failalloc_arm(uint64_t n);
/* Allocations seen since the last failalloc_arm(). */
uint64_t failalloc_count(void);
/* Whether the armed failure happened. */
bool failalloc_fired(void);
/* Route OpenSSL's allocations here (before OpenSSL allocates anything). */
void failalloc_take_openssl(void);

#endif
