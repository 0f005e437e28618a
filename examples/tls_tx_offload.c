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
 * Build: cc tls_tx_offload.c example_tls.c \
 *          $(pkg-config --cflags --libs libmlx5tls libssl libcrypto)
 */
#ifndef _GNU_SOURCE
#define _POSIX_C_SOURCE 200809L /* POSIX interfaces also with -std=c11 */
#endif
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include <mlx5tls/mlx5tls.h>

#include "example_tls.h"

#define PROG "tls_tx_offload"

/* TCP/IP constants of this example's one connection. */
#define ETH_HLEN 14u
#define IP_HLEN 20u
#define TCP_HLEN 20u
#define HDRS_LEN (ETH_HLEN + IP_HLEN + TCP_HLEN)
#define MSS 1448u
#define SERVER_PORT 443u
#define CLIENT_PORT 50000u
#define TCP_FIN 0x01u
#define TCP_SYN 0x02u
#define TCP_PSH 0x08u
#define TCP_ACK 0x10u

/* Frames live in a pool of fixed slots inside one registered region (see struct pool). */
#define SLOT_SIZE 2048u
#define NR_SLOTS 1024u
/* Segments in flight before the sender waits for an acknowledgement. */
#define WINDOW_SEGS 64u

/* TLS record layout (kTLS style). */
#define TLS_HDR_LEN 5u
#define TLS12_NONCE_LEN 8u
#define TLS_TAG_LEN 16u
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
	uint64_t seed;
	const char *pcap;
	bool fallback;
	const char *label; /* shown by mlx5tls-query ctx/conn */
	bool publish;
	bool hold;
	unsigned int hold_s; /* 0: until a signal */
};

