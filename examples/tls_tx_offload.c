/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tls_tx_offload: a whole TLS session whose server-side records are encrypted by the NIC.
 *
 *   tls_tx_offload [-d DEV] [--tls 1.2|1.3] [--bits 128|256] [-n RECORDS] [--size BYTES]
 *                  [--loss P] [--seed N] [--pcap FILE] [--fallback] [--publish]
 *                  [--hold SECONDS]
 *
 * What it does, in the order a user-space TLS server would:
 *   1. opens the device (default "sim", the built-in ConnectX-6 Dx model) and connects the
 *      model's Ethernet wire to an in-process receiver (and to a pcap file with --pcap);
 *   2. PD, transport domain, a raw Ethernet send queue, a registered frame buffer pool;
 *   3. TCP three-way handshake and a real OpenSSL TLS handshake between an in-process client
 *      and server. Every handshake byte travels as a TCP frame over the model's wire, in the
 *      clear as TLS handshake bytes always are (the client's frames are put on the same wire so
 *      that the capture holds the whole session: on a real NIC they would arrive on RX);
 *   4. takes the server's write keys from OpenSSL, as kTLS would receive them
 *      (struct tls12_crypto_info_aes_gcm_128/_256), and creates a TLS TX context with them at
 *      the TCP sequence number that follows the server's handshake bytes;
 *   5. sends RECORDS application-data records of BYTES plaintext each, laid out as kTLS hands
 *      them to a device (header, TLS 1.2 explicit nonce, plaintext, TLS 1.3 content type, room
 *      for the tag), in TCP segments of MSS 1448. The NIC encrypts them on the way out;
 *   6. the receiver drops a data frame with probability P (--loss), acknowledges cumulatively,
 *      and the sender goes back to the first unacknowledged byte (go-back-N): the library then
 *      resynchronises the device (static/progress params, DUMP of the record prefix) as the
 *      kernel's kTLS offload does. Acknowledgements go to mlx5tls_tx_ack() so the library can
 *      forget acknowledged records;
 *   7. the OpenSSL client decrypts and authenticates every record and compares the plaintext.
 *      The receiver also checks the IPv4 and TCP checksums the device computed, and that every
 *      retransmitted byte equals what was received the first time (the device must reproduce
 *      the same ciphertext after a resync).
 *
 * Exit status 0 when every record was read back intact, 1 otherwise.
 *
 * Live inspection: --publish sets MLX5TLS_PUBLISH=1 before the device is opened, so the library
 * answers `mlx5tls-query ctx show` & co. for this process (mlx5tls-inspect(7)); --hold SECONDS
 * keeps the connection's objects alive after the transfer for that long (0: until SIGTERM or
 * SIGINT), then tears down as usual:
 *
 *   ./tls_tx_offload --publish --hold 0 &   mlx5tls-query ctx show;   kill %1
 *
 * The in-process peer listens on the model's wire, so this program runs on model devices only;
 * on a ConnectX-6 Dx the same calls work, with a real peer at the other end of the cable.
 *
 * Decrypting the capture with Wireshark's tshark: with SSLKEYLOGFILE set, the program appends
 * the NSS key log lines of the handshake to that file (they are never printed). Then
 *
 *   SSLKEYLOGFILE=/tmp/keys.log ./tls_tx_offload --loss 0.02 --pcap /tmp/tls_tx.pcap
 *   tshark -r /tmp/tls_tx.pcap -o tls.keylog_file:/tmp/keys.log -d tcp.port==443,tls \
 *          -q -z follow,tls,ascii,0
 *
 * prints the decrypted application data: numbered lines "0000000 TLS record plaintext, ...",
 * 64 bytes each (4096 lines with the defaults); without the key log it prints none. Drop -q -z
 * ... to see the frames: the TCP handshake, the TLS handshake, then the offloaded records. The
 * capture is taken where the frames leave the device, so frames the receiver then "lost" are in
 * it, followed by their retransmissions. (-d tcp.port==443,tls is tshark's default for port
 * 443; it is spelt out for other ports.)
 *
 * Files: tls_tx_offload_shared.h lists them and their jobs.
 *
 * Build: cc tls_tx_offload*.c example_tls.c \
 *          $(pkg-config --cflags --libs libmlx5tls libssl libcrypto)
 */
#ifndef _GNU_SOURCE
#define _POSIX_C_SOURCE 200809L /* POSIX interfaces also with -std=c11 */
#endif
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/ssl.h>

#include <mlx5tls/mlx5tls.h>

#include "example_tls.h"
#include "tls_tx_offload_shared.h"

/* ---- setup and teardown ---- */

