/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Where an RX context keeps its secrets (issue 10: random RX replacements among 100k live ones).
 * Only key material is secret memory (secret.h: locked, not dumped, wiped on free), in chunks of
 * one cache line; the rest of the state - record numbers, scan state, counters, OpenSSL context
 * pointers - is ordinary heap, so that destroying a cold context wipes one line per key, not
 * every line of its state:
 *  - the library's record completion (libmlx5tls/rx_sw.c): one chunk per key epoch, made when
 *    the epoch is loaded, wiped and freed when it is forgotten (the oldest of RX_SW_EPOCHS) and
 *    at free;
 *  - the model's RX engine (libmlx5tls/sim/tls_rx_params.c): one chunk, wiped at destroy;
 *  - a whole RX context through the public API on the model (library, model engine, DEK).
 * Secret memory is counted with secret_get_stats (requested bytes of live allocations) and
 * searched for key bytes through secret_for_each_region; wipes are seen by secret_wipe_hook.
 */
#include <errno.h>
#include <malloc.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mlx5tls/mlx5tls.h"
#include "rx_sw.h"
#include "secret.h"
#include "sim/tls_rx.h"
#include "sanitizer.h"
#include "test_util.h"
#include "tls_peer.h"
#include "wqe.h"

#define N_CTX 32
#define LINE 64u          /* one chunk of secret memory per key epoch / engine: a cache line */
#define CTX_SECRET 192u   /* a whole RX context: library key, model key, the DEK's key */
#define EPOCHS 9u         /* keys used in the KeyUpdate case: more than RX_SW_EPOCHS */

static struct secret_stats stats(void)
{
	struct secret_stats st;

	secret_get_stats(&st);
	return st;
}

/* ---- finding key bytes in secret memory ---- */

struct find {
	const uint8_t *needle;
	size_t len;
	const uint8_t *at; /* the last copy found */
	unsigned int copies;
};

static void find_region(void *ctx, const void *addr, size_t len)
{
	struct find *f = ctx;
	const uint8_t *p = addr, *end = p + len;

	while (p < end) {
		const uint8_t *hit = memmem(p, (size_t)(end - p), f->needle, f->len);

		if (!hit)
			break;
		f->at = hit;
		f->copies++;
		p = hit + 1;
	}
}

/* Copies of needle in secret memory (the last one in *at when at is not NULL). */
static unsigned int secret_copies(const uint8_t *needle, size_t len, const uint8_t **at)
{
	struct find f = { needle, len, NULL, 0 };

	secret_for_each_region(find_region, &f);
	if (at)
		*at = f.at;
	return f.copies;
}

/* ---- wipes seen ---- */

#define MAX_WIPES 16
struct wipe {
	const uint8_t *p;
	size_t len;
};
static struct wipe wipes[MAX_WIPES];
static unsigned int n_wipes;

static void wipe_hook(const void *p, size_t len)
{
	if (n_wipes < MAX_WIPES)
		wipes[n_wipes] = (struct wipe){ p, len };
	n_wipes++;
}

/* Whether a wipe seen covered [at, at + len). */
static bool wiped(const uint8_t *at, size_t len)
{
	for (unsigned int i = 0; i < n_wipes && i < MAX_WIPES; i++)
		if (at >= wipes[i].p && at + len <= wipes[i].p + wipes[i].len)
			return true;
	return false;
}

/* ---- the library's record completion ---- */

static void random_ci256(struct tls12_crypto_info_aes_gcm_256 *ci)
{
	memset(ci, 0, sizeof(*ci));
	ci->info.version = TLS_1_3_VERSION;
	ci->info.cipher_type = TLS_CIPHER_AES_GCM_256;
	CU_ASSERT_FATAL(RAND_bytes(ci->key, sizeof(ci->key)) == 1);
	CU_ASSERT_FATAL(RAND_bytes(ci->salt, sizeof(ci->salt)) == 1);
	CU_ASSERT_FATAL(RAND_bytes(ci->iv, sizeof(ci->iv)) == 1);
}