static void usage(FILE *fp)
{
	fprintf(fp,
		"Usage: " PROG " [-d DEV] [--tls 1.2|1.3] [--bits 128|256] [-n RECORDS]\n"
		"       [--size BYTES] [--loss P] [--seed N] [--pcap FILE] [--fallback]\n"
		"       [--publish] [--hold SECONDS] [--label NAME]\n"
		"  -d DEV        device (default sim: the built-in ConnectX-6 Dx model)\n"
		"  --tls V       TLS version (default 1.3)\n"
		"  --bits B      AES-GCM key size (default 128)\n"
		"  -n RECORDS    application-data records to send (default 64)\n"
		"  --size BYTES  plaintext bytes per record, 1..16384 (default 4096)\n"
		"  --loss P      probability that the receiver loses a data frame (default 0)\n"
		"  --seed N      seed of the loss pattern and TCP sequence numbers (default 1)\n"
		"  --pcap FILE   write the wire to FILE (SSLKEYLOGFILE: key log for Wireshark)\n"
		"  --fallback    encrypt in software if the device cannot offload the suite\n"
		"  --label NAME  the connection's label in mlx5tls-query ctx and conn\n"
		"  --publish     publish the TLS state to mlx5tls-query (MLX5TLS_PUBLISH=1)\n"
		"  --hold S      after the transfer keep the connection S seconds (0: until\n"
		"                SIGTERM/SIGINT) before tearing it down\n");
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
		{ "seed", required_argument, NULL, 'S' },
		{ "pcap", required_argument, NULL, 'p' },
		{ "fallback", no_argument, NULL, 'f' },
		{ "publish", no_argument, NULL, 'P' },
		{ "label", required_argument, NULL, 'L' },
		{ "hold", required_argument, NULL, 'H' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned long v = 0;
	char *end = NULL;
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
		case 'f':
			o->fallback = true;
			break;
		case 'P':
			o->publish = true;
			break;
		case 'L':
			o->label = optarg;
			break;
		case 'H':
			if (parse_uint("--hold", optarg, 0, 86400, &v))
				return -1;
			o->hold = true;
			o->hold_s = (unsigned int)v;
			break;
		case 'n':
			if (parse_uint("-n", optarg, 1, 1000000, &v))
				return -1;
			o->records = (unsigned int)v;
			break;
		case 's':
			if (parse_uint("--size", optarg, 1, TLS_MAX_PLAINTEXT, &v))
				return -1;
			o->size = (unsigned int)v;
			break;
		case 'l':
			errno = 0;
			o->loss = strtod(optarg, &end);
			if (errno || end == optarg || *end || !(o->loss >= 0.0 && o->loss < 0.5)) {
				fprintf(stderr, PROG ": --loss takes a probability in [0, 0.5)\n");
				return -1;
			}
			break;
		case 'S':
			if (parse_uint("--seed", optarg, 0, ~0ul, &v))
				return -1;
			o->seed = v;
			break;
		case 'p':
			o->pcap = optarg;
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
	return 0;
}

/* TCP sequence comparison, modulo 2^32 (RFC 793). */
static bool seq_lt(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) < 0;
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

/*
 * Frame memory. The device reads a frame after mlx5tls_tx_send() returns, and the library may
 * read a TLS payload again much later: to resynchronise the device after a retransmission it
 * replays ("DUMPs") the start of the record being retransmitted from where those bytes were
 * first sent. So a slot is reused only once (a) its completion came back and (b) every record it
 * carries bytes of was acknowledged in full (mlx5tls_tx_ack() releases whole records only).
 */
struct slot {
	bool busy;
	bool completed;
	bool tls;          /* carries TLS data: also wait for the record release */
	uint32_t end_seq;  /* sequence after its payload */
};

struct pool {
	uint8_t *mem;
	struct mlx5tls_mr *mr;
	struct slot slots[NR_SLOTS];
	uint32_t next;     /* where the search for a free slot starts */
};

/* One direction of the TCP connection as its receiver sees it. */
struct tcp_rx {
	uint16_t port;       /* destination port of the frames it takes */
	bool syn_seen;
	uint32_t base;       /* sequence number of data[0] (initial sequence + 1) */
	uint8_t *data;       /* bytes by sequence offset */
	uint8_t *have;       /* 1 per byte received */
	size_t cap;
	size_t contig;       /* [0, contig) all received: rcv_nxt = base + contig */
	size_t fed;          /* of which handed to the TLS peer */
	uint32_t last_ack;   /* ACK field of the last frame taken: the other direction's progress */
	bool ack_valid;
	/* statistics */
	uint64_t frames, lost, bad_csum, dup_bytes, mismatched_bytes;
};

struct tcp_tx {
	uint32_t iss;        /* initial send sequence */
	uint32_t snd_nxt;
	uint16_t ip_id;
	uint16_t sport, dport;
	const uint8_t *smac, *dmac;
	uint32_t saddr, daddr;
};

struct app {
	struct options o;
	uint64_t rng;

	struct mlx5tls_device *dev;
	struct mlx5tls_pd *pd;
	struct mlx5tls_td *td;
	struct mlx5tls_qp *qp;
	struct mlx5tls_tx *tx;
	struct pool pool;

	SSL_CTX *sctx, *cctx;
	SSL *server, *client;

	struct tcp_tx s_tx, c_tx;   /* server -> client, client -> server */
	struct tcp_rx c_rx, s_rx;   /* the client's receiver, the server's receiver */
	bool loss_active;           /* lose data frames (only after the handshake) */

	/* the offloaded stream: plaintext records, laid out */
	uint8_t *plain;             /* the application's data */
	uint8_t *stream;
	size_t stream_len;
	uint32_t *rec_off;          /* start offset of every record, + one past the last */
	unsigned int nr_recs;
	uint32_t start_sn;          /* TCP sequence of stream[0] */

	uint64_t data_frames, retx_frames, pure_acks;
	uint64_t read_bytes;
	bool read_error;
};

static const uint8_t server_mac[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x01 };
static const uint8_t client_mac[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x02 };

/* Ethernet + IPv4 + TCP headers (20 bytes, no options). The IPv4 header and TCP checksums are
 * left 0: the send WQE asks the device to compute them (checksum offload). */
static void build_headers(uint8_t *f, struct tcp_tx *t, uint32_t seq, uint32_t ack, uint8_t flags,
			  size_t payload_len)
{
	uint8_t *ip = f + ETH_HLEN, *tcp = ip + IP_HLEN;

	memset(f, 0, HDRS_LEN);
	memcpy(f, t->dmac, 6);
	memcpy(f + 6, t->smac, 6);
	put16(f + 12, 0x0800);
	ip[0] = 0x45;
	put16(ip + 2, (uint16_t)(IP_HLEN + TCP_HLEN + payload_len));
	put16(ip + 4, t->ip_id++);
	put16(ip + 6, 0x4000); /* don't fragment */
	ip[8] = 64;
	ip[9] = 6; /* TCP */
	put32(ip + 12, t->saddr);
	put32(ip + 16, t->daddr);
	put16(tcp, t->sport);
	put16(tcp + 2, t->dport);
	put32(tcp + 4, seq);
	put32(tcp + 8, ack);
	tcp[12] = (TCP_HLEN / 4) << 4;
	tcp[13] = flags;
	put16(tcp + 14, 65535);
}

/* ---- the frame pool ---- */

static int pool_init(struct app *a)
{
	a->pool.mem = aligned_alloc(4096, (size_t)NR_SLOTS * SLOT_SIZE);
	if (!a->pool.mem)
		return -ENOMEM;
	a->pool.mr = mlx5tls_mr_reg(a->pd, a->pool.mem, (size_t)NR_SLOTS * SLOT_SIZE);
	return a->pool.mr ? 0 : -errno;
}

/* Where the records still held by the library start: the start of the record holding `acked`.
 * Frames wholly before it will never be read again. */
static uint32_t release_point(const struct app *a, uint32_t acked)
{
	size_t off = acked - a->start_sn, lo = 0, hi = a->nr_recs;

	if (!a->nr_recs || seq_lt(acked, a->start_sn))
		return a->start_sn;
	if (off >= a->stream_len)
		return a->start_sn + (uint32_t)a->stream_len;
	while (hi - lo > 1) { /* the last record starting at or before off */
		size_t mid = (lo + hi) / 2;

		if (a->rec_off[mid] <= off)
			lo = mid;
		else
			hi = mid;
	}
	return a->start_sn + a->rec_off[lo];
}

/* Reap completions; a completed slot is free unless a TLS record in it awaits its ack. */
static int pool_reap(struct app *a)
{
	struct mlx5tls_completion done[64];
	int n;

	while ((n = mlx5tls_qp_poll(a->qp, done, 64, 0)) > 0) {
		for (int i = 0; i < n; i++) {
			struct slot *s = &a->pool.slots[done[i].cookie];

			if (done[i].status)
				fprintf(stderr, PROG ": frame in slot %" PRIu64 " failed: %s\n",
					done[i].cookie, strerror(-done[i].status));
			s->completed = true;
			if (!s->tls)
				s->busy = false;
		}
	}
	if (n < 0)
		return n;
	if (a->tx && a->s_rx.ack_valid) {
		uint32_t rp = release_point(a, a->s_rx.last_ack);

		for (uint32_t i = 0; i < NR_SLOTS; i++) {
			struct slot *s = &a->pool.slots[i];

			if (s->busy && s->completed && s->tls && !seq_lt(rp, s->end_seq))
				s->busy = false;
		}
	}
	return 0;
}

static int pool_get(struct app *a, uint32_t *idx)
{
	for (int pass = 0; pass < 2; pass++) {
		for (uint32_t i = 0; i < NR_SLOTS; i++) {
			uint32_t k = (a->pool.next + i) % NR_SLOTS;

			if (!a->pool.slots[k].busy) {
				a->pool.slots[k] = (struct slot){ .busy = true };
				a->pool.next = (k + 1) % NR_SLOTS;
				*idx = k;
				return 0;
			}
		}
		if (pass == 0) {
			int ret = mlx5tls_qp_flush(a->qp);

			if (!ret)
				ret = pool_reap(a);
			if (ret)
				return ret;
		}
	}
	return -ENOBUFS;
}

/* ---- sending ---- */

/* One frame from `t` with `len` payload bytes; TLS TX frames go through the TLS context, others
 * (handshake, ACKs, the client's frames) as plain sends on the same queue. Posted with
 * MLX5TLS_SEND_F_MORE: the caller rings the doorbell once per burst (mlx5tls_qp_flush). */
static int send_segment(struct app *a, struct tcp_tx *t, uint32_t seq, uint32_t ack,
			uint8_t flags, const void *payload, size_t len, bool tls)
{
	struct mlx5tls_frame f = { 0 };
	uint32_t idx = 0;
	uint8_t *mem;
	int ret;

	ret = pool_get(a, &idx);
	if (ret)
		return ret;
	mem = a->pool.mem + (size_t)idx * SLOT_SIZE;
	build_headers(mem, t, seq, ack, flags, len);
	if (len)
		memcpy(mem + HDRS_LEN, payload, len);
	a->pool.slots[idx].tls = tls;
	a->pool.slots[idx].end_seq = seq + (uint32_t)len;
	f.data = mem;
	f.len = (uint32_t)(HDRS_LEN + len);
	f.mr = a->pool.mr;
	f.cookie = idx;
	ret = tls ? mlx5tls_tx_send(a->tx, &f, MLX5TLS_SEND_F_MORE)
		  : mlx5tls_qp_send(a->qp, &f, MLX5TLS_SEND_F_MORE);
	if (ret) {
		a->pool.slots[idx].busy = false;
		report(tls ? "mlx5tls_tx_send" : "mlx5tls_qp_send", ret);
	}
	return ret;
}

/* Ring the doorbell. With MLX5TLS_QP_F_MODEL_SYNC the model sends everything on this thread, so
 * when this returns every frame posted so far has reached the receivers. */
static int flush(struct app *a)
{
	int ret = mlx5tls_qp_flush(a->qp);

	if (ret) {
		report("mlx5tls_qp_flush", ret);
		return ret;
	}
	return pool_reap(a);
}

/* A byte stream in segments of at most MSS (handshake flights); the ACK field says what the
 * sending side's own receiver holds. */
static int send_stream(struct app *a, struct tcp_tx *t, const struct tcp_rx *own_rx,
		       const uint8_t *p, size_t len)
{
	while (len) {
		size_t n = len < MSS ? len : MSS;
		uint32_t ack = own_rx->base + (uint32_t)own_rx->contig;
		int ret = send_segment(a, t, t->snd_nxt, ack, TCP_ACK | TCP_PSH, p, n, false);

		if (ret)
			return ret;
		t->snd_nxt += (uint32_t)n;
		p += n;
		len -= n;
	}
	return 0;
}

/* ---- receiving: the wire callback ---- */

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
	return (uint16_t)sum;
}

