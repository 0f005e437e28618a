/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The library's devices through its real `devx` transport: the rdma-core entry points resolve to
 * the interposer (tests/shim/) and shadow the real libraries; the device list, opening devices
 * and its errors, no devices at all; the caps of each device profile and model limit overrides.
 * The fixture is tests/util/devx_objects_fixture.h.
 */
#include <dlfcn.h>

#include "devx_objects_fixture.h"

/* ---- interposition ---- */

/* The global lookup scope resolves the rdma-core entry points to the interposer: that is what
 * libmlx5tls.so binds to. */
static void test_symbols_resolve_to_shim(void)
{
	static const char *const syms[] = {
		"ibv_get_device_list", "ibv_free_device_list", "ibv_get_device_name",
		"ibv_query_device", "ibv_close_device", "ibv_alloc_pd", "ibv_dealloc_pd",
		"mlx5dv_is_supported", "mlx5dv_open_device", "mlx5dv_init_obj",
		"mlx5dv_devx_obj_create", "mlx5dv_devx_obj_query", "mlx5dv_devx_obj_modify",
		"mlx5dv_devx_obj_destroy", "mlx5dv_devx_general_cmd",
	};

	for (size_t i = 0; i < sizeof(syms) / sizeof(syms[0]); i++) {
		void *p = dlsym(RTLD_DEFAULT, syms[i]);
		Dl_info info;

		CU_ASSERT_PTR_NOT_NULL_FATAL(p);
		CU_ASSERT_NOT_EQUAL_FATAL(dladdr(p, &info), 0);
		if (!strstr(info.dli_fname, "mlx5tls_devx_shim"))
			fprintf(stderr, "\n  %s resolves to %s\n", syms[i], info.dli_fname);
		CU_ASSERT_PTR_NOT_NULL(strstr(info.dli_fname, "mlx5tls_devx_shim"));
	}
}

/* The real libibverbs and libmlx5 are in the process too (libmlx5tls.so needs them), and their
 * definitions are the ones being shadowed. */
static void test_real_libraries_shadowed(void)
{
	static const struct {
		const char *lib, *sym;
	} pairs[] = {
		{ "libibverbs.so.1", "ibv_alloc_pd" },
		{ "libmlx5.so.1", "mlx5dv_devx_general_cmd" },
	};

	for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
		void *h = dlopen(pairs[i].lib, RTLD_NOW | RTLD_NOLOAD);
		void *real;

		CU_ASSERT_PTR_NOT_NULL_FATAL(h);
		real = dlsym(h, pairs[i].sym);
		CU_ASSERT_PTR_NOT_NULL(real);
		CU_ASSERT_PTR_NOT_EQUAL(real, dlsym(RTLD_DEFAULT, pairs[i].sym));
		dlclose(h);
	}
}

/* ---- devices ---- */

static void test_device_list(void)
{
	unsigned long lists = devx_shim_calls("ibv_get_device_list");
	unsigned long supported = devx_shim_calls("mlx5dv_is_supported");
	struct mlx5tls_device_info *l;
	int n = -1, models = 0;
	bool seen_cx6dx = false;

	l = mlx5tls_get_device_list(&n);
	CU_ASSERT_PTR_NOT_NULL_FATAL(l);
	CU_ASSERT_FATAL(n >= 4);
	/* The library enumerated through rdma-core. */
	CU_ASSERT(devx_shim_calls("ibv_get_device_list") > lists);
	CU_ASSERT(devx_shim_calls("mlx5dv_is_supported") >= supported + 3);
	/* Real (DevX) devices first, in rdma-core's order. */
	for (int i = 0; i < 3; i++) {
		char want[8];

		snprintf(want, sizeof(want), "mlx5_%d", i);
		CU_ASSERT_STRING_EQUAL(l[i].name, want);
		CU_ASSERT_EQUAL(l[i].kind, MLX5TLS_DEVICE_HW);
		CU_ASSERT_STRING_EQUAL(l[i].transport, "devx");
		CU_ASSERT_STRING_EQUAL(l[i].profile, "");
		CU_ASSERT(l[i].description[0] != '\0');
	}
	/* Then the model profiles. */
	for (int i = 3; i < n; i++) {
		CU_ASSERT_EQUAL(l[i].kind, MLX5TLS_DEVICE_MODEL);
		CU_ASSERT_STRING_EQUAL(l[i].transport, "sim");
		models++;
		if (strcmp(l[i].profile, "cx6dx") == 0)
			seen_cx6dx = true;
	}
	CU_ASSERT(models >= 1);
	CU_ASSERT(seen_cx6dx);
	mlx5tls_free_device_list(l);
}

