/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mlx5tls-query ctx show over more contexts than one page (issue 10): a process holding 2,600
 * TLS contexts (this program with --serve, below) publishes them; the tool must print every one
 * exactly once by default (it follows the pages), stop after limit N saying where to go on, go on
 * from that cursor, and refuse a cursor without its pid.
 *
 * --serve N also serves a demonstration by hand:
 *   MLX5TLS_RUNTIME_DIR=/tmp/d build/tests/test_cli_page --serve 2600 &
 *   MLX5TLS_RUNTIME_DIR=/tmp/d build/tools/mlx5tls-query ctx show limit 3
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "mlx5tls/mlx5tls.h"
#include "test_util.h"

#define N_TX 2550u
#define N_RX 50u
#define N_ALL (N_TX + N_RX)
#define MAX_ID 100000u

static char build_dir[PATH_MAX];
static char sock_dir[64];
static pid_t server = -1;

/* ---- the serving process ---- */

static int serve(unsigned int n)
{
	struct mlx5tls_tir_opts tiro = { .sz = sizeof(tiro), .tls_en = true };
	struct mlx5tls_rx_opts ro = { .sz = sizeof(ro), .flags = MLX5TLS_RX_F_SOFTWARE };
	struct tls12_crypto_info_aes_gcm_128 ci;
	struct mlx5tls_tx_opts to = { .sz = sizeof(to) };
	unsigned int nrx = n > N_RX * 2 ? N_RX : 0, ntx = n - nrx;
	/* a TIS per TX context: room for a million */
	struct mlx5tls_device *dev = mlx5tls_device_open("sim:cx6dx,log_max_tis=21", NULL);
	struct mlx5tls_pd *pd = dev ? mlx5tls_pd_alloc(dev) : NULL;
	struct mlx5tls_td *td = dev ? mlx5tls_td_alloc(dev) : NULL;
	struct mlx5tls_qp *qp = pd && td ? mlx5tls_qp_create(pd, td, NULL) : NULL;
	struct mlx5tls_rq *rq = qp ? mlx5tls_rq_create(pd, td, NULL) : NULL;
	struct mlx5tls_tir *tir = rq ? mlx5tls_tir_create(rq, td, &tiro) : NULL;
	struct mlx5tls_tx **tx = calloc(ntx ? ntx : 1, sizeof(*tx));
	struct mlx5tls_rx **rx = calloc(nrx ? nrx : 1, sizeof(*rx));
	sigset_t set;
	int sig, ret = 1;

	if (!tir || !tx || !rx)
		goto out;
	to.dek_pool = mlx5tls_dek_pool_create(pd, NULL);
	to.tis_pool = mlx5tls_tis_pool_create(pd, td, NULL);
	if (!to.dek_pool || !to.tis_pool)
		goto out;
	test_ci128(&ci, TLS_1_2_VERSION, 7);
	for (unsigned int i = 0; i < ntx; i++)
		if (!(tx[i] = mlx5tls_tx_create(qp, &ci.info, sizeof(ci), 1000, &to)))
			goto out;
	for (unsigned int i = 0; i < nrx; i++)
		if (!(rx[i] = mlx5tls_rx_create(qp, tir, &ci.info, sizeof(ci), 1000, &ro)))
			goto out;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	if (mlx5tls_publish_start(NULL))
		goto out;
	printf("serving %u contexts (pid %d)\n", n, (int)getpid());
	fflush(stdout);
	sigwait(&set, &sig);
	mlx5tls_publish_stop();
	ret = 0;
out:
	if (ret)
		fprintf(stderr, "--serve: %s\n", strerror(errno));
	for (unsigned int i = 0; rx && i < nrx; i++)
		if (rx[i])
			mlx5tls_rx_destroy(rx[i]);
	for (unsigned int i = 0; tx && i < ntx; i++)
		if (tx[i])
			mlx5tls_tx_destroy(tx[i]);
	free(rx);
	free(tx);
	mlx5tls_tis_pool_destroy(to.tis_pool);
	mlx5tls_dek_pool_destroy(to.dek_pool);
	mlx5tls_tir_destroy(tir);
	mlx5tls_rq_destroy(rq);
	mlx5tls_qp_destroy(qp);
	mlx5tls_td_dealloc(td);
	mlx5tls_pd_dealloc(pd);
	mlx5tls_device_close(dev);
	return ret;
}