static int rx_grow(struct tcp_rx *r, size_t need)
{
	size_t ncap = r->cap ? r->cap : 65536;
	uint8_t *d, *h;

	while (ncap < need)
		ncap *= 2;
	if (ncap == r->cap)
		return 0;
	d = realloc(r->data, ncap);
	if (!d)
		return -ENOMEM;
	r->data = d;
	h = realloc(r->have, ncap);
	if (!h)
		return -ENOMEM;
	memset(h + r->cap, 0, ncap - r->cap);
	r->have = h;
	r->cap = ncap;
	return 0;
}

/* Place a segment by sequence number: out-of-order bytes are kept (the cumulative ACK then
 * jumps once the hole is filled); a byte received twice must be the same both times. */
static void rx_segment(struct tcp_rx *r, uint8_t flags, uint32_t seq, const uint8_t *p,
		       size_t len)
{
	size_t off;

	if (flags & TCP_SYN) {
		r->syn_seen = true;
		r->base = seq + 1;
		return;
	}
	if (!r->syn_seen || !len || seq_lt(seq, r->base))
		return;
	off = seq - r->base;
	if (rx_grow(r, off + len)) {
		r->lost++; /* no memory: as if the frame were lost, the sender retransmits */
		return;
	}
	for (size_t i = 0; i < len; i++) {
		if (r->have[off + i]) {
			r->dup_bytes++;
			if (r->data[off + i] != p[i])
				r->mismatched_bytes++;
			continue;
		}
		r->data[off + i] = p[i];
		r->have[off + i] = 1;
	}
	while (r->contig < r->cap && r->have[r->contig])
		r->contig++;
}

