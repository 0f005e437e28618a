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
 * Build: cc tls_rx_offload.c example_tls.c \
 *          $(pkg-config --cflags --libs libmlx5tls libssl libcrypto)
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include <mlx5tls/mlx5tls.h>

#include "example_tls.h"

#define PROG "tls_rx_offload"

/* The connection as the client's NIC sees it: server 10.0.0.2:443 -> client 10.0.0.1:50000. */
#define ETH_HLEN 14u
#define IP_HLEN 20u
#define TCP_HLEN 20u
#define HDRS_LEN (ETH_HLEN + IP_HLEN + TCP_HLEN)
#define MSS 1448u
#define SERVER_IP 0x0a000002u
#define CLIENT_IP 0x0a000001u
#define SERVER_PORT 443u
#define CLIENT_PORT 50000u

/* A lost segment comes back RETX_MIN..RETX_MIN+RETX_SPREAD-1 segments later: 20 segments are
 * 29 KB, more than a record of 16 KB can span, so a lost header really desynchronises the
 * device instead of being caught up by TCP before the next record. */
#define RETX_MIN 20u
#define RETX_SPREAD 20u

#define TLS_HDR_LEN 5u
#define TLS12_NONCE_LEN 8u
#define TLS_MAX_PLAINTEXT 16384u
#define TLS_CT_APPLICATION_DATA 23u

/* ---- options ---- */

struct options {
	const char *device;
	int tls_version; /* TLS1_2_VERSION / TLS1_3_VERSION */
	unsigned int bits;
	unsigned int records;
	unsigned int size;
	double loss;
	double reorder;
	bool corrupt;
	unsigned int corrupt_rec;
	uint64_t seed;
};

static void usage(FILE *fp)
{
	fprintf(fp,
		"Usage: " PROG " [-d DEV] [--tls 1.2|1.3] [--bits 128|256] [-n RECORDS]\n"
		"       [--size BYTES] [--loss P] [--reorder P] [--corrupt N] [--seed N]\n"
		"  -d DEV        device (default sim: the built-in ConnectX-6 Dx model)\n"
		"  --tls V       TLS version (default 1.3)\n"
		"  --bits B      AES-GCM key size (default 128)\n"
		"  -n RECORDS    application-data records the server writes (default 64)\n"
		"  --size BYTES  plaintext bytes per record, 1..16384 (default 4096)\n"
		"  --loss P      probability that a segment is lost and retransmitted later\n"
		"  --reorder P   probability that a segment swaps places with the next one\n"
		"  --corrupt N   flip a ciphertext byte of record N (0 = the first): the stream\n"
		"                must end with an authentication error before that record\n"
		"  --seed N      seed of the loss/reorder pattern, data and TCP ISN (default 1)\n");
}

static int parse_uint(const char *opt, const char *arg, unsigned long min, unsigned long max,
		      unsigned long *val)
{
	char *end = NULL;
	unsigned long v;

	errno = 0;
	v = strtoul(arg, &end, 0);
	if (errno || end == arg || *end || arg[0] == '-' || v < min || v > max) {
		fprintf(stderr, PROG ": %s needs a number in %lu..%lu, not '%s'\n", opt, min, max,
			arg);
		return -1;
	}
	*val = v;
	return 0;
}

static int parse_prob(const char *opt, const char *arg, double *p)
{
	char *end = NULL;

	errno = 0;
	*p = strtod(arg, &end);
	if (errno || end == arg || *end || !(*p >= 0.0 && *p < 0.5)) {
		fprintf(stderr, PROG ": %s takes a probability in [0, 0.5)\n", opt);
		return -1;
	}
	return 0;
}

