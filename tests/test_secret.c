/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Key hygiene: the secret allocator (libmlx5tls/secret.h) and where key material lives.
 *  - secret memory is zeroed, excluded from core dumps (VmFlags `dd` in /proc/self/smaps), locked
 *    when RLIMIT_MEMLOCK allows, still served when it does not, wiped on free;
 *  - while TX/RX contexts and DEKs are alive, every copy of their key in the process is in secret
 *    memory, in a block OpenSSL allocated (its key schedules: not ours to place), or in the
 *    caller's own crypto info;
 *  - once everything is destroyed, no copy of the key is left anywhere in readable memory: not on
 *    the stack below the caller (mailboxes, crypto info copies), not in the heap, not in secret
 *    memory. This is what catches a missing explicit_bzero.
 * OpenSSL's allocations go through this program's allocator (CRYPTO_set_mem_functions) so they
 * can be told apart, and are wiped when freed so that OpenSSL's own leftovers are not counted.
 * The memory scan is skipped under AddressSanitizer (its shadow mappings).
 */
#include <openssl/crypto.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "secret.h"
#include "tx_sw.h"
#include "mlx5tls/mlx5tls.h"

#define RX_DEV "sim"

static int rx_wire(struct mlx5tls_device *dev, const void *frame, size_t len)
{
	return mlx5tls_model_wire_rx(dev, frame, len);
}

#include "rx_offload_cases.h"
#include "tx_harness.h"

#include "sanitizer.h"

/* ---- OpenSSL's allocations, tracked ---- */

struct oblk {
	struct oblk *next, *prev;
	size_t len;
	size_t pad; /* keeps the payload 16-byte aligned */
};
static pthread_mutex_t olock = PTHREAD_MUTEX_INITIALIZER;
static struct oblk ohead = { &ohead, &ohead, 0, 0 };

static void *o_malloc(size_t n, const char *file, int line)
{
	struct oblk *b = malloc(sizeof(*b) + (n ? n : 1));

	(void)file;
	(void)line;
	if (!b)
		return NULL;
	b->len = n;
	pthread_mutex_lock(&olock);
	b->next = ohead.next;
	b->prev = &ohead;
	ohead.next->prev = b;
	ohead.next = b;
	pthread_mutex_unlock(&olock);
	return b + 1;
}

static void o_free(void *p, const char *file, int line)
{
	struct oblk *b;

	(void)file;
	(void)line;
	if (!p)
		return;
	b = (struct oblk *)p - 1;
	pthread_mutex_lock(&olock);
	b->prev->next = b->next;
	b->next->prev = b->prev;
	pthread_mutex_unlock(&olock);
	explicit_bzero(p, b->len);
	free(b);
}

static void *o_realloc(void *p, size_t n, const char *file, int line)
{
	void *q;

	if (!p)
		return o_malloc(n, file, line);
	if (!n) {
		o_free(p, file, line);
		return NULL;
	}
	q = o_malloc(n, file, line);
	if (q) {
		size_t old = ((struct oblk *)p - 1)->len;

		memcpy(q, p, old < n ? old : n);
		o_free(p, file, line);
	}
	return q;
}

static bool in_openssl_block(uintptr_t a, size_t len)
{
	bool yes = false;

	pthread_mutex_lock(&olock);
	for (struct oblk *b = ohead.next; b != &ohead && !yes; b = b->next)
		yes = a >= (uintptr_t)(b + 1) && a + len <= (uintptr_t)(b + 1) + b->len;
	pthread_mutex_unlock(&olock);
	return yes;
}

/* ---- scanning the process for a key ---- */

static uint8_t needle[32]; /* the key looked for; this copy is not counted */
static size_t needle_len;

struct allowed {
	const void *p;
	size_t len;
};

/* Copies of needle in readable-writable memory outside needle itself and the allowed ranges,
 * and (live_ok) outside secret memory and OpenSSL's blocks. Each one is printed. */