static void test_open_devx(void)
{
	unsigned long opens = devx_shim_calls("mlx5dv_open_device");
	unsigned long queries = devx_shim_calls("ibv_query_device");
	unsigned long gen = devx_shim_calls("mlx5dv_devx_general_cmd");
	struct mlx5tls_device_attr a, m;
	struct mlx5tls_device *d, *model;

	d = open_dev("mlx5_0");
	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	CU_ASSERT_EQUAL(devx_shim_calls("mlx5dv_open_device"), opens + 1);
	CU_ASSERT_EQUAL(devx_shim_calls("ibv_query_device"), queries + 1);
	/* capabilities: QUERY_HCA_CAP through the DevX general command */
	CU_ASSERT(devx_shim_calls("mlx5dv_devx_general_cmd") > gen);
	CU_ASSERT_EQUAL(devx_shim_open_contexts("mlx5_0"), 1);

	CU_ASSERT_EQUAL(mlx5tls_device_query(d, &a), 0);
	CU_ASSERT_STRING_EQUAL(a.name, "mlx5_0");
	CU_ASSERT_EQUAL(a.kind, MLX5TLS_DEVICE_HW);
	CU_ASSERT_STRING_EQUAL(a.transport, "devx");
	CU_ASSERT_STRING_EQUAL(a.profile, "");
	CU_ASSERT(a.fw_ver[0] != '\0');

	/* ibv_query_device's fw_ver is the model's: the same as the embedded model reports. */
	model = open_dev("sim:cx6dx");
	CU_ASSERT_PTR_NOT_NULL_FATAL(model);
	CU_ASSERT_EQUAL(mlx5tls_device_query(model, &m), 0);
	CU_ASSERT_EQUAL(m.kind, MLX5TLS_DEVICE_MODEL);
	CU_ASSERT_STRING_EQUAL(a.fw_ver, m.fw_ver);
	CU_ASSERT_EQUAL(mlx5tls_device_close(model), 0);

	CU_ASSERT_EQUAL(mlx5tls_device_close(d), 0);
	CU_ASSERT_EQUAL(devx_shim_open_contexts("mlx5_0"), 0);
}

