/* SPDX-License-Identifier: BSD-3-Clause */
/* The tools' single print path: text or JSON from the same calls (see print.h). */
#include "print.h"

#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define PR_MAX_DEPTH 32

static struct {
	FILE *fp;
	bool json;
	bool pretty;
	bool wrote; /* something of the JSON document has been written */
	int depth;
	bool in_array[PR_MAX_DEPTH + 1];
	bool empty[PR_MAX_DEPTH + 1]; /* no member yet in the container at this depth */
} pr = { .fp = NULL };

void pr_init(FILE *fp, bool json, bool pretty)
{
	memset(&pr, 0, sizeof(pr));
	pr.fp = fp;
	pr.json = json;
	pr.pretty = json && pretty;
}

bool pr_is_json(void)
{
	return pr.json;
}

static FILE *out(void)
{
	return pr.fp ? pr.fp : stdout;
}

/* A text format must hold exactly one conversion and it must be %s (width/flags allowed). */
static bool fmt_ok(const char *fmt)
{
	int convs = 0;

	for (const char *p = fmt; *p; p++) {
		if (*p != '%')
			continue;
		if (p[1] == '%') {
			p++;
			continue;
		}
		p++;
		while (*p && strchr("-+ #0123456789.", *p))
			p++;
		if (*p != 's')
			return false;
		convs++;
	}
	return convs == 1;
}

/* Text output: a value's control characters are shown as '?', so a string that came from
 * elsewhere (another process's answer, a trace file) cannot drive the terminal. */
static void text_value(const char *fmt, const char *val)
{
	char *clean = NULL;

	if (!fmt)
		return;
	assert(fmt_ok(fmt));
	if (!fmt_ok(fmt))
		fmt = " %s";
	for (const char *p = val; *p; p++) {
		if ((unsigned char)*p < 0x20 || *p == 0x7f) {
			clean = strdup(val);
			break;
		}
	}
	if (clean) {
		for (char *p = clean; *p; p++)
			if ((unsigned char)*p < 0x20 || *p == 0x7f)
				*p = '?';
		val = clean;
	}
	fprintf(out(), fmt, val);
	free(clean);
}

static void indent(void)
{
	if (!pr.pretty)
		return;
	fputc('\n', out());
	for (int i = 0; i < pr.depth; i++)
		fputs("    ", out());
}

/* Length of the valid UTF-8 sequence at s (1..4), or 0 if the bytes there are not one. */
static size_t utf8_len(const unsigned char *s)
{
	size_t n;
	uint32_t cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4, cp = s[0] & 0x07;
	else
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	/* overlong forms, UTF-16 surrogates, beyond U+10FFFF */
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || (cp >= 0xd800 && cp <= 0xdfff) ||
	    cp > 0x10ffff)
		return 0;
	return n;
}

static void json_string(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	FILE *f = out();

	fputc('"', f);
	while (*p) {
		size_t n;

		switch (*p) {
		case '"': fputs("\\\"", f); p++; continue;
		case '\\': fputs("\\\\", f); p++; continue;
		case '\b': fputs("\\b", f); p++; continue;
		case '\f': fputs("\\f", f); p++; continue;
		case '\n': fputs("\\n", f); p++; continue;
		case '\r': fputs("\\r", f); p++; continue;
		case '\t': fputs("\\t", f); p++; continue;
		default: break;
		}
		if (*p < 0x20) {
			fprintf(f, "\\u%04x", *p);
			p++;
			continue;
		}
		n = utf8_len(p);
		if (n == 0) {
			fputs("\\ufffd", f);
			p++;
			continue;
		}
		fwrite(p, 1, n, f);
		p += n;
	}
	fputc('"', f);
}

/* A document holds one top-level value: once it is closed, further output is a caller bug. */
static bool json_can_write(void)
{
	if (pr.depth == 0 && pr.wrote) {
		assert(!"a second top-level JSON value");
		return false;
	}
	return true;
}