static int open_device(struct app *a)
{
	MLX5TLS_OPTS(mlx5tls_model_wire_opts, w, .rx = wire_rx, .rx_ctx = a,
		     .pcap_path = a->o.pcap);
	MLX5TLS_OPTS(mlx5tls_qp_opts, q, .flags = MLX5TLS_QP_F_MODEL_SYNC);
	struct mlx5tls_device_attr attr;
	int ret;

	a->dev = mlx5tls_device_open(a->o.device, NULL);
	if (!a->dev) {
		ret = -errno;
		report("device open", ret);
		return ret;
	}
	ret = mlx5tls_device_query(a->dev, &attr);
	if (ret) {
		report("device query", ret);
		return ret;
	}
	if (attr.kind != MLX5TLS_DEVICE_MODEL) {
		fprintf(stderr,
			PROG ": %s is hardware; this example's peer lives on the model's wire "
			     "(-d sim)\n", attr.name);
		return -EOPNOTSUPP;
	}
	printf("device:    %s (device model, fw %s)\n", attr.name, attr.fw_ver);
	/* The wire must be connected before the first queue exists. */
	ret = mlx5tls_model_wire(a->dev, &w);
	if (ret) {
		report("model wire", ret);
		return ret;
	}
	a->pd = mlx5tls_pd_alloc(a->dev);
	a->td = a->pd ? mlx5tls_td_alloc(a->dev) : NULL;
	if (!a->td) {
		ret = -errno;
		report("PD/TD alloc", ret);
		return ret;
	}
	/* MODEL_SYNC: the model runs on this thread at each doorbell - deterministic, and the
	 * receiver needs no locking. Without it the model has its own device thread. */
	a->qp = mlx5tls_qp_create(a->pd, a->td, &q);
	if (!a->qp) {
		ret = -errno;
		report("queue create", ret);
		return ret;
	}
	ret = pool_init(a);
	if (ret)
		report("frame pool", ret);
	return ret;
}

static int teardown(struct app *a)
{
	int ret = 0, err;

	/* Frames in flight complete first; then the objects go in the reverse order of creation. */
	if (a->qp && mlx5tls_qp_flush(a->qp) == 0)
		(void)pool_reap(a);
	if (a->tx && (err = mlx5tls_tx_destroy(a->tx)))
		ret = ret ? ret : err;
	if (a->pool.mr && (err = mlx5tls_mr_dereg(a->pool.mr)))
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
	SSL_free(a->client);
	SSL_free(a->server);
	SSL_CTX_free(a->cctx);
	SSL_CTX_free(a->sctx);
	free(a->pool.mem);
	free(a->plain);
	free(a->stream);
	free(a->rec_off);
	free(a->c_rx.data);
	free(a->c_rx.have);
	free(a->s_rx.data);
	free(a->s_rx.have);
	return ret;
}

static void print_summary(const struct app *a, const struct mlx5tls_tx_info *ti,
			  const struct mlx5tls_qp_attr *qa)
{
	static const char *const paths[] = { "device", "software", "demoted" };

	printf("session:   TLS %s %s, server write keys offloaded at TCP seq %u\n",
	       a->o.tls_version == TLS1_2_VERSION ? "1.2" : "1.3",
	       a->o.bits == 128 ? "AES-GCM-128" : "AES-GCM-256", a->start_sn);
	printf("records:   %u x %u bytes of plaintext = %" PRIu64 " bytes; %zu bytes of TLS "
	       "stream\n", a->nr_recs, a->o.size, (uint64_t)a->nr_recs * a->o.size, a->stream_len);
	printf("frames:    %" PRIu64 " data (MSS %u), %" PRIu64 " retransmitted, %" PRIu64
	       " lost on the wire (loss %.3g), %" PRIu64 " ACK rounds\n", a->data_frames, MSS,
	       a->retx_frames, a->c_rx.lost, a->o.loss, a->pure_acks);
	printf("context:   path %s%s%s%s\n",
	       ti->path <= MLX5TLS_TX_PATH_DEMOTED ? paths[ti->path] : "?",
	       ti->reason[0] ? " (" : "", ti->reason, ti->reason[0] ? ")" : "");
	printf("encrypted: by the device %" PRIu64 " packets / %" PRIu64 " bytes, in software %"
	       PRIu64 " packets / %" PRIu64 " bytes (%" PRIu64 " software resyncs)\n",
	       ti->encrypted_packets, ti->encrypted_bytes, ti->sw_packets, ti->sw_bytes,
	       ti->sw_resyncs);
	printf("resync:    ooo %" PRIu64 ", dump %" PRIu64 " packets / %" PRIu64
	       " bytes, retransmitted %" PRIu64 " bytes, records held %u\n", ti->ooo,
	       ti->dump_packets, ti->dump_bytes, ti->retx_bytes, ti->records_held);
	printf("queue:     %" PRIu64 " WQEs, %" PRIu64 " doorbells, %" PRIu64 " recoveries\n",
	       qa->wqes, qa->doorbells, qa->recoveries);
	printf("receiver:  %" PRIu64 " frames, %" PRIu64 " bad checksums, %" PRIu64
	       " duplicate bytes (%" PRIu64 " differing)\n", a->c_rx.frames, a->c_rx.bad_csum,
	       a->c_rx.dup_bytes, a->c_rx.mismatched_bytes);
}

