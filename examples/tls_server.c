/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A TLS server on lwIP on libmlx5tls: HTTP/1.1 keep-alive, `GET /bytes/N` answers N bytes whose
 * byte i is i % 251, anything else 404. The handshake runs in OpenSSL over lwIP's TCP; then the
 * keys go to the device for both directions (mlx5tls/ssl.h): the server's records are built in
 * plaintext and encrypted by the device as they leave (TLS TX context, found by the 5-tuple in
 * the netif driver), the client's records are steered to a TLS TIR, decrypted by the device and
 * verified by the library (TLS RX context; each segment's status word kept through lwIP's
 * reassembly by the driver's pbufs). --offload none keeps OpenSSL's own record layer.
 *
 *   tls_server --ifname IF [--ip 198.18.0.1/24] [--port 8443] [--device sim:cx6dx]
 *              [--cert PEM --key PEM] [--offload both|tx|rx|none] [--wire-loss P]
 *              [--wire-reorder P] [--wire-dup P] [--wire-seed N] [--publish] [--pcap FILE]
 *              [--max-conns N] [--duration S]
 *
 * SSLKEYLOGFILE is honoured (with --pcap, Wireshark/tshark decrypt the capture). SIGINT/SIGTERM
 * end it with a summary.
 *
 * This file: the options, the SSL context, the lwIP loop and the summary; tls_server_shared.h
 * lists the other files and their jobs.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lwip/tcp.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <mlx5tls/ssl.h>

#include "lwip_mlx5tls.h"
#include "tls_server_shared.h"

static volatile sig_atomic_t g_stop;

static void on_signal(int sig)
{
	(void)sig;
	g_stop = 1;
}

static void keylog_write(const SSL *ssl, const char *line)
{
	FILE *f = fopen(g.keylog, "a");

	(void)ssl;
	if (f) {
		fprintf(f, "%s\n", line);
		fclose(f);
	}
}

/* ---- setup ---- */

static SSL_CTX *make_ctx(const char *cert, const char *key)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
	EVP_PKEY *pkey = NULL;
	X509 *x = NULL;

	if (!ctx)
		return NULL;
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION);
	/* the suites the device offloads */
	SSL_CTX_set_ciphersuites(ctx, "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384");
	SSL_CTX_set_cipher_list(ctx, "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
				     "ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384");
	SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION);
	if (cert && key) {
		if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1 ||
		    SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1) {
			fprintf(stderr, "tls_server: cannot load %s / %s\n", cert, key);
			SSL_CTX_free(ctx);
			return NULL;
		}
	} else {
		/* a self-signed EC certificate made in memory */
		X509_NAME *name;

		pkey = EVP_EC_gen("P-256");
		x = X509_new();
		if (!pkey || !x) {
			EVP_PKEY_free(pkey);
			X509_free(x);
			SSL_CTX_free(ctx);
			return NULL;
		}
		X509_set_version(x, 2);
		ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
		X509_gmtime_adj(X509_getm_notBefore(x), 0);
		X509_gmtime_adj(X509_getm_notAfter(x), 86400);
		X509_set_pubkey(x, pkey);
		name = X509_get_subject_name(x);
		X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
					   (const unsigned char *)"mlx5tls tls_server", -1, -1, 0);
		X509_set_issuer_name(x, name);
		X509_sign(x, pkey, EVP_sha256());
		SSL_CTX_use_certificate(ctx, x);
		SSL_CTX_use_PrivateKey(ctx, pkey);
		X509_free(x);
		EVP_PKEY_free(pkey);
	}
	if (g.keylog)
		SSL_CTX_set_keylog_callback(ctx, keylog_write);
	return ctx;
}

