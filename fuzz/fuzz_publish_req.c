/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The publisher's request parser and answers (publish_answer) on arbitrary request lines, with a
 * model device holding a queue, TX contexts (device and software path), DEKs and TISes.
 * Oracle: every answer is exactly one line: one JSON object (checked by a strict RFC 8259 reader
 * below), then "\n", with "schema":1 at its start; and no key byte ever appears in it.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "inspect.h"
#include "mlx5tls/mlx5tls.h"
#include "test_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* ---- a strict JSON reader: true if [p, end) is one value followed by nothing ---- */

struct jr {
	const char *p, *end;
	int depth;
};

static void ws(struct jr *j)
{
	while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\r' || *j->p == '\n'))
		j->p++;
}

static bool lit(struct jr *j, const char *s)
{
	size_t n = strlen(s);

	if ((size_t)(j->end - j->p) < n || memcmp(j->p, s, n))
		return false;
	j->p += n;
	return true;
}

static bool str(struct jr *j)
{
	if (j->p >= j->end || *j->p != '"')
		return false;
	for (j->p++; j->p < j->end; j->p++) {
		unsigned char c = (unsigned char)*j->p;

		if (c == '"') {
			j->p++;
			return true;
		}
		if (c < 0x20)
			return false;
		if (c == '\\') {
			j->p++;
			if (j->p >= j->end)
				return false;
			if (*j->p == 'u') {
				for (int k = 0; k < 4; k++) {
					j->p++;
					if (j->p >= j->end || !strchr("0123456789abcdefABCDEF", *j->p))
						return false;
				}
			} else if (!strchr("\"\\/bfnrt", *j->p)) {
				return false;
			}
		}
	}
	return false;
}

static bool number(struct jr *j)
{
	const char *s = j->p;

	if (j->p < j->end && *j->p == '-')
		j->p++;
	if (j->p >= j->end || *j->p < '0' || *j->p > '9')
		return false;
	if (*j->p == '0')
		j->p++;
	else
		while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
			j->p++;
	if (j->p < j->end && *j->p == '.') {
		j->p++;
		if (j->p >= j->end || *j->p < '0' || *j->p > '9')
			return false;
		while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
			j->p++;
	}
	return j->p > s;
}

static bool value(struct jr *j);

static bool container(struct jr *j, char close, bool obj)
{
	j->p++;
	if (++j->depth > 64)
		return false;
	ws(j);
	if (j->p < j->end && *j->p == close) {
		j->p++;
		j->depth--;
		return true;
	}
	for (;;) {
		ws(j);
		if (obj) {
			if (!str(j))
				return false;
			ws(j);
			if (j->p >= j->end || *j->p++ != ':')
				return false;
		}
		if (!value(j))
			return false;
		ws(j);
		if (j->p >= j->end)
			return false;
		if (*j->p == ',') {
			j->p++;
			continue;
		}
		if (*j->p++ != close)
			return false;
		j->depth--;
		return true;
	}
}

static bool value(struct jr *j)
{
	ws(j);
	if (j->p >= j->end)
		return false;
	switch (*j->p) {
	case '{':
		return container(j, '}', true);
	case '[':
		return container(j, ']', false);
	case '"':
		return str(j);
	case 't':
		return lit(j, "true");
	case 'f':
		return lit(j, "false");
	case 'n':
		return lit(j, "null");
	default:
		return number(j);
	}
}

/* ---- the process being inspected ---- */

static struct tls12_crypto_info_aes_gcm_256 ci;

static void setup(void)
{
	struct mlx5tls_device *dev = mlx5tls_device_open("sim", NULL);
	struct mlx5tls_pd *pd = dev ? mlx5tls_pd_alloc(dev) : NULL;
	struct mlx5tls_td *td = dev ? mlx5tls_td_alloc(dev) : NULL;
	struct mlx5tls_qp *qp = pd && td ? mlx5tls_qp_create(pd, td, NULL) : NULL;
	struct mlx5tls_dek_pool *pool = pd ? mlx5tls_dek_pool_create(pd, NULL) : NULL;
	struct mlx5tls_tx_opts o = { .sz = sizeof(o), .dek_pool = pool };

	mlx5tls_set_print(NULL);
	test_ci256(&ci, TLS_1_3_VERSION, 0x40);
	if (!qp || !pool || !mlx5tls_tx_create(qp, &ci.info, sizeof(ci), 1, &o))
		abort();
	o.flags = MLX5TLS_TX_F_SOFTWARE;
	if (!mlx5tls_tx_create(qp, &ci.info, sizeof(ci), 1, &o))
		abort();
	o.dek_pool = NULL;
	o.flags = 0;
	if (!mlx5tls_tx_create(qp, &ci.info, sizeof(ci), 1, &o))
		abort();
	/* left alive for the whole run: the answers describe them */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool ready;
	char line[1024];
	size_t len = 0;
	char *a;
	struct jr j;

	if (!ready) {
		setup();
		ready = true;
	}
	if (size >= sizeof(line))
		size = sizeof(line) - 1;
	memcpy(line, data, size);
	line[size] = 0;
	a = publish_answer(line, &len);
	if (!a)
		return 0; /* out of memory only */
	if (len < 2 || a[len - 1] != '\n' || memchr(a, '\n', len) != a + len - 1 ||
	    strlen(a) != len || strncmp(a, "{\"schema\":1,", 12))
		abort();
	j = (struct jr){ a, a + len - 1, 0 };
	if (!value(&j) || j.p != a + len - 1)
		abort();
	{
		/* the key in hex (the way a careless answer would print it), unless the request
		 * itself carried that text to be echoed; a request with characters JSON escapes
		 * could make it up from an escape ("\u0014" + "0414..."): not checked */
		char hex[17];
		bool plain = true;

		for (size_t i = 0; i < size && plain; i++)
			plain = line[i] >= 0x20 && line[i] < 0x7f && line[i] != '"' && line[i] != '\\';
		for (int i = 0; i < 8; i++)
			snprintf(hex + 2 * i, 3, "%02x", ci.key[i]);
		if (plain && memmem(a, len, hex, 16) && !memmem(line, size, hex, 16))
			abort();
	}
	free(a);
	return 0;
}
