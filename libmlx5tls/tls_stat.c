/* SPDX-License-Identifier: BSD-3-Clause */
/* Process-wide TLS statistics (tls_stat.h). */
#include <stdatomic.h>

#include "mlx5tls_internal.h"
#include "thread_slot.h"
#include "tls_stat.h"

/* A row per thread slot (thread_slot.h), each on lines of its own: threads that make and drop
 * contexts at once count without passing one line between their cores. A figure is the rows'
 * sum; a "now" figure goes down in the row of the thread that dropped the context, which may
 * not be the one that made it (a row wraps below zero, the sum does not). */
static struct {
	atomic_uint_fast64_t v[TLS_STAT__MAX];
} __attribute__((aligned(64))) rows[THREAD_SLOTS];

static const char *const names[TLS_STAT__MAX] = {
	[TLS_STAT_CURR_TX_SW] = "TlsCurrTxSw",
	[TLS_STAT_CURR_RX_SW] = "TlsCurrRxSw",
	[TLS_STAT_CURR_TX_DEVICE] = "TlsCurrTxDevice",
	[TLS_STAT_CURR_RX_DEVICE] = "TlsCurrRxDevice",
	[TLS_STAT_TX_SW] = "TlsTxSw",
	[TLS_STAT_RX_SW] = "TlsRxSw",
	[TLS_STAT_TX_DEVICE] = "TlsTxDevice",
	[TLS_STAT_RX_DEVICE] = "TlsRxDevice",
	[TLS_STAT_DECRYPT_ERROR] = "TlsDecryptError",
	[TLS_STAT_RX_DEVICE_RESYNC] = "TlsRxDeviceResync",
	[TLS_STAT_TX_REKEY_OK] = "TlsTxRekeyOk",
	[TLS_STAT_TX_REKEY_ERROR] = "TlsTxRekeyError",
	[TLS_STAT_RX_REKEY_OK] = "TlsRxRekeyOk",
	[TLS_STAT_RX_REKEY_ERROR] = "TlsRxRekeyError",
	[TLS_STAT_RX_REKEY_RECEIVED] = "TlsRxRekeyReceived",
};

static enum tls_stat_id total_of(enum tls_stat_id curr)
{
	switch (curr) {
	case TLS_STAT_CURR_TX_SW:
		return TLS_STAT_TX_SW;
	case TLS_STAT_CURR_RX_SW:
		return TLS_STAT_RX_SW;
	case TLS_STAT_CURR_TX_DEVICE:
		return TLS_STAT_TX_DEVICE;
	case TLS_STAT_CURR_RX_DEVICE:
		return TLS_STAT_RX_DEVICE;
	default:
		return TLS_STAT_NONE;
	}
}

void tls_stat_add(enum tls_stat_id id, uint64_t n)
{
	if (id < TLS_STAT__MAX)
		atomic_fetch_add_explicit(&rows[thread_slot()].v[id], n, memory_order_relaxed);
}

void tls_stat_move(uint8_t *where, enum tls_stat_id to)
{
	if (*where == to)
		return;
	if (*where < TLS_STAT__MAX)
		atomic_fetch_sub_explicit(&rows[thread_slot()].v[*where], 1, memory_order_relaxed);
	*where = (uint8_t)to;
	if (to < TLS_STAT__MAX) {
		tls_stat_add(to, 1);
		tls_stat_add(total_of(to), 1);
	}
}

unsigned int mlx5tls_tls_stat_count(void)
{
	return TLS_STAT__MAX;
}

const char *mlx5tls_tls_stat_name(unsigned int idx)
{
	return idx < TLS_STAT__MAX ? names[idx] : NULL;
}

int mlx5tls_tls_stat(uint64_t *vals, unsigned int n)
{
	if (!vals && n)
		return libmlx5tls_err(-EINVAL);
	if (n > TLS_STAT__MAX)
		n = TLS_STAT__MAX;
	for (unsigned int i = 0; i < n; i++) {
		uint64_t sum = 0;

		for (unsigned int r = 0; r < THREAD_SLOTS; r++)
			sum += atomic_load_explicit(&rows[r].v[i], memory_order_relaxed);
		vals[i] = sum;
	}
	return (int)n;
}
