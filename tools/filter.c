/* SPDX-License-Identifier: BSD-3-Clause */
/* Key/value filters of the live-inspection commands (see filter.h). */
#include "filter.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

static bool prefix_of(const char *word, const char *name)
{
	size_t len = strlen(word);

	return len > 0 && len <= strlen(name) && memcmp(name, word, len) == 0;
}

/* A decimal or 0x number, no sign; false if it is not one. */
static bool parse_u64(const char *s, const char *end, uint64_t *out)
{
	unsigned long long v;
	char buf[32];
	char *e = NULL;
	size_t n = (size_t)(end - s);

	if (n == 0 || n >= sizeof(buf) || *s == '-' || *s == '+' || *s == ' ')
		return false;
	memcpy(buf, s, n);
	buf[n] = '\0';
	errno = 0;
	v = strtoull(buf, &e, strncmp(buf, "0x", 2) == 0 ? 16 : 10);
	if (errno || *e || e == buf)
		return false;
	*out = v;
	return true;
}

/* "1,3-5" */
static bool parse_nums(const char *arg, struct filter_val *v)
{
	const char *p = arg;

	v->nr = 0;
	while (*p) {
		const char *comma = strchr(p, ',');
		const char *end = comma ? comma : p + strlen(p);
		const char *dash = memchr(p, '-', (size_t)(end - p));
		uint64_t lo, hi;

		if (v->nr == FILTER_MAX_RANGES)
			return false;
		if (dash) {
			if (!parse_u64(p, dash, &lo) || !parse_u64(dash + 1, end, &hi) || hi < lo)
				return false;
		} else {
			if (!parse_u64(p, end, &lo))
				return false;
			hi = lo;
		}
		v->lo[v->nr] = lo;
		v->hi[v->nr] = hi;
		v->nr++;
		if (!comma)
			break;
		p = comma + 1;
		if (!*p)
			return false; /* "1," */
	}
	v->single = v->nr == 1 && v->lo[0] == v->hi[0];
	return v->nr > 0;
}

static int bad_value(struct tool *t, const char *what, const char *name, const char *arg,
		     const char *expect)
{
	tool_error(t, "%s: bad value '%s' for %s (%s)", what, arg, name, expect);
	return 1;
}

int filter_parse(struct tool *t, const struct filter_def *defs, struct filter_val *vals,
		 const char *what)
{
	size_t nr_defs = 0;

	while (defs[nr_defs].name)
		nr_defs++;
	memset(vals, 0, nr_defs * sizeof(*vals));

	while (tool_word(t)) {
		const char *name = tool_word(t), *arg;
		const struct filter_def *d = NULL;
		struct filter_val *v;

		for (size_t i = 0; i < nr_defs && !d; i++)
			if (prefix_of(name, defs[i].name))
				d = &defs[i];
		if (!d) {
			char names[256] = "";

			for (size_t i = 0; i < nr_defs; i++) {
				strlcat(names, " ", sizeof(names));
				strlcat(names, defs[i].name, sizeof(names));
			}
			tool_error(t, "%s: unknown filter '%s' (one of:%s)", what, name, names);
			return 1;
		}
		tool_next(t);
		arg = tool_word(t);
		if (!arg) {
			tool_error(t, "%s: %s needs a value", what, d->name);
			return 1;
		}
		tool_next(t);
		v = &vals[d - defs];
		if (v->set) {
			tool_error(t, "%s: %s given twice", what, d->name);
			return 1;
		}
		v->set = true;
		v->arg = arg;
		switch (d->kind) {
		case FILTER_NUMS:
			if (!parse_nums(arg, v))
				return bad_value(t, what, d->name, arg,
						 "numbers and ranges: 1,3-5");
			break;
		case FILTER_UINT:
			if (!parse_u64(arg, arg + strlen(arg), &v->num))
				return bad_value(t, what, d->name, arg, "a number");
			break;
		case FILTER_REAL: {
			char *end = NULL;

			errno = 0;
			v->real = strtod(arg, &end);
			if (errno || end == arg || *end || !isfinite(v->real) || v->real <= 0)
				return bad_value(t, what, d->name, arg, "a positive number");
			break;
		}
		case FILTER_WORD:
			for (const char *const *w = d->words; *w && !v->word; w++)
				if (prefix_of(arg, *w))
					v->word = *w;
			if (!v->word) {
				char expect[128] = "one of";

				for (const char *const *w = d->words; *w; w++) {
					size_t len = strlen(expect);

					snprintf(expect + len, sizeof(expect) - len, " %s", *w);
				}
				return bad_value(t, what, d->name, arg, expect);
			}
			break;
		case FILTER_ARG:
			v->word = arg;
			break;
		}
	}
	return 0;
}

bool filter_match_num(const struct filter_val *f, uint64_t v)
{
	if (!f->set)
		return true;
	for (unsigned int i = 0; i < f->nr; i++)
		if (v >= f->lo[i] && v <= f->hi[i])
			return true;
	return false;
}

bool filter_match_word(const struct filter_val *f, const char *v)
{
	return !f->set || (v && strcmp(f->word, v) == 0);
}

bool filter_match_member_num(const struct filter_val *f, const struct jv *row, const char *key)
{
	uint64_t v = 0;

	return !f->set || (jv_u64(jv_get(row, key), &v) && filter_match_num(f, v));
}

bool filter_match_device(const char *dev_filter, const char *name)
{
	size_t len;

	if (!dev_filter)
		return true;
	if (!name)
		return false;
	if (strcmp(dev_filter, name) == 0)
		return true;
	len = strlen(dev_filter);
	return !strchr(dev_filter, ':') && strncmp(name, dev_filter, len) == 0 && name[len] == ':';
}

void filter_request_num(char *req, size_t len, const char *key, const struct filter_val *f)
{
	size_t used = strlen(req);

	if (f->set && f->single && used < len)
		snprintf(req + used, len - used, " %s %llu", key, (unsigned long long)f->lo[0]);
}