/* Every frame the model puts on the wire comes here (on the thread that rang the doorbell). */
static void wire_rx(void *ctx, const void *frame, size_t len)
{
	struct app *a = ctx;
	const uint8_t *f = frame, *ip = f + ETH_HLEN, *tcp = ip + IP_HLEN;
	struct tcp_rx *r;
	size_t ip_len, doff, plen;
	uint32_t sum;

	if (len < HDRS_LEN || get16(f + 12) != 0x0800 || ip[0] != 0x45 || ip[9] != 6)
		return; /* not IPv4/TCP without IP options: not ours */
	r = get16(tcp + 2) == a->c_rx.port ? &a->c_rx : &a->s_rx;
	ip_len = get16(ip + 2);
	doff = (size_t)(tcp[12] >> 4) * 4;
	if (ip_len < IP_HLEN + TCP_HLEN || ETH_HLEN + ip_len > len || doff < TCP_HLEN ||
	    IP_HLEN + doff > ip_len) {
		r->bad_csum++;
		return;
	}
	plen = ip_len - IP_HLEN - doff;
	/* a lost data frame: the receiver never sees it (only after the handshake) */
	if (a->loss_active && r == &a->c_rx && plen && rng_unit(&a->rng) < a->o.loss) {
		r->lost++;
		return;
	}
	r->frames++;
	/* what the device computed: IPv4 header checksum, TCP checksum over the pseudo header */
	sum = csum_add(0, ip + 12, 8) + 6 + (uint32_t)(ip_len - IP_HLEN);
	if (csum_fold(csum_add(0, ip, IP_HLEN)) != 0xffff ||
	    csum_fold(csum_add(sum, tcp, ip_len - IP_HLEN)) != 0xffff) {
		r->bad_csum++;
		return;
	}
	if (tcp[13] & TCP_ACK) {
		r->last_ack = get32(tcp + 8);
		r->ack_valid = true;
	}
	rx_segment(r, tcp[13], get32(tcp + 4), tcp + doff, plen);
}

