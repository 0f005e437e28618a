/* SPDX-License-Identifier: BSD-3-Clause */
/* QUERY_HCA_CAP (current values) decoded into struct mlx5tls_caps (fact sheet 5). */
#include <stdlib.h>

#include "cmd.h"
#include "prm/mlx5_ifc_tls.h"

void caps_encode_query(uint8_t *in, uint16_t cap_type)
{
	DEVX_SET(query_hca_cap_in, in, opcode, MLX5_CMD_OP_QUERY_HCA_CAP);
	/* fact sheet 5.1: op_mod = cap_type << 1 | GET_CUR */
	DEVX_SET(query_hca_cap_in, in, op_mod, (cap_type << 1) | MLX5_HCA_CAP_OPMOD_GET_CUR);
}

/* One capability page into a heap buffer of query_hca_cap_out size. */
static int query_cap_page(struct mlx5tls_device *dev, uint16_t cap_type, uint8_t *out)
{
	uint8_t in[DEVX_ST_SZ_BYTES(query_hca_cap_in)] = { 0 };

	caps_encode_query(in, cap_type);
	return cmd_exec(dev, CMD_GENERAL, NULL, NULL, in, sizeof(in), out,
			DEVX_ST_SZ_BYTES(query_hca_cap_out), NULL);
}

#define CAP_GET(page, typ, fld)                                                                    \
	DEVX_GET(typ, DEVX_ADDR_OF(query_hca_cap_out, page, capability), fld)

int caps_query(struct mlx5tls_device *dev, struct mlx5tls_caps *caps)
{
	uint8_t *out = calloc(1, DEVX_ST_SZ_BYTES(query_hca_cap_out));
	const uint8_t *cap;
	int ret;

	if (!out)
		return -ENOMEM;
	memset(caps, 0, sizeof(*caps));

	ret = query_cap_page(dev, MLX5_CAP_TYPE_GENERAL, out);
	if (ret)
		goto out;
	cap = DEVX_ADDR_OF(query_hca_cap_out, out, capability);
	caps->tls_tx = DEVX_GET(cmd_hca_cap, cap, tls_tx);
	caps->tls_rx = DEVX_GET(cmd_hca_cap, cap, tls_rx);
	caps->crypto = DEVX_GET(cmd_hca_cap, cap, crypto);
	/* fact sheet 3.3: ENCRYPTION_KEY is bit 0xc of the 64-bit general_obj_types */
	caps->dek_object = (DEVX_GET64(cmd_hca_cap, cap, general_obj_types) >>
			    MLX5_GENERAL_OBJECT_TYPES_ENCRYPTION_KEY) & 1;
	caps->log_max_dek = DEVX_GET(cmd_hca_cap, cap, log_max_dek);
	caps->log_max_tis = DEVX_GET(cmd_hca_cap, cap, log_max_tis);
	caps->log_max_tir = DEVX_GET(cmd_hca_cap, cap, log_max_tir);
	caps->log_max_pd = DEVX_GET(cmd_hca_cap, cap, log_max_pd);
	caps->log_max_transport_domain = DEVX_GET(cmd_hca_cap, cap, log_max_transport_domain);

	/* fact sheet 5.1: the kernel reads TLS caps only if tls_tx || tls_rx ... */
	if (caps->tls_tx || caps->tls_rx) {
		ret = query_cap_page(dev, MLX5_CAP_TYPE_TLS, out);
		if (ret)
			goto out;
		if (CAP_GET(out, tls_cap, tls_1_2_aes_gcm_128))
			caps->suites |= MLX5TLS_SUITE_TLS12_AES_GCM_128;
		if (CAP_GET(out, tls_cap, tls_1_3_aes_gcm_128))
			caps->suites |= MLX5TLS_SUITE_TLS13_AES_GCM_128;
		if (CAP_GET(out, tls_cap, tls_1_2_aes_gcm_256))
			caps->suites |= MLX5TLS_SUITE_TLS12_AES_GCM_256;
		if (CAP_GET(out, tls_cap, tls_1_3_aes_gcm_256))
			caps->suites |= MLX5TLS_SUITE_TLS13_AES_GCM_256;
	}

	/* ... and crypto caps only if cmd_hca_cap.crypto. */
	if (caps->crypto) {
		ret = query_cap_page(dev, MLX5_CAP_TYPE_CRYPTO, out);
		if (ret)
			goto out;
		caps->log_dek_max_alloc = CAP_GET(out, crypto_cap, log_dek_max_alloc);
		caps->log_max_num_deks = CAP_GET(out, crypto_cap, log_max_num_deks);
		caps->dek_sync = CAP_GET(out, crypto_cap, synchronize_dek);
		/* fact sheet 5.5/12.1: bulk DEKs iff log_dek_max_alloc != 0 */
		caps->bulk_dek = caps->log_dek_max_alloc != 0;
	}

	/* fact sheet 5.5: mlx5e_is_ktls_device */
	caps->ktls_capable = (caps->tls_tx || caps->tls_rx) && caps->log_max_dek &&
			     (caps->suites & (MLX5TLS_SUITE_TLS12_AES_GCM_128 |
					      MLX5TLS_SUITE_TLS12_AES_GCM_256));
out:
	free(out);
	return ret;
}

int mlx5tls_query_caps(struct mlx5tls_device *dev, struct mlx5tls_caps *caps, size_t caps_sz)
{
	if (!dev || !caps)
		return libmlx5tls_err(-EINVAL);
	/* read once at open: current capabilities do not change while the device is open */
	copy_out(caps, caps_sz, &dev->caps, sizeof(dev->caps));
	return 0;
}

uint32_t mlx5tls_suite_of(uint16_t version, uint16_t cipher_type)
{
	bool v12 = version == TLS_1_2_VERSION, v13 = version == TLS_1_3_VERSION;

	if (cipher_type == TLS_CIPHER_AES_GCM_128)
		return v12 ? MLX5TLS_SUITE_TLS12_AES_GCM_128 :
		       v13 ? MLX5TLS_SUITE_TLS13_AES_GCM_128 : 0;
	if (cipher_type == TLS_CIPHER_AES_GCM_256)
		return v12 ? MLX5TLS_SUITE_TLS12_AES_GCM_256 :
		       v13 ? MLX5TLS_SUITE_TLS13_AES_GCM_256 : 0;
	return 0;
}
