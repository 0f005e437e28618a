/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Key/value filters of the live-inspection commands (iproute2 rdma's res filters): each object
 * has a table of {name, kind}; the words after the command are parsed once, in pairs. Names and
 * word values match by prefix, first in table order, like objects and commands. Numbers take
 * lists and ranges: `pid 1200,1300-1310`.
 */
#ifndef MLX5TLS_TOOLS_FILTER_H
#define MLX5TLS_TOOLS_FILTER_H

#include <stdbool.h>
#include <stdint.h>

#include "tool.h"

struct jv; /* json.h */

enum filter_kind {
	FILTER_NUMS,  /* a list of numbers and ranges */
	FILTER_WORD,  /* one of `words` */
	FILTER_UINT,  /* one number (an option such as `count`) */
	FILTER_REAL,  /* one positive decimal number (`interval 0.5`) */
	FILTER_ARG,   /* any one word (a file name, an opcode name) */
};

#define FILTER_MAX_RANGES 16

struct filter_def {
	const char *name;
	enum filter_kind kind;
	const char *const *words; /* FILTER_WORD: the values, NULL-terminated */
};

struct filter_val {
	bool set;
	unsigned int nr;                   /* FILTER_NUMS: ranges */
	uint64_t lo[FILTER_MAX_RANGES];
	uint64_t hi[FILTER_MAX_RANGES];
	uint64_t num;                      /* FILTER_UINT */
	double real;                       /* FILTER_REAL */
	const char *word;                  /* FILTER_WORD: the table's word; FILTER_ARG: the arg */
	const char *arg;                   /* the value as given */
	bool single;                       /* FILTER_NUMS: exactly one number (== lo[0]) */
};

/*
 * Parse every remaining word of t as `NAME VALUE` pairs against defs (NULL-name-terminated) into
 * vals[] (same index as defs). `what` names the command in messages ("ctx show"). 0, or 1 after
 * an error message on stderr (unknown name, missing or bad value, a name given twice).
 */
int filter_parse(struct tool *t, const struct filter_def *defs, struct filter_val *vals,
		 const char *what);

/* An unset filter matches everything. */
bool filter_match_num(const struct filter_val *f, uint64_t v);
bool filter_match_word(const struct filter_val *f, const char *v);
/* A number filter on a member of an answer's row: unset matches every row; set matches a row
 * whose member `key` is a number it takes (a row without that member does not match). */
bool filter_match_member_num(const struct filter_val *f, const struct jv *row, const char *key);

/* A request to a publishing process asks it to filter too when f is one number: " key N" is
 * appended to req (the tool filters again, for ranges). */
void filter_request_num(char *req, size_t len, const char *key, const struct filter_val *f);

/* -d DEV as a filter of live objects: exact, or DEV:PROFILE when DEV has no ':' ("sim"). */
bool filter_match_device(const char *dev_filter, const char *name);

#endif /* MLX5TLS_TOOLS_FILTER_H */
