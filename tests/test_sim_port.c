/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Device model ports: the pcap file read back with libpcap, and the AF_PACKET port sending onto
 * one end of a veth pair while a packet socket on the other end checks what arrives.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <pcap/pcap.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sim/port.h"
#include "test_util.h"

#define NFRAMES 3

/* ---- test frames ---- */

static uint16_t ip_csum(const uint8_t *p, size_t len)
{
	uint32_t sum = 0;

	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/*
 * A well-formed Ethernet/IPv4/UDP frame of `len` bytes (>= 60) whose payload starts with
 * `marker` and goes on with a pattern, so a receiver can tell it from whatever else the kernel
 * sends on the link (IPv6 router solicitations, ...). The MACs are locally administered.
 */
static void build_udp_frame(uint8_t *f, size_t len, const char *marker, uint8_t seed)
{
	static const uint8_t macs[12] = { 0x02, 0, 0, 0, 0, 0x02, 0x02, 0, 0, 0, 0, 0x01 };
	size_t ip_len = len - 14, udp_len = ip_len - 20, mlen = strlen(marker);
	uint8_t *ip = f + 14, *udp = ip + 20, *pl = udp + 8;
	uint16_t c;

	if (len < 60 || mlen > udp_len - 8)
		abort(); /* a test bug: the marker must fit in the payload */
	memset(f, 0, len);
	memcpy(f, macs, sizeof(macs));
	f[12] = 0x08; /* ETH_P_IP */
	ip[0] = 0x45;
	ip[2] = (uint8_t)(ip_len >> 8);
	ip[3] = (uint8_t)ip_len;
	ip[8] = 64;  /* TTL */
	ip[9] = 17;  /* UDP */
	ip[12] = 198, ip[13] = 18, ip[14] = 0, ip[15] = 1; /* 198.18.0.1 -> 198.18.0.2 (RFC 2544) */
	ip[16] = 198, ip[17] = 18, ip[18] = 0, ip[19] = 2;
	c = ip_csum(ip, 20);
	ip[10] = (uint8_t)(c >> 8);
	ip[11] = (uint8_t)c;
	udp[0] = 0xc3, udp[1] = 0x50; /* 50000 -> 9 (discard); UDP checksum 0: none */
	udp[3] = 9;
	udp[4] = (uint8_t)(udp_len >> 8);
	udp[5] = (uint8_t)udp_len;
	memcpy(pl, marker, mlen);
	for (size_t i = mlen; i < udp_len - 8; i++)
		pl[i] = (uint8_t)(seed + i * 7);
}

static const size_t frame_lens[NFRAMES] = { 60, 333, 1514 };

/* ---- pcap read back with libpcap ---- */

/* Read every record of `path`; check the header fields and the records against frames[]. */
static void check_pcap_file(const char *path, uint8_t *const frames[], const size_t *lens,
			    int nframes, bool zero_time, time_t t0, time_t t1)
{
	char errbuf[PCAP_ERRBUF_SIZE] = "";
	struct pcap_pkthdr *h = NULL;
	const u_char *data = NULL;
	pcap_t *pc;
	int n = 0, r;

	pc = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_MICRO, errbuf);
	if (!pc)
		fprintf(stderr, "pcap_open_offline(%s): %s\n", path, errbuf);
	CU_ASSERT_PTR_NOT_NULL_FATAL(pc);
	CU_ASSERT_EQUAL(pcap_datalink(pc), DLT_EN10MB);
	CU_ASSERT_EQUAL(pcap_snapshot(pc), 262144);
	CU_ASSERT_EQUAL(pcap_major_version(pc), 2);
	CU_ASSERT_EQUAL(pcap_minor_version(pc), 4);
	CU_ASSERT_EQUAL(pcap_is_swapped(pc), 0); /* written in host byte order */
	while ((r = pcap_next_ex(pc, &h, &data)) == 1) {
		if (n < nframes) {
			CU_ASSERT_EQUAL(h->caplen, lens[n]);
			CU_ASSERT_EQUAL(h->len, lens[n]);
			if (h->caplen == lens[n])
				TEST_ASSERT_BYTES("pcap record", data, frames[n], lens[n]);
			if (zero_time) {
				CU_ASSERT_EQUAL(h->ts.tv_sec, 0);
				CU_ASSERT_EQUAL(h->ts.tv_usec, 0);
			} else {
				CU_ASSERT(h->ts.tv_sec >= t0 && h->ts.tv_sec <= t1);
				CU_ASSERT(h->ts.tv_usec >= 0 && h->ts.tv_usec < 1000000);
			}
		}
		n++;
	}
	CU_ASSERT_EQUAL(r, PCAP_ERROR_BREAK); /* a clean end of file, no truncated record */
	CU_ASSERT_EQUAL(n, nframes);
	pcap_close(pc);
}