static int run(struct app *a)
{
	/* --fallback: a suite the device lacks (TLS 1.3 on -d sim:cx6dx-legacy) is encrypted by
	 * the library in software instead of failing with -EOPNOTSUPP; the context says why. */
	/* the connection itself is learnt from the first frame's headers */
	MLX5TLS_OPTS(mlx5tls_tx_opts, to, .flags = a->o.fallback ? MLX5TLS_TX_F_SW_FALLBACK : 0,
		     .label = a->o.label);
	struct mlx5tls_tx_info ti;
	/* SSLKEYLOGFILE: the NSS key log lines of the handshake are appended there */
	const struct example_tls_cfg cfg = { .prog = PROG, .cn = "tls-tx-offload.example",
					     .tls_version = a->o.tls_version, .bits = a->o.bits,
					     .keylog_path = getenv("SSLKEYLOGFILE"), .capture = true };
	struct mlx5tls_qp_attr qa;
	union mlx5tls_crypto_info ci;
	size_t ci_len;
	uint64_t first_record;
	int ret;

	ret = open_device(a);
	if (ret)
		return ret;
	ret = example_tls_peers(&cfg, &a->sctx, &a->cctx, &a->server, &a->client);
	if (ret)
		return ret;

	ret = tcp_connect(a);
	if (!ret)
		ret = tls_handshake(a);
	if (ret)
		return ret;

	/* The offload starts at the first server byte after the handshake. */
	a->start_sn = a->s_tx.snd_nxt;
	ci_len = example_tls_export_server_tx(a->server, &ci);
	if (!ci_len) {
		fprintf(stderr, PROG ": cannot derive the server's write keys\n");
		return -EPROTO;
	}
	first_record = a->o.tls_version == TLS1_2_VERSION ? 1 : 0;
	a->tx = mlx5tls_tx_create(a->qp, &ci.info, ci_len, a->start_sn, &to);
	ret = a->tx ? 0 : -errno;
	OPENSSL_cleanse(&ci, sizeof(ci)); /* the library keeps what it needs */
	if (ret) {
		report("TLS TX context create", ret);
		return ret;
	}
	ret = layout_records(a, first_record);
	if (ret) {
		report("record layout", ret);
		return ret;
	}
	ret = send_records(a);
	if (!ret)
		ret = client_read(a);
	if (ret)
		return ret;
	a->s_tx.snd_nxt = a->start_sn + (uint32_t)a->stream_len;

	memset(&ti, 0, sizeof(ti));
	memset(&qa, 0, sizeof(qa));
	ret = mlx5tls_tx_query(a->tx, &ti, sizeof(ti));
	if (!ret)
		ret = mlx5tls_qp_query(a->qp, &qa, sizeof(qa));
	if (ret) {
		report("query", ret);
		return ret;
	}
	print_summary(a, &ti, &qa);
	if (a->read_bytes != (uint64_t)a->nr_recs * a->o.size || a->read_error ||
	    a->c_rx.bad_csum || a->c_rx.mismatched_bytes) {
		printf("FAILED: client read %" PRIu64 " of %" PRIu64 " bytes\n", a->read_bytes,
		       (uint64_t)a->nr_recs * a->o.size);
		return -EIO;
	}
	printf("OK: client read %" PRIu64 " bytes, all records authenticated\n", a->read_bytes);
	return 0;
}

/* ---- --hold: stay alive for inspection ---- */

static volatile sig_atomic_t g_stop;

static void on_stop(int sig)
{
	(void)sig;
	g_stop = 1;
}

/* Sleep for hold_s seconds (0: forever) or until SIGTERM/SIGINT; the library's publisher thread
 * answers mlx5tls-query meanwhile. */
static void hold(const struct options *o)
{
	struct timespec tick = { .tv_sec = 0, .tv_nsec = 50 * 1000 * 1000 };
	uint64_t ticks = (uint64_t)o->hold_s * 20;
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	if (o->hold_s)
		printf("hold:      pid %ld, %u s (SIGTERM ends it)\n", (long)getpid(), o->hold_s);
	else
		printf("hold:      pid %ld, until SIGTERM\n", (long)getpid());
	fflush(stdout);
	for (uint64_t i = 0; !g_stop && (o->hold_s == 0 || i < ticks); i++)
		nanosleep(&tick, NULL);
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
	/* before the device is opened: the library reads it at the first open */
	if (a->o.publish && setenv("MLX5TLS_PUBLISH", "1", 1)) {
		free(a);
		return EXIT_FAILURE;
	}
	ret = run(a);
	if (a->o.hold)
		hold(&a->o);
	err = teardown(a);
	free(a);
	return ret || err ? EXIT_FAILURE : EXIT_SUCCESS;
}
