/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Publishing (mlx5tls-inspect(7)): the socket and its directory's modes, every command answered
 * over the socket with valid JSON carrying the right values, filters, errors, request lines cut
 * and ended every way, TX and RX contexts, mlx5tls-query conn run against this process, and
 * never a byte of the connection's key in any answer. These cases stay in the program named
 * test_inspect: the info answer names the program, and tools/CMakeLists.txt builds
 * mlx5tls-query before it. The fixture is tests/util/inspect_fixture.h; the answer builder
 * alone, the directory rules and MLX5TLS_PUBLISH are in test_inspect_rules.c, inspection in the
 * process in test_inspect_api.c.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "inspect_fixture.h"

/* Every answer that could carry it, asked while the contexts live. */
static void expect_no_key(const struct txh *h)
{
	static const char *const cmds[] = { "info", "dev", "qp", "ctx", "dek", "tis",
					    "tir",  "pool", "stat" };

	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		char *a = ask(cmds[i]);

		CU_ASSERT_PTR_NOT_NULL(a);
		if (a) {
			CU_ASSERT_FALSE(is_error(a));
			CU_ASSERT_TRUE(key_absent(h, a, strlen(a)));
		}
		free(a);
	}
}

static void test_publish(void)
{
	struct txh_opts o = { .tls_version = TLS1_3_VERSION, .key_bits = 256, .isn = 5000 };
	MLX5TLS_OPTS(mlx5tls_tx_opts, sw, .flags = MLX5TLS_TX_F_SOFTWARE);
	struct mlx5tls_tx_state dst, sst, pst;
	struct mlx5tls_dek_pool *dpool;
	struct mlx5tls_tis_pool *tpool;
	struct mlx5tls_device_attr da;
	struct mlx5tls_qp_attr qa;
	struct mlx5tls_tx *swtx, *pooltx;
	struct stat sb;
	uint8_t *pt = txh_pattern(3000, 9);
	char *a;
	struct txh h;
	int fd;

	CU_ASSERT_PTR_NOT_NULL_FATAL(pt);
	CU_ASSERT_EQUAL_FATAL(txh_init(&h, &o), 0);
	txh_add_records(&h, pt, 3000, 1000);
	CU_ASSERT_EQUAL(txh_send_segments(&h, 0, h.stream_len, 1200), 0);
	CU_ASSERT(txh_drain(&h) > 0);
	swtx = mlx5tls_tx_create(h.qp, &h.ci.info, tls_peer_crypto_info_size(&h.ci.info), 1, &sw);
	CU_ASSERT_PTR_NOT_NULL_FATAL(swtx);
	dpool = mlx5tls_dek_pool_create(h.pd, NULL);
	tpool = mlx5tls_tis_pool_create(h.pd, h.td, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(dpool);
	CU_ASSERT_PTR_NOT_NULL_FATAL(tpool);
	{
		MLX5TLS_OPTS(mlx5tls_tx_opts, po, .dek_pool = dpool, .tis_pool = tpool);

		pooltx = mlx5tls_tx_create(h.qp, &h.ci.info,
					   tls_peer_crypto_info_size(&h.ci.info), 2, &po);
	}
	CU_ASSERT_PTR_NOT_NULL_FATAL(pooltx);
	CU_ASSERT_EQUAL(mlx5tls_tx_inspect(h.tx, &dst, sizeof(dst)), 0);
	CU_ASSERT_EQUAL(mlx5tls_tx_inspect(swtx, &sst, sizeof(sst)), 0);
	CU_ASSERT_EQUAL(mlx5tls_tx_inspect(pooltx, &pst, sizeof(pst)), 0);
	CU_ASSERT_EQUAL(mlx5tls_device_query(h.dev, &da), 0);
	CU_ASSERT_EQUAL(mlx5tls_qp_query(h.qp, &qa, sizeof(qa)), 0);

	publish_in_tmp();
	{
		MLX5TLS_OPTS(mlx5tls_publish_opts, again, .dir = pub_dir);

		CU_ASSERT_EQUAL(mlx5tls_publish_start(&again), -EALREADY);
	}
	/* the directory 0700, the socket 0600 */
	CU_ASSERT_EQUAL_FATAL(stat(pub_dir, &sb), 0);
	CU_ASSERT_EQUAL(sb.st_mode & 07777, 0700);
	CU_ASSERT_EQUAL_FATAL(lstat(pub_sock, &sb), 0);
	CU_ASSERT_TRUE(S_ISSOCK(sb.st_mode));
	CU_ASSERT_EQUAL(sb.st_mode & 07777, 0600);
	CU_ASSERT_EQUAL(sb.st_uid, geteuid());

	a = ask("info");
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_PTR_NOT_NULL(strstr(a, "\"program\":\"test_inspect\""));
	CU_ASSERT_PTR_NOT_NULL(strstr(a, "\"library\":\"0.3.0\""));
	{
		char dev[96];

		snprintf(dev, sizeof(dev), "\"devices\":[\"%s\"]", da.name);
		CU_ASSERT_PTR_NOT_NULL(strstr(a, dev));
	}
	free(a);

	a = ask("dev");
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_PTR_NOT_NULL(strstr(a, "\"kind\":\"model\",\"transport\":\"sim\""));
	CU_ASSERT_PTR_NOT_NULL(strstr(a, "\"caps\":{\"summary\":\"tx rx; 1.2/1.3 x "
					 "aes-gcm-128/256; bulk-dek; dek-sync\",\"tls_tx\":true"));
	CU_ASSERT_PTR_NOT_NULL(strstr(a, "\"tls1.3-aes-gcm-256\""));
	CU_ASSERT_PTR_NOT_NULL(strstr(a, "\"qps\":1,\"tx_contexts\":3}"));
	free(a);

	a = ask("qp");
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_TRUE(has(a, "\"sqn\":%llu", qa.sqn));
	CU_ASSERT_TRUE(has(a, "\"cqn\":%llu", qa.cqn));
	CU_ASSERT_TRUE(has(a, "\"wqebbs\":%llu", qa.wqebbs));
	CU_ASSERT_PTR_NOT_NULL(strstr(a, "\"tls_contexts\":3,"));
	CU_ASSERT_EQUAL(count_of(a, "\"sqn\":"), 1);
	free(a);

	a = ask("ctx");
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_EQUAL(count_of(a, "\"dir\":\"tx\""), 3);
	CU_ASSERT_TRUE(has(a, "{\"id\":%llu,", dst.id));
	CU_ASSERT_TRUE(has(a, "{\"id\":%llu,", sst.id));
	CU_ASSERT_TRUE(has(a, "{\"id\":%llu,", pst.id));
	free(a);

	/* the device-path context, alone */
	{
		char req[64];

		snprintf(req, sizeof(req), "ctx id %llu", (unsigned long long)dst.id);
		a = ask(req);
	}
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_EQUAL(count_of(a, "\"dir\":\"tx\""), 1);
	CU_ASSERT_TRUE(has(a, "\"contexts\":[{\"id\":%llu,", dst.id));
	CU_ASSERT_TRUE(has(a, "\"sqn\":%llu,\"tls_version\":\"1.3\",\"cipher\":\"aes-gcm-256\","
			      "\"path\":\"device\",\"reason\":\"\"", qa.sqn));
	/* the connection, learnt from the first frame's headers (this side is the source) */
	CU_ASSERT_PTR_NOT_NULL(strstr(a, "\"conn\":{\"ip_version\":4,"
					 "\"local\":\"198.18.0.1\",\"local_port\":443,"
					 "\"remote\":\"198.18.0.2\",\"remote_port\":40000,"
					 "\"source\":\"frame\"},\"label\":\"\""));
	CU_ASSERT_TRUE(has(a, "\"dek\":{\"id\":%llu,\"query\":{\"state\":\"ready\","
			      "\"key_bits\":256,\"key_purpose\":\"tls\"", dst.dek_id));
	CU_ASSERT_TRUE(has(a, "\"key_purpose\":\"tls\",\"pd\":%llu,\"pooled\":false}",
			   mlx5tls_pd_num(h.pd)));
	CU_ASSERT_TRUE(has(a, "\"tis\":{\"tisn\":%llu,\"query\":{\"tls_en\":true", dst.tisn));
	CU_ASSERT_TRUE(has(a, "\"tls_en\":true,\"pd\":%llu,", mlx5tls_pd_num(h.pd)));
	CU_ASSERT_TRUE(has(a, "\"transport_domain\":%llu,", mlx5tls_td_num(h.td)));
	CU_ASSERT_PTR_NOT_NULL(strstr(a, "\"progress\":{\"available\":false,\"reason\":"
					 "\"GET_PSV is documented for TIRs (RX) only\"}"));
	CU_ASSERT_TRUE(has(a, "\"tracker\":{\"start_tcp_sn\":%llu,", 5000));
	CU_ASSERT_TRUE(has(a, "\"next_tcp_sn\":%llu,", dst.next_tcp_sn));
	CU_ASSERT_TRUE(has(a, "\"expected_tcp_sn\":%llu,", dst.expected_tcp_sn));
	CU_ASSERT_TRUE(has(a, "\"counters\":{\"tx_tls_encrypted_packets\":%llu,",
			   dst.encrypted_packets));
	CU_ASSERT_TRUE(has(a, "\"tx_tls_encrypted_bytes\":%llu,", dst.encrypted_bytes));
	CU_ASSERT_PTR_NOT_NULL(strstr(a, "\"tx_tls_retx_bytes\":0}"));
	free(a);

	/* the software-path context: no device objects */
	a = ask("ctx path software");
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_EQUAL(count_of(a, "\"dir\":\"tx\""), 1);
	CU_ASSERT_TRUE(has(a, "\"contexts\":[{\"id\":%llu,", sst.id));
	CU_ASSERT_PTR_NOT_NULL(strstr(a, "\"path\":\"software\","
					 "\"reason\":\"software path requested\","
					 "\"dek\":null,\"tis\":null,"));
	free(a);

	a = ask("ctx path device dir tx");
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_EQUAL(count_of(a, "\"path\":\"device\""), 2);
	CU_ASSERT_EQUAL(count_of(a, "\"pooled\":true"), 2); /* the pooled context's DEK and TIS */
	free(a);
	a = ask("ctx path demoted");
	CU_ASSERT_PTR_NOT_NULL(strstr(a ? a : "", "\"contexts\":[],\"next\":null}"));
	free(a);
	a = ask("ctx dir rx");
	CU_ASSERT_PTR_NOT_NULL(strstr(a ? a : "", "\"contexts\":[],\"next\":null}"));
	free(a);
	a = ask("ctx id 999999999");
	CU_ASSERT_PTR_NOT_NULL(strstr(a ? a : "", "\"contexts\":[],\"next\":null}"));
	free(a);

	a = ask("dek");
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_EQUAL(count_of(a, "\"context\":"), 2);
	CU_ASSERT_TRUE(has(a, "{\"id\":%llu,", dst.dek_id));
	CU_ASSERT_TRUE(has(a, "\"context\":%llu,", dst.id));
	CU_ASSERT_TRUE(has(a, "\"context\":%llu,", pst.id));
	CU_ASSERT_PTR_NOT_NULL(strstr(a, "\"state\":\"ready\""));
	free(a);

	a = ask("tis");
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_EQUAL(count_of(a, "\"tisn\":"), 2);
	CU_ASSERT_TRUE(has(a, "{\"tisn\":%llu,", pst.tisn));
	CU_ASSERT_PTR_NOT_NULL(strstr(a, "\"tls_en\":true"));
	free(a);

	a = ask("tir");
	CU_ASSERT_PTR_NOT_NULL(
		strstr(a ? a : "", "\"tirs\":[],\"next\":null,\"note\":\"no RX contexts\"}"));
	free(a);

	a = ask("pool");
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_PTR_NOT_NULL(strstr(a, "\"dek_pools\":[{\"device\":"));
	CU_ASSERT_PTR_NOT_NULL(strstr(a, "\"in_use\":1,"));
	CU_ASSERT_PTR_NOT_NULL(strstr(a, "\"tis_pools\":[{\"device\":"));
	CU_ASSERT_PTR_NOT_NULL(strstr(a, "\"free\":0,\"in_use\":1,\"creates\":1,\"destroys\":0}"));
	free(a);

	a = ask("stat");
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_PTR_NOT_NULL(strstr(a, "\"counters\":{\"fw_cmds\":"));
	CU_ASSERT_PTR_NOT_NULL(strstr(a, "\"tx_tls_ctx\":3,"));
	CU_ASSERT_PTR_NOT_NULL(strstr(a, "\"tx_tls_sw_ctx\":1,"));
	free(a);

	expect_no_key(&h);

	/* errors: one error object each, the connection stays usable */
	fd = client_connect(pub_sock);
	CU_ASSERT_FATAL(fd >= 0);
	{
		static const char *const bad[] = {
			"frobnicate", "ctx bogus 1", "ctx id",     "ctx id x1",
			"ctx path sideways", "ctx dir up", "info extra", "",
			"ctx id 18446744073709551616",
		};

		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			a = ask_on(fd, bad[i]);
			CU_ASSERT_TRUE(a && json_valid(a));
			CU_ASSERT_TRUE(is_error(a));
			CU_ASSERT_PTR_NOT_NULL(strstr(a ? a : "", "\"}"));
			free(a);
		}
	}
	a = ask_on(fd, "tir"); /* and the next request is answered on the same connection */
	CU_ASSERT_PTR_NOT_NULL(strstr(a ? a : "", "\"tirs\":[]"));
	free(a);
	/* CRLF is accepted */
	CU_ASSERT_EQUAL(send(fd, "tir\r\n", 5, MSG_NOSIGNAL), 5);
	a = client_read_line(fd);
	CU_ASSERT_PTR_NOT_NULL(strstr(a ? a : "", "\"tirs\":[]"));
	free(a);
	{
		/* a line over 256 bytes is refused (once), the rest of it skipped, and the next
		 * line answered: short of the buffer, and far beyond it */
		static const size_t lens[] = { 257, 258, 259, 4000 };

		for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
			char *longline = malloc(lens[i] + 1);

			CU_ASSERT_PTR_NOT_NULL_FATAL(longline);
			memset(longline, 'x', lens[i]);
			longline[lens[i]] = '\0';
			a = ask_on(fd, longline);
			CU_ASSERT_TRUE(is_error(a));
			CU_ASSERT_PTR_NOT_NULL(strstr(a ? a : "", "longer than 256 bytes"));
			free(a);
			free(longline);
			a = ask_on(fd, "tir");
			CU_ASSERT_PTR_NOT_NULL(strstr(a ? a : "", "\"tirs\":[]"));
			free(a);
		}
	}
	close(fd);

	/* a last line without its newline is answered at EOF */
	fd = client_connect(pub_sock);
	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_EQUAL(send(fd, "info", 4, MSG_NOSIGNAL), 4);
	shutdown(fd, SHUT_WR);
	a = client_read_line(fd);
	CU_ASSERT_PTR_NOT_NULL(strstr(a ? a : "", "\"program\":"));
	free(a);
	close(fd);

	/* a destroyed context is gone from the answers */
	CU_ASSERT_EQUAL(mlx5tls_tx_destroy(swtx), 0);
	CU_ASSERT_EQUAL(mlx5tls_tx_destroy(pooltx), 0);
	a = ask("ctx");
	CU_ASSERT_PTR_NOT_NULL(a);
	CU_ASSERT_EQUAL(count_of(a ? a : "", "\"dir\":\"tx\""), 1);
	free(a);
	a = ask("pool");
	CU_ASSERT_PTR_NOT_NULL(strstr(a ? a : "", "\"free\":1,\"in_use\":0,"));
	free(a);
	CU_ASSERT_EQUAL(mlx5tls_dek_pool_destroy(dpool), 0);
	CU_ASSERT_EQUAL(mlx5tls_tis_pool_destroy(tpool), 0);
	a = ask("pool");
	CU_ASSERT_PTR_NOT_NULL(strstr(a ? a : "", "\"dek_pools\":[],\"tis_pools\":[]}"));
	free(a);

	txh_fini(&h);
	a = ask("info");
	CU_ASSERT_PTR_NOT_NULL(strstr(a ? a : "", "\"devices\":[]}"));
	free(a);
	a = ask("qp");
	CU_ASSERT_PTR_NOT_NULL(strstr(a ? a : "", "\"qps\":[]}"));
	free(a);
	unpublish();
	CU_ASSERT_EQUAL(mlx5tls_publish_stop(), 0); /* not publishing: nothing to do */
	free(pt);
}

