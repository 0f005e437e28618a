/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Device model: where the send queue's frames go - capture and loopback ports, the port MTU, and
 * pcap files. The fixture is tests/util/sim_sq_fixture.h.
 */
#include <unistd.h>

#include "sim_sq_fixture.h"

static void test_pcap(void)
{
	struct fx f;
	char path[] = "/tmp/mlx5tls_sq_XXXXXX";
	int fd = mkstemp(path);
	struct sim_port *pcap, *tee, *cap2;
	struct sim_sq *sq2;
	struct sim_sq_attr sa = { 0 };
	struct sim_sq_info si;
	uint8_t h[64], w[1024] = { 0 }, buf[8192];
	struct dseg d;
	FILE *fp;
	size_t n, off = 24;
	uint32_t gh[6];
	int records = 0;

	CU_ASSERT_FATAL(fd >= 0);
	close(fd);
	FX_INIT(&f, .log_wqebbs = 4, .log_cqes = 4);
	pcap = sim_port_pcap_create(path, SIM_PCAP_ZERO_TIME);
	cap2 = sim_port_capture_create(16);
	tee = sim_port_tee_create(cap2, pcap);
	CU_ASSERT_FATAL(pcap && cap2 && tee);
	sa.log_wqebbs = 4;
	sa.cq = f.cq;
	sa.tisn = f.tis;
	sa.port = tee;
	sq2 = sim_sq_create(f.dev, &sa);
	CU_ASSERT_FATAL(sq2 != NULL);
	CU_ASSERT_EQUAL(sim_cq_destroy(f.cq), -EBUSY);
	sim_sq_query(sq2, &si);
	CU_ASSERT_EQUAL(sim_sq_modify(sq2, SIM_SQ_RDY), 0);
	fill_pattern(f.mem, 2000, 5);
	hdr_v4(h, 77, 0, 9, 0x18);
	d = (struct dseg){ 2000, (uintptr_t)f.mem, f.lkey, false };
	CU_ASSERT_EQUAL(build_send(w, 0, si.sqn, MLX5TLS_OPCODE_LSO, 0, MLX5TLS_WQE_CQ_UPDATE, 0xc0,
				   1000, h, 54, &d, 1), 112);
	memcpy(si.buf, w, 128);
	memset(w, 0, sizeof(w));
	hdr_v4(h, 2077, 10, 9, 0x18);
	d.len = 10;
	CU_ASSERT_EQUAL(build_send(w, 2, si.sqn, MLX5TLS_OPCODE_SEND, 0, MLX5TLS_WQE_CQ_UPDATE,
				   0xc0, 0, h, 54, &d, 1),
			112);
	memcpy((uint8_t *)si.buf + 128, w, 128);
	si.dbrec[1] = htobe32(4);
	{
		uint64_t c8;

		memcpy(&c8, (uint8_t *)si.buf + 128, 8);
		sim_sq_ring_doorbell(sq2, c8);
	}
	CU_ASSERT_EQUAL(sim_sq_process(sq2), 2);
	expect_cqe(&f, 0, 0, 0);
	expect_cqe(&f, 2, 0, 0);
	CU_ASSERT_EQUAL(sim_port_capture_count(cap2), 3);
	sim_sq_destroy(sq2);
	sim_port_destroy(tee);
	sim_port_destroy(pcap); /* closes the file */

	fp = fopen(path, "rb");
	CU_ASSERT_FATAL(fp != NULL);
	n = fread(buf, 1, sizeof(buf), fp);
	fclose(fp);
	unlink(path);
	CU_ASSERT_FATAL(n >= 24);
	memcpy(gh, buf, 24);
	CU_ASSERT_EQUAL(gh[0], 0xa1b2c3d4u);     /* magic, microseconds, native order */
	CU_ASSERT_EQUAL(gh[1], 2u | 4u << 16);   /* version 2.4 (little-endian host) */
	CU_ASSERT_EQUAL(gh[4], 262144u);         /* snaplen */
	CU_ASSERT_EQUAL(gh[5], 1u);              /* LINKTYPE_ETHERNET */
	while (off + 16 <= n) {
		uint32_t rh[4];
		const uint8_t *fr;
		size_t flen = 0;

		memcpy(rh, buf + off, 16);
		CU_ASSERT_EQUAL(rh[0], 0);
		CU_ASSERT_EQUAL(rh[1], 0);
		CU_ASSERT_EQUAL(rh[2], rh[3]);
		fr = sim_port_capture_frame(cap2, (size_t)records, &flen);
		CU_ASSERT_FATAL(fr != NULL);
		CU_ASSERT_EQUAL(rh[2], flen);
		CU_ASSERT_FATAL(off + 16 + rh[2] <= n);
		CU_ASSERT_EQUAL(memcmp(buf + off + 16, fr, flen), 0);
		off += 16 + rh[2];
		records++;
	}
	CU_ASSERT_EQUAL(off, n);
	CU_ASSERT_EQUAL(records, 3);
	sim_port_destroy(cap2);
	fx_fini(&f);
}

static int lb_frames;
static size_t lb_bytes;

/* cppcheck-suppress constParameter ; the signature is sim_port_rx_fn */
static int lb_rx(void *ctx, const uint8_t *frame, size_t len)
{
	(void)frame;
	lb_frames++;
	lb_bytes += len;
	return ctx ? -EIO : 0;
}