/* N contexts (TLS 1.2 AES-128 and TLS 1.3 AES-256) hold one small chunk each. */
static void test_lib_per_context(void)
{
	struct tls12_crypto_info_aes_gcm_128 c128;
	struct tls12_crypto_info_aes_gcm_256 c256;
	struct rx_sw *sw[N_CTX];
	struct secret_stats s0, s1, s2;

	test_ci128(&c128, TLS_1_2_VERSION, 0x21);
	test_ci256(&c256, TLS_1_3_VERSION, 0x42);
	s0 = stats();
	for (unsigned int i = 0; i < N_CTX; i++) {
		const struct tls_crypto_info *ci = i % 2 ? &c256.info : &c128.info;

		CU_ASSERT_EQUAL_FATAL(rx_sw_init(&sw[i], ci, i % 2 ? sizeof(c256)
								   : sizeof(c128)), 0);
	}
	s1 = stats();
	CU_ASSERT_EQUAL(s1.live - s0.live, N_CTX);
	CU_ASSERT_TRUE(s1.live_bytes - s0.live_bytes <= N_CTX * LINE);
	fprintf(stderr, "library: %.1f B of secret memory per RX context\n",
		(double)(s1.live_bytes - s0.live_bytes) / N_CTX);
	for (unsigned int i = 0; i < N_CTX; i++)
		rx_sw_free(sw[i]);
	s2 = stats();
	CU_ASSERT_EQUAL(s2.live, s0.live);
	CU_ASSERT_EQUAL(s2.live_bytes, s0.live_bytes);
	explicit_bzero(&c128, sizeof(c128));
	explicit_bzero(&c256, sizeof(c256));
}

/* One TLS 1.3 record under ci numbered seq, appended to buf (*len bytes so far). */
static void put_record(const struct tls_crypto_info *ci, uint64_t seq, uint8_t type,
		       const uint8_t *pt, size_t n, uint8_t *buf, size_t cap, size_t *len)
{
	ssize_t w = tls_record_layout(ci, type, seq, pt, n, buf + *len, cap - *len);

	CU_ASSERT_FATAL(w > 0);
	CU_ASSERT_EQUAL_FATAL(tls_record_encrypt_sw(ci, seq, buf + *len, (size_t)w), 0);
	*len += (size_t)w;
}

static int count_records(void *ctx, uint8_t type, const uint8_t *pt, size_t len)
{
	(void)type;
	(void)pt;
	(void)len;
	(*(unsigned int *)ctx)++;
	return 0;
}

/* Per epoch k of ci[0..n): one application data record, then a KeyUpdate (RFC 8446 4.6.3), both
 * numbered from 0 under ci[k]. */
static size_t epoch_stream(struct tls12_crypto_info_aes_gcm_256 *ci, unsigned int n, uint8_t *wire,
			   size_t cap)
{
	static const uint8_t data[100] = { 1 }, ku[5] = { 24, 0, 0, 1, 0 };
	size_t len = 0;

	for (unsigned int k = 0; k < n; k++) {
		random_ci256(&ci[k]);
		put_record(&ci[k].info, 0, TLS_RT_APPLICATION_DATA, data, sizeof(data), wire, cap,
			   &len);
		put_record(&ci[k].info, 1, TLS_RT_HANDSHAKE, ku, sizeof(ku), wire, cap, &len);
	}
	return len;
}

/* The stream from *off on, up to the next KeyUpdate (rx_sw stops there). */
static void input_to_stop(struct rx_sw *sw, const uint8_t *wire, size_t len, size_t *off,
			  unsigned int *records)
{
	while (rx_sw_stopped(sw) == RX_SW_GOING && *off < len) {
		uint32_t n = rx_sw_to_boundary(sw);

		CU_ASSERT_EQUAL_FATAL(rx_sw_input(sw, wire + *off, n, RX_SW_MARK_RECEIVED,
						  count_records, records), 0);
		*off += n;
	}
}

/*
 * KeyUpdates one after another: each epoch's key gets a chunk of its own when it is loaded; once
 * RX_SW_EPOCHS are kept, loading the next one wipes and frees the oldest one's chunk there and
 * then (the count stays bounded), and the others stay. At free every chunk left is wiped.
 */
