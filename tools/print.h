/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The one print path of the tools (iproute2's json_print shape): every value goes through
 * pr_string()/pr_uint()/... with a JSON key and a text format, so `-j` and text output can never
 * drift apart.
 *
 *  - key: the JSON member name (snake_case, stable); ignored inside an array.
 *  - fmt: the text format, a printf format with exactly ONE conversion, "%s" (flags and width
 *    allowed: "%-10s"), which receives the value already rendered as text. NULL prints nothing in
 *    text mode (a JSON-only member). Text-only output goes through pr_text().
 *
 * In JSON mode, a member printed while no container is open opens a top-level object; pr_finish()
 * closes whatever is still open, so the output stays valid JSON even when a command bails out
 * half-way. Strings are escaped per RFC 8259 (invalid UTF-8 becomes U+FFFD); in text, a value's
 * control characters are printed as '?'.
 */
#ifndef MLX5TLS_TOOLS_PRINT_H
#define MLX5TLS_TOOLS_PRINT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* Start a document on fp (text, or JSON, pretty-printed with 4-space indents if pretty). */
void pr_init(FILE *fp, bool json, bool pretty);
/* Close every open container, end the JSON document with a newline, flush. 0 or -EIO. */
int pr_finish(void);
bool pr_is_json(void);

/* Containers (JSON only; nothing is printed in text mode). key NULL at top level / in arrays. */
void pr_open_object(const char *key);
void pr_close_object(void);
void pr_open_array(const char *key);
void pr_close_array(void);

void pr_string(const char *key, const char *fmt, const char *val); /* NULL val: JSON null, "-" */
void pr_uint(const char *key, const char *fmt, uint64_t val);
void pr_int(const char *key, const char *fmt, int64_t val);
/* Text "0x1f"; JSON the string "0x1f" (JSON has no hex numbers; iproute2's print_0xhex). */
void pr_hex(const char *key, const char *fmt, uint64_t val);
/* A number given as its JSON text (e.g. passed on from a JSON answer); the caller guarantees the
 * RFC 8259 number syntax. Text: the same characters. */
void pr_number(const char *key, const char *fmt, const char *num);
/* Text "yes"/"no"; JSON true/false. */
void pr_bool(const char *key, const char *fmt, bool val);
/* prec decimals in text and JSON; a non-finite value is "-" in text and null in JSON. */
void pr_double(const char *key, const char *fmt, double val, int prec);

/* Text only: a newline / free text. Both do nothing in JSON mode. */
void pr_nl(void);
void pr_text(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif /* MLX5TLS_TOOLS_PRINT_H */