/* Run `mlx5tls-query ARGS` (the build tree's, next to this test: ../tools/) against pub_dir;
 * its standard output, malloc'd, or NULL. */
static char *query_tool(const char *args)
{
	char exe[512], cmd[1200], *slash, *out = NULL;
	size_t len = 0, cap = 0;
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	char buf[512];
	FILE *p;

	if (n <= 0)
		return NULL;
	exe[n] = '\0';
	slash = strrchr(exe, '/');
	if (!slash)
		return NULL;
	*slash = '\0';
	snprintf(cmd, sizeof(cmd), "MLX5TLS_RUNTIME_DIR='%s' '%s/../tools/mlx5tls-query' %s 2>&1",
		 pub_dir, exe, args);
	p = popen(cmd, "r");
	if (!p)
		return NULL;
	while ((n = (ssize_t)fread(buf, 1, sizeof(buf), p)) > 0) {
		char *m;

		if (len + (size_t)n + 1 > cap) {
			cap = (len + (size_t)n + 1) * 2;
			m = realloc(out, cap);
			if (!m)
				break;
			out = m;
		}
		memcpy(out + len, buf, (size_t)n);
		len += (size_t)n;
		out[len] = '\0';
	}
	pclose(p);
	return out;
}

static void test_publish_rx(void)
{
	static const char *const cmds[] = { "info", "dev", "qp", "ctx", "dek", "tis", "tir",
					    "pool", "stat" };
	struct mlx5tls_rx_state st;
	struct rx_fix f;
	char req[64];
	char *a;

	rx_fix_init(&f);
	CU_ASSERT_EQUAL(mlx5tls_rx_input(f.rx, RX_ISN, f.wire, f.wire_len, MLX5TLS_RX_TLS_NONE,
					 rx_count, &f), 0);
	CU_ASSERT_EQUAL_FATAL(mlx5tls_rx_inspect(f.rx, &st, sizeof(st)), 0);
	/* no conn in the opts: the TIR's one steering rule tells it (src is the peer) */
	CU_ASSERT_EQUAL(st.conn_source, MLX5TLS_CONN_FLOW);
	CU_ASSERT_EQUAL(st.conn.ip_version, 4);
	CU_ASSERT_EQUAL(st.conn.local_port, 40000);
	CU_ASSERT_EQUAL(st.conn.remote_port, 443);
	CU_ASSERT_EQUAL(memcmp(st.conn.local_ip, (uint8_t[]){ 198, 18, 0, 1 }, 4), 0);
	CU_ASSERT_EQUAL(memcmp(st.conn.remote_ip, (uint8_t[]){ 198, 18, 0, 2 }, 4), 0);
	publish_in_tmp();

	a = ask("ctx dir rx");
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_EQUAL(count_of(a, "\"dir\":\"rx\""), 1);
	CU_ASSERT(has(a, "{\"id\":%llu,", st.id));
	CU_ASSERT(has(a, "\"tir\":{\"tirn\":%llu,\"query\":{\"tls_en\":true,", st.tirn));
	CU_ASSERT(has(a, "\"inline_rqn\":%llu,", st.tir_inline_rqn));
	CU_ASSERT(has(a, "\"transport_domain\":%llu,", st.tir_transport_domain));
	CU_ASSERT(has(a, "\"dek\":{\"id\":%llu,\"query\":{\"state\":\"ready\"", st.dek_id));
	CU_ASSERT_PTR_NOT_NULL(strstr(a, "\"tls_version\":\"1.2\""));
	CU_ASSERT_PTR_NOT_NULL(strstr(a, "\"path\":\"device\""));
	CU_ASSERT_PTR_NOT_NULL(strstr(a, "\"conn\":{\"ip_version\":4,\"local\":\"198.18.0.1\","
					 "\"local_port\":40000,\"remote\":\"198.18.0.2\","
					 "\"remote_port\":443,\"source\":\"flow\"},"
					 "\"label\":\"\""));
	/* the publisher never posts on the application's queue */
	CU_ASSERT_PTR_NOT_NULL(strstr(a, "\"progress\":{\"available\":false,"));
	CU_ASSERT(has(a, "\"records\":%llu,", 3));
	CU_ASSERT(has(a, "\"by_software\":%llu,", 3));
	CU_ASSERT(has(a, "\"next_tcp_sn\":%llu,", (uint32_t)(RX_ISN + f.wire_len)));
	CU_ASSERT_PTR_NULL(strstr(a, "\"tis\""));
	CU_ASSERT_TRUE(rx_key_absent(&f, a));
	free(a);

	snprintf(req, sizeof(req), "ctx id %llu", (unsigned long long)st.id);
	a = ask(req);
	CU_ASSERT_EQUAL(count_of(a ? a : "", "\"dir\":\"rx\""), 1);
	free(a);
	a = ask("ctx");
	CU_ASSERT_EQUAL(count_of(a ? a : "", "\"dir\":\"rx\""), 1);
	free(a);
	a = ask("ctx dir tx");
	CU_ASSERT_PTR_NOT_NULL(strstr(a ? a : "", "\"contexts\":[]"));
	free(a);

	/* a TX context of the same connection (given, the receiver's flow seen from this side):
	 * mlx5tls-query conn shows one connection, both directions on the NIC, as ss -tie does */
	{
		struct mlx5tls_conn c = { .ip_version = 4, .local_ip = { 198, 18, 0, 1 },
					  .remote_ip = { 198, 18, 0, 2 }, .local_port = 40000,
					  .remote_port = 443 };
		MLX5TLS_OPTS(mlx5tls_tx_opts, to, .conn = &c, .label = "both-ways");
		struct mlx5tls_tx *tx = mlx5tls_tx_create(f.qp, &f.ci.info,
							  tls_peer_crypto_info_size(&f.ci.info),
							  1000, &to);
		char *out;

		CU_ASSERT_PTR_NOT_NULL_FATAL(tx);
		out = query_tool("conn");
		CU_ASSERT_PTR_NOT_NULL_FATAL(out);
		CU_ASSERT_PTR_NOT_NULL(strstr(out, " 198.18.0.1:40000 198.18.0.2:443 label "
						   "both-ways\n\ttls version 1.2 cipher "
						   "aes-gcm-128 txconf hw rxconf hw\n"));
		/* one connection, two contexts */
		CU_ASSERT_EQUAL(count_of(out, "\ttls version"), 1);
		CU_ASSERT_EQUAL(count_of(out, " dir tx dev "), 1);
		CU_ASSERT_EQUAL(count_of(out, " dir rx dev "), 1);
		free(out);
		out = query_tool("conn rport 443 laddr 198.18.0.1");
		CU_ASSERT_PTR_NOT_NULL(strstr(out ? out : "", "txconf hw rxconf hw"));
		free(out);
		out = query_tool("conn lport 443");
		CU_ASSERT_PTR_NOT_NULL(strstr(out ? out : "", "no TLS connection matches"));
		free(out);
		CU_ASSERT_EQUAL(mlx5tls_tx_destroy(tx), 0);
	}
	a = ask("ctx path software");
	CU_ASSERT_PTR_NOT_NULL(strstr(a ? a : "", "\"contexts\":[]"));
	free(a);

	a = ask("tir");
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT(has(a, "\"tirs\":[{\"tirn\":%llu,\"query\":{\"tls_en\":true,", st.tirn));
	CU_ASSERT(has(a, "\"context\":%llu,", st.id));
	CU_ASSERT_PTR_NULL(strstr(a, "\"note\""));
	free(a);

	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		a = ask(cmds[i]);
		CU_ASSERT_PTR_NOT_NULL(a);
		if (a) {
			CU_ASSERT_FALSE(is_error(a));
			CU_ASSERT_TRUE(rx_key_absent(&f, a));
		}
		free(a);
	}

	/* the TIR gone first: reported, not queried */
	CU_ASSERT_EQUAL(mlx5tls_flow_destroy(f.flow), 0);
	f.flow = NULL;
	CU_ASSERT_EQUAL(mlx5tls_tir_destroy(f.tir), 0);
	f.tir = NULL;
	a = ask("tir");
	CU_ASSERT_PTR_NOT_NULL(strstr(a ? a : "", "\"query\":null,\"query_error\":\"the TIR was "
						 "destroyed before the context\""));
	free(a);
	rx_fix_fini(&f);
	a = ask("tir");
	CU_ASSERT_PTR_NOT_NULL(
		strstr(a ? a : "", "\"tirs\":[],\"next\":null,\"note\":\"no RX contexts\"}"));
	free(a);
	unpublish();
}

static const struct test_case publish_cases[] = {
	{ "every command over the socket", test_publish },
	{ "RX contexts: ctx and tir answers", test_publish_rx },
	{ NULL, NULL },
};

static const struct test_suite suites[] = {
	{ "publish", NULL, NULL, publish_cases },
	{ NULL, NULL, NULL, NULL },
};

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	return test_run_suites(suites);
}
