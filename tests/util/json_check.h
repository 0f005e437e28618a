/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A minimal JSON syntax checker (RFC 8259) for the tools' -j output: syntax only, no values
 * kept. test_cli_tools checks that it can say no.
 */
#ifndef MLX5TLS_TEST_JSON_CHECK_H
#define MLX5TLS_TEST_JSON_CHECK_H

#include <stdbool.h>

/* s holds one JSON text and nothing else but whitespace. */
bool json_valid(const char *s);

#endif
