/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A small JSON reader (RFC 8259) for what mlx5tls-query reads rather than writes: the answers of
 * publishing processes (mlx5tls-inspect(7)) and MLX5TLS_TRACE lines. It builds a tree that keeps
 * object members in their order (the answers' order is the order the tool prints) and numbers as
 * their source text, so a value can be passed on to the JSON output unchanged, without a round
 * trip through double.
 */
#ifndef MLX5TLS_TOOLS_JSON_H
#define MLX5TLS_TOOLS_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum jv_type { JV_NULL, JV_BOOL, JV_NUM, JV_STR, JV_ARR, JV_OBJ };

struct jv {
	enum jv_type type;
	bool b;             /* JV_BOOL */
	char *s;            /* JV_STR: the decoded UTF-8 text; JV_NUM: the number's source text */
	size_t n;           /* JV_ARR elements / JV_OBJ members */
	size_t cap;
	struct jv **items;  /* elements, or member values */
	char **keys;        /* JV_OBJ: member names, parallel to items */
};

/* Parse exactly one JSON value (surrounding white space allowed) from text[0..len). NULL on a
 * syntax error, with a message naming the byte offset in err. */
struct jv *jv_parse(const char *text, size_t len, char *err, size_t errlen);
void jv_free(struct jv *v);

/* Member `key` of an object (the first one if repeated); NULL if v is not an object or lacks it. */
const struct jv *jv_get(const struct jv *v, const char *key);
/* jv_get along a dotted path: "tracker.next_tcp_sn". */
const struct jv *jv_at(const struct jv *v, const char *path);

/* Typed reads: false (and *out untouched) if v is NULL or of another type/range. */
bool jv_u64(const struct jv *v, uint64_t *out);
bool jv_i64(const struct jv *v, int64_t *out);
bool jv_double(const struct jv *v, double *out);
bool jv_bool(const struct jv *v, bool *out);
const char *jv_str(const struct jv *v); /* JV_STR text or NULL */

/* Keep the elements of array `arr` for which keep() is true; the others are freed. */
void jv_array_filter(struct jv *arr, bool (*keep)(const struct jv *item, const void *arg),
		     const void *arg);
/* The array member `key` of object v, for editing; NULL if there is none. */
struct jv *jv_get_array_mut(struct jv *v, const char *key);
/* Move every element of array src to the end of array dst (src is left empty). 0 or -ENOMEM
 * (both unchanged). */
int jv_array_move(struct jv *dst, struct jv *src);

/* Write v through the print path (print.h) as the JSON member `key` (NULL inside arrays). */
void jv_emit(const char *key, const struct jv *v);

#endif /* MLX5TLS_TOOLS_JSON_H */