/* Hand what arrived in order to the TLS peer behind this receiver. */
static int rx_feed(struct tcp_rx *r, SSL *ssl)
{
	while (r->fed < r->contig) {
		size_t n = r->contig - r->fed;
		int chunk = n > 1u << 20 ? 1 << 20 : (int)n;

		if (BIO_write(SSL_get_rbio(ssl), r->data + r->fed, chunk) != chunk)
			return -ENOMEM;
		r->fed += (size_t)chunk;
	}
	return 0;
}

/* =============================== the session =============================== */

/* The plaintext: numbered 64-byte lines of text, so that a decrypted capture is readable and a
 * byte out of place shows. */
static int make_plaintext(struct app *a)
{
	size_t len = (size_t)a->o.records * a->o.size;

	a->plain = malloc(len);
	if (!a->plain)
		return -ENOMEM;
	for (size_t off = 0; off < len; off += 64) {
		char line[80];
		size_t n = len - off < 64 ? len - off : 64;

		snprintf(line, sizeof(line),
			 "%07zu TLS record plaintext, encrypted inline by the NIC.         ",
			 off / 64);
		line[63] = '\n';
		memcpy(a->plain + off, line, n);
	}
	return 0;
}

static int tcp_connect(struct app *a)
{
	int ret;

	a->c_tx = (struct tcp_tx){ .iss = (uint32_t)rng_next(&a->rng), .sport = CLIENT_PORT,
				   .dport = SERVER_PORT, .smac = client_mac, .dmac = server_mac,
				   .saddr = 0xc0a80002, .daddr = 0xc0a80001 }; /* 192.168.0.x */
	a->s_tx = (struct tcp_tx){ .iss = (uint32_t)rng_next(&a->rng), .sport = SERVER_PORT,
				   .dport = CLIENT_PORT, .smac = server_mac, .dmac = client_mac,
				   .saddr = 0xc0a80001, .daddr = 0xc0a80002 };
	a->c_rx.port = CLIENT_PORT;
	a->s_rx.port = SERVER_PORT;
	ret = send_segment(a, &a->c_tx, a->c_tx.iss, 0, TCP_SYN, NULL, 0, false);
	if (!ret)
		ret = flush(a);
	if (!ret)
		ret = send_segment(a, &a->s_tx, a->s_tx.iss, a->c_tx.iss + 1, TCP_SYN | TCP_ACK,
				   NULL, 0, false);
	if (!ret)
		ret = flush(a);
	if (!ret)
		ret = send_segment(a, &a->c_tx, a->c_tx.iss + 1, a->s_tx.iss + 1, TCP_ACK, NULL,
				   0, false);
	if (!ret)
		ret = flush(a);
	a->c_tx.snd_nxt = a->c_tx.iss + 1;
	a->s_tx.snd_nxt = a->s_tx.iss + 1;
	if (!ret && (!a->s_rx.syn_seen || !a->c_rx.syn_seen)) {
		fprintf(stderr, PROG ": the SYNs did not cross the wire\n");
		ret = -EIO;
	}
	return ret;
}