static void test_lib_key_epochs(void)
{
	struct tls12_crypto_info_aes_gcm_256 ci[EPOCHS];
	uint8_t *wire = malloc(EPOCHS * 512);
	size_t len, off = 0;
	struct secret_stats s0, s;
	struct rx_sw *sw = NULL;
	unsigned int records = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(wire);
	len = epoch_stream(ci, EPOCHS, wire, EPOCHS * 512);
	s0 = stats();
	CU_ASSERT_EQUAL_FATAL(rx_sw_init(&sw, &ci[0].info, sizeof(ci[0])), 0);
	for (unsigned int k = 0; k + 1 < EPOCHS; k++) {
		const uint8_t *old = NULL;
		bool forget = k + 1 >= RX_SW_EPOCHS; /* the rekey to k + 1 forgets epoch k + 1 - 4 */
		int ret;

		/* the epoch's two records: the KeyUpdate stops the input */
		input_to_stop(sw, wire, len, &off, &records);
		CU_ASSERT_EQUAL_FATAL(rx_sw_stopped(sw), RX_SW_STOP_KEY_UPDATE);
		if (forget)
			CU_ASSERT_EQUAL(secret_copies(ci[k + 1 - RX_SW_EPOCHS].key, 32, &old), 1);
		n_wipes = 0;
		secret_wipe_hook = wipe_hook;
		ret = rx_sw_rekey(sw, &ci[k + 1].info, sizeof(ci[k + 1]));
		secret_wipe_hook = NULL;
		CU_ASSERT_EQUAL(ret, (int)(k + 1));
		s = stats();
		/* one chunk per epoch kept, one line each */
		CU_ASSERT_EQUAL(s.live - s0.live, forget ? RX_SW_EPOCHS : k + 2);
		CU_ASSERT_TRUE(s.live_bytes - s0.live_bytes <= (s.live - s0.live) * LINE);
		if (forget) {
			/* the forgotten key's chunk was wiped now, not at free */
			CU_ASSERT_EQUAL(n_wipes, 1);
			CU_ASSERT_TRUE(old && wiped(old, 32));
			CU_ASSERT_EQUAL(secret_copies(ci[k + 1 - RX_SW_EPOCHS].key, 32, NULL), 0);
		} else {
			CU_ASSERT_EQUAL(n_wipes, 0);
		}
		for (unsigned int e = forget ? k + 2 - RX_SW_EPOCHS : 0; e <= k + 1; e++)
			CU_ASSERT_EQUAL(secret_copies(ci[e].key, 32, NULL), 1);
	}
	CU_ASSERT_EQUAL(rx_sw_epoch(sw), EPOCHS - 1);
	CU_ASSERT_EQUAL(records, 2 * (EPOCHS - 1));
	n_wipes = 0;
	secret_wipe_hook = wipe_hook;
	rx_sw_free(sw);
	secret_wipe_hook = NULL;
	CU_ASSERT_EQUAL(n_wipes, RX_SW_EPOCHS);
	s = stats();
	CU_ASSERT_EQUAL(s.live, s0.live);
	CU_ASSERT_EQUAL(s.live_bytes, s0.live_bytes);
	for (unsigned int k = 0; k < EPOCHS; k++) {
		CU_ASSERT_EQUAL(secret_copies(ci[k].key, 32, NULL), 0);
		explicit_bzero(&ci[k], sizeof(ci[k]));
	}
	free(wire);
}

/* ---- the model's RX engine ---- */

static struct sim_tls_rx *engine_keyed(const struct tls12_crypto_info_aes_gcm_256 *ci)
{
	uint8_t params[64] = { 0 }, progress[12] = { 0 };
	struct tls_static_info si = { .tls13 = true, .dek_index = 1 };
	struct sim_tls_rx *rx = sim_tls_rx_create();

	CU_ASSERT_PTR_NOT_NULL_FATAL(rx);
	memcpy(si.salt, ci->salt, 4);
	memcpy(si.iv, ci->iv, 8);
	tls_static_params_fill(params, &si);
	CU_ASSERT_EQUAL_FATAL(sim_tls_rx_set_static(rx, params, ci->key, sizeof(ci->key)), 0);
	tls_progress_params_fill(progress, 1000, 0 /* START */, 0 /* NO_OFFLOAD */);
	CU_ASSERT_EQUAL_FATAL(sim_tls_rx_set_progress(rx, progress), 0);
	return rx;
}