/* ---- the tool against it ---- */

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* mlx5tls-query ARGS with the server's socket directory: its stdout (malloc'd), *status. */
static char *query(int *status, const char *args)
{
	char cmd[PATH_MAX + 256];
	size_t len = 0, cap = 1 << 16;
	char *out = malloc(cap);
	FILE *p;

	CU_ASSERT_PTR_NOT_NULL_FATAL(out);
	snprintf(cmd, sizeof(cmd), "MLX5TLS_RUNTIME_DIR=%s %s/tools/mlx5tls-query %s 2>/dev/null",
		 sock_dir, build_dir, args);
	p = popen(cmd, "r");
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	for (;;) {
		size_t n;

		if (cap - len < 4096) {
			char *o = realloc(out, cap *= 2);

			CU_ASSERT_PTR_NOT_NULL_FATAL(o);
			out = o;
		}
		n = fread(out + len, 1, cap - len - 1, p);
		if (!n)
			break;
		len += n;
	}
	out[len] = 0;
	*status = pclose(p);
	*status = WIFEXITED(*status) ? WEXITSTATUS(*status) : -1;
	return out;
}

/* Count the text rows "pid P ctx ID " into seen[ID]; the rows. */
static unsigned int rows(const char *out, unsigned int *seen)
{
	char head[32];
	unsigned int n = 0;

	snprintf(head, sizeof(head), "pid %d ctx ", (int)server);
	for (const char *l = out; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		unsigned long id;

		if (strncmp(l, head, strlen(head)))
			continue;
		id = strtoul(l + strlen(head), NULL, 10);
		CU_ASSERT_FATAL(id < MAX_ID);
		seen[id]++;
		n++;
	}
	return n;
}

/* Every id seen exactly once (and none twice). */
static unsigned int once(const unsigned int *seen)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < MAX_ID; i++) {
		CU_ASSERT_TRUE(seen[i] <= 1);
		n += seen[i] == 1;
	}
	return n;
}

static void test_show_all(void)
{
	static unsigned int seen[MAX_ID];
	int st;
	char *out = query(&st, "ctx show");

	CU_ASSERT_EQUAL(st, 0);
	CU_ASSERT_EQUAL(rows(out, seen), N_ALL);
	CU_ASSERT_EQUAL(once(seen), N_ALL);
	CU_ASSERT_PTR_NULL(strstr(out, "more: cursor"));
	free(out);
}

static void test_limit_then_cursor(void)
{
	static unsigned int seen[MAX_ID];
	char args[128], head[48], cursor[64] = "";
	const char *more;
	int st;
	char *out = query(&st, "ctx show limit 1500");

	CU_ASSERT_EQUAL(st, 0);
	CU_ASSERT_EQUAL(rows(out, seen), 1500);
	snprintf(head, sizeof(head), "pid %d more: cursor ", (int)server);
	more = strstr(out, head);
	CU_ASSERT_PTR_NOT_NULL_FATAL(more);
	CU_ASSERT_EQUAL(sscanf(more + strlen(head), "%63s", cursor), 1);
	free(out);

	/* on from there: the rest, each once, no more after */
	snprintf(args, sizeof(args), "ctx show pid %d cursor %s", (int)server, cursor);
	out = query(&st, args);
	CU_ASSERT_EQUAL(st, 0);
	CU_ASSERT_EQUAL(rows(out, seen), N_ALL - 1500);
	CU_ASSERT_PTR_NULL(strstr(out, "more: cursor"));
	CU_ASSERT_EQUAL(once(seen), N_ALL);
	free(out);

	/* JSON: the process's "next" is the cursor; a page of 7 rows */
	out = query(&st, "-j ctx show limit 7 dir rx");
	CU_ASSERT_EQUAL(st, 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "\"next\":\"r"));
	{
		unsigned int n = 0;

		for (const char *p = strstr(out, "\"dir\":\"rx\""); p; p = strstr(p + 1, "\"dir\":\"rx\""))
			n++;
		CU_ASSERT_EQUAL(n, 7);
	}
	free(out);
	out = query(&st, "-j ctx show dir tx");
	CU_ASSERT_EQUAL(st, 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "\"next\":null"));
	free(out);
}

static void test_refused(void)
{
	int st;
	char *out = query(&st, "ctx show cursor t1.0");

	CU_ASSERT_EQUAL(st, 1); /* a cursor belongs to one process */
	free(out);
	out = query(&st, "ctx show limit 0");
	CU_ASSERT_EQUAL(st, 1);
	free(out);
	{
		char args[96];

		snprintf(args, sizeof(args), "ctx show pid %d cursor nonsense", (int)server);
		out = query(&st, args); /* the process refuses it */
		CU_ASSERT_EQUAL(st, 1);
		free(out);
	}
}

/* dek, tis and tir show follow the pages too: every TX context's DEK and TIS, every RX
 * context's TIR. */