/* Whatever OpenSSL wrote on one side goes out as TCP segments. */
static int ship_flight(struct app *a, SSL *ssl, struct tcp_tx *t, const struct tcp_rx *own_rx)
{
	char *data = NULL;
	long n = BIO_get_mem_data(SSL_get_wbio(ssl), &data);
	int ret = 0;

	if (n > 0) {
		ret = send_stream(a, t, own_rx, (const uint8_t *)data, (size_t)n);
		if (!ret) {
			(void)BIO_reset(SSL_get_wbio(ssl));
			ret = flush(a);
		}
	}
	return ret;
}

static int tls_handshake(struct app *a)
{
	bool done[2] = { false, false };
	SSL *ssl[2] = { a->client, a->server };

	for (int round = 0; round < 16 && !(done[0] && done[1]); round++) {
		for (int s = 0; s < 2; s++) {
			struct tcp_rx *my_rx = s ? &a->s_rx : &a->c_rx;
			struct tcp_tx *t = s ? &a->s_tx : &a->c_tx;
			int ret = rx_feed(my_rx, ssl[s]);

			if (ret)
				return ret;
			if (!done[s]) {
				int r = SSL_do_handshake(ssl[s]);
				int err = r == 1 ? SSL_ERROR_NONE : SSL_get_error(ssl[s], r);

				if (r == 1) {
					done[s] = true;
				} else if (err != SSL_ERROR_WANT_READ &&
					   err != SSL_ERROR_WANT_WRITE) {
					fprintf(stderr, PROG ": %s handshake failed\n",
						s ? "server" : "client");
					ERR_print_errors_fp(stderr);
					return -EPROTO;
				}
			}
			ret = ship_flight(a, ssl[s], t, my_rx);
			if (ret)
				return ret;
		}
	}
	if (!done[0] || !done[1]) {
		fprintf(stderr, PROG ": the TLS handshake did not complete\n");
		return -EPROTO;
	}
	/* the final flight must have been consumed: nothing else may be in flight */
	if (a->s_rx.fed != a->s_rx.contig || a->c_rx.fed != a->c_rx.contig ||
	    BIO_ctrl_pending(SSL_get_rbio(a->server)) ||
	    BIO_ctrl_pending(SSL_get_rbio(a->client))) {
		fprintf(stderr, PROG ": unexpected bytes after the handshake\n");
		return -EPROTO;
	}
	return 0;
}

/* Lay the records out back to back, as the application hands them to its TCP stack. */
static int layout_records(struct app *a, uint64_t first_record)
{
	bool tls12 = a->o.tls_version == TLS1_2_VERSION;
	size_t overhead = TLS_HDR_LEN + (tls12 ? TLS12_NONCE_LEN : 1u) + TLS_TAG_LEN;
	size_t rec_len = a->o.size + overhead, pt_off = 0;
	uint8_t *p;

	a->nr_recs = a->o.records;
	a->stream_len = rec_len * a->nr_recs;
	if (a->stream_len > (1u << 30))
		return -E2BIG; /* keep sequence numbers far from wrapping onto themselves */
	if (make_plaintext(a))
		return -ENOMEM;
	a->stream = malloc(a->stream_len);
	a->rec_off = calloc(a->nr_recs + 1u, sizeof(*a->rec_off));
	if (!a->stream || !a->rec_off)
		return -ENOMEM;
	p = a->stream;
	for (unsigned int i = 0; i < a->nr_recs; i++) {
		a->rec_off[i] = (uint32_t)(p - a->stream);
		p[0] = TLS_CT_APPLICATION_DATA; /* TLS 1.3: the outer type is always 23 */
		p[1] = 0x03;
		p[2] = 0x03;
		put16(p + 3, (uint16_t)(rec_len - TLS_HDR_LEN));
		p += TLS_HDR_LEN;
		if (tls12) { /* explicit nonce = record sequence number (iv = rec_seq above) */
			put64(p, first_record + i);
			p += TLS12_NONCE_LEN;
		}
		memcpy(p, a->plain + pt_off, a->o.size);
		p += a->o.size;
		pt_off += a->o.size;
		if (!tls12)
			*p++ = TLS_CT_APPLICATION_DATA; /* TLSInnerPlaintext content type */
		memset(p, 0, TLS_TAG_LEN); /* the device writes the tag here */
		p += TLS_TAG_LEN;
	}
	a->rec_off[a->nr_recs] = (uint32_t)a->stream_len;
	return 0;
}

