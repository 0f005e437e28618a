/* SPDX-License-Identifier: BSD-3-Clause */
/* The tools' JSON reader (see json.h). Recursive descent with a depth bound, so hostile input
 * (a socket answer is data from another process) can neither overflow the stack nor be cut. */
#include "json.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "print.h"

/* Deeper than any answer of schema 1 or trace line; bounds the recursion. */
#define JV_MAX_DEPTH 64

struct jp {
	const char *p;
	const char *end;
	const char *start;
	char *err;
	size_t errlen;
	bool failed;
};

static void jp_fail(struct jp *jp, const char *what)
{
	if (jp->failed)
		return;
	jp->failed = true;
	if (jp->err && jp->errlen)
		snprintf(jp->err, jp->errlen, "%s at byte %zu", what, (size_t)(jp->p - jp->start));
}

static void jp_ws(struct jp *jp)
{
	while (jp->p < jp->end && (*jp->p == ' ' || *jp->p == '\t' || *jp->p == '\n' ||
				   *jp->p == '\r'))
		jp->p++;
}

static struct jv *jv_new(enum jv_type type)
{
	struct jv *v = calloc(1, sizeof(*v));

	if (v)
		v->type = type;
	return v;
}

void jv_free(struct jv *v)
{
	if (!v)
		return;
	for (size_t i = 0; i < v->n; i++) {
		jv_free(v->items[i]);
		if (v->keys)
			free(v->keys[i]);
	}
	free(v->items);
	free(v->keys);
	free(v->s);
	free(v);
}

/* Append an element (key NULL) or a member; false on ENOMEM (item then still the caller's). */
static bool jv_push(struct jv *c, char *key, struct jv *item)
{
	if (c->n == c->cap) {
		size_t cap = c->cap ? 2 * c->cap : 8;
		struct jv **items = realloc(c->items, cap * sizeof(*items));

		if (!items)
			return false;
		c->items = items;
		if (c->type == JV_OBJ) {
			char **keys = realloc(c->keys, cap * sizeof(*keys));

			if (!keys)
				return false;
			c->keys = keys;
		}
		c->cap = cap;
	}
	c->items[c->n] = item;
	if (c->type == JV_OBJ)
		c->keys[c->n] = key;
	c->n++;
	return true;
}

/* ---- strings ---- */

struct sbuf {
	char *b;
	size_t len;
	size_t cap;
};

static bool sb_put(struct sbuf *sb, const char *s, size_t n)
{
	if (sb->len + n + 1 > sb->cap) {
		size_t cap = sb->cap ? sb->cap : 32;
		char *b;

		while (sb->len + n + 1 > cap)
			cap *= 2;
		b = realloc(sb->b, cap);
		if (!b)
			return false;
		sb->b = b;
		sb->cap = cap;
	}
	memcpy(sb->b + sb->len, s, n);
	sb->len += n;
	sb->b[sb->len] = '\0';
	return true;
}

