/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A small JSON writer (RFC 8259) into a growing buffer, for the publisher's answers
 * (mlx5tls-inspect(7)): strings are escaped completely, nesting is tracked, and running out of
 * memory is remembered and reported once at the end instead of at every call.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "publish_internal.h"

void jw_raw(struct jw *w, const char *s, size_t n)
{
	if (w->oom)
		return;
	if (w->len + n + 1 > w->cap) {
		size_t cap = w->cap ? w->cap : 1024;
		char *nb;

		while (w->len + n + 1 > cap)
			cap *= 2;
		nb = realloc(w->buf, cap);
		if (!nb) {
			w->oom = true;
			return;
		}
		w->buf = nb;
		w->cap = cap;
	}
	memcpy(w->buf + w->len, s, n);
	w->len += n;
	w->buf[w->len] = '\0';
}

static void jw_puts(struct jw *w, const char *s)
{
	jw_raw(w, s, strlen(s));
}

/* Length of the well-formed UTF-8 sequence at s (1..4), 0 if it is not one. */
static size_t utf8_seq_len(const unsigned char *s)
{
	uint32_t cp;
	size_t n;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		n = 2;
		cp = s[0] & 0x1fu;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		n = 3;
		cp = s[0] & 0x0fu;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		n = 4;
		cp = s[0] & 0x07u;
	} else {
		return 0;
	}
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0; /* also stops at the terminating NUL */
		cp = cp << 6 | (s[i] & 0x3fu);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || (cp >= 0xd800 && cp <= 0xdfff) ||
	    cp > 0x10ffff)
		return 0;
	return n;
}

/* Strings come from the program name, device names and reasons: escape everything JSON
 * requires and replace bytes that are not UTF-8, so a client's parser never chokes. */
static void jw_string(struct jw *w, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	jw_raw(w, "\"", 1);
	while (*p) {
		char esc[8];
		size_t n;

		if (*p == '"' || *p == '\\') {
			esc[0] = '\\';
			esc[1] = (char)*p;
			jw_raw(w, esc, 2);
			p++;
			continue;
		}
		if (*p < 0x20) {
			snprintf(esc, sizeof(esc), "\\u%04x", *p);
			jw_puts(w, esc);
			p++;
			continue;
		}
		n = utf8_seq_len(p);
		if (!n) {
			jw_puts(w, "\\ufffd");
			p++;
			continue;
		}
		jw_raw(w, (const char *)p, n);
		p += n;
	}
	jw_raw(w, "\"", 1);
}

/* Separator and "key": before any value; key is NULL inside arrays and at the top. */
static void jw_member(struct jw *w, const char *key)
{
	if (w->depth > 0) {
		if (!w->first[w->depth])
			jw_raw(w, ",", 1);
		w->first[w->depth] = false;
	}
	if (key) {
		jw_string(w, key);
		jw_raw(w, ":", 1);
	}
}

void jw_open(struct jw *w, const char *key, char bracket)
{
	jw_member(w, key);
	jw_raw(w, &bracket, 1);
	if (w->depth < JW_MAX_DEPTH)
		w->first[++w->depth] = true;
	else
		w->oom = true; /* a bug in this file; never sent half-formed */
}

void jw_close(struct jw *w, char bracket)
{
	jw_raw(w, &bracket, 1);
	if (w->depth > 0)
		w->depth--;
}

void jw_str(struct jw *w, const char *key, const char *val)
{
	jw_member(w, key);
	jw_string(w, val);
}

void jw_u64(struct jw *w, const char *key, uint64_t val)
{
	char num[24];

	jw_member(w, key);
	snprintf(num, sizeof(num), "%" PRIu64, val);
	jw_puts(w, num);
}

void jw_bool(struct jw *w, const char *key, bool val)
{
	jw_member(w, key);
	jw_puts(w, val ? "true" : "false");
}

void jw_null(struct jw *w, const char *key)
{
	jw_member(w, key);
	jw_puts(w, "null");
}

/* Room for one more list entry in this answer. */
bool jw_entry_ok(struct jw *w)
{
	if (w->entries >= ANSWER_MAX_ENTRIES) {
		w->truncated = true;
		return false;
	}
	w->entries++;
	return true;
}