/* The client reads what arrived and checks it. */
static int client_read(struct app *a)
{
	uint8_t buf[16384];
	int ret = rx_feed(&a->c_rx, a->client);

	if (ret)
		return ret;
	for (;;) {
		size_t n = 0;
		int r = SSL_read_ex(a->client, buf, sizeof(buf), &n);

		if (r != 1) {
			int err = SSL_get_error(a->client, r);

			if (err == SSL_ERROR_WANT_READ)
				return 0;
			fprintf(stderr,
				PROG ": the client could not read a record (%d) after %" PRIu64
				     " bytes:\n", err, a->read_bytes);
			ERR_print_errors_fp(stderr);
			a->read_error = true;
			return -EBADMSG;
		}
		if (a->read_bytes + n > (uint64_t)a->o.records * a->o.size ||
		    memcmp(buf, a->plain + a->read_bytes, n) != 0) {
			fprintf(stderr,
				PROG ": the plaintext read differs from the one sent, in the %zu "
				     "bytes after byte %" PRIu64 "\n", n, a->read_bytes);
			a->read_error = true;
			return -EBADMSG;
		}
		a->read_bytes += n;
	}
}

/*
 * The offloaded data phase: a go-back-N sender. Each round sends up to WINDOW_SEGS segments from
 * snd_nxt and rings the doorbell once; the receiver's cumulative ACK comes back as a frame; if it
 * is short of what was sent, something was lost and the sender goes back to it. (A real TCP
 * retransmits on duplicate ACKs or a timer; the library does not care why a segment is sent
 * again, only that its sequence number is not the next one.)
 */
static int send_records(struct app *a)
{
	uint32_t snd_una = a->start_sn, snd_nxt = a->start_sn, snd_max = a->start_sn;
	uint32_t end = a->start_sn + (uint32_t)a->stream_len;
	int ret;

	a->loss_active = a->o.loss > 0;
	for (unsigned int rounds = 0; seq_lt(snd_una, end); rounds++) {
		uint32_t ack;

		if (rounds > 1000000) {
			fprintf(stderr, PROG ": no progress\n");
			return -ETIMEDOUT;
		}
		for (unsigned int k = 0; k < WINDOW_SEGS && seq_lt(snd_nxt, end); k++) {
			size_t off = snd_nxt - a->start_sn;
			size_t n = a->stream_len - off < MSS ? a->stream_len - off : MSS;

			ret = send_segment(a, &a->s_tx, snd_nxt,
					   a->s_rx.base + (uint32_t)a->s_rx.contig,
					   TCP_ACK | TCP_PSH, a->stream + off, n, true);
			if (ret)
				return ret;
			a->data_frames++;
			if (seq_lt(snd_nxt, snd_max))
				a->retx_frames++;
			snd_nxt += (uint32_t)n;
			if (seq_lt(snd_max, snd_nxt))
				snd_max = snd_nxt;
		}
		ret = flush(a);
		if (!ret)
			ret = client_read(a);
		if (ret)
			return ret;
		/* the client acknowledges what it holds in order */
		ack = a->c_rx.base + (uint32_t)a->c_rx.contig;
		ret = send_segment(a, &a->c_tx, a->c_tx.snd_nxt, ack, TCP_ACK, NULL, 0, false);
		if (!ret)
			ret = flush(a);
		if (ret)
			return ret;
		a->pure_acks++;
		if (!a->s_rx.ack_valid || a->s_rx.last_ack != ack) {
			fprintf(stderr, PROG ": the ACK did not reach the server\n");
			return -EIO;
		}
		if (seq_lt(snd_una, ack)) {
			snd_una = ack;
			/* the library may now forget the records wholly before ack */
			ret = mlx5tls_tx_ack(a->tx, ack);
			if (ret) {
				report("mlx5tls_tx_ack", ret);
				return ret;
			}
		}
		if (seq_lt(snd_una, snd_nxt))
			snd_nxt = snd_una; /* a gap at the receiver: go back */
		ret = pool_reap(a);
		if (ret)
			return ret;
	}
	a->loss_active = false;
	return 0;
}

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
