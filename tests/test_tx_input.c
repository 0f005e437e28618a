/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * TLS TX input the library must refuse, through the model: malformed record headers (bad version
 * bytes, length above 2^14 + 256 or below the record overhead, TLS 1.3 outer type), gaps, frames
 * outside their memory region, non-TCP frames, frames beyond the MTU, bad crypto info. Each
 * refusal posts nothing and learns nothing: the correct stream that follows is read by a real
 * OpenSSL client.
 */
#include <errno.h>
#include <openssl/ssl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_util.h"
#include "tx_harness.h"

static void info_of(struct txh *h, struct mlx5tls_tx_info *info)
{
	memset(info, 0, sizeof(*info));
	CU_ASSERT_EQUAL(mlx5tls_tx_query(h->tx, info, sizeof(*info)), 0);
}

static uint64_t qp_wqes(struct txh *h)
{
	struct mlx5tls_qp_attr a;

	CU_ASSERT_EQUAL(mlx5tls_qp_query(h->qp, &a, sizeof(a)), 0);
	return a.wqes;
}

/* Send a frame of arbitrary payload at the stream's next sequence: must fail with `want` and
 * leave the queue and the record tracker as they were. */
static void expect_rejected(struct txh *h, const uint8_t *payload, size_t len, int want)
{
	struct mlx5tls_tx_info before, after;
	struct mlx5tls_frame f;
	uint64_t wqes = qp_wqes(h);

	info_of(h, &before);
	CU_ASSERT_EQUAL_FATAL(txh_frame_at(h, before.next_tcp_sn, payload, len, 0, &f), 0);
	CU_ASSERT_EQUAL(mlx5tls_tx_send(h->tx, &f, 0), want);
	CU_ASSERT_EQUAL(errno, -want);
	info_of(h, &after);
	CU_ASSERT_EQUAL(qp_wqes(h), wqes);
	CU_ASSERT_EQUAL(after.next_tcp_sn, before.next_tcp_sn);
	CU_ASSERT_EQUAL(after.next_record, before.next_record);
	CU_ASSERT_EQUAL(after.records_held, before.records_held);
	CU_ASSERT_EQUAL(after.record_offset, before.record_offset);
}

static void run_bad_headers(int version, unsigned int bits)
{
	struct txh_opts o = { .tls_version = version, .key_bits = bits, .isn = 9 };
	struct txh h;
	size_t len = 3000;
	uint8_t *pt = txh_pattern(len, 17), bad[200];
	size_t r0, r1;

	CU_ASSERT_EQUAL_FATAL(txh_init(&h, &o), 0);
	txh_add_records(&h, pt, 1000, 1000);
	r1 = h.stream_len;
	txh_add_records(&h, pt + 1000, len - 1000, 1000);
	r0 = 0;
	/* a correct record's header, then bent */
	memcpy(bad, h.stream + r1, sizeof(bad));
	bad[1] = 3;
	bad[2] = 1; /* TLS 1.0 version bytes */
	CU_ASSERT_EQUAL(txh_send(&h, r0, r1, 0), 0);
	expect_rejected(&h, bad, sizeof(bad), -EBADMSG);
	memcpy(bad, h.stream + r1, sizeof(bad));
	bad[3] = 0x41;
	bad[4] = 0x01; /* 16641: one more than 2^14 + 256 */
	expect_rejected(&h, bad, sizeof(bad), -EBADMSG);
	memcpy(bad, h.stream + r1, sizeof(bad));
	bad[3] = 0;
	bad[4] = version == TLS1_3_VERSION ? 16 : 23; /* one less than the record overhead */
	expect_rejected(&h, bad, sizeof(bad), -EBADMSG);
	if (version == TLS1_3_VERSION) {
		/* TLS 1.3 records are application_data outside (RFC 8446 5.2) */
		memcpy(bad, h.stream + r1, sizeof(bad));
		bad[0] = 22;
		expect_rejected(&h, bad, sizeof(bad), -EBADMSG);
	}
	/* a header split across frames: its first 3 bytes are fine, the length is not */
	CU_ASSERT_EQUAL(txh_send(&h, r1, 3, 0), 0);
	bad[0] = 0;
	bad[1] = 5;
	memcpy(bad + 2, h.stream + r1 + 5, 100);
	expect_rejected(&h, bad, 102, -EBADMSG);
	/* a bad second record inside an otherwise good frame: nothing of the frame is learnt */
	{
		size_t r2 = r1 + tls_record_size(h.ktls_version, 1000);
		size_t n = r2 - (r1 + 3) + 10;
		uint8_t *f = malloc(n);

		CU_ASSERT_PTR_NOT_NULL_FATAL(f);
		memcpy(f, h.stream + r1 + 3, n);
		f[n - 10 + 2] = 0x02; /* version 03 02 */
		expect_rejected(&h, f, n, -EBADMSG);
		free(f);
	}
	/* the correct stream still goes through */
	CU_ASSERT_EQUAL(txh_send_segments(&h, r1 + 3, h.stream_len - r1 - 3, 700), 0);
	CU_ASSERT(txh_drain(&h) > 0);
	CU_ASSERT_EQUAL(txh_check_plaintext(&h, pt, len), 0);
	txh_fini(&h);
	free(pt);
}