static unsigned int scan(const struct allowed *allow, unsigned int n_allow, bool live_ok)
{
	char line[512];
	unsigned int stray = 0;
	FILE *m = fopen("/proc/self/maps", "r");

	if (!m)
		return 1000;
	while (fgets(line, sizeof(line), m)) {
		unsigned long lo, hi;
		char perms[5] = "";
		const uint8_t *p, *end;

		if (sscanf(line, "%lx-%lx %4s", &lo, &hi, perms) != 3 || perms[0] != 'r' ||
		    perms[1] != 'w' || hi - lo > (1ul << 30) || strstr(line, "[vvar"))
			continue;
		p = (const uint8_t *)lo;
		end = (const uint8_t *)hi;
		while (p < end) {
			const uint8_t *hit = memmem(p, (size_t)(end - p), needle, needle_len);
			uintptr_t a;
			bool ok = false;

			if (!hit)
				break;
			a = (uintptr_t)hit;
			p = hit + 1;
			if (hit == needle)
				continue;
			for (unsigned int i = 0; i < n_allow && !ok; i++)
				ok = a >= (uintptr_t)allow[i].p &&
				     a + needle_len <= (uintptr_t)allow[i].p + allow[i].len;
			if (!ok && live_ok)
				ok = secret_owns(hit, needle_len) || in_openssl_block(a, needle_len);
			if (!ok) {
				stray++;
				fprintf(stderr, "  key copy at %p in %s", (const void *)hit, line);
			}
		}
	}
	fclose(m);
	return stray;
}

struct scan_args {
	const struct allowed *allow;
	unsigned int n_allow;
	bool live_ok;
	unsigned int stray;
};

static void *scan_thread(void *arg)
{
	struct scan_args *a = arg;

	a->stray = scan(a->allow, a->n_allow, a->live_ok);
	return NULL;
}

/* scan() on a thread of its own: its stack frames would overwrite the dead stack of the calls
 * just made, which is what is looked at. */
static unsigned int stray_copies(const struct allowed *allow, unsigned int n_allow, bool live_ok)
{
	struct scan_args a = { allow, n_allow, live_ok, 1000 };
	pthread_t t;

	if (UNDER_ASAN)
		return 0; /* its shadow memory is not to be read */
	if (pthread_create(&t, NULL, scan_thread, &a))
		return 1000;
	pthread_join(t, NULL);
	return a.stray;
}

/* ---- explicit_bzero, interposed: which wipes held the key ---- */

static unsigned int key_wipes; /* wipes of a buffer that held needle */

void explicit_bzero(void *p, size_t n)
{
	const void *volatile q = p; /* glibc declares p write-only: read it through a copy */

	if (needle_len && n >= needle_len && memmem((const void *)q, n, needle, needle_len))
		key_wipes++;
	memset(p, 0, n);
	__asm__ __volatile__("" : : "r"(p) : "memory");
}

/* The key's first 16 bytes (what AES-128 and AES-256 keys both start with). */
static void set_needle(const union tls_peer_crypto_info *ci)
{
	needle_len = 16;
	memcpy(needle, ci->info.cipher_type == TLS_CIPHER_AES_GCM_256 ? ci->gcm256.key
								      : ci->gcm128.key,
	       needle_len);
}

/* ---- the allocator ---- */