/* Wall-clock seconds from the clock the pcap port reads (time() may use a coarser one). */
static time_t wall_s(void)
{
	struct timespec ts = { 0 };

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec;
}

static void pcap_roundtrip(uint32_t flags)
{
	char path[] = "/tmp/mlx5tls_port_XXXXXX";
	uint8_t *frames[NFRAMES] = { NULL };
	struct sim_port_stats st = { 0 };
	struct sim_port *p;
	time_t t0, t1;
	int fd = mkstemp(path);

	CU_ASSERT_FATAL(fd >= 0);
	close(fd);
	for (int i = 0; i < NFRAMES; i++) {
		frames[i] = malloc(frame_lens[i]);
		CU_ASSERT_PTR_NOT_NULL_FATAL(frames[i]);
		build_udp_frame(frames[i], frame_lens[i], "pcap", (uint8_t)i);
	}
	t0 = wall_s();
	p = sim_port_pcap_create(path, flags);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	/* a fresh file is already a valid, empty capture */
	check_pcap_file(path, frames, frame_lens, 0, false, 0, 0);
	CU_ASSERT_EQUAL(sim_port_xmit(p, frames[0], frame_lens[0]), 0);
	/* each frame is flushed as it is sent: a reader sees it while the port is open */
	check_pcap_file(path, frames, frame_lens, 1, flags & SIM_PCAP_ZERO_TIME, t0, wall_s());
	for (int i = 1; i < NFRAMES; i++)
		CU_ASSERT_EQUAL(sim_port_xmit(p, frames[i], frame_lens[i]), 0);
	sim_port_get_stats(p, &st);
	CU_ASSERT_EQUAL(st.frames, NFRAMES);
	CU_ASSERT_EQUAL(st.bytes, 60 + 333 + 1514);
	CU_ASSERT_EQUAL(st.errors, 0);
	sim_port_destroy(p);
	t1 = wall_s();
	check_pcap_file(path, frames, frame_lens, NFRAMES, flags & SIM_PCAP_ZERO_TIME, t0, t1);
	unlink(path);
	for (int i = 0; i < NFRAMES; i++)
		free(frames[i]);
}

static void test_pcap_zero_time(void)
{
	pcap_roundtrip(SIM_PCAP_ZERO_TIME);
}

static void test_pcap_wall_time(void)
{
	pcap_roundtrip(0);
}

static void test_pcap_errors(void)
{
	errno = 0;
	CU_ASSERT_PTR_NULL(sim_port_pcap_create(NULL, 0));
	CU_ASSERT_EQUAL(errno, EINVAL);
	errno = 0;
	CU_ASSERT_PTR_NULL(sim_port_pcap_create("/tmp/never-written.pcap", 1u << 7));
	CU_ASSERT_EQUAL(errno, EINVAL);
	CU_ASSERT_EQUAL(access("/tmp/never-written.pcap", F_OK), -1);
	errno = 0;
	CU_ASSERT_PTR_NULL(sim_port_pcap_create("/nonexistent-dir/x.pcap", 0));
	CU_ASSERT_EQUAL(errno, ENOENT); /* fopen's errno, not a generic one */
	/* the header cannot be written: the failing flush's errno comes back */
	if (access("/dev/full", W_OK) == 0) {
		errno = 0;
		CU_ASSERT_PTR_NULL(sim_port_pcap_create("/dev/full", 0));
		CU_ASSERT_EQUAL(errno, ENOSPC);
	}
}

/* ---- AF_PACKET ---- */

/*
 * Run a shell command built from fmt; return its exit status (-1 if it could not be run, 128 +
 * signal if killed). The first line of its output (stdout and stderr) goes to `out`.
 */
__attribute__((format(printf, 3, 4))) static int run(char *out, size_t outsz, const char *fmt, ...)
{
	char cmd[512], line[256];
	va_list ap;
	FILE *f;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	if (out && outsz)
		out[0] = '\0';
	/* 2>&1 so that "sh: ip: not found" is captured along with ip's own messages */
	strncat(cmd, " 2>&1", sizeof(cmd) - strlen(cmd) - 1);
	f = popen(cmd, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (out && outsz && !out[0]) {
			line[strcspn(line, "\n")] = '\0';
			snprintf(out, outsz, "%s", line);
		}
	}
	st = pclose(f);
	if (st == -1)
		return -1;
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	return WIFSIGNALED(st) ? 128 + WTERMSIG(st) : -1;
}

