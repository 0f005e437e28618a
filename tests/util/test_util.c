/* SPDX-License-Identifier: BSD-3-Clause */
#include "test_util.h"

#include <CUnit/Basic.h>
#include <net/if.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int test_run_suites(const struct test_suite *suites)
{
	unsigned int failures, ran;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	for (const struct test_suite *s = suites; s->name; s++) {
		CU_pSuite suite = CU_add_suite(s->name, s->init, s->cleanup);

		if (!suite)
			goto fail;
		for (const struct test_case *c = s->cases; c->name; c++)
			if (!CU_add_test(suite, c->name, c->fn))
				goto fail;
	}
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	failures = CU_get_number_of_failures() + CU_get_number_of_suites_failed() +
		   CU_get_number_of_tests_failed();
	ran = CU_get_number_of_tests_run();
	CU_cleanup_registry();
	return (failures == 0 && ran > 0) ? 0 : 1;
fail:
	fprintf(stderr, "CUnit registry error: %s\n", CU_get_error_msg());
	CU_cleanup_registry();
	return 2;
}

static void dump_hex(const char *label, const uint8_t *p, size_t len)
{
	fprintf(stderr, "  %s:\n", label);
	for (size_t i = 0; i < len; i += 16) {
		fprintf(stderr, "    %04zx:", i);
		for (size_t j = i; j < len && j < i + 16; j++)
			fprintf(stderr, " %02x", p[j]);
		fputc('\n', stderr);
	}
}

int test_bytes_differ(const char *what, const void *got, const void *want, size_t len)
{
	const uint8_t *g = got, *w = want;

	for (size_t i = 0; i < len; i++) {
		if (g[i] != w[i]) {
			fprintf(stderr, "\n%s: first difference at byte %zu (got %02x, want %02x)\n",
				what, i, g[i], w[i]);
			dump_hex("got", g, len);
			dump_hex("want", w, len);
			return 1;
		}
	}
	return 0;
}

char *test_read_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long len;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (len = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0) {
		buf = malloc((size_t)len + 1);
		if (buf && fread(buf, 1, (size_t)len, f) != (size_t)len) {
			free(buf);
			buf = NULL;
		}
		if (buf)
			buf[len] = '\0';
	}
	fclose(f);
	return buf;
}

/*
 * `ip link set up` returns before the kernel's link watch has attached the device's real qdisc:
 * until then frames go to the noop qdisc, which drops them while send() reports success
 * (NET_XMIT_CN is no error), so a frame sent too early is lost without a trace - and under load
 * the link watch runs late. The operational state turns "up" when the link watch has run.
 */
bool test_wait_oper_up(const char *ifname)
{
	char path[64 + IFNAMSIZ], state[16];

	snprintf(path, sizeof(path), "/sys/class/net/%s/operstate", ifname);
	for (int waited = 0; waited < 5000; waited += 10) {
		FILE *f = fopen(path, "r");
		bool up = f && fgets(state, sizeof(state), f) && strncmp(state, "up", 2) == 0;

		if (f)
			fclose(f);
		if (up)
			return true;
		usleep(10 * 1000);
	}
	fprintf(stderr, "\n%s: operstate not up after 5 s\n", ifname);
	return false;
}