/* N engines with static params hold one small chunk each; destroy wipes the key's. */
static void test_model_per_engine(void)
{
	struct tls12_crypto_info_aes_gcm_256 ci;
	struct sim_tls_rx *rx[N_CTX];
	struct secret_stats s0, s1, s2;
	const uint8_t *at = NULL;

	random_ci256(&ci);
	s0 = stats();
	for (unsigned int i = 0; i < N_CTX; i++)
		rx[i] = engine_keyed(&ci);
	s1 = stats();
	CU_ASSERT_EQUAL(s1.live - s0.live, N_CTX);
	CU_ASSERT_TRUE(s1.live_bytes - s0.live_bytes <= N_CTX * LINE);
	fprintf(stderr, "model: %.1f B of secret memory per RX engine\n",
		(double)(s1.live_bytes - s0.live_bytes) / N_CTX);
	/* no record yet: every engine still holds its copy of the key, in secret memory */
	CU_ASSERT_EQUAL(secret_copies(ci.key, sizeof(ci.key), &at), N_CTX);
	for (unsigned int i = 0; i + 1 < N_CTX; i++)
		sim_tls_rx_destroy(rx[i]);
	CU_ASSERT_EQUAL(secret_copies(ci.key, sizeof(ci.key), &at), 1);
	n_wipes = 0;
	secret_wipe_hook = wipe_hook;
	sim_tls_rx_destroy(rx[N_CTX - 1]);
	secret_wipe_hook = NULL;
	CU_ASSERT_EQUAL(n_wipes, 1);
	CU_ASSERT_TRUE(at && wiped(at, sizeof(ci.key)));
	CU_ASSERT_EQUAL(secret_copies(ci.key, sizeof(ci.key), NULL), 0);
	s2 = stats();
	CU_ASSERT_EQUAL(s2.live, s0.live);
	CU_ASSERT_EQUAL(s2.live_bytes, s0.live_bytes);
	explicit_bzero(&ci, sizeof(ci));
}

/*
 * A record through the engine: the GCM context takes the key. The engine's copy stays until the
 * CTR context (R5's re-encryption) holds it too - then it is wiped (tls_rx_rec.c key_used): a
 * tampered record, decrypted in place, is restored with it.
 */
static void test_model_key_wiped_once_used(void)
{
	static const uint8_t data[300] = { 7 };
	struct tls12_crypto_info_aes_gcm_256 ci;
	enum sim_tls_rx_status st = SIM_TLS_RX_NOT_DECRYPTED;
	uint8_t wire[2 * 400];
	size_t len = 0, one;
	struct sim_tls_rx *rx;

	random_ci256(&ci);
	put_record(&ci.info, 0, TLS_RT_APPLICATION_DATA, data, sizeof(data), wire, sizeof(wire),
		   &len);
	one = len;
	put_record(&ci.info, 1, TLS_RT_APPLICATION_DATA, data, sizeof(data), wire, sizeof(wire),
		   &len);
	wire[one + 20] ^= 1; /* the second record's tag fails */
	rx = engine_keyed(&ci);
	CU_ASSERT_EQUAL(sim_tls_rx_packet(rx, 1000, wire, one, true, &st), 0);
	CU_ASSERT_EQUAL(st, SIM_TLS_RX_DECRYPTED);
	CU_ASSERT_EQUAL(secret_copies(ci.key, sizeof(ci.key), NULL), 1); /* CTR not made yet */
	CU_ASSERT_EQUAL(sim_tls_rx_packet(rx, 1000 + (uint32_t)one, wire + one, len - one, true,
					  &st), 0);
	CU_ASSERT_EQUAL(st, SIM_TLS_RX_ERROR);
	CU_ASSERT_EQUAL(secret_copies(ci.key, sizeof(ci.key), NULL), 0);
	sim_tls_rx_destroy(rx);
	explicit_bzero(&ci, sizeof(ci));
}

/* ---- secret memory refused ---- */

#define HOLD_MAX (1u << 16)

/* Take 64-byte chunks of secret memory until it refuses (the address space is limited): the
 * number taken. */
static unsigned int exhaust(void **hold)
{
	unsigned int n = 0;

	while (n < HOLD_MAX && (hold[n] = secret_alloc(LINE)))
		n++;
	return n;
}

/* Heap bytes in use: with the thread cache off (a cached chunk counts as in use). */
static size_t heap_in_use(void)
{
	return mallinfo2().uordblks;
}

/* Run in a child of its own, the thread cache of malloc off (test_secret_refused): 0, or how
 * many checks failed. */
