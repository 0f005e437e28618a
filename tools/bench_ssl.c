/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mlx5tls-bench tx: SSL_write() on the same records, for the cycles-per-byte comparison. An
 * OpenSSL server and client in this process (examples/example_tls.c: a certificate made in
 * memory, memory BIOs); after the handshake the server writes records of rec_size bytes and
 * what it wrote is dropped (no reader: the figure is the sender's work, framing and encryption).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "../examples/example_tls.h"
#include "bench.h"

static int move_bytes(SSL *from, SSL *to)
{
	char *data = NULL;
	long n = BIO_get_mem_data(SSL_get_wbio(from), &data);

	if (n > 0) {
		if (BIO_write(SSL_get_rbio(to), data, (int)n) != (int)n)
			return -EIO;
		(void)BIO_reset(SSL_get_wbio(from));
	}
	return 0;
}

static int handshake(SSL *server, SSL *client)
{
	SSL *ssl[2] = { client, server };
	bool done[2] = { false, false };

	for (int round = 0; round < 16 && !(done[0] && done[1]); round++) {
		for (int s = 0; s < 2; s++) {
			if (!done[s]) {
				int r = SSL_do_handshake(ssl[s]);
				int err = r == 1 ? SSL_ERROR_NONE : SSL_get_error(ssl[s], r);

				if (r == 1)
					done[s] = true;
				else if (err != SSL_ERROR_WANT_READ && err != SSL_ERROR_WANT_WRITE)
					return -EPROTO;
			}
			if (move_bytes(ssl[s], ssl[!s]))
				return -EIO;
		}
	}
	return done[0] && done[1] ? 0 : -EPROTO;
}

int bench_ssl_write(int version, unsigned int bits, uint32_t rec_size, uint32_t records,
		    double seconds, double *best_ns)
{
	struct example_tls_cfg cfg = { .prog = "mlx5tls-bench", .cn = "bench.invalid",
				       .tls_version = version, .bits = bits };
	SSL_CTX *sctx = NULL, *cctx = NULL;
	SSL *server = NULL, *client = NULL;
	uint8_t *pt = malloc(rec_size);
	int ret = pt ? example_tls_peers(&cfg, &sctx, &cctx, &server, &client) : -ENOMEM;
	double deadline;
	unsigned int passes = 0;

	*best_ns = 0;
	if (!ret)
		ret = handshake(server, client);
	if (!ret)
		memset(pt, 0x5a, rec_size);
	deadline = bench_now_ns() + seconds * 1e9;
	while (!ret && (passes < 3 || bench_now_ns() < deadline)) {
		double t0 = bench_now_ns(), t;

		for (uint32_t i = 0; i < records && !ret; i++) {
			if (SSL_write(server, pt, (int)rec_size) != (int)rec_size)
				ret = -EIO;
			(void)BIO_reset(SSL_get_wbio(server)); /* the wire drops it */
		}
		t = bench_now_ns() - t0;
		if (!passes++ || t < *best_ns)
			*best_ns = t;
	}
	SSL_free(server);
	SSL_free(client);
	SSL_CTX_free(sctx);
	SSL_CTX_free(cctx);
	free(pt);
	return ret;
}