static void test_alloc_basic(void)
{
	static const size_t sizes[] = { 1, 16, 31, 32, 33, 100, 1000, 4096, 4097, 40000, 300000 };
	void *p[sizeof(sizes) / sizeof(sizes[0])];
	struct secret_stats st0, st;

	secret_get_stats(&st0);
	for (unsigned int i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		p[i] = secret_alloc(sizes[i]);
		CU_ASSERT_PTR_NOT_NULL_FATAL(p[i]);
		CU_ASSERT_EQUAL((uintptr_t)p[i] % 16, 0);
		CU_ASSERT_TRUE(secret_owns(p[i], sizes[i]));
		for (size_t k = 0; k < sizes[i]; k++)
			if (((uint8_t *)p[i])[k]) {
				CU_FAIL("secret memory not zeroed");
				break;
			}
		memset(p[i], 0xa5, sizes[i]);
	}
	secret_get_stats(&st);
	CU_ASSERT_EQUAL(st.live, st0.live + sizeof(sizes) / sizeof(sizes[0]));
	CU_ASSERT_TRUE(st.mapped_bytes > 0);
	for (unsigned int i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		secret_free(p[i], sizes[i]);
	secret_get_stats(&st);
	CU_ASSERT_EQUAL(st.live, st0.live);
	CU_ASSERT_EQUAL(st.live_bytes, st0.live_bytes);
	CU_ASSERT_PTR_NULL(secret_alloc(0));
	secret_free(NULL, 10);
	CU_ASSERT_FALSE(secret_owns(&st, sizeof(st)));
}

/* Every freed buffer is wiped: the hook sees it, and its bytes are zero afterwards (slab). */
static const void *hook_p;
static size_t hook_len;
static unsigned int hook_calls, hook_dirty;

static void wipe_hook(const void *p, size_t len)
{
	hook_calls++;
	hook_p = p;
	hook_len = len;
	for (size_t i = 0; i < len; i++)
		if (((const volatile uint8_t *)p)[i])
			hook_dirty++;
}

static void test_wiped_on_free(void)
{
	uint8_t *p = secret_alloc(48);

	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	memset(p, 0x77, 48);
	secret_wipe_hook = wipe_hook;
	hook_calls = hook_dirty = 0;
	secret_free(p, 48);
	CU_ASSERT_EQUAL(hook_calls, 1);
	CU_ASSERT_PTR_EQUAL(hook_p, p);
	CU_ASSERT_EQUAL(hook_len, 48);
	CU_ASSERT_EQUAL(hook_dirty, 0);
	/* the chunk stays mapped (slab): its whole 64 bytes are zero but the free-list link */
	for (unsigned int i = sizeof(void *); i < 64; i++)
		CU_ASSERT_EQUAL(p[i], 0);
	p = secret_alloc(10000);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	memset(p, 0x77, 10000);
	secret_free(p, 10000);
	CU_ASSERT_EQUAL(hook_calls, 2);
	CU_ASSERT_EQUAL(hook_dirty, 0);
	secret_wipe_hook = NULL;
}

/* The VmFlags of the mapping holding p, from /proc/self/smaps ("" if not found). */
static void vmflags_of(const void *p, char *out, size_t cap)
{
	char line[512];
	bool in = false;
	FILE *f = fopen("/proc/self/smaps", "r");

	out[0] = 0;
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		unsigned long lo, hi;

		if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2 && strchr(line, '-') < strchr(line, ' '))
			in = (uintptr_t)p >= lo && (uintptr_t)p < hi;
		else if (in && !strncmp(line, "VmFlags:", 8)) {
			size_t n = strlen(line + 8);

			if (n >= cap)
				n = cap - 1;
			memcpy(out, line + 8, n);
			out[n] = 0;
			break;
		}
	}
	fclose(f);
}

static void test_not_dumped(void)
{
	static const size_t sizes[] = { 32, 4096, 50000 };
	struct secret_stats st;
	char flags[256];

	for (unsigned int i = 0; i < 3; i++) {
		void *p = secret_alloc(sizes[i]);

		CU_ASSERT_PTR_NOT_NULL_FATAL(p);
		vmflags_of(p, flags, sizeof(flags));
		CU_ASSERT_PTR_NOT_NULL(strstr(flags, " dd"));
		secret_get_stats(&st);
		/* (AddressSanitizer makes mlock a no-op that succeeds) */
		if (st.locked_bytes && !st.mlock_refused && !UNDER_ASAN)
			CU_ASSERT_PTR_NOT_NULL(strstr(flags, " lo"));
		secret_free(p, sizes[i]);
	}
}