/* Open a top-level object if a member arrives while nothing is open. */
static void json_auto_open(void)
{
	if (pr.depth == 0)
		pr_open_object(NULL);
}

/* Separator, indentation and "key": before a JSON value. */
static void json_member(const char *key)
{
	if (pr.depth > 0) {
		if (!pr.empty[pr.depth])
			fputc(',', out());
		pr.empty[pr.depth] = false;
		indent();
		if (!pr.in_array[pr.depth]) {
			assert(key);
			json_string(key ? key : "");
			fputs(pr.pretty ? ": " : ":", out());
		}
	}
	pr.wrote = true;
}

static void open_container(const char *key, bool array)
{
	if (!pr.json || !json_can_write())
		return;
	if (key && pr.depth == 0)
		json_auto_open();
	json_member(key);
	assert(pr.depth < PR_MAX_DEPTH);
	if (pr.depth >= PR_MAX_DEPTH)
		return;
	fputc(array ? '[' : '{', out());
	pr.depth++;
	pr.in_array[pr.depth] = array;
	pr.empty[pr.depth] = true;
}

static void close_container(bool array)
{
	bool was_empty;

	if (!pr.json || pr.depth == 0)
		return;
	assert(pr.in_array[pr.depth] == array);
	was_empty = pr.empty[pr.depth];
	array = pr.in_array[pr.depth];
	pr.depth--;
	if (!was_empty)
		indent();
	fputc(array ? ']' : '}', out());
}

void pr_open_object(const char *key)
{
	open_container(key, false);
}

void pr_close_object(void)
{
	close_container(false);
}

void pr_open_array(const char *key)
{
	open_container(key, true);
}

void pr_close_array(void)
{
	close_container(true);
}

/* Emit one scalar: raw JSON text (number/true/null) or a string to escape. */
static void emit(const char *key, const char *fmt, const char *text, const char *json_raw)
{
	if (!pr.json) {
		text_value(fmt, text);
		return;
	}
	if (!json_can_write())
		return;
	json_auto_open();
	json_member(key);
	if (json_raw)
		fputs(json_raw, out());
	else
		json_string(text);
}

void pr_string(const char *key, const char *fmt, const char *val)
{
	emit(key, fmt, val ? val : "-", val ? NULL : "null");
}

void pr_uint(const char *key, const char *fmt, uint64_t val)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "%" PRIu64, val);
	emit(key, fmt, buf, buf);
}

void pr_int(const char *key, const char *fmt, int64_t val)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "%" PRId64, val);
	emit(key, fmt, buf, buf);
}

void pr_hex(const char *key, const char *fmt, uint64_t val)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "0x%" PRIx64, val);
	emit(key, fmt, buf, NULL);
}

void pr_number(const char *key, const char *fmt, const char *num)
{
	if (!num || !*num)
		emit(key, fmt, "-", "null");
	else
		emit(key, fmt, num, num);
}

void pr_bool(const char *key, const char *fmt, bool val)
{
	emit(key, fmt, val ? "yes" : "no", val ? "true" : "false");
}

void pr_double(const char *key, const char *fmt, double val, int prec)
{
	char buf[64];

	if (!isfinite(val)) {
		emit(key, fmt, "-", "null");
		return;
	}
	if (prec < 0 || prec > 17)
		prec = 3;
	snprintf(buf, sizeof(buf), "%.*f", prec, val);
	emit(key, fmt, buf, buf);
}

void pr_nl(void)
{
	if (!pr.json)
		fputc('\n', out());
}

void pr_text(const char *fmt, ...)
{
	va_list ap;

	if (pr.json)
		return;
	va_start(ap, fmt);
	vfprintf(out(), fmt, ap);
	va_end(ap);
}

int pr_finish(void)
{
	FILE *f = out();

	if (pr.json) {
		while (pr.depth > 0)
			close_container(pr.in_array[pr.depth]);
		if (pr.wrote)
			fputc('\n', f);
	}
	pr.wrote = false;
	if (fflush(f) != 0 || ferror(f))
		return -EIO;
	return 0;
}
