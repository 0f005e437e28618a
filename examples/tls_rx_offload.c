/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tls_rx_offload: the receive side of a TLS session decrypted by the NIC.
 *
 *   tls_rx_offload [-d DEV] [--tls 1.2|1.3] [--bits 128|256] [-n RECORDS] [--size BYTES]
 *                  [--loss P] [--reorder P] [--corrupt N] [--seed N]
 *
 * This program is the client of a TLS connection; an in-process OpenSSL server talks to it:
 *   1. a real OpenSSL handshake between an in-process client and server (TLS bytes moved through
 *      memory BIOs: the handshake is in the clear and not the subject here);
 *   2. the server's write keys, as kTLS takes them (struct tls12_crypto_info_aes_gcm_128/_256),
 *      become the client's TLS RX context: the device decrypts what the server sends;
 *   3. the server writes RECORDS records of BYTES plaintext with OpenSSL (real ciphertext);
 *   4. its stream is cut into TCP segments (MSS 1448) in Ethernet/IPv4/TCP frames with correct
 *      checksums, which arrive at the model's port (mlx5tls_model_wire_rx). A flow rule steers
 *      them to a TLS-enabled TIR that delivers to a receive queue, each packet with its TLS
 *      status (decrypted, resync request, authentication error, or not decrypted);
 *   5. the client polls the queue, tells the RX context about every packet as it arrives
 *      (mlx5tls_rx_packet: this is when a device resync request is served, through GET_PSV),
 *      reassembles TCP (out-of-order segments wait) and hands the payload over in TCP order
 *      (mlx5tls_rx_input). Records the device authenticated are delivered as they are; records
 *      that arrived partly decrypted or not at all are completed in software. Only verified
 *      plaintext reaches the application, which compares it with what the server wrote.
 *
 * --loss P: a segment is lost with probability P and retransmitted 20 to 39 segments later,
 * further than a whole record: when it carried a record header the device loses track of the
 * records, scans the stream for a header and asks for a resync (served as said above).
 * --reorder P: two adjacent segments swap places with probability P.
 * --corrupt N: one ciphertext byte of record N (0 = the first application record) is flipped
 * at the sender (the TCP checksum is right: a corrupted record, not a corrupted segment). The
 * expected outcome is that the stream is closed with an authentication error and that no byte of
 * record N (nor later) is delivered; the program exits 0 when the library does exactly that.
 *
 * Exit status 0 on success, 1 otherwise. Key material is never printed.
 *
 * The frames are injected into the device model's port, so this program runs on model devices
 * only; on a ConnectX-6 Dx the same receive calls work with frames from the cable.
 *
 * Files: tls_rx_offload_shared.h lists them and their jobs.
 *
 * Build: cc tls_rx_offload*.c example_tls.c \
 *          $(pkg-config --cflags --libs libmlx5tls libssl libcrypto)
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/ssl.h>

#include <mlx5tls/mlx5tls.h>

#include "example_tls.h"
#include "tls_rx_offload_shared.h"

static int print_counters(struct app *a)
{
	unsigned int n = mlx5tls_counter_count();
	uint64_t *v = calloc(n ? n : 1, sizeof(*v));
	int got, shown = 0;

	if (!v)
		return -ENOMEM;
	got = mlx5tls_device_counters(a->dev, v, n);
	printf("counters: ");
	for (int i = 0; i < got; i++) {
		const char *name = mlx5tls_counter_name((unsigned int)i);

		if (!name || strncmp(name, "rx_tls_", 7))
			continue;
		printf("%s%s %" PRIu64, shown && shown % 4 == 0 ? "\n           " : " ", name,
		       v[i]);
		shown++;
	}
	printf("\n");
	free(v);
	return got < 0 ? got : 0;
}