static void test_ports(void)
{
	struct sim_port *cap = sim_port_capture_create(2), *lb, *bad;
	struct sim_port_stats ps;
	uint8_t fr[100] = { 1, 2, 3 }, out[100];
	static const struct sim_port_ops no_xmit = { 0 };

	CU_ASSERT_FATAL(cap != NULL);
	CU_ASSERT_EQUAL(sim_port_xmit(cap, fr, 60), 0);
	CU_ASSERT_EQUAL(sim_port_xmit(cap, fr, 61), 0);
	CU_ASSERT_EQUAL(sim_port_xmit(cap, fr, 62), -ENOBUFS); /* full: dropped, not overwritten */
	CU_ASSERT_EQUAL(sim_port_capture_dropped(cap), 1);
	CU_ASSERT_EQUAL(sim_port_capture_pop(cap, out, sizeof(out)), 60);
	CU_ASSERT_EQUAL(out[2], 3);
	CU_ASSERT_EQUAL(sim_port_xmit(cap, fr, 63), 0);
	CU_ASSERT_EQUAL(sim_port_capture_count(cap), 2);
	CU_ASSERT_EQUAL(sim_port_capture_pop(cap, NULL, 0), 61);
	CU_ASSERT_EQUAL(sim_port_capture_pop(cap, NULL, 0), 63);
	CU_ASSERT_EQUAL(sim_port_capture_pop(cap, NULL, 0), -ENOENT);
	sim_port_get_stats(cap, &ps);
	CU_ASSERT_EQUAL(ps.frames, 3);
	CU_ASSERT_EQUAL(ps.bytes, 184);
	CU_ASSERT_EQUAL(ps.errors, 1);
	CU_ASSERT_EQUAL(sim_port_mtu(cap), 1500);
	CU_ASSERT_EQUAL(sim_port_set_mtu(cap, 67), -EINVAL);
	CU_ASSERT_EQUAL(sim_port_set_mtu(cap, 9979), -EINVAL);
	CU_ASSERT_EQUAL(sim_port_set_mtu(cap, 9000), 0);
	CU_ASSERT_EQUAL(sim_port_mtu(cap), 9000);
	sim_port_capture_clear(cap);
	CU_ASSERT_EQUAL(sim_port_capture_count(cap), 0);
	sim_port_destroy(cap);

	lb = sim_port_loopback_create(lb_rx, NULL);
	bad = sim_port_loopback_create(lb_rx, &lb_frames);
	CU_ASSERT_FATAL(lb && bad);
	CU_ASSERT_EQUAL(sim_port_xmit(lb, fr, 64), 0);
	CU_ASSERT_EQUAL(sim_port_xmit(bad, fr, 64), -EIO);
	CU_ASSERT_EQUAL(lb_frames, 2);
	CU_ASSERT_EQUAL(lb_bytes, 128);
	sim_port_get_stats(bad, &ps);
	CU_ASSERT_EQUAL(ps.errors, 1);
	sim_port_destroy(lb);
	sim_port_destroy(bad);
	CU_ASSERT_PTR_NULL(sim_port_create(&no_xmit, NULL));
	CU_ASSERT_PTR_NULL(sim_port_pcap_create("/nonexistent-dir/x.pcap", 0));
	CU_ASSERT_PTR_NULL(sim_port_capture_create(0));
}

/* A jumbo MTU lets a 9000-byte frame out; the port's MTU is what the SQ checks. */
static void test_mtu(void)
{
	struct fx f;
	uint8_t h[64];
	const uint8_t *fr;
	size_t len = 0;

	FX_INIT(&f, .log_wqebbs = 4, .log_cqes = 4);
	CU_ASSERT_EQUAL(sim_port_set_mtu(f.cap, 9000), 0);
	hdr_v4(h, 1, 8960, 1, 0x18);
	post_send(&f, 0, MLX5TLS_WQE_CQ_UPDATE, 0xc0, h, 54, 0, 8960);
	ring_db(&f);
	sim_sq_process(f.sq);
	expect_cqe(&f, 0, 0, 0);
	fr = sim_port_capture_frame(f.cap, 0, &len);
	CU_ASSERT_EQUAL(len, 9014);
	CU_ASSERT_EQUAL(l4_csum(fr + 14, false, fr + 34, 8980, 6), 0);
	hdr_v4(h, 1, 8961, 1, 0x18);
	post_send(&f, 0, MLX5TLS_WQE_CQ_UPDATE, 0xc0, h, 54, 0, 8961);
	ring_db(&f);
	sim_sq_process(f.sq);
	expect_cqe(&f, 2, MLX5_CQE_SYNDROME_LOCAL_LENGTH_ERR, SIM_VSYND_FRAME_TOO_LONG);
	fx_fini(&f);
}

static const struct test_case port_cases[] = {
	{ "port MTU", test_mtu },
	{ "capture, loopback, MTU", test_ports },
	{ "pcap file", test_pcap },
	{ NULL, NULL },
};

static const struct test_suite suites[] = {
	{ "sim ports", NULL, NULL, port_cases },
	{ NULL, NULL, NULL, NULL },
};

int main(void)
{
	return test_run_suites(suites);
}
