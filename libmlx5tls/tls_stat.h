/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Process-wide TLS statistics under the names of the kernel's /proc/net/tls_stat
 * (Documentation/networking/tls.rst "Statistics"): how many connections are on the device or in
 * software now and in total, decryption errors, device resyncs, key updates. Every device of the
 * process counts into one table (the kernel's are per network namespace). The order is ABI
 * (mlx5tls_tls_stat_name(idx)): new entries are appended only.
 */
#ifndef MLX5TLS_TLS_STAT_H
#define MLX5TLS_TLS_STAT_H

#include <stdint.h>

enum tls_stat_id {
	TLS_STAT_CURR_TX_SW,
	TLS_STAT_CURR_RX_SW,
	TLS_STAT_CURR_TX_DEVICE,
	TLS_STAT_CURR_RX_DEVICE,
	TLS_STAT_TX_SW,
	TLS_STAT_RX_SW,
	TLS_STAT_TX_DEVICE,
	TLS_STAT_RX_DEVICE,
	TLS_STAT_DECRYPT_ERROR,
	TLS_STAT_RX_DEVICE_RESYNC,
	TLS_STAT_TX_REKEY_OK,
	TLS_STAT_TX_REKEY_ERROR,
	TLS_STAT_RX_REKEY_OK,
	TLS_STAT_RX_REKEY_ERROR,
	TLS_STAT_RX_REKEY_RECEIVED,
	TLS_STAT__MAX,
	TLS_STAT_NONE = 0xff, /* a context counted in no Curr* entry */
};

void tls_stat_add(enum tls_stat_id id, uint64_t n);

/*
 * A context moves between the Curr* entries: *where (TLS_STAT_NONE or a Curr* id) is left and
 * `to` entered; entering a Curr* entry also counts the matching total (TlsTxDevice for
 * TlsCurrTxDevice, ...).
 */
void tls_stat_move(uint8_t *where, enum tls_stat_id to);

#endif
