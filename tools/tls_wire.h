/* SPDX-License-Identifier: BSD-3-Clause */
/* One TLS record as a frame, and an independent check of its encryption (selftest). */
#ifndef MLX5TLS_TOOLS_TLS_WIRE_H
#define MLX5TLS_TOOLS_TLS_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tool.h"

/* An Ethernet/IPv4/TCP frame at tcp_seq whose payload is one plaintext application-data record
 * laid out as kTLS hands it to a device (TLS 1.2 explicit nonce = the record number, room for the
 * tag). The record number is ci's rec_seq. Returns the frame length, 0 if cap is too small. */
size_t tool_tls_frame(uint8_t *buf, size_t cap, const union tool_crypto_info *ci,
		      uint32_t tcp_seq, const uint8_t *pt, size_t pt_len);

/* 0 if the record in frame authenticates with ci (record number rec_seq) and decrypts to pt;
 * -EBADMSG if not, -EINVAL for a frame that holds no whole record. */
int tool_tls_check_frame(const uint8_t *frame, size_t len, const union tool_crypto_info *ci,
			 const uint8_t *pt, size_t pt_len);

#endif