/* 0 to run, 1 to exit with success (-h), -1 on a bad option. */
static int parse_options(int argc, char **argv, struct options *o)
{
	static const struct option long_opts[] = {
		{ "device", required_argument, NULL, 'd' },
		{ "tls", required_argument, NULL, 't' },
		{ "bits", required_argument, NULL, 'b' },
		{ "records", required_argument, NULL, 'n' },
		{ "size", required_argument, NULL, 's' },
		{ "loss", required_argument, NULL, 'l' },
		{ "reorder", required_argument, NULL, 'r' },
		{ "corrupt", required_argument, NULL, 'c' },
		{ "seed", required_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned long v = 0;
	int opt;

	*o = (struct options){ .device = "sim", .tls_version = TLS1_3_VERSION, .bits = 128,
			       .records = 64, .size = 4096, .seed = 1 };
	while ((opt = getopt_long(argc, argv, "d:n:h", long_opts, NULL)) != -1) {
		switch (opt) {
		case 'd':
			o->device = optarg;
			break;
		case 't':
			if (!strcmp(optarg, "1.2")) {
				o->tls_version = TLS1_2_VERSION;
			} else if (!strcmp(optarg, "1.3")) {
				o->tls_version = TLS1_3_VERSION;
			} else {
				fprintf(stderr, PROG ": --tls takes 1.2 or 1.3\n");
				return -1;
			}
			break;
		case 'b':
			if (strcmp(optarg, "128") && strcmp(optarg, "256")) {
				fprintf(stderr, PROG ": --bits takes 128 or 256\n");
				return -1;
			}
			o->bits = (unsigned int)atoi(optarg);
			break;
		case 'n':
			if (parse_uint("-n", optarg, 1, 100000, &v))
				return -1;
			o->records = (unsigned int)v;
			break;
		case 's':
			if (parse_uint("--size", optarg, 1, TLS_MAX_PLAINTEXT, &v))
				return -1;
			o->size = (unsigned int)v;
			break;
		case 'l':
			if (parse_prob("--loss", optarg, &o->loss))
				return -1;
			break;
		case 'r':
			if (parse_prob("--reorder", optarg, &o->reorder))
				return -1;
			break;
		case 'c':
			if (parse_uint("--corrupt", optarg, 0, 99999, &v))
				return -1;
			o->corrupt = true;
			o->corrupt_rec = (unsigned int)v;
			break;
		case 'S':
			if (parse_uint("--seed", optarg, 0, ~0ul, &v))
				return -1;
			o->seed = v;
			break;
		case 'h':
			usage(stdout);
			return 1;
		default:
			usage(stderr);
			return -1;
		}
	}
	if (optind != argc) {
		fprintf(stderr, PROG ": unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return -1;
	}
	if (o->corrupt && o->corrupt_rec >= o->records) {
		fprintf(stderr, PROG ": --corrupt %u: the server writes records 0..%u only\n",
			o->corrupt_rec, o->records - 1);
		return -1;
	}
	if ((uint64_t)o->records * (o->size + 64) > (256u << 20)) {
		fprintf(stderr, PROG ": -n x --size: at most 256 MiB of stream\n");
		return -1;
	}
	return 0;
}

/* ---- errors ---- */

/* A failed library call; -EREMOTEIO means the firmware refused a command: say which and why. */
static void report(const char *what, int err)
{
	struct mlx5tls_fw_error fw;

	fprintf(stderr, PROG ": %s: %s\n", what, strerror(err < 0 ? -err : err));
	if ((err == -EREMOTEIO || err == EREMOTEIO) && mlx5tls_last_fw_error(&fw) == 0)
		fprintf(stderr, "  firmware: %s status %s syndrome 0x%08x%s%s\n",
			fw.opcode_name ? fw.opcode_name : "?",
			fw.status_name ? fw.status_name : "?", fw.syndrome,
			fw.syndrome_text ? ": " : "", fw.syndrome_text ? fw.syndrome_text : "");
}

/* ============================ frames, the wire and TCP ============================ */

/* One received segment waiting for the TCP stream to reach it (or for its turn). */
struct held {
	uint32_t seq, len;
	uint32_t status; /* TLS status word (mlx5tls_rx_pkt_tls) */
	uint8_t *bytes;
};

struct app {
	struct options o;
	uint64_t rng;
	/* the TLS peers */
	SSL_CTX *sctx, *cctx;
	SSL *server, *client;
	/* what the server wrote: plaintext, and the TLS stream that carries it */
	uint8_t *plain;
	size_t plain_len;
	uint8_t *stream;
	size_t stream_len;
	size_t corrupt_off;     /* --corrupt: offset of the flipped stream byte */
	uint32_t isn, start_sn; /* server ISN; TCP sequence of the first offloaded byte */
	/* the device objects, in the order they are created */
	struct mlx5tls_device *dev;
	struct mlx5tls_pd *pd;
	struct mlx5tls_td *td;
	struct mlx5tls_qp *qp; /* control queue: static/progress params, GET_PSV */
	struct mlx5tls_rq *rq;
	struct mlx5tls_tir *tir;
	struct mlx5tls_flow *flow;
	struct mlx5tls_rx *rx;
	/* the client's TCP: reassembly of what the queue delivered */
	struct held *held;
	unsigned int n_held, max_held;
	uint32_t rcv_nxt;       /* next stream byte mlx5tls_rx_input() needs */
	int input_err;          /* first non-zero mlx5tls_rx_input() result */
	/* what the application received */
	uint64_t got_bytes;
	uint64_t got_records;
	bool mismatch;
	/* the wire */
	uint32_t segs, lost, swapped, arrived;
	uint64_t frames, dropped, bad_csum;
	uint64_t status[4];     /* packets by enum mlx5tls_rx_tls_status */
};

/* ---- the server's side: handshake, then records ---- */

/* Move whatever one peer wrote into the other's read BIO; the number of bytes moved. */
static long shuttle(SSL *from, SSL *to)
{
	BIO *w = SSL_get_wbio(from), *r = SSL_get_rbio(to);
	uint8_t buf[4096];
	long moved = 0;
	int n;

	while ((n = BIO_read(w, buf, sizeof(buf))) > 0) {
		if (BIO_write(r, buf, n) != n)
			return -1;
		moved += n;
	}
	return moved;
}

/* Both sides step until both are done; *server_bytes = what the server sent (its TCP stream
 * before the first record the device decrypts). */
static int tls_handshake(struct app *a, size_t *server_bytes)
{
	bool c_done = false, s_done = false;

	*server_bytes = 0;
	for (int round = 0; round < 64 && !(c_done && s_done); round++) {
		long moved;
		int r;

		if (!c_done) {
			r = SSL_do_handshake(a->client);
			if (r == 1)
				c_done = true;
			else if (SSL_get_error(a->client, r) != SSL_ERROR_WANT_READ)
				break;
		}
		if (shuttle(a->client, a->server) < 0)
			break;
		if (!s_done) {
			r = SSL_do_handshake(a->server);
			if (r == 1)
				s_done = true;
			else if (SSL_get_error(a->server, r) != SSL_ERROR_WANT_READ)
				break;
		}
		moved = shuttle(a->server, a->client);
		if (moved < 0)
			break;
		*server_bytes += (size_t)moved;
	}
	if (!c_done || !s_done) {
		ERR_print_errors_fp(stderr);
		fprintf(stderr, PROG ": TLS handshake failed\n");
		return -EPROTO;
	}
	return 0;
}

/* The server writes the records; its write BIO then holds exactly their TLS stream (no session
 * tickets, nothing else under these keys). The plaintext is kept to check the delivery. */
static int server_write(struct app *a)
{
	BIO *w = SSL_get_wbio(a->server);
	size_t cap = (size_t)a->o.records * (a->o.size + 64);
	size_t size = a->o.size;
	int n;

	a->plain_len = (size_t)a->o.records * size;
	a->plain = malloc(a->plain_len);
	a->stream = malloc(cap);
	if (!a->plain || !a->stream)
		return -ENOMEM;
	for (size_t i = 0; i < a->plain_len; i++)
		a->plain[i] = (uint8_t)(rng_next(&a->rng) >> 56);
	for (unsigned int r = 0; r < a->o.records; r++) {
		/* one SSL_write of at most 16 KiB is one record */
		if (SSL_write(a->server, a->plain + r * size, (int)size) != (int)size) {
			ERR_print_errors_fp(stderr);
			return -EIO;
		}
	}
	while (a->stream_len < cap &&
	       (n = BIO_read(w, a->stream + a->stream_len, (int)(cap - a->stream_len))) > 0)
		a->stream_len += (size_t)n;
	if (BIO_ctrl_pending(w)) {
		fprintf(stderr, PROG ": the server wrote more than expected\n");
		return -EOVERFLOW;
	}
	return 0;
}

/* Walk the records of the stream: 0 when there are exactly o.records application-data records,
 * and with --corrupt the stream offset of a ciphertext byte in the middle of that record. */
static int check_stream(struct app *a)
{
	size_t off = 0, payload_off = a->o.tls_version == TLS1_2_VERSION ? TLS12_NONCE_LEN : 0;
	unsigned int r = 0;

	while (off + TLS_HDR_LEN <= a->stream_len) {
		size_t len = get16(a->stream + off + 3);

		if (a->stream[off] != TLS_CT_APPLICATION_DATA || off + TLS_HDR_LEN + len >
		    a->stream_len || len <= payload_off)
			break;
		if (a->o.corrupt && r == a->o.corrupt_rec)
			a->corrupt_off = off + TLS_HDR_LEN + payload_off + (len - payload_off) / 2;
		off += TLS_HDR_LEN + len;
		r++;
	}
	if (off != a->stream_len || r != a->o.records) {
		fprintf(stderr, PROG ": unexpected server stream (%u records, %zu of %zu bytes)\n",
			r, off, a->stream_len);
		return -EPROTO;
	}
	if (a->o.corrupt)
		/* at the sender: a retransmission carries the same damage */
		a->stream[a->corrupt_off] ^= 0x20;
	return 0;
}

/* ---- frames ---- */

static uint32_t csum_add(uint32_t sum, const uint8_t *p, size_t len)
{
	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	return sum;
}

static uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* Segment k of the stream as the server's stack sends it: Ethernet, IPv4 and TCP headers with
 * the checksums right, because the device verifies them before it decrypts anything. */
static size_t build_frame(const struct app *a, uint32_t k, uint8_t *f)
{
	static const uint8_t client_mac[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x01 };
	static const uint8_t server_mac[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x02 };
	uint8_t *ip = f + ETH_HLEN, *tcp = ip + IP_HLEN;
	size_t off = (size_t)k * MSS;
	uint32_t len = (uint32_t)(a->stream_len - off < MSS ? a->stream_len - off : MSS);
	uint32_t sum;

	memset(f, 0, HDRS_LEN);
	memcpy(f, client_mac, 6);
	memcpy(f + 6, server_mac, 6);
	put16(f + 12, 0x0800);
	ip[0] = 0x45;
	put16(ip + 2, (uint16_t)(IP_HLEN + TCP_HLEN + len));
	put16(ip + 4, (uint16_t)k);
	put16(ip + 6, 0x4000); /* DF */
	ip[8] = 64;
	ip[9] = 6;
	put32(ip + 12, SERVER_IP);
	put32(ip + 16, CLIENT_IP);
	put16(ip + 10, csum_fold(csum_add(0, ip, IP_HLEN)));
	put16(tcp, SERVER_PORT);
	put16(tcp + 2, CLIENT_PORT);
	put32(tcp + 4, a->start_sn + (uint32_t)off);
	put32(tcp + 8, 1);
	tcp[12] = (TCP_HLEN / 4) << 4;
	tcp[13] = 0x18; /* PSH ACK */
	put16(tcp + 14, 65535);
	memcpy(tcp + TCP_HLEN, a->stream + off, len);
	/* pseudo header: addresses, protocol, TCP length */
	sum = csum_add(0, ip + 12, 8) + 6 + TCP_HLEN + len;
	put16(tcp + 16, csum_fold(csum_add(sum, tcp, TCP_HLEN + len)));
	return HDRS_LEN + len;
}

/*
 * The order in which the segments reach the client: segment k is due at 2k; a lost one is
 * retransmitted RETX_MIN.. segments later (2(k+d)+1: after the segment then due); a reordered
 * one swaps with its successor. Sorting by due time gives the arrival order.
 */
struct arrival {
	uint64_t due;
	uint32_t seg;
};

static int by_due(const void *x, const void *y)
{
	const struct arrival *p = x, *q = y;

	return p->due < q->due ? -1 : p->due > q->due;
}

static struct arrival *schedule(struct app *a)
{
	struct arrival *arr;

	a->segs = (uint32_t)((a->stream_len + MSS - 1) / MSS);
	arr = calloc(a->segs, sizeof(*arr));
	if (!arr)
		return NULL;
	for (uint32_t k = 0; k < a->segs; k++) {
		arr[k].seg = k;
		arr[k].due = 2 * (uint64_t)k;
	}
	for (uint32_t k = 0; k < a->segs; k++) {
		if (a->o.loss > 0 && rng_unit(&a->rng) < a->o.loss) {
			arr[k].due += 2 * (RETX_MIN + rng_next(&a->rng) % RETX_SPREAD) + 1;
			a->lost++;
		} else if (a->o.reorder > 0 && k + 1 < a->segs &&
			   rng_unit(&a->rng) < a->o.reorder) {
			/* arrives right after its successor; that one keeps its place (k + 1 is
			 * skipped), else two swaps in a row would cancel out */
			arr[k].due += 3;
			a->swapped++;
			k++;
		}
	}
	qsort(arr, a->segs, sizeof(*arr), by_due);
	return arr;
}

/* ---- the client: device objects, receive path, TCP reassembly ---- */

static int open_device(struct app *a)
{
	MLX5TLS_OPTS(mlx5tls_qp_opts, q, .flags = MLX5TLS_QP_F_MODEL_SYNC);
	MLX5TLS_OPTS(mlx5tls_rq_opts, ro, .flags = MLX5TLS_RQ_F_MODEL_SYNC);
	MLX5TLS_OPTS(mlx5tls_tir_opts, to, .tls_en = true);
	struct mlx5tls_flow_match m = { .ip_version = 4, .src_port = SERVER_PORT,
					.dst_port = CLIENT_PORT };
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
			PROG ": %s is hardware; this example injects its frames into the model's "
			     "port (-d sim)\n", attr.name);
		return -EOPNOTSUPP;
	}
	printf("device:    %s (device model, fw %s)\n", attr.name, attr.fw_ver);
	a->pd = mlx5tls_pd_alloc(a->dev);
	a->td = a->pd ? mlx5tls_td_alloc(a->dev) : NULL;
	if (!a->td) {
		ret = -errno;
		report("PD/TD alloc", ret);
		return ret;
	}
	/* MODEL_SYNC: the model runs each doorbell on this thread, so a parameter or GET_PSV
	 * WQE is done when the call that posted it returns - deterministic runs per seed. */
	a->qp = mlx5tls_qp_create(a->pd, a->td, &q);
	if (!a->qp) {
		ret = -errno;
		report("control queue create", ret);
		return ret;
	}
	a->rq = mlx5tls_rq_create(a->pd, a->td, &ro);
	if (!a->rq) {
		ret = -errno;
		report("receive queue create", ret);
		return ret;
	}
	a->tir = mlx5tls_tir_create(a->rq, a->td, &to);
	if (!a->tir) {
		ret = -errno;
		report("TLS TIR create", ret);
		return ret;
	}
	put32(m.src_ip, SERVER_IP);
	put32(m.dst_ip, CLIENT_IP);
	a->flow = mlx5tls_flow_create(a->tir, &m);
	if (!a->flow) {
		ret = -errno;
		report("flow create", ret);
		return ret;
	}
	return 0;
}

/* Wait until the control queue has completed what the RX context posted on it (parameters, a
 * GET_PSV): on a device with its own thread the answer must be in before the next frame for the
 * run to be reproducible. Bounded: 2 s. */
static int drain_control(struct app *a)
{
	struct timespec tick = { .tv_sec = 0, .tv_nsec = 100 * 1000 };
	struct mlx5tls_qp_attr qa;

	for (int i = 0; i < 20000; i++) {
		int ret = mlx5tls_qp_poll(a->qp, NULL, 0, 0);

		if (ret >= 0)
			ret = mlx5tls_qp_query(a->qp, &qa, sizeof(qa));
		if (ret < 0) {
			report("control queue", ret);
			return ret;
		}
		if (!qa.inflight)
			return 0;
		nanosleep(&tick, NULL);
	}
	fprintf(stderr, PROG ": the control queue did not drain\n");
	return -ETIMEDOUT;
}

/* The application's record callback: verified plaintext only, compared as it comes. */
static int on_record(void *ctx, uint8_t type, const void *pt, size_t len)
{
	struct app *a = ctx;

	if (type != TLS_CT_APPLICATION_DATA || a->got_bytes + len > a->plain_len ||
	    memcmp(a->plain + a->got_bytes, pt, len)) {
		a->mismatch = true;
		return -EILSEQ; /* stops mlx5tls_rx_input(), which returns it */
	}
	a->got_bytes += len;
	a->got_records++;
	return 0;
}

/* Hand every segment that the stream has reached to the RX context, in TCP order. */
static void tcp_deliver(struct app *a)
{
	bool progress = true;

	while (progress && !a->input_err) {
		progress = false;
		for (unsigned int i = 0; i < a->n_held; i++) {
			struct held *h = &a->held[i];

			if ((int32_t)(h->seq - a->rcv_nxt) > 0)
				continue; /* a gap before it: wait */
			a->input_err = mlx5tls_rx_input(a->rx, h->seq, h->bytes, h->len,
							h->status, on_record, a);
			if ((int32_t)(h->seq + h->len - a->rcv_nxt) > 0)
				a->rcv_nxt = h->seq + h->len;
			free(h->bytes);
			*h = a->held[--a->n_held];
			progress = true;
			break;
		}
	}
}

/* One received packet: parse it as the client's stack would, tell the RX context its status
 * now (arrival order), and queue its payload for the reassembly. */
static int take_packet(struct app *a, const struct mlx5tls_rx_pkt *p)
{
	const uint8_t *f = p->data, *ip = f + ETH_HLEN, *tcp;
	size_t ihl, thl, tot;
	uint32_t seq, len;
	struct held *h;
	int ret;

	a->frames++;
	a->status[p->tls_status & 3]++;
	if (!p->l3_ok || !p->l4_ok) {
		a->bad_csum++;
		return 0;
	}
	if (p->len < HDRS_LEN || get16(f + 12) != 0x0800)
		return -EPROTO;
	ihl = (size_t)(ip[0] & 15) * 4;
	tot = get16(ip + 2);
	tcp = ip + ihl;
	if (ETH_HLEN + tot > p->len || ihl + TCP_HLEN > tot)
		return -EPROTO;
	thl = (size_t)(tcp[12] >> 4) * 4;
	if (ihl + thl > tot)
		return -EPROTO;
	seq = get32(tcp + 4);
	len = (uint32_t)(tot - ihl - thl);
	ret = mlx5tls_rx_packet(a->rx, seq, len, mlx5tls_rx_pkt_tls(p));
	if (!ret)
		ret = drain_control(a); /* a GET_PSV it posted is answered before the next frame */
	if (ret || !len)
		return ret;
	if (a->n_held == a->max_held)
		return -ENOSPC;
	h = &a->held[a->n_held];
	h->bytes = malloc(len);
	if (!h->bytes)
		return -ENOMEM;
	memcpy(h->bytes, tcp + thl, len);
	h->seq = seq;
	h->len = len;
	h->status = mlx5tls_rx_pkt_tls(p);
	a->n_held++;
	return 0;
}

/* The segments arrive at the device's port in the scheduled order; the client takes what the
 * receive queue delivers after each. */
static int receive_all(struct app *a, const struct arrival *arr)
{
	uint8_t frame[HDRS_LEN + MSS];
	struct mlx5tls_rx_pkt pkts[8];

	a->max_held = a->segs;
	a->held = calloc(a->max_held, sizeof(*a->held));
	if (!a->held)
		return -ENOMEM;
	a->rcv_nxt = a->start_sn;
	for (uint32_t i = 0; i < a->segs && !a->input_err; i++) {
		size_t n = build_frame(a, arr[i].seg, frame);
		int got, ret = mlx5tls_model_wire_rx(a->dev, frame, n);

		if (ret) {
			report("wire rx", ret);
			return ret;
		}
		got = mlx5tls_rq_poll(a->rq, pkts, 8, 0);
		if (got < 0) {
			report("receive queue poll", got);
			return got;
		}
		if (!got)
			a->dropped++; /* the device did not deliver it (see mlx5tls_rq_query) */
		for (int j = 0; j < got; j++) {
			int err = take_packet(a, &pkts[j]);

			ret = mlx5tls_rq_release(a->rq, &pkts[j]);
			if (err || ret) {
				report("receive", err ? err : ret);
				return err ? err : ret;
			}
		}
		a->arrived = i + 1;
		tcp_deliver(a);
		ret = drain_control(a); /* a resync answer tcp_deliver posted is applied now */
		if (ret)
			return ret;
	}
	return 0;
}

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
