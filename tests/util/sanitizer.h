/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Which sanitizer a test is built with: GCC defines __SANITIZE_ADDRESS__ / __SANITIZE_THREAD__,
 * clang answers __has_feature. Tests use it to skip what a sanitizer changes (allocator
 * behaviour, mlock, time bounds), never to skip a check of the library's behaviour.
 */
#ifndef MLX5TLS_TEST_SANITIZER_H
#define MLX5TLS_TEST_SANITIZER_H

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif
#ifndef UNDER_ASAN
#define UNDER_ASAN 0
#endif

#if defined(__SANITIZE_THREAD__)
#define UNDER_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define UNDER_TSAN 1
#endif
#endif
#ifndef UNDER_TSAN
#define UNDER_TSAN 0
#endif

#endif /* MLX5TLS_TEST_SANITIZER_H */
