/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef MLX5TLS_PRM_NAMES_H
#define MLX5TLS_PRM_NAMES_H

#include <stdint.h>

/* "CREATE_GENERAL_OBJECT" for 0xa00; "UNKNOWN" for opcodes this project does not know. */
const char *prm_opcode_name(uint16_t opcode);
/* The kernel's strings for command status values (fact sheet 2.2), "unknown status" otherwise. */
const char *prm_status_name(uint8_t status);

#endif
