/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Memory barriers of the WQE/doorbell protocol (devx-userspace B3). rdma-core keeps its own in
 * util/udma_barrier.h and util/mmio.h, which are not installed, so the library carries these:
 *   udma_to_device_barrier  WQE stores visible to the device before the dbrec store
 *   mmio_wc_start           dbrec store ordered before the doorbell MMIO store
 *   mmio_flush_writes       push the write-combined doorbell out of the CPU
 *   udma_from_device_barrier  a CQE's owner bit read before the rest of the CQE
 * On x86-64 (rdma-core v44): compiler barrier, sfence, sfence, lfence.
 */
#ifndef MLX5TLS_BARRIER_H
#define MLX5TLS_BARRIER_H

#if defined(__x86_64__)
#define udma_to_device_barrier() __asm__ volatile("" ::: "memory")
#define mmio_wc_start() __asm__ volatile("sfence" ::: "memory")
#define mmio_flush_writes() __asm__ volatile("sfence" ::: "memory")
#define udma_from_device_barrier() __asm__ volatile("lfence" ::: "memory")
#elif defined(__aarch64__)
#define udma_to_device_barrier() __asm__ volatile("dmb oshst" ::: "memory")
#define mmio_wc_start() __asm__ volatile("dsb st" ::: "memory")
#define mmio_flush_writes() __asm__ volatile("dsb st" ::: "memory")
#define udma_from_device_barrier() __asm__ volatile("dmb oshld" ::: "memory")
#else
#define udma_to_device_barrier() __atomic_thread_fence(__ATOMIC_SEQ_CST)
#define mmio_wc_start() __atomic_thread_fence(__ATOMIC_SEQ_CST)
#define mmio_flush_writes() __atomic_thread_fence(__ATOMIC_SEQ_CST)
#define udma_from_device_barrier() __atomic_thread_fence(__ATOMIC_SEQ_CST)
#endif

#endif