static void test_open_default(void)
{
	struct mlx5tls_device_attr a;
	struct mlx5tls_device *d;

	/* NULL and no $MLX5TLS_DEVICE: the first DevX-capable mlx5 device. */
	d = mlx5tls_device_open(NULL, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	CU_ASSERT_EQUAL(mlx5tls_device_query(d, &a), 0);
	CU_ASSERT_STRING_EQUAL(a.name, "mlx5_0");
	CU_ASSERT_STRING_EQUAL(a.transport, "devx");
	CU_ASSERT_EQUAL(mlx5tls_device_close(d), 0);
}

static void test_open_errors(void)
{
	struct mlx5tls_device *d;

	errno = 0;
	d = mlx5tls_device_open("mlx5_7", NULL);
	CU_ASSERT_PTR_NULL(d);
	CU_ASSERT_EQUAL(errno, ENODEV);

	/* A kernel or firmware without DevX: the explicit DevX open fails hard. */
	devx_shim_fail_open(EOPNOTSUPP);
	errno = 0;
	d = mlx5tls_device_open("mlx5_0", NULL);
	CU_ASSERT_PTR_NULL(d);
	CU_ASSERT_EQUAL(errno, EOPNOTSUPP);
	/* Older kernels without CAP_NET_RAW. */
	devx_shim_fail_open(EPERM);
	errno = 0;
	d = mlx5tls_device_open("mlx5_0", NULL);
	CU_ASSERT_PTR_NULL(d);
	CU_ASSERT_EQUAL(errno, EPERM);
	devx_shim_fail_open(0);
	CU_ASSERT_EQUAL(devx_shim_open_contexts("mlx5_0"), 0);
}

static void test_no_devices(void)
{
	struct mlx5tls_device_info *l;
	struct mlx5tls_device *d;
	int n = -1;

	CU_ASSERT_EQUAL_FATAL(devx_shim_set_devices(""), 0);
	CU_ASSERT_EQUAL(devx_shim_device_count(), 0);
	l = mlx5tls_get_device_list(&n);
	CU_ASSERT_PTR_NOT_NULL(l);
	for (int i = 0; l && i < n; i++)
		CU_ASSERT_EQUAL(l[i].kind, MLX5TLS_DEVICE_MODEL);
	mlx5tls_free_device_list(l);
	errno = 0;
	d = mlx5tls_device_open(NULL, NULL);
	CU_ASSERT_PTR_NULL(d);
	CU_ASSERT_EQUAL(errno, ENODEV);
	CU_ASSERT_EQUAL(devx_shim_set_devices(SHIM_DEVICES), 0);
	CU_ASSERT_EQUAL(devx_shim_device_count(), 3);
}

/* ---- capabilities ---- */

static void test_caps_cx6dx(void)
{
	struct mlx5tls_device *d = open_dev("mlx5_0");
	struct mlx5tls_caps c;

	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	memset(&c, 0, sizeof(c));
	CU_ASSERT_EQUAL(mlx5tls_query_caps(d, &c, sizeof(c)), 0);
	CU_ASSERT(c.tls_tx);
	CU_ASSERT(c.tls_rx);
	CU_ASSERT(c.crypto);
	CU_ASSERT(c.dek_object);
	CU_ASSERT(c.bulk_dek);
	CU_ASSERT(c.dek_sync);
	CU_ASSERT(c.ktls_capable);
	CU_ASSERT_EQUAL(c.suites,
			MLX5TLS_SUITE_TLS12_AES_GCM_128 | MLX5TLS_SUITE_TLS13_AES_GCM_128 |
				MLX5TLS_SUITE_TLS12_AES_GCM_256 | MLX5TLS_SUITE_TLS13_AES_GCM_256);
	CU_ASSERT(c.log_max_dek > 0);
	CU_ASSERT(c.log_dek_max_alloc > 0);
	CU_ASSERT(c.log_max_tis > 0);
	CU_ASSERT_EQUAL(mlx5tls_device_close(d), 0);
}

static void test_caps_legacy(void)
{
	struct mlx5tls_device *d = open_dev("mlx5_1");
	struct mlx5tls_caps c;

	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	memset(&c, 0, sizeof(c));
	CU_ASSERT_EQUAL(mlx5tls_query_caps(d, &c, sizeof(c)), 0);
	CU_ASSERT(c.tls_tx);
	CU_ASSERT(!c.tls_rx);
	CU_ASSERT(!c.bulk_dek);
	CU_ASSERT(c.suites & MLX5TLS_SUITE_TLS12_AES_GCM_128);
	CU_ASSERT_EQUAL(c.suites &
				(MLX5TLS_SUITE_TLS13_AES_GCM_128 | MLX5TLS_SUITE_TLS13_AES_GCM_256),
			0);
	CU_ASSERT_EQUAL(mlx5tls_device_close(d), 0);
}

/* The model spec's overrides reach the library through the shim and the devx decode path. */
static void test_caps_limits(void)
{
	struct mlx5tls_device *d = open_dev("mlx5_2");
	struct mlx5tls_caps c;

	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	memset(&c, 0, sizeof(c));
	CU_ASSERT_EQUAL(mlx5tls_query_caps(d, &c, sizeof(c)), 0);
	CU_ASSERT_EQUAL(c.log_max_tis, 1);
	CU_ASSERT_EQUAL(c.log_max_dek, 1);
	CU_ASSERT_EQUAL(mlx5tls_device_close(d), 0);
}

static const struct test_case interpose_cases[] = {
	{ "symbols resolve to the interposer", test_symbols_resolve_to_shim },
	{ "the real rdma-core libraries are loaded and shadowed", test_real_libraries_shadowed },
	{ NULL, NULL },
};

static const struct test_case device_cases[] = {
	{ "device list: DevX devices first, then model profiles", test_device_list },
	{ "open mlx5_0 through devx", test_open_devx },
	{ "open NULL = first mlx5 device", test_open_default },
	{ "open errors: unknown device, no DevX, no CAP_NET_RAW", test_open_errors },
	{ "no rdma devices", test_no_devices },
	{ NULL, NULL },
};

static const struct test_case caps_cases[] = {
	{ "cx6dx caps", test_caps_cx6dx },
	{ "cx6dx-legacy caps", test_caps_legacy },
	{ "model limit overrides", test_caps_limits },
	{ NULL, NULL },
};

static const struct test_suite suites[] = {
	{ "devx: interposition", NULL, NULL, interpose_cases },
	{ "devx: devices", NULL, NULL, device_cases },
	{ "devx: capabilities", NULL, NULL, caps_cases },
	{ NULL, NULL, NULL, NULL },
};

int main(void)
{
	return devx_objects_run(suites);
}