static int refused_child(void)
{
	struct tls12_crypto_info_aes_gcm_256 ci[2];
	uint8_t wire[2 * 512];
	void **hold = calloc(HOLD_MAX, sizeof(*hold));
	struct rx_sw *sw = NULL, *sw2 = NULL;
	struct secret_stats s0, s1;
	unsigned int records = 0, n = 0;
	size_t len, off = 0, heap0;
	struct rlimit rl;
	long vm_pages = 0;
	int bad = 0;
	FILE *f;

	if (!hold)
		return 100;
	len = epoch_stream(ci, 2, wire, sizeof(wire));
	/* a context stopped at its KeyUpdate; and a context and an engine made and freed, so that
	 * the heap has chunks of their sizes free when secret memory is refused (malloc then
	 * succeeds: what fails is secret_alloc) */
	if (rx_sw_init(&sw, &ci[0].info, sizeof(ci[0])) ||
	    rx_sw_init(&sw2, &ci[0].info, sizeof(ci[0]))) {
		bad = 101;
		goto out;
	}
	input_to_stop(sw, wire, len, &off, &records);
	rx_sw_free(sw2);
	sim_tls_rx_destroy(sim_tls_rx_create());
	f = fopen("/proc/self/statm", "r");
	if (!f || fscanf(f, "%ld", &vm_pages) != 1) {
		if (f)
			fclose(f);
		bad = 102;
		goto out;
	}
	fclose(f);
	/* 1 MiB more address space: some regions of secret memory, then mmap refuses */
	rl.rlim_cur = rl.rlim_max = (rlim_t)vm_pages * (rlim_t)sysconf(_SC_PAGESIZE) + (1u << 20);
	if (setrlimit(RLIMIT_AS, &rl)) {
		bad = 103;
		goto out;
	}
	n = exhaust(hold);
	bad += n == 0 || n == HOLD_MAX;
	s0 = stats();
	heap0 = heap_in_use();

	/* the library: a new context, then the rekey (which fails the context, as rx.c expects) */
	sw2 = (struct rx_sw *)1;
	bad += rx_sw_init(&sw2, &ci[1].info, sizeof(ci[1])) != -ENOMEM;
	bad += sw2 != NULL;
	bad += rx_sw_rekey(sw, &ci[1].info, sizeof(ci[1])) != -ENOMEM;
	bad += rx_sw_epoch(sw) != 0;
	/* the model's engine */
	errno = 0;
	bad += sim_tls_rx_create() != NULL;
	bad += errno != ENOMEM;
	s1 = stats();
	bad += s1.live != s0.live || s1.live_bytes != s0.live_bytes;
	bad += heap_in_use() != heap0; /* every heap chunk taken was given back */
	if (bad)
		fprintf(stderr, "refused: %u chunks taken, %d checks failed\n", n, bad);
out:
	/* memory again: the failed context still goes cleanly */
	for (unsigned int i = 0; i < n; i++)
		secret_free(hold[i], LINE);
	rx_sw_free(sw);
	free(hold);
	for (unsigned int k = 0; k < 2; k++)
		explicit_bzero(&ci[k], sizeof(ci[k]));
	return bad;
}

static void test_refused_child(void)
{
	CU_ASSERT_EQUAL(refused_child(), 0);
}

/* secret_alloc refused: -ENOMEM (NULL and ENOMEM for the model), and nothing kept - not a chunk
 * of secret memory, not a byte of heap. In a new process: the address space is limited there,
 * and malloc's thread cache is off (glibc tunable) so that a chunk kept shows in mallinfo2. */
static void test_secret_refused(void)
{
	int status = -1;
	pid_t pid;

	if (UNDER_ASAN)
		return; /* its shadow mappings and allocator: no address space limit, no mallinfo */
	pid = fork();
	CU_ASSERT_FATAL(pid >= 0);
	if (pid == 0) {
		setenv("GLIBC_TUNABLES", "glibc.malloc.tcache_count=0", 1);
		execl("/proc/self/exe", "test_rx_secret", "--refused-child", (char *)NULL);
		_exit(127);
	}
	CU_ASSERT_EQUAL(waitpid(pid, &status, 0), pid);
	CU_ASSERT_TRUE(WIFEXITED(status));
	CU_ASSERT_EQUAL(WEXITSTATUS(status), 0);
}

/* ---- a whole RX context through the public API, on the model ---- */