/* Run a command that must succeed; report it on stderr if it does not. */
__attribute__((format(printf, 1, 2))) static int must_run(const char *fmt, ...)
{
	char cmd[256], out[256];
	va_list ap;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	st = run(out, sizeof(out), "%s", cmd);
	if (st)
		fprintf(stderr, "`%s` failed (status %d): %s\n", cmd, st, out);
	return st;
}

struct veth {
	char tx[IFNAMSIZ]; /* the port's end */
	char rx[IFNAMSIZ]; /* the peer, where the test listens */
	bool created;
};

static struct veth g_veth;

/* Deleting one end removes the pair. Also registered with atexit, for a test that dies early. */
static void veth_delete(void)
{
	if (!g_veth.created)
		return;
	g_veth.created = false;
	must_run("ip link del dev %s", g_veth.tx);
}

/* Create the pair and bring both ends up. false (and a SKIP line) when this environment cannot. */
static bool veth_create(struct veth *v)
{
	static bool atexit_done;
	char out[256];
	int st;

	snprintf(v->tx, sizeof(v->tx), "m5t%d", (int)getpid());
	snprintf(v->rx, sizeof(v->rx), "m5r%d", (int)getpid());
	st = run(out, sizeof(out), "ip link add %s type veth peer name %s", v->tx, v->rx);
	if (st) {
		/* on a line of its own: CUnit has just printed "Test: ... ..." without a newline */
		fprintf(stderr, "\nSKIP: cannot create a veth pair (`ip link add ... type veth` exit "
				"status %d: %s; needs root/CAP_NET_ADMIN and iproute2)\n",
			st, out[0] ? out : "no output");
		return false;
	}
	v->created = true;
	if (!atexit_done && atexit(veth_delete) == 0)
		atexit_done = true;
	return must_run("ip link set dev %s up", v->tx) == 0 &&
	       must_run("ip link set dev %s up", v->rx) == 0 && test_wait_oper_up(v->tx) &&
	       test_wait_oper_up(v->rx);
}

/* A packet socket receiving every frame that arrives on ifname, with a receive timeout. */
static int rx_socket(const char *ifname)
{
	struct timeval tv = { .tv_sec = 0, .tv_usec = 200 * 1000 };
	struct sockaddr_ll sll;
	int fd;

	fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ALL));
	if (fd < 0) {
		perror("socket(AF_PACKET)");
		return -1;
	}
	memset(&sll, 0, sizeof(sll));
	sll.sll_family = AF_PACKET;
	sll.sll_protocol = htons(ETH_P_ALL);
	sll.sll_ifindex = (int)if_nametoindex(ifname);
	if (!sll.sll_ifindex || bind(fd, (struct sockaddr *)&sll, sizeof(sll)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0) {
		perror("rx socket");
		close(fd);
		return -1;
	}
	return fd;
}

static double now_s(void)
{
	struct timespec ts = { 0 };

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * Receive on fd until each of frames[] has arrived (matched by its mlen-byte marker at the UDP
 * payload, offset 42) or 5 s pass. Checks the bytes and the length of each. Returns how many of
 * them arrived.
 */
static int receive_frames(int fd, uint8_t *const frames[], const size_t *lens, size_t mlen)
{
	static uint8_t buf[65536];
	bool seen[NFRAMES] = { false };
	double deadline = now_s() + 5.0;
	int got = 0;

	while (got < NFRAMES && now_s() < deadline) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);

		if (n < 0)
			continue; /* timeout (EAGAIN) or EINTR: check the deadline */
		for (int i = 0; i < NFRAMES; i++) {
			/* each marker ends in its frame's index; frames without one are the kernel's */
			if ((size_t)n < 42 + mlen || memcmp(buf + 42, frames[i] + 42, mlen) != 0)
				continue;
			CU_ASSERT_FALSE(seen[i]); /* delivered once */
			CU_ASSERT_EQUAL((size_t)n, lens[i]);
			if ((size_t)n == lens[i])
				TEST_ASSERT_BYTES("frame on the veth peer", buf, frames[i], lens[i]);
			if (!seen[i])
				got++;
			seen[i] = true;
		}
	}
	return got;
}