static int teardown(struct app *a)
{
	int ret = 0, err;

	/* the reverse order of creation: each object refuses to go while another uses it */
	if (a->rx && (err = mlx5tls_rx_destroy(a->rx)))
		ret = err;
	if (a->flow && (err = mlx5tls_flow_destroy(a->flow)))
		ret = ret ? ret : err;
	if (a->tir && (err = mlx5tls_tir_destroy(a->tir)))
		ret = ret ? ret : err;
	if (a->rq && (err = mlx5tls_rq_destroy(a->rq)))
		ret = ret ? ret : err;
	if (a->qp && (err = mlx5tls_qp_destroy(a->qp)))
		ret = ret ? ret : err;
	if (a->td && (err = mlx5tls_td_dealloc(a->td)))
		ret = ret ? ret : err;
	if (a->pd && (err = mlx5tls_pd_dealloc(a->pd)))
		ret = ret ? ret : err;
	if (a->dev && (err = mlx5tls_device_close(a->dev)))
		ret = ret ? ret : err;
	if (ret)
		report("teardown", ret);
	for (unsigned int i = 0; i < a->n_held; i++)
		free(a->held[i].bytes);
	free(a->held);
	SSL_free(a->client);
	SSL_free(a->server);
	SSL_CTX_free(a->cctx);
	SSL_CTX_free(a->sctx);
	free(a->plain);
	free(a->stream);
	return ret;
}

/* The outcome: 0 when the library behaved as it must for this run. */
static int verdict(struct app *a, const struct mlx5tls_rx_info *ri)
{
	uint64_t expect = a->o.corrupt ? (uint64_t)a->o.corrupt_rec * a->o.size : a->plain_len;

	if (a->mismatch) {
		printf("FAILED: delivered plaintext differs from what the server wrote\n");
		return -EIO;
	}
	if (a->o.corrupt) {
		if (a->input_err == -EBADMSG && ri->failed && a->got_bytes == expect) {
			printf("EXPECTED: record %u failed authentication; the stream was closed "
			       "(-EBADMSG) and no byte of it was delivered\n", a->o.corrupt_rec);
			printf("OK: %" PRIu64 " bytes of verified plaintext (the %u records "
			       "before it), then the authentication error\n", a->got_bytes,
			       a->o.corrupt_rec);
			return 0;
		}
		printf("FAILED: corrupted record %u: mlx5tls_rx_input %s, %" PRIu64 " of %" PRIu64
		       " bytes delivered\n", a->o.corrupt_rec,
		       a->input_err ? strerror(-a->input_err) : "did not fail", a->got_bytes,
		       expect);
		return -EIO;
	}
	if (a->input_err || a->got_bytes != expect || a->bad_csum || a->dropped) {
		printf("FAILED: %" PRIu64 " of %" PRIu64 " bytes delivered%s%s\n", a->got_bytes,
		       expect, a->input_err ? ": " : "",
		       a->input_err ? strerror(-a->input_err) : "");
		return -EIO;
	}
	printf("OK: %" PRIu64 " bytes of verified plaintext\n", a->got_bytes);
	return 0;
}

