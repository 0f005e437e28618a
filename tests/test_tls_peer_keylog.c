/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Tests of the OpenSSL peer harness's key log (tests/util/tls_peer_keys.c): SSLKEYLOGFILE and
 * opts.keylog_path get the NSS key log lines of each handshake, once each, in a file only
 * its owner reads. The fixture is tests/util/tls_peer_fixture.h.
 */
#include <fcntl.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tls_peer_fixture.h"

static int count_lines(const char *text, const char *label, size_t secret_hex, const uint8_t *cr)
{
	char cr_hex[65];
	int count = 0;

	for (int i = 0; i < 32; i++)
		snprintf(cr_hex + 2 * i, 3, "%02x", cr[i]);
	for (const char *p = text; p && *p;) {
		const char *eol = strchr(p, '\n');
		size_t ll = eol ? (size_t)(eol - p) : strlen(p);
		size_t lab = strlen(label);

		if (ll == lab + 1 + 64 + 1 + secret_hex && !strncmp(p, label, lab) &&
		    p[lab] == ' ' && !strncasecmp(p + lab + 1, cr_hex, 64) && p[lab + 65] == ' ') {
			bool hex = true;

			for (size_t i = lab + 66; i < ll; i++)
				hex = hex && strchr("0123456789abcdefABCDEF", p[i]);
			count += hex;
		}
		p = eol ? eol + 1 : NULL;
	}
	return count;
}

static void client_random_of(struct tls_peer_pair *pair, uint8_t cr[32])
{
	CU_ASSERT_EQUAL(SSL_get_client_random(tls_peer_ssl(pair, TLS_PEER_CLIENT), cr, 32), 32);
}

static void test_keylog_env(void)
{
	char dir[] = "/tmp/tls_peer_keylog_XXXXXX", path[64];
	struct tls_peer_pair *p12, *p13;
	uint8_t cr12[32], cr13[32];
	const char *old = getenv("SSLKEYLOGFILE");
	char *saved = old ? strdup(old) : NULL;
	struct stat st;
	char *text;

	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/keys.log", dir);
	CU_ASSERT_EQUAL_FATAL(setenv("SSLKEYLOGFILE", path, 1), 0);
	p12 = tls_peer_pair_create(TLS1_2_VERSION, 256, NULL);
	p13 = tls_peer_pair_create(TLS1_3_VERSION, 256, NULL);
	unsetenv("SSLKEYLOGFILE");
	CU_ASSERT_PTR_NOT_NULL_FATAL(p12);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p13);
	client_random_of(p12, cr12);
	client_random_of(p13, cr13);

	CU_ASSERT_EQUAL(stat(path, &st), 0);
	CU_ASSERT_EQUAL(st.st_mode & 0777, 0600);
	text = test_read_file(path);
	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	/* TLS 1.2: the master secret, once (written from the client's view only). */
	CU_ASSERT_EQUAL(count_lines(text, "CLIENT_RANDOM", 96, cr12), 1);
	/* TLS 1.3 (SHA-384 suite): the five secrets, once each. */
	CU_ASSERT_EQUAL(count_lines(text, "CLIENT_HANDSHAKE_TRAFFIC_SECRET", 96, cr13), 1);
	CU_ASSERT_EQUAL(count_lines(text, "SERVER_HANDSHAKE_TRAFFIC_SECRET", 96, cr13), 1);
	CU_ASSERT_EQUAL(count_lines(text, "CLIENT_TRAFFIC_SECRET_0", 96, cr13), 1);
	CU_ASSERT_EQUAL(count_lines(text, "SERVER_TRAFFIC_SECRET_0", 96, cr13), 1);
	CU_ASSERT_EQUAL(count_lines(text, "EXPORTER_SECRET", 96, cr13), 1);
	/* nothing else: 6 lines */
	{
		int lines = 0;

		for (const char *c = text; *c; c++)
			lines += *c == '\n';
		CU_ASSERT_EQUAL(lines, 6);
	}
	free(text);
	tls_peer_pair_destroy(p12);
	tls_peer_pair_destroy(p13);

	/* Without the variable nothing is written. */
	p12 = tls_peer_pair_create(TLS1_2_VERSION, 128, NULL);
	CU_ASSERT_PTR_NOT_NULL(p12);
	CU_ASSERT_EQUAL(stat(path, &st), 0);
	text = test_read_file(path);
	CU_ASSERT_PTR_NOT_NULL(text);
	if (text) {
		int lines = 0;

		for (const char *c = text; *c; c++)
			lines += *c == '\n';
		CU_ASSERT_EQUAL(lines, 6);
	}
	free(text);
	tls_peer_pair_destroy(p12);

	unlink(path);
	rmdir(dir);
	if (saved) {
		setenv("SSLKEYLOGFILE", saved, 1);
		free(saved);
	}
}

static void test_keylog_opts_path(void)
{
	char path[] = "/tmp/tls_peer_keylog_XXXXXX";
	struct tls_peer_pair *pair;
	uint8_t cr[32];
	char *text;
	int fd = mkstemp(path);

	CU_ASSERT_FATAL(fd >= 0);
	close(fd);
	{
		struct tls_peer_opts o;

		memset(&o, 0, sizeof(o));
		o.sz = sizeof(o);
		o.keylog_path = path;

		pair = tls_peer_pair_create(TLS1_3_VERSION, 128, &o);
	}
	CU_ASSERT_PTR_NOT_NULL_FATAL(pair);
	client_random_of(pair, cr);
	text = test_read_file(path);
	CU_ASSERT_PTR_NOT_NULL(text);
	CU_ASSERT_EQUAL(count_lines(text, "CLIENT_TRAFFIC_SECRET_0", 64, cr), 1);
	CU_ASSERT_EQUAL(count_lines(text, "SERVER_TRAFFIC_SECRET_0", 64, cr), 1);
	free(text);
	tls_peer_pair_destroy(pair);
	unlink(path);
}

static const struct test_case cases[] = {
	{ "SSLKEYLOGFILE gets NSS key log lines", test_keylog_env },
	{ "opts.keylog_path", test_keylog_opts_path },
	{ NULL, NULL },
};

int main(void)
{
	static const struct test_suite suites[] = {
		{ "tls_peer key log", NULL, cleanup_global, cases },
		{ NULL, NULL, NULL, NULL },
	};

	return test_run_suites(suites);
}
