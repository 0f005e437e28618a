/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The tools' print module (tools/print.c), compiled into this test: the same calls give the text
 * and the JSON output, JSON strings are escaped per RFC 8259, -p indents, and a document left
 * open by a failing command is still closed into valid JSON.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "test_util.h"

#include "../tools/print.c"

static char *out_buf;
static size_t out_len;
static FILE *mem;

static void begin(bool json, bool pretty)
{
	out_buf = NULL;
	out_len = 0;
	mem = open_memstream(&out_buf, &out_len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(mem);
	pr_init(mem, json, pretty);
}

/* Finish the document and compare the whole output. */
static void expect(const char *want)
{
	CU_ASSERT_EQUAL(pr_finish(), 0);
	fclose(mem);
	if (strcmp(out_buf, want) != 0)
		fprintf(stderr, "\n--- got\n%s\n--- want\n%s\n---\n", out_buf, want);
	CU_ASSERT_STRING_EQUAL(out_buf, want);
	free(out_buf);
	out_buf = NULL;
}

/* One set of calls, the shape a CLI object uses. */
static void sample_row(void)
{
	pr_open_object(NULL);
	pr_string("name", "%s:", "sim:cx6dx");
	pr_string("kind", " kind %s", "model");
	pr_bool("model", NULL, true);
	pr_uint("log_max_dek", " log_max_dek %s", 24);
	pr_int("delta", " delta %s", -3);
	pr_hex("syndrome", " syndrome %s", 0x1f);
	pr_double("ratio", " ratio %s", 2.0 / 3.0, 3);
	pr_open_array("suites");
	pr_string(NULL, " %s", "tls1.2-aes-gcm-128");
	pr_string(NULL, " %s", "tls1.3-aes-gcm-256");
	pr_close_array();
	pr_text(" (text only)");
	pr_bool("ok", " ok %s", false);
	pr_close_object();
	pr_nl();
}

static void test_text(void)
{
	begin(false, false);
	CU_ASSERT_FALSE(pr_is_json());
	sample_row();
	expect("sim:cx6dx: kind model log_max_dek 24 delta -3 syndrome 0x1f ratio 0.667"
	       " tls1.2-aes-gcm-128 tls1.3-aes-gcm-256 (text only) ok no\n");
}

static void test_json_compact(void)
{
	begin(true, false);
	CU_ASSERT_TRUE(pr_is_json());
	pr_open_array(NULL);
	sample_row();
	sample_row();
	pr_close_array();
	expect("[{\"name\":\"sim:cx6dx\",\"kind\":\"model\",\"model\":true,\"log_max_dek\":24,"
	       "\"delta\":-3,\"syndrome\":\"0x1f\",\"ratio\":0.667,"
	       "\"suites\":[\"tls1.2-aes-gcm-128\",\"tls1.3-aes-gcm-256\"],\"ok\":false},"
	       "{\"name\":\"sim:cx6dx\",\"kind\":\"model\",\"model\":true,\"log_max_dek\":24,"
	       "\"delta\":-3,\"syndrome\":\"0x1f\",\"ratio\":0.667,"
	       "\"suites\":[\"tls1.2-aes-gcm-128\",\"tls1.3-aes-gcm-256\"],\"ok\":false}]\n");
}

static void test_json_pretty(void)
{
	begin(true, true);
	pr_open_object(NULL);
	pr_open_object("device");
	pr_string("name", "device %s", "sim");
	pr_close_object();
	pr_open_array("empty");
	pr_close_array();
	pr_open_object("none");
	pr_close_object();
	pr_open_array("steps");
	pr_open_object(NULL);
	pr_string("step", "%s", "pd_alloc");
	pr_uint("pd", " pd %s", 1);
	pr_close_object();
	pr_close_array();
	pr_close_object();
	expect("{\n"
	       "    \"device\": {\n"
	       "        \"name\": \"sim\"\n"
	       "    },\n"
	       "    \"empty\": [],\n"
	       "    \"none\": {},\n"
	       "    \"steps\": [\n"
	       "        {\n"
	       "            \"step\": \"pd_alloc\",\n"
	       "            \"pd\": 1\n"
	       "        }\n"
	       "    ]\n"
	       "}\n");
}

static void test_json_escaping(void)
{
	begin(true, false);
	pr_string("quote", NULL, "a\"b\\c/d");
	pr_string("ctl", NULL, "\n\t\r\b\f\x01\x1f");
	pr_string("utf8", NULL, "\xc3\xa9\xe2\x82\xac\xf0\x9f\x94\x91"); /* é € 🔑 pass through */
	pr_string("bad", NULL, "\xff\xc3(\xed\xa0\x80\xc0\xaf"); /* invalid, surrogate, overlong */
	pr_string("null", "%s", NULL);
	pr_string("k\"ey", NULL, "v");
	expect("{\"quote\":\"a\\\"b\\\\c/d\","
	       "\"ctl\":\"\\n\\t\\r\\b\\f\\u0001\\u001f\","
	       "\"utf8\":\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x94\x91\","
	       "\"bad\":\"\\ufffd\\ufffd(\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd\","
	       "\"null\":null,"
	       "\"k\\\"ey\":\"v\"}\n");
}

static void test_numbers(void)
{
	begin(true, false);
	pr_uint("max", NULL, UINT64_MAX);
	pr_int("min", NULL, INT64_MIN);
	pr_double("inf", NULL, INFINITY, 2);
	pr_double("nan", NULL, NAN, 2);
	pr_double("zero", NULL, 0.0, 0);
	pr_hex("hex", NULL, 0xdeadbeefcafeull);
	expect("{\"max\":18446744073709551615,\"min\":-9223372036854775808,\"inf\":null,"
	       "\"nan\":null,\"zero\":0,\"hex\":\"0xdeadbeefcafe\"}\n");

	begin(false, false);
	pr_double("inf", "inf %s", INFINITY, 2);
	pr_uint("w", " [%-4s]", 7);
	pr_string("pct", " 100%% %s", "x");
	expect("inf - [7   ] 100% x");
}

/* A command that fails half-way still leaves one valid JSON document. */
static void test_unclosed_and_auto_open(void)
{
	begin(true, false);
	pr_open_object(NULL);
	pr_open_array("steps");
	pr_open_object(NULL);
	pr_string("step", NULL, "dek_create");
	expect("{\"steps\":[{\"step\":\"dek_create\"}]}\n");

	/* a member with nothing open opens the top-level object */
	begin(true, false);
	pr_bool("ok", "%s", true);
	pr_open_array("a");
	expect("{\"ok\":true,\"a\":[]}\n");

	/* nothing printed: no output at all */
	begin(true, false);
	pr_nl();
	pr_text("text only");
	expect("");
}

static void test_fmt_check(void)
{
	CU_ASSERT_TRUE(fmt_ok("%s"));
	CU_ASSERT_TRUE(fmt_ok(" x %-10s y"));
	CU_ASSERT_TRUE(fmt_ok("100%% %s"));
	CU_ASSERT_FALSE(fmt_ok("%d"));
	CU_ASSERT_FALSE(fmt_ok("%s %s"));
	CU_ASSERT_FALSE(fmt_ok("no conversion"));
	CU_ASSERT_FALSE(fmt_ok("%"));
}

static const struct test_case cases[] = {
	{ "text", test_text },
	{ "JSON compact, same calls", test_json_compact },
	{ "JSON pretty", test_json_pretty },
	{ "JSON escaping", test_json_escaping },
	{ "numbers", test_numbers },
	{ "unclosed document, auto-open", test_unclosed_and_auto_open },
	{ "text format check", test_fmt_check },
	{ NULL, NULL },
};

int main(void)
{
	static const struct test_suite suites[] = {
		{ "print module", NULL, NULL, cases },
		{ NULL, NULL, NULL, NULL },
	};

	return test_run_suites(suites);
}