static bool sb_utf8(struct sbuf *sb, uint32_t cp)
{
	char u[4];
	size_t n;

	if (cp < 0x80) {
		u[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		u[0] = (char)(0xc0 | cp >> 6);
		u[1] = (char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		u[0] = (char)(0xe0 | cp >> 12);
		u[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[2] = (char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		u[0] = (char)(0xf0 | cp >> 18);
		u[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		u[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[3] = (char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	return sb_put(sb, u, n);
}

static int hex4(const char *p, const char *end, uint32_t *out)
{
	uint32_t v = 0;

	if (end - p < 4)
		return -1;
	for (int i = 0; i < 4; i++) {
		char c = p[i];
		int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 :
			c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;

		if (d < 0)
			return -1;
		v = v << 4 | (uint32_t)d;
	}
	*out = v;
	return 0;
}

/* A string at jp->p (the opening quote); the decoded text, malloc'd. U+0000 and lone surrogates
 * become U+FFFD: the text is used as a C string. */
static char *jp_string(struct jp *jp)
{
	struct sbuf sb = { NULL, 0, 0 };

	jp->p++;
	if (!sb_put(&sb, "", 0))
		goto nomem;
	while (jp->p < jp->end && *jp->p != '"') {
		unsigned char c = (unsigned char)*jp->p;
		uint32_t cp, lo;
		bool ok = true;

		if (c < 0x20) {
			jp_fail(jp, "control character in a string");
			goto fail;
		}
		if (c != '\\') {
			const char *run = jp->p;

			while (jp->p < jp->end && *jp->p != '"' && *jp->p != '\\' &&
			       (unsigned char)*jp->p >= 0x20)
				jp->p++;
			if (!sb_put(&sb, run, (size_t)(jp->p - run)))
				goto nomem;
			continue;
		}
		if (++jp->p >= jp->end)
			break;
		switch (*jp->p) {
		case '"': ok = sb_put(&sb, "\"", 1); break;
		case '\\': ok = sb_put(&sb, "\\", 1); break;
		case '/': ok = sb_put(&sb, "/", 1); break;
		case 'b': ok = sb_put(&sb, "\b", 1); break;
		case 'f': ok = sb_put(&sb, "\f", 1); break;
		case 'n': ok = sb_put(&sb, "\n", 1); break;
		case 'r': ok = sb_put(&sb, "\r", 1); break;
		case 't': ok = sb_put(&sb, "\t", 1); break;
		case 'u':
			if (hex4(jp->p + 1, jp->end, &cp)) {
				jp_fail(jp, "bad \\u escape");
				goto fail;
			}
			jp->p += 4;
			if (cp >= 0xd800 && cp <= 0xdbff && jp->end - jp->p >= 7 &&
			    jp->p[1] == '\\' && jp->p[2] == 'u' && !hex4(jp->p + 3, jp->end, &lo) &&
			    lo >= 0xdc00 && lo <= 0xdfff) {
				cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
				jp->p += 6;
			} else if (cp == 0 || (cp >= 0xd800 && cp <= 0xdfff)) {
				cp = 0xfffd;
			}
			ok = sb_utf8(&sb, cp);
			break;
		default:
			jp_fail(jp, "bad escape");
			goto fail;
		}
		if (!ok)
			goto nomem;
		jp->p++;
	}
	if (jp->p >= jp->end) {
		jp_fail(jp, "unterminated string");
		goto fail;
	}
	jp->p++;
	return sb.b;
nomem:
	jp_fail(jp, "out of memory");
fail:
	free(sb.b);
	return NULL;
}

/* ---- values ---- */

static struct jv *jp_value(struct jp *jp, int depth);

static struct jv *jp_number(struct jp *jp)
{
	const char *s = jp->p;
	struct jv *v;

	if (jp->p < jp->end && *jp->p == '-')
		jp->p++;
	if (jp->p < jp->end && *jp->p == '0') {
		jp->p++;
	} else if (jp->p < jp->end && *jp->p >= '1' && *jp->p <= '9') {
		while (jp->p < jp->end && *jp->p >= '0' && *jp->p <= '9')
			jp->p++;
	} else {
		jp_fail(jp, "unexpected character");
		return NULL;
	}
	if (jp->p < jp->end && *jp->p == '.') {
		jp->p++;
		if (jp->p >= jp->end || *jp->p < '0' || *jp->p > '9') {
			jp_fail(jp, "bad number");
			return NULL;
		}
		while (jp->p < jp->end && *jp->p >= '0' && *jp->p <= '9')
			jp->p++;
	}
	if (jp->p < jp->end && (*jp->p == 'e' || *jp->p == 'E')) {
		jp->p++;
		if (jp->p < jp->end && (*jp->p == '+' || *jp->p == '-'))
			jp->p++;
		if (jp->p >= jp->end || *jp->p < '0' || *jp->p > '9') {
			jp_fail(jp, "bad number");
			return NULL;
		}
		while (jp->p < jp->end && *jp->p >= '0' && *jp->p <= '9')
			jp->p++;
	}
	v = jv_new(JV_NUM);
	if (v)
		v->s = strndup(s, (size_t)(jp->p - s));
	if (!v || !v->s) {
		jv_free(v);
		jp_fail(jp, "out of memory");
		return NULL;
	}
	return v;
}

static bool jp_word(struct jp *jp, const char *w)
{
	size_t n = strlen(w);

	if ((size_t)(jp->end - jp->p) < n || memcmp(jp->p, w, n) != 0) {
		jp_fail(jp, "unexpected character");
		return false;
	}
	jp->p += n;
	return true;
}

static struct jv *jp_container(struct jp *jp, int depth, bool object)
{
	struct jv *c = jv_new(object ? JV_OBJ : JV_ARR);
	char close = object ? '}' : ']';

	if (!c) {
		jp_fail(jp, "out of memory");
		return NULL;
	}
	jp->p++;
	jp_ws(jp);
	if (jp->p < jp->end && *jp->p == close) {
		jp->p++;
		return c;
	}
	for (;;) {
		char *key = NULL;
		struct jv *item;

		if (object) {
			jp_ws(jp);
			if (jp->p >= jp->end || *jp->p != '"') {
				jp_fail(jp, "expected a member name");
				goto fail;
			}
			key = jp_string(jp);
			if (!key)
				goto fail;
			jp_ws(jp);
			if (jp->p >= jp->end || *jp->p != ':') {
				free(key);
				jp_fail(jp, "expected ':'");
				goto fail;
			}
			jp->p++;
		}
		item = jp_value(jp, depth + 1);
		if (!item) {
			free(key);
			goto fail;
		}
		if (!jv_push(c, key, item)) {
			free(key);
			jv_free(item);
			jp_fail(jp, "out of memory");
			goto fail;
		}
		jp_ws(jp);
		if (jp->p < jp->end && *jp->p == close) {
			jp->p++;
			return c;
		}
		if (jp->p >= jp->end || *jp->p != ',') {
			jp_fail(jp, object ? "expected ',' or '}'" : "expected ',' or ']'");
			goto fail;
		}
		jp->p++;
	}
fail:
	jv_free(c);
	return NULL;
}

static struct jv *jp_value(struct jp *jp, int depth)
{
	struct jv *v;

	if (depth > JV_MAX_DEPTH) {
		jp_fail(jp, "nested too deep");
		return NULL;
	}
	jp_ws(jp);
	if (jp->p >= jp->end) {
		jp_fail(jp, "unexpected end");
		return NULL;
	}
	switch (*jp->p) {
	case '{':
		return jp_container(jp, depth, true);
	case '[':
		return jp_container(jp, depth, false);
	case '"':
		v = jv_new(JV_STR);
		if (!v) {
			jp_fail(jp, "out of memory");
			return NULL;
		}
		v->s = jp_string(jp);
		if (!v->s) {
			jv_free(v);
			return NULL;
		}
		return v;
	case 't':
	case 'f': {
		bool truth = *jp->p == 't';

		if (!jp_word(jp, truth ? "true" : "false"))
			return NULL;
		v = jv_new(JV_BOOL);
		if (!v) {
			jp_fail(jp, "out of memory");
			return NULL;
		}
		v->b = truth;
		return v;
	}
	case 'n':
		if (!jp_word(jp, "null"))
			return NULL;
		v = jv_new(JV_NULL);
		if (!v)
			jp_fail(jp, "out of memory");
		return v;
	default:
		return jp_number(jp);
	}
}

struct jv *jv_parse(const char *text, size_t len, char *err, size_t errlen)
{
	struct jp jp = { .p = text, .end = text + len, .start = text, .err = err,
			 .errlen = errlen, .failed = false };
	struct jv *v;

	if (err && errlen)
		err[0] = '\0';
	v = jp_value(&jp, 0);
	if (!v)
		return NULL;
	jp_ws(&jp);
	if (jp.p != jp.end) {
		jp_fail(&jp, "text after the JSON value");
		jv_free(v);
		return NULL;
	}
	return v;
}

/* ---- access ---- */

const struct jv *jv_get(const struct jv *v, const char *key)
{
	if (!v || v->type != JV_OBJ)
		return NULL;
	for (size_t i = 0; i < v->n; i++)
		if (strcmp(v->keys[i], key) == 0)
			return v->items[i];
	return NULL;
}

const struct jv *jv_at(const struct jv *v, const char *path)
{
	char name[128];

	while (v && *path) {
		size_t n = strcspn(path, ".");

		if (n >= sizeof(name))
			return NULL;
		memcpy(name, path, n);
		name[n] = '\0';
		v = jv_get(v, name);
		path += n;
		if (*path == '.')
			path++;
	}
	return v;
}

bool jv_u64(const struct jv *v, uint64_t *out)
{
	unsigned long long x;
	char *end = NULL;

	if (!v || v->type != JV_NUM || v->s[0] == '-')
		return false;
	errno = 0;
	x = strtoull(v->s, &end, 10);
	if (errno || *end)
		return false; /* a fraction or an exponent: not a count */
	*out = x;
	return true;
}

bool jv_i64(const struct jv *v, int64_t *out)
{
	long long x;
	char *end = NULL;

	if (!v || v->type != JV_NUM)
		return false;
	errno = 0;
	x = strtoll(v->s, &end, 10);
	if (errno || *end)
		return false;
	*out = x;
	return true;
}

bool jv_double(const struct jv *v, double *out)
{
	if (!v || v->type != JV_NUM)
		return false;
	*out = strtod(v->s, NULL);
	return true;
}

bool jv_bool(const struct jv *v, bool *out)
{
	if (!v || v->type != JV_BOOL)
		return false;
	*out = v->b;
	return true;
}

const char *jv_str(const struct jv *v)
{
	return v && v->type == JV_STR ? v->s : NULL;
}

void jv_array_filter(struct jv *arr, bool (*keep)(const struct jv *item, const void *arg),
		     const void *arg)
{
	size_t w = 0;

	if (!arr || arr->type != JV_ARR)
		return;
	for (size_t i = 0; i < arr->n; i++) {
		if (keep(arr->items[i], arg))
			arr->items[w++] = arr->items[i];
		else
			jv_free(arr->items[i]);
	}
	arr->n = w;
}

int jv_array_move(struct jv *dst, struct jv *src)
{
	if (!dst || !src || dst->type != JV_ARR || src->type != JV_ARR)
		return -EINVAL;
	if (dst->n + src->n > dst->cap) {
		size_t cap = dst->cap ? dst->cap : 16;
		struct jv **items;

		while (cap < dst->n + src->n)
			cap *= 2;
		items = realloc(dst->items, cap * sizeof(*items));
		if (!items)
			return -ENOMEM;
		dst->items = items;
		dst->cap = cap;
	}
	memcpy(dst->items + dst->n, src->items, src->n * sizeof(*src->items));
	dst->n += src->n;
	src->n = 0;
	return 0;
}

struct jv *jv_get_array_mut(struct jv *v, const char *key)
{
	if (!v || v->type != JV_OBJ)
		return NULL;
	for (size_t i = 0; i < v->n; i++)
		if (strcmp(v->keys[i], key) == 0)
			return v->items[i]->type == JV_ARR ? v->items[i] : NULL;
	return NULL;
}

void jv_emit(const char *key, const struct jv *v)
{
	if (!v) { /* a member the answer lacks: null */
		pr_string(key, NULL, NULL);
		return;
	}
	switch (v->type) {
	case JV_NULL:
		pr_string(key, NULL, NULL);
		break;
	case JV_BOOL:
		pr_bool(key, NULL, v->b);
		break;
	case JV_NUM:
		pr_number(key, NULL, v->s);
		break;
	case JV_STR:
		pr_string(key, NULL, v->s);
		break;
	case JV_ARR:
		pr_open_array(key);
		for (size_t i = 0; i < v->n; i++)
			jv_emit(NULL, v->items[i]);
		pr_close_array();
		break;
	case JV_OBJ:
		pr_open_object(key);
		for (size_t i = 0; i < v->n; i++)
			jv_emit(v->keys[i], v->items[i]);
		pr_close_object();
		break;
	}
}