static void usage(const char *prog)
{
	fprintf(stderr,
		"usage: %s --ifname IF [--ip A.B.C.D/N] [--port P] [--device DEV] [--cert PEM "
		"--key PEM]\n"
		"       [--offload both|tx|rx|none] [--wire-loss P] [--wire-reorder P] "
		"[--wire-dup P] [--wire-corrupt P]\n"
		"       [--wire-seed N] [--wire-dir both|tx|rx]"
		"       [--publish] [--pcap FILE] [--max-conns N] [--duration S]\n",
		prog);
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "device", required_argument, NULL, 'd' },  { "ifname", required_argument, NULL, 'i' },
		{ "ip", required_argument, NULL, 'a' },      { "port", required_argument, NULL, 'p' },
		{ "cert", required_argument, NULL, 'c' },    { "key", required_argument, NULL, 'k' },
		{ "offload", required_argument, NULL, 'o' }, { "pcap", required_argument, NULL, 'w' },
		{ "publish", no_argument, NULL, 'P' },       { "max-conns", required_argument, NULL, 'm' },
		{ "duration", required_argument, NULL, 't' },
		{ "wire-loss", required_argument, NULL, 1 }, { "wire-reorder", required_argument, NULL, 2 },
		{ "wire-dup", required_argument, NULL, 3 },  { "wire-seed", required_argument, NULL, 4 },
		{ "wire-corrupt", required_argument, NULL, 5 }, { "wire-dir", required_argument, NULL, 6 },
		{ "help", no_argument, NULL, 'h' },          { NULL, 0, NULL, 0 },
	};
	static const char *const off_names[] = { "both", "tx", "rx", "none" };
	char device[256], faults[192] = "";
	const char *dev = "sim:cx6dx", *cert = NULL, *key = NULL;
	struct lwmx_opts o = { 0 };
	struct mlx5tls_model_wire_stats ws;
	struct lwmx_stats ls;
	struct tcp_pcb *lpcb;
	double duration = 0;
	unsigned int port = 8443;
	bool publish = false;
	int opt;

	g.max_conns = 1024;
	g.keylog = getenv("SSLKEYLOGFILE");
	if (g.keylog && !*g.keylog)
		g.keylog = NULL;
	if (lwmx_parse_cidr("198.18.0.1/24", &o))
		return 2;
	while ((opt = getopt_long(argc, argv, "d:i:a:p:c:k:o:w:Pm:t:h", lo, NULL)) != -1) {
		size_t fl = strlen(faults);

		switch (opt) {
		case 'd': dev = optarg; break;
		case 'i': o.ifname = optarg; break;
		case 'a':
			if (lwmx_parse_cidr(optarg, &o)) {
				fprintf(stderr, "tls_server: bad --ip %s\n", optarg);
				return 2;
			}
			break;
		case 'p': port = (unsigned int)strtoul(optarg, NULL, 10); break;
		case 'c': cert = optarg; break;
		case 'k': key = optarg; break;
		case 'o':
			for (g.offload = OFF_BOTH; g.offload <= OFF_NONE; g.offload++)
				if (!strcmp(optarg, off_names[g.offload]))
					break;
			if (g.offload > OFF_NONE) {
				usage(argv[0]);
				return 2;
			}
			break;
		case 'w': o.pcap = optarg; break;
		case 'P': publish = true; break;
		case 'm': g.max_conns = (unsigned int)strtoul(optarg, NULL, 10); break;
		case 't': duration = strtod(optarg, NULL); break;
		case 1: snprintf(faults + fl, sizeof(faults) - fl, ",wire_loss=%s", optarg); break;
		case 2: snprintf(faults + fl, sizeof(faults) - fl, ",wire_reorder=%s", optarg); break;
		case 3: snprintf(faults + fl, sizeof(faults) - fl, ",wire_dup=%s", optarg); break;
		case 4: snprintf(faults + fl, sizeof(faults) - fl, ",wire_seed=%s", optarg); break;
		case 5: snprintf(faults + fl, sizeof(faults) - fl, ",wire_corrupt=%s", optarg); break;
		case 6: snprintf(faults + fl, sizeof(faults) - fl, ",wire_dir=%s", optarg); break;
		default:
			usage(argv[0]);
			return opt == 'h' ? 0 : 2;
		}
	}
	if ((cert == NULL) != (key == NULL)) {
		fprintf(stderr, "tls_server: --cert and --key go together\n");
		return 2;
	}
	snprintf(device, sizeof(device), "%s%s", dev, faults);
	o.device = device;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGPIPE, SIG_IGN);
	g.ctx = make_ctx(cert, key);
	if (!g.ctx)
		return 1;
	if (publish && mlx5tls_publish_start(NULL))
		fprintf(stderr, "tls_server: --publish: %s\n", strerror(errno));
	g.l = lwmx_open(&o);
	if (!g.l) {
		SSL_CTX_free(g.ctx);
		return 1;
	}
	lpcb = lwmx_listen(port, on_accept, "tls_server");
	if (!lpcb) {
		lwmx_close(g.l);
		SSL_CTX_free(g.ctx);
		return 1;
	}
	printf("tls_server: listening on %s:%u (device %s, offload %s)\n", ip4addr_ntoa(&o.ip),
	       port, device, off_names[g.offload]);
	fflush(stdout);
	(void)lwmx_run(g.l, duration, &g_stop, run_pending_closes, "tls_server");
	tcp_close(lpcb);
	while (g.list) {
		struct conn *c = g.list;
		struct tcp_pcb *pcb = c->pcb;

		detach(c);
		conn_teardown(c);
		tcp_abort(pcb);
	}
	lwmx_get_stats(g.l, &ls);
	if (mlx5tls_model_wire_stats(lwmx_device(g.l), &ws, sizeof(ws)))
		memset(&ws, 0, sizeof(ws));
	printf("tls_server: summary: connections %" PRIu64 " (refused %" PRIu64 ", errors %" PRIu64
	       "), requests %" PRIu64 ", body bytes %" PRIu64 "\n",
	       g.conns, g.refused, g.errors, g.requests, g.bytes);
	printf("tls_server: tx: device-encrypted bytes %" PRIu64 ", software bytes %" PRIu64
	       ", resyncs (ooo) %" PRIu64 ", dump frames %" PRIu64 ", retransmitted bytes %" PRIu64
	       "\n",
	       g.tx_dev_bytes, g.tx_sw_bytes, g.tx_ooo, g.tx_dump, g.tx_retx);
	printf("tls_server: rx: records by device %" PRIu64 ", by software %" PRIu64
	       ", resync answers %" PRIu64 ", re-encrypted bytes %" PRIu64 "; key updates %" PRIu64
	       ", hand-backs %" PRIu64 "\n",
	       g.rx_by_device, g.rx_by_software, g.rx_resync, g.rx_reenc, g.key_updates,
	       g.handbacks);
	printf("tls_server: wire: frames rx %" PRIu64 " tx %" PRIu64 " (tls tx %" PRIu64
	       ", tls rx %" PRIu64 ", device-decrypted %" PRIu64 "), faults tx drop/reorder/dup %"
	       PRIu64 "/%" PRIu64 "/%" PRIu64 " rx %" PRIu64 "/%" PRIu64 "/%" PRIu64
	       ", rx oversize %" PRIu64 " csum_partial %" PRIu64 ", steered %" PRIu64
	       ", to default %" PRIu64 ", l4 bad %" PRIu64 ", corrupted tx/rx %" PRIu64 "/%" PRIu64
	       "\n",
	       ls.rx_frames, ls.tx_frames, ls.tx_tls_frames, ls.rx_tls_frames, ls.rx_tls_decrypted,
	       ws.tx_dropped, ws.tx_reordered, ws.tx_duplicated, ws.rx_dropped, ws.rx_reordered,
	       ws.rx_duplicated, ws.rx_oversize, ws.rx_csum_partial, ws.rx_steered,
	       ws.rx_to_default, ws.rx_l4_not_ok, ws.tx_corrupted, ws.rx_corrupted);
	lwmx_close(g.l);
	SSL_CTX_free(g.ctx);
	return 0;
}