static void test_bad_headers_tls12(void)
{
	run_bad_headers(TLS1_2_VERSION, 128);
}

static void test_bad_headers_tls13(void)
{
	run_bad_headers(TLS1_3_VERSION, 256);
}

static void run_bad_frames(int version, unsigned int bits, bool ipv6)
{
	struct txh_opts o = { .tls_version = version, .key_bits = bits, .isn = 500, .ipv6 = ipv6 };
	struct mlx5tls_tx_info info;
	struct mlx5tls_frame f;
	struct txh h;
	/* the largest TCP payload within the MTU of 1500, and where the IP protocol number is */
	size_t len = 5000, max = ipv6 ? 1440 : 1460, proto = ipv6 ? 14 + 6 : 14 + 9;
	uint8_t *pt = txh_pattern(len, 19), *copy;
	uint64_t wqes;

	CU_ASSERT_EQUAL_FATAL(txh_init(&h, &o), 0);
	txh_add_records(&h, pt, len, 2000);
	CU_ASSERT_EQUAL(txh_send(&h, 0, 1000, 0), 0);
	wqes = qp_wqes(&h);

	/* a gap: bytes after data never sent */
	CU_ASSERT_EQUAL(txh_send(&h, 1001, 500, 0), -EPROTO);
	CU_ASSERT_EQUAL(txh_send(&h, 2000, 1000, 0), -EPROTO);

	/* outside the memory region: a copy in unregistered memory, and a frame that runs past
	 * the region's end */
	CU_ASSERT_EQUAL_FATAL(txh_frame(&h, 1000, 500, 0, &f), 0);
	copy = malloc(f.len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(copy);
	memcpy(copy, f.data, f.len);
	f.data = copy;
	CU_ASSERT_EQUAL(mlx5tls_tx_send(h.tx, &f, 0), -EFAULT);
	free(copy);
	CU_ASSERT_EQUAL_FATAL(txh_frame(&h, 1000, 500, 0, &f), 0);
	memmove(h.arena + h.o.arena_bytes - f.len / 2, f.data, f.len / 2);
	f.data = h.arena + h.o.arena_bytes - f.len / 2;
	CU_ASSERT_EQUAL(mlx5tls_tx_send(h.tx, &f, 0), -EFAULT);

	/* not TCP: UDP (IP protocol 17), and an ARP frame */
	CU_ASSERT_EQUAL_FATAL(txh_frame(&h, 1000, 500, 0, &f), 0);
	((uint8_t *)f.data)[proto] = 17;
	CU_ASSERT_EQUAL(mlx5tls_tx_send(h.tx, &f, 0), -EINVAL);
	CU_ASSERT_EQUAL_FATAL(txh_frame(&h, 1000, 500, 0, &f), 0);
	((uint8_t *)f.data)[12] = 0x08;
	((uint8_t *)f.data)[13] = 0x06;
	CU_ASSERT_EQUAL(mlx5tls_tx_send(h.tx, &f, 0), -EINVAL);
	/* a frame shorter than its IP length says */
	CU_ASSERT_EQUAL_FATAL(txh_frame(&h, 1000, 500, 0, &f), 0);
	f.len -= 1;
	CU_ASSERT_EQUAL(mlx5tls_tx_send(h.tx, &f, 0), -EINVAL);

	/* beyond the MTU without mss; with an mss that does not fit the MTU */
	CU_ASSERT_EQUAL(txh_send(&h, 1000, max + 1, 0), -EMSGSIZE);
	CU_ASSERT_EQUAL(txh_send(&h, 1000, 3000, (uint16_t)(max + 1)), -EMSGSIZE);
	/* bad arguments */
	CU_ASSERT_EQUAL_FATAL(txh_frame(&h, 1000, 500, 0, &f), 0);
	CU_ASSERT_EQUAL(mlx5tls_tx_send(h.tx, &f, 0x80), -EINVAL);
	CU_ASSERT_EQUAL(mlx5tls_tx_send(NULL, &f, 0), -EINVAL);
	CU_ASSERT_EQUAL(mlx5tls_tx_send(h.tx, NULL, 0), -EINVAL);
	f.mr = NULL;
	CU_ASSERT_EQUAL(mlx5tls_tx_send(h.tx, &f, 0), -EINVAL);
	/* an ack of bytes never sent */
	CU_ASSERT_EQUAL(mlx5tls_tx_ack(h.tx, o.isn + 1001), -EINVAL);

	CU_ASSERT_EQUAL(qp_wqes(&h), wqes);
	info_of(&h, &info);
	CU_ASSERT_EQUAL(info.next_tcp_sn, o.isn + 1000);
	CU_ASSERT_EQUAL(info.drop_no_sync_data, 0);
	CU_ASSERT_EQUAL(txh_send_segments(&h, 1000, h.stream_len - 1000, max), 0);
	CU_ASSERT(txh_drain(&h) > 0);
	CU_ASSERT_EQUAL(txh_check_plaintext(&h, pt, len), 0);
	txh_fini(&h);
	free(pt);
}

static void test_bad_frames_tls12(void)
{
	run_bad_frames(TLS1_2_VERSION, 256, false);
}

static void test_bad_frames_tls13_ipv6(void)
{
	run_bad_frames(TLS1_3_VERSION, 128, true);
}

static void test_bad_crypto_info(void)
{
	struct txh_opts o = { .tls_version = TLS1_3_VERSION, .key_bits = 128, .isn = 1 };
	struct tls12_crypto_info_aes_gcm_128 c128;
	struct tls12_crypto_info_aes_gcm_256 c256;
	struct mlx5tls_qp_attr a;
	struct txh h;

	CU_ASSERT_EQUAL_FATAL(txh_init(&h, &o), 0);
	test_ci128(&c128, TLS_1_3_VERSION, 1);
	test_ci256(&c256, TLS_1_2_VERSION, 1);
	errno = 0;
	CU_ASSERT_PTR_NULL(mlx5tls_tx_create(h.qp, &c128.info, sizeof(c128) - 1, 0, NULL));
	CU_ASSERT_EQUAL(errno, EINVAL);
	CU_ASSERT_PTR_NULL(mlx5tls_tx_create(h.qp, &c128.info, sizeof(c256), 0, NULL));
	CU_ASSERT_EQUAL(errno, EINVAL);
	CU_ASSERT_PTR_NULL(mlx5tls_tx_create(h.qp, &c256.info, sizeof(c128), 0, NULL));
	CU_ASSERT_EQUAL(errno, EINVAL);
	CU_ASSERT_PTR_NULL(mlx5tls_tx_create(h.qp, NULL, sizeof(c128), 0, NULL));
	CU_ASSERT_EQUAL(errno, EINVAL);
	CU_ASSERT_PTR_NULL(mlx5tls_tx_create(h.qp, &c128.info, 2, 0, NULL));
	CU_ASSERT_EQUAL(errno, EINVAL);
	c128.info.cipher_type = TLS_CIPHER_AES_CCM_128;
	CU_ASSERT_PTR_NULL(mlx5tls_tx_create(h.qp, &c128.info, sizeof(c128), 0, NULL));
	CU_ASSERT_EQUAL(errno, EOPNOTSUPP);
	c128.info.cipher_type = TLS_CIPHER_CHACHA20_POLY1305;
	CU_ASSERT_PTR_NULL(mlx5tls_tx_create(h.qp, &c128.info, sizeof(c128), 0, NULL));
	CU_ASSERT_EQUAL(errno, EOPNOTSUPP);
	c128.info.cipher_type = TLS_CIPHER_AES_GCM_128;
	c128.info.version = 0x0302; /* TLS 1.1 */
	CU_ASSERT_PTR_NULL(mlx5tls_tx_create(h.qp, &c128.info, sizeof(c128), 0, NULL));
	CU_ASSERT_EQUAL(errno, EOPNOTSUPP);
	/* a software-only context is no way around the checks */
	{
		struct mlx5tls_tx_opts t = { .sz = sizeof(t), .flags = MLX5TLS_TX_F_SOFTWARE };

		CU_ASSERT_PTR_NULL(mlx5tls_tx_create(h.qp, &c128.info, sizeof(c128), 0, &t));
		CU_ASSERT_EQUAL(errno, EOPNOTSUPP);
	}
	/* bad options */
	{
		struct mlx5tls_tx_opts t = { .sz = sizeof(t), .flags = 1u << 7 };
		struct mlx5tls_tx_opts d = { .sz = sizeof(d), .demote_retx_permille = 1001 };

		c128.info.version = TLS_1_3_VERSION;
		CU_ASSERT_PTR_NULL(mlx5tls_tx_create(h.qp, &c128.info, sizeof(c128), 0, &t));
		CU_ASSERT_EQUAL(errno, EINVAL);
		CU_ASSERT_PTR_NULL(mlx5tls_tx_create(h.qp, &c128.info, sizeof(c128), 0, &d));
		CU_ASSERT_EQUAL(errno, EINVAL);
	}
	CU_ASSERT_EQUAL(mlx5tls_qp_query(h.qp, &a, sizeof(a)), 0);
	CU_ASSERT_EQUAL(a.tls_contexts, 1); /* the harness's own */
	CU_ASSERT_EQUAL(test_counter(h.dev, "tx_tls_ctx"), 1);
	txh_fini(&h);
}

static const struct test_case input_cases[] = {
	{ "bad_headers_tls12", test_bad_headers_tls12 },
	{ "bad_headers_tls13", test_bad_headers_tls13 },
	{ "bad_frames_tls12", test_bad_frames_tls12 },
	{ "bad_frames_tls13_ipv6", test_bad_frames_tls13_ipv6 },
	{ "bad_crypto_info", test_bad_crypto_info },
	{ NULL, NULL },
};

int main(void)
{
	return tls_peer_run_suite("tx_input", input_cases);
}
