/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dek_tis_setup: the objects behind one TLS TX offload context, with libmlx5tls.
 *
 *   dek_tis_setup [DEVICE]
 *
 * DEVICE is an rdma device name ("mlx5_0"), "sim" or "sim:PROFILE" (the built-in ConnectX-6 Dx
 * model). Without it: $MLX5TLS_DEVICE, else the first ConnectX device, else the model.
 *
 * Steps (the order a TLS server follows for each new connection, minus the send queue):
 *   1. open the device and read its TLS capabilities;
 *   2. allocate a protection domain (PD) and a transport domain (TD) -- once per application;
 *   3. create a DEK pool and a TIS pool -- once per application, so that each new connection
 *      costs about one firmware command instead of four;
 *   4. per connection: take a DEK from the pool loaded with the connection's key, and a TLS TIS;
 *      their ids go into the TLS static-params WQE and the send queue's WQEs;
 *   5. tear down in the reverse order: DEKs and TISes, then pools, then TD/PD, then the device.
 *
 * Build: cc dek_tis_setup.c $(pkg-config --cflags --libs libmlx5tls) -o dek_tis_setup
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include <mlx5tls/mlx5tls.h>

/*
 * Print a failed call. err is the negative errno the library returned (or -errno for calls that
 * return NULL). When the firmware rejected a command (-EREMOTEIO), the library keeps the status
 * and syndrome per thread: print them, they say what the firmware did not like.
 */
static void report(const char *what, int err)
{
	struct mlx5tls_fw_error fw;

	fprintf(stderr, "dek_tis_setup: %s: %s\n", what, strerror(-err));
	if (err == -EREMOTEIO && mlx5tls_last_fw_error(&fw) == 0) {
		fprintf(stderr, "  firmware: %s (0x%04x) status %s (0x%02x) syndrome 0x%08x\n",
			fw.opcode_name ? fw.opcode_name : "?", fw.opcode,
			fw.status_name ? fw.status_name : "?", fw.status, fw.syndrome);
		if (fw.syndrome_text) /* only the device model explains its syndromes */
			fprintf(stderr, "  reason: %s\n", fw.syndrome_text);
	}
}

/* A destroy call during teardown: a failure is reported and makes the exit status non-zero. */
static void teardown_step(const char *what, int err, int *ret)
{
	if (err) {
		report(what, err);
		*ret = EXIT_FAILURE;
	}
}

/*
 * The connection's key material, as the kTLS uAPI (<linux/tls.h>) carries it. A real server takes
 * key, iv, salt and rec_seq from its TLS library after the handshake (OpenSSL's kTLS path fills
 * the very same structs); this example makes up a random key.
 */
union crypto_info {
	struct tls_crypto_info info;
	struct tls12_crypto_info_aes_gcm_128 gcm128;
	struct tls12_crypto_info_aes_gcm_256 gcm256;
};

/* TLS 1.3 AES-GCM-256 if the device has it, else the best suite it has. Returns ci's size or 0. */
static size_t make_crypto_info(uint32_t suites, union crypto_info *ci)
{
	static const struct {
		uint32_t suite;
		uint16_t version, cipher;
		const char *name;
	} prefs[] = {
		{ MLX5TLS_SUITE_TLS13_AES_GCM_256, TLS_1_3_VERSION, TLS_CIPHER_AES_GCM_256,
		  "TLS 1.3 AES-GCM-256" },
		{ MLX5TLS_SUITE_TLS13_AES_GCM_128, TLS_1_3_VERSION, TLS_CIPHER_AES_GCM_128,
		  "TLS 1.3 AES-GCM-128" },
		{ MLX5TLS_SUITE_TLS12_AES_GCM_256, TLS_1_2_VERSION, TLS_CIPHER_AES_GCM_256,
		  "TLS 1.2 AES-GCM-256" },
		{ MLX5TLS_SUITE_TLS12_AES_GCM_128, TLS_1_2_VERSION, TLS_CIPHER_AES_GCM_128,
		  "TLS 1.2 AES-GCM-128" },
	};
	unsigned char *key;
	size_t key_len, ci_len;

	memset(ci, 0, sizeof(*ci));
	for (size_t i = 0; i < sizeof(prefs) / sizeof(prefs[0]); i++) {
		if (!(suites & prefs[i].suite))
			continue;
		ci->info.version = prefs[i].version;
		ci->info.cipher_type = prefs[i].cipher;
		if (prefs[i].cipher == TLS_CIPHER_AES_GCM_256) {
			key = ci->gcm256.key;
			key_len = sizeof(ci->gcm256.key);
			ci_len = sizeof(ci->gcm256);
		} else {
			key = ci->gcm128.key;
			key_len = sizeof(ci->gcm128.key);
			ci_len = sizeof(ci->gcm128);
		}
		if (getrandom(key, key_len, 0) != (ssize_t)key_len)
			return 0;
		printf("suite:   %s\n", prefs[i].name);
		return ci_len;
	}
	return 0;
}

