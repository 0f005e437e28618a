/* SPDX-License-Identifier: BSD-3-Clause */
/* The one table of counter names, shared by the API and mlx5tls-query. Kernel names where the
 * kernel has the counter (fact sheet 10.6: tx_tls_pool_alloc/free count TIS creations and
 * destructions by the pool). */
#include "mlx5tls_internal.h"

static const struct {
	const char *name;
	const char *desc;
} counter_table[MLX5TLS_CNT__MAX] = {
	[MLX5TLS_CNT_FW_CMDS] = { "fw_cmds", "firmware commands issued" },
	[MLX5TLS_CNT_FW_CMD_ERRORS] = { "fw_cmd_errors", "firmware commands rejected" },
	[MLX5TLS_CNT_DEK_CREATE] = { "dek_create", "single DEK objects created" },
	[MLX5TLS_CNT_DEK_DESTROY] = { "dek_destroy", "single DEK objects destroyed" },
	[MLX5TLS_CNT_DEK_BULK_ALLOC] = { "dek_bulk_alloc", "bulk DEK objects created by pools" },
	[MLX5TLS_CNT_DEK_BULK_FREE] = { "dek_bulk_free", "bulk DEK objects destroyed by pools" },
	[MLX5TLS_CNT_DEK_KEY_LOAD] = { "dek_key_load", "keys loaded into bulk DEKs (MODIFY)" },
	[MLX5TLS_CNT_DEK_SYNC] = { "dek_sync", "SYNC_CRYPTO commands issued by pools" },
	[MLX5TLS_CNT_TX_TLS_POOL_ALLOC] = { "tx_tls_pool_alloc", "TIS objects created by TIS pools" },
	[MLX5TLS_CNT_TX_TLS_POOL_FREE] = { "tx_tls_pool_free", "TIS objects destroyed by TIS pools" },
	/* fact sheet 10.6 */
	[MLX5TLS_CNT_TX_TLS_ENCRYPTED_PACKETS] = { "tx_tls_encrypted_packets",
						   "frames sent through a TLS TIS (device path)" },
	[MLX5TLS_CNT_TX_TLS_ENCRYPTED_BYTES] = { "tx_tls_encrypted_bytes",
						 "TCP payload bytes sent through a TLS TIS" },
	[MLX5TLS_CNT_TX_TLS_OOO] = { "tx_tls_ooo",
				     "device-path frames not at the expected sequence (resync)" },
	[MLX5TLS_CNT_TX_TLS_DUMP_PACKETS] = { "tx_tls_dump_packets", "DUMP WQEs completed" },
	[MLX5TLS_CNT_TX_TLS_DUMP_BYTES] = { "tx_tls_dump_bytes", "record bytes replayed by DUMPs" },
	[MLX5TLS_CNT_TX_TLS_RESYNC_BYTES] = { "tx_tls_resync_bytes",
					      "record prefix bytes requested for resync (DUMPs "
					      "posted; the kernel declares this and never counts)" },
	[MLX5TLS_CNT_TX_TLS_SKIP_NO_SYNC_DATA] = { "tx_tls_skip_no_sync_data",
						   "frames before the offload start, sent in the "
						   "clear" },
	[MLX5TLS_CNT_TX_TLS_DROP_NO_SYNC_DATA] = { "tx_tls_drop_no_sync_data",
						   "frames dropped: record released or straddling "
						   "the offload start" },
	[MLX5TLS_CNT_TX_TLS_SW_PACKETS] = { "tx_tls_sw_packets",
					    "frames encrypted by the library (software path)" },
	[MLX5TLS_CNT_TX_TLS_SW_BYTES] = { "tx_tls_sw_bytes",
					  "TCP payload bytes encrypted by the library" },
	[MLX5TLS_CNT_TX_TLS_SW_RESYNC] = { "tx_tls_sw_resync",
					   "software encryptor repositioned (retransmission)" },
	[MLX5TLS_CNT_TX_TLS_RETX_BYTES] = { "tx_tls_retx_bytes",
					    "TCP payload bytes sent again (retransmissions)" },
	[MLX5TLS_CNT_TX_TLS_CTX] = { "tx_tls_ctx", "TLS TX contexts created" },
	[MLX5TLS_CNT_TX_TLS_DEL] = { "tx_tls_del", "TLS TX contexts destroyed" },
	[MLX5TLS_CNT_TX_TLS_SW_CTX] = { "tx_tls_sw_ctx",
					"TLS TX contexts started on the software path" },
	[MLX5TLS_CNT_TX_TLS_DEMOTED] = { "tx_tls_demoted",
					 "TLS TX contexts moved to software by the retransmit "
					 "share rule" },
	[MLX5TLS_CNT_TX_TLS_REKEY] = { "tx_tls_rekey", "TLS 1.3 key updates installed" },
	[MLX5TLS_CNT_QP_RECOVER] = { "qp_recover", "send queues recovered after an error CQE" },
	[MLX5TLS_CNT_QP_REPOST] = { "qp_repost", "frames posted again after a recovery" },
	/* fact sheet 11.6 */
	[MLX5TLS_CNT_RX_TLS_DECRYPTED_PACKETS] = { "rx_tls_decrypted_packets",
						   "packets the device reported decrypted" },
	[MLX5TLS_CNT_RX_TLS_DECRYPTED_BYTES] = { "rx_tls_decrypted_bytes",
						 "TCP payload bytes of those packets" },
	[MLX5TLS_CNT_RX_TLS_RESYNC_REQ_PKT] = { "rx_tls_resync_req_pkt",
						"packets with the RESYNC status" },
	[MLX5TLS_CNT_RX_TLS_RESYNC_REQ_START] = { "rx_tls_resync_req_start",
						  "resync requests started (GET_PSV posted)" },
	[MLX5TLS_CNT_RX_TLS_RESYNC_REQ_END] = { "rx_tls_resync_req_end",
						"GET_PSV answers with a header guess (TRACKING)" },
	[MLX5TLS_CNT_RX_TLS_RESYNC_REQ_SKIP] = { "rx_tls_resync_req_skip",
						 "resync requests dropped (no room, wrong state, "
						 "the guess is no record start, retries spent)" },
	[MLX5TLS_CNT_RX_TLS_RESYNC_RES_OK] = { "rx_tls_resync_res_ok",
					       "resync answers posted (static params)" },
	[MLX5TLS_CNT_RX_TLS_RESYNC_RES_RETRY] = { "rx_tls_resync_res_retry",
						  "resync answers delayed: queue full" },
	[MLX5TLS_CNT_RX_TLS_ERR] = { "rx_tls_err", "packets with the ERROR status" },
	[MLX5TLS_CNT_RX_TLS_CTX] = { "rx_tls_ctx", "TLS RX contexts created" },
	[MLX5TLS_CNT_RX_TLS_DEL] = { "rx_tls_del", "TLS RX contexts destroyed" },
	[MLX5TLS_CNT_RX_TLS_SW_RECORDS] = { "rx_tls_sw_records",
					    "records verified in software (mixed or not "
					    "decrypted)" },
	[MLX5TLS_CNT_RX_TLS_AUTH_FAIL] = { "rx_tls_auth_fail",
					   "records that failed authentication (stream closed)" },
	[MLX5TLS_CNT_RX_TLS_KEY_UPDATE] = { "rx_tls_key_update",
					    "TLS 1.3 KeyUpdate messages received" },
	[MLX5TLS_CNT_RX_TLS_REKEY_OK] = { "rx_tls_rekey_ok",
					  "RX rekeys with the new key on the device" },
	[MLX5TLS_CNT_RX_TLS_REKEY_FAIL] = { "rx_tls_rekey_fail",
					    "RX rekeys refused (bad crypto info, not at a "
					    "KeyUpdate)" },
	[MLX5TLS_CNT_RX_TLS_REKEY_SW] = { "rx_tls_rekey_sw",
					  "RX rekeys that left the device: the context goes on in "
					  "software" },
	[MLX5TLS_CNT_RX_TLS_UNTRUSTED] = { "rx_tls_untrusted",
					   "DECRYPTED packets another TLS state of the TIR "
					   "processed: not taken as evidence" },
	[MLX5TLS_CNT_RX_TLS_TIR_RENEW] = { "rx_tls_tir_renew",
					   "TIR objects replaced to clear their TLS state" },
	[MLX5TLS_CNT_RX_TLS_HANDBACK] = { "rx_tls_handback",
					  "RX contexts handed back to a software TLS stack" },
	[MLX5TLS_CNT_RX_TLS_SW_CTX] = { "rx_tls_sw_ctx",
					"RX contexts that went to the software path" },
	[MLX5TLS_CNT_TX_TLS_REKEY_FAIL] = { "tx_tls_rekey_fail",
					    "TX key updates refused (inside a record, other "
					    "version/cipher, keys still in use, no DEK)" },
	[MLX5TLS_CNT_TX_TLS_REKEY_SW] = { "tx_tls_rekey_sw",
					  "TX key updates of contexts on the software path (of "
					  "tx_tls_rekey)" },
};

unsigned int mlx5tls_counter_count(void)
{
	return MLX5TLS_CNT__MAX;
}

const char *mlx5tls_counter_name(unsigned int idx)
{
	return idx < MLX5TLS_CNT__MAX ? counter_table[idx].name : NULL;
}

const char *mlx5tls_counter_desc(unsigned int idx)
{
	return idx < MLX5TLS_CNT__MAX ? counter_table[idx].desc : NULL;
}

int mlx5tls_device_counters(struct mlx5tls_device *dev, uint64_t *vals, unsigned int n)
{
	if (!dev || (!vals && n))
		return libmlx5tls_err(-EINVAL);
	if (n > MLX5TLS_CNT__MAX)
		n = MLX5TLS_CNT__MAX;
	inspect_counters_read(dev, vals, n);
	return (int)n;
}