/* RLIMIT_MEMLOCK 0: allocations still succeed (unlocked, still out of dumps). In a child. */
static void test_mlock_refused(void)
{
	pid_t pid = fork();
	int status = -1;

	CU_ASSERT_FATAL(pid >= 0);
	if (pid == 0) {
		struct rlimit rl = { 0, 0 };
		void *big, *small;
		int bad = 0;

		if (setrlimit(RLIMIT_MEMLOCK, &rl))
			_exit(2);
		big = secret_alloc(3u << 20);
		small = secret_alloc(100);
		bad |= !big || !small;
		if (small) {
			char flags[256];

			vmflags_of(small, flags, sizeof(flags));
			bad |= !strstr(flags, " dd");
		}
		secret_free(big, 3u << 20);
		secret_free(small, 100);
		_exit(bad);
	}
	CU_ASSERT_EQUAL(waitpid(pid, &status, 0), pid);
	CU_ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/* ---- where keys live ---- */

/* Zero the dead stack below the caller, so that a later scan sees only what the next calls
 * leave there (the OpenSSL handshake of the test's peer leaves key residue of its own). */
static __attribute__((noinline)) void scrub_stack(void)
{
	volatile uint8_t area[256 * 1024];

	for (size_t i = 0; i < sizeof(area); i++)
		area[i] = 0;
}

static void test_tx_keys(void)
{
	static const uint32_t flags[] = { MLX5TLS_TX_F_SW_FALLBACK, MLX5TLS_TX_F_SOFTWARE };

	if (UNDER_ASAN)
		return;
	for (unsigned int i = 0; i < 2; i++) {
		struct txh_opts o = { .tls_version = TLS1_3_VERSION, .key_bits = 256,
				      .isn = 1000, .tx_flags = flags[i] };
		struct txh h;
		uint8_t *pt = txh_pattern(40000, 3);
		struct allowed allow[2];

		CU_ASSERT_PTR_NOT_NULL_FATAL(pt);
		CU_ASSERT_EQUAL_FATAL(txh_init(&h, &o), 0);
		set_needle(&h.ci);
		allow[0] = (struct allowed){ &h.ci, sizeof(h.ci) };
		/* right after each call: its dead stack still holds what it left there */
		CU_ASSERT_EQUAL(stray_copies(allow, 1, true), 0);
		txh_add_records(&h, pt, 40000, 16000);
		scrub_stack();
		key_wipes = 0;
		CU_ASSERT_EQUAL(txh_send(&h, 0, 1400, 0), 0);
		/* device path: the model's copy of the DEK's key for the static params; software
		 * path: nothing to wipe yet (the encryptor was made at create) */
		if (flags[i] == MLX5TLS_TX_F_SW_FALLBACK)
			CU_ASSERT_TRUE(key_wipes >= 1);
		CU_ASSERT_EQUAL(stray_copies(allow, 1, true), 0);
		CU_ASSERT_EQUAL(txh_send_segments(&h, 1400, h.stream_len - 1400, 1400), 0);
		CU_ASSERT_TRUE(txh_drain(&h) >= 0);
		CU_ASSERT_EQUAL(stray_copies(allow, 1, true), 0);
		CU_ASSERT_EQUAL(txh_check_plaintext(&h, pt, 40000), 0);
		/* a retransmission: the software path re-creates the encryptor from the kept key
		 * (through a copy of the crypto info, wiped); the device path replays the record
		 * with the static params it has */
		key_wipes = 0;
		CU_ASSERT_EQUAL(txh_send(&h, 100, 1000, 0), 0);
		CU_ASSERT_TRUE(txh_drain(&h) >= 0);
		if (flags[i] == MLX5TLS_TX_F_SOFTWARE)
			CU_ASSERT_TRUE(key_wipes >= 2); /* the crypto info copy, the encryptor's */
		CU_ASSERT_EQUAL(stray_copies(allow, 1, true), 0);
		txh_fini(&h);
		free(pt);
		CU_ASSERT_EQUAL(stray_copies(NULL, 0, false), 0);
	}
}

/* fx_init, with the dead stack scrubbed before the RX context is created */
static void rx_setup(struct rxf *f)
{
	struct mlx5tls_rx *rx;

	fx_init(f, TLS1_2_VERSION, 128, 3000, 6);
	CU_ASSERT_EQUAL_FATAL(mlx5tls_rx_destroy(f->rx), 0);
	settle(f->qp);
	scrub_stack();
	set_needle(&f->ci);
	key_wipes = 0;
	rx = mlx5tls_rx_create(f->qp, f->tir, &f->ci.info, tls_peer_crypto_info_size(&f->ci.info),
			       ISN, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(rx);
	f->rx = rx;
	settle(f->qp);
	/* the DEK mailbox, the model's mailbox copy, the model's key copy for the static params */
	CU_ASSERT_TRUE(key_wipes >= 3);
}

static void test_rx_keys(void)
{
	struct allowed allow[1];
	struct rxf *f;

	if (UNDER_ASAN)
		return;
	f = calloc(1, sizeof(*f));
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	rx_setup(f);
	set_needle(&f->ci);
	allow[0] = (struct allowed){ &f->ci, sizeof(f->ci) };
	CU_ASSERT_EQUAL(stray_copies(allow, 1, true), 0);
	for (uint32_t k = 0; k < nsegs(f); k++)
		arrive(f, k, k == 4 ? (uint32_t)(k * MSS + 100) : UINT32_MAX);
	CU_ASSERT_EQUAL(stray_copies(allow, 1, true), 0);
	fx_fini(f);
	free(f);
	CU_ASSERT_EQUAL(stray_copies(NULL, 0, false), 0);
}

/* The software encryptor takes its key from the crypto info: the stack copy it makes is wiped. */
static void test_tx_sw_key(void)
{
	struct tls12_crypto_info_aes_gcm_256 ci;
	struct tx_sw *sw = NULL;

	test_ci256(&ci, TLS_1_3_VERSION, 0x51);
	needle_len = 16;
	memcpy(needle, ci.key, 16);
	key_wipes = 0;
	CU_ASSERT_EQUAL_FATAL(tx_sw_init(&sw, &ci.info, sizeof(ci)), 0);
	CU_ASSERT_TRUE(key_wipes >= 1);
	tx_sw_free(sw);
	explicit_bzero(&ci, sizeof(ci));
	if (!UNDER_ASAN)
		CU_ASSERT_EQUAL(stray_copies(NULL, 0, false), 0);
}

static void test_dek_keys(void)
{
	struct tls12_crypto_info_aes_gcm_128 ci;
	struct mlx5tls_device *dev;
	struct mlx5tls_pd *pd;
	struct mlx5tls_dek_pool *pool;
	struct mlx5tls_dek *d[3];
	struct secret_stats st0, st;

	if (UNDER_ASAN)
		return;
	secret_get_stats(&st0);
	test_ci128(&ci, TLS_1_2_VERSION, 0x31);
	needle_len = 16;
	memcpy(needle, ci.key, 16);
	dev = mlx5tls_device_open("sim", NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(dev);
	pd = mlx5tls_pd_alloc(dev);
	CU_ASSERT_PTR_NOT_NULL_FATAL(pd);
	pool = mlx5tls_dek_pool_create(pd, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(pool);
	{
		struct allowed allow[1] = { { &ci, sizeof(ci) } };

		/* right after each call: its dead stack still holds what it left there */
		scrub_stack();
		d[0] = mlx5tls_dek_create(pd, &ci.info, sizeof(ci), NULL);
		CU_ASSERT_EQUAL(stray_copies(allow, 1, true), 0);
		d[1] = mlx5tls_dek_pool_get(pool, &ci.info, sizeof(ci));
		CU_ASSERT_EQUAL(stray_copies(allow, 1, true), 0);
		d[2] = mlx5tls_dek_pool_get(pool, &ci.info, sizeof(ci));
		CU_ASSERT_EQUAL(stray_copies(allow, 1, true), 0);
		CU_ASSERT_FATAL(d[0] && d[1] && d[2]);
	}
	for (unsigned int i = 0; i < 3; i++)
		CU_ASSERT_EQUAL(mlx5tls_dek_destroy(d[i]), 0);
	CU_ASSERT_EQUAL(mlx5tls_dek_pool_destroy(pool), 0);
	CU_ASSERT_EQUAL(mlx5tls_pd_dealloc(pd), 0);
	CU_ASSERT_EQUAL(mlx5tls_device_close(dev), 0);
	explicit_bzero(&ci, sizeof(ci));
	CU_ASSERT_EQUAL(stray_copies(NULL, 0, false), 0);
	secret_get_stats(&st);
	CU_ASSERT_EQUAL(st.live, st0.live);
}

int main(void)
{
	static const struct test_case alloc_cases[] = {
		{ "allocate, zeroed, owned, freed", test_alloc_basic },
		{ "wiped on free (hook)", test_wiped_on_free },
		{ "excluded from core dumps (VmFlags dd)", test_not_dumped },
		{ "RLIMIT_MEMLOCK 0: still served", test_mlock_refused },
		{ NULL, NULL },
	};
	static const struct test_case key_cases[] = {
		{ "software encryptor: its key copy is wiped", test_tx_sw_key },
		{ "DEKs (single, pooled): keys only in secret memory, none left", test_dek_keys },
		{ "TX (fallback, software): keys only in secret memory, none left", test_tx_keys },
		{ "RX: keys only in secret memory, none left", test_rx_keys },
		{ NULL, NULL },
	};
	static const struct test_suite suites[] = {
		{ "secret allocator", NULL, NULL, alloc_cases },
		{ "key copies", NULL, NULL, key_cases },
		{ NULL, NULL, NULL, NULL },
	};

	/* before OpenSSL allocates anything */
	if (!CRYPTO_set_mem_functions(o_malloc, o_realloc, o_free))
		fprintf(stderr, "could not take OpenSSL's allocator\n");
	(void)rx_offload_cases;
	/* resolve the scanner's lazily bound libc calls now: the dynamic linker saves vector
	 * registers on the stack while resolving, and right after a memcpy of a key they hold it */
	for (unsigned int i = 0; i < sizeof(needle); i++)
		needle[i] = (uint8_t)(0x9d ^ (i * 37));
	needle_len = sizeof(needle);
	(void)stray_copies(NULL, 0, true);
	return test_run_suites(suites);
}