static void test_objects_all_pages(void)
{
	static const char *const args[] = { "dek show", "tis show", "tir show" };
	static const char *const rowhead[] = { " dek ", " tisn ", " tirn " };
	const unsigned int want[] = { N_TX, N_TX, N_RX };

	for (unsigned int c = 0; c < 3; c++) {
		char head[48];
		unsigned int n = 0;
		int st;
		char *out = query(&st, args[c]);

		CU_ASSERT_EQUAL(st, 0);
		snprintf(head, sizeof(head), "pid %d%s", (int)server, rowhead[c]);
		for (const char *l = out; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
			n += !strncmp(l, head, strlen(head));
		if (n != want[c])
			printf("\n  %s: %u rows, want %u", args[c], n, want[c]);
		CU_ASSERT_EQUAL(n, want[c]);
		free(out);
	}
}

/* tir ctx N: the row of RX context N only (ids: the TX contexts 1..N_TX, then the RX ones);
 * a TX context's id picks no TIR row. */
static void test_tir_by_ctx(void)
{
	char args[64], head[64];
	unsigned int n = 0;
	int st;
	char *out;

	snprintf(args, sizeof(args), "tir show ctx %u", N_TX + 7);
	out = query(&st, args);
	CU_ASSERT_EQUAL(st, 0);
	snprintf(head, sizeof(head), "pid %d tirn ", (int)server);
	for (const char *l = out; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
		n += !strncmp(l, head, strlen(head));
	CU_ASSERT_EQUAL(n, 1);
	snprintf(head, sizeof(head), " ctx %u ", N_TX + 7);
	CU_ASSERT_PTR_NOT_NULL(out ? strstr(out, head) : NULL);
	free(out);
	out = query(&st, "tir show ctx 1");
	CU_ASSERT_EQUAL(st, 0);
	snprintf(head, sizeof(head), "pid %d tirn ", (int)server);
	CU_ASSERT_PTR_NULL(out ? strstr(out, head) : NULL);
	free(out);
}

/* conn groups contexts into connections over every page too. */
static void test_conn_all_pages(void)
{
	unsigned int n = 0;
	int st;
	char *out = query(&st, "-j conn show");

	CU_ASSERT_EQUAL(st, 0);
	/* every context is in one connection's "contexts" (none was given a connection here) */
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "\"connections\":["));
	for (const char *p = strstr(out, "{\"id\":"); p; p = strstr(p + 1, "{\"id\":"))
		n++;
	CU_ASSERT_EQUAL(n, N_ALL);
	free(out);
}

static int start_server(void)
{
	char self[PATH_MAX], dir[PATH_MAX], sock[128];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	if (n <= 0)
		return -1;
	self[n] = 0;
	memcpy(dir, self, (size_t)n + 1);
	snprintf(build_dir, sizeof(build_dir), "%s/..", dirname(dir));
	snprintf(sock_dir, sizeof(sock_dir), "/tmp/mlx5tls-page-XXXXXX");
	if (!mkdtemp(sock_dir))
		return -1;
	fflush(NULL);
	server = fork();
	if (server < 0)
		return -1;
	if (server == 0) {
		char count[16];
		int devnull = open("/dev/null", O_WRONLY);

		if (devnull >= 0)
			dup2(devnull, 1);
		setenv("MLX5TLS_RUNTIME_DIR", sock_dir, 1);
		unsetenv("MLX5TLS_PUBLISH");
		snprintf(count, sizeof(count), "%u", N_ALL);
		execl(self, self, "--serve", count, (char *)NULL);
		_exit(127);
	}
	snprintf(sock, sizeof(sock), "%s/%d.sock", sock_dir, (int)server);
	for (int waited = 0; waited < 30000; waited += 20) {
		if (access(sock, F_OK) == 0)
			return 0;
		if (waitpid(server, NULL, WNOHANG) == server)
			break;
		sleep_ms(20);
	}
	fprintf(stderr, "\n--serve did not publish on %s\n", sock);
	return -1;
}

static int stop_server(void)
{
	int st = -1;

	if (server > 0) {
		kill(server, SIGTERM);
		waitpid(server, &st, 0);
	}
	rmdir(sock_dir);
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

int main(int argc, char **argv)
{
	static const struct test_case cases[] = {
		{ "ctx show: every context of 2600, each once", test_show_all },
		{ "ctx show: limit, then on from its cursor; JSON next", test_limit_then_cursor },
		{ "ctx show: cursor without pid, limit 0, bad cursor", test_refused },
		{ "conn show: contexts of every page", test_conn_all_pages },
		{ "dek, tis, tir show: every page", test_objects_all_pages },
		{ "tir show ctx N: that RX context's row", test_tir_by_ctx },
		{ NULL, NULL },
	};
	static const struct test_suite suites[] = {
		{ "mlx5tls-query: pages", start_server, stop_server, cases },
		{ NULL, NULL, NULL, NULL },
	};

	if (argc == 3 && !strcmp(argv[1], "--serve"))
		return serve((unsigned int)strtoul(argv[2], NULL, 10));
	return test_run_suites(suites);
}