static void afpacket_on_veth(const struct veth *v)
{
	uint8_t *frames[NFRAMES] = { NULL };
	char markers[NFRAMES][32];
	struct sim_port_stats st = { 0 };
	struct sim_port *p = NULL, *p2 = NULL;
	int fd = -1;

	for (int i = 0; i < NFRAMES; i++) {
		/* <= 18 bytes: the whole UDP payload of the 60-byte frame */
		snprintf(markers[i], sizeof(markers[i]), "m5t-%d-%d", (int)getpid(), i);
		frames[i] = malloc(frame_lens[i]);
		CU_ASSERT_PTR_NOT_NULL(frames[i]);
		if (!frames[i])
			goto out;
		build_udp_frame(frames[i], frame_lens[i], markers[i], (uint8_t)(i * 31));
	}
	fd = rx_socket(v->rx);
	CU_ASSERT(fd >= 0);
	p = sim_port_afpacket_create(v->tx, 0);
	if (!p)
		fprintf(stderr, "sim_port_afpacket_create(%s): %s\n", v->tx, strerror(errno));
	CU_ASSERT_PTR_NOT_NULL(p);
	if (fd < 0 || !p)
		goto out;
	CU_ASSERT_EQUAL(sim_port_mtu(p), 1500); /* a new veth's MTU */
	for (int i = 0; i < NFRAMES; i++)
		CU_ASSERT_EQUAL(sim_port_xmit(p, frames[i], frame_lens[i]), 0);
	CU_ASSERT_EQUAL(receive_frames(fd, frames, frame_lens, strlen(markers[0])), NFRAMES);
	sim_port_get_stats(p, &st);
	CU_ASSERT_EQUAL(st.frames, NFRAMES);
	CU_ASSERT_EQUAL(st.bytes, 60 + 333 + 1514);
	CU_ASSERT_EQUAL(st.errors, 0);

	/* a port opened after the interface MTU changed starts from the new MTU */
	CU_ASSERT_EQUAL(must_run("ip link set dev %s mtu 1400", v->tx), 0);
	p2 = sim_port_afpacket_create(v->tx, 0);
	CU_ASSERT_PTR_NOT_NULL(p2);
	if (p2)
		CU_ASSERT_EQUAL(sim_port_mtu(p2), 1400);
	/* the older port still says 1500, but the kernel refuses a 1514-byte frame now: the
	 * error comes back as -errno and is counted */
	CU_ASSERT_EQUAL(sim_port_mtu(p), 1500);
	CU_ASSERT_EQUAL(sim_port_xmit(p, frames[2], frame_lens[2]), -EMSGSIZE);
	sim_port_get_stats(p, &st);
	CU_ASSERT_EQUAL(st.errors, 1);
	CU_ASSERT_EQUAL(st.frames, NFRAMES);
out:
	sim_port_destroy(p2);
	sim_port_destroy(p);
	if (fd >= 0)
		close(fd);
	for (int i = 0; i < NFRAMES; i++)
		free(frames[i]);
}

static void test_afpacket_veth(void)
{
	if (veth_create(&g_veth))
		afpacket_on_veth(&g_veth);
	else
		CU_ASSERT_FALSE(g_veth.created); /* created but not brought up: a failure */
	veth_delete();
}

static void test_afpacket_errors(void)
{
	char name[IFNAMSIZ];

	snprintf(name, sizeof(name), "m5x%d", (int)getpid());
	errno = 0;
	CU_ASSERT_PTR_NULL(sim_port_afpacket_create(name, 0));
	CU_ASSERT_EQUAL(errno, ENODEV);
	errno = 0;
	CU_ASSERT_PTR_NULL(sim_port_afpacket_create(NULL, 0));
	CU_ASSERT_EQUAL(errno, EINVAL);
	errno = 0;
	CU_ASSERT_PTR_NULL(sim_port_afpacket_create("", 0));
	CU_ASSERT_EQUAL(errno, EINVAL);
	errno = 0;
	CU_ASSERT_PTR_NULL(sim_port_afpacket_create("a-name-longer-than-ifnamsiz", 0));
	CU_ASSERT_EQUAL(errno, EINVAL);
	errno = 0;
	CU_ASSERT_PTR_NULL(sim_port_afpacket_create("lo", 1));
	CU_ASSERT_EQUAL(errno, EINVAL);
}

static const struct test_case pcap_cases[] = {
	{ "pcap read back, zero timestamps", test_pcap_zero_time },
	{ "pcap read back, wall-clock timestamps", test_pcap_wall_time },
	{ "pcap errors", test_pcap_errors },
	{ NULL, NULL },
};

static const struct test_case afpacket_cases[] = {
	{ "AF_PACKET errors", test_afpacket_errors },
	{ "AF_PACKET on a veth pair", test_afpacket_veth },
	{ NULL, NULL },
};

static const struct test_suite suites[] = {
	{ "sim port pcap", NULL, NULL, pcap_cases },
	{ "sim port AF_PACKET", NULL, NULL, afpacket_cases },
	{ NULL, NULL, NULL, NULL },
};

int main(void)
{
	return test_run_suites(suites);
}