static int run(struct app *a)
{
	/* Each lost record header may cost one device resync; 64 covers the demo's loss rates, a
	 * request beyond it is skipped and those records are completed in software. */
	MLX5TLS_OPTS(mlx5tls_rx_opts, xo, .resync_max = 64);
	struct mlx5tls_rx_info ri;
	const struct example_tls_cfg cfg = { .prog = PROG, .cn = "tls-rx-offload.example",
					     .tls_version = a->o.tls_version, .bits = a->o.bits,
					     .capture = true };
	struct arrival *arr = NULL;
	union mlx5tls_crypto_info ci;
	size_t ci_len, hs_bytes = 0;
	int ret;

	ret = open_device(a);
	if (ret)
		return ret;
	ret = example_tls_peers(&cfg, &a->sctx, &a->cctx, &a->server, &a->client);
	if (ret)
		return ret;
	ret = tls_handshake(a, &hs_bytes);
	if (ret)
		return ret;
	/* The server's SYN takes one sequence number, its handshake flight hs_bytes: the device
	 * takes over at the first byte after them. */
	a->isn = (uint32_t)rng_next(&a->rng);
	a->start_sn = a->isn + 1 + (uint32_t)hs_bytes;

	ci_len = example_tls_export_server_tx(a->server, &ci);
	if (!ci_len) {
		fprintf(stderr, PROG ": cannot derive the server's write keys\n");
		return -EPROTO;
	}
	a->rx = mlx5tls_rx_create(a->qp, a->tir, &ci.info, ci_len, a->start_sn, &xo);
	ret = a->rx ? 0 : -errno;
	OPENSSL_cleanse(&ci, sizeof(ci)); /* the library keeps what it needs */
	if (ret) {
		report("TLS RX context create", ret);
		return ret;
	}
	ret = drain_control(a); /* static and progress params in place before the first frame */
	if (!ret)
		ret = server_write(a);
	if (!ret)
		ret = check_stream(a);
	if (ret)
		return ret;
	arr = schedule(a);
	if (!arr)
		return -ENOMEM;
	ret = receive_all(a, arr);
	free(arr);
	if (ret)
		return ret;

	ret = mlx5tls_rx_query(a->rx, &ri, sizeof(ri));
	if (ret) {
		report("RX query", ret);
		return ret;
	}
	printf("session:   TLS %s %s, server write keys offloaded for RX at TCP seq %u\n",
	       a->o.tls_version == TLS1_2_VERSION ? "1.2" : "1.3",
	       a->o.bits == 128 ? "AES-GCM-128" : "AES-GCM-256", a->start_sn);
	printf("records:   %u x %u bytes of plaintext = %zu bytes; %zu bytes of TLS stream\n",
	       a->o.records, a->o.size, a->plain_len, a->stream_len);
	if (a->o.corrupt)
		printf("corrupted: record %u, one ciphertext byte at stream offset %zu\n",
		       a->o.corrupt_rec, a->corrupt_off);
	printf("wire:      %u segments (MSS %u), %u lost and retransmitted later, %u swapped, "
	       "%" PRIu64 " not delivered, %" PRIu64 " bad checksums\n", a->segs, MSS, a->lost,
	       a->swapped, a->dropped, a->bad_csum);
	if (a->arrived < a->segs)
		printf("           %u arrived before the stream was closed; the rest were not "
		       "sent\n", a->arrived);
	printf("packets:   %" PRIu64 " received: %" PRIu64 " decrypted, %" PRIu64
	       " resync request, %" PRIu64 " auth error, %" PRIu64 " not decrypted\n", a->frames,
	       a->status[MLX5TLS_RX_TLS_DECRYPTED], a->status[MLX5TLS_RX_TLS_RESYNC],
	       a->status[MLX5TLS_RX_TLS_ERROR], a->status[MLX5TLS_RX_TLS_NONE]);
	printf("delivered: %" PRIu64 " records / %" PRIu64 " bytes: authenticated by the device %"
	       PRIu64 ", completed in software %" PRIu64 " (%" PRIu64 " bytes re-encrypted to "
	       "verify)\n", ri.records, ri.bytes, ri.by_device, ri.by_software,
	       ri.reencrypted_bytes);
	printf("resync:    %" PRIu64 " device requests answered%s%s\n", ri.resync_answers,
	       ri.resync_pending ? ", one pending" : "", ri.failed ? "; stream failed" : "");
	ret = print_counters(a);
	if (ret)
		return ret;
	return verdict(a, &ri);
}

int main(int argc, char **argv)
{
	struct app *a = calloc(1, sizeof(*a));
	int ret, err;

	if (!a)
		return EXIT_FAILURE;
	ret = parse_options(argc, argv, &a->o);
	if (ret) {
		free(a);
		return ret > 0 ? EXIT_SUCCESS : EXIT_FAILURE;
	}
	a->rng = a->o.seed * 0x9e3779b97f4a7c15ull + 0x2545f4914f6cdd1dull;
	if (!a->rng)
		a->rng = 1;
	ret = run(a);
	err = teardown(a);
	free(a);
	return ret || err ? EXIT_FAILURE : EXIT_SUCCESS;
}