static void test_public_per_context(void)
{
	MLX5TLS_OPTS(mlx5tls_qp_opts, qo, .flags = MLX5TLS_QP_F_MODEL_SYNC);
	MLX5TLS_OPTS(mlx5tls_tir_opts, to, .tls_en = true);
	struct tls12_crypto_info_aes_gcm_128 ci;
	struct mlx5tls_tir *tir[N_CTX];
	struct mlx5tls_rx *rx[N_CTX];
	struct mlx5tls_device *dev;
	struct mlx5tls_pd *pd;
	struct mlx5tls_td *td;
	struct mlx5tls_qp *qp;
	struct mlx5tls_rq *rq;
	struct secret_stats s0, s1, s2;

	test_ci128(&ci, TLS_1_2_VERSION, 0x61);
	dev = mlx5tls_device_open("sim", NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(dev);
	pd = mlx5tls_pd_alloc(dev);
	td = mlx5tls_td_alloc(dev);
	CU_ASSERT_FATAL(pd && td);
	qp = mlx5tls_qp_create(pd, td, &qo);
	rq = mlx5tls_rq_create(pd, td, NULL);
	CU_ASSERT_FATAL(qp && rq);
	for (unsigned int i = 0; i < N_CTX; i++) {
		tir[i] = mlx5tls_tir_create(rq, td, &to);
		CU_ASSERT_PTR_NOT_NULL_FATAL(tir[i]);
	}
	s0 = stats();
	for (unsigned int i = 0; i < N_CTX; i++) {
		rx[i] = mlx5tls_rx_create(qp, tir[i], &ci.info, sizeof(ci), 5000, NULL);
		CU_ASSERT_PTR_NOT_NULL_FATAL(rx[i]);
	}
	s1 = stats();
	/* the library's key, the model engine's (the static params made it) and the DEK's */
	CU_ASSERT_TRUE(s1.live_bytes - s0.live_bytes <= N_CTX * CTX_SECRET);
	fprintf(stderr, "public: %.1f B of secret memory per RX context (%.1f allocations)\n",
		(double)(s1.live_bytes - s0.live_bytes) / N_CTX,
		(double)(s1.live - s0.live) / N_CTX);
	for (unsigned int i = 0; i < N_CTX; i++) {
		CU_ASSERT_EQUAL(mlx5tls_rx_destroy(rx[i]), 0);
		CU_ASSERT_EQUAL(mlx5tls_tir_destroy(tir[i]), 0);
	}
	s2 = stats();
	CU_ASSERT_EQUAL(s2.live, s0.live);
	CU_ASSERT_EQUAL(s2.live_bytes, s0.live_bytes);
	CU_ASSERT_EQUAL(mlx5tls_rq_destroy(rq), 0);
	CU_ASSERT_EQUAL(mlx5tls_qp_destroy(qp), 0);
	CU_ASSERT_EQUAL(mlx5tls_td_dealloc(td), 0);
	CU_ASSERT_EQUAL(mlx5tls_pd_dealloc(pd), 0);
	CU_ASSERT_EQUAL(mlx5tls_device_close(dev), 0);
	explicit_bzero(&ci, sizeof(ci));
}

int main(int argc, char **argv)
{
	static const struct test_case cases[] = {
		{ "library: one line of secret memory per context", test_lib_per_context },
		{ "library: a chunk per key epoch, the forgotten one wiped at once",
		  test_lib_key_epochs },
		{ "model: one line of secret memory per engine, wiped at destroy",
		  test_model_per_engine },
		{ "model: the key copy wiped once both OpenSSL contexts hold it",
		  test_model_key_wiped_once_used },
		{ "secret memory refused: -ENOMEM, nothing kept", test_secret_refused },
		{ "public API: secret memory per RX context", test_public_per_context },
		{ NULL, NULL },
	};
	static const struct test_suite suites[] = {
		{ "RX secrets", NULL, NULL, cases },
		{ NULL, NULL, NULL, NULL },
	};

	static const struct test_case child_cases[] = {
		{ "secret memory refused (the child)", test_refused_child },
		{ NULL, NULL },
	};
	static const struct test_suite child_suites[] = {
		{ "RX secrets, refused", NULL, NULL, child_cases },
		{ NULL, NULL, NULL, NULL },
	};

	if (argc == 2 && !strcmp(argv[1], "--refused-child"))
		return test_run_suites(child_suites);
	return test_run_suites(suites);
}
