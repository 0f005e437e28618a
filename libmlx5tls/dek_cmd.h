/* SPDX-License-Identifier: BSD-3-Clause */
/* Pure encoders of the DEK command mailboxes (fact sheet 3.4-3.6, 12). No I/O, no state: the
 * golden tests compare their output with the fact sheet's literal vectors. */
#ifndef MLX5TLS_DEK_CMD_H
#define MLX5TLS_DEK_CMD_H

#include "cmd.h"
#include "prm/mlx5_ifc_tls.h"

#define DEK_CREATE_IN_SZ DEVX_ST_SZ_BYTES(create_encryption_key_in)
#define DEK_MODIFY_IN_SZ DEVX_ST_SZ_BYTES(modify_encryption_key_in)
#define DEK_QUERY_OUT_SZ DEVX_ST_SZ_BYTES(query_encryption_key_out)
#define DEK_HDR_IN_SZ DEVX_ST_SZ_BYTES(general_obj_in_cmd_hdr)
#define DEK_HDR_OUT_SZ DEVX_ST_SZ_BYTES(general_obj_out_cmd_hdr)
#define SYNC_CRYPTO_IN_SZ DEVX_ST_SZ_BYTES(sync_crypto_in)
#define SYNC_CRYPTO_OUT_SZ DEVX_ST_SZ_BYTES(sync_crypto_out)

/* in: DEK_CREATE_IN_SZ zeroed bytes. A single DEK holding the key; *secret = where the key is. */
void dek_encode_create(uint8_t *in, uint32_t pdn, const uint8_t *key, uint16_t key_len,
		       uint64_t opaque, struct cmd_secret *secret);
/* in: DEK_CREATE_IN_SZ zeroed bytes. A bulk of 2^log_range DEKs without keys. */
void dek_encode_create_bulk(uint8_t *in, uint32_t pdn, unsigned int log_range);
/* in: DEK_MODIFY_IN_SZ zeroed bytes. Load a key into element `offset` of the bulk at `base`. */
void dek_encode_modify(uint8_t *in, uint32_t base, uint32_t offset, uint32_t pdn,
		       const uint8_t *key, uint16_t key_len, struct cmd_secret *secret);
/* in: DEK_HDR_IN_SZ zeroed bytes. */
void dek_encode_query(uint8_t *in, uint32_t obj_id, uint32_t offset);
void dek_encode_destroy(uint8_t *in, uint32_t obj_id);
/* in: SYNC_CRYPTO_IN_SZ zeroed bytes; crypto_type MLX5_SYNC_CRYPTO_TYPE_*. */
void sync_crypto_encode(uint8_t *in, uint16_t crypto_type);

#endif