int main(int argc, char **argv)
{
	const char *name = argc > 1 ? argv[1] : NULL;
	struct mlx5tls_device *dev = NULL;
	struct mlx5tls_device_attr attr;
	struct mlx5tls_caps caps;
	struct mlx5tls_pd *pd = NULL;
	struct mlx5tls_td *td = NULL;
	struct mlx5tls_dek_pool *dek_pool = NULL;
	struct mlx5tls_tis_pool *tis_pool = NULL;
	struct mlx5tls_dek *dek = NULL;
	struct mlx5tls_tis *tis = NULL;
	union crypto_info ci;
	size_t ci_len;
	int err, ret = EXIT_FAILURE;

	/* 1. The device: NULL means $MLX5TLS_DEVICE or the first ConnectX; the model ("sim") is
	 *    only used when named, so fall back to it explicitly when there is no card. */
	dev = mlx5tls_device_open(name, NULL);
	if (!dev && !name) {
		fprintf(stderr, "dek_tis_setup: no ConnectX device (%s); using the device model\n",
			strerror(errno));
		dev = mlx5tls_device_open("sim", NULL);
	}
	if (!dev) {
		report("device open", -errno);
		return EXIT_FAILURE;
	}
	err = mlx5tls_device_query(dev, &attr);
	if (err) {
		report("device query", err);
		goto out;
	}
	printf("device:  %s (%s, fw %s)\n", attr.name,
	       attr.kind == MLX5TLS_DEVICE_MODEL ? "device model" : "hardware", attr.fw_ver);

	/* Pass sizeof(caps): an application built against an older header passes a smaller size
	 * and still works with a newer library. */
	err = mlx5tls_query_caps(dev, &caps, sizeof(caps));
	if (err) {
		report("capability query", err);
		goto out;
	}
	printf("caps:    tls_tx %d tls_rx %d bulk_dek %d dek_sync %d suites 0x%x\n", caps.tls_tx,
	       caps.tls_rx, caps.bulk_dek, caps.dek_sync, caps.suites);
	if (!caps.tls_tx || !caps.dek_object || !caps.suites) {
		fprintf(stderr, "dek_tis_setup: %s has no TLS TX offload\n", attr.name);
		goto out;
	}

	/* 2. Protection and transport domains: the DEK and the TIS must share the PD; the TIS and
	 *    the send queues share the TD. */
	pd = mlx5tls_pd_alloc(dev);
	if (!pd) {
		report("PD alloc", -errno);
		goto out;
	}
	td = mlx5tls_td_alloc(dev);
	if (!td) {
		report("TD alloc", -errno);
		goto out;
	}
	printf("pd:      %u\ntd:      %u\n", mlx5tls_pd_num(pd), mlx5tls_td_num(td));

	/* 3. Pools. Defaults follow the kernel: DEK bulks of up to 4096 keys loaded with MODIFY, one
	 *    SYNC_CRYPTO per 128 freed keys; TISes recycled instead of destroyed. Tune with
	 *    MLX5TLS_OPTS(mlx5tls_dek_pool_opts, o, .sync_threshold = ...) if needed. */
	dek_pool = mlx5tls_dek_pool_create(pd, NULL);
	if (!dek_pool) {
		report("DEK pool create", -errno);
		goto out;
	}
	tis_pool = mlx5tls_tis_pool_create(pd, td, NULL);
	if (!tis_pool) {
		report("TIS pool create", -errno);
		goto out;
	}

	/* 4. One connection: a DEK with its key, a TLS TIS. Wipe the key copy right after the call:
	 *    the library keeps no copy either (the firmware mailbox is wiped after the command). */
	ci_len = make_crypto_info(caps.suites, &ci);
	if (!ci_len) {
		fprintf(stderr, "dek_tis_setup: no usable TLS suite\n");
		goto out;
	}
	dek = mlx5tls_dek_pool_get(dek_pool, &ci.info, ci_len);
	err = -errno;
	explicit_bzero(&ci, sizeof(ci));
	if (!dek) {
		report("DEK from the pool", err);
		goto out;
	}
	tis = mlx5tls_tis_pool_get(tis_pool);
	if (!tis) {
		report("TIS from the pool", -errno);
		goto out;
	}
	/* dek_index of the TLS static params, and the TIS number the send queue's WQEs carry. */
	printf("dek id:  %u\ntisn:    %u\n", mlx5tls_dek_id(dek), mlx5tls_tis_num(tis));
	ret = EXIT_SUCCESS;

out:
	/* 5. Teardown: objects before the pools they came from, pools before the PD/TD they use,
	 *    everything before the device. Destroying something still in use fails with -EBUSY. */
	if (tis)
		teardown_step("TIS destroy", mlx5tls_tis_destroy(tis), &ret); /* back to its pool */
	if (dek) /* back to its pool; re-keyed only after the next SYNC_CRYPTO */
		teardown_step("DEK destroy", mlx5tls_dek_destroy(dek), &ret);
	if (tis_pool)
		teardown_step("TIS pool destroy", mlx5tls_tis_pool_destroy(tis_pool), &ret);
	if (dek_pool)
		teardown_step("DEK pool destroy", mlx5tls_dek_pool_destroy(dek_pool), &ret);
	if (td)
		teardown_step("TD dealloc", mlx5tls_td_dealloc(td), &ret);
	if (pd)
		teardown_step("PD dealloc", mlx5tls_pd_dealloc(pd), &ret);
	teardown_step("device close", mlx5tls_device_close(dev), &ret);
	if (ret == EXIT_SUCCESS)
		printf("teardown: done\n");
	return ret;
}
