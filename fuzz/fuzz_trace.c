/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The trace decoder of mlx5tls-query (tools/json.c, tools/trace_decode.c) on arbitrary
 * MLX5TLS_TRACE lines: each line is parsed as JSON; a command record's "in"/"out" hex mailboxes
 * are decoded and their fields printed (text and JSON, alternately), a "wqe" record's params too.
 * Oracles: a mailbox the decoder accepted has the length its hex says (two digits or "**" a byte)
 * and exactly the starred bytes masked; the JSON printed is one valid document (re-parsed by the
 * tool's own reader).
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "print.h"
#include "trace_decode.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint64_t hexnum(const struct jv *v)
{
	const char *s = jv_str(v);
	uint64_t n = 0;

	if (s)
		return strtoull(s, NULL, 0);
	(void)jv_u64(v, &n);
	return n;
}

static void check_mbox(const char *hex, const struct trace_mbox *m)
{
	size_t n = strlen(hex) / 2;

	if (m->len < n)
		abort();
	for (size_t i = 0; i < n; i++) {
		bool star = hex[2 * i] == '*';

		if (m->masked[i] != star || (star && m->b[i]))
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static unsigned int calls;
	char err[128];
	char *text = malloc(size + 1), *out = NULL;
	size_t out_len = 0;
	struct jv *rec;
	FILE *fp;
	bool json = ++calls % 2;

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = 0;
	rec = jv_parse(text, size, err, sizeof(err));
	if (!rec) {
		free(text);
		return 0;
	}
	fp = open_memstream(&out, &out_len);
	if (!fp)
		abort();
	pr_init(fp, json, false);
	pr_open_array(NULL);
	{
		const char *in = jv_str(jv_get(rec, "in")), *o = jv_str(jv_get(rec, "out"));
		const char *what = jv_str(jv_get(rec, "wqe")), *d = jv_str(jv_get(rec, "data"));
		struct trace_cmd c;

		memset(&c, 0, sizeof(c));
		c.opcode = (uint16_t)hexnum(jv_get(rec, "opcode"));
		c.op_mod = (uint16_t)hexnum(jv_get(rec, "op_mod"));
		c.obj_type = (uint16_t)hexnum(jv_get(rec, "obj_type"));
		c.general_obj = c.opcode >= 0xa00 && c.opcode <= 0xa03;
		c.status = (uint8_t)hexnum(jv_get(rec, "status"));
		if (in && o && !trace_mbox_parse(in, &c.in)) {
			check_mbox(in, &c.in);
			if (!trace_mbox_parse(o, &c.out)) {
				check_mbox(o, &c.out);
				pr_open_object(NULL);
				trace_print_op_mod(&c);
				(void)trace_print_cmd_fields(&c, calls % 4 < 2);
				pr_close_object();
				trace_mbox_free(&c.out);
			}
			trace_mbox_free(&c.in);
		}
		if (what && d) {
			struct trace_mbox m;

			if (!trace_mbox_parse(d, &m)) {
				check_mbox(d, &m);
				pr_open_object(NULL);
				(void)trace_print_wqe_params(what, &m);
				pr_close_object();
				trace_mbox_free(&m);
			}
		}
	}
	pr_close_array();
	(void)pr_finish();
	fclose(fp);
	if (json) {
		struct jv *again = jv_parse(out, out_len, err, sizeof(err));

		if (!again)
			abort(); /* the decoder printed invalid JSON */
		jv_free(again);
	}
	free(out);
	jv_free(rec);
	free(text);
	return 0;
}
